/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * emunet's Xen GuestMem (xen/gmem-xen.c), the foreign-memory map cache,
 * in-process on xen-sim's libxenforeignmemory: data reaches the domain's
 * RAM both ways, one mapping per 1 MiB bucket and none for a cached one,
 * DMA across buckets, all-or-nothing on an unmappable page, remapping once
 * the page is back, INVALIDATE dropping everything, LRU eviction at the
 * bucket limit, the size and address limits, and log-dirty reports.
 */
#include <errno.h>
#include <string.h>

#include <xendevicemodel.h>
#include <xenforeignmemory.h>

#include "emunet/gmem.h"
#include "xen/gmem-xen.h"
#include "xensim.h"

#define DOM 3
#define MIB (1ULL << 20)
/* More buckets than the cache holds. */
#define RAM (80 * MIB)

typedef struct Fixture {
    XenSim *sim;
    xenforeignmemory_handle *fmem;
    xendevicemodel_handle *dmod;
    GuestMem *gm;
} Fixture;

static void fixture_set_up(Fixture *f, gconstpointer data)
{
    GError *err = NULL;

    f->sim = xensim_new(&err);
    g_assert_no_error(err);
    g_assert_true(xensim_domain_create(f->sim, DOM, 1, RAM, &err));
    g_assert_no_error(err);
    xensim_setenv(f->sim);
    f->fmem = xenforeignmemory_open(NULL, 0);
    g_assert_nonnull(f->fmem);
    f->dmod = xendevicemodel_open(NULL, 0);
    g_assert_nonnull(f->dmod);
    f->gm = xen_gmem_new(f->fmem, DOM, NULL);
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
    gmem_free(f->gm);
    xendevicemodel_close(f->dmod);
    xenforeignmemory_close(f->fmem);
    xensim_free(f->sim);
}

static XenGmemStats stats(Fixture *f)
{
    XenGmemStats s;

    xen_gmem_get_stats(f->gm, &s);
    return s;
}

/* `len` bytes of a pattern derived from `seed`. */
static uint8_t *pattern(size_t len, uint8_t seed)
{
    uint8_t *p = g_malloc(len);

    for (size_t i = 0; i < len; i++) {
        p[i] = (uint8_t)(seed + i * 7 + (i >> 12));
    }
    return p;
}

/* RAM at `gpa` holds `want` (read by the simulator, not through emunet) */
static void check_ram(Fixture *f, uint64_t gpa, const uint8_t *want, size_t len)
{
    g_autofree uint8_t *got = g_malloc(len);

    g_assert_true(xensim_memread(f->sim, DOM, gpa, got, len));
    g_assert_cmpmem(got, len, want, len);
}

static void test_basic(Fixture *f, gconstpointer data)
{
    g_autofree uint8_t *out = pattern(1500, 1);
    g_autofree uint8_t *in = pattern(1500, 2);
    uint8_t back[1500], b = 0x5a;

    g_assert_true(gmem_write(f->gm, 0x123456, out, sizeof(back)));
    check_ram(f, 0x123456, out, sizeof(back));
    g_assert_cmpuint(stats(f).maps, ==, 1);
    g_assert_true(xensim_memwrite(f->sim, DOM, 0x180000, in, sizeof(back)));
    g_assert_true(gmem_read(f->gm, 0x180000, back, sizeof(back)));
    g_assert_cmpmem(back, sizeof(back), in, sizeof(back));
    /* The 1-byte store path (a polled status byte). */
    g_assert_true(gmem_write(f->gm, 0x1fffff, &b, 1));
    check_ram(f, 0x1fffff, &b, 1);
    /* All in bucket 1: mapped once, then served from the cache. */
    g_assert_cmpuint(stats(f).maps, ==, 1);
    g_assert_cmpuint(stats(f).buckets, ==, 1);
    g_assert_true(gmem_read(f->gm, 0x100000, back, 0));
    g_assert_cmpuint(stats(f).failures, ==, 0);
}

