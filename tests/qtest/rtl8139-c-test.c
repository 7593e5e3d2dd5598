/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rtl8139 C mode qtests, driven the way Linux 8139too drives the chip: the
 * RX ring buffer at RBSTART (8/16/32/64 KiB, RCR.WRAP), CAPR/CBR with the
 * -16 offset, the RX packet header, the address filters, RX overflow with
 * back-pressure, the four TSD/TSAD transmit slots, MAC loopback, and C
 * mode still working on a C+ chip whose C+ registers were touched.
 * Expected values come from the RTL8139C(L) datasheet.
 */
#include <string.h>
#include <unistd.h>

#include "libqos/rtl8139.h"

#define MAX_FRAME 1514
#define BUF_CAP 2048

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };

static QRtl *start_c(unsigned rblen_idx, bool wrap, uint32_t accept)
{
    QRtl *d = qrtl_start(QRTL_REV_C);

    qrtl_c_init(d, rblen_idx, wrap, accept);
    return d;
}

/*
 * Receive one packet and check it is `frame` (len bytes) followed by its
 * CRC (the header length counts the 4 CRC bytes, which the NIC stores).
 * Returns the header status.
 */
static uint16_t rx_expect(QRtl *d, const uint8_t *frame, size_t len)
{
    uint8_t buf[BUF_CAP + 8];
    uint16_t status = 0;
    int n;

    n = qrtl_c_rx(d, &status, buf, sizeof(buf), 3000);
    g_assert_cmpint(n, ==, (int)len + 4);
    g_assert_cmphex(status & RTL_RXS_ROK, ==, RTL_RXS_ROK);
    g_assert_cmphex(status & (RTL_RXS_FAE | RTL_RXS_CRC | RTL_RXS_LONG |
                              RTL_RXS_RUNT | RTL_RXS_ISE), ==, 0);
    g_assert_cmpmem(buf, len, frame, len);
    g_assert_cmphex(qrtl_le32(buf + len), ==, qrtl_crc32(frame, len));
    return status;
}

/* Registers read back what the 8139too bring-up wrote. */
static void test_init(void)
{
    QRtl *d = start_c(2, true, RTL_RCR_AB | RTL_RCR_APM);
    uint32_t tcr = RTL_TCR_IFG96 | 6u << 8 | 8u << 4;
    int i;

    g_assert_cmphex(qrtl_r32(d, RTL_RBSTART), ==, (uint32_t)d->rx_ring);
    g_assert_cmphex(qrtl_r32(d, RTL_RCR), ==,
                    qrtl_c_rcr(d, RTL_RCR_AB | RTL_RCR_APM));
    g_assert_cmphex(qrtl_r32(d, RTL_TCR) & 0x03070ff0, ==, tcr);
    g_assert_cmphex(qrtl_r32(d, RTL_TCR) & RTL_TCR_HWVERID_MASK, ==,
                    RTL_TCR_HWVER_8139C);
    g_assert_cmphex(qrtl_r8(d, RTL_CR), ==,
                    RTL_CR_RE | RTL_CR_TE | RTL_CR_BUFE);
    for (i = 0; i < 4; i++) {
        g_assert_cmphex(qrtl_r32(d, RTL_TSAD0 + 4 * i), ==,
                        (uint32_t)d->tx_buf[i]);
    }
    qrtl_stop(d);
}

/*
 * TSD: write SIZE and ERTXTH with OWN = 0 to start; the NIC sets OWN when
 * the DMA is done and TOK when the packet went out; SIZE and ERTXTH keep
 * their values. TSAD (60h) mirrors TOK/OWN per slot. ISR.TOK is raised.
 */
