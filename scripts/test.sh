#!/usr/bin/env bash
# The README's test command: installs everything the suite needs, then runs lint, format
# check, type check and the whole mocha suite (unit, providers, policies, engine).
# Ends with the line `N passed, N failed[, N skipped]`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
setup_env=$(bash scripts/setup.sh --test-tools) || { echo "test: setup failed; fix the problem above and run again" >&2; exit 1; }
eval "$setup_env"
# shellcheck source=pulumi-env.sh
. scripts/pulumi-env.sh

status=0
echo "== eslint" && npx eslint . || status=1
echo "== prettier" && npx prettier --check . >/dev/null && echo "formatted" || { npx prettier --list-different .; status=1; }
echo "== tsc --noEmit" && npx tsc --noEmit -p tsconfig.json && echo "types ok" || status=1
# Each test area runs in its own mocha process: Pulumi's runtime state is process-global
# (setMocks, inline Automation API programs), so areas must not share one. Areas run
# FLEETGATE_TEST_JOBS at a time (default 2, one per core); each area's output is printed whole
# when it ends. Arguments, if any, are passed to a single mocha run instead (e.g. one file).
jobs=${FLEETGATE_TEST_JOBS:-2}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# Runs one mocha process; its output goes to $logs/<label>.log and its exit code to .code.
run_mocha() {
  local label=$1; shift
  set +e
  npx mocha --reporter ./tests/support/summary-reporter.js "$@" >"$logs/$label.log" 2>&1
  echo $? >"$logs/$label.code"
  set -e
}

passed=0 failed=0 skipped=0
# Prints an area's output and adds its closing line to the totals.
report() {
  local label=$1
  echo "== mocha: $label"
  cat "$logs/$label.log"
  local code line
  code=$(cat "$logs/$label.code")
  if [ "$code" -ne 0 ]; then
    # Also when every test passed: e.g. Pulumi's promise-leak check at exit (a test left
    # registrations in flight) sets the code; the output above says which.
    echo "mocha ($label) exited with code $code" >&2
    status=1
  fi
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$logs/$label.log" | tail -n1 || true)
  if [ -z "$line" ]; then
    echo "mocha ($label) ended without a summary" >&2
    status=1
    return
  fi
  read -r p _ f _ k _ <<<"${line//,/}"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + k))
}

if [ $# -gt 0 ]; then
  run_mocha args "$@"
  report args
else
  areas=()
  for area in tests/*/; do
    area=${area%/}
    compgen -G "$area/*.test.ts" >/dev/null || continue
    areas+=("${area#tests/}")
  done
  running=0
  for area in "${areas[@]}"; do
    if [ "$running" -ge "$jobs" ]; then
      wait -n || true
      running=$((running - 1))
    fi
    run_mocha "$area" "tests/$area/**/*.test.ts" &
    running=$((running + 1))
  done
  wait || true
  for area in "${areas[@]}"; do report "$area"; done
fi
[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
