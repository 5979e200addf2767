/**
 * Webhook test helpers: a receiver on 127.0.0.1 that verifies signatures and answers with a
 * scripted status, and a pump that drives the webhook handler in-process over the stack's real
 * webhooks queue (as the SQS event source mapping would in AWS).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { type Job, JobStatus } from '../../core/job.ts';
import { newJobId, resultKey } from '../../core/keys.ts';
import { SecretStore } from '../../core/secrets.ts';
import { OCR_TASK } from '../../core/tasks.ts';
import {
  enqueueWebhook,
  verifyWebhook,
  type WebhookEvent,
  WebhookVerificationError,
} from '../../core/webhooks.ts';
import { powertoolsLog } from '../../functions/log.ts';
import type { DeliverDeps } from '../../functions/webhook/deliver.ts';
import { handleWebhookBatch } from '../../functions/webhook/handler.ts';
import type { WebhookOptions } from '../../functions/webhook/options.ts';
import type { TestStack } from './local-stack.ts';

export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The verified event; undefined when the signature did not verify. */
  event?: WebhookEvent;
  verificationError?: string;
  status: number;
  at: number;
}

export interface Receiver {
  url: string;
  received: ReceivedWebhook[];
  close(): Promise<void>;
}

/**
 * Answers each request with the next status of `statuses` (the last one repeats), but always
 * 401 when the signature does not verify with `secret`.
 */
export async function startReceiver(secret: string, statuses: number[] = [200]): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let event: WebhookEvent | undefined;
      let verificationError: string | undefined;
      try {
        event = verifyWebhook<WebhookEvent>(secret, req.headers, body);
      } catch (error) {
        if (!(error instanceof WebhookVerificationError)) throw error;
        verificationError = error.reason;
      }
      const status = event ? (statuses[Math.min(received.length, statuses.length - 1)] ?? 200) : 401;
      received.push({
        headers: req.headers,
        body,
        ...(event ? { event } : {}),
        ...(verificationError ? { verificationError } : {}),
        status,
        at: Date.now(),
      });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(String(status));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/ferry`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Receives from the webhooks queue and hands each batch to the handler until `done()` holds
 * or `timeoutMs` passes; deletes the messages the handler did not report as failed.
 */
export async function pumpWebhooks(
  stack: TestStack,
  deps: DeliverDeps,
  done: () => Promise<boolean> | boolean,
  { timeoutMs = 20_000 } = {},
): Promise<void> {
  const queueUrl = stack.outputs.webhookQueueUrl;
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`webhook pump: condition not met within ${timeoutMs} ms`);
    const out = await stack.aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) continue;
    const event: SQSEvent = {
      Records: messages.map((m) => ({
        messageId: m.MessageId ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.now()),
          SenderId: 'test',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: m.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:test',
        awsRegion: 'us-east-1',
      })),
    };
    const { batchItemFailures } = await handleWebhookBatch(deps, event);
    const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
    const entries = messages
      .filter((m) => !failed.has(m.MessageId ?? ''))
      .map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' }));
    if (entries.length > 0) {
      await stack.aws.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    }
  }
}

/** A job taken to a final state the way the worker does it, then announced. */
export async function finishedJob(
  stack: TestStack,
  webhookUrl: string,
  outcome: 'succeed' | 'fail',
): Promise<Job> {
  const jobId = newJobId();
  await stack.jobs.create({
    jobId,
    status: JobStatus.Queued,
    task: OCR_TASK.name,
    bucket: stack.outputs.bucket,
    key: `uploads/${jobId}/page.png`,
    webhookUrl,
    metadata: { order: '42' },
    clientId: stack.client.clientId,
  });
  await stack.jobs.claim(jobId, 'w1', 60_000);
  const job =
    outcome === 'succeed'
      ? await stack.jobs.succeed(jobId, 'w1', {
          resultKey: resultKey(jobId),
          timings: { inference: 12, total: 40 },
          executionProvider: 'cpu',
        })
      : await stack.jobs.fail(
          jobId,
          { error: 'The file is not an image Ferry can read.', errorCode: 'INVALID_INPUT' },
          'w1',
        );
  await enqueueWebhook({ sqs: stack.aws.sqs, queueUrl: stack.outputs.webhookQueueUrl }, job);
  return job;
}

/**
 * The webhook function's delivery logic against the stack, with a fresh secret cache (so a
 * rotation shows at once) and loopback receivers allowed; `options` overrides.
 */
export function deliverDeps(stack: TestStack, options: Partial<WebhookOptions> = {}): DeliverDeps {
  return {
    jobs: stack.jobs,
    queue: { sqs: stack.aws.sqs, queueUrl: stack.outputs.webhookQueueUrl },
    options: {
      parameterPrefix: stack.outputs.parameterPrefix,
      ports: 'any',
      allowPrivate: true,
      firstRetryDelaySec: 1,
      maxAttempts: 6,
      requestTimeoutMs: 2000,
      ...options,
    },
    secrets: new SecretStore({ prefix: stack.outputs.parameterPrefix }),
    logger: powertoolsLog(new Logger({ serviceName: 'ferry-webhook-test', logLevel: 'SILENT' })),
  };
}
