/**
 * @module test/support/cer
 * Character error rate between expected and recognised text, for OCR tests and benchmarks.
 */

export interface CerOptions {
  /** Remove all whitespace before comparing, to score the glyphs alone. Default false. */
  ignoreSpaces?: boolean;
}

/**
 * Levenshtein distance over Unicode code points divided by the expected length, after NFKC
 * normalisation, trimming and collapsing whitespace runs (newlines included) to one space.
 * 0 is a perfect read; it can exceed 1 when the output is much longer than expected.
 */
export function characterErrorRate(expected: string, actual: string, options: CerOptions = {}): number {
  const a = [...normalise(expected, options.ignoreSpaces ?? false)];
  const b = [...normalise(actual, options.ignoreSpaces ?? false)];
  if (a.length === 0) return b.length === 0 ? 0 : 1;
  return levenshtein(a, b) / a.length;
}

function normalise(text: string, ignoreSpaces: boolean): string {
  const collapsed = text.normalize('NFKC').replace(/\s+/g, ' ').trim();
  return ignoreSpaces ? collapsed.replaceAll(' ', '') : collapsed;
}

function levenshtein(a: readonly string[], b: readonly string[]): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}
