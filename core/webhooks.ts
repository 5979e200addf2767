/**
 * @module core/webhooks
 * Webhook notifications for finished jobs: the queue message that asks for a delivery, the
 * event a receiver gets, the retry schedule, and (re-exported) the signature helpers.
 *
 * Delivery contract (see functions/webhook/): when a job reaches a final state, whoever moved it
 * there calls `enqueueWebhook` (the worker after SUCCEEDED/FAILED, the API after a cancel). The
 * webhook function loads the job (the source of truth), POSTs the event signed per Standard
 * Webhooks, and on failure re-sends the message with a growing delay, up to
 * `WEBHOOK.maxAttempts` attempts. Delivery is at least once: receivers de-duplicate on the
 * `webhook-id` header, which is the same for every attempt of one event.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { WEBHOOK } from './config.ts';
import { isFinal, type Job, JobStatus, type JobTimings } from './job.ts';

export {
  DEFAULT_WEBHOOK_TOLERANCE_SEC,
  type HeadersLike,
  type SignedContent,
  signWebhook,
  type VerifyWebhookOptions,
  verifyWebhook,
  WEBHOOK_HEADERS,
  WebhookVerificationError,
  type WebhookVerificationReason,
  webhookHeaders,
} from './webhook-signature.ts';

/** The webhooks queue message: which job to notify about, and which attempt this is (from 1). */
export interface WebhookMessage {
  jobId: string;
  attempt: number;
}

const WebhookMessageSchema = z.object({
  jobId: z.string().min(1),
  attempt: z.number().int().min(1),
});

/** Parses a webhooks queue message; undefined for anything else. */
export function parseWebhookMessage(body: string | undefined): WebhookMessage | undefined {
  try {
    const parsed = WebhookMessageSchema.safeParse(JSON.parse(body ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Where webhook messages go. */
export interface WebhookQueueDeps {
  sqs: SQSClient;
  /** The webhooks queue (FERRY_WEBHOOK_QUEUE_URL). */
  queueUrl: string;
}

/**
 * Asks for the job's webhook to be delivered. A no-op when the job has no `webhookUrl` or is not
 * in a final state; call it after every move to a final state.
 */
export async function enqueueWebhook(deps: WebhookQueueDeps, job: Job): Promise<void> {
  if (!job.webhookUrl || !isFinal(job.status)) return;
  await sendWebhookMessage(deps, { jobId: job.jobId, attempt: 1 });
}

/** Sends one webhook message, hidden for `delaySec` seconds (SQS allows 0..900). */
export async function sendWebhookMessage(
  deps: WebhookQueueDeps,
  message: WebhookMessage,
  delaySec = 0,
): Promise<void> {
  await deps.sqs.send(
    new SendMessageCommand({
      QueueUrl: deps.queueUrl,
      MessageBody: JSON.stringify(message),
      ...(delaySec > 0 ? { DelaySeconds: Math.min(MAX_DELAY_SEC, Math.round(delaySec)) } : {}),
    }),
  );
}

/** SQS's largest message delay, in seconds. */
export const MAX_DELAY_SEC = 900;

/**
 * Seconds to wait after failed attempt number `failedAttempt` (from 1) before the next one:
 * `firstRetryDelaySec * 2^(failedAttempt - 1)`, capped at SQS's 900 s.
 * With the defaults: 10, 20, 40, 80, 160 s.
 */
export function retryDelaySec(
  failedAttempt: number,
  firstRetryDelaySec: number = WEBHOOK.firstRetryDelaySec,
): number {
  return Math.min(MAX_DELAY_SEC, firstRetryDelaySec * 2 ** Math.max(0, failedAttempt - 1));
}

export const WebhookEventType = {
  Succeeded: 'job.succeeded',
  Failed: 'job.failed',
  Canceled: 'job.canceled',
} as const;
export type WebhookEventType = (typeof WebhookEventType)[keyof typeof WebhookEventType];

const EVENT_TYPES: Partial<Record<JobStatus, WebhookEventType>> = {
  [JobStatus.Succeeded]: WebhookEventType.Succeeded,
  [JobStatus.Failed]: WebhookEventType.Failed,
  [JobStatus.Canceled]: WebhookEventType.Canceled,
};

/** The JSON body a webhook receiver gets. */
export interface WebhookEvent {
  type: WebhookEventType;
  jobId: string;
  status: JobStatus;
  task: string;
  /** The uploaded object's key. */
  key: string;
  /** Set when FAILED: a sentence a user can act on, and a stable code. */
  error?: string;
  errorCode?: string;
  /** Set when SUCCEEDED: where the result JSON is (`GET /jobs/{id}` gives a download URL). */
  resultKey?: string;
  timings?: JobTimings;
  createdAt: string;
  finishedAt?: string;
  /** The client's metadata from POST /uploads, untouched. */
  metadata?: Record<string, string>;
}

/** The event for a job in a final state; throws for any other state. */
export function webhookEventFor(job: Job): WebhookEvent {
  const type = EVENT_TYPES[job.status];
  if (!type) throw new Error(`Job ${job.jobId} is ${job.status}: only final jobs have webhook events`);
  return {
    type,
    jobId: job.jobId,
    status: job.status,
    task: job.task,
    key: job.key,
    ...(job.error ? { error: job.error } : {}),
    ...(job.errorCode ? { errorCode: job.errorCode } : {}),
    ...(job.resultKey && job.status === JobStatus.Succeeded ? { resultKey: job.resultKey } : {}),
    ...(job.timings ? { timings: job.timings } : {}),
    createdAt: job.createdAt,
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
    ...(job.metadata ? { metadata: job.metadata } : {}),
  };
}

/** The `webhook-id` of a job's event: the same for every attempt, so receivers can de-duplicate. */
export function webhookIdFor(job: Pick<Job, 'jobId' | 'status'>): string {
  return `ferry_${job.jobId}_${job.status.toLowerCase()}`;
}
