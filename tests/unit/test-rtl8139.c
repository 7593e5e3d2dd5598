/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rtl8139 in process (see rtl8139-test.h): the PCI function, options,
 * reset, EEPROM, config lock, interrupts and link, TCTR/TimerInt and
 * hostile register access. C mode RX and TX are in test-rtl8139-c.c.
 */
#include <glib/gstdio.h>
#include <unistd.h>

#include "rtl8139-test.h"

/* ---- PCI function and options ---- */

static void test_pci_ident(Fixture *f, gconstpointer data)
{
    g_assert_cmphex(cfg_r(f, 0x00, 4), ==, 0x813910ec);
    g_assert_cmphex(cfg_r(f, 0x08, 4) >> 8, ==, 0x020000);
    g_assert_cmphex(cfg_r(f, 0x08, 1), ==, f->cmode ? 0x10 : 0x20);
    g_assert_cmphex(cfg_r(f, 0x2c, 4), ==, 0x813910ec);
    g_assert_cmphex(cfg_r(f, 0x3d, 1), ==, 1);
    /* BAR sizing: 256-byte I/O and 256-byte memory. */
    cfg_w(f, 0x04, 0, 2);
    cfg_w(f, 0x10, 0xffffffff, 4);
    g_assert_cmphex(cfg_r(f, 0x10, 4), ==, 0xffffff01);
    cfg_w(f, 0x14, 0xffffffff, 4);
    g_assert_cmphex(cfg_r(f, 0x14, 4), ==, 0xffffff00);
    /* No ROM without romfile=. */
    cfg_w(f, 0x30, 0xffffffff, 4);
    g_assert_cmphex(cfg_r(f, 0x30, 4), ==, 0);
    /* The chip reports its revision at 0x5e too. */
    cfg_w(f, 0x10, IO_BASE, 4);
    cfg_w(f, 0x14, MMIO_BASE, 4);
    cfg_w(f, 0x04, 7, 2);
    g_assert_cmphex(R8(RTL_RERID), ==, f->cmode ? 0x10 : 0x20);
}

static PciDevice *new_with(const char *str, GError **err)
{
    g_autoptr(EmuOpts) opts = opts_parse(str, "driver", NULL, err);
    NicConf conf = {0};
    PciDevice *dev;
    Clock *clock = clock_new_virtual();

    g_assert_nonnull(opts);
    conf.id = "x";
    memcpy(conf.mac.a, guest_mac, 6);
    conf.clock = clock;
    conf.opts = opts;
    dev = rtl8139_new(&conf, err);
    if (dev) {
        dev->ops->destroy(dev);
    }
    clock_free(clock);
    return dev;
}

static void test_opts(void)
{
    GError *err = NULL;

    g_assert_nonnull(new_with("rtl8139,x-revision=0x10", &err));
    g_assert_no_error(err);
    g_assert_nonnull(new_with("rtl8139,mac=52:54:00:00:00:01,addr=5", &err));
    g_assert_no_error(err);
    g_assert_null(new_with("rtl8139,x-revision=0x100", &err));
    g_assert_nonnull(strstr(err->message, "x-revision"));
    g_clear_error(&err);
    g_assert_null(new_with("rtl8139,bogus=1", &err));
    g_assert_nonnull(strstr(err->message, "bogus"));
    g_clear_error(&err);
    g_assert_null(new_with("rtl8139,x-revision=abc", &err));
    g_clear_error(&err);
}

