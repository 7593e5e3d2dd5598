#!/bin/bash
# emunet's main job: install build dependencies, build, run emunet with the
# given arguments (none: --help).
set -eu
cd "$(dirname "$0")/.."
bash scripts/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
[ $# -gt 0 ] || set -- --help
exec ./build/emunet "$@"
