/**
 * The HTTP API against the emulator, through the local HTTP adapter: presigned uploads that the
 * deployed ingest function links to their job, a simulated worker finishing the job, result
 * download, pagination and cancel.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStateConflictError } from '../../../../core/errors.ts';
import { JobStatus } from '../../../../core/job.ts';
import { resultKey } from '../../../../core/keys.ts';
import { type LocalApi, startLocalApi } from '../../../../functions/api/local-server.ts';
import { fetchAs } from '../../../support/api.ts';
import { createTestStack, eventually, recordCallsAs, type TestStack } from '../../../support/local-stack.ts';

/** The stack's client's key, set once the stack exists. */
let API_KEY = '';
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

let stack: TestStack;
let api: LocalApi;

beforeAll(async () => {
  stack = await createTestStack();
  API_KEY = stack.client.apiKey;
  Object.assign(process.env, stack.env, {
    FERRY_ALLOW_PRIVATE_WEBHOOKS: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  recordCallsAs('api');
  api = await startLocalApi({ port: 0 });
});

afterAll(async () => {
  await api?.close();
});

const call = (method: string, path: string, body?: unknown) => fetchAs(api.url, API_KEY, method, path, body);

async function createUpload(body: Record<string, unknown> = {}) {
  const res = await call('POST', '/uploads', {
    filename: 'scan 1.png',
    contentType: 'image/png',
    size: PNG.length,
    ...body,
  });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json;
}

async function uploadWithPut(upload: { url: string; headers: Record<string, string> }, data: Buffer) {
  const res = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: data });
  expect(res.status, await res.text()).toBe(200);
}

async function waitForStatus(jobId: string, status: string) {
  return eventually(async () => {
    const res = await call('GET', `/jobs/${jobId}`);
    return res.json?.status === status ? res.json : undefined;
  });
}

/** Plays the GPU worker: claims the job, writes its result, marks it SUCCEEDED. */
async function finishJob(jobId: string, result: unknown) {
  const key = resultKey(jobId);
  await stack.aws.s3.send(
    new PutObjectCommand({
      Bucket: stack.outputs.bucket,
      Key: key,
      Body: JSON.stringify(result),
      ContentType: 'application/json',
    }),
  );
  await stack.jobs.claim(jobId, 'test-worker', 60_000);
  await stack.jobs.succeed(jobId, 'test-worker', {
    resultKey: key,
    timings: { total: 5 },
    executionProvider: 'cpu',
  });
}

describe('POST /uploads', () => {
  it('creates an AWAITING_UPLOAD job that ingest moves to QUEUED once the presigned PUT lands', async () => {
    const created = await createUpload({ metadata: { customer: 'acme' } });
    expect(created.key).toBe(`uploads/${created.jobId}/scan 1.png`);
    expect((await call('GET', `/jobs/${created.jobId}`)).json).toMatchObject({
      status: JobStatus.AwaitingUpload,
      task: 'ocr',
      metadata: { customer: 'acme' },
    });

    await uploadWithPut(created.upload, PNG);
    const job = await waitForStatus(created.jobId, JobStatus.Queued);
    expect(job).toMatchObject({ key: created.key, size: PNG.length, contentType: 'image/png' });

    // One job, not two: ingest linked the upload to the API's job instead of creating a direct-drop job.
    const queued = await stack.jobs.list({ status: JobStatus.Queued, limit: 100 });
    expect(queued.jobs.filter((j) => j.key === created.key).map((j) => j.jobId)).toEqual([created.jobId]);
  });

  it('signs the content type, length and expiry into the PUT URL (checked only by AWS)', async () => {
    const created = await createUpload();
    const url = new URL(created.upload.url);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual([
      'content-length',
      'content-type',
      'host',
    ]);
    expect(created.upload.headers).toEqual({
      'Content-Type': 'image/png',
      'Content-Length': String(PNG.length),
    });
    const expiresInSec = (Date.parse(created.expiresAt) - Date.now()) / 1000;
    expect(expiresInSec).toBeGreaterThan(890);
    expect(expiresInSec).toBeLessThanOrEqual(900);
  });

  it('returns a POST policy whose content-length-range the emulator enforces', async () => {
    const created = await createUpload({ uploadMethod: 'POST' });
    expect(created.upload.method).toBe('POST');
    const policy = JSON.parse(Buffer.from(created.upload.fields.Policy, 'base64').toString());
    expect(policy.conditions).toContainEqual(['content-length-range', PNG.length, PNG.length]);
    expect(policy.conditions).toContainEqual(['eq', '$Content-Type', 'image/png']);
    expect(policy.conditions).toContainEqual({ key: created.key });

    const post = (data: Buffer) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(created.upload.fields as Record<string, string>))
        form.append(name, value);
      form.append('file', new Blob([data], { type: 'image/png' }), 'scan.png');
      return fetch(created.upload.url, { method: 'POST', body: form });
    };
    const tooBig = await post(Buffer.concat([PNG, PNG]));
    expect(tooBig.status).toBe(400);
    expect(await tooBig.text()).toContain('EntityTooLarge');
    const ok = await post(PNG);
    expect(ok.status).toBeLessThan(300);
    await waitForStatus(created.jobId, JobStatus.Queued);
  });
});

