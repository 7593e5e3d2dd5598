/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by test-rtl8139.c (PCI, registers, EEPROM, timer, hostile
 * access), test-rtl8139-c.c (C mode) and test-rtl8139-cplus.c (C+ mode).
 *
 * The rtl8139 model in process, through the real seams: IoBus, flat guest
 * RAM (behind a recorder of DMA accesses), a virtual clock, the PCI bus
 * behind the CF8/CFC host bridge, and a test NetBackend that records
 * frames and can answer BUSY. The test is
 * the driver: after programming the BARs through config space it only
 * touches registers (mostly through BAR0, I/O) and guest memory, in the
 * order Linux 8139too (C mode) and 8139cp (C+ mode) do. Checksums and
 * CRCs are checked with the test's own arithmetic.
 */
#ifndef EMUNET_TESTS_RTL8139_TEST_H
#define EMUNET_TESTS_RTL8139_TEST_H

#include <glib.h>

#include "emunet/clock.h"
#include "emunet/gmem.h"
#include "emunet/iobus.h"
#include "emunet/log.h"
#include "emunet/net.h"
#include "emunet/opts.h"
#include "emunet/pci.h"
#include "hw/net/nic.h"
#include "hw/net/rtl8139_regs.h"

#define RAM_SIZE (8 * 1024 * 1024)
#define DEVFN PCI_DEVFN(4, 0)
#define IO_BASE 0xc100u
#define MMIO_BASE 0xfebf1000u
/* C mode layout, as 8139too: 32 KiB ring + 16 + 2048 slack, 4 TX bufs. */
#define C_RX_RING 0x100000
#define C_TX_BUF 0x140000
#define C_TX_STRIDE 1536
/* C+ layout, as 8139cp: RX ring, TX ring, stats block, buffers. */
#define CP_RX_RING 0x200000
#define CP_TX_RING (CP_RX_RING + 64 * 16)
#define CP_HI_RING (CP_TX_RING + 64 * 16)
#define CP_STATS 0x210000
#define CP_RX_BUF 0x300000
#define CP_RX_BUF_SZ 1536
#define CP_TX_BUF 0x400000
#define CP_NDESC 64
#define CLK 33000000ULL /* TCTR ticks per second */
#define NS_PER_S 1000000000LL

static const uint8_t guest_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t peer_mac[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

typedef struct TestNet {
    NetBackend be;
    GPtrArray *sent;
    int ok_budget; /* sends accepted before BUSY; -1: unlimited */
    bool rx_enabled;
    NetOffload last_off; /* of the last frame sent with send_offload */
    unsigned offloads;
} TestNet;

/* One DMA access the device made, as RecMem saw it. */
typedef struct DmaOp {
    bool write;
    hwaddr gpa;
    size_t len;
    uint8_t first; /* first byte written */
} DmaOp;

/*
 * The bus's guest memory: logs each DMA access while `on`, then passes it
 * to the flat RAM (the generic checks ran already, in gmem_read/write).
 */
typedef struct RecMem {
    GuestMem gm;
    GuestMem *flat;
    bool on;
    GArray *ops; /* of DmaOp */
} RecMem;

typedef struct Fixture {
    IoBus *io;
    uint8_t *ram;
    GuestMem *mem;
    RecMem rec;
    Clock *clock;
    PciBus *bus;
    IrqLine irq;
    bool level;
    unsigned raises;
    TestNet net;
    PciDevice *dev;
    bool cmode;
    /* Driver state: next C mode TX slot / RX offset, C+ ring indices. */
    unsigned c_tx;
    uint32_t c_rx;
    unsigned cp_tx;
    unsigned cp_rx;
} Fixture;

/* ---- Test backend ---- */

static inline NetSendResult tnet_send(NetBackend *be, const struct iovec *iov,
                                      int iovcnt)
{
    TestNet *tn = be->opaque;
    GByteArray *frame;

    if (tn->ok_budget == 0) {
        return NET_SEND_BUSY;
    }
    if (tn->ok_budget > 0) {
        tn->ok_budget--;
    }
    frame = g_byte_array_new();
    for (int i = 0; i < iovcnt; i++) {
        g_byte_array_append(frame, iov[i].iov_base, iov[i].iov_len);
    }
    g_ptr_array_add(tn->sent, frame);
    return NET_SEND_OK;
}

static inline void tnet_set_rx_enabled(NetBackend *be, bool enabled)
{
    ((TestNet *)be->opaque)->rx_enabled = enabled;
}

static inline void tnet_free(NetBackend *be)
{
}

static inline NetSendResult tnet_send_offload(NetBackend *be,
                                              const NetOffload *off,
                                              const struct iovec *iov,
                                              int iovcnt)
{
    TestNet *tn = be->opaque;
    NetSendResult r = tnet_send(be, iov, iovcnt);

    if (r == NET_SEND_OK) {
        tn->last_off = *off;
        tn->offloads++;
    }
    return r;
}

static const NetBackendOps tnet_ops = {
    .type = "test",
    .send = tnet_send,
    .set_rx_enabled = tnet_set_rx_enabled,
    .free = tnet_free,
};

/* A backend that segments itself (tap with a virtio-net header). */
static const NetBackendOps tnet_offload_ops = {
    .type = "test-offload",
    .send = tnet_send,
    .send_offload = tnet_send_offload,
    .set_rx_enabled = tnet_set_rx_enabled,
    .free = tnet_free,
};

static inline GByteArray *sent(Fixture *f, guint i)
{
    g_assert_cmpuint(i, <, f->net.sent->len);
    return g_ptr_array_index(f->net.sent, i);
}

/* ---- Independent arithmetic ---- */

static inline uint32_t t_sum(uint32_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2) {
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    }
    if (n & 1) {
        s += (uint32_t)p[n - 1] << 8;
    }
    return s;
}

