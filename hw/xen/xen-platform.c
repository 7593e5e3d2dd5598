/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Xen platform PCI device and unplug protocol; see xen-platform.h.
 * Sources: Xen docs/misc/hvm-emulated-unplug.pandoc (the protocol),
 * xen/include/public/hvm/pvdrivers.h (product numbers), contract 5.1-5.3
 * (identity, port semantics as QEMU 7.2 implements them).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "emunet/log.h"
#include "hw/pci/pci-state.h"
#include "hw/pci/pci_regs.h"
#include "hw/xen/xen-platform.h"

#define XEN_PLATFORM_DEVICE_ID 0x0001
#define XEN_PLATFORM_REVISION 1
#define XEN_PLATFORM_CLASS 0xff8000u
#define XEN_PLATFORM_BAR0_SIZE 0x100
#define XEN_PLATFORM_BAR1_SIZE (16u * 1024 * 1024)
/* Platform flags: bit 0 locks the BIOS area (the only defined bit). */
#define XEN_PLATFORM_FLAG_ROM_LOCK 0x01
/* A guest log line is flushed at a newline or this many bytes. */
#define XEN_PLATFORM_LOG_MAX 4095
/* Guest log lines: a burst, then one per second. */
#define XEN_PLATFORM_LOG_BURST 20
#define XEN_PLATFORM_STATE_VERSION 1

#define XEN_PLATFORM_ERROR g_quark_from_static_string("emunet-xen-platform")

/* xen/include/public/hvm/pvdrivers.h, PVDRIVERS_PRODUCT_LIST. */
static const struct {
    const char *name;
    uint16_t number;
} xen_platform_products[] = {
    {"xensource-windows", 0x0001},
    {"gplpv-windows", 0x0002},
    {"linux", 0x0003},
    {"xenserver-windows-v7.0+", 0x0004},
    {"xenserver-windows-v7.2+", 0x0005},
    {"experimental", 0xffff},
};

/* One x-blacklist= entry. */
typedef struct XenBlacklistEntry {
    uint16_t product;
    bool any_build;
    uint32_t build;
} XenBlacklistEntry;

typedef struct XenPlatform {
    PciDevice pci;
    char *id;
    IoBus *io;
    bool ports_mapped;
    XenPlatformHooks hooks;
    GArray *blacklist; /* XenBlacklistEntry */

    /* Guest-visible state (saved). */
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
} XenPlatform;

static XenPlatform *xen_platform_of(PciDevice *dev)
{
    return (XenPlatform *)((char *)dev - offsetof(XenPlatform, pci));
}

/* pvdrivers.h name of a product, or its number in decimal (buf). */
static const char *xen_platform_product_name(uint16_t product, char *buf,
                                             size_t len)
{
    for (size_t i = 0; i < G_N_ELEMENTS(xen_platform_products); i++) {
        if (xen_platform_products[i].number == product) {
            return xen_platform_products[i].name;
        }
    }
    g_snprintf(buf, len, "%u", product);
    return buf;
}

/* ---- Guest log ---- */

static void xen_platform_log_flush(XenPlatform *p)
{
    int64_t now = g_get_monotonic_time();

    if (p->log->len == 0) {
        return;
    }
    if (now - p->log_window_us >= G_USEC_PER_SEC) {
        p->log_window_us = now;
        p->log_lines = 0;
    }
    if (p->log_lines >= XEN_PLATFORM_LOG_BURST) {
        p->log_suppressed++;
    } else {
        p->log_lines++;
        if (p->log_suppressed) {
            log_info("%s: guest: (%u lines suppressed)", p->id,
                     p->log_suppressed);
            p->log_suppressed = 0;
        }
        log_info("%s: guest: %s", p->id, p->log->str);
    }
    g_string_truncate(p->log, 0);
}

/* One byte of the guest's log; unprintable bytes are shown as '?'. */
static void xen_platform_log_byte(XenPlatform *p, uint8_t c)
{
    if (c == '\n') {
        xen_platform_log_flush(p);
        return;
    }
    g_string_append_c(p->log, g_ascii_isprint(c) ? (char)c : '?');
    if (p->log->len >= XEN_PLATFORM_LOG_MAX) {
        xen_platform_log_flush(p);
    }
}

