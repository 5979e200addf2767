/**
 * Webhook secrets must be usable by any Standard Webhooks library: `whsec_` + strict base64 of
 * 24..64 bytes. Ferry's generated secrets are, and the `standardwebhooks` package verifies what
 * Ferry signs with them.
 */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/errors.ts';
import {
  assertWebhookSecret,
  generateWebhookSecret,
  parseSecretList,
  webhookSecretProblem,
} from '../../../core/webhook-secret.ts';
import { signWebhook } from '../../../core/webhook-signature.ts';

describe('webhook secrets', () => {
  it('generates whsec_ + base64 of 32 bytes, which standardwebhooks verifies', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(webhookSecretProblem(secret)).toBeUndefined();
    const body = '{"type":"job.succeeded"}';
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = signWebhook(secret, { webhookId: 'msg_1', timestamp, body });
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    };
    expect(new Webhook(secret).verify(body, headers)).toEqual({ type: 'job.succeeded' });
  });

  it.each([
    ['the old local default', 'whsec_ferry_local_development_only'],
    ['no prefix', Buffer.alloc(32, 1).toString('base64')],
    ['unpadded base64', `whsec_${Buffer.alloc(32, 1).toString('base64').replace(/=+$/, '')}`],
    ['base64url', `whsec_${Buffer.alloc(33, 255).toString('base64url')}`],
    ['too short', `whsec_${Buffer.alloc(8, 1).toString('base64')}`],
    ['empty', 'whsec_'],
  ])('refuses %s', (_, secret) => {
    expect(webhookSecretProblem(secret)).toBeDefined();
    expect(() => assertWebhookSecret(secret, 'FERRY_TEST')).toThrow(ConfigError);
  });

  it('reads a rotation list newest first and refuses a bad entry in it', () => {
    const [a, b] = [generateWebhookSecret(), generateWebhookSecret()];
    expect(parseSecretList(`${a} ${b}`, 'p')).toEqual([a, b]);
    expect(() => parseSecretList(`${a} whsec_nope`, 'Parameter /x')).toThrow(/Parameter \/x/);
    expect(() => parseSecretList('  ', 'p')).toThrow(/empty/);
  });
});
