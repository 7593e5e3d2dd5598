/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The qtest and QMP protocols as QEMU 7.2 speaks them, and the command
 * line: every command and reply format, failures that leave the
 * connection usable, guest memory round trips (hex, base64, memset) at
 * the edges of RAM, the virtual clock, shared memory backends, and the
 * one-line errors and exit statuses of bad options.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libqtest.h"

#define MiB (1024 * 1024)

static const char *emunet_binary(void)
{
    const char *bin = g_getenv("EMUNET_BINARY");

    g_assert_nonnull(bin);
    return bin;
}

/* Compare a raw reply with what QEMU would send, then free it. */
static void assert_reply(char *reply, const char *expected)
{
    g_assert_cmpstr(reply, ==, expected);
    g_free(reply);
}

static void assert_reply_prefix(char *reply, const char *prefix)
{
    if (!g_str_has_prefix(reply, prefix)) {
        g_error("reply '%s' does not start with '%s'", reply, prefix);
    }
    g_free(reply);
}

/* ---- command line ---- */

typedef struct CliResult {
    int status;
    char *out;
    char *err;
} CliResult;

static void cli_run(const char *args, CliResult *r)
{
    char *cmdline = g_strdup_printf("%s %s", emunet_binary(), args);
    char **argv = NULL;
    GError *err = NULL;
    int wstatus;

    g_assert_true(g_shell_parse_argv(cmdline, NULL, &argv, &err));
    g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &r->out, &r->err, &wstatus, &err));
    g_assert_no_error(err);
    g_assert_true(WIFEXITED(wstatus));
    r->status = WEXITSTATUS(wstatus);
    g_strfreev(argv);
    g_free(cmdline);
}

static void cli_free(CliResult *r)
{
    g_free(r->out);
    g_free(r->err);
}

static void test_cli_version(void)
{
    CliResult r;

    cli_run("--version", &r);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_cmpstr(r.out, ==, "emunet 0.1.0\n");
    cli_free(&r);
    cli_run("-version", &r);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_cmpstr(r.out, ==, "emunet 0.1.0\n");
    cli_free(&r);
}

static void test_cli_help(void)
{
    CliResult r;

    cli_run("--help", &r);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "Usage: emunet"));
    g_assert_nonnull(strstr(r.out, "-qtest"));
    g_assert_nonnull(strstr(r.out, "x-xen-oui"));
    g_assert_cmpstr(r.err, ==, "");
    cli_free(&r);
}

typedef struct CliCase {
    const char *args;
    int status;
    /* Text the single error line must contain. */
    const char *needle;
} CliCase;

static void test_cli_errors(void)
{
    /* No socket exists at QS: any case wrongly accepted fails on it. */
#define QS "-qtest unix:/nonexistent-emunet-dir/q.sock "
    static const CliCase cases[] = {
        {"-bogus", 2, "-bogus: unknown option"},
        {"--bogus-option=1", 2, "--bogus-option=1"},
        {"stray", 2, "stray"},
        {QS "-m", 2, "-m: missing argument"},
        {"", 2, "no transport: use -qtest"},
        {QS "-m abc", 2, "-m"},
        {QS "-m 12Q", 2, "-m"},
        {QS "-m 2T", 2, "larger than 1T"},
        {QS "-accel kvm", 2, "only -accel qtest is supported without Xen"},
        {QS "-machine pc,accel=tcg", 2, "only -accel qtest"},
        {QS "-machine virt", 2, "virt"},
        {QS "-display gtk", 2, "-display"},
        {QS "-qtest-log /dev/null -trace nosuchmodule", 2, "nosuchmodule"},
        {QS "-mon chardev=nothere,mode=control", 2, "nothere"},
        {QS "-chardev socket,id=c0,path=/tmp/x -mon chardev=c0,mode=readline",
         2, "mode=control"},
        {QS "-chardev file,id=c0,path=/tmp/x", 2, "socket"},
        {"-qtest tcp:localhost:4444", 2, "unix:"},
        {QS "-device nosuchnic", 2, "nosuchnic"},
        {QS "-device e1000,bogus=1", 2, "bogus"},
        {QS "-device e1000,mac=01:00:00:00:00:01", 2, "mac"},
        {QS "-device e1000,mac=00:00:00:00:00:00", 2, "mac"},
        {QS "-device e1000,mac=52:54:00:12:34", 2, "mac"},
        {QS "-device e1000,addr=zz", 2, "addr"},
        {QS "-device e1000,addr=20", 2, "addr"},
        {QS "-device e1000,addr=3.8", 2, "addr"},
        {QS "-device e1000,netdev=nonet", 2, "nonet"},
        {QS "-device e1000,id=a -device e1000,id=a", 2, "duplicate id"},
        {QS "-netdev socket", 2, "id"},
        {QS "-netdev nosuchbackend,id=n0", 2, "nosuchbackend"},
        {QS "-netdev socket,id=n0,fd=notanumber", 2, "fd"},
        {QS "-netdev user,id=n0 -netdev user,id=n0", 2, "duplicate id"},
        {QS "-netdev user,id=n0 -device e1000,netdev=n0 "
            "-device e1000,netdev=n0",
         2, "already used"},
        {QS "-machine memory-backend=nomem", 2, "nomem"},
        {QS "-object memory-backend-memfd,id=mem,size=64M "
            "-machine memory-backend=mem -m 128M",
         2, "differs"},
        {QS "-object memory-backend-memfd,id=mem", 2, "size"},
        {QS "-object memory-backend-ram,id=mem,size=1M", 2,
         "memory-backend-ram"},
        {QS "-object memory-backend-file,id=mem,size=1M", 2, "mem-path"},
        {QS "-object memory-backend-memfd,id=mem,size=1M,bogus=1", 2, "bogus"},
        {QS "-qtest-log /nonexistent-emunet-dir/log", 1,
         "/nonexistent-emunet-dir/log"},
        {QS "-qtest-log /dev/null", 1, "-qtest"},
    };
#undef QS

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        CliResult r;
        const char *nl;

        cli_run(cases[i].args, &r);
        if (r.status != cases[i].status || !strstr(r.err, cases[i].needle) ||
            !g_str_has_prefix(r.err, "emunet: ")) {
            g_error("'%s': status %d (wanted %d), stderr '%s' (wanted "
                    "'emunet: ...%s...')",
                    cases[i].args, r.status, cases[i].status, r.err,
                    cases[i].needle);
        }
        /* Exactly one line. */
        nl = strchr(r.err, '\n');
        g_assert_nonnull(nl);
        g_assert_cmpstr(nl + 1, ==, "");
        g_assert_cmpstr(r.out, ==, "");
        cli_free(&r);
    }
}

