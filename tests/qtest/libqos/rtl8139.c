/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libqos rtl8139: test-side driver for the RTL8139C / RTL8139C+. The C
 * mode paths follow Linux 8139too (rtl8139_hw_start, rtl8139_rx,
 * rtl8139_start_xmit), the C+ paths Linux 8139cp (cp_init_hw, cp_rx_poll,
 * cp_start_xmit, cp_get_ethtool_stats); register semantics come from the
 * RTL8139C(L) and RTL8139C+ datasheets.
 */
#include <string.h>
#include <unistd.h>

#include "libqos/rtl8139.h"

/* Real-time poll interval while waiting for DMA results. */
#define QRTL_POLL_US 200
/* Canary written around the C-mode RX ring. */
#define QRTL_CANARY 0xee
#define QRTL_GUARD_LEN 4096
/* 8139too RX_BUF_PAD and RX_BUF_WRAP_PAD. */
#define QRTL_RX_PAD 16
#define QRTL_RX_WRAP_PAD 2048
#define QRTL_TX_BUF_SIZE 2048

static void qrtl_put32(uint8_t *p, uint32_t v)
{
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = v >> 24;
}

static bool qrtl_deadline_passed(gint64 end)
{
    return g_get_monotonic_time() > end;
}

static gint64 qrtl_deadline(int timeout_ms)
{
    return g_get_monotonic_time() + (gint64)timeout_ms * 1000;
}

/*
 * One poll interval: a little real time for the backend, and a little
 * virtual time for work the NIC defers to a (virtual) timer or bottom
 * half, since under qtest only clock_step moves the clock.
 */
static void qrtl_pause(QRtl *d)
{
    g_usleep(QRTL_POLL_US);
    if (d->step_ns) {
        qtest_clock_step(d->qts, d->step_ns);
    }
}

void qrtl_settle(QRtl *d, int ms)
{
    gint64 end = qrtl_deadline(ms);

    do {
        qrtl_pause(d);
    } while (!qrtl_deadline_passed(end));
}

QRtl *qrtl_start(const char *device_extra)
{
    QRtl *d = g_new0(QRtl, 1);
    int sv[2];
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

    qtest_socketpair(sv);
    d->qts = qtest_initf("-netdev socket,id=n0,fd=%d "
                         "-device rtl8139,netdev=n0,mac=" QRTL_MAC
                         ",addr=04.0%s",
                         sv[1], device_extra ? device_extra : "");
    close(sv[1]);
    d->wire = sv[0];
    memcpy(d->mac, mac, sizeof(mac));
    d->bar = QRTL_BAR_MMIO;
    d->rx_ack = true;
    d->step_ns = QRTL_STEP_NS;
    d->tx_ertxth = 8; /* 8139too: TX_FIFO_THRESH 256 in 32-byte units */

    d->pci = qpci_device_find(d->qts, QRTL_DEVFN);
    g_assert_nonnull(d->pci);
    qpci_iomap(d->pci, QRTL_BAR_IO, NULL);
    qpci_iomap(d->pci, QRTL_BAR_MMIO, NULL);
    qpci_device_enable(d->pci, QRTL_IRQ);
    qtest_irq_intercept_in(d->qts, "ioapic");
    return d;
}

void qrtl_stop(QRtl *d)
{
    qtest_quit(d->qts);
    if (d->wire >= 0) {
        close(d->wire);
    }
    qpci_device_free(d->pci);
    g_free(d);
}

uint8_t qrtl_r8(QRtl *d, unsigned off)
{
    return qpci_io_readb(d->pci, d->bar, off);
}

uint16_t qrtl_r16(QRtl *d, unsigned off)
{
    return qpci_io_readw(d->pci, d->bar, off);
}

uint32_t qrtl_r32(QRtl *d, unsigned off)
{
    return qpci_io_readl(d->pci, d->bar, off);
}

void qrtl_w8(QRtl *d, unsigned off, uint8_t v)
{
    qpci_io_writeb(d->pci, d->bar, off, v);
}

void qrtl_w16(QRtl *d, unsigned off, uint16_t v)
{
    qpci_io_writew(d->pci, d->bar, off, v);
}

void qrtl_w32(QRtl *d, unsigned off, uint32_t v)
{
    qpci_io_writel(d->pci, d->bar, off, v);
}

