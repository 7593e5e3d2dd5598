/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IoBus unit tests: the registry, and access-size adaptation checked byte
 * by byte against an independent model of iobus.h's rules. Also the guest
 * error rate limit and traces of log.c, which the bus is the first user of.
 */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "emunet/iobus.h"
#include "emunet/log.h"

#define MAX_CALLS 32

/* One handler invocation. */
typedef struct Call {
    bool is_write;
    hwaddr offset;
    unsigned size;
    uint64_t value;
} Call;

/* A register file backed by bytes, recording how it was accessed. */
typedef struct TestDev {
    IoOps ops;
    hwaddr base;
    hwaddr len;
    uint8_t mem[64];
    Call calls[MAX_CALLS];
    unsigned ncalls;
    /* Handler calls that broke the contract of iobus.h. */
    unsigned violations;
} TestDev;

static void test_dev_record(TestDev *d, bool is_write, hwaddr offset,
                            unsigned size, uint64_t value)
{
    if (offset % size != 0 || size < d->ops.min_access ||
        size > d->ops.max_access || offset + size > d->len) {
        d->violations++;
    }
    if (d->ncalls < MAX_CALLS) {
        d->calls[d->ncalls++] = (Call){is_write, offset, size, value};
    }
}

static uint64_t test_dev_read(void *opaque, hwaddr offset, unsigned size)
{
    TestDev *d = opaque;
    uint64_t v = 0;

    test_dev_record(d, false, offset, size, 0);
    for (unsigned i = 0; i < size && offset + i < d->len; i++) {
        v |= (uint64_t)d->mem[offset + i] << (8 * i);
    }
    /* Garbage above `size` bytes: the bus must mask it off. */
    return size < 8 ? v | (UINT64_C(0xdead) << (8 * size)) : v;
}

static void test_dev_write(void *opaque, hwaddr offset, uint64_t value,
                           unsigned size)
{
    TestDev *d = opaque;

    test_dev_record(d, true, offset, size, value);
    if (size < 8 && (value >> (8 * size)) != 0) {
        d->violations++;
    }
    for (unsigned i = 0; i < size && offset + i < d->len; i++) {
        d->mem[offset + i] = (uint8_t)(value >> (8 * i));
    }
}

static void test_dev_init(TestDev *d, const char *name, hwaddr base, hwaddr len,
                          unsigned min, unsigned max)
{
    g_assert_cmpuint(len, <=, sizeof(d->mem));
    *d = (TestDev){
        .ops = {name, test_dev_read, test_dev_write, min, max},
        .base = base,
        .len = len,
    };
}

/*
 * The sweep layout: a 4-byte register file, a byte-granular RAM-like
 * region, a hole, a 2-byte register file and a 4/8-byte region whose length
 * is not a multiple of 4 (its last two bytes are unreachable).
 */
enum { NDEV = 4 };
static const struct {
    hwaddr base, len;
    unsigned min, max;
} sweep_layout[NDEV] = {
    {0x100, 0x10, 4, 4},
    {0x110, 0x08, 1, 8},
    {0x120, 0x08, 2, 2},
    {0x128, 0x06, 4, 8},
};

typedef struct Sweep {
    IoBus *bus;
    TestDev dev[NDEV];
} Sweep;

static void sweep_reset(Sweep *s)
{
    for (unsigned i = 0; i < NDEV; i++) {
        for (unsigned j = 0; j < sizeof(s->dev[i].mem); j++) {
            s->dev[i].mem[j] = (uint8_t)(0x10 * (i + 1) + j);
        }
        s->dev[i].ncalls = 0;
    }
}

static void sweep_init(Sweep *s)
{
    s->bus = iobus_new();
    for (unsigned i = 0; i < NDEV; i++) {
        test_dev_init(&s->dev[i], "dev", sweep_layout[i].base,
                      sweep_layout[i].len, sweep_layout[i].min,
                      sweep_layout[i].max);
        g_assert_true(iobus_map(s->bus, IO_SPACE_MMIO, sweep_layout[i].base,
                                sweep_layout[i].len, &s->dev[i].ops, &s->dev[i],
                                NULL));
    }
    sweep_reset(s);
}

/*
 * Reference model: which device and min_access unit a bus byte belongs to.
 * False for unassigned bytes, including bytes of a unit that the region
 * end cuts short.
 */
