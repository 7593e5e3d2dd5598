/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Xen platform PCI device; see xen-platform.h. Identity from contract
 * 5.1; the protocol itself is xen-unplug.c's.
 */
#include "hw/pci/pci-state.h"
#include "hw/pci/pci_regs.h"
#include "hw/xen/xen-platform.h"

#define XEN_PLATFORM_DEVICE_ID 0x0001
#define XEN_PLATFORM_REVISION 1
#define XEN_PLATFORM_CLASS 0xff8000u
#define XEN_PLATFORM_BAR0_SIZE 0x100
#define XEN_PLATFORM_BAR1_SIZE (16u * 1024 * 1024)
#define XEN_PLATFORM_STATE_VERSION 1

typedef struct XenPlatform {
    PciDevice pci;
    IoBus *io;
    bool ports_mapped;
    /* The protocol; its guest-visible fields are saved. */
    XenUnplug unplug;
} XenPlatform;

static XenPlatform *xen_platform_of(PciDevice *dev)
{
    return (XenPlatform *)((char *)dev - offsetof(XenPlatform, pci));
}

/* ---- BAR0 (I/O): flags and the legacy unplug aliases ---- */

static uint64_t xen_platform_bar0_read(void *opaque, hwaddr addr, unsigned size)
{
    XenPlatform *p = opaque;

    return addr == 0 ? p->unplug.flags : 0xff;
}

static void xen_platform_bar0_write(void *opaque, hwaddr addr, uint64_t val,
                                    unsigned size)
{
    XenPlatform *p = opaque;

    xen_unplug_legacy_write(&p->unplug, addr, (uint8_t)val);
}

/* Byte-wide registers: a wider access arrives as its bytes (iobus.h). */
static const IoOps xen_platform_bar0_ops = {
    .name = "xen-platform-io",
    .read = xen_platform_bar0_read,
    .write = xen_platform_bar0_write,
    .min_access = 1,
    .max_access = 1,
};

/* ---- BAR1 (memory): the grant-frame area, backed by Xen ---- */

static uint64_t xen_platform_bar1_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void xen_platform_bar1_write(void *opaque, hwaddr addr, uint64_t val,
                                    unsigned size)
{
}

static const IoOps xen_platform_bar1_ops = {
    .name = "xen-platform-mmio",
    .read = xen_platform_bar1_read,
    .write = xen_platform_bar1_write,
    .min_access = 1,
    .max_access = 8,
};

/* ---- PCI function ---- */

static void xen_platform_reset(PciDevice *dev)
{
    xen_unplug_reset(&xen_platform_of(dev)->unplug);
}

static void xen_platform_destroy(PciDevice *dev)
{
    XenPlatform *p = xen_platform_of(dev);

    if (p->ports_mapped) {
        iobus_unmap(p->io, IO_SPACE_PIO, XEN_PLATFORM_IOPORT,
                    &xen_unplug_port_ops, &p->unplug);
    }
    xen_unplug_destroy(&p->unplug);
    g_free(p->pci.rom);
    g_free(p);
}

static const PciDeviceOps xen_platform_pci_ops = {
    .reset = xen_platform_reset,
    .destroy = xen_platform_destroy,
};

