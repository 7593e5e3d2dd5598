#!/bin/bash
# emunet's main job, on a machine with no Xen: installs what it needs,
# builds emunet, boots real Xen 4.17 + a dom0 nested in QEMU (TCG), starts
# an HVM guest whose NIC is emunet's e1000 on xenbr0, and shows the guest
# getting its address and exchanging traffic through emunet. About 3
# minutes on 2 idle cores once dom0's root filesystem is cached (the first
# run also debootstraps it: about 8 more). Run as root on Debian 12. Leaves
# nothing running: the network namespace and the disk image are removed;
# the logs stay in build-demo/xen-real.
set -u
cd "$(dirname "$0")/.."
t0=$SECONDS
step() { printf '\n[%3d s] == %s\n' $((SECONDS - t0)) "$*"; }

echo "emunet demo: real Xen 4.17 nested in QEMU (TCG), one HVM guest whose"
echo "NIC is emunet's e1000. About 3 minutes on 2 idle cores (plus about 8"
echo "the first time, to debootstrap dom0's root filesystem)."
step "installing what is needed (apt-get)"
bash scripts/deps.sh || exit 1
for p in debootstrap e2fsprogs iproute2 kmod; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null ||
        exit 1
done

step "building emunet (build-demo)"
[ -d build-demo ] || meson setup build-demo >/dev/null || exit 1
ninja -C build-demo emunet >/dev/null || exit 1

step "booting Xen + dom0, then the guest (progress below)"
out=build-demo/xen-real
bash tests/xen-real/run.sh --emunet build-demo/emunet --scenarios 1 \
    --out "$out" >"$out.tap" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid' INT TERM
sleep 1
tail -n +1 -f "$out.tap" --pid=$pid 2>/dev/null |
    sed -n 's/^# \[[0-9:]*\] \(.*\)/    \1/p'
wait $pid

step "summary"
serial=$out/xen/s1-serial.log
if [ -f "$serial" ]; then
    echo "The guest's console (its own init, busybox):"
    tr -d '\r' <"$serial" | grep '^XG' | sed 's/^/    /'
fi
grep -E '^(not )?ok ' "$out.tap" | sed 's/^/    /'
pass=$(grep -c '^ok ' "$out.tap")
fail=$(grep -c '^not ok ' "$out.tap")
echo
echo "$pass checks passed, $fail failed, in $((SECONDS - t0)) s." \
    "Logs: $out (serial.log, xen/qemu-dm-s1.log)"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
