/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Xen ioreq emulation (xen/ioreq-dispatch.c) on hand-built ioreq_t
 * values, against a real IoBus, flat guest RAM and a PCI bus with one
 * function: port I/O, MMIO (COPY), PCI_CONFIG, INVALIDATE and TIMEOFFSET;
 * rep counts, data_is_ptr in both directions with df both ways, masking
 * to size, unclaimed and partly claimed addresses, DMA errors, and bad
 * types, sizes, counts and slot states answered safely.
 */
#include <glib.h>

#include "emunet/log.h"
#include "emunet/pci.h"
#include "hw/pci/pci_regs.h"
#include "xen/ioreq-dispatch.h"

#define RAM_SIZE 0x10000
#define PIO_BASE 0x1000
#define PIO_LEN 0x20
#define PIO_OTHER 0x2000 /* on the IoBus, not claimed from Xen */
#define MMIO_BASE 0xf0000000ULL
#define MMIO_LEN 0x100
#define MMIO_OTHER 0xf0001000ULL
#define FIFO_OFF 0x10 /* reads count up, writes are logged */
#define DEVFN PCI_DEVFN(3, 0)
#define VENDOR 0x1234
#define DEVICE 0x5678

typedef struct Reg {
    uint8_t store[MMIO_LEN];
    unsigned reads;
    unsigned writes;
    uint64_t fifo_next;
    GArray *fifo_log; /* uint64_t written at FIFO_OFF */
} Reg;

typedef struct Fixture {
    IoBus *io;
    uint8_t *ram;
    GuestMem *mem;
    PciBus *bus;
    PciDevice dev;
    Reg pio;
    Reg mmio;
    Reg other;
    IoreqRanges ranges;
    uint32_t owned[256 / 32];
    IoreqDispatch d;
    unsigned invalidates;
} Fixture;

static uint64_t reg_read(void *opaque, hwaddr offset, unsigned size)
{
    Reg *r = opaque;
    uint64_t v = 0;

    r->reads++;
    if (offset == FIFO_OFF) {
        return r->fifo_next++;
    }
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)r->store[offset + i] << (8 * i);
    }
    return v;
}

static void reg_write(void *opaque, hwaddr offset, uint64_t value,
                      unsigned size)
{
    Reg *r = opaque;

    r->writes++;
    if (offset == FIFO_OFF) {
        g_array_append_val(r->fifo_log, value);
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        r->store[offset + i] = (uint8_t)(value >> (8 * i));
    }
}

static const IoOps pio_ops = {"test-pio", reg_read, reg_write, 1, 4};
static const IoOps mmio_ops = {"test-mmio", reg_read, reg_write, 1, 8};

static void dev_reset(PciDevice *dev)
{
}

static void dev_destroy(PciDevice *dev)
{
}

static const PciDeviceOps dev_ops = {
    .reset = dev_reset,
    .destroy = dev_destroy,
};

static void on_invalidate(void *opaque)
{
    Fixture *f = opaque;

    f->invalidates++;
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    static const PciIdent ident = {
        .vendor_id = VENDOR,
        .device_id = DEVICE,
        .class_code = 0x020000,
        .interrupt_pin = 1,
    };
    GError *err = NULL;

    f->io = iobus_new();
    f->ram = g_malloc0(RAM_SIZE);
    f->mem = gmem_flat_new(f->ram, RAM_SIZE, f->io);
    f->bus = pci_bus_new(f->io, f->mem, NULL);
    pci_device_init(&f->dev, &dev_ops, &ident, "testnic");
    g_assert_true(pci_bus_attach(f->bus, &f->dev, DEVFN, &err));
    g_assert_no_error(err);
    f->pio.fifo_log = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    f->mmio.fifo_log = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    f->other.fifo_log = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    g_assert_true(iobus_map(f->io, IO_SPACE_PIO, PIO_BASE, PIO_LEN, &pio_ops,
                            &f->pio, NULL));
    g_assert_true(iobus_map(f->io, IO_SPACE_MMIO, MMIO_BASE, MMIO_LEN,
                            &mmio_ops, &f->mmio, NULL));
    g_assert_true(iobus_map(f->io, IO_SPACE_PIO, PIO_OTHER, PIO_LEN, &pio_ops,
                            &f->other, NULL));
    g_assert_true(iobus_map(f->io, IO_SPACE_MMIO, MMIO_OTHER, MMIO_LEN,
                            &mmio_ops, &f->other, NULL));
    ioreq_ranges_init(&f->ranges);
    g_assert_true(
        ioreq_ranges_add(&f->ranges, IO_SPACE_PIO, PIO_BASE, PIO_LEN));
    g_assert_true(
        ioreq_ranges_add(&f->ranges, IO_SPACE_MMIO, MMIO_BASE, MMIO_LEN));
    f->owned[DEVFN / 32] |= 1u << (DEVFN % 32);
    f->d = (IoreqDispatch){
        .iobus = f->io,
        .pci = f->bus,
        .mem = f->mem,
        .ranges = &f->ranges,
        .owned_devfns = f->owned,
        .invalidate = on_invalidate,
        .opaque = f,
    };
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    ioreq_ranges_destroy(&f->ranges);
    pci_bus_free(f->bus);
    gmem_free(f->mem);
    iobus_free(f->io);
    g_array_free(f->pio.fifo_log, TRUE);
    g_array_free(f->mmio.fifo_log, TRUE);
    g_array_free(f->other.fifo_log, TRUE);
    g_free(f->ram);
}

