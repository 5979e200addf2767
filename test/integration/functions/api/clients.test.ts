/**
 * Two clients on one local stack (real emulator, the API in-process through its Lambda handler,
 * the deployed ingest function, the `ferry clients|keys` operator commands): each sees, lists and
 * cancels only its own jobs, another's job id is a 404, a revoked key is refused at once, and a
 * second key keeps working through a rotation until the old one is revoked.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAdmin } from '../../../../cli/clients.ts';
import { JobStatus } from '../../../../core/job.ts';
import { newJobId } from '../../../../core/keys.ts';
import { handler as apiHandler } from '../../../../functions/api/handler.ts';
import { callAs } from '../../../support/api.ts';
import { capture } from '../../../support/cli.ts';
import { createTestStack, eventually, type TestStack } from '../../../support/local-stack.ts';

let stack: TestStack;
/** Client A is the stack's client; B is made with the operator command. */
let keyA = '';
let keyB = '';

type AdminResult = { code: number; json: Record<string, unknown>; stderr: string };

const admin = (...argv: string[]): Promise<AdminResult> => adminWith({}, ...argv);

/** Runs `ferry clients|keys ...` as an operator would, with the stack's coordinates in the environment. */
async function adminWith(env: Record<string, string>, ...argv: string[]): Promise<AdminResult> {
  const stdout = capture();
  const stderr = capture();
  const code = await runAdmin([...argv, '--json'], {
    fetch: globalThis.fetch,
    stdout,
    stderr,
    env: {
      FERRY_CLIENTS_TABLE: stack.outputs.clientsTable,
      FERRY_PARAMETER_PREFIX: stack.outputs.parameterPrefix,
      ...env,
    },
    cwd: '/nonexistent',
    readFile: async () => new Uint8Array(),
    writeFile: async () => {},
    sleep: async () => {},
    pollIntervalMs: 0,
  });
  return { code, json: stdout.text ? JSON.parse(stdout.text) : {}, stderr: stderr.text };
}

const call = (key: string, method: string, path: string, body?: unknown) =>
  callAs(apiHandler, key, method, path, body);

async function createJob(key: string, name = 'page.png'): Promise<string> {
  const res = await call(key, 'POST', '/uploads', { filename: name, contentType: 'image/png', size: 10 });
  expect(res.status, res.text).toBe(201);
  return res.json.jobId;
}

async function listAll(key: string, status?: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({
      limit: '2',
      ...(status ? { status } : {}),
      ...(cursor ? { cursor } : {}),
    });
    const res = await call(key, 'GET', `/jobs?${query}`);
    expect(res.status, res.text).toBe(200);
    ids.push(...res.json.jobs.map((j: { jobId: string }) => j.jobId));
    cursor = res.json.cursor;
  } while (cursor);
  return ids;
}

beforeAll(async () => {
  stack = await createTestStack();
  Object.assign(process.env, stack.env, { POWERTOOLS_LOG_LEVEL: 'ERROR' });
  keyA = stack.client.apiKey;
  const created = await admin(
    'clients',
    'create',
    'globex',
    '--name',
    'Globex Corp',
    '--rate',
    '500',
    '--burst',
    '500',
  );
  expect(created.code, created.stderr).toBe(0);
  keyB = String(created.json.apiKey);
  expect(keyB).toMatch(/^fry_[A-Za-z0-9_-]{43}$/);
  expect(String(created.json.webhookSecret)).toMatch(/^whsec_/);
});

describe('ownership', () => {
  it('each client sees, lists and cancels only its own jobs; the other job id is a 404', async () => {
    const a1 = await createJob(keyA, 'a1.png');
    const a2 = await createJob(keyA, 'a2.png');
    const b1 = await createJob(keyB, 'b1.png');

    expect((await call(keyA, 'GET', `/jobs/${a1}`)).status).toBe(200);
    expect((await call(keyB, 'GET', `/jobs/${b1}`)).status).toBe(200);
    for (const [key, id] of [
      [keyB, a1],
      [keyA, b1],
    ] as const) {
      const get = await call(key, 'GET', `/jobs/${id}`);
      expect(get.status).toBe(404);
      expect(get.json.error.code).toBe('JOB_NOT_FOUND');
      const cancel = await call(key, 'DELETE', `/jobs/${id}`);
      expect(cancel.status).toBe(404);
    }
    // The refused cancels changed nothing.
    expect((await stack.jobs.require(a1)).status).toBe(JobStatus.AwaitingUpload);
    expect((await stack.jobs.require(b1)).status).toBe(JobStatus.AwaitingUpload);

    const listedA = await listAll(keyA);
    const listedB = await listAll(keyB);
    expect(listedA).toEqual(expect.arrayContaining([a1, a2]));
    expect(listedA).not.toContain(b1);
    expect(listedB).toEqual([b1]);
    expect(await listAll(keyB, JobStatus.AwaitingUpload)).toEqual([b1]);

    expect((await call(keyA, 'DELETE', `/jobs/${a2}`)).status).toBe(200);
    expect(await listAll(keyA, JobStatus.Canceled)).toEqual([a2]);
  });

  it("refuses another client's list cursor", async () => {
    await createJob(keyA);
    await createJob(keyA);
    const first = await call(keyA, 'GET', '/jobs?limit=1');
    expect(first.json.cursor).toBeTruthy();
    const stolen = await call(keyB, 'GET', `/jobs?limit=1&cursor=${first.json.cursor}`);
    expect(stolen.status).toBe(400);
    expect(stolen.json.error.field).toBe('cursor');
  });

  it('a direct drop under uploads/<clientId>/ belongs to that client', async () => {
    const key = 'uploads/globex/scan.png';
    await stack.aws.s3.send(new PutObjectCommand({ Bucket: stack.outputs.bucket, Key: key, Body: 'png' }));
    const job = await eventually(
      async () =>
        (await stack.jobs.listByClient({ clientId: 'globex', limit: 50 })).jobs.find((j) => j.key === key),
      { timeoutMs: 20_000 },
    );
    expect((await call(keyB, 'GET', `/jobs/${job.jobId}`)).status).toBe(200);
    expect((await call(keyA, 'GET', `/jobs/${job.jobId}`)).status).toBe(404);
  });
});

