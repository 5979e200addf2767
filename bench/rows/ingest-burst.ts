/**
 * @module bench/rows/ingest-burst
 * Row 4, "ingest burst": many tiny uploads at once into a stack with no worker, then an audit of
 * what ingest made of them: every upload must become exactly one QUEUED job with exactly one
 * queue message. Duplicates and losses are counted from the table and the queue themselves.
 * While it waits, the row does what the deployment's scheduled reconciler does with no worker
 * running (functions/reconciler): every `recoverEverySec` it sends QUEUED jobs' missing messages
 * and replays the ingest failures queue, so an event whose invocations all failed under the
 * burst is counted as replayed, not lost.
 */
import { randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createAwsClients } from '../../core/aws.ts';
import { ingestRecoveryDeps, recoverIngest } from '../../core/ingest/recovery.ts';
import type { Log } from '../../core/log.ts';
import { reconcile } from '../../core/reconcile.ts';
import { resourcesFromEnv } from '../../core/resources.ts';
import { type BenchStack, mapLimit, sleep } from '../stack.ts';
import { ratePerSec, type Spread, spread } from '../stats.ts';

export interface BurstOptions {
  stack: BenchStack;
  uploads: number;
  /** PUTs in flight at once. */
  concurrency: number;
  /** Longest wait for ingest to catch up, ms. */
  timeoutMs: number;
  /** The reconciler's period while waiting, seconds. @defaultvalue 10 */
  recoverEverySec?: number;
  log: (line: string) => void;
}

export interface BurstResult {
  uploads: number;
  concurrency: number;
  /** First PUT to last PUT answered, ms. */
  uploadMs: number;
  /** First PUT to every upload being a QUEUED job with its message recorded, ms (NaN if never). */
  allQueuedMs: number;
  uploadsPerSec: number;
  queuedPerSec: number;
  putLatency: Spread;
  /** Uploads with no job record (or one that never reached QUEUED with a message). */
  lost: number;
  /** Job records beyond one per upload, plus queue messages beyond one per job. */
  duplicateJobs: number;
  duplicateMessages: number;
  jobRecords: number;
  messages: number;
  deadLetters: number;
  /** Failed S3 events replayed from the ingest failures queue by the reconciler's runs. */
  replayed: number;
  /** QUEUED jobs whose message the reconciler sent (their ingest failed after the job's write). */
  resentByReconciler: number;
  /** Set when ingest had not finished when the wait ended. */
  timedOut: boolean;
}

