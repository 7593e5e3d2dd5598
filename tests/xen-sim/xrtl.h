/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xrtl: a small RTL8139C / RTL8139C+ driver for the emunet-on-xen-sim
 * tests. The guest is the test: its vCPU 0 reaches the registers through
 * BAR0 (port I/O) or BAR1 (MMIO) as Xen ioreqs, its rings and buffers
 * live in the simulated domain's RAM, and the wire is emunet's socketpair
 * netdev. Bring-up follows Linux's 8139too (C mode: RX ring buffer at
 * RBSTART, four TSD/TSAD slots) and 8139cp (C+ mode: TNPDS and RDSAR
 * descriptor rings). Register names: the RTL8139C(L)/C+ data sheets, as
 * hw/net/rtl8139_regs.h spells them.
 */
#ifndef XRTL_H
#define XRTL_H

#include "hw/net/rtl8139_regs.h"
#include "xnic.h"

/* -device options: the C+ chip (default revision) and the pre-C+ one. */
#define XRTL_DEVICE "rtl8139,id=nic0,netdev=net0,addr=04.0,mac=" NIC_MAC
#define XRTL_DEVICE_C XRTL_DEVICE ",x-revision=0x10"
#define XRTL_IO_ADDR 0xc200
#define XRTL_MMIO_ADDR 0xf2000000ULL
/* C mode: 8139too's slack after the ring (RX_BUF_PAD + 1536 for WRAP). */
#define XRTL_RX_SLACK (16 + 1536)
#define XRTL_TX_BUF 1536

typedef struct XRtl {
    XNic *n;
    /* Register accesses go through BAR1 (MMIO) instead of BAR0 (I/O). */
    bool use_mmio;
    /* C mode: the RX ring and the driver's read offset, the TX slots. */
    uint64_t rx_ring;
    uint32_t rx_size;
    uint32_t cur_rx;
    uint64_t tx_buf[4];
    unsigned cur_tx;
    /* C+ mode: descriptor rings (8139cp: both in one 256-aligned block). */
    uint64_t cp_tx_ring;
    unsigned cp_tx_n;
    unsigned cp_tx_head;
    uint64_t cp_rx_ring;
    unsigned cp_rx_n;
    unsigned cp_rx_tail;
    uint32_t cp_rx_buf_size;
    uint64_t cp_rx_buf[RTL_CP_RING_MAX];
} XRtl;

/*
 * Start emunet with `device` (XRTL_DEVICE or XRTL_DEVICE_C) on a new
 * simulator; size and program BAR0 and BAR1, enable decode and bus
 * mastering, INTERRUPT_LINE 11.
 */
XRtl *xrtl_start(const char *device);
/* Stop emunet cleanly (xnic_free) and free everything. */
void xrtl_free(XRtl *r);

/* Register access of `size` bytes (1, 2 or 4) through the chosen BAR. */
uint32_t xrtl_r(XRtl *r, unsigned off, unsigned size);
void xrtl_w(XRtl *r, unsigned off, unsigned size, uint32_t v);
/* Poll (real time, WAIT_MS) until (register & mask) == want. */
bool xrtl_poll(XRtl *r, unsigned off, unsigned size, uint32_t mask,
               uint32_t want);
/* CR.RST and wait for it to self-clear. */
void xrtl_reset(XRtl *r);

/*
 * 8139too rtl8139_hw_start: reset, MAC, RBSTART = `ring` (8 KiB << rblen
 * plus XRTL_RX_SLACK the caller allocated), CR.RE|TE, RCR (APM|AB and
 * `wrap`), TCR, TSAD0-3 (allocated here), IMR ROK|TOK.
 */
void xrtl_c_init(XRtl *r, uint64_t ring, unsigned rblen, bool wrap);
/* TX `len` bytes from the next slot (8139too start_xmit); the slot. */
unsigned xrtl_c_tx(XRtl *r, const void *frame, size_t len);
/*
 * Receive like 8139too rtl8139_rx: wait for CR.BUFE to clear, read the
 * header and data at cur_rx, advance, write CAPR = cur_rx - 16. Returns
 * the header's length (frame + CRC), -1 on timeout; *status the header
 * status; up to `cap` bytes to buf.
 */
int xrtl_c_rx(XRtl *r, uint16_t *status, uint8_t *buf, size_t cap);

/*
 * 8139cp cp_init_hw: reset, MAC, CpCmd MulRW|CPRx|CPTx, RDSAR and TNPDS
 * (rings of tx_n and rx_n descriptors, RX ones NIC-owned with buffers of
 * rx_buf bytes, EOR on the last), CR.RE|TE, RCR APM|AB, TCR, IMR
 * ROK|TOK|SERR.
 */
void xrtl_cp_init(XRtl *r, unsigned tx_n, unsigned rx_n, uint32_t rx_buf);
void xrtl_cp_desc_write(XRtl *r, uint64_t at, uint32_t dw0, uint32_t dw1,
                        uint64_t buf);
uint32_t xrtl_cp_desc_dw0(XRtl *r, uint64_t at);
/* Queue a TX descriptor (OWN, EOR on the last) at the head; its index. */
unsigned xrtl_cp_tx_push(XRtl *r, uint64_t buf, uint32_t len, uint32_t flags);
/* TPPoll NPQ. */
void xrtl_cp_tx_poll(XRtl *r);
/* Wait for OWN to clear in TX descriptor `idx`. */
bool xrtl_cp_tx_done(XRtl *r, unsigned idx);
/*
 * The next RX descriptor (8139cp cp_rx_poll): wait for OWN to clear, copy
 * up to `cap` bytes of its buffer, give it back. Returns its dw0, 0 on
 * timeout.
 */
uint32_t xrtl_cp_rx(XRtl *r, uint8_t *buf, size_t cap);

/* Copy `len` bytes into fresh guest RAM; the address. */
uint64_t xrtl_to_guest(XRtl *r, const void *data, size_t len);
/* emunet's stderr contains `what`. */
bool xrtl_logged(XRtl *r, const char *what);

#endif
