/**
 * @module core/format-bytes
 * Byte counts for people, in one format everywhere (the worker's size errors, the CLI's upload
 * lines): binary units with their IEC names, since Ferry's limits are set in them (20 MiB, 50 GiB),
 * so a limit reads back as it was written.
 */

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `512 bytes`, `195.3 KiB`, `20.0 MiB`, `2.0 GiB`: one decimal from 1 KiB up. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}
