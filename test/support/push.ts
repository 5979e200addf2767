/**
 * A test file's own push channel on its stack, and watchers that record what they receive
 * with arrival times.
 */
import WebSocket from 'ws';
import type { PushEvent, PushReply } from '../../core/api/push-events.ts';
import { PushWatcher } from '../../core/push-client.ts';
import { type PushOutputs, provisionPush, suffixedPushNames } from '../../scripts/local/provision-push.ts';
import type { TestStack } from './local-stack.ts';

export async function addPushChannel(stack: TestStack): Promise<PushOutputs> {
  const suffix = stack.outputs.table.split('-').pop() ?? 'push';
  return provisionPush(stack.outputs, suffixedPushNames(suffix));
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
