/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -netdev socket: Ethernet frames over a connected SOCK_STREAM socket with
 * QEMU's stream framing (a 4-byte big-endian length, then the frame), so
 * the other end can be a QEMU "-netdev stream" peer, another emunet or a
 * test. The socket is given (fd=N), or a UNIX stream client (connect=PATH)
 * or a UNIX server that serves one peer at a time (listen=PATH).
 *
 * One GSource per backend polls the connection (and the listening socket
 * while no peer is connected). Reading stops for real while the NIC is
 * full: the fd leaves the poll set, so the kernel buffer fills and the
 * sender is throttled instead of frames being dropped.
 *
 * Frames the NIC sends are queued (copied) and written in batches: one
 * send() for all frames of a TX doorbell (NetBackendOps.flush) or each
 * SOCKET_TX_BATCH bytes, and at the latest from this source's next
 * dispatch, before the main loop waits again (prepare() says ready).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "backends/netbe-priv.h"
#include "emunet/log.h"
#include "emunet/types.h"

#define SOCKET_HDR 4
/* Holds any partial frame plus room to read a batch of small ones. */
#define SOCKET_RX_CAP (256 * 1024)
/* More unsent bytes than this queued: new frames get NET_SEND_BUSY. */
#define SOCKET_TX_BOUND (256 * 1024)
/* A BUSY NIC is told to resume once the queue is this small again. */
#define SOCKET_TX_RESUME (SOCKET_TX_BOUND / 2)
/* A frame is accepted while at most SOCKET_TX_BOUND bytes are queued. */
#define SOCKET_TX_CAP (SOCKET_TX_BOUND + SOCKET_HDR + NET_MAX_FRAME)
/*
 * Queued bytes that are written at once, without waiting for a flush.
 * Large writes matter: the peer is woken per write it finds waiting, and
 * wakeups cost more than the copies.
 */
#define SOCKET_TX_BATCH SOCKET_TX_BOUND
/*
 * recv() calls one dispatch makes while bytes keep arriving: enough for
 * a stream that refills the socket as fast as we drain it, small enough
 * that the qtest connection and timers are not kept waiting.
 */
#define SOCKET_RX_BUDGET 8
/* After accept() fails for lack of resources, retry this much later. */
#define SOCKET_ACCEPT_RETRY_US (1000 * 1000)

G_STATIC_ASSERT(SOCKET_RX_CAP >= SOCKET_HDR + NET_MAX_FRAME);

typedef struct NetSocket {
    NetBackend be;
    GSource *src;
    /* listen=: the path we bound (unlinked on free if still ours). */
    char *listen_path;
    dev_t listen_dev;
    ino_t listen_ino;
    int listen_fd;
    gpointer listen_tag;
    /* accept() failed (EMFILE...): not polled until the ready time. */
    bool accept_paused;
    bool accept_err_logged;
    /* The connection, or -1; its poll tag and the events polled. */
    int fd;
    gpointer fd_tag;
    GIOCondition fd_events;
    /* The generic layer wants frames (set_rx_enabled). */
    bool rx_enabled;
    /*
     * send() met a fatal error. The connection is dropped from dispatch,
     * because send must not call back into the NIC (link_changed).
     */
    int tx_err;
    /* A NIC got NET_SEND_BUSY and is owed a tx_ready. */
    bool tx_busy;
    /* Stream bytes read but not yet delivered: [rx_head, rx_tail). */
    uint8_t *rx_buf;
    size_t rx_head, rx_tail;
    /* Stream bytes accepted but not yet written: [tx_head, tx_tail). */
    uint8_t *tx_buf;
    size_t tx_head, tx_tail;
    /* Frames with bytes in tx_buf, and the unsent bytes of the first. */
    size_t tx_frames;
    size_t tx_head_left;
    /*
     * The last write left bytes queued (the socket is full): wait for
     * POLLOUT. Otherwise queued bytes are a batch not written yet.
     */
    bool tx_full;
} NetSocket;

typedef struct SocketSource {
    GSource base;
    NetSocket *s;
} SocketSource;

