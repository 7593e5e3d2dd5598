/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -netdev socket (backends/socket.c) on one end of a socketpair, driven
 * in-process: a recording NetPeer plays the NIC, the test holds the far
 * end and iterates the backend's GMainContext itself. Host to guest,
 * guest to host, and faults of the stream framing.
 */
#include "netbe-socket-test.h"

/* ---- Fixture: a socket backend on one end of a socketpair ---- */

typedef struct Fixture {
    GMainContext *ctx;
    TestPeer peer;
    NetBackend *be;
    /* The backend's fd and the test's end. */
    int near;
    int far;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *str = NULL;
    int sv[2];

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    f->near = sv[0];
    f->far = sv[1];
    g_assert_cmpint(fcntl(f->far, F_SETFL, O_NONBLOCK), ==, 0);
    f->ctx = g_main_context_new();
    test_peer_init(&f->peer);
    str = g_strdup_printf("socket,id=net0,fd=%d", f->near);
    f->be = test_new_backend(f->ctx, str, &err);
    g_assert_no_error(err);
    g_assert_nonnull(f->be);
    g_assert_true(net_connect(&f->peer.nc, f->be, &err));
    g_assert_no_error(err);
    g_assert_true(f->peer.link_up);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    net_backend_free(f->be);
    /* The backend owned the fd it was given. */
    g_assert_cmpint(fcntl(f->near, F_GETFD), ==, -1);
    if (f->far >= 0) {
        close(f->far);
    }
    test_peer_destroy(&f->peer);
    g_main_context_unref(f->ctx);
}

/* ---- Host to guest ---- */

static void test_rx_frame(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) s = g_byte_array_new();

    test_append_framed(s, 60, 1);
    test_write_all(f->ctx, f->far, s->data, s->len);
    test_pump(f->ctx);
    g_assert_cmpuint(f->peer.frames->len, ==, 1);
    test_assert_frame(f->peer.frames->pdata[0], 60, 1);
    g_assert_cmpuint(f->be->stats.rx_frames, ==, 1);
    g_assert_cmpuint(f->be->stats.rx_bytes, ==, 60);
    g_assert_cmpuint(f->be->stats.rx_errors, ==, 0);
}

static void test_rx_several_in_one_write(Fixture *f, gconstpointer data)
{
    static const size_t lens[] = {ETH_HLEN, 60, 1514, NET_MAX_FRAME, 100};
    g_autoptr(GByteArray) s = g_byte_array_new();
    uint64_t bytes = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(lens); i++) {
        test_append_framed(s, lens[i], i);
        bytes += lens[i];
    }
    g_assert_cmpint(send(f->far, s->data, s->len, 0), ==, (ssize_t)s->len);
    test_pump(f->ctx);
    g_assert_cmpuint(f->peer.frames->len, ==, G_N_ELEMENTS(lens));
    for (size_t i = 0; i < G_N_ELEMENTS(lens); i++) {
        test_assert_frame(f->peer.frames->pdata[i], lens[i], i);
    }
    g_assert_cmpuint(f->be->stats.rx_frames, ==, G_N_ELEMENTS(lens));
    g_assert_cmpuint(f->be->stats.rx_bytes, ==, bytes);
}

/* Three frames, the stream cut in two at every byte position. */
static void test_rx_partial_read(Fixture *f, gconstpointer data)
{
    static const size_t lens[] = {60, ETH_HLEN, 97};
    g_autoptr(GByteArray) s = g_byte_array_new();
    size_t ends[G_N_ELEMENTS(lens)];
    guint total = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(lens); i++) {
        test_append_framed(s, lens[i], i);
        ends[i] = s->len;
    }
    for (size_t cut = 1; cut < s->len; cut++) {
        guint whole = 0;

        while (whole < G_N_ELEMENTS(lens) && ends[whole] <= cut) {
            whole++;
        }
        test_write_all(f->ctx, f->far, s->data, cut);
        test_pump(f->ctx);
        g_assert_cmpuint(f->peer.frames->len, ==, total + whole);
        test_write_all(f->ctx, f->far, s->data + cut, s->len - cut);
        test_pump(f->ctx);
        g_assert_cmpuint(f->peer.frames->len, ==, total + 3);
        for (size_t i = 0; i < G_N_ELEMENTS(lens); i++) {
            test_assert_frame(f->peer.frames->pdata[total + i], lens[i], i);
        }
        total += 3;
    }
    g_assert_cmpuint(f->be->stats.rx_frames, ==, total);
    g_assert_cmpuint(f->be->stats.rx_errors, ==, 0);
    g_assert_true(f->peer.link_up);
}

