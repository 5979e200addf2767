/**
 * Builds the web app once before any test file runs: the synthesised AWS stack deploys web/dist
 * as a StaticSite (and fails without it), and the browser test serves it. Once, here, because
 * test files run in parallel processes that would otherwise race to write the same folder.
 */
import { ensureWebBuild } from '../../scripts/local/web-build.ts';

export default async function setup(): Promise<void> {
  await ensureWebBuild((line) => console.log(`[web] ${line}`));
}
