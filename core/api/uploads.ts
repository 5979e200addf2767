/**
 * @module core/api/uploads
 * `POST /uploads`: its body and its answer (the new job and where to upload its file). Limits
 * that come from configuration (size, content types) are checked by the handler, which knows them.
 */
import { z } from 'zod';
import { JOB, TASK_NAME } from '../config.ts';
import { JobStatus } from '../job.ts';
import { Timestamp } from './fields.ts';
import { MultipartPlanSchema } from './multipart.ts';

/** The message for a missing or wrongly typed field: says which of the two, and what is expected. */
const expected = (what: string) => ({
  error: (issue: { input: unknown }) =>
    issue.input === undefined ? `is required: ${what}` : `must be ${what}`,
});

/** Metadata limits: keys, value length, and the whole map as JSON. */
export const METADATA_LIMITS = {
  maxKeys: 32,
  maxKeyLength: 64,
  maxValueLength: 1024,
  maxJsonBytes: 4096,
} as const;

const utf8 = new TextEncoder();

const MetadataSchema = z
  .record(
    z
      .string()
      .min(1, 'keys must not be empty')
      .max(METADATA_LIMITS.maxKeyLength, `keys must be at most ${METADATA_LIMITS.maxKeyLength} characters`)
      .regex(/^[A-Za-z0-9_.:-]+$/, 'keys may hold only letters, digits and _ . : -'),
    z
      .string({ message: 'values must be strings' })
      .max(
        METADATA_LIMITS.maxValueLength,
        `values must be at most ${METADATA_LIMITS.maxValueLength} characters`,
      ),
  )
  .refine((m) => Object.keys(m).length <= METADATA_LIMITS.maxKeys, {
    message: `must have at most ${METADATA_LIMITS.maxKeys} keys`,
  })
  .refine((m) => utf8.encode(JSON.stringify(m)).byteLength <= METADATA_LIMITS.maxJsonBytes, {
    message: `must be at most ${METADATA_LIMITS.maxJsonBytes} bytes as JSON`,
  });

export const UploadMethod = { Put: 'PUT', Post: 'POST' } as const;
export type UploadMethod = (typeof UploadMethod)[keyof typeof UploadMethod];

/** Body of `POST /uploads`. Unknown fields are refused, so a typo (`webhookURL`) is not silently ignored. */
export const CreateUploadSchema = z.strictObject({
  filename: z
    .string(expected('a string: the name of the file to upload'))
    .min(1, 'must not be empty')
    .max(1024, 'must be at most 1024 characters'),
  contentType: z
    .string(expected('a string: the file\'s media type, e.g. "image/png"'))
    .min(1, 'must not be empty')
    .max(255, 'must be at most 255 characters'),
  size: z
    .number(expected('a number: the file size in bytes'))
    .int('must be a whole number of bytes')
    .positive('must be at least 1 byte'),
  task: z
    .string({ message: 'must be a string' })
    .regex(TASK_NAME, 'must be a task name: lowercase letters, digits and dashes, starting with a letter')
    // Absent: chosen from the content type (core/tasks.ts defaultTaskFor).
    .optional(),
  webhookUrl: z.string({ message: 'must be a string' }).optional(),
  /** Run-time deadline, in seconds; the worker caps it at its maximum. */
  timeoutSec: z
    .number(expected('a number of seconds'))
    .positive('must be above 0 seconds')
    .max(JOB.maxTimeoutSec, `must be at most ${JOB.maxTimeoutSec} seconds`)
    .optional(),
  metadata: MetadataSchema.optional(),
  uploadMethod: z
    .enum([UploadMethod.Put, UploadMethod.Post], { message: 'must be "PUT" (default) or "POST"' })
    .default(UploadMethod.Put),
});
/** The body as the handler sees it, defaults applied. */
export type CreateUploadRequest = z.infer<typeof CreateUploadSchema>;
/** The body as a client sends it: fields with defaults may be left out. */
export type CreateUploadBody = z.input<typeof CreateUploadSchema>;

/** Where to send the file. */
export const UploadTargetSchema = z.discriminatedUnion('method', [
  z.object({
    method: z.literal(UploadMethod.Put),
    url: z.string(),
    /** Send exactly these headers with the PUT (Content-Length is set by HTTP clients from the body). */
    headers: z.record(z.string(), z.string()),
  }),
  z.object({
    method: z.literal(UploadMethod.Post),
    url: z.string(),
    /** Form fields to send before the `file` field, in any order. */
    fields: z.record(z.string(), z.string()),
  }),
  /** Above the multipart threshold. */
  MultipartPlanSchema,
]);
export type UploadTarget = z.infer<typeof UploadTargetSchema>;

/** Answer of `POST /uploads`. */
export const CreatedUploadSchema = z.object({
  jobId: z.string(),
  status: z.literal(JobStatus.AwaitingUpload),
  task: z.string(),
  key: z.string(),
  upload: UploadTargetSchema,
  /** When the upload URL stops working. */
  expiresAt: Timestamp,
});
export type CreatedUpload = z.infer<typeof CreatedUploadSchema>;
