/**
 * @module bench/levers
 * `npm run bench -- --levers`: each OCR throughput and memory lever against the defaults. Speed
 * is compared in interleaved pairs on the raw row (the same images, default then lever, the
 * ratio of each pair, median over pairs, the load average recorded with each pair), so a shared,
 * loaded machine shifts both sides alike. Accuracy on the clean bench images and on a tilted,
 * blurred, noisy copy of them. Peak RSS of each setting in a process of its own.
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { degradeTextImage } from '../test/support/degrade.ts';
import type { BenchImage } from './images.ts';
import { meanCer, type RawPass, startRawPool } from './rows/raw.ts';
import { median } from './stats.ts';

export interface Lever {
  name: string;
  env: Record<string, string>;
}

/** The levers, each one change from the defaults. */
export const LEVERS: Lever[] = [
  { name: 'CPU memory arena on (onnxruntime default)', env: { FERRY_OCR_CPU_ARENA: 'true' } },
  { name: 'int8 recogniser (static, calibrated)', env: { FERRY_OCR_PRECISION: 'int8' } },
  { name: 'detection side limit 640', env: { FERRY_OCR_DET_LIMIT_SIDE: '640' } },
  { name: 'detection scaled to 12 px text', env: { FERRY_OCR_DET_TEXT_HEIGHT: '12' } },
  { name: 'detection scaled to 14 px text', env: { FERRY_OCR_DET_TEXT_HEIGHT: '14' } },
  {
    name: 'arena on + detection scaled to 12 px text',
    env: { FERRY_OCR_CPU_ARENA: 'true', FERRY_OCR_DET_TEXT_HEIGHT: '12' },
  },
  { name: 'recognition batch 8 (width-sorted)', env: { FERRY_OCR_REC_BATCH: '8' } },
  { name: 'memory pattern on (onnxruntime default)', env: { FERRY_OCR_MEM_PATTERN: 'true' } },
  { name: 'detection scaled to 10 px text', env: { FERRY_OCR_DET_TEXT_HEIGHT: '10' } },
  {
    name: 'int8 recogniser + detection at 10 px text',
    env: { FERRY_OCR_PRECISION: 'int8', FERRY_OCR_DET_TEXT_HEIGHT: '10' },
  },
];

export interface LeverRow {
  name: string;
  env: Record<string, string>;
  /** lever / default images/s of each interleaved pair. */
  ratios: number[];
  /** Median of `ratios`. */
  speedup: number;
  /** lever / default CPU ms per image, median over pairs. */
  cpuRatio: number;
  defaultPerSec: number;
  leverPerSec: number;
  /** 1-minute load average when each pair started. */
  loadAvg: number[];
  cer: number;
  cerNoisy: number;
  peakMiB?: number;
  error?: string;
}

export interface LeversResult {
  images: number;
  pairs: number;
  defaults: { cer: number; cerNoisy: number; peakMiB?: number; memory?: PoolMemory };
  rows: LeverRow[];
}

interface PoolMemory {
  beforeMiB: number;
  loadedMiB: number;
  peakMiB: number;
}

const ROOT = path.resolve(import.meta.dirname, '..');

/** The images with their pixels tilted, blurred and noised (test/support/degrade.ts), same text. */
export async function noisyImages(images: BenchImage[]): Promise<BenchImage[]> {
  return Promise.all(
    images.map(async (image, i) => ({ ...image, png: await degradeTextImage(image.png, { seed: i + 1 }) })),
  );
}

async function poolMemory(env: Record<string, string>, images: number): Promise<PoolMemory> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'bench', 'pool-memory.ts'), JSON.stringify(env), String(images)],
    { cwd: ROOT, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as PoolMemory;
}

