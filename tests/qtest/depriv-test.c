/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Deprivileging (core/depriv.h) on a real emunet process: -runas changes
 * the credentials (/proc/PID/status), -chroot changes the root
 * (/proc/PID/root), -sandbox on installs a seccomp filter ("Seccomp: 2")
 * under which the main loop, QMP and a clean quit still work, and a
 * forbidden system call, made through the test-only QMP command
 * x-test-forbidden-syscall (EMUNET_TEST_HOOKS=1), kills the process with
 * SIGSYS. Needs root (to change uid and chroot), as CI runs.
 */
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

#define TIMEOUT_MS 30000

typedef struct Emu {
    pid_t pid;
    int status;
    bool reaped;
    int qtest_fd;
    int qmp_fd;
    GString *rx;
    char *dir;
    char *err_path;
} Emu;

static int listen_unix(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    strcpy(sa.sun_path, path);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(fd, 1), ==, 0);
    return fd;
}

static char *qmp_line(Emu *e)
{
    gint64 deadline = g_get_monotonic_time() + TIMEOUT_MS * 1000LL;

    for (;;) {
        char *nl = memchr(e->rx->str, '\n', e->rx->len);
        struct pollfd pfd = {.fd = e->qmp_fd, .events = POLLIN};
        char buf[4096];
        ssize_t n;

        if (nl) {
            char *line = g_strndup(e->rx->str, (gsize)(nl - e->rx->str));

            g_string_erase(e->rx, 0, nl - e->rx->str + 1);
            return line;
        }
        if (poll(&pfd, 1, (int)((deadline - g_get_monotonic_time()) / 1000)) !=
            1) {
            return NULL;
        }
        n = recv(e->qmp_fd, buf, sizeof(buf), 0);
        if (n <= 0) {
            return NULL;
        }
        g_string_append_len(e->rx, buf, n);
    }
}

/* A QMP command; the reply, or NULL when emunet went away. */
static char *qmp_cmd(Emu *e, const char *json)
{
    send(e->qmp_fd, json, strlen(json), MSG_NOSIGNAL);
    send(e->qmp_fd, "\n", 1, MSG_NOSIGNAL);
    for (;;) {
        char *line = qmp_line(e);

        if (!line || !strstr(line, "\"event\"")) {
            return line;
        }
        g_free(line);
    }
}

/* Start emunet (qtest transport, a QMP server) with `extra` options. */
static Emu *emu_start(const char *const *extra)
{
    Emu *e = g_new0(Emu, 1);
    g_autofree char *qtest = NULL;
    g_autofree char *qmp = NULL;
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int lfd, errfd;
    struct pollfd pfd;
    char *line;

    e->dir = g_dir_make_tmp("emunet-depriv-XXXXXX", NULL);
    /* The chroot of some tests and the uid of others must reach it. */
    g_chmod(e->dir, 0755);
    qtest = g_build_filename(e->dir, "qtest.sock", NULL);
    qmp = g_build_filename(e->dir, "qmp.sock", NULL);
    e->err_path = g_build_filename(e->dir, "stderr.log", NULL);
    e->rx = g_string_new(NULL);
    lfd = listen_unix(qtest);
    errfd = open(e->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    g_ptr_array_add(argv, g_strdup(g_getenv("EMUNET_BINARY")));
    g_ptr_array_add(argv, g_strdup("-qtest"));
    g_ptr_array_add(argv, g_strdup_printf("unix:%s", qtest));
    g_ptr_array_add(argv, g_strdup("-qtest-log"));
    g_ptr_array_add(argv, g_strdup("/dev/null"));
    g_ptr_array_add(argv, g_strdup("-qmp"));
    g_ptr_array_add(argv, g_strdup_printf("unix:%s,server=on,wait=off", qmp));
    for (int i = 0; extra[i]; i++) {
        g_ptr_array_add(argv, g_strcmp0(extra[i], "@") == 0
                                  ? g_strdup(e->dir)
                                  : g_strdup(extra[i]));
    }
    g_ptr_array_add(argv, NULL);
    e->pid = fork();
    g_assert_cmpint(e->pid, >=, 0);
    if (e->pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);

        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(errfd, 1) < 0 ||
            dup2(errfd, 2) < 0) {
            _exit(127);
        }
        execv(g_ptr_array_index(argv, 0), (char **)argv->pdata);
        _exit(127);
    }
    close(errfd);
    pfd = (struct pollfd){.fd = lfd, .events = POLLIN};
    g_assert_cmpint(poll(&pfd, 1, TIMEOUT_MS), ==, 1);
    e->qtest_fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    close(lfd);
    /* The greeting comes from the main loop: everything is applied. */
    e->qmp_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    strcpy(sa.sun_path, qmp);
    g_assert_cmpint(connect(e->qmp_fd, (struct sockaddr *)&sa, sizeof(sa)), ==,
                    0);
    line = qmp_line(e);
    g_assert_nonnull(line);
    g_assert_true(g_str_has_prefix(line, "{\"QMP\""));
    g_free(line);
    line = qmp_cmd(e, "{\"execute\": \"qmp_capabilities\"}");
    g_assert_cmpstr(line, ==, "{\"return\": {}}");
    g_free(line);
    return e;
}

