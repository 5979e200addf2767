/**
 * @module functions/push/fanout
 * Turns a batch of jobs-table stream records into events: each image becomes a Job through
 * core/job-item.ts (the one item mapping), then core/api/push-events.ts `eventFor` drops changes a
 * watcher cannot see, such as heartbeats. Each event is posted to the connections subscribed to
 * the job or to all of its owner's jobs. Events for one connection go out in
 * stream order; connections are served in parallel. A gone connection is removed.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { eventFor, type PushEvent } from '../../core/api/push-events.ts';
import type { Job } from '../../core/job.ts';
import { fromImage } from '../../core/job-item.ts';
import { PUSH } from '../../core/push-config.ts';
import type { PushDeps } from './deps.ts';

type Image = Record<string, AttributeValue>;

export interface FanoutSummary {
  events: number;
  posts: number;
  gone: number;
}

export async function fanOut(
  deps: Pick<PushDeps, 'connections' | 'post' | 'logger'>,
  stream: DynamoDBStreamEvent,
): Promise<FanoutSummary> {
  // Per owner, the events in stream order.
  const byClient = new Map<string, PushEvent[]>();
  for (const record of stream.Records) {
    const images = jobsOf(record, deps.logger);
    if (!images) continue;
    const { job, previous } = images;
    if (!job.clientId) continue; // no owner, no watcher can have subscribed
    const event = previous ? eventFor(job, previous) : { ...eventFor(job), type: 'status' as const };
    if (!event) continue;
    const list = byClient.get(job.clientId) ?? [];
    list.push(event as PushEvent);
    byClient.set(job.clientId, list);
  }

  // Per connection, the events it gets, in order.
  const outbox = new Map<string, PushEvent[]>();
  let events = 0;
  for (const [clientId, list] of byClient) {
    events += list.length;
    const watchers = new Map<string, string[]>();
    for (const event of list) {
      if (!watchers.has(event.jobId))
        watchers.set(event.jobId, await deps.connections.watchersOf(clientId, event.jobId));
      for (const connectionId of watchers.get(event.jobId) ?? []) {
        const queue = outbox.get(connectionId) ?? [];
        queue.push(event);
        outbox.set(connectionId, queue);
      }
    }
  }

  let posts = 0;
  let gone = 0;
  const connections = [...outbox.entries()];
  const worker = async () => {
    for (let next = connections.shift(); next; next = connections.shift()) {
      const [connectionId, queue] = next;
      for (const event of queue) {
        const outcome = await deps.post(connectionId, event);
        if (outcome === 'gone') {
          gone++;
          await deps.connections.removeConnection(connectionId);
          break;
        }
        posts++;
      }
    }
  };
  await Promise.all(Array.from({ length: PUSH.postConcurrency }, worker));
  if (events > 0) deps.logger.info('fan-out', { events, posts, gone });
  return { events, posts, gone };
}

/**
 * The job after and before the change; none for a deleted record (TTL) or one that is not a job,
 * which is logged and skipped: failing the batch would retry it without end and hold up the shard.
 */
function jobsOf(
  record: DynamoDBRecord,
  logger: PushDeps['logger'],
): { job: Job; previous: Job | undefined } | undefined {
  const image = record.dynamodb?.NewImage;
  if (!image) return undefined;
  const old = record.dynamodb?.OldImage;
  try {
    return { job: fromImage(image as Image), previous: old ? fromImage(old as Image) : undefined };
  } catch (error) {
    logger.warn('skipped a stream record that is not a job', { eventId: record.eventID, error });
    return undefined;
  }
}
