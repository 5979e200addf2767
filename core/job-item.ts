/**
 * @module core/job-item
 * The one mapping between a Job and its DynamoDB item. Keeping it in one place means the table
 * layout can change (e.g. a renamed attribute) without touching callers.
 */
import { JOB } from './config.ts';
import { type Job, JobStatus } from './job.ts';

export type JobItem = Record<string, unknown>;

const STATUSES = new Set<string>(Object.values(JobStatus));

export function toItem(job: Job): JobItem {
  return { ...job };
}

export function fromItem(item: JobItem): Job {
  const status = String(item.status);
  if (!STATUSES.has(status)) throw new Error(`Job item ${String(item.jobId)} has unknown status ${status}`);
  return item as unknown as Job;
}

/** TTL value for a record last changed at `now`: epoch seconds, `JOB.retentionDays` ahead. */
export function expiresAtFor(now: Date): number {
  return Math.floor(now.getTime() / 1000) + JOB.retentionDays * 24 * 3600;
}
