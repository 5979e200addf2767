/**
 * @module gpu-worker/job-runner
 * Runs one queue message to its end: every job, whatever its task, through one lifecycle. The
 * order of writes is the delivery contract:
 * claim (QUEUED -> RUNNING, conditional) -> download (input-file.ts, IfMatch on the ingested
 * ETag) -> the task's `run` (tasks/task.ts; a model task's is one `ctx.infer`) -> write
 * results/<jobId>.json and the task's other files -> mark SUCCEEDED (conditional on still holding
 * the job) -> queue the webhook -> delete the message. A crash at any point leaves the message in
 * the queue and the job RUNNING with a lease that lapses, so another worker takes it over (a
 * resumable task from its last checkpoint). A duplicate message finds the job final (deleted
 * unrun) or RUNNING under a live lease (hidden until the lease ends, then looked at again: never
 * deleted while the job may still need it). Every AWS call is retried with capped, jittered
 * backoff (retry.ts).
 *
 * The runner owns the `downloading` and `writing` progress stages; the task owns those between.
 * A job ends in one of two places: #endSucceeded, or #endFailed (bad input, past its deadline or
 * the queue TTL, or out of deliveries).
 */
import { performance } from 'node:perf_hooks';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import {
  InvalidInputError,
  JobNotFoundError,
  JobRejectedError,
  JobStateConflictError,
} from '../core/errors.ts';
import { isFinal, type Job, JobErrorCode, JobStatus, type JobTimings } from '../core/job.ts';
import type { JobStore } from '../core/job-store.ts';
import { resultFileKey, resultKey } from '../core/keys.ts';
import { progressAt } from '../core/progress.ts';
import { type JobMessage, parseJobMessage } from '../core/queue-message.ts';
import { enqueueWebhook } from '../core/webhooks.ts';
import { type CheckpointStore, checkpointStore } from './checkpoints.ts';
import type { WorkerConfig } from './config.ts';
import { deadlineSecFor, queueExpired, startDeadline } from './deadline.ts';
import { startHeartbeat } from './heartbeat.ts';
import type { InferencePool } from './inference/pool.ts';
import { downloadInput } from './input-file.ts';
import { createJobContext, roundMs } from './job-context.ts';
import type { Logger } from './logger.ts';
import { createMessageDeleter, type MessageDeleter } from './message-deleter.ts';
import { createProgressReporter, type ProgressReporter } from './progress-reporter.ts';
import { sleep, withRetry } from './retry.ts';
import type { JobTaskDefinition, JobTaskOutput } from './tasks/task.ts';

/** The job-store operations the runner uses (a narrow view, so unit tests can fake it). */
export type RunnerJobStore = Pick<
  JobStore,
  'claim' | 'renewLease' | 'releaseLease' | 'succeed' | 'fail' | 'reportProgress'
>;

export interface RunnerDeps {
  s3: S3Client;
  sqs: SQSClient;
  jobs: RunnerJobStore;
  pool: Pick<InferencePool, 'run'> & Partial<Pick<InferencePool, 'executionProvider'>>;
  /** Every task this worker runs, by name (tasks/registry.ts loadJobTasks). */
  tasks: ReadonlyMap<string, JobTaskDefinition>;
  queueUrl: string;
  webhookQueueUrl?: string;
  config: WorkerConfig;
  log: Logger;
}

/** How a message ended, for metrics and the consumer's events. */
export type RunOutcome =
  | { outcome: 'succeeded'; job: Job; decoder?: string }
  | { outcome: 'failed'; job: Job }
  | { outcome: 'retry'; jobId: string; error: unknown; delaySec: number }
  | { outcome: 'skipped'; jobId?: string; reason: string }
  | { outcome: 'released'; jobId: string };

/** What a task's run left behind, for the success ending. */
interface WrittenResults {
  resultKeys: string[];
  executionProvider: string;
  decoder?: string;
}

/** One job's run: what the lifecycle's steps share. */
interface JobRun {
  job: Job;
  receiptHandle: string;
  claimedAt: number;
  timings: JobTimings;
  log: Logger;
}

export class JobRunner {
  readonly #deps: RunnerDeps;
  readonly #deleter: MessageDeleter;

  constructor(deps: RunnerDeps) {
    this.#deps = deps;
    this.#deleter = createMessageDeleter(deps.sqs, deps.queueUrl);
  }

