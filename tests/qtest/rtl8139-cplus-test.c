/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rtl8139 C+ mode qtests, driven the way Linux 8139cp drives the chip:
 * TNPDS TX descriptor ring with TxPoll, RDSAR RX descriptor ring,
 * checksum offload (IPCS/TCPCS/UDPCS), large send (LGSEN + MSS), VLAN
 * tag insertion (TAGC) and stripping, RX checksum status (PID, IPF, UDPF,
 * TCPF), IntrMitigate, the RX buffer size limit, the DTCCR tally dump
 * and back-pressure when no RX descriptor is free. Expected values come
 * from the RTL8139C+ datasheet (descriptor formats, C+CR, DTCCR) and
 * RFCs 791/793/768.
 */
#include <string.h>
#include <unistd.h>

#include "libqos/rtl8139.h"

#define BUF_CAP 2048
#define MAX_FRAME 1514

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };

static QRtl *start_cp(unsigned tx_n, unsigned rx_n, uint16_t cpcmd_extra,
                      uint32_t accept)
{
    QRtl *d = qrtl_start(NULL);

    qrtl_cp_init(d, tx_n, rx_n, 1536, cpcmd_extra, accept);
    return d;
}

static uint16_t swab16(uint16_t v)
{
    return (uint16_t)(v << 8 | v >> 8);
}

/* TX status after the NIC is done: OWN clear, FS/LS kept, no error. */
static void check_tx_done(QRtl *d, unsigned idx, uint32_t want_fs_ls)
{
    uint32_t o1 = 0;

    g_assert_true(qrtl_cp_tx_wait(d, idx, 3000, &o1));
    /* 8139cp cp_tx counts a packet only when LS is still set. */
    g_assert_cmphex(o1 & (RTL_DESC_FS | RTL_DESC_LS), ==, want_fs_ls);
    g_assert_cmphex(o1 & (RTL_TXS_ES | RTL_TXS_UNF), ==, 0);
}

/* Transmit one frame in one descriptor and return what the wire got. */
static int tx_one(QRtl *d, const uint8_t *frame, size_t len, uint32_t flags,
                  uint32_t opts2, uint8_t *out, size_t cap)
{
    unsigned idx = qrtl_cp_tx_frame(d, frame, len, flags, opts2);

    check_tx_done(d, idx, RTL_DESC_FS | RTL_DESC_LS);
    return (int)qrtl_wire_recv(d, out, cap, 3000);
}

static void test_init(void)
{
    QRtl *d = start_cp(64, 64, RTL_CPCR_RXCSUM, 0);

    g_assert_cmphex(qrtl_r32(d, RTL_TCR) & RTL_TCR_HWVERID_MASK, ==,
                    RTL_TCR_HWVER_8139CP);
    g_assert_cmphex(qrtl_r16(d, RTL_CPCR) & 0x7b, ==,
                    qrtl_cp_cpcmd(RTL_CPCR_RXCSUM));
    g_assert_cmphex(qrtl_r32(d, RTL_TNPDS), ==, (uint32_t)d->cp_tx_ring);
    g_assert_cmphex(qrtl_r32(d, RTL_TNPDS + 4), ==, 0);
    g_assert_cmphex(qrtl_r32(d, RTL_RDSAR), ==, (uint32_t)d->cp_rx_ring);
    g_assert_cmphex(qrtl_r32(d, RTL_RDSAR + 4), ==, 0);
    g_assert_cmphex(qrtl_r8(d, RTL_CR) & (RTL_CR_RE | RTL_CR_TE), ==,
                    RTL_CR_RE | RTL_CR_TE);
    qrtl_stop(d);
}

/*
 * TX ring: OWN descriptors are sent in order from TNPDS, EOR wraps to the
 * ring start, TxPoll.NPQ starts the walk; a packet may span descriptors
 * (FS ... LS). ISR.TOK and the line follow.
 */
static void check_tx_ring(unsigned n)
{
    QRtl *d = start_cp(n, 16, 0, 0);
    uint8_t frame[MAX_FRAME], got[BUF_CAP];
    unsigned i, idx[16];

    qrtl_w16(d, RTL_IMR, RTL_INT_TOK);
    for (i = 0; i < n * 2 + n / 2 + 1; i++) {
        size_t len = 60 + (i * 97) % (MAX_FRAME - 59);

        qrtl_simple_frame(frame, len, other, (uint16_t)i);
        g_assert_cmpint(tx_one(d, frame, len, 0, 0, got, sizeof(got)), ==,
                        (int)len);
        g_assert_cmpmem(got, len, frame, len);
        g_assert_cmphex(qrtl_r16(d, RTL_ISR) & RTL_INT_TOK, ==,
                        RTL_INT_TOK);
        g_assert_true(qrtl_irq(d));
        qrtl_w16(d, RTL_ISR, RTL_INT_TOK);
        g_assert_false(qrtl_irq(d));
    }

    /* Several descriptors, one TxPoll. */
    for (i = 0; i < MIN(n - 1, 10u); i++) {
        uint64_t gpa;

        qrtl_simple_frame(frame, 100 + i, other, (uint16_t)(0x100 + i));
        gpa = qrtl_copy_to_guest(d, frame, 100 + i);
        idx[i] = qrtl_cp_tx_push(d, gpa, 100 + i,
                                 RTL_DESC_FS | RTL_DESC_LS, 0);
    }
    qrtl_cp_tx_poll(d);
    for (i = 0; i < MIN(n - 1, 10u); i++) {
        check_tx_done(d, idx[i], RTL_DESC_FS | RTL_DESC_LS);
        g_assert_cmpint(qrtl_wire_recv(d, got, sizeof(got), 3000), ==,
                        100 + (int)i);
        g_assert_cmphex(qrtl_be16(got + 14), ==, 0x100 + i);
    }

    /* One packet in three fragments. */
    if (n >= 4) {
        size_t cut[4] = { 0, 14, 500, 1200 };

        qrtl_simple_frame(frame, 1200, other, 0x200);
        for (i = 0; i < 3; i++) {
            uint64_t gpa = qrtl_copy_to_guest(d, frame + cut[i],
                                              cut[i + 1] - cut[i]);
            uint32_t fl = (i == 0 ? RTL_DESC_FS : 0) |
                          (i == 2 ? RTL_DESC_LS : 0);

            idx[i] = qrtl_cp_tx_push(d, gpa, (uint32_t)(cut[i + 1] - cut[i]),
                                     fl, 0);
        }
        qrtl_cp_tx_poll(d);
        check_tx_done(d, idx[0], RTL_DESC_FS);
        check_tx_done(d, idx[1], 0);
        check_tx_done(d, idx[2], RTL_DESC_LS);
        g_assert_cmpint(qrtl_wire_recv(d, got, sizeof(got), 3000), ==, 1200);
        g_assert_cmpmem(got, 1200, frame, 1200);
    }
    g_assert_true(qrtl_wire_quiet(d, 100));
    qrtl_stop(d);
}