static ioreq_t mkreq(unsigned type, unsigned dir, uint64_t addr,
                     uint64_t data, unsigned size, unsigned count)
{
    ioreq_t r;

    memset(&r, 0, sizeof(r));
    r.type = type;
    r.dir = dir;
    r.addr = addr;
    r.data = data;
    r.size = size;
    r.count = count;
    r.state = STATE_IOREQ_INPROCESS;
    return r;
}

/* PCI_CONFIG addr: SBDF in bits 63..32, register in 31..0 (ioreq.h). */
#define CFG_ADDR(seg, bus, devfn, reg)                                        \
    (((((uint64_t)(seg) << 16) | ((uint64_t)(bus) << 8) | (devfn)) << 32) |   \
     (uint64_t)(reg))

static uint64_t cfg_addr(unsigned seg, unsigned bus, unsigned devfn,
                         unsigned reg)
{
    return CFG_ADDR(seg, bus, devfn, reg);
}

static uint64_t fifo_at(Reg *r, guint i)
{
    return g_array_index(r->fifo_log, uint64_t, i);
}

/* ---- port I/O ---- */

static void test_pio_write_masks(Fixture *f, gconstpointer data)
{
    ioreq_t r = mkreq(IOREQ_TYPE_PIO, IOREQ_WRITE, PIO_BASE + 4,
                      0xdeadbeefcafe1234ULL, 2, 1);

    f->pio.store[6] = 0x77;
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DONE);
    g_assert_cmphex(f->pio.store[4], ==, 0x34);
    g_assert_cmphex(f->pio.store[5], ==, 0x12);
    /* Bits above size never reach the device. */
    g_assert_cmphex(f->pio.store[6], ==, 0x77);
    g_assert_cmpuint(f->pio.writes, ==, 1);

    r = mkreq(IOREQ_TYPE_PIO, IOREQ_WRITE, PIO_BASE + 8, 0xffffff5a, 1, 1);
    ioreq_dispatch(&f->d, &r);
    g_assert_cmphex(f->pio.store[8], ==, 0x5a);
    g_assert_cmphex(f->pio.store[9], ==, 0);
}

static void test_pio_read(Fixture *f, gconstpointer data)
{
    ioreq_t r = mkreq(IOREQ_TYPE_PIO, IOREQ_READ, PIO_BASE, 0, 4, 1);

    memcpy(f->pio.store, "\x11\x22\x33\x44\x55", 5);
    /* Stale bits in data must not survive a narrower read. */
    r.data = 0xffffffffffffffffULL;
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DONE);
    g_assert_cmphex(r.data, ==, 0x44332211);

    r = mkreq(IOREQ_TYPE_PIO, IOREQ_READ, PIO_BASE + 1, ~0ULL, 1, 1);
    ioreq_dispatch(&f->d, &r);
    g_assert_cmphex(r.data, ==, 0x22);
}