describe('GET /jobs/{id}', () => {
  it('shows a SUCCEEDED job with its result inline and a URL that downloads it', async () => {
    const created = await createUpload();
    await uploadWithPut(created.upload, PNG);
    await waitForStatus(created.jobId, JobStatus.Queued);
    const result = { text: 'Hello Ferry', lines: [{ text: 'Hello Ferry', confidence: 0.99 }] };
    await finishJob(created.jobId, result);

    const { status, json } = await call('GET', `/jobs/${created.jobId}`);
    expect(status).toBe(200);
    expect(json).toMatchObject({
      status: JobStatus.Succeeded,
      attempts: 1,
      resultKey: resultKey(created.jobId),
      executionProvider: 'cpu',
      timings: { total: 5 },
      result: { data: result },
    });
    expect(json).not.toHaveProperty('workerId');
    expect(json).not.toHaveProperty('leaseExpiresAt');
    expect(new URL(json.result.url).searchParams.get('X-Amz-Expires')).toBe('300');
    const download = await fetch(json.result.url);
    expect(await download.json()).toEqual(result);
  });

  it('leaves results over 64 KiB out of the response but downloadable', async () => {
    const created = await createUpload();
    await uploadWithPut(created.upload, PNG);
    await waitForStatus(created.jobId, JobStatus.Queued);
    const result = { text: 'x'.repeat(70 * 1024) };
    await finishJob(created.jobId, result);

    const { json } = await call('GET', `/jobs/${created.jobId}`);
    expect(json.result.bytes).toBeGreaterThan(64 * 1024);
    expect(json.result).not.toHaveProperty('data');
    const downloaded = (await (await fetch(json.result.url)).json()) as { text: string };
    expect(downloaded.text).toHaveLength(70 * 1024);
  });

  it('answers 404 for an unknown job and 400 for a malformed id', async () => {
    const unknown = await call('GET', '/jobs/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ code: 'JOB_NOT_FOUND', field: 'id' });
    const malformed = await call('GET', '/jobs/not-a-job');
    expect(malformed.status).toBe(400);
    expect(malformed.json.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'id' });
  });
});