static void test_tx_slots(void)
{
    QRtl *d = start_c(0, true, RTL_RCR_APM);
    uint8_t frame[MAX_FRAME], got[BUF_CAP];
    unsigned i, slot;

    qrtl_w16(d, RTL_IMR, RTL_INT_TOK);
    for (i = 0; i < 12; i++) {
        size_t len = 60 + (i * 131) % (MAX_FRAME - 59);
        uint32_t tsd, ertxth = (i * 11) & 0x3f;
        uint16_t tsad;

        qrtl_simple_frame(frame, len, other, (uint16_t)i);
        d->tx_ertxth = ertxth;
        slot = qrtl_c_tx(d, frame, len);
        g_assert_cmpuint(slot, ==, i % 4);
        tsd = qrtl_c_tx_wait(d, slot, 3000);
        g_assert_cmphex(tsd, ==, RTL_TSD_OWN | RTL_TSD_TOK |
                        ertxth << RTL_TSD_ERTXTH_SHIFT | (uint32_t)len);
        tsad = qrtl_r16(d, RTL_TSAD);
        g_assert_cmphex(tsad & (1u << (12 + slot)), !=, 0);
        g_assert_cmphex(tsad & (1u << slot), !=, 0);
        g_assert_cmpint(qrtl_wire_recv(d, got, sizeof(got), 3000), ==,
                        (int)len);
        g_assert_cmpmem(got, len, frame, len);
        g_assert_cmphex(qrtl_r16(d, RTL_ISR) & RTL_INT_TOK, ==,
                        RTL_INT_TOK);
        g_assert_true(qrtl_irq(d));
        qrtl_w16(d, RTL_ISR, RTL_INT_TOK);
        g_assert_false(qrtl_irq(d));
    }

    /* All four slots queued before anything is read from the wire. */
    d->tx_ertxth = 8;
    for (i = 0; i < 4; i++) {
        qrtl_simple_frame(frame, 200 + i, other, (uint16_t)(100 + i));
        qrtl_c_tx(d, frame, 200 + i);
    }
    for (i = 0; i < 4; i++) {
        g_assert_cmphex(qrtl_c_tx_wait(d, i, 3000) & RTL_TSD_TOK, ==,
                        RTL_TSD_TOK);
    }
    for (i = 0; i < 4; i++) {
        g_assert_cmpint(qrtl_wire_recv(d, got, sizeof(got), 3000), ==,
                        200 + (int)i);
        g_assert_cmphex(qrtl_be16(got + 14), ==, 100 + i);
    }
    qrtl_stop(d);
}

/* RX header status per address type; CRC stored; short frames padded. */
static void test_rx_basic(void)
{
    QRtl *d = start_c(0, true, RTL_RCR_APM | RTL_RCR_AB);
    uint8_t frame[MAX_FRAME], buf[BUF_CAP];
    uint16_t status;
    int n, i;

    qrtl_w16(d, RTL_IMR, RTL_INT_ROK);
    d->rx_ack = false;
    qrtl_simple_frame(frame, 300, d->mac, 1);
    qrtl_wire_send(d, frame, 300);
    g_assert_true(qrtl_wait_irq(d, 3000));
    g_assert_cmphex(qrtl_r16(d, RTL_ISR) & RTL_INT_ROK, ==, RTL_INT_ROK);
    status = rx_expect(d, frame, 300);
    g_assert_cmphex(status & (RTL_RXS_PAM | RTL_RXS_BAR | RTL_RXS_MAR), ==,
                    RTL_RXS_PAM);
    qrtl_w16(d, RTL_ISR, RTL_INT_ROK);
    g_assert_false(qrtl_irq(d));
    g_assert_false(qrtl_c_rx_pending(d));

    qrtl_simple_frame(frame, MAX_FRAME, bcast, 2);
    qrtl_wire_send(d, frame, MAX_FRAME);
    status = rx_expect(d, frame, MAX_FRAME);
    g_assert_cmphex(status & (RTL_RXS_PAM | RTL_RXS_BAR | RTL_RXS_MAR), ==,
                    RTL_RXS_BAR);

    /*
     * A 42-byte frame from the host (an ARP from a tap) is shorter than
     * the wire minimum: it must arrive as a good packet, padded with
     * zeros (never with stale bytes) or unpadded.
     */
    qrtl_simple_frame(frame, 42, d->mac, 3);
    qtest_memset(d->qts, d->rx_ring + qrtl_c_rx_offset(d), 0x5a, 256);
    qrtl_wire_send(d, frame, 42);
    n = qrtl_c_rx(d, &status, buf, sizeof(buf), 3000);
    g_assert_true(n == 42 + 4 || n == 60 + 4);
    g_assert_cmphex(status & (RTL_RXS_ROK | RTL_RXS_RUNT), ==, RTL_RXS_ROK);
    g_assert_cmpmem(buf, 42, frame, 42);
    for (i = 42; i < n - 4; i++) {
        g_assert_cmphex(buf[i], ==, 0);
    }
    g_assert_cmphex(qrtl_le32(buf + n - 4), ==, qrtl_crc32(buf, n - 4));
    qrtl_stop(d);
}

