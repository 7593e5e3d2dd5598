/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hostile-guest (security regression) qtests for emunet's e1000:
 * Register-indexed state and sweeps (class J): MDIC and EERD indexes,
 * every BAR0 and I/O BAR offset and width; guest-chosen timer
 * periods (class G); teardown while busy (class H).
 * The harness and the invariants every test checks are in
 * e1000-hostile.h.
 */
#include <string.h>

#include "e1000-hostile.h"

/* ---- class J: register-indexed state ---- */

/*
 * Invariant 10: MDIC with every PHY address and register index, reserved
 * opcodes and all-ones. Every operation completes (READY); reads of
 * absent PHYs are stable; writes to absent PHYs leave PHY 1 alone.
 */
static void test_index_mdic(void)
{
    static const unsigned stable[] = { 2, 3, 4, 9 };
    Hostile *h = h_start();
    uint16_t before[G_N_ELEMENTS(stable)];
    uint16_t first[32];

    h->phy_reset = true;
    for (unsigned i = 0; i < G_N_ELEMENTS(stable); i++) {
        before[i] = (uint16_t)h_mdic(h, E1000_MDIC_OP_READ, E1000_PHY_ADDR,
                                     stable[i], 0);
    }
    for (unsigned phy = 0; phy < 32; phy++) {
        if (phy == E1000_PHY_ADDR) {
            continue;
        }
        for (unsigned reg = 0; reg < 32; reg++) {
            first[reg] = (uint16_t)h_mdic(h, E1000_MDIC_OP_READ, phy, reg, 0);
            h_mdic(h, E1000_MDIC_OP_WRITE, phy, reg, 0xffff);
        }
        for (unsigned reg = 0; reg < 32; reg++) {
            g_assert_cmphex((uint16_t)h_mdic(h, E1000_MDIC_OP_READ, phy,
                                             reg, 0), ==, first[reg]);
        }
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(stable); i++) {
        g_assert_cmphex((uint16_t)h_mdic(h, E1000_MDIC_OP_READ,
                                         E1000_PHY_ADDR, stable[i], 0), ==,
                        before[i]);
    }
    /* PHY 1, every register, read then all-ones (BMCR last). */
    for (unsigned reg = 31; reg < 32; reg--) {
        h_mdic(h, E1000_MDIC_OP_READ, E1000_PHY_ADDR, reg, 0);
        h_mdic(h, E1000_MDIC_OP_WRITE, E1000_PHY_ADDR, reg, 0xffff);
    }
    /* Reserved opcodes 00b/11b and every bit set: no hang, no crash. */
    h_w(h, E1000_MDIC, 0xffffffff);
    h_r(h, E1000_MDIC);
    h_w(h, E1000_MDIC, 0x03ffffff);
    h_r(h, E1000_MDIC);
    h_w(h, E1000_MDIC, 0x0c000000 | 0x03ff0000);
    qtest_clock_step(h->qts, 1000 * 1000);
    h_r(h, E1000_MDIC);
    h_sane_nothing_sent(h);
    h_check_arena(h);
    h_expect_guest_error(h);
    h_stop(h);
}

/*
 * Invariant 10/7: EERD with every address the 8-bit field holds (the
 * 82540EM EEPROM has 64 words) and with all-ones. Reads complete and are
 * stable (nothing uninitialised); words 0-63 sum to 0xBABA (SDM 5.6.1).
 */
static void test_index_eerd(void)
{
    Hostile *h = h_start();
    uint16_t words[256];
    uint16_t sum = 0;

    for (unsigned a = 0; a < 256; a++) {
        words[a] = h_eerd(h, a);
    }
    for (unsigned a = 0; a < 64; a++) {
        sum += words[a];
    }
    g_assert_cmphex(sum, ==, 0xbaba);
    h_w(h, E1000_EERD, 0xffffffff);
    qtest_clock_step(h->qts, 1000 * 1000);
    h_r(h, E1000_EERD);
    h_w(h, E1000_EERD, 0xffffff01);
    qtest_clock_step(h->qts, 1000 * 1000);
    h_r(h, E1000_EERD);
    h_reset(h);
    for (unsigned a = 0; a < 256; a++) {
        g_assert_cmphex(h_eerd(h, a), ==, words[a]);
    }
    h_sane_nothing_sent(h);
    h_check_arena(h);
    h_expect_guest_error(h);
    h_stop(h);
}

/* ---- class J: every offset and width ---- */

