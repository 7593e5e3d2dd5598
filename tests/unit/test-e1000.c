/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The e1000 model in process (see e1000-test.h): PCI identity, EEPROM,
 * PHY, interrupts, loopback, reset, the I/O BAR and hostile programming.
 * TX is in test-e1000-tx.c, RX in test-e1000-rx.c.
 */
#include "e1000-test.h"

/* ---- Tests: identity, EEPROM, PHY ---- */

static void test_pci_ident(Fixture *f, gconstpointer data)
{
    g_assert_cmphex(cfg_r(f, 0x00, 4), ==, 0x100e8086);
    g_assert_cmphex(cfg_r(f, 0x08, 4), ==, 0x02000002);
    g_assert_cmphex(cfg_r(f, 0x2c, 4), ==, 0x001e8086);
    g_assert_cmphex(cfg_r(f, 0x3d, 1), ==, 1);
    /* BAR sizing: 128 KiB memory, 64 bytes I/O. */
    cfg_w(f, 0x10, 0xffffffff, 4);
    g_assert_cmphex(cfg_r(f, 0x10, 4), ==, 0xfffe0000);
    cfg_w(f, 0x14, 0xffffffff, 4);
    g_assert_cmphex(cfg_r(f, 0x14, 4) & 0xffff, ==, 0xffc1);
    enable_device(f);
    g_assert_cmphex(rd(f, E1000_RA), ==, 0x12005452);
    g_assert_cmphex(rd(f, E1000_RA + 4), ==, 0x80005634);
}

static uint16_t eerd_read(Fixture *f, unsigned addr)
{
    uint32_t v;

    wr(f, E1000_EERD, E1000_EERD_START | (addr << 8));
    v = rd(f, E1000_EERD);
    g_assert_true(v & E1000_EERD_DONE);
    g_assert_false(v & 2); /* iPXE's "large EERD" probe bit */
    return v >> 16;
}

static void ee_out(Fixture *f, uint32_t *eecd, unsigned data, int count)
{
    int i;

    for (i = count - 1; i >= 0; i--) {
        *eecd &= ~E1000_EECD_DI;
        if (data & (1u << i)) {
            *eecd |= E1000_EECD_DI;
        }
        wr(f, E1000_EECD, *eecd);
        wr(f, E1000_EECD, *eecd | E1000_EECD_SK);
        wr(f, E1000_EECD, *eecd);
    }
    *eecd &= ~E1000_EECD_DI;
    wr(f, E1000_EECD, *eecd);
}

static unsigned ee_in(Fixture *f, uint32_t eecd, int count)
{
    unsigned data = 0;
    int i;

    for (i = 0; i < count; i++) {
        data <<= 1;
        wr(f, E1000_EECD, eecd | E1000_EECD_SK);
        if (rd(f, E1000_EECD) & E1000_EECD_DO) {
            data |= 1;
        }
        wr(f, E1000_EECD, eecd);
    }
    return data;
}

/* Linux e1000_read_eeprom's microwire sequence, `words` at once. */
static unsigned ee_bitbang(Fixture *f, unsigned addr, int words)
{
    uint32_t eecd = rd(f, E1000_EECD);
    unsigned v;

    g_assert_true(eecd & E1000_EECD_PRES);
    g_assert_false(eecd & E1000_EECD_SIZE);
    eecd |= E1000_EECD_REQ;
    wr(f, E1000_EECD, eecd);
    g_assert_true(rd(f, E1000_EECD) & E1000_EECD_GNT);
    eecd &= ~(E1000_EECD_DI | E1000_EECD_SK);
    wr(f, E1000_EECD, eecd);
    eecd |= E1000_EECD_CS;
    wr(f, E1000_EECD, eecd);
    ee_out(f, &eecd, 0x6, 3);
    ee_out(f, &eecd, addr, 6);
    v = ee_in(f, eecd, 16 * words);
    eecd &= ~(E1000_EECD_CS | E1000_EECD_SK | E1000_EECD_REQ);
    wr(f, E1000_EECD, eecd);
    return v;
}