static inline uint16_t t_fold(uint32_t s)
{
    while (s >> 16) {
        s = (s & 0xffff) + (s >> 16);
    }
    return (uint16_t)s;
}

static inline uint32_t t_crc32(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xffffffffu;

    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++) {
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
        }
    }
    return ~crc;
}

/* MSB-first CRC of an address: the RTL8139 multicast bin is crc >> 26. */
static inline unsigned t_mc_bin(const uint8_t *addr)
{
    uint32_t crc = 0xffffffffu;

    for (int i = 0; i < 6; i++) {
        for (int b = 0; b < 8; b++) {
            uint32_t bit = ((crc >> 31) ^ (addr[i] >> b)) & 1;

            crc = (crc << 1) ^ (bit ? 0x04c11db7u : 0);
        }
    }
    return crc >> 26;
}

static inline uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static inline uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static inline void putle32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* IPv4 header checksum over `ihl` bytes is valid. */
static inline bool t_ip_ok(const uint8_t *ip)
{
    return t_fold(t_sum(0, ip, (ip[0] & 15) * 4)) == 0xffff;
}

/* TCP or UDP checksum of an IPv4 datagram is valid. */
static inline bool t_l4_ok(const uint8_t *ip)
{
    size_t ihl = (ip[0] & 15) * 4;
    size_t l4len = be16(ip + 2) - ihl;
    uint32_t s = t_sum(0, ip + 12, 8);

    s += ip[9];
    s += (uint32_t)l4len;
    return t_fold(t_sum(s, ip + ihl, l4len)) == 0xffff;
}

/* ---- Frame builders ---- */

static inline size_t build_eth(uint8_t *p, const uint8_t *dst, uint16_t type)
{
    memcpy(p, dst, 6);
    memcpy(p + 6, peer_mac, 6);
    put16(p + 12, type);
    return 14;
}

/* A frame of `len` bytes to `dst`; body derived from `seq`. */
static inline size_t build_frame(uint8_t *p, const uint8_t *dst, size_t len,
                                 unsigned seq)
{
    build_eth(p, dst, 0x88b5);
    for (size_t i = 14; i < len; i++) {
        p[i] = (uint8_t)(seq * 7 + i);
    }
    if (len >= 18) {
        put32(p + 14, seq);
    }
    return len;
}

/*
 * IPv4 + TCP (flags `fl`) or UDP with `pay` payload bytes, checksums
 * valid when `csum`, else left zero.
 */
