/**
 * @module core/config
 * The facts every part of Ferry agrees on: key prefixes, queue timings, retry counts and the
 * jobs table schema. Local provisioning (scripts/), the AWS stack (infra/), the functions and
 * the worker all import them from here, so a change lands everywhere at once.
 */

/** Where objects live in the bucket. Ingest listens on `uploads`; the worker writes only `results`. */
export const KEY_PREFIX = {
  uploads: 'uploads/',
  results: 'results/',
} as const;

/**
 * Port of the worker's health endpoint (gpu-worker/health.ts: /healthz, /readyz, /metrics): the
 * worker's default, the ECS container definition and health check (infra/worker-config.ts), and
 * the Dockerfile's ENV, EXPOSE and HEALTHCHECK (which cannot import it: a unit test compares them).
 */
export const WORKER_HEALTH_PORT = 9400;

/** Jobs queue settings (SQS). */
export const QUEUE = {
  /**
   * How long a received message stays hidden, in seconds. Short on purpose: the worker's
   * heartbeat extends it while a job runs, so a dead worker's job comes back within a minute.
   */
  visibilityTimeoutSec: 60,
  /** Deliveries before SQS moves a message to the dead-letter queue. */
  maxReceiveCount: 5,
  /** Long-poll wait per ReceiveMessage call, in seconds (SQS maximum is 20). */
  receiveWaitTimeSec: 20,
  /** How long an unprocessed message is kept, in seconds (4 days). */
  messageRetentionSec: 4 * 24 * 3600,
  /** How long a dead letter is kept for inspection, in seconds (14 days, the SQS maximum). */
  deadLetterRetentionSec: 14 * 24 * 3600,
} as const;

/** Network limits of every AWS SDK client (functions, worker, CLI). */
export const AWS_CLIENT = {
  /** Longest wait for a TCP connection, in ms. */
  connectTimeoutMs: 3_000,
  /** Longest silence on an open request, in ms; above the 20 s long poll, which is silent. */
  idleTimeoutMs: (QUEUE.receiveWaitTimeSec + 10) * 1000,
} as const;

/** Jobs table (DynamoDB) schema. */
export const TABLE = {
  partitionKey: 'jobId',
  /** GSI that lists jobs by status, newest first. */
  statusIndex: { name: 'byStatus', partitionKey: 'status', sortKey: 'createdAt' },
  /** GSI that lists one client's jobs, newest first (GET /jobs: one query per page). */
  clientIndex: { name: 'byClient', partitionKey: 'clientId', sortKey: 'createdAt' },
  /** TTL attribute, epoch seconds. */
  ttlAttribute: 'expiresAt',
} as const;

/** Job lifecycle timings. */
export const JOB = {
  /** Days a job record (and its TTL) lives after its last change. */
  retentionDays: 30,
  /**
   * How long a worker's claim on a RUNNING job holds without a heartbeat, in seconds.
   * Equal to the queue's visibility timeout: when the message reappears, the lease has lapsed.
   */
  leaseSec: QUEUE.visibilityTimeoutSec,
  /** Heartbeat period while a job runs, in seconds (a third of the lease, so two may be missed). */
  heartbeatSec: Math.floor(QUEUE.visibilityTimeoutSec / 3),
  /** A job still QUEUED this long after it was queued ends FAILED `EXPIRED` without running, in seconds. */
  queueTtlSec: 24 * 3600,
  /** Run-time deadline of a job that names none and whose task sets none, in seconds. */
  defaultTimeoutSec: 15 * 60,
  /** Longest run-time deadline a job may ask for, in seconds (worker's FERRY_MAX_JOB_TIMEOUT_SEC). */
  maxTimeoutSec: 6 * 3600,
} as const;

/** Lambda runtime of every function, locally (scripts/local/provision.ts) and on AWS (infra/). */
export const LAMBDA_RUNTIME: 'nodejs24.x' = 'nodejs24.x';

/**
 * The Lambda functions: entry file (bundled by esbuild) and limits, shared by local
 * provisioning and infra/.
 */
