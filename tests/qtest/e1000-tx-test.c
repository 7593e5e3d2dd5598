/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * e1000 (Intel 82540EM) transmit qtests, from the 8254x Family Software
 * Developer's Manual (SDM) chapter 3.3-3.6 and Linux's e1000 TX paths:
 * legacy descriptors (CSO/CSS, VLAN insertion, PSP padding, RS/DD),
 * ring semantics (TDH/TDT/TDLEN, TCTL.EN, TXDCTL), context + data
 * descriptors (checksum offload, TSO over IPv4 and IPv6), zero-length
 * descriptors, and back-pressure from the wire.
 */
#include <string.h>

#include "libqos/e1000.h"

#define WIRE_TIMEOUT_MS 5000
/* How long "nothing arrives" is watched for. */
#define QUIET_MS 300

static QE1000 *tx_start(unsigned tx_n)
{
    QE1000 *d = qe1000_start(NULL);

    qe1000_init(d, tx_n, 8, 2048);
    return d;
}

static size_t recv_frame(QE1000 *d, uint8_t *buf, size_t cap)
{
    ssize_t n = qe1000_wire_recv(d, buf, cap, WIRE_TIMEOUT_MS);

    if (n < 0) {
        g_error("no frame on the wire within %d ms", WIRE_TIMEOUT_MS);
    }
    return n;
}

static void expect_quiet_wire(QE1000 *d)
{
    uint8_t buf[16384];
    ssize_t n = qe1000_wire_recv(d, buf, sizeof(buf), QUIET_MS);

    if (n >= 0) {
        g_error("unexpected %zd-byte frame on the wire", n);
    }
}

static void expect_bytes(const uint8_t *got, const uint8_t *want, size_t len,
                         const char *what)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (got[i] != want[i]) {
            g_error("%s: byte %zu is 0x%02x, expected 0x%02x", what, i,
                    got[i], want[i]);
        }
    }
}

static void expect_frame(QE1000 *d, const uint8_t *want, size_t len)
{
    uint8_t got[16384];
    size_t n = recv_frame(d, got, sizeof(got));

    g_assert_cmpuint(n, ==, len);
    expect_bytes(got, want, len, "wire frame");
}

static size_t tcp_frame(uint8_t *buf, size_t cap, QE1000L3 l3,
                        size_t payload, QE1000FrameInfo *fi)
{
    QE1000FrameSpec spec;

    qe1000_frame_spec_init(&spec);
    spec.l3 = l3;
    spec.l4 = QE1000_L4_TCP;
    spec.payload_len = payload;
    spec.payload_seed = 0x42;
    return qe1000_build_frame(buf, cap, &spec, fi);
}

/* SDM 3.3.3: one legacy descriptor per frame, sent byte for byte. */
static void test_legacy_basic(void)
{
    QE1000 *d = tx_start(8);
    uint8_t frame[1514];
    QE1000FrameInfo fi;
    size_t len;
    unsigned idx;

    len = tcp_frame(frame, sizeof(frame), QE1000_L3_IPV4, 1000, &fi);
    qe1000_r(d, E1000_ICR);
    idx = qe1000_tx_frame(d, frame, len);
    qe1000_tx_kick(d);
    expect_frame(d, frame, len);
    g_assert_true(qe1000_tx_wait_dd(d, idx, WIRE_TIMEOUT_MS));
    g_assert_cmpuint(qe1000_r(d, E1000_TDH), ==, 1);
    g_assert_cmpuint(qe1000_r(d, E1000_TDT), ==, 1);
    /* SDM 13.4.17: TXDW (RS written back) and TXQE (queue drained). */
    g_assert_cmphex(qe1000_r(d, E1000_ICR) & (E1000_ICR_TXDW |
                                             E1000_ICR_TXQE), ==,
                    E1000_ICR_TXDW | E1000_ICR_TXQE);
    qe1000_stop(d);
}

/*
 * SDM 3.3.3.1/3.3.3.2: with RS the hardware writes DD back into STA (and
 * leaves the rest of the descriptor alone); without RS it reports nothing.
 */
static void test_legacy_rs_dd(void)
{
    QE1000 *d = tx_start(8);
    uint8_t frame[200];
    QE1000FrameSpec spec;
    QE1000TxDesc t;
    uint64_t gpa;
    size_t len;

    qe1000_frame_spec_init(&spec);
    spec.payload_len = 100;
    len = qe1000_build_frame(frame, sizeof(frame), &spec, NULL);
    gpa = qe1000_copy_to_guest(d, frame, len);
    qe1000_tx_legacy(d, gpa, len, E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS,
                     0, 0, 0x1234);
    qe1000_tx_legacy(d, gpa, len, E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS |
                     E1000_TXD_CMD_RS, 0, 0, 0x5678);
    qe1000_tx_kick(d);
    expect_frame(d, frame, len);
    expect_frame(d, frame, len);
    g_assert_true(qe1000_tx_wait_dd(d, 1, WIRE_TIMEOUT_MS));
    g_assert_cmpuint(qe1000_r(d, E1000_TDH), ==, 2);

    qe1000_tx_desc(d, 0, &t);
    g_assert_cmphex(t.status & E1000_TXD_STA_DD, ==, 0);
    qe1000_tx_desc(d, 1, &t);
    g_assert_cmphex(t.status & E1000_TXD_STA_DD, ==, E1000_TXD_STA_DD);
    g_assert_cmphex(t.addr, ==, gpa);
    g_assert_cmpuint(t.length, ==, len);
    g_assert_cmphex(t.cmd, ==, E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS |
                    E1000_TXD_CMD_RS);
    g_assert_cmphex(t.special, ==, 0x5678);
    qe1000_stop(d);
}

