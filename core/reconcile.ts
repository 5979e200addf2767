/**
 * @module core/reconcile
 * Brings stranded jobs to a final state, whatever died where. One run, through the `byStatus`
 * index:
 * - QUEUED past the queue TTL -> FAILED `EXPIRED`, without running.
 * - QUEUED with no message (ingest died between the record and the send, and its retries failed
 *   too) -> its message is sent, under the same send claim ingest uses, so at most one is sent.
 * - RUNNING whose lease lapsed long ago with nobody taking it over (its message is gone) -> a
 *   new message, once per `orphanAfterSec`; a worker then takes the job over.
 * Runs in the worker (a sweep, like the dead-letter sweep) and in the scheduled reconciler
 * function, which also covers a fleet scaled to zero: a job with no message makes no backlog,
 * so no worker would start to sweep it. Concurrent runs are safe: every step is conditional.
 */
import { randomUUID } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { JOB, RECONCILE } from './config.ts';
import { JobNotFoundError, JobStateConflictError } from './errors.ts';
import { type Job, JobErrorCode, JobStatus } from './job.ts';
import { sendUnderClaim } from './job-queue.ts';
import type { JobStore } from './job-store.ts';

export interface ReconcileDeps {
  sqs: SQSClient;
  queueUrl: string;
  jobs: Pick<
    JobStore,
    'list' | 'claimSend' | 'claimResend' | 'recordEnqueued' | 'releaseSendClaim' | 'failUnheld'
  >;
  /** Called with each job this run ended (e.g. to queue its webhook). */
  onFailed?(job: Job): Promise<void>;
  /** Injected clock for tests, epoch ms. */
  now?: () => number;
}

export interface ReconcileOptions {
  /** @default JOB.queueTtlSec (24 h) */
  queueTtlSec: number;
  /** @default RECONCILE.sendClaimStaleSec */
  sendClaimStaleSec: number;
  /** @default RECONCILE.orphanAfterSec */
  orphanAfterSec: number;
  /** @default RECONCILE.maxJobsPerRun */
  maxJobsPerRun: number;
}

export const DEFAULT_RECONCILE_OPTIONS: ReconcileOptions = {
  queueTtlSec: JOB.queueTtlSec,
  sendClaimStaleSec: RECONCILE.sendClaimStaleSec,
  orphanAfterSec: RECONCILE.orphanAfterSec,
  maxJobsPerRun: RECONCILE.maxJobsPerRun,
};

export interface ReconcileReport {
  expired: string[];
  /** QUEUED jobs whose missing message was sent. */
  sent: string[];
  /** RUNNING jobs with a lapsed lease that got a new message. */
  resent: string[];
}

export async function reconcile(
  deps: ReconcileDeps,
  options: ReconcileOptions = DEFAULT_RECONCILE_OPTIONS,
): Promise<ReconcileReport> {
  const now = deps.now?.() ?? Date.now();
  const report: ReconcileReport = { expired: [], sent: [], resent: [] };
  const staleMs = options.sendClaimStaleSec * 1000;

  for await (const job of jobsIn(deps, JobStatus.Queued, options.maxJobsPerRun)) {
    const queuedMs = now - Date.parse(job.queuedAt ?? job.createdAt);
    if (queuedMs > options.queueTtlSec * 1000) {
      const failed = await ifStillSo(() =>
        deps.jobs.failUnheld(job.jobId, {
          errorCode: JobErrorCode.Expired,
          error: `The job waited in the queue for over ${formatSec(options.queueTtlSec)} without running, so it was given up; upload it again to retry.`,
        }),
      );
      if (failed) {
        report.expired.push(job.jobId);
        await deps.onFailed?.(failed);
      }
    } else if (!job.messageId && queuedMs > staleMs && (job.sendClaimedAt ?? 0) < now - staleMs) {
      const claimId = randomUUID();
      const claimed = await ifStillSo(() => deps.jobs.claimSend(job.jobId, claimId, staleMs));
      if (claimed) {
        await sendUnderClaim(deps, claimed, claimId);
        report.sent.push(job.jobId);
      }
    }
  }

  const orphanMs = options.orphanAfterSec * 1000;
  for await (const job of jobsIn(deps, JobStatus.Running, options.maxJobsPerRun)) {
    if ((job.leaseExpiresAt ?? 0) >= now - orphanMs) continue;
    const claimId = randomUUID();
    const claimed = await ifStillSo(() =>
      deps.jobs.claimResend(job.jobId, claimId, now - orphanMs, orphanMs),
    );
    if (claimed) {
      await sendUnderClaim(deps, claimed, claimId);
      report.resent.push(job.jobId);
    }
  }
  return report;
}

async function* jobsIn(deps: ReconcileDeps, status: JobStatus, max: number): AsyncGenerator<Job> {
  let cursor: string | undefined;
  let seen = 0;
  do {
    const page = await deps.jobs.list({ status, limit: 100, ...(cursor ? { cursor } : {}) });
    for (const job of page.jobs) {
      if (seen++ >= max) return;
      yield job;
    }
    cursor = page.cursor;
  } while (cursor);
}

/** Runs a conditional change; undefined when the job moved on meanwhile (or is gone). */
async function ifStillSo(change: () => Promise<Job>): Promise<Job | undefined> {
  try {
    return await change();
  } catch (error) {
    if (error instanceof JobStateConflictError || error instanceof JobNotFoundError) return undefined;
    throw error;
  }
}

function formatSec(sec: number): string {
  return sec >= 3600
    ? `${+(sec / 3600).toFixed(1)} h`
    : sec >= 60
      ? `${+(sec / 60).toFixed(1)} min`
      : `${sec} s`;
}
