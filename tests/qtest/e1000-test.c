/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * e1000 (Intel 82540EM) device qtests: PCI identity and BARs, EEPROM
 * (EERD and Microwire through EECD), PHY through MDIC and autonegotiation,
 * link state, interrupt registers and moderation, statistics, resets and
 * the option ROM. Expected behaviour comes from the 8254x Family Software
 * Developer's Manual (SDM) and from what Linux's e1000 driver relies on.
 */
#include <string.h>
#include <unistd.h>

#include "libqos/e1000.h"

#define PXE_ROM "/usr/lib/ipxe/qemu/pxe-e1000.rom"
#define EFI_ROM "/usr/lib/ipxe/qemu/efi-e1000.rom"
/* Where the tests place the expansion ROM (clear of libqos BARs). */
#define ROM_ADDR 0xe8000000u

static QE1000 *start_ready(void)
{
    QE1000 *d = qe1000_start(NULL);

    qe1000_init(d, 8, 8, 2048);
    return d;
}

/* SDM 4.1 (PCI configuration space) and the 82540EM board identity. */
static void test_pci_identity(void)
{
    QE1000 *d = qe1000_start(NULL);
    uint16_t ssvid, ssid;

    g_assert_cmphex(qpci_config_readw(d->pci, 0x00), ==, 0x8086);
    g_assert_cmphex(qpci_config_readw(d->pci, 0x02), ==, 0x100e);
    /* Class 02 (network) 00 (Ethernet) prog-if 00. */
    g_assert_cmphex(qpci_config_readb(d->pci, 0x0b), ==, 0x02);
    g_assert_cmphex(qpci_config_readb(d->pci, 0x0a), ==, 0x00);
    g_assert_cmphex(qpci_config_readb(d->pci, 0x09), ==, 0x00);
    /* Single-function type 0 header, INTA#. */
    g_assert_cmphex(qpci_config_readb(d->pci, 0x0e) & 0x7f, ==, 0x00);
    g_assert_cmphex(qpci_config_readb(d->pci, 0x3d), ==, 0x01);

    /*
     * PRO/1000 MT Desktop boards: subsystem 8086:001e (or 8086:002e).
     * SDM 5.6 (EEPROM map): subsystem IDs are loaded from words 0Bh/0Ch, so
     * config space and the EEPROM must agree.
     */
    ssvid = qpci_config_readw(d->pci, 0x2c);
    ssid = qpci_config_readw(d->pci, 0x2e);
    g_assert_cmphex(ssvid, ==, 0x8086);
    g_assert_true(ssid == 0x001e || ssid == 0x002e);
    g_assert_cmphex(qe1000_eerd_read(d, 0x0b), ==, ssid);
    g_assert_cmphex(qe1000_eerd_read(d, 0x0c), ==, ssvid);
    g_assert_cmphex(qe1000_eerd_read(d, 0x0d), ==, 0x100e);
    g_assert_cmphex(qe1000_eerd_read(d, 0x0e), ==, 0x8086);
    /*
     * 82540EM silicon reports revision 02h (lspci on real boards:
     * "82540EM Gigabit Ethernet Controller (rev 02)"; 03h is QEMU's).
     */
    g_assert_cmphex(qpci_config_readb(d->pci, 0x08), ==, 0x02);
    qe1000_stop(d);
}

/* BAR0: 128 KiB 32-bit memory; BAR1: 64-byte I/O window (SDM 4.1). */
static void test_pci_bars(void)
{
    QE1000 *d = qe1000_start(NULL);
    uint32_t bar0 = qpci_config_readl(d->pci, 0x10);
    uint32_t bar1 = qpci_config_readl(d->pci, 0x14);
    uint32_t status;

    g_assert_cmpuint(d->pci->bar_size[0], ==, 128 * 1024);
    g_assert_false(d->pci->bar_is_io[0]);
    g_assert_cmphex(bar0 & 0x7, ==, 0x0);
    g_assert_cmpuint(d->pci->bar_size[1], ==, 64);
    g_assert_true(d->pci->bar_is_io[1]);
    g_assert_cmphex(bar1 & 0x1, ==, 0x1);

    /* Decode works: STATUS reads something other than all-ones. */
    status = qe1000_r(d, E1000_STATUS);
    g_assert_cmphex(status, !=, 0xffffffff);
    qe1000_stop(d);
}

static void io_write_reg(QE1000 *d, uint32_t reg, uint32_t val)
{
    qpci_io_writel(d->pci, 1, 0, reg);
    qpci_io_writel(d->pci, 1, 4, val);
}

static uint32_t io_read_reg(QE1000 *d, uint32_t reg)
{
    qpci_io_writel(d->pci, 1, 0, reg);
    return qpci_io_readl(d->pci, 1, 4);
}

/*
 * SDM 13.2.1 (I/O-mapped access): IOADDR at offset 0 selects any internal
 * register (00000h-1FFFFh); IODATA at offset 4 reads or writes it.
 */
