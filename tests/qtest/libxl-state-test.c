/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxl mode, continued (cases of libxl-qmp-test): descriptors passed
 * with QMP commands (SCM_RIGHTS) and fd sets (add-fd, remove-fd,
 * query-fdsets, "/dev/fdset/N"), libxl's save and restore sequences
 * (xen-dm-contract.md §1.8: stop, add-fd, xen-save-devices-state; a new
 * device model with -incoming fd:N) with and without the stand-in
 * companion, which truncates and reads as QEMU 7.2 does, the exact
 * layout of the shared state file (the companion's state, then emunet's
 * blob and file trailer; core/qmp-libxl.c), failures of either part,
 * corrupt, truncated, foreign and unseekable files, and
 * DEVICE_DELETED on every QMP monitor, the platform unplug ports passed
 * through to the companion. Device state is checked through
 * the NIC's PCI configuration (qtest port I/O through CF8/CFC).
 */
#include <dirent.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libxl-qmp.h"

#define NIC_MAC "00:16:3e:11:22:33"
#define TEST_BAR0 0xfebc0000u
#define TEST_INTLINE 0x0b
/* "EMUNETDS" header: payload length at 16, the blob's CRC after it. */
#define DS_HEADER 32
/* The file trailer: CRC-32, u64 blob length, u32 version, magic. */
#define DS_TRAILER 24

/* ---- helpers ---- */

/*
 * libxl's way of passing descriptors (libxl_qmp.c): the first byte of
 * the command carries them, the rest follows in a plain send.
 */
static void qmp_send_fds(Qmp *q, const char *json, const int *fds, unsigned n)
{
    g_autofree char *t = g_strdup_printf("%s\r\n", json);
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * 32)];
    } ctl;
    struct iovec iov = {.iov_base = t, .iov_len = 1};
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = ctl.buf,
                         .msg_controllen = CMSG_SPACE(sizeof(int) * n)};
    struct cmsghdr *c;

    g_assert_cmpuint(n, >, 0);
    g_assert_cmpuint(n, <=, 32);
    memset(&ctl, 0, sizeof(ctl));
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
    g_assert_cmpint(sendmsg(q->fd, &msg, MSG_NOSIGNAL), ==, 1);
    g_assert_cmpint(send(q->fd, t + 1, strlen(t) - 1, MSG_NOSIGNAL), ==,
                    (ssize_t)strlen(t) - 1);
}

static char *qmp_cmd_fds(Qmp *q, const char *json, const int *fds, unsigned n)
{
    qmp_send_fds(q, json, fds, n);
    return qmp_reply(q);
}

/* Open descriptors of process `pid`. */
static unsigned count_fds(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    struct dirent *de;
    unsigned n = 0;

    g_assert_nonnull(d);
    while ((de = readdir(d))) {
        n += de->d_name[0] != '.';
    }
    closedir(d);
    return n;
}

/* One qtest command; returns the reply line (g_free). */
static char *qt(Emu *e, const char *cmd)
{
    GString *in = g_string_new(NULL);
    g_autofree char *line = g_strdup_printf("%s\n", cmd);

    g_assert_cmpint(send(e->qtest_fd, line, strlen(line), MSG_NOSIGNAL), ==,
                    (ssize_t)strlen(line));
    for (;;) {
        struct pollfd pfd = {.fd = e->qtest_fd, .events = POLLIN};
        char c;

        g_assert_cmpint(poll(&pfd, 1, TIMEOUT_MS), ==, 1);
        g_assert_cmpint(recv(e->qtest_fd, &c, 1, 0), ==, 1);
        if (c != '\n') {
            g_string_append_c(in, c);
        } else if (g_str_has_prefix(in->str, "IRQ")) {
            g_string_truncate(in, 0);
        } else {
            break;
        }
    }
    g_assert_true(g_str_has_prefix(in->str, "OK"));
    return g_string_free(in, FALSE);
}

