/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The e1000 model in process (see e1000-test.h): RX descriptor prefetch.
 * Descriptors the guest handed over are read ahead in bursts (SDM 3.2.4)
 * but never used once the guest took them back (RDT moved back) or moved
 * the ring (RDBAL/RDLEN/RDH), and a burst that cannot be read whole still
 * lets every readable descriptor be used: only a frame whose own
 * descriptor is unreadable is dropped.
 */
#include "e1000-test.h"

#define ALT_BUF 0x300000
#define RING2 0x88000
#define RING2_BUF 0x200000

/* DMA reads the device made of [gpa, gpa + len). */
static unsigned reads_of(Fixture *f, hwaddr gpa, size_t len)
{
    unsigned n = 0;
    guint i;

    for (i = 0; i < f->rec.ops->len; i++) {
        const DmaOp *op = &g_array_index(f->rec.ops, DmaOp, i);

        if (!op->write && dma_overlaps(op, gpa, len)) {
            n++;
        }
    }
    return n;
}

/* Receive a `len`-byte frame whose payload bytes are all `tag`. */
static void rx_tagged(Fixture *f, size_t len, uint8_t tag)
{
    uint8_t fr[256];

    rx_frame(fr, guest_mac, len);
    memset(fr + 14, tag, len - 14);
    g_assert_true(net_backend_receive(&f->net.be, fr, len));
}

/* 40 frames into a 64-entry ring: the descriptors are read once. */
static void test_prefetch_burst(Fixture *f, gconstpointer data)
{
    unsigned i;

    rx_setup(f, 64, E1000_RCTL_SECRC);
    f->rec.on = true;
    for (i = 0; i < 40; i++) {
        rx_tagged(f, 100, (uint8_t)i);
    }
    f->rec.on = false;
    g_assert_cmpuint(reads_of(f, RX_RING, 64 * 16), ==, 1);
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 40);
    for (i = 0; i < 40; i++) {
        g_assert_cmphex(rxd(f, i)[12] & 3, ==, 3);
        g_assert_cmpuint(ld16_le(rxd(f, i) + 8), ==, 100);
        g_assert_cmpuint(rxbuf(f, i)[14], ==, i);
        g_assert_cmpuint(rxbuf(f, i)[99], ==, i);
    }
}

/*
 * The guest takes descriptors back (RDT moved back), re-posts one with a
 * new buffer and hands them over again: the new address is used.
 */
static void test_prefetch_rdt_back(Fixture *f, gconstpointer data)
{
    unsigned i;

    rx_setup(f, 16, E1000_RCTL_SECRC);
    rx_tagged(f, 100, 0xa0);
    wr(f, E1000_RDT, 3);
    st64_le(rxd(f, 5), ALT_BUF);
    wr(f, E1000_RDT, 15);
    for (i = 1; i < 8; i++) {
        rx_tagged(f, 100, (uint8_t)(0xa0 + i));
    }
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 8);
    g_assert_cmpuint(f->ram[ALT_BUF + 14], ==, 0xa5);
    g_assert_cmpuint(rxbuf(f, 5)[14], ==, 0);
    g_assert_cmpuint(rxbuf(f, 4)[14], ==, 0xa4);
    g_assert_cmpuint(rxbuf(f, 6)[14], ==, 0xa6);
}

/* Writing RDT forward keeps what was fetched and fetches the rest. */
static void test_prefetch_rdt_forward(Fixture *f, gconstpointer data)
{
    uint8_t fr[80];
    unsigned i;

    rx_setup(f, 32, E1000_RCTL_SECRC);
    wr(f, E1000_RDT, 4);
    for (i = 0; i < 4; i++) {
        rx_tagged(f, 80, (uint8_t)(0x10 + i));
    }
    /* Ring full: the fifth frame is held and lands on the RDT write. */
    rx_frame(fr, guest_mac, sizeof(fr));
    memset(fr + 14, 0x14, sizeof(fr) - 14);
    g_assert_false(net_backend_receive(&f->net.be, fr, sizeof(fr)));
    wr(f, E1000_RDT, 20);
    for (i = 5; i < 20; i++) {
        rx_tagged(f, 80, (uint8_t)(0x10 + i));
    }
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 20);
    for (i = 0; i < 20; i++) {
        g_assert_cmphex(rxd(f, i)[12] & 3, ==, 3);
        g_assert_cmpuint(rxbuf(f, i)[20], ==, 0x10 + i);
    }
}