static void test_pio_unclaimed(Fixture *f, gconstpointer data)
{
    ioreq_t r = mkreq(IOREQ_TYPE_PIO, IOREQ_READ, PIO_OTHER, 0, 2, 1);

    /* On the IoBus but not ours in Xen: never reaches the device. */
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_UNCLAIMED);
    g_assert_cmphex(r.data, ==, 0xffff);
    r = mkreq(IOREQ_TYPE_PIO, IOREQ_WRITE, PIO_OTHER, 0x55, 1, 1);
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_UNCLAIMED);
    g_assert_cmpuint(f->other.reads + f->other.writes, ==, 0);

    /* Straddling the end of a claimed range is not contained. */
    r = mkreq(IOREQ_TYPE_PIO, IOREQ_READ, PIO_BASE + PIO_LEN - 2, 0, 4, 1);
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_UNCLAIMED);
    g_assert_cmphex(r.data, ==, 0xffffffff);
    g_assert_cmpuint(f->pio.reads, ==, 0);
}

static void test_pio_released_in_flight(Fixture *f, gconstpointer data)
{
    ioreq_t r = mkreq(IOREQ_TYPE_PIO, IOREQ_WRITE, PIO_BASE, 0x99, 1, 1);

    /* The BAR moved away while Xen had this request queued. */
    g_assert_true(
        ioreq_ranges_remove(&f->ranges, IO_SPACE_PIO, PIO_BASE, PIO_LEN));
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_UNCLAIMED);
    g_assert_cmpuint(f->pio.writes, ==, 0);
    g_assert_cmphex(f->pio.store[0], ==, 0);
}

static void test_pio_rep_in(Fixture *f, gconstpointer data)
{
    bool df = GPOINTER_TO_INT(data);
    hwaddr buf = df ? 0x206 : 0x200;
    ioreq_t r = mkreq(IOREQ_TYPE_PIO, IOREQ_READ, PIO_BASE + FIFO_OFF, buf,
                      2, 4);

    r.data_is_ptr = 1;
    r.df = df;
    f->pio.fifo_next = 0x100;
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DONE);
    /* The port does not step; the buffer does, down when df. */
    g_assert_cmpuint(f->pio.reads, ==, 4);
    for (unsigned i = 0; i < 4; i++) {
        hwaddr at = df ? buf - 2 * i : buf + 2 * i;

        g_assert_cmphex(ld16_le(f->ram + at), ==, 0x100 + i);
    }
    /* data is the buffer address, untouched. */
    g_assert_cmphex(r.data, ==, buf);
}

static void test_pio_rep_out(Fixture *f, gconstpointer data)
{
    bool df = GPOINTER_TO_INT(data);
    hwaddr buf = 0x300;
    ioreq_t r = mkreq(IOREQ_TYPE_PIO, IOREQ_WRITE, PIO_BASE + FIFO_OFF, buf,
                      4, 3);

    r.data_is_ptr = 1;
    r.df = df;
    for (unsigned i = 0; i < 5; i++) {
        st32_le(f->ram + 0x2f8 + 4 * i, 0xa0 + i);
    }
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DONE);
    g_assert_cmpuint(f->pio.fifo_log->len, ==, 3);
    for (unsigned i = 0; i < 3; i++) {
        /* 0x300 holds 0xa2; neighbours below and above. */
        g_assert_cmphex(fifo_at(&f->pio, i), ==, df ? 0xa2 - i : 0xa2 + i);
    }
}

static void test_pio_count_without_ptr(Fixture *f, gconstpointer data)
{
    ioreq_t r = mkreq(IOREQ_TYPE_PIO, IOREQ_READ, PIO_BASE + FIFO_OFF, 0, 1,
                      5);

    /* A port access without a buffer is one access (as QEMU). */
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DONE);
    g_assert_cmpuint(f->pio.reads, ==, 1);
}

static void test_pio_rep_dma_error(Fixture *f, gconstpointer data)
{
    /* Elements 0 and 1 are RAM, element 2 starts past its end. */
    ioreq_t r = mkreq(IOREQ_TYPE_PIO, IOREQ_WRITE, PIO_BASE + FIFO_OFF,
                      RAM_SIZE - 8, 4, 4);

    r.data_is_ptr = 1;
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DMA_ERROR);
    g_assert_cmpuint(f->pio.fifo_log->len, ==, 2);

    /* IN into memory that does not exist: the device is read once. */
    r = mkreq(IOREQ_TYPE_PIO, IOREQ_READ, PIO_BASE + FIFO_OFF,
              0x7fff00000000ULL, 4, 4);
    r.data_is_ptr = 1;
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DMA_ERROR);
    g_assert_cmpuint(f->pio.reads, ==, 1);

    /* A buffer on a device's MMIO is refused by GuestMem. */
    r = mkreq(IOREQ_TYPE_PIO, IOREQ_READ, PIO_BASE, MMIO_BASE, 4, 1);
    r.data_is_ptr = 1;
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DMA_ERROR);
    g_assert_cmpuint(f->mmio.writes, ==, 0);
}

