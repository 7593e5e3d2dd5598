/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rtl8139 in process (see rtl8139-test.h): C+ mode as Linux 8139cp drives
 * it: descriptor rings, checksum offload, large send, VLAN, RX checksum
 * status, back-pressure, tally counters and interrupt mitigation.
 */
#include "rtl8139-test.h"

/* ---- C+ mode TX ---- */

static void test_cp_init(Fixture *f, gconstpointer data)
{
    cp_init(f, CP_DEFAULT_CMD);
    g_assert_cmphex(R16(RTL_CPCMD), ==, CP_DEFAULT_CMD);
    g_assert_cmphex(R32(RTL_RDSAR), ==, CP_RX_RING);
    g_assert_cmphex(R32(RTL_TNPDS), ==, CP_TX_RING);
    g_assert_cmphex(R8(RTL_CR) & (RTL_CR_RE | RTL_CR_TE), ==,
                    RTL_CR_RE | RTL_CR_TE);
    g_assert_cmphex(R8(RTL_CONFIG1) & 0x21, ==, 0x21);
    g_assert_cmphex(R8(RTL_ETTHR), ==, 0x06);
    /* DTCCR replaces TSD0-1 in C+ mode. */
    g_assert_cmphex(R32(RTL_DTCCR), ==, 0);
}

static void test_cp_tx_basic(Fixture *f, gconstpointer data)
{
    uint8_t frame[1600];
    unsigned idx;

    cp_init(f, CP_DEFAULT_CMD);
    for (unsigned i = 0; i < 70; i++) {
        size_t len = build_frame(frame, peer_mac, 60 + i * 20, i);

        idx = cp_tx(f, frame, len, 0, 0);
        g_assert_cmpuint(f->net.sent->len, ==, i + 1);
        g_assert_cmpmem(sent(f, i)->data, sent(f, i)->len, frame, len);
        g_assert_cmphex(cp_txd(f, idx), ==,
                        (idx == 63 ? RTL_DESC_EOR : 0) | RTL_DESC_FS |
                            RTL_DESC_LS | len);
        g_assert_cmphex(R16(RTL_ISR) & (RTL_INT_TOK | RTL_INT_TDU), ==,
                        RTL_INT_TOK | RTL_INT_TDU);
        W16(RTL_ISR, 0xffff);
    }

    /* A packet in three fragments; the FS descriptor is handed over last
     * (8139cp cp_start_xmit). */
    build_frame(frame, peer_mac, 1000, 99);
    memcpy(f->ram + CP_TX_BUF, frame, 100);
    memcpy(f->ram + CP_TX_BUF + 0x1000, frame + 100, 400);
    memcpy(f->ram + CP_TX_BUF + 0x2000, frame + 500, 500);
    idx = f->cp_tx;
    f->cp_tx = (idx + 1) % 64;
    cp_tx_desc(f, CP_TX_BUF + 0x1000, 400, 0, 0);
    cp_tx_desc(f, CP_TX_BUF + 0x2000, 500, RTL_DESC_LS, 0);
    W8(RTL_TPPOLL, RTL_TPPOLL_NPQ);
    g_assert_cmpuint(f->net.sent->len, ==, 70);
    ram_w32(f, CP_TX_RING + idx * 16 + 8, CP_TX_BUF);
    ram_w32(f, CP_TX_RING + idx * 16, RTL_DESC_OWN | RTL_DESC_FS | 100);
    W8(RTL_TPPOLL, RTL_TPPOLL_NPQ);
    g_assert_cmpuint(f->net.sent->len, ==, 71);
    g_assert_cmpmem(sent(f, 70)->data, sent(f, 70)->len, frame, 1000);
    for (unsigned k = 0; k < 3; k++) {
        g_assert_false(cp_txd(f, (idx + k) % 64) & RTL_DESC_OWN);
    }
}

static void test_cp_tx_csum(Fixture *f, gconstpointer data)
{
    uint8_t frame[1600];
    size_t len;
    const uint8_t *ip;

    cp_init(f, CP_DEFAULT_CMD);
    len = build_ip(frame, 6, 777, 0x18, false);
    cp_tx(f, frame, len, RTL_TXD_IPCS | RTL_TXD_TCPCS, 0);
    g_assert_cmpuint(sent(f, 0)->len, ==, len);
    ip = sent(f, 0)->data + 14;
    g_assert_true(t_ip_ok(ip));
    g_assert_true(t_l4_ok(ip));
    g_assert_cmpmem(ip + 40, 777, frame + 54, 777);

    len = build_ip(frame, 17, 333, 0, false);
    cp_tx(f, frame, len, RTL_TXD_IPCS | RTL_TXD_UDPCS, 0);
    ip = sent(f, 1)->data + 14;
    g_assert_true(t_ip_ok(ip));
    g_assert_true(t_l4_ok(ip));

    /* Without offload flags the frame leaves untouched. */
    len = build_ip(frame, 6, 100, 0x10, false);
    cp_tx(f, frame, len, 0, 0);
    g_assert_cmpmem(sent(f, 2)->data, sent(f, 2)->len, frame, len);
}

