/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rtl8139 device qtests: PCI identity, BARs and option ROM, the 93C46
 * EEPROM through 9346CR, IDR/MAR, the CONFIG write-enable sequence,
 * power-on and CR.RST defaults, IMR/ISR write-1-to-clear, TCTR/TimerInt
 * (the timer Linux and QEMU's rtl8139-test rely on), link state, iPXE's
 * chip detection and RxMaxSize.
 * Expected behaviour comes from the RTL8139C(L) and RTL8139C+ datasheets
 * and from what 8139too and 8139cp rely on, never from the device code.
 */
#include <string.h>
#include <unistd.h>

#include "libqos/rtl8139.h"

#define EFI_ROM "/usr/lib/ipxe/qemu/efi-rtl8139.rom"
#define ROM_ADDR 0xe8000000u
/* PCI clock (datasheet: TCTR counts at the PCI clock, nominal 33 MHz). */
#define PCI_HZ 33333333.0
#define NS_PER_S 1000000000LL

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* PCI config space: 10ec:8139, class 020000, INTA#, revision. */
static void check_identity(const char *extra, uint8_t rev, uint32_t hwver)
{
    QRtl *d = qrtl_start(extra);

    g_assert_cmphex(qpci_config_readw(d->pci, 0x00), ==, 0x10ec);
    g_assert_cmphex(qpci_config_readw(d->pci, 0x02), ==, 0x8139);
    g_assert_cmphex(qpci_config_readb(d->pci, 0x08), ==, rev);
    g_assert_cmphex(qpci_config_readb(d->pci, 0x09), ==, 0x00);
    g_assert_cmphex(qpci_config_readb(d->pci, 0x0a), ==, 0x00);
    g_assert_cmphex(qpci_config_readb(d->pci, 0x0b), ==, 0x02);
    g_assert_cmphex(qpci_config_readb(d->pci, 0x0e) & 0x7f, ==, 0x00);
    g_assert_cmphex(qpci_config_readb(d->pci, 0x3d), ==, 0x01);
    /*
     * TCR bits 30:26 and 23:22 identify the chip (datasheet TCR HWVERID;
     * 8139too rtl_chip_info "RTL-8139C" = 0x74000000, 8139C+ adds bit 23).
     */
    g_assert_cmphex(qrtl_r32(d, RTL_TCR) & RTL_TCR_HWVERID_MASK, ==, hwver);
    qrtl_stop(d);
}

static void test_identity_cplus(void)
{
    /* Default: revision 20h, so 8139cp binds and 8139too declines. */
    check_identity(NULL, 0x20, RTL_TCR_HWVER_8139CP);
}

static void test_identity_c(void)
{
    /* Pre-C+ revision: 8139too binds (it declines revision >= 20h). */
    check_identity(QRTL_REV_C, 0x10, RTL_TCR_HWVER_8139C);
}

/* BAR0: 256-byte I/O, BAR1: 256-byte memory; both reach one register set. */
static void test_bars(void)
{
    QRtl *d = qrtl_start(NULL);

    g_assert_true(d->pci->bar_is_io[0]);
    g_assert_cmpuint(d->pci->bar_size[0], ==, 256);
    g_assert_cmphex(qpci_config_readl(d->pci, 0x10) & 1, ==, 1);
    g_assert_false(d->pci->bar_is_io[1]);
    g_assert_cmpuint(d->pci->bar_size[1], ==, 256);
    g_assert_cmphex(qpci_config_readl(d->pci, 0x14) & 1, ==, 0);

    qpci_io_writew(d->pci, QRTL_BAR_IO, RTL_IMR, 0x8065);
    g_assert_cmphex(qpci_io_readw(d->pci, QRTL_BAR_MMIO, RTL_IMR), ==,
                    0x8065);
    qpci_io_writel(d->pci, QRTL_BAR_MMIO, RTL_MAR0, 0x11223344);
    g_assert_cmphex(qpci_io_readl(d->pci, QRTL_BAR_IO, RTL_MAR0), ==,
                    0x11223344);
    g_assert_cmphex(qpci_io_readb(d->pci, QRTL_BAR_IO, RTL_MAR0 + 2), ==,
                    0x22);
    qrtl_stop(d);
}

static uint32_t rom_size_probe(QRtl *d)
{
    uint32_t mask;

    qpci_config_writel(d->pci, 0x30, 0xfffff800);
    mask = qpci_config_readl(d->pci, 0x30) & 0xfffff800;
    return mask ? ~mask + 1 : 0;
}

/* Expansion ROM BAR (PCI 3.0 6.2.5.2) with romfile=. */
static void test_rom(void)
{
    g_autofree char *img = NULL;
    g_autofree char *arg = g_strdup_printf(",romfile=%s", EFI_ROM);
    QRtl *d;
    gsize len;
    uint32_t size, v;

    g_assert_true(g_file_get_contents(EFI_ROM, &img, &len, NULL));
    d = qrtl_start(arg);
    size = rom_size_probe(d);
    g_assert_cmpuint(size, >=, len);
    g_assert_cmpuint(size & (size - 1), ==, 0);
    qpci_config_writel(d->pci, 0x30, ROM_ADDR | 1);
    g_assert_cmphex(qtest_readw(d->qts, ROM_ADDR), ==, 0xaa55);
    memcpy(&v, img + len - 4, 4);
    g_assert_cmphex(qtest_readl(d->qts, ROM_ADDR + len - 4), ==, v);
    qrtl_stop(d);

    d = qrtl_start(",romfile=");
    g_assert_cmpuint(rom_size_probe(d), ==, 0);
    qrtl_stop(d);
}

/*
 * 93C46 contents (RTL8139C datasheet 7, "EEPROM (93C46) Contents"): word 0
 * 8129h, VID, DID, ..., Ethernet ID at bytes 0Eh-13h (words 7-9), read as
 * 8139too/8139cp do. Their probe reads word 0 with 8 address bits first;
 * a 93C46 (6 address bits) must not answer 8129h to that.
 */
static void check_eeprom_read(const char *extra)
{
    QRtl *d = qrtl_start(extra);
    unsigned i;

    g_assert_cmphex(qrtl_eeprom_read(d, 0, 8), !=, 0x8129);
    g_assert_cmphex(qrtl_eeprom_read(d, 0, 6), ==, 0x8129);
    g_assert_cmphex(qrtl_eeprom_read(d, 1, 6), ==, 0x10ec);
    g_assert_cmphex(qrtl_eeprom_read(d, 2, 6), ==, 0x8139);
    for (i = 0; i < 3; i++) {
        g_assert_cmphex(qrtl_eeprom_read(d, 7 + i, 6), ==,
                        qrtl_le16(d->mac + 2 * i));
    }
    /*
     * SVID (06h), SMID (08h), MNGNT (0Ah) and MXLAT (0Bh) are what the
     * chip loads into its PCI configuration space.
     */
    g_assert_cmphex(qrtl_eeprom_read(d, 3, 6), ==,
                    qpci_config_readw(d->pci, 0x2c));
    g_assert_cmphex(qrtl_eeprom_read(d, 4, 6), ==,
                    qpci_config_readw(d->pci, 0x2e));
    g_assert_cmphex(qrtl_eeprom_read(d, 5, 6), ==,
                    qpci_config_readw(d->pci, 0x3e));
    /* IDR0-5 were auto-loaded from the same words at power-on. */
    for (i = 0; i < 6; i++) {
        g_assert_cmphex(qrtl_r8(d, RTL_IDR0 + i), ==, d->mac[i]);
    }
    /* 9346CR back in normal mode after the access. */
    g_assert_cmphex(qrtl_r8(d, RTL_9346CR) & 0xc0, ==, 0);
    qrtl_stop(d);
}

static void test_eeprom_read(void)
{
    check_eeprom_read(NULL);
    check_eeprom_read(QRTL_REV_C);
}

/* 93C46 EWEN / WRITE / ready / EWDS as 8139cp write_eeprom does it. */
static void test_eeprom_write(void)
{
    QRtl *d = qrtl_start(NULL);
    uint16_t old = qrtl_eeprom_read(d, 0x3f, 6);

    g_assert_true(qrtl_eeprom_write(d, 0x3f, 0xbeef));
    g_assert_cmphex(qrtl_eeprom_read(d, 0x3f, 6), ==, 0xbeef);
    g_assert_true(qrtl_eeprom_write(d, 0x3f, 0x1234));
    g_assert_cmphex(qrtl_eeprom_read(d, 0x3f, 6), ==, 0x1234);
    /* After EWDS a WRITE without EWEN is ignored (93C46 write protect). */
    qrtl_eeprom_write_raw(d, 0x3f, 0x5555);
    qtest_clock_step(d->qts, 20 * 1000 * 1000);
    g_assert_cmphex(qrtl_eeprom_read(d, 0x3f, 6), ==, 0x1234);
    /* Other words untouched. */
    g_assert_cmphex(qrtl_eeprom_read(d, 0, 6), ==, 0x8129);
    g_assert_true(qrtl_eeprom_write(d, 0x3f, old));
    qrtl_stop(d);
}

/*
 * 9346CR EEM = 01 (auto-load): "the RTL8139C will load the contents of
 * 93C46 as when the RSTB signal is asserted ... Upon completion, the
 * RTL8139C automatically returns to normal mode (EEM1 = EEM0 = 0)".
 */
static void test_eeprom_autoload(void)
{
    static const uint8_t other[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
    QRtl *d = qrtl_start(NULL);
    int i;

    qrtl_set_mac(d, other);
    g_assert_cmphex(qrtl_r8(d, RTL_IDR0 + 5), ==, 0x55);
    qrtl_w8(d, RTL_9346CR, RTL_9346_EEM_AUTOLOAD);
    for (i = 0; i < 100; i++) {
        if (!(qrtl_r8(d, RTL_9346CR) & 0xc0)) {
            break;
        }
        qtest_clock_step(d->qts, 1000 * 1000);
    }
    g_assert_cmphex(qrtl_r8(d, RTL_9346CR) & 0xc0, ==, 0);
    for (i = 0; i < 6; i++) {
        g_assert_cmphex(qrtl_r8(d, RTL_IDR0 + i), ==, d->mac[i]);
    }
    qrtl_stop(d);
}

/* IDR written as the drivers do; MAR is plain read/write. */
static void test_idr_mar(void)
{
    static const uint8_t mac[6] = { 0x02, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5 };
    QRtl *d = qrtl_start(NULL);
    int i;

    qrtl_set_mac(d, mac);
    for (i = 0; i < 6; i++) {
        g_assert_cmphex(qrtl_r8(d, RTL_IDR0 + i), ==, mac[i]);
    }
    g_assert_cmphex(qrtl_r16(d, RTL_IDR0 + 2), ==, 0xc3b2);
    g_assert_cmphex(qrtl_r32(d, RTL_IDR0), ==, 0xc3b2a102);

    qrtl_w32(d, RTL_MAR0, 0x04030201);
    qrtl_w32(d, RTL_MAR0 + 4, 0x08070605);
    for (i = 0; i < 8; i++) {
        g_assert_cmphex(qrtl_r8(d, RTL_MAR0 + i), ==, i + 1);
    }
    qrtl_w8(d, RTL_MAR0 + 5, 0xaa);
    g_assert_cmphex(qrtl_r32(d, RTL_MAR0 + 4), ==, 0x0807aa05);
    qrtl_w16(d, RTL_MAR0 + 2, 0xbbcc);
    g_assert_cmphex(qrtl_r32(d, RTL_MAR0), ==, 0xbbcc0201);
    qrtl_stop(d);
}

/*
 * 9346CR EEM = 11 "Config register write enable: Before writing to
 * CONFIG0, 1, 3, 4 registers, and bit13, 12, 8 of BMCR, the RTL8139C must
 * be placed in this mode." CONFIG5 is "not protected by 93C46 Command
 * register". CONFIG1 MEMMAP/IOMAP are read-only and say both BARs exist.
 */
static void test_config_write_enable(void)
{
    QRtl *d = qrtl_start(NULL);
    uint8_t c1 = qrtl_r8(d, RTL_CONFIG1);
    uint8_t c3 = qrtl_r8(d, RTL_CONFIG3);
    uint8_t c5 = qrtl_r8(d, RTL_CONFIG5);

    g_assert_cmphex(c1 & 0x0c, ==, 0x0c);

    /* Locked: ignored. */
    qrtl_w8(d, RTL_CONFIG1, c1 ^ 0x20);
    g_assert_cmphex(qrtl_r8(d, RTL_CONFIG1), ==, c1);
    qrtl_w8(d, RTL_CONFIG3, c3 ^ 0x20);
    g_assert_cmphex(qrtl_r8(d, RTL_CONFIG3), ==, c3);

    /* Unlocked: DVRLOAD (CONFIG1 bit 5), Magic (CONFIG3 bit 5) change. */
    qrtl_w8(d, RTL_9346CR, RTL_9346_EEM_CFGWE);
    g_assert_cmphex(qrtl_r8(d, RTL_9346CR) & 0xc0, ==, 0xc0);
    qrtl_w8(d, RTL_CONFIG1, c1 ^ 0x20);
    g_assert_cmphex(qrtl_r8(d, RTL_CONFIG1), ==, c1 ^ 0x20);
    qrtl_w8(d, RTL_CONFIG3, c3 ^ 0x20);
    g_assert_cmphex(qrtl_r8(d, RTL_CONFIG3), ==, c3 ^ 0x20);
    /* Read-only bits stay. */
    qrtl_w8(d, RTL_CONFIG1, (c1 ^ 0x20) & ~0x0c);
    g_assert_cmphex(qrtl_r8(d, RTL_CONFIG1) & 0x0c, ==, 0x0c);

    /* Locked again. */
    qrtl_w8(d, RTL_9346CR, 0);
    qrtl_w8(d, RTL_CONFIG1, c1);
    g_assert_cmphex(qrtl_r8(d, RTL_CONFIG1) & 0x20, ==, (c1 ^ 0x20) & 0x20);
    qrtl_w8(d, RTL_CONFIG3, c3);
    g_assert_cmphex(qrtl_r8(d, RTL_CONFIG3), ==, c3 ^ 0x20);

    /* CONFIG5 UWF/MWF/BWF are writable without the unlock. */
    qrtl_w8(d, RTL_CONFIG5, c5 ^ 0x70);
    g_assert_cmphex(qrtl_r8(d, RTL_CONFIG5) & 0x70, ==, (c5 ^ 0x70) & 0x70);
    qrtl_stop(d);
}

static void check_common_defaults(QRtl *d)
{
    int i;

    /* BUFE set (ring empty), RE = TE = 0. */
    g_assert_cmphex(qrtl_r8(d, RTL_CR), ==, RTL_CR_BUFE);
    /* Ring empty in the driver's terms: CAPR + 16 == CBR == 0. */
    g_assert_cmphex(qrtl_r16(d, RTL_CBR), ==, 0);
    g_assert_cmphex(qrtl_r16(d, RTL_CAPR), ==, 0xfff0);
    /* TSD: "After a software reset, all bits except OWN bit are reset". */
    for (i = 0; i < 4; i++) {
        g_assert_cmphex(qrtl_r32(d, RTL_TSD0 + 4 * i), ==, RTL_TSD_OWN);
    }
}

/* Power-on values (datasheet register tables). */
static void check_power_on(const char *extra)
{
    QRtl *d = qrtl_start(extra);

    d->bar = QRTL_BAR_IO;
    check_common_defaults(d);
    g_assert_cmphex(qrtl_r16(d, RTL_IMR), ==, 0);
    g_assert_cmphex(qrtl_r16(d, RTL_ISR), ==, 0);
    g_assert_cmphex(qrtl_r8(d, RTL_9346CR), ==, 0);
    g_assert_cmphex(qrtl_r32(d, RTL_TIMERINT), ==, 0);
    g_assert_cmphex(qrtl_r32(d, RTL_MPC) & 0xffffff, ==, 0);
    /* PHY: autonegotiation on, 10/100 half/full capable, link up. */
    g_assert_cmphex(qrtl_r16(d, RTL_BMCR) & RTL_BMCR_ANE, ==, RTL_BMCR_ANE);
    g_assert_cmphex(qrtl_r16(d, RTL_BMSR) & 0xf809, ==, 0x7809);
    g_assert_cmphex(qrtl_r16(d, RTL_BMSR) & (RTL_BMSR_LINK | RTL_BMSR_ANC),
                    ==, RTL_BMSR_LINK | RTL_BMSR_ANC);
    /* MSR: LINKB low = link ok; SPEED_10 low = 100 Mb/s. */
    g_assert_cmphex(qrtl_r8(d, RTL_MSR) & (RTL_MSR_LINKB | 0x08), ==, 0);
    /*
     * ANAR: 100FD/100/10FD/10 and selector 00001 (IEEE 802.3). Linux's
     * mii_check_media resolves the link from ANAR & ANLPAR; the result
     * must agree with MSR's 100 Mb/s (so 100BASE-TX full duplex).
     */
    g_assert_cmphex(qrtl_r16(d, RTL_ANAR) & 0x01ff, ==, 0x01e1);
    g_assert_cmphex(qrtl_r16(d, RTL_ANAR) & qrtl_r16(d, RTL_ANLPAR) &
                    0x0100, ==, 0x0100);
    /*
     * ANER: the partner took part in N-way (LP_NW_ABLE), no parallel
     * detection fault or next page; read-only. NWAYTR: no N-way
     * loopback, no test flags; it keeps what is written.
     */
    g_assert_cmphex(qrtl_r16(d, RTL_ANER) & 0x001f, ==, 0x0001);
    qrtl_w16(d, RTL_ANER, 0x0010);
    g_assert_cmphex(qrtl_r16(d, RTL_ANER) & 0x001f, ==, 0x0001);
    g_assert_cmphex(qrtl_r16(d, RTL_NWAYTR), ==, 0);
    qrtl_w16(d, RTL_NWAYTR, 0x0080);
    g_assert_cmphex(qrtl_r16(d, RTL_NWAYTR), ==, 0x0080);
    qrtl_stop(d);
}

static void test_power_on_defaults(void)
{
    check_power_on(NULL);
    check_power_on(QRTL_REV_C);
}

/*
 * CR.RST: "disables the transmitter and receiver, reinitializes the
 * FIFOs, resets the system buffer pointer to the initial value (Tx buffer
 * is at TSAD0, Rx buffer is empty). The values of IDR0-5 and MAR0-7 and
 * PCI configuration space will have no changes."
 */
static void test_soft_reset(void)
{
    static const uint8_t mac[6] = { 0x02, 0x01, 0x02, 0x03, 0x04, 0x05 };
    QRtl *d = qrtl_start(QRTL_REV_C);
    uint8_t frame[100];
    uint16_t status;
    uint16_t cmd;
    int i;

    qrtl_c_init(d, 0, true, RTL_RCR_AB);
    /* Dirty the state: traffic in both directions, registers. */
    qrtl_simple_frame(frame, sizeof(frame), bcast, 1);
    qrtl_wire_send(d, frame, sizeof(frame));
    g_assert_true(qrtl_c_rx_wait(d, 2000));
    qrtl_c_tx(d, frame, sizeof(frame));
    g_assert_cmphex(qrtl_c_tx_wait(d, 0, 2000) & RTL_TSD_TOK, ==,
                    RTL_TSD_TOK);
    g_assert_cmpint(qrtl_wire_recv(d, frame, sizeof(frame), 2000), ==,
                    sizeof(frame));
    qrtl_set_mac(d, mac);
    qrtl_w32(d, RTL_MAR0, 0xdeadbeef);
    qrtl_w32(d, RTL_MAR0 + 4, 0x01234567);
    cmd = qpci_config_readw(d->pci, 0x04);

    qrtl_reset(d);
    check_common_defaults(d);
    for (i = 0; i < 6; i++) {
        g_assert_cmphex(qrtl_r8(d, RTL_IDR0 + i), ==, mac[i]);
    }
    g_assert_cmphex(qrtl_r32(d, RTL_MAR0), ==, 0xdeadbeef);
    g_assert_cmphex(qrtl_r32(d, RTL_MAR0 + 4), ==, 0x01234567);
    g_assert_cmphex(qpci_config_readw(d->pci, 0x04), ==, cmd);

    /* Works again from a clean start (slot 0, ring offset 0). */
    memcpy(d->mac, mac, 6);
    qrtl_c_init(d, 0, true, RTL_RCR_APM);
    qrtl_simple_frame(frame, sizeof(frame), mac, 2);
    qrtl_wire_send(d, frame, sizeof(frame));
    g_assert_cmpint(qrtl_c_rx(d, &status, frame, sizeof(frame), 2000), ==,
                    sizeof(frame) + 4);
    g_assert_cmphex(status & RTL_RXS_ROK, ==, RTL_RXS_ROK);
    g_assert_cmphex(qrtl_be16(frame + 14), ==, 2);
    qrtl_stop(d);
}

/* IMR is read/write; ISR bits are cleared by writing 1, never set. */
static void test_isr_w1c(void)
{
    QRtl *d = qrtl_start(QRTL_REV_C);
    uint8_t frame[80];
    uint16_t isr;

    qrtl_c_init(d, 0, true, RTL_RCR_AB);
    d->rx_ack = false;
    qrtl_w16(d, RTL_IMR, 0xe07f);
    g_assert_cmphex(qrtl_r16(d, RTL_IMR), ==, 0xe07f);
    qrtl_w16(d, RTL_IMR, 0);
    g_assert_cmphex(qrtl_r16(d, RTL_ISR), ==, 0);
    g_assert_false(qrtl_irq(d));

    /* Writing ones to clear bits must not set any. */
    qrtl_w16(d, RTL_ISR, 0xffff);
    g_assert_cmphex(qrtl_r16(d, RTL_ISR), ==, 0);

    /* TOK from a transmit, ROK from a receive. */
    qrtl_simple_frame(frame, sizeof(frame), bcast, 7);
    qrtl_c_tx(d, frame, sizeof(frame));
    g_assert_cmphex(qrtl_c_tx_wait(d, 0, 2000) & RTL_TSD_TOK, ==,
                    RTL_TSD_TOK);
    qrtl_wire_send(d, frame, sizeof(frame));
    isr = qrtl_wait_isr(d, RTL_INT_ROK, 2000);
    g_assert_cmphex(isr & (RTL_INT_ROK | RTL_INT_TOK), ==,
                    RTL_INT_ROK | RTL_INT_TOK);
    /* Masked: line low. */
    g_assert_false(qrtl_irq(d));

    qrtl_w16(d, RTL_ISR, 0);
    g_assert_cmphex(qrtl_r16(d, RTL_ISR) & (RTL_INT_ROK | RTL_INT_TOK), ==,
                    RTL_INT_ROK | RTL_INT_TOK);
    qrtl_w16(d, RTL_ISR, RTL_INT_TOK);
    g_assert_cmphex(qrtl_r16(d, RTL_ISR) & (RTL_INT_ROK | RTL_INT_TOK), ==,
                    RTL_INT_ROK);

    /* The line follows ISR & IMR. */
    qrtl_w16(d, RTL_IMR, RTL_INT_TOK);
    g_assert_false(qrtl_irq(d));
    qrtl_w16(d, RTL_IMR, RTL_INT_ROK);
    g_assert_true(qrtl_irq(d));
    qrtl_w16(d, RTL_ISR, RTL_INT_ROK);
    g_assert_cmphex(qrtl_r16(d, RTL_ISR) & RTL_INT_ROK, ==, 0);
    g_assert_false(qrtl_irq(d));
    qrtl_stop(d);
}

static double tctr_rate_ticks(uint32_t before, uint32_t after)
{
    return (double)(uint32_t)(after - before);
}

/*
 * TCTR: "32-bit general-purpose timer. Writing any value to this 32-bit
 * register will reset the original timer and begin to count from zero."
 * TimerInt: "Once having written a nonzero value to this register, the
 * Timeout bit of ISR register will be set whenever the TCTR reaches to
 * this value. The Timeout bit will never be set as long as TimerInt
 * register is zero." TCTR counts at the PCI clock.
 */
static void check_timer(const char *extra)
{
    QRtl *d = qrtl_start(extra);
    uint32_t prev, cur, target;
    double ticks;
    bool wrapped = false;
    int i;

    qrtl_w16(d, RTL_IMR, 0);
    qrtl_w32(d, RTL_TIMERINT, 0);
    qrtl_w16(d, RTL_ISR, RTL_INT_TIMEOUT);

    /* Reset and rate: one virtual second is about 33.3M ticks. */
    qrtl_w32(d, RTL_TCTR, 0x12345678);
    cur = qrtl_r32(d, RTL_TCTR);
    g_assert_cmpuint(cur, <, PCI_HZ / 10);
    for (i = 0; i < 3; i++) {
        prev = cur;
        qtest_clock_step(d->qts, NS_PER_S);
        cur = qrtl_r32(d, RTL_TCTR);
        ticks = tctr_rate_ticks(prev, cur);
        g_assert_cmpfloat(ticks, >=, 0.9 * PCI_HZ);
        g_assert_cmpfloat(ticks, <=, 1.1 * PCI_HZ);
    }

    /* 32-bit wrap (~129 s), and no TimeOut with TimerInt = 0. */
    for (i = 0; i < 150 && !wrapped; i++) {
        prev = cur;
        qtest_clock_step(d->qts, NS_PER_S);
        cur = qrtl_r32(d, RTL_TCTR);
        ticks = tctr_rate_ticks(prev, cur);
        g_assert_cmpfloat(ticks, >=, 0.9 * PCI_HZ);
        g_assert_cmpfloat(ticks, <=, 1.1 * PCI_HZ);
        wrapped = cur < prev;
    }
    g_assert_true(wrapped);
    g_assert_cmphex(qrtl_r16(d, RTL_ISR) & RTL_INT_TIMEOUT, ==, 0);

    /* TimerInt = 1 and a fresh count: TimeOut almost at once. */
    qrtl_w32(d, RTL_TIMERINT, 1);
    qrtl_w32(d, RTL_TCTR, 0);
    qtest_clock_step(d->qts, 1000);
    g_assert_cmphex(qrtl_r16(d, RTL_ISR) & RTL_INT_TIMEOUT, ==,
                    RTL_INT_TIMEOUT);
    g_assert_false(qrtl_irq(d));
    qrtl_w16(d, RTL_IMR, RTL_INT_TIMEOUT);
    g_assert_true(qrtl_irq(d));
    qrtl_w16(d, RTL_ISR, RTL_INT_TIMEOUT);
    g_assert_cmphex(qrtl_r16(d, RTL_ISR) & RTL_INT_TIMEOUT, ==, 0);
    g_assert_false(qrtl_irq(d));

    /* Relative to the TCTR reset: 0.5 s worth of ticks. */
    target = (uint32_t)(PCI_HZ / 2);
    qrtl_w32(d, RTL_TIMERINT, 0);
    qrtl_w16(d, RTL_ISR, RTL_INT_TIMEOUT);
    qrtl_w32(d, RTL_TCTR, 0);
    qrtl_w32(d, RTL_TIMERINT, target);
    qtest_clock_step(d->qts, NS_PER_S * 4 / 10);
    g_assert_cmphex(qrtl_r16(d, RTL_ISR) & RTL_INT_TIMEOUT, ==, 0);
    g_assert_false(qrtl_irq(d));
    qtest_clock_step(d->qts, NS_PER_S * 2 / 10);
    g_assert_cmphex(qrtl_r16(d, RTL_ISR) & RTL_INT_TIMEOUT, ==,
                    RTL_INT_TIMEOUT);
    g_assert_true(qrtl_irq(d));
    qrtl_w16(d, RTL_ISR, RTL_INT_TIMEOUT);
    g_assert_false(qrtl_irq(d));

    /* "whenever the TCTR reaches" it: again after the next wrap. */
    cur = qrtl_r32(d, RTL_TCTR);
    wrapped = false;
    for (i = 0; i < 150; i++) {
        prev = cur;
        qtest_clock_step(d->qts, NS_PER_S);
        cur = qrtl_r32(d, RTL_TCTR);
        if (cur < prev) {
            wrapped = true;
        }
        if (!wrapped || cur < target) {
            g_assert_cmphex(qrtl_r16(d, RTL_ISR) & RTL_INT_TIMEOUT, ==, 0);
        } else {
            break;
        }
    }
    g_assert_true(wrapped);
    g_assert_cmphex(qrtl_r16(d, RTL_ISR) & RTL_INT_TIMEOUT, ==,
                    RTL_INT_TIMEOUT);
    g_assert_true(qrtl_irq(d));

    /* TimerInt = 0 disables it: acked TimeOut stays clear. */
    qrtl_w32(d, RTL_TIMERINT, 0);
    qrtl_w16(d, RTL_ISR, RTL_INT_TIMEOUT);
    for (i = 0; i < 3; i++) {
        qtest_clock_step(d->qts, NS_PER_S);
    }
    g_assert_cmphex(qrtl_r16(d, RTL_ISR) & RTL_INT_TIMEOUT, ==, 0);
    g_assert_false(qrtl_irq(d));
    qrtl_stop(d);
}

static void test_timer(void)
{
    check_timer(NULL);
}

static void test_timer_c(void)
{
    check_timer(QRTL_REV_C);
}

/*
 * Carrier loss (peer closes the socket): BMSR link status clears, MSR
 * LINKB sets, ANLPAR/ANER/CSCR lose the partner, and ISR PUN/LinkChg
 * (bit 5) is raised so 8139too/8139cp re-check the media.
 */
static void check_link(const char *extra)
{
    QRtl *d = qrtl_start(extra);
    gint64 end;

    g_assert_cmphex(qrtl_r16(d, RTL_BMSR) & RTL_BMSR_LINK, ==,
                    RTL_BMSR_LINK);
    g_assert_cmphex(qrtl_r8(d, RTL_MSR) & RTL_MSR_LINKB, ==, 0);
    qrtl_w16(d, RTL_ISR, 0xffff);
    qrtl_w16(d, RTL_IMR, RTL_INT_LINKCHG);
    g_assert_false(qrtl_irq(d));

    /* CSCR LinkOK and connection status, as 8139too reads them. */
    g_assert_cmphex(qrtl_r16(d, RTL_CSCR) & 0x0408, ==, 0x0408);
    g_assert_cmphex(qrtl_r16(d, RTL_ANER) & 0x0001, ==, 0x0001);

    qrtl_wire_close(d);
    end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
    while ((qrtl_r16(d, RTL_BMSR) & RTL_BMSR_LINK) &&
           g_get_monotonic_time() < end) {
        qrtl_settle(d, 1);
    }
    g_assert_cmphex(qrtl_r16(d, RTL_BMSR) & RTL_BMSR_LINK, ==, 0);
    g_assert_cmphex(qrtl_r8(d, RTL_MSR) & RTL_MSR_LINKB, ==, RTL_MSR_LINKB);
    /* No partner: nothing learnt from it, no link in CSCR either. */
    g_assert_cmphex(qrtl_r16(d, RTL_ANLPAR), ==, 0);
    g_assert_cmphex(qrtl_r16(d, RTL_ANER) & 0x0001, ==, 0);
    g_assert_cmphex(qrtl_r16(d, RTL_CSCR) & 0x0408, ==, 0);
    g_assert_cmphex(qrtl_r16(d, RTL_ISR) & RTL_INT_LINKCHG, ==,
                    RTL_INT_LINKCHG);
    g_assert_true(qrtl_irq(d));
    qrtl_w16(d, RTL_ISR, RTL_INT_LINKCHG);
    g_assert_false(qrtl_irq(d));
    qrtl_stop(d);
}

static void test_link(void)
{
    check_link(NULL);
    check_link(QRTL_REV_C);
}

/* MPC: "24 bits valid, write clears" (8139too/8139cp write 0 to clear). */
static void test_mpc(void)
{
    QRtl *d = qrtl_start(NULL);

    g_assert_cmphex(qrtl_r32(d, RTL_MPC) & 0xffffff, ==, 0);
    qrtl_w32(d, RTL_MPC, 0x12345678);
    g_assert_cmphex(qrtl_r32(d, RTL_MPC) & 0xffffff, ==, 0);
    qrtl_stop(d);
}

/* What iPXE's realtek driver decides a function is (realtek_detect). */
typedef enum IpxeKind {
    IPXE_RTL8169,
    IPXE_RTL8139CP,
    IPXE_RTL8139,
} IpxeKind;

/* iPXE's receive buffer length, its RMS value: 1514 + VLAN tag + FCS. */
#define IPXE_RX_MAX_LEN 1522

/*
 * iPXE realtek_probe: CR.RST, then realtek_detect: write RMS, read it
 * back; set MulRW|CPRx|CPTx|DAC in C+CR (VLAN offload off), read it back.
 * RMS read back means an RTL8169, C+CR read back an 8139C+, neither a
 * plain RTL8139.
 */
static IpxeKind ipxe_detect(QRtl *d)
{
    uint16_t rms = IPXE_RX_MAX_LEN, cpcr;

    qrtl_reset(d);
    qrtl_w16(d, RTL_RMS, rms);
    if (qrtl_r16(d, RTL_RMS) == rms) {
        return IPXE_RTL8169;
    }
    cpcr = qrtl_r16(d, RTL_CPCR);
    cpcr |= RTL_CPCR_MULRW | RTL_CPCR_RXEN | RTL_CPCR_TXEN | RTL_CPCR_DAC;
    cpcr &= ~RTL_CPCR_RXVLAN;
    qrtl_w16(d, RTL_CPCR, cpcr);
    if (qrtl_r16(d, RTL_CPCR) == cpcr && cpcr != 0xffff) {
        return IPXE_RTL8139CP;
    }
    return IPXE_RTL8139;
}

/* An 8139C+ by default, a plain RTL8139 with the pre-C+ revision. */
static void test_ipxe_detect(void)
{
    QRtl *d = qrtl_start(NULL);

    g_assert_cmpint(ipxe_detect(d), ==, IPXE_RTL8139CP);
    /* Through the I/O BAR as well (iPXE maps either). */
    d->bar = QRTL_BAR_IO;
    g_assert_cmpint(ipxe_detect(d), ==, IPXE_RTL8139CP);
    qrtl_stop(d);

    d = qrtl_start(QRTL_REV_C);
    g_assert_cmpint(ipxe_detect(d), ==, IPXE_RTL8139);
    g_assert_cmphex(qrtl_r16(d, RTL_RMS), ==, 0);
    qrtl_stop(d);
}

/* Send `len` bytes to the NIC and expect them whole in one descriptor. */
static void rx_whole(QRtl *d, size_t len, uint16_t seq, size_t cap)
{
    g_autofree uint8_t *frame = g_malloc(len);
    g_autofree uint8_t *got = g_malloc(cap);
    uint32_t o1 = 0;

    qrtl_simple_frame(frame, len, d->mac, seq);
    qrtl_wire_send(d, frame, len);
    g_assert_cmpint(qrtl_cp_rx(d, &o1, NULL, got, cap, 3000), ==,
                    (int)len + 4);
    g_assert_cmphex(o1 & (RTL_DESC_FS | RTL_DESC_LS | RTL_RXS_RES), ==,
                    RTL_DESC_FS | RTL_DESC_LS);
    g_assert_cmpmem(got, len, frame, len);
}

/* Send `len` bytes that must be dropped, and check MPC counted them. */
static void rx_dropped(QRtl *d, size_t len, uint16_t seq)
{
    g_autofree uint8_t *frame = g_malloc(len);
    uint32_t mpc = qrtl_r32(d, RTL_MPC) & 0xffffff;

    qrtl_simple_frame(frame, len, d->mac, seq);
    qrtl_wire_send(d, frame, len);
    /* The next frame lands in the very descriptor the dropped one did not. */
    rx_whole(d, 100, (uint16_t)(seq + 1), 2048);
    g_assert_cmphex(qrtl_r32(d, RTL_MPC) & 0xffffff, ==, mpc + 1);
}

/*
 * RxMaxSize (0xDA) on the 8139C+ (rtl8139-regs.c): never read back, but
 * honoured. iPXE leaves its 1522 there while it runs: a frame longer on
 * the wire is dropped (counted in MPC), not split over two of its
 * 1522-byte descriptors. Linux 8139cp never writes it and resets the
 * chip first (cp_init_hw): its buffer size alone decides, so jumbo frames
 * (MTU 4000: rx_buf_sz = mtu + ETH_HLEN + 8) arrive whole after iPXE. A
 * driver that programs it, as 8139cp did for its RTL8169 boards (RxMaxSize
 * = rx_buf_sz), gets frames up to that size, FCS included.
 */
static void test_cplus_rx_maxsize(void)
{
    QRtl *d = qrtl_start(NULL);
    unsigned i;

    g_assert_cmpint(ipxe_detect(d), ==, IPXE_RTL8139CP);
    /* realtek_open: 4 RX descriptors of IPXE_RX_MAX_LEN, no reset. */
    d->cp_rx_ring = qtest_guest_alloc(d->qts, 16 * 4, 256);
    d->cp_rx_n = 4;
    d->cp_rx_tail = 0;
    d->cp_rx_buf_size = IPXE_RX_MAX_LEN;
    for (i = 0; i < 4; i++) {
        d->cp_rx_buf[i] = qtest_guest_alloc(d->qts, IPXE_RX_MAX_LEN, 64);
        qrtl_cp_rx_refill(d, i);
    }
    qrtl_w32(d, RTL_RDSAR, (uint32_t)d->cp_rx_ring);
    qrtl_w32(d, RTL_RDSAR + 4, 0);
    qrtl_w8(d, RTL_CR, RTL_CR_RE | RTL_CR_TE);
    qrtl_w32(d, RTL_RCR, RTL_RCR_APM | RTL_RCR_AB);
    rx_whole(d, IPXE_RX_MAX_LEN - 4, 1, IPXE_RX_MAX_LEN);
    rx_dropped(d, IPXE_RX_MAX_LEN - 3, 2);
    g_assert_cmphex(qrtl_r16(d, RTL_RMS), ==, 0);

    /* Linux 8139cp with MTU 4000 takes over. */
    qrtl_cp_init(d, 4, 4, 4000 + 14 + 8, 0, 0);
    rx_whole(d, 4000 + 14, 3, 4022);
    rx_whole(d, IPXE_RX_MAX_LEN, 4, 4022);

    /* RxMaxSize = rx_buf_sz, as 8139cp writes it on an RTL8169. */
    qrtl_cp_init(d, 4, 4, 1536, 0, 0);
    qrtl_w16(d, RTL_RMS, 1536);
    g_assert_cmphex(qrtl_r16(d, RTL_RMS), ==, 0);
    rx_whole(d, 1536 - 4, 5, 1536);
    rx_dropped(d, 1536 - 3, 6);
    qrtl_stop(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/rtl8139/pci/identity", test_identity_cplus);
    g_test_add_func("/rtl8139/pci/identity-c", test_identity_c);
    g_test_add_func("/rtl8139/pci/bars", test_bars);
    g_test_add_func("/rtl8139/pci/rom", test_rom);
    g_test_add_func("/rtl8139/eeprom/read", test_eeprom_read);
    g_test_add_func("/rtl8139/eeprom/write", test_eeprom_write);
    g_test_add_func("/rtl8139/eeprom/autoload", test_eeprom_autoload);
    g_test_add_func("/rtl8139/idr-mar", test_idr_mar);
    g_test_add_func("/rtl8139/config/write-enable",
                    test_config_write_enable);
    g_test_add_func("/rtl8139/reset/power-on", test_power_on_defaults);
    g_test_add_func("/rtl8139/reset/soft", test_soft_reset);
    g_test_add_func("/rtl8139/isr/w1c", test_isr_w1c);
    g_test_add_func("/rtl8139/timer", test_timer);
    g_test_add_func("/rtl8139/timer/c", test_timer_c);
    g_test_add_func("/rtl8139/link", test_link);
    g_test_add_func("/rtl8139/mpc", test_mpc);
    g_test_add_func("/rtl8139/ipxe/detect", test_ipxe_detect);
    g_test_add_func("/rtl8139/cplus/rx/maxsize", test_cplus_rx_maxsize);

    return g_test_run();
}