/* ---- process lifetime without libqtest ---- */

typedef struct Bare {
    char *dir;
    char *path;
    int lfd;
    int fd;
    GPid pid;
} Bare;

/* emunet on a qtest socket the test listens on, nothing else. */
static void bare_start(Bare *b, const char *extra)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char *cmdline;
    char **argv;
    GError *err = NULL;

    b->dir = g_dir_make_tmp("emunet-proto-XXXXXX", &err);
    g_assert_no_error(err);
    b->path = g_build_filename(b->dir, "q.sock", NULL);
    b->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(b->lfd, >=, 0);
    strcpy(sa.sun_path, b->path);
    g_assert_cmpint(bind(b->lfd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(b->lfd, 1), ==, 0);
    cmdline = g_strdup_printf("%s -qtest unix:%s -qtest-log none %s",
                              emunet_binary(), b->path, extra);
    g_assert_true(g_shell_parse_argv(cmdline, NULL, &argv, &err));
    g_assert_true(
        g_spawn_async(NULL, argv, NULL,
                      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, &b->pid, &err));
    g_assert_no_error(err);
    b->fd = accept4(b->lfd, NULL, NULL, SOCK_CLOEXEC);
    g_assert_cmpint(b->fd, >=, 0);
    g_strfreev(argv);
    g_free(cmdline);
}

/* Read one reply line from the bare qtest socket. */
static char *bare_command(Bare *b, const char *cmd)
{
    GString *line = g_string_new(NULL);
    char c;

    g_assert_cmpint(send(b->fd, cmd, strlen(cmd), MSG_NOSIGNAL), ==,
                    (ssize_t)strlen(cmd));
    while (recv(b->fd, &c, 1, 0) == 1 && c != '\n') {
        g_string_append_c(line, c);
    }
    return g_string_free(line, FALSE);
}

/* Wait for emunet to exit; returns its wait status. */
static int bare_wait(Bare *b)
{
    int wstatus = 0;

    for (int i = 0; i < 30000; i++) {
        pid_t r = waitpid(b->pid, &wstatus, WNOHANG);

        if (r == b->pid) {
            return wstatus;
        }
        g_usleep(1000);
    }
    kill(b->pid, SIGKILL);
    g_error("emunet did not exit");
}

static void bare_cleanup(Bare *b)
{
    if (b->fd >= 0) {
        close(b->fd);
    }
    close(b->lfd);
    g_unlink(b->path);
    g_rmdir(b->dir);
    g_free(b->path);
    g_free(b->dir);
    g_spawn_close_pid(b->pid);
}

static void test_exit_on_eof(void)
{
    Bare b;
    int ws;

    bare_start(&b, "");
    assert_reply(bare_command(&b, "endianness\n"), "OK little");
    close(b.fd);
    b.fd = -1;
    ws = bare_wait(&b);
    g_assert_true(WIFEXITED(ws));
    g_assert_cmpint(WEXITSTATUS(ws), ==, 0);
    bare_cleanup(&b);
}