static void check_segments(Fixture *f, guint first, const uint8_t *frame,
                           size_t pay, size_t mss, uint8_t flags, bool tagged)
{
    size_t nseg = (pay + mss - 1) / mss;
    size_t off = 0;

    g_assert_cmpuint(f->net.sent->len, ==, first + nseg);
    for (size_t k = 0; k < nseg; k++) {
        GByteArray *s = sent(f, first + k);
        size_t chunk = MIN(mss, pay - off);
        const uint8_t *p = s->data;
        const uint8_t *ip, *tcp;
        uint8_t exp_fl = flags;

        if (tagged) {
            g_assert_cmphex(be16(p + 12), ==, 0x8100);
            g_assert_cmphex(be16(p + 14), ==, 0x0123);
            g_assert_cmpuint(s->len, ==, 4 + 54 + chunk);
            g_assert_cmpmem(p, 12, frame, 12);
            p += 4;
        } else {
            g_assert_cmpuint(s->len, ==, 54 + chunk);
        }
        ip = p + 14;
        tcp = ip + 20;
        g_assert_cmpuint(be16(ip + 2), ==, 40 + chunk);
        g_assert_cmphex(be16(ip + 4), ==, 0x1000 + k);
        g_assert_true(t_ip_ok(ip));
        g_assert_true(t_l4_ok(ip));
        g_assert_cmphex(be32(tcp + 4), ==, 0x01000000 + off);
        if (k + 1 < nseg) {
            exp_fl &= ~0x09; /* FIN, PSH only on the last */
        }
        if (k > 0) {
            exp_fl &= ~0x80; /* CWR only on the first */
        }
        g_assert_cmphex(tcp[13], ==, exp_fl);
        g_assert_cmpmem(tcp + 20, chunk, frame + 54 + off, chunk);
        off += chunk;
    }
}

static void test_cp_tx_largesend(Fixture *f, gconstpointer data)
{
    uint8_t *frame = g_malloc0(70000);
    size_t len;

    cp_init(f, CP_DEFAULT_CMD);
    len = build_ip(frame, 6, 3000, 0x99, false); /* CWR|PSH|ACK|FIN */
    cp_tx(f, frame, len, RTL_TXD_LGSEN | 1000u << RTL_TXD_MSS_SHIFT, 0);
    check_segments(f, 0, frame, 3000, 1000, 0x99, false);

    len = build_ip(frame, 6, 2500, 0x18, false);
    cp_tx(f, frame, len, RTL_TXD_LGSEN | 1460u << RTL_TXD_MSS_SHIFT, 0);
    check_segments(f, 3, frame, 2500, 1460, 0x18, false);

    /* Most of 64 KiB in one descriptor, MSS 1448. */
    len = build_ip(frame, 6, 65000, 0x10, false);
    memcpy(f->ram + 0x600000, frame, len);
    cp_tx_desc(f, 0x600000, (uint32_t)len,
               RTL_DESC_FS | RTL_DESC_LS | RTL_TXD_LGSEN |
                   1448u << RTL_TXD_MSS_SHIFT,
               0);
    W8(RTL_TPPOLL, RTL_TPPOLL_NPQ);
    check_segments(f, 5, frame, 65000, 1448, 0x10, false);
    g_free(frame);
}

/* A backend that segments gets the packet whole, with a GSO request. */
static void test_cp_tx_largesend_offload(Fixture *f, gconstpointer data)
{
    uint8_t frame[4000];
    size_t len;
    unsigned idx;
    NetOffload *off = &f->net.last_off;

    cp_init(f, CP_DEFAULT_CMD);
    len = build_ip(frame, 6, 3000, 0x19, false);
    /* Bytes after the IP datagram are not part of the packet. */
    memset(frame + len, 0xee, 40);
    idx = cp_tx(f, frame, len + 40, RTL_TXD_LGSEN | 1000u << RTL_TXD_MSS_SHIFT,
                RTL_TXD_TAGC | 0x2301);
    g_assert_cmpuint(f->net.offloads, ==, 1);
    g_assert_cmpuint(f->net.sent->len, ==, 1);
    g_assert_cmpuint(sent(f, 0)->len, ==, len + 4);
    g_assert_cmphex(be32(sent(f, 0)->data + 12), ==, 0x81000123);
    g_assert_cmpmem(sent(f, 0)->data + 16, len - 12, frame + 12, len - 12);
    g_assert_true(off->csum);
    g_assert_cmpuint(off->gso_type, ==, NET_GSO_TCPV4);
    g_assert_cmpuint(off->gso_size, ==, 1000);
    g_assert_cmpuint(off->hdr_len, ==, 4 + 54);
    g_assert_cmpuint(off->csum_start, ==, 4 + 34);
    g_assert_cmpuint(off->csum_offset, ==, 16);
    g_assert_false(cp_txd(f, idx) & RTL_DESC_OWN);
    /* Loopback never gets unfinished frames: software segmentation. */
    W32(RTL_TCR, R32(RTL_TCR) | RTL_TCR_LBK_LOOPBACK);
    cp_tx(f, frame, len, RTL_TXD_LGSEN | 1000u << RTL_TXD_MSS_SHIFT, 0);
    g_assert_cmpuint(f->net.offloads, ==, 1);
    g_assert_cmpuint(f->net.sent->len, ==, 1);
    clock_step(f->clock, 0);
    for (unsigned i = 0; i < 3; i++) {
        const uint8_t *ip = f->ram + CP_RX_BUF + i * 2048 + 14;

        g_assert_false(cp_rxd(f, i, 0) & RTL_DESC_OWN);
        g_assert_true(t_ip_ok(ip));
        g_assert_true(t_l4_ok(ip));
        g_assert_cmpuint(be16(ip + 2), ==, 1040);
    }
}

