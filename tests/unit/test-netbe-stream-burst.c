/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -netdev socket (backends/socket.c) reading a burst: one dispatch keeps
 * reading while the socket has more than one read's worth, so a queued
 * burst of several hundred KiB reaches the NIC in one main-loop
 * iteration, in order; it still stops at once when the NIC is full, and
 * an end of stream right behind the burst costs no frame.
 */
#include "netbe-socket-test.h"

/* 1.5 MiB: several of the backend's reads, fewer than its budget. */
#define BURST_FRAMES 1000
#define BURST_LEN 1514

typedef struct Fixture {
    GMainContext *ctx;
    TestPeer peer;
    NetBackend *be;
    int far;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *str = NULL;
    int sv[2], buf = 4 << 20;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    f->far = sv[1];
    /*
     * Room for the whole burst, so that it is queued before we look
     * (FORCE needs CAP_NET_ADMIN; without it the kernel caps the size and
     * burst_fits picks fewer frames).
     */
    if (setsockopt(f->far, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf))) {
        g_assert_cmpint(setsockopt(f->far, SOL_SOCKET, SO_SNDBUF, &buf,
                                   sizeof(buf)), ==, 0);
    }
    f->ctx = g_main_context_new();
    test_peer_init(&f->peer);
    str = g_strdup_printf("socket,id=net0,fd=%d", sv[0]);
    f->be = test_new_backend(f->ctx, str, &err);
    g_assert_no_error(err);
    g_assert_true(net_connect(&f->peer.nc, f->be, &err));
    g_assert_no_error(err);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    net_backend_free(f->be);
    if (f->far >= 0) {
        close(f->far);
    }
    test_peer_destroy(&f->peer);
    g_main_context_unref(f->ctx);
}

/*
 * How many frames (at most `want`) the socket surely holds at once: half
 * its send buffer, the rest being the kernel's overhead per buffer.
 */
static unsigned burst_fits(Fixture *f, unsigned want)
{
    int sb = 0;
    socklen_t len = sizeof(sb);

    g_assert_cmpint(getsockopt(f->far, SOL_SOCKET, SO_SNDBUF, &sb, &len), ==,
                    0);
    return MIN(want, (unsigned)sb / 2 / (4 + BURST_LEN));
}

/* Queue `frames` frames at once (the socket holds them: burst_fits). */
static void queue_burst(Fixture *f, unsigned frames)
{
    g_autoptr(GByteArray) s = g_byte_array_new();

    for (unsigned i = 0; i < frames; i++) {
        test_append_framed(s, BURST_LEN, i);
    }
    g_assert_cmpint(send(f->far, s->data, s->len, MSG_DONTWAIT), ==,
                    (ssize_t)s->len);
}

/* Iterations until the socket is idle again, at most `max`. */
static unsigned iterate(Fixture *f, unsigned max)
{
    unsigned n = 0;

    while (n < max && g_main_context_iteration(f->ctx, FALSE)) {
        n++;
    }
    return n;
}

static void test_burst_one_dispatch(Fixture *f, gconstpointer data)
{
    /* Fewer on a host that caps socket buffers (no CAP_NET_ADMIN). */
    unsigned frames = burst_fits(f, BURST_FRAMES);

    queue_burst(f, frames);
    g_assert_true(g_main_context_iteration(f->ctx, FALSE));
    g_assert_cmpuint(f->peer.frames->len, ==, frames);
    for (unsigned i = 0; i < frames; i++) {
        test_assert_frame(f->peer.frames->pdata[i], BURST_LEN, i);
    }
    g_assert_cmpuint(f->be->stats.rx_frames, ==, frames);
}

/* The NIC fills up in the middle: reading stops, then resumes in order. */
static void test_burst_nic_full(Fixture *f, gconstpointer data)
{
    unsigned frames = burst_fits(f, 300);

    queue_burst(f, frames);
    f->peer.budget = 100;
    iterate(f, 10);
    g_assert_cmpuint(f->peer.frames->len, ==, 100);
    f->peer.budget = -1;
    net_peer_rx_ready(&f->peer.nc);
    iterate(f, 10);
    g_assert_cmpuint(f->peer.frames->len, ==, frames);
    for (unsigned i = 0; i < frames; i++) {
        test_assert_frame(f->peer.frames->pdata[i], BURST_LEN, i);
    }
    g_assert_cmpuint(f->be->stats.rx_drops, ==, 0);
}

/* The peer closes right behind its burst: every frame, then carrier down. */
static void test_burst_then_eof(Fixture *f, gconstpointer data)
{
    unsigned frames = burst_fits(f, 300);

    queue_burst(f, frames);
    close(f->far);
    f->far = -1;
    g_assert_true(g_main_context_iteration(f->ctx, FALSE));
    g_assert_cmpuint(f->peer.frames->len, ==, frames);
    iterate(f, 10);
    g_assert_false(f->peer.link_up);
    g_assert_cmpuint(f->peer.frames->len, ==, frames);
    g_assert_cmpuint(f->be->stats.rx_drops, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn)                                                          \
    g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/netbe/socket/burst/one-dispatch", test_burst_one_dispatch);
    ADD("/netbe/socket/burst/nic-full", test_burst_nic_full);
    ADD("/netbe/socket/burst/eof", test_burst_then_eof);
#undef ADD
    return g_test_run();
}
