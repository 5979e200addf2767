/**
 * @module gpu-worker/tasks/ocr/reading-order
 * Puts recognised boxes in reading order: groups them into visual lines, top to bottom, each left to right.
 */
import type { Quad } from './geometry.ts';

export interface Positioned {
  box: Quad;
}

/**
 * Groups `items` into lines. A box joins a line when their vertical extents overlap by at least
 * half the shorter of the two, so a slightly skewed line stays one line while the next line down
 * (which overlaps by little or nothing) starts a new one. Lines are ordered by their vertical
 * centre, boxes in a line by their left edge.
 */
export function groupIntoLines<T extends Positioned>(items: readonly T[]): T[][] {
  const spans = items.map((item) => {
    const ys = item.box.map((p) => p[1]);
    return {
      item,
      top: Math.min(...ys),
      bottom: Math.max(...ys),
      left: Math.min(...item.box.map((p) => p[0])),
    };
  });
  spans.sort((a, b) => a.top - b.top || a.left - b.left);
  const lines: Array<{ top: number; bottom: number; members: typeof spans }> = [];
  for (const span of spans) {
    const height = span.bottom - span.top;
    const line = lines.find((candidate) => {
      const overlap = Math.min(candidate.bottom, span.bottom) - Math.max(candidate.top, span.top);
      return overlap >= 0.5 * Math.min(height, candidate.bottom - candidate.top);
    });
    if (line) {
      line.members.push(span);
      line.top = Math.min(line.top, span.top);
      line.bottom = Math.max(line.bottom, span.bottom);
    } else {
      lines.push({ top: span.top, bottom: span.bottom, members: [span] });
    }
  }
  return lines
    .sort((a, b) => a.top + a.bottom - (b.top + b.bottom))
    .map((line) => line.members.sort((a, b) => a.left - b.left).map((span) => span.item));
}
