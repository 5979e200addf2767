/**
 * Jobs of the sleep fixture task (test/fixtures/tasks/sleep-task.ts) dropped straight into a
 * test stack's bucket, and waiting for a job to reach a state: delivery tests use them where the
 * point is the pipeline, not the model.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Job } from '../../core/job.ts';
import { deriveJobId } from '../../core/keys.ts';
import { eventually, type TestStack } from './local-stack.ts';

export const SLEEP_TASK_MODULE = 'test/fixtures/tasks/sleep-task.ts';

/** Uploads a sleep job of `ms` and waits for ingest to record it; returns its job id. */
export async function sleepJob(
  stack: TestStack,
  name: string,
  ms: number,
  metadata: Record<string, string> = {},
): Promise<string> {
  const key = `uploads/${name}.json`;
  const out = await stack.aws.s3.send(
    new PutObjectCommand({
      Bucket: stack.outputs.bucket,
      Key: key,
      Body: JSON.stringify({ ms }),
      Metadata: { 'ferry-task': 'sleep', ...metadata },
    }),
  );
  const jobId = deriveJobId({ bucket: stack.outputs.bucket, key, etag: String(out.ETag) });
  await eventually(() => stack.jobs.get(jobId), { timeoutMs: 30_000 });
  return jobId;
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
