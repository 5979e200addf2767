/**
 * @module core/errors
 * Ferry's error classes. Each failure kind has its own class and a stable `code` that operators
 * can search logs for; each keeps its `cause` and the ids a log needs.
 */
import type { Job, JobStatus } from './job.ts';

export abstract class FerryError extends Error {
  abstract readonly code: string;
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
