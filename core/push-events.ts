/**
 * @module core/push-events
 * What travels on the push channel: the events the fan-out sends about a job, the messages a
 * watcher sends, and the replies. Shared by functions/push, the CLI and the web app.
 */
import { z } from 'zod';
import { isFinal, type Job, JobStatus } from './job.ts';
import type { JobProgress } from './progress.ts';

/**
 * - `snapshot`: the job as it is, sent at once to a new subscriber;
 * - `status`: the job moved to a non-final state; `progress`: its progress changed;
 * - `final`: it reached SUCCEEDED, FAILED or CANCELED (the last event about it).
 */
export type PushEventType = 'snapshot' | 'status' | 'progress' | 'final';

export interface PushEvent {
  type: PushEventType;
  jobId: string;
  status: JobStatus;
  progress?: JobProgress;
  error?: string;
  resultKey?: string;
  /** The record's `updatedAt` for this state: when the change happened (ISO 8601). */
  at: string;
}

/** What a watcher sends: subscribe/unsubscribe to jobs by id, or to all of its client's jobs. */
export const PushRequestSchema = z.object({
  action: z.enum(['subscribe', 'unsubscribe']),
  jobIds: z.array(z.string().min(1).max(64)).max(100).optional(),
  all: z.boolean().optional(),
});
export type PushRequest = z.infer<typeof PushRequestSchema>;

/** Replies to a watcher's message. */
export type PushReply =
  | { type: 'subscribed'; jobIds: string[]; all: boolean; unknown: string[] }
  | { type: 'unsubscribed'; jobIds: string[]; all: boolean }
  | { type: 'error'; message: string };

export type PushMessage = PushEvent | PushReply;

/** The event for a job's current state (`snapshot`), or for a change from `previous`. */
export function eventFor(job: Job, previous?: Job): PushEvent | undefined {
  let type: PushEventType;
  if (previous === undefined) type = 'snapshot';
  else if (isFinal(job.status)) type = 'final';
  else if (job.status !== previous.status) type = 'status';
  else if (JSON.stringify(job.progress) !== JSON.stringify(previous.progress)) type = 'progress';
  // Heartbeats, webhook bookkeeping and the like change the record but not what a watcher sees.
  else return undefined;
  if (previous && isFinal(previous.status)) return undefined;
  return {
    type,
    jobId: job.jobId,
    status: job.status,
    ...(job.progress ? { progress: job.progress } : {}),
    ...(job.error ? { error: job.error } : {}),
    ...(job.resultKey ? { resultKey: job.resultKey } : {}),
    at: job.updatedAt,
  };
}

export { JobStatus };
