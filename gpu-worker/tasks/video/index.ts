/**
 * @module gpu-worker/tasks/video
 * The "video-ocr" job task: reads the text a video shows over time (slides of a talk, signs in
 * dashcam footage, captions, screen recordings). It samples frames with ffmpeg (1 per second by
 * default), skips near-duplicates of the last kept frame, reads the rest with the "ocr" model
 * task on every inference thread at once, and merges consecutive frames with the same text into
 * a timeline, written as `results/<jobId>.json` and `results/<jobId>.vtt`.
 *
 * Resumable: every checkpoint holds the next frame to read, the timeline so far and the last kept
 * thumbnail, so a worker taking the job over after a crash seeks there and carries on.
 * Exports its implementation (default) and its description (core/tasks.ts VIDEO_OCR_TASK).
 */
import { OCR_TASK, VIDEO_OCR_TASK } from '../../../core/tasks.ts';

import type { OcrResult } from '../ocr/index.ts';
import {
  InvalidInputError,
  type JobContext,
  type JobInput,
  type JobTaskDefinition,
  type JobTaskOutput,
} from '../task.ts';
import { chooseDecoder, type Decoder, resolveBinaries } from './binaries.ts';
import { decodeBound, ffmpegLimits, isPastBound, pastBoundError } from './decode-bound.ts';
import { meanAbsDiff, thumbnail } from './dedupe.ts';
import { readFrames } from './frames.ts';
import { readVideoOptions, type VideoOptions } from './options.ts';
import { probeVideo, type VideoInfo } from './probe.ts';
import { type Segment, Timeline, type TimelineState } from './timeline.ts';
import { toWebVtt } from './webvtt.ts';

/** The model task that reads each kept frame. */
const FRAME_TASK = OCR_TASK.name;

/** Frame counts; across attempts, up to the last checkpoint. */
export interface FrameCounts {
  /** Sampled frames delivered by the decoder. */
  decoded: number;
  /** Frames that were not near-duplicates of the last kept one. */
  kept: number;
  /** Frames sent through OCR. */
  read: number;
}

/** What a checkpoint holds. */
export interface VideoCheckpoint {
  /** Index of the next sampled frame to read (frame i shows time i / sampleFps). */
  nextFrame: number;
  timeline: TimelineState;
  /** Thumbnail of the last kept frame, base64. */
  lastThumbnail?: string;
  counts: FrameCounts;
}

export interface VideoOcrResult {
  video: VideoInfo & {
    decoder: Decoder;
    sampleFps: number;
    /** Sampled frames in the video. */
    frames: number;
    framesDecoded: number;
    framesKept: number;
    framesRead: number;
    /** Seconds at which this attempt resumed from a checkpoint, when it did. */
    resumedAt?: number;
  };
  segments: Segment[];
}

export function createVideoOcrTask(
  options: VideoOptions = readVideoOptions(),
): JobTaskDefinition<VideoCheckpoint> {
  return {
    name: VIDEO_OCR_TASK.name,
    maxInputBytes: options.maxBytes,
    // A video job runs for as long as its video allows: 3 s of work per second of the longest
    // video accepted (far slower than 2 CPU cores read slides), capped by the worker's maximum.
    timeoutSec: options.maxDurationSec * 3,
    resumable: true,
    run: (input, ctx) => runVideoOcr(options, input, ctx),
  };
}

