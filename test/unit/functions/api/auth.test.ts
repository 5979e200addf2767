/**
 * Bearer-key authentication against a client directory (stubbed here; the emulator tests in
 * test/integration/functions/api/ use the real clients table) and the API's configuration from the environment.
 */
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../../core/client-store.ts';
import { CLIENT_LIMITS } from '../../../../core/config.ts';
import { authenticate, type ClientDirectory } from '../../../../functions/api/auth.ts';
import { ApiError } from '../../../../functions/api/errors.ts';
import { API_DEFAULTS, apiOptionsFromEnv } from '../../../../functions/api/options.ts';

const KEY = 'fry_the-only-key-0123456789';
const principal: Principal = {
  client: { clientId: 'acme', name: 'acme', createdAt: '2026-01-01T00:00:00.000Z' },
  limits: CLIENT_LIMITS,
  bucket: {},
};
const directory: ClientDirectory = {
  authenticate: async (key) => (key === KEY ? principal : undefined),
  takeRequestToken: async () => ({ allowed: true }),
  countJob: async () => ({ allowed: true }),
};

describe('authenticate', () => {
  const statusOf = async (header: string | undefined) => {
    try {
      await authenticate(header, directory);
      return 200;
    } catch (error) {
      return (error as ApiError).status;
    }
  };

  it('tells a missing key (401) from a wrong one (403)', async () => {
    expect(await statusOf(undefined)).toBe(401);
    expect(await statusOf('')).toBe(401);
    expect(await statusOf('Bearer')).toBe(401);
    expect(await statusOf(`Token ${KEY}`)).toBe(401);
    expect(await statusOf('Bearer nope')).toBe(403);
    expect(await statusOf(`Bearer ${'x'.repeat(10_000)}`)).toBe(403);
    expect(await statusOf(`Bearer ${KEY}`)).toBe(200);
    expect(await statusOf(`bearer  ${KEY} `)).toBe(200);
  });

  it('raises ApiError with a Bearer challenge on 401', async () => {
    const error = await authenticate(undefined, directory).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).headers['WWW-Authenticate']).toContain('Bearer');
  });
});

describe('apiOptionsFromEnv', () => {
  const required = { FERRY_CLIENTS_TABLE: 'ferry-clients', FERRY_PARAMETER_PREFIX: '/ferry/prod' };

  it('applies the defaults', () => {
    const options = apiOptionsFromEnv(required);
    expect(options).toEqual({
      ...API_DEFAULTS,
      clientsTable: 'ferry-clients',
      parameterPrefix: '/ferry/prod',
    });
    expect(options.maxUploadBytes).toBe(50 * 1024 ** 3);
    expect(options.uploadExpiresSec).toBe(900);
    expect(options.webhookPorts).toEqual([80, 443]);
  });

  it('reads every variable', () => {
    const options = apiOptionsFromEnv({
      ...required,
      FERRY_UPLOAD_EXPIRES_SEC: '120',
      FERRY_MAX_UPLOAD_BYTES: '1000',
      FERRY_ALLOWED_CONTENT_TYPES: 'image/png, Application/PDF',
      FERRY_ALLOW_PRIVATE_WEBHOOKS: 'true',
      FERRY_RESULT_URL_EXPIRES_SEC: '60',
      FERRY_CORS_ORIGINS: 'https://a.example,https://b.example',
      FERRY_WEBHOOK_PORTS: '443, 8443',
    });
    expect(options).toMatchObject({
      uploadExpiresSec: 120,
      maxUploadBytes: 1000,
      allowedContentTypes: ['image/png', 'application/pdf'],
      allowPrivateWebhooks: true,
      resultUrlExpiresSec: 60,
      corsOrigins: ['https://a.example', 'https://b.example'],
      webhookPorts: [443, 8443],
    });
    expect(apiOptionsFromEnv({ ...required, FERRY_WEBHOOK_PORTS: '*' }).webhookPorts).toBe('any');
  });

  it.each([
    [{ FERRY_CLIENTS_TABLE: undefined }, /FERRY_CLIENTS_TABLE: is required/],
    [{ FERRY_PARAMETER_PREFIX: undefined }, /FERRY_PARAMETER_PREFIX: is required/],
    [{ FERRY_PARAMETER_PREFIX: 'ferry/prod/' }, /FERRY_PARAMETER_PREFIX="ferry\/prod\/": must look like/],
    [{ FERRY_WEBHOOK_PORTS: '80,99999' }, /FERRY_WEBHOOK_PORTS/],
    [{ FERRY_UPLOAD_EXPIRES_SEC: '10' }, /FERRY_UPLOAD_EXPIRES_SEC="10": must be 60..604800/],
    [{ FERRY_UPLOAD_EXPIRES_SEC: 'soon' }, /FERRY_UPLOAD_EXPIRES_SEC/],
    [{ FERRY_MAX_UPLOAD_BYTES: '-1' }, /FERRY_MAX_UPLOAD_BYTES/],
    [{ FERRY_ALLOWED_CONTENT_TYPES: 'png' }, /FERRY_ALLOWED_CONTENT_TYPES.*type\/subtype/],
    [{ FERRY_ALLOW_PRIVATE_WEBHOOKS: 'yes' }, /FERRY_ALLOW_PRIVATE_WEBHOOKS="yes": must be true or false/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => apiOptionsFromEnv({ ...required, ...env })).toThrow(message);
  });
});
