/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hostile-guest (security regression) qtests for emunet's e1000:
 * RX (classes C, F): frames larger than the posted buffers, and
 * loopback (CRC kept, TX ring full, RX buffers over the TX ring).
 * The harness and the invariants every test checks are in
 * e1000-hostile.h.
 */
#include <string.h>

#include "e1000-hostile.h"
#include "libqos/frame.h"

/* ---- class C: RX frames larger than the posted buffers ---- */

enum { H_MUST_DROP, H_MUST_SPLIT, H_DROP_OR_SPLIT };

/*
 * Invariant 8 (CVE-2015-7512, CVE-2018-17958 class): a flen-byte frame
 * from the wire into bufsz-byte buffers. Dropped (and counted in ROC,
 * SDM 13.7.x) or received whole and exact across descriptors; no buffer
 * is overrun and nothing else in guest memory changes.
 */
static void h_rx_big(uint32_t rctl, size_t bufsz, size_t flen, int expect)
{
    Hostile *h = h_start();
    uint8_t *frame = g_malloc(flen), s[H_SENTINEL_LEN];
    GPtrArray *rx;
    uint32_t roc;

    h_frame(frame, flen, 80);
    memcpy(frame, h_mac, 6);
    h_rx_init(h, 64, bufsz, rctl);
    qtest_wire_send(h->wire, frame, flen);
    h_sentinel(h, s);
    rx = h_rx_until(h, s, sizeof(s));
    /* Statistics clear on read (SDM 13.7): read ROC once. */
    roc = h_r(h, E1000_ROC);
    g_test_message("RCTL 0x%08x, %zu-byte buffers, %zu-byte frame: %u "
                   "received, ROC %u", rctl, bufsz, flen, rx->len, roc);
    g_assert_cmpuint(rx->len, <=, 1);
    for (guint i = 0; i < rx->len; i++) {
        GByteArray *f = g_ptr_array_index(rx, i);

        g_assert_cmpmem(f->data, f->len, frame, flen);
    }
    if (expect == H_MUST_DROP) {
        g_assert_cmpuint(rx->len, ==, 0);
        g_assert_cmpuint(roc, >=, 1);
    } else if (expect == H_MUST_SPLIT) {
        g_assert_cmpuint(rx->len, ==, 1);
    }
    g_ptr_array_unref(rx);
    h_check_arena(h);
    rx = h_sane_rx(h);
    g_assert_cmpuint(rx->len, ==, 0);
    g_ptr_array_unref(rx);
    h_check_arena(h);
    g_free(frame);
    h_stop(h);
}

static void test_rx_oversize_lpe_off(void)
{
    h_rx_big(E1000_RCTL_BSIZE_256, 256, 9000, H_MUST_DROP);
    h_rx_big(0, 2048, 1600, H_MUST_DROP);
}

static void test_rx_oversize_lpe_on(void)
{
    h_rx_big(E1000_RCTL_BSIZE_256 | E1000_RCTL_LPE, 256, 9000,
             H_MUST_SPLIT);
    /* Beyond the 16 KiB long-packet limit (SDM 13.4.22 LPE). */
    h_rx_big(E1000_RCTL_BSIZE_16K | E1000_RCTL_LPE, 16384, 20000,
             H_MUST_DROP);
}

static void test_rx_oversize_sbp(void)
{
    h_rx_big(E1000_RCTL_BSIZE_256 | E1000_RCTL_SBP, 256, 9000,
             H_DROP_OR_SPLIT);
    h_rx_big(E1000_RCTL_BSIZE_256 | E1000_RCTL_SBP | E1000_RCTL_LPE, 256,
             9000, H_DROP_OR_SPLIT);
}

/* A 64 KiB + header frame from the wire, LPE and SBP on: always dropped. */
static void test_rx_oversize_64k(void)
{
    h_rx_big(E1000_RCTL_BSIZE_16K | E1000_RCTL_LPE | E1000_RCTL_SBP, 16384,
             64 * 1024 + 14, H_MUST_DROP);
    h_rx_big(E1000_RCTL_BSIZE_256 | E1000_RCTL_LPE | E1000_RCTL_SBP, 256,
             64 * 1024 + 14, H_MUST_DROP);
}

/*
 * Invariant 8: a 9000-byte frame (LPE) with only 7 free 256-byte
 * descriptors. Whatever is written is the start of the frame, in order,
 * inside the posted buffers.
 */
