import { describe, expect, it } from 'vitest';
import { boxesFromMap, componentHulls } from '../../../../../gpu-worker/tasks/ocr/db-postprocess.ts';
import { detInputSize, type ProbabilityMap } from '../../../../../gpu-worker/tasks/ocr/detect.ts';
import {
  convexHull,
  minAreaRect,
  orderQuad,
  type Point,
  type Quad,
  rectCorners,
  unclipRect,
} from '../../../../../gpu-worker/tasks/ocr/geometry.ts';

const BOX_OPTIONS = { threshold: 0.3, boxThreshold: 0.6, unclipRatio: 1.5, minSide: 3, maxBoxes: 1000 };

/** A map of `width` x `height` with `value` wherever `inside(x, y)` holds. */
function mapWith(
  width: number,
  height: number,
  inside: (x: number, y: number) => boolean,
  value = 0.9,
): ProbabilityMap {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) if (inside(x, y)) data[y * width + x] = value;
  return { data, width, height };
}

function expectQuadClose(actual: Quad, expected: Quad): void {
  const error = Math.max(
    ...actual.flatMap((p, i) => p.map((v, axis) => Math.abs(v - ((expected[i] as Point)[axis] as number)))),
  );
  expect(error).toBeLessThan(1e-6);
}

describe('convexHull and minAreaRect', () => {
  it('finds the hull of a square with interior points', () => {
    const hull = convexHull([
      [0, 0],
      [2, 0],
      [1, 1],
      [2, 2],
      [0, 2],
      [1, 0],
    ]);
    expect(hull).toHaveLength(4);
    expect(hull).toEqual(
      expect.arrayContaining([
        [0, 0],
        [2, 0],
        [2, 2],
        [0, 2],
      ]),
    );
  });

  it('recovers a rotated rectangle exactly', () => {
    const angle = (20 * Math.PI) / 180;
    const rect = { cx: 50, cy: 40, width: 60, height: 10, angle };
    const found = minAreaRect(convexHull([...rectCorners(rect)]));
    expect(found.width * found.height).toBeCloseTo(600, 6);
    expect(Math.max(found.width, found.height)).toBeCloseTo(60, 6);
    expect(found.cx).toBeCloseTo(50, 6);
    expect(found.cy).toBeCloseTo(40, 6);
  });

  it('handles degenerate input', () => {
    expect(minAreaRect([])).toMatchObject({ width: 0, height: 0 });
    expect(minAreaRect([[3, 4]])).toMatchObject({ cx: 3, cy: 4, width: 0, height: 0 });
  });
});

describe('unclipRect', () => {
  it('moves every side out by area * ratio / perimeter', () => {
    const rect = { cx: 0, cy: 0, width: 100, height: 10, angle: 0 };
    const distance = (100 * 10 * 1.5) / 220;
    const grown = unclipRect(rect, 1.5);
    expect(grown.width).toBeCloseTo(100 + 2 * distance, 9);
    expect(grown.height).toBeCloseTo(10 + 2 * distance, 9);
    expect(grown).toMatchObject({ cx: 0, cy: 0, angle: 0 });
  });
});

describe('orderQuad', () => {
  it('orders corners clockwise from top-left whatever the input order', () => {
    const quad: Quad = [
      [10, 10],
      [90, 12],
      [89, 30],
      [9, 28],
    ];
    expect(orderQuad([quad[2], quad[0], quad[3], quad[1]])).toEqual(quad);
  });
});

describe('boxesFromMap', () => {
  it('returns an axis-aligned text region grown by the unclip distance, in image pixels', () => {
    // Region x 20..79, y 10..19 in a 128x64 map; the image is twice the map's size.
    const map = mapWith(128, 64, (x, y) => x >= 20 && x < 80 && y >= 10 && y < 20);
    const boxes = boxesFromMap(map, 256, 128, BOX_OPTIONS);
    expect(boxes).toHaveLength(1);
    // Pixel centres: the region spans 59 x 9; unclip distance 59 * 9 * 1.5 / 136.
    const d = (59 * 9 * 1.5) / 136;
    expectQuadClose(boxes[0] as Quad, [
      [(20 - d) * 2, (10 - d) * 2],
      [(79 + d) * 2, (10 - d) * 2],
      [(79 + d) * 2, (19 + d) * 2],
      [(20 - d) * 2, (19 + d) * 2],
    ]);
  });

  it('follows a rotated region', () => {
    const angle = (15 * Math.PI) / 180;
    const [c, s] = [Math.cos(angle), Math.sin(angle)];
    const map = mapWith(160, 120, (x, y) => {
      const u = (x - 80) * c + (y - 60) * s;
      const v = -(x - 80) * s + (y - 60) * c;
      return Math.abs(u) <= 50 && Math.abs(v) <= 6;
    });
    const [box] = boxesFromMap(map, 160, 120, BOX_OPTIONS);
    if (!box) throw new Error('no box');
    const [tl, tr] = box;
    expect(Math.atan2(tr[1] - tl[1], tr[0] - tl[0])).toBeCloseTo(angle, 1);
    const centre = box.reduce((sum, p) => [sum[0] + p[0] / 4, sum[1] + p[1] / 4], [0, 0]);
    expect(centre[0]).toBeCloseTo(80, 0);
    expect(centre[1]).toBeCloseTo(60, 0);
  });

  it('drops regions that are too thin or too faint, and separates distinct regions', () => {
    const map = mapWith(
      100,
      100,
      (x, y) => (y >= 10 && y < 20 && x >= 10 && x < 90) || (y >= 60 && y < 70 && x >= 10 && x < 90),
    );
    // A one-pixel line (too thin) and a faint block (below the box threshold, above the pixel threshold).
    for (let x = 10; x < 90; x++) map.data[40 * 100 + x] = 0.9;
    for (let y = 80; y < 95; y++) for (let x = 10; x < 90; x++) map.data[y * 100 + x] = 0.4;
    expect(componentHulls(map, 0.3)).toHaveLength(4);
    const boxes = boxesFromMap(map, 100, 100, BOX_OPTIONS);
    expect(boxes).toHaveLength(2);
    expect(boxes.map((b) => Math.round((b[0][1] + b[3][1]) / 2))).toEqual([15, 65]);
  });

  it('caps the number of boxes', () => {
    const map = mapWith(100, 100, (_, y) => y % 10 < 5);
    expect(boxesFromMap(map, 100, 100, { ...BOX_OPTIONS, maxBoxes: 3 })).toHaveLength(3);
  });
});

describe('detInputSize', () => {
  it('scales the longest side down to the limit and rounds to multiples of 32', () => {
    expect(detInputSize(1280, 720, 960)).toEqual({ width: 960, height: 544 });
    expect(detInputSize(1280, 720, 1280)).toEqual({ width: 1280, height: 736 });
    expect(detInputSize(300, 200, 960)).toEqual({ width: 288, height: 192 });
    expect(detInputSize(5, 3, 960)).toEqual({ width: 32, height: 32 });
  });
});
