/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The e1000 model in process, through the real seams: IoBus, flat guest
 * RAM, a virtual clock, the PCI bus with the CF8/CFC host bridge, and a
 * test NetBackend that records frames and can refuse them (BUSY). The test
 * is the driver: it programs the BARs through config space and then only
 * reads and writes registers and guest memory, as a guest would.
 * Checksums are verified with the test's own arithmetic, not net_util's.
 */
#include <glib.h>

#include "emunet/clock.h"
#include "emunet/gmem.h"
#include "emunet/iobus.h"
#include "emunet/log.h"
#include "emunet/net.h"
#include "emunet/pci.h"
#include "hw/net/e1000_regs.h"
#include "hw/net/nic.h"

#define RAM_SIZE (4 * 1024 * 1024)
#define DEVFN PCI_DEVFN(3, 0)
#define BAR0 0xe0000000u
#define BAR1 0xc000u
#define TX_RING 0x10000
#define TX_BUF 0x20000
#define RX_RING 0x80000
#define RX_BUF 0x90000
#define RX_BUF_STRIDE 0x4000

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t peer_mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

typedef struct TestNet {
    NetBackend be;
    GPtrArray *sent;
    int ok_budget; /* sends accepted before BUSY; -1: unlimited */
    bool rx_enabled;
    NetOffload last_off; /* of the last frame sent with send_offload */
} TestNet;

typedef struct Fixture {
    IoBus *io;
    uint8_t *ram;
    GuestMem *mem;
    Clock *clock;
    PciBus *bus;
    IrqLine irq;
    unsigned raises;
    TestNet net;
    PciDevice *dev;
} Fixture;

/* ---- Test backend ---- */

static NetSendResult tnet_send(NetBackend *be, const struct iovec *iov,
                               int iovcnt)
{
    TestNet *tn = be->opaque;
    GByteArray *f;
    int i;

    if (tn->ok_budget == 0) {
        return NET_SEND_BUSY;
    }
    if (tn->ok_budget > 0) {
        tn->ok_budget--;
    }
    f = g_byte_array_new();
    for (i = 0; i < iovcnt; i++) {
        g_byte_array_append(f, iov[i].iov_base, iov[i].iov_len);
    }
    g_ptr_array_add(tn->sent, f);
    return NET_SEND_OK;
}

static void tnet_set_rx_enabled(NetBackend *be, bool enabled)
{
    ((TestNet *)be->opaque)->rx_enabled = enabled;
}

static void tnet_free(NetBackend *be)
{
}

static NetSendResult tnet_send_offload(NetBackend *be,
                                       const NetOffload *off,
                                       const struct iovec *iov, int iovcnt)
{
    TestNet *tn = be->opaque;
    NetSendResult r = tnet_send(be, iov, iovcnt);

    if (r == NET_SEND_OK) {
        tn->last_off = *off;
    }
    return r;
}

static const NetBackendOps tnet_ops = {
    .type = "test",
    .send = tnet_send,
    .set_rx_enabled = tnet_set_rx_enabled,
    .free = tnet_free,
};

/* A backend that segments itself (as tap with a virtio-net header). */
static const NetBackendOps tnet_offload_ops = {
    .type = "test-offload",
    .send = tnet_send,
    .send_offload = tnet_send_offload,
    .set_rx_enabled = tnet_set_rx_enabled,
    .free = tnet_free,
};

static GByteArray *sent_frame(Fixture *f, guint i)
{
    g_assert_cmpuint(i, <, f->net.sent->len);
    return g_ptr_array_index(f->net.sent, i);
}

/* ---- Guest accessors ---- */

static void irq_set(IrqLine *line, bool level)
{
    Fixture *f = line->opaque;

    if (level) {
        f->raises++;
    }
}

static IrqLine *hook_intx(void *opaque, PciDevice *dev)
{
    return &((Fixture *)opaque)->irq;
}

static void cfg_w(Fixture *f, unsigned off, uint32_t v, unsigned size)
{
    iobus_write(f->io, IO_SPACE_PIO, 0xcf8,
                0x80000000u | (DEVFN << 8) | (off & 0xfc), 4);
    iobus_write(f->io, IO_SPACE_PIO, 0xcfc + (off & 3), v, size);
}

static uint32_t cfg_r(Fixture *f, unsigned off, unsigned size)
{
    iobus_write(f->io, IO_SPACE_PIO, 0xcf8,
                0x80000000u | (DEVFN << 8) | (off & 0xfc), 4);
    return (uint32_t)iobus_read(f->io, IO_SPACE_PIO, 0xcfc + (off & 3),
                                size);
}

static void wr(Fixture *f, unsigned reg, uint32_t v)
{
    iobus_write(f->io, IO_SPACE_MMIO, BAR0 + reg, v, 4);
}

static uint32_t rd(Fixture *f, unsigned reg)
{
    return (uint32_t)iobus_read(f->io, IO_SPACE_MMIO, BAR0 + reg, 4);
}

