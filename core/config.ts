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

/** The task a job runs when nobody names one. */
export const DEFAULT_TASK = 'ocr';

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

/** Queue of webhook deliveries: retried with exponential backoff via message delays. */
export const WEBHOOK = {
  /** Delivery attempts before the outcome is recorded as failed. */
  maxAttempts: 6,
  /** Delay before the 2nd attempt, in seconds; doubled each time, capped at SQS's 900 s. */
  firstRetryDelaySec: 10,
  /** Per-attempt HTTP timeout, in milliseconds. */
  requestTimeoutMs: 10_000,
  /** Visibility timeout of the webhooks queue, in seconds (covers one delivery attempt). */
  visibilityTimeoutSec: 30,
} as const;

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
} as const;
