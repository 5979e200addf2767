/**
 * @module bench/rows/pipeline
 * Row 2, "pipeline": the real worker process against the bench's own stack in the emulator.
 * Images go to `uploads/` through S3 all at once; throughput runs from the first PUT to the last
 * job's finishedAt. Then single images one at a time on the idle system give the overhead: the
 * end-to-end latency minus the job's own compute (decode + inference) as the worker recorded it.
 */
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Job } from '../../core/job.ts';
import { deriveJobId } from '../../core/keys.ts';
import { characterErrorRate } from '../../test/support/cer.ts';
import { buildWorkerBundle, startWorker, type WorkerProcess } from '../../test/support/worker-process.ts';
import { cpuShares, cpuSnapshot } from '../cpu.ts';
import type { BenchImage } from '../images.ts';
import { treeMemory } from '../memory.ts';
import { type BenchStack, sleep, warmIngest } from '../stack.ts';
import { mean, median, ratePerSec, type Spread, spread } from '../stats.ts';

export interface PipelineOptions {
  stack: BenchStack;
  images: BenchImage[];
  reps: number;
  overheadSamples: number;
  /** FERRY_* settings for the worker, on top of its defaults. */
  workerEnv: Record<string, string>;
  log: (line: string) => void;
  /** Longest wait for one repetition's jobs, ms. */
  timeoutMs?: number;
}

/** Medians of where a single image's time goes, ms. */
export interface StageBreakdown {
  /** PutObject round trip. */
  put: number;
  /** Upload start to job record created (S3 event -> ingest Lambda -> HeadObject -> PutItem). */
  toCreated: number;
  /** QUEUED to claimed (SendMessage, the long poll noticing it, the claim write). */
  queue: number;
  download: number;
  preprocess: number;
  inference: number;
  upload: number;
  /** Claimed to finishedAt, minus the worker's own measured steps (claim/succeed writes, scheduling). */
  bookkeeping: number;
}

export interface PipelineResult {
  worker: Record<string, unknown>;
  images: number;
  runs: number[];
  imagesPerSec: number;
  /**
   * Share of the burst's span the inference threads spent on jobs (decode + inference summed over
   * jobs / threads x span), median over repetitions. Near 1: the worker never starved its threads.
   */
  threadBusy: number;
  /**
   * During the bursts (medians): the worker process's CPU per image, comparable with the raw
   * row's, and the shares of all cores used by the worker and by every other process (the
   * emulator and its ingest Lambdas above all: on AWS they run on other machines).
   */
  cpu: { workerMsPerImage: number; workerShare: number; othersShare: number };
  /** Per job, all repetitions: created -> finished, and upload start -> finished, ms. */
  latency: { createdToFinished: Spread; uploadToFinished: Spread };
  overhead: {
    samples: number;
    endToEnd: Spread;
    compute: Spread;
    overhead: Spread;
    stages: StageBreakdown;
  };
  cer: number;
  cerNoSpaces: number;
  /** The worst reads of the last repetition, to see what the errors are. */
  worst: Array<{ name: string; cer: number; expected: string; read: string }>;
  memory: { workerPeakMiB: number; launcherPeakMiB: number; processes: number };
}

