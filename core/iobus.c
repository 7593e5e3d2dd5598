/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IoBus: per-space sorted arrays of non-overlapping regions, binary-searched
 * on every access. The common access (aligned, size the handler takes,
 * inside one region) costs one search and one indirect call; everything
 * else goes through the piecewise path, which implements the size
 * adaptation rules of iobus.h.
 */
#include <inttypes.h>

#include "emunet/iobus.h"
#include "emunet/log.h"

/* One mapping. [base, last] is inclusive so a region may end at 2^64 - 1. */
typedef struct IoRegion {
    hwaddr base;
    hwaddr last;
    const IoOps *ops;
    void *opaque;
} IoRegion;

/* The regions of one space, sorted by base. */
typedef struct IoMap {
    IoRegion *regions;
    size_t count;
    size_t capacity;
} IoMap;

struct IoBus {
    IoMap maps[IO_SPACE_COUNT];
    /* iobus_defer_arm: the completion of the next access, or NULL. */
    IoDoneFn *arm_done;
    void *arm_opaque;
    /* While the handler of the armed access runs: it may defer it. */
    IoDoneFn *open_done;
    void *open_opaque;
    /* It did: told by iobus_defer_disarm. */
    bool deferred;
};

struct IoDeferred {
    IoDoneFn *done;
    void *opaque;
};

static const char *const iobus_space_names[IO_SPACE_COUNT] = {
    [IO_SPACE_PIO] = "pio",
    [IO_SPACE_MMIO] = "mmio",
};

static GQuark iobus_error_quark(void)
{
    return g_quark_from_static_string("emunet-iobus");
}

static bool iobus_size_valid(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

static uint64_t iobus_size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (size * 8)) - 1;
}

