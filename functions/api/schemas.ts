/**
 * @module functions/api/schemas
 * The shapes of request bodies and query strings, as zod schemas. Limits that come from
 * configuration (size, content types) are checked by the domain functions, which know them.
 */
import { z } from 'zod';
import { JOB, TASK_NAME } from '../../core/config.ts';
import { JobStatus } from '../../core/job.ts';

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
  .refine((m) => Buffer.byteLength(JSON.stringify(m)) <= METADATA_LIMITS.maxJsonBytes, {
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
    // Absent: chosen from the content type (core/media-types.ts defaultTaskFor).
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
export type CreateUploadRequest = z.infer<typeof CreateUploadSchema>;

export const LIST_LIMITS = { default: 20, max: 100 } as const;

/** Query of `GET /jobs`. */
export const ListJobsQuerySchema = z.strictObject({
  status: z
    .enum(Object.values(JobStatus) as [JobStatus, ...JobStatus[]], {
      message: `must be one of ${Object.values(JobStatus).join(', ')}`,
    })
    .optional(),
  limit: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1, `must be 1..${LIST_LIMITS.max}`)
    .max(LIST_LIMITS.max, `must be 1..${LIST_LIMITS.max}`)
    .default(LIST_LIMITS.default),
  cursor: z.string().min(1, 'must not be empty').max(4096, 'is too long').optional(),
});
export type ListJobsQuery = z.infer<typeof ListJobsQuerySchema>;
