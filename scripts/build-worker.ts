/**
 * @module scripts/build-worker
 * Bundles the worker for its container: dist/worker/main.js and the inference thread beside it
 * (pool.ts finds `./thread.js` next to itself). Dependencies stay in node_modules: native
 * addons (onnxruntime-node, sharp) and the model package, which locates its files on disk.
 */
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '..');

await build({
  entryPoints: {
    main: path.join(ROOT, 'gpu-worker/main.ts'),
    thread: path.join(ROOT, 'gpu-worker/inference/thread.ts'),
  },
  outdir: path.join(ROOT, 'dist/worker'),
  bundle: true,
  packages: 'external',
  platform: 'node',
  target: 'node24',
  format: 'esm',
  sourcemap: true,
  logLevel: 'info',
});
