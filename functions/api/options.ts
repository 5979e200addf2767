/**
 * @module functions/api/options
 * The HTTP API's settings: one interface, its defaults, and the environment variables that set
 * them, validated at cold start (a bad value stops the function with a message naming it).
 */
import { z } from 'zod';
import { LOCAL_RESOURCES } from '../../core/config.ts';
import { envBool, readEnv } from '../../core/env.ts';
import { MEDIA_TYPES } from '../../core/media-types.ts';
import { PARAMETER_PREFIX_PATTERN } from '../../core/secrets.ts';
import { DEFAULT_WEBHOOK_PORTS, type WebhookPorts, WebhookPortsSchema } from '../../core/webhook-url.ts';

export interface ApiOptions {
  /** DynamoDB table of clients and API key hashes (FERRY_CLIENTS_TABLE). */
  clientsTable: string;
  /** SSM path prefix of the deployment's parameters, e.g. `/ferry/prod` (FERRY_PARAMETER_PREFIX). */
  parameterPrefix: string;
  /** Ports a webhook URL may use (FERRY_WEBHOOK_PORTS, comma-separated or `*`). @defaultvalue 80, 443 */
  webhookPorts: WebhookPorts;
  /** Lifetime of a presigned upload, in seconds (FERRY_UPLOAD_EXPIRES_SEC, 60..604800). @defaultvalue 900 */
  uploadExpiresSec: number;
  /**
   * Largest accepted upload, in bytes (FERRY_MAX_UPLOAD_BYTES, up to S3's 5 TiB). The worker's
   * own limits per kind still apply (FERRY_MAX_INPUT_BYTES for images). @defaultvalue 50 GiB
   */
  maxUploadBytes: number;
  /**
   * Uploads above this many bytes get a multipart plan instead of one URL
   * (FERRY_MULTIPART_THRESHOLD_BYTES, 5 MiB..5 GiB). @defaultvalue 64 MiB
   */
  multipartThresholdBytes: number;
  /** Preferred part size of a multipart upload, in bytes (FERRY_MULTIPART_PART_BYTES, >= 5 MiB). @defaultvalue 16 MiB */
  multipartPartBytes: number;
  /**
   * Content types an upload may declare (FERRY_ALLOWED_CONTENT_TYPES, comma-separated, lowercase).
   * @defaultvalue every type in core/media-types.ts
   */
  allowedContentTypes: readonly string[];
  /**
   * Accept webhook URLs on loopback, private and link-local addresses
   * (FERRY_ALLOW_PRIVATE_WEBHOOKS=true). Local mode only. @defaultvalue false
   */
  allowPrivateWebhooks: boolean;
  /** Lifetime of the result download URL in GET /jobs/{id}, in seconds (FERRY_RESULT_URL_EXPIRES_SEC). @defaultvalue 300 */
  resultUrlExpiresSec: number;
  /** Results up to this size, in bytes, are returned inline in GET /jobs/{id}. @defaultvalue 64 KiB */
  resultInlineMaxBytes: number;
  /** Largest request body, in bytes; larger bodies get 413. @defaultvalue 64 KiB */
  maxBodyBytes: number;
  /**
   * Origins allowed by CORS (FERRY_CORS_ORIGINS, comma-separated, or `*`). The API uses bearer
   * keys, not cookies, so `*` exposes nothing a caller does not already hold. @defaultvalue *
   */
  corsOrigins: readonly string[];
}

