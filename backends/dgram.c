/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -netdev socket in datagram mode, as QEMU: one Ethernet frame per UDP
 * datagram, no length header.
 *
 *   -netdev socket,id=ID,udp=HOST:PORT,localaddr=HOST:PORT
 *       point to point: frames go to udp=, and only datagrams from there
 *       are taken (the socket is connected);
 *   -netdev socket,id=ID,mcast=GROUP:PORT[,localaddr=ADDR]
 *       a LAN of every guest that joined GROUP:PORT (IPv4 multicast with
 *       loopback on, so guests on one host see each other).
 *
 * Multicast sends from a second socket with a port of its own, so our own
 * frames, which loopback brings back, can be told apart and skipped (a
 * guest must not hear its own broadcasts: IPv6 duplicate address
 * detection would fail). A remote sender using that same port number
 * from the same address would be skipped too.
 *
 * UDP has no back-pressure towards the sender: while the NIC is full the
 * socket is not read, and the kernel drops what overflows its buffer.
 * Sending, a full socket buffer makes the NIC wait (NET_SEND_BUSY) until
 * POLLOUT. No offloads: the generic layer finishes offloaded frames.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backends/netbe-priv.h"
#include "emunet/log.h"

/* Frames read per dispatch. */
#define DGRAM_RX_BUDGET 64
#define DGRAM_IOV_MAX 64

typedef struct NetDgram {
    NetBackend be;
    GSource *src;
    /* Receiving socket (udp=: also sending) and its poll state. */
    int fd;
    gpointer fd_tag;
    GIOCondition fd_events;
    /* mcast=: the sending socket, or -1. */
    int tx_fd;
    gpointer tx_tag;
    GIOCondition tx_events;
    /* mcast=: where frames go, and our sender's address (to skip). */
    struct sockaddr_in group;
    struct sockaddr_in self;
    bool rx_enabled;
    /* The NIC got NET_SEND_BUSY and is owed a tx_ready. */
    bool tx_busy;
    uint8_t *rx_buf;
} NetDgram;

typedef struct DgramSource {
    GSource base;
    NetDgram *s;
} DgramSource;

static int dgram_send_fd(NetDgram *s)
{
    return s->tx_fd >= 0 ? s->tx_fd : s->fd;
}

static void dgram_watch(GSource *src, gpointer tag, GIOCondition *cur,
                        GIOCondition want)
{
    if (want != *cur) {
        g_source_modify_unix_fd(src, tag, want);
        *cur = want;
    }
}

static void dgram_update_watch(NetDgram *s)
{
    GIOCondition rx = s->rx_enabled ? G_IO_IN : 0;
    GIOCondition tx = s->tx_busy ? G_IO_OUT : 0;

    if (s->tx_fd >= 0) {
        dgram_watch(s->src, s->fd_tag, &s->fd_events, rx);
        dgram_watch(s->src, s->tx_tag, &s->tx_events, tx);
    } else {
        dgram_watch(s->src, s->fd_tag, &s->fd_events, rx | tx);
    }
}

/* A datagram of ours that multicast loopback brought back? */
static bool dgram_is_own(NetDgram *s, const struct sockaddr_in *from)
{
    return s->tx_fd >= 0 && from->sin_port == s->self.sin_port &&
           (s->self.sin_addr.s_addr == htonl(INADDR_ANY) ||
            from->sin_addr.s_addr == s->self.sin_addr.s_addr);
}

/* Collect a pending socket error (ICMP unreachable), so it stops POLLERR. */
static void dgram_clear_error(NetDgram *s, int fd)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err) {
        log_trace(LOG_NET, "netdev %s: socket error: %s", s->be.id,
                  g_strerror(err));
    }
}

static void dgram_rx_read(NetDgram *s)
{
    int i;

    for (i = 0; i < DGRAM_RX_BUDGET && s->rx_enabled; i++) {
        struct sockaddr_in from;
        socklen_t flen = sizeof(from);
        ssize_t n;

        n = recvfrom(s->fd, s->rx_buf, NET_MAX_FRAME, MSG_TRUNC,
                     (struct sockaddr *)&from, &flen);
        if (n < 0) {
            if (errno == EINTR || errno == ECONNREFUSED) {
                /* Refused: an earlier send met a closed port; not fatal. */
                continue;
            }
            if (errno != EAGAIN) {
                log_trace(LOG_NET, "netdev %s: recv: %s", s->be.id,
                          g_strerror(errno));
            }
            return;
        }
        if (flen >= sizeof(from) && dgram_is_own(s, &from)) {
            continue;
        }
        if ((size_t)n > NET_MAX_FRAME) {
            /* Cut by the buffer (MSG_TRUNC gave the real size). */
            s->be.stats.rx_errors++;
            continue;
        }
        if (!net_backend_receive(&s->be, s->rx_buf, (size_t)n)) {
            return;
        }
    }
}