void qrtl_reset(QRtl *d)
{
    int i;

    /*
     * Datasheet CR.RST: "This bit is 1 during the reset operation, and is
     * cleared to 0 by the RTL8139C when the reset operation is complete."
     * 8139too polls it 1000 times 10 us apart.
     */
    qrtl_w8(d, RTL_CR, RTL_CR_RST);
    for (i = 0; i < 1000; i++) {
        if (!(qrtl_r8(d, RTL_CR) & RTL_CR_RST)) {
            break;
        }
        qtest_clock_step(d->qts, 10 * 1000);
    }
    g_assert_cmphex(qrtl_r8(d, RTL_CR) & RTL_CR_RST, ==, 0);
}

/* 93C46 Microwire through 9346CR, as 8139cp's eeprom_cmd* helpers do. */
#define QRTL_EE_ENB (RTL_9346_EEM_PROGRAM | RTL_9346_EECS)

static void qrtl_ee_start(QRtl *d)
{
    qrtl_w8(d, RTL_9346CR, QRTL_EE_ENB & ~RTL_9346_EECS);
    qrtl_w8(d, RTL_9346CR, QRTL_EE_ENB);
    qrtl_r8(d, RTL_9346CR);
}

static void qrtl_ee_shift_out(QRtl *d, uint32_t cmd, int len)
{
    int i;

    for (i = len - 1; i >= 0; i--) {
        uint8_t bit = (cmd & (1u << i)) ? RTL_9346_EEDI : 0;

        qrtl_w8(d, RTL_9346CR, QRTL_EE_ENB | bit);
        qrtl_r8(d, RTL_9346CR);
        qrtl_w8(d, RTL_9346CR, QRTL_EE_ENB | bit | RTL_9346_EESK);
        qrtl_r8(d, RTL_9346CR);
    }
    qrtl_w8(d, RTL_9346CR, QRTL_EE_ENB);
    qrtl_r8(d, RTL_9346CR);
}

static void qrtl_ee_end(QRtl *d)
{
    qrtl_w8(d, RTL_9346CR, 0);
    qrtl_r8(d, RTL_9346CR);
}

uint16_t qrtl_eeprom_read(QRtl *d, unsigned word, unsigned addr_len)
{
    /* READ = start bit 1, opcode 10, then the address (8139too). */
    uint32_t cmd = word | (6u << addr_len);
    uint16_t v = 0;
    int i;

    qrtl_ee_start(d);
    qrtl_ee_shift_out(d, cmd, 3 + addr_len);
    for (i = 0; i < 16; i++) {
        qrtl_w8(d, RTL_9346CR, QRTL_EE_ENB | RTL_9346_EESK);
        qrtl_r8(d, RTL_9346CR);
        v = (uint16_t)(v << 1 |
                       ((qrtl_r8(d, RTL_9346CR) & RTL_9346_EEDO) ? 1 : 0));
        qrtl_w8(d, RTL_9346CR, QRTL_EE_ENB);
        qrtl_r8(d, RTL_9346CR);
    }
    qrtl_ee_end(d);
    return v;
}

static void qrtl_ee_extend(QRtl *d, unsigned sub)
{
    /* Start 1, opcode 00, then two sub-opcode bits (8139cp, 6-bit). */
    qrtl_ee_start(d);
    qrtl_ee_shift_out(d, (4u << 6) | (sub << 4), 3 + 6);
    qrtl_ee_end(d);
}

void qrtl_eeprom_write_raw(QRtl *d, unsigned word, uint16_t val)
{
    qrtl_ee_start(d);
    qrtl_ee_shift_out(d, word | (5u << 6), 3 + 6);
    qrtl_ee_shift_out(d, val, 16);
    qrtl_ee_end(d);
}

bool qrtl_eeprom_write(QRtl *d, unsigned word, uint16_t val)
{
    bool ready = false;
    int i;

    qrtl_ee_extend(d, 3); /* EWEN */
    qrtl_eeprom_write_raw(d, word, val);
    /* 93C46: with CS high after a write, DO goes high when ready. */
    qrtl_ee_start(d);
    for (i = 0; i < 20000; i++) {
        if (qrtl_r8(d, RTL_9346CR) & RTL_9346_EEDO) {
            ready = true;
            break;
        }
        if (i % 100 == 99) {
            qtest_clock_step(d->qts, 100 * 1000);
        }
    }
    qrtl_ee_end(d);
    qrtl_ee_extend(d, 0); /* EWDS */
    return ready;
}