static bool model_locate(hwaddr addr, unsigned *dev, hwaddr *unit)
{
    for (unsigned i = 0; i < NDEV; i++) {
        hwaddr base = sweep_layout[i].base;
        unsigned min = sweep_layout[i].min;

        if (addr >= base && addr < base + sweep_layout[i].len) {
            *dev = i;
            *unit = (addr - base) / min * min;
            return *unit + min <= sweep_layout[i].len;
        }
    }
    return false;
}

static void sweep_check_contract(Sweep *s)
{
    for (unsigned i = 0; i < NDEV; i++) {
        g_assert_cmpuint(s->dev[i].violations, ==, 0);
    }
}

static void sweep_read_one(Sweep *s, hwaddr addr, unsigned size)
{
    uint64_t got;

    sweep_reset(s);
    got = iobus_read(s->bus, IO_SPACE_MMIO, addr, size);
    for (unsigned b = 0; b < size; b++) {
        unsigned dev;
        hwaddr unit;
        uint8_t want = 0xff;

        if (model_locate(addr + b, &dev, &unit)) {
            want = s->dev[dev].mem[addr + b - sweep_layout[dev].base];
        }
        if ((uint8_t)(got >> (8 * b)) != want) {
            g_error("read 0x%" PRIx64 "/%u byte %u: got 0x%02x want 0x%02x",
                    addr, size, b, (uint8_t)(got >> (8 * b)), want);
        }
    }
    if (size < 8) {
        g_assert_cmphex(got >> (8 * size), ==, 0);
    }
    /* No register is read twice by one access (clear-on-read safety). */
    for (unsigned i = 0; i < NDEV; i++) {
        TestDev *d = &s->dev[i];

        for (unsigned a = 0; a < d->ncalls; a++) {
            for (unsigned c = a + 1; c < d->ncalls; c++) {
                g_assert_true(d->calls[a].offset + d->calls[a].size <=
                                  d->calls[c].offset ||
                              d->calls[c].offset + d->calls[c].size <=
                                  d->calls[a].offset);
            }
        }
    }
    sweep_check_contract(s);
}

static void sweep_write_one(Sweep *s, hwaddr addr, unsigned size)
{
    uint8_t want[NDEV][64];
    uint64_t value = UINT64_C(0x8877665544332211) ^ (addr * 0x0101);

    sweep_reset(s);
    for (unsigned i = 0; i < NDEV; i++) {
        memcpy(want[i], s->dev[i].mem, sizeof(want[i]));
    }
    /* Every unit touched reads back as the written bytes, zeros around. */
    for (unsigned b = 0; b < size; b++) {
        unsigned dev;
        hwaddr unit;

        if (model_locate(addr + b, &dev, &unit)) {
            memset(&want[dev][unit], 0, sweep_layout[dev].min);
        }
    }
    for (unsigned b = 0; b < size; b++) {
        unsigned dev;
        hwaddr unit;

        if (model_locate(addr + b, &dev, &unit)) {
            want[dev][addr + b - sweep_layout[dev].base] =
                (uint8_t)(value >> (8 * b));
        }
    }
    iobus_write(s->bus, IO_SPACE_MMIO, addr, value, size);
    for (unsigned i = 0; i < NDEV; i++) {
        if (memcmp(want[i], s->dev[i].mem, sizeof(want[i])) != 0) {
            g_error("write 0x%" PRIx64 "/%u: device %u differs", addr, size, i);
        }
        for (unsigned c = 0; c < s->dev[i].ncalls; c++) {
            /* No read-modify-write. */
            g_assert_true(s->dev[i].calls[c].is_write);
        }
    }
    sweep_check_contract(s);
}

/* Every size at every address around and across the layout. */
static void test_split_sweep(void)
{
    static const unsigned sizes[] = {1, 2, 4, 8};
    Sweep s;

    sweep_init(&s);
    for (hwaddr addr = 0xf0; addr < 0x140; addr++) {
        for (unsigned i = 0; i < G_N_ELEMENTS(sizes); i++) {
            sweep_read_one(&s, addr, sizes[i]);
            sweep_write_one(&s, addr, sizes[i]);
        }
    }
    iobus_free(s.bus);
}

