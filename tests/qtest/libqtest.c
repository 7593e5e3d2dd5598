/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libqtest: see libqtest.h. The test listens on two UNIX sockets in a
 * private temporary directory, starts emunet with QEMU's qtest command
 * line (emunet connects, as QEMU does), and then talks the line protocol
 * on one and QMP on the other. "IRQ raise/lower N" lines may arrive
 * before any reply; they are consumed wherever they appear.
 * Every wait is bounded (30 s) and any protocol failure, or emunet dying,
 * fails the test with emunet's stderr attached. A SIGABRT handler kills
 * the emunet processes still running, so a failed assertion never leaves
 * one behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libqtest.h"

#define QTEST_TIMEOUT_MS 30000
#define QTEST_MAX_IRQ 256
#define QTEST_ALLOC_START (1024 * 1024)
#define QTEST_DEFAULT_RAM (128ULL * 1024 * 1024)
#define QTEST_BAR_MMIO_START 0xe0000000ULL
#define QTEST_BAR_IO_START 0xc000ULL
#define QTEST_MAX_LIVE 64

struct QTestState {
    pid_t pid;
    bool reaped;
    int wstatus;
    int fd;
    int qmp_fd;
    char *tmpdir;
    char *sock_path;
    char *qmp_path;
    char *log_path;
    GString *rx;
    GString *qmp_rx;
    bool irq_level[QTEST_MAX_IRQ];
    uint64_t ram_size;
    uint64_t alloc_next;
    /* BAR allocation cursors for libqos/pci.c. */
    uint64_t bar_next[2];
    /* fds the test passed to emunet, now /dev/null; see release_passed. */
    GArray *placeholders;
};

/* Test-side fds to hand to the next emunet (qtest_socketpair). */
static GArray *qtest_pass_fds;
/*
 * emunet instances not yet cleaned up: if the test aborts (a failed
 * assertion), the processes are killed and their temporary files removed.
 */
static QTestState *volatile qtest_live[QTEST_MAX_LIVE];

/* A signal handler: only async-signal-safe calls. */
static void qtest_abort_handler(int sig)
{
    for (int i = 0; i < QTEST_MAX_LIVE; i++) {
        QTestState *s = qtest_live[i];

        if (!s) {
            continue;
        }
        if (!s->reaped) {
            kill(s->pid, SIGKILL);
        }
        unlink(s->sock_path);
        unlink(s->qmp_path);
        unlink(s->log_path);
        rmdir(s->tmpdir);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void qtest_track(QTestState *s, bool add)
{
    static bool handler_installed;

    if (!handler_installed) {
        /* g_assert aborts; g_error may trap instead. */
        signal(SIGABRT, qtest_abort_handler);
        signal(SIGTRAP, qtest_abort_handler);
        handler_installed = true;
    }
    for (int i = 0; i < QTEST_MAX_LIVE; i++) {
        if (qtest_live[i] == (add ? NULL : s)) {
            qtest_live[i] = add ? s : NULL;
            return;
        }
    }
}

static void qtest_reap(QTestState *s, bool block)
{
    pid_t r;

    if (s->reaped) {
        return;
    }
    do {
        r = waitpid(s->pid, &s->wstatus, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == s->pid) {
        s->reaped = true;
    }
}

char *qtest_stderr(QTestState *s)
{
    char *text = NULL;

    if (!g_file_get_contents(s->log_path, &text, NULL, NULL)) {
        return g_strdup("");
    }
    return text;
}

/* Fail the running test, showing why and what emunet said. */
static void G_GNUC_NORETURN G_GNUC_PRINTF(2, 3)
    qtest_fail(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    char *msg, *err;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    qtest_reap(s, false);
    err = qtest_stderr(s);
    if (s->reaped) {
        char *status =
            WIFEXITED(s->wstatus)
                ? g_strdup_printf("exited with status %d",
                                  WEXITSTATUS(s->wstatus))
                : g_strdup_printf("killed by signal %d", WTERMSIG(s->wstatus));
        g_printerr("libqtest: emunet %s\n", status);
        g_free(status);
    }
    g_printerr("libqtest: %s\nlibqtest: emunet stderr:\n%s\n", msg, err);
    g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, msg);
    /* Only reached with g_test_set_nonfatal_assertions(). */
    abort();
}

bool qtest_alive(QTestState *s)
{
    qtest_reap(s, false);
    return !s->reaped;
}

int qtest_pid(QTestState *s)
{
    return s->pid;
}

/* ---- sockets ---- */

static int qtest_listen(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpuint(strlen(path), <, sizeof(sa.sun_path));
    strcpy(sa.sun_path, path);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(fd, 1), ==, 0);
    return fd;
}

/* Accept emunet's connection, noticing promptly if it died instead. */
static int qtest_accept(QTestState *s, int lfd, const char *what)
{
    gint64 deadline = g_get_monotonic_time() + QTEST_TIMEOUT_MS * 1000LL;

    for (;;) {
        struct pollfd pfd = {.fd = lfd, .events = POLLIN};
        int fd;

        if (poll(&pfd, 1, 100) > 0) {
            fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) {
                return fd;
            }
        }
        if (!qtest_alive(s)) {
            qtest_fail(s, "emunet exited before connecting its %s socket",
                       what);
        }
        if (g_get_monotonic_time() > deadline) {
            qtest_fail(s, "emunet did not connect its %s socket in %d s", what,
                       QTEST_TIMEOUT_MS / 1000);
        }
    }
}

