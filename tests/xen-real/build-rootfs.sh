#!/bin/bash
# Build (once) the dom0 root filesystem of the real-Xen rig with debootstrap
# from Debian bookworm, and print the directory holding it. The result is
# cached under $XENREAL_CACHE (default /var/cache/emunet-xen-real)/<hash>,
# the hash covering the package list, the suite and this script.
# Layout of the cache entry: rootfs/ (the tree), packages (dpkg -l), ok.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
suite=bookworm
# Xen 4.17 + toolstack, the companion (qemu-system-xen), firmware, a 6.1
# kernel, networking, busybox for the guests, emunet's runtime libraries,
# ethtool (guest counters) and socat (QMP from dom0 scripts).
pkgs="linux-image-amd64 initramfs-tools kmod udev
      xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common xenstore-utils
      qemu-system-xen seabios ipxe-qemu
      iproute2 bridge-utils busybox-static pciutils procps ethtool socat
      libglib2.0-0 libjson-glib-1.0-0 libslirp0 libseccomp2"
pkgs=$(echo $pkgs)
cache=${XENREAL_CACHE:-/var/cache/emunet-xen-real}
key=$( (echo "$suite $pkgs"; cat "$0") | sha256sum | cut -c1-16)
dir=$cache/$key
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -f "$dir/ok" ]; then
    echo "$dir"
    exit 0
fi
command -v debootstrap >/dev/null || {
    echo "build-rootfs: debootstrap missing (apt-get install debootstrap)" >&2
    exit 1
}
mirror=$(bash "$here/mirror.sh")
rm -rf "$dir"
mkdir -p "$dir"
echo "build-rootfs: debootstrap $suite into $dir (a few minutes)" >&2
if ! debootstrap --variant=minbase --include="${pkgs// /,}" "$suite" \
        "$dir/rootfs" "$mirror" >"$dir/debootstrap.log" 2>&1; then
    tail -20 "$dir/debootstrap.log" >&2
    echo "build-rootfs: debootstrap failed (log: $dir/debootstrap.log)" >&2
    exit 1
fi
r=$dir/rootfs
ls "$r"/boot/vmlinuz-* "$r"/boot/initrd.img-* "$r"/boot/xen-4.17-amd64.gz \
    >/dev/null || { echo "build-rootfs: kernel/initrd/xen missing" >&2; exit 1; }
chroot "$r" dpkg -l >"$dir/packages"
# Nothing below is needed at run time; a smaller image boots faster.
rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/* \
       "$r"/usr/share/doc "$r"/usr/share/man "$r"/usr/share/locale
touch "$dir/ok"
echo "$dir"
