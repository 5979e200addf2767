/**
 * 1000 concurrent watchers on one machine, all subscribed to one client's jobs: every one gets
 * the job's final event (the push channel's load check; bench/rows/push-fanout.ts measures
 * the delays).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runPushFanout } from '../../../../bench/rows/push-fanout.ts';
import type { PushOutputs } from '../../../../scripts/local/provision-push.ts';
import { createTestStack, type TestStack } from '../../../support/local-stack.ts';
import { addPushChannel } from '../../../support/push.ts';

const WATCHERS = 1000;
let stack: TestStack;
let push: PushOutputs;

beforeAll(async () => {
  stack = await createTestStack();
  push = await addPushChannel(stack);
});

describe('push channel under load', () => {
  it(`delivers the final event to all ${WATCHERS} watchers`, { timeout: 240_000 }, async () => {
    const result = await runPushFanout({
      pushUrl: push.pushUrl,
      apiKey: stack.client.apiKey,
      clientId: stack.client.clientId,
      bucket: stack.outputs.bucket,
      jobs: stack.jobs,
      watchers: WATCHERS,
      jobCount: 1,
      timeoutMs: 120_000,
    });
    expect(result.connected).toBe(WATCHERS);
    expect(result.received).toBe(WATCHERS);
  });
});
