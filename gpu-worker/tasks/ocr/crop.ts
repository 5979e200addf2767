/**
 * @module gpu-worker/tasks/ocr/crop
 * Cuts each (possibly rotated) text box out of the image, straight, at the recogniser's height of 48 px, normalised.
 */
import type { RgbImage } from '../image.ts';
import { type Point, type Quad, sideLength } from './geometry.ts';

/** Input height of the PP-OCRv4 recogniser. */
export const REC_HEIGHT = 48;

/** A crop ready for recognition: float32 CHW, BGR, (x/255 - 0.5) / 0.5, REC_HEIGHT rows of `width`. */
export interface RecCrop {
  data: Float32Array;
  width: number;
}

/**
 * Samples `box` from `image` into a REC_HEIGHT-high crop that keeps the box's aspect ratio (width
 * at most `maxWidth`). Boxes at least 1.5 times taller than wide are read as rotated 90 degrees
 * anticlockwise, as PaddleOCR does. Sampling is bilinear, averaged over up to 4x4 points per output
 * pixel when shrinking, so large text does not alias. One pass straight to the normalised tensor:
 * a warp plus resize through sharp would take two copies and the same arithmetic.
 */
export function cropBox(image: RgbImage, box: Quad, maxWidth: number): RecCrop {
  const boxWidth = Math.max(sideLength(box, 0), sideLength(box, 2));
  const boxHeight = Math.max(sideLength(box, 1), sideLength(box, 3));
  const upright = boxHeight < 1.5 * boxWidth;
  const [origin, right, , down] = upright ? box : ([box[1], box[2], box[3], box[0]] as Quad);
  const sourceWidth = upright ? boxWidth : boxHeight;
  const sourceHeight = Math.max(1, upright ? boxHeight : boxWidth);
  const width = Math.max(1, Math.min(maxWidth, Math.ceil((Number(process.env.SQUEEZE ?? 1) * REC_HEIGHT * sourceWidth) / sourceHeight)));

  // Source position of crop coordinates (u, v): origin + u * stepU + v * stepV.
  const stepU: Point = [(right[0] - origin[0]) / width, (right[1] - origin[1]) / width];
  const stepV: Point = [(down[0] - origin[0]) / REC_HEIGHT, (down[1] - origin[1]) / REC_HEIGHT];
  const samplesU = Math.min(4, Math.max(1, Math.ceil(Math.hypot(...stepU))));
  const samplesV = Math.min(4, Math.max(1, Math.ceil(Math.hypot(...stepV))));
  const weight = 1 / (samplesU * samplesV * 127.5);

  const plane = REC_HEIGHT * width;
  const data = new Float32Array(3 * plane);
  const rgb = [0, 0, 0];
  for (let v = 0; v < REC_HEIGHT; v++) {
    for (let u = 0; u < width; u++) {
      rgb[0] = rgb[1] = rgb[2] = 0;
      for (let sv = 0; sv < samplesV; sv++) {
        const fv = v + (sv + 0.5) / samplesV;
        for (let su = 0; su < samplesU; su++) {
          const fu = u + (su + 0.5) / samplesU;
          // Box coordinates put pixel centres at integers (see db-postprocess), as addBilinear expects.
          addBilinear(image, origin[0] + fu * stepU[0] + fv * stepV[0], origin[1] + fu * stepU[1] + fv * stepV[1], rgb);
        }
      }
      const i = v * width + u;
      data[i] = (rgb[2] as number) * weight - 1;
      data[plane + i] = (rgb[1] as number) * weight - 1;
      data[2 * plane + i] = (rgb[0] as number) * weight - 1;
    }
  }
  return { data, width };
}

/** Adds the bilinear RGB sample at (x, y) to `rgb`, clamping at the image edges. */
function addBilinear(image: RgbImage, x: number, y: number, rgb: number[]): void {
  const { data, width, height } = image;
  const cx = Math.min(width - 1, Math.max(0, x));
  const cy = Math.min(height - 1, Math.max(0, y));
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = Math.min(width - 1, x0 + 1);
  const y1 = Math.min(height - 1, y0 + 1);
  const ax = cx - x0;
  const ay = cy - y0;
  const w00 = (1 - ax) * (1 - ay);
  const w01 = ax * (1 - ay);
  const w10 = (1 - ax) * ay;
  const w11 = ax * ay;
  const i00 = (y0 * width + x0) * 3;
  const i01 = (y0 * width + x1) * 3;
  const i10 = (y1 * width + x0) * 3;
  const i11 = (y1 * width + x1) * 3;
  for (let c = 0; c < 3; c++) {
    rgb[c] =
      (rgb[c] as number) +
      w00 * (data[i00 + c] as number) +
      w01 * (data[i01 + c] as number) +
      w10 * (data[i10 + c] as number) +
      w11 * (data[i11 + c] as number);
  }
}
