/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hostile-guest (security regression) qtests for emunet's e1000:
 * Ring walks (class A): TDH/TDT/RDH/RDT outside the ring, TDLEN 0,
 * a full ring; DMA into the device's own BAR (class F); ring
 * registers rewritten while RX and TX run (class I).
 * The harness and the invariants every test checks are in
 * e1000-hostile.h.
 */
#include <string.h>

#include "e1000-hostile.h"

/* ---- class A: ring walks ---- */

/*
 * Invariants 1/G: TDLEN = 0, or shorter than one descriptor, means no
 * work whatever TDT says (no walk, no division by a zero ring size).
 */
static void test_ring_tdlen_zero(void)
{
    static const uint32_t tdts[] = { 1, 7, 8, 0xffff, 0xffffffff };
    static const uint32_t tdlens[] = { 0, 8, 15 };
    Hostile *h = h_start();

    for (unsigned l = 0; l < G_N_ELEMENTS(tdlens); l++) {
        uint8_t **frames;

        h_tx_init(h, 8);
        frames = h_tx_fill(h, 8, 128);
        h_w(h, E1000_TDLEN, tdlens[l]);
        for (unsigned i = 0; i < G_N_ELEMENTS(tdts); i++) {
            h_w(h, E1000_TDT, tdts[i]);
            g_assert_cmpuint(h_r(h, E1000_TDH), ==, 0);
        }
        g_assert_cmpuint(h_tx_done(h), ==, 0);
        h_sane_nothing_sent(h);
        h_bufs_free(frames);
    }
    h_check_arena(h);
    h_expect_guest_error(h);
    h_stop(h);
}

/*
 * Invariant 1 (CVE-2016-1981): TDH or TDT outside the ring. At most one
 * ring's worth of descriptors per doorbell, only guest frames sent.
 */