/* BUSY mid-way: the rest follows on tx_ready, nothing twice. */
static void test_cp_tx_largesend_busy(Fixture *f, gconstpointer data)
{
    uint8_t frame[4000];
    size_t len;
    unsigned idx;

    cp_init(f, CP_DEFAULT_CMD);
    len = build_ip(frame, 6, 3000, 0x19, false);
    f->net.ok_budget = 1;
    idx = cp_tx(f, frame, len, RTL_TXD_LGSEN | 1000u << RTL_TXD_MSS_SHIFT, 0);
    g_assert_cmpuint(f->net.sent->len, ==, 1);
    g_assert_true(cp_txd(f, idx) & RTL_DESC_OWN);
    f->net.ok_budget = 1;
    net_backend_tx_ready(&f->net.be);
    g_assert_cmpuint(f->net.sent->len, ==, 2);
    g_assert_true(cp_txd(f, idx) & RTL_DESC_OWN);
    /* Another TPPoll meanwhile must not restart the packet. */
    f->net.ok_budget = 0;
    W8(RTL_TPPOLL, RTL_TPPOLL_NPQ);
    f->net.ok_budget = -1;
    net_backend_tx_ready(&f->net.be);
    check_segments(f, 0, frame, 3000, 1000, 0x19, false);
    g_assert_false(cp_txd(f, idx) & RTL_DESC_OWN);
}

static void test_cp_tx_vlan(Fixture *f, gconstpointer data)
{
    uint8_t frame[4000];
    size_t len;

    cp_init(f, CP_DEFAULT_CMD);
    /* TCI 0x0123, byte-swapped in dw1 as 8139cp does. */
    len = build_frame(frame, peer_mac, 100, 1);
    cp_tx(f, frame, len, 0, RTL_TXD_TAGC | 0x2301);
    g_assert_cmpuint(sent(f, 0)->len, ==, 104);
    g_assert_cmpmem(sent(f, 0)->data, 12, frame, 12);
    g_assert_cmphex(be32(sent(f, 0)->data + 12), ==, 0x81000123);
    g_assert_cmpmem(sent(f, 0)->data + 16, 88, frame + 12, 88);

    len = build_ip(frame, 6, 2000, 0x18, false);
    cp_tx(f, frame, len, RTL_TXD_LGSEN | 1000u << RTL_TXD_MSS_SHIFT,
          RTL_TXD_TAGC | 0x2301);
    check_segments(f, 1, frame, 2000, 1000, 0x18, true);
}

/*
 * CVE-2015-5165 class: large send with lengths that disagree with the
 * frame. Nothing beyond the guest's frame may reach the wire: these are
 * all refused (TES) and the ring moves on.
 */
static void test_cp_tx_hostile_largesend(Fixture *f, gconstpointer data)
{
    uint8_t frame[1600];
    uint32_t lso = RTL_TXD_LGSEN | 500u << RTL_TXD_MSS_SHIFT;
    uint64_t errs = log_guest_error_count(LOG_RTL8139);
    size_t len;
    unsigned idx;

    cp_init(f, CP_DEFAULT_CMD);
    for (unsigned c = 0; c < 7; c++) {
        len = build_ip(frame, 6, 1000, 0x18, false);
        switch (c) {
        case 0: /* total length smaller than the IP header */
            put16(frame + 16, 10);
            break;
        case 1: /* total length larger than the frame */
            put16(frame + 16, 1200);
            break;
        case 2: /* TCP data offset 0 */
            frame[14 + 20 + 12] = 0x00;
            break;
        case 3: /* TCP data offset 15 beyond the datagram */
            put16(frame + 16, 20 + 40);
            frame[14 + 20 + 12] = 0xf0;
            break;
        case 4: /* MSS 0 */
            lso = RTL_TXD_LGSEN;
            break;
        case 5: /* IHL 15: header runs past a short frame */
            frame[14] = 0x4f;
            len = 14 + 50;
            lso = RTL_TXD_LGSEN | 500u << RTL_TXD_MSS_SHIFT;
            break;
        default: /* not TCP */
            frame[14] = 0x45;
            frame[14 + 9] = 17;
            break;
        }
        idx = cp_tx(f, frame, len, lso, 0);
        g_assert_cmpuint(f->net.sent->len, ==, 0);
        g_assert_cmphex(cp_txd(f, idx) & (RTL_DESC_OWN | RTL_TXD_TES), ==,
                        RTL_TXD_TES);
        g_assert_true(R16(RTL_ISR) & RTL_INT_TER);
        W16(RTL_ISR, 0xffff);
    }
    g_assert_cmpuint(log_guest_error_count(LOG_RTL8139), >=, errs + 7);
    /* A valid packet right after goes out. */
    len = build_ip(frame, 6, 1000, 0x18, false);
    cp_tx(f, frame, len, RTL_TXD_LGSEN | 500u << RTL_TXD_MSS_SHIFT, 0);
    check_segments(f, 0, frame, 1000, 500, 0x18, false);
}

