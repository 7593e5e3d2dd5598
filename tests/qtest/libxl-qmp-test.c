/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxl mode end to end, under the qtest transport: emunet is started
 * with the argv libxl 4.17 builds (xen-dm-contract.md §1.2; plus -qtest,
 * which replaces the Xen transport) and a stand-in companion
 * (companion-stub.c, which records its argv and every QMP message), and
 * the test plays libxl on the QMP sockets: one connection per operation,
 * "\r\n" framing, integer ids, the command sequences of §1.8 (start,
 * post-config, unpause, pause, save's stop, destroy by SIGHUP), with and
 * without dm_restrict (pre-opened QMP fd, -S) and without a companion.
 * The NIC's backend is a socketpair (-netdev socket) instead of a tap.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libxl-qmp.h"

int listen_unix(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpuint(strlen(path), <, sizeof(sa.sun_path));
    strcpy(sa.sun_path, path);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(fd, 4), ==, 0);
    return fd;
}

char *emu_stderr(Emu *e)
{
    char *text = NULL;

    g_file_get_contents(e->err_path, &text, NULL, NULL);
    return text ? text : g_strdup("");
}

char *stub_log(Emu *e)
{
    char *text = NULL;

    g_file_get_contents(e->stub_log, &text, NULL, NULL);
    return text ? text : g_strdup("");
}

/* Wait for emunet to exit; false on timeout. */
bool emu_wait(Emu *e, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000LL;

    while (!e->reaped) {
        pid_t r = waitpid(e->pid, &e->status, WNOHANG);

        if (r == e->pid) {
            e->reaped = true;
            break;
        }
        if (g_get_monotonic_time() > deadline) {
            return false;
        }
        g_usleep(10000);
    }
    return true;
}

int emu_exit_code(Emu *e)
{
    g_assert_true(emu_wait(e, TIMEOUT_MS));
    if (!WIFEXITED(e->status)) {
        g_autofree char *err = emu_stderr(e);

        g_test_message("emunet ended by signal %d; stderr:\n%s",
                       WIFSIGNALED(e->status) ? WTERMSIG(e->status) : -1,
                       err);
    }
    g_assert_true(WIFEXITED(e->status));
    return WEXITSTATUS(e->status);
}

/*
 * Start emunet with `args` after the qtest options. `pass_fd` (or -1) is
 * inherited as it is. Returns once emunet connected its qtest socket.
 */
Emu *emu_start_argv(const char *const *args, int pass_fd, bool expect_up)
{
    Emu *e = g_new0(Emu, 1);
    g_autofree char *qtest_path = NULL;
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    int lfd, errfd;
    struct pollfd pfd;

    e->dir = g_dir_make_tmp("emunet-libxl-XXXXXX", NULL);
    g_assert_nonnull(e->dir);
    qtest_path = g_build_filename(e->dir, "qtest.sock", NULL);
    e->err_path = g_build_filename(e->dir, "stderr.log", NULL);
    e->stub_log = g_build_filename(e->dir, "stub.log", NULL);
    e->libxl_path = g_build_filename(e->dir, "qmp-libxl-5", NULL);
    e->xenstat_path = g_build_filename(e->dir, "qmp-libxenstat-5", NULL);
    e->qtest_fd = -1;
    e->wire_fd = -1;
    lfd = listen_unix(qtest_path);
    errfd = open(e->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    g_assert_cmpint(errfd, >=, 0);

    g_ptr_array_add(argv, g_strdup(g_getenv("EMUNET_BINARY")));
    g_ptr_array_add(argv, g_strdup("-qtest"));
    g_ptr_array_add(argv, g_strdup_printf("unix:%s", qtest_path));
    g_ptr_array_add(argv, g_strdup("-qtest-log"));
    g_ptr_array_add(argv, g_strdup("/dev/null"));
    for (int i = 0; args[i]; i++) {
        char *a = g_strdup(args[i]);
        char *p;

        /* "@" stands for the private directory. */
        while ((p = strchr(a, '@'))) {
            char *b =
                g_strdup_printf("%.*s%s%s", (int)(p - a), a, e->dir, p + 1);

            g_free(a);
            a = b;
        }
        g_ptr_array_add(argv, a);
    }
    g_ptr_array_add(argv, NULL);
    g_setenv("EMUNET_STUB_LOG", e->stub_log, TRUE);

    e->pid = fork();
    g_assert_cmpint(e->pid, >=, 0);
    if (e->pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);

        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(errfd, 1) < 0 ||
            dup2(errfd, 2) < 0) {
            _exit(127);
        }
        if (pass_fd >= 0) {
            fcntl(pass_fd, F_SETFD, 0);
        }
        execv(g_ptr_array_index(argv, 0), (char **)argv->pdata);
        _exit(127);
    }
    close(errfd);
    if (!expect_up) {
        close(lfd);
        return e;
    }
    pfd = (struct pollfd){.fd = lfd, .events = POLLIN};
    if (poll(&pfd, 1, TIMEOUT_MS) != 1) {
        g_autofree char *err = emu_stderr(e);

        g_test_message("emunet stderr:\n%s", err);
        g_assert_not_reached();
    }
    e->qtest_fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    g_assert_cmpint(e->qtest_fd, >=, 0);
    close(lfd);
    return e;
}

