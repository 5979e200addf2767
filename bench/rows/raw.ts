/**
 * @module bench/rows/raw
 * Row 1, "raw": the ocr task in-process through the worker's own InferencePool with the worker's
 * thread configuration, every image submitted at once. No S3, queue or table: the ceiling the
 * pipeline is measured against on this machine.
 */
import { performance } from 'node:perf_hooks';
import { workerConfigFromEnv } from '../../gpu-worker/config.ts';
import { InferencePool } from '../../gpu-worker/inference/pool.ts';
import { readTaskOptions } from '../../gpu-worker/tasks/registry.ts';
import { characterErrorRate } from '../../test/support/cer.ts';
import type { BenchImage } from '../images.ts';
import { mean, median, ratePerSec, type Spread, spread } from '../stats.ts';

export interface RawOptions {
  images: BenchImage[];
  reps: number;
  /** FERRY_* overrides on top of the worker's defaults (the same ones the pipeline worker gets). */
  env: Record<string, string>;
}

export interface RawResult {
  threads: number;
  intraOpThreads: number;
  maxBatchSize: number;
  images: number;
  /** images/s of each repetition; the row's figure is their median. */
  runs: number[];
  imagesPerSec: number;
  /** Share of each pass the threads spent on images (see PipelineResult.threadBusy), median. */
  threadBusy: number;
  /**
   * CPU time of the whole process per image, ms (median over repetitions). Unlike images/s it
   * barely moves when other work shares the machine, so it compares settings on a busy box.
   */
  cpuMsPerImage: number;
  /** Per-image preprocess + inference time inside a thread, ms (all repetitions). */
  perImageMs: Spread;
  /** Mean CER over the images of the last repetition, counting spaces and ignoring them. */
  cer: number;
  cerNoSpaces: number;
}

/** One pass over every image, all submitted at once. */
export interface RawPass {
  imagesPerSec: number;
  threadBusy: number;
  cpuMsPerImage: number;
  perImageMs: number[];
  /** Each image's submit -> result, ms (all submitted at once, so queueing is in it). */
  latencyMs: number[];
  /** The execution provider the pool's sessions run on (cpu unless FERRY_EXECUTION_PROVIDERS says). */
  executionProvider: string;
  texts: string[];
}

export interface RawPool {
  threads: number;
  intraOpThreads: number;
  maxBatchSize: number;
  pass(images: BenchImage[]): Promise<RawPass>;
  close(): Promise<void>;
}

/**
 * Starts an InferencePool configured exactly as the worker would be with `env`, warmed up; on
 * the CPU unless `env` sets FERRY_EXECUTION_PROVIDERS.
 */
export async function startRawPool(env: Record<string, string>, warmWith: BenchImage[]): Promise<RawPool> {
  // Parsed exactly as the worker parses it, so "the worker's thread configuration" cannot drift.
  const config = workerConfigFromEnv({ ...process.env, FERRY_EXECUTION_PROVIDERS: 'cpu', ...env });
  const pool = new InferencePool({
    threads: config.inferenceThreads,
    intraOpThreads: config.intraOpThreads,
    executionProviders: config.executionProviders,
    taskModules: [],
    // FERRY_OCR_* as the worker reads them: once, here, handed to the threads.
    taskOptions: readTaskOptions({ ...process.env, ...env }),
    maxBatchSize: config.maxBatchSize,
    maxBatchWaitMs: config.maxBatchWaitMs,
    limits: { maxInputBytes: config.maxInputBytes, maxInputPixels: config.maxInputPixels },
  });
  try {
    await pool.start();
  } catch (error) {
    await pool.close();
    throw error;
  }
  const pass = async (images: BenchImage[]): Promise<RawPass> => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const latencyMs: number[] = [];
    const results = await Promise.all(
      images.map(async (image) => {
        const result = await pool.run('ocr', image.png);
        latencyMs.push(performance.now() - t0);
        return result;
      }),
    );
    const elapsed = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    // A batched inference call is one stretch of thread time shared by its jobs.
    const perImageMs = results.map((r) => r.timings.preprocess + r.timings.inference / r.batchSize);
    return {
      imagesPerSec: ratePerSec(images.length, elapsed),
      threadBusy: perImageMs.reduce((a, b) => a + b, 0) / (config.inferenceThreads * elapsed),
      cpuMsPerImage: (cpu.user + cpu.system) / 1000 / images.length,
      perImageMs,
      latencyMs,
      executionProvider: results[0]?.executionProvider ?? 'unknown',
      texts: results.map((r) => (r.result as { text: string }).text),
    };
  };
  // One image per thread first: the first run of a session allocates its arena and is slower.
  await pass(
    Array.from({ length: config.inferenceThreads }, (_, i) => warmWith[i % warmWith.length] as BenchImage),
  );
  return {
    threads: config.inferenceThreads,
    intraOpThreads: config.intraOpThreads,
    maxBatchSize: config.maxBatchSize,
    pass,
    close: () => pool.close(),
  };
}

export async function runRaw(options: RawOptions): Promise<RawResult> {
  const { images, reps } = options;
  const pool = await startRawPool(options.env, images);
  try {
    const passes: RawPass[] = [];
    for (let rep = 0; rep < reps; rep++) passes.push(await pool.pass(images));
    const texts = (passes.at(-1) as RawPass).texts;
    return {
      threads: pool.threads,
      intraOpThreads: pool.intraOpThreads,
      maxBatchSize: pool.maxBatchSize,
      images: images.length,
      runs: passes.map((p) => p.imagesPerSec),
      imagesPerSec: median(passes.map((p) => p.imagesPerSec)),
      threadBusy: median(passes.map((p) => p.threadBusy)),
      cpuMsPerImage: median(passes.map((p) => p.cpuMsPerImage)),
      perImageMs: spread(passes.flatMap((p) => p.perImageMs)),
      cer: meanCer(images, texts),
      cerNoSpaces: meanCer(images, texts, true),
    };
  } finally {
    await pool.close();
  }
}

export function meanCer(images: BenchImage[], texts: string[], ignoreSpaces = false): number {
  return mean(images.map((image, i) => characterErrorRate(image.text, texts[i] ?? '', { ignoreSpaces })));
}
