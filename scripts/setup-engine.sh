#!/usr/bin/env bash
# Puts a working Pulumi engine (CLI + Node.js language host + shims) on PATH. In order:
#   1. the user's own CLI, when it is at least the SDK's version and its own
#      pulumi-language-nodejs of the same version sits beside it (an official install), and a
#      policy pack runs through it (probed once per CLI/host/SDK, the answer cached);
#   2. the pinned build cached outside the clone;
#   3. else builds the pinned CLI and language host from the Go module proxy into that cache,
#      once, under a lock (two setups at once: one builds, the other waits).
# Prints the directory to prepend to PATH on its last stdout line; progress goes to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=engine/versions.env
. "$here/engine/versions.env"

say() { echo "setup-engine: $*" >&2; }
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

sdk_dist="$repo/node_modules/@pulumi/pulumi"
if [ ! -f "$sdk_dist/package.json" ] || [ ! -f "$sdk_dist/pulumi-resource-pulumi-nodejs" ]; then
  say "$sdk_dist is missing; run 'npm ci' first"
  exit 1
fi
sdk_version=$(node -p 'require(process.argv[1]).version' "$sdk_dist/package.json")
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/fleetgate/engine
cache=${FLEETGATE_ENGINE_CACHE:-$cache_root/$PULUMI_CLI_VERSION-host$PULUMI_LANGHOST_VERSION}

