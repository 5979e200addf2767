/**
 * @module gpu-worker/progress-reporter
 * Writes a running job's progress to its record: at once on every stage change, otherwise at
 * most once per interval (the latest value wins; a pending write is sent when the interval ends).
 * Nothing is written during a run's first `quietMs` (the latest value is written when it ends):
 * a job that finishes sooner needs no progress writes, since its final write carries 100%, and
 * each write is a DynamoDB request the job pays for.
 * Each write is conditional on this worker still holding the job; a refused or failed write is
 * dropped (the heartbeat notices a cancel or takeover and stops the job).
 * The percentage never falls, within one run or across a takeover: a run starts from the
 * percentage on the record (`resumeFrom`), so a video taken over at 50% reads 50% through the
 * new worker's download and decoding until its own progress passes it.
 */
import { JobStateConflictError } from '../core/errors.ts';
import type { JobStore } from '../core/job-store.ts';
import { type JobProgress, type ProgressStage, progressAt } from '../core/progress.ts';
import type { Logger } from './logger.ts';

/** Longest gap between two progress writes of one job, in ms (stage changes excepted). */
export const PROGRESS_INTERVAL_MS = 2000;

export interface ProgressReporter {
  report(stage: ProgressStage, done: number, total: number): void;
  /** Stops pending writes and waits for one in flight. */
  stop(): Promise<void>;
}

export interface ProgressReporterOptions {
  jobs: Pick<JobStore, 'reportProgress'>;
  jobId: string;
  workerId: string;
  log: Logger;
  intervalMs?: number;
  /** No write before this many ms after the reporter starts. @default intervalMs */
  quietMs?: number;
  /** The progress on the record when this run began (an earlier worker's); never reported lower. */
  resumeFrom?: JobProgress | undefined;
}

export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  const intervalMs = options.intervalMs ?? PROGRESS_INTERVAL_MS;
  const quietUntil = Date.now() + (options.quietMs ?? intervalMs);
  let latest: JobProgress | undefined;
  let floorPercent = options.resumeFrom?.percent ?? 0;
  let written: JobProgress | undefined;
  let lastWriteAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let stopped = false;

  const write = () => {
    clearTimeout(timer);
    timer = undefined;
    const progress = latest;
    if (!progress || stopped || progress === written) return;
    written = progress;
    lastWriteAt = Date.now();
    inFlight = inFlight.then(() =>
      options.jobs.reportProgress(options.jobId, options.workerId, progress).then(
        () => {},
        (error: unknown) => {
          if (!(error instanceof JobStateConflictError))
            options.log.warn('progress write failed; the next one will retry', { error });
        },
      ),
    );
  };

  return {
    report(stage, done, total) {
      if (stopped) return;
      const next = progressAt(stage, done, total);
      // Percent only rises, whatever order the stages report in and whoever ran the job before.
      next.percent = Math.max(next.percent, floorPercent);
      floorPercent = next.percent;
      const stageChanged = latest?.stage !== stage;
      latest = next;
      const now = Date.now();
      if (now < quietUntil) timer ??= setTimeout(write, quietUntil - now);
      else if (stageChanged || lastWriteAt + intervalMs <= now) write();
      else timer ??= setTimeout(write, lastWriteAt + intervalMs - now);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
