/**
 * @module bench/rows/fleet
 * Row "fleet": a large fleet by simulation. N lightweight workers, each the worker's own Consumer
 * and JobRunner holding one job at a time, with a pool that sleeps `taskMs` instead of running a
 * model (a GPU job of that length), all in the bench process, against one queue and table of a
 * fresh stack. Jobs are seeded as QUEUED records with their messages (ingest is the burst row's
 * subject), then drained. Reports throughput, queue wait and the DynamoDB/SQS/S3 request rates
 * (counted by the bench's proxy), and from them the scaling policy's target backlog per worker:
 * a measured per-worker rate, not a task time, goes into infra/scaling-plan.ts's formula.
 */
import { pino } from 'pino';
import { JobStore } from '../../core/job-store.ts';
import { workerConfigFromEnv } from '../../gpu-worker/config.ts';
import { Consumer } from '../../gpu-worker/consumer.ts';
import type { InferenceResult } from '../../gpu-worker/inference/pool.ts';
import { JobRunner } from '../../gpu-worker/job-runner.ts';
import { pinoLog } from '../../gpu-worker/logger.ts';
import { modelJobTask } from '../../gpu-worker/tasks/registry.ts';
import { defaultOptions } from '../../infra/options.ts';
import { targetBacklogPerWorker } from '../../infra/scaling-plan.ts';
import { startCountingProxy } from '../../test/support/aws-proxy.ts';
import { type BenchStack, benchClients, seedQueuedJobs, sleep } from '../stack.ts';
import { percentile, ratePerSec, round } from '../stats.ts';

export interface FleetRun {
  workers: number;
  jobs: number;
  succeeded: number;
  /** Jobs that ended SUCCEEDED more than once (never expected). */
  duplicates: number;
  seconds: number;
  jobsPerSec: number;
  /** workers x 1000 / taskMs: the rate with no bookkeeping at all. */
  idealJobsPerSec: number;
  perWorkerJobsPerSec: number;
  /** A job's time in a worker beyond the task (claim, download, result, succeed, delete), s. */
  bookkeepingSec: number;
  /** createdAt -> claimed; the backlog is seeded at once, so this is the drain. */
  queueWaitSec: { p50: number; p95: number };
  requestsPerSec: { DynamoDB: number; SQS: number; S3: number };
  requestsPerJob: Record<string, number>;
}

export interface FleetResult {
  taskMs: number;
  jobsPerWorker: number;
  runs: FleetRun[];
  /** From the smallest fleet (the least emulator-bound): floor(per-worker rate x acceptable wait). */
  derived: {
    fromWorkers: number;
    perWorkerJobsPerSec: number;
    acceptableWaitSec: number;
    targetBacklogPerWorker: number;
    /** What the task time alone would give, for comparison. */
    fromTaskTimeOnly: number;
  };
}

export interface FleetOptions {
  endpoint: string;
  workers: number[];
  /** Jobs seeded per simulated worker: 10 each gives steady state and a drain tail. */
  jobsPerWorker: number;
  taskMs: number;
  newStack: () => Promise<BenchStack>;
  log: (line: string) => void;
}

export async function runFleet(o: FleetOptions): Promise<FleetResult> {
  const runs: FleetRun[] = [];
  for (const workers of o.workers) {
    runs.push(await runOne(o, workers, await o.newStack()));
    const r = runs.at(-1) as FleetRun;
    o.log(`fleet: ${workers} workers: ${r.jobsPerSec} jobs/s of ideal ${r.idealJobsPerSec}`);
  }
  const base = [...runs].sort((a, b) => a.workers - b.workers)[0] as FleetRun;
  const acceptableWaitSec = defaultOptions('dev').scaling.acceptableWaitSec;
  return {
    taskMs: o.taskMs,
    jobsPerWorker: o.jobsPerWorker,
    runs,
    derived: {
      fromWorkers: base.workers,
      perWorkerJobsPerSec: base.perWorkerJobsPerSec,
      acceptableWaitSec,
      targetBacklogPerWorker: targetBacklogPerWorker(base.perWorkerJobsPerSec, acceptableWaitSec),
      fromTaskTimeOnly: targetBacklogPerWorker(1000 / o.taskMs, acceptableWaitSec),
    },
  };
}