static inline size_t build_ip(uint8_t *p, uint8_t proto, size_t pay, uint8_t fl,
                              bool csum)
{
    size_t l4 = proto == 6 ? 20 : 8;
    uint8_t *ip = p + 14;
    uint8_t *t = ip + 20;
    uint32_t s;

    build_eth(p, guest_mac, 0x0800);
    memset(ip, 0, 20 + l4);
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(20 + l4 + pay));
    put16(ip + 4, 0x1000);
    put16(ip + 6, 0x4000); /* DF */
    ip[8] = 64;
    ip[9] = proto;
    put32(ip + 12, 0x0a000001);
    put32(ip + 16, 0x0a000002);
    put16(t, 1234);
    put16(t + 2, 80);
    if (proto == 6) {
        put32(t + 4, 0x01000000);
        t[12] = 0x50;
        t[13] = fl;
        put16(t + 14, 0xffff);
    } else {
        put16(t + 4, (uint16_t)(8 + pay));
    }
    for (size_t i = 0; i < pay; i++) {
        t[l4 + i] = (uint8_t)(i * 13 + 1);
    }
    if (csum) {
        put16(ip + 10, (uint16_t)~t_fold(t_sum(0, ip, 20)));
        s = t_sum(0, ip + 12, 8) + proto + (uint32_t)(l4 + pay);
        put16(t + (proto == 6 ? 16 : 6),
              (uint16_t)~t_fold(t_sum(s, t, l4 + pay)));
    }
    return 14 + 20 + l4 + pay;
}

/* ---- Guest side ---- */

static inline void irq_set(IrqLine *line, bool level)
{
    Fixture *f = line->opaque;

    f->level = level;
    f->raises += level;
}

static inline IrqLine *hook_intx(void *opaque, PciDevice *dev)
{
    return &((Fixture *)opaque)->irq;
}

static inline void cfg_w(Fixture *f, unsigned off, uint32_t v, unsigned size)
{
    iobus_write(f->io, IO_SPACE_PIO, 0xcf8,
                0x80000000u | (DEVFN << 8) | (off & 0xfc), 4);
    iobus_write(f->io, IO_SPACE_PIO, 0xcfc + (off & 3), v, size);
}

static inline uint32_t cfg_r(Fixture *f, unsigned off, unsigned size)
{
    iobus_write(f->io, IO_SPACE_PIO, 0xcf8,
                0x80000000u | (DEVFN << 8) | (off & 0xfc), 4);
    return (uint32_t)iobus_read(f->io, IO_SPACE_PIO, 0xcfc + (off & 3), size);
}

static inline uint32_t rd(Fixture *f, unsigned off, unsigned size)
{
    return (uint32_t)iobus_read(f->io, IO_SPACE_PIO, IO_BASE + off, size);
}

static inline void wr(Fixture *f, unsigned off, uint32_t v, unsigned size)
{
    iobus_write(f->io, IO_SPACE_PIO, IO_BASE + off, v, size);
}

static inline uint32_t mrd(Fixture *f, unsigned off, unsigned size)
{
    return (uint32_t)iobus_read(f->io, IO_SPACE_MMIO, MMIO_BASE + off, size);
}

static inline void mwr(Fixture *f, unsigned off, uint32_t v, unsigned size)
{
    iobus_write(f->io, IO_SPACE_MMIO, MMIO_BASE + off, v, size);
}

#define R8(o) rd(f, (o), 1)
#define R16(o) rd(f, (o), 2)
#define R32(o) rd(f, (o), 4)
#define W8(o, v) wr(f, (o), (v), 1)
#define W16(o, v) wr(f, (o), (v), 2)
#define W32(o, v) wr(f, (o), (v), 4)

static inline void ram_w32(Fixture *f, uint64_t gpa, uint32_t v)
{
    putle32(f->ram + gpa, v);
}

static inline uint32_t ram_r32(Fixture *f, uint64_t gpa)
{
    return le32(f->ram + gpa);
}

static inline bool rx_frame(Fixture *f, const uint8_t *buf, size_t len)
{
    return net_backend_receive(&f->net.be, buf, len);
}

/* ---- Recording guest memory ---- */

static inline void rec_log(RecMem *r, bool write, hwaddr gpa, const void *buf,
                           size_t len)
{
    DmaOp op = {.write = write, .gpa = gpa, .len = len};

    if (r->on) {
        op.first = write ? *(const uint8_t *)buf : 0;
        g_array_append_val(r->ops, op);
    }
}

static inline bool rec_read(GuestMem *gm, hwaddr gpa, void *buf, size_t len)
{
    RecMem *r = (RecMem *)gm;

    rec_log(r, false, gpa, buf, len);
    return r->flat->ops->read(r->flat, gpa, buf, len);
}

