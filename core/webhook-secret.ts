/**
 * @module core/webhook-secret
 * Webhook signing secrets in the Standard Webhooks form: `whsec_` + base64 of 24..64 random
 * bytes (Ferry makes 32). Standard Webhooks libraries decode the base64 part strictly, so a
 * secret that Node would decode loosely (e.g. `whsec_not_base64`) is refused here, where it is
 * created or loaded, rather than producing signatures no receiver can check.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError } from './errors.ts';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Why a secret is unusable by a Standard Webhooks library, or undefined when it is fine. */
export function webhookSecretProblem(secret: string): string | undefined {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) return `must start with ${WEBHOOK_SECRET_PREFIX}`;
  const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  if (!encoded || !STRICT_BASE64.test(encoded)) {
    return `must be ${WEBHOOK_SECRET_PREFIX} followed by standard base64 (with padding)`;
  }
  const bytes = Buffer.from(encoded, 'base64').length;
  if (bytes < 24 || bytes > 64) return `must encode 24..64 bytes, not ${bytes}`;
  return undefined;
}

/** Throws ConfigError naming `what` when the secret is unusable; returns it otherwise. */
export function assertWebhookSecret(secret: string, what: string): string {
  const problem = webhookSecretProblem(secret);
  if (problem) throw new ConfigError(`${what} ${problem}`);
  return secret;
}

/** A new secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** Secrets stored in one parameter, newest first: `whsec_new whsec_old` during a rotation. */
export function parseSecretList(value: string, what: string): string[] {
  const secrets = value.split(/\s+/).filter(Boolean);
  if (secrets.length === 0) throw new ConfigError(`${what} is empty`);
  for (const s of secrets) assertWebhookSecret(s, what);
  return secrets;
}
