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
  /**
   * Stream records the fan-out gets per invocation. Each record can mean a post to every
   * watcher of its owner: 25 records x 1000 watchers stays well inside the fan-out's timeout,
   * and streamParallelizationFactor batches run at once per shard instead of one big one.
   */
  streamBatchSize: 25,
  /** Batches of one shard processed at once (AWS keeps each job's records in order). */
  streamParallelizationFactor: 4,
  /**
   * Retries of a batch the fan-out failed (it reports only records whose watchers it could not
   * read; bisecting splits a batch that throws), after which the batch's description goes to
   * the fan-out failures queue. Without a limit AWS retries for the stream's 24 hours and the
   * shard stops.
   */
  streamMaxRetryAttempts: 3,
  /** Older records are not worth pushing (a watcher gets the current state when it resubscribes). */
  streamMaxRecordAgeSec: 300,
  /** PostToConnection calls in flight at once in one fan-out invocation. */
  postConcurrency: 32,
  /**
   * Longest wait for one post, its SDK retry included; a post that takes longer is dropped with
   * the rest of that connection's events in the batch, so it holds up no other watcher.
   */
  postTimeoutMs: 2000,
  /** SDK attempts of one post (a throttled, 5xx or dropped post is tried once more). */
  postAttempts: 2,
  /** Wait before that retry. */
  postRetryDelayMs: 100,
  /**
   * How often a watcher sends `{"action":"ping"}` (answered with nothing). API Gateway closes a
   * WebSocket idle for 10 minutes; any message from the client resets that clock.
   */
  pingIntervalMs: 5 * 60_000,
  /** Stage of the WebSocket API, locally and on AWS. */
  stage: '$default',
} as const;

/** Local names of the push resources (AWS names come from SST). */
export const LOCAL_PUSH_RESOURCES = {
  connectionsTable: 'ferry-push-connections',
  socketFunction: 'ferry-push-socket',
  fanoutFunction: 'ferry-push-fanout',
  webSocketApi: 'ferry-push',
  /** Descriptions of stream batches the fan-out gave up on (its on-failure destination). */
  fanoutFailuresQueue: 'ferry-push-fanout-failures',
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
