/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hostile-guest (security regression) qtests for emunet's e1000:
 * TX assembly (classes C, D, E, I): empty and unterminated
 * descriptor chains, mixed descriptor types, guest checksum offsets
 * and short-frame padding.
 * The harness and the invariants every test checks are in
 * e1000-hostile.h.
 */
#include <string.h>

#include "e1000-hostile.h"

/* ---- class C: TX assembly bounds, on the wire and in loopback ---- */

/*
 * Invariants 1/2: descriptors that carry nothing (length 0 with EOP,
 * address 0) are consumed and written back, and send nothing.
 */
static void test_tx_empty_eop(void)
{
    Hostile *h = h_start();
    uint8_t hdr[H_HDRLEN], d[16];
    uint64_t buf;

    h_tcp_header(hdr);
    buf = h_put_buf(h, hdr, sizeof(hdr));
    h_tx_init(h, 8);
    h_txd_legacy(d, buf, 0, TXD_EOP | TXD_IFCS | TXD_RS, 0, 0, 0);
    h_tx_push(h, d);
    h_txd_legacy(d, 0, 0, TXD_EOP | TXD_IFCS | TXD_RS, 0, 0, 0);
    h_tx_push(h, d);
    h_txd_ctx(d, 14, 24, 0, 34, 50, 0, 100, TXD_TSE | TUCMD_IP | TUCMD_TCP,
              H_HDRLEN, 100);
    h_tx_push(h, d);
    h_txd_data(d, buf, 0, TXD_TSE | TXD_IFCS | TXD_EOP | TXD_RS, 0, 0);
    h_tx_push(h, d);
    h_txd_data(d, 0, 0, TXD_IFCS | TXD_EOP | TXD_RS, 0, 0);
    h_tx_push(h, d);
    h_tx_kick(h);
    g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
    for (unsigned i = 0; i < 5; i++) {
        if (i != 2) {
            g_assert_cmphex(h_tx_sta(h, i) & TXD_STA_DD, ==, TXD_STA_DD);
        }
    }
    h_sane_nothing_sent(h);
    h_check_arena(h);
    h_expect_guest_error(h);
    h_stop(h);
}

/* Every frame is a prefix of data (a truncated frame), at most max long. */
static void h_check_prefixes(GPtrArray *frames, const uint8_t *data,
                             size_t len, size_t max)
{
    for (guint i = 0; i < frames->len; i++) {
        GByteArray *f = g_ptr_array_index(frames, i);

        g_assert_cmpuint(f->len, <=, MIN(len, max));
        g_assert_cmpmem(f->data, f->len, data, f->len);
    }
}

/*
 * Invariant 3 (CVE-2012-0029 class): 100 chained 4 KiB legacy descriptors
 * without EOP, then one with EOP: 404 KiB for one frame. Every descriptor
 * is consumed; at most one frame results, a prefix of the chain no longer
 * than 64 KiB. With `rctl` loopback the RX side is checked the same way.
 */
static void h_chain(uint32_t rctl, bool phy_loopback)
{
    const size_t chunk = 4096, n = 100, total = chunk * (n + 1);
    Hostile *h = h_start();
    uint8_t *data = g_malloc(total);
    GPtrArray *wire, *rx = NULL;
    uint64_t buf;
    uint8_t d[16];

    g_test_message("RCTL 0x%08x, PHY loopback %d", rctl, phy_loopback);
    h_frame(data, total, 20);
    memcpy(data, h_mac, 6);
    buf = h_put_buf(h, data, total);
    if (rctl || phy_loopback) {
        h_rx_init(h, 32, 16384, rctl | E1000_RCTL_LPE |
                  E1000_RCTL_BSIZE_16K);
    }
    if (phy_loopback) {
        h->phy_reset = true;
        h_mdic(h, E1000_MDIC_OP_WRITE, E1000_PHY_ADDR, MII_BMCR,
               BMCR_LOOPBACK | BMCR_FULLDPLX | BMCR_SPEED1000);
    }
    h_tx_init(h, 128);
    for (size_t i = 0; i < n; i++) {
        h_txd_legacy(d, buf + i * chunk, (uint16_t)chunk,
                     TXD_IFCS | TXD_RS, 0, 0, 0);
        h_tx_push(h, d);
    }
    h_tx_kick(h);
    /* The device may hold an unfinished packet's descriptors. */
    g_assert_cmpuint(h_r(h, E1000_TDH), <=, n);
    g_assert_cmpuint(h_tx_done(h), <=, n);
    h_txd_legacy(d, buf + n * chunk, (uint16_t)chunk,
                 TXD_EOP | TXD_IFCS | TXD_RS, 0, 0, 0);
    h_tx_push(h, d);
    h_tx_kick(h);
    g_assert_cmpuint(h_r(h, E1000_TDH), ==, n + 1);
    g_assert_cmpuint(h_tx_done(h), ==, n + 1);
    if (rctl || phy_loopback) {
        rx = h_rx_settle(h);
        g_assert_cmpuint(rx->len, <=, 1);
        h_check_prefixes(rx, data, total, 16384);
        g_ptr_array_unref(rx);
    }
    wire = h_sane(h);
    g_assert_cmpuint(wire->len, <=, 1);
    h_check_prefixes(wire, data, total, 64 * 1024);
    g_ptr_array_unref(wire);
    h_check_arena(h);
    h_expect_guest_error(h);
    g_free(data);
    h_stop(h);
}

