#!/bin/bash
# Install (with apt-get) whatever Debian 12 packages emunet's build, tests
# and benchmarks need and the machine does not have yet. Run as root.
set -eu
pkgs="meson ninja-build gcc pkg-config libglib2.0-dev libjson-glib-dev
      libslirp-dev libseccomp-dev libxen-dev ipxe-qemu qemu-system-x86 python3
      openvswitch-switch debootstrap e2fsprogs iproute2 kmod"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