/* Wait until CBR says `bytes` were stored since the ring was empty. */
static bool wait_cbr(QRtl *d, uint32_t expect, int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        uint32_t cbr = qrtl_r16(d, RTL_CBR) % d->rx_size;
        uint32_t diff = (expect % d->rx_size - cbr) % d->rx_size;

        /* CBR may or may not include the dword alignment padding. */
        if (diff <= 3) {
            return true;
        }
        if (g_get_monotonic_time() > end) {
            return false;
        }
        qrtl_settle(d, 1);
    }
}

static uint32_t slot_bytes(size_t frame_len)
{
    return (uint32_t)((frame_len + 4 + 4 + 3) & ~3u);
}

/*
 * Fill toward the end of the ring, then one packet that does not fit
 * before the end. With WRAP = 0 (and always at 64K, where "this bit is
 * invalid") the rest goes to the start of the buffer; with WRAP = 1 it is
 * written past the end and the start of the ring stays as it was. Either
 * way the next packet starts at the dword-aligned offset X past the top.
 */
static void check_wrap(unsigned rblen_idx, bool wrap)
{
    QRtl *d = start_c(rblen_idx, wrap, RTL_RCR_APM);
    bool linear = wrap && rblen_idx < 3;
    uint8_t frame[MAX_FRAME], before[1024], after[1024];
    size_t len = 1000;
    uint32_t step = slot_bytes(len), off;
    unsigned i, fit = (unsigned)(d->rx_size / step);

    for (i = 0; i < fit; i++) {
        qrtl_simple_frame(frame, len, d->mac, (uint16_t)i);
        qrtl_wire_send(d, frame, len);
        rx_expect(d, frame, len);
    }
    off = qrtl_c_rx_offset(d);
    g_assert_cmpuint(off, ==, fit * step);
    g_assert_cmpuint(off + 4 + len, >, d->rx_size);

    qtest_memread(d->qts, d->rx_ring, before, sizeof(before));
    qrtl_simple_frame(frame, len, d->mac, 0x7777);
    qrtl_wire_send(d, frame, len);
    g_assert_true(qrtl_c_rx_wait(d, 3000));
    g_assert_true(wait_cbr(d, off + step, 3000));
    qtest_memread(d->qts, d->rx_ring, after, sizeof(after));
    if (linear) {
        uint8_t tail[MAX_FRAME];
        size_t in_ring = d->rx_size - (off + 4);

        g_assert_cmpmem(after, sizeof(after), before, sizeof(before));
        qtest_memread(d->qts, d->rx_ring + d->rx_size, tail, len - in_ring);
        g_assert_cmpmem(tail, len - in_ring, frame + in_ring,
                        len - in_ring);
    } else {
        size_t in_ring = d->rx_size - (off + 4);

        g_assert_cmpmem(after, len - in_ring, frame + in_ring,
                        len - in_ring);
    }
    /* The reader (8139too wrap_copy semantics for 64K) sees the frame. */
    rx_expect(d, frame, len);
    g_assert_cmpuint(qrtl_c_rx_offset(d), ==,
                     (off + step) % (uint32_t)d->rx_size);

    /* And the next packet lands at X. */
    qrtl_simple_frame(frame, 700, d->mac, 0x8888);
    qrtl_wire_send(d, frame, 700);
    g_assert_true(qrtl_c_rx_wait(d, 3000));
    rx_expect(d, frame, 700);
    g_assert_true(qrtl_c_guard_ok(d));
    qrtl_stop(d);
}

static void test_rx_wrap(void)
{
    check_wrap(0, false);
}

static void test_rx_wrap_bit(void)
{
    check_wrap(0, true);
    check_wrap(1, true);
}

static void test_rx_wrap_64k(void)
{
    check_wrap(3, true);
    check_wrap(3, false);
}