/* romfile= fills the expansion ROM BAR; a missing file is an error. */
static void test_rom(void)
{
    static const uint8_t image[3] = {0x55, 0xaa, 0x01};
    g_autofree char *path = NULL;
    Clock *clock = clock_new_virtual();
    NicConf conf = {0};
    GError *err = NULL;
    PciDevice *dev;
    int fd = g_file_open_tmp("rtl8139-rom-XXXXXX", &path, &err);

    g_assert_no_error(err);
    g_assert_cmpint(write(fd, image, sizeof(image)), ==, sizeof(image));
    close(fd);
    conf.id = "r";
    memcpy(conf.mac.a, guest_mac, 6);
    conf.clock = clock;
    conf.romfile = path;
    dev = rtl8139_new(&conf, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(dev->rom_size, ==, 2048);
    g_assert_cmpmem(dev->rom, 3, image, 3);
    dev->ops->destroy(dev);
    g_unlink(path);
    conf.romfile = "/nonexistent/rtl8139.rom";
    g_assert_null(rtl8139_new(&conf, &err));
    g_assert_nonnull(strstr(err->message, "ROM"));
    g_clear_error(&err);
    clock_free(clock);
}

/* Both BARs decode the same registers, at every offset and width. */
static void test_pci_both_bars(Fixture *f, gconstpointer data)
{
    W32(RTL_MAR0, 0x11223344);
    mwr(f, RTL_MAR0 + 4, 0x55667788, 4);
    g_assert_cmphex(mrd(f, RTL_MAR0, 4), ==, 0x11223344);
    g_assert_cmphex(R32(RTL_MAR0 + 4), ==, 0x55667788);
    for (unsigned off = 0; off < 256; off++) {
        if (off == RTL_TCTR || off == RTL_TCTR + 2) {
            continue;
        }
        g_assert_cmphex(R8(off), ==, mrd(f, off, 1));
        if (off % 2 == 0) {
            g_assert_cmphex(R16(off), ==, mrd(f, off, 2));
        }
        if (off % 4 == 0 && off != RTL_TCTR) {
            g_assert_cmphex(R32(off), ==, mrd(f, off, 4));
        }
    }
}

/*
 * iPXE realtek_detect: RxMaxSize reads back only on an RTL8169; CpCmd
 * reads back on an 8139C+; neither on a plain RTL8139 ("legacy").
 */
static void test_ipxe_detect(Fixture *f, gconstpointer data)
{
    uint16_t cpcr;

    W8(RTL_CR, RTL_CR_RST);
    g_assert_false(R8(RTL_CR) & RTL_CR_RST);
    mwr(f, RTL_RXMAXSIZE, 1522, 2);
    g_assert_cmphex(mrd(f, RTL_RXMAXSIZE, 2), !=, 1522);
    cpcr = (uint16_t)mrd(f, RTL_CPCMD, 2);
    cpcr |= RTL_CPCMD_MULRW | RTL_CPCMD_CPRX | RTL_CPCMD_CPTX | RTL_CPCMD_DAC;
    cpcr &= ~RTL_CPCMD_RXVLAN;
    mwr(f, RTL_CPCMD, cpcr, 2);
    if (f->cmode) {
        g_assert_cmphex(mrd(f, RTL_CPCMD, 2), !=, cpcr);
    } else {
        g_assert_cmphex(mrd(f, RTL_CPCMD, 2), ==, cpcr);
    }
    /* The RCR bit iPXE reads to pick 93C46 vs 93C56. */
    g_assert_false(mrd(f, RTL_RCR, 4) & RTL_RCR_9356SEL);
}

/* ---- Reset ---- */

static void test_reset_defaults(Fixture *f, gconstpointer data)
{
    for (unsigned i = 0; i < 6; i++) {
        g_assert_cmphex(R8(RTL_IDR0 + i), ==, guest_mac[i]);
    }
    g_assert_cmphex(R32(RTL_TCR) & RTL_TCR_HWVERID_MASK, ==,
                    f->cmode ? 0x74000000 : 0x74800000);
    g_assert_cmphex(R8(RTL_CR), ==, RTL_CR_BUFE);
    g_assert_cmphex(R16(RTL_CAPR), ==, 0xfff0);
    g_assert_cmphex(R16(RTL_CBR), ==, 0);
    g_assert_cmphex(R16(RTL_IMR), ==, 0);
    g_assert_cmphex(R16(RTL_ISR), ==, 0);
    for (unsigned i = 0; i < 4; i++) {
        g_assert_cmphex(R32(RTL_TSD0 + 4 * i), ==, RTL_TSD_OWN);
    }
    g_assert_cmphex(R16(RTL_TSAD), ==, 0x000f);
    g_assert_cmphex(R16(RTL_BMSR), ==, 0x782d);
    g_assert_cmphex(R16(RTL_BMCR), ==, 0x3100);
    g_assert_cmphex(R16(RTL_ANAR), ==, 0x05e1);
    g_assert_cmphex(R8(RTL_MSR) & RTL_MSR_LINKB, ==, 0);
    g_assert_cmphex(R8(RTL_MSR) & RTL_MSR_SPEED_10, ==, 0);
    g_assert_cmphex(R8(RTL_CONFIG1), ==, 0x0c);
    g_assert_cmphex(R8(RTL_9346CR), ==, 0);
    g_assert_cmphex(R32(RTL_RCR) & RTL_RCR_9356SEL, ==, 0);
    /* The C+ registers exist only on the C+ revision. */
    W16(RTL_CPCMD, RTL_CPCMD_RXCHKSUM);
    g_assert_cmphex(R16(RTL_CPCMD), ==, f->cmode ? 0 : RTL_CPCMD_RXCHKSUM);
}

/* CR.RST keeps IDR/MAR, resets the rest of the chip state. */
static void test_reset_cr(Fixture *f, gconstpointer data)
{
    uint8_t frame[64];

    c_hw_start(f, 2, true);
    W8(RTL_IDR0, 0x02);
    W32(RTL_MAR0, 0xdeadbeef);
    W16(RTL_ISR, 0xffff);
    c_tx(f, frame, build_frame(frame, peer_mac, 64, 1));
    g_assert_cmphex(R16(RTL_ISR), ==, RTL_INT_TOK);
    g_assert_true(f->level);

    W8(RTL_CR, RTL_CR_RST);
    g_assert_cmphex(R8(RTL_CR), ==, RTL_CR_BUFE);
    g_assert_false(f->level);
    g_assert_cmphex(R16(RTL_ISR), ==, 0);
    g_assert_cmphex(R16(RTL_IMR), ==, 0);
    g_assert_cmphex(R8(RTL_IDR0), ==, 0x02);
    g_assert_cmphex(R32(RTL_MAR0), ==, 0xdeadbeef);
    g_assert_cmphex(R32(RTL_TSD0), ==, RTL_TSD_OWN);

    /* A PCI reset reloads the station address from the EEPROM. */
    pci_device_reset(f->dev);
    cfg_w(f, 0x10, IO_BASE, 4);
    cfg_w(f, 0x04, 1, 2);
    g_assert_cmphex(R8(RTL_IDR0), ==, guest_mac[0]);
    g_assert_cmphex(R32(RTL_MAR0), ==, 0);
}

/* ---- 93C46 EEPROM through 9346CR ---- */

/* 8139too read_eeprom, bit for bit. */
static uint16_t too_read_eeprom(Fixture *f, unsigned location,
                                unsigned addr_len)
{
    unsigned cmd = location | (6u << addr_len);
    uint16_t v = 0;

    W8(RTL_9346CR, 0x80);
    W8(RTL_9346CR, 0x88);
    R8(RTL_9346CR);
    for (int i = 4 + addr_len; i >= 0; i--) {
        uint8_t d = (cmd & (1u << i)) ? 0x02 : 0;

        W8(RTL_9346CR, 0x88 | d);
        W8(RTL_9346CR, 0x88 | d | 0x04);
    }
    W8(RTL_9346CR, 0x88);
    for (int i = 16; i > 0; i--) {
        W8(RTL_9346CR, 0x88 | 0x04);
        v = (uint16_t)(v << 1 | (R8(RTL_9346CR) & 1));
        W8(RTL_9346CR, 0x88);
    }
    W8(RTL_9346CR, 0);
    return v;
}

static void cp_eeprom_cmd(Fixture *f, unsigned cmd, unsigned len)
{
    for (int i = (int)len - 1; i >= 0; i--) {
        uint8_t d = (cmd & (1u << i)) ? 0x02 : 0;

        W8(RTL_9346CR, 0x88 | d);
        W8(RTL_9346CR, 0x88 | d | 0x04);
    }
    W8(RTL_9346CR, 0x88);
}

/* 8139cp write_eeprom: EWEN, WRITE + data, poll ready, EWDS. */
static void cp_write_eeprom(Fixture *f, unsigned location, uint16_t val)
{
    unsigned i;

    W8(RTL_9346CR, 0x80);
    W8(RTL_9346CR, 0x88);
    cp_eeprom_cmd(f, (4u << 6) | (3u << 4), 9);
    W8(RTL_9346CR, 0);
    W8(RTL_9346CR, 0x80);
    W8(RTL_9346CR, 0x88);
    cp_eeprom_cmd(f, location | (5u << 6), 9);
    cp_eeprom_cmd(f, val, 16);
    W8(RTL_9346CR, 0);
    W8(RTL_9346CR, 0x80);
    W8(RTL_9346CR, 0x88);
    for (i = 0; i < 20000; i++) {
        if (R8(RTL_9346CR) & 1) {
            break;
        }
    }
    g_assert_cmpuint(i, <, 20000);
    W8(RTL_9346CR, 0);
    W8(RTL_9346CR, 0x80);
    W8(RTL_9346CR, 0x88);
    cp_eeprom_cmd(f, 4u << 6, 9);
    W8(RTL_9346CR, 0);
}

static void test_eeprom(Fixture *f, gconstpointer data)
{
    unsigned addr_len = too_read_eeprom(f, 0, 8) == 0x8129 ? 8 : 6;

    g_assert_cmpuint(addr_len, ==, 6);
    g_assert_cmphex(too_read_eeprom(f, 0, 6), ==, 0x8129);
    g_assert_cmphex(too_read_eeprom(f, 1, 6), ==, 0x10ec);
    g_assert_cmphex(too_read_eeprom(f, 2, 6), ==, 0x8139);
    for (unsigned i = 0; i < 3; i++) {
        g_assert_cmphex(too_read_eeprom(f, 7 + i, 6), ==,
                        guest_mac[2 * i] | guest_mac[2 * i + 1] << 8);
    }
    /* Outside programming mode EEDO reads 0. */
    g_assert_cmphex(R8(RTL_9346CR), ==, 0);

    /* Program a new MAC; auto-load (EEM=01) puts it in IDR0-5. */
    cp_write_eeprom(f, 7, 0x0102);
    cp_write_eeprom(f, 8, 0x0302);
    cp_write_eeprom(f, 9, 0x0504);
    g_assert_cmphex(too_read_eeprom(f, 8, 6), ==, 0x0302);
    g_assert_cmphex(R8(RTL_IDR0), ==, guest_mac[0]);
    W16(RTL_IMR, 0xffff);
    W8(RTL_9346CR, RTL_9346_EEM_AUTOLOAD);
    g_assert_cmphex(R8(RTL_9346CR), ==, 0);
    g_assert_cmphex(R16(RTL_IMR), ==, 0);
    for (unsigned i = 0; i < 6; i++) {
        g_assert_cmphex(R8(RTL_IDR0 + i), ==, i ? i : 2);
    }
}

/* ---- Config write enable (9346CR EEM = 11) ---- */

static void test_config_lock(Fixture *f, gconstpointer data)
{
    W8(RTL_CONFIG1, 0x20);
    g_assert_cmphex(R8(RTL_CONFIG1), ==, 0x0c);
    W8(RTL_CONFIG3, 0x20);
    g_assert_cmphex(R8(RTL_CONFIG3), ==, 0x01);
    W16(RTL_BMCR, 0x0000);
    g_assert_cmphex(R16(RTL_BMCR), ==, 0x3100);

    W8(RTL_9346CR, RTL_9346_EEM_CONFIG);
    W8(RTL_CONFIG1, 0x21 | 0xc0);
    /* IOMAP/MEMMAP are read-only. */
    g_assert_cmphex(R8(RTL_CONFIG1), ==, 0xed);
    W8(RTL_CONFIG3, 0x60);
    g_assert_cmphex(R8(RTL_CONFIG3), ==, 0x61);
    W8(RTL_CONFIG4, 0xff);
    g_assert_cmphex(R8(RTL_CONFIG4), ==, 0xf5);
    W8(RTL_CONFIG0, 0xff);
    g_assert_cmphex(R8(RTL_CONFIG0), ==, 0x07);
    W16(RTL_BMCR, 0x2000);
    g_assert_cmphex(R16(RTL_BMCR), ==, 0x2000);
    W8(RTL_9346CR, 0);
    W8(RTL_CONFIG1, 0x00);
    g_assert_cmphex(R8(RTL_CONFIG1), ==, 0xed);
    /* BMCR reset restores the PHY defaults and self-clears. */
    W16(RTL_BMCR, RTL_BMCR_RESET);
    g_assert_cmphex(R16(RTL_BMCR), ==, 0x3100);
    /* CONFIG5 is not protected. */
    W8(RTL_CONFIG5, 0xff);
    g_assert_cmphex(R8(RTL_CONFIG5), ==, 0x7f);
}

/* ---- Interrupts and link ---- */

static void test_irq_isr(Fixture *f, gconstpointer data)
{
    uint8_t frame[64];

    c_hw_start(f, 2, true);
    W16(RTL_IMR, 0);
    c_tx(f, frame, build_frame(frame, peer_mac, 64, 1));
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 64, 2)));
    g_assert_cmphex(R16(RTL_ISR), ==, RTL_INT_TOK | RTL_INT_ROK);
    g_assert_false(f->level);
    W16(RTL_IMR, RTL_INT_TOK);
    g_assert_true(f->level);
    /* Writing 0s changes nothing; a byte write to the high half neither. */
    W16(RTL_ISR, 0);
    W8(RTL_ISR + 1, 0xff);
    g_assert_cmphex(R16(RTL_ISR), ==, RTL_INT_TOK | RTL_INT_ROK);
    W8(RTL_ISR, RTL_INT_TOK);
    g_assert_cmphex(R16(RTL_ISR), ==, RTL_INT_ROK);
    g_assert_false(f->level);
    /* A dword write at IMR sets IMR and acks ISR in one go. */
    W32(RTL_IMR, (uint32_t)RTL_INT_ROK << 16 | RTL_INT_ROK);
    g_assert_cmphex(R16(RTL_ISR), ==, 0);
    g_assert_cmphex(R16(RTL_IMR), ==, RTL_INT_ROK);
    /* COMMAND.INTX_DISABLE gates the wire, not the status. */
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 64, 3)));
    g_assert_true(f->level);
    cfg_w(f, 0x04, 0x407, 2);
    g_assert_false(f->level);
    cfg_w(f, 0x04, 0x007, 2);
    g_assert_true(f->level);
}

