/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The e1000 model in process (see e1000-test.h): TX with legacy and
 * context descriptors, checksum offload, TSO over IPv4 and IPv6 (in the
 * model and handed to an offloading backend), back-pressure, and the
 * order of descriptor write-backs.
 */
#include "e1000-test.h"

/* ---- TX ---- */

static void test_tx_legacy(Fixture *f, gconstpointer data)
{
    uint8_t *p = f->ram + TX_BUF;
    size_t len, i;
    GByteArray *fr;
    uint32_t sum;

    /* IPv4/UDP, UDP checksum seeded with the pseudo-header sum. */
    len = build_eth(p, peer_mac, 0x0800);
    memset(p + 14, 0, 20);
    p[14] = 0x45;
    put16(p + 16, 20 + 8 + 30);
    p[22] = 64;
    p[23] = 17;
    put32(p + 26, 0x0a000001);
    put32(p + 30, 0x0a000002);
    put16(p + 34, 1000);
    put16(p + 36, 2000);
    put16(p + 38, 8 + 30);
    for (i = 0; i < 30; i++) {
        p[42 + i] = (uint8_t)i;
    }
    put16(p + 40, t_fold(t_sum(0, p + 26, 8) + 17 + 38));
    len = 72;

    tx_setup(f, 8);
    wr(f, E1000_IMS, E1000_ICR_TXDW);
    /* Two descriptors, checksum fields on the first. */
    put_legacy(f, 0, TX_BUF, 40, E1000_TXD_CMD_IC | E1000_TXD_CMD_RS, 40,
               34);
    put_legacy(f, 1, TX_BUF + 40, (uint16_t)(len - 40),
               E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS | E1000_TXD_CMD_IFCS, 0,
               0);
    wr(f, E1000_TDT, 2);
    g_assert_cmpuint(f->net.sent->len, ==, 1);
    fr = sent_frame(f, 0);
    g_assert_cmpuint(fr->len, ==, len);
    sum = t_sum(0, fr->data + 26, 8) + 17 + 38;
    g_assert_cmphex(t_fold(t_sum(sum, fr->data + 34, 38)), ==, 0xffff);
    g_assert_cmpmem(fr->data + 42, 30, p + 42, 30);
    g_assert_true(tx_done(f, 0));
    g_assert_true(tx_done(f, 1));
    g_assert_cmpuint(rd(f, E1000_TDH), ==, 2);
    g_assert_true(f->irq.level);
    g_assert_cmphex(rd(f, E1000_ICR) & E1000_ICR_TXDW, ==, E1000_ICR_TXDW);

    /* A short frame is padded with zeros (TCTL.PSP), VLAN tag inserted. */
    wr(f, E1000_CTRL, rd(f, E1000_CTRL) | E1000_CTRL_VME);
    put_legacy(f, 2, TX_BUF, 20, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS |
               E1000_TXD_CMD_VLE, 0, 0);
    st16_le(txd(f, 2) + 14, 0x2005);
    wr(f, E1000_TDT, 3);
    fr = sent_frame(f, 1);
    g_assert_cmpuint(fr->len, ==, 64);
    g_assert_cmphex(be16(fr->data + 12), ==, 0x8100);
    g_assert_cmphex(be16(fr->data + 14), ==, 0x2005);
    g_assert_cmpmem(fr->data + 16, 4, p + 12, 4);
    for (i = 20 + 4; i < 64; i++) {
        g_assert_cmpuint(fr->data[i], ==, 0);
    }

    /* A lone null descriptor (EOP, RS): written back, nothing sent. */
    put_legacy(f, 3, TX_BUF, 0, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0, 0);
    wr(f, E1000_TDT, 4);
    g_assert_true(tx_done(f, 3));
    g_assert_cmpuint(f->net.sent->len, ==, 2);

    /* Statistics: clear on read. */
    g_assert_cmpuint(rd(f, E1000_GPTC), ==, 2);
    g_assert_cmpuint(rd(f, E1000_TPT), ==, 2);
    g_assert_cmpuint(rd(f, E1000_GOTCL), ==, (72 + 4) + (64 + 4));
    g_assert_cmpuint(rd(f, E1000_GOTCH), ==, 0);
    g_assert_cmpuint(rd(f, E1000_GOTCL), ==, 0);
    g_assert_cmpuint(rd(f, E1000_GPTC), ==, 0);
}

