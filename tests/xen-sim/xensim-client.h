/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Library side of the xen-sim wire protocol (xensim-proto.h): one
 * connection per library handle, synchronous request/reply, fd passing.
 * Linked into each replacement library; none of it is exported (the
 * version scripts keep only the Xen API global).
 */
#ifndef XENSIM_CLIENT_H
#define XENSIM_CLIENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "xensim-proto.h"

struct xentoollog_logger;

typedef struct XsimConn {
    int fd;               /* SOCK_SEQPACKET to the simulator, or -1 */
    pthread_mutex_t lock; /* one request/reply in flight per handle */
} XsimConn;

/*
 * Connect to $XENSIM_SOCKET and perform the open operation `op`.
 * `send_fd` (or -1) travels with the request; a descriptor carried by the
 * reply is stored in *recv_fd (-1 if none; recv_fd may be NULL).
 * Without $XENSIM_SOCKET this fails with ENOENT, which is what the real
 * libraries report when /dev/xen/privcmd (or /dev/xen/evtchn) is absent.
 * Returns 0, or -1 with errno set.
 */
int xsim_conn_open(XsimConn *c, XenSimOp op, int send_fd, int *recv_fd,
                   bool cloexec);

/* Close the connection (the simulator sees EOF). Safe on a failed open. */
void xsim_conn_close(XsimConn *c);

/*
 * One request and its reply. `payload` (req->len bytes) is sent after the
 * header; up to `out_cap` reply payload bytes land in `out` and
 * rsp->len says how many. A descriptor in the reply goes to *recv_fd (or
 * is closed if recv_fd is NULL). Returns 0, or -1 with errno = rsp->err or
 * a transport error (EIO when the simulator went away). Retries EINTR:
 * once a request is sent its reply is always collected.
 */
int xsim_call(XsimConn *c, XenSimReq *req, const void *payload, XenSimRsp *rsp,
              void *out, size_t out_cap, int *recv_fd);

/* Shorthand: request with args only, no payload either way. */
int xsim_call_simple(XsimConn *c, XenSimOp op, const uint64_t *args,
                     unsigned nargs, XenSimRsp *rsp);

/*
 * Log an open failure the way the real library does through xentoollog
 * ("<context>: error: Could not obtain handle on privileged command
 * interface: <strerror>"), using a temporary stderr logger when `logger`
 * is NULL, as the real libraries create one. Preserves errno.
 */
void xsim_log_open_error(struct xentoollog_logger *logger, const char *context);

#endif
