/**
 * @module cli/io
 * Everything the CLI touches outside itself, passed in so tests can give it a stubbed fetch,
 * captured output and fast sleeps.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { JobFollower } from './push.ts';
import type { ErrorStream } from './status-board.ts';

export interface CliIo {
  fetch: typeof fetch;
  stdout: { write(text: string): unknown };
  stderr: ErrorStream;
  env: Record<string, string | undefined>;
  cwd: string;
  readFile(file: string): Promise<Uint8Array>;
  writeFile(file: string, data: string | Uint8Array): Promise<void>;
  sleep(ms: number): Promise<void>;
  /** Delay between status polls while waiting, in milliseconds. @defaultvalue 1000 */
  pollIntervalMs: number;
  /** Live status over the push channel (cli/push.ts); without it, waiting polls. */
  push?: JobFollower;
}

export function processIo(): CliIo {
  return {
    fetch: globalThis.fetch,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    readFile: (file) => readFile(file),
    writeFile: (file, data) => writeFile(file, data),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    pollIntervalMs: 1000,
  };
}