export async function runLevers(o: {
  images: BenchImage[];
  pairs: number;
  levers?: Lever[];
  log: (line: string) => void;
}): Promise<LeversResult> {
  const noisy = await noisyImages(o.images);
  const defaults = await startRawPool({}, o.images);
  const rows: LeverRow[] = [];
  let defaultCer: { cer: number; cerNoisy: number };
  try {
    defaultCer = {
      cer: meanCer(o.images, (await defaults.pass(o.images)).texts),
      cerNoisy: meanCer(noisy, (await defaults.pass(noisy)).texts),
    };
    for (const lever of o.levers ?? LEVERS) {
      o.log(`levers: ${lever.name}`);
      try {
        const pool = await startRawPool(lever.env, o.images);
        try {
          const a: RawPass[] = [];
          const b: RawPass[] = [];
          const loadAvg: number[] = [];
          for (let i = 0; i < o.pairs; i++) {
            loadAvg.push(os.loadavg()[0] as number);
            // Alternate which side goes first, so a drifting load does not favour one.
            if (i % 2 === 0) {
              a.push(await defaults.pass(o.images));
              b.push(await pool.pass(o.images));
            } else {
              b.push(await pool.pass(o.images));
              a.push(await defaults.pass(o.images));
            }
          }
          const ratios = b.map((p, i) => p.imagesPerSec / (a[i] as RawPass).imagesPerSec);
          const cpu = (passes: RawPass[]) => median(passes.map((p) => p.cpuMsPerImage));
          const row: LeverRow = {
            name: lever.name,
            env: lever.env,
            ratios,
            speedup: median(ratios),
            cpuRatio: cpu(b) / cpu(a),
            defaultPerSec: median(a.map((p) => p.imagesPerSec)),
            leverPerSec: median(b.map((p) => p.imagesPerSec)),
            loadAvg,
            cer: meanCer(o.images, (b.at(-1) as RawPass).texts),
            cerNoisy: meanCer(noisy, (await pool.pass(noisy)).texts),
          };
          rows.push(row);
          o.log(
            `  ${row.speedup.toFixed(2)}x (pairs ${ratios.map((r) => r.toFixed(2)).join(' ')}), CPU ${row.cpuRatio.toFixed(2)}x, CER ${pct(row.cer)} / noisy ${pct(row.cerNoisy)}, load ${loadAvg.map((l) => l.toFixed(1)).join(' ')}`,
          );
        } finally {
          await pool.close();
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        o.log(`  failed: ${message}`);
        rows.push({
          name: lever.name,
          env: lever.env,
          ratios: [],
          speedup: Number.NaN,
          cpuRatio: Number.NaN,
          defaultPerSec: Number.NaN,
          leverPerSec: Number.NaN,
          loadAvg: [],
          cer: Number.NaN,
          cerNoisy: Number.NaN,
          error: message,
        });
      }
    }
  } finally {
    await defaults.close();
  }
  // Memory after the timing, one process at a time, so no two settings share the machine.
  o.log('levers: peak RSS of each setting, in a process of its own');
  const memory = await poolMemory({}, o.images.length).catch(() => undefined);
  for (const row of rows) {
    if (row.error) continue;
    row.peakMiB = (await poolMemory(row.env, o.images.length).catch(() => undefined))?.peakMiB;
  }
  return {
    images: o.images.length,
    pairs: o.pairs,
    defaults: { ...defaultCer, ...(memory ? { peakMiB: memory.peakMiB, memory } : {}) },
    rows,
  };
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
const mib = (v: number | undefined) => (v === undefined ? 'n/a' : `${Math.round(v)} MiB`);

export function renderLevers(r: LeversResult): string {
  const lines = [
    `Defaults: CER ${pct(r.defaults.cer)} clean, ${pct(r.defaults.cerNoisy)} noisy; peak RSS ${mib(r.defaults.peakMiB)}` +
      (r.defaults.memory
        ? ` (node + sharp ${mib(r.defaults.memory.beforeMiB)}, after loading the models in every thread ${mib(r.defaults.memory.loadedMiB)})`
        : ''),
    '',
    `${r.images} images, ${r.pairs} interleaved pairs per lever; speed-up = median of lever/default per pair.`,
    '',
    '| Lever | Speed-up | Pairs | CPU/image | CER clean | CER noisy | Peak RSS | Load avg |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.rows.map((row) =>
      row.error
        ? `| ${row.name} | failed: ${row.error} | | | | | | |`
        : `| ${row.name} | ${row.speedup.toFixed(2)}x | ${row.ratios.map((x) => x.toFixed(2)).join(' ')} | ${row.cpuRatio.toFixed(2)}x | ${pct(row.cer)} | ${pct(row.cerNoisy)} | ${mib(row.peakMiB)} | ${row.loadAvg.map((l) => l.toFixed(1)).join(' ')} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
