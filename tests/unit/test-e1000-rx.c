/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The e1000 model in process (see e1000-test.h): RX into the descriptor
 * ring, write-back order, address filters, checksum offload, frames over
 * several buffers and back-pressure.
 */
#include "e1000-test.h"

/* ---- RX ---- */

static void test_rx_basic(Fixture *f, gconstpointer data)
{
    uint8_t fr[2000];
    size_t len = rx_frame(fr, guest_mac, 100);
    uint8_t *d;

    rx_setup(f, 8, E1000_RCTL_BAM);
    wr(f, E1000_IMS, E1000_ICR_RXT0);
    g_assert_true(net_backend_receive(&f->net.be, fr, len));
    d = rxd(f, 0);
    g_assert_cmpuint(ld16_le(d + 8), ==, len + 4);
    g_assert_cmphex(d[12] & 3, ==, E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP);
    g_assert_cmpuint(d[13], ==, 0);
    g_assert_cmpmem(rxbuf(f, 0), len, fr, len);
    g_assert_cmphex(ld32_le(rxbuf(f, 0) + len), ==, t_crc32(fr, len));
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 1);
    g_assert_true(f->irq.level);
    g_assert_true(rd(f, E1000_ICR) & E1000_ICR_RXT0);

    /* SECRC strips the CRC; a short frame is padded with zeros. */
    wr(f, E1000_RCTL, rd(f, E1000_RCTL) | E1000_RCTL_SECRC);
    memset(rxbuf(f, 1), 0xee, 64);
    g_assert_true(net_backend_receive(&f->net.be, fr, 20));
    g_assert_cmpuint(ld16_le(rxd(f, 1) + 8), ==, 60);
    g_assert_cmpmem(rxbuf(f, 1), 20, fr, 20);
    g_assert_cmpuint(rxbuf(f, 1)[59], ==, 0);
    g_assert_cmpuint(rxbuf(f, 1)[60], ==, 0xee);

    /* RDTR delays RXT0; FPD flushes it. */
    rd(f, E1000_ICR);
    wr(f, E1000_RDTR, 100);
    g_assert_true(net_backend_receive(&f->net.be, fr, len));
    g_assert_false(f->irq.level);
    clock_step(f->clock, 100 * 1024 - 1);
    g_assert_false(f->irq.level);
    clock_step(f->clock, 1);
    g_assert_true(f->irq.level);
    rd(f, E1000_ICR);
    g_assert_true(net_backend_receive(&f->net.be, fr, len));
    g_assert_false(f->irq.level);
    wr(f, E1000_RDTR, 100 | E1000_RDTR_FPD);
    g_assert_true(f->irq.level);

    g_assert_cmpuint(rd(f, E1000_GPRC), ==, 4);
    g_assert_cmpuint(rd(f, E1000_GPRC), ==, 0);
}

/*
 * RX write-back ordering. The guest polls DD and clears the status byte
 * while the NIC runs (Linux does so as soon as it sees DD). Each
 * descriptor's status byte must be stored last and only once, after its
 * buffer and the other write-back fields: a second store of it landing
 * after the guest's clear shows the driver a stale DD, and it gets ahead
 * of the NIC for good (the 8-byte write-back used to go through memcpy,
 * which stores those bytes twice).
 */
static void test_rx_writeback_order(Fixture *f, gconstpointer data)
{
    static const unsigned fields[] = { 8, 9, 10, 11, 13, 14, 15 };
    uint8_t fr[1600];
    size_t len = rx_frame(fr, guest_mac, 600);
    unsigned i, j;
    int prev = -1;

    /* 256-byte buffers, no CRC: 600 bytes in 3 descriptors, then 60. */
    rx_setup(f, 8, E1000_RCTL_SECRC | (3u << E1000_RCTL_BSIZE_SHIFT));
    for (i = 0; i < 8; i++) {
        memset(rxd(f, i) + 8, 0xa5, 8);
        rxd(f, i)[12] = 0;
    }
    f->rec.on = true;
    g_assert_true(net_backend_receive(&f->net.be, fr, len));
    g_assert_true(net_backend_receive(&f->net.be, fr, 60));
    f->rec.on = false;
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 4);
    for (i = 0; i < 4; i++) {
        hwaddr desc = RX_RING + 16 * i;
        size_t chunk = i < 2 ? 256 : i == 2 ? 600 - 512 : 60;
        int idx = check_status_last(&f->rec, desc, desc + 12,
                                    RX_BUF + i * RX_BUF_STRIDE, chunk);

        /* Length, checksum, errors, special: all stored before. */
        for (j = 0; j < G_N_ELEMENTS(fields); j++) {
            int w = dma_last(&f->rec, true, desc + fields[j], 1);

            g_assert_cmpint(w, >=, 0);
            g_assert_cmpint(w, <, idx);
        }
        /* Descriptors are published in ring order. */
        g_assert_cmpint(idx, >, prev);
        prev = idx;
        g_assert_cmpuint(ld16_le(rxd(f, i) + 8), ==, chunk);
        g_assert_cmphex(rxd(f, i)[12] & (E1000_RXD_STAT_DD |
                                         E1000_RXD_STAT_EOP), ==,
                        E1000_RXD_STAT_DD |
                        (i >= 2 ? E1000_RXD_STAT_EOP : 0));
        g_assert_cmpuint(rxd(f, i)[13], ==, 0);
        g_assert_cmpuint(ld16_le(rxd(f, i) + 14), ==, 0);
    }
}

