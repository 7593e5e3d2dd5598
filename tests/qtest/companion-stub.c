/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A stand-in for the companion device model (qemu-xen) in tests: it
 * takes QEMU's argv, serves QMP on the inherited listening socket of
 * "-chardev socket,id=X,fd=N,server=on" + "-mon chardev=X,mode=control",
 * with QEMU's framing ("\r\n") and a QEMU 7.2.22 greeting, and records
 * everything in the file $EMUNET_STUB_LOG, one line each:
 *   pid N | arg TEXT | recv JSON | signal N | exit N
 * Run state as QEMU's: prelaunch with -S, running after cont (RESUME),
 * paused after stop (STOP). Test commands: x-stub-exit {status} (reply,
 * then exit), x-stub-event (emits STUB_EVENT), x-stub-sleep {ms},
 * x-stub-set-state {text}, x-stub-hmp-delay {ms} (every later HMP answer
 * comes that much later), x-stub-close-qmp (reply, close the QMP
 * connection and its listener, then wait for a signal).
 * $EMUNET_STUB_EXIT=N: exit N at once, before any QMP.
 *
 * The Xen platform device's fixed ports 0x10-0x1f, as QEMU 7.2's
 * xen_platform.c answers them, through human-monitor-command's port I/O
 * ("i /b|/h|/w PORT", "o /b|/h|/w PORT VALUE"; output as QEMU's
 * hmp_ioport_read: "portw[0x0010] = 0x49d2\r\n"), each logged
 * "hmp COMMAND-LINE"; an unplug mask is logged "unplug MASK" (hex).
 * $EMUNET_STUB_BLACKLIST=PRODUCT/BUILD (decimal) models a companion that
 * blacklists that driver: after its handshake the magic reads 0xd249
 * and its unplug is "unplug MASK ignored". Other HMP command lines are
 * answered "stub: COMMAND-LINE".
 *
 * Descriptors and device state, as QEMU's: descriptors received
 * (SCM_RIGHTS) wait for a command to take them, replaced by the next
 * ones to arrive; add-fd {fdset-id?} keeps the first one
 * in an fd set (logged "add-fd fdset N ino I", I the file's inode),
 * remove-fd {fdset-id} closes it, query-fdsets lists them.
 * xen-save-devices-state {filename} writes the stub's state stream, the
 * line "STUB-STATE <text>\n" (x-stub-set-state's text, "none" by
 * default), logged "saved <text>". Like QEMU 7.2 it opens the filename
 * with O_WRONLY|O_CREAT|O_TRUNC, which for "/dev/fdset/N" means a dup of
 * the fd set's descriptor cut to 0 bytes with ftruncate (qemu_dup_flags),
 * and writes from the descriptor's (shared) offset. xen-load-devices-state
 * and -incoming fd:N read from the descriptor's offset (buffered, so the
 * offset moves on past the stream, as QEMU's does) and use the stream up
 * to its end, the first "\n" (QEMU's QEMU_VM_EOF), ignoring what
 * follows; they log "loaded <line>" / "incoming <line>". A stream not
 * starting "STUB-STATE " is refused as QEMU refuses a foreign one: the
 * load fails, -incoming logs "incoming bad stream" and exits 1.
 * x-stub-fail-state: the next save or load fails (a save after writing
 * "STUB-PARTIAL\n"), logged "failed save" / "failed load".
 */
#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define STUB_VERSION                                                           \
    "{\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "                 \
    "\"package\": \"Debian 1:7.2+dfsg-7+deb12u22\"}"

#define STUB_MAX_FDS 16

static int stub_log_fd = -1;
/* The inherited QMP listening socket. */
static int stub_listen_fd = -1;
static const char *stub_status = "running";
/* Descriptors of the command being handled. */
static int stub_rx_fds[STUB_MAX_FDS];
static unsigned stub_n_rx_fds;
/* fd sets: ids and descriptors. */
static gint64 stub_fdset_ids[STUB_MAX_FDS];
static int stub_fdset_fds[STUB_MAX_FDS];
static unsigned stub_n_fdsets;
static char *stub_state;
static bool stub_fail_state;
/* x-stub-hmp-delay. */
static gint64 stub_hmp_delay_ms;
/* The platform device (QEMU 7.2's xen_platform.c). */
static unsigned stub_plat_flags;
static unsigned stub_plat_product;
static gint64 stub_plat_build = -1;

static void stub_log(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void stub_log(const char *fmt, ...)
{
    va_list ap;
    char *s;

    if (stub_log_fd < 0) {
        return;
    }
    va_start(ap, fmt);
    s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (write(stub_log_fd, s, strlen(s)) < 0 ||
        write(stub_log_fd, "\n", 1) < 0) {
        /* Nothing to do: the test will miss the line and fail. */
    }
    g_free(s);
}

/* Async-signal-safe: record and exit as QEMU does on SIGTERM/SIGHUP. */
static void stub_on_signal(int sig)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "signal %d\n", sig);

    if (stub_log_fd >= 0 && write(stub_log_fd, buf, (size_t)n) < 0) {
        _exit(2);
    }
    _exit(0);
}

static void stub_send(int fd, const char *text)
{
    GString *out = g_string_new(text);

    g_string_append(out, "\r\n");
    if (send(fd, out->str, out->len, MSG_NOSIGNAL) < 0) {
        stub_log("send failed: %s", g_strerror(errno));
    }
    g_string_free(out, TRUE);
}

static void stub_reply(int fd, const char *ret, JsonNode *id)
{
    GString *out = g_string_new(NULL);

    g_string_append_printf(out, "{\"return\": %s", ret);
    if (id) {
        char *t = json_to_string(id, FALSE);

        g_string_append_printf(out, ", \"id\": %s", t);
        g_free(t);
    }
    g_string_append_c(out, '}');
    stub_send(fd, out->str);
    g_string_free(out, TRUE);
}

static void stub_event(int fd, const char *name)
{
    char *t = g_strdup_printf("{\"timestamp\": {\"seconds\": 1, "
                              "\"microseconds\": 2}, \"event\": \"%s\"}",
                              name);

    stub_send(fd, t);
    g_free(t);
}

static void stub_error(int fd, const char *desc, JsonNode *id)
{
    GString *out = g_string_new(NULL);

    g_string_append_printf(out,
                           "{\"error\": {\"class\": \"GenericError\", "
                           "\"desc\": \"%s\"}",
                           desc);
    if (id) {
        char *t = json_to_string(id, FALSE);

        g_string_append_printf(out, ", \"id\": %s", t);
        g_free(t);
    }
    g_string_append_c(out, '}');
    stub_send(fd, out->str);
    g_string_free(out, TRUE);
}

/*
 * The stub's stream from fd's offset: its line without the "\n", or
 * NULL when it does not start "STUB-STATE ". Read to the end of the
 * file, as a buffered reader would: bytes after the stream are ignored.
 */
static char *stub_read_stream(int fd)
{
    GString *in = g_string_new(NULL);
    char buf[4096];
    char *nl;
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        g_string_append_len(in, buf, n);
    }
    nl = memchr(in->str, '\n', in->len);
    if (!nl || !g_str_has_prefix(in->str, "STUB-STATE ")) {
        g_string_free(in, TRUE);
        return NULL;
    }
    g_string_truncate(in, (gsize)(nl - in->str));
    return g_string_free(in, FALSE);
}