# Runs a policy pack through `pulumi` in $1 once; prints nothing, succeeds when the pack ran.
probe_policy_pack() {
  local bin=$1 dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/fleetgate-probe.XXXXXX")
  # The probe project lives in the clone so `require` finds its node_modules (@pulumi/policy).
  local project="$repo/.fleetgate/engine-probe-$$"
  mkdir -p "$project/pack" "$dir/state" "$dir/home"
  printf 'name: fleetgate-engine-probe\nruntime: nodejs\nmain: index.js\n' > "$project/Pulumi.yaml"
  printf 'require("@pulumi/pulumi");\n' > "$project/index.js"
  printf 'runtime: nodejs\nmain: index.js\n' > "$project/pack/PulumiPolicy.yaml"
  printf '{ "name": "fleetgate-engine-probe", "version": "0.0.0", "main": "index.js" }\n' > "$project/pack/package.json"
  cat > "$project/pack/index.js" <<'JS'
const { PolicyPack } = require("@pulumi/policy");
new PolicyPack("fleetgate-engine-probe", {
  policies: [{
    name: "probe-ran", description: "Reports once so the probe sees the pack ran.", enforcementLevel: "advisory",
    validateStack: (_args, report) => report("fleetgate-engine-probe-ran"),
  }],
});
JS
  local out ok=1
  out=$(cd "$project" && PATH="$bin:$PATH" PULUMI_BACKEND_URL="file://$dir/state" PULUMI_HOME="$dir/home" \
    PULUMI_CONFIG_PASSPHRASE=probe PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
    sh -c '"$1/pulumi" stack select probe --create --non-interactive >/dev/null 2>&1 &&
      "$1/pulumi" preview --stack probe --non-interactive --policy-pack pack 2>&1' sh "$bin") || ok=0
  rm -rf "$dir" "$project"
  if [ "$ok" = 1 ] && printf '%s' "$out" | grep -q fleetgate-engine-probe-ran; then return 0; fi
  printf '%s\n' "$out" | tail -n 5 | sed 's/^/setup-engine:   /' >&2
  return 1
}

# 1. The user's own CLI, when it is an official pair new enough for this SDK.
why_not_own=""
if [ -n "${FLEETGATE_PINNED_ENGINE:-}" ]; then
  why_not_own="FLEETGATE_PINNED_ENGINE is set"
elif ! command -v pulumi >/dev/null 2>&1; then
  why_not_own="no pulumi on PATH"
else
  own_dir=$(cd "$(dirname "$(command -v pulumi)")" && pwd)
  if [ "$own_dir" = "$cache" ]; then
    why_not_own="PATH already holds the pinned build"
  else
    have=$(pulumi version 2>/dev/null | sed 's/^v//' || true)
    host="$own_dir/pulumi-language-nodejs"
    host_have=""
    [ -x "$host" ] && host_have=$("$host" -version 2>/dev/null | sed 's/^v//' || true)
    if [ -z "$have" ]; then
      why_not_own="\`pulumi version\` printed nothing"
    elif ! version_ge "$have" "$sdk_version"; then
      why_not_own="pulumi $have on PATH is older than the SDK ($sdk_version)"
    elif [ ! -x "$host" ]; then
      why_not_own="pulumi $have has no pulumi-language-nodejs beside it in $own_dir"
    elif [ "$host_have" != "$have" ]; then
      why_not_own="pulumi $have has pulumi-language-nodejs ${host_have:-of an unknown (older) version} beside it; policy packs need the pair of one release"
    else
      key=$(printf '%s\n' "$own_dir" "$have" "$host_have" "$sdk_version" | sha256sum | cut -c1-16)
      answer="$cache_root/probe-$key"
      if [ ! -f "$answer" ]; then
        say "checking once that pulumi $have in $own_dir runs policy packs (cached in $answer)"
        mkdir -p "$cache_root"
        if probe_policy_pack "$own_dir"; then echo ok > "$answer.$$"; else echo fail > "$answer.$$"; fi
        mv -f "$answer.$$" "$answer"
      fi
      if [ "$(cat "$answer")" = ok ]; then
        say "using pulumi $have from $own_dir"
        echo "$own_dir"
        exit 0
      fi
      why_not_own="pulumi $have in $own_dir could not run a policy pack (answer cached in $answer; delete it to ask again)"
    fi
  fi
fi

engine_complete() {
  [ -x "$cache/pulumi" ] && [ -x "$cache/pulumi-language-nodejs" ] && [ -x "$cache/pulumi-analyzer-policy" ]
}

# The resource shim comes from the installed SDK; replace it (atomically) when it differs.
refresh_shim() {
  if ! cmp -s "$sdk_dist/pulumi-resource-pulumi-nodejs" "$cache/pulumi-resource-pulumi-nodejs" 2>/dev/null; then
    local tmp
    tmp=$(mktemp "$cache/.shim.XXXXXX")
    install -m 755 "$sdk_dist/pulumi-resource-pulumi-nodejs" "$tmp"
    mv -f "$tmp" "$cache/pulumi-resource-pulumi-nodejs"
  fi
}

# 2. The pinned build, already cached.
if engine_complete; then
  refresh_shim
  echo "$cache"
  exit 0
fi

# 3. Build it, once, under a lock: a second setup waits for the first and then uses its build.
mkdir -p "$cache"
lock="$cache.lock"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$lock"
  if ! flock -n 9; then
    say "another setup is building the engine into $cache; waiting for it"
    flock 9
  fi
else
  # No flock (macOS): an atomic mkdir is the lock; a stale one (its owner gone) is taken over.
  while ! mkdir "$lock.d" 2>/dev/null; do
    owner=$(cat "$lock.d/pid" 2>/dev/null || true)
    if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then rm -rf "$lock.d"; continue; fi
    say "another setup is building the engine into $cache; waiting for it"
    sleep 2
  done
  echo $$ > "$lock.d/pid"
  trap 'rm -rf "$lock.d"' EXIT
fi
if engine_complete; then
  refresh_shim
  echo "$cache"
  exit 0
fi

say "no usable Pulumi CLI: $why_not_own."
if ! command -v go >/dev/null 2>&1; then
  say "building the pinned engine needs Go (1.22 or newer), which is not on PATH. Either install Go, or install the Pulumi CLI $sdk_version or newer with its standard installer (https://www.pulumi.com/docs/install/) so that pulumi and pulumi-language-nodejs of one release are on PATH, and run this again."
  exit 1
fi
say "building Pulumi $PULUMI_CLI_VERSION (CLI) and language host $PULUMI_LANGHOST_VERSION from source with Go into $cache: about 5 minutes and about 2.6 GB of Go module and build cache, once. To skip this, install the Pulumi CLI with its standard installer and run this again."
work=$(mktemp -d "${TMPDIR:-/tmp}/fleetgate-engine.XXXXXX")
# Finished binaries wait in a unique folder on the cache's own file system, so each move into
# place is a rename (atomic), never a copy another setup could see half-written.
out=$(mktemp -d "$cache/.build.XXXXXX")
cleanup() { rm -rf "$work" "$out"; [ -d "$lock.d" ] && rm -rf "$lock.d"; return 0; }
trap cleanup EXIT
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"

# Wrapper modules (no Go files): pinned go.mod + go.sum live in scripts/engine/.
mkdir -p "$work/cli" "$work/host"
cp "$here/engine/cli/go.mod" "$work/cli/go.mod"
[ -f "$here/engine/cli/go.sum" ] && cp "$here/engine/cli/go.sum" "$work/cli/go.sum"
cp "$here/engine/host/go.mod" "$work/host/go.mod"
[ -f "$here/engine/host/go.sum" ] && cp "$here/engine/host/go.sum" "$work/host/go.sum"

(cd "$work/cli" && go build -trimpath -tags osusergo,grpcnotrace \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_CLI_VERSION" \
  -o "$out/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) >&2
(cd "$work/host" && go build -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_LANGHOST_VERSION" \
  -o "$out/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs) >&2

host_dist="$(cd "$work/host" && go env GOMODCACHE)/github.com/pulumi/pulumi/sdk/v3@$PULUMI_LANGHOST_VERSION/nodejs/dist"
install -m 755 "$host_dist/pulumi-analyzer-policy" "$out/pulumi-analyzer-policy"
install -m 755 "$sdk_dist/pulumi-resource-pulumi-nodejs" "$out/pulumi-resource-pulumi-nodejs"
# Into place, `pulumi` last: engine_complete() sees a finished build or none.
for f in pulumi-resource-pulumi-nodejs pulumi-analyzer-policy pulumi-language-nodejs pulumi; do
  mv -f "$out/$f" "$cache/$f"
done
"$cache/pulumi" version >&2
echo "$cache"
