/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Machine internals shared by core/machine.c (assembly, netdevs, NICs,
 * lifecycle), core/machine-ram.c (guest RAM) and core/machine-platform.c
 * (the Xen platform device, the relay of its ports to a companion, NIC
 * hand-off). Nothing else includes this header.
 */
#ifndef EMUNET_MACHINE_INT_H
#define EMUNET_MACHINE_INT_H

#include "core/handoff.h"
#include "core/machine.h"
#include "emunet/devstate.h"
#include "emunet/net.h"
#include "emunet/opts.h"
#include "emunet/pci.h"
#include "emunet/transport.h"

/* A -object memory-backend-file / memory-backend-memfd. */
typedef struct RamBackend {
    char *id;
    void *base;
    uint64_t size;
    int fd;
    bool used;
} RamBackend;

typedef struct NetdevEntry {
    NetBackend *be;
    /* Device id using it, or NULL. */
    char *user;
} NetdevEntry;

struct Machine {
    GMainLoop *loop;
    GPtrArray *backends; /* RamBackend * */
    RamBackend *default_ram;
    IoBus *iobus;
    Transport *t;
    PciBusHooks hooks;
    PciBus *pci;
    GPtrArray *netdevs; /* NetdevEntry * */
    GPtrArray *dev_ids; /* char *, ids of created devices */
    /* -net: network of NICs without netdev= (NULL: user,restrict=on). */
    char *default_net;
    GPtrArray *plumbs;   /* Plumb *: --nic taps' plumbing, undone first */
    GPtrArray *dump_ids; /* char *: -object filter-dump ids */
    /* NIC hand-off to PV drivers, device state, the platform device. */
    Handoff *handoff;
    DevState *devstate;
    PciDevice *platform;
    /* The companion's platform ports passed through to it, or NULL. */
    XenRelay *relay;
    /* The VM runs (machine_set_running). */
    bool running;
};

/* ---- machine.c ---- */

/* PciBusHooks.map_io: tell the transport (Xen: claim the range). */
void machine_hook_map_io(void *opaque, IoSpace space, hwaddr base, hwaddr len,
                         bool mapped);

/* A MACHINE_ERROR_USAGE error "WHAT: message"; returns false. */
bool machine_usage_error(GError **errp, const char *what, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* QEMU's PCI addr=: "SLOT[.FN]", hex. Returns devfn, or -1. */
int machine_parse_devfn(const char *s);

/*
 * Attach `dev` (just created for `what`; NULL: its creation failed, errp
 * set) at `devfn` (-1: the first free slot) and register it with the
 * transport. Errors are prefixed with `what`; a device that could not be
 * attached is destroyed.
 */
bool machine_attach_device(Machine *m, PciDevice *dev, int devfn,
                           const char *what, GError **errp);

/* Is `id` a device id already? */
bool machine_has_dev_id(Machine *m, const char *id);

/* ---- machine-ram.c ---- */

/* GDestroyNotify of a RamBackend *. */
void machine_ram_free(gpointer data);

/* The -object memory backend with id `id`, or NULL. */
RamBackend *machine_find_ram(Machine *m, const char *id);

/* Is this -object a filter-dump (added once the netdevs exist)? */
bool machine_object_is_dump(const char *str);

/*
 * The memory -objects, and the guest RAM: *ram is the memory-backend=
 * one, or a new memfd of -m (m->default_ram); NULL under Xen.
 */
bool machine_setup_ram(Machine *m, const MachineConfig *cfg, RamBackend **ram,
                       GError **errp);

/* ---- machine-platform.c ---- */

/* The NIC hand-off with the machine's hooks (core/handoff.h). */
Handoff *machine_handoff_new(Machine *m);

/* -device xen-platform (opts), or the one xenfv has (opts NULL). */
bool machine_add_platform(Machine *m, const EmuOpts *opts, const char *what,
                          GError **errp);

/* The relay of the companion's platform ports (hw/xen/xen-relay.h). */
bool machine_add_relay(Machine *m, const XenRelayOps *ops, GError **errp);

/* XenTransportConfig.vif_connected: secondary-mode hand-off. */
void machine_vif_connected(void *opaque, unsigned devid);

#endif
