/**
 * Per-job deadlines and the queue TTL with the real worker process and the sleep task: a task
 * that never returns ends TIMED_OUT within its deadline plus one heartbeat period and the next
 * job on that worker succeeds; a job that waited past the TTL ends EXPIRED without running.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFinal, JobStatus } from '../../core/job.ts';
import { createTestStack, type TestStack } from '../support/local-stack.ts';
import { jobInState, sleepJob, startSleepWorker } from '../support/sleep-jobs.ts';
import type { WorkerProcess } from '../support/worker-process.ts';

let stack: TestStack;
const workers: WorkerProcess[] = [];
const HEARTBEAT_SEC = 0.5;

beforeEach(async () => {
  stack = await createTestStack();
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop('SIGKILL')));
});

async function worker(env: Record<string, string> = {}): Promise<WorkerProcess> {
  const w = await startSleepWorker(stack, { FERRY_HEARTBEAT_SEC: String(HEARTBEAT_SEC), ...env });
  workers.push(w);
  return w;
}

describe('deadlines (emulator, worker process)', () => {
  it('ends a task that never returns TIMED_OUT within its deadline plus one heartbeat, then runs the next job', async () => {
    const w = await worker();
    const stuck = await sleepJob(stack, 'never-returns', 600_000, { 'ferry-timeout': '2' });
    const failed = await jobInState(stack, stuck, (j) => isFinal(j.status), 30_000);
    expect(failed).toMatchObject({ status: JobStatus.Failed, errorCode: 'TIMED_OUT', attempts: 1 });
    const ranMs = Date.parse(failed.finishedAt ?? '') - Date.parse(failed.startedAt ?? '');
    expect(ranMs).toBeGreaterThanOrEqual(2000);
    expect(ranMs).toBeLessThanOrEqual(2000 + HEARTBEAT_SEC * 1000 + 500);
    // The blocked thread was terminated and replaced: the next job on this worker runs.
    const next = await sleepJob(stack, 'after-timeout', 100);
    expect(await jobInState(stack, next, (j) => isFinal(j.status), 30_000)).toMatchObject({
      status: JobStatus.Succeeded,
    });
    expect(w.child.exitCode).toBeNull();
    // The lease stopped being renewed: the job is final and stays so.
    expect((await stack.jobs.get(stuck))?.status).toBe(JobStatus.Failed);
  });

  it('ends a job still QUEUED past the queue TTL as EXPIRED at claim, without running it', async () => {
    const jobId = await sleepJob(stack, 'too-old', 100);
    await new Promise((r) => setTimeout(r, 2500));
    await worker({ FERRY_QUEUE_TTL_SEC: '2', FERRY_RECONCILE_SEC: '0' });
    const job = await jobInState(stack, jobId, (j) => isFinal(j.status));
    expect(job).toMatchObject({ status: JobStatus.Failed, errorCode: 'EXPIRED' });
    expect(job.resultKey).toBeUndefined();
  });
});