static void test_rx_filters(Fixture *f, gconstpointer data)
{
    static const uint8_t other[6] = { 0x52, 0x54, 0, 0, 0, 1 };
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
    uint8_t fr[128];
    unsigned hash;

    rx_setup(f, 16, 0);
    rx_frame(fr, other, 64);
    g_assert_true(net_backend_receive(&f->net.be, fr, 64));
    rx_frame(fr, bcast, 64);
    g_assert_true(net_backend_receive(&f->net.be, fr, 64));
    rx_frame(fr, mcast, 64);
    g_assert_true(net_backend_receive(&f->net.be, fr, 64));
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 0);
    g_assert_cmpuint(rd(f, E1000_TPR), ==, 3);

    /* Broadcast with BAM; multicast through the MTA hash (MO = 0). */
    wr(f, E1000_RCTL, rd(f, E1000_RCTL) | E1000_RCTL_BAM);
    rx_frame(fr, bcast, 64);
    g_assert_true(net_backend_receive(&f->net.be, fr, 64));
    hash = ((mcast[4] >> 4) | (mcast[5] << 4)) & 0xfff;
    wr(f, E1000_MTA + 4 * (hash >> 5), 1u << (hash & 31));
    rx_frame(fr, mcast, 64);
    g_assert_true(net_backend_receive(&f->net.be, fr, 64));
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 2);
    g_assert_cmpuint(rd(f, E1000_BPRC), ==, 1);
    g_assert_cmpuint(rd(f, E1000_MPRC), ==, 1);

    /* A second exact address; unicast promiscuous. */
    wr(f, E1000_RA + 8, ld32_le(other));
    wr(f, E1000_RA + 12, ld16_le(other + 4) | E1000_RAH_AV);
    rx_frame(fr, other, 64);
    g_assert_true(net_backend_receive(&f->net.be, fr, 64));
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 3);
    wr(f, E1000_RA + 12, 0);
    g_assert_true(net_backend_receive(&f->net.be, fr, 64));
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 3);
    wr(f, E1000_RCTL, rd(f, E1000_RCTL) | E1000_RCTL_UPE);
    g_assert_true(net_backend_receive(&f->net.be, fr, 64));
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 4);

    /* VLAN: filter by VFTA, strip with CTRL.VME. */
    rx_frame(fr, guest_mac, 80);
    put16(fr + 12, 0x8100);
    put16(fr + 14, 0x6064); /* PCP 3, VID 100 */
    put16(fr + 16, 0x0800);
    wr(f, E1000_RCTL, rd(f, E1000_RCTL) | E1000_RCTL_VFE);
    g_assert_true(net_backend_receive(&f->net.be, fr, 80));
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 4);
    wr(f, E1000_VFTA + 4 * (100 >> 5), 1u << (100 & 31));
    wr(f, E1000_CTRL, rd(f, E1000_CTRL) | E1000_CTRL_VME);
    g_assert_true(net_backend_receive(&f->net.be, fr, 80));
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 5);
    g_assert_true(rxd(f, 4)[12] & E1000_RXD_STAT_VP);
    g_assert_cmphex(ld16_le(rxd(f, 4) + 14), ==, 0x6064);
    g_assert_cmpuint(ld16_le(rxd(f, 4) + 8), ==, 76 + 4);
    g_assert_cmphex(be16(rxbuf(f, 4) + 12), ==, 0x0800);
    g_assert_cmpmem(rxbuf(f, 4) + 14, 62, fr + 18, 62);
}

