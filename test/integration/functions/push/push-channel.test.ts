import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { PushEvent } from '../../../../core/api/push-events.ts';
import { PushWatcher } from '../../../../core/push-client.ts';
import { ensureLocalClient, type LocalClient } from '../../../../scripts/local/local-client.ts';
import type { PushOutputs } from '../../../../scripts/local/provision-push.ts';
import { createTestStack, type TestStack } from '../../../support/local-stack.ts';
import {
  addPushChannel,
  newPushJob,
  type RecordingWatcher,
  recordingWatcher,
  runPushJob,
} from '../../../support/push.ts';

let stack: TestStack;
let push: PushOutputs;
let other: LocalClient;
const open: RecordingWatcher[] = [];

beforeAll(async () => {
  stack = await createTestStack();
  push = await addPushChannel(stack);
  other = await ensureLocalClient(stack.outputs, 'globex', { requestsPerSec: 1000, burst: 1000 });
});

afterAll(() => {
  for (const w of open) w.watcher.stop();
});

async function watch(apiKey = stack.client.apiKey): Promise<RecordingWatcher> {
  const w = await recordingWatcher(push.pushUrl, apiKey);
  open.push(w);
  return w;
}

const newJob = (clientId?: string) => newPushJob(stack, clientId);
const runJob = (jobId: string, pauseMs?: number) => runPushJob(stack, jobId, pauseMs);

describe('push channel', () => {
  it('delivers every change in order, within 1 s of the record, to watchers joining before, during and after', async () => {
    const jobId = await newJob();
    const before = await watch();
    before.watcher.subscribe({ jobIds: [jobId] });
    expect(await before.nextReply()).toMatchObject({ type: 'subscribed', jobIds: [jobId] });

    const during = await watch();
    const running = runJob(jobId, 1500);
    await new Promise((r) => setTimeout(r, 700));
    during.watcher.subscribe({ jobIds: [jobId] });
    await running;

    const final = await before.finalFor(jobId);
    const after = await watch();
    after.watcher.subscribe({ jobIds: [jobId] });

    const record = await stack.jobs.require(jobId);
    expect(final.event).toMatchObject({ type: 'final', status: 'SUCCEEDED', resultKey: record.resultKey });
    const statuses = before.received.map((r) => r.event.status);
    expect(statuses).toEqual(['AWAITING_UPLOAD', 'QUEUED', 'RUNNING', 'SUCCEEDED']);
    for (const r of before.received.slice(1)) {
      const delay = r.arrivedAt - Date.parse(r.event.at);
      expect(delay, `${r.event.status} arrived ${delay} ms after the record changed`).toBeLessThan(1000);
    }
    // Joined while QUEUED: the snapshot, then the rest in order.
    const duringFinal = await during.finalFor(jobId);
    expect(during.received.map((r) => r.event.status)).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    expect(during.received[0]?.event.type).toBe('snapshot');
    expect(duringFinal.arrivedAt - Date.parse(duringFinal.event.at)).toBeLessThan(1000);
    // Joined after: the final state at once.
    const afterFinal = await after.finalFor(jobId);
    expect(afterFinal.event).toMatchObject({ type: 'snapshot', status: 'SUCCEEDED' });
  });

  it('"all my jobs" gets new jobs of its client only; another client never sees them', async () => {
    const mine = await watch();
    mine.watcher.subscribe({ all: true });
    await mine.nextReply();
    const theirs = await watch(other.apiKey);
    theirs.watcher.subscribe({ all: true });
    await theirs.nextReply();

    const jobId = await newJob();
    await runJob(jobId, 50);
    await mine.finalFor(jobId);
    const otherJob = await newJob(other.clientId);
    await stack.jobs.cancel(otherJob);
    await theirs.finalFor(otherJob);
    expect(theirs.received.map((r) => r.event.jobId)).not.toContain(jobId);
    expect(mine.received.map((r) => r.event.jobId)).not.toContain(otherJob);
  });

  it("a subscribe to another client's job is answered as unknown, and nothing of it is sent", async () => {
    const jobId = await newJob();
    const spy = await watch(other.apiKey);
    spy.watcher.subscribe({ jobIds: [jobId] });
    expect(await spy.nextReply()).toMatchObject({ type: 'subscribed', jobIds: [], unknown: [jobId] });
    await stack.jobs.cancel(jobId);
    await new Promise((r) => setTimeout(r, 1500));
    expect(spy.received).toEqual([]);
  });

  it('a dropped watcher reconnects, resubscribes and still gets the final event', async () => {
    const jobId = await newJob();
    const sockets: WebSocket[] = [];
    const events: PushEvent[] = [];
    const watcher = new PushWatcher({
      url: push.pushUrl,
      apiKey: stack.client.apiKey,
      socket: (url) => {
        const socket = new WebSocket(url);
        sockets.push(socket);
        return socket as never;
      },
      onEvent: (event) => events.push(event),
      reconnectDelayMs: 300,
    });
    await watcher.connect();
    watcher.subscribe({ jobIds: [jobId] });
    await vi.waitFor(() => expect(events).toHaveLength(1), { timeout: 10_000 });
    sockets[0]?.terminate(); // the network drops; the job finishes meanwhile
    await runJob(jobId, 10);
    await vi.waitFor(() => expect(watcher.isFinished(jobId)).toBe(true), { timeout: 20_000 });
    watcher.stop();
    expect(sockets.length).toBeGreaterThan(1);
    expect(events.at(-1)).toMatchObject({ jobId, status: 'SUCCEEDED' });
  });

  it('takes a ping (the client keep-alive) through $default without an answer', async () => {
    const url = new URL(push.pushUrl);
    url.searchParams.set('key', stack.client.apiKey);
    const socket = new WebSocket(url.href);
    const messages: unknown[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => socket.on('open', resolve).on('error', reject));
    socket.send(JSON.stringify({ action: 'ping' }));
    socket.send(JSON.stringify({ action: 'subscribe', all: true }));
    await vi.waitFor(() => expect(messages).toHaveLength(1), { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 500));
    socket.close();
    expect(messages).toEqual([{ type: 'subscribed', jobIds: [], all: true, unknown: [] }]);
  });

  it('refuses a watcher without a valid key', async () => {
    for (const url of [push.pushUrl, `${push.pushUrl}?key=not-a-key`]) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = new WebSocket(url);
        socket.on('open', () => {
          resolve('open');
          socket.close();
        });
        socket.on('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
        socket.on('error', () => resolve('refused'));
        socket.on('close', () => resolve('refused'));
      });
      expect(outcome).toMatch(/^refused/);
    }
  });
});