/* Index of the last region with base <= addr, or -1 if there is none. */
static ptrdiff_t iobus_search(const IoMap *map, hwaddr addr)
{
    size_t lo = 0;
    size_t hi = map->count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (map->regions[mid].base <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return (ptrdiff_t)lo - 1;
}

static const IoRegion *iobus_lookup(const IoMap *map, hwaddr addr)
{
    ptrdiff_t i = iobus_search(map, addr);

    if (i >= 0 && map->regions[i].last >= addr) {
        return &map->regions[i];
    }
    return NULL;
}

IoBus *iobus_new(void)
{
    return g_new0(IoBus, 1);
}

void iobus_free(IoBus *bus)
{
    if (!bus) {
        return;
    }
    for (unsigned i = 0; i < IO_SPACE_COUNT; i++) {
        g_free(bus->maps[i].regions);
    }
    g_free(bus);
}

/* True if [first, last] touches a region of `map`. */
static bool iobus_map_overlaps(const IoMap *map, hwaddr first, hwaddr last)
{
    ptrdiff_t i = iobus_search(map, first);

    if (i >= 0 && map->regions[i].last >= first) {
        return true;
    }
    return (size_t)(i + 1) < map->count && map->regions[i + 1].base <= last;
}

bool iobus_map(IoBus *bus, IoSpace space, hwaddr base, hwaddr len,
               const IoOps *ops, void *opaque, GError **errp)
{
    IoMap *map;
    size_t pos;

    g_assert((unsigned)space < IO_SPACE_COUNT);
    g_assert(ops && ops->name && ops->read && ops->write);
    g_assert(iobus_size_valid(ops->min_access) &&
             iobus_size_valid(ops->max_access) &&
             ops->min_access <= ops->max_access);
    map = &bus->maps[space];

    /* base usually comes from a guest-programmed BAR: check, not assert. */
    if (len == 0 || len - 1 > UINT64_MAX - base) {
        g_set_error(errp, iobus_error_quark(), 0,
                    "%s: %s range at 0x%" PRIx64 " of length 0x%" PRIx64
                    " is empty or wraps",
                    ops->name, iobus_space_names[space], base, len);
        return false;
    }
    if (iobus_map_overlaps(map, base, base + len - 1)) {
        g_set_error(errp, iobus_error_quark(), 0,
                    "%s: %s range [0x%" PRIx64 ", 0x%" PRIx64 "] overlaps "
                    "a mapped range",
                    ops->name, iobus_space_names[space], base, base + len - 1);
        return false;
    }
    if (map->count == map->capacity) {
        map->capacity = map->capacity ? map->capacity * 2 : 8;
        map->regions = g_renew(IoRegion, map->regions, map->capacity);
    }
    pos = (size_t)(iobus_search(map, base) + 1);
    memmove(&map->regions[pos + 1], &map->regions[pos],
            (map->count - pos) * sizeof(IoRegion));
    map->regions[pos] = (IoRegion){
        .base = base,
        .last = base + len - 1,
        .ops = ops,
        .opaque = opaque,
    };
    map->count++;
    log_trace(LOG_IOBUS, "map %s %s [0x%" PRIx64 ", 0x%" PRIx64 "]",
              iobus_space_names[space], ops->name, base, base + len - 1);
    return true;
}

bool iobus_unmap(IoBus *bus, IoSpace space, hwaddr base, const IoOps *ops,
                 void *opaque)
{
    IoMap *map;
    ptrdiff_t i;

    g_assert((unsigned)space < IO_SPACE_COUNT);
    map = &bus->maps[space];
    i = iobus_search(map, base);
    if (i < 0 || map->regions[i].base != base || map->regions[i].ops != ops ||
        map->regions[i].opaque != opaque) {
        return false;
    }
    log_trace(LOG_IOBUS, "unmap %s %s [0x%" PRIx64 ", 0x%" PRIx64 "]",
              iobus_space_names[space], ops->name, base, map->regions[i].last);
    memmove(&map->regions[i], &map->regions[i + 1],
            (map->count - (size_t)i - 1) * sizeof(IoRegion));
    map->count--;
    return true;
}

bool iobus_overlaps(IoBus *bus, IoSpace space, hwaddr addr, hwaddr len)
{
    const IoMap *map;
    hwaddr last = addr + len - 1;

    g_assert((unsigned)space < IO_SPACE_COUNT);
    map = &bus->maps[space];
    if (len == 0) {
        return false;
    }
    /*
     * Every DMA asks this about RAM addresses: the regions are sorted and
     * disjoint, so a range below the first or above the last misses them
     * all without a search.
     */
    if (map->count == 0 ||
        (last >= addr && (last < map->regions[0].base ||
                          addr > map->regions[map->count - 1].last))) {
        return false;
    }
    if (last < addr) {
        /* The range wraps: test both ends of the address space. */
        return iobus_map_overlaps(map, addr, UINT64_MAX) ||
               iobus_map_overlaps(map, 0, last);
    }
    return iobus_map_overlaps(map, addr, last);
}

/* True if the handler can take [addr, addr + size) as it is. */
static bool iobus_access_direct(const IoRegion *r, hwaddr addr, unsigned size)
{
    hwaddr offset = addr - r->base;

    return size >= r->ops->min_access && size <= r->ops->max_access &&
           (offset & (size - 1)) == 0 && size - 1 <= r->last - addr;
}

/*
 * One step of the piecewise path: the handler call that covers byte `done`
 * of a `size_total`-byte access at `start`, and how many of the following
 * bytes it covers too. The region is copied, not pointed to, because the
 * handler may change the registry.
 */
typedef struct IoPiece {
    /* Bytes of the guest access this piece covers (>= 1). */
    unsigned bytes;
    /* False: those bytes are unassigned. */
    bool mapped;
    /* The region that takes the piece (valid when mapped). */
    IoRegion region;
    /* Handler offset, a multiple of size. */
    hwaddr offset;
    /* Handler access size, within the region's min/max_access. */
    unsigned size;
    /* Position of the first covered byte inside the handler access. */
    unsigned shift_bytes;
} IoPiece;

static void iobus_plan_piece(const IoMap *map, hwaddr start, unsigned done,
                             unsigned size_total, IoPiece *pc)
{
    hwaddr addr = start + done;
    unsigned rem = size_total - done;
    const IoRegion *r;
    hwaddr offset;
    hwaddr in_region;
    unsigned min;
    unsigned avail;
    unsigned size;

    pc->bytes = 1;
    pc->mapped = false;
    /* Bytes past the top of the address space are unassigned. */
    if (addr < start) {
        return;
    }
    r = iobus_lookup(map, addr);
    if (!r) {
        return;
    }
    offset = addr - r->base;
    in_region = r->last - addr;
    /* Bytes of this access inside the region; a piece never crosses. */
    avail = in_region < rem - 1 ? (unsigned)in_region + 1 : rem;
    min = r->ops->min_access;

    /* Largest naturally aligned power of two that fits everything. */
    size = r->ops->max_access;
    while (size > avail || (offset & (size - 1)) != 0) {
        size >>= 1;
    }
    if (size >= min) {
        pc->bytes = size;
        pc->offset = offset;
        pc->size = size;
        pc->shift_bytes = 0;
    } else {
        /*
         * Widen to the min_access unit holding the first byte, and cover
         * every requested byte of that unit with one handler call so that
         * a narrow write reaches the register once, not once per byte.
         * A unit cut short by the region end (length not a multiple of
         * min_access) is not accessible at all: its bytes are unassigned.
         */
        hwaddr unit = offset & ~(hwaddr)(min - 1);
        unsigned lead = (unsigned)(offset - unit);

        if (min - lead - 1 > in_region) {
            return;
        }
        pc->bytes = MIN(avail, min - lead);
        pc->offset = unit;
        pc->size = min;
        pc->shift_bytes = lead;
    }
    pc->mapped = true;
    pc->region = *r;
}

static uint64_t iobus_read_slow(IoBus *bus, IoSpace space, hwaddr addr,
                                unsigned size)
{
    uint64_t result = 0;
    unsigned done = 0;

    while (done < size) {
        IoPiece pc;
        uint64_t val;

        iobus_plan_piece(&bus->maps[space], addr, done, size, &pc);
        if (pc.mapped) {
            val = pc.region.ops->read(pc.region.opaque, pc.offset, pc.size);
            val = (val >> (pc.shift_bytes * 8)) & iobus_size_mask(pc.bytes);
        } else {
            log_trace(LOG_IOBUS, "unassigned %s read at 0x%" PRIx64,
                      iobus_space_names[space], addr + done);
            val = 0xff;
        }
        result |= val << (done * 8);
        done += pc.bytes;
    }
    return result;
}

static void iobus_write_slow(IoBus *bus, IoSpace space, hwaddr addr,
                             uint64_t value, unsigned size)
{
    unsigned done = 0;

    while (done < size) {
        IoPiece pc;
        uint64_t val;

        iobus_plan_piece(&bus->maps[space], addr, done, size, &pc);
        if (pc.mapped) {
            val = (value >> (done * 8)) & iobus_size_mask(pc.bytes);
            pc.region.ops->write(pc.region.opaque, pc.offset,
                                 val << (pc.shift_bytes * 8), pc.size);
        } else {
            log_trace(LOG_IOBUS, "unassigned %s write at 0x%" PRIx64,
                      iobus_space_names[space], addr + done);
        }
        done += pc.bytes;
    }
}

/*
 * The handler call of an armed access that reaches its handler whole: it
 * may defer. Either way the arming is used up.
 */
static uint64_t iobus_call_armed(IoBus *bus, const IoRegion *r, hwaddr addr,
                                 uint64_t value, unsigned size, bool write)
{
    uint64_t ret = 0;

    bus->open_done = bus->arm_done;
    bus->open_opaque = bus->arm_opaque;
    bus->arm_done = NULL;
    if (write) {
        r->ops->write(r->opaque, addr - r->base, value, size);
    } else {
        ret = r->ops->read(r->opaque, addr - r->base, size);
    }
    bus->open_done = NULL;
    return ret;
}

uint64_t iobus_read(IoBus *bus, IoSpace space, hwaddr addr, unsigned size)
{
    const IoRegion *r;

    g_assert((unsigned)space < IO_SPACE_COUNT);
    if (G_UNLIKELY(!iobus_size_valid(size))) {
        log_guest_error(LOG_IOBUS, "%s read of size %u at 0x%" PRIx64,
                        iobus_space_names[space], size, addr);
        return UINT64_MAX;
    }
    r = iobus_lookup(&bus->maps[space], addr);
    if (G_LIKELY(r && iobus_access_direct(r, addr, size))) {
        /* Mask: stray high bits from a handler must not reach the guest. */
        if (G_UNLIKELY(bus->arm_done)) {
            return iobus_call_armed(bus, r, addr, 0, size, false) &
                   iobus_size_mask(size);
        }
        return r->ops->read(r->opaque, addr - r->base, size) &
               iobus_size_mask(size);
    }
    /* Split or widened: not deferrable. */
    bus->arm_done = NULL;
    return iobus_read_slow(bus, space, addr, size);
}

void iobus_write(IoBus *bus, IoSpace space, hwaddr addr, uint64_t value,
                 unsigned size)
{
    const IoRegion *r;

    g_assert((unsigned)space < IO_SPACE_COUNT);
    if (G_UNLIKELY(!iobus_size_valid(size))) {
        log_guest_error(LOG_IOBUS, "%s write of size %u at 0x%" PRIx64,
                        iobus_space_names[space], size, addr);
        return;
    }
    r = iobus_lookup(&bus->maps[space], addr);
    if (G_LIKELY(r && iobus_access_direct(r, addr, size))) {
        if (G_UNLIKELY(bus->arm_done)) {
            iobus_call_armed(bus, r, addr, value & iobus_size_mask(size), size,
                             true);
            return;
        }
        r->ops->write(r->opaque, addr - r->base, value & iobus_size_mask(size),
                      size);
        return;
    }
    bus->arm_done = NULL;
    iobus_write_slow(bus, space, addr, value, size);
}

/* ---- deferred completion ---- */

void iobus_defer_arm(IoBus *bus, IoDoneFn *done, void *opaque)
{
    g_assert(done);
    bus->arm_done = done;
    bus->arm_opaque = opaque;
    bus->deferred = false;
}

bool iobus_defer_disarm(IoBus *bus)
{
    bool deferred = bus->deferred;

    bus->arm_done = NULL;
    bus->open_done = NULL;
    bus->deferred = false;
    return deferred;
}

IoDeferred *iobus_defer(IoBus *bus)
{
    IoDeferred *d;

    if (!bus->open_done) {
        return NULL;
    }
    d = g_new(IoDeferred, 1);
    d->done = bus->open_done;
    d->opaque = bus->open_opaque;
    bus->open_done = NULL;
    bus->deferred = true;
    return d;
}

void iobus_complete(IoDeferred *d, uint64_t value)
{
    d->done(d->opaque, value);
    g_free(d);
}
