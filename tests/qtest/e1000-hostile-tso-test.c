/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hostile-guest (security regression) qtests for emunet's e1000:
 * TCP segmentation offload (classes B, C, D, E): MSS 0 and maximal,
 * HDRLEN + MSS overflow, the Zelenyuk descriptor sequence, a context
 * in mid-packet, VLAN insertion and a context left over across reset.
 * The harness and the invariants every test checks are in
 * e1000-hostile.h.
 */
#include <string.h>

#include "e1000-hostile.h"

/* ---- classes B, C, D: TSO ---- */

/* What a TSO packet must turn into on the wire (SDM 3.5). */
typedef struct TsoSpec {
    const uint8_t *hdr;
    size_t hdrlen;
    const uint8_t *pay;
    size_t paylen;
    size_t mss;
    /* Context offsets: the fields the device rewrites per segment. */
    unsigned ipcss, ipcso, tucss, tucso;
    bool vlan;
    uint16_t vlan_tci;
} TsoSpec;

/*
 * Check frames[*pos..] as the segments of t, in order, stopping when the
 * payload is used up or a frame does not fit. A segment is the header,
 * equal to the guest's except the fields the device rewrites (IP total
 * length and ID, IP checksum, TCP sequence number and flags, L4
 * checksum) where those lie inside the header, then exactly the next
 * min(MSS, left) payload bytes, zero padded to 60 bytes at most.
 * Returns the payload bytes covered; *pos moves past the frames used.
 */
static size_t h_check_tso(GPtrArray *frames, guint *pos, const TsoSpec *t)
{
    bool mut[256] = { false };
    const unsigned m[] = {
        t->ipcss + 2, t->ipcss + 3, t->ipcss + 4, t->ipcss + 5, t->ipcso,
        t->ipcso + 1, t->tucss + 4, t->tucss + 5, t->tucss + 6,
        t->tucss + 7, t->tucss + 13, t->tucso, t->tucso + 1,
    };
    size_t done = 0;

    for (unsigned i = 0; i < G_N_ELEMENTS(m); i++) {
        if (m[i] < t->hdrlen) {
            mut[m[i]] = true;
        }
    }
    while (*pos < frames->len && done < t->paylen && t->mss) {
        GByteArray *g = g_ptr_array_index(frames, *pos);
        const uint8_t *f = g->data;
        size_t flen = g->len;
        size_t n = MIN(t->mss, t->paylen - done);
        size_t want = t->hdrlen + n;
        uint8_t *copy = NULL;

        if (t->vlan) {
            if (flen < 16 || f[12] != 0x81 || f[13] != 0x00 ||
                f[14] != (t->vlan_tci >> 8) ||
                f[15] != (t->vlan_tci & 0xff)) {
                break;
            }
            copy = g_malloc(flen - 4);
            memcpy(copy, f, 12);
            memcpy(copy + 12, f + 16, flen - 16);
            f = copy;
            flen -= 4;
        }
        /* Padding may come before or after the tag is inserted. */
        if (flen != want && !(want < flen && (flen == ETH_ZLEN ||
                                              (t->vlan &&
                                               flen == ETH_ZLEN - 4)))) {
            g_free(copy);
            break;
        }
        for (size_t i = 0; i < flen; i++) {
            uint8_t exp;

            if (i < t->hdrlen) {
                if (mut[i]) {
                    continue;
                }
                exp = t->hdr[i];
            } else if (i < want) {
                exp = t->pay[done + i - t->hdrlen];
            } else {
                exp = 0;
            }
            if (f[i] != exp) {
                g_test_message("segment %u byte %zu: 0x%02x, want 0x%02x",
                               *pos, i, f[i], exp);
                g_assert_cmphex(f[i], ==, exp);
            }
        }
        g_free(copy);
        done += n;
        (*pos)++;
    }
    return done;
}

/* Every frame was accounted for by the h_check_tso calls before. */
static void h_check_all_used(GPtrArray *frames, guint pos)
{
    if (pos < frames->len) {
        GByteArray *f = g_ptr_array_index(frames, pos);

        g_test_message("frame %u (%u bytes) is not a valid segment", pos,
                       f->len);
    }
    g_assert_cmpuint(pos, ==, frames->len);
}