static void stub_add_fd(int fd, JsonObject *args, JsonNode *id)
{
    gint64 set = 0;
    struct stat st;
    char *t;

    if (stub_n_rx_fds == 0) {
        stub_error(fd, "No file descriptor supplied via SCM_RIGHTS", id);
        return;
    }
    if (args && json_object_has_member(args, "fdset-id")) {
        set = json_object_get_int_member(args, "fdset-id");
    } else {
        /* QEMU: the lowest id not in use. */
        for (unsigned i = 0; i < stub_n_fdsets; i++) {
            if (stub_fdset_ids[i] == set) {
                set++;
                i = (unsigned)-1;
            }
        }
    }
    if (stub_n_fdsets == STUB_MAX_FDS) {
        stub_error(fd, "too many fd sets", id);
        return;
    }
    stub_fdset_ids[stub_n_fdsets] = set;
    stub_fdset_fds[stub_n_fdsets++] = stub_rx_fds[0];
    memmove(stub_rx_fds, stub_rx_fds + 1, --stub_n_rx_fds * sizeof(int));
    fstat(stub_fdset_fds[stub_n_fdsets - 1], &st);
    stub_log("add-fd fdset %" G_GINT64_FORMAT " ino %lu", set,
             (unsigned long)st.st_ino);
    t = g_strdup_printf("{\"fdset-id\": %" G_GINT64_FORMAT ", \"fd\": %d}", set,
                        stub_fdset_fds[stub_n_fdsets - 1]);
    stub_reply(fd, t, id);
    g_free(t);
}

