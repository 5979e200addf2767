/**
 * @module gpu-worker/tasks/ocr/options
 * Every tunable of the OCR task, with units and defaults, read from FERRY_OCR_* environment variables.
 */
import { ConfigError } from '../../../core/errors.ts';

export interface OcrOptions {
  /**
   * Longest side of the detection input, in pixels (rounded to a multiple of 32). Larger images are
   * scaled down to it, smaller ones are not scaled up. Env FERRY_OCR_DET_LIMIT_SIDE. Default 960.
   */
  detLimitSide: number;
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
}

export const DEFAULT_OCR_OPTIONS: Readonly<OcrOptions> = Object.freeze({
  detLimitSide: 960,
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
});

/** Default recognition batch on an accelerator (any execution provider but "cpu"). */
export const ACCELERATOR_REC_BATCH = 8;

type NumberKey = { [K in keyof OcrOptions]: OcrOptions[K] extends number ? K : never }[keyof OcrOptions];

const NUMBER_VARS: ReadonlyArray<[NumberKey, string, { min: number; max: number; integer: boolean }]> = [
  ['detLimitSide', 'FERRY_OCR_DET_LIMIT_SIDE', { min: 32, max: 8192, integer: true }],
  ['detThreshold', 'FERRY_OCR_DET_THRESHOLD', { min: 0, max: 1, integer: false }],
  ['detBoxThreshold', 'FERRY_OCR_DET_BOX_THRESHOLD', { min: 0, max: 1, integer: false }],
  ['detUnclipRatio', 'FERRY_OCR_DET_UNCLIP_RATIO', { min: 0, max: 10, integer: false }],
  ['detMinBoxSide', 'FERRY_OCR_DET_MIN_BOX_SIDE', { min: 0, max: 1000, integer: false }],
  ['detMaxBoxes', 'FERRY_OCR_DET_MAX_BOXES', { min: 1, max: 100000, integer: true }],
  ['recBatchSize', 'FERRY_OCR_REC_BATCH', { min: 1, max: 1024, integer: true }],
  ['recWidthScale', 'FERRY_OCR_REC_WIDTH_SCALE', { min: 0.25, max: 2, integer: false }],
  ['recMaxWidth', 'FERRY_OCR_REC_MAX_WIDTH', { min: 48, max: 100000, integer: true }],
  ['minConfidence', 'FERRY_OCR_MIN_CONFIDENCE', { min: 0, max: 1, integer: false }],
  ['spaceThreshold', 'FERRY_OCR_SPACE_THRESHOLD', { min: 0, max: 1, integer: false }],
];

/**
 * Options from `env`, falling back to DEFAULT_OCR_OPTIONS for unset variables, with the recognition
 * batch defaulting by `executionProvider` (see recBatchSize).
 * @throws ConfigError naming the variable when a value is malformed or out of range.
 */
export function readOcrOptions(env: NodeJS.ProcessEnv = process.env, executionProvider = 'cpu'): OcrOptions {
  const options: OcrOptions = { ...DEFAULT_OCR_OPTIONS };
  if (executionProvider !== 'cpu') options.recBatchSize = ACCELERATOR_REC_BATCH;
  for (const [key, name, range] of NUMBER_VARS) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    const value = Number(raw);
    if (
      !Number.isFinite(value) ||
      value < range.min ||
      value > range.max ||
      (range.integer && !Number.isInteger(value))
    ) {
      throw new ConfigError(
        `${name}=${raw} is invalid: expected ${range.integer ? 'an integer' : 'a number'} from ${range.min} to ${range.max}.`,
      );
    }
    options[key] = value;
  }
  const spaces = env.FERRY_OCR_RECOVER_SPACES?.trim().toLowerCase();
  if (spaces) {
    if (!['true', 'false', '1', '0'].includes(spaces)) {
      throw new ConfigError(`FERRY_OCR_RECOVER_SPACES=${spaces} is invalid: expected true or false.`);
    }
    options.recoverSpaces = spaces === 'true' || spaces === '1';
  }
  return options;
}
