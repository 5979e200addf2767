/**
 * @module bench/fleet-sim
 * A large fleet by simulation: N lightweight workers (each the worker's own Consumer and JobRunner
 * with one job at a time and a pool that sleeps `--task-ms` instead of running a model), all in
 * this process, against one queue and table of a fresh bench stack. Jobs are seeded as QUEUED
 * records with their messages (ingest is measured elsewhere), then drained; reports throughput,
 * p95 queue wait and DynamoDB/SQS/S3 request rates, counted by the bench's proxy.
 *
 *   AWS_ENDPOINT_URL=http://127.0.0.1:4599 npx tsx bench/fleet-sim.ts --workers 50,200 --jobs 1000 --task-ms 1000
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { JobStatus } from '../core/job.ts';
import { sendJobMessage } from '../core/job-queue.ts';
import { JobStore } from '../core/job-store.ts';
import { workerConfigFromEnv } from '../gpu-worker/config.ts';
import { Consumer } from '../gpu-worker/consumer.ts';
import type { InferenceResult } from '../gpu-worker/inference/pool.ts';
import { JobRunner } from '../gpu-worker/job-runner.ts';
import { pinoLog } from '../gpu-worker/logger.ts';
import { ensureEmulator } from '../scripts/local/emulator.ts';
import { startCountingProxy } from './counting-proxy.ts';
import { benchClients, createBenchStack, mapLimit, sleep } from './stack.ts';
import { percentile, ratePerSec } from './stats.ts';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '50,200' },
    jobs: { type: 'string', default: '1000' },
    'task-ms': { type: 'string', default: '1000' },
  },
});
const emulator = await ensureEmulator({ log: (line) => process.stderr.write(`[fleet] ${line}\n`) });
const { endpoint } = emulator;
const taskMs = Number(values['task-ms']);
const jobCount = Number(values.jobs);

/** A pool whose every run takes `taskMs`, as a GPU job of that length would, without the CPU. */
const sleepPool = {
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

try {
  for (const workers of values.workers.split(',').map(Number)) {
    const stack = await createBenchStack(endpoint, 'fleet');
    const proxy = await startCountingProxy(endpoint);
    const clients = benchClients({ endpoint: proxy.url, region: stack.outputs.region });
    const queueUrl = stack.outputs.queueUrl.replace(endpoint.replace(/\/$/, ''), proxy.url);
    const consumers: Consumer[] = [];
    try {
      // One input object outside uploads/, so ingest's notification does not fire for it.
      const key = `fleet/input-${randomBytes(3).toString('hex')}.json`;
      const put = await stack.s3.send(
        new PutObjectCommand({ Bucket: stack.outputs.bucket, Key: key, Body: `{"ms":${taskMs}}` }),
      );
      const etag = String(put.ETag).replaceAll('"', '');
      const seedStart = Date.now();
      await mapLimit(
        Array.from({ length: jobCount }, (_, i) => i),
        16,
        async (i) => {
          const { job } = await stack.jobs.create({
            jobId: `fleet-${workers}-${i}`,
            status: JobStatus.Queued,
            task: 'sleep',
            bucket: stack.outputs.bucket,
            key,
            size: 16,
            etag,
          });
          await sendJobMessage(stack.sqs, stack.outputs.queueUrl, job);
        },
      );
      process.stderr.write(
        `[fleet] ${workers} workers: ${jobCount} jobs seeded in ${Date.now() - seedStart} ms\n`,
      );
      const jobs = new JobStore({ dynamo: clients.dynamo, table: stack.outputs.table });
      const log = pinoLog(pino({ level: 'silent' }));
      const queueWaits: number[] = [];
      let done = 0;
      proxy.reset();
      const t0 = Date.now();
      for (let w = 0; w < workers; w++) {
        const config = workerConfigFromEnv({
          ...stack.env,
          FERRY_WORKER_ID: `sim-${w}`,
          FERRY_MAX_IN_FLIGHT: '1',
          FERRY_RECEIVE_WAIT_SEC: '20',
        });
        const runner = new JobRunner({
          s3: clients.s3,
          sqs: clients.sqs,
          jobs,
          pool: sleepPool,
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
          done++;
          queueWaits.push(outcome.job.timings?.queue ?? 0);
        });
        consumer.start();
        consumers.push(consumer);
      }
      const deadline = Date.now() + 600_000;
      while (done < jobCount && Date.now() < deadline) await sleep(200);
      const elapsed = Date.now() - t0;
      const counts = proxy.counts();
      const perSec = (n: number) => Math.round(ratePerSec(n, elapsed));
      console.log(
        JSON.stringify({
          workers,
          taskMs,
          jobs: jobCount,
          succeeded: done,
          seconds: Math.round(elapsed / 100) / 10,
          jobsPerSec: Math.round(ratePerSec(done, elapsed) * 100) / 100,
          idealJobsPerSec: Math.round((workers * 1000) / taskMs),
          queueWaitMs: { p50: percentile(queueWaits, 50), p95: percentile(queueWaits, 95) },
          requestsPerSec: {
            DynamoDB: perSec(counts.byService.DynamoDB),
            SQS: perSec(counts.byService.SQS),
            S3: perSec(counts.byService.S3),
          },
          requestsPerJob: Object.fromEntries(
            Object.entries(counts.byOperation).map(([k, v]) => [
              k,
              Math.round((v / Math.max(1, done)) * 100) / 100,
            ]),
          ),
        }),
      );
    } finally {
      // Consumers whose long poll is under way finish it (up to 20 s) before they stop.
      await Promise.all(consumers.map((c) => c.stop()));
      clients.close();
      await proxy.close();
      await stack.destroy();
    }
  }
} finally {
  await emulator.stop();
}
