/**
 * @module functions/push/fanout
 * Turns a batch of jobs-table stream records into events: each image becomes a Job through
 * core/job-item.ts (the one item mapping), then core/api/push-events.ts `eventFor` drops changes a
 * watcher cannot see, such as heartbeats. Within a batch only a job's newest progress is sent
 * (older progress is stale before it leaves); every status change is sent, in order.
 *
 * Each client's subscriptions are read once per batch. A client whose subscriptions cannot be
 * read fails only its own records: they are returned as `batchItemFailures` (the mapping's
 * ReportBatchItemFailures), and Lambda retries from the first of them.
 *
 * Events for one connection go out in stream order; connections are served in parallel, at most
 * PUSH.postConcurrency posts at once, each given PUSH.postTimeoutMs. A gone connection (410) is
 * removed. A post that still fails (throttled, 5xx, timed out) is logged and that connection's
 * remaining events in the batch are dropped: it never fails the batch, and a stuck connection
 * holds one post slot for one timeout, not one per event. The watcher gets the current state
 * again when it resubscribes.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { eventFor, type PushEvent } from '../../core/api/push-events.ts';
import type { Job } from '../../core/job.ts';
import { fromImage } from '../../core/job-item.ts';
import type { Log } from '../../core/log.ts';
import { PUSH } from '../../core/push-config.ts';
import type { WatchersOf } from './connection-store.ts';
import type { PushDeps } from './deps.ts';

type Image = Record<string, AttributeValue>;

export interface FanoutSummary {
  /** Events sent to watchers (after coalescing). */
  events: number;
  /** Older progress events left out because a newer one of the same job was in the batch. */
  coalesced: number;
  posts: number;
  gone: number;
  /** Events not delivered because a post to their connection failed. */
  dropped: number;
}

export type FanoutOutcome = FanoutSummary & DynamoDBBatchResponse;

export interface FanoutOptions {
  /** @defaultvalue PUSH.postTimeoutMs */
  postTimeoutMs?: number;
}

/** One record's event, with the record's sequence number (its batch item identifier). */
interface Entry {
  sequenceNumber: string;
  clientId: string;
  event: PushEvent;
}

export async function fanOut(
  deps: Pick<PushDeps, 'connections' | 'post' | 'log'>,
  stream: DynamoDBStreamEvent,
  options: FanoutOptions = {},
): Promise<FanoutOutcome> {
  const entries: Entry[] = [];
  for (const record of stream.Records) {
    const entry = entryOf(record, deps.log);
    if (entry) entries.push(entry);
  }
  const kept = coalesceProgress(entries);

  const failed = new Set<string>();
  const lookups = await Promise.all(
    [...new Set(kept.map((entry) => entry.clientId))].map(async (clientId) => {
      try {
        return [clientId, await deps.connections.watchersOf(clientId)] as const;
      } catch (error) {
        deps.log.error('cannot read the watchers of a client; its records will be retried', {
          clientId,
          error,
        });
        // All of the client's records, the coalesced ones included, so a retry sends them again.
        for (const entry of entries) if (entry.clientId === clientId) failed.add(entry.sequenceNumber);
        return undefined;
      }
    }),
  );
  const watchers = new Map<string, WatchersOf>(lookups.filter((l) => l !== undefined));

  // Per connection, the events it gets, in order.
  const outbox = new Map<string, PushEvent[]>();
  let events = 0;
  for (const entry of kept) {
    const watchersOf = watchers.get(entry.clientId);
    if (!watchersOf) continue;
    events++;
    for (const connectionId of watchersOf(entry.event.jobId)) {
      const queue = outbox.get(connectionId);
      if (queue) queue.push(entry.event);
      else outbox.set(connectionId, [entry.event]);
    }
  }

  const delivery = await deliver(deps, outbox, options.postTimeoutMs ?? PUSH.postTimeoutMs);
  const summary = { events, coalesced: entries.length - kept.length, ...delivery };
  if (entries.length > 0) deps.log.info('fan-out', { ...summary, failedRecords: failed.size });
  return {
    ...summary,
    batchItemFailures: stream.Records.flatMap((record) => {
      const id = record.dynamodb?.SequenceNumber;
      return id && failed.has(id) ? [{ itemIdentifier: id }] : [];
    }),
  };
}

/** Each job's progress events but its last are left out; status changes all stay, in order. */
export function coalesceProgress<T extends { event: PushEvent }>(entries: T[]): T[] {
  const lastProgress = new Map<string, T>();
  for (const entry of entries)
    if (entry.event.type === 'progress') lastProgress.set(entry.event.jobId, entry);
  return entries.filter((e) => e.event.type !== 'progress' || lastProgress.get(e.event.jobId) === e);
}

async function deliver(
  deps: Pick<PushDeps, 'connections' | 'post' | 'log'>,
  outbox: Map<string, PushEvent[]>,
  postTimeoutMs: number,
): Promise<Pick<FanoutSummary, 'posts' | 'gone' | 'dropped'>> {
  let posts = 0;
  let gone = 0;
  let dropped = 0;
  const connections = [...outbox.entries()];
  const serve = async (connectionId: string, queue: PushEvent[]) => {
    for (const [index, event] of queue.entries()) {
      let outcome: 'sent' | 'gone';
      try {
        outcome = await postWithin(deps.post, connectionId, event, postTimeoutMs);
      } catch (error) {
        dropped += queue.length - index;
        deps.log.warn('post failed; the connection misses the rest of this batch', {
          connectionId,
          jobId: event.jobId,
          dropped: queue.length - index,
          error,
        });
        return;
      }
      if (outcome === 'gone') {
        gone++;
        // A row left behind costs nothing but a failed post later; TTL removes it anyway.
        await deps.connections.removeConnection(connectionId).catch((error: unknown) => {
          deps.log.warn('cannot remove a gone connection', { connectionId, error });
        });
        return;
      }
      posts++;
    }
  };
  // A fixed pool of workers over one list (rather than a library): the order within a connection
  // is all that matters, and this is the whole of it.
  const worker = async () => {
    for (let next = connections.shift(); next; next = connections.shift()) await serve(...next);
  };
  await Promise.all(Array.from({ length: PUSH.postConcurrency }, worker));
  return { posts, gone, dropped };
}

/** The post, abandoned after `ms` even if the poster ignores the abort signal. */
async function postWithin(
  post: PushDeps['post'],
  connectionId: string,
  event: PushEvent,
  ms: number,
): Promise<'sent' | 'gone'> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`the post took longer than ${ms} ms`);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([post(connectionId, event, controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The record's event; none for a deleted record (TTL), a change no watcher sees, a job without
 * an owner, or a record that is not a job, which is logged and skipped: failing it would retry
 * it without end.
 */
function entryOf(record: DynamoDBRecord, log: Log): Entry | undefined {
  const image = record.dynamodb?.NewImage;
  const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
  if (!image) return undefined;
  const old = record.dynamodb?.OldImage;
  let job: Job;
  let previous: Job | undefined;
  try {
    job = fromImage(image as Image);
    previous = old ? fromImage(old as Image) : undefined;
  } catch (error) {
    log.warn('skipped a stream record that is not a job', { eventId: record.eventID, error });
    return undefined;
  }
  if (!job.clientId) return undefined; // no owner, no watcher can have subscribed
  const event = previous ? eventFor(job, previous) : { ...eventFor(job), type: 'status' as const };
  return event ? { sequenceNumber, clientId: job.clientId, event: event as PushEvent } : undefined;
}
