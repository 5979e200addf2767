/**
 * @module infra/ingest
 * The ingest function and the bucket notification that calls it for every object created under
 * uploads/, plus the queue that keeps S3 events Lambda gave up on.
 */

import { FUNCTIONS, KEY_PREFIX, QUEUE } from '../core/config.ts';
import { defaultClientEnv } from '../core/ingest/owner.ts';
import { functionArgs, resourceEnvironment } from './functions.ts';
import { ingestStatements, scoped } from './iam.ts';
import { type FunctionsOptions, handlerOf, type IngestOptions } from './options.ts';
import type { Queues } from './queues.ts';
import type { Storage } from './storage.ts';

export interface Ingest {
  function: sst.aws.Function;
  /** S3 events still failing after Lambda's retries (async invoke on-failure destination). */
  failures: sst.aws.Queue;
}

export interface IngestInput {
  storage: Storage;
  clients: sst.aws.Dynamo;
  queues: Queues;
  functions: FunctionsOptions;
  options: IngestOptions;
}

export function createIngest({ storage, clients, queues, functions, options }: IngestInput): Ingest {
  const failures = new sst.aws.Queue('IngestFailuresQueue', {
    transform: {
      queue: { sqsManagedSseEnabled: true, messageRetentionSeconds: QUEUE.deadLetterRetentionSec },
    },
  });

  const fn = new sst.aws.Function(
    'Ingest',
    functionArgs(functions, {
      description: 'Ferry: S3 uploads/ -> QUEUED job + jobs queue',
      handler: handlerOf(FUNCTIONS.ingest.entry),
      timeout: `${options.timeoutSec} seconds`,
      memory: `${options.memoryMb} MB`,
      environment: {
        ...resourceEnvironment(storage, queues, { clientsTable: clients.name }),
        ...defaultClientEnv(options.defaultClientId),
      },
      permissions: $resolve({
        bucketArn: storage.bucket.arn,
        tableArn: storage.table.arn,
        jobsQueueArn: queues.jobs.arn,
        failuresQueueArn: failures.arn,
        clientsTableArn: clients.arn,
      }).apply((arns) => scoped('Ingest', ingestStatements(arns))),
      // The handler throws when a record failed, so Lambda retries the event; records already
      // ingested are no-ops. After the retries the event goes to `failures` instead of being lost.
      retries: FUNCTIONS.ingest.asyncRetries,
      transform: {
        eventInvokeConfig: { destinationConfig: { onFailure: { destination: failures.arn } } },
      },
    }),
  );

  storage.bucket.notify({
    notifications: [
      {
        name: 'Ingest',
        function: fn.arn,
        events: ['s3:ObjectCreated:*'],
        filterPrefix: KEY_PREFIX.uploads,
      },
    ],
  });

  return { function: fn, failures };
}
