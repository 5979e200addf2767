/**
 * @module infra/options
 * Every setting of the AWS stack in one place: one options interface per component (TSDoc gives
 * the unit and default), the defaults, the per-stage overrides and the validation. Pure: no SST or
 * Pulumi globals, so tests import it directly. Shared facts (prefixes, queue timings, schema)
 * are NOT options: they come from core/config.ts and are the same locally and on AWS.
 */
import { FUNCTIONS, JOB, WEBHOOK } from '../core/config.ts';

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
   * Lambda runtime.
   * @default "nodejs22.x"
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
   * Lambda timeout, in seconds. Must not exceed the webhooks queue's visibility timeout
   * (WEBHOOK.visibilityTimeoutSec in core/config.ts), or Lambda refuses the event source mapping.
   * @default FUNCTIONS.webhook.timeoutSec
   */
  timeoutSec: number;
  /** Lambda memory, in MB. @default FUNCTIONS.webhook.memoryMb */
  memoryMb: number;
  /** Messages handed to one invocation (1..10). @default 10 */
  batchSize: number;
  /**
   * Receives before a webhook message moves to its DLQ. HTTP failures are retried by
   * re-enqueueing with a delay, so this only counts crashes and lost bookkeeping. @default 5
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

/** Backlog-driven scaling of the worker service, to and from zero (infra/scaling.ts). */
export interface ScalingOptions {
  /**
   * Messages (waiting + in flight) one worker is expected to keep up with. Desired workers =
   * ceil(backlog / this), capped at GpuFleetOptions.maxWorkers. Lower means more parallelism
   * and more instance starts. @default 20
   */
  targetBacklogPerWorker: number;
  /**
   * Minutes the jobs queue must be completely empty (nothing waiting, nothing in flight)
   * before the service scales to zero tasks; the instances follow. @default 15
   */
  scaleInIdleMinutes: number;
  /** Seconds after a scaling step before the next one may act. @default 60 */
  cooldownSec: number;
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
      corsOrigins: ['*'],
      corsMaxAgeSec: 3000,
      versioning: false,
      tableDeletionProtection: production,
    },
    functions: { runtime: 'nodejs22.x', architecture: 'arm64', logRetentionDays: 30 },
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
      batchSize: 10,
      maxReceiveCount: 5,
    },
    network: { egress: production ? 'nat-gateway' : 'nat-instance', azCount: 2 },
    gpuFleet: {
      instanceTypes: ['g6.xlarge', 'g5.xlarge'],
      spot: false,
      maxWorkers: production ? 4 : 2,
      taskCpuUnits: 2048,
      taskMemoryReservationMiB: 8192,
      rootVolumeGiB: 60,
      amiSsmParameter: '/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id',
      imageTag: 'latest',
      executionProviders: 'cuda,cpu',
      stopTimeoutSec: 120,
      instanceWarmupSec: 300,
      logRetentionDays: 30,
      environment: {},
      containerInsights: false,
    },
    scaling: { targetBacklogPerWorker: 20, scaleInIdleMinutes: 15, cooldownSec: 60 },
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

/** A setting outside its allowed range; the message names the field, the value and the fix. */
export class InfraOptionsError extends Error {
  readonly code = 'FERRY_INFRA_OPTIONS';
  /** The option's path, e.g. "gpuFleet.maxWorkers". */
  readonly field: string;
  readonly value: unknown;
  constructor(field: string, value: unknown, expected: string) {
    super(`infra option ${field} = ${JSON.stringify(value)} is invalid: ${expected}`);
    this.name = 'InfraOptionsError';
    this.field = field;
    this.value = value;
  }
}

/** Defaults, then the stage's overrides, validated. Throws InfraOptionsError on a bad value. */
export function resolveOptions(
  stage: string,
  overrides: FerryOptionsOverrides = STAGE_OVERRIDES[stage] ?? {},
): FerryOptions {
  const base = defaultOptions(stage);
  const merged: FerryOptions = {
    storage: { ...base.storage, ...overrides.storage },
    functions: { ...base.functions, ...overrides.functions },
    ingest: { ...base.ingest, ...overrides.ingest },
    api: { ...base.api, ...overrides.api },
    webhooks: { ...base.webhooks, ...overrides.webhooks },
    network: { ...base.network, ...overrides.network },
    gpuFleet: { ...base.gpuFleet, ...overrides.gpuFleet },
    scaling: { ...base.scaling, ...overrides.scaling },
    alarms: { ...base.alarms, ...overrides.alarms },
  };
  validateOptions(merged);
  return merged;
}