/* The same stream one byte per write, the backend running in between. */
static void test_rx_byte_at_a_time(Fixture *f, gconstpointer data)
{
    static const size_t lens[] = {60, ETH_HLEN, 1514};
    g_autoptr(GByteArray) s = g_byte_array_new();

    for (size_t i = 0; i < G_N_ELEMENTS(lens); i++) {
        test_append_framed(s, lens[i], i);
    }
    for (size_t i = 0; i < s->len; i++) {
        test_write_all(f->ctx, f->far, s->data + i, 1);
        test_pump(f->ctx);
    }
    g_assert_cmpuint(f->peer.frames->len, ==, G_N_ELEMENTS(lens));
    for (size_t i = 0; i < G_N_ELEMENTS(lens); i++) {
        test_assert_frame(f->peer.frames->pdata[i], lens[i], i);
    }
}

/* A well-framed but runt frame is dropped and counted; the link stays. */
static void test_rx_runt(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) s = g_byte_array_new();

    test_append_framed(s, ETH_HLEN - 1, 0);
    test_append_framed(s, 60, 1);
    test_write_all(f->ctx, f->far, s->data, s->len);
    test_pump(f->ctx);
    g_assert_cmpuint(f->peer.frames->len, ==, 1);
    test_assert_frame(f->peer.frames->pdata[0], 60, 1);
    g_assert_cmpuint(f->be->stats.rx_errors, ==, 1);
    g_assert_true(f->peer.link_up);
}

/*
 * The NIC refuses: reading stops for real, the kernel buffer fills and
 * the sender is throttled; as the NIC takes a few frames per doorbell,
 * every frame arrives, in order.
 */
static void test_rx_backpressure(Fixture *f, gconstpointer data)
{
    const guint nframes = 3000;
    const size_t len = 1000;
    g_autoptr(GByteArray) s = g_byte_array_new();
    size_t off = 0;
    int inq, spins = 0;

    for (guint i = 0; i < nframes; i++) {
        test_append_framed(s, len, i);
    }
    f->peer.budget = 0;
    /* Write until the socket stays full with the backend running. */
    for (;;) {
        ssize_t n = send(f->far, s->data + off, s->len - off, MSG_DONTWAIT);

        if (n > 0) {
            off += n;
            test_pump(f->ctx);
            continue;
        }
        g_assert_true(n < 0 && errno == EAGAIN);
        test_pump(f->ctx);
        n = send(f->far, s->data + off, s->len - off, MSG_DONTWAIT);
        if (n < 0) {
            g_assert_cmpint(errno, ==, EAGAIN);
            break;
        }
        off += n;
    }
    g_assert_cmpuint(off, <, s->len);
    g_assert_cmpuint(f->peer.frames->len, ==, 0);
    g_assert_nonnull(f->be->held);
    g_assert_cmpuint(f->be->held_len, ==, len);

    /* Not reading: what waits in the kernel stays there. */
    inq = test_inq(f->near);
    g_assert_cmpint(inq, >, 0);
    for (int i = 0; i < 10; i++) {
        test_pump(f->ctx);
    }
    g_assert_cmpint(test_inq(f->near), ==, inq);

    /* A doorbell with no room frees nothing. */
    net_peer_rx_ready(&f->peer.nc);
    test_pump(f->ctx);
    g_assert_cmpuint(f->peer.frames->len, ==, 0);
    g_assert_cmpint(test_inq(f->near), ==, inq);

    while (f->peer.frames->len < nframes) {
        ssize_t n;

        g_assert_cmpint(++spins, <, TEST_SPIN_MAX);
        f->peer.budget = 7;
        net_peer_rx_ready(&f->peer.nc);
        test_pump(f->ctx);
        if (off < s->len) {
            n = send(f->far, s->data + off, s->len - off, MSG_DONTWAIT);
            if (n > 0) {
                off += n;
            }
        }
    }
    g_assert_cmpuint(off, ==, s->len);
    for (guint i = 0; i < nframes; i++) {
        test_assert_frame(f->peer.frames->pdata[i], len, i);
    }
    g_assert_cmpuint(f->be->stats.rx_frames, ==, nframes);
    g_assert_cmpuint(f->be->stats.rx_drops, ==, 0);
    g_assert_null(f->be->held);
}

