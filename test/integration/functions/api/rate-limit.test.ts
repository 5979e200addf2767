/**
 * Per-client rate limits on the local stack: a burst over a client's limit gets 429s with
 * Retry-After, another client is not affected, the requests that got through made real jobs,
 * and those jobs still complete through ingest and the real worker (with the sleep test task).
 * The daily job quota refuses the job after the last one with a Retry-After up to midnight UTC.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../../../core/job.ts';
import { handler as apiHandler } from '../../../../functions/api/handler.ts';
import { ensureLocalClient, type LocalClient } from '../../../../scripts/local/local-client.ts';
import { callAs } from '../../../support/api.ts';
import { createTestStack, eventually, recordCallsAs, type TestStack } from '../../../support/local-stack.ts';
import { startWorker, type WorkerProcess } from '../../../support/worker-process.ts';

let stack: TestStack;
let tight: LocalClient;
let worker: WorkerProcess | undefined;
const BODY = Buffer.from(JSON.stringify({ ms: 10 }));

beforeAll(async () => {
  stack = await createTestStack();
  Object.assign(process.env, stack.env, { POWERTOOLS_LOG_LEVEL: 'ERROR' });
  recordCallsAs('api');
  tight = await ensureLocalClient(stack.outputs, 'tight', { requestsPerSec: 1, burst: 4, jobsPerDay: 1000 });
});

afterAll(async () => {
  await worker?.stop();
});

const call = (key: string, method: string, path: string, body?: unknown) =>
  callAs(apiHandler, key, method, path, body);

const newJob = (key: string) =>
  call(key, 'POST', '/uploads', {
    filename: 'n.png',
    contentType: 'image/png',
    size: BODY.length,
    task: 'sleep',
  });

describe('rate limits', () => {
  it('a burst over the limit gets 429 with Retry-After; the jobs that got through complete', async () => {
    // The handler's cold start (configuration, the cursor key from SSM, clients) happens before
    // the burst, with another client: the burst's spread is then the limiter's, and the bucket
    // refills little during it even on a loaded machine.
    expect((await call(stack.client.apiKey, 'GET', '/jobs')).status).toBe(200);
    const burst = await Promise.all(Array.from({ length: 12 }, () => newJob(tight.apiKey)));
    const created = burst.filter((r) => r.status === 201);
    const limited = burst.filter((r) => r.status === 429);
    expect(created.length + limited.length, burst.map((r) => r.status).join(',')).toBe(12);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(created.length).toBeLessThanOrEqual(5);
    expect(limited.length).toBeGreaterThanOrEqual(7);
    for (const r of limited) {
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(r.json.error.code).toBe('RATE_LIMITED');
    }

    // Nothing else broke: another client is served meanwhile.
    expect((await call(stack.client.apiKey, 'GET', '/jobs')).status).toBe(200);

    // The accepted jobs upload (straight to S3) and run to completion on the real worker.
    for (const r of created) {
      const res = await fetch(r.json.upload.url, {
        method: 'PUT',
        headers: r.json.upload.headers,
        body: BODY,
      });
      expect(res.status).toBe(200);
    }
    worker = await startWorker({
      ...stack.env,
      FERRY_TASK_MODULES: 'test/fixtures/tasks/sleep-task.ts',
      FERRY_INFERENCE_THREADS: '1',
    });
    for (const r of created) {
      const job = await eventually(
        async () => {
          const j = await stack.jobs.require(r.json.jobId);
          return j.status === JobStatus.Succeeded || j.status === JobStatus.Failed ? j : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      expect(job.status, job.error).toBe(JobStatus.Succeeded);
    }

    // After the advertised wait, the client is served again.
    await new Promise((r) => setTimeout(r, 1000 * Number(limited[0]?.headers['retry-after'] ?? 1)));
    const again = await call(tight.apiKey, 'GET', `/jobs/${created[0]?.json.jobId}`);
    expect(again.status).toBe(200);
    expect(again.json.status).toBe(JobStatus.Succeeded);
  });

  it('the daily job quota refuses the job after the last, until midnight UTC', async () => {
    const quota = await ensureLocalClient(stack.outputs, 'quota', {
      requestsPerSec: 100,
      burst: 100,
      jobsPerDay: 2,
    });
    expect((await newJob(quota.apiKey)).status).toBe(201);
    expect((await newJob(quota.apiKey)).status).toBe(201);
    const refused = await newJob(quota.apiKey);
    expect(refused.status).toBe(429);
    expect(refused.json.error.message).toMatch(/daily quota of 2 jobs/);
    const untilMidnight =
      (Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`) + 86_400_000 - Date.now()) / 1000;
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(untilMidnight - 60);
    expect((await call(quota.apiKey, 'GET', '/jobs')).status).toBe(200);
  });
});