static void test_tx_ring(void)
{
    check_tx_ring(8);
    check_tx_ring(64);
}

/* TxPoll with nothing owned by the NIC sends nothing. */
static void test_tx_idle_poll(void)
{
    QRtl *d = start_cp(16, 16, 0, 0);

    qrtl_cp_tx_poll(d);
    g_assert_true(qrtl_wire_quiet(d, 200));
    qrtl_stop(d);
}

/*
 * TxPoll FSWInt: "Forced Software Interrupt: writing 1 to this bit will
 * trigger an interrupt, and the SWInt bit in ISR will set".
 */
static void test_tx_swint(void)
{
    QRtl *d = start_cp(16, 16, 0, 0);

    qrtl_w16(d, RTL_IMR, RTL_INT_SWINT);
    g_assert_false(qrtl_irq(d));
    qrtl_w8(d, RTL_TPPOLL, RTL_TPPOLL_FSWINT);
    g_assert_cmphex(qrtl_wait_isr(d, RTL_INT_SWINT, 1000) & RTL_INT_SWINT,
                    ==, RTL_INT_SWINT);
    g_assert_true(qrtl_irq(d));
    qrtl_w16(d, RTL_ISR, RTL_INT_SWINT);
    g_assert_false(qrtl_irq(d));
    qrtl_stop(d);
}

/* out equals in except for the 2-byte fields at the given offsets. */
static void check_same_except(const uint8_t *out, const uint8_t *in,
                              size_t len, const size_t *skip, int nskip)
{
    size_t i;
    int k;

    for (i = 0; i < len; i++) {
        bool skipped = false;

        for (k = 0; k < nskip; k++) {
            if (i == skip[k] || i == skip[k] + 1) {
                skipped = true;
            }
        }
        if (!skipped && out[i] != in[i]) {
            g_error("byte %zu differs: 0x%02x, sent 0x%02x", i, out[i],
                    in[i]);
        }
    }
}

/* Send a built frame with checksum offload flags and check the result. */
static void check_csum_frame(QRtl *d, const uint8_t *frame, size_t len,
                             const QRtlFrameInfo *fi, QRtlL4 l4,
                             uint32_t flags, bool want_ip, bool want_l4,
                             uint8_t *out)
{
    size_t ip_cso = fi->l3_off + 10;
    size_t l4_cso = fi->l4_off + (l4 == QRTL_L4_TCP ? 16 : 6);
    size_t skip[2] = { ip_cso, l4_cso };

    g_assert_cmpint(tx_one(d, frame, len, flags, 0, out, BUF_CAP), ==,
                    (int)len);
    check_same_except(out, frame, len, skip, 2);
    if (want_ip) {
        g_assert_true(qrtl_ipv4_csum_ok(out, fi->l3_off));
    } else {
        g_assert_cmpmem(out + ip_cso, 2, frame + ip_cso, 2);
    }
    if (want_l4) {
        g_assert_true(qrtl_l4_csum_ok(out, len, fi->l3_off));
        if (l4 == QRTL_L4_UDP) {
            /* RFC 768: a computed zero is sent as all ones. */
            g_assert_cmphex(qrtl_be16(out + l4_cso), !=, 0);
        }
    } else {
        g_assert_cmpmem(out + l4_cso, 2, frame + l4_cso, 2);
    }
}

static void check_csum(QRtl *d, QRtlFrameSpec *spec, uint32_t flags,
                       bool want_ip, bool want_l4)
{
    uint8_t frame[BUF_CAP], out[BUF_CAP];
    QRtlFrameInfo fi;
    size_t len = qrtl_build_frame(frame, sizeof(frame), spec, &fi);

    check_csum_frame(d, frame, len, &fi, spec->l4, flags, want_ip, want_l4,
                     out);
}

/*
 * A UDP datagram whose checksum computes to 0 (a payload word chosen to
 * make the one's complement sum all ones) must go out as FFFFh.
 */
