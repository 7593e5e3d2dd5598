/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One ioreq against the IoBus / PCI bus / GuestMem; see ioreq-dispatch.h.
 * Element layout of repeated and pointer requests follows the Xen public
 * header and contract §3.5: element i is at base + i * size, or
 * base - i * size when df (the guest's EFLAGS.DF) is set. Port and config
 * addresses do not step; MMIO addresses and guest buffers do.
 */
#include <inttypes.h>

#include "emunet/log.h"
#include "xen/ioreq-dispatch.h"

/* PCI_CONFIG addr: SEGMENT 63..48, BUS 47..40, DEV 39..35, FN 34..32. */
#define IOREQ_CFG_SBDF_SHIFT 32

/* ---- claimed ranges ---- */

void ioreq_ranges_init(IoreqRanges *r)
{
    for (unsigned s = 0; s < IO_SPACE_COUNT; s++) {
        r->space[s] = g_array_new(FALSE, FALSE, sizeof(IoreqRange));
    }
}

void ioreq_ranges_destroy(IoreqRanges *r)
{
    for (unsigned s = 0; s < IO_SPACE_COUNT; s++) {
        if (r->space[s]) {
            g_array_free(r->space[s], TRUE);
            r->space[s] = NULL;
        }
    }
}

bool ioreq_ranges_add(IoreqRanges *r, IoSpace space, hwaddr base, hwaddr len)
{
    IoreqRange range = {base, len};

    if (len == 0 || len - 1 > UINT64_MAX - base) {
        return false;
    }
    g_array_append_val(r->space[space], range);
    return true;
}

bool ioreq_ranges_remove(IoreqRanges *r, IoSpace space, hwaddr base,
                         hwaddr len)
{
    GArray *a = r->space[space];

    for (guint i = 0; i < a->len; i++) {
        IoreqRange *range = &g_array_index(a, IoreqRange, i);

        if (range->base == base && range->len == len) {
            g_array_remove_index_fast(a, i);
            return true;
        }
    }
    return false;
}

bool ioreq_ranges_contains(const IoreqRanges *r, IoSpace space, hwaddr addr,
                           hwaddr len)
{
    GArray *a = r->space[space];

    if (len == 0 || len - 1 > UINT64_MAX - addr) {
        return false;
    }
    for (guint i = 0; i < a->len; i++) {
        const IoreqRange *range = &g_array_index(a, IoreqRange, i);

        if (addr >= range->base && addr - range->base < range->len &&
            len <= range->len - (addr - range->base)) {
            return true;
        }
    }
    return false;
}

/* ---- helpers ---- */

const char *ioreq_type_name(unsigned type)
{
    switch (type) {
    case IOREQ_TYPE_PIO:
        return "pio";
    case IOREQ_TYPE_COPY:
        return "copy";
    case IOREQ_TYPE_PCI_CONFIG:
        return "pci-config";
    case IOREQ_TYPE_TIMEOFFSET:
        return "timeoffset";
    case IOREQ_TYPE_INVALIDATE:
        return "invalidate";
    default:
        return "unknown";
    }
}

static uint64_t ioreq_size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ULL << (8 * size)) - 1;
}

static bool ioreq_size_ok(unsigned type, uint32_t size)
{
    /* Ports and config space are at most 32 bits wide; MMIO is 64. */
    return size == 1 || size == 2 || size == 4 ||
           (size == 8 && type == IOREQ_TYPE_COPY);
}

/* Element i of a run starting at base, stepping by size (down if df). */
static uint64_t ioreq_elem(uint64_t base, uint32_t i, uint32_t size, bool df)
{
    uint64_t off = (uint64_t)i * size;

    return df ? base - off : base + off;
}

static bool ioreq_owns_devfn(const IoreqDispatch *d, unsigned devfn)
{
    return d->owned_devfns &&
           (d->owned_devfns[devfn / 32] & (1u << (devfn % 32))) != 0;
}

/*
 * Decode a PCI_CONFIG address. False if it names no function of ours (the
 * access is unclaimed); otherwise *reg is the register, and *in_range says
 * whether it lies in conventional config space (extended registers, AMD
 * CF8 bits 27:24, are absent and read all-ones, PCI 3.0 6.1).
 */
