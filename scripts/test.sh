#!/usr/bin/env bash
# One command for a fresh machine: set everything up, then run the linter and every test
# (including the Spark conformance and browser tests). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check src tests benchmarks
exec .venv/bin/python -m pytest -q "$@"
