/**
 * @module gpu-worker/tasks/video/probe
 * Reads a video's container and stream facts with ffprobe, and refuses what the task cannot
 * read with a sentence a user can act on: not a video, no video stream, unknown codec, too long.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { labelList, mediaTypesOf } from '../../../core/media-types.ts';
import { InvalidInputError } from '../task.ts';

const run = promisify(execFile);

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
const CONTAINERS: ReadonlySet<string> = new Set(VIDEO_TYPES.map((m) => m.decoderFormat));

export async function probeVideo(ffprobe: string, file: string, maxDurationSec: number): Promise<VideoInfo> {
  let output: ProbeOutput;
  try {
    const { stdout } = await run(
      ffprobe,
      ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    output = JSON.parse(stdout) as ProbeOutput;
  } catch (error) {
    const reason = firstLine((error as { stderr?: string }).stderr) ?? 'ffprobe could not read it';
    throw new InvalidInputError(`The video is corrupt or truncated: ${reason}.`);
  }
  const container = output.format?.format_name ?? '';
  if (!container.split(',').some((name) => CONTAINERS.has(name))) {
    throw new InvalidInputError(`The file is not a supported video (expected ${labelList(VIDEO_TYPES)}).`);
  }
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
  if (duration > maxDurationSec) {
    throw new InvalidInputError(
      `The video is ${formatDuration(duration)} long, over the limit of ${formatDuration(maxDurationSec)}.`,
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