static void check_udp_zero(QRtl *d, QRtlFrameSpec *spec)
{
    uint8_t frame[BUF_CAP], out[BUF_CAP], ph[12];
    QRtlFrameInfo fi;
    size_t len;
    uint32_t l4len, sum;
    uint16_t w;

    spec->l4 = QRTL_L4_UDP;
    spec->csum = QRTL_CSUM_ZERO;
    spec->payload_len = 40;
    len = qrtl_build_frame(frame, sizeof(frame), spec, &fi);
    l4len = (uint32_t)(len - fi.l4_off);
    frame[fi.payload_off] = 0;
    frame[fi.payload_off + 1] = 0;
    memcpy(ph, frame + fi.l3_off + 12, 8);
    ph[8] = 0;
    ph[9] = 17;
    ph[10] = (uint8_t)(l4len >> 8);
    ph[11] = (uint8_t)l4len;
    sum = qrtl_sum(qrtl_sum(0, ph, 12), frame + fi.l4_off, l4len);
    w = (uint16_t)~sum;
    frame[fi.payload_off] = (uint8_t)(w >> 8);
    frame[fi.payload_off + 1] = (uint8_t)w;
    g_assert_cmphex(qrtl_fold(qrtl_sum(qrtl_sum(0, ph, 12),
                                       frame + fi.l4_off, l4len)), ==, 0);
    frame[fi.l4_off + 6] = 0xde;
    frame[fi.l4_off + 7] = 0xad;
    check_csum_frame(d, frame, len, &fi, QRTL_L4_UDP,
                     RTL_TXD_IPCS | RTL_TXD_UDPCS, true, true, out);
    g_assert_cmphex(qrtl_be16(out + fi.l4_off + 6), ==, 0xffff);
}

/*
 * IPCS/TCPCS/UDPCS: the NIC computes the whole checksum itself (8139cp
 * hands it Linux CHECKSUM_PARTIAL frames whose TCP/UDP field holds the
 * pseudo-header sum), so whatever is in the field is ignored. Bits not
 * set leave their field alone.
 */
static void test_tx_csum(void)
{
    QRtl *d = start_cp(16, 16, 0, 0);
    QRtlFrameSpec spec;
    int i;

    qrtl_frame_spec_init(&spec);
    memcpy(spec.dst, other, 6);

    for (i = 0; i < 4; i++) {
        spec.l4 = QRTL_L4_TCP;
        spec.csum = i & 1 ? QRTL_CSUM_PARTIAL : QRTL_CSUM_GARBAGE;
        spec.payload_len = 100 + i * 333;
        spec.ip_opt_len = i >= 2 ? 8 : 0;
        spec.tcp_opt_len = i == 3 ? 12 : 0;
        check_csum(d, &spec, RTL_TXD_IPCS | RTL_TXD_TCPCS, true, true);

        spec.l4 = QRTL_L4_UDP;
        spec.tcp_opt_len = 0;
        check_csum(d, &spec, RTL_TXD_IPCS | RTL_TXD_UDPCS, true, true);
    }
    spec.ip_opt_len = 0;

    /* Odd payload length. */
    spec.l4 = QRTL_L4_TCP;
    spec.csum = QRTL_CSUM_ZERO;
    spec.payload_len = 777;
    check_csum(d, &spec, RTL_TXD_IPCS | RTL_TXD_TCPCS, true, true);

    /* Only the bits asked for. */
    spec.csum = QRTL_CSUM_GARBAGE;
    check_csum(d, &spec, RTL_TXD_TCPCS, false, true);
    check_csum(d, &spec, RTL_TXD_IPCS, true, false);
    spec.l4 = QRTL_L4_UDP;
    check_csum(d, &spec, RTL_TXD_UDPCS, false, true);

    check_udp_zero(d, &spec);
    qrtl_stop(d);
}

/*
 * Large send: LGSEN with an 11-bit MSS splits a TCP/IPv4 frame into
 * segments of MSS payload bytes (the last one shorter); each segment has
 * its own IP total length and header checksum, sequence number and TCP
 * checksum; PSH and FIN only on the last segment (RFC 793: they belong
 * with the last byte of data), other flags on every segment.
 */
