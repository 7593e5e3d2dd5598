/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host side of the Xen libraries: the devicemodel, foreignmemory and
 * evtchn handles for one target domain, opened together and closed
 * together, and the one-line messages for the ways opening can fail (not
 * running on Xen, permission denied, no such domain).
 */
#ifndef EMUNET_XEN_HOST_H
#define EMUNET_XEN_HOST_H

#include <glib.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>

#include "xen/transport-xen.h"

typedef struct XenHost {
    /* The domain served. */
    domid_t domid;
    xendevicemodel_handle *dmod;
    xenforeignmemory_handle *fmem;
    xenevtchn_handle *xce;
    /* Its vCPU count (xendevicemodel_nr_vcpus): ioreq slots to serve. */
    unsigned nr_vcpus;
} XenHost;

/*
 * Open the handles and check that `domid` exists and may be served.
 * Fails with one line naming the cause (XenError codes).
 */
XenHost *xen_host_open(domid_t domid, GError **errp);

/* Close every handle; NULL is a no-op. */
void xen_host_close(XenHost *host);

/*
 * Set errp for a failed Xen call that left errno `err`: "<what>: <cause>",
 * where the well-known errnos become the XenError codes and their
 * messages (ESRCH: the domain does not exist; EPERM/EACCES: permission
 * denied; ENOSPC on create: too many ioreq servers). Returns false.
 */
bool xen_host_error(GError **errp, const XenHost *host, int err,
                    const char *what);

#endif
