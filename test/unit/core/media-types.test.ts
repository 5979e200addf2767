import sharp, { type FormatEnum } from 'sharp';
import { describe, expect, it } from 'vitest';
import { mediaTypeForContentType, mediaTypeForFileName, mediaTypesOf } from '../../../core/media-types.ts';
import { defaultTaskFor } from '../../../core/tasks.ts';
import { API_DEFAULTS } from '../../../functions/api/options.ts';
import { decodeImage } from '../../../gpu-worker/tasks/image.ts';

const limits = { maxInputBytes: 1 << 20, maxInputPixels: 1 << 20 };

describe('media types: one table for the API, the CLI and the worker', () => {
  it('the API accepts by default exactly the types in the table', () => {
    expect(API_DEFAULTS.allowedContentTypes).toEqual(
      expect.arrayContaining(mediaTypesOf('image').map((m) => m.contentType)),
    );
  });

  it.each(mediaTypesOf('image').map((m) => [m.label, m] as const))(
    'the worker decodes every accepted image type: %s',
    async (_label, media) => {
      const format = media.decoderFormat === 'heif' ? 'avif' : media.decoderFormat;
      const bytes = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
        .toFormat(format as keyof FormatEnum)
        .toBuffer();
      await expect(decodeImage(bytes, limits)).resolves.toMatchObject({ width: 8, height: 8 });
    },
  );

  it('BMP is not accepted anywhere (the worker cannot decode it)', () => {
    expect(mediaTypeForFileName('scan.BMP')).toBeUndefined();
    expect(mediaTypeForContentType('image/bmp')).toBeUndefined();
    expect(API_DEFAULTS.allowedContentTypes).not.toContain('image/bmp');
  });

  it('looks types up by extension and by Content-Type with parameters', () => {
    expect(mediaTypeForFileName('a/b/photo.JPEG')?.contentType).toBe('image/jpeg');
    expect(mediaTypeForContentType('Image/PNG; charset=x')?.extensions).toEqual(['.png']);
    expect(mediaTypeForFileName('noext')).toBeUndefined();
  });

  it('accepts MP4, QuickTime, WebM and Matroska videos', () => {
    expect(mediaTypesOf('video').map((m) => m.contentType)).toEqual([
      'video/mp4',
      'video/quicktime',
      'video/webm',
      'video/x-matroska',
    ]);
    expect(mediaTypeForFileName('talk.MOV')?.kind).toBe('video');
    expect(API_DEFAULTS.allowedContentTypes).toContain('video/webm');
  });

  it('picks the task from the media kind when the client names none', () => {
    expect(defaultTaskFor({ contentType: 'video/mp4' })).toBe('video-ocr');
    expect(defaultTaskFor({ contentType: 'image/png' })).toBe('ocr');
    // S3 clients often send no useful type: the key's extension decides.
    expect(defaultTaskFor({ contentType: 'binary/octet-stream', key: 'uploads/a/clip.mkv' })).toBe(
      'video-ocr',
    );
    expect(defaultTaskFor({ key: 'uploads/scan.tiff' })).toBe('ocr');
    expect(defaultTaskFor({ key: 'uploads/notes.txt' })).toBe('ocr');
  });
});