static void check_lso(QRtl *d, size_t payload, unsigned mss,
                      size_t tcp_opt, bool vlan, uint16_t tci)
{
    uint8_t frame[8192], out[BUF_CAP];
    QRtlFrameSpec spec;
    QRtlFrameInfo fi;
    size_t len, hdr, done = 0, shift = vlan ? 4 : 0;
    unsigned nseg = (unsigned)((payload + mss - 1) / mss), k, idx;
    uint64_t gpa;

    qrtl_frame_spec_init(&spec);
    memcpy(spec.dst, other, 6);
    spec.l4 = QRTL_L4_TCP;
    spec.csum = QRTL_CSUM_PARTIAL;
    spec.tcp_opt_len = tcp_opt;
    spec.payload_len = payload;
    spec.tcp_flags = QRTL_TCP_ACK | QRTL_TCP_PSH | QRTL_TCP_FIN;
    spec.tcp_seq = 0xfffff000; /* wraps during the segments */
    len = qrtl_build_frame(frame, sizeof(frame), &spec, &fi);
    hdr = fi.payload_off;

    gpa = qrtl_copy_to_guest(d, frame, len);
    idx = qrtl_cp_tx_push(d, gpa, (uint32_t)len, RTL_DESC_FS | RTL_DESC_LS |
                          RTL_TXD_LGSEN | mss << RTL_TXD_MSS_SHIFT,
                          vlan ? RTL_TXD_TAGC | swab16(tci) : 0);
    qrtl_cp_tx_poll(d);
    check_tx_done(d, idx, RTL_DESC_FS | RTL_DESC_LS);

    for (k = 0; k < nseg; k++) {
        size_t seg = MIN((size_t)mss, payload - done);
        const uint8_t *ip = out + fi.l3_off + shift;
        const uint8_t *th = out + fi.l4_off + shift;
        uint8_t want_flags = QRTL_TCP_ACK;
        int n = (int)qrtl_wire_recv(d, out, sizeof(out), 3000);

        g_assert_cmpint(n, ==, (int)(hdr + seg + shift));
        g_assert_cmpmem(out, 12, frame, 12);
        if (vlan) {
            g_assert_cmphex(qrtl_be16(out + 12), ==, 0x8100);
            g_assert_cmphex(qrtl_be16(out + 14), ==, tci);
        }
        g_assert_cmpmem(out + 12 + shift, 2, frame + 12, 2);
        /* IPv4: version/IHL, TOS, total length, flags, TTL, protocol. */
        g_assert_cmphex(ip[0], ==, frame[fi.l3_off]);
        g_assert_cmpuint(qrtl_be16(ip + 2), ==,
                         fi.l4_hdr_len + (fi.l4_off - fi.l3_off) + seg);
        g_assert_cmpmem(ip + 6, 4, frame + fi.l3_off + 6, 4);
        g_assert_cmpmem(ip + 12, 8, frame + fi.l3_off + 12, 8);
        g_assert_true(qrtl_ipv4_csum_ok(out + shift, fi.l3_off));
        /* TCP: ports, seq, ack, offset, flags, window, options. */
        g_assert_cmpmem(th, 4, frame + fi.l4_off, 4);
        g_assert_cmphex(qrtl_be32(th + 4), ==,
                        (uint32_t)(spec.tcp_seq + done));
        g_assert_cmpmem(th + 8, 5, frame + fi.l4_off + 8, 5);
        if (k == nseg - 1) {
            want_flags |= QRTL_TCP_PSH | QRTL_TCP_FIN;
        }
        g_assert_cmphex(th[13], ==, want_flags);
        g_assert_cmpmem(th + 14, 2, frame + fi.l4_off + 14, 2);
        g_assert_cmpmem(th + 20, tcp_opt, frame + fi.l4_off + 20, tcp_opt);
        g_assert_true(qrtl_l4_csum_ok(out + shift, (size_t)n - shift,
                                      fi.l3_off));
        g_assert_cmpmem(out + hdr + shift, seg, frame + hdr + done, seg);
        done += seg;
    }
    g_assert_true(qrtl_wire_quiet(d, 200));
}

static void test_tx_largesend(void)
{
    QRtl *d = start_cp(16, 16, 0, 0);

    qrtl_w16(d, RTL_IMR, RTL_INT_TOK);
    check_lso(d, 4000, 1000, 0, false, 0);
    g_assert_true(qrtl_wait_irq(d, 1000));
    qrtl_w16(d, RTL_ISR, RTL_INT_TOK);
    check_lso(d, 3500, 1460, 0, false, 0);
    check_lso(d, 5000, 536, 12, false, 0);
    check_lso(d, 1000, 1460, 0, false, 0);
    check_lso(d, 2921, 1448, 12, false, 0);
    check_lso(d, 2500, 1000, 0, true, 0x2123);
    qrtl_stop(d);
}

/*
 * TAGC (opts2 bit 17): 0x8100 and the VLAN_TAG field are inserted after
 * the source address; 8139cp stores the tag byte-swapped in opts2 15:0.
 */
static void test_tx_vlan(void)
{
    QRtl *d = start_cp(16, 16, 0, 0);
    uint8_t frame[BUF_CAP], out[BUF_CAP];
    QRtlFrameSpec spec;
    QRtlFrameInfo fi;
    size_t len;

    qrtl_frame_spec_init(&spec);
    memcpy(spec.dst, other, 6);
    spec.l4 = QRTL_L4_TCP;
    spec.payload_len = 300;
    len = qrtl_build_frame(frame, sizeof(frame), &spec, &fi);

    g_assert_cmpint(tx_one(d, frame, len, 0, RTL_TXD_TAGC | swab16(0xa07b),
                           out, sizeof(out)), ==, (int)len + 4);
    g_assert_cmpmem(out, 12, frame, 12);
    g_assert_cmphex(qrtl_be16(out + 12), ==, 0x8100);
    g_assert_cmphex(qrtl_be16(out + 14), ==, 0xa07b);
    g_assert_cmpmem(out + 16, len - 12, frame + 12, len - 12);

    /* With checksum offload the checksums are over the untagged packet. */
    spec.csum = QRTL_CSUM_GARBAGE;
    len = qrtl_build_frame(frame, sizeof(frame), &spec, &fi);
    g_assert_cmpint(tx_one(d, frame, len, RTL_TXD_IPCS | RTL_TXD_TCPCS,
                           RTL_TXD_TAGC | swab16(0x0005), out, sizeof(out)),
                    ==, (int)len + 4);
    g_assert_cmphex(qrtl_be16(out + 14), ==, 0x0005);
    g_assert_true(qrtl_ipv4_csum_ok(out + 4, fi.l3_off));
    g_assert_true(qrtl_l4_csum_ok(out + 4, len, fi.l3_off));

    /* No TAGC: unchanged, even with a tag value present. */
    g_assert_cmpint(tx_one(d, frame, len, 0, swab16(0x0777), out,
                           sizeof(out)), ==, (int)len);
    g_assert_cmpmem(out, len, frame, len);
    qrtl_stop(d);
}

