/**
 * The reconciler function's handler against the emulator, as its schedule invokes it: it sends
 * the message of a QUEUED job that never got one, and its ingest recovery ingests an upload
 * that got no event. Its AWS calls are recorded as `reconciler` for the IAM check.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, expect, it } from 'vitest';
import { JobStatus } from '../../../../core/job.ts';
import { JobStore } from '../../../../core/job-store.ts';
import { parseJobMessage } from '../../../../core/queue-message.ts';
import { handler } from '../../../../functions/reconciler/handler.ts';
import {
  createTestStack,
  drainQueue,
  eventually,
  recordCallsAs,
  switchOffUploadEvents,
  type TestStack,
} from '../../../support/local-stack.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
  await switchOffUploadEvents(stack);
  Object.assign(process.env, stack.env, {
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    // Sweep uploads of any age: the test's upload is seconds old.
    FERRY_UPLOAD_SWEEP_MIN_AGE_SEC: '0',
  });
  recordCallsAs('reconciler');
});

it("sends a stranded job's message and ingests an upload that got no event", async () => {
  // A QUEUED job created a minute ago whose message was never sent (ingest died in between).
  const minuteAgo = new JobStore({
    dynamo: stack.aws.dynamo,
    table: stack.outputs.table,
    now: () => new Date(Date.now() - 60_000),
  });
  await minuteAgo.create({
    jobId: 'stranded',
    status: JobStatus.Queued,
    task: 'ocr',
    bucket: stack.outputs.bucket,
    key: 'uploads/stranded.png',
  });
  await stack.aws.s3.send(
    new PutObjectCommand({
      Bucket: stack.outputs.bucket,
      Key: `uploads/${stack.client.clientId}/no-event.png`,
      Body: 'png',
    }),
  );

  const report = await handler();

  expect(report.sent).toEqual(['stranded']);
  const messages = await eventually(async () => {
    const all = await drainQueue(stack, { waitSec: 1 });
    return all.length >= 2 ? all : undefined;
  });
  const keys = await Promise.all(
    messages.map(async (m) => (await stack.jobs.get(parseJobMessage(m.Body)?.jobId ?? ''))?.key),
  );
  expect(keys.sort()).toEqual([`uploads/${stack.client.clientId}/no-event.png`, 'uploads/stranded.png']);
});
