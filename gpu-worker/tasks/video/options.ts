/**
 * @module gpu-worker/tasks/video/options
 * The video task's settings, read from FERRY_VIDEO_* (and FERRY_FFMPEG_PATH/FERRY_FFPROBE_PATH)
 * environment variables and validated when the worker loads it.
 */
import { z } from 'zod';
import { envEnum, envInt, envNumber, readEnv } from '../../../core/env.ts';

const GiB = 1024 ** 3;

const VideoEnvSchema = z.object({
  /** Frames sampled per second of video. @default 1 */
  FERRY_VIDEO_SAMPLE_FPS: envNumber(0.01, 60, 'frames per second').default(1),
  /**
   * A sampled frame whose grey 64x36 thumbnail differs from the last kept one by at most this
   * mean absolute difference (0..255) is a near-duplicate and is not read again. 0 reads every
   * sampled frame. @default 3 (sensor noise and a small moving object stay below 2; a changed slide measured 4.8 and more)
   */
  FERRY_VIDEO_DUPLICATE_THRESHOLD: envNumber(0, 255).default(3),
  /** Longest side of the frames read, in pixels; larger videos are scaled down by ffmpeg. @default 1280 */
  FERRY_VIDEO_MAX_SIDE: envInt(64, 8192, 'pixels').default(1280),
  /** Longest video accepted, in seconds. @default 7200 (2 h) */
  FERRY_VIDEO_MAX_DURATION_SEC: envNumber(1, 24 * 3600, 'seconds').default(7200),
  /**
   * How long ffprobe may take to read a video's container and streams, in seconds; past it the
   * probe is killed and the job fails INVALID_INPUT. The file is local, so a probe that takes
   * this long is reading a malformed (or hostile) file, not waiting on a network. @default 30
   */
  FERRY_VIDEO_PROBE_TIMEOUT_SEC: envNumber(1, 3600, 'seconds').default(30),
  /** Largest video file accepted, in bytes. @default 50 GiB */
  FERRY_VIDEO_MAX_BYTES: envInt(1, 5 * 1024 * GiB, 'bytes').default(50 * GiB),
  /**
   * `auto`: NVDEC (`-hwaccel cuda`) when the inference threads run on CUDA and ffmpeg offers it,
   * CPU otherwise; `cpu` or `nvdec` force one. @default auto
   */
  FERRY_VIDEO_DECODER: envEnum(['auto', 'cpu', 'nvdec']).default('auto'),
  /** ffmpeg to run. @default the static binary of the npm package @ffmpeg-installer/ffmpeg */
  FERRY_FFMPEG_PATH: z.string().min(1).optional(),
  /** ffprobe to run. @default the static binary of the npm package @ffprobe-installer/ffprobe */
  FERRY_FFPROBE_PATH: z.string().min(1).optional(),
});

export interface VideoOptions {
  sampleFps: number;
  duplicateThreshold: number;
  maxSide: number;
  maxDurationSec: number;
  probeTimeoutSec: number;
  maxBytes: number;
  decoder: 'auto' | 'cpu' | 'nvdec';
  ffmpegPath?: string;
  ffprobePath?: string;
}

export function readVideoOptions(env: NodeJS.ProcessEnv = process.env): VideoOptions {
  const e = readEnv(VideoEnvSchema, env);
  return {
    sampleFps: e.FERRY_VIDEO_SAMPLE_FPS,
    duplicateThreshold: e.FERRY_VIDEO_DUPLICATE_THRESHOLD,
    maxSide: e.FERRY_VIDEO_MAX_SIDE,
    maxDurationSec: e.FERRY_VIDEO_MAX_DURATION_SEC,
    probeTimeoutSec: e.FERRY_VIDEO_PROBE_TIMEOUT_SEC,
    maxBytes: e.FERRY_VIDEO_MAX_BYTES,
    decoder: e.FERRY_VIDEO_DECODER,
    ...(e.FERRY_FFMPEG_PATH ? { ffmpegPath: e.FERRY_FFMPEG_PATH } : {}),
    ...(e.FERRY_FFPROBE_PATH ? { ffprobePath: e.FERRY_FFPROBE_PATH } : {}),
  };
}