export const FUNCTIONS = {
  /** asyncRetries: Lambda's own retries of a failed S3 invocation (the maximum), before the on-failure destination. */
  ingest: { entry: 'functions/ingest/handler.ts', timeoutSec: 30, memoryMb: 256, asyncRetries: 2 },
  api: { entry: 'functions/api/handler.ts', timeoutSec: 15, memoryMb: 256 },
  webhook: { entry: 'functions/webhook/handler.ts', timeoutSec: 30, memoryMb: 256 },
  reconciler: { entry: 'functions/reconciler/handler.ts', timeoutSec: 60, memoryMb: 256 },
} as const;

/**
 * The reconciler (core/reconcile.ts): what it takes for a job to be stranded, so it re-sends the
 * job's message or ends it. Run by the worker's sweep and by the scheduled reconciler function.
 */
export const RECONCILE = {
  /** How often it runs, in seconds. */
  everySec: 60,
  /**
   * A claim to send a job's message older than this was held by an invocation that is gone
   * (the ingest function's timeout, plus a margin), in seconds.
   */
  sendClaimStaleSec: FUNCTIONS.ingest.timeoutSec + 5,
  /**
   * A RUNNING job whose lease lapsed this long ago and that nobody took over gets a new message,
   * in seconds: past the longest transient-retry hide (5 min) plus a visibility timeout, so a
   * job waiting out its backoff is not re-sent early.
   */
  orphanAfterSec: 300 + QUEUE.visibilityTimeoutSec + 60,
  /** Most jobs of one status looked at per run (oldest pages may wait for the next run). */
  maxJobsPerRun: 2000,
} as const;

/**
 * Bringing back uploads whose ingest event was lost (core/ingest/recovery.ts), run beside the
 * reconciler: by the scheduled reconciler function, and locally by the worker's sweep.
 */
export const INGEST_RECOVERY = {
  /** Failed S3 events replayed per run at most (the rest wait for the next run). */
  maxReplaysPerRun: 500,
  /**
   * How long a replayed event that failed again stays hidden, in seconds: about one reconciler
   * period, so each run retries what is still failing once.
   */
  replayRetryAfterSec: RECONCILE.everySec,
  orphanSweep: {
    /**
     * How often the bucket is listed for uploads without a job, in seconds. Each sweep lists
     * every object under uploads/ (1,000 per request), so a sweep costs one LIST request per
     * 1,000 stored uploads, plus one read per object in the age window.
     */
    everySec: 900,
    /**
     * An object younger than this is left to its own event, which may still be on its way, in
     * seconds: past the ingest function's async retries (about 1 and 2 minutes on Lambda).
     */
    minAgeSec: 300,
    /**
     * An object older than this is never looked at, in seconds: far below the job record's
     * retention (JOB.retentionDays), so an input whose job ended and expired never runs again.
     */
    maxAgeSec: 6 * 3600,
  },
} as const;

/** CloudWatch namespace of Ferry's own metrics (Embedded Metric Format, from the functions' logs). */
export const METRICS_NAMESPACE = 'Ferry';

/**
 * The reconciler function's ingest recovery metrics, with the `service` dimension Powertools
 * Metrics adds; infra/alarms.ts alarms on orphans found.
 */
export const RECOVERY_METRICS = {
  service: 'ferry-reconciler',
  replayed: 'IngestEventsReplayed',
  replayFailures: 'IngestReplayFailures',
  orphans: 'OrphanedUploadsFound',
} as const;

/**
 * AWS's advice for a queue that triggers a function: a visibility timeout of at least six times
 * the function's timeout, so a batch retried by the event source mapping is not redelivered
 * while an earlier invocation still holds it.
 */
export const QUEUE_TO_FUNCTION_TIMEOUT_RATIO = 6;

/** Queue of webhook deliveries: retried with exponential backoff via message delays. */
export const WEBHOOK = {
  /** Delivery attempts before the outcome is recorded as failed. */
  maxAttempts: 6,
  /** Delay before the 2nd attempt, in seconds; doubled each time, capped at SQS's 900 s. */
  firstRetryDelaySec: 10,
  /** Per-attempt HTTP timeout, in milliseconds. */
  requestTimeoutMs: 10_000,
  /** Visibility timeout of the webhooks queue, in seconds: 6 x the delivery function's timeout. */
  visibilityTimeoutSec: QUEUE_TO_FUNCTION_TIMEOUT_RATIO * FUNCTIONS.webhook.timeoutSec,
  /**
   * Receives before a webhook message moves to its DLQ. HTTP failures are retried by
   * re-enqueueing with a delay, so this only counts crashes and lost bookkeeping.
   */
  maxReceiveCount: 5,
  /** Messages the event source mapping hands one invocation of the delivery function (1..10). */
  eventBatchSize: 10,
} as const;