static void test_tx_ctx_csum(Fixture *f, gconstpointer data)
{
    uint8_t *p = f->ram + TX_BUF;
    static const uint8_t off[6] = { 14, 24, 33, 34, 50, 0 };
    size_t len = build_tcp(p, false, 100, 0x18);
    GByteArray *fr;
    uint32_t pseudo;

    /* Non-TSO: the seed includes the length (CHECKSUM_PARTIAL). */
    put16(p + 16, (uint16_t)(len - 14));
    pseudo = t_sum(0, p + 26, 8) + 6 + (uint32_t)(len - 34);
    put16(p + 50, t_fold(pseudo));
    tx_setup(f, 8);
    put_ctx(f, 0, off, E1000_TXD_TUCMD_TCP | E1000_TXD_TUCMD_IP, 0, 0, 0);
    put_data(f, 1, TX_BUF, (uint32_t)len, E1000_TXD_CMD_EOP |
             E1000_TXD_CMD_RS, E1000_TXD_POPTS_IXSM | E1000_TXD_POPTS_TXSM);
    wr(f, E1000_TDT, 2);
    g_assert_cmpuint(f->net.sent->len, ==, 1);
    fr = sent_frame(f, 0);
    g_assert_cmphex(t_fold(t_sum(0, fr->data + 14, 20)), ==, 0xffff);
    pseudo = t_sum(0, fr->data + 26, 8) + 6 + (uint32_t)(len - 34);
    g_assert_cmphex(t_fold(t_sum(pseudo, fr->data + 34, len - 34)), ==,
                    0xffff);
    g_assert_true(tx_done(f, 1));
}

/* Check every segment of a TSO packet with independent arithmetic. */
static void check_tso(Fixture *f, bool v6, const uint8_t *orig,
                      size_t hdr, size_t pay, size_t mss, guint first)
{
    size_t l3 = 14, l4 = v6 ? 54 : 34;
    size_t nseg = (pay + mss - 1) / mss, k;

    g_assert_cmpuint(f->net.sent->len, ==, first + nseg);
    for (k = 0; k < nseg; k++) {
        GByteArray *fr = sent_frame(f, first + (guint)k);
        const uint8_t *s = fr->data;
        size_t chunk = MIN(mss, pay - k * mss);
        size_t tcplen = 20 + chunk;
        bool last = k == nseg - 1;
        uint32_t pseudo;

        g_assert_cmpuint(fr->len, ==, hdr + chunk);
        g_assert_cmpmem(s, 14, orig, 14);
        if (v6) {
            g_assert_cmpuint(be16(s + l3 + 4), ==, tcplen);
            pseudo = t_sum(0, s + l3 + 8, 32) + 6 + (uint32_t)tcplen;
        } else {
            g_assert_cmpuint(be16(s + l3 + 2), ==, 20 + tcplen);
            g_assert_cmpuint(be16(s + l3 + 4), ==, 0x1234 + k);
            g_assert_cmphex(t_fold(t_sum(0, s + l3, 20)), ==, 0xffff);
            pseudo = t_sum(0, s + l3 + 12, 8) + 6 + (uint32_t)tcplen;
        }
        g_assert_cmphex(be32(s + l4 + 4), ==,
                        (uint32_t)(0xfffffc00u + k * mss));
        /* FIN/PSH on the last segment, CWR on the first only. */
        g_assert_cmphex(s[l4 + 13], ==,
                        (last ? 0x19 : 0x10) | (k == 0 ? 0x80 : 0));
        g_assert_cmphex(t_fold(t_sum(pseudo, s + l4, tcplen)), ==, 0xffff);
        g_assert_cmpmem(s + hdr, chunk, orig + hdr + k * mss, chunk);
    }
}

