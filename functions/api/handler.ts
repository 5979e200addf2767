/**
 * @module functions/api/handler
 * Lambda adapter for the HTTP API (API Gateway HTTP API, payload v2, catch-all route). The
 * configuration is read and validated once per cold start, on the first request (a ConfigError
 * names every bad variable); the same handler serves the local API (local-server.ts), which
 * loads it at start-up so a bad configuration stops `npm start` at once.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { handle } from 'hono/aws-lambda';
import { createApp } from './app.ts';
import { apiDepsFromEnv } from './deps.ts';

type LambdaHandler = (
  event: APIGatewayProxyEventV2,
  context?: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

let cached: LambdaHandler | undefined;

/** Builds the API from the environment (once); throws ConfigError when the environment is wrong. */
export function loadApi(): LambdaHandler {
  cached ??= handle(createApp(apiDepsFromEnv())) as unknown as LambdaHandler;
  return cached;
}

export async function handler(
  event: APIGatewayProxyEventV2,
  context?: Context,
): Promise<APIGatewayProxyStructuredResultV2> {
  return loadApi()(event, context);
}