static void test_link(Fixture *f, gconstpointer data)
{
    W16(RTL_IMR, RTL_INT_LINKCHG);
    net_backend_set_carrier(&f->net.be, false);
    g_assert_cmphex(R16(RTL_ISR), ==, RTL_INT_LINKCHG);
    g_assert_true(f->level);
    g_assert_cmphex(R16(RTL_BMSR) & RTL_BMSR_LINK, ==, 0);
    g_assert_cmphex(R8(RTL_MSR) & RTL_MSR_LINKB, ==, RTL_MSR_LINKB);
    /* 8139too reads CSCR bit 11 to tell a link change from an underrun. */
    g_assert_cmphex(R16(RTL_CSCR) & 0x0c00, ==, 0x0800);
    g_assert_cmphex(R16(RTL_ANLPAR), ==, 0);
    W16(RTL_ISR, RTL_INT_LINKCHG);
    g_assert_false(f->level);
    g_assert_cmphex(R16(RTL_CSCR) & 0x0800, ==, 0);
    net_backend_set_carrier(&f->net.be, true);
    g_assert_cmphex(R16(RTL_ISR), ==, RTL_INT_LINKCHG);
    g_assert_cmphex(R16(RTL_BMSR), ==, 0x782d);
    g_assert_cmphex(R16(RTL_CSCR) & 0x0c00, ==, 0x0c00);
    g_assert_cmphex(R8(RTL_MSR) & RTL_MSR_LINKB, ==, 0);
}