/* Make the poll set match what the connection needs now. */
static void socket_update_watch(NetSocket *s)
{
    GIOCondition want = 0;
    bool want_listen;

    if (s->fd >= 0) {
        if (s->rx_enabled) {
            want |= G_IO_IN;
        }
        if (s->tx_full) {
            want |= G_IO_OUT;
        }
    }
    /*
     * Compare first: g_source_modify_unix_fd wakes the context, and the
     * NIC re-enables RX on every guest RX doorbell.
     */
    if (want != s->fd_events) {
        if (!want) {
            g_source_remove_unix_fd(s->src, s->fd_tag);
            s->fd_tag = NULL;
        } else if (s->fd_tag) {
            g_source_modify_unix_fd(s->src, s->fd_tag, want);
        } else {
            s->fd_tag = g_source_add_unix_fd(s->src, s->fd, want);
        }
        s->fd_events = want;
    }

    want_listen = s->listen_fd >= 0 && s->fd < 0 && !s->accept_paused;
    if (want_listen && !s->listen_tag) {
        s->listen_tag = g_source_add_unix_fd(s->src, s->listen_fd, G_IO_IN);
    } else if (!want_listen && s->listen_tag) {
        g_source_remove_unix_fd(s->src, s->listen_tag);
        s->listen_tag = NULL;
    }
}

/*
 * End the connection: count what it still held, close it, carrier down.
 * `err` is an errno value, 0 for an orderly close by the peer; `logged`
 * when the caller has already said why (once per connection either way).
 */
static void socket_drop_conn(NetSocket *s, int err, bool logged)
{
    size_t pos = s->rx_head;

    if (!logged) {
        if (err) {
            log_error("netdev %s: connection failed: %s; carrier down",
                      s->be.id, g_strerror(err));
        } else {
            log_error("netdev %s: peer closed the connection; carrier down",
                      s->be.id);
        }
    }
    /* Frames that were read but not delivered (RX was paused). */
    while (s->rx_tail - pos >= SOCKET_HDR) {
        uint32_t len = ld32_be(s->rx_buf + pos);

        if (len == 0 || len > NET_MAX_FRAME ||
            s->rx_tail - pos < SOCKET_HDR + len) {
            break;
        }
        s->be.stats.rx_drops++;
        pos += SOCKET_HDR + len;
    }
    if (pos < s->rx_tail) {
        /* The peer went away in the middle of a frame. */
        s->be.stats.rx_drops++;
    }
    /* Frames already reported sent (NET_SEND_OK) but never written. */
    s->be.stats.tx_drops += s->tx_frames;

    s->rx_head = s->rx_tail = 0;
    s->tx_head = s->tx_tail = 0;
    s->tx_frames = 0;
    s->tx_head_left = 0;
    s->tx_full = false;
    s->tx_err = 0;
    if (s->fd_tag) {
        g_source_remove_unix_fd(s->src, s->fd_tag);
        s->fd_tag = NULL;
        s->fd_events = 0;
    }
    close(s->fd);
    s->fd = -1;
    socket_update_watch(s);

    net_backend_set_carrier(&s->be, false);
    if (s->tx_busy) {
        /* Let the NIC retry now: it gets DROP instead of waiting forever. */
        s->tx_busy = false;
        net_backend_tx_ready(&s->be);
    }
}

/* Start serving a connected, non-blocking socket. */
static void socket_attach(NetSocket *s, int fd)
{
    /*
     * Nothing runs the main loop recursively. Without this, GLib takes
     * our fds out of the poll set for every dispatch and puts them back
     * afterwards, waking the context both times (an eventfd write each,
     * then an extra poll and read): per batch of frames.
     */
    g_source_set_can_recurse(s->src, TRUE);
    s->fd = fd;
    s->rx_head = s->rx_tail = 0;
    socket_update_watch(s);
    net_backend_set_carrier(&s->be, true);
}

static void socket_accept(NetSocket *s)
{
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
            errno == ECONNABORTED) {
            return;
        }
        /*
         * Out of fds or memory: the pending connection stays queued and
         * poll would report it at once again, so back off instead of
         * spinning, and say so once per failure streak.
         */
        if (!s->accept_err_logged) {
            log_error("netdev %s: accept on %s: %s", s->be.id, s->listen_path,
                      g_strerror(errno));
            s->accept_err_logged = true;
        }
        s->accept_paused = true;
        socket_update_watch(s);
        g_source_set_ready_time(s->src, g_source_get_time(s->src) +
                                            SOCKET_ACCEPT_RETRY_US);
        return;
    }
    s->accept_err_logged = false;
    log_trace(LOG_NET, "netdev %s: peer connected on %s", s->be.id,
              s->listen_path);
    socket_attach(s, fd);
}

