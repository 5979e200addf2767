/**
 * @module bench/rows/function-requests
 * Row "functions": what the two functions on every job's path cost, measured rather than counted
 * from code. The ingest function and the push fan-out each reach the emulator through a counting
 * proxy of their own (a function's own AWS_ENDPOINT_URL wins in MiniStack), so their AWS
 * requests per job are read off the wire, by operation, for a direct drop and for an API upload.
 * Beside the counts: ingest's time per job (PUT answered -> QUEUED with its message) and the
 * push delay per job (the record's finishedAt -> the final event at a watcher subscribed to all
 * of the client's jobs).
 */
import { randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { FerryApi } from '../../core/api-client.ts';
import { JobStatus } from '../../core/job.ts';
import { deriveJobId } from '../../core/keys.ts';
import { startLocalApi } from '../../functions/api/local-server.ts';
import { ensureLocalClient } from '../../scripts/local/local-client.ts';
import { provisionPush, suffixedPushNames } from '../../scripts/local/provision-push.ts';
import {
  type CountingProxy,
  routeFunctionThrough,
  startCountingProxy,
} from '../../test/support/aws-proxy.ts';
import { recordingWatcher } from '../../test/support/push.ts';
import { SLEEP_METADATA, SLEEP_TASK_MODULE } from '../../test/support/sleep-jobs.ts';
import { startWorker } from '../../test/support/worker-process.ts';
import { type BenchStack, mapLimit, sleep } from '../stack.ts';
import { type Spread, spread } from '../stats.ts';

export interface FunctionRequestsOptions {
  stack: BenchStack;
  /** Jobs of each kind (direct drops, API uploads). */
  jobs: number;
  log: (line: string) => void;
}

/** One function's requests for one kind of job, per job. */
export interface PerJob {
  requests: number;
  byOperation: Record<string, number>;
}

export interface FunctionRequestsResult {
  jobs: number;
  ingest: {
    /** An object PUT straight into uploads/ (any S3 client). */
    directDrop: PerJob;
    /** POST /uploads, then a PUT to the presigned URL. */
    apiUpload: PerJob;
    /** PUT answered -> the job QUEUED with its message id, direct drops, ms. */
    ms: Spread;
  };
  fanout: PerJob & {
    /** Push events the watcher received per job (every status change and progress write). */
    eventsPerJob: number;
    /** finishedAt -> the final event at the watcher, ms. */
    delayMs: Spread;
  };
}

const IN_FLIGHT = 10;
const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==',
  'base64',
);