/* SDM 3.3.3: a packet spans descriptors up to the one with EOP. */
static void test_legacy_multi_desc(void)
{
    QE1000 *d = tx_start(8);
    uint8_t frame[1514];
    size_t len, cut1 = 7, cut2 = 700;
    unsigned last;

    len = tcp_frame(frame, sizeof(frame), QE1000_L3_IPV4, 1200, NULL);
    qe1000_tx_legacy(d, qe1000_copy_to_guest(d, frame, cut1), cut1,
                     E1000_TXD_CMD_IFCS, 0, 0, 0);
    qe1000_tx_legacy(d, qe1000_copy_to_guest(d, frame + cut1, cut2 - cut1),
                     cut2 - cut1, E1000_TXD_CMD_IFCS, 0, 0, 0);
    last = qe1000_tx_legacy(d, qe1000_copy_to_guest(d, frame + cut2,
                                                    len - cut2),
                            len - cut2, E1000_TXD_CMD_IFCS |
                            E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0, 0, 0);
    qe1000_tx_kick(d);
    expect_frame(d, frame, len);
    g_assert_true(qe1000_tx_wait_dd(d, last, WIRE_TIMEOUT_MS));
    expect_quiet_wire(d);
    qe1000_stop(d);
}

/*
 * SDM 3.3.3 (CSO/CSS): with CMD.IC the one's-complement checksum of the
 * bytes from CSS to the end of the packet (including what software left
 * at CSO) is stored at CSO.
 */
static void test_legacy_cso_css(void)
{
    QE1000 *d = tx_start(8);
    uint8_t frame[1514], want[1514], got[2048];
    QE1000FrameSpec spec;
    QE1000FrameInfo fi;
    uint8_t cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS |
                  E1000_TXD_CMD_IC;
    size_t len, n, half;
    uint16_t c;

    /* TCP over IPv4, checksum field preloaded with the pseudo-header sum. */
    qe1000_frame_spec_init(&spec);
    spec.l3 = QE1000_L3_IPV4;
    spec.l4 = QE1000_L4_TCP;
    spec.payload_len = 333;
    spec.l4_pseudo_only = true;
    len = qe1000_build_frame(frame, sizeof(frame), &spec, &fi);
    qe1000_tx_legacy(d, qe1000_copy_to_guest(d, frame, len), len, cmd,
                     fi.l4_off + 16, fi.l4_off, 0);
    qe1000_tx_kick(d);
    n = recv_frame(d, got, sizeof(got));
    g_assert_cmpuint(n, ==, len);
    g_assert_true(qe1000_l4_csum_ok(got, n, fi.l3_off, fi.l4_off));
    memcpy(frame + fi.l4_off + 16, got + fi.l4_off + 16, 2);
    expect_bytes(got, frame, len, "legacy IC frame");

    /* Arbitrary offsets over a non-IP frame, odd length, seed at CSO. */
    qe1000_frame_spec_init(&spec);
    spec.payload_len = 101;
    len = qe1000_build_frame(frame, sizeof(frame), &spec, NULL);
    frame[30] = 0x12;
    frame[31] = 0x34;
    memcpy(want, frame, len);
    c = ~qe1000_fold(qe1000_sum(0, frame + 20, len - 20));
    want[30] = c >> 8;
    want[31] = c & 0xff;
    qe1000_tx_legacy(d, qe1000_copy_to_guest(d, frame, len), len, cmd,
                     30, 20, 0);
    qe1000_tx_kick(d);
    expect_frame(d, want, len);

    /* The same packet in two descriptors (offsets in every descriptor). */
    half = 40;
    qe1000_tx_legacy(d, qe1000_copy_to_guest(d, frame, half), half,
                     E1000_TXD_CMD_IFCS | E1000_TXD_CMD_IC, 30, 20, 0);
    qe1000_tx_legacy(d, qe1000_copy_to_guest(d, frame + half, len - half),
                     len - half, cmd, 30, 20, 0);
    qe1000_tx_kick(d);
    expect_frame(d, want, len);
    qe1000_stop(d);
}

/*
 * SDM 3.3.3 (VLE, Special) and 13.4.1 (CTRL.VME), 13.4 (VET): the tag
 * (VET, then Special) is inserted after the source address; checksum
 * offsets refer to the untagged packet and the tag is not summed.
 */
static void test_legacy_vlan_vet(void)
{
    QE1000 *d = tx_start(8);
    uint8_t frame[1514], want[1518], got[2048];
    QE1000FrameSpec spec;
    QE1000FrameInfo fi;
    size_t len, n;

    qe1000_w(d, E1000_CTRL, qe1000_r(d, E1000_CTRL) | E1000_CTRL_VME);
    g_assert_cmphex(qe1000_r(d, E1000_VET) & 0xffff, ==, 0x8100);

    qe1000_frame_spec_init(&spec);
    spec.payload_len = 200;
    len = qe1000_build_frame(frame, sizeof(frame), &spec, NULL);
    memcpy(want, frame, 12);
    want[12] = 0x81;
    want[13] = 0x00;
    want[14] = 0xa0;
    want[15] = 0x0f;
    memcpy(want + 16, frame + 12, len - 12);
    qe1000_tx_legacy(d, qe1000_copy_to_guest(d, frame, len), len,
                     E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS |
                     E1000_TXD_CMD_RS | E1000_TXD_CMD_VLE, 0, 0, 0xa00f);
    qe1000_tx_kick(d);
    expect_frame(d, want, len + 4);

    qe1000_w(d, E1000_VET, 0x88a8);
    want[12] = 0x88;
    want[13] = 0xa8;
    qe1000_tx_legacy(d, qe1000_copy_to_guest(d, frame, len), len,
                     E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS |
                     E1000_TXD_CMD_RS | E1000_TXD_CMD_VLE, 0, 0, 0xa00f);
    qe1000_tx_kick(d);
    expect_frame(d, want, len + 4);
    qe1000_w(d, E1000_VET, 0x8100);

    /* Tag plus TCP checksum insertion. */
    qe1000_frame_spec_init(&spec);
    spec.l3 = QE1000_L3_IPV4;
    spec.l4 = QE1000_L4_TCP;
    spec.payload_len = 500;
    spec.l4_pseudo_only = true;
    len = qe1000_build_frame(frame, sizeof(frame), &spec, &fi);
    qe1000_tx_legacy(d, qe1000_copy_to_guest(d, frame, len), len,
                     E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS |
                     E1000_TXD_CMD_RS | E1000_TXD_CMD_VLE | E1000_TXD_CMD_IC,
                     fi.l4_off + 16, fi.l4_off, 0x0123);
    qe1000_tx_kick(d);
    n = recv_frame(d, got, sizeof(got));
    g_assert_cmpuint(n, ==, len + 4);
    g_assert_cmphex(qe1000_be16(got + 12), ==, 0x8100);
    g_assert_cmphex(qe1000_be16(got + 14), ==, 0x0123);
    memmove(got + 12, got + 16, n - 16);
    g_assert_true(qe1000_l4_csum_ok(got, len, fi.l3_off, fi.l4_off));
    qe1000_stop(d);
}

