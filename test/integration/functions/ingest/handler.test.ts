/**
 * The ingest function as deployed into the emulator: S3 uploads to `uploads/` become exactly one
 * QUEUED job with one queue message, whatever the key and however often the event arrives.
 */

import { GetFunctionEventInvokeConfigCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../../../core/config.ts';
import { ingestObject } from '../../../../core/ingest/ingest-object.ts';
import { type Job, JobStatus } from '../../../../core/job.ts';
import { deriveJobId } from '../../../../core/keys.ts';
import { parseJobMessage } from '../../../../core/queue-message.ts';
import { createTestStack, drainQueue, eventually, type TestStack } from '../../../support/local-stack.ts';

let stack: TestStack;
let lambda: LambdaClient;
const functionName = () => stack.outputs.table.replace('ferry-jobs', 'ferry-ingest');

beforeAll(async () => {
  stack = await createTestStack();
  lambda = new LambdaClient({});
});

async function put(key: string, body: string | Uint8Array, contentType = 'image/png') {
  const out = await stack.aws.s3.send(
    new PutObjectCommand({ Bucket: stack.outputs.bucket, Key: key, Body: body, ContentType: contentType }),
  );
  return { key, etag: String(out.ETag) };
}

const jobFor = (object: { key: string; etag: string }) =>
  deriveJobId({ bucket: stack.outputs.bucket, key: object.key, etag: object.etag });

const waitForJob = (jobId: string) => eventually(() => stack.jobs.get(jobId), { timeoutMs: 15_000 });

function s3Event(key: string, etag: string, size = 4) {
  return {
    Records: [
      {
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: stack.outputs.bucket }, object: { key, eTag: etag, size } },
      },
    ],
  };
}

async function invokeIngest(event: unknown): Promise<void> {
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: functionName(), Payload: Buffer.from(JSON.stringify(event)) }),
  );
  expect(out.FunctionError, Buffer.from(out.Payload ?? []).toString()).toBeUndefined();
}

