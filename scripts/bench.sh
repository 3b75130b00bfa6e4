#!/usr/bin/env bash
# Runs every benchmark in bench/ (or the ones named) and prints their figures.
# Benchmarks are not tests: they print numbers, they do not pass or fail on them.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
eval "$(bash scripts/setup.sh --test-tools)"
. scripts/pulumi-env.sh
benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(bench/*.ts)
for b in "${benches[@]}"; do
  echo "== $b"
  case "$b" in
    # Compiled JavaScript (scripts/build-program.sh): both sides of its ratios run without ts-node,
    # whose source-map support maps every stack trace the SDK takes (docs/benchmarks.md).
    *fleet-mocks.ts)
      dist=$(bash scripts/build-program.sh)
      node "$dist/bench/fleet-mocks.js"
      ;;
    *) npx ts-node --transpile-only "$b" ;;
  esac
done
