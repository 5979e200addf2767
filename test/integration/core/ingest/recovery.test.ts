/**
 * Ingest recovery against the emulator: failed S3 events on the ingest failures queue are
 * replayed into jobs and deleted, events that still fail stay queued, the upload sweep turns
 * objects that never had an event into jobs (and leaves young, old and already-ingested ones
 * alone), one caller per period sweeps, and the counts add up for `ferry stats`.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, test } from 'vitest';
import { ingestDeps } from '../../../../core/ingest/ingest-deps.ts';
import type { IngestDeps } from '../../../../core/ingest/ingest-object.ts';
import { ingestRecoveryDeps, recoverIngest } from '../../../../core/ingest/recovery.ts';
import { IngestRecoveryStats } from '../../../../core/ingest/recovery-stats.ts';
import { replayIngestFailures } from '../../../../core/ingest/replay.ts';
import { sweepUploads } from '../../../../core/ingest/upload-sweep.ts';
import { JobStatus } from '../../../../core/job.ts';
import { deriveJobId, newJobId, normaliseEtag } from '../../../../core/keys.ts';
import {
  createTestStack,
  drainQueue,
  switchOffUploadEvents,
  type TestStack,
} from '../../../support/local-stack.ts';

let stack: TestStack;
let deps: IngestDeps;
const quiet = { info: () => {}, warn: () => {} };

beforeAll(async () => {
  stack = await createTestStack();
  // No events: every object put here is what a lost S3 event leaves behind.
  await switchOffUploadEvents(stack);
  deps = ingestDeps(stack.aws, stack.outputs, stack.env);
});

let n = 0;
async function put(key = `uploads/lost-${++n}-${Date.now()}.png`) {
  const out = await stack.aws.s3.send(
    new PutObjectCommand({
      Bucket: stack.outputs.bucket,
      Key: key,
      Body: `image ${key}`,
      ContentType: 'image/png',
    }),
  );
  const etag = normaliseEtag(out.ETag ?? '');
  return { key, etag, jobId: deriveJobId({ bucket: stack.outputs.bucket, key, etag }) };
}

/** The record Lambda puts on the on-failure destination after the retries (MiniStack's shape too). */
function destinationRecord(objects: Array<{ key: string; etag: string }>) {
  return JSON.stringify({
    version: '1.0',
    requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
    requestPayload: {
      Records: objects.map((o) => ({
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: stack.outputs.bucket }, object: { key: o.key, eTag: o.etag, size: 1 } },
      })),
    },
    responseContext: { statusCode: 200, functionError: 'Unhandled' },
  });
}

const failuresQueue = () => stack.outputs.ingestFailuresQueueUrl;
const send = (body: string) =>
  stack.aws.sqs.send(new SendMessageCommand({ QueueUrl: failuresQueue(), MessageBody: body }));

