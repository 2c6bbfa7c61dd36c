#!/usr/bin/env bash
# Installs what Remora needs on a fresh Debian machine, only when it is missing:
# libzmq (headers + pkg-config) and the PostgreSQL server binaries. Swift itself is expected
# on PATH (Swift 6.1 or newer).
set -euo pipefail

missing=()
pkg-config --exists libzmq 2>/dev/null || missing+=(libzmq3-dev pkg-config)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null 2>&1 || { echo "swift not found on PATH (install Swift 6.1+ from swift.org)" >&2; exit 1; }
