/**
 * @module core/errors
 * Ferry's error base and the errors the core raises. Every error class in Ferry (worker, functions,
 * API, clients, CLI) extends FerryError: a stable `code` operators can search logs for, the
 * `cause` kept, and the ids a log needs as fields.
 */
import type { Job, JobErrorCode, JobStatus } from './job.ts';

export abstract class FerryError extends Error {
  abstract readonly code: string;
}

/**
 * The job cannot run, and no retry will change that (an unknown task, a missing or replaced
 * input, a deadline passed): it ends FAILED at once with `code` and this message, a sentence its
 * user can act on. Anything else a job throws is transient and retried.
 */
export class JobRejectedError extends FerryError {
  override readonly name: string = 'JobRejectedError';
  readonly code: JobErrorCode;
  constructor(code: JobErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/**
 * The input cannot be processed: not a supported file, corrupt, truncated, over a limit. The job
 * fails at once (INVALID_INPUT) with `message` as its user-facing error. Tasks throw it.
 */
export class InvalidInputError extends JobRejectedError {
  override readonly name = 'InvalidInputError';
  override readonly code = 'INVALID_INPUT';
  constructor(message: string, options?: ErrorOptions) {
    super('INVALID_INPUT', message, options);
  }
}

/** Configuration is missing or invalid. Raised at start-up, naming the variable and the fix. */
export class ConfigError extends FerryError {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
}

/** A conditional status change found the job in another state. Carries the job as it is now. */
export class JobStateConflictError extends FerryError {
  override readonly name = 'JobStateConflictError';
  readonly code = 'JOB_STATE_CONFLICT';
  readonly jobId: string;
  readonly expected: readonly JobStatus[];
  /** The job as it is now, from the failed write's ALL_OLD values. */
  readonly current: Job;

  constructor(jobId: string, expected: readonly JobStatus[], current: Job, options?: ErrorOptions) {
    super(`Job ${jobId} is ${current.status}, expected ${expected.join(' or ') || 'any status'}`, options);
    this.jobId = jobId;
    this.expected = expected;
    this.current = current;
  }
}

/** A job id that does not exist. */
export class JobNotFoundError extends FerryError {
  override readonly name = 'JobNotFoundError';
  readonly code = 'JOB_NOT_FOUND';
  readonly jobId: string;

  constructor(jobId: string) {
    super(`Job ${jobId} does not exist`);
    this.jobId = jobId;
  }
}
