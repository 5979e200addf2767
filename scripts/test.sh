#!/usr/bin/env bash
# The one test command (README: `npm test`; CI: .ci/run). Installs what a fresh clone lacks,
# then runs the static checks and the whole suite against a real emulator (started by vitest's
# global setup when none is running).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
# The browser test (test/e2e/browser.test.ts) drives Debian's Chromium; install it when missing (CI runs as root).
if ! command -v chromium >/dev/null && [ -z "${FERRY_CHROMIUM:-}" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
      || { apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium >/dev/null; }
  else
    echo "chromium is missing: install Debian's chromium package (or set FERRY_CHROMIUM); the browser test needs it" >&2
  fi
fi
npx tsc --noEmit -p .
npx tsc --noEmit -p web
npx biome check .
# The layering (.dependency-cruiser.cjs): core/ at the floor, functions/ and gpu-worker/ apart, no cycles.
npm run --silent check:layers
bash scripts/check-infra.sh
# The whole suite reports coverage against its per-folder floors (vitest.config.ts); a chosen
# subset of files (`npm test -- <files>`) runs without, as its figures are not the suite's.
# Every component the tests start records its AWS calls into one folder for this run
# (core/aws-calls.ts); afterwards each recorded call is checked against its role's synthesised
# IAM policy (docs/deploy.md "IAM"). A subset checks what it recorded (--partial).
export FERRY_AWS_CALL_DIR="test-artifacts/aws-calls/$(date -u +%Y%m%dT%H%M%SZ)-$$"
if [ $# -eq 0 ]; then
  npx vitest run --coverage
  npx tsx test/support/infra/check-recorded-calls.ts "$FERRY_AWS_CALL_DIR"
else
  npx vitest run "$@"
  npx tsx test/support/infra/check-recorded-calls.ts "$FERRY_AWS_CALL_DIR" --partial
fi
