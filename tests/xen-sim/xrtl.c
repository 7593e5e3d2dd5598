/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xrtl: see xrtl.h.
 */
#include <string.h>

#include "xrtl.h"

XRtl *xrtl_start(const char *device)
{
    XRtl *r = g_new0(XRtl, 1);
    XNic *n = xnic_start_with(xnic_sim_new(1), 1, device);
    uint32_t v;

    r->n = n;
    /* BAR0: 256 bytes of I/O; BAR1: 256 bytes of memory (data sheet 5). */
    xnic_cfg_w(n, PCI_BAR0, 4, 0xffffffff);
    v = xnic_cfg_r(n, PCI_BAR0, 4);
    g_assert_cmphex(v & 1, ==, 1);
    g_assert_cmphex(~(v & ~3u) + 1, ==, RTL_REGS_SIZE);
    xnic_cfg_w(n, PCI_BAR0, 4, XRTL_IO_ADDR | 1);
    xnic_cfg_w(n, PCI_BAR1, 4, 0xffffffff);
    v = xnic_cfg_r(n, PCI_BAR1, 4);
    g_assert_cmphex(v & 0xf, ==, 0);
    g_assert_cmphex(~(v & ~0xfu) + 1, ==, RTL_REGS_SIZE);
    xnic_cfg_w(n, PCI_BAR1, 4, (uint32_t)XRTL_MMIO_ADDR);
    xnic_cfg_w(n, PCI_COMMAND, 2,
               PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    xnic_cfg_w(n, PCI_INTERRUPT_LINE, 1, 11);
    n->io = XRTL_IO_ADDR;
    n->mmio = XRTL_MMIO_ADDR;
    return r;
}

void xrtl_free(XRtl *r)
{
    xnic_free(r->n);
    g_free(r);
}

uint32_t xrtl_r(XRtl *r, unsigned off, unsigned size)
{
    XNic *n = r->n;

    if (r->use_mmio) {
        return (uint32_t)xensim_mmio_read(n->sim, XDOM, 0, n->mmio + off, size);
    }
    return (uint32_t)xensim_pio_read(n->sim, XDOM, 0, n->io + off, size);
}

void xrtl_w(XRtl *r, unsigned off, unsigned size, uint32_t v)
{
    XNic *n = r->n;

    if (r->use_mmio) {
        xensim_mmio_write(n->sim, XDOM, 0, n->mmio + off, size, v);
    } else {
        xensim_pio_write(n->sim, XDOM, 0, n->io + off, size, v);
    }
}

bool xrtl_poll(XRtl *r, unsigned off, unsigned size, uint32_t mask,
               uint32_t want)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000LL;

    while (g_get_monotonic_time() < deadline) {
        if ((xrtl_r(r, off, size) & mask) == want) {
            return true;
        }
        g_usleep(1000);
    }
    return false;
}

void xrtl_reset(XRtl *r)
{
    xrtl_w(r, RTL_CR, 1, RTL_CR_RST);
    g_assert_true(xrtl_poll(r, RTL_CR, 1, RTL_CR_RST, 0));
}

/* Reset, then IDR0-5 with the config registers unlocked, as both do. */
static void xrtl_reset_mac(XRtl *r)
{
    uint64_t mac = xnic_parse_mac(NIC_MAC);

    xrtl_reset(r);
    xrtl_w(r, RTL_9346CR, 1, RTL_9346_EEM_CONFIG);
    xrtl_w(r, RTL_IDR0, 4, (uint32_t)mac);
    xrtl_w(r, RTL_IDR0 + 4, 4, (uint32_t)(mac >> 32));
}

void xrtl_c_init(XRtl *r, uint64_t ring, unsigned rblen, bool wrap)
{
    unsigned i;

    r->rx_ring = ring;
    r->rx_size = 8192u << rblen;
    r->cur_rx = 0;
    r->cur_tx = 0;
    for (i = 0; i < 4; i++) {
        if (!r->tx_buf[i]) {
            r->tx_buf[i] = xnic_alloc(r->n, XRTL_TX_BUF, 64);
        }
    }
    xrtl_reset_mac(r);
    xrtl_w(r, RTL_RBSTART, 4, (uint32_t)ring);
    /* 8139too: "Must enable Tx/Rx before setting transfer thresholds". */
    xrtl_w(r, RTL_CR, 1, RTL_CR_RE | RTL_CR_TE);
    xrtl_w(r, RTL_RCR, 4,
           rblen << RTL_RCR_RBLEN_SHIFT | (wrap ? RTL_RCR_WRAP : 0) | 7u << 13 |
               7u << 8 | RTL_RCR_APM | RTL_RCR_AB);
    xrtl_w(r, RTL_TCR, 4, 3u << 24 | 6u << 8);
    xrtl_w(r, RTL_9346CR, 1, 0);
    for (i = 0; i < 4; i++) {
        xrtl_w(r, RTL_TSAD0 + 4 * i, 4, (uint32_t)r->tx_buf[i]);
    }
    xrtl_w(r, RTL_IMR, 2, RTL_INT_ROK | RTL_INT_TOK);
}