/*
 * Frames already read into the reassembly buffer when the NIC fills up
 * are delivered after the doorbell, without any new socket data.
 */
static void test_rx_resume_buffered(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) s = g_byte_array_new();

    for (guint i = 0; i < 10; i++) {
        test_append_framed(s, 60 + i, i);
    }
    f->peer.budget = 3;
    g_assert_cmpint(send(f->far, s->data, s->len, 0), ==, (ssize_t)s->len);
    test_pump(f->ctx);
    g_assert_cmpuint(f->peer.frames->len, ==, 3);
    g_assert_nonnull(f->be->held);
    g_assert_cmpint(test_inq(f->near), ==, 0);

    /* Room for 4: the held frame and three from the buffer. */
    f->peer.budget = 4;
    net_peer_rx_ready(&f->peer.nc);
    g_assert_cmpuint(f->peer.frames->len, ==, 4);
    test_pump(f->ctx);
    g_assert_cmpuint(f->peer.frames->len, ==, 7);

    f->peer.budget = -1;
    net_peer_rx_ready(&f->peer.nc);
    test_pump(f->ctx);
    g_assert_cmpuint(f->peer.frames->len, ==, 10);
    for (guint i = 0; i < 10; i++) {
        test_assert_frame(f->peer.frames->pdata[i], 60 + i, i);
    }
    g_assert_cmpuint(f->be->stats.rx_frames, ==, 10);
}

/* can_receive() false holds the frame the same way receive() false does. */
static void test_rx_cannot_receive(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) s = g_byte_array_new();

    test_append_framed(s, 60, 0);
    test_append_framed(s, 61, 1);
    f->peer.can = false;
    test_write_all(f->ctx, f->far, s->data, s->len);
    test_pump(f->ctx);
    g_assert_cmpuint(f->peer.frames->len, ==, 0);
    g_assert_cmpuint(f->be->held_len, ==, 60);
    net_peer_rx_ready(&f->peer.nc);
    test_pump(f->ctx);
    g_assert_cmpuint(f->peer.frames->len, ==, 0);

    f->peer.can = true;
    net_peer_rx_ready(&f->peer.nc);
    test_pump(f->ctx);
    g_assert_cmpuint(f->peer.frames->len, ==, 2);
    test_assert_frame(f->peer.frames->pdata[0], 60, 0);
    test_assert_frame(f->peer.frames->pdata[1], 61, 1);
}

/* ---- Guest to host ---- */

static void test_tx_frame(Fixture *f, gconstpointer data)
{
    g_assert_cmpint(test_send_frame(&f->peer, 60, 5), ==, NET_SEND_OK);
    g_assert_cmpint(test_send_frame(&f->peer, NET_MAX_FRAME, 6), ==,
                    NET_SEND_OK);
    test_read_frame(f->ctx, f->far, 60, 5);
    test_read_frame(f->ctx, f->far, NET_MAX_FRAME, 6);
    g_assert_cmpuint(f->be->stats.tx_frames, ==, 2);
    g_assert_cmpuint(f->be->stats.tx_bytes, ==, 60 + NET_MAX_FRAME);
}

/* A frame in more pieces than the direct path passes to sendmsg(). */
static void test_tx_many_pieces(Fixture *f, gconstpointer data)
{
    uint8_t buf[300];
    struct iovec iov[150];

    test_fill_stream_frame(buf, sizeof(buf), 9);
    for (int i = 0; i < 150; i++) {
        iov[i].iov_base = buf + 2 * i;
        iov[i].iov_len = 2;
    }
    g_assert_cmpint(net_peer_send(&f->peer.nc, iov, 150), ==, NET_SEND_OK);
    g_assert_cmpint(test_send_frame(&f->peer, 70, 10), ==, NET_SEND_OK);
    test_read_frame(f->ctx, f->far, sizeof(buf), 9);
    test_read_frame(f->ctx, f->far, 70, 10);
}