static void test_rx_csum(Fixture *f, gconstpointer data)
{
    uint8_t fr[256];
    size_t len = build_tcp(fr, false, 40, 0x10);
    uint32_t pseudo;
    uint8_t *d = rxd(f, 0);

    memcpy(fr, guest_mac, 6);
    put16(fr + 16, (uint16_t)(len - 14));
    put16(fr + 24, (uint16_t)~t_fold(t_sum(0, fr + 14, 20)));
    put16(fr + 50, 0);
    pseudo = t_sum(0, fr + 26, 8) + 6 + (uint32_t)(len - 34);
    put16(fr + 50, (uint16_t)~t_fold(t_sum(pseudo, fr + 34, len - 34)));
    rx_setup(f, 8, E1000_RCTL_SECRC);
    g_assert_true(net_backend_receive(&f->net.be, fr, len));
    g_assert_cmphex(d[12] & (E1000_RXD_STAT_IPCS | E1000_RXD_STAT_TCPCS |
                             E1000_RXD_STAT_IXSM), ==,
                    E1000_RXD_STAT_IPCS | E1000_RXD_STAT_TCPCS);
    g_assert_cmpuint(d[13], ==, 0);
    fr[len - 1] ^= 1;
    g_assert_true(net_backend_receive(&f->net.be, fr, len));
    g_assert_cmphex(rxd(f, 1)[13], ==, E1000_RXD_ERR_TCPE);
}

static void test_rx_multi_buffer(Fixture *f, gconstpointer data)
{
    uint8_t fr[1600];
    size_t len = rx_frame(fr, guest_mac, 1000);
    unsigned i;

    /* 256-byte buffers (BSIZE 11b), CRC kept: 1004 bytes in 4 buffers. */
    rx_setup(f, 8, 3u << E1000_RCTL_BSIZE_SHIFT);
    g_assert_true(net_backend_receive(&f->net.be, fr, len));
    for (i = 0; i < 4; i++) {
        uint8_t *d = rxd(f, i);

        g_assert_cmpuint(ld16_le(d + 8), ==, i < 3 ? 256 : 1004 - 768);
        g_assert_cmphex(d[12] & 3, ==,
                        E1000_RXD_STAT_DD | (i == 3 ? E1000_RXD_STAT_EOP
                                                    : 0));
        g_assert_cmpmem(rxbuf(f, i), MIN(256u, len - 256 * i),
                        fr + 256 * i, MIN(256u, len - 256 * i));
    }
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 4);

    /* Oversized without LPE: dropped and counted. */
    rx_frame(fr, guest_mac, 1519);
    g_assert_true(net_backend_receive(&f->net.be, fr, 1519));
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 4);
    g_assert_cmpuint(rd(f, E1000_ROC), ==, 1);
}

static void test_rx_backpressure(Fixture *f, gconstpointer data)
{
    uint8_t fr[300];
    unsigned i;

    rx_frame(fr, guest_mac, sizeof(fr));
    rx_setup(f, 8, E1000_RCTL_SECRC);
    for (i = 0; i < 7; i++) {
        g_assert_true(net_backend_receive(&f->net.be, fr, 100 + i));
    }
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 7);
    /* Ring full: the frame is held, reading stops. */
    g_assert_false(net_backend_receive(&f->net.be, fr, 107));
    g_assert_false(f->net.rx_enabled);
    g_assert_cmpuint(rd(f, E1000_RNBC), ==, 1);
    g_assert_true(rd(f, E1000_ICR) & E1000_ICR_RXO);
    /* The guest returns one buffer: the held frame lands there. */
    wr(f, E1000_RDT, 0);
    g_assert_true(f->net.rx_enabled);
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 0);
    g_assert_cmpuint(ld16_le(rxd(f, 7) + 8), ==, 107);
    /* A 300-byte frame needs two 256-byte buffers; one is free. */
    wr(f, E1000_RCTL, rd(f, E1000_RCTL) | (3u << E1000_RCTL_BSIZE_SHIFT));
    wr(f, E1000_RDT, 1);
    g_assert_false(net_backend_receive(&f->net.be, fr, 300));
    g_assert_cmpuint(rd(f, E1000_RNBC), ==, 1);
    wr(f, E1000_RDT, 2);
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 2);
    g_assert_cmphex(rxd(f, 1)[12] & 3, ==, 3);

    /* RX disabled: frames are consumed and dropped. */
    wr(f, E1000_RCTL, 0);
    g_assert_true(net_backend_receive(&f->net.be, fr, 104));
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 2);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn)                                                         \
    g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/e1000/rx/basic", test_rx_basic);
    ADD("/e1000/rx/filters", test_rx_filters);
    ADD("/e1000/rx/writeback-order", test_rx_writeback_order);
    ADD("/e1000/rx/csum", test_rx_csum);
    ADD("/e1000/rx/multi-buffer", test_rx_multi_buffer);
    ADD("/e1000/rx/backpressure", test_rx_backpressure);
#undef ADD
    return g_test_run();
}
