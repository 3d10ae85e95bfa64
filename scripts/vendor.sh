#!/usr/bin/env bash
# Re-fetch the browser libraries the dashboard serves (src/forcestat/web/static/vendor/) and the
# axe-core the browser tests inject (tests/web/vendor/), from the npm registry, at the pinned
# versions below. `npm pack` checks each tarball against the registry's integrity hash; the
# copied files are then checked against SHA256SUMS, so a re-fetch gives the same bytes (run
# with --update to rewrite SHA256SUMS after changing a version). No CDN is ever used.
set -euo pipefail
cd "$(dirname "$0")/.."

HTMX=2.0.11
VEGA=6.4.0
VEGA_LITE=6.5.0
VEGA_EMBED=7.3.0
AXE=4.14.1

STATIC=src/forcestat/web/static/vendor
TESTS=tests/web/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch NAME VERSION -> unpacked into $work/NAME/package
  mkdir -p "$work/$1"
  (cd "$work/$1" && npm pack --silent "$1@$2" >/dev/null && tar xzf ./*.tgz)
}

fetch htmx.org "$HTMX"
fetch vega "$VEGA"
fetch vega-lite "$VEGA_LITE"
fetch vega-embed "$VEGA_EMBED"
fetch axe-core "$AXE"

mkdir -p "$STATIC/htmx" "$STATIC/vega" "$TESTS/axe-core"
cp "$work/htmx.org/package/dist/htmx.min.js" "$STATIC/htmx/htmx.min.js"
cp "$work/htmx.org/package/LICENSE" "$STATIC/htmx/LICENSE.txt"
cp "$work/vega/package/build/vega.min.js" "$STATIC/vega/vega.min.js"
cp "$work/vega/package/LICENSE" "$STATIC/vega/LICENSE-vega.txt"
cp "$work/vega-lite/package/build/vega-lite.min.js" "$STATIC/vega/vega-lite.min.js"
cp "$work/vega-lite/package/LICENSE" "$STATIC/vega/LICENSE-vega-lite.txt"
cp "$work/vega-embed/package/build/vega-embed.min.js" "$STATIC/vega/vega-embed.min.js"
cp "$work/vega-embed/package/LICENSE" "$STATIC/vega/LICENSE-vega-embed.txt"
cp "$work/axe-core/package/axe.min.js" "$TESTS/axe-core/axe.min.js"
cp "$work/axe-core/package/LICENSE" "$TESTS/axe-core/LICENSE.txt"

files=$(cd . && find "$STATIC" "$TESTS" -type f \( -name '*.js' -o -name 'LICENSE*' \) | sort)
if [ "${1:-}" = "--update" ]; then
  # shellcheck disable=SC2086
  sha256sum $files > "$STATIC/SHA256SUMS"
  echo "vendor: wrote $STATIC/SHA256SUMS"
else
  sha256sum --quiet -c "$STATIC/SHA256SUMS"
  echo "vendor: every file matches $STATIC/SHA256SUMS"
fi
