/**
 * @module gpu-worker/tasks/video/probe
 * Reads a video's container and stream facts with ffprobe, and refuses what the task cannot
 * read with a sentence a user can act on: not a video, no video stream, unknown codec, too long.
 * ffprobe reads local files in the accepted containers only (whitelists.ts), has a time limit
 * (FERRY_VIDEO_PROBE_TIMEOUT_SEC) and is killed when the job's signal aborts.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { labelList, mediaTypesOf } from '../../../core/media-types.ts';
import { InvalidInputError } from '../task.ts';
import { INPUT_WHITELIST_ARGS, isFormatRefused } from './whitelists.ts';

const run = promisify(execFile);

/** ffprobe's JSON for a file with thousands of streams or huge tags; more than this is refused. */
const MAX_PROBE_OUTPUT_BYTES = 16 * 1024 * 1024;

export interface VideoInfo {
  /** Seconds. */
  duration: number;
  /** Frames per second of the video stream. */
  fps: number;
  /** As shown: a phone video's rotation (which ffmpeg applies when decoding) is taken into account. */
  width: number;
  height: number;
  /** ffprobe's codec name, e.g. "h264", "hevc", "vp9", "av1". */
  codec: string;
  /** ffprobe's container name, e.g. "mov,mp4,m4a,3gp,3g2,mj2". */
  container: string;
}

interface ProbeOutput {
  format?: { format_name?: string; duration?: string };
  streams?: Array<{
    codec_type?: string;
    codec_name?: string;
    codec_tag_string?: string;
    width?: number;
    height?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    duration?: string;
    tags?: { rotate?: string };
    side_data_list?: Array<{ rotation?: number }>;
  }>;
}

const VIDEO_TYPES = mediaTypesOf('video');

export interface ProbeOptions {
  /** Longest video accepted, in seconds (FERRY_VIDEO_MAX_DURATION_SEC). */
  maxDurationSec: number;
  /** ffprobe is killed after this many seconds (FERRY_VIDEO_PROBE_TIMEOUT_SEC). */
  timeoutSec: number;
  /** The job's signal: cancel, deadline or shutdown kill ffprobe. */
  signal?: AbortSignal;
}

/**
 * The video's facts. Throws InvalidInputError for a file the task cannot read (a probe past its
 * time limit included), and the signal's reason once it aborts.
 */
export async function probeVideo(ffprobe: string, file: string, options: ProbeOptions): Promise<VideoInfo> {
  const output = await runProbe(ffprobe, file, options);
  const container = output.format?.format_name ?? '';
  const stream = output.streams?.find((s) => s.codec_type === 'video');
  if (!stream) throw new InvalidInputError('The file has no video stream (audio only?).');
  if (!stream.codec_name || stream.codec_name === 'none') {
    const tag = stream.codec_tag_string?.replace(/[^\x20-\x7e]/g, '') || 'unknown';
    throw new InvalidInputError(`The video codec "${tag}" is not supported.`);
  }
  if (!stream.width || !stream.height) throw new InvalidInputError('The video declares no width or height.');
  const duration = Number(output.format?.duration ?? stream.duration);
  if (!Number.isFinite(duration) || duration <= 0) {
    throw new InvalidInputError('The video declares no duration; it may be truncated or a live stream.');
  }
  if (duration > options.maxDurationSec) {
    throw new InvalidInputError(
      `The video is ${formatDuration(duration)} long, over the limit of ${formatDuration(options.maxDurationSec)}.`,
    );
  }
  // Phones store portrait video as landscape plus a rotation; ffmpeg turns the frames upright.
  const rotation = Number(
    stream.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? stream.tags?.rotate ?? 0,
  );
  const sideways = Math.abs(rotation) % 180 === 90;
  return {
    duration,
    fps: rate(stream.avg_frame_rate) || rate(stream.r_frame_rate),
    width: sideways ? stream.height : stream.width,
    height: sideways ? stream.width : stream.height,
    codec: stream.codec_name,
    container,
  };
}

async function runProbe(ffprobe: string, file: string, options: ProbeOptions): Promise<ProbeOutput> {
  const args = [
    ...['-v', 'error', ...INPUT_WHITELIST_ARGS],
    ...['-print_format', 'json', '-show_format', '-show_streams', file],
  ];
  let stdout: string;
  try {
    ({ stdout } = await run(ffprobe, args, {
      maxBuffer: MAX_PROBE_OUTPUT_BYTES,
      timeout: options.timeoutSec * 1000,
      // The file is untrusted: SIGKILL, which nothing ffprobe is doing can catch or delay.
      killSignal: 'SIGKILL',
      ...(options.signal ? { signal: options.signal } : {}),
    }));
  } catch (error) {
    options.signal?.throwIfAborted();
    const failure = error as { stderr?: string; killed?: boolean; code?: unknown };
    if (failure.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
      throw new InvalidInputError('The video declares more streams and tags than can be read.', {
        cause: error,
      });
    }
    if (failure.killed) {
      throw new InvalidInputError(
        `The video could not be read within ${options.timeoutSec} s (ffprobe's time limit): the file is malformed or not a video.`,
        { cause: error },
      );
    }
    if (isFormatRefused(failure.stderr ?? '')) throw notSupported();
    const reason = firstLine(failure.stderr) ?? 'ffprobe could not read it';
    throw new InvalidInputError(`The video is corrupt or truncated: ${reason}.`, { cause: error });
  }
  try {
    return JSON.parse(stdout) as ProbeOutput;
  } catch (error) {
    throw new InvalidInputError('The video is corrupt or truncated: ffprobe could not describe it.', {
      cause: error,
    });
  }
}

function notSupported(): InvalidInputError {
  return new InvalidInputError(`The file is not a supported video (expected ${labelList(VIDEO_TYPES)}).`);
}

/** "30000/1001" -> 29.97; 0 when absent or "0/0". */
function rate(value: string | undefined): number {
  const [n, d] = (value ?? '').split('/').map(Number);
  return n && d ? Math.round((n / d) * 1000) / 1000 : 0;
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [h ? `${h} h` : '', m ? `${m} min` : '', s % 60 || (!h && !m) ? `${s % 60} s` : ''];
  return parts.filter(Boolean).join(' ');
}

function firstLine(text: string | undefined): string | undefined {
  const line = text?.split('\n').find((l) => l.trim() !== '');
  // ffprobe prefixes the file name: "/tmp/x/input: Invalid data found ..."; the user's file has another.
  return line
    ?.replace(/^.*?input:\s*/, '')
    .trim()
    .replace(/\.$/, '');
}