static void test_exit_on_signal(gconstpointer data)
{
    int sig = GPOINTER_TO_INT(data);
    Bare b;
    int ws;

    bare_start(&b, "-device e1000");
    assert_reply(bare_command(&b, "endianness\n"), "OK little");
    kill(b.pid, sig);
    ws = bare_wait(&b);
    g_assert_true(WIFEXITED(ws));
    g_assert_cmpint(WEXITSTATUS(ws), ==, 0);
    bare_cleanup(&b);
}

/* -qtest ...,server=on: emunet listens and the client connects. */
static void test_server_mode(gconstpointer data)
{
    const char *mode = data;
    char *dir = g_dir_make_tmp("emunet-srv-XXXXXX", NULL);
    char *path = g_build_filename(dir, "q.sock", NULL);
    char *cmdline = g_strdup_printf("%s -qtest unix:%s,%s -qtest-log none",
                                    emunet_binary(), path, mode);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    Bare b = {.dir = dir, .path = path, .lfd = -1, .fd = -1};
    char **argv;
    int ws, i;

    g_assert_true(g_shell_parse_argv(cmdline, NULL, &argv, NULL));
    g_assert_true(
        g_spawn_async(NULL, argv, NULL,
                      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, &b.pid, NULL));
    strcpy(sa.sun_path, path);
    for (i = 0; i < 10000; i++) {
        b.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(b.fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            break;
        }
        close(b.fd);
        b.fd = -1;
        g_usleep(1000);
    }
    g_assert_cmpint(b.fd, >=, 0);
    assert_reply(bare_command(&b, "endianness\n"), "OK little");
    close(b.fd);
    b.fd = -1;
    ws = bare_wait(&b);
    g_assert_true(WIFEXITED(ws));
    g_assert_cmpint(WEXITSTATUS(ws), ==, 0);
    /* The listening socket file goes away with emunet. */
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    g_rmdir(dir);
    g_spawn_close_pid(b.pid);
    g_strfreev(argv);
    g_free(cmdline);
    g_free(path);
    g_free(dir);
}

/* A NIC on a socket netdev comes up and is torn down cleanly. */
static void test_netdev_device(void)
{
    int sv[2];
    QTestState *s;

    qtest_socketpair(sv);
    s = qtest_initf("-netdev socket,id=n0,fd=%d "
                    "-device e1000,netdev=n0,mac=52:54:00:12:34:56,id=nic0 "
                    "-device e1000,x-xen-oui=on",
                    sv[1]);
    assert_reply(qtest_command(s, "endianness"), "OK little");
    qtest_quit(s);
    close(sv[0]);
}

/* A client that sends half a command and vanishes must not matter. */
static void test_partial_line_then_eof(void)
{
    Bare b;
    int ws;

    bare_start(&b, "");
    g_assert_cmpint(send(b.fd, "writel 0x1000 0x12", 18, MSG_NOSIGNAL), ==, 18);
    assert_reply(bare_command(&b, "34\nreadl 0x1000\n"), "OK");
    {
        GString *line = g_string_new(NULL);
        char c;

        while (recv(b.fd, &c, 1, 0) == 1 && c != '\n') {
            g_string_append_c(line, c);
        }
        g_assert_cmpstr(line->str, ==, "OK 0x0000000000001234");
        g_string_free(line, TRUE);
    }
    g_assert_cmpint(send(b.fd, "readl 0x10", 10, MSG_NOSIGNAL), ==, 10);
    close(b.fd);
    b.fd = -1;
    ws = bare_wait(&b);
    g_assert_true(WIFEXITED(ws));
    g_assert_cmpint(WEXITSTATUS(ws), ==, 0);
    bare_cleanup(&b);
}

/* ---- qtest protocol ---- */