static void stub_remove_fd(int fd, JsonObject *args, JsonNode *id)
{
    gint64 set =
        args ? json_object_get_int_member_with_default(args, "fdset-id", -1)
             : -1;

    for (unsigned i = 0; i < stub_n_fdsets; i++) {
        if (stub_fdset_ids[i] == set) {
            close(stub_fdset_fds[i]);
            stub_n_fdsets--;
            stub_fdset_ids[i] = stub_fdset_ids[stub_n_fdsets];
            stub_fdset_fds[i] = stub_fdset_fds[stub_n_fdsets];
            stub_log("remove-fd fdset %" G_GINT64_FORMAT, set);
            stub_reply(fd, "{}", id);
            return;
        }
    }
    stub_error(fd, "File descriptor named 'fdset-id' not found", id);
}

static void stub_query_fdsets(int fd, JsonNode *id)
{
    GString *out = g_string_new("[");

    for (unsigned i = 0; i < stub_n_fdsets; i++) {
        g_string_append_printf(
            out,
            "%s{\"fdset-id\": %" G_GINT64_FORMAT ", \"fds\": [{\"fd\": %d}]}",
            i ? ", " : "", stub_fdset_ids[i], stub_fdset_fds[i]);
    }
    g_string_append_c(out, ']');
    stub_reply(fd, out->str, id);
    g_string_free(out, TRUE);
}

/*
 * A descriptor for `filename`: a dup of an fd set's (emptied for a save,
 * as QEMU's qemu_dup_flags applies O_TRUNC), or a new one.
 */
static int stub_open(const char *filename, bool save)
{
    if (g_str_has_prefix(filename, "/dev/fdset/")) {
        gint64 set = g_ascii_strtoll(filename + 11, NULL, 10);

        for (unsigned i = 0; i < stub_n_fdsets; i++) {
            int fd;

            if (stub_fdset_ids[i] != set) {
                continue;
            }
            fd = dup(stub_fdset_fds[i]);
            if (fd >= 0 && save && ftruncate(fd, 0) < 0) {
                close(fd);
                return -1;
            }
            return fd;
        }
        return -1;
    }
    return save ? open(filename, O_WRONLY | O_CREAT | O_TRUNC, 0600)
                : open(filename, O_RDONLY);
}

static void stub_devices_state(int fd, JsonObject *args, JsonNode *id,
                               bool save)
{
    const char *filename =
        args ? json_object_get_string_member_with_default(args, "filename", "")
             : "";
    int sfd = stub_open(filename, save);
    char *t;

    if (sfd < 0) {
        stub_error(fd, "cannot open the state file", id);
        return;
    }
    if (stub_fail_state) {
        stub_fail_state = false;
        if (save && write(sfd, "STUB-PARTIAL\n", 13) != 13) {
            stub_log("state write failed: %s", g_strerror(errno));
        }
        close(sfd);
        stub_log("failed %s", save ? "save" : "load");
        stub_error(fd, "stub: device state failed", id);
        return;
    }
    if (save) {
        t = g_strdup_printf("STUB-STATE %s\n",
                            stub_state ? stub_state : "none");
        if (write(sfd, t, strlen(t)) != (ssize_t)strlen(t)) {
            stub_log("state write failed: %s", g_strerror(errno));
        }
        g_free(t);
        stub_log("saved %s", stub_state ? stub_state : "none");
    } else {
        t = stub_read_stream(sfd);
        if (!t) {
            close(sfd);
            stub_error(fd, "stub: not a stub state stream", id);
            return;
        }
        stub_log("loaded %s", t);
        g_free(t);
    }
    close(sfd);
    stub_reply(fd, "{}", id);
}

static void stub_set_status(int fd, const char *status)
{
    bool was = strcmp(stub_status, "running") == 0;
    bool now = strcmp(status, "running") == 0;

    stub_status = status;
    if (was != now) {
        stub_event(fd, now ? "RESUME" : "STOP");
    }
}

