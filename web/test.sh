#!/usr/bin/env bash
# Runs the browser build's end-to-end test (web/e2e.mjs) in Debian's chromium through
# playwright-core, decoding screenshots with pngjs (both installed under web/.tools; the test
# tool's own browser download is not used). The expected digest comes from the native binary
# running the same headless run.
#
#   web/test.sh DIST_DIR NATIVE_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${1:-web/dist}
bin=${2:-${CARGO_TARGET_DIR:-target}/debug/blastradius}
playwright_version=1.65.1
pngjs_version=7.0.0
if [ ! -d web/.tools/node_modules/playwright-core ] || [ ! -d web/.tools/node_modules/pngjs ]; then
    npm install --silent --prefix web/.tools "playwright-core@$playwright_version" "pngjs@$pngjs_version"
fi
digest=$("$bin" run three-tier --scenario cache-stampede --seed 7 --duration 40s --quiet |
    sed -n 's/^metrics digest \(0x[0-9a-f]*\).*/\1/p')
test -n "$digest" || { echo "the native run printed no digest" >&2; exit 1; }
echo "native metrics digest: $digest"
node web/e2e.mjs "$dist" "$digest"
