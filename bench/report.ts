/**
 * @module bench/report
 * Turns the measured rows into the benchmark report: targets judged met / not met, a markdown
 * page for people and the same facts as JSON under bench/results/ for comparing runs.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BatchingResult } from './rows/batching.ts';
import type { ControlPlaneResult } from './rows/control-plane.ts';
import type { FleetResult } from './rows/fleet.ts';
import type { FunctionRequestsResult } from './rows/function-requests.ts';
import type { BurstResult } from './rows/ingest-burst.ts';
import type { NaiveResult } from './rows/naive.ts';
import type { PipelineResult } from './rows/pipeline.ts';
import type { PushRow } from './rows/push-row.ts';
import type { RawResult } from './rows/raw.ts';
import type { ScaleOutResult } from './rows/scale-out.ts';
import type { TesseractResult } from './rows/tesseract.ts';
import type { VideoResult } from './rows/video.ts';
import { round } from './stats.ts';

export interface BenchContext {
  startedAt: string;
  durationSec: number;
  command: string;
  mode: 'full' | 'quick';
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    os: string;
    /** 1-minute load average before and after: other work on the machine skews every row. */
    loadAvgStart: number;
    loadAvgEnd: number;
  };
  versions: Record<string, string>;
  git: { commit: string; dirty: boolean };
  config: {
    images: number;
    reps: number;
    overheadSamples: number;
    burstUploads: number;
    burstConcurrency: number;
    /** Cores kept busy by spinning processes during the run (0: none). */
    cpuHog: number;
    tesseractParallel: number;
    /** FERRY_* settings given to the worker, the raw pool and (OCR options) the naive consumer. */
    env: Record<string, string>;
    emulator: { endpoint: string; startedByBench: boolean };
  };
}

export interface BenchRows {
  raw?: RawResult;
  pipeline?: PipelineResult;
  naive?: NaiveResult;
  burst?: BurstResult;
  functions?: FunctionRequestsResult;
  push?: PushRow;
  tesseract?: TesseractResult;
  video?: VideoResult;
  control?: ControlPlaneResult;
  fleet?: FleetResult;
  batching?: BatchingResult;
  scaleOut?: ScaleOutResult;
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  /** undefined: the row it needs did not run. */
  met: boolean | undefined;
}

export interface BenchReport extends BenchContext {
  rows: BenchRows;
  ratios: { pipelineToRaw?: number; pipelineToNaive?: number; pipelineToTesseract?: number };
  targets: Target[];
  /** Rows that failed, with the error. */
  errors: Record<string, string>;
  notes: string[];
}

