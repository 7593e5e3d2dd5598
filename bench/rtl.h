/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rtl: the benchmark's RTL8139 driver, for both of its modes. It programs
 * the NIC over qtest (config space, BAR1 registers, TSD/TPPoll doorbells,
 * CAPR) and keeps buffers and C+ descriptor rings in the shared guest RAM,
 * which it writes and polls directly. Interrupts stay masked. The same
 * code drives emunet and QEMU; it follows what Linux's 8139too (C mode)
 * and 8139cp (C+ mode) do, with batched doorbells where the hardware
 * allows them (see README.md).
 */
#ifndef BENCH_RTL_H
#define BENCH_RTL_H

#include <stdbool.h>
#include <stdint.h>

#include "dm.h"
#include "nic.h"

/* The -device name and the PCI ID (device << 16 | vendor) at 04.0. */
#define RTL_MODEL "rtl8139"
#define RTL_PCI_ID 0x813910ecu

/* C+ descriptors per ring (the most the part has), and per TPPoll. */
#define RTL_CP_RING 64
#define RTL_CP_BATCH 32

/*
 * C+ large send: one packet of 65535 bytes from the Ethernet header on
 * (the most QEMU 7.2 gathers without truncating), IPv4+TCP, MSS 1460, in
 * 16 descriptors of 4 KiB (the last one a byte short).
 */
#define RTL_LSO_LEN 65535
#define RTL_LSO_MSS 1460
#define RTL_LSO_HDR 54
#define RTL_LSO_CHUNK 4096
#define RTL_LSO_DESCS ((RTL_LSO_LEN + RTL_LSO_CHUNK - 1) / RTL_LSO_CHUNK)
#define RTL_LSO_SEGS                                                           \
    ((RTL_LSO_LEN - RTL_LSO_HDR + RTL_LSO_MSS - 1) / RTL_LSO_MSS)
#define RTL_LSO_WIRE_BYTES (RTL_LSO_LEN + (RTL_LSO_SEGS - 1) * RTL_LSO_HDR)

/* Which mode a row runs in; RTL_MODE_NONE (0) marks an e1000 row. */
typedef enum RtlMode {
    RTL_MODE_NONE,
    RTL_MODE_C,
    RTL_MODE_CPLUS,
} RtlMode;

typedef struct Rtl {
    Dm *dm;
    /* BAR1 (memory-mapped registers). */
    uint64_t mmio;
    /* The mode the NIC is programmed for now. */
    RtlMode mode;
    /* C mode TX: the slot the NIC sends next (it goes round robin). */
    unsigned tx_slot;
    /*
     * C mode RX ring: offset of the next packet header; offset of the
     * last packet seen (its buffer may still be being written) and its
     * size in the ring; whether there is one; and the read pointer last
     * given to the NIC (CAPR + 16).
     */
    unsigned rx_off;
    unsigned rx_last;
    unsigned rx_last_need;
    bool rx_have_last;
    unsigned rx_rel;
    /* C+ TX ring: next free slot, oldest in flight, slots in flight. */
    unsigned cp_tx_tail;
    unsigned cp_tx_clean;
    unsigned cp_tx_used;
    /* For the first slot of each packet: its last slot (LS). */
    uint8_t cp_tx_last[RTL_CP_RING];
    /* The next large-send payload area to use. */
    unsigned lso_next;
    /* C+ RX ring: next descriptor to complete; the last one seen, not
     * handed back yet, or -1 (see rtl.c). */
    unsigned cp_rx_next;
    int cp_rx_dirty;
    /* Since C+ setup: descriptors handed to the NIC, frames fed. */
    uint64_t rx_given;
    uint64_t rx_fed;
} Rtl;

/* Enable the function, map BAR1, reset the NIC and set up C mode. */
int rtl_setup(Rtl *rtl, Dm *dm);

/*
 * One run in `mode` (the NIC is reset and set up again when the mode
 * changes, before the run is timed): `count` frames of `len` bytes sent
 * (NIC_TX; with `lso` and len RTL_LSO_LEN, C+ large sends) or received
 * (NIC_RX). Returns 0, or -1 if the device model stopped making progress.
 */
int rtl_run(Rtl *rtl, RtlMode mode, NicDir dir, bool lso, unsigned len,
            uint64_t count, NicRun *run);

#endif
