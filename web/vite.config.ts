/**
 * @module web/vite.config
 * Builds the web app into web/dist, which the local API serves at `/` and the stack deploys.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 200 },
  logLevel: 'warn',
});
