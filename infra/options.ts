/**
 * @module infra/options
 * Every setting of the AWS stack in one place: one options interface per component (TSDoc gives
 * the unit and default), the defaults and the per-stage overrides; the checks are in
 * options-check.ts, their merge in resolve-options.ts, the GPU instance table in instance-types.ts. Pure: no SST or Pulumi globals,
 * so tests import it directly. Shared facts (prefixes, queue timings, schema)
 * are NOT options: they come from core/config.ts and are the same locally and on AWS.
 */
import { BUCKET_CORS, FUNCTIONS, JOB, LAMBDA_RUNTIME, WEBHOOK } from '../core/config.ts';
import { OCR_TASK } from '../core/tasks.ts';

/** Retention values CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
export type LogRetentionDays = (typeof LOG_RETENTION_DAYS)[number];

/** The bucket and the jobs table (infra/storage.ts). */
export interface StorageOptions {
  /**
   * Days an input under `uploads/` is kept before S3 deletes it; 0 keeps inputs forever.
   * Inputs are only read while their job runs.
   * @default 7
   */
  uploadsRetentionDays: number;
  /**
   * Days a result under `results/` is kept; 0 keeps results forever.
   * @default JOB.retentionDays (30), the life of the job record that points at the result
   */
  resultsRetentionDays: number;
  /** Days after which S3 aborts an unfinished multipart upload and frees its parts. @default 1 */
  abortIncompleteUploadAfterDays: number;
  /**
   * Origins allowed to upload to the bucket from a browser (presigned PUT or POST), e.g.
   * `["https://app.example.com"]`. `["*"]` allows any origin; a presigned URL is still required.
   * @default ["*"]
   */
  corsOrigins: string[];
  /** How long browsers may cache the bucket's CORS preflight answer, in seconds. @default 3000 */
  corsMaxAgeSec: number;
  /** Keep overwritten and deleted objects as old versions. @default false */
  versioning: boolean;
  /**
   * Make DynamoDB refuse to delete the jobs table (also against `sst remove`). Turn it off and
   * deploy before any change that replaces the table (its key schema).
   * @default true in production, else false
   */
  tableDeletionProtection: boolean;
}

/** Settings shared by the three Lambda functions (ingest, API, webhook). */
export interface FunctionsOptions {
  /**
   * Lambda runtime; local provisioning uses the default.
   * @default LAMBDA_RUNTIME ("nodejs24.x", core/config.ts)
   */
  runtime: 'nodejs22.x' | 'nodejs24.x';
  /** CPU architecture; arm64 (Graviton) is about 20% cheaper per GB-second. @default "arm64" */
  architecture: 'arm64' | 'x86_64';
  /** Days the functions' CloudWatch logs are kept. @default 30 */
  logRetentionDays: LogRetentionDays;
}

/** The ingest function, notified by S3 on `uploads/` (infra/ingest.ts). */
export interface IngestOptions {
  /** Lambda timeout, in seconds. @default FUNCTIONS.ingest.timeoutSec (30) */
  timeoutSec: number;
  /** Lambda memory, in MB. @default FUNCTIONS.ingest.memoryMb */
  memoryMb: number;
  /**
   * The client that owns files dropped into `uploads/` outside `uploads/<clientId>/`
   * (FERRY_DEFAULT_CLIENT_ID); unset, such jobs run but no API key sees them. @default unset
   */
  defaultClientId?: string;
}

/** The HTTP API (infra/api.ts). */
export interface ApiOptions {
  /** Lambda timeout, in seconds; API Gateway gives up after 30 s. @default FUNCTIONS.api.timeoutSec */
  timeoutSec: number;
  /** Lambda memory, in MB. @default FUNCTIONS.api.memoryMb */
  memoryMb: number;
  /**
   * Origins allowed by the API's CORS (API Gateway answers preflights; also passed to the
   * function as FERRY_CORS_ORIGINS). @default ["*"]
   */
  corsOrigins: string[];
  /** Days API Gateway access logs are kept. @default 30 */
  accessLogRetentionDays: LogRetentionDays;
  /** Steady request rate API Gateway lets through, in requests per second (then 429). @default 50 */
  throttleRatePerSec: number;
  /** Requests API Gateway lets through in a burst above the steady rate. @default 100 */
  throttleBurst: number;
}

