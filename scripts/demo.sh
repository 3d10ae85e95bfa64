#!/usr/bin/env bash
# One command for a fresh machine: set everything up, then build the demo store from the
# built-in synthetic force and write its Board report into ./demo (or the folder given).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/forcestat demo --out "${1:-demo}"
