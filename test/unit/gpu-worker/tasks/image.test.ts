import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../../../gpu-worker/tasks/image.ts';
import { InvalidInputError } from '../../../../gpu-worker/tasks/task.ts';

const LIMITS = { maxInputBytes: 20 * 1024 * 1024, maxInputPixels: 40_000_000 };

async function rejection(bytes: Uint8Array, limits = LIMITS): Promise<InvalidInputError> {
  const error = await decodeImage(bytes, limits).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidInputError);
  return error as InvalidInputError;
}

function solidPng(width: number, height: number, channels: 3 | 4 = 3): Promise<Buffer> {
  const background = channels === 3 ? { r: 10, g: 20, b: 30 } : { r: 0, g: 0, b: 0, alpha: 0 };
  return sharp({ create: { width, height, channels, background } }).png().toBuffer();
}

/** CRC-32 as PNG chunks use it (polynomial 0xEDB88320). */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A valid small PNG whose IHDR now declares `width` x `height` (CRC fixed), like a decompression bomb's header. */
async function pngDeclaring(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await solidPng(8, 8));
  // Signature (8) + IHDR length (4) + "IHDR" (4), then width and height; the CRC covers type + data.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

describe('decodeImage', () => {
  it('decodes to 3-channel RGB', async () => {
    const image = await decodeImage(await solidPng(5, 4), LIMITS);
    expect(image).toMatchObject({ width: 5, height: 4 });
    expect(image.data).toHaveLength(5 * 4 * 3);
    expect([...image.data.subarray(0, 3)]).toEqual([10, 20, 30]);
  });

  it('flattens transparency onto white', async () => {
    const image = await decodeImage(await solidPng(2, 2, 4), LIMITS);
    expect([...image.data.subarray(0, 3)]).toEqual([255, 255, 255]);
  });

  it('turns greyscale into RGB', async () => {
    const grey = await sharp({ create: { width: 3, height: 3, channels: 3, background: '#808080' } })
      .greyscale()
      .png()
      .toBuffer();
    const image = await decodeImage(grey, LIMITS);
    expect(image.data).toHaveLength(27);
  });

  it('applies EXIF orientation', async () => {
    // Orientation 6: the stored 40x20 pixels display rotated 90 degrees clockwise, as 20x40.
    const jpeg = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#ffffff' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect(await decodeImage(jpeg, LIMITS)).toMatchObject({ width: 20, height: 40 });
  });

  it('rejects an empty file', async () => {
    expect((await rejection(new Uint8Array())).message).toBe('The file is empty (0 bytes).');
  });

  it('rejects bytes that are not an image', async () => {
    expect((await rejection(randomBytes(4096))).message).toMatch(
      /^The file is not a supported image \(expected PNG, JPEG/,
    );
  });

  it('rejects SVG, which is a document rather than a raster', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    expect((await rejection(svg)).message).toMatch(/not a supported image/);
  });

  it('rejects a truncated PNG', async () => {
    const noisy = await sharp(randomBytes(200 * 200 * 3), { raw: { width: 200, height: 200, channels: 3 } })
      .png()
      .toBuffer();
    const error = await rejection(noisy.subarray(0, Math.floor(noisy.length / 2)));
    expect(error.message).toMatch(/^The image is corrupt or truncated: .+\.$/);
    expect(error.message).not.toContain('\n');
  });

  it('rejects a decompression bomb from its header alone', async () => {
    const bomb = await pngDeclaring(30000, 30000);
    expect((await sharp(bomb, { limitInputPixels: false }).metadata()).width).toBe(30000);
    expect((await rejection(bomb)).message).toBe(
      'The image is 30000x30000 pixels, over the limit of 40000000 pixels.',
    );
  });

  it('rejects a file over the byte limit before reading it', async () => {
    const bytes = new Uint8Array(30 * 1024 * 1024);
    expect((await rejection(bytes)).message).toBe('The file is 30.0 MiB, over the limit of 20.0 MiB.');
  });
});