/*
 * SDM 13.4.33 (TCTL.PSP): with PSP a short packet is padded (with zeros)
 * to 64 bytes with CRC, i.e. 60 on this FCS-less wire; without PSP it
 * goes out as given (48 bytes is the minimum software may supply).
 */
static void test_legacy_psp(void)
{
    QE1000 *d = tx_start(8);
    uint8_t buf[64], want[60], got[128];
    uint64_t gpa;
    size_t n;
    uint32_t tctl;

    memset(buf, 0xaa, sizeof(buf));
    memset(buf, 0xff, 6);
    memcpy(buf + 6, "\x02\x00\x00\x00\x00\x01\x88\xb5", 8);
    memset(buf + 14, 0x5c, 34);
    gpa = qe1000_copy_to_guest(d, buf, sizeof(buf));
    memset(want, 0, sizeof(want));
    memcpy(want, buf, 48);

    tctl = qe1000_r(d, E1000_TCTL);
    g_assert_cmphex(tctl & E1000_TCTL_PSP, ==, E1000_TCTL_PSP);
    qe1000_tx_legacy(d, gpa, 48, E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS |
                     E1000_TXD_CMD_RS, 0, 0, 0);
    qe1000_tx_kick(d);
    n = recv_frame(d, got, sizeof(got));
    g_assert_cmpuint(n, ==, 60);
    expect_bytes(got, want, 60, "PSP-padded frame");

    qe1000_w(d, E1000_TCTL, tctl & ~E1000_TCTL_PSP);
    qe1000_tx_legacy(d, gpa, 48, E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS |
                     E1000_TXD_CMD_RS, 0, 0, 0);
    qe1000_tx_kick(d);
    n = recv_frame(d, got, sizeof(got));
    g_assert_cmpuint(n, ==, 48);
    expect_bytes(got, want, 48, "unpadded frame");
    qe1000_stop(d);
}

static void fill_seq_frame(uint8_t *buf, size_t len, uint32_t seq)
{
    size_t i;

    memset(buf, 0xff, 6);
    memcpy(buf + 6, "\x02\x00\x00\x00\x00\x01\x88\xb5", 8);
    buf[14] = seq >> 24;
    buf[15] = seq >> 16;
    buf[16] = seq >> 8;
    buf[17] = seq;
    for (i = 18; i < len; i++) {
        buf[i] = (uint8_t)(seq * 31 + i);
    }
}

/*
 * SDM 3.4: the ring is TDLEN bytes from TDBA; TDH chases TDT and wraps
 * to 0; descriptors past TDLEN are never fetched.
 */
static void test_ring_wrap(void)
{
    QE1000 *d = tx_start(8);
    uint8_t frame[128], got[256];
    uint64_t ring, poison_gpa;
    unsigned i, seq = 0, round;
    size_t n;

    /* A 16-slot area; only the first 8 form the ring. */
    qe1000_w(d, E1000_TCTL, qe1000_r(d, E1000_TCTL) & ~E1000_TCTL_EN);
    ring = qtest_guest_alloc(d->qts, 16 * 16, 128);
    fill_seq_frame(frame, sizeof(frame), 0xdeadbeef);
    poison_gpa = qe1000_copy_to_guest(d, frame, sizeof(frame));
    d->tx_ring = ring;
    d->tx_n = 16;
    d->tx_tail = 8;
    for (i = 8; i < 16; i++) {
        qe1000_tx_legacy(d, poison_gpa, sizeof(frame), E1000_TXD_CMD_EOP |
                         E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS, 0, 0, 0);
    }
    d->tx_n = 8;
    d->tx_tail = 0;
    qe1000_w(d, E1000_TDBAL, (uint32_t)ring);
    qe1000_w(d, E1000_TDBAH, (uint32_t)(ring >> 32));
    qe1000_w(d, E1000_TDLEN, 8 * 16);
    qe1000_w(d, E1000_TDH, 0);
    qe1000_w(d, E1000_TDT, 0);
    qe1000_w(d, E1000_TCTL, qe1000_r(d, E1000_TCTL) | E1000_TCTL_EN);

    /* Batches of 5, 6 and 7 make the tail wrap at different points. */
    for (round = 0; round < 6; round++) {
        unsigned batch = 5 + round % 3, first = seq;

        for (i = 0; i < batch; i++) {
            fill_seq_frame(frame, sizeof(frame), seq++);
            qe1000_tx_frame(d, frame, sizeof(frame));
        }
        qe1000_tx_kick(d);
        for (i = first; i < seq; i++) {
            n = recv_frame(d, got, sizeof(got));
            g_assert_cmpuint(n, ==, sizeof(frame));
            g_assert_cmphex(qe1000_be32(got + 14), ==, i);
        }
        g_assert_true(qe1000_tx_wait_dd(d, (d->tx_tail + 7) % 8,
                                        WIRE_TIMEOUT_MS));
        g_assert_cmpuint(qe1000_r(d, E1000_TDH), ==, d->tx_tail);
    }
    expect_quiet_wire(d);
    qe1000_stop(d);
}

