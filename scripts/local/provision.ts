/**
 * @module scripts/local/provision
 * Creates Ferry's resources in a local emulator, idempotently (safe to re-run): the bucket with
 * CORS, the jobs table with its status and client GSIs and TTL, the clients table, the cursor
 * signing key parameter, the jobs and webhooks queues with DLQs, the
 * ingest and webhook functions deployed into the emulator, and the bucket notification that
 * sends `uploads/` to ingest. Shapes come from core/config.ts, as they do for infra/.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  AddPermissionCommand,
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  PutFunctionEventInvokeConfigCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import {
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  PutBucketCorsCommand,
  PutBucketNotificationConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { awsClient } from '../../core/aws.ts';
import { callLogEnv } from '../../core/aws-calls.ts';
import {
  BUCKET_CORS,
  CLIENTS_TABLE,
  FUNCTIONS,
  KEY_PREFIX,
  LAMBDA_RUNTIME,
  LOCAL_RESOURCES,
  QUEUE,
  TABLE,
  WEBHOOK,
} from '../../core/config.ts';
import { defaultClientEnv } from '../../core/ingest/owner.ts';
import { ParameterAdmin } from '../../core/parameter-admin.ts';
import { resourcesToEnv } from '../../core/resources.ts';
import { bundleFunction } from './bundle.ts';

export interface LocalNames {
  bucket: string;
  table: string;
  queue: string;
  deadLetterQueue: string;
  webhookQueue: string;
  webhookDeadLetterQueue: string;
  ingestFailuresQueue: string;
  ingestFunction: string;
  webhookFunction: string;
  clientsTable: string;
  /** SSM path prefix of the stack's parameters. */
  parameterPrefix: string;
}

/** The coordinates written to `.ferry/outputs.json` (see README "Local coordinates"). */
export interface LocalOutputs {
  endpoint: string;
  region: string;
  bucket: string;
  table: string;
  queueUrl: string;
  dlqUrl: string;
  webhookQueueUrl: string;
  webhookDlqUrl: string;
  clientsTable: string;
  parameterPrefix: string;
  /** S3 events ingest failed on after its retries, as on AWS (the on-failure destination). */
  ingestFailuresQueueUrl: string;
  apiUrl?: string;
  apiKey?: string;
  /** The local client: its id and webhook signing secret (Standard Webhooks form). */
  clientId?: string;
  webhookSecret?: string;
  /** The push channel's WebSocket URL (watchers connect with `?key=<API key>`). */
  pushUrl?: string;
}

const { region: _region, endpoint: _endpoint, ...defaultNames } = LOCAL_RESOURCES;
export const DEFAULT_NAMES: LocalNames = defaultNames;

/** Names with a suffix, so each test file gets resources of its own. */
export function suffixedNames(suffix: string): LocalNames {
  const entries = Object.entries(DEFAULT_NAMES).map(([k, v]) => [k, `${v}-${suffix}`]);
  return Object.fromEntries(entries) as unknown as LocalNames;
}

/** Settings for provisioning; the emulator's endpoint and region go to every client. */
export interface ProvisionOptions {
  endpoint: string;
  names?: LocalNames;
  /** @default LOCAL_RESOURCES.region */
  region?: string;
  /** Skip deploying the webhook function (tests that never send webhooks save its start-up). */
  withWebhookFunction?: boolean;
  /** The client that owns direct drops outside `uploads/<clientId>/` (FERRY_DEFAULT_CLIENT_ID). */
  defaultClientId?: string;
}

const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
/** Emulators accept any role; AWS needs a real one (infra/ creates it). */
const LOCAL_ROLE = 'arn:aws:iam::000000000000:role/ferry-local';