/* Check one received C+ descriptor against the frame sent. */
static void rx_expect(QRtl *d, const uint8_t *frame, size_t len,
                      uint32_t *opts1, uint32_t *opts2)
{
    uint8_t buf[BUF_CAP];
    uint32_t o1 = 0, o2 = 0;
    int n = qrtl_cp_rx(d, &o1, &o2, buf, sizeof(buf), 3000);

    g_assert_cmpint(n, ==, (int)len + 4);
    g_assert_cmphex(o1 & (RTL_DESC_OWN | RTL_DESC_FS | RTL_DESC_LS), ==,
                    RTL_DESC_FS | RTL_DESC_LS);
    g_assert_cmphex(o1 & (RTL_RXS_RES | RTL_RXS_FOVF | RTL_RXS_CRCF |
                          RTL_RXS_RUNTF | RTL_RXS_LONGF), ==, 0);
    g_assert_cmpmem(buf, len, frame, len);
    g_assert_cmphex(qrtl_le32(buf + len), ==, qrtl_crc32(frame, len));
    if (opts1) {
        *opts1 = o1;
    }
    if (opts2) {
        *opts2 = o2;
    }
}

/* RX ring: descriptors used in order, EOR wraps, OWN handed back. */
static void test_rx_ring(void)
{
    QRtl *d = start_cp(16, 16, 0, 0);
    uint8_t frame[MAX_FRAME];
    uint16_t seq = 0;
    int batch, i;

    qrtl_w16(d, RTL_IMR, RTL_INT_ROK);
    for (batch = 0; batch < 6; batch++) {
        uint16_t first = seq;

        for (i = 0; i < 7; i++, seq++) {
            size_t len = 60 + (seq * 211u) % (MAX_FRAME - 59);

            qrtl_simple_frame(frame, len, d->mac, seq);
            qrtl_wire_send(d, frame, len);
        }
        g_assert_true(qrtl_wait_irq(d, 3000));
        for (i = 0; i < 7; i++) {
            uint16_t s = (uint16_t)(first + i);
            size_t len = 60 + (s * 211u) % (MAX_FRAME - 59);

            qrtl_simple_frame(frame, len, d->mac, s);
            rx_expect(d, frame, len, NULL, NULL);
        }
        qrtl_w16(d, RTL_ISR, RTL_INT_ROK);
        g_assert_false(qrtl_irq(d));
    }
    qrtl_simple_frame(frame, 100, bcast, 0x999);
    qrtl_wire_send(d, frame, 100);
    rx_expect(d, frame, 100, NULL, NULL);
    qrtl_stop(d);
}

/*
 * C+CR RxVLAN: a tagged frame arrives without its tag; opts2 has TAVA and
 * the tag (byte-swapped, as 8139cp reads it). Off: delivered unchanged.
 */
static void test_rx_vlan(void)
{
    QRtl *d = start_cp(16, 16, RTL_CPCR_RXVLAN, 0);
    uint8_t tagged[BUF_CAP], plain[BUF_CAP];
    QRtlFrameSpec spec;
    uint32_t o2 = 0;
    size_t tlen, plen;

    qrtl_frame_spec_init(&spec);
    spec.payload_len = 200;
    plen = qrtl_build_frame(plain, sizeof(plain), &spec, NULL);
    spec.vlan = true;
    spec.tci = 0x6064;
    tlen = qrtl_build_frame(tagged, sizeof(tagged), &spec, NULL);
    g_assert_cmpuint(tlen, ==, plen + 4);

    qrtl_wire_send(d, tagged, tlen);
    rx_expect(d, plain, plen, NULL, &o2);
    g_assert_cmphex(o2 & RTL_RXD_TAVA, ==, RTL_RXD_TAVA);
    g_assert_cmphex(o2 & 0xffff, ==, swab16(0x6064));

    qrtl_wire_send(d, plain, plen);
    rx_expect(d, plain, plen, NULL, &o2);
    g_assert_cmphex(o2 & RTL_RXD_TAVA, ==, 0);

    /* 8139cp cp_set_features rewrites CpCmd at run time. */
    qrtl_w16(d, RTL_CPCR, qrtl_cp_cpcmd(0));
    qrtl_wire_send(d, tagged, tlen);
    rx_expect(d, tagged, tlen, NULL, &o2);
    g_assert_cmphex(o2 & RTL_RXD_TAVA, ==, 0);
    qrtl_stop(d);
}

static void rx_csum_case(QRtl *d, QRtlFrameSpec *spec, int corrupt,
                         unsigned want_pid, uint32_t want_fail)
{
    uint8_t frame[BUF_CAP];
    QRtlFrameInfo fi;
    uint32_t o1 = 0;
    size_t len = qrtl_build_frame(frame, sizeof(frame), spec, &fi);

    if (corrupt == 1) {
        frame[fi.l3_off + 10] ^= 0x55;      /* IP header checksum */
    } else if (corrupt == 2) {
        frame[fi.payload_off] ^= 0x01;      /* L4 payload */
    }
    qrtl_wire_send(d, frame, len);
    rx_expect(d, frame, len, &o1, NULL);
    g_assert_cmpuint(o1 >> RTL_RXS_PID_SHIFT & RTL_RXS_PID_MASK, ==,
                     want_pid);
    g_assert_cmphex(o1 & (RTL_RXS_IPF | RTL_RXS_UDPF | RTL_RXS_TCPF), ==,
                    want_fail);
}

