/**
 * @module cli/operator
 * The operator commands, straight against AWS (or the emulator) with the operator's credentials:
 * - `stats`: jobs queue backlog and in flight, dead letters, the oldest waiting job, jobs per state.
 * - `redrive [--dry-run]`: dead letters of jobs that are not final back to the jobs queue; the
 *   rest (final, missing or malformed) stay in the dead-letter queue for inspection.
 * - `redrive --ingest`: replays the upload events ingest gave up on now, as the reconciler does
 *   each period (core/ingest/replay.ts).
 * - `retry <jobId>`: a FAILED job runs again as a new, linked job. The FAILED job stays FAILED
 *   (final states never change, so no client, webhook receiver or DLQ sweep sees it move); it
 *   gets `retriedAs`, set once by a conditional write that also makes a second retry a no-op.
 *   The new job carries `retryOf` and the `history` of every earlier attempt, inherits the
 *   input, task, webhook URL and metadata, and gets one message. Safe to run again after a crash
 *   half-way: each step finds what the previous run did.
 */
import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { RECONCILE } from '../core/config.ts';
import { FerryError, JobStateConflictError } from '../core/errors.ts';
import { ingestDeps } from '../core/ingest/ingest-deps.ts';
import { type IngestRecoveryCounts, IngestRecoveryStats } from '../core/ingest/recovery-stats.ts';
import { type ReplayReport, replayIngestFailures } from '../core/ingest/replay.ts';
import { isFinal, type Job, type JobAttemptRecord, JobStatus } from '../core/job.ts';
import { sendUnderClaim } from '../core/job-queue.ts';
import { newJobId } from '../core/keys.ts';
import { parseJobMessage } from '../core/queue-message.ts';
import { CliConfigError } from './errors.ts';
import type { OperatorClients } from './operator-config.ts';

/** A command that could not do what was asked for this job (exit 1). */
export class OperatorError extends FerryError {
  override readonly name = 'OperatorError';
  readonly code = 'OPERATOR';
}

// --- stats ---

export interface QueueDepth {
  waiting: number;
  inFlight: number;
  delayed: number;
}

/** Lost upload events: waiting in the ingest failures queue, and what recovery did so far. */
export interface IngestStats {
  failures: QueueDepth;
  counts?: IngestRecoveryCounts;
}

export interface Stats {
  queue: QueueDepth;
  deadLetters?: QueueDepth;
  ingest?: IngestStats;
  /** The oldest QUEUED job and how long it has waited, in seconds. */
  oldestWaiting?: { jobId: string; ageSec: number };
  statuses: Record<JobStatus, number>;
}