void qrtl_set_mac(QRtl *d, const uint8_t *mac)
{
    qrtl_w8(d, RTL_9346CR, RTL_9346_EEM_CFGWE);
    qrtl_w32(d, RTL_IDR0, qrtl_le32(mac));
    qrtl_w32(d, RTL_IDR0 + 4, qrtl_le16(mac + 4));
    qrtl_w8(d, RTL_9346CR, 0);
}

uint64_t qrtl_copy_to_guest(QRtl *d, const void *data, size_t len)
{
    uint64_t gpa = qtest_guest_alloc(d->qts, len ? len : 1, 16);

    if (len) {
        qtest_memwrite(d->qts, gpa, data, len);
    }
    return gpa;
}

uint32_t qrtl_c_rcr(QRtl *d, uint32_t accept)
{
    unsigned idx = 0;

    while ((8192u << idx) < d->rx_size) {
        idx++;
    }
    /* 8139too: RX_FIFO_THRESH 7, RX_DMA_BURST 7, RxNoWrap (= WRAP). */
    return idx << RTL_RCR_RBLEN_SHIFT | (d->rx_wrap ? RTL_RCR_WRAP : 0) |
           7u << 13 | 7u << 8 | accept;
}

void qrtl_c_init(QRtl *d, unsigned rblen_idx, bool wrap, uint32_t accept)
{
    size_t slack = QRTL_RX_PAD + QRTL_RX_WRAP_PAD;
    uint64_t base;
    unsigned i;

    g_assert_cmpuint(rblen_idx, <=, 3);
    d->rx_size = 8192u << rblen_idx;
    d->rx_wrap = wrap;
    d->cur_rx = 0;
    d->cur_tx = 0;

    /* Ring between two canary areas; page-aligned like dma_alloc. */
    base = qtest_guest_alloc(d->qts, QRTL_GUARD_LEN + d->rx_size + slack +
                             QRTL_GUARD_LEN, 4096);
    d->rx_guard_lo = base;
    d->rx_ring = base + QRTL_GUARD_LEN;
    /*
     * RCR.WRAP = 1 lets the NIC run past the end by up to one packet
     * (datasheet: "reserve at least 1.5K bytes"); without it (or at 64K,
     * where WRAP is invalid) nothing may land past ring + 16.
     */
    if (wrap && d->rx_size < 65536) {
        d->rx_guard_hi = d->rx_ring + d->rx_size + slack;
    } else {
        d->rx_guard_hi = d->rx_ring + d->rx_size + QRTL_RX_PAD;
    }
    d->rx_guard_len = (size_t)(base + 2 * QRTL_GUARD_LEN + d->rx_size +
                               slack - d->rx_guard_hi);
    qtest_memset(d->qts, d->rx_guard_lo, QRTL_CANARY, QRTL_GUARD_LEN);
    qtest_memset(d->qts, d->rx_ring, 0, d->rx_size + slack);
    qtest_memset(d->qts, d->rx_guard_hi, QRTL_CANARY, d->rx_guard_len);
    for (i = 0; i < 4; i++) {
        d->tx_buf[i] = qtest_guest_alloc(d->qts, QRTL_TX_BUF_SIZE, 64);
    }

    /* 8139too rtl8139_hw_start, in its order. */
    qrtl_reset(d);
    qrtl_w8(d, RTL_9346CR, RTL_9346_EEM_CFGWE);
    qrtl_w32(d, RTL_IDR0, qrtl_le32(d->mac));
    qrtl_w32(d, RTL_IDR0 + 4, qrtl_le16(d->mac + 4));
    qrtl_w32(d, RTL_RBSTART, (uint32_t)d->rx_ring);
    /* "Must enable Tx/Rx before setting transfer thresholds!" */
    qrtl_w8(d, RTL_CR, RTL_CR_RE | RTL_CR_TE);
    qrtl_w32(d, RTL_RCR, qrtl_c_rcr(d, accept));
    qrtl_w32(d, RTL_TCR, RTL_TCR_IFG96 | 6u << 8 | 8u << 4);
    qrtl_w8(d, RTL_CONFIG3, qrtl_r8(d, RTL_CONFIG3) & ~0x20);
    qrtl_w8(d, RTL_9346CR, 0);
    for (i = 0; i < 4; i++) {
        qrtl_w32(d, RTL_TSAD0 + 4 * i, (uint32_t)d->tx_buf[i]);
    }
    qrtl_w32(d, RTL_MPC, 0);
    qrtl_w32(d, RTL_MAR0, 0);
    qrtl_w32(d, RTL_MAR0 + 4, 0);
    qrtl_w16(d, RTL_MULINT, qrtl_r16(d, RTL_MULINT) & 0xf000);
    if ((qrtl_r8(d, RTL_CR) & (RTL_CR_RE | RTL_CR_TE)) !=
        (RTL_CR_RE | RTL_CR_TE)) {
        qrtl_w8(d, RTL_CR, RTL_CR_RE | RTL_CR_TE);
    }
}

