/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * UNIX stream socket chardev; see chardev.h. The connection is watched by
 * one GSource whose condition follows the state: readable unless the
 * output queue is over its high-water mark, writable while output is
 * queued. Write errors are not reported from chardev_write (the caller
 * may be deep inside device code); the broken socket then polls as
 * HUP/ERR and the close is handled from the loop.
 * Output queued while input is being handled goes out in one write when
 * the read ends (a client that sends several commands at once gets their
 * replies together, and the peer is woken once), or as soon as
 * CHARDEV_OUT_BATCH bytes wait. Output queued anywhere else is written
 * at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/chardev.h"
#include "emunet/log.h"
#include "emunet/opts.h"

/* Stop reading input while this much output waits for the peer. */
#define CHARDEV_OUT_HIGH (16u * 1024 * 1024)
/* Output held back while handling input, at most, before it is written. */
#define CHARDEV_OUT_BATCH (64u * 1024)
/* Bytes read per read() call, and at most per loop dispatch. */
#define CHARDEV_READ_CHUNK (64u * 1024)
#define CHARDEV_READ_BUDGET (1024u * 1024)
/*
 * Reads that drained the socket, at most, per loop dispatch: how many
 * round trips of a client that waits for each reply are served before
 * the other sources (backends) get their turn.
 */
#define CHARDEV_READ_ROUNDS 32

struct Chardev {
    char *id;
    char *path;
    bool server;
    bool wait;
    GMainContext *ctx;

    int listen_fd;
    GSource *listen_src;
    bool unlink_on_free;
    /* fd=N: listen_fd was inherited already listening (libxl's
     * dm_restrict QMP socket); `path` then only describes it. */
    bool preopened;
    /* chardev_describe's text, made on first use. */
    char *desc;

    int fd;
    GSource *conn_src;
    GIOCondition conn_cond;
    bool write_failed;
    /* The peer shut down its sending side: finish the replies, then go. */
    bool input_ended;

    ChardevReadFn *read_fn;
    ChardevLineFn *line_fn;
    ChardevEventFn *event_fn;
    void *opaque;
    size_t max_line;

    GString *inbuf;
    size_t scan;
    bool discarding;

    GByteArray *outq;
    size_t out_off;
    /* Input is being handled: chardev_write leaves the writing to it. */
    bool batching;

    /* SCM_RIGHTS descriptors of the message being handled. */
    int rx_fds[CHARDEV_MAX_FDS];
    unsigned n_rx_fds;
};

static gboolean chardev_conn_ready(gint fd, GIOCondition cond, gpointer data);
static gboolean chardev_listen_ready(gint fd, GIOCondition cond, gpointer data);

static Chardev *chardev_alloc(const char *id, const char *path, bool server,
                              bool wait)
{
    Chardev *chr = g_new0(Chardev, 1);

    chr->id = g_strdup(id);
    chr->path = g_strdup(path);
    chr->server = server;
    chr->wait = wait;
    chr->listen_fd = -1;
    chr->fd = -1;
    chr->inbuf = g_string_new(NULL);
    chr->outq = g_byte_array_new();
    return chr;
}

static bool chardev_check_path(const char *what, const char *path,
                               GError **errp)
{
    struct sockaddr_un sa;

    if (!path || !*path) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: missing socket path", what);
        return false;
    }
    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: socket path '%s' is longer than %zu bytes", what, path,
                    sizeof(sa.sun_path) - 1);
        return false;
    }
    return true;
}

/*
 * server= and wait= as QEMU: wait defaults to on, and means nothing for a
 * client. The old spelling "nowait" (a bare flag) still means wait=off.
 */
static bool chardev_parse_mode(const EmuOpts *opts, const char *what,
                               bool *server, bool *wait, GError **errp)
{
    bool nowait;

    if (!opts_get_bool(opts, "server", false, server, errp) ||
        !opts_get_bool(opts, "wait", true, wait, errp) ||
        !opts_get_bool(opts, "nowait", false, &nowait, errp)) {
        g_prefix_error(errp, "%s: ", what);
        return false;
    }
    if (nowait) {
        *wait = false;
    }
    return true;
}