/* Aligned accesses the handler takes arrive unchanged, in one call. */
static void test_split_direct(void)
{
    Sweep s;
    TestDev *regs;
    TestDev *ram;

    sweep_init(&s);
    regs = &s.dev[0];
    ram = &s.dev[1];

    iobus_write(s.bus, IO_SPACE_MMIO, 0x104, 0xcafef00d, 4);
    g_assert_cmpuint(regs->ncalls, ==, 1);
    g_assert_true(regs->calls[0].is_write);
    g_assert_cmphex(regs->calls[0].offset, ==, 4);
    g_assert_cmpuint(regs->calls[0].size, ==, 4);
    g_assert_cmphex(regs->calls[0].value, ==, 0xcafef00d);

    g_assert_cmphex(iobus_read(s.bus, IO_SPACE_MMIO, 0x110, 8), ==,
                    UINT64_C(0x2726252423222120));
    g_assert_cmpuint(ram->ncalls, ==, 1);
    g_assert_cmpuint(ram->calls[0].size, ==, 8);

    /* High bits above the access size are cut off before the handler. */
    sweep_reset(&s);
    iobus_write(s.bus, IO_SPACE_MMIO, 0x112, UINT64_C(0xffffffff00001234), 2);
    g_assert_cmpuint(ram->ncalls, ==, 1);
    g_assert_cmphex(ram->calls[0].value, ==, 0x1234);
    iobus_free(s.bus);
}

/* The 4-byte register file: narrow and wide accesses, exact calls. */
static void test_split_min4(void)
{
    Sweep s;
    TestDev *regs;

    sweep_init(&s);
    regs = &s.dev[0];

    /* A byte read at offset 1 is one 4-byte read at 0. */
    g_assert_cmphex(iobus_read(s.bus, IO_SPACE_MMIO, 0x101, 1), ==, 0x11);
    g_assert_cmpuint(regs->ncalls, ==, 1);
    g_assert_cmphex(regs->calls[0].offset, ==, 0);
    g_assert_cmpuint(regs->calls[0].size, ==, 4);

    /* A word write at offset 2 is one shifted 4-byte write, no read. */
    sweep_reset(&s);
    iobus_write(s.bus, IO_SPACE_MMIO, 0x106, 0xbeef, 2);
    g_assert_cmpuint(regs->ncalls, ==, 1);
    g_assert_true(regs->calls[0].is_write);
    g_assert_cmphex(regs->calls[0].offset, ==, 4);
    g_assert_cmphex(regs->calls[0].value, ==, 0xbeef0000);

    /* An 8-byte access is two 4-byte calls, low half first. */
    sweep_reset(&s);
    iobus_write(s.bus, IO_SPACE_MMIO, 0x108, UINT64_C(0x1122334455667788), 8);
    g_assert_cmpuint(regs->ncalls, ==, 2);
    g_assert_cmphex(regs->calls[0].offset, ==, 8);
    g_assert_cmphex(regs->calls[0].value, ==, 0x55667788);
    g_assert_cmphex(regs->calls[1].offset, ==, 12);
    g_assert_cmphex(regs->calls[1].value, ==, 0x11223344);

    /* Unaligned 4 bytes at 3: two registers, each written once. */
    sweep_reset(&s);
    iobus_write(s.bus, IO_SPACE_MMIO, 0x103, 0xaabbccdd, 4);
    g_assert_cmpuint(regs->ncalls, ==, 2);
    g_assert_cmphex(regs->calls[0].value, ==, 0xdd000000);
    g_assert_cmphex(regs->calls[1].value, ==, 0x00aabbcc);
    iobus_free(s.bus);
}

/* One access spanning two regions and a hole, both directions. */
static void test_split_straddle(void)
{
    Sweep s;

    sweep_init(&s);
    /* 0x10e..0x10f from regs, 0x110..0x115 from the byte region. */
    g_assert_cmphex(iobus_read(s.bus, IO_SPACE_MMIO, 0x10e, 8), ==,
                    UINT64_C(0x2524232221201f1e));
    g_assert_cmpuint(s.dev[0].ncalls, ==, 1);
    g_assert_cmpuint(s.dev[1].ncalls, >=, 1);
    /* 0x116..0x117 from the byte region, then six unassigned bytes. */
    g_assert_cmphex(iobus_read(s.bus, IO_SPACE_MMIO, 0x116, 8), ==,
                    UINT64_C(0xffffffffffff2726));
    iobus_free(s.bus);
}