export function buildReport(
  context: BenchContext,
  rows: BenchRows,
  errors: Record<string, string>,
  notes: string[],
): BenchReport {
  const { raw, pipeline, naive, burst, tesseract, video } = rows;
  const [shortVideo, longVideo] = [...(video?.runs ?? [])].sort((a, b) => a.durationSec - b.durationSec);
  const rssGrowth =
    shortVideo && longVideo && longVideo !== shortVideo
      ? longVideo.workerPeakMiB / shortVideo.workerPeakMiB - 1
      : undefined;
  const peer = tesseract && !tesseract.skipped ? tesseract : undefined;
  const ratio = (a?: number, b?: number) => (a !== undefined && b ? a / b : undefined);
  const ratios = {
    pipelineToRaw: ratio(pipeline?.imagesPerSec, raw?.imagesPerSec),
    pipelineToNaive: ratio(pipeline?.imagesPerSec, naive?.imagesPerSec),
    pipelineToTesseract: ratio(pipeline?.imagesPerSec, peer?.imagesPerSec),
  };
  const x = (v?: number) => (v === undefined ? 'n/a' : `${v.toFixed(2)}x`);
  const versusTesseract = (name: string, goal: string, factor: number, lowerCer: boolean): Target => ({
    name,
    goal,
    measured:
      pipeline && peer
        ? `${x(ratios.pipelineToTesseract)}; CER ${pct(pipeline.cer)} vs ${pct(peer.cer)}`
        : 'n/a',
    met:
      pipeline && peer && ratios.pipelineToTesseract !== undefined
        ? ratios.pipelineToTesseract >= factor && (!lowerCer || pipeline.cer < peer.cer)
        : undefined,
  });
  const targets: Target[] = [
    {
      name: 'Pipeline throughput / raw',
      goal: '>= 0.95',
      measured:
        ratios.pipelineToRaw === undefined
          ? 'n/a'
          : `${ratios.pipelineToRaw.toFixed(3)}` +
            (pipeline
              ? ` (the emulator and ingest took ${pct(pipeline.cpu.othersShare, 0)} of the cores; worker CPU per image ${raw ? `${(pipeline.cpu.workerMsPerImage / raw.cpuMsPerImage).toFixed(2)}x raw's` : 'n/a'})`
              : ''),
      met: ratios.pipelineToRaw === undefined ? undefined : ratios.pipelineToRaw >= 0.95,
    },
    {
      name: 'OCR raw throughput at CER <= 0.3% counting spaces',
      goal: '>= 7.5 images/s',
      measured: raw ? `${num(raw.imagesPerSec)} images/s, CER ${pct(raw.cer)}` : 'n/a',
      met: raw ? raw.imagesPerSec >= 7.5 && raw.cer <= 0.003 : undefined,
    },
    versusTesseract("Pipeline images/s / Tesseract's on the clean corpus", '>= 1.00x', 1, false),
    {
      name: 'Worker peak RSS, 2 inference threads (pipeline row)',
      goal: '<= 600 MiB',
      measured: pipeline ? `${num(pipeline.memory.workerPeakMiB, 0)} MiB` : 'n/a',
      met: pipeline ? pipeline.memory.workerPeakMiB <= 600 : undefined,
    },
    {
      name: 'Pipeline throughput / naive consumer',
      goal: '>= 1.3x',
      measured: x(ratios.pipelineToNaive),
      met: ratios.pipelineToNaive === undefined ? undefined : ratios.pipelineToNaive >= 1.3,
    },
    {
      name: 'Single-image overhead p50 (local emulator)',
      goal: '<= 250 ms',
      measured: pipeline ? `${ms(pipeline.overhead.overhead.p50)}` : 'n/a',
      met: pipeline ? pipeline.overhead.overhead.p50 <= 250 : undefined,
    },
    {
      name: `Ingest burst (${burst?.uploads ?? 'n'} uploads)`,
      goal: '0 lost, 0 duplicate jobs, <= 1% duplicate messages',
      measured: burst
        ? `${burst.lost} lost, ${burst.duplicateJobs} duplicate jobs, ${burst.duplicateMessages} duplicate messages (${burst.replayed} replayed)`
        : 'n/a',
      met: burst
        ? burst.lost === 0 && burst.duplicateJobs === 0 && burst.duplicateMessages <= burst.uploads / 100
        : undefined,
    },
    versusTesseract(
      'Moonshot: pipeline >= 2x Tesseract images/s at a lower CER',
      '>= 2.00x and CER below Tesseract',
      2,
      true,
    ),
    {
      name: `Video real-time factor at ${video?.sampleFps ?? 1} fps (${shortVideo?.durationSec ?? 'n'} s slide video)`,
      goal: '>= 5',
      measured: shortVideo ? shortVideo.realTimeFactor.toFixed(1) : 'n/a',
      met: shortVideo ? shortVideo.realTimeFactor >= 5 : undefined,
    },
    {
      name: `Video worker peak RSS, ${longVideo?.durationSec ?? 'n'} s vs ${shortVideo?.durationSec ?? 'n'} s`,
      goal: 'at most +10%',
      measured:
        rssGrowth === undefined ? 'n/a' : `${rssGrowth >= 0 ? '+' : ''}${(rssGrowth * 100).toFixed(1)}%`,
      met: rssGrowth === undefined ? undefined : rssGrowth <= 0.1,
    },
    {
      name: 'CER, counting spaces (pipeline results)',
      goal: '<= 1%',
      measured: pipeline ? pct(pipeline.cer) : 'n/a',
      met: pipeline ? pipeline.cer <= 0.01 : undefined,
    },
    ...controlTargets(rows.control, raw?.imagesPerSec),
    ...fleetTargets(rows.fleet),
    ...scaleOutTargets(rows.scaleOut),
    ...gpuTargets(rows.batching),
  ];
  return { ...context, rows, ratios, targets, errors, notes };
}

