/**
 * Finds Debian's Chromium for Playwright (scripts/test.sh installs the `chromium` package when it
 * is missing). Never skips: without a browser the browser test fails, saying how to get one.
 */
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumPath(): string {
  const found = [process.env.FERRY_CHROMIUM, ...CANDIDATES].find((p) => p && existsSync(p));
  if (!found) {
    throw new Error(
      'No Chromium found: run "npm test" (it installs Debian\'s chromium as root) or set FERRY_CHROMIUM',
    );
  }
  return found;
}