/* Account `n` bytes written from the head of tx_buf. */
static void socket_tx_consume(NetSocket *s, size_t n)
{
    while (n > 0 && s->tx_frames > 0) {
        size_t k = MIN(n, s->tx_head_left);

        s->tx_head += k;
        s->tx_head_left -= k;
        n -= k;
        if (s->tx_head_left == 0) {
            s->tx_frames--;
            if (s->tx_frames) {
                /* The next frame is whole in tx_buf, header included. */
                s->tx_head_left = SOCKET_HDR + ld32_be(s->tx_buf + s->tx_head);
            }
        }
    }
    if (s->tx_head == s->tx_tail) {
        s->tx_head = s->tx_tail = 0;
    }
}

/*
 * Write queued bytes until the socket is full (then tx_full is set).
 * 0, or a fatal errno.
 */
static int socket_tx_write(NetSocket *s)
{
    s->tx_full = false;
    while (s->tx_head < s->tx_tail) {
        ssize_t n = send(s->fd, s->tx_buf + s->tx_head, s->tx_tail - s->tx_head,
                         MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                s->tx_full = true;
                return 0;
            }
            return errno;
        }
        if (n == 0) {
            s->tx_full = true;
            return 0;
        }
        socket_tx_consume(s, n);
    }
    return 0;
}

/*
 * Write a batch that is queued and not waiting for POLLOUT. An error is
 * kept in tx_err for dispatch: the NIC may be our caller.
 */
static void socket_tx_kick(NetSocket *s)
{
    if (s->fd < 0 || s->tx_err || s->tx_full || s->tx_tail == s->tx_head) {
        return;
    }
    s->tx_err = socket_tx_write(s);
    socket_update_watch(s);
}

/*
 * Queue the frame `hdr` + `iov`. The caller made sure at most
 * SOCKET_TX_BOUND bytes are queued, so it fits in SOCKET_TX_CAP.
 */
static void socket_tx_append(NetSocket *s, const uint8_t *hdr,
                             const struct iovec *iov, int iovcnt)
{
    size_t start = s->tx_tail;
    size_t room;
    int i;

    if (!s->tx_buf) {
        s->tx_buf = g_malloc(SOCKET_TX_CAP);
    }
    room = SOCKET_TX_CAP - s->tx_tail;
    if (room < SOCKET_HDR + NET_MAX_FRAME) {
        memmove(s->tx_buf, s->tx_buf + s->tx_head, s->tx_tail - s->tx_head);
        s->tx_tail -= s->tx_head;
        s->tx_head = 0;
        start = s->tx_tail;
    }
    memcpy(s->tx_buf + s->tx_tail, hdr, SOCKET_HDR);
    s->tx_tail += SOCKET_HDR;
    for (i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len) {
            memcpy(s->tx_buf + s->tx_tail, iov[i].iov_base, iov[i].iov_len);
            s->tx_tail += iov[i].iov_len;
        }
    }
    if (s->tx_frames == 0) {
        s->tx_head_left = s->tx_tail - start;
    }
    s->tx_frames++;
}

/*
 * Queue the frame; the batch is written on flush, once SOCKET_TX_BATCH
 * bytes are queued, or from dispatch. More than SOCKET_TX_BOUND bytes
 * queued means the socket could not take them (every batch was tried):
 * NET_SEND_BUSY until it drains.
 */
static NetSendResult socket_send(NetBackend *be, const struct iovec *iov,
                                 int iovcnt)
{
    NetSocket *s = be->opaque;
    uint8_t hdr[SOCKET_HDR];
    size_t len = 0;
    int i;

    if (s->fd < 0 || s->tx_err) {
        return NET_SEND_DROP;
    }
    if (s->tx_tail - s->tx_head > SOCKET_TX_BOUND) {
        s->tx_busy = true;
        return NET_SEND_BUSY;
    }
    for (i = 0; i < iovcnt; i++) {
        len += iov[i].iov_len;
    }
    st32_be(hdr, (uint32_t)len);
    socket_tx_append(s, hdr, iov, iovcnt);
    if (s->tx_tail - s->tx_head >= SOCKET_TX_BATCH) {
        socket_tx_kick(s);
    }
    return NET_SEND_OK;
}

static void socket_flush(NetBackend *be)
{
    socket_tx_kick(be->opaque);
}

/* Drain tx_buf on POLLOUT. False if the connection was dropped. */
static bool socket_tx_flush(NetSocket *s)
{
    int err = socket_tx_write(s);

    if (err) {
        socket_drop_conn(s, err, false);
        return false;
    }
    socket_update_watch(s);
    if (s->tx_busy && s->tx_tail - s->tx_head <= SOCKET_TX_RESUME) {
        s->tx_busy = false;
        net_backend_tx_ready(&s->be);
    }
    return true;
}

