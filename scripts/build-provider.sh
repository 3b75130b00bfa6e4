#!/usr/bin/env bash
# Builds the fleetgate provider plugin: bundles provider/index.ts (and what it imports from the
# repository) into provider/bin/index.js with esbuild, so the engine starts compiled JavaScript
# (no ts-node). Skips the build when no source changed since the last one.
# Usage: bash scripts/build-provider.sh [--force]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
out=provider/bin/index.js
stamp=provider/bin/.sources.sha
sources=$( (find provider -name '*.ts' -not -path 'provider/bin/*' -not -path 'provider/sdk/*'; echo config/image.ts) | sort)
# shellcheck disable=SC2086
want=$(cat $sources package-lock.json | sha256sum | cut -d' ' -f1)
if [ "${1:-}" != "--force" ] && [ -f "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "build-provider: esbuild provider/index.ts" >&2
mkdir -p provider/bin
# Build beside the target and rename: two setups at once never leave a half-written plugin.
tmp=$(mktemp -d provider/bin/.build.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
node_modules/.bin/esbuild provider/index.ts --bundle --platform=node --target=node20 \
  --external:@pulumi/pulumi --external:@grpc/grpc-js --external:google-protobuf \
  --sourcemap --log-level=warning --outfile="$tmp/index.js" >&2
mv -f "$tmp/index.js.map" "$out.map"
mv -f "$tmp/index.js" "$out"
echo "$want" > "$tmp/stamp" && mv -f "$tmp/stamp" "$stamp"
