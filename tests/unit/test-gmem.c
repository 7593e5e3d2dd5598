/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GuestMem unit tests: the generic checks (length 0, wrap, MMIO guard,
 * zeroing on failure) against a fake backend that counts calls, and the
 * flat PC layout on both sides of the PCI hole.
 */
#include <sys/mman.h>

#include "emunet/gmem.h"

/* A backend that records calls and fails or succeeds on demand. */
typedef struct FakeMem {
    GuestMem gm;
    unsigned reads;
    unsigned writes;
    bool fail;
} FakeMem;

static bool fake_read(GuestMem *gm, hwaddr gpa, void *buf, size_t len)
{
    FakeMem *f = (FakeMem *)gm;

    f->reads++;
    /* Leave junk behind even when failing: gmem_read must clean up. */
    memset(buf, 0xab, len);
    return !f->fail;
}

static bool fake_write(GuestMem *gm, hwaddr gpa, const void *buf, size_t len)
{
    FakeMem *f = (FakeMem *)gm;

    f->writes++;
    return !f->fail;
}

static const GuestMemOps fake_ops = {
    .read = fake_read,
    .write = fake_write,
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

static bool all_zero(const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != 0) {
            return false;
        }
    }
    return true;
}

static void test_len_zero(void)
{
    FakeMem f = {.gm = {.ops = &fake_ops}};
    uint8_t buf[1];

    g_assert_true(gmem_read(&f.gm, UINT64_MAX, buf, 0));
    g_assert_true(gmem_write(&f.gm, UINT64_MAX, buf, 0));
    g_assert_cmpuint(f.reads + f.writes, ==, 0);
    /* A backend without a free hook, and NULL, are fine to free. */
    gmem_free(&f.gm);
    gmem_free(NULL);
}

static void test_wrap(void)
{
    FakeMem f = {.gm = {.ops = &fake_ops}};
    uint8_t buf[16];

    memset(buf, 0x77, sizeof(buf));
    g_assert_false(gmem_read(&f.gm, UINT64_MAX - 3, buf, 8));
    g_assert_true(all_zero(buf, 8));
    g_assert_false(gmem_write(&f.gm, UINT64_MAX - 3, buf, 8));
    g_assert_false(gmem_write(&f.gm, UINT64_MAX, buf, 2));
    g_assert_cmpuint(f.reads + f.writes, ==, 0);
    /* Ending exactly at the top of the address space does not wrap. */
    g_assert_true(gmem_read(&f.gm, UINT64_MAX - 7, buf, 8));
    g_assert_true(gmem_write(&f.gm, UINT64_MAX, buf, 1));
    g_assert_cmpuint(f.reads + f.writes, ==, 2);
}

static void test_mmio_guard(void)
{
    IoBus *bus = iobus_new();
    FakeMem f = {.gm = {.ops = &fake_ops, .guard = bus}};
    uint8_t buf[0x400];

    g_assert_true(
        iobus_map(bus, IO_SPACE_MMIO, 0x1000, 0x100, &dummy_ops, NULL, NULL));
    g_assert_true(
        iobus_map(bus, IO_SPACE_PIO, 0x2000, 0x100, &dummy_ops, NULL, NULL));

    /* Right up to the BAR, and right after it: allowed. */
    g_assert_true(gmem_read(&f.gm, 0xfc0, buf, 0x40));
    g_assert_true(gmem_write(&f.gm, 0x1100, buf, 0x40));
    g_assert_cmpuint(f.reads + f.writes, ==, 2);

    /* One byte into it, or across it: refused before the backend. */
    memset(buf, 0x55, sizeof(buf));
    g_assert_false(gmem_read(&f.gm, 0xfc1, buf, 0x40));
    g_assert_true(all_zero(buf, 0x40));
    g_assert_cmphex(buf[0x40], ==, 0x55);
    g_assert_false(gmem_write(&f.gm, 0x10ff, buf, 1));
    g_assert_false(gmem_write(&f.gm, 0xf00, buf, 0x400));
    g_assert_false(gmem_read(&f.gm, 0x1080, buf, 4));
    g_assert_cmpuint(f.reads + f.writes, ==, 2);

    /* Port I/O is a different space: no reason to refuse. */
    g_assert_true(gmem_read(&f.gm, 0x2000, buf, 0x40));

    /* Once the BAR moves away, its old range is RAM again. */
    g_assert_true(iobus_unmap(bus, IO_SPACE_MMIO, 0x1000, &dummy_ops, NULL));
    g_assert_true(gmem_write(&f.gm, 0x1000, buf, 0x40));
    iobus_free(bus);
}

