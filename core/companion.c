/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Companion device model; see companion.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/companion.h"
#include "emunet/log.h"

/* libxl's own device-model spawn timeout (LIBXL_DEVICE_MODEL_START_...). */
#define COMPANION_START_MS 60000
/* Longest message accepted from the companion. */
#define COMPANION_MAX_LINE (16u * 1024 * 1024)
/* How long an exit() waits for the companion before SIGKILL. */
#define COMPANION_ATEXIT_MS 2000

/* One command written to the companion, answered in order. */
typedef struct CompanionPending {
    /* A client's command: relay to this monitor connection... */
    QmpMonitor *mon;
    guint64 session;
    /* ...or emunet's own. */
    CompanionReplyFn *fn;
    void *opaque;
} CompanionPending;

/* Descriptors to send with the output byte at stream position `pos`. */
typedef struct CompanionFds {
    guint64 pos;
    int fds[CHARDEV_MAX_FDS];
    unsigned n;
} CompanionFds;

struct Companion {
    pid_t pid;
    bool exited;
    guint child_watch;
    CompanionExitFn *exit_fn;
    void *exit_opaque;

    int fd; /* QMP connection, -1 once gone */
    GSource *src;
    GIOCondition cond;
    GString *in;
    GByteArray *out;
    /* Stream position of out->data[0] (bytes sent so far). */
    guint64 out_pos;
    GQueue out_fds; /* CompanionFds *, in stream order */
    GQueue pending; /* CompanionPending * */
    char *version;
    guint next_id;
};

/* For exit(): a companion still running when emunet fails is stopped. */
static pid_t companion_running_pid;
/* For the child: the pid it must be orphaned from to give up. */
static pid_t companion_parent_pid;

G_DEFINE_QUARK(emunet - companion - error - quark, companion_error)

char *companion_path(const char *opt, bool libxl_mode)
{
    const char *env = g_getenv("EMUNET_COMPANION");

    if (opt) {
        return strcmp(opt, "none") == 0 ? NULL : g_strdup(opt);
    }
    if (env && *env) {
        return strcmp(env, "none") == 0 ? NULL : g_strdup(env);
    }
    if (libxl_mode && access(COMPANION_DEFAULT_PATH, X_OK) == 0) {
        return g_strdup(COMPANION_DEFAULT_PATH);
    }
    return NULL;
}

/* Reap with a deadline; returns true with *status once it has exited. */
static bool companion_reap(pid_t pid, int timeout_ms, int *status)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);

        if (r == pid || (r < 0 && errno == ECHILD)) {
            return true;
        }
        if (g_get_monotonic_time() >= deadline) {
            return false;
        }
        g_usleep(10000);
    }
}

static void companion_kill_and_reap(pid_t pid, int timeout_ms)
{
    int status;

    kill(pid, SIGTERM);
    if (!companion_reap(pid, timeout_ms, &status)) {
        kill(pid, SIGKILL);
        companion_reap(pid, 1000, &status);
    }
}

static void companion_atexit(void)
{
    if (companion_running_pid > 0) {
        companion_kill_and_reap(companion_running_pid, COMPANION_ATEXIT_MS);
        companion_running_pid = 0;
    }
}

/* In the child between fork and exec: async-signal-safe calls only. */
static void companion_child_setup(gpointer data)
{
    struct sigaction sa = {.sa_handler = SIG_DFL};

    sigaction(SIGPIPE, &sa, NULL);
    sigaction(SIGXFSZ, &sa, NULL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != companion_parent_pid) {
        _exit(1);
    }
}

/* emunet's exit status for a wait status (QEMU-style: code or 128+sig). */
static int companion_exit_status(int wstatus, GString *how)
{
    if (WIFEXITED(wstatus)) {
        g_string_printf(how, "exited with status %d", WEXITSTATUS(wstatus));
        return WEXITSTATUS(wstatus);
    }
    if (WIFSIGNALED(wstatus)) {
        g_string_printf(how, "was killed by signal %d (%s)", WTERMSIG(wstatus),
                        g_strsignal(WTERMSIG(wstatus)));
        return 128 + WTERMSIG(wstatus);
    }
    g_string_printf(how, "ended (wait status 0x%x)", (unsigned)wstatus);
    return 1;
}

/* ---- private QMP socket ---- */

/*
 * A listening socket for the companion plus emunet's connection to it,
 * made in a private directory that is gone again on return.
 */
