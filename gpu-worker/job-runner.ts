/**
 * @module gpu-worker/job-runner
 * Runs one queue message to its end. The order of writes is the delivery contract:
 * claim (QUEUED -> RUNNING, conditional) -> download -> infer -> write results/<jobId>.json ->
 * mark SUCCEEDED (conditional on still holding the job) -> delete the message. A crash at any
 * point leaves the message in the queue and the job RUNNING with a lease that lapses, so another
 * worker takes it over. A duplicate message finds the job final (deleted unrun) or RUNNING under
 * a live lease (hidden until the lease ends, then looked at again: never deleted while the job
 * may still need it). Every AWS call is retried with capped, jittered backoff (retry.ts).
 */
import { performance } from 'node:perf_hooks';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import {
  InvalidInputError,
  JobNotFoundError,
  JobRejectedError,
  JobStateConflictError,
} from '../core/errors.ts';
import { formatBytes } from '../core/format-bytes.ts';
import { isFinal, type Job, JobErrorCode, JobStatus, type JobTimings } from '../core/job.ts';
import type { JobStore } from '../core/job-store.ts';
import { resultKey } from '../core/keys.ts';
import { progressAt } from '../core/progress.ts';
import { type JobMessage, parseJobMessage } from '../core/queue-message.ts';
import { enqueueWebhook } from '../core/webhooks.ts';
import type { WorkerConfig } from './config.ts';
import { deadlineSecFor, queueExpired, startDeadline } from './deadline.ts';
import { startHeartbeat } from './heartbeat.ts';
import type { InferencePool, InferenceResult } from './inference/pool.ts';
import { runJobTask } from './job-task-runner.ts';
import type { Logger } from './logger.ts';
import { createMessageDeleter, type MessageDeleter } from './message-deleter.ts';
import { createProgressReporter, type ProgressReporter } from './progress-reporter.ts';
import { sleep, withRetry } from './retry.ts';
import type { JobTaskDefinition } from './tasks/task.ts';

/** The job-store operations the runner uses (a narrow view, so unit tests can fake it). */
export type RunnerJobStore = Pick<
  JobStore,
  'claim' | 'renewLease' | 'releaseLease' | 'succeed' | 'fail' | 'reportProgress'
>;

export interface RunnerDeps {
  s3: S3Client;
  sqs: SQSClient;
  jobs: RunnerJobStore;
  pool: Pick<InferencePool, 'run'> & Partial<Pick<InferencePool, 'timeoutSecOf' | 'executionProvider'>>;
  /** Tasks that drive the pool themselves (a video), by name; the rest go to the pool as one call. */
  jobTasks?: ReadonlyMap<string, JobTaskDefinition>;
  queueUrl: string;
  webhookQueueUrl?: string;
  config: WorkerConfig;
  log: Logger;
}

/** How a message ended, for metrics and the consumer's events. */
export type RunOutcome =
  | { outcome: 'succeeded'; job: Job; inference: InferenceResult; decoder?: string }
  | { outcome: 'failed'; job: Job }
  | { outcome: 'retry'; jobId: string; error: unknown; delaySec: number }
  | { outcome: 'skipped'; jobId?: string; reason: string }
  | { outcome: 'released'; jobId: string };

export class JobRunner {
  readonly #d: RunnerDeps;
  readonly #deleter: MessageDeleter;

  constructor(deps: RunnerDeps) {
    this.#d = deps;
    this.#deleter = createMessageDeleter(deps.sqs, deps.queueUrl);
  }