/* Read and discard whatever the wire holds now. */
static unsigned h_wire_drain(Hostile *h)
{
    uint8_t *buf = g_malloc(H_WIRE_CAP);
    unsigned n = 0;

    while (qtest_wire_recv(h->wire, buf, H_WIRE_CAP, 0) >= 0) {
        n++;
    }
    g_free(buf);
    return n;
}

/*
 * Guest errors are rate-limited: at most LOG_GUEST_BURST (10, log.h)
 * lines per module per second, plus one "suppressed" summary each.
 */
static void h_check_rate_limited(Hostile *h, gint64 start_us)
{
    char *err = qtest_stderr(h->qts);
    gint64 secs = (g_get_monotonic_time() - start_us) / G_USEC_PER_SEC;
    unsigned lines = 0;

    for (char *p = err; (p = strstr(p, "e1000: guest error")); p++) {
        lines++;
    }
    g_test_message("%u guest error lines in %" G_GINT64_FORMAT " s", lines,
                   secs + 1);
    g_assert_cmpuint(lines, <=, 10 * (secs + 2));
    g_free(err);
}

/*
 * The register blocks the 82540EM defines (SDM Table 13-2): general,
 * interrupt and RX/TX control, PBA, the ring registers, statistics,
 * RXCSUM and the MTA/RA/VFTA arrays. Every dword of them gets every
 * width; the rest of BAR0 a 128-byte stride.
 */
static bool h_sweep_dense(uint32_t off)
{
    static const uint32_t blocks[][2] = {
        { 0x0000, 0x0200 }, { 0x0400, 0x0500 }, { 0x1000, 0x1010 },
        { 0x2800, 0x2840 }, { 0x3800, 0x3840 }, { 0x4000, 0x4100 },
        { 0x5000, 0x5010 }, { 0x5200, 0x5a00 },
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(blocks); i++) {
        if (off >= blocks[i][0] && off < blocks[i][1]) {
            return true;
        }
    }
    return false;
}

/*
 * Invariant 10: BAR0 swept with hostile values (all-ones, zero, random
 * with a fixed seed). Every aligned dword is written all-ones and random
 * and read back; 1-, 2-, 8-byte and unaligned accesses run at every byte
 * of the defined register blocks and on a 128-byte stride elsewhere; the
 * last bytes take accesses that run past the BAR; the whole BAR also
 * takes bulk (one command) 8-byte writes of all-ones, random and zero,
 * and reads. Then CTRL.RST must bring back a working device.
 */
static void test_sweep_bar0(void)
{
    Hostile *h = h_start();
    QTestState *s = h->qts;
    GRand *rnd = g_rand_new_with_seed(0x82540e);
    gint64 start = g_get_monotonic_time();
    uint8_t *bulk = g_malloc(H_BAR0_SIZE);
    uint64_t b = h->bar0;
    unsigned drained = 0;
    GPtrArray *frames;

    h->phy_reset = true;
    /* Zero at every dword comes from the bulk pass below. */
    for (uint32_t off = 0; off < H_BAR0_SIZE; off += 4) {
        qtest_writel(s, b + off, 0xffffffff);
        qtest_writel(s, b + off, g_rand_int(rnd));
        qtest_readl(s, b + off);
        if ((off & 0xfff) == 0) {
            drained += h_wire_drain(h);
        }
    }
    g_test_message("4-byte sweep: %.1f s",
                   (g_get_monotonic_time() - start) / 1e6);
    for (uint32_t off = 0; off < H_BAR0_SIZE;
         off += h_sweep_dense(off) ? 4 : 128) {
        for (unsigned k = 0; k < 4; k++) {
            uint64_t a = b + off + k;
            uint64_t r = (uint64_t)g_rand_int(rnd) << 32 | g_rand_int(rnd);

            qtest_writeb(s, a, (uint8_t)r);
            qtest_readb(s, a);
            qtest_writew(s, a, 0xffff);
            qtest_readw(s, a);
            if (k) {
                qtest_writel(s, a, (uint32_t)r);
                qtest_readl(s, a);
            }
            qtest_writeq(s, a, k & 1 ? r : ~0ull);
            qtest_readq(s, a);
        }
        if ((off & 0xfff) == 0) {
            drained += h_wire_drain(h);
        }
    }
    for (unsigned k = 1; k <= 8; k++) {
        uint64_t a = b + H_BAR0_SIZE - k;

        qtest_writeb(s, a, 0xff);
        qtest_writew(s, a, 0xffff);
        qtest_writel(s, a, 0xffffffff);
        qtest_writeq(s, a, ~0ull);
        qtest_readb(s, a);
        qtest_readw(s, a);
        qtest_readl(s, a);
        qtest_readq(s, a);
    }
    memset(bulk, 0xff, H_BAR0_SIZE);
    qtest_memwrite(s, b, bulk, H_BAR0_SIZE);
    qtest_memread(s, b, bulk, H_BAR0_SIZE);
    for (uint32_t i = 0; i < H_BAR0_SIZE; i++) {
        bulk[i] = (uint8_t)g_rand_int(rnd);
    }
    qtest_memwrite(s, b, bulk, H_BAR0_SIZE);
    qtest_memread(s, b, bulk, H_BAR0_SIZE);
    memset(bulk, 0, H_BAR0_SIZE);
    qtest_memwrite(s, b, bulk, H_BAR0_SIZE);
    drained += h_wire_drain(h);
    g_test_message("sweep: %.1f s, %u frames drained",
                   (g_get_monotonic_time() - start) / 1e6, drained);
    g_assert_true(qtest_alive(s));
    h_check_rate_limited(h, start);
    /* Sweep output was not guest frames; only the sentinel matters. */
    frames = h_sane(h);
    g_ptr_array_unref(frames);
    frames = h_sane_rx(h);
    g_assert_cmpuint(frames->len, ==, 0);
    g_ptr_array_unref(frames);
    g_free(bulk);
    g_rand_free(rnd);
    h_stop(h);
}