static bool companion_socket(int *listen_fd, int *conn_fd, GError **errp)
{
    g_autofree char *dir = g_dir_make_tmp("emunet-companion-XXXXXX", errp);
    g_autofree char *path = NULL;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int lfd = -1, cfd = -1;

    if (!dir) {
        g_prefix_error(errp, "companion: ");
        return false;
    }
    path = g_build_filename(dir, "qmp.sock", NULL);
    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
                    "companion: socket path %s is too long", path);
        g_rmdir(dir);
        return false;
    }
    memcpy(sa.sun_path, path, strlen(path));
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0 || cfd < 0 ||
        bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(lfd, 1) < 0 ||
        connect(cfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "companion: QMP socket: %s", g_strerror(errno));
        if (lfd >= 0) {
            close(lfd);
        }
        if (cfd >= 0) {
            close(cfd);
        }
        g_unlink(path);
        g_rmdir(dir);
        return false;
    }
    g_unlink(path);
    g_rmdir(dir);
    *listen_fd = lfd;
    *conn_fd = cfd;
    return true;
}

/* -incoming fd:N: the companion reads its state from the same file. */
static int companion_incoming_fd(const LibxlArgs *args)
{
    guint64 fd;

    if (!args->libxl_mode || !args->incoming ||
        !g_str_has_prefix(args->incoming, "fd:") ||
        !g_ascii_string_to_unsigned(args->incoming + 3, 10, 3, G_MAXINT, &fd,
                                    NULL) ||
        fcntl((int)fd, F_GETFD) < 0) {
        return -1;
    }
    return (int)fd;
}

/* ---- blocking start-up exchange ---- */

/* One line ('\n'-terminated, '\r' stripped) within the deadline. */
static char *companion_read_line(Companion *c, gint64 deadline, GError **errp)
{
    for (;;) {
        char *nl = memchr(c->in->str, '\n', c->in->len);
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        char buf[4096];
        gint64 left;
        ssize_t n;
        int status;

        if (nl) {
            size_t len = (size_t)(nl - c->in->str);
            char *line =
                g_strndup(c->in->str, len && nl[-1] == '\r' ? len - 1 : len);

            g_string_erase(c->in, 0, (gssize)len + 1);
            return line;
        }
        if (c->in->len > COMPANION_MAX_LINE) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "companion: QMP message too long");
            return NULL;
        }
        left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                        "companion: no QMP greeting within %d s",
                        COMPANION_START_MS / 1000);
            return NULL;
        }
        if (poll(&pfd, 1, (int)MIN(left, 100)) > 0) {
            n = recv(c->fd, buf, sizeof(buf), 0);
            if (n > 0) {
                g_string_append_len(c->in, buf, n);
                continue;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
        }
        /* Not yet reaped by anyone else: the child watch comes later. */
        if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
            g_autoptr(GString) how = g_string_new(NULL);

            c->exited = true;
            companion_running_pid = 0;
            g_set_error(
                errp, COMPANION_ERROR, companion_exit_status(status, how),
                "companion %s before its QMP monitor came up", how->str);
            return NULL;
        }
    }
}

static JsonObject *companion_parse(const char *line, JsonParser *parser)
{
    JsonNode *root;

    if (!json_parser_load_from_data(parser, line, -1, NULL)) {
        return NULL;
    }
    root = json_parser_get_root(parser);
    return root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root)
                                                : NULL;
}

static bool companion_handshake(Companion *c, GError **errp)
{
    gint64 deadline = g_get_monotonic_time() + COMPANION_START_MS * 1000LL;
    static const char caps[] =
        "{\"execute\": \"qmp_capabilities\", \"id\": \"emunet-caps\"}\r\n";
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autofree char *line = companion_read_line(c, deadline, errp);
    JsonObject *obj, *qmp;

    if (!line) {
        return false;
    }
    obj = companion_parse(line, parser);
    qmp = obj ? json_object_get_object_member(obj, "QMP") : NULL;
    if (!qmp || !json_object_has_member(qmp, "version")) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "companion: not a QMP greeting: %.200s", line);
        return false;
    }
    c->version = json_to_string(json_object_get_member(qmp, "version"), FALSE);
    if (send(c->fd, caps, strlen(caps), MSG_NOSIGNAL) !=
        (ssize_t)strlen(caps)) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "companion: QMP: %s", g_strerror(errno));
        return false;
    }
    for (;;) {
        g_free(line);
        line = companion_read_line(c, deadline, errp);
        if (!line) {
            return false;
        }
        obj = companion_parse(line, parser);
        if (obj && json_object_has_member(obj, "event")) {
            continue;
        }
        if (!obj || !json_object_has_member(obj, "return")) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                        "companion: qmp_capabilities failed: %.200s", line);
            return false;
        }
        return true;
    }
}

