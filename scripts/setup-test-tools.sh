#!/usr/bin/env bash
# Installs the real validators and servers the test suite runs against, when missing:
#   actionlint (Go module proxy), zizmor (PyPI), promtool (Debian `prometheus`), shellcheck,
#   PostgreSQL server binaries (Debian `postgresql`), an OCI registry (Debian `docker-registry`),
#   crane (Go module proxy) to push test images without a Docker engine, amtool + Alertmanager
#   (Debian `prometheus-alertmanager`), moto_server (PyPI `moto[server]`, an S3-compatible server).
# Pinned versions; installed into a cache outside the clone. Prints the bin dir to add to PATH.
set -euo pipefail
ACTIONLINT_VERSION=v1.7.12
ZIZMOR_VERSION=1.32.0
CRANE_VERSION=v0.22.1
MOTO_VERSION=5.2.5
cache=${FLEETGATE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fleetgate/tools}
bin="$cache/bin"
mkdir -p "$bin"

if [ ! -x "$bin/actionlint-$ACTIONLINT_VERSION" ]; then
  echo "setup-test-tools: actionlint $ACTIONLINT_VERSION" >&2
  GOBIN="$cache/gobin" CGO_ENABLED=0 go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2
  mv "$cache/gobin/actionlint" "$bin/actionlint-$ACTIONLINT_VERSION"
fi
ln -sf "actionlint-$ACTIONLINT_VERSION" "$bin/actionlint"

if [ ! -x "$cache/zizmor-$ZIZMOR_VERSION/bin/zizmor" ]; then
  echo "setup-test-tools: zizmor $ZIZMOR_VERSION" >&2
  python3 -m venv "$cache/zizmor-$ZIZMOR_VERSION" >&2
  "$cache/zizmor-$ZIZMOR_VERSION/bin/pip" install --quiet "zizmor==$ZIZMOR_VERSION" >&2
fi
ln -sf "../zizmor-$ZIZMOR_VERSION/bin/zizmor" "$bin/zizmor"

if [ ! -x "$bin/crane-$CRANE_VERSION" ]; then
  echo "setup-test-tools: crane $CRANE_VERSION" >&2
  GOBIN="$cache/gobin" CGO_ENABLED=0 go install "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION" >&2
  mv "$cache/gobin/crane" "$bin/crane-$CRANE_VERSION"
fi
ln -sf "crane-$CRANE_VERSION" "$bin/crane"
# moto_server: an S3-compatible server on loopback for the evidence and state-backend tests.
if [ ! -x "$cache/moto-$MOTO_VERSION/bin/moto_server" ]; then
  echo "setup-test-tools: moto[server] $MOTO_VERSION" >&2
  python3 -m venv "$cache/moto-$MOTO_VERSION" >&2
  "$cache/moto-$MOTO_VERSION/bin/pip" install --quiet "moto[server]==$MOTO_VERSION" >&2
fi
ln -sf "../moto-$MOTO_VERSION/bin/moto_server" "$bin/moto_server"

# shellcheck source=apt-install.sh
. "$(dirname "$0")/apt-install.sh"
apt_usable || true # sudo when not root and sudo allows it; else apt-get fails with its message
if ! command -v promtool >/dev/null 2>&1; then
  echo "setup-test-tools: promtool (Debian prometheus)" >&2
  apt_install prometheus
  # The package may start a server under systemd elsewhere; tests only need promtool.
fi
if ! command -v shellcheck >/dev/null 2>&1; then
  # actionlint checks `run:` scripts with shellcheck when it is on PATH.
  echo "setup-test-tools: shellcheck (Debian)" >&2
  apt_install shellcheck
fi
if ! command -v amtool >/dev/null 2>&1 || ! command -v prometheus-alertmanager >/dev/null 2>&1; then
  # amtool validates the generated Alertmanager config; the local stack runs Alertmanager.
  echo "setup-test-tools: amtool and Alertmanager (Debian prometheus-alertmanager)" >&2
  apt_install prometheus-alertmanager
fi
# PostgreSQL is found where Debian puts it (tests/support/postgres.ts); it is not linked into
# $bin, which lives under root's home where the postgres user cannot execute it.
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "setup-test-tools: PostgreSQL server (Debian postgresql)" >&2
  apt_install postgresql
fi
if ! command -v docker-registry >/dev/null 2>&1; then
  # The release tests push images to a real registry on loopback (tests/release).
  echo "setup-test-tools: OCI registry (Debian docker-registry)" >&2
  apt_install docker-registry
fi
echo "$bin"
