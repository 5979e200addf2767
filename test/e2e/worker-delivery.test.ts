/**
 * Delivery guarantees of the real worker process, with a test task that blocks its inference
 * thread like a long GPU job: a job longer than the visibility timeout runs exactly once (the
 * heartbeat), SIGTERM loses nothing, a cancel stops a running job, and the main thread answers
 * health checks throughout.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFinal, JobStatus } from '../../core/job.ts';
import { createTestStack, eventually, type TestStack } from '../support/local-stack.ts';
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

/** Short visibility and heartbeat, so "longer than the visibility timeout" takes seconds. */
async function worker(env: Record<string, string> = {}): Promise<WorkerProcess> {
  const w = await startSleepWorker(stack, { FERRY_HEARTBEAT_SEC: '0.5', ...env });
  workers.push(w);
  return w;
}

const claims = (w: WorkerProcess, jobId: string) =>
  w.logs.filter((l) => l.msg === 'job claimed' && l.jobId === jobId);

async function queueDepth(): Promise<number> {
  const out = await stack.aws.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: stack.outputs.queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

describe('worker delivery (emulator)', () => {
  it('runs a job three times longer than the visibility timeout exactly once, with two workers polling', async () => {
    const [a, b] = await Promise.all([worker(), worker()]);
    const jobId = await sleepJob(stack, 'long', 6000);
    const job = await jobInState(stack, jobId, (j) => isFinal(j.status));
    expect(job).toMatchObject({ status: JobStatus.Succeeded, attempts: 1 });
    expect(claims(a, jobId).length + claims(b, jobId).length).toBe(1);
    const results = await stack.aws.s3.send(
      new ListObjectsV2Command({ Bucket: stack.outputs.bucket, Prefix: 'results/' }),
    );
    expect(results.KeyCount).toBe(1);
    await eventually(async () => ((await queueDepth()) === 0 ? true : undefined));
  });

  it('keeps answering health checks while the inference thread is blocked', async () => {
    const w = await worker();
    const jobId = await sleepJob(stack, 'blocking', 3000);
    await jobInState(stack, jobId, (j) => j.status === JobStatus.Running);
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      expect((await fetch(`${w.healthUrl}/healthz`)).status).toBe(200);
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await stack.jobs.get(jobId))?.status).toBe(JobStatus.Running);
    // A blocked main thread would hold a request for the rest of the 3 s job.
    expect(Math.max(...latencies)).toBeLessThan(500);
  });

  it('on SIGTERM finishes in-flight jobs within the grace period and exits 0', async () => {
    const w = await worker({ FERRY_SHUTDOWN_GRACE_SEC: '20' });
    const jobId = await sleepJob(stack, 'finish-on-term', 2000);
    await jobInState(stack, jobId, (j) => j.status === JobStatus.Running);
    expect(await w.stop('SIGTERM')).toBe(0);
    expect(await stack.jobs.get(jobId)).toMatchObject({ status: JobStatus.Succeeded, attempts: 1 });
  });

  it('on SIGTERM past the grace period releases held jobs, and another worker completes them at once', async () => {
    const a = await worker({
      FERRY_SHUTDOWN_GRACE_SEC: '0.5',
      FERRY_VISIBILITY_TIMEOUT_SEC: '30',
      FERRY_HEARTBEAT_SEC: '5',
    });
    const jobs = await Promise.all([
      sleepJob(stack, 'released-1', 4000),
      sleepJob(stack, 'released-2', 4000),
    ]);
    await jobInState(stack, jobs[0] as string, (j) => j.status === JobStatus.Running);
    await new Promise((r) => setTimeout(r, 500));
    expect(await a.stop('SIGTERM')).toBe(0);
    expect(a.logs.some((l) => l.msg === 'job released for another worker (shutdown)')).toBe(true);
    const started = Date.now();
    await worker({ FERRY_VISIBILITY_TIMEOUT_SEC: '30', FERRY_HEARTBEAT_SEC: '5' });
    for (const jobId of jobs) {
      expect(await jobInState(stack, jobId, (j) => isFinal(j.status))).toMatchObject({
        status: JobStatus.Succeeded,
      });
    }
    // Released jobs need not wait out the 30 s visibility timeout or lease.
    expect(Date.now() - started).toBeLessThan(25_000);
  });

  it('releases a message its last long poll brings in after SIGTERM, instead of hiding it', async () => {
    const a = await worker({
      FERRY_RECEIVE_WAIT_SEC: '5',
      FERRY_VISIBILITY_TIMEOUT_SEC: '60',
      FERRY_HEARTBEAT_SEC: '5',
    });
    const stopped = a.stop('SIGTERM');
    const jobId = await sleepJob(stack, 'after-sigterm', 100);
    expect(await stopped).toBe(0);
    expect(claims(a, jobId)).toHaveLength(0);
    const started = Date.now();
    await worker({ FERRY_VISIBILITY_TIMEOUT_SEC: '60', FERRY_HEARTBEAT_SEC: '5' });
    expect(await jobInState(stack, jobId, (j) => isFinal(j.status))).toMatchObject({
      status: JobStatus.Succeeded,
    });
    // Not held back by a 60 s visibility timeout from the stopped worker's receive.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('marks a job FAILED when its message lands in the dead-letter queue (the worker crashed on it)', async () => {
    const jobId = await sleepJob(stack, 'dead-lettered', 60_000);
    // Claimed by a worker that died: its lease lapses at once, so the job is nobody's.
    const job = await stack.jobs.claim(jobId, 'crashed-worker', 1);
    // What SQS does after the last delivery whose worker died: move the message to the DLQ.
    const moved = await stack.aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: stack.outputs.queueUrl, WaitTimeSeconds: 5 }),
    );
    for (const m of moved.Messages ?? []) {
      await stack.aws.sqs.send(
        new DeleteMessageCommand({ QueueUrl: stack.outputs.queueUrl, ReceiptHandle: m.ReceiptHandle }),
      );
    }
    await stack.aws.sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.outputs.dlqUrl,
        MessageBody: JSON.stringify({ jobId, bucket: job.bucket, key: job.key, task: job.task }),
      }),
    );
    await worker({ FERRY_DLQ_SWEEP_SEC: '0.5' });
    const failed = await jobInState(stack, jobId, (j) => isFinal(j.status), 10_000);
    expect(failed).toMatchObject({ status: JobStatus.Failed, errorCode: 'DEAD_LETTERED' });
    expect(failed.error).toMatch(/dead-letter queue after 5 deliveries/);
  });

  it('stops working on a job canceled while it runs, and keeps it CANCELED', async () => {
    const w = await worker();
    const jobId = await sleepJob(stack, 'canceled', 3000);
    await jobInState(stack, jobId, (j) => j.status === JobStatus.Running);
    await stack.jobs.cancel(jobId);
    await w.waitForLog((l) => l.jobId === jobId && l.msg === 'job changed under us; stopping', 10_000);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await stack.jobs.get(jobId)).toMatchObject({ status: JobStatus.Canceled });
    const results = await stack.aws.s3.send(
      new ListObjectsV2Command({ Bucket: stack.outputs.bucket, Prefix: 'results/' }),
    );
    expect(results.KeyCount ?? 0).toBe(0);
    expect(await queueDepth()).toBe(0);
  });
});
