#!/usr/bin/env bash
# The README's test command: installs everything the suite needs, then runs lint, format
# check, type check and the whole mocha suite (unit, providers, policies, engine).
# Ends with the line `N passed, N failed[, N skipped]`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
eval "$(bash scripts/setup.sh --test-tools)"
# shellcheck source=pulumi-env.sh
. scripts/pulumi-env.sh

status=0
echo "== eslint" && npx eslint . || status=1
echo "== prettier" && npx prettier --check . >/dev/null && echo "formatted" || { npx prettier --list-different .; status=1; }
echo "== tsc --noEmit" && npx tsc --noEmit -p tsconfig.json && echo "types ok" || status=1
echo "== mocha"
# The spec lives here, not in .mocharc.json, so `npx mocha tests/<area>` runs just that area.
npx mocha --reporter ./tests/support/summary-reporter.js "${@:-tests/**/*.test.ts}" || status=1
exit $status