/*
 * Is there something in rx_buf for socket_rx_process: a whole frame, or
 * a header that is a framing error?
 */
static bool socket_rx_pending(NetSocket *s)
{
    size_t avail = s->rx_tail - s->rx_head;
    uint32_t len;

    if (!s->rx_enabled || s->fd < 0 || avail < SOCKET_HDR) {
        return false;
    }
    len = ld32_be(s->rx_buf + s->rx_head);
    return len == 0 || len > NET_MAX_FRAME || avail >= SOCKET_HDR + len;
}

/*
 * Deliver whole frames from rx_buf until it holds only a partial one or
 * the NIC is full. Frames are delivered from rx_buf in place; a refused
 * one is copied by the generic layer.
 */
static void socket_rx_process(NetSocket *s)
{
    while (socket_rx_pending(s)) {
        uint32_t len = ld32_be(s->rx_buf + s->rx_head);
        const uint8_t *frame = s->rx_buf + s->rx_head + SOCKET_HDR;

        if (len == 0 || len > NET_MAX_FRAME) {
            /* Framing is lost: nothing after this can be trusted. */
            log_error("netdev %s: bad frame length %" PRIu32
                      " in stream; dropping the connection, carrier down",
                      s->be.id, len);
            s->be.stats.rx_errors++;
            s->rx_head = s->rx_tail;
            socket_drop_conn(s, 0, true);
            return;
        }
        /* Consume first: the NIC's receive may lead back into us. */
        s->rx_head += SOCKET_HDR + len;
        net_backend_receive(&s->be, frame, len);
    }
    if (s->rx_head == s->rx_tail) {
        s->rx_head = s->rx_tail = 0;
    }
}

typedef enum SocketRead {
    SOCKET_READ_NONE, /* nothing to read, or the connection ended */
    SOCKET_READ_MORE, /* filled the buffer: the socket may hold more */
    SOCKET_READ_DRY,  /* took all the socket had */
} SocketRead;

/* One read on a readable connection, then deliver what completed. */
static SocketRead socket_rx_read_once(NetSocket *s)
{
    size_t room;
    ssize_t n;

    if (s->rx_head > 0) {
        memmove(s->rx_buf, s->rx_buf + s->rx_head, s->rx_tail - s->rx_head);
        s->rx_tail -= s->rx_head;
        s->rx_head = 0;
    }
    /*
     * Only a partial frame is buffered here (rx_process ran), which is
     * shorter than SOCKET_RX_CAP; room == 0 would read as EOF.
     */
    room = SOCKET_RX_CAP - s->rx_tail;
    if (room == 0) {
        return SOCKET_READ_NONE;
    }
    do {
        n = recv(s->fd, s->rx_buf + s->rx_tail, room, 0);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        s->rx_tail += n;
        socket_rx_process(s);
        if (s->fd < 0) {
            return SOCKET_READ_NONE;
        }
        /* A stream recv() returns less than asked only when drained. */
        return (size_t)n < room ? SOCKET_READ_DRY : SOCKET_READ_MORE;
    }
    if (n == 0) {
        socket_drop_conn(s, 0, false);
    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        socket_drop_conn(s, errno, false);
    }
    return SOCKET_READ_NONE;
}

/*
 * Read and deliver while a read fills the buffer (the socket may hold
 * more), up to SOCKET_RX_BUDGET reads. A read that drains the socket
 * usually comes in the middle of a burst: the sender is typically a task
 * on this CPU that our wakeup preempted, or one that the read just woke
 * because it was waiting for room. Going straight back to poll would
 * sleep and be woken again (two context switches) for each of its
 * writes; one sched_yield() lets it queue more first (and returns at
 * once when nothing else is runnable here), and the main loop's next
 * poll then finds the data, or whatever else came meanwhile, without
 * sleeping. As backends/tap.c does.
 */
static void socket_rx_read(NetSocket *s)
{
    int i;

    for (i = 0; i < SOCKET_RX_BUDGET; i++) {
        if (s->fd < 0 || !s->rx_enabled) {
            return;
        }
        switch (socket_rx_read_once(s)) {
        case SOCKET_READ_NONE:
            return;
        case SOCKET_READ_DRY:
            sched_yield();
            return;
        case SOCKET_READ_MORE:
            break;
        }
    }
}