async function queued(): Promise<number> {
  const out = await stack.aws.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: failuresQueue(),
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

describe('replayIngestFailures', () => {
  test('turns each failed event into one QUEUED job with one message, and deletes it', async () => {
    const a = await put();
    const b = await put();
    await send(destinationRecord([a, b]));
    await send(destinationRecord([a])); // the same event twice: still one job
    const report = await replayIngestFailures(deps, { queueUrl: failuresQueue() }, quiet);
    expect(report).toEqual({ replayed: 2, failed: 0, unreadable: 0 });
    for (const o of [a, b]) expect((await stack.jobs.get(o.jobId))?.status).toBe(JobStatus.Queued);
    const messages = await drainQueue(stack);
    expect(messages.map((m) => JSON.parse(m.Body ?? '{}').jobId).sort()).toEqual([a.jobId, b.jobId].sort());
    expect(await queued()).toBe(0);
  });

  test('an event that fails again, and a message that is no event, stay queued and are counted', async () => {
    const a = await put();
    await send('not json at all');
    const broken = { ...deps, queueUrl: `${stack.outputs.queueUrl}-missing` };
    await send(destinationRecord([a]));
    const report = await replayIngestFailures(broken, { queueUrl: failuresQueue(), retryAfterSec: 1 }, quiet);
    expect(report).toEqual({ replayed: 0, failed: 1, unreadable: 1 });
    expect(await queued()).toBe(2);
    // Once the fault is gone, the next run ingests it; the unreadable one stays for an operator.
    await new Promise((r) => setTimeout(r, 1500));
    const again = await replayIngestFailures(deps, { queueUrl: failuresQueue(), retryAfterSec: 1 }, quiet);
    expect(again).toEqual({ replayed: 1, failed: 0, unreadable: 1 });
    expect((await stack.jobs.get(a.jobId))?.messageId).toBeDefined();
    await drainQueue(stack);
  });
});

describe('sweepUploads', () => {
  test('ingests uploads without a job in the age window, and only those', async () => {
    const before = await put();
    const orphan = await put();
    // An API upload whose job still waits for it, though the object is there.
    const apiJobId = newJobId();
    const apiKey = `uploads/${apiJobId}/scan.png`;
    await stack.jobs.create({
      jobId: apiJobId,
      status: JobStatus.AwaitingUpload,
      task: 'ocr',
      bucket: stack.outputs.bucket,
      key: apiKey,
    });
    await put(apiKey);
    // Already a job: found by its id, left alone.
    await send(destinationRecord([before]));
    await replayIngestFailures(deps, { queueUrl: failuresQueue() }, quiet);
    await drainQueue(stack);

    const now = new Date(Date.now() + 2000);
    const report = await sweepUploads(
      deps,
      { bucket: stack.outputs.bucket, minAgeSec: 1, maxAgeSec: 60, now },
      quiet,
    );
    expect(report.orphans).toBeGreaterThanOrEqual(2);
    expect((await stack.jobs.get(orphan.jobId))?.status).toBe(JobStatus.Queued);
    expect((await stack.jobs.get(apiJobId))?.status).toBe(JobStatus.Queued);
    const sent = (await drainQueue(stack)).map((m) => JSON.parse(m.Body ?? '{}').jobId);
    expect(sent).toContain(orphan.jobId);
    expect(sent).toContain(apiJobId);
    expect(sent).not.toContain(before.jobId);

    // A second sweep finds nothing new and sends nothing.
    const second = await sweepUploads(
      deps,
      { bucket: stack.outputs.bucket, minAgeSec: 1, maxAgeSec: 60, now },
      quiet,
    );
    expect(second.orphans).toBe(0);
    expect(await drainQueue(stack)).toEqual([]);
  });

  test('leaves uploads younger than the minimum age, and older than the maximum, to others', async () => {
    const young = await put();
    const tooYoung = await sweepUploads(
      deps,
      { bucket: stack.outputs.bucket, minAgeSec: 300, maxAgeSec: 3600 },
      quiet,
    );
    expect(await stack.jobs.get(young.jobId)).toBeUndefined();
    expect(tooYoung.orphans).toBe(0);
    // Seen from an hour later, the object is past a 10-minute maximum age: never re-run.
    const later = new Date(Date.now() + 3600_000);
    const tooOld = await sweepUploads(
      deps,
      { bucket: stack.outputs.bucket, minAgeSec: 1, maxAgeSec: 600, now: later },
      quiet,
    );
    expect(tooOld).toMatchObject({ checked: 0, orphans: 0 });
    expect(await stack.jobs.get(young.jobId)).toBeUndefined();
  });
});

describe('recoverIngest', () => {
  test('one caller per period sweeps, and the counts add up', async () => {
    const d = ingestRecoveryDeps(stack.aws, stack.outputs, {
      ...stack.env,
      FERRY_UPLOAD_SWEEP_SEC: '3600',
      FERRY_UPLOAD_SWEEP_MIN_AGE_SEC: '0',
    });
    if (!d?.stats) throw new Error('the test stack has a clients table and an ingest failures queue');
    const before = await d.stats.read();
    const lost = await put();
    await send(destinationRecord([await put()]));
    await new Promise((r) => setTimeout(r, 1100));
    const [first, second] = await Promise.all([recoverIngest(d, quiet), recoverIngest(d, quiet)]);
    expect([first.sweep, second.sweep].filter(Boolean)).toHaveLength(1);
    expect(first.replay.replayed + second.replay.replayed).toBe(1);
    expect((await stack.jobs.get(lost.jobId))?.status).toBe(JobStatus.Queued);
    const after = await d.stats.read();
    expect(after.replayed - before.replayed).toBe(1);
    expect(after.orphans - before.orphans).toBeGreaterThanOrEqual(1);
    expect(after.lastSweepAt).toBeDefined();
    await drainQueue(stack);
  });

  test('a stats store on a missing table fails the run instead of hiding it', async () => {
    const stats = new IngestRecoveryStats({ dynamo: stack.aws.dynamo, table: 'ferry-no-such-table' });
    await expect(stats.claimSweep(60)).rejects.toThrow();
  });
});
