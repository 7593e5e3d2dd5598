/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Opening the Xen libraries for one domain; see xen-host.h.
 */
#include <errno.h>
#include <xentoollog.h>

#include "emunet/log.h"
#include "xen/xen-host.h"

G_DEFINE_QUARK(emunet - xen - error - quark, xen_error)

/*
 * The libraries log through a xentoollog logger, by default straight to
 * stderr. Their lines go to the "xen" trace instead: the user gets our
 * single line naming the cause.
 */
static void G_GNUC_PRINTF(5, 0)
    xen_host_log_vmessage(struct xentoollog_logger *logger,
                          xentoollog_level level, int errnoval,
                          const char *context, const char *format, va_list al)
{
    char *msg;

    if (!(log_trace_mask & (1u << LOG_XEN))) {
        return;
    }
    msg = g_strdup_vprintf(format, al);
    log_trace_emit(LOG_XEN, "lib%s: %s%s%s", context ? context : "xen", msg,
                   errnoval >= 0 ? ": " : "",
                   errnoval >= 0 ? g_strerror(errnoval) : "");
    g_free(msg);
}

static void xen_host_log_progress(struct xentoollog_logger *logger,
                                  const char *context, const char *doing_what,
                                  int percent, unsigned long done,
                                  unsigned long total)
{
}

static void xen_host_log_destroy(struct xentoollog_logger *logger)
{
}

static xentoollog_logger xen_host_logger = {
    .vmessage = xen_host_log_vmessage,
    .progress = xen_host_log_progress,
    .destroy = xen_host_log_destroy,
};

/* A library handle could not be opened: say why in the user's terms. */
static void xen_host_open_error(GError **errp, int err, const char *dev)
{
    switch (err) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
        g_set_error(errp, XEN_ERROR, XEN_ERROR_NOT_XEN,
                    "xen: not running on Xen (cannot open %s: %s)", dev,
                    g_strerror(err));
        break;
    case EACCES:
    case EPERM:
        g_set_error(errp, XEN_ERROR, XEN_ERROR_PERM,
                    "xen: permission denied opening %s (run emunet as root "
                    "in dom0 or in a stub domain)",
                    dev);
        break;
    default:
        g_set_error(errp, XEN_ERROR, XEN_ERROR_FAILED,
                    "xen: cannot open %s: %s", dev, g_strerror(err));
        break;
    }
}

bool xen_host_error(GError **errp, const XenHost *host, int err,
                    const char *what)
{
    switch (err) {
    case ESRCH:
        g_set_error(errp, XEN_ERROR, XEN_ERROR_NO_DOMAIN,
                    "xen: domain %u does not exist", host->domid);
        break;
    case EPERM:
    case EACCES:
        g_set_error(errp, XEN_ERROR, XEN_ERROR_PERM,
                    "xen: domain %u: %s: permission denied", host->domid,
                    what);
        break;
    default:
        g_set_error(errp, XEN_ERROR, XEN_ERROR_FAILED,
                    "xen: domain %u: %s: %s", host->domid, what,
                    g_strerror(err));
        break;
    }
    return false;
}

XenHost *xen_host_open(domid_t domid, GError **errp)
{
    XenHost *host = g_new0(XenHost, 1);
    unsigned int n = 0;

    host->domid = domid;
    host->dmod = xendevicemodel_open(&xen_host_logger, 0);
    if (!host->dmod) {
        xen_host_open_error(errp, errno, "/dev/xen/privcmd");
        goto fail;
    }
    host->fmem = xenforeignmemory_open(&xen_host_logger, 0);
    if (!host->fmem) {
        xen_host_open_error(errp, errno, "/dev/xen/privcmd");
        goto fail;
    }
    host->xce = xenevtchn_open(&xen_host_logger, 0);
    if (!host->xce) {
        xen_host_open_error(errp, errno, "/dev/xen/evtchn");
        goto fail;
    }
    /*
     * The first hypercall on the domain: ESRCH if it does not exist,
     * EPERM if we may not serve it. Its answer bounds the ioreq slots
     * (dm_op.h XEN_DMOP_nr_vcpus).
     */
    if (xendevicemodel_nr_vcpus(host->dmod, domid, &n) < 0) {
        xen_host_error(errp, host, errno, "cannot read the vCPU count");
        goto fail;
    }
    if (n == 0) {
        g_set_error(errp, XEN_ERROR, XEN_ERROR_FAILED,
                    "xen: domain %u reports no vCPUs", domid);
        goto fail;
    }
    host->nr_vcpus = n;
    log_trace(LOG_XEN, "domain %u: %u vCPUs", domid, n);
    return host;

fail:
    xen_host_close(host);
    return NULL;
}

void xen_host_close(XenHost *host)
{
    if (!host) {
        return;
    }
    if (host->xce) {
        xenevtchn_close(host->xce);
    }
    if (host->fmem) {
        xenforeignmemory_close(host->fmem);
    }
    if (host->dmod) {
        xendevicemodel_close(host->dmod);
    }
    g_free(host);
}