Chardev *chardev_new_opts(const char *optstr, GError **errp)
{
    static const char *const known[] = {"backend", "id",     "path", "server",
                                        "wait",    "nowait", "fd",   NULL};
    g_autoptr(EmuOpts) opts = opts_parse(optstr, "backend", NULL, errp);
    const char *backend, *id, *path;
    bool server, wait;
    uint64_t fd;
    Chardev *chr;

    if (!opts) {
        g_prefix_error(errp, "-chardev: ");
        return NULL;
    }
    backend = opts_get(opts, "backend");
    if (!backend || strcmp(backend, "socket") != 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "-chardev: backend '%s' is not supported (only socket)",
                    backend ? backend : "");
        return NULL;
    }
    if (!opts_check_known(opts, "-chardev", known, errp)) {
        return NULL;
    }
    id = opts_get(opts, "id");
    if (!id || !*id) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "-chardev: missing id=");
        return NULL;
    }
    path = opts_get(opts, "path");
    if (opts_get(opts, "fd")) {
        /* An inherited listening socket: server=on, no path=. */
        if (!opts_get_u64(opts, "fd", 0, false, &fd, errp) ||
            !chardev_parse_mode(opts, "-chardev", &server, &wait, errp)) {
            g_prefix_error(errp, "-chardev: ");
            return NULL;
        }
        if (path || !server || fd < 3 || fd > INT_MAX) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "-chardev: fd= needs server=on, no path= and a "
                        "descriptor above 2");
            return NULL;
        }
        chr = chardev_alloc(id, NULL, server, wait);
        chr->path = g_strdup_printf("fd=%d", (int)fd);
        chr->listen_fd = (int)fd;
        chr->preopened = true;
        return chr;
    }
    if (!chardev_check_path("-chardev", path, errp) ||
        !chardev_parse_mode(opts, "-chardev", &server, &wait, errp)) {
        return NULL;
    }
    return chardev_alloc(id, path, server, wait);
}

Chardev *chardev_new_unix(const char *spec, const char *id, GError **errp)
{
    static const char *const known[] = {"path", "server", "wait", "nowait",
                                        NULL};
    g_autoptr(EmuOpts) opts = NULL;
    bool server, wait;
    const char *path;

    if (!g_str_has_prefix(spec, "unix:")) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: only unix:PATH sockets are supported", id);
        return NULL;
    }
    opts = opts_parse(spec + strlen("unix:"), "path", NULL, errp);
    if (!opts) {
        g_prefix_error(errp, "%s: ", id);
        return NULL;
    }
    if (!opts_check_known(opts, id, known, errp)) {
        return NULL;
    }
    path = opts_get(opts, "path");
    if (!chardev_check_path(id, path, errp) ||
        !chardev_parse_mode(opts, id, &server, &wait, errp)) {
        return NULL;
    }
    return chardev_alloc(id, path, server, wait);
}

const char *chardev_id(const Chardev *chr)
{
    return chr->id;
}

const char *chardev_describe(Chardev *chr)
{
    if (!chr->desc) {
        chr->desc = g_strdup_printf("%s%s%s", chr->preopened ? "" : "unix:",
                                    chr->path,
                                    chr->server ? ",server=on" : "");
    }
    return chr->desc;
}

void chardev_set_handlers(Chardev *chr, ChardevReadFn *read,
                          ChardevEventFn *event, void *opaque)
{
    chr->read_fn = read;
    chr->line_fn = NULL;
    chr->event_fn = event;
    chr->opaque = opaque;
}

void chardev_set_line_handlers(Chardev *chr, ChardevLineFn *line,
                               size_t max_line, ChardevEventFn *event,
                               void *opaque)
{
    chr->read_fn = NULL;
    chr->line_fn = line;
    chr->max_line = max_line;
    chr->event_fn = event;
    chr->opaque = opaque;
}