static void emu_wait(Emu *e)
{
    if (!e->reaped) {
        g_assert_cmpint(waitpid(e->pid, &e->status, 0), ==, e->pid);
        e->reaped = true;
    }
}

static void emu_free(Emu *e)
{
    g_autofree char *qtest = g_build_filename(e->dir, "qtest.sock", NULL);
    g_autofree char *qmp = g_build_filename(e->dir, "qmp.sock", NULL);

    if (!e->reaped) {
        kill(e->pid, SIGKILL);
        emu_wait(e);
    }
    close(e->qtest_fd);
    close(e->qmp_fd);
    g_unlink(qtest);
    g_unlink(qmp);
    g_unlink(e->err_path);
    g_rmdir(e->dir);
    g_string_free(e->rx, TRUE);
    g_free(e->err_path);
    g_free(e->dir);
    g_free(e);
}

/* quit: a clean exit 0, also deprivileged. */
static void emu_quit(Emu *e)
{
    g_autofree char *r = qmp_cmd(e, "{\"execute\": \"quit\"}");

    g_assert_cmpstr(r, ==, "{\"return\": {}}");
    emu_wait(e);
    if (!WIFEXITED(e->status) || WEXITSTATUS(e->status) != 0) {
        g_autofree char *err = NULL;

        g_file_get_contents(e->err_path, &err, NULL, NULL);
        g_test_message("wait status 0x%x, stderr:\n%s", (unsigned)e->status,
                       err);
    }
    g_assert_true(WIFEXITED(e->status));
    g_assert_cmpint(WEXITSTATUS(e->status), ==, 0);
}

/* The value of "Key:" in /proc/PID/status. */
static char *proc_status(pid_t pid, const char *key)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        if (g_str_has_prefix(lines[i], key) && lines[i][strlen(key)] == ':') {
            return g_strstrip(g_strdup(lines[i] + strlen(key) + 1));
        }
    }
    g_assert_not_reached();
}

static void test_runas_ids(void)
{
    const char *args[] = {"-runas", "65534:65533", NULL};
    Emu *e = emu_start(args);
    g_autofree char *uid = proc_status(e->pid, "Uid");
    g_autofree char *gid = proc_status(e->pid, "Gid");
    g_autofree char *groups = proc_status(e->pid, "Groups");

    g_assert_cmpstr(uid, ==, "65534\t65534\t65534\t65534");
    g_assert_cmpstr(gid, ==, "65533\t65533\t65533\t65533");
    g_assert_cmpstr(groups, ==, "65533");
    emu_quit(e);
    emu_free(e);
}

static void test_runas_user(void)
{
    const char *args[] = {"-runas", "nobody", NULL};
    Emu *e = emu_start(args);
    g_autofree char *uid = proc_status(e->pid, "Uid");

    g_assert_cmpstr(uid, ==, "65534\t65534\t65534\t65534");
    emu_quit(e);
    emu_free(e);
}

/* Usage errors: exit 2 with the option named, nothing started. */
static void test_runas_refused(void)
{
    const char *const cases[][2] = {
        {"root", "refusing to run as root"},
        {"0:0", "refusing to run as root"},
        {"no-such-user-emunet", "does not exist"},
        {"12:x", "expected USER or UID:GID"},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *argv[] = {g_getenv("EMUNET_BINARY"),
                              "-qtest",
                              "unix:/nonexistent",
                              "-runas",
                              cases[i][0],
                              NULL};
        g_autofree char *err = NULL;
        int status;

        g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT,
                                   NULL, NULL, NULL, &err, &status, NULL));
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 2);
        g_assert_true(g_str_has_prefix(err, "emunet: -runas: "));
        g_assert_nonnull(strstr(err, cases[i][1]));
    }
}