/* A TSO packet: context, then the header+payload in data descriptors. */
static void h_tso_push(Hostile *h, const TsoSpec *t, uint8_t tucmd,
                       size_t chunk, uint8_t dcmd_extra, uint16_t special)
{
    size_t total = t->hdrlen + t->paylen;
    uint8_t *pkt = g_malloc(total ? total : 1);
    uint64_t buf;
    uint8_t d[16];

    memcpy(pkt, t->hdr, t->hdrlen);
    memcpy(pkt + t->hdrlen, t->pay, t->paylen);
    buf = h_put_buf(h, pkt, total);
    h_txd_ctx(d, t->ipcss, t->ipcso, 0, t->tucss, t->tucso, 0,
              (uint32_t)t->paylen, tucmd | TXD_TSE, (uint8_t)t->hdrlen,
              (uint16_t)t->mss);
    h_tx_push(h, d);
    for (size_t off = 0; off < total; off += chunk) {
        size_t n = MIN(chunk, total - off);
        uint8_t cmd = TXD_TSE | TXD_IFCS | dcmd_extra |
                      (off + n == total ? TXD_EOP | TXD_RS : 0);

        h_txd_data(d, buf + off, (uint32_t)n, cmd, POPTS_IXSM | POPTS_TXSM,
                   special);
        h_tx_push(h, d);
    }
    g_free(pkt);
}

static void h_tso_spec(TsoSpec *t, const uint8_t *hdr, size_t hdrlen,
                       const uint8_t *pay, size_t paylen, size_t mss)
{
    memset(t, 0, sizeof(*t));
    t->hdr = hdr;
    t->hdrlen = hdrlen;
    t->pay = pay;
    t->paylen = paylen;
    t->mss = mss;
    t->ipcss = 14;
    t->ipcso = 24;
    t->tucss = 34;
    t->tucso = 50;
}

/* Control: a well-formed TSO packet segments exactly (SDM 3.5). */
static void test_tso_control(void)
{
    Hostile *h = h_start();
    uint8_t hdr[H_HDRLEN], pay[3000];
    GPtrArray *wire;
    TsoSpec t;
    guint pos = 0;

    h_tcp_header(hdr);
    h_pattern(pay, sizeof(pay), 5);
    h_tso_spec(&t, hdr, H_HDRLEN, pay, sizeof(pay), 1000);
    h_tx_init(h, 16);
    h_tso_push(h, &t, TUCMD_IP | TUCMD_TCP, 1024, 0, 0);
    h_tx_kick(h);
    wire = h_sane(h);
    g_assert_cmpuint(h_check_tso(wire, &pos, &t), ==, sizeof(pay));
    g_assert_cmpuint(pos, ==, 3);
    g_assert_cmpuint(wire->len, ==, 3);
    g_ptr_array_unref(wire);
    h_check_arena(h);
    h_stop(h);
}

/*
 * Invariant 2 (CVE-2021-20257, CVE-2015-6815): MSS = 0 must not spin;
 * the packet is dropped and its descriptors consumed.
 */
static void test_tso_mss_zero(void)
{
    Hostile *h = h_start();
    uint8_t hdr[H_HDRLEN], pay[1000];
    TsoSpec t;

    h_tcp_header(hdr);
    h_pattern(pay, sizeof(pay), 6);
    h_tso_spec(&t, hdr, H_HDRLEN, pay, sizeof(pay), 0);
    h_tx_init(h, 8);
    h_tso_push(h, &t, TUCMD_IP | TUCMD_TCP, 400, 0, 0);
    h_tx_kick(h);
    g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
    h_sane_nothing_sent(h);
    h_check_arena(h);
    h_expect_guest_error(h);
    h_stop(h);
}

/*
 * Invariants 2/3 (CVE-2017-10235 class): HDRLEN + MSS beyond a 64 KiB
 * assembly buffer. The packet is either dropped (with a guest error) or
 * segmented exactly; no frame exceeds 64 KiB, so a segment of HDRLEN +
 * MSS > 64 KiB can only be a drop.
 */