  /**
   * Processes one message. `release` aborts on shutdown: the job's lease and the message's
   * visibility are given up so another worker takes the job at once.
   */
  async run(message: Message, release: AbortSignal): Promise<RunOutcome> {
    const d = this.#d;
    const receiptHandle = message.ReceiptHandle ?? '';
    const parsed = parseJobMessage(message.Body);
    if (!parsed) {
      d.log.error('not a job message; deleting', {
        messageId: message.MessageId,
        body: message.Body?.slice(0, 200),
      });
      await this.#delete(receiptHandle, d.log);
      return { outcome: 'skipped', reason: 'malformed message' };
    }
    const log = d.log.child({ jobId: parsed.jobId, key: parsed.key, messageId: message.MessageId });
    const claimedAt = Date.now();

    let job: Job;
    try {
      job = await this.#claim(parsed.jobId, log);
    } catch (error) {
      return this.#notClaimed(error, parsed, receiptHandle, log);
    }
    log.info('job claimed', { attempt: job.attempts });
    if (queueExpired(job, claimedAt, d.config.queueTtlSec)) {
      const failed = await this.#fail(
        job,
        `The job waited in the queue for over ${d.config.queueTtlSec} s without running, so it was given up; upload it again to retry.`,
        JobErrorCode.Expired,
        { queue: queueWait(job, claimedAt) },
        log,
      );
      await this.#finish(failed, receiptHandle, log);
      log.warn('job failed: expired in the queue');
      return { outcome: 'failed', job: failed };
    }
    const deadlineSec = deadlineSecFor(job, d.pool.timeoutSecOf?.(job.task), d.config);
    const deadline = startDeadline(deadlineSec);