export function renderMarkdown(r: BenchReport): string {
  const { raw, pipeline, naive, burst, tesseract } = r.rows;
  const out: string[] = [];
  const line = (s = '') => out.push(s);
  const table = (head: string[], body: string[][]) => {
    line(`| ${head.join(' | ')} |`);
    line(`|${head.map(() => '---').join('|')}|`);
    for (const row of body) line(`| ${row.join(' | ')} |`);
    line();
  };

  line(`# Ferry benchmark (${r.mode})`);
  line();
  line(
    `${r.startedAt} · ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB · ` +
      `commit ${r.git.commit.slice(0, 12)}${r.git.dirty ? ' (uncommitted changes)' : ''} · ${r.durationSec} s`,
  );
  line();
  line(
    `${r.config.images} images of 1280x720 with 3-6 lines of known text; figures are medians of ` +
      `${r.config.reps} repetition(s). Command: \`${r.command}\``,
  );
  line();

  line('## Throughput');
  line();
  const rows: string[][] = [];
  if (raw) {
    rows.push([
      `raw: ocr task in-process, InferencePool ${raw.threads} threads x ${raw.intraOpThreads} intra-op`,
      num(raw.imagesPerSec),
      `per image in a thread p50 ${ms(raw.perImageMs.p50)}; threads busy ${pct(raw.threadBusy, 0)}; ` +
        `CPU ${ms(raw.cpuMsPerImage)} per image; CER ${pct(raw.cer)}; runs ${list(raw.runs)}`,
    ]);
  }
  if (pipeline) {
    rows.push([
      `pipeline: S3 upload -> ingest Lambda -> SQS -> worker (${workerShape(pipeline.worker)})`,
      num(pipeline.imagesPerSec),
      `threads busy ${pct(pipeline.threadBusy, 0)}; worker CPU ${ms(pipeline.cpu.workerMsPerImage)} per image, ` +
        `${pct(pipeline.cpu.workerShare, 0)} of the machine, other processes (emulator, ingest) ${pct(pipeline.cpu.othersShare, 0)}; job created->finished p50 ${ms(pipeline.latency.createdToFinished.p50)} / p95 ${ms(pipeline.latency.createdToFinished.p95)}; ` +
        `upload->finished p50 ${ms(pipeline.latency.uploadToFinished.p50)} / p95 ${ms(pipeline.latency.uploadToFinished.p95)}; runs ${list(pipeline.runs)}`,
    ]);
  }
  if (naive) {
    rows.push([
      'naive: 1 message at a time, inference on the main thread (1 session, intra-op = cores)',
      num(naive.imagesPerSec),
      `decode+inference p50 ${ms(naive.computeMs.p50)}; CER ${pct(naive.cer)}; runs ${list(naive.runs)}`,
    ]);
  }
  if (tesseract && !tesseract.skipped) {
    rows.push([
      `peer: ${tesseract.version}, ${tesseract.parallel} processes, OMP_THREAD_LIMIT=1`,
      num(tesseract.imagesPerSec),
      `CER ${pct(tesseract.cer)} (${pct(tesseract.cerNoSpaces)} ignoring spaces); runs ${list(tesseract.runs)}`,
    ]);
  } else if (tesseract?.skipped) {
    rows.push(['peer: Tesseract', 'skipped', tesseract.note]);
  }
  table(['Row', 'images/s', 'Details'], rows);

  if (r.rows.video) {
    line('## Video');
    line();
    line(
      `Generated 1280x720 slide videos (text changes every 10 s; noisy background with a moving square), ` +
        `sampled at ${r.rows.video.sampleFps} fps, a fresh worker per video, claim to finished.`,
    );
    line();
    table(
      [
        'Video',
        'frames/s read',
        'real-time factor',
        'frames decoded / OCR read',
        'worker peak RSS',
        'decoder',
        'segments',
      ],
      r.rows.video.runs.map((v) => [
        `${v.durationSec} s`,
        num(v.framesPerSec),
        `${num(v.realTimeFactor, 1)}x`,
        `${v.framesDecoded} / ${v.framesRead}`,
        `${num(v.workerPeakMiB, 0)} MiB`,
        v.decoder,
        String(v.segments),
      ]),
    );
  }

  line('## Targets');
  line();
  table(
    ['Target', 'Goal', 'Measured', 'Result'],
    r.targets.map((t) => [
      t.name,
      t.goal,
      t.measured,
      t.met === undefined ? 'n/a' : t.met ? 'met' : '**not met**',
    ]),
  );
  line(
    `Ratios: pipeline/raw ${fixed(r.ratios.pipelineToRaw)}, pipeline/naive ${fixed(r.ratios.pipelineToNaive)}, ` +
      `pipeline/tesseract ${fixed(r.ratios.pipelineToTesseract)}.`,
  );
  line();

  if (pipeline) {
    const o = pipeline.overhead;
    const s = o.stages;
    line('## Single image on an idle system');
    line();
    line(
      `${o.samples} images, one at a time. End-to-end (upload start -> job finishedAt) p50 ${ms(o.endToEnd.p50)} / ` +
        `p95 ${ms(o.endToEnd.p95)}; the job's own decode + inference p50 ${ms(o.compute.p50)}; ` +
        `overhead (the difference, per job) p50 **${ms(o.overhead.p50)}** / p95 ${ms(o.overhead.p95)}.`,
    );
    line();
    table(
      ['Stage (median)', 'ms'],
      [
        ['PutObject', num(s.put, 0)],
        ['upload start -> job created (S3 event, ingest Lambda)', num(s.toCreated, 0)],
        ['QUEUED -> claimed (SendMessage, receive long poll*, claim)', num(s.queue, 0)],
        ['download input', num(s.download, 0)],
        ['decode + detection resize (preprocess)', num(s.preprocess, 0)],
        ['inference (det + rec)', num(s.inference, 0)],
        ['upload result', num(s.upload, 0)],
        ['claim/succeed writes and scheduling', num(s.bookkeeping, 0)],
      ],
    );
    line(
      "\\* MiniStack's long poll looks for new messages every 100 ms (about 50 ms on average); SQS answers when one arrives.",
    );
    line();
    if (pipeline.worst.length > 0) {
      line('Worst reads (last repetition):');
      line();
      for (const w of pipeline.worst) {
        line(`- ${w.name}, CER ${pct(w.cer)}: read \`${w.read.replaceAll('\n', ' / ')}\``);
      }
      line();
    }
  }

  if (burst) {
    line('## Ingest burst');
    line();
    line(
      `${burst.uploads} tiny objects PUT to \`uploads/\` with at most ${burst.concurrency} in flight, no worker running. ` +
        `Uploads took ${ms(burst.uploadMs)} (${num(burst.uploadsPerSec)}/s, PUT p50 ${ms(burst.putLatency.p50)}, ` +
        `p95 ${ms(burst.putLatency.p95)}); all QUEUED with a message after ` +
        `${burst.timedOut ? '**not reached**' : ms(burst.allQueuedMs)} (${num(burst.queuedPerSec)} jobs/s).`,
    );
    line();
    table(
      [
        'Uploads',
        'Job records',
        'Queue messages',
        'Lost',
        'Duplicate jobs',
        'Duplicate messages',
        'Dead letters',
        'Replayed',
        'Sent by reconciler',
      ],
      [
        [
          burst.uploads,
          burst.jobRecords,
          burst.messages,
          burst.lost,
          burst.duplicateJobs,
          burst.duplicateMessages,
          burst.deadLetters,
          burst.replayed,
          burst.resentByReconciler,
        ].map(String),
      ],
    );
    line();
    line(
      'Replayed: events whose invocations all failed, brought back from the ingest failures queue by the ' +
        "reconciler's runs during the wait; sent by reconciler: QUEUED jobs whose message it sent.",
    );
  }

  if (r.rows.functions) renderFunctions(r.rows.functions, line, table);

  if (r.rows.push) {
    const { single, many } = r.rows.push;
    line('## Push channel');
    line();
    line(
      "Delay from a job record's `finishedAt` to its final event at each watcher (WebSocket API -> " +
        'socket function; jobs-table stream -> fan-out function -> @connections), jobs driven through their states with no worker.',
    );
    line();
    table(
      ['Watchers', 'Connected', 'Jobs', 'Final events', 'p50', 'p95', 'max'],
      [single, many].map((x) => [
        String(x.watchers),
        String(x.connected),
        String(x.jobs),
        `${x.received}/${x.expected}`,
        ms(x.delay.p50),
        ms(x.delay.p95),
        ms(x.delay.max),
      ]),
    );
  }

  if (r.rows.scaleOut) renderScaleOut(r.rows.scaleOut, line, table);
  if (r.rows.fleet) renderFleet(r.rows.fleet, line, table);
  if (r.rows.batching) renderBatching(r.rows.batching, line, table);

  if (pipeline || naive) {
    line('## Memory');
    line();
    if (pipeline) {
      line(
        `Worker peak RSS (VmHWM of the worker process, all inference threads included): **${num(pipeline.memory.workerPeakMiB, 0)} MiB**` +
          (pipeline.memory.processes > 1
            ? ` (+ ${num(pipeline.memory.launcherPeakMiB, 0)} MiB in ${pipeline.memory.processes - 1} launcher process(es)).`
            : '.'),
      );
    }
    if (naive) line(`Naive consumer peak RSS: ${num(naive.peakMiB, 0)} MiB.`);
    line();
  }

  line('## Configuration');
  line();
  const env = Object.entries(r.config.env);
  line(
    `- Worker and raw-pool settings: ${env.length ? env.map(([k, v]) => `\`${k}=${v}\``).join(', ') : 'the worker defaults'}` +
      (pipeline ? ` (worker reported: ${workerShape(pipeline.worker)})` : ''),
  );
  line(
    `- Emulator: ${r.config.emulator.endpoint} (${r.config.emulator.startedByBench ? 'started by the bench' : 'already running, reused'})`,
  );
  line(`- Ingest burst: ${r.config.burstUploads} uploads, ${r.config.burstConcurrency} PUTs in flight`);
  line(
    `- Single-image samples: ${r.config.overheadSamples}; Tesseract processes: ${r.config.tesseractParallel}`,
  );
  line(
    `- Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, ${r.machine.os}; ` +
      `load average ${r.machine.loadAvgStart.toFixed(2)} before, ${r.machine.loadAvgEnd.toFixed(2)} after`,
  );
  line(
    `- Versions: ${Object.entries(r.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  line();

  if (Object.keys(r.errors).length > 0 || r.notes.length > 0) {
    line('## Notes');
    line();
    for (const [row, error] of Object.entries(r.errors)) line(`- **${row} failed**: ${error}`);
    for (const note of r.notes) line(`- ${note}`);
    line();
  }
  return out.join('\n');
}

/** Writes the JSON report under bench/results/ (git-ignored); returns its path. */
export async function writeJson(report: BenchReport, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `bench-${report.startedAt.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(report, roundNumbers, 2)}\n`);
  return file;
}

