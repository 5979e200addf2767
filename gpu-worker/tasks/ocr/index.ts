/**
 * @module gpu-worker/tasks/ocr
 * The "ocr" task: PaddleOCR PP-OCRv4 text detection and recognition, returning text lines with boxes.
 * Exports its implementation (default) and its description (core/tasks.ts OCR_TASK).
 */
import { readFile } from 'node:fs/promises';
import type { OcrLine, OcrResult } from '../../../core/api/results.ts';
import { OCR_TASK } from '../../../core/tasks.ts';
import { decodeImage, frameToImage, type RgbImage } from '../image.ts';
import {
  type InputLimits,
  isRgbFrame,
  type LoadedTask,
  type ModelInput,
  type TaskDefinition,
} from '../task.ts';
import { cropBox, type RecCrop } from './crop.ts';
import { classLabels, ctcGreedyDecode, decodedText } from './ctc.ts';
import { boxesFromMap } from './db-postprocess.ts';
import { type DetInput, detect, prepareDetInput } from './detect.ts';
import type { Quad } from './geometry.ts';
import { ocrModelFiles } from './models.ts';
import {
  DET_MIN_AUTO_SIDE,
  type OcrOptions,
  type OcrSettings,
  readOcrSettings,
  resolveOcrOptions,
} from './options.ts';
import { groupIntoLines } from './reading-order.ts';
import { recognize } from './recognize.ts';
import { detLimitForImage } from './text-height.ts';

/** One image decoded and resized for detection. */
export interface OcrPrepared {
  image: RgbImage;
  det: DetInput;
}

/** One recognised box, in original-image pixels. */
export interface RecognisedBox {
  box: Quad;
  text: string;
  /** Mean probability of the box's characters, 0..1. */
  confidence: number;
}

export type { OcrLine, OcrResult };

/**
 * The OCR task with `overrides` on top of its FERRY_OCR_* settings: those the worker read at start
 * (runtime.taskOptions.ocr), or the environment's when loaded outside a worker.
 */
export function createOcrTask(
  overrides: Partial<OcrOptions> = {},
): TaskDefinition<OcrPrepared, RecognisedBox[], OcrResult> {
  return {
    name: OCR_TASK.name,
    async load(runtime): Promise<LoadedTask<OcrPrepared, RecognisedBox[], OcrResult>> {
      const settings = {
        ...((runtime.taskOptions?.ocr as OcrSettings | undefined) ?? readOcrSettings(process.env)),
        ...overrides,
      };
      const files = ocrModelFiles(settings.precision);
      const tuning = { cpuArena: settings.cpuArena, memPattern: settings.memPattern };
      const [detSession, recSession, keys] = await Promise.all([
        runtime.createSession(files.detectionPath, tuning),
        runtime.createSession(files.recognitionPath, tuning),
        readFile(files.dictionaryPath, 'utf8'),
      ]);
      // Resolved after the sessions exist: only then is the provider known (after any fallback).
      const options: OcrOptions = { ...resolveOcrOptions(settings, runtime.executionProvider), ...overrides };
      const labels = classLabels(keys);
      const cropOptions = { widthScale: options.recWidthScale, maxWidth: options.recMaxWidth };
      const spaceThreshold = options.recoverSpaces ? options.spaceThreshold : undefined;
      const boxOptions = {
        threshold: options.detThreshold,
        boxThreshold: options.detBoxThreshold,
        unclipRatio: options.detUnclipRatio,
        minSide: options.detMinBoxSide,
        maxBoxes: options.detMaxBoxes,
      };

      return {
        async preprocess(input: ModelInput, limits: InputLimits): Promise<OcrPrepared> {
          const image = isRgbFrame(input) ? frameToImage(input, limits) : await decodeImage(input, limits);
          const limit =
            options.detTextHeight > 0
              ? detLimitForImage(image, options.detTextHeight, DET_MIN_AUTO_SIDE, options.detLimitSide)
              : options.detLimitSide;
          return { image, det: await prepareDetInput(image, limit) };
        },

        async infer(batch: OcrPrepared[]): Promise<RecognisedBox[][]> {
          const maps = await detect(
            detSession,
            batch.map((prepared) => prepared.det),
          );
          const boxes = batch.map((prepared, n) =>
            boxesFromMap(
              maps[n] as (typeof maps)[number],
              prepared.image.width,
              prepared.image.height,
              boxOptions,
            ),
          );
          // Every crop of every image goes into one width-sorted recognition queue.
          const crops: RecCrop[] = batch.flatMap((prepared, n) =>
            (boxes[n] as Quad[]).map((box) => cropBox(prepared.image, box, cropOptions)),
          );
          const outputs = await recognize(recSession, crops, options.recBatchSize);
          let next = 0;
          return boxes.map((imageBoxes) =>
            imageBoxes.map((box) => {
              const chars = ctcGreedyDecode(
                outputs[next++] as (typeof outputs)[number],
                labels,
                spaceThreshold,
              );
              return { box, ...decodedText(chars) };
            }),
          );
        },

        postprocess(output: RecognisedBox[], prepared: OcrPrepared): OcrResult {
          const kept = output.filter(
            (item) => item.text.trim() !== '' && item.confidence >= options.minConfidence,
          );
          const lines = groupIntoLines(kept).map(toLine);
          return {
            text: lines.map((line) => line.text).join('\n'),
            lines,
            width: prepared.image.width,
            height: prepared.image.height,
          };
        },
      };
    },
  };
}

/** One visual line from its boxes, left to right: texts joined with a space, the box spanning them all. */
function toLine(items: RecognisedBox[]): OcrLine {
  const text = items.map((item) => item.text.trim()).join(' ');
  const weights = items.map((item) => item.text.length);
  const total = weights.reduce((a, b) => a + b, 0);
  const confidence =
    items.reduce((sum, item, i) => sum + item.confidence * (weights[i] as number), 0) / total;
  const first = (items[0] as RecognisedBox).box;
  const last = (items.at(-1) as RecognisedBox).box;
  const box = items.length === 1 ? first : ([first[0], last[1], last[2], first[3]] as const);
  return {
    text,
    confidence: Math.round(confidence * 1e4) / 1e4,
    box: box.map(([x, y]) => [Math.round(x), Math.round(y)]) as OcrLine['box'],
  };
}

export default createOcrTask();
/** Its FERRY_OCR_* settings, read by the worker at start and handed to every thread (runtime.taskOptions.ocr). */
export { readOcrSettings as readOptions } from './options.ts';
export { OCR_TASK as description };
