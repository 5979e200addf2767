/**
 * @module functions/push/socket
 * The WebSocket API's routes. `$connect` resolves the API key (query `key=`, since a browser
 * WebSocket cannot send headers, or `Authorization: Bearer`) to a client and refuses unknown
 * keys with 401/403, which fails the handshake. `subscribe` stores the subscriptions first and
 * then sends each named job's current state, so a change between a watcher's GET and its
 * subscribe is never missed (at worst it arrives twice; events carry `at` to order them).
 * `ping` (the watcher's keep-alive, core/push-client.ts) is accepted and not answered.
 */
import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { eventFor, PushRequestSchema } from '../../core/api/push-events.ts';
import { CONNECTIONS_TABLE, PUSH } from '../../core/push-config.ts';
import type { PushDeps } from './deps.ts';

/** The $connect event also carries the handshake's headers and query string. */
export type SocketEvent = APIGatewayProxyWebsocketEventV2 & {
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined>;
};

const MAX_KEY_LENGTH = 256;

export async function handleSocket(deps: PushDeps, event: SocketEvent): Promise<APIGatewayProxyResultV2> {
  const { connectionId, eventType } = event.requestContext;
  if (eventType === 'CONNECT') return connect(deps, event);
  if (eventType === 'DISCONNECT') {
    await deps.connections.removeConnection(connectionId);
    return { statusCode: 200 };
  }
  await message(deps, connectionId, event.body ?? '');
  return { statusCode: 200 };
}

async function connect(deps: PushDeps, event: SocketEvent): Promise<APIGatewayProxyResultV2> {
  const key = presentedKey(event);
  if (!key) return { statusCode: 401, body: 'Connect with ?key=<API key> or "Authorization: Bearer <key>"' };
  const principal = key.length <= MAX_KEY_LENGTH ? await deps.clients.authenticate(key) : undefined;
  if (!principal) return { statusCode: 403, body: 'The API key is not valid' };
  const { connectionId } = event.requestContext;
  await deps.connections.addConnection(connectionId, principal.client.clientId);
  // `?all=1` subscribes to all of the client's jobs in the handshake itself (one round trip less
  // per watcher; nothing to snapshot, so nothing needs posting before the socket opens).
  if (['1', 'true'].includes(event.queryStringParameters?.all ?? '')) {
    await deps.connections.subscribe(connectionId, principal.client.clientId, [CONNECTIONS_TABLE.allJobs]);
  }
  deps.log.info('watcher connected', {
    connectionId,
    clientId: principal.client.clientId,
  });
  return { statusCode: 200 };
}

function presentedKey(event: SocketEvent): string | undefined {
  const query = event.queryStringParameters?.key;
  if (query) return query;
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
  return /^Bearer[ ]+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
}

async function message(deps: PushDeps, connectionId: string, body: string): Promise<void> {
  const reply = (m: Parameters<PushDeps['post']>[1]) => deps.post(connectionId, m);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    await reply({
      type: 'error',
      message: 'Send JSON: {"action":"subscribe","jobIds":[...]} or {"action":"subscribe","all":true}',
    });
    return;
  }
  const parsed = PushRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    await reply({ type: 'error', message: `${issue?.path.join('.') || 'message'}: ${issue?.message}` });
    return;
  }
  // The socket's message was its keep-alive; answering would cost a post per watcher per ping.
  if (parsed.data.action === 'ping') return;
  const clientId = await deps.connections.clientOf(connectionId);
  if (!clientId) {
    await reply({ type: 'error', message: 'This connection is not registered; reconnect' });
    return;
  }
  const { action, jobIds = [], all = false } = parsed.data;
  if (jobIds.length > PUSH.maxJobsPerSubscribe) {
    await reply({ type: 'error', message: `jobIds: at most ${PUSH.maxJobsPerSubscribe} per message` });
    return;
  }
  const targets = [...new Set(jobIds), ...(all ? [CONNECTIONS_TABLE.allJobs] : [])];
  if (action === 'unsubscribe') {
    await deps.connections.unsubscribe(connectionId, clientId, targets);
    await reply({ type: 'unsubscribed', jobIds, all });
    return;
  }
  // Subscribe first, then read: the fan-out sees the subscription for any later change.
  await deps.connections.subscribe(connectionId, clientId, targets);
  const jobs = await Promise.all(jobIds.map((id) => deps.jobs.get(id)));
  // Another client's job is answered exactly like a job that does not exist.
  const owned = jobs.filter((job) => job !== undefined && job.clientId === clientId);
  const unknown = jobIds.filter((id) => !owned.some((job) => job?.jobId === id));
  if (unknown.length > 0) await deps.connections.unsubscribe(connectionId, clientId, unknown);
  await reply({ type: 'subscribed', jobIds: jobIds.filter((id) => !unknown.includes(id)), all, unknown });
  for (const job of owned) {
    const snapshot = job && eventFor(job);
    if (snapshot) await reply(snapshot);
  }
}