export async function provision(options: ProvisionOptions): Promise<LocalOutputs> {
  const names = options.names ?? DEFAULT_NAMES;
  const region = options.region ?? LOCAL_RESOURCES.region;
  const clientConfig = { endpoint: options.endpoint, region, credentials: TEST_CREDENTIALS };
  // No environment (all is in clientConfig): provisioning is no component, so its calls are never
  // recorded, even in a test process whose in-process component records (core/aws-calls.ts).
  const s3 = awsClient(S3Client, clientConfig, {});
  const sqs = awsClient(SQSClient, clientConfig, {});
  const dynamo = awsClient(DynamoDBClient, clientConfig, {});
  const lambda = awsClient(LambdaClient, clientConfig, {});

  const [jobsQueue, webhookQueue, ingestFailures] = await Promise.all([
    createQueueWithDlq(
      sqs,
      names.queue,
      names.deadLetterQueue,
      QUEUE.visibilityTimeoutSec,
      QUEUE.maxReceiveCount,
    ),
    createQueueWithDlq(
      sqs,
      names.webhookQueue,
      names.webhookDeadLetterQueue,
      WEBHOOK.visibilityTimeoutSec,
      WEBHOOK.maxReceiveCount,
    ),
    createQueue(sqs, names.ingestFailuresQueue),
    createBucket(s3, names.bucket),
    createJobsTable(dynamo, names.table),
    createClientsTable(dynamo, names.clientsTable),
    new ParameterAdmin({
      ssm: awsClient(SSMClient, clientConfig, {}),
      prefix: names.parameterPrefix,
    }).ensureCursorKey(),
  ]);
  const outputs: LocalOutputs = {
    endpoint: options.endpoint,
    region,
    bucket: names.bucket,
    table: names.table,
    queueUrl: jobsQueue.url,
    dlqUrl: jobsQueue.dlqUrl,
    webhookQueueUrl: webhookQueue.url,
    webhookDlqUrl: webhookQueue.dlqUrl,
    clientsTable: names.clientsTable,
    parameterPrefix: names.parameterPrefix,
    ingestFailuresQueueUrl: ingestFailures.url,
  };
  const environment = {
    ...resourcesToEnv({ ...outputs, dlqUrl: undefined, ingestFailuresQueueUrl: undefined }),
    ...defaultClientEnv(options.defaultClientId),
    // Local receivers live on loopback, on any port; production refuses both.
    FERRY_ALLOW_PRIVATE_WEBHOOKS: 'true',
    FERRY_WEBHOOK_PORTS: '*',
  };

  // MiniStack runs each function as a host `node` process, so the tests' call log path works there.
  const ingestArn = await deployFunction(lambda, names.ingestFunction, FUNCTIONS.ingest, {
    ...environment,
    ...callLogEnv('ingest'),
  });
  // As on AWS (infra/ingest.ts): events still failing after the retries land in a queue, not lost.
  await lambda.send(
    new PutFunctionEventInvokeConfigCommand({
      FunctionName: names.ingestFunction,
      MaximumRetryAttempts: FUNCTIONS.ingest.asyncRetries,
      DestinationConfig: { OnFailure: { Destination: ingestFailures.arn } },
    }),
  );
  await lambda
    .send(
      new AddPermissionCommand({
        FunctionName: names.ingestFunction,
        StatementId: 's3-invoke',
        Action: 'lambda:InvokeFunction',
        Principal: 's3.amazonaws.com',
        SourceArn: `arn:aws:s3:::${names.bucket}`,
      }),
    )
    .catch((error: unknown) => {
      if (!(error instanceof ResourceConflictException)) throw error;
    });
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: names.bucket,
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          {
            Id: 'ferry-ingest',
            LambdaFunctionArn: ingestArn,
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: KEY_PREFIX.uploads }] } },
          },
        ],
      },
    }),
  );

  if (options.withWebhookFunction !== false) {
    await deployFunction(lambda, names.webhookFunction, FUNCTIONS.webhook, {
      ...environment,
      ...callLogEnv('webhook'),
      ...(process.env.FERRY_WEBHOOK_FIRST_RETRY_DELAY_SEC
        ? { FERRY_WEBHOOK_FIRST_RETRY_DELAY_SEC: process.env.FERRY_WEBHOOK_FIRST_RETRY_DELAY_SEC }
        : {}),
    });
    await subscribe(lambda, names.webhookFunction, webhookQueue.arn);
  }
  return outputs;
}

async function createClientsTable(dynamo: DynamoDBClient, table: string): Promise<void> {
  await createTableWithTtl(
    dynamo,
    {
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: CLIENTS_TABLE.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: CLIENTS_TABLE.partitionKey, KeyType: 'HASH' }],
    },
    CLIENTS_TABLE.ttlAttribute,
  );
}

async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: unknown) => {
    if (!(error instanceof BucketAlreadyOwnedByYou) && (error as Error).name !== 'BucketAlreadyExists')
      throw error;
  });
  await s3.send(
    new PutBucketCorsCommand({
      Bucket: bucket,
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedMethods: [...BUCKET_CORS.allowedMethods],
            AllowedOrigins: [...BUCKET_CORS.origins],
            AllowedHeaders: [...BUCKET_CORS.allowedHeaders],
            ExposeHeaders: [...BUCKET_CORS.exposeHeaders],
            MaxAgeSeconds: BUCKET_CORS.maxAgeSec,
          },
        ],
      },
    }),
  );
}

