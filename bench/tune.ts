/**
 * @module bench/tune
 * `npm run bench -- --tune`: sweeps the worker's settings that matter on this machine and says
 * which to make the defaults, and by how much they help. Every candidate is measured in pairs
 * with the defaults, alternating, and judged by the ratio of the two: on a shared machine the
 * load drifts by 2x within minutes, which sequential runs would read as a setting's effect.
 * CPU-bound settings are compared on the raw row; the in-flight limit, which only exists in the
 * pipeline, and the combined result are compared with the real worker; connection reuse with
 * the calls the worker makes.
 */
import { performance } from 'node:perf_hooks';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { BenchImage } from './images.ts';
import { runPipeline } from './rows/pipeline.ts';
import { meanCer, type RawPass, type RawPool, startRawPool } from './rows/raw.ts';
import { type BenchStack, benchClients } from './stack.ts';
import { median } from './stats.ts';

export interface TuneOptions {
  images: BenchImage[];
  /** Interleaved pairs per raw candidate (the pipeline phase always runs default-candidate-candidate-default). */
  reps: number;
  /** Settings every configuration starts from (the user's --env). */
  base: Record<string, string>;
  /** A fresh stack per worker run: a stopped worker's abandoned long poll can hide the next one's message. */
  newStack: () => Promise<BenchStack>;
  endpoint: string;
  log: (line: string) => void;
}

export interface TuneRow {
  phase: 'raw' | 'pipeline';
  factor: string;
  setting: string;
  env: Record<string, string>;
  defaultPerSec: number;
  candidatePerSec: number;
  /** candidate / default throughput, from the interleaved runs. */
  speedup: number;
  /** candidate / default CPU ms per image (raw only): below 1 means the candidate needs less CPU. */
  cpuVsDefault?: number;
  cer: number;
  defaultCer: number;
  note?: string;
}

export interface ConnectionRow {
  call: string;
  keepAliveMs: number;
  newConnectionMs: number;
}

export interface TuneResult {
  rows: TuneRow[];
  best: Record<string, string>;
  connection: ConnectionRow[];
  errors: string[];
}

const RAW_FACTORS: Array<{ factor: string; candidates: Array<Record<string, string>> }> = [
  {
    factor: 'threads x intra-op',
    candidates: [
      { FERRY_INFERENCE_THREADS: '1', FERRY_INTRA_OP_THREADS: '2' },
      { FERRY_INFERENCE_THREADS: '2', FERRY_INTRA_OP_THREADS: '2' },
      { FERRY_INFERENCE_THREADS: '3', FERRY_INTRA_OP_THREADS: '1' },
    ],
  },
  {
    factor: 'detection side limit',
    candidates: [{ FERRY_OCR_DET_LIMIT_SIDE: '736' }, { FERRY_OCR_DET_LIMIT_SIDE: '640' }],
  },
  { factor: 'recognition batch', candidates: [{ FERRY_OCR_REC_BATCH: '1' }, { FERRY_OCR_REC_BATCH: '4' }] },
  { factor: 'dynamic batching across jobs', candidates: [{ FERRY_MAX_BATCH_SIZE: '2' }] },
];
/** Around the default of 2 x threads + 2 (6 on 2 cores): one job prefetched per thread or fewer, and more. */
const IN_FLIGHT = ['3', '12'];

/** A faster setting is kept only if it reads this well (CER counting spaces)... */
const MAX_CER = 0.01;
/** ...and beats the defaults by this much: one run's noise must not change a default. */
const MIN_SPEEDUP = 1.05;

const label = (env: Record<string, string>) =>
  Object.keys(env).length === 0
    ? 'defaults'
    : Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');

