/**
 * @module bench/rows/scale-out
 * Row "scale-out": the same total inference threads as 1 process or as P processes on one queue.
 * Answers whether splitting a machine's cores over more worker processes is faster, what it costs
 * in memory, and whether every job still runs exactly once when consumers compete for messages
 * (the claim is a conditional write, so a second delivery must never run a job twice).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Job } from '../../core/job.ts';
import { buildWorkerBundle, startWorker, type WorkerProcess } from '../../test/support/worker-process.ts';
import type { BenchImage } from '../images.ts';
import { treeMemory } from '../memory.ts';
import { type BenchStack, warmIngest } from '../stack.ts';
import { median, ratePerSec } from '../stats.ts';
import { uploadAndWait } from './pipeline.ts';

export interface ScaleOutOptions {
  images: BenchImage[];
  reps: number;
  /** Worker processes per configuration. @default [1, 2] */
  processes?: number[];
  /** Inference threads shared by a configuration's processes. @default os.availableParallelism() */
  totalThreads?: number;
  /** FERRY_* settings for every worker, on top of the row's own. */
  workerEnv: Record<string, string>;
  log: (line: string) => void;
  /** A fresh stack per configuration: a stopped worker's abandoned long poll can hide a message. */
  newStack: () => Promise<BenchStack>;
}

export interface ScaleOutConfig {
  processes: number;
  threadsPerProcess: number;
  /** processes x threadsPerProcess exceeds totalThreads: not the same cores split differently. */
  oversubscribed: boolean;
  /** images/s per repetition, first PUT to the last job's finishedAt. */
  runs: number[];
  imagesPerSec: number;
  /** imagesPerSec over the machine's cores, to compare machines. */
  imagesPerSecPerCore: number;
  /** imagesPerSec over the 1-process configuration's, when there is one. */
  speedupVs1?: number;
  /** Repetition jobs each process ran (from its logs): shows whether the queue spread the load. */
  jobsPerProcess: number[];
  /** No duplicates, no job claimed twice, every job SUCCEEDED. */
  exactlyOnce: boolean;
  /** Jobs with more than one "job succeeded" line across the processes. */
  duplicates: number;
  /** Jobs whose record counts more than one claim. */
  attemptsAbove1: number;
  notSucceeded: number;
  /** Sum of the processes' peak RSS, MiB: the memory cost of more processes (each loads the models). */
  peakRssMiBTotal: number;
}

export interface ScaleOutResult {
  totalThreads: number;
  cores: number;
  images: number;
  reps: number;
  configs: ScaleOutConfig[];
}

const TIMEOUT_MS = 180_000;
const WARM_ROUNDS = 3;

export async function runScaleOut(o: ScaleOutOptions): Promise<ScaleOutResult> {
  const cores = os.availableParallelism();
  const totalThreads = o.totalThreads ?? cores;
  const configs: ScaleOutConfig[] = [];
  for (const processes of o.processes ?? [1, 2]) {
    configs.push(await runConfig(o, processes, totalThreads, cores));
  }
  const base = configs.find((c) => c.processes === 1)?.imagesPerSec;
  for (const c of configs) if (base) c.speedupVs1 = c.imagesPerSec / base;
  return { totalThreads, cores, images: o.images.length, reps: o.reps, configs };
}

async function runConfig(
  o: ScaleOutOptions,
  processes: number,
  totalThreads: number,
  cores: number,
): Promise<ScaleOutConfig> {
  const threadsPerProcess = Math.max(1, Math.floor(totalThreads / processes));
  const label = `${processes} x ${threadsPerProcess}`;
  const stack = await o.newStack();
  const workers: WorkerProcess[] = [];
  try {
    await warmIngest(stack, o.images.length);
    const bundle = buildWorkerBundle();
    for (let i = 0; i < processes; i++) {
      workers.push(
        await startWorker(
          {
            ...stack.env,
            // The production long poll (the test helper shortens it to 1 s).
            FERRY_RECEIVE_WAIT_SEC: '20',
            FERRY_INFERENCE_THREADS: String(threadsPerProcess),
            FERRY_WORKER_ID: `scale-out-${processes}x${threadsPerProcess}-${i}`,
            ...o.workerEnv,
          },
          { bundle },
        ),
      );
    }
    const nonce = randomBytes(3).toString('hex');
    // Warm-up: each inference thread's first run allocates its arena and is slow. A batch of one
    // job per thread fits in a single process's receive (and one process won it round after round
    // here), so the warm-up is a full burst, repeated while some process ran fewer than its threads.
    for (let round = 1; ; round++) {
      await uploadAndWait(stack, workers, `uploads/scale-${nonce}/warm-${round}/`, o.images, TIMEOUT_MS);
      const counts = successCounts(workers, new Set());
      o.log(`scale-out ${label}: warm-up round ${round}, jobs per process ${counts.join('/')}`);
      if (Math.min(...counts) >= threadsPerProcess) break;
      if (round === WARM_ROUNDS) {
        o.log(`scale-out ${label}: a process is still cold after ${round} warm-up rounds; measuring anyway`);
        break;
      }
    }

    const runs: number[] = [];
    const records: Job[] = [];
    for (let rep = 0; rep < o.reps; rep++) {
      const t0 = Date.now();
      const timed = await uploadAndWait(
        stack,
        workers,
        `uploads/scale-${nonce}/rep-${rep}/`,
        o.images,
        TIMEOUT_MS,
      );
      const jobs = timed.map((t) => t.job);
      runs.push(ratePerSec(jobs.length, Math.max(...jobs.map((j) => Date.parse(j.finishedAt ?? ''))) - t0));
      records.push(...jobs);
      o.log(
        `scale-out ${label}: repetition ${rep + 1}/${o.reps}: ${(runs.at(-1) as number).toFixed(2)} images/s`,
      );
    }

    // Counted over every process's whole log, so a late second run of a job would show too.
    const ids = new Set(records.map((j) => j.jobId));
    const lines = new Map<string, number>();
    for (const line of workers.flatMap((w) => w.logs)) {
      const id = String(line.jobId ?? '');
      if (line.msg === 'job succeeded' && ids.has(id)) lines.set(id, (lines.get(id) ?? 0) + 1);
    }
    const duplicates = [...lines.values()].filter((n) => n > 1).length;
    const attemptsAbove1 = records.filter((j) => j.attempts > 1).length;
    const notSucceeded = records.filter((j) => j.status !== 'SUCCEEDED').length;
    const imagesPerSec = median(runs);
    return {
      processes,
      threadsPerProcess,
      oversubscribed: processes * threadsPerProcess > totalThreads,
      runs,
      imagesPerSec,
      imagesPerSecPerCore: imagesPerSec / cores,
      jobsPerProcess: successCounts(workers, ids),
      exactlyOnce: duplicates === 0 && attemptsAbove1 === 0 && notSucceeded === 0,
      duplicates,
      attemptsAbove1,
      notSucceeded,
      // Read before stopping: /proc forgets an exited process.
      peakRssMiBTotal: workers.reduce(
        (sum, w) => sum + (treeMemory(w.child.pid as number)[0]?.peakMiB ?? 0),
        0,
      ),
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await stack.destroy();
  }
}

/** "job succeeded" lines per process, for `ids` (all jobs when empty). */
function successCounts(workers: WorkerProcess[], ids: Set<string>): number[] {
  return workers.map(
    (w) =>
      w.logs.filter((l) => l.msg === 'job succeeded' && (ids.size === 0 || ids.has(String(l.jobId)))).length,
  );
}