/* An access running off the top of the address space does not wrap. */
static void test_split_wrap(void)
{
    IoBus *bus = iobus_new();
    TestDev top;
    TestDev zero;

    test_dev_init(&top, "top", UINT64_MAX - 7, 8, 1, 8);
    test_dev_init(&zero, "zero", 0, 8, 1, 8);
    memset(top.mem, 0x5a, sizeof(top.mem));
    g_assert_true(
        iobus_map(bus, IO_SPACE_MMIO, top.base, 8, &top.ops, &top, NULL));
    g_assert_true(iobus_map(bus, IO_SPACE_MMIO, 0, 8, &zero.ops, &zero, NULL));
    g_assert_cmphex(iobus_read(bus, IO_SPACE_MMIO, UINT64_MAX - 1, 4), ==,
                    0xffff5a5a);
    iobus_write(bus, IO_SPACE_MMIO, UINT64_MAX, 0x12345678, 4);
    g_assert_cmpuint(zero.ncalls, ==, 0);
    g_assert_cmphex(top.mem[7], ==, 0x78);
    g_assert_cmpuint(top.violations, ==, 0);
    iobus_free(bus);
}

static void test_map_overlap(void)
{
    IoBus *bus = iobus_new();
    TestDev a;
    TestDev b;
    GError *err = NULL;

    test_dev_init(&a, "a", 0x1000, 0x10, 1, 4);
    test_dev_init(&b, "b", 0, 0x10, 1, 4);
    g_assert_true(
        iobus_map(bus, IO_SPACE_MMIO, 0x1000, 0x10, &a.ops, &a, NULL));

    /* Same start, inside, across either end, covering. */
    static const hwaddr bad[][2] = {
        {0x1000, 0x10}, {0x1004, 4},     {0xff8, 0x9},
        {0x100f, 0x10}, {0x800, 0x1000},
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_false(iobus_map(bus, IO_SPACE_MMIO, bad[i][0], bad[i][1],
                                 &b.ops, &b, &err));
        g_assert_nonnull(strstr(err->message, "overlaps"));
        g_clear_error(&err);
    }
    /* Touching either end is fine; so is the same range in PIO. */
    g_assert_true(iobus_map(bus, IO_SPACE_MMIO, 0xff0, 0x10, &b.ops, &b, NULL));
    g_assert_true(
        iobus_map(bus, IO_SPACE_MMIO, 0x1010, 0x10, &b.ops, &b, NULL));
    g_assert_true(iobus_map(bus, IO_SPACE_PIO, 0x1000, 0x10, &b.ops, &b, NULL));

    /* Empty and wrapping ranges are refused (a BAR base is guest data). */
    g_assert_false(iobus_map(bus, IO_SPACE_MMIO, 0x5000, 0, &b.ops, &b, &err));
    g_clear_error(&err);
    g_assert_false(
        iobus_map(bus, IO_SPACE_MMIO, UINT64_MAX - 3, 8, &b.ops, &b, &err));
    g_assert_nonnull(strstr(err->message, "wraps"));
    g_clear_error(&err);
    g_assert_true(
        iobus_map(bus, IO_SPACE_MMIO, UINT64_MAX - 7, 8, &b.ops, &b, NULL));

    g_assert_true(iobus_overlaps(bus, IO_SPACE_MMIO, 0x100f, 1));
    g_assert_true(iobus_overlaps(bus, IO_SPACE_MMIO, 0xf00, 0x100));
    g_assert_false(iobus_overlaps(bus, IO_SPACE_MMIO, 0x1020, 0x100));
    g_assert_false(iobus_overlaps(bus, IO_SPACE_MMIO, 0x1000, 0));
    g_assert_false(iobus_overlaps(bus, IO_SPACE_PIO, 0x1010, 0x10));
    /* A range that wraps touches the top region and address 0. */
    g_assert_true(iobus_overlaps(bus, IO_SPACE_MMIO, UINT64_MAX, 2));
    g_assert_false(
        iobus_overlaps(bus, IO_SPACE_MMIO, UINT64_MAX - 0x100, 0x10));
    iobus_free(bus);
}