static void test_chroot(void)
{
    g_autofree char *root = g_dir_make_tmp("emunet-root-XXXXXX", NULL);
    const char *args[] = {"-chroot", root, "-runas", "65534:65534", NULL};
    g_autofree char *link = NULL;
    g_autofree char *proc = NULL;
    Emu *e;

    g_autofree char *asan = g_strdup(g_getenv("ASAN_OPTIONS"));
    g_autofree char *no_leaks = g_strdup_printf(
        "%s%sdetect_leaks=0", asan ? asan : "", asan ? ":" : "");

    /* As libxl makes it: mode 0000, owned by root. */
    g_assert_cmpint(g_chmod(root, 0), ==, 0);
    /* Sanitizer builds: LeakSanitizer needs /proc, absent in the chroot. */
    g_setenv("ASAN_OPTIONS", no_leaks, TRUE);
    e = emu_start(args);
    if (asan) {
        g_setenv("ASAN_OPTIONS", asan, TRUE);
    } else {
        g_unsetenv("ASAN_OPTIONS");
    }
    proc = g_strdup_printf("/proc/%d/root", (int)e->pid);
    link = g_file_read_link(proc, NULL);
    g_assert_cmpstr(link, ==, root);
    emu_quit(e);
    emu_free(e);
    g_rmdir(root);
}

/* Under the filter: QMP and a clean quit work; Seccomp mode 2. */
static void test_sandbox_runs(void)
{
    const char *args[] = {"-sandbox", "on,obsolete=deny", "-runas",
                          "65534:65534", NULL};
    Emu *e = emu_start(args);
    g_autofree char *mode = proc_status(e->pid, "Seccomp");
    g_autofree char *r = qmp_cmd(e, "{\"execute\": \"query-status\"}");

    g_assert_cmpstr(mode, ==, "2");
    g_assert_true(g_str_has_prefix(r, "{\"return\": {\"status\": "));
    /* Not present without EMUNET_TEST_HOOKS=1. */
    g_free(r);
    r = qmp_cmd(e, "{\"execute\": \"x-test-forbidden-syscall\", "
                   "\"arguments\": {\"syscall\": \"execve\"}}");
    g_assert_true(g_str_has_prefix(r, "{\"error\": {\"class\": "
                                      "\"CommandNotFound\""));
    emu_quit(e);
    emu_free(e);
}

/* Each forbidden call kills with SIGSYS; without the filter it is inert. */
static void test_sandbox_kills(void)
{
    static const char *const calls[] = {"execve", "unshare", "setuid"};

    g_setenv("EMUNET_TEST_HOOKS", "1", TRUE);
    for (size_t i = 0; i < G_N_ELEMENTS(calls); i++) {
        const char *on[] = {"-sandbox", "on", NULL};
        const char *off[] = {"-sandbox", "off", NULL};
        g_autofree char *cmd = g_strdup_printf(
            "{\"execute\": \"x-test-forbidden-syscall\", \"arguments\": "
            "{\"syscall\": \"%s\"}}",
            calls[i]);
        g_autofree char *r = NULL;
        Emu *e = emu_start(off);

        r = qmp_cmd(e, cmd);
        g_assert_nonnull(r);
        g_assert_true(g_str_has_prefix(r, "{\"return\": {\"result\": "));
        emu_quit(e);
        emu_free(e);

        e = emu_start(on);
        g_free(r);
        r = qmp_cmd(e, cmd);
        g_assert_null(r);
        emu_wait(e);
        g_test_message("%s: wait status 0x%x", calls[i], (unsigned)e->status);
        g_assert_true(WIFSIGNALED(e->status));
        g_assert_cmpint(WTERMSIG(e->status), ==, SIGSYS);
        emu_free(e);
    }
    g_unsetenv("EMUNET_TEST_HOOKS");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!g_getenv("EMUNET_BINARY")) {
        g_error("set EMUNET_BINARY");
    }
    if (geteuid() != 0) {
        g_error("depriv-test needs root (to change uid and chroot)");
    }
    signal(SIGPIPE, SIG_IGN);
    g_test_add_func("/depriv/runas/ids", test_runas_ids);
    g_test_add_func("/depriv/runas/user", test_runas_user);
    g_test_add_func("/depriv/runas/refused", test_runas_refused);
    g_test_add_func("/depriv/chroot", test_chroot);
    g_test_add_func("/depriv/sandbox/runs", test_sandbox_runs);
    g_test_add_func("/depriv/sandbox/kills", test_sandbox_kills);
    return g_test_run();
}
