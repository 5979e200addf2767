/**
 * @module bench/rows/push-fanout
 * Row "push": N watchers on the push channel subscribed to all of one client's jobs; jobs are
 * driven through their states with the JobStore (as ingest and the worker do) and each final
 * event's delay is measured from the job record's `finishedAt` to its arrival at every watcher.
 * Also used by test/integration/functions/push/many-watchers.test.ts for the "every watcher gets the final event"
 * check.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { PushEvent, PushMessage } from '../../core/api/push-events.ts';
import { JobStatus } from '../../core/job.ts';
import type { JobStore } from '../../core/job-store.ts';
import { type Spread, spread } from '../stats.ts';

export interface PushFanoutOptions {
  pushUrl: string;
  apiKey: string;
  clientId: string;
  bucket: string;
  jobs: JobStore;
  watchers: number;
  /** Jobs run one after another; each gives one delay per watcher. */
  jobCount: number;
  /** Sockets opened at once while connecting. @defaultvalue 8 */
  connectConcurrency?: number;
  /** Longest wait for all watchers to get a job's final event, ms. @defaultvalue 60000 */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface PushFanoutResult {
  watchers: number;
  /** Watchers whose socket opened and whose subscribe was confirmed. */
  connected: number;
  connectMs: number;
  jobs: number;
  /** Final events expected (connected x jobs) and received. */
  expected: number;
  received: number;
  /** finishedAt -> arrival at a watcher, ms, over every (job, watcher). */
  delay: Spread;
}

interface Watcher {
  socket: WebSocket;
  finals: Map<string, number>;
}

export async function runPushFanout(o: PushFanoutOptions): Promise<PushFanoutResult> {
  const log = o.log ?? (() => undefined);
  const t0 = Date.now();
  const watchers = await openWatchers(o);
  const connectMs = Date.now() - t0;
  log(`push: ${watchers.length}/${o.watchers} watchers subscribed in ${connectMs} ms`);
  const delays: number[] = [];
  let received = 0;
  try {
    for (let i = 0; i < o.jobCount; i++) {
      const jobId = randomUUID();
      const key = `uploads/${o.clientId}/${jobId}/bench.png`;
      await o.jobs.create({
        jobId,
        status: JobStatus.AwaitingUpload,
        task: 'ocr',
        bucket: o.bucket,
        key,
        clientId: o.clientId,
      });
      await o.jobs.markUploaded(jobId, key, { size: 1, contentType: 'image/png' });
      await o.jobs.claim(jobId, 'bench-worker', 60_000);
      const done = await o.jobs.succeed(jobId, 'bench-worker', {
        resultKey: `results/${jobId}.json`,
        timings: {},
        executionProvider: 'cpu',
      });
      const finishedAt = Date.parse(done.finishedAt ?? done.updatedAt);
      const deadline = Date.now() + (o.timeoutMs ?? 60_000);
      while (Date.now() < deadline && watchers.some((w) => !w.finals.has(jobId))) {
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const w of watchers) {
        const at = w.finals.get(jobId);
        if (at === undefined) continue;
        received++;
        delays.push(at - finishedAt);
      }
    }
  } finally {
    for (const w of watchers) w.socket.close();
  }
  return {
    watchers: o.watchers,
    connected: watchers.length,
    connectMs,
    jobs: o.jobCount,
    expected: watchers.length * o.jobCount,
    received,
    delay: spread(delays),
  };
}

async function openWatchers(o: PushFanoutOptions): Promise<Watcher[]> {
  const url = new URL(o.pushUrl);
  url.searchParams.set('key', o.apiKey);
  url.searchParams.set('all', '1');
  const opened: Watcher[] = [];
  let next = 0;
  const one = async () => {
    while (next < o.watchers) {
      next++;
      const watcher = await openWatcher(url.href).catch(() => undefined);
      if (watcher) opened.push(watcher);
    }
  };
  await Promise.all(Array.from({ length: o.connectConcurrency ?? 8 }, one));
  return opened;
}

function openWatcher(url: string): Promise<Watcher> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const finals = new Map<string, number>();
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('the socket did not open within 30 s'));
    }, 30_000);
    // Subscribed in the handshake (`all=1`): open means subscribed.
    socket.on('open', () => {
      clearTimeout(timer);
      resolve({ socket, finals });
    });
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as PushMessage;
      if ((message as PushEvent).type === 'final') {
        finals.set((message as PushEvent).jobId, Date.now());
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
