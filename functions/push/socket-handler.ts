/**
 * @module functions/push/socket-handler
 * Lambda entry of the WebSocket API's routes ($connect, $disconnect, subscribe, unsubscribe,
 * $default); the logic is in socket.ts.
 */
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { type PushDeps, pushDepsFromEnv } from './deps.ts';
import { handleSocket, type SocketEvent } from './socket.ts';

let deps: PushDeps | undefined;

export async function handler(event: SocketEvent): Promise<APIGatewayProxyResultV2> {
  deps ??= pushDepsFromEnv();
  return handleSocket(deps, event);
}
