/**
 * @module infra/worker-config
 * What a GPU worker instance and task are told, as pure data: the ECS agent configuration (user
 * data), the container definition and environment, and the AWS endpoints the worker must reach.
 * infra/gpu-fleet.ts and infra/network.ts turn these into resources; tests check them directly.
 */
import { WORKER_HEALTH_PORT } from '../core/config.ts';
import { resourcesToEnv } from '../core/resources.ts';

/** Name of the worker container in the task definition. */
export const WORKER_CONTAINER_NAME = 'worker';

/** GPUs per worker task. One task per GPU keeps the worker simple (one CUDA device, one session). */
export const GPUS_PER_WORKER = 1;

/** Environment the stack sets; `gpuFleet.environment` may not override these. */
export const RESERVED_WORKER_ENV = [
  'FERRY_BUCKET',
  'FERRY_TABLE',
  'FERRY_QUEUE_URL',
  'FERRY_DLQ_URL',
  'FERRY_WEBHOOK_QUEUE_URL',
  'FERRY_EXECUTION_PROVIDERS',
  'FERRY_HEALTH_PORT',
  'AWS_REGION',
] as const;

export interface AgentConfigInput {
  clusterName: string;
  /** Seconds between SIGTERM and SIGKILL when the agent stops a container. */
  stopTimeoutSec: number;
  /** The Auto Scaling group has a warm pool: the agent must not register while the instance is warmed. */
  warmPool?: boolean;
}

/**
 * /etc/ecs/ecs.config lines for a GPU container instance.
 * - ECS_ENABLE_GPU_SUPPORT: advertise the GPUs so tasks with a GPU requirement can be placed.
 * - ECS_ENABLE_TASK_IAM_ROLE: give tasks their own role's credentials (not the instance's).
 * - ECS_AWSVPC_BLOCK_IMDS: tasks (awsvpc) cannot read instance metadata, so never the instance role.
 * - ECS_ENABLE_SPOT_INSTANCE_DRAINING: drain on a Spot interruption notice (2 minutes' warning).
 * - ECS_WARM_POOLS_CHECK (with a warm pool): register only once the instance leaves the pool.
 * The image pull behaviour stays the default: a re-pull of a cached image fetches only the
 * manifest, and a moved mutable tag (":latest") is picked up.
 */
export function agentConfig(i: AgentConfigInput): string[] {
  return [
    `ECS_CLUSTER=${i.clusterName}`,
    'ECS_ENABLE_GPU_SUPPORT=true',
    'ECS_ENABLE_TASK_IAM_ROLE=true',
    'ECS_AWSVPC_BLOCK_IMDS=true',
    'ECS_ENABLE_SPOT_INSTANCE_DRAINING=true',
    `ECS_CONTAINER_STOP_TIMEOUT=${i.stopTimeoutSec}s`,
    'ECS_ENABLE_CONTAINER_METADATA=true',
    ...(i.warmPool ? ['ECS_WARM_POOLS_CHECK=true'] : []),
  ];
}

/** The instance's user data script (plain text; the launch template wants it base64-encoded). */
export function userDataScript(i: AgentConfigInput): string {
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    "cat >> /etc/ecs/ecs.config <<'EOF'",
    ...agentConfig(i),
    'EOF',
    '',
  ].join('\n');
}

export interface WorkerEnvInput {
  bucket: string;
  table: string;
  queueUrl: string;
  dlqUrl: string;
  webhookQueueUrl: string;
  region: string;
  executionProviders: string;
  /** Extra variables from gpuFleet.environment; must not name a reserved variable. */
  extra: Record<string, string>;
}

/** The worker's environment, sorted by name (stable task definition diffs). */
export function workerEnvironment(i: WorkerEnvInput): Array<{ name: string; value: string }> {
  const clash = Object.keys(i.extra).filter((k) => (RESERVED_WORKER_ENV as readonly string[]).includes(k));
  if (clash.length > 0) {
    throw new Error(
      `gpuFleet.environment may not set ${clash.join(', ')}: the stack sets them from its resources`,
    );
  }
  const env: Record<string, string> = {
    ...i.extra,
    ...resourcesToEnv(i),
    FERRY_EXECUTION_PROVIDERS: i.executionProviders,
    FERRY_HEALTH_PORT: String(WORKER_HEALTH_PORT),
    AWS_REGION: i.region,
  };
  return Object.keys(env)
    .sort()
    .map((name) => ({ name, value: env[name] ?? '' }));
}

export interface ContainerInput {
  image: string;
  environment: Array<{ name: string; value: string }>;
  logGroupName: string;
  region: string;
  cpuUnits: number;
  memoryReservationMiB: number;
  stopTimeoutSec: number;
}

/** The task's container definitions (ECS JSON shape). */
export function workerContainerDefinitions(i: ContainerInput): object[] {
  return [
    {
      name: WORKER_CONTAINER_NAME,
      image: i.image,
      essential: true,
      cpu: i.cpuUnits,
      // Soft limit: placement reserves it, the worker may burst above it while memory is free.
      memoryReservation: i.memoryReservationMiB,
      resourceRequirements: [{ type: 'GPU', value: String(GPUS_PER_WORKER) }],
      environment: i.environment,
      stopTimeout: i.stopTimeoutSec,
      // ECS ignores the image's HEALTHCHECK; the same probe here makes ECS replace a wedged worker.
      healthCheck: {
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${WORKER_HEALTH_PORT}/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
        ],
        interval: 30,
        timeout: 5,
        startPeriod: 120,
        retries: 3,
      },
      // tini as PID 1: SIGTERM reaches node, zombies are reaped.
      linuxParameters: { initProcessEnabled: true },
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': i.logGroupName,
          'awslogs-region': i.region,
          'awslogs-stream-prefix': WORKER_CONTAINER_NAME,
          // A slow CloudWatch must never block the worker's stdout (and with it the job).
          mode: 'non-blocking',
          'max-buffer-size': '4m',
        },
      },
    },
  ];
}

/**
 * Interface endpoints a GPU instance needs when it has no NAT ("vpc-endpoints" egress), as
 * `com.amazonaws.<region>.<suffix>`: the ECS agent (ecs, ecs-agent, ecs-telemetry), image pulls
 * (ecr.api, ecr.dkr; layers come from S3 through the gateway endpoint), logs, and the jobs and
 * webhooks queues (sqs). Webhook HTTP calls leave from a Lambda outside the VPC.
 */
export const INTERFACE_ENDPOINT_SERVICES = [
  'ecs',
  'ecs-agent',
  'ecs-telemetry',
  'ecr.api',
  'ecr.dkr',
  'logs',
  'sqs',
] as const;

/** Gateway endpoints (free): S3 (inputs, results, ECR layers) and DynamoDB (jobs table). */
export const GATEWAY_ENDPOINT_SERVICES = ['s3', 'dynamodb'] as const;
