/**
 * @module gpu-worker/job-context
 * The `ctx` a task's `run` gets (tasks/task.ts JobContext): model calls into the inference pool,
 * progress, checkpoints; and the split of the run's time into preprocess and inference.
 *
 * Timing: each model call reports its thread's preprocess and inference time. Calls run on several
 * threads at once (a video's frames), so their thread times can sum to more than the wall time
 * they covered (a negative preprocess figure once did). The thread times are therefore scaled
 * down to the wall time during which at least one call was in flight; the rest of the run is
 * preprocess (decoding, say). A single call (an image) keeps its thread's figures as they are.
 */
import { performance } from 'node:perf_hooks';
import type { Job, JobTimings } from '../core/job.ts';
import type { CheckpointStore } from './checkpoints.ts';
import type { InferencePool } from './inference/pool.ts';
import type { Logger } from './logger.ts';
import type { ProgressReporter } from './progress-reporter.ts';
import type { JobContext } from './tasks/task.ts';

export interface JobContextOptions {
  job: Job;
  /** Aborts on cancel, takeover, deadline or shutdown; `ctx.infer` rejects at once. */
  signal: AbortSignal;
  pool: Pick<InferencePool, 'run'>;
  /** A call already in a thread is stopped with it too (tasks/task.ts `oneModelCall`). */
  stopCallsWithJob: boolean;
  executionProvider: string;
  inferenceThreads: number;
  progress: ProgressReporter;
  /** The job's checkpoint, for a resumable task; `resumeFrom` is what it held at the start. */
  checkpoints?: CheckpointStore | undefined;
  resumeFrom?: unknown;
  /** Seconds of work between checkpoints. */
  checkpointSec: number;
  log: Logger;
}

export interface TimedJobContext {
  ctx: JobContext;
  /** The preprocess and inference split of a run that took `runMs`. */
  timings(runMs: number): Pick<JobTimings, 'preprocess' | 'inference'>;
}

export function createJobContext(options: JobContextOptions): TimedJobContext {
  const { signal, checkpoints, log } = options;
  let inFlight = 0;
  let inFlightSince = 0;
  let inFlightMs = 0;
  let threadPreprocessMs = 0;
  let threadInferenceMs = 0;
  let lastCheckpoint = performance.now();

  const ctx: JobContext = {
    jobId: options.job.jobId,
    signal,
    executionProvider: options.executionProvider,
    inferenceThreads: options.inferenceThreads,
    log,
    async infer(task, input) {
      if (inFlight++ === 0) inFlightSince = performance.now();
      try {
        // Raced with the signal, so a stopped job need not wait for a thread to notice.
        const call = options.pool.run(task, input, options.stopCallsWithJob ? signal : undefined);
        const out = await untilAborted(call, signal);
        threadPreprocessMs += out.timings.preprocess;
        threadInferenceMs += out.timings.inference;
        return out.result;
      } finally {
        if (--inFlight === 0) inFlightMs += performance.now() - inFlightSince;
      }
    },
    progress: (stage, done, total) => options.progress.report(stage, done, total),
    ...(options.resumeFrom !== undefined ? { resumeFrom: options.resumeFrom } : {}),
    checkpointDue: () =>
      checkpoints !== undefined && performance.now() - lastCheckpoint >= options.checkpointSec * 1000,
    async checkpoint(state) {
      if (!checkpoints) return;
      signal.throwIfAborted();
      await checkpoints.save(state);
      lastCheckpoint = performance.now();
      log.debug('checkpoint saved');
    },
  };

  return {
    ctx,
    timings(runMs) {
      const threadMs = threadPreprocessMs + threadInferenceMs;
      const scale = threadMs > inFlightMs ? inFlightMs / threadMs : 1;
      return {
        preprocess: roundMs(runMs - inFlightMs + threadPreprocessMs * scale),
        inference: roundMs(threadInferenceMs * scale),
      };
    },
  };
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Milliseconds to a tenth. */
export const roundMs = (ms: number) => Math.round(ms * 10) / 10;