static void test_cross_bucket(Fixture *f, gconstpointer data)
{
    size_t len = 3 * MIB;
    uint64_t gpa = MIB - 100;
    g_autofree uint8_t *out = pattern(len, 3);
    g_autofree uint8_t *in = pattern(XEN_GMEM_MAX_DMA, 4);
    g_autofree uint8_t *back = g_malloc(XEN_GMEM_MAX_DMA + 1);

    g_assert_true(gmem_write(f->gm, gpa, out, len));
    check_ram(f, gpa, out, len);
    g_assert_cmpuint(stats(f).maps, ==, 4);
    g_assert_true(gmem_read(f->gm, gpa, back, len));
    g_assert_cmpmem(back, len, out, len);
    g_assert_cmpuint(stats(f).maps, ==, 4);
    /* The largest DMA, unaligned: 17 buckets at once. */
    g_assert_true(
        xensim_memwrite(f->sim, DOM, 20 * MIB + 4, in, XEN_GMEM_MAX_DMA));
    g_assert_true(gmem_read(f->gm, 20 * MIB + 4, back, XEN_GMEM_MAX_DMA));
    g_assert_cmpmem(back, XEN_GMEM_MAX_DMA, in, XEN_GMEM_MAX_DMA);
    g_assert_cmpuint(stats(f).buckets, ==, 4 + 17);
    /* One byte more is refused outright. */
    g_assert_false(gmem_read(f->gm, 20 * MIB, back, XEN_GMEM_MAX_DMA + 1));
    g_assert_cmpuint(stats(f).failures, ==, 1);
}

/* A page Xen refuses fails the whole DMA before anything is copied. */
static void test_page_error(Fixture *f, gconstpointer data)
{
    uint64_t gpa = 5 * MIB - 2048, bad = 5 * MIB + 4096;
    g_autofree uint8_t *zero = g_malloc0(3 * 4096);
    g_autofree uint8_t *out = pattern(3 * 4096, 5);
    uint8_t back[3 * 4096];

    xensim_set_page_error(f->sim, DOM, bad >> 12, 1, EINVAL);
    g_assert_false(gmem_write(f->gm, gpa, out, sizeof(back)));
    check_ram(f, gpa, zero, sizeof(back));
    g_assert_false(gmem_read(f->gm, gpa, back, sizeof(back)));
    g_assert_cmpuint(stats(f).failures, ==, 2);
    /* Other pages of the same bucket are fine. */
    g_assert_true(gmem_write(f->gm, 5 * MIB + 3 * 4096, out, 4096));
    check_ram(f, 5 * MIB + 3 * 4096, out, 4096);
    /* The guest populated it again: the bucket is remapped. */
    xensim_set_page_error(f->sim, DOM, bad >> 12, 1, 0);
    g_assert_true(gmem_write(f->gm, gpa, out, sizeof(back)));
    check_ram(f, gpa, out, sizeof(back));
    g_assert_true(gmem_read(f->gm, gpa, back, sizeof(back)));
    g_assert_cmpmem(back, sizeof(back), out, sizeof(back));
}

/* INVALIDATE drops every mapping; the next access maps afresh. */
static void test_invalidate(Fixture *f, gconstpointer data)
{
    uint8_t v = 0x11, back;
    XenGmemStats s;

    g_assert_true(gmem_write(f->gm, 7 * MIB, &v, 1));
    g_assert_true(gmem_write(f->gm, 9 * MIB, &v, 1));
    xen_gmem_invalidate(f->gm);
    s = stats(f);
    g_assert_cmpuint(s.buckets, ==, 0);
    g_assert_cmpuint(s.unmaps, ==, 2);
    /* The page went away meanwhile: the last bucket used is not reused. */
    xensim_set_page_error(f->sim, DOM, (9 * MIB) >> 12, 1, EINVAL);
    g_assert_false(gmem_read(f->gm, 9 * MIB, &back, 1));
    xensim_set_page_error(f->sim, DOM, (9 * MIB) >> 12, 1, 0);
    g_assert_true(gmem_read(f->gm, 9 * MIB, &back, 1));
    g_assert_cmpuint(back, ==, v);
    /* Mapped with the hole, then again once the page was back. */
    g_assert_cmpuint(stats(f).maps, ==, s.maps + 2);
}

