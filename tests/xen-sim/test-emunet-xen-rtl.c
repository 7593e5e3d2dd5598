/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The production emunet binary's rtl8139 as a Xen device model on
 * xen-sim: the qtest scenarios that matter, re-run through ioreqs. Init
 * (IDs, BARs, IDR, rep and pointer accesses), C+ TX through the TNPDS
 * ring and RX through the RDSAR ring, C mode TX through the TSD slots and
 * RX through the RBSTART ring buffer, INTx as set_pci_intx_level calls
 * seen by the simulator, and hostile guests: a ring of 64 NIC-owned
 * descriptors, rings and buffers in memory Xen will not map, CAPR and
 * RBSTART overrun attempts. RTL8139C(L)/C+ data sheets; the drivers'
 * order from Linux's 8139too and 8139cp (xrtl.h).
 */
#include <errno.h>
#include <string.h>

#include <xendevicemodel.h>

#include "xrtl.h"

#define XRTL_INTA 0
#define CANARY 0xa5
#define GUARD 4096

/* A broadcast frame with a 2-byte sequence number after the header. */
static size_t rtl_frame(uint8_t *f, size_t len, uint16_t seq)
{
    xnic_frame(f, len, (uint8_t)seq);
    f[14] = (uint8_t)(seq >> 8);
    f[15] = (uint8_t)seq;
    return len;
}

/* Clear every ISR bit and wait for INTA to drop. */
static void rtl_ack_all(XRtl *r)
{
    xrtl_w(r, RTL_ISR, 2, 0xffff);
    g_assert_true(
        xensim_intx_wait(r->n->sim, XDOM, NIC_SLOT, XRTL_INTA, 0, WAIT_MS));
}

/* IrqLine for Xen: set_pci_intx_level on level changes only. */
static void rtl_check_intx_calls(XRtl *r, unsigned min_changes)
{
    unsigned calls = xensim_intx_calls(r->n->sim, XDOM, NIC_SLOT, XRTL_INTA);
    unsigned changes =
        xensim_intx_changes(r->n->sim, XDOM, NIC_SLOT, XRTL_INTA);

    g_assert_cmpuint(calls, ==, changes);
    g_assert_cmpuint(changes, >=, min_changes);
}

/* The guest is still served and was never crashed by a protocol error. */
static void rtl_check_alive(XRtl *r)
{
    uint64_t mac = xnic_parse_mac(NIC_MAC);

    g_assert_true(emuxen_alive(r->n->emu));
    g_assert_null(xensim_crash_reason(r->n->sim, XDOM));
    g_assert_cmpuint(xensim_warnings(r->n->sim, XDOM), ==, 0);
    g_assert_cmphex(xrtl_r(r, RTL_IDR0, 4), ==, (uint32_t)mac);
}

/* No frame on the wire within `ms`. */
static bool rtl_wire_quiet(XRtl *r, unsigned ms)
{
    uint8_t got[2048];

    return emuxen_wire_recv(r->n->emu, got, sizeof(got), ms) < 0;
}

static void rtl_expect_frame(XRtl *r, const uint8_t *frame, size_t len)
{
    uint8_t got[2048];

    g_assert_cmpint(emuxen_wire_recv(r->n->emu, got, sizeof(got), WAIT_MS), ==,
                    (ssize_t)len);
    g_assert_cmpmem(got, len, frame, len);
}

/*
 * A DMA that could not be done: dropped, reported to the guest as a PCI
 * master abort and SERR (data sheet ISR bit 15), logged; both cleared.
 */
static void rtl_expect_dma_error(XRtl *r)
{
    g_assert_true(xrtl_poll(r, RTL_ISR, 2, RTL_INT_SERR, RTL_INT_SERR));
    g_assert_cmphex(xnic_cfg_r(r->n, PCI_STATUS, 2) &
                        PCI_STATUS_REC_MASTER_ABORT,
                    ==, PCI_STATUS_REC_MASTER_ABORT);
    g_assert_true(xrtl_logged(r, "DMA at"));
    xnic_cfg_w(r->n, PCI_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT);
    rtl_ack_all(r);
}

/* ---- init ---- */

