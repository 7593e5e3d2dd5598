/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ioreq server: lifecycle, per-vCPU slots and the synchronous state
 * machine; see ioreq.h. Facts: contract §3.1 (sequence), §3.4 (states and
 * barriers), Xen public headers hvm/ioreq.h, hvm/dm_op.h, memory.h.
 */
#include <errno.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <xen/memory.h>

#include "emunet/log.h"
#include "emunet/pci.h"
#include "xen/ioreq-dispatch.h"
#include "xen/ioreq.h"

/* One page of ioreq_t: Xen implements only frame_ioreq(0) (memory.h). */
#define IOREQ_PAGE_SIZE 4096
#define IOREQ_MAX_VCPUS (IOREQ_PAGE_SIZE / sizeof(ioreq_t))
/* Servers the exit/crash paths must destroy (one per process in use). */
#define IOREQ_LIVE_MAX 4

struct IoreqServer {
    XenHost *host;
    ioservid_t id;
    /* The server exists in Xen (cleared once destroyed). */
    volatile sig_atomic_t created;
    /* Enabled in Xen: it may be sent requests. */
    volatile sig_atomic_t enabled;
    /* The page, through map_resource or (legacy) the GFN mapping. */
    xenforeignmemory_resource_handle *fres;
    void *gfn_map;
    volatile ioreq_t *slots;
    /* Per vCPU: local port bound to its vp_eport, or -1. */
    int *local_port;
    /* Local port -> vCPU index + 1. */
    GHashTable *port_vcpu;
    GSource *source;
    const IoreqServerOps *ops;
    void *opaque;
    uint64_t completed;
    /* Per vCPU: the request handle left in process, and whether one is. */
    ioreq_t *held;
    bool *holding;
};

static IoreqServer *volatile ioreq_live[IOREQ_LIVE_MAX];
static struct sigaction ioreq_old_action[NSIG];
static const int ioreq_crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE,
                                          SIGABRT};

volatile sig_atomic_t ioreq_lib_depth;
volatile sig_atomic_t ioreq_deferred_signal;

/*
 * A call failed because the server (destroyed by someone else) or its
 * domain no longer exists: its claims went with it, nothing to undo.
 */
static bool ioreq_server_gone(int err)
{
    return err == ENOENT || err == ESRCH;
}

/* ---- teardown, also as a last resort: exit() and crashes ---- */

/* The answer of a server that is going away: Xen's null handler's. */
static void ioreq_null_handle(void *opaque, ioreq_t *req)
{
    if (req->dir == IOREQ_READ && !req->data_is_ptr) {
        req->data = req->size == 1 || req->size == 2 || req->size == 4
                        ? (1ULL << (8 * req->size)) - 1
                        : UINT64_MAX;
    }
}

/*
 * Take the server out of service without leaving a vCPU blocked: disable
 * it (Xen routes nothing new to it), answer every request already in a
 * slot as the null handler would (no vCPU should depend on what becomes
 * of a request still pending when its server is destroyed), then destroy
 * it, which drops every claim. `quiet`: from a signal handler, no logging
 * (stdio may hold its lock).
 */
static void ioreq_server_shutdown(IoreqServer *s, bool quiet)
{
    XenHost *h = s->host;
    int rc;

    if (!s->created) {
        return;
    }
    if (s->enabled) {
        s->enabled = 0;
        rc = XEN_CALL(xendevicemodel_set_ioreq_server_state(h->dmod, h->domid,
                                                            s->id, 0));
        if (rc < 0 && !quiet) {
            log_trace(LOG_XEN, "cannot disable ioreq server %u: %s", s->id,
                      g_strerror(errno));
        }
    }
    for (unsigned i = 0; s->slots && i < h->nr_vcpus; i++) {
        volatile ioreq_t *slot = &s->slots[i];
        bool answered = ioreq_slot_serve(slot, ioreq_null_handle, NULL);

        if (!answered && slot->state == STATE_IOREQ_INPROCESS) {
            /* A crash interrupted its emulation: answer it all the same. */
            ioreq_t req = *slot;

            ioreq_null_handle(NULL, &req);
            slot->data = req.data;
            __atomic_thread_fence(__ATOMIC_RELEASE);
            slot->state = STATE_IORESP_READY;
            answered = true;
        }
        if (answered && s->local_port[i] >= 0) {
            XEN_CALL(xenevtchn_notify(h->xce, s->local_port[i]));
        }
    }
    s->created = 0;
    rc = XEN_CALL(xendevicemodel_destroy_ioreq_server(h->dmod, h->domid,
                                                      s->id));
    if (rc < 0 && !quiet) {
        /* Already gone with its domain, or destroyed by someone else. */
        if (ioreq_server_gone(errno)) {
            log_trace(LOG_XEN, "ioreq server %u already gone: %s", s->id,
                      g_strerror(errno));
        } else {
            log_error("xen: domain %u: cannot destroy ioreq server %u: %s",
                      h->domid, s->id, g_strerror(errno));
        }
    }
}

