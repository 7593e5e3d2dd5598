/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Deferred completion on the IoBus (include/emunet/iobus.h): only an
 * armed access that reaches its handler whole may be deferred, the
 * arming covers one access, and the transport's `done` gets the value
 * when the device completes.
 */
#include <glib.h>

#include "emunet/iobus.h"

/* A register that defers every access it may. */
typedef struct Dev {
    IoBus *bus;
    IoDeferred *held;
    unsigned calls;
} Dev;

static uint64_t dev_read(void *opaque, hwaddr offset, unsigned size)
{
    Dev *d = opaque;

    d->calls++;
    g_assert_null(d->held);
    d->held = iobus_defer(d->bus);
    /* A second call in the same access gets nothing. */
    g_assert_null(iobus_defer(d->bus));
    return 0x1234;
}

static void dev_write(void *opaque, hwaddr offset, uint64_t value,
                      unsigned size)
{
    dev_read(opaque, offset, size);
}

static const IoOps dev_ops = {
    .name = "defer",
    .read = dev_read,
    .write = dev_write,
    .min_access = 1,
    .max_access = 2,
};

/* The transport's side. */
typedef struct Done {
    unsigned calls;
    uint64_t value;
} Done;

static void done_fn(void *opaque, uint64_t value)
{
    Done *dn = opaque;

    dn->calls++;
    dn->value = value;
}

typedef struct Fixture {
    IoBus *bus;
    Dev dev;
    Done done;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
    f->bus = iobus_new();
    f->dev.bus = f->bus;
    g_assert_true(
        iobus_map(f->bus, IO_SPACE_PIO, 0x10, 4, &dev_ops, &f->dev, NULL));
}

static void teardown(Fixture *f, gconstpointer data)
{
    g_assert_null(f->dev.held);
    iobus_free(f->bus);
}

static void test_unarmed(Fixture *f, gconstpointer data)
{
    g_assert_cmphex(iobus_read(f->bus, IO_SPACE_PIO, 0x10, 2), ==, 0x1234);
    g_assert_null(f->dev.held);
    iobus_write(f->bus, IO_SPACE_PIO, 0x12, 5, 1);
    g_assert_null(f->dev.held);
    g_assert_false(iobus_defer_disarm(f->bus));
}

static void test_read(Fixture *f, gconstpointer data)
{
    iobus_defer_arm(f->bus, done_fn, &f->done);
    iobus_read(f->bus, IO_SPACE_PIO, 0x10, 2);
    g_assert_true(iobus_defer_disarm(f->bus));
    g_assert_nonnull(f->dev.held);
    g_assert_cmpuint(f->done.calls, ==, 0);
    iobus_complete(g_steal_pointer(&f->dev.held), 0x49d2);
    g_assert_cmpuint(f->done.calls, ==, 1);
    g_assert_cmphex(f->done.value, ==, 0x49d2);
    /* Disarmed: the next access is answered at once. */
    g_assert_cmphex(iobus_read(f->bus, IO_SPACE_PIO, 0x10, 1), ==, 0x34);
    g_assert_null(f->dev.held);
}

static void test_write(Fixture *f, gconstpointer data)
{
    iobus_defer_arm(f->bus, done_fn, &f->done);
    iobus_write(f->bus, IO_SPACE_PIO, 0x12, 3, 2);
    g_assert_true(iobus_defer_disarm(f->bus));
    iobus_complete(g_steal_pointer(&f->dev.held), 0);
    g_assert_cmpuint(f->done.calls, ==, 1);
}

/* Split (4 bytes on a 2-byte register) or misaligned: never deferred. */
static void test_split(Fixture *f, gconstpointer data)
{
    iobus_defer_arm(f->bus, done_fn, &f->done);
    g_assert_cmphex(iobus_read(f->bus, IO_SPACE_PIO, 0x10, 4), ==, 0x12341234);
    g_assert_false(iobus_defer_disarm(f->bus));
    g_assert_cmpuint(f->dev.calls, ==, 2);
    iobus_defer_arm(f->bus, done_fn, &f->done);
    iobus_write(f->bus, IO_SPACE_PIO, 0x11, 7, 2);
    g_assert_false(iobus_defer_disarm(f->bus));
    g_assert_null(f->dev.held);
    g_assert_cmpuint(f->done.calls, ==, 0);
}

/* The arming is used up by the first access, even an unassigned one. */
static void test_one_access(Fixture *f, gconstpointer data)
{
    iobus_defer_arm(f->bus, done_fn, &f->done);
    g_assert_cmphex(iobus_read(f->bus, IO_SPACE_PIO, 0x80, 1), ==, 0xff);
    iobus_read(f->bus, IO_SPACE_PIO, 0x10, 2);
    g_assert_null(f->dev.held);
    g_assert_false(iobus_defer_disarm(f->bus));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/iobus-defer/unarmed", Fixture, NULL, setup, test_unarmed,
               teardown);
    g_test_add("/iobus-defer/read", Fixture, NULL, setup, test_read, teardown);
    g_test_add("/iobus-defer/write", Fixture, NULL, setup, test_write,
               teardown);
    g_test_add("/iobus-defer/split", Fixture, NULL, setup, test_split,
               teardown);
    g_test_add("/iobus-defer/one-access", Fixture, NULL, setup, test_one_access,
               teardown);
    return g_test_run();
}