async function runOne(o: FleetOptions, workers: number, stack: BenchStack): Promise<FleetRun> {
  const jobCount = workers * o.jobsPerWorker;
  const proxy = await startCountingProxy(o.endpoint);
  // One socket per long poll and per job request: the simulated workers share one agent, where
  // real ones each have their own; a capped pool would queue job requests behind idle long polls.
  const clients = benchClients({
    endpoint: proxy.url,
    region: stack.outputs.region,
    maxSockets: Number.POSITIVE_INFINITY,
  });
  const queueUrl = stack.outputs.queueUrl.replace(o.endpoint.replace(/\/$/, ''), proxy.url);
  const consumers: Consumer[] = [];
  try {
    const seedStart = Date.now();
    await seedQueuedJobs(stack, { count: jobCount, idPrefix: `fleet-${workers}`, taskMs: o.taskMs });
    o.log(`fleet: ${workers} workers: ${jobCount} jobs seeded in ${Date.now() - seedStart} ms`);

    const pool = sleepPool(o.taskMs);
    const jobs = new JobStore({ dynamo: clients.dynamo, table: stack.outputs.table });
    const log = pinoLog(pino({ level: 'silent' }));
    const queueWaits: number[] = [];
    const succeeded = new Map<string, number>();
    proxy.reset();
    const t0 = Date.now();
    for (let w = 0; w < workers; w++) {
      const config = workerConfigFromEnv({
        ...stack.env,
        FERRY_WORKER_ID: `sim-${w}`,
        FERRY_MAX_IN_FLIGHT: '1',
        FERRY_RECEIVE_WAIT_SEC: '20',
      });
      const tasks = new Map([['sleep', modelJobTask({ name: 'sleep' }, config.maxInputBytes)]]);
      const runner = new JobRunner({
        s3: clients.s3,
        sqs: clients.sqs,
        jobs,
        pool,
        tasks,
        queueUrl,
        config,
        log,
      });
      const consumer = new Consumer({
        sqs: clients.sqs,
        queueUrl,
        runner,
        log,
        maxInFlight: 1,
        receiveWaitSec: 20,
        visibilityTimeoutSec: config.visibilityTimeoutSec,
        shutdownGraceMs: 30_000,
      });
      consumer.on('jobEnded', (outcome) => {
        if (outcome.outcome !== 'succeeded') return;
        succeeded.set(outcome.job.jobId, (succeeded.get(outcome.job.jobId) ?? 0) + 1);
        queueWaits.push(outcome.job.timings?.queue ?? 0);
      });
      consumer.start();
      consumers.push(consumer);
    }
    const deadline = Date.now() + 600_000;
    while (succeeded.size < jobCount && Date.now() < deadline) await sleep(100);
    const elapsed = Date.now() - t0;
    if (succeeded.size < jobCount)
      throw new Error(`fleet: ${workers} workers: only ${succeeded.size} of ${jobCount} jobs in 600 s`);
    const counts = proxy.counts();
    const perSec = (n: number) => Math.round(ratePerSec(n, elapsed));
    const jobsPerSec = ratePerSec(jobCount, elapsed);
    const perWorker = jobsPerSec / workers;
    return {
      workers,
      jobs: jobCount,
      succeeded: succeeded.size,
      duplicates: [...succeeded.values()].filter((n) => n > 1).length,
      seconds: round(elapsed / 1000, 1),
      jobsPerSec: round(jobsPerSec),
      idealJobsPerSec: (workers * 1000) / o.taskMs,
      perWorkerJobsPerSec: round(perWorker, 3),
      bookkeepingSec: round(1 / perWorker - o.taskMs / 1000, 3),
      queueWaitSec: {
        p50: round(percentile(queueWaits, 50) / 1000, 1),
        p95: round(percentile(queueWaits, 95) / 1000, 1),
      },
      requestsPerSec: {
        DynamoDB: perSec(counts.byService.DynamoDB),
        SQS: perSec(counts.byService.SQS),
        S3: perSec(counts.byService.S3),
      },
      requestsPerJob: Object.fromEntries(
        Object.entries(counts.byOperation).map(([k, v]) => [k, round(v / jobCount)]),
      ),
    };
  } finally {
    // Consumers whose long poll is under way finish it (up to 20 s) before they stop.
    await Promise.all(consumers.map((c) => c.stop()));
    clients.close();
    await proxy.close();
    await stack.destroy();
  }
}

/** A pool whose every run takes `taskMs`, as a GPU job of that length would, without the CPU. */
function sleepPool(taskMs: number) {
  return {
    executionProvider: 'simulated',
    async run(): Promise<InferenceResult> {
      await sleep(taskMs);
      return {
        result: { sleptMs: taskMs },
        timings: { preprocess: 0, inference: taskMs, waitForThread: 0 },
        executionProvider: 'simulated',
        batchSize: 1,
      };
    },
  };
}