bool qrtl_c_rx_pending(QRtl *d)
{
    return !(qrtl_r8(d, RTL_CR) & RTL_CR_BUFE);
}

bool qrtl_c_rx_wait(QRtl *d, int timeout_ms)
{
    gint64 end = qrtl_deadline(timeout_ms);

    for (;;) {
        if (qrtl_c_rx_pending(d)) {
            return true;
        }
        if (qrtl_deadline_passed(end)) {
            return false;
        }
        qrtl_pause(d);
    }
}

uint32_t qrtl_c_rx_offset(QRtl *d)
{
    return d->cur_rx % d->rx_size;
}

int qrtl_c_rx(QRtl *d, uint16_t *status, uint8_t *buf, size_t cap,
              int timeout_ms)
{
    uint32_t off = qrtl_c_rx_offset(d);
    uint8_t hdr[4];
    uint16_t len;
    size_t n;

    if (!qrtl_c_rx_wait(d, timeout_ms)) {
        return -1;
    }
    qtest_memread(d->qts, d->rx_ring + off, hdr, sizeof(hdr));
    *status = qrtl_le16(hdr);
    len = qrtl_le16(hdr + 2);
    n = MIN((size_t)len, cap);
    if (n) {
        uint32_t data = (off + 4) % d->rx_size;
        bool linear = d->rx_wrap && d->rx_size < 65536;

        if (linear || data + n <= d->rx_size) {
            qtest_memread(d->qts, d->rx_ring + data, buf, n);
        } else {
            size_t first = d->rx_size - data;

            qtest_memread(d->qts, d->rx_ring + data, buf, first);
            qtest_memread(d->qts, d->rx_ring, buf + first, n - first);
        }
    }
    /* 8139too: cur_rx = (cur_rx + rx_size + 4 + 3) & ~3; CAPR - 16. */
    d->cur_rx = (d->cur_rx + len + 4 + 3) & ~3u;
    qrtl_w16(d, RTL_CAPR, (uint16_t)(d->cur_rx - 16));
    if (d->rx_ack) {
        qrtl_w16(d, RTL_ISR, RTL_INT_ROK | RTL_INT_RXOVW | RTL_INT_FOVW);
    }
    return len;
}

static bool qrtl_area_is(QRtl *d, uint64_t gpa, size_t len, uint8_t v)
{
    g_autofree uint8_t *buf = g_malloc(len);
    size_t i;

    qtest_memread(d->qts, gpa, buf, len);
    for (i = 0; i < len; i++) {
        if (buf[i] != v) {
            return false;
        }
    }
    return true;
}

bool qrtl_c_guard_ok(QRtl *d)
{
    return qrtl_area_is(d, d->rx_guard_lo, QRTL_GUARD_LEN, QRTL_CANARY) &&
           qrtl_area_is(d, d->rx_guard_hi, d->rx_guard_len, QRTL_CANARY);
}

unsigned qrtl_c_tx(QRtl *d, const void *frame, size_t len)
{
    unsigned slot = d->cur_tx % 4;

    g_assert_cmpuint(len, <=, QRTL_TX_BUF_SIZE);
    qtest_memwrite(d->qts, d->tx_buf[slot], frame, len);
    qrtl_w32(d, RTL_TSD0 + 4 * slot,
             (d->tx_ertxth << RTL_TSD_ERTXTH_SHIFT & RTL_TSD_ERTXTH_MASK) |
             (uint32_t)len);
    d->cur_tx++;
    return slot;
}