static bool ioreq_config_target(const IoreqDispatch *d, uint64_t addr,
                                unsigned size, unsigned *devfn,
                                unsigned *reg, bool *in_range)
{
    uint32_t sbdf = (uint32_t)(addr >> IOREQ_CFG_SBDF_SHIFT);
    uint32_t offset = (uint32_t)addr;

    /* Segment 0, bus 0 only: XEN_DMOP_PCI_SBDF(0, 0, dev, fn). */
    if ((sbdf >> 8) != 0 || !d->pci || !ioreq_owns_devfn(d, sbdf & 0xff)) {
        return false;
    }
    *devfn = sbdf & 0xff;
    *reg = offset;
    *in_range = (uint64_t)offset + size <= PCI_CONFIG_SIZE;
    return true;
}

/* Read one element from the device side; *claimed false if nobody owns it. */
static uint64_t ioreq_target_read(const IoreqDispatch *d, unsigned type,
                                  uint64_t addr, unsigned size, bool *claimed)
{
    unsigned devfn, reg;
    bool in_range;

    switch (type) {
    case IOREQ_TYPE_PIO:
        if (ioreq_ranges_contains(d->ranges, IO_SPACE_PIO, addr, size)) {
            return iobus_read(d->iobus, IO_SPACE_PIO, addr, size);
        }
        break;
    case IOREQ_TYPE_COPY:
        if (ioreq_ranges_contains(d->ranges, IO_SPACE_MMIO, addr, size)) {
            return iobus_read(d->iobus, IO_SPACE_MMIO, addr, size);
        }
        break;
    case IOREQ_TYPE_PCI_CONFIG:
        if (ioreq_config_target(d, addr, size, &devfn, &reg, &in_range)) {
            return in_range ? pci_bus_config_read(d->pci, devfn, reg, size)
                            : ioreq_size_mask(size);
        }
        break;
    }
    *claimed = false;
    return ioreq_size_mask(size);
}

static void ioreq_target_write(const IoreqDispatch *d, unsigned type,
                               uint64_t addr, unsigned size, uint64_t value,
                               bool *claimed)
{
    unsigned devfn, reg;
    bool in_range;

    switch (type) {
    case IOREQ_TYPE_PIO:
        if (ioreq_ranges_contains(d->ranges, IO_SPACE_PIO, addr, size)) {
            iobus_write(d->iobus, IO_SPACE_PIO, addr, value, size);
            return;
        }
        break;
    case IOREQ_TYPE_COPY:
        if (ioreq_ranges_contains(d->ranges, IO_SPACE_MMIO, addr, size)) {
            iobus_write(d->iobus, IO_SPACE_MMIO, addr, value, size);
            return;
        }
        break;
    case IOREQ_TYPE_PCI_CONFIG:
        if (ioreq_config_target(d, addr, size, &devfn, &reg, &in_range)) {
            if (in_range) {
                pci_bus_config_write(d->pci, devfn, reg, (uint32_t)value,
                                     size);
            }
            return;
        }
        break;
    }
    *claimed = false;
}

