/**
 * @module gpu-worker/config
 * The worker's options: one documented schema, read from FERRY_* environment variables with
 * core/env.ts and validated at start with a message naming each bad variable, its value and its
 * allowed range.
 */
import { availableParallelism, hostname } from 'node:os';
import { z } from 'zod';
import { JOB, QUEUE, RECONCILE, WORKER_HEALTH_PORT } from '../core/config.ts';
import { envBool, envEnum, envInt, envList, envNumber, readEnv } from '../core/env.ts';
import { ConfigError } from '../core/errors.ts';

const MiB = 1024 * 1024;
const cores = availableParallelism();

/** The worker's variables; README "The worker" lists each with its default (test/unit/gpu-worker/env-table.test.ts checks it). */
export const WorkerEnvSchema = z.object({
  /** Identifies this worker in job records and logs. @default <hostname>-<pid> */
  FERRY_WORKER_ID: z.string().min(1).default(`${hostname()}-${process.pid}`),
  /**
   * Inference threads, each with its own onnxruntime session set. On CPU one per core with one
   * intra-op thread each measured fastest (docs/platform-notes.md); on a GPU, 1-2 keep it busy.
   * @default number of cores
   */
  FERRY_INFERENCE_THREADS: envInt(1, 64, 'threads').default(cores),
  /** onnxruntime intra-op threads per inference thread. @default 1 */
  FERRY_INTRA_OP_THREADS: envInt(1, 64, 'threads').default(1),
  /**
   * Execution providers in order of preference; each is tried alone and the next is used when it
   * cannot load (an explicit, logged fallback: onnxruntime does not fall back by itself).
   * @default cuda,cpu
   */
  FERRY_EXECUTION_PROVIDERS: envList()
    .pipe(z.array(envEnum(['cuda', 'tensorrt', 'cpu'])).min(1, 'must name at least one provider'))
    .default(['cuda', 'cpu']),
  /**
   * Jobs held at once (claimed, downloading, waiting for or in inference, uploading). Above the
   * thread count so downloads and uploads of the next jobs overlap inference.
   * @default 2 x threads x FERRY_MAX_BATCH_SIZE + 2
   */
  FERRY_MAX_IN_FLIGHT: envInt(1, 1000, 'jobs').optional(),
  /**
   * Largest input of a model task (an image), in bytes; a larger input (a video, for its job task)
   * is streamed to a temporary file instead of memory. @default 20 MiB
   */
  FERRY_MAX_INPUT_BYTES: envInt(1, Number.MAX_SAFE_INTEGER, 'bytes').default(20 * MiB),
  /** Largest decoded image accepted, in pixels (decompression-bomb guard). @default 40 megapixels */
  FERRY_MAX_INPUT_PIXELS: envInt(1, Number.MAX_SAFE_INTEGER, 'pixels').default(40_000_000),
  /** Dynamic batching: most jobs in one inference call. 1 turns batching off. @default 1 */
  FERRY_MAX_BATCH_SIZE: envInt(1, 256, 'jobs').default(1),
  /** Dynamic batching: longest wait for a batch to fill, in ms. @default 5 */
  FERRY_MAX_BATCH_WAIT_MS: envInt(0, 10_000, 'ms').default(5),
  /** Heartbeat period while a job runs, in seconds. @default JOB.heartbeatSec (20) */
  FERRY_HEARTBEAT_SEC: envNumber(0.2, 300, 'seconds').default(JOB.heartbeatSec),
  /**
   * Visibility the heartbeat sets, in seconds; also the job lease. Must exceed the heartbeat
   * period. @default QUEUE.visibilityTimeoutSec (60)
   */
  FERRY_VISIBILITY_TIMEOUT_SEC: envInt(1, 43_200, 'seconds').default(QUEUE.visibilityTimeoutSec),
  /** Long-poll wait per receive, in seconds. @default QUEUE.receiveWaitTimeSec (20) */
  FERRY_RECEIVE_WAIT_SEC: envInt(0, 20, 'seconds').default(QUEUE.receiveWaitTimeSec),
  /** Queue deliveries before a message goes to the DLQ; the last transient failure fails the job. */
  FERRY_MAX_RECEIVE_COUNT: envInt(1, 1000, 'receives').default(QUEUE.maxReceiveCount),
  /** How often the dead-letter queue is checked for jobs to mark FAILED, in seconds. @default 60 */
  FERRY_DLQ_SWEEP_SEC: envNumber(0.2, 3600, 'seconds').default(60),
  /**
   * How long one AWS call is retried (capped, jittered backoff) before the job's own retry path
   * takes over, in seconds: rides out an endpoint outage without failing or re-running jobs.
   * @default 120
   */
  FERRY_AWS_RETRY_SEC: envNumber(0, 3600, 'seconds').default(120),
  /** How often the reconciler sweep runs, in seconds (0 = never; the scheduled function still does). @default RECONCILE.everySec (60) */
  FERRY_RECONCILE_SEC: envNumber(0, 3600, 'seconds').default(RECONCILE.everySec),
  /** A job QUEUED longer than this ends FAILED `EXPIRED` without running, in seconds. @default JOB.queueTtlSec (24 h) */
  FERRY_QUEUE_TTL_SEC: envNumber(1, 14 * 24 * 3600, 'seconds').default(JOB.queueTtlSec),
  /** A RUNNING job whose lease lapsed this long ago gets a new message, in seconds. @default RECONCILE.orphanAfterSec */
  FERRY_ORPHAN_AFTER_SEC: envNumber(0, 24 * 3600, 'seconds').default(RECONCILE.orphanAfterSec),
  /** A claim to send a message older than this is taken over, in seconds. @default RECONCILE.sendClaimStaleSec */
  FERRY_SEND_CLAIM_STALE_SEC: envNumber(0, 3600, 'seconds').default(RECONCILE.sendClaimStaleSec),
  /** Run-time deadline of a job that names none and whose task sets none, in seconds. @default JOB.defaultTimeoutSec (15 min) */
  FERRY_JOB_TIMEOUT_SEC: envNumber(0.1, JOB.maxTimeoutSec, 'seconds').default(JOB.defaultTimeoutSec),
  /** Longest run-time deadline a job or task may ask for, in seconds. @default JOB.maxTimeoutSec (6 h) */
  FERRY_MAX_JOB_TIMEOUT_SEC: envNumber(0.1, 7 * 24 * 3600, 'seconds').default(JOB.maxTimeoutSec),
  /** On SIGTERM, how long in-flight jobs may finish before they are released, in seconds. @default 30 */
  FERRY_SHUTDOWN_GRACE_SEC: envNumber(0, 3600, 'seconds').default(30),
  /** Port of the health and metrics endpoint (0 = any free port). @default WORKER_HEALTH_PORT (9400) */
  FERRY_HEALTH_PORT: envInt(0, 65_535).default(WORKER_HEALTH_PORT),
  /** Extra task modules (paths or package names), each default-exporting a TaskDefinition. */
  FERRY_TASK_MODULES: envList().default([]),
  /**
   * Built-in tasks to load (empty = none, e.g. a worker for your own tasks only, which then
   * loads no OCR models). @default every built-in task
   */
  FERRY_BUILT_IN_TASKS: envList().optional(),
  /** Turn ECS task scale-in protection on while jobs are held (when ECS_AGENT_URI is set). @default true */
  FERRY_TASK_PROTECTION: envBool().default(true),
  /** Seconds of work between checkpoints of a resumable (long) job, e.g. a video. @default 30 */
  FERRY_CHECKPOINT_SEC: envNumber(0.1, 3600, 'seconds').default(30),
  FERRY_LOG_LEVEL: envEnum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
});

