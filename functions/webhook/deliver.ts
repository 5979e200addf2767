/**
 * @module functions/webhook/deliver
 * Delivers one webhook message: loads the job (the source of truth), POSTs its signed event,
 * and either records the delivery or schedules the next attempt.
 *
 * Attempt n (from 1) that fails with a retryable error, while n < maxAttempts, re-sends the
 * message as attempt n+1 with `DelaySeconds = min(900, firstRetryDelaySec * 2^(n-1))`; only then
 * is the outcome recorded on the job (`webhook: { status: 'failed', attempts: n, ... }`), so a
 * crash in between repeats attempt n rather than losing the chain. A message whose attempt is
 * not newer than the one recorded is a duplicate (SQS delivers at least once) and is skipped.
 * Refused URLs (scheme, port, private address) fail at once: no retry can fix them.
 *
 * Each event is signed with its client's secrets (SSM, core/secrets.ts): one `v1,` signature per
 * secret, so during a rotation receivers holding either the old or the new secret can verify.
 */
import { ConfigError } from '../../core/errors.ts';
import { isFinal, type Job, type WebhookDelivery } from '../../core/job.ts';
import type { JobStore } from '../../core/job-store.ts';
import type { Log } from '../../core/log.ts';
import type { SecretStore } from '../../core/secrets.ts';
import { assertAllowedPort, parseWebhookUrl, WebhookUrlError } from '../../core/webhook-url.ts';
import {
  retryDelaySec,
  sendWebhookMessage,
  signWebhook,
  WEBHOOK_HEADERS,
  type WebhookMessage,
  type WebhookQueueDeps,
  webhookEventFor,
  webhookIdFor,
} from '../../core/webhooks.ts';
import type { WebhookOptions } from './options.ts';
import { type PostOutcome, postWebhook } from './post.ts';

export interface DeliverDeps {
  jobs: JobStore;
  queue: WebhookQueueDeps;
  options: WebhookOptions;
  /** Clients' signing secrets (SSM, cached). */
  secrets: Pick<SecretStore, 'webhookSecrets'>;
  logger: Log;
  /** The HTTP POST; replaceable in unit tests. */
  post?: typeof postWebhook;
  now?: () => Date;
}

export type DeliveryResult =
  | { outcome: 'delivered'; attempt: number; statusCode: number }
  | { outcome: 'retrying'; attempt: number; delaySec: number; error: string; statusCode?: number }
  | { outcome: 'failed'; attempt: number; error: string; statusCode?: number }
  | { outcome: 'skipped'; reason: string };

export const USER_AGENT = 'Ferry-Webhooks/1';

export async function deliverWebhook(deps: DeliverDeps, message: WebhookMessage): Promise<DeliveryResult> {
  const now = deps.now ?? (() => new Date());
  const job = await deps.jobs.get(message.jobId);
  if (!job) return { outcome: 'skipped', reason: 'job not found' };
  if (!job.webhookUrl) return { outcome: 'skipped', reason: 'job has no webhookUrl' };
  if (!isFinal(job.status)) return { outcome: 'skipped', reason: `job is ${job.status}, not final` };
  if (job.webhook?.status === 'delivered') return { outcome: 'skipped', reason: 'already delivered' };
  if (job.webhook && job.webhook.attempts >= message.attempt) {
    return { outcome: 'skipped', reason: `attempt ${message.attempt} was already made (duplicate message)` };
  }

  const { attempt } = message;
  const { maxAttempts } = deps.options;
  let outcome: PostOutcome;
  try {
    const url = parseWebhookUrl(job.webhookUrl);
    assertAllowedPort(url, deps.options.ports);
    const secrets = await signingSecrets(deps, job);
    const body = JSON.stringify(webhookEventFor(job));
    const content = { webhookId: webhookIdFor(job), timestamp: Math.floor(now().getTime() / 1000), body };
    const headers = {
      [WEBHOOK_HEADERS.id]: content.webhookId,
      [WEBHOOK_HEADERS.timestamp]: String(content.timestamp),
      [WEBHOOK_HEADERS.signature]: secrets.map((secret) => signWebhook(secret, content)).join(' '),
      'user-agent': USER_AGENT,
    };
    outcome = await (deps.post ?? postWebhook)(url, headers, body, {
      timeoutMs: deps.options.requestTimeoutMs,
      allowPrivate: deps.options.allowPrivate,
    });
  } catch (error) {
    if (error instanceof WebhookUrlError) {
      outcome = { ok: false, error: `refused: webhookUrl ${error.message}`, retryable: false };
    } else if (error instanceof ConfigError) {
      // An operator can fix the secret; the attempt is retried on the usual schedule meanwhile.
      deps.logger.error('cannot sign the webhook', { jobId: job.jobId, clientId: job.clientId, error });
      outcome = { ok: false, error: 'not sent: the client has no usable signing secret', retryable: true };
    } else throw error;
  }

  const at = now().toISOString();
  if (outcome.ok) {
    await record(deps, job.jobId, {
      status: 'delivered',
      attempts: attempt,
      statusCode: outcome.statusCode,
      at,
    });
    return { outcome: 'delivered', attempt, statusCode: outcome.statusCode };
  }
  const statusCode = outcome.statusCode !== undefined ? { statusCode: outcome.statusCode } : {};
  if (outcome.retryable && attempt < maxAttempts) {
    const delaySec = retryDelaySec(attempt, deps.options.firstRetryDelaySec);
    await sendWebhookMessage(deps.queue, { jobId: job.jobId, attempt: attempt + 1 }, delaySec);
    const error = `${outcome.error} (attempt ${attempt} of ${maxAttempts}; next in ${delaySec} s)`;
    await record(deps, job.jobId, { status: 'failed', attempts: attempt, ...statusCode, error, at });
    return { outcome: 'retrying', attempt, delaySec, error: outcome.error, ...statusCode };
  }
  const error = outcome.retryable ? `${outcome.error} (gave up after ${attempt} attempts)` : outcome.error;
  await record(deps, job.jobId, { status: 'failed', attempts: attempt, ...statusCode, error, at });
  return { outcome: 'failed', attempt, error, ...statusCode };
}

/** The job's client's secrets, newest first; ConfigError when there are none. */
async function signingSecrets(deps: DeliverDeps, job: Job): Promise<string[]> {
  if (!job.clientId) throw new ConfigError(`Job ${job.jobId} has no client, so no webhook signing secret`);
  const secrets = await deps.secrets.webhookSecrets(job.clientId);
  if (!secrets) throw new ConfigError(`Client ${job.clientId} has no webhook signing secret`);
  return secrets;
}

/** Best effort: the delivery (or the scheduled retry) already happened; a lost record only hides it. */
async function record(deps: DeliverDeps, jobId: string, webhook: WebhookDelivery): Promise<void> {
  try {
    await deps.jobs.recordWebhook(jobId, webhook);
  } catch (error) {
    deps.logger.warn('could not record the webhook outcome', { jobId, webhook, error });
  }
}
