/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The unplug protocol of the Xen platform device; see xen-unplug.h.
 * Sources: Xen docs/misc/hvm-emulated-unplug.pandoc (the protocol),
 * xen/include/public/hvm/pvdrivers.h (product numbers), contract 5.2
 * (port semantics as QEMU 7.2 implements them).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "emunet/log.h"
#include "hw/xen/xen-unplug.h"

/* A guest log line is flushed at a newline or this many bytes. */
#define XEN_UNPLUG_LOG_MAX 4095
/* Guest log lines: a burst, then one per second. */
#define XEN_UNPLUG_LOG_BURST 20

#define XEN_UNPLUG_ERROR g_quark_from_static_string("emunet-xen-platform")

/* xen/include/public/hvm/pvdrivers.h, PVDRIVERS_PRODUCT_LIST. */
static const struct {
    const char *name;
    uint16_t number;
} xen_unplug_products[] = {
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

/* pvdrivers.h name of a product, or its number in decimal (buf). */
static const char *xen_unplug_product_name(uint16_t product, char *buf,
                                           size_t len)
{
    for (size_t i = 0; i < G_N_ELEMENTS(xen_unplug_products); i++) {
        if (xen_unplug_products[i].number == product) {
            return xen_unplug_products[i].name;
        }
    }
    g_snprintf(buf, len, "%u", product);
    return buf;
}

/* ---- Guest log ---- */

static void xen_unplug_log_flush(XenUnplug *u)
{
    int64_t now = g_get_monotonic_time();

    if (u->log->len == 0) {
        return;
    }
    if (now - u->log_window_us >= G_USEC_PER_SEC) {
        u->log_window_us = now;
        u->log_lines = 0;
    }
    if (u->log_lines >= XEN_UNPLUG_LOG_BURST) {
        u->log_suppressed++;
    } else {
        u->log_lines++;
        if (u->log_suppressed) {
            log_info("%s: guest: (%u lines suppressed)", u->id,
                     u->log_suppressed);
            u->log_suppressed = 0;
        }
        log_info("%s: guest: %s", u->id, u->log->str);
    }
    g_string_truncate(u->log, 0);
}

/* One byte of the guest's log; unprintable bytes are shown as '?'. */
static void xen_unplug_log_byte(XenUnplug *u, uint8_t c)
{
    if (c == '\n') {
        xen_unplug_log_flush(u);
        return;
    }
    g_string_append_c(u->log, g_ascii_isprint(c) ? (char)c : '?');
    if (u->log->len >= XEN_UNPLUG_LOG_MAX) {
        xen_unplug_log_flush(u);
    }
}

/* ---- Protocol ---- */

static bool xen_unplug_check_blacklist(XenUnplug *u)
{
    char buf[8];
    const char *name = xen_unplug_product_name(u->product, buf, sizeof(buf));

    for (guint i = 0; i < u->blacklist->len; i++) {
        const XenBlacklistEntry *e =
            &g_array_index(u->blacklist, XenBlacklistEntry, i);

        if (e->product == u->product &&
            (e->any_build || e->build == u->build)) {
            return true;
        }
    }
    return u->hooks.blacklisted &&
           u->hooks.blacklisted(u->hooks.opaque, name, u->build);
}

/* Handshake step 4: the build number completes the driver's identity. */
static void xen_unplug_set_build(XenUnplug *u, uint32_t build)
{
    char buf[8];

    u->build = build;
    u->build_set = true;
    if (!u->product_set) {
        log_guest_error(LOG_XEN,
                        "%s: driver build %u written before a "
                        "product number",
                        u->id, build);
        return;
    }
    u->blacklisted = xen_unplug_check_blacklist(u);
    log_info("%s: PV driver %s build %u%s", u->id,
             xen_unplug_product_name(u->product, buf, sizeof(buf)), build,
             u->blacklisted ? " is blacklisted: emulated devices stay" : "");
}

void xen_unplug_set_blacklisted(XenUnplug *u)
{
    char buf[8];

    if (u->blacklisted) {
        return;
    }
    u->blacklisted = true;
    log_info("%s: PV driver %s build %u is blacklisted by the companion: "
             "emulated devices stay",
             u->id, xen_unplug_product_name(u->product, buf, sizeof(buf)),
             u->build);
}

static void xen_unplug_mask(XenUnplug *u, uint16_t mask, const char *how)
{
    uint16_t disks = mask & (XEN_UNPLUG_ALL_DISKS | XEN_UNPLUG_AUX_IDE_DISKS |
                             XEN_UNPLUG_NVME_DISKS);

    if (u->blacklisted) {
        log_guest_error(LOG_XEN,
                        "%s: unplug %#x (%s) from a blacklisted "
                        "driver ignored",
                        u->id, mask, how);
        return;
    }
    u->unplug_mask |= mask;
    if (disks) {
        log_info("%s: disk unplug %#x (%s) recorded; emunet has no disks",
                 u->id, disks, how);
    }
    if (mask & ~(disks | XEN_UNPLUG_ALL_NICS)) {
        log_guest_error(LOG_XEN, "%s: unknown unplug bits %#x", u->id,
                        mask & ~(disks | XEN_UNPLUG_ALL_NICS));
    }
    if (mask & XEN_UNPLUG_ALL_NICS) {
        u->hooks.unplug_nics(u->hooks.opaque);
    }
}

static void xen_unplug_set_flags(XenUnplug *u, uint8_t val)
{
    uint8_t flags = val & XEN_PLATFORM_FLAG_ROM_LOCK;

    if (flags != u->flags && u->hooks.rom_lock) {
        u->hooks.rom_lock(u->hooks.opaque, flags != 0);
    }
    u->flags = flags;
}

/* ---- Fixed ports 0x10-0x1f ---- */

uint64_t xen_unplug_port_read(XenUnplug *u, hwaddr offset, unsigned size)
{
    if (offset == XEN_PLATFORM_PORT_MAGIC && size == 2) {
        return u->blacklisted ? XEN_PLATFORM_MAGIC_BLACKLISTED
                              : XEN_PLATFORM_MAGIC;
    }
    if (offset == XEN_PLATFORM_PORT_MAGIC && size == 1) {
        return u->flags;
    }
    if (offset == XEN_PLATFORM_PORT_VERSION && size == 1) {
        return XEN_PLATFORM_PROTOCOL_VERSION;
    }
    /* Not part of the protocol (contract 13: a 32-bit read is ~0). */
    return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

void xen_unplug_port_write(XenUnplug *u, hwaddr offset, uint64_t val,
                           unsigned size)
{
    if (offset == XEN_PLATFORM_PORT_MAGIC) {
        switch (size) {
        case 1:
            xen_unplug_set_flags(u, (uint8_t)val);
            return;
        case 2:
            xen_unplug_mask(u, (uint16_t)val, "port 0x10");
            return;
        case 4:
            xen_unplug_set_build(u, (uint32_t)val);
            return;
        }
    } else if (offset == XEN_PLATFORM_PORT_VERSION) {
        switch (size) {
        case 1:
            xen_unplug_log_byte(u, (uint8_t)val);
            return;
        case 2:
            /* Step 3 starts a new handshake. */
            u->product = (uint16_t)val;
            u->product_set = true;
            u->build_set = false;
            u->blacklisted = false;
            return;
        }
    }
    log_trace(LOG_XEN, "%s: ignored %u-byte write %#" PRIx64 " to port %#x",
              u->id, size, val, (unsigned)(XEN_PLATFORM_IOPORT + offset));
}

static uint64_t xen_unplug_io_read(void *opaque, hwaddr addr, unsigned size)
{
    return xen_unplug_port_read(opaque, addr, size);
}

static void xen_unplug_io_write(void *opaque, hwaddr addr, uint64_t val,
                                unsigned size)
{
    xen_unplug_port_write(opaque, addr, val, size);
}

const IoOps xen_unplug_port_ops = {
    .name = "xen-platform-fixed",
    .read = xen_unplug_io_read,
    .write = xen_unplug_io_write,
    .min_access = 1,
    .max_access = 4,
};

void xen_unplug_legacy_write(XenUnplug *u, hwaddr offset, uint8_t val)
{
    switch (offset) {
    case 0:
        xen_unplug_set_flags(u, val);
        break;
    case 4:
        /* Old SUSE xen-kmp / VMDP: an unconditional outl(1, io + 4). */
        if (val == 1) {
            xen_unplug_mask(u, XEN_UNPLUG_ALL_DISKS | XEN_UNPLUG_ALL_NICS,
                            "BAR0 offset 4");
        }
        break;
    case 8:
        /* Old VMDP: 1 disks, 2 NICs; anything else is a log byte. */
        if (val == 1) {
            xen_unplug_mask(u, XEN_UNPLUG_ALL_DISKS, "BAR0 offset 8");
        } else if (val == 2) {
            xen_unplug_mask(u, XEN_UNPLUG_ALL_NICS, "BAR0 offset 8");
        } else {
            xen_unplug_log_byte(u, val);
        }
        break;
    default:
        break;
    }
}

/* ---- Lifecycle ---- */

void xen_unplug_reset(XenUnplug *u)
{
    xen_unplug_set_flags(u, 0);
    u->product_set = false;
    u->product = 0;
    u->build_set = false;
    u->build = 0;
    u->blacklisted = false;
    g_string_truncate(u->log, 0);
}

static bool xen_unplug_parse_product(const char *s, uint16_t *out)
{
    char *end;
    unsigned long v;

    for (size_t i = 0; i < G_N_ELEMENTS(xen_unplug_products); i++) {
        if (strcmp(xen_unplug_products[i].name, s) == 0) {
            *out = xen_unplug_products[i].number;
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
static bool xen_unplug_parse_entry(const char *item, XenBlacklistEntry *e)
{
    g_auto(GStrv) pb = g_strsplit(item, "/", 2);
    unsigned long long build;
    char *end;

    if (!pb[0] || !pb[1] || !xen_unplug_parse_product(pb[0], &e->product)) {
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

bool xen_unplug_init(XenUnplug *u, const char *id, const char *blacklist,
                     const XenPlatformHooks *hooks, GError **errp)
{
    g_auto(GStrv) items = blacklist ? g_strsplit(blacklist, ":", -1) : NULL;
    GArray *entries = g_array_new(FALSE, FALSE, sizeof(XenBlacklistEntry));

    g_assert(hooks->unplug_nics);
    for (char **it = items; it && *it; it++) {
        XenBlacklistEntry e = {0};

        if (!xen_unplug_parse_entry(*it, &e)) {
            g_set_error(errp, XEN_UNPLUG_ERROR, 0,
                        "xen-platform: x-blacklist: '%s' is not "
                        "PRODUCT/BUILD (PRODUCT a pvdrivers.h name such as "
                        "linux, or a number; BUILD a decimal number or *)",
                        *it);
            g_array_free(entries, TRUE);
            return false;
        }
        g_array_append_val(entries, e);
    }
    *u = (XenUnplug){
        .id = g_strdup(id),
        .hooks = *hooks,
        .blacklist = entries,
        .log = g_string_new(NULL),
    };
    return true;
}

void xen_unplug_destroy(XenUnplug *u)
{
    xen_unplug_log_flush(u);
    g_string_free(u->log, TRUE);
    g_array_free(u->blacklist, TRUE);
    g_free(u->id);
}