export async function runFunctionRequests(o: FunctionRequestsOptions): Promise<FunctionRequestsResult> {
  const { stack } = o;
  // The local API and the SDK's default credential chain read the stack from process.env.
  const saved = { ...process.env };
  Object.assign(process.env, stack.env, { POWERTOOLS_LOG_LEVEL: 'ERROR' });
  const suffix = stack.outputs.table.split('-').pop() ?? 'bench';
  const [ingestProxy, fanoutProxy] = await Promise.all([
    startCountingProxy(stack.outputs.endpoint),
    startCountingProxy(stack.outputs.endpoint),
  ]);
  const pushNames = suffixedPushNames(suffix);
  // The fan-out's posts to @connections pass its proxy too.
  const push = await provisionPush(stack.outputs, pushNames, { managementEndpoint: fanoutProxy.url });
  const client = await ensureLocalClient(stack.outputs, 'bench', { requestsPerSec: 1000, burst: 1000 });
  await routeFunctionThrough(stack.env, stack.names.ingestFunction, ingestProxy.url);
  await routeFunctionThrough(stack.env, pushNames.fanoutFunction, fanoutProxy.url);
  const api = await startLocalApi();
  const worker = await startWorker({
    ...stack.env,
    FERRY_TASK_MODULES: SLEEP_TASK_MODULE,
    FERRY_BUILT_IN_TASKS: '',
    FERRY_RECEIVE_WAIT_SEC: '1',
  });
  const watcher = await recordingWatcher(push.pushUrl, client.apiKey);
  try {
    watcher.watcher.subscribe({ all: true });
    await watcher.nextReply();
    const nonce = randomBytes(3).toString('hex');
    const body = JSON.stringify({ ms: 0 });

    // Direct drops through the whole pipeline: ingest, worker, fan-out.
    ingestProxy.reset();
    fanoutProxy.reset();
    const dropped = await mapLimit(range(o.jobs), IN_FLIGHT, async (i) => {
      // Under the client's prefix: a drop elsewhere belongs to the default client, not the watcher's.
      const key = `uploads/${client.clientId}/fn-${nonce}/${i}.json`;
      const out = await stack.s3.send(
        new PutObjectCommand({
          Bucket: stack.outputs.bucket,
          Key: key,
          Body: body,
          Metadata: SLEEP_METADATA,
        }),
      );
      return {
        jobId: deriveJobId({ bucket: stack.outputs.bucket, key, etag: String(out.ETag) }),
        putAt: Date.now(),
      };
    });
    const queuedMs = await Promise.all(dropped.map(async (d) => (await queuedAt(stack, d.jobId)) - d.putAt));
    o.log(`functions: ${o.jobs} direct drops queued; waiting for their final events`);
    const finals = await Promise.all(dropped.map((d) => watcher.finalFor(d.jobId)));
    await sleep(2000); // the fan-out's last batches (status writes after the final one, if any)
    const directDrop = perJob(ingestProxy, o.jobs);
    const fanout = perJob(fanoutProxy, o.jobs);
    const delays = await Promise.all(
      finals.map(async (f) => {
        const job = await stack.jobs.get(f.event.jobId);
        return f.arrivedAt - Date.parse(job?.finishedAt ?? '');
      }),
    );
    const ids = new Set(dropped.map((d) => d.jobId));
    const events = watcher.received.filter((r) => ids.has(r.event.jobId)).length;

    // API uploads: ingest only (a 1x1 PNG for the sleep task, which the worker fails as input it
    // cannot parse; the fan-out's figure above is the direct drops').
    ingestProxy.reset();
    const ferry = new FerryApi({ apiUrl: api.url, apiKey: client.apiKey });
    await mapLimit(range(o.jobs), IN_FLIGHT, async (i) => {
      const created = await ferry.createUpload({
        filename: `fn-${nonce}-${i}.png`,
        contentType: 'image/png',
        size: PNG_1X1.length,
        task: 'sleep',
      });
      if (created.upload.method !== 'PUT')
        throw new Error(`expected a PUT upload, got ${created.upload.method}`);
      const res = await fetch(created.upload.url, {
        method: 'PUT',
        headers: created.upload.headers,
        body: PNG_1X1,
      });
      if (!res.ok) throw new Error(`presigned PUT refused: HTTP ${res.status}`);
      await queuedAt(stack, created.jobId);
    });
    const apiUpload = perJob(ingestProxy, o.jobs);
    const result: FunctionRequestsResult = {
      jobs: o.jobs,
      ingest: { directDrop, apiUpload, ms: spread(queuedMs) },
      fanout: { ...fanout, eventsPerJob: round(events / o.jobs), delayMs: spread(delays) },
    };
    o.log(
      `functions: ingest ${directDrop.requests} (drop) / ${apiUpload.requests} (API) requests per job, ` +
        `fan-out ${fanout.requests} per job; push delay p95 ${result.fanout.delayMs.p95} ms`,
    );
    return result;
  } finally {
    watcher.watcher.stop();
    await worker.stop();
    await api.close();
    process.env = saved;
    await Promise.all([ingestProxy.close(), fanoutProxy.close()]);
  }
}

async function queuedAt(stack: BenchStack, jobId: string, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const job = await stack.jobs.get(jobId);
    if (job && job.status !== JobStatus.AwaitingUpload && job.messageId) return Date.now();
    await sleep(50);
  }
  throw new Error(`job ${jobId} was not queued within ${timeoutMs} ms`);
}

function perJob(proxy: CountingProxy, jobs: number): PerJob {
  const { byService, byOperation } = proxy.counts();
  const total = Object.values(byService).reduce((a, b) => a + b, 0);
  return {
    requests: round(total / jobs),
    byOperation: Object.fromEntries(Object.entries(byOperation).map(([op, n]) => [op, round(n / jobs)])),
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const round = (n: number) => Math.round(n * 100) / 100;