function roundNumbers(_key: string, value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? round(value, 4) : null;
  return value;
}

function workerShape(worker: Record<string, unknown>): string {
  return (
    `${worker.threads} threads x ${worker.intraOpThreads} intra-op, in-flight ${worker.maxInFlight}, ` +
    `batch ${worker.maxBatchSize}`
  );
}

const num = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');
const pct = (v: number, digits = 2) => (Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : 'n/a');
const fixed = (v?: number) => (v === undefined ? 'n/a' : v.toFixed(2));
const list = (values: number[]) => values.map((v) => v.toFixed(2)).join(', ');

/** The control plane's goals: 20x the OCR rate (raw row), at most 8 AWS requests per job. */
function controlTargets(control: ControlPlaneResult | undefined, ocrPerSec: number | undefined): Target[] {
  if (!control) return [];
  return [
    {
      name: 'Control plane jobs/s (no-op task) / OCR raw images/s',
      goal: '>= 20x',
      measured:
        (ocrPerSec !== undefined
          ? `${(control.jobsPerSec / ocrPerSec).toFixed(1)}x (${control.jobsPerSec.toFixed(1)} jobs/s)`
          : `${control.jobsPerSec.toFixed(1)} jobs/s, no raw row`) +
        `; queue -> succeed alone (seeded backlog, in-flight ${control.maxInFlight}): ${control.workerOnlyJobsPerSec.toFixed(1)} jobs/s` +
        (ocrPerSec !== undefined ? ` = ${(control.workerOnlyJobsPerSec / ocrPerSec).toFixed(1)}x` : '') +
        `, ${control.workerOnlyRequestsPerJob.toFixed(2)} worker requests per job`,
      met: ocrPerSec !== undefined ? control.jobsPerSec >= 20 * ocrPerSec : undefined,
    },
    {
      name: 'AWS requests per job, happy path (client PUT + ingest + worker)',
      goal: '<= 8',
      measured:
        `${control.totalPerJob.toFixed(1)} (worker: S3 ${control.workerPerJob.S3.toFixed(2)}, ` +
        `SQS ${control.workerPerJob.SQS.toFixed(2)}, DynamoDB ${control.workerPerJob.DynamoDB.toFixed(2)}; ` +
        `$${control.dollarsPerMillionJobs.toFixed(2)} per million jobs at list prices)`,
      met: control.totalPerJob <= 8,
    },
  ];
}