static void test_io_window(void)
{
    QE1000 *d = start_ready();
    uint32_t off, v;

    qpci_io_writel(d->pci, 1, 0, E1000_RAL(2));
    g_assert_cmphex(qpci_io_readl(d->pci, 1, 0), ==, E1000_RAL(2));

    g_assert_cmphex(io_read_reg(d, E1000_STATUS), ==,
                    qe1000_r(d, E1000_STATUS));
    g_assert_cmphex(io_read_reg(d, E1000_RAL(0)), ==,
                    qe1000_r(d, E1000_RAL(0)));
    g_assert_cmphex(io_read_reg(d, E1000_RAH(0)), ==,
                    qe1000_r(d, E1000_RAH(0)));
    g_assert_cmphex(io_read_reg(d, E1000_RCTL), ==, qe1000_r(d, E1000_RCTL));

    /* Writes through the window land in the register file. */
    io_write_reg(d, E1000_IMS, E1000_ICR_RXT0);
    g_assert_cmphex(qe1000_r(d, E1000_IMS), ==, E1000_ICR_RXT0);
    io_write_reg(d, E1000_IMC, 0xffffffff);
    g_assert_cmphex(qe1000_r(d, E1000_IMS), ==, 0);
    io_write_reg(d, E1000_RDTR, 0x123);
    g_assert_cmphex(qe1000_r(d, E1000_RDTR) & 0xffff, ==, 0x123);
    qe1000_w(d, E1000_TIDV, 0x77);
    g_assert_cmphex(io_read_reg(d, E1000_TIDV) & 0xffff, ==, 0x77);

    /* Every MTA, receive-address and VFTA entry, both directions. */
    for (off = E1000_MTA; off < E1000_MTA + 0x200; off += 4) {
        io_write_reg(d, off, off * 0x9e3779b1u);
    }
    for (off = E1000_VFTA; off < E1000_VFTA + 0x200; off += 4) {
        io_write_reg(d, off, off * 0x85ebca6bu);
    }
    for (off = E1000_MTA; off < E1000_MTA + 0x200; off += 4) {
        g_assert_cmphex(qe1000_r(d, off), ==, off * 0x9e3779b1u);
    }
    for (off = E1000_VFTA; off < E1000_VFTA + 0x200; off += 4) {
        g_assert_cmphex(qe1000_r(d, off), ==, off * 0x85ebca6bu);
    }
    for (off = 1; off < 16; off++) {
        qe1000_w(d, E1000_RAL(off), 0x11223300 + off);
        g_assert_cmphex(io_read_reg(d, E1000_RAL(off)), ==, 0x11223300 + off);
    }

    /* Side effects too: ICS through the window, ICR clear-on-read. */
    io_write_reg(d, E1000_ICS, E1000_ICR_TXQE);
    g_assert_cmphex(io_read_reg(d, E1000_ICR) & E1000_ICR_TXQE, ==,
                    E1000_ICR_TXQE);
    g_assert_cmphex(qe1000_r(d, E1000_ICR), ==, 0);
    /* The EEPROM through EERD behind the window. */
    io_write_reg(d, E1000_EERD, E1000_EERD_START);
    qtest_clock_step(d->qts, 100 * 1000);
    v = io_read_reg(d, E1000_EERD);
    g_assert_cmphex(v & E1000_EERD_DONE, ==, E1000_EERD_DONE);
    g_assert_cmphex(v >> 16, ==, 0x5452);
    qe1000_stop(d);
}

static void check_eeprom_image(const uint16_t *w)
{
    unsigned i;
    uint16_t sum = 0;

    /* Words 0-2: the MAC, low byte first (SDM 5.6, EEPROM map). */
    g_assert_cmphex(w[0], ==, 0x5452);
    g_assert_cmphex(w[1], ==, 0x1200);
    g_assert_cmphex(w[2], ==, 0x5634);
    g_assert_cmphex(w[0x0d], ==, 0x100e);
    g_assert_cmphex(w[0x0e], ==, 0x8086);
    /* SDM 5.6 (checksum word 3Fh): words 00h-3Fh sum to BABAh. */
    for (i = 0; i < 64; i++) {
        sum += w[i];
    }
    g_assert_cmphex(sum, ==, 0xbaba);
}

/* SDM 5.3.1 / 13.4.4: EERD START, DONE, ADDR 15:8, DATA 31:16. */
static void test_eeprom_eerd(void)
{
    QE1000 *d = qe1000_start(NULL);
    uint16_t w[64];
    unsigned i;

    for (i = 0; i < 64; i++) {
        w[i] = qe1000_eerd_read(d, i);
    }
    check_eeprom_image(w);
    /* Reading again gives the same (a read is not destructive). */
    g_assert_cmphex(qe1000_eerd_read(d, 0x3f), ==, w[0x3f]);
    qe1000_stop(d);
}

static void eecd_write(QE1000 *d, uint32_t v)
{
    qe1000_w(d, E1000_EECD, v);
}

static void ee_clock(QE1000 *d, uint32_t *eecd)
{
    *eecd |= E1000_EECD_SK;
    eecd_write(d, *eecd);
    *eecd &= ~E1000_EECD_SK;
    eecd_write(d, *eecd);
}

/* Linux e1000_shift_out_ee_bits. */
static void ee_shift_out(QE1000 *d, uint32_t *eecd, uint16_t data, int n)
{
    uint16_t mask = 1u << (n - 1);

    *eecd &= ~E1000_EECD_DO;
    while (mask) {
        *eecd &= ~E1000_EECD_DI;
        if (data & mask) {
            *eecd |= E1000_EECD_DI;
        }
        eecd_write(d, *eecd);
        ee_clock(d, eecd);
        mask >>= 1;
    }
    *eecd &= ~E1000_EECD_DI;
    eecd_write(d, *eecd);
}

/* Linux e1000_shift_in_ee_bits: data valid after each rising edge. */
static uint16_t ee_shift_in(QE1000 *d, uint32_t *eecd)
{
    uint16_t data = 0;
    int i;

    *eecd &= ~(E1000_EECD_DO | E1000_EECD_DI);
    for (i = 0; i < 16; i++) {
        data <<= 1;
        *eecd |= E1000_EECD_SK;
        eecd_write(d, *eecd);
        if (qe1000_r(d, E1000_EECD) & E1000_EECD_DO) {
            data |= 1;
        }
        *eecd &= ~E1000_EECD_SK;
        eecd_write(d, *eecd);
    }
    return data;
}

/*
 * SDM 5.3.2 / 13.4.3: software EEPROM access through EECD. Request with
 * EE_REQ, wait for EE_GNT, then the 93C46 Microwire READ (start bit +
 * opcode 10b, 6 address bits, 16 data bits), as Linux's e1000 does.
 */