/*
 * C+CR RxChkSum: RX descriptor PID1:0 (00 non-IP, 01 TCP/IP, 10 UDP/IP,
 * 11 other IP) and IPF/UDPF/TCPF failure bits, which 8139cp's
 * cp_rx_csum_ok() turns into CHECKSUM_UNNECESSARY.
 */
static void test_rx_csum(void)
{
    QRtl *d = start_cp(16, 16, RTL_CPCR_RXCSUM, 0);
    QRtlFrameSpec spec;

    qrtl_frame_spec_init(&spec);
    spec.payload_len = 301;

    spec.l4 = QRTL_L4_TCP;
    rx_csum_case(d, &spec, 0, RTL_PID_TCP, 0);
    rx_csum_case(d, &spec, 2, RTL_PID_TCP, RTL_RXS_TCPF);
    spec.ip_opt_len = 12;
    spec.tcp_opt_len = 12;
    rx_csum_case(d, &spec, 0, RTL_PID_TCP, 0);
    spec.ip_opt_len = 0;
    spec.tcp_opt_len = 0;

    spec.l4 = QRTL_L4_UDP;
    rx_csum_case(d, &spec, 0, RTL_PID_UDP, 0);
    rx_csum_case(d, &spec, 2, RTL_PID_UDP, RTL_RXS_UDPF);

    spec.l4 = QRTL_L4_ICMP;
    rx_csum_case(d, &spec, 0, RTL_PID_IP, 0);
    spec.l4 = QRTL_L4_IP;
    rx_csum_case(d, &spec, 0, RTL_PID_IP, 0);

    spec.l4 = QRTL_L4_NONE;
    spec.ethertype = 0x0806;
    rx_csum_case(d, &spec, 0, RTL_PID_NONIP, 0);

    /* A bad IP header checksum sets IPF. */
    {
        uint8_t frame[BUF_CAP];
        QRtlFrameInfo fi;
        uint32_t o1 = 0;
        size_t len;

        spec.l4 = QRTL_L4_TCP;
        len = qrtl_build_frame(frame, sizeof(frame), &spec, &fi);
        frame[fi.l3_off + 10] ^= 0x55;
        qrtl_wire_send(d, frame, len);
        rx_expect(d, frame, len, &o1, NULL);
        g_assert_cmphex(o1 & RTL_RXS_IPF, ==, RTL_RXS_IPF);
    }
    qrtl_stop(d);
}

/*
 * No free RX descriptor: the NIC reports RDU (ISR bit 4) and must hold
 * further frames (back-pressure), not drop them; once 8139cp gives
 * descriptors back, every frame arrives, in order.
 */
static void test_rx_no_desc(void)
{
    QRtl *d = start_cp(16, 4, 0, 0);
    uint8_t frame[MAX_FRAME], buf[BUF_CAP];
    const unsigned count = 14;
    unsigned got = 0, i, round;

    qrtl_w16(d, RTL_IMR, RTL_INT_ROK | RTL_INT_RXOVW);
    for (i = 0; i < count; i++) {
        qrtl_simple_frame(frame, 300 + i, d->mac, (uint16_t)i);
        qrtl_wire_send(d, frame, 300 + i);
    }
    for (round = 0; got < count && round < 10; round++) {
        unsigned filled = MIN(4u, count - got);
        gint64 end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;

        /* Wait for the NIC to use every descriptor it owns. */
        for (i = 0; i < filled; i++) {
            uint32_t o1 = RTL_DESC_OWN;
            unsigned idx = (got + i) % 4;

            while ((o1 & RTL_DESC_OWN) && g_get_monotonic_time() < end) {
                qrtl_cp_desc_read(d, d->cp_rx_ring + 16 * idx, &o1, NULL,
                                  NULL);
                if (o1 & RTL_DESC_OWN) {
                    qrtl_settle(d, 1);
                }
            }
            g_assert_cmphex(o1 & RTL_DESC_OWN, ==, 0);
        }
        if (got + filled < count) {
            uint16_t isr = qrtl_wait_isr(d, RTL_INT_RXOVW, 2000);

            g_assert_cmphex(isr & RTL_INT_RXOVW, ==, RTL_INT_RXOVW);
            /* Held, not dropped: nothing more is consumed meanwhile. */
            qrtl_settle(d, 200);
        }
        /* 8139cp cp_rx_poll acks the RX causes before it refills. */
        qrtl_w16(d, RTL_ISR, RTL_INT_ROK | RTL_INT_RXOVW);
        for (i = 0; i < filled; i++) {
            uint32_t o1 = 0;
            int n = qrtl_cp_rx(d, &o1, NULL, buf, sizeof(buf), 100);

            g_assert_cmpint(n, ==, 300 + (int)got + 4);
            qrtl_simple_frame(frame, 300 + got, d->mac, (uint16_t)got);
            g_assert_cmpmem(buf, 300 + got, frame, 300 + got);
            got++;
        }
        qrtl_cp_rx_kick(d);
    }
    g_assert_cmpuint(got, ==, count);
    g_assert_cmpint(qrtl_cp_rx(d, NULL, NULL, buf, sizeof(buf), 200), ==, -1);
    qrtl_stop(d);
}

