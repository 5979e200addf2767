/**
 * @module core/job-item
 * The one mapping between a Job and its DynamoDB item, in the document client's plain form
 * (`toItem`, `fromItem`) and in the raw AttributeValue form of stream images and of a failed
 * condition's item (`fromImage`). Keeping it in one place means the table layout can change (e.g.
 * a renamed attribute) without touching callers.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
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

/** A job from an item in raw AttributeValue form: a stream image, or ALL_OLD on a failed condition. */
export function fromImage(image: Record<string, AttributeValue>): Job {
  return fromItem(unmarshall(image));
}

/** TTL value for a record last changed at `now`: epoch seconds, `JOB.retentionDays` ahead. */
export function expiresAtFor(now: Date): number {
  return Math.floor(now.getTime() / 1000) + JOB.retentionDays * 24 * 3600;
}
