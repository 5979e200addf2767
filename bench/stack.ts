/**
 * @module bench/stack
 * The benchmark's own resources in the local emulator: one suffixed stack per row, AWS clients
 * with enough sockets for bursts, and a teardown that removes what was created (the ingest
 * function is a live process inside the emulator until deleted).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClient, documentClient } from '../core/aws.ts';
import { JobStatus } from '../core/job.ts';
import { sendJobMessage } from '../core/job-queue.ts';
import { JobStore } from '../core/job-store.ts';
import { type LocalNames, type LocalOutputs, provision, suffixedNames } from '../scripts/local/provision.ts';
import { stackEnv } from '../test/support/local-stack.ts';

export interface BenchStack {
  names: LocalNames;
  outputs: LocalOutputs;
  /** AWS_* and FERRY_* variables for the worker and the naive consumer. */
  env: Record<string, string>;
  s3: S3Client;
  sqs: SQSClient;
  dynamo: DynamoDBDocumentClient;
  jobs: JobStore;
  destroy(): Promise<void>;
}

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/**
 * Sockets per client. The SDK's default pool is 50 per client: a 64-wide upload burst would
 * queue inside the SDK and measure the pool rather than the emulator.
 */
export const MAX_SOCKETS = 128;

export interface ClientOptions {
  endpoint: string;
  region: string;
  /** false opens a new TCP connection per request (to measure what connection reuse buys). */
  keepAlive?: boolean;
  /** @default MAX_SOCKETS */
  maxSockets?: number;
}

export function benchClients(o: ClientOptions) {
  const httpAgent = new http.Agent({
    keepAlive: o.keepAlive ?? true,
    maxSockets: o.maxSockets ?? MAX_SOCKETS,
  });
  const config = {
    endpoint: o.endpoint,
    region: o.region,
    credentials: CREDENTIALS,
    requestHandler: { httpAgent },
  };
  return {
    s3: awsClient(S3Client, config),
    sqs: awsClient(SQSClient, config),
    dynamo: documentClient(config),
    lambda: awsClient(LambdaClient, config),
    close: () => httpAgent.destroy(),
  };
}

/** Provisions a fresh stack named `ferry-*-bench<label><random>` (never the user's own resources). */
export async function createBenchStack(endpoint: string, label: string): Promise<BenchStack> {
  const names = suffixedNames(`bench${label}${randomBytes(3).toString('hex')}`);
  const outputs = await provision({ endpoint, names, withWebhookFunction: false });
  const clients = benchClients({ endpoint, region: outputs.region });
  const env = stackEnv(outputs);
  // Jobs with no webhook never touch this queue; the worker only needs it to be a valid URL.
  const jobs = new JobStore({ dynamo: clients.dynamo, table: outputs.table });
  let destroyed: Promise<void> | undefined;
  return {
    names,
    outputs,
    env,
    s3: clients.s3,
    sqs: clients.sqs,
    dynamo: clients.dynamo,
    jobs,
    // Once: a row that ends its stacks early (fleet, scale-out) and the bench's final sweep of
    // every stack may both call it.
    destroy() {
      destroyed ??= destroyStack();
      return destroyed;
    },
  };

  async function destroyStack(): Promise<void> {
    // Best effort, every step on its own: one failure must not leave the rest behind.
    const steps = [
      () => clients.lambda.send(new DeleteFunctionCommand({ FunctionName: names.ingestFunction })),
      () => emptyAndDeleteBucket(clients.s3, names.bucket),
      () => clients.dynamo.send(new DeleteTableCommand({ TableName: names.table })),
      ...[outputs.queueUrl, outputs.dlqUrl, outputs.webhookQueueUrl, outputs.webhookDlqUrl].map(
        (url) => () => clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url })),
      ),
    ];
    await Promise.allSettled(steps.map((step) => step()));
    stopLeftoverLambdaProcesses(names.ingestFunction);
    clients.close();
  }
}

/**
 * Gives the ingest function `count` warm execution environments. MiniStack starts one node
 * process per concurrent invocation and never queues; a burst of N uploads into a cold function
 * starts N processes, and on a small machine their start-up takes the CPU from the worker being
 * measured. On AWS that cost is on Lambda's machines, not the worker's, so rows that measure the
 * worker warm the function first with as many tiny uploads at once, and purge the jobs' messages
 * before any worker sees them.
 */
export async function warmIngest(stack: BenchStack, count: number, timeoutMs = 60_000): Promise<void> {
  const nonce = randomBytes(3).toString('hex');
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      stack.s3.send(
        new PutObjectCommand({
          Bucket: stack.outputs.bucket,
          Key: `uploads/warm-${nonce}/${i}.txt`,
          Body: 'warm-up',
        }),
      ),
    ),
  );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await stack.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: stack.outputs.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    if (Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) >= count) break;
    if (Date.now() > deadline)
      throw new Error(`ingest warm-up: ${count} messages not queued within ${timeoutMs} ms`);
    await sleep(200);
  }
  await stack.sqs.send(new PurgeQueueCommand({ QueueUrl: stack.outputs.queueUrl }));
}

/**
 * MiniStack 1.5 keeps a deleted function's extra execution environments (node processes named
 * after the function) running until its idle reaper, or for good for the first one. They were
 * started for this bench's uniquely named function, so the bench ends them, each by pid, after
 * deleting the function. Nothing else matches the name; with another emulator this finds none.
 */
function stopLeftoverLambdaProcesses(functionName: string): void {
  const marker = `ministack-lambda-${functionName}-`;
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return;
  }
  for (const pid of entries) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) process.kill(Number(pid), 'SIGTERM');
    } catch {
      // Gone already, or not ours to read.
    }
  }
}

async function emptyAndDeleteBucket(s3: S3Client, bucket: string): Promise<void> {
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length > 0) {
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/**
 * `count` QUEUED jobs of the sleep task (`taskMs` each) with their messages, written as ingest
 * would write them but without it: rows that measure what happens after the queue start from a
 * backlog whose making is not in their figures. The one input object sits outside `uploads/`, so
 * ingest's notification does not fire for it. Returns the job ids.
 */
export async function seedQueuedJobs(
  stack: BenchStack,
  o: { count: number; idPrefix: string; taskMs: number },
): Promise<string[]> {
  const key = `seeded/${o.idPrefix}-${randomBytes(3).toString('hex')}.json`;
  const body = `{"ms":${o.taskMs}}`;
  const put = await stack.s3.send(
    new PutObjectCommand({ Bucket: stack.outputs.bucket, Key: key, Body: body }),
  );
  const etag = String(put.ETag).replaceAll('"', '');
  const ids = Array.from({ length: o.count }, (_, i) => `${o.idPrefix}-${i}`);
  await mapLimit(ids, 16, async (jobId) => {
    const { job } = await stack.jobs.create({
      jobId,
      status: JobStatus.Queued,
      task: 'sleep',
      bucket: stack.outputs.bucket,
      key,
      size: body.length,
      etag,
    });
    await sendJobMessage(stack.sqs, stack.outputs.queueUrl, job);
  });
  return ids;
}

/** Runs `fn` over `items` with at most `limit` at once; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(lanes);
  return results;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
