/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NIC/backend seam (backends/netbe.c) and -netdev socket
 * (backends/socket.c), driven in-process: a recording NetPeer plays the
 * NIC, the test holds the far end of a UNIX socket and iterates the
 * backend's GMainContext itself. connect= and listen=, option errors,
 * and the generic layer against a scripted backend. The stream on a
 * socketpair is in test-netbe-stream.c.
 */
#include "netbe-socket-test.h"

/* ---- connect= and listen= on UNIX paths ---- */

typedef struct UnixFixture {
    GMainContext *ctx;
    TestPeer peer;
    char *dir;
    char *path;
} UnixFixture;

static void unix_setup(UnixFixture *u, gconstpointer data)
{
    GError *err = NULL;

    u->ctx = g_main_context_new();
    test_peer_init(&u->peer);
    u->dir = g_dir_make_tmp("test-netbe-XXXXXX", &err);
    g_assert_no_error(err);
    u->path = g_build_filename(u->dir, "sock", NULL);
}

static void unix_teardown(UnixFixture *u, gconstpointer data)
{
    g_unlink(u->path);
    g_assert_cmpint(g_rmdir(u->dir), ==, 0);
    g_free(u->path);
    g_free(u->dir);
    test_peer_destroy(&u->peer);
    g_main_context_unref(u->ctx);
}

static struct sockaddr_un test_addr(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    g_assert_cmpuint(strlen(path), <, sizeof(sa.sun_path));
    strcpy(sa.sun_path, path);
    return sa;
}

static int test_listen(const char *path)
{
    struct sockaddr_un sa = test_addr(path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(fd, 1), ==, 0);
    return fd;
}