unsigned xrtl_c_tx(XRtl *r, const void *frame, size_t len)
{
    unsigned slot = r->cur_tx++ % 4;

    g_assert_cmpuint(len, <=, XRTL_TX_BUF);
    g_assert_true(
        xensim_memwrite(r->n->sim, XDOM, r->tx_buf[slot], frame, len));
    /* OWN = 0 hands the slot to the NIC (8139too start_xmit). */
    xrtl_w(r, RTL_TSD0 + 4 * slot, 4, (uint32_t)len);
    return slot;
}

int xrtl_c_rx(XRtl *r, uint16_t *status, uint8_t *buf, size_t cap)
{
    uint32_t off = r->cur_rx % r->rx_size;
    uint32_t data = (off + 4) % r->rx_size;
    uint8_t hdr[4];
    uint16_t len;
    size_t n, first;

    if (!xrtl_poll(r, RTL_CR, 1, RTL_CR_BUFE, 0)) {
        return -1;
    }
    g_assert_true(xensim_memread(r->n->sim, XDOM, r->rx_ring + off, hdr, 4));
    *status = (uint16_t)(hdr[0] | hdr[1] << 8);
    len = (uint16_t)(hdr[2] | hdr[3] << 8);
    n = MIN((size_t)len, cap);
    first = MIN(n, (size_t)(r->rx_size - data));
    g_assert_true(
        xensim_memread(r->n->sim, XDOM, r->rx_ring + data, buf, first));
    if (n > first) {
        g_assert_true(xensim_memread(r->n->sim, XDOM, r->rx_ring, buf + first,
                                     n - first));
    }
    r->cur_rx = (r->cur_rx + len + 4 + 3) & ~3u;
    xrtl_w(r, RTL_CAPR, 2, (uint16_t)(r->cur_rx - 16));
    xrtl_w(r, RTL_ISR, 2, RTL_INT_ROK | RTL_INT_RXOVW | RTL_INT_FOVW);
    return len;
}

void xrtl_cp_desc_write(XRtl *r, uint64_t at, uint32_t dw0, uint32_t dw1,
                        uint64_t buf)
{
    uint8_t d[RTL_DESC_SIZE];

    xnic_put_le(d, dw0, 4);
    xnic_put_le(d + 4, dw1, 4);
    xnic_put_le(d + 8, buf, 8);
    g_assert_true(xensim_memwrite(r->n->sim, XDOM, at, d, sizeof(d)));
}

uint32_t xrtl_cp_desc_dw0(XRtl *r, uint64_t at)
{
    uint8_t d[4];

    g_assert_true(xensim_memread(r->n->sim, XDOM, at, d, sizeof(d)));
    return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
           (uint32_t)d[3] << 24;
}

/* RX descriptor `idx` back to the NIC. */
static void xrtl_cp_rx_give(XRtl *r, unsigned idx)
{
    uint32_t dw0 = RTL_DESC_OWN | r->cp_rx_buf_size;

    if (idx == r->cp_rx_n - 1) {
        dw0 |= RTL_DESC_EOR;
    }
    xrtl_cp_desc_write(r, r->cp_rx_ring + RTL_DESC_SIZE * idx, dw0, 0,
                       r->cp_rx_buf[idx]);
}