/*
 * Every ring size, around the ring several times with packets of many
 * sizes, read in batches as NAPI does; CAPR written as (u16)(cur_rx - 16)
 * with cur_rx never reduced modulo the ring (8139too), so the NIC must
 * take CAPR modulo the ring size.
 */
static void check_ring_size(unsigned idx)
{
    QRtl *d = start_c(idx, idx < 3, RTL_RCR_APM);
    uint8_t frame[MAX_FRAME];
    uint32_t total = 0;
    uint16_t seq = 0;

    while (total < d->rx_size * 5 / 2) {
        uint32_t batch = 0;
        uint16_t first = seq;
        uint16_t s;

        /* Queue up to a quarter of the ring, then drain. */
        while (batch < d->rx_size / 4) {
            size_t len = 60 + (seq * 389u) % (MAX_FRAME - 59);

            qrtl_simple_frame(frame, len, d->mac, seq);
            qrtl_wire_send(d, frame, len);
            batch += slot_bytes(len);
            seq++;
        }
        g_assert_true(wait_cbr(d, d->cur_rx + batch, 5000));
        for (s = first; s != seq; s++) {
            size_t len = 60 + (s * 389u) % (MAX_FRAME - 59);

            qrtl_simple_frame(frame, len, d->mac, s);
            rx_expect(d, frame, len);
        }
        total += batch;
        g_assert_false(qrtl_c_rx_pending(d));
        /* CAPR reads back what was written, modulo the ring. */
        g_assert_cmpuint((uint32_t)(qrtl_r16(d, RTL_CAPR) + 16) %
                         d->rx_size, ==, qrtl_c_rx_offset(d));
    }
    g_assert_true(qrtl_c_guard_ok(d));
    qrtl_stop(d);
}

static void test_ring_sizes(void)
{
    unsigned idx;

    for (idx = 0; idx < 4; idx++) {
        check_ring_size(idx);
    }
}

/*
 * CR.BUFE against CBR and CAPR: the ring is empty exactly when
 * CBR == CAPR + 16 (the -16 offset 8139too writes).
 */
static void test_capr_bufe(void)
{
    QRtl *d = start_c(0, true, RTL_RCR_APM);
    uint8_t f[3][MAX_FRAME];
    size_t len[3] = { 100, 61, 1514 };
    uint32_t end = 0;
    int i;

    g_assert_false(qrtl_c_rx_pending(d));
    for (i = 0; i < 3; i++) {
        qrtl_simple_frame(f[i], len[i], d->mac, (uint16_t)i);
        qrtl_wire_send(d, f[i], len[i]);
        end += slot_bytes(len[i]);
    }
    g_assert_true(wait_cbr(d, end, 3000));
    for (i = 0; i < 3; i++) {
        g_assert_true(qrtl_c_rx_pending(d));
        rx_expect(d, f[i], len[i]);
    }
    g_assert_false(qrtl_c_rx_pending(d));
    g_assert_cmpuint(qrtl_c_rx_offset(d), ==, end);
    g_assert_cmphex(qrtl_r16(d, RTL_CAPR), ==, (uint16_t)(end - 16));
    qrtl_stop(d);
}

/* Send frames; the last (`sentinel`) must be the next packet received. */
static void expect_only(QRtl *d, const uint8_t *sentinel, size_t len,
                        uint16_t want_addr_bits)
{
    uint16_t status = rx_expect(d, sentinel, len);

    g_assert_cmphex(status & (RTL_RXS_PAM | RTL_RXS_BAR | RTL_RXS_MAR), ==,
                    want_addr_bits);
    g_assert_false(qrtl_c_rx_pending(d));
}

static void set_rcr(QRtl *d, uint32_t accept)
{
    qrtl_w32(d, RTL_RCR, qrtl_c_rcr(d, accept));
}

/*
 * RCR AAP/APM/AM/AB and the 64-bit multicast hash in MAR0-7 (bit number =
 * top 6 bits of the Ethernet CRC of the address, as the drivers set it).
 */