static void test_eeprom_microwire(void)
{
    QE1000 *d = qe1000_start(NULL);
    uint16_t w[64];
    uint32_t eecd;
    unsigned i;

    eecd = qe1000_r(d, E1000_EECD);
    g_assert_cmphex(eecd & E1000_EECD_PRES, ==, E1000_EECD_PRES);
    /* EE_SIZE 0: a 64-word part with 6 address bits. */
    g_assert_cmphex(eecd & E1000_EECD_SIZE, ==, 0);

    eecd |= E1000_EECD_REQ;
    eecd_write(d, eecd);
    for (i = 0; i < 1000; i++) {
        eecd = qe1000_r(d, E1000_EECD);
        if (eecd & E1000_EECD_GNT) {
            break;
        }
        qtest_clock_step(d->qts, 5000);
    }
    g_assert_cmphex(eecd & E1000_EECD_GNT, ==, E1000_EECD_GNT);
    eecd &= ~(E1000_EECD_DI | E1000_EECD_SK);
    eecd_write(d, eecd);
    eecd |= E1000_EECD_CS;
    eecd_write(d, eecd);

    for (i = 0; i < 64; i++) {
        ee_shift_out(d, &eecd, 0x6, 3);
        ee_shift_out(d, &eecd, i, 6);
        w[i] = ee_shift_in(d, &eecd);
        /* e1000_standby_eeprom (Microwire). */
        eecd &= ~(E1000_EECD_CS | E1000_EECD_SK);
        eecd_write(d, eecd);
        eecd |= E1000_EECD_SK;
        eecd_write(d, eecd);
        eecd |= E1000_EECD_CS;
        eecd_write(d, eecd);
        eecd &= ~E1000_EECD_SK;
        eecd_write(d, eecd);
    }

    /* e1000_release_eeprom. */
    eecd &= ~(E1000_EECD_CS | E1000_EECD_DI);
    eecd_write(d, eecd);
    ee_clock(d, &eecd);
    eecd &= ~E1000_EECD_REQ;
    eecd_write(d, eecd);

    check_eeprom_image(w);
    for (i = 0; i < 64; i++) {
        g_assert_cmphex(qe1000_eerd_read(d, i), ==, w[i]);
    }
    qe1000_stop(d);
}

/*
 * SDM 13.4.7 (MDIC) and 13.5 (PHY registers): the 82540EM's integrated
 * PHY is an M88E1011-compatible at address 1 (Linux: M88E1011_I_PHY_ID).
 */
static void test_phy_mdic(void)
{
    QE1000 *d = start_ready();
    uint16_t bmsr, ext;
    uint32_t v;
    int i;

    g_assert_cmphex(qe1000_phy_read(d, MII_PHYID1), ==, 0x0141);
    g_assert_cmphex(qe1000_phy_read(d, MII_PHYID2) & 0xfff0, ==, 0x0c20);
    bmsr = qe1000_phy_read(d, MII_BMSR);
    /* Extended capability, AN ability, extended status, 100/10 FD/HD. */
    g_assert_cmphex(bmsr & 0x7909, ==, 0x7909);
    ext = qe1000_phy_read(d, MII_EXT_STATUS);
    g_assert_cmphex(ext & 0x3000, ==, 0x3000);

    /* R/W registers keep what is written. */
    qe1000_phy_write(d, MII_ANAR, 0x0de1);
    g_assert_cmphex(qe1000_phy_read(d, MII_ANAR) & 0x0fff, ==, 0x0de1);
    qe1000_phy_write(d, MII_1000T_CTRL, 0x0200);
    g_assert_cmphex(qe1000_phy_read(d, MII_1000T_CTRL) & 0x0300, ==,
                    0x0200);

    /* BMCR.RESET is self-clearing (IEEE 802.3 22.2.4.1.1). */
    qe1000_phy_write(d, MII_BMCR, BMCR_RESET | BMCR_ANENABLE);
    for (i = 0; i < 500; i++) {
        if (!(qe1000_phy_read(d, MII_BMCR) & BMCR_RESET)) {
            break;
        }
        qtest_clock_step(d->qts, 1000 * 1000);
    }
    g_assert_cmphex(qe1000_phy_read(d, MII_BMCR) & BMCR_RESET, ==, 0);
    g_assert_cmphex(qe1000_phy_read(d, MII_PHYID1), ==, 0x0141);

    /* MDIC.I: MDAC is raised at the end of the cycle. */
    qe1000_r(d, E1000_ICR);
    qe1000_w(d, E1000_MDIC, E1000_MDIC_OP_READ | E1000_MDIC_INT_EN |
             1u << E1000_MDIC_PHY_SHIFT | MII_PHYID1 << E1000_MDIC_REG_SHIFT);
    for (i = 0; i < 64; i++) {
        if (qe1000_r(d, E1000_MDIC) & E1000_MDIC_READY) {
            break;
        }
        qtest_clock_step(d->qts, 50 * 1000);
    }
    g_assert_cmphex(qe1000_r(d, E1000_ICR) & E1000_ICR_MDAC, ==,
                    E1000_ICR_MDAC);

    /* No PHY at address 2: the read completes with E set. */
    qe1000_w(d, E1000_MDIC, E1000_MDIC_OP_READ | 2u << E1000_MDIC_PHY_SHIFT |
             MII_PHYID1 << E1000_MDIC_REG_SHIFT);
    for (i = 0; i < 64; i++) {
        v = qe1000_r(d, E1000_MDIC);
        if (v & E1000_MDIC_READY) {
            break;
        }
        qtest_clock_step(d->qts, 50 * 1000);
    }
    g_assert_cmphex(v & (E1000_MDIC_READY | E1000_MDIC_ERROR), ==,
                    E1000_MDIC_READY | E1000_MDIC_ERROR);
    qe1000_stop(d);
}