/* At most XEN_GMEM_MAX_BUCKETS mappings; the least recently used goes. */
static void test_evict(Fixture *f, gconstpointer data)
{
    unsigned extra = 6, i;
    uint8_t v;
    XenGmemStats s;

    for (i = 0; i < XEN_GMEM_MAX_BUCKETS + extra; i++) {
        v = (uint8_t)i;
        g_assert_true(gmem_write(f->gm, (uint64_t)i * MIB + 8, &v, 1));
    }
    s = stats(f);
    g_assert_cmpuint(s.buckets, ==, XEN_GMEM_MAX_BUCKETS);
    g_assert_cmpuint(s.unmaps, ==, extra);
    /* The newest is cached; the oldest was evicted and maps again. */
    g_assert_true(gmem_read(f->gm, (uint64_t)(i - 1) * MIB + 8, &v, 1));
    g_assert_cmpuint(v, ==, (uint8_t)(i - 1));
    g_assert_cmpuint(stats(f).maps, ==, s.maps);
    g_assert_true(gmem_read(f->gm, 8, &v, 1));
    g_assert_cmpuint(v, ==, 0);
    g_assert_cmpuint(stats(f).maps, ==, s.maps + 1);
    g_assert_cmpuint(stats(f).buckets, ==, XEN_GMEM_MAX_BUCKETS);
}

/* Beyond RAM and beyond any physical address: DMA errors. */
static void test_limits(Fixture *f, gconstpointer data)
{
    uint8_t buf[64] = {0};

    g_assert_false(gmem_read(f->gm, RAM, buf, sizeof(buf)));
    g_assert_false(gmem_write(f->gm, RAM - 32, buf, sizeof(buf)));
    g_assert_false(gmem_read(f->gm, 1ULL << 52, buf, sizeof(buf)));
    g_assert_false(gmem_read(f->gm, (1ULL << 52) - 32, buf, sizeof(buf)));
    g_assert_cmpuint(stats(f).failures, ==, 4);
    g_assert_true(gmem_read(f->gm, RAM - sizeof(buf), buf, sizeof(buf)));
}

/* Log-dirty mode reports the pages DMA wrote, merged, once. */
static void test_dirty(Fixture *f, gconstpointer data)
{
    g_autofree uint8_t *out = pattern(2 * 4096, 6);

    xen_gmem_set_dirty_log(f->gm, f->dmod, true);
    g_assert_true(gmem_write(f->gm, 11 * MIB + 100, out, 2 * 4096));
    g_assert_true(gmem_read(f->gm, 12 * MIB, out, 4096));
    xen_gmem_set_dirty_log(f->gm, f->dmod, false);
    g_assert_cmpuint(stats(f).dirty_reports, ==, 1);
    for (unsigned i = 0; i < 3; i++) {
        g_assert_true(
            xensim_page_modified(f->sim, DOM, ((11 * MIB) >> 12) + i));
    }
    g_assert_false(xensim_page_modified(f->sim, DOM, ((11 * MIB) >> 12) + 3));
    g_assert_false(xensim_page_modified(f->sim, DOM, (12 * MIB) >> 12));
}

static void add(const char *path, void (*fn)(Fixture *, gconstpointer))
{
    g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    add("/xen-gmem/basic", test_basic);
    add("/xen-gmem/cross-bucket", test_cross_bucket);
    add("/xen-gmem/page-error", test_page_error);
    add("/xen-gmem/invalidate", test_invalidate);
    add("/xen-gmem/evict", test_evict);
    add("/xen-gmem/limits", test_limits);
    add("/xen-gmem/dirty", test_dirty);
    return g_test_run();
}