/*
 * Invariant 10: the I/O BAR swept at every offset and width, and the
 * IOADDR/IODATA window (SDM 13.2.2) with IOADDR beyond the 128 KiB
 * register space, unaligned, and all-ones. Afterwards the window still
 * reaches the right registers and the device works after CTRL.RST.
 */
static void test_sweep_io(void)
{
    static const uint32_t ioaddrs[] = {
        0x20000, 0x1fffc, 0x1fffd, 0x1ffff, 0x1fffe, 0x3, 0x80000,
        0x7ffffffc, 0x80000000, 0xfffffffc, 0xffffffff,
    };
    Hostile *h = h_start();
    QTestState *s = h->qts;
    GRand *rnd = g_rand_new_with_seed(0x8254);
    gint64 start = g_get_monotonic_time();
    uint64_t io = h->iobase;
    uint64_t iosize = h->dev->bar_size[1];
    GPtrArray *frames;

    h->phy_reset = true;
    g_assert_cmpuint(iosize, >=, 8);
    for (uint64_t off = 0; off < iosize; off++) {
        for (int v = 0; v < 3; v++) {
            uint32_t val = v == 0 ? 0xffffffff : v == 1 ? 0 : g_rand_int(rnd);

            qtest_outb(s, io + off, (uint8_t)val);
            qtest_inb(s, io + off);
            qtest_outw(s, io + off, (uint16_t)val);
            qtest_inw(s, io + off);
            qtest_outl(s, io + off, val);
            qtest_inl(s, io + off);
        }
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(ioaddrs) + 64; i++) {
        uint32_t a = i < G_N_ELEMENTS(ioaddrs) ? ioaddrs[i]
                                                : g_rand_int(rnd);

        qtest_outl(s, io + E1000_IOADDR, a);
        qtest_inl(s, io + E1000_IODATA);
        for (unsigned k = 0; k < 4; k++) {
            qtest_inb(s, io + E1000_IODATA + k);
            qtest_inw(s, io + E1000_IODATA + (k & 2));
        }
        qtest_outl(s, io + E1000_IODATA, 0xffffffff);
        qtest_outw(s, io + E1000_IODATA + 2, 0xffff);
        qtest_outb(s, io + E1000_IODATA + 3, 0xff);
        qtest_inl(s, io + E1000_IOADDR);
    }
    h_wire_drain(h);
    g_assert_true(qtest_alive(s));
    h_check_rate_limited(h, start);
    h_reset(h);
    qtest_outl(s, io + E1000_IOADDR, E1000_STATUS);
    g_assert_cmphex(qtest_inl(s, io + E1000_IODATA), ==,
                    h_r(h, E1000_STATUS));
    qtest_outl(s, io + E1000_IOADDR, E1000_MTA + 20);
    qtest_outl(s, io + E1000_IODATA, 0x5a5a1234);
    g_assert_cmphex(h_r(h, E1000_MTA + 20), ==, 0x5a5a1234);
    frames = h_sane(h);
    g_ptr_array_unref(frames);
    g_rand_free(rnd);
    h_stop(h);
}

/* ---- class G: guest-chosen timer periods ---- */