static void ioreq_shutdown_all(bool quiet)
{
    for (unsigned i = 0; i < IOREQ_LIVE_MAX; i++) {
        if (ioreq_live[i]) {
            ioreq_server_shutdown(ioreq_live[i], quiet);
        }
    }
}

/*
 * Whatever path leaves the process, a created server must go: Xen would
 * otherwise keep routing the guest's accesses to it and the vCPU would
 * wait forever. Normal shutdown frees it first; this catches exit().
 */
static void ioreq_on_exit(void)
{
    ioreq_shutdown_all(false);
}

/* Tear down from a fatal signal, then let it take its old course. */
static void ioreq_crash_teardown(int sig, bool resend)
{
    ioreq_shutdown_all(true);
    sigaction(sig, &ioreq_old_action[sig], NULL);
    if (resend) {
        raise(sig);
    }
}

void ioreq_crash_resume(void)
{
    int sig = ioreq_deferred_signal;

    ioreq_deferred_signal = 0;
    ioreq_crash_teardown(sig, true);
}

/*
 * A fatal signal. The teardown calls the Xen libraries, which are not
 * async-signal-safe: a signal that interrupted one of their calls (its
 * lock may be held) must wait for that call to return. A signal sent by
 * kill() can wait: ioreq_lib_leave() finishes the job. A fault inside a
 * library cannot (returning re-faults), so the server is left to the
 * toolstack. After teardown the old disposition applies: a fault re-faults
 * into it (a sanitizer's report, or the default core dump), a sent signal
 * is raised again.
 */
static void ioreq_on_crash(int sig, siginfo_t *info, void *uc)
{
    bool sent = info->si_code <= 0;

    if (ioreq_lib_depth > 0) {
        if (sent) {
            ioreq_deferred_signal = sig;
        } else {
            sigaction(sig, &ioreq_old_action[sig], NULL);
        }
        return;
    }
    ioreq_crash_teardown(sig, sent);
}

static void ioreq_live_add(IoreqServer *s)
{
    static bool installed;

    if (!installed) {
        struct sigaction sa = {0};

        installed = true;
        atexit(ioreq_on_exit);
        sa.sa_sigaction = ioreq_on_crash;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < G_N_ELEMENTS(ioreq_crash_signals); i++) {
            int sig = ioreq_crash_signals[i];

            sigaction(sig, &sa, &ioreq_old_action[sig]);
        }
    }
    for (unsigned i = 0; i < IOREQ_LIVE_MAX; i++) {
        if (!ioreq_live[i]) {
            ioreq_live[i] = s;
            return;
        }
    }
    log_error("xen: more than %u ioreq servers in one process; the exit "
              "path will not destroy the last",
              IOREQ_LIVE_MAX);
}

static void ioreq_live_remove(IoreqServer *s)
{
    for (unsigned i = 0; i < IOREQ_LIVE_MAX; i++) {
        if (ioreq_live[i] == s) {
            ioreq_live[i] = NULL;
        }
    }
}

/* ---- creation ---- */

