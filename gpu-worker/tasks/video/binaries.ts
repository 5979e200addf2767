/**
 * @module gpu-worker/tasks/video/binaries
 * Which ffmpeg and ffprobe run, and whether ffmpeg can decode on the GPU. Locally the static
 * Linux/macOS binaries inside the npm packages @ffmpeg-installer/ffmpeg and
 * @ffprobe-installer/ffprobe (so `npm install` is all a user needs); in the container, the
 * distribution's ffmpeg through FERRY_FFMPEG_PATH/FERRY_FFPROBE_PATH.
 */
import { execFile } from 'node:child_process';
import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import type { VideoOptions } from './options.ts';

const run = promisify(execFile);

export interface Binaries {
  ffmpeg: string;
  ffprobe: string;
}

/** Loaded only when no path is configured: the installer packages throw on platforms they lack. */
export function resolveBinaries(options: Pick<VideoOptions, 'ffmpegPath' | 'ffprobePath'>): Binaries {
  const require = createRequire(import.meta.url);
  return {
    ffmpeg: options.ffmpegPath ?? packaged((require('@ffmpeg-installer/ffmpeg') as { path: string }).path),
    ffprobe:
      options.ffprobePath ?? packaged((require('@ffprobe-installer/ffprobe') as { path: string }).path),
  };
}

/**
 * A binary from an installer package, made executable if it is not: the packages' own postinstall
 * does that chmod, but the project's .npmrc turns install scripts off (ffprobe's tarball ships
 * without the execute bit).
 */
function packaged(binary: string): string {
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    chmodSync(binary, statSync(binary).mode | 0o100);
  }
  return binary;
}

/** How frames are decoded: NVDEC through `-hwaccel cuda`, or ffmpeg's CPU decoders. */
export type Decoder = 'nvdec' | 'cpu';

/**
 * The decoder to use. `auto` picks NVDEC only when the models run on CUDA (a GPU is there) and
 * this ffmpeg lists the cuda hwaccel; the caller falls back to CPU if NVDEC then fails to start.
 */
export async function chooseDecoder(
  ffmpeg: string,
  preference: VideoOptions['decoder'],
  executionProvider: string,
): Promise<Decoder> {
  if (preference !== 'auto') return preference;
  if (executionProvider !== 'cuda' && executionProvider !== 'tensorrt') return 'cpu';
  const { stdout } = await run(ffmpeg, ['-hide_banner', '-hwaccels']).catch(() => ({ stdout: '' }));
  return /^\s*cuda\s*$/m.test(stdout) ? 'nvdec' : 'cpu';
}
