/**
 * Webhook delivery against the emulator: the handler runs in-process, fed from the stack's real
 * webhooks queue (delays included), and posts to a receiver on 127.0.0.1 that verifies the
 * Standard Webhooks signature.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../../../core/job.ts';
import { resultKey } from '../../../../core/keys.ts';
import { OCR_TASK } from '../../../../core/tasks.ts';
import { webhookIdFor } from '../../../../core/webhooks.ts';
import { handler as apiHandler } from '../../../../functions/api/handler.ts';
import type { WebhookOptions } from '../../../../functions/webhook/options.ts';
import { invoke } from '../../../support/api.ts';
import { createTestStack, type TestStack } from '../../../support/local-stack.ts';
import {
  deliverDeps,
  finishedJob,
  pumpWebhooks,
  type Receiver,
  startReceiver,
} from '../../../support/webhook.ts';

/** The stack's client's key, set once the stack exists. */
let API_KEY = '';

let stack: TestStack;
let receivers: Receiver[] = [];

beforeAll(async () => {
  stack = await createTestStack();
  API_KEY = stack.client.apiKey;
  Object.assign(process.env, stack.env, {
    FERRY_ALLOW_PRIVATE_WEBHOOKS: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
});

afterEach(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
});

async function receiver(statuses?: number[]): Promise<Receiver> {
  const r = await startReceiver(stack.client.webhookSecret, statuses);
  receivers.push(r);
  return r;
}

const deps = (options: Partial<WebhookOptions> = {}) => deliverDeps(stack, options);

describe('webhook delivery', () => {
  it('posts a signed job.succeeded event and records the delivery on the job', async () => {
    const r = await receiver();
    const job = await finishedJob(stack, r.url, 'succeed');
    await pumpWebhooks(
      stack,
      deps(),
      async () => (await stack.jobs.require(job.jobId)).webhook !== undefined,
    );

    expect(r.received).toHaveLength(1);
    const [delivery] = r.received;
    expect(delivery?.verificationError).toBeUndefined();
    expect(delivery?.headers['webhook-id']).toBe(webhookIdFor(job));
    expect(delivery?.headers['content-type']).toBe('application/json');
    expect(delivery?.event).toMatchObject({
      type: 'job.succeeded',
      jobId: job.jobId,
      status: JobStatus.Succeeded,
      task: OCR_TASK.name,
      resultKey: resultKey(job.jobId),
      timings: { inference: 12, total: 40 },
      metadata: { order: '42' },
    });
    expect(delivery?.event?.finishedAt).toBe(job.finishedAt);
    expect((await stack.jobs.require(job.jobId)).webhook).toMatchObject({
      status: 'delivered',
      attempts: 1,
      statusCode: 200,
    });
  });

  it('retries with backoff after a receiver fails twice, then delivers the same event', async () => {
    const r = await receiver([500, 503, 204]);
    const job = await finishedJob(stack, r.url, 'succeed');
    await pumpWebhooks(
      stack,
      deps(),
      async () => (await stack.jobs.require(job.jobId)).webhook?.status === 'delivered',
    );

    expect(r.received.map((d) => d.status)).toEqual([500, 503, 204]);
    expect(new Set(r.received.map((d) => d.headers['webhook-id']))).toEqual(new Set([webhookIdFor(job)]));
    const [first, second, third] = r.received.map((d) => d.at);
    // Delays of 1 s then 2 s (SQS DelaySeconds); allow for the 1 s receive poll.
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(900);
    expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(1900);
    expect((await stack.jobs.require(job.jobId)).webhook).toMatchObject({
      status: 'delivered',
      attempts: 3,
      statusCode: 204,
    });
  });

  it('notifies FAILED jobs with their error', async () => {
    const r = await receiver();
    const job = await finishedJob(stack, r.url, 'fail');
    await pumpWebhooks(stack, deps(), () => r.received.length > 0);
    expect(r.received[0]?.event).toMatchObject({
      type: 'job.failed',
      jobId: job.jobId,
      status: JobStatus.Failed,
      error: 'The file is not an image Ferry can read.',
      errorCode: 'INVALID_INPUT',
    });
    expect(r.received[0]?.event).not.toHaveProperty('resultKey');
  });

  it('gives up after maxAttempts and records the failure', async () => {
    const r = await receiver([500]);
    const job = await finishedJob(stack, r.url, 'succeed');
    await pumpWebhooks(
      stack,
      deps({ maxAttempts: 2 }),
      async () => (await stack.jobs.require(job.jobId)).webhook?.attempts === 2,
    );
    expect(r.received).toHaveLength(2);
    const recorded = (await stack.jobs.require(job.jobId)).webhook;
    expect(recorded).toMatchObject({ status: 'failed', attempts: 2, statusCode: 500 });
    expect(recorded?.error).toContain('gave up after 2 attempts');
  });

  it('sends job.canceled after DELETE /jobs/{id} through the API handler', async () => {
    const r = await receiver();
    const created = await invoke(apiHandler, {
      method: 'POST',
      path: '/uploads',
      headers: { authorization: `Bearer ${API_KEY}` },
      body: { filename: 'a.png', contentType: 'image/png', size: 10, webhookUrl: r.url },
    });
    expect(created.status).toBe(201);
    const canceled = await invoke(apiHandler, {
      method: 'DELETE',
      path: `/jobs/${created.json.jobId}`,
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(canceled.status).toBe(200);
    await pumpWebhooks(stack, deps(), () => r.received.length > 0);
    expect(r.received[0]?.event).toMatchObject({
      type: 'job.canceled',
      jobId: created.json.jobId,
      status: JobStatus.Canceled,
    });
  });

  it('refuses a loopback receiver when private webhooks are not allowed, without retrying', async () => {
    const r = await receiver();
    const job = await finishedJob(stack, r.url, 'succeed');
    await pumpWebhooks(
      stack,
      deps({ allowPrivate: false }),
      async () => (await stack.jobs.require(job.jobId)).webhook !== undefined,
    );
    expect(r.received).toHaveLength(0);
    const recorded = (await stack.jobs.require(job.jobId)).webhook;
    expect(recorded).toMatchObject({ status: 'failed', attempts: 1 });
    expect(recorded?.error).toContain('private address');
  });
});
