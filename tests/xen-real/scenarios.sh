#!/bin/sh
# The rig's scenarios, run in dom0 by dom0-init as "xr-scenarios 1,2,...".
# Prints, for the host (run.sh) to turn into TAP:
#   XENREAL expect CHECK          a check that must get a result
#   XENREAL ok CHECK [NOTE]       passed
#   XENREAL not ok CHECK WHY      failed
#   XENREAL time STEP SECONDS     how long a step took
# Guests report "XG ..." lines on their serial console (guest-init); they
# become checks of the scenario that booted them.
list=",$1,"
data=/tmp/xr-data
emunet=/usr/local/bin/emunet
gtimeout=${XR_GUEST_TIMEOUT:-900}
# Background helpers (listeners, DHCP server) of the current guest.
bg=

R() { echo "XENREAL $*"; }
now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
expect() {
    local c
    for c; do R expect "$c"; done
}
# The checks guest-init (and dom0's tcp-md5) report for NIC driver $2.
nic_expect() {
    local c
    for c in bind link ping tcp-rx tcp-tx tcp-md5 irq; do
        expect "$1.$2.$c"
    done
    case $2 in
    e1000 | 8139cp) expect "$1.$2.ethtool-down" "$1.$2.ethtool" ;;
    esac
}
# check NAME COMMAND...: one result from a command's exit status.
check() {
    local name=$1
    shift
    if "$@" >/tmp/xr-check.out 2>&1; then
        R ok "$name"
    else
        R not ok "$name" "$(tail -c 200 /tmp/xr-check.out | tr '\n' ' ')"
    fi
}
has() { case $list in *,$1,*) return 0 ;; esac; return 1; }