/** Webhook delivery: the webhooks queue, its DLQ and the delivery function (infra/webhooks.ts). */
export interface WebhookOptions {
  /**
   * Lambda timeout, in seconds. At most a sixth of the webhooks queue's visibility timeout
   * (WEBHOOK.visibilityTimeoutSec in core/config.ts), as AWS advises for a queue-triggered function.
   * @default FUNCTIONS.webhook.timeoutSec
   */
  timeoutSec: number;
  /** Lambda memory, in MB. @default FUNCTIONS.webhook.memoryMb */
  memoryMb: number;
  /** Messages handed to one invocation (1..10). @default WEBHOOK.eventBatchSize (10) */
  batchSize: number;
  /**
   * Receives before a webhook message moves to its DLQ. HTTP failures are retried by
   * re-enqueueing with a delay, so this only counts crashes and lost bookkeeping.
   * @default WEBHOOK.maxReceiveCount (5), the same as locally
   */
  maxReceiveCount: number;
}

/** How the GPU instances in private subnets reach AWS APIs (infra/network.ts). */
export type EgressMode =
  /** One NAT gateway per AZ: managed and highly available, about $33/month each idle. */
  | 'nat-gateway'
  /** One t4g.nano fck-nat instance per AZ: about $3/month each, a single point of failure per AZ. */
  | 'nat-instance'
  /** No internet route at all: interface endpoints for SQS, ECR, Logs and ECS, about $7.30/month each per AZ. */
  | 'vpc-endpoints';

/** The VPC (infra/network.ts). S3 and DynamoDB gateway endpoints are always added: they are free. */
export interface NetworkOptions {
  /**
   * How private subnets reach SQS, ECR, CloudWatch Logs and ECS; see EgressMode and docs/deploy.md
   * for the monthly cost of each. Webhooks are sent by a Lambda outside the VPC, so the GPU
   * workers need no general internet access.
   * Warning: switching removes the old path before the new one works; running workers lose AWS
   * access for a few minutes. Switch while the fleet is at zero.
   * @default "nat-gateway" in production, else "nat-instance"
   */
  egress: EgressMode;
  /**
   * Availability zones to spread subnets over.
   * Warning: changing this replaces the subnets, and with them the GPU instances and NATs.
   * @default 2
   */
  azCount: number;
}

/** The GPU worker fleet: ECR, ECS cluster on EC2 GPU instances, task and service (infra/gpu-fleet.ts). */
export interface GpuFleetOptions {
  /**
   * EC2 instance types, most preferred first; each must have an NVIDIA GPU and run the x86_64
   * ECS GPU AMI. Spot picks among all of them by price and capacity.
   * Changing the list updates the Auto Scaling group in place; running instances keep their type.
   * @default ["g6.xlarge", "g5.xlarge"]
   */
  instanceTypes: string[];
  /** Run on Spot capacity (about 60-70% cheaper, may be reclaimed with 2 minutes' notice). @default false */
  spot: boolean;
  /** Most GPU workers (one task and one instance each) that may run at once. @default 2, 4 in production */
  maxWorkers: number;
  /** CPU reserved for one worker task, in ECS CPU units (1024 = one vCPU). @default 2048 */
  taskCpuUnits: number;
  /** Memory reserved for one worker task (soft limit), in MiB. Must fit the smallest instance type. @default 8192 */
  taskMemoryReservationMiB: number;
  /**
   * Root EBS volume of each instance (gp3, encrypted), in GiB; holds the worker image. A change
   * makes a new launch template version: instances launched afterwards get it. @default 60
   */
  rootVolumeGiB: number;
  /**
   * Root volume throughput, in MiB/s (gp3: 125 included, up to 1000). Image layers are written
   * and decompressed here on every cold start. @default 500
   */
  rootVolumeThroughputMiBps: number;
  /** Root volume IOPS (gp3: 3000 included, at least throughput x 4). @default 3000 */
  rootVolumeIops: number;
  /**
   * Stopped instances kept ready in an Auto Scaling warm pool (boot and ECS agent already done;
   * billed for their EBS only). 0: no warm pool. @default 0
   */
  warmPoolSize: number;
  /**
   * A pre-baked AMI id (the ECS GPU AMI with the worker image already pulled) used instead of
   * amiSsmParameter; cuts the image pull from a cold start. @default undefined
   */
  amiId: string | undefined;
  /**
   * SSM parameter holding the ECS GPU-optimised AMI id. Resolved at deploy time: a new AMI
   * reaches instances launched after the next deploy.
   * @default "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"
   */
  amiSsmParameter: string;
  /**
   * Tag of the worker image in the stack's ECR repository. A change registers a new task
   * definition revision and rolls the service (tasks holding a job finish it first).
   * @default "latest"
   */
  imageTag: string;
  /** FERRY_EXECUTION_PROVIDERS for the worker, most preferred first. @default "cuda,cpu" */
  executionProviders: string;
  /** Seconds the worker gets between SIGTERM and SIGKILL (the ECS maximum is 120). @default 120 */
  stopTimeoutSec: number;
  /** Seconds a new instance needs before its metrics count (boot, agent, image pull). @default 300 */
  instanceWarmupSec: number;
  /** Days the worker's CloudWatch logs are kept. @default 30 */
  logRetentionDays: LogRetentionDays;
  /** Extra environment for the worker container (e.g. FERRY_OCR_* tuning). @default {} */
  environment: Record<string, string>;
  /** CloudWatch Container Insights on the cluster (billed per metric). @default false */
  containerInsights: boolean;
}

