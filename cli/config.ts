/**
 * @module cli/config
 * Where the CLI finds the API: each of the URL and the key comes from its flag, else its
 * environment variable (FERRY_API_URL, FERRY_API_KEY), else `.ferry/outputs.json` in the
 * current directory (written by `npm start`).
 */
import path from 'node:path';
import type { GlobalFlags } from './args.ts';
import { CliConfigError } from './errors.ts';

export interface ApiConfig {
  /** Base URL without a trailing slash. */
  apiUrl: string;
  apiKey: string;
  /** The push channel's WebSocket URL, when known (live status for watch and submit --wait). */
  pushUrl?: string;
}

export const OUTPUTS_FILE = path.join('.ferry', 'outputs.json');

export interface ConfigSources {
  flags: GlobalFlags;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Reads a file as UTF-8; rejects with code ENOENT when it does not exist. */
  readText(file: string): Promise<string>;
}

export async function resolveApiConfig(sources: ConfigSources): Promise<ApiConfig> {
  const outputs = await readOutputs(sources);
  // An empty variable counts as unset, as in most shells' `VAR= command`.
  const apiUrl = sources.flags.apiUrl ?? (sources.env.FERRY_API_URL || undefined) ?? outputs.apiUrl;
  const apiKey = sources.flags.apiKey ?? (sources.env.FERRY_API_KEY || undefined) ?? outputs.apiKey;
  if (!apiUrl) {
    throw new CliConfigError(
      `No API URL: pass --api-url, set FERRY_API_URL, or run "npm start" here (it writes ${OUTPUTS_FILE})`,
    );
  }
  if (!apiKey) {
    throw new CliConfigError(
      `No API key: pass --api-key, set FERRY_API_KEY, or run "npm start" here (it writes ${OUTPUTS_FILE})`,
    );
  }
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new CliConfigError(`The API URL "${apiUrl}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliConfigError(`The API URL "${apiUrl}" must start with http:// or https://`);
  }
  const pushUrl = (sources.env.FERRY_PUSH_URL || undefined) ?? outputs.pushUrl;
  return { apiUrl: url.href.replace(/\/+$/, ''), apiKey, ...(pushUrl ? { pushUrl } : {}) };
}

async function readOutputs(
  sources: ConfigSources,
): Promise<{ apiUrl?: string; apiKey?: string; pushUrl?: string }> {
  const file = path.join(sources.cwd, OUTPUTS_FILE);
  let text: string;
  try {
    text = await sources.readText(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliConfigError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return {
      ...(typeof parsed.apiUrl === 'string' ? { apiUrl: parsed.apiUrl } : {}),
      ...(typeof parsed.apiKey === 'string' ? { apiKey: parsed.apiKey } : {}),
      ...(typeof parsed.pushUrl === 'string' ? { pushUrl: parsed.pushUrl } : {}),
    };
  } catch {
    throw new CliConfigError(`${file} is not valid JSON; run "npm start" again to rewrite it`);
  }
}
