/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Transport: the hypervisor-facing side. It delivers guest accesses to the
 * IoBus / PCI bus, owns guest memory (GuestMem), interrupt wires and the
 * device clock, and is told about decode changes so it can route accesses
 * (Xen: map_io_range_to_ioreq_server). Implementations: the qtest server
 * (core/qtest.c) and the Xen ioreq server (xen/).
 */
#ifndef EMUNET_TRANSPORT_H
#define EMUNET_TRANSPORT_H

#include <glib.h>

#include "emunet/clock.h"
#include "emunet/gmem.h"
#include "emunet/iobus.h"
#include "emunet/pci.h"

typedef struct Transport Transport;

typedef struct TransportOps {
    /* "qtest", "xen". */
    const char *name;
    /*
     * Begin serving guest accesses from the main loop, once every device
     * is attached. Errors are fatal for the process (clear message).
     */
    bool (*start)(Transport *t, GError **errp);
    /* The INTx wire for a device (PciBusHooks.intx_line). Required. */
    IrqLine *(*intx_line)(Transport *t, PciDevice *dev);
    /* A decode range appeared or went (PciBusHooks.map_io). Optional. */
    void (*map_io)(Transport *t, IoSpace space, hwaddr base, hwaddr len,
                   bool mapped);
    /* A PCI function was attached (Xen: map_pcidev). Optional. */
    bool (*add_pci_device)(Transport *t, PciDevice *dev, GError **errp);
    /*
     * A PCI function is going away (unplug). Called while it is still
     * attached (dev->devfn valid), just before pci_bus_detach. Optional.
     */
    void (*remove_pci_device)(Transport *t, PciDevice *dev);
    /* Stop serving and free everything the transport owns. Required. */
    void (*free)(Transport *t);
} TransportOps;

struct Transport {
    const TransportOps *ops;
    /* Set by the transport at creation. */
    GuestMem *mem;
    Clock *clock;
    /* Set by the machine before start. */
    IoBus *iobus;
    PciBus *pci;
    /* The machine's loop: quit() on request (QMP quit, qtest EOF). */
    GMainLoop *loop;
};

#endif
