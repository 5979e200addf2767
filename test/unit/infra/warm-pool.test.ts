/**
 * infra/gpu-fleet with `gpuFleet.warmPoolSize` (no stage sets it by default, so the fleet is
 * synthesised on its own): stopped instances kept ready, and an ECS agent that registers only
 * once its instance leaves the pool.
 */
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { ROOT, type Synth, synthesize } from '../../support/infra/synth.ts';

// biome-ignore lint/suspicious/noExplicitAny: synthesised inputs are JSON that the tests walk by path.
type Inputs = Record<string, any>;
let s: Synth;

const from = (file: string) => JSON.stringify(join(ROOT, 'infra', file));

beforeAll(async () => {
  s = await synthesize('ci', {
    program: [
      `import { createGpuFleet } from ${from('gpu-fleet.ts')};`,
      `import { createNetwork } from ${from('network.ts')};`,
      `import { createQueues } from ${from('queues.ts')};`,
      `import { createStorage } from ${from('storage.ts')};`,
      `import { resolveOptions } from ${from('resolve-options.ts')};`,
      'async function program() {',
      "  const o = resolveOptions('ci', { gpuFleet: { warmPoolSize: 1 } });",
      '  const fleet = createGpuFleet({',
      '    network: createNetwork(o.network),',
      '    storage: createStorage(o.storage),',
      '    queues: createQueues(o.webhooks),',
      '    options: o.gpuFleet,',
      '  });',
      '  return { cluster: fleet.cluster.name };',
      '}',
    ].join('\n'),
  });
}, 240_000);

test('the Auto Scaling group keeps one stopped instance ready and force-deletes it with the stage', () => {
  const asg = s.inputs<Inputs>('aws:autoscaling/group:Group');
  expect(asg.warmPool).toEqual({ poolState: 'Stopped', minSize: 1, maxGroupPreparedCapacity: 1 });
  expect(asg.forceDeleteWarmPool).toBe(true);
});

test('the ECS agent waits for its instance to leave the pool before registering', () => {
  const userData = Buffer.from(s.inputs<Inputs>('aws:ec2/launchTemplate:LaunchTemplate').userData, 'base64');
  expect(userData.toString()).toContain('ECS_WARM_POOLS_CHECK=true\n');
});