/* ---- MMIO (COPY) ---- */

static void test_copy_single(Fixture *f, gconstpointer data)
{
    ioreq_t r = mkreq(IOREQ_TYPE_COPY, IOREQ_WRITE, MMIO_BASE + 0x20,
                      0x0123456789abcdefULL, 8, 1);

    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DONE);
    g_assert_cmphex(ld64_le(f->mmio.store + 0x20), ==, 0x0123456789abcdefULL);

    r = mkreq(IOREQ_TYPE_COPY, IOREQ_WRITE, MMIO_BASE + 0x30,
              0x0123456789abcdefULL, 4, 1);
    ioreq_dispatch(&f->d, &r);
    g_assert_cmphex(ld64_le(f->mmio.store + 0x30), ==, 0x89abcdefULL);

    r = mkreq(IOREQ_TYPE_COPY, IOREQ_READ, MMIO_BASE + 0x20, ~0ULL, 2, 1);
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DONE);
    g_assert_cmphex(r.data, ==, 0xcdef);

    r = mkreq(IOREQ_TYPE_COPY, IOREQ_READ, MMIO_BASE + 0x20, 0, 8, 1);
    ioreq_dispatch(&f->d, &r);
    g_assert_cmphex(r.data, ==, 0x0123456789abcdefULL);
}

static void test_copy_rep_stos(Fixture *f, gconstpointer data)
{
    bool df = GPOINTER_TO_INT(data);
    ioreq_t r = mkreq(IOREQ_TYPE_COPY, IOREQ_WRITE, MMIO_BASE + 0x40,
                      0xffffffff5aa5c33cULL, 4, 4);

    r.df = df;
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DONE);
    g_assert_cmpuint(f->mmio.writes, ==, 4);
    for (unsigned i = 0; i < 4; i++) {
        hwaddr off = df ? 0x40 - 4 * i : 0x40 + 4 * i;

        g_assert_cmphex(ld32_le(f->mmio.store + off), ==, 0x5aa5c33c);
    }
    /* Nothing beyond the four elements. */
    g_assert_cmphex(ld32_le(f->mmio.store + (df ? 0x30 : 0x50)), ==, 0);
}

static void test_copy_rep_read_keeps_last(Fixture *f, gconstpointer data)
{
    ioreq_t r = mkreq(IOREQ_TYPE_COPY, IOREQ_READ, MMIO_BASE, 0, 1, 3);

    memcpy(f->mmio.store, "\x01\x02\x03\x04", 4);
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DONE);
    g_assert_cmpuint(f->mmio.reads, ==, 3);
    g_assert_cmphex(r.data, ==, 0x03);
}

static void test_copy_ptr(Fixture *f, gconstpointer data)
{
    bool df = GPOINTER_TO_INT(data);
    ioreq_t r;

    /* RAM -> MMIO, both sides stepping the same way. */
    for (unsigned i = 0; i < 8; i++) {
        st64_le(f->ram + 0x1000 + 8 * i, 0x1111111111111111ULL * (i + 1));
    }
    r = mkreq(IOREQ_TYPE_COPY, IOREQ_WRITE, MMIO_BASE + 0x80, 0x1018, 8, 3);
    r.data_is_ptr = 1;
    r.df = df;
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DONE);
    for (unsigned i = 0; i < 3; i++) {
        hwaddr mo = df ? 0x80 - 8 * i : 0x80 + 8 * i;
        unsigned src = df ? 3 - i : 3 + i;

        g_assert_cmphex(ld64_le(f->mmio.store + mo), ==,
                        0x1111111111111111ULL * (src + 1));
    }

    /* MMIO -> RAM. */
    r = mkreq(IOREQ_TYPE_COPY, IOREQ_READ, MMIO_BASE + 0x80, 0x2000, 8, 3);
    r.data_is_ptr = 1;
    r.df = df;
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DONE);
    for (unsigned i = 0; i < 3; i++) {
        hwaddr mo = df ? 0x80 - 8 * i : 0x80 + 8 * i;
        hwaddr ro = df ? 0x2000 - 8 * i : 0x2000 + 8 * i;

        g_assert_cmphex(ld64_le(f->ram + ro), ==,
                        ld64_le(f->mmio.store + mo));
    }
    g_assert_cmphex(r.data, ==, 0x2000);
}

