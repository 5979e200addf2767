/**
 * @module scripts/local/web-build
 * Builds the web app (web/ -> web/dist) with Vite when it is not built or its sources are newer
 * than the build; `npm start` and the browser test call it.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'vite';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const WEB_DIST = path.join(ROOT, 'web', 'dist');

async function newest(dir: string): Promise<number> {
  let latest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, await newest(full));
    else latest = Math.max(latest, (await stat(full)).mtimeMs);
  }
  return latest;
}

/** Returns the built app's folder, building it first when needed. */
export async function ensureWebBuild(log: (line: string) => void = () => undefined): Promise<string> {
  const built = await stat(path.join(WEB_DIST, 'index.html')).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  const sources = Math.max(
    await newest(path.join(ROOT, 'web', 'src')),
    (await stat(path.join(ROOT, 'web', 'index.html'))).mtimeMs,
    await newest(path.join(ROOT, 'core')),
  );
  if (built >= sources) return WEB_DIST;
  log('building the web app');
  await build({ configFile: path.join(ROOT, 'web', 'vite.config.ts'), logLevel: 'warn' });
  return WEB_DIST;
}