static inline bool rec_write(GuestMem *gm, hwaddr gpa, const void *buf,
                             size_t len)
{
    RecMem *r = (RecMem *)gm;

    rec_log(r, true, gpa, buf, len);
    return r->flat->ops->write(r->flat, gpa, buf, len);
}

static const GuestMemOps rec_ops = {
    .read = rec_read,
    .write = rec_write,
};

static inline bool dma_overlaps(const DmaOp *op, hwaddr gpa, size_t len)
{
    return op->gpa < gpa + len && gpa < op->gpa + op->len;
}

/* Index in the log of the last access overlapping [gpa, +len), or -1. */
static inline int dma_last(RecMem *r, bool write, hwaddr gpa, size_t len)
{
    int last = -1;

    for (guint i = 0; i < r->ops->len; i++) {
        const DmaOp *op = &g_array_index(r->ops, DmaOp, i);

        if (op->write == write && dma_overlaps(op, gpa, len)) {
            last = (int)i;
        }
    }
    return last;
}

/*
 * A C+ descriptor at `desc` was handed back: its OWN byte (dw0 bits
 * 31-24) was stored exactly once, by a 1-byte write with OWN clear, after
 * every other write to the descriptor and after the DMA of `buf_len`
 * bytes at `buf`. Returns that write's index in the log.
 */
static inline int check_own_last(RecMem *r, hwaddr desc, hwaddr buf,
                                 size_t buf_len)
{
    const DmaOp *own = NULL;
    int idx = -1;

    for (guint i = 0; i < r->ops->len; i++) {
        const DmaOp *op = &g_array_index(r->ops, DmaOp, i);

        if (op->write && dma_overlaps(op, desc + 3, 1)) {
            g_assert_null(own);
            own = op;
            idx = (int)i;
        }
    }
    g_assert_nonnull(own);
    g_assert_cmpuint(own->gpa, ==, desc + 3);
    g_assert_cmpuint(own->len, ==, 1);
    g_assert_cmphex(own->first & 0x80, ==, 0);
    g_assert_cmpint(dma_last(r, true, desc, 16), ==, idx);
    g_assert_cmpint(dma_last(r, false, desc, 16), <, idx);
    g_assert_cmpint(dma_last(r, true, buf, buf_len), <, idx);
    g_assert_cmpint(dma_last(r, false, buf, buf_len), <, idx);
    return idx;
}

/* ---- Fixture ---- */

static inline void fixture_setup(Fixture *f, gconstpointer data)
{
    PciBusHooks hooks = {.intx_line = hook_intx, .opaque = f};
    g_autoptr(EmuOpts) opts = NULL;
    NicConf conf = {0};
    GError *err = NULL;

    memset(f, 0, sizeof(*f));
    f->cmode = data && *(const char *)data == 'c';
    f->io = iobus_new();
    f->ram = g_malloc0(RAM_SIZE);
    f->mem = gmem_flat_new(f->ram, RAM_SIZE, f->io);
    f->rec.gm.ops = &rec_ops;
    f->rec.gm.guard = f->io;
    f->rec.flat = f->mem;
    f->rec.ops = g_array_new(FALSE, FALSE, sizeof(DmaOp));
    f->clock = clock_new_virtual();
    irq_init(&f->irq, irq_set, f);
    f->bus = pci_bus_new(f->io, &f->rec.gm, &hooks);
    g_assert_true(pci_host_init(f->bus, f->io, &err));
    f->net.sent =
        g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
    f->net.ok_budget = -1;
    net_backend_init(&f->net.be,
                     data && *(const char *)data == 'o' ? &tnet_offload_ops
                                                        : &tnet_ops,
                     "tn0", &f->net);

    if (f->cmode) {
        opts = opts_parse("rtl8139,netdev=tn0,x-revision=0x10", "driver", NULL,
                          &err);
        g_assert_no_error(err);
    }
    conf.id = "nic0";
    memcpy(conf.mac.a, guest_mac, 6);
    conf.backend = &f->net.be;
    conf.clock = f->clock;
    conf.opts = opts;
    f->dev = rtl8139_new(&conf, &err);
    g_assert_no_error(err);
    g_assert_true(pci_bus_attach(f->bus, f->dev, DEVFN, &err));
    cfg_w(f, 0x10, IO_BASE, 4);
    cfg_w(f, 0x14, MMIO_BASE, 4);
    cfg_w(f, 0x04, 0x7, 2); /* I/O, memory, bus master */
}