static void test_copy_partly_claimed(Fixture *f, gconstpointer data)
{
    /* Element 0 is the range's last dword, element 1 is past it. */
    ioreq_t r = mkreq(IOREQ_TYPE_COPY, IOREQ_WRITE,
                      MMIO_BASE + MMIO_LEN - 4, 0x12345678, 4, 2);

    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_UNCLAIMED);
    g_assert_cmpuint(f->mmio.writes, ==, 1);
    g_assert_cmphex(ld32_le(f->mmio.store + MMIO_LEN - 4), ==, 0x12345678);

    /* Unclaimed MMIO on the IoBus stays untouched. */
    r = mkreq(IOREQ_TYPE_COPY, IOREQ_READ, MMIO_OTHER, 0, 8, 1);
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_UNCLAIMED);
    g_assert_cmphex(r.data, ==, ~0ULL);
    g_assert_cmpuint(f->other.reads, ==, 0);
}

static void test_copy_wrap(Fixture *f, gconstpointer data)
{
    /* df stepping below 0 wraps: those elements are nobody's. */
    ioreq_t r = mkreq(IOREQ_TYPE_COPY, IOREQ_WRITE, 4, 0x1, 4, 4);

    r.df = 1;
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_UNCLAIMED);
    r = mkreq(IOREQ_TYPE_COPY, IOREQ_READ, 4, 0xfffffffffffffff8ULL, 8, 4);
    r.data_is_ptr = 1;
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DMA_ERROR);
}

/* ---- PCI_CONFIG ---- */

static void test_config_read(Fixture *f, gconstpointer data)
{
    ioreq_t r = mkreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_READ,
                      cfg_addr(0, 0, DEVFN, PCI_VENDOR_ID), 0, 4, 1);

    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DONE);
    g_assert_cmphex(r.data, ==, (DEVICE << 16) | VENDOR);

    r = mkreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_READ,
              cfg_addr(0, 0, DEVFN, PCI_DEVICE_ID), ~0ULL, 2, 1);
    ioreq_dispatch(&f->d, &r);
    g_assert_cmphex(r.data, ==, DEVICE);

    /* The byte offset within the dword is in the low bits (CF8|port&3). */
    r = mkreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_READ,
              cfg_addr(0, 0, DEVFN, PCI_VENDOR_ID + 1), 0, 1, 1);
    ioreq_dispatch(&f->d, &r);
    g_assert_cmphex(r.data, ==, VENDOR >> 8);

    r = mkreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_READ,
              cfg_addr(0, 0, DEVFN, PCI_INTERRUPT_PIN), 0, 1, 1);
    ioreq_dispatch(&f->d, &r);
    g_assert_cmphex(r.data, ==, 1);
}

static void test_config_write(Fixture *f, gconstpointer data)
{
    ioreq_t r = mkreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_WRITE,
                      cfg_addr(0, 0, DEVFN, PCI_INTERRUPT_LINE), 0xab0b, 1,
                      1);
    uint16_t status = ld16_le(f->dev.config + PCI_STATUS);

    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DONE);
    g_assert_cmphex(f->dev.config[PCI_INTERRUPT_LINE], ==, 0x0b);
    /* The pin next to it is read-only and was not in the access. */
    g_assert_cmphex(f->dev.config[PCI_INTERRUPT_PIN], ==, 1);

    r = mkreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_WRITE,
              cfg_addr(0, 0, DEVFN, PCI_COMMAND), 0xffff0002, 2, 1);
    ioreq_dispatch(&f->d, &r);
    g_assert_cmphex(ld16_le(f->dev.config + PCI_COMMAND), ==, 0x0002);
    /* STATUS (write-1-to-clear) saw nothing of the high bits. */
    g_assert_cmphex(ld16_le(f->dev.config + PCI_STATUS), ==, status);
}