static void test_reply_formats(void)
{
    QTestState *s = qtest_init("-m 16M");

    /* Port I/O: unassigned ports read all-ones, "0x%04x" for every size. */
    assert_reply(qtest_command(s, "inb 0x80"), "OK 0x00ff");
    assert_reply(qtest_command(s, "inw 0x80"), "OK 0xffff");
    assert_reply(qtest_command(s, "inl 0x80"), "OK 0xffffffff");
    assert_reply(qtest_command(s, "outb 0x80 0x12"), "OK");
    assert_reply(qtest_command(s, "outw 0x80 0x1234"), "OK");
    assert_reply(qtest_command(s, "outl 0x80 0x12345678"), "OK");
    /* CONFIG_ADDRESS reads back; 00:00.0 is the i440FX host bridge. */
    assert_reply(qtest_command(s, "outl 0xcf8 0x80000000"), "OK");
    assert_reply(qtest_command(s, "inl 0xcf8"), "OK 0x80000000");
    assert_reply(qtest_command(s, "inl 0xcfc"), "OK 0x12378086");
    assert_reply(qtest_command(s, "inw 0xcfe"), "OK 0x1237");
    assert_reply(qtest_command(s, "inb 0xcfc"), "OK 0x0086");

    /* Memory: "0x%016" PRIx64 for every size, little-endian. */
    assert_reply(qtest_command(s, "writeq 0x1000 0x1122334455667788"), "OK");
    assert_reply(qtest_command(s, "readb 0x1000"), "OK 0x0000000000000088");
    assert_reply(qtest_command(s, "readw 0x1000"), "OK 0x0000000000007788");
    assert_reply(qtest_command(s, "readl 0x1000"), "OK 0x0000000055667788");
    assert_reply(qtest_command(s, "readq 0x1000"), "OK 0x1122334455667788");
    assert_reply(qtest_command(s, "writeb 0x1001 0xaa"), "OK");
    assert_reply(qtest_command(s, "writew 0x1002 0xbbcc"), "OK");
    assert_reply(qtest_command(s, "writel 0x1004 0x01020304"), "OK");
    assert_reply(qtest_command(s, "readq 0x1000"), "OK 0x01020304bbccaa88");
    /* Decimal and octal numbers parse as strtoull base 0 does. */
    assert_reply(qtest_command(s, "readb 4096"), "OK 0x0000000000000088");
    assert_reply(qtest_command(s, "readb 010000"), "OK 0x0000000000000088");
    /* A write value wider than the access is truncated, as in QEMU. */
    assert_reply(qtest_command(s, "writeb 0x1000 0x1ff"), "OK");
    assert_reply(qtest_command(s, "readb 0x1000"), "OK 0x00000000000000ff");

    assert_reply(qtest_command(s, "read 0x1000 4"), "OK 0xffaaccbb");
    assert_reply(qtest_command(s, "b64read 0x1000 4"), "OK /6rMuw==");
    assert_reply(qtest_command(s, "b64read 0x1000 0"), "OK ");
    assert_reply(qtest_command(s, "write 0x2000 3 0x010203"), "OK");
    assert_reply(qtest_command(s, "read 0x2000 3"), "OK 0x010203");
    assert_reply(qtest_command(s, "b64write 0x2000 3 BAUG"), "OK");
    assert_reply(qtest_command(s, "read 0x2000 3"), "OK 0x040506");
    assert_reply(qtest_command(s, "memset 0x2000 2 0x7f"), "OK");
    assert_reply(qtest_command(s, "read 0x2000 3"), "OK 0x7f7f06");
    assert_reply(qtest_command(s, "memset 0x2000 0 0x11"), "OK");
    assert_reply(qtest_command(s, "endianness"), "OK little");
    assert_reply(qtest_command(s, "irq_intercept_in ioapic"), "OK");
    assert_reply(qtest_command(s, "irq_intercept_in ioapic"), "OK");
    assert_reply(qtest_command(s, "irq_intercept_out other"),
                 "FAIL IRQ intercept already enabled");
    qtest_quit(s);
}

static void test_failures_keep_connection(void)
{
    static const struct {
        const char *cmd;
        const char *reply_prefix;
    } cases[] = {
        {"bogus", "FAIL Unknown command 'bogus'"},
        {"", "FAIL Unknown command ''"},
        {"set_irq_in ioapic unnamed-gpio-in 0 1", "FAIL Unknown command"},
        {"INB 0x80", "FAIL Unknown command 'INB'"},
        {"inb", "FAIL"},
        {"inb 0x10000", "FAIL"},
        {"outb 0x10000 0", "FAIL"},
        {"outb 0x80", "FAIL"},
        {"inb zz", "FAIL"},
        {"inb 0x80 0x81", "FAIL"},
        {"readl 0x1000x", "FAIL"},
        {"readl", "FAIL"},
        {"readq 99999999999999999999999", "FAIL"},
        {"writel 0x1000", "FAIL"},
        {"writel 0x1000 garbage", "FAIL"},
        {"read 0x1000 0", "FAIL"},
        {"read 0x1000", "FAIL"},
        {"read 0x1000 -", "FAIL"},
        {"write 0x1000 4", "FAIL"},
        {"write 0x1000 4 0x", "FAIL"},
        {"write 0x1000 4 12345678", "FAIL"},
        {"write 0x1000 4 0x12zz5678", "FAIL"},
        {"b64write 0x1000 4 A", "FAIL"},
        {"b64read 0x1000", "FAIL"},
        {"memset 0x1000 4", "FAIL"},
        {"memset 0x1000 4 x", "FAIL"},
        {"clock_step abc", "FAIL"},
        {"clock_set", "FAIL"},
        {"clock_set 1e9", "FAIL"},
        {"irq_intercept_in", "FAIL"},
        {"\x01\x02\xff\xfe zz", "FAIL Unknown command"},
    };
    QTestState *s = qtest_init("-m 16M");
    char *big;

    assert_reply(qtest_command(s, "writel 0x1000 0x12345678"), "OK");
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        assert_reply_prefix(qtest_command(s, "%s", cases[i].cmd),
                            cases[i].reply_prefix);
        /* Nothing was written, and the connection still works. */
        assert_reply(qtest_command(s, "readl 0x1000"), "OK 0x0000000012345678");
    }
    /* A long unknown command is echoed shortened, on one line. */
    big = g_strnfill(100000, 'x');
    assert_reply_prefix(qtest_command(s, "%s", big), "FAIL Unknown command");
    g_free(big);
    /* Carriage returns (telnet-style clients) are tolerated. */
    assert_reply(qtest_command(s, "endianness\r"), "OK little");
    /* Extra spaces between words are tolerated. */
    assert_reply(qtest_command(s, "readl  0x1000"), "OK 0x0000000012345678");
    g_assert_true(qtest_alive(s));
    qtest_quit(s);
}

