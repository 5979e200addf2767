/**
 * @module gpu-worker/tasks/ocr/geometry
 * Plane geometry for text boxes: convex hull, minimum-area rotated rectangle, unclip, corner order.
 *
 * PaddleOCR does these with OpenCV and pyclipper. Hand-written here because the npm options are
 * OpenCV compiled to wasm (~10 MB, slow to load in every inference thread) and nothing lighter
 * covers min-area rectangles; each piece is a few dozen lines of textbook code.
 */

export type Point = readonly [x: number, y: number];
/** Four corners, clockwise in image coordinates (y down), starting top-left. */
export type Quad = readonly [Point, Point, Point, Point];

/** A rectangle of any rotation: `width` runs along `angle` (radians), `height` at right angles to it. */
export interface RotatedRect {
  cx: number;
  cy: number;
  width: number;
  height: number;
  angle: number;
}

/** Convex hull by Andrew's monotone chain; counter-clockwise in y-up terms, no repeated points. */
export function convexHull(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (sorted.length < 3) return sorted;
  const cross = (o: Point, a: Point, b: Point) =>
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const p of sorted) {
    while (lower.length >= 2 && cross(lower.at(-2) as Point, lower.at(-1) as Point, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = sorted.length - 1; i >= 0; i--) {
    const p = sorted[i] as Point;
    while (upper.length >= 2 && cross(upper.at(-2) as Point, upper.at(-1) as Point, p) <= 0) upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/**
 * Smallest-area enclosing rectangle of a convex hull (rotating calipers: one side of the optimum
 * lies on a hull edge, so trying every edge direction is exact).
 */
export function minAreaRect(hull: readonly Point[]): RotatedRect {
  const first = hull[0];
  if (!first) return { cx: 0, cy: 0, width: 0, height: 0, angle: 0 };
  let best: RotatedRect = { cx: first[0], cy: first[1], width: 0, height: 0, angle: 0 };
  let bestArea = Number.POSITIVE_INFINITY;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i] as Point;
    const b = hull[(i + 1) % hull.length] as Point;
    const length = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (length === 0) continue;
    const ux = (b[0] - a[0]) / length;
    const uy = (b[1] - a[1]) / length;
    let minU = Number.POSITIVE_INFINITY;
    let maxU = Number.NEGATIVE_INFINITY;
    let minV = Number.POSITIVE_INFINITY;
    let maxV = Number.NEGATIVE_INFINITY;
    for (const [x, y] of hull) {
      const u = x * ux + y * uy;
      const v = -x * uy + y * ux;
      minU = Math.min(minU, u);
      maxU = Math.max(maxU, u);
      minV = Math.min(minV, v);
      maxV = Math.max(maxV, v);
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea) {
      bestArea = area;
      const cu = (minU + maxU) / 2;
      const cv = (minV + maxV) / 2;
      best = {
        cx: cu * ux - cv * uy,
        cy: cu * uy + cv * ux,
        width: maxU - minU,
        height: maxV - minV,
        angle: Math.atan2(uy, ux),
      };
    }
  }
  return best;
}

/**
 * Grows a rectangle the way PaddleOCR's DB post-processing does: offset the polygon outwards by
 * `area * ratio / perimeter`. For a rectangle, the rounded offset polygon's own min-area rectangle
 * is the rectangle grown by that distance on every side, so no polygon clipper is needed.
 */
export function unclipRect(rect: RotatedRect, ratio: number): RotatedRect {
  const perimeter = 2 * (rect.width + rect.height);
  if (perimeter === 0) return rect;
  const distance = (rect.width * rect.height * ratio) / perimeter;
  return { ...rect, width: rect.width + 2 * distance, height: rect.height + 2 * distance };
}

/** The rectangle's corners as a Quad (clockwise from top-left). */
export function rectCorners(rect: RotatedRect): Quad {
  const ux = Math.cos(rect.angle);
  const uy = Math.sin(rect.angle);
  const hw = rect.width / 2;
  const hh = rect.height / 2;
  const corner = (su: number, sv: number): Point => [
    rect.cx + su * hw * ux - sv * hh * uy,
    rect.cy + su * hw * uy + sv * hh * ux,
  ];
  return orderQuad([corner(-1, -1), corner(1, -1), corner(1, 1), corner(-1, 1)]);
}

/**
 * Orders four corners clockwise from top-left as PaddleOCR's get_mini_boxes does: the two leftmost
 * points are the left side (upper one first), the two rightmost the right side.
 */
export function orderQuad(points: readonly Point[]): Quad {
  const [a, b, c, d] = [...points].sort((p, q) => p[0] - q[0]) as [Point, Point, Point, Point];
  const [topLeft, bottomLeft] = a[1] <= b[1] ? [a, b] : [b, a];
  const [topRight, bottomRight] = c[1] <= d[1] ? [c, d] : [d, c];
  return [topLeft, topRight, bottomRight, bottomLeft];
}

/** True when `p` lies inside or on the convex quad `q` (either winding). */
export function insideConvexQuad(q: Quad, x: number, y: number): boolean {
  let sign = 0;
  for (let i = 0; i < 4; i++) {
    const a = q[i] as Point;
    const b = q[(i + 1) % 4] as Point;
    const cross = (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
    if (cross === 0) continue;
    const s = Math.sign(cross);
    if (sign === 0) sign = s;
    else if (s !== sign) return false;
  }
  return true;
}

/** Length of the side between corners i and i+1 of a quad. */
export function sideLength(q: Quad, i: number): number {
  const a = q[i % 4] as Point;
  const b = q[(i + 1) % 4] as Point;
  return Math.hypot(b[0] - a[0], b[1] - a[1]);
}