static void test_tso_hdrlen_mss_overflow(void)
{
    static const struct {
        size_t hdrlen, mss, paylen;
    } cases[] = {
        { H_HDRLEN, 0xffff, 3000 }, { 255, 0xffff, 3000 },
        { H_HDRLEN, 0xffff, 70000 }, { 255, 0xff01, 66000 },
    };
    Hostile *h = h_start();
    bool dropped = false;

    for (unsigned c = 0; c < G_N_ELEMENTS(cases); c++) {
        uint8_t *hdr = g_malloc(cases[c].hdrlen);
        uint8_t *pay = g_malloc(cases[c].paylen);
        GPtrArray *wire;
        size_t covered;
        guint pos = 0;
        TsoSpec t;

        h_pattern(hdr, cases[c].hdrlen, 9);
        h_tcp_header(hdr);
        h_pattern(pay, cases[c].paylen, 10 + c);
        h_tso_spec(&t, hdr, cases[c].hdrlen, pay, cases[c].paylen,
                   cases[c].mss);
        h_tx_init(h, 32);
        h_tso_push(h, &t, TUCMD_IP | TUCMD_TCP, 4096, 0, 0);
        h_tx_kick(h);
        g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
        wire = h_sane(h);
        covered = h_check_tso(wire, &pos, &t);
        g_test_message("HDRLEN %zu MSS 0x%zx: %u frames, %zu of %zu bytes",
                       t.hdrlen, t.mss, wire->len, covered, t.paylen);
        h_check_all_used(wire, pos);
        for (guint i = 0; i < wire->len; i++) {
            GByteArray *f = g_ptr_array_index(wire, i);

            g_assert_cmpuint(f->len, <=, 64 * 1024);
        }
        g_assert_true(covered == 0 || covered == t.paylen);
        dropped |= covered == 0;
        g_ptr_array_unref(wire);
        g_free(hdr);
        g_free(pay);
    }
    h_check_arena(h);
    if (dropped) {
        h_expect_guest_error(h);
    }
    h_stop(h);
}

/*
 * Invariant 4 (VirtualBox E1000 0-day, 2018): [ctx MSS=0x3010][data 0x10
 * !EOP][data 0 EOP][ctx MSS=0xF][data 0x4188 EOP], HDRLEN 0, all TSE.
 * The zero-length EOP ends the first packet; the second context applies
 * to a new packet only. Every frame is a segment of one of the two
 * packets, none longer than its own HDRLEN + MSS. With `rctl` set the
 * frames are looped back into an RX ring and checked there too.
 */
