/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GuestMem: the checks every DMA goes through, whatever backs guest RAM,
 * and the flat PC-layout implementation used by qtest and unit tests.
 */
#include <inttypes.h>

#include "emunet/gmem.h"
#include "emunet/log.h"

#define GMEM_FLAT_HIGHMEM_BASE 0x100000000ULL

/* Flat RAM split around the PCI hole, as gmem_flat_new describes. */
typedef struct GuestMemFlat {
    GuestMem gm;
    uint8_t *ram;
    /* Bytes of ram at guest-physical 0. */
    uint64_t low_size;
    /* Bytes of ram (after the low part) at GMEM_FLAT_HIGHMEM_BASE. */
    uint64_t high_size;
} GuestMemFlat;

/* The generic checks of gmem.h, before any byte is copied. */
static bool gmem_check_range(GuestMem *gm, hwaddr gpa, size_t len,
                             const char *dir)
{
    if (len - 1 > UINT64_MAX - gpa) {
        log_trace(LOG_CORE, "dma %s at 0x%" PRIx64 " len %zu wraps", dir, gpa,
                  len);
        return false;
    }
    if (gm->guard && iobus_overlaps(gm->guard, IO_SPACE_MMIO, gpa, len)) {
        log_trace(LOG_CORE, "dma %s at 0x%" PRIx64 " len %zu hits mmio", dir,
                  gpa, len);
        return false;
    }
    return true;
}

bool gmem_read(GuestMem *gm, hwaddr gpa, void *buf, size_t len)
{
    if (len == 0) {
        return true;
    }
    if (gmem_check_range(gm, gpa, len, "read") &&
        gm->ops->read(gm, gpa, buf, len)) {
        return true;
    }
    /* Never hand the device stale or partial data from a failed read. */
    memset(buf, 0, len);
    return false;
}

bool gmem_write(GuestMem *gm, hwaddr gpa, const void *buf, size_t len)
{
    if (len == 0) {
        return true;
    }
    return gmem_check_range(gm, gpa, len, "write") &&
           gm->ops->write(gm, gpa, buf, len);
}

bool gmem_write_publish(GuestMem *gm, hwaddr gpa, const void *buf, size_t len,
                        size_t status)
{
    const uint8_t *b = buf;
    uint8_t *p;

    g_assert(status < len);
    if (!gmem_check_range(gm, gpa, len, "write")) {
        return false;
    }
    /*
     * One translation instead of three writes (per received frame), and
     * plain stores: write-backs are a few bytes, less than a memcpy call.
     */
    p = gm->ops->map ? gm->ops->map(gm, gpa, len) : NULL;
    if (p) {
        for (size_t i = 0; i < len; i++) {
            if (i != status) {
                p[i] = b[i];
            }
        }
        gmem_release();
        __atomic_store_n(p + status, b[status], __ATOMIC_RELAXED);
        return true;
    }
    if ((status > 0 && !gm->ops->write(gm, gpa, b, status)) ||
        (status + 1 < len && !gm->ops->write(gm, gpa + status + 1,
                                             b + status + 1,
                                             len - status - 1))) {
        return false;
    }
    gmem_release();
    return gm->ops->write(gm, gpa + status, b + status, 1);
}

void gmem_free(GuestMem *gm)
{
    if (gm && gm->ops->free) {
        gm->ops->free(gm);
    }
}

/*
 * Host pointer for [gpa, gpa + len) if the whole range lies in one RAM
 * part, else NULL. The caller has excluded len == 0 and wrapping.
 */
static uint8_t *gmem_flat_translate(GuestMemFlat *flat, hwaddr gpa, size_t len)
{
    if (gpa < flat->low_size) {
        if (len > flat->low_size - gpa) {
            return NULL;
        }
        return flat->ram + gpa;
    }
    if (gpa >= GMEM_FLAT_HIGHMEM_BASE) {
        uint64_t off = gpa - GMEM_FLAT_HIGHMEM_BASE;

        if (off >= flat->high_size || len > flat->high_size - off) {
            return NULL;
        }
        return flat->ram + flat->low_size + off;
    }
    return NULL;
}

static bool gmem_flat_read(GuestMem *gm, hwaddr gpa, void *buf, size_t len)
{
    uint8_t *p = gmem_flat_translate((GuestMemFlat *)gm, gpa, len);

    if (!p) {
        return false;
    }
    memcpy(buf, p, len);
    return true;
}

static bool gmem_flat_write(GuestMem *gm, hwaddr gpa, const void *buf,
                            size_t len)
{
    uint8_t *p = gmem_flat_translate((GuestMemFlat *)gm, gpa, len);

    if (!p) {
        return false;
    }
    if (len == 1) {
        /*
         * A status byte the guest polls and clears concurrently: one
         * store, never memcpy's overlapping (repeated) ones (gmem.h).
         */
        __atomic_store_n(p, *(const uint8_t *)buf, __ATOMIC_RELAXED);
        return true;
    }
    memcpy(p, buf, len);
    return true;
}

static void *gmem_flat_map(GuestMem *gm, hwaddr gpa, size_t len)
{
    return gmem_flat_translate((GuestMemFlat *)gm, gpa, len);
}

static void gmem_flat_free(GuestMem *gm)
{
    g_free(gm);
}

static const GuestMemOps gmem_flat_ops = {
    .read = gmem_flat_read,
    .write = gmem_flat_write,
    .map = gmem_flat_map,
    .free = gmem_flat_free,
};

GuestMem *gmem_flat_new(void *ram, size_t size, IoBus *guard)
{
    GuestMemFlat *flat = g_new0(GuestMemFlat, 1);

    flat->gm.ops = &gmem_flat_ops;
    flat->gm.guard = guard;
    flat->ram = ram;
    flat->low_size = MIN((uint64_t)size, GMEM_FLAT_LOWMEM_LIMIT);
    flat->high_size = (uint64_t)size - flat->low_size;
    return &flat->gm;
}
