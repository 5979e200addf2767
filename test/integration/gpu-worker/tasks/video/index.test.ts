/**
 * The video-ocr job task in-process with the real inference pool and ffmpeg: NVDEC that cannot
 * start falls back to CPU decoding (and says so), checkpoints carry the position reached, and a
 * run resumed from a checkpoint reads only the rest and ends with the same timeline.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InferencePool } from '../../../../../gpu-worker/inference/pool.ts';
import { pinoLog } from '../../../../../gpu-worker/logger.ts';
import { readTaskOptions } from '../../../../../gpu-worker/tasks/registry.ts';
import type { JobContext } from '../../../../../gpu-worker/tasks/task.ts';
import { chooseDecoder, resolveBinaries } from '../../../../../gpu-worker/tasks/video/binaries.ts';
import {
  createVideoOcrTask,
  type VideoCheckpoint,
  type VideoOcrResult,
} from '../../../../../gpu-worker/tasks/video/index.ts';
import { readVideoOptions } from '../../../../../gpu-worker/tasks/video/options.ts';
import { probeVideo } from '../../../../../gpu-worker/tasks/video/probe.ts';
import { FFMPEG, slideVideo } from '../../../../support/test-videos.ts';

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

const run = async (ctx: JobContext<VideoCheckpoint>, env: Record<string, string> = {}) => {
  const task = createVideoOcrTask(readVideoOptions(env));
  const out = await task.run(
    {
      size: video.size,
      key: 'uploads/v.mp4',
      path: async () => video.file,
      bytes: () => readFile(video.file),
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
      const info = await probeVideo(resolveBinaries({}).ffprobe, rotated, 60);
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
});