async function queueDepth(c: OperatorClients, queueUrl: string): Promise<QueueDepth> {
  const out = await c.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const a = out.Attributes ?? {};
  return {
    waiting: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

export async function stats(c: OperatorClients, now = new Date()): Promise<Stats> {
  const statuses = Object.values(JobStatus);
  const [queue, deadLetters, ingest, oldest, counts] = await Promise.all([
    queueDepth(c, c.resources.queueUrl),
    c.resources.dlqUrl ? queueDepth(c, c.resources.dlqUrl) : undefined,
    ingestStats(c),
    c.jobs.oldest(JobStatus.Queued),
    Promise.all(statuses.map((s) => c.jobs.countByStatus(s))),
  ]);
  const since = oldest ? Date.parse(oldest.queuedAt ?? oldest.createdAt) : undefined;
  return {
    queue,
    ...(deadLetters ? { deadLetters } : {}),
    ...(ingest ? { ingest } : {}),
    ...(oldest && since !== undefined
      ? {
          oldestWaiting: {
            jobId: oldest.jobId,
            ageSec: Math.max(0, Math.round((now.getTime() - since) / 1000)),
          },
        }
      : {}),
    statuses: Object.fromEntries(statuses.map((s, i) => [s, counts[i] ?? 0])) as Record<JobStatus, number>,
  };
}

async function ingestStats(c: OperatorClients): Promise<IngestStats | undefined> {
  const { ingestFailuresQueueUrl, clientsTable } = c.resources;
  if (!ingestFailuresQueueUrl) return undefined;
  const [failures, counts] = await Promise.all([
    queueDepth(c, ingestFailuresQueueUrl),
    clientsTable ? new IngestRecoveryStats({ dynamo: c.aws.dynamo, table: clientsTable }).read() : undefined,
  ]);
  return { failures, ...(counts ? { counts } : {}) };
}

function ingestText(i: IngestStats | undefined): string {
  if (!i) return 'unknown (no FERRY_INGEST_FAILURES_QUEUE_URL)';
  const waiting = `${i.failures.waiting + i.failures.inFlight} failed events waiting`;
  if (!i.counts) return waiting;
  const { replayed, replayFailures, orphans, lastSweepAt } = i.counts;
  return `${waiting}, ${replayed} replayed (${replayFailures} retries failed), ${orphans} orphaned uploads found (last sweep ${lastSweepAt ?? 'never'})`;
}

export function statsText(s: Stats): string {
  const depth = (d: QueueDepth) => `${d.waiting} waiting, ${d.inFlight} in flight, ${d.delayed} delayed`;
  return [
    `Jobs queue:    ${depth(s.queue)}`,
    `Oldest waiting: ${s.oldestWaiting ? `${s.oldestWaiting.jobId} (${s.oldestWaiting.ageSec} s)` : 'none'}`,
    `Dead letters:  ${s.deadLetters ? s.deadLetters.waiting + s.deadLetters.inFlight : 'unknown (no FERRY_DLQ_URL)'}`,
    `Ingest:        ${ingestText(s.ingest)}`,
    `Jobs by state: ${Object.entries(s.statuses)
      .map(([status, n]) => `${status} ${n}`)
      .join(', ')}`,
  ].join('\n');
}

// --- redrive ---

export interface RedriveEntry {
  messageId: string;
  jobId?: string;
  /** moved (or would be, with --dry-run), or why it stays. */
  outcome: 'moved' | 'final' | 'missing' | 'malformed';
  status?: JobStatus;
}

export interface RedriveReport {
  dryRun: boolean;
  entries: RedriveEntry[];
}

/** Seconds the dead letters being looked at stay hidden from others (the worker's sweep). */
const REDRIVE_HOLD_SEC = 300;
/** Most dead letters one run looks at; run again for more. */
const REDRIVE_MAX = 10_000;

export async function redrive(c: OperatorClients, options: { dryRun: boolean }): Promise<RedriveReport> {
  const dlqUrl = c.resources.dlqUrl;
  if (!dlqUrl) throw new CliConfigError('No dead-letter queue: set FERRY_DLQ_URL or pass --outputs FILE');
  const entries: RedriveEntry[] = [];
  const held: Message[] = [];
  try {
    while (entries.length < REDRIVE_MAX) {
      const out = await c.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: REDRIVE_HOLD_SEC,
          WaitTimeSeconds: 0,
        }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) break;
      for (const message of messages) {
        const entry = await redriveOne(c, message, options.dryRun);
        entries.push(entry);
        if (entry.outcome !== 'moved' || options.dryRun) held.push(message);
      }
    }
  } finally {
    // What stays is visible again at once, for inspection and the worker's sweep.
    await Promise.all(
      held.map((m) =>
        c.sqs
          .send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: dlqUrl,
              ReceiptHandle: m.ReceiptHandle,
              VisibilityTimeout: 0,
            }),
          )
          .catch(() => undefined),
      ),
    );
  }
  return { dryRun: options.dryRun, entries };
}

async function redriveOne(c: OperatorClients, message: Message, dryRun: boolean): Promise<RedriveEntry> {
  const messageId = message.MessageId ?? '';
  const parsed = parseJobMessage(message.Body);
  if (!parsed) return { messageId, outcome: 'malformed' };
  const job = await c.jobs.get(parsed.jobId);
  if (!job) return { messageId, jobId: parsed.jobId, outcome: 'missing' };
  if (isFinal(job.status)) return { messageId, jobId: job.jobId, outcome: 'final', status: job.status };
  if (!dryRun) {
    // Send first, then delete: a crash in between leaves a duplicate, which the worker's claim absorbs.
    await c.sqs.send(new SendMessageCommand({ QueueUrl: c.resources.queueUrl, MessageBody: message.Body }));
    await c.sqs.send(
      new DeleteMessageCommand({ QueueUrl: c.resources.dlqUrl, ReceiptHandle: message.ReceiptHandle }),
    );
  }
  return { messageId, jobId: job.jobId, outcome: 'moved', status: job.status };
}

/** `redrive --ingest`: every failed upload event through ingest now; those failing again stay. */
export async function redriveIngest(c: OperatorClients, env: NodeJS.ProcessEnv): Promise<ReplayReport> {
  const { ingestFailuresQueueUrl, clientsTable } = c.resources;
  if (!ingestFailuresQueueUrl)
    throw new CliConfigError(
      'No ingest failures queue: set FERRY_INGEST_FAILURES_QUEUE_URL or pass --outputs FILE',
    );
  const deps = ingestDeps(c.aws, c.resources, {
    ...(clientsTable ? { FERRY_CLIENTS_TABLE: clientsTable } : {}),
    ...(env.FERRY_DEFAULT_CLIENT_ID ? { FERRY_DEFAULT_CLIENT_ID: env.FERRY_DEFAULT_CLIENT_ID } : {}),
  });
  const quiet = { info: () => {}, warn: () => {} };
  return replayIngestFailures(deps, { queueUrl: ingestFailuresQueueUrl, maxEvents: REDRIVE_MAX }, quiet);
}

