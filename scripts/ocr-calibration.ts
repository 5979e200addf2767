/**
 * @module scripts/ocr-calibration
 * Calibration inputs for static int8 quantization of the OCR recogniser: the recogniser's real
 * input tensors (line crops, normalised, 48 px high, each its own width) recorded while the OCR
 * task reads rendered pages, a third of them tilted, blurred and noised. The pages are seeded and
 * apart from the bench's and the accuracy guard's (corpus items 30-59, seeds 500+), so the
 * quantized model is never calibrated on the images it is judged on.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { createSessionRuntime } from '../gpu-worker/inference/session.ts';
import { createOcrTask } from '../gpu-worker/tasks/ocr/index.ts';
import { ocrModelFiles } from '../gpu-worker/tasks/ocr/models.ts';
import { readOcrSettings } from '../gpu-worker/tasks/ocr/options.ts';
import type { TaskRuntime } from '../gpu-worker/tasks/task.ts';
import { degradeTextImage } from '../test/support/degrade.ts';
import { renderTextImage, standardCorpus } from '../test/support/text-images.ts';

const PAGES = { first: 30, count: 30, seed: 500 } as const;

/** Writes `<dir>/rec-NNNN.bin` (float32) and `.json` ({ name, dims }) per recogniser run; returns the count. */
export async function recordRecognitionInputs(dir: string): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const base = createSessionRuntime(['cpu'], 1, { ocr: readOcrSettings({}) });
  let recorded = 0;
  const record = (session: InferenceSession): InferenceSession =>
    new Proxy(session, {
      get(target, property) {
        if (property !== 'run') return Reflect.get(target, property, target);
        return (feeds: InferenceSession.FeedsType) => {
          const [name, tensor] = Object.entries(feeds)[0] ?? [];
          if (name && tensor) {
            const file = path.join(dir, `rec-${String(recorded++).padStart(4, '0')}`);
            writeFileSync(`${file}.bin`, tensor.data as Float32Array);
            writeFileSync(`${file}.json`, JSON.stringify({ name, dims: tensor.dims }));
          }
          return target.run(feeds);
        };
      },
    });
  const runtime: TaskRuntime = {
    get executionProvider() {
      return base.executionProvider;
    },
    taskOptions: base.taskOptions,
    // Only the recogniser is recorded: the detector stays in float (see quantize_models.py).
    createSession: async (modelPath, tuning) => {
      const session = await base.createSession(modelPath, tuning);
      return modelPath === ocrModelFiles('fp32').recognitionPath ? record(session) : session;
    },
  };
  const task = await createOcrTask().load(runtime);
  const limits = { maxInputBytes: 64 * 1024 * 1024, maxInputPixels: 40_000_000 };
  const pages = standardCorpus(PAGES.first + PAGES.count).slice(PAGES.first);
  for (const [i, page] of pages.entries()) {
    const seed = PAGES.seed + i;
    const clean = await renderTextImage({ lines: page.lines, seed });
    const png = i % 3 === 0 ? await degradeTextImage(clean, { seed }) : clean;
    await task.infer([await task.preprocess(png, limits)]);
  }
  return recorded;
}
