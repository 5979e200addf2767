/**
 * Every job reaches a final state whatever died where, with real worker processes: kill -9 of
 * workers right after they claimed jobs (before any heartbeat), 20 times over, with leases as
 * short as the visibility timeout; and a QUEUED job whose message was lost, re-sent by the
 * reconciler.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFinal, JobStatus } from '../../core/job.ts';
import {
  createTestStack,
  eventually,
  switchOffUploadEvents,
  type TestStack,
} from '../support/local-stack.ts';
import { jobInState, sleepJob, startSleepWorker } from '../support/sleep-jobs.ts';
import type { WorkerProcess } from '../support/worker-process.ts';

let stack: TestStack;
const workers: WorkerProcess[] = [];

beforeEach(async () => {
  stack = await createTestStack();
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop('SIGKILL')));
});

/** Lease = visibility = 2 s; the first heartbeat would come after 1.5 s. */
async function worker(env: Record<string, string> = {}): Promise<WorkerProcess> {
  const w = await startSleepWorker(stack, { FERRY_HEARTBEAT_SEC: '1.5', FERRY_BUILT_IN_TASKS: '', ...env });
  workers.push(w);
  return w;
}

describe('recovery (emulator, worker processes)', () => {
  it('kill -9 of workers with claimed, not yet heartbeated jobs, 20 times: every job SUCCEEDED exactly once', {
    timeout: 240_000,
  }, async () => {
    // 4 rounds of 5: a job's message is received at most once per round by a victim, so it
    // stays within the queue's 5 receives before the dead-letter queue.
    const ROUNDS = 4;
    const PARALLEL = 5;
    const jobIds: string[] = [];
    let kills = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const victims = await Promise.all(
        Array.from({ length: PARALLEL }, () => worker({ FERRY_MAX_IN_FLIGHT: '1' })),
      );
      const fresh = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) => sleepJob(stack, `kill-${round}-${i}`, 500)),
      );
      jobIds.push(...fresh);
      // Each victim dies the moment it has claimed a job: before its first heartbeat.
      await Promise.all(
        victims.map(async (v) => {
          await v.waitForLog((l) => l.msg === 'job claimed', 20_000);
          await v.stop('SIGKILL');
          kills++;
        }),
      );
    }
    expect(kills).toBe(ROUNDS * PARALLEL);
    const survivor = await worker();
    for (const jobId of jobIds) {
      const job = await jobInState(stack, jobId, (j) => isFinal(j.status), 60_000);
      expect(job.status, `${jobId}: ${job.errorCode} ${job.error}`).toBe(JobStatus.Succeeded);
    }
    // Exactly once to completion: no job has two "job succeeded" lines across all workers (a
    // victim may finish a job just before the kill lands, even before it could log it).
    const done = workers.flatMap((w) =>
      w.logs.filter((l) => l.msg === 'job succeeded').map((l) => String(l.jobId)),
    );
    expect(new Set(done).size).toBe(done.length);
    expect(done.every((id) => jobIds.includes(id))).toBe(true);
    expect(survivor.child.exitCode).toBeNull();
  });

  it('re-sends the message of a QUEUED job whose message was lost, and the job completes', async () => {
    // A job recorded as ingest would, whose message never reached the queue. Under uploads/, as
    // every job's input (the worker's role may read nothing else), with the upload event off so
    // ingest does not make a second job of it.
    await switchOffUploadEvents(stack);
    const key = 'uploads/lost-message.json';
    const out = await stack.aws.s3.send(
      new PutObjectCommand({ Bucket: stack.outputs.bucket, Key: key, Body: JSON.stringify({ ms: 50 }) }),
    );
    const { job } = await stack.jobs.create({
      jobId: 'lost-message-job',
      status: JobStatus.Queued,
      task: 'sleep',
      bucket: stack.outputs.bucket,
      key,
      size: 10,
      etag: String(out.ETag),
    });
    expect(job.messageId).toBeUndefined();
    await worker({ FERRY_RECONCILE_SEC: '0.5', FERRY_SEND_CLAIM_STALE_SEC: '0' });
    const done = await jobInState(stack, job.jobId, (j) => isFinal(j.status));
    expect(done).toMatchObject({ status: JobStatus.Succeeded, attempts: 1 });
    expect(done.messageId).toBeDefined();
    await eventually(async () => ((await stack.jobs.get(job.jobId))?.status ? true : undefined));
  });
});
