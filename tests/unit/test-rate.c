/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rate= on the NIC's transmit side (backends/rate.c through
 * net_peer_send and net_peer_send_offload): netback's credit scheme,
 * BUSY instead of drops, tx_ready when credit is back, and the long-run
 * rate. A recording backend stands for the host side.
 *
 * Time is a virtual clock the test steps, so every check is exact: which
 * frame is refused, at which nanosecond tx_ready comes, how many bytes
 * went. One case runs on the real clock and checks only the order of
 * events (tx_ready after the timer's deadline), never how long it took.
 */
#include "netbe-test.h"

#define NS_PER_US G_GINT64_CONSTANT(1000)

typedef struct FakeBe {
    NetBackend be;
    /* Bytes of each frame taken, in order. */
    GArray *lens;
    /* Frames handed to send_offload (whole). */
    int offloaded;
} FakeBe;

/* The recording NIC, also noting the clock at each tx_ready. */
typedef struct RatePeer {
    /* First: the NetPeer callbacks cast their NetPeer to it. */
    TestPeer p;
    Clock *clock;
    /* clock_get_ns() at each tx_ready, in order (int64_t). */
    GArray *ready_ns;
} RatePeer;

typedef struct RateTest {
    RatePeer rp;
    FakeBe *f;
    Clock *clock;
} RateTest;

static NetSendResult fake_send(NetBackend *be, const struct iovec *iov,
                               int iovcnt)
{
    FakeBe *f = be->opaque;
    size_t len = 0;

    for (int i = 0; i < iovcnt; i++) {
        len += iov[i].iov_len;
    }
    g_array_append_val(f->lens, len);
    return NET_SEND_OK;
}

static NetSendResult fake_send_offload(NetBackend *be, const NetOffload *off,
                                       const struct iovec *iov, int iovcnt)
{
    ((FakeBe *)be->opaque)->offloaded++;
    return fake_send(be, iov, iovcnt);
}

static void fake_set_rx_enabled(NetBackend *be, bool enabled)
{
}

static void fake_free(NetBackend *be)
{
    FakeBe *f = be->opaque;

    g_array_unref(f->lens);
    g_free(f);
}

static const NetBackendOps fake_ops = {
    .type = "fake",
    .send = fake_send,
    .set_rx_enabled = fake_set_rx_enabled,
    .free = fake_free,
};

static const NetBackendOps fake_offload_ops = {
    .type = "fake",
    .send = fake_send,
    .send_offload = fake_send_offload,
    .set_rx_enabled = fake_set_rx_enabled,
    .free = fake_free,
};

static void rate_peer_tx_ready(NetPeer *nc)
{
    RatePeer *rp = (RatePeer *)nc;
    int64_t now = clock_get_ns(rp->clock);

    test_peer_tx_ready(nc);
    g_array_append_val(rp->ready_ns, now);
}

static const NetPeerOps rate_peer_ops = {
    .can_receive = test_peer_can_receive,
    .receive = test_peer_receive,
    .link_changed = test_peer_link_changed,
    .tx_ready = rate_peer_tx_ready,
};

/* A recording backend (with send_offload if `offload`) and NIC on `clock`. */
static void rate_test_init(RateTest *t, Clock *clock, bool offload)
{
    g_autoptr(GError) err = NULL;
    FakeBe *f = g_new0(FakeBe, 1);

    t->clock = clock;
    t->f = f;
    f->lens = g_array_new(FALSE, FALSE, sizeof(size_t));
    net_backend_init(&f->be, offload ? &fake_offload_ops : &fake_ops, "f0", f);
    test_peer_init(&t->rp.p);
    t->rp.p.nc.ops = &rate_peer_ops;
    t->rp.clock = clock;
    t->rp.ready_ns = g_array_new(FALSE, FALSE, sizeof(int64_t));
    g_assert_true(net_connect(&t->rp.p.nc, &f->be, &err));
    g_assert_no_error(err);
}

/* No frame was lost or refused on the way; then free it all. */
static void rate_test_finish(RateTest *t)
{
    if (t->f) {
        g_assert_cmpuint(t->f->be.stats.tx_drops, ==, 0);
        g_assert_cmpuint(t->f->be.stats.tx_errors, ==, 0);
        net_backend_free(&t->f->be);
    }
    /* No timer left armed, and (clock_free checks) none leaked. */
    g_assert_cmpint(clock_deadline_ns(t->clock), ==, -1);
    test_peer_destroy(&t->rp.p);
    g_array_unref(t->rp.ready_ns);
    clock_free(t->clock);
}

static NetSendResult rate_test_send(RateTest *t, size_t len)
{
    g_autofree uint8_t *buf = g_malloc(len);

    test_fill_frame(buf, len, 1);
    return test_peer_send(&t->rp.p, buf, len);
}

static int rate_test_ready_calls(RateTest *t)
{
    return t->rp.p.tx_ready_calls;
}

/*
 * The NIC waits for credit due at `deadline`: not told a nanosecond
 * before it, told exactly once at it, with nothing else left armed.
 */
static void rate_test_expect_ready_at(RateTest *t, int64_t deadline)
{
    int calls = rate_test_ready_calls(t);

    g_assert_cmpint(clock_deadline_ns(t->clock), ==, deadline);
    g_assert_cmpint(clock_get_ns(t->clock), <, deadline);
    g_assert_cmpint(clock_set_ns(t->clock, deadline - 1), ==, deadline - 1);
    g_assert_cmpint(rate_test_ready_calls(t), ==, calls);
    /* Still waiting: a retry is refused and arms nothing new. */
    g_assert_cmpint(rate_test_send(t, ETH_ZLEN), ==, NET_SEND_BUSY);
    g_assert_cmpint(clock_deadline_ns(t->clock), ==, deadline);
    clock_set_ns(t->clock, deadline);
    g_assert_cmpint(rate_test_ready_calls(t), ==, calls + 1);
    g_assert_cmpint(g_array_index(t->rp.ready_ns, int64_t, calls), ==,
                    deadline);
    g_assert_cmpint(clock_deadline_ns(t->clock), ==, -1);
}

/*
 * Credit for one interval goes, to the byte; the next frame waits for
 * the end of the interval.
 */
static void test_busy_then_ready(void)
{
    const int64_t interval = 20000 * NS_PER_US;
    RateTest t;
    size_t frames;

    rate_test_init(&t, clock_new_virtual(), false);
    net_backend_set_rate(&t.f->be, 1000, 20000, t.clock);
    g_assert_cmpint(rate_test_send(&t, 400), ==, NET_SEND_OK);
    g_assert_cmpint(rate_test_send(&t, 540), ==, NET_SEND_OK);
    /* Exactly the credit left still goes... */
    g_assert_cmpint(rate_test_send(&t, ETH_ZLEN), ==, NET_SEND_OK);
    g_assert_cmpint(clock_deadline_ns(t.clock), ==, -1);
    /* ...and with none left the smallest frame waits. */
    g_assert_cmpint(rate_test_send(&t, ETH_ZLEN), ==, NET_SEND_BUSY);
    /* Still waiting: no credit, no second timer, nothing sent. */
    g_assert_cmpint(rate_test_send(&t, 60), ==, NET_SEND_BUSY);
    g_assert_cmpuint(t.f->lens->len, ==, 3);
    g_assert_cmpint(rate_test_ready_calls(&t), ==, 0);
    rate_test_expect_ready_at(&t, interval);

    /* One interval's credit is back: one byte over it waits again. */
    g_assert_cmpint(rate_test_send(&t, 1001), ==, NET_SEND_BUSY);
    rate_test_expect_ready_at(&t, 2 * interval);
    /* 1000 + 1000 now. */
    g_assert_cmpint(rate_test_send(&t, 1001), ==, NET_SEND_OK);
    g_assert_cmpint(rate_test_send(&t, 999), ==, NET_SEND_OK);
    g_assert_cmpint(rate_test_send(&t, ETH_ZLEN), ==, NET_SEND_BUSY);
    rate_test_expect_ready_at(&t, 3 * interval);
    g_assert_cmpint(rate_test_ready_calls(&t), ==, 3);

    frames = t.f->lens->len;
    g_assert_cmpuint(frames, ==, 5);
    g_assert_cmpuint(g_array_index(t.f->lens, size_t, 3), ==, 1001);
    g_assert_cmpuint(t.f->be.stats.tx_frames, ==, 5);
    g_assert_cmpuint(t.f->be.stats.tx_bytes, ==, 3000);
    rate_test_finish(&t);
}

/*
 * Sending as fast as the limit allows moves exactly the credit schedule:
 * one grant at the start and one at the end of each interval, the part
 * of a grant a frame did not use carried to the next. 15500 bytes per
 * interval in 1000-byte frames: 15 frames, then 16, then 15...
 */
static void test_long_run_rate(void)
{
    const uint64_t per = 15500;
    const uint32_t usecs = 10000;
    const size_t frame = 1000;
    const int intervals = 100;
    RateTest t;
    uint64_t bytes = 0, busy = 0;

    rate_test_init(&t, clock_new_virtual(), false);
    net_backend_set_rate(&t.f->be, per, usecs, t.clock);
    for (int i = 0; i <= intervals; i++) {
        /* Grants so far: the first, and one per interval ended. */
        uint64_t granted = per * (uint64_t)(i + 1);
        int sent = 0;

        g_assert_cmpint(clock_get_ns(t.clock), ==,
                        (int64_t)i * usecs * NS_PER_US);
        for (;;) {
            NetSendResult r = rate_test_send(&t, frame);

            if (r == NET_SEND_BUSY) {
                busy++;
                break;
            }
            g_assert_cmpint(r, ==, NET_SEND_OK);
            bytes += frame;
            /* Bounds the loop: never more than a grant and its carry. */
            g_assert_cmpint(++sent, <=, (int)((2 * per) / frame));
        }
        g_assert_cmpuint(bytes, ==, granted / frame * frame);
        if (i < intervals) {
            rate_test_expect_ready_at(&t, (int64_t)(i + 1) * usecs * NS_PER_US);
        }
    }
    g_test_message("%" G_GUINT64_FORMAT " bytes in %d intervals of %u us "
                   "(%" G_GUINT64_FORMAT " per interval), "
                   "%" G_GUINT64_FORMAT " waits",
                   bytes, intervals, usecs, per, busy);
    /* At the start of interval 100: 101 grants, less the unused 500. */
    g_assert_cmpuint(bytes, ==, 1565000);
    g_assert_cmpuint(busy, ==, (uint64_t)intervals + 1);
    g_assert_cmpint(rate_test_ready_calls(&t), ==, intervals);
    g_assert_cmpuint(t.f->be.stats.tx_frames, ==, bytes / frame);
    /* The last refusal armed the timer for the end of interval 100. */
    rate_test_expect_ready_at(&t, (int64_t)(intervals + 1) * usecs * NS_PER_US);
    rate_test_finish(&t);
}

/*
 * However long the NIC was idle, the first frame after gets one
 * interval's credit on top of what was left, never more; the new interval
 * starts at that frame.
 */
static void test_idle_adds_one_interval(void)
{
    const int64_t interval = 20000 * NS_PER_US;
    const int64_t later = 10 * G_GINT64_CONSTANT(1000000000) + 12345;
    RateTest t;

    rate_test_init(&t, clock_new_virtual(), false);
    net_backend_set_rate(&t.f->be, 1000, 20000, t.clock);
    g_assert_cmpint(rate_test_send(&t, 1000), ==, NET_SEND_OK);
    clock_set_ns(t.clock, later);
    g_assert_cmpint(rate_test_send(&t, 1000), ==, NET_SEND_OK);
    g_assert_cmpint(rate_test_send(&t, ETH_ZLEN), ==, NET_SEND_BUSY);
    rate_test_expect_ready_at(&t, later + interval);
    g_assert_cmpint(rate_test_send(&t, 1000), ==, NET_SEND_OK);
    g_assert_cmpuint(t.f->be.stats.tx_bytes, ==, 3000);
    rate_test_finish(&t);
}

/*
 * Unused credit builds up to netback's burst cap, max(128 KiB, bytes):
 * above one interval's worth, never above the cap.
 */
static void test_burst_cap(void)
{
    const int64_t interval = 10000 * NS_PER_US;
    RateTest t;

    /* 100000 per interval: two intervals' worth is capped at 128 KiB. */
    rate_test_init(&t, clock_new_virtual(), false);
    net_backend_set_rate(&t.f->be, 100000, 10000, t.clock);
    clock_set_ns(t.clock, 3 * interval);
    g_assert_cmpint(rate_test_send(&t, 65536), ==, NET_SEND_OK);
    g_assert_cmpint(rate_test_send(&t, 65536), ==, NET_SEND_OK);
    g_assert_cmpint(rate_test_send(&t, ETH_ZLEN), ==, NET_SEND_BUSY);
    rate_test_expect_ready_at(&t, 4 * interval);
    /* 100000 added to nothing left. */
    g_assert_cmpint(rate_test_send(&t, 65536), ==, NET_SEND_OK);
    g_assert_cmpint(rate_test_send(&t, 100000 - 65536), ==, NET_SEND_OK);
    g_assert_cmpint(rate_test_send(&t, ETH_ZLEN), ==, NET_SEND_BUSY);
    rate_test_expect_ready_at(&t, 5 * interval);
    g_assert_cmpuint(t.f->be.stats.tx_bytes, ==, 2 * 65536 + 100000);
    rate_test_finish(&t);

    /* 200000 per interval: the cap is one interval's worth. */
    rate_test_init(&t, clock_new_virtual(), false);
    net_backend_set_rate(&t.f->be, 200000, 10000, t.clock);
    clock_set_ns(t.clock, 3 * interval);
    for (int i = 0; i < 3; i++) {
        g_assert_cmpint(rate_test_send(&t, 65536), ==, NET_SEND_OK);
    }
    g_assert_cmpint(rate_test_send(&t, 200000 - 3 * 65536), ==, NET_SEND_OK);
    g_assert_cmpint(rate_test_send(&t, ETH_ZLEN), ==, NET_SEND_BUSY);
    rate_test_expect_ready_at(&t, 4 * interval);
    g_assert_cmpuint(t.f->be.stats.tx_bytes, ==, 200000);
    rate_test_finish(&t);
}

/* A 64 KiB TSO frame of 65000 bytes (gso_size 1460), built in `frame`. */
static size_t rate_build_superframe(uint8_t *frame, NetOffload *off)
{
    const size_t len = 65000;

    test_build_tcp4(frame, test_mac_bcast, test_mac_guest, "10.0.0.1",
                    "10.0.0.2", 1, 2, 100, 0, TCP_ACK, 1000, NULL, 0);
    st16_be(frame + ETH_HLEN + 2, (uint16_t)(len - ETH_HLEN));
    memset(off, 0, sizeof(*off));
    off->csum = true;
    off->csum_start = ETH_HLEN + 20;
    off->csum_offset = 16;
    off->gso_type = NET_GSO_TCPV4;
    off->gso_size = 1460;
    off->hdr_len = ETH_HLEN + 40;
    return len;
}

/*
 * Offer the super-frame at the start and at each tx_ready until it goes;
 * returns the refusals. 20000 per 5 ms: 40000, 60000, then 80000 at
 * 15 ms, when it fits.
 */
static int rate_send_superframe(RateTest *t, const uint8_t *frame,
                                const NetOffload *off, size_t len)
{
    const int64_t interval = 5000 * NS_PER_US;
    int waits = 0;

    net_backend_set_rate(&t->f->be, 20000, 5000, t->clock);
    for (;;) {
        NetSendResult r = test_peer_send_offload(&t->rp.p, off, frame, len);

        if (r == NET_SEND_OK) {
            break;
        }
        g_assert_cmpint(r, ==, NET_SEND_BUSY);
        g_assert_cmpint(++waits, <=, 3);
        g_assert_cmpuint(t->f->lens->len, ==, 0);
        rate_test_expect_ready_at(t, waits * interval);
    }
    g_assert_cmpint(clock_get_ns(t->clock), ==, 3 * interval);
    return waits;
}

/*
 * A 64 KiB super-frame beyond the interval's credit goes once enough
 * burst has built up (netback's max_burst allows 128 KiB), whole, never
 * dropped; it is charged its own length.
 */
static void test_superframe_waits_for_burst(void)
{
    g_autofree uint8_t *frame = g_malloc0(65536);
    NetOffload off;
    size_t len = rate_build_superframe(frame, &off);
    RateTest t;

    rate_test_init(&t, clock_new_virtual(), true);
    g_assert_cmpint(rate_send_superframe(&t, frame, &off, len), ==, 3);
    g_assert_cmpint(t.f->offloaded, ==, 1);
    g_assert_cmpuint(t.f->lens->len, ==, 1);
    g_assert_cmpuint(g_array_index(t.f->lens, size_t, 0), ==, len);
    /* 80000 - 65000 left. */
    g_assert_cmpint(rate_test_send(&t, 15000), ==, NET_SEND_OK);
    g_assert_cmpint(rate_test_send(&t, ETH_ZLEN), ==, NET_SEND_BUSY);
    rate_test_expect_ready_at(&t, 4 * 5000 * NS_PER_US);
    rate_test_finish(&t);
}

/*
 * The same super-frame to a backend without send_offload is segmented
 * here: admitted whole on the bytes its 45 segments take on the wire
 * (65000 + 44 copies of the 54-byte header), then every segment goes.
 */
static void test_superframe_segmented(void)
{
    g_autofree uint8_t *frame = g_malloc0(65536);
    NetOffload off;
    size_t len = rate_build_superframe(frame, &off);
    const size_t nsegs = 45, wire = len + (nsegs - 1) * off.hdr_len;
    RateTest t;
    size_t total = 0;

    rate_test_init(&t, clock_new_virtual(), false);
    g_assert_cmpint(rate_send_superframe(&t, frame, &off, len), ==, 3);
    g_assert_cmpint(t.f->offloaded, ==, 0);
    g_assert_cmpuint(t.f->lens->len, ==, nsegs);
    for (guint i = 0; i < t.f->lens->len; i++) {
        total += g_array_index(t.f->lens, size_t, i);
    }
    g_assert_cmpuint(total, ==, wire);
    g_assert_cmpuint(t.f->be.stats.tx_frames, ==, nsegs);
    /* 80000 less what the segments took. */
    g_assert_cmpint(rate_test_send(&t, 80000 - wire), ==, NET_SEND_OK);
    g_assert_cmpint(rate_test_send(&t, ETH_ZLEN), ==, NET_SEND_BUSY);
    rate_test_expect_ready_at(&t, 4 * 5000 * NS_PER_US);
    rate_test_finish(&t);
}

/* Lifting the limit frees a waiting NIC at once; no limit, no waits. */
static void test_lift_limit(void)
{
    RateTest t;

    rate_test_init(&t, clock_new_virtual(), false);
    net_backend_set_rate(&t.f->be, 100, 1000000, t.clock);
    g_assert_cmpint(rate_test_send(&t, 100), ==, NET_SEND_OK);
    g_assert_cmpint(rate_test_send(&t, 100), ==, NET_SEND_BUSY);
    g_assert_cmpint(clock_deadline_ns(t.clock), ==, 1000000 * NS_PER_US);
    net_backend_set_rate(&t.f->be, 0, 0, NULL);
    g_assert_cmpint(rate_test_ready_calls(&t), ==, 1);
    g_assert_cmpint(g_array_index(t.rp.ready_ns, int64_t, 0), ==, 0);
    g_assert_null(t.f->be.rate);
    /* The old timer is gone: nothing more arrives. */
    g_assert_cmpint(clock_deadline_ns(t.clock), ==, -1);
    for (int i = 0; i < 1000; i++) {
        g_assert_cmpint(rate_test_send(&t, 1500), ==, NET_SEND_OK);
    }
    clock_step(t.clock, 5 * 1000000 * NS_PER_US);
    g_assert_cmpint(rate_test_ready_calls(&t), ==, 1);
    g_assert_cmpuint(t.f->be.stats.tx_frames, ==, 1001);
    rate_test_finish(&t);
}

/*
 * A new limit while the NIC waits: tx_ready at once, the old timer gone,
 * the new limit's full credit from now.
 */
static void test_replace_limit(void)
{
    const int64_t t0 = 700 * NS_PER_US;
    RateTest t;

    rate_test_init(&t, clock_new_virtual(), false);
    net_backend_set_rate(&t.f->be, 100, 1000000, t.clock);
    g_assert_cmpint(rate_test_send(&t, 100), ==, NET_SEND_OK);
    g_assert_cmpint(rate_test_send(&t, 100), ==, NET_SEND_BUSY);
    clock_set_ns(t.clock, t0);
    net_backend_set_rate(&t.f->be, 5000, 1000, t.clock);
    g_assert_cmpint(rate_test_ready_calls(&t), ==, 1);
    g_assert_cmpint(g_array_index(t.rp.ready_ns, int64_t, 0), ==, t0);
    g_assert_cmpint(clock_deadline_ns(t.clock), ==, -1);
    g_assert_cmpint(rate_test_send(&t, 5000), ==, NET_SEND_OK);
    g_assert_cmpint(rate_test_send(&t, ETH_ZLEN), ==, NET_SEND_BUSY);
    rate_test_expect_ready_at(&t, t0 + 1000 * NS_PER_US);
    g_assert_cmpint(rate_test_ready_calls(&t), ==, 2);
    rate_test_finish(&t);
}

/* Freeing a backend with a timer armed leaves nothing behind. */
static void test_free_while_waiting(void)
{
    RateTest t;

    rate_test_init(&t, clock_new_virtual(), false);
    net_backend_set_rate(&t.f->be, 100, 50000, t.clock);
    g_assert_cmpint(rate_test_send(&t, 100), ==, NET_SEND_OK);
    g_assert_cmpint(rate_test_send(&t, 100), ==, NET_SEND_BUSY);
    g_assert_cmpint(clock_deadline_ns(t.clock), ==, 50000 * NS_PER_US);
    net_backend_free(&t.f->be);
    t.f = NULL;
    g_assert_cmpint(clock_deadline_ns(t.clock), ==, -1);
    clock_step(t.clock, 80000 * NS_PER_US);
    g_assert_cmpint(rate_test_ready_calls(&t), ==, 0);
    /* clock_free asserts the limit's timer was freed with it. */
    rate_test_finish(&t);
}

/*
 * On the machine's real clock the timer is dispatched by the main loop:
 * the NIC is told only from there, and only once the timer's deadline
 * has passed. Order only; how long it took is not checked.
 */
static void test_real_clock_order(void)
{
    GMainContext *ctx = g_main_context_new();
    RateTest t;
    int64_t deadline;

    rate_test_init(&t, clock_new_real(ctx), false);
    net_backend_set_rate(&t.f->be, 1000, 1000, t.clock);
    /*
     * However late this runs, a send adds at most one interval's credit:
     * 2000 bytes at most, far short of the frame.
     */
    g_assert_cmpint(rate_test_send(&t, 60000), ==, NET_SEND_BUSY);
    deadline = clock_deadline_ns(t.clock);
    g_assert_cmpint(deadline, >, 0);
    /* The loop has not run: nobody has told the NIC yet. */
    g_assert_cmpint(rate_test_ready_calls(&t), ==, 0);
    /* The armed timer is the context's only source: this ends. */
    while (rate_test_ready_calls(&t) == 0) {
        g_main_context_iteration(ctx, TRUE);
    }
    g_assert_cmpint(rate_test_ready_calls(&t), ==, 1);
    g_assert_cmpint(g_array_index(t.rp.ready_ns, int64_t, 0), >=, deadline);
    g_assert_cmpint(clock_deadline_ns(t.clock), ==, -1);
    /* The timer added 1000 to at least 1000 left. */
    g_assert_cmpint(rate_test_send(&t, 2000), ==, NET_SEND_OK);
    rate_test_finish(&t);
    g_main_context_unref(ctx);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rate/busy-then-ready", test_busy_then_ready);
    g_test_add_func("/rate/long-run", test_long_run_rate);
    g_test_add_func("/rate/idle", test_idle_adds_one_interval);
    g_test_add_func("/rate/burst-cap", test_burst_cap);
    g_test_add_func("/rate/superframe-burst", test_superframe_waits_for_burst);
    g_test_add_func("/rate/superframe-segmented", test_superframe_segmented);
    g_test_add_func("/rate/lift", test_lift_limit);
    g_test_add_func("/rate/replace", test_replace_limit);
    g_test_add_func("/rate/free-while-waiting", test_free_while_waiting);
    g_test_add_func("/rate/real-clock", test_real_clock_order);
    return g_test_run();
}
