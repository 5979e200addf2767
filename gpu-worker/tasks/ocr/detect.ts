/**
 * @module gpu-worker/tasks/ocr/detect
 * Text detection: resize and normalise images for the DB model, run a padded batch, return each image's probability map.
 */

import { type InferenceSession, Tensor } from 'onnxruntime-node';
import sharp from 'sharp';
import type { RgbImage } from '../image.ts';

/** ImageNet statistics the PP-OCR detector was trained with, in the model's BGR channel order. */
const MEAN_BGR = [0.406, 0.456, 0.485] as const;
const STD_BGR = [0.225, 0.224, 0.229] as const;

/** One image resized and normalised for detection: float32 CHW, BGR, `width` and `height` multiples of 32. */
export interface DetInput {
  data: Float32Array;
  width: number;
  height: number;
}

/** A detection probability map (0..1 per pixel, row-major) at the DetInput's size. */
export interface ProbabilityMap {
  data: Float32Array;
  width: number;
  height: number;
}

/**
 * Detection input size as PaddleOCR computes it: scale so the longest side is at most
 * `limitSide` (never up), then round each side to a multiple of 32 (the network downsamples by 32).
 */
export function detInputSize(
  width: number,
  height: number,
  limitSide: number,
): { width: number; height: number } {
  const ratio = Math.max(width, height) > limitSide ? limitSide / Math.max(width, height) : 1;
  const round32 = (side: number) => Math.max(32, Math.round((side * ratio) / 32) * 32);
  return { width: round32(width), height: round32(height) };
}

/** Resizes (sharp, off the JS thread) and normalises one decoded image. */
export async function prepareDetInput(image: RgbImage, limitSide: number): Promise<DetInput> {
  const size = detInputSize(image.width, image.height, limitSide);
  const pixels =
    size.width === image.width && size.height === image.height
      ? image.data
      : await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
          .resize(size.width, size.height, { fit: 'fill' })
          .raw()
          .toBuffer();
  const plane = size.width * size.height;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    // RGB source channel 2 - c gives BGR plane c.
    const scale = 1 / (255 * (STD_BGR[c] as number));
    const offset = (MEAN_BGR[c] as number) / (STD_BGR[c] as number);
    const base = c * plane;
    for (let i = 0, s = 2 - c; i < plane; i++, s += 3)
      data[base + i] = (pixels[s] as number) * scale - offset;
  }
  return { data, width: size.width, height: size.height };
}

/**
 * Runs detection over several images in one call. Inputs of different sizes are padded to the
 * largest height and width (padding is 0, the mean colour after normalisation) and each map is
 * cut back to its own image. A single input goes through without copying.
 */
export async function detect(
  session: InferenceSession,
  inputs: readonly DetInput[],
): Promise<ProbabilityMap[]> {
  const batchWidth = Math.max(...inputs.map((input) => input.width));
  const batchHeight = Math.max(...inputs.map((input) => input.height));
  const plane = batchWidth * batchHeight;
  let data: Float32Array;
  if (inputs.length === 1) {
    data = (inputs[0] as DetInput).data;
  } else {
    data = new Float32Array(inputs.length * 3 * plane);
    inputs.forEach((input, n) => {
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < input.height; y++) {
          const from = (c * input.height + y) * input.width;
          data.set(input.data.subarray(from, from + input.width), (n * 3 + c) * plane + y * batchWidth);
        }
      }
    });
  }
  const feeds = {
    [session.inputNames[0] as string]: new Tensor('float32', data, [
      inputs.length,
      3,
      batchHeight,
      batchWidth,
    ]),
  };
  const output = (await session.run(feeds))[session.outputNames[0] as string];
  if (!output) throw new Error('Detection model returned no output.');
  const maps = output.data as Float32Array;
  return inputs.map((input, n) => {
    if (input.width === batchWidth && input.height === batchHeight) {
      return { data: maps.subarray(n * plane, (n + 1) * plane), width: input.width, height: input.height };
    }
    const map = new Float32Array(input.width * input.height);
    for (let y = 0; y < input.height; y++) {
      const from = n * plane + y * batchWidth;
      map.set(maps.subarray(from, from + input.width), y * input.width);
    }
    return { data: map, width: input.width, height: input.height };
  });
}