/* SDM 13.4.33: nothing is transmitted while TCTL.EN is 0. */
static void test_tctl_en(void)
{
    QE1000 *d = tx_start(8);
    uint8_t frame[100];
    uint32_t tctl = qe1000_r(d, E1000_TCTL);
    unsigned idx;

    fill_seq_frame(frame, sizeof(frame), 1);
    qe1000_w(d, E1000_TCTL, tctl & ~E1000_TCTL_EN);
    idx = qe1000_tx_frame(d, frame, sizeof(frame));
    qe1000_tx_kick(d);
    expect_quiet_wire(d);
    g_assert_cmpuint(qe1000_r(d, E1000_TDH), ==, 0);
    g_assert_false(qe1000_tx_wait_dd(d, idx, 0));

    qe1000_w(d, E1000_TCTL, tctl);
    expect_frame(d, frame, sizeof(frame));
    g_assert_true(qe1000_tx_wait_dd(d, idx, WIRE_TIMEOUT_MS));
    g_assert_cmpuint(qe1000_r(d, E1000_TDH), ==, 1);
    qe1000_stop(d);
}

/*
 * SDM 13.4 (TXDCTL): PTHRESH 5:0, HTHRESH 13:8, WTHRESH 21:16,
 * GRAN 24, LWTHRESH 31:25 hold what is written; transmission and
 * write-back keep working with them set.
 */
static void test_txdctl(void)
{
    QE1000 *d = tx_start(8);
    uint32_t v = 8u << 25 | 1u << 24 | 1u << 16 | 4u << 8 | 8u;
    uint8_t frame[100];
    unsigned i, idx = 0;

    qe1000_w(d, E1000_TXDCTL, v);
    g_assert_cmphex(qe1000_r(d, E1000_TXDCTL) & 0xff3f3f3f, ==, v);
    for (i = 0; i < 3; i++) {
        fill_seq_frame(frame, sizeof(frame), i);
        idx = qe1000_tx_frame(d, frame, sizeof(frame));
    }
    qe1000_tx_kick(d);
    for (i = 0; i < 3; i++) {
        fill_seq_frame(frame, sizeof(frame), i);
        expect_frame(d, frame, sizeof(frame));
    }
    g_assert_true(qe1000_tx_wait_dd(d, idx, WIRE_TIMEOUT_MS));
    g_assert_cmphex(qe1000_r(d, E1000_TXDCTL) & 0xff3f3f3f, ==, v);
    qe1000_stop(d);
}

/*
 * SDM 3.3.5-3.3.7: a context descriptor sets up IP/TCP/UDP checksum
 * offsets; data descriptors with POPTS.IXSM/TXSM get the checksums.
 */
static void send_ctx_csum(QE1000 *d, const uint8_t *frame, size_t len,
                          const QE1000FrameInfo *fi, bool v4, bool tcp,
                          uint8_t popts, bool with_ctx, size_t split)
{
    uint8_t cmd = E1000_TXD_CMD_IFCS;

    if (with_ctx) {
        qe1000_tx_context(d, fi->l3_off, v4 ? fi->l3_off + 10 : 0,
                          v4 ? fi->l4_off - 1 : 0, fi->l4_off,
                          fi->l4_off + (tcp ? 16 : 6), 0, 0,
                          (tcp ? E1000_TUCMD_TCP : 0) |
                          (v4 ? E1000_TUCMD_IP : 0), 0, 0);
    }
    if (split) {
        qe1000_tx_data(d, qe1000_copy_to_guest(d, frame, split), split, cmd,
                       popts, 0);
        qe1000_tx_data(d, qe1000_copy_to_guest(d, frame + split, len - split),
                       len - split, cmd | E1000_TXD_CMD_EOP |
                       E1000_TXD_CMD_RS, popts, 0);
    } else {
        qe1000_tx_data(d, qe1000_copy_to_guest(d, frame, len), len,
                       cmd | E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, popts, 0);
    }
    qe1000_tx_kick(d);
}

static void check_csum_frame(QE1000 *d, const uint8_t *frame, size_t len,
                             const QE1000FrameInfo *fi, bool v4, bool tcp)
{
    uint8_t got[2048], want[2048];
    size_t n = recv_frame(d, got, sizeof(got));
    size_t csum = fi->l4_off + (tcp ? 16 : 6);

    g_assert_cmpuint(n, ==, len);
    if (v4) {
        g_assert_true(qe1000_ipv4_csum_ok(got, fi->l3_off));
    }
    g_assert_true(qe1000_l4_csum_ok(got, n, fi->l3_off, fi->l4_off));
    memcpy(want, frame, len);
    if (v4) {
        memcpy(want + fi->l3_off + 10, got + fi->l3_off + 10, 2);
    }
    memcpy(want + csum, got + csum, 2);
    expect_bytes(got, want, len, "checksum-offloaded frame");
}

static void test_ctx_ipv4_tcp(void)
{
    QE1000 *d = tx_start(16);
    uint8_t frame[1514];
    QE1000FrameSpec spec;
    QE1000FrameInfo fi;
    size_t len;

    qe1000_frame_spec_init(&spec);
    spec.l3 = QE1000_L3_IPV4;
    spec.l4 = QE1000_L4_TCP;
    spec.payload_len = 1001;
    spec.ip_csum_zero = true;
    spec.l4_pseudo_only = true;
    len = qe1000_build_frame(frame, sizeof(frame), &spec, &fi);

    send_ctx_csum(d, frame, len, &fi, true, true,
                  E1000_POPTS_IXSM | E1000_POPTS_TXSM, true, 0);
    check_csum_frame(d, frame, len, &fi, true, true);
    /* The context persists for later packets (SDM 3.3.6). */
    send_ctx_csum(d, frame, len, &fi, true, true,
                  E1000_POPTS_IXSM | E1000_POPTS_TXSM, false, 0);
    check_csum_frame(d, frame, len, &fi, true, true);
    /* Headers and payload split over data descriptors. */
    send_ctx_csum(d, frame, len, &fi, true, true,
                  E1000_POPTS_IXSM | E1000_POPTS_TXSM, false, fi.l4_off + 3);
    check_csum_frame(d, frame, len, &fi, true, true);
    /* POPTS 0: nothing inserted, the frame goes out as given. */
    send_ctx_csum(d, frame, len, &fi, true, true, 0, false, 0);
    expect_frame(d, frame, len);
    qe1000_stop(d);
}

