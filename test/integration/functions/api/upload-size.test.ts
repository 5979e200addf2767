/**
 * An API upload is bounded by what arrives, not by what was declared or signed (issue 19). Each
 * presigned URL signs its exact Content-Length, and MiniStack, as AWS S3, refuses a body of
 * another length (403). The bytes that go around a URL (sent with credentials for the bucket, as
 * a holder of them, or a store that checks no signature, may) are caught by what Ferry checks
 * itself: `complete` refuses parts of the wrong size (422), and ingest, reached by a
 * CompleteMultipartUpload sent straight to S3 or by a PutObject at the job's key, fails the job
 * and deletes the object. Default limits: multipart above 64 MiB, parts of 16 MiB.
 */
import {
  CompleteMultipartUploadCommand,
  HeadObjectCommand,
  ListPartsCommand,
  NoSuchUpload,
  NotFound,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Job, JobErrorCode, JobStatus } from '../../../../core/job.ts';
import { parseJobMessage } from '../../../../core/queue-message.ts';
import { type LocalApi, startLocalApi } from '../../../../functions/api/local-server.ts';
import { fetchAs } from '../../../support/api.ts';
import { createTestStack, drainQueue, eventually, type TestStack } from '../../../support/local-stack.ts';

const MiB = 1024 * 1024;
/** The declaration of issue 19: one byte over the multipart threshold, so 4 parts of 16 MiB and 1 byte. */
const DECLARED = 64 * MiB + 1;
const PART = 16 * MiB;

let API_KEY = '';
let stack: TestStack;
let api: LocalApi;

beforeAll(async () => {
  stack = await createTestStack();
  API_KEY = stack.client.apiKey;
  Object.assign(process.env, stack.env, { POWERTOOLS_LOG_LEVEL: 'ERROR' });
  api = await startLocalApi({ port: 0 });
});

afterAll(async () => {
  await api?.close();
});

const call = (method: string, path: string, body?: unknown) => fetchAs(api.url, API_KEY, method, path, body);

async function create(size: number, contentType = 'video/mp4') {
  const res = await call('POST', '/uploads', { filename: 'talk.mp4', contentType, size });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json;
}

/** PUTs `bytes` to a presigned URL; the body's own length is its Content-Length. */
async function putBytes(url: string, bytes: Uint8Array, headers: Record<string, string> = {}) {
  return fetch(url, { method: 'PUT', body: bytes, headers });
}

/** Sends part `partNumber` with the stack's credentials: around the signed URL and its Content-Length. */
async function sendPartAround(created: { key: string; upload: { uploadId: string } }, bytes: Uint8Array) {
  const out = await stack.aws.s3.send(
    new UploadPartCommand({
      Bucket: stack.outputs.bucket,
      Key: created.key,
      UploadId: created.upload.uploadId,
      PartNumber: 1,
      Body: bytes,
    }),
  );
  return String(out.ETag);
}

const waitForStatus = (jobId: string, status: JobStatus) =>
  eventually(
    async () => {
      const job = await stack.jobs.get(jobId);
      return job?.status === status ? job : undefined;
    },
    { timeoutMs: 20_000 },
  );

async function objectExists(key: string): Promise<boolean> {
  try {
    await stack.aws.s3.send(new HeadObjectCommand({ Bucket: stack.outputs.bucket, Key: key }));
    return true;
  } catch (error) {
    if (error instanceof NotFound) return false;
    throw error;
  }
}

/** The job queue's messages for `jobId` (drained: each test looks once, after its job ended). */
async function messagesFor(jobId: string): Promise<number> {
  const messages = await drainQueue(stack, { waitSec: 1 });
  return messages.filter((m) => parseJobMessage(m.Body ?? '')?.jobId === jobId).length;
}

function expectRefused(job: Job, sentence: string) {
  expect(job).toMatchObject({ status: JobStatus.Failed, errorCode: JobErrorCode.InvalidInput });
  expect(job.error).toContain(sentence);
  expect(job.queuedAt).toBeUndefined();
  expect(job.messageId).toBeUndefined();
}