/**
 * Scaling of the worker service, fast to start and slow to stop (infra/scaling.ts; the reasoning
 * and the arithmetic are in infra/scaling-plan.ts).
 */
export interface ScalingOptions {
  /**
   * Jobs one worker completes per second, measured (`npm run bench`, pipeline row, on the
   * instance type you deploy). With acceptableWaitSec it sets the backlog one worker is left
   * with: targetBacklogPerWorker = floor(workerThroughputPerSec x acceptableWaitSec).
   * @default 4.28, the OCR task's measured rate (core/tasks.ts OCR_TASK: the CPU pipeline on 2
   * cores, README Performance, a floor for a GPU worker)
   */
  workerThroughputPerSec: number;
  /**
   * Seconds a job may wait for a worker before another one is worth starting. Below one cold
   * start (about 5 minutes) a new worker arrives too late to help.
   * @default 300
   */
  acceptableWaitSec: number;
  /** Seconds after a scale-out before the next scale-out may act. @default 60 */
  scaleOutCooldownSec: number;
  /**
   * Consecutive minutes with more workers than the backlog needs before one scale-in step (to
   * the needed count, never below one while jobs are queued or running). @default 10
   */
  scaleInMinutes: number;
  /** Seconds after a scale-in before the next scale-in may act. @default 300 */
  scaleInCooldownSec: number;
  /**
   * Minutes the jobs queue must be completely empty (nothing waiting, nothing in flight)
   * before the service scales to zero tasks; the instances follow 15 minutes later (ECS
   * managed scaling). Idle tail: infra/scaling-plan.ts idleTailMinutes(). @default 5
   */
  scaleInIdleMinutes: number;
}

/** Operational alarms (infra/alarms.ts). */
export interface AlarmOptions {
  /** E-mail subscribed to the alarm topic (AWS sends a confirmation first). @default undefined: no subscription */
  email: string | undefined;
  /** Age of the oldest waiting job, in seconds, that raises the alarm. @default 900 */
  oldestJobAgeSec: number;
}

/** All of the stack's settings, one section per component. */
export interface FerryOptions {
  storage: StorageOptions;
  functions: FunctionsOptions;
  ingest: IngestOptions;
  api: ApiOptions;
  webhooks: WebhookOptions;
  network: NetworkOptions;
  gpuFleet: GpuFleetOptions;
  scaling: ScalingOptions;
  alarms: AlarmOptions;
}

/** Per-section partial settings, as written in STAGE_OVERRIDES. */
export type FerryOptionsOverrides = { [K in keyof FerryOptions]?: Partial<FerryOptions[K]> };

/** The stage whose resources are retained on removal and protected from `sst remove`. */
export const PRODUCTION_STAGE = 'production';

export function isProduction(stage: string): boolean {
  return stage === PRODUCTION_STAGE;
}

