/**
 * @module gpu-worker/dead-letters
 * Marks jobs FAILED when their message lands in the dead-letter queue. A transient failure on
 * the last delivery already fails the job (job-runner.ts); this covers the case no code sees:
 * the worker crashing on the job (OOM, a native abort) on every delivery. Dead letters are left
 * in the DLQ for inspection, hidden for a long while so each is handled about once.
 */
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { JobNotFoundError, JobStateConflictError } from '../core/errors.ts';
import { type Job, JobErrorCode } from '../core/job.ts';
import type { JobStore } from '../core/job-store.ts';
import { parseJobMessage } from '../core/queue-message.ts';
import type { Logger } from './logger.ts';
import { type PeriodicSweep, startPeriodicSweep } from './periodic-sweep.ts';
import { withRetry } from './retry.ts';

/** How long a handled dead letter stays hidden, in seconds (12 h, the SQS maximum). */
const HANDLED_VISIBILITY_SEC = 43_200;

export interface DeadLetterSweeperOptions {
  sqs: SQSClient;
  jobs: Pick<JobStore, 'failUnheld'>;
  dlqUrl: string;
  maxReceiveCount: number;
  intervalMs: number;
  log: Logger;
  /** Called with each job this sweep failed (e.g. to queue its webhook). */
  onFailed(job: Job): Promise<void>;
}

export function startDeadLetterSweeper(options: DeadLetterSweeperOptions): PeriodicSweep {
  const sweep = async () => {
    for (;;) {
      const out = await withRetry(
        () =>
          options.sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: options.dlqUrl,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: 0,
              VisibilityTimeout: HANDLED_VISIBILITY_SEC,
            }),
          ),
        { maxElapsedMs: options.intervalMs },
      );
      if (!out.Messages?.length) return;
      for (const message of out.Messages) await failDeadLetter(options, parseJobMessage(message.Body)?.jobId);
    }
  };
  return startPeriodicSweep('dead-letter', options.intervalMs, [sweep], options.log);
}

async function failDeadLetter(options: DeadLetterSweeperOptions, jobId: string | undefined): Promise<void> {
  if (!jobId) return;
  try {
    const job = await withRetry(() =>
      options.jobs.failUnheld(jobId, {
        error: `The job was moved to the dead-letter queue after ${options.maxReceiveCount} deliveries without finishing; the worker may have crashed while running it.`,
        errorCode: JobErrorCode.DeadLettered,
      }),
    );
    options.log.error('job failed: dead-lettered', { jobId });
    await options.onFailed(job);
  } catch (error) {
    // Already final (e.g. failed by the runner on its last delivery), RUNNING under a live lease
    // (this dead letter was a duplicate of a message its worker still holds), or gone.
    if (!(error instanceof JobStateConflictError || error instanceof JobNotFoundError)) throw error;
  }
}