static void socket_dispatch(NetSocket *s)
{
    GIOCondition rev = 0;

    if (s->tx_err) {
        socket_drop_conn(s, s->tx_err, false);
        return;
    }
    if (s->accept_paused &&
        g_source_get_time(s->src) >= g_source_get_ready_time(s->src)) {
        s->accept_paused = false;
        g_source_set_ready_time(s->src, -1);
        socket_update_watch(s);
    }
    if (s->listen_tag && g_source_query_unix_fd(s->src, s->listen_tag)) {
        socket_accept(s);
    }
    if (s->fd < 0) {
        return;
    }
    if (s->fd_tag) {
        rev = g_source_query_unix_fd(s->src, s->fd_tag);
    }
    /*
     * HUP/ERR are reported even when not asked for: with output queued,
     * the write then fails and tells why. A batch no flush wrote goes
     * out here.
     */
    if (s->tx_tail > s->tx_head &&
        (!s->tx_full || (rev & (G_IO_OUT | G_IO_HUP | G_IO_ERR)))) {
        if (!socket_tx_flush(s)) {
            return;
        }
    }
    socket_rx_process(s);
    if (s->fd >= 0 && s->rx_enabled &&
        (rev & (G_IO_IN | G_IO_HUP | G_IO_ERR))) {
        socket_rx_read(s);
    }
}

/* A queued batch that no flush wrote yet. */
static bool socket_tx_unwritten(NetSocket *s)
{
    return s->fd >= 0 && !s->tx_full && s->tx_tail > s->tx_head;
}

static gboolean socket_source_prepare(GSource *src, gint *timeout)
{
    NetSocket *s = ((SocketSource *)src)->s;

    *timeout = -1;
    return s->tx_err || socket_tx_unwritten(s) || socket_rx_pending(s);
}

static gboolean socket_source_check(GSource *src)
{
    NetSocket *s = ((SocketSource *)src)->s;

    if (s->tx_err || socket_tx_unwritten(s) || socket_rx_pending(s)) {
        return TRUE;
    }
    if (s->fd_tag && g_source_query_unix_fd(src, s->fd_tag)) {
        return TRUE;
    }
    return s->listen_tag && g_source_query_unix_fd(src, s->listen_tag);
}

static gboolean socket_source_dispatch(GSource *src, GSourceFunc cb,
                                       gpointer data)
{
    socket_dispatch(((SocketSource *)src)->s);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs socket_source_funcs = {
    .prepare = socket_source_prepare,
    .check = socket_source_check,
    .dispatch = socket_source_dispatch,
};

static void socket_set_rx_enabled(NetBackend *be, bool enabled)
{
    NetSocket *s = be->opaque;

    if (s->rx_enabled == enabled) {
        return;
    }
    s->rx_enabled = enabled;
    /*
     * Frames already in rx_buf are not delivered from here (the caller
     * may be the NIC itself); prepare() sees them on the next iteration.
     */
    socket_update_watch(s);
}

static void socket_free(NetBackend *be)
{
    NetSocket *s = be->opaque;
    struct stat st;

    g_source_destroy(s->src);
    g_source_unref(s->src);
    if (s->fd >= 0) {
        close(s->fd);
    }
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        /* Remove the socket file, unless someone replaced it since. */
        if (stat(s->listen_path, &st) == 0 && st.st_dev == s->listen_dev &&
            st.st_ino == s->listen_ino) {
            unlink(s->listen_path);
        }
    }
    g_free(s->listen_path);
    g_free(s->rx_buf);
    g_free(s->tx_buf);
    g_free(s);
}

static const NetBackendOps socket_ops = {
    .type = "socket",
    .send = socket_send,
    .flush = socket_flush,
    .set_rx_enabled = socket_set_rx_enabled,
    .free = socket_free,
};

static bool socket_make_addr(const char *key, const char *path,
                             struct sockaddr_un *sa, GError **errp)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (!*path) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev socket: option '%s' needs a path", key);
        return false;
    }
    if (strlen(path) >= sizeof(sa->sun_path)) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev socket: %s=%s: path longer than %zu bytes", key,
                    path, sizeof(sa->sun_path) - 1);
        return false;
    }
    strcpy(sa->sun_path, path);
    return true;
}

