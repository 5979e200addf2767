/**
 * @module gpu-worker/tasks/video/decode-bound
 * How much of a video ffmpeg may decode. The duration ffprobe reports is the container's claim,
 * not a measurement: a Matroska file may declare 5 s and hold hours of frames, and ffmpeg decodes
 * what is there. So the decode is bounded by the declared duration plus a margin (never more
 * than FERRY_VIDEO_MAX_DURATION_SEC), through ffmpeg's own `-t` and `-frames:v` (frames.ts), and
 * a video that still has frames past the bound fails INVALID_INPUT.
 *
 * Failing rather than cutting: the job's result would otherwise be a timeline of part of the
 * video that looks complete, with nothing but a warning to say the rest was never read. A file
 * whose duration field is wrong is a broken file; its user learns so and can remux it (which
 * writes the true duration) instead of trusting a partial answer.
 */
import { InvalidInputError } from '../task.ts';
import { formatDuration } from './probe.ts';

/**
 * Honest files decode a little past their declared duration (a last frame's length, an audio
 * track declared shorter than the video, rounding): the larger of `minSec` and `share` of the
 * declared duration. 2% is the tolerance the task allows the other way, for a video that stops
 * short of its declared end.
 */
export const DECLARED_DURATION_MARGIN = { minSec: 2, share: 0.02 } as const;

export interface DecodeBound {
  /** Seconds of video the job reads at most: declared + margin, capped by the duration limit. */
  allowedSec: number;
  /** Sampled frames in `allowedSec` (frame i shows time i / sampleFps). */
  allowedFrames: number;
  /** The container's declared duration, in seconds. */
  declaredSec: number;
  /** Whether the duration limit, not declared + margin, set `allowedSec`. */
  byLimit: boolean;
}

export function decodeBound(declaredSec: number, maxDurationSec: number, sampleFps: number): DecodeBound {
  const margin = Math.max(DECLARED_DURATION_MARGIN.minSec, DECLARED_DURATION_MARGIN.share * declaredSec);
  const allowedSec = Math.min(maxDurationSec, declaredSec + margin);
  return {
    allowedSec,
    allowedFrames: Math.max(1, Math.ceil(allowedSec * sampleFps - 1e-6)),
    declaredSec,
    byLimit: allowedSec < declaredSec + margin,
  };
}

/**
 * The bound as ffmpeg limits, from sampled frame `startFrame` on: one frame more than allowed,
 * so a video that runs past the bound shows it (`isPastBound`), and `-t` one sample interval
 * beyond that, so the fps filter has the input to produce that frame (`-frames:v` is the cap
 * that binds; `-t` stops the demuxer even where no frame comes out, e.g. all dropped).
 */
export function ffmpegLimits(
  bound: DecodeBound,
  startFrame: number,
  sampleFps: number,
): { maxFrames: number; maxSec: number } {
  const maxFrames = Math.max(1, bound.allowedFrames + 1 - startFrame);
  return { maxFrames, maxSec: (maxFrames + 1) / sampleFps };
}

/** Whether sampled frame `index` lies past the bound. */
export function isPastBound(bound: DecodeBound, index: number): boolean {
  return index >= bound.allowedFrames;
}

/** The job's error for a video with frames past its bound. */
export function pastBoundError(bound: DecodeBound): InvalidInputError {
  const declared = formatDuration(bound.declaredSec);
  if (bound.byLimit) {
    return new InvalidInputError(
      `The video runs longer than the ${declared} its container declares, and past the limit of ${formatDuration(bound.allowedSec)}; it was not read further.`,
    );
  }
  return new InvalidInputError(
    `The video decodes to more than the ${declared} its container declares (it was stopped at ${formatDuration(bound.allowedSec)}, the declared length and a margin): its duration field is wrong. Remuxing it (ffmpeg -i in -c copy out) writes the true duration.`,
  );
}
