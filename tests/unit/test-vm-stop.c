/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The seams that stop a VM's NICs (QMP stop / cont, core/machine.h
 * machine_set_running): clock_set_running (include/emunet/clock.h), on
 * both clocks, and net_backend_set_paused (include/emunet/net.h) against
 * a minimal backend that only records whether it may read.
 */
#include "netbe-test.h"

#include "emunet/clock.h"

/* ---- clock ---- */

static void count_cb(void *opaque)
{
    (*(int *)opaque)++;
}

static void test_clock_virtual(void)
{
    Clock *c = clock_new_virtual();
    int fired = 0;
    Timer *t = timer_new(c, count_cb, &fired);

    timer_mod_ns(t, 100);
    clock_set_running(c, false);
    /* Time moves, nothing fires; timers can still be re-armed. */
    g_assert_cmpint(clock_step(c, 200), ==, 200);
    g_assert_cmpint(fired, ==, 0);
    g_assert_true(timer_pending(t));
    timer_mod_ns(t, 150);
    g_assert_cmpint(clock_set_ns(c, 300), ==, 300);
    g_assert_cmpint(fired, ==, 0);
    /* Running again: the overdue timer fires at the next step, once. */
    clock_set_running(c, true);
    g_assert_cmpint(fired, ==, 0);
    clock_step(c, 0);
    g_assert_cmpint(fired, ==, 1);
    g_assert_false(timer_pending(t));
    timer_free(t);
    clock_free(c);
}

static bool fired_once(void *opaque)
{
    return *(int *)opaque > 0;
}

static void test_clock_real(void)
{
    GMainContext *ctx = g_main_context_new();
    Clock *c = clock_new_real(ctx);
    int fired = 0;
    Timer *t = timer_new(c, count_cb, &fired);

    clock_set_running(c, false);
    timer_mod_ns(t, clock_get_ns(c) + 1000 * 1000);
    test_run_for(ctx, 30);
    g_assert_cmpint(fired, ==, 0);
    g_assert_true(timer_pending(t));
    clock_set_running(c, true);
    g_assert_true(test_wait(ctx, fired_once, &fired, 5000));
    g_assert_cmpint(fired, ==, 1);
    timer_free(t);
    clock_free(c);
    g_main_context_unref(ctx);
}

/* ---- net_backend_set_paused ---- */

typedef struct GateBackend {
    NetBackend be;
    /* set_rx_enabled's last word. */
    bool reading;
} GateBackend;

static NetSendResult gate_send(NetBackend *be, const struct iovec *iov,
                               int iovcnt)
{
    return NET_SEND_OK;
}

static void gate_set_rx_enabled(NetBackend *be, bool enabled)
{
    ((GateBackend *)be)->reading = enabled;
}

static void gate_free(NetBackend *be)
{
    g_free(be);
}

static const NetBackendOps gate_ops = {
    .type = "gate",
    .send = gate_send,
    .set_rx_enabled = gate_set_rx_enabled,
    .free = gate_free,
};

typedef struct GateFixture {
    GateBackend *g;
    TestPeer p;
} GateFixture;

static void gate_setup(GateFixture *f, gconstpointer data)
{
    g_autoptr(GError) err = NULL;

    f->g = g_new0(GateBackend, 1);
    net_backend_init(&f->g->be, &gate_ops, "gate0", NULL);
    test_peer_init(&f->p);
    g_assert_true(net_connect(&f->p.nc, &f->g->be, &err));
    g_assert_true(f->g->reading);
}

static void gate_teardown(GateFixture *f, gconstpointer data)
{
    net_backend_free(&f->g->be);
    test_peer_destroy(&f->p);
}

/* A frame the backend read before it saw set_rx_enabled(false). */
static bool gate_offer(GateFixture *f, uint32_t seq)
{
    uint8_t frame[64];

    test_fill_frame(frame, sizeof(frame), seq);
    return net_backend_receive(&f->g->be, frame, sizeof(frame));
}

static void test_pause_rx(GateFixture *f, gconstpointer data)
{
    NetBackend *be = &f->g->be;

    net_backend_set_paused(be, true);
    g_assert_false(f->g->reading);
    /* Read all the same: held, not offered, not dropped. */
    g_assert_false(gate_offer(f, 1));
    g_assert_cmpuint(f->p.frames->len, ==, 0);
    g_assert_nonnull(be->held);
    g_assert_cmpuint(be->stats.rx_drops, ==, 0);
    /* The NIC posting buffers changes nothing while paused. */
    net_peer_rx_ready(&f->p.nc);
    g_assert_cmpuint(f->p.frames->len, ==, 0);
    g_assert_false(f->g->reading);
    net_backend_set_paused(be, false);
    g_assert_cmpuint(f->p.frames->len, ==, 1);
    g_assert_true(test_frame_is(f->p.frames->pdata[0], 64, 1));
    g_assert_null(be->held);
    g_assert_true(f->g->reading);
    g_assert_true(gate_offer(f, 2));
    g_assert_cmpuint(f->p.frames->len, ==, 2);
    g_assert_cmpuint(be->stats.rx_frames, ==, 2);
}

/* A NIC still full on resume keeps the frame held and reading off. */
static void test_pause_rx_full(GateFixture *f, gconstpointer data)
{
    NetBackend *be = &f->g->be;

    f->p.can = false;
    g_assert_false(gate_offer(f, 1));
    net_backend_set_paused(be, true);
    net_backend_set_paused(be, false);
    g_assert_cmpuint(f->p.frames->len, ==, 0);
    g_assert_nonnull(be->held);
    g_assert_false(f->g->reading);
    f->p.can = true;
    net_peer_rx_ready(&f->p.nc);
    g_assert_cmpuint(f->p.frames->len, ==, 1);
    g_assert_true(f->g->reading);
}

static void test_pause_tx_ready(GateFixture *f, gconstpointer data)
{
    NetBackend *be = &f->g->be;

    net_backend_set_paused(be, true);
    net_backend_tx_ready(be);
    net_backend_tx_ready(be);
    g_assert_cmpint(f->p.tx_ready_calls, ==, 0);
    net_backend_set_paused(be, false);
    g_assert_cmpint(f->p.tx_ready_calls, ==, 1);
    /* Idempotent, and nothing owed twice. */
    net_backend_set_paused(be, false);
    net_backend_set_paused(be, true);
    net_backend_set_paused(be, false);
    g_assert_cmpint(f->p.tx_ready_calls, ==, 1);
    net_backend_tx_ready(be);
    g_assert_cmpint(f->p.tx_ready_calls, ==, 2);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vm-stop/clock/virtual", test_clock_virtual);
    g_test_add_func("/vm-stop/clock/real", test_clock_real);
    g_test_add("/vm-stop/netbe/rx", GateFixture, NULL, gate_setup,
               test_pause_rx, gate_teardown);
    g_test_add("/vm-stop/netbe/rx-full", GateFixture, NULL, gate_setup,
               test_pause_rx_full, gate_teardown);
    g_test_add("/vm-stop/netbe/tx-ready", GateFixture, NULL, gate_setup,
               test_pause_tx_ready, gate_teardown);
    return g_test_run();
}