void emu_free(Emu *e)
{
    if (!e->reaped) {
        kill(e->pid, SIGKILL);
        emu_wait(e, TIMEOUT_MS);
    }
    if (e->qtest_fd >= 0) {
        close(e->qtest_fd);
    }
    if (e->wire_fd >= 0) {
        close(e->wire_fd);
    }
    g_unlink(e->err_path);
    g_unlink(e->stub_log);
    g_unlink(e->libxl_path);
    g_unlink(e->xenstat_path);
    g_rmdir(e->dir);
    g_free(e->dir);
    g_free(e->err_path);
    g_free(e->stub_log);
    g_free(e->libxl_path);
    g_free(e->xenstat_path);
    g_free(e);
}

/* ---- a libxl-style QMP client ---- */

/* One message; asserts QEMU's "\r\n" framing. Owned by the caller. */
char *qmp_line(Qmp *q)
{
    gint64 deadline = g_get_monotonic_time() + TIMEOUT_MS * 1000LL;

    for (;;) {
        char *nl = memchr(q->rx->str, '\n', q->rx->len);
        struct pollfd pfd = {.fd = q->fd, .events = POLLIN};
        char buf[4096];
        ssize_t n;

        if (nl) {
            size_t len = (size_t)(nl - q->rx->str);
            char *line;

            g_assert_cmpuint(len, >, 0);
            g_assert_cmpint(q->rx->str[len - 1], ==, '\r');
            line = g_strndup(q->rx->str, len - 1);
            g_string_erase(q->rx, 0, (gssize)len + 1);
            return line;
        }
        g_assert_cmpint(
            poll(&pfd, 1, (int)((deadline - g_get_monotonic_time()) / 1000)),
            ==, 1);
        n = recv(q->fd, buf, sizeof(buf), 0);
        g_assert_cmpint(n, >, 0);
        g_string_append_len(q->rx, buf, n);
    }
}

Qmp *qmp_open_fd(int fd)
{
    Qmp *q = g_new0(Qmp, 1);

    q->fd = fd;
    q->rx = g_string_new(NULL);
    q->greeting = qmp_line(q);
    g_assert_true(g_str_has_prefix(q->greeting, "{\"QMP\": {\"version\": "));
    return q;
}

Qmp *qmp_open(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    strcpy(sa.sun_path, path);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    return qmp_open_fd(fd);
}

void qmp_close(Qmp *q)
{
    close(q->fd);
    g_string_free(q->rx, TRUE);
    g_free(q->greeting);
    g_free(q);
}

void qmp_send(Qmp *q, const char *json)
{
    g_autofree char *t = g_strdup_printf("%s\r\n", json);

    g_assert_cmpint(send(q->fd, t, strlen(t), MSG_NOSIGNAL), ==,
                    (ssize_t)strlen(t));
}

