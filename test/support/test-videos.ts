/**
 * @module test/support/test-videos
 * Generated videos of known text for the video tests and the benchmark: slides whose text
 * changes every `slideSec` seconds, drawn (ffmpeg drawtext, DejaVu Sans) in a white box over a
 * noisy background with a moving square, encoded with the same static ffmpeg the worker uses.
 * Each video is made once and cached under .ferry/test-media/ by its parameters.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { resolveBinaries } from '../../gpu-worker/tasks/video/binaries.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
export const FFMPEG = resolveBinaries({}).ffmpeg;

export interface SlideVideoSpec {
  /** Seconds. */
  duration: number;
  /** Seconds each slide shows. */
  slideSec: number;
  width?: number;
  height?: number;
  /** Encoded frames per second. */
  fps?: number;
  /** Container/extension. */
  format?: 'mp4' | 'webm' | 'mkv' | 'mov';
}

export interface Slide {
  start: number;
  end: number;
  lines: string[];
}

/** Two lines per slide: letters, digits, spaces and full stops only (no filtergraph escaping). */
const WORDS = [
  'Ferry reads slides',
  'Quarterly revenue grew',
  'Sample size was large',
  'Route 66 crosses states',
  'The museum opens at 10',
  'Order 77A shipped today',
  'Meeting moved to Room 3',
  'Version 2.7 fixes bugs',
  'Bus 42 leaves at noon',
  'Water boils at 100 C',
  'Project Alpha is done',
  'Chapter 9 Balance Sheets',
];

export function slidesFor(spec: SlideVideoSpec): Slide[] {
  const count = Math.ceil(spec.duration / spec.slideSec);
  return Array.from({ length: count }, (_, i) => ({
    start: i * spec.slideSec,
    end: Math.min(spec.duration, (i + 1) * spec.slideSec),
    lines: [
      `Slide ${i + 1}. ${WORDS[i % WORDS.length]}`,
      `Point ${(i * 37) % 100} of ${WORDS[(i + 5) % WORDS.length]}`,
    ],
  }));
}

/** The path of the video for `spec`, generating it on first use. */
export async function slideVideo(spec: SlideVideoSpec): Promise<{ file: string; slides: Slide[] }> {
  const { width = 1280, height = 720, fps = 10, format = 'mp4' } = spec;
  const slides = slidesFor(spec);
  const name = createHash('sha256')
    .update(JSON.stringify({ ...spec, width, height, fps, format, v: 4 }))
    .digest('hex')
    .slice(0, 12);
  const dir = path.join(ROOT, '.ferry/test-media');
  const file = path.join(dir, `slides-${spec.duration}s-${name}.${format}`);
  if (existsSync(file)) return { file, slides };
  await mkdir(dir, { recursive: true });
  const fontSize = Math.round(height / 15);
  const text = slides.flatMap((slide, i) =>
    slide.lines.map(
      (line, j) =>
        `drawtext=fontfile=${FONT}:text='${line}':x=${Math.round(width / 12)}:y=${Math.round(height / 4) + j * fontSize * 2}` +
        `:fontsize=${fontSize}:fontcolor=black:box=1:boxcolor=white:boxborderw=${Math.round(fontSize / 2)}` +
        `:enable='between(t,${slide.start},${slide.end - 0.001})'${i < 0 ? '' : ''}`,
    ),
  );
  const graph = [
    // Coarse noise scaled up: it moves every frame, yet compresses to a few MB.
    `color=c=0x304860:s=${width / 4}x${height / 4}:r=${fps}:d=${spec.duration},noise=alls=10:allf=t,scale=${width}:${height},setsar=1[bg]`,
    `color=c=yellow:s=${Math.round(width / 32)}x${Math.round(height / 18)}:r=${fps}:d=${spec.duration}[box]`,
    `[bg][box]overlay=x='mod(t*${Math.round(width / 10)},${width})':y=${Math.round(height * 0.85)},${text.join(',')}[v]`,
  ].join(';');
  const codec =
    format === 'webm'
      ? ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1M']
      : ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '32', '-pix_fmt', 'yuv420p'];
  const partial = `${file}.partial.${process.pid}.${format}`;
  await run(FFMPEG, [
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-filter_complex',
    graph,
    '-map',
    '[v]',
    ...codec,
    '-g',
    String(fps * 2),
    partial,
  ]);
  // Rename is atomic: test files running in parallel never read a half-written video.
  await rename(partial, file);
  return { file, slides };
}

/** An MP4 holding only an audio track (a 2 s sine tone), for the "no video stream" case. */
export async function audioOnlyMp4(): Promise<string> {
  const dir = path.join(ROOT, '.ferry/test-media');
  const file = path.join(dir, 'audio-only.mp4');
  if (existsSync(file)) return file;
  await mkdir(dir, { recursive: true });
  const partial = `${file}.partial.${process.pid}.mp4`;
  await run(FFMPEG, [
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'sine=d=2',
    '-c:a',
    'aac',
    partial,
  ]);
  await rename(partial, file);
  return file;
}

/**
 * A Matroska file whose container lies about its length: `frames` one-second frames (64x36),
 * with the Segment's Duration element rewritten to say `declaredSec`. The element is the only
 * duration a Matroska container holds (ffprobe's format.duration), so the lie is written where
 * a broken or hostile muxer would write it; the frames themselves are untouched.
 */
export async function lyingDurationMkv(frames: number, declaredSec: number): Promise<string> {
  const dir = path.join(ROOT, '.ferry/test-media');
  const file = path.join(dir, `lying-${frames}f-declares-${declaredSec}s.mkv`);
  if (existsSync(file)) return file;
  await mkdir(dir, { recursive: true });
  const partial = `${file}.partial.${process.pid}.mkv`;
  await run(FFMPEG, [
    ...['-hide_banner', '-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `testsrc=s=64x36:r=1:d=${frames}`],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '10'],
    partial,
  ]);
  const bytes = await readFile(partial);
  // EBML: ID 0x4489 (Duration), size byte 0x88 (an 8-byte float), in TimecodeScale units, which
  // ffmpeg writes as its default of 1 ms. The Segment Info comes before any frame data.
  const at = bytes.subarray(0, 4096).indexOf(Buffer.from([0x44, 0x89, 0x88]));
  if (at < 0) throw new Error(`no 8-byte Duration element at the start of ${partial}`);
  bytes.writeDoubleBE(declaredSec * 1000, at + 3);
  await writeFile(partial, bytes);
  await rename(partial, file);
  return file;
}
