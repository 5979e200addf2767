import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createOcrTask,
  type OcrPrepared,
  type OcrResult,
  type RecognisedBox,
} from '../../../../../gpu-worker/tasks/ocr/index.ts';
import type { LoadedTask, TaskRuntime } from '../../../../../gpu-worker/tasks/task.ts';
import { characterErrorRate } from '../../../../support/cer.ts';
import { renderTextImage, standardCorpus } from '../../../../support/text-images.ts';

const LIMITS = { maxInputBytes: 20 * 1024 * 1024, maxInputPixels: 40_000_000 };

const cpuRuntime: TaskRuntime = {
  executionProvider: 'cpu',
  createSession: (path) =>
    ort.InferenceSession.create(path, {
      executionProviders: ['cpu'],
      intraOpNumThreads: 2,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    }),
};

let task: LoadedTask<OcrPrepared, RecognisedBox[], OcrResult>;

async function read(png: Uint8Array): Promise<OcrResult> {
  const prepared = await task.preprocess(png, LIMITS);
  const [output] = await task.infer([prepared]);
  return task.postprocess(output as RecognisedBox[], prepared);
}

beforeAll(async () => {
  task = await createOcrTask().load(cpuRuntime);
});

describe('ocr task on the real PP-OCRv4 models (CPU)', () => {
  it('reads rendered English text, spaces included, at under 5% CER', async () => {
    const items = standardCorpus(3);
    let total = 0;
    for (const [i, item] of items.entries()) {
      const result = await read(await renderTextImage({ lines: item.lines, seed: i + 1 }));
      const cer = characterErrorRate(item.lines.join('\n'), result.text);
      total += cer;
      expect(result.lines).toHaveLength(item.lines.length);
      expect(cer, `${item.name}: ${JSON.stringify(result.text)}`).toBeLessThan(0.05);
    }
    console.log(
      `OCR CER counting spaces over ${items.length} rendered images: ${((100 * total) / items.length).toFixed(2)}%`,
    );
  });

  it('returns JSON-ready lines with clockwise boxes in image pixels', async () => {
    const lines = ['Invoice #4821 is due on 12 March 2024.', 'Total amount: $1,294.50'];
    const result = await read(
      await renderTextImage({ lines, width: 900, height: 400, fontSize: 30, seed: 7 }),
    );
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(result).toMatchObject({ width: 900, height: 400 });
    expect(result.text).toBe(result.lines.map((line) => line.text).join('\n'));
    for (const line of result.lines) {
      expect(line.confidence).toBeGreaterThan(0.5);
      expect(line.confidence).toBeLessThanOrEqual(1);
      const [tl, tr, br, bl] = line.box;
      expect(tl[0]).toBeLessThan(tr[0]);
      expect(bl[0]).toBeLessThan(br[0]);
      expect(tl[1]).toBeLessThan(bl[1]);
      expect(tr[1]).toBeLessThan(br[1]);
      for (const [x, y] of line.box) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(900);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(400);
      }
    }
    expect(characterErrorRate(lines.join('\n'), result.text)).toBeLessThan(0.05);
  });

  it('gives the same result for images of different sizes batched together as one by one', async () => {
    const pngs = await Promise.all([
      renderTextImage({ lines: ['Flight BA 117 departs at 08:45.'], width: 640, height: 200, seed: 3 }),
      renderTextImage({
        lines: ['Route 66 crosses eight states.', 'Bus 42 leaves every 15 minutes.'],
        width: 800,
        height: 320,
        seed: 4,
      }),
    ]);
    const prepared = await Promise.all(pngs.map((png) => task.preprocess(png, LIMITS)));
    const batched = await task.infer(prepared);
    const single = [];
    for (const p of prepared) single.push(...(await task.infer([p])));
    const texts = (outputs: RecognisedBox[][]) =>
      outputs.map((output, i) => task.postprocess(output, prepared[i] as OcrPrepared).text);
    expect(texts(batched)).toEqual(texts(single));
    expect(texts(batched)[1]).toContain('\n');
  });

  it('finds nothing on a blank page', async () => {
    const blank = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#ffffff' } })
      .png()
      .toBuffer();
    expect(await read(blank)).toEqual({ text: '', lines: [], width: 400, height: 300 });
  });
});
