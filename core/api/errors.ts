/**
 * @module core/api/errors
 * The API's error answer, `{ error: { code, message, field?, issues?, ... } }`, and its stable
 * codes. functions/api/errors.ts ApiError renders it; the typed client reads it.
 */
import { z } from 'zod';

/** Stable error codes; clients may switch on them. */
export const ApiErrorCode = {
  Unauthorized: 'UNAUTHORIZED',
  Forbidden: 'FORBIDDEN',
  NotFound: 'NOT_FOUND',
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  InvalidJson: 'INVALID_JSON',
  ValidationFailed: 'VALIDATION_FAILED',
  JobNotFound: 'JOB_NOT_FOUND',
  JobAlreadyFinal: 'JOB_ALREADY_FINAL',
  RateLimited: 'RATE_LIMITED',
  /** A multipart call for a job without an open multipart upload (not one, aborted, expired). */
  UploadNotOpen: 'UPLOAD_NOT_OPEN',
  /** The uploaded parts are not the declared size: the upload was aborted and the job FAILED. */
  UploadSizeMismatch: 'UPLOAD_SIZE_MISMATCH',
  Internal: 'INTERNAL',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/** One problem with one field of a request. */
export const FieldIssueSchema = z.object({
  /** Dotted path of the field, e.g. `metadata.customer`; `(body)` for the body as a whole. */
  field: z.string(),
  message: z.string(),
});
export type FieldIssue = z.infer<typeof FieldIssueSchema>;

export const ErrorSchema = z.object({
  error: z
    .object({
      code: z.enum(ApiErrorCode),
      message: z.string(),
      field: z.string().optional().describe('The request field at fault'),
      /** Every field at fault, when there are several. */
      issues: z.array(FieldIssueSchema).optional(),
    })
    // Extra facts, e.g. the job's current `status` for JOB_ALREADY_FINAL.
    .catchall(z.unknown()),
});
export type ApiErrorBody = z.infer<typeof ErrorSchema>;