/* The next message that is not an event. */
char *qmp_reply(Qmp *q)
{
    for (;;) {
        char *line = qmp_line(q);

        if (!strstr(line, "\"event\"")) {
            return line;
        }
        g_free(line);
    }
}

char *qmp_cmd(Qmp *q, const char *json)
{
    qmp_send(q, json);
    return qmp_reply(q);
}

void qmp_check(Qmp *q, const char *json, const char *want)
{
    g_autofree char *got = qmp_cmd(q, json);

    g_assert_cmpstr(got, ==, want);
}

/* libxl's connection: greeting, then qmp_capabilities with id 1. */
Qmp *libxl_connect(const char *path)
{
    Qmp *q = qmp_open(path);

    qmp_check(q, "{\"execute\":\"qmp_capabilities\",\"id\":1}",
              "{\"return\": {}, \"id\": 1}");
    return q;
}

/* ---- argv ---- */

/* §1.2's argv with the e1000 on a socketpair, and the stub companion. */
Emu *start_libxl(bool with_nic)
{
    int sv[2];
    g_autofree char *netdev = NULL;
    Emu *e;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==,
                    0);
    netdev = g_strdup_printf("type=socket,id=net0,fd=%d", sv[1]);
    {
        const char *nic[] = {"-xen-domid",
                             "5",
                             "-no-shutdown",
                             LIBXL_QMP_PATHS,
                             LIBXL_MIDDLE,
                             "-device",
                             "e1000,id=nic0,netdev=net0,mac=00:16:3e:11:22:33",
                             "-netdev",
                             netdev,
                             LIBXL_TAIL,
                             "--companion",
                             g_getenv("EMUNET_STUB"),
                             NULL};
        const char *none[] = {"-xen-domid",
                              "5",
                              "-no-shutdown",
                              LIBXL_QMP_PATHS,
                              LIBXL_MIDDLE,
                              "-net",
                              "none",
                              LIBXL_TAIL,
                              "--companion",
                              g_getenv("EMUNET_STUB"),
                              NULL};

        e = emu_start_argv(with_nic ? nic : none, sv[1], true);
    }
    close(sv[1]);
    e->wire_fd = sv[0];
    return e;
}

bool log_has(const char *log, const char *line)
{
    g_autofree char *needle = g_strdup_printf("\n%s\n", line);
    g_autofree char *hay = g_strdup_printf("\n%s", log);

    return strstr(hay, needle) != NULL;
}

/* Wait until the stub's log has `line` (it writes as it goes). */
char *wait_log(Emu *e, const char *line)
{
    gint64 deadline = g_get_monotonic_time() + TIMEOUT_MS * 1000LL;

    for (;;) {
        char *log = stub_log(e);

        if (log_has(log, line) || g_get_monotonic_time() > deadline) {
            return log;
        }
        g_free(log);
        g_usleep(10000);
    }
}

pid_t stub_pid(const char *log)
{
    const char *p = strstr(log, "pid ");

    g_assert_nonnull(p);
    return (pid_t)atoi(p + 4);
}

/* ---- tests ---- */