static void h_zelenyuk(uint32_t rctl, bool phy_loopback, uint8_t hdrlen)
{
    Hostile *h = h_start();
    uint8_t a[0x10], c[0x4188], d[16];
    uint8_t tucmd = hdrlen ? TUCMD_IP | TUCMD_TCP : 0;
    uint8_t popts = hdrlen ? POPTS_IXSM | POPTS_TXSM : 0;
    GPtrArray *wire, *rx = NULL;
    TsoSpec t1, t2;
    size_t n1, n2;
    guint pos;

    g_test_message("RCTL 0x%08x, PHY loopback %d, HDRLEN %u", rctl,
                   phy_loopback, hdrlen);
    if (rctl || phy_loopback) {
        h_rx_init(h, 64, 2048, rctl);
    }
    if (phy_loopback) {
        h_mdic(h, E1000_MDIC_OP_WRITE, E1000_PHY_ADDR, MII_BMCR,
               BMCR_LOOPBACK | BMCR_FULLDPLX | BMCR_SPEED1000);
    }
    h_pattern(a, sizeof(a), 11);
    h_pattern(c, sizeof(c), 12);
    if (hdrlen) {
        h_tcp_header(c);
    }
    /*
     * Packet 1 is 0x10 bytes: with a real header it cannot be sent at
     * all (payload 0 in the spec), with HDRLEN 0 it is one segment.
     */
    h_tso_spec(&t1, a, hdrlen, a, hdrlen ? 0 : sizeof(a), 0x3010);
    h_tso_spec(&t2, c, hdrlen, c + hdrlen, sizeof(c) - hdrlen, 0xf);
    if (!hdrlen) {
        t1.ipcss = t1.ipcso = t1.tucss = t1.tucso = 0;
        t2.ipcss = t2.ipcso = t2.tucss = t2.tucso = 0;
    }
    h_tx_init(h, 8);
    h_txd_ctx(d, t1.ipcss, t1.ipcso, 0, t1.tucss, t1.tucso, 0, sizeof(a),
              TXD_TSE | tucmd, hdrlen, 0x3010);
    h_tx_push(h, d);
    h_txd_data(d, h_put_buf(h, a, sizeof(a)), sizeof(a),
               TXD_TSE | TXD_IFCS | TXD_RS, popts, 0);
    h_tx_push(h, d);
    h_txd_data(d, h_put_buf(h, a, 1), 0,
               TXD_TSE | TXD_IFCS | TXD_EOP | TXD_RS, popts, 0);
    h_tx_push(h, d);
    h_txd_ctx(d, t2.ipcss, t2.ipcso, 0, t2.tucss, t2.tucso, 0,
              (uint32_t)t2.paylen, TXD_TSE | tucmd, hdrlen, 0xf);
    h_tx_push(h, d);
    h_txd_data(d, h_put_buf(h, c, sizeof(c)), sizeof(c),
               TXD_TSE | TXD_IFCS | TXD_EOP | TXD_RS, popts, 0);
    h_tx_push(h, d);
    h_tx_kick(h);
    /* Loopback may hold TX until the (never refilled) RX ring drains. */
    g_assert_cmpuint(h_tx_done(h), <=, 5);
    if (!rctl && !phy_loopback) {
        g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
    }
    if (rctl || phy_loopback) {
        rx = h_rx_settle(h);
        pos = 0;
        n1 = h_check_tso(rx, &pos, &t1);
        n2 = h_check_tso(rx, &pos, &t2);
        g_test_message("RX: %u frames, payload %zu + %zu bytes", rx->len,
                       n1, n2);
        h_check_all_used(rx, pos);
    }
    h->phy_reset = phy_loopback;
    wire = h_sane(h);
    pos = 0;
    n1 = h_check_tso(wire, &pos, &t1);
    n2 = h_check_tso(wire, &pos, &t2);
    g_test_message("wire: %u frames, payload %zu + %zu bytes", wire->len,
                   n1, n2);
    h_check_all_used(wire, pos);
    g_ptr_array_unref(wire);
    if (rx) {
        g_ptr_array_unref(rx);
    }
    h_check_arena(h);
    h_expect_guest_error(h);
    h_stop(h);
}

static void test_tso_zelenyuk(void)
{
    h_zelenyuk(0, false, 0);
    h_zelenyuk(0, false, H_HDRLEN);
}

static void test_tso_zelenyuk_lbm(void)
{
    h_zelenyuk(E1000_RCTL_LBM_MAC, false, 0);
    h_zelenyuk(E1000_RCTL_LBM_TCVR, false, 0);
    h_zelenyuk(0, true, 0);
    h_zelenyuk(E1000_RCTL_LBM_MAC, false, H_HDRLEN);
    h_zelenyuk(0, true, H_HDRLEN);
}

/*
 * Invariant 4 / class D: a context descriptor in the middle of a packet
 * (after 554 bytes, with HDRLEN + MSS = 62 below that) aborts the packet:
 * none of its payload reaches the wire. What follows the new context is
 * dropped or segmented with that context.
 */