static void qtest_send_all(QTestState *s, int fd, const char *buf, size_t len)
{
    while (len > 0) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        ssize_t n;

        if (poll(&pfd, 1, QTEST_TIMEOUT_MS) <= 0) {
            qtest_fail(s, "emunet did not accept input for %d s",
                       QTEST_TIMEOUT_MS / 1000);
        }
        n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n <= 0) {
            qtest_fail(s, "write to emunet failed: %s", g_strerror(errno));
        }
        buf += n;
        len -= (size_t)n;
    }
}

/*
 * One line (without '\n') from fd, owned by the caller. NULL on EOF when
 * eof_ok, else EOF fails the test.
 */
static char *qtest_recv_line(QTestState *s, int fd, GString *rx, bool eof_ok)
{
    gint64 deadline = g_get_monotonic_time() + QTEST_TIMEOUT_MS * 1000LL;
    size_t scanned = 0;

    for (;;) {
        char *nl = memchr(rx->str + scanned, '\n', rx->len - scanned);
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        char buf[65536];
        gint64 left;
        ssize_t n;

        if (nl) {
            size_t len = (size_t)(nl - rx->str);
            char *line = g_strndup(rx->str, len);

            g_string_erase(rx, 0, (gssize)len + 1);
            return line;
        }
        scanned = rx->len;
        left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
            qtest_fail(s, "no reply from emunet in %d s",
                       QTEST_TIMEOUT_MS / 1000);
        }
        n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n <= 0) {
            if (eof_ok) {
                return NULL;
            }
            qtest_fail(s, "emunet closed the connection");
        }
        g_string_append_len(rx, buf, n);
    }
}

/* ---- qtest protocol ---- */

static bool qtest_handle_irq(QTestState *s, const char *line)
{
    const char *p;
    bool raise;
    char *end;
    unsigned long n;

    if (!g_str_has_prefix(line, "IRQ ")) {
        return false;
    }
    p = line + 4;
    if (g_str_has_prefix(p, "raise ")) {
        raise = true;
    } else if (g_str_has_prefix(p, "lower ")) {
        raise = false;
    } else {
        qtest_fail(s, "malformed IRQ event '%s'", line);
    }
    n = strtoul(p + 6, &end, 10);
    if (*end || end == p + 6 || n >= QTEST_MAX_IRQ) {
        qtest_fail(s, "malformed IRQ event '%s'", line);
    }
    s->irq_level[n] = raise;
    return true;
}

/* The next reply line, after any IRQ events. */
static char *qtest_rsp(QTestState *s)
{
    for (;;) {
        char *line = qtest_recv_line(s, s->fd, s->rx, false);

        if (!qtest_handle_irq(s, line)) {
            return line;
        }
        g_free(line);
    }
}

static void qtest_send_line(QTestState *s, const char *line)
{
    qtest_send_all(s, s->fd, line, strlen(line));
    qtest_send_all(s, s->fd, "\n", 1);
}

static char *qtest_vcommand(QTestState *s, const char *fmt, va_list ap)
{
    char *line = g_strdup_vprintf(fmt, ap);

    qtest_send_line(s, line);
    g_free(line);
    return qtest_rsp(s);
}

