/**
 * Bearer-key matching (constant-time over digests, every key compared) and the API's
 * configuration from the environment.
 */
import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { authenticate, createKeyMatcher } from '../../functions/api/auth.ts';
import { ApiError } from '../../functions/api/errors.ts';
import { API_DEFAULTS, apiOptionsFromEnv } from '../../functions/api/options.ts';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

describe('createKeyMatcher', () => {
  const keys = ['first-key-0123456789', 'second-key-0123456789', 'third-key-0123456789'];

  it('matches any configured key and nothing else', () => {
    const matches = createKeyMatcher(keys);
    for (const key of keys) expect(matches(key)).toBe(true);
    for (const key of ['', 'first-key-012345678', 'first-key-01234567890', 'FIRST-KEY-0123456789']) {
      expect(matches(key)).toBe(false);
    }
  });

  it('compares equal-length digests against every key, whichever matches', () => {
    const spy = vi.mocked(crypto.timingSafeEqual);
    const matches = createKeyMatcher(keys);
    for (const presented of [keys[0] as string, 'x', 'a much longer key than any configured one at all']) {
      spy.mockClear();
      matches(presented);
      expect(spy).toHaveBeenCalledTimes(keys.length);
      for (const [a, b] of spy.mock.calls) {
        expect((a as Buffer).length).toBe(32);
        expect((b as Buffer).length).toBe(32);
      }
    }
  });
});

describe('authenticate', () => {
  const matches = createKeyMatcher(['the-only-key-0123456789']);
  const statusOf = (header: string | undefined) => {
    try {
      authenticate(header, matches);
      return 200;
    } catch (error) {
      return (error as ApiError).status;
    }
  };

  it('tells a missing key (401) from a wrong one (403)', () => {
    expect(statusOf(undefined)).toBe(401);
    expect(statusOf('')).toBe(401);
    expect(statusOf('Bearer')).toBe(401);
    expect(statusOf('Token the-only-key-0123456789')).toBe(401);
    expect(statusOf('Bearer nope')).toBe(403);
    expect(statusOf('Bearer the-only-key-0123456789')).toBe(200);
    expect(statusOf('bearer  the-only-key-0123456789 ')).toBe(200);
  });

  it('raises ApiError with a Bearer challenge on 401', () => {
    try {
      authenticate(undefined, matches);
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).headers['WWW-Authenticate']).toContain('Bearer');
    }
  });
});

describe('apiOptionsFromEnv', () => {
  it('applies the defaults', () => {
    const options = apiOptionsFromEnv({ FERRY_API_KEYS: 'k-0123456789abcdef' });
    expect(options).toEqual({ ...API_DEFAULTS, apiKeys: ['k-0123456789abcdef'] });
    expect(options.maxUploadBytes).toBe(50 * 1024 ** 3);
    expect(options.uploadExpiresSec).toBe(900);
  });

  it('reads every variable', () => {
    const options = apiOptionsFromEnv({
      FERRY_API_KEYS: ' k-0123456789abcdef , k2-0123456789abcdef,',
      FERRY_UPLOAD_EXPIRES_SEC: '120',
      FERRY_MAX_UPLOAD_BYTES: '1000',
      FERRY_ALLOWED_CONTENT_TYPES: 'image/png, Application/PDF',
      FERRY_ALLOW_PRIVATE_WEBHOOKS: 'true',
      FERRY_RESULT_URL_EXPIRES_SEC: '60',
      FERRY_CORS_ORIGINS: 'https://a.example,https://b.example',
    });
    expect(options).toMatchObject({
      apiKeys: ['k-0123456789abcdef', 'k2-0123456789abcdef'],
      uploadExpiresSec: 120,
      maxUploadBytes: 1000,
      allowedContentTypes: ['image/png', 'application/pdf'],
      allowPrivateWebhooks: true,
      resultUrlExpiresSec: 60,
      corsOrigins: ['https://a.example', 'https://b.example'],
    });
  });

  it.each([
    [{ FERRY_API_KEYS: undefined }, /FERRY_API_KEYS: is required/],
    [{ FERRY_API_KEYS: ' , ' }, /FERRY_API_KEYS: must hold at least one key/],
    [{ FERRY_API_KEYS: 'short' }, /FERRY_API_KEYS.*at least 16 characters/],
    [{ FERRY_UPLOAD_EXPIRES_SEC: '10' }, /FERRY_UPLOAD_EXPIRES_SEC: must be 60..604800/],
    [{ FERRY_UPLOAD_EXPIRES_SEC: 'soon' }, /FERRY_UPLOAD_EXPIRES_SEC/],
    [{ FERRY_MAX_UPLOAD_BYTES: '-1' }, /FERRY_MAX_UPLOAD_BYTES/],
    [{ FERRY_ALLOWED_CONTENT_TYPES: 'png' }, /FERRY_ALLOWED_CONTENT_TYPES.*type\/subtype/],
    [{ FERRY_ALLOW_PRIVATE_WEBHOOKS: 'yes' }, /FERRY_ALLOW_PRIVATE_WEBHOOKS: must be true or false/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => apiOptionsFromEnv({ FERRY_API_KEYS: 'k-0123456789abcdef', ...env })).toThrow(message);
  });
});
