/**
 * @module core/media-types
 * The one table of media Ferry accepts: content type, file extensions, what kind of media it is
 * and the decoder's name for it. The API's allowed types, the CLI's extension lookup and the
 * worker's decoder checks all read it, so no two of them can disagree (BMP, for instance, is
 * absent because the worker's decoder, sharp, cannot read it).
 */
import { TASK_NAMES } from './config.ts';

export type MediaKind = 'image' | 'video';

export interface MediaType {
  /** Lowercase `type/subtype`, as sent in Content-Type. */
  contentType: string;
  /** Lowercase, with the dot; the first is the usual one. */
  extensions: readonly string[];
  kind: MediaKind;
  /** What a person calls it, for error messages. */
  label: string;
  /**
   * The decoder's name for the format: sharp's `metadata().format` for images, one of ffprobe's
   * `format_name` entries for videos.
   */
  decoderFormat: string;
}

export const MEDIA_TYPES: readonly MediaType[] = [
  { contentType: 'image/png', extensions: ['.png'], kind: 'image', label: 'PNG', decoderFormat: 'png' },
  {
    contentType: 'image/jpeg',
    extensions: ['.jpg', '.jpeg'],
    kind: 'image',
    label: 'JPEG',
    decoderFormat: 'jpeg',
  },
  { contentType: 'image/webp', extensions: ['.webp'], kind: 'image', label: 'WebP', decoderFormat: 'webp' },
  {
    contentType: 'image/tiff',
    extensions: ['.tif', '.tiff'],
    kind: 'image',
    label: 'TIFF',
    decoderFormat: 'tiff',
  },
  { contentType: 'image/gif', extensions: ['.gif'], kind: 'image', label: 'GIF', decoderFormat: 'gif' },
  // sharp reports AVIF as its container family, HEIF.
  { contentType: 'image/avif', extensions: ['.avif'], kind: 'image', label: 'AVIF', decoderFormat: 'heif' },
  // Videos: the worker decodes whatever codec ffmpeg reads inside them (H.264, H.265, VP9, AV1 ...).
  {
    contentType: 'video/mp4',
    extensions: ['.mp4', '.m4v'],
    kind: 'video',
    label: 'MP4',
    decoderFormat: 'mp4',
  },
  {
    contentType: 'video/quicktime',
    extensions: ['.mov'],
    kind: 'video',
    label: 'QuickTime',
    decoderFormat: 'mov',
  },
  { contentType: 'video/webm', extensions: ['.webm'], kind: 'video', label: 'WebM', decoderFormat: 'webm' },
  {
    contentType: 'video/x-matroska',
    extensions: ['.mkv'],
    kind: 'video',
    label: 'Matroska',
    decoderFormat: 'matroska',
  },
];

/** The task a job runs when its client names none, by the kind of media it carries. */
export const DEFAULT_TASK_BY_KIND: Readonly<Record<MediaKind, string>> = {
  image: TASK_NAMES.ocr,
  video: TASK_NAMES.videoOcr,
};

/**
 * The task for an input whose client named none: by its content type, else its key's extension,
 * else the image task (a file of unknown type then fails with a reason instead of vanishing).
 */
export function defaultTaskFor(input: {
  contentType?: string | undefined;
  key?: string | undefined;
}): string {
  const media =
    (input.contentType ? mediaTypeForContentType(input.contentType) : undefined) ??
    (input.key ? mediaTypeForFileName(input.key) : undefined);
  return DEFAULT_TASK_BY_KIND[media?.kind ?? 'image'];
}

/** The media types of one kind. */
export function mediaTypesOf(kind: MediaKind): readonly MediaType[] {
  return MEDIA_TYPES.filter((m) => m.kind === kind);
}

/** The media type a file name's extension names, if Ferry accepts it. */
export function mediaTypeForFileName(fileName: string): MediaType | undefined {
  const dot = fileName.lastIndexOf('.');
  if (dot < 0) return undefined;
  const extension = fileName.slice(dot).toLowerCase();
  return MEDIA_TYPES.find((m) => m.extensions.includes(extension));
}

/** The media type of a Content-Type header value (parameters and case ignored), if accepted. */
export function mediaTypeForContentType(contentType: string): MediaType | undefined {
  const bare = contentType.split(';')[0]?.trim().toLowerCase();
  return MEDIA_TYPES.find((m) => m.contentType === bare);
}

/** "PNG, JPEG or GIF": the labels of `types`, for a sentence. */
export function labelList(types: readonly MediaType[]): string {
  const labels = types.map((t) => t.label);
  return labels.length < 2 ? (labels[0] ?? '') : `${labels.slice(0, -1).join(', ')} or ${labels.at(-1)}`;
}
