import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../../../../gpu-worker/tasks/image.ts';
import { cropBox, REC_HEIGHT } from '../../../../../gpu-worker/tasks/ocr/crop.ts';
import type { Quad } from '../../../../../gpu-worker/tasks/ocr/geometry.ts';

/** A white image with the left half of the region x0..x1 (y0..y1) red and the right half blue. */
function image(): RgbImage {
  const width = 200;
  const height = 100;
  const data = Buffer.alloc(width * height * 3, 255);
  for (let y = 20; y < 60; y++) {
    for (let x = 40; x < 160; x++) {
      const i = (y * width + x) * 3;
      data.set(x < 100 ? [255, 0, 0] : [0, 0, 255], i);
    }
  }
  return { data, width, height };
}

const rect = (x0: number, y0: number, x1: number, y1: number): Quad => [
  [x0, y0],
  [x1, y0],
  [x1, y1],
  [x0, y1],
];

/** RGB (0..255) of crop pixel (u, v) from the normalised BGR planes. */
function pixel(crop: { data: Float32Array; width: number }, u: number, v: number): number[] {
  const plane = REC_HEIGHT * crop.width;
  const at = (c: number) => Math.round(((crop.data[c * plane + v * crop.width + u] as number) + 1) * 127.5);
  return [at(2), at(1), at(0)];
}

describe('cropBox', () => {
  it('keeps the aspect ratio at height 48, scaled by widthScale, normalised to -1..1 in BGR order', () => {
    const crop = cropBox(image(), rect(40, 20, 160, 60), { widthScale: 1, maxWidth: 3200 });
    expect(crop.width).toBe(144);
    expect(crop.data).toHaveLength(3 * 48 * 144);
    expect(pixel(crop, 10, 24)).toEqual([255, 0, 0]);
    expect(pixel(crop, 130, 24)).toEqual([0, 0, 255]);
    expect(cropBox(image(), rect(40, 20, 160, 60), { widthScale: 0.8, maxWidth: 3200 }).width).toBe(116);
    expect(cropBox(image(), rect(40, 20, 160, 60), { widthScale: 1, maxWidth: 100 }).width).toBe(100);
  });

  it('reads boxes much taller than wide as text rotated a quarter turn anticlockwise', () => {
    // A 20x80 column: its top half red, bottom half blue (turned through 90 degrees).
    const data = Buffer.alloc(100 * 100 * 3, 255);
    for (let y = 10; y < 90; y++)
      for (let x = 40; x < 60; x++) data.set(y < 50 ? [255, 0, 0] : [0, 0, 255], (y * 100 + x) * 3);
    const crop = cropBox({ data, width: 100, height: 100 }, rect(40, 10, 60, 90), {
      widthScale: 1,
      maxWidth: 3200,
    });
    expect(crop.width).toBe(192);
    // The column's top (red) becomes the crop's left end.
    expect(pixel(crop, 10, 24)).toEqual([255, 0, 0]);
    expect(pixel(crop, 180, 24)).toEqual([0, 0, 255]);
  });

  it('is at least 8 px wide, even for a degenerate box, so the recogniser gives a frame', () => {
    expect(cropBox(image(), rect(40, 20, 40, 20), { widthScale: 1, maxWidth: 3200 }).width).toBe(8);
  });
});