static int test_connect(const char *path)
{
    struct sockaddr_un sa = test_addr(path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(fcntl(fd, F_SETFL, O_NONBLOCK), ==, 0);
    return fd;
}

/* One frame each way between the NIC and the far end `fd`. */
static void test_exchange(GMainContext *ctx, TestPeer *p, int fd, uint32_t seq)
{
    g_autoptr(GByteArray) s = g_byte_array_new();
    guint before = p->frames->len;

    test_append_framed(s, 64, seq);
    test_write_all(ctx, fd, s->data, s->len);
    test_pump(ctx);
    g_assert_cmpuint(p->frames->len, ==, before + 1);
    test_assert_frame(p->frames->pdata[before], 64, seq);
    g_assert_cmpint(test_send_frame(p, 80, seq + 1000), ==, NET_SEND_OK);
    test_read_frame(ctx, fd, 80, seq + 1000);
}

static void test_connect_path(UnixFixture *u, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *str = g_strdup_printf("socket,id=c0,connect=%s", u->path);
    int lfd = test_listen(u->path);
    NetBackend *be;
    int fd;

    be = test_new_backend(u->ctx, str, &err);
    g_assert_no_error(err);
    g_assert_true(net_connect(&u->peer.nc, be, &err));
    g_assert_true(u->peer.link_up);
    fd = accept(lfd, NULL, NULL);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(fcntl(fd, F_SETFL, O_NONBLOCK), ==, 0);
    test_exchange(u->ctx, &u->peer, fd, 1);
    test_exchange(u->ctx, &u->peer, fd, 2);

    /* A client does not reconnect: the link stays down. */
    close(fd);
    test_pump(u->ctx);
    g_assert_false(u->peer.link_up);
    net_backend_free(be);
    close(lfd);
}

static void test_connect_refused(UnixFixture *u, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *str = g_strdup_printf("socket,id=c0,connect=%s", u->path);
    g_autofree char *want = g_strdup_printf("netdev socket: connect=%s: %s",
                                            u->path, g_strerror(ENOENT));

    g_assert_null(test_new_backend(u->ctx, str, &err));
    g_assert_cmpstr(err->message, ==, want);
}

/*
 * A server serves one peer at a time: a second client waits until the
 * first leaves, then is accepted and the carrier comes back.
 */
static void test_listen_reconnect(UnixFixture *u, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *str = g_strdup_printf("socket,id=l0,listen=%s", u->path);
    g_autoptr(GByteArray) s = g_byte_array_new();
    NetBackend *be;
    int a, b, c;

    be = test_new_backend(u->ctx, str, &err);
    g_assert_no_error(err);
    g_assert_true(g_file_test(u->path, G_FILE_TEST_EXISTS));
    g_assert_true(net_connect(&u->peer.nc, be, &err));
    g_assert_false(u->peer.link_up);
    g_assert_cmpint(test_send_frame(&u->peer, 60, 0), ==, NET_SEND_DROP);
    test_pump(u->ctx);
    g_assert_false(u->peer.link_up);

    a = test_connect(u->path);
    test_pump(u->ctx);
    g_assert_true(u->peer.link_up);
    test_exchange(u->ctx, &u->peer, a, 1);

    /* b waits in the backlog; its frame is not read meanwhile. */
    b = test_connect(u->path);
    test_append_framed(s, 64, 2);
    test_write_all(u->ctx, b, s->data, s->len);
    test_pump(u->ctx);
    g_assert_cmpuint(u->peer.frames->len, ==, 1);
    g_assert_cmpint(u->peer.link_events, ==, 2);

    close(a);
    test_pump(u->ctx);
    /* Down when a left, up again with b. */
    g_assert_cmpint(u->peer.link_events, ==, 4);
    g_assert_true(u->peer.link_up);
    g_assert_cmpuint(u->peer.frames->len, ==, 2);
    test_assert_frame(u->peer.frames->pdata[1], 64, 2);
    g_assert_cmpint(test_send_frame(&u->peer, 80, 3), ==, NET_SEND_OK);
    test_read_frame(u->ctx, b, 80, 3);

    close(b);
    test_pump(u->ctx);
    g_assert_false(u->peer.link_up);
    c = test_connect(u->path);
    test_pump(u->ctx);
    g_assert_true(u->peer.link_up);
    test_exchange(u->ctx, &u->peer, c, 4);
    close(c);

    net_backend_free(be);
    /* The socket file it made is gone with it. */
    g_assert_false(g_file_test(u->path, G_FILE_TEST_EXISTS));
}

/*
 * accept() fails for lack of fds: the server backs off instead of
 * spinning on the still-readable listening socket, and accepts the
 * waiting peer once fds are available again.
 */
static void test_listen_accept_fails(UnixFixture *u, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *str = g_strdup_printf("socket,id=l0,listen=%s", u->path);
    struct rlimit old, low;
    NetBackend *be;
    int a, lowest;
    gint64 deadline;

    be = test_new_backend(u->ctx, str, &err);
    g_assert_no_error(err);
    g_assert_true(net_connect(&u->peer.nc, be, &err));
    a = test_connect(u->path);

    /* No fd number left for accept() to return. */
    lowest = dup(0);
    g_assert_cmpint(lowest, >=, 0);
    close(lowest);
    g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &old), ==, 0);
    low = old;
    low.rlim_cur = lowest;
    g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &low), ==, 0);
    test_pump(u->ctx);
    g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &old), ==, 0);
    g_assert_false(u->peer.link_up);

    /* The retry comes from the loop by itself, about a second later. */
    deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (!u->peer.link_up && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(u->ctx, TRUE);
    }
    g_assert_true(u->peer.link_up);
    test_exchange(u->ctx, &u->peer, a, 1);
    close(a);
    net_backend_free(be);
}

static void test_listen_in_use(UnixFixture *u, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *str = g_strdup_printf("socket,id=l0,listen=%s", u->path);
    g_autofree char *want = g_strdup_printf("netdev socket: listen=%s: %s",
                                            u->path, g_strerror(EADDRINUSE));

    g_assert_true(g_file_set_contents(u->path, "x", 1, NULL));
    g_assert_null(test_new_backend(u->ctx, str, &err));
    g_assert_cmpstr(err->message, ==, want);
    /* Someone else's file is left alone. */
    g_assert_true(g_file_test(u->path, G_FILE_TEST_IS_REGULAR));
}