/*
 * IEEE 802.3 clause 28 / SDM 8.6.2.1: restarting autonegotiation clears
 * BMSR.ANC and drops the link; it completes after the negotiation time,
 * with the partner's abilities in ANLPAR / 1000T_STATUS, link up in BMSR
 * and STATUS.LU (1000 Mb/s FD), and an LSC interrupt.
 */
static void test_phy_autoneg(void)
{
    QE1000 *d = start_ready();
    uint16_t bmsr = 0;
    int i;

    qe1000_phy_write(d, MII_ANAR, 0x0de1);
    qe1000_phy_write(d, MII_1000T_CTRL, 0x0200);
    qe1000_r(d, E1000_ICR);
    qe1000_w(d, E1000_IMS, E1000_ICR_LSC);
    qe1000_phy_write(d, MII_BMCR, BMCR_ANENABLE | BMCR_RESTART_AN);
    g_assert_cmphex(qe1000_phy_read(d, MII_BMSR) & BMSR_ANEGCOMPLETE, ==, 0);

    for (i = 0; i < 100; i++) {
        qtest_clock_step(d->qts, 50 * 1000 * 1000);
        bmsr = qe1000_phy_read(d, MII_BMSR);
        if (bmsr & BMSR_ANEGCOMPLETE) {
            break;
        }
    }
    g_assert_cmphex(bmsr & BMSR_ANEGCOMPLETE, ==, BMSR_ANEGCOMPLETE);
    /* Link status is latched low: the second read is current. */
    bmsr = qe1000_phy_read(d, MII_BMSR);
    g_assert_cmphex(bmsr & BMSR_LSTATUS, ==, BMSR_LSTATUS);
    g_assert_cmphex(qe1000_phy_read(d, MII_BMCR) & BMCR_RESTART_AN, ==, 0);
    g_assert_cmphex(qe1000_phy_read(d, MII_ANLPAR) & 0x01e0, !=, 0);
    g_assert_cmphex(qe1000_phy_read(d, MII_1000T_STATUS) & 0x0800, ==,
                    0x0800);

    for (i = 0; i < 100; i++) {
        if (qe1000_r(d, E1000_STATUS) & E1000_STATUS_LU) {
            break;
        }
        qtest_clock_step(d->qts, 10 * 1000 * 1000);
    }
    g_assert_cmphex(qe1000_r(d, E1000_STATUS) &
                    (E1000_STATUS_LU | E1000_STATUS_FD |
                     E1000_STATUS_SPEED_MASK), ==,
                    E1000_STATUS_LU | E1000_STATUS_FD |
                    E1000_STATUS_SPEED_1000);
    g_assert_true(qe1000_irq(d));
    g_assert_cmphex(qe1000_r(d, E1000_ICR) & E1000_ICR_LSC, ==,
                    E1000_ICR_LSC);
    g_assert_false(qe1000_irq(d));
    qe1000_stop(d);
}

/*
 * SDM 8.6.2.1: software must set CTRL.SLU before the MAC recognises the
 * PHY's link; clearing it takes the MAC's link (STATUS.LU) down.
 */
static void test_link_slu(void)
{
    QE1000 *d = start_ready();
    uint32_t ctrl = qe1000_r(d, E1000_CTRL);
    int i;

    g_assert_cmphex(qe1000_r(d, E1000_STATUS) & E1000_STATUS_LU, ==,
                    E1000_STATUS_LU);
    qe1000_w(d, E1000_CTRL, ctrl & ~E1000_CTRL_SLU);
    for (i = 0; i < 10; i++) {
        if (!(qe1000_r(d, E1000_STATUS) & E1000_STATUS_LU)) {
            break;
        }
        qtest_clock_step(d->qts, 1000 * 1000);
    }
    g_assert_cmphex(qe1000_r(d, E1000_STATUS) & E1000_STATUS_LU, ==, 0);

    qe1000_w(d, E1000_CTRL, ctrl | E1000_CTRL_SLU);
    for (i = 0; i < 100; i++) {
        if (qe1000_r(d, E1000_STATUS) & E1000_STATUS_LU) {
            break;
        }
        qtest_clock_step(d->qts, 10 * 1000 * 1000);
    }
    g_assert_cmphex(qe1000_r(d, E1000_STATUS) & E1000_STATUS_LU, ==,
                    E1000_STATUS_LU);
    qe1000_stop(d);
}

/*
 * SDM 8.6.5.2 / 13.4.17: when the link goes down (here: the backend's
 * peer is gone), STATUS.LU clears and LSC is raised.
 */
static void test_link_carrier_loss(void)
{
    QE1000 *d = start_ready();
    gint64 end;
    bool down = false;
    uint16_t bmsr;

    qe1000_r(d, E1000_ICR);
    qe1000_w(d, E1000_IMS, E1000_ICR_LSC);
    g_assert_false(qe1000_irq(d));
    qe1000_wire_close(d);

    end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < end) {
        qtest_clock_step(d->qts, 1000 * 1000);
        if (!(qe1000_r(d, E1000_STATUS) & E1000_STATUS_LU)) {
            down = true;
            break;
        }
        g_usleep(2000);
    }
    g_assert_true(down);
    g_assert_true(qe1000_wait_irq(d, 1000 * 1000, 100 * 1000 * 1000));
    g_assert_cmphex(qe1000_r(d, E1000_ICR) & E1000_ICR_LSC, ==,
                    E1000_ICR_LSC);
    qe1000_phy_read(d, MII_BMSR);
    bmsr = qe1000_phy_read(d, MII_BMSR);
    g_assert_cmphex(bmsr & BMSR_LSTATUS, ==, 0);
    /* It stays down: no carrier, no link, whatever the guest does. */
    qtest_clock_step(d->qts, 3000LL * 1000 * 1000);
    g_assert_cmphex(qe1000_r(d, E1000_STATUS) & E1000_STATUS_LU, ==, 0);
    qe1000_stop(d);
}