static void test_config_not_ours(Fixture *f, gconstpointer data)
{
    static const struct {
        unsigned seg, bus, devfn;
    } others[] = {
        {0, 0, PCI_DEVFN(4, 0)}, /* empty slot */
        {0, 0, PCI_DEVFN(3, 1)}, /* another function */
        {0, 1, DEVFN},           /* another bus */
        {1, 0, DEVFN},           /* another segment */
    };

    for (size_t i = 0; i < G_N_ELEMENTS(others); i++) {
        ioreq_t r = mkreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_READ,
                          cfg_addr(others[i].seg, others[i].bus,
                                   others[i].devfn, 0),
                          0, 4, 1);

        g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==,
                        IOREQ_RESULT_UNCLAIMED);
        g_assert_cmphex(r.data, ==, 0xffffffff);
        r = mkreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_WRITE,
                  cfg_addr(others[i].seg, others[i].bus, others[i].devfn,
                           PCI_COMMAND),
                  7, 2, 1);
        ioreq_dispatch(&f->d, &r);
    }
    /* The function on the bus but not registered is out of reach too. */
    f->owned[DEVFN / 32] = 0;
    {
        ioreq_t r = mkreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_WRITE,
                          cfg_addr(0, 0, DEVFN, PCI_COMMAND), 7, 2, 1);

        g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==,
                        IOREQ_RESULT_UNCLAIMED);
    }
    g_assert_cmphex(ld16_le(f->dev.config + PCI_COMMAND), ==, 0);
}

static void test_config_extended(Fixture *f, gconstpointer data)
{
    static const uint32_t regs[] = {0x100, 0xffc, 0xfe, 0xfffffffe};
    uint8_t before[PCI_CONFIG_SIZE];

    memcpy(before, f->dev.config, sizeof(before));
    for (size_t i = 0; i < G_N_ELEMENTS(regs); i++) {
        ioreq_t r = mkreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_READ,
                          cfg_addr(0, 0, DEVFN, regs[i]), 0, 4, 1);

        /* Beyond conventional space (or crossing its end): all-ones. */
        g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DONE);
        g_assert_cmphex(r.data, ==, 0xffffffff);
        r = mkreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_WRITE,
                  cfg_addr(0, 0, DEVFN, regs[i]), 0, 4, 1);
        ioreq_dispatch(&f->d, &r);
    }
    g_assert_cmpmem(before, sizeof(before), f->dev.config, sizeof(before));
}

/* ---- broadcasts and bad requests ---- */

static void test_invalidate(Fixture *f, gconstpointer data)
{
    ioreq_t r = mkreq(IOREQ_TYPE_INVALIDATE, IOREQ_WRITE, 0, ~0ULL, 4, 1);

    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DONE);
    g_assert_cmpuint(f->invalidates, ==, 1);
    /* Whatever the other fields say, it is only an invalidation. */
    r = mkreq(IOREQ_TYPE_INVALIDATE, IOREQ_READ, PIO_BASE, 0, 3, 0);
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_DONE);
    g_assert_cmpuint(f->invalidates, ==, 2);
    g_assert_cmpuint(f->pio.reads + f->pio.writes, ==, 0);

    r = mkreq(IOREQ_TYPE_TIMEOFFSET, IOREQ_WRITE, 0, 12345, 8, 1);
    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_IGNORED);
}

static void test_bad_requests(Fixture *f, gconstpointer data)
{
    static const struct {
        unsigned type, size, count, ptr;
        uint64_t addr;
        uint64_t want; /* data after a read */
    } bad[] = {
        {IOREQ_TYPE_PIO, 8, 1, 0, PIO_BASE, ~0ULL},
        {IOREQ_TYPE_PIO, 3, 1, 0, PIO_BASE, ~0ULL},
        {IOREQ_TYPE_PIO, 0, 1, 0, PIO_BASE, ~0ULL},
        {IOREQ_TYPE_COPY, 16, 1, 0, MMIO_BASE, ~0ULL},
        {IOREQ_TYPE_COPY, 0xffffffff, 1, 1, MMIO_BASE, 0x4000},
        {IOREQ_TYPE_COPY, 4, 0, 0, MMIO_BASE, 0xffffffff},
        {IOREQ_TYPE_COPY, 1, IOREQ_MAX_COUNT + 1, 1, MMIO_BASE, 0x4000},
        {IOREQ_TYPE_COPY, 8, 0xffffffff, 0, MMIO_BASE, ~0ULL},
        {IOREQ_TYPE_PCI_CONFIG, 8, 1, 0, CFG_ADDR(0, 0, DEVFN, 0), ~0ULL},
        {3 /* VMWARE_PORT */, 4, 1, 0, PIO_BASE, 0xffffffff},
        {0xff, 2, 1, 0, PIO_BASE, 0xffff},
        {0xff, 7, 1, 0, PIO_BASE, ~0ULL},
    };
    uint64_t errors = log_guest_error_count(LOG_XEN);

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        for (unsigned dir = 0; dir < 2; dir++) {
            ioreq_t r = mkreq(bad[i].type, dir, bad[i].addr, 0x4000,
                              bad[i].size, bad[i].count);

            r.data_is_ptr = bad[i].ptr;
            g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_BAD);
            /* Reads with a buffer keep its address; others get ones. */
            g_assert_cmphex(r.data, ==,
                            dir == IOREQ_READ ? bad[i].want : 0x4000);
        }
    }
    /* Nothing reached a device or guest RAM, and each was logged. */
    g_assert_cmpuint(f->pio.reads + f->pio.writes, ==, 0);
    g_assert_cmpuint(f->mmio.reads + f->mmio.writes, ==, 0);
    g_assert_cmphex(ld64_le(f->ram + 0x4000), ==, 0);
    g_assert_cmpuint(log_guest_error_count(LOG_XEN) - errors, ==,
                     2 * G_N_ELEMENTS(bad));
}