static void qtf(Emu *e, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void qtf(Emu *e, const char *fmt, ...)
{
    va_list ap;
    char *cmd;

    va_start(ap, fmt);
    cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_free(qt(e, cmd));
    g_free(cmd);
}

/* PCI configuration of 00:devfn through CF8/CFC (PCI 3.0, 3.2.2.3.2). */
static uint32_t cfg_read(Emu *e, unsigned devfn, unsigned reg)
{
    g_autofree char *r = NULL;

    qtf(e, "outl 0xcf8 0x%x", 0x80000000u | devfn << 8 | (reg & 0xfc));
    r = qt(e, "inl 0xcfc");
    return (uint32_t)strtoul(r + 3, NULL, 16);
}

static void cfg_write(Emu *e, unsigned devfn, unsigned reg, uint32_t v)
{
    qtf(e, "outl 0xcf8 0x%x", 0x80000000u | devfn << 8 | (reg & 0xfc));
    qtf(e, "outl 0xcfc 0x%x", v);
}

/* The e1000's devfn (function 0 of the first slot with 8086:100e). */
static unsigned find_e1000(Emu *e)
{
    for (unsigned slot = 0; slot < 32; slot++) {
        if (cfg_read(e, slot << 3, 0) == 0x100e8086) {
            return slot << 3;
        }
    }
    g_assert_not_reached();
}

/* Give the NIC state that only a restore can bring back. */
static void nic_set_state(Emu *e)
{
    unsigned devfn = find_e1000(e);

    cfg_write(e, devfn, 0x10, TEST_BAR0);
    cfg_write(e, devfn, 0x3c, TEST_INTLINE);
    g_assert_cmphex(cfg_read(e, devfn, 0x10), ==, TEST_BAR0);
}

static void nic_check_state(Emu *e, bool restored)
{
    unsigned devfn = find_e1000(e);

    if (restored) {
        g_assert_cmphex(cfg_read(e, devfn, 0x10), ==, TEST_BAR0);
        g_assert_cmphex(cfg_read(e, devfn, 0x3c) & 0xff, ==, TEST_INTLINE);
    } else {
        g_assert_cmphex(cfg_read(e, devfn, 0x10), !=, TEST_BAR0);
    }
}

/*
 * libxl's argv with the e1000 (nic0) on a socketpair; the stub companion
 * or none; -incoming fd:N when `incoming_fd` >= 0 (inherited: it must
 * not be close-on-exec). `expect_up`: wait for the qtest connection.
 */
static Emu *start_state(bool companion, int incoming_fd, bool expect_up)
{
    g_autofree char *netdev = NULL;
    g_autofree char *inc = NULL;
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    const char *const head[] = {"-xen-domid", "5", "-no-shutdown",
                                LIBXL_QMP_PATHS, LIBXL_MIDDLE};
    const char *const tail[] = {LIBXL_TAIL};
    int sv[2];
    Emu *e;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==,
                    0);
    netdev = g_strdup_printf("type=socket,id=net0,fd=%d", sv[1]);
    for (size_t i = 0; i < G_N_ELEMENTS(head); i++) {
        g_ptr_array_add(args, (char *)head[i]);
    }
    g_ptr_array_add(args, "-device");
    g_ptr_array_add(args, "e1000,id=nic0,netdev=net0,mac=" NIC_MAC);
    g_ptr_array_add(args, "-netdev");
    g_ptr_array_add(args, netdev);
    for (size_t i = 0; i < G_N_ELEMENTS(tail); i++) {
        g_ptr_array_add(args, (char *)tail[i]);
    }
    if (incoming_fd >= 0) {
        inc = g_strdup_printf("fd:%d", incoming_fd);
        g_ptr_array_add(args, "-incoming");
        g_ptr_array_add(args, inc);
    }
    g_ptr_array_add(args, "--companion");
    g_ptr_array_add(args, companion ? (char *)g_getenv("EMUNET_STUB") : "none");
    g_ptr_array_add(args, NULL);
    e = emu_start_argv((const char *const *)args->pdata, sv[1], expect_up);
    close(sv[1]);
    e->wire_fd = sv[0];
    return e;
}

/* A file for a save, as libxl opens it (O_WRONLY|O_CREAT|O_TRUNC). */
static int open_save(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    g_assert_cmpint(fd, >=, 0);
    return fd;
}

static uint64_t le_get(const char *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = n; i-- > 0;) {
        v = v << 8 | (uint8_t)p[i];
    }
    return v;
}

/* CRC-32 (IEEE 802.3, reflected; zlib's), written out independently. */
static uint32_t crc32_ieee(const char *p, size_t len)
{
    uint32_t crc = 0xffffffffu;

    while (len--) {
        crc ^= (uint8_t)*p++;
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
        }
    }
    return ~crc;
}

/*
 * The exact layout of a state file (core/qmp-libxl.c): `companion` (the
 * companion's stream, "" for none) at offset 0, then emunet's blob, then
 * the trailer, which ends the file.
 */
static void check_layout(const char *data, size_t len, const char *companion)
{
    size_t clen = strlen(companion);
    const char *t = data + len - DS_TRAILER;
    const char *blob = data + clen;
    uint64_t blen;

    g_assert_cmpuint(len, >=, clen + DS_HEADER + 4 + DS_TRAILER);
    g_assert_cmpmem(data, clen, companion, clen);
    g_assert_cmpmem(t + 16, 8, "EMUNETTR", 8);
    g_assert_cmpuint(le_get(t + 12, 4), ==, 1);
    g_assert_cmphex(le_get(t, 4), ==, crc32_ieee(t + 4, DS_TRAILER - 4));
    blen = le_get(t + 4, 8);
    g_assert_cmpuint(clen + blen + DS_TRAILER, ==, len);
    g_assert_cmpmem(blob, 8, "EMUNETDS", 8);
    g_assert_cmpuint(DS_HEADER + le_get(blob + 16, 8) + 4, ==, blen);
    g_assert_cmphex(le_get(blob + blen - 4, 4), ==,
                    crc32_ieee(blob, blen - 4));
}

/* The file at `path` (g_free), checked as check_layout. */
static char *read_layout(const char *path, const char *companion, gsize *len)
{
    char *data = NULL;

    g_assert_true(g_file_get_contents(path, &data, len, NULL));
    check_layout(data, *len, companion);
    return data;
}

