/**
 * @module gpu-worker/tasks/ocr/crop
 * Cuts each (possibly rotated) text box out of the image, straight, at the recogniser's height of 48 px, normalised.
 */
import type { RgbImage } from '../image.ts';
import { type Quad, sideLength } from './geometry.ts';

/** Input height of the PP-OCRv4 recogniser. */
export const REC_HEIGHT = 48;

/** A crop ready for recognition: float32 CHW, BGR, (x/255 - 0.5) / 0.5, REC_HEIGHT rows of `width`. */
export interface RecCrop {
  data: Float32Array;
  width: number;
}

export interface CropOptions {
  /** Horizontal scale after fitting the height to REC_HEIGHT (see OcrOptions.recWidthScale). */
  widthScale: number;
  /** Widest crop, in pixels. */
  maxWidth: number;
}

/**
 * Samples `box` from `image` into a REC_HEIGHT-high crop, `widthScale` times as wide as the box's
 * aspect ratio gives (at most `maxWidth`). Boxes at least 1.5 times taller than wide are read as
 * rotated 90 degrees anticlockwise, as PaddleOCR does. Sampling is bilinear, averaged over up to
 * 4x4 points per output pixel when shrinking so large text does not alias. One pass straight into
 * the normalised tensor: a warp plus resize through sharp would copy twice for the same arithmetic.
 */
export function cropBox(image: RgbImage, box: Quad, options: CropOptions): RecCrop {
  const boxWidth = Math.max(sideLength(box, 0), sideLength(box, 2));
  const boxHeight = Math.max(sideLength(box, 1), sideLength(box, 3));
  const upright = boxHeight < 1.5 * boxWidth;
  const [origin, right, , down] = upright ? box : ([box[1], box[2], box[3], box[0]] as Quad);
  const sourceWidth = upright ? boxWidth : boxHeight;
  const sourceHeight = Math.max(1, upright ? boxHeight : boxWidth);
  // At least 8 px: the recogniser gives no output frame for inputs under 5 px wide.
  const width = Math.max(
    8,
    Math.min(options.maxWidth, Math.ceil((options.widthScale * REC_HEIGHT * sourceWidth) / sourceHeight)),
  );

  // Source position of crop coordinates (u, v): origin + u * (ux, uy) + v * (vx, vy). Box
  // coordinates put pixel centres at integers (see db-postprocess), as the bilinear lookup expects.
  const ux = (right[0] - origin[0]) / width;
  const uy = (right[1] - origin[1]) / width;
  const vx = (down[0] - origin[0]) / REC_HEIGHT;
  const vy = (down[1] - origin[1]) / REC_HEIGHT;
  const samplesU = Math.min(4, Math.max(1, Math.ceil(Math.hypot(ux, uy))));
  const samplesV = Math.min(4, Math.max(1, Math.ceil(Math.hypot(vx, vy))));
  // (mean / 255 - 0.5) / 0.5 = sum * scale - 1
  const scale = 1 / (samplesU * samplesV * 127.5);

  const { data: pixels, width: imageWidth, height: imageHeight } = image;
  const plane = REC_HEIGHT * width;
  const data = new Float32Array(3 * plane);
  for (let v = 0; v < REC_HEIGHT; v++) {
    for (let u = 0; u < width; u++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sv = 0; sv < samplesV; sv++) {
        const fv = v + (sv + 0.5) / samplesV;
        for (let su = 0; su < samplesU; su++) {
          const fu = u + (su + 0.5) / samplesU;
          const x = Math.min(imageWidth - 1, Math.max(0, origin[0] + fu * ux + fv * vx));
          const y = Math.min(imageHeight - 1, Math.max(0, origin[1] + fu * uy + fv * vy));
          const x0 = Math.floor(x);
          const y0 = Math.floor(y);
          const dx = (x0 < imageWidth - 1 ? 1 : 0) * 3;
          const dy = (y0 < imageHeight - 1 ? imageWidth : 0) * 3;
          const ax = x - x0;
          const ay = y - y0;
          const i = (y0 * imageWidth + x0) * 3;
          const w00 = (1 - ax) * (1 - ay);
          const w01 = ax * (1 - ay);
          const w10 = (1 - ax) * ay;
          const w11 = ax * ay;
          r +=
            w00 * (pixels[i] as number) +
            w01 * (pixels[i + dx] as number) +
            w10 * (pixels[i + dy] as number) +
            w11 * (pixels[i + dx + dy] as number);
          g +=
            w00 * (pixels[i + 1] as number) +
            w01 * (pixels[i + dx + 1] as number) +
            w10 * (pixels[i + dy + 1] as number) +
            w11 * (pixels[i + dx + dy + 1] as number);
          b +=
            w00 * (pixels[i + 2] as number) +
            w01 * (pixels[i + dx + 2] as number) +
            w10 * (pixels[i + dy + 2] as number) +
            w11 * (pixels[i + dx + dy + 2] as number);
        }
      }
      // BGR planes, the channel order the model was trained with (OpenCV).
      const o = v * width + u;
      data[o] = b * scale - 1;
      data[plane + o] = g * scale - 1;
      data[2 * plane + o] = r * scale - 1;
    }
  }
  return { data, width };
}
