/**
 * @module gpu-worker/heartbeat
 * Keeps a running job's claim alive: every period it extends the message's visibility (so SQS
 * does not deliver it again mid-job) and renews the job's lease in the table (so no other worker
 * takes it over). If the lease renewal finds the job canceled or taken over, it aborts the job.
 * A failed beat is retried with backoff within its period, and again at the next one; after
 * stop() no beat is sent, so a job past its deadline stops holding its lease.
 */
import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { JobStateConflictError } from '../core/errors.ts';
import type { JobStore } from '../core/job-store.ts';
import { withRetry } from './retry.ts';

export interface HeartbeatOptions {
  sqs: SQSClient;
  jobs: Pick<JobStore, 'renewLease'>;
  queueUrl: string;
  workerId: string;
  periodMs: number;
  visibilityTimeoutSec: number;
  onError(error: unknown): void;
}

export interface Heartbeat {
  /** Aborted when the job was canceled or taken over; `reason` is the JobStateConflictError. */
  readonly signal: AbortSignal;
  stop(): void;
}

export function startHeartbeat(options: HeartbeatOptions, jobId: string, receiptHandle: string): Heartbeat {
  const controller = new AbortController();
  const stopped = new AbortController();
  let beating = false;
  const retry = { maxElapsedMs: options.periodMs, capMs: options.periodMs / 4, signal: stopped.signal };
  const beat = async () => {
    if (beating) return; // a slow beat is still running: skip rather than pile up
    beating = true;
    try {
      await Promise.all([
        withRetry(
          () =>
            options.sqs.send(
              new ChangeMessageVisibilityCommand({
                QueueUrl: options.queueUrl,
                ReceiptHandle: receiptHandle,
                VisibilityTimeout: options.visibilityTimeoutSec,
              }),
            ),
          retry,
        ),
        withRetry(
          () => options.jobs.renewLease(jobId, options.workerId, options.visibilityTimeoutSec * 1000),
          retry,
        ),
      ]);
    } catch (error) {
      if (error instanceof JobStateConflictError) controller.abort(error);
      else if (!stopped.signal.aborted) options.onError(error);
    } finally {
      beating = false;
    }
  };
  const timer = setInterval(beat, options.periodMs);
  return {
    signal: controller.signal,
    stop: () => {
      clearInterval(timer);
      stopped.abort();
    },
  };
}