static void kill_and_wait(Emu *e)
{
    int rc;

    kill(e->pid, SIGHUP);
    rc = emu_exit_code(e);
    if (rc != 0) {
        g_autofree char *err = emu_stderr(e);

        g_autofree char *log = stub_log(e);

        g_test_message("emunet stderr:\n%s\nstub log:\n%s", err, log);
    }
    g_assert_cmpint(rc, ==, 0);
}

/* ---- tests ---- */

/*
 * Without a companion: add-fd, fd sets, "/dev/fdset/N" for the state
 * (emptied first, as QEMU's O_TRUNC does: the file is exactly the blob
 * and trailer; loading leaves the descriptor's offset alone);
 * descriptors that are not used are closed, and never more than a
 * bounded number are accepted.
 */
static void test_fdsets(void)
{
    Emu *e = start_state(false, -1, true);
    g_autofree char *path = g_build_filename(e->dir, "qemu-save.5", NULL);
    g_autofree char *data = NULL;
    g_autofree char *r = NULL;
    int fds[20], wfd, rfd;
    unsigned base;
    gsize len;
    Qmp *q;

    q = libxl_connect(e->libxl_path);
    base = count_fds(e->pid);
    /* Descriptors with a command that takes none: closed. */
    for (int i = 0; i < 3; i++) {
        fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    r = qmp_cmd_fds(q, "{\"execute\":\"query-status\",\"id\":2}", fds, 3);
    g_assert_true(g_str_has_suffix(r, "\"id\": 2}"));
    g_assert_cmpuint(count_fds(e->pid), ==, base);
    /* Twenty at once: at most 16 arrive, one is kept. */
    for (int i = 3; i < 20; i++) {
        fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    g_free(r);
    r = qmp_cmd_fds(q, "{\"execute\":\"add-fd\",\"id\":3}", fds, 20);
    g_assert_true(g_str_has_prefix(r, "{\"return\": {\"fdset-id\": 0, "
                                      "\"fd\": "));
    g_assert_cmpuint(count_fds(e->pid), ==, base + 1);
    for (int i = 0; i < 20; i++) {
        close(fds[i]);
    }
    qmp_check(q, "{\"execute\":\"add-fd\",\"id\":4}",
              "{\"error\": {\"class\": \"GenericError\", \"desc\": \"No "
              "file descriptor supplied via SCM_RIGHTS\"}, \"id\": 4}");
    wfd = open_save(path);
    g_assert_cmpint(pwrite(wfd, "stale bytes of an old save", 26, 0), ==, 26);
    g_free(r);
    r = qmp_cmd_fds(q,
                    "{\"execute\":\"add-fd\",\"id\":5,\"arguments\":"
                    "{\"fdset-id\":-1}}",
                    &wfd, 1);
    g_assert_cmpstr(r, ==,
                    "{\"error\": {\"class\": \"GenericError\", \"desc\": "
                    "\"Parameter 'fdset-id' expects a non-negative value\"}, "
                    "\"id\": 5}");
    g_assert_cmpuint(count_fds(e->pid), ==, base + 1);
    g_free(r);
    r = qmp_cmd_fds(q,
                    "{\"execute\":\"add-fd\",\"id\":6,\"arguments\":"
                    "{\"fdset-id\":3,\"opaque\":\"save file\"}}",
                    &wfd, 1);
    g_assert_true(g_str_has_prefix(r, "{\"return\": {\"fdset-id\": 3, "));
    close(wfd);
    g_free(r);
    r = qmp_cmd(q, "{\"execute\":\"query-fdsets\",\"id\":7}");
    g_assert_true(g_str_has_prefix(r, "{\"return\": [{\"fdset-id\": 0, "
                                      "\"fds\": [{\"fd\": "));
    g_assert_nonnull(strstr(r, "}]}, {\"fdset-id\": 3, \"fds\": [{\"fd\": "));
    g_assert_true(g_str_has_suffix(r, ", \"opaque\": \"save file\"}]}], "
                                      "\"id\": 7}"));
    /* The state: to fd set 3 (writable); 0 (/dev/null, read-only) and
     * an unknown set are refused. */
    qmp_check(q,
              "{\"execute\":\"xen-save-devices-state\",\"id\":8,"
              "\"arguments\":{\"filename\":\"/dev/fdset/0\",\"live\":false}}",
              "{\"error\": {\"class\": \"GenericError\", \"desc\": "
              "\"/dev/fdset/0: no descriptor in fd set 0 is open for "
              "writing\"}, \"id\": 8}");
    qmp_check(q,
              "{\"execute\":\"xen-save-devices-state\",\"id\":9,"
              "\"arguments\":{\"filename\":\"/dev/fdset/7\"}}",
              "{\"error\": {\"class\": \"GenericError\", \"desc\": "
              "\"/dev/fdset/7: fd set 7 does not exist (add-fd first)\"}, "
              "\"id\": 9}");
    nic_set_state(e);
    qmp_check(q,
              "{\"execute\":\"xen-save-devices-state\",\"id\":10,"
              "\"arguments\":{\"filename\":\"/dev/fdset/3\",\"live\":false}}",
              "{\"return\": {}, \"id\": 10}");
    data = read_layout(path, "", &len);
    qmp_check(q,
              "{\"execute\":\"remove-fd\",\"id\":11,"
              "\"arguments\":{\"fdset-id\":0}}",
              "{\"return\": {}, \"id\": 11}");
    qmp_check(q,
              "{\"execute\":\"remove-fd\",\"id\":12,"
              "\"arguments\":{\"fdset-id\":0}}",
              "{\"error\": {\"class\": \"GenericError\", \"desc\": \"File "
              "descriptor named 'fdset-id:0' not found\"}, \"id\": 12}");
    /* Loading from an fd set: with pread, the shared offset stays. */
    rfd = open(path, O_RDONLY | O_CLOEXEC);
    g_free(r);
    r = qmp_cmd_fds(q, "{\"execute\":\"add-fd\",\"id\":13}", &rfd, 1);
    g_assert_true(g_str_has_prefix(r, "{\"return\": {\"fdset-id\": 0, "));
    qmp_check(q,
              "{\"execute\":\"xen-load-devices-state\",\"id\":14,"
              "\"arguments\":{\"filename\":\"/dev/fdset/0\"}}",
              "{\"return\": {}, \"id\": 14}");
    g_assert_cmpint(lseek(rfd, 0, SEEK_CUR), ==, 0);
    close(rfd);
    g_assert_cmpuint(count_fds(e->pid), ==, base + 2);
    /* As QEMU: fd sets go when the guest runs and nobody is connected. */
    qmp_close(q);
    for (int i = 0; i < 500 && count_fds(e->pid) != base - 1; i++) {
        g_usleep(10000);
    }
    g_assert_cmpuint(count_fds(e->pid), ==, base - 1);
    kill_and_wait(e);
    g_unlink(path);
    emu_free(e);
}

/*
 * libxl's save with a companion: add-fd reaches it with the descriptor;
 * the companion empties the file and writes its state from offset 0,
 * then emunet appends its blob and trailer, all before the reply;
 * restore with -incoming fd:N gives each side its part.
 */
static void test_companion_save_restore(void)
{
    Emu *e = start_state(true, -1, true);
    g_autofree char *path = g_build_filename(e->dir, "qemu-save.5", NULL);
    g_autofree char *copy = NULL;
    g_autofree char *data = NULL;
    g_autofree char *log = NULL;
    g_autofree char *r = NULL;
    g_autofree char *want = NULL;
    struct stat st;
    int fd;
    gsize len;
    Qmp *q;

    nic_set_state(e);
    /* libxl: stop, add-fd with the file, xen-save-devices-state. */
    q = libxl_connect(e->libxl_path);
    qmp_check(q, "{\"execute\":\"stop\",\"id\":2}",
              "{\"return\": {}, \"id\": 2}");
    qmp_check(q,
              "{\"execute\":\"x-stub-set-state\",\"id\":3,"
              "\"arguments\":{\"text\":\"companion-A\"}}",
              "{\"return\": {}, \"id\": 3}");
    fd = open_save(path);
    g_assert_cmpint(fstat(fd, &st), ==, 0);
    /* Stale bytes the companion's O_TRUNC must remove (offset stays 0). */
    g_assert_cmpint(pwrite(fd, "stale bytes of an old save", 26, 0), ==, 26);
    r = qmp_cmd_fds(q, "{\"execute\":\"add-fd\",\"id\":4}", &fd, 1);
    close(fd);
    /* The companion's reply, relayed: its ids are libxl's. */
    g_assert_true(g_str_has_prefix(r, "{\"return\": {\"fdset-id\": 0, "
                                      "\"fd\": "));
    g_assert_true(g_str_has_suffix(r, "}, \"id\": 4}"));
    qmp_check(q,
              "{\"execute\":\"xen-save-devices-state\",\"id\":5,"
              "\"arguments\":{\"filename\":\"/dev/fdset/0\",\"live\":false}}",
              "{\"return\": {}, \"id\": 5}");
    /* Both parts are in the file when the client hears back. */
    data = read_layout(path, "STUB-STATE companion-A\n", &len);
    qmp_close(q);
    log = wait_log(e, "saved companion-A");
    want = g_strdup_printf("add-fd fdset 0 ino %lu", (unsigned long)st.st_ino);
    g_assert_true(log_has(log, want));
    g_assert_true(log_has(log, "recv {\"execute\":\"xen-save-devices-state\","
                               "\"id\":5,\"arguments\":{\"filename\":"
                               "\"/dev/fdset/0\",\"live\":false}}"));
    g_assert_true(log_has(log, "saved companion-A"));
    kill_and_wait(e);
    emu_free(e);
    copy = g_strdup(path);
    /* Restore: a new device model with -incoming fd:N. */
    fd = open(copy, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    e = start_state(true, fd, true);
    close(fd);
    g_free(log);
    log = wait_log(e, "incoming STUB-STATE companion-A");
    g_assert_true(log_has(log, "incoming STUB-STATE companion-A"));
    nic_check_state(e, true);
    q = libxl_connect(e->libxl_path);
    g_free(r);
    r = qmp_cmd(q, "{\"execute\":\"query-emunet\",\"id\":2}");
    g_assert_true(g_str_has_prefix(r, "{\"return\": [{\"id\": \"nic0\""));
    qmp_close(q);
    kill_and_wait(e);
    emu_free(e);
    g_unlink(copy);
}

/*
 * A plain filename with a companion: emunet opens the file and hands
 * the companion the descriptor as a private fd set; the layout is the
 * same as with libxl's fd set. A bad emunet part is refused before the
 * companion sees the load.
 */
static void test_companion_state_file(void)
{
    Emu *e = start_state(true, -1, true);
    g_autofree char *path = g_build_filename(e->dir, "state", NULL);
    g_autofree char *bad = g_build_filename(e->dir, "bad", NULL);
    g_autofree char *cmd = NULL;
    g_autofree char *data = NULL;
    g_autofree char *log = NULL;
    g_autofree char *r = NULL;
    const size_t clen = strlen("STUB-STATE plain\n");
    gsize len;
    Qmp *q = libxl_connect(e->libxl_path);

    qmp_check(q,
              "{\"execute\":\"x-stub-set-state\",\"id\":2,"
              "\"arguments\":{\"text\":\"plain\"}}",
              "{\"return\": {}, \"id\": 2}");
    cmd = g_strdup_printf("{\"execute\":\"xen-save-devices-state\",\"id\":3,"
                          "\"arguments\":{\"filename\":\"%s\"}}",
                          path);
    qmp_check(q, cmd, "{\"return\": {}, \"id\": 3}");
    data = read_layout(path, "STUB-STATE plain\n", &len);
    g_free(cmd);
    cmd = g_strdup_printf("{\"execute\":\"xen-load-devices-state\",\"id\":4,"
                          "\"arguments\":{\"filename\":\"%s\"}}",
                          path);
    r = qmp_cmd(q, cmd);
    if (strcmp(r, "{\"return\": {}, \"id\": 4}") != 0) {
        g_autofree char *l = stub_log(e);
        g_test_message("stub log:\n%s", l);
    }
    g_assert_cmpstr(r, ==, "{\"return\": {}, \"id\": 4}");
    g_clear_pointer(&r, g_free);
    log = wait_log(e, "remove-fd fdset 1000000001");
    g_assert_true(log_has(log, "recv {\"execute\": \"add-fd\", \"arguments\": "
                               "{\"fdset-id\": 1000000000}, \"id\": "
                               "\"emunet-1\"}"));
    g_assert_true(log_has(log, "recv {\"execute\":\"xen-save-devices-state\","
                               "\"arguments\":{\"filename\":"
                               "\"/dev/fdset/1000000000\"},\"id\":3}"));
    g_assert_true(log_has(log, "remove-fd fdset 1000000000"));
    g_assert_true(log_has(log, "loaded STUB-STATE plain"));
    /* A corrupt emunet blob, then trailer: refused before the companion
     * sees the load. */
    data[clen + DS_HEADER + 2] ^= 0x40;
    g_assert_true(g_file_set_contents(bad, data, (gssize)len, NULL));
    g_free(cmd);
    cmd = g_strdup_printf("{\"execute\":\"xen-load-devices-state\",\"id\":5,"
                          "\"arguments\":{\"filename\":\"%s\"}}",
                          bad);
    r = qmp_cmd(q, cmd);
    g_assert_true(g_str_has_prefix(r, "{\"error\": {\"class\": "
                                      "\"GenericError\", \"desc\": "));
    g_assert_nonnull(strstr(r, ": not a valid emunet device state: CRC "
                               "mismatch (the file is corrupt)"));
    data[clen + DS_HEADER + 2] ^= 0x40;
    data[len - DS_TRAILER + 5] ^= 0x01;
    g_assert_true(g_file_set_contents(bad, data, (gssize)len, NULL));
    g_free(r);
    r = qmp_cmd(q, cmd);
    g_assert_nonnull(strstr(r, ": not a valid emunet device state: trailer "
                               "CRC mismatch (the file is corrupt)"));
    g_free(log);
    log = stub_log(e);
    g_assert_null(strstr(log, "xen-load-devices-state\",\"id\":5"));
    qmp_close(q);
    kill_and_wait(e);
    g_unlink(path);
    g_unlink(bad);
    emu_free(e);
}

/*
 * libxl's save with command ids from `id`: fd set 0 with a new
 * descriptor of `path` (as libxl opens it for each save), then
 * xen-save-devices-state. Returns its reply (g_free).
 */
static char *libxl_save(Qmp *q, const char *path, int id)
{
    g_autofree char *add = g_strdup_printf(
        "{\"execute\":\"add-fd\",\"id\":%d,\"arguments\":"
        "{\"fdset-id\":0}}",
        id);
    g_autofree char *save = g_strdup_printf(
        "{\"execute\":\"xen-save-devices-state\",\"id\":%d,"
        "\"arguments\":{\"filename\":\"/dev/fdset/0\",\"live\":false}}",
        id + 1);
    g_autofree char *r = NULL;
    g_autofree char *done = NULL;
    int fd = open_save(path);

    r = qmp_cmd_fds(q, add, &fd, 1);
    close(fd);
    g_assert_true(g_str_has_prefix(r, "{\"return\": {\"fdset-id\": 0, "));
    g_free(r);
    r = qmp_cmd(q, save);
    g_free(add);
    add = g_strdup_printf("{\"execute\":\"remove-fd\",\"id\":%d,"
                          "\"arguments\":{\"fdset-id\":0}}",
                          id + 2);
    done = g_strdup_printf("{\"return\": {}, \"id\": %d}", id + 2);
    qmp_check(q, add, done);
    return g_steal_pointer(&r);
}

/*
 * Either part of a save failing is one QMP error, and the file never
 * looks whole: the companion's failure is relayed and emunet appends
 * nothing; emunet's failing after the companion's success (a file size
 * limit) replaces the companion's reply, and its torn tail is cut off.
 */
static void test_companion_save_fails(void)
{
    Emu *e = start_state(true, -1, true);
    g_autofree char *path = g_build_filename(e->dir, "qemu-save.5", NULL);
    g_autofree char *data = NULL;
    g_autofree char *r = NULL;
    struct rlimit old, small;
    gsize len;
    Qmp *q = libxl_connect(e->libxl_path);

    qmp_check(q, "{\"execute\":\"x-stub-fail-state\",\"id\":2}",
              "{\"return\": {}, \"id\": 2}");
    r = libxl_save(q, path, 3);
    g_assert_cmpstr(r, ==,
                    "{\"error\": {\"class\": \"GenericError\", \"desc\": "
                    "\"stub: device state failed\"}, \"id\": 4}");
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpstr(data, ==, "STUB-PARTIAL\n");
    /* emunet's part fails: files of emunet's may not pass 64 bytes. */
    qmp_check(q,
              "{\"execute\":\"x-stub-set-state\",\"id\":6,"
              "\"arguments\":{\"text\":\"B\"}}",
              "{\"return\": {}, \"id\": 6}");
    g_assert_cmpint(prlimit(e->pid, RLIMIT_FSIZE, NULL, &old), ==, 0);
    small = (struct rlimit){.rlim_cur = 64, .rlim_max = old.rlim_max};
    g_assert_cmpint(prlimit(e->pid, RLIMIT_FSIZE, &small, NULL), ==, 0);
    g_free(r);
    r = libxl_save(q, path, 7);
    g_assert_cmpint(prlimit(e->pid, RLIMIT_FSIZE, &old, NULL), ==, 0);
    g_assert_true(g_str_has_prefix(r, "{\"error\": {\"class\": "
                                      "\"GenericError\", \"desc\": "
                                      "\"/dev/fdset/0: emunet's part, after "
                                      "the companion's: "));
    g_assert_nonnull(strstr(r, "write failed: File too large"));
    g_assert_true(g_str_has_suffix(r, "\"id\": 8}"));
    g_free(data);
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpstr(data, ==, "STUB-STATE B\n");
    /* The next save is whole again. */
    g_free(r);
    r = libxl_save(q, path, 10);
    g_assert_cmpstr(r, ==, "{\"return\": {}, \"id\": 11}");
    g_free(data);
    data = read_layout(path, "STUB-STATE B\n", &len);
    qmp_close(q);
    kill_and_wait(e);
    g_unlink(path);
    emu_free(e);
}

/*
 * Without a companion, fd sets that are not regular files: emunet's part
 * is at the end of the file, which a pipe does not have.
 */
static void test_state_unseekable(void)
{
    Emu *e = start_state(false, -1, true);
    g_autofree char *r = NULL;
    int pfd[2];
    Qmp *q = libxl_connect(e->libxl_path);

    g_assert_cmpint(pipe2(pfd, O_CLOEXEC), ==, 0);
    r = qmp_cmd_fds(q, "{\"execute\":\"add-fd\",\"id\":2}", &pfd[1], 1);
    g_assert_true(g_str_has_prefix(r, "{\"return\": {\"fdset-id\": 0, "));
    g_free(r);
    r = qmp_cmd_fds(q, "{\"execute\":\"add-fd\",\"id\":3}", &pfd[0], 1);
    g_assert_true(g_str_has_prefix(r, "{\"return\": {\"fdset-id\": 1, "));
    close(pfd[0]);
    close(pfd[1]);
    qmp_check(q,
              "{\"execute\":\"xen-save-devices-state\",\"id\":4,"
              "\"arguments\":{\"filename\":\"/dev/fdset/0\"}}",
              "{\"error\": {\"class\": \"GenericError\", \"desc\": "
              "\"/dev/fdset/0: cannot truncate (emunet's state needs a "
              "regular file): Invalid argument\"}, \"id\": 4}");
    g_free(r);
    r = qmp_cmd(q, "{\"execute\":\"xen-load-devices-state\",\"id\":5,"
                   "\"arguments\":{\"filename\":\"/dev/fdset/1\"}}");
    g_assert_true(g_str_has_prefix(r, "{\"error\": {\"class\": "
                                      "\"GenericError\", \"desc\": "
                                      "\"device state fd "));
    g_assert_nonnull(strstr(r, ": not a regular file (a pipe or socket?)"));
    qmp_close(q);
    kill_and_wait(e);
    emu_free(e);
}

/* -incoming fd:N (fd, closed) with a bad emunet part: exit 1, one line. */
static void restore_fails_fd(int fd, const char *cause)
{
    g_autofree char *err = NULL;
    g_autofree char *log = NULL;
    Emu *e = start_state(true, fd, false);

    close(fd);
    g_assert_cmpint(emu_exit_code(e), ==, 1);
    err = emu_stderr(e);
    g_test_message("emunet stderr: %s", err);
    g_assert_nonnull(strstr(err, "emunet: emunet's part of the saved state: "
                                 "-incoming fd:"));
    g_assert_nonnull(strstr(err, cause));
    /* Refused before the companion was started. */
    log = stub_log(e);
    g_assert_cmpstr(log, ==, "");
    emu_free(e);
}

/* The same with a file holding `contents`. */
static void restore_fails(const char *contents, size_t len, const char *cause)
{
    g_autofree char *dir = g_dir_make_tmp("emunet-restore-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "qemu-resume.5", NULL);
    int fd;

    g_assert_true(g_file_set_contents(path, contents, (gssize)len, NULL));
    fd = open(path, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    restore_fails_fd(fd, cause);
    g_unlink(path);
    g_rmdir(dir);
}

static void test_companion_restore_bad(void)
{
    Emu *e = start_state(false, -1, true);
    g_autofree char *path = g_build_filename(e->dir, "good", NULL);
    g_autofree char *cmd = NULL;
    g_autofree char *data = NULL;
    g_autofree char *shifted = NULL;
    static const char foreign[] = "QEVM\0\0\0\3 a QEMU migration stream....."
                                  "..................";
    int pfd[2];
    gsize len;
    Qmp *q = libxl_connect(e->libxl_path);

    cmd = g_strdup_printf("{\"execute\":\"xen-save-devices-state\",\"id\":2,"
                          "\"arguments\":{\"filename\":\"%s\"}}",
                          path);
    qmp_check(q, cmd, "{\"return\": {}, \"id\": 2}");
    qmp_close(q);
    kill_and_wait(e);
    data = read_layout(path, "", &len);
    emu_free(e);
    restore_fails(foreign, sizeof(foreign),
                  "not a valid emunet device state: no emunet trailer at "
                  "the end of the file (truncated, or not saved by emunet");
    restore_fails(data, 20,
                  "not a valid emunet device state: 20 bytes, too short "
                  "for emunet's trailer (truncated");
    restore_fails(data, len - 7, "no emunet trailer at the end of the file");
    /* The start cut off: the trailer's blob does not fit before it. */
    restore_fails(data + 10, len - 10,
                  "not a valid emunet device state: truncated (the "
                  "trailer gives a ");
    data[DS_HEADER + 2] ^= 1;
    restore_fails(data, len,
                  "not a valid emunet device state: CRC mismatch (the "
                  "file is corrupt)");
    data[DS_HEADER + 2] ^= 1;
    data[len - DS_TRAILER + 2] ^= 1;
    restore_fails(data, len,
                  "not a valid emunet device state: trailer CRC mismatch "
                  "(the file is corrupt)");
    data[len - DS_TRAILER + 2] ^= 1;
    /* The blob after other data (a companion's part) is found too. */
    shifted = g_malloc(len + 5);
    memcpy(shifted, "XXXX\n", 5);
    memcpy(shifted + 5, data, len);
    shifted[5 + DS_HEADER + 2] ^= 1;
    restore_fails(shifted, len + 5, "CRC mismatch (the file is corrupt)");
    /* Not seekable: a pipe has no end to find emunet's part from. */
    g_assert_cmpint(pipe(pfd), ==, 0);
    g_assert_cmpint(write(pfd[1], data, len), ==, (ssize_t)len);
    close(pfd[1]);
    restore_fails_fd(pfd[0], "not a regular file");
    /*
     * Intact, but saved without a companion: a platform section too. (A
     * valid companion part first: the companion must not fail first.)
     */
    shifted = g_realloc(shifted, len + 13);
    memcpy(shifted, "STUB-STATE x\n", 13);
    memcpy(shifted + 13, data, len);
    {
        g_autofree char *dir = g_dir_make_tmp("emunet-restore-XXXXXX", NULL);
        g_autofree char *p2 = g_build_filename(dir, "s", NULL);
        g_autofree char *err = NULL;
        int fd;

        g_assert_true(
            g_file_set_contents(p2, shifted, (gssize)len + 13, NULL));
        fd = open(p2, O_RDONLY);
        e = start_state(true, fd, false);
        close(fd);
        g_assert_cmpint(emu_exit_code(e), ==, 1);
        err = emu_stderr(e);
        g_assert_nonnull(strstr(err, "which this emunet does not have"));
        emu_free(e);
        g_unlink(p2);
        g_rmdir(dir);
    }
}

/* Wait for a DEVICE_DELETED event for `dev` on q. */
static void expect_device_deleted(Qmp *q, const char *dev)
{
    g_autofree char *want =
        g_strdup_printf("\"event\": \"DEVICE_DELETED\", \"data\": "
                        "{\"device\": \"%s\", \"path\": "
                        "\"/machine/peripheral/%s\"}}",
                        dev, dev);

    for (;;) {
        g_autofree char *line = qmp_line(q);

        if (strstr(line, "\"event\"")) {
            g_assert_true(g_str_has_suffix(line, want));
            return;
        }
    }
}

/* A hand-off reaches every QMP monitor (libxl's and libxenstat's). */
static void test_device_deleted_everywhere(void)
{
    Emu *e = start_state(false, -1, true);
    g_autofree char *r = NULL;
    Qmp *q1 = libxl_connect(e->libxl_path);
    Qmp *q2 = libxl_connect(e->xenstat_path);

    /* The guest's PV drivers: unplug all NICs (port 0x10, bit 1). */
    qtf(e, "outw 0x10 0x2");
    expect_device_deleted(q1, "nic0");
    expect_device_deleted(q2, "nic0");
    r = qmp_cmd(q2, "{\"execute\":\"query-emunet\",\"id\":2}");
    g_assert_nonnull(strstr(r, "\"handed-off\": true"));
    /* Repeated: no second event (the next message is the reply). */
    qtf(e, "outw 0x10 0x2");
    qmp_send(q1, "{\"execute\":\"query-status\",\"id\":3}");
    g_free(r);
    r = qmp_line(q1);
    g_assert_cmpstr(r, ==,
                    "{\"return\": {\"status\": \"running\", \"singlestep\": "
                    "false, \"running\": true}, \"id\": 3}");
    qmp_close(q1);
    qmp_close(q2);
    kill_and_wait(e);
    emu_free(e);
}

/* The companion's log lines that start with `prefix`, '|'-separated. */
static char *log_lines_with(const char *log, const char *prefix)
{
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
    GString *out = g_string_new(NULL);

    for (char **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, prefix)) {
            g_string_append_printf(out, "%s|", *l + strlen(prefix));
        }
    }
    return g_string_free(out, FALSE);
}

static unsigned long qt_in(Emu *e, const char *cmd)
{
    g_autofree char *r = qt(e, cmd);

    return strtoul(r + 3, NULL, 16);
}

/*
 * With a companion its platform device's unplug ports are passed through
 * to it (HMP port I/O, hw/xen/xen-relay.h). qtest cannot hold an access,
 * so emunet's model answers at once; the companion still gets every
 * access, in order and with its width, and the NIC bit hands off.
 */
static void test_companion_platform_relay(void)
{
    Emu *e = start_state(true, -1, true);
    Qmp *q = libxl_connect(e->libxl_path);
    g_autofree char *log = NULL;
    g_autofree char *hmp = NULL;
    g_autofree char *r = NULL;

    g_assert_cmphex(qt_in(e, "inw 0x10"), ==, 0x49d2);
    g_assert_cmphex(qt_in(e, "inb 0x12"), ==, 1);
    qtf(e, "outw 0x12 0x3");
    qtf(e, "outl 0x10 0x1");
    g_assert_cmphex(qt_in(e, "inw 0x10"), ==, 0x49d2);
    /* Disks only: the companion's; the NIC stays. */
    qtf(e, "outw 0x10 0x1");
    log = wait_log(e, "unplug 0x1");
    g_assert_true(log_has(log, "unplug 0x1"));
    r = qmp_cmd(q, "{\"execute\":\"query-emunet\",\"id\":2}");
    g_assert_nonnull(strstr(r, "\"handed-off\": false"));
    qtf(e, "outw 0x10 0x3");
    expect_device_deleted(q, "nic0");
    g_free(log);
    log = wait_log(e, "unplug 0x3");
    g_assert_true(log_has(log, "unplug 0x3"));
    hmp = log_lines_with(log, "hmp ");
    g_assert_cmpstr(hmp, ==,
                    "i /h 0x10|i /b 0x12|o /h 0x12 0x3|o /w 0x10 0x1|"
                    "i /h 0x10|o /h 0x10 0x1|o /h 0x10 0x3|");
    qmp_close(q);
    kill_and_wait(e);
    emu_free(e);
}

void libxl_state_register(void)
{
    g_test_add_func("/libxl-qmp/fdsets", test_fdsets);
    g_test_add_func("/libxl-qmp/companion/save-restore",
                    test_companion_save_restore);
    g_test_add_func("/libxl-qmp/companion/state-file",
                    test_companion_state_file);
    g_test_add_func("/libxl-qmp/companion/restore-bad",
                    test_companion_restore_bad);
    g_test_add_func("/libxl-qmp/companion/save-fails",
                    test_companion_save_fails);
    g_test_add_func("/libxl-qmp/state-unseekable", test_state_unseekable);
    g_test_add_func("/libxl-qmp/device-deleted",
                    test_device_deleted_everywhere);
    g_test_add_func("/libxl-qmp/companion/platform-relay",
                    test_companion_platform_relay);
}
