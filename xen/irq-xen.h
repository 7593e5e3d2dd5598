/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IrqLine for Xen: PCI INTx through xendevicemodel_set_pci_intx_level
 * (contract §3.8, §6). Xen keeps one level bit per (device, INTx pin), so
 * lines of functions that share a slot and pin are wire-ORed here and Xen
 * hears only when the OR changes; IrqLine itself already filters repeats.
 */
#ifndef EMUNET_XEN_IRQ_XEN_H
#define EMUNET_XEN_IRQ_XEN_H

#include "emunet/irq.h"
#include "emunet/pci.h"
#include "xen/xen-host.h"

typedef struct XenIntx XenIntx;

/* The INTx wires of `host`'s domain (segment 0, bus 0). */
XenIntx *xen_intx_new(XenHost *host);

/*
 * The line of an attached function, from its slot and Interrupt Pin
 * register; NULL if the pin is not 1..4. Owned by the XenIntx.
 */
IrqLine *xen_intx_line(XenIntx *intx, PciDevice *dev);

/*
 * Tell Xen the current level of every wire, whether or not it changed:
 * a restored domain keeps the levels the previous device model left
 * (Xen saves them), so a wire high there but low here would stay
 * asserted for good. Called once before serving.
 */
void xen_intx_sync(XenIntx *intx);

/* Free every line (they must be low or no longer used). */
void xen_intx_free(XenIntx *intx);

#endif
