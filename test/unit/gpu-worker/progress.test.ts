/**
 * Job progress: the overall percentage by stage, the reporter's throttling (at once on a stage
 * change, otherwise at most every interval, the latest value winning), its tolerance of refused
 * writes, and the CLI's ETA.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resultText } from '../../../cli/format.ts';
import { EtaEstimator, progressLine } from '../../../cli/progress-bar.ts';
import { JobStateConflictError } from '../../../core/errors.ts';
import { type Job, JobStatus } from '../../../core/job.ts';
import { type JobProgress, progressAt } from '../../../core/progress.ts';
import { createProgressReporter } from '../../../gpu-worker/progress-reporter.ts';

describe('progressAt', () => {
  it('rises through the stages and reaches 100 only when done', () => {
    const steps = [
      progressAt('downloading', 0, 10),
      progressAt('downloading', 10, 10),
      progressAt('decoding', 0, 1),
      progressAt('inferring', 45, 90),
      progressAt('inferring', 90, 90),
      progressAt('writing', 0, 1),
      progressAt('done', 1, 1),
    ].map((p) => p.percent);
    expect(steps).toEqual([0, 5, 5, 52, 97, 97, 100]);
  });

  it('treats an unknown total as no progress within the stage', () => {
    expect(progressAt('inferring', 5, 0)).toEqual({ stage: 'inferring', done: 5, total: 0, percent: 7 });
  });
});

describe('createProgressReporter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const setup = (
    reportProgress: (jobId: string, workerId: string, p: JobProgress) => Promise<Job>,
    quietMs = 0,
    resumeFrom?: JobProgress,
  ) => {
    const writes: JobProgress[] = [];
    const jobs = {
      reportProgress: vi.fn(async (jobId: string, workerId: string, p: JobProgress) => {
        writes.push(p);
        return reportProgress(jobId, workerId, p);
      }),
    };
    const log = pino({ level: 'silent' });
    const warn = vi.spyOn(log, 'warn');
    const reporter = createProgressReporter({
      jobs,
      jobId: 'j1',
      workerId: 'w1',
      log,
      intervalMs: 2000,
      quietMs,
      resumeFrom,
    });
    return { reporter, writes, jobs, warn };
  };
  const ok = async () => ({}) as Job;

  it('writes a stage change at once and other updates at most every interval, the latest winning', async () => {
    const { reporter, writes } = setup(ok);
    reporter.report('downloading', 0, 100);
    reporter.report('downloading', 50, 100);
    reporter.report('downloading', 80, 100);
    await vi.advanceTimersByTimeAsync(0);
    expect(writes.map((w) => w.done)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(writes.map((w) => w.done)).toEqual([0, 80]);
    reporter.report('inferring', 1, 90);
    await vi.advanceTimersByTimeAsync(0);
    expect(writes.at(-1)).toMatchObject({ stage: 'inferring', done: 1 });
    await reporter.stop();
  });

  it('writes nothing during the quiet start, then the latest value, then stage changes at once', async () => {
    const { reporter, writes } = setup(ok, 2000);
    reporter.report('downloading', 0, 1);
    reporter.report('inferring', 0, 1);
    await vi.advanceTimersByTimeAsync(1999);
    expect(writes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes.map((w) => w.stage)).toEqual(['inferring']);
    reporter.report('writing', 0, 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(writes.map((w) => w.stage)).toEqual(['inferring', 'writing']);
    await reporter.stop();
  });

  it('writes nothing for a run that ends within the quiet start', async () => {
    const { reporter, writes } = setup(ok, 2000);
    reporter.report('downloading', 0, 1);
    reporter.report('inferring', 0, 1);
    reporter.report('writing', 0, 1);
    await vi.advanceTimersByTimeAsync(500);
    await reporter.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(writes).toHaveLength(0);
  });

  it('never lowers the percentage within one run', async () => {
    const { reporter, writes } = setup(ok);
    reporter.report('inferring', 60, 90);
    reporter.report('decoding', 0, 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(writes.map((w) => w.percent)).toEqual([67, 67]);
    await reporter.stop();
  });

  it('never lowers the percentage across a takeover: a new run starts from the record', async () => {
    // An earlier worker was killed at 55% of a long video; this one downloads it again, decodes,
    // and resumes from a checkpoint taken a little before the kill (47%).
    const { reporter, writes } = setup(ok, 0, progressAt('inferring', 48, 90));
    reporter.report('downloading', 0, 100);
    reporter.report('decoding', 0, 1);
    reporter.report('inferring', 40, 90);
    reporter.report('inferring', 60, 90);
    await vi.advanceTimersByTimeAsync(2000);
    expect(writes.map((w) => [w.stage, w.percent])).toEqual([
      ['downloading', 55],
      ['decoding', 55],
      ['inferring', 55],
      ['inferring', 67],
    ]);
    await reporter.stop();
  });

  it('drops a write the store refuses (job canceled or taken over) and warns on other failures', async () => {
    const conflict = new JobStateConflictError('j1', [JobStatus.Running], {
      status: JobStatus.Canceled,
    } as Job);
    const failures = [conflict, new Error('throttled')];
    const { reporter, warn } = setup(async () => {
      throw failures.shift();
    });
    reporter.report('downloading', 0, 1);
    reporter.report('inferring', 0, 1);
    await vi.advanceTimersByTimeAsync(0);
    await reporter.stop();
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('writes nothing after stop', async () => {
    const { reporter, writes } = setup(ok);
    reporter.report('inferring', 1, 10);
    reporter.report('inferring', 2, 10);
    await reporter.stop();
    await vi.advanceTimersByTimeAsync(5000);
    reporter.report('writing', 0, 1);
    expect(writes).toHaveLength(1);
  });
});

describe('CLI progress', () => {
  it('estimates the time left from the rate the percentage rises', () => {
    let now = 0;
    const eta = new EtaEstimator(() => now);
    expect(eta.update(10)).toBeUndefined();
    now = 10_000;
    expect(eta.update(30)).toBeCloseTo(35);
  });

  it('draws a bar with the stage, its units and the ETA', () => {
    expect(progressLine(progressAt('inferring', 45, 90), 35)).toBe(
      '[##########..........]  52%  inferring 45/90  ETA 35 s',
    );
  });

  it('prints a video result as its timeline', () => {
    const result = {
      result: {
        video: {},
        segments: [
          { start: 0, end: 10, text: 'Slide 1\nfirst', lines: [] },
          { start: 70, end: 75.5, text: 'Slide 8', lines: [] },
        ],
      },
    };
    expect(resultText(result)).toBe('[0:00 - 0:10] Slide 1 / first\n[1:10 - 1:15.5] Slide 8');
  });
});