/*
 * Invariant G: interrupt throttling and delay timers (ITR, TIDV, TADV,
 * RDTR, RADV) at 0, 1 and their maxima, with every cause unmasked and
 * traffic both ways. No division by zero, no timer storm that stops
 * the clock from moving; all frames still delivered exactly.
 */
static void test_timers_extreme(void)
{
    static const uint32_t vals[] = { 0, 1, 0xffff, 0xffffffff };
    static const uint32_t regs[] = { E1000_ITR, E1000_TIDV, E1000_TADV,
                                     E1000_RDTR, E1000_RADV };
    Hostile *h = h_start();

    for (unsigned v = 0; v < G_N_ELEMENTS(vals); v++) {
        uint8_t *frames[4], s[H_SENTINEL_LEN];
        GPtrArray *got;
        uint8_t d[16];

        h_rx_init(h, 16, 2048, 0);
        h_tx_init(h, 8);
        for (unsigned r = 0; r < G_N_ELEMENTS(regs); r++) {
            h_w(h, regs[r], vals[v]);
        }
        h_w(h, E1000_IMS, 0xffffffff);
        for (unsigned i = 0; i < 4; i++) {
            frames[i] = g_malloc(128);
            h_frame(frames[i], 128, 130 + 4 * v + i);
            memcpy(frames[i], h_mac, 6);
            /* IDE: the write-back waits for TIDV/TADV (SDM 3.4.1). */
            h_txd_legacy(d, h_put_buf(h, frames[i], 128), 128,
                         TXD_EOP | TXD_IFCS | TXD_RS | TXD_IDE, 0, 0, 0);
            h_tx_push(h, d);
            qtest_wire_send(h->wire, frames[i], 128);
        }
        h_tx_kick(h);
        for (int i = 0; i < 20; i++) {
            qtest_clock_step(h->qts, 500 * 1000);
            qtest_get_irq(h->qts, H_IRQ);
            h_r(h, E1000_ICR);
        }
        /* RDTR/RADV delay the interrupt, not the write-back. */
        h_sentinel(h, s);
        got = h_rx_until(h, s, sizeof(s));
        g_assert_cmpuint(got->len, ==, 4);
        h_check_frames_among(got, frames, 4, 128);
        g_ptr_array_unref(got);
        got = h_sane(h);
        g_assert_cmpuint(got->len, ==, 4);
        h_check_frames_among(got, frames, 4, 128);
        g_ptr_array_unref(got);
        for (unsigned i = 0; i < 4; i++) {
            g_free(frames[i]);
        }
    }
    h_check_arena(h);
    h_stop(h);
}

/* ---- class H: teardown while busy ---- */

/*
 * Invariant 12 (the parts a qtest can reach): quit while the loopback
 * queue is full, TX is blocked on it, delay timers are armed and frames
 * wait on the wire. emunet must exit cleanly (status 0; under ASan that
 * also means no use-after-free or leak at teardown).
 */
static void test_teardown_busy(void)
{
    Hostile *h = h_start();
    uint8_t **frames;

    h_rx_init(h, 8, 2048, 0);
    h->phy_reset = true;
    h_mdic(h, E1000_MDIC_OP_WRITE, E1000_PHY_ADDR, MII_BMCR,
           BMCR_LOOPBACK | BMCR_FULLDPLX | BMCR_SPEED1000);
    h_w(h, E1000_ITR, 1000);
    h_w(h, E1000_TIDV, 100);
    h_w(h, E1000_TADV, 1000);
    h_w(h, E1000_RDTR, 100);
    h_w(h, E1000_IMS, 0xffffffff);
    h_tx_init(h, 16);
    frames = h_tx_fill(h, 16, 300);
    h_w(h, E1000_TDT, 15);
    for (unsigned i = 0; i < 4; i++) {
        qtest_wire_send(h->wire, frames[i], 300);
    }
    qtest_clock_step(h->qts, 50 * 1000);
    h_bufs_free(frames);
    h_stop(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/e1000/hostile/index/mdic", test_index_mdic);
    g_test_add_func("/e1000/hostile/index/eerd", test_index_eerd);
    g_test_add_func("/e1000/hostile/sweep/bar0", test_sweep_bar0);
    g_test_add_func("/e1000/hostile/sweep/io", test_sweep_io);
    g_test_add_func("/e1000/hostile/timers/extreme", test_timers_extreme);
    g_test_add_func("/e1000/hostile/teardown/busy", test_teardown_busy);
    return g_test_run();
}
