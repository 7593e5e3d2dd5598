/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by test-e1000.c (identity, EEPROM, PHY, interrupts, loopback,
 * reset, I/O BAR, hostile programming), test-e1000-tx.c (TX, checksum
 * offload, TSO) and test-e1000-rx.c (RX, filters, back-pressure).
 *
 * The e1000 model in process, through the real seams: IoBus, flat guest
 * RAM, a virtual clock, the PCI bus with the CF8/CFC host bridge, and a
 * test NetBackend that records frames and can refuse them (BUSY). The test
 * is the driver: it programs the BARs through config space and then only
 * reads and writes registers and guest memory, as a guest would.
 * Checksums are verified with the test's own arithmetic, not net_util's.
 * Everything here is static inline: each test uses a part.
 */
#ifndef EMUNET_TESTS_E1000_TEST_H
#define EMUNET_TESTS_E1000_TEST_H

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

/* One DMA access the device made, as the recorder saw it. */
typedef struct DmaOp {
    bool write;
    hwaddr gpa;
    size_t len;
    uint8_t first; /* the first byte written (writes) */
} DmaOp;

/*
 * Guest RAM as the device sees it: flat RAM behind a wrapper that logs
 * every access while `on`, so tests can check the order of write-backs.
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
    RecMem rec;
    GuestMem *mem;
    Clock *clock;
    PciBus *bus;
    IrqLine irq;
    unsigned raises;
    TestNet net;
    PciDevice *dev;
} Fixture;

/* ---- Test backend ---- */

