/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Xen transport; see transport-xen.h. This file only assembles:
 * xen-host.c opens the libraries, ioreq.c runs the server, ioreq-dispatch.c
 * emulates each request, gmem-xen.c / irq-xen.c / xenstore.c are the
 * GuestMem, IrqLine and xenstore sides.
 */
#include <errno.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <signal.h>
#include <xentoolcore.h>

#include "core/depriv.h"
#include "emunet/log.h"
#include "xen/gmem-xen.h"
#include "xen/ioreq-dispatch.h"
#include "xen/ioreq.h"
#include "xen/irq-xen.h"
#include "xen/transport-xen.h"
#include "xen/xen-host.h"
#include "xen/xenstore.h"

/* DOMID_FIRST_RESERVED (xen.h): ids from here on are not domains. */
#define XEN_DOMID_LIMIT 0x7ff0
/* XenbusStateConnected (io/xenbus.h). */
#define XEN_TRANSPORT_XENBUS_CONNECTED 4

typedef struct XenTransport XenTransport;

/* A vCPU whose access a device deferred (iobus_defer). */
typedef struct XenDeferred {
    XenTransport *xt;
    unsigned vcpu;
} XenDeferred;

struct XenTransport {
    Transport t; /* first: xen_transport_of() */
    XenHost *host;
    IoreqServer *srv;
    XenStore *xs;
    XenIntx *intx;
    /* What Xen routes to us: decode ranges and PCI functions. */
    IoreqRanges ranges;
    uint32_t owned_devfns[256 / 32];
    IoreqDispatch dispatch;
    /* Option strings rewritten with the vifs' MAC / bridge. */
    GPtrArray *owned_strings;
    /* XenStoreWatch: the PV frontends of the NICs' paired vifs. */
    GPtrArray *vif_watches;
    /* XenTransportConfig.vif_connected and its opaque. */
    void (*vif_connected)(void *opaque, unsigned devid);
    void *vif_opaque;
    guint signal_ids[3];
    /* Per vCPU: the completion context of a deferred access. */
    XenDeferred *deferred;
    /* The VM runs (xen_transport_set_running); false from -S to cont. */
    bool running;
    /* Started paused: "running" is recorded when the VM first runs. */
    bool dm_state_pending;
};

static const int xen_transport_signals[] = {SIGHUP, SIGTERM, SIGINT};

static const TransportOps xen_transport_ops;

static XenTransport *xen_transport_of(Transport *t)
{
    return (XenTransport *)t;
}

XenStore *xen_transport_store(Transport *t)
{
    return t && t->ops == &xen_transport_ops ? xen_transport_of(t)->xs
                                              : NULL;
}

/* ---- serving ---- */

static void xen_transport_invalidate(void *opaque)
{
    XenTransport *xt = opaque;

    xen_gmem_invalidate(xt->t.mem);
}

/* A device finished the access it deferred (iobus.h): answer the vCPU. */
static void xen_transport_deferred_done(void *opaque, uint64_t value)
{
    XenDeferred *d = opaque;

    ioreq_server_complete(d->xt->srv, d->vcpu, value);
}

static bool xen_transport_handle(void *opaque, unsigned vcpu, ioreq_t *req)
{
    XenTransport *xt = opaque;
    /* One port or MMIO access may be finished later by its device. */
    bool single =
        (req->type == IOREQ_TYPE_PIO || req->type == IOREQ_TYPE_COPY) &&
        !req->data_is_ptr && req->count == 1 && vcpu < xt->host->nr_vcpus;
    IoreqResult res;

    if (single) {
        iobus_defer_arm(xt->t.iobus, xen_transport_deferred_done,
                        &xt->deferred[vcpu]);
    }
    res = ioreq_dispatch(&xt->dispatch, req);
    if (single && iobus_defer_disarm(xt->t.iobus)) {
        log_trace(LOG_XEN, "%s %s addr 0x%" PRIx64 " size %u: deferred",
                  ioreq_type_name(req->type),
                  req->dir == IOREQ_READ ? "r" : "w", req->addr, req->size);
        return false;
    }
    log_trace(LOG_XEN,
              "%s %s addr 0x%" PRIx64 " size %u count %u ptr %u df %u "
              "data 0x%" PRIx64 ": %d",
              ioreq_type_name(req->type), req->dir == IOREQ_READ ? "r" : "w",
              req->addr, req->size, req->count, req->data_is_ptr, req->df,
              req->data, res);
    return true;
}