static void test_map_unmap(void)
{
    IoBus *bus = iobus_new();
    TestDev a;
    TestDev b;

    test_dev_init(&a, "a", 0x40, 8, 1, 8);
    test_dev_init(&b, "b", 0x40, 8, 1, 8);
    memset(a.mem, 0x11, sizeof(a.mem));
    g_assert_true(iobus_map(bus, IO_SPACE_PIO, 0x40, 8, &a.ops, &a, NULL));
    /* Same ops and opaque at a second place. */
    g_assert_true(iobus_map(bus, IO_SPACE_PIO, 0x80, 8, &a.ops, &a, NULL));

    g_assert_false(iobus_unmap(bus, IO_SPACE_PIO, 0x41, &a.ops, &a));
    g_assert_false(iobus_unmap(bus, IO_SPACE_PIO, 0x40, &b.ops, &a));
    g_assert_false(iobus_unmap(bus, IO_SPACE_PIO, 0x40, &a.ops, &b));
    g_assert_false(iobus_unmap(bus, IO_SPACE_MMIO, 0x40, &a.ops, &a));
    g_assert_cmphex(iobus_read(bus, IO_SPACE_PIO, 0x40, 1), ==, 0x11);

    g_assert_true(iobus_unmap(bus, IO_SPACE_PIO, 0x40, &a.ops, &a));
    g_assert_false(iobus_unmap(bus, IO_SPACE_PIO, 0x40, &a.ops, &a));
    g_assert_cmphex(iobus_read(bus, IO_SPACE_PIO, 0x40, 4), ==, 0xffffffff);
    g_assert_cmphex(iobus_read(bus, IO_SPACE_PIO, 0x80, 1), ==, 0x11);
    /* The freed range can be taken by someone else. */
    g_assert_true(iobus_map(bus, IO_SPACE_PIO, 0x40, 8, &b.ops, &b, NULL));
    iobus_free(bus);
}

/* Many regions mapped in scrambled order are all found. */
static void test_map_many(void)
{
    IoBus *bus = iobus_new();
    TestDev d;
    const unsigned n = 1000;

    test_dev_init(&d, "d", 0, 4, 1, 4);
    for (unsigned i = 0; i < n; i++) {
        unsigned slot = (i * 617) % n;

        g_assert_true(
            iobus_map(bus, IO_SPACE_MMIO, slot * 0x10, 4, &d.ops, &d, NULL));
    }
    for (unsigned i = 0; i < n; i++) {
        d.ncalls = 0;
        iobus_read(bus, IO_SPACE_MMIO, i * 0x10 + 2, 1);
        g_assert_cmpuint(d.ncalls, ==, 1);
        g_assert_cmphex(d.calls[0].offset, ==, 2);
        g_assert_cmphex(iobus_read(bus, IO_SPACE_MMIO, i * 0x10 + 4, 4), ==,
                        0xffffffff);
    }
    for (unsigned i = 0; i < n; i += 2) {
        g_assert_true(iobus_unmap(bus, IO_SPACE_MMIO, i * 0x10, &d.ops, &d));
    }
    for (unsigned i = 0; i < n; i++) {
        g_assert(iobus_overlaps(bus, IO_SPACE_MMIO, i * 0x10, 4) == (i & 1));
    }
    iobus_free(bus);
}

/* Empty bus and invalid sizes: all-ones, no handler, counted. */
static void test_unassigned(void)
{
    IoBus *bus = iobus_new();
    TestDev d;
    uint64_t before = log_guest_error_count(LOG_IOBUS);

    g_assert_cmphex(iobus_read(bus, IO_SPACE_PIO, 0xcf8, 1), ==, 0xff);
    g_assert_cmphex(iobus_read(bus, IO_SPACE_PIO, 0xcf8, 2), ==, 0xffff);
    g_assert_cmphex(iobus_read(bus, IO_SPACE_MMIO, 0xfeb00000, 4), ==,
                    0xffffffff);
    g_assert_cmphex(iobus_read(bus, IO_SPACE_MMIO, 0x3, 8), ==, UINT64_MAX);
    iobus_write(bus, IO_SPACE_MMIO, 0x3, 0, 8);
    g_assert_cmpuint(log_guest_error_count(LOG_IOBUS), ==, before);

    test_dev_init(&d, "d", 0, 16, 1, 8);
    g_assert_true(iobus_map(bus, IO_SPACE_MMIO, 0, 16, &d.ops, &d, NULL));
    static const unsigned bad[] = {0, 3, 5, 16, 64};
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_cmphex(iobus_read(bus, IO_SPACE_MMIO, 0, bad[i]), ==,
                        UINT64_MAX);
        iobus_write(bus, IO_SPACE_MMIO, 0, 0, bad[i]);
    }
    g_assert_cmpuint(d.ncalls, ==, 0);
    g_assert_cmpuint(log_guest_error_count(LOG_IOBUS), ==,
                     before + 2 * G_N_ELEMENTS(bad));
    iobus_free(bus);
}

