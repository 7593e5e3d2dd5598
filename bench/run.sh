#!/bin/bash
# Benchmark emunet's e1000 against QEMU's own e1000 (see bench/README.md).
# Installs what is missing (scripts/deps.sh), builds an optimized emunet
# and nicbench in build-bench, runs nicbench and writes the markdown table
# to bench/results/e1000.md as well as stdout. Extra arguments go to
# nicbench (e.g. --runs 7, --only qemu, --rows tx64,rx64).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Build output goes to stderr: stdout carries the report only.
bash scripts/deps.sh >&2
if [ ! -f build-bench/build.ninja ]; then
    meson setup build-bench --buildtype=release >&2
fi
ninja -C build-bench emunet bench/nicbench >&2

mkdir -p bench/results
out=bench/results/e1000.md
tmp=$(mktemp bench/results/.e1000.XXXXXX)
trap 'rm -f "$tmp"' EXIT
build-bench/bench/nicbench "$@" >"$tmp"
mv "$tmp" "$out"
cat "$out"
echo "written to $out" >&2