/* ---- running: the QMP connection in the main loop ---- */

static gboolean companion_ready(gint fd, GIOCondition cond, gpointer data);

static void companion_update_watch(Companion *c)
{
    GIOCondition cond = G_IO_IN | G_IO_HUP | G_IO_ERR;

    if (c->fd < 0) {
        return;
    }
    if (c->out->len) {
        cond |= G_IO_OUT;
    }
    if (c->src && cond == c->cond) {
        return;
    }
    if (c->src) {
        g_source_destroy(c->src);
        g_source_unref(c->src);
    }
    c->src = g_unix_fd_source_new(c->fd, cond);
    g_source_set_callback(c->src, G_SOURCE_FUNC(companion_ready), c, NULL);
    g_source_attach(c->src, NULL);
    c->cond = cond;
}

static void companion_fds_free(CompanionFds *f)
{
    for (unsigned i = 0; i < f->n; i++) {
        close(f->fds[i]);
    }
    g_free(f);
}

/*
 * The QMP connection is gone (`why`, logged; NULL: emunet closes it):
 * everything pending gets an error.
 */
static void companion_disconnect(Companion *c, const char *why)
{
    CompanionPending *p;
    CompanionFds *f;

    if (c->fd < 0) {
        return;
    }
    if (why) {
        log_error("companion: QMP connection lost (%s)", why);
    }
    if (c->src) {
        g_source_destroy(c->src);
        g_source_unref(c->src);
        c->src = NULL;
    }
    close(c->fd);
    c->fd = -1;
    while ((f = g_queue_pop_head(&c->out_fds))) {
        companion_fds_free(f);
    }
    while ((p = g_queue_pop_head(&c->pending))) {
        if (p->mon) {
            qmp_monitor_forward_failed(p->mon, p->session,
                                       "the companion device model is not "
                                       "answering");
        } else if (p->fn) {
            p->fn(p->opaque, NULL);
        }
        g_free(p);
    }
}

/*
 * Send the first output byte with descriptors `f` (SCM_RIGHTS), as
 * libxl does for add-fd: the companion gets them with that command.
 */
static ssize_t companion_send_fds(Companion *c, const CompanionFds *f)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * CHARDEV_MAX_FDS)];
    } ctl;
    struct iovec iov = {.iov_base = c->out->data, .iov_len = 1};
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = ctl.buf,
        .msg_controllen = CMSG_SPACE(sizeof(int) * f->n),
    };
    struct cmsghdr *cm;

    memset(&ctl, 0, sizeof(ctl));
    cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * f->n);
    memcpy(CMSG_DATA(cm), f->fds, sizeof(int) * f->n);
    return sendmsg(c->fd, &msg, MSG_NOSIGNAL);
}

static void companion_flush(Companion *c)
{
    while (c->fd >= 0 && c->out->len) {
        CompanionFds *f = g_queue_peek_head(&c->out_fds);
        size_t len = c->out->len;
        ssize_t n;

        if (f && f->pos == c->out_pos) {
            n = companion_send_fds(c, f);
            if (n > 0) {
                /* The companion has its own references now. */
                companion_fds_free(g_queue_pop_head(&c->out_fds));
            }
        } else {
            if (f) {
                /* Up to the byte that carries descriptors. */
                len = MIN(len, (size_t)(f->pos - c->out_pos));
            }
            n = send(c->fd, c->out->data, len, MSG_NOSIGNAL);
        }
        if (n > 0) {
            g_byte_array_remove_range(c->out, 0, (guint)n);
            c->out_pos += (guint64)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            companion_disconnect(c, n < 0 ? g_strerror(errno) : "closed");
            return;
        }
    }
    companion_update_watch(c);
}

static bool companion_send(Companion *c, const char *text, size_t len,
                           const int *fds, unsigned nfds, CompanionPending *p)
{
    if (c->fd < 0 || len == 0) {
        g_free(p);
        return false;
    }
    if (nfds > 0) {
        CompanionFds *f = g_new0(CompanionFds, 1);

        f->pos = c->out_pos + c->out->len;
        for (unsigned i = 0; i < nfds && f->n < CHARDEV_MAX_FDS; i++) {
            int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);

            if (fd >= 0) {
                f->fds[f->n++] = fd;
            } else {
                log_error("companion: cannot pass descriptor %d on: %s", fds[i],
                          g_strerror(errno));
            }
        }
        if (f->n) {
            g_queue_push_tail(&c->out_fds, f);
        } else {
            g_free(f);
        }
    }
    g_byte_array_append(c->out, (const guint8 *)text, (guint)len);
    g_byte_array_append(c->out, (const guint8 *)"\r\n", 2);
    g_queue_push_tail(&c->pending, p);
    companion_flush(c);
    return true;
}