/*
 * SDM 13.4.17-13.4.21: ICR is clear-on-read, ICS sets causes, IMS sets
 * and IMC clears mask bits, and INTA# follows (ICR & IMS) != 0.
 */
static void test_intr_registers(void)
{
    QE1000 *d = start_ready();

    qe1000_w(d, E1000_IMC, 0xffffffff);
    qe1000_r(d, E1000_ICR);
    g_assert_false(qe1000_irq(d));

    qe1000_w(d, E1000_IMS, E1000_ICR_RXT0 | E1000_ICR_LSC);
    g_assert_cmphex(qe1000_r(d, E1000_IMS), ==,
                    E1000_ICR_RXT0 | E1000_ICR_LSC);
    qe1000_w(d, E1000_IMS, E1000_ICR_TXDW);
    g_assert_cmphex(qe1000_r(d, E1000_IMS), ==,
                    E1000_ICR_RXT0 | E1000_ICR_LSC | E1000_ICR_TXDW);
    qe1000_w(d, E1000_IMC, E1000_ICR_LSC);
    g_assert_cmphex(qe1000_r(d, E1000_IMS), ==,
                    E1000_ICR_RXT0 | E1000_ICR_TXDW);
    g_assert_false(qe1000_irq(d));

    /* A masked cause is latched but does not interrupt... */
    qe1000_w(d, E1000_ICS, E1000_ICR_LSC);
    g_assert_false(qe1000_irq(d));
    /* ...until it is unmasked. */
    qe1000_w(d, E1000_IMS, E1000_ICR_LSC);
    g_assert_true(qe1000_irq(d));
    g_assert_cmphex(qe1000_r(d, E1000_ICR) & E1000_ICR_LSC, ==,
                    E1000_ICR_LSC);
    g_assert_false(qe1000_irq(d));
    g_assert_cmphex(qe1000_r(d, E1000_ICR), ==, 0);

    /* Masking an asserted cause deasserts the line; ICR keeps it. */
    qe1000_w(d, E1000_ICS, E1000_ICR_RXT0);
    g_assert_true(qe1000_irq(d));
    qe1000_w(d, E1000_IMC, E1000_ICR_RXT0);
    g_assert_false(qe1000_irq(d));
    g_assert_cmphex(qe1000_r(d, E1000_ICR), ==, E1000_ICR_RXT0);

    /* Several causes at once, all returned and all cleared. */
    qe1000_w(d, E1000_ICS, E1000_ICR_TXDW | E1000_ICR_RXDMT0);
    g_assert_true(qe1000_irq(d));
    g_assert_cmphex(qe1000_r(d, E1000_ICR), ==,
                    E1000_ICR_TXDW | E1000_ICR_RXDMT0);
    g_assert_false(qe1000_irq(d));
    qe1000_stop(d);
}

/*
 * SDM 13.4.18: ITR.INTERVAL (256 ns units) is the minimum time between
 * two interrupt assertions.
 */
static void test_intr_itr(void)
{
    QE1000 *d = start_ready();

    qe1000_w(d, E1000_ITR, 1000); /* 256 us */
    qe1000_w(d, E1000_IMS, E1000_ICR_TXDW);
    qe1000_w(d, E1000_ICS, E1000_ICR_TXDW);
    g_assert_true(qe1000_wait_irq(d, 10 * 1000, 1000 * 1000));
    qe1000_r(d, E1000_ICR);
    g_assert_false(qe1000_irq(d));

    qe1000_w(d, E1000_ICS, E1000_ICR_TXDW);
    g_assert_false(qe1000_irq(d));
    qtest_clock_step(d->qts, 100 * 1000);
    g_assert_false(qe1000_irq(d));
    qtest_clock_step(d->qts, 200 * 1000);
    g_assert_true(qe1000_irq(d));
    qe1000_r(d, E1000_ICR);
    g_assert_false(qe1000_irq(d));

    /* ITR = 0: no throttling. */
    qe1000_w(d, E1000_ITR, 0);
    qtest_clock_step(d->qts, 1000 * 1000);
    qe1000_w(d, E1000_ICS, E1000_ICR_TXDW);
    g_assert_true(qe1000_irq(d));
    qe1000_r(d, E1000_ICR);
    qe1000_w(d, E1000_ICS, E1000_ICR_TXDW);
    g_assert_true(qe1000_irq(d));
    qe1000_stop(d);
}

static void tx_one_and_wait(QE1000 *d, uint8_t extra_cmd)
{
    uint8_t frame[128], got[2048];
    QE1000FrameSpec spec;
    uint64_t gpa;
    unsigned idx;
    size_t len;

    qe1000_frame_spec_init(&spec);
    spec.payload_len = 100;
    len = qe1000_build_frame(frame, sizeof(frame), &spec, NULL);
    gpa = qe1000_copy_to_guest(d, frame, len);
    idx = qe1000_tx_legacy(d, gpa, len, E1000_TXD_CMD_EOP |
                           E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS | extra_cmd,
                           0, 0, 0);
    qe1000_tx_kick(d);
    g_assert_cmpint(qe1000_wire_recv(d, got, sizeof(got), 5000), ==, len);
    g_assert_true(qe1000_tx_wait_dd(d, idx, 5000));
}

/*
 * SDM 3.4 / 13.4 (TIDV): a descriptor with IDE delays TXDW by TIDV
 * (1.024 us units); without IDE it is immediate.
 */