describe('multipart', () => {
  it('gives each part its exact size and signs it as Content-Length, which the emulator checks as S3 does', async () => {
    const created = await create(DECLARED);
    expect(created.upload).toMatchObject({ method: 'MULTIPART', partSize: PART, partCount: 5 });
    const parts = created.upload.parts as { partNumber: number; url: string; size: number }[];
    expect(parts.map((p) => p.size)).toEqual([PART, PART, PART, PART, 1]);
    for (const part of parts) {
      const url = new URL(part.url);
      expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual(['content-length', 'host']);
    }
    const more = await call('GET', `/uploads/${created.jobId}/parts?from=5`);
    expect(more.json.parts).toMatchObject([{ partNumber: 5, size: 1 }]);
    // The emulator checks the signature as S3 does: a byte more than signed is refused.
    const last = parts[4] as { url: string };
    expect((await putBytes(last.url, new Uint8Array(2))).status).toBe(403);
    expect((await putBytes(last.url, new Uint8Array(1))).status).toBe(200);
    await call('DELETE', `/uploads/${created.jobId}`);
  });

  it('refuses at complete a part 1 larger than planned: 422 naming parts, upload aborted, job FAILED', async () => {
    const created = await create(DECLARED);
    const etag = await sendPartAround(created, new Uint8Array(PART + 1));

    const done = await call('POST', `/uploads/${created.jobId}/complete`, {
      parts: [{ partNumber: 1, etag }],
    });
    expect(done.status, JSON.stringify(done.json)).toBe(422);
    expect(done.json.error).toMatchObject({
      code: 'UPLOAD_SIZE_MISMATCH',
      field: 'parts',
      status: JobStatus.Failed,
    });
    expect(done.json.error.message).toContain('part 1 is 16777217 bytes, expected 16777216');

    const job = await stack.jobs.require(created.jobId);
    expectRefused(job, 'The upload does not match its declared size: part 1 is 16777217 bytes');
    await expect(
      stack.aws.s3.send(
        new ListPartsCommand({
          Bucket: stack.outputs.bucket,
          Key: created.key,
          UploadId: created.upload.uploadId,
        }),
      ),
    ).rejects.toBeInstanceOf(NoSuchUpload);
    expect(await objectExists(created.key)).toBe(false);
    expect(await messagesFor(created.jobId)).toBe(0);
    // The upload is over: a second try is refused as for any ended job.
    expect(
      (await call('POST', `/uploads/${created.jobId}/complete`, { parts: [{ partNumber: 1, etag }] })).status,
    ).toBe(409);
  });

  it('leaves the upload open when the list lacks a part that has not arrived yet (400 parts)', async () => {
    const created = await create(DECLARED);
    const sent = await putBytes(created.upload.parts[0].url, new Uint8Array(PART));
    expect(sent.status).toBe(200);
    const etag = String(sent.headers.get('etag'));
    const early = await call('POST', `/uploads/${created.jobId}/complete`, {
      parts: [{ partNumber: 1, etag }],
    });
    expect(early.status).toBe(400);
    expect(early.json.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'parts' });
    expect(early.json.error.message).toContain('must list every part 1..5 once');
    const listed = [1, 2, 3, 4, 5].map((partNumber) => ({ partNumber, etag }));
    const missing = await call('POST', `/uploads/${created.jobId}/complete`, { parts: listed });
    expect(missing.status).toBe(400);
    expect(missing.json.error.message).toContain('part 2 has not arrived');
    expect((await stack.jobs.require(created.jobId)).status).toBe(JobStatus.AwaitingUpload);
    await call('DELETE', `/uploads/${created.jobId}`);
  });

  it('fails the job at ingest when complete is bypassed: 100,000,000 bytes on 67,108,865 declared, object deleted', async () => {
    const created = await create(DECLARED);
    const etag = await sendPartAround(created, new Uint8Array(100_000_000));
    // Straight to S3, as a client holding the upload id and credentials may: no API check on the way.
    await stack.aws.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: stack.outputs.bucket,
        Key: created.key,
        UploadId: created.upload.uploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: etag }] },
      }),
    );
    const job = await waitForStatus(created.jobId, JobStatus.Failed);
    expectRefused(job, 'uploaded 100000000 bytes, declared 67108865');
    expect(job.size).toBe(DECLARED);
    expect(await eventually(async () => ((await objectExists(created.key)) ? undefined : true))).toBe(true);
    expect(await messagesFor(created.jobId)).toBe(0);
  });
});

describe('single PUT', () => {
  it('fails the job at ingest when more bytes arrive than declared, and deletes the object', async () => {
    const created = await create(1000, 'image/png');
    expect(created.upload.method).toBe('PUT');
    // Through the URL the emulator refuses it, as S3 does: the URL signs Content-Length 1000.
    const typeOnly = { 'Content-Type': 'image/png' };
    expect((await putBytes(created.upload.url, new Uint8Array(2000), typeOnly)).status).toBe(403);
    // Around it, with credentials, it arrives.
    await stack.aws.s3.send(
      new PutObjectCommand({
        Bucket: stack.outputs.bucket,
        Key: created.key,
        Body: new Uint8Array(2000),
        ContentType: 'image/png',
      }),
    );
    const job = await waitForStatus(created.jobId, JobStatus.Failed);
    expectRefused(job, 'The upload does not match its declared size: uploaded 2000 bytes, declared 1000');
    expect(await eventually(async () => ((await objectExists(created.key)) ? undefined : true))).toBe(true);
    expect(await messagesFor(created.jobId)).toBe(0);
  });

  it('queues the upload that is its declared size', async () => {
    const created = await create(1000, 'image/png');
    expect((await putBytes(created.upload.url, new Uint8Array(1000), created.upload.headers)).status).toBe(
      200,
    );
    const job = await waitForStatus(created.jobId, JobStatus.Queued);
    expect(job.size).toBe(1000);
    expect(await messagesFor(created.jobId)).toBe(1);
  });
});