static void run_tso(Fixture *f, bool v6, bool busy)
{
    uint8_t *p = f->ram + TX_BUF;
    size_t pay = 2500, mss = 1000;
    size_t len = build_tcp(p, v6, pay, 0x99); /* CWR ACK PSH FIN */
    size_t hdr = v6 ? 74 : 54;
    uint8_t off4[6] = { 14, 24, 33, 34, 50, 0 };
    uint8_t off6[6] = { 14, 0, 0, 54, 70, 0 };
    uint8_t tucmd = E1000_TXD_TUCMD_TCP | E1000_TXD_TUCMD_TSE |
                    (v6 ? 0 : E1000_TXD_TUCMD_IP);
    uint8_t popts = E1000_TXD_POPTS_TXSM | (v6 ? 0 : E1000_TXD_POPTS_IXSM);
    uint8_t cmd = E1000_TXD_CMD_TSE | E1000_TXD_CMD_RS;

    tx_setup(f, 8);
    put_ctx(f, 0, v6 ? off6 : off4, tucmd, (uint32_t)pay, (uint8_t)hdr,
            (uint16_t)mss);
    put_data(f, 1, TX_BUF, (uint32_t)(hdr + 700), cmd, popts);
    put_data(f, 2, TX_BUF + hdr + 700, (uint32_t)(len - hdr - 700),
             cmd | E1000_TXD_CMD_EOP, popts);
    if (busy) {
        f->net.ok_budget = 1;
    }
    wr(f, E1000_TDT, 3);
    if (busy) {
        /* One segment out, then BUSY: the packet stays in the ring. */
        g_assert_cmpuint(f->net.sent->len, ==, 1);
        g_assert_false(tx_done(f, 1));
        g_assert_false(tx_done(f, 2));
        g_assert_cmpuint(rd(f, E1000_TDH), ==, 1);
        wr(f, E1000_TDT, 3);
        g_assert_cmpuint(f->net.sent->len, ==, 1);
        f->net.ok_budget = -1;
        net_backend_tx_ready(&f->net.be);
    }
    check_tso(f, v6, p, hdr, pay, mss, 0);
    g_assert_true(tx_done(f, 2));
    g_assert_cmpuint(rd(f, E1000_TDH), ==, 3);
    g_assert_cmpuint(rd(f, E1000_TSCTC), ==, 1);
}

static void test_tso_v4(Fixture *f, gconstpointer data)
{
    run_tso(f, false, false);
}

static void test_tso_v6(Fixture *f, gconstpointer data)
{
    run_tso(f, true, false);
}

static void test_tso_busy(Fixture *f, gconstpointer data)
{
    run_tso(f, false, true);
}

/* A segmenting backend gets the whole TSO packet and what to do with it. */
static void test_tso_offload(Fixture *f, gconstpointer data)
{
    uint8_t *p = f->ram + TX_BUF;
    static const uint8_t off6[6] = { 14, 0, 0, 54, 70, 0 };
    size_t len = build_tcp(p, true, 2500, 0x18);
    GByteArray *fr;
    NetOffload *o = &f->net.last_off;

    g_assert_true(net_peer_offload_ok(f->net.be.peer));
    wr(f, E1000_CTRL, rd(f, E1000_CTRL) | E1000_CTRL_VME);
    tx_setup(f, 8);
    put_ctx(f, 0, off6, E1000_TXD_TUCMD_TCP | E1000_TXD_TUCMD_TSE, 2500, 74,
            1000);
    put_data(f, 1, TX_BUF, (uint32_t)len, E1000_TXD_CMD_TSE |
             E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS | E1000_TXD_CMD_VLE,
             E1000_TXD_POPTS_TXSM);
    st16_le(txd(f, 1) + 14, 0x0064);
    wr(f, E1000_TDT, 2);
    g_assert_cmpuint(f->net.sent->len, ==, 1);
    fr = sent_frame(f, 0);
    g_assert_cmpuint(fr->len, ==, len + 4);
    g_assert_cmphex(be16(fr->data + 12), ==, 0x8100);
    g_assert_cmphex(be16(fr->data + 14), ==, 0x0064);
    g_assert_cmpmem(fr->data + 16, len - 12, p + 12, len - 12);
    g_assert_cmpuint(o->gso_type, ==, NET_GSO_TCPV6);
    g_assert_cmpuint(o->gso_size, ==, 1000);
    g_assert_cmpuint(o->hdr_len, ==, 78);
    g_assert_true(o->csum);
    g_assert_cmpuint(o->csum_start, ==, 58);
    g_assert_cmpuint(o->csum_offset, ==, 16);
    g_assert_true(tx_done(f, 1));
    g_assert_cmpuint(rd(f, E1000_GPTC), ==, 3);
    g_assert_cmpuint(rd(f, E1000_TSCTC), ==, 1);

    /* Loopback never takes the shortcut. */
    rx_setup(f, 8, E1000_RCTL_SECRC | E1000_RCTL_UPE |
             (1u << E1000_RCTL_LBM_SHIFT));
    put_ctx(f, 2, off6, E1000_TXD_TUCMD_TCP | E1000_TXD_TUCMD_TSE, 2500, 74,
            1000);
    put_data(f, 3, TX_BUF, (uint32_t)len, E1000_TXD_CMD_TSE |
             E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, E1000_TXD_POPTS_TXSM);
    wr(f, E1000_TDT, 4);
    clock_step(f->clock, 0);
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 3);
    g_assert_cmpuint(f->net.sent->len, ==, 1);
}