char *qtest_command(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    char *reply;

    va_start(ap, fmt);
    reply = qtest_vcommand(s, fmt, ap);
    va_end(ap);
    return reply;
}

/* Send a command that must answer "OK[ value]"; returns the value part. */
static char *G_GNUC_PRINTF(2, 3) qtest_ok(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    char *reply, *val;

    va_start(ap, fmt);
    reply = qtest_vcommand(s, fmt, ap);
    va_end(ap);
    if (strcmp(reply, "OK") == 0) {
        val = g_strdup("");
    } else if (g_str_has_prefix(reply, "OK ")) {
        val = g_strdup(reply + 3);
    } else {
        char *cmd;

        va_start(ap, fmt);
        cmd = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        if (strlen(cmd) > 80) {
            strcpy(cmd + 77, "...");
        }
        qtest_fail(s, "'%s' failed: %s", cmd, reply);
    }
    g_free(reply);
    return val;
}

static uint64_t qtest_ok_u64(QTestState *s, char *val)
{
    char *end;
    uint64_t v;

    errno = 0;
    v = g_ascii_strtoull(val, &end, 0);
    if (errno || end == val || *end) {
        qtest_fail(s, "bad number in reply: '%s'", val);
    }
    g_free(val);
    return v;
}

static int64_t qtest_ok_i64(QTestState *s, char *val)
{
    char *end;
    int64_t v;

    errno = 0;
    v = g_ascii_strtoll(val, &end, 0);
    if (errno || end == val || *end) {
        qtest_fail(s, "bad number in reply: '%s'", val);
    }
    g_free(val);
    return v;
}

void qtest_outb(QTestState *s, uint16_t addr, uint8_t value)
{
    g_free(qtest_ok(s, "outb 0x%x 0x%x", addr, value));
}

void qtest_outw(QTestState *s, uint16_t addr, uint16_t value)
{
    g_free(qtest_ok(s, "outw 0x%x 0x%x", addr, value));
}

void qtest_outl(QTestState *s, uint16_t addr, uint32_t value)
{
    g_free(qtest_ok(s, "outl 0x%x 0x%x", addr, value));
}

uint8_t qtest_inb(QTestState *s, uint16_t addr)
{
    return (uint8_t)qtest_ok_u64(s, qtest_ok(s, "inb 0x%x", addr));
}

uint16_t qtest_inw(QTestState *s, uint16_t addr)
{
    return (uint16_t)qtest_ok_u64(s, qtest_ok(s, "inw 0x%x", addr));
}

uint32_t qtest_inl(QTestState *s, uint16_t addr)
{
    return (uint32_t)qtest_ok_u64(s, qtest_ok(s, "inl 0x%x", addr));
}

void qtest_writeb(QTestState *s, uint64_t addr, uint8_t value)
{
    g_free(qtest_ok(s, "writeb 0x%" PRIx64 " 0x%x", addr, value));
}

void qtest_writew(QTestState *s, uint64_t addr, uint16_t value)
{
    g_free(qtest_ok(s, "writew 0x%" PRIx64 " 0x%x", addr, value));
}

void qtest_writel(QTestState *s, uint64_t addr, uint32_t value)
{
    g_free(qtest_ok(s, "writel 0x%" PRIx64 " 0x%x", addr, value));
}

void qtest_writeq(QTestState *s, uint64_t addr, uint64_t value)
{
    g_free(qtest_ok(s, "writeq 0x%" PRIx64 " 0x%" PRIx64, addr, value));
}

uint8_t qtest_readb(QTestState *s, uint64_t addr)
{
    return (uint8_t)qtest_ok_u64(s, qtest_ok(s, "readb 0x%" PRIx64, addr));
}

uint16_t qtest_readw(QTestState *s, uint64_t addr)
{
    return (uint16_t)qtest_ok_u64(s, qtest_ok(s, "readw 0x%" PRIx64, addr));
}

uint32_t qtest_readl(QTestState *s, uint64_t addr)
{
    return (uint32_t)qtest_ok_u64(s, qtest_ok(s, "readl 0x%" PRIx64, addr));
}

