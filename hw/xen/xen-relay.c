/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pass-through of the platform's unplug ports to the companion; see
 * xen-relay.h. HMP syntax and output as QEMU 7.2's "i" and "o" commands
 * (hmp_ioport_read/hmp_ioport_write), checked on real Xen (contract 13).
 */
#include <inttypes.h>
#include <stdio.h>

#include "emunet/log.h"
#include "hw/xen/xen-relay.h"

/* One access passed to the companion, until its answer arrives. */
typedef struct XenRelayAccess {
    /* NULL once the relay is gone: the answer is then just dropped. */
    XenRelay *relay;
    hwaddr offset;
    unsigned size;
    bool write;
    char *cmdline;
    /* The guest's access while it waits (NULL: answered already). */
    IoDeferred *deferred;
    /* Its deadline (GLib source id; 0: none). */
    guint timer;
} XenRelayAccess;

struct XenRelay {
    XenUnplug local;
    IoBus *io;
    XenRelayOps ops;
    unsigned timeout_ms;
    bool mapped;
    /*
     * The companion missed a deadline: accesses do not wait for it until
     * it answers again (bounds the guest's stall to one timeout).
     */
    bool unresponsive;
    /* Its QMP could not be reached (logged once). */
    bool gone;
    /* XenRelayAccess * whose answer is due, in the order sent. */
    GQueue sent;
};

/* HMP's size letters (QEMU's /fmt): b 8, h 16, w 32 bits. */
static char xen_relay_size_letter(unsigned size)
{
    return size == 1 ? 'b' : size == 2 ? 'h' : 'w';
}

/* The letter of hmp_ioport_read's answer: portb, portw, portl. */
static char xen_relay_answer_letter(unsigned size)
{
    return size == 1 ? 'b' : size == 2 ? 'w' : 'l';
}

/* What the local model says for the access (a write has no value). */
static uint64_t xen_relay_local(XenRelay *r, const XenRelayAccess *a)
{
    return a->write ? 0 : xen_unplug_port_read(&r->local, a->offset, a->size);
}

/* Finish the guest's access with `value`. */
static void xen_relay_finish(XenRelayAccess *a, uint64_t value)
{
    if (a->timer) {
        g_source_remove(a->timer);
        a->timer = 0;
    }
    if (a->deferred) {
        iobus_complete(g_steal_pointer(&a->deferred), value);
    }
}

/*
 * "portw[0x0010] = 0x49d2\r\n": the value, if the answer is for this
 * port and width.
 */
static bool xen_relay_parse(const XenRelayAccess *a, const char *output,
                            uint64_t *value)
{
    unsigned port;
    char letter;

    if (sscanf(output, "port%c[0x%x] = 0x%" SCNx64, &letter, &port, value) !=
            3 ||
        letter != xen_relay_answer_letter(a->size) ||
        port != XEN_RELAY_PORT + a->offset) {
        return false;
    }
    *value &= a->size == 4 ? 0xffffffffu : (1u << (8 * a->size)) - 1;
    return true;
}

/*
 * The companion's value as the guest gets it. Its blacklisting answer
 * (hvm-emulated-unplug.pandoc step 5) is what the local model learns;
 * a driver emunet itself blacklists reads 0xd249 in any case.
 */
static uint64_t xen_relay_merge(XenRelay *r, const XenRelayAccess *a,
                                uint64_t value)
{
    if (a->offset != XEN_PLATFORM_PORT_MAGIC || a->size != 2) {
        return value;
    }
    if (value == XEN_PLATFORM_MAGIC_BLACKLISTED) {
        xen_unplug_set_blacklisted(&r->local);
    } else if (r->local.blacklisted) {
        value = XEN_PLATFORM_MAGIC_BLACKLISTED;
    }
    return value;
}

static void xen_relay_access_free(XenRelayAccess *a)
{
    g_free(a->cmdline);
    g_free(a);
}

/* The companion answered `a` (output NULL: it cannot any more). */
static void xen_relay_reply(void *opaque, const char *output)
{
    XenRelayAccess *a = opaque;
    XenRelay *r = a->relay;
    uint64_t value;

    if (!r) {
        xen_relay_access_free(a);
        return;
    }
    g_queue_remove(&r->sent, a);
    log_trace(LOG_XEN, "relay: %s -> %s", a->cmdline,
              output ? output : "(no answer)");
    if (output && r->unresponsive) {
        log_info("xen-platform relay: the companion answers again");
        r->unresponsive = false;
    }
    if (a->deferred) {
        if (!output) {
            log_error("xen-platform relay: no answer from the companion to "
                      "\"%s\": answered from emunet's model",
                      a->cmdline);
            value = xen_relay_local(r, a);
        } else if (a->write) {
            value = 0;
        } else if (xen_relay_parse(a, output, &value)) {
            value = xen_relay_merge(r, a, value);
        } else {
            log_error("xen-platform relay: unexpected answer to \"%s\": "
                      "%.100s; answered from emunet's model",
                      a->cmdline, output);
            value = xen_relay_local(r, a);
        }
        xen_relay_finish(a, value);
    } else if (output && a->write && *output) {
        log_error("xen-platform relay: the companion refused \"%s\": %.100s",
                  a->cmdline, output);
    }
    xen_relay_access_free(a);
}