# Executable name of a process.
exe_of() { basename "$(readlink "/proc/$1/exe" 2>/dev/null)" 2>/dev/null; }
dm_pid() { xenstore-read "/local/domain/$1/image/device-model-pid"; }
is_emunet() { [ "$(exe_of "$(dm_pid "$1")")" = emunet ]; }
has_companion() {
    local c
    for c in $(cat /proc/"$(dm_pid "$1")"/task/*/children); do
        [ "$(exe_of "$c")" = xen-qemu-system-i386 ] && return 0
    done
    echo "no xen-qemu-system-i386 child of the device model"
    return 1
}
tap_bridged() {
    [ "$(basename "$(readlink "/sys/class/net/vif$1.0-emu/master")")" = xenbr0 ]
}
qmp() {
    printf '{"execute":"qmp_capabilities"}\r\n{"execute":"%s"}\r\n' "$2" |
        socat -t 5 - "UNIX-CONNECT:/var/run/xen/qmp-libxl-$1"
}
# No device-model process, -emu tap or xenstore trace of a domain left.
dm_gone() {
    local p
    for p in /proc/[0-9]*; do
        case $(exe_of "${p#/proc/}") in
        emunet | xen-qemu-system-i386)
            echo "process ${p#/proc/} left"
            return 1
            ;;
        esac
    done
}
tap_gone() { ! ls -d /sys/class/net/*-emu 2>/dev/null; }
tap_unbridged() { ! tap_bridged "$1"; }
xs_gone() {
    for d; do
        ! xenstore-exists "/local/domain/$d" &&
            ! xenstore-exists "/local/domain/0/device-model/$d" || return 1
    done
}
dm_not_root() {
    awk '$1 == "Uid:" { exit $2 == 0 || $3 == 0 }' "/proc/$(dm_pid "$1")/status"
}
# emunet's own counters (QMP query-emunet) moved; the NIC was handed off.
qmp_counters() {
    qmp "$1" query-emunet | grep -E '"tx-frames": [1-9].*"rx-frames": [1-9]'
}
qmp_handoff() { qmp "$1" query-emunet | grep '"handed-off": true'; }
# retry SECONDS COMMAND...: until it succeeds.
retry() {
    local n=$1
    shift
    until "$@"; do
        n=$((n - 1))
        [ $n -le 0 ] && return 1
        sleep 1
    done
}

# The dom0 end of guest-init's TCP checks for port BASE.
listen() {
    timeout "$gtimeout" socat -u FILE:$data "TCP-LISTEN:$(($1 + 1)),reuseaddr" &
    bg="$bg $!"
    timeout "$gtimeout" socat -u "TCP-LISTEN:$(($1 + 2)),reuseaddr" \
        "CREATE:/tmp/xr-back-$1" &
    bg="$bg $!"
}
same_data() {
    cmp -s $data "/tmp/xr-back-$1" && return 0
    local back=/tmp/xr-back-$1
    echo "sent $(md5sum <$data | cut -c1-32) $(wc -c <$data)," \
        "got back $(md5sum <"$back" | cut -c1-32) $(wc -c <"$back")"
    return 1
}
# xl_log NAME COMMAND...: xl -vvv with its output in /var/log/xen; the
# error lines are the check's output.
xl_log() {
    local log=/var/log/xen/$1.log
    shift
    xl -vvv "$@" >"$log" 2>&1 && return 0
    grep -iE 'error|fail|cannot|unable' "$log" | grep -v xencall | head -3
    return 1
}

# A DHCP server on xenbr0 (busybox udhcpd); s1's guest gets 192.0.2.10.
dhcp_server() {
    cat >/tmp/udhcpd.conf <<EOF
start 192.0.2.10
end 192.0.2.19
interface xenbr0
lease_file /tmp/udhcpd.leases
option subnet 255.255.255.0
static_lease 00:16:3e:00:01:01 192.0.2.10
EOF
    touch /tmp/udhcpd.leases
    busybox udhcpd -f /tmp/udhcpd.conf >/var/log/xen/udhcpd.log 2>&1 &
    bg="$bg $!"
}

# guest_cfg NAME VIFS CMDLINE [EXTRA]: write /etc/xen/NAME.cfg.
guest_cfg() {
    cat >"/etc/xen/$1.cfg" <<EOF
type = "hvm"
name = "$1"
memory = 128
vcpus = 1
cpus = "1"
kernel = "/guest/vmlinuz"
ramdisk = "/guest/initrd.gz"
cmdline = "console=ttyS0,115200 loglevel=4 mitigations=off panic=-1 $3"
serial = "file:/var/log/xen/$1-serial.log"
vif = [ $2 ]
vga = "none"
vnc = 0
sdl = 0
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "preserve"
device_model_version = "qemu-xen"
device_model_override = "${dm:-$emunet}"
$4
EOF
}

# guest_create SCENARIO NAME: xl create; sets $domid and $created.
guest_create() {
    t0=$(now)
    log=/var/log/xen/$2-xlcreate.log
    if xl -vvv create "/etc/xen/$2.cfg" >"$log" 2>&1; then
        R ok "$1.create"
    else
        R not ok "$1.create" "$(grep -i error "$log" |
            tail -3 | tr '\n' ' ' | cut -c1-300)"
        tail -40 "$log" | sed 's/^/XENREAL log /'
        tail -20 "/var/log/xen/qemu-dm-$2.log" | sed 's/^/XENREAL log /'
        xl destroy "$2" 2>/dev/null
        return 1
    fi
    R time "$1.xl-create" "$(since "$t0")"
    created=$(now)
    domid=$(xl domid "$2")
}

# XG lines of guest-init -> XENREAL lines of scenario $1.
xg_lines() {
    awk -v s="$1" '
        $1 != "XG" { if (NF) print "XENREAL log " s " guest: " $0; next }
        $2 == "ok" || $2 == "no" {
            r = $2 == "ok" ? "ok" : "not ok"
            $1 = $2 = ""
            print "XENREAL " r " " s "." substr($0, 3)
        }
        $2 == "t" { print "XENREAL time " s ".guest." $3 " " $4 }
        $2 == "pci" { print "XENREAL info " s ".pci " substr($0, 8) }'
}

# guest_wait SCENARIO NAME: until the guest's "XG end", passing its
# results on as they come.
guest_wait() {
    serial=/var/log/xen/$2-serial.log
    n=0 seen=0
    while :; do
        fin=0
        grep -q '^XG end' "$serial" 2>/dev/null && fin=1
        lines=$(tr -d '\r' <"$serial" 2>/dev/null | wc -l)
        if [ "$lines" -gt "$seen" ]; then
            tr -d '\r' <"$serial" | sed -n "$((seen + 1)),${lines}p" |
                xg_lines "$1"
            seen=$lines
        fi
        [ $fin = 1 ] && break
        n=$((n + 3))
        [ $n -ge "$gtimeout" ] && break
        [ -z "$(xl domid "$2" 2>/dev/null)" ] && break
        xl dmesg | grep -q "(d$domid) \*\*\* HVMLoader crashed" && break
        sleep 3
    done
    if grep -q '^XG end' "$serial"; then
        R ok "$1.guest-done"
        R time "$1.guest-run" "$(since "$created")"
    else
        R not ok "$1.guest-done" "no end marker after $n s; serial tail:"
        tail -c 600 "$serial" | tr -d '\r' | sed 's/^/XENREAL log /'
        xl dmesg | grep -E "d$domid|hvm" | tail -20 | sed 's/^/XENREAL log /'
        tail -20 "/var/log/xen/qemu-dm-$2.log" | sed 's/^/XENREAL log /'
        qmp "$domid" query-emunet 2>&1 | tail -1 | sed 's/^/XENREAL log emunet: /'
    fi
}

# guest_end NAME: destroy it, keep its logs.
guest_end() {
    xl dmesg >"/var/log/xen/$1-xl-dmesg.txt" 2>&1
    xl destroy "$1" 2>/dev/null
    kill $bg 2>/dev/null
    wait $bg 2>/dev/null
    bg=
}

# Scenario 1 (and 4 on the same guest): e1000 from emunet.
s1() {
    expect s1.create s1.dm-emunet s1.companion s1.tap-bridged \
        s1.e1000.dhcp s1.qmp-counters s1.guest-done
    nic_expect s1 e1000
    guest_cfg s1 "'model=e1000,bridge=xenbr0,mac=00:16:3e:00:01:01'" \
        "xen_emul_unplug=never xrm=e1000 xrt=nic xrdhcp=1"
    listen 5000
    dhcp_server
    guest_create s1 s1 || return
    check s1.dm-emunet is_emunet "$domid"
    check s1.companion has_companion "$domid"
    check s1.tap-bridged tap_bridged "$domid"
    guest_wait s1 s1
    check s1.e1000.tcp-md5 same_data 5000
    check s1.qmp-counters qmp_counters "$domid"
    if has 4; then
        s4
    fi
    guest_end s1
}

# Scenario 4: lifecycle of the running s1 guest.
s4() {
    expect s4.pause s4.unpause-ping s4.save s4.save-dm-gone s4.restore \
        s4.restore-dm-emunet s4.restore-ping s4.destroy s4.dm-gone \
        s4.tap-gone s4.xenstore-clean
    t0=$(now)
    check s4.pause sh -c "xl pause s1 && xl list s1 | awk 'NR == 2 { exit \$5 !~ /p/ }'"
    check s4.unpause-ping sh -c "xl unpause s1 && busybox ping -c 3 -W 20 192.0.2.10"
    R time s4.pause-unpause "$(since "$t0")"
    t0=$(now)
    old=$domid
    check s4.save xl_log s1-xlsave save s1 /var/lib/xen/s1.save
    check s4.save-dm-gone retry 20 dm_gone
    R time s4.save "$(since "$t0")"
    t0=$(now)
    check s4.restore xl_log s1-xlrestore restore /var/lib/xen/s1.save
    tail -3 /var/log/xen/qemu-dm-s1.log | sed 's/^/XENREAL log s4 dm: /'
    R time s4.restore "$(since "$t0")"
    domid=$(xl domid s1)
    check s4.restore-dm-emunet is_emunet "$domid"
    check s4.restore-ping busybox ping -c 5 -W 30 192.0.2.10
    # What the restored device model and its tap look like (diagnosis).
    qmp "$domid" query-status 2>&1 | tail -1 | sed 's/^/XENREAL log s4 status: /'
    qmp "$domid" query-emunet 2>&1 | tail -1 | sed 's/^/XENREAL log s4 emunet: /'
    ip -br link show | grep -- -emu | sed 's/^/XENREAL log s4 tap: /'
    bridge link show 2>/dev/null | sed 's/^/XENREAL log s4 bridge: /'
    rm -f /var/lib/xen/s1.save
    t0=$(now)
    xl dmesg >/var/log/xen/s1-xl-dmesg.txt 2>&1
    check s4.destroy xl destroy s1
    check s4.dm-gone retry 20 dm_gone
    check s4.tap-gone retry 20 tap_gone
    check s4.xenstore-clean xs_gone "$old" "$domid"
    R time s4.destroy "$(since "$t0")"
}

# Scenario 2: rtl8139 twice, C+ (8139cp) and, through the wrapper that
# adds x-revision=0x10 to nic1, the pre-C+ RTL8139C (8139too).
s2() {
    expect s2.create s2.dm-emunet s2.guest-done
    nic_expect s2 8139cp
    nic_expect s2 8139too
    dm=/usr/local/bin/emunet-rev10
    guest_cfg s2 \
        "'model=rtl8139,mac=00:16:3e:00:02:01',
         'model=rtl8139,mac=00:16:3e:00:02:02'" \
        "xen_emul_unplug=never xrm=8139cp,8139too xrt=nic"
    dm=
    listen 5010
    listen 5020
    guest_create s2 s2 || return
    check s2.dm-emunet is_emunet "$domid"
    guest_wait s2 s2
    check s2.8139cp.tcp-md5 same_data 5010
    check s2.8139too.tcp-md5 same_data 5020
    guest_end s2
}

# Scenario 3: hand-off to netfront next to an emulated IDE disk.
s3() {
    expect s3.create s3.dm-emunet s3.pv.one-netdev s3.pv.no-e1000-pci \
        s3.pv.disk s3.tap-unbridged s3.qmp-handoff s3.guest-done
    nic_expect s3 vif
    truncate -s 64M /var/lib/xen/s3-disk.img
    guest_cfg s3 "'model=e1000,bridge=xenbr0,mac=00:16:3e:00:03:01'" \
        "xrm=xen-netfront,xen-blkfront,ata_piix,sd_mod xrt=pv" \
        "disk = [ 'format=raw,vdev=hda,access=rw,target=/var/lib/xen/s3-disk.img' ]"
    listen 5030
    guest_create s3 s3 || return
    check s3.dm-emunet is_emunet "$domid"
    guest_wait s3 s3
    check s3.vif.tcp-md5 same_data 5030
    check s3.tap-unbridged tap_unbridged "$domid"
    check s3.qmp-handoff qmp_handoff "$domid"
    guest_end s3
}

# Scenario 5: scenario 1 with dm_restrict=1.
s5() {
    expect s5.create s5.dm-emunet s5.dm-not-root s5.tap-bridged \
        s5.guest-done
    nic_expect s5 e1000
    guest_cfg s5 "'model=e1000,bridge=xenbr0,mac=00:16:3e:00:05:01'" \
        "xen_emul_unplug=never xrm=e1000 xrt=nic" "dm_restrict = 1"
    listen 5000
    guest_create s5 s5 || return
    check s5.dm-emunet is_emunet "$domid"
    check s5.dm-not-root dm_not_root "$domid"
    check s5.tap-bridged tap_bridged "$domid"
    guest_wait s5 s5
    check s5.e1000.tcp-md5 same_data 5000
    guest_end s5
}

head -c 2097152 /dev/urandom >$data
# In the order given; 4 runs inside 1 (on its guest).
for s in $(echo "$1" | tr , ' '); do
    [ "$s" = 4 ] && continue
    ts=$(now)
    s$s
    R time "s$s" "$(since "$ts")"
done