    const heartbeat = startHeartbeat(
      {
        sqs: d.sqs,
        jobs: d.jobs,
        queueUrl: d.queueUrl,
        workerId: d.config.workerId,
        periodMs: d.config.heartbeatMs,
        visibilityTimeoutSec: d.config.visibilityTimeoutSec,
        onError: (error) => log.warn('heartbeat failed; will retry', { err: error }),
      },
      job.jobId,
      receiptHandle,
    );
    const timings: JobTimings = { queue: queueWait(job, claimedAt) };
    const progress = createProgressReporter({
      jobs: d.jobs,
      jobId: job.jobId,
      workerId: d.config.workerId,
      log,
      // A job task (a video) writes every stage change from the start: its watchers follow it.
      // A model task's stages pass in well under a second, so its final write says enough.
      ...(d.jobTasks?.has(job.task) ? { quietMs: 0 } : {}),
    });
    try {
      const stopped = AbortSignal.any([heartbeat.signal, release, deadline.signal]);
      const jobTask = d.jobTasks?.get(job.task);
      if (jobTask) {
        return await this.#runJobTask(jobTask, job, stopped, {
          heartbeat,
          deadline,
          progress,
          timings,
          claimedAt,
          receiptHandle,
          log,
        });
      }
      progress.report('downloading', 0, job.size ?? 0);
      const input = await timed(timings, 'download', () =>
        this.#aws('download', log, () => this.#download(job), stopped),
      );
      throwIfAborted(stopped);
      progress.report('inferring', 0, 1);
      // Raced with the stop signal, so a shutdown past its grace period need not wait for the thread.
      const inference = await untilAborted(d.pool.run(job.task, input, stopped), stopped);
      timings.preprocess = round(inference.timings.preprocess);
      timings.inference = round(inference.timings.inference);
      throwIfAborted(stopped);
      progress.report('writing', 0, 1);
      const key = resultKey(job.jobId);
      await timed(timings, 'upload', () =>
        this.#aws('upload', log, () => this.#upload(job, key, inference), stopped),
      );
      timings.total = Date.now() - claimedAt;
      heartbeat.stop();
      deadline.clear();
      await progress.stop();
      const done = await this.#aws('succeed', log, () =>
        d.jobs.succeed(job.jobId, d.config.workerId, {
          resultKey: key,
          resultKeys: [key],
          timings,
          executionProvider: inference.executionProvider,
          progress: progressAt('done', 1, 1),
        }),
      );
      await this.#finish(done, receiptHandle, log);
      log.info('job succeeded', {
        timings,
        executionProvider: inference.executionProvider,
        batchSize: inference.batchSize,
      });
      return { outcome: 'succeeded', job: done, inference };
    } catch (error) {
      heartbeat.stop();
      deadline.clear();
      await progress.stop();
      timings.total = Date.now() - claimedAt;
      // Whatever a stage threw once the deadline passed (e.g. a download retry given up), the
      // job ends for its deadline.
      const cause = deadline.signal.aborted && !release.aborted ? deadline.signal.reason : error;
      if (cause !== error || (error instanceof JobRejectedError && error.code === JobErrorCode.TimedOut)) {
        log.warn('job past its deadline; failing it', { deadlineSec });
      }
      return this.#handleFailure(cause, job, message, timings, release, log);
    }
  }

  /**
   * Claims the job. A lease that runs out within moments is waited out and the claim tried again:
   * that is a worker that died just before its lease ended, whose message came back first (the
   * visibility runs from the receive, the lease from the claim). Hiding the message instead would
   * cost a receive toward the dead-letter queue's count for each such crash.
   */
  async #claim(jobId: string, log: Logger): Promise<Job> {
    const { config, jobs } = this.#d;
    const claim = () =>
      this.#aws('claim', log, () => jobs.claim(jobId, config.workerId, config.visibilityTimeoutSec * 1000));
    try {
      return await claim();
    } catch (error) {
      const waitMs = error instanceof JobStateConflictError ? leaseEndsInMs(error.current) : undefined;
      const shortWaitMs = Math.min(5000, (config.visibilityTimeoutSec * 1000 - config.heartbeatMs) / 2);
      if (waitMs === undefined || waitMs > shortWaitMs) throw error;
      log.info('lease of a job about to lapse; waiting it out', { waitMs });
      await sleep(waitMs + 50);
      return claim();
    }
  }

  /** A job task's run (tasks/task.ts JobTaskDefinition): same claim, heartbeat and ending as above. */
  async #runJobTask(
    task: JobTaskDefinition,
    job: Job,
    stopped: AbortSignal,
    run: {
      heartbeat: { stop(): void };
      deadline: { clear(): void };
      progress: ProgressReporter;
      timings: JobTimings;
      claimedAt: number;
      receiptHandle: string;
      log: Logger;
    },
  ): Promise<RunOutcome> {
    const d = this.#d;
    const out = await runJobTask(
      {
        s3: d.s3,
        pool: d.pool,
        inferenceThreads: d.config.inferenceThreads,
        checkpointSec: d.config.checkpointSec,
        log: run.log,
      },
      task,
      job,
      stopped,
      run.progress,
      run.timings,
    );
    run.timings.total = Date.now() - run.claimedAt;
    run.heartbeat.stop();
    run.deadline.clear();
    await run.progress.stop();
    const done = await this.#aws('succeed', run.log, () =>
      d.jobs.succeed(job.jobId, d.config.workerId, {
        resultKey: out.resultKey,
        resultKeys: out.resultKeys,
        timings: run.timings,
        executionProvider: out.executionProvider,
        progress: progressAt('done', 1, 1),
      }),
    );
    await this.#finish(done, run.receiptHandle, run.log);
    run.log.info('job succeeded', {
      timings: run.timings,
      executionProvider: out.executionProvider,
      decoder: out.decoder,
    });
    const inference: InferenceResult = {
      result: undefined,
      timings: {
        preprocess: run.timings.preprocess ?? 0,
        inference: run.timings.inference ?? 0,
        waitForThread: 0,
      },
      executionProvider: out.executionProvider,
      batchSize: 1,
    };
    return { outcome: 'succeeded', job: done, inference, ...(out.decoder ? { decoder: out.decoder } : {}) };
  }

  async #notClaimed(
    error: unknown,
    msg: JobMessage,
    receiptHandle: string,
    log: Logger,
  ): Promise<RunOutcome> {
    if (error instanceof JobNotFoundError) {
      log.warn('job record not found; deleting its message');
      await this.#delete(receiptHandle, log);
      return { outcome: 'skipped', jobId: msg.jobId, reason: 'job not found' };
    }
    if (error instanceof JobStateConflictError) {
      const current = error.current;
      if (current.status === JobStatus.Running) {
        // Held under a live lease. This may be the only message (its worker died just before
        // the lease would lapse), so it is hidden until the lease ends, never deleted: then
        // either the job is final and it goes, or the lease lapsed and it is taken over.
        const hideSec = leaseRemainingSec(current, Date.now());
        log.info('job held by a live lease; hiding message until it ends', {
          holder: current.workerId,
          hideSec,
        });
        await this.#changeVisibility(receiptHandle, hideSec, log);
        return { outcome: 'skipped', jobId: msg.jobId, reason: 'job is RUNNING elsewhere' };
      }
      // Final, or not yet uploaded: this message is a duplicate with nothing to do.
      log.info('job not claimable; deleting duplicate message', { status: current.status });
      await this.#delete(receiptHandle, log);
      return { outcome: 'skipped', jobId: msg.jobId, reason: `job is ${current.status}` };
    }
    throw error;
  }

  async #handleFailure(
    error: unknown,
    job: Job,
    message: Message,
    timings: JobTimings,
    release: AbortSignal,
    log: Logger,
  ): Promise<RunOutcome> {
    const d = this.#d;
    const receiptHandle = message.ReceiptHandle ?? '';
    if (error instanceof JobStateConflictError) {
      // Canceled (or taken over) while running: the result, if any, is discarded.
      log.info('job changed under us; stopping', { status: error.current.status });
      if (isFinal(error.current.status)) await this.#delete(receiptHandle, log);
      return { outcome: 'skipped', jobId: job.jobId, reason: `job became ${error.current.status}` };
    }
    if (release.aborted) {
      await this.#release(job.jobId, receiptHandle, log);
      log.info('job released for another worker (shutdown)');
      return { outcome: 'released', jobId: job.jobId };
    }
    if (error instanceof InvalidInputError || error instanceof JobRejectedError) {
      const failed = await this.#fail(job, error.message, error.code, timings, log);
      await this.#finish(failed, receiptHandle, log);
      log.warn('job failed: bad input', { errorCode: error.code, error: error.message });
      return { outcome: 'failed', job: failed };
    }
    const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
    if (receiveCount >= d.config.maxReceiveCount) {
      const reason = `Processing failed ${receiveCount} times; last error: ${(error as Error).message}`;
      const failed = await this.#fail(job, reason, JobErrorCode.RetriesExhausted, timings, log);
      await this.notifyWebhook(failed, log);
      // The message is left to reappear once more, when SQS moves it to the dead-letter queue.
      await this.#changeVisibility(receiptHandle, 0, log);
      log.error('job failed: retries exhausted; message goes to the DLQ', { err: error, receiveCount });
      return { outcome: 'failed', job: failed };
    }
    const delaySec = backoffSec(receiveCount);
    await this.#aws('release lease', log, () => d.jobs.releaseLease(job.jobId, d.config.workerId)).catch(
      () => {},
    );
    await this.#changeVisibility(receiptHandle, delaySec, log);
    log.warn('transient failure; retrying later', { err: error, receiveCount, delaySec });
    return { outcome: 'retry', jobId: job.jobId, error, delaySec };
  }

  async #download(job: Job): Promise<Uint8Array> {
    const { maxInputBytes } = this.#d.config;
    const out = await this.#d.s3
      // IfMatch: the object ingest recorded, not whatever replaced it since under the same key.
      .send(
        new GetObjectCommand({
          Bucket: job.bucket,
          Key: job.key,
          ...(job.etag ? { IfMatch: `"${job.etag}"` } : {}),
        }),
      )
      .catch((error: unknown) => {
        if (error instanceof NoSuchKey) {
          throw new JobRejectedError(
            JobErrorCode.InputMissing,
            `The input s3://${job.bucket}/${job.key} no longer exists.`,
          );
        }
        if ((error as { name?: string }).name === 'PreconditionFailed') {
          throw new JobRejectedError(
            JobErrorCode.InputChanged,
            `The input s3://${job.bucket}/${job.key} was replaced after it was uploaded; submit the new file as a new job.`,
          );
        }
        throw error;
      });
    if ((out.ContentLength ?? 0) > maxInputBytes) {
      out.Body?.transformToWebStream().cancel();
      throw new InvalidInputError(
        `The file is ${formatBytes(out.ContentLength ?? 0)}, over the limit of ${formatBytes(maxInputBytes)}.`,
      );
    }
    const bytes = await out.Body?.transformToByteArray();
    if (!bytes) throw new Error(`S3 returned no body for ${job.key}`);
    return bytes;
  }

  async #upload(job: Job, key: string, inference: InferenceResult): Promise<void> {
    const body = JSON.stringify({
      jobId: job.jobId,
      task: job.task,
      input: { bucket: job.bucket, key: job.key },
      executionProvider: inference.executionProvider,
      result: inference.result,
    });
    await this.#d.s3.send(
      new PutObjectCommand({ Bucket: job.bucket, Key: key, Body: body, ContentType: 'application/json' }),
    );
  }

  #fail(job: Job, error: string, errorCode: JobErrorCode, timings: JobTimings, log: Logger): Promise<Job> {
    return this.#aws('fail', log, () =>
      this.#d.jobs.fail(job.jobId, { error, errorCode, timings }, this.#d.config.workerId),
    );
  }

  /** After a final state: the webhook is queued before the message goes, so neither is lost. */
  async #finish(job: Job, receiptHandle: string, log: Logger): Promise<void> {
    await this.notifyWebhook(job, log);
    await this.#delete(receiptHandle, log);
  }

  /** Queues the job's webhook, if it has one and webhooks are wired. */
  async notifyWebhook(job: Job, log: Logger = this.#d.log): Promise<void> {
    const queueUrl = this.#d.webhookQueueUrl;
    if (job.webhookUrl && queueUrl) {
      await this.#aws('webhook enqueue', log, () => enqueueWebhook({ sqs: this.#d.sqs, queueUrl }, job));
    }
  }

  async #release(jobId: string, receiptHandle: string, log: Logger): Promise<void> {
    await Promise.allSettled([
      this.#aws('release lease', log, () => this.#d.jobs.releaseLease(jobId, this.#d.config.workerId)),
      this.#changeVisibility(receiptHandle, 0, log),
    ]);
  }

  #delete(receiptHandle: string, log: Logger): Promise<unknown> {
    return this.#aws('delete message', log, () => this.#deleter.delete(receiptHandle));
  }

  #changeVisibility(receiptHandle: string, seconds: number, log: Logger): Promise<unknown> {
    return this.#aws('change visibility', log, () =>
      this.#d.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.#d.queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: seconds,
        }),
      ),
    );
  }

  /** One AWS call, retried through an outage (see retry.ts); `signal` gives up early. */
  #aws<T>(what: string, log: Logger, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(fn, {
      maxElapsedMs: this.#d.config.awsRetryMs,
      ...(signal ? { signal } : {}),
      onRetry: (error, attempt, delayMs) =>
        log.warn(`${what} failed; retrying`, { err: error, attempt, delayMs }),
    });
  }
}

