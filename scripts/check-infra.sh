#!/usr/bin/env bash
# Offline checks of the AWS stack (sst.config.ts + infra/); no AWS account or credentials needed.
#   install    write .sst/platform (SST components, Pulumi packages, config.d.ts; git-ignored) if
#              it is missing; needs only the npm registry
#   typecheck  tsc over sst.config.ts, infra/ and SST's generated globals (infra/tsconfig.json)
#   test       the infra unit and synth tests (vitest, test/unit/infra)
#   all        install + typecheck (the default; CI runs this before the test suite)
# Usage: bash scripts/check-infra.sh [install|typecheck|test|all]
set -euo pipefail
cd "$(dirname "$0")/.."

step() {
  local name=$1
  shift
  local start=$SECONDS
  "$@"
  echo "check-infra: ${name} ok ($((SECONDS - start)) s)"
}

installed() {
  [[ -f .sst/platform/config.d.ts && -d .sst/platform/node_modules/@pulumi/pulumi ]]
}

install() {
  installed && return 0
  # Test files that need the platform may call this at the same time: one installs, the rest wait.
  mkdir -p .sst
  exec 9>.sst/install.lock
  flock 9
  installed && return 0
  echo "check-infra: installing SST's platform into .sst/platform"
  # SST_STAGE: no prompt for a personal stage; SKIP_DEPENDENCY_CHECK/NO_BUN: use the sst and npm
  # already installed instead of fetching bun; TELEMETRY_DISABLED: no network call home.
  SST_STAGE=ci SST_SKIP_DEPENDENCY_CHECK=1 SST_NO_BUN=1 SST_TELEMETRY_DISABLED=1 npx --no-install sst install
  if [[ ! -f .sst/platform/config.d.ts ]]; then
    echo "check-infra: sst install did not write .sst/platform/config.d.ts" >&2
    return 1
  fi
}

typecheck() {
  npx --no-install tsc --noEmit -p infra/tsconfig.json
}

unit_tests() {
  npx --no-install vitest run --config test/support/infra/vitest.config.ts
}

case "${1:-all}" in
  install) step install install ;;
  typecheck) step install install && step typecheck typecheck ;;
  test) step install install && step test unit_tests ;;
  all) step install install && step typecheck typecheck ;;
  *)
    echo "usage: bash scripts/check-infra.sh [install|typecheck|test|all]" >&2
    exit 2
    ;;
esac