/* xen_transport_exit_status(): 1 once serving failed at run time. */
static int xen_transport_status;

int xen_transport_exit_status(void)
{
    return xen_transport_status;
}

/* ioreq.c has destroyed the server and logged the cause: stop, failing. */
static void xen_transport_fatal(void *opaque, const char *why)
{
    XenTransport *xt = opaque;

    xen_transport_status = 1;
    if (xt->t.loop) {
        g_main_loop_quit(xt->t.loop);
    }
}

static const IoreqServerOps xen_transport_server_ops = {
    .handle = xen_transport_handle,
    .fatal = xen_transport_fatal,
};

static gboolean xen_transport_on_signal(gpointer opaque)
{
    XenTransport *xt = opaque;

    if (xt->t.loop) {
        g_main_loop_quit(xt->t.loop);
    }
    return G_SOURCE_CONTINUE;
}

/*
 * The paired PV vif's frontend changed state. Connected means the guest's
 * PV driver owns the vif (contract §5.5): the machine may hand the NIC
 * off (XenTransportConfig.vif_connected).
 */
static void xen_transport_vif_state(void *opaque, unsigned devid, int state)
{
    XenTransport *xt = opaque;

    if (state == XEN_TRANSPORT_XENBUS_CONNECTED) {
        log_info("xen: vif %u: PV frontend connected", devid);
        if (xt->vif_connected) {
            xt->vif_connected(xt->vif_opaque, devid);
        }
    }
}

bool xen_transport_set_nic_state(Transport *t, const char *id,
                                 const char *state)
{
    XenTransport *xt;
    g_autofree char *path = NULL;
    g_autoptr(GError) err = NULL;

    if (!t || t->ops != &xen_transport_ops || !xen_transport_of(t)->xs) {
        return false;
    }
    xt = xen_transport_of(t);
    path =
        g_strdup_printf("device-model/%u/emunet/%s/state", xt->host->domid, id);
    if (!xen_store_write(xt->xs, path, state, &err)) {
        log_error("%s", err->message);
        return false;
    }
    log_trace(LOG_XEN, "%s = %s", path, state);
    return true;
}

bool xen_transport_set_dirty_log(Transport *t, bool enable, GError **errp)
{
    XenTransport *xt;

    if (!t || t->ops != &xen_transport_ops) {
        g_set_error(errp, XEN_ERROR, XEN_ERROR_FAILED,
                    "xen: dirty logging needs the Xen transport");
        return false;
    }
    xt = xen_transport_of(t);
    xen_gmem_set_dirty_log(t->mem, xt->host->dmod, enable);
    log_info("xen: guest memory dirty logging %s", enable ? "on" : "off");
    return true;
}

/* Follow the frontend of the vif paired with `dev` (id nicN: vif N). */
static void xen_transport_watch_vif(XenTransport *xt, PciDevice *dev)
{
    g_autoptr(GError) err = NULL;
    XenStoreWatch *w;
    guint64 devid;

    if (!dev->name || !g_str_has_prefix(dev->name, "nic") ||
        !g_ascii_string_to_unsigned(dev->name + 3, 10, 0, G_MAXUINT16,
                                    &devid, NULL)) {
        return;
    }
    w = xen_store_watch_vif_frontend(xt->xs, (unsigned)devid,
                                     xen_transport_vif_state, xt, &err);
    if (!w) {
        /* Only hand-off detection depends on it. */
        log_error("%s", err->message);
        return;
    }
    g_ptr_array_add(xt->vif_watches, w);
}

/*
 * -xen-domid-restrict (contract §7), called by depriv_apply once every
 * handle is open and everything read: from now on each handle acts on the
 * guest only. Xenstore does not survive it (its fd becomes /dev/null), so
 * it is closed first: PV frontend watches end here.
 */
static bool xen_transport_restrict(void *opaque, GError **errp)
{
    XenTransport *xt = opaque;

    g_clear_pointer(&xt->xs, xen_store_close);
    g_ptr_array_set_size(xt->vif_watches, 0);
    if (xentoolcore_restrict_all(xt->host->domid) < 0) {
        return xen_host_error(errp, xt->host, errno,
                              "cannot restrict the Xen handles");
    }
    log_trace(LOG_XEN, "handles restricted to domain %u", xt->host->domid);
    return true;
}

/*
 * The VM runs for the first time after a paused start: record "running"
 * now, as QEMU's run-state handler does. Nobody waits for it (libxl's
 * -S start is confirmed by QMP), so failing is not fatal here.
 */