export function redriveIngestText(r: ReplayReport): string {
  const lines = [`Replayed ${r.replayed} upload events into jobs.`];
  if (r.failed > 0) lines.push(`${r.failed} failed again and stay queued; see the reconciler's log.`);
  if (r.unreadable > 0) lines.push(`${r.unreadable} messages are no S3 event; they stay for inspection.`);
  return lines.join('\n');
}

export function redriveText(r: RedriveReport): string {
  const moved = r.entries.filter((e) => e.outcome === 'moved');
  const why: Record<Exclude<RedriveEntry['outcome'], 'moved'>, (e: RedriveEntry) => string> = {
    final: (e) => `final; "ferry retry ${e.jobId}" runs a FAILED job again`,
    missing: () => 'no such job',
    malformed: () => 'not a job message',
  };
  const lines = r.entries.map((e) => {
    const what = e.jobId ? `job ${e.jobId}${e.status ? ` (${e.status})` : ''}` : `message ${e.messageId}`;
    if (e.outcome === 'moved') return `${r.dryRun ? 'would move' : 'moved'}  ${what}`;
    return `kept       ${what}: ${why[e.outcome](e)}`;
  });
  const summary = `${r.dryRun ? 'Would move' : 'Moved'} ${moved.length} of ${r.entries.length} dead letters to the jobs queue.`;
  return [...lines, summary].join('\n');
}

// --- retry ---

export interface RetryResult {
  failed: Job;
  retry: Job;
  /** false when an earlier `ferry retry` of this job had already created the retry. */
  created: boolean;
}

export async function retry(c: OperatorClients, jobId: string): Promise<RetryResult> {
  const failed = await c.jobs.get(jobId);
  if (!failed) throw new OperatorError(`No job ${jobId}`);
  if (failed.status !== JobStatus.Failed) {
    throw new OperatorError(`Job ${jobId} is ${failed.status}; only FAILED jobs can be retried`);
  }
  let retryId = failed.retriedAs;
  if (!retryId) {
    retryId = newJobId();
    try {
      await c.jobs.markRetried(jobId, retryId);
    } catch (error) {
      // A concurrent retry won: continue with its job.
      if (!(error instanceof JobStateConflictError) || !error.current.retriedAs) throw error;
      retryId = error.current.retriedAs;
    }
  }
  const attempt: JobAttemptRecord = {
    jobId: failed.jobId,
    status: failed.status,
    attempts: failed.attempts,
    ...(failed.error ? { error: failed.error } : {}),
    ...(failed.errorCode ? { errorCode: failed.errorCode } : {}),
    ...(failed.finishedAt ? { finishedAt: failed.finishedAt } : {}),
  };
  const { job, created } = await c.jobs.create({
    jobId: retryId,
    status: JobStatus.Queued,
    task: failed.task,
    bucket: failed.bucket,
    key: failed.key,
    ...(failed.size !== undefined ? { size: failed.size } : {}),
    ...(failed.etag ? { etag: failed.etag } : {}),
    ...(failed.contentType ? { contentType: failed.contentType } : {}),
    ...(failed.webhookUrl ? { webhookUrl: failed.webhookUrl } : {}),
    ...(failed.metadata ? { metadata: failed.metadata } : {}),
    retryOf: failed.jobId,
    history: [...(failed.history ?? []), attempt],
  });
  let retryJob = job;
  if (retryJob.status === JobStatus.Queued && !retryJob.messageId) {
    // The same send claim as ingest's: a concurrent `ferry retry` of this job sends no second message.
    const claimId = randomUUID();
    try {
      const claimed = await c.jobs.claimSend(retryJob.jobId, claimId, RECONCILE.sendClaimStaleSec * 1000);
      retryJob = await sendUnderClaim(
        { sqs: c.sqs, queueUrl: c.resources.queueUrl, jobs: c.jobs },
        claimed,
        claimId,
      );
    } catch (error) {
      if (!(error instanceof JobStateConflictError)) throw error;
      retryJob = error.current;
    }
  }
  return { failed: { ...failed, retriedAs: retryId }, retry: retryJob, created };
}

export function retryText(r: RetryResult): string {
  return r.created
    ? `Retrying ${r.failed.jobId} as ${r.retry.jobId} (QUEUED); "ferry status ${r.retry.jobId}" follows it`
    : `${r.failed.jobId} was already retried as ${r.retry.jobId} (${r.retry.status})`;
}