static void test_memory_round_trips(void)
{
    static const size_t sizes[] = {1,   2,    3,     7,          8,
                                   255, 4096, 65537, 3 * MiB + 5};
    QTestState *s = qtest_init("-m 64M");
    uint64_t base = 2 * MiB;

    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        size_t n = sizes[i];
        uint8_t *out = g_malloc(n), *in = g_malloc0(n);
        char *hex;

        for (size_t j = 0; j < n; j++) {
            out[j] = (uint8_t)(j * 7 + i + 1);
        }
        qtest_memwrite(s, base, out, n);
        qtest_memread(s, base, in, n);
        g_assert_cmpmem(in, n, out, n);

        /* Hex read of the same bytes. */
        if (n <= 65537) {
            hex = qtest_command(s, "read 0x%" G_GINT64_MODIFIER "x 0x%zx",
                                (gint64)base, n);
            g_assert_true(g_str_has_prefix(hex, "OK 0x"));
            g_assert_cmpuint(strlen(hex), ==, 5 + 2 * n);
            for (size_t j = 0; j < n; j++) {
                unsigned v;

                g_assert_cmpint(sscanf(hex + 5 + 2 * j, "%2x", &v), ==, 1);
                g_assert_cmpuint(v, ==, out[j]);
            }
            g_free(hex);
        }

        qtest_memset(s, base, 0x5a, n);
        qtest_memread(s, base, in, n);
        for (size_t j = 0; j < n; j++) {
            g_assert_cmpuint(in[j], ==, 0x5a);
        }
        g_free(out);
        g_free(in);
    }
    /* Size 0 is a no-op for every bulk write. */
    qtest_memset(s, base, 0x11, 0);
    assert_reply(
        qtest_command(s, "readb 0x%" G_GINT64_MODIFIER "x", (gint64)base),
        "OK 0x000000000000005a");
    /* Short hex data is zero-filled up to SIZE, as in QEMU. */
    assert_reply(qtest_command(s, "write 0x3000 4 0xaabb"), "OK");
    assert_reply(qtest_command(s, "read 0x3000 4"), "OK 0xaabb0000");
    /* Short base64 data is zero-filled too. */
    assert_reply(qtest_command(s, "b64write 0x3000 4 //8="), "OK");
    assert_reply(qtest_command(s, "read 0x3000 4"), "OK 0xffff0000");
    /* The very last bytes of RAM. */
    qtest_writel(s, 64 * MiB - 4, 0xcafef00d);
    g_assert_cmphex(qtest_readl(s, 64 * MiB - 4), ==, 0xcafef00d);
    assert_reply(qtest_command(s, "read 0x%x 4", 64 * MiB - 4),
                 "OK 0x0df0feca");
    qtest_quit(s);
}

