/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libqos e1000: test-side driver for the Intel 82540EM, following the
 * 8254x Family SDM (chapter 14, "General Initialization and Reset
 * Operation") and Linux's e1000 driver bring-up order.
 */
#include <string.h>
#include <unistd.h>

#include "libqos/e1000.h"

/* Real-time poll interval for DMA results. */
#define QE1000_POLL_US 500

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = v & 0xff;
    p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v & 0xffff);
    put16(p + 2, v >> 16);
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    int i;

    for (i = 7; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

QE1000 *qe1000_start(const char *device_extra)
{
    QE1000 *d = g_new0(QE1000, 1);
    int sv[2];
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

    qtest_socketpair(sv);
    d->qts = qtest_initf("-netdev socket,id=n0,fd=%d "
                         "-device e1000,netdev=n0,mac=" QE1000_MAC
                         ",addr=04.0%s",
                         sv[1], device_extra ? device_extra : "");
    /* libqtest owns sv[1] (closed after it is handed to emunet). */
    d->wire = sv[0];
    memcpy(d->mac, mac, sizeof(mac));

    d->pci = qpci_device_find(d->qts, QE1000_DEVFN);
    g_assert_nonnull(d->pci);
    qpci_iomap(d->pci, 0, NULL);
    qpci_iomap(d->pci, 1, NULL);
    qpci_device_enable(d->pci, QE1000_IRQ);
    qtest_irq_intercept_in(d->qts, "ioapic");
    return d;
}

void qe1000_stop(QE1000 *d)
{
    qtest_quit(d->qts);
    if (d->wire >= 0) {
        close(d->wire);
    }
    qpci_device_free(d->pci);
    g_free(d->rx_buf);
    g_free(d);
}

uint32_t qe1000_r(QE1000 *d, uint32_t reg)
{
    return qpci_io_readl(d->pci, 0, reg);
}

void qe1000_w(QE1000 *d, uint32_t reg, uint32_t val)
{
    qpci_io_writel(d->pci, 0, reg, val);
}

void qe1000_reset(QE1000 *d)
{
    int i;

    /* Linux e1000_reset_hw: mask, stop RX/TX, then CTRL.RST. */
    qe1000_w(d, E1000_IMC, 0xffffffff);
    qe1000_w(d, E1000_RCTL, 0);
    qe1000_w(d, E1000_TCTL, E1000_TCTL_PSP);
    qe1000_w(d, E1000_CTRL, qe1000_r(d, E1000_CTRL) | E1000_CTRL_RST);
    /* SDM 13.4.1: RST is self-clearing; drivers wait a few ms. */
    for (i = 0; i < 100; i++) {
        qtest_clock_step(d->qts, 1000 * 1000);
        if (!(qe1000_r(d, E1000_CTRL) & E1000_CTRL_RST)) {
            break;
        }
    }
    g_assert_cmphex(qe1000_r(d, E1000_CTRL) & E1000_CTRL_RST, ==, 0);
    qe1000_w(d, E1000_IMC, 0xffffffff);
    qe1000_r(d, E1000_ICR);
}

uint32_t qe1000_rctl_bsize(size_t size)
{
    switch (size) {
    case 2048:
        return 0;
    case 1024:
        return 1u << E1000_RCTL_BSIZE_SHIFT;
    case 512:
        return 2u << E1000_RCTL_BSIZE_SHIFT;
    case 256:
        return 3u << E1000_RCTL_BSIZE_SHIFT;
    case 16384:
        return E1000_RCTL_BSEX | 1u << E1000_RCTL_BSIZE_SHIFT;
    case 8192:
        return E1000_RCTL_BSEX | 2u << E1000_RCTL_BSIZE_SHIFT;
    case 4096:
        return E1000_RCTL_BSEX | 3u << E1000_RCTL_BSIZE_SHIFT;
    default:
        g_assert_not_reached();
    }
}

void qe1000_clear_stats(QE1000 *d)
{
    uint32_t off;

    for (off = E1000_STATS_FIRST; off <= E1000_STATS_LAST; off += 4) {
        qe1000_r(d, off);
    }
}

void qe1000_init(QE1000 *d, unsigned tx_n, unsigned rx_n, size_t rx_buf_size)
{
    unsigned i;
    int tries;

    g_assert(tx_n % 8 == 0 && rx_n % 8 == 0);
    qe1000_reset(d);
    qe1000_clear_stats(d);

    /* Linux e1000_setup_copper_link: the MAC follows the PHY link. */
    qe1000_w(d, E1000_CTRL, (qe1000_r(d, E1000_CTRL) | E1000_CTRL_SLU |
                             E1000_CTRL_ASDE));
    for (tries = 0; tries < 1000; tries++) {
        if (qe1000_r(d, E1000_STATUS) & E1000_STATUS_LU) {
            break;
        }
        qtest_clock_step(d->qts, 10 * 1000 * 1000);
    }
    g_assert_cmphex(qe1000_r(d, E1000_STATUS) & E1000_STATUS_LU, ==,
                    E1000_STATUS_LU);
    qe1000_r(d, E1000_ICR);

    /* Transmit (SDM 14.5). */
    d->tx_n = tx_n;
    d->tx_tail = 0;
    d->tx_ring = qtest_guest_alloc(d->qts, tx_n * 16, 128);
    qtest_memset(d->qts, d->tx_ring, 0, tx_n * 16);
    qe1000_w(d, E1000_TDBAL, (uint32_t)d->tx_ring);
    qe1000_w(d, E1000_TDBAH, (uint32_t)(d->tx_ring >> 32));
    qe1000_w(d, E1000_TDLEN, tx_n * 16);
    qe1000_w(d, E1000_TDH, 0);
    qe1000_w(d, E1000_TDT, 0);
    qe1000_w(d, E1000_TIDV, 0);
    qe1000_w(d, E1000_TADV, 0);
    qe1000_w(d, E1000_TIPG, 8 | 8 << 10 | 6 << 20);
    qe1000_w(d, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP |
             0x0f << E1000_TCTL_CT_SHIFT | 0x40 << E1000_TCTL_COLD_SHIFT);

    /* Receive (SDM 14.4). */
    d->rx_n = rx_n;
    d->rx_buf_size = rx_buf_size;
    g_free(d->rx_buf);
    d->rx_buf = g_new0(uint64_t, rx_n);
    d->rx_ring = qtest_guest_alloc(d->qts, rx_n * 16, 128);
    for (i = 0; i < rx_n; i++) {
        d->rx_buf[i] = qtest_guest_alloc(d->qts, rx_buf_size, 64);
        qe1000_rx_refill(d, i);
    }
    for (i = 0; i < 128; i++) {
        qe1000_w(d, E1000_MTA + 4 * i, 0);
    }
    qe1000_w(d, E1000_RDBAL, (uint32_t)d->rx_ring);
    qe1000_w(d, E1000_RDBAH, (uint32_t)(d->rx_ring >> 32));
    qe1000_w(d, E1000_RDLEN, rx_n * 16);
    qe1000_w(d, E1000_RDH, 0);
    qe1000_w(d, E1000_RDT, rx_n - 1);
    qe1000_w(d, E1000_RDTR, 0);
    qe1000_w(d, E1000_RADV, 0);
    qe1000_w(d, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM |
             E1000_RCTL_SECRC | qe1000_rctl_bsize(rx_buf_size) |
             (rx_buf_size > 2048 ? E1000_RCTL_LPE : 0));
}

uint16_t qe1000_phy_read(QE1000 *d, unsigned reg)
{
    uint32_t v = 0;
    int i;

    qe1000_w(d, E1000_MDIC, E1000_MDIC_OP_READ | 1u << E1000_MDIC_PHY_SHIFT |
             reg << E1000_MDIC_REG_SHIFT);
    /* Linux e1000_read_phy_reg_ex polls R for up to 1.9 ms. */
    for (i = 0; i < 64; i++) {
        v = qe1000_r(d, E1000_MDIC);
        if (v & E1000_MDIC_READY) {
            break;
        }
        qtest_clock_step(d->qts, 50 * 1000);
    }
    g_assert_cmphex(v & E1000_MDIC_READY, ==, E1000_MDIC_READY);
    g_assert_cmphex(v & E1000_MDIC_ERROR, ==, 0);
    return v & 0xffff;
}

void qe1000_phy_write(QE1000 *d, unsigned reg, uint16_t val)
{
    uint32_t v = 0;
    int i;

    qe1000_w(d, E1000_MDIC, E1000_MDIC_OP_WRITE |
             1u << E1000_MDIC_PHY_SHIFT | reg << E1000_MDIC_REG_SHIFT | val);
    for (i = 0; i < 64; i++) {
        v = qe1000_r(d, E1000_MDIC);
        if (v & E1000_MDIC_READY) {
            break;
        }
        qtest_clock_step(d->qts, 50 * 1000);
    }
    g_assert_cmphex(v & E1000_MDIC_READY, ==, E1000_MDIC_READY);
    g_assert_cmphex(v & E1000_MDIC_ERROR, ==, 0);
}

uint16_t qe1000_eerd_read(QE1000 *d, unsigned word)
{
    uint32_t v = 0;
    int i;

    qe1000_w(d, E1000_EERD, E1000_EERD_START |
             word << E1000_EERD_ADDR_SHIFT);
    for (i = 0; i < 100; i++) {
        v = qe1000_r(d, E1000_EERD);
        if (v & E1000_EERD_DONE) {
            break;
        }
        qtest_clock_step(d->qts, 10 * 1000);
    }
    g_assert_cmphex(v & E1000_EERD_DONE, ==, E1000_EERD_DONE);
    return v >> E1000_EERD_DATA_SHIFT;
}

uint64_t qe1000_copy_to_guest(QE1000 *d, const void *data, size_t len)
{
    uint64_t gpa = qtest_guest_alloc(d->qts, len ? len : 1, 16);

    if (len) {
        qtest_memwrite(d->qts, gpa, data, len);
    }
    return gpa;
}

unsigned qe1000_tx_push(QE1000 *d, const void *desc16)
{
    unsigned idx = d->tx_tail;

    qtest_memwrite(d->qts, d->tx_ring + 16 * idx, desc16, 16);
    d->tx_tail = (idx + 1) % d->tx_n;
    return idx;
}

unsigned qe1000_tx_legacy(QE1000 *d, uint64_t addr, uint16_t len,
                          uint8_t cmd, uint8_t cso, uint8_t css,
                          uint16_t special)
{
    uint8_t desc[16] = { 0 };

    put64(desc, addr);
    put16(desc + 8, len);
    desc[10] = cso;
    desc[11] = cmd;
    desc[12] = 0;
    desc[13] = css;
    put16(desc + 14, special);
    return qe1000_tx_push(d, desc);
}

unsigned qe1000_tx_context(QE1000 *d, uint8_t ipcss, uint8_t ipcso,
                           uint16_t ipcse, uint8_t tucss, uint8_t tucso,
                           uint16_t tucse, uint32_t paylen, uint8_t tucmd,
                           uint8_t hdrlen, uint16_t mss)
{
    uint8_t desc[16] = { 0 };

    desc[0] = ipcss;
    desc[1] = ipcso;
    put16(desc + 2, ipcse);
    desc[4] = tucss;
    desc[5] = tucso;
    put16(desc + 6, tucse);
    /* PAYLEN 19:0, DTYP 23:20 = 0000b, TUCMD 31:24 (SDM 3.3.6). */
    put32(desc + 8, (paylen & 0xfffff) |
          (uint32_t)(tucmd | E1000_TUCMD_DEXT) << 24);
    desc[12] = 0;
    desc[13] = hdrlen;
    put16(desc + 14, mss);
    return qe1000_tx_push(d, desc);
}

unsigned qe1000_tx_data(QE1000 *d, uint64_t addr, uint32_t len,
                        uint8_t dcmd, uint8_t popts, uint16_t special)
{
    uint8_t desc[16] = { 0 };

    put64(desc, addr);
    /* DTALEN 19:0, DTYP 23:20 = 0001b, DCMD 31:24 (SDM 3.3.7). */
    put32(desc + 8, (len & 0xfffff) | 1u << 20 |
          (uint32_t)(dcmd | E1000_TXD_CMD_DEXT) << 24);
    desc[12] = 0;
    desc[13] = popts;
    put16(desc + 14, special);
    return qe1000_tx_push(d, desc);
}

void qe1000_tx_kick(QE1000 *d)
{
    qe1000_w(d, E1000_TDT, d->tx_tail);
}

void qe1000_tx_desc(QE1000 *d, unsigned idx, QE1000TxDesc *desc)
{
    uint8_t raw[16];

    qtest_memread(d->qts, d->tx_ring + 16 * idx, raw, sizeof(raw));
    desc->addr = get64(raw);
    desc->length = get16(raw + 8);
    desc->cso = raw[10];
    desc->cmd = raw[11];
    desc->status = raw[12];
    desc->css = raw[13];
    desc->special = get16(raw + 14);
}

bool qe1000_tx_wait_dd(QE1000 *d, unsigned idx, int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    uint8_t sta;

    for (;;) {
        qtest_memread(d->qts, d->tx_ring + 16 * idx + 12, &sta, 1);
        if (sta & E1000_TXD_STA_DD) {
            return true;
        }
        if (g_get_monotonic_time() > end) {
            return false;
        }
        g_usleep(QE1000_POLL_US);
    }
}

unsigned qe1000_tx_frame(QE1000 *d, const void *frame, size_t len)
{
    uint64_t gpa = qe1000_copy_to_guest(d, frame, len);

    return qe1000_tx_legacy(d, gpa, len, E1000_TXD_CMD_EOP |
                            E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS, 0, 0, 0);
}

void qe1000_rx_desc(QE1000 *d, unsigned idx, QE1000RxDesc *desc)
{
    uint8_t raw[16];

    qtest_memread(d->qts, d->rx_ring + 16 * idx, raw, sizeof(raw));
    desc->addr = get64(raw);
    desc->length = get16(raw + 8);
    desc->csum = get16(raw + 10);
    desc->status = raw[12];
    desc->errors = raw[13];
    desc->special = get16(raw + 14);
}

bool qe1000_rx_wait(QE1000 *d, unsigned idx, int timeout_ms,
                    QE1000RxDesc *desc)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    QE1000RxDesc tmp;

    if (!desc) {
        desc = &tmp;
    }
    for (;;) {
        qe1000_rx_desc(d, idx, desc);
        if (desc->status & E1000_RXD_STA_DD) {
            return true;
        }
        if (g_get_monotonic_time() > end) {
            return false;
        }
        g_usleep(QE1000_POLL_US);
    }
}