static void ioreq_st_le(uint8_t *p, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t ioreq_ld_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static IoreqResult ioreq_bad(ioreq_t *req, const char *why)
{
    log_guest_error(LOG_XEN,
                    "bad ioreq (%s): type %u (%s) addr 0x%" PRIx64
                    " size %u count %u dir %u ptr %u df %u",
                    why, req->type, ioreq_type_name(req->type), req->addr,
                    req->size, req->count, req->dir, req->data_is_ptr,
                    req->df);
    if (req->dir == IOREQ_READ && !req->data_is_ptr) {
        bool sized = req->size == 1 || req->size == 2 || req->size == 4;

        req->data = sized ? ioreq_size_mask(req->size) : UINT64_MAX;
    }
    return IOREQ_RESULT_BAD;
}

/* One data_is_ptr element: false if its guest memory failed. */
static bool ioreq_ptr_elem(const IoreqDispatch *d, const ioreq_t *req,
                           unsigned type, uint64_t addr, uint64_t gpa,
                           bool *claimed)
{
    unsigned size = req->size;
    uint8_t buf[8];

    if (req->dir == IOREQ_READ) {
        ioreq_st_le(buf, ioreq_target_read(d, type, addr, size, claimed),
                    size);
        return gmem_write(d->mem, gpa, buf, size);
    }
    if (!gmem_read(d->mem, gpa, buf, size)) {
        return false;
    }
    ioreq_target_write(d, type, addr, size, ioreq_ld_le(buf, size), claimed);
    return true;
}

/* data_is_ptr: copy between the device side and guest RAM element-wise. */
static IoreqResult ioreq_dispatch_ptr(const IoreqDispatch *d, ioreq_t *req,
                                      unsigned type, uint32_t count,
                                      bool *claimed)
{
    bool step = type == IOREQ_TYPE_COPY;

    for (uint32_t i = 0; i < count; i++) {
        uint64_t addr = step ? ioreq_elem(req->addr, i, req->size, req->df)
                             : req->addr;
        uint64_t gpa = ioreq_elem(req->data, i, req->size, req->df);

        if (!ioreq_ptr_elem(d, req, type, addr, gpa, claimed)) {
            /* A DMA error for this access: stop, as a bus abort would. */
            log_guest_error(LOG_XEN,
                            "%s %s: guest buffer 0x%" PRIx64
                            " (element %u of %u) is not mapped",
                            ioreq_type_name(type),
                            req->dir == IOREQ_READ ? "read" : "write", gpa,
                            i, count);
            return IOREQ_RESULT_DMA_ERROR;
        }
    }
    return IOREQ_RESULT_DONE;
}

IoreqResult ioreq_dispatch(const IoreqDispatch *d, ioreq_t *req)
{
    unsigned type = req->type;
    unsigned size = req->size;
    uint32_t count = req->count;
    bool claimed = true;
    IoreqResult res;

    switch (type) {
    case IOREQ_TYPE_INVALIDATE:
        /* Broadcast to every server; completing it unblocks the vCPU. */
        if (d->invalidate) {
            d->invalidate(d->opaque);
        }
        return IOREQ_RESULT_DONE;
    case IOREQ_TYPE_TIMEOFFSET:
        /* Only sent buffered; QEMU ignores it too (contract §3.6). */
        return IOREQ_RESULT_IGNORED;
    case IOREQ_TYPE_PIO:
    case IOREQ_TYPE_COPY:
    case IOREQ_TYPE_PCI_CONFIG:
        break;
    default:
        return ioreq_bad(req, "unknown type");
    }
    if (!ioreq_size_ok(type, size)) {
        return ioreq_bad(req, "size");
    }
    if (count == 0 || count > IOREQ_MAX_COUNT) {
        return ioreq_bad(req, "count");
    }

    if (req->data_is_ptr) {
        res = ioreq_dispatch_ptr(d, req, type, count, &claimed);
    } else {
        /*
         * A port or config access without a buffer is a single access
         * whatever count says (QEMU does the same); MMIO repeats it
         * (rep stos), a read leaving the last value in data.
         */
        if (type != IOREQ_TYPE_COPY) {
            count = 1;
        }
        if (req->dir == IOREQ_READ) {
            uint64_t v = 0;

            for (uint32_t i = 0; i < count; i++) {
                v = ioreq_target_read(d, type,
                                      ioreq_elem(req->addr, i, size, req->df),
                                      size, &claimed);
            }
            req->data = v & ioreq_size_mask(size);
        } else {
            /* Bits above size are not the guest's data (QEMU masks too). */
            uint64_t v = req->data & ioreq_size_mask(size);

            for (uint32_t i = 0; i < count; i++) {
                ioreq_target_write(d, type,
                                   ioreq_elem(req->addr, i, size, req->df),
                                   size, v, &claimed);
            }
        }
        res = IOREQ_RESULT_DONE;
    }
    if (res == IOREQ_RESULT_DONE && !claimed) {
        log_trace(LOG_XEN,
                  "%s %s at 0x%" PRIx64 " size %u: not claimed (unmapped "
                  "while in flight?)",
                  ioreq_type_name(type),
                  req->dir == IOREQ_READ ? "read" : "write", req->addr,
                  size);
        res = IOREQ_RESULT_UNCLAIMED;
    }
    return res;
}

bool ioreq_slot_take(volatile ioreq_t *slot, ioreq_t *req)
{
    if (slot->state != STATE_IOREQ_READY) {
        return false;
    }
    /* Read the request only after seeing READY (Xen wrote it first). */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    *req = *slot;
    slot->state = STATE_IOREQ_INPROCESS;
    return true;
}

void ioreq_slot_finish(volatile ioreq_t *slot, const ioreq_t *req)
{
    if (req->dir == IOREQ_READ) {
        slot->data = req->data;
    }
    /* The answer must be visible before the state that publishes it. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    slot->state = STATE_IORESP_READY;
}

bool ioreq_slot_serve(volatile ioreq_t *slot,
                      void (*handle)(void *opaque, ioreq_t *req),
                      void *opaque)
{
    ioreq_t req;

    if (!ioreq_slot_take(slot, &req)) {
        return false;
    }
    handle(opaque, &req);
    ioreq_slot_finish(slot, &req);
    return true;
}