async function runVideoOcr(
  options: VideoOptions,
  input: JobInput,
  ctx: JobContext<VideoCheckpoint>,
): Promise<JobTaskOutput> {
  if (input.size === 0) throw new InvalidInputError('The file is empty (0 bytes).');
  const binaries = resolveBinaries(options);
  ctx.progress('decoding', 0, 1);
  const file = await input.path();
  const info = await probeVideo(binaries.ffprobe, file, {
    maxDurationSec: options.maxDurationSec,
    timeoutSec: options.probeTimeoutSec,
    signal: ctx.signal,
  });
  const fps = options.sampleFps;
  const frames = Math.max(1, Math.ceil(info.duration * fps - 1e-6));
  const bound = decodeBound(info.duration, options.maxDurationSec, fps);
  const size = outputSize(info.width, info.height, options.maxSide);
  const resume = ctx.resumeFrom;
  const start = Math.min(resume?.nextFrame ?? 0, frames);
  const timeline = new Timeline(1 / fps, resume?.timeline);
  const counts: FrameCounts = resume ? { ...resume.counts } : { decoded: 0, kept: 0, read: 0 };
  let lastThumbnail: Uint8Array | undefined = resume?.lastThumbnail
    ? Buffer.from(resume.lastThumbnail, 'base64')
    : undefined;
  if (resume) ctx.log.info('video resumes from its checkpoint', { resumedAt: start / fps, nextFrame: start });

  // Frames in time order not yet on the timeline: read by OCR (`reading`), or repeating the
  // last read one. `settled` once the reading is back, so finished frames leave at once.
  const window: Array<{ time: number; reading?: Promise<OcrResult>; settled?: boolean }> = [];
  let reading = 0;
  let completed = start;
  const maxReading = Math.max(2, ctx.inferenceThreads * 2);
  const drainOne = async () => {
    const entry = window.shift();
    if (!entry) return;
    if (entry.reading) {
      reading--;
      timeline.addReading(entry.time, await entry.reading);
    } else timeline.addDuplicate(entry.time);
    completed++;
    ctx.progress('inferring', Math.min(completed, frames), frames);
  };

  let decoder = await chooseDecoder(binaries.ffmpeg, options.decoder, ctx.executionProvider);
  let decodedHere = 0;
  for (;;) {
    try {
      const source = {
        ffmpeg: binaries.ffmpeg,
        file,
        fps,
        ...size,
        startSec: start / fps,
        ...ffmpegLimits(bound, start, fps),
        signal: ctx.signal,
      };
      for await (const frame of readFrames({ ...source, decoder })) {
        const index = start + frame.index;
        decodedHere++;
        counts.decoded++;
        ctx.log.debug('video frame decoded', { frame: index });
        // Leaving the loop stops ffmpeg (readFrames' finally).
        if (isPastBound(bound, index)) throw pastBoundError(bound);
        const thumb = thumbnail(frame.data, size.width, size.height);
        const duplicate =
          options.duplicateThreshold > 0 &&
          lastThumbnail !== undefined &&
          meanAbsDiff(thumb, lastThumbnail) <= options.duplicateThreshold;
        if (duplicate) window.push({ time: index / fps });
        else {
          lastThumbnail = thumb;
          counts.kept++;
          counts.read++;
          const entry: (typeof window)[number] = {
            time: index / fps,
            reading: ctx.infer(FRAME_TASK, { kind: 'rgb', data: frame.data, ...size }) as Promise<OcrResult>,
          };
          // Awaited in order by drainOne; handled here too so a later frame's failure is not "unhandled".
          entry.reading?.then(
            () => {
              entry.settled = true;
            },
            () => {},
          );
          window.push(entry);
          reading++;
        }
        while (reading >= maxReading) await drainOne();
        while (window[0] && (!window[0].reading || window[0].settled)) await drainOne();
        if (ctx.checkpointDue()) {
          while (window.length > 0) await drainOne();
          await ctx.checkpoint({
            nextFrame: index + 1,
            timeline: timeline.state,
            ...(lastThumbnail ? { lastThumbnail: Buffer.from(lastThumbnail).toString('base64') } : {}),
            counts,
          });
        }
      }
      break;
    } catch (error) {
      // NVDEC that cannot start (no device, unsupported codec profile): decode on the CPU instead.
      if (decoder === 'nvdec' && decodedHere === 0 && !ctx.signal.aborted) {
        ctx.log.warn('NVDEC decoding failed; falling back to CPU decoding', { error });
        decoder = 'cpu';
        continue;
      }
      throw error;
    }
  }
  while (window.length > 0) await drainOne();

  if (start + decodedHere === 0)
    throw new InvalidInputError('The video has no frames that could be decoded.');
  // Sampling may round one frame either way at the end; a video that stops well short is damaged.
  const reached = (start + decodedHere) / fps;
  if (frames - (start + decodedHere) > Math.max(1, 0.02 * frames)) {
    throw new InvalidInputError(
      `The video is corrupt or truncated: its frames stop at ${reached.toFixed(1)} s of ${info.duration.toFixed(1)} s.`,
    );
  }
  const segments = timeline.finish(info.duration);
  const result: VideoOcrResult = {
    video: {
      ...info,
      decoder,
      sampleFps: fps,
      frames,
      framesDecoded: counts.decoded,
      framesKept: counts.kept,
      framesRead: counts.read,
      ...(start > 0 ? { resumedAt: start / fps } : {}),
    },
    segments,
  };
  return { result, files: [{ suffix: '.vtt', body: toWebVtt(segments), contentType: 'text/vtt' }], decoder };
}

/** The frame size to read: the video's, scaled to fit `maxSide`, in even numbers (as rgb24 scaling wants). */
export function outputSize(
  width: number,
  height: number,
  maxSide: number,
): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const even = (n: number) => Math.max(2, Math.round((n * scale) / 2) * 2);
  return { width: even(width), height: even(height) };
}

export default createVideoOcrTask();
export { VIDEO_OCR_TASK as description };
