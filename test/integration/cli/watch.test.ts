/**
 * `ferry watch` against the local API and the emulator's push channel: prints each change live
 * until the job is final; with an unreachable channel it says so once and polls instead.
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { JobStatus } from '../../../core/job.ts';
import { type LocalApi, startLocalApi } from '../../../functions/api/local-server.ts';
import type { PushOutputs } from '../../../scripts/local/provision-push.ts';
import { realIo } from '../../support/cli.ts';
import { createTestStack, eventually, type TestStack } from '../../support/local-stack.ts';
import { addPushChannel } from '../../support/push.ts';

let stack: TestStack;
let push: PushOutputs;
let api: LocalApi;

beforeAll(async () => {
  stack = await createTestStack();
  push = await addPushChannel(stack);
  Object.assign(process.env, stack.env, { POWERTOOLS_LOG_LEVEL: 'ERROR' });
  api = await startLocalApi();
});

afterAll(async () => {
  await api?.close();
});

async function newJob(): Promise<string> {
  const jobId = randomUUID();
  await stack.jobs.create({
    jobId,
    status: JobStatus.AwaitingUpload,
    task: 'ocr',
    bucket: stack.outputs.bucket,
    key: `uploads/${stack.client.clientId}/${jobId}/a.png`,
    clientId: stack.client.clientId,
  });
  return jobId;
}

/** Moves the job to QUEUED, RUNNING and FAILED, `pauseMs` apart. */
async function runJob(jobId: string, pauseMs: number): Promise<void> {
  const pause = () => new Promise((r) => setTimeout(r, pauseMs));
  const { key } = await stack.jobs.require(jobId);
  await pause();
  await stack.jobs.markUploaded(jobId, key, { size: 10, contentType: 'image/png' });
  await pause();
  await stack.jobs.claim(jobId, 'w', 60_000);
  await pause();
  await stack.jobs.fail(jobId, { error: 'The file is not an image.', errorCode: 'INVALID_INPUT' }, 'w');
}

function watchIo(pushUrl: string) {
  const io = realIo({ apiUrl: api.url, apiKey: stack.client.apiKey, cwd: tmpdir(), pollIntervalMs: 100 });
  io.env.FERRY_PUSH_URL = pushUrl;
  return io;
}

describe('ferry watch', () => {
  it('prints every change live, in order, and exits 1 when the job failed', async () => {
    const jobId = await newJob();
    const io = watchIo(push.pushUrl);
    const watching = main(['watch', jobId], io);
    // The job moves once the watcher has its snapshot: connecting can take seconds on a busy box.
    await eventually(async () => (io.stdout.text.includes('AWAITING_UPLOAD') ? true : undefined), {
      timeoutMs: 30_000,
    });
    await runJob(jobId, 300);
    const code = await watching;
    const lines = io.stdout.text.trim().split('\n');
    expect(lines.map((l) => l.split(' ')[2])).toEqual(['AWAITING_UPLOAD', 'QUEUED', 'RUNNING', 'FAILED']);
    expect(lines.at(-1)).toContain('The file is not an image.');
    expect(io.stderr.text).not.toContain('polling');
    expect(code).toBe(1);
  });

  it('falls back to polling when the push channel is unreachable, saying so once', async () => {
    const jobId = await newJob();
    const io = watchIo('ws://127.0.0.1:9/nowhere');
    const [code] = await Promise.all([main(['watch', jobId], io), runJob(jobId, 300)]);
    expect(io.stderr.text.match(/polling instead/g)).toHaveLength(1);
    expect(io.stdout.text.trim().split('\n').at(-1)).toContain('FAILED');
    expect(code).toBe(1);
  });
});
