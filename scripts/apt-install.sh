#!/usr/bin/env bash
# Sourced, not run: the one apt helper of the setup scripts (setup-test-tools.sh,
# setup-monitoring.sh). `apt_usable` says whether packages can be installed here (apt-get on
# PATH, and root or password-less sudo); `apt_install PKG...` installs them quietly, running
# `apt-get update` once per script. Progress goes to stderr: stdout is the caller's output.
apt_updated=
apt_sudo=
apt_usable() {
  command -v apt-get >/dev/null 2>&1 || return 1
  [ "${EUID:-$(id -u)}" = 0 ] && return 0
  command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && apt_sudo=sudo
}
apt_install() {
  [ -n "$apt_updated" ] || { $apt_sudo apt-get update -qq >&2; apt_updated=1; }
  $apt_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}