export async function runPipeline(o: PipelineOptions): Promise<PipelineResult> {
  const { stack, images } = o;
  const timeoutMs = o.timeoutMs ?? 180_000;
  await warmIngest(stack, images.length);
  const worker = await startWorker(
    {
      ...stack.env,
      // The production long poll (the test helper shortens it to 1 s).
      FERRY_RECEIVE_WAIT_SEC: '20',
      ...o.workerEnv,
    },
    { bundle: buildWorkerBundle() },
  );
  try {
    const ready = worker.logs.find((l) => l.msg === 'worker ready') ?? {};
    const {
      level: _l,
      time: _t,
      pid: _p,
      hostname: _h,
      service: _s,
      msg: _m,
      healthPort: _hp,
      ...config
    } = ready;
    const run = (prefix: string, batch: BenchImage[]) =>
      uploadAndWait(stack, [worker], prefix, batch, timeoutMs);
    const nonce = randomBytes(3).toString('hex');

    // Warm-up: each inference thread's first run allocates its arena and is slow.
    const threads = Number(config.threads ?? 2);
    await run(`uploads/bench-${nonce}/warm/`, images.slice(0, Math.max(1, threads)));

    if (o.overheadSamples > 0) o.log(`pipeline: ${o.overheadSamples} single images, one at a time`);
    const singles: Timed[] = [];
    for (let i = 0; i < o.overheadSamples; i++) {
      const image = images[i % images.length] as BenchImage;
      singles.push(...(await run(`uploads/bench-${nonce}/single-${i}/`, [image])));
      // Let the worker delete the message and go back to its long poll: an idle system.
      await sleep(300);
    }

    const runs: number[] = [];
    const busy: number[] = [];
    const cpu: Array<PipelineResult['cpu']> = [];
    const workerPid = worker.child.pid as number;
    const createdToFinished: number[] = [];
    const uploadToFinished: number[] = [];
    let last: Timed[] = [];
    for (let rep = 0; rep < o.reps; rep++) {
      const t0 = Date.now();
      const cpu0 = cpuSnapshot(workerPid);
      last = await run(`uploads/bench-${nonce}/burst-${rep}/`, images);
      const cpu1 = cpuSnapshot(workerPid);
      const shares = cpuShares(cpu0, cpu1);
      cpu.push({
        workerMsPerImage: (cpu1.processMs - cpu0.processMs) / images.length,
        workerShare: shares.process,
        othersShare: shares.others,
      });
      const end = Math.max(...last.map((t) => finished(t.job)));
      runs.push(ratePerSec(images.length, end - t0));
      // A batched inference call is one stretch of thread time shared by its jobs.
      busy.push(sum(last.map((t) => computeOf(t.job, t.batchSize))) / (threads * (end - t0)));
      o.log(`pipeline: repetition ${rep + 1}/${o.reps}: ${(runs.at(-1) as number).toFixed(2)} images/s`);
      for (const t of last) {
        createdToFinished.push(finished(t.job) - Date.parse(t.job.createdAt));
        uploadToFinished.push(finished(t.job) - t.uploadStart);
      }
    }

    const reads = await Promise.all(last.map((t) => readResultText(stack, t.job)));
    const scored = last.map((t, i) => ({
      name: t.image.name,
      expected: t.image.text,
      read: reads[i] as string,
      cer: characterErrorRate(t.image.text, reads[i] as string),
      cerNoSpaces: characterErrorRate(t.image.text, reads[i] as string, { ignoreSpaces: true }),
    }));

    const memory = treeMemory(worker.child.pid as number);
    const e2e = singles.map((t) => finished(t.job) - t.uploadStart);
    const compute = singles.map((t) => computeOf(t.job));
    return {
      worker: config,
      images: images.length,
      runs,
      imagesPerSec: median(runs),
      threadBusy: median(busy),
      cpu: {
        workerMsPerImage: median(cpu.map((c) => c.workerMsPerImage)),
        workerShare: median(cpu.map((c) => c.workerShare)),
        othersShare: median(cpu.map((c) => c.othersShare)),
      },
      latency: { createdToFinished: spread(createdToFinished), uploadToFinished: spread(uploadToFinished) },
      overhead: {
        samples: singles.length,
        endToEnd: spread(e2e),
        compute: spread(compute),
        overhead: spread(e2e.map((v, i) => v - (compute[i] as number))),
        stages: stageBreakdown(singles),
      },
      cer: mean(scored.map((s) => s.cer)),
      cerNoSpaces: mean(scored.map((s) => s.cerNoSpaces)),
      worst: scored
        .filter((s) => s.cer > 0)
        .sort((a, b) => b.cer - a.cer)
        .slice(0, 3)
        .map(({ name, cer, expected, read }) => ({ name, cer, expected, read })),
      memory: {
        workerPeakMiB: memory[0]?.peakMiB ?? Number.NaN,
        launcherPeakMiB: memory.slice(1).reduce((sum, m) => sum + m.peakMiB, 0),
        processes: memory.length,
      },
    };
  } finally {
    await worker.stop();
  }
}

export interface Timed {
  image: BenchImage;
  uploadStart: number;
  putMs: number;
  job: Job;
  /** Jobs in the inference call this job was part of (from the worker's log). */
  batchSize: number;
}

/**
 * Uploads `batch` at once under `prefix`, waits for every job to succeed in one of `workers`,
 * returns the final records.
 */
