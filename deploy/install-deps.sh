#!/usr/bin/env bash
# Installs what Remora needs on a fresh Debian machine, only when it is missing:
# libzmq (headers + pkg-config), the PostgreSQL server binaries, and for the tests python3's pip
# with kubernetes-validate and docker-compose 1.29.2's Compose schema (PyPI, into .build/pytools:
# the deployment files' schema checks).
# With the argument `test` (make test), also Debian's chromium: the dashboard's browser test.
# Swift itself is expected on PATH (Swift 6.1 or newer).
set -euo pipefail

missing=()
pkg-config --exists libzmq 2>/dev/null || missing+=(libzmq3-dev pkg-config)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
if [ "${1:-}" = "test" ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null 2>&1 || { echo "swift not found on PATH (install Swift 6.1+ from swift.org)" >&2; exit 1; }

tools="$(cd "$(dirname "$0")/.." && pwd)/.build/pytools"
if ! PYTHONPATH="$tools" python3 -c "import kubernetes_validate" 2>/dev/null; then
  echo "installing: kubernetes-validate (into .build/pytools)"
  python3 -m pip install --quiet --disable-pip-version-check --target "$tools" kubernetes-validate 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages --target "$tools" kubernetes-validate \
    || echo "kubernetes-validate could not be installed: the Kubernetes schema test will say it skipped" >&2
fi
if [ ! -f "$tools/compose/config/compose_spec.json" ]; then
  echo "installing: the Compose schema of docker-compose 1.29.2 (into .build/pytools)"
  python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$tools" "docker-compose==1.29.2" 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check --no-deps --break-system-packages --target "$tools" "docker-compose==1.29.2" \
    || echo "the Compose schema could not be installed: its test will say it skipped" >&2
fi
