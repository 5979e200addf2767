/**
 * @module bench/rows/tesseract
 * Row 6, "peer": Tesseract 5 on the same images, `tesseract <png> stdout`, two processes at a
 * time (one per core on the reference machine). Skipped with a note when `tesseract` is not on
 * PATH: the benchmark never installs anything.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { characterErrorRate } from '../../test/support/cer.ts';
import type { BenchImage } from '../images.ts';
import { mapLimit } from '../stack.ts';
import { mean, median, ratePerSec } from '../stats.ts';

const run = promisify(execFile);

export interface TesseractOptions {
  images: BenchImage[];
  reps: number;
  /** Processes at once. */
  parallel: number;
}

export type TesseractResult =
  | { skipped: true; note: string }
  | {
      skipped: false;
      version: string;
      parallel: number;
      images: number;
      runs: number[];
      imagesPerSec: number;
      cer: number;
      cerNoSpaces: number;
    };

/** The first line of `tesseract --version`, or undefined when it is not installed. */
export function tesseractVersion(): string | undefined {
  const out = spawnSync('tesseract', ['--version'], { encoding: 'utf8' });
  if (out.error || out.status !== 0) return undefined;
  return `${out.stdout}${out.stderr}`.split('\n')[0]?.trim();
}

export async function runTesseract(o: TesseractOptions): Promise<TesseractResult> {
  const version = tesseractVersion();
  if (!version) {
    return {
      skipped: true,
      note: '`tesseract` is not on PATH (e.g. `apt-get install tesseract-ocr`); row skipped.',
    };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-bench-tesseract-'));
  try {
    const files = await Promise.all(
      o.images.map(async (image) => {
        const file = path.join(dir, `${image.name}.png`);
        await writeFile(file, image.png);
        return file;
      }),
    );
    // Tesseract's OpenMP would otherwise give each process every core: with N processes on N
    // cores that oversubscribes, and Tesseract's docs advise one thread per process for this.
    const env = { ...process.env, OMP_THREAD_LIMIT: '1' };
    const ocr = async (file: string) => (await run('tesseract', [file, 'stdout'], { env })).stdout;
    await ocr(files[0] as string);
    const runs: number[] = [];
    let texts: string[] = [];
    for (let rep = 0; rep < o.reps; rep++) {
      const t0 = performance.now();
      texts = await mapLimit(files, o.parallel, ocr);
      runs.push(ratePerSec(files.length, performance.now() - t0));
    }
    return {
      skipped: false,
      version,
      parallel: o.parallel,
      images: o.images.length,
      runs,
      imagesPerSec: median(runs),
      cer: mean(o.images.map((image, i) => characterErrorRate(image.text, texts[i] ?? ''))),
      cerNoSpaces: mean(
        o.images.map((image, i) => characterErrorRate(image.text, texts[i] ?? '', { ignoreSpaces: true })),
      ),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
