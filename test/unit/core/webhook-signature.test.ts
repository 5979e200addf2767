/** Standard Webhooks signing and verification. */
import { describe, expect, it } from 'vitest';
import {
  signWebhook,
  verifyWebhook,
  WebhookVerificationError,
  webhookHeaders,
  webhookSigningKey,
} from '../../../core/webhook-signature.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NOW_MS = 1_700_000_000_000;
const now = () => NOW_MS;
const body = JSON.stringify({ type: 'job.succeeded', jobId: 'j1' });

function signed(overrides: { secret?: string; timestamp?: number; body?: string } = {}) {
  return webhookHeaders(overrides.secret ?? SECRET, {
    webhookId: 'msg_1',
    timestamp: overrides.timestamp ?? NOW_MS / 1000,
    body: overrides.body ?? body,
  });
}

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
}

describe('signWebhook', () => {
  it('matches the Standard Webhooks reference vector', () => {
    // From the spec's reference libraries (svix/webhooks test suite).
    expect(
      signWebhook(SECRET, {
        webhookId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        timestamp: 1614265330,
        body: '{"test": 2432232314}',
      }),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('uses the base64 part of whsec_ secrets and the UTF-8 bytes of others', () => {
    expect(webhookSigningKey('whsec_aGVsbG8=')).toEqual(Buffer.from('hello'));
    expect(webhookSigningKey('plain secret')).toEqual(Buffer.from('plain secret'));
    expect(() => webhookSigningKey('')).toThrow(/empty/);
  });

  it('signs bytes and strings alike', () => {
    const content = { webhookId: 'a', timestamp: 1, body };
    expect(signWebhook(SECRET, { ...content, body: Buffer.from(body) })).toBe(signWebhook(SECRET, content));
  });
});

describe('verifyWebhook', () => {
  it('returns the parsed body of a valid delivery', () => {
    expect(verifyWebhook(SECRET, signed(), body, { now })).toEqual(JSON.parse(body));
  });

  it('accepts Headers objects and header names in any case', () => {
    const headers = signed();
    expect(verifyWebhook(SECRET, new Headers(headers), body, { now })).toBeTruthy();
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyWebhook(SECRET, upper, body, { now })).toBeTruthy();
  });

  it('accepts any one of several signatures (key rotation)', () => {
    const headers = signed();
    const rotated = { ...headers, 'webhook-signature': `v1,bm9wZQ== ${headers['webhook-signature']}` };
    expect(verifyWebhook(SECRET, rotated, body, { now })).toBeTruthy();
  });

  it.each([
    ['a changed body', () => verifyWebhook(SECRET, signed(), `${body} `, { now }), 'no-matching-signature'],
    [
      'another secret',
      () => verifyWebhook('whsec_b3RoZXI=', signed(), body, { now }),
      'no-matching-signature',
    ],
    [
      'a changed webhook-id',
      () => verifyWebhook(SECRET, { ...signed(), 'webhook-id': 'msg_2' }, body, { now }),
      'no-matching-signature',
    ],
    [
      'a missing header',
      () => verifyWebhook(SECRET, { ...signed(), 'webhook-id': undefined }, body, { now }),
      'missing-header',
    ],
    [
      'a timestamp that is not a number',
      () => verifyWebhook(SECRET, { ...signed(), 'webhook-timestamp': 'yesterday' }, body, { now }),
      'invalid-timestamp',
    ],
    [
      'an old timestamp',
      () => verifyWebhook(SECRET, signed({ timestamp: NOW_MS / 1000 - 301 }), body, { now }),
      'timestamp-too-old',
    ],
    [
      'a future timestamp',
      () => verifyWebhook(SECRET, signed({ timestamp: NOW_MS / 1000 + 301 }), body, { now }),
      'timestamp-too-new',
    ],
    [
      'an unsigned-scheme signature',
      () => verifyWebhook(SECRET, { ...signed(), 'webhook-signature': 'v1a,abc' }, body, { now }),
      'no-matching-signature',
    ],
    [
      'a body that is not JSON',
      () => verifyWebhook(SECRET, signed({ body: 'x' }), 'x', { now }),
      'invalid-body',
    ],
  ])('refuses %s', (_, fn, reason) => {
    expect(reasonOf(fn)).toBe(reason);
  });

  it('honours toleranceSec', () => {
    const headers = signed({ timestamp: NOW_MS / 1000 - 20 });
    expect(reasonOf(() => verifyWebhook(SECRET, headers, body, { now, toleranceSec: 10 }))).toBe(
      'timestamp-too-old',
    );
    expect(reasonOf(() => verifyWebhook(SECRET, headers, body, { now, toleranceSec: 30 }))).toBeUndefined();
  });
});
