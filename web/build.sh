#!/usr/bin/env bash
# Builds the browser version into one folder any static server can serve (default web/dist):
# the app for wasm32 with the size-first `web-release` profile, wasm-bindgen (the CLI of
# exactly the version in Cargo.lock, installed if missing), wasm-opt -Oz (binaryen from npm,
# installed under web/.tools), file names carrying a hash of their content, and sizes.txt with
# what a visitor downloads. Serve .wasm as application/wasm (python3 -m http.server does).
#
#   web/build.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-web/dist}
target_dir=${CARGO_TARGET_DIR:-target}
binaryen_version=132.0.0

if command -v rustup >/dev/null; then
    rustup target add wasm32-unknown-unknown >/dev/null
fi
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $bindgen_version"; then
    echo "installing wasm-bindgen-cli $bindgen_version" >&2
    # Not --locked: the lock file pins a webpki-roots the registry mirror here does not have.
    cargo install wasm-bindgen-cli --version "$bindgen_version"
fi
wasm_opt=web/.tools/node_modules/.bin/wasm-opt
if ! "$wasm_opt" --version 2>/dev/null | grep -q "version ${binaryen_version%%.*}"; then
    echo "installing binaryen $binaryen_version (wasm-opt) from npm" >&2
    npm install --silent --prefix web/.tools "binaryen@$binaryen_version"
fi

cargo build --target wasm32-unknown-unknown --profile web-release --bin blastradius
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
wasm-bindgen --target web --no-typescript --out-dir "$stage" --out-name blastradius \
    "$target_dir/wasm32-unknown-unknown/web-release/blastradius.wasm"
"$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$stage/blastradius_bg.wasm" -o "$stage/opt.wasm"

hash() { sha256sum "$1" | cut -c1-16; }
rm -rf "$out"
mkdir -p "$out"
wasm_name="blastradius_bg-$(hash "$stage/opt.wasm").wasm"
cp "$stage/opt.wasm" "$out/$wasm_name"
sed "s/blastradius_bg\.wasm/$wasm_name/g" "$stage/blastradius.js" > "$stage/app.js"
js_name="blastradius-$(hash "$stage/app.js").js"
cp "$stage/app.js" "$out/$js_name"
sed "s/__BLASTRADIUS_JS__/$js_name/" web/index.html > "$out/index.html"

for f in "$out/index.html" "$out/$js_name" "$out/$wasm_name"; do
    printf '%s\t%d\t%d\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(gzip -9 -c "$f" | wc -c)"
done | awk -F'\t' '
    { printf "%-48s %10d bytes %10d bytes gzipped\n", $1, $2, $3; total += $3 }
    END { printf "what a visitor downloads, gzipped: %d bytes (%.2f MiB)\n", total, total / 1048576 }
' > "$out/sizes.txt"
cat "$out/sizes.txt"
