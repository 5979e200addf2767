/**
 * @module gpu-worker/tasks/image
 * Decodes untrusted image bytes into raw RGB pixels, rejecting bad input with a message a user can act on.
 */
import sharp from 'sharp';
import { formatBytes } from '../../core/format-bytes.ts';
import { labelList, mediaTypesOf } from '../../core/media-types.ts';
import { type InputLimits, InvalidInputError, type RgbFrame } from './task.ts';

/** A decoded image: 8-bit RGB, 3 interleaved channels, rows top to bottom, EXIF orientation applied. */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

/** Image formats (sharp's names) that Ferry accepts. SVG is absent: it is a document, not a raster. */
const IMAGE_TYPES = mediaTypesOf('image');
const ACCEPTED_FORMATS: ReadonlySet<string> = new Set(IMAGE_TYPES.map((m) => m.decoderFormat));
const FORMAT_LIST = labelList(IMAGE_TYPES);

/**
 * Decodes `bytes` to RGB. The byte size and the declared dimensions are checked before any pixel
 * is decoded, so a decompression bomb costs only a header read.
 * @throws InvalidInputError for empty, oversized, unsupported, corrupt or truncated input.
 */
export async function decodeImage(bytes: Uint8Array, limits: InputLimits): Promise<RgbImage> {
  if (bytes.byteLength === 0) throw new InvalidInputError('The file is empty (0 bytes).');
  if (bytes.byteLength > limits.maxInputBytes) {
    throw new InvalidInputError(
      `The file is ${formatBytes(bytes.byteLength)}, over the limit of ${formatBytes(limits.maxInputBytes)}.`,
    );
  }

  // limitInputPixels: false here so an oversized header yields our own message with the dimensions.
  const metadata = await sharp(bytes, { limitInputPixels: false })
    .metadata()
    .catch(() => undefined);
  if (!metadata?.format || !ACCEPTED_FORMATS.has(metadata.format)) {
    throw new InvalidInputError(`The file is not a supported image (expected ${FORMAT_LIST}).`);
  }
  const { width, height } = metadata;
  if (!width || !height) throw new InvalidInputError('The image declares no width or height.');
  if (width * height > limits.maxInputPixels) {
    throw new InvalidInputError(
      `The image is ${width}x${height} pixels, over the limit of ${limits.maxInputPixels} pixels.`,
    );
  }

  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: limits.maxInputPixels, failOn: 'error' })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data, width: info.width, height: info.height };
  } catch (error) {
    throw new InvalidInputError(`The image is corrupt or truncated: ${firstLine(error)}.`);
  }
}

/** A decoded frame as an RgbImage, without copying; its size is checked as a decoded image's is. */
export function frameToImage(frame: RgbFrame, limits: InputLimits): RgbImage {
  const { width, height, data } = frame;
  if (width * height > limits.maxInputPixels) {
    throw new InvalidInputError(
      `The frame is ${width}x${height} pixels, over the limit of ${limits.maxInputPixels} pixels.`,
    );
  }
  if (data.byteLength !== width * height * 3) {
    throw new InvalidInputError(`The frame holds ${data.byteLength} bytes, not ${width}x${height} RGB.`);
  }
  return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), width, height };
}

/** libvips errors span several lines and end in a newline; the first line says what went wrong. */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n').find((line) => line.trim() !== '') ?? 'unknown error')
    .trim()
    .replace(/\.$/, '');
}
