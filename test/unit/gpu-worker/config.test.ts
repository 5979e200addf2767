import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/errors.ts';
import { workerConfigFromEnv } from '../../../gpu-worker/config.ts';

describe('workerConfigFromEnv', () => {
  it('applies documented defaults', () => {
    const config = workerConfigFromEnv({});
    expect(config).toMatchObject({
      intraOpThreads: 1,
      executionProviders: ['cuda', 'cpu'],
      maxBatchSize: 1,
      visibilityTimeoutSec: 60,
      heartbeatMs: 20_000,
      maxReceiveCount: 5,
    });
    expect(config.maxInFlight).toBe(config.inferenceThreads * 2 + 2);
  });

  it('names each bad variable and why', () => {
    const read = () =>
      workerConfigFromEnv({
        FERRY_INFERENCE_THREADS: '0',
        FERRY_EXECUTION_PROVIDERS: 'cuda,tpu',
        FERRY_HEALTH_PORT: 'x',
      });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow('FERRY_INFERENCE_THREADS="0": must be an integer from 1 to 64 threads');
    expect(read).toThrow('FERRY_EXECUTION_PROVIDERS="cuda,tpu": must be one of cuda, tensorrt, cpu');
    expect(read).toThrow('FERRY_HEALTH_PORT="x": must be an integer from 0 to 65535');
  });

  it('reads booleans one way and takes an empty variable as unset', () => {
    for (const [value, expected] of [
      ['true', true],
      ['TRUE', true],
      ['1', true],
      ['false', false],
      [' 0 ', false],
    ] as const)
      expect(workerConfigFromEnv({ FERRY_TASK_PROTECTION: value }).taskProtection).toBe(expected);
    expect(workerConfigFromEnv({ FERRY_TASK_PROTECTION: '' }).taskProtection).toBe(true);
    expect(() => workerConfigFromEnv({ FERRY_TASK_PROTECTION: 'yes' })).toThrow(
      'FERRY_TASK_PROTECTION="yes": must be true or false (or 1 or 0)',
    );
  });

  it('refuses a heartbeat that would let a running job reappear', () => {
    expect(() =>
      workerConfigFromEnv({ FERRY_HEARTBEAT_SEC: '30', FERRY_VISIBILITY_TIMEOUT_SEC: '30' }),
    ).toThrow(/FERRY_HEARTBEAT_SEC: 30 must be below FERRY_VISIBILITY_TIMEOUT_SEC/);
  });
});
