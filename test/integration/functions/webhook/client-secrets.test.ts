/**
 * Per-client webhook secrets from SSM (the real emulator's Parameter Store): client A's webhook
 * verifies with A's secret through the `standardwebhooks` npm package and not with B's; during a
 * rotation both `v1,` signatures are sent, so the old and the new secret both verify.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../../../core/job.ts';
import { newJobId } from '../../../../core/keys.ts';
import { deliverWebhook } from '../../../../functions/webhook/deliver.ts';
import { ensureLocalClient, type LocalClient, localAdmin } from '../../../../scripts/local/local-client.ts';
import { createTestStack, type TestStack } from '../../../support/local-stack.ts';
import {
  deliverDeps,
  finishedJob,
  pumpWebhooks,
  type Receiver,
  startReceiver,
} from '../../../support/webhook.ts';

let stack: TestStack;
let clientB: LocalClient;
let receiver: Receiver;

beforeAll(async () => {
  stack = await createTestStack();
  Object.assign(process.env, stack.env, { POWERTOOLS_LOG_LEVEL: 'ERROR' });
  clientB = await ensureLocalClient(stack.outputs, 'globex');
  // Verifies with Ferry's own verifier and A's secret; the tests below check with standardwebhooks.
  receiver = await startReceiver(stack.client.webhookSecret);
});

afterAll(async () => {
  await receiver?.close();
});

const deps = () => deliverDeps(stack, { maxAttempts: 2 });

async function deliverOne(): Promise<{ headers: Record<string, string>; body: string }> {
  const before = receiver.received.length;
  await finishedJob(stack, receiver.url, 'succeed');
  await pumpWebhooks(stack, deps(), () => receiver.received.length > before);
  const got = receiver.received.at(-1);
  if (!got) throw new Error('no delivery');
  const headers: Record<string, string> = {};
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'])
    headers[name] = String(got.headers[name]);
  return { headers, body: got.body };
}

describe('per-client webhook secrets', () => {
  it("A's webhook verifies with A's secret (standardwebhooks) and not with B's", async () => {
    const { headers, body } = await deliverOne();
    const event = new Webhook(stack.client.webhookSecret).verify(body, headers) as { jobId: string };
    expect(event.jobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(() => new Webhook(clientB.webhookSecret).verify(body, headers)).toThrow();
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(1);
  });

  it('a rotation sends both signatures; each secret verifies until the rotation ends', async () => {
    const { parameters } = localAdmin(stack.outputs);
    const oldSecret = stack.client.webhookSecret;
    const newSecret = await parameters.rotateWebhookSecret(stack.client.clientId);

    const during = await deliverOne();
    expect(during.headers['webhook-signature']?.split(' ')).toHaveLength(2);
    for (const secret of [oldSecret, newSecret]) {
      expect(new Webhook(secret).verify(during.body, during.headers)).toBeTruthy();
    }
    expect(() => new Webhook(clientB.webhookSecret).verify(during.body, during.headers)).toThrow();

    await parameters.finishRotation(stack.client.clientId);
    const after = await deliverOne();
    expect(new Webhook(newSecret).verify(after.body, after.headers)).toBeTruthy();
    expect(() => new Webhook(oldSecret).verify(after.body, after.headers)).toThrow();
  });

  it('a job whose client has no secret is never sent unsigned', async () => {
    const jobId = newJobId();
    await stack.jobs.create({
      jobId,
      status: JobStatus.Queued,
      task: 'ocr',
      bucket: stack.outputs.bucket,
      key: `uploads/${jobId}/a.png`,
      webhookUrl: receiver.url,
      clientId: 'nobody',
    });
    await stack.jobs.claim(jobId, 'w1', 60_000);
    await stack.jobs.fail(jobId, { error: 'x', errorCode: 'INVALID_INPUT' }, 'w1');
    const before = receiver.received.length;
    const result = await deliverWebhook(deps(), { jobId, attempt: 2 });
    expect(result).toMatchObject({
      outcome: 'failed',
      error: expect.stringMatching(/no usable signing secret/),
    });
    expect(receiver.received.length).toBe(before);
  });
});