static void test_rx_oversize_ring_short(void)
{
    Hostile *h = h_start();
    uint8_t frame[9000];
    GPtrArray *rx = h_frames_new();
    size_t off = 0;

    h_frame(frame, sizeof(frame), 81);
    memcpy(frame, h_mac, 6);
    h_rx_init(h, 8, 256, E1000_RCTL_BSIZE_256 | E1000_RCTL_LPE);
    qtest_wire_send(h->wire, frame, sizeof(frame));
    for (int i = 0; i < 10; i++) {
        qtest_clock_step(h->qts, 1000 * 1000);
        g_usleep(20 * 1000);
    }
    h_rx_scan(h, rx);
    g_assert_cmpuint(rx->len, <=, 7);
    for (guint i = 0; i < rx->len; i++) {
        GByteArray *f = g_ptr_array_index(rx, i);

        g_assert_cmpuint(off + f->len, <=, sizeof(frame));
        g_assert_cmpmem(f->data, f->len, frame + off, f->len);
        off += f->len;
    }
    g_test_message("%u descriptors written, %zu bytes; MPC %u RNBC %u",
                   rx->len, off, h_r(h, E1000_MPC), h_r(h, E1000_RNBC));
    g_ptr_array_unref(rx);
    h_check_arena(h);
    rx = h_sane_rx(h);
    g_assert_cmpuint(rx->len, ==, 0);
    g_ptr_array_unref(rx);
    h_check_arena(h);
    h_stop(h);
}

/* ---- class C: a looped-back frame with its CRC ---- */

/*
 * Invariant 3 (CVE-2015-7504 pattern): a 4096-byte frame looped back with
 * the CRC kept (RCTL.SECRC clear) into 4 KiB buffers. The 4 CRC bytes go
 * to the next descriptor, never past a buffer; they are the frame's CRC
 * or left untouched.
 */
static void test_loopback_crc(void)
{
    static const uint32_t modes[] = { E1000_RCTL_LBM_MAC,
                                      E1000_RCTL_LBM_TCVR };

    for (unsigned m = 0; m < G_N_ELEMENTS(modes); m++) {
        Hostile *h = h_start();
        uint8_t frame[4096];
        GPtrArray *rx;

        h_frame(frame, sizeof(frame), 50);
        memcpy(frame, h_mac, 6);
        h_rx_init(h, 8, 4096, 0);
        /* 4096-byte buffers: BSEX with BSIZE 11b (SDM 13.4.22). */
        h_w(h, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_UPE | E1000_RCTL_LPE |
            (3u << 16) | (1u << 25) | modes[m]);
        h_tx_init(h, 8);
        h_tx_frame(h, frame, sizeof(frame));
        rx = h_rx_settle(h);
        g_test_message("RCTL 0x%08x: %u frames", modes[m], rx->len);
        g_assert_cmpuint(rx->len, <=, 1);
        if (rx->len) {
            GByteArray *f = g_ptr_array_index(rx, 0);
            uint32_t crc = qframe_crc32(frame, sizeof(frame));
            uint8_t crc_le[4] = { (uint8_t)crc, (uint8_t)(crc >> 8),
                                  (uint8_t)(crc >> 16),
                                  (uint8_t)(crc >> 24) };
            uint8_t canary[4] = { H_CANARY, H_CANARY, H_CANARY, H_CANARY };

            g_assert_true(f->len == sizeof(frame) ||
                          f->len == sizeof(frame) + 4);
            g_assert_cmpmem(f->data, sizeof(frame), frame, sizeof(frame));
            if (f->len > sizeof(frame)) {
                g_assert_true(!memcmp(f->data + sizeof(frame), crc_le, 4) ||
                              !memcmp(f->data + sizeof(frame), canary, 4));
            }
        }
        g_ptr_array_unref(rx);
        rx = h_sane(h);
        h_check_frames_among(rx, (uint8_t *[]){ frame }, 1, sizeof(frame));
        g_ptr_array_unref(rx);
        h_check_arena(h);
        h_stop(h);
    }
}

/* ---- class F: loopback recursion ---- */

/*
 * Invariant 9 (CVE-2021-3416): loopback (RCTL.LBM 01b/11b, PHY
 * BMCR.LOOPBACK) with a full TX ring and a smaller RX ring. The doorbell
 * returns after one ring's worth; the RX ring takes at most what it has
 * room for; only guest frames appear anywhere.
 */