static void test_ctx_ipv4_udp(void)
{
    QE1000 *d = tx_start(8);
    uint8_t frame[1514];
    QE1000FrameSpec spec;
    QE1000FrameInfo fi;
    size_t len;

    qe1000_frame_spec_init(&spec);
    spec.l3 = QE1000_L3_IPV4;
    spec.l4 = QE1000_L4_UDP;
    spec.payload_len = 777;
    spec.l4_pseudo_only = true;
    len = qe1000_build_frame(frame, sizeof(frame), &spec, &fi);
    send_ctx_csum(d, frame, len, &fi, true, false, E1000_POPTS_TXSM, true, 0);
    check_csum_frame(d, frame, len, &fi, true, false);
    qe1000_stop(d);
}

static void test_ctx_ipv6_tcp(void)
{
    QE1000 *d = tx_start(8);
    uint8_t frame[1514];
    QE1000FrameSpec spec;
    QE1000FrameInfo fi;
    size_t len;

    qe1000_frame_spec_init(&spec);
    spec.l3 = QE1000_L3_IPV6;
    spec.l4 = QE1000_L4_TCP;
    spec.payload_len = 1200;
    spec.l4_pseudo_only = true;
    len = qe1000_build_frame(frame, sizeof(frame), &spec, &fi);
    send_ctx_csum(d, frame, len, &fi, false, true, E1000_POPTS_TXSM, true,
                  0);
    check_csum_frame(d, frame, len, &fi, false, true);
    qe1000_stop(d);
}

static void test_ctx_ipv6_udp(void)
{
    QE1000 *d = tx_start(8);
    uint8_t frame[1514];
    QE1000FrameSpec spec;
    QE1000FrameInfo fi;
    size_t len;

    qe1000_frame_spec_init(&spec);
    spec.l3 = QE1000_L3_IPV6;
    spec.l4 = QE1000_L4_UDP;
    spec.payload_len = 333;
    spec.l4_pseudo_only = true;
    len = qe1000_build_frame(frame, sizeof(frame), &spec, &fi);
    send_ctx_csum(d, frame, len, &fi, false, false, E1000_POPTS_TXSM, true,
                  0);
    check_csum_frame(d, frame, len, &fi, false, false);
    qe1000_stop(d);
}

/* SDM 3.3.7 (DCMD.VLE, Special on the EOP descriptor) with offload. */
static void test_ctx_vlan(void)
{
    QE1000 *d = tx_start(8);
    uint8_t frame[1514], got[2048];
    QE1000FrameSpec spec;
    QE1000FrameInfo fi;
    size_t len, n;

    qe1000_w(d, E1000_CTRL, qe1000_r(d, E1000_CTRL) | E1000_CTRL_VME);
    qe1000_frame_spec_init(&spec);
    spec.l3 = QE1000_L3_IPV4;
    spec.l4 = QE1000_L4_TCP;
    spec.payload_len = 900;
    spec.ip_csum_zero = true;
    spec.l4_pseudo_only = true;
    len = qe1000_build_frame(frame, sizeof(frame), &spec, &fi);
    qe1000_tx_context(d, fi.l3_off, fi.l3_off + 10, fi.l4_off - 1, fi.l4_off,
                      fi.l4_off + 16, 0, 0, E1000_TUCMD_TCP | E1000_TUCMD_IP,
                      0, 0);
    qe1000_tx_data(d, qe1000_copy_to_guest(d, frame, len), len,
                   E1000_TXD_CMD_IFCS | E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS |
                   E1000_TXD_CMD_VLE, E1000_POPTS_IXSM | E1000_POPTS_TXSM,
                   0x6789);
    qe1000_tx_kick(d);
    n = recv_frame(d, got, sizeof(got));
    g_assert_cmpuint(n, ==, len + 4);
    g_assert_cmphex(qe1000_be16(got + 12), ==, 0x8100);
    g_assert_cmphex(qe1000_be16(got + 14), ==, 0x6789);
    memmove(got + 12, got + 16, n - 16);
    g_assert_true(qe1000_ipv4_csum_ok(got, fi.l3_off));
    g_assert_true(qe1000_l4_csum_ok(got, len, fi.l3_off, fi.l4_off));
    qe1000_stop(d);
}

typedef struct TsoCase {
    QE1000L3 l3;
    size_t paylen;
    uint16_t mss;
    uint8_t flags;
    bool vlan;
} TsoCase;

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80

/*
 * SDM 3.5 / 3.5.9: TCP segmentation. Every frame carries the header
 * (HDRLEN bytes) and at most MSS payload bytes. Per frame: IPv4 total
 * length, identification (+1 per frame, wrapping), header checksum; IPv6
 * payload length; TCP sequence advanced by the payload already sent, FIN
 * and PSH cleared on all but the last frame; TCP checksum including the
 * frame's length. The header is in its own descriptor and the payload is
 * split at odd places, as Linux's e1000_tx_map produces from page frags.
 */