bool chardev_connected(const Chardev *chr)
{
    return chr->fd >= 0;
}

static size_t chardev_pending(const Chardev *chr)
{
    return chr->outq->len - chr->out_off;
}

static void chardev_destroy_source(GSource **src)
{
    if (*src) {
        g_source_destroy(*src);
        g_source_unref(*src);
        *src = NULL;
    }
}

static GSource *chardev_add_watch(Chardev *chr, int fd, GIOCondition cond,
                                  GUnixFDSourceFunc fn)
{
    GSource *src = g_unix_fd_source_new(fd, cond);

    g_source_set_callback(src, G_SOURCE_FUNC(fn), chr, NULL);
    /*
     * Nothing here runs the main loop recursively. Without this, GLib
     * takes the fd out of the poll set for every dispatch and puts it
     * back afterwards, waking the context both times (an eventfd write
     * each, then an extra poll and read): per qtest command.
     */
    g_source_set_can_recurse(src, TRUE);
    g_source_attach(src, chr->ctx);
    return src;
}

/* Make the connection's watch match what the chardev can do now. */
static void chardev_update_watch(Chardev *chr)
{
    GIOCondition cond = G_IO_HUP | G_IO_ERR;

    if (chr->fd < 0) {
        return;
    }
    if ((chardev_pending(chr) < CHARDEV_OUT_HIGH || chr->write_failed) &&
        !chr->input_ended) {
        cond |= G_IO_IN;
    }
    if (chardev_pending(chr) > 0 && !chr->write_failed) {
        cond |= G_IO_OUT;
    }
    if (chr->conn_src && cond == chr->conn_cond) {
        return;
    }
    chardev_destroy_source(&chr->conn_src);
    chr->conn_src = chardev_add_watch(chr, chr->fd, cond, chardev_conn_ready);
    chr->conn_cond = cond;
}

static void chardev_listen_watch(Chardev *chr)
{
    if (chr->listen_fd >= 0 && !chr->listen_src) {
        chr->listen_src = chardev_add_watch(chr, chr->listen_fd, G_IO_IN,
                                            chardev_listen_ready);
    }
}

static void chardev_set_nonblock(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags >= 0) {
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    }
}

/* A connection is up: reset per-connection state and tell the user. */
static void chardev_attach(Chardev *chr, int fd)
{
    chardev_set_nonblock(fd);
    chr->fd = fd;
    chr->write_failed = false;
    chr->input_ended = false;
    g_string_truncate(chr->inbuf, 0);
    chr->scan = 0;
    chr->discarding = false;
    g_byte_array_set_size(chr->outq, 0);
    chr->out_off = 0;
    chardev_destroy_source(&chr->listen_src);
    chardev_update_watch(chr);
    if (chr->event_fn) {
        chr->event_fn(chr->opaque, CHARDEV_OPENED);
    }
}

/* The connection ended: a server goes back to listening. */
static void chardev_detach(Chardev *chr)
{
    if (chr->fd < 0) {
        return;
    }
    chardev_destroy_source(&chr->conn_src);
    close(chr->fd);
    chr->fd = -1;
    g_byte_array_set_size(chr->outq, 0);
    chr->out_off = 0;
    chardev_listen_watch(chr);
    if (chr->event_fn) {
        chr->event_fn(chr->opaque, CHARDEV_CLOSED);
    }
}

static void chardev_do_write(Chardev *chr)
{
    while (chardev_pending(chr) > 0 && !chr->write_failed) {
        ssize_t n = send(chr->fd, chr->outq->data + chr->out_off,
                         chardev_pending(chr), MSG_NOSIGNAL);
        if (n > 0) {
            chr->out_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            chr->write_failed = true;
        }
    }
    if (chardev_pending(chr) == 0 || chr->write_failed) {
        g_byte_array_set_size(chr->outq, 0);
        chr->out_off = 0;
    } else if (chr->out_off > chr->outq->len / 2) {
        g_byte_array_remove_range(chr->outq, 0, (guint)chr->out_off);
        chr->out_off = 0;
    }
}

