/**
 * @module functions/webhook/options
 * The webhook function's settings, read from the environment and validated at cold start.
 */
import { z } from 'zod';
import { WEBHOOK } from '../../core/config.ts';
import { envBool, envInt, readEnv } from '../../core/env.ts';
import { PARAMETER_PREFIX_PATTERN } from '../../core/secrets.ts';
import { type WebhookPorts, WebhookPortsSchema } from '../../core/webhook-url.ts';

export interface WebhookOptions {
  /**
   * SSM path prefix of the deployment (FERRY_PARAMETER_PREFIX): each client's signing secrets are
   * read from `<prefix>/clients/<clientId>/webhook-secret` (core/config.ts PARAMETERS).
   */
  parameterPrefix: string;
  /** Ports a webhook URL may use (FERRY_WEBHOOK_PORTS, comma-separated or `*`). @defaultvalue 80, 443 */
  ports: WebhookPorts;
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
  FERRY_PARAMETER_PREFIX: z
    .string({ message: 'is required: the SSM parameter path prefix, e.g. /ferry/prod' })
    .regex(PARAMETER_PREFIX_PATTERN, 'must look like /ferry/<stage>'),
  FERRY_WEBHOOK_PORTS: WebhookPortsSchema,
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
    parameterPrefix: e.FERRY_PARAMETER_PREFIX,
    ports: e.FERRY_WEBHOOK_PORTS,
    allowPrivate: e.FERRY_ALLOW_PRIVATE_WEBHOOKS,
    firstRetryDelaySec: e.FERRY_WEBHOOK_FIRST_RETRY_DELAY_SEC,
    maxAttempts: e.FERRY_WEBHOOK_MAX_ATTEMPTS,
    requestTimeoutMs: e.FERRY_WEBHOOK_TIMEOUT_MS,
  };
}
