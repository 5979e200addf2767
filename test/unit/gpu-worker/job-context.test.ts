/**
 * A job task's timings with a stubbed pool: frames inferred on several threads at once must not
 * count their thread times twice, so every stage fits in the job's total.
 */
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { type Job, JobStatus } from '../../../core/job.ts';
import type { InferenceResult } from '../../../gpu-worker/inference/pool.ts';
import { createJobContext } from '../../../gpu-worker/job-context.ts';
import { pinoLog } from '../../../gpu-worker/logger.ts';
import type { JobTaskDefinition } from '../../../gpu-worker/tasks/task.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('counts inference as wall time while any frame is in flight, never more than the run', async () => {
  // Four frames at once on threads of their own, each reporting 1 s of thread time (4 s summed)
  // while the four together take about 20 ms of wall time.
  const pool = {
    async run(): Promise<InferenceResult> {
      await sleep(20);
      return {
        result: 'text',
        timings: { preprocess: 0, inference: 1000, waitForThread: 0 },
        executionProvider: 'cpu',
        batchSize: 1,
      };
    },
  };
  const task: JobTaskDefinition = {
    name: 'frames',
    maxInputBytes: 1024,
    async run(_input, ctx) {
      await sleep(50); // decoding
      await Promise.all([1, 2, 3, 4].map(() => ctx.infer('ocr', new Uint8Array())));
      return { result: {} };
    },
  };
  const context = createJobContext({
    job: { jobId: 'j1', status: JobStatus.Running, bucket: 'b', key: 'uploads/v.mp4', attempts: 1 } as Job,
    signal: new AbortController().signal,
    pool,
    stopCallsWithJob: false,
    executionProvider: 'cpu',
    inferenceThreads: 4,
    progress: { report() {}, stop: async () => {} },
    checkpointSec: 30,
    log: pinoLog(pino({ level: 'silent' })),
  });
  const input = { size: 6, key: 'uploads/v.mp4', bytes: async () => new Uint8Array(6), path: async () => '' };
  const started = performance.now();
  await task.run(input, context.ctx);
  const timings = context.timings(performance.now() - started);
  const wall = performance.now() - started;
  expect(timings.inference).toBeGreaterThanOrEqual(15);
  expect(timings.inference).toBeLessThan(1000);
  expect(timings.preprocess).toBeGreaterThanOrEqual(45);
  expect((timings.preprocess ?? 0) + (timings.inference ?? 0)).toBeLessThanOrEqual(wall + 1);
});
