/**
 * The webhook function as deployed into the emulator (bundled by scripts/local/provision.ts and
 * subscribed to the webhooks queue): a message on the queue reaches the receiver through the
 * emulator's SQS -> Lambda event source mapping, with no test code in between.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestStack, eventually, type TestStack } from '../../../support/local-stack.ts';
import { finishedJob, type Receiver, startReceiver } from '../../../support/webhook.ts';

let stack: TestStack;
let receiver: Receiver;

beforeAll(async () => {
  stack = await createTestStack({ withWebhookFunction: true });
  // The deployed function reads the client's secret from SSM, as it does on AWS.
  receiver = await startReceiver(stack.client.webhookSecret);
});

afterAll(async () => {
  await receiver?.close();
});

it('delivers a signed event end to end through the deployed function', async () => {
  const { jobId } = await finishedJob(stack, receiver.url, 'succeed');

  const recorded = await eventually(async () => (await stack.jobs.require(jobId)).webhook, {
    timeoutMs: 30_000,
    intervalMs: 200,
  });
  expect(receiver.received).toHaveLength(1);
  expect(receiver.received[0]?.verificationError).toBeUndefined();
  expect(receiver.received[0]?.event).toMatchObject({ type: 'job.succeeded', jobId });
  expect(recorded).toMatchObject({ status: 'delivered', attempts: 1, statusCode: 200 });
});
