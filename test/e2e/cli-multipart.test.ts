/**
 * Large files end to end: `ferry submit big.mp4 --wait` with a 200 MiB video goes up as an S3
 * multipart upload (parts in parallel, a failed part retried) and is processed; a multipart
 * upload interrupted with Ctrl-C is aborted and leaves no QUEUED job and no object.
 */
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { JobStatus } from '../../core/job.ts';
import { type LocalApi, startLocalApi } from '../../functions/api/local-server.ts';
import { realIo } from '../support/cli.ts';
import { createTestStack, recordCallsAs, type TestStack } from '../support/local-stack.ts';
import { slideVideo } from '../support/test-videos.ts';
import { startWorker, type WorkerProcess } from '../support/worker-process.ts';

let API_KEY = '';
const MiB = 1024 * 1024;

let stack: TestStack;
let api: LocalApi;
let worker: WorkerProcess | undefined;
let dir: string;

beforeAll(async () => {
  stack = await createTestStack();
  API_KEY = stack.client.apiKey;
  Object.assign(process.env, stack.env, { POWERTOOLS_LOG_LEVEL: 'ERROR' });
  recordCallsAs('api');
  [api, worker] = await Promise.all([startLocalApi(), startWorker(stack.env)]);
  dir = await mkdtemp(path.join(tmpdir(), 'ferry-multipart-'));
  // A 200 MiB MP4: the slide video plus a trailing `free` box, which every MP4 reader skips.
  const video = await readFile((await slideVideo({ duration: 90, slideSec: 10 })).file);
  const file = await open(path.join(dir, 'big.mp4'), 'w');
  const padding = 200 * MiB - video.length;
  const header = Buffer.alloc(8);
  header.writeUInt32BE(padding);
  header.write('free', 4, 'latin1');
  await file.write(video);
  await file.write(header);
  for (let left = padding - 8; left > 0; left -= 16 * MiB)
    await file.write(Buffer.alloc(Math.min(left, 16 * MiB)));
  await file.close();
});

afterAll(async () => {
  expect(await worker?.stop()).toBe(0);
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A fetch that counts part PUTs and fails the first try of part 2 with a 500. */
function flakyPartFetch() {
  const tries = new Map<number, number>();
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const part = Number(url.searchParams.get('partNumber'));
    if (init?.method === 'PUT' && part) {
      tries.set(part, (tries.get(part) ?? 0) + 1);
      if (part === 2 && tries.get(part) === 1) return new Response('try again', { status: 500 });
    }
    return globalThis.fetch(input, init);
  }) as typeof fetch;
  return { fetchImpl, tries };
}

it('ferry submit big.mp4 sends 200 MiB in parts, retries a failed part, and the video is processed', async () => {
  const { fetchImpl, tries } = flakyPartFetch();
  const io = {
    ...realIo({ apiUrl: api.url, apiKey: API_KEY, cwd: dir, pollIntervalMs: 250 }),
    fetch: fetchImpl,
  };
  const code = await main(['submit', 'big.mp4', '--wait', '--json'], io);
  expect(code, io.stderr.text).toBe(0);
  expect(io.stderr.text).toMatch(/big\.mp4: uploading in 13 parts of 16\.0 MiB/);
  expect(io.stderr.text).toMatch(/big\.mp4: uploaded 100%/);
  expect([...tries.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
  expect(tries.get(2)).toBe(2);

  const [outcome] = JSON.parse(io.stdout.text) as Array<{
    jobId: string;
    result: { result: { segments: unknown[] } };
  }>;
  const job = await stack.jobs.get(String(outcome?.jobId));
  expect(job).toMatchObject({ status: JobStatus.Succeeded, task: 'video-ocr', size: 200 * MiB });
  expect(outcome?.result.result.segments).toHaveLength(9);
});

it('Ctrl-C during a multipart upload aborts it: the job is CANCELED and no object or upload is left', async () => {
  await writeFile(path.join(dir, 'half.mp4'), Buffer.alloc(70 * MiB, 1));
  let interrupt: (() => void) | undefined;
  const base = realIo({ apiUrl: api.url, apiKey: API_KEY, cwd: dir, pollIntervalMs: 250 });
  const io = {
    ...base,
    onInterrupt: (handler: () => void) => {
      interrupt = handler;
      return () => {};
    },
    // Ctrl-C as soon as the first part is up.
    fetch: (async (input: string | URL | Request, init?: RequestInit) => {
      const res = await globalThis.fetch(input, init);
      if (new URL(String(input)).searchParams.has('partNumber')) interrupt?.();
      return res;
    }) as typeof fetch,
  };
  const code = await main(['submit', 'half.mp4', '--json'], io);
  expect(code).toBe(1);
  const [outcome] = JSON.parse(io.stdout.text) as Array<{ jobId: string; status: string; error: string }>;
  expect(outcome).toMatchObject({
    status: 'ERROR',
    error: expect.stringMatching(/upload interrupted; the upload was aborted and the job canceled/),
  });
  const job = await stack.jobs.get(String(outcome?.jobId));
  expect(job?.status).toBe(JobStatus.Canceled);
  await expect(
    stack.aws.s3.send(new HeadObjectCommand({ Bucket: stack.outputs.bucket, Key: String(job?.key) })),
  ).rejects.toThrow();
  const open = await stack.aws.s3.send(new ListMultipartUploadsCommand({ Bucket: stack.outputs.bucket }));
  expect((open.Uploads ?? []).filter((u) => u.Key === job?.key)).toEqual([]);
  const queued = await stack.jobs.list({ status: JobStatus.Queued, limit: 100 });
  expect(queued.jobs.map((j) => j.jobId)).not.toContain(job?.jobId);
});