void qe1000_rx_buf(QE1000 *d, unsigned idx, void *buf, size_t len)
{
    g_assert_cmpuint(len, <=, d->rx_buf_size);
    qtest_memread(d->qts, d->rx_buf[idx], buf, len);
}

void qe1000_rx_refill(QE1000 *d, unsigned idx)
{
    uint8_t desc[16] = { 0 };

    put64(desc, d->rx_buf[idx]);
    qtest_memwrite(d->qts, d->rx_ring + 16 * idx, desc, sizeof(desc));
}

void qe1000_wire_send(QE1000 *d, const void *frame, size_t len)
{
    qtest_wire_send(d->wire, frame, len);
}

ssize_t qe1000_wire_recv(QE1000 *d, void *buf, size_t cap, int timeout_ms)
{
    return qtest_wire_recv(d->wire, buf, cap, timeout_ms);
}

void qe1000_wire_close(QE1000 *d)
{
    close(d->wire);
    d->wire = -1;
}

bool qe1000_irq(QE1000 *d)
{
    /* A round trip first, so every IRQ event sent before it is seen. */
    qe1000_r(d, E1000_STATUS);
    return qtest_get_irq(d->qts, QE1000_IRQ);
}

bool qe1000_wait_irq(QE1000 *d, int64_t step_ns, int64_t max_ns)
{
    int64_t done = 0;

    for (;;) {
        if (qe1000_irq(d)) {
            return true;
        }
        if (done >= max_ns) {
            return false;
        }
        qtest_clock_step(d->qts, step_ns);
        done += step_ns;
    }
}