/*
 * RX descriptor buffer size (opts1 12:0, the most the NIC may store in
 * that buffer): a frame larger than the buffer is either spread over
 * several descriptors (FS ... LS, 8139C+ RX descriptor format) or
 * dropped or flagged as an error; never written past the buffer, never
 * reported as one good frame, and it does not stall the frames behind it.
 */
static void test_rx_buffer_size(void)
{
    QRtl *d = start_cp(16, 4, 0, 0);
    uint8_t big[MAX_FRAME], small[300], buf[BUF_CAP];
    const size_t bsz = 600;
    size_t acc = 0;
    unsigned i;
    bool done = false;

    /* cp_init gave 1536-byte buffers; shrink them, with canaries after. */
    d->cp_rx_buf_size = bsz;
    for (i = 0; i < 4; i++) {
        d->cp_rx_buf[i] = qtest_guest_alloc(d->qts, bsz + 256, 64);
        qtest_memset(d->qts, d->cp_rx_buf[i] + bsz, 0xee, 256);
        qrtl_cp_rx_refill(d, i);
    }
    qrtl_simple_frame(big, 1400, d->mac, 1);
    qrtl_simple_frame(small, 300, d->mac, 2);
    qrtl_wire_send(d, big, 1400);
    qrtl_wire_send(d, small, 300);
    for (i = 0; i < 8 && !done; i++) {
        uint32_t o1 = 0;
        int n = qrtl_cp_rx(d, &o1, NULL, buf, sizeof(buf), 3000);
        bool whole = (o1 & (RTL_DESC_FS | RTL_DESC_LS)) ==
                     (RTL_DESC_FS | RTL_DESC_LS);

        g_assert_cmpint(n, >=, 0);
        if (whole && !(o1 & RTL_RXS_RES) && n == 304 &&
            memcmp(buf, small, 300) == 0) {
            done = true;
            break;
        }
        /* A piece of the big frame, or an error report for it. */
        g_assert_true(!whole || (o1 & RTL_RXS_RES) || n < 1404);
        if (o1 & RTL_DESC_FS) {
            acc = 0;
        }
        if (!(o1 & RTL_RXS_RES) && acc < 1400) {
            size_t k = MIN(bsz, 1400 - acc);

            g_assert_cmpmem(buf, k, big + acc, k);
            acc += bsz;
        }
    }
    g_assert_true(done);
    for (i = 0; i < 4; i++) {
        uint8_t guard[256];
        unsigned k;

        qtest_memread(d->qts, d->cp_rx_buf[i] + bsz, guard, sizeof(guard));
        for (k = 0; k < sizeof(guard); k++) {
            g_assert_cmphex(guard[k], ==, 0xee);
        }
    }
    qrtl_stop(d);
}

/*
 * IntrMitigate is read/write; with 0 the RX interrupt is immediate, with
 * the largest setting it is still raised within a bounded (virtual) time.
 */
static void test_intr_mitigate(void)
{
    QRtl *d = start_cp(16, 16, 0, 0);
    uint8_t frame[200];
    int i;

    qrtl_w16(d, RTL_INTRMIT, 0x5a5a);
    g_assert_cmphex(qrtl_r16(d, RTL_INTRMIT), ==, 0x5a5a);

    qrtl_w16(d, RTL_INTRMIT, 0);
    qrtl_w16(d, RTL_IMR, RTL_INT_ROK);
    qrtl_simple_frame(frame, 200, d->mac, 1);
    qrtl_wire_send(d, frame, 200);
    g_assert_true(qrtl_wait_irq(d, 3000));
    rx_expect(d, frame, 200, NULL, NULL);
    qrtl_w16(d, RTL_ISR, RTL_INT_ROK);
    g_assert_false(qrtl_irq(d));

    qrtl_w16(d, RTL_INTRMIT, 0xffff);
    qrtl_simple_frame(frame, 200, d->mac, 2);
    qrtl_wire_send(d, frame, 200);
    /* The frame lands whatever the moderation. */
    for (i = 0; i < 3000; i++) {
        uint32_t o1;

        qrtl_cp_desc_read(d, d->cp_rx_ring + 16 * d->cp_rx_tail, &o1, NULL,
                          NULL);
        if (!(o1 & RTL_DESC_OWN)) {
            break;
        }
        qrtl_settle(d, 1);
    }
    for (i = 0; i < 1000 && !qrtl_irq(d); i++) {
        qtest_clock_step(d->qts, 1000 * 1000);
    }
    g_assert_true(qrtl_irq(d));
    g_assert_cmphex(qrtl_r16(d, RTL_ISR) & RTL_INT_ROK, ==, RTL_INT_ROK);
    rx_expect(d, frame, 200, NULL, NULL);
    qrtl_stop(d);
}

static uint64_t tally_u(const uint8_t *t, unsigned off, unsigned size)
{
    switch (size) {
    case 2:
        return qrtl_le16(t + off);
    case 4:
        return qrtl_le32(t + off);
    default:
        return qrtl_le64(t + off);
    }
}

/* DTCCR fields (8139C+ datasheet, "Dump Tally Counter Command"). */
enum {
    T_TXOK = 0, T_RXOK = 8, T_TXER = 16, T_RXER = 24, T_MISS = 28,
    T_FAE = 30, T_TX1COL = 32, T_TXMCOL = 36, T_RXOKPHY = 40,
    T_RXOKBRD = 48, T_RXOKMUL = 56, T_TXABT = 60, T_TXUNDRN = 62,
};