static void test_rx_filters(void)
{
    QRtl *d = start_c(1, true, RTL_RCR_APM);
    uint8_t mc_a[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
    uint8_t mc_b[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x02 };
    uint8_t frame[200];
    unsigned bin_a = qrtl_mc_bin(mc_a);
    uint8_t mar[8] = { 0 };
    int i;

    while (qrtl_mc_bin(mc_b) == bin_a) {
        mc_b[5]++;
    }

    /* APM only. */
    qrtl_simple_frame(frame, 100, other, 1);
    qrtl_wire_send(d, frame, 100);
    qrtl_simple_frame(frame, 100, bcast, 2);
    qrtl_wire_send(d, frame, 100);
    qrtl_simple_frame(frame, 100, mc_a, 3);
    qrtl_wire_send(d, frame, 100);
    qrtl_simple_frame(frame, 100, d->mac, 4);
    qrtl_wire_send(d, frame, 100);
    expect_only(d, frame, 100, RTL_RXS_PAM);

    /* AB. */
    set_rcr(d, RTL_RCR_APM | RTL_RCR_AB);
    qrtl_simple_frame(frame, 100, bcast, 5);
    qrtl_wire_send(d, frame, 100);
    expect_only(d, frame, 100, RTL_RXS_BAR);

    /*
     * AM with an empty hash: nothing. Each phase ends with an accepted
     * frame, so the rejected ones before it were filtered under that
     * phase's settings (the backend delivers in order).
     */
    set_rcr(d, RTL_RCR_APM | RTL_RCR_AM);
    qrtl_simple_frame(frame, 100, mc_a, 6);
    qrtl_wire_send(d, frame, 100);
    qrtl_simple_frame(frame, 100, d->mac, 7);
    qrtl_wire_send(d, frame, 100);
    expect_only(d, frame, 100, RTL_RXS_PAM);

    /* AM with every hash bit does not imply AB. */
    qrtl_w32(d, RTL_MAR0, 0xffffffff);
    qrtl_w32(d, RTL_MAR0 + 4, 0xffffffff);
    qrtl_simple_frame(frame, 100, bcast, 8);
    qrtl_wire_send(d, frame, 100);
    qrtl_simple_frame(frame, 100, d->mac, 8);
    qrtl_wire_send(d, frame, 100);
    expect_only(d, frame, 100, RTL_RXS_PAM);

    /* Hash with only A's bin: B rejected, A accepted with MAR status. */
    mar[bin_a >> 3] = (uint8_t)(1u << (bin_a & 7));
    qrtl_w32(d, RTL_MAR0, qrtl_le32(mar));
    qrtl_w32(d, RTL_MAR0 + 4, qrtl_le32(mar + 4));
    qrtl_simple_frame(frame, 100, mc_b, 9);
    qrtl_wire_send(d, frame, 100);
    qrtl_simple_frame(frame, 100, mc_a, 10);
    qrtl_wire_send(d, frame, 100);
    expect_only(d, frame, 100, RTL_RXS_MAR);
    for (i = 0; i < 8; i++) {
        mar[i] = 0xff;
    }
    qrtl_w32(d, RTL_MAR0, qrtl_le32(mar));
    qrtl_w32(d, RTL_MAR0 + 4, qrtl_le32(mar + 4));
    qrtl_simple_frame(frame, 100, mc_b, 11);
    qrtl_wire_send(d, frame, 100);
    expect_only(d, frame, 100, RTL_RXS_MAR);

    /* AAP: any unicast, without PAM unless it is ours. */
    set_rcr(d, RTL_RCR_AAP | RTL_RCR_APM);
    qrtl_simple_frame(frame, 100, other, 12);
    qrtl_wire_send(d, frame, 100);
    expect_only(d, frame, 100, 0);
    qrtl_simple_frame(frame, 100, d->mac, 13);
    qrtl_wire_send(d, frame, 100);
    expect_only(d, frame, 100, RTL_RXS_PAM);

    /* No APM: our own unicast is rejected too. */
    set_rcr(d, RTL_RCR_AB);
    qrtl_simple_frame(frame, 100, d->mac, 14);
    qrtl_wire_send(d, frame, 100);
    qrtl_simple_frame(frame, 100, bcast, 15);
    qrtl_wire_send(d, frame, 100);
    expect_only(d, frame, 100, RTL_RXS_BAR);
    qrtl_stop(d);
}

/*
 * More packets than the ring holds, unread: the NIC raises RxOverflow
 * (ISR bit 4) and must not overwrite unread packets nor lose any: the
 * rest arrive once the driver frees space by advancing CAPR.
 */
static void test_rx_overflow(void)
{
    QRtl *d = start_c(0, true, RTL_RCR_APM);
    uint8_t frame[MAX_FRAME];
    const unsigned count = 24;
    size_t len = 1000;
    unsigned i;
    uint16_t isr;

    qrtl_w16(d, RTL_IMR, RTL_INT_ROK | RTL_INT_RXOVW);
    for (i = 0; i < count; i++) {
        qrtl_simple_frame(frame, len, d->mac, (uint16_t)i);
        qrtl_wire_send(d, frame, len);
    }
    isr = qrtl_wait_isr(d, RTL_INT_RXOVW, 3000);
    g_assert_cmphex(isr & RTL_INT_RXOVW, ==, RTL_INT_RXOVW);
    g_assert_true(qrtl_irq(d));
    for (i = 0; i < count; i++) {
        qrtl_simple_frame(frame, len, d->mac, (uint16_t)i);
        rx_expect(d, frame, len);
    }
    g_assert_false(qrtl_c_rx_wait(d, 200));
    g_assert_true(qrtl_c_guard_ok(d));
    qrtl_stop(d);
}

/* CR.RE = 0: the receiver is off; nothing is written to the ring. */
static void test_rx_disabled(void)
{
    QRtl *d = start_c(0, true, RTL_RCR_APM);
    uint8_t frame[200];

    qrtl_w8(d, RTL_CR, RTL_CR_TE);
    qrtl_simple_frame(frame, 100, d->mac, 1);
    qrtl_wire_send(d, frame, 100);
    g_assert_false(qrtl_c_rx_wait(d, 300));
    g_assert_cmphex(qrtl_r16(d, RTL_CBR), ==, 0);
    qrtl_w8(d, RTL_CR, RTL_CR_TE | RTL_CR_RE);
    qrtl_simple_frame(frame, 100, d->mac, 2);
    qrtl_wire_send(d, frame, 100);
    expect_only(d, frame, 100, RTL_RXS_PAM);
    qrtl_stop(d);
}

/*
 * TCR LBK = 11 (loopback mode): transmitted packets come back to the
 * receiver and are not put on the network.
 */
static void test_tx_loopback(void)
{
    QRtl *d = start_c(0, true, RTL_RCR_APM);
    uint8_t frame[300];
    uint32_t tcr = qrtl_r32(d, RTL_TCR);

    qrtl_w32(d, RTL_TCR, tcr | RTL_TCR_LBK);
    qrtl_simple_frame(frame, 300, d->mac, 0x4c42);
    qrtl_c_tx(d, frame, 300);
    g_assert_cmphex(qrtl_c_tx_wait(d, 0, 3000) & RTL_TSD_TOK, ==,
                    RTL_TSD_TOK);
    rx_expect(d, frame, 300);
    g_assert_true(qrtl_wire_quiet(d, 300));

    qrtl_w32(d, RTL_TCR, tcr & ~RTL_TCR_LBK);
    qrtl_c_tx(d, frame, 300);
    g_assert_cmphex(qrtl_c_tx_wait(d, 1, 3000) & RTL_TSD_TOK, ==,
                    RTL_TSD_TOK);
    g_assert_cmpint(qrtl_wire_recv(d, frame, sizeof(frame), 3000), ==, 300);
    g_assert_false(qrtl_c_rx_wait(d, 200));
    qrtl_stop(d);
}

/*
 * A C+ chip driven in C mode (iPXE, older Windows drivers): C+ registers
 * that do not alias C mode ones (TNPDS/THPDS are TSAD0-3, DTCCR is
 * TSD0-1) are written, CpCmd included but without
 * its C+ TX/RX enables. TSD0-3 stay transmit slots (not DTCCR), TxPoll
 * does nothing, and receive still uses the RBSTART ring, until the driver
 * switches modes through CpCmd.
 */
static void test_after_cplus_regs(void)
{
    QRtl *d = qrtl_start(NULL);
    uint8_t frame[MAX_FRAME], got[BUF_CAP];
    uint64_t bogus_ring = qtest_guest_alloc(d->qts, 1024, 256);
    unsigned i;

    qrtl_c_init(d, 0, true, RTL_RCR_APM);
    qrtl_simple_frame(frame, 64, other, 0xbad);
    /* Descriptors a confused NIC would find: all owned, valid frames. */
    for (i = 0; i < 64; i++) {
        uint64_t buf = qrtl_copy_to_guest(d, frame, 64);

        qrtl_cp_desc_write(d, bogus_ring + 16 * i, RTL_DESC_OWN |
                           RTL_DESC_FS | RTL_DESC_LS | 64, 0, buf);
    }
    qrtl_w16(d, RTL_CPCR, RTL_CPCR_MULRW | RTL_CPCR_RXCSUM |
             RTL_CPCR_RXVLAN);
    qrtl_w16(d, RTL_INTRMIT, 0);
    qrtl_w16(d, RTL_RMS, 1536);
    qrtl_w8(d, RTL_ETTHR, 0x06);
    qrtl_w32(d, RTL_RDSAR, (uint32_t)bogus_ring);
    qrtl_w32(d, RTL_RDSAR + 4, 0);
    qrtl_w8(d, RTL_TPPOLL, RTL_TPPOLL_NPQ | RTL_TPPOLL_HPQ);
    g_assert_true(qrtl_wire_quiet(d, 300));

    for (i = 0; i < 8; i++) {
        size_t len = 60 + i * 150;
        uint32_t tsd;

        qrtl_simple_frame(frame, len, other, (uint16_t)(0x100 + i));
        qrtl_c_tx(d, frame, len);
        tsd = qrtl_c_tx_wait(d, i % 4, 3000);
        g_assert_cmphex(tsd & (RTL_TSD_OWN | RTL_TSD_TOK |
                               RTL_TSD_SIZE_MASK), ==,
                        RTL_TSD_OWN | RTL_TSD_TOK | (uint32_t)len);
        g_assert_cmpint(qrtl_wire_recv(d, got, sizeof(got), 3000), ==,
                        (int)len);
        g_assert_cmpmem(got, len, frame, len);
    }
    qrtl_simple_frame(frame, 400, d->mac, 0x200);
    qrtl_wire_send(d, frame, 400);
    rx_expect(d, frame, 400);
    /* The bogus RX ring was not used. */
    for (i = 0; i < 64; i++) {
        uint32_t o1;

        qrtl_cp_desc_read(d, bogus_ring + 16 * i, &o1, NULL, NULL);
        g_assert_cmphex(o1, ==, RTL_DESC_OWN | RTL_DESC_FS |
                        RTL_DESC_LS | 64);
    }

    /* Switching to C+ (as 8139cp does) then works. */
    qrtl_cp_init(d, 16, 16, 1536, 0, 0);
    qrtl_simple_frame(frame, 500, other, 0x300);
    i = qrtl_cp_tx_frame(d, frame, 500, 0, 0);
    g_assert_true(qrtl_cp_tx_wait(d, i, 3000, NULL));
    g_assert_cmpint(qrtl_wire_recv(d, got, sizeof(got), 3000), ==, 500);
    g_assert_cmpmem(got, 500, frame, 500);
    qrtl_stop(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/rtl8139/c/init", test_init);
    g_test_add_func("/rtl8139/c/tx/slots", test_tx_slots);
    g_test_add_func("/rtl8139/c/tx/loopback", test_tx_loopback);
    g_test_add_func("/rtl8139/c/tx/after-cplus-regs", test_after_cplus_regs);
    g_test_add_func("/rtl8139/c/rx/basic", test_rx_basic);
    g_test_add_func("/rtl8139/c/rx/wrap", test_rx_wrap);
    g_test_add_func("/rtl8139/c/rx/wrap-bit", test_rx_wrap_bit);
    g_test_add_func("/rtl8139/c/rx/wrap-64k", test_rx_wrap_64k);
    g_test_add_func("/rtl8139/c/rx/ring-sizes", test_ring_sizes);
    g_test_add_func("/rtl8139/c/rx/capr-bufe", test_capr_bufe);
    g_test_add_func("/rtl8139/c/rx/filters", test_rx_filters);
    g_test_add_func("/rtl8139/c/rx/overflow", test_rx_overflow);
    g_test_add_func("/rtl8139/c/rx/disabled", test_rx_disabled);

    return g_test_run();
}
