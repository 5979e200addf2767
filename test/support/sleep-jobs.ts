/**
 * Files dropped straight into a test stack's bucket as any S3 client would, jobs of the sleep
 * fixture task (test/fixtures/tasks/sleep-task.ts) and the worker processes that run only it,
 * and waiting for a job to reach a state: delivery tests use the sleep task where the point is
 * the pipeline, not the model.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Job } from '../../core/job.ts';
import { deriveJobId } from '../../core/keys.ts';
import { eventually, type TestStack } from './local-stack.ts';
import { startWorker, type WorkerProcess } from './worker-process.ts';

export const SLEEP_TASK_MODULE = 'test/fixtures/tasks/sleep-task.ts';

/** PUTs `body` at `key` in the stack's bucket; returns the job id ingest derives for it. */
export async function dropUpload(
  stack: TestStack,
  key: string,
  body: Uint8Array | string,
  metadata: Record<string, string> = {},
): Promise<string> {
  const out = await stack.aws.s3.send(
    new PutObjectCommand({ Bucket: stack.outputs.bucket, Key: key, Body: body, Metadata: metadata }),
  );
  return deriveJobId({ bucket: stack.outputs.bucket, key, etag: String(out.ETag) });
}

/** The metadata that makes a direct upload a sleep job (the task's input is `{"ms": n}`). */
export const SLEEP_METADATA = { 'ferry-task': 'sleep' } as const;

/** Uploads a sleep job of `ms` and waits for ingest to record it; returns its job id. */
export async function sleepJob(
  stack: TestStack,
  name: string,
  ms: number,
  metadata: Record<string, string> = {},
): Promise<string> {
  const jobId = await dropUpload(stack, `uploads/${name}.json`, JSON.stringify({ ms }), {
    ...SLEEP_METADATA,
    ...metadata,
  });
  await eventually(() => stack.jobs.get(jobId), { timeoutMs: 30_000 });
  return jobId;
}

/**
 * A worker process that runs the sleep task with a 2 s lease (visibility) and one inference
 * thread, so "longer than the lease" takes seconds; `env` adds to it or overrides it.
 */
export function startSleepWorker(stack: TestStack, env: Record<string, string> = {}): Promise<WorkerProcess> {
  return startWorker({
    ...stack.env,
    FERRY_TASK_MODULES: SLEEP_TASK_MODULE,
    FERRY_VISIBILITY_TIMEOUT_SEC: '2',
    FERRY_INFERENCE_THREADS: '1',
    ...env,
  });
}

export const jobInState = (
  stack: TestStack,
  jobId: string,
  accept: (job: Job) => boolean,
  timeoutMs = 30_000,
): Promise<Job> =>
  eventually(
    async () => {
      const job = await stack.jobs.get(jobId);
      return job && accept(job) ? job : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
