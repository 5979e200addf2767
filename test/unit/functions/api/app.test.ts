/**
 * The HTTP API's edges with stubbed AWS clients: auth, CORS, 404/405/413, malformed JSON,
 * field-level validation, and what the presigned upload URL and POST policy bind.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handle } from 'hono/aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../../../core/client-store.ts';
import { CLIENT_LIMITS } from '../../../../core/config.ts';
import { JobStore } from '../../../../core/job-store.ts';
import { createApp } from '../../../../functions/api/app.ts';
import type { ApiDeps } from '../../../../functions/api/deps.ts';
import { type ApiOptions, apiOptions } from '../../../../functions/api/options.ts';
import { powertoolsLog } from '../../../../functions/log.ts';
import { invoke, type TestRequest } from '../../../support/api.ts';

const KEY = 'unit-test-key-0123456789';
const OTHER_KEY = 'second-key-abcdefghijkl';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const dynamoMock = mockClient(DynamoDBDocumentClient);
const principal: Principal = {
  client: { clientId: 'acme', name: 'acme', createdAt: '2026-01-01T00:00:00.000Z' },
  limits: CLIENT_LIMITS,
  bucket: {},
};

function createHandler(options: Partial<ApiOptions> = {}, extra: Partial<ApiDeps> = {}) {
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials }));
  const s3 = new S3Client({
    region: 'us-east-1',
    credentials,
    endpoint: 'http://s3.test',
    forcePathStyle: true,
  });
  const deps: ApiDeps = {
    jobs: new JobStore({ dynamo, table: 'jobs' }),
    s3,
    presigner: new S3Client({
      region: 'us-east-1',
      credentials,
      endpoint: 'http://s3.test',
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
    }),
    sqs: new SQSClient({ region: 'us-east-1', credentials }),
    bucket: 'ferry-test',
    clients: {
      authenticate: async (key) => (key === KEY || key === OTHER_KEY ? principal : undefined),
      takeRequestToken: async () => ({ allowed: true }),
      countJob: async () => ({ allowed: true }),
    },
    secrets: { cursorKey: async () => Buffer.alloc(32, 7) },
    options: apiOptions(options),
    logger: powertoolsLog(new Logger({ serviceName: 'api-unit', logLevel: 'SILENT' })),
    resolve: async (host) =>
      host === 'internal.example.com'
        ? [{ address: '10.1.2.3', family: 4 }]
        : [{ address: '93.184.215.14', family: 4 }],
    ...extra,
  };
  return handle(createApp(deps)) as unknown as (
    e: APIGatewayProxyEventV2,
  ) => Promise<APIGatewayProxyResultV2>;
}

const call = (request: TestRequest, handler = createHandler()) =>
  invoke(handler, { ...request, headers: { authorization: `Bearer ${KEY}`, ...request.headers } });

const upload = { filename: 'page.png', contentType: 'image/png', size: 1234 };

beforeEach(() => {
  dynamoMock.reset();
  dynamoMock.on(PutCommand).resolves({});
});

describe('auth', () => {
  it('answers 401 with a Bearer challenge when no key is sent', async () => {
    const res = await invoke(createHandler(), { method: 'GET', path: '/jobs' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.json.error).toMatchObject({ code: 'UNAUTHORIZED', field: 'Authorization' });
  });

  it('answers 401 for another scheme', async () => {
    const res = await invoke(createHandler(), {
      method: 'GET',
      path: '/jobs',
      headers: { authorization: `Basic ${Buffer.from(`x:${KEY}`).toString('base64')}` },
    });
    expect(res.status).toBe(401);
  });

  it('answers 403 for a wrong key, including a prefix of a real one', async () => {
    for (const key of ['wrong-key-0123456789abc', KEY.slice(0, -1), `${KEY}x`]) {
      const res = await invoke(createHandler(), {
        method: 'GET',
        path: '/jobs',
        headers: { authorization: `Bearer ${key}` },
      });
      expect(res.status, key).toBe(403);
      expect(res.json.error.code).toBe('FORBIDDEN');
    }
  });

  it('accepts every configured key (rotation)', async () => {
    const res = await invoke(createHandler(), {
      method: 'GET',
      path: '/jobs/not-a-job',
      headers: { authorization: `bearer ${OTHER_KEY}` },
    });
    expect(res.status).toBe(400);
  });
});

describe('CORS', () => {
  it('answers a preflight without a key', async () => {
    const res = await invoke(createHandler(), {
      method: 'OPTIONS',
      path: '/uploads',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods']).toContain('POST');
    expect(res.headers['access-control-allow-headers']?.toLowerCase()).toContain('authorization');
  });

  it('lets browsers read error responses', async () => {
    const res = await invoke(createHandler(), {
      method: 'GET',
      path: '/jobs',
      headers: { origin: 'https://app.example.com' },
    });
    expect(res.status).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it('allows only the configured origins', async () => {
    const handler = createHandler({ corsOrigins: ['https://app.example.com'] });
    const allowed = await invoke(handler, {
      method: 'OPTIONS',
      path: '/jobs',
      headers: { origin: 'https://app.example.com' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const other = await invoke(handler, {
      method: 'OPTIONS',
      path: '/jobs',
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('routing', () => {
  it('answers 404 as JSON for unknown routes', async () => {
    const res = await call({ method: 'GET', path: '/nope' });
    expect(res.status).toBe(404);
    expect(res.json.error).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers 405 with Allow for a known path and a wrong method', async () => {
    const put = await call({ method: 'PUT', path: '/jobs/00000000-0000-4000-8000-000000000000' });
    expect(put.status).toBe(405);
    expect(put.headers.allow?.split(', ').sort()).toEqual(['DELETE', 'GET', 'HEAD']);
    expect(put.json.error.code).toBe('METHOD_NOT_ALLOWED');
    const get = await call({ method: 'GET', path: '/uploads' });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
  });

  it('answers 413 for a body over the limit, before parsing it', async () => {
    const res = await call({
      method: 'POST',
      path: '/uploads',
      body: { ...upload, filename: 'x'.repeat(70 * 1024) },
    });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('never answers 5xx for malformed input', async () => {
    dynamoMock.on(GetCommand).resolves({});
    const requests: TestRequest[] = [
      { method: 'GET', path: '/jobs/%E0%A4%A' },
      { method: 'GET', path: '/jobs?status=%E0%A4%A' },
      { method: 'GET', path: '/jobs?limit=%' },
      { method: 'GET', path: '/jobs?cursor=' },
      { method: 'POST', path: '/uploads', body: 'null' },
      { method: 'POST', path: '/uploads', body: '"text"' },
      {
        method: 'POST',
        path: '/uploads',
        body: '{"filename":"a.png","contentType":"image/png","size":1e400}',
      },
      { method: 'POST', path: '/uploads', body: '\u0000\uffff' },
      { method: 'DELETE', path: '/jobs/%00' },
    ];
    for (const request of requests) {
      const res = await call(request);
      expect(res.status, `${request.method} ${request.path} ${String(request.body)}`).toBeGreaterThanOrEqual(
        400,
      );
      expect(res.status).toBeLessThan(500);
      expect(res.json.error.code).toBeTruthy();
    }
  });

  it('answers 500 without details when a dependency fails', async () => {
    dynamoMock.on(GetCommand).rejects(new Error('secret internal detail'));
    const res = await call({ method: 'GET', path: '/jobs/00000000-0000-4000-8000-000000000000' });
    expect(res.status).toBe(500);
    expect(res.json.error.code).toBe('INTERNAL');
    expect(res.text).not.toContain('secret internal detail');
  });
});

describe('POST /uploads validation', () => {
  const post = (body: unknown) => call({ method: 'POST', path: '/uploads', body });

  it.each([
    ['{"filename": ', 'INVALID_JSON', '(body)'],
    ['', 'INVALID_JSON', '(body)'],
  ])('answers 400 for malformed JSON %j', async (body, code, field) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code, field });
  });

  it.each<[string, unknown, string, RegExp]>([
    ['a JSON array', [upload], '(body)', /object/],
    ['a missing filename', { ...upload, filename: undefined }, 'filename', /required/],
    ['an empty filename', { ...upload, filename: '' }, 'filename', /empty/],
    ['a missing size', { ...upload, size: undefined }, 'size', /required/],
    ['a fractional size', { ...upload, size: 1.5 }, 'size', /whole number/],
    ['a size of 0', { ...upload, size: 0 }, 'size', /at least 1/],
    ['a size as a string', { ...upload, size: '1234' }, 'size', /must be a number/],
    ['a size over the maximum', { ...upload, size: 50 * 1024 ** 3 + 1 }, 'size', /at most 53687091200/],
    [
      'a content type not allowed',
      { ...upload, contentType: 'application/pdf' },
      'contentType',
      /image\/png/,
    ],
    ['a bad task name', { ...upload, task: 'OCR!' }, 'task', /task name/],
    ['an unknown upload method', { ...upload, uploadMethod: 'PATCH' }, 'uploadMethod', /PUT/],
    ['a negative timeout', { ...upload, timeoutSec: -5 }, 'timeoutSec', /above 0/],
    ['a timeout in words', { ...upload, timeoutSec: '60' }, 'timeoutSec', /number of seconds/],
    ['a timeout over the maximum', { ...upload, timeoutSec: 10 ** 9 }, 'timeoutSec', /at most/],
    ['an unknown field', { ...upload, webhookURL: 'https://x.example' }, 'webhookURL', /not a known field/],
    ['a non-string metadata value', { ...upload, metadata: { n: 1 } }, 'metadata.n', /strings/],
    [
      'too many metadata keys',
      { ...upload, metadata: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) },
      'metadata',
      /at most 32 keys/,
    ],
    ['an oversized metadata value', { ...upload, metadata: { k: 'v'.repeat(1025) } }, 'metadata.k', /1024/],
    ['a ftp webhook', { ...upload, webhookUrl: 'ftp://example.com/hook' }, 'webhookUrl', /http or https/],
    ['a relative webhook', { ...upload, webhookUrl: '/hook' }, 'webhookUrl', /absolute/],
    [
      'a webhook with credentials',
      { ...upload, webhookUrl: 'https://u:p@example.com/' },
      'webhookUrl',
      /password/,
    ],
    ['a loopback webhook', { ...upload, webhookUrl: 'http://127.0.0.1/hook' }, 'webhookUrl', /private/],
    [
      'a metadata-service webhook',
      { ...upload, webhookUrl: 'http://169.254.169.254/' },
      'webhookUrl',
      /private/,
    ],
    ['an IPv6 loopback webhook', { ...upload, webhookUrl: 'http://[::1]/hook' }, 'webhookUrl', /private/],
    [
      'an IPv4-mapped webhook',
      { ...upload, webhookUrl: 'http://[::ffff:10.0.0.1]/' },
      'webhookUrl',
      /private/,
    ],
    ['a localhost webhook', { ...upload, webhookUrl: 'http://localhost/' }, 'webhookUrl', /local host/],
    [
      'a webhook on another port',
      { ...upload, webhookUrl: 'https://hooks.example.com:8443/' },
      'webhookUrl',
      /port 80 or 443, not 8443/,
    ],
    [
      'a webhook host resolving to a private address',
      { ...upload, webhookUrl: 'https://internal.example.com/hook' },
      'webhookUrl',
      /resolves to a private address \(10\.1\.2\.3\)/,
    ],
  ])('answers 400 naming the field for %s', async (_, body, field, message) => {
    const res = await post(body);
    expect(res.status, res.text).toBe(400);
    expect(res.json.error.code).toBe('VALIDATION_FAILED');
    expect(res.json.error.field).toBe(field);
    expect(res.json.error.message).toMatch(message);
    expect(dynamoMock.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('accepts a filename whose 200-byte truncation falls inside a surrogate pair', async () => {
    const res = await post({ ...upload, filename: `a${'\u{20000}'.repeat(50)}.png` });
    expect(res.status, res.text).toBe(201);
    expect(res.json.key).toMatch(/^uploads\/[0-9a-f-]{36}\/a\u{20000}+$/u);
  });

  it('refuses image/bmp: the worker cannot decode it (core/media-types.ts)', async () => {
    const res = await post({ ...upload, filename: 'scan.bmp', contentType: 'image/bmp' });
    expect(res.status).toBe(400);
    expect(res.json.error.field).toBe('contentType');
  });

  it('lists every bad field at once', async () => {
    const res = await post({ filename: '', contentType: 'image/png', size: -1 });
    expect(res.json.error.issues.map((i: { field: string }) => i.field).sort()).toEqual(['filename', 'size']);
  });

  it('accepts private webhook addresses when FERRY_ALLOW_PRIVATE_WEBHOOKS is on', async () => {
    const res = await call(
      { method: 'POST', path: '/uploads', body: { ...upload, webhookUrl: 'http://127.0.0.1:8080/hook' } },
      createHandler({ allowPrivateWebhooks: true, webhookPorts: 'any' }),
    );
    expect(res.status).toBe(201);
  });
});

describe('POST /uploads', () => {
  it('creates the job as AWAITING_UPLOAD and presigns a PUT binding type, length and expiry', async () => {
    const res = await call({
      method: 'POST',
      path: '/uploads',
      body: {
        ...upload,
        filename: '../../etc/Scan 1.PNG',
        contentType: 'Image/PNG',
        webhookUrl: 'https://hooks.example.com/x',
        metadata: { a: 'b' },
      },
    });
    expect(res.status, res.text).toBe(201);
    const { jobId, key, upload: target, status, task } = res.json;
    expect(status).toBe('AWAITING_UPLOAD');
    expect(task).toBe('ocr');
    expect(key).toBe(`uploads/${jobId}/Scan 1.PNG`);
    expect(target.method).toBe('PUT');
    const url = new URL(target.url);
    expect(decodeURIComponent(url.pathname)).toBe(`/ferry-test/${key}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    // A checksum of an empty body in the URL would make AWS reject every real upload.
    expect([...url.searchParams.keys()].filter((k) => k.toLowerCase().includes('checksum'))).toEqual([]);
    expect(target.headers).toEqual({ 'Content-Type': 'image/png', 'Content-Length': '1234' });

    const put = dynamoMock.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.ConditionExpression).toBe('attribute_not_exists(jobId)');
    expect(put?.Item).toMatchObject({
      jobId,
      status: 'AWAITING_UPLOAD',
      task: 'ocr',
      bucket: 'ferry-test',
      key,
      contentType: 'image/png',
      webhookUrl: 'https://hooks.example.com/x',
      metadata: { a: 'b' },
    });
  });

  it('uses the configured expiry', async () => {
    const res = await call(
      { method: 'POST', path: '/uploads', body: upload },
      createHandler({ uploadExpiresSec: 120 }),
    );
    expect(new URL(res.json.upload.url).searchParams.get('X-Amz-Expires')).toBe('120');
    expect(Date.parse(res.json.expiresAt) - Date.now()).toBeLessThanOrEqual(120_000);
  });

  it('presigns a POST policy limited to the declared size, type and key', async () => {
    const res = await call({ method: 'POST', path: '/uploads', body: { ...upload, uploadMethod: 'POST' } });
    expect(res.status).toBe(201);
    const { upload: target, key } = res.json;
    expect(target.method).toBe('POST');
    expect(target.fields).toMatchObject({ key, 'Content-Type': 'image/png' });
    const policy = JSON.parse(Buffer.from(target.fields.Policy, 'base64').toString());
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['content-length-range', 1234, 1234],
        ['eq', '$Content-Type', 'image/png'],
        { key },
      ]),
    );
    const ttl = Date.parse(policy.expiration) - Date.now();
    expect(ttl).toBeGreaterThan(890_000);
    expect(ttl).toBeLessThanOrEqual(900_000);
  });
});

describe('GET /jobs and /jobs/{id} validation', () => {
  it('answers 400 for a malformed job id on GET and DELETE', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await call({ method, path: '/jobs/abc' });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'id' });
    }
    expect(dynamoMock.calls()).toHaveLength(0);
  });

  it('answers 404 for an unknown job', async () => {
    dynamoMock.on(GetCommand).resolves({});
    const res = await call({ method: 'GET', path: '/jobs/00000000-0000-4000-8000-000000000000' });
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('JOB_NOT_FOUND');
  });

  it('answers 404 when canceling an unknown job', async () => {
    dynamoMock.on(GetCommand).resolves({});
    const res = await call({ method: 'DELETE', path: '/jobs/00000000-0000-4000-8000-000000000000' });
    expect(res.status).toBe(404);
  });

  it.each([
    ['status=DONE', 'status', /one of AWAITING_UPLOAD/],
    ['limit=0', 'limit', /1\.\.100/],
    ['limit=101', 'limit', /1\.\.100/],
    ['limit=ten', 'limit', /number/],
    ['cursor=bm90LWEtY3Vyc29y', 'cursor', /not a cursor/],
    ['page=2', 'page', /not a known field/],
  ])('answers 400 for GET /jobs?%s', async (query, field, message) => {
    const res = await call({ method: 'GET', path: `/jobs?${query}` });
    expect(res.status, res.text).toBe(400);
    expect(res.json.error.field).toBe(field);
    expect(res.json.error.message).toMatch(message);
  });
});