static void xen_transport_record_running(XenTransport *xt)
{
    g_autoptr(GError) err = NULL;

    /* Closed by -xen-domid-restrict: its fd would be /dev/null. */
    if (!xt->xs) {
        log_trace(LOG_XEN, "device-model state not recorded: restricted");
        return;
    }
    if (!xen_store_set_dm_state(xt->xs, "running", &err)) {
        log_trace(LOG_XEN, "%s", err->message);
    }
}

void xen_transport_set_running(Transport *t, bool running)
{
    XenTransport *xt;

    if (!t || t->ops != &xen_transport_ops) {
        return;
    }
    xt = xen_transport_of(t);
    xt->running = running;
    if (running && xt->dm_state_pending) {
        xt->dm_state_pending = false;
        xen_transport_record_running(xt);
    }
}

void xen_transport_state_loaded(Transport *t)
{
    if (t && t->ops == &xen_transport_ops) {
        xen_intx_sync(xen_transport_of(t)->intx);
    }
}

/* ---- TransportOps ---- */

static bool xen_transport_start(Transport *t, GError **errp)
{
    XenTransport *xt = xen_transport_of(t);

    xt->dispatch = (IoreqDispatch){
        .iobus = t->iobus,
        .pci = t->pci,
        .mem = t->mem,
        .ranges = &xt->ranges,
        .owned_devfns = xt->owned_devfns,
        .invalidate = xen_transport_invalidate,
        .opaque = xt,
    };
    /*
     * Enabled only now: every NIC's function is registered (§6). Started
     * paused (-S), "running" waits for the VM to run (set_running).
     */
    if (!ioreq_server_start(xt->srv, NULL, &xen_transport_server_ops, xt,
                            errp) ||
        (xt->running && !xen_store_set_dm_state(xt->xs, "running", errp))) {
        /* The process exits next: nothing may stay registered. */
        g_clear_pointer(&xt->srv, ioreq_server_free);
        return false;
    }
    xt->dm_state_pending = !xt->running;
    if (xt->dm_state_pending) {
        log_trace(LOG_XEN, "started paused: state recorded when it runs");
    }
    log_info("xen: serving domain %u as ioreq server %u (%u vCPUs)",
             xt->host->domid, ioreq_server_id(xt->srv), xt->host->nr_vcpus);
    return true;
}

static IrqLine *xen_transport_intx_line(Transport *t, PciDevice *dev)
{
    return xen_intx_line(xen_transport_of(t)->intx, dev);
}

static void xen_transport_map_io(Transport *t, IoSpace space, hwaddr base,
                                 hwaddr len, bool mapped)
{
    XenTransport *xt = xen_transport_of(t);
    bool is_mmio = space == IO_SPACE_MMIO;
    g_autoptr(GError) err = NULL;

    if (len == 0 || len - 1 > UINT64_MAX - base) {
        return;
    }
    log_trace(LOG_XEN, "%s %s [0x%" PRIx64 ", +0x%" PRIx64 ")",
              mapped ? "claim" : "release", is_mmio ? "mmio" : "pio", base,
              len);
    if (!mapped) {
        /* Forget it first: requests still in flight now read all-ones. */
        ioreq_ranges_remove(&xt->ranges, space, base, len);
        if (xt->srv && !ioreq_server_map_range(xt->srv, is_mmio, base, len,
                                               false, &err)) {
            log_error("%s", err->message);
        }
        return;
    }
    if (xt->srv &&
        !ioreq_server_map_range(xt->srv, is_mmio, base, len, true, &err)) {
        /* The BAR stays undecoded for the guest: Xen will not route it. */
        log_error("%s", err->message);
        return;
    }
    ioreq_ranges_add(&xt->ranges, space, base, len);
}

static bool xen_transport_add_pci_device(Transport *t, PciDevice *dev,
                                         GError **errp)
{
    XenTransport *xt = xen_transport_of(t);
    unsigned devfn = (unsigned)dev->devfn;

    if (!ioreq_server_map_pcidev(xt->srv, devfn, true, errp)) {
        return false;
    }
    xt->owned_devfns[devfn / 32] |= 1u << (devfn % 32);
    log_trace(LOG_XEN, "%s registered at 00:%02x.%x", dev->name,
              PCI_SLOT(devfn), PCI_FUNC(devfn));
    xen_transport_watch_vif(xt, dev);
    return true;
}

