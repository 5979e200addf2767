/**
 * The `ferry` CLI against the real local API and the emulator (no GPU worker: the test plays
 * the worker where a job must finish): streamed uploads land and are ingested, and status,
 * jobs, result and cancel print what the API says with the right exit codes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { JobStatus } from '../../../core/job.ts';
import { resultKey } from '../../../core/keys.ts';
import { type LocalApi, startLocalApi } from '../../../functions/api/local-server.ts';
import { realIo } from '../../support/cli.ts';
import { createTestStack, eventually, type TestStack } from '../../support/local-stack.ts';

/** The stack's client's key, set once the stack exists. */
let API_KEY = '';
let stack: TestStack;
let api: LocalApi;
let dir: string;
const image = Buffer.alloc(300_000, 3);

beforeAll(async () => {
  stack = await createTestStack();
  API_KEY = stack.client.apiKey;
  Object.assign(process.env, stack.env, { POWERTOOLS_LOG_LEVEL: 'ERROR' });
  api = await startLocalApi();
  dir = await mkdtemp(path.join(tmpdir(), 'ferry-cli-'));
  await writeFile(path.join(dir, 'page one.png'), image);
});

afterAll(async () => {
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function ferry(...argv: string[]) {
  const io = realIo({ apiUrl: api.url, apiKey: API_KEY, cwd: dir, pollIntervalMs: 100 });
  const code = await main(argv, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

/** Plays the GPU worker for one job: claims it once QUEUED, writes a result, succeeds. */
async function playWorker(jobId: string, text: string): Promise<void> {
  await eventually(async () =>
    (await stack.jobs.get(jobId))?.status === JobStatus.Queued ? true : undefined,
  );
  await stack.aws.s3.send(
    new PutObjectCommand({
      Bucket: stack.outputs.bucket,
      Key: resultKey(jobId),
      Body: JSON.stringify({ jobId, task: 'ocr', result: { text, lines: [] } }),
    }),
  );
  await stack.jobs.claim(jobId, 'cli-test-worker', 60_000);
  await stack.jobs.succeed(jobId, 'cli-test-worker', {
    resultKey: resultKey(jobId),
    timings: {},
    executionProvider: 'cpu',
  });
}

describe('ferry against the local API', () => {
  let jobId: string;

  it('submit streams the file to its presigned URL and the job is ingested', async () => {
    const { code, stdout, stderr } = await ferry('submit', 'page one.png');
    expect(code, stderr).toBe(0);
    const [id, file] = stdout.trim().split('\t');
    expect(file).toBe('page one.png');
    jobId = id as string;
    const job = await eventually(async () => {
      const j = await stack.jobs.get(jobId);
      return j?.status === JobStatus.Queued ? j : undefined;
    });
    expect(job.size).toBe(image.length);
    const stored = await stack.aws.s3.send(
      new GetObjectCommand({ Bucket: stack.outputs.bucket, Key: job.key }),
    );
    expect(Buffer.from(await (stored.Body?.transformToByteArray() ?? new Uint8Array()))).toEqual(image);
  });

  it('status, jobs and cancel report the job; a second cancel exits 1', async () => {
    expect((await ferry('status', jobId)).stdout).toContain('Status   QUEUED');
    const listed = await ferry('jobs', '--status', 'QUEUED');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(jobId);

    const canceled = await ferry('cancel', jobId);
    expect(canceled).toMatchObject({ code: 0, stdout: `Canceled ${jobId}\n` });
    const status = await ferry('status', jobId, '--json');
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout).status).toBe(JobStatus.Canceled);
    const again = await ferry('cancel', jobId);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already finished (CANCELED)');
    expect((await ferry('result', jobId)).code).toBe(1);
  });

  it('submit --wait follows the job to SUCCEEDED and prints its text; result prints it again', async () => {
    const run = ferry('submit', 'page one.png', '--wait');
    const id = await eventually(async () => {
      const page = await stack.jobs.list({ status: JobStatus.AwaitingUpload, limit: 10 });
      const queued = await stack.jobs.list({ status: JobStatus.Queued, limit: 10 });
      return [...page.jobs, ...queued.jobs][0]?.jobId;
    });
    await playWorker(id, 'Hello from the CLI');
    const { code, stdout, stderr } = await run;
    expect(code, stderr).toBe(0);
    expect(stdout).toBe('Hello from the CLI\n');
    expect(stderr).toContain(`job ${id} SUCCEEDED`);

    const result = await ferry('result', id, '-o', 'out.json');
    expect(result.code).toBe(0);
    const { readFile } = await import('node:fs/promises');
    expect(JSON.parse(await readFile(path.join(dir, 'out.json'), 'utf8')).result.text).toBe(
      'Hello from the CLI',
    );
  });

  it('exits 2 with a wrong key', async () => {
    const { code, stderr } = await ferry('jobs', '--api-key', 'not-the-key');
    expect(code).toBe(2);
    expect(stderr).toContain('The API key is not valid');
  });
});
