#!/bin/bash
# The real-Xen rig (issue 7; recipe: shared/reference/real-xen-rig.md):
# Xen 4.17 + a PV dom0 in qemu-system-x86_64 (TCG, emulated AMD SVM+NPT),
# inside a network namespace of its own; dom0 runs libxl/xl and boots HVM
# guests whose NICs are emunet's. Prints TAP, one test per check.
#
#   run.sh [--emunet PATH] [--scenarios 1,2,3,4,5] [--out DIR]
#
# Without --emunet it builds emunet in build-xenreal. Artifacts (serial
# log with host timestamps, dom0's /var/log/xen, tap.txt) go to --out
# (default build-xenreal/xen-real). Needs root, qemu-system-x86, debootstrap,
# e2fsprogs, iproute2. XR_TIMEOUT bounds the whole boot, XR_GUEST_TIMEOUT
# each guest (seconds).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
emunet= scen=1,2,3,4,5 out=
while [ $# -gt 0 ]; do
    case $1 in
    --emunet) emunet=$2; shift 2 ;;
    --scenarios) scen=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--emunet PATH] [--scenarios LIST] [--out DIR]" >&2; exit 2 ;;
    esac
done
out=${out:-$top/build-xenreal/xen-real}
say() { echo "# [$(date +%T)] $*"; }
bail() { echo "1..1"; echo "not ok 1 rig.setup $*"; exit 1; }

if [ -z "$emunet" ]; then
    say "building emunet (build-xenreal)"
    (cd "$top" && { [ -d build-xenreal ] || meson setup build-xenreal >/dev/null; } &&
        ninja -C build-xenreal emunet >/dev/null) || bail "emunet build failed"
    emunet=$top/build-xenreal/emunet
fi
say "dom0 root filesystem (debootstrap, cached)"
t0=$SECONDS
cache=$(bash "$here/build-rootfs.sh") || bail "debootstrap failed"
r=$cache/rootfs
say "rootfs ready in $((SECONDS - t0)) s: $cache"
kver=$(basename "$(ls "$r"/boot/vmlinuz-* | tail -1)" | sed 's/^vmlinuz-//')
bb=$r/bin/busybox

work=$(mktemp -d /var/tmp/emunet-xr.XXXXXX)
ns=emunet-xr-$$
qpid=
cleanup() {
    [ -n "$qpid" ] && kill "$qpid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
rm -rf "$out"
mkdir -p "$out"

# Guest initramfs: busybox, ethtool, the NIC/PV/IDE drivers, guest-init.
say "guest initramfs"
g=$work/guest
mkdir -p "$g/bin" "$g/dev" "$g/proc" "$g/sys" "$g/tmp" "$g/lib/modules/$kver"
cp "$bb" "$g/bin/"
for a in $("$bb" --list); do
    [ "$a" = busybox ] || ln -s busybox "$g/bin/$a"
done
cp "$r/usr/sbin/ethtool" "$g/bin/ethtool"
for l in $(chroot "$r" ldd /usr/sbin/ethtool | grep -o '/[^ ]*'); do
    mkdir -p "$g$(dirname "$l")"
    cp -L "$r$l" "$g$l"
done
mods="e1000 8139cp 8139too xen-netfront xen-blkfront ata_piix sd_mod"
for f in $(for m in $mods; do modprobe -d "$r" -S "$kver" --show-depends "$m"; done |
           awk '$1 == "insmod" { print $2 }' | sort -u); do
    rel=${f#"$r"/lib/modules/"$kver"/}
    mkdir -p "$g/lib/modules/$kver/$(dirname "$rel")"
    case $f in
    *.xz) xz -dc "$f" >"$g/lib/modules/$kver/${rel%.xz}" ;;
    *.zst) zstd -qdc "$f" >"$g/lib/modules/$kver/${rel%.zst}" ;;
    *) cp "$f" "$g/lib/modules/$kver/$rel" ;;
    esac
done
cp "$r/lib/modules/$kver/modules.builtin" "$r/lib/modules/$kver/modules.order" \
    "$r/lib/modules/$kver/modules.builtin.modinfo" \
    "$g/lib/modules/$kver/"
depmod -b "$g" "$kver" || bail "depmod failed"
install -m 755 "$here/guest-init" "$g/init"
install -m 755 "$here/dhcp-bound" "$g/bin/dhcp-bound"

