#!/usr/bin/env bash
# The one test command (README: `npm test`; CI: .ci/run). Installs what a fresh clone lacks,
# then runs the static checks and the whole suite against a real emulator (started by vitest's
# global setup when none is running).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npx tsc --noEmit -p .
npx biome check .
bash scripts/check-infra.sh
npx vitest run "$@"