/* CVE-2016-8910: every descriptor owned, none LS: one bounded walk. */
static void test_cp_tx_ring_all_owned(Fixture *f, gconstpointer data)
{
    uint8_t frame[128];

    cp_init(f, CP_DEFAULT_CMD);
    build_frame(frame, peer_mac, 100, 1);
    memcpy(f->ram + CP_TX_BUF, frame, 100);
    for (unsigned i = 0; i < 64; i++) {
        cp_tx_desc(f, CP_TX_BUF, 100, i == 0 ? RTL_DESC_FS : 0, 0);
    }
    W8(RTL_TPPOLL, RTL_TPPOLL_NPQ);
    g_assert_cmpuint(f->net.sent->len, ==, 0);
    for (unsigned i = 0; i < 64; i++) {
        g_assert_false(cp_txd(f, i) & RTL_DESC_OWN);
    }
    g_assert_true(R16(RTL_ISR) & RTL_INT_TER);

    /* 64 complete packets in one TPPoll: all sent, nothing more. */
    for (unsigned i = 0; i < 64; i++) {
        cp_tx_desc(f, CP_TX_BUF, 100, RTL_DESC_FS | RTL_DESC_LS, 0);
    }
    W8(RTL_TPPOLL, RTL_TPPOLL_NPQ);
    g_assert_cmpuint(f->net.sent->len, ==, 64);

    /* The same without EOR: the walk wraps at 64 descriptors. */
    for (unsigned i = 0; i < 64; i++) {
        ram_w32(f, CP_TX_RING + i * 16, RTL_DESC_OWN | 100);
    }
    W8(RTL_TPPOLL, RTL_TPPOLL_NPQ);
    g_assert_cmpuint(f->net.sent->len, ==, 64);
    for (unsigned i = 0; i < 64; i++) {
        g_assert_false(cp_txd(f, i) & RTL_DESC_OWN);
    }
}

static void test_cp_tx_high_priority(Fixture *f, gconstpointer data)
{
    uint8_t frame[128];

    cp_init(f, CP_DEFAULT_CMD);
    W32(RTL_THPDS, CP_HI_RING);
    build_frame(frame, peer_mac, 100, 42);
    memcpy(f->ram + CP_TX_BUF, frame, 100);
    ram_w32(f, CP_HI_RING + 8, CP_TX_BUF);
    ram_w32(f, CP_HI_RING,
            RTL_DESC_OWN | RTL_DESC_EOR | RTL_DESC_FS | RTL_DESC_LS | 100);
    W8(RTL_TPPOLL, RTL_TPPOLL_HPQ);
    g_assert_cmpuint(f->net.sent->len, ==, 1);
    g_assert_cmpmem(sent(f, 0)->data, 100, frame, 100);
    g_assert_false(ram_r32(f, CP_HI_RING) & RTL_DESC_OWN);
    /* Software interrupt. */
    W8(RTL_TPPOLL, RTL_TPPOLL_FSWINT);
    g_assert_true(R16(RTL_ISR) & RTL_INT_SWINT);
}

/* ---- C+ mode RX ---- */

static void test_cp_rx_basic(Fixture *f, gconstpointer data)
{
    uint8_t frame[1600];
    size_t len;

    cp_init(f, CP_DEFAULT_CMD & ~RTL_CPCMD_RXCHKSUM);
    for (unsigned i = 0; i < 150; i++) {
        unsigned idx = i % 64;
        uint32_t dw0;

        len = build_frame(frame, i % 3 ? guest_mac : bcast, 60 + i * 9, i);
        g_assert_true(rx_frame(f, frame, len));
        dw0 = cp_rxd(f, idx, 0);
        g_assert_cmphex(dw0 & ~(RTL_RXD_PAM | RTL_RXD_BAR), ==,
                        (idx == 63 ? RTL_DESC_EOR : 0) | RTL_DESC_FS |
                            RTL_DESC_LS | (len + 4));
        g_assert_cmphex(dw0 & (RTL_RXD_PAM | RTL_RXD_BAR), ==,
                        i % 3 ? RTL_RXD_PAM : RTL_RXD_BAR);
        g_assert_cmphex(cp_rxd(f, idx, 1), ==, 0);
        g_assert_cmpmem(f->ram + CP_RX_BUF + idx * 2048, len, frame, len);
        g_assert_cmphex(le32(f->ram + CP_RX_BUF + idx * 2048 + len), ==,
                        t_crc32(frame, len));
        g_assert_true(R16(RTL_ISR) & RTL_INT_ROK);
        /* 8139cp cp_rx_poll: ack, give the descriptor back. */
        W16(RTL_ISR, 0x53);
        ram_w32(f, CP_RX_RING + idx * 16,
                RTL_DESC_OWN | (idx == 63 ? RTL_DESC_EOR : 0) | CP_RX_BUF_SZ);
    }
    /* Short frames are padded to 60 bytes with zeros. */
    memset(f->ram + CP_RX_BUF + (150 % 64) * 2048, 0xee, 128);
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 42, 1)));
    g_assert_cmphex(cp_rxd(f, 150 % 64, 0) & RTL_RXD_LEN_MASK, ==, 64);
    for (unsigned i = 42; i < 60; i++) {
        g_assert_cmphex(f->ram[CP_RX_BUF + (150 % 64) * 2048 + i], ==, 0);
    }
}

static uint32_t cp_rx_status(Fixture *f, const uint8_t *frame, size_t len)
{
    unsigned idx = f->cp_rx++ % 64;

    ram_w32(f, CP_RX_RING + idx * 16,
            RTL_DESC_OWN | (idx == 63 ? RTL_DESC_EOR : 0) | CP_RX_BUF_SZ);
    g_assert_true(rx_frame(f, frame, len));
    g_assert_false(cp_rxd(f, idx, 0) & RTL_DESC_OWN);
    return cp_rxd(f, idx, 0) &
           (3u << 16 | RTL_RXD_IPF | RTL_RXD_UDPF | RTL_RXD_TCPF);
}