export async function uploadAndWait(
  stack: BenchStack,
  workers: WorkerProcess[],
  prefix: string,
  batch: BenchImage[],
  timeoutMs: number,
): Promise<Timed[]> {
  const bucket = stack.outputs.bucket;
  const fromLog = workers.map((w) => w.logs.length);
  const uploads = await Promise.all(
    batch.map(async (image) => {
      const key = `${prefix}${image.name}.png`;
      const uploadStart = Date.now();
      const out = await stack.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: image.png, ContentType: 'image/png' }),
      );
      return {
        image,
        uploadStart,
        putMs: Date.now() - uploadStart,
        jobId: deriveJobId({ bucket, key, etag: String(out.ETag) }),
      };
    }),
  );
  const batchSizes = await waitForJobs(workers, new Set(uploads.map((u) => u.jobId)), fromLog, timeoutMs);
  return Promise.all(
    uploads.map(async ({ jobId, ...u }) => ({
      ...u,
      job: await stack.jobs.require(jobId),
      batchSize: batchSizes.get(jobId) ?? 1,
    })),
  );
}

/**
 * Waits for a "job succeeded" log line per id in any of the workers' logs, read from `from` (one
 * cursor per worker). The worker logs it after the SUCCEEDED write, so the record is final when
 * it arrives; reading the log costs the emulator nothing, where polling the table would take CPU
 * from the worker being measured.
 */
async function waitForJobs(
  workers: WorkerProcess[],
  ids: Set<string>,
  from: number[],
  timeoutMs: number,
): Promise<Map<string, number>> {
  const pending = new Set(ids);
  const batchSizes = new Map<string, number>();
  const deadline = Date.now() + timeoutMs;
  const cursors = [...from];
  while (pending.size > 0) {
    for (const [i, worker] of workers.entries()) {
      for (; (cursors[i] as number) < worker.logs.length; cursors[i] = (cursors[i] as number) + 1) {
        const line = worker.logs[cursors[i] as number] as Record<string, unknown>;
        const jobId = String(line.jobId ?? '');
        if (!pending.has(jobId)) continue;
        if (line.msg === 'job succeeded') {
          pending.delete(jobId);
          batchSizes.set(jobId, Number(line.batchSize ?? 1));
        } else if (typeof line.msg === 'string' && line.msg.startsWith('job failed')) {
          throw new Error(`job ${jobId} failed in worker ${i}: ${String(line.error ?? line.msg)}`);
        }
      }
      if (worker.child.exitCode !== null)
        throw new Error(`worker ${i} exited with code ${worker.child.exitCode}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`${pending.size} of ${ids.size} jobs did not succeed within ${timeoutMs} ms`);
    }
    await sleep(20);
  }
  return batchSizes;
}

/** The job's own decode + inference as the worker recorded it; a batch's inference split among its jobs. */
function computeOf(job: Job, batchSize = 1): number {
  return (job.timings?.preprocess ?? 0) + (job.timings?.inference ?? 0) / batchSize;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function finished(job: Job): number {
  return Date.parse(job.finishedAt ?? '');
}

function stageBreakdown(samples: Timed[]): StageBreakdown {
  const of = (f: (t: Timed) => number) => median(samples.map(f));
  const t = (s: Timed) => s.job.timings ?? {};
  return {
    put: of((s) => s.putMs),
    toCreated: of((s) => Date.parse(s.job.createdAt) - s.uploadStart),
    queue: of((s) => t(s).queue ?? 0),
    download: of((s) => t(s).download ?? 0),
    preprocess: of((s) => t(s).preprocess ?? 0),
    inference: of((s) => t(s).inference ?? 0),
    upload: of((s) => t(s).upload ?? 0),
    bookkeeping: of((s) => {
      const claimed = Date.parse(s.job.startedAt ?? '');
      const steps =
        (t(s).download ?? 0) + (t(s).preprocess ?? 0) + (t(s).inference ?? 0) + (t(s).upload ?? 0);
      return finished(s.job) - claimed - steps;
    }),
  };
}

async function readResultText(stack: BenchStack, job: Job): Promise<string> {
  const out = await stack.s3.send(new GetObjectCommand({ Bucket: job.bucket, Key: String(job.resultKey) }));
  const body = JSON.parse((await out.Body?.transformToString()) ?? '{}') as { result?: { text?: string } };
  return body.result?.text ?? '';
}