static void test_intr_tidv(void)
{
    QE1000 *d = start_ready();

    qe1000_w(d, E1000_TIDV, 100);
    qe1000_w(d, E1000_TADV, 0);
    qe1000_w(d, E1000_IMS, E1000_ICR_TXDW);

    tx_one_and_wait(d, 0);
    g_assert_true(qe1000_irq(d));
    g_assert_cmphex(qe1000_r(d, E1000_ICR) & E1000_ICR_TXDW, ==,
                    E1000_ICR_TXDW);

    tx_one_and_wait(d, E1000_TXD_CMD_IDE);
    g_assert_false(qe1000_irq(d));
    qtest_clock_step(d->qts, 50 * 1000);
    g_assert_false(qe1000_irq(d));
    qtest_clock_step(d->qts, 60 * 1000);
    g_assert_true(qe1000_irq(d));
    g_assert_cmphex(qe1000_r(d, E1000_ICR) & E1000_ICR_TXDW, ==,
                    E1000_ICR_TXDW);
    qe1000_stop(d);
}

/* SDM 13.4 (TADV): TADV caps the delay of an IDE descriptor's TXDW. */
static void test_intr_tadv(void)
{
    QE1000 *d = start_ready();

    qe1000_w(d, E1000_TIDV, 1000);
    qe1000_w(d, E1000_TADV, 100);
    qe1000_w(d, E1000_IMS, E1000_ICR_TXDW);

    tx_one_and_wait(d, E1000_TXD_CMD_IDE);
    g_assert_false(qe1000_irq(d));
    qtest_clock_step(d->qts, 50 * 1000);
    g_assert_false(qe1000_irq(d));
    qtest_clock_step(d->qts, 60 * 1000);
    g_assert_true(qe1000_irq(d));
    qe1000_stop(d);
}

static void expect_stat(QE1000 *d, uint32_t reg, uint32_t val)
{
    uint32_t got = qe1000_r(d, reg);

    if (got != val) {
        g_error("statistics register 0x%05x: expected %u, read %u",
                reg, val, got);
    }
}

/*
 * SDM 13.7: counters Linux's e1000_update_stats and Windows read; octet
 * counts run from DA through CRC; every register clears on read and the
 * 64-bit pairs clear when the high half is read.
 */
static void test_stats(void)
{
    QE1000 *d = start_ready();
    static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
    static const size_t tx_len[3] = { 60, 100, 1514 };
    static const size_t rx_len[3] = { 60, 200, 1000 };
    uint8_t frame[1600], got[2048];
    QE1000FrameSpec spec;
    uint32_t gorcl;
    unsigned i;

    qe1000_w(d, E1000_RCTL, qe1000_r(d, E1000_RCTL) | E1000_RCTL_MPE);
    qe1000_clear_stats(d);

    for (i = 0; i < 3; i++) {
        qe1000_frame_spec_init(&spec);
        if (i == 0) {
            memset(spec.dst, 0xff, 6);
        } else if (i == 1) {
            memcpy(spec.dst, mcast, 6);
        }
        spec.payload_len = tx_len[i] - 14;
        qe1000_build_frame(frame, sizeof(frame), &spec, NULL);
        qe1000_tx_frame(d, frame, tx_len[i]);
        qe1000_tx_kick(d);
        g_assert_cmpint(qe1000_wire_recv(d, got, sizeof(got), 5000), ==,
                        tx_len[i]);
    }
    for (i = 0; i < 3; i++) {
        qe1000_frame_spec_init(&spec);
        if (i == 0) {
            memset(spec.dst, 0xff, 6);
        } else if (i == 2) {
            memcpy(spec.dst, mcast, 6);
        }
        spec.payload_len = rx_len[i] - 14;
        qe1000_build_frame(frame, sizeof(frame), &spec, NULL);
        qe1000_wire_send(d, frame, rx_len[i]);
        g_assert_true(qe1000_rx_wait(d, i, 5000, NULL));
    }
    g_assert_true(qe1000_tx_wait_dd(d, 2, 5000));

    expect_stat(d, E1000_TPT, 3);
    expect_stat(d, E1000_GPTC, 3);
    expect_stat(d, E1000_BPTC, 1);
    expect_stat(d, E1000_MPTC, 1);
    expect_stat(d, E1000_PTC64, 1);
    expect_stat(d, E1000_PTC127, 1);
    expect_stat(d, E1000_PTC255, 0);
    expect_stat(d, E1000_PTC1522, 1);
    expect_stat(d, E1000_GOTCL, 64 + 104 + 1518);
    expect_stat(d, E1000_GOTCH, 0);
    expect_stat(d, E1000_TOTL, 64 + 104 + 1518);
    expect_stat(d, E1000_TOTH, 0);

    expect_stat(d, E1000_TPR, 3);
    expect_stat(d, E1000_GPRC, 3);
    expect_stat(d, E1000_BPRC, 1);
    expect_stat(d, E1000_MPRC, 1);
    expect_stat(d, E1000_PRC64, 1);
    expect_stat(d, E1000_PRC255, 1);
    expect_stat(d, E1000_PRC1023, 1);
    expect_stat(d, E1000_PRC127, 0);
    expect_stat(d, E1000_MPC, 0);
    expect_stat(d, E1000_CRCERRS, 0);
    expect_stat(d, E1000_ROC, 0);
    expect_stat(d, E1000_RUC, 0);
    /* 64-bit pair: the low half survives its own read... */
    gorcl = qe1000_r(d, E1000_GORCL);
    g_assert_cmpuint(gorcl, ==, 64 + 204 + 1004);
    expect_stat(d, E1000_GORCL, 64 + 204 + 1004);
    /* ...and the pair clears when the high half is read. */
    expect_stat(d, E1000_GORCH, 0);
    expect_stat(d, E1000_GORCL, 0);
    expect_stat(d, E1000_TORL, 64 + 204 + 1004);
    expect_stat(d, E1000_TORH, 0);

    /* All read above: cleared. */
    expect_stat(d, E1000_TPT, 0);
    expect_stat(d, E1000_GPTC, 0);
    expect_stat(d, E1000_TPR, 0);
    expect_stat(d, E1000_GPRC, 0);
    expect_stat(d, E1000_BPRC, 0);
    expect_stat(d, E1000_PRC64, 0);
    expect_stat(d, E1000_GOTCL, 0);
    expect_stat(d, E1000_TORL, 0);
    /* Every counter exists and is zero without traffic. */
    qe1000_clear_stats(d);
    for (i = E1000_STATS_FIRST; i <= E1000_STATS_LAST; i += 4) {
        expect_stat(d, i, 0);
    }
    qe1000_stop(d);
}

