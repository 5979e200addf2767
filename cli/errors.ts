/**
 * @module cli/errors
 * The CLI's exit codes and the errors that choose them. An error answer from the API stays the
 * typed client's FerryApiError: the CLI reads its status, it does not copy it.
 */
import { FerryApiError } from '../core/api-client.ts';
import { FerryError } from '../core/errors.ts';

/** 0: everything succeeded; 1: a job failed, was canceled or the API refused a request; 2: usage or configuration. */
export const ExitCode = {
  Ok: 0,
  Failed: 1,
  Usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Bad arguments: the message says what to change. Exit code 2. */
export class UsageError extends FerryError {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
}

/** No or wrong API URL/key, or the API cannot be reached. Exit code 2. */
export class CliConfigError extends FerryError {
  override readonly name = 'CliConfigError';
  readonly code = 'CLI_CONFIG';
}

/** Storage refused an upload or a download (an expired or mismatched presigned URL). Exit code 1. */
export class TransferError extends FerryError {
  override readonly name = 'TransferError';
  readonly code = 'TRANSFER_REFUSED';
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The exit code for an error thrown by a command. */
/** An API error answer (FerryApiError): 401/403 are configuration problems (exit 2), others exit 1. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError || error instanceof CliConfigError) return ExitCode.Usage;
  if (error instanceof FerryApiError && (error.status === 401 || error.status === 403)) return ExitCode.Usage;
  return ExitCode.Failed;
}
