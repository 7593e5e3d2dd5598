/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GuestMem: device DMA into and out of guest-physical memory, by copy.
 * No pointer into guest memory outlives one call: guest memory can be
 * remapped (Xen INVALIDATE) and descriptors must be copied before they are
 * validated (no double fetch).
 *
 * gmem_read/gmem_write check the whole range before touching a byte:
 *  - a range that wraps the address space fails;
 *  - a range that touches any MMIO region registered on the guard IoBus
 *    (a device's own BAR, another device's BAR) fails: emunet never DMAs
 *    into device registers, so DMA cannot re-enter a device (invariant 9);
 *  - a range that is not wholly backed by RAM fails.
 * A failure copies nothing (write) or leaves buf zeroed (read), returns
 * false, and the device treats it as a DMA error.
 */
#ifndef EMUNET_GMEM_H
#define EMUNET_GMEM_H

#include <glib.h>

#include "emunet/iobus.h"
#include "emunet/types.h"

typedef struct GuestMem GuestMem;

typedef struct GuestMemOps {
    /*
     * Copy len bytes at gpa into buf. Called only after the generic checks
     * (no wrap, no MMIO overlap). Returns false if any byte is not backed;
     * then buf content is unspecified (the caller zeroes it).
     */
    bool (*read)(GuestMem *gm, hwaddr gpa, void *buf, size_t len);
    /*
     * Copy buf to gpa; false (and nothing written) if not wholly backed.
     * The guest may be running: bytes of a longer write may be stored in
     * any order and more than once (memcpy does), but a 1-byte write must
     * be exactly one store of that byte, never split or repeated, so that
     * a status byte the guest polls and clears cannot reappear.
     */
    bool (*write)(GuestMem *gm, hwaddr gpa, const void *buf, size_t len);
    /*
     * Optional fast path: the host address of [gpa, gpa + len) when the
     * whole range is RAM in one contiguous host mapping, else NULL (the
     * caller then uses read/write, which decide whether the range is
     * backed). Called only after the generic checks, with len > 0, and
     * only by core/gmem.c, which stores through it (an implementation
     * that tracks written pages counts the whole range as written) and
     * drops it before returning: no pointer escapes GuestMem.
     */
    void *(*map)(GuestMem *gm, hwaddr gpa, size_t len);
    /* Release the implementation; NULL if nothing to free. */
    void (*free)(GuestMem *gm);
} GuestMemOps;

struct GuestMem {
    const GuestMemOps *ops;
    /* MMIO ranges on this bus are never DMA targets. May be NULL. */
    IoBus *guard;
};

/* Checked DMA read; see the file comment. len 0 succeeds. */
bool gmem_read(GuestMem *gm, hwaddr gpa, void *buf, size_t len);

/*
 * Checked DMA write; see the file comment. len 0 succeeds.
 * Publishing a descriptor to a guest that polls it (DD): write every
 * other field first, then gmem_release(), then the status byte alone as
 * a 1-byte write, which is one store (GuestMemOps.write) and the only
 * store to that byte. gmem_write_publish does all of that.
 */
bool gmem_write(GuestMem *gm, hwaddr gpa, const void *buf, size_t len);

/*
 * Write a descriptor write-back of `len` bytes whose byte `status` (<
 * len) the guest polls: checked as one gmem_write, then every byte but
 * buf[status] is stored, then gmem_release(), then buf[status] as one
 * 1-byte store, the only store to it. On failure (false) the status byte
 * is not stored; other bytes may be, if the range is only partly backed.
 */
bool gmem_write_publish(GuestMem *gm, hwaddr gpa, const void *buf, size_t len,
                        size_t status);

/*
 * Release barrier between DMA accesses: the guest sees every earlier
 * DMA write (and no earlier DMA read can see a later guest store) before
 * any later DMA write.
 */
static inline void gmem_release(void)
{
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

/* Free via ops->free. NULL is a no-op. */
void gmem_free(GuestMem *gm);

/*
 * Flat RAM as a PC sees it: the first min(size, 0xe0000000) bytes of
 * `ram` at guest-physical 0, the rest at 4 GiB (the gap is the PCI hole).
 * `ram` stays owned by the caller and must outlive the GuestMem.
 */
GuestMem *gmem_flat_new(void *ram, size_t size, IoBus *guard);

/* Below-4G RAM limit of gmem_flat_new: the PCI hole starts here. */
#define GMEM_FLAT_LOWMEM_LIMIT 0xe0000000ULL

#endif
