#!/usr/bin/env bash
# Runs the real app in a real window under Xvfb with Mesa's software Vulkan (llvmpipe), lets
# it run for some seconds, saves a screenshot with Bevy's screenshot API and fails if the
# frame is blank (the app checks the captured pixels and exits 3). Needs the Debian packages
# xvfb and mesa-vulkan-drivers, and a binary built with the default `app` feature.
#
#   scripts/screenshot.sh [OUT.png] [SECONDS]
#
# BLASTRADIUS_WINDOW=1920x1080 sets the window (and screen) size; BLASTRADIUS_CHAOS injects,
# e.g. BLASTRADIUS_CHAOS="cache-stampede@4s" for the README's picture.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-screenshot.png}
after=${2:-8}
bin=${BLASTRADIUS_BIN:-${CARGO_TARGET_DIR:-target}/debug/blastradius}
rm -f "$out"
# The default blueprint, not a restored autosave; the autosave goes to a throwaway file.
export BLASTRADIUS_BLUEPRINT=${BLASTRADIUS_BLUEPRINT:-three-tier}
export BLASTRADIUS_WINDOW=${BLASTRADIUS_WINDOW:-1280x720}
export BLASTRADIUS_AUTOSAVE=${BLASTRADIUS_AUTOSAVE:-$(mktemp -u /tmp/blastradius-autosave.XXXXXX.ron)}
BLASTRADIUS_SCREENSHOT="$out" BLASTRADIUS_SCREENSHOT_AFTER="$after" \
    timeout 300 xvfb-run -a -s "-screen 0 ${BLASTRADIUS_WINDOW}x24" env WGPU_BACKEND=vulkan "$bin"
test -s "$out" || { echo "no screenshot at $out" >&2; exit 1; }
echo "screenshot: $out ($(stat -c %s "$out") bytes)"