async function createJobsTable(dynamo: DynamoDBClient, table: string): Promise<void> {
  const index = TABLE.statusIndex;
  const byClient = TABLE.clientIndex;
  await createTableWithTtl(
    dynamo,
    {
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: index.partitionKey, AttributeType: 'S' },
        { AttributeName: index.sortKey, AttributeType: 'S' },
        { AttributeName: byClient.partitionKey, AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: TABLE.partitionKey, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: byClient.name,
          KeySchema: [
            { AttributeName: byClient.partitionKey, KeyType: 'HASH' },
            { AttributeName: byClient.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    },
    TABLE.ttlAttribute,
  );
}

/** Creates the table unless it exists, waits for it to be ACTIVE and turns its TTL on. */
export async function createTableWithTtl(
  dynamo: DynamoDBClient,
  input: CreateTableCommandInput,
  ttlAttribute: string,
): Promise<void> {
  try {
    await dynamo.send(new CreateTableCommand(input));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitForTable(dynamo, String(input.TableName));
  await enableTtl(dynamo, String(input.TableName), ttlAttribute);
}

async function waitForTable(dynamo: DynamoDBClient, table: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const out = await dynamo.send(new DescribeTableCommand({ TableName: table }));
    if (out.Table?.TableStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function enableTtl(dynamo: DynamoDBClient, table: string, attribute: string): Promise<void> {
  await dynamo
    .send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
      }),
    )
    .catch((error: unknown) => {
      // Raised when TTL is already enabled: re-running provisioning is fine.
      if (!String((error as Error).message).includes('already enabled')) throw error;
    });
}

async function createQueueWithDlq(
  sqs: SQSClient,
  name: string,
  dlqName: string,
  visibilityTimeoutSec: number,
  maxReceiveCount: number,
): Promise<{ url: string; arn: string; dlqUrl: string }> {
  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: dlqName,
      Attributes: { MessageRetentionPeriod: String(QUEUE.deadLetterRetentionSec) },
    }),
  );
  const dlqArn = await queueArn(sqs, dlq.QueueUrl);
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeoutSec),
        MessageRetentionPeriod: String(QUEUE.messageRetentionSec),
        ReceiveMessageWaitTimeSeconds: String(QUEUE.receiveWaitTimeSec),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
      },
    }),
  );
  if (!queue.QueueUrl || !dlq.QueueUrl) throw new Error(`CreateQueue returned no URL for ${name}`);
  return { url: queue.QueueUrl, arn: await queueArn(sqs, queue.QueueUrl), dlqUrl: dlq.QueueUrl };
}

/** A queue that keeps what a function gave up on (an on-failure destination). */
export async function createQueue(sqs: SQSClient, name: string): Promise<{ url: string; arn: string }> {
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: { MessageRetentionPeriod: String(QUEUE.deadLetterRetentionSec) },
    }),
  );
  if (!queue.QueueUrl) throw new Error(`CreateQueue returned no URL for ${name}`);
  return { url: queue.QueueUrl, arn: await queueArn(sqs, queue.QueueUrl) };
}

async function queueArn(sqs: SQSClient, url: string | undefined): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = out.Attributes?.QueueArn;
  if (!arn) throw new Error(`No QueueArn for ${url}`);
  return arn;
}

const bundles = new Map<string, Promise<Uint8Array>>();

/** Creates or updates a function from its bundled entry; returns its ARN. */
export async function deployFunction(
  lambda: LambdaClient,
  name: string,
  spec: { entry: string; timeoutSec: number; memoryMb: number },
  environment: Record<string, string>,
): Promise<string> {
  let zip = bundles.get(spec.entry);
  if (!zip) {
    zip = bundleFunction(spec.entry);
    bundles.set(spec.entry, zip);
  }
  const code = await zip;
  const config = {
    FunctionName: name,
    Runtime: LAMBDA_RUNTIME,
    Handler: 'index.handler',
    Role: LOCAL_ROLE,
    Timeout: spec.timeoutSec,
    MemorySize: spec.memoryMb,
    Environment: { Variables: environment },
  };
  try {
    await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: code }));
    await lambda.send(new UpdateFunctionConfigurationCommand(config));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await lambda.send(new CreateFunctionCommand({ ...config, Code: { ZipFile: code } }));
  }
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 60 }, { FunctionName: name });
  const out = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
  const arn = out.Configuration?.FunctionArn;
  if (!arn) throw new Error(`No ARN for function ${name}`);
  return arn;
}

async function subscribe(lambda: LambdaClient, functionName: string, queueArn: string): Promise<void> {
  const existing = await lambda.send(
    new ListEventSourceMappingsCommand({ FunctionName: functionName, EventSourceArn: queueArn }),
  );
  if ((existing.EventSourceMappings ?? []).length > 0) return;
  await lambda.send(
    new CreateEventSourceMappingCommand({
      FunctionName: functionName,
      EventSourceArn: queueArn,
      BatchSize: WEBHOOK.eventBatchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    }),
  );
}
