/**
 * @module infra/reconciler
 * The reconciler function on a schedule (EventBridge rule via sst.aws.Cron, every
 * RECONCILE.everySec): re-sends the messages of stranded jobs and expires jobs past the queue
 * TTL (core/reconcile.ts), also while no GPU worker runs.
 */
import { FUNCTIONS, RECONCILE } from '../core/config.ts';
import { functionArgs, resourceEnvironment } from './functions.ts';
import { reconcilerStatements, scoped } from './iam.ts';
import { type FunctionsOptions, handlerOf } from './options.ts';
import type { Queues } from './queues.ts';
import type { Storage } from './storage.ts';

export interface ReconcilerInput {
  storage: Storage;
  queues: Queues;
  functions: FunctionsOptions;
}

export function createReconciler({ storage, queues, functions }: ReconcilerInput): sst.aws.Cron {
  return new sst.aws.Cron('Reconciler', {
    schedule: `rate(${RECONCILE.everySec / 60} ${RECONCILE.everySec === 60 ? 'minute' : 'minutes'})`,
    function: functionArgs(functions, {
      description: 'Ferry: re-send lost job messages, expire jobs past the queue TTL',
      handler: handlerOf(FUNCTIONS.reconciler.entry),
      timeout: `${FUNCTIONS.reconciler.timeoutSec} seconds`,
      memory: `${FUNCTIONS.reconciler.memoryMb} MB`,
      environment: {
        ...resourceEnvironment(storage, queues, { webhookQueueUrl: queues.webhooks.url }),
      },
      permissions: $resolve({
        tableArn: storage.table.arn,
        jobsQueueArn: queues.jobs.arn,
        webhooksQueueArn: queues.webhooks.arn,
      }).apply((arns) => scoped('Reconciler', reconcilerStatements(arns))),
    }),
  });
}
