/**
 * Gives a test file its own set of resources in the shared emulator (unique names), the env
 * the functions and worker read, and AWS clients pointed at it.
 */
import { randomBytes } from 'node:crypto';
import { PutBucketNotificationConfigurationCommand } from '@aws-sdk/client-s3';
import { type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { type AwsClients, createAwsClients } from '../../core/aws.ts';
import { type AwsComponent, callLogEnv } from '../../core/aws-calls.ts';
import { JobStore } from '../../core/job-store.ts';
import { resourcesToEnv } from '../../core/resources.ts';
import { ensureLocalClient, type LocalClient } from '../../scripts/local/local-client.ts';
import { type LocalOutputs, provision, suffixedNames } from '../../scripts/local/provision.ts';

export interface TestStack {
  outputs: LocalOutputs;
  /** FERRY_* and AWS_* variables for functions and the worker. */
  env: Record<string, string>;
  aws: AwsClients;
  jobs: JobStore;
  /** A client of the stack ("acme"), with an API key and a webhook secret. */
  client: LocalClient;
}

export async function createTestStack(options: { withWebhookFunction?: boolean } = {}): Promise<TestStack> {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!endpoint)
    throw new Error('AWS_ENDPOINT_URL is unset: run tests through vitest (test/support/global-setup.ts)');
  const outputs = await provision({
    endpoint,
    names: suffixedNames(randomBytes(4).toString('hex')),
    withWebhookFunction: options.withWebhookFunction ?? false,
  });
  const env = stackEnv(outputs);
  // The test's own clients never record, even once the file records an in-process component.
  const aws = createAwsClients({ ...process.env, ...env, FERRY_AWS_CALL_LOG: undefined });
  // Generous limits: tests poll fast; test/integration/functions/api/rate-limit.test.ts makes a client with tight ones.
  const client = await ensureLocalClient(outputs, 'acme', { requestsPerSec: 1000, burst: 1000 });
  return { outputs, env, aws, jobs: new JobStore({ dynamo: aws.dynamo, table: outputs.table }), client };
}

export function stackEnv(outputs: LocalOutputs): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: outputs.endpoint,
    AWS_REGION: outputs.region,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
    ...resourcesToEnv(outputs),
    // Test receivers listen on loopback on random ports, which production refuses.
    FERRY_ALLOW_PRIVATE_WEBHOOKS: 'true',
    FERRY_WEBHOOK_PORTS: '*',
  };
}

/**
 * Records the AWS calls of the component this test file runs in its own process (the API's
 * handler or local server, the webhook handler, the reconciler function), as that component
 * (core/aws-calls.ts): its clients are built from process.env. Call it after the file's own
 * clients exist (createTestStack's are exempt) and before the component builds its clients.
 */
export function recordCallsAs(component: AwsComponent): void {
  Object.assign(process.env, callLogEnv(component));
}

/**
 * Switches the stack's bucket notification off: from now on an upload gets no S3 event at all,
 * as when one is lost (the upload sweep's tests).
 */
export async function switchOffUploadEvents(stack: TestStack): Promise<void> {
  await stack.aws.s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: stack.outputs.bucket,
      NotificationConfiguration: {},
    }),
  );
}

/** Polls `check` until it returns a value or `timeoutMs` passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  { timeoutMs = 10_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await check();
    if (last !== undefined) return last;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/**
 * Every message now visible in the stack's job queue, hidden for the rest of the test file.
 * `waitSec` long-polls each receive, for messages still on their way.
 */
export async function drainQueue(stack: TestStack, { waitSec = 0 } = {}): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const out = await stack.aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.outputs.queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 600,
        WaitTimeSeconds: waitSec,
      }),
    );
    if (!out.Messages?.length) return all;
    all.push(...out.Messages);
  }
}
