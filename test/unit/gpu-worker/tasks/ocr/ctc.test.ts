import { describe, expect, it } from 'vitest';
import { classLabels, ctcGreedyDecode, decodedText } from '../../../../../gpu-worker/tasks/ocr/ctc.ts';
import type { FrameProbabilities } from '../../../../../gpu-worker/tasks/ocr/recognize.ts';

const LABELS = classLabels('a\nb\nc\n.\n');
const SPACE = LABELS.length - 1;

/** Frames from [class, probability, spaceProbability?] triples; the rest of each row shares what is left. */
function frames(spec: Array<[label: string, p: number, space?: number]>): FrameProbabilities {
  const classes = LABELS.length;
  const data = new Float32Array(spec.length * classes);
  spec.forEach(([label, p, space = 0], t) => {
    const k = label === '_' ? 0 : LABELS.indexOf(label);
    const rest = (1 - p - space) / (classes - 1 - (space > 0 && k !== SPACE ? 1 : 0));
    for (let c = 0; c < classes; c++) data[t * classes + c] = rest;
    if (space > 0) data[t * classes + SPACE] = space;
    data[t * classes + k] = p;
  });
  return { data, frames: spec.length, classes };
}

describe('classLabels', () => {
  it('puts the blank first and a space last, one label per key line', () => {
    expect(classLabels('x\ny\nz')).toEqual(['', 'x', 'y', 'z', ' ']);
    expect(classLabels('x\r\ny\n')).toEqual(['', 'x', 'y', ' ']);
  });
});

describe('ctcGreedyDecode', () => {
  it('merges repeats, drops blanks, and keeps double letters split by a blank', () => {
    const chars = ctcGreedyDecode(
      frames([
        ['a', 0.9],
        ['a', 0.8],
        ['_', 0.9],
        ['a', 0.7],
        ['b', 0.6],
        ['b', 0.9],
        ['_', 0.9],
      ]),
      LABELS,
    );
    expect(chars.map((c) => c.char).join('')).toBe('aab');
    expect(chars.map((c) => [c.start, c.end])).toEqual([
      [0, 2],
      [3, 4],
      [4, 6],
    ]);
    expect(chars[0]?.confidence).toBeCloseTo(0.9);
    expect(decodedText(chars).confidence).toBeCloseTo((0.9 + 0.7 + 0.6) / 3);
  });

  it('keeps spaces the model emits', () => {
    const chars = ctcGreedyDecode(
      frames([
        ['a', 0.9],
        [' ', 0.9],
        ['b', 0.9],
      ]),
      LABELS,
    );
    expect(decodedText(chars).text).toBe('a b');
  });

  it('recovers a dropped space from the space probability in the blank gap', () => {
    const probabilities = frames([
      ['a', 0.9],
      ['_', 0.6, 0.3],
      ['_', 0.9, 0.05],
      ['b', 0.9],
      ['_', 0.9, 0.001],
      ['c', 0.9],
    ]);
    expect(decodedText(ctcGreedyDecode(probabilities, LABELS)).text).toBe('abc');
    const recovered = ctcGreedyDecode(probabilities, LABELS, 0.01);
    expect(decodedText(recovered).text).toBe('a bc');
    expect(recovered[1]).toMatchObject({ char: ' ', start: 1, recovered: true });
    // The recovered space does not pull the confidence down.
    expect(decodedText(recovered).confidence).toBeCloseTo(0.9);
  });

  it('recovers no space before closing punctuation', () => {
    const chars = ctcGreedyDecode(
      frames([
        ['a', 0.9],
        ['_', 0.5, 0.4],
        ['.', 0.9],
      ]),
      LABELS,
      0.01,
    );
    expect(decodedText(chars).text).toBe('a.');
  });

  it('never doubles a space the model already emitted, nor starts a line with one', () => {
    const chars = ctcGreedyDecode(
      frames([
        ['_', 0.5, 0.4],
        ['a', 0.9],
        ['_', 0.5, 0.4],
        [' ', 0.9],
        ['_', 0.5, 0.4],
        ['b', 0.9],
      ]),
      LABELS,
      0.01,
    );
    expect(decodedText(chars).text).toBe('a b');
  });

  it('rejects a keys file that does not match the model', () => {
    expect(() =>
      ctcGreedyDecode({ data: new Float32Array(10), frames: 2, classes: 5 }, ['', 'a', ' ']),
    ).toThrow(/5 classes/);
  });
});
