import { describe, expect, it } from 'vitest';
import type { Quad } from '../../../../../gpu-worker/tasks/ocr/geometry.ts';
import { groupIntoLines } from '../../../../../gpu-worker/tasks/ocr/reading-order.ts';

function item(
  name: string,
  left: number,
  top: number,
  right: number,
  bottom: number,
): { name: string; box: Quad } {
  return {
    name,
    box: [
      [left, top],
      [right, top],
      [right, bottom],
      [left, bottom],
    ],
  };
}

const names = (lines: Array<Array<{ name: string }>>) => lines.map((line) => line.map((i) => i.name));

describe('groupIntoLines', () => {
  it('orders lines top to bottom and boxes left to right', () => {
    const items = [
      item('line2-right', 400, 102, 600, 132),
      item('line1-left', 10, 50, 200, 80),
      item('line2-left', 10, 100, 300, 130),
      item('line1-right', 250, 48, 500, 78),
      item('line3', 10, 150, 300, 180),
    ];
    expect(names(groupIntoLines(items))).toEqual([
      ['line1-left', 'line1-right'],
      ['line2-left', 'line2-right'],
      ['line3'],
    ]);
  });

  it('keeps a slightly skewed neighbour on its line but splits lines that barely touch', () => {
    const items = [item('a', 10, 10, 200, 40), item('b', 220, 22, 400, 52), item('c', 10, 46, 200, 76)];
    // b overlaps a by 18 of 30 px (same line); c overlaps the a+b line by 6 px (next line).
    expect(names(groupIntoLines(items))).toEqual([['a', 'b'], ['c']]);
  });

  it('handles no boxes', () => {
    expect(groupIntoLines([])).toEqual([]);
  });
});
