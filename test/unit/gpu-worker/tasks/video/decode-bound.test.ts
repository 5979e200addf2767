/**
 * How far a video is decoded: the declared duration plus a margin, capped by the duration limit,
 * as the ffmpeg caps given to the decoder, and the sentence a video past it fails with.
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../../core/errors.ts';
import {
  decodeBound,
  ffmpegLimits,
  isPastBound,
  pastBoundError,
} from '../../../../../gpu-worker/tasks/video/decode-bound.ts';

describe('decodeBound', () => {
  it('allows the declared duration and at least 2 s more', () => {
    expect(decodeBound(5, 60, 1)).toEqual({
      allowedSec: 7,
      allowedFrames: 7,
      declaredSec: 5,
      byLimit: false,
    });
  });

  it('allows 2% more on a long video', () => {
    expect(decodeBound(1000, 7200, 1)).toMatchObject({ allowedSec: 1020, allowedFrames: 1020 });
  });

  it('never allows more than the duration limit', () => {
    expect(decodeBound(59, 60, 2)).toEqual({
      allowedSec: 60,
      allowedFrames: 120,
      declaredSec: 59,
      byLimit: true,
    });
  });

  it('counts the sampled frames that start inside the allowed time', () => {
    expect(decodeBound(0.5, 60, 0.5).allowedFrames).toBe(2); // 0 s and 2 s, inside 2.5 s
    expect(decodeBound(1, 60, 10).allowedFrames).toBe(30);
  });
});

describe('ffmpegLimits', () => {
  const bound = decodeBound(5, 60, 1);

  it('lets one frame past the bound through, so an overrun shows, and reads one interval more', () => {
    expect(ffmpegLimits(bound, 0, 1)).toEqual({ maxFrames: 8, maxSec: 9 });
    expect(isPastBound(bound, 6)).toBe(false);
    expect(isPastBound(bound, 7)).toBe(true);
  });

  it('counts from the frame a resumed run starts at', () => {
    expect(ffmpegLimits(bound, 5, 1)).toEqual({ maxFrames: 3, maxSec: 4 });
    expect(ffmpegLimits(decodeBound(5, 60, 2), 4, 2)).toEqual({ maxFrames: 11, maxSec: 6 });
  });
});

describe('pastBoundError', () => {
  it('names the declared length, where decoding stopped, and the fix', () => {
    const error = pastBoundError(decodeBound(5, 60, 1));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toBe(
      'The video decodes to more than the 5 s its container declares (it was stopped at 7 s, the declared length and a margin): its duration field is wrong. Remuxing it (ffmpeg -i in -c copy out) writes the true duration.',
    );
  });

  it('names the duration limit when that is what stopped it', () => {
    expect(pastBoundError(decodeBound(3599, 3600, 1)).message).toBe(
      'The video runs longer than the 59 min 59 s its container declares, and past the limit of 1 h; it was not read further.',
    );
  });
});