static void run_tso(const TsoCase *c, uint8_t **frames_out, size_t *nseg_out)
{
    QE1000 *d = tx_start(32);
    g_autofree uint8_t *frame = g_malloc(70000);
    uint8_t got[16384];
    QE1000FrameSpec spec;
    QE1000FrameInfo fi;
    bool v4 = c->l3 == QE1000_L3_IPV4;
    size_t len, hdr, nseg, s, off, chunk, n;
    size_t cuts[] = { 3000, 1, 1447, 4999, 12345 };
    unsigned last = 0, i;
    uint16_t ip_id;
    uint32_t seq;

    if (c->vlan) {
        qe1000_w(d, E1000_CTRL, qe1000_r(d, E1000_CTRL) | E1000_CTRL_VME);
    }
    qe1000_frame_spec_init(&spec);
    spec.l3 = c->l3;
    spec.l4 = QE1000_L4_TCP;
    spec.payload_len = c->paylen;
    spec.payload_seed = 0x3c;
    spec.tcp_flags = c->flags;
    spec.ip_id = 0xfffe; /* wraps during the burst */
    spec.tcp_seq = 0xfffff000;
    spec.tso_headers = true;
    len = qe1000_build_frame(frame, 70000, &spec, &fi);
    hdr = fi.payload_off;
    ip_id = spec.ip_id;
    seq = spec.tcp_seq;

    qe1000_tx_context(d, fi.l3_off, v4 ? fi.l3_off + 10 : 0,
                      v4 ? fi.l4_off - 1 : 0, fi.l4_off, fi.l4_off + 16, 0,
                      c->paylen, E1000_TUCMD_TCP | E1000_TUCMD_TSE |
                      (v4 ? E1000_TUCMD_IP : 0), hdr, c->mss);
    qe1000_tx_data(d, qe1000_copy_to_guest(d, frame, hdr), hdr,
                   E1000_TXD_CMD_IFCS | E1000_TXD_CMD_TSE,
                   E1000_POPTS_TXSM | (v4 ? E1000_POPTS_IXSM : 0), 0);
    off = hdr;
    for (i = 0; off < len; i++) {
        uint8_t eop = E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS |
                      (c->vlan ? E1000_TXD_CMD_VLE : 0);

        chunk = i < G_N_ELEMENTS(cuts) ? cuts[i] : 8000;
        chunk = MIN(chunk, len - off);
        last = qe1000_tx_data(d, qe1000_copy_to_guest(d, frame + off, chunk),
                              chunk, E1000_TXD_CMD_IFCS | E1000_TXD_CMD_TSE |
                              (off + chunk == len ? eop : 0),
                              0, c->vlan ? 0x2064 : 0);
        off += chunk;
    }
    qe1000_tx_kick(d);

    nseg = (c->paylen + c->mss - 1) / c->mss;
    if (frames_out) {
        *frames_out = g_malloc0(nseg);
    }
    for (s = 0; s < nseg; s++) {
        size_t seglen = MIN(c->mss, c->paylen - s * c->mss);
        bool is_last = s == nseg - 1;
        uint8_t *f = got;
        uint8_t want_flags = c->flags;

        n = recv_frame(d, got, sizeof(got));
        if (c->vlan) {
            g_assert_cmpuint(n, ==, hdr + seglen + 4);
            g_assert_cmphex(qe1000_be16(got + 12), ==, 0x8100);
            g_assert_cmphex(qe1000_be16(got + 14), ==, 0x2064);
            memmove(got + 12, got + 16, n - 16);
            n -= 4;
        }
        if (n != hdr + seglen) {
            g_error("TSO segment %zu: %zu bytes, expected %zu", s, n,
                    hdr + seglen);
        }
        expect_bytes(f, frame, fi.l3_off, "segment MAC header");
        if (v4) {
            g_assert_cmpuint(qe1000_be16(f + fi.l3_off + 2), ==,
                             hdr - fi.l3_off + seglen);
            g_assert_cmphex(qe1000_be16(f + fi.l3_off + 4), ==,
                            (uint16_t)(ip_id + s));
            g_assert_true(qe1000_ipv4_csum_ok(f, fi.l3_off));
            expect_bytes(f + fi.l3_off + 6, frame + fi.l3_off + 6, 4,
                         "IPv4 flags/TTL/protocol");
            expect_bytes(f + fi.l3_off + 12, frame + fi.l3_off + 12, 8,
                         "IPv4 addresses");
        } else {
            g_assert_cmpuint(qe1000_be16(f + fi.l3_off + 4), ==,
                             hdr - fi.l3_off - 40 + seglen);
            expect_bytes(f + fi.l3_off + 6, frame + fi.l3_off + 6, 34,
                         "IPv6 header");
        }
        g_assert_cmphex(qe1000_be32(f + fi.l4_off + 4), ==,
                        (uint32_t)(seq + s * c->mss));
        expect_bytes(f + fi.l4_off + 8, frame + fi.l4_off + 8, 5,
                     "TCP ack/offset");
        if (!is_last) {
            want_flags &= ~(TCP_FIN | TCP_PSH);
        }
        if (frames_out) {
            (*frames_out)[s] = f[fi.l4_off + 13];
        } else if (f[fi.l4_off + 13] != want_flags) {
            g_error("TSO segment %zu: TCP flags 0x%02x, expected 0x%02x", s,
                    f[fi.l4_off + 13], want_flags);
        }
        expect_bytes(f + fi.l4_off + 14, frame + fi.l4_off + 14, 2,
                     "TCP window");
        expect_bytes(f + fi.l4_off + 18, frame + fi.l4_off + 18,
                     hdr - fi.l4_off - 18, "TCP urgent/options");
        g_assert_true(qe1000_l4_csum_ok(f, n, fi.l3_off, fi.l4_off));
        expect_bytes(f + hdr, frame + hdr + s * c->mss, seglen,
                     "segment payload");
    }
    if (nseg_out) {
        *nseg_out = nseg;
    }
    g_assert_true(qe1000_tx_wait_dd(d, last, WIRE_TIMEOUT_MS));
    expect_quiet_wire(d);
    qe1000_stop(d);
}

static void test_tso_ipv4(void)
{
    TsoCase c = { QE1000_L3_IPV4, 30000, 1448, TCP_ACK | TCP_PSH | TCP_FIN,
                  false };

    run_tso(&c, NULL, NULL);
}

static void test_tso_ipv6(void)
{
    TsoCase c = { QE1000_L3_IPV6, 20001, 1428, TCP_ACK | TCP_PSH | TCP_FIN,
                  false };

    run_tso(&c, NULL, NULL);
}

static void test_tso_64k(void)
{
    TsoCase c = { QE1000_L3_IPV4, 65536 - 66 - 1, 1448, TCP_ACK | TCP_PSH,
                  false };

    run_tso(&c, NULL, NULL);
}

