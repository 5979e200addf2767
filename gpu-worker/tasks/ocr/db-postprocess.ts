/**
 * @module gpu-worker/tasks/ocr/db-postprocess
 * Turns a DB probability map into text boxes in original-image pixels (PaddleOCR's DBPostProcess).
 */
import type { ProbabilityMap } from './detect.ts';
import {
  convexHull,
  insideConvexQuad,
  minAreaRect,
  type Point,
  type Quad,
  rectCorners,
  unclipRect,
} from './geometry.ts';

export interface BoxOptions {
  /** Pixel probability above which a pixel is text. */
  threshold: number;
  /** Mean probability inside a box needed to keep it. */
  boxThreshold: number;
  /** Unclip ratio, see OcrOptions.detUnclipRatio. */
  unclipRatio: number;
  /** Shorter side, in map pixels, below which a box is dropped. */
  minSide: number;
  /** Most boxes returned. */
  maxBoxes: number;
}

/**
 * Boxes found in `map`, scaled to an image of `imageWidth` x `imageHeight`. Coordinates follow
 * OpenCV's contour convention (a pixel's centre is its integer index), as PaddleOCR's do, so the
 * unclip ratio it was tuned with still fits.
 */
export function boxesFromMap(
  map: ProbabilityMap,
  imageWidth: number,
  imageHeight: number,
  options: BoxOptions,
): Quad[] {
  const scaleX = imageWidth / map.width;
  const scaleY = imageHeight / map.height;
  const boxes: Quad[] = [];
  for (const hull of componentHulls(map, options.threshold)) {
    if (boxes.length >= options.maxBoxes) break;
    const rect = minAreaRect(hull);
    if (Math.min(rect.width, rect.height) < options.minSide) continue;
    const box = rectCorners(rect);
    if (meanInside(map, box) < options.boxThreshold) continue;
    const grown = unclipRect(rect, options.unclipRatio);
    if (Math.min(grown.width, grown.height) < options.minSide + 2) continue;
    const scaled = rectCorners(grown).map(
      ([x, y]): Point => [clamp(x * scaleX, 0, imageWidth), clamp(y * scaleY, 0, imageHeight)],
    );
    boxes.push(scaled as unknown as Quad);
  }
  return boxes;
}

/**
 * Convex hulls of the 8-connected regions of pixels above `threshold`, in scan order. Only each
 * row's leftmost and rightmost pixel can be a hull vertex, so only those are kept. (8-connectivity
 * matches the outer contours cv2.findContours would trace.)
 */
export function componentHulls(map: ProbabilityMap, threshold: number): Point[][] {
  const { width, height, data } = map;
  const visited = new Uint8Array(width * height);
  const stack = new Int32Array(width * height);
  // Per-row extremes of the current region; reset over the rows it touched once it is done.
  const rowMin = new Int32Array(height).fill(width);
  const rowMax = new Int32Array(height).fill(-1);
  const hulls: Point[][] = [];
  for (let start = 0; start < data.length; start++) {
    if (visited[start] || (data[start] as number) <= threshold) continue;
    let top = 0;
    let minY = height;
    let maxY = -1;
    stack[top++] = start;
    visited[start] = 1;
    while (top > 0) {
      const index = stack[--top] as number;
      const x = index % width;
      const y = (index - x) / width;
      if (x < (rowMin[y] as number)) rowMin[y] = x;
      if (x > (rowMax[y] as number)) rowMax[y] = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      for (let ny = Math.max(0, y - 1); ny <= Math.min(height - 1, y + 1); ny++) {
        for (let nx = Math.max(0, x - 1); nx <= Math.min(width - 1, x + 1); nx++) {
          const neighbour = ny * width + nx;
          if (visited[neighbour] || (data[neighbour] as number) <= threshold) continue;
          visited[neighbour] = 1;
          stack[top++] = neighbour;
        }
      }
    }
    const points: Point[] = [];
    for (let y = minY; y <= maxY; y++) {
      points.push([rowMin[y] as number, y], [rowMax[y] as number, y]);
      rowMin[y] = width;
      rowMax[y] = -1;
    }
    hulls.push(convexHull(points));
  }
  return hulls;
}

/** Mean map value over the pixels whose centres lie in `box` (PaddleOCR's "fast" box score). */
function meanInside(map: ProbabilityMap, box: Quad): number {
  const xs = box.map((p) => p[0]);
  const ys = box.map((p) => p[1]);
  const x0 = clamp(Math.floor(Math.min(...xs)), 0, map.width - 1);
  const x1 = clamp(Math.ceil(Math.max(...xs)), 0, map.width - 1);
  const y0 = clamp(Math.floor(Math.min(...ys)), 0, map.height - 1);
  const y1 = clamp(Math.ceil(Math.max(...ys)), 0, map.height - 1);
  let sum = 0;
  let count = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (!insideConvexQuad(box, x, y)) continue;
      sum += map.data[y * map.width + x] as number;
      count++;
    }
  }
  return count === 0 ? 0 : sum / count;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
