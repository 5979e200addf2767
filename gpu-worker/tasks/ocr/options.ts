/**
 * @module gpu-worker/tasks/ocr/options
 * Every tunable of the OCR task, with units and defaults, read from FERRY_OCR_* environment
 * variables once on the worker's main thread and handed to the inference threads.
 */
import { z } from 'zod';
import { envBool, envInt, envNumber, readEnv } from '../../../core/env.ts';

export interface OcrOptions {
  /**
   * Longest side of the detection input, in pixels (rounded to a multiple of 32). Larger images are
   * scaled down to it, smaller ones are not scaled up. Env FERRY_OCR_DET_LIMIT_SIDE. Default 960.
   */
  detLimitSide: number;
  /**
   * Text height, in detection-input pixels, to scale each image for: the text height is estimated
   * from the image (text-height.ts) and the side limit lowered so the text comes out this high,
   * never above detLimitSide nor below DET_MIN_AUTO_SIDE. 0 turns it off (always detLimitSide).
   * Env FERRY_OCR_DET_TEXT_HEIGHT. Default 0 (see bench/README.md).
   */
  detTextHeight: number;
  /** Probability (0..1) above which a detection-map pixel counts as text. Env FERRY_OCR_DET_THRESHOLD. Default 0.3. */
  detThreshold: number;
  /** Mean probability (0..1) a detected box needs to be kept. Env FERRY_OCR_DET_BOX_THRESHOLD. Default 0.6. */
  detBoxThreshold: number;
  /**
   * How much a detected box grows before cropping: each side moves out by area * ratio / perimeter
   * (DB shrinks text regions in training, this undoes it). Env FERRY_OCR_DET_UNCLIP_RATIO. Default 1.5.
   */
  detUnclipRatio: number;
  /** Boxes whose shorter side is below this many detection-map pixels are dropped. Env FERRY_OCR_DET_MIN_BOX_SIDE. Default 3. */
  detMinBoxSide: number;
  /** At most this many boxes per image are read. Env FERRY_OCR_DET_MAX_BOXES. Default 1000. */
  detMaxBoxes: number;
  /**
   * Crops per recognition run (crops of all images in a batch, sorted by width, in chunks of this).
   * Env FERRY_OCR_REC_BATCH. Default 1 on CPU, where padding crops to a common width measured both
   * slower and less accurate (CER 0.08% vs 0.14% at 8); ACCELERATOR_REC_BATCH on a GPU, where one
   * launch per chunk instead of per line is what pays.
   */
  recBatchSize: number;
  /**
   * Horizontal scale of each crop after its height is fitted to 48 px, so 0.8 makes text 20% narrower.
   * PP-OCRv4's recogniser was trained on fixed 48x320 inputs, where long lines arrive squeezed. On
   * 20 rendered pages in each of six font settings, 0.8 gave a mean CER of 0.20% against 0.32% at 1
   * (monospace 0.94% -> 0.30%, the others within 0.1%), and recognition runs on 20% fewer pixels.
   * Env FERRY_OCR_REC_WIDTH_SCALE. Default 0.8.
   */
  recWidthScale: number;
  /**
   * Widest recognition input, in pixels at height 48. Longer crops are squeezed to it, which bounds
   * the memory one pathological box can take. Env FERRY_OCR_REC_MAX_WIDTH. Default 3200.
   */
  recMaxWidth: number;
  /** Lines whose mean character confidence (0..1) is below this are dropped. Env FERRY_OCR_MIN_CONFIDENCE. Default 0.5. */
  minConfidence: number;
  /**
   * Re-insert spaces the recogniser dropped between words (see ctc.ts). Env FERRY_OCR_RECOVER_SPACES
   * (true/false). Default true: on 20 rendered 1280x720 pages, CER counting spaces fell from 1.17%
   * to 0.00% with 18 px text and from 0.78% to 0.02% with 24 px text; at 28-40 px it was unchanged.
   */
  recoverSpaces: boolean;
  /**
   * Space probability (0..1) in the blank frames between two characters from which a space is
   * recovered. Measured on rendered English: dropped spaces 0.03-0.48, inside words at most 0.002.
   * Env FERRY_OCR_SPACE_THRESHOLD. Default 0.01.
   */
  spaceThreshold: number;
  /**
   * Which model files run: "fp32", the bundled PP-OCRv4 models, or "int8", the same models
   * quantized by `npm run models:quantize` into .ferry/models (see bench/README.md for what it
   * measured). Env FERRY_OCR_PRECISION. Default fp32.
   */
  precision: OcrPrecision;
  /**
   * onnxruntime's CPU memory arena for the OCR sessions (enableCpuMemArena). The arena keeps each
   * session's largest allocation for the thread's life; without it memory goes back to the allocator
   * after every run. Env FERRY_OCR_CPU_ARENA (true/false). Default false (see bench/README.md).
   */
  cpuArena: boolean;
  /**
   * onnxruntime's memory pattern for the OCR sessions (enableMemPattern). The detection input's
   * shape follows each image's text height and the recogniser's each line's width, so a planned
   * pattern is rarely reused, while its buffers stay allocated. Env FERRY_OCR_MEM_PATTERN
   * (true/false). Default false: off measured 0.99x the speed and 135 MiB less peak memory
   * (bench/README.md, levers).
   */
  memPattern: boolean;
}

export type OcrPrecision = 'fp32' | 'int8';

export const DEFAULT_OCR_OPTIONS: Readonly<OcrOptions> = Object.freeze({
  detLimitSide: 960,
  detTextHeight: 12,
  detThreshold: 0.3,
  detBoxThreshold: 0.6,
  detUnclipRatio: 1.5,
  detMinBoxSide: 3,
  detMaxBoxes: 1000,
  recBatchSize: 1,
  recWidthScale: 0.8,
  recMaxWidth: 3200,
  minConfidence: 0.5,
  recoverSpaces: true,
  spaceThreshold: 0.01,
  precision: 'fp32',
  cpuArena: false,
  memPattern: false,
});