static inline void fixture_teardown(Fixture *f, gconstpointer data)
{
    pci_bus_free(f->bus);
    g_free(f->net.be.id);
    g_ptr_array_free(f->net.sent, TRUE);
    g_array_free(f->rec.ops, TRUE);
    gmem_free(f->mem);
    clock_free(f->clock);
    iobus_free(f->io);
    g_free(f->ram);
}

/* ---- Driver sequences ---- */

/* 8139too rtl8139_chip_reset + rtl8139_hw_start, ring of `rblen` index. */
static inline void c_hw_start(Fixture *f, unsigned rblen, bool wrap)
{
    W8(RTL_CR, RTL_CR_RST);
    g_assert_false(R8(RTL_CR) & RTL_CR_RST);
    W8(RTL_9346CR, 0xc0);
    W32(RTL_IDR0, le32(guest_mac));
    W32(RTL_IDR0 + 4, guest_mac[4] | guest_mac[5] << 8);
    W32(RTL_RBSTART, C_RX_RING);
    W8(RTL_CR, RTL_CR_RE | RTL_CR_TE);
    W32(RTL_RCR, (rblen << 11) | (wrap ? RTL_RCR_WRAP : 0) | (7 << 13) |
                     (7 << 8) | RTL_RCR_AB | RTL_RCR_APM);
    W32(RTL_TCR, (3 << 24) | (6 << 8) | (8 << 4));
    W8(RTL_CONFIG3, R8(RTL_CONFIG3) & ~0x20);
    W8(RTL_9346CR, 0);
    for (unsigned i = 0; i < 4; i++) {
        W32(RTL_TSAD0 + 4 * i, C_TX_BUF + i * C_TX_STRIDE);
    }
    W32(RTL_MPC, 0);
    W16(RTL_MULINT, R16(RTL_MULINT) & 0xf000);
    W16(RTL_IMR, 0xc07f);
    f->c_tx = 0;
    f->c_rx = 0;
}

/* 8139too rtl8139_start_xmit. */
static inline void c_tx(Fixture *f, const uint8_t *frame, size_t len)
{
    unsigned entry = f->c_tx++ % 4;

    memcpy(f->ram + C_TX_BUF + entry * C_TX_STRIDE, frame, len);
    W32(RTL_TSD0 + 4 * entry, 0x80000 | (uint32_t)MAX(len, 60));
}

/*
 * 8139too rtl8139_rx, one packet: header at cur, data contiguous (WRAP
 * set, or copied around the end otherwise), CAPR = next - 16.
 */
static inline bool c_rx(Fixture *f, uint32_t ring, GByteArray *out,
                        uint16_t *status)
{
    uint32_t off = f->c_rx % ring;
    uint32_t hdr, size;

    *status = 0;
    if (R8(RTL_CR) & RTL_CR_BUFE) {
        return false;
    }
    hdr = ram_r32(f, C_RX_RING + off);
    size = hdr >> 16;
    *status = hdr & 0xffff;
    g_byte_array_set_size(out, 0);
    for (uint32_t i = 0; i < size; i++) {
        uint32_t at = (R32(RTL_RCR) & RTL_RCR_WRAP) && ring < 65536
                          ? off + 4 + i
                          : (off + 4 + i) % ring;

        g_byte_array_append(out, f->ram + C_RX_RING + at, 1);
    }
    f->c_rx = (f->c_rx + size + 4 + 3) & ~3u;
    W16(RTL_CAPR, (uint16_t)(f->c_rx - 16));
    W16(RTL_ISR, RTL_INT_FOVW | RTL_INT_RXOVW | RTL_INT_ROK);
    return true;
}

/* Check a C mode packet: the frame, padded to 60, and its FCS. */
static inline void c_check(GByteArray *got, const uint8_t *frame, size_t len)
{
    size_t padded = MAX(len, 60);
    uint8_t exp[2048] = {0};

    memcpy(exp, frame, len);
    g_assert_cmpuint(got->len, ==, padded + 4);
    g_assert_cmpmem(got->data, padded, exp, padded);
    g_assert_cmphex(le32(got->data + padded), ==, t_crc32(exp, padded));
}

