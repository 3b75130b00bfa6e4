#!/usr/bin/env bash
# Installs what fleetgate needs on a fresh machine, idempotently:
#   npm dependencies (root + policy pack workspace) and the Pulumi engine (setup-engine.sh).
# With --test-tools it also installs what the test suite validates against
# (actionlint, zizmor, promtool, PostgreSQL); see scripts/setup-test-tools.sh.
# Prints nothing but progress on stderr and, last, `export PATH=...` lines on stdout.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

# npm ci only when the lockfile changed since the last install (a fresh clone always installs).
stamp=node_modules/.fleetgate-lock.sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi

# The fleetgate provider plugin (provider/): rebuilt when one of its sources changed.
bash scripts/build-provider.sh

engine_dir=$(bash scripts/setup-engine.sh)
path_add="$engine_dir"
if [ "${1:-}" = "--test-tools" ]; then
  tools_dir=$(bash scripts/setup-test-tools.sh)
  path_add="$path_add:$tools_dir"
fi
echo "export PATH=\"$path_add:\$PATH\""
echo "export FLEETGATE_ENGINE_DIR=\"$engine_dir\""