static void test_eeprom(Fixture *f, gconstpointer data)
{
    uint16_t sum = 0;
    unsigned i;

    for (i = 0; i < 64; i++) {
        uint16_t w = eerd_read(f, i);

        sum += w;
        g_assert_cmphex(ee_bitbang(f, i, 1), ==, w);
    }
    g_assert_cmphex(sum, ==, 0xbaba);
    g_assert_cmphex(eerd_read(f, 0), ==, 0x5452);
    g_assert_cmphex(eerd_read(f, 2), ==, 0x5634);
    g_assert_cmphex(eerd_read(f, 0x0b), ==, 0x001e);
    g_assert_cmphex(eerd_read(f, 0x0c), ==, 0x8086);
    g_assert_cmphex(eerd_read(f, 0x0d), ==, 0x100e);
    g_assert_cmphex(eerd_read(f, 0x0e), ==, 0x8086);
    /* Sequential read continues into the next word. */
    g_assert_cmphex(ee_bitbang(f, 1, 2), ==,
                    ((unsigned)eerd_read(f, 1) << 16) | eerd_read(f, 2));
    /* Past the EEPROM: done, data 0. */
    g_assert_cmphex(eerd_read(f, 0xff), ==, 0);
}

static void test_phy_autoneg(Fixture *f, gconstpointer data)
{
    uint32_t v;

    g_assert_cmphex(phy_read(f, PHY_ID1), ==, 0x0141);
    g_assert_cmphex(phy_read(f, PHY_ID2) & 0xfff0, ==, 0x0c20);
    g_assert_true(rd(f, E1000_STATUS) & E1000_STATUS_LU);
    g_assert_cmphex(phy_read(f, PHY_STATUS) & 0x24, ==, 0x24);
    /* Wrong PHY address: ERROR. */
    wr(f, E1000_MDIC, (2u << 21) | (2u << 26));
    g_assert_true(rd(f, E1000_MDIC) & E1000_MDIC_ERROR);
    /* MDIC completion interrupt. */
    rd(f, E1000_ICR);
    wr(f, E1000_MDIC, E1000_MDIC_INT_EN | (1u << 21) | (2u << 26));
    g_assert_true(rd(f, E1000_ICR) & E1000_ICR_MDAC);

    phy_write(f, PHY_AUTONEG_ADV, 0x01e1);
    g_assert_cmphex(phy_read(f, PHY_AUTONEG_ADV), ==, 0x01e1);
    phy_write(f, PHY_ID1, 0);
    g_assert_cmphex(phy_read(f, PHY_ID1), ==, 0x0141);

    wr(f, E1000_IMS, E1000_ICR_LSC);
    phy_write(f, PHY_CTRL, phy_read(f, PHY_CTRL) | MII_CR_RESTART_AN);
    g_assert_false(phy_read(f, PHY_CTRL) & MII_CR_RESTART_AN);
    g_assert_false(rd(f, E1000_STATUS) & E1000_STATUS_LU);
    g_assert_true(f->irq.level);
    g_assert_cmphex(rd(f, E1000_ICR), ==, E1000_ICR_LSC);
    g_assert_false(f->irq.level);
    g_assert_false(phy_read(f, PHY_STATUS) & MII_SR_AUTONEG_COMPLETE);
    clock_step(f->clock, 499 * 1000 * 1000);
    g_assert_false(rd(f, E1000_STATUS) & E1000_STATUS_LU);
    clock_step(f->clock, 2 * 1000 * 1000);
    v = rd(f, E1000_STATUS);
    g_assert_true(v & E1000_STATUS_LU);
    g_assert_true(v & E1000_STATUS_FD);
    g_assert_cmpuint((v >> 6) & 3, ==, 2);
    g_assert_true(f->irq.level);
    g_assert_cmphex(rd(f, E1000_ICR), ==, E1000_ICR_LSC);
    g_assert_cmphex(phy_read(f, PHY_STATUS) & 0x24, ==, 0x24);
    g_assert_cmphex(phy_read(f, PHY_SPEC_STATUS) & 0xec00, ==, 0xac00);

    /* Advertising only 100 full: the link resolves to 100 Mb/s. */
    phy_write(f, PHY_1000T_CTRL, 0);
    phy_write(f, PHY_CTRL, MII_CR_AUTONEG_EN | MII_CR_RESTART_AN);
    clock_step(f->clock, 600 * 1000 * 1000);
    g_assert_cmpuint((rd(f, E1000_STATUS) >> 6) & 3, ==, 1);

    /* Backend carrier: down at once, up after negotiation. */
    net_backend_set_carrier(&f->net.be, false);
    g_assert_false(rd(f, E1000_STATUS) & E1000_STATUS_LU);
    g_assert_false(phy_read(f, PHY_STATUS) & MII_SR_LINK_STATUS);
    g_assert_cmphex(rd(f, E1000_ICR), ==, E1000_ICR_LSC);
    net_backend_set_carrier(&f->net.be, true);
    g_assert_false(rd(f, E1000_STATUS) & E1000_STATUS_LU);
    clock_step(f->clock, 600 * 1000 * 1000);
    g_assert_true(rd(f, E1000_STATUS) & E1000_STATUS_LU);

    /* The MAC sees the link only with CTRL.SLU (SDM 8.6.2.1). */
    rd(f, E1000_ICR);
    wr(f, E1000_CTRL, rd(f, E1000_CTRL) & ~E1000_CTRL_SLU);
    g_assert_false(rd(f, E1000_STATUS) & E1000_STATUS_LU);
    g_assert_true(phy_read(f, PHY_STATUS) & MII_SR_LINK_STATUS);
    g_assert_cmphex(rd(f, E1000_ICR), ==, E1000_ICR_LSC);
    wr(f, E1000_CTRL, rd(f, E1000_CTRL) | E1000_CTRL_SLU);
    g_assert_true(rd(f, E1000_STATUS) & E1000_STATUS_LU);

    /* CTRL.PHY_RST holds the link down until released. */
    wr(f, E1000_CTRL, rd(f, E1000_CTRL) | E1000_CTRL_PHY_RST);
    clock_step(f->clock, 600 * 1000 * 1000);
    g_assert_false(rd(f, E1000_STATUS) & E1000_STATUS_LU);
    wr(f, E1000_CTRL, rd(f, E1000_CTRL) & ~E1000_CTRL_PHY_RST);
    clock_step(f->clock, 600 * 1000 * 1000);
    g_assert_true(rd(f, E1000_STATUS) & E1000_STATUS_LU);
    g_assert_true(phy_read(f, PHY_1000T_CTRL) & CR_1000T_FD);
}

