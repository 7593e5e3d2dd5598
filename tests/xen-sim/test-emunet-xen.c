/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The production emunet binary as a Xen device model, on xen-sim: the
 * test plays the guest's vCPUs (config space through CF8/CFC, BARs, MMIO
 * and port I/O, rep and pointer accesses), its RAM (descriptors and
 * buffers), the wire (a socketpair netdev), xenstore and the toolstack
 * (signals, hypervisor-side faults). Register semantics: 8254x SDM; the
 * bring-up order follows libqos/e1000.c (Linux's e1000 driver).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <xendevicemodel.h>

#include "xnic.h"

/* ---- e1000 ---- */

static void test_e1000_init(void)
{
    XNic *n = xnic_start(2);
    XenSimServerInfo info;
    uint64_t mac = xnic_parse_mac(NIC_MAC);
    int id = xensim_wait_server_ready(n->sim, XDOM, -1, 0);
    unsigned w;

    g_assert_true(xensim_server_info(n->sim, XDOM, id, &info));
    g_assert_true(info.enabled);
    g_assert_cmpuint(info.ports_bound, ==, 2);
    g_assert_cmpint(info.bufioreq, ==, HVM_IOREQSRV_BUFIOREQ_OFF);
    g_assert_true(
        xensim_server_has_pcidev(n->sim, XDOM, id, 0, 0, NIC_SLOT, 0));
    g_assert_cmphex(xnic_cfg_r(n, PCI_VENDOR_ID, 4), ==, 0x100e8086);
    g_assert_cmphex(xnic_cfg_r(n, PCI_CLASS_REVISION, 4) >> 8, ==, 0x020000);
    g_assert_cmphex(xnic_cfg_r(n, PCI_VENDOR_ID + 2, 2), ==, 0x100e);
    /* Nothing is decoded before the guest enables it. */
    g_assert_false(xensim_server_claims(n->sim, XDOM, id, true, BAR0_ADDR,
                                        BAR0_ADDR + 0x1ffff));
    xnic_map(n, BAR0_ADDR, BAR1_ADDR);
    g_assert_true(xensim_server_claims(n->sim, XDOM, id, true, BAR0_ADDR,
                                       BAR0_ADDR + 0x1ffff));
    g_assert_true(xensim_server_claims(n->sim, XDOM, id, false, BAR1_ADDR,
                                       BAR1_ADDR + 0x3f));
    xnic_init(n);
    /* The MAC: in RA0 after reset, and in EEPROM words 0-2 (SDM 5.6). */
    g_assert_cmphex(xnic_r(n, E1000_RAL(0)), ==, (uint32_t)mac);
    g_assert_cmphex(xnic_r(n, E1000_RAH(0)), ==,
                    (uint32_t)(mac >> 32) | E1000_RAH_AV);
    for (w = 0; w < 3; w++) {
        xnic_w(n, E1000_EERD, E1000_EERD_START | w << 8);
        g_assert_true(
            xnic_poll(n, E1000_EERD, E1000_EERD_DONE, E1000_EERD_DONE));
        g_assert_cmphex(xnic_r(n, E1000_EERD) >> 16, ==,
                        (uint16_t)(mac >> (16 * w)));
    }
    /* The I/O BAR's IOADDR/IODATA window reaches the same registers. */
    xensim_pio_write(n->sim, XDOM, 1, BAR1_ADDR + E1000_IOADDR, 4,
                     E1000_STATUS);
    g_assert_cmphex(
        xensim_pio_read(n->sim, XDOM, 1, BAR1_ADDR + E1000_IODATA, 4), ==,
        xnic_r(n, E1000_STATUS));
    g_assert_null(xensim_crash_reason(n->sim, XDOM));
    g_assert_cmpuint(xensim_warnings(n->sim, XDOM), ==, 0);
    xnic_free(n);
}

static void test_e1000_bar_move(void)
{
    XNic *n = xnic_start(1);
    int id = xensim_wait_server_ready(n->sim, XDOM, -1, 0);
    XenSimIo io;

    xnic_map(n, BAR0_ADDR, BAR1_ADDR);
    xnic_w(n, E1000_RAL(1), 0x11223344);
    /* Move BAR0: the claim follows it, the old window is gone. */
    xnic_cfg_w(n, PCI_BAR0, 4, (uint32_t)BAR0_MOVED);
    g_assert_false(
        xensim_server_claims(n->sim, XDOM, id, true, BAR0_ADDR, BAR0_ADDR + 3));
    g_assert_true(xensim_server_claims(n->sim, XDOM, id, true, BAR0_MOVED,
                                       BAR0_MOVED + 0x1ffff));
    xensim_io_init(&io, IOREQ_TYPE_COPY, IOREQ_READ, BAR0_ADDR + E1000_RAL(1),
                   4, 0);
    g_assert_cmpint(xensim_io(n->sim, XDOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_cmpint(io.server, ==, -1);
    n->mmio = BAR0_MOVED;
    g_assert_cmphex(xnic_r(n, E1000_RAL(1)), ==, 0x11223344);
    /* COMMAND.MEM off: no MMIO claim; I/O still decoded. */
    xnic_cfg_w(n, PCI_COMMAND, 2, PCI_COMMAND_IO);
    g_assert_false(xensim_server_claims(n->sim, XDOM, id, true, BAR0_MOVED,
                                        BAR0_MOVED + 3));
    g_assert_true(xensim_server_claims(n->sim, XDOM, id, false, BAR1_ADDR,
                                       BAR1_ADDR + 0x3f));
    g_assert_cmphex(
        xensim_mmio_read(n->sim, XDOM, 0, BAR0_MOVED + E1000_RAL(1), 4), ==,
        0xffffffff);
    xnic_cfg_w(n, PCI_COMMAND, 2, 0);
    g_assert_false(xensim_server_claims(n->sim, XDOM, id, false, BAR1_ADDR,
                                        BAR1_ADDR + 3));
    xnic_cfg_w(n, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    g_assert_cmphex(xnic_r(n, E1000_RAL(1)), ==, 0x11223344);
    xnic_free(n);
}

static void test_e1000_tx_rx(void)
{
    XNic *n = xnic_start(2);
    uint8_t frame[128], got[256], desc[16];
    uint64_t buf;
    unsigned idx;
    ssize_t len;

    xnic_map(n, BAR0_ADDR, BAR1_ADDR);
    xnic_init(n);
    /* TX: the frame leaves on the wire, DD is written back, TXDW rises */
    xnic_w(n, E1000_IMS, E1000_ICR_TXDW | E1000_ICR_RXT0);
    xnic_frame(frame, sizeof(frame), 1);
    buf = xnic_alloc(n, sizeof(frame), 16);
    g_assert_true(xensim_memwrite(n->sim, XDOM, buf, frame, sizeof(frame)));
    idx = xnic_tx(n, buf, sizeof(frame));
    len = emuxen_wire_recv(n->emu, got, sizeof(got), WAIT_MS);
    g_assert_cmpint(len, ==, sizeof(frame));
    g_assert_cmpmem(got, sizeof(frame), frame, sizeof(frame));
    g_assert_true(xnic_desc_done(n, n->tx_ring, idx));
    g_assert_true(xensim_intx_wait(n->sim, XDOM, NIC_SLOT, 0, 1, WAIT_MS));
    g_assert_cmpint(xensim_gsi_level(n->sim, XDOM, ((NIC_SLOT * 4) & 31) + 16),
                    ==, 1);
    g_assert_cmphex(xnic_r(n, E1000_ICR) & E1000_ICR_TXDW, ==, E1000_ICR_TXDW);
    g_assert_true(xensim_intx_wait(n->sim, XDOM, NIC_SLOT, 0, 0, WAIT_MS));
    /* RX: a frame from the wire lands in the first buffer, RXT0 rises */
    xnic_frame(frame, 100, 7);
    emuxen_wire_send(n->emu, frame, 100);
    g_assert_true(xnic_desc_done(n, n->rx_ring, 0));
    g_assert_true(xensim_memread(n->sim, XDOM, n->rx_ring, desc, 16));
    g_assert_cmpuint(desc[8] | desc[9] << 8, ==, 100);
    g_assert_true(xensim_memread(n->sim, XDOM, n->rx_buf[0], got, 100));
    g_assert_cmpmem(got, 100, frame, 100);
    g_assert_true(xensim_intx_wait(n->sim, XDOM, NIC_SLOT, 0, 1, WAIT_MS));
    g_assert_cmphex(xnic_r(n, E1000_ICR) & E1000_ICR_RXT0, ==, E1000_ICR_RXT0);
    g_assert_true(xensim_intx_wait(n->sim, XDOM, NIC_SLOT, 0, 0, WAIT_MS));
    /* RX DMA wrote guest pages: none of that is a protocol problem */
    g_assert_cmpuint(xensim_warnings(n->sim, XDOM), ==, 0);
    /* IrqLine for Xen: set_pci_intx_level on level changes only */
    g_assert_cmpuint(xensim_intx_calls(n->sim, XDOM, NIC_SLOT, 0), ==,
                     xensim_intx_changes(n->sim, XDOM, NIC_SLOT, 0));
    g_assert_cmpuint(xensim_intx_changes(n->sim, XDOM, NIC_SLOT, 0), ==, 4);
    xnic_free(n);
}

static void test_e1000_rep_ptr(void)
{
    XNic *n = xnic_start(1);
    const uint32_t ra[2] = {0xa1b2c3d4, 0x0000e5f6};
    uint32_t back[2], status[2];
    uint64_t src, dst;
    XenSimIo io;

    xnic_map(n, BAR0_ADDR, BAR1_ADDR);
    src = xnic_alloc(n, 8, 8);
    dst = xnic_alloc(n, 8, 8);
    /* movsd x2 from guest RAM into RAL1/RAH1 */
    g_assert_true(xensim_memwrite(n->sim, XDOM, src, ra, sizeof(ra)));
    xensim_io_init(&io, IOREQ_TYPE_COPY, IOREQ_WRITE, n->mmio + E1000_RAL(1), 4,
                   src);
    io.count = 2;
    io.data_is_ptr = 1;
    g_assert_cmpint(xensim_io(n->sim, XDOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_cmphex(xnic_r(n, E1000_RAL(1)), ==, ra[0]);
    g_assert_cmphex(xnic_r(n, E1000_RAH(1)) & 0xffff, ==, ra[1]);
    /* movsd x2 back out, downwards (df): RAH1 then RAL1 */
    xensim_io_init(&io, IOREQ_TYPE_COPY, IOREQ_READ, n->mmio + E1000_RAH(1), 4,
                   dst + 4);
    io.count = 2;
    io.df = 1;
    io.data_is_ptr = 1;
    g_assert_cmpint(xensim_io(n->sim, XDOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_true(xensim_memread(n->sim, XDOM, dst, back, sizeof(back)));
    g_assert_cmphex(back[0], ==, ra[0]);
    g_assert_cmphex(back[1] & 0xffff, ==, ra[1]);
    /* rep stosd: one value into two registers */
    xensim_io_init(&io, IOREQ_TYPE_COPY, IOREQ_WRITE, n->mmio + E1000_RAL(2), 4,
                   0x5a5a5a5a);
    io.count = 2;
    g_assert_cmpint(xensim_io(n->sim, XDOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_cmphex(xnic_r(n, E1000_RAL(2)), ==, 0x5a5a5a5a);
    g_assert_cmphex(xnic_r(n, E1000_RAH(2)) & 0xffff, ==, 0x5a5a);
    /* rep insd from the I/O window: the port stays, memory advances */
    xensim_pio_write(n->sim, XDOM, 0, n->io + E1000_IOADDR, 4, E1000_STATUS);
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_READ, n->io + E1000_IODATA, 4,
                   dst);
    io.count = 2;
    io.data_is_ptr = 1;
    g_assert_cmpint(xensim_io(n->sim, XDOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_true(xensim_memread(n->sim, XDOM, dst, status, sizeof(status)));
    g_assert_cmphex(status[0], ==, xnic_r(n, E1000_STATUS));
    g_assert_cmphex(status[1], ==, status[0]);
    xnic_free(n);
}

/* Mappings cached for DMA must not survive an INVALIDATE. */
static void test_e1000_invalidate(void)
{
    XNic *n = xnic_start(1);
    uint8_t frame[96], got[256];
    uint64_t page, other;
    char *log;

    xnic_map(n, BAR0_ADDR, BAR1_ADDR);
    xnic_init(n);
    page = xnic_alloc(n, 4096, 4096);
    other = xnic_alloc(n, 4096, 4096);
    xnic_frame(frame, sizeof(frame), 3);
    g_assert_true(xensim_memwrite(n->sim, XDOM, page, frame, sizeof(frame)));
    g_assert_true(xensim_memwrite(n->sim, XDOM, other, frame, sizeof(frame)));
    xnic_tx(n, page, sizeof(frame));
    g_assert_cmpint(emuxen_wire_recv(n->emu, got, sizeof(got), WAIT_MS), ==,
                    sizeof(frame));
    /* The guest balloons the page out; Xen broadcasts INVALIDATE. */
    xensim_set_page_error(n->sim, XDOM, page >> 12, 1, EINVAL);
    g_assert_cmpint(xensim_invalidate(n->sim, XDOM, 0), ==, XENSIM_IO_OK);
    /* A descriptor still pointing there is a DMA error, not a send. */
    xnic_tx(n, page, sizeof(frame));
    g_assert_cmpint(emuxen_wire_recv(n->emu, got, sizeof(got), 500), ==, -1);
    g_assert_true(emuxen_alive(n->emu));
    log = emuxen_log(n->emu);
    g_assert_nonnull(strstr(log, "not readable"));
    g_free(log);
    /* Other pages still work. */
    xnic_tx(n, other, sizeof(frame));
    g_assert_cmpint(emuxen_wire_recv(n->emu, got, sizeof(got), WAIT_MS), ==,
                    sizeof(frame));
    g_assert_cmpmem(got, sizeof(frame), frame, sizeof(frame));
    xnic_free(n);
}

typedef struct VcpuJob {
    XNic *n;
    unsigned vcpu;
    unsigned ok;
} VcpuJob;

static gpointer vcpu_job(gpointer opaque)
{
    VcpuJob *j = opaque;
    uint64_t reg = j->n->mmio + E1000_RAL(1 + j->vcpu);
    unsigned i;

    for (i = 0; i < 100; i++) {
        uint32_t v = j->vcpu << 24 | i;
        XenSimIo io;

        xensim_io_init(&io, IOREQ_TYPE_COPY, IOREQ_WRITE, reg, 4, v);
        if (xensim_io(j->n->sim, XDOM, j->vcpu, &io) != XENSIM_IO_OK) {
            break;
        }
        xensim_io_init(&io, IOREQ_TYPE_COPY, IOREQ_READ, reg, 4, 0);
        if (xensim_io(j->n->sim, XDOM, j->vcpu, &io) != XENSIM_IO_OK ||
            (uint32_t)io.data != v) {
            break;
        }
        j->ok++;
    }
    return NULL;
}

static void test_e1000_multi_vcpu(void)
{
    XNic *n = xnic_start(4);
    VcpuJob jobs[4];
    GThread *th[4];
    unsigned v;

    xnic_map(n, BAR0_ADDR, BAR1_ADDR);
    for (v = 0; v < 4; v++) {
        jobs[v] = (VcpuJob){.n = n, .vcpu = v};
        th[v] = g_thread_new("vcpu", vcpu_job, &jobs[v]);
    }
    for (v = 0; v < 4; v++) {
        g_thread_join(th[v]);
        g_assert_cmpuint(jobs[v].ok, ==, 100);
    }
    g_assert_null(xensim_crash_reason(n->sim, XDOM));
    xnic_free(n);
}

/* The MAC comes from the paired vif's backend when -device has none. */
static void test_e1000_xenstore_mac(void)
{
    XenSim *sim = xnic_sim_new(1);
    uint64_t mac = xnic_parse_mac("00:16:3e:0a:0b:0c");
    XNic *n;

    g_assert_true(xensim_xs_write(sim, "/local/domain/0/backend/vif/5/0/mac",
                                  "00:16:3e:0a:0b:0c"));
    n = xnic_start_with(sim, 1, "e1000,id=nic0,netdev=net0,addr=04.0");
    xnic_map(n, BAR0_ADDR, BAR1_ADDR);
    g_assert_cmphex(xnic_r(n, E1000_RAL(0)), ==, (uint32_t)mac);
    g_assert_cmphex(xnic_r(n, E1000_RAH(0)) & 0xffff, ==,
                    (uint32_t)(mac >> 32));
    xnic_free(n);
}

/* Raw requests no guest CPU would produce are answered, never fatal. */
static void test_e1000_hostile(void)
{
    XNic *n = xnic_start(1);
    int id = xensim_wait_server_ready(n->sim, XDOM, -1, 0);
    XenSimIo io;

    xnic_map(n, BAR0_ADDR, BAR1_ADDR);
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_READ, n->io, 3, 0);
    io.target = id;
    g_assert_cmpint(xensim_io(n->sim, XDOM, 0, &io), ==, XENSIM_IO_OK);
    xensim_io_init(&io, 5, IOREQ_WRITE, 0, 4, 0);
    io.target = id;
    g_assert_cmpint(xensim_io(n->sim, XDOM, 0, &io), ==, XENSIM_IO_OK);
    xensim_io_init(&io, IOREQ_TYPE_COPY, IOREQ_READ, n->mmio, 4, GUEST_RAM - 8);
    io.count = 1u << 30;
    io.data_is_ptr = 1;
    io.target = id;
    g_assert_cmpint(xensim_io(n->sim, XDOM, 0, &io), ==, XENSIM_IO_OK);
    xensim_io_init(&io, IOREQ_TYPE_COPY, IOREQ_WRITE, 0x1000, 8, 0);
    io.target = id; /* outside every BAR */
    g_assert_cmpint(xensim_io(n->sim, XDOM, 0, &io), ==, XENSIM_IO_OK);
    xensim_io_init(&io, IOREQ_TYPE_PCI_CONFIG, IOREQ_READ,
                   (uint64_t)NIC_DEVFN << 32, 8, 0);
    io.target = id;
    g_assert_cmpint(xensim_io(n->sim, XDOM, 0, &io), ==, XENSIM_IO_OK);
    xensim_io_init(&io, IOREQ_TYPE_PCI_CONFIG, IOREQ_READ,
                   (uint64_t)(NIC_DEVFN + 8) << 32, 4, 0);
    io.target = id; /* an SBDF it did not register */
    g_assert_cmpint(xensim_io(n->sim, XDOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_true(emuxen_alive(n->emu));
    g_assert_null(xensim_crash_reason(n->sim, XDOM));
    g_assert_cmphex(xnic_cfg_r(n, PCI_VENDOR_ID, 2), ==, 0x8086);
    xnic_free(n);
}

/* Rings and buffers pointing where DMA must not go: dropped, logged. */
static void test_e1000_hostile_rings(void)
{
    XNic *n = xnic_start(1);
    uint8_t frame[80], got[256], d[16] = {0};
    uint64_t good_ring, buf;
    char *log;

    xnic_map(n, BAR0_ADDR, BAR1_ADDR);
    xnic_init(n);
    good_ring = n->tx_ring;
    xnic_frame(frame, sizeof(frame), 9);
    buf = xnic_alloc(n, sizeof(frame), 16);
    g_assert_true(xensim_memwrite(n->sim, XDOM, buf, frame, sizeof(frame)));
    /* A buffer inside the NIC's own BAR: never a DMA target. */
    xnic_tx(n, n->mmio, sizeof(frame));
    g_assert_cmpint(emuxen_wire_recv(n->emu, got, sizeof(got), 300), ==, -1);
    /* A buffer beyond guest RAM: the foreign mapping fails. */
    xnic_tx(n, GUEST_RAM + 0x10000, sizeof(frame));
    g_assert_cmpint(emuxen_wire_recv(n->emu, got, sizeof(got), 300), ==, -1);
    /* A ring beyond guest RAM. */
    xnic_w(n, E1000_TCTL, 0);
    xnic_w(n, E1000_TDBAL, (uint32_t)(GUEST_RAM + 0x20000));
    xnic_w(n, E1000_TDH, 0);
    xnic_w(n, E1000_TDT, 0);
    xnic_w(n, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
    xnic_w(n, E1000_TDT, 3);
    g_assert_cmpint(emuxen_wire_recv(n->emu, got, sizeof(got), 300), ==, -1);
    /* An RX buffer beyond RAM: the frame is not written anywhere. */
    xnic_put_le(d, GUEST_RAM + 0x30000, 8);
    g_assert_true(xensim_memwrite(n->sim, XDOM, n->rx_ring, d, 16));
    emuxen_wire_send(n->emu, frame, sizeof(frame));
    g_usleep(200 * 1000);
    g_assert_true(emuxen_alive(n->emu));
    g_assert_null(xensim_crash_reason(n->sim, XDOM));
    log = emuxen_log(n->emu);
    g_assert_nonnull(strstr(log, "not readable"));
    g_free(log);
    /* A sane ring afterwards works. */
    xnic_w(n, E1000_TCTL, 0);
    xnic_w(n, E1000_TDBAL, (uint32_t)good_ring);
    xnic_w(n, E1000_TDH, 0);
    xnic_w(n, E1000_TDT, 0);
    xnic_w(n, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
    n->tx_ring = good_ring;
    n->tx_tail = 0;
    xnic_tx(n, buf, sizeof(frame));
    g_assert_cmpint(emuxen_wire_recv(n->emu, got, sizeof(got), WAIT_MS), ==,
                    sizeof(frame));
    g_assert_cmpmem(got, sizeof(frame), frame, sizeof(frame));
    xnic_free(n);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/emunet-xen/e1000/init", test_e1000_init);
    g_test_add_func("/emunet-xen/e1000/bar-move", test_e1000_bar_move);
    g_test_add_func("/emunet-xen/e1000/tx-rx", test_e1000_tx_rx);
    g_test_add_func("/emunet-xen/e1000/rep-ptr", test_e1000_rep_ptr);
    g_test_add_func("/emunet-xen/e1000/invalidate", test_e1000_invalidate);
    g_test_add_func("/emunet-xen/e1000/multi-vcpu", test_e1000_multi_vcpu);
    g_test_add_func("/emunet-xen/e1000/xenstore-mac", test_e1000_xenstore_mac);
    g_test_add_func("/emunet-xen/e1000/hostile", test_e1000_hostile);
    g_test_add_func("/emunet-xen/e1000/hostile-rings",
                    test_e1000_hostile_rings);
    test_emunet_xen_life_register();
    test_emunet_xen_handoff_register();
    return g_test_run();
}