export async function runIngestBurst(o: BurstOptions): Promise<BurstResult> {
  const { stack } = o;
  const bucket = stack.outputs.bucket;
  const nonce = randomBytes(3).toString('hex');
  const keys = Array.from(
    { length: o.uploads },
    (_, i) => `uploads/burst-${nonce}/${String(i).padStart(4, '0')}.bin`,
  );

  const t0 = Date.now();
  const putMs = await mapLimit(keys, o.concurrency, async (key, i) => {
    const start = Date.now();
    // Distinct tiny bodies: content does not matter to ingest, only that each is its own object.
    await stack.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `burst ${nonce} ${i}\n` }));
    return Date.now() - start;
  });
  const uploadMs = Date.now() - t0;
  o.log(`ingest burst: ${o.uploads} uploads in ${uploadMs} ms; waiting for jobs`);

  const reconciler = startReconciler(stack, (o.recoverEverySec ?? 10) * 1000, o.log);
  // Counting the table costs the emulator a scan, so poll gently; the figure is resolved to ~250 ms.
  let allQueuedMs = Number.NaN;
  const deadline = t0 + o.timeoutMs;
  try {
    while (Date.now() < deadline) {
      const queued = (await scanJobs(stack)).filter((j) => j.status === 'QUEUED' && j.messageId).length;
      if (queued >= o.uploads) {
        allQueuedMs = Date.now() - t0;
        break;
      }
      await sleep(250);
    }
    // A late duplicate event would land after "all queued": give stragglers a moment.
    await sleep(1000);
  } finally {
    await reconciler.stop();
  }

  const jobs = (await scanJobs(stack)).filter((j) => keys.includes(String(j.key)));
  const jobsPerKey = new Map<string, number>();
  for (const j of jobs) jobsPerKey.set(String(j.key), (jobsPerKey.get(String(j.key)) ?? 0) + 1);
  const complete = new Set(
    jobs.filter((j) => j.status === 'QUEUED' && j.messageId).map((j) => String(j.key)),
  );

  const messages = await drainQueue(stack, stack.outputs.queueUrl);
  const perJob = new Map<string, number>();
  for (const m of messages) perJob.set(m, (perJob.get(m) ?? 0) + 1);
  const dlq = await stack.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: stack.outputs.dlqUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );

  return {
    uploads: o.uploads,
    concurrency: o.concurrency,
    uploadMs,
    allQueuedMs,
    uploadsPerSec: ratePerSec(o.uploads, uploadMs),
    queuedPerSec: ratePerSec(o.uploads, allQueuedMs),
    putLatency: spread(putMs),
    lost: keys.filter((k) => !complete.has(k)).length,
    duplicateJobs: [...jobsPerKey.values()].reduce((sum, n) => sum + n - 1, 0),
    duplicateMessages: [...perJob.values()].reduce((sum, n) => sum + n - 1, 0),
    jobRecords: jobs.length,
    messages: messages.length,
    deadLetters:
      Number(dlq.Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(dlq.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    replayed: reconciler.replayed,
    resentByReconciler: reconciler.sent,
    timedOut: Number.isNaN(allQueuedMs),
  };
}

const quietLog: Log = { debug() {}, info() {}, warn() {}, error() {}, child: () => quietLog };

/** The scheduled reconciler's two steps, run every `everyMs` until stopped, with their counts. */
function startReconciler(stack: BenchStack, everyMs: number, log: (line: string) => void) {
  const env = { ...process.env, ...stack.env };
  const aws = createAwsClients(env);
  const resources = resourcesFromEnv(env);
  const recovery = ingestRecoveryDeps(aws, resources, env);
  const counts = { replayed: 0, sent: 0 };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await sleep(everyMs);
      if (stopped) break;
      try {
        const [report, recovered] = await Promise.all([
          reconcile({ sqs: aws.sqs, queueUrl: resources.queueUrl, jobs: stack.jobs }),
          recovery ? recoverIngest({ ...recovery, everySec: everyMs / 1000 }, quietLog) : undefined,
        ]);
        counts.sent += report.sent.length;
        counts.replayed += recovered?.replay.replayed ?? 0;
      } catch (error) {
        log(
          `ingest burst: reconciler run failed (${error instanceof Error ? error.message : String(error)})`,
        );
      }
    }
  })();
  return {
    get replayed() {
      return counts.replayed;
    },
    get sent() {
      return counts.sent;
    },
    async stop() {
      stopped = true;
      await loop;
      for (const client of [aws.s3, aws.sqs, aws.dynamo]) client.destroy();
    },
  };
}

async function scanJobs(stack: BenchStack): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await stack.dynamo.send(
      new ScanCommand({
        TableName: stack.outputs.table,
        ProjectionExpression: 'jobId, #k, #s, messageId',
        ExpressionAttributeNames: { '#k': 'key', '#s': 'status' },
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * Every message in the queue, by the job id in its body. Received with a long visibility timeout
 * and never deleted, so nothing is seen twice; three empty receives in a row end it.
 */
async function drainQueue(stack: BenchStack, queueUrl: string): Promise<string[]> {
  const jobIds: string[] = [];
  for (let empty = 0; empty < 3; ) {
    const out = await stack.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 600,
        WaitTimeSeconds: 0,
      }),
    );
    const batch = out.Messages ?? [];
    if (batch.length === 0) empty++;
    else empty = 0;
    for (const m of batch) jobIds.push(String((JSON.parse(m.Body ?? '{}') as { jobId?: string }).jobId));
  }
  return jobIds;
}