void qe1000_frame_spec_init(QE1000FrameSpec *spec)
{
    static const uint8_t src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
    static const uint8_t dst[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

    memset(spec, 0, sizeof(*spec));
    memcpy(spec->dst, dst, 6);
    memcpy(spec->src, src, 6);
    spec->ethertype = 0x88b5; /* IEEE local experimental */
    spec->tcp_flags = 0x10;   /* ACK */
    spec->ip_id = 0x1234;
    spec->tcp_seq = 0x10000000;
}

static uint8_t qe1000_payload_byte(uint8_t seed, size_t i)
{
    return (uint8_t)(seed + i * 7 + (i >> 8));
}

size_t qe1000_build_frame(uint8_t *buf, size_t cap,
                          const QE1000FrameSpec *spec,
                          QE1000FrameInfo *info)
{
    /* NOP, NOP, timestamps: a 32-byte TCP header as Linux sends. */
    static const uint8_t tcp_opt[12] = {
        1, 1, 8, 10, 0xa0, 0xb0, 0xc0, 0xd0, 0x01, 0x02, 0x03, 0x04,
    };
    QFrameSpec f = {
        .vlan = spec->vlan,
        .vlan_tpid = spec->vlan_tpid,
        .tci = spec->tci,
        .ethertype = spec->ethertype,
        .l3 = spec->l3 == QE1000_L3_IPV4   ? QFRAME_L3_IPV4
              : spec->l3 == QE1000_L3_IPV6 ? QFRAME_L3_IPV6
                                           : QFRAME_L3_NONE,
        .l4 = spec->l4 == QE1000_L4_TCP   ? QFRAME_L4_TCP
              : spec->l4 == QE1000_L4_UDP ? QFRAME_L4_UDP
                                          : QFRAME_L4_NONE,
        .ip_id = spec->ip_id,
        /* To HTTP, or to VXLAN's UDP port. */
        .sport = 0x1234,
        .dport = spec->l4 == QE1000_L4_TCP ? 80 : 4789,
        .tcp_seq = spec->tcp_seq,
        .tcp_ack = 0x01020304,
        .tcp_flags = spec->tcp_flags,
        .tcp_opt_len = sizeof(tcp_opt),
        .tcp_opt = tcp_opt,
        .payload_len = spec->payload_len,
        .payload_seed = spec->payload_seed,
        .payload_byte = qe1000_payload_byte,
        .ip_csum = spec->ip_csum_zero || spec->tso_headers
                   ? QFRAME_CSUM_ZERO : QFRAME_CSUM_VALID,
        .l4_csum = spec->l4_pseudo_only || spec->tso_headers
                   ? QFRAME_CSUM_PSEUDO : QFRAME_CSUM_VALID,
        .zero_lengths = spec->tso_headers,
    };

    memcpy(f.dst, spec->dst, 6);
    memcpy(f.src, spec->src, 6);
    return qframe_build(buf, cap, &f, info);
}
