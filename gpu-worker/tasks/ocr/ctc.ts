/**
 * @module gpu-worker/tasks/ocr/ctc
 * CTC greedy decoding of recogniser output, with recovery of the spaces the model drops between English words.
 */
import type { FrameProbabilities } from './recognize.ts';

/** One decoded character and the frames (inclusive start, exclusive end) its run of argmax frames covers. */
export interface DecodedChar {
  char: string;
  start: number;
  end: number;
  /** Probability of the character at its first frame; for a recovered space, the space probability that revealed it. */
  confidence: number;
  /** A space the model did not emit but that space recovery put back. */
  recovered?: true;
}

/** English puts no space before these, however wide the gap (monospace "." after ")" looks spaced). */
const NO_SPACE_BEFORE = new Set(['.', ',', ';', ':', '!', '?', ')', ']', '}']);

/**
 * The recogniser's classes: 0 is the CTC blank, then one per line of the keys file, then a space
 * (PaddleOCR's use_space_char). `keysText` is the keys file's content.
 */
export function classLabels(keysText: string): string[] {
  const keys = keysText.split(/\r?\n/);
  if (keys.at(-1) === '') keys.pop();
  return ['', ...keys, ' '];
}

/**
 * Greedy CTC: argmax per frame, merge runs of the same class, drop blanks.
 *
 * Space recovery (`spaceThreshold` set): between two characters the model did not separate, a
 * space is inserted when some blank frame between them gave the space class at least
 * `spaceThreshold`, unless the next character is closing punctuation. On rendered English the dropped spaces scored 0.03-0.48 there, letters of one
 * word at most 0.002, while gap width against the line's character pitch separated them poorly
 * (word gaps overlap wide letters such as "m"); see options.ts for the measured effect.
 */
export function ctcGreedyDecode(
  probabilities: FrameProbabilities,
  labels: readonly string[],
  spaceThreshold?: number,
): DecodedChar[] {
  const { data, frames, classes } = probabilities;
  if (labels.length !== classes) {
    throw new Error(`Recogniser has ${classes} classes but the keys give ${labels.length} labels.`);
  }
  const space = classes - 1;
  const chars: DecodedChar[] = [];
  let previous = 0;
  // Highest space probability (and its frame) over the blank frames since the last character.
  let gapSpace = 0;
  let gapFrame = 0;
  for (let t = 0; t < frames; t++) {
    let best = 0;
    let bestP = -1;
    const row = t * classes;
    for (let k = 0; k < classes; k++) {
      const p = data[row + k] as number;
      if (p > bestP) {
        bestP = p;
        best = k;
      }
    }
    if (best === 0) {
      const p = data[row + space] as number;
      if (p > gapSpace) {
        gapSpace = p;
        gapFrame = t;
      }
    } else if (best === previous) {
      (chars.at(-1) as DecodedChar).end = t + 1;
    } else {
      const last = chars.at(-1);
      if (
        spaceThreshold !== undefined &&
        gapSpace >= spaceThreshold &&
        best !== space &&
        !NO_SPACE_BEFORE.has(labels[best] as string) &&
        last !== undefined &&
        last.char !== ' '
      ) {
        chars.push({ char: ' ', start: gapFrame, end: gapFrame + 1, confidence: gapSpace, recovered: true });
      }
      chars.push({ char: labels[best] as string, start: t, end: t + 1, confidence: bestP });
      gapSpace = 0;
    }
    previous = best;
  }
  return chars;
}

/**
 * The characters as text, and their mean confidence (0 when there are none). Recovered spaces are
 * left out of the mean: their low probability is what revealed them, not doubt about the text.
 */
export function decodedText(chars: readonly DecodedChar[]): { text: string; confidence: number } {
  const scored = chars.filter((c) => !c.recovered);
  const confidence =
    scored.length === 0 ? 0 : scored.reduce((sum, c) => sum + c.confidence, 0) / scored.length;
  return { text: chars.map((c) => c.char).join(''), confidence };
}
