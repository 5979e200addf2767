/**
 * @module gpu-worker/deadline
 * Per-job deadlines and the queue TTL. A job's deadline is its own `timeoutSec` (API field or
 * `ferry-timeout` metadata), else its task's default, else the worker's, capped by the worker's
 * maximum; it counts from the claim. Past it the job ends FAILED `TIMED_OUT` (job-runner.ts).
 */

import { JobRejectedError } from '../core/errors.ts';
import { type Job, JobErrorCode } from '../core/job.ts';
import type { WorkerConfig } from './config.ts';

export function deadlineSecFor(
  job: Pick<Job, 'timeoutSec'>,
  taskDefaultSec: number | undefined,
  config: Pick<WorkerConfig, 'defaultJobTimeoutSec' | 'maxJobTimeoutSec'>,
): number {
  return Math.min(job.timeoutSec ?? taskDefaultSec ?? config.defaultJobTimeoutSec, config.maxJobTimeoutSec);
}

export interface Deadline {
  /** Aborts at the deadline with a TIMED_OUT JobRejectedError as its reason. */
  readonly signal: AbortSignal;
  clear(): void;
}

export function startDeadline(seconds: number): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new JobRejectedError(
          JobErrorCode.TimedOut,
          `The job ran past its deadline of ${seconds} s and was stopped; ask for a longer timeoutSec (or ferry-timeout metadata) if it needs more.`,
        ),
      ),
    seconds * 1000,
  );
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/** True for a job claimed for the first time after waiting in QUEUED longer than `ttlSec`. */
export function queueExpired(job: Job, claimedAtMs: number, ttlSec: number): boolean {
  return job.attempts <= 1 && claimedAtMs - Date.parse(job.queuedAt ?? job.createdAt) > ttlSec * 1000;
}