static bool ioreq_server_map_page(IoreqServer *s, GError **errp)
{
    XenHost *h = s->host;
    void *addr = NULL;
    xen_pfn_t gfn;

    /* Buffering is off: frame 0 (bufioreq) does not exist, map frame 1. */
    s->fres = xenforeignmemory_map_resource(
        h->fmem, h->domid, XENMEM_resource_ioreq_server, s->id,
        XENMEM_resource_ioreq_server_frame_ioreq(0), 1, &addr,
        PROT_READ | PROT_WRITE, 0);
    if (s->fres) {
        s->slots = addr;
        return true;
    }
    if (errno != EOPNOTSUPP) {
        return xen_host_error(errp, h, errno, "cannot map the ioreq page");
    }
    /* An old kernel without IOCTL_PRIVCMD_MMAP_RESOURCE: the GFN path. */
    log_trace(LOG_XEN, "map_resource unsupported: mapping the ioreq GFN");
    if (XEN_CALL(xendevicemodel_get_ioreq_server_info(h->dmod, h->domid,
                                                      s->id, &gfn, NULL,
                                                      NULL)) < 0) {
        return xen_host_error(errp, h, errno,
                              "cannot read the ioreq page GFN");
    }
    s->gfn_map = xenforeignmemory_map(h->fmem, h->domid,
                                      PROT_READ | PROT_WRITE, 1, &gfn, NULL);
    if (!s->gfn_map) {
        return xen_host_error(errp, h, errno,
                              "cannot map the ioreq page GFN");
    }
    s->slots = s->gfn_map;
    return true;
}

IoreqServer *ioreq_server_new(XenHost *host, GError **errp)
{
    IoreqServer *s;

    if (host->nr_vcpus > IOREQ_MAX_VCPUS) {
        g_set_error(errp, XEN_ERROR, XEN_ERROR_FAILED,
                    "xen: domain %u has %u vCPUs; one ioreq page serves at "
                    "most %zu",
                    host->domid, host->nr_vcpus, IOREQ_MAX_VCPUS);
        return NULL;
    }
    s = g_new0(IoreqServer, 1);
    s->host = host;
    s->local_port = g_new(int, host->nr_vcpus);
    for (unsigned i = 0; i < host->nr_vcpus; i++) {
        s->local_port[i] = -1;
    }
    s->port_vcpu = g_hash_table_new(g_direct_hash, g_direct_equal);
    s->held = g_new0(ioreq_t, host->nr_vcpus);
    s->holding = g_new0(bool, host->nr_vcpus);
    /* A NIC needs no buffered ring (and so gets no TIMEOFFSET), §3.6. */
    if (XEN_CALL(xendevicemodel_create_ioreq_server(
            host->dmod, host->domid, HVM_IOREQSRV_BUFIOREQ_OFF, &s->id)) <
        0) {
        if (errno == ENOSPC) {
            g_set_error(errp, XEN_ERROR, XEN_ERROR_TOO_MANY,
                        "xen: domain %u has too many ioreq servers (Xen "
                        "allows 8 per domain)",
                        host->domid);
        } else {
            xen_host_error(errp, host, errno,
                           "cannot create an ioreq server");
        }
        ioreq_server_free(s);
        return NULL;
    }
    s->created = 1;
    ioreq_live_add(s);
    log_trace(LOG_XEN, "domain %u: ioreq server %u created", host->domid,
              s->id);
    if (!ioreq_server_map_page(s, errp)) {
        ioreq_server_free(s);
        return NULL;
    }
    return s;
}

ioservid_t ioreq_server_id(const IoreqServer *s)
{
    return s->id;
}

uint64_t ioreq_server_completed(const IoreqServer *s)
{
    return s->completed;
}

bool ioreq_server_map_pcidev(IoreqServer *s, unsigned devfn, bool map,
                             GError **errp)
{
    XenHost *h = s->host;
    int rc;

    if (map) {
        rc = XEN_CALL(xendevicemodel_map_pcidev_to_ioreq_server(
            h->dmod, h->domid, s->id, 0, 0, PCI_SLOT(devfn),
            PCI_FUNC(devfn)));
    } else {
        rc = XEN_CALL(xendevicemodel_unmap_pcidev_from_ioreq_server(
            h->dmod, h->domid, s->id, 0, 0, PCI_SLOT(devfn),
            PCI_FUNC(devfn)));
    }
    if (rc < 0 && !map && ioreq_server_gone(errno)) {
        return true;
    }
    if (rc < 0) {
        g_autofree char *what = g_strdup_printf(
            "cannot %s PCI function 00:%02x.%x", map ? "register" : "release",
            PCI_SLOT(devfn), PCI_FUNC(devfn));

        return xen_host_error(errp, h, errno, what);
    }
    return true;
}