static inline NetSendResult tnet_send(NetBackend *be, const struct iovec *iov,
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

static inline GByteArray *sent_frame(Fixture *f, guint i)
{
    g_assert_cmpuint(i, <, f->net.sent->len);
    return g_ptr_array_index(f->net.sent, i);
}

/* ---- Recording guest memory ---- */

static inline void rec_log(RecMem *r, bool write, hwaddr gpa, const void *buf,
                           size_t len)
{
    DmaOp op = { .write = write, .gpa = gpa, .len = len };

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
    int i;

    for (i = (int)r->ops->len - 1; i >= 0; i--) {
        const DmaOp *op = &g_array_index(r->ops, DmaOp, i);

        if (op->write == write && dma_overlaps(op, gpa, len)) {
            return i;
        }
    }
    return -1;
}

/*
 * The write-back discipline for a descriptor status byte at `status` that
 * the guest polls: exactly one write touches it, a 1-byte one carrying
 * DD, and it is the last access to the descriptor `desc` (16 bytes) and
 * comes after every write to [other, +other_len) (the buffer). Returns
 * the log index of the status write.
 */
static inline int check_status_last(RecMem *r, hwaddr desc, hwaddr status,
                                    hwaddr other, size_t other_len)
{
    const DmaOp *st = NULL;
    int st_idx = -1;
    guint i;

    for (i = 0; i < r->ops->len; i++) {
        const DmaOp *op = &g_array_index(r->ops, DmaOp, i);

        if (op->write && dma_overlaps(op, status, 1)) {
            g_assert_null(st);
            st = op;
            st_idx = (int)i;
        }
    }
    g_assert_nonnull(st);
    g_assert_cmpuint(st->gpa, ==, status);
    g_assert_cmpuint(st->len, ==, 1);
    g_assert_cmphex(st->first & 1, ==, 1); /* DD, both RX and TX */
    g_assert_cmpint(dma_last(r, true, desc, 16), ==, st_idx);
    g_assert_cmpint(dma_last(r, false, desc, 16), <, st_idx);
    if (other_len) {
        g_assert_cmpint(dma_last(r, true, other, other_len), <, st_idx);
        g_assert_cmpint(dma_last(r, false, other, other_len), <, st_idx);
    }
    return st_idx;
}

/* ---- Guest accessors ---- */

static inline void irq_set(IrqLine *line, bool level)
{
    Fixture *f = line->opaque;

    if (level) {
        f->raises++;
    }
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
    return (uint32_t)iobus_read(f->io, IO_SPACE_PIO, 0xcfc + (off & 3),
                                size);
}

static inline void wr(Fixture *f, unsigned reg, uint32_t v)
{
    iobus_write(f->io, IO_SPACE_MMIO, BAR0 + reg, v, 4);
}

static inline uint32_t rd(Fixture *f, unsigned reg)
{
    return (uint32_t)iobus_read(f->io, IO_SPACE_MMIO, BAR0 + reg, 4);
}

static inline void enable_device(Fixture *f)
{
    cfg_w(f, 0x10, BAR0, 4);
    cfg_w(f, 0x14, BAR1, 4);
    cfg_w(f, 0x04, 0x7, 2); /* I/O, memory, bus master */
}

static inline uint16_t phy_read(Fixture *f, unsigned reg)
{
    uint32_t v;

    wr(f, E1000_MDIC, (reg << 16) | (1u << 21) | (2u << 26));
    v = rd(f, E1000_MDIC);
    g_assert_true(v & E1000_MDIC_READY);
    g_assert_false(v & E1000_MDIC_ERROR);
    return v & 0xffff;
}

static inline void phy_write(Fixture *f, unsigned reg, uint16_t val)
{
    wr(f, E1000_MDIC, val | (reg << 16) | (1u << 21) | (1u << 26));
    g_assert_true(rd(f, E1000_MDIC) & E1000_MDIC_READY);
}

/* ---- Fixture ---- */

static inline void fixture_setup(Fixture *f, gconstpointer data)
{
    PciBusHooks hooks = { .intx_line = hook_intx, .opaque = f };
    NicConf conf = { 0 };
    GError *err = NULL;

    f->io = iobus_new();
    f->ram = g_malloc0(RAM_SIZE);
    f->rec.flat = gmem_flat_new(f->ram, RAM_SIZE, f->io);
    f->rec.gm.ops = &rec_ops;
    f->rec.gm.guard = f->io;
    f->rec.ops = g_array_new(FALSE, FALSE, sizeof(DmaOp));
    f->mem = &f->rec.gm;
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

static inline void fixture_teardown(Fixture *f, gconstpointer data)
{
    pci_bus_free(f->bus);
    g_free(f->net.be.id);
    g_ptr_array_free(f->net.sent, TRUE);
    gmem_free(f->rec.flat);
    g_array_free(f->rec.ops, TRUE);
    clock_free(f->clock);
    iobus_free(f->io);
    g_free(f->ram);
}

/* ---- Independent checksum arithmetic ---- */

static inline uint32_t t_sum(uint32_t s, const uint8_t *p, size_t n)
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

static inline uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
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

/* ---- Frame builders ---- */

static inline size_t build_eth(uint8_t *p, const uint8_t *dst, uint16_t type)
{
    memcpy(p, dst, 6);
    memcpy(p + 6, peer_mac, 6);
    put16(p + 12, type);
    return 14;
}

/* IPv4/TCP or IPv6/TCP with `pay` payload bytes; TCP checksum seeded with
 * the pseudo-header sum without length (as Linux does for TSO). */
static inline size_t build_tcp(uint8_t *p, bool v6, size_t pay, uint8_t flags)
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

static inline void tx_setup(Fixture *f, unsigned n)
{
    wr(f, E1000_TDBAL, TX_RING);
    wr(f, E1000_TDBAH, 0);
    wr(f, E1000_TDLEN, n * 16);
    wr(f, E1000_TDH, 0);
    wr(f, E1000_TDT, 0);
    wr(f, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
}

static inline uint8_t *txd(Fixture *f, unsigned i)
{
    return f->ram + TX_RING + 16 * i;
}

static inline void put_legacy(Fixture *f, unsigned i, uint64_t addr,
                              uint16_t len, uint8_t cmd, uint8_t cso,
                              uint8_t css)
{
    uint8_t *d = txd(f, i);

    memset(d, 0, 16);
    st64_le(d, addr);
    st16_le(d + 8, len);
    d[10] = cso;
    d[11] = cmd;
    d[13] = css;
}

static inline void put_ctx(Fixture *f, unsigned i, const uint8_t css[6],
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

static inline void put_data(Fixture *f, unsigned i, uint64_t addr,
                            uint32_t len, uint8_t dcmd, uint8_t popts)
{
    uint8_t *d = txd(f, i);

    memset(d, 0, 16);
    st64_le(d, addr);
    st32_le(d + 8, len | (E1000_TXD_DTYP_DATA << 20) |
                       ((uint32_t)(dcmd | E1000_TXD_CMD_DEXT) << 24));
    d[13] = popts;
}

static inline bool tx_done(Fixture *f, unsigned i)
{
    return txd(f, i)[12] & E1000_TXD_STAT_DD;
}

/* ---- RX ring helpers ---- */

static inline void rx_setup(Fixture *f, unsigned n, uint32_t rctl)
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

static inline uint8_t *rxd(Fixture *f, unsigned i)
{
    return f->ram + RX_RING + 16 * i;
}

static inline uint8_t *rxbuf(Fixture *f, unsigned i)
{
    return f->ram + RX_BUF + i * RX_BUF_STRIDE;
}

/* A len-byte frame to dst, ethertype 0x88b5, with a fixed payload. */
static inline size_t rx_frame(uint8_t *p, const uint8_t *dst, size_t len)
{
    size_t i;

    build_eth(p, dst, 0x88b5);
    for (i = 14; i < len; i++) {
        p[i] = (uint8_t)(i ^ 0x5a);
    }
    return len;
}

#endif