/* ---- TCTR / TimerInt (what QEMU's rtl8139-test checks, and more) ---- */

static void test_timer(Fixture *f, gconstpointer data)
{
    uint32_t prev, curr, next;
    unsigned wraps = 0;

    W16(RTL_IMR, RTL_INT_TIMEOUT);
    W32(RTL_TIMERINT, 0);
    W16(RTL_ISR, RTL_INT_TIMEOUT);
    W32(RTL_TCTR, 12345); /* any write restarts from 0 */
    curr = R32(RTL_TCTR);
    g_assert_cmpuint(curr, ==, 0);
    clock_step(f->clock, NS_PER_S);
    g_assert_cmpuint(R32(RTL_TCTR), ==, CLK);
    /* The counter wraps at 2^32 ticks (about 130 s) without interrupts. */
    prev = R32(RTL_TCTR);
    for (unsigned i = 0; i < 400 && wraps < 2; i++) {
        clock_step(f->clock, NS_PER_S);
        curr = R32(RTL_TCTR);
        g_assert_cmpuint((uint32_t)(curr - prev), ==, CLK);
        wraps += curr < prev;
        prev = curr;
    }
    g_assert_cmpuint(wraps, ==, 2);
    g_assert_cmphex(R16(RTL_ISR) & RTL_INT_TIMEOUT, ==, 0);

    /* TimerInt 1 and a restart: TimeOut after the first tick. */
    W32(RTL_TIMERINT, 1);
    W32(RTL_TCTR, 0);
    clock_step(f->clock, 20);
    g_assert_cmphex(R16(RTL_ISR) & RTL_INT_TIMEOUT, ==, 0);
    clock_step(f->clock, 20);
    g_assert_cmphex(R16(RTL_ISR) & RTL_INT_TIMEOUT, ==, RTL_INT_TIMEOUT);
    g_assert_true(f->level);
    W16(RTL_ISR, RTL_INT_TIMEOUT);
    g_assert_false(f->level);

    /* Status survives TimerInt going to 0 after it fired. */
    W32(RTL_TIMERINT, 0);
    W32(RTL_TCTR, 0);
    next = (uint32_t)(CLK / 2);
    W32(RTL_TIMERINT, next);
    clock_step(f->clock, NS_PER_S);
    W32(RTL_TIMERINT, 0);
    g_assert_cmphex(R16(RTL_ISR) & RTL_INT_TIMEOUT, ==, RTL_INT_TIMEOUT);
    W16(RTL_ISR, RTL_INT_TIMEOUT);
    /* Disabled: nothing more. */
    clock_step(f->clock, 200 * NS_PER_S);
    g_assert_cmphex(R16(RTL_ISR) & RTL_INT_TIMEOUT, ==, 0);

    /* A compare value fires once per wrap of the counter. */
    curr = R32(RTL_TCTR);
    W32(RTL_TIMERINT, curr + (uint32_t)(5 * CLK));
    clock_step(f->clock, 4 * NS_PER_S);
    g_assert_cmphex(R16(RTL_ISR) & RTL_INT_TIMEOUT, ==, 0);
    clock_step(f->clock, 2 * NS_PER_S);
    g_assert_cmphex(R16(RTL_ISR) & RTL_INT_TIMEOUT, ==, RTL_INT_TIMEOUT);
    W16(RTL_ISR, RTL_INT_TIMEOUT);
    clock_step(f->clock, 120 * NS_PER_S);
    g_assert_cmphex(R16(RTL_ISR) & RTL_INT_TIMEOUT, ==, 0);
    clock_step(f->clock, 12 * NS_PER_S);
    g_assert_cmphex(R16(RTL_ISR) & RTL_INT_TIMEOUT, ==, RTL_INT_TIMEOUT);
}