/* ---- Protocol ---- */

static bool xen_platform_check_blacklist(XenPlatform *p)
{
    char buf[8];
    const char *name = xen_platform_product_name(p->product, buf, sizeof(buf));

    for (guint i = 0; i < p->blacklist->len; i++) {
        const XenBlacklistEntry *e =
            &g_array_index(p->blacklist, XenBlacklistEntry, i);

        if (e->product == p->product &&
            (e->any_build || e->build == p->build)) {
            return true;
        }
    }
    return p->hooks.blacklisted &&
           p->hooks.blacklisted(p->hooks.opaque, name, p->build);
}

/* Handshake step 4: the build number completes the driver's identity. */
static void xen_platform_set_build(XenPlatform *p, uint32_t build)
{
    char buf[8];

    p->build = build;
    p->build_set = true;
    if (!p->product_set) {
        log_guest_error(LOG_XEN,
                        "%s: driver build %u written before a "
                        "product number",
                        p->id, build);
        return;
    }
    p->blacklisted = xen_platform_check_blacklist(p);
    log_info("%s: PV driver %s build %u%s", p->id,
             xen_platform_product_name(p->product, buf, sizeof(buf)), build,
             p->blacklisted ? " is blacklisted: emulated devices stay" : "");
}

static void xen_platform_unplug(XenPlatform *p, uint16_t mask, const char *how)
{
    uint16_t disks = mask & (XEN_UNPLUG_ALL_DISKS | XEN_UNPLUG_AUX_IDE_DISKS |
                             XEN_UNPLUG_NVME_DISKS);

    if (p->blacklisted) {
        log_guest_error(LOG_XEN,
                        "%s: unplug %#x (%s) from a blacklisted "
                        "driver ignored",
                        p->id, mask, how);
        return;
    }
    p->unplug_mask |= mask;
    if (disks) {
        log_info("%s: disk unplug %#x (%s) recorded; emunet has no disks",
                 p->id, disks, how);
    }
    if (mask & ~(disks | XEN_UNPLUG_ALL_NICS)) {
        log_guest_error(LOG_XEN, "%s: unknown unplug bits %#x", p->id,
                        mask & ~(disks | XEN_UNPLUG_ALL_NICS));
    }
    if (mask & XEN_UNPLUG_ALL_NICS) {
        p->hooks.unplug_nics(p->hooks.opaque);
    }
}

static void xen_platform_set_flags(XenPlatform *p, uint8_t val)
{
    uint8_t flags = val & XEN_PLATFORM_FLAG_ROM_LOCK;

    if (flags != p->flags && p->hooks.rom_lock) {
        p->hooks.rom_lock(p->hooks.opaque, flags != 0);
    }
    p->flags = flags;
}

/* ---- Fixed ports 0x10-0x1f ---- */