/* ---- Interrupts ---- */

static void test_irq(Fixture *f, gconstpointer data)
{
    rd(f, E1000_ICR);
    g_assert_false(f->irq.level);
    wr(f, E1000_ICS, E1000_ICR_TXDW | E1000_ICR_RXT0);
    g_assert_false(f->irq.level);
    wr(f, E1000_IMS, E1000_ICR_RXT0);
    g_assert_true(f->irq.level);
    g_assert_cmphex(rd(f, E1000_IMS), ==, E1000_ICR_RXT0);
    g_assert_cmphex(rd(f, E1000_ICS), ==, 0);
    wr(f, E1000_IMC, E1000_ICR_RXT0);
    g_assert_false(f->irq.level);
    wr(f, E1000_IMS, E1000_ICR_TXDW);
    g_assert_true(f->irq.level);
    wr(f, E1000_ICR, E1000_ICR_TXDW); /* write 1 to clear */
    g_assert_false(f->irq.level);
    g_assert_cmphex(rd(f, E1000_ICR), ==, E1000_ICR_RXT0);
    g_assert_cmphex(rd(f, E1000_ICR), ==, 0);

    /* ITR: 1000 x 256 ns between assertions. */
    wr(f, E1000_ITR, 1000);
    wr(f, E1000_ICS, E1000_ICR_TXDW);
    g_assert_true(f->irq.level);
    rd(f, E1000_ICR);
    wr(f, E1000_ICS, E1000_ICR_TXDW);
    g_assert_false(f->irq.level);
    clock_step(f->clock, 255000);
    g_assert_false(f->irq.level);
    clock_step(f->clock, 1000);
    g_assert_true(f->irq.level);
    rd(f, E1000_ICR);
    wr(f, E1000_ITR, 0);
    wr(f, E1000_ICS, E1000_ICR_TXDW);
    g_assert_true(f->irq.level);
    /* INTx follows the PCI INTX_DISABLE bit. */
    cfg_w(f, 0x04, 0x407, 2);
    g_assert_false(f->irq.level);
    cfg_w(f, 0x04, 0x7, 2);
    g_assert_true(f->irq.level);
    rd(f, E1000_ICR);
}

/* ---- Loopback, reset, I/O BAR ---- */