static void test_tso_ctx_mid_packet(void)
{
    Hostile *h = h_start();
    uint8_t hdr[H_HDRLEN], p1[H_HDRLEN + 500], p2[H_HDRLEN + 446];
    uint8_t d[16];
    GPtrArray *wire;
    TsoSpec t2;
    guint pos = 0;
    size_t covered;

    h_tcp_header(hdr);
    memcpy(p1, hdr, H_HDRLEN);
    h_pattern(p1 + H_HDRLEN, 500, 13);
    memcpy(p2, hdr, H_HDRLEN);
    p2[41] = 0x99;
    h_pattern(p2 + H_HDRLEN, 446, 14);
    h_tso_spec(&t2, p2, H_HDRLEN, p2 + H_HDRLEN, 446, 8);
    h_tx_init(h, 8);
    h_txd_ctx(d, 14, 24, 0, 34, 50, 0, 1000, TXD_TSE | TUCMD_IP | TUCMD_TCP,
              H_HDRLEN, 1000);
    h_tx_push(h, d);
    h_txd_data(d, h_put_buf(h, p1, sizeof(p1)), sizeof(p1),
               TXD_TSE | TXD_IFCS | TXD_RS, POPTS_IXSM | POPTS_TXSM, 0);
    h_tx_push(h, d);
    h_txd_ctx(d, 14, 24, 0, 34, 50, 0, 446, TXD_TSE | TUCMD_IP | TUCMD_TCP,
              H_HDRLEN, 8);
    h_tx_push(h, d);
    h_txd_data(d, h_put_buf(h, p2, sizeof(p2)), sizeof(p2),
               TXD_TSE | TXD_IFCS | TXD_EOP | TXD_RS,
               POPTS_IXSM | POPTS_TXSM, 0);
    h_tx_push(h, d);
    h_tx_kick(h);
    g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
    wire = h_sane(h);
    covered = h_check_tso(wire, &pos, &t2);
    g_assert_true(covered == 0 || covered == t2.paylen);
    h_check_all_used(wire, pos);
    g_ptr_array_unref(wire);
    h_check_arena(h);
    h_expect_guest_error(h);
    h_stop(h);
}

/*
 * Invariant 3 (CVE-2017-10235): TSE with MSS = 0xFFFF while looped back
 * (RCTL.LBM), 16 KiB RX buffers with LPE. Every frame on either side is
 * an exact segment; the packet is segmented whole or dropped.
 */
static void test_tso_mss_max_loopback(void)
{
    static const uint32_t modes[] = { E1000_RCTL_LBM_MAC,
                                      E1000_RCTL_LBM_TCVR };
    static const size_t paylens[] = { 16000, 40000 };

    for (unsigned m = 0; m < G_N_ELEMENTS(modes); m++) {
        for (unsigned p = 0; p < G_N_ELEMENTS(paylens); p++) {
            Hostile *h = h_start();
            uint8_t hdr[H_HDRLEN], *pay = g_malloc(paylens[p]);
            GPtrArray *rx, *wire;
            size_t covered;
            guint pos = 0;
            TsoSpec t;

            h_tcp_header(hdr);
            memcpy(hdr, h_mac, 6);
            h_pattern(pay, paylens[p], 40 + p);
            h_tso_spec(&t, hdr, H_HDRLEN, pay, paylens[p], 0xffff);
            h_rx_init(h, 16, 16384, modes[m] | E1000_RCTL_LPE |
                      E1000_RCTL_BSIZE_16K);
            h_tx_init(h, 32);
            h_tso_push(h, &t, TUCMD_IP | TUCMD_TCP, 4096, 0, 0);
            h_tx_kick(h);
            g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
            rx = h_rx_settle(h);
            covered = h_check_tso(rx, &pos, &t);
            g_test_message("RCTL 0x%08x, payload %zu: %u RX frames, %zu "
                           "bytes", modes[m], paylens[p], rx->len, covered);
            h_check_all_used(rx, pos);
            g_assert_true(covered == 0 || covered == t.paylen);
            /* A 40 KiB frame is over the 16 KiB LPE limit (SDM 13.4.22). */
            if (paylens[p] > 16384) {
                g_assert_cmpuint(covered, ==, 0);
            }
            wire = h_sane(h);
            pos = 0;
            covered = h_check_tso(wire, &pos, &t);
            h_check_all_used(wire, pos);
            g_assert_true(covered == 0 || covered == t.paylen);
            g_ptr_array_unref(rx);
            g_ptr_array_unref(wire);
            h_check_arena(h);
            g_free(pay);
            h_stop(h);
        }
    }
}

/*
 * Invariant 5 (CVE-2019-5609): TSO with HDRLEN 255 and HDRLEN 1, with
 * VLAN insertion (CTRL.VME, VLE). Dropped, or exact segments carrying the
 * tag; nothing is written outside the header the guest described.
 */