static void test_cp_rx_csum(Fixture *f, gconstpointer data)
{
    uint8_t frame[1600];
    size_t len;

    cp_init(f, CP_DEFAULT_CMD);
    len = build_ip(frame, 6, 500, 0x18, true);
    g_assert_cmphex(cp_rx_status(f, frame, len), ==, 1u << 16);
    frame[60] ^= 0x40;
    g_assert_cmphex(cp_rx_status(f, frame, len), ==, 1u << 16 | RTL_RXD_TCPF);
    len = build_ip(frame, 17, 500, 0, true);
    g_assert_cmphex(cp_rx_status(f, frame, len), ==, 2u << 16);
    frame[60] ^= 0x40;
    g_assert_cmphex(cp_rx_status(f, frame, len), ==, 2u << 16 | RTL_RXD_UDPF);
    len = build_ip(frame, 6, 100, 0x18, true);
    frame[14 + 8] = 1; /* TTL changed, IP checksum now wrong */
    g_assert_cmphex(cp_rx_status(f, frame, len) & RTL_RXD_IPF, ==, RTL_RXD_IPF);
    /* A fragment is IP, not a verified TCP. */
    len = build_ip(frame, 6, 100, 0x18, true);
    put16(frame + 14 + 6, 0x2000);
    put16(frame + 14 + 10, 0);
    put16(frame + 14 + 10, (uint16_t)~t_fold(t_sum(0, frame + 14, 20)));
    g_assert_cmphex(cp_rx_status(f, frame, len), ==, 3u << 16);
    len = build_frame(frame, guest_mac, 100, 1);
    g_assert_cmphex(cp_rx_status(f, frame, len), ==, 0);
    /* RxChkSum off: no status. */
    W16(RTL_CPCMD, CP_DEFAULT_CMD & ~RTL_CPCMD_RXCHKSUM);
    len = build_ip(frame, 6, 500, 0x18, true);
    g_assert_cmphex(cp_rx_status(f, frame, len), ==, 0);
}

/* `frame` with an 802.1Q tag `tci` after the addresses, into `out`. */
static void tag_frame(uint8_t *out, const uint8_t *frame, size_t len,
                      uint16_t tci)
{
    memcpy(out, frame, 12);
    put16(out + 12, 0x8100);
    put16(out + 14, tci);
    memcpy(out + 16, frame + 12, len - 12);
}

static void test_cp_rx_vlan(Fixture *f, gconstpointer data)
{
    uint8_t frame[256], tagged[256];
    size_t len = build_frame(frame, guest_mac, 100, 5);

    tag_frame(tagged, frame, len, 0x0123);
    cp_init(f, CP_DEFAULT_CMD | RTL_CPCMD_RXVLAN);
    g_assert_true(rx_frame(f, tagged, len + 4));
    g_assert_cmphex(cp_rxd(f, 0, 0) & RTL_RXD_LEN_MASK, ==, len + 4);
    g_assert_cmphex(cp_rxd(f, 0, 1), ==, RTL_RXD_TAVA | 0x2301);
    g_assert_cmpmem(f->ram + CP_RX_BUF, len, frame, len);
    g_assert_true(rx_frame(f, frame, len));
    g_assert_cmphex(cp_rxd(f, 1, 1), ==, 0);
    /* Without RxVLAN the tag stays in the frame. */
    W16(RTL_CPCMD, CP_DEFAULT_CMD);
    g_assert_true(rx_frame(f, tagged, len + 4));
    g_assert_cmphex(cp_rxd(f, 2, 1), ==, 0);
    g_assert_cmpmem(f->ram + CP_RX_BUF + 2 * 2048, len + 4, tagged, len + 4);
}

/* No free descriptor is back-pressure, not a drop (QEMU 7.2 drops). */
static void test_cp_rx_backpressure(Fixture *f, gconstpointer data)
{
    uint8_t frame[256];
    unsigned n = 0;

    cp_init(f, CP_DEFAULT_CMD);
    cp_rx_fill(f, 4, CP_RX_BUF_SZ);
    while (rx_frame(f, frame, build_frame(frame, guest_mac, 100, n))) {
        n++;
        g_assert_cmpuint(n, <, 10);
    }
    g_assert_cmpuint(n, ==, 4);
    g_assert_false(f->net.rx_enabled);
    g_assert_true(R16(RTL_ISR) & RTL_INT_RXOVW);
    /* RDU once per episode: the periodic re-reads do not raise it again. */
    W16(RTL_ISR, RTL_INT_RXOVW);
    clock_step(f->clock, 1000000);
    g_assert_false(R16(RTL_ISR) & RTL_INT_RXOVW);
    g_assert_false(f->net.rx_enabled);
    /* The driver returns a descriptor with a plain memory write. */
    ram_w32(f, CP_RX_RING, RTL_DESC_OWN | CP_RX_BUF_SZ);
    clock_step(f->clock, 1000000);
    g_assert_true(f->net.rx_enabled);
    g_assert_false(cp_rxd(f, 0, 0) & RTL_DESC_OWN);
    g_assert_cmphex(be32(f->ram + CP_RX_BUF + 14), ==, 4);

    /* Refused again; an ISR write (8139cp's poll loop) retries at once. */
    g_assert_false(rx_frame(f, frame, build_frame(frame, guest_mac, 100, 5)));
    ram_w32(f, CP_RX_RING + 16, RTL_DESC_OWN | CP_RX_BUF_SZ);
    W16(RTL_ISR, 0x53);
    g_assert_true(f->net.rx_enabled);
    g_assert_cmphex(be32(f->ram + CP_RX_BUF + 2048 + 14), ==, 5);
    g_assert_cmpuint(R32(RTL_MPC), ==, 0);
    g_assert_cmpuint(f->net.be.stats.rx_drops, ==, 0);

    /* C+ RX enabled before the ring is set (8139cp order): held. */
    W32(RTL_RDSAR, 0);
    ram_w32(f, CP_RX_RING + 32, RTL_DESC_OWN | CP_RX_BUF_SZ);
    g_assert_false(rx_frame(f, frame, build_frame(frame, guest_mac, 100, 6)));
    W32(RTL_RDSAR, CP_RX_RING);
    g_assert_true(f->net.rx_enabled);
}