/* Frames outside ETH_HLEN..NET_MAX_FRAME never reach the wire. */
static void test_tx_bad_size(Fixture *f, gconstpointer data)
{
    static uint8_t big[NET_MAX_FRAME + 1];
    uint8_t small[ETH_HLEN - 1] = {0};
    struct iovec iov = {.iov_base = small, .iov_len = sizeof(small)};

    g_assert_cmpint(net_peer_send(&f->peer.nc, &iov, 1), ==, NET_SEND_DROP);
    iov.iov_base = big;
    iov.iov_len = sizeof(big);
    g_assert_cmpint(net_peer_send(&f->peer.nc, &iov, 1), ==, NET_SEND_DROP);
    g_assert_cmpuint(f->be->stats.tx_errors, ==, 2);
    g_assert_cmpuint(f->be->stats.tx_frames, ==, 0);
    test_pump(f->ctx);
    g_assert_cmpint(recv(f->far, small, 1, MSG_DONTWAIT), ==, -1);
    g_assert_cmpint(errno, ==, EAGAIN);
}

/* Fill socket and queue until BUSY; returns the frames accepted. */
static guint test_fill_tx(Fixture *f, size_t len)
{
    guint sent = 0;
    NetSendResult r;

    while ((r = test_send_frame(&f->peer, len, sent)) == NET_SEND_OK) {
        sent++;
        g_assert_cmpuint(sent, <, TEST_SPIN_MAX);
        test_pump(f->ctx);
    }
    g_assert_cmpint(r, ==, NET_SEND_BUSY);
    return sent;
}

/*
 * The far end does not read: the backend queues up to its bound, then
 * says BUSY; once the far end drains it, tx_ready comes, and every frame
 * accepted arrives once, in order.
 */
static void test_tx_busy(Fixture *f, gconstpointer data)
{
    const size_t len = 1500;
    guint sent = test_fill_tx(f, len);

    /* More than the kernel alone holds: the backend queued some. */
    g_assert_cmpuint(sent * (len + 4), >, 256 * 1024);
    g_assert_cmpint(f->peer.tx_ready_calls, ==, 0);
    g_assert_cmpint(test_send_frame(&f->peer, len, sent), ==, NET_SEND_BUSY);
    test_pump(f->ctx);
    g_assert_cmpint(f->peer.tx_ready_calls, ==, 0);

    for (guint i = 0; i < sent; i++) {
        test_read_frame(f->ctx, f->far, len, i);
    }
    test_pump(f->ctx);
    g_assert_cmpint(f->peer.tx_ready_calls, ==, 1);
    g_assert_cmpint(test_send_frame(&f->peer, len, sent), ==, NET_SEND_OK);
    test_read_frame(f->ctx, f->far, len, sent);
    g_assert_cmpuint(f->be->stats.tx_frames, ==, sent + 1);
    g_assert_cmpuint(f->be->stats.tx_drops, ==, 0);
    g_assert_cmpint(test_inq(f->far), ==, 0);
}

/*
 * Batching (net.h, NetBackendOps.flush): frames sent in one run wait for
 * net_peer_flush and then arrive together, in order; a run of more than
 * 256 KiB (the backend's bound) starts to leave before its flush.
 */
static void test_tx_batch(Fixture *f, gconstpointer data)
{
    guint i, n;

    for (i = 0; i < 10; i++) {
        g_assert_cmpint(test_send_frame(&f->peer, 60 + i, i), ==,
                        NET_SEND_OK);
    }
    g_assert_cmpint(test_inq(f->far), ==, 0);
    net_peer_flush(&f->peer.nc);
    g_assert_cmpint(test_inq(f->far), ==, 10 * 4 + 10 * 60 + 45);
    for (i = 0; i < 10; i++) {
        test_read_frame(f->ctx, f->far, 60 + i, i);
    }

    /* A long run: nothing leaves until 256 KiB are queued. */
    for (n = 0; test_inq(f->far) == 0; n++) {
        g_assert_cmpuint(n, <, 1000);
        g_assert_cmpint(test_send_frame(&f->peer, 1024, n), ==, NET_SEND_OK);
    }
    g_assert_cmpuint(n * 1028, >=, 256 * 1024);
    g_assert_cmpuint((n - 1) * 1028, <, 256 * 1024);
    g_assert_cmpint(test_send_frame(&f->peer, 1024, n), ==, NET_SEND_OK);
    net_peer_flush(&f->peer.nc);
    for (i = 0; i <= n; i++) {
        test_read_frame(f->ctx, f->far, 1024, i);
    }
    g_assert_cmpuint(f->be->stats.tx_frames, ==, 10 + n + 1);
    g_assert_cmpint(test_inq(f->far), ==, 0);
}

