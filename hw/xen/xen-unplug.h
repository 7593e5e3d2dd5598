/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated-device unplug protocol of the Xen platform device (Xen
 * docs/misc/hvm-emulated-unplug.pandoc, contract 5.2), as a model of its
 * own: the PCI function (xen-platform.h) embeds one and so does the relay
 * to a companion's platform device (xen-relay.h), which answers from it
 * when the companion does not.
 *
 * Fixed ports 0x10-0x1f, at offsets from 0x10:
 *  - 0 16-bit read: magic 0x49d2, or 0xd249 once the driver that did the
 *    handshake is blacklisted; 8-bit read/write: platform flags (bit 0
 *    locks 0xc0000-0xfffff read-only, passed to a hook); 16-bit write:
 *    unplug mask; 32-bit write: driver build number;
 *  - 2 8-bit read: protocol version 1; 16-bit write: product number
 *    (xen/hvm/pvdrivers.h), which starts a new handshake; 8-bit write: a
 *    log character (a line goes to emunet's log at a newline or 4095
 *    bytes, rate-limited);
 *  - anything else reads all-ones and is ignored on write.
 * Unplug mask: bit 1 (all NICs) hands every emulated NIC off (hook);
 * bits 0, 2 and 3 (disks) are recorded and logged: emunet has no disks.
 * A driver whose product/build is blacklisted (the x-blacklist= list, the
 * blacklisted hook, or xen_unplug_set_blacklisted) reads 0xd249 and gets
 * no unplug. The legacy BAR0 aliases of old SUSE and Novell VMDP drivers
 * are here too (xen_unplug_legacy_write).
 */
#ifndef EMUNET_HW_XEN_XEN_UNPLUG_H
#define EMUNET_HW_XEN_XEN_UNPLUG_H

#include <glib.h>

#include "emunet/iobus.h"

#define XEN_PLATFORM_IOPORT 0x10
#define XEN_PLATFORM_IOPORT_LEN 0x10
#define XEN_PLATFORM_MAGIC 0x49d2
#define XEN_PLATFORM_MAGIC_BLACKLISTED 0xd249
#define XEN_PLATFORM_PROTOCOL_VERSION 1
/* Offsets of the two protocol ports from XEN_PLATFORM_IOPORT. */
#define XEN_PLATFORM_PORT_MAGIC 0
#define XEN_PLATFORM_PORT_VERSION 2

/* Unplug mask bits (hvm-emulated-unplug.pandoc step 6). */
#define XEN_UNPLUG_ALL_DISKS (1u << 0)
#define XEN_UNPLUG_ALL_NICS (1u << 1)
#define XEN_UNPLUG_AUX_IDE_DISKS (1u << 2)
#define XEN_UNPLUG_NVME_DISKS (1u << 3)

typedef struct XenPlatformHooks {
    /*
     * The guest asked for every emulated NIC to go (mask bit 1 or a
     * legacy alias). Called from inside the port write; may be called
     * again for later requests (the callee is idempotent). Required.
     */
    void (*unplug_nics)(void *opaque);
    /*
     * Is driver `product` (pvdrivers.h name, or its number in decimal
     * when unknown) build `build` blacklisted? Asked once per handshake,
     * in addition to x-blacklist=. Optional.
     */
    bool (*blacklisted)(void *opaque, const char *product, uint32_t build);
    /* Platform flags bit 0 changed: lock (true) or unlock the BIOS area
     * 0xc0000-0xfffff. Optional. */
    void (*rom_lock)(void *opaque, bool locked);
    void *opaque;
} XenPlatformHooks;

/*
 * The protocol state. Embedded by value in its owner (whose devstate
 * section names the guest-visible fields); only xen-unplug.c touches
 * the members.
 */
typedef struct XenUnplug {
    /* For messages ("xen-platform"); owned. */
    char *id;
    XenPlatformHooks hooks;
    /* The x-blacklist= entries (XenBlacklistEntry, xen-unplug.c). */
    GArray *blacklist;

    /* Guest-visible state (saved by the owner). */
    uint8_t flags;
    bool product_set;
    uint16_t product;
    bool build_set;
    uint32_t build;
    bool blacklisted;
    uint16_t unplug_mask;

    /* The guest's log line being assembled, and its rate limit. */
    GString *log;
    int64_t log_window_us;
    unsigned log_lines;
    unsigned log_suppressed;
} XenUnplug;

/* Platform flags: bit 0 locks the BIOS area (the only defined bit). */
#define XEN_PLATFORM_FLAG_ROM_LOCK 0x01

/*
 * Set up `u` for device `id`. `blacklist` is x-blacklist='s text
 * (PRODUCT/BUILD[:PRODUCT/BUILD...], PRODUCT a pvdrivers.h name such as
 * "linux" or a number, BUILD decimal or '*'), or NULL. hooks->unplug_nics
 * is required. Fails naming the bad entry; `u` then needs no cleanup.
 */
bool xen_unplug_init(XenUnplug *u, const char *id, const char *blacklist,
                     const XenPlatformHooks *hooks, GError **errp);

/* Flush the guest's last log line and free what `u` holds. */
void xen_unplug_destroy(XenUnplug *u);

/* Power-on state (flags through the rom_lock hook; the mask stays). */
void xen_unplug_reset(XenUnplug *u);

/*
 * A guest access to the fixed ports, `offset` from 0x10, 1, 2 or 4
 * bytes, naturally aligned (IoOps semantics: xen_unplug_port_ops).
 */
uint64_t xen_unplug_port_read(XenUnplug *u, hwaddr offset, unsigned size);
void xen_unplug_port_write(XenUnplug *u, hwaddr offset, uint64_t val,
                           unsigned size);

/* IoOps for the fixed ports with a XenUnplug as opaque (1-4 bytes). */
extern const IoOps xen_unplug_port_ops;

/*
 * A byte written to the platform device's BAR0 (I/O): offset 0 flags;
 * offset 4 value 1 unplugs disks and NICs; offset 8 value 1 disks, 2
 * NICs, any other value a log character. Other offsets are ignored.
 */
void xen_unplug_legacy_write(XenUnplug *u, hwaddr offset, uint8_t val);

/*
 * Someone else (a companion's platform device) said the driver of the
 * current handshake is blacklisted: it now reads 0xd249 and gets no
 * unplug, until the next product number starts a new handshake.
 */
void xen_unplug_set_blacklisted(XenUnplug *u);

#endif
