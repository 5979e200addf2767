/**
 * @module gpu-worker/tasks/video/whitelists
 * The input options every ffprobe and ffmpeg run over a user's video gets: read local files only
 * (`-protocol_whitelist file`), and only the containers Ferry accepts (`-format_whitelist`, from
 * core/media-types.ts). Without them a file could name other inputs for the demuxer to open (an
 * HLS playlist or a concat list naming URLs or local paths), or be read by any of ffmpeg's few
 * hundred demuxers, most of which no upload should reach.
 */
import { mediaTypesOf } from '../../../core/media-types.ts';

/**
 * ffmpeg's demuxer names for the accepted containers; a demuxer passes when any of its names is
 * listed ("mov,mp4,m4a,3gp,3g2,mj2" by "mp4", "matroska,webm" by "matroska").
 */
const ACCEPTED_CONTAINERS: readonly string[] = mediaTypesOf('video').map((m) => m.decoderFormat);

/** Options placed before `-i`. */
export const INPUT_WHITELIST_ARGS: readonly string[] = [
  '-protocol_whitelist',
  'file',
  '-format_whitelist',
  ACCEPTED_CONTAINERS.join(','),
];

/** ffmpeg's words when the file's container is not on the format whitelist. */
export function isFormatRefused(stderr: string): boolean {
  return /Format not on whitelist/i.test(stderr);
}
