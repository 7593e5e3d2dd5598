/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Emulation of one synchronous ioreq (Xen public hvm/ioreq.h) against the
 * IoBus, the PCI bus and GuestMem. No Xen calls: the ioreq server copies a
 * request out of the shared page, calls ioreq_dispatch on the copy and
 * writes the result back (ioreq.c), so this runs unchanged in unit tests.
 *
 * Every request is hostile input (Xen checks little, and a range may be
 * unmapped while a request for it is in flight, contract §3.1):
 *  - PIO and COPY elements reach a device only when the element lies wholly
 *    inside a range this server currently claims; anything else reads
 *    all-ones and drops writes, as Xen's null handler does;
 *  - PCI_CONFIG reaches only functions this server registered;
 *  - a bad type, size or count is logged (rate-limited) and answered
 *    safely: reads return all-ones, nothing is written.
 */
#ifndef EMUNET_XEN_IOREQ_DISPATCH_H
#define EMUNET_XEN_IOREQ_DISPATCH_H

#include <glib.h>
#include <stdint.h>
#include <xen/hvm/ioreq.h>

#include "emunet/gmem.h"
#include "emunet/iobus.h"
#include "emunet/pci.h"

/*
 * Xen clips repeated accesses to 4096 elements (hvmemul_linear_to_phys),
 * so a larger count is a protocol violation, not work to do.
 */
#define IOREQ_MAX_COUNT 4096

/* The decode ranges this server claimed from Xen, per space. */
typedef struct IoreqRanges {
    GArray *space[IO_SPACE_COUNT]; /* IoreqRange, unordered */
} IoreqRanges;

typedef struct IoreqRange {
    hwaddr base;
    hwaddr len;
} IoreqRange;

void ioreq_ranges_init(IoreqRanges *r);
void ioreq_ranges_destroy(IoreqRanges *r);

/* Record [base, base + len); false if len is 0 or it wraps. */
bool ioreq_ranges_add(IoreqRanges *r, IoSpace space, hwaddr base, hwaddr len);

/* Forget the range with exactly this base and len; false if absent. */
bool ioreq_ranges_remove(IoreqRanges *r, IoSpace space, hwaddr base,
                         hwaddr len);

/* True if [addr, addr + len) lies wholly inside one recorded range. */
bool ioreq_ranges_contains(const IoreqRanges *r, IoSpace space, hwaddr addr,
                           hwaddr len);

/* What the dispatcher works on; all pointers borrowed. */
typedef struct IoreqDispatch {
    /* Device regions (PIO and MMIO). */
    IoBus *iobus;
    /* Config space of the registered functions; may be NULL. */
    PciBus *pci;
    /* Guest RAM side of data_is_ptr requests. */
    GuestMem *mem;
    /* Ranges currently claimed from Xen. */
    const IoreqRanges *ranges;
    /* Bit devfn set: 0000:00:devfn is registered with Xen. */
    const uint32_t *owned_devfns; /* 256 bits */
    /* IOREQ_TYPE_INVALIDATE: drop every cached guest mapping. */
    void (*invalidate)(void *opaque);
    void *opaque;
} IoreqDispatch;

typedef enum IoreqResult {
    /* Emulated completely. */
    IOREQ_RESULT_DONE,
    /* Nothing to do (TIMEOFFSET). */
    IOREQ_RESULT_IGNORED,
    /* Some element hit no claimed range or function: all-ones/dropped. */
    IOREQ_RESULT_UNCLAIMED,
    /* A data_is_ptr element's guest memory failed: the rest was skipped. */
    IOREQ_RESULT_DMA_ERROR,
    /* Protocol violation (type, size, count): answered safely, logged. */
    IOREQ_RESULT_BAD,
} IoreqResult;

/*
 * Emulate `req` and leave the answer in req->data (reads without
 * data_is_ptr: the value masked to size; otherwise data is unchanged,
 * except bad reads which get all-ones). Only data is ever modified.
 */
IoreqResult ioreq_dispatch(const IoreqDispatch *d, ioreq_t *req);

/*
 * The device model's half of the synchronous state machine (contract §3.4)
 * on one vCPU's slot of the shared page. If the slot is READY: read
 * barrier, state INPROCESS, one private copy of the request handed to
 * `handle` (so every check and the emulation see the same values), a
 * read's data written back, write barrier, state IORESP_READY; returns
 * true and the caller notifies the vCPU. In any other state the slot is
 * left alone (a spurious event, or Xen's own transition) and the result is
 * false. Xen moves IORESP_READY back to NONE itself.
 */
bool ioreq_slot_serve(volatile ioreq_t *slot,
                      void (*handle)(void *opaque, ioreq_t *req),
                      void *opaque);

/*
 * ioreq_slot_serve in two halves, for a request whose answer comes later
 * (ioreq.h, ioreq_server_complete): take does the first half (READY:
 * barrier, private copy, INPROCESS; false in any other state), finish
 * the second (a read's data, barrier, IORESP_READY) for that copy.
 */
bool ioreq_slot_take(volatile ioreq_t *slot, ioreq_t *req);
void ioreq_slot_finish(volatile ioreq_t *slot, const ioreq_t *req);

/* Short name of an ioreq type for messages ("pio", "copy", ...). */
const char *ioreq_type_name(unsigned type);

#endif