/* $EMUNET_STUB_BLACKLIST names the driver of the last handshake? */
static bool stub_plat_blacklisted(void)
{
    const char *bl = g_getenv("EMUNET_STUB_BLACKLIST");
    unsigned product;
    gint64 build;

    return bl && stub_plat_build >= 0 &&
           sscanf(bl, "%u/%" G_GINT64_FORMAT, &product, &build) == 2 &&
           product == stub_plat_product && build == stub_plat_build;
}

static guint64 stub_plat_read(unsigned addr, unsigned size)
{
    if (size == 2 && addr == 0x10) {
        return stub_plat_blacklisted() ? 0xd249 : 0x49d2;
    }
    if (size == 1 && addr == 0x10) {
        return stub_plat_flags;
    }
    if (size == 1 && addr == 0x12) {
        return 1;
    }
    return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void stub_plat_write(unsigned addr, unsigned size, guint64 val)
{
    if (addr == 0x10 && size == 1) {
        stub_plat_flags = val & 1;
    } else if (addr == 0x10 && size == 2) {
        stub_log("unplug %#x%s", (unsigned)val,
                 stub_plat_blacklisted() ? " ignored" : "");
    } else if (addr == 0x10 && size == 4) {
        stub_plat_build = (gint64)val;
    } else if (addr == 0x12 && size == 2) {
        stub_plat_product = (unsigned)val;
        stub_plat_build = -1;
    }
}

/*
 * HMP port I/O, as QEMU's "i /fmt addr" and "o /fmt addr val": the
 * output text, or NULL for another command.
 */
static char *stub_hmp_port(const char *cmdline)
{
    char op, fmt;
    int addr;
    guint64 val;
    unsigned size;
    char *end;
    int n = 0;

    if (sscanf(cmdline, "%c /%c %i%n", &op, &fmt, &addr, &n) < 3 ||
        (op != 'i' && op != 'o')) {
        return NULL;
    }
    size = fmt == 'b' ? 1 : fmt == 'h' ? 2 : fmt == 'w' ? 4 : 0;
    if (!size || addr < 0 || addr > 0xffff) {
        return NULL;
    }
    if (op == 'i') {
        if (cmdline[n]) {
            return NULL;
        }
        val = addr >= 0x10 && addr < 0x20 ? stub_plat_read(addr, size)
              : size == 4                 ? 0xffffffffu
                                          : (1u << (8 * size)) - 1;
        /* JSON escapes: QEMU's monitor ends lines in "\r\n". */
        return g_strdup_printf("port%c[0x%04x] = 0x%0*" G_GINT64_MODIFIER
                               "x\\r\\n",
                               size == 1   ? 'b'
                               : size == 2 ? 'w'
                                           : 'l',
                               addr, (int)size * 2, val);
    }
    val = g_ascii_strtoull(cmdline + n, &end, 0);
    if (end == cmdline + n || *end) {
        return NULL;
    }
    if (addr >= 0x10 && addr < 0x20) {
        stub_plat_write(addr, size, val);
    }
    return g_strdup("");
}

static void stub_hmp(int fd, JsonObject *args, JsonNode *id)
{
    const char *cmdline = args ? json_object_get_string_member_with_default(
                                     args, "command-line", "")
                               : "";
    char *out = stub_hmp_port(cmdline);
    char *t;

    if (out) {
        stub_log("hmp %s", cmdline);
        g_usleep((gulong)stub_hmp_delay_ms * 1000);
        t = g_strdup_printf("\"%s\"", out);
        g_free(out);
    } else {
        t = g_strdup_printf("\"stub: %s\"", cmdline);
    }
    stub_reply(fd, t, id);
    g_free(t);
}

static void stub_command(int fd, const char *line)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *obj, *args;
    JsonNode *id;
    const char *name;
    char *t;

    stub_log("recv %s", line);
    if (!json_parser_load_from_data(parser, line, -1, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        stub_send(fd, "{\"error\": {\"class\": \"GenericError\", \"desc\": "
                      "\"bad JSON\"}}");
        return;
    }
    obj = json_node_get_object(json_parser_get_root(parser));
    id = json_object_get_member(obj, "id");
    name = json_object_get_string_member_with_default(obj, "execute", "");
    args = json_object_has_member(obj, "arguments")
               ? json_object_get_object_member(obj, "arguments")
               : NULL;
    if (!strcmp(name, "qmp_capabilities") || !strcmp(name, "system_reset") ||
        !strcmp(name, "xen-set-global-dirty-log") ||
        !strcmp(name, "change-vnc-password")) {
        stub_reply(fd, "{}", id);
    } else if (!strcmp(name, "query-status")) {
        t = g_strdup_printf("{\"status\": \"%s\", \"singlestep\": false, "
                            "\"running\": %s}",
                            stub_status,
                            strcmp(stub_status, "running") ? "false" : "true");
        stub_reply(fd, t, id);
        g_free(t);
    } else if (!strcmp(name, "cont")) {
        stub_reply(fd, "{}", id);
        stub_set_status(fd, "running");
    } else if (!strcmp(name, "stop")) {
        stub_reply(fd, "{}", id);
        stub_set_status(fd, "paused");
    } else if (!strcmp(name, "query-chardev")) {
        stub_reply(fd,
                   "[{\"frontend-open\": false, \"filename\": "
                   "\"pty:/dev/pts/9\", \"label\": \"serial0\"}]",
                   id);
    } else if (!strcmp(name, "query-vnc")) {
        stub_reply(fd,
                   "{\"enabled\": true, \"host\": \"127.0.0.1\", "
                   "\"service\": \"5900\", \"family\": \"ipv4\"}",
                   id);
    } else if (!strcmp(name, "query-cpus-fast")) {
        stub_reply(fd, "[{\"cpu-index\": 0, \"target\": \"i386\"}]", id);
    } else if (!strcmp(name, "query-blockstats") ||
               !strcmp(name, "query-block")) {
        stub_reply(fd, "[]", id);
    } else if (!strcmp(name, "human-monitor-command")) {
        stub_hmp(fd, args, id);
    } else if (!strcmp(name, "x-stub-hmp-delay")) {
        stub_hmp_delay_ms =
            args ? json_object_get_int_member_with_default(args, "ms", 0) : 0;
        stub_reply(fd, "{}", id);
    } else if (!strcmp(name, "x-stub-close-qmp")) {
        stub_reply(fd, "{}", id);
        stub_log("qmp closed");
        close(fd);
        close(stub_listen_fd);
        for (;;) {
            pause();
        }
    } else if (!strcmp(name, "add-fd")) {
        stub_add_fd(fd, args, id);
    } else if (!strcmp(name, "remove-fd")) {
        stub_remove_fd(fd, args, id);
    } else if (!strcmp(name, "query-fdsets")) {
        stub_query_fdsets(fd, id);
    } else if (!strcmp(name, "xen-save-devices-state") ||
               !strcmp(name, "xen-load-devices-state")) {
        stub_devices_state(fd, args, id,
                           !strcmp(name, "xen-save-devices-state"));
    } else if (!strcmp(name, "x-stub-set-state")) {
        g_free(stub_state);
        stub_state = g_strdup(
            args ? json_object_get_string_member_with_default(args, "text", "")
                 : "");
        stub_reply(fd, "{}", id);
    } else if (!strcmp(name, "x-stub-fail-state")) {
        stub_fail_state = true;
        stub_reply(fd, "{}", id);
    } else if (!strcmp(name, "x-stub-event")) {
        stub_event(fd, "STUB_EVENT");
        stub_reply(fd, "{}", id);
    } else if (!strcmp(name, "x-stub-sleep")) {
        g_usleep((gulong)(args ? json_object_get_int_member_with_default(
                                     args, "ms", 0)
                               : 0) *
                 1000);
        stub_reply(fd, "{}", id);
    } else if (!strcmp(name, "x-stub-exit") || !strcmp(name, "quit")) {
        int status = args ? (int)json_object_get_int_member_with_default(
                                args, "status", 0)
                          : 0;

        stub_reply(fd, "{}", id);
        stub_log("exit %d", status);
        _exit(status);
    } else {
        GString *out = g_string_new(NULL);

        g_string_append_printf(out,
                               "{\"error\": {\"class\": \"CommandNotFound\", "
                               "\"desc\": \"The command %s has not been "
                               "found\"}",
                               name);
        if (id) {
            t = json_to_string(id, FALSE);
            g_string_append_printf(out, ", \"id\": %s", t);
            g_free(t);
        }
        g_string_append_c(out, '}');
        stub_send(fd, out->str);
        g_string_free(out, TRUE);
    }
}

/* recv, with SCM_RIGHTS descriptors kept for the command they came with. */
static ssize_t stub_recv(int fd, char *buf, size_t len)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * STUB_MAX_FDS)];
    } ctl;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = ctl.buf,
                         .msg_controllen = sizeof(ctl.buf)};
    ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);

    for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; c;
         c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

            /* As QEMU's socket chardev: new ones replace unused ones. */
            while (stub_n_rx_fds > 0) {
                close(stub_rx_fds[--stub_n_rx_fds]);
            }

            for (size_t i = 0; i < k; i++) {
                int rfd;

                memcpy(&rfd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                stub_log("received fd");
                if (stub_n_rx_fds < STUB_MAX_FDS) {
                    stub_rx_fds[stub_n_rx_fds++] = rfd;
                } else {
                    close(rfd);
                }
            }
        }
    }
    return n;
}