static uint64_t xen_platform_port_read(void *opaque, hwaddr addr, unsigned size)
{
    XenPlatform *p = opaque;

    if (addr == 0 && size == 2) {
        return p->blacklisted ? XEN_PLATFORM_MAGIC_BLACKLISTED
                              : XEN_PLATFORM_MAGIC;
    }
    if (addr == 0 && size == 1) {
        return p->flags;
    }
    if (addr == 2 && size == 1) {
        return XEN_PLATFORM_PROTOCOL_VERSION;
    }
    /* Not part of the protocol (contract 13: a 32-bit read is ~0). */
    return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void xen_platform_port_write(void *opaque, hwaddr addr, uint64_t val,
                                    unsigned size)
{
    XenPlatform *p = opaque;

    if (addr == 0) {
        switch (size) {
        case 1:
            xen_platform_set_flags(p, (uint8_t)val);
            return;
        case 2:
            xen_platform_unplug(p, (uint16_t)val, "port 0x10");
            return;
        case 4:
            xen_platform_set_build(p, (uint32_t)val);
            return;
        }
    } else if (addr == 2) {
        switch (size) {
        case 1:
            xen_platform_log_byte(p, (uint8_t)val);
            return;
        case 2:
            /* Step 3 starts a new handshake. */
            p->product = (uint16_t)val;
            p->product_set = true;
            p->build_set = false;
            p->blacklisted = false;
            return;
        }
    }
    log_trace(LOG_XEN, "%s: ignored %u-byte write %#" PRIx64 " to port %#x",
              p->id, size, val, (unsigned)(XEN_PLATFORM_IOPORT + addr));
}

static const IoOps xen_platform_port_ops = {
    .name = "xen-platform-fixed",
    .read = xen_platform_port_read,
    .write = xen_platform_port_write,
    .min_access = 1,
    .max_access = 4,
};

/* ---- BAR0 (I/O): flags and the legacy unplug aliases ---- */

static uint64_t xen_platform_bar0_read(void *opaque, hwaddr addr, unsigned size)
{
    XenPlatform *p = opaque;

    return addr == 0 ? p->flags : 0xff;
}

static void xen_platform_bar0_write(void *opaque, hwaddr addr, uint64_t val,
                                    unsigned size)
{
    XenPlatform *p = opaque;

    switch (addr) {
    case 0:
        xen_platform_set_flags(p, (uint8_t)val);
        break;
    case 4:
        /* Old SUSE xen-kmp / VMDP: an unconditional outl(1, io + 4). */
        if (val == 1) {
            xen_platform_unplug(p, XEN_UNPLUG_ALL_DISKS | XEN_UNPLUG_ALL_NICS,
                                "BAR0 offset 4");
        }
        break;
    case 8:
        /* Old VMDP: 1 disks, 2 NICs; anything else is a log byte. */
        if (val == 1) {
            xen_platform_unplug(p, XEN_UNPLUG_ALL_DISKS, "BAR0 offset 8");
        } else if (val == 2) {
            xen_platform_unplug(p, XEN_UNPLUG_ALL_NICS, "BAR0 offset 8");
        } else {
            xen_platform_log_byte(p, (uint8_t)val);
        }
        break;
    default:
        break;
    }
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
    XenPlatform *p = xen_platform_of(dev);

    xen_platform_set_flags(p, 0);
    p->product_set = false;
    p->product = 0;
    p->build_set = false;
    p->build = 0;
    p->blacklisted = false;
    g_string_truncate(p->log, 0);
}

static void xen_platform_destroy(PciDevice *dev)
{
    XenPlatform *p = xen_platform_of(dev);

    if (p->ports_mapped) {
        iobus_unmap(p->io, IO_SPACE_PIO, XEN_PLATFORM_IOPORT,
                    &xen_platform_port_ops, p);
    }
    xen_platform_log_flush(p);
    g_string_free(p->log, TRUE);
    g_array_free(p->blacklist, TRUE);
    g_free(p->pci.rom);
    g_free(p->id);
    g_free(p);
}

static const PciDeviceOps xen_platform_pci_ops = {
    .reset = xen_platform_reset,
    .destroy = xen_platform_destroy,
};

static bool xen_platform_parse_product(const char *s, uint16_t *out)
{
    char *end;
    unsigned long v;

    for (size_t i = 0; i < G_N_ELEMENTS(xen_platform_products); i++) {
        if (strcmp(xen_platform_products[i].name, s) == 0) {
            *out = xen_platform_products[i].number;
            return true;
        }
    }
    v = strtoul(s, &end, 0);
    if (!g_ascii_isdigit(*s) || *end || v > 0xffff) {
        return false;
    }
    *out = (uint16_t)v;
    return true;
}

/* One x-blacklist= item: PRODUCT/BUILD or PRODUCT/'*'. */
static bool xen_platform_parse_entry(const char *item, XenBlacklistEntry *e)
{
    g_auto(GStrv) pb = g_strsplit(item, "/", 2);
    unsigned long long build;
    char *end;

    if (!pb[0] || !pb[1] || !xen_platform_parse_product(pb[0], &e->product)) {
        return false;
    }
    if (strcmp(pb[1], "*") == 0) {
        e->any_build = true;
        return true;
    }
    build = strtoull(pb[1], &end, 10);
    if (!g_ascii_isdigit(pb[1][0]) || *end || build > UINT32_MAX) {
        return false;
    }
    e->build = (uint32_t)build;
    return true;
}

/* x-blacklist=PRODUCT/BUILD[:PRODUCT/BUILD...] */
static bool xen_platform_parse_blacklist(XenPlatform *p, const char *spec,
                                         GError **errp)
{
    g_auto(GStrv) items = g_strsplit(spec, ":", -1);

    for (char **it = items; *it; it++) {
        XenBlacklistEntry e = {0};

        if (!xen_platform_parse_entry(*it, &e)) {
            g_set_error(errp, XEN_PLATFORM_ERROR, 0,
                        "xen-platform: x-blacklist: '%s' is not "
                        "PRODUCT/BUILD (PRODUCT a pvdrivers.h name such as "
                        "linux, or a number; BUILD a decimal number or *)",
                        *it);
            return false;
        }
        g_array_append_val(p->blacklist, e);
    }
    return true;
}

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
    const char *spec;
    XenPlatform *p;

    g_assert(conf->io && conf->hooks.unplug_nics);
    if (conf->opts &&
        !opts_check_known(conf->opts, "xen-platform", known, errp)) {
        return NULL;
    }
    p = g_new0(XenPlatform, 1);
    p->id = g_strdup(conf->id ? conf->id : "xen-platform");
    p->io = conf->io;
    p->hooks = conf->hooks;
    p->blacklist = g_array_new(FALSE, FALSE, sizeof(XenBlacklistEntry));
    p->log = g_string_new(NULL);
    pci_device_init(&p->pci, &xen_platform_pci_ops, &ident, p->id);
    /* As QEMU's realize: I/O and memory decode on from the start. */
    st16_le(p->pci.config + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    pci_register_bar(&p->pci, 0, PCI_BAR_IO, false, XEN_PLATFORM_BAR0_SIZE,
                     &xen_platform_bar0_ops, p);
    pci_register_bar(&p->pci, 1, PCI_BAR_MEM32, true, XEN_PLATFORM_BAR1_SIZE,
                     &xen_platform_bar1_ops, p);
    spec = conf->opts ? opts_get(conf->opts, "x-blacklist") : NULL;
    if (spec && !xen_platform_parse_blacklist(p, spec, errp)) {
        xen_platform_destroy(&p->pci);
        return NULL;
    }
    if (!iobus_map(p->io, IO_SPACE_PIO, XEN_PLATFORM_IOPORT,
                   XEN_PLATFORM_IOPORT_LEN, &xen_platform_port_ops, p, errp)) {
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
    return xen_platform_of(dev)->unplug_mask;
}

/* ---- Save / restore ---- */

static const DevStateField xen_platform_state_fields[] = {
    DEVSTATE_INT(XenPlatform, flags, "flags"),
    DEVSTATE_BOOL(XenPlatform, product_set, "product_set"),
    DEVSTATE_INT(XenPlatform, product, "product"),
    DEVSTATE_BOOL(XenPlatform, build_set, "build_set"),
    DEVSTATE_INT(XenPlatform, build, "build"),
    DEVSTATE_BOOL(XenPlatform, blacklisted, "blacklisted"),
    DEVSTATE_INT(XenPlatform, unplug_mask, "unplug_mask"),
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
    if (n->snap.flags & ~XEN_PLATFORM_FLAG_ROM_LOCK) {
        devstate_reader_fail(r, errp, DEVSTATE_ERROR_INVALID,
                             "platform flags %#x", n->snap.flags);
        return NULL;
    }
    return g_steal_pointer(&n);
}

static void xen_platform_state_apply(void *owner, void *pending)
{
    XenPlatform *p = xen_platform_of(owner);
    XenPlatformPending *n = pending;
    uint8_t flags = n->snap.flags;

    pci_state_apply(&p->pci, n->config);
    n->snap.flags = p->flags;
    devstate_copy_fields(xen_platform_state_fields,
                         G_N_ELEMENTS(xen_platform_state_fields), p, &n->snap);
    /* Through the hook: the new process must lock the area again. */
    xen_platform_set_flags(p, flags);
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
