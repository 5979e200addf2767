/**
 * @module bench/rows/batching
 * Row "batching": cross-job batching (FERRY_MAX_BATCH_SIZE) swept over 1, 4, 8 and 16 on the
 * raw row's pool, on the execution providers the run is given. On a CPU machine it shows what
 * batching costs there (padding, no wide kernels to fill); on a GPU machine, with
 * `--env FERRY_EXECUTION_PROVIDERS=cuda,cpu`, it is the GPU run: images/s, p95 latency and the
 * card's memory in use (nvidia-smi) per batch size.
 */
import { execFileSync } from 'node:child_process';
import type { BenchImage } from '../images.ts';
import { median, percentile } from '../stats.ts';
import { meanCer, type RawPass, startRawPool } from './raw.ts';

export interface BatchingRun {
  maxBatchSize: number;
  executionProvider: string;
  imagesPerSec: number;
  /** Submit -> result per image, all submitted at once (median pass). */
  latencyMs: { p50: number; p95: number };
  cer: number;
  /** nvidia-smi's memory.used after the passes, MiB; undefined without a GPU. */
  gpuMemoryMiB?: number;
}

export interface BatchingResult {
  /** nvidia-smi's name of GPU 0, or undefined without one. */
  gpu?: string;
  images: number;
  reps: number;
  runs: BatchingRun[];
}

export const BATCH_SIZES = [1, 4, 8, 16] as const;

export async function runBatching(o: {
  images: BenchImage[];
  reps: number;
  env: Record<string, string>;
  log: (line: string) => void;
}): Promise<BatchingResult> {
  const runs: BatchingRun[] = [];
  for (const size of BATCH_SIZES) {
    const pool = await startRawPool({ ...o.env, FERRY_MAX_BATCH_SIZE: String(size) }, o.images);
    try {
      const passes: RawPass[] = [];
      for (let rep = 0; rep < o.reps; rep++) passes.push(await pool.pass(o.images));
      const mid = [...passes].sort((a, b) => a.imagesPerSec - b.imagesPerSec)[
        Math.floor(passes.length / 2)
      ] as RawPass;
      runs.push({
        maxBatchSize: size,
        executionProvider: mid.executionProvider,
        imagesPerSec: median(passes.map((p) => p.imagesPerSec)),
        latencyMs: { p50: percentile(mid.latencyMs, 50), p95: percentile(mid.latencyMs, 95) },
        cer: meanCer(o.images, mid.texts),
        gpuMemoryMiB: nvidiaSmi('memory.used').map(Number)[0],
      });
      o.log(`batching: ${size}: ${(runs.at(-1) as BatchingRun).imagesPerSec.toFixed(2)} images/s`);
    } finally {
      await pool.close();
    }
  }
  return { gpu: nvidiaSmi('name')[0], images: o.images.length, reps: o.reps, runs };
}

/** One field per GPU from nvidia-smi; none where there is no NVIDIA driver. */
function nvidiaSmi(field: string): string[] {
  try {
    return execFileSync('nvidia-smi', [`--query-gpu=${field}`, '--format=csv,noheader,nounits'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return [];
  }
}