static void test_beyond_ram(void)
{
    QTestState *s = qtest_init("-m 16M");
    uint64_t end = 16 * MiB;
    uint8_t buf[4] = {1, 2, 3, 4};

    qtest_memwrite(s, end - 4, buf, 4);
    /* Bulk commands over missing RAM fail and change nothing. */
    assert_reply_prefix(
        qtest_command(s, "read 0x%" G_GINT64_MODIFIER "x 1", (gint64)end),
        "FAIL");
    assert_reply_prefix(qtest_command(s, "b64read 0x%" G_GINT64_MODIFIER "x 8",
                                      (gint64)(end - 4)),
                        "FAIL");
    assert_reply_prefix(
        qtest_command(s, "write 0x%" G_GINT64_MODIFIER "x 8 0xffffffffffffffff",
                      (gint64)(end - 4)),
        "FAIL");
    assert_reply_prefix(
        qtest_command(s, "b64write 0x%" G_GINT64_MODIFIER "x 8 //////////8=",
                      (gint64)(end - 4)),
        "FAIL");
    assert_reply_prefix(qtest_command(s,
                                      "memset 0x%" G_GINT64_MODIFIER "x 8 0xff",
                                      (gint64)(end - 4)),
                        "FAIL");
    assert_reply_prefix(qtest_command(s,
                                      "memset 0x0 0x%" G_GINT64_MODIFIER "x 0",
                                      (gint64)(end + 1)),
                        "FAIL");
    assert_reply_prefix(qtest_command(s, "read 0x0 0xffffffffffffffff"),
                        "FAIL");
    assert_reply_prefix(qtest_command(s, "read 0xfffffffffffffff0 0x20"),
                        "FAIL");
    assert_reply_prefix(qtest_command(s, "b64read 0x100000000 16"), "FAIL");
    assert_reply(
        qtest_command(s, "read 0x%" G_GINT64_MODIFIER "x 4", (gint64)(end - 4)),
        "OK 0x01020304");
    /* A CPU access to nothing reads all-ones; a write is dropped. */
    g_assert_cmphex(qtest_readl(s, end), ==, 0xffffffff);
    g_assert_cmphex(qtest_readq(s, 0xfebf0000), ==, UINT64_MAX);
    g_assert_cmphex(qtest_readb(s, 0xffffffffffffffffULL), ==, 0xff);
    qtest_writel(s, end, 0x12345678);
    g_assert_cmphex(qtest_readl(s, end), ==, 0xffffffff);
    /* Straddling the end: the RAM half is RAM, the rest all-ones. */
    g_assert_cmphex(qtest_readq(s, end - 4), ==, 0xffffffff04030201ULL);
    g_assert_true(qtest_alive(s));
    qtest_quit(s);
}

/* One bulk command covers at most 256 MiB, even where RAM is larger. */
static void test_bulk_limit(void)
{
    QTestState *s = qtest_init("-m 300M");

    assert_reply_prefix(qtest_command(s, "b64read 0 0x10000001"),
                        "FAIL b64read: size is larger than");
    assert_reply_prefix(qtest_command(s, "memset 0 0x10000001 0"),
                        "FAIL memset: size is larger than");
    assert_reply(qtest_command(s, "memset 0x%x 16 0x3c", 299 * MiB), "OK");
    assert_reply(qtest_command(s, "read 0x%x 2", 299 * MiB), "OK 0x3c3c");
    qtest_quit(s);
}

static void test_clock(void)
{
    QTestState *s = qtest_init(NULL);

    assert_reply(qtest_command(s, "clock_step 0"), "OK 0");
    g_assert_cmpint(qtest_clock_step(s, 100), ==, 100);
    g_assert_cmpint(qtest_clock_step(s, 0x10), ==, 116);
    /* clock_set never goes back. */
    g_assert_cmpint(qtest_clock_set(s, 50), ==, 116);
    g_assert_cmpint(qtest_clock_set(s, 1000000), ==, 1000000);
    /* Negative steps move nothing. */
    assert_reply(qtest_command(s, "clock_step -5"), "OK 1000000");
    /* No timer armed: "clock_step" alone leaves the clock where it is. */
    g_assert_cmpint(qtest_clock_step_next(s), ==, 1000000);
    /* Huge steps saturate instead of wrapping. */
    g_assert_cmpint(qtest_clock_step(s, INT64_MAX), ==, INT64_MAX);
    g_assert_cmpint(qtest_clock_step(s, 1), ==, INT64_MAX);
    qtest_quit(s);
}

/* ---- QMP ---- */

