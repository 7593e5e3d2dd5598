/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim libxenevtchn.so.1. The pollable fd is one end of a
 * SOCK_SEQPACKET socketpair whose other end the simulator holds; it
 * behaves like /dev/xen/evtchn: read() yields one pending port (which the
 * simulator has masked), write() of a port unmasks it. The channel state
 * (bound ports, restriction) belongs to that socket, like the Linux
 * driver's per-file state, so xenevtchn_fdopen() can re-attach to it.
 * Bind/unbind/notify/restrict are requests on the control connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xenevtchn.h>

#include "xensim-client.h"
#include "xentoolcore-internal.h"

struct xenevtchn_handle {
    XsimConn conn;
    int fd; /* the event socket */
    Xentoolcore__Active_Handle tc_ah;
};

static int evtchn_restrict_cb(Xentoolcore__Active_Handle *ah, domid_t domid)
{
    xenevtchn_handle *xce =
        (xenevtchn_handle *)((char *)ah - offsetof(xenevtchn_handle, tc_ah));

    return xenevtchn_restrict(xce, domid);
}

static xenevtchn_handle *evtchn_open(XenSimOp op, int fd, unsigned flags)
{
    xenevtchn_handle *xce = calloc(1, sizeof(*xce));
    bool cloexec = !(flags & XENEVTCHN_NO_CLOEXEC);
    int saved;

    if (!xce) {
        return NULL;
    }
    xce->fd = -1;
    xce->tc_ah.restrict_callback = evtchn_restrict_cb;
    xentoolcore__register_active_handle(&xce->tc_ah);
    if (xsim_conn_open(&xce->conn, op, fd,
                       op == XENSIM_OP_EVTCHN_OPEN ? &xce->fd : NULL,
                       cloexec) < 0) {
        saved = errno;
        xentoolcore__deregister_active_handle(&xce->tc_ah);
        xsim_conn_close(&xce->conn);
        free(xce);
        errno = saved;
        return NULL;
    }
    if (op == XENSIM_OP_EVTCHN_FDOPEN) {
        xce->fd = fd;
    } else if (!cloexec && xce->fd >= 0) {
        fcntl(xce->fd, F_SETFD, 0);
    }
    if (xce->fd < 0) {
        xenevtchn_close(xce);
        errno = EIO;
        return NULL;
    }
    return xce;
}

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger,
                                 unsigned int flags)
{
    return evtchn_open(XENSIM_OP_EVTCHN_OPEN, -1, flags);
}

xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *logger, int fd,
                                   unsigned open_flags)
{
    if (open_flags & XENEVTCHN_NO_CLOEXEC) {
        errno = EINVAL;
        return NULL;
    }
    return evtchn_open(XENSIM_OP_EVTCHN_FDOPEN, fd, open_flags);
}

int xenevtchn_close(xenevtchn_handle *xce)
{
    if (!xce) {
        return 0;
    }
    xentoolcore__deregister_active_handle(&xce->tc_ah);
    if (xce->fd >= 0) {
        close(xce->fd);
    }
    xsim_conn_close(&xce->conn);
    free(xce);
    return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
    return xce->fd;
}

static int evtchn_call(xenevtchn_handle *xce, XenSimOp op, uint64_t a0,
                       uint64_t a1)
{
    uint64_t a[] = {a0, a1};
    XenSimRsp rsp;

    if (xsim_call_simple(&xce->conn, op, a, 2, &rsp) < 0) {
        return -1;
    }
    return (int)rsp.ret[0];
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
    return evtchn_call(xce, XENSIM_OP_EVTCHN_NOTIFY, port, 0) < 0 ? -1 : 0;
}

xenevtchn_port_or_error_t xenevtchn_bind_unbound_port(xenevtchn_handle *xce,
                                                      uint32_t domid)
{
    return evtchn_call(xce, XENSIM_OP_EVTCHN_BIND_UNBOUND_PORT, domid, 0);
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce,
                                                     uint32_t domid,
                                                     evtchn_port_t remote_port)
{
    return evtchn_call(xce, XENSIM_OP_EVTCHN_BIND_INTERDOMAIN, domid,
                       remote_port);
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce,
                                              unsigned int virq)
{
    return evtchn_call(xce, XENSIM_OP_EVTCHN_BIND_VIRQ, virq, 0);
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
    return evtchn_call(xce, XENSIM_OP_EVTCHN_UNBIND, port, 0) < 0 ? -1 : 0;
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
    uint32_t rec[2];
    ssize_t n;

    n = read(xce->fd, rec, sizeof(rec));
    if (n < 0) {
        return -1;
    }
    if (n == (ssize_t)sizeof(rec) && rec[0] == XENSIM_EVTCHN_ERROR_MARK) {
        errno = (int)rec[1];
        return -1;
    }
    if (n != (ssize_t)sizeof(uint32_t)) {
        errno = EIO;
        return -1;
    }
    return (xenevtchn_port_or_error_t)rec[0];
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
    uint32_t p = port;

    /* send(), not write(): a vanished simulator must not raise SIGPIPE. */
    if (send(xce->fd, &p, sizeof(p), MSG_NOSIGNAL) != (ssize_t)sizeof(p)) {
        return -1;
    }
    return 0;
}

int xenevtchn_restrict(xenevtchn_handle *xce, domid_t domid)
{
    return evtchn_call(xce, XENSIM_OP_EVTCHN_RESTRICT, domid, 0) < 0 ? -1 : 0;
}