/* One client after another, as QEMU's socket chardev. */
static void stub_serve(int lfd)
{
    for (;;) {
        GString *in = g_string_new(NULL);
        int fd = accept(lfd, NULL, NULL);
        char buf[4096];
        ssize_t n;

        if (fd < 0) {
            if (errno == EINTR) {
                continue;
            }
            stub_log("accept failed: %s", g_strerror(errno));
            exit(1);
        }
        stub_send(fd, "{\"QMP\": {\"version\": " STUB_VERSION
                      ", \"capabilities\": [\"oob\"]}}");
        while ((n = stub_recv(fd, buf, sizeof(buf))) > 0) {
            char *nl;

            g_string_append_len(in, buf, n);
            while ((nl = memchr(in->str, '\n', in->len))) {
                size_t len = (size_t)(nl - in->str);
                char *line = g_strndup(in->str, len);

                g_string_erase(in, 0, (gssize)len + 1);
                g_strchomp(line);
                if (*line) {
                    stub_command(fd, line);
                }
                g_free(line);
            }
        }
        close(fd);
        g_string_free(in, TRUE);
    }
}

int main(int argc, char **argv)
{
    const char *log = g_getenv("EMUNET_STUB_LOG");
    const char *early = g_getenv("EMUNET_STUB_EXIT");
    const char *mon_chr = NULL;
    int lfd = -1;

    if (log) {
        stub_log_fd =
            open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    }
    stub_log("pid %d", (int)getpid());
    for (int i = 1; i < argc; i++) {
        stub_log("arg %s", argv[i]);
    }
    signal(SIGTERM, stub_on_signal);
    signal(SIGHUP, stub_on_signal);
    if (early) {
        stub_log("exit %s", early);
        return atoi(early);
    }
    for (int i = 1; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "-S")) {
            stub_status = "prelaunch";
        }
        if (!strcmp(argv[i], "-mon") &&
            g_str_has_suffix(argv[i + 1], ",mode=control")) {
            mon_chr = argv[i + 1] + strlen("chardev=");
        }
    }
    if (argc > 1 && !strcmp(argv[argc - 1], "-S")) {
        stub_status = "prelaunch";
    }
    for (int i = 1; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "-incoming") &&
            g_str_has_prefix(argv[i + 1], "fd:")) {
            int ifd = atoi(argv[i + 1] + 3);
            char *t = stub_read_stream(ifd);

            close(ifd);
            if (!t) {
                /* QEMU: "load of migration failed", exit status 1. */
                stub_log("incoming bad stream");
                return 1;
            }
            stub_log("incoming %s", t);
            g_free(t);
        }
    }
    for (int i = 1; mon_chr && i + 1 < argc; i++) {
        g_autofree char *want = g_strdup_printf(
            "socket,id=%.*s,fd=", (int)(strchr(mon_chr, ',') - mon_chr),
            mon_chr);
        const char *fdp;

        if (!strcmp(argv[i], "-chardev") &&
            g_str_has_prefix(argv[i + 1], want)) {
            fdp = argv[i + 1] + strlen(want);
            lfd = atoi(fdp);
        }
    }
    if (lfd < 0 || fcntl(lfd, F_GETFD) < 0) {
        stub_log("no QMP listening fd");
        return 1;
    }
    stub_listen_fd = lfd;
    stub_serve(lfd);
    return 0;
}