/*
 * Handlers that change the registry: the rest of the access must follow
 * the new map, and the bus must not use the (reallocated) old array.
 */
typedef struct Mover {
    TestDev dev;
    IoBus *bus;
    TestDev *successor;
    unsigned extra_maps;
} Mover;

static void mover_write(void *opaque, hwaddr offset, uint64_t value,
                        unsigned size)
{
    Mover *m = opaque;

    test_dev_write(&m->dev, offset, value, size);
    if (offset != 0) {
        return;
    }
    /* Move away, put the successor where our upper half was. */
    g_assert_true(
        iobus_unmap(m->bus, IO_SPACE_MMIO, m->dev.base, &m->dev.ops, m));
    m->dev.base += 0x10000;
    g_assert_true(iobus_map(m->bus, IO_SPACE_MMIO, m->dev.base, m->dev.len,
                            &m->dev.ops, m, NULL));
    g_assert_true(iobus_map(m->bus, IO_SPACE_MMIO, 0x2004, 4,
                            &m->successor->ops, m->successor, NULL));
    /* Enough new regions to force the registry to grow. */
    for (unsigned i = 0; i < m->extra_maps; i++) {
        g_assert_true(iobus_map(m->bus, IO_SPACE_MMIO, 0x100000 + i * 8, 8,
                                &m->successor->ops, m->successor, NULL));
    }
}

static uint64_t mover_read(void *opaque, hwaddr offset, unsigned size)
{
    return test_dev_read(&((Mover *)opaque)->dev, offset, size);
}

static void test_remap_in_handler(void)
{
    IoBus *bus = iobus_new();
    Mover m = {.bus = bus, .extra_maps = 64};
    TestDev succ;

    test_dev_init(&m.dev, "mover", 0x2000, 8, 4, 4);
    m.dev.ops.read = mover_read;
    m.dev.ops.write = mover_write;
    test_dev_init(&succ, "succ", 0x2004, 4, 1, 4);
    m.successor = &succ;
    g_assert_true(
        iobus_map(bus, IO_SPACE_MMIO, 0x2000, 8, &m.dev.ops, &m, NULL));

    /* The low half hits the mover, which moves; the high half the new one. */
    iobus_write(bus, IO_SPACE_MMIO, 0x2000, UINT64_C(0x4444333322221111), 8);
    g_assert_cmpuint(m.dev.ncalls, ==, 1);
    g_assert_cmpuint(succ.ncalls, ==, 1);
    g_assert_cmphex(succ.calls[0].value, ==, 0x44443333);
    g_assert_cmphex(iobus_read(bus, IO_SPACE_MMIO, 0x12000, 4), ==, 0x22221111);
    g_assert_cmpuint(m.dev.violations + succ.violations, ==, 0);
    iobus_free(bus);
}

/* Run `fn` with stderr sent to a file; return what it wrote. */
static char *capture_stderr(void (*fn)(void *), void *arg)
{
    g_autofree char *path = NULL;
    char *text = NULL;
    int saved;
    int fd = g_file_open_tmp("emunet-log-XXXXXX", &path, NULL);

    g_assert_cmpint(fd, >=, 0);
    fflush(stderr);
    saved = dup(STDERR_FILENO);
    g_assert_cmpint(dup2(fd, STDERR_FILENO), ==, STDERR_FILENO);
    fn(arg);
    fflush(stderr);
    g_assert_cmpint(dup2(saved, STDERR_FILENO), ==, STDERR_FILENO);
    close(saved);
    close(fd);
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    unlink(path);
    return text;
}

static unsigned count_lines(const char *text, const char *needle)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    unsigned n = 0;

    for (unsigned i = 0; lines[i]; i++) {
        n += strstr(lines[i], needle) != NULL;
    }
    return n;
}

