/**
 * @module cli/errors
 * The CLI's exit codes and the errors that choose them.
 */

/** 0: everything succeeded; 1: a job failed, was canceled or the API refused a request; 2: usage or configuration. */
export const ExitCode = {
  Ok: 0,
  Failed: 1,
  Usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Bad arguments: the message says what to change. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** No or wrong API URL/key, or the API cannot be reached. Exit code 2. */
export class CliConfigError extends Error {
  override readonly name = 'CliConfigError';
}

/** The API answered with an error. 401/403 are configuration problems (exit 2), others exit 1. */
export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError';
  readonly status: number;
  readonly code: string;
  readonly body: unknown;

  constructor(status: number, code: string, message: string, body?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/** Storage refused an upload or a download (an expired or mismatched presigned URL). Exit code 1. */
export class TransferError extends Error {
  override readonly name = 'TransferError';
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError || error instanceof CliConfigError) return ExitCode.Usage;
  if (error instanceof ApiRequestError && (error.status === 401 || error.status === 403))
    return ExitCode.Usage;
  return ExitCode.Failed;
}