static void test_loopback(Fixture *f, gconstpointer data)
{
    uint8_t *p = f->ram + TX_BUF;

    rx_frame(p, guest_mac, 100);
    rx_setup(f, 8, E1000_RCTL_SECRC | (1u << E1000_RCTL_LBM_SHIFT));
    tx_setup(f, 8);
    put_legacy(f, 0, TX_BUF, 100, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0,
               0);
    wr(f, E1000_TDT, 1);
    /* Delivery is deferred: nothing in RX until the loop runs. */
    g_assert_true(tx_done(f, 0));
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 0);
    clock_step(f->clock, 0);
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 1);
    g_assert_cmpuint(ld16_le(rxd(f, 0) + 8), ==, 100);
    g_assert_cmpmem(rxbuf(f, 0), 100, p, 100);
    g_assert_cmpuint(f->net.sent->len, ==, 0);

    /* PHY loopback works the same way. */
    wr(f, E1000_RCTL, rd(f, E1000_RCTL) & ~(3u << E1000_RCTL_LBM_SHIFT));
    phy_write(f, PHY_CTRL, phy_read(f, PHY_CTRL) | MII_CR_LOOPBACK);
    put_legacy(f, 1, TX_BUF, 90, E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0,
               0);
    wr(f, E1000_TDT, 2);
    clock_step(f->clock, 0);
    g_assert_cmpuint(rd(f, E1000_RDH), ==, 2);
    g_assert_cmpuint(f->net.sent->len, ==, 0);
}

static void test_reset(Fixture *f, gconstpointer data)
{
    wr(f, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_UPE);
    wr(f, E1000_IMS, E1000_ICR_LSC);
    wr(f, E1000_RA, 0x11223344);
    wr(f, E1000_ICS, E1000_ICR_LSC);
    g_assert_true(f->irq.level);

    /* CTRL.RST: MAC state back to power-on, MAC reloaded, link kept. */
    wr(f, E1000_CTRL, rd(f, E1000_CTRL) | E1000_CTRL_RST);
    g_assert_false(f->irq.level);
    g_assert_false(rd(f, E1000_CTRL) & E1000_CTRL_RST);
    g_assert_cmphex(rd(f, E1000_RCTL), ==, 0);
    g_assert_cmphex(rd(f, E1000_IMS), ==, 0);
    g_assert_cmphex(rd(f, E1000_RA), ==, 0x12005452);
    g_assert_true(rd(f, E1000_STATUS) & E1000_STATUS_LU);

    /* Transport reset: config space too; BARs must be programmed again. */
    wr(f, E1000_RA, 0x11223344);
    phy_write(f, PHY_AUTONEG_ADV, 0x0021);
    pci_device_reset(f->dev);
    g_assert_cmphex(cfg_r(f, 0x04, 2), ==, 0);
    enable_device(f);
    g_assert_cmphex(rd(f, E1000_RA), ==, 0x12005452);
    g_assert_cmphex(rd(f, E1000_RA + 4), ==, 0x80005634);
    g_assert_cmphex(phy_read(f, PHY_AUTONEG_ADV), ==, 0x0de1);
    g_assert_true(rd(f, E1000_STATUS) & E1000_STATUS_LU);
    g_assert_cmphex(rd(f, E1000_VET), ==, 0x8100);
}

static void test_io_bar(Fixture *f, gconstpointer data)
{
    iobus_write(f->io, IO_SPACE_PIO, BAR1, E1000_STATUS, 4);
    g_assert_cmphex(iobus_read(f->io, IO_SPACE_PIO, BAR1, 4), ==,
                    E1000_STATUS);
    g_assert_cmphex(iobus_read(f->io, IO_SPACE_PIO, BAR1 + 4, 4), ==,
                    rd(f, E1000_STATUS));
    iobus_write(f->io, IO_SPACE_PIO, BAR1, E1000_IMS, 4);
    iobus_write(f->io, IO_SPACE_PIO, BAR1 + 4, E1000_ICR_RXT0, 4);
    g_assert_cmphex(rd(f, E1000_IMS), ==, E1000_ICR_RXT0);
    /* IOADDR is masked to the register space. */
    iobus_write(f->io, IO_SPACE_PIO, BAR1, 0xfff20000u | E1000_STATUS, 4);
    g_assert_cmphex(iobus_read(f->io, IO_SPACE_PIO, BAR1 + 4, 4), ==,
                    rd(f, E1000_STATUS));
    g_assert_cmphex(iobus_read(f->io, IO_SPACE_PIO, BAR1 + 8, 4), ==, 0);
    g_assert_cmphex(iobus_read(f->io, IO_SPACE_PIO, BAR1 + 0x3c, 4), ==, 0);
    /* Unimplemented BAR0 offsets read 0. */
    g_assert_cmphex(rd(f, 0x1fffc), ==, 0);
    g_assert_cmphex(rd(f, 0x0004), ==, 0);
}

/* ---- Hostile programming ---- */