static const uint32_t reset_regs[] = {
    E1000_CTRL, E1000_CTRL_EXT, E1000_VET, E1000_ITR, E1000_IMS,
    E1000_RCTL, E1000_TCTL, E1000_TIPG, E1000_RDBAL, E1000_RDBAH,
    E1000_RDLEN, E1000_RDH, E1000_RDT, E1000_RDTR, E1000_RADV,
    E1000_RXDCTL, E1000_TDBAL, E1000_TDBAH, E1000_TDLEN, E1000_TDH,
    E1000_TDT, E1000_TIDV, E1000_TADV, E1000_TXDCTL, E1000_RXCSUM,
    E1000_RAL(0), E1000_RAH(0),
};

static void snapshot(QE1000 *d, uint32_t *out)
{
    unsigned i;

    for (i = 0; i < G_N_ELEMENTS(reset_regs); i++) {
        out[i] = qe1000_r(d, reset_regs[i]);
    }
}

static void dirty_device(QE1000 *d)
{
    uint8_t frame[64] = { 0 };
    uint8_t got[128];

    qe1000_init(d, 8, 8, 1024);
    memset(frame, 0xff, 6);
    qe1000_tx_frame(d, frame, sizeof(frame));
    qe1000_tx_kick(d);
    g_assert_cmpint(qe1000_wire_recv(d, got, sizeof(got), 5000), ==,
                    sizeof(frame));
    qe1000_w(d, E1000_IMS, 0x9d);
    qe1000_w(d, E1000_ITR, 500);
    qe1000_w(d, E1000_VET, 0x88a8);
    qe1000_w(d, E1000_RDTR, 7);
    qe1000_w(d, E1000_RADV, 9);
    qe1000_w(d, E1000_TIDV, 11);
    qe1000_w(d, E1000_TADV, 13);
    qe1000_w(d, E1000_RXCSUM, E1000_RXCSUM_IPOFLD | E1000_RXCSUM_TUOFLD);
    qe1000_w(d, E1000_RAL(0), 0x44332211);
    qe1000_w(d, E1000_RAH(0), 0x6655);
    qe1000_w(d, E1000_CTRL, qe1000_r(d, E1000_CTRL) | E1000_CTRL_VME);
}

static void check_power_on_state(QE1000 *d, const uint32_t *before)
{
    uint32_t after[G_N_ELEMENTS(reset_regs)];
    uint16_t w0, w1, w2;
    unsigned i;

    snapshot(d, after);
    for (i = 0; i < G_N_ELEMENTS(reset_regs); i++) {
        if (after[i] != before[i]) {
            g_error("register 0x%05x after reset: 0x%08x, power-on 0x%08x",
                    reset_regs[i], after[i], before[i]);
        }
    }
    /* SDM 13.4 register tables: initial values. */
    g_assert_cmphex(qe1000_r(d, E1000_IMS), ==, 0);
    g_assert_cmphex(qe1000_r(d, E1000_RCTL), ==, 0);
    g_assert_cmphex(qe1000_r(d, E1000_RDH), ==, 0);
    g_assert_cmphex(qe1000_r(d, E1000_RDT), ==, 0);
    g_assert_cmphex(qe1000_r(d, E1000_TDH), ==, 0);
    g_assert_cmphex(qe1000_r(d, E1000_TDT), ==, 0);
    g_assert_cmphex(qe1000_r(d, E1000_RDLEN), ==, 0);
    g_assert_cmphex(qe1000_r(d, E1000_TDLEN), ==, 0);
    g_assert_cmphex(qe1000_r(d, E1000_ITR), ==, 0);
    g_assert_cmphex(qe1000_r(d, E1000_VET) & 0xffff, ==, 0x8100);
    g_assert_cmphex(qe1000_r(d, E1000_CTRL) & E1000_CTRL_VME, ==, 0);
    /* RAL0/RAH0 reloaded from the EEPROM with AV (SDM 13.5.2). */
    w0 = qe1000_eerd_read(d, 0);
    w1 = qe1000_eerd_read(d, 1);
    w2 = qe1000_eerd_read(d, 2);
    g_assert_cmphex(qe1000_r(d, E1000_RAL(0)), ==, (uint32_t)w1 << 16 | w0);
    g_assert_cmphex(qe1000_r(d, E1000_RAH(0)), ==, E1000_RAH_AV | w2);
    g_assert_cmphex(w0, ==, 0x5452);
}

/* SDM 14.9 / 13.4.1: CTRL.RST returns every MAC register to power-on. */
static void test_reset_ctrl_rst(void)
{
    QE1000 *d = qe1000_start(NULL);
    uint32_t before[G_N_ELEMENTS(reset_regs)];
    int i;

    snapshot(d, before);
    dirty_device(d);
    qe1000_w(d, E1000_CTRL, qe1000_r(d, E1000_CTRL) | E1000_CTRL_RST);
    for (i = 0; i < 100; i++) {
        qtest_clock_step(d->qts, 1000 * 1000);
        if (!(qe1000_r(d, E1000_CTRL) & E1000_CTRL_RST)) {
            break;
        }
    }
    g_assert_cmphex(qe1000_r(d, E1000_CTRL) & E1000_CTRL_RST, ==, 0);
    g_assert_false(qe1000_irq(d));
    check_power_on_state(d, before);
    /* The device is usable again. */
    qe1000_init(d, 8, 8, 2048);
    tx_one_and_wait(d, 0);
    qe1000_stop(d);
}

/*
 * A reset from the transport (QMP system_reset, PCI RST#): config space
 * back to power-on (decode off, BARs cleared) and the MAC as after
 * CTRL.RST.
 */