/* A frame larger than one buffer spreads over several, FS to LS. */
static void test_cp_rx_scatter(Fixture *f, gconstpointer data)
{
    uint8_t frame[1600];
    size_t len = build_frame(frame, guest_mac, 1000, 3);
    uint8_t got[1100];

    cp_init(f, CP_DEFAULT_CMD);
    cp_rx_fill(f, 8, 256);
    g_assert_true(rx_frame(f, frame, len));
    for (unsigned k = 0; k < 4; k++) {
        uint32_t dw0 = cp_rxd(f, k, 0);

        g_assert_false(dw0 & RTL_DESC_OWN);
        g_assert_cmphex(dw0 & RTL_DESC_FS, ==, k == 0 ? RTL_DESC_FS : 0);
        g_assert_cmphex(dw0 & RTL_DESC_LS, ==, k == 3 ? RTL_DESC_LS : 0);
        g_assert_cmpuint(dw0 & RTL_RXD_LEN_MASK, ==, k == 3 ? 1004 : 256);
        memcpy(got + k * 256, f->ram + CP_RX_BUF + k * 2048,
               k == 3 ? 1004 - 768 : 256);
    }
    g_assert_true(cp_rxd(f, 4, 0) & RTL_DESC_OWN);
    g_assert_cmpmem(got, len, frame, len);
    g_assert_cmphex(le32(got + len), ==, t_crc32(frame, len));

    /* Larger than all the buffers of the ring together: dropped. */
    cp_rx_fill(f, 2, 64);
    W8(RTL_CR, RTL_CR_TE);
    W8(RTL_CR, RTL_CR_TE | RTL_CR_RE);
    g_assert_true(rx_frame(f, frame, len));
    g_assert_true(cp_rxd(f, 0, 0) & RTL_DESC_OWN);
    g_assert_cmpuint(R32(RTL_MPC), ==, 1);
}

/*
 * 8139cp hands a descriptor back as soon as it sees OWN clear, while the
 * NIC may still be writing: every write-back stores OWN's byte last and
 * exactly once (a repeated store would undo the driver's OWN), and a
 * scattered frame's FS descriptor goes back after the others.
 */
static void test_cp_rx_writeback_order(Fixture *f, gconstpointer data)
{
    static const size_t chunk[4] = {256, 256, 604 - 512, 64};
    uint8_t frame[1600];
    int idx[4];

    cp_init(f, CP_DEFAULT_CMD);
    cp_rx_fill(f, 8, 256);
    f->rec.on = true;
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 600, 5)));
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 60, 6)));
    f->rec.on = false;
    for (unsigned k = 0; k < 4; k++) {
        idx[k] = check_own_last(&f->rec, CP_RX_RING + k * 16,
                                CP_RX_BUF + k * 2048, chunk[k]);
        g_assert_cmpuint(cp_rxd(f, k, 0) & RTL_RXD_LEN_MASK, ==,
                         k == 2 ? 604 : chunk[k]);
    }
    g_assert_cmpint(idx[2], <, idx[1]);
    g_assert_cmpint(idx[1], <, idx[0]);
    g_assert_cmpint(idx[0], <, idx[3]);
    g_assert_true(cp_rxd(f, 4, 0) & RTL_DESC_OWN);
}

/*
 * RxMaxSize (rtl8139-regs.c): never reads back (iPXE's 8169 probe), but a
 * size written bounds the frames received, counted as on the wire: VLAN
 * tag and FCS included, the tag even when RxVLAN strips it. Bits 13:0
 * only, as the RTL8169's RMS; 0 is no limit.
 */
