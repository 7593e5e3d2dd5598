/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xl vif specifications (xl-network-configuration(5); Xen 4.17 xl
 * parse_nic_config and libxlu's rate parser), as `--nic VIFSPEC` takes
 * them when emunet runs without libxl:
 *
 *   mac=MAC, bridge=BRIDGE[.VLAN][:TRUNK[:TRUNK...]], ip="A[/N] B...",
 *   script=vif-bridge|vif-openvswitch|vif-route|vif-nat, type=ioemu|vif,
 *   model=rtl8139|e1000|e1000-82540em, vifname=NAME, rate=RATE/s[@INT],
 *   mtu=N, gatewaydev=DEV (netdev=DEV, deprecated), backend=DOM, devid=N,
 *   trusted, untrusted, accel=ANY (ignored, as xl warns).
 *
 * Semantics follow xl and libxl: the devid is the lowest not taken
 * (the index in the list when no entry names one); model defaults to
 * rtl8139; no mac= (or all zero) means a generated 00:16:3e:xx:xx:xx with
 * the top bit of the fourth octet clear; script= picks what the hotplug
 * script would have done (its directory is ignored: emunet runs no
 * scripts); the OVS form of bridge= is taken with vif-openvswitch only.
 * Stricter than xl where xl would go on with a broken vif: unknown or
 * repeated keys, a multicast MAC, COLO keys, an interface name over 15
 * characters and a non-decimal number are refused.
 */
#ifndef EMUNET_VIFSPEC_H
#define EMUNET_VIFSPEC_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "emunet/net.h"

/* What the -emu tap gets, named after the hotplug script doing it. */
typedef enum VifPlumbKind {
    VIF_PLUMB_BRIDGE, /* vif-bridge: port of a Linux bridge */
    VIF_PLUMB_OVS,    /* vif-openvswitch: port of an OVS bridge */
    VIF_PLUMB_ROUTE,  /* vif-route: host routes and proxy ARP */
    VIF_PLUMB_NAT,    /* vif-nat: nothing at all for a tap (contract 8.4) */
} VifPlumbKind;

/* The most trunk VLANs an OVS bridge= may list. */
#define VIF_TRUNKS_MAX 64
/* The most addresses an ip= may list. */
#define VIF_IPS_MAX 16

typedef struct VifIp4 {
    /* Network byte order. */
    uint32_t addr;
    /* Prefix length, 32 when none was given. */
    uint8_t prefix;
} VifIp4;

typedef struct VifSpec {
    /* devid= or assigned by vifspec_finish_list; -1 until then. */
    int devid;
    bool devid_given;
    /* The guest MAC (given, or generated in Xen's OUI). */
    MacAddr mac;
    bool mac_given;
    /* type=ioemu (true, the default) or type=vif (no emulated NIC). */
    bool emulated;
    /* -device driver: "rtl8139" (default), "e1000", "e1000-82540em". */
    char *model;
    /* The bridge's name: bridge= without an OVS .VLAN/:TRUNK part. */
    char *bridge;
    /* OVS access VLAN (tag=), or -1. */
    int vlan;
    /* OVS trunk VLANs (trunks=), in the order given. */
    uint16_t trunks[VIF_TRUNKS_MAX];
    unsigned n_trunks;
    /* ip= addresses (for vif-route), in the order given. */
    VifIp4 ips[VIF_IPS_MAX];
    unsigned n_ips;
    /* script= as given (NULL: the default, vif-bridge) and its meaning. */
    char *script;
    VifPlumbKind plumb;
    /* vifname=, or NULL. */
    char *vifname;
    /* gatewaydev= (netdev=), or NULL: vif-route's default "eth0". */
    char *gatewaydev;
    /* backend= as given, or NULL (dom0); the -emu tap lives with us. */
    char *backend;
    /* mtu=, or 0 when not given. */
    unsigned mtu;
    /* rate=: bytes per interval and the interval; 0 bytes: no limit. */
    uint64_t rate_bytes;
    uint32_t rate_usecs;
    /* trusted (default) / untrusted: recorded only (a frontend key). */
    bool trusted;
    /* The -emu tap's name (vifspec_finish_list), or NULL before. */
    char *ifname;
} VifSpec;

/* Error domain of the parser; every error is a usage error. */
#define VIFSPEC_ERROR (vifspec_error_quark())
GQuark vifspec_error_quark(void);
#define VIFSPEC_ERROR_INVALID 0

/* libxl's default bridge, and vif-route's default gateway device. */
#define VIF_DEFAULT_BRIDGE "xenbr0"
#define VIF_DEFAULT_GATEWAYDEV "eth0"

/*
 * Parse one vif spec. Fills every field but devid (when not given) and
 * ifname; errors name the key and value at fault. Returns NULL on error.
 */
VifSpec *vifspec_parse(const char *text, GError **errp);

void vifspec_free(VifSpec *spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VifSpec, vifspec_free)

/*
 * After parsing a domain's whole list: give each spec without devid= the
 * lowest devid no other spec has, refuse duplicate devids, and name each
 * tap: vifname + "-emu", else "vif<domid>.<devid>-emu" (domid < 0, no
 * --domid: 0 is used, a domid no guest has). Names over 15 characters
 * (Linux IFNAMSIZ - 1) and duplicate names are refused, never shortened.
 */
bool vifspec_finish_list(VifSpec *const *specs, guint n, int domid,
                         GError **errp);

/*
 * rate= text "RATE/s[@INTERVAL]" into bytes per interval and the
 * interval in microseconds, as libxlu: RATE is a decimal number with an
 * optional G, M or K (powers of 1000) and B (bytes) or b (bits); INTERVAL
 * a decimal number with an optional unit s, ms or us (plain: seconds),
 * default 50 ms. Exposed for the unit test.
 */
bool vifspec_parse_rate(const char *text, uint64_t *bytes, uint32_t *usecs,
                        GError **errp);

#endif