# dom0's disk: the cached rootfs (hard links, not copied) plus emunet,
# the rig's scripts and the guest's kernel and initramfs.
say "dom0 image"
s=$work/stage
cp -al "$r" "$s"
install -D -m 755 "$emunet" "$s/usr/local/bin/emunet"
install -m 755 "$here/emunet-rev10" "$s/usr/local/bin/"
install -D -m 755 "$here/dom0-init" "$s/usr/local/sbin/xr-dom0-init"
install -m 755 "$here/scenarios.sh" "$s/usr/local/sbin/xr-scenarios"
mkdir -p "$s/guest"
cp "$r/boot/vmlinuz-$kver" "$s/guest/vmlinuz"
(cd "$g" && find . | "$bb" cpio -o -H newc 2>/dev/null | gzip -9) >"$s/guest/initrd.gz"
rm -f "$s/etc/fstab"
echo "/dev/vda / ext4 rw 0 1" >"$s/etc/fstab"
size=$(($(du -sm "$s" | cut -f1) + 1024))
mke2fs -q -t ext4 -L dom0root -d "$s" "$work/dom0.img" "${size}M" >/dev/null ||
    bail "mke2fs failed"
rm -rf "$s"
zcat "$r/boot/xen-4.17-amd64.gz" >"$work/xen"

# The three workarounds of real-xen-rig.md §4: smap=0, -monitor, -rdtscp.
say "booting Xen + dom0 (scenarios $scen); serial log: $out/serial.log"
ip netns add "$ns" || bail "ip netns add failed"
t0=${EPOCHREALTIME/./}
elapsed() { local d=$(((${EPOCHREALTIME/./} - t0) / 100000)); echo "$((d / 10)).$((d % 10))"; }
raw=$work/serial.raw
: >"$raw"
timeout "${XR_TIMEOUT:-2700}" ip netns exec "$ns" qemu-system-x86_64 \
    -accel tcg,thread=multi -cpu EPYC,+svm,+npt,-monitor,-rdtscp \
    -machine pc -m 4096 -smp 2 -display none -monitor none -no-reboot \
    -nic none -kernel "$work/xen" \
    -append "console=com1 com1=115200,8n1 dom0_mem=1536M,max:1536M dom0_max_vcpus=1 dom0_vcpus_pin smap=0 loglvl=all guest_loglvl=all" \
    -initrd "$r/boot/vmlinuz-$kver root=/dev/vda rw console=hvc0 earlyprintk=xen init=/usr/local/sbin/xr-dom0-init XR_SCENARIOS=${scen//,/,,} XR_GUEST_TIMEOUT=${XR_GUEST_TIMEOUT:-900},$r/boot/initrd.img-$kver" \
    -drive "file=$work/dom0.img,format=raw,if=virtio,cache=unsafe" \
    -serial "file:$raw" >"$out/qemu.stderr" 2>&1 &
qpid=$!
# The serial log with host timestamps; XENREAL lines as progress.
tail -s 0.2 -n +1 -f --pid=$qpid "$raw" | while IFS= read -r line; do
    el=$(elapsed)
    line=${line//$'\r'/}
    printf '[%7s] %s\n' "$el" "$line" >>"$out/serial.log"
    case $line in
    "XENREAL expect"* | "XENREAL log"*) ;;
    XENREAL*) say "$el s: ${line#XENREAL }" ;;
    esac
done &
# Waiting in the background keeps INT/TERM (meson's timeout) prompt.
wait $qpid
qpid=
wait
say "emulated machine exited after $(elapsed) s"
ip netns del "$ns"

# Everything dom0 logged, read out of its ext4 image without mounting.
debugfs -R "rdump /var/log/xen $out" "$work/dom0.img" >/dev/null 2>&1
# Results from dom0's own copy when there is one (the serial log can have
# Xen's console output inside a line); times and diagnostics from the
# serial log, which has the host clock.
clean=$out/xen/xenreal.log
if [ -s "$clean" ]; then
    awk -f "$here/tap.awk" \
        <(grep -vE '^\[ *[0-9.]+\] XENREAL (ok|not ok|expect) ' "$out/serial.log") \
        <(grep -E '^XENREAL (ok|not ok|expect|end)( |$)' "$clean")
else
    awk -f "$here/tap.awk" "$out/serial.log"
fi | tee "$out/tap.txt"