/** The defaults, applied in this one place. */
export function defaultOptions(stage: string): FerryOptions {
  const production = isProduction(stage);
  return {
    storage: {
      uploadsRetentionDays: 7,
      resultsRetentionDays: JOB.retentionDays,
      abortIncompleteUploadAfterDays: 1,
      corsOrigins: [...BUCKET_CORS.origins],
      corsMaxAgeSec: BUCKET_CORS.maxAgeSec,
      versioning: false,
      tableDeletionProtection: production,
    },
    functions: { runtime: LAMBDA_RUNTIME, architecture: 'arm64', logRetentionDays: 30 },
    ingest: { timeoutSec: FUNCTIONS.ingest.timeoutSec, memoryMb: FUNCTIONS.ingest.memoryMb },
    api: {
      timeoutSec: FUNCTIONS.api.timeoutSec,
      memoryMb: FUNCTIONS.api.memoryMb,
      corsOrigins: ['*'],
      accessLogRetentionDays: 30,
      throttleRatePerSec: 50,
      throttleBurst: 100,
    },
    webhooks: {
      timeoutSec: FUNCTIONS.webhook.timeoutSec,
      memoryMb: FUNCTIONS.webhook.memoryMb,
      batchSize: WEBHOOK.eventBatchSize,
      maxReceiveCount: WEBHOOK.maxReceiveCount,
    },
    network: { egress: production ? 'nat-gateway' : 'nat-instance', azCount: 2 },
    gpuFleet: {
      instanceTypes: ['g6.xlarge', 'g5.xlarge'],
      spot: false,
      maxWorkers: production ? 4 : 2,
      taskCpuUnits: 2048,
      taskMemoryReservationMiB: 8192,
      rootVolumeGiB: 60,
      rootVolumeThroughputMiBps: 500,
      rootVolumeIops: 3000,
      warmPoolSize: 0,
      amiId: undefined,
      amiSsmParameter: '/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id',
      imageTag: 'latest',
      executionProviders: 'cuda,cpu',
      stopTimeoutSec: 120,
      instanceWarmupSec: 300,
      logRetentionDays: 30,
      environment: {},
      containerInsights: false,
    },
    scaling: {
      workerThroughputPerSec: 1 / OCR_TASK.secondsPerUnit,
      acceptableWaitSec: 300,
      scaleOutCooldownSec: 60,
      scaleInMinutes: 10,
      scaleInCooldownSec: 300,
      scaleInIdleMinutes: 5,
    },
    alarms: { email: undefined, oldestJobAgeSec: 900 },
  };
}

/**
 * Settings that differ by stage, reviewed like code. Stages not listed get the defaults.
 * Example: `{ "my-gpu-test": { gpuFleet: { spot: true, instanceTypes: ["g4dn.xlarge"] } } }`.
 */
export const STAGE_OVERRIDES: Readonly<Record<string, FerryOptionsOverrides>> = {
  production: {
    // Restrict browser uploads to your front end here, e.g. corsOrigins: ["https://app.example.com"].
    storage: {},
  },
};

/** SST's `logging.retention` key for a number of days (SST names durations, CloudWatch counts days). */
export function sstRetention(days: LogRetentionDays): SstRetention {
  return SST_RETENTION[days];
}

const SST_RETENTION = {
  1: '1 day',
  3: '3 days',
  5: '5 days',
  7: '1 week',
  14: '2 weeks',
  30: '1 month',
  60: '2 months',
  90: '3 months',
  120: '4 months',
  150: '5 months',
  180: '6 months',
  365: '1 year',
  400: '13 months',
  545: '18 months',
  731: '2 years',
  1096: '3 years',
  1827: '5 years',
  2192: '6 years',
  2557: '7 years',
  2922: '8 years',
  3288: '9 years',
  3653: '10 years',
} as const satisfies Record<LogRetentionDays, string>;
export type SstRetention = (typeof SST_RETENTION)[LogRetentionDays];

/** The Lambda handler string SST expects ("dir/file.export") for an entry file of core/config.ts FUNCTIONS. */
export function handlerOf(entry: string, exportName = 'handler'): string {
  return `${entry.replace(/\.[cm]?[jt]s$/, '')}.${exportName}`;
}