uint64_t qtest_readq(QTestState *s, uint64_t addr)
{
    return qtest_ok_u64(s, qtest_ok(s, "readq 0x%" PRIx64, addr));
}

void qtest_memread(QTestState *s, uint64_t addr, void *data, size_t size)
{
    char *b64;
    guchar *bytes;
    gsize len;

    if (size == 0) {
        return;
    }
    b64 = qtest_ok(s, "b64read 0x%" PRIx64 " 0x%zx", addr, size);
    bytes = g_base64_decode(b64, &len);
    if (len != size) {
        qtest_fail(s, "b64read returned %zu bytes, wanted %zu", (size_t)len,
                   size);
    }
    memcpy(data, bytes, size);
    g_free(bytes);
    g_free(b64);
}

void qtest_memwrite(QTestState *s, uint64_t addr, const void *data, size_t size)
{
    char *b64, *line;

    if (size == 0) {
        return;
    }
    b64 = g_base64_encode(data, size);
    line = g_strdup_printf("b64write 0x%" PRIx64 " 0x%zx ", addr, size);
    qtest_send_all(s, s->fd, line, strlen(line));
    qtest_send_all(s, s->fd, b64, strlen(b64));
    qtest_send_all(s, s->fd, "\n", 1);
    g_free(line);
    g_free(b64);
    line = qtest_rsp(s);
    if (strcmp(line, "OK") != 0) {
        qtest_fail(s, "b64write 0x%" PRIx64 " 0x%zx failed: %s", addr, size,
                   line);
    }
    g_free(line);
}

void qtest_memset(QTestState *s, uint64_t addr, uint8_t pattern, size_t size)
{
    g_free(
        qtest_ok(s, "memset 0x%" PRIx64 " 0x%zx 0x%02x", addr, size, pattern));
}

int64_t qtest_clock_step(QTestState *s, int64_t ns)
{
    return qtest_ok_i64(s, qtest_ok(s, "clock_step %" PRIi64, ns));
}

int64_t qtest_clock_step_next(QTestState *s)
{
    return qtest_ok_i64(s, qtest_ok(s, "clock_step"));
}

int64_t qtest_clock_set(QTestState *s, int64_t ns)
{
    return qtest_ok_i64(s, qtest_ok(s, "clock_set %" PRIi64, ns));
}

void qtest_irq_intercept_in(QTestState *s, const char *qom_path)
{
    g_free(qtest_ok(s, "irq_intercept_in %s", qom_path));
}

bool qtest_get_irq(QTestState *s, int num)
{
    g_assert_cmpint(num, >=, 0);
    g_assert_cmpint(num, <, QTEST_MAX_IRQ);
    /* A round trip, as QEMU's libqtest: events sent before it are read. */
    qtest_inb(s, 0);
    return s->irq_level[num];
}

uint64_t qtest_guest_alloc(QTestState *s, size_t size, size_t align)
{
    uint64_t addr;

    g_assert(align && (align & (align - 1)) == 0);
    addr = (s->alloc_next + align - 1) & ~(uint64_t)(align - 1);
    if (addr + size > s->ram_size || addr + size < addr) {
        qtest_fail(s, "guest allocator: %zu bytes do not fit below 0x%" PRIx64,
                   size, s->ram_size);
    }
    s->alloc_next = addr + size;
    return addr;
}

/*
 * Private to libqos/pci.c: the next free BAR address of the space
 * (0 = MMIO, 1 = I/O) for this emunet.
 */
uint64_t *qtest_bar_cursor(QTestState *s, int io);

uint64_t *qtest_bar_cursor(QTestState *s, int io)
{
    return &s->bar_next[io ? 1 : 0];
}

/* ---- QMP ---- */

static bool qtest_qmp_is_event(const char *line)
{
    return g_str_has_prefix(line, "{\"timestamp\"") ||
           g_str_has_prefix(line, "{\"event\"");
}

char *qtest_qmp(QTestState *s, const char *json)
{
    qtest_send_all(s, s->qmp_fd, json, strlen(json));
    qtest_send_all(s, s->qmp_fd, "\n", 1);
    for (;;) {
        char *line = qtest_recv_line(s, s->qmp_fd, s->qmp_rx, false);

        if (!qtest_qmp_is_event(line)) {
            return line;
        }
        g_free(line);
    }
}

/* ---- process ---- */

