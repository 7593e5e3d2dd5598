/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Xen platform PCI device (5853:0001, contract 5.1) and the emulated
 * device unplug protocol (Xen docs/misc/hvm-emulated-unplug.pandoc,
 * contract 5.2), for a Xen guest that has no other device model: emunet
 * then is the only one, and the guest's PV drivers ask it, through these
 * ports, to take the emulated NICs away.
 *
 * Identity: vendor/subsystem 5853:0001, revision 1, class 0xff80 (other,
 * subclass 0x80), INTA, COMMAND preset to I/O|memory. BAR0: 256 bytes of
 * I/O; BAR1: 16 MiB of prefetchable memory where the guest maps grant
 * frames (reads 0, writes ignored: Xen, not the device model, backs it).
 *
 * Fixed ports 0x10-0x1f (decoded whatever the BARs say):
 *  - 0x10 16-bit read: magic 0x49d2, or 0xd249 once the driver that did
 *    the handshake is blacklisted; 8-bit read/write: platform flags (bit
 *    0 locks 0xc0000-0xfffff read-only, passed to a hook); 16-bit write:
 *    unplug mask; 32-bit write: driver build number;
 *  - 0x12 8-bit read: protocol version 1; 16-bit write: product number
 *    (xen/hvm/pvdrivers.h); 8-bit write: a log character (a line goes
 *    to emunet's log at a newline or 4095 bytes, rate-limited);
 *  - anything else reads all-ones and is ignored on write.
 * Unplug mask: bit 1 (all NICs) hands every emulated NIC off (hook);
 * bits 0, 2 and 3 (disks) are recorded and logged: emunet has no disks.
 * A driver whose product/build is blacklisted (x-blacklist=, or the
 * blacklisted hook, e.g. xenstore /mh/driver-blacklist/<product>/<build>)
 * reads 0xd249 and gets no unplug. BAR0 keeps the legacy aliases of old
 * SUSE and Novell VMDP drivers: offset 0 flags, offset 4 value 1 unplugs
 * disks and NICs, offset 8 value 1 disks, 2 NICs, any other value a log
 * character.
 *
 * -device xen-platform[,id=ID][,addr=SLOT[.FN]]
 *         [,x-blacklist=PRODUCT/BUILD[:PRODUCT/BUILD...]]
 * PRODUCT is a pvdrivers.h name ("linux") or number, BUILD a decimal
 * build number or '*' for every build.
 */
#ifndef EMUNET_HW_XEN_XEN_PLATFORM_H
#define EMUNET_HW_XEN_XEN_PLATFORM_H

#include <glib.h>

#include "emunet/devstate.h"
#include "emunet/iobus.h"
#include "emunet/opts.h"
#include "emunet/pci.h"

#define XEN_PLATFORM_IOPORT 0x10
#define XEN_PLATFORM_IOPORT_LEN 0x10
#define XEN_PLATFORM_MAGIC 0x49d2
#define XEN_PLATFORM_MAGIC_BLACKLISTED 0xd249
#define XEN_PLATFORM_PROTOCOL_VERSION 1

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

typedef struct XenPlatformConf {
    /* Device id for messages and the devstate section; copied. */
    const char *id;
    /* The -device option set (driver, id, addr, x-blacklist), or NULL. */
    const EmuOpts *opts;
    /* Where the fixed ports are mapped (kept; must outlive the device). */
    IoBus *io;
    XenPlatformHooks hooks;
} XenPlatformConf;

/*
 * Create the function (not attached) and map the fixed ports on
 * conf->io. Fails naming the option at fault, or when the ports are
 * taken.
 */
PciDevice *xen_platform_new(const XenPlatformConf *conf, GError **errp);

/* Unplug bits the guest asked for so far (not blacklisted). */
uint16_t xen_platform_unplug_mask(PciDevice *dev);

/* devstate section "xen-platform"; the owner is the PciDevice. */
extern const DevStateOps xen_platform_devstate_ops;

#endif
