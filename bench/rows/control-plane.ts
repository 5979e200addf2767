/**
 * @module bench/rows/control-plane
 * Row "control": the no-op sleep task (0 ms) through upload -> ingest -> queue -> claim ->
 * succeed, so only Ferry's bookkeeping is measured: jobs/s sustained by one worker, the job's own
 * claimed -> finished time, and the AWS requests per job by service, counted by a proxy between
 * the worker and the emulator, with their cost at list prices.
 */
import { randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { deriveJobId } from '../../core/keys.ts';
import { startCountingProxy } from '../../test/support/aws-proxy.ts';
import { startWorker } from '../../test/support/worker-process.ts';
import { type BenchStack, mapLimit, seedQueuedJobs, sleep, warmIngest } from '../stack.ts';
import { mean, ratePerSec } from '../stats.ts';

/**
 * The ingest function's calls per direct drop under a client's prefix, as the functions row
 * (rows/function-requests.ts) measures them through a proxy: HeadObject, the owner's GetItem in
 * the clients table, the job's Put (which holds the send claim), SendMessage, the Update
 * recording the message id. This row's own proxy sits in front of the worker only.
 */
export const INGEST_REQUESTS = { S3: 1, SQS: 1, DynamoDB: 3 } as const;

/**
 * US-East-1 list prices in $ per million requests, from memory (November 2026), not fetched:
 * S3 Standard PUT 5.00, GET/HEAD 0.40; SQS standard 0.40 (per 64 KiB); DynamoDB on demand 0.625
 * per write request unit and 0.125 per read request unit (items under 1 KiB). Lambda's own
 * invocation (0.20) and compute are left out.
 */
const PRICE_PER_MILLION: Record<string, number> = {
  'S3 PUT': 5,
  'S3 POST': 5,
  'S3 GET': 0.4,
  'S3 HEAD': 0.4,
  SQS: 0.4,
  'DynamoDB write': 0.625,
  'DynamoDB read': 0.125,
};

export interface ControlPlaneResult {
  jobs: number;
  /** Upload -> ingest -> queue -> claim -> succeed, all uploads at 8 in flight. */
  jobsPerSec: number;
  /** Queue -> claim -> succeed from a seeded backlog (no ingest), the same worker. */
  workerOnlyJobsPerSec: number;
  /** The worker's requests per job in that phase: receives and deletes batch under a backlog. */
  workerOnlyRequestsPerJob: number;
  /** The worker's jobs held at once (sized for OCR by default). */
  maxInFlight: number;
  /** The job record's startedAt -> finishedAt, ms (claim, download, 0 ms task, result upload, succeed). */
  bookkeepingMs: number;
  /**
   * Means over the sampled records' timings: queue wait, download, result upload, and the rest of
   * startedAt -> finishedAt (the pool's round trip to a thread and the SUCCEEDED write).
   */
  stagesMs: { queue: number; download: number; upload: number; rest: number };
  /** Worker requests per job, measured. */
  workerPerJob: { S3: number; SQS: number; DynamoDB: number };
  workerByOperation: Record<string, number>;
  /** Worker + ingest (counted from code) + the client's upload, per job. */
  totalPerJob: number;
  dollarsPerMillionJobs: number;
}

export async function runControlPlane(o: {
  stack: BenchStack;
  endpoint: string;
  jobs: number;
  /** FERRY_* settings for the worker (e.g. FERRY_MAX_IN_FLIGHT, sized for OCR by default). */
  workerEnv: Record<string, string>;
  log: (line: string) => void;
}): Promise<ControlPlaneResult> {
  const { stack } = o;
  await warmIngest(stack, 8);
  const proxy = await startCountingProxy(o.endpoint);
  // Every URL of the stack through the proxy: the SQS client sends to the queue URL's own host.
  const viaProxy = Object.fromEntries(
    Object.entries(stack.env).map(([k, v]) => [k, v.replaceAll(o.endpoint.replace(/\/$/, ''), proxy.url)]),
  );
  const worker = await startWorker({
    ...viaProxy,
    AWS_ENDPOINT_URL: proxy.url,
    FERRY_TASK_MODULES: 'test/fixtures/tasks/sleep-task.ts',
    FERRY_RECEIVE_WAIT_SEC: '20',
    ...o.workerEnv,
  });
  try {
    const nonce = randomBytes(3).toString('hex');
    proxy.reset();
    const t0 = Date.now();
    const ids = await mapLimit(
      Array.from({ length: o.jobs }, (_, i) => i),
      8,
      async (i) => {
        const key = `uploads/cp-${nonce}/${i}.json`;
        const out = await stack.s3.send(
          new PutObjectCommand({
            Bucket: stack.outputs.bucket,
            Key: key,
            Body: '{"ms":0}',
            Metadata: { 'ferry-task': 'sleep' },
          }),
        );
        return deriveJobId({ bucket: stack.outputs.bucket, key, etag: String(out.ETag) });
      },
    );
    const done = () => worker.logs.filter((l) => l.msg === 'job succeeded').length;
    const deadline = Date.now() + 180_000;
    while (done() < o.jobs && Date.now() < deadline) await sleep(50);
    if (done() < o.jobs) throw new Error(`only ${done()} of ${o.jobs} no-op jobs succeeded in 180 s`);
    const elapsed = Date.now() - t0;
    const counts = proxy.counts();
    const records = await Promise.all(ids.slice(0, 50).map((id) => stack.jobs.get(id)));
    const spans = records.flatMap((job) =>
      job?.startedAt && job.finishedAt ? [Date.parse(job.finishedAt) - Date.parse(job.startedAt)] : [],
    );
    const timed = records.flatMap((job) => (job?.timings ? [job.timings] : []));
    const download = mean(timed.map((t) => t.download ?? 0));
    const upload = mean(timed.map((t) => t.upload ?? 0));
    const stagesMs = {
      queue: mean(timed.map((t) => t.queue ?? 0)),
      download,
      upload,
      rest: mean(spans) - download - upload,
    };
    const per = (n: number) => n / o.jobs;
    const workerPerJob = {
      S3: per(counts.byService.S3),
      SQS: per(counts.byService.SQS),
      DynamoDB: per(counts.byService.DynamoDB),
    };
    let dollars = 0;
    for (const [op, n] of Object.entries(counts.byOperation)) {
      const [service, name = ''] = op.split(' ');
      const price =
        service === 'S3'
          ? (PRICE_PER_MILLION[op] ?? 0)
          : service === 'SQS'
            ? (PRICE_PER_MILLION.SQS as number)
            : (PRICE_PER_MILLION[/Get|Query|Scan/.test(name) ? 'DynamoDB read' : 'DynamoDB write'] as number);
      dollars += per(n) * price;
    }
    // Ingest (HEAD + one SendMessage + two writes) and the client's PUT.
    dollars += 0.4 + 0.4 + 2 * 0.625 + 5;
    const ingest = INGEST_REQUESTS.S3 + INGEST_REQUESTS.SQS + INGEST_REQUESTS.DynamoDB;

    // The same worker on a seeded backlog: the emulator runs each ingest invocation as a node
    // process on this machine's cores, which bounds the end-to-end figure above; this one is
    // what queue -> claim -> succeed sustains on its own.
    const before = done();
    // The seeding goes to the emulator directly: the proxy now counts only the worker's requests.
    proxy.reset();
    const t1 = Date.now();
    await seedQueuedJobs(stack, { count: o.jobs, idPrefix: `cp-seeded-${nonce}`, taskMs: 0 });
    const until = Date.now() + 180_000;
    while (done() - before < o.jobs && Date.now() < until) await sleep(20);
    if (done() - before < o.jobs)
      throw new Error(`only ${done() - before} of ${o.jobs} seeded no-op jobs succeeded in 180 s`);
    const workerOnlyJobsPerSec = ratePerSec(o.jobs, Date.now() - t1);
    const backlog = proxy.counts().byService;
    return {
      workerOnlyJobsPerSec,
      workerOnlyRequestsPerJob: per(backlog.S3 + backlog.SQS + backlog.DynamoDB),
      maxInFlight: Number(worker.logs.find((l) => l.msg === 'worker ready')?.maxInFlight ?? Number.NaN),
      jobs: o.jobs,
      jobsPerSec: ratePerSec(o.jobs, elapsed),
      bookkeepingMs: mean(spans),
      stagesMs,
      workerPerJob,
      workerByOperation: Object.fromEntries(
        Object.entries(counts.byOperation).map(([k, v]) => [k, Math.round(per(v) * 100) / 100]),
      ),
      totalPerJob: workerPerJob.S3 + workerPerJob.SQS + workerPerJob.DynamoDB + ingest + 1,
      dollarsPerMillionJobs: dollars,
    };
  } finally {
    await worker.stop();
    await proxy.close();
  }
}
