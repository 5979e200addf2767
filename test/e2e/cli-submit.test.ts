/**
 * `ferry submit img.png --wait` end to end: the CLI, the local API, a presigned upload, the
 * ingest function in the emulator, the real worker process with the OCR model, and back.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { type LocalApi, startLocalApi } from '../../functions/api/local-server.ts';
import { characterErrorRate } from '../support/cer.ts';
import { realIo } from '../support/cli.ts';
import { createTestStack, recordCallsAs, type TestStack } from '../support/local-stack.ts';
import { renderTextImage } from '../support/text-images.ts';
import { startWorker } from '../support/worker-process.ts';

/** The stack's client's key, set once the stack exists. */
let API_KEY = '';
const LINES = ['Ferry reads this line', 'and the second one too'];

let stack: TestStack;
let api: LocalApi;
let worker: { stop(): Promise<unknown> } | undefined;
let dir: string;

beforeAll(async () => {
  stack = await createTestStack();
  API_KEY = stack.client.apiKey;
  Object.assign(process.env, stack.env, { POWERTOOLS_LOG_LEVEL: 'ERROR' });
  recordCallsAs('api');
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
  const io = realIo({ apiUrl: api.url, apiKey: API_KEY, cwd: dir, pollIntervalMs: 250 });
  const { stdout, stderr } = io;
  const code = await main(['submit', 'img.png', '--wait'], io);
  expect(code, stderr.text).toBe(0);
  expect(stderr.text).toMatch(/img\.png: job [0-9a-f-]{36} SUCCEEDED/);
  expect(characterErrorRate(LINES.join(' '), stdout.text, { ignoreSpaces: true })).toBeLessThan(0.1);
});