/* The companion's argv: NIC and QMP gone, its own QMP, -net none, -S. */
static void test_companion_argv(void)
{
    Emu *e = start_libxl(true);
    g_autofree char *log = wait_log(e, "recv {\"execute\": \"cont\", "
                                       "\"id\": \"emunet-0\"}");
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
    GString *args = g_string_new(NULL);

    for (int i = 0; lines[i]; i++) {
        if (g_str_has_prefix(lines[i], "arg ")) {
            g_string_append_printf(args, "%s ", lines[i] + 4);
        }
    }
    g_test_message("companion argv: %s", args->str);
    g_assert_true(g_str_has_prefix(args->str,
                                   "-xen-domid 5 -no-shutdown -chardev "
                                   "socket,id=emunet-qmp,fd="));
    g_assert_nonnull(strstr(args->str,
                            ",server=on,wait=off -mon "
                            "chardev=emunet-qmp,mode=control -nodefaults "
                            "-no-user-config -name g1 -vnc 127.0.0.1:0,to=99 "
                            "-display none -device cirrus-vga,vgamem_mb=8 "
                            "-boot order=cda -smp 2,maxcpus=2 -net none "
                            "-machine xenfv,suppress-vmdesc=on -m 1016 "
                            "-S "));
    g_assert_null(strstr(args->str, "e1000"));
    g_assert_null(strstr(args->str, "libxl-cmd"));
    g_assert_null(strstr(args->str, "qtest"));
    g_assert_null(strstr(args->str, "--companion"));
    /* The companion did not get -S from libxl: emunet let it run. */
    g_assert_true(log_has(log, "recv {\"execute\": \"qmp_capabilities\", "
                               "\"id\": \"emunet-caps\"}"));
    g_string_free(args, TRUE);
    kill(e->pid, SIGHUP);
    g_assert_cmpint(emu_exit_code(e), ==, 0);
    emu_free(e);
}

