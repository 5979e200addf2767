import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConnectionStore } from '../../../../functions/push/connection-store.ts';
import { ensureLocalClient, type LocalClient } from '../../../../scripts/local/local-client.ts';
import type { PushOutputs } from '../../../../scripts/local/provision-push.ts';
import { createTestStack, type TestStack } from '../../../support/local-stack.ts';
import {
  addPushChannel,
  type ConnectionsProxy,
  newPushJob,
  type RecordingWatcher,
  recordingWatcher,
  runPushJob,
  startConnectionsProxy,
} from '../../../support/push.ts';

const CLOSED = 'closed-connection';
let stack: TestStack;
let proxy: ConnectionsProxy;
let push: PushOutputs;
let other: LocalClient;
let store: ConnectionStore;
const open: RecordingWatcher[] = [];

beforeAll(async () => {
  stack = await createTestStack();
  proxy = await startConnectionsProxy(stack.outputs.endpoint);
  push = await addPushChannel(stack, proxy.url);
  other = await ensureLocalClient(stack.outputs, 'globex', { requestsPerSec: 1000, burst: 1000 });
  store = new ConnectionStore({ dynamo: stack.aws.dynamo, table: push.connectionsTable });
});

afterAll(async () => {
  for (const w of open) w.watcher.stop();
  await proxy?.close();
});

async function watchAll(apiKey: string): Promise<RecordingWatcher> {
  const w = await recordingWatcher(push.pushUrl, apiKey);
  open.push(w);
  w.watcher.subscribe({ all: true });
  expect(await w.nextReply()).toMatchObject({ type: 'subscribed', all: true });
  return w;
}

/** Created, then AWAITING_UPLOAD -> QUEUED -> RUNNING -> SUCCEEDED, with a pause between. */
async function runJob(clientId: string, pauseMs = 300): Promise<string> {
  const jobId = await newPushJob(stack, clientId);
  await new Promise((r) => setTimeout(r, pauseMs));
  await runPushJob(stack, jobId, pauseMs);
  return jobId;
}

describe('push fan-out isolation', () => {
  it("a throttled and a closed connection neither fail the batch nor delay another client's watcher", async () => {
    const throttledWatcher = await watchAll(stack.client.apiKey);
    const [throttledId] = (await store.watchersOf(stack.client.clientId))('any job');
    expect(throttledId).toBeDefined();
    proxy.throttled.add(throttledId as string);
    await store.addConnection(CLOSED, stack.client.clientId);
    await store.subscribe(CLOSED, stack.client.clientId, ['*']);
    const healthy = await watchAll(other.apiKey);

    // Both clients' changes interleave, so they share the fan-out's batches.
    const [, theirJob] = await Promise.all([runJob(stack.client.clientId), runJob(other.clientId)]);
    const final = await healthy.finalFor(theirJob);

    const theirs = healthy.received.filter((r) => r.event.jobId === theirJob);
    expect(theirs.map((r) => r.event.status)).toEqual(['AWAITING_UPLOAD', 'QUEUED', 'RUNNING', 'SUCCEEDED']);
    expect(final.event).toMatchObject({ type: 'final', status: 'SUCCEEDED' });
    for (const r of theirs) {
      const delay = r.arrivedAt - Date.parse(r.event.at);
      expect(delay, `${r.event.status} arrived ${delay} ms after the record changed`).toBeLessThan(1000);
    }
    // The failures did happen: the throttled connection was posted to and got nothing.
    expect(proxy.posts.get(throttledId as string)).toBeGreaterThan(0);
    expect(throttledWatcher.received).toEqual([]);
    // The closed connection is gone from the table; the throttled one is kept.
    await vi.waitFor(
      async () => expect((await store.watchersOf(stack.client.clientId))('any job')).toEqual([throttledId]),
      {
        timeout: 5000,
      },
    );

    // Once the connection is no longer throttled, it is served again.
    proxy.throttled.clear();
    const laterJob = await runJob(stack.client.clientId, 50);
    expect((await throttledWatcher.finalFor(laterJob)).event).toMatchObject({ status: 'SUCCEEDED' });
  });
});