/* Size in bytes of "-m" text (QEMU: MiB without suffix) or size=. */
static uint64_t qtest_parse_size(const char *str, bool default_mib)
{
    char *end;
    uint64_t v = g_ascii_strtoull(str, &end, 0);

    switch (*end) {
    case 'k':
    case 'K':
        return v << 10;
    case 'm':
    case 'M':
        return v << 20;
    case 'g':
    case 'G':
        return v << 30;
    case 't':
    case 'T':
        return v << 40;
    default:
        return default_mib ? v << 20 : v;
    }
}

/* The guest RAM size the extra arguments ask for. */
static uint64_t qtest_ram_size(char **args)
{
    uint64_t backend = 0;
    bool uses_backend = false;

    for (int i = 0; args[i]; i++) {
        const char *a = args[i];

        if ((strcmp(a, "-m") == 0 || strcmp(a, "--m") == 0) && args[i + 1]) {
            const char *v = args[i + 1];

            if (g_str_has_prefix(v, "size=")) {
                v += 5;
            }
            return qtest_parse_size(v, true);
        }
        if (strstr(a, "memory-backend=")) {
            uses_backend = true;
        }
        if (g_str_has_prefix(a, "memory-backend-")) {
            const char *p = strstr(a, ",size=");

            if (p) {
                backend = qtest_parse_size(p + 6, false);
            }
        }
    }
    return uses_backend && backend ? backend : QTEST_DEFAULT_RAM;
}

static int qtest_cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* Runs in the forked child: only async-signal-safe calls. */
static void G_GNUC_NORETURN qtest_exec_child(char **argv, int log_fd,
                                             const int *pass, guint npass)
{
    int devnull = open("/dev/null", O_RDONLY);
    unsigned int from = 3;

    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(log_fd, 1) < 0 ||
        dup2(log_fd, 2) < 0) {
        _exit(127);
    }
    /* Close every fd but stdio and the passed ones (sorted). */
    for (guint i = 0; i < npass; i++) {
        if ((unsigned int)pass[i] > from) {
            close_range(from, (unsigned int)pass[i] - 1, 0);
        }
        fcntl(pass[i], F_SETFD, 0);
        from = (unsigned int)pass[i] + 1;
    }
    close_range(from, ~0U, 0);
    execv(argv[0], argv);
    _exit(127);
}

/*
 * emunet has its copies of the passed fds now. The test's copies must go,
 * so that the wire sees EOF when emunet dies; but callers may also close
 * sv[1] themselves. So the number stays taken by /dev/null until
 * qtest_quit: a caller's close() then never hits an unrelated fd.
 */
static void qtest_release_passed(QTestState *s)
{
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

    g_assert_cmpint(devnull, >=, 0);
    s->placeholders = g_array_new(FALSE, FALSE, sizeof(int));
    for (guint i = 0; i < qtest_pass_fds->len; i++) {
        int fd = g_array_index(qtest_pass_fds, int, i);

        g_assert_cmpint(dup3(devnull, fd, O_CLOEXEC), ==, fd);
        g_array_append_val(s->placeholders, fd);
    }
    close(devnull);
    g_array_set_size(qtest_pass_fds, 0);
}

/* Close the placeholders the caller did not close (still /dev/null). */
static void qtest_close_placeholders(QTestState *s)
{
    struct stat null_st, st;

    if (!s->placeholders) {
        return;
    }
    if (stat("/dev/null", &null_st) == 0) {
        for (guint i = 0; i < s->placeholders->len; i++) {
            int fd = g_array_index(s->placeholders, int, i);

            if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
                st.st_rdev == null_st.st_rdev) {
                close(fd);
            }
        }
    }
    g_array_free(s->placeholders, TRUE);
}

