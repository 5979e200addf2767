/**
 * @module test/support/degrade
 * Makes a clean rendered page look photographed: a seeded perspective tilt, a little blur and
 * sensor noise, so OCR accuracy checks cover more than perfect renders.
 */
import sharp from 'sharp';
import { mulberry32 } from './text-images.ts';

export interface DegradeOptions {
  /** How far each corner moves inwards, as a share of the side (0..0.2), at most. Default 0.04. */
  tilt?: number;
  /** Standard deviation of the added noise, in 8-bit grey levels. Default 10. */
  noise?: number;
  /** Gaussian blur sigma in pixels before the noise (0 = none). Default 0.7. */
  blur?: number;
  /** The same seed gives the same output. Default 1. */
  seed?: number;
}

/** `png` warped by a random perspective, blurred and noised, as a PNG of the same size. */
export async function degradeTextImage(png: Uint8Array, options: DegradeOptions = {}): Promise<Buffer> {
  const { tilt = 0.04, noise = 10, blur = 0.7, seed = 1 } = options;
  const random = mulberry32(seed * 7919 + 17);
  let pipeline = sharp(png).removeAlpha();
  if (blur > 0) pipeline = pipeline.blur(Math.max(0.3, blur));
  const { data: src, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  const { width: w, height: h, channels } = info;
  // Where the output's corners come from in the source: each moved in by up to `tilt`.
  const jitter = (side: number) => random() * tilt * side;
  const corners: Array<[number, number]> = [
    [jitter(w), jitter(h)],
    [w - 1 - jitter(w), jitter(h)],
    [w - 1 - jitter(w), h - 1 - jitter(h)],
    [jitter(w), h - 1 - jitter(h)],
  ];
  const map = homography(
    [
      [0, 0],
      [w - 1, 0],
      [w - 1, h - 1],
      [0, h - 1],
    ],
    corners,
  );
  const [m0, m1, m2, m3, m4, m5, m6, m7] = map as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const out = Buffer.alloc(w * h * 3);
  const gauss = () => {
    // Box-Muller.
    const u = Math.max(1e-9, random());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const d = m6 * x + m7 * y + 1;
      const sx = Math.min(w - 1, Math.max(0, (m0 * x + m1 * y + m2) / d));
      const sy = Math.min(h - 1, Math.max(0, (m3 * x + m4 * y + m5) / d));
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = Math.min(w - 1, x0 + 1);
      const y1 = Math.min(h - 1, y0 + 1);
      const ax = sx - x0;
      const ay = sy - y0;
      const n = noise * gauss();
      for (let c = 0; c < 3; c++) {
        const at = (xx: number, yy: number) => src[(yy * w + xx) * channels + c] as number;
        const v =
          (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x1, y0)) +
          ay * ((1 - ax) * at(x0, y1) + ax * at(x1, y1));
        out[(y * w + x) * 3 + c] = Math.min(255, Math.max(0, Math.round(v + n)));
      }
    }
  }
  return sharp(out, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
}

type Point = [number, number];

/** The 3x3 projective map (h33 = 1, row-major, 8 entries) taking each `from` point to its `to` point. */
function homography(from: Point[], to: Point[]): number[] {
  const rows: number[][] = [];
  from.forEach(([x, y], i) => {
    const [u, v] = to[i] as Point;
    rows.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    rows.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  });
  // Gauss-Jordan on the 8x9 augmented matrix, partial pivoting.
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++)
      if (Math.abs((rows[r] as number[])[col] as number) > Math.abs((rows[pivot] as number[])[col] as number))
        pivot = r;
    [rows[col], rows[pivot]] = [rows[pivot] as number[], rows[col] as number[]];
    const p = rows[col] as number[];
    const lead = p[col] as number;
    for (let k = col; k < 9; k++) p[k] = (p[k] as number) / lead;
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const row = rows[r] as number[];
      const f = row[col] as number;
      for (let k = col; k < 9; k++) row[k] = (row[k] as number) - f * (p[k] as number);
    }
  }
  return rows.map((row) => row[8] as number);
}
