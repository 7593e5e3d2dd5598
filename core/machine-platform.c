/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The machine's Xen platform side (machine.h): the platform device
 * (-device xen-platform, or xenfv's without a companion), the relay of
 * the companion's platform ports (with a companion), and the hand-off of
 * emulated NICs to PV drivers (core/handoff.h) with the hooks that take
 * a NIC off the bus, close its backend and record it (QMP, xenstore).
 */
#include <string.h>

#include "core/machine-int.h"
#include "core/qmp.h"
#include "emunet/log.h"
#include "hw/xen/xen-platform.h"
#include "xen/transport-xen.h"

static void machine_platform_unplug_nics(void *opaque)
{
    Machine *m = opaque;

    handoff_unplug_all(m->handoff, "Xen platform unplug request");
}

/* -device xen-platform, or the one xenfv has without a companion. */
bool machine_add_platform(Machine *m, const EmuOpts *opts, const char *what,
                          GError **errp)
{
    XenPlatformConf conf = {
        .id = opts ? opts_get(opts, "id") : NULL,
        .opts = opts,
        .io = m->iobus,
        .hooks = {.unplug_nics = machine_platform_unplug_nics, .opaque = m},
    };
    const char *addr = opts ? opts_get(opts, "addr") : NULL;
    /* xenfv's slot (contract 6), unless addr= says otherwise. */
    int devfn = addr ? machine_parse_devfn(addr) : PCI_DEVFN(2, 0);
    PciDevice *dev;

    if (m->platform) {
        return machine_usage_error(errp, what, "only one xen-platform");
    }
    if (devfn < 0) {
        return machine_usage_error(errp, what,
                                   "addr: invalid PCI address "
                                   "'%s'",
                                   addr);
    }
    if (!conf.id) {
        conf.id = "xen-platform";
    }
    if (machine_has_dev_id(m, conf.id) || !devstate_name_valid(conf.id) ||
        strcmp(conf.id, HANDOFF_STATE_ID) == 0) {
        return machine_usage_error(errp, what, "bad or duplicate id '%s'",
                                   conf.id);
    }
    if (!addr && pci_bus_find(m->pci, (unsigned)devfn)) {
        devfn = -1;
    }
    dev = xen_platform_new(&conf, errp);
    if (!machine_attach_device(m, dev, devfn, what, errp)) {
        return false;
    }
    m->platform = dev;
    /* The fixed ports are claimed like a BAR (Xen: the ioreq server). */
    machine_hook_map_io(m, IO_SPACE_PIO, XEN_PLATFORM_IOPORT,
                        XEN_PLATFORM_IOPORT_LEN, true);
    devstate_register(m->devstate, conf.id, &xen_platform_devstate_ops, dev);
    g_ptr_array_add(m->dev_ids, g_strdup(conf.id));
    return true;
}

static void machine_handoff_detach(void *opaque, PciDevice *dev)
{
    Machine *m = opaque;

    /* The transport first: it needs the function's devfn, gone after. */
    if (m->t->ops->remove_pci_device) {
        m->t->ops->remove_pci_device(m->t, dev);
    }
    pci_bus_detach(m->pci, dev);
    devstate_unregister(m->devstate, dev->name);
}

static char *machine_handoff_close_backend(void *opaque, const char *id)
{
    Machine *m = opaque;

    for (guint i = 0; i < m->netdevs->len; i++) {
        NetdevEntry *e = g_ptr_array_index(m->netdevs, i);
        char *desc;

        if (e->user && strcmp(e->user, id) == 0) {
            desc = g_strdup_printf("%s netdev %s", e->be->ops->type, e->be->id);
            /* Frees the backend: a tap's interface goes with its fd. */
            g_ptr_array_remove_index(m->netdevs, i);
            return desc;
        }
    }
    return NULL;
}

static void machine_handoff_unplugged(void *opaque, const char *id)
{
    Machine *m = opaque;
    /* devstate_name_valid ids need no JSON escaping. */
    g_autofree char *data = g_strdup_printf(
        "{\"device\": \"%s\", \"path\": \"/machine/peripheral/%s\"}", id, id);

    /* Every QMP monitor: libxl's and libxenstat's sockets alike. */
    qmp_broadcast_event("DEVICE_DELETED", data);
    xen_transport_set_nic_state(m->t, id, "handed-off");
}

Handoff *machine_handoff_new(Machine *m)
{
    return handoff_new(&(HandoffHooks){
        .detach = machine_handoff_detach,
        .close_backend = machine_handoff_close_backend,
        .unplugged = machine_handoff_unplugged,
        .opaque = m,
    });
}

/*
 * With a companion that owns the platform device: its unplug ports are
 * claimed here and passed through to it (hw/xen/xen-relay.h), so that
 * the guest's NIC unplug reaches emunet too.
 */
bool machine_add_relay(Machine *m, const XenRelayOps *ops, GError **errp)
{
    XenRelayConf conf = {
        .io = m->iobus,
        .hooks = {.unplug_nics = machine_platform_unplug_nics, .opaque = m},
        .ops = *ops,
    };

    if (m->platform) {
        g_set_error(errp, MACHINE_ERROR, MACHINE_ERROR_USAGE,
                    "-device xen-platform: the companion device model has "
                    "the Xen platform device");
        return false;
    }
    m->relay = xen_relay_new(&conf, errp);
    if (!m->relay) {
        return false;
    }
    /* Claimed after the companion's server: emunet's wins (contract 14). */
    machine_hook_map_io(m, IO_SPACE_PIO, XEN_RELAY_PORT, XEN_RELAY_PORT_LEN,
                        true);
    log_info("xen-platform: ports %#x-%#x passed through to the companion",
             XEN_RELAY_PORT, XEN_RELAY_PORT + XEN_RELAY_PORT_LEN - 1);
    return true;
}

/*
 * Secondary mode (MachineConfig.handoff_on_pv_connect): the PV frontend
 * of vif `devid` connected, so NIC nic<devid> goes (contract §5.5). A
 * machine with a platform device (its own, or the companion's through
 * the relay) waits for the unplug protocol instead, which honours
 * blacklisting.
 */
void machine_vif_connected(void *opaque, unsigned devid)
{
    Machine *m = opaque;
    g_autofree char *id = g_strdup_printf("nic%u", devid);
    g_autofree char *reason =
        g_strdup_printf("PV frontend of vif %u connected", devid);
    g_autoptr(GError) err = NULL;

    if (m->platform || m->relay) {
        return;
    }
    if (!machine_unplug_nic(m, id, reason, &err)) {
        log_trace(LOG_CORE, "%s", err->message);
    }
}

unsigned machine_unplug_nics(Machine *m, const char *reason)
{
    return handoff_unplug_all(m->handoff, reason);
}

bool machine_unplug_nic(Machine *m, const char *id, const char *reason,
                        GError **errp)
{
    return handoff_unplug(m->handoff, id, reason, errp);
}

bool machine_nic_unplugged(Machine *m, const char *id)
{
    return handoff_is_unplugged(m->handoff, id);
}
