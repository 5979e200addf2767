/**
 * @module functions/push/deps
 * What the push functions need, built once per cold start from the environment: the jobs,
 * clients and connections tables and the WebSocket API's @connections endpoint.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { z } from 'zod';
import type { PushMessage } from '../../core/api/push-events.ts';
import { awsClient, createAwsClients } from '../../core/aws.ts';
import { ClientStore } from '../../core/client-store.ts';
import { readEnv } from '../../core/env.ts';
import { JobStore } from '../../core/job-store.ts';
import { ConnectionStore } from './connection-store.ts';

const PushEnvSchema = z.object({
  FERRY_TABLE: z.string().min(3, 'must name the DynamoDB jobs table'),
  FERRY_CLIENTS_TABLE: z.string().min(3, 'must name the DynamoDB clients table'),
  FERRY_CONNECTIONS_TABLE: z.string().min(3, 'must name the push connections table'),
  FERRY_PUSH_MANAGEMENT_URL: z.url('must be the WebSocket API @connections endpoint (https://.../stage)'),
});

/** Posts one message to one connection; `gone` when the socket no longer exists. */
export type Post = (connectionId: string, message: PushMessage) => Promise<'sent' | 'gone'>;

export interface PushDeps {
  jobs: JobStore;
  clients: Pick<ClientStore, 'authenticate'>;
  connections: ConnectionStore;
  post: Post;
  logger: Logger;
}

export function pushDepsFromEnv(env: NodeJS.ProcessEnv = process.env): PushDeps {
  const e = readEnv(PushEnvSchema, env);
  const aws = createAwsClients(env);
  const management = awsClient(ApiGatewayManagementApiClient, { endpoint: e.FERRY_PUSH_MANAGEMENT_URL }, env);
  return {
    jobs: new JobStore({ dynamo: aws.dynamo, table: e.FERRY_TABLE }),
    clients: new ClientStore({ dynamo: aws.dynamo, table: e.FERRY_CLIENTS_TABLE }),
    connections: new ConnectionStore({ dynamo: aws.dynamo, table: e.FERRY_CONNECTIONS_TABLE }),
    post: async (connectionId, message) => {
      try {
        await management.send(
          new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify(message) }),
        );
        return 'sent';
      } catch (error) {
        if (
          error instanceof GoneException ||
          (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410
        )
          return 'gone';
        throw error;
      }
    },
    logger: new Logger({ serviceName: 'ferry-push' }),
  };
}
