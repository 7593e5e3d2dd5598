/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * emuxen: see emuxen.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "emuxen.h"

#define EMUXEN_MAX_LIVE 16
#define EMUXEN_FRAME_MAX (64 * 1024)

static volatile pid_t emuxen_live[EMUXEN_MAX_LIVE];
static struct sigaction emuxen_old_abrt;

/* A failed assertion must not leave device models running. */
static void emuxen_abort_handler(int sig)
{
    unsigned i;

    for (i = 0; i < EMUXEN_MAX_LIVE; i++) {
        if (emuxen_live[i] > 0) {
            kill(emuxen_live[i], SIGKILL);
        }
    }
    sigaction(SIGABRT, &emuxen_old_abrt, NULL);
    raise(sig);
}

static void emuxen_track(pid_t pid, bool add)
{
    static bool installed;
    unsigned i;

    if (!installed) {
        struct sigaction sa = {.sa_handler = emuxen_abort_handler};

        sigemptyset(&sa.sa_mask);
        sigaction(SIGABRT, &sa, &emuxen_old_abrt);
        installed = true;
    }
    for (i = 0; i < EMUXEN_MAX_LIVE; i++) {
        if (add && emuxen_live[i] == 0) {
            emuxen_live[i] = pid;
            return;
        }
        if (!add && emuxen_live[i] == pid) {
            emuxen_live[i] = 0;
            return;
        }
    }
    g_assert_false(add);
}

/* In the child: only async-signal-safe calls. */
static void G_GNUC_NORETURN emuxen_exec(char **argv, char **envp, int log_fd,
                                        int keep)
{
    int devnull = open("/dev/null", O_RDONLY);

    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(log_fd, 1) < 0 ||
        dup2(log_fd, 2) < 0) {
        _exit(127);
    }
    if (keep >= 0) {
        if (keep > 3) {
            close_range(3, (unsigned)keep - 1, 0);
        }
        fcntl(keep, F_SETFD, 0);
        close_range((unsigned)keep + 1, ~0U, 0);
    } else {
        close_range(3, ~0U, 0);
    }
    execve(argv[0], argv, envp);
    _exit(127);
}

EmuXen *emuxen_spawn(XenSim *sim, const char *args)
{
    const char *binary = g_getenv("EMUNET_BINARY");
    const char *libdir = g_getenv("XENSIM_LIBDIR");
    EmuXen *emu = g_new0(EmuXen, 1);
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    char **words = g_strsplit(args, " ", -1);
    char **envp;
    GError *err = NULL;
    int sv[2] = {-1, -1};
    int log_fd;
    unsigned i;

    g_assert_nonnull(binary);
    g_assert_nonnull(libdir);
    emu->sim = sim;
    emu->wire = -1;
    emu->tmpdir = g_dir_make_tmp("emuxen-XXXXXX", &err);
    g_assert_no_error(err);
    emu->log_path = g_build_filename(emu->tmpdir, "stderr.log", NULL);
    log_fd =
        open(emu->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    g_assert_cmpint(log_fd, >=, 0);
    if (strstr(args, "@WIRE@")) {
        g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                        ==, 0);
        emu->wire = sv[0];
    }
    g_ptr_array_add(argv, g_strdup(binary));
    for (i = 0; words[i]; i++) {
        if (*words[i]) {
            char fd[16];
            GString *w = g_string_new(words[i]);

            snprintf(fd, sizeof(fd), "%d", sv[1]);
            g_string_replace(w, "@WIRE@", fd, 0);
            g_ptr_array_add(argv, g_string_free(w, FALSE));
        }
    }
    g_ptr_array_add(argv, NULL);
    g_strfreev(words);
    envp = sim ? xensim_environ(sim, NULL) : g_get_environ();
    if (!sim) {
        envp = g_environ_unsetenv(envp, XENSIM_SOCKET_ENV);
        envp = g_environ_unsetenv(envp, "XENSTORED_PATH");
    }
    envp = g_environ_setenv(envp, "LD_LIBRARY_PATH", libdir, TRUE);
    fflush(NULL);
    emu->pid = fork();
    g_assert_cmpint(emu->pid, >=, 0);
    if (emu->pid == 0) {
        emuxen_exec((char **)argv->pdata, envp, log_fd, sv[1]);
    }
    emuxen_track(emu->pid, true);
    close(log_fd);
    if (sv[1] >= 0) {
        close(sv[1]);
    }
    g_strfreev(envp);
    g_ptr_array_free(argv, TRUE);
    return emu;
}