/* ---- Hostile guest ---- */

/* Rings, buffers and dumps aimed at the NIC's own BAR fail closed. */
static void test_hostile_dma_into_bar(Fixture *f, gconstpointer data)
{
    uint8_t frame[256];

    if (f->cmode) {
        c_hw_start(f, 2, true);
        W32(RTL_RBSTART, MMIO_BASE);
        g_assert_true(
            rx_frame(f, frame, build_frame(frame, guest_mac, 100, 1)));
        g_assert_true(R16(RTL_ISR) & RTL_INT_SERR);
        g_assert_false(R16(RTL_ISR) & RTL_INT_ROK);
        g_assert_cmphex(R16(RTL_CBR), ==, 0);
        return;
    }
    cp_init(f, CP_DEFAULT_CMD);
    W32(RTL_RDSAR, MMIO_BASE);
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 100, 1)));
    g_assert_true(R16(RTL_ISR) & RTL_INT_SERR);
    W16(RTL_ISR, 0xffff);
    /* A good descriptor whose buffer is the BAR. */
    W32(RTL_RDSAR, CP_RX_RING);
    ram_w32(f, CP_RX_RING + 8, MMIO_BASE);
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 100, 2)));
    g_assert_true(R16(RTL_ISR) & RTL_INT_SERR);
    g_assert_true(cp_rxd(f, 0, 0) & RTL_DESC_OWN);
    W16(RTL_ISR, 0xffff);
    /* TX ring in the BAR, then a TX buffer in the BAR. */
    W32(RTL_TNPDS, MMIO_BASE);
    W8(RTL_TPPOLL, RTL_TPPOLL_NPQ);
    g_assert_true(R16(RTL_ISR) & RTL_INT_SERR);
    W16(RTL_ISR, 0xffff);
    W32(RTL_TNPDS, CP_TX_RING);
    cp_tx_desc(f, MMIO_BASE, 100, RTL_DESC_FS | RTL_DESC_LS, 0);
    W8(RTL_TPPOLL, RTL_TPPOLL_NPQ);
    g_assert_cmpuint(f->net.sent->len, ==, 0);
    g_assert_true(R16(RTL_ISR) & RTL_INT_SERR);
    g_assert_cmphex(cp_txd(f, 0) & (RTL_DESC_OWN | RTL_TXD_TES), ==,
                    RTL_TXD_TES);
    /* The registers were not written by any of it. */
    g_assert_cmphex(R32(RTL_IDR0), ==, le32(guest_mac));
    g_assert_cmphex(R16(RTL_CPCMD), ==, CP_DEFAULT_CMD);
}