export const API_DEFAULTS = {
  uploadExpiresSec: 900,
  maxUploadBytes: 50 * 1024 ** 3,
  multipartThresholdBytes: 64 * 1024 * 1024,
  multipartPartBytes: 16 * 1024 * 1024,
  allowedContentTypes: MEDIA_TYPES.map((m) => m.contentType),
  allowPrivateWebhooks: false,
  resultUrlExpiresSec: 300,
  resultInlineMaxBytes: 64 * 1024,
  maxBodyBytes: 64 * 1024,
  corsOrigins: ['*'],
  webhookPorts: DEFAULT_WEBHOOK_PORTS,
} as const satisfies Omit<ApiOptions, 'clientsTable' | 'parameterPrefix'>;

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const EnvSchema = z.object({
  FERRY_CLIENTS_TABLE: z
    .string({ message: 'is required: the DynamoDB table of clients and API key hashes' })
    .min(3, 'must name the clients table'),
  FERRY_PARAMETER_PREFIX: z
    .string({ message: 'is required: the SSM parameter path prefix, e.g. /ferry/prod' })
    .regex(PARAMETER_PREFIX_PATTERN, 'must look like /ferry/<stage>'),
  FERRY_WEBHOOK_PORTS: WebhookPortsSchema,
  FERRY_UPLOAD_EXPIRES_SEC: z.coerce
    .number()
    .int()
    .min(60, 'must be 60..604800 seconds')
    .max(604_800, 'must be 60..604800 seconds (S3 presigned URLs last at most 7 days)')
    .default(API_DEFAULTS.uploadExpiresSec),
  FERRY_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(5 * 1024 ** 4, 'must be at most 5 TiB (the largest S3 object)')
    .default(API_DEFAULTS.maxUploadBytes),
  FERRY_MULTIPART_THRESHOLD_BYTES: z.coerce
    .number()
    .int()
    .min(5 * 1024 * 1024, 'must be at least 5 MiB (the smallest S3 part)')
    .max(5 * 1024 ** 3, 'must be at most 5 GiB (the largest single S3 PUT)')
    .default(API_DEFAULTS.multipartThresholdBytes),
  FERRY_MULTIPART_PART_BYTES: z.coerce
    .number()
    .int()
    .min(5 * 1024 * 1024, 'must be at least 5 MiB (the smallest S3 part)')
    .max(5 * 1024 ** 3, 'must be at most 5 GiB (the largest S3 part)')
    .default(API_DEFAULTS.multipartPartBytes),
  FERRY_ALLOWED_CONTENT_TYPES: z
    .string()
    .transform((v) => list(v).map((t) => t.toLowerCase()))
    .pipe(
      z
        .array(z.string().regex(/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/, 'each entry must be a type/subtype'))
        .min(1, 'must not be empty'),
    )
    .default([...API_DEFAULTS.allowedContentTypes]),
  FERRY_ALLOW_PRIVATE_WEBHOOKS: envBool().default(false),
  FERRY_RESULT_URL_EXPIRES_SEC: z.coerce
    .number()
    .int()
    .min(10)
    .max(604_800, 'must be 10..604800 seconds')
    .default(API_DEFAULTS.resultUrlExpiresSec),
  FERRY_CORS_ORIGINS: z
    .string()
    .transform(list)
    .pipe(z.array(z.string()).min(1, 'must not be empty'))
    .default([...API_DEFAULTS.corsOrigins]),
});

/** Reads ApiOptions from the environment; throws ConfigError naming each bad variable and why. */
export function apiOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ApiOptions {
  const e = readEnv(EnvSchema, env);
  return {
    ...API_DEFAULTS,
    clientsTable: e.FERRY_CLIENTS_TABLE,
    parameterPrefix: e.FERRY_PARAMETER_PREFIX,
    webhookPorts: e.FERRY_WEBHOOK_PORTS,
    uploadExpiresSec: e.FERRY_UPLOAD_EXPIRES_SEC,
    maxUploadBytes: e.FERRY_MAX_UPLOAD_BYTES,
    multipartThresholdBytes: e.FERRY_MULTIPART_THRESHOLD_BYTES,
    multipartPartBytes: e.FERRY_MULTIPART_PART_BYTES,
    allowedContentTypes: e.FERRY_ALLOWED_CONTENT_TYPES,
    allowPrivateWebhooks: e.FERRY_ALLOW_PRIVATE_WEBHOOKS,
    resultUrlExpiresSec: e.FERRY_RESULT_URL_EXPIRES_SEC,
    corsOrigins: e.FERRY_CORS_ORIGINS,
  };
}

/** Options with defaults filled in (local resource names), for tests and embedders. */
export function apiOptions(overrides: Partial<ApiOptions> = {}): ApiOptions {
  return {
    ...API_DEFAULTS,
    clientsTable: LOCAL_RESOURCES.clientsTable,
    parameterPrefix: LOCAL_RESOURCES.parameterPrefix,
    ...overrides,
  };
}
