/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Library side of the xen-sim protocol: see xensim-client.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <xentoollog.h>

#include "xensim-client.h"

static int xsim_send(int fd, const XenSimReq *req, const void *payload,
                     int send_fd)
{
    struct iovec iov[2] = {
        {.iov_base = (void *)req, .iov_len = sizeof(*req)},
        {.iov_base = (void *)payload, .iov_len = req->len},
    };
    union {
        struct cmsghdr hdr;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr msg = {
        .msg_iov = iov,
        .msg_iovlen = req->len ? 2 : 1,
    };
    ssize_t n;

    if (send_fd >= 0) {
        struct cmsghdr *cm;

        memset(&ctl, 0, sizeof(ctl));
        msg.msg_control = ctl.buf;
        msg.msg_controllen = sizeof(ctl.buf);
        cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &send_fd, sizeof(int));
    }
    do {
        n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EPIPE || errno == ECONNRESET) {
            errno = EIO;
        }
        return -1;
    }
    return 0;
}

static int xsim_recv(int fd, XenSimRsp *rsp, void *out, size_t out_cap,
                     int *recv_fd)
{
    struct iovec iov[2] = {
        {.iov_base = rsp, .iov_len = sizeof(*rsp)},
        {.iov_base = out, .iov_len = out_cap},
    };
    union {
        struct cmsghdr hdr;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr msg = {
        .msg_iov = iov,
        .msg_iovlen = out_cap ? 2 : 1,
        .msg_control = ctl.buf,
        .msg_controllen = sizeof(ctl.buf),
    };
    struct cmsghdr *cm;
    int got_fd = -1;
    ssize_t n;

    do {
        n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        errno = EIO;
        return -1;
    }
    for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
            cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
            memcpy(&got_fd, CMSG_DATA(cm), sizeof(int));
        }
    }
    if ((size_t)n < sizeof(*rsp) || (msg.msg_flags & MSG_TRUNC) ||
        rsp->len != (size_t)n - sizeof(*rsp)) {
        if (got_fd >= 0) {
            close(got_fd);
        }
        errno = EIO;
        return -1;
    }
    if (recv_fd) {
        *recv_fd = got_fd;
    } else if (got_fd >= 0) {
        close(got_fd);
    }
    return 0;
}

int xsim_conn_open(XsimConn *c, XenSimOp op, int send_fd, int *recv_fd,
                   bool cloexec)
{
    const char *path = getenv(XENSIM_SOCKET_ENV);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    XenSimReq req = {.op = op};
    XenSimRsp rsp;
    pthread_mutexattr_t attr;
    int fd, saved;

    c->fd = -1;
    /*
     * Error-checking: a call from a signal handler that interrupted this
     * thread inside a call on the same handle fails with EDEADLK instead
     * of hanging (the real libraries' ioctls are plain system calls).
     */
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&c->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    if (recv_fd) {
        *recv_fd = -1;
    }
    if (!path || !*path) {
        /* Not "running on Xen": no privcmd/evtchn device. */
        errno = ENOENT;
        return -1;
    }
    if (strlen(path) >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_SEQPACKET | (cloexec ? SOCK_CLOEXEC : 0), 0);
    if (fd < 0) {
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    req.arg[0] = XENSIM_PROTO_VERSION;
    req.arg[1] = (uint64_t)getpid();
    if (xsim_send(fd, &req, NULL, send_fd) < 0 ||
        xsim_recv(fd, &rsp, NULL, 0, recv_fd) < 0) {
        saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    if (rsp.err) {
        if (recv_fd && *recv_fd >= 0) {
            close(*recv_fd);
            *recv_fd = -1;
        }
        close(fd);
        errno = rsp.err;
        return -1;
    }
    c->fd = fd;
    return 0;
}

void xsim_conn_close(XsimConn *c)
{
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    pthread_mutex_destroy(&c->lock);
}

int xsim_call(XsimConn *c, XenSimReq *req, const void *payload, XenSimRsp *rsp,
              void *out, size_t out_cap, int *recv_fd)
{
    int rc;

    if (recv_fd) {
        *recv_fd = -1;
    }
    if (sizeof(*req) + req->len > XENSIM_MSG_MAX) {
        errno = E2BIG;
        return -1;
    }
    rc = pthread_mutex_lock(&c->lock);
    if (rc) {
        errno = rc;
        return -1;
    }
    if (c->fd < 0) {
        /* Neutered by xentoolcore_restrict_all() or closed. */
        pthread_mutex_unlock(&c->lock);
        errno = EBADF;
        return -1;
    }
    rc = xsim_send(c->fd, req, payload, -1);
    if (rc == 0) {
        rc = xsim_recv(c->fd, rsp, out, out_cap, recv_fd);
    }
    pthread_mutex_unlock(&c->lock);
    if (rc < 0) {
        return -1;
    }
    if (rsp->err) {
        if (recv_fd && *recv_fd >= 0) {
            close(*recv_fd);
            *recv_fd = -1;
        }
        errno = rsp->err;
        return -1;
    }
    return 0;
}

int xsim_call_simple(XsimConn *c, XenSimOp op, const uint64_t *args,
                     unsigned nargs, XenSimRsp *rsp)
{
    XenSimReq req = {.op = op};
    unsigned i;

    for (i = 0; i < nargs && i < XENSIM_NARGS; i++) {
        req.arg[i] = args[i];
    }
    return xsim_call(c, &req, NULL, rsp, NULL, 0, NULL);
}

void xsim_log_open_error(struct xentoollog_logger *logger, const char *context)
{
    int saved = errno;
    xentoollog_logger *tmp = NULL;

    if (!logger) {
        tmp = (xentoollog_logger *)xtl_createlogger_stdiostream(
            stderr, XTL_PROGRESS, 0);
        logger = tmp;
    }
    if (logger) {
        xtl_log(logger, XTL_ERROR, saved, context,
                "Could not obtain handle on privileged command interface");
    }
    xtl_logger_destroy(tmp);
    errno = saved;
}