static void test_qmp_commands(void)
{
    QTestState *s = qtest_init(NULL);

    assert_reply(qtest_qmp(s, "{\"execute\": \"query-status\"}"),
                 "{\"return\": {\"status\": \"running\", \"singlestep\": "
                 "false, \"running\": true}}");
    assert_reply(qtest_qmp(s, "{\"execute\": \"query-status\", "
                              "\"id\": \"abc\"}"),
                 "{\"return\": {\"status\": \"running\", \"singlestep\": "
                 "false, \"running\": true}, \"id\": \"abc\"}");
    assert_reply(qtest_qmp(s, "{\"execute\": \"query-version\"}"),
                 "{\"return\": {\"qemu\": {\"micro\": 0, \"minor\": 2, "
                 "\"major\": 7}, \"package\": \"emunet 0.1.0\"}}");
    assert_reply(qtest_qmp(s, "{\"execute\": \"qmp_capabilities\"}"),
                 "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
                 "\"Capabilities negotiation is already complete, command "
                 "ignored\"}}");
    assert_reply(qtest_qmp(s, "{\"execute\": \"no-such-cmd\", \"id\": 7}"),
                 "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
                 "\"The command no-such-cmd has not been found\"}, "
                 "\"id\": 7}");
    assert_reply_prefix(qtest_qmp(s, "{\"execute\": }"),
                        "{\"error\": {\"class\": \"GenericError\"");
    assert_reply_prefix(qtest_qmp(s, "}"),
                        "{\"error\": {\"class\": \"GenericError\"");
    assert_reply_prefix(qtest_qmp(s, "[1, 2]"),
                        "{\"error\": {\"class\": \"GenericError\", \"desc\": "
                        "\"QMP input must be a JSON object\"");
    assert_reply_prefix(qtest_qmp(s, "{\"arguments\": {}}"),
                        "{\"error\": {\"class\": \"GenericError\", \"desc\": "
                        "\"QMP input lacks member 'execute'\"");
    assert_reply_prefix(qtest_qmp(s, "{\"execute\": 3}"),
                        "{\"error\": {\"class\": \"GenericError\"");
    assert_reply_prefix(qtest_qmp(s, "{\"execute\": \"quit\", "
                                     "\"arguments\": 1}"),
                        "{\"error\": {\"class\": \"GenericError\"");
    assert_reply_prefix(qtest_qmp(s, "{\"execute\": \"quit\", "
                                     "\"arguments\": {\"force\": true}}"),
                        "{\"error\": {\"class\": \"GenericError\", \"desc\": "
                        "\"Parameter 'force' is unexpected\"");
    assert_reply_prefix(qtest_qmp(s, "{\"execute\": \"quit\", \"x\": 1}"),
                        "{\"error\": {\"class\": \"GenericError\"");
    assert_reply_prefix(qtest_qmp(s, "{\"execute\": \"query-commands\"}"),
                        "{\"return\": [{\"name\": \"qmp_capabilities\"}");
    assert_reply(qtest_qmp(s, "{\"execute\": \"system_reset\"}"),
                 "{\"return\": {}}");
    /* Still alive and answering after all of that. */
    assert_reply(qtest_command(s, "endianness"), "OK little");
    qtest_quit(s);
}

