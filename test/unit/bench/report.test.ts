import { describe, expect, it } from 'vitest';
import { cpuShares } from '../../../bench/cpu.ts';
import { type BenchContext, type BenchRows, buildReport, renderMarkdown } from '../../../bench/report.ts';
import type { FleetResult } from '../../../bench/rows/fleet.ts';
import type { ScaleOutResult } from '../../../bench/rows/scale-out.ts';
import type { VideoResult } from '../../../bench/rows/video.ts';

const context = {
  startedAt: '2026-11-28T00:00:00.000Z',
  durationSec: 1,
  command: 'npm run bench',
  mode: 'quick',
  machine: { cpu: 'test', cores: 2, memoryGiB: 1, os: 'test', loadAvgStart: 0, loadAvgEnd: 0 },
  versions: {},
  git: { commit: '0'.repeat(40), dirty: false },
  config: {
    images: 1,
    reps: 1,
    overheadSamples: 0,
    burstUploads: 0,
    burstConcurrency: 1,
    cpuHog: 0,
    tesseractParallel: 1,
    env: {},
    emulator: { endpoint: 'none', startedByBench: false },
  },
} satisfies BenchContext;

const target = (rows: BenchRows, prefix: string) =>
  buildReport(context, rows, {}, []).targets.find((t) => t.name.startsWith(prefix));

const fleet = (duplicates: number): FleetResult => ({
  taskMs: 1000,
  jobsPerWorker: 10,
  runs: [
    {
      workers: 20,
      jobs: 200,
      succeeded: 200,
      duplicates,
      seconds: 11,
      jobsPerSec: 17.7,
      idealJobsPerSec: 20,
      perWorkerJobsPerSec: 0.887,
      bookkeepingSec: 0.127,
      queueWaitSec: { p50: 5, p95: 10 },
      requestsPerSec: { DynamoDB: 35, SQS: 37, S3: 35 },
      requestsPerJob: {},
    },
  ],
  derived: {
    fromWorkers: 20,
    perWorkerJobsPerSec: 0.887,
    acceptableWaitSec: 300,
    targetBacklogPerWorker: 266,
    fromTaskTimeOnly: 300,
  },
});

describe('bench report', () => {
  it('judges the fleet and scale-out rows by every job running once', () => {
    expect(target({ fleet: fleet(0) }, 'Fleet')?.met).toBe(true);
    expect(target({ fleet: fleet(1) }, 'Fleet')).toMatchObject({
      met: false,
      measured: '200/200 succeeded, 1 twice',
    });
    const scaleOut = (exactlyOnce: boolean): ScaleOutResult => ({
      totalThreads: 2,
      cores: 2,
      images: 1,
      reps: 1,
      configs: [1, 2].map((processes) => ({
        processes,
        threadsPerProcess: 2 / processes,
        oversubscribed: false,
        runs: [1],
        imagesPerSec: 1,
        imagesPerSecPerCore: 0.5,
        jobsPerProcess: [1],
        exactlyOnce: processes === 1 || exactlyOnce,
        duplicates: processes === 1 || exactlyOnce ? 0 : 1,
        attemptsAbove1: 0,
        notSucceeded: 0,
        peakRssMiBTotal: 500,
      })),
    });
    expect(target({ scaleOut: scaleOut(true) }, 'Scale-out')?.met).toBe(true);
    expect(target({ scaleOut: scaleOut(false) }, 'Scale-out')).toMatchObject({
      met: false,
      measured: 'not with 2 process(es)',
    });
  });

  it('prints the derived target backlog per worker with the fleet table', () => {
    const markdown = renderMarkdown(buildReport(context, { fleet: fleet(0) }, {}, []));
    expect(markdown).toContain('## Fleet by simulation');
    expect(markdown).toContain('= **266**');
  });

  it('counts a long video that peaks lower than the short one as not growing', () => {
    const video = (longMiB: number): VideoResult =>
      ({
        sampleFps: 1,
        runs: [
          { durationSec: 90, workerPeakMiB: 400, realTimeFactor: 60 },
          { durationSec: 600, workerPeakMiB: longMiB, realTimeFactor: 70 },
        ],
      }) as VideoResult;
    expect(target({ video: video(350) }, 'Video worker peak RSS')?.met).toBe(true);
    expect(target({ video: video(450) }, 'Video worker peak RSS')?.met).toBe(false);
  });
});

describe('GPU goal', () => {
  const run = (provider: string, maxBatchSize: number, imagesPerSec: number) => ({
    maxBatchSize,
    executionProvider: provider,
    imagesPerSec,
    latencyMs: { p50: 100, p95: 200 },
    cer: 0,
  });
  it('reports the best CUDA batch size, or says there was no GPU', () => {
    const gpu = { gpu: 'NVIDIA H200', images: 30, reps: 3, runs: [run('cuda', 1, 40), run('cuda', 8, 90)] };
    expect(target({ batching: gpu }, 'GPU run')).toMatchObject({
      met: true,
      measured: 'NVIDIA H200: best 90.00 images/s at batch 8, p95 200 ms',
    });
    const cpu = { images: 30, reps: 3, runs: [run('cpu', 1, 9)] };
    expect(target({ batching: cpu }, 'GPU run')).toMatchObject({
      met: undefined,
      measured: 'no GPU on this machine',
    });
  });
});

describe('CPU shares', () => {
  it('splits the machine between the process and everything else', () => {
    const before = { at: 0, processMs: 0, machineBusyMs: 0 };
    const after = { at: 1000, processMs: 800, machineBusyMs: 1000 };
    // 2 cores for 1 s: the process used 0.8 s of CPU, all others 0.2 s.
    expect(cpuShares(before, after, 2)).toEqual({ process: 0.4, others: 0.1 });
  });
});