/* ---- Option errors ---- */

static void test_option_error(const char *str, const char *want)
{
    g_autoptr(GError) err = NULL;
    GMainContext *ctx = g_main_context_new();

    g_assert_null(test_new_backend(ctx, str, &err));
    g_assert_nonnull(err);
    g_assert_cmpstr(err->message, ==, want);
    g_main_context_unref(ctx);
}

static void test_options(void)
{
    g_autofree char *longpath = g_strnfill(200, 'a');
    g_autofree char *str = NULL;
    g_autofree char *want = NULL;
    int sv[2], pfd[2], lone;

    test_option_error("socket,fd=3", "netdev: option 'id' is required");
    test_option_error("id=x", "netdev: option 'type' is required");
    test_option_error("tap0,id=x", "netdev: unknown type 'tap0'");
    test_option_error("socket,id=x",
                      "netdev socket: exactly one of 'fd', 'connect' or "
                      "'listen' is required");
    test_option_error("socket,id=x,fd=3,listen=/nonexistent/s",
                      "netdev socket: exactly one of 'fd', 'connect' or "
                      "'listen' is required");
    test_option_error("socket,id=x,fd=3,port=4",
                      "netdev socket: unknown option 'port'");
    test_option_error("socket,id=x,fd=three",
                      "netdev socket: option 'fd' expects a number, got "
                      "'three'");
    test_option_error("socket,id=x,fd=99999999999",
                      "netdev socket: fd=99999999999: not a file "
                      "descriptor");
    test_option_error("socket,id=x,connect=",
                      "netdev socket: option 'connect' needs a path");

    str = g_strdup_printf("socket,id=x,connect=/%s", longpath);
    want = g_strdup_printf("netdev socket: connect=/%s: path longer than "
                           "107 bytes",
                           longpath);
    test_option_error(str, want);
    g_free(str);
    g_free(want);

    /* An fd number that is not open. */
    lone = 1000;
    g_assert_cmpint(fcntl(lone, F_GETFD), ==, -1);
    str = g_strdup_printf("socket,id=x,fd=%d", lone);
    want = g_strdup_printf("netdev socket: fd=%d: %s", lone, g_strerror(EBADF));
    test_option_error(str, want);
    g_free(str);
    g_free(want);

    g_assert_cmpint(pipe(pfd), ==, 0);
    str = g_strdup_printf("socket,id=x,fd=%d", pfd[0]);
    want = g_strdup_printf("netdev socket: fd=%d: not a socket", pfd[0]);
    test_option_error(str, want);
    close(pfd[0]);
    close(pfd[1]);
    g_free(str);
    g_free(want);

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), ==, 0);
    str = g_strdup_printf("socket,id=x,fd=%d", sv[0]);
    want = g_strdup_printf("netdev socket: fd=%d: not a stream socket", sv[0]);
    test_option_error(str, want);
    close(sv[0]);
    close(sv[1]);
    g_free(str);
    g_free(want);

    lone = socket(AF_UNIX, SOCK_STREAM, 0);
    str = g_strdup_printf("socket,id=x,fd=%d", lone);
    want = g_strdup_printf("netdev socket: fd=%d: not connected", lone);
    test_option_error(str, want);
    /* A refused fd stays the caller's. */
    g_assert_cmpint(close(lone), ==, 0);
}

/* ---- The generic layer against a scripted backend ---- */

typedef struct FakeBackend {
    NetBackend be;
    bool rx_enabled;
    int rx_toggles;
    NetSendResult next;
    int sends;
    int set_link_calls;
    bool link;
    bool *freed;
} FakeBackend;

static NetSendResult fake_send(NetBackend *be, const struct iovec *iov,
                               int iovcnt)
{
    FakeBackend *fb = be->opaque;

    fb->sends++;
    return fb->next;
}

