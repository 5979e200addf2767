/**
 * @module scripts/local/bundle
 * Bundles a Lambda handler with esbuild (AWS SDK included: emulators do not provide it) and
 * zips it, as the AWS deploy does for nodejs24.x.
 */
import path from 'node:path';
import { build } from 'esbuild';
import { zipSync } from 'fflate';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** A zip holding `index.js` that exports the entry's `handler`. */
export async function bundleFunction(entry: string): Promise<Uint8Array> {
  const out = await build({
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    target: 'node24',
    // CommonJS, so the emulator's node runs index.js without a package.json "type".
    format: 'cjs',
    minify: false,
    sourcemap: false,
    write: false,
    logLevel: 'silent',
  });
  const file = out.outputFiles[0];
  if (!file) throw new Error(`esbuild produced nothing for ${entry}`);
  return zipSync({ 'index.js': file.contents });
}
