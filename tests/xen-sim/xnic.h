/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xnic: the guest side of the emunet-on-xen-sim tests. One simulated
 * domain (XDOM) whose device model is the production emunet binary
 * (emuxen), with one NIC at 00:04.0 on a socketpair wire, and a small
 * Intel 82540EM driver (8254x SDM; bring-up order as libqos/e1000.c and
 * Linux's e1000): config space through CF8/CFC, BAR sizing and
 * programming, register access, rings in guest RAM.
 */
#ifndef XNIC_H
#define XNIC_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "emuxen.h"
#include "xensim.h"

#define XDOM 5
#define NIC_SLOT 4
#define NIC_DEVFN (NIC_SLOT << 3)
#define NIC_MAC "52:54:00:12:34:56"
#define BAR0_ADDR 0xf0000000ULL
#define BAR0_MOVED 0xf1000000ULL
#define BAR1_ADDR 0xc100
#define GUEST_RAM (64 << 20)
#define ALLOC_START 0x100000ULL
#define WAIT_MS 10000

/* PCI config space (PCI Local Bus 3.0, 6.2) */
#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS_REVISION 0x08
#define PCI_BAR0 0x10
#define PCI_BAR1 0x14
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_STATUS_REC_MASTER_ABORT 0x2000

/* 82540EM registers and bits (SDM 13) */
#define E1000_CTRL 0x00000
#define E1000_STATUS 0x00008
#define E1000_EERD 0x00014
#define E1000_ICR 0x000c0
#define E1000_IMS 0x000d0
#define E1000_IMC 0x000d8
#define E1000_RCTL 0x00100
#define E1000_TCTL 0x00400
#define E1000_TIPG 0x00410
#define E1000_RDBAL 0x02800
#define E1000_RDBAH 0x02804
#define E1000_RDLEN 0x02808
#define E1000_RDH 0x02810
#define E1000_RDT 0x02818
#define E1000_TDBAL 0x03800
#define E1000_TDBAH 0x03804
#define E1000_TDLEN 0x03808
#define E1000_TDH 0x03810
#define E1000_TDT 0x03818
#define E1000_RAL(n) (0x05400 + 8 * (n))
#define E1000_RAH(n) (0x05404 + 8 * (n))
#define E1000_IOADDR 0x00
#define E1000_IODATA 0x04
#define E1000_CTRL_SLU (1u << 6)
#define E1000_CTRL_RST (1u << 26)
#define E1000_STATUS_LU (1u << 1)
#define E1000_EERD_START (1u << 0)
#define E1000_EERD_DONE (1u << 4)
#define E1000_ICR_TXDW (1u << 0)
#define E1000_ICR_RXT0 (1u << 7)
#define E1000_RCTL_EN (1u << 1)
#define E1000_RCTL_BAM (1u << 15)
#define E1000_RCTL_SECRC (1u << 26)
#define E1000_TCTL_EN (1u << 1)
#define E1000_TCTL_PSP (1u << 3)
#define E1000_RAH_AV (1u << 31)
#define E1000_TXD_CMD_EOP 0x01
#define E1000_TXD_CMD_IFCS 0x02
#define E1000_TXD_CMD_RS 0x08
#define E1000_TXD_STA_DD 0x01
#define E1000_RXD_STA_DD 0x01
#define RING_N 8
#define RX_BUF 2048

typedef struct XNic {
    XenSim *sim;
    EmuXen *emu;
    unsigned vcpus;
    uint64_t mmio;
    uint16_t io;
    uint64_t next; /* guest RAM bump allocator */
    uint64_t tx_ring;
    unsigned tx_tail;
    uint64_t rx_ring;
    uint64_t rx_buf[RING_N];
} XNic;

/* A simulator with domain XDOM: `vcpus` vCPUs, GUEST_RAM of RAM. */
XenSim *xnic_sim_new(unsigned vcpus);

/* Fail the test with `what`, emunet's stderr attached. */
void xnic_fail(XNic *n, const char *what) G_GNUC_NORETURN;

/*
 * Start emunet serving XDOM with "-device `device`" on a socketpair
 * netdev net0, and wait until it is a ready ioreq server with
 * device-model/5/state "running". Takes ownership of `sim`.
 */
XNic *xnic_start_with(XenSim *sim, unsigned vcpus, const char *device);
/* The same with an e1000 (nic0, 00:04.0, NIC_MAC) on a new simulator. */
XNic *xnic_start(unsigned vcpus);
/*
 * Stop emunet as libxl does (SIGHUP) and require a clean exit (status
 * 0, no server left, no sanitizer report); free everything.
 */
void xnic_free(XNic *n);

/* Config space of 00:04.0 through CF8/CFC, as vCPU 0. */
uint32_t xnic_cfg_r(XNic *n, uint8_t reg, unsigned size);
void xnic_cfg_w(XNic *n, uint8_t reg, unsigned size, uint32_t v);
/* 32-bit e1000 register access through BAR0, as vCPU 0. */
uint32_t xnic_r(XNic *n, uint32_t reg);
void xnic_w(XNic *n, uint32_t reg, uint32_t v);
/* Size and program BAR0 (MMIO) and BAR1 (I/O), enable decode and DMA. */
void xnic_map(XNic *n, uint64_t mmio, uint16_t io);
/* Guest RAM for descriptors and buffers (bump allocator). */
uint64_t xnic_alloc(XNic *n, size_t len, size_t align);
void xnic_put_le(uint8_t *p, uint64_t v, unsigned bytes);
/* Poll `reg` (real time, WAIT_MS) until (value & mask) == want. */
bool xnic_poll(XNic *n, uint32_t reg, uint32_t mask, uint32_t want);
/* Reset, link up, TX and RX rings of RING_N descriptors (SDM 14). */
void xnic_init(XNic *n);
/* Queue one legacy TX descriptor (EOP|IFCS|RS) and write TDT. */
unsigned xnic_tx(XNic *n, uint64_t gpa, uint16_t len);
/* Wait for DD in descriptor `idx` of the ring at `ring`. */
bool xnic_desc_done(XNic *n, uint64_t ring, unsigned idx);
/* A broadcast frame of `len` bytes with a payload derived from `seed`. */
size_t xnic_frame(uint8_t *f, size_t len, uint8_t seed);
/* "aa:bb:cc:dd:ee:ff" as the 48-bit little-endian register value. */
uint64_t xnic_parse_mac(const char *s);

/* test-emunet-xen-life.c */
void test_emunet_xen_life_register(void);
/* test-emunet-xen-handoff.c */
void test_emunet_xen_handoff_register(void);

#endif
