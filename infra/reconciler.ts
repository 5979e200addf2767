/**
 * @module infra/reconciler
 * The reconciler function on a schedule (EventBridge rule via sst.aws.Cron, every
 * RECONCILE.everySec): re-sends the messages of stranded jobs and expires jobs past the queue
 * TTL (core/reconcile.ts), also while no GPU worker runs; and recovers lost uploads (replays the
 * ingest failures queue, sweeps uploads/ for objects without a job: core/ingest/recovery.ts).
 */

import { FUNCTIONS, RECONCILE } from '../core/config.ts';
import { defaultClientEnv } from '../core/ingest/owner.ts';
import { functionArgs, resourceEnvironment } from './functions.ts';
import { reconcilerStatements, scoped } from './iam.ts';
import type { Ingest } from './ingest.ts';
import { type FunctionsOptions, handlerOf, type IngestOptions } from './options.ts';
import type { Queues } from './queues.ts';
import type { Storage } from './storage.ts';

export interface ReconcilerInput {
  storage: Storage;
  queues: Queues;
  clients: sst.aws.Dynamo;
  ingest: Ingest;
  functions: FunctionsOptions;
  /** The ingest options: recovery ingests lost uploads as the ingest function would. */
  ingestOptions: IngestOptions;
}

export function createReconciler({
  storage,
  queues,
  clients,
  ingest,
  functions,
  ingestOptions,
}: ReconcilerInput): sst.aws.Cron {
  return new sst.aws.Cron('Reconciler', {
    schedule: `rate(${RECONCILE.everySec / 60} ${RECONCILE.everySec === 60 ? 'minute' : 'minutes'})`,
    function: functionArgs(functions, {
      description: 'Ferry: re-send lost job messages, expire jobs past the queue TTL, recover lost uploads',
      handler: handlerOf(FUNCTIONS.reconciler.entry),
      timeout: `${FUNCTIONS.reconciler.timeoutSec} seconds`,
      memory: `${FUNCTIONS.reconciler.memoryMb} MB`,
      environment: {
        ...resourceEnvironment(storage, queues, {
          webhookQueueUrl: queues.webhooks.url,
          clientsTable: clients.name,
          ingestFailuresQueueUrl: ingest.failures.url,
        }),
        ...defaultClientEnv(ingestOptions.defaultClientId),
      },
      permissions: $resolve({
        bucketArn: storage.bucket.arn,
        tableArn: storage.table.arn,
        jobsQueueArn: queues.jobs.arn,
        webhooksQueueArn: queues.webhooks.arn,
        ingestFailuresQueueArn: ingest.failures.arn,
        clientsTableArn: clients.arn,
      }).apply((arns) => scoped('Reconciler', reconcilerStatements(arns))),
    }),
  });
}