static void bad_reads(void *arg)
{
    IoBus *bus = arg;

    for (unsigned i = 0; i < 25; i++) {
        iobus_read(bus, IO_SPACE_MMIO, 0x1000 + i, 3);
    }
}

static void bad_read_once(void *arg)
{
    iobus_read(arg, IO_SPACE_PIO, 0x10, 7);
}

/*
 * Runs in a fresh subprocess so that no earlier test has used up the
 * window or left a suppressed count behind.
 */
static void test_log_rate_limit(void)
{
    IoBus *bus;
    int64_t start;
    g_autofree char *burst = NULL;
    g_autofree char *after = NULL;

    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 10 * G_USEC_PER_SEC,
                               G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_passed();
        return;
    }
    bus = iobus_new();
    start = g_get_monotonic_time();
    burst = capture_stderr(bad_reads, bus);
    /* The whole burst must fit one window for the count to be exact. */
    g_assert_cmpint(g_get_monotonic_time() - start, <, G_USEC_PER_SEC);
    g_assert_cmpuint(count_lines(burst, "emunet: iobus: guest error: "), ==,
                     LOG_GUEST_BURST);
    g_assert_true(g_str_has_prefix(burst, "emunet: iobus: guest error: mmio "
                                          "read of size 3 at 0x1000\n"));
    g_assert_null(strstr(burst, "suppressed"));
    g_assert_cmpuint(log_guest_error_count(LOG_IOBUS), ==, 25);

    g_usleep(G_USEC_PER_SEC + 10000);
    after = capture_stderr(bad_read_once, bus);
    g_assert_cmpstr(after, ==,
                    "emunet: iobus: guest error: pio read of size 7 at 0x10 "
                    "(15 earlier guest errors suppressed)\n");
    g_assert_cmpuint(log_guest_error_count(LOG_IOBUS), ==, 26);
    iobus_free(bus);
}

static void unassigned_read(void *arg)
{
    iobus_read(arg, IO_SPACE_PIO, 0x1234, 1);
}

static void test_log_trace(void)
{
    IoBus *bus = iobus_new();
    GError *err = NULL;
    g_autofree char *quiet = capture_stderr(unassigned_read, bus);
    g_autofree char *loud = NULL;

    g_assert_cmpstr(quiet, ==, "");
    g_assert_cmpstr(log_module_name(LOG_E1000), ==, "e1000");

    g_assert_false(log_enable_trace("pci,bogus", &err));
    g_assert_cmpstr(err->message, ==, "unknown trace module 'bogus'");
    g_clear_error(&err);
    g_assert_false(log_enable_trace("", &err));
    g_clear_error(&err);
    g_assert_cmphex(log_trace_mask, ==, 0);

    g_assert_true(log_enable_trace("e1000,iobus", NULL));
    g_assert_cmphex(log_trace_mask, ==, (1u << LOG_E1000) | (1u << LOG_IOBUS));
    loud = capture_stderr(unassigned_read, bus);
    g_assert_cmpstr(loud, ==, "emunet: iobus: unassigned pio read at 0x1234\n");

    g_assert_true(log_enable_trace("all", NULL));
    g_assert_cmphex(log_trace_mask, ==, (1u << LOG_MODULE_COUNT) - 1);
    log_trace_mask = 0;
    iobus_free(bus);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/iobus/split/sweep", test_split_sweep);
    g_test_add_func("/iobus/split/direct", test_split_direct);
    g_test_add_func("/iobus/split/min4", test_split_min4);
    g_test_add_func("/iobus/split/straddle", test_split_straddle);
    g_test_add_func("/iobus/split/wrap", test_split_wrap);
    g_test_add_func("/iobus/map/overlap", test_map_overlap);
    g_test_add_func("/iobus/map/unmap", test_map_unmap);
    g_test_add_func("/iobus/map/many", test_map_many);
    g_test_add_func("/iobus/unassigned", test_unassigned);
    g_test_add_func("/iobus/remap/in-handler", test_remap_in_handler);
    g_test_add_func("/iobus/log/trace", test_log_trace);
    g_test_add_func("/iobus/log/guest-error-rate-limit", test_log_rate_limit);
    return g_test_run();
}
