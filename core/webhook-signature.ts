/**
 * @module core/webhook-signature
 * Signing and verifying webhook requests per the Standard Webhooks spec
 * (https://www.standardwebhooks.com): HMAC-SHA256 over `${webhookId}.${timestamp}.${body}`,
 * sent as the headers `webhook-id`, `webhook-timestamp` (epoch seconds) and
 * `webhook-signature: v1,<base64>`. A secret of the form `whsec_<base64>` is used as the
 * spec's libraries use it (the base64 part decoded to bytes), so receivers may verify with any
 * Standard Webhooks library; any other secret is used as its UTF-8 bytes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { FerryError } from './errors.ts';

/** The three headers every delivery carries. */
export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

/** How far a delivery's timestamp may be from the receiver's clock, in seconds. @defaultvalue 300 */
export const DEFAULT_WEBHOOK_TOLERANCE_SEC = 300;

const SECRET_PREFIX = 'whsec_';

/** What a webhook signature covers. */
export interface SignedContent {
  /** Stable across retries of the same event (the receiver's de-duplication key). */
  webhookId: string;
  /** Epoch seconds of this attempt. */
  timestamp: number;
  /** The exact request body bytes (or string, as UTF-8). */
  body: string | Uint8Array;
}

/** The signing key for a secret: `whsec_<base64>` decodes to bytes, anything else is UTF-8. */
export function webhookSigningKey(secret: string): Buffer {
  const key = secret.startsWith(SECRET_PREFIX)
    ? Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64')
    : Buffer.from(secret, 'utf8');
  if (key.length === 0) throw new TypeError('The webhook secret is empty');
  return key;
}

/** The `v1,<base64>` signature of one delivery. */
export function signWebhook(secret: string, content: SignedContent): string {
  const hmac = createHmac('sha256', webhookSigningKey(secret));
  hmac.update(`${content.webhookId}.${content.timestamp}.`);
  hmac.update(typeof content.body === 'string' ? Buffer.from(content.body, 'utf8') : content.body);
  return `v1,${hmac.digest('base64')}`;
}

/** The signature headers for one delivery attempt. */
export function webhookHeaders(secret: string, content: SignedContent): Record<string, string> {
  return {
    [WEBHOOK_HEADERS.id]: content.webhookId,
    [WEBHOOK_HEADERS.timestamp]: String(content.timestamp),
    [WEBHOOK_HEADERS.signature]: signWebhook(secret, content),
  };
}

/** Why a delivery failed verification; stable strings, safe to log. */
export type WebhookVerificationReason =
  | 'missing-header'
  | 'invalid-timestamp'
  | 'timestamp-too-old'
  | 'timestamp-too-new'
  | 'no-matching-signature'
  | 'invalid-body';

/** A delivery that must not be trusted. `reason` says which check failed. */
export class WebhookVerificationError extends FerryError {
  override readonly name = 'WebhookVerificationError';
  readonly code = 'WEBHOOK_VERIFICATION_FAILED';
  readonly reason: WebhookVerificationReason;

  constructor(reason: WebhookVerificationReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** Fetch `Headers`, or Node's `IncomingHttpHeaders` / any plain object (names matched case-insensitively). */
export type HeadersLike = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** Largest accepted distance between the delivery's timestamp and now, in seconds. @defaultvalue 300 */
  toleranceSec?: number;
  /** Clock for tests, epoch milliseconds. @defaultvalue Date.now */
  now?: () => number;
}

/**
 * Checks a delivery's signature and timestamp, then returns its parsed JSON body. Throws
 * WebhookVerificationError otherwise. Pass the raw body exactly as received (not re-serialised
 * JSON). Any one of several space-separated `v1,` signatures may match (key rotation).
 *
 * @example
 * ```ts
 * const event = verifyWebhook<WebhookEvent>(process.env.FERRY_WEBHOOK_SECRET!, req.headers, rawBody);
 * ```
 */
export function verifyWebhook<T = unknown>(
  secret: string,
  headers: HeadersLike,
  body: string | Uint8Array,
  options: VerifyWebhookOptions = {},
): T {
  const webhookId = header(headers, WEBHOOK_HEADERS.id);
  const timestampText = header(headers, WEBHOOK_HEADERS.timestamp);
  const signatures = header(headers, WEBHOOK_HEADERS.signature);
  if (!webhookId || !timestampText || !signatures) {
    throw new WebhookVerificationError(
      'missing-header',
      `A webhook needs the ${Object.values(WEBHOOK_HEADERS).join(', ')} headers`,
    );
  }
  if (!/^\d{1,12}$/.test(timestampText)) {
    throw new WebhookVerificationError(
      'invalid-timestamp',
      `webhook-timestamp "${timestampText}" is not epoch seconds`,
    );
  }
  const timestamp = Number(timestampText);
  const toleranceSec = options.toleranceSec ?? DEFAULT_WEBHOOK_TOLERANCE_SEC;
  const nowSec = Math.floor((options.now ?? Date.now)() / 1000);
  if (timestamp < nowSec - toleranceSec) {
    throw new WebhookVerificationError(
      'timestamp-too-old',
      `webhook-timestamp is more than ${toleranceSec} s old`,
    );
  }
  if (timestamp > nowSec + toleranceSec) {
    throw new WebhookVerificationError(
      'timestamp-too-new',
      `webhook-timestamp is more than ${toleranceSec} s ahead`,
    );
  }
  const expected = Buffer.from(
    signWebhook(secret, { webhookId, timestamp, body }).slice('v1,'.length),
    'base64',
  );
  const matched = signatures
    .split(' ')
    .filter((candidate) => candidate.startsWith('v1,'))
    .some((candidate) => {
      const given = Buffer.from(candidate.slice('v1,'.length), 'base64');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  if (!matched)
    throw new WebhookVerificationError('no-matching-signature', 'No webhook-signature matches the body');
  try {
    return JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8')) as T;
  } catch (error) {
    throw new WebhookVerificationError('invalid-body', 'The webhook body is not JSON', { cause: error });
  }
}

function header(headers: HeadersLike, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(' ') : value;
  }
  return undefined;
}
