#!/usr/bin/env bash
# The README's test command: installs everything the suite needs, then runs lint, format
# check, type check and the whole mocha suite (unit, providers, policies, engine).
# Ends with the line `N passed, N failed, N skipped`.
#   bash scripts/test.sh                 everything
#   bash scripts/test.sh tests/x/y.test.ts   lint, format, types, then that mocha file
#   bash scripts/test.sh --unit          (npm run test:unit) only the mocha files that start no
#                                        Pulumi engine, area by area; no lint/format/types
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
setup_env=$(bash scripts/setup.sh --test-tools) || { echo "test: setup failed; fix the problem above and run again" >&2; exit 1; }
eval "$setup_env"
# shellcheck source=pulumi-env.sh
. scripts/pulumi-env.sh

unit=false
if [ "${1:-}" = "--unit" ]; then
  unit=true
  shift
fi

status=0
if [ "$unit" = false ]; then
  echo "== eslint" && npx eslint . || status=1
  echo "== prettier" && npx prettier --check . >/dev/null && echo "formatted" || { npx prettier --list-different .; status=1; }
  echo "== tsc --noEmit" && npx tsc --noEmit -p tsconfig.json && echo "types ok" || status=1
fi
# Each test area runs in its own mocha process: Pulumi's runtime state is process-global
# (setMocks, inline Automation API programs), so areas must not share one. Areas run
# FLEETGATE_TEST_JOBS at a time (default 2, one per core); each area's output is printed whole
# as soon as it ends, followed by its result line and the running count. Arguments, if any,
# are passed to a single mocha run instead (e.g. one file).
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
  reported=$((reported + 1))
  echo "[$reported/$total] $label: $p passed, $f failed, $k skipped (so far: $passed passed, $failed failed, $skipped skipped)"
}

# Files that start the Pulumi engine (or the local demo stack through it); --unit leaves them out.
ENGINE_TEST='runPulumi|LocalWorkspace|demoStack|up-local|setup-engine|engineEnv'
area_files() {
  local area=$1 f
  for f in "tests/$area"/*.test.ts; do
    [ -e "$f" ] || continue
    if [ "$unit" = true ] && grep -qE "$ENGINE_TEST" "$f"; then continue; fi
    echo "$f"
  done
}

reported=0 total=1
if [ $# -gt 0 ]; then
  run_mocha args "$@"
  report args
else
  areas=()
  for area in tests/*/; do
    area=${area%/}
    area=${area#tests/}
    [ -n "$(area_files "$area")" ] || continue
    areas+=("$area")
  done
  total=${#areas[@]}
  # Reports every area whose run has ended (its .code file exists) and that is not reported yet.
  declare -A done_areas=()
  report_ended() {
    local a
    for a in "${areas[@]}"; do
      if [ -z "${done_areas[$a]:-}" ] && [ -f "$logs/$a.code" ]; then
        done_areas[$a]=1
        running=$((running - 1))
        report "$a"
      fi
    done
  }
  running=0
  for area in "${areas[@]}"; do
    while [ "$running" -ge "$jobs" ]; do
      wait -n || true
      report_ended
    done
    mapfile -t files < <(area_files "$area")
    run_mocha "$area" "${files[@]}" &
    running=$((running + 1))
  done
  while [ "$reported" -lt "$total" ]; do
    wait -n || true
    report_ended
    # wait -n returns at once when no job is left; every area has written its .code by then.
    if ! jobs -r | grep -q .; then report_ended; break; fi
  done
fi
[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
