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
 * Fixed ports 0x10-0x1f (decoded whatever the BARs say) and the legacy
 * aliases in BAR0: the unplug protocol of xen-unplug.h, with the
 * x-blacklist= list below.
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
#include "hw/xen/xen-unplug.h"

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
