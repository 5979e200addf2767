/**
 * @module gpu-worker/tasks/video/webvtt
 * The timeline as WebVTT (W3C), one cue per segment. Hand-written: the format is a header and
 * timed text blocks, and a library would add a dependency for these few lines.
 */
import type { Segment } from './timeline.ts';

export function toWebVtt(segments: readonly Segment[]): string {
  const cues = segments.map(
    (s, i) =>
      `${i + 1}\n${timestamp(s.start)} --> ${timestamp(Math.max(s.end, s.start + 0.001))}\n${cueText(s.text)}\n`,
  );
  return ['WEBVTT', '', ...cues].join('\n');
}

/** hh:mm:ss.ttt */
function timestamp(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}`;
}

/** Cue text may not hold "-->" or a blank line, and "&" and "<" start markup: escape them. */
function cueText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .join('\n');
}