static void xen_transport_remove_pci_device(Transport *t, PciDevice *dev)
{
    XenTransport *xt = xen_transport_of(t);
    unsigned devfn = (unsigned)dev->devfn;
    g_autoptr(GError) err = NULL;

    if (!(xt->owned_devfns[devfn / 32] & (1u << (devfn % 32)))) {
        return;
    }
    xt->owned_devfns[devfn / 32] &= ~(1u << (devfn % 32));
    if (xt->srv && !ioreq_server_map_pcidev(xt->srv, devfn, false, &err)) {
        log_error("%s", err->message);
    }
}

static void xen_transport_free(Transport *t)
{
    XenTransport *xt = xen_transport_of(t);

    depriv_set_xen_restrict_hook(NULL, NULL);
    /* First: the guest must not wait on a server that is going away. */
    ioreq_server_free(xt->srv);
    /*
     * Only now may SIGHUP & co. get their default action back: a second
     * signal during the teardown above must not kill the process.
     */
    for (size_t i = 0; i < G_N_ELEMENTS(xt->signal_ids); i++) {
        if (xt->signal_ids[i]) {
            g_source_remove(xt->signal_ids[i]);
        }
    }
    /* Closing xenstore removes the watches. */
    xen_store_close(xt->xs);
    g_ptr_array_free(xt->vif_watches, TRUE);
    xen_intx_free(xt->intx);
    gmem_free(t->mem);
    if (t->clock) {
        clock_free(t->clock);
    }
    ioreq_ranges_destroy(&xt->ranges);
    xen_host_close(xt->host);
    g_ptr_array_free(xt->owned_strings, TRUE);
    g_free(xt->deferred);
    g_free(xt);
}

static const TransportOps xen_transport_ops = {
    .name = "xen",
    .start = xen_transport_start,
    .intx_line = xen_transport_intx_line,
    .map_io = xen_transport_map_io,
    .add_pci_device = xen_transport_add_pci_device,
    .remove_pci_device = xen_transport_remove_pci_device,
    .free = xen_transport_free,
};

Transport *xen_transport_new(const XenTransportConfig *cfg, IoBus *iobus,
                             GError **errp)
{
    XenTransport *xt;

    if (cfg->domid == 0 || cfg->domid >= XEN_DOMID_LIMIT) {
        g_set_error(errp, XEN_ERROR, XEN_ERROR_FAILED,
                    "xen: domain id %u cannot be served (1 to %u)",
                    cfg->domid, XEN_DOMID_LIMIT - 1);
        return NULL;
    }
    xt = g_new0(XenTransport, 1);
    xt->t.ops = &xen_transport_ops;
    xt->t.iobus = iobus;
    xt->owned_strings = g_ptr_array_new_with_free_func(g_free);
    xt->vif_watches = g_ptr_array_new();
    xt->vif_connected = cfg->vif_connected;
    xt->vif_opaque = cfg->opaque;
    xt->running = true;
    ioreq_ranges_init(&xt->ranges);
    /* From here on a shutdown signal quits the loop (and so cleans up). */
    for (size_t i = 0; i < G_N_ELEMENTS(xen_transport_signals); i++) {
        xt->signal_ids[i] = g_unix_signal_add(xen_transport_signals[i],
                                              xen_transport_on_signal, xt);
    }
    xt->host = xen_host_open((domid_t)cfg->domid, errp);
    if (!xt->host) {
        goto fail;
    }
    xt->xs = xen_store_open(xt->host->domid, NULL, errp);
    if (!xt->xs) {
        goto fail;
    }
    xen_store_vif_defaults(xt->xs, cfg->netdevs, cfg->devices,
                           xt->owned_strings);
    xt->srv = ioreq_server_new(xt->host, errp);
    if (!xt->srv) {
        goto fail;
    }
    xt->intx = xen_intx_new(xt->host);
    xt->deferred = g_new(XenDeferred, xt->host->nr_vcpus);
    for (unsigned i = 0; i < xt->host->nr_vcpus; i++) {
        xt->deferred[i] = (XenDeferred){.xt = xt, .vcpu = i};
    }
    xt->t.mem = xen_gmem_new(xt->host->fmem, xt->host->domid, iobus);
    /* Device time under Xen is host time (the guest's clock runs). */
    xt->t.clock = clock_new_real(NULL);
    depriv_set_xen_restrict_hook(xen_transport_restrict, xt);
    return &xt->t;

fail:
    xen_transport_free(&xt->t);
    return NULL;
}
