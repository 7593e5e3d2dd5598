/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xnic: see xnic.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "xnic.h"

XenSim *xnic_sim_new(unsigned vcpus)
{
    GError *err = NULL;
    XenSim *sim = xensim_new(&err);

    g_assert_no_error(err);
    xensim_set_timeout(sim, WAIT_MS);
    g_assert_true(xensim_domain_create(sim, XDOM, vcpus, GUEST_RAM, &err));
    g_assert_no_error(err);
    return sim;
}

void xnic_fail(XNic *n, const char *what)
{
    char *log = emuxen_log(n->emu);

    g_test_message("emunet stderr:\n%s", log);
    g_free(log);
    g_error("%s", what);
}

/*
 * Start emunet serving XDOM with one e1000 at 00:04.0 on the wire, and
 * wait until it is ready (server enabled, ports bound, state "running").
 */
XNic *xnic_start_with(XenSim *sim, unsigned vcpus, const char *device)
{
    XNic *n = g_new0(XNic, 1);
    char *args;

    n->sim = sim;
    n->vcpus = vcpus;
    n->next = ALLOC_START;
    args = g_strdup_printf("--domid %u -netdev socket,id=net0,fd=@WIRE@ "
                           "-device %s",
                           XDOM, device);
    n->emu = emuxen_spawn(sim, args);
    g_free(args);
    if (xensim_wait_server_ready(sim, XDOM, -1, WAIT_MS) < 0) {
        xnic_fail(n, "emunet did not become a ready ioreq server");
    }
    if (!xensim_xs_wait(sim, "/local/domain/0/device-model/5/state", "running",
                        WAIT_MS)) {
        xnic_fail(n, "emunet did not write device-model/5/state");
    }
    return n;
}

XNic *xnic_start(unsigned vcpus)
{
    return xnic_start_with(xnic_sim_new(vcpus), vcpus,
                           "e1000,id=nic0,netdev=net0,addr=04.0,mac=" NIC_MAC);
}

/*
 * Stop emunet the way libxl does (SIGHUP) and require a clean exit: status
 * 0, no server left, no sanitizer report.
 */
void xnic_free(XNic *n)
{
    XenSim *sim = n->sim;
    char *log;

    if (emuxen_alive(n->emu)) {
        emuxen_kill(n->emu, SIGHUP);
        if (emuxen_wait_exit(n->emu, WAIT_MS) != 0) {
            xnic_fail(n, "emunet did not exit cleanly on SIGHUP");
        }
        g_assert_cmpuint(xensim_server_count(sim, XDOM), ==, 0);
    }
    log = emuxen_log(n->emu);
    if (strstr(log, "runtime error") || strstr(log, "Sanitizer")) {
        xnic_fail(n, "sanitizer report in emunet's stderr");
    }
    g_free(log);
    emuxen_free(n->emu);
    xensim_free(sim);
    g_free(n);
}

uint32_t xnic_cfg_r(XNic *n, uint8_t reg, unsigned size)
{
    return xensim_pci_cfg_read(n->sim, XDOM, 0, 0, NIC_DEVFN, reg, size);
}

void xnic_cfg_w(XNic *n, uint8_t reg, unsigned size, uint32_t v)
{
    xensim_pci_cfg_write(n->sim, XDOM, 0, 0, NIC_DEVFN, reg, size, v);
}

uint32_t xnic_r(XNic *n, uint32_t reg)
{
    return (uint32_t)xensim_mmio_read(n->sim, XDOM, 0, n->mmio + reg, 4);
}

void xnic_w(XNic *n, uint32_t reg, uint32_t v)
{
    xensim_mmio_write(n->sim, XDOM, 0, n->mmio + reg, 4, v);
}

