/**
 * @module functions/api/job-view
 * The public JSON of a job: the record minus the fields only Ferry's internals use (worker
 * lease, queue message id, TTL, bucket). One mapper, used by every route that returns a job.
 */
import type { Job, JobStatus, JobTimings, WebhookDelivery } from '../../core/job.ts';
import type { JobProgress } from '../../core/progress.ts';

/** Where to download a SUCCEEDED job's result, and the result itself when it is small. */
export interface ResultView {
  /** Presigned GET URL of `resultKey`. */
  url: string;
  /** When `url` stops working (ISO 8601 UTC). */
  expiresAt: string;
  /** Size of the result JSON in bytes, when known. */
  bytes?: number;
  /** The parsed result JSON, when it is at most `resultInlineMaxBytes`. */
  data?: unknown;
}

export interface JobView {
  jobId: string;
  status: JobStatus;
  task: string;
  /** The uploaded object's key. */
  key: string;
  size?: number;
  contentType?: string;
  createdAt: string;
  updatedAt: string;
  queuedAt?: string;
  startedAt?: string;
  finishedAt?: string;
  /** How many times a worker has claimed the job. */
  attempts: number;
  error?: string;
  errorCode?: string;
  timings?: JobTimings;
  executionProvider?: string;
  resultKey?: string;
  /** Every result object (a video job also has its WebVTT file). */
  resultKeys?: string[];
  /** Stage, units done of total, overall percent; 100 once SUCCEEDED. */
  progress?: JobProgress;
  result?: ResultView;
  webhookUrl?: string;
  /** Run-time deadline asked for, in seconds. */
  timeoutSec?: number;
  /** Outcome of the latest webhook delivery attempt. */
  webhook?: WebhookDelivery;
  metadata?: Record<string, string>;
}

const PUBLIC_FIELDS = [
  'jobId',
  'status',
  'task',
  'key',
  'size',
  'contentType',
  'createdAt',
  'updatedAt',
  'queuedAt',
  'startedAt',
  'finishedAt',
  'attempts',
  'error',
  'errorCode',
  'timings',
  'executionProvider',
  'resultKey',
  'resultKeys',
  'progress',
  'webhookUrl',
  'timeoutSec',
  'webhook',
  'metadata',
] as const satisfies readonly (keyof Job & keyof JobView)[];

export function toJobView(job: Job, result?: ResultView): JobView {
  const view: Record<string, unknown> = {};
  for (const field of PUBLIC_FIELDS) {
    if (job[field] !== undefined) view[field] = job[field];
  }
  if (result) view.result = result;
  return view as unknown as JobView;
}
