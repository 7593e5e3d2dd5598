/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Foreign-memory map cache; see gmem-xen.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <sys/mman.h>

#include "emunet/log.h"
#include "xen/gmem-xen.h"

#define XEN_GMEM_PAGE_SHIFT 12
#define XEN_GMEM_BUCKET_SIZE (1ULL << XEN_GMEM_BUCKET_SHIFT)
#define XEN_GMEM_BUCKET_PAGES                                                 \
    (1u << (XEN_GMEM_BUCKET_SHIFT - XEN_GMEM_PAGE_SHIFT))
/*
 * No x86 guest has RAM at or above 2^52 (the architectural MAXPHYADDR
 * limit): such addresses fail without asking Xen.
 */
#define XEN_GMEM_GPA_LIMIT (1ULL << 52)
/*
 * Buckets one DMA of at most XEN_GMEM_MAX_DMA bytes can touch. All of
 * them are mapped before the copy; each just used is the most recently
 * used, so while they number no more than the cache holds, mapping the
 * next never evicts an earlier one.
 */
#define XEN_GMEM_MAX_PIECES (XEN_GMEM_MAX_DMA / XEN_GMEM_BUCKET_SIZE + 1)
G_STATIC_ASSERT(XEN_GMEM_MAX_PIECES <= XEN_GMEM_MAX_BUCKETS);

typedef struct XenMapBucket {
    /* gpa >> XEN_GMEM_BUCKET_SHIFT; the hash key points here. */
    uint64_t index;
    /* The bucket's mapping, or NULL if Xen refused it whole. */
    uint8_t *vaddr;
    /* Bit i: page i is mapped (its err[] entry was 0). */
    uint64_t valid[XEN_GMEM_BUCKET_PAGES / 64];
    uint64_t last_use;
} XenMapBucket;

typedef struct XenGmem XenGmem;

/* Reports the dirty batch at the start of each loop iteration. */
typedef struct XenDirtySource {
    GSource src;
    XenGmem *x;
} XenDirtySource;

struct XenGmem {
    GuestMem gm; /* first: xen_gmem_of() */
    xenforeignmemory_handle *fmem;
    domid_t domid;
    GHashTable *buckets; /* &index -> XenMapBucket */
    /* The bucket used last (or NULL): most DMA stays in one bucket. */
    XenMapBucket *last;
    uint64_t tick;
    XenGmemStats stats;
    /* Log-dirty mode: pages written, not yet reported. */
    xendevicemodel_handle *dmod;
    GSource *dirty_src; /* non-NULL while the mode is on */
    struct xen_dm_op_modified_memory_extent dirty[XEN_GMEM_DIRTY_BATCH];
    unsigned n_dirty;
};

static XenGmem *xen_gmem_of(GuestMem *gm)
{
    return (XenGmem *)gm;
}

static void xen_gmem_unmap_bucket(XenGmem *x, XenMapBucket *b)
{
    if (b->vaddr) {
        if (xenforeignmemory_unmap(x->fmem, b->vaddr,
                                   XEN_GMEM_BUCKET_PAGES) < 0) {
            log_error("xen: cannot unmap guest memory at 0x%" PRIx64 ": %s",
                      b->index << XEN_GMEM_BUCKET_SHIFT, g_strerror(errno));
        }
        b->vaddr = NULL;
        x->stats.unmaps++;
    }
    memset(b->valid, 0, sizeof(b->valid));
}

static void xen_gmem_bucket_free(gpointer data)
{
    g_free(data);
}

/* Map the whole bucket, recording which pages Xen gave us. */
static void xen_gmem_map_bucket(XenGmem *x, XenMapBucket *b)
{
    xen_pfn_t pfns[XEN_GMEM_BUCKET_PAGES];
    int err[XEN_GMEM_BUCKET_PAGES];
    uint64_t first = b->index << (XEN_GMEM_BUCKET_SHIFT - XEN_GMEM_PAGE_SHIFT);
    unsigned bad = 0;

    xen_gmem_unmap_bucket(x, b);
    for (unsigned i = 0; i < XEN_GMEM_BUCKET_PAGES; i++) {
        pfns[i] = first + i;
        err[i] = 0;
    }
    b->vaddr = xenforeignmemory_map(x->fmem, x->domid, PROT_READ | PROT_WRITE,
                                    XEN_GMEM_BUCKET_PAGES, pfns, err);
    if (!b->vaddr) {
        log_trace(LOG_XEN, "map of guest memory at 0x%" PRIx64 " failed: %s",
                  b->index << XEN_GMEM_BUCKET_SHIFT, g_strerror(errno));
        return;
    }
    x->stats.maps++;
    for (unsigned i = 0; i < XEN_GMEM_BUCKET_PAGES; i++) {
        if (err[i] == 0) {
            b->valid[i / 64] |= 1ULL << (i % 64);
        } else {
            bad++;
        }
    }
    if (bad) {
        log_trace(LOG_XEN, "guest memory at 0x%" PRIx64 ": %u of %u pages "
                  "unmappable",
                  b->index << XEN_GMEM_BUCKET_SHIFT, bad,
                  XEN_GMEM_BUCKET_PAGES);
    }
}