void chardev_write(Chardev *chr, const void *buf, size_t len)
{
    if (chr->fd < 0 || chr->write_failed || len == 0) {
        return;
    }
    g_byte_array_append(chr->outq, buf, (guint)len);
    if (chr->batching && chardev_pending(chr) < CHARDEV_OUT_BATCH) {
        return;
    }
    chardev_do_write(chr);
    chardev_update_watch(chr);
}

void chardev_printf(Chardev *chr, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    chardev_write(chr, s, strlen(s));
    g_free(s);
}

/*
 * Hand the complete lines at the start of `buf` (`len` bytes, `scan` of
 * them known to hold no '\n') to the user; over-long ones are dropped
 * whole. Returns how many bytes were consumed, or SIZE_MAX when the
 * connection ended meanwhile.
 */
static size_t chardev_split_lines(Chardev *chr, char *buf, size_t len,
                                  size_t scan)
{
    size_t start = 0;

    while (chr->fd >= 0) {
        char *nl = memchr(buf + scan, '\n', len - scan);
        size_t end;

        if (!nl) {
            return start;
        }
        end = (size_t)(nl - buf);
        if (chr->discarding || end - start > chr->max_line) {
            chr->discarding = false;
            chr->line_fn(chr->opaque, NULL, 0);
        } else {
            *nl = '\0';
            chr->line_fn(chr->opaque, buf + start, end - start);
        }
        start = end + 1;
        scan = start;
    }
    return SIZE_MAX;
}

/* Keep the unfinished line at the end of the input for the next read. */
static void chardev_keep_partial(Chardev *chr)
{
    if (chr->inbuf->len > chr->max_line) {
        /* Part of a line that can never be accepted: stop storing it. */
        chr->discarding = true;
        g_string_truncate(chr->inbuf, 0);
    }
    chr->scan = chr->inbuf->len;
}

/*
 * Line mode. Lines that arrive whole in one read (nearly all of them) are
 * handled where they were read; only an unfinished line is copied.
 */
static void chardev_process_lines(Chardev *chr, char *buf, size_t len)
{
    size_t used;

    if (chr->inbuf->len > 0 || chr->discarding) {
        size_t scan = chr->scan;

        g_string_append_len(chr->inbuf, buf, (gssize)len);
        used = chardev_split_lines(chr, chr->inbuf->str, chr->inbuf->len,
                                   scan);
        if (used == SIZE_MAX) {
            return;
        }
        g_string_erase(chr->inbuf, 0, (gssize)used);
        chardev_keep_partial(chr);
        return;
    }
    used = chardev_split_lines(chr, buf, len, 0);
    if (used == SIZE_MAX) {
        return;
    }
    g_string_append_len(chr->inbuf, buf + used, (gssize)(len - used));
    chardev_keep_partial(chr);
}

static void chardev_deliver(Chardev *chr, char *buf, size_t len)
{
    if (chr->read_fn) {
        chr->read_fn(chr->opaque, buf, len);
    } else if (chr->line_fn) {
        chardev_process_lines(chr, buf, len);
    }
}

unsigned chardev_take_fds(Chardev *chr, int *fds, unsigned max)
{
    unsigned n = MIN(max, chr->n_rx_fds);

    memcpy(fds, chr->rx_fds, n * sizeof(int));
    memmove(chr->rx_fds, chr->rx_fds + n, (chr->n_rx_fds - n) * sizeof(int));
    chr->n_rx_fds -= n;
    return n;
}

/* Descriptors nobody took with their message are not kept. */
static void chardev_close_rx_fds(Chardev *chr)
{
    while (chr->n_rx_fds > 0) {
        close(chr->rx_fds[--chr->n_rx_fds]);
    }
}

