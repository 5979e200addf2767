/**
 * `ferry submit img.png --wait` end to end: the CLI, the local API, a presigned upload, the
 * ingest function in the emulator, the real worker process with the OCR model, and back.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { type LocalApi, startLocalApi } from '../../functions/api/local-server.ts';
import { characterErrorRate } from '../support/cer.ts';
import { createTestStack, type TestStack } from '../support/local-stack.ts';
import { renderTextImage } from '../support/text-images.ts';
import { startWorker } from '../support/worker-process.ts';
import { capture } from './helpers.ts';

const API_KEY = 'cli-e2e-key-0123456789';
const LINES = ['Ferry reads this line', 'and the second one too'];

let stack: TestStack;
let api: LocalApi;
let worker: { stop(): Promise<unknown> } | undefined;
let dir: string;

beforeAll(async () => {
  stack = await createTestStack();
  Object.assign(process.env, stack.env, { FERRY_API_KEYS: API_KEY, POWERTOOLS_LOG_LEVEL: 'ERROR' });
  [api, worker] = await Promise.all([startLocalApi(), startWorker(stack.env)]);
  dir = await mkdtemp(path.join(tmpdir(), 'ferry-submit-'));
  await writeFile(path.join(dir, 'img.png'), await renderTextImage({ lines: LINES }));
});

afterAll(async () => {
  await worker?.stop();
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('ferry submit img.png --wait prints the recognised text and exits 0', async () => {
  const stdout = capture();
  const stderr = capture();
  const code = await main(['submit', 'img.png', '--wait'], {
    fetch: globalThis.fetch,
    stdout,
    stderr,
    env: { FERRY_API_URL: api.url, FERRY_API_KEY: API_KEY },
    cwd: dir,
    readFile: (file) => readFile(file),
    writeFile: (file, data) => writeFile(file, data),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    pollIntervalMs: 250,
  });
  expect(code, stderr.text).toBe(0);
  expect(stderr.text).toMatch(/img\.png: job [0-9a-f-]{36} SUCCEEDED/);
  expect(characterErrorRate(LINES.join(' '), stdout.text, { ignoreSpaces: true })).toBeLessThan(0.1);
});