/*
 * Every byte, word, dword and qword access at every offset of both BARs,
 * reads and random writes, then the device still works after a reset.
 */
static void test_hostile_access_sweep(Fixture *f, gconstpointer data)
{
    static const unsigned sizes[] = {1, 2, 4, 8};
    GRand *rand = g_rand_new_with_seed(8139);
    uint8_t frame[256];

    for (unsigned bar = 0; bar < 2; bar++) {
        IoSpace sp = bar ? IO_SPACE_MMIO : IO_SPACE_PIO;
        hwaddr base = bar ? MMIO_BASE : IO_BASE;

        for (unsigned pass = 0; pass < 4; pass++) {
            for (unsigned off = 0; off < 256; off++) {
                for (unsigned i = 0; i < G_N_ELEMENTS(sizes); i++) {
                    uint64_t v =
                        (uint64_t)g_rand_int(rand) << 32 | g_rand_int(rand);

                    if (off + sizes[i] > 256) {
                        continue;
                    }
                    iobus_read(f->io, sp, base + off, sizes[i]);
                    iobus_write(f->io, sp, base + off, v, sizes[i]);
                    if (g_rand_boolean(rand)) {
                        rx_frame(f, frame,
                                 build_frame(frame, guest_mac, 100, off));
                    }
                    clock_step(f->clock, 1000);
                }
            }
        }
    }
    g_rand_free(rand);
    /* Reset and a clean C mode send work. */
    pci_device_reset(f->dev);
    cfg_w(f, 0x10, IO_BASE, 4);
    cfg_w(f, 0x14, MMIO_BASE, 4);
    cfg_w(f, 0x04, 0x7, 2);
    g_ptr_array_set_size(f->net.sent, 0);
    f->net.ok_budget = -1;
    net_backend_tx_ready(&f->net.be);
    c_hw_start(f, 2, true);
    c_tx(f, frame, build_frame(frame, peer_mac, 100, 9));
    g_assert_cmpuint(f->net.sent->len, ==, 1);
    g_assert_cmpmem(sent(f, 0)->data, 100, frame, 100);
}