/* The companion is too slow for the access: the local model answers. */
static gboolean xen_relay_timeout(gpointer opaque)
{
    XenRelayAccess *a = opaque;
    XenRelay *r = a->relay;

    a->timer = 0;
    if (!r->unresponsive) {
        log_error("xen-platform relay: the companion did not answer \"%s\" "
                  "within %u ms: answered from emunet's model, and no "
                  "access waits for it until it answers again",
                  a->cmdline, r->timeout_ms);
        r->unresponsive = true;
    }
    xen_relay_finish(a, xen_relay_local(r, a));
    return G_SOURCE_REMOVE;
}

/*
 * Pass the access on and, when the transport lets it, hold the guest
 * until the companion answered. False when it could not be sent or is
 * not held: the caller answers at once.
 */
static bool xen_relay_pass(XenRelay *r, hwaddr offset, unsigned size,
                           bool write, uint64_t value)
{
    XenRelayAccess *a = g_new0(XenRelayAccess, 1);
    unsigned port = XEN_RELAY_PORT + (unsigned)offset;

    a->relay = r;
    a->offset = offset;
    a->size = size;
    a->write = write;
    a->cmdline =
        write
            ? g_strdup_printf("o /%c 0x%x 0x%" PRIx64,
                              xen_relay_size_letter(size), port, value)
            : g_strdup_printf("i /%c 0x%x", xen_relay_size_letter(size), port);
    if (!r->ops.hmp(r->ops.opaque, a->cmdline, xen_relay_reply, a)) {
        if (!r->gone) {
            log_error("xen-platform relay: the companion's QMP is gone: "
                      "its platform ports are answered by emunet alone");
            r->gone = true;
        }
        xen_relay_access_free(a);
        return false;
    }
    r->gone = false;
    g_queue_push_tail(&r->sent, a);
    if (r->unresponsive) {
        return false;
    }
    a->deferred = iobus_defer(r->io);
    if (!a->deferred) {
        return false;
    }
    a->timer = g_timeout_add(r->timeout_ms, xen_relay_timeout, a);
    return true;
}

static uint64_t xen_relay_read(void *opaque, hwaddr offset, unsigned size)
{
    XenRelay *r = opaque;

    /* Held: the answer is the companion's (or the local one, later). */
    if (xen_relay_pass(r, offset, size, false, 0)) {
        return 0;
    }
    return xen_unplug_port_read(&r->local, offset, size);
}

static void xen_relay_write(void *opaque, hwaddr offset, uint64_t value,
                            unsigned size)
{
    XenRelay *r = opaque;

    /* The local model first: a NIC unplug is emunet's to do. */
    xen_unplug_port_write(&r->local, offset, value, size);
    xen_relay_pass(r, offset, size, true, value);
}

static const IoOps xen_relay_ops = {
    .name = "xen-platform-relay",
    .read = xen_relay_read,
    .write = xen_relay_write,
    .min_access = 1,
    .max_access = 4,
};

XenRelay *xen_relay_new(const XenRelayConf *conf, GError **errp)
{
    XenRelay *r = g_new0(XenRelay, 1);

    g_assert(conf->io && conf->ops.hmp);
    if (!xen_unplug_init(&r->local, "xen-platform", NULL, &conf->hooks, errp)) {
        g_free(r);
        return NULL;
    }
    r->io = conf->io;
    r->ops = conf->ops;
    r->timeout_ms = conf->timeout_ms ? conf->timeout_ms : XEN_RELAY_TIMEOUT_MS;
    g_queue_init(&r->sent);
    if (!iobus_map(r->io, IO_SPACE_PIO, XEN_RELAY_PORT, XEN_RELAY_PORT_LEN,
                   &xen_relay_ops, r, errp)) {
        g_prefix_error(errp,
                       "xen-platform relay: ports %#x-%#x: ", XEN_RELAY_PORT,
                       XEN_RELAY_PORT + XEN_RELAY_PORT_LEN - 1);
        xen_relay_free(r);
        return NULL;
    }
    r->mapped = true;
    return r;
}

void xen_relay_reset(XenRelay *r)
{
    xen_unplug_reset(&r->local);
}

void xen_relay_free(XenRelay *r)
{
    XenRelayAccess *a;

    if (!r) {
        return;
    }
    /* No vCPU may stay blocked; the answers still due find no relay. */
    while ((a = g_queue_pop_head(&r->sent))) {
        xen_relay_finish(a, xen_relay_local(r, a));
        a->relay = NULL;
    }
    if (r->mapped) {
        iobus_unmap(r->io, IO_SPACE_PIO, XEN_RELAY_PORT, &xen_relay_ops, r);
    }
    xen_unplug_destroy(&r->local);
    g_free(r);
}
