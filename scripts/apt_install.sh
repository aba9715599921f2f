#!/usr/bin/env bash
# Install Debian packages a fresh machine lacks (Chromium for the browser tests, and on a bare
# box PostgreSQL, Redis, Python 3.11 or npm). Called only when something is missing, so the
# package lists are refreshed each time: a stale list is the usual cause of "Unable to locate".
set -euo pipefail

if [ "$#" -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt_install: apt-get not found; install these yourself: $*" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo -n)
else
  echo "apt_install: need root (or sudo) to install: $*" >&2
  exit 1
fi

echo "apt_install: installing $*" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "$@"
