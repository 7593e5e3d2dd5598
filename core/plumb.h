/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host plumbing of a standalone emunet's -emu taps (--nic): what the Xen
 * hotplug scripts do to a tap when libxl runs them (contract 8.4), done
 * by emunet itself because no libxl is there to run them:
 *
 *  - vif-bridge: link down, MAC fe:ff:ff:ff:ff:ff (so the bridge never
 *    adopts it), addresses flushed, MTU from mtu= or else the bridge's,
 *    port of the Linux bridge, link up. Undone: down, out of the bridge.
 *  - vif-openvswitch: the same MAC/flush/MTU step, then
 *    `ovs-vsctl --timeout=30 -- --if-exists del-port TAP -- add-port
 *    BRIDGE TAP [tag=VLAN] [trunks=A,B]` with external-ids:attached-mac,
 *    link up. Undone: `del-port`, down.
 *  - vif-route: the tap gets the first IPv4 address of gatewaydev (dom0's
 *    "main IP"; default eth0) as a /32 and comes up, proxy ARP on, and
 *    `ip route add IP dev TAP src MAINIP metric 1` for each ip=. Undone:
 *    routes and address deleted, down.
 *  - vif-nat: nothing (vif-nat acts on the PV vif only).
 *  mtu= applies to every kind. Links, addresses and routes go through
 *  rtnetlink; only Open vSwitch is reached through its own ovs-vsctl
 *  (OVS_RUNDIR and friends are honoured, as by the scripts).
 *
 * Everything acts in emunet's network namespace. The tap is remembered by
 * ifindex, so a rename (vif-common.sh renames taps) does not lose it.
 */
#ifndef EMUNET_CORE_PLUMB_H
#define EMUNET_CORE_PLUMB_H

#include <glib.h>

#include "emunet/vifspec.h"

typedef struct Plumb Plumb;

/* Error domain: the host refused (no such bridge, ovs-vsctl failed...). */
#define PLUMB_ERROR (plumb_error_quark())
GQuark plumb_error_quark(void);
#define PLUMB_ERROR_FAILED 0

/*
 * Plumb the tap `ifname` (already created) as `spec` says. On failure,
 * whatever was done is undone and NULL returned with an error naming the
 * step.
 */
Plumb *plumb_attach(const VifSpec *spec, const char *ifname, GError **errp);

/*
 * Undo it all, best effort: failures (the tap already gone, OVS down) are
 * logged, never fatal. NULL is a no-op.
 */
void plumb_detach(Plumb *p);

#endif