static void test_tso_vlan(void)
{
    TsoCase c = { QE1000_L3_IPV4, 9000, 1460, TCP_ACK | TCP_PSH, true };

    run_tso(&c, NULL, NULL);
}

/*
 * CWR (RFC 3168) must appear on the first segment only, as Linux's
 * software GSO and NETIF_F_TSO_ECN hardware do; the SDM 3.5.9 list
 * covers FIN/PSH only, this is the brief's requirement.
 */
static void test_tso_cwr(void)
{
    TsoCase c = { QE1000_L3_IPV4, 5000, 1448, TCP_ACK | TCP_CWR, false };
    g_autofree uint8_t *flags = NULL;
    size_t nseg, s;

    run_tso(&c, &flags, &nseg);
    g_assert_cmpuint(nseg, ==, 4);
    g_assert_cmphex(flags[0], ==, TCP_ACK | TCP_CWR);
    for (s = 1; s < nseg; s++) {
        g_assert_cmphex(flags[s], ==, TCP_ACK);
    }
}

/*
 * SDM 3.3.3 (Length): "Descriptors with zero length transfer no data. If
 * they have the RS bit set, DD is written when the hardware processes
 * them." A null descriptor alone (with EOP, between packets) must not
 * produce a frame; the packets around it are unaffected.
 */
static void test_zero_length_lone(void)
{
    QE1000 *d = tx_start(16);
    uint8_t frame[1514];
    uint64_t gpa;
    size_t len;
    unsigned z, last;

    len = tcp_frame(frame, sizeof(frame), QE1000_L3_IPV4, 600, NULL);
    gpa = qe1000_copy_to_guest(d, frame, len);
    z = qe1000_tx_legacy(d, gpa, 0, E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS |
                         E1000_TXD_CMD_RS, 0, 0, 0);
    last = qe1000_tx_legacy(d, gpa, len, E1000_TXD_CMD_EOP |
                            E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS, 0, 0, 0);
    qe1000_tx_kick(d);
    expect_frame(d, frame, len);
    g_assert_true(qe1000_tx_wait_dd(d, last, WIRE_TIMEOUT_MS));
    g_assert_true(qe1000_tx_wait_dd(d, z, 0));
    expect_quiet_wire(d);

    /* A null descriptor at the very end of the queue as well. */
    last = qe1000_tx_frame(d, frame, len);
    z = qe1000_tx_legacy(d, gpa, 0, E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS |
                         E1000_TXD_CMD_RS, 0, 0, 0);
    qe1000_tx_kick(d);
    expect_frame(d, frame, len);
    g_assert_true(qe1000_tx_wait_dd(d, z, WIRE_TIMEOUT_MS));
    expect_quiet_wire(d);
    qe1000_stop(d);
}

/* A zero-length descriptor inside a legacy chain adds nothing. */
static void test_zero_length_legacy_chain(void)
{
    QE1000 *d = tx_start(16);
    uint8_t frame[1514];
    uint64_t gpa;
    size_t len;
    unsigned z, last;

    len = tcp_frame(frame, sizeof(frame), QE1000_L3_IPV4, 600, NULL);
    gpa = qe1000_copy_to_guest(d, frame, len);
    qe1000_tx_legacy(d, gpa, 20, E1000_TXD_CMD_IFCS, 0, 0, 0);
    z = qe1000_tx_legacy(d, gpa + 20, 0, E1000_TXD_CMD_IFCS |
                         E1000_TXD_CMD_RS, 0, 0, 0);
    last = qe1000_tx_legacy(d, gpa + 20, len - 20, E1000_TXD_CMD_EOP |
                            E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS, 0, 0, 0);
    qe1000_tx_kick(d);
    expect_frame(d, frame, len);
    g_assert_true(qe1000_tx_wait_dd(d, last, WIRE_TIMEOUT_MS));
    g_assert_true(qe1000_tx_wait_dd(d, z, 0));

    /* And the ring still works afterwards. */
    last = qe1000_tx_frame(d, frame, len);
    qe1000_tx_kick(d);
    expect_frame(d, frame, len);
    g_assert_true(qe1000_tx_wait_dd(d, last, WIRE_TIMEOUT_MS));
    expect_quiet_wire(d);
    qe1000_stop(d);
}

/* A zero-length data descriptor inside an offloaded packet adds nothing. */
static void test_zero_length_data_chain(void)
{
    QE1000 *d = tx_start(16);
    uint8_t frame[1514];
    QE1000FrameSpec spec;
    QE1000FrameInfo fi;
    uint64_t gpa;
    size_t len;
    unsigned last;

    qe1000_frame_spec_init(&spec);
    spec.l3 = QE1000_L3_IPV4;
    spec.l4 = QE1000_L4_TCP;
    spec.payload_len = 600;
    spec.ip_csum_zero = true;
    spec.l4_pseudo_only = true;
    len = qe1000_build_frame(frame, sizeof(frame), &spec, &fi);
    gpa = qe1000_copy_to_guest(d, frame, len);
    qe1000_tx_context(d, fi.l3_off, fi.l3_off + 10, fi.l4_off - 1, fi.l4_off,
                      fi.l4_off + 16, 0, 0, E1000_TUCMD_TCP | E1000_TUCMD_IP,
                      0, 0);
    qe1000_tx_data(d, gpa, fi.l4_off, E1000_TXD_CMD_IFCS,
                   E1000_POPTS_TXSM | E1000_POPTS_IXSM, 0);
    qe1000_tx_data(d, gpa + fi.l4_off, 0, E1000_TXD_CMD_IFCS,
                   E1000_POPTS_TXSM | E1000_POPTS_IXSM, 0);
    last = qe1000_tx_data(d, gpa + fi.l4_off, len - fi.l4_off,
                          E1000_TXD_CMD_IFCS | E1000_TXD_CMD_EOP |
                          E1000_TXD_CMD_RS,
                          E1000_POPTS_TXSM | E1000_POPTS_IXSM, 0);
    qe1000_tx_kick(d);
    check_csum_frame(d, frame, len, &fi, true, true);
    g_assert_true(qe1000_tx_wait_dd(d, last, WIRE_TIMEOUT_MS));
    expect_quiet_wire(d);
    qe1000_stop(d);
}