static void test_hostile(Fixture *f, gconstpointer data)
{
    uint8_t *p = f->ram + TX_BUF;
    uint64_t errs = log_guest_error_count(LOG_E1000);
    static const uint8_t off[6] = { 14, 24, 33, 34, 50, 0 };
    unsigned i;

    build_tcp(p, false, 100, 0x10);
    /* Empty ring, head outside the ring. */
    tx_setup(f, 0);
    wr(f, E1000_TDT, 5);
    tx_setup(f, 8);
    wr(f, E1000_TDH, 0xffff);
    wr(f, E1000_TDT, 3);
    g_assert_cmpuint(f->net.sent->len, ==, 0);
    g_assert_cmpuint(log_guest_error_count(LOG_E1000), >, errs);

    /* TSO with MSS 0: dropped, descriptors consumed. */
    tx_setup(f, 8);
    put_ctx(f, 0, off, E1000_TXD_TUCMD_TCP | E1000_TXD_TUCMD_IP |
            E1000_TXD_TUCMD_TSE, 100, 54, 0);
    put_data(f, 1, TX_BUF, 154, E1000_TXD_CMD_TSE | E1000_TXD_CMD_EOP |
             E1000_TXD_CMD_RS, E1000_TXD_POPTS_TXSM);
    wr(f, E1000_TDT, 2);
    g_assert_cmpuint(f->net.sent->len, ==, 0);
    g_assert_true(tx_done(f, 1));
    g_assert_cmpuint(rd(f, E1000_TSCTFC), ==, 1);

    /* Checksum offsets past the frame: sent unmodified. */
    put_legacy(f, 2, TX_BUF, 60, E1000_TXD_CMD_EOP | E1000_TXD_CMD_IC |
               E1000_TXD_CMD_RS, 0xff, 0xfe);
    wr(f, E1000_TDT, 3);
    g_assert_cmpuint(f->net.sent->len, ==, 1);
    g_assert_cmpmem(sent_frame(f, 0)->data, 60, p, 60);

    /* 5 chained 4 KiB descriptors exceed the 16288-byte FIFO: dropped. */
    for (i = 0; i < 5; i++) {
        put_legacy(f, (3 + i) % 8, TX_BUF, 4096,
                   i == 4 ? E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS : 0, 0, 0);
    }
    wr(f, E1000_TDT, 0);
    g_assert_cmpuint(f->net.sent->len, ==, 1);
    g_assert_cmpuint(rd(f, E1000_TDH), ==, 0);

    /* The TX ring inside BAR0: DMA refused, nothing processed. */
    wr(f, E1000_TDBAL, BAR0);
    wr(f, E1000_TDLEN, 128);
    wr(f, E1000_TDH, 0);
    wr(f, E1000_TDT, 4);
    g_assert_cmpuint(rd(f, E1000_TDH), ==, 0);

    /* MDIC and EERD with maximal indices. */
    wr(f, E1000_MDIC, 0xffffffff);
    g_assert_true(rd(f, E1000_MDIC) & E1000_MDIC_READY);
    wr(f, E1000_EERD, 0xffffffff);
    g_assert_true(rd(f, E1000_EERD) & E1000_EERD_DONE);

    /* RX with a 9000-byte frame into 256-byte buffers, LPE on: split. */
    {
        static uint8_t big[9000];

        rx_frame(big, guest_mac, sizeof(big));
        rx_setup(f, 64, E1000_RCTL_LPE | E1000_RCTL_SECRC |
                 (3u << E1000_RCTL_BSIZE_SHIFT));
        g_assert_true(net_backend_receive(&f->net.be, big, sizeof(big)));
        g_assert_cmpuint(rd(f, E1000_RDH), ==, (9000 + 255) / 256);
        /* A frame that can never fit the ring is dropped, not held. */
        rx_setup(f, 8, E1000_RCTL_LPE | E1000_RCTL_SECRC |
                 (3u << E1000_RCTL_BSIZE_SHIFT));
        g_assert_true(net_backend_receive(&f->net.be, big, sizeof(big)));
        g_assert_cmpuint(rd(f, E1000_RDH), ==, 0);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn)                                                         \
    g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/e1000/pci/ident", test_pci_ident);
    ADD("/e1000/eeprom", test_eeprom);
    ADD("/e1000/phy/autoneg", test_phy_autoneg);
    ADD("/e1000/irq", test_irq);
    ADD("/e1000/loopback", test_loopback);
    ADD("/e1000/reset", test_reset);
    ADD("/e1000/io-bar", test_io_bar);
    ADD("/e1000/hostile", test_hostile);
#undef ADD
    return g_test_run();
}
