#!/bin/bash
# Benchmark emunet's e1000 against QEMU's own e1000 (see bench/README.md).
# Installs what is missing (scripts/deps.sh), builds an optimized emunet
# and nicbench in build-bench, runs nicbench and writes the markdown table
# to bench/results/e1000.md as well as stdout. Extra arguments go to
# nicbench (e.g. --runs 7, --only qemu, --rows tx64,rx64); with
# "--nic rtl8139" the rtl8139 rows run and go to bench/results/rtl8139.md.
# With --xen first, xenbench runs instead: the ioreq path (emunet on
# xen-sim) next to qtest, to bench/results/xen.md; the rest goes to it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Build output goes to stderr: stdout carries the report only.
bash scripts/deps.sh >&2
if [ ! -f build-bench/build.ninja ]; then
    meson setup build-bench --buildtype=release >&2
fi
if [ "${1:-}" = --xen ]; then
    shift
    # Regenerate first: a stale build.ninja may not know the target yet.
    ninja -C build-bench build.ninja >&2
    if ! ninja -C build-bench -t targets all | grep -q '^xenbench-all:'; then
        echo "run.sh: no xenbench: xen-sim needs libxen-dev" >&2
        exit 1
    fi
    ninja -C build-bench xenbench-all >&2
    mkdir -p bench/results
    tmp=$(mktemp bench/results/.xen.XXXXXX)
    trap 'rm -f "$tmp"' EXIT
    build-bench/bench/xenbench "$@" >"$tmp"
    mv "$tmp" bench/results/xen.md
    cat bench/results/xen.md
    echo "written to bench/results/xen.md" >&2
    exit 0
fi
ninja -C build-bench emunet bench/nicbench >&2

nic=e1000
prev=
for arg in "$@"; do
    case "$prev/$arg" in
    --nic/*) nic=$arg ;;
    */--nic=*) nic=${arg#--nic=} ;;
    esac
    prev=$arg
done
case "$nic" in
e1000 | rtl8139) ;;
*) nic=e1000 ;; # nicbench rejects it
esac
mkdir -p bench/results
out=bench/results/$nic.md
tmp=$(mktemp "bench/results/.$nic.XXXXXX")
trap 'rm -f "$tmp"' EXIT
build-bench/bench/nicbench "$@" >"$tmp"
mv "$tmp" "$out"
cat "$out"
echo "written to $out" >&2