static void test_max_count(Fixture *f, gconstpointer data)
{
    /* Xen's own limit is accepted: 4096 bytes of rep stos. */
    ioreq_t r = mkreq(IOREQ_TYPE_COPY, IOREQ_WRITE, MMIO_BASE, 0xee, 1,
                      IOREQ_MAX_COUNT);

    g_assert_cmpint(ioreq_dispatch(&f->d, &r), ==, IOREQ_RESULT_UNCLAIMED);
    g_assert_cmpuint(f->mmio.writes, ==, MMIO_LEN);
    g_assert_cmphex(f->mmio.store[MMIO_LEN - 1], ==, 0xee);
}

/* ---- slot state machine ---- */

typedef struct SlotCtx {
    volatile ioreq_t *slot;
    unsigned calls;
    uint8_t state_seen;
    uint64_t data_seen;
} SlotCtx;

static void slot_handle(void *opaque, ioreq_t *req)
{
    SlotCtx *c = opaque;

    c->calls++;
    c->state_seen = c->slot->state;
    c->data_seen = req->data;
    /* Xen's copy changing under us must not matter: we have our own. */
    c->slot->data = 0xbad;
    req->data = 0x600d;
}

static void test_slot_states(void)
{
    ioreq_t page[2];
    SlotCtx c = {.slot = &page[0]};

    for (unsigned st = 0; st < 16; st++) {
        memset(page, 0, sizeof(page));
        page[0] = mkreq(IOREQ_TYPE_PIO, IOREQ_READ, PIO_BASE, 0x42, 1, 1);
        page[0].state = st;
        page[0].vp_eport = 17;
        c.calls = 0;
        if (st != STATE_IOREQ_READY) {
            ioreq_t before = page[0];

            /* Not READY: untouched, nothing emulated, no notify. */
            g_assert_false(ioreq_slot_serve(&page[0], slot_handle, &c));
            g_assert_cmpuint(c.calls, ==, 0);
            g_assert_cmpmem(&before, sizeof(before), &page[0],
                            sizeof(before));
            continue;
        }
        g_assert_true(ioreq_slot_serve(&page[0], slot_handle, &c));
        g_assert_cmpuint(c.calls, ==, 1);
        g_assert_cmpuint(c.state_seen, ==, STATE_IOREQ_INPROCESS);
        g_assert_cmphex(c.data_seen, ==, 0x42);
        g_assert_cmpuint(page[0].state, ==, STATE_IORESP_READY);
        g_assert_cmphex(page[0].data, ==, 0x600d);
        g_assert_cmpuint(page[0].vp_eport, ==, 17);
        /* The neighbouring vCPU's slot is not touched. */
        g_assert_cmpuint(page[1].state, ==, 0);
    }
}

static void test_slot_write_keeps_data(void)
{
    ioreq_t slot = mkreq(IOREQ_TYPE_PIO, IOREQ_WRITE, PIO_BASE, 0x42, 1, 1);
    SlotCtx c = {.slot = &slot};

    slot.state = STATE_IOREQ_READY;
    g_assert_true(ioreq_slot_serve(&slot, slot_handle, &c));
    g_assert_cmpuint(slot.state, ==, STATE_IORESP_READY);
    /* A write's data is not an answer: our copy is not written back. */
    g_assert_cmphex(slot.data, ==, 0xbad);
}