QTestState *qtest_init(const char *extra_args)
{
    const char *binary = g_getenv("EMUNET_BINARY");
    QTestState *s = g_new0(QTestState, 1);
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    char **extra = g_strsplit(extra_args ? extra_args : "", " ", -1);
    int lfd, qmp_lfd, log_fd;
    GError *err = NULL;
    char *line;

    if (!binary || !*binary) {
        g_error("libqtest: set EMUNET_BINARY to the emunet executable");
    }
    s->tmpdir = g_dir_make_tmp("emunet-qtest-XXXXXX", &err);
    g_assert_no_error(err);
    s->sock_path = g_build_filename(s->tmpdir, "qtest.sock", NULL);
    s->qmp_path = g_build_filename(s->tmpdir, "qmp.sock", NULL);
    s->log_path = g_build_filename(s->tmpdir, "stderr.log", NULL);
    s->fd = -1;
    s->qmp_fd = -1;
    s->rx = g_string_new(NULL);
    s->qmp_rx = g_string_new(NULL);
    s->bar_next[0] = QTEST_BAR_MMIO_START;
    s->bar_next[1] = QTEST_BAR_IO_START;
    s->ram_size = qtest_ram_size(extra);
    s->alloc_next = QTEST_ALLOC_START;

    lfd = qtest_listen(s->sock_path);
    qmp_lfd = qtest_listen(s->qmp_path);
    log_fd = open(s->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    g_assert_cmpint(log_fd, >=, 0);

    g_ptr_array_add(argv, g_strdup(binary));
    g_ptr_array_add(argv, g_strdup("-qtest"));
    g_ptr_array_add(argv, g_strdup_printf("unix:%s", s->sock_path));
    g_ptr_array_add(argv, g_strdup("-qtest-log"));
    g_ptr_array_add(
        argv, g_strdup(g_getenv("QTEST_LOG") ? "/dev/fd/2" : "/dev/null"));
    g_ptr_array_add(argv, g_strdup("-chardev"));
    g_ptr_array_add(argv,
                    g_strdup_printf("socket,path=%s,id=char0", s->qmp_path));
    g_ptr_array_add(argv, g_strdup("-mon"));
    g_ptr_array_add(argv, g_strdup("chardev=char0,mode=control"));
    g_ptr_array_add(argv, g_strdup("-display"));
    g_ptr_array_add(argv, g_strdup("none"));
    g_ptr_array_add(argv, g_strdup("-accel"));
    g_ptr_array_add(argv, g_strdup("qtest"));
    g_ptr_array_add(argv, g_strdup("-machine"));
    g_ptr_array_add(argv, g_strdup("pc"));
    for (int i = 0; extra[i]; i++) {
        if (*extra[i]) {
            g_ptr_array_add(argv, g_strdup(extra[i]));
        }
    }
    g_ptr_array_add(argv, NULL);

    if (!qtest_pass_fds) {
        qtest_pass_fds = g_array_new(FALSE, FALSE, sizeof(int));
    }
    g_array_sort(qtest_pass_fds, qtest_cmp_int);
    fflush(NULL);
    s->pid = fork();
    g_assert_cmpint(s->pid, >=, 0);
    if (s->pid == 0) {
        qtest_exec_child((char **)argv->pdata, log_fd,
                         (const int *)(void *)qtest_pass_fds->data,
                         qtest_pass_fds->len);
    }
    qtest_track(s, true);
    qtest_release_passed(s);
    close(log_fd);
    g_ptr_array_free(argv, TRUE);
    g_strfreev(extra);

    s->fd = qtest_accept(s, lfd, "qtest");
    s->qmp_fd = qtest_accept(s, qmp_lfd, "QMP");
    close(lfd);
    close(qmp_lfd);

    line = qtest_recv_line(s, s->qmp_fd, s->qmp_rx, false);
    if (!g_str_has_prefix(line, "{\"QMP\":")) {
        qtest_fail(s, "bad QMP greeting: %s", line);
    }
    g_free(line);
    line = qtest_qmp(s, "{\"execute\": \"qmp_capabilities\"}");
    if (!g_str_has_prefix(line, "{\"return\":")) {
        qtest_fail(s, "qmp_capabilities failed: %s", line);
    }
    g_free(line);
    return s;
}

QTestState *qtest_initf(const char *fmt, ...)
{
    va_list ap;
    char *args;
    QTestState *s;

    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    s = qtest_init(args);
    g_free(args);
    return s;
}

static void qtest_cleanup(QTestState *s)
{
    qtest_track(s, false);
    qtest_close_placeholders(s);
    /* QTEST_LOG: the protocol log went to emunet's stderr; show it. */
    if (g_getenv("QTEST_LOG")) {
        char *err = qtest_stderr(s);

        g_printerr("%s", err);
        g_free(err);
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
    if (s->qmp_fd >= 0) {
        close(s->qmp_fd);
    }
    unlink(s->sock_path);
    unlink(s->qmp_path);
    unlink(s->log_path);
    rmdir(s->tmpdir);
    g_string_free(s->rx, TRUE);
    g_string_free(s->qmp_rx, TRUE);
    g_free(s->sock_path);
    g_free(s->qmp_path);
    g_free(s->log_path);
    g_free(s->tmpdir);
    g_free(s);
}

void qtest_quit(QTestState *s)
{
    gint64 deadline;
    char *line;

    if (!qtest_alive(s)) {
        qtest_fail(s, "emunet died before qtest_quit");
    }
    qtest_send_all(s, s->qmp_fd, "{\"execute\": \"quit\"}\n",
                   strlen("{\"execute\": \"quit\"}\n"));
    /* The reply may be lost to a fast exit; the exit status decides. */
    while ((line = qtest_recv_line(s, s->qmp_fd, s->qmp_rx, true))) {
        bool done = !qtest_qmp_is_event(line);

        g_free(line);
        if (done) {
            break;
        }
    }
    deadline = g_get_monotonic_time() + QTEST_TIMEOUT_MS * 1000LL;
    while (qtest_alive(s)) {
        if (g_get_monotonic_time() > deadline) {
            kill(s->pid, SIGKILL);
            qtest_reap(s, true);
            qtest_fail(s, "emunet did not exit within %d s of quit",
                       QTEST_TIMEOUT_MS / 1000);
        }
        g_usleep(1000);
    }
    if (!WIFEXITED(s->wstatus) || WEXITSTATUS(s->wstatus) != 0) {
        qtest_fail(s, "emunet did not exit cleanly");
    }
    qtest_cleanup(s);
}

/* ---- wire side of a socket netdev ---- */

void qtest_socketpair(int sv[2])
{
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==,
                    0);
    if (!qtest_pass_fds) {
        qtest_pass_fds = g_array_new(FALSE, FALSE, sizeof(int));
    }
    g_array_append_val(qtest_pass_fds, sv[1]);
}

static void qtest_wire_write(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        ssize_t n;

        g_assert_cmpint(poll(&pfd, 1, QTEST_TIMEOUT_MS), >, 0);
        n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        g_assert_cmpint(n, >, 0);
        buf += n;
        len -= (size_t)n;
    }
}

