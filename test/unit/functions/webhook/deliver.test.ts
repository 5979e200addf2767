/**
 * Webhook delivery logic with stubbed clients: the backoff schedule, what is recorded and
 * re-sent after each attempt, duplicates, and the HTTP POST itself against a loopback server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { WEBHOOK } from '../../../../core/config.ts';
import { type Job, JobStatus } from '../../../../core/job.ts';
import { JobStore } from '../../../../core/job-store.ts';
import { enqueueWebhook, retryDelaySec, webhookEventFor } from '../../../../core/webhooks.ts';
import { powertoolsLog } from '../../../../functions/log.ts';
import { type DeliverDeps, deliverWebhook } from '../../../../functions/webhook/deliver.ts';
import { webhookOptionsFromEnv } from '../../../../functions/webhook/options.ts';
import { type PostOutcome, postWebhook } from '../../../../functions/webhook/post.ts';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const dynamoMock = mockClient(DynamoDBDocumentClient);
const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'us-east-1', credentials });

const job: Job = {
  jobId: '11111111-1111-4111-8111-111111111111',
  status: JobStatus.Succeeded,
  task: 'ocr',
  bucket: 'b',
  key: 'uploads/11111111-1111-4111-8111-111111111111/a.png',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:01.000Z',
  finishedAt: '2026-01-01T00:00:01.000Z',
  attempts: 1,
  resultKey: 'results/11111111-1111-4111-8111-111111111111.json',
  webhookUrl: 'https://hooks.example.com/ferry',
  workerId: 'w1',
  clientId: 'acme',
  expiresAt: 0,
};

function deps(post: (...args: Parameters<typeof postWebhook>) => Promise<PostOutcome>): DeliverDeps {
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials }));
  return {
    jobs: new JobStore({ dynamo, table: 'jobs' }),
    queue: { sqs, queueUrl: 'https://sqs.test/webhooks' },
    options: {
      parameterPrefix: '/ferry/unit',
      ports: [80, 443],
      allowPrivate: false,
      firstRetryDelaySec: 10,
      maxAttempts: 3,
      requestTimeoutMs: 1000,
    },
    secrets: { webhookSecrets: async () => ['whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY='] },
    logger: powertoolsLog(new Logger({ serviceName: 'unit', logLevel: 'SILENT' })),
    post,
    now: () => new Date('2026-01-01T00:00:05.000Z'),
  };
}

function stored(overrides: Partial<Job> = {}) {
  dynamoMock.on(GetCommand).resolves({ Item: { ...job, ...overrides } });
}

const recorded = () =>
  dynamoMock.commandCalls(UpdateCommand).map((c) => c.args[0].input.ExpressionAttributeValues?.[':v0']);
const sent = () => sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input);

beforeEach(() => {
  dynamoMock.reset();
  sqsMock.reset();
  dynamoMock.on(UpdateCommand).resolves({ Attributes: job });
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm' });
});

describe('retryDelaySec', () => {
  it('doubles from the first delay and caps at 900 s', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelaySec(n))).toEqual([10, 20, 40, 80, 160]);
    expect(retryDelaySec(7, 60)).toBe(900);
    expect(retryDelaySec(20)).toBe(900);
    expect([1, 2, 3].map((n) => retryDelaySec(n, 1))).toEqual([1, 2, 4]);
  });

  it('spreads the default attempts over about five minutes', () => {
    const total = Array.from({ length: WEBHOOK.maxAttempts - 1 }, (_, i) => retryDelaySec(i + 1)).reduce(
      (a, b) => a + b,
    );
    expect(total).toBe(310);
  });
});

describe('enqueueWebhook', () => {
  it('sends { jobId, attempt: 1 } for a final job with a webhook', async () => {
    await enqueueWebhook({ sqs, queueUrl: 'q' }, job);
    expect(sent()).toEqual([
      { QueueUrl: 'q', MessageBody: JSON.stringify({ jobId: job.jobId, attempt: 1 }) },
    ]);
  });

  it('does nothing without a webhook or before a final state', async () => {
    await enqueueWebhook({ sqs, queueUrl: 'q' }, { ...job, webhookUrl: undefined });
    await enqueueWebhook({ sqs, queueUrl: 'q' }, { ...job, status: JobStatus.Running });
    expect(sent()).toEqual([]);
  });
});

describe('webhookEventFor', () => {
  it('carries the fields a receiver needs and nothing internal', () => {
    const event = webhookEventFor({ ...job, timings: { total: 5 }, metadata: { a: 'b' } });
    expect(event).toEqual({
      type: 'job.succeeded',
      jobId: job.jobId,
      status: 'SUCCEEDED',
      task: 'ocr',
      key: job.key,
      resultKey: job.resultKey,
      timings: { total: 5 },
      createdAt: job.createdAt,
      finishedAt: job.finishedAt,
      metadata: { a: 'b' },
    });
    expect(() => webhookEventFor({ ...job, status: JobStatus.Queued })).toThrow(/final/);
  });
});

describe('deliverWebhook', () => {
  it('records a 2xx as delivered and schedules nothing', async () => {
    stored();
    const post = vi.fn(async () => ({ ok: true as const, statusCode: 202 }));
    expect(await deliverWebhook(deps(post), { jobId: job.jobId, attempt: 1 })).toEqual({
      outcome: 'delivered',
      attempt: 1,
      statusCode: 202,
    });
    const [url, headers, body] = post.mock.calls[0] as unknown as Parameters<typeof postWebhook>;
    expect(url.href).toBe(job.webhookUrl);
    expect(headers['webhook-id']).toBe(`ferry_${job.jobId}_succeeded`);
    expect(headers['webhook-timestamp']).toBe(String(Date.parse('2026-01-01T00:00:05.000Z') / 1000));
    expect(headers['webhook-signature']).toMatch(/^v1,/);
    expect(JSON.parse(body).type).toBe('job.succeeded');
    expect(recorded()).toEqual([
      { status: 'delivered', attempts: 1, statusCode: 202, at: '2026-01-01T00:00:05.000Z' },
    ]);
    expect(sent()).toEqual([]);
  });

  it('re-sends a failed attempt with the backoff delay, then records it', async () => {
    stored();
    const post = async () => ({
      ok: false as const,
      statusCode: 500,
      error: 'receiver answered HTTP 500',
      retryable: true,
    });
    const result = await deliverWebhook(deps(post), { jobId: job.jobId, attempt: 2 });
    expect(result).toMatchObject({ outcome: 'retrying', attempt: 2, delaySec: 20 });
    expect(sent()).toEqual([
      {
        QueueUrl: 'https://sqs.test/webhooks',
        MessageBody: JSON.stringify({ jobId: job.jobId, attempt: 3 }),
        DelaySeconds: 20,
      },
    ]);
    expect(recorded()[0]).toMatchObject({ status: 'failed', attempts: 2, statusCode: 500 });
    expect(recorded()[0].error).toMatch(/attempt 2 of 3; next in 20 s/);
  });

  it('gives up after the last attempt', async () => {
    stored();
    const post = async () => ({ ok: false as const, error: 'timed out after 1000 ms', retryable: true });
    const result = await deliverWebhook(deps(post), { jobId: job.jobId, attempt: 3 });
    expect(result).toMatchObject({ outcome: 'failed', attempt: 3 });
    expect(sent()).toEqual([]);
    expect(recorded()[0]).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: 'timed out after 1000 ms (gave up after 3 attempts)',
    });
  });

  it('does not retry a refused URL', async () => {
    stored({ webhookUrl: 'ftp://hooks.example.com' });
    const post = vi.fn();
    const result = await deliverWebhook(deps(post), { jobId: job.jobId, attempt: 1 });
    expect(result).toMatchObject({ outcome: 'failed', error: expect.stringContaining('http or https') });
    expect(post).not.toHaveBeenCalled();
    expect(sent()).toEqual([]);
  });

  it('refuses a port other than 80 or 443 without connecting', async () => {
    stored({ webhookUrl: 'https://hooks.example.com:8443/ferry' });
    const post = vi.fn();
    const result = await deliverWebhook(deps(post), { jobId: job.jobId, attempt: 1 });
    expect(result).toMatchObject({
      outcome: 'failed',
      error: expect.stringContaining('port 80 or 443, not 8443'),
    });
    expect(post).not.toHaveBeenCalled();
  });

  it.each<[string, Partial<Job>, number]>([
    ['an unknown job', { jobId: 'gone' }, 1],
    ['a job without a webhook', { webhookUrl: undefined }, 1],
    ['a job not yet final', { status: JobStatus.Running }, 1],
    ['an already delivered webhook', { webhook: { status: 'delivered', attempts: 1, at: 'x' } }, 2],
    ['a duplicate of a recorded attempt', { webhook: { status: 'failed', attempts: 2, at: 'x' } }, 2],
  ])('skips %s', async (name, overrides, attempt) => {
    if (name === 'an unknown job') dynamoMock.on(GetCommand).resolves({});
    else stored(overrides);
    const post = vi.fn();
    const result = await deliverWebhook(deps(post), { jobId: job.jobId, attempt });
    expect(result.outcome).toBe('skipped');
    expect(post).not.toHaveBeenCalled();
  });

  it('lets a lost retry message fail the attempt so SQS delivers it again', async () => {
    stored();
    sqsMock.on(SendMessageCommand).rejects(new Error('SQS down'));
    const post = async () => ({ ok: false as const, statusCode: 502, error: 'HTTP 502', retryable: true });
    await expect(deliverWebhook(deps(post), { jobId: job.jobId, attempt: 1 })).rejects.toThrow('SQS down');
    expect(recorded()).toEqual([]);
  });
});

describe('webhookOptionsFromEnv', () => {
  it('applies the defaults from core/config', () => {
    expect(webhookOptionsFromEnv({ FERRY_PARAMETER_PREFIX: '/ferry/prod' })).toEqual({
      parameterPrefix: '/ferry/prod',
      ports: [80, 443],
      allowPrivate: false,
      firstRetryDelaySec: WEBHOOK.firstRetryDelaySec,
      maxAttempts: WEBHOOK.maxAttempts,
      requestTimeoutMs: WEBHOOK.requestTimeoutMs,
    });
  });

  it('reads overrides and refuses bad values by name', () => {
    const env = {
      FERRY_PARAMETER_PREFIX: '/ferry/prod',
      FERRY_WEBHOOK_FIRST_RETRY_DELAY_SEC: '1',
      FERRY_ALLOW_PRIVATE_WEBHOOKS: 'true',
    };
    expect(webhookOptionsFromEnv(env)).toMatchObject({ firstRetryDelaySec: 1, allowPrivate: true });
    expect(() => webhookOptionsFromEnv({})).toThrow(/FERRY_PARAMETER_PREFIX: is required/);
    expect(() => webhookOptionsFromEnv({ ...env, FERRY_WEBHOOK_PORTS: '80,http' })).toThrow(
      /FERRY_WEBHOOK_PORTS/,
    );
    expect(() => webhookOptionsFromEnv({ ...env, FERRY_WEBHOOK_FIRST_RETRY_DELAY_SEC: '901' })).toThrow(
      'FERRY_WEBHOOK_FIRST_RETRY_DELAY_SEC="901": must be an integer from 0 to 900 seconds',
    );
  });
});

describe('postWebhook', () => {
  let server: http.Server;
  let base: string;
  const requests: { headers: http.IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        requests.push({ headers: req.headers, body });
        if (req.url === '/ok') res.writeHead(204).end();
        else if (req.url === '/redirect') res.writeHead(302, { location: '/ok' }).end();
        else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 2000);
        else res.writeHead(500).end('nope');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (path: string, options: { allowPrivate?: boolean; timeoutMs?: number } = {}) =>
    postWebhook(new URL(`${base}${path}`), { 'webhook-id': 'x' }, '{"a":1}', {
      allowPrivate: options.allowPrivate ?? true,
      timeoutMs: options.timeoutMs ?? 1000,
    });

  it('sends the body as JSON with the given headers and reports 2xx as delivered', async () => {
    expect(await post('/ok')).toEqual({ ok: true, statusCode: 204 });
    expect(requests.at(-1)).toMatchObject({
      body: '{"a":1}',
      headers: { 'content-type': 'application/json', 'webhook-id': 'x' },
    });
  });

  it('does not follow redirects', async () => {
    const before = requests.length;
    expect(await post('/redirect')).toMatchObject({ ok: false, statusCode: 302, retryable: true });
    expect(requests.length).toBe(before + 1);
  });

  it('reports other statuses and timeouts as retryable failures', async () => {
    expect(await post('/fail')).toMatchObject({
      ok: false,
      statusCode: 500,
      error: 'receiver answered HTTP 500',
    });
    expect(await post('/slow', { timeoutMs: 200 })).toMatchObject({
      ok: false,
      error: 'timed out after 200 ms',
      retryable: true,
    });
  });

  it('stores a connection failure as its class, never the address and port (no port-scan oracle)', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const outcome = await postWebhook(new URL(`http://127.0.0.1:${port}/x`), {}, '{}', {
      allowPrivate: true,
      timeoutMs: 1000,
    });
    expect(outcome).toEqual({ ok: false, error: 'connection refused', retryable: true });
    expect(JSON.stringify(outcome)).not.toContain(String(port));
  });

  it('refuses loopback receivers unless private webhooks are allowed, by literal and by name', async () => {
    const before = requests.length;
    expect(await post('/ok', { allowPrivate: false })).toMatchObject({ ok: false, retryable: false });
    const byName = await postWebhook(new URL(`${base.replace('127.0.0.1', 'localhost')}/ok`), {}, '{}', {
      allowPrivate: false,
      timeoutMs: 1000,
    });
    expect(byName).toMatchObject({
      ok: false,
      retryable: false,
      error: expect.stringContaining('private address'),
    });
    expect(requests.length).toBe(before);
  });
});
