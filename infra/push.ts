/**
 * @module infra/push
 * The push channel on AWS: an API Gateway WebSocket API whose routes run the socket function,
 * a stream (new and old images) on the jobs table feeding the fan-out function, and the
 * connections table (TTL). No compute is held per watcher: a socket costs API Gateway
 * connection minutes and a few table rows. Shapes from core/push-config.ts, as in local
 * provisioning (scripts/local/provision-push.ts). Also the web app, as a static site.
 *
 * The stream mapping is bounded so one bad batch cannot stop the shard: the fan-out reports
 * only the records it could not serve (ReportBatchItemFailures), a batch that throws is bisected,
 * retries and record age are capped, and what is given up goes to the fan-out failures queue.
 */
import { QUEUE } from '../core/config.ts';
import { CONNECTIONS_TABLE, PUSH, PUSH_FUNCTIONS } from '../core/push-config.ts';
import { functionArgs } from './functions.ts';
import { type FunctionsOptions, handlerOf } from './options.ts';
import type { Storage } from './storage.ts';

export interface PushInput {
  storage: Storage;
  clients: sst.aws.Dynamo;
  functions: FunctionsOptions;
  apiUrl: $util.Input<string>;
}

export interface Push {
  socket: sst.aws.ApiGatewayWebSocket;
  connections: sst.aws.Dynamo;
  /** Stream batches the fan-out gave up on (the mapping's on-failure destination). */
  fanoutFailures: sst.aws.Queue;
  web: sst.aws.StaticSite;
}

export function createPush({ storage, clients, functions, apiUrl }: PushInput): Push {
  const connections = new sst.aws.Dynamo('PushConnections', {
    fields: { [CONNECTIONS_TABLE.partitionKey]: 'string', [CONNECTIONS_TABLE.sortKey]: 'string' },
    primaryIndex: { hashKey: CONNECTIONS_TABLE.partitionKey, rangeKey: CONNECTIONS_TABLE.sortKey },
    ttl: CONNECTIONS_TABLE.ttlAttribute,
  });
  const socket = new sst.aws.ApiGatewayWebSocket('Push');
  const manage = {
    actions: ['execute-api:ManageConnections'],
    resources: [$interpolate`${socket.nodes.api.executionArn}/*/POST/@connections/*`],
  };
  const environment = {
    FERRY_TABLE: storage.table.name,
    FERRY_CLIENTS_TABLE: clients.name,
    FERRY_CONNECTIONS_TABLE: connections.name,
    FERRY_PUSH_MANAGEMENT_URL: socket.managementEndpoint,
  };
  const connectionRows = {
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem'],
    resources: [connections.arn],
  };
  // One function for every route (by ARN), rather than SST's function per route.
  const socketHandler = new sst.aws.Function(
    'PushSocket',
    functionArgs(functions, {
      description: 'Ferry: push channel routes ($connect, $disconnect, subscribe)',
      handler: handlerOf(PUSH_FUNCTIONS.socket.entry),
      timeout: `${PUSH_FUNCTIONS.socket.timeoutSec} seconds`,
      memory: `${PUSH_FUNCTIONS.socket.memoryMb} MB`,
      environment,
      permissions: [
        connectionRows,
        manage,
        { actions: ['dynamodb:GetItem'], resources: [storage.table.arn, clients.arn] },
      ],
    }),
  );
  for (const route of ['$connect', '$disconnect', '$default', 'subscribe', 'unsubscribe']) {
    socket.route(route, socketHandler.arn);
  }
  const fanoutFailures = new sst.aws.Queue('PushFanoutFailuresQueue', {
    transform: {
      queue: { sqsManagedSseEnabled: true, messageRetentionSeconds: QUEUE.deadLetterRetentionSec },
    },
  });
  storage.table.subscribe(
    'PushFanout',
    functionArgs(functions, {
      description: 'Ferry: posts job changes to their watchers',
      handler: handlerOf(PUSH_FUNCTIONS.fanout.entry),
      timeout: `${PUSH_FUNCTIONS.fanout.timeoutSec} seconds`,
      memory: `${PUSH_FUNCTIONS.fanout.memoryMb} MB`,
      environment,
      permissions: [
        connectionRows,
        manage,
        { actions: ['sqs:SendMessage'], resources: [fanoutFailures.arn] },
      ],
    }),
    {
      transform: {
        eventSourceMapping: {
          batchSize: PUSH.streamBatchSize,
          startingPosition: 'LATEST',
          parallelizationFactor: PUSH.streamParallelizationFactor,
          bisectBatchOnFunctionError: true,
          maximumRetryAttempts: PUSH.streamMaxRetryAttempts,
          maximumRecordAgeInSeconds: PUSH.streamMaxRecordAgeSec,
          functionResponseTypes: ['ReportBatchItemFailures'],
          destinationConfig: { onFailure: { destinationArn: fanoutFailures.arn } },
        },
      },
    },
  );
  const web = new sst.aws.StaticSite('Web', {
    path: '.',
    build: { command: 'npx vite build web', output: 'web/dist' },
    environment: { VITE_FERRY_API_URL: apiUrl, VITE_FERRY_PUSH_URL: socket.url },
  });
  return { socket, connections, fanoutFailures, web };
}