uint32_t qrtl_c_tx_wait(QRtl *d, unsigned slot, int timeout_ms)
{
    gint64 end = qrtl_deadline(timeout_ms);
    uint32_t tsd;

    for (;;) {
        tsd = qrtl_r32(d, RTL_TSD0 + 4 * (slot % 4));
        /* 8139too rtl8139_tx_interrupt: done once TOK, TUN or TABT. */
        if (tsd & (RTL_TSD_TOK | RTL_TSD_TUN | RTL_TSD_TABT)) {
            return tsd;
        }
        if (qrtl_deadline_passed(end)) {
            return 0;
        }
        qrtl_pause(d);
    }
}

uint16_t qrtl_cp_cpcmd(uint16_t extra)
{
    return RTL_CPCR_MULRW | RTL_CPCR_RXEN | RTL_CPCR_TXEN | extra;
}

void qrtl_cp_desc_write(QRtl *d, uint64_t desc, uint32_t opts1,
                        uint32_t opts2, uint64_t addr)
{
    uint8_t raw[16];

    qrtl_put32(raw, opts1);
    qrtl_put32(raw + 4, opts2);
    qrtl_put32(raw + 8, (uint32_t)addr);
    qrtl_put32(raw + 12, (uint32_t)(addr >> 32));
    qtest_memwrite(d->qts, desc, raw, sizeof(raw));
}

void qrtl_cp_desc_read(QRtl *d, uint64_t desc, uint32_t *opts1,
                       uint32_t *opts2, uint64_t *addr)
{
    uint8_t raw[16];

    qtest_memread(d->qts, desc, raw, sizeof(raw));
    if (opts1) {
        *opts1 = qrtl_le32(raw);
    }
    if (opts2) {
        *opts2 = qrtl_le32(raw + 4);
    }
    if (addr) {
        *addr = qrtl_le64(raw + 8);
    }
}

void qrtl_cp_rx_refill(QRtl *d, unsigned idx)
{
    uint32_t opts1 = RTL_DESC_OWN | (uint32_t)d->cp_rx_buf_size;

    if (idx == d->cp_rx_n - 1) {
        opts1 |= RTL_DESC_EOR;
    }
    qrtl_cp_desc_write(d, d->cp_rx_ring + 16 * idx, opts1, 0,
                       d->cp_rx_buf[idx]);
}

void qrtl_cp_init(QRtl *d, unsigned tx_n, unsigned rx_n, size_t rx_buf_size,
                  uint16_t cpcmd_extra, uint32_t accept)
{
    unsigned i;

    g_assert(tx_n >= 1 && tx_n <= QRTL_CP_RING_MAX);
    g_assert(rx_n >= 1 && rx_n <= QRTL_CP_RING_MAX);
    g_assert_cmpuint(rx_buf_size, <=, RTL_RXD_LEN_MASK);

    /* 8139cp cp_alloc_rings: both rings in one coherent block. */
    d->cp_rx_ring = qtest_guest_alloc(d->qts, 16 * QRTL_CP_RING_MAX * 2,
                                      256);
    d->cp_tx_ring = d->cp_rx_ring + 16 * QRTL_CP_RING_MAX;
    qtest_memset(d->qts, d->cp_rx_ring, 0, 16 * QRTL_CP_RING_MAX * 2);
    d->cp_tx_n = tx_n;
    d->cp_tx_head = 0;
    d->cp_rx_n = rx_n;
    d->cp_rx_tail = 0;
    d->cp_rx_buf_size = rx_buf_size;
    qrtl_cp_desc_write(d, d->cp_tx_ring + 16 * (tx_n - 1), RTL_DESC_EOR, 0,
                       0);
    for (i = 0; i < rx_n; i++) {
        d->cp_rx_buf[i] = qtest_guest_alloc(d->qts, rx_buf_size, 64);
        qrtl_cp_rx_refill(d, i);
    }

    /* cp_init_hw / cp_start_hw, in their order. */
    qrtl_reset(d);
    qrtl_w8(d, RTL_9346CR, RTL_9346_EEM_CFGWE);
    qrtl_w32(d, RTL_IDR0, qrtl_le32(d->mac));
    qrtl_w32(d, RTL_IDR0 + 4, qrtl_le16(d->mac + 4));
    qrtl_w16(d, RTL_CPCR, qrtl_cp_cpcmd(cpcmd_extra));
    qrtl_w32(d, RTL_THPDS, 0);
    qrtl_w32(d, RTL_THPDS + 4, 0);
    qrtl_w32(d, RTL_RDSAR, (uint32_t)d->cp_rx_ring);
    qrtl_w32(d, RTL_RDSAR + 4, (uint32_t)(d->cp_rx_ring >> 32));
    qrtl_w32(d, RTL_TNPDS, (uint32_t)d->cp_tx_ring);
    qrtl_w32(d, RTL_TNPDS + 4, (uint32_t)(d->cp_tx_ring >> 32));
    qrtl_w8(d, RTL_CR, RTL_CR_RE | RTL_CR_TE);
    qrtl_w8(d, RTL_ETTHR, 0x06);
    /* __cp_set_rx_mode: RX_FIFO_THRESH 5, RX_DMA_BURST 4. */
    qrtl_w32(d, RTL_RCR, 5u << 13 | 4u << 8 | RTL_RCR_AB | RTL_RCR_APM |
             accept);
    qrtl_w32(d, RTL_MAR0, 0);
    qrtl_w32(d, RTL_MAR0 + 4, 0);
    qrtl_w32(d, RTL_TCR, RTL_TCR_IFG96 | 6u << 8);
    qrtl_w8(d, RTL_CONFIG1, qrtl_r8(d, RTL_CONFIG1) | 0x20 | 0x01);
    qrtl_w8(d, RTL_CONFIG3, 0x40);
    qrtl_w8(d, RTL_CONFIG5, qrtl_r8(d, RTL_CONFIG5) & 0x01);
    qrtl_w16(d, RTL_MULINT, 0);
    qrtl_w8(d, RTL_9346CR, 0);
}

