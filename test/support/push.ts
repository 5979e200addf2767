/**
 * A test file's own push channel on its stack, watchers that record what they receive with
 * arrival times, and a fault proxy in front of the @connections API that throttles the posts to
 * chosen connections.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { PushEvent, PushReply } from '../../core/api/push-events.ts';
import { JobStatus } from '../../core/job.ts';
import { PushWatcher } from '../../core/push-client.ts';
import { type PushOutputs, provisionPush, suffixedPushNames } from '../../scripts/local/provision-push.ts';
import { startForwardingProxy } from './aws-proxy.ts';
import type { TestStack } from './local-stack.ts';

export async function addPushChannel(stack: TestStack, managementEndpoint?: string): Promise<PushOutputs> {
  const suffix = stack.outputs.table.split('-').pop() ?? 'push';
  return provisionPush(stack.outputs, suffixedPushNames(suffix), { managementEndpoint });
}

export interface ConnectionsProxy {
  url: string;
  /** Posts to these connections are answered 429 LimitExceededException, as API Gateway does. */
  throttled: Set<string>;
  /** Posts seen per connection id (throttled ones included). */
  posts: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Forwards every request to the emulator except posts to throttled connections (the decision
 * needs the connection id from the path).
 */
export async function startConnectionsProxy(endpoint: string): Promise<ConnectionsProxy> {
  const throttled = new Set<string>();
  const posts = new Map<string, number>();
  const proxy = await startForwardingProxy(endpoint, (req, res) => {
    const id = /\/@connections\/([^/?]+)/.exec(req.url ?? '')?.[1];
    const connectionId = id ? decodeURIComponent(id) : undefined;
    if (!connectionId || req.method !== 'POST') return false;
    posts.set(connectionId, (posts.get(connectionId) ?? 0) + 1);
    if (!throttled.has(connectionId)) return false;
    req.resume();
    res.writeHead(429, {
      'content-type': 'application/json',
      'x-amzn-errortype': 'LimitExceededException',
    });
    res.end(JSON.stringify({ message: 'Rate exceeded' }));
    return true;
  });
  return { ...proxy, throttled, posts };
}

/** A job record of `clientId` as the API creates it (AWAITING_UPLOAD); returns its id. */
export async function newPushJob(stack: TestStack, clientId = stack.client.clientId): Promise<string> {
  const jobId = randomUUID();
  await stack.jobs.create({
    jobId,
    status: JobStatus.AwaitingUpload,
    task: 'ocr',
    bucket: stack.outputs.bucket,
    key: `uploads/${clientId}/${jobId}/a.png`,
    clientId,
  });
  return jobId;
}

/** Drives a job AWAITING_UPLOAD -> QUEUED -> RUNNING -> SUCCEEDED, with a pause between changes. */
export async function runPushJob(stack: TestStack, jobId: string, pauseMs = 300): Promise<void> {
  const pause = () => new Promise((r) => setTimeout(r, pauseMs));
  const { key } = await stack.jobs.require(jobId);
  await stack.jobs.markUploaded(jobId, key, { size: 10, contentType: 'image/png' });
  await pause();
  await stack.jobs.claim(jobId, 'worker-1', 60_000);
  await pause();
  await stack.jobs.succeed(jobId, 'worker-1', {
    resultKey: `results/${jobId}.json`,
    timings: {},
    executionProvider: 'cpu',
  });
}

export interface Received {
  event: PushEvent;
  /** Date.now() when it arrived. */
  arrivedAt: number;
}

export interface RecordingWatcher {
  watcher: PushWatcher;
  received: Received[];
  replies: PushReply[];
  /** Resolves at the first reply (the answer to a subscribe). */
  nextReply(): Promise<PushReply>;
  finalFor(jobId: string): Promise<Received>;
}

export const nodeSocket = (url: string) => new WebSocket(url) as never;

export async function recordingWatcher(url: string, apiKey: string): Promise<RecordingWatcher> {
  const received: Received[] = [];
  const replies: PushReply[] = [];
  const waiters: (() => void)[] = [];
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  const watcher = new PushWatcher({
    url,
    apiKey,
    socket: nodeSocket,
    onEvent: (event) => {
      received.push({ event, arrivedAt: Date.now() });
      wake();
    },
    onReply: (reply) => {
      replies.push(reply);
      wake();
    },
  });
  await watcher.connect();
  const until = async <T>(check: () => T | undefined, timeoutMs = 30_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error('timed out waiting for a push message');
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  let replyIndex = 0;
  return {
    watcher,
    received,
    replies,
    nextReply: async () => {
      const reply = await until(() => replies[replyIndex]);
      replyIndex++;
      return reply;
    },
    finalFor: (jobId) =>
      until(() =>
        received.find(
          (r) => r.event.jobId === jobId && ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(r.event.status),
        ),
      ),
  };
}