void xrtl_cp_init(XRtl *r, unsigned tx_n, unsigned rx_n, uint32_t rx_buf)
{
    static const uint8_t zero[RTL_DESC_SIZE * RTL_CP_RING_MAX];
    unsigned i;

    g_assert(tx_n >= 1 && tx_n <= RTL_CP_RING_MAX);
    g_assert(rx_n >= 1 && rx_n <= RTL_CP_RING_MAX);
    r->cp_rx_ring = xnic_alloc(r->n, 2 * sizeof(zero), 256);
    r->cp_tx_ring = r->cp_rx_ring + sizeof(zero);
    g_assert_true(
        xensim_memwrite(r->n->sim, XDOM, r->cp_tx_ring, zero, sizeof(zero)));
    r->cp_tx_n = tx_n;
    r->cp_tx_head = 0;
    r->cp_rx_n = rx_n;
    r->cp_rx_tail = 0;
    r->cp_rx_buf_size = rx_buf;
    xrtl_cp_desc_write(r, r->cp_tx_ring + RTL_DESC_SIZE * (tx_n - 1),
                       RTL_DESC_EOR, 0, 0);
    for (i = 0; i < rx_n; i++) {
        r->cp_rx_buf[i] = xnic_alloc(r->n, rx_buf, 64);
        xrtl_cp_rx_give(r, i);
    }
    xrtl_reset_mac(r);
    xrtl_w(r, RTL_CPCMD, 2, RTL_CPCMD_MULRW | RTL_CPCMD_CPRX | RTL_CPCMD_CPTX);
    xrtl_w(r, RTL_THPDS, 4, 0);
    xrtl_w(r, RTL_THPDS + 4, 4, 0);
    xrtl_w(r, RTL_RDSAR, 4, (uint32_t)r->cp_rx_ring);
    xrtl_w(r, RTL_RDSAR + 4, 4, 0);
    xrtl_w(r, RTL_TNPDS, 4, (uint32_t)r->cp_tx_ring);
    xrtl_w(r, RTL_TNPDS + 4, 4, 0);
    xrtl_w(r, RTL_CR, 1, RTL_CR_RE | RTL_CR_TE);
    xrtl_w(r, RTL_RCR, 4, 5u << 13 | 4u << 8 | RTL_RCR_APM | RTL_RCR_AB);
    xrtl_w(r, RTL_TCR, 4, 3u << 24 | 6u << 8);
    xrtl_w(r, RTL_9346CR, 1, 0);
    xrtl_w(r, RTL_IMR, 2, RTL_INT_ROK | RTL_INT_TOK | RTL_INT_SERR);
}

unsigned xrtl_cp_tx_push(XRtl *r, uint64_t buf, uint32_t len, uint32_t flags)
{
    unsigned idx = r->cp_tx_head;
    uint32_t dw0 = RTL_DESC_OWN | flags | (len & RTL_TXD_LEN_MASK);

    if (idx == r->cp_tx_n - 1) {
        dw0 |= RTL_DESC_EOR;
    }
    xrtl_cp_desc_write(r, r->cp_tx_ring + RTL_DESC_SIZE * idx, dw0, 0, buf);
    r->cp_tx_head = (idx + 1) % r->cp_tx_n;
    return idx;
}

void xrtl_cp_tx_poll(XRtl *r)
{
    xrtl_w(r, RTL_TPPOLL, 1, RTL_TPPOLL_NPQ);
}

/* Wait for OWN to clear in the descriptor at `at`; its dw0, or 0. */
static uint32_t xrtl_cp_wait_own(XRtl *r, uint64_t at)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000LL;

    while (g_get_monotonic_time() < deadline) {
        uint32_t dw0 = xrtl_cp_desc_dw0(r, at);

        if (!(dw0 & RTL_DESC_OWN)) {
            return dw0;
        }
        g_usleep(1000);
    }
    return 0;
}

bool xrtl_cp_tx_done(XRtl *r, unsigned idx)
{
    return xrtl_cp_wait_own(r, r->cp_tx_ring + RTL_DESC_SIZE * idx) != 0;
}

uint32_t xrtl_cp_rx(XRtl *r, uint8_t *buf, size_t cap)
{
    unsigned idx = r->cp_rx_tail;
    uint32_t dw0 = xrtl_cp_wait_own(r, r->cp_rx_ring + RTL_DESC_SIZE * idx);
    size_t n = MIN(MIN((size_t)(dw0 & RTL_RXD_LEN_MASK), cap),
                   (size_t)r->cp_rx_buf_size);

    if (!dw0) {
        return 0;
    }
    g_assert_true(xensim_memread(r->n->sim, XDOM, r->cp_rx_buf[idx], buf, n));
    xrtl_cp_rx_give(r, idx);
    r->cp_rx_tail = (idx + 1) % r->cp_rx_n;
    /* 8139cp rewrites IntrMask after a refill: the NIC's cue. */
    xrtl_w(r, RTL_IMR, 2, xrtl_r(r, RTL_IMR, 2));
    return dw0;
}

uint64_t xrtl_to_guest(XRtl *r, const void *data, size_t len)
{
    uint64_t gpa = xnic_alloc(r->n, len, 64);

    g_assert_true(xensim_memwrite(r->n->sim, XDOM, gpa, data, len));
    return gpa;
}

bool xrtl_logged(XRtl *r, const char *what)
{
    char *log = emuxen_log(r->n->emu);
    bool found = strstr(log, what) != NULL;

    g_free(log);
    return found;
}
