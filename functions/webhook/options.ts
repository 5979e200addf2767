/**
 * @module functions/webhook/options
 * The webhook function's settings, read from the environment and validated at cold start.
 */
import { z } from 'zod';
import { WEBHOOK } from '../../core/config.ts';
import { envBool, envInt, readEnv } from '../../core/env.ts';

export interface WebhookOptions {
  /**
   * Signing secret (FERRY_WEBHOOK_SECRET). `whsec_<base64>` for Standard Webhooks libraries, or
   * any string of at least 16 characters.
   */
  secret: string;
  /**
   * Deliver to loopback, private and link-local addresses (FERRY_ALLOW_PRIVATE_WEBHOOKS=true).
   * Local mode only: in production it would let anyone who can create a job probe the network.
   * @defaultvalue false
   */
  allowPrivate: boolean;
  /**
   * Delay before the second attempt, in seconds (FERRY_WEBHOOK_FIRST_RETRY_DELAY_SEC); doubled
   * for each further attempt, capped at 900.
   * @defaultvalue WEBHOOK.firstRetryDelaySec (10)
   */
  firstRetryDelaySec: number;
  /** Attempts before the outcome is recorded as failed for good (FERRY_WEBHOOK_MAX_ATTEMPTS). @defaultvalue WEBHOOK.maxAttempts (6) */
  maxAttempts: number;
  /** Per-attempt HTTP timeout, in milliseconds (FERRY_WEBHOOK_TIMEOUT_MS). @defaultvalue WEBHOOK.requestTimeoutMs (10000) */
  requestTimeoutMs: number;
}

const EnvSchema = z.object({
  FERRY_WEBHOOK_SECRET: z
    .string({ message: 'is required: the secret webhook requests are signed with' })
    .min(16, 'must be at least 16 characters'),
  FERRY_ALLOW_PRIVATE_WEBHOOKS: envBool().default(false),
  // SQS delays a message by at most 900 s.
  FERRY_WEBHOOK_FIRST_RETRY_DELAY_SEC: envInt(0, 900, 'seconds').default(WEBHOOK.firstRetryDelaySec),
  FERRY_WEBHOOK_MAX_ATTEMPTS: envInt(1, 20, 'attempts').default(WEBHOOK.maxAttempts),
  FERRY_WEBHOOK_TIMEOUT_MS: envInt(100, 60_000, 'ms').default(WEBHOOK.requestTimeoutMs),
});

/** Reads WebhookOptions from the environment; throws ConfigError naming each bad variable. */
export function webhookOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): WebhookOptions {
  const e = readEnv(EnvSchema, env);
  return {
    secret: e.FERRY_WEBHOOK_SECRET,
    allowPrivate: e.FERRY_ALLOW_PRIVATE_WEBHOOKS,
    firstRetryDelaySec: e.FERRY_WEBHOOK_FIRST_RETRY_DELAY_SEC,
    maxAttempts: e.FERRY_WEBHOOK_MAX_ATTEMPTS,
    requestTimeoutMs: e.FERRY_WEBHOOK_TIMEOUT_MS,
  };
}