static void test_cp_rx_maxsize(Fixture *f, gconstpointer data)
{
    uint8_t frame[1600], tagged[1600];
    size_t len;

    cp_init(f, CP_DEFAULT_CMD | RTL_CPCMD_RXVLAN);
    W16(RTL_RXMAXSIZE, 504);
    g_assert_cmphex(R16(RTL_RXMAXSIZE), ==, 0);
    g_assert_cmphex(R8(RTL_RXMAXSIZE + 1), ==, 0);
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 501, 1)));
    g_assert_true(cp_rxd(f, 0, 0) & RTL_DESC_OWN);
    g_assert_cmpuint(R32(RTL_MPC), ==, 1);
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 500, 2)));
    g_assert_false(cp_rxd(f, 0, 0) & RTL_DESC_OWN);
    g_assert_cmpuint(cp_rxd(f, 0, 0) & RTL_RXD_LEN_MASK, ==, 504);

    /* 500 bytes with a tag are 508 on the wire, though 504 are stored. */
    len = build_frame(frame, guest_mac, 500, 3);
    tag_frame(tagged, frame, len, 0x0007);
    g_assert_true(rx_frame(f, tagged, len + 4));
    g_assert_true(cp_rxd(f, 1, 0) & RTL_DESC_OWN);
    g_assert_cmpuint(R32(RTL_MPC), ==, 2);
    len = build_frame(frame, guest_mac, 496, 4);
    tag_frame(tagged, frame, len, 0x0007);
    g_assert_true(rx_frame(f, tagged, len + 4));
    g_assert_false(cp_rxd(f, 1, 0) & RTL_DESC_OWN);
    g_assert_cmpuint(cp_rxd(f, 1, 0) & RTL_RXD_LEN_MASK, ==, 500);

    /* Bit 14 and up are not part of the size: 0x4000 is no limit. */
    W16(RTL_RXMAXSIZE, 0x4000);
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 1514, 5)));
    g_assert_false(cp_rxd(f, 2, 0) & RTL_DESC_OWN);
    W16(RTL_RXMAXSIZE, 0x4000 | 64);
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 61, 6)));
    g_assert_true(cp_rxd(f, 3, 0) & RTL_DESC_OWN);
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 60, 7)));
    g_assert_false(cp_rxd(f, 3, 0) & RTL_DESC_OWN);

    /* CR.RST lifts the limit (a boot ROM's setting does not linger). */
    W16(RTL_RXMAXSIZE, 504);
    cp_init(f, CP_DEFAULT_CMD);
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 600, 8)));
    g_assert_false(cp_rxd(f, 0, 0) & RTL_DESC_OWN);
}

/* ---- Tally counters, interrupt mitigation ---- */

static void test_cp_tally(Fixture *f, gconstpointer data)
{
    uint8_t frame[256];
    const uint8_t *d = f->ram + CP_STATS;

    cp_init(f, CP_DEFAULT_CMD);
    for (unsigned i = 0; i < 3; i++) {
        cp_tx(f, frame, build_frame(frame, peer_mac, 100, i), 0, 0);
    }
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 100, 0)));
    g_assert_true(rx_frame(f, frame, build_frame(frame, bcast, 100, 1)));
    memset(f->ram + CP_STATS, 0xaa, 128);
    /* 8139cp cp_get_ethtool_stats. */
    W32(RTL_DTCCR + 4, 0);
    W32(RTL_DTCCR, CP_STATS | RTL_DTCCR_CMD);
    g_assert_false(R32(RTL_DTCCR) & RTL_DTCCR_CMD);
    W32(RTL_DTCCR, 0);
    g_assert_cmpuint(le64(d + 0), ==, 3);
    g_assert_cmpuint(le64(d + 8), ==, 2);
    g_assert_cmpuint(le64(d + 16), ==, 0);
    g_assert_cmpuint(le32(d + 24), ==, 0);
    g_assert_cmpuint(le64(d + 40), ==, 1);
    g_assert_cmpuint(le64(d + 48), ==, 1);
    for (unsigned i = 56; i < 64; i++) {
        g_assert_cmphex(d[i], ==, 0);
    }
    for (unsigned i = 64; i < 128; i++) {
        g_assert_cmphex(d[i], ==, 0xaa);
    }
    /* Into the NIC's own BAR: refused, SERR. */
    W32(RTL_DTCCR, MMIO_BASE | RTL_DTCCR_CMD);
    g_assert_true(R16(RTL_ISR) & RTL_INT_SERR);
    g_assert_cmphex(mrd(f, RTL_IDR0, 4), ==, le32(guest_mac));
}

/*
 * 8139cp's ethtool -S before the interface was ever up, and after
 * cp_stop_hw (CpCmd = 0, CR = 0): the dump completes (the driver polls
 * DTCCR.Cmd), and C mode TSD0 is untouched.
 */
static void test_cp_tally_down(Fixture *f, gconstpointer data)
{
    const uint8_t *d = f->ram + CP_STATS;

    for (unsigned pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            cp_init(f, CP_DEFAULT_CMD);
            W16(RTL_CPCMD, 0);
            W8(RTL_CR, 0);
        }
        memset(f->ram + CP_STATS, 0xaa, 64);
        W32(RTL_DTCCR + 4, 0);
        W32(RTL_DTCCR, CP_STATS | RTL_DTCCR_CMD);
        g_assert_false(R32(RTL_DTCCR) & RTL_DTCCR_CMD);
        for (unsigned i = 56; i < 64; i++) {
            g_assert_cmphex(d[i], ==, 0);
        }
        W32(RTL_DTCCR, 0);
    }
    g_assert_cmpuint(f->net.be.stats.tx_frames, ==, 0);
}