/**
 * CORS of the bucket, for browser uploads with a presigned PUT or POST (ETag exposed for multipart
 * clients). Origins and max age are per-stage options on AWS (infra/options.ts); these defaults
 * are what local provisioning uses.
 */
export const BUCKET_CORS = {
  allowedMethods: ['GET', 'HEAD', 'POST', 'PUT'],
  allowedHeaders: ['*'],
  exposeHeaders: ['ETag'],
  origins: ['*'],
  maxAgeSec: 3000,
} as const;

/**
 * Task names: lowercase letters, digits and dashes, starting with a letter, at most 64
 * characters. The API's `task` field, ingest's `ferry-task` metadata and the worker's registry
 * all check this one pattern.
 */
export const TASK_NAME_MAX_LENGTH = 64;
export const TASK_NAME = new RegExp(`^[a-z][a-z0-9-]{0,${TASK_NAME_MAX_LENGTH - 1}}$`);

/** Names of the resources when Ferry runs against a local emulator. AWS names come from SST. */
export const LOCAL_RESOURCES = {
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:4566',
  bucket: 'ferry-local',
  table: 'ferry-jobs',
  queue: 'ferry-jobs',
  deadLetterQueue: 'ferry-jobs-dlq',
  webhookQueue: 'ferry-webhooks',
  webhookDeadLetterQueue: 'ferry-webhooks-dlq',
  /** S3 events the ingest function failed on after its retries (its on-failure destination). */
  ingestFailuresQueue: 'ferry-ingest-failures',
  ingestFunction: 'ferry-ingest',
  webhookFunction: 'ferry-webhook',
  clientsTable: 'ferry-clients',
  parameterPrefix: '/ferry/local',
} as const;

/**
 * Clients table (DynamoDB), one table for three kinds of item, told apart by the partition
 * key's prefix: `client#<clientId>` (name, limits, the rate-limit bucket), `key#<sha256 of an
 * API key>` (owner, revocation) and `day#<clientId>#<YYYY-MM-DD>` (jobs created that UTC day,
 * expiring through TTL). Only hashes of API keys are stored.
 */
export const CLIENTS_TABLE = {
  partitionKey: 'pk',
  /** TTL attribute, epoch seconds (day counters only). */
  ttlAttribute: 'expiresAt',
  /** ops: the deployment's own counters and sweep claims (core/ingest/recovery-stats.ts). */
  prefix: { client: 'client#', key: 'key#', day: 'day#', ops: 'ops#' },
} as const;

/** Per-client limits when a client sets none of its own. */
export const CLIENT_LIMITS = {
  /** Sustained API requests per second (token bucket refill rate). */
  requestsPerSec: 50,
  /** Requests that may arrive at once (token bucket capacity). */
  burst: 100,
  /** Jobs a client may create per UTC day through POST /uploads. */
  jobsPerDay: 10_000,
} as const;

/**
 * SSM Parameter Store layout (SecureString), under a deployment prefix such as `/ferry/prod`.
 * Nothing secret is ever put in a function's or task's environment: functions get the prefix
 * and read these at cold start, cached for `cacheSec`.
 */
export const PARAMETERS = {
  /** A client's webhook signing secrets, newest first, space-separated (two during a rotation). */
  webhookSecret: (prefix: string, clientId: string) => `${prefix}/clients/${clientId}/webhook-secret`,
  /** Path pattern of every client's webhook secret (IAM resource of the webhook function). */
  webhookSecretPattern: (prefix: string) => `${prefix}/clients/*/webhook-secret`,
  /** HMAC key that signs GET /jobs cursors. */
  cursorKey: (prefix: string) => `${prefix}/api/cursor-key`,
  /**
   * How long a read parameter is cached, in seconds. A rotated webhook secret is picked up within
   * this time; rotation keeps the old secret signing meanwhile, so receivers never see a gap.
   */
  cacheSec: 60,
} as const;
