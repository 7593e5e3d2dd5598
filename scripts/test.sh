#!/bin/bash
# The whole test suite: install build dependencies, build emunet twice
# (plain, and with AddressSanitizer + UndefinedBehaviorSanitizer), run every
# test in both builds, and print one closing line summing every TAP test
# case of both: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
bash scripts/deps.sh || { echo "deps: apt-get failed"; echo "0 passed, 1 failed"; exit 1; }

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0

status=0
for cfg in plain asan; do
    dir=build-test-$cfg
    # The plain build also runs the real-Xen rig once (tests/xen-real:
    # nested Xen 4.17 under QEMU TCG, every scenario, one dom0 boot).
    opts="-Dxen_real=true"
    [ "$cfg" = asan ] && opts="-Dxen_real=false -Db_sanitize=address,undefined -Db_lundef=false"
    if [ ! -d "$dir" ]; then
        meson setup "$dir" $opts >"$dir.setup.log" 2>&1 ||
            { cat "$dir.setup.log"; status=1; continue; }
    else
        meson configure "$dir" $opts >/dev/null 2>&1
    fi
    if ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
        tail -50 "$dir.build.log"; echo "build ($cfg) failed"; status=1
        echo "build-$cfg" >>"$PWD/.test-build-failures"
        continue
    fi
    meson test -C "$dir" --num-processes 2 --print-errorlogs \
        --timeout-multiplier 2 || status=1
done
python3 scripts/tap-summary.py build-test-plain build-test-asan
rc=$?
rm -f .test-build-failures
[ $status -eq 0 ] && exit $rc
exit 1
