#!/usr/bin/env bash
# The README's main command: deploy the demo fleet to this machine (no cloud account needed).
# Installs what is needed (npm dependencies, the offline Pulumi engine), runs
# `pulumi up --stack local --yes`, and prints the URLs, the smoke checks and the database
# tables before and after. Running it again with no change is a no-op.
# Companion: scripts/down-local.sh stops everything.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# Capture first, check, then eval: a failed setup must stop here with its message.
setup_env=$(bash scripts/setup.sh) || { echo "up-local: setup failed; fix the problem above and run again" >&2; exit 1; }
eval "$setup_env"
# shellcheck source=pulumi-env.sh
. scripts/pulumi-env.sh
# The local stack holds only secrets it generated itself for the demo, so a fixed, documented
# passphrase is enough. Never reuse it for a stack that holds real secrets.
export PULUMI_CONFIG_PASSPHRASE="${FLEETGATE_LOCAL_PASSPHRASE:-fleetgate-local-demo-only}"

pulumi stack select local --create --non-interactive >/dev/null 2>&1 ||
  pulumi stack select local --create --non-interactive
# Type checking is `npm test`'s job; the engine only transpiles the program (much faster).
export PULUMI_NODEJS_TRANSPILE_ONLY=true

# The integrity gate snapshots the demo database before the deploy and refuses a missing one;
# the worker applies the migrations during the deploy. Create it, empty, on the first run.
if [ "$(pulumi config get --path fleetgate:gates.integrity.engine --stack local 2>/dev/null)" = duckdb ]; then
  node examples/demo/worker/init-db.js "$(pulumi config get --path fleetgate:gates.integrity.connection --stack local)"
fi

pulumi up --stack local --yes --non-interactive --skip-preview "$@"
npx ts-node --transpile-only scripts/local-summary.ts
# Where the stack's own monitoring answers (alarms.localMonitoring; docs/local.md "Monitoring").
monitoring=$(pulumi stack output monitoring --json --stack local 2>/dev/null || true)
if [ -n "$monitoring" ] && [ "$monitoring" != "null" ]; then
  # shellcheck disable=SC2016 # a JavaScript template literal, not shell
  node -e 'const m = JSON.parse(process.argv[1]); console.log(`monitoring:
  Prometheus    ${m.prometheus}/targets (scrapes), ${m.prometheus}/alerts (rules and firing alerts)
  Alertmanager  ${m.alertmanager}/#/alerts (where the local stack delivers its alerts)`)' "$monitoring"
  echo "  configs, data and logs: .fleetgate/local/local/monitoring/"
elif [ "${FLEETGATE_LOCAL_MONITORING:-}" = off ]; then
  echo "monitoring: off (Prometheus and Alertmanager are not installed; see the setup warning above and docs/local.md)"
fi