/** Every simulated job succeeded, and none twice, at every fleet size. */
function fleetTargets(fleet: FleetResult | undefined): Target[] {
  if (!fleet) return [];
  const jobs = fleet.runs.reduce((n, r) => n + r.jobs, 0);
  const succeeded = fleet.runs.reduce((n, r) => n + r.succeeded, 0);
  const duplicates = fleet.runs.reduce((n, r) => n + r.duplicates, 0);
  return [
    {
      name: `Fleet simulation (${fleet.runs.map((r) => r.workers).join(', ')} workers): every job once`,
      goal: 'all succeeded, 0 twice',
      measured: `${succeeded}/${jobs} succeeded, ${duplicates} twice`,
      met: succeeded === jobs && duplicates === 0,
    },
  ];
}

function renderFunctions(
  f: FunctionRequestsResult,
  line: (s?: string) => void,
  table: (head: string[], body: string[][]) => void,
): void {
  const ops = (byOperation: Record<string, number>) =>
    Object.entries(byOperation)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([op, n]) => `${op} ${n}`)
      .join(', ');
  line('## Function requests per job');
  line();
  line(
    `${f.jobs} sleep-task jobs of each kind at 10 in flight, one worker, one watcher subscribed to all of the ` +
      "client's jobs; each function's AWS requests counted by a proxy of its own.",
  );
  line();
  table(
    ['Function', 'Job', 'Requests per job', 'By operation', 'Time per job p50 / p95'],
    [
      [
        'ingest',
        'direct drop',
        String(f.ingest.directDrop.requests),
        ops(f.ingest.directDrop.byOperation),
        `${ms(f.ingest.ms.p50)} / ${ms(f.ingest.ms.p95)} (PUT -> QUEUED)`,
      ],
      ['ingest', 'API upload', String(f.ingest.apiUpload.requests), ops(f.ingest.apiUpload.byOperation), '-'],
      [
        'push fan-out',
        `direct drop (${f.fanout.eventsPerJob} events)`,
        String(f.fanout.requests),
        ops(f.fanout.byOperation),
        `${ms(f.fanout.delayMs.p50)} / ${ms(f.fanout.delayMs.p95)} (finishedAt -> final event)`,
      ],
    ],
  );
  line();
}

