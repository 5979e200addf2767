/** The size checks of an API upload: parts cut from the declared size, and what arrived against it. */
import { describe, expect, it } from 'vitest';
import { expectedPartBytes, partCountFor, partsMismatch, sizeMismatch } from '../../../core/upload-size.ts';

const MiB = 1024 * 1024;
/** The case of issue 19: 64 MiB + 1 declared, parts of 16 MiB. */
const DECLARED = 64 * MiB + 1;
const PART = 16 * MiB;

describe('the plan', () => {
  it('cuts the declared size into full parts and a last part of the rest', () => {
    expect(partCountFor(DECLARED, PART)).toBe(5);
    expect([1, 2, 3, 4, 5].map((n) => expectedPartBytes(n, DECLARED, PART))).toEqual([
      PART,
      PART,
      PART,
      PART,
      1,
    ]);
    expect(partCountFor(64 * MiB, PART)).toBe(4);
    expect(expectedPartBytes(4, 64 * MiB, PART)).toBe(PART);
  });

  it('gives no bytes to a part outside the plan', () => {
    expect([0, 6, 1.5, -1].map((n) => expectedPartBytes(n, DECLARED, PART))).toEqual([0, 0, 0, 0]);
  });
});

describe('sizeMismatch', () => {
  it('says how many bytes arrived and how many were declared, and nothing when they agree', () => {
    expect(sizeMismatch(100_000_000, DECLARED)).toBe('uploaded 100000000 bytes, declared 67108865');
    expect(sizeMismatch(10, 11)).toBe('uploaded 10 bytes, declared 11');
    expect(sizeMismatch(DECLARED, DECLARED)).toBeUndefined();
  });
});

describe('partsMismatch', () => {
  const planned = (n: number) => ({ partNumber: n, size: expectedPartBytes(n, DECLARED, PART) });

  it('accepts every part as planned, and the parts that arrived so far', () => {
    expect(partsMismatch([1, 2, 3, 4, 5].map(planned), DECLARED, PART)).toBeUndefined();
    expect(partsMismatch([planned(5), planned(2)], DECLARED, PART)).toBeUndefined();
    expect(partsMismatch([], DECLARED, PART)).toBeUndefined();
  });

  it('names an oversized part 1 and the total over the declared size', () => {
    expect(partsMismatch([{ partNumber: 1, size: 100_000_000 }], DECLARED, PART)).toBe(
      'part 1 is 100000000 bytes, expected 16777216; uploaded 100000000 bytes, declared 67108865',
    );
  });

  it('names a short part, without a total while the total is not over', () => {
    expect(partsMismatch([planned(1), { partNumber: 2, size: PART - 1 }], DECLARED, PART)).toBe(
      'part 2 is 16777215 bytes, expected 16777216',
    );
    expect(partsMismatch([{ partNumber: 5, size: 2 }], DECLARED, PART)).toBe('part 5 is 2 bytes, expected 1');
  });

  it('names a part beyond the plan, the first in part order', () => {
    const all = [1, 2, 3, 4, 5].map(planned);
    expect(
      partsMismatch([...all, { partNumber: 7, size: 5 * MiB }, { partNumber: 6, size: 1 }], DECLARED, PART),
    ).toBe('part 6 was uploaded, but the plan has parts 1..5; uploaded 72351746 bytes, declared 67108865');
  });
});