/* Size and program BAR0 (MMIO) and BAR1 (I/O), then enable decode. */
void xnic_map(XNic *n, uint64_t mmio, uint16_t io)
{
    uint32_t v;

    xnic_cfg_w(n, PCI_BAR0, 4, 0xffffffff);
    v = xnic_cfg_r(n, PCI_BAR0, 4);
    g_assert_cmphex(v & 0xf, ==, 0);                /* 32-bit memory */
    g_assert_cmphex(~(v & ~0xfu) + 1, ==, 0x20000); /* 128 KiB */
    xnic_cfg_w(n, PCI_BAR0, 4, (uint32_t)mmio);
    xnic_cfg_w(n, PCI_BAR1, 4, 0xffffffff);
    v = xnic_cfg_r(n, PCI_BAR1, 4);
    g_assert_cmphex(v & 1, ==, 1); /* I/O */
    xnic_cfg_w(n, PCI_BAR1, 4, io | 1);
    xnic_cfg_w(n, PCI_COMMAND, 2,
               xnic_cfg_r(n, PCI_COMMAND, 2) | PCI_COMMAND_IO |
                   PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    xnic_cfg_w(n, PCI_INTERRUPT_LINE, 1, 11);
    n->mmio = mmio;
    n->io = io;
}

uint64_t xnic_alloc(XNic *n, size_t len, size_t align)
{
    uint64_t gpa = (n->next + align - 1) & ~(uint64_t)(align - 1);

    n->next = gpa + len;
    g_assert_cmpuint(n->next, <=, GUEST_RAM);
    return gpa;
}

void xnic_put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
    unsigned i;

    for (i = 0; i < bytes; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* Poll `reg` in real time until (value & mask) == want. */
bool xnic_poll(XNic *n, uint32_t reg, uint32_t mask, uint32_t want)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000LL;

    while (g_get_monotonic_time() < deadline) {
        if ((xnic_r(n, reg) & mask) == want) {
            return true;
        }
        g_usleep(1000);
    }
    return false;
}

/* Reset, link up, TX and RX rings of RING_N (Linux order, SDM 14). */
void xnic_init(XNic *n)
{
    unsigned i;

    xnic_w(n, E1000_IMC, 0xffffffff);
    xnic_w(n, E1000_RCTL, 0);
    xnic_w(n, E1000_TCTL, E1000_TCTL_PSP);
    xnic_w(n, E1000_CTRL, xnic_r(n, E1000_CTRL) | E1000_CTRL_RST);
    g_assert_true(xnic_poll(n, E1000_CTRL, E1000_CTRL_RST, 0));
    xnic_w(n, E1000_IMC, 0xffffffff);
    xnic_r(n, E1000_ICR);
    xnic_w(n, E1000_CTRL, xnic_r(n, E1000_CTRL) | E1000_CTRL_SLU);
    g_assert_true(xnic_poll(n, E1000_STATUS, E1000_STATUS_LU, E1000_STATUS_LU));
    xnic_r(n, E1000_ICR);

    n->tx_ring = xnic_alloc(n, RING_N * 16, 128);
    n->tx_tail = 0;
    xnic_w(n, E1000_TDBAL, (uint32_t)n->tx_ring);
    xnic_w(n, E1000_TDBAH, 0);
    xnic_w(n, E1000_TDLEN, RING_N * 16);
    xnic_w(n, E1000_TDH, 0);
    xnic_w(n, E1000_TDT, 0);
    xnic_w(n, E1000_TIPG, 8 | 8 << 10 | 6 << 20);
    xnic_w(n, E1000_TCTL,
           E1000_TCTL_EN | E1000_TCTL_PSP | 0x0f << 4 | 0x40 << 12);

    n->rx_ring = xnic_alloc(n, RING_N * 16, 128);
    for (i = 0; i < RING_N; i++) {
        uint8_t d[16] = {0};

        n->rx_buf[i] = xnic_alloc(n, RX_BUF, 64);
        xnic_put_le(d, n->rx_buf[i], 8);
        g_assert_true(
            xensim_memwrite(n->sim, XDOM, n->rx_ring + 16 * i, d, 16));
    }
    xnic_w(n, E1000_RDBAL, (uint32_t)n->rx_ring);
    xnic_w(n, E1000_RDBAH, 0);
    xnic_w(n, E1000_RDLEN, RING_N * 16);
    xnic_w(n, E1000_RDH, 0);
    xnic_w(n, E1000_RDT, RING_N - 1);
    xnic_w(n, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC);
}

/* Queue one legacy descriptor (EOP|IFCS|RS) for `len` bytes at `gpa`. */
unsigned xnic_tx(XNic *n, uint64_t gpa, uint16_t len)
{
    uint8_t d[16] = {0};
    unsigned idx = n->tx_tail;

    xnic_put_le(d, gpa, 8);
    xnic_put_le(d + 8, len, 2);
    d[11] = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
    g_assert_true(xensim_memwrite(n->sim, XDOM, n->tx_ring + 16 * idx, d, 16));
    n->tx_tail = (idx + 1) % RING_N;
    xnic_w(n, E1000_TDT, n->tx_tail);
    return idx;
}

bool xnic_desc_done(XNic *n, uint64_t ring, unsigned idx)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000LL;
    uint8_t status;

    while (g_get_monotonic_time() < deadline) {
        g_assert_true(
            xensim_memread(n->sim, XDOM, ring + 16 * idx + 12, &status, 1));
        if (status & E1000_TXD_STA_DD) {
            return true;
        }
        g_usleep(1000);
    }
    return false;
}

size_t xnic_frame(uint8_t *f, size_t len, uint8_t seed)
{
    size_t i;

    memset(f, 0xff, 6); /* broadcast */
    memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
    f[12] = 0x88;
    f[13] = 0xb5; /* local experimental */
    for (i = 14; i < len; i++) {
        f[i] = (uint8_t)(seed + i);
    }
    return len;
}

uint64_t xnic_parse_mac(const char *s)
{
    unsigned b[6];
    uint64_t v = 0;
    int i;

    g_assert_cmpint(sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3],
                           &b[4], &b[5]),
                    ==, 6);
    for (i = 5; i >= 0; i--) {
        v = v << 8 | b[i];
    }
    return v;
}