/** Milliseconds until a RUNNING job's lease ends (0 if it has); undefined for other states. */
function leaseEndsInMs(job: Job): number | undefined {
  return job.status === JobStatus.Running ? Math.max(0, (job.leaseExpiresAt ?? 0) - Date.now()) : undefined;
}

/** Whole seconds until the job's lease ends (at least 1, at most SQS's 12 h), plus 1 for clock skew. */
export function leaseRemainingSec(job: Job, nowMs: number): number {
  return Math.min(43_200, Math.max(1, Math.ceil(((job.leaseExpiresAt ?? 0) - nowMs) / 1000) + 1));
}

/** Exponential backoff for transient failures: 10 s, 20 s, 40 s ... capped at 5 minutes. */
export function backoffSec(receiveCount: number): number {
  return Math.min(300, 10 * 2 ** Math.max(0, receiveCount - 1));
}

/** From QUEUED (or creation, for records older than queuedAt) to this claim. */
function queueWait(job: Job, claimedAt: number): number {
  return Math.max(0, claimedAt - Date.parse(job.queuedAt ?? job.createdAt));
}

async function timed<T>(timings: JobTimings, stage: keyof JobTimings, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    timings[stage] = round(performance.now() - t0);
  }
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason ?? new Error('aborted');
}

const round = (ms: number) => Math.round(ms * 10) / 10;