/* fd=N: a connected stream socket the backend takes over. */
static int socket_open_fd(const EmuOpts *opts, GError **errp)
{
    uint64_t v;
    int fd, type, flags;
    socklen_t tlen = sizeof(type);
    struct sockaddr_storage sa;
    socklen_t salen = sizeof(sa);

    if (!opts_get_u64(opts, "fd", 0, false, &v, errp)) {
        g_prefix_error(errp, "netdev socket: ");
        return -1;
    }
    if (v > INT_MAX) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev socket: fd=%" PRIu64 ": not a file descriptor", v);
        return -1;
    }
    fd = (int)v;
    flags = fcntl(fd, F_GETFL);
    if (flags < 0) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev socket: fd=%d: %s", fd, g_strerror(errno));
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev socket: fd=%d: not a socket", fd);
        return -1;
    }
    if (type != SOCK_STREAM) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev socket: fd=%d: not a stream socket", fd);
        return -1;
    }
    if (getpeername(fd, (struct sockaddr *)&sa, &salen) < 0) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev socket: fd=%d: not connected", fd);
        return -1;
    }
    if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev socket: fd=%d: %s", fd, g_strerror(errno));
        return -1;
    }
    return fd;
}

/* connect=PATH: a UNIX stream client, connected now. */
static int socket_open_connect(const char *path, GError **errp)
{
    struct sockaddr_un sa;
    int fd, err;

    if (!socket_make_addr("connect", path, &sa, errp)) {
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err = errno;
        goto fail;
    }
    /*
     * Blocking connect: a UNIX connect completes or fails at once, and
     * the error belongs to setup.
     */
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
        err = errno;
        close(fd);
        goto fail;
    }
    return fd;

fail:
    g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                "netdev socket: connect=%s: %s", path, g_strerror(err));
    return -1;
}

/* listen=PATH: a UNIX stream server; records the socket file identity. */
static int socket_open_listen(NetSocket *s, const char *path, GError **errp)
{
    struct sockaddr_un sa;
    struct stat st;
    int fd, err;

    if (!socket_make_addr("listen", path, &sa, errp)) {
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err = errno;
        goto fail;
    }
    /* One peer at a time; a second one waits in the backlog. */
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        err = errno;
        close(fd);
        goto fail;
    }
    if (listen(fd, 1) < 0 || stat(path, &st) < 0) {
        err = errno;
        close(fd);
        unlink(path);
        goto fail;
    }
    s->listen_dev = st.st_dev;
    s->listen_ino = st.st_ino;
    return fd;

fail:
    g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                "netdev socket: listen=%s: %s", path, g_strerror(err));
    return -1;
}

NetBackend *net_socket_new(const EmuOpts *opts, GMainContext *ctx,
                           GError **errp)
{
    static const char *const known[] = {"type",    "id",     "fd",
                                        "connect", "listen", NULL};
    const char *connect_path = opts_get(opts, "connect");
    const char *listen_path = opts_get(opts, "listen");
    bool has_fd = opts_get(opts, "fd") != NULL;
    NetSocket *s;
    int fd = -1;

    if (opts_get(opts, "udp") || opts_get(opts, "mcast")) {
        /* Datagram mode lives in backends/dgram.c. */
        return net_dgram_new(opts, ctx, errp);
    }
    if (!opts_check_known(opts, "netdev socket", known, errp)) {
        return NULL;
    }
    if (has_fd + !!connect_path + !!listen_path != 1) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev socket: exactly one of 'fd', 'connect' or "
                    "'listen' is required");
        return NULL;
    }

    s = g_new0(NetSocket, 1);
    s->fd = -1;
    s->listen_fd = -1;
    if (has_fd) {
        fd = socket_open_fd(opts, errp);
    } else if (connect_path) {
        fd = socket_open_connect(connect_path, errp);
    } else {
        s->listen_fd = socket_open_listen(s, listen_path, errp);
        s->listen_path = g_strdup(listen_path);
    }
    if (fd < 0 && s->listen_fd < 0) {
        g_free(s->listen_path);
        g_free(s);
        return NULL;
    }

    net_backend_init(&s->be, &socket_ops, opts_get(opts, "id"), s);
    s->rx_buf = g_malloc(SOCKET_RX_CAP);
    s->src = g_source_new(&socket_source_funcs, sizeof(SocketSource));
    ((SocketSource *)s->src)->s = s;
    g_source_set_name(s->src, "netdev socket");
    g_source_attach(s->src, ctx);
    if (fd >= 0) {
        socket_attach(s, fd);
    } else {
        /* No peer until one connects. */
        s->be.link_up = false;
        socket_update_watch(s);
    }
    return &s->be;
}