static void dgram_dispatch(NetDgram *s)
{
    GIOCondition rev = g_source_query_unix_fd(s->src, s->fd_tag);
    GIOCondition txrev = rev;

    if (rev & G_IO_ERR) {
        dgram_clear_error(s, s->fd);
    }
    if (s->tx_fd >= 0) {
        txrev = g_source_query_unix_fd(s->src, s->tx_tag);
        if (txrev & G_IO_ERR) {
            dgram_clear_error(s, s->tx_fd);
        }
    }
    if ((txrev & G_IO_OUT) && s->tx_busy) {
        s->tx_busy = false;
        dgram_update_watch(s);
        net_backend_tx_ready(&s->be);
    }
    if (rev & G_IO_IN) {
        dgram_rx_read(s);
    }
}

static gboolean dgram_source_prepare(GSource *src, gint *timeout)
{
    *timeout = -1;
    return FALSE;
}

static gboolean dgram_source_check(GSource *src)
{
    NetDgram *s = ((DgramSource *)src)->s;

    if (g_source_query_unix_fd(src, s->fd_tag)) {
        return TRUE;
    }
    return s->tx_fd >= 0 && g_source_query_unix_fd(src, s->tx_tag);
}

static gboolean dgram_source_dispatch(GSource *src, GSourceFunc cb,
                                      gpointer data)
{
    dgram_dispatch(((DgramSource *)src)->s);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs dgram_source_funcs = {
    .prepare = dgram_source_prepare,
    .check = dgram_source_check,
    .dispatch = dgram_source_dispatch,
};

static NetSendResult dgram_send(NetBackend *be, const struct iovec *iov,
                                int iovcnt)
{
    NetDgram *s = be->opaque;
    struct msghdr msg = {0};
    uint8_t *flat = NULL;
    struct iovec one;
    ssize_t n;
    int err;

    if (iovcnt > DGRAM_IOV_MAX) {
        size_t len = net_iov_size(iov, iovcnt);

        flat = g_malloc(len);
        one.iov_base = flat;
        one.iov_len = net_iov_to_buf(iov, iovcnt, flat, len);
        iov = &one;
        iovcnt = 1;
    }
    msg.msg_iov = (struct iovec *)iov;
    msg.msg_iovlen = iovcnt;
    if (s->tx_fd >= 0) {
        msg.msg_name = &s->group;
        msg.msg_namelen = sizeof(s->group);
    }
    do {
        n = sendmsg(dgram_send_fd(s), &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    err = errno;
    g_free(flat);
    if (n >= 0) {
        return NET_SEND_OK;
    }
    if (err == EAGAIN) {
        s->tx_busy = true;
        dgram_update_watch(s);
        return NET_SEND_BUSY;
    }
    /*
     * ECONNREFUSED (no one at udp= yet), EMSGSIZE (longer than a UDP
     * datagram), ENOBUFS: this frame is lost, the next may go.
     */
    log_trace(LOG_NET, "netdev %s: send: %s", be->id, g_strerror(err));
    return NET_SEND_DROP;
}

static void dgram_set_rx_enabled(NetBackend *be, bool enabled)
{
    NetDgram *s = be->opaque;

    if (s->rx_enabled != enabled) {
        s->rx_enabled = enabled;
        dgram_update_watch(s);
    }
}

static void dgram_free(NetBackend *be)
{
    NetDgram *s = be->opaque;

    g_source_destroy(s->src);
    g_source_unref(s->src);
    close(s->fd);
    if (s->tx_fd >= 0) {
        close(s->tx_fd);
    }
    g_free(s->rx_buf);
    g_free(s);
}

static const NetBackendOps dgram_ops = {
    .type = "socket",
    .send = dgram_send,
    .set_rx_enabled = dgram_set_rx_enabled,
    .free = dgram_free,
};

/* ---- Setup ---- */

/*
 * "HOST:PORT" (need_port) or "HOST" into sa. HOST is a numeric IPv4
 * address or empty (any); no name lookups.
 */
static bool dgram_parse_addr(const char *key, const char *str, bool need_port,
                             bool port_nonzero, struct sockaddr_in *sa,
                             GError **errp)
{
    g_autofree char *host = NULL;
    const char *colon = strrchr(str, ':');
    guint64 port = 0;

    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    if (need_port) {
        if (!colon ||
            !g_ascii_string_to_unsigned(colon + 1, 10, port_nonzero ? 1 : 0,
                                        65535, &port, NULL)) {
            g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                        "netdev socket: %s=%s: expected HOST:PORT with a "
                        "port %s65535",
                        key, str, port_nonzero ? "1.." : "0..");
            return false;
        }
        host = g_strndup(str, colon - str);
    } else {
        host = g_strdup(str);
    }
    sa->sin_port = htons((uint16_t)port);
    if (!*host) {
        sa->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev socket: %s=%s: '%s' is not a numeric IPv4 "
                    "address",
                    key, str, host);
        return false;
    }
    return true;
}

static void dgram_set_errno(GError **errp, const char *key, const char *val,
                            const char *what, int err)
{
    g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                "netdev socket: %s=%s: %s: %s", key, val, what,
                g_strerror(err));
}

