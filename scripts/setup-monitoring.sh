#!/usr/bin/env bash
# The local stack's own monitoring (alarms.localMonitoring in Pulumi.local.yaml): installs
# Debian's `prometheus` and `prometheus-alertmanager` when missing, with apt (as root, or via
# password-less sudo). Where that is impossible (no apt-get, e.g. macOS; no root; a failed
# install) it warns on stderr and prints `export FLEETGATE_LOCAL_MONITORING=off` on stdout: the
# program then brings the local stack up without Prometheus and Alertmanager (docs/local.md).
# Never fails: monitoring is optional for the local stack.
set -uo pipefail
# shellcheck source=apt-install.sh
. "$(dirname "$0")/apt-install.sh"

missing=()
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
[ ${#missing[@]} -eq 0 ] && exit 0

off() {
  echo "setup: WARNING: $1; the local stack comes up without its own monitoring. Install Debian's prometheus and prometheus-alertmanager (or put both programs on PATH) and run again to get it (docs/local.md)." >&2
  echo "export FLEETGATE_LOCAL_MONITORING=off"
  exit 0
}
if ! command -v apt-get >/dev/null 2>&1; then
  off "${missing[*]} not installed and apt-get is not available here"
fi
apt_usable || off "${missing[*]} not installed and apt-get needs root (run this as root, or with password-less sudo)"
echo "setup: ${missing[*]} (Debian packages, for the local stack's monitoring)" >&2
apt_install "${missing[@]}" || off "apt-get install ${missing[*]} failed (see above)"
for program in prometheus prometheus-alertmanager; do
  command -v "$program" >/dev/null 2>&1 || off "the Debian packages installed, but $program is not on PATH"
done