PciDevice *xen_platform_new(const XenPlatformConf *conf, GError **errp)
{
    static const char *const known[] = {"driver", "id", "addr", "x-blacklist",
                                        NULL};
    static const PciIdent ident = {
        .vendor_id = PCI_VENDOR_ID_XEN,
        .device_id = XEN_PLATFORM_DEVICE_ID,
        .subsystem_vendor_id = PCI_VENDOR_ID_XEN,
        .subsystem_id = XEN_PLATFORM_DEVICE_ID,
        .revision = XEN_PLATFORM_REVISION,
        .class_code = XEN_PLATFORM_CLASS,
        .interrupt_pin = 1,
    };
    XenPlatform *p;
    const char *id = conf->id ? conf->id : "xen-platform";

    g_assert(conf->io);
    if (conf->opts &&
        !opts_check_known(conf->opts, "xen-platform", known, errp)) {
        return NULL;
    }
    p = g_new0(XenPlatform, 1);
    if (!xen_unplug_init(&p->unplug, id,
                         conf->opts ? opts_get(conf->opts, "x-blacklist")
                                    : NULL,
                         &conf->hooks, errp)) {
        g_free(p);
        return NULL;
    }
    p->io = conf->io;
    pci_device_init(&p->pci, &xen_platform_pci_ops, &ident, p->unplug.id);
    /* As QEMU's realize: I/O and memory decode on from the start. */
    st16_le(p->pci.config + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    pci_register_bar(&p->pci, 0, PCI_BAR_IO, false, XEN_PLATFORM_BAR0_SIZE,
                     &xen_platform_bar0_ops, p);
    pci_register_bar(&p->pci, 1, PCI_BAR_MEM32, true, XEN_PLATFORM_BAR1_SIZE,
                     &xen_platform_bar1_ops, p);
    if (!iobus_map(p->io, IO_SPACE_PIO, XEN_PLATFORM_IOPORT,
                   XEN_PLATFORM_IOPORT_LEN, &xen_unplug_port_ops, &p->unplug,
                   errp)) {
        g_prefix_error(errp,
                       "xen-platform: ports %#x-%#x: ", XEN_PLATFORM_IOPORT,
                       XEN_PLATFORM_IOPORT + XEN_PLATFORM_IOPORT_LEN - 1);
        xen_platform_destroy(&p->pci);
        return NULL;
    }
    p->ports_mapped = true;
    return &p->pci;
}

uint16_t xen_platform_unplug_mask(PciDevice *dev)
{
    return xen_platform_of(dev)->unplug.unplug_mask;
}

/* ---- Save / restore ---- */

static const DevStateField xen_platform_state_fields[] = {
    DEVSTATE_INT(XenPlatform, unplug.flags, "flags"),
    DEVSTATE_BOOL(XenPlatform, unplug.product_set, "product_set"),
    DEVSTATE_INT(XenPlatform, unplug.product, "product"),
    DEVSTATE_BOOL(XenPlatform, unplug.build_set, "build_set"),
    DEVSTATE_INT(XenPlatform, unplug.build, "build"),
    DEVSTATE_BOOL(XenPlatform, unplug.blacklisted, "blacklisted"),
    DEVSTATE_INT(XenPlatform, unplug.unplug_mask, "unplug_mask"),
};

typedef struct XenPlatformPending {
    uint8_t config[PCI_CONFIG_SIZE];
    XenPlatform snap;
} XenPlatformPending;

static void xen_platform_state_save(void *owner, DevStateWriter *w)
{
    XenPlatform *p = xen_platform_of(owner);

    pci_state_save(&p->pci, w);
    devstate_put_fields(w, xen_platform_state_fields,
                        G_N_ELEMENTS(xen_platform_state_fields), p);
}

static void *xen_platform_state_check(void *owner, DevStateReader *r,
                                      uint32_t version, GError **errp)
{
    XenPlatform *p = xen_platform_of(owner);
    g_autofree XenPlatformPending *n = g_new0(XenPlatformPending, 1);

    if (!pci_state_check(&p->pci, r, n->config, errp) ||
        !devstate_get_fields(r, xen_platform_state_fields,
                             G_N_ELEMENTS(xen_platform_state_fields), &n->snap,
                             errp)) {
        return NULL;
    }
    if (n->snap.unplug.flags & ~XEN_PLATFORM_FLAG_ROM_LOCK) {
        devstate_reader_fail(r, errp, DEVSTATE_ERROR_INVALID,
                             "platform flags %#x", n->snap.unplug.flags);
        return NULL;
    }
    return g_steal_pointer(&n);
}

static void xen_platform_state_apply(void *owner, void *pending)
{
    XenPlatform *p = xen_platform_of(owner);
    XenPlatformPending *n = pending;
    uint8_t flags = n->snap.unplug.flags;

    pci_state_apply(&p->pci, n->config);
    n->snap.unplug.flags = p->unplug.flags;
    devstate_copy_fields(xen_platform_state_fields,
                         G_N_ELEMENTS(xen_platform_state_fields), p, &n->snap);
    /* As the guest sets them: the new process must lock the area again. */
    xen_unplug_port_write(&p->unplug, XEN_PLATFORM_PORT_MAGIC, flags, 1);
    g_free(n);
}

static void xen_platform_state_discard(void *pending)
{
    g_free(pending);
}

const DevStateOps xen_platform_devstate_ops = {
    .type = "xen-platform",
    .version = XEN_PLATFORM_STATE_VERSION,
    .save = xen_platform_state_save,
    .check = xen_platform_state_check,
    .apply = xen_platform_state_apply,
    .discard = xen_platform_state_discard,
};
