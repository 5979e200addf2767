/**
 * @module scripts/local/provision-push
 * The push channel in a local emulator, idempotently: a DynamoDB stream (new and old images) on
 * the jobs table, the connections table with TTL, the socket and fan-out functions, the
 * WebSocket API with its routes and stage, the stream-to-fan-out mapping and its on-failure
 * queue. The same shapes and settings as infra/push.ts, from core/push-config.ts (which of the
 * mapping's settings MiniStack honours: docs/platform-notes.md).
 */
import {
  ApiGatewayV2Client,
  CreateApiCommand,
  CreateIntegrationCommand,
  CreateRouteCommand,
  CreateStageCommand,
  GetApisCommand,
  GetRoutesCommand,
} from '@aws-sdk/client-apigatewayv2';
import { DescribeTableCommand, DynamoDBClient, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
} from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { awsClient } from '../../core/aws.ts';
import { callLogEnv } from '../../core/aws-calls.ts';
import {
  CONNECTIONS_TABLE,
  LOCAL_PUSH_RESOURCES,
  localPushUrls,
  PUSH,
  PUSH_FUNCTIONS,
} from '../../core/push-config.ts';
import { resourcesToEnv } from '../../core/resources.ts';
import { createQueue, createTableWithTtl, deployFunction, type LocalOutputs } from './provision.ts';

export type PushNames = typeof LOCAL_PUSH_RESOURCES;

export interface PushOutputs {
  /** Where watchers connect (ws://...). */
  pushUrl: string;
  /** The @connections endpoint the functions post to. */
  managementUrl: string;
  connectionsTable: string;
  webSocketApiId: string;
  /** Stream batches the fan-out gave up on (its on-failure destination). */
  fanoutFailuresQueueUrl: string;
}

const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/** Names with a suffix, so each test file gets resources of its own. */
export function suffixedPushNames(suffix: string): PushNames {
  return Object.fromEntries(
    Object.entries(LOCAL_PUSH_RESOURCES).map(([k, v]) => [k, `${v}-${suffix}`]),
  ) as unknown as PushNames;
}

export interface ProvisionPushOptions {
  /**
   * Where the functions reach the emulator's @connections API. @defaultvalue the emulator's
   * endpoint; a test puts a fault proxy here.
   */
  managementEndpoint?: string;
}

export async function provisionPush(
  outputs: LocalOutputs,
  names: PushNames = LOCAL_PUSH_RESOURCES,
  options: ProvisionPushOptions = {},
): Promise<PushOutputs> {
  const config = { endpoint: outputs.endpoint, region: outputs.region, credentials: TEST_CREDENTIALS };
  // No environment: provisioning's own calls are never recorded (see provision.ts).
  const dynamo = awsClient(DynamoDBClient, config, {});
  const lambda = awsClient(LambdaClient, config, {});
  const gateway = awsClient(ApiGatewayV2Client, config, {});
  const sqs = awsClient(SQSClient, config, {});

  const [streamArn, fanoutFailures] = await Promise.all([
    enableStream(dynamo, outputs.table),
    createQueue(sqs, names.fanoutFailuresQueue),
    createConnectionsTable(dynamo, names.connectionsTable),
  ]);
  const apiId = await ensureWebSocketApi(gateway, names.webSocketApi);
  const urls = localPushUrls(outputs.endpoint, apiId);
  const { managementUrl } = localPushUrls(options.managementEndpoint ?? outputs.endpoint, apiId);
  const environment = {
    ...resourcesToEnv({
      ...outputs,
      dlqUrl: undefined,
      webhookQueueUrl: undefined,
      ingestFailuresQueueUrl: undefined,
    }),
    FERRY_CONNECTIONS_TABLE: names.connectionsTable,
    FERRY_PUSH_MANAGEMENT_URL: managementUrl,
  };
  const [socketArn] = await Promise.all([
    deployFunction(lambda, names.socketFunction, PUSH_FUNCTIONS.socket, {
      ...environment,
      ...callLogEnv('push-socket'),
    }),
    deployFunction(lambda, names.fanoutFunction, PUSH_FUNCTIONS.fanout, {
      ...environment,
      ...callLogEnv('push-fanout'),
    }),
  ]);
  await ensureRoutes(gateway, apiId, socketArn, outputs.region);
  const existing = await lambda.send(
    new ListEventSourceMappingsCommand({ FunctionName: names.fanoutFunction, EventSourceArn: streamArn }),
  );
  if ((existing.EventSourceMappings ?? []).length === 0) {
    await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: names.fanoutFunction,
        EventSourceArn: streamArn,
        StartingPosition: 'LATEST',
        BatchSize: PUSH.streamBatchSize,
        ParallelizationFactor: PUSH.streamParallelizationFactor,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: PUSH.streamMaxRetryAttempts,
        MaximumRecordAgeInSeconds: PUSH.streamMaxRecordAgeSec,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: fanoutFailures.arn } },
      }),
    );
  }
  return {
    pushUrl: urls.pushUrl,
    managementUrl,
    connectionsTable: names.connectionsTable,
    webSocketApiId: apiId,
    fanoutFailuresQueueUrl: fanoutFailures.url,
  };
}

async function enableStream(dynamo: DynamoDBClient, table: string): Promise<string> {
  const described = await dynamo.send(new DescribeTableCommand({ TableName: table }));
  if (!described.Table?.StreamSpecification?.StreamEnabled) {
    await dynamo.send(
      new UpdateTableCommand({
        TableName: table,
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
  }
  const after = await dynamo.send(new DescribeTableCommand({ TableName: table }));
  const arn = after.Table?.LatestStreamArn;
  if (!arn) throw new Error(`The emulator gave table ${table} no stream`);
  return arn;
}

async function createConnectionsTable(dynamo: DynamoDBClient, table: string): Promise<void> {
  await createTableWithTtl(
    dynamo,
    {
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: CONNECTIONS_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: CONNECTIONS_TABLE.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: CONNECTIONS_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: CONNECTIONS_TABLE.sortKey, KeyType: 'RANGE' },
      ],
    },
    CONNECTIONS_TABLE.ttlAttribute,
  );
}

async function ensureWebSocketApi(gateway: ApiGatewayV2Client, name: string): Promise<string> {
  const apis = await gateway.send(new GetApisCommand({}));
  const found = apis.Items?.find((api) => api.Name === name && api.ProtocolType === 'WEBSOCKET');
  if (found?.ApiId) return found.ApiId;
  const created = await gateway.send(
    new CreateApiCommand({
      Name: name,
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: PUSH.routeSelectionExpression,
    }),
  );
  if (!created.ApiId) throw new Error('CreateApi returned no id');
  await gateway.send(
    new CreateStageCommand({ ApiId: created.ApiId, StageName: PUSH.stage, AutoDeploy: true }),
  );
  return created.ApiId;
}

async function ensureRoutes(
  gateway: ApiGatewayV2Client,
  apiId: string,
  functionArn: string,
  region: string,
): Promise<void> {
  const routes = await gateway.send(new GetRoutesCommand({ ApiId: apiId }));
  if ((routes.Items ?? []).length > 0) return;
  const integration = await gateway.send(
    new CreateIntegrationCommand({
      ApiId: apiId,
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`,
    }),
  );
  for (const routeKey of ['$connect', '$disconnect', '$default', 'subscribe', 'unsubscribe']) {
    await gateway.send(
      new CreateRouteCommand({
        ApiId: apiId,
        RouteKey: routeKey,
        Target: `integrations/${integration.IntegrationId}`,
      }),
    );
  }
}