/* rep outs / rep ins: the same port many times in a row. */
static void test_hostile_rep_pio(Fixture *f, gconstpointer data)
{
    uint8_t frame[128];
    uint32_t sum = 0;

    c_hw_start(f, 2, true);
    memcpy(f->ram + C_TX_BUF, frame, build_frame(frame, peer_mac, 100, 1));
    for (unsigned i = 0; i < 10000; i++) {
        W8(RTL_9346CR, (uint8_t)(0x80 | (i & 0x0e)));
    }
    W8(RTL_9346CR, 0);
    for (unsigned i = 0; i < 1000; i++) {
        W32(RTL_TSD0, 100);
        W16(RTL_CAPR, (uint16_t)(i * 4));
    }
    /* Slot 0 went out once, then waits behind slot 1 (round robin). */
    g_assert_cmpuint(f->net.sent->len, ==, 1);
    for (unsigned i = 0; i < 10000; i++) {
        sum += R16(RTL_ISR) + R8(RTL_CR) + R32(RTL_TCTR);
    }
    (void)sum;
    W8(RTL_CR, RTL_CR_RST);
    g_assert_cmphex(R8(RTL_CR), ==, RTL_CR_BUFE);
}

int main(int argc, char **argv)
{
    static const char c[] = "c";

    g_test_init(&argc, &argv, NULL);
    add("/rtl8139/pci/ident", NULL, test_pci_ident);
    add("/rtl8139/pci/ident-c", c, test_pci_ident);
    add("/rtl8139/pci/both-bars", NULL, test_pci_both_bars);
    g_test_add_func("/rtl8139/opts", test_opts);
    g_test_add_func("/rtl8139/pci/rom", test_rom);
    add("/rtl8139/ipxe/detect", NULL, test_ipxe_detect);
    add("/rtl8139/ipxe/detect-c", c, test_ipxe_detect);
    add("/rtl8139/reset/defaults", NULL, test_reset_defaults);
    add("/rtl8139/reset/defaults-c", c, test_reset_defaults);
    add("/rtl8139/reset/cr-rst", NULL, test_reset_cr);
    add("/rtl8139/eeprom", NULL, test_eeprom);
    add("/rtl8139/config/lock", NULL, test_config_lock);
    add("/rtl8139/irq/isr", NULL, test_irq_isr);
    add("/rtl8139/irq/link", NULL, test_link);
    add("/rtl8139/timer", NULL, test_timer);
    add("/rtl8139/hostile/dma-into-bar", NULL, test_hostile_dma_into_bar);
    add("/rtl8139/hostile/dma-into-bar-c", c, test_hostile_dma_into_bar);
    add("/rtl8139/hostile/access-sweep", NULL, test_hostile_access_sweep);
    add("/rtl8139/hostile/access-sweep-c", c, test_hostile_access_sweep);
    add("/rtl8139/hostile/rep-pio", c, test_hostile_rep_pio);
    return g_test_run();
}
