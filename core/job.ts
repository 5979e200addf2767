/**
 * @module core/job
 * The job: its states, its record and the rules for moving between states.
 *
 * ```
 * AWAITING_UPLOAD --(object lands)--> QUEUED --(worker claims)--> RUNNING --> SUCCEEDED
 *       |                               |                          |-------> FAILED
 *       +-----------(cancel)------------+----------(cancel)--------+-------> CANCELED
 * ```
 * - Only the API creates AWAITING_UPLOAD; only ingest moves a job to QUEUED (creating it when
 *   the upload came straight to the bucket); only the worker moves QUEUED/RUNNING to
 *   RUNNING/SUCCEEDED/FAILED; cancel comes from the API.
 * - Every transition is a conditional write on the current status (see job-store.ts), so a
 *   duplicate event or message never moves a job backwards or runs it twice.
 * - Final states never change.
 */
import type { JobProgress } from './progress.ts';

export const JobStatus = {
  AwaitingUpload: 'AWAITING_UPLOAD',
  Queued: 'QUEUED',
  Running: 'RUNNING',
  Succeeded: 'SUCCEEDED',
  Failed: 'FAILED',
  Canceled: 'CANCELED',
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

export const FINAL_STATUSES: readonly JobStatus[] = [
  JobStatus.Succeeded,
  JobStatus.Failed,
  JobStatus.Canceled,
];

/** Takes any string, so a status read back from a page or a file needs no cast. */
export function isFinal(status: string): boolean {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

/**
 * Why a job ended FAILED: stable codes clients may switch on (README, Jobs). Every writer of a
 * job's `errorCode` names one of these, so `grep -rn JobErrorCode` finds every place a job fails.
 */
export const JobErrorCode = {
  /** Empty, not a supported file, corrupt, truncated, over a byte, pixel or duration limit. */
  InvalidInput: 'INVALID_INPUT',
  /** The input object was deleted before the job ran. */
  InputMissing: 'INPUT_MISSING',
  /** The input was replaced under the same key after ingest (download with IfMatch failed). */
  InputChanged: 'INPUT_CHANGED',
  /** No worker runs the task the job names. */
  UnknownTask: 'UNKNOWN_TASK',
  /** Transient failures on every delivery. */
  RetriesExhausted: 'RETRIES_EXHAUSTED',
  /** The worker died on it on every delivery (its message reached the dead-letter queue). */
  DeadLettered: 'DEAD_LETTERED',
  /** Ran past its deadline. */
  TimedOut: 'TIMED_OUT',
  /** Still QUEUED after the queue TTL; never ran. */
  Expired: 'EXPIRED',
} as const;
export type JobErrorCode = (typeof JobErrorCode)[keyof typeof JobErrorCode];

/** Milliseconds spent in each stage of a job (a type, not an interface, so it is a record of numbers). */
export type JobTimings = {
  /** From the job entering QUEUED to a worker claiming it. */
  queue?: number;
  download?: number;
  preprocess?: number;
  inference?: number;
  upload?: number;
  /** From claim to final state. */
  total?: number;
};

/** Outcome of the last webhook delivery for a job. */
export interface WebhookDelivery {
  status: 'delivered' | 'failed';
  attempts: number;
  /** HTTP status of the last attempt, if the receiver answered. */
  statusCode?: number;
  error?: string;
  at: string;
}

/** A job as the rest of the code sees it. Stored as a DynamoDB item by job-item.ts. */
export interface Job {
  jobId: string;
  status: JobStatus;
  task: string;
  bucket: string;
  key: string;
  /** Bytes, once the object exists. */
  size?: number;
  etag?: string;
  contentType?: string;
  /** ISO 8601 UTC. */
  createdAt: string;
  updatedAt: string;
  queuedAt?: string;
  startedAt?: string;
  finishedAt?: string;
  /** The S3 multipart upload the client sends the input through, for large uploads (API only). */
  multipartUploadId?: string;
  /** SQS message id of the job's queue message, once sent (ingest's idempotency marker). */
  messageId?: string;
  /** Who holds the right to send the job's message (a random id), and since when (epoch ms). */
  sendClaimId?: string;
  sendClaimedAt?: number;
  /** Run-time deadline asked for (API `timeoutSec`, `ferry-timeout` metadata), in seconds. */
  timeoutSec?: number;
  /** How many times a worker has claimed the job. */
  attempts: number;
  /** The worker holding the job while RUNNING. */
  workerId?: string;
  /** Epoch milliseconds when the RUNNING worker's claim lapses unless its heartbeat renews it. */
  leaseExpiresAt?: number;
  resultKey?: string;
  /** Every result object of the job, `resultKey` first (a video also has `results/<jobId>.vtt`). */
  resultKeys?: string[];
  /** Where the running job stands; written by its worker under its lease, 100% once SUCCEEDED. */
  progress?: JobProgress;
  /** A sentence a user can act on. */
  error?: string;
  /** Stable machine-readable error code, e.g. INVALID_INPUT. */
  errorCode?: JobErrorCode;
  timings?: JobTimings;
  executionProvider?: string;
  webhookUrl?: string;
  webhook?: WebhookDelivery;
  /** Free-form client data from POST /uploads, returned untouched. */
  metadata?: Record<string, string>;
  /**
   * The client that owns the job (core/clients.ts): from the API key for API uploads, from the
   * key's prefix or the deployment's default client for direct drops. Only its owner sees it.
   */
  clientId?: string;
  /** TTL, epoch seconds. */
  expiresAt: number;
  /** The FAILED job this one re-runs (`ferry retry`); its own failures are in `history`. */
  retryOf?: string;
  /** On a FAILED job: the job that re-runs it. Set once, by `ferry retry`. */
  retriedAs?: string;
  /** Earlier attempts of this input, oldest first (carried from job to retry job). */
  history?: JobAttemptRecord[];
}

/** How an earlier job of the same input ended, kept on the job that retries it. */
export interface JobAttemptRecord {
  jobId: string;
  status: JobStatus;
  error?: string;
  errorCode?: JobErrorCode;
  attempts: number;
  finishedAt?: string;
}