/**
 * GPU families the x86_64 ECS GPU AMI drives (NVIDIA, CUDA). Excluded on purpose: g4ad (AMD)
 * and g5g (Arm), which need another AMI and worker image.
 */
export const GPU_FAMILIES = [
  'g4dn',
  'g5',
  'g6',
  'g6e',
  'gr6',
  'p3',
  'p3dn',
  'p4d',
  'p4de',
  'p5',
  'p5e',
  'p5en',
];

/** vCPUs and memory (GiB) by size for the single-GPU sizes of g4dn, g5 and g6; g6e has twice the memory. */
const SIZES: Readonly<Record<string, { vcpu: number; memoryGiB: number }>> = {
  xlarge: { vcpu: 4, memoryGiB: 16 },
  '2xlarge': { vcpu: 8, memoryGiB: 32 },
  '4xlarge': { vcpu: 16, memoryGiB: 64 },
  '8xlarge': { vcpu: 32, memoryGiB: 128 },
  '16xlarge': { vcpu: 64, memoryGiB: 256 },
};

/** vCPUs and memory of a known single-GPU instance type, or undefined when this table does not know it. */
export function instanceShape(instanceType: string): { vcpu: number; memoryGiB: number } | undefined {
  const [family = '', size = ''] = instanceType.split('.');
  const shape = ['g4dn', 'g5', 'g6', 'g6e'].includes(family) ? SIZES[size] : undefined;
  if (!shape) return undefined;
  return family === 'g6e' ? { vcpu: shape.vcpu, memoryGiB: shape.memoryGiB * 2 } : shape;
}

/**
 * Share of an instance's memory the ECS agent offers to tasks (the OS, agent and NVIDIA
 * driver keep the rest); conservative, so a task that passes here is placeable.
 */
const ECS_AVAILABLE_MEMORY_SHARE = 0.9;

function check(ok: boolean, field: string, value: unknown, expected: string): void {
  if (!ok) throw new InfraOptionsError(field, value, expected);
}

function checkInt(field: string, value: number, min: number, max: number, unit: string): void {
  check(
    Number.isInteger(value) && value >= min && value <= max,
    field,
    value,
    `must be an integer ${min}..${max} ${unit}`,
  );
}