/*
 * One recvmsg: bytes into buf, SCM_RIGHTS descriptors into rx_fds. The
 * kernel ends a read after a message that carries descriptors, so they
 * belong to the last bytes read.
 */
static ssize_t chardev_recv(Chardev *chr, char *buf, size_t len)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * CHARDEV_MAX_FDS)];
    } ctl;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = ctl.buf,
        .msg_controllen = sizeof(ctl.buf),
    };
    ssize_t n = recvmsg(chr->fd, &msg, MSG_CMSG_CLOEXEC);

    if (n < 0) {
        return n;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        size_t nfds;

        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
            c->cmsg_len < CMSG_LEN(0)) {
            continue;
        }
        nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < nfds; i++) {
            int fd;

            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (chr->n_rx_fds < CHARDEV_MAX_FDS) {
                chr->rx_fds[chr->n_rx_fds++] = fd;
            } else {
                close(fd);
            }
        }
    }
    if (msg.msg_flags & MSG_CTRUNC) {
        log_error("%s: more than %u file descriptors in one message; the "
                  "others were dropped",
                  chr->id, CHARDEV_MAX_FDS);
    }
    return n;
}

/* Returns false when the connection ended. */
static bool chardev_do_read(Chardev *chr)
{
    char buf[CHARDEV_READ_CHUNK];
    size_t budget = CHARDEV_READ_BUDGET;
    unsigned rounds = 0;

    while (budget > 0 && chr->fd >= 0 && !chr->write_failed &&
           chardev_pending(chr) < CHARDEV_OUT_HIGH) {
        ssize_t n = chardev_recv(chr, buf, sizeof(buf));

        if (n > 0) {
            chardev_deliver(chr, buf, (size_t)n);
            chardev_close_rx_fds(chr);
            budget -= MIN(budget, (size_t)n);
            if ((size_t)n == sizeof(buf)) {
                continue;
            }
            /*
             * A short read emptied the socket. A client that waits for
             * each reply (qtest) sends its next command as soon as the
             * replies reach it, often before we would poll again (on
             * this CPU it preempts us right at the write). So write the
             * replies and look once more: one recv, where going back to
             * the main loop costs a poll and a sleep and wakeup; the
             * frames TX doorbells queued in a backend meanwhile then
             * leave together when the main loop runs (net.h).
             */
            if (++rounds == CHARDEV_READ_ROUNDS) {
                break;
            }
            chardev_do_write(chr);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return true;
        } else {
            chardev_close_rx_fds(chr);
            return false;
        }
    }
    return true;
}

static gboolean chardev_conn_ready(gint fd, GIOCondition cond, gpointer data)
{
    Chardev *chr = data;

    if (cond & G_IO_OUT) {
        chardev_do_write(chr);
        if (chr->input_ended &&
            (chardev_pending(chr) == 0 || chr->write_failed)) {
            chardev_detach(chr);
            return G_SOURCE_REMOVE;
        }
    }
    if ((cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) &&
        (chr->conn_cond & G_IO_IN)) {
        bool alive;

        /* Read first even on HUP: the peer's last bytes still count. */
        chr->batching = true;
        alive = chardev_do_read(chr);
        chr->batching = false;
        if (chr->fd >= 0) {
            /*
             * The replies to everything just read, in one write; also
             * when the peer just shut down its side: it may still read.
             */
            chardev_do_write(chr);
        }
        if (!alive && !chr->write_failed && chardev_pending(chr) > 0) {
            /*
             * End of input with replies still queued (more than the
             * socket took): a peer that only shut down its sending side
             * still reads them, so they go out before the close.
             */
            chr->input_ended = true;
        } else if (!alive || chr->write_failed) {
            chardev_detach(chr);
            return G_SOURCE_REMOVE;
        }
    } else if (cond & (G_IO_HUP | G_IO_ERR)) {
        chardev_detach(chr);
        return G_SOURCE_REMOVE;
    }
    if (chr->fd >= 0) {
        chardev_update_watch(chr);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean chardev_listen_ready(gint fd, GIOCondition cond, gpointer data)
{
    Chardev *chr = data;
    int conn;

    if (chr->fd >= 0) {
        return G_SOURCE_CONTINUE;
    }
    conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) {
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
            log_error("%s: accept on %s: %s", chr->id, chr->path,
                      g_strerror(errno));
        }
        return G_SOURCE_CONTINUE;
    }
    /* chardev_attach destroys this source: no new clients meanwhile. */
    chardev_attach(chr, conn);
    return G_SOURCE_REMOVE;
}