static int dgram_socket(void)
{
    return socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

/* udp=: one socket bound to localaddr= and connected to udp=. */
static bool dgram_open_udp(NetDgram *s, const char *udp, const char *local,
                           GError **errp)
{
    struct sockaddr_in dst, src;

    if (!local) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev socket: udp= needs localaddr=HOST:PORT");
        return false;
    }
    if (!dgram_parse_addr("udp", udp, true, true, &dst, errp) ||
        !dgram_parse_addr("localaddr", local, true, false, &src, errp)) {
        return false;
    }
    s->fd = dgram_socket();
    if (s->fd < 0) {
        dgram_set_errno(errp, "udp", udp, "socket", errno);
        return false;
    }
    if (bind(s->fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
        dgram_set_errno(errp, "localaddr", local, "bind", errno);
        return false;
    }
    if (connect(s->fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
        dgram_set_errno(errp, "udp", udp, "connect", errno);
        return false;
    }
    return true;
}

/* mcast=: a member socket bound to the group, and a sender. */
static bool dgram_open_mcast(NetDgram *s, const char *mcast, const char *local,
                             GError **errp)
{
    struct sockaddr_in ifaddr = {.sin_family = AF_INET};
    struct ip_mreq mreq;
    socklen_t slen = sizeof(s->self);
    int one = 1;

    if (!dgram_parse_addr("mcast", mcast, true, true, &s->group, errp) ||
        (local &&
         !dgram_parse_addr("localaddr", local, false, false, &ifaddr, errp))) {
        return false;
    }
    if (!IN_MULTICAST(ntohl(s->group.sin_addr.s_addr))) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev socket: mcast=%s: not a multicast address", mcast);
        return false;
    }
    s->fd = dgram_socket();
    s->tx_fd = dgram_socket();
    if (s->fd < 0 || s->tx_fd < 0) {
        dgram_set_errno(errp, "mcast", mcast, "socket", errno);
        return false;
    }
    /* Every guest of the LAN binds the same group and port. */
    if (setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(s->fd, (struct sockaddr *)&s->group, sizeof(s->group)) < 0) {
        dgram_set_errno(errp, "mcast", mcast, "bind", errno);
        return false;
    }
    mreq.imr_multiaddr = s->group.sin_addr;
    mreq.imr_interface = ifaddr.sin_addr;
    if (setsockopt(s->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) <
        0) {
        dgram_set_errno(errp, "mcast", mcast, "joining the group", errno);
        return false;
    }
    if (setsockopt(s->tx_fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof(one)) <
            0 ||
        (local && setsockopt(s->tx_fd, IPPROTO_IP, IP_MULTICAST_IF,
                             &ifaddr.sin_addr, sizeof(ifaddr.sin_addr)) < 0)) {
        dgram_set_errno(errp, "mcast", mcast, "multicast options", errno);
        return false;
    }
    ifaddr.sin_port = 0;
    if (bind(s->tx_fd, (struct sockaddr *)&ifaddr, sizeof(ifaddr)) < 0 ||
        getsockname(s->tx_fd, (struct sockaddr *)&s->self, &slen) < 0) {
        dgram_set_errno(errp, "localaddr", local ? local : "", "bind", errno);
        return false;
    }
    return true;
}

NetBackend *net_dgram_new(const EmuOpts *opts, GMainContext *ctx, GError **errp)
{
    static const char *const known[] = {"type",  "id",        "udp",
                                        "mcast", "localaddr", NULL};
    const char *udp = opts_get(opts, "udp");
    const char *mcast = opts_get(opts, "mcast");
    const char *local = opts_get(opts, "localaddr");
    NetDgram *s;
    bool ok;

    if (opts_get(opts, "fd") || opts_get(opts, "connect") ||
        opts_get(opts, "listen")) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev socket: 'udp' and 'mcast' cannot be combined "
                    "with 'fd', 'connect' or 'listen'");
        return NULL;
    }
    if (!opts_check_known(opts, "netdev socket", known, errp)) {
        return NULL;
    }
    if (!!udp + !!mcast != 1) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev socket: give one of 'udp' or 'mcast'");
        return NULL;
    }

    s = g_new0(NetDgram, 1);
    s->fd = -1;
    s->tx_fd = -1;
    ok = udp ? dgram_open_udp(s, udp, local, errp)
             : dgram_open_mcast(s, mcast, local, errp);
    if (!ok) {
        if (s->fd >= 0) {
            close(s->fd);
        }
        if (s->tx_fd >= 0) {
            close(s->tx_fd);
        }
        g_free(s);
        return NULL;
    }

    net_backend_init(&s->be, &dgram_ops, opts_get(opts, "id"), s);
    s->rx_buf = g_malloc(NET_MAX_FRAME);
    s->src = g_source_new(&dgram_source_funcs, sizeof(DgramSource));
    ((DgramSource *)s->src)->s = s;
    g_source_set_name(s->src, "netdev socket dgram");
    /* Polled from the start: an error report (POLLERR) is collected. */
    s->fd_tag = g_source_add_unix_fd(s->src, s->fd, 0);
    if (s->tx_fd >= 0) {
        s->tx_tag = g_source_add_unix_fd(s->src, s->tx_fd, 0);
    }
    g_source_attach(s->src, ctx);
    return &s->be;
}