/* ---- ranges ---- */

static void test_ranges(void)
{
    IoreqRanges r;

    ioreq_ranges_init(&r);
    g_assert_false(ioreq_ranges_add(&r, IO_SPACE_MMIO, 0x1000, 0));
    g_assert_false(ioreq_ranges_add(&r, IO_SPACE_MMIO, ~0ULL, 2));
    g_assert_true(ioreq_ranges_add(&r, IO_SPACE_MMIO, ~0ULL - 0xf, 0x10));
    g_assert_true(ioreq_ranges_add(&r, IO_SPACE_MMIO, 0x1000, 0x100));
    g_assert_true(ioreq_ranges_contains(&r, IO_SPACE_MMIO, 0x1000, 0x100));
    g_assert_true(ioreq_ranges_contains(&r, IO_SPACE_MMIO, 0x10fc, 4));
    g_assert_false(ioreq_ranges_contains(&r, IO_SPACE_MMIO, 0x10fd, 4));
    g_assert_false(ioreq_ranges_contains(&r, IO_SPACE_MMIO, 0xfff, 2));
    g_assert_false(ioreq_ranges_contains(&r, IO_SPACE_MMIO, 0x1000, 0));
    g_assert_false(ioreq_ranges_contains(&r, IO_SPACE_PIO, 0x1000, 1));
    g_assert_true(ioreq_ranges_contains(&r, IO_SPACE_MMIO, ~0ULL - 7, 8));
    g_assert_false(ioreq_ranges_contains(&r, IO_SPACE_MMIO, ~0ULL - 7, 9));
    g_assert_false(ioreq_ranges_remove(&r, IO_SPACE_MMIO, 0x1000, 0x80));
    g_assert_true(ioreq_ranges_remove(&r, IO_SPACE_MMIO, 0x1000, 0x100));
    g_assert_false(ioreq_ranges_contains(&r, IO_SPACE_MMIO, 0x1000, 1));
    ioreq_ranges_destroy(&r);
}

#define ADD(path, fn, data)                                                   \
    g_test_add("/xen/ioreq/" path, Fixture, data, fixture_setup, fn,          \
               fixture_teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD("pio/write-masks-to-size", test_pio_write_masks, NULL);
    ADD("pio/read", test_pio_read, NULL);
    ADD("pio/unclaimed", test_pio_unclaimed, NULL);
    ADD("pio/released-in-flight", test_pio_released_in_flight, NULL);
    ADD("pio/rep-in-ptr", test_pio_rep_in, GINT_TO_POINTER(0));
    ADD("pio/rep-in-ptr-df", test_pio_rep_in, GINT_TO_POINTER(1));
    ADD("pio/rep-out-ptr", test_pio_rep_out, GINT_TO_POINTER(0));
    ADD("pio/rep-out-ptr-df", test_pio_rep_out, GINT_TO_POINTER(1));
    ADD("pio/count-without-ptr", test_pio_count_without_ptr, NULL);
    ADD("pio/rep-dma-error", test_pio_rep_dma_error, NULL);
    ADD("copy/single", test_copy_single, NULL);
    ADD("copy/rep-stos", test_copy_rep_stos, GINT_TO_POINTER(0));
    ADD("copy/rep-stos-df", test_copy_rep_stos, GINT_TO_POINTER(1));
    ADD("copy/rep-read-keeps-last", test_copy_rep_read_keeps_last, NULL);
    ADD("copy/ptr", test_copy_ptr, GINT_TO_POINTER(0));
    ADD("copy/ptr-df", test_copy_ptr, GINT_TO_POINTER(1));
    ADD("copy/partly-claimed", test_copy_partly_claimed, NULL);
    ADD("copy/wrap", test_copy_wrap, NULL);
    ADD("copy/max-count", test_max_count, NULL);
    ADD("config/read", test_config_read, NULL);
    ADD("config/write", test_config_write, NULL);
    ADD("config/not-ours", test_config_not_ours, NULL);
    ADD("config/extended", test_config_extended, NULL);
    ADD("invalidate", test_invalidate, NULL);
    ADD("bad", test_bad_requests, NULL);
    g_test_add_func("/xen/ioreq/slot/states", test_slot_states);
    g_test_add_func("/xen/ioreq/slot/write-keeps-data",
                    test_slot_write_keeps_data);
    g_test_add_func("/xen/ioreq/ranges", test_ranges);
    return g_test_run();
}
