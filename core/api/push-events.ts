/**
 * @module core/api/push-events
 * What travels on the push channel: the events the fan-out sends about a job, the messages a
 * watcher sends, and the replies. Shared by functions/push, the typed client, the CLI and the
 * web app.
 */
import { z } from 'zod';
import { isFinal, type Job, JobStatus } from '../job.ts';
import { JobProgressSchema, JobStatusSchema } from './fields.ts';

/**
 * - `snapshot`: the job as it is, sent at once to a new subscriber;
 * - `status`: the job moved to a non-final state; `progress`: its progress changed;
 * - `final`: it reached SUCCEEDED, FAILED or CANCELED (the last event about it).
 */
export const PushEventSchema = z.object({
  type: z.enum(['snapshot', 'status', 'progress', 'final']),
  jobId: z.string(),
  status: JobStatusSchema,
  progress: JobProgressSchema.optional(),
  error: z.string().optional(),
  resultKey: z.string().optional(),
  /** The record's `updatedAt` for this state: when the change happened (ISO 8601). */
  at: z.string(),
});
export type PushEvent = z.infer<typeof PushEventSchema>;
export type PushEventType = PushEvent['type'];

/**
 * What a watcher sends: subscribe/unsubscribe to jobs by id, or to all of its client's jobs; or
 * `ping`, which keeps an idle socket open (API Gateway closes one after 10 minutes without a
 * message) and gets no answer.
 */
export const PushRequestSchema = z.object({
  action: z.enum(['subscribe', 'unsubscribe', 'ping']),
  jobIds: z.array(z.string().min(1).max(64)).max(100).optional(),
  all: z.boolean().optional(),
});
export type PushRequest = z.infer<typeof PushRequestSchema>;

/** Replies to a watcher's message. */
export const PushReplySchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('subscribed'),
    jobIds: z.array(z.string()),
    all: z.boolean(),
    unknown: z.array(z.string()),
  }),
  z.object({ type: z.literal('unsubscribed'), jobIds: z.array(z.string()), all: z.boolean() }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type PushReply = z.infer<typeof PushReplySchema>;

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