unsigned qrtl_cp_tx_push(QRtl *d, uint64_t addr, uint32_t len,
                         uint32_t flags, uint32_t opts2)
{
    unsigned idx = d->cp_tx_head;
    uint32_t opts1 = RTL_DESC_OWN | flags | (len & RTL_TXD_LEN_MASK);

    if (idx == d->cp_tx_n - 1) {
        opts1 |= RTL_DESC_EOR;
    }
    qrtl_cp_desc_write(d, d->cp_tx_ring + 16 * idx, opts1, opts2, addr);
    d->cp_tx_head = (idx + 1) % d->cp_tx_n;
    return idx;
}

void qrtl_cp_tx_poll(QRtl *d)
{
    qrtl_w8(d, RTL_TPPOLL, RTL_TPPOLL_NPQ);
}

unsigned qrtl_cp_tx_frame(QRtl *d, const void *frame, size_t len,
                          uint32_t flags, uint32_t opts2)
{
    uint64_t gpa = qrtl_copy_to_guest(d, frame, len);
    unsigned idx = qrtl_cp_tx_push(d, gpa, (uint32_t)len,
                                   RTL_DESC_FS | RTL_DESC_LS | flags, opts2);

    qrtl_cp_tx_poll(d);
    return idx;
}

bool qrtl_cp_tx_wait(QRtl *d, unsigned idx, int timeout_ms, uint32_t *opts1)
{
    gint64 end = qrtl_deadline(timeout_ms);
    uint32_t o;

    for (;;) {
        qrtl_cp_desc_read(d, d->cp_tx_ring + 16 * idx, &o, NULL, NULL);
        if (!(o & RTL_DESC_OWN)) {
            if (opts1) {
                *opts1 = o;
            }
            return true;
        }
        if (qrtl_deadline_passed(end)) {
            return false;
        }
        qrtl_pause(d);
    }
}

int qrtl_cp_rx(QRtl *d, uint32_t *opts1, uint32_t *opts2, uint8_t *buf,
               size_t cap, int timeout_ms)
{
    unsigned idx = d->cp_rx_tail;
    uint64_t desc = d->cp_rx_ring + 16 * idx;
    gint64 end = qrtl_deadline(timeout_ms);
    uint32_t o1, o2;
    size_t n;

    for (;;) {
        qrtl_cp_desc_read(d, desc, &o1, &o2, NULL);
        if (!(o1 & RTL_DESC_OWN)) {
            break;
        }
        if (qrtl_deadline_passed(end)) {
            return -1;
        }
        qrtl_pause(d);
    }
    n = MIN((size_t)(o1 & RTL_RXD_LEN_MASK), MIN(cap, d->cp_rx_buf_size));
    if (n) {
        qtest_memread(d->qts, d->cp_rx_buf[idx], buf, n);
    }
    if (opts1) {
        *opts1 = o1;
    }
    if (opts2) {
        *opts2 = o2;
    }
    qrtl_cp_rx_refill(d, idx);
    d->cp_rx_tail = (idx + 1) % d->cp_rx_n;
    return (int)(o1 & RTL_RXD_LEN_MASK);
}

