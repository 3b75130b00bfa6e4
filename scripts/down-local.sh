#!/usr/bin/env bash
# Tears the local demo down: stops every service process (SIGTERM, then SIGKILL after a grace
# period), removes the env files the stack owns, and empties the `local` stack. Logs and the
# demo database stay under .fleetgate/local/local/ (remove that folder to start from scratch).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# Capture first, check, then eval: a failed setup must stop here with its message.
setup_env=$(bash scripts/setup.sh) || { echo "down-local: setup failed; fix the problem above and run again" >&2; exit 1; }
eval "$setup_env"
# shellcheck source=pulumi-env.sh
. scripts/pulumi-env.sh
export PULUMI_CONFIG_PASSPHRASE="${FLEETGATE_LOCAL_PASSPHRASE:-fleetgate-local-demo-only}"
if ! pulumi stack select local --non-interactive >/dev/null 2>&1; then
  echo "no local stack: nothing to tear down"
  exit 0
fi
pulumi destroy --stack local --yes --non-interactive --skip-preview "$@"