static void chardev_fill_addr(struct sockaddr_un *sa, const char *path)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, path, strlen(path));
}

static bool chardev_connect(Chardev *chr, GError **errp)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: socket: %s", chr->id, g_strerror(errno));
        return false;
    }
    chardev_fill_addr(&sa, chr->path);
    while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        if (errno == EINTR) {
            continue;
        }
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: cannot connect to %s: %s", chr->id, chr->path,
                    g_strerror(errno));
        close(fd);
        return false;
    }
    chardev_attach(chr, fd);
    return true;
}

static bool chardev_listen(Chardev *chr, GError **errp)
{
    struct sockaddr_un sa;
    struct stat st;
    int fd;

    if (chr->preopened) {
        int on = 0;
        socklen_t len = sizeof(on);

        fd = chr->listen_fd;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) < 0 || !on) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "%s: %s is not a listening socket", chr->id,
                        chr->path);
            return false;
        }
        /* Ours alone: a companion must not inherit it. */
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        goto listening;
    }
    /* A stale socket file from an earlier run would make bind fail. */
    if (lstat(chr->path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        unlink(chr->path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: socket: %s", chr->id, g_strerror(errno));
        return false;
    }
    chardev_fill_addr(&sa, chr->path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: cannot listen on %s: %s", chr->id, chr->path,
                    g_strerror(errno));
        close(fd);
        return false;
    }
    chr->listen_fd = fd;
    chr->unlink_on_free = true;
listening:
    if (chr->wait) {
        int conn;

        log_info("%s: waiting for a connection on %s", chr->id, chr->path);
        do {
            conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        } while (conn < 0 && (errno == EINTR || errno == ECONNABORTED));
        if (conn < 0) {
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                        "%s: accept on %s: %s", chr->id, chr->path,
                        g_strerror(errno));
            return false;
        }
        chardev_set_nonblock(fd);
        chardev_attach(chr, conn);
        return true;
    }
    chardev_set_nonblock(fd);
    chardev_listen_watch(chr);
    return true;
}

bool chardev_open(Chardev *chr, GMainContext *ctx, GError **errp)
{
    chr->ctx = ctx;
    if (chr->server) {
        return chardev_listen(chr, errp);
    }
    return chardev_connect(chr, errp);
}

void chardev_flush(Chardev *chr, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    while (chr->fd >= 0 && chardev_pending(chr) > 0 && !chr->write_failed) {
        struct pollfd pfd = {.fd = chr->fd, .events = POLLOUT};
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;

        if (left <= 0) {
            break;
        }
        if (poll(&pfd, 1, (int)left) <= 0 && errno != EINTR) {
            break;
        }
        chardev_do_write(chr);
    }
}

void chardev_free(Chardev *chr)
{
    if (!chr) {
        return;
    }
    chardev_destroy_source(&chr->conn_src);
    chardev_destroy_source(&chr->listen_src);
    if (chr->fd >= 0) {
        close(chr->fd);
    }
    if (chr->listen_fd >= 0) {
        close(chr->listen_fd);
    }
    if (chr->unlink_on_free) {
        unlink(chr->path);
    }
    g_string_free(chr->inbuf, TRUE);
    g_byte_array_free(chr->outq, TRUE);
    g_free(chr->id);
    g_free(chr->path);
    g_free(chr->desc);
    g_free(chr);
}