void qrtl_cp_rx_kick(QRtl *d)
{
    qrtl_w16(d, RTL_IMR, qrtl_r16(d, RTL_IMR));
    qrtl_r16(d, RTL_IMR);
}

bool qrtl_dump_tally(QRtl *d, uint64_t gpa)
{
    bool done = false;
    int i;

    qrtl_w32(d, RTL_DTCCR + 4, (uint32_t)(gpa >> 32));
    qrtl_w32(d, RTL_DTCCR, (uint32_t)gpa | RTL_DTCCR_CMD);
    qrtl_r32(d, RTL_DTCCR);
    for (i = 0; i < 1000; i++) {
        if (!(qrtl_r32(d, RTL_DTCCR) & RTL_DTCCR_CMD)) {
            done = true;
            break;
        }
        qrtl_pause(d);
        qtest_clock_step(d->qts, 10 * 1000);
    }
    qrtl_w32(d, RTL_DTCCR, 0);
    qrtl_w32(d, RTL_DTCCR + 4, 0);
    qrtl_r32(d, RTL_DTCCR);
    return done;
}

bool qrtl_irq(QRtl *d)
{
    /* A dummy access first, so pending IRQ events have been seen. */
    qpci_io_readw(d->pci, QRTL_BAR_IO, RTL_IMR);
    return qtest_get_irq(d->qts, QRTL_IRQ);
}

bool qrtl_wait_irq(QRtl *d, int timeout_ms)
{
    gint64 end = qrtl_deadline(timeout_ms);

    for (;;) {
        if (qrtl_irq(d)) {
            return true;
        }
        if (qrtl_deadline_passed(end)) {
            return false;
        }
        qrtl_pause(d);
    }
}

uint16_t qrtl_wait_isr(QRtl *d, uint16_t mask, int timeout_ms)
{
    gint64 end = qrtl_deadline(timeout_ms);
    uint16_t isr;

    for (;;) {
        isr = qrtl_r16(d, RTL_ISR);
        if (isr & mask) {
            return isr;
        }
        if (qrtl_deadline_passed(end)) {
            return isr;
        }
        qrtl_pause(d);
    }
}

void qrtl_wire_send(QRtl *d, const void *frame, size_t len)
{
    g_assert_cmpint(d->wire, >=, 0);
    qtest_wire_send(d->wire, frame, len);
}

ssize_t qrtl_wire_recv(QRtl *d, void *buf, size_t cap, int timeout_ms)
{
    gint64 end = qrtl_deadline(timeout_ms);
    ssize_t n;

    g_assert_cmpint(d->wire, >=, 0);
    for (;;) {
        n = qtest_wire_recv(d->wire, buf, cap, d->step_ns ? 5 : timeout_ms);
        if (n >= 0 || !d->step_ns || qrtl_deadline_passed(end)) {
            return n;
        }
        qtest_clock_step(d->qts, d->step_ns);
    }
}

bool qrtl_wire_quiet(QRtl *d, int ms)
{
    uint8_t buf[2048];

    return qrtl_wire_recv(d, buf, sizeof(buf), ms) < 0;
}

void qrtl_wire_close(QRtl *d)
{
    if (d->wire >= 0) {
        close(d->wire);
        d->wire = -1;
    }
}

bool qrtl_logged_guest_error(QRtl *d)
{
    g_autofree char *err = qtest_stderr(d->qts);

    return err && strstr(err, "rtl8139: guest error") != NULL;
}