static void test_tso_hdrlen_vlan(void)
{
    static const struct {
        size_t hdrlen, mss, paylen;
    } cases[] = {
        { 255, 100, 300 }, { 1, 100, 300 }, { 1, 1, 40 }, { 13, 64, 200 },
    };
    Hostile *h = h_start();

    for (unsigned c = 0; c < G_N_ELEMENTS(cases); c++) {
        uint8_t hdr[255], pay[300];
        GPtrArray *wire;
        size_t covered;
        guint pos = 0;
        TsoSpec t;

        h_pattern(hdr, sizeof(hdr), 70);
        h_tcp_header(hdr);
        h_pattern(pay, sizeof(pay), 71 + c);
        h_tso_spec(&t, hdr, cases[c].hdrlen, pay, cases[c].paylen,
                   cases[c].mss);
        t.vlan = true;
        t.vlan_tci = 0x0123;
        h_w(h, E1000_VET, 0x8100);
        h_w(h, E1000_CTRL, h_r(h, E1000_CTRL) | E1000_CTRL_VME);
        h_tx_init(h, 16);
        h_tso_push(h, &t, TUCMD_IP | TUCMD_TCP, 4096, TXD_VLE, t.vlan_tci);
        h_tx_kick(h);
        g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
        wire = h_sane(h);
        covered = h_check_tso(wire, &pos, &t);
        g_test_message("HDRLEN %zu: %u frames, %zu of %zu bytes", t.hdrlen,
                       wire->len, covered, t.paylen);
        h_check_all_used(wire, pos);
        g_assert_true(covered == 0 || covered == t.paylen);
        g_ptr_array_unref(wire);
    }
    h_check_arena(h);
    h_expect_guest_error(h);
    h_stop(h);
}

/* ---- class E: padding and state left over across reset ---- */

/*
 * Invariant E ("device state is fully zeroed at reset"): a TSO context
 * (MSS 8) given before CTRL.RST must not segment a TSE packet sent after
 * it. The packet is dropped or sent as the guest's bytes, unsegmented.
 */
static void test_tso_stale_context(void)
{
    Hostile *h = h_start();
    uint8_t pkt[H_HDRLEN + 100], d[16];
    uint8_t *frames[1] = { pkt };
    GPtrArray *wire;
    bool dropped;

    h_tcp_header(pkt);
    h_pattern(pkt + H_HDRLEN, 100, 120);
    h_tx_init(h, 8);
    h_txd_ctx(d, 14, 24, 0, 34, 50, 0, 100, TXD_TSE | TUCMD_IP | TUCMD_TCP,
              H_HDRLEN, 8);
    h_tx_push(h, d);
    h_tx_kick(h);
    h_reset(h);
    h_tx_init(h, 8);
    h_txd_data(d, h_put_buf(h, pkt, sizeof(pkt)), sizeof(pkt),
               TXD_TSE | TXD_IFCS | TXD_EOP | TXD_RS, 0, 0);
    h_tx_push(h, d);
    h_tx_kick(h);
    g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
    wire = h_sane(h);
    g_assert_cmpuint(wire->len, <=, 1);
    h_check_frames_among(wire, frames, 1, sizeof(pkt));
    dropped = wire->len == 0;
    g_ptr_array_unref(wire);
    h_check_arena(h);
    if (dropped) {
        h_expect_guest_error(h);
    }
    h_stop(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/e1000/hostile/tso/control", test_tso_control);
    g_test_add_func("/e1000/hostile/tso/mss-zero", test_tso_mss_zero);
    g_test_add_func("/e1000/hostile/tso/hdrlen-mss-overflow",
                    test_tso_hdrlen_mss_overflow);
    g_test_add_func("/e1000/hostile/tso/zelenyuk", test_tso_zelenyuk);
    g_test_add_func("/e1000/hostile/tso/zelenyuk-loopback",
                    test_tso_zelenyuk_lbm);
    g_test_add_func("/e1000/hostile/tso/ctx-mid-packet",
                    test_tso_ctx_mid_packet);
    g_test_add_func("/e1000/hostile/tso/mss-max-loopback",
                    test_tso_mss_max_loopback);
    g_test_add_func("/e1000/hostile/tso/hdrlen-vlan", test_tso_hdrlen_vlan);
    g_test_add_func("/e1000/hostile/tso/stale-context",
                    test_tso_stale_context);
    return g_test_run();
}