describe('GET /jobs', () => {
  it('pages through more jobs than the limit, newest first, without repeats', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await createUpload({ filename: `page-${i}.png`, metadata: { batch: 'paging' } })).jobId);
      await new Promise((r) => setTimeout(r, 3));
    }
    const seen: { jobId: string; createdAt: string }[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const query = `status=AWAITING_UPLOAD&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const { status, json } = await call('GET', `/jobs?${query}`);
      expect(status).toBe(200);
      expect(json.jobs.length).toBeLessThanOrEqual(3);
      seen.push(...json.jobs);
      cursor = json.cursor;
      pages++;
    } while (cursor && pages < 20);
    const mine = seen.filter((j) => ids.includes(j.jobId));
    expect(mine.map((j) => j.jobId)).toEqual([...ids].reverse());
    expect(new Set(seen.map((j) => j.jobId)).size).toBe(seen.length);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('lists every status merged newest first when no status is given', async () => {
    const all: { jobId: string; createdAt: string; status: string }[] = [];
    let cursor: string | undefined;
    do {
      const { status, json } = await call('GET', `/jobs?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      all.push(...json.jobs);
      cursor = json.cursor;
    } while (cursor);
    const statuses = new Set(all.map((j) => j.status));
    expect(statuses.size).toBeGreaterThan(1);
    const createdAts = all.map((j) => j.createdAt);
    expect(createdAts).toEqual([...createdAts].sort().reverse());
    expect(new Set(all.map((j) => j.jobId)).size).toBe(all.length);
    const direct = await Promise.all(
      Object.values(JobStatus).map((s) =>
        stack.jobs.list({ status: s, limit: 100 }).then((p) => p.jobs.length),
      ),
    );
    expect(all.length).toBe(direct.reduce((a, b) => a + b, 0));
  });

  it('refuses a cursor from another status filter', async () => {
    const first = await call('GET', '/jobs?status=AWAITING_UPLOAD&limit=1');
    expect(first.json.cursor).toBeTruthy();
    const res = await call('GET', `/jobs?status=QUEUED&cursor=${first.json.cursor}`);
    expect(res.status).toBe(400);
    expect(res.json.error.field).toBe('cursor');
  });
});

describe('DELETE /jobs/{id}', () => {
  it('cancels an AWAITING_UPLOAD job and sends its CANCELED webhook', async () => {
    const created = await createUpload({ webhookUrl: 'http://127.0.0.1:9/hook' });
    const { status, json } = await call('DELETE', `/jobs/${created.jobId}`);
    expect(status).toBe(200);
    expect(json).toMatchObject({ jobId: created.jobId, status: JobStatus.Canceled });
    const messages = await eventually(async () => {
      const out = await stack.aws.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: stack.outputs.webhookQueueUrl,
          WaitTimeSeconds: 1,
          MaxNumberOfMessages: 10,
        }),
      );
      return out.Messages?.length ? out.Messages : undefined;
    });
    expect(messages.map((m) => JSON.parse(m.Body ?? ''))).toContainEqual({
      jobId: created.jobId,
      attempt: 1,
    });
  });

  it('cancels a QUEUED job', async () => {
    const created = await createUpload();
    await uploadWithPut(created.upload, PNG);
    await waitForStatus(created.jobId, JobStatus.Queued);
    const { status, json } = await call('DELETE', `/jobs/${created.jobId}`);
    expect(status).toBe(200);
    expect(json.status).toBe(JobStatus.Canceled);
    expect((await stack.jobs.require(created.jobId)).status).toBe(JobStatus.Canceled);
  });

  it('cancels a RUNNING job, and the worker loses its lease at the next heartbeat', async () => {
    const created = await createUpload();
    await uploadWithPut(created.upload, PNG);
    await waitForStatus(created.jobId, JobStatus.Queued);
    await stack.jobs.claim(created.jobId, 'test-worker', 60_000);

    const { status } = await call('DELETE', `/jobs/${created.jobId}`);
    expect(status).toBe(200);
    expect((await stack.jobs.require(created.jobId)).status).toBe(JobStatus.Canceled);
    await expect(stack.jobs.renewLease(created.jobId, 'test-worker', 60_000)).rejects.toBeInstanceOf(
      JobStateConflictError,
    );
  });

  it('answers 409 with the current status for a finished job, and 404 for an unknown one', async () => {
    const created = await createUpload();
    await uploadWithPut(created.upload, PNG);
    await waitForStatus(created.jobId, JobStatus.Queued);
    await finishJob(created.jobId, { text: 'done' });

    const conflict = await call('DELETE', `/jobs/${created.jobId}`);
    expect(conflict.status).toBe(409);
    expect(conflict.json.error).toMatchObject({ code: 'JOB_ALREADY_FINAL', status: JobStatus.Succeeded });
    expect((await stack.jobs.require(created.jobId)).status).toBe(JobStatus.Succeeded);

    const unknown = await call('DELETE', '/jobs/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
  });
});
