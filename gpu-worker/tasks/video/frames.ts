/**
 * @module gpu-worker/tasks/video/frames
 * Decodes a video into RGB frames at the sampling rate, scaled down by ffmpeg, streaming through
 * a pipe: one frame is in memory at a time (plus those the caller still holds), whatever the
 * video's length. Reading pauses while the caller is busy, and ffmpeg waits on the full pipe.
 * ffmpeg reads local files in the accepted containers only (whitelists.ts), stops at the
 * source's `maxSec` and `maxFrames` whatever the container says (decode-bound.ts), and is killed
 * when the signal aborts.
 */
import { spawn } from 'node:child_process';
import { InvalidInputError } from '../task.ts';
import type { Decoder } from './binaries.ts';
import { INPUT_WHITELIST_ARGS } from './whitelists.ts';

export interface FrameSource {
  ffmpeg: string;
  file: string;
  decoder: Decoder;
  /** Frames per second to sample. */
  fps: number;
  /** Output size (even numbers). */
  width: number;
  height: number;
  /** Start at this second (resuming after a checkpoint). */
  startSec: number;
  /** Seconds of input to read from `startSec` on (ffmpeg's input `-t`). */
  maxSec: number;
  /** Sampled frames to deliver at most (ffmpeg's `-frames:v`). */
  maxFrames: number;
  signal: AbortSignal;
}

export interface Frame {
  /** Sampled frames since `startSec`, from 0. */
  index: number;
  data: Buffer;
}

/** Frames of `source`, in order. Throws InvalidInputError when ffmpeg cannot decode the video. */
export async function* readFrames(source: FrameSource): AsyncGenerator<Frame> {
  const args = [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    ...(source.decoder === 'nvdec' ? ['-hwaccel', 'cuda'] : []),
    ...INPUT_WHITELIST_ARGS,
    ...(source.startSec > 0 ? ['-ss', source.startSec.toFixed(3)] : []),
    ...['-t', source.maxSec.toFixed(3)],
    '-i',
    source.file,
    '-map',
    '0:v:0',
    '-vf',
    `fps=${source.fps},scale=${source.width}:${source.height}:flags=area`,
    ...['-frames:v', String(source.maxFrames)],
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
  const child = spawn(source.ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  const kill = () => child.kill('SIGKILL');
  source.signal.addEventListener('abort', kill, { once: true });

  const frameBytes = source.width * source.height * 3;
  let frame = Buffer.allocUnsafe(frameBytes);
  let filled = 0;
  let index = 0;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let offset = 0;
      while (offset < chunk.length) {
        const n = Math.min(chunk.length - offset, frameBytes - filled);
        chunk.copy(frame, filled, offset, offset + n);
        filled += n;
        offset += n;
        if (filled === frameBytes) {
          yield { index: index++, data: frame };
          frame = Buffer.allocUnsafe(frameBytes);
          filled = 0;
        }
      }
    }
    const code = await exited;
    source.signal.throwIfAborted();
    if (code !== 0) throw decodeError(stderr);
  } finally {
    source.signal.removeEventListener('abort', kill);
    if (child.exitCode === null && child.signalCode === null) kill();
  }
}

/** ffmpeg's own words, reduced to a sentence: an unknown codec, or damaged data. */
function decodeError(stderr: string): Error {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const decoderMissing = lines.find((l) => /Decoder .*not found|Unsupported codec/i.test(l));
  if (decoderMissing) return new InvalidInputError(`The video codec is not supported: ${decoderMissing}.`);
  const last =
    lines
      .at(-1)
      ?.replace(/^.*?input:\s*/, '')
      .replace(/\.$/, '') ?? 'ffmpeg failed';
  return new InvalidInputError(`The video is corrupt or truncated: ${last}.`);
}
