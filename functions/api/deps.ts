/**
 * @module functions/api/deps
 * What the API's routes need, passed in (habit: clients through options, so tests can point
 * them at the emulator or stub them), and how the Lambda builds it from the environment.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { awsClient, createAwsClients } from '../../core/aws.ts';
import { ClientStore } from '../../core/client-store.ts';
import { JobStore } from '../../core/job-store.ts';
import type { Log } from '../../core/log.ts';
import { resourcesFromEnv } from '../../core/resources.ts';
import { SecretStore } from '../../core/secrets.ts';
import type { ResolveAll } from '../../core/webhook-url.ts';
import { functionLog } from '../log.ts';
import type { ClientDirectory } from './auth.ts';
import { type ApiOptions, apiOptionsFromEnv } from './options.ts';

export interface ApiDeps {
  jobs: JobStore;
  /** Clients, API key hashes and per-client limits. */
  clients: ClientDirectory;
  /** The API's secrets (SSM Parameter Store, cached). */
  secrets: Pick<SecretStore, 'cursorKey'>;
  /** Reads result objects. */
  s3: S3Client;
  /** Signs upload and download URLs (see `createPresignClient`). */
  presigner: S3Client;
  sqs: SQSClient;
  bucket: string;
  /** The webhooks queue; without it a cancel sends no webhook (logged). */
  webhookQueueUrl?: string;
  options: ApiOptions;
  logger: Log;
  /** DNS for webhook URL checks; replaceable in tests. */
  resolve?: ResolveAll;
  now?: () => Date;
}

/**
 * An S3 client for presigning. Checksums are computed only when an operation requires them:
 * with the SDK's default (WHEN_SUPPORTED) a presigned PutObject URL carries the CRC32 of an
 * empty body in `x-amz-checksum-crc32`, and AWS then rejects every real upload to it.
 */
export function createPresignClient(env: NodeJS.ProcessEnv = process.env): S3Client {
  return awsClient(S3Client, { requestChecksumCalculation: 'WHEN_REQUIRED' }, env);
}

/** Everything from the environment; throws ConfigError naming each missing or bad variable. */
export function apiDepsFromEnv(env: NodeJS.ProcessEnv = process.env): ApiDeps {
  const options = apiOptionsFromEnv(env);
  const resources = resourcesFromEnv(env);
  const aws = createAwsClients(env);
  return {
    jobs: new JobStore({ dynamo: aws.dynamo, table: resources.table }),
    clients: new ClientStore({ dynamo: aws.dynamo, table: options.clientsTable }),
    secrets: new SecretStore({ prefix: options.parameterPrefix }),
    s3: aws.s3,
    presigner: createPresignClient(env),
    sqs: aws.sqs,
    bucket: resources.bucket,
    ...(resources.webhookQueueUrl ? { webhookQueueUrl: resources.webhookQueueUrl } : {}),
    options,
    logger: functionLog('api'),
  };
}
