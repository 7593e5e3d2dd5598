/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IoBus: the registry of port-I/O and MMIO ranges and the only entry point
 * for dispatching a guest access to a device. The Xen ioreq server, the
 * qtest server and unit tests all call iobus_read/iobus_write.
 *
 * Access-size adaptation happens here, once, for every device:
 *  - an access that is naturally aligned and whose size lies within the
 *    region's [min_access, max_access] reaches the handler unchanged;
 *  - a wider or unaligned access is split into naturally aligned pieces of
 *    at most max_access bytes, combined little-endian;
 *  - a piece narrower than min_access is widened to min_access at the
 *    aligned-down offset: a read extracts the requested bytes; a write
 *    carries the value shifted into place with the other bytes zero (no
 *    read-modify-write, so clear-on-read registers are never read by a
 *    write). This is QEMU's behaviour for .impl.min_access_size.
 *  - bytes that fall on no region read as 0xff and are dropped on write.
 * Handlers therefore only ever see offset % size == 0 and
 * min_access <= size <= max_access, with offset + size <= region length.
 *
 * Mapping changes made from inside a handler (a PCI BAR write that moves a
 * BAR) are safe: dispatch looks a region up again for every piece and holds
 * no pointer into the registry across a handler call.
 */
#ifndef EMUNET_IOBUS_H
#define EMUNET_IOBUS_H

#include <glib.h>

#include "emunet/types.h"

typedef enum IoSpace { IO_SPACE_PIO, IO_SPACE_MMIO, IO_SPACE_COUNT } IoSpace;

typedef struct IoOps {
    /* Region name for traces and error messages. */
    const char *name;
    /*
     * Read `size` bytes at `offset` (relative to the region start) and
     * return them in the low bits. Must not fail; a register that does not
     * exist reads as the device defines (usually 0).
     */
    uint64_t (*read)(void *opaque, hwaddr offset, unsigned size);
    /*
     * Write the low `size` bytes of `value` at `offset`. May call back into
     * the IoBus (map/unmap), the clock, the IRQ line and the net backend,
     * but must never synchronously dispatch another guest access.
     */
    void (*write)(void *opaque, hwaddr offset, uint64_t value, unsigned size);
    /* Smallest access the handler takes: 1, 2, 4 or 8. */
    unsigned min_access;
    /* Largest access the handler takes: 1, 2, 4 or 8, >= min_access. */
    unsigned max_access;
} IoOps;

typedef struct IoBus IoBus;

/* A new, empty bus. Never fails. */
IoBus *iobus_new(void);

/* Free the bus and its registry (not the devices). */
void iobus_free(IoBus *bus);

/*
 * Map [base, base + len) in `space` to ops/opaque. len > 0, base + len must
 * not wrap. Fails (false, errp set) if the range overlaps a mapped range.
 * The same ops/opaque pair may be mapped at several places.
 */
bool iobus_map(IoBus *bus, IoSpace space, hwaddr base, hwaddr len,
               const IoOps *ops, void *opaque, GError **errp);

/*
 * Remove the mapping of ops/opaque that starts at base. Returns false if
 * there is no such mapping.
 */
bool iobus_unmap(IoBus *bus, IoSpace space, hwaddr base, const IoOps *ops,
                 void *opaque);

/* True if any byte of [addr, addr + len) is mapped in `space`. */
bool iobus_overlaps(IoBus *bus, IoSpace space, hwaddr addr, hwaddr len);

/*
 * Dispatch a guest read of 1, 2, 4 or 8 bytes at addr; any other size
 * reads as all-ones without calling a handler. Unassigned bytes read 0xff.
 */
uint64_t iobus_read(IoBus *bus, IoSpace space, hwaddr addr, unsigned size);

/* Dispatch a guest write; sizes other than 1/2/4/8 are dropped. */
void iobus_write(IoBus *bus, IoSpace space, hwaddr addr, uint64_t value,
                 unsigned size);

/*
 * Deferred completion, for a device that must ask someone else before it
 * can answer (the companion's platform ports, hw/xen/xen-relay.h).
 *
 * A transport that can leave one guest access pending (Xen: the vCPU
 * stays blocked on its ioreq) arms the bus with iobus_defer_arm() right
 * before it dispatches that access with iobus_read/iobus_write, and calls
 * iobus_defer_disarm() right after, which says whether the access was
 * deferred. The arming covers only the next access dispatched.
 *
 * A handler reached by an armed access with the access's exact address
 * and size (neither split nor widened by the size adaptation) may call
 * iobus_defer() during that call: it gets a token, the handler's return
 * value is ignored, and it must complete the access later, exactly once,
 * with iobus_complete() (the value read; ignored for a write), from the
 * main loop and never from inside the handler call that deferred it.
 * That calls the transport's `done`, which finishes the guest's access.
 * In every other case iobus_defer() returns NULL and the handler answers
 * at once as usual: without arming (qtest, unit tests, Xen rep and
 * pointer requests) nothing ever waits.
 *
 * Whoever holds a token completes it before the transport goes away
 * (devices are freed before the transport).
 */
typedef struct IoDeferred IoDeferred;

/* Finish a deferred access with `value` (a read's result, in its size). */
typedef void IoDoneFn(void *opaque, uint64_t value);

void iobus_defer_arm(IoBus *bus, IoDoneFn *done, void *opaque);
bool iobus_defer_disarm(IoBus *bus);

/* Inside a handler: take over the access being dispatched, or NULL. */
IoDeferred *iobus_defer(IoBus *bus);

/* Complete a deferred access (frees the token). */
void iobus_complete(IoDeferred *d, uint64_t value);

#endif
