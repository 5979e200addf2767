/**
 * Vitest settings for the infra tests alone (`bash scripts/check-infra.sh test`): the same files
 * as the main suite picks up, without its emulator global setup, which they do not use.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/infra/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    // The first run on a fresh clone installs .sst/platform (about a minute).
    hookTimeout: 240_000,
  },
});