static void fake_set_rx_enabled(NetBackend *be, bool enabled)
{
    FakeBackend *fb = be->opaque;

    if (fb->rx_enabled != enabled) {
        fb->rx_toggles++;
    }
    fb->rx_enabled = enabled;
}

static void fake_set_link(NetBackend *be, bool up)
{
    FakeBackend *fb = be->opaque;

    fb->set_link_calls++;
    fb->link = up;
}

static void fake_free(NetBackend *be)
{
    FakeBackend *fb = be->opaque;

    *fb->freed = true;
    g_free(fb);
}

static const NetBackendOps fake_ops = {
    .type = "fake",
    .send = fake_send,
    .set_rx_enabled = fake_set_rx_enabled,
    .set_link = fake_set_link,
    .free = fake_free,
};

static FakeBackend *fake_new(bool *freed)
{
    FakeBackend *fb = g_new0(FakeBackend, 1);

    net_backend_init(&fb->be, &fake_ops, "fake0", fb);
    fb->freed = freed;
    *freed = false;
    return fb;
}

static void test_generic_connect(void)
{
    g_autoptr(GError) err = NULL;
    TestPeer p, q;
    bool freed;
    FakeBackend *fb = fake_new(&freed);
    FakeBackend *fb2;
    bool freed2;

    test_peer_init(&p);
    test_peer_init(&q);
    /* No backend: DROP, nothing to crash on. */
    g_assert_cmpint(test_send_frame(&p, 60, 0), ==, NET_SEND_DROP);
    net_peer_rx_ready(&p.nc);
    net_peer_set_link(&p.nc, false);
    net_disconnect(&p.nc);

    g_assert_true(net_connect(&p.nc, &fb->be, &err));
    g_assert_true(fb->rx_enabled);
    g_assert_true(p.link_up);
    g_assert_cmpint(p.link_events, ==, 1);

    /* One to one, both ways. */
    g_assert_false(net_connect(&q.nc, &fb->be, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    fb2 = fake_new(&freed2);
    g_assert_false(net_connect(&p.nc, &fb2->be, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    net_backend_free(&fb2->be);
    g_assert_true(freed2);

    net_peer_set_link(&p.nc, false);
    g_assert_cmpint(fb->set_link_calls, ==, 1);
    g_assert_false(fb->link);

    net_backend_set_carrier(&fb->be, false);
    net_backend_set_carrier(&fb->be, false);
    g_assert_cmpint(p.link_events, ==, 2);
    g_assert_false(p.link_up);
    /* No carrier: dropped without bothering the backend. */
    g_assert_cmpint(test_send_frame(&p, 60, 0), ==, NET_SEND_DROP);
    g_assert_cmpint(fb->sends, ==, 0);
    g_assert_cmpuint(fb->be.stats.tx_drops, ==, 1);
    net_backend_set_carrier(&fb->be, true);
    g_assert_true(p.link_up);

    net_disconnect(&p.nc);
    g_assert_false(fb->rx_enabled);
    g_assert_null(p.nc.backend);
    g_assert_null(fb->be.peer);
    /* Free now ready for another NIC. */
    g_assert_true(net_connect(&q.nc, &fb->be, &err));
    net_backend_free(&fb->be);
    g_assert_true(freed);
    g_assert_null(q.nc.backend);
    net_backend_free(NULL);
    test_peer_destroy(&p);
    test_peer_destroy(&q);
}

static void test_generic_send(void)
{
    g_autoptr(GError) err = NULL;
    TestPeer p;
    bool freed;
    FakeBackend *fb = fake_new(&freed);

    test_peer_init(&p);
    g_assert_true(net_connect(&p.nc, &fb->be, &err));
    fb->next = NET_SEND_OK;
    g_assert_cmpint(test_send_frame(&p, 100, 0), ==, NET_SEND_OK);
    fb->next = NET_SEND_BUSY;
    g_assert_cmpint(test_send_frame(&p, 100, 1), ==, NET_SEND_BUSY);
    fb->next = NET_SEND_DROP;
    g_assert_cmpint(test_send_frame(&p, 100, 2), ==, NET_SEND_DROP);
    g_assert_cmpint(fb->sends, ==, 3);
    g_assert_cmpuint(fb->be.stats.tx_frames, ==, 1);
    g_assert_cmpuint(fb->be.stats.tx_bytes, ==, 100);
    g_assert_cmpuint(fb->be.stats.tx_drops, ==, 1);
    net_backend_tx_ready(&fb->be);
    g_assert_cmpint(p.tx_ready_calls, ==, 1);
    net_backend_free(&fb->be);
    test_peer_destroy(&p);
}

/* Exactly one refused frame is held; reading stops until the doorbell. */
static void test_generic_hold(void)
{
    g_autoptr(GError) err = NULL;
    uint8_t a[60], b[61], runt[ETH_HLEN - 1] = {0};
    TestPeer p;
    bool freed;
    FakeBackend *fb = fake_new(&freed);

    test_fill_stream_frame(a, sizeof(a), 0);
    test_fill_stream_frame(b, sizeof(b), 1);
    test_peer_init(&p);
    /* No NIC yet: dropped and counted. */
    g_assert_true(net_backend_receive(&fb->be, a, sizeof(a)));
    g_assert_cmpuint(fb->be.stats.rx_drops, ==, 1);
    g_assert_true(net_connect(&p.nc, &fb->be, &err));

    g_assert_true(net_backend_receive(&fb->be, runt, sizeof(runt)));
    g_assert_cmpuint(fb->be.stats.rx_errors, ==, 1);

    p.budget = 0;
    g_assert_false(net_backend_receive(&fb->be, a, sizeof(a)));
    g_assert_false(fb->rx_enabled);
    g_assert_cmpuint(fb->be.held_len, ==, sizeof(a));
    g_assert_cmpmem(fb->be.held, fb->be.held_len, a, sizeof(a));

    /* A backend that keeps reading loses the newer frame, counted. */
    g_assert_false(net_backend_receive(&fb->be, b, sizeof(b)));
    g_assert_cmpuint(fb->be.stats.rx_drops, ==, 2);
    g_assert_cmpuint(fb->be.held_len, ==, sizeof(a));

    net_peer_rx_ready(&p.nc);
    g_assert_false(fb->rx_enabled);
    g_assert_nonnull(fb->be.held);

    p.budget = -1;
    net_peer_rx_ready(&p.nc);
    g_assert_true(fb->rx_enabled);
    g_assert_null(fb->be.held);
    g_assert_cmpuint(p.frames->len, ==, 1);
    test_assert_frame(p.frames->pdata[0], sizeof(a), 0);
    g_assert_cmpuint(fb->be.stats.rx_frames, ==, 1);
    g_assert_cmpuint(fb->be.stats.rx_bytes, ==, sizeof(a));

    /* Disconnecting with a frame held drops it, counted. */
    p.budget = 0;
    g_assert_false(net_backend_receive(&fb->be, b, sizeof(b)));
    net_disconnect(&p.nc);
    g_assert_null(fb->be.held);
    g_assert_cmpuint(fb->be.stats.rx_drops, ==, 3);
    net_backend_free(&fb->be);
    test_peer_destroy(&p);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

#define ADD(path, fn)                                                          \
    g_test_add(path, UnixFixture, NULL, unix_setup, fn, unix_teardown)
    ADD("/netbe/socket/connect", test_connect_path);
    ADD("/netbe/socket/connect-refused", test_connect_refused);
    ADD("/netbe/socket/listen-reconnect", test_listen_reconnect);
    ADD("/netbe/socket/listen-accept-fails", test_listen_accept_fails);
    ADD("/netbe/socket/listen-in-use", test_listen_in_use);
#undef ADD
    g_test_add_func("/netbe/socket/options", test_options);
    g_test_add_func("/netbe/generic/connect", test_generic_connect);
    g_test_add_func("/netbe/generic/send", test_generic_send);
    g_test_add_func("/netbe/generic/hold", test_generic_hold);
    return g_test_run();
}