export async function runTune(o: TuneOptions): Promise<TuneResult> {
  const rows: TuneRow[] = [];
  const errors: string[] = [];
  const winners: Record<string, string> = {};

  const defaults = await startRawPool(o.base, o.images);
  try {
    const compare = async (factor: string, env: Record<string, string>, setting = label(env)) => {
      o.log(`tune raw: ${setting}`);
      const candidate = await startRawPool({ ...o.base, ...env }, o.images);
      try {
        const row = await interleave(defaults, candidate, o.images, o.reps, factor, setting, env);
        rows.push(row);
        o.log(
          `  ${row.speedup.toFixed(2)}x images/s, ${row.cpuVsDefault?.toFixed(2)}x CPU per image, CER ${pct(row.cer)}`,
        );
        return row;
      } finally {
        await candidate.close();
      }
    };
    for (const { factor, candidates } of RAW_FACTORS) {
      let winner: TuneRow | undefined;
      for (const env of candidates) {
        try {
          const row = await compare(factor, env);
          if (row.cer <= MAX_CER && row.speedup >= MIN_SPEEDUP && row.speedup > (winner?.speedup ?? 0))
            winner = row;
        } catch (error) {
          errors.push(`${label(env)}: ${(error as Error).message}`);
        }
      }
      if (winner) Object.assign(winners, winner.env);
      o.log(`tune: ${factor}: ${winner ? winner.setting : 'keep the default'}`);
    }
    if (Object.keys(winners).length > 1) await compare('combined', winners);
  } finally {
    await defaults.close();
  }

  // The in-flight limit, with the winners applied, on the real worker; then the whole change.
  const pipeline = async (env: Record<string, string>) => {
    const stack = await o.newStack();
    try {
      return await runPipeline({
        stack,
        images: o.images,
        reps: 1,
        overheadSamples: 0,
        workerEnv: { ...o.base, ...env },
        log: () => {},
      });
    } finally {
      await stack.destroy();
    }
  };
  /** default, candidate, candidate, default: the order cancels a steady drift in machine load. */
  const pair = async (
    factor: string,
    base: Record<string, string>,
    env: Record<string, string>,
    setting: string,
  ) => {
    o.log(`tune pipeline: ${setting}`);
    try {
      const a1 = await pipeline(base);
      const b1 = await pipeline({ ...base, ...env });
      const b2 = await pipeline({ ...base, ...env });
      const a2 = await pipeline(base);
      const a = [a1, a2];
      const b = [b1, b2];
      const rate = (runs: typeof a) => median(runs.map((r) => r.imagesPerSec));
      const peak = (runs: typeof a) => Math.round(Math.max(...runs.map((r) => r.memory.workerPeakMiB)));
      const row: TuneRow = {
        phase: 'pipeline',
        factor,
        setting,
        env,
        defaultPerSec: rate(a),
        candidatePerSec: rate(b),
        speedup: rate(b) / rate(a),
        cer: b2.cer,
        defaultCer: a2.cer,
        note:
          `runs ${a1.imagesPerSec.toFixed(2)}, ${b1.imagesPerSec.toFixed(2)}, ${b2.imagesPerSec.toFixed(2)}, ${a2.imagesPerSec.toFixed(2)}; ` +
          `worker peak RSS ${peak(a)} -> ${peak(b)} MiB`,
      };
      rows.push(row);
      o.log(`  ${row.defaultPerSec.toFixed(2)} -> ${row.candidatePerSec.toFixed(2)} images/s`);
      return row;
    } catch (error) {
      errors.push(`${setting}: ${(error as Error).message}`);
      return undefined;
    }
  };
  let inFlight: TuneRow | undefined;
  for (const value of IN_FLIGHT) {
    const row = await pair(
      'in-flight limit (vs 2 x threads + 2)',
      winners,
      { FERRY_MAX_IN_FLIGHT: value },
      `FERRY_MAX_IN_FLIGHT=${value}`,
    );
    if (row && row.speedup >= MIN_SPEEDUP && row.speedup > (inFlight?.speedup ?? 0)) inFlight = row;
  }
  if (inFlight) Object.assign(winners, inFlight.env);
  const best = { ...winners };
  if (Object.keys(best).length > 0)
    await pair('all together, worker vs worker defaults', {}, best, label(best));

  let connection: ConnectionRow[] = [];
  const stack = await o.newStack();
  try {
    connection = await connectionReuse(stack, o.endpoint);
  } catch (error) {
    errors.push(`connection reuse: ${(error as Error).message}`);
  } finally {
    await stack.destroy();
  }
  return { rows, best, connection, errors };
}