static void enable_device(Fixture *f)
{
    cfg_w(f, 0x10, BAR0, 4);
    cfg_w(f, 0x14, BAR1, 4);
    cfg_w(f, 0x04, 0x7, 2); /* I/O, memory, bus master */
}

static uint16_t phy_read(Fixture *f, unsigned reg)
{
    uint32_t v;

    wr(f, E1000_MDIC, (reg << 16) | (1u << 21) | (2u << 26));
    v = rd(f, E1000_MDIC);
    g_assert_true(v & E1000_MDIC_READY);
    g_assert_false(v & E1000_MDIC_ERROR);
    return v & 0xffff;
}

static void phy_write(Fixture *f, unsigned reg, uint16_t val)
{
    wr(f, E1000_MDIC, val | (reg << 16) | (1u << 21) | (1u << 26));
    g_assert_true(rd(f, E1000_MDIC) & E1000_MDIC_READY);
}

/* ---- Fixture ---- */

static void fixture_setup(Fixture *f, gconstpointer data)
{
    PciBusHooks hooks = { .intx_line = hook_intx, .opaque = f };
    NicConf conf = { 0 };
    GError *err = NULL;

    f->io = iobus_new();
    f->ram = g_malloc0(RAM_SIZE);
    f->mem = gmem_flat_new(f->ram, RAM_SIZE, f->io);
    f->clock = clock_new_virtual();
    irq_init(&f->irq, irq_set, f);
    f->bus = pci_bus_new(f->io, f->mem, &hooks);
    g_assert_true(pci_host_init(f->bus, f->io, &err));
    f->net.sent = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_byte_array_unref);
    f->net.ok_budget = -1;
    net_backend_init(&f->net.be, data ? &tnet_offload_ops : &tnet_ops, "tn0",
                     &f->net);

    conf.id = "nic0";
    memcpy(conf.mac.a, guest_mac, 6);
    conf.backend = &f->net.be;
    conf.clock = f->clock;
    f->dev = e1000_new(&conf, &err);
    g_assert_no_error(err);
    g_assert_true(pci_bus_attach(f->bus, f->dev, DEVFN, &err));
    enable_device(f);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    pci_bus_free(f->bus);
    g_free(f->net.be.id);
    g_ptr_array_free(f->net.sent, TRUE);
    gmem_free(f->mem);
    clock_free(f->clock);
    iobus_free(f->io);
    g_free(f->ram);
}

/* ---- Independent checksum arithmetic ---- */

static uint32_t t_sum(uint32_t s, const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i + 1 < n; i += 2) {
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    }
    if (n & 1) {
        s += (uint32_t)p[n - 1] << 8;
    }
    return s;
}

static uint16_t t_fold(uint32_t s)
{
    while (s >> 16) {
        s = (s & 0xffff) + (s >> 16);
    }
    return (uint16_t)s;
}