/** The smallest side limit the text-height scaling chooses: below it the detector loses thin strokes. */
export const DET_MIN_AUTO_SIDE = 320;

/** Default recognition batch on an accelerator (any execution provider but "cpu"). */
export const ACCELERATOR_REC_BATCH = 8;

/**
 * The OCR options as the environment sets them, before the recognition batch is settled by the
 * execution provider (known only inside the inference thread, after any fallback).
 */
export type OcrSettings = Omit<OcrOptions, 'recBatchSize'> & { recBatchSize?: number };

const OcrEnvSchema = z.object({
  FERRY_OCR_DET_LIMIT_SIDE: envInt(32, 8192, 'pixels').default(DEFAULT_OCR_OPTIONS.detLimitSide),
  FERRY_OCR_DET_TEXT_HEIGHT: envInt(0, 1000, 'pixels').default(DEFAULT_OCR_OPTIONS.detTextHeight),
  FERRY_OCR_DET_THRESHOLD: envNumber(0, 1).default(DEFAULT_OCR_OPTIONS.detThreshold),
  FERRY_OCR_DET_BOX_THRESHOLD: envNumber(0, 1).default(DEFAULT_OCR_OPTIONS.detBoxThreshold),
  FERRY_OCR_DET_UNCLIP_RATIO: envNumber(0, 10).default(DEFAULT_OCR_OPTIONS.detUnclipRatio),
  FERRY_OCR_DET_MIN_BOX_SIDE: envNumber(0, 1000, 'pixels').default(DEFAULT_OCR_OPTIONS.detMinBoxSide),
  FERRY_OCR_DET_MAX_BOXES: envInt(1, 100_000, 'boxes').default(DEFAULT_OCR_OPTIONS.detMaxBoxes),
  FERRY_OCR_REC_BATCH: envInt(1, 1024, 'crops').optional(),
  FERRY_OCR_REC_WIDTH_SCALE: envNumber(0.25, 2).default(DEFAULT_OCR_OPTIONS.recWidthScale),
  FERRY_OCR_REC_MAX_WIDTH: envInt(48, 100_000, 'pixels').default(DEFAULT_OCR_OPTIONS.recMaxWidth),
  FERRY_OCR_MIN_CONFIDENCE: envNumber(0, 1).default(DEFAULT_OCR_OPTIONS.minConfidence),
  FERRY_OCR_RECOVER_SPACES: envBool().default(DEFAULT_OCR_OPTIONS.recoverSpaces),
  FERRY_OCR_SPACE_THRESHOLD: envNumber(0, 1).default(DEFAULT_OCR_OPTIONS.spaceThreshold),
  FERRY_OCR_PRECISION: z.enum(['fp32', 'int8']).default(DEFAULT_OCR_OPTIONS.precision),
  FERRY_OCR_CPU_ARENA: envBool().default(DEFAULT_OCR_OPTIONS.cpuArena),
  FERRY_OCR_MEM_PATTERN: envBool().default(DEFAULT_OCR_OPTIONS.memPattern),
});

/**
 * Reads FERRY_OCR_* once, at the worker's start on its main thread (core/env.ts); the inference
 * threads get the result, not the environment.
 * @throws ConfigError naming the variable, its value and its range.
 */
export function readOcrSettings(env: Record<string, string | undefined> = process.env): OcrSettings {
  const e = readEnv(OcrEnvSchema, env);
  return {
    detLimitSide: e.FERRY_OCR_DET_LIMIT_SIDE,
    detTextHeight: e.FERRY_OCR_DET_TEXT_HEIGHT,
    detThreshold: e.FERRY_OCR_DET_THRESHOLD,
    detBoxThreshold: e.FERRY_OCR_DET_BOX_THRESHOLD,
    detUnclipRatio: e.FERRY_OCR_DET_UNCLIP_RATIO,
    detMinBoxSide: e.FERRY_OCR_DET_MIN_BOX_SIDE,
    detMaxBoxes: e.FERRY_OCR_DET_MAX_BOXES,
    ...(e.FERRY_OCR_REC_BATCH !== undefined ? { recBatchSize: e.FERRY_OCR_REC_BATCH } : {}),
    recWidthScale: e.FERRY_OCR_REC_WIDTH_SCALE,
    recMaxWidth: e.FERRY_OCR_REC_MAX_WIDTH,
    minConfidence: e.FERRY_OCR_MIN_CONFIDENCE,
    recoverSpaces: e.FERRY_OCR_RECOVER_SPACES,
    spaceThreshold: e.FERRY_OCR_SPACE_THRESHOLD,
    precision: e.FERRY_OCR_PRECISION,
    cpuArena: e.FERRY_OCR_CPU_ARENA,
    memPattern: e.FERRY_OCR_MEM_PATTERN,
  };
}

/** The options for a thread whose sessions run on `executionProvider` (see recBatchSize). */
export function resolveOcrOptions(settings: OcrSettings, executionProvider: string): OcrOptions {
  const recBatchSize =
    settings.recBatchSize ??
    (executionProvider === 'cpu' ? DEFAULT_OCR_OPTIONS.recBatchSize : ACCELERATOR_REC_BATCH);
  return { ...settings, recBatchSize };
}

/** readOcrSettings then resolveOcrOptions, for callers outside the worker (tests, the bench). */
export function readOcrOptions(
  env: Record<string, string | undefined> = process.env,
  executionProvider = 'cpu',
): OcrOptions {
  return resolveOcrOptions(readOcrSettings(env), executionProvider);
}
