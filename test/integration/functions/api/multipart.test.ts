/**
 * The multipart upload routes against the emulator: the plan for a large upload (parts, their
 * URLs a page at a time), refusals that name the field or say why, and completion that fires
 * ingest like any upload. MiniStack implements S3 multipart uploads, presigned part URLs
 * included, and sends ObjectCreated when one completes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { JobStatus } from '../../../../core/job.ts';
import { type LocalApi, startLocalApi } from '../../../../functions/api/local-server.ts';
import { partSizeFor } from '../../../../functions/api/multipart.ts';
import { ensureLocalClient } from '../../../../scripts/local/local-client.ts';
import { fetchAs } from '../../../support/api.ts';
import { createTestStack, eventually, type TestStack } from '../../../support/local-stack.ts';

let API_KEY = '';
const MiB = 1024 * 1024;

let stack: TestStack;
let api: LocalApi;

beforeAll(async () => {
  stack = await createTestStack();
  API_KEY = stack.client.apiKey;
  Object.assign(process.env, stack.env, {
    FERRY_MULTIPART_THRESHOLD_BYTES: String(8 * MiB),
    FERRY_MULTIPART_PART_BYTES: String(5 * MiB),
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  api = await startLocalApi({ port: 0 });
});

afterAll(async () => {
  await api?.close();
  delete process.env.FERRY_MULTIPART_THRESHOLD_BYTES;
  delete process.env.FERRY_MULTIPART_PART_BYTES;
});

const call = (method: string, path: string, body?: unknown, apiKey = API_KEY) =>
  fetchAs(api.url, apiKey, method, path, body);

const create = (size: number, extra: Record<string, unknown> = {}) =>
  call('POST', '/uploads', { filename: 'talk.mp4', contentType: 'video/mp4', size, ...extra });

it('sizes parts for S3: at least 5 MiB, at most 10,000 parts', () => {
  expect(partSizeFor(200 * MiB, 16 * MiB)).toBe(16 * MiB);
  expect(partSizeFor(50 * 1024 * MiB, 16 * MiB)).toBe(16 * MiB);
  expect(partSizeFor(500 * 1024 * MiB, 16 * MiB)).toBe(52 * MiB);
  expect(partSizeFor(10 * MiB, 1)).toBe(5 * MiB);
});

it('plans a large upload in parts, gives more part URLs on request, and completes it into a QUEUED job', async () => {
  const size = 11 * MiB;
  const { status, json } = await create(size);
  expect(status, JSON.stringify(json)).toBe(201);
  expect(json).toMatchObject({ status: JobStatus.AwaitingUpload, task: 'video-ocr' });
  expect(json.upload).toMatchObject({ method: 'MULTIPART', partSize: 5 * MiB, partCount: 3 });
  expect(json.upload.parts.map((p: { partNumber: number }) => p.partNumber)).toEqual([1, 2, 3]);
  // Another client's multipart upload does not exist for it: 404 on every route.
  const other = (await ensureLocalClient(stack.outputs, 'other')).apiKey;
  expect((await call('GET', `/uploads/${json.jobId}/parts?from=1`, undefined, other)).status).toBe(404);
  expect(
    (
      await call(
        'POST',
        `/uploads/${json.jobId}/complete`,
        { parts: [{ partNumber: 1, etag: '"x"' }] },
        other,
      )
    ).status,
  ).toBe(404);
  expect((await call('DELETE', `/uploads/${json.jobId}`, undefined, other)).status).toBe(404);
  const more = await call('GET', `/uploads/${json.jobId}/parts?from=3`);
  expect(more.json.parts.map((p: { partNumber: number }) => p.partNumber)).toEqual([3]);
  expect((await call('GET', `/uploads/${json.jobId}/parts?from=4`)).json.error).toMatchObject({
    field: 'from',
  });

  const parts = [];
  for (const part of json.upload.parts as { partNumber: number; url: string }[]) {
    const bytes = Buffer.alloc(Math.min(5 * MiB, size - (part.partNumber - 1) * 5 * MiB), part.partNumber);
    const res = await fetch(part.url, { method: 'PUT', body: bytes });
    expect(res.status).toBe(200);
    parts.push({ partNumber: part.partNumber, etag: String(res.headers.get('etag')) });
  }
  // A list that does not match what was sent is the client's mistake: 400 naming `parts`.
  const wrong = await call('POST', `/uploads/${json.jobId}/complete`, {
    parts: [{ partNumber: 1, etag: '"nope"' }],
  });
  expect(wrong.status).toBe(400);
  expect(wrong.json.error).toMatchObject({ field: 'parts' });

  const done = await call('POST', `/uploads/${json.jobId}/complete`, { parts });
  expect(done.status, JSON.stringify(done.json)).toBe(200);
  const job = await eventually(async () => {
    const j = await stack.jobs.get(json.jobId);
    return j?.status === JobStatus.Queued ? j : undefined;
  });
  expect(job).toMatchObject({ size, key: json.key });
  // Its upload is over: neither complete nor abort applies any more.
  expect((await call('DELETE', `/uploads/${json.jobId}`)).status).toBe(409);
});

it('refuses what does not fit: POST forms above the threshold, bodies without parts, small uploads', async () => {
  const form = await create(20 * MiB, { uploadMethod: 'POST' });
  expect(form.status).toBe(400);
  expect(form.json.error).toMatchObject({ field: 'uploadMethod' });

  const big = await create(20 * MiB);
  const empty = await call('POST', `/uploads/${big.json.jobId}/complete`, {});
  expect(empty.status).toBe(400);
  expect(empty.json.error.field).toBe('parts');
  // A list of thousands of parts is over the usual 64 KiB body limit, not over this route's.
  const many = Array.from({ length: 5000 }, (_, i) => ({ partNumber: i + 1, etag: `"${'0'.repeat(32)}"` }));
  const long = await call('POST', `/uploads/${big.json.jobId}/complete`, { parts: many });
  expect(long.status, JSON.stringify(long.json)).toBe(400);
  expect(long.json.error.field).toBe('parts');

  const small = await create(MiB);
  expect(small.json.upload.method).toBe('PUT');
  const notMultipart = await call('DELETE', `/uploads/${small.json.jobId}`);
  expect(notMultipart.status).toBe(409);
  expect(notMultipart.json.error.code).toBe('UPLOAD_NOT_OPEN');

  const aborted = await call('DELETE', `/uploads/${big.json.jobId}`);
  expect(aborted.json).toMatchObject({ status: JobStatus.Canceled });
  expect(
    (await call('POST', `/uploads/${big.json.jobId}/complete`, { parts: [{ partNumber: 1, etag: 'x' }] }))
      .status,
  ).toBe(409);
});
