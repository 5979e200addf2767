/** One byte format for every message: bytes below 1 KiB, then binary units with one decimal. */
import { expect, it } from 'vitest';
import { formatBytes } from '../../../core/format-bytes.ts';

it('writes bytes below 1 KiB, then KiB, MiB, GiB and TiB with one decimal', () => {
  expect(
    [0, 1023, 1024, 200_000, 20 * 1024 ** 2, 2 * 1024 ** 3, 5 * 1024 ** 4, 2048 * 1024 ** 4].map(formatBytes),
  ).toEqual([
    '0 bytes',
    '1023 bytes',
    '1.0 KiB',
    '195.3 KiB',
    '20.0 MiB',
    '2.0 GiB',
    '5.0 TiB',
    '2048.0 TiB',
  ]);
});