/* Start, post-config, unpause, pause/save's stop: libxl's sequences. */
static void test_libxl_sequences(void)
{
    Emu *e = start_libxl(true);
    g_autofree char *log = NULL;
    Qmp *q;

    /* Start (post-config): query-chardev, query-vnc, change-vnc-password. */
    q = libxl_connect(e->libxl_path);
    /* The companion's version (libxl keys behaviour on it). */
    g_assert_nonnull(strstr(q->greeting, "\"micro\":22,\"minor\":2,"
                                         "\"major\":7}"));
    g_assert_nonnull(strstr(q->greeting, "Debian 1:7.2+dfsg-7+deb12u22"));
    qmp_check(q, "{\"execute\":\"query-chardev\",\"id\":2}",
              "{\"return\": [{\"frontend-open\": false, \"filename\": "
              "\"pty:/dev/pts/9\", \"label\": \"serial0\"}], \"id\": 2}");
    qmp_check(q, "{\"execute\":\"query-vnc\",\"id\":3}",
              "{\"return\": {\"enabled\": true, \"host\": \"127.0.0.1\", "
              "\"service\": \"5900\", \"family\": \"ipv4\"}, \"id\": 3}");
    qmp_check(q,
              "{\"execute\":\"change-vnc-password\",\"id\":4,"
              "\"arguments\":{\"password\":\"x\"}}",
              "{\"return\": {}, \"id\": 4}");
    qmp_close(q);
    /* Unpause: a new connection, cont (sent even when running). */
    q = libxl_connect(e->libxl_path);
    qmp_check(q, "{\"execute\":\"cont\",\"id\":5}",
              "{\"return\": {}, \"id\": 5}");
    qmp_check(q, "{\"execute\":\"query-status\",\"id\":6}",
              "{\"return\": {\"status\": \"running\", \"singlestep\": false, "
              "\"running\": true}, \"id\": 6}");
    qmp_close(q);
    /* Save: stop; emunet follows the companion into "paused". */
    q = libxl_connect(e->libxl_path);
    qmp_check(q, "{\"execute\":\"stop\",\"id\":7}",
              "{\"return\": {}, \"id\": 7}");
    qmp_check(q, "{\"execute\":\"query-status\",\"id\":8}",
              "{\"return\": {\"status\": \"paused\", \"singlestep\": false, "
              "\"running\": false}, \"id\": 8}");
    qmp_check(q,
              "{\"execute\":\"xen-set-global-dirty-log\",\"id\":9,"
              "\"arguments\":{\"enable\":true}}",
              "{\"return\": {}, \"id\": 9}");
    qmp_check(q, "{\"execute\":\"query-cpus-fast\",\"id\":10}",
              "{\"return\": [{\"cpu-index\": 0, \"target\": \"i386\"}], "
              "\"id\": 10}");
    qmp_close(q);
    /* libxenstat's socket. */
    q = libxl_connect(e->xenstat_path);
    qmp_check(q, "{\"execute\":\"query-blockstats\",\"id\":1}",
              "{\"return\": [], \"id\": 1}");
    qmp_close(q);

    log = wait_log(e, "recv {\"execute\":\"query-blockstats\",\"id\":1}");
    /* Forwarded unchanged, in order; query-status stayed emunet's. */
    g_assert_true(
        log_has(log, "recv {\"execute\":\"query-chardev\",\"id\":2}"));
    g_assert_true(log_has(log, "recv {\"execute\":\"cont\",\"id\":5}"));
    g_assert_true(log_has(log, "recv {\"execute\":\"stop\",\"id\":7}"));
    g_assert_true(log_has(log, "recv {\"execute\":\"xen-set-global-dirty-log\","
                               "\"id\":9,\"arguments\":{\"enable\":true}}"));
    g_assert_null(strstr(log, "query-status"));
    /* Negotiation is per client, with emunet: never forwarded. */
    g_assert_null(strstr(log, "recv {\"execute\":\"qmp_capabilities\""));
    /* Destroy: SIGHUP, no quit; the companion is stopped too. */
    kill(e->pid, SIGHUP);
    g_assert_cmpint(emu_exit_code(e), ==, 0);
    g_free(log);
    log = stub_log(e);
    g_assert_true(log_has(log, "signal 15"));
    g_assert_cmpint(kill(stub_pid(log), 0), ==, -1);
    g_assert_false(g_file_test(e->libxl_path, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(e->xenstat_path, G_FILE_TEST_EXISTS));
    emu_free(e);
}

/* emunet's own commands, relay of errors and events, ordering. */
static void test_relay(void)
{
    Emu *e = start_libxl(true);
    g_autofree char *log = NULL;
    g_autofree char *r = NULL;
    Qmp *q = libxl_connect(e->libxl_path);
    Qmp *q2;

    r = qmp_cmd(q, "{\"execute\":\"query-emunet\",\"id\":11}");
    g_assert_true(g_str_has_prefix(
        r, "{\"return\": [{\"id\": \"nic0\", \"netdev\": \"net0\", "
           "\"backend\": \"socket\", \"link-up\": true, "
           "\"handed-off\": false, \"tx-frames\": 0"));
    g_assert_true(g_str_has_suffix(r, "}], \"id\": 11}"));
    qmp_check(q, "{\"execute\":\"no-such-thing\",\"id\":12}",
              "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The "
              "command no-such-thing has not been found\"}, \"id\": 12}");
    qmp_check(q,
              "{\"execute\":\"human-monitor-command\",\"id\":13,"
              "\"arguments\":{\"command-line\":\"info network\"}}",
              "{\"return\": \"stub: info network\", \"id\": 13}");
    /* An event from the companion reaches libxl's connection. */
    qmp_send(q, "{\"execute\":\"x-stub-event\",\"id\":14}");
    g_free(r);
    r = qmp_line(q);
    g_assert_cmpstr(r, ==,
                    "{\"timestamp\": {\"seconds\": 1, "
                    "\"microseconds\": 2}, \"event\": \"STUB_EVENT\"}");
    g_free(r);
    r = qmp_line(q);
    g_assert_cmpstr(r, ==, "{\"return\": {}, \"id\": 14}");
    /* One command at a time: a local one waits behind a forwarded one. */
    qmp_send(q, "{\"execute\":\"x-stub-sleep\",\"id\":15,"
                "\"arguments\":{\"ms\":300}}\r\n"
                "{\"execute\":\"query-status\",\"id\":16}");
    g_free(r);
    r = qmp_line(q);
    g_assert_cmpstr(r, ==, "{\"return\": {}, \"id\": 15}");
    g_free(r);
    r = qmp_line(q);
    g_assert_true(g_str_has_prefix(r, "{\"return\": {\"status\": "));
    g_assert_true(g_str_has_suffix(r, ", \"id\": 16}"));
    /* A client that hangs up with a reply due: the next one is unaffected. */
    qmp_send(q, "{\"execute\":\"x-stub-sleep\",\"id\":17,"
                "\"arguments\":{\"ms\":200}}");
    qmp_close(q);
    q2 = libxl_connect(e->libxl_path);
    qmp_check(q2, "{\"execute\":\"query-cpus-fast\",\"id\":18}",
              "{\"return\": [{\"cpu-index\": 0, \"target\": \"i386\"}], "
              "\"id\": 18}");
    qmp_close(q2);
    log = stub_log(e);
    g_assert_null(strstr(log, "query-emunet"));
    kill(e->pid, SIGTERM);
    g_assert_cmpint(emu_exit_code(e), ==, 0);
    emu_free(e);
}

/* The companion's exit ends emunet with the same status. */
static void test_companion_exit(void)
{
    Emu *e = start_libxl(false);
    g_autofree char *err = NULL;
    Qmp *q = libxl_connect(e->libxl_path);

    qmp_check(q,
              "{\"execute\":\"x-stub-exit\",\"id\":3,"
              "\"arguments\":{\"status\":3}}",
              "{\"return\": {}, \"id\": 3}");
    g_assert_cmpint(emu_exit_code(e), ==, 3);
    err = emu_stderr(e);
    g_assert_nonnull(strstr(err, "exited with status 3"));
    qmp_close(q);
    emu_free(e);
}

/* A companion that fails at start: reported, same status. */
static void test_companion_start_fails(void)
{
    const char *args[] = {
        "-xen-domid", "5",           LIBXL_QMP_PATHS,         "-net",
        "none",       "--companion", g_getenv("EMUNET_STUB"), NULL};
    g_autofree char *err = NULL;
    Emu *e;

    g_setenv("EMUNET_STUB_EXIT", "7", TRUE);
    e = emu_start_argv(args, -1, false);
    g_unsetenv("EMUNET_STUB_EXIT");
    g_assert_cmpint(emu_exit_code(e), ==, 7);
    err = emu_stderr(e);
    g_assert_nonnull(strstr(err, "companion exited with status 7 before its "
                                 "QMP monitor came up"));
    emu_free(e);
}

/* emunet failing after the companion started stops the companion. */
static void test_emunet_fails(void)
{
    const char *args[] = {"-xen-domid",
                          "5",
                          LIBXL_QMP_PATHS,
                          "-device",
                          "e1000,id=nic0,netdev=net0,mac=01:00:00:00:00:01",
                          "-netdev",
                          "type=user,id=net0",
                          "--companion",
                          g_getenv("EMUNET_STUB"),
                          NULL};
    g_autofree char *log = NULL;
    Emu *e = emu_start_argv(args, -1, false);

    g_assert_cmpint(emu_exit_code(e), ==, 2);
    log = stub_log(e);
    g_assert_true(log_has(log, "signal 15"));
    g_assert_cmpint(kill(stub_pid(log), 0), ==, -1);
    emu_free(e);
}

/* SIGHUP with a forwarded command in flight: prompt exit, companion gone. */
static void test_sighup_in_flight(void)
{
    Emu *e = start_libxl(true);
    g_autofree char *log = NULL;
    Qmp *q = libxl_connect(e->libxl_path);
    gint64 t0;

    qmp_send(q, "{\"execute\":\"x-stub-sleep\",\"id\":2,"
                "\"arguments\":{\"ms\":20000}}");
    g_free(wait_log(e, "recv {\"execute\":\"x-stub-sleep\",\"id\":2,"
                       "\"arguments\":{\"ms\":20000}}"));
    t0 = g_get_monotonic_time();
    kill(e->pid, SIGHUP);
    g_assert_cmpint(emu_exit_code(e), ==, 0);
    /* The stub sleeps in the command: SIGTERM ends it at once. */
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 10 * G_USEC_PER_SEC);
    log = stub_log(e);
    g_assert_true(log_has(log, "signal 15"));
    g_assert_cmpint(kill(stub_pid(log), 0), ==, -1);
    qmp_close(q);
    emu_free(e);
}

