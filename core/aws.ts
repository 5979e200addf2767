/**
 * @module core/aws
 * Every AWS SDK client in Ferry is built here (functions, worker, CLI, local provisioning, bench),
 * so each gets the same network limits, S3 addressing and, when the tests ask for it, the call
 * recorder (core/aws-calls.ts). The SDK reads AWS_ENDPOINT_URL, region and credentials from the
 * environment itself, so one code path serves MiniStack, LocalStack and AWS.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { recordCallsOf } from './aws-calls.ts';
import { AWS_CLIENT } from './config.ts';

export interface AwsClients {
  s3: S3Client;
  sqs: SQSClient;
  dynamo: DynamoDBDocumentClient;
}

/** Settings every client may be given besides Ferry's defaults (all optional). */
export interface AwsClientConfig {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * SDK attempts per call, retries included. @default the SDK's 3, for every client Ferry makes,
   * the worker's included. The worker wraps some calls in withRetry (gpu-worker/retry.ts) and
   * keeps the SDK's attempts under it on purpose: the same clients also make the calls withRetry
   * does not wrap (receive, download, result upload, checkpoints), which need the SDK's quick
   * retries of a dropped connection; under withRetry the two stack only briefly, since withRetry's
   * budget is time (FERRY_AWS_RETRY_SEC), not attempts, and the SDK's retry quota (standard mode)
   * runs dry in an outage, leaving one SDK attempt per withRetry try.
   */
  maxAttempts?: number;
  /** Replaces Ferry's connect and idle timeouts (e.g. a bench client with its own agent). */
  requestHandler?: Record<string, unknown>;
  /** Settings of one client class, e.g. S3's `requestChecksumCalculation` for presigning. */
  [setting: string]: unknown;
}

/** Any SDK v3 client class: constructed from a config, with a middleware stack. */
type ClientClass<C> = new (config: never) => C;

/**
 * An SDK v3 client of `Client` with Ferry's settings: connect and idle timeouts (without them a
 * refused or hanging endpoint holds a call for minutes; the idle timeout stays above SQS's 20 s
 * long poll), path-style S3 addressing where an endpoint is overridden (emulators on 127.0.0.1
 * cannot serve `<bucket>.127.0.0.1`; AWS prefers virtual-hosted style), and the call recorder
 * when FERRY_AWS_CALL_LOG is set.
 */
export function awsClient<C extends { middlewareStack: unknown }>(
  Client: ClientClass<C>,
  config: AwsClientConfig = {},
  env: Record<string, string | undefined> = process.env,
): C {
  // The SDK reads the endpoint and region from process.env itself; an `env` given here wins.
  const endpoint = config.endpoint ?? env.AWS_ENDPOINT_URL;
  const region = config.region ?? env.AWS_REGION;
  const client = new Client({
    requestHandler: {
      connectionTimeout: AWS_CLIENT.connectTimeoutMs,
      socketTimeout: AWS_CLIENT.idleTimeoutMs,
    },
    ...(Client === (S3Client as unknown) ? { forcePathStyle: Boolean(endpoint) } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    ...config,
  } as never);
  recordCallsOf(client, env);
  return client;
}

/** A DynamoDB document client (plain JS values; undefined attributes left out). */
export function documentClient(
  config: AwsClientConfig = {},
  env: Record<string, string | undefined> = process.env,
): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(awsClient(DynamoDBClient, config, env), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** The three clients most of Ferry uses. */
export function createAwsClients(
  env: Record<string, string | undefined> = process.env,
  config: AwsClientConfig = {},
): AwsClients {
  return {
    s3: awsClient(S3Client, config, env),
    sqs: awsClient(SQSClient, config, env),
    dynamo: documentClient(config, env),
  };
}