static void test_rtl_init(void)
{
    XRtl *r = xrtl_start(XRTL_DEVICE);
    XNic *n = r->n;
    int id = xensim_wait_server_ready(n->sim, XDOM, -1, 0);
    uint64_t mac = xnic_parse_mac(NIC_MAC);
    const uint32_t mar[2] = {0x80402010, 0x08040201};
    uint32_t ids[2];
    uint64_t dst, src;
    XenSimIo io;

    g_assert_cmphex(xnic_cfg_r(n, PCI_VENDOR_ID, 4), ==, 0x813910ec);
    g_assert_cmphex(xnic_cfg_r(n, PCI_CLASS_REVISION, 4), ==,
                    0x02000000 | RTL_PCI_REVISION_CPLUS);
    /* Exactly the two 256-byte windows are claimed while decoded. */
    g_assert_true(xensim_server_claims(n->sim, XDOM, id, false, XRTL_IO_ADDR,
                                       XRTL_IO_ADDR + 0xff));
    g_assert_false(xensim_server_claims(
        n->sim, XDOM, id, false, XRTL_IO_ADDR + 0x100, XRTL_IO_ADDR + 0x100));
    g_assert_true(xensim_server_claims(n->sim, XDOM, id, true, XRTL_MMIO_ADDR,
                                       XRTL_MMIO_ADDR + 0xff));
    xnic_cfg_w(n, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    g_assert_false(xensim_server_claims(n->sim, XDOM, id, false, XRTL_IO_ADDR,
                                        XRTL_IO_ADDR));
    g_assert_cmphex(xensim_pio_read(n->sim, XDOM, 0, XRTL_IO_ADDR, 4), ==,
                    0xffffffff);
    xnic_cfg_w(n, PCI_COMMAND, 2,
               PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    /* IDR0-5 (data sheet 6): byte, word and dword, both BARs. */
    g_assert_cmphex(xrtl_r(r, RTL_IDR0, 1), ==, mac & 0xff);
    g_assert_cmphex(xrtl_r(r, RTL_IDR0 + 4, 2), ==, (mac >> 32) & 0xffff);
    g_assert_cmphex(xrtl_r(r, RTL_IDR0, 4), ==, (uint32_t)mac);
    r->use_mmio = true;
    g_assert_cmphex(xrtl_r(r, RTL_IDR0, 4), ==, (uint32_t)mac);
    g_assert_cmphex(xrtl_r(r, RTL_TCR, 4) & RTL_TCR_HWVERID_MASK, ==,
                    RTL_TCR_HWVER_8139CP);
    /* rep insd: the port stays, guest memory advances. */
    dst = xnic_alloc(n, sizeof(ids), 8);
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_READ, XRTL_IO_ADDR + RTL_IDR0, 4,
                   dst);
    io.count = 2;
    io.data_is_ptr = 1;
    g_assert_cmpint(xensim_io(n->sim, XDOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_true(xensim_memread(n->sim, XDOM, dst, ids, sizeof(ids)));
    g_assert_cmphex(ids[0], ==, (uint32_t)mac);
    g_assert_cmphex(ids[1], ==, (uint32_t)mac);
    /* movsd x2 from guest RAM into MAR0-7 through BAR1. */
    src = xrtl_to_guest(r, mar, sizeof(mar));
    xensim_io_init(&io, IOREQ_TYPE_COPY, IOREQ_WRITE, XRTL_MMIO_ADDR + RTL_MAR0,
                   4, src);
    io.count = 2;
    io.data_is_ptr = 1;
    g_assert_cmpint(xensim_io(n->sim, XDOM, 0, &io), ==, XENSIM_IO_OK);
    r->use_mmio = false;
    g_assert_cmphex(xrtl_r(r, RTL_MAR0, 4), ==, mar[0]);
    g_assert_cmphex(xrtl_r(r, RTL_MAR0 + 4, 4), ==, mar[1]);
    rtl_check_alive(r);
    xrtl_free(r);
}

/* C+ bring-up through the MMIO BAR, read back through the I/O BAR. */
static void test_rtl_cplus_init(void)
{
    XRtl *r = xrtl_start(XRTL_DEVICE);

    r->use_mmio = true;
    xrtl_cp_init(r, 16, 16, 1536);
    r->use_mmio = false;
    g_assert_cmphex(xrtl_r(r, RTL_CPCMD, 2) & RTL_CPCMD_WRITABLE, ==,
                    RTL_CPCMD_MULRW | RTL_CPCMD_CPRX | RTL_CPCMD_CPTX);
    g_assert_cmphex(xrtl_r(r, RTL_TNPDS, 4), ==, (uint32_t)r->cp_tx_ring);
    g_assert_cmphex(xrtl_r(r, RTL_TNPDS + 4, 4), ==, 0);
    g_assert_cmphex(xrtl_r(r, RTL_RDSAR, 4), ==, (uint32_t)r->cp_rx_ring);
    g_assert_cmphex(xrtl_r(r, RTL_CR, 1) & (RTL_CR_RE | RTL_CR_TE), ==,
                    RTL_CR_RE | RTL_CR_TE);
    g_assert_cmphex(xrtl_r(r, RTL_IMR, 2), ==,
                    RTL_INT_ROK | RTL_INT_TOK | RTL_INT_SERR);
    /* Nothing happened yet: no interrupt. */
    g_assert_cmpint(xensim_intx_level(r->n->sim, XDOM, NIC_SLOT, XRTL_INTA), ==,
                    0);
    rtl_check_alive(r);
    xrtl_free(r);
}

/* ---- C+ data path ---- */

static void test_rtl_cplus_tx(void)
{
    XRtl *r = xrtl_start(XRTL_DEVICE);
    uint8_t frame[1400];
    uint64_t area, split;
    unsigned i, idx;

    xrtl_cp_init(r, 16, 4, 1536);
    /* 20 frames through a 16-descriptor ring: EOR wraps it. */
    for (i = 0; i < 20; i++) {
        size_t len = rtl_frame(frame, 60 + 50 * i, (uint16_t)i);
        uint64_t buf = xrtl_to_guest(r, frame, len);

        idx = xrtl_cp_tx_push(r, buf, (uint32_t)len, RTL_DESC_FS | RTL_DESC_LS);
        xrtl_cp_tx_poll(r);
        rtl_expect_frame(r, frame, len);
        g_assert_true(xrtl_cp_tx_done(r, idx));
        g_assert_true(xrtl_poll(r, RTL_ISR, 2, RTL_INT_TOK, RTL_INT_TOK));
        g_assert_true(
            xensim_intx_wait(r->n->sim, XDOM, NIC_SLOT, XRTL_INTA, 1, WAIT_MS));
        g_assert_cmpint(
            xensim_gsi_level(r->n->sim, XDOM, ((NIC_SLOT * 4) & 31) + 16), ==,
            1);
        rtl_ack_all(r);
    }
    /*
     * One frame from two descriptors, the first buffer straddling a
     * 1 MiB boundary (two map-cache buckets of emunet's GuestMem).
     */
    rtl_frame(frame, sizeof(frame), 0x777);
    area = xnic_alloc(r->n, 2 << 20, 1 << 20);
    split = area + (1 << 20) - 700;
    g_assert_true(xensim_memwrite(r->n->sim, XDOM, split, frame, 1000));
    xrtl_cp_tx_push(r, split, 1000, RTL_DESC_FS);
    idx = xrtl_cp_tx_push(r, xrtl_to_guest(r, frame + 1000, 400), 400,
                          RTL_DESC_LS);
    xrtl_cp_tx_poll(r);
    rtl_expect_frame(r, frame, sizeof(frame));
    g_assert_true(xrtl_cp_tx_done(r, idx));
    rtl_ack_all(r);
    rtl_check_intx_calls(r, 2 * 21);
    rtl_check_alive(r);
    xrtl_free(r);
}

static void test_rtl_cplus_rx(void)
{
    XRtl *r = xrtl_start(XRTL_DEVICE);
    uint8_t frame[1514], got[1536], all[1100];
    size_t off = 0;
    uint32_t dw0;
    unsigned i;

    xrtl_cp_init(r, 4, 8, 1536);
    /* 12 frames through 8 descriptors (EOR wraps), each as 8139cp reads */
    for (i = 0; i < 12; i++) {
        size_t len = rtl_frame(frame, 60 + 120 * i, (uint16_t)i);

        emuxen_wire_send(r->n->emu, frame, len);
        dw0 = xrtl_cp_rx(r, got, sizeof(got));
        g_assert_cmphex(dw0 & (RTL_DESC_FS | RTL_DESC_LS), ==,
                        RTL_DESC_FS | RTL_DESC_LS);
        /* The length counts the FCS; short frames are padded to 60. */
        g_assert_cmpuint(dw0 & RTL_RXD_LEN_MASK, ==, MAX(len, 60) + 4);
        g_assert_cmpmem(got, len, frame, len);
        g_assert_true(xrtl_poll(r, RTL_ISR, 2, RTL_INT_ROK, RTL_INT_ROK));
        g_assert_true(
            xensim_intx_wait(r->n->sim, XDOM, NIC_SLOT, XRTL_INTA, 1, WAIT_MS));
        rtl_ack_all(r);
    }
    /* Small buffers: one frame scattered over four descriptors. */
    xrtl_cp_init(r, 4, 8, 256);
    rtl_frame(frame, 1000, 0x55);
    emuxen_wire_send(r->n->emu, frame, 1000);
    for (i = 0; i < 4; i++) {
        dw0 = xrtl_cp_rx(r, all + off, sizeof(all) - off);
        g_assert_cmphex(dw0 & RTL_DESC_FS, ==, i == 0 ? RTL_DESC_FS : 0);
        g_assert_cmphex(dw0 & RTL_DESC_LS, ==, i == 3 ? RTL_DESC_LS : 0);
        off += i == 3 ? 1004 - off : (dw0 & RTL_RXD_LEN_MASK);
    }
    g_assert_cmpuint(off, ==, 1004);
    g_assert_cmpmem(all, 1000, frame, 1000);
    rtl_ack_all(r);
    rtl_check_intx_calls(r, 2 * 12);
    rtl_check_alive(r);
    xrtl_free(r);
}

/* ---- C mode (the pre-C+ chip, as 8139too drives it) ---- */

static void test_rtl_c_tx_rx(void)
{
    XRtl *r = xrtl_start(XRTL_DEVICE_C);
    uint8_t frame[1514], got[1600];
    uint16_t status;
    unsigned i, slot;

    g_assert_cmphex(xnic_cfg_r(r->n, PCI_CLASS_REVISION, 1), ==,
                    RTL_PCI_REVISION_C);
    g_assert_cmphex(xrtl_r(r, RTL_TCR, 4) & RTL_TCR_HWVERID_MASK, ==,
                    RTL_TCR_HWVER_8139C);
    xrtl_c_init(r, xnic_alloc(r->n, 8192 + XRTL_RX_SLACK, 4096), 0, false);
    /* Six frames: every TSD/TSAD slot, the first two twice. */
    for (i = 0; i < 6; i++) {
        size_t len = rtl_frame(frame, 64 + 200 * i, (uint16_t)i);

        slot = xrtl_c_tx(r, frame, len);
        g_assert_cmpuint(slot, ==, i % 4);
        rtl_expect_frame(r, frame, len);
        g_assert_true(xrtl_poll(r, RTL_TSD0 + 4 * slot, 4,
                                RTL_TSD_OWN | RTL_TSD_TOK,
                                RTL_TSD_OWN | RTL_TSD_TOK));
        g_assert_true(
            xensim_intx_wait(r->n->sim, XDOM, NIC_SLOT, XRTL_INTA, 1, WAIT_MS));
        rtl_ack_all(r);
    }
    /* Eight 1500-byte frames wrap the 8 KiB ring (RCR.WRAP clear). */
    for (i = 0; i < 8; i++) {
        size_t len = rtl_frame(frame, i == 0 ? 60 : 1500, (uint16_t)(i + 9));

        emuxen_wire_send(r->n->emu, frame, len);
        g_assert_true(
            xensim_intx_wait(r->n->sim, XDOM, NIC_SLOT, XRTL_INTA, 1, WAIT_MS));
        g_assert_cmpint(xrtl_c_rx(r, &status, got, sizeof(got)), ==,
                        (int)len + 4);
        g_assert_cmphex(status & RTL_RXH_ROK, ==, RTL_RXH_ROK);
        g_assert_cmpmem(got, len, frame, len);
        g_assert_true(
            xensim_intx_wait(r->n->sim, XDOM, NIC_SLOT, XRTL_INTA, 0, WAIT_MS));
    }
    g_assert_cmphex(xrtl_r(r, RTL_CR, 1) & RTL_CR_BUFE, ==, RTL_CR_BUFE);
    rtl_check_intx_calls(r, 2 * 14);
    rtl_check_alive(r);
    xrtl_free(r);
}

/* ---- hostile guests ---- */

/*
 * Frames arriving until the wire is quiet for `quiet_ms`: each must
 * carry the next sequence number. Returns how many.
 */
static unsigned rtl_drain_in_order(XRtl *r, unsigned quiet_ms)
{
    uint8_t got[4096];
    unsigned count = 0;
    ssize_t len;

    while ((len = emuxen_wire_recv(r->n->emu, got, sizeof(got),
                                   count ? quiet_ms : WAIT_MS)) >= 0) {
        g_assert_cmpint(len, ==, 64);
        g_assert_cmpuint(got[14] << 8 | got[15], ==, count);
        count++;
    }
    return count;
}

/*
 * CVE-2016-8910: 128 NIC-owned descriptors in memory, none with EOR. One
 * TPPoll walks at most the 64-descriptor ring; emunet keeps answering
 * the vCPU during and after it; then endless packets (FS, never LS).
 */
static void test_rtl_ring_all_owned(void)
{
    XRtl *r = xrtl_start(XRTL_DEVICE);
    uint64_t ring;
    uint8_t frame[64];
    unsigned i;

    xrtl_cp_init(r, 64, 4, 1536);
    ring = xnic_alloc(r->n, RTL_DESC_SIZE * 128, 256);
    for (i = 0; i < 128; i++) {
        rtl_frame(frame, sizeof(frame), (uint16_t)i);
        xrtl_cp_desc_write(r, ring + RTL_DESC_SIZE * i,
                           RTL_DESC_OWN | RTL_DESC_FS | RTL_DESC_LS | 64, 0,
                           xrtl_to_guest(r, frame, sizeof(frame)));
    }
    xrtl_w(r, RTL_TNPDS, 4, (uint32_t)ring);
    xrtl_cp_tx_poll(r);
    for (i = 0; i < 20; i++) {
        g_assert_cmphex(xrtl_r(r, RTL_TNPDS, 4), ==, (uint32_t)ring);
    }
    g_assert_cmpuint(rtl_drain_in_order(r, 500), ==, 64);
    for (i = 64; i < 128; i++) {
        g_assert_cmphex(xrtl_cp_desc_dw0(r, ring + RTL_DESC_SIZE * i) &
                            RTL_DESC_OWN,
                        ==, RTL_DESC_OWN);
    }
    /* A packet that never ends: every TPPoll is still answered. */
    for (i = 0; i < 64; i++) {
        xrtl_cp_desc_write(r, ring + RTL_DESC_SIZE * i,
                           RTL_DESC_OWN | RTL_DESC_FS | 64, 0,
                           xrtl_to_guest(r, frame, sizeof(frame)));
    }
    for (i = 0; i < 100; i++) {
        xrtl_cp_tx_poll(r);
    }
    while (emuxen_wire_recv(r->n->emu, frame, 0, 300) >= 0) {
        /* Error packets never leave; anything that does is bounded. */
    }
    rtl_check_alive(r);
    /* And a sane ring works again. */
    xrtl_cp_init(r, 4, 4, 1536);
    rtl_frame(frame, sizeof(frame), 0);
    i = xrtl_cp_tx_push(r, xrtl_to_guest(r, frame, sizeof(frame)),
                        sizeof(frame), RTL_DESC_FS | RTL_DESC_LS);
    xrtl_cp_tx_poll(r);
    g_assert_cmpuint(rtl_drain_in_order(r, 300), ==, 1);
    g_assert_true(xrtl_cp_tx_done(r, i));
    xrtl_free(r);
}

/*
 * C+ rings and buffers where DMA cannot go: beyond guest RAM (the foreign
 * mapping fails), a page the guest gave back (Xen broadcasts
 * INVALIDATE), the NIC's own BAR. Each is a DMA error, never a crash.
 */
static void test_rtl_cplus_unbacked(void)
{
    XRtl *r = xrtl_start(XRTL_DEVICE);
    uint8_t frame[64], got[2048];
    uint64_t page;
    unsigned idx;

    xrtl_cp_init(r, 16, 4, 1536);
    rtl_frame(frame, sizeof(frame), 1);
    /* TX buffer beyond RAM, then inside BAR1. */
    xrtl_cp_tx_push(r, GUEST_RAM + 0x10000, 64, RTL_DESC_FS | RTL_DESC_LS);
    xrtl_cp_tx_poll(r);
    rtl_expect_dma_error(r);
    xrtl_cp_tx_push(r, XRTL_MMIO_ADDR, 64, RTL_DESC_FS | RTL_DESC_LS);
    xrtl_cp_tx_poll(r);
    rtl_expect_dma_error(r);
    g_assert_true(rtl_wire_quiet(r, 300));
    /* A buffer that was fine (mapping cached) until ballooned out. */
    page = xnic_alloc(r->n, 4096, 4096);
    g_assert_true(xensim_memwrite(r->n->sim, XDOM, page, frame, 64));
    xrtl_cp_tx_push(r, page, 64, RTL_DESC_FS | RTL_DESC_LS);
    xrtl_cp_tx_poll(r);
    rtl_expect_frame(r, frame, 64);
    rtl_ack_all(r);
    xensim_set_page_error(r->n->sim, XDOM, page >> 12, 1, EINVAL);
    g_assert_cmpint(xensim_invalidate(r->n->sim, XDOM, 0), ==, XENSIM_IO_OK);
    xrtl_cp_tx_push(r, page, 64, RTL_DESC_FS | RTL_DESC_LS);
    xrtl_cp_tx_poll(r);
    rtl_expect_dma_error(r);
    g_assert_true(rtl_wire_quiet(r, 300));
    xensim_set_page_error(r->n->sim, XDOM, page >> 12, 1, 0);
    /* The TX ring itself beyond RAM. */
    xrtl_w(r, RTL_TNPDS, 4, (uint32_t)(GUEST_RAM + 0x20000));
    xrtl_cp_tx_poll(r);
    rtl_expect_dma_error(r);
    /* RX: the ring beyond RAM, then a buffer beyond RAM. */
    xrtl_w(r, RTL_RDSAR, 4, (uint32_t)(GUEST_RAM + 0x30000));
    emuxen_wire_send(r->n->emu, frame, sizeof(frame));
    rtl_expect_dma_error(r);
    xrtl_cp_init(r, 4, 4, 1536);
    xrtl_cp_desc_write(r, r->cp_rx_ring, RTL_DESC_OWN | 1536, 0,
                       GUEST_RAM + 0x40000);
    emuxen_wire_send(r->n->emu, frame, sizeof(frame));
    rtl_expect_dma_error(r);
    g_assert_cmphex(xrtl_cp_desc_dw0(r, r->cp_rx_ring) & RTL_DESC_OWN, ==,
                    RTL_DESC_OWN);
    rtl_check_alive(r);
    /* Sane rings afterwards: TX and RX work. */
    xrtl_cp_init(r, 4, 4, 1536);
    idx = xrtl_cp_tx_push(r, xrtl_to_guest(r, frame, sizeof(frame)),
                          sizeof(frame), RTL_DESC_FS | RTL_DESC_LS);
    xrtl_cp_tx_poll(r);
    rtl_expect_frame(r, frame, sizeof(frame));
    g_assert_true(xrtl_cp_tx_done(r, idx));
    emuxen_wire_send(r->n->emu, frame, sizeof(frame));
    g_assert_cmpuint(xrtl_cp_rx(r, got, sizeof(got)) & RTL_RXD_LEN_MASK, ==,
                     sizeof(frame) + 4);
    g_assert_cmpmem(got, sizeof(frame), frame, sizeof(frame));
    xrtl_free(r);
}

/* Fill [gpa, gpa + len) with the canary byte / check it is intact. */
static void rtl_canary_fill(XRtl *r, uint64_t gpa, size_t len)
{
    g_autofree uint8_t *buf = g_malloc(len);

    memset(buf, CANARY, len);
    g_assert_true(xensim_memwrite(r->n->sim, XDOM, gpa, buf, len));
}

static bool rtl_canary_ok(XRtl *r, uint64_t gpa, size_t len)
{
    g_autofree uint8_t *buf = g_malloc(len);
    size_t i;

    g_assert_true(xensim_memread(r->n->sim, XDOM, gpa, buf, len));
    for (i = 0; i < len; i++) {
        if (buf[i] != CANARY) {
            return false;
        }
    }
    return true;
}

/*
 * C mode: CAPR values no driver writes and frames larger than the ring
 * must keep every write inside the 8 KiB ring (plus, with RCR.WRAP, the
 * one-packet slack); RBSTART and TSAD where RAM ends or beyond it are
 * DMA errors. The NIC stays usable.
 */
static void test_rtl_c_overrun(void)
{
    static const uint16_t caprs[] = {0x1235, 0xffff, 0x7ff0, 0x2000, 0x0003};
    XRtl *r = xrtl_start(XRTL_DEVICE_C);
    g_autofree uint8_t *big = g_malloc(65000);
    size_t area_len = GUARD + 8192 + XRTL_RX_SLACK + GUARD;
    uint64_t area = xnic_alloc(r->n, area_len, 4096);
    uint64_t ring = area + GUARD;
    uint8_t frame[1514], got[1600];
    uint16_t status;
    unsigned k, i, wrap;

    for (wrap = 0; wrap < 2; wrap++) {
        /* Without WRAP nothing may land past the ring's 16-byte pad. */
        uint64_t hi = ring + 8192 + (wrap ? XRTL_RX_SLACK : 16);

        rtl_canary_fill(r, area, area_len);
        xrtl_c_init(r, ring, 0, wrap);
        for (k = 0; k < G_N_ELEMENTS(caprs); k++) {
            xrtl_w(r, RTL_CAPR, 2, caprs[k]);
            for (i = 0; i < 3; i++) {
                rtl_frame(frame, sizeof(frame), (uint16_t)(k * 16 + i));
                emuxen_wire_send(r->n->emu, frame, sizeof(frame));
            }
            g_usleep(50 * 1000);
            g_assert_true(rtl_canary_ok(r, area, GUARD));
            g_assert_true(rtl_canary_ok(r, hi, area + area_len - hi));
        }
        /* Frames larger than the whole ring. */
        xrtl_w(r, RTL_CAPR, 2, 0xfff0);
        rtl_frame(big, 9000, 0x900);
        emuxen_wire_send(r->n->emu, big, 9000);
        rtl_frame(big, 65000, 0x901);
        emuxen_wire_send(r->n->emu, big, 65000);
        g_usleep(200 * 1000);
        g_assert_true(rtl_canary_ok(r, area, GUARD));
        g_assert_true(rtl_canary_ok(r, hi, area + area_len - hi));
        rtl_check_alive(r);
    }
    /* A 64 KiB ring running off the end of RAM, then one beyond it. */
    xrtl_c_init(r, GUEST_RAM - 4096, 3, false);
    for (i = 0; i < 8; i++) {
        rtl_frame(frame, sizeof(frame), (uint16_t)i);
        emuxen_wire_send(r->n->emu, frame, sizeof(frame));
    }
    /* Every frame after the first that fails fails too: let them. */
    g_usleep(200 * 1000);
    rtl_expect_dma_error(r);
    xrtl_c_init(r, GUEST_RAM + 0x100000, 0, false);
    emuxen_wire_send(r->n->emu, frame, sizeof(frame));
    rtl_expect_dma_error(r);
    /* A TX slot whose buffer is beyond RAM. */
    xrtl_w(r, RTL_TSAD0, 4, (uint32_t)(GUEST_RAM + 0x10000));
    xrtl_w(r, RTL_TSD0, 4, 64);
    rtl_expect_dma_error(r);
    g_assert_true(rtl_wire_quiet(r, 300));
    rtl_check_alive(r);
    /* A sane ring afterwards receives. */
    xrtl_c_init(r, ring, 0, false);
    rtl_frame(frame, 200, 0x42);
    emuxen_wire_send(r->n->emu, frame, 200);
    g_assert_cmpint(xrtl_c_rx(r, &status, got, sizeof(got)), ==, 204);
    g_assert_cmpmem(got, 200, frame, 200);
    xrtl_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/emunet-xen/rtl8139/init", test_rtl_init);
    g_test_add_func("/emunet-xen/rtl8139/cplus/init", test_rtl_cplus_init);
    g_test_add_func("/emunet-xen/rtl8139/cplus/tx", test_rtl_cplus_tx);
    g_test_add_func("/emunet-xen/rtl8139/cplus/rx", test_rtl_cplus_rx);
    g_test_add_func("/emunet-xen/rtl8139/c/tx-rx", test_rtl_c_tx_rx);
    g_test_add_func("/emunet-xen/rtl8139/hostile/ring-all-owned",
                    test_rtl_ring_all_owned);
    g_test_add_func("/emunet-xen/rtl8139/hostile/cplus-unbacked",
                    test_rtl_cplus_unbacked);
    g_test_add_func("/emunet-xen/rtl8139/hostile/c-overrun",
                    test_rtl_c_overrun);
    return g_test_run();
}
