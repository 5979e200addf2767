/**
 * @module core/push-config
 * Facts of the push channel (WebSocket API + DynamoDB Streams fan-out), shared by local
 * provisioning, infra/ and the push functions.
 */

/** The push functions: entry (bundled by esbuild) and limits, as in core/config.ts FUNCTIONS. */
export const PUSH_FUNCTIONS = {
  /** $connect, $disconnect and the subscribe/unsubscribe routes of the WebSocket API. */
  socket: { entry: 'functions/push/socket-handler.ts', timeoutSec: 10, memoryMb: 256 },
  /** Reads the jobs table's stream and posts each change to its subscribers. */
  fanout: { entry: 'functions/push/fanout-handler.ts', timeoutSec: 60, memoryMb: 256 },
} as const;

/**
 * Connections table (DynamoDB). Items: `conn#<connectionId>` / `meta` (the connection's client)
 * and `client#<clientId>` / `<connectionId>#<jobId or *>` (one per subscription). The fan-out
 * queries only the changed job's owner's partition, so one client's events cannot reach another.
 */
export const CONNECTIONS_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  prefix: { connection: 'conn#', client: 'client#' },
  metaSortKey: 'meta',
  /** Sort-key suffix of an "all my jobs" subscription. */
  allJobs: '*',
} as const;

export const PUSH = {
  /** API Gateway closes a WebSocket after 2 hours; rows live that long, then TTL removes them. */
  connectionTtlSec: 2 * 3600,
  /** Route selection on the `action` field of a client's JSON message. */
  routeSelectionExpression: '$request.body.action',
  /** Most job ids one subscribe message may name. */
  maxJobsPerSubscribe: 100,
  /** Stream records the fan-out gets per invocation. */
  streamBatchSize: 100,
  /** PostToConnection calls in flight at once in one fan-out invocation. */
  postConcurrency: 32,
  /** Stage of the WebSocket API, locally and on AWS. */
  stage: '$default',
} as const;

/** Local names of the push resources (AWS names come from SST). */
export const LOCAL_PUSH_RESOURCES = {
  connectionsTable: 'ferry-push-connections',
  socketFunction: 'ferry-push-socket',
  fanoutFunction: 'ferry-push-fanout',
  webSocketApi: 'ferry-push',
} as const;

/**
 * The WebSocket URL clients connect to and the @connections endpoint functions post to, for a
 * WebSocket API served by a local emulator (MiniStack/LocalStack's path form; on AWS both come
 * from the stack's outputs).
 */
export function localPushUrls(endpoint: string, apiId: string): { pushUrl: string; managementUrl: string } {
  const base = `${endpoint.replace(/\/+$/, '')}/_aws/execute-api/${apiId}/${PUSH.stage}`;
  return { pushUrl: base.replace(/^http/, 'ws'), managementUrl: base };
}