describe('keys', () => {
  it('a revoked key is refused at once', async () => {
    const issued = await admin('keys', 'create', 'globex');
    expect(issued.code, issued.stderr).toBe(0);
    const key = String(issued.json.apiKey);
    expect((await call(key, 'GET', '/jobs')).status).toBe(200);
    const revoked = await admin('keys', 'revoke', String(issued.json.keyId));
    expect(revoked.code, revoked.stderr).toBe(0);
    const refused = await call(key, 'GET', '/jobs');
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('FORBIDDEN');
    expect((await call(keyB, 'GET', '/jobs')).status).toBe(200);
  });

  it('rotation: old and new keys both work until the old one is revoked', async () => {
    const oldKey = await admin('keys', 'create', 'globex');
    const newKey = await admin('keys', 'create', 'globex');
    const jobId = await createJob(String(oldKey.json.apiKey));
    for (const k of [oldKey, newKey]) {
      expect((await call(String(k.json.apiKey), 'GET', `/jobs/${jobId}`)).status).toBe(200);
    }
    await admin('keys', 'revoke', String(oldKey.json.keyId));
    expect((await call(String(oldKey.json.apiKey), 'GET', `/jobs/${jobId}`)).status).toBe(403);
    expect((await call(String(newKey.json.apiKey), 'GET', `/jobs/${jobId}`)).status).toBe(200);

    const listed = await admin('keys', 'list', 'globex');
    const states = (listed.json as unknown as Array<{ keyId: string; revokedAt?: string }>).map((k) => [
      k.keyId,
      Boolean(k.revokedAt),
    ]);
    expect(states).toContainEqual([oldKey.json.keyId, true]);
    expect(states).toContainEqual([newKey.json.keyId, false]);
  });

  it('lists clients and refuses bad ids and unknown keys with a clear message', async () => {
    const listed = await admin('clients', 'list');
    expect((listed.json as unknown as Array<{ clientId: string }>).map((c) => c.clientId)).toEqual([
      'acme',
      'globex',
    ]);
    const badId = await admin('clients', 'create', 'Not_An_Id');
    expect(badId.code).toBe(2);
    expect(badId.stderr).toMatch(/lowercase letters/);
    const again = await admin('clients', 'create', 'globex');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    const unknown = await admin('keys', 'revoke', '0123456789abcdef');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No key with id/);
  });

  it('migration: an old single key keeps working for a client, and ownerless jobs are adopted', async () => {
    const oldJob = newJobId();
    await stack.jobs.create({
      jobId: oldJob,
      status: JobStatus.Queued,
      task: 'ocr',
      bucket: stack.outputs.bucket,
      key: `uploads/${oldJob}/old.png`,
    });
    expect((await admin('clients', 'create', 'legacy')).code).toBe(0);
    const oldKey = 'the-old-single-api-key-0123456789';
    const imported = await adminWith({ FERRY_IMPORT_KEY: oldKey }, 'keys', 'import', 'legacy');
    expect(imported.code, imported.stderr).toBe(0);
    expect((await call(oldKey, 'GET', `/jobs/${oldJob}`)).status).toBe(404);
    const adopted = await adminWith({ FERRY_TABLE: stack.outputs.table }, 'clients', 'adopt-jobs', 'legacy');
    expect(adopted.code, adopted.stderr).toBe(0);
    expect(adopted.json.adopted).toBe(1);
    expect((await call(oldKey, 'GET', `/jobs/${oldJob}`)).status).toBe(200);
    expect((await call(keyA, 'GET', `/jobs/${oldJob}`)).status).toBe(404);
  });
});