/* A second QMP monitor (-qmp, server side) seen by a raw client. */
static void test_qmp_negotiation(void)
{
    char *dir = g_dir_make_tmp("emunet-qmp-XXXXXX", NULL);
    char *path = g_build_filename(dir, "qmp2.sock", NULL);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    QTestState *s = qtest_initf("-qmp unix:%s,server=on,wait=off", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    FILE *f;
    char line[1024];
    const char *cmds = "{\"execute\": \"query-status\"}"
                       "{\"execute\":\"qmp_capabilities\",\"id\":1}\n"
                       "{\"execute\": \"query-status\",\n \"id\": [2]}\n";

    strcpy(sa.sun_path, path);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    f = fdopen(fd, "r+");
    g_assert_nonnull(fgets(line, sizeof(line), f));
    g_assert_cmpstr(line, ==,
                    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, "
                    "\"minor\": 2, \"major\": 7}, \"package\": "
                    "\"emunet 0.1.0\"}, \"capabilities\": []}}\n");
    /* Objects back to back and split across lines, as QEMU accepts. */
    g_assert_cmpint(send(fd, cmds, strlen(cmds), MSG_NOSIGNAL), ==,
                    (ssize_t)strlen(cmds));
    g_assert_nonnull(fgets(line, sizeof(line), f));
    g_assert_cmpstr(line, ==,
                    "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
                    "\"Expecting capabilities negotiation with "
                    "'qmp_capabilities'\"}}\n");
    g_assert_nonnull(fgets(line, sizeof(line), f));
    g_assert_cmpstr(line, ==, "{\"return\": {}, \"id\": 1}\n");
    g_assert_nonnull(fgets(line, sizeof(line), f));
    g_assert_cmpstr(line, ==,
                    "{\"return\": {\"status\": \"running\", \"singlestep\": "
                    "false, \"running\": true}, \"id\": [2]}\n");
    fclose(f);
    /* The server takes a new client, which must negotiate again. */
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    f = fdopen(fd, "r+");
    g_assert_nonnull(fgets(line, sizeof(line), f));
    g_assert_true(g_str_has_prefix(line, "{\"QMP\""));
    fclose(f);
    qtest_quit(s);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

/* ---- -qtest-log ---- */

static void test_qtest_log(void)
{
    char *dir = g_dir_make_tmp("emunet-log-XXXXXX", NULL);
    char *log = g_build_filename(dir, "qtest.log", NULL);
    QTestState *s = qtest_initf("-qtest-log %s", log);
    char *text;

    assert_reply(qtest_command(s, "endianness"), "OK little");
    qtest_quit(s);
    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    g_assert_nonnull(strstr(text, "] endianness\n"));
    g_assert_nonnull(strstr(text, "] OK little\n"));
    g_assert_nonnull(strstr(text, "[R +"));
    g_assert_nonnull(strstr(text, "[S +"));
    g_free(text);
    g_unlink(log);
    g_rmdir(dir);
    g_free(log);
    g_free(dir);
}

/* ---- memory backends ---- */

static void test_shared_file_backend(void)
{
    char *dir = g_dir_make_tmp("emunet-mem-XXXXXX", NULL);
    char *path = g_build_filename(dir, "ram", NULL);
    QTestState *s = qtest_initf("-object memory-backend-file,id=mem,"
                                "size=16M,mem-path=%s,share=on "
                                "-machine memory-backend=mem -m 16M",
                                path);
    int fd = open(path, O_RDWR);
    volatile uint8_t *ram;

    g_assert_cmpint(fd, >=, 0);
    ram = mmap(NULL, 16 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    g_assert_true(ram != MAP_FAILED);
    /* emunet's writes appear in the client's mapping ... */
    qtest_writel(s, 0x10000, 0xa1b2c3d4);
    g_assert_cmphex(ram[0x10000], ==, 0xd4);
    g_assert_cmphex(ram[0x10003], ==, 0xa1);
    qtest_memset(s, 16 * MiB - 16, 0x66, 16);
    g_assert_cmphex(ram[16 * MiB - 1], ==, 0x66);
    /* ... and the client's writes are guest memory. */
    ram[0x20000] = 0x42;
    ram[0x20001] = 0x43;
    g_assert_cmphex(qtest_readw(s, 0x20000), ==, 0x4342);
    g_assert_cmpuint(qtest_guest_alloc(s, 4096, 4096) + 4096, <=, 16 * MiB);
    qtest_quit(s);
    munmap((void *)ram, 16 * MiB);
    close(fd);
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

static void test_memfd_backend(void)
{
    QTestState *s = qtest_init("-object memory-backend-memfd,id=mem,"
                               "size=32M -machine memory-backend=mem");

    /* Without -m, RAM is the backend's size. */
    qtest_writel(s, 32 * MiB - 4, 0x01020304);
    g_assert_cmphex(qtest_readl(s, 32 * MiB - 4), ==, 0x01020304);
    assert_reply_prefix(qtest_command(s, "read 0x%x 1", 32 * MiB), "FAIL");
    qtest_quit(s);
}

static void test_default_ram_size(void)
{
    QTestState *s = qtest_init(NULL);

    /* 128 MiB by default, as QEMU. */
    assert_reply(qtest_command(s, "read 0x%x 1", 128 * MiB - 1), "OK 0x00");
    assert_reply_prefix(qtest_command(s, "read 0x%x 1", 128 * MiB), "FAIL");
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/proto/cli/version", test_cli_version);
    g_test_add_func("/proto/cli/help", test_cli_help);
    g_test_add_func("/proto/cli/errors", test_cli_errors);
    g_test_add_func("/proto/exit/eof", test_exit_on_eof);
    g_test_add_data_func("/proto/exit/sigterm", GINT_TO_POINTER(SIGTERM),
                         test_exit_on_signal);
    g_test_add_data_func("/proto/exit/sigint", GINT_TO_POINTER(SIGINT),
                         test_exit_on_signal);
    g_test_add_data_func("/proto/exit/sighup", GINT_TO_POINTER(SIGHUP),
                         test_exit_on_signal);
    g_test_add_func("/proto/exit/partial-line", test_partial_line_then_eof);
    g_test_add_data_func("/proto/server/nowait", "server=on,wait=off",
                         test_server_mode);
    g_test_add_data_func("/proto/server/wait", "server=on", test_server_mode);
    g_test_add_func("/proto/netdev-device", test_netdev_device);
    g_test_add_func("/proto/qtest/formats", test_reply_formats);
    g_test_add_func("/proto/qtest/failures", test_failures_keep_connection);
    g_test_add_func("/proto/qtest/memory", test_memory_round_trips);
    g_test_add_func("/proto/qtest/beyond-ram", test_beyond_ram);
    g_test_add_func("/proto/qtest/bulk-limit", test_bulk_limit);
    g_test_add_func("/proto/qtest/clock", test_clock);
    g_test_add_func("/proto/qtest/log", test_qtest_log);
    g_test_add_func("/proto/qmp/commands", test_qmp_commands);
    g_test_add_func("/proto/qmp/negotiation", test_qmp_negotiation);
    g_test_add_func("/proto/mem/shared-file", test_shared_file_backend);
    g_test_add_func("/proto/mem/memfd", test_memfd_backend);
    g_test_add_func("/proto/mem/default", test_default_ram_size);
    return g_test_run();
}
