/**
 * @module cli/io
 * Everything the CLI touches outside itself, passed in so tests can give it a stubbed fetch,
 * captured output and fast sleeps.
 */
import { open, readFile, stat, writeFile } from 'node:fs/promises';
import type { JobFollower } from './push.ts';
import type { ErrorStream } from './status-board.ts';

export interface CliIo {
  fetch: typeof fetch;
  stdout: { write(text: string): unknown };
  stderr: ErrorStream;
  env: Record<string, string | undefined>;
  cwd: string;
  readFile(file: string): Promise<Uint8Array>;
  /** Size of a file in bytes; with `readRange`, files are read a part at a time, never whole. */
  fileSize?(file: string): Promise<number>;
  /** Bytes [start, end) of a file (fewer at its end). */
  readRange?(file: string, start: number, end: number): Promise<Uint8Array>;
  writeFile(file: string, data: string | Uint8Array): Promise<void>;
  sleep(ms: number): Promise<void>;
  /** Delay between status polls while waiting, in milliseconds. @defaultvalue 1000 */
  pollIntervalMs: number;
  /** Calls `handler` on the next Ctrl-C instead of exiting; returns the way to stop listening. */
  onInterrupt?(handler: () => void): () => void;
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
    fileSize: async (file) => (await stat(file)).size,
    readRange,
    writeFile: (file, data) => writeFile(file, data),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    pollIntervalMs: 1000,
    onInterrupt(handler) {
      process.once('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  };
}

/** Bytes [start, end) of `file`, read through a handle opened for this range alone. */
export async function readRange(file: string, start: number, end: number): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(end - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
