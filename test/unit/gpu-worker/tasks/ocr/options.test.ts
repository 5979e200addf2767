import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../../core/errors.ts';
import {
  ACCELERATOR_REC_BATCH,
  DEFAULT_OCR_OPTIONS,
  readOcrOptions,
  readOcrSettings,
  resolveOcrOptions,
} from '../../../../../gpu-worker/tasks/ocr/options.ts';
import { readTaskOptions } from '../../../../../gpu-worker/tasks/registry.ts';

describe('readOcrOptions', () => {
  it('gives the defaults when nothing is set', () => {
    expect(readOcrOptions({})).toEqual(DEFAULT_OCR_OPTIONS);
  });

  it('batches recognition on accelerators only, unless told otherwise', () => {
    expect(readOcrOptions({}, 'cuda').recBatchSize).toBe(ACCELERATOR_REC_BATCH);
    expect(readOcrOptions({ FERRY_OCR_REC_BATCH: '4' }, 'cuda').recBatchSize).toBe(4);
    expect(readOcrOptions({}, 'cpu').recBatchSize).toBe(1);
  });

  it('reads FERRY_OCR_* variables', () => {
    const options = readOcrOptions({
      FERRY_OCR_DET_LIMIT_SIDE: '1280',
      FERRY_OCR_REC_BATCH: '16',
      FERRY_OCR_SPACE_THRESHOLD: '0.05',
      FERRY_OCR_RECOVER_SPACES: 'false',
    });
    expect(options).toMatchObject({
      detLimitSide: 1280,
      recBatchSize: 16,
      spaceThreshold: 0.05,
      recoverSpaces: false,
    });
  });

  it.each([
    ['FERRY_OCR_DET_LIMIT_SIDE', 'big'],
    ['FERRY_OCR_DET_LIMIT_SIDE', '960.5'],
    ['FERRY_OCR_REC_BATCH', '0'],
    ['FERRY_OCR_DET_THRESHOLD', '1.5'],
    ['FERRY_OCR_RECOVER_SPACES', 'yes please'],
  ])('rejects %s=%s, naming the variable', (name, value) => {
    expect(() => readOcrOptions({ [name]: value })).toThrow(ConfigError);
    expect(() => readOcrOptions({ [name]: value })).toThrow(name);
  });

  it('says the value and the range', () => {
    expect(() => readOcrOptions({ FERRY_OCR_REC_BATCH: '0' })).toThrow(
      'FERRY_OCR_REC_BATCH="0": must be an integer from 1 to 1024 crops',
    );
  });
});

describe('OCR settings are read once on the main thread and resolved in each inference thread', () => {
  it('leave the recognition batch open until the thread knows its provider', () => {
    const settings = readOcrSettings({ FERRY_OCR_DET_LIMIT_SIDE: '736' });
    expect(settings.recBatchSize).toBeUndefined();
    expect(resolveOcrOptions(settings, 'cuda')).toMatchObject({
      detLimitSide: 736,
      recBatchSize: ACCELERATOR_REC_BATCH,
    });
    expect(resolveOcrOptions(settings, 'cpu').recBatchSize).toBe(1);
  });

  it('travel to the threads as plain data (structured-clone safe), keyed by task name', () => {
    const options = readTaskOptions({ FERRY_OCR_RECOVER_SPACES: '0' });
    expect(structuredClone(options)).toEqual(options);
    expect(options.ocr).toMatchObject({ recoverSpaces: false });
  });
});