  /**
   * Processes one message. `release` aborts on shutdown: the job's lease and the message's
   * visibility are given up so another worker takes the job at once.
   */
  async run(message: Message, release: AbortSignal): Promise<RunOutcome> {
    const { config, log: workerLog } = this.#deps;
    const receiptHandle = message.ReceiptHandle ?? '';
    const parsed = parseJobMessage(message.Body);
    if (!parsed) {
      workerLog.error('not a job message; deleting', {
        messageId: message.MessageId,
        body: message.Body?.slice(0, 200),
      });
      await this.#delete(receiptHandle, workerLog);
      return { outcome: 'skipped', reason: 'malformed message' };
    }
    const log = workerLog.child({ jobId: parsed.jobId, key: parsed.key, messageId: message.MessageId });
    const claimedAt = Date.now();

    let job: Job;
    try {
      job = await this.#claim(parsed.jobId, log);
    } catch (error) {
      return this.#notClaimed(error, parsed, receiptHandle, log);
    }
    log.info('job claimed', { attempt: job.attempts });
    const run: JobRun = { job, receiptHandle, claimedAt, timings: { queue: queueWait(job, claimedAt) }, log };
    if (queueExpired(job, claimedAt, config.queueTtlSec)) {
      log.warn('job expired in the queue');
      return this.#endFailed(
        run,
        new JobRejectedError(
          JobErrorCode.Expired,
          `The job waited in the queue for over ${config.queueTtlSec} s without running, so it was given up; upload it again to retry.`,
        ),
      );
    }
    const task = this.#deps.tasks.get(job.task);
    const deadlineSec = deadlineSecFor(job, task?.timeoutSec, config);
    const deadline = startDeadline(deadlineSec);
    const heartbeat = startHeartbeat(
      {
        sqs: this.#deps.sqs,
        jobs: this.#deps.jobs,
        queueUrl: this.#deps.queueUrl,
        workerId: config.workerId,
        periodMs: config.heartbeatMs,
        visibilityTimeoutSec: config.visibilityTimeoutSec,
        onError: (error) => log.warn('heartbeat failed; will retry', { error }),
      },
      job.jobId,
      receiptHandle,
    );
    const progress = createProgressReporter({
      jobs: this.#deps.jobs,
      jobId: job.jobId,
      workerId: config.workerId,
      log,
      resumeFrom: job.progress,
      ...(task?.oneModelCall ? {} : { quietMs: 0 }),
    });
    const stopWatching = async () => {
      heartbeat.stop();
      deadline.clear();
      await progress.stop();
      run.timings.total = Date.now() - claimedAt;
    };
    try {
      if (!task) throw this.#unknownTask(job.task);
      const stopped = AbortSignal.any([heartbeat.signal, release, deadline.signal]);
      const written = await this.#runTask(task, run, stopped, progress);
      await stopWatching();
      return await this.#endSucceeded(run, written);
    } catch (error) {
      await stopWatching();
      // Whatever a stage threw once the deadline passed (e.g. a download retry given up), the
      // job ends for its deadline.
      const cause = deadline.signal.aborted && !release.aborted ? deadline.signal.reason : error;
      if (cause !== error || (error instanceof JobRejectedError && error.code === JobErrorCode.TimedOut)) {
        log.warn('job past its deadline; failing it', { deadlineSec });
      }
      return this.#handleFailure(cause, run, message, release);
    }
  }

  /**
   * Claims the job. A lease that runs out within moments is waited out and the claim tried again:
   * that is a worker that died just before its lease ended, whose message came back first (the
   * visibility runs from the receive, the lease from the claim). Hiding the message instead would
   * cost a receive toward the dead-letter queue's count for each such crash.
   */
  async #claim(jobId: string, log: Logger): Promise<Job> {
    const { config, jobs } = this.#deps;
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

  #unknownTask(task: string): JobRejectedError {
    return new JobRejectedError(
      JobErrorCode.UnknownTask,
      `Unknown task "${task}". This worker runs: ${[...this.#deps.tasks.keys()].join(', ')}.`,
    );
  }

  /**
   * Download, the task's run, results written: the `downloading` and `writing` stages are
   * reported here, the task reports those between. The input and, once the results exist, the
   * checkpoint are deleted.
   */
  async #runTask(
    task: JobTaskDefinition,
    { job, timings, log }: JobRun,
    stopped: AbortSignal,
    progress: ProgressReporter,
  ): Promise<WrittenResults> {
    const { s3, pool, config } = this.#deps;
    progress.report('downloading', 0, job.size ?? 0);
    const input = await timed(timings, 'download', () =>
      this.#aws(
        'download',
        log,
        () =>
          downloadInput(s3, job, {
            maxBytes: task.maxInputBytes,
            // What a model task may take whole stays in memory; only a larger input goes to disk.
            inMemoryMaxBytes: config.maxInputBytes,
            signal: stopped,
            onBytes: (done, total) => progress.report('downloading', done, total),
          }),
        stopped,
      ),
    );
    try {
      stopped.throwIfAborted();
      const checkpoints = task.resumable
        ? checkpointStore(s3, job.bucket, job.jobId, job.attempts)
        : undefined;
      const resumeFrom = job.attempts > 1 ? await checkpoints?.load() : undefined;
      const executionProvider = pool.executionProvider ?? 'unknown';
      const context = createJobContext({
        job,
        signal: stopped,
        pool,
        stopCallsWithJob: task.oneModelCall === true,
        executionProvider,
        inferenceThreads: config.inferenceThreads,
        progress,
        checkpoints,
        resumeFrom,
        checkpointSec: config.checkpointSec,
        log,
      });
      const started = performance.now();
      const output = await task.run(
        {
          key: job.key,
          size: input.size,
          ...(input.contentType ? { contentType: input.contentType } : {}),
          bytes: input.bytes,
          path: input.path,
        },
        context.ctx,
      );
      Object.assign(timings, context.timings(performance.now() - started));
      stopped.throwIfAborted();
      progress.report('writing', 0, 1);
      const resultKeys = await timed(timings, 'upload', () =>
        this.#aws('upload', log, () => this.#writeResults(job, output, executionProvider), stopped),
      );
      await removeQuietly(checkpoints, log);
      return { resultKeys, executionProvider, ...(output.decoder ? { decoder: output.decoder } : {}) };
    } finally {
      await input.remove();
    }
  }

  /** results/<jobId>.json and the task's further files; resolves with their keys, the JSON first. */
  async #writeResults(job: Job, output: JobTaskOutput, executionProvider: string): Promise<string[]> {
    const files = [
      {
        key: resultKey(job.jobId),
        contentType: 'application/json',
        body: JSON.stringify({
          jobId: job.jobId,
          task: job.task,
          input: { bucket: job.bucket, key: job.key },
          executionProvider,
          result: output.result,
        }),
      },
      ...(output.files ?? []).map((file) => ({
        key: resultFileKey(job.jobId, file.suffix),
        contentType: file.contentType,
        body: file.body,
      })),
    ];
    await Promise.all(
      files.map((file) =>
        this.#deps.s3.send(
          new PutObjectCommand({
            Bucket: job.bucket,
            Key: file.key,
            Body: file.body,
            ContentType: file.contentType,
          }),
        ),
      ),
    );
    return files.map((file) => file.key);
  }

  /** The success ending: SUCCEEDED (conditional on still holding the job), webhook, delete. */
  async #endSucceeded(run: JobRun, written: WrittenResults): Promise<RunOutcome> {
    const { jobs, config } = this.#deps;
    const done = await this.#aws('succeed', run.log, () =>
      jobs.succeed(run.job.jobId, config.workerId, {
        resultKey: written.resultKeys[0] as string,
        resultKeys: written.resultKeys,
        timings: run.timings,
        executionProvider: written.executionProvider,
        progress: progressAt('done', 1, 1),
      }),
    );
    await this.#finish(done, run.receiptHandle, run.log);
    run.log.info('job succeeded', {
      timings: run.timings,
      executionProvider: written.executionProvider,
      ...(written.decoder ? { decoder: written.decoder } : {}),
    });
    return { outcome: 'succeeded', job: done, ...(written.decoder ? { decoder: written.decoder } : {}) };
  }

  /**
   * The failure ending: FAILED with the error's code and message, the webhook queued, and the
   * message deleted, or, on its last allowed delivery, left to reappear once more so SQS moves it
   * to the dead-letter queue.
   */
  async #endFailed(
    run: JobRun,
    error: InvalidInputError | JobRejectedError,
    message: 'delete' | 'to-dead-letters' = 'delete',
  ): Promise<RunOutcome> {
    const { jobs, config } = this.#deps;
    const failed = await this.#aws('fail', run.log, () =>
      jobs.fail(
        run.job.jobId,
        { error: error.message, errorCode: error.code, timings: run.timings },
        config.workerId,
      ),
    );
    if (message === 'delete') await this.#finish(failed, run.receiptHandle, run.log);
    else {
      await this.notifyWebhook(failed, run.log);
      await this.#changeVisibility(run.receiptHandle, 0, run.log);
    }
    return { outcome: 'failed', job: failed };
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
    run: JobRun,
    message: Message,
    release: AbortSignal,
  ): Promise<RunOutcome> {
    const { job, receiptHandle, log } = run;
    const { jobs, config } = this.#deps;
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
      log.warn('job failed: bad input', { errorCode: error.code, error: error.message });
      return this.#endFailed(run, error);
    }
    const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
    if (receiveCount >= config.maxReceiveCount) {
      log.error('job failed: retries exhausted; message goes to the DLQ', { error, receiveCount });
      const reason = `Processing failed ${receiveCount} times; last error: ${(error as Error).message}`;
      return this.#endFailed(
        run,
        new JobRejectedError(JobErrorCode.RetriesExhausted, reason, { cause: error }),
        'to-dead-letters',
      );
    }
    const delaySec = backoffSec(receiveCount);
    await this.#aws('release lease', log, () => jobs.releaseLease(job.jobId, config.workerId)).catch(
      () => {},
    );
    await this.#changeVisibility(receiptHandle, delaySec, log);
    log.warn('transient failure; retrying later', { error, receiveCount, delaySec });
    return { outcome: 'retry', jobId: job.jobId, error, delaySec };
  }

  /** After a final state: the webhook is queued before the message goes, so neither is lost. */
  async #finish(job: Job, receiptHandle: string, log: Logger): Promise<void> {
    await this.notifyWebhook(job, log);
    await this.#delete(receiptHandle, log);
  }

  /** Queues the job's webhook, if it has one and webhooks are wired. */
  async notifyWebhook(job: Job, log: Logger = this.#deps.log): Promise<void> {
    const queueUrl = this.#deps.webhookQueueUrl;
    if (job.webhookUrl && queueUrl) {
      await this.#aws('webhook enqueue', log, () => enqueueWebhook({ sqs: this.#deps.sqs, queueUrl }, job));
    }
  }

  async #release(jobId: string, receiptHandle: string, log: Logger): Promise<void> {
    await Promise.allSettled([
      this.#aws('release lease', log, () => this.#deps.jobs.releaseLease(jobId, this.#deps.config.workerId)),
      this.#changeVisibility(receiptHandle, 0, log),
    ]);
  }

  #delete(receiptHandle: string, log: Logger): Promise<unknown> {
    return this.#aws('delete message', log, () => this.#deleter.delete(receiptHandle));
  }

  #changeVisibility(receiptHandle: string, seconds: number, log: Logger): Promise<unknown> {
    return this.#aws('change visibility', log, () =>
      this.#deps.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.#deps.queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: seconds,
        }),
      ),
    );
  }

  /** One AWS call, retried through an outage (see retry.ts); `signal` gives up early. */
  #aws<T>(what: string, log: Logger, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(fn, {
      maxElapsedMs: this.#deps.config.awsRetryMs,
      ...(signal ? { signal } : {}),
      onRetry: (error, attempt, delayMs) => log.warn(`${what} failed; retrying`, { error, attempt, delayMs }),
    });
  }
}

/** Milliseconds until a RUNNING job's lease ends (0 if it has); undefined for other states. */
function leaseEndsInMs(job: Job): number | undefined {
  return job.status === JobStatus.Running ? Math.max(0, (job.leaseExpiresAt ?? 0) - Date.now()) : undefined;
}

/** Whole seconds until the job's lease ends (at least 1, at most SQS's 12 h), plus 1 for clock skew. */
function leaseRemainingSec(job: Job, nowMs: number): number {
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
  const started = performance.now();
  try {
    return await fn();
  } finally {
    timings[stage] = roundMs(performance.now() - started);
  }
}

/** The results exist; a checkpoint left behind is only clutter that the lifecycle rules remove. */
async function removeQuietly(checkpoints: CheckpointStore | undefined, log: Logger): Promise<void> {
  await checkpoints
    ?.remove()
    .catch((error: unknown) => log.warn('could not delete the checkpoint', { error }));
}
