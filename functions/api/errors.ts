/**
 * @module functions/api/errors
 * Every error the API answers with: one class carrying the HTTP status, a stable code, and the
 * field at fault, rendered as `{ error: { code, message, field?, issues?, ... } }`
 * (core/api/errors.ts).
 */
import type { z } from 'zod';
import { type ApiErrorBody, ApiErrorCode, type FieldIssue } from '../../core/api/errors.ts';
import { FerryError } from '../../core/errors.ts';

export type ApiStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 422 | 429 | 500;

export class ApiError extends FerryError {
  override readonly name = 'ApiError';
  readonly status: ApiStatus;
  readonly code: ApiErrorCode;
  readonly field?: string;
  readonly issues?: FieldIssue[];
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: ApiStatus,
    code: ApiErrorCode,
    message: string,
    details: {
      field?: string;
      issues?: FieldIssue[];
      extra?: Record<string, unknown>;
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.status = status;
    this.code = code;
    if (details.field !== undefined) this.field = details.field;
    if (details.issues !== undefined) this.issues = details.issues;
    this.extra = details.extra ?? {};
    this.headers = details.headers ?? {};
  }

  toBody(): ApiErrorBody {
    return {
      error: {
        ...this.extra,
        code: this.code,
        message: this.message,
        ...(this.field !== undefined ? { field: this.field } : {}),
        ...(this.issues !== undefined ? { issues: this.issues } : {}),
      },
    };
  }

  /** A 400 naming one field. */
  static invalidField(field: string, message: string): ApiError {
    return new ApiError(400, ApiErrorCode.ValidationFailed, `${field} ${message}`, {
      field,
      issues: [{ field, message }],
    });
  }

  /** A 400 listing every zod issue, each with its field. `where` prefixes paths (e.g. `query`). */
  static fromZod(error: z.ZodError, where?: string): ApiError {
    const issues: FieldIssue[] = error.issues.map((issue) => {
      const path = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys') {
        return { field: issue.keys.join(', '), message: 'is not a known field' };
      }
      return { field: path || (where ? `(${where})` : '(body)'), message: issue.message };
    });
    const first = issues[0] ?? { field: '(body)', message: 'is invalid' };
    const summary = issues.map((i) => `${i.field} ${i.message}`).join('; ');
    return new ApiError(400, ApiErrorCode.ValidationFailed, summary || `${first.field} ${first.message}`, {
      field: first.field,
      issues,
    });
  }
}