/* One message from the companion. */
static void companion_handle(Companion *c, const char *line, size_t len)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    JsonObject *obj = companion_parse(line, parser);
    CompanionPending *p;
    const char *ev;

    if (!obj) {
        log_error("companion: unparsable QMP message ignored: %.200s", line);
        return;
    }
    if (json_object_has_member(obj, "event")) {
        ev = json_object_get_string_member_with_default(obj, "event", "");
        if (strcmp(ev, "STOP") == 0) {
            qmp_set_runstate(QMP_RUN_PAUSED);
        } else if (strcmp(ev, "RESUME") == 0) {
            qmp_set_runstate(QMP_RUN_RUNNING);
        }
        qmp_broadcast_raw(line, len);
        return;
    }
    if (!json_object_has_member(obj, "return") &&
        !json_object_has_member(obj, "error")) {
        log_error("companion: unexpected QMP message: %.200s", line);
        return;
    }
    p = g_queue_pop_head(&c->pending);
    if (!p) {
        log_error("companion: QMP reply to nothing: %.200s", line);
        return;
    }
    if (p->mon) {
        qmp_monitor_forward_done(p->mon, p->session,
                                 json_object_has_member(obj, "return"), line,
                                 len);
    } else if (p->fn) {
        p->fn(p->opaque, obj);
    }
    g_free(p);
}

/*
 * One read from the companion and the messages it completes. False when
 * nothing more can be read now; the connection is then gone at its end
 * (reported when `report_end`).
 */
static bool companion_read(Companion *c, bool report_end)
{
    char buf[65536];
    ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
    char *nl;

    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return false;
    }
    if (n <= 0) {
        companion_disconnect(c, !report_end ? NULL
                                : n < 0     ? g_strerror(errno)
                                            : "closed");
        return false;
    }
    g_string_append_len(c->in, buf, n);
    while (c->fd >= 0 && (nl = memchr(c->in->str, '\n', c->in->len))) {
        size_t len = (size_t)(nl - c->in->str);
        g_autofree char *line = g_strndup(c->in->str, len);

        g_string_erase(c->in, 0, (gssize)len + 1);
        if (len && line[len - 1] == '\r') {
            line[--len] = '\0';
        }
        if (len) {
            companion_handle(c, line, len);
        }
    }
    if (c->fd >= 0 && c->in->len > COMPANION_MAX_LINE) {
        companion_disconnect(c, "message too long");
    }
    return c->fd >= 0;
}

static gboolean companion_ready(gint fd, GIOCondition cond, gpointer data)
{
    Companion *c = data;

    if (cond & G_IO_OUT) {
        companion_flush(c);
        if (c->fd < 0) {
            return G_SOURCE_REMOVE;
        }
    }
    if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
        companion_read(c, true);
    }
    return c->fd >= 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void companion_child_exited(GPid pid, gint wstatus, gpointer data)
{
    Companion *c = data;
    g_autoptr(GString) how = g_string_new(NULL);
    int status = companion_exit_status(wstatus, how);

    c->child_watch = 0;
    c->exited = true;
    companion_running_pid = 0;
    log_error("companion device model (pid %d) %s", (int)pid, how->str);
    /* What it wrote before it went (a reply to x-stub-exit, quit) counts. */
    while (c->fd >= 0 && companion_read(c, false)) {
    }
    companion_disconnect(c, NULL);
    if (c->exit_fn) {
        c->exit_fn(c->exit_opaque, status);
    }
}

/* ---- public ---- */

Companion *companion_start(const char *path, const LibxlArgs *args,
                           GError **errp)
{
    int listen_fd, conn_fd, incoming = companion_incoming_fd(args);
    int fds[2];
    guint nfds = 0;
    g_auto(GStrv) argv = NULL;
    Companion *c;
    GPid pid;

    if (!companion_socket(&listen_fd, &conn_fd, errp)) {
        return NULL;
    }
    argv = libxl_argv_companion(args, path, listen_fd);
    fds[nfds++] = listen_fd;
    if (incoming >= 0) {
        fds[nfds++] = incoming;
    }
    companion_parent_pid = getpid();
    if (!g_spawn_async_with_pipes_and_fds(
            NULL, (const char *const *)argv, NULL,
            G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CHILD_INHERITS_STDIN,
            companion_child_setup, NULL, -1, -1, -1, fds, fds, nfds, &pid, NULL,
            NULL, NULL, errp)) {
        g_prefix_error(errp, "companion %s: ", path);
        close(listen_fd);
        close(conn_fd);
        return NULL;
    }
    /* Only the companion holds the listener now: if it dies, we see EOF. */
    close(listen_fd);
    c = g_new0(Companion, 1);
    c->pid = pid;
    c->fd = conn_fd;
    c->in = g_string_new(NULL);
    c->out = g_byte_array_new();
    g_queue_init(&c->out_fds);
    g_queue_init(&c->pending);
    companion_running_pid = pid;
    {
        static bool registered;

        if (!registered) {
            atexit(companion_atexit);
            registered = true;
        }
    }
    log_info("companion device model %s started (pid %d)", path, (int)pid);
    if (!companion_handshake(c, errp)) {
        companion_free(c);
        return NULL;
    }
    g_unix_set_fd_nonblocking(c->fd, TRUE, NULL);
    c->child_watch = g_child_watch_add(pid, companion_child_exited, c);
    companion_update_watch(c);
    return c;
}

