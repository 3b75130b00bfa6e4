#!/usr/bin/env bash
# Sourced by the README commands: the offline Pulumi environment for this repo's stacks.
# File backend inside the repo's gitignored state dir, no update checks, no plugin downloads.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$repo/.fleetgate/state" "$repo/.fleetgate/pulumi-home"
export PULUMI_BACKEND_URL="file://$repo/.fleetgate/state"
export PULUMI_HOME="$repo/.fleetgate/pulumi-home"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
