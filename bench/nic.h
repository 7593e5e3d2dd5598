/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nic: the benchmark's e1000 (82540EM) driver. It programs the NIC over
 * qtest (config space, BAR0, registers, doorbells) and keeps rings and
 * buffers in the shared guest RAM, which it writes and polls directly.
 * Completion is seen through RS/DD write-back only; interrupts stay
 * masked. The same code drives emunet and QEMU, and emunet on xen-sim
 * (xenbench), where the Dm's bus carries the accesses instead of qtest.
 */
#ifndef BENCH_NIC_H
#define BENCH_NIC_H

#include <stdbool.h>
#include <stdint.h>

#include "dm.h"

/* Descriptors per ring, and per doorbell (TX: at most; RX: refill). */
#define NIC_RING 256
#define NIC_BATCH 128

/* TSO send: 64 KiB from the Ethernet header on, MSS 1460. */
#define NIC_TSO_LEN 65536
#define NIC_TSO_MSS 1460
#define NIC_TSO_HDR 54
#define NIC_TSO_SEGS                                                           \
    ((NIC_TSO_LEN - NIC_TSO_HDR + NIC_TSO_MSS - 1) / NIC_TSO_MSS)
#define NIC_TSO_WIRE_BYTES (NIC_TSO_LEN + (NIC_TSO_SEGS - 1) * NIC_TSO_HDR)

typedef enum NicDir {
    NIC_TX,
    NIC_RX,
} NicDir;

/* What one measured run did. */
typedef struct NicRun {
    /* Packets (TSO: 64 KiB sends) completed. */
    uint64_t pkts;
    double wall_s;
    /* Device-model CPU (utime+stime) over the run, in clock ticks. */
    uint64_t ticks;
    /* Wire frames and bytes seen (TX), or frames received (RX). */
    uint64_t frames;
    uint64_t bytes;
    /* Frames missing on the wire, or received with a wrong length. */
    uint64_t lost;
    uint64_t bad;
} NicRun;

typedef struct Nic {
    Dm *dm;
    uint64_t mmio;
    /* TX ring: next free slot, oldest in flight, slots in flight. */
    unsigned tx_tail;
    unsigned tx_clean;
    unsigned tx_used;
    /* For the first slot of each packet: its last slot (RS set there). */
    uint16_t tx_last[NIC_RING];
    /* The next TSO payload area to use. */
    unsigned tso_next;
    /* RX ring: next descriptor to complete; RDT is rx_clean - 1. */
    unsigned rx_clean;
    /* Since setup: buffers handed to the NIC, frames fed to the wire. */
    uint64_t rx_given;
    uint64_t rx_fed;
    /* A completed descriptor whose status is not cleared yet, or -1. */
    int rx_dirty;
    /*
     * Clear a descriptor's status only after the next descriptor's DD is
     * seen, instead of as soon as its own DD is (as Linux does); for a
     * device model that stores the status byte more than once. See
     * README.md.
     */
    bool rx_deferred_clear;
} Nic;

/* Enable the function, map BAR0, reset the NIC, set up both rings. */
int nic_setup(Nic *nic, Dm *dm);

/*
 * One run: `count` packets of `len` bytes (TX; len NIC_TSO_LEN with
 * `tso` for 64 KiB TSO sends) or received (RX). Returns 0, or -1 if the
 * device model stopped making progress.
 */
int nic_run(Nic *nic, NicDir dir, bool tso, unsigned len, uint64_t count,
            NicRun *run);

#endif