function renderFleet(
  fleet: FleetResult,
  line: (s?: string) => void,
  table: (head: string[], body: string[][]) => void,
): void {
  const d = fleet.derived;
  line('## Fleet by simulation');
  line();
  line(
    `N simulated workers in the bench process (the worker's Consumer and JobRunner, one job at a time, ` +
      `a ${fleet.taskMs} ms sleep instead of a model), ${fleet.jobsPerWorker} seeded jobs per worker on one queue and table.`,
  );
  line();
  table(
    [
      'Workers',
      'Jobs',
      'Jobs/s (ideal)',
      'Per worker',
      'Bookkeeping/job',
      'Queue wait p50 / p95',
      'DynamoDB / SQS / S3 req/s',
    ],
    fleet.runs.map((r) => [
      String(r.workers),
      String(r.jobs),
      `${num(r.jobsPerSec, 1)} (${num(r.idealJobsPerSec, 0)})`,
      num(r.perWorkerJobsPerSec, 3),
      ms(r.bookkeepingSec * 1000),
      `${num(r.queueWaitSec.p50, 1)} / ${num(r.queueWaitSec.p95, 1)} s`,
      `${r.requestsPerSec.DynamoDB} / ${r.requestsPerSec.SQS} / ${r.requestsPerSec.S3}`,
    ]),
  );
  line(
    `Target backlog per worker (infra/scaling-plan.ts): floor(${num(d.perWorkerJobsPerSec, 3)} jobs/s measured per worker ` +
      `at ${d.fromWorkers} workers x ${d.acceptableWaitSec} s acceptable wait) = **${d.targetBacklogPerWorker}** ` +
      `(the task time alone would give ${d.fromTaskTimeOnly}). Where jobs/s stops growing with N, the single-process ` +
      'emulator is the limit, not the queue design.',
  );
  line();
}

