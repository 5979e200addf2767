/**
 * @module gpu-worker/job-task-runner
 * Runs one claimed job through a job task (tasks/task.ts `JobTaskDefinition`): streams the input
 * to a temporary file, hands the task the pool, progress and checkpoints, writes every result
 * object, and deletes the temporary file and the checkpoint. The caller (job-runner.ts) owns the
 * claim, heartbeat and final status, exactly as for a model task.
 */
import { performance } from 'node:perf_hooks';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Job, JobTimings } from '../core/job.ts';
import { resultFileKey, resultKey } from '../core/keys.ts';
import { type CheckpointStore, checkpointStore } from './checkpoints.ts';
import type { InferencePool } from './inference/pool.ts';
import { downloadToFile } from './input-file.ts';
import type { Logger } from './logger.ts';
import type { ProgressReporter } from './progress-reporter.ts';
import type { JobContext, JobTaskDefinition } from './tasks/task.ts';

export interface JobTaskRunDeps {
  s3: S3Client;
  pool: Pick<InferencePool, 'run'> & Partial<Pick<InferencePool, 'executionProvider'>>;
  inferenceThreads: number;
  /** Seconds of work between checkpoints of a resumable task. */
  checkpointSec: number;
  log: Logger;
}

export interface JobTaskRun {
  resultKey: string;
  resultKeys: string[];
  executionProvider: string;
  decoder?: string;
}

export async function runJobTask(
  deps: JobTaskRunDeps,
  task: JobTaskDefinition,
  job: Job,
  signal: AbortSignal,
  progress: ProgressReporter,
  timings: JobTimings,
): Promise<JobTaskRun> {
  const executionProvider = deps.pool.executionProvider ?? 'unknown';
  let t0 = performance.now();
  progress.report('downloading', 0, job.size ?? 0);
  const input = await downloadToFile(deps.s3, job, {
    maxBytes: task.maxInputBytes,
    signal,
    onBytes: (done, total) => progress.report('downloading', done, total),
  });
  timings.download = ms(t0);
  try {
    const checkpoints = task.resumable
      ? checkpointStore(deps.s3, job.bucket, job.jobId, job.attempts)
      : undefined;
    const resumeFrom = job.attempts > 1 ? await checkpoints?.load() : undefined;
    let lastCheckpoint = performance.now();
    // Frames run on every inference thread at once, so their summed thread times can exceed the
    // wall time (a negative preprocess figure once did). Inference here is the wall time during
    // which at least one model run was in flight; the rest of the task's run is preprocess.
    let inference = 0;
    let inFlight = 0;
    let inferringSince = 0;
    t0 = performance.now();
    const ctx: JobContext = {
      jobId: job.jobId,
      signal,
      executionProvider,
      inferenceThreads: deps.inferenceThreads,
      log: deps.log,
      async infer(taskName, modelInput) {
        if (inFlight++ === 0) inferringSince = performance.now();
        try {
          return (await deps.pool.run(taskName, modelInput)).result;
        } finally {
          if (--inFlight === 0) inference += performance.now() - inferringSince;
        }
      },
      progress: (stage, done, total) => progress.report(stage, done, total),
      ...(resumeFrom !== undefined ? { resumeFrom } : {}),
      checkpointDue: () =>
        checkpoints !== undefined && performance.now() - lastCheckpoint >= deps.checkpointSec * 1000,
      async checkpoint(state) {
        if (!checkpoints) return;
        signal.throwIfAborted();
        await checkpoints.save(state);
        lastCheckpoint = performance.now();
        deps.log.debug('checkpoint saved');
      },
    };
    const output = await task.run(
      {
        path: input.path,
        size: input.size,
        key: job.key,
        ...(input.contentType ? { contentType: input.contentType } : {}),
      },
      ctx,
    );
    signal.throwIfAborted();
    timings.preprocess = ms(t0) - Math.round(inference);
    timings.inference = Math.round(inference);

    t0 = performance.now();
    progress.report('writing', 0, 1);
    const key = resultKey(job.jobId);
    const files = output.files ?? [];
    await Promise.all([
      put(
        deps.s3,
        job.bucket,
        key,
        'application/json',
        JSON.stringify({
          jobId: job.jobId,
          task: job.task,
          input: { bucket: job.bucket, key: job.key },
          executionProvider,
          result: output.result,
        }),
      ),
      ...files.map((f) =>
        put(deps.s3, job.bucket, resultFileKey(job.jobId, f.suffix), f.contentType, f.body),
      ),
    ]);
    await removeQuietly(checkpoints, deps.log);
    timings.upload = ms(t0);
    return {
      resultKey: key,
      resultKeys: [key, ...files.map((f) => resultFileKey(job.jobId, f.suffix))],
      executionProvider,
      ...(output.decoder ? { decoder: output.decoder } : {}),
    };
  } finally {
    await input.remove();
  }
}

function put(s3: S3Client, bucket: string, key: string, contentType: string, body: string): Promise<unknown> {
  return s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
}

/** The results exist; a checkpoint left behind is only clutter that the lifecycle rules remove. */
async function removeQuietly(checkpoints: CheckpointStore | undefined, log: Logger): Promise<void> {
  await checkpoints
    ?.remove()
    .catch((error: unknown) => log.warn('could not delete the checkpoint', { err: error }));
}

const ms = (since: number) => Math.round(performance.now() - since);