static void test_tx_chain_no_eop(void)
{
    h_chain(0, false);
}

static void test_tx_chain_no_eop_loopback(void)
{
    h_chain(E1000_RCTL_LBM_MAC, false);
    h_chain(E1000_RCTL_LBM_TCVR, false);
    h_chain(0, true);
}

/* ---- class C/D: guest checksum offsets and header lengths ---- */

/* A 60-byte Ethernet/IPv4/UDP frame. */
static void h_udp_frame(uint8_t *p)
{
    h_frame(p, ETH_ZLEN, 60);
    h_tcp_header(p);
    p[23] = 17;
    p[38] = 0;
    p[39] = 26;
}

/*
 * Invariant 5 (CVE-2022-23087, CVE-2019-5609, QEMU putsum): checksum
 * offsets beyond a 60-byte frame or with the end before the start. The
 * frame is dropped, or sent at its own length with at most the two bytes
 * at an in-frame checksum offset changed.
 */
static void test_csum_offsets(void)
{
    static const struct {
        bool ctx;
        uint8_t ipcss, ipcso, tucss, tucso;
        uint16_t ipcse, tucse;
    } cases[] = {
        /* Legacy IC: CSO in ipcso, CSS in ipcss. */
        { false, 14, 0xff, 0, 0, 0, 0 },
        { false, 0xff, 58, 0, 0, 0, 0 },
        { false, 0, 59, 0, 0, 0, 0 },
        { false, 60, 0, 0, 0, 0, 0 },
        /* Context + data with IXSM|TXSM. */
        { true, 14, 0xfe, 34, 0xff, 0, 0 },
        { true, 14, 24, 200, 40, 0, 0 },
        { true, 30, 24, 34, 50, 20, 0 },
        { true, 14, 24, 40, 50, 0, 20 },
        { true, 14, 24, 34, 50, 0xffff, 0xffff },
        { true, 0xff, 0xff, 0xff, 0xff, 0, 0 },
        { true, 59, 58, 59, 59, 59, 59 },
    };
    Hostile *h = h_start();
    uint8_t frame[ETH_ZLEN];

    h_udp_frame(frame);
    for (unsigned c = 0; c < G_N_ELEMENTS(cases); c++) {
        uint64_t buf = h_put_buf(h, frame, sizeof(frame));
        const unsigned allow[] = {
            cases[c].ipcso, cases[c].ipcso + 1u, cases[c].tucso,
            cases[c].tucso + 1u,
        };
        GPtrArray *wire;
        uint8_t d[16];

        h_tx_init(h, 8);
        if (cases[c].ctx) {
            h_txd_ctx(d, cases[c].ipcss, cases[c].ipcso, cases[c].ipcse,
                      cases[c].tucss, cases[c].tucso, cases[c].tucse, 0,
                      TUCMD_IP, 0, 0);
            h_tx_push(h, d);
            h_txd_data(d, buf, sizeof(frame), TXD_EOP | TXD_IFCS | TXD_RS,
                       POPTS_IXSM | POPTS_TXSM, 0);
        } else {
            h_txd_legacy(d, buf, sizeof(frame),
                         TXD_EOP | TXD_IFCS | TXD_IC | TXD_RS,
                         cases[c].ipcso, cases[c].ipcss, 0);
        }
        h_tx_push(h, d);
        h_tx_kick(h);
        g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
        wire = h_sane(h);
        g_assert_cmpuint(wire->len, <=, 1);
        for (guint i = 0; i < wire->len; i++) {
            GByteArray *f = g_ptr_array_index(wire, i);

            g_assert_cmpuint(f->len, ==, sizeof(frame));
            for (unsigned b = 0; b < sizeof(frame); b++) {
                bool may = false;

                for (unsigned a = 0; a < G_N_ELEMENTS(allow); a++) {
                    may |= allow[a] == b && (cases[c].ctx || a < 2);
                }
                if (!may && f->data[b] != frame[b]) {
                    g_test_message("case %u: byte %u changed", c, b);
                    g_assert_cmphex(f->data[b], ==, frame[b]);
                }
            }
        }
        g_ptr_array_unref(wire);
    }
    h_check_arena(h);
    h_expect_guest_error(h);
    h_stop(h);
}