static void test_cp_mitigate(Fixture *f, gconstpointer data)
{
    uint8_t frame[256];

    cp_init(f, CP_DEFAULT_CMD);
    /* RX: 4 x 2.56 us, or 4 frames (1 x 4). */
    W16(RTL_INTRMITIGATE, 4 << 4 | 1);
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 100, 0)));
    g_assert_true(R16(RTL_ISR) & RTL_INT_ROK);
    g_assert_false(f->level);
    clock_step(f->clock, 10000);
    g_assert_false(f->level);
    clock_step(f->clock, 300);
    g_assert_true(f->level);
    W16(RTL_ISR, 0xffff);
    g_assert_false(f->level);
    for (unsigned i = 1; i < 4; i++) {
        g_assert_true(
            rx_frame(f, frame, build_frame(frame, guest_mac, 100, i)));
        g_assert_false(f->level);
    }
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 100, 4)));
    g_assert_true(f->level);
    /* Other causes are never held back. */
    W16(RTL_ISR, 0xffff);
    W8(RTL_TPPOLL, RTL_TPPOLL_FSWINT);
    W16(RTL_IMR, 0x80ff | RTL_INT_SWINT);
    g_assert_true(f->level);
    /* Zero: no mitigation. */
    W16(RTL_ISR, 0xffff);
    W16(RTL_INTRMITIGATE, 0);
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 100, 5)));
    g_assert_true(f->level);
}

/* No C+ TX through TSD writes, and no TPPoll work while TX is off. */
/* As the RX write-back: OWN's byte last and once, packets in ring order. */
static void test_cp_tx_writeback_order(Fixture *f, gconstpointer data)
{
    uint8_t frame[1600];
    size_t len[3];
    int prev = -1;

    cp_init(f, CP_DEFAULT_CMD);
    for (unsigned i = 0; i < 3; i++) {
        len[i] = build_frame(frame, peer_mac, 100 + 50 * i, i);
        memcpy(f->ram + CP_TX_BUF + i * 0x1000, frame, len[i]);
        cp_tx_desc(f, CP_TX_BUF + i * 0x1000, (uint32_t)len[i],
                   RTL_DESC_FS | RTL_DESC_LS, 0);
    }
    f->rec.on = true;
    W8(RTL_TPPOLL, RTL_TPPOLL_NPQ);
    f->rec.on = false;
    g_assert_cmpuint(f->net.sent->len, ==, 3);
    for (unsigned i = 0; i < 3; i++) {
        int idx = check_own_last(&f->rec, CP_TX_RING + i * 16,
                                 CP_TX_BUF + i * 0x1000, len[i]);

        g_assert_cmpint(idx, >, prev);
        prev = idx;
        g_assert_cmphex(cp_txd(f, i), ==, RTL_DESC_FS | RTL_DESC_LS | len[i]);
    }
}

static void test_cp_tx_disabled(Fixture *f, gconstpointer data)
{
    uint8_t frame[128];
    unsigned idx;

    cp_init(f, CP_DEFAULT_CMD);
    W8(RTL_CR, RTL_CR_RE);
    idx = cp_tx(f, frame, build_frame(frame, peer_mac, 100, 1), 0, 0);
    g_assert_cmpuint(f->net.sent->len, ==, 0);
    g_assert_true(cp_txd(f, idx) & RTL_DESC_OWN);
    W8(RTL_CR, RTL_CR_RE | RTL_CR_TE);
    /* Enabling TX restarts the ring at descriptor 0. */
    W8(RTL_TPPOLL, RTL_TPPOLL_NPQ);
    g_assert_cmpuint(f->net.sent->len, ==, 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    add("/rtl8139/cplus/init", NULL, test_cp_init);
    add("/rtl8139/cplus/tx/basic", NULL, test_cp_tx_basic);
    add("/rtl8139/cplus/tx/csum", NULL, test_cp_tx_csum);
    add("/rtl8139/cplus/tx/largesend", NULL, test_cp_tx_largesend);
    add("/rtl8139/cplus/tx/largesend-busy", NULL, test_cp_tx_largesend_busy);
    add("/rtl8139/cplus/tx/largesend-offload", "o",
        test_cp_tx_largesend_offload);
    add("/rtl8139/cplus/tx/vlan", NULL, test_cp_tx_vlan);
    add("/rtl8139/cplus/tx/hostile-largesend", NULL,
        test_cp_tx_hostile_largesend);
    add("/rtl8139/cplus/tx/ring-all-owned", NULL, test_cp_tx_ring_all_owned);
    add("/rtl8139/cplus/tx/high-priority", NULL, test_cp_tx_high_priority);
    add("/rtl8139/cplus/tx/disabled", NULL, test_cp_tx_disabled);
    add("/rtl8139/cplus/tx/writeback-order", NULL,
        test_cp_tx_writeback_order);
    add("/rtl8139/cplus/rx/basic", NULL, test_cp_rx_basic);
    add("/rtl8139/cplus/rx/csum", NULL, test_cp_rx_csum);
    add("/rtl8139/cplus/rx/vlan", NULL, test_cp_rx_vlan);
    add("/rtl8139/cplus/rx/backpressure", NULL, test_cp_rx_backpressure);
    add("/rtl8139/cplus/rx/scatter", NULL, test_cp_rx_scatter);
    add("/rtl8139/cplus/rx/maxsize", NULL, test_cp_rx_maxsize);
    add("/rtl8139/cplus/rx/writeback-order", NULL,
        test_cp_rx_writeback_order);
    add("/rtl8139/cplus/tally", NULL, test_cp_tally);
    add("/rtl8139/cplus/tally-down", NULL, test_cp_tally_down);
    add("/rtl8139/cplus/mitigate", NULL, test_cp_mitigate);
    return g_test_run();
}
