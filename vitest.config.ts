import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One emulator for the whole run; each test file provisions resources of its own.
    globalSetup: ['test/support/global-setup.ts', 'test/support/web-build-setup.ts'],
    // Files run in separate processes: onnxruntime and worker_threads stay isolated.
    pool: 'forks',
    // 2 cores: two files at a time keeps inference-heavy files from starving each other.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