/* ---- class I: guest-reachable asserts ---- */

/*
 * Invariant 11 (bhyve's dtype == ntype assert): legacy and extended data
 * descriptors mixed inside one packet. No abort; the packet is dropped
 * or sent as exactly the guest's bytes.
 */
static void test_tx_mixed_desc(void)
{
    Hostile *h = h_start();
    uint8_t frame[200], d[16];
    uint8_t *frames[1] = { frame };
    uint64_t buf;
    GPtrArray *wire;
    bool dropped;

    h_frame(frame, sizeof(frame), 91);
    buf = h_put_buf(h, frame, sizeof(frame));
    h_tx_init(h, 8);
    h_txd_legacy(d, buf, 100, TXD_IFCS, 0, 0, 0);
    h_tx_push(h, d);
    h_txd_data(d, buf + 100, 100, TXD_EOP | TXD_IFCS | TXD_RS, 0, 0);
    h_tx_push(h, d);
    h_txd_data(d, buf, 100, TXD_IFCS, 0, 0);
    h_tx_push(h, d);
    h_txd_legacy(d, buf + 100, 100, TXD_EOP | TXD_IFCS | TXD_RS, 0, 0, 0);
    h_tx_push(h, d);
    h_tx_kick(h);
    g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
    wire = h_sane(h);
    g_assert_cmpuint(wire->len, <=, 2);
    h_check_frames_among(wire, frames, 1, sizeof(frame));
    dropped = wire->len < 2;
    g_ptr_array_unref(wire);
    h_check_arena(h);
    if (dropped) {
        h_expect_guest_error(h);
    }
    h_stop(h);
}

/* ---- class E: padding and state left over across reset ---- */

/*
 * Invariant 7 (Etherleak, VU#412115): short frames, TX with and without
 * TCTL.PSP and RX from the wire. A frame is the guest's bytes, padded (if
 * at all) with zeros to 60; a short RX frame may instead be dropped as
 * undersized (SDM 13.7 RUC).
 */
static void test_pad_short_frames(void)
{
    static const size_t lens[] = { 14, 20, 42, 59 };
    Hostile *h = h_start();
    uint8_t *frames[G_N_ELEMENTS(lens)];
    GPtrArray *got;

    for (unsigned i = 0; i < G_N_ELEMENTS(lens); i++) {
        frames[i] = g_malloc(lens[i]);
        h_frame(frames[i], lens[i], 110 + i);
        memcpy(frames[i], h_mac, 6);
    }
    for (int psp = 0; psp < 2; psp++) {
        h_tx_init(h, 8);
        if (!psp) {
            h_w(h, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_CT |
                E1000_TCTL_COLD);
        }
        for (unsigned i = 0; i < G_N_ELEMENTS(lens); i++) {
            h_tx_frame(h, frames[i], lens[i]);
        }
        got = h_sane(h);
        g_assert_cmpuint(got->len, ==, G_N_ELEMENTS(lens));
        for (unsigned i = 0; i < G_N_ELEMENTS(lens); i++) {
            GByteArray *f = g_ptr_array_index(got, i);

            g_assert_true(h_frame_eq(f->data, f->len, frames[i], lens[i]));
        }
        g_ptr_array_unref(got);
    }
    h_rx_init(h, 16, 2048, 0);
    for (unsigned i = 0; i < G_N_ELEMENTS(lens); i++) {
        qtest_wire_send(h->wire, frames[i], lens[i]);
    }
    got = h_sane_rx(h);
    g_assert_cmpuint(got->len, <=, G_N_ELEMENTS(lens));
    for (guint i = 0; i < got->len; i++) {
        GByteArray *f = g_ptr_array_index(got, i);
        bool found = false;

        for (unsigned j = 0; j < G_N_ELEMENTS(lens) && !found; j++) {
            found = h_frame_eq(f->data, f->len, frames[j], lens[j]);
        }
        g_assert_true(found);
    }
    g_ptr_array_unref(got);
    h_check_arena(h);
    for (unsigned i = 0; i < G_N_ELEMENTS(lens); i++) {
        g_free(frames[i]);
    }
    h_stop(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/e1000/hostile/tx/empty-eop", test_tx_empty_eop);
    g_test_add_func("/e1000/hostile/tx/chain-no-eop", test_tx_chain_no_eop);
    g_test_add_func("/e1000/hostile/tx/chain-no-eop-loopback",
                    test_tx_chain_no_eop_loopback);
    g_test_add_func("/e1000/hostile/csum/offsets", test_csum_offsets);
    g_test_add_func("/e1000/hostile/tx/mixed-desc", test_tx_mixed_desc);
    g_test_add_func("/e1000/hostile/pad/short-frames",
                    test_pad_short_frames);
    return g_test_run();
}
