/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qtest commands sent without waiting for each reply: several in one
 * write, lines cut anywhere across writes, more replies than the
 * transport holds back before writing (core/chardev.c batches the
 * replies to what one read brought), and the end of input right after
 * them. Every reply must come, in order, and be the one a lone command
 * gets.
 */
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "libqtest.h"

#define BASE 0x100000u

/* emunet connected to a socket of ours, as QEMU's -qtest client mode. */
typedef struct Peer {
    char *dir;
    int fd;
    GPid pid;
} Peer;

static void peer_start(Peer *p)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    const char *bin = g_getenv("EMUNET_BINARY");
    g_autofree char *path = NULL;
    g_autofree char *spec = NULL;
    GError *err = NULL;
    int lfd;

    g_assert_nonnull(bin);
    p->dir = g_dir_make_tmp("emunet-pipe-XXXXXX", &err);
    g_assert_no_error(err);
    path = g_build_filename(p->dir, "q.sock", NULL);
    spec = g_strdup_printf("unix:%s", path);
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(lfd, >=, 0);
    g_assert_cmpuint(strlen(path), <, sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strlen(path));
    g_assert_cmpint(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(lfd, 1), ==, 0);
    {
        const char *argv[] = {bin, "-qtest", spec, "-qtest-log", "none",
                              "-m", "16M", NULL};

        g_assert_true(g_spawn_async(NULL, (char **)argv, NULL,
                                    G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                    &p->pid, &err));
    }
    g_assert_no_error(err);
    p->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    g_assert_cmpint(p->fd, >=, 0);
    close(lfd);
    g_unlink(path);
}

/* Hang up: emunet exits 0 when its qtest client goes. */
static void peer_stop(Peer *p)
{
    int status = 0;

    close(p->fd);
    g_assert_cmpint(waitpid(p->pid, &status, 0), ==, p->pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    g_spawn_close_pid(p->pid);
    g_rmdir(p->dir);
    g_free(p->dir);
}

static void send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

        g_assert_cmpint(n, >, 0);
        buf += n;
        len -= (size_t)n;
    }
}

/* Read until `want` lines came; returns them without their '\n'. */
static char **recv_lines(int fd, unsigned want)
{
    GString *all = g_string_new(NULL);
    unsigned lines = 0;
    char buf[4096];
    char **split;

    while (lines < want) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);

        g_assert_cmpint(n, >, 0);
        for (ssize_t i = 0; i < n; i++) {
            lines += buf[i] == '\n';
        }
        g_string_append_len(all, buf, n);
    }
    g_assert_cmpuint(lines, ==, want);
    g_assert_true(g_str_has_suffix(all->str, "\n"));
    g_string_truncate(all, all->len - 1);
    split = g_strsplit(all->str, "\n", -1);
    g_string_free(all, TRUE);
    return split;
}

/*
 * A script of `n` commands and the replies QEMU 7.2 gives them: writes
 * and reads of guest RAM, a port read, an unknown command.
 */
static void make_script(unsigned n, GString *cmds, GPtrArray *replies)
{
    for (unsigned i = 0; i < n; i++) {
        uint32_t addr = BASE + 4 * (i / 4), val = 0x10001u * (i / 4);

        switch (i % 4) {
        case 0:
            g_string_append_printf(cmds, "writel 0x%x 0x%x\n", addr, val);
            g_ptr_array_add(replies, g_strdup("OK"));
            break;
        case 1:
            g_string_append_printf(cmds, "readl 0x%x\n", addr);
            g_ptr_array_add(replies, g_strdup_printf("OK 0x%016x", val));
            break;
        case 2:
            g_string_append(cmds, "inb 0x80\n");
            g_ptr_array_add(replies, g_strdup("OK 0x00ff"));
            break;
        default:
            g_string_append_printf(cmds, "nosuch%u\n", i);
            g_ptr_array_add(replies,
                            g_strdup_printf("FAIL Unknown command 'nosuch%u'",
                                            i));
            break;
        }
    }
}

static void check_replies(char **got, GPtrArray *want)
{
    g_assert_cmpuint(g_strv_length(got), ==, want->len);
    for (guint i = 0; i < want->len; i++) {
        g_assert_cmpstr(got[i], ==, g_ptr_array_index(want, i));
    }
}

/* The whole script in one write. */
static void test_one_write(void)
{
    g_autoptr(GString) cmds = g_string_new(NULL);
    g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) got = NULL;
    Peer p;

    make_script(400, cmds, want);
    peer_start(&p);
    send_all(p.fd, cmds->str, cmds->len);
    got = recv_lines(p.fd, want->len);
    check_replies(got, want);
    peer_stop(&p);
}

/*
 * Cut into pieces of 1 to 13 bytes, each its own write, so that lines
 * end, start and continue at every position of a read.
 */
static void test_split_writes(void)
{
    g_autoptr(GString) cmds = g_string_new(NULL);
    g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) got = NULL;
    size_t off = 0;
    unsigned k = 0;
    Peer p;

    make_script(400, cmds, want);
    peer_start(&p);
    while (off < cmds->len) {
        size_t n = MIN(1 + k++ % 13, cmds->len - off);

        send_all(p.fd, cmds->str + off, n);
        off += n;
        if (k % 64 == 0) {
            /* Let emunet see some pieces alone. */
            g_usleep(200);
        }
    }
    got = recv_lines(p.fd, want->len);
    check_replies(got, want);
    peer_stop(&p);
}

typedef struct Sender {
    int fd;
    GString *cmds;
    /* Shut down the sending side after the commands. */
    bool half_close;
} Sender;

static gpointer sender_run(gpointer data)
{
    Sender *s = data;

    send_all(s->fd, s->cmds->str, s->cmds->len);
    if (s->half_close) {
        g_assert_cmpint(shutdown(s->fd, SHUT_WR), ==, 0);
    }
    return NULL;
}

/*
 * More replies than the transport holds back (64 KiB) from one read:
 * they must flow while the client is still sending.
 */
static void check_many_replies(bool half_close)
{
    g_autoptr(GString) cmds = g_string_new(NULL);
    g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) got = NULL;
    Sender s;
    GThread *t;
    Peer p;

    for (unsigned i = 0; i < 12000; i++) {
        g_string_append_printf(cmds, "readq 0x%x\n", BASE + 8 * (i % 64));
        g_ptr_array_add(want, g_strdup("OK 0x0000000000000000"));
    }
    peer_start(&p);
    s.fd = p.fd;
    s.cmds = cmds;
    s.half_close = half_close;
    t = g_thread_new("sender", sender_run, &s);
    got = recv_lines(p.fd, want->len);
    g_thread_join(t);
    check_replies(got, want);
    peer_stop(&p);
}

static void test_many_replies(void)
{
    check_many_replies(false);
}

/*
 * The client sends everything and shuts its side down at once: emunet
 * sees the end of input right after the last commands, and still
 * answers every one of them before it goes.
 */
static void test_half_close(void)
{
    check_many_replies(true);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/proto/pipeline/one-write", test_one_write);
    g_test_add_func("/proto/pipeline/split-writes", test_split_writes);
    g_test_add_func("/proto/pipeline/many-replies", test_many_replies);
    g_test_add_func("/proto/pipeline/half-close", test_half_close);

    return g_test_run();
}