const char *companion_version(const Companion *c)
{
    return c->version;
}

pid_t companion_pid(const Companion *c)
{
    return c->pid;
}

void companion_set_exit_handler(Companion *c, CompanionExitFn *fn, void *opaque)
{
    c->exit_fn = fn;
    c->exit_opaque = opaque;
}

bool companion_forward(Companion *c, QmpMonitor *mon, guint64 session,
                       const char *text, size_t len, const int *fds,
                       unsigned nfds)
{
    CompanionPending *p = g_new0(CompanionPending, 1);

    p->mon = mon;
    p->session = session;
    return companion_send(c, text, len, fds, nfds, p);
}

bool companion_command(Companion *c, const char *execute, const char *args_json,
                       CompanionReplyFn *fn, void *opaque)
{
    return companion_command_fd(c, execute, args_json, -1, fn, opaque);
}

bool companion_command_fd(Companion *c, const char *execute,
                          const char *args_json, int fd, CompanionReplyFn *fn,
                          void *opaque)
{
    CompanionPending *p = g_new0(CompanionPending, 1);
    g_autofree char *text = NULL;

    p->fn = fn;
    p->opaque = opaque;
    text = g_strdup_printf("{\"execute\": \"%s\"%s%s, \"id\": \"emunet-%u\"}",
                           execute, args_json ? ", \"arguments\": " : "",
                           args_json ? args_json : "", c->next_id++);
    return companion_send(c, text, strlen(text), &fd, fd >= 0 ? 1 : 0, p);
}

/* An HMP command in flight: who gets its output. */
typedef struct CompanionHmp {
    CompanionHmpFn *fn;
    void *opaque;
} CompanionHmp;

static void companion_hmp_done(void *opaque, JsonObject *reply)
{
    CompanionHmp *h = opaque;
    JsonNode *ret = reply ? json_object_get_member(reply, "return") : NULL;

    h->fn(h->opaque, ret && JSON_NODE_HOLDS_VALUE(ret) &&
                             json_node_get_value_type(ret) == G_TYPE_STRING
                         ? json_node_get_string(ret)
                         : NULL);
    g_free(h);
}

bool companion_hmp(Companion *c, const char *cmdline, CompanionHmpFn *fn,
                   void *opaque)
{
    g_autoptr(JsonBuilder) b = json_builder_new_immutable();
    g_autoptr(JsonNode) args = NULL;
    g_autofree char *text = NULL;
    CompanionHmp *h;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "command-line");
    json_builder_add_string_value(b, cmdline);
    json_builder_end_object(b);
    args = json_builder_get_root(b);
    text = json_to_string(args, FALSE);
    h = g_new(CompanionHmp, 1);
    h->fn = fn;
    h->opaque = opaque;
    if (!companion_command(c, "human-monitor-command", text, companion_hmp_done,
                           h)) {
        g_free(h);
        return false;
    }
    return true;
}

void companion_stop(Companion *c, int timeout_ms)
{
    if (c->exited) {
        return;
    }
    if (c->child_watch) {
        g_source_remove(c->child_watch);
        c->child_watch = 0;
    }
    log_info("stopping the companion device model (pid %d)", (int)c->pid);
    companion_kill_and_reap(c->pid, timeout_ms);
    c->exited = true;
    companion_running_pid = 0;
}

void companion_free(Companion *c)
{
    if (!c) {
        return;
    }
    companion_stop(c, COMPANION_ATEXIT_MS);
    c->exit_fn = NULL;
    companion_disconnect(c, NULL);
    g_string_free(c->in, TRUE);
    g_byte_array_free(c->out, TRUE);
    g_free(c->version);
    g_free(c);
}