/* A NIC that never flushes: its frames leave from the main loop. */
static void test_tx_no_flush(Fixture *f, gconstpointer data)
{
    g_assert_cmpint(test_send_frame(&f->peer, 60, 0), ==, NET_SEND_OK);
    g_assert_cmpint(test_send_frame(&f->peer, 61, 1), ==, NET_SEND_OK);
    g_assert_cmpint(test_inq(f->far), ==, 0);
    g_assert_true(g_main_context_iteration(f->ctx, FALSE));
    g_assert_cmpint(test_inq(f->far), ==, 2 * 4 + 121);
    test_read_frame(f->ctx, f->far, 60, 0);
    test_read_frame(f->ctx, f->far, 61, 1);
    /* Nothing left to do: the loop does not spin. */
    g_assert_false(g_main_context_iteration(f->ctx, FALSE));
}

/* ---- Faults ---- */

/* Frames before EOF arrive; then carrier down and sends are dropped. */
static void test_eof(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) s = g_byte_array_new();

    test_append_framed(s, 60, 0);
    test_write_all(f->ctx, f->far, s->data, s->len);
    close(f->far);
    f->far = -1;
    test_pump(f->ctx);
    g_assert_cmpuint(f->peer.frames->len, ==, 1);
    g_assert_false(f->peer.link_up);
    g_assert_cmpint(f->peer.link_events, ==, 2);
    g_assert_false(f->be->link_up);

    g_assert_cmpint(test_send_frame(&f->peer, 60, 1), ==, NET_SEND_DROP);
    g_assert_cmpint(test_send_frame(&f->peer, 60, 2), ==, NET_SEND_DROP);
    g_assert_cmpuint(f->be->stats.tx_drops, ==, 2);
    /* Nothing further happens: no spinning on the dead fd. */
    test_pump(f->ctx);
    g_assert_cmpint(f->peer.link_events, ==, 2);
}

/* EOF in the middle of a frame: the partial frame is counted, not given. */
static void test_eof_mid_frame(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) s = g_byte_array_new();

    test_append_framed(s, 60, 0);
    test_append_framed(s, 60, 1);
    test_write_all(f->ctx, f->far, s->data, s->len - 10);
    close(f->far);
    f->far = -1;
    test_pump(f->ctx);
    g_assert_cmpuint(f->peer.frames->len, ==, 1);
    g_assert_false(f->peer.link_up);
    g_assert_cmpuint(f->be->stats.rx_drops, ==, 1);
}

/*
 * The far end is gone when the NIC sends: no SIGPIPE; the queued frame is
 * taken, found undeliverable when written (flush) and counted as dropped,
 * and the NIC hears of the carrier only from the main loop, not inside
 * its send or flush.
 */
static void test_tx_epipe(Fixture *f, gconstpointer data)
{
    close(f->far);
    f->far = -1;
    g_assert_cmpint(test_send_frame(&f->peer, 60, 0), ==, NET_SEND_OK);
    net_peer_flush(&f->peer.nc);
    g_assert_true(f->peer.link_up);
    g_assert_cmpint(f->peer.link_events, ==, 1);
    test_pump(f->ctx);
    g_assert_cmpuint(f->be->stats.tx_drops, ==, 1);
    g_assert_false(f->peer.link_up);
    g_assert_cmpint(f->peer.link_events, ==, 2);
    g_assert_cmpint(test_send_frame(&f->peer, 60, 1), ==, NET_SEND_DROP);
    g_assert_cmpuint(f->be->stats.tx_drops, ==, 2);
}

/*
 * The far end vanishes with frames queued: they are counted as dropped
 * and the BUSY NIC gets tx_ready so it does not wait forever.
 */
