#!/usr/bin/env bash
# Puts a working Pulumi engine (CLI + Node.js language host + shims) on PATH without
# downloading any prebuilt binary: uses a fitting `pulumi` already on PATH, else a cached
# build, else builds it once from the Go module proxy into a cache outside the clone.
# Prints the directory to prepend to PATH on its last line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=engine/versions.env
. "$here/engine/versions.env"

want=${PULUMI_CLI_VERSION#v}
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

if command -v pulumi >/dev/null 2>&1 && command -v pulumi-language-nodejs >/dev/null 2>&1; then
  have=$(pulumi version 2>/dev/null | sed 's/^v//')
  # Only an exact match is safe for policy packs (see versions.env); newer CLIs break them.
  if [ "$have" = "$want" ]; then
    dirname "$(command -v pulumi)"
    exit 0
  fi
fi

cache=${FLEETGATE_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fleetgate/engine/$PULUMI_CLI_VERSION-host$PULUMI_LANGHOST_VERSION}
sdk_dist="$repo/node_modules/@pulumi/pulumi"
if [ ! -f "$sdk_dist/pulumi-resource-pulumi-nodejs" ]; then
  echo "setup-engine: $sdk_dist is missing; run 'npm ci' first" >&2
  exit 1
fi

if [ -x "$cache/pulumi" ] && [ -x "$cache/pulumi-language-nodejs" ] && [ -x "$cache/pulumi-analyzer-policy" ]; then
  # The shim comes from the installed SDK; refresh it so it always matches node_modules.
  install -m 755 "$sdk_dist/pulumi-resource-pulumi-nodejs" "$cache/pulumi-resource-pulumi-nodejs"
  echo "$cache"
  exit 0
fi

command -v go >/dev/null 2>&1 || { echo "setup-engine: Go is required to build the Pulumi engine" >&2; exit 1; }
echo "setup-engine: building Pulumi $PULUMI_CLI_VERSION (CLI) and language host $PULUMI_LANGHOST_VERSION into $cache (first run only, a few minutes)" >&2
mkdir -p "$cache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"

# Wrapper modules (no Go files): pinned go.mod + go.sum live in scripts/engine/.
mkdir -p "$work/cli" "$work/host"
cp "$here/engine/cli/go.mod" "$work/cli/go.mod"
[ -f "$here/engine/cli/go.sum" ] && cp "$here/engine/cli/go.sum" "$work/cli/go.sum"
cp "$here/engine/host/go.mod" "$work/host/go.mod"
[ -f "$here/engine/host/go.sum" ] && cp "$here/engine/host/go.sum" "$work/host/go.sum"

(cd "$work/cli" && go build -trimpath -tags osusergo,grpcnotrace \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_CLI_VERSION" \
  -o "$cache/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) >&2
(cd "$work/host" && go build -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_LANGHOST_VERSION" \
  -o "$cache/pulumi-language-nodejs.tmp" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs) >&2

host_dist="$(cd "$work/host" && go env GOMODCACHE)/github.com/pulumi/pulumi/sdk/v3@$PULUMI_LANGHOST_VERSION/nodejs/dist"
install -m 755 "$host_dist/pulumi-analyzer-policy" "$cache/pulumi-analyzer-policy"
install -m 755 "$sdk_dist/pulumi-resource-pulumi-nodejs" "$cache/pulumi-resource-pulumi-nodejs"
mv "$cache/pulumi-language-nodejs.tmp" "$cache/pulumi-language-nodejs"
mv "$cache/pulumi.tmp" "$cache/pulumi"
"$cache/pulumi" version >&2
echo "$cache"