bool ioreq_server_map_range(IoreqServer *s, bool is_mmio, hwaddr base,
                            hwaddr len, bool map, GError **errp)
{
    XenHost *h = s->host;
    /* The DMOP takes an inclusive end. */
    hwaddr end = base + len - 1;
    int rc;

    g_assert(len > 0 && end >= base);
    if (map) {
        rc = XEN_CALL(xendevicemodel_map_io_range_to_ioreq_server(
            h->dmod, h->domid, s->id, is_mmio, base, end));
    } else {
        rc = XEN_CALL(xendevicemodel_unmap_io_range_from_ioreq_server(
            h->dmod, h->domid, s->id, is_mmio, base, end));
    }
    if (rc < 0 && !map && ioreq_server_gone(errno)) {
        log_trace(LOG_XEN, "release of [0x%" PRIx64 ", 0x%" PRIx64 "]: "
                  "server gone (%s)", base, end, g_strerror(errno));
        return true;
    }
    if (rc < 0) {
        g_autofree char *what = g_strdup_printf(
            "cannot %s %s [0x%" PRIx64 ", 0x%" PRIx64 "]",
            map ? "claim" : "release", is_mmio ? "MMIO" : "ports", base, end);

        return xen_host_error(errp, h, errno, what);
    }
    return true;
}

/* ---- serving ---- */

/* Publish vCPU `vcpu`'s answer `req` and tell it the answer is there. */
static void ioreq_server_answer(IoreqServer *s, unsigned vcpu,
                                const ioreq_t *req)
{
    ioreq_slot_finish(&s->slots[vcpu], req);
    s->completed++;
    if (XEN_CALL(xenevtchn_notify(s->host->xce, s->local_port[vcpu])) < 0) {
        log_error("xen: vcpu %u: cannot notify port %d: %s", vcpu,
                  s->local_port[vcpu], g_strerror(errno));
    }
}

/* Serve vCPU `vcpu`'s slot, now or (handle says so) later. */
static void ioreq_server_handle_slot(IoreqServer *s, unsigned vcpu)
{
    volatile ioreq_t *slot = &s->slots[vcpu];
    ioreq_t req;

    if (s->holding[vcpu] || !ioreq_slot_take(slot, &req)) {
        /* Spurious, or already answered: nothing to do. */
        log_trace(LOG_XEN, "vcpu %u: event with slot in state %u", vcpu,
                  (unsigned)slot->state);
        return;
    }
    if (!s->ops->handle(s->opaque, vcpu, &req)) {
        s->held[vcpu] = req;
        s->holding[vcpu] = true;
        return;
    }
    ioreq_server_answer(s, vcpu, &req);
}

void ioreq_server_complete(IoreqServer *s, unsigned vcpu, uint64_t data)
{
    ioreq_t req;

    if (vcpu >= s->host->nr_vcpus || !s->holding[vcpu]) {
        return;
    }
    s->holding[vcpu] = false;
    /* Shut down meanwhile: the null handler's answer went out already. */
    if (!s->created || s->slots[vcpu].state != STATE_IOREQ_INPROCESS) {
        return;
    }
    req = s->held[vcpu];
    if (req.dir == IOREQ_READ) {
        req.data = req.size >= 8 ? data : data & ((1ULL << (8 * req.size)) - 1);
    }
    ioreq_server_answer(s, vcpu, &req);
}

/*
 * No request can be served any more: take the server out of Xen at once
 * (a vCPU must not wait on it while the process winds down), say why in
 * one line and let the owner stop.
 */
static void ioreq_server_fail(IoreqServer *s, const char *why)
{
    log_error("xen: domain %u: %s; ioreq server %u destroyed", s->host->domid,
              why, s->id);
    ioreq_server_shutdown(s, false);
    s->ops->fatal(s->opaque, why);
}