static bool xen_gmem_pages_valid(const XenMapBucket *b, unsigned first,
                                 unsigned last)
{
    if (!b->vaddr) {
        return false;
    }
    for (unsigned i = first; i <= last; i++) {
        if (!(b->valid[i / 64] & (1ULL << (i % 64)))) {
            return false;
        }
    }
    return true;
}

/* Make room for one more bucket: drop the least recently used. */
static void xen_gmem_evict(XenGmem *x)
{
    GHashTableIter it;
    gpointer key, value;
    XenMapBucket *victim = NULL;

    g_hash_table_iter_init(&it, x->buckets);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        XenMapBucket *b = value;

        if (!victim || b->last_use < victim->last_use) {
            victim = b;
        }
    }
    if (victim) {
        if (x->last == victim) {
            x->last = NULL;
        }
        xen_gmem_unmap_bucket(x, victim);
        g_hash_table_remove(x->buckets, &victim->index);
    }
}

/*
 * Host address of [gpa, gpa + len), which lies within one bucket, or
 * NULL if any page of it cannot be mapped. One hash lookup at most; none
 * when the last bucket used holds it.
 */
static uint8_t *xen_gmem_translate(XenGmem *x, hwaddr gpa, size_t len)
{
    uint64_t index = gpa >> XEN_GMEM_BUCKET_SHIFT;
    hwaddr off = gpa & (XEN_GMEM_BUCKET_SIZE - 1);
    unsigned first = (unsigned)(off >> XEN_GMEM_PAGE_SHIFT);
    unsigned last = (unsigned)((off + len - 1) >> XEN_GMEM_PAGE_SHIFT);
    XenMapBucket *b = x->last;

    if (!b || b->index != index) {
        b = g_hash_table_lookup(x->buckets, &index);
    }
    if (!b) {
        if (g_hash_table_size(x->buckets) >= XEN_GMEM_MAX_BUCKETS) {
            xen_gmem_evict(x);
        }
        b = g_new0(XenMapBucket, 1);
        b->index = index;
        g_hash_table_insert(x->buckets, &b->index, b);
    }
    b->last_use = ++x->tick;
    x->last = b;
    if (!xen_gmem_pages_valid(b, first, last)) {
        /* New, or missing pages the guest may have populated since. */
        xen_gmem_map_bucket(x, b);
        if (!xen_gmem_pages_valid(b, first, last)) {
            return NULL;
        }
    }
    return b->vaddr + off;
}

/* Length of the piece of [gpa, gpa + len) inside gpa's bucket. */
static size_t xen_gmem_piece(hwaddr gpa, size_t len)
{
    hwaddr room = XEN_GMEM_BUCKET_SIZE - (gpa & (XEN_GMEM_BUCKET_SIZE - 1));

    return room < len ? (size_t)room : len;
}

/*
 * Map every page of [gpa, gpa + len) before any copy, so that a DMA
 * happens whole or not at all: host[i] is the address of the range's
 * i-th bucket piece (xen_gmem_piece). False if a page cannot be mapped.
 */
static bool xen_gmem_map_range(XenGmem *x, hwaddr gpa, size_t len,
                               uint8_t *host[XEN_GMEM_MAX_PIECES])
{
    unsigned i = 0;

    if (len > XEN_GMEM_MAX_DMA || gpa >= XEN_GMEM_GPA_LIMIT ||
        len > XEN_GMEM_GPA_LIMIT - gpa) {
        x->stats.failures++;
        return false;
    }
    while (len > 0) {
        size_t n = xen_gmem_piece(gpa, len);

        host[i] = xen_gmem_translate(x, gpa, n);
        if (!host[i]) {
            x->stats.failures++;
            log_trace(LOG_XEN, "dma to unmappable guest page at 0x%" PRIx64,
                      gpa);
            return false;
        }
        i++;
        gpa += n;
        len -= n;
    }
    return true;
}

static bool xen_gmem_read(GuestMem *gm, hwaddr gpa, void *buf, size_t len)
{
    XenGmem *x = xen_gmem_of(gm);
    uint8_t *host[XEN_GMEM_MAX_PIECES];
    uint8_t *out = buf;

    if (!xen_gmem_map_range(x, gpa, len, host)) {
        return false;
    }
    for (unsigned i = 0; len > 0; i++) {
        size_t n = xen_gmem_piece(gpa, len);

        memcpy(out, host[i], n);
        out += n;
        gpa += n;
        len -= n;
    }
    return true;
}

/* ---- log-dirty mode ---- */

static void xen_gmem_dirty_flush(XenGmem *x)
{
    if (x->n_dirty == 0) {
        return;
    }
    if (xendevicemodel_modified_memory_bulk(x->dmod, x->domid, x->dirty,
                                            x->n_dirty) < 0) {
        log_error("xen: cannot report %u modified guest memory extents: %s",
                  x->n_dirty, g_strerror(errno));
    }
    x->stats.dirty_reports++;
    x->n_dirty = 0;
}

