/**
 * Vitest settings for the infra tests alone (`bash scripts/check-infra.sh test`): the same files
 * as the main suite picks up, with the web build but without the emulator global setup.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../../..', import.meta.url)),
    include: ['test/unit/infra/**/*.test.ts'],
    // The stack deploys the built web app; no emulator setup, which these tests do not use.
    globalSetup: ['test/support/web-build-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    // The first run on a fresh clone installs .sst/platform (about a minute).
    hookTimeout: 240_000,
  },
});