static gboolean ioreq_server_on_event(gint fd, GIOCondition cond,
                                      gpointer opaque)
{
    IoreqServer *s = opaque;
    xenevtchn_port_or_error_t port;
    gpointer v;

    if (cond & (G_IO_ERR | G_IO_HUP | G_IO_NVAL)) {
        ioreq_server_fail(s, "event channel device failed");
        return G_SOURCE_REMOVE;
    }
    /* The fd polled readable, so this does not block (xenevtchn.h). */
    port = XEN_CALL(xenevtchn_pending(s->host->xce));
    if (port < 0) {
        if (errno == EAGAIN || errno == EINTR) {
            return G_SOURCE_CONTINUE;
        }
        g_autofree char *why = g_strdup_printf(
            "cannot read pending event channels: %s", g_strerror(errno));

        ioreq_server_fail(s, why);
        return G_SOURCE_REMOVE;
    }
    /*
     * Unmask first, as QEMU does: the slot state, not the event, says
     * whether there is work, so an event arriving meanwhile is harmless.
     */
    if (XEN_CALL(xenevtchn_unmask(s->host->xce, port)) < 0) {
        log_error("xen: cannot unmask port %d: %s", port, g_strerror(errno));
    }
    v = g_hash_table_lookup(s->port_vcpu, GINT_TO_POINTER(port));
    if (!v) {
        log_trace(LOG_XEN, "event on unknown port %d", port);
        return G_SOURCE_CONTINUE;
    }
    ioreq_server_handle_slot(s, GPOINTER_TO_UINT(v) - 1);
    return G_SOURCE_CONTINUE;
}

bool ioreq_server_start(IoreqServer *s, GMainContext *ctx,
                        const IoreqServerOps *ops, void *opaque,
                        GError **errp)
{
    XenHost *h = s->host;
    int fd;

    s->ops = ops;
    s->opaque = opaque;
    if (XEN_CALL(xendevicemodel_set_ioreq_server_state(h->dmod, h->domid,
                                                       s->id, 1)) < 0) {
        return xen_host_error(errp, h, errno,
                              "cannot enable the ioreq server");
    }
    s->enabled = 1;
    for (unsigned i = 0; i < h->nr_vcpus; i++) {
        evtchn_port_t remote = s->slots[i].vp_eport;
        xenevtchn_port_or_error_t local =
            XEN_CALL(xenevtchn_bind_interdomain(h->xce, h->domid, remote));

        if (local < 0) {
            g_autofree char *what = g_strdup_printf(
                "cannot bind the event channel (port %u) of vCPU %u", remote,
                i);

            return xen_host_error(errp, h, errno, what);
        }
        s->local_port[i] = local;
        g_hash_table_insert(s->port_vcpu, GINT_TO_POINTER(local),
                            GUINT_TO_POINTER(i + 1));
        log_trace(LOG_XEN, "vcpu %u: remote port %u bound to %d", i, remote,
                  local);
    }
    fd = xenevtchn_fd(h->xce);
    if (fd < 0) {
        return xen_host_error(errp, h, errno,
                              "no event channel file descriptor");
    }
    s->source = g_unix_fd_source_new(fd, G_IO_IN);
    /*
     * Without this GLib blocks the source around every dispatch: it takes
     * the fd out of the poll set and puts it back (two wakeup-eventfd
     * writes and a read per ioreq). Nothing below the callback iterates
     * the main context, so the recursion it guards against cannot happen.
     */
    g_source_set_can_recurse(s->source, TRUE);
    g_source_set_callback(s->source, G_SOURCE_FUNC(ioreq_server_on_event), s,
                          NULL);
    g_source_attach(s->source, ctx);
    return true;
}

void ioreq_server_free(IoreqServer *s)
{
    XenHost *h;

    if (!s) {
        return;
    }
    h = s->host;
    if (s->source) {
        g_source_destroy(s->source);
        g_source_unref(s->source);
    }
    /* First: the guest must not wait on a server that is going away. */
    ioreq_server_shutdown(s, false);
    ioreq_live_remove(s);
    for (unsigned i = 0; i < h->nr_vcpus; i++) {
        if (s->local_port[i] >= 0) {
            XEN_CALL(xenevtchn_unbind(h->xce, s->local_port[i]));
        }
    }
    if (s->fres) {
        xenforeignmemory_unmap_resource(h->fmem, s->fres);
    }
    if (s->gfn_map) {
        xenforeignmemory_unmap(h->fmem, s->gfn_map, 1);
    }
    g_hash_table_destroy(s->port_vcpu);
    g_free(s->held);
    g_free(s->holding);
    g_free(s->local_port);
    g_free(s);
}