static void test_reset_system(void)
{
    QE1000 *d = qe1000_start(NULL);
    uint32_t before[G_N_ELEMENTS(reset_regs)];
    g_autofree char *reply = NULL;
    gint64 end;

    snapshot(d, before);
    dirty_device(d);
    reply = qtest_qmp(d->qts, "{\"execute\": \"system_reset\"}");
    g_assert_nonnull(strstr(reply, "\"return\""));
    end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while ((qpci_config_readw(d->pci, 0x04) & 0x7) != 0 &&
           g_get_monotonic_time() < end) {
        g_usleep(2000);
    }
    g_assert_cmphex(qpci_config_readw(d->pci, 0x04) & 0x7, ==, 0);
    g_assert_cmphex(qpci_config_readl(d->pci, 0x10) & ~0xfu, ==, 0);
    g_assert_cmphex(qpci_config_readl(d->pci, 0x14) & ~0x3u, ==, 0);

    qpci_iomap(d->pci, 0, NULL);
    qpci_iomap(d->pci, 1, NULL);
    qpci_device_enable(d->pci, QE1000_IRQ);
    check_power_on_state(d, before);
    qe1000_init(d, 8, 8, 2048);
    tx_one_and_wait(d, 0);
    qe1000_stop(d);
}

static uint32_t rom_size_probe(QE1000 *d)
{
    uint32_t mask;

    qpci_config_writel(d->pci, 0x30, 0xfffff800);
    mask = qpci_config_readl(d->pci, 0x30) & 0xfffff800;
    return mask ? ~mask + 1 : 0;
}

/*
 * PCI 3.0 6.2.5.2 expansion ROM BAR with romfile=: the image is served
 * read-only at the programmed address while the enable bit is set.
 */
static void check_rom(const char *path, size_t stride)
{
    g_autofree char *arg = g_strdup_printf(",romfile=%s", path);
    g_autofree char *img = NULL;
    QE1000 *d;
    gsize len;
    uint32_t size, v;
    size_t off;

    g_assert_true(g_file_get_contents(path, &img, &len, NULL));
    g_assert_cmpuint(len % 4, ==, 0);
    d = qe1000_start(arg);

    size = rom_size_probe(d);
    g_assert_cmpuint(size, >=, len);
    g_assert_cmpuint(size & (size - 1), ==, 0);
    g_assert_cmpuint(size, <, 4 * len);

    qpci_config_writel(d->pci, 0x30, ROM_ADDR | 1);
    g_assert_cmphex(qpci_config_readl(d->pci, 0x30) & 0xfffff801, ==,
                    ROM_ADDR | 1);
    g_assert_cmphex(qtest_readw(d->qts, ROM_ADDR), ==, 0xaa55);
    for (off = 0; off < len; off += stride) {
        memcpy(&v, img + off, 4);
        if (qtest_readl(d->qts, ROM_ADDR + off) != v) {
            g_error("%s: ROM offset 0x%zx differs from the file", path, off);
        }
    }
    memcpy(&v, img + len - 4, 4);
    g_assert_cmphex(qtest_readl(d->qts, ROM_ADDR + len - 4), ==, v);

    /* Read-only. */
    qtest_writel(d->qts, ROM_ADDR, 0);
    g_assert_cmphex(qtest_readw(d->qts, ROM_ADDR), ==, 0xaa55);
    /* Not decoded once the enable bit is clear. */
    qpci_config_writel(d->pci, 0x30, ROM_ADDR);
    g_assert_cmphex(qtest_readl(d->qts, ROM_ADDR), ==, 0xffffffff);
    /* The NIC itself is unaffected. */
    g_assert_cmphex(qe1000_eerd_read(d, 0), ==, 0x5452);
    qe1000_stop(d);
}

static void test_rom_pxe(void)
{
    check_rom(PXE_ROM, 4);
}

static void test_rom_efi(void)
{
    check_rom(EFI_ROM, 64);
}

/* romfile= (empty): no ROM BAR; the register is read-only zero. */
static void test_rom_absent(void)
{
    QE1000 *d = qe1000_start(",romfile=");

    g_assert_cmpuint(rom_size_probe(d), ==, 0);
    g_assert_cmphex(qpci_config_readl(d->pci, 0x30), ==, 0);
    qe1000_stop(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/e1000/pci/identity", test_pci_identity);
    g_test_add_func("/e1000/pci/bars", test_pci_bars);
    g_test_add_func("/e1000/pci/io-bar/ioaddr-iodata", test_io_window);
    g_test_add_func("/e1000/eeprom/eerd", test_eeprom_eerd);
    g_test_add_func("/e1000/eeprom/eecd-microwire", test_eeprom_microwire);
    g_test_add_func("/e1000/phy/mdic", test_phy_mdic);
    g_test_add_func("/e1000/phy/autoneg", test_phy_autoneg);
    g_test_add_func("/e1000/link/ctrl-slu", test_link_slu);
    g_test_add_func("/e1000/link/carrier-loss", test_link_carrier_loss);
    g_test_add_func("/e1000/intr/icr-ics-ims-imc", test_intr_registers);
    g_test_add_func("/e1000/intr/itr", test_intr_itr);
    g_test_add_func("/e1000/intr/tidv", test_intr_tidv);
    g_test_add_func("/e1000/intr/tadv", test_intr_tadv);
    g_test_add_func("/e1000/stats/clear-on-read", test_stats);
    g_test_add_func("/e1000/reset/ctrl-rst", test_reset_ctrl_rst);
    g_test_add_func("/e1000/reset/system-reset", test_reset_system);
    g_test_add_func("/e1000/rom/romfile-pxe", test_rom_pxe);
    g_test_add_func("/e1000/rom/romfile-efi", test_rom_efi);
    g_test_add_func("/e1000/rom/absent", test_rom_absent);

    return g_test_run();
}
