/**
 * @module functions/push/deps
 * What the push functions need, built once per cold start from the environment: the jobs,
 * clients and connections tables and the WebSocket API's @connections endpoint.
 */
import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { z } from 'zod';
import type { PushMessage } from '../../core/api/push-events.ts';
import { awsClient, createAwsClients } from '../../core/aws.ts';
import { ClientStore } from '../../core/client-store.ts';
import { readEnv } from '../../core/env.ts';
import { JobStore } from '../../core/job-store.ts';
import type { Log } from '../../core/log.ts';
import { PUSH } from '../../core/push-config.ts';
import { functionLog } from '../log.ts';
import { ConnectionStore } from './connection-store.ts';

const PushEnvSchema = z.object({
  FERRY_TABLE: z.string().min(3, 'must name the DynamoDB jobs table'),
  FERRY_CLIENTS_TABLE: z.string().min(3, 'must name the DynamoDB clients table'),
  FERRY_CONNECTIONS_TABLE: z.string().min(3, 'must name the push connections table'),
  FERRY_PUSH_MANAGEMENT_URL: z.url('must be the WebSocket API @connections endpoint (https://.../stage)'),
});

/**
 * Posts one message to one connection; `gone` when the socket no longer exists. Any other
 * failure (throttled, 5xx, `signal` aborted) is thrown.
 */
export type Post = (
  connectionId: string,
  message: PushMessage,
  signal?: AbortSignal,
) => Promise<'sent' | 'gone'>;

export interface PushDeps {
  jobs: JobStore;
  clients: Pick<ClientStore, 'authenticate'>;
  connections: ConnectionStore;
  post: Post;
  log: Log;
}

export function pushDepsFromEnv(env: NodeJS.ProcessEnv = process.env): PushDeps {
  const e = readEnv(PushEnvSchema, env);
  const aws = createAwsClients(env);
  // The SDK's retry is the bounded retry of a throttled, 5xx or dropped post, with a short fixed
  // delay: its default backoff for throttling (up to a second) would hold the whole batch.
  const management = awsClient(
    ApiGatewayManagementApiClient,
    {
      endpoint: e.FERRY_PUSH_MANAGEMENT_URL,
      retryStrategy: new ConfiguredRetryStrategy(PUSH.postAttempts, () => PUSH.postRetryDelayMs),
    },
    env,
  );
  return {
    jobs: new JobStore({ dynamo: aws.dynamo, table: e.FERRY_TABLE }),
    clients: new ClientStore({ dynamo: aws.dynamo, table: e.FERRY_CLIENTS_TABLE }),
    connections: new ConnectionStore({ dynamo: aws.dynamo, table: e.FERRY_CONNECTIONS_TABLE }),
    post: async (connectionId, message, signal) => {
      try {
        await management.send(
          new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify(message) }),
          signal ? { abortSignal: signal } : {},
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
    log: functionLog('push'),
  };
}
