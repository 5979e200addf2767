/**
 * infra/options: defaults come from core/config.ts, production differs where it should, and a bad
 * setting stops the deploy with a message naming the field, the value and the allowed range.
 */
import { describe, expect, test } from 'vitest';
import { FUNCTIONS, JOB } from '../../../core/config.ts';
import { instanceShape } from '../../../infra/instance-types.ts';
import {
  defaultOptions,
  type FerryOptionsOverrides,
  handlerOf,
  sstRetention,
} from '../../../infra/options.ts';
import { InfraOptionsError } from '../../../infra/options-check.ts';
import { resolveOptions } from '../../../infra/resolve-options.ts';

function invalid(overrides: FerryOptionsOverrides): InfraOptionsError {
  try {
    resolveOptions('ci', overrides);
  } catch (error) {
    if (error instanceof InfraOptionsError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(overrides)} to be rejected`);
}

describe('defaults', () => {
  test('take function limits and result retention from core/config.ts', () => {
    const o = resolveOptions('ci');
    expect(o.ingest).toEqual({
      timeoutSec: FUNCTIONS.ingest.timeoutSec,
      memoryMb: FUNCTIONS.ingest.memoryMb,
    });
    expect(o.api.timeoutSec).toBe(FUNCTIONS.api.timeoutSec);
    expect(o.webhooks.timeoutSec).toBe(FUNCTIONS.webhook.timeoutSec);
    expect(o.storage.resultsRetentionDays).toBe(JOB.retentionDays);
  });

  test('run Node 22 or newer on arm64', () => {
    const { functions } = resolveOptions('ci');
    expect(['nodejs22.x', 'nodejs24.x']).toContain(functions.runtime);
    expect(functions.architecture).toBe('arm64');
  });

  test('use g6/g5 GPUs on demand, scaling from zero', () => {
    const { gpuFleet, scaling } = resolveOptions('ci');
    expect(gpuFleet.instanceTypes).toEqual(['g6.xlarge', 'g5.xlarge']);
    expect(gpuFleet.spot).toBe(false);
    expect(gpuFleet.executionProviders).toBe('cuda,cpu');
    expect(scaling.scaleInIdleMinutes).toBeGreaterThan(0);
  });

  test('production keeps the table, uses NAT gateways and allows more workers', () => {
    const dev = resolveOptions('ci');
    const prod = resolveOptions('production');
    expect(prod.storage.tableDeletionProtection).toBe(true);
    expect(dev.storage.tableDeletionProtection).toBe(false);
    expect(prod.network.egress).toBe('nat-gateway');
    expect(dev.network.egress).toBe('nat-instance');
    expect(prod.gpuFleet.maxWorkers).toBeGreaterThan(dev.gpuFleet.maxWorkers);
  });

  test('overrides replace single fields and keep the rest of the section', () => {
    const o = resolveOptions('ci', { gpuFleet: { spot: true } });
    expect(o.gpuFleet.spot).toBe(true);
    expect(o.gpuFleet.instanceTypes).toEqual(defaultOptions('ci').gpuFleet.instanceTypes);
  });
});

describe('validation', () => {
  test('rejects a non-GPU instance type, naming the field and the allowed families', () => {
    const e = invalid({ gpuFleet: { instanceTypes: ['m5.large'] } });
    expect(e.field).toBe('gpuFleet.instanceTypes');
    expect(e.value).toBe('m5.large');
    expect(e.message).toMatch(/NVIDIA GPU instance type of family .*g5/);
    expect(e.code).toBe('FERRY_INFRA_OPTIONS');
  });

  test('rejects Arm and AMD GPU families the x86 CUDA AMI cannot drive', () => {
    expect(invalid({ gpuFleet: { instanceTypes: ['g5g.xlarge'] } }).field).toBe('gpuFleet.instanceTypes');
    expect(invalid({ gpuFleet: { instanceTypes: ['g4ad.xlarge'] } }).field).toBe('gpuFleet.instanceTypes');
  });

  test('rejects a task that does not fit the smallest instance', () => {
    const e = invalid({ gpuFleet: { taskMemoryReservationMiB: 16 * 1024 } });
    expect(e.field).toBe('gpuFleet.taskMemoryReservationMiB');
    expect(e.message).toMatch(/must fit g6\.xlarge/);
    expect(invalid({ gpuFleet: { taskCpuUnits: 8192 } }).field).toBe('gpuFleet.taskCpuUnits');
  });

  test('accepts a bigger task on bigger instances', () => {
    const o = resolveOptions('ci', {
      gpuFleet: {
        instanceTypes: ['g6.2xlarge', 'g5.2xlarge'],
        taskMemoryReservationMiB: 24 * 1024,
        taskCpuUnits: 6144,
      },
    });
    expect(o.gpuFleet.taskMemoryReservationMiB).toBe(24 * 1024);
  });

  test('rejects a webhook timeout longer than the webhooks queue visibility timeout', () => {
    const e = invalid({ webhooks: { timeoutSec: 600 } });
    expect(e.field).toBe('webhooks.timeoutSec');
    expect(e.message).toMatch(/visibility timeout/);
  });

  test('rejects an API timeout API Gateway would cut short', () => {
    expect(invalid({ api: { timeoutSec: 31 } }).field).toBe('api.timeoutSec');
  });

  test('rejects an idle period longer than a CloudWatch alarm can look back', () => {
    const e = invalid({ scaling: { scaleInIdleMinutes: 1441 } });
    expect(e.field).toBe('scaling.scaleInIdleMinutes');
    expect(e.message).toMatch(/must be an integer from 1 to 1440 minutes/);
  });

  test.each([
    [{ storage: { corsOrigins: ['https://app.example.com/path'] } }, 'storage.corsOrigins'],
    [{ storage: { corsOrigins: [] } }, 'storage.corsOrigins'],
    [{ storage: { uploadsRetentionDays: -1 } }, 'storage.uploadsRetentionDays'],
    [{ network: { azCount: 0 } }, 'network.azCount'],
    [{ gpuFleet: { maxWorkers: 0 } }, 'gpuFleet.maxWorkers'],
    [{ gpuFleet: { stopTimeoutSec: 121 } }, 'gpuFleet.stopTimeoutSec'],
    [{ gpuFleet: { imageTag: 'bad tag' } }, 'gpuFleet.imageTag'],
    [{ gpuFleet: { amiSsmParameter: '/my/ami' } }, 'gpuFleet.amiSsmParameter'],
    [{ scaling: { workerThroughputPerSec: 0 } }, 'scaling.workerThroughputPerSec'],
    [{ alarms: { email: 'not-an-address' } }, 'alarms.email'],
    [{ webhooks: { batchSize: 11 } }, 'webhooks.batchSize'],
    [{ gpuFleet: { warmPoolSize: 3 } }, 'gpuFleet.warmPoolSize'],
    [{ gpuFleet: { rootVolumeThroughputMiBps: 1000 } }, 'gpuFleet.rootVolumeIops'],
    [{ gpuFleet: { amiId: 'my-ami' } }, 'gpuFleet.amiId'],
    [{ scaling: { scaleInMinutes: 0 } }, 'scaling.scaleInMinutes'],
  ] satisfies Array<[FerryOptionsOverrides, string]>)('rejects %j as %s', (overrides, field) => {
    expect(invalid(overrides).field).toBe(field);
  });
});

describe('helpers', () => {
  test('handlerOf turns a core/config.ts entry file into an SST handler', () => {
    expect(handlerOf(FUNCTIONS.ingest.entry)).toBe('functions/ingest/handler.handler');
    expect(handlerOf('functions/api/handler.ts')).toBe('functions/api/handler.handler');
  });

  test('sstRetention maps days to SST retention names', () => {
    expect(sstRetention(30)).toBe('1 month');
    expect(sstRetention(7)).toBe('1 week');
  });

  test('instanceShape knows single-GPU sizes and nothing else', () => {
    expect(instanceShape('g5.xlarge')).toEqual({ vcpu: 4, memoryGiB: 16 });
    expect(instanceShape('g6e.xlarge')).toEqual({ vcpu: 4, memoryGiB: 32 });
    expect(instanceShape('p4d.24xlarge')).toBeUndefined();
  });
});