static void test_read_failure_zeroes(void)
{
    FakeMem f = {.gm = {.ops = &fake_ops}, .fail = true};
    uint8_t buf[32];

    memset(buf, 0x11, sizeof(buf));
    g_assert_false(gmem_read(&f.gm, 0x1000, buf, sizeof(buf)));
    g_assert_cmpuint(f.reads, ==, 1);
    g_assert_true(all_zero(buf, sizeof(buf)));
    g_assert_false(gmem_write(&f.gm, 0x1000, buf, sizeof(buf)));

    f.fail = false;
    g_assert_true(gmem_read(&f.gm, 0x1000, buf, sizeof(buf)));
    g_assert_cmphex(buf[31], ==, 0xab);
}

/* A backend that logs each write: where, how long, its first byte. */
typedef struct LogMem {
    GuestMem gm;
    unsigned n;
    hwaddr gpa[8];
    size_t len[8];
    uint8_t first[8];
    bool fail_after; /* fail every write after the first */
} LogMem;

static bool log_write(GuestMem *gm, hwaddr gpa, const void *buf, size_t len)
{
    LogMem *m = (LogMem *)gm;

    g_assert_cmpuint(m->n, <, G_N_ELEMENTS(m->gpa));
    m->gpa[m->n] = gpa;
    m->len[m->n] = len;
    m->first[m->n] = *(const uint8_t *)buf;
    m->n++;
    return !(m->fail_after && m->n > 1);
}

static const GuestMemOps log_ops = {
    .read = fake_read,
    .write = log_write,
};

/*
 * gmem_write_publish: every other byte first, the status byte last and
 * alone; nothing at all when the range check fails; no status byte after
 * a failed piece.
 */
static void test_publish(void)
{
    IoBus *bus = iobus_new();
    LogMem m = {.gm = {.ops = &log_ops, .guard = bus}};
    const uint8_t wb[8] = {0x10, 0x11, 0x12, 0x13, 0x07, 0x15, 0x16, 0x17};

    g_assert_true(gmem_write_publish(&m.gm, 0x108, wb, 8, 4));
    g_assert_cmpuint(m.n, ==, 3);
    g_assert_cmphex(m.gpa[0], ==, 0x108);
    g_assert_cmpuint(m.len[0], ==, 4);
    g_assert_cmphex(m.gpa[1], ==, 0x10d);
    g_assert_cmpuint(m.len[1], ==, 3);
    g_assert_cmphex(m.first[1], ==, 0x15);
    g_assert_cmphex(m.gpa[2], ==, 0x10c);
    g_assert_cmpuint(m.len[2], ==, 1);
    g_assert_cmphex(m.first[2], ==, 0x07);

    /* Status at either end: one other piece, then the status byte. */
    m.n = 0;
    g_assert_true(gmem_write_publish(&m.gm, 0x200, wb, 8, 0));
    g_assert_cmpuint(m.n, ==, 2);
    g_assert_cmphex(m.gpa[0], ==, 0x201);
    g_assert_cmpuint(m.len[0], ==, 7);
    g_assert_cmphex(m.gpa[1], ==, 0x200);
    g_assert_cmpuint(m.len[1], ==, 1);
    m.n = 0;
    g_assert_true(gmem_write_publish(&m.gm, 0x200, wb, 8, 7));
    g_assert_cmpuint(m.n, ==, 2);
    g_assert_cmpuint(m.len[0], ==, 7);
    g_assert_cmphex(m.gpa[1], ==, 0x207);
    m.n = 0;
    g_assert_true(gmem_write_publish(&m.gm, 0x300, wb + 4, 1, 0));
    g_assert_cmpuint(m.n, ==, 1);
    g_assert_cmpuint(m.len[0], ==, 1);

    /* The whole range is checked first: wrap or MMIO writes nothing. */
    g_assert_true(
        iobus_map(bus, IO_SPACE_MMIO, 0x1000, 0x100, &dummy_ops, NULL, NULL));
    m.n = 0;
    g_assert_false(gmem_write_publish(&m.gm, 0xffc, wb, 8, 4));
    g_assert_false(gmem_write_publish(&m.gm, UINT64_MAX - 3, wb, 8, 4));
    g_assert_cmpuint(m.n, ==, 0);

    /* A piece that fails: the status byte is not written. */
    m.fail_after = true;
    g_assert_false(gmem_write_publish(&m.gm, 0x108, wb, 8, 4));
    g_assert_cmpuint(m.n, ==, 2);
    g_assert_cmpuint(m.len[1], ==, 3);
    iobus_free(bus);
}

