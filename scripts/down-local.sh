#!/usr/bin/env bash
# Tears the local demo down: stops every service process and the stack's Prometheus and
# Alertmanager (SIGTERM, then SIGKILL after a grace period), removes the env files the stack
# owns, empties the `local` stack, then checks that none of those processes is left. Logs and the
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
# The pid of every process the stack started (services, Prometheus, Alertmanager), to check after.
# shellcheck disable=SC2016 # JavaScript, not shell
pids=$(pulumi stack export --stack local 2>/dev/null | node -e '
  let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => {
    const rs = (s && JSON.parse(s).deployment.resources) || [];
    console.log(rs.map((r) => r.outputs && r.outputs.pid).filter((p) => Number.isInteger(p) && p > 0).join(" "));
  });' || true)
pulumi destroy --stack local --yes --non-interactive --skip-preview "$@"
left=0
for pid in $pids; do
  # A zombie (Z: its parent has not reaped it yet) holds no port and runs nothing.
  stat=$(ps -o stat= -p "$pid" 2>/dev/null || true)
  if [ -n "$stat" ] && [ "${stat#Z}" = "$stat" ]; then
    echo "down-local: process $pid still runs: $(ps -o args= -p "$pid"); stop it with: kill $pid" >&2
    left=1
  fi
done
[ "$left" = 0 ] && echo "down-local: no process of the local stack is left (services, Prometheus, Alertmanager)"
exit "$left"