static void test_tx_busy(Fixture *f, gconstpointer data)
{
    uint8_t *p = f->ram + TX_BUF;

    build_eth(p, peer_mac, 0x0800);
    tx_setup(f, 8);
    put_legacy(f, 0, TX_BUF, 60, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0,
               0);
    put_legacy(f, 1, TX_BUF, 61, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0,
               0);
    f->net.ok_budget = 0;
    wr(f, E1000_TDT, 2);
    g_assert_cmpuint(f->net.sent->len, ==, 0);
    g_assert_cmpuint(rd(f, E1000_TDH), ==, 0);
    g_assert_false(tx_done(f, 0));
    f->net.ok_budget = -1;
    net_backend_tx_ready(&f->net.be);
    g_assert_cmpuint(f->net.sent->len, ==, 2);
    g_assert_cmpuint(sent_frame(f, 1)->len, ==, 61);
    g_assert_true(tx_done(f, 1));
    g_assert_cmpuint(rd(f, E1000_TDH), ==, 2);
}

/*
 * TX write-back: DD is the only byte the NIC writes to a descriptor, as
 * one 1-byte store, after it has read the descriptor and its packet's
 * buffers (the guest reuses both as soon as it sees DD).
 */
static void test_tx_writeback_order(Fixture *f, gconstpointer data)
{
    static const struct {
        uint64_t buf;
        uint16_t len;
        uint8_t cmd;
        uint64_t pkt; /* the packet's buffer, and its length */
        size_t pkt_len;
    } d[3] = {
        { TX_BUF, 30, E1000_TXD_CMD_RS, TX_BUF, 60 },
        { TX_BUF + 30, 30, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, TX_BUF,
          60 },
        { TX_BUF + 0x100, 60, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS,
          TX_BUF + 0x100, 60 },
    };
    unsigned i, j;
    int prev = -1;

    tx_setup(f, 8);
    build_eth(f->ram + TX_BUF, peer_mac, 0x88b5);
    build_eth(f->ram + TX_BUF + 0x100, peer_mac, 0x88b5);
    for (i = 0; i < 3; i++) {
        put_legacy(f, i, d[i].buf, d[i].len, d[i].cmd, 0, 0);
    }
    f->rec.on = true;
    wr(f, E1000_TDT, 3);
    f->rec.on = false;
    g_assert_cmpuint(f->net.sent->len, ==, 2);
    for (i = 0; i < 3; i++) {
        hwaddr desc = TX_RING + 16 * i;
        int idx = check_status_last(&f->rec, desc, desc + 12, d[i].pkt,
                                    d[i].pkt_len);
        unsigned writes = 0;

        for (j = 0; j < f->rec.ops->len; j++) {
            const DmaOp *op = &g_array_index(f->rec.ops, DmaOp, j);

            writes += op->write && dma_overlaps(op, desc, 16);
        }
        g_assert_cmpuint(writes, ==, 1);
        g_assert_cmpint(idx, >, prev);
        prev = idx;
        g_assert_true(tx_done(f, i));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn)                                                         \
    g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/e1000/tx/legacy", test_tx_legacy);
    ADD("/e1000/tx/context-csum", test_tx_ctx_csum);
    ADD("/e1000/tx/tso-ipv4", test_tso_v4);
    ADD("/e1000/tx/tso-ipv6", test_tso_v6);
    ADD("/e1000/tx/tso-busy", test_tso_busy);
    ADD("/e1000/tx/busy", test_tx_busy);
    ADD("/e1000/tx/writeback-order", test_tx_writeback_order);
    g_test_add("/e1000/tx/tso-offload", Fixture, "offload", fixture_setup,
               test_tso_offload, fixture_teardown);
#undef ADD
    return g_test_run();
}
