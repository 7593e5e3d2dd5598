/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GuestMem for Xen: guest RAM reached through foreign mappings
 * (xenforeignmemory_map), kept in a small map cache (contract §4.2):
 *  - guest-physical memory is split into 1 MiB buckets, each mapped whole
 *    with a per-page error array; a page Xen refuses (ballooned out,
 *    paged, not RAM) is remembered as invalid, and an access touching it
 *    fails (a DMA error for the device, never a crash);
 *  - a bucket with invalid pages is remapped when such a page is needed
 *    again (the guest may have populated it since);
 *  - at most XEN_GMEM_MAX_BUCKETS buckets are mapped; the least recently
 *    used goes first;
 *  - a DMA looks up each bucket it touches once (not at all when it is
 *    the bucket used last), maps every page before copying a byte, then
 *    copies through the addresses it found;
 *  - xen_gmem_invalidate (IOREQ_TYPE_INVALIDATE) unmaps everything, so
 *    the cache never pins memory the guest gave back. No mapping is in
 *    use across calls (GuestMem copies), so nothing has to survive.
 * A single DMA larger than XEN_GMEM_MAX_DMA fails.
 *
 * Log-dirty mode (xen-set-global-dirty-log during live migration,
 * contract §4.4): while it is on, the pages of every successful DMA write
 * are reported with xendevicemodel_modified_memory_bulk, or the migration
 * could miss them. Pages are merged into at most XEN_GMEM_DIRTY_BATCH
 * extents per report; a report goes out when the batch is full, at the
 * start of every main loop iteration (before it polls: the writes of one
 * iteration make one report) and when the mode is turned off.
 */
#ifndef EMUNET_XEN_GMEM_XEN_H
#define EMUNET_XEN_GMEM_XEN_H

#include <xendevicemodel.h>
#include <xenforeignmemory.h>

#include "emunet/gmem.h"

#define XEN_GMEM_BUCKET_SHIFT 20
#define XEN_GMEM_MAX_BUCKETS 64
#define XEN_GMEM_MAX_DMA (16u * 1024 * 1024)
#define XEN_GMEM_DIRTY_BATCH 64

/* Counters for traces and tests. */
typedef struct XenGmemStats {
    uint64_t maps;     /* bucket mappings made */
    uint64_t unmaps;   /* bucket mappings dropped */
    uint64_t failures; /* accesses that failed on an unmappable page */
    unsigned buckets;  /* buckets currently held */
    /* modified_memory_bulk calls (log-dirty mode). */
    uint64_t dirty_reports;
} XenGmemStats;

/* A map cache over domain `domid`'s memory; `fmem` stays the caller's. */
GuestMem *xen_gmem_new(xenforeignmemory_handle *fmem, domid_t domid,
                       IoBus *guard);

/*
 * Turn log-dirty mode on or off; reports go through `dmod` (the
 * caller's, it must outlive the GuestMem) from the default main context.
 */
void xen_gmem_set_dirty_log(GuestMem *gm, xendevicemodel_handle *dmod,
                            bool enable);

/* Drop every cached mapping (IOREQ_TYPE_INVALIDATE). */
void xen_gmem_invalidate(GuestMem *gm);

void xen_gmem_get_stats(GuestMem *gm, XenGmemStats *stats);

#endif