static bool emuxen_reap(EmuXen *emu, bool block)
{
    pid_t r;

    if (emu->reaped) {
        return true;
    }
    do {
        r = waitpid(emu->pid, &emu->wstatus, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == emu->pid) {
        emu->reaped = true;
        emuxen_track(emu->pid, false);
    }
    return emu->reaped;
}

int emuxen_wait_exit(EmuXen *emu, unsigned timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    while (!emuxen_reap(emu, false)) {
        if (g_get_monotonic_time() > deadline) {
            return -1;
        }
        g_usleep(2000);
    }
    return WIFEXITED(emu->wstatus) ? WEXITSTATUS(emu->wstatus) : -1;
}

bool emuxen_alive(EmuXen *emu)
{
    return !emuxen_reap(emu, false);
}

void emuxen_kill(EmuXen *emu, int sig)
{
    if (!emu->reaped) {
        kill(emu->pid, sig);
    }
}

char *emuxen_log(EmuXen *emu)
{
    char *text = NULL;

    if (!g_file_get_contents(emu->log_path, &text, NULL, NULL)) {
        text = g_strdup("");
    }
    return text;
}

void emuxen_free(EmuXen *emu)
{
    if (!emu) {
        return;
    }
    if (!emu->reaped) {
        kill(emu->pid, SIGKILL);
        emuxen_reap(emu, true);
    }
    if (emu->wire >= 0) {
        close(emu->wire);
    }
    g_unlink(emu->log_path);
    g_rmdir(emu->tmpdir);
    g_free(emu->log_path);
    g_free(emu->tmpdir);
    g_free(emu);
}

/* ---- the wire ---- */

static void emuxen_write_all(int fd, const uint8_t *p, size_t len)
{
    while (len) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        ssize_t n;

        g_assert_cmpint(poll(&pfd, 1, 10000), ==, 1);
        n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            continue;
        }
        g_assert_cmpint(n, >, 0);
        p += n;
        len -= (size_t)n;
    }
}

void emuxen_wire_send(EmuXen *emu, const void *frame, size_t len)
{
    uint8_t hdr[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16),
                      (uint8_t)(len >> 8), (uint8_t)len};

    emuxen_write_all(emu->wire, hdr, sizeof(hdr));
    emuxen_write_all(emu->wire, frame, len);
}

/* Read exactly len bytes; false on timeout/EOF before the first one. */
static bool emuxen_read_all(int fd, uint8_t *p, size_t len, unsigned timeout_ms)
{
    size_t got = 0;

    while (got < len) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ssize_t n;

        if (poll(&pfd, 1, got ? 10000 : (int)timeout_ms) != 1) {
            g_assert_cmpuint(got, ==, 0);
            return false;
        }
        n = recv(fd, p + got, len - got, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            continue;
        }
        if (n <= 0) {
            g_assert_cmpuint(got, ==, 0);
            return false;
        }
        got += (size_t)n;
    }
    return true;
}

ssize_t emuxen_wire_recv(EmuXen *emu, void *buf, size_t cap,
                         unsigned timeout_ms)
{
    uint8_t hdr[4];
    uint8_t *frame;
    size_t len;

    if (!emuxen_read_all(emu->wire, hdr, sizeof(hdr), timeout_ms)) {
        return -1;
    }
    len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 |
          hdr[3];
    g_assert_cmpuint(len, <=, EMUXEN_FRAME_MAX);
    frame = g_malloc(len ? len : 1);
    g_assert_true(emuxen_read_all(emu->wire, frame, len, 10000) || !len);
    memcpy(buf, frame, MIN(len, cap));
    g_free(frame);
    return (ssize_t)len;
}
