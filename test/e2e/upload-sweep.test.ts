/**
 * The upload sweep, end to end: with the bucket's notification switched off, a file put under
 * uploads/ gets no event at all; the worker's sweep finds it within its period and it runs to
 * SUCCEEDED as one job. `ferry stats` then counts it as an orphaned upload found.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { main } from '../../cli/main.ts';
import { JobStatus } from '../../core/job.ts';
import { testIo } from '../support/cli.ts';
import { createTestStack, switchOffUploadEvents, type TestStack } from '../support/local-stack.ts';
import { dropUpload, jobInState, SLEEP_METADATA, startSleepWorker } from '../support/sleep-jobs.ts';
import type { WorkerProcess } from '../support/worker-process.ts';

const SWEEP_SEC = 4;
const MIN_AGE_SEC = 2;
const RECONCILE_SEC = 2;

let stack: TestStack;
let worker: WorkerProcess;

beforeAll(async () => {
  stack = await createTestStack();
  await switchOffUploadEvents(stack);
  worker = await startSleepWorker(stack, {
    FERRY_HEARTBEAT_SEC: '0.5',
    FERRY_RECONCILE_SEC: String(RECONCILE_SEC),
    FERRY_UPLOAD_SWEEP_SEC: String(SWEEP_SEC),
    FERRY_UPLOAD_SWEEP_MIN_AGE_SEC: String(MIN_AGE_SEC),
  });
});

afterAll(async () => {
  await worker?.stop();
});

describe('upload sweep', () => {
  test('an upload whose event never came becomes a job within the sweep period, and runs once', async () => {
    const jobId = await dropUpload(stack, 'uploads/no-event.json', JSON.stringify({ ms: 50 }), {
      ...SLEEP_METADATA,
    });
    const put = Date.now();
    // Young enough to be left to its event, then found by the next sweep after that.
    const job = await jobInState(
      stack,
      jobId,
      () => true,
      (MIN_AGE_SEC + SWEEP_SEC + RECONCILE_SEC + 5) * 1000,
    );
    expect(Date.parse(job.createdAt) - put).toBeGreaterThanOrEqual(MIN_AGE_SEC * 1000 - 1000);
    const done = await jobInState(stack, jobId, (j) => j.status === JobStatus.Succeeded, 30_000);
    expect(done.attempts).toBe(1);
    expect(worker.logs.some((l) => l.msg === 'orphaned upload ingested: its S3 event never arrived')).toBe(
      true,
    );

    const io = testIo(() => Promise.reject(new Error('stats must not call the API')), {
      env: stack.env,
      cwd: '/nonexistent-ferry-dir',
    });
    expect(await main(['stats', '--json'], io)).toBe(0);
    const stats = JSON.parse(io.stdout.text) as { ingest: { counts: { orphans: number } } };
    expect(stats.ingest.counts.orphans).toBeGreaterThanOrEqual(1);
  });
});
