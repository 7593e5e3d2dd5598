/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NIC/backend seam (backends/netbe.c) and -netdev socket
 * (backends/socket.c), driven in-process: a recording NetPeer plays the
 * NIC, the test holds the far end of a socketpair or UNIX socket and
 * iterates the backend's GMainContext itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "emunet/net.h"
#include "emunet/opts.h"

/* Bounds every loop that waits on the backend, so a bug fails, not hangs. */
#define TEST_SPIN_MAX 100000

/* ---- A recording NIC ---- */

typedef struct TestPeer {
    NetPeer nc;
    /* Frames taken, as GBytes, in order. */
    GPtrArray *frames;
    /* can_receive() answer. */
    bool can;
    /* Frames receive() takes before it refuses; -1: no limit. */
    int budget;
    bool link_up;
    int link_events;
    int tx_ready_calls;
} TestPeer;

static bool test_peer_can_receive(NetPeer *nc)
{
    return ((TestPeer *)nc)->can;
}

static bool test_peer_receive(NetPeer *nc, const uint8_t *buf, size_t len)
{
    TestPeer *p = (TestPeer *)nc;

    g_assert_cmpuint(len, >=, ETH_HLEN);
    g_assert_cmpuint(len, <=, NET_MAX_FRAME);
    if (p->budget == 0) {
        return false;
    }
    if (p->budget > 0) {
        p->budget--;
    }
    g_ptr_array_add(p->frames, g_bytes_new(buf, len));
    return true;
}

static void test_peer_link_changed(NetPeer *nc, bool up)
{
    TestPeer *p = (TestPeer *)nc;

    p->link_up = up;
    p->link_events++;
}

static void test_peer_tx_ready(NetPeer *nc)
{
    ((TestPeer *)nc)->tx_ready_calls++;
}

static const NetPeerOps test_peer_ops = {
    .can_receive = test_peer_can_receive,
    .receive = test_peer_receive,
    .link_changed = test_peer_link_changed,
    .tx_ready = test_peer_tx_ready,
};

static void test_peer_init(TestPeer *p)
{
    memset(p, 0, sizeof(*p));
    p->nc.ops = &test_peer_ops;
    p->frames = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    p->can = true;
    p->budget = -1;
}

static void test_peer_destroy(TestPeer *p)
{
    g_ptr_array_unref(p->frames);
}

/* ---- Frames and stream framing ---- */

/* Frame number `seq` of `len` bytes: content derived from both. */
static void test_fill_frame(uint8_t *buf, size_t len, uint32_t seq)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)(seq * 131 + i * 7 + (i >> 8));
    }
    if (len >= 8) {
        st32_be(buf, seq);
        st32_be(buf + 4, (uint32_t)len);
    }
}

/* Append frame `seq` with its 4-byte big-endian length to `stream`. */
static void test_append_framed(GByteArray *stream, size_t len, uint32_t seq)
{
    uint8_t *frame = g_malloc(len);
    uint8_t hdr[4];

    test_fill_frame(frame, len, seq);
    st32_be(hdr, (uint32_t)len);
    g_byte_array_append(stream, hdr, sizeof(hdr));
    g_byte_array_append(stream, frame, len);
    g_free(frame);
}

static void test_assert_frame(GBytes *got, size_t len, uint32_t seq)
{
    uint8_t *want = g_malloc(len);
    size_t got_len;
    const uint8_t *data = g_bytes_get_data(got, &got_len);

    test_fill_frame(want, len, seq);
    g_assert_cmpmem(data, got_len, want, len);
    g_free(want);
}

/* ---- Fixture: a socket backend on one end of a socketpair ---- */

typedef struct Fixture {
    GMainContext *ctx;
    TestPeer peer;
    NetBackend *be;
    /* The backend's fd and the test's end. */
    int near;
    int far;
} Fixture;

static NetBackend *test_new_backend(GMainContext *ctx, const char *str,
                                    GError **errp)
{
    g_autoptr(EmuOpts) opts = opts_parse(str, "type", NULL, errp);

    if (!opts) {
        return NULL;
    }
    return net_backend_new(opts, ctx, errp);
}

