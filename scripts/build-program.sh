#!/usr/bin/env bash
# Compiles the program (index.ts and what it imports, bench/ included; not the tests) to
# JavaScript in dist/ with tsc (tsconfig.build.json), so it runs without ts-node. Skips the build
# when no source changed since the last one. Prints the path of dist/.
# Usage: bash scripts/build-program.sh [--force]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
stamp=dist/.sources.sha
sources=$(find index.ts config components providers provider lib bench lambda tests/support \
  -name '*.ts' -not -path 'provider/bin/*' -not -path '*/node_modules/*' 2>/dev/null | sort)
# shellcheck disable=SC2086
want=$(cat $sources tsconfig.json tsconfig.build.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ "${1:-}" != "--force" ] && [ -f dist/index.js ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$repo/dist"
  exit 0
fi
echo "build-program: tsc -p tsconfig.build.json" >&2
rm -f "$stamp"
node_modules/.bin/tsc -p tsconfig.build.json >&2
echo "$want" > "$stamp"
echo "$repo/dist"
