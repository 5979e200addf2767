/**
 * @module core/resources
 * Where the running code finds its AWS resources. The same variables are set by `npm start`
 * (from the local emulator) and by the SST stack (from the deployed resources); only
 * AWS_ENDPOINT_URL, credentials and region differ between MiniStack, LocalStack and AWS.
 */
import { z } from 'zod';
import { ConfigError } from './errors.ts';

const ResourcesSchema = z.object({
  FERRY_BUCKET: z.string().min(3, 'must name the S3 bucket'),
  FERRY_TABLE: z.string().min(3, 'must name the DynamoDB jobs table'),
  FERRY_QUEUE_URL: z.url('must be the jobs queue URL'),
  FERRY_WEBHOOK_QUEUE_URL: z.url('must be the webhooks queue URL').optional(),
  FERRY_DLQ_URL: z.url('must be the jobs dead-letter queue URL').optional(),
});

export interface Resources {
  bucket: string;
  table: string;
  queueUrl: string;
  /** Queue of webhook deliveries; absent where webhooks are not wired (e.g. the ingest function). */
  webhookQueueUrl?: string;
  /** The jobs queue's dead-letter queue; the worker fails the jobs whose messages land there. */
  dlqUrl?: string;
}

/** Reads the resource names from the environment; throws ConfigError naming each missing variable. */
export function resourcesFromEnv(env: NodeJS.ProcessEnv = process.env): Resources {
  const parsed = ResourcesSchema.safeParse(env);
  if (!parsed.success) throw ConfigError.fromZod(parsed.error);
  const e = parsed.data;
  return {
    bucket: e.FERRY_BUCKET,
    table: e.FERRY_TABLE,
    queueUrl: e.FERRY_QUEUE_URL,
    ...(e.FERRY_WEBHOOK_QUEUE_URL ? { webhookQueueUrl: e.FERRY_WEBHOOK_QUEUE_URL } : {}),
    ...(e.FERRY_DLQ_URL ? { dlqUrl: e.FERRY_DLQ_URL } : {}),
  };
}