static uint32_t t_crc32(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xffffffffu;
    size_t i;
    int b;

    for (i = 0; i < n; i++) {
        crc ^= p[i];
        for (b = 0; b < 8; b++) {
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
        }
    }
    return ~crc;
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* ---- Frame builders ---- */

static size_t build_eth(uint8_t *p, const uint8_t *dst, uint16_t type)
{
    memcpy(p, dst, 6);
    memcpy(p + 6, peer_mac, 6);
    put16(p + 12, type);
    return 14;
}

/* IPv4/TCP or IPv6/TCP with `pay` payload bytes; TCP checksum seeded with
 * the pseudo-header sum without length (as Linux does for TSO). */
static size_t build_tcp(uint8_t *p, bool v6, size_t pay, uint8_t flags)
{
    size_t l3 = 14, l4, i;
    uint32_t pseudo;

    build_eth(p, peer_mac, v6 ? 0x86dd : 0x0800);
    if (v6) {
        memset(p + l3, 0, 40);
        p[l3] = 0x60;
        p[l3 + 6] = 6;
        p[l3 + 7] = 64;
        p[l3 + 8] = 0xfd;
        p[l3 + 23] = 1;
        p[l3 + 24] = 0xfd;
        p[l3 + 39] = 2;
        l4 = l3 + 40;
        pseudo = t_sum(0, p + l3 + 8, 32) + 6;
    } else {
        memset(p + l3, 0, 20);
        p[l3] = 0x45;
        put16(p + l3 + 4, 0x1234);
        put16(p + l3 + 6, 0x4000);
        p[l3 + 8] = 64;
        p[l3 + 9] = 6;
        put32(p + l3 + 12, 0x0a000001);
        put32(p + l3 + 16, 0x0a000002);
        l4 = l3 + 20;
        pseudo = t_sum(0, p + l3 + 12, 8) + 6;
    }
    memset(p + l4, 0, 20);
    put16(p + l4, 40000);
    put16(p + l4 + 2, 80);
    put32(p + l4 + 4, 0xfffffc00u); /* wraps during the test */
    p[l4 + 12] = 5 << 4;
    p[l4 + 13] = flags;
    put16(p + l4 + 14, 0xffff);
    put16(p + l4 + 16, t_fold(pseudo));
    for (i = 0; i < pay; i++) {
        p[l4 + 20 + i] = (uint8_t)(i * 7 + 3);
    }
    return l4 + 20 + pay;
}

/* ---- TX ring helpers ---- */

static void tx_setup(Fixture *f, unsigned n)
{
    wr(f, E1000_TDBAL, TX_RING);
    wr(f, E1000_TDBAH, 0);
    wr(f, E1000_TDLEN, n * 16);
    wr(f, E1000_TDH, 0);
    wr(f, E1000_TDT, 0);
    wr(f, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
}

static uint8_t *txd(Fixture *f, unsigned i)
{
    return f->ram + TX_RING + 16 * i;
}

static void put_legacy(Fixture *f, unsigned i, uint64_t addr, uint16_t len,
                       uint8_t cmd, uint8_t cso, uint8_t css)
{
    uint8_t *d = txd(f, i);

    memset(d, 0, 16);
    st64_le(d, addr);
    st16_le(d + 8, len);
    d[10] = cso;
    d[11] = cmd;
    d[13] = css;
}

static void put_ctx(Fixture *f, unsigned i, const uint8_t css[6],
                    uint8_t tucmd, uint32_t paylen, uint8_t hdrlen,
                    uint16_t mss)
{
    uint8_t *d = txd(f, i);

    memset(d, 0, 16);
    d[0] = css[0]; /* IPCSS, IPCSO, IPCSE */
    d[1] = css[1];
    st16_le(d + 2, css[2]);
    d[4] = css[3]; /* TUCSS, TUCSO, TUCSE */
    d[5] = css[4];
    st16_le(d + 6, css[5]);
    st32_le(d + 8, (paylen & 0xfffff) |
                       ((uint32_t)(tucmd | E1000_TXD_CMD_DEXT) << 24));
    d[13] = hdrlen;
    st16_le(d + 14, mss);
}

static void put_data(Fixture *f, unsigned i, uint64_t addr, uint32_t len,
                     uint8_t dcmd, uint8_t popts)
{
    uint8_t *d = txd(f, i);

    memset(d, 0, 16);
    st64_le(d, addr);
    st32_le(d + 8, len | (E1000_TXD_DTYP_DATA << 20) |
                       ((uint32_t)(dcmd | E1000_TXD_CMD_DEXT) << 24));
    d[13] = popts;
}

static bool tx_done(Fixture *f, unsigned i)
{
    return txd(f, i)[12] & E1000_TXD_STAT_DD;
}

/* ---- RX ring helpers ---- */

static void rx_setup(Fixture *f, unsigned n, uint32_t rctl)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        uint8_t *d = f->ram + RX_RING + 16 * i;

        memset(d, 0, 16);
        st64_le(d, RX_BUF + (uint64_t)i * RX_BUF_STRIDE);
    }
    wr(f, E1000_RDBAL, RX_RING);
    wr(f, E1000_RDBAH, 0);
    wr(f, E1000_RDLEN, n * 16);
    wr(f, E1000_RDH, 0);
    wr(f, E1000_RDT, n - 1);
    wr(f, E1000_RCTL, rctl | E1000_RCTL_EN);
}

static uint8_t *rxd(Fixture *f, unsigned i)
{
    return f->ram + RX_RING + 16 * i;
}

static uint8_t *rxbuf(Fixture *f, unsigned i)
{
    return f->ram + RX_BUF + i * RX_BUF_STRIDE;
}

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

/* ---- RX ---- */

static size_t rx_frame(uint8_t *p, const uint8_t *dst, size_t len)
{
    size_t i;

    build_eth(p, dst, 0x88b5);
    for (i = 14; i < len; i++) {
        p[i] = (uint8_t)(i ^ 0x5a);
    }
    return len;
}

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
    ADD("/e1000/tx/legacy", test_tx_legacy);
    ADD("/e1000/tx/context-csum", test_tx_ctx_csum);
    ADD("/e1000/tx/tso-ipv4", test_tso_v4);
    ADD("/e1000/tx/tso-ipv6", test_tso_v6);
    ADD("/e1000/tx/tso-busy", test_tso_busy);
    ADD("/e1000/tx/busy", test_tx_busy);
    g_test_add("/e1000/tx/tso-offload", Fixture, "offload", fixture_setup,
               test_tso_offload, fixture_teardown);
    ADD("/e1000/rx/basic", test_rx_basic);
    ADD("/e1000/rx/filters", test_rx_filters);
    ADD("/e1000/rx/csum", test_rx_csum);
    ADD("/e1000/rx/multi-buffer", test_rx_multi_buffer);
    ADD("/e1000/rx/backpressure", test_rx_backpressure);
    ADD("/e1000/loopback", test_loopback);
    ADD("/e1000/reset", test_reset);
    ADD("/e1000/io-bar", test_io_bar);
    ADD("/e1000/hostile", test_hostile);
#undef ADD
    return g_test_run();
}
