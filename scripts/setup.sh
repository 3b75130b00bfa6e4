#!/usr/bin/env bash
# Installs what fleetgate needs on a fresh machine, idempotently:
#   npm dependencies (root + policy pack workspace), the Pulumi engine (setup-engine.sh) and
#   Prometheus + Alertmanager for the local stack's monitoring (setup-monitoring.sh).
# With --test-tools it also installs what the test suite validates against
# (actionlint, zizmor, promtool, PostgreSQL); see scripts/setup-test-tools.sh.
# Prints nothing but progress on stderr and, last, `export PATH=...` lines on stdout.
# Use it as: setup_env=$(bash scripts/setup.sh) && eval "$setup_env"
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

# npm ci only when the lockfile changed since the last install (a fresh clone always installs).
# Under a lock: two setups at once in one clone must not run npm ci over each other.
stamp=node_modules/.fleetgate-lock.sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
installed() { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }
if ! installed; then
  mkdir -p .fleetgate
  if command -v flock >/dev/null 2>&1; then
    exec 8>.fleetgate/npm-ci.lock
    flock -n 8 || { echo "setup: another setup is running npm ci here; waiting for it" >&2; flock 8; }
  fi
  if ! installed; then
    echo "setup: npm ci" >&2
    npm ci --no-audit --no-fund --loglevel=error >&2 || { echo "setup: npm ci failed (see above)" >&2; exit 1; }
    echo "$want" > "$stamp"
  fi
  [ -e /dev/fd/8 ] && exec 8>&-
fi

# The fleetgate provider plugin (provider/): rebuilt when one of its sources changed.
bash scripts/build-provider.sh || { echo "setup: building the fleetgate provider plugin failed (see above)" >&2; exit 1; }

# Each step stops setup with its own message; callers must check our status before they eval
# our output (see scripts/up-local.sh): `eval "$(…)"` alone hides a failure.
engine_dir=$(bash scripts/setup-engine.sh) || { echo "setup: the Pulumi engine step failed (see above)" >&2; exit 1; }
path_add="$engine_dir"
if [ "${1:-}" = "--test-tools" ]; then
  tools_dir=$(bash scripts/setup-test-tools.sh) || { echo "setup: the test-tools step failed (see above)" >&2; exit 1; }
  path_add="$path_add:$tools_dir"
fi
# Prometheus and Alertmanager of the local stack; prints `export FLEETGATE_LOCAL_MONITORING=off`
# (with a warning) where they cannot be installed, and never fails (scripts/setup-monitoring.sh).
bash scripts/setup-monitoring.sh
echo "export PATH=\"$path_add:\$PATH\""
echo "export FLEETGATE_ENGINE_DIR=\"$engine_dir\""
