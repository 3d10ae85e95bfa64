#!/usr/bin/env bash
# Sets up everything forcestat needs on a fresh Debian machine: system packages listed in
# scripts/system-packages.txt (when missing, via apt-get), then .venv with forcestat and its
# pinned Python dependencies. Idempotent: a second run checks and does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

want=$(grep -v '^\s*#' scripts/system-packages.txt | grep -v '^\s*$' || true)
missing=()
for pkg in $want; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v java >/dev/null 2>&1; then
    # A JDK 17 already on the machine serves Spark; do not pull a second one.
    missing=("${missing[@]/openjdk-17-jre-headless}")
  fi
  pkgs=$(printf '%s ' "${missing[@]}" | xargs)
  if [ -n "$pkgs" ]; then
    echo "setup: installing system packages: $pkgs" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.forcestat-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing forcestat and its pinned dependencies into .venv" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip 2>/dev/null
  if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]" \
      >.venv/pip-install.log 2>&1; then
    tail -n 30 .venv/pip-install.log >&2
    echo "setup: pip install failed (full log: .venv/pip-install.log)" >&2
    exit 1
  fi
  .venv/bin/forcestat --help >/dev/null  # fails loudly if the install did not work
  touch "$stamp"
fi