/* Pages of [gpa, gpa + len) (len > 0, checked) were written. */
static void xen_gmem_mark_dirty(XenGmem *x, hwaddr gpa, size_t len)
{
    uint64_t first = gpa >> XEN_GMEM_PAGE_SHIFT;
    uint64_t last = (gpa + len - 1) >> XEN_GMEM_PAGE_SHIFT;
    struct xen_dm_op_modified_memory_extent *e;

    for (unsigned i = 0; i < x->n_dirty; i++) {
        uint64_t ef, el;

        e = &x->dirty[i];
        ef = e->first_pfn;
        el = ef + e->nr - 1;
        /* Overlapping or adjacent: one extent (ring pages recur). */
        if (first <= el + 1 && last + 1 >= ef) {
            ef = MIN(ef, first);
            el = MAX(el, last);
            e->first_pfn = ef;
            e->nr = (uint32_t)(el - ef + 1);
            return;
        }
    }
    if (x->n_dirty == XEN_GMEM_DIRTY_BATCH) {
        xen_gmem_dirty_flush(x);
    }
    e = &x->dirty[x->n_dirty++];
    memset(e, 0, sizeof(*e));
    e->first_pfn = first;
    e->nr = (uint32_t)(last - first + 1);
}

static gboolean xen_gmem_dirty_prepare(GSource *src, gint *timeout)
{
    xen_gmem_dirty_flush(((XenDirtySource *)src)->x);
    *timeout = -1;
    return FALSE;
}

static gboolean xen_gmem_dirty_check(GSource *src)
{
    return FALSE;
}

static gboolean xen_gmem_dirty_dispatch(GSource *src, GSourceFunc cb,
                                        gpointer data)
{
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs xen_gmem_dirty_funcs = {
    .prepare = xen_gmem_dirty_prepare,
    .check = xen_gmem_dirty_check,
    .dispatch = xen_gmem_dirty_dispatch,
};

void xen_gmem_set_dirty_log(GuestMem *gm, xendevicemodel_handle *dmod,
                            bool enable)
{
    XenGmem *x = xen_gmem_of(gm);

    if (enable && !x->dirty_src) {
        x->dmod = dmod;
        x->dirty_src =
            g_source_new(&xen_gmem_dirty_funcs, sizeof(XenDirtySource));
        ((XenDirtySource *)x->dirty_src)->x = x;
        g_source_attach(x->dirty_src, NULL);
    } else if (!enable && x->dirty_src) {
        xen_gmem_dirty_flush(x);
        g_source_destroy(x->dirty_src);
        g_source_unref(x->dirty_src);
        x->dirty_src = NULL;
    }
}

static bool xen_gmem_write(GuestMem *gm, hwaddr gpa, const void *buf,
                           size_t len)
{
    XenGmem *x = xen_gmem_of(gm);
    uint8_t *host[XEN_GMEM_MAX_PIECES];
    const uint8_t *in = buf;

    if (!xen_gmem_map_range(x, gpa, len, host)) {
        return false;
    }
    for (unsigned i = 0; len > 0; i++) {
        size_t n = xen_gmem_piece(gpa, len);

        if (n == 1) {
            /* A status byte the guest polls: exactly one store (gmem.h). */
            __atomic_store_n(host[i], *in, __ATOMIC_RELAXED);
        } else {
            memcpy(host[i], in, n);
        }
        if (x->dirty_src) {
            xen_gmem_mark_dirty(x, gpa, n);
        }
        in += n;
        gpa += n;
        len -= n;
    }
    return true;
}

void xen_gmem_invalidate(GuestMem *gm)
{
    XenGmem *x = xen_gmem_of(gm);
    GHashTableIter it;
    gpointer key, value;

    x->last = NULL;
    g_hash_table_iter_init(&it, x->buckets);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        xen_gmem_unmap_bucket(x, value);
        g_hash_table_iter_remove(&it);
    }
    log_trace(LOG_XEN, "map cache invalidated");
}

void xen_gmem_get_stats(GuestMem *gm, XenGmemStats *stats)
{
    XenGmem *x = xen_gmem_of(gm);

    *stats = x->stats;
    stats->buckets = g_hash_table_size(x->buckets);
}

static void xen_gmem_free(GuestMem *gm)
{
    XenGmem *x = xen_gmem_of(gm);

    xen_gmem_set_dirty_log(gm, x->dmod, false);
    xen_gmem_invalidate(gm);
    g_hash_table_destroy(x->buckets);
    g_free(x);
}

static const GuestMemOps xen_gmem_ops = {
    .read = xen_gmem_read,
    .write = xen_gmem_write,
    .free = xen_gmem_free,
};

GuestMem *xen_gmem_new(xenforeignmemory_handle *fmem, domid_t domid,
                       IoBus *guard)
{
    XenGmem *x = g_new0(XenGmem, 1);

    x->gm.ops = &xen_gmem_ops;
    x->gm.guard = guard;
    x->fmem = fmem;
    x->domid = domid;
    x->buckets = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
                                       xen_gmem_bucket_free);
    return &x->gm;
}
