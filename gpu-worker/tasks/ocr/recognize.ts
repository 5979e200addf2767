/**
 * @module gpu-worker/tasks/ocr/recognize
 * Text recognition: runs crops through the CTC recogniser in width-sorted, padded batches; returns per-frame class probabilities.
 */
import { type InferenceSession, Tensor } from 'onnxruntime-node';
import { REC_HEIGHT, type RecCrop } from './crop.ts';

/** Per-frame softmax output for one crop: `frames` rows of `classes` probabilities. */
export interface FrameProbabilities {
  data: Float32Array;
  frames: number;
  classes: number;
}

/**
 * Recognises `crops` in chunks of `batchSize`. Crops are sorted by width first, so each chunk is
 * padded (with 0, mid-grey after normalisation, as in PaddleOCR) only up to its own widest crop.
 * Results come back in the order of `crops`.
 */
export async function recognize(
  session: InferenceSession,
  crops: readonly RecCrop[],
  batchSize: number,
): Promise<FrameProbabilities[]> {
  const order = crops
    .map((_, i) => i)
    .sort((a, b) => (crops[a] as RecCrop).width - (crops[b] as RecCrop).width);
  const results: FrameProbabilities[] = new Array(crops.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const chunk = order.slice(start, start + batchSize);
    const outputs = await runChunk(
      session,
      chunk.map((i) => crops[i] as RecCrop),
    );
    chunk.forEach((cropIndex, n) => {
      results[cropIndex] = outputs[n] as FrameProbabilities;
    });
  }
  return results;
}

async function runChunk(session: InferenceSession, crops: readonly RecCrop[]): Promise<FrameProbabilities[]> {
  const width = Math.max(...crops.map((crop) => crop.width));
  let data: Float32Array;
  if (crops.length === 1) {
    data = (crops[0] as RecCrop).data;
  } else {
    const plane = REC_HEIGHT * width;
    data = new Float32Array(crops.length * 3 * plane);
    crops.forEach((crop, n) => {
      for (let row = 0; row < 3 * REC_HEIGHT; row++) {
        data.set(crop.data.subarray(row * crop.width, (row + 1) * crop.width), n * 3 * plane + row * width);
      }
    });
  }
  const feeds = {
    [session.inputNames[0] as string]: new Tensor('float32', data, [crops.length, 3, REC_HEIGHT, width]),
  };
  const output = (await session.run(feeds))[session.outputNames[0] as string];
  if (output?.dims.length !== 3) throw new Error('Recognition model returned no [N, T, C] output.');
  const [, frames, classes] = output.dims as [number, number, number];
  const all = output.data as Float32Array;
  // All frames, padding included, as PaddleOCR decodes them: the model sees the whole padded row,
  // and a line's last character can land in a frame past the crop's own width.
  return crops.map((_, n) => ({
    data: all.subarray(n * frames * classes, (n + 1) * frames * classes),
    frames,
    classes,
  }));
}