void qrtl_frame_spec_init(QRtlFrameSpec *spec)
{
    static const uint8_t dst[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    static const uint8_t src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

    memset(spec, 0, sizeof(*spec));
    memcpy(spec->dst, dst, 6);
    memcpy(spec->src, src, 6);
    spec->ethertype = 0x88b5; /* IEEE 802 local experimental */
    spec->l4 = QRTL_L4_UDP;
    spec->payload_len = 64;
    spec->payload_seed = 1;
    spec->ip_id = 0x1234;
    spec->tcp_seq = 0x10000000;
    spec->tcp_flags = QRTL_TCP_ACK;
    spec->csum = QRTL_CSUM_VALID;
}

uint8_t qrtl_payload_byte(uint8_t seed, size_t i)
{
    /* Varies with both i and i / 256, so a shifted copy never matches. */
    return (uint8_t)(seed + i * 7 + (i >> 8) * 13 + (i >> 16));
}

static QFrameL4 qrtl_frame_l4(QRtlL4 l4)
{
    switch (l4) {
    case QRTL_L4_TCP:
        return QFRAME_L4_TCP;
    case QRTL_L4_UDP:
        return QFRAME_L4_UDP;
    case QRTL_L4_ICMP:
        return QFRAME_L4_ICMP;
    default:
        return QFRAME_L4_NONE;
    }
}

size_t qrtl_build_frame(uint8_t *buf, size_t cap, const QRtlFrameSpec *spec,
                        QRtlFrameInfo *info)
{
    static const QFrameCsum ip_csum[] = {
        [QRTL_CSUM_VALID] = QFRAME_CSUM_VALID,
        [QRTL_CSUM_PARTIAL] = QFRAME_CSUM_VALID,
        [QRTL_CSUM_ZERO] = QFRAME_CSUM_ZERO,
        [QRTL_CSUM_GARBAGE] = QFRAME_CSUM_GARBAGE,
    };
    static const QFrameCsum l4_csum[] = {
        [QRTL_CSUM_VALID] = QFRAME_CSUM_VALID,
        [QRTL_CSUM_PARTIAL] = QFRAME_CSUM_PSEUDO,
        [QRTL_CSUM_ZERO] = QFRAME_CSUM_ZERO,
        [QRTL_CSUM_GARBAGE] = QFRAME_CSUM_GARBAGE,
    };
    QFrameSpec f = {
        .vlan = spec->vlan,
        .tci = spec->tci,
        .ethertype = spec->ethertype,
        .l3 = spec->l4 == QRTL_L4_NONE ? QFRAME_L3_NONE : QFRAME_L3_IPV4,
        .l4 = qrtl_frame_l4(spec->l4),
        .ip_opt_len = spec->ip_opt_len,
        .ip_id = spec->ip_id,
        /* An ephemeral port to HTTP; UDP between two arbitrary ports. */
        .sport = spec->l4 == QRTL_L4_TCP ? 40000 : 5000,
        .dport = spec->l4 == QRTL_L4_TCP ? 80 : 5001,
        .tcp_seq = spec->tcp_seq,
        .tcp_ack = 0x20000000,
        .tcp_flags = spec->tcp_flags,
        .tcp_opt_len = spec->tcp_opt_len,
        .payload_len = spec->payload_len,
        .payload_seed = spec->payload_seed,
        .payload_byte = qrtl_payload_byte,
        .ip_csum = ip_csum[spec->csum],
        .l4_csum = l4_csum[spec->csum],
    };
    QFrameInfo fi;

    memcpy(f.dst, spec->dst, 6);
    memcpy(f.src, spec->src, 6);
    qframe_build(buf, cap, &f, &fi);
    if (spec->l4 == QRTL_L4_NONE) {
        /* No IP header: nothing is at an L4 offset. */
        fi.l4_off = 0;
    } else {
        /* The IPv4 total length must hold the frame. */
        g_assert_cmpuint(fi.len - fi.l3_off, <=, 0xffff);
    }
    if (info) {
        *info = fi;
    }
    return fi.len;
}

size_t qrtl_simple_frame(uint8_t *buf, size_t len, const uint8_t *dst,
                         uint16_t seq)
{
    static const uint8_t src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
    size_t i;

    g_assert_cmpuint(len, >=, 16);
    memcpy(buf, dst, 6);
    memcpy(buf + 6, src, 6);
    qframe_put_be16(buf + 12, 0x88b5);
    qframe_put_be16(buf + 14, seq);
    for (i = 16; i < len; i++) {
        buf[i] = qrtl_payload_byte((uint8_t)seq, i);
    }
    return len;
}

unsigned qrtl_mc_bin(const uint8_t *mac)
{
    /*
     * Linux ether_crc(): MSB-first register, data bits LSB first, initial
     * all-ones, no final inversion; the top 6 bits select the MAR bit.
     */
    uint32_t crc = 0xffffffff;
    int i, b;

    for (i = 0; i < 6; i++) {
        uint8_t octet = mac[i];

        for (b = 0; b < 8; b++, octet >>= 1) {
            uint32_t msb = crc >> 31;

            crc <<= 1;
            if (msb ^ (octet & 1)) {
                crc ^= 0x04c11db7u;
            }
        }
    }
    return crc >> 26;
}
