/**
 * @module bench/rows/naive
 * Row 3, "naive": bench/naive-consumer.ts (one message at a time, inference on the main thread)
 * on the same images and the same kind of stack as the pipeline row, as its own process.
 * Throughput runs from the first PUT to the last result written.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { characterErrorRate } from '../../test/support/cer.ts';
import type { BenchImage } from '../images.ts';
import { treeMemory } from '../memory.ts';
import { type BenchStack, sleep, warmIngest } from '../stack.ts';
import { mean, median, ratePerSec, type Spread, spread } from '../stats.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface NaiveOptions {
  stack: BenchStack;
  images: BenchImage[];
  reps: number;
  /** FERRY_OCR_* options, the same the pipeline worker gets, so both read with the same settings. */
  env: Record<string, string>;
  log: (line: string) => void;
  timeoutMs?: number;
}

export interface NaiveResult {
  images: number;
  runs: number[];
  imagesPerSec: number;
  /** Per image decode + inference on the main thread, ms. */
  computeMs: Spread;
  cer: number;
  peakMiB: number;
}

interface Done {
  jobId: string;
  key: string;
  at: number;
  computeMs: number;
  text: string;
}

export async function runNaive(o: NaiveOptions): Promise<NaiveResult> {
  // The same warm ingest function as the pipeline row gets (see warmIngest).
  await warmIngest(o.stack, o.images.length);
  const consumer = startConsumer(o.stack.env, o.env);
  try {
    await consumer.waitFor((l) => l.msg === 'ready', 60_000);
    const nonce = randomBytes(3).toString('hex');
    const timeoutMs = o.timeoutMs ?? 300_000;
    // Warm-up: the first run of a session allocates its arena.
    await uploadAndWait(o, consumer, `uploads/naive-${nonce}/warm/`, o.images.slice(0, 1), timeoutMs);
    const runs: number[] = [];
    const compute: number[] = [];
    let last: Array<{ image: BenchImage; done: Done }> = [];
    for (let rep = 0; rep < o.reps; rep++) {
      const t0 = Date.now();
      last = await uploadAndWait(o, consumer, `uploads/naive-${nonce}/burst-${rep}/`, o.images, timeoutMs);
      runs.push(ratePerSec(o.images.length, Math.max(...last.map((d) => d.done.at)) - t0));
      compute.push(...last.map((d) => d.done.computeMs));
      o.log(`naive: repetition ${rep + 1}/${o.reps}: ${(runs.at(-1) as number).toFixed(2)} images/s`);
    }
    const peakMiB = treeMemory(consumer.child.pid as number)[0]?.peakMiB ?? Number.NaN;
    return {
      images: o.images.length,
      runs,
      imagesPerSec: median(runs),
      computeMs: spread(compute),
      cer: mean(last.map((d) => characterErrorRate(d.image.text, d.done.text))),
      peakMiB,
    };
  } finally {
    await consumer.stop();
  }
}

async function uploadAndWait(
  o: NaiveOptions,
  consumer: Consumer,
  prefix: string,
  batch: BenchImage[],
  timeoutMs: number,
): Promise<Array<{ image: BenchImage; done: Done }>> {
  const byKey = new Map(batch.map((image) => [`${prefix}${image.name}.png`, image]));
  const from = consumer.lines.length;
  await Promise.all(
    [...byKey].map(([key, image]) =>
      o.stack.s3.send(
        new PutObjectCommand({
          Bucket: o.stack.outputs.bucket,
          Key: key,
          Body: image.png,
          ContentType: 'image/png',
        }),
      ),
    ),
  );
  const deadline = Date.now() + timeoutMs;
  const found = new Map<string, Done>();
  let cursor = from;
  while (found.size < byKey.size) {
    for (; cursor < consumer.lines.length; cursor++) {
      const line = consumer.lines[cursor] as Record<string, unknown>;
      if (line.msg === 'done' && byKey.has(String(line.key)))
        found.set(String(line.key), line as unknown as Done);
    }
    if (consumer.child.exitCode !== null) {
      throw new Error(`the naive consumer exited with code ${consumer.child.exitCode}: ${consumer.stderr()}`);
    }
    if (Date.now() > deadline) throw new Error(`naive consumer: ${byKey.size - found.size} images not done`);
    await sleep(20);
  }
  return [...byKey].map(([key, image]) => ({ image, done: found.get(key) as Done }));
}

interface Consumer {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  stderr(): string;
  waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

function startConsumer(stackEnv: Record<string, string>, env: Record<string, string>): Consumer {
  // `node --import tsx` rather than the tsx CLI: one process, so its pid is the one to measure.
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/naive-consumer.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...stackEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let buffered = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part));
      } catch {
        // A native library's own output; not ours.
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    lines,
    stderr: () => stderr,
    async waitFor(match, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!lines.some(match)) {
        if (child.exitCode !== null) throw new Error(`the naive consumer exited: ${stderr}`);
        if (Date.now() > deadline) throw new Error(`the naive consumer did not start: ${stderr}`);
        await sleep(50);
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
