/**
 * @module gpu-worker/tasks/ocr/text-height
 * A cheap estimate of the text height in an image, from ink-row runs in vertical strips, so the
 * detector's input can be as small as the text allows instead of one fixed side limit.
 */
import type { RgbImage } from '../image.ts';

/** Strips are this wide: narrow enough that a few degrees of tilt do not merge lines. */
const STRIP = 160;
/** A sample is ink when its grey level is this far from the image's mean (8-bit levels). */
const INK_CONTRAST = 48;
/** Runs shorter than this are specks or underlines, not text lines. */
const MIN_RUN = 4;

/**
 * Median height, in image pixels, of the runs of rows that carry ink within each vertical strip
 * (every second column sampled), or undefined when no text-like run is found. Reads each sampled
 * pixel once: a few ms for a 1280x720 image.
 */
export function estimateTextHeight(image: RgbImage): number | undefined {
  const { data, width, height } = image;
  const grey = (x: number, y: number) => {
    const i = (y * width + x) * 3;
    return ((data[i] as number) + (data[i + 1] as number) + (data[i + 2] as number)) / 3;
  };
  let sum = 0;
  let count = 0;
  for (let y = 0; y < height; y += 4) {
    for (let x = 0; x < width; x += 4) {
      sum += grey(x, y);
      count++;
    }
  }
  const mean = sum / Math.max(1, count);
  const runs: number[] = [];
  for (let left = 0; left < width; left += STRIP) {
    const right = Math.min(width, left + STRIP);
    let run = 0;
    for (let y = 0; y <= height; y++) {
      let ink = 0;
      if (y < height) {
        for (let x = left; x < right && ink < 2; x += 2) {
          if (Math.abs(grey(x, y) - mean) > INK_CONTRAST) ink++;
        }
      }
      if (ink >= 2) {
        run++;
      } else {
        if (run >= MIN_RUN) runs.push(run);
        run = 0;
      }
    }
  }
  if (runs.length === 0) return undefined;
  runs.sort((a, b) => a - b);
  return runs[Math.floor(runs.length / 2)];
}

/**
 * The detection side limit for `image`: scaled so its text comes out about `targetHeight`
 * detection pixels high, within [minSide, maxSide]; maxSide when no text height can be estimated.
 */
export function detLimitForImage(
  image: RgbImage,
  targetHeight: number,
  minSide: number,
  maxSide: number,
): number {
  const textHeight = estimateTextHeight(image);
  if (textHeight === undefined) return maxSide;
  const side = Math.max(image.width, image.height) * (targetHeight / textHeight);
  return Math.min(maxSide, Math.max(minSide, Math.ceil(side / 32) * 32));
}