/* dm_restrict: libxl's pre-opened listening fd, -S, prelaunch until cont. */
static void test_dm_restrict(void)
{
    g_autofree char *dir = g_dir_make_tmp("emunet-restrict-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "qmp-libxl-5", NULL);
    g_autofree char *chr = NULL;
    g_autofree char *log = NULL;
    int lfd = listen_unix(path);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    Emu *e;
    Qmp *q;
    int cfd;

    chr = g_strdup_printf("socket,id=libxl-cmd,fd=%d,server=on,wait=off", lfd);
    {
        const char *args[] = {"-xen-domid",
                              "5",
                              "-no-shutdown",
                              "-chardev",
                              chr,
                              "-S",
                              "-mon",
                              "chardev=libxl-cmd,mode=control",
                              "-net",
                              "none",
                              "-xen-domid-restrict",
                              "-machine",
                              "xenfv",
                              "--companion",
                              g_getenv("EMUNET_STUB"),
                              NULL};

        e = emu_start_argv(args, lfd, true);
    }
    close(lfd);
    /* libxl connects at once and asks for the status. */
    cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    strcpy(sa.sun_path, path);
    g_assert_cmpint(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    q = qmp_open_fd(cfd);
    qmp_check(q, "{\"execute\":\"qmp_capabilities\",\"id\":1}",
              "{\"return\": {}, \"id\": 1}");
    qmp_check(q, "{\"execute\":\"query-status\",\"id\":2}",
              "{\"return\": {\"status\": \"prelaunch\", \"singlestep\": "
              "false, \"running\": false}, \"id\": 2}");
    qmp_close(q);
    log = stub_log(e);
    /* libxl's -S is the companion's: no second one, no early cont. */
    g_assert_null(strstr(log, "\"cont\""));
    g_assert_nonnull(strstr(log, "\narg -S\n"));
    g_assert_null(strstr(strstr(log, "\narg -S\n") + 1, "\narg -S\n"));
    g_assert_true(log_has(log, "arg -xen-domid-restrict"));
    cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    q = qmp_open_fd(cfd);
    qmp_check(q, "{\"execute\":\"qmp_capabilities\",\"id\":1}",
              "{\"return\": {}, \"id\": 1}");
    qmp_check(q, "{\"execute\":\"cont\",\"id\":2}",
              "{\"return\": {}, \"id\": 2}");
    qmp_check(q, "{\"execute\":\"query-status\",\"id\":3}",
              "{\"return\": {\"status\": \"running\", \"singlestep\": false, "
              "\"running\": true}, \"id\": 3}");
    qmp_close(q);
    kill(e->pid, SIGHUP);
    g_assert_cmpint(emu_exit_code(e), ==, 0);
    /* libxl created the socket file; it stays libxl's to remove. */
    g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
    g_unlink(path);
    g_rmdir(dir);
    emu_free(e);
}

/* No companion: emunet answers libxl's whole sequence itself. */
static void test_no_companion(void)
{
    const char *args[] = {"-xen-domid",    "5",    "-no-shutdown",
                          LIBXL_QMP_PATHS, "-S",   LIBXL_MIDDLE,
                          "-net",          "none", LIBXL_TAIL,
                          "--companion",   "none", NULL};
    Emu *e = emu_start_argv(args, -1, true);
    g_autofree char *r = NULL;
    Qmp *q = libxl_connect(e->libxl_path);

    g_assert_nonnull(strstr(q->greeting, "\"package\": \"emunet "));
    qmp_check(q, "{\"execute\":\"query-status\",\"id\":2}",
              "{\"return\": {\"status\": \"prelaunch\", \"singlestep\": "
              "false, \"running\": false}, \"id\": 2}");
    r = qmp_cmd(q, "{\"execute\":\"query-chardev\",\"id\":3}");
    g_assert_true(g_str_has_prefix(r, "{\"return\": [{\"frontend-open\": "
                                      "true, \"filename\": \"unix:"));
    g_assert_nonnull(strstr(r, "qmp-libxl-5,server=on\", \"label\": "
                               "\"libxl-cmd\"}"));
    g_assert_true(g_str_has_suffix(r, "], \"id\": 3}"));
    qmp_check(q, "{\"execute\":\"query-vnc\",\"id\":4}",
              "{\"return\": {\"enabled\": false}, \"id\": 4}");
    qmp_close(q);
    q = libxl_connect(e->libxl_path);
    qmp_send(q, "{\"execute\":\"cont\",\"id\":5}");
    g_free(r);
    r = qmp_line(q);
    g_assert_true(g_str_has_suffix(r, "\"event\": \"RESUME\"}"));
    g_free(r);
    r = qmp_line(q);
    g_assert_cmpstr(r, ==, "{\"return\": {}, \"id\": 5}");
    /* cont again (libxl sends it on every unpause): no second event. */
    qmp_check(q, "{\"execute\":\"cont\",\"id\":6}",
              "{\"return\": {}, \"id\": 6}");
    qmp_check(q, "{\"execute\":\"stop\",\"id\":7}",
              "{\"return\": {}, \"id\": 7}");
    qmp_check(q, "{\"execute\":\"query-status\",\"id\":8}",
              "{\"return\": {\"status\": \"paused\", \"singlestep\": false, "
              "\"running\": false}, \"id\": 8}");
    g_free(r);
    r = qmp_cmd(q, "{\"execute\":\"query-cpus-fast\",\"id\":9}");
    g_assert_nonnull(strstr(r, "\"cpu-index\": 0, "));
    g_assert_nonnull(strstr(r, "\"cpu-index\": 1, "));
    g_assert_null(strstr(r, "\"cpu-index\": 2, "));
    qmp_check(q,
              "{\"execute\":\"xen-set-global-dirty-log\",\"id\":10,"
              "\"arguments\":{\"enable\":false}}",
              "{\"return\": {}, \"id\": 10}");
    qmp_check(q, "{\"execute\":\"xen-set-global-dirty-log\",\"id\":11}",
              "{\"error\": {\"class\": \"GenericError\", \"desc\": "
              "\"Parameter 'enable' is missing\"}, \"id\": 11}");
    qmp_check(q, "{\"execute\":\"query-emunet\",\"id\":12}",
              "{\"return\": [], \"id\": 12}");
    qmp_check(q, "{\"execute\":\"no-such\",\"id\":13}",
              "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The "
              "command no-such has not been found\"}, \"id\": 13}");
    qmp_close(q);
    q = libxl_connect(e->xenstat_path);
    qmp_check(q, "{\"execute\":\"query-blockstats\",\"id\":2}",
              "{\"return\": [], \"id\": 2}");
    qmp_send(q, "{\"execute\":\"quit\",\"id\":3}");
    g_free(r);
    r = qmp_reply(q);
    g_assert_cmpstr(r, ==, "{\"return\": {}, \"id\": 3}");
    g_assert_cmpint(emu_exit_code(e), ==, 0);
    qmp_close(q);
    emu_free(e);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!g_getenv("EMUNET_BINARY") || !g_getenv("EMUNET_STUB")) {
        g_error("set EMUNET_BINARY and EMUNET_STUB");
    }
    signal(SIGPIPE, SIG_IGN);
    g_test_add_func("/libxl-qmp/companion/argv", test_companion_argv);
    g_test_add_func("/libxl-qmp/companion/sequences", test_libxl_sequences);
    g_test_add_func("/libxl-qmp/companion/relay", test_relay);
    g_test_add_func("/libxl-qmp/companion/exit-status", test_companion_exit);
    g_test_add_func("/libxl-qmp/companion/start-fails",
                    test_companion_start_fails);
    g_test_add_func("/libxl-qmp/companion/emunet-fails", test_emunet_fails);
    g_test_add_func("/libxl-qmp/companion/sighup-in-flight",
                    test_sighup_in_flight);
    g_test_add_func("/libxl-qmp/dm-restrict", test_dm_restrict);
    g_test_add_func("/libxl-qmp/no-companion", test_no_companion);
    libxl_state_register();
    return g_test_run();
}