static void test_eof_tx_queued(Fixture *f, gconstpointer data)
{
    guint sent = test_fill_tx(f, 1500);

    g_assert_cmpuint(sent, >, 0);
    close(f->far);
    f->far = -1;
    test_pump(f->ctx);
    g_assert_false(f->peer.link_up);
    g_assert_cmpint(f->peer.tx_ready_calls, ==, 1);
    g_assert_cmpuint(f->be->stats.tx_drops, >, 0);
    g_assert_cmpuint(f->be->stats.tx_drops, <=, sent);
    g_assert_cmpint(test_send_frame(&f->peer, 60, 0), ==, NET_SEND_DROP);
}

/* RX paused by a full NIC when the peer leaves: still noticed via TX. */
static void test_eof_rx_paused(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) s = g_byte_array_new();

    test_append_framed(s, 60, 0);
    test_append_framed(s, 60, 1);
    f->peer.budget = 0;
    test_write_all(f->ctx, f->far, s->data, s->len);
    test_pump(f->ctx);
    g_assert_nonnull(f->be->held);
    close(f->far);
    f->far = -1;
    test_pump(f->ctx);
    /* Not reading, so EOF is not seen yet; nothing spins either. */
    g_assert_true(f->peer.link_up);
    f->peer.budget = -1;
    net_peer_rx_ready(&f->peer.nc);
    test_pump(f->ctx);
    g_assert_cmpuint(f->peer.frames->len, ==, 2);
    g_assert_false(f->peer.link_up);
}

static void test_bad_length(Fixture *f, uint32_t bad)
{
    g_autoptr(GByteArray) s = g_byte_array_new();
    uint8_t hdr[4];
    uint8_t junk[64] = {0};
    char c;

    test_append_framed(s, 60, 0);
    st32_be(hdr, bad);
    g_byte_array_append(s, hdr, sizeof(hdr));
    g_byte_array_append(s, junk, sizeof(junk));
    test_append_framed(s, 60, 1);
    test_write_all(f->ctx, f->far, s->data, s->len);
    test_pump(f->ctx);
    g_assert_cmpuint(f->peer.frames->len, ==, 1);
    test_assert_frame(f->peer.frames->pdata[0], 60, 0);
    g_assert_cmpuint(f->be->stats.rx_errors, ==, 1);
    g_assert_false(f->peer.link_up);
    /* The connection is really closed: the far end sees EOF. */
    g_assert_cmpint(recv(f->far, &c, 1, MSG_DONTWAIT), ==, 0);
    g_assert_cmpint(test_send_frame(&f->peer, 60, 2), ==, NET_SEND_DROP);
}

static void test_bad_length_zero(Fixture *f, gconstpointer data)
{
    test_bad_length(f, 0);
}

static void test_bad_length_huge(Fixture *f, gconstpointer data)
{
    test_bad_length(f, NET_MAX_FRAME + 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

#define ADD(path, fn)                                                          \
    g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/netbe/socket/rx-frame", test_rx_frame);
    ADD("/netbe/socket/rx-several-in-one-write", test_rx_several_in_one_write);
    ADD("/netbe/socket/partial-read", test_rx_partial_read);
    ADD("/netbe/socket/byte-at-a-time", test_rx_byte_at_a_time);
    ADD("/netbe/socket/rx-runt", test_rx_runt);
    ADD("/netbe/socket/rx-backpressure", test_rx_backpressure);
    ADD("/netbe/socket/rx-resume-buffered", test_rx_resume_buffered);
    ADD("/netbe/socket/rx-cannot-receive", test_rx_cannot_receive);
    ADD("/netbe/socket/tx-frame", test_tx_frame);
    ADD("/netbe/socket/tx-many-pieces", test_tx_many_pieces);
    ADD("/netbe/socket/tx-bad-size", test_tx_bad_size);
    ADD("/netbe/socket/tx-busy", test_tx_busy);
    ADD("/netbe/socket/tx-batch", test_tx_batch);
    ADD("/netbe/socket/tx-no-flush", test_tx_no_flush);
    ADD("/netbe/socket/eof", test_eof);
    ADD("/netbe/socket/eof-mid-frame", test_eof_mid_frame);
    ADD("/netbe/socket/eof-tx-queued", test_eof_tx_queued);
    ADD("/netbe/socket/eof-rx-paused", test_eof_rx_paused);
    ADD("/netbe/socket/tx-epipe", test_tx_epipe);
    ADD("/netbe/socket/bad-length-zero", test_bad_length_zero);
    ADD("/netbe/socket/bad-length-huge", test_bad_length_huge);
#undef ADD
    return g_test_run();
}
