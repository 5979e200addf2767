/**
 * @module core/ingest/replay
 * Replays the S3 events the ingest function gave up on. After its async retries Lambda puts
 * each failed event on the ingest failures queue (the on-failure destination: the original event
 * under `requestPayload`); this runs each through ingest again. Ingest is idempotent, so a
 * replay of an event that half succeeded, or of one replayed before, makes no second job. An
 * event that ingests is deleted; one that still fails stays, hidden for
 * INGEST_RECOVERY.replayRetryAfterSec, and is tried again by a later run.
 */
import { DeleteMessageCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { INGEST_RECOVERY } from '../config.ts';
import type { IngestDeps } from './ingest-object.ts';
import { type IngestLog, ingestRecords, type S3EventOrTest } from './ingest-records.ts';

export interface ReplayOptions {
  /** The ingest failures queue. */
  queueUrl: string;
  /** @default INGEST_RECOVERY.maxReplaysPerRun */
  maxEvents?: number;
  /** How long an event that failed again stays hidden, in seconds. @default INGEST_RECOVERY.replayRetryAfterSec */
  retryAfterSec?: number;
}

export interface ReplayReport {
  /** Events ingested and deleted from the queue. */
  replayed: number;
  /** Events that failed again and stay in the queue. */
  failed: number;
  /** Messages that are no S3 event; they stay in the queue for an operator. */
  unreadable: number;
}

/** The S3 event in a message: a Lambda destination record, or an S3 event sent as it was. */
const FailedEventSchema = z.union([
  z.object({ requestPayload: z.object({ Records: z.array(z.unknown()) }).passthrough() }),
  z.object({ Records: z.array(z.unknown()) }).passthrough(),
]);

function s3EventOf(body: string | undefined): S3EventOrTest | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body ?? '');
  } catch {
    return undefined;
  }
  const parsed = FailedEventSchema.safeParse(json);
  if (!parsed.success) return undefined;
  return ('requestPayload' in parsed.data ? parsed.data.requestPayload : parsed.data) as S3EventOrTest;
}

export async function replayIngestFailures(
  deps: IngestDeps,
  options: ReplayOptions,
  log: IngestLog,
): Promise<ReplayReport> {
  const maxEvents = options.maxEvents ?? INGEST_RECOVERY.maxReplaysPerRun;
  const retryAfterSec = options.retryAfterSec ?? INGEST_RECOVERY.replayRetryAfterSec;
  const report: ReplayReport = { replayed: 0, failed: 0, unreadable: 0 };
  let seen = 0;
  while (seen < maxEvents) {
    const out = await deps.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(10, maxEvents - seen),
        // Hidden while this run works on it; what still fails stays hidden until a later run.
        VisibilityTimeout: retryAfterSec,
        WaitTimeSeconds: 0,
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) break;
    seen += messages.length;
    await Promise.all(messages.map((m) => replayOne(deps, options.queueUrl, m, report, log)));
  }
  return report;
}

async function replayOne(
  deps: IngestDeps,
  queueUrl: string,
  message: Message,
  report: ReplayReport,
  log: IngestLog,
): Promise<void> {
  const event = s3EventOf(message.Body);
  if (!event) {
    report.unreadable += 1;
    log.warn('ingest failures queue: not an S3 event, left for an operator', {
      messageId: message.MessageId,
    });
    return;
  }
  const result = await ingestRecords(deps, event, log).catch((error: unknown) => ({
    failures: [{ key: '', error }],
  }));
  if (result.failures.length > 0) {
    report.failed += 1;
    log.warn('replayed upload event failed again; it stays queued', {
      messageId: message.MessageId,
      keys: result.failures.map((f) => f.key),
      error: result.failures[0]?.error,
    });
    return;
  }
  await deps.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
  report.replayed += 1;
}
