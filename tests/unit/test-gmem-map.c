/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GuestMemOps.map, the fast path of gmem_write_publish: used when the
 * implementation offers it and the range is one host mapping, skipped
 * (read/write path, which decides) when it returns NULL, and never a way
 * around the generic checks: a range touching MMIO or unbacked memory
 * still writes nothing.
 */
#include "emunet/gmem.h"

/* Guest RAM at 0 that counts which op the generic layer used. */
typedef struct MapMem {
    GuestMem gm;
    uint8_t ram[0x1000];
    bool map_ok; /* map returns the address (else NULL) */
    unsigned maps;
    unsigned writes;
} MapMem;

static bool map_read(GuestMem *gm, hwaddr gpa, void *buf, size_t len)
{
    MapMem *m = (MapMem *)gm;

    if (gpa > sizeof(m->ram) || len > sizeof(m->ram) - gpa) {
        return false;
    }
    memcpy(buf, m->ram + gpa, len);
    return true;
}

static bool map_write(GuestMem *gm, hwaddr gpa, const void *buf, size_t len)
{
    MapMem *m = (MapMem *)gm;

    m->writes++;
    if (gpa > sizeof(m->ram) || len > sizeof(m->ram) - gpa) {
        return false;
    }
    memcpy(m->ram + gpa, buf, len);
    return true;
}

static void *map_map(GuestMem *gm, hwaddr gpa, size_t len)
{
    MapMem *m = (MapMem *)gm;

    m->maps++;
    g_assert_cmpuint(len, >, 0);
    if (!m->map_ok || gpa > sizeof(m->ram) || len > sizeof(m->ram) - gpa) {
        return NULL;
    }
    return m->ram + gpa;
}

static const GuestMemOps map_ops = {
    .read = map_read,
    .write = map_write,
    .map = map_map,
};

static uint64_t dummy_read(void *opaque, hwaddr offset, unsigned size)
{
    return 0;
}

static void dummy_write(void *opaque, hwaddr offset, uint64_t value,
                        unsigned size)
{
}

static const IoOps dummy_ops = {"bar", dummy_read, dummy_write, 4, 4};

static const uint8_t wb[8] = {0x10, 0x11, 0x12, 0x13, 0x07, 0x15, 0x16, 0x17};

/* Mapped: one map, no write calls, every byte in place. */
static void test_publish_mapped(void)
{
    MapMem *m = g_new0(MapMem, 1);

    m->gm.ops = &map_ops;
    m->map_ok = true;
    g_assert_true(gmem_write_publish(&m->gm, 0x108, wb, 8, 4));
    g_assert_cmpuint(m->maps, ==, 1);
    g_assert_cmpuint(m->writes, ==, 0);
    g_assert_cmpmem(m->ram + 0x108, 8, wb, 8);
    /* Status at either end, and alone. */
    g_assert_true(gmem_write_publish(&m->gm, 0x200, wb, 8, 0));
    g_assert_true(gmem_write_publish(&m->gm, 0x300, wb, 8, 7));
    g_assert_true(gmem_write_publish(&m->gm, 0x400, wb + 4, 1, 0));
    g_assert_cmpmem(m->ram + 0x200, 8, wb, 8);
    g_assert_cmpmem(m->ram + 0x300, 8, wb, 8);
    g_assert_cmphex(m->ram[0x400], ==, 0x07);
    g_assert_cmpuint(m->writes, ==, 0);
    g_free(m);
}

/* map says no: the write path runs (status last) and decides. */
static void test_publish_unmapped(void)
{
    MapMem *m = g_new0(MapMem, 1);

    m->gm.ops = &map_ops;
    g_assert_true(gmem_write_publish(&m->gm, 0x108, wb, 8, 4));
    g_assert_cmpuint(m->maps, ==, 1);
    g_assert_cmpuint(m->writes, ==, 3);
    g_assert_cmpmem(m->ram + 0x108, 8, wb, 8);
    /* Partly backed: the piece after the status byte fails, so it is
     * never stored (what gmem.h promises for this case). */
    m->writes = 0;
    g_assert_false(gmem_write_publish(&m->gm, 0xffc, wb, 8, 4));
    g_assert_cmpuint(m->writes, ==, 2);
    g_free(m);
}

/* The generic checks come first: MMIO or a wrap never reaches map. */
static void test_publish_checked(void)
{
    MapMem *m = g_new0(MapMem, 1);
    IoBus *bus = iobus_new();

    m->gm.ops = &map_ops;
    m->gm.guard = bus;
    m->map_ok = true;
    g_assert_true(
        iobus_map(bus, IO_SPACE_MMIO, 0x800, 0x100, &dummy_ops, NULL, NULL));
    g_assert_false(gmem_write_publish(&m->gm, 0x7fc, wb, 8, 4));
    g_assert_false(gmem_write_publish(&m->gm, 0x8f8, wb, 8, 4));
    g_assert_false(gmem_write_publish(&m->gm, UINT64_MAX - 3, wb, 8, 4));
    g_assert_cmpuint(m->maps, ==, 0);
    g_assert_cmpuint(m->writes, ==, 0);
    g_assert_cmpmem(m->ram + 0x7fc, 8, (uint8_t[8]){0}, 8);
    iobus_free(bus);
    g_free(m);
}

/* The flat PC layout maps RAM, and nothing in the PCI hole or beyond. */
static void test_flat_publish(void)
{
    const size_t size = 0x10000;
    uint8_t *ram = g_malloc0(size);
    IoBus *bus = iobus_new();
    GuestMem *gm = gmem_flat_new(ram, size, bus);

    g_assert_nonnull(gm->ops->map);
    g_assert_true(gmem_write_publish(gm, 0x1008, wb, 8, 4));
    g_assert_cmpmem(ram + 0x1008, 8, wb, 8);
    /* Past the end of RAM: the status byte (in RAM) is never stored. */
    g_assert_false(gmem_write_publish(gm, size - 4, wb, 8, 0));
    g_assert_cmphex(ram[size - 4], ==, 0);
    g_assert_false(gmem_write_publish(gm, GMEM_FLAT_LOWMEM_LIMIT, wb, 8, 4));
    g_assert_null(gm->ops->map(gm, size, 1));
    g_assert_true(gm->ops->map(gm, size - 1, 1) == ram + size - 1);
    gmem_free(gm);
    iobus_free(bus);
    g_free(ram);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/gmem/map/publish", test_publish_mapped);
    g_test_add_func("/gmem/map/unmapped", test_publish_unmapped);
    g_test_add_func("/gmem/map/checked", test_publish_checked);
    g_test_add_func("/gmem/map/flat", test_flat_publish);
    return g_test_run();
}
