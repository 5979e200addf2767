/**
 * @module core/resources
 * Where the running code finds its AWS resources. The same variables are set by `npm start`
 * (from the local emulator) and by the SST stack (from the deployed resources); only
 * AWS_ENDPOINT_URL, credentials and region differ between MiniStack, LocalStack and AWS.
 */
import { z } from 'zod';
import { readEnv } from './env.ts';

const ResourcesSchema = z.object({
  FERRY_BUCKET: z.string().min(3, 'must name the S3 bucket'),
  FERRY_TABLE: z.string().min(3, 'must name the DynamoDB jobs table'),
  FERRY_QUEUE_URL: z.url('must be the jobs queue URL'),
  FERRY_WEBHOOK_QUEUE_URL: z.url('must be the webhooks queue URL').optional(),
  FERRY_DLQ_URL: z.url('must be the jobs dead-letter queue URL').optional(),
  FERRY_CLIENTS_TABLE: z.string().min(3, 'must name the DynamoDB clients table').optional(),
  FERRY_PARAMETER_PREFIX: z.string().min(2, 'must be the SSM parameter prefix').optional(),
  FERRY_INGEST_FAILURES_QUEUE_URL: z.url('must be the ingest failures queue URL').optional(),
});

/** The resources by name; V is string at run time, a Pulumi Input in infra/. */
export interface ResourceNames<V = string> {
  bucket: V;
  table: V;
  queueUrl: V;
  /** Queue of webhook deliveries; absent where webhooks are not wired (e.g. the ingest function). */
  webhookQueueUrl?: V | undefined;
  /** The jobs queue's dead-letter queue; the worker fails the jobs whose messages land there. */
  dlqUrl?: V | undefined;
  /** The clients and API key hashes table (the API, the webhook function, operator commands). */
  clientsTable?: V | undefined;
  /** The SSM path prefix of the deployment's secrets, e.g. `/ferry/prod`. */
  parameterPrefix?: V | undefined;
  /**
   * S3 events ingest gave up on (its on-failure destination). Whoever has it replays them and
   * sweeps for orphaned uploads (core/ingest/recovery.ts): the reconciler function, locally the worker.
   */
  ingestFailuresQueueUrl?: V | undefined;
}

export type Resources = ResourceNames<string>;

/** The variable that carries each resource. */
export const RESOURCE_ENV = {
  bucket: 'FERRY_BUCKET',
  table: 'FERRY_TABLE',
  queueUrl: 'FERRY_QUEUE_URL',
  webhookQueueUrl: 'FERRY_WEBHOOK_QUEUE_URL',
  dlqUrl: 'FERRY_DLQ_URL',
  clientsTable: 'FERRY_CLIENTS_TABLE',
  parameterPrefix: 'FERRY_PARAMETER_PREFIX',
  ingestFailuresQueueUrl: 'FERRY_INGEST_FAILURES_QUEUE_URL',
} as const satisfies Record<keyof Resources, string>;

/** Reads the resource names from the environment; throws ConfigError naming each missing variable. */
export function resourcesFromEnv(env: NodeJS.ProcessEnv = process.env): Resources {
  const e = readEnv(ResourcesSchema, env);
  return {
    bucket: e.FERRY_BUCKET,
    table: e.FERRY_TABLE,
    queueUrl: e.FERRY_QUEUE_URL,
    ...(e.FERRY_WEBHOOK_QUEUE_URL ? { webhookQueueUrl: e.FERRY_WEBHOOK_QUEUE_URL } : {}),
    ...(e.FERRY_DLQ_URL ? { dlqUrl: e.FERRY_DLQ_URL } : {}),
    ...(e.FERRY_CLIENTS_TABLE ? { clientsTable: e.FERRY_CLIENTS_TABLE } : {}),
    ...(e.FERRY_PARAMETER_PREFIX ? { parameterPrefix: e.FERRY_PARAMETER_PREFIX } : {}),
    ...(e.FERRY_INGEST_FAILURES_QUEUE_URL
      ? { ingestFailuresQueueUrl: e.FERRY_INGEST_FAILURES_QUEUE_URL }
      : {}),
  };
}

/**
 * The inverse of resourcesFromEnv(): the FERRY_* variables that name these resources (unset
 * optional ones are left out). Local provisioning, `npm start`, the tests, the bench, the CLI
 * and infra/ all build the variables here.
 */
export function resourcesToEnv<V>(r: ResourceNames<V>): Record<string, V> {
  const env: Record<string, V> = {};
  for (const key of Object.keys(RESOURCE_ENV) as Array<keyof Resources>) {
    const value = r[key];
    if (value !== undefined) env[RESOURCE_ENV[key]] = value;
  }
  return env;
}
