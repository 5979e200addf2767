/**
 * The worker downloads a job's input with `IfMatch` on the ETag ingest recorded: against the
 * real emulator, the recorded ETag fetches the object, and once the object is replaced under the
 * same key the same request fails with PreconditionFailed, which the runner turns into a job
 * failed with INPUT_CHANGED (test/unit/gpu-worker/job-runner.test.ts).
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, expect, it } from 'vitest';
import { JobStatus } from '../../../core/job.ts';
import { deriveJobId } from '../../../core/keys.ts';
import { createTestStack, eventually, type TestStack } from '../../support/local-stack.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
});

it('the ETag recorded at ingest matches the upload and stops matching once it is replaced', async () => {
  const key = 'uploads/etag-check.png';
  const put = await stack.aws.s3.send(
    new PutObjectCommand({ Bucket: stack.outputs.bucket, Key: key, Body: 'first version' }),
  );
  const jobId = deriveJobId({ bucket: stack.outputs.bucket, key, etag: put.ETag ?? '' });
  const job = await eventually(
    async () => {
      const j = await stack.jobs.get(jobId);
      return j?.status === JobStatus.Queued ? j : undefined;
    },
    { timeoutMs: 20_000 },
  );
  expect(job.etag).toBeTruthy();
  const download = (etag: string) =>
    stack.aws.s3.send(new GetObjectCommand({ Bucket: stack.outputs.bucket, Key: key, IfMatch: `"${etag}"` }));

  const first = await download(job.etag ?? '');
  expect(await first.Body?.transformToString()).toBe('first version');

  await stack.aws.s3.send(new PutObjectCommand({ Bucket: stack.outputs.bucket, Key: key, Body: 'replaced' }));
  await expect(download(job.etag ?? '')).rejects.toMatchObject({ name: 'PreconditionFailed' });
});
