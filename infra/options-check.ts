/**
 * @module infra/options-check
 * The checks of the stack's settings: each names the field, the value and the allowed range.
 * Ranges use the same rules (and messages) as environment variables (core/env.ts).
 */
import { QUEUE_TO_FUNCTION_TIMEOUT_RATIO, WEBHOOK } from '../core/config.ts';
import { envInt } from '../core/env.ts';
import { ECS_AVAILABLE_MEMORY_SHARE, GPU_FAMILIES, instanceShape } from './instance-types.ts';
import { type FerryOptions, LOG_RETENTION_DAYS } from './options.ts';

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

function check(ok: boolean, field: string, value: unknown, expected: string): void {
  if (!ok) throw new InfraOptionsError(field, value, expected);
}

function checkInt(field: string, value: number, min: number, max: number, unit: string): void {
  const parsed = envInt(min, max, unit).safeParse(value);
  if (!parsed.success) throw new InfraOptionsError(field, value, parsed.error.issues[0]?.message ?? '');
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
    o.webhooks.timeoutSec * QUEUE_TO_FUNCTION_TIMEOUT_RATIO <= WEBHOOK.visibilityTimeoutSec,
    'webhooks.timeoutSec',
    o.webhooks.timeoutSec,
    `must be at most a sixth of the webhooks queue's visibility timeout (WEBHOOK.visibilityTimeoutSec = ${WEBHOOK.visibilityTimeoutSec} s), as AWS advises for a queue-triggered function`,
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
  checkInt('gpuFleet.rootVolumeThroughputMiBps', g.rootVolumeThroughputMiBps, 125, 1000, 'MiB/s (gp3)');
  checkInt('gpuFleet.rootVolumeIops', g.rootVolumeIops, 3000, 16000, 'IOPS (gp3)');
  check(
    g.rootVolumeIops * 0.25 >= g.rootVolumeThroughputMiBps,
    'gpuFleet.rootVolumeIops',
    g.rootVolumeIops,
    `must be at least 4 x rootVolumeThroughputMiBps (${g.rootVolumeThroughputMiBps}), gp3's ratio`,
  );
  checkInt('gpuFleet.warmPoolSize', g.warmPoolSize, 0, g.maxWorkers, 'instances (at most maxWorkers)');
  if (g.amiId !== undefined)
    check(/^ami-[0-9a-f]{8,17}$/.test(g.amiId), 'gpuFleet.amiId', g.amiId, 'must be an AMI id (ami-...)');
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

  const sc = o.scaling;
  check(
    Number.isFinite(sc.workerThroughputPerSec) && sc.workerThroughputPerSec > 0,
    'scaling.workerThroughputPerSec',
    sc.workerThroughputPerSec,
    'must be a positive number of jobs per second',
  );
  checkInt('scaling.acceptableWaitSec', sc.acceptableWaitSec, 1, 86_400, 'seconds');
  checkInt('scaling.scaleOutCooldownSec', sc.scaleOutCooldownSec, 0, 3600, 'seconds');
  checkInt('scaling.scaleInCooldownSec', sc.scaleInCooldownSec, 0, 3600, 'seconds');
  // A CloudWatch alarm may look back at most one day: 1440 one-minute periods.
  checkInt('scaling.scaleInMinutes', sc.scaleInMinutes, 1, 1440, 'minutes');
  checkInt('scaling.scaleInIdleMinutes', sc.scaleInIdleMinutes, 1, 1440, 'minutes');

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