#define BP_RING 64
#define BP_FRAMES 600
#define BP_LEN 1514

static bool bp_desc_done(QE1000 *d, unsigned idx)
{
    uint8_t sta;

    qtest_memread(d->qts, d->tx_ring + 16 * idx + 12, &sta, 1);
    return sta & E1000_TXD_STA_DD;
}

/*
 * Back-pressure (net.h contract; SDM 3.4: descriptors are only completed
 * once the packet is sent): while the wire does not read, transmission
 * stalls without losing frames, and resumes in order once it reads.
 */
static void test_back_pressure(void)
{
    QE1000 *d = tx_start(BP_RING);
    g_autofree uint64_t *slot = g_new0(uint64_t, BP_RING);
    uint8_t frame[BP_LEN], got[2048];
    unsigned pushed = 0, done = 0, rx = 0, i;
    gint64 last_progress;
    bool stalled = false;
    size_t n;

    for (i = 0; i < BP_RING; i++) {
        slot[i] = qtest_guest_alloc(d->qts, BP_LEN, 64);
    }

    /* Phase 1: fill the ring repeatedly without reading the wire. */
    last_progress = g_get_monotonic_time();
    while (pushed < BP_FRAMES) {
        while (done < pushed && bp_desc_done(d, done % BP_RING)) {
            done++;
            last_progress = g_get_monotonic_time();
        }
        if (pushed - done < BP_RING - 1) {
            unsigned idx = d->tx_tail;

            fill_seq_frame(frame, BP_LEN, pushed);
            qtest_memwrite(d->qts, slot[idx], frame, BP_LEN);
            qe1000_tx_legacy(d, slot[idx], BP_LEN, E1000_TXD_CMD_EOP |
                             E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS, 0, 0, 0);
            pushed++;
            qe1000_tx_kick(d);
            continue;
        }
        if (g_get_monotonic_time() - last_progress > G_USEC_PER_SEC) {
            stalled = true;
            break;
        }
        g_usleep(1000);
    }
    g_test_message("wire not reading: %u pushed, %u completed, %s", pushed,
                   done, stalled ? "stalled" : "no stall");
    /* A stalled ring has completed exactly what it sent. */
    if (stalled) {
        g_assert_cmpuint(qe1000_r(d, E1000_TDH), ==, done % BP_RING);
    }

    /* Phase 2: read everything, keep the ring fed. */
    while (rx < BP_FRAMES) {
        while (done < pushed && bp_desc_done(d, done % BP_RING)) {
            done++;
        }
        while (pushed < BP_FRAMES && pushed - done < BP_RING - 1) {
            unsigned idx = d->tx_tail;

            fill_seq_frame(frame, BP_LEN, pushed);
            qtest_memwrite(d->qts, slot[idx], frame, BP_LEN);
            qe1000_tx_legacy(d, slot[idx], BP_LEN, E1000_TXD_CMD_EOP |
                             E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS, 0, 0, 0);
            pushed++;
            qe1000_tx_kick(d);
        }
        n = recv_frame(d, got, sizeof(got));
        g_assert_cmpuint(n, ==, BP_LEN);
        if (qe1000_be32(got + 14) != rx) {
            g_error("frame %u arrived as number %u", qe1000_be32(got + 14),
                    rx);
        }
        fill_seq_frame(frame, BP_LEN, rx);
        expect_bytes(got, frame, BP_LEN, "back-pressured frame");
        rx++;
    }
    g_assert_true(qe1000_tx_wait_dd(d, (pushed - 1) % BP_RING,
                                    WIRE_TIMEOUT_MS));
    expect_quiet_wire(d);
    qe1000_stop(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/e1000/tx/legacy/basic", test_legacy_basic);
    g_test_add_func("/e1000/tx/legacy/rs-dd", test_legacy_rs_dd);
    g_test_add_func("/e1000/tx/legacy/multi-desc", test_legacy_multi_desc);
    g_test_add_func("/e1000/tx/legacy/cso-css", test_legacy_cso_css);
    g_test_add_func("/e1000/tx/legacy/vlan-vet", test_legacy_vlan_vet);
    g_test_add_func("/e1000/tx/legacy/psp", test_legacy_psp);
    g_test_add_func("/e1000/tx/ring/tdh-tdt-tdlen-wrap", test_ring_wrap);
    g_test_add_func("/e1000/tx/ring/tctl-en", test_tctl_en);
    g_test_add_func("/e1000/tx/ring/txdctl", test_txdctl);
    g_test_add_func("/e1000/tx/ctx/ipv4-tcp", test_ctx_ipv4_tcp);
    g_test_add_func("/e1000/tx/ctx/ipv4-udp", test_ctx_ipv4_udp);
    g_test_add_func("/e1000/tx/ctx/ipv6-tcp", test_ctx_ipv6_tcp);
    g_test_add_func("/e1000/tx/ctx/ipv6-udp", test_ctx_ipv6_udp);
    g_test_add_func("/e1000/tx/ctx/vlan", test_ctx_vlan);
    g_test_add_func("/e1000/tx/tso/ipv4", test_tso_ipv4);
    g_test_add_func("/e1000/tx/tso/ipv6", test_tso_ipv6);
    g_test_add_func("/e1000/tx/tso/ipv4-64k", test_tso_64k);
    g_test_add_func("/e1000/tx/tso/vlan", test_tso_vlan);
    g_test_add_func("/e1000/tx/tso/cwr-first-only", test_tso_cwr);
    g_test_add_func("/e1000/tx/zero-length/lone-eop", test_zero_length_lone);
    g_test_add_func("/e1000/tx/zero-length/legacy-chain",
                    test_zero_length_legacy_chain);
    g_test_add_func("/e1000/tx/zero-length/data-chain",
                    test_zero_length_data_chain);
    g_test_add_func("/e1000/tx/back-pressure", test_back_pressure);

    return g_test_run();
}