static void test_ring_tdh_outside(void)
{
    static const struct {
        uint32_t tdh, tdt;
    } cases[] = {
        { 0xffff, 3 }, { 8, 3 }, { 0, 0xffff }, { 0, 8 }, { 9, 9 },
    };
    Hostile *h = h_start();

    for (unsigned c = 0; c < G_N_ELEMENTS(cases); c++) {
        uint8_t **frames;
        GPtrArray *wire;

        h_tx_init(h, 8);
        frames = h_tx_fill(h, 8, 100);
        h_w(h, E1000_TCTL, 0);
        h_w(h, E1000_TDH, cases[c].tdh);
        h_w(h, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
        h_w(h, E1000_TDT, cases[c].tdt);
        g_assert_cmpuint(h_tx_done(h), <=, 8);
        wire = h_sane(h);
        g_assert_cmpuint(wire->len, <=, 8);
        h_check_frames_among(wire, frames, 8, 100);
        g_ptr_array_unref(wire);
        h_bufs_free(frames);
    }
    h_expect_guest_error(h);
    h_check_arena(h);
    h_stop(h);
}

/*
 * Invariant 1: TDT = TDH - 1 with every descriptor valid is a full ring:
 * exactly N - 1 frames, in ring order, then nothing more.
 */
static void test_ring_tdt_full(void)
{
    Hostile *h = h_start();
    uint8_t **frames;
    GPtrArray *wire;

    h_tx_init(h, 16);
    frames = h_tx_fill(h, 16, 90);
    h_w(h, E1000_TCTL, 0);
    h_w(h, E1000_TDH, 5);
    h_w(h, E1000_TDT, 5);
    h_w(h, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
    h_w(h, E1000_TDT, 4);
    /* A second doorbell with nothing new must do nothing. */
    h_w(h, E1000_TDT, 4);
    g_assert_cmpuint(h_r(h, E1000_TDH), ==, 4);
    for (unsigned i = 0; i < 16; i++) {
        g_assert_cmphex(h_tx_sta(h, i) & TXD_STA_DD, ==,
                        i == 4 ? 0 : TXD_STA_DD);
    }
    wire = h_sane(h);
    g_assert_cmpuint(wire->len, ==, 15);
    for (unsigned i = 0; i < 15; i++) {
        GByteArray *f = g_ptr_array_index(wire, i);

        g_assert_true(h_frame_eq(f->data, f->len, frames[(5 + i) % 16], 90));
    }
    g_ptr_array_unref(wire);
    h_bufs_free(frames);
    h_check_arena(h);
    h_stop(h);
}

/*
 * Invariant 1 on RX (CVE-2016-1981): RDH/RDT outside the ring and a zero
 * RDLEN while frames arrive. Only ring descriptors and posted buffers are
 * written, with guest frames only.
 */
static void test_ring_rdh_outside(void)
{
    static const struct {
        uint32_t rdlen, rdh, rdt;
    } cases[] = {
        { 128, 0xffff, 3 }, { 128, 8, 3 }, { 128, 0, 0xffff },
        { 128, 0, 8 }, { 0, 0, 3 }, { 8, 0, 3 },
    };
    Hostile *h = h_start();
    uint8_t *sent[4];
    GPtrArray *rx;

    for (unsigned i = 0; i < 4; i++) {
        sent[i] = g_malloc(200);
        h_frame(sent[i], 200, 7 + i);
        memcpy(sent[i], h_mac, 6);
    }
    for (unsigned c = 0; c < G_N_ELEMENTS(cases); c++) {
        h_reset(h);
        h_rx_init(h, 8, 2048, 0);
        h_w(h, E1000_RCTL, 0);
        h_w(h, E1000_RDLEN, cases[c].rdlen);
        h_w(h, E1000_RDH, cases[c].rdh);
        h_w(h, E1000_RDT, cases[c].rdt);
        h_w(h, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_UPE | E1000_RCTL_BAM |
            E1000_RCTL_SECRC);
        for (unsigned i = 0; i < 3; i++) {
            qtest_wire_send(h->wire, sent[i], 200);
        }
        g_usleep(H_SETTLE_MS * 1000);
        /* Frames refused earlier may be delivered now: bound by ring. */
        rx = h_frames_new();
        h_rx_scan(h, rx);
        g_assert_cmpuint(rx->len, <=, 8);
        h_check_frames_among(rx, sent, 3, 200);
        g_ptr_array_unref(rx);
        h_check_arena(h);
    }
    rx = h_sane_rx(h);
    h_check_frames_among(rx, sent, 3, 200);
    g_ptr_array_unref(rx);
    h_check_arena(h);
    h_expect_guest_error(h);
    for (unsigned i = 0; i < 4; i++) {
        g_free(sent[i]);
    }
    h_stop(h);
}

/* ---- class F: DMA into the device's own registers ---- */

/* Snapshot of BAR0 dwords [off, off + len): MTA, RA, VFTA, ... */
static uint32_t *h_regs_read(Hostile *h, uint32_t off, uint32_t len)
{
    uint32_t *v = g_new(uint32_t, len / 4);

    for (uint32_t i = 0; i < len / 4; i++) {
        v[i] = h_r(h, off + 4 * i);
    }
    return v;
}

static void h_regs_check(Hostile *h, uint32_t off, uint32_t len,
                         const uint32_t *before)
{
    uint32_t *now = h_regs_read(h, off, len);

    for (uint32_t i = 0; i < len / 4; i++) {
        if (now[i] != before[i]) {
            g_test_message("register 0x%05x changed", off + 4 * i);
        }
        g_assert_cmphex(now[i], ==, before[i]);
    }
    g_free(now);
}

/* Write a 16-byte descriptor into BAR0 registers at off. */
static void h_regs_put_desc(Hostile *h, uint32_t off, const uint8_t *d)
{
    for (int i = 0; i < 4; i++) {
        h_w(h, off + 4 * i, d[4 * i] | d[4 * i + 1] << 8 |
            d[4 * i + 2] << 16 | (uint32_t)d[4 * i + 3] << 24);
    }
}

/*
 * Invariant 9 (CVE-2021-3416 class): a TX ring inside BAR0 (over the MTA,
 * filled with valid-looking descriptors). The descriptor fetch must fail
 * closed: nothing sent, no write-back into the registers.
 */
static void test_dma_tx_ring_in_bar(void)
{
    Hostile *h = h_start();
    uint8_t frame[100], d[16];
    uint64_t buf;
    uint32_t *before;

    h_frame(frame, sizeof(frame), 1);
    buf = h_put_buf(h, frame, sizeof(frame));
    h_txd_legacy(d, buf, sizeof(frame), TXD_EOP | TXD_IFCS | TXD_RS, 0, 0,
                 0);
    for (int i = 0; i < 8; i++) {
        h_regs_put_desc(h, E1000_MTA + 16 * i, d);
    }
    before = h_regs_read(h, E1000_MTA, 0x200);
    h_w(h, E1000_TDBAL, (uint32_t)(h->bar0 + E1000_MTA));
    h_w(h, E1000_TDBAH, (uint32_t)((h->bar0 + E1000_MTA) >> 32));
    h_w(h, E1000_TDLEN, 128);
    h_w(h, E1000_TDH, 0);
    h_w(h, E1000_TDT, 0);
    h_w(h, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
    h_w(h, E1000_TDT, 3);
    h_w(h, E1000_TDT, 7);
    h_regs_check(h, E1000_MTA, 0x200, before);
    /* The ring base over TDBAL itself: write-back would hit TDT. */
    h_w(h, E1000_TDBAL, (uint32_t)(h->bar0 + E1000_TDBAL));
    h_w(h, E1000_TDT, 1);
    g_assert_cmphex(h_r(h, E1000_TDBAL), ==,
                    (uint32_t)(h->bar0 + E1000_TDBAL));
    g_assert_cmphex(h_r(h, E1000_TDLEN), ==, 128);
    h_sane_nothing_sent(h);
    h_check_arena(h);
    h_expect_guest_error(h);
    g_free(before);
    h_stop(h);
}

/*
 * Invariant 9: TX buffers inside BAR0, straddling the end of RAM, and in
 * unbacked space. The read fails closed: no frame carries register (or
 * made-up) bytes; the descriptor is consumed, not retried (invariant 1).
 */
static void test_dma_tx_buf_in_bar(void)
{
    Hostile *h = h_start();
    const uint64_t bufs[] = {
        h->bar0 + E1000_RAL0, h->bar0 + E1000_TDT, h->bar0 + 0x1ffc0,
        h->bar0 - 32, 128ull * 1024 * 1024 - 32, 0xfffffffffffffff0ull,
    };
    uint32_t *before = h_regs_read(h, E1000_MTA, 0x800);
    uint8_t d[16];

    h_tx_init(h, 8);
    for (unsigned i = 0; i < G_N_ELEMENTS(bufs); i++) {
        h_txd_legacy(d, bufs[i], 64, TXD_EOP | TXD_IFCS | TXD_RS, 0, 0, 0);
        h_tx_push(h, d);
    }
    h_tx_kick(h);
    g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
    h_regs_check(h, E1000_MTA, 0x800, before);
    h_sane_nothing_sent(h);
    h_check_arena(h);
    h_expect_guest_error(h);
    g_free(before);
    h_stop(h);
}

/*
 * Invariant 9: an RX ring inside BAR0 (MTA holding descriptors that point
 * at guest buffers), then RX buffers inside BAR0. A received frame must
 * change neither the registers nor guest memory.
 */
static void test_dma_rx_in_bar(void)
{
    Hostile *h = h_start();
    uint8_t frame[200], d[16];
    uint64_t buf = h_alloc(h, 8 * 2048, 256);
    uint32_t *before;
    GPtrArray *rx;

    h_frame(frame, sizeof(frame), 2);
    memcpy(frame, h_mac, 6);
    memset(d, 0, sizeof(d));
    for (int i = 0; i < 8; i++) {
        uint64_t a = buf + 2048 * i;

        for (int b = 0; b < 8; b++) {
            d[b] = (uint8_t)(a >> (8 * b));
        }
        h_regs_put_desc(h, E1000_MTA + 16 * i, d);
    }
    before = h_regs_read(h, E1000_MTA, 0x800);
    h_w(h, E1000_RDBAL, (uint32_t)(h->bar0 + E1000_MTA));
    h_w(h, E1000_RDBAH, (uint32_t)((h->bar0 + E1000_MTA) >> 32));
    h_w(h, E1000_RDLEN, 128);
    h_w(h, E1000_RDH, 0);
    h_w(h, E1000_RDT, 7);
    h_w(h, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_UPE | E1000_RCTL_SECRC);
    qtest_wire_send(h->wire, frame, sizeof(frame));
    h_expect_guest_error(h);
    g_usleep(H_SETTLE_MS * 1000);
    h_regs_check(h, E1000_MTA, 0x800, before);
    h_check_arena(h);

    /* Ring in RAM, every buffer over MTA/RA/VFTA. */
    h_reset(h);
    h_rx_init(h, 8, 2048, 0);
    for (unsigned i = 0; i < 8; i++) {
        uint64_t a = h->bar0 + E1000_MTA;

        for (int b = 0; b < 8; b++) {
            d[b] = (uint8_t)(a >> (8 * b));
        }
        memset(d + 8, 0, 8);
        h_put(h, h->rx_ring + 16 * i, d, 16);
    }
    g_free(before);
    before = h_regs_read(h, E1000_MTA, 0x800);
    qtest_wire_send(h->wire, frame, sizeof(frame));
    qtest_wire_send(h->wire, frame, sizeof(frame));
    g_usleep(H_SETTLE_MS * 1000);
    h_regs_check(h, E1000_MTA, 0x800, before);
    h_check_arena(h);

    /* Frames refused (not dropped) may only arrive as they were sent. */
    rx = h_sane_rx(h);
    h_check_frames_among(rx, (uint8_t *[]){ frame }, 1, sizeof(frame));
    g_ptr_array_unref(rx);
    h_check_arena(h);
    g_free(before);
    h_stop(h);
}

/* ---- class I: guest-reachable asserts ---- */

/*
 * Invariant 11 (bhyve's RDLEN/RDBAH asserts): ring registers rewritten
 * while RX and TX are enabled and frames arrive. No abort; writes land
 * only in posted buffers and descriptor status fields.
 */
static void test_regs_ring_while_enabled(void)
{
    static const struct {
        uint32_t reg, val;
    } writes[] = {
        { E1000_RDLEN, 0 }, { E1000_RDLEN, 0xffffffff }, { E1000_RDLEN, 8 },
        { E1000_RDLEN, 128 }, { E1000_RDBAH, 0xffffffff },
        { E1000_RDBAL, 0xfffffff0 }, { E1000_RDBAH, 0 },
        { E1000_TDLEN, 0xffffffff }, { E1000_TDBAH, 0xffffffff },
        { E1000_TDT, 3 }, { E1000_TDLEN, 0 }, { E1000_TDT, 5 },
    };
    Hostile *h = h_start();
    uint8_t *sent[1];
    uint8_t frame[300];
    uint8_t **tx;
    GPtrArray *rx;

    h_frame(frame, sizeof(frame), 90);
    memcpy(frame, h_mac, 6);
    sent[0] = frame;
    h_rx_init(h, 8, 2048, 0);
    h_tx_init(h, 8);
    tx = h_tx_fill(h, 8, 100);
    for (unsigned i = 0; i < G_N_ELEMENTS(writes); i++) {
        h_w(h, writes[i].reg, writes[i].val);
        qtest_wire_send(h->wire, frame, sizeof(frame));
        qtest_clock_step(h->qts, 1000 * 1000);
    }
    g_usleep(H_SETTLE_MS * 1000);
    g_assert_true(qtest_alive(h->qts));
    rx = h_frames_new();
    h_rx_scan(h, rx);
    h_check_frames_among(rx, sent, 1, sizeof(frame));
    g_ptr_array_unref(rx);
    h_check_arena(h);
    rx = h_sane_rx(h);
    h_check_frames_among(rx, sent, 1, sizeof(frame));
    g_ptr_array_unref(rx);
    rx = h_sane(h);
    h_check_frames_among(rx, tx, 8, 100);
    g_ptr_array_unref(rx);
    h_check_arena(h);
    h_expect_guest_error(h);
    h_bufs_free(tx);
    h_stop(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/e1000/hostile/ring/tdlen-zero", test_ring_tdlen_zero);
    g_test_add_func("/e1000/hostile/ring/tdh-outside",
                    test_ring_tdh_outside);
    g_test_add_func("/e1000/hostile/ring/tdt-full", test_ring_tdt_full);
    g_test_add_func("/e1000/hostile/ring/rdh-outside",
                    test_ring_rdh_outside);
    g_test_add_func("/e1000/hostile/dma/tx-ring-in-bar",
                    test_dma_tx_ring_in_bar);
    g_test_add_func("/e1000/hostile/dma/tx-buf-in-bar",
                    test_dma_tx_buf_in_bar);
    g_test_add_func("/e1000/hostile/dma/rx-in-bar", test_dma_rx_in_bar);
    g_test_add_func("/e1000/hostile/regs/ring-while-enabled",
                    test_regs_ring_while_enabled);
    return g_test_run();
}
