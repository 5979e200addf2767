/**
 * @module infra/api
 * The HTTP API: API Gateway v2 with one catch-all route to the API function, which routes
 * POST /uploads, GET /jobs, GET /jobs/{id} and DELETE /jobs/{id} itself.
 */
import { FUNCTIONS } from '../core/config.ts';
import { functionArgs, resourceEnvironment } from './functions.ts';
import { apiStatements, scoped } from './iam.ts';
import { type ApiOptions, type FunctionsOptions, handlerOf, sstRetention } from './options.ts';
import type { Queues } from './queues.ts';
import type { Secrets } from './secrets.ts';
import type { Storage } from './storage.ts';

export interface Api {
  api: sst.aws.ApiGatewayV2;
  handler: sst.aws.Function;
}

export interface ApiInput {
  storage: Storage;
  clients: sst.aws.Dynamo;
  queues: Queues;
  secrets: Secrets;
  functions: FunctionsOptions;
  options: ApiOptions;
}

export function createApi({ storage, clients, queues, secrets, functions, options }: ApiInput): Api {
  const handler = new sst.aws.Function(
    'ApiHandler',
    functionArgs(functions, {
      description: 'Ferry: HTTP API (uploads, jobs)',
      handler: handlerOf(FUNCTIONS.api.entry),
      timeout: `${options.timeoutSec} seconds`,
      memory: `${options.memoryMb} MB`,
      environment: {
        ...resourceEnvironment(storage, queues, {
          webhookQueueUrl: queues.webhooks.url,
          clientsTable: clients.name,
          parameterPrefix: secrets.prefix,
        }),
        FERRY_CORS_ORIGINS: options.corsOrigins.join(','),
      },
      permissions: $resolve({
        bucketArn: storage.bucket.arn,
        tableArn: storage.table.arn,
        webhooksQueueArn: queues.webhooks.arn,
        clientsTableArn: clients.arn,
        cursorKeyArn: secrets.cursorKeyArn,
      }).apply((arns) => scoped('ApiHandler', apiStatements(arns))),
    }),
  );

  const api = new sst.aws.ApiGatewayV2('Api', {
    // API Gateway answers CORS preflights itself and replaces the function's CORS headers.
    cors: {
      allowOrigins: options.corsOrigins,
      allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
      exposeHeaders: ['location'],
      maxAge: '1 day',
    },
    accessLog: { retention: sstRetention(options.accessLogRetentionDays) },
    transform: {
      stage: {
        defaultRouteSettings: {
          throttlingRateLimit: options.throttleRatePerSec,
          throttlingBurstLimit: options.throttleBurst,
        },
      },
    },
  });
  // One catch-all route: the function owns routing, so adding an endpoint needs no infra change.
  api.route('$default', handler.arn);

  return { api, handler };
}