/*
 * DTCCR: Cmd starts a 64-byte dump to the 64-byte aligned address and
 * self-clears when done. Every byte of the block is written (dumping over
 * 00s and over FFs gives the same block) and nothing past it.
 */
static void test_tally(void)
{
    QRtl *d = start_cp(16, 16, 0, RTL_RCR_AM);
    uint64_t a = qtest_guest_alloc(d->qts, 128, 64);
    uint64_t b = qtest_guest_alloc(d->qts, 128, 64);
    uint8_t t0[128], t1[128], t2[128], frame[300], got[BUF_CAP];
    uint8_t mc[6] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 };
    static const struct {
        unsigned off, size;
    } errs[] = {
        { T_TXER, 8 }, { T_RXER, 4 }, { T_MISS, 2 }, { T_FAE, 2 },
        { T_TX1COL, 4 }, { T_TXMCOL, 4 }, { T_TXABT, 2 }, { T_TXUNDRN, 2 },
    };
    unsigned i;

    qrtl_w32(d, RTL_MAR0, 0xffffffff);
    qrtl_w32(d, RTL_MAR0 + 4, 0xffffffff);
    qtest_memset(d->qts, a, 0x00, 128);
    qtest_memset(d->qts, b, 0xff, 128);
    g_assert_true(qrtl_dump_tally(d, a));
    g_assert_true(qrtl_dump_tally(d, b));
    qtest_memread(d->qts, a, t0, 128);
    qtest_memread(d->qts, b, t1, 128);
    g_assert_cmpmem(t0, RTL_TALLY_SIZE, t1, RTL_TALLY_SIZE);
    for (i = RTL_TALLY_SIZE; i < 128; i++) {
        g_assert_cmphex(t0[i], ==, 0x00);
        g_assert_cmphex(t1[i], ==, 0xff);
    }

    for (i = 0; i < 5; i++) {
        qrtl_simple_frame(frame, 100 + i, other, (uint16_t)i);
        g_assert_cmpint(tx_one(d, frame, 100 + i, 0, 0, got, sizeof(got)),
                        ==, 100 + (int)i);
    }
    for (i = 0; i < 6; i++) {
        const uint8_t *dst = i < 3 ? d->mac : (i < 5 ? bcast : mc);
        /* RX status: MAR (bit 26), PAM (25), BAR (24). */
        uint32_t want = i < 3 ? RTL_RXS_PAMF : (i < 5 ? RTL_RXS_BARF :
                                                RTL_RXS_MARF);
        uint32_t o1 = 0;

        qrtl_simple_frame(frame, 200, dst, (uint16_t)i);
        qrtl_wire_send(d, frame, 200);
        rx_expect(d, frame, 200, &o1, NULL);
        g_assert_cmphex(o1 & (RTL_RXS_MARF | RTL_RXS_PAMF | RTL_RXS_BARF),
                        ==, want);
    }
    qtest_memset(d->qts, a, 0x5a, 128);
    g_assert_true(qrtl_dump_tally(d, a));
    qtest_memread(d->qts, a, t2, 128);

    g_assert_cmpuint(tally_u(t2, T_TXOK, 8) - tally_u(t0, T_TXOK, 8), ==, 5);
    g_assert_cmpuint(tally_u(t2, T_RXOK, 8) - tally_u(t0, T_RXOK, 8), ==, 6);
    g_assert_cmpuint(tally_u(t2, T_RXOKPHY, 8) - tally_u(t0, T_RXOKPHY, 8),
                     ==, 3);
    g_assert_cmpuint(tally_u(t2, T_RXOKBRD, 8) - tally_u(t0, T_RXOKBRD, 8),
                     ==, 2);
    g_assert_cmpuint(tally_u(t2, T_RXOKMUL, 4) - tally_u(t0, T_RXOKMUL, 4),
                     ==, 1);
    for (i = 0; i < G_N_ELEMENTS(errs); i++) {
        g_assert_cmpuint(tally_u(t2, errs[i].off, errs[i].size), ==,
                         tally_u(t0, errs[i].off, errs[i].size));
    }
    for (i = RTL_TALLY_SIZE; i < 128; i++) {
        g_assert_cmphex(t2[i], ==, 0x5a);
    }
    qrtl_stop(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/rtl8139/cplus/init", test_init);
    g_test_add_func("/rtl8139/cplus/tx/ring", test_tx_ring);
    g_test_add_func("/rtl8139/cplus/tx/idle-poll", test_tx_idle_poll);
    g_test_add_func("/rtl8139/cplus/tx/swint", test_tx_swint);
    g_test_add_func("/rtl8139/cplus/tx/csum", test_tx_csum);
    g_test_add_func("/rtl8139/cplus/tx/largesend", test_tx_largesend);
    g_test_add_func("/rtl8139/cplus/tx/vlan", test_tx_vlan);
    g_test_add_func("/rtl8139/cplus/rx/ring", test_rx_ring);
    g_test_add_func("/rtl8139/cplus/rx/vlan", test_rx_vlan);
    g_test_add_func("/rtl8139/cplus/rx/csum", test_rx_csum);
    g_test_add_func("/rtl8139/cplus/rx/no-desc", test_rx_no_desc);
    g_test_add_func("/rtl8139/cplus/rx/buffer-size", test_rx_buffer_size);
    g_test_add_func("/rtl8139/cplus/intr-mitigate", test_intr_mitigate);
    g_test_add_func("/rtl8139/cplus/tally", test_tally);

    return g_test_run();
}
