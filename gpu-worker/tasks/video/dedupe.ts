/**
 * @module gpu-worker/tasks/video/dedupe
 * Near-duplicate frames: a 64x36 grey thumbnail of each frame, compared with the last kept one by
 * mean absolute difference. Slides and screen recordings hold still for seconds; reading each
 * held frame again would spend the GPU on text already read. Hand-written: box averaging on a
 * raw buffer is a few lines, and sharp would copy the frame into libvips and back for the same.
 */

export const THUMB_WIDTH = 64;
export const THUMB_HEIGHT = 36;

/** Grey thumbnail (THUMB_WIDTH x THUMB_HEIGHT, 0..255) of an RGB frame, by averaging boxes of pixels. */
export function thumbnail(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(THUMB_WIDTH * THUMB_HEIGHT);
  for (let ty = 0; ty < THUMB_HEIGHT; ty++) {
    const y0 = Math.floor((ty * height) / THUMB_HEIGHT);
    const y1 = Math.max(y0 + 1, Math.floor(((ty + 1) * height) / THUMB_HEIGHT));
    for (let tx = 0; tx < THUMB_WIDTH; tx++) {
      const x0 = Math.floor((tx * width) / THUMB_WIDTH);
      const x1 = Math.max(x0 + 1, Math.floor(((tx + 1) * width) / THUMB_WIDTH));
      let sum = 0;
      // Every second pixel each way: a quarter of the work, the same mean within a grey level.
      for (let y = y0; y < y1; y += 2) {
        let i = (y * width + x0) * 3;
        for (let x = x0; x < x1; x += 2, i += 6) {
          sum += (rgb[i] as number) * 77 + (rgb[i + 1] as number) * 150 + (rgb[i + 2] as number) * 29;
        }
      }
      const count = Math.ceil((y1 - y0) / 2) * Math.ceil((x1 - x0) / 2);
      out[ty * THUMB_WIDTH + tx] = Math.round(sum / count / 256);
    }
  }
  return out;
}

/** Mean absolute difference of two thumbnails, 0..255. */
export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}
