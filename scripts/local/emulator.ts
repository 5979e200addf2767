/**
 * @module scripts/local/emulator
 * Makes sure an AWS emulator answers at AWS_ENDPOINT_URL. If one already does (LocalStack, or
 * MiniStack started by the user or docker compose) it is used as it is; otherwise MiniStack is
 * installed at a pinned version into a project-local venv and started on 127.0.0.1, and stopped
 * again by the returned handle.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { LOCAL_RESOURCES } from '../../core/config.ts';

/** Pinned so every clone runs the emulator the tests were written against. */
export const MINISTACK_VERSION = '1.5.33';
const MIN_PYTHON = [3, 10] as const;

export interface Emulator {
  endpoint: string;
  /** True when this process started the emulator (and so stops it). */
  owned: boolean;
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  /** @default AWS_ENDPOINT_URL or http://127.0.0.1:4566 */
  endpoint?: string;
  /** Project-local state folder. @default <repo>/.ferry */
  stateDir?: string;
  /** How long to wait for readiness, in ms. @default 30000 */
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

export async function ensureEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL ?? LOCAL_RESOURCES.endpoint;
  const log = options.log ?? (() => {});
  if (await isHealthy(endpoint)) {
    log(`using the emulator already running at ${endpoint}`);
    return { endpoint, owned: false, stop: async () => {} };
  }
  const url = new URL(endpoint);
  if (!['127.0.0.1', 'localhost'].includes(url.hostname)) {
    throw new Error(`No emulator answers at ${endpoint}, and Ferry only starts one on 127.0.0.1.`);
  }
  const stateDir = options.stateDir ?? path.resolve(import.meta.dirname, '../../.ferry');
  const bin = await installMinistack(stateDir, log);
  log(`starting MiniStack ${MINISTACK_VERSION} on ${endpoint}`);
  const child = spawn(bin, [], {
    env: {
      ...process.env,
      BIND_HOST: '127.0.0.1',
      GATEWAY_PORT: url.port || '4566',
      // Without it queue URLs say "localhost" and the SQS client re-routes.
      MINISTACK_HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: false,
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr.push(chunk.toString());
    if (stderr.length > 50) stderr.shift();
  });
  await waitReady(endpoint, child, options.readyTimeoutMs ?? 30_000, () => stderr.join(''));
  return { endpoint, owned: true, stop: () => stopChild(child) };
}

export async function isHealthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('/_localstack/health', endpoint), { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

async function waitReady(endpoint: string, child: ChildProcess, timeoutMs: number, stderr: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`MiniStack exited with code ${child.exitCode}:\n${stderr()}`);
    if (await isHealthy(endpoint)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stopChild(child);
  throw new Error(`MiniStack did not become ready within ${timeoutMs} ms:\n${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Creates `<stateDir>/venv` with the pinned MiniStack unless it is already there. */
async function installMinistack(stateDir: string, log: (line: string) => void): Promise<string> {
  const venv = path.join(stateDir, 'venv');
  const bin = path.join(venv, 'bin', 'ministack');
  const marker = path.join(venv, '.ferry-ministack-version');
  if (existsSync(bin) && existsSync(marker) && readFileSync(marker, 'utf8') === MINISTACK_VERSION) return bin;
  const python = findPython();
  log(`installing MiniStack ${MINISTACK_VERSION} into ${venv} (once)`);
  await mkdir(stateDir, { recursive: true });
  const run = (cmd: string, args: string[]) =>
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(path.join(venv, 'bin', 'python'))) run(python, ['-m', 'venv', venv]);
  run(path.join(venv, 'bin', 'python'), [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    `ministack==${MINISTACK_VERSION}`,
  ]);
  writeFileSync(marker, MINISTACK_VERSION);
  return bin;
}

function findPython(): string {
  for (const candidate of ['python3', 'python']) {
    try {
      const version = execFileSync(candidate, ['-c', 'import sys; print(*sys.version_info[:2])'], {
        encoding: 'utf8',
      })
        .trim()
        .split(' ')
        .map(Number);
      const [major = 0, minor = 0] = version;
      if (major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1])) return candidate;
    } catch {
      // Not installed under this name; try the next.
    }
  }
  throw new Error(
    `Ferry runs the MiniStack emulator, which needs Python ${MIN_PYTHON.join('.')}+ on PATH (python3). ` +
      'Install it (e.g. `apt-get install python3 python3-venv`), or start LocalStack/MiniStack yourself ' +
      '(docker compose up) and set AWS_ENDPOINT_URL.',
  );
}
