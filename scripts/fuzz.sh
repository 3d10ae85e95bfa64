#!/usr/bin/env bash
# A long fuzzing campaign of the loader (issue #19): damaged crimes files (bad lines, blank
# lines, mixed line endings, trailing garbage, padded or repeated header names, questionable
# values, UTF-16, Latin-1, gzip, truncated gzip, Parquet, truncated Parquet) through the file
# reader, one in LOAD_EVERY of them also through whole loads (plain, again, strict) into a copy
# of a store holding other data; prints its figures. The invariants: tests/store/loader_fuzz.py.
#
#   bash scripts/fuzz.sh [EXAMPLES=10000] [LOAD_EVERY=100]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python tests/store/loader_fuzz.py --examples "${1:-10000}" --load-every "${2:-100}"