/* Dispatch until nothing is ready; fail if the backend never settles. */
static void test_pump(GMainContext *ctx)
{
    int n = 0;

    while (g_main_context_iteration(ctx, FALSE)) {
        g_assert_cmpint(++n, <, TEST_SPIN_MAX);
    }
}

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

/* Write all of buf to fd, pumping while the socket is full. */
static void test_write_all(GMainContext *ctx, int fd, const void *buf,
                           size_t len)
{
    const uint8_t *p = buf;
    int spins = 0;

    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0) {
            g_assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
            g_assert_cmpint(++spins, <, TEST_SPIN_MAX);
            test_pump(ctx);
            continue;
        }
        p += n;
        len -= n;
    }
}

/* Read exactly len bytes from fd, pumping while none are there. */
static void test_read_all(GMainContext *ctx, int fd, void *buf, size_t len)
{
    uint8_t *p = buf;
    int spins = 0;

    while (len > 0) {
        ssize_t n = recv(fd, p, len, MSG_DONTWAIT);

        if (n < 0) {
            g_assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
            g_assert_cmpint(++spins, <, TEST_SPIN_MAX);
            test_pump(ctx);
            continue;
        }
        g_assert_cmpint(n, >, 0);
        p += n;
        len -= n;
    }
}

/* Read one framed frame from fd and check it is frame `seq` of `len`. */
static void test_read_frame(GMainContext *ctx, int fd, size_t len, uint32_t seq)
{
    uint8_t hdr[4];
    uint8_t *got = g_malloc(len);
    uint8_t *want = g_malloc(len);

    test_read_all(ctx, fd, hdr, sizeof(hdr));
    g_assert_cmpuint(ld32_be(hdr), ==, len);
    test_read_all(ctx, fd, got, len);
    test_fill_frame(want, len, seq);
    g_assert_cmpmem(got, len, want, len);
    g_free(got);
    g_free(want);
}

static int test_inq(int fd)
{
    int n = -1;

    g_assert_cmpint(ioctl(fd, FIONREAD, &n), ==, 0);
    return n;
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

static NetSendResult test_send_frame(TestPeer *p, size_t len, uint32_t seq)
{
    uint8_t *buf = g_malloc(len);
    struct iovec iov[3];
    NetSendResult r;

    test_fill_frame(buf, len, seq);
    /* Three pieces, as a NIC gathers descriptors. */
    iov[0].iov_base = buf;
    iov[0].iov_len = ETH_HLEN;
    iov[1].iov_base = buf + ETH_HLEN;
    iov[1].iov_len = (len - ETH_HLEN) / 2;
    iov[2].iov_base = buf + ETH_HLEN + iov[1].iov_len;
    iov[2].iov_len = len - ETH_HLEN - iov[1].iov_len;
    r = net_peer_send(&p->nc, iov, 3);
    g_free(buf);
    return r;
}

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

    test_fill_frame(buf, sizeof(buf), 9);
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
 * The far end is gone when the NIC sends: no SIGPIPE, DROP, and the NIC
 * hears of the carrier only from the main loop, not inside its send.
 */
static void test_tx_epipe(Fixture *f, gconstpointer data)
{
    close(f->far);
    f->far = -1;
    g_assert_cmpint(test_send_frame(&f->peer, 60, 0), ==, NET_SEND_DROP);
    g_assert_true(f->peer.link_up);
    g_assert_cmpint(f->peer.link_events, ==, 1);
    g_assert_cmpuint(f->be->stats.tx_drops, ==, 1);
    test_pump(f->ctx);
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

    test_fill_frame(a, sizeof(a), 0);
    test_fill_frame(b, sizeof(b), 1);
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
    ADD("/netbe/socket/eof", test_eof);
    ADD("/netbe/socket/eof-mid-frame", test_eof_mid_frame);
    ADD("/netbe/socket/eof-tx-queued", test_eof_tx_queued);
    ADD("/netbe/socket/eof-rx-paused", test_eof_rx_paused);
    ADD("/netbe/socket/tx-epipe", test_tx_epipe);
    ADD("/netbe/socket/bad-length-zero", test_bad_length_zero);
    ADD("/netbe/socket/bad-length-huge", test_bad_length_huge);
#undef ADD
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