/** default, candidate, default, candidate...: each pass sees nearly the same machine load. */
async function interleave(
  defaults: RawPool,
  candidate: RawPool,
  images: BenchImage[],
  reps: number,
  factor: string,
  setting: string,
  env: Record<string, string>,
): Promise<TuneRow> {
  const a: RawPass[] = [];
  const b: RawPass[] = [];
  for (let i = 0; i < reps; i++) {
    a.push(await defaults.pass(images));
    b.push(await candidate.pass(images));
  }
  const rate = (passes: RawPass[]) => median(passes.map((p) => p.imagesPerSec));
  const cpu = (passes: RawPass[]) => median(passes.map((p) => p.cpuMsPerImage));
  return {
    phase: 'raw',
    factor,
    setting,
    env,
    defaultPerSec: rate(a),
    candidatePerSec: rate(b),
    speedup: median(b.map((p, i) => p.imagesPerSec / (a[i] as RawPass).imagesPerSec)),
    cpuVsDefault: cpu(b) / cpu(a),
    cer: meanCer(images, (b.at(-1) as RawPass).texts),
    defaultCer: meanCer(images, (a.at(-1) as RawPass).texts),
  };
}

/**
 * Median latency of the worker's small calls with a kept-alive connection and with a new TCP
 * connection each time. An emulator whose keep-alive responses wait on Nagle's algorithm shows
 * tens of ms more with keep-alive (docs/platform-notes.md); without that, reuse should win.
 */
async function connectionReuse(stack: BenchStack, endpoint: string): Promise<ConnectionRow[]> {
  const key = 'bench/connection-probe.bin';
  await stack.s3.send(
    new PutObjectCommand({ Bucket: stack.outputs.bucket, Key: key, Body: Buffer.alloc(4096, 1) }),
  );
  const calls = (c: ReturnType<typeof benchClients>) => ({
    'S3 GetObject (4 KB)': async () => {
      const out = await c.s3.send(new GetObjectCommand({ Bucket: stack.outputs.bucket, Key: key }));
      await out.Body?.transformToByteArray();
    },
    'SQS SendMessage': () =>
      c.sqs.send(new SendMessageCommand({ QueueUrl: stack.outputs.webhookQueueUrl, MessageBody: 'probe' })),
    'DynamoDB GetItem': () =>
      c.dynamo.send(new GetCommand({ TableName: stack.outputs.table, Key: { jobId: 'probe' } })),
  });
  const measure = async (keepAlive: boolean) => {
    const clients = benchClients({ endpoint, region: stack.outputs.region, keepAlive });
    const result: Record<string, number> = {};
    for (const [name, call] of Object.entries(calls(clients))) {
      await call();
      const samples: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t0 = performance.now();
        await call();
        samples.push(performance.now() - t0);
      }
      result[name] = median(samples);
    }
    clients.close();
    return result;
  };
  const kept = await measure(true);
  const fresh = await measure(false);
  return Object.keys(kept).map((call) => ({
    call,
    keepAliveMs: kept[call] as number,
    newConnectionMs: fresh[call] as number,
  }));
}

export function renderTune(t: TuneResult): string {
  const out: string[] = ['## Tuning sweep', ''];
  out.push(
    'Each candidate against the defaults, interleaved; speed-up is the median ratio of adjacent runs.',
    '',
    '| Phase | Factor | Setting | default images/s | candidate images/s | speed-up | CPU per image vs default | CER (default -> candidate) | Note |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const r of t.rows) {
    out.push(
      `| ${r.phase} | ${r.factor} | ${r.setting} | ${r.defaultPerSec.toFixed(2)} | ${r.candidatePerSec.toFixed(2)} | ` +
        `${r.speedup.toFixed(2)}x | ${r.cpuVsDefault ? `${r.cpuVsDefault.toFixed(2)}x` : ''} | ${pct(r.defaultCer)} -> ${pct(r.cer)} | ${r.note ?? ''} |`,
    );
  }
  out.push('');
  const best = Object.entries(t.best);
  out.push(
    `Best settings (>= ${MIN_SPEEDUP}x over the defaults with CER <= ${MAX_CER * 100}%): ` +
      `${best.length ? best.map(([k, v]) => `\`${k}=${v}\``).join(', ') : 'the defaults'}.`,
    '',
  );
  if (t.connection.length > 0) {
    out.push('Connection reuse, median of 30 sequential calls:', '');
    out.push('| Call | kept-alive connection | new connection per call |', '|---|---|---|');
    for (const c of t.connection) {
      out.push(`| ${c.call} | ${c.keepAliveMs.toFixed(1)} ms | ${c.newConnectionMs.toFixed(1)} ms |`);
    }
    out.push('');
  }
  for (const e of t.errors) out.push(`- failed: ${e}`);
  return out.join('\n');
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