static void test_loopback_ring_full(void)
{
    static const struct {
        uint32_t rctl;
        bool phy;
    } modes[] = {
        { E1000_RCTL_LBM_MAC, false }, { E1000_RCTL_LBM_TCVR, false },
        { 0, true },
    };

    for (unsigned m = 0; m < G_N_ELEMENTS(modes); m++) {
        Hostile *h = h_start();
        uint8_t **frames;
        GPtrArray *rx, *wire;

        h_rx_init(h, 8, 2048, modes[m].rctl);
        if (modes[m].phy) {
            h->phy_reset = true;
            h_mdic(h, E1000_MDIC_OP_WRITE, E1000_PHY_ADDR, MII_BMCR,
                   BMCR_LOOPBACK | BMCR_FULLDPLX | BMCR_SPEED1000);
        }
        h_tx_init(h, 16);
        frames = h_tx_fill(h, 16, 200);
        for (unsigned i = 0; i < 16; i++) {
            memcpy(frames[i], h_mac, 6);
        }
        for (unsigned i = 0; i < 16; i++) {
            uint8_t d[16];

            h_txd_legacy(d, h_put_buf(h, frames[i], 200), 200,
                         TXD_EOP | TXD_IFCS | TXD_RS, 0, 0, 0);
            h_tx_put(h, i, d);
        }
        h_w(h, E1000_TCTL, 0);
        h_w(h, E1000_TDH, 5);
        h_w(h, E1000_TDT, 5);
        h_w(h, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
        h_w(h, E1000_TDT, 4);
        g_assert_cmpuint(h_tx_done(h), <=, 15);
        rx = h_rx_settle(h);
        g_test_message("mode %u: %u frames looped back", m, rx->len);
        g_assert_cmpuint(rx->len, <=, 7);
        h_check_frames_among(rx, frames, 16, 200);
        if (modes[m].phy) {
            /*
             * Control: PHY loopback does deliver (IEEE 802.3 22.2.4.1.2),
             * so this test exercises the loopback path at all.
             */
            g_assert_cmpuint(rx->len, >=, 1);
        }
        wire = h_sane(h);
        g_test_message("mode %u: %u frames on the wire", m, wire->len);
        g_assert_cmpuint(wire->len, <=, 15);
        h_check_frames_among(wire, frames, 16, 200);
        g_ptr_array_unref(rx);
        g_ptr_array_unref(wire);
        h_check_arena(h);
        h_bufs_free(frames);
        h_stop(h);
    }
}

/*
 * Invariant 9: loopback whose RX buffers are the TX ring itself, and
 * whose frames are copies of valid TX descriptors. Each looped frame
 * re-arms the TX ring; the doorbell must still end after one ring.
 */
static void test_loopback_rx_into_tx_ring(void)
{
    Hostile *h = h_start();
    uint8_t ring[128], d[16];
    uint64_t fbuf;
    GPtrArray *wire;

    h->phy_reset = true;
    h_rx_init(h, 8, 2048, E1000_RCTL_LBM_MAC);
    h_tx_init(h, 8);
    /* The TX ring is a legitimate DMA target in this test. */
    h_allow(h, h->tx_ring, 128);
    fbuf = h_alloc(h, 128, 16);
    for (unsigned i = 0; i < 8; i++) {
        h_txd_legacy(ring + 16 * i, fbuf, 128, TXD_EOP | TXD_IFCS | TXD_RS,
                     0, 0, 0);
    }
    memcpy(ring, h_mac, 6);
    h_put(h, fbuf, ring, 128);
    h_put(h, h->tx_ring, ring, 128);
    for (unsigned i = 0; i < 8; i++) {
        memset(d, 0, sizeof(d));
        for (int b = 0; b < 8; b++) {
            d[b] = (uint8_t)(h->tx_ring >> (8 * b));
        }
        h_put(h, h->rx_ring + 16 * i, d, 16);
    }
    h_w(h, E1000_TDT, 7);
    for (int i = 0; i < 20; i++) {
        qtest_clock_step(h->qts, 1000 * 1000);
    }
    g_assert_cmpuint(h_r(h, E1000_TDH), <, 8);
    h_w(h, E1000_TDT, 6);
    for (int i = 0; i < 20; i++) {
        qtest_clock_step(h->qts, 1000 * 1000);
    }
    g_test_message("TDH %u, RDH %u", h_r(h, E1000_TDH), h_r(h, E1000_RDH));
    g_assert_cmpuint(h_r(h, E1000_RDH), <, 8);
    wire = h_sane(h);
    g_assert_cmpuint(wire->len, <=, 14);
    g_ptr_array_unref(wire);
    h_stop(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/e1000/hostile/loopback/crc", test_loopback_crc);
    g_test_add_func("/e1000/hostile/loopback/ring-full",
                    test_loopback_ring_full);
    g_test_add_func("/e1000/hostile/loopback/rx-into-tx-ring",
                    test_loopback_rx_into_tx_ring);
    g_test_add_func("/e1000/hostile/rx/oversize-lpe-off",
                    test_rx_oversize_lpe_off);
    g_test_add_func("/e1000/hostile/rx/oversize-lpe-on",
                    test_rx_oversize_lpe_on);
    g_test_add_func("/e1000/hostile/rx/oversize-sbp", test_rx_oversize_sbp);
    g_test_add_func("/e1000/hostile/rx/oversize-64k", test_rx_oversize_64k);
    g_test_add_func("/e1000/hostile/rx/oversize-ring-short",
                    test_rx_oversize_ring_short);
    return g_test_run();
}