static inline void cp_rx_fill(Fixture *f, unsigned n, uint32_t bufsz)
{
    for (unsigned i = 0; i < n; i++) {
        uint64_t d = CP_RX_RING + i * 16;

        ram_w32(f, d, RTL_DESC_OWN | (i == n - 1 ? RTL_DESC_EOR : 0) | bufsz);
        ram_w32(f, d + 4, 0);
        ram_w32(f, d + 8, CP_RX_BUF + i * 2048);
        ram_w32(f, d + 12, 0);
    }
}

/* 8139cp cp_init_rings + cp_init_hw + cp_enable_irq. */
static inline void cp_init(Fixture *f, uint16_t cpcmd)
{
    memset(f->ram + CP_TX_RING, 0, 64 * 16);
    ram_w32(f, CP_TX_RING + 63 * 16, RTL_DESC_EOR);
    cp_rx_fill(f, CP_NDESC, CP_RX_BUF_SZ);
    W8(RTL_CR, RTL_CR_RST);
    g_assert_false(R8(RTL_CR) & RTL_CR_RST);
    W8(RTL_9346CR, 0xc0);
    W32(RTL_IDR0, le32(guest_mac));
    W32(RTL_IDR0 + 4, guest_mac[4] | guest_mac[5] << 8);
    W16(RTL_CPCMD, cpcmd);
    W32(RTL_THPDS, 0);
    W32(RTL_THPDS + 4, 0);
    W32(RTL_RDSAR, CP_RX_RING);
    W32(RTL_RDSAR + 4, 0);
    W32(RTL_TNPDS, CP_TX_RING);
    W32(RTL_TNPDS + 4, 0);
    W8(RTL_CR, RTL_CR_RE | RTL_CR_TE);
    W8(RTL_ETTHR, 0x06);
    W32(RTL_RCR, (5 << 13) | (4 << 8) | RTL_RCR_AB | RTL_RCR_APM);
    W32(RTL_TCR, (3 << 24) | (6 << 8));
    W8(RTL_CONFIG1, R8(RTL_CONFIG1) | 0x21);
    W8(RTL_CONFIG3, 0x40);
    W8(RTL_CONFIG5, R8(RTL_CONFIG5) & 1);
    W16(RTL_MULINT, 0);
    W8(RTL_9346CR, 0);
    W16(RTL_IMR, 0x80ff);
    f->cp_tx = 0;
    f->cp_rx = 0;
}

#define CP_DEFAULT_CMD                                                         \
    (RTL_CPCMD_MULRW | RTL_CPCMD_RXCHKSUM | RTL_CPCMD_CPRX | RTL_CPCMD_CPTX)

/* Queue one descriptor at the driver's TX index (no TPPoll). */
static inline unsigned cp_tx_desc(Fixture *f, uint64_t buf, uint32_t len,
                                  uint32_t flags, uint32_t dw1)
{
    unsigned idx = f->cp_tx;
    uint64_t d = CP_TX_RING + idx * 16;

    ram_w32(f, d + 4, dw1);
    ram_w32(f, d + 8, (uint32_t)buf);
    ram_w32(f, d + 12, (uint32_t)(buf >> 32));
    ram_w32(f, d, RTL_DESC_OWN | (idx == 63 ? RTL_DESC_EOR : 0) | flags | len);
    f->cp_tx = (idx + 1) % 64;
    return idx;
}

/* 8139cp cp_start_xmit of a linear skb, then TxPoll. */
static inline unsigned cp_tx(Fixture *f, const uint8_t *frame, size_t len,
                             uint32_t flags, uint32_t dw1)
{
    uint64_t buf = CP_TX_BUF + f->cp_tx * 0x10000ULL / 4;
    unsigned idx;

    memcpy(f->ram + buf, frame, len);
    idx = cp_tx_desc(f, buf, (uint32_t)len, RTL_DESC_FS | RTL_DESC_LS | flags,
                     dw1);
    W8(RTL_TPPOLL, RTL_TPPOLL_NPQ);
    return idx;
}

static inline uint32_t cp_txd(Fixture *f, unsigned idx)
{
    return ram_r32(f, CP_TX_RING + idx * 16);
}

static inline uint32_t cp_rxd(Fixture *f, unsigned idx, unsigned word)
{
    return ram_r32(f, CP_RX_RING + idx * 16 + word * 4);
}

static inline void add(const char *path, gconstpointer mode,
                       void (*fn)(Fixture *, gconstpointer))
{
    g_test_add(path, Fixture, mode, fixture_setup, fn, fixture_teardown);
}

#endif