/* RAM below and above the hole; mmap so untouched pages cost nothing. */
static void test_flat_split(void)
{
    const size_t high = 0x2000;
    const size_t size = GMEM_FLAT_LOWMEM_LIMIT + high;
    uint8_t *ram = mmap(NULL, size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    const hwaddr lim = GMEM_FLAT_LOWMEM_LIMIT;
    const hwaddr hi = 0x100000000ULL;
    GuestMem *gm;
    uint8_t buf[16];
    uint8_t out[16];

    g_assert_true(ram != MAP_FAILED);
    gm = gmem_flat_new(ram, size, NULL);
    for (unsigned i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(0xc0 + i);
    }

    g_assert_true(gmem_write(gm, 0, buf, 8));
    g_assert_cmpmem(ram, 8, buf, 8);
    g_assert_true(gmem_write(gm, lim - 8, buf, 8));
    g_assert_cmpmem(ram + lim - 8, 8, buf, 8);
    g_assert_true(gmem_read(gm, lim - 8, out, 8));
    g_assert_cmpmem(out, 8, buf, 8);

    /* The low part ends at the hole: crossing fails whole. */
    memset(ram + lim - 8, 0, 8);
    g_assert_false(gmem_write(gm, lim - 8, buf, 9));
    g_assert_true(all_zero(ram + lim - 8, 8));
    memset(out, 0x33, sizeof(out));
    g_assert_false(gmem_read(gm, lim - 4, out, 8));
    g_assert_true(all_zero(out, 8));
    g_assert_cmphex(out[8], ==, 0x33);
    g_assert_false(gmem_read(gm, lim, out, 1));
    g_assert_false(gmem_read(gm, 0xfee00000, out, 4));
    g_assert_false(gmem_read(gm, hi - 1, out, 2));

    /* Above 4 GiB: the rest of the buffer, in order. */
    g_assert_true(gmem_write(gm, hi, buf, 16));
    g_assert_cmpmem(ram + lim, 16, buf, 16);
    g_assert_true(gmem_write(gm, hi + high - 16, buf, 16));
    g_assert_cmpmem(ram + size - 16, 16, buf, 16);
    g_assert_true(gmem_read(gm, hi + high - 16, out, 16));
    g_assert_cmpmem(out, 16, buf, 16);
    g_assert_false(gmem_write(gm, hi + high - 8, buf, 16));
    g_assert_false(gmem_read(gm, hi + high, out, 1));
    g_assert_false(gmem_read(gm, UINT64_MAX - 15, out, 16));

    gmem_free(gm);
    munmap(ram, size);
}

/* Less RAM than the hole: nothing at 4 GiB, and the end is the end. */
static void test_flat_small(void)
{
    const size_t size = 0x10000;
    uint8_t *ram = g_malloc0(size);
    IoBus *bus = iobus_new();
    GuestMem *gm = gmem_flat_new(ram, size, bus);
    uint8_t buf[32] = {1, 2, 3, 4};

    g_assert_true(gmem_write(gm, size - 32, buf, 32));
    g_assert_cmpmem(ram + size - 32, 32, buf, 32);
    g_assert_false(gmem_write(gm, size - 31, buf, 32));
    g_assert_false(gmem_read(gm, size, buf, 1));
    g_assert_false(gmem_read(gm, 0x100000000ULL, buf, 1));

    /* The flat backend honours the guard like any other. */
    g_assert_true(
        iobus_map(bus, IO_SPACE_MMIO, 0x8000, 0x1000, &dummy_ops, NULL, NULL));
    g_assert_false(gmem_write(gm, 0x7ff0, buf, 32));
    g_assert_true(all_zero(ram + 0x7ff0, 32));
    gmem_free(gm);
    iobus_free(bus);
    g_free(ram);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/gmem/len-zero", test_len_zero);
    g_test_add_func("/gmem/wrap", test_wrap);
    g_test_add_func("/gmem/mmio-guard", test_mmio_guard);
    g_test_add_func("/gmem/read-failure-zeroes", test_read_failure_zeroes);
    g_test_add_func("/gmem/publish", test_publish);
    g_test_add_func("/gmem/flat/split", test_flat_split);
    g_test_add_func("/gmem/flat/small", test_flat_small);
    return g_test_run();
}