function renderBatching(
  b: BatchingResult,
  line: (s?: string) => void,
  table: (head: string[], body: string[][]) => void,
): void {
  line('## Cross-job batching');
  line();
  line(
    `The raw row's pool with \`FERRY_MAX_BATCH_SIZE\` swept, ${b.images} images submitted at once, median of ${b.reps}; ` +
      (b.gpu ? `GPU: ${b.gpu}.` : 'no GPU on this machine (nvidia-smi absent): these are CPU figures.'),
  );
  line();
  table(
    ['Max batch', 'Provider', 'images/s', 'vs batch 1', 'latency p50 / p95', 'CER', 'GPU memory used'],
    b.runs.map((run) => [
      String(run.maxBatchSize),
      run.executionProvider,
      num(run.imagesPerSec),
      `${num(run.imagesPerSec / (b.runs[0]?.imagesPerSec ?? Number.NaN))}x`,
      `${ms(run.latencyMs.p50)} / ${ms(run.latencyMs.p95)}`,
      pct(run.cer),
      run.gpuMemoryMiB === undefined ? '-' : `${run.gpuMemoryMiB} MiB`,
    ]),
  );
}

/** Several processes on one queue: every job once. */
function scaleOutTargets(scaleOut: ScaleOutResult | undefined): Target[] {
  if (!scaleOut) return [];
  const bad = scaleOut.configs.filter((c) => !c.exactlyOnce);
  return [
    {
      name: `Scale-out (${scaleOut.configs.map((c) => `${c.processes} x ${c.threadsPerProcess}`).join(', ')}): every job once`,
      goal: '0 twice, 0 retried, all succeeded',
      measured:
        bad.length === 0
          ? 'yes in every configuration'
          : `not with ${bad.map((c) => c.processes).join(', ')} process(es)`,
      met: bad.length === 0,
    },
  ];
}

/** The GPU goal is a measurement, not a bar: reported when the batching row ran on a CUDA device. */
function gpuTargets(batching: BatchingResult | undefined): Target[] {
  if (!batching) return [];
  const cuda = batching.runs.filter((r) => r.executionProvider === 'cuda');
  const best = [...cuda].sort((a, b) => b.imagesPerSec - a.imagesPerSec)[0];
  return [
    {
      name: 'GPU run: CUDA provider, cross-job batching 1/4/8/16',
      goal: 'measured',
      measured: best
        ? `${batching.gpu ?? 'GPU'}: best ${best.imagesPerSec.toFixed(2)} images/s at batch ${best.maxBatchSize}, p95 ${ms(best.latencyMs.p95)}`
        : batching.gpu
          ? `${batching.gpu} present, but the sessions ran on ${batching.runs[0]?.executionProvider ?? 'unknown'}`
          : 'no GPU on this machine',
      met: best ? true : undefined,
    },
  ];
}

function renderScaleOut(
  r: ScaleOutResult,
  line: (s?: string) => void,
  table: (head: string[], body: string[][]) => void,
): void {
  line(`## Scale-out: ${r.totalThreads} inference threads as 1 or more processes on one queue`);
  line();
  line(`${r.images} images, median of ${r.reps}, ${r.cores} cores.`);
  line();
  table(
    [
      'processes x threads',
      'images/s',
      'per core',
      'vs 1 process',
      'jobs per process',
      'exactly once (dup/attempts>1/not succeeded)',
      'peak RSS total',
    ],
    r.configs.map((c) => [
      `${c.processes} x ${c.threadsPerProcess}`,
      num(c.imagesPerSec),
      num(c.imagesPerSecPerCore),
      c.speedupVs1 ? `${num(c.speedupVs1)}x` : '',
      c.jobsPerProcess.join(' / '),
      `${c.exactlyOnce ? 'yes' : 'NO'} (${c.duplicates}/${c.attemptsAbove1}/${c.notSucceeded})`,
      `${num(c.peakRssMiBTotal, 0)} MiB`,
    ]),
  );
  const over = r.configs.filter((c) => c.oversubscribed);
  if (over.length > 0) {
    line(
      `Oversubscribed (more threads than the ${r.totalThreads} total, not the same cores split): ` +
        `${over.map((c) => `${c.processes} x ${c.threadsPerProcess}`).join(', ')}.`,
    );
    line();
  }
}