export interface WorkerConfig {
  workerId: string;
  inferenceThreads: number;
  intraOpThreads: number;
  executionProviders: string[];
  maxInFlight: number;
  maxInputBytes: number;
  maxInputPixels: number;
  maxBatchSize: number;
  maxBatchWaitMs: number;
  heartbeatMs: number;
  visibilityTimeoutSec: number;
  receiveWaitSec: number;
  maxReceiveCount: number;
  shutdownGraceMs: number;
  awsRetryMs: number;
  dlqSweepMs: number;
  /** 0 = no sweep in this worker. */
  reconcileMs: number;
  queueTtlSec: number;
  orphanAfterSec: number;
  sendClaimStaleSec: number;
  defaultJobTimeoutSec: number;
  maxJobTimeoutSec: number;
  healthPort: number;
  taskModules: string[];
  /** undefined = every built-in task. */
  builtInTasks?: string[];
  taskProtection: boolean;
  checkpointSec: number;
  logLevel: string;
}

export function workerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const e = readEnv(WorkerEnvSchema, env);
  if (e.FERRY_HEARTBEAT_SEC >= e.FERRY_VISIBILITY_TIMEOUT_SEC) {
    throw new ConfigError(
      `Invalid configuration:\n  FERRY_HEARTBEAT_SEC: ${e.FERRY_HEARTBEAT_SEC} must be below FERRY_VISIBILITY_TIMEOUT_SEC (${e.FERRY_VISIBILITY_TIMEOUT_SEC}), or jobs reappear while they run`,
    );
  }
  return {
    workerId: e.FERRY_WORKER_ID,
    inferenceThreads: e.FERRY_INFERENCE_THREADS,
    intraOpThreads: e.FERRY_INTRA_OP_THREADS,
    executionProviders: e.FERRY_EXECUTION_PROVIDERS,
    maxInFlight: e.FERRY_MAX_IN_FLIGHT ?? e.FERRY_INFERENCE_THREADS * e.FERRY_MAX_BATCH_SIZE * 2 + 2,
    maxInputBytes: e.FERRY_MAX_INPUT_BYTES,
    maxInputPixels: e.FERRY_MAX_INPUT_PIXELS,
    maxBatchSize: e.FERRY_MAX_BATCH_SIZE,
    maxBatchWaitMs: e.FERRY_MAX_BATCH_WAIT_MS,
    heartbeatMs: e.FERRY_HEARTBEAT_SEC * 1000,
    visibilityTimeoutSec: e.FERRY_VISIBILITY_TIMEOUT_SEC,
    receiveWaitSec: e.FERRY_RECEIVE_WAIT_SEC,
    maxReceiveCount: e.FERRY_MAX_RECEIVE_COUNT,
    shutdownGraceMs: e.FERRY_SHUTDOWN_GRACE_SEC * 1000,
    awsRetryMs: e.FERRY_AWS_RETRY_SEC * 1000,
    dlqSweepMs: e.FERRY_DLQ_SWEEP_SEC * 1000,
    reconcileMs: e.FERRY_RECONCILE_SEC * 1000,
    queueTtlSec: e.FERRY_QUEUE_TTL_SEC,
    orphanAfterSec: e.FERRY_ORPHAN_AFTER_SEC,
    sendClaimStaleSec: e.FERRY_SEND_CLAIM_STALE_SEC,
    defaultJobTimeoutSec: e.FERRY_JOB_TIMEOUT_SEC,
    maxJobTimeoutSec: e.FERRY_MAX_JOB_TIMEOUT_SEC,
    healthPort: e.FERRY_HEALTH_PORT,
    taskModules: e.FERRY_TASK_MODULES,
    ...(e.FERRY_BUILT_IN_TASKS ? { builtInTasks: e.FERRY_BUILT_IN_TASKS } : {}),
    taskProtection: e.FERRY_TASK_PROTECTION,
    checkpointSec: e.FERRY_CHECKPOINT_SEC,
    logLevel: e.FERRY_LOG_LEVEL,
  };
}

/**
 * Environment the worker process must start with (read by the C library before any code runs,
 * so main.ts cannot set it): glibc's malloc keeps up to 8 x cores heaps ("arenas") for threads,
 * and the inference threads' onnxruntime buffers spread over them; 2 arenas cut the worker's peak
 * RSS by about 100 MiB with two inference threads (bench/README.md). The Dockerfile sets the same.
 */
export const WORKER_PROCESS_ENV = { MALLOC_ARENA_MAX: '2' } as const;