describe('ingest (emulator)', () => {
  it('turns uploads with spaces, "+", "%" and non-ASCII keys into one QUEUED job and one message each', async () => {
    const keys = [
      'uploads/plain.png',
      'uploads/my scan 1.png',
      'uploads/a+b.png',
      'uploads/100% done.png',
      'uploads/ünï 日本.png',
    ];
    const objects = await Promise.all(keys.map((key) => put(key, `body of ${key}`)));
    const jobs = await Promise.all(objects.map((o) => waitForJob(jobFor(o))));
    for (const [i, job] of jobs.entries()) {
      expect(job).toMatchObject({
        status: JobStatus.Queued,
        bucket: stack.outputs.bucket,
        key: keys[i],
        task: 'ocr',
        size: Buffer.byteLength(`body of ${keys[i]}`),
        etag: objects[i]?.etag.replaceAll('"', ''),
        contentType: 'image/png',
        attempts: 0,
      } satisfies Partial<Job>);
      expect(job.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(job.expiresAt).toBeGreaterThan(Date.now() / 1000);
    }
    const messages = (await drainQueue(stack, { waitSec: 1 })).map((m) => parseJobMessage(m.Body));
    expect(messages).toHaveLength(keys.length);
    expect(new Set(messages.map((m) => m?.jobId))).toEqual(new Set(jobs.map((j) => j.jobId)));
    expect(messages.every((m) => m?.task === 'ocr' && m.bucket === stack.outputs.bucket)).toBe(true);
  });

  it('accepts an upload through a presigned PUT URL', async () => {
    const key = 'uploads/presigned upload.png';
    const url = await getSignedUrl(
      stack.aws.s3,
      new PutObjectCommand({ Bucket: stack.outputs.bucket, Key: key, ContentType: 'image/png' }),
      { expiresIn: 300 },
    );
    const res = await fetch(url, {
      method: 'PUT',
      body: 'presigned',
      headers: { 'content-type': 'image/png' },
    });
    expect(res.ok).toBe(true);
    const job = await waitForJob(jobFor({ key, etag: String(res.headers.get('etag')) }));
    expect(job.status).toBe(JobStatus.Queued);
    expect(await drainQueue(stack, { waitSec: 1 })).toHaveLength(1);
  });

  it('yields one job and one message when the same event is delivered twice', async () => {
    const object = await put('uploads/twice.png', 'twice');
    // Wait for the real event's ingest to finish (its message sent and recorded) first.
    const job = await eventually(async () => {
      const j = await stack.jobs.get(jobFor(object));
      return j?.messageId ? j : undefined;
    });
    await invokeIngest(s3Event(object.key, object.etag));
    await invokeIngest(s3Event(object.key, object.etag));
    expect(await stack.jobs.get(job.jobId)).toMatchObject({
      status: JobStatus.Queued,
      messageId: job.messageId,
    });
    expect(await drainQueue(stack, { waitSec: 1 })).toHaveLength(1);
  });

  it('sends one message for 100 concurrent duplicates of one event (the send is claimed first)', async () => {
    // Outside uploads/, so no notification races the duplicates: all 100 start from nothing.
    const object = await put('incoming/burst.png', 'burst');
    await drainQueue(stack, { waitSec: 1 });
    const deps = { ...stack.aws, jobs: stack.jobs, queueUrl: stack.outputs.queueUrl };
    const stored = { key: 'uploads/burst.png', etag: object.etag, size: 5, metadata: {} };
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, () => ingestObject(deps, stack.outputs.bucket, stored)),
    );
    expect(outcomes.filter((o) => o.outcome === 'enqueued')).toHaveLength(1);
    expect(new Set(outcomes.map((o) => o.job.jobId)).size).toBe(1);
    const messages = await drainQueue(stack, { waitSec: 1 });
    expect(messages).toHaveLength(1);
    expect((await stack.jobs.get(jobFor(stored)))?.messageId).toBe(messages[0]?.MessageId);
  });

  it('sends the missing message when a retry finds a job that a crash left un-enqueued', async () => {
    // Upload outside uploads/ so no notification fires, then create the record as a crashed
    // first attempt would have: written, but never enqueued.
    const object = await put('incoming/crashed.png', 'crashed');
    const key = 'uploads/crashed.png';
    await put(key, 'crashed');
    const jobId = jobFor({ key, etag: object.etag });
    await waitForJob(jobId);
    await drainQueue(stack, { waitSec: 1 });
    // Simulate the crash: forget the message id and the send claim, as if the send never happened.
    await stack.aws.dynamo.send(
      new (await import('@aws-sdk/lib-dynamodb')).UpdateCommand({
        TableName: stack.outputs.table,
        Key: { jobId },
        UpdateExpression: 'REMOVE messageId, sendClaimId, sendClaimedAt',
      }),
    );
    await invokeIngest(s3Event(key, object.etag));
    await invokeIngest(s3Event(key, object.etag));
    const messages = await drainQueue(stack, { waitSec: 1 });
    expect(messages.map((m) => parseJobMessage(m.Body)?.jobId)).toEqual([jobId]);
    expect((await stack.jobs.get(jobId))?.messageId).toBe(messages[0]?.MessageId);
  });

  it('makes a new job for new content under the same key', async () => {
    const first = await put('uploads/same-key.png', 'version 1');
    await waitForJob(jobFor(first));
    const second = await put('uploads/same-key.png', 'version 2');
    expect(jobFor(first)).not.toBe(jobFor(second));
    await waitForJob(jobFor(second));
    expect(await drainQueue(stack, { waitSec: 1 })).toHaveLength(2);
  });

  it("leaves an event for overwritten content to the newer upload's own event", async () => {
    const current = await put('uploads/overwritten.png', 'new');
    await waitForJob(jobFor(current));
    // An older version's event, delivered late: its content is no longer in the bucket.
    const old = { key: current.key, etag: 'e5c3b8c3a4b1d2f0e5c3b8c3a4b1d2f0' };
    await invokeIngest(s3Event(old.key, old.etag));
    const messages = (await drainQueue(stack, { waitSec: 1 })).map((m) => parseJobMessage(m.Body)?.jobId);
    expect(messages).toContain(jobFor(current));
    expect(messages).not.toContain(jobFor(old));
  });

  it('sends events that fail every retry to the ingest failures queue, as on AWS', async () => {
    const config = await lambda.send(
      new GetFunctionEventInvokeConfigCommand({ FunctionName: functionName() }),
    );
    expect(config.MaximumRetryAttempts).toBe(FUNCTIONS.ingest.asyncRetries);
    expect(config.DestinationConfig?.OnFailure?.Destination).toMatch(/ferry-ingest-failures-/);
  });

  it('ignores other prefixes, folder placeholders and S3 test events', async () => {
    const outside = await put('other/ignored.png', 'x');
    const folder = await put('uploads/folder/', '');
    await invokeIngest({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: stack.outputs.bucket });
    await invokeIngest(s3Event(outside.key, outside.etag));
    await new Promise((r) => setTimeout(r, 1000));
    expect(await stack.jobs.get(jobFor(outside))).toBeUndefined();
    expect(await stack.jobs.get(jobFor(folder))).toBeUndefined();
    expect(await drainQueue(stack, { waitSec: 1 })).toHaveLength(0);
  });

  it('skips an event whose object was deleted before ingest, without failing the others', async () => {
    const real = await put('incoming/real.png', 'real');
    await put('uploads/real.png', 'real');
    await waitForJob(jobFor({ key: 'uploads/real.png', etag: real.etag }));
    await drainQueue(stack, { waitSec: 1 });
    const event = s3Event('uploads/gone.png', 'nope');
    event.Records.push(s3Event('uploads/real.png', real.etag).Records[0] as (typeof event.Records)[0]);
    await invokeIngest(event);
    expect(await drainQueue(stack, { waitSec: 1 })).toHaveLength(0);
  });
});
