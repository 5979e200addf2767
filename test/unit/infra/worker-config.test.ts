/**
 * infra/worker-config: the ECS agent is told about GPUs and task roles, the container asks for one
 * GPU and gets the resource variables, and the endpoint list covers what the agent and worker call.
 */
import { describe, expect, test } from 'vitest';
import {
  agentConfig,
  GATEWAY_ENDPOINT_SERVICES,
  INTERFACE_ENDPOINT_SERVICES,
  userDataScript,
  workerContainerDefinitions,
  workerEnvironment,
} from '../../../infra/worker-config.ts';

const env = {
  bucket: 'ferry-ci-bucket',
  table: 'ferry-ci-jobs',
  queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs',
  dlqUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs-dlq',
  webhookQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/webhooks',
  region: 'us-east-1',
  executionProviders: 'cuda,cpu',
  extra: { FERRY_OCR_REC_BATCH: '16' },
};

describe('agent configuration', () => {
  test('joins the cluster with GPU support, task roles and blocked instance metadata', () => {
    const lines = agentConfig({ clusterName: 'ferry-ci-gpu', stopTimeoutSec: 120 });
    expect(lines).toEqual(
      expect.arrayContaining([
        'ECS_CLUSTER=ferry-ci-gpu',
        'ECS_ENABLE_GPU_SUPPORT=true',
        'ECS_ENABLE_TASK_IAM_ROLE=true',
        'ECS_AWSVPC_BLOCK_IMDS=true',
        'ECS_ENABLE_SPOT_INSTANCE_DRAINING=true',
        'ECS_CONTAINER_STOP_TIMEOUT=120s',
      ]),
    );
  });

  test('with a warm pool, the agent registers only once the instance leaves the pool', () => {
    const base = { clusterName: 'ferry-ci-gpu', stopTimeoutSec: 120 };
    expect(agentConfig(base)).not.toContain('ECS_WARM_POOLS_CHECK=true');
    expect(agentConfig({ ...base, warmPool: true })).toContain('ECS_WARM_POOLS_CHECK=true');
  });

  test('user data appends the settings to ecs.config without shell expansion', () => {
    const script = userDataScript({ clusterName: 'ferry-ci-gpu', stopTimeoutSec: 120 });
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    expect(script).toContain("cat >> /etc/ecs/ecs.config <<'EOF'\nECS_CLUSTER=ferry-ci-gpu\n");
    expect(script.trimEnd().endsWith('EOF')).toBe(true);
  });
});

describe('worker environment', () => {
  test('sets the resources, providers and region, sorted, plus extras', () => {
    const vars = workerEnvironment(env);
    expect(Object.fromEntries(vars.map((v) => [v.name, v.value]))).toEqual({
      AWS_REGION: 'us-east-1',
      FERRY_BUCKET: env.bucket,
      FERRY_DLQ_URL: env.dlqUrl,
      FERRY_EXECUTION_PROVIDERS: 'cuda,cpu',
      FERRY_HEALTH_PORT: '9400',
      FERRY_OCR_REC_BATCH: '16',
      FERRY_QUEUE_URL: env.queueUrl,
      FERRY_TABLE: env.table,
      FERRY_WEBHOOK_QUEUE_URL: env.webhookQueueUrl,
    });
    const names = vars.map((v) => v.name);
    expect(names).toEqual([...names].sort());
  });

  test('refuses extras that would override a resource variable', () => {
    expect(() => workerEnvironment({ ...env, extra: { FERRY_BUCKET: 'other' } })).toThrow(/FERRY_BUCKET/);
  });
});

describe('container definition', () => {
  const [container] = workerContainerDefinitions({
    image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/ferry-ci-worker:latest',
    environment: workerEnvironment(env),
    logGroupName: '/ferry/ci/gpu-worker',
    region: 'us-east-1',
    cpuUnits: 2048,
    memoryReservationMiB: 8192,
    stopTimeoutSec: 120,
  }) as Array<Record<string, unknown>>;

  test('requires exactly one GPU', () => {
    expect(container?.resourceRequirements).toEqual([{ type: 'GPU', value: '1' }]);
  });

  test("is health-checked on the worker's /healthz", () => {
    const check = container?.healthCheck as
      | { command: string[]; interval: number; retries: number }
      | undefined;
    expect(check).toMatchObject({ interval: 30, retries: 3 });
    expect(check?.command[0]).toBe('CMD');
    expect(check?.command.join(' ')).toContain('http://127.0.0.1:9400/healthz');
  });

  test('logs to CloudWatch without blocking and stops gracefully', () => {
    expect(container?.logConfiguration).toMatchObject({
      logDriver: 'awslogs',
      options: {
        'awslogs-group': '/ferry/ci/gpu-worker',
        'awslogs-region': 'us-east-1',
        mode: 'non-blocking',
      },
    });
    expect(container?.stopTimeout).toBe(120);
    expect(container?.linuxParameters).toEqual({ initProcessEnabled: true });
  });
});

describe('endpoints', () => {
  test('cover the ECS agent, image pulls, logs and SQS; S3 and DynamoDB are gateways', () => {
    expect([...INTERFACE_ENDPOINT_SERVICES].sort()).toEqual([
      'ecr.api',
      'ecr.dkr',
      'ecs',
      'ecs-agent',
      'ecs-telemetry',
      'logs',
      'sqs',
    ]);
    expect([...GATEWAY_ENDPOINT_SERVICES]).toEqual(['s3', 'dynamodb']);
  });
});