/* A new ring (RDBAL, RDLEN, RDH written) is read afresh. */
static void test_prefetch_ring_moved(Fixture *f, gconstpointer data)
{
    unsigned i;

    rx_setup(f, 16, E1000_RCTL_SECRC);
    rx_tagged(f, 100, 0x11);
    for (i = 0; i < 8; i++) {
        memset(f->ram + RING2 + 16 * i, 0, 16);
        st64_le(f->ram + RING2 + 16 * i, RING2_BUF + i * 0x800);
    }
    wr(f, E1000_RDBAL, RING2);
    wr(f, E1000_RDLEN, 8 * 16);
    wr(f, E1000_RDH, 0);
    wr(f, E1000_RDT, 7);
    rx_tagged(f, 100, 0x22);
    rx_tagged(f, 100, 0x33);
    g_assert_cmpuint(f->ram[RING2_BUF + 14], ==, 0x22);
    g_assert_cmpuint(f->ram[RING2_BUF + 0x800 + 14], ==, 0x33);
    g_assert_cmphex(f->ram[RING2 + 12] & 3, ==, 3);
    g_assert_cmpuint(rxbuf(f, 1)[14], ==, 0);
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 2);

    /* RDH alone, rewound over slots already used. */
    st64_le(f->ram + RING2, ALT_BUF);
    wr(f, E1000_RDH, 0);
    rx_tagged(f, 100, 0x44);
    g_assert_cmpuint(f->ram[ALT_BUF + 14], ==, 0x44);
}

/*
 * The ring runs off the end of RAM after three descriptors: every burst
 * read fails, the readable descriptors are still used one by one, and
 * only the frame that needs the fourth is dropped (MPC), fail-closed.
 */
static void test_prefetch_partial(Fixture *f, gconstpointer data)
{
    const hwaddr ring = RAM_SIZE - 3 * 16;
    unsigned i;

    for (i = 0; i < 3; i++) {
        memset(f->ram + ring + 16 * i, 0, 16);
        st64_le(f->ram + ring + 16 * i, RX_BUF + i * RX_BUF_STRIDE);
    }
    wr(f, E1000_RDBAL, (uint32_t)ring);
    wr(f, E1000_RDBAH, 0);
    wr(f, E1000_RDLEN, 8 * 16);
    wr(f, E1000_RDH, 0);
    wr(f, E1000_RDT, 7);
    wr(f, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_SECRC);
    for (i = 0; i < 3; i++) {
        rx_tagged(f, 100, (uint8_t)(0x50 + i));
        g_assert_cmpuint(rxbuf(f, i)[14], ==, 0x50 + i);
        g_assert_cmphex(f->ram[ring + 16 * i + 12] & 3, ==, 3);
    }
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 3);
    rx_tagged(f, 100, 0x53);
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 3);
    g_assert_cmpuint(rd(f, E1000_MPC), ==, 1);
    g_assert_cmpuint(rd(f, E1000_GPRC), ==, 3);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn)                                                         \
    g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/e1000/rx/prefetch/burst", test_prefetch_burst);
    ADD("/e1000/rx/prefetch/rdt-back", test_prefetch_rdt_back);
    ADD("/e1000/rx/prefetch/rdt-forward", test_prefetch_rdt_forward);
    ADD("/e1000/rx/prefetch/ring-moved", test_prefetch_ring_moved);
    ADD("/e1000/rx/prefetch/partial", test_prefetch_partial);
#undef ADD
    return g_test_run();
}