void qtest_wire_send(int fd, const void *frame, size_t len)
{
    uint8_t hdr[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16),
                      (uint8_t)(len >> 8), (uint8_t)len};

    qtest_wire_write(fd, hdr, sizeof(hdr));
    qtest_wire_write(fd, frame, len);
}

/*
 * Read exactly len bytes, waiting at most timeout_ms for each chunk.
 * Returns false on timeout or EOF before the first byte when `may_give_up`,
 * and fails the test on a frame cut short.
 */
static bool qtest_wire_read(int fd, uint8_t *buf, size_t len, int timeout_ms,
                            bool may_give_up)
{
    size_t got = 0;

    while (got < len) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int wait = got == 0 && may_give_up ? timeout_ms : QTEST_TIMEOUT_MS;
        ssize_t n;

        if (poll(&pfd, 1, wait) <= 0) {
            if (got == 0 && may_give_up) {
                return false;
            }
            g_error("libqtest: wire frame cut short");
        }
        n = recv(fd, buf + got, len - got, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n <= 0) {
            if (got == 0 && may_give_up) {
                return false;
            }
            g_error("libqtest: wire closed inside a frame");
        }
        got += (size_t)n;
    }
    return true;
}

ssize_t qtest_wire_recv(int fd, void *buf, size_t cap, int timeout_ms)
{
    uint8_t hdr[4];
    size_t len;
    uint8_t *frame;

    /* EOF counts as "nothing arrived": emunet's end went away. */
    if (!qtest_wire_read(fd, hdr, sizeof(hdr), timeout_ms, true)) {
        return -1;
    }
    len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 |
          hdr[3];
    g_assert_cmpuint(len, <=, 16 * 1024 * 1024);
    frame = g_malloc(len ? len : 1);
    qtest_wire_read(fd, frame, len, QTEST_TIMEOUT_MS, false);
    memcpy(buf, frame, MIN(len, cap));
    g_free(frame);
    return (ssize_t)len;
}
