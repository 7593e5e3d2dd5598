/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * minidm: a tiny ioreq server written against the public Xen 4.17 device
 * model API (libxendevicemodel, libxenforeignmemory, libxenevtchn), the way
 * QEMU's xen-hvm.c drives it, used by the xen-sim tests to exercise the
 * replacement libraries and the simulator from the device model's side.
 *
 * Its "device" is three register files: 64 bytes of ports at pio_base,
 * 4 KiB of MMIO at mmio_base and a 256-byte config space for the PCI
 * functions it registers. Reads outside them return all-ones. It runs a
 * service thread (minidm_start) or is driven by hand from the test
 * (minidm_wait_event / minidm_slot / minidm_set_state / minidm_notify).
 */
#ifndef MINIDM_H
#define MINIDM_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <xen/hvm/ioreq.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>

#define MINIDM_PIO_SIZE 64
#define MINIDM_MMIO_SIZE 4096
#define MINIDM_MAX_BUFFERED 2048

typedef struct MiniDmConfig {
    uint16_t domid;
    int bufioreq;       /* HVM_IOREQSRV_BUFIOREQ_* */
    bool gfn_path;      /* map the pages via get_info GFNs */
    uint16_t pio_base;  /* 0: claim no ports */
    uint64_t mmio_base; /* 0: claim no MMIO */
} MiniDmConfig;

typedef struct MiniDm {
    MiniDmConfig cfg;
    xendevicemodel_handle *dmod;
    xenforeignmemory_handle *fmem;
    xenevtchn_handle *xce;
    ioservid_t id;
    bool destroyed;
    unsigned nr_vcpus;
    xenforeignmemory_resource_handle *fres;
    void *pages; /* what was mapped (resource or GFNs) */
    size_t nr_pages;
    shared_iopage_t *iopage;
    buffered_iopage_t *bufpage;
    evtchn_port_t *local; /* local port per vCPU */
    evtchn_port_t buf_local;
    /* Service thread */
    GThread *thread;
    int stop_fd;
    /* Device state and statistics, under `lock` */
    GMutex lock;
    uint8_t pio[MINIDM_PIO_SIZE];
    uint8_t mmio[MINIDM_MMIO_SIZE];
    uint8_t config[256];
    unsigned handled;
    unsigned invalidates;
    unsigned unexpected;
    ioreq_t last;
    unsigned nr_buffered;
    buf_ioreq_t buffered[MINIDM_MAX_BUFFERED];
} MiniDm;

/*
 * Open the handles, create and map the server, enable it, bind every
 * vCPU's port (and the buffered port), claim the configured ranges.
 * Fails the test on any error.
 */
MiniDm *minidm_new(const MiniDmConfig *cfg);

/* Destroy the server (unless minidm_destroy did) and close everything. */
void minidm_free(MiniDm *dm);

/* Destroy the server now, keeping the handles. */
void minidm_destroy(MiniDm *dm);

void minidm_claim_pci(MiniDm *dm, uint8_t bus, uint8_t dev, uint8_t fn);

/* Service thread: answer every request until minidm_stop. */
void minidm_start(MiniDm *dm);
void minidm_stop(MiniDm *dm);

/* Manual mode: the vCPU whose port fired (unmasked again), or -1. */
int minidm_wait_event(MiniDm *dm, unsigned timeout_ms);
ioreq_t *minidm_slot(MiniDm *dm, unsigned vcpu);
unsigned minidm_state(MiniDm *dm, unsigned vcpu);
void minidm_set_state(MiniDm *dm, unsigned vcpu, unsigned state);
void minidm_notify(MiniDm *dm, unsigned vcpu);
/* Answer the READY request in `vcpu`'s slot as the thread would. */
void minidm_answer(MiniDm *dm, unsigned vcpu);

/* Snapshot of the statistics (under the lock). */
unsigned minidm_handled(MiniDm *dm);
unsigned minidm_invalidates(MiniDm *dm);
ioreq_t minidm_last(MiniDm *dm);

/* Copy guest memory through foreign mappings; false on a mapping error. */
bool minidm_guest_rw(MiniDm *dm, uint64_t gpa, void *buf, size_t len,
                     bool write);

#endif
