/**
 * @module gpu-worker/main
 * The worker's entry point: reads and validates config, loads the models into the inference
 * threads, then consumes the jobs queue until SIGTERM/SIGINT (see consumer.ts for shutdown).
 */
import type { AddressInfo } from 'node:net';
import { createAwsClients } from '../core/aws.ts';
import type { AwsComponent } from '../core/aws-calls.ts';
import { RECONCILE } from '../core/config.ts';
import { FerryError } from '../core/errors.ts';
import { ingestRecoveryDeps } from '../core/ingest/recovery.ts';
import { JobStore } from '../core/job-store.ts';
import { resourcesFromEnv } from '../core/resources.ts';
import { workerConfigFromEnv } from './config.ts';
import { Consumer } from './consumer.ts';
import { startDeadLetterSweeper } from './dead-letters.ts';
import { DependencyHealth } from './dependency-health.ts';
import { startHealthServer } from './health.ts';
import { InferencePool } from './inference/pool.ts';
import { JobRunner } from './job-runner.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { startReconciler } from './reconciler.ts';
import { TaskProtection } from './task-protection.ts';
import { loadJobTasks, readTaskOptions } from './tasks/registry.ts';

/** Set once the worker is running; until then a signal just ends the process (nothing is held). */
let shutdown: ((signal: string) => Promise<void>) | undefined;

async function main(): Promise<void> {
  // Listeners first: a signal that arrives before Node has one is fatal at once (default action).
  const onSignal = (signal: NodeJS.Signals) => {
    if (shutdown) void shutdown(signal);
    else process.exit(0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const config = workerConfigFromEnv();
  const resources = resourcesFromEnv();
  const log = createLogger(config.logLevel);
  const aws = createAwsClients();
  // Only locally (AWS gives the worker no ingest failures queue) the worker stands in for the
  // reconciler function's ingest recovery: its clients record as `reconciler`, the role that
  // makes these calls on AWS (core/aws-calls.ts; a no-op unless the recorder is on).
  const ingestRecovery = ingestRecoveryDeps(
    createAwsClients({ ...process.env, FERRY_COMPONENT: 'reconciler' satisfies AwsComponent }),
    resources,
  );
  const dependencies = new DependencyHealth();
  dependencies.watch('sqs', aws.sqs);
  dependencies.watch('dynamodb', aws.dynamo);
  dependencies.watch('s3', aws.s3);
  // Last resort: a rejection nothing awaited is logged, not allowed to end the process (Node's
  // default), so one missed catch around a dependency cannot take down every job in flight.
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection', { error: reason }));

  const pool = new InferencePool({
    threads: config.inferenceThreads,
    intraOpThreads: config.intraOpThreads,
    executionProviders: config.executionProviders,
    taskModules: config.taskModules,
    taskOptions: readTaskOptions(),
    ...(config.builtInTasks ? { builtInTasks: config.builtInTasks } : {}),
    maxBatchSize: config.maxBatchSize,
    maxBatchWaitMs: config.maxBatchWaitMs,
    limits: { maxInputBytes: config.maxInputBytes, maxInputPixels: config.maxInputPixels },
  });
  const started = performance.now();
  const info = await pool.start();
  if (info.fallbackFrom) {
    log.warn(
      `execution provider ${info.fallbackFrom} unavailable; falling back to ${info.executionProvider}`,
      { preferred: info.fallbackFrom, using: info.executionProvider, reason: info.fallbackReason },
    );
  }
  pool.on('threadExit', (error) => log.error('inference thread exited; restarting it', { error }));

  const jobs = new JobStore({ dynamo: aws.dynamo, table: resources.table });
  const tasks = await loadJobTasks(config.taskModules, config.builtInTasks, config.maxInputBytes);
  const runner = new JobRunner({
    ...aws,
    jobs,
    pool,
    tasks,
    queueUrl: resources.queueUrl,
    ...(resources.webhookQueueUrl ? { webhookQueueUrl: resources.webhookQueueUrl } : {}),
    config,
    log,
  });
  const protection = new TaskProtection({
    agentUri: config.taskProtection ? process.env.ECS_AGENT_URI : undefined,
    log,
  });
  const consumer = new Consumer({
    sqs: aws.sqs,
    queueUrl: resources.queueUrl,
    runner,
    log,
    maxInFlight: config.maxInFlight,
    receiveWaitSec: config.receiveWaitSec,
    visibilityTimeoutSec: config.visibilityTimeoutSec,
    shutdownGraceMs: config.shutdownGraceMs,
    beforeReceive: () => protection.beforeReceive(),
    afterReceive: (received, held) => protection.afterReceive(received, held),
  });

  let lastPoll = Date.now();
  consumer.on('polled', () => {
    lastPoll = Date.now();
  });

  const pollStaleMs = (config.receiveWaitSec + 15) * 1000;
  const server = await startHealthServer(
    config.healthPort,
    {
      ready: () => {
        const queueReachable = Date.now() - lastPoll < pollStaleMs;
        return {
          ready: queueReachable && dependencies.allUp && !consumer.stopping,
          details: {
            dependencies: dependencies.snapshot(),
            workerId: config.workerId,
            tasks: [...tasks.keys()],
            executionProvider: info.executionProvider,
            cpuFallback: Boolean(info.fallbackFrom),
            inferenceThreads: config.inferenceThreads,
            inFlight: consumer.inFlight,
            queueReachable,
            stopping: consumer.stopping,
          },
        };
      },
    },
    createMetrics(consumer, pool, info),
  );
  consumer.start();
  const sweeper = resources.dlqUrl
    ? startDeadLetterSweeper({
        sqs: aws.sqs,
        jobs,
        dlqUrl: resources.dlqUrl,
        maxReceiveCount: config.maxReceiveCount,
        intervalMs: config.dlqSweepMs,
        log,
        onFailed: (job) => runner.notifyWebhook(job),
      })
    : undefined;
  const reconciler =
    config.reconcileMs > 0
      ? startReconciler({
          sqs: aws.sqs,
          queueUrl: resources.queueUrl,
          jobs,
          onFailed: (job) => runner.notifyWebhook(job),
          options: {
            queueTtlSec: config.queueTtlSec,
            sendClaimStaleSec: config.sendClaimStaleSec,
            orphanAfterSec: config.orphanAfterSec,
            maxJobsPerRun: RECONCILE.maxJobsPerRun,
          },
          intervalMs: config.reconcileMs,
          log,
          ingestRecovery,
        })
      : undefined;
  let stopping = false;
  shutdown = async (signal: string) => {
    if (stopping) {
      log.warn('second signal; exiting now', { signal });
      process.exit(1);
    }
    stopping = true;
    log.info('shutting down', { signal, inFlight: consumer.inFlight });
    sweeper?.stop();
    reconciler?.stop();
    await consumer.stop();
    await protection.release();
    await pool.close();
    server.close();
    log.info('stopped');
    process.exit(0);
  };
  log.info('worker ready', {
    healthPort: (server.address() as AddressInfo).port,
    tasks: [...tasks.keys()],
    executionProvider: info.executionProvider,
    threads: config.inferenceThreads,
    intraOpThreads: config.intraOpThreads,
    maxInFlight: config.maxInFlight,
    maxBatchSize: config.maxBatchSize,
    loadMs: Math.round(performance.now() - started),
  });
}

main().catch((error: unknown) => {
  // Config errors get their message alone: it already names each variable and the fix.
  console.error(error instanceof FerryError ? error.message : error);
  process.exit(1);
});