function checkRetention(field: string, days: number): void {
  check(
    (LOG_RETENTION_DAYS as readonly number[]).includes(days),
    field,
    days,
    `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
  );
}

function checkOrigins(field: string, origins: string[]): void {
  check(origins.length > 0, field, origins, 'must list at least one origin, or ["*"]');
  for (const origin of origins) {
    check(
      origin === '*' || /^https?:\/\/[^/\s]+$/.test(origin),
      field,
      origin,
      'each origin must be "*" or scheme://host[:port] without a path',
    );
  }
}

/** Throws InfraOptionsError naming the first setting outside its range. */
export function validateOptions(o: FerryOptions): void {
  const s = o.storage;
  checkInt('storage.uploadsRetentionDays', s.uploadsRetentionDays, 0, 36500, 'days (0 keeps forever)');
  checkInt('storage.resultsRetentionDays', s.resultsRetentionDays, 0, 36500, 'days (0 keeps forever)');
  checkInt('storage.abortIncompleteUploadAfterDays', s.abortIncompleteUploadAfterDays, 1, 365, 'days');
  checkInt('storage.corsMaxAgeSec', s.corsMaxAgeSec, 0, 86400, 'seconds');
  checkOrigins('storage.corsOrigins', s.corsOrigins);

  for (const name of ['ingest', 'api', 'webhooks'] as const) {
    checkInt(`${name}.memoryMb`, o[name].memoryMb, 128, 10240, 'MB (the Lambda range)');
    checkInt(`${name}.timeoutSec`, o[name].timeoutSec, 1, 900, 'seconds (the Lambda range)');
  }
  check(
    o.api.timeoutSec <= 30,
    'api.timeoutSec',
    o.api.timeoutSec,
    'must be at most 30 s, API Gateway’s integration timeout',
  );
  checkOrigins('api.corsOrigins', o.api.corsOrigins);
  checkInt('api.throttleRatePerSec', o.api.throttleRatePerSec, 1, 10_000, 'requests per second');
  checkInt('api.throttleBurst', o.api.throttleBurst, 1, 5_000, 'requests');
  checkRetention('api.accessLogRetentionDays', o.api.accessLogRetentionDays);
  check(
    o.webhooks.timeoutSec <= WEBHOOK.visibilityTimeoutSec,
    'webhooks.timeoutSec',
    o.webhooks.timeoutSec,
    `must not exceed the webhooks queue's visibility timeout (WEBHOOK.visibilityTimeoutSec = ${WEBHOOK.visibilityTimeoutSec} s), or Lambda refuses the event source mapping`,
  );
  checkInt('webhooks.batchSize', o.webhooks.batchSize, 1, 10, 'messages');
  checkInt('webhooks.maxReceiveCount', o.webhooks.maxReceiveCount, 1, 1000, 'receives');
  checkRetention('functions.logRetentionDays', o.functions.logRetentionDays);

  checkInt('network.azCount', o.network.azCount, 1, 6, 'zones');
  check(
    ['nat-gateway', 'nat-instance', 'vpc-endpoints'].includes(o.network.egress),
    'network.egress',
    o.network.egress,
    'must be "nat-gateway", "nat-instance" or "vpc-endpoints"',
  );

  const g = o.gpuFleet;
  check(
    g.instanceTypes.length > 0,
    'gpuFleet.instanceTypes',
    g.instanceTypes,
    'must list at least one instance type',
  );
  for (const type of g.instanceTypes) {
    const family = type.split('.')[0] ?? '';
    check(
      /^[a-z0-9-]+\.[a-z0-9-]+$/.test(type) && GPU_FAMILIES.includes(family),
      'gpuFleet.instanceTypes',
      type,
      `must be an NVIDIA GPU instance type of family ${GPU_FAMILIES.join(', ')}`,
    );
    const shape = instanceShape(type);
    if (!shape) continue;
    check(
      g.taskCpuUnits <= shape.vcpu * 1024,
      'gpuFleet.taskCpuUnits',
      g.taskCpuUnits,
      `must fit ${type} (${shape.vcpu} vCPU = ${shape.vcpu * 1024} units)`,
    );
    const availableMiB = Math.floor(shape.memoryGiB * 1024 * ECS_AVAILABLE_MEMORY_SHARE);
    check(
      g.taskMemoryReservationMiB <= availableMiB,
      'gpuFleet.taskMemoryReservationMiB',
      g.taskMemoryReservationMiB,
      `must fit ${type} (about ${availableMiB} MiB available to tasks)`,
    );
  }
  checkInt('gpuFleet.maxWorkers', g.maxWorkers, 1, 100, 'workers');
  checkInt('gpuFleet.taskCpuUnits', g.taskCpuUnits, 128, 196608, 'CPU units');
  checkInt('gpuFleet.taskMemoryReservationMiB', g.taskMemoryReservationMiB, 512, 2_000_000, 'MiB');
  checkInt('gpuFleet.rootVolumeGiB', g.rootVolumeGiB, 30, 16384, 'GiB (the ECS GPU AMI needs 30)');
  checkInt('gpuFleet.stopTimeoutSec', g.stopTimeoutSec, 2, 120, 'seconds');
  checkInt('gpuFleet.instanceWarmupSec', g.instanceWarmupSec, 0, 10000, 'seconds');
  check(
    g.imageTag.length > 0 && /^[\w][\w.-]{0,127}$/.test(g.imageTag),
    'gpuFleet.imageTag',
    g.imageTag,
    'must be a Docker tag',
  );
  check(
    g.amiSsmParameter.startsWith('/aws/service/ecs/optimized-ami/') && g.amiSsmParameter.includes('gpu'),
    'gpuFleet.amiSsmParameter',
    g.amiSsmParameter,
    'must name an ECS GPU-optimised AMI parameter under /aws/service/ecs/optimized-ami/',
  );
  checkRetention('gpuFleet.logRetentionDays', g.logRetentionDays);

  checkInt('scaling.targetBacklogPerWorker', o.scaling.targetBacklogPerWorker, 1, 100_000, 'messages');
  // A CloudWatch alarm may look back at most one day: 1440 one-minute periods.
  checkInt('scaling.scaleInIdleMinutes', o.scaling.scaleInIdleMinutes, 1, 1440, 'minutes');
  checkInt('scaling.cooldownSec', o.scaling.cooldownSec, 0, 3600, 'seconds');

  checkInt('alarms.oldestJobAgeSec', o.alarms.oldestJobAgeSec, 60, 1_209_600, 'seconds');
  if (o.alarms.email !== undefined) {
    check(
      /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(o.alarms.email),
      'alarms.email',
      o.alarms.email,
      'must be an e-mail address',
    );
  }
}

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
