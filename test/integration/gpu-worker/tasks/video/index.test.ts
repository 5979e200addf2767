/**
 * The video-ocr job task in-process with the real inference pool and ffmpeg: NVDEC that cannot
 * start falls back to CPU decoding (and says so), checkpoints carry the position reached, and a
 * run resumed from a checkpoint reads only the rest and ends with the same timeline. A video
 * whose container understates its length is decoded no further than the declared length and a
 * margin, and fails; a probe that hangs fails its job at the time limit, and the next job runs.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InvalidInputError } from '../../../../../core/errors.ts';
import { InferencePool } from '../../../../../gpu-worker/inference/pool.ts';
import { pinoLog } from '../../../../../gpu-worker/logger.ts';
import { readTaskOptions } from '../../../../../gpu-worker/tasks/registry.ts';
import type { JobContext } from '../../../../../gpu-worker/tasks/task.ts';
import { chooseDecoder, resolveBinaries } from '../../../../../gpu-worker/tasks/video/binaries.ts';
import { DECLARED_DURATION_MARGIN } from '../../../../../gpu-worker/tasks/video/decode-bound.ts';
import {
  createVideoOcrTask,
  type VideoCheckpoint,
  type VideoOcrResult,
} from '../../../../../gpu-worker/tasks/video/index.ts';
import { readVideoOptions } from '../../../../../gpu-worker/tasks/video/options.ts';
import { probeVideo } from '../../../../../gpu-worker/tasks/video/probe.ts';
import { pidsWithArg } from '../../../../support/processes.ts';
import { FFMPEG, lyingDurationMkv, slideVideo } from '../../../../support/test-videos.ts';

let pool: InferencePool;
let video: { file: string; size: number };

beforeAll(async () => {
  pool = new InferencePool({
    threads: 2,
    intraOpThreads: 1,
    executionProviders: ['cpu'],
    taskModules: [],
    taskOptions: readTaskOptions({}),
    maxBatchSize: 1,
    maxBatchWaitMs: 0,
    limits: { maxInputBytes: 20_000_000, maxInputPixels: 40_000_000 },
  });
  const [, v] = await Promise.all([
    pool.start(),
    slideVideo({ duration: 8, slideSec: 2, width: 640, height: 360 }),
  ]);
  video = { file: v.file, size: statSync(v.file).size };
});

afterAll(async () => {
  await pool?.close();
});

function context(overrides: Partial<JobContext<VideoCheckpoint>> = {}) {
  const log = pinoLog(pino({ level: 'silent' }));
  const saved: VideoCheckpoint[] = [];
  const ctx: JobContext<VideoCheckpoint> = {
    jobId: 'j1',
    signal: new AbortController().signal,
    executionProvider: 'cpu',
    inferenceThreads: 2,
    infer: async (task, input) => (await pool.run(task, input)).result,
    progress: () => {},
    checkpointDue: () => false,
    checkpoint: async (state) => {
      saved.push(structuredClone(state));
    },
    log,
    ...overrides,
  };
  return { ctx, saved, log };
}

const run = async (
  ctx: JobContext<VideoCheckpoint>,
  env: Record<string, string> = {},
  input: { file: string; size: number } = video,
) => {
  const task = createVideoOcrTask(readVideoOptions(env));
  const out = await task.run(
    {
      size: input.size,
      key: 'uploads/v.mp4',
      path: async () => input.file,
      bytes: () => readFile(input.file),
    },
    ctx,
  );
  return out.result as VideoOcrResult;
};

describe('video-ocr task', () => {
  it('uses NVDEC only with CUDA models and an ffmpeg that offers it', async () => {
    expect(await chooseDecoder(FFMPEG, 'auto', 'cpu')).toBe('cpu');
    expect(await chooseDecoder(FFMPEG, 'cpu', 'cuda')).toBe('cpu');
    expect(await chooseDecoder(FFMPEG, 'nvdec', 'cpu')).toBe('nvdec');
  });

  it('reports a phone video stored sideways with a rotation in its upright size', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-rotated-'));
    try {
      const rotated = path.join(dir, 'portrait.mp4');
      await promisify(execFile)(FFMPEG, [
        '-v',
        'error',
        '-i',
        video.file,
        '-c',
        'copy',
        '-metadata:s:v:0',
        'rotate=90',
        rotated,
      ]);
      const info = await probeVideo(resolveBinaries({}).ffprobe, rotated, {
        maxDurationSec: 60,
        timeoutSec: 10,
      });
      expect(info).toMatchObject({ width: 360, height: 640, codec: 'h264' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('falls back to CPU decoding when NVDEC cannot start, and records the decoder used', async () => {
    const { ctx, log } = context();
    const warn = vi.spyOn(log, 'warn');
    const result = await run(ctx, { FERRY_VIDEO_DECODER: 'nvdec' });
    expect(result.video.decoder).toBe('cpu');
    expect(warn.mock.calls.map((call) => call[0])).toContain(
      'NVDEC decoding failed; falling back to CPU decoding',
    );
    expect(result.segments).toHaveLength(4);
  });

  it('saves checkpoints with the position reached, and a resumed run reads only the rest', async () => {
    const whole = context({ checkpointDue: () => true });
    const full = await run(whole.ctx);
    expect(whole.saved.map((s) => s.nextFrame)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    const from = whole.saved[3] as VideoCheckpoint;
    const resumed = await run(context({ resumeFrom: from }).ctx);
    expect(resumed.video).toMatchObject({ resumedAt: 4, framesDecoded: full.video.framesDecoded });
    expect(resumed.segments).toEqual(full.segments);
  });

  it('decodes a video whose container declares 5 s but holds 300 s no further than 5 s and the margin, and fails it', async () => {
    const file = await lyingDurationMkv(300, 5);
    const { ctx, log } = context();
    const debug = vi.spyOn(log, 'debug');
    // The duration limit (60 s) is far above the declared length: the declared length binds.
    const job = run(ctx, { FERRY_VIDEO_MAX_DURATION_SEC: '60' }, { file, size: statSync(file).size });
    await expect(job).rejects.toThrow(InvalidInputError);
    await expect(job).rejects.toThrow(
      'The video decodes to more than the 5 s its container declares (it was stopped at 7 s, the declared length and a margin)',
    );
    const decoded = debug.mock.calls.filter((call) => call[0] === 'video frame decoded');
    // 7 frames allowed (0..6 s at 1 fps), and the one at 7 s that showed the video runs on.
    expect(decoded.length).toBe(5 + DECLARED_DURATION_MARGIN.minSec + 1);
  });

  it('fails a job whose probe hangs at the probe time limit, leaves no ffprobe, and runs the next job', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-stalled-'));
    try {
      const fifo = path.join(dir, 'input');
      await promisify(execFile)('mkfifo', [fifo]);
      const env = { FERRY_VIDEO_PROBE_TIMEOUT_SEC: '1' };
      const stalled = run(context().ctx, env, { file: fifo, size: 1000 });
      await expect(stalled).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message:
          "The video could not be read within 1 s (ffprobe's time limit): the file is malformed or not a video.",
      });
      expect(await pidsWithArg(fifo)).toEqual([]);
      const next = await run(context().ctx, env);
      expect(next.segments).toHaveLength(4);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('kills ffprobe and ends the job when the signal aborts during the probe', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ferry-stalled-'));
    try {
      const fifo = path.join(dir, 'input');
      await promisify(execFile)('mkfifo', [fifo]);
      const controller = new AbortController();
      const reason = new Error('job canceled');
      const job = run(context({ signal: controller.signal }).ctx, {}, { file: fifo, size: 1000 });
      await expect.poll(() => pidsWithArg(fifo), { timeout: 5000 }).toHaveLength(1);
      controller.abort(reason);
      await expect(job).rejects.toBe(reason);
      expect(await pidsWithArg(fifo)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
