/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PCI core and host bridge, driven through a real IoBus, flat guest RAM,
 * configuration mechanism #1 and a test function with an I/O BAR, a 32-bit
 * and a 64-bit memory BAR, an expansion ROM and two capabilities.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "emunet/log.h"
#include "emunet/pci.h"
#include "hw/pci/pci_regs.h"

#define DEVFN PCI_DEVFN(3, 0)
#define RAM_SIZE 0x10000
#define IO_SIZE 32
#define MEM32_SIZE 0x1000
#define MEM64_SIZE 0x4000
#define ROM_FILE_LEN 3000
#define ROM_SIZE 0x1000

#define IO_ADDR 0xc000
#define MEM32_ADDR 0xfebf0000u
#define MEM64_ADDR 0x100000000ULL
#define ROM_ADDR 0xfeb80000u

/* Power-on signature in the first dword of each BAR's backing store. */
#define SIG_IO 0x1000aaaau
#define SIG_MEM32 0x2000bbbbu
#define SIG_MEM64 0x3000ccccu

typedef struct TestBar {
    uint8_t *store;
    uint64_t size;
    unsigned reads;
    unsigned writes;
} TestBar;

typedef struct TestDev {
    PciDevice pci;
    TestBar bars[3];
    unsigned resets;
    unsigned config_writes;
    unsigned last_cw_offset;
    unsigned last_cw_size;
    uint8_t cap_pm;
    uint8_t cap_vndr;
} TestDev;

typedef struct MapEvent {
    IoSpace space;
    hwaddr base;
    hwaddr len;
    bool mapped;
} MapEvent;

typedef struct Fixture {
    IoBus *io;
    uint8_t *ram;
    GuestMem *mem;
    PciBus *bus;
    TestDev *dev;
    IrqLine intx;
    unsigned irq_edges;
    GArray *events;
    char *rom_path;
} Fixture;

static uint64_t test_bar_read(void *opaque, hwaddr offset, unsigned size)
{
    TestBar *bar = opaque;
    uint64_t val = 0;

    g_assert_cmpuint(offset + size, <=, bar->size);
    for (unsigned i = 0; i < size; i++) {
        val |= (uint64_t)bar->store[offset + i] << (8 * i);
    }
    bar->reads++;
    return val;
}

static void test_bar_write(void *opaque, hwaddr offset, uint64_t value,
                           unsigned size)
{
    TestBar *bar = opaque;

    g_assert_cmpuint(offset + size, <=, bar->size);
    for (unsigned i = 0; i < size; i++) {
        bar->store[offset + i] = value >> (8 * i);
    }
    bar->writes++;
}

static const IoOps test_bar_ops = {
    .name = "test-bar",
    .read = test_bar_read,
    .write = test_bar_write,
    .min_access = 1,
    .max_access = 4,
};

static void test_dev_reset(PciDevice *pci)
{
    TestDev *dev = (TestDev *)pci;

    dev->resets++;
}

static void test_dev_config_written(PciDevice *pci, unsigned offset,
                                    unsigned size)
{
    TestDev *dev = (TestDev *)pci;

    dev->config_writes++;
    dev->last_cw_offset = offset;
    dev->last_cw_size = size;
}

static void test_dev_destroy(PciDevice *pci)
{
    TestDev *dev = (TestDev *)pci;

    for (int i = 0; i < 3; i++) {
        g_free(dev->bars[i].store);
    }
    g_free(dev);
}

static const PciDeviceOps test_dev_ops = {
    .reset = test_dev_reset,
    .config_written = test_dev_config_written,
    .destroy = test_dev_destroy,
};

static const PciIdent test_ident = {
    .vendor_id = 0x1234,
    .device_id = 0x5678,
    .subsystem_vendor_id = 0x1af4,
    .subsystem_id = 0x1100,
    .revision = 0x03,
    .class_code = 0x020000,
    .interrupt_pin = 1,
};

static void test_bar_setup(TestBar *bar, uint64_t size, uint32_t sig)
{
    bar->size = size;
    bar->store = g_malloc0(size);
    st32_le(bar->store, sig);
}

/* A test function; rom_path NULL for none. Not attached. */
static TestDev *test_dev_new(const char *rom_path)
{
    TestDev *dev = g_new0(TestDev, 1);
    g_autoptr(GError) err = NULL;

    pci_device_init(&dev->pci, &test_dev_ops, &test_ident, "testdev");
    test_bar_setup(&dev->bars[0], IO_SIZE, SIG_IO);
    test_bar_setup(&dev->bars[1], MEM32_SIZE, SIG_MEM32);
    test_bar_setup(&dev->bars[2], MEM64_SIZE, SIG_MEM64);
    pci_register_bar(&dev->pci, 0, PCI_BAR_IO, false, IO_SIZE,
                     &test_bar_ops, &dev->bars[0]);
    pci_register_bar(&dev->pci, 1, PCI_BAR_MEM32, false, MEM32_SIZE,
                     &test_bar_ops, &dev->bars[1]);
    pci_register_bar(&dev->pci, 2, PCI_BAR_MEM64, true, MEM64_SIZE,
                     &test_bar_ops, &dev->bars[2]);
    g_assert_true(pci_load_rom(&dev->pci, rom_path, &err));
    g_assert_no_error(err);
    dev->cap_pm = pci_add_capability(&dev->pci, PCI_CAP_ID_PM, 8);
    dev->cap_vndr = pci_add_capability(&dev->pci, PCI_CAP_ID_VNDR, 10);
    return dev;
}

static void fixture_irq_set(IrqLine *line, bool level)
{
    Fixture *f = line->opaque;

    f->irq_edges++;
}

static IrqLine *fixture_intx_line(void *opaque, PciDevice *dev)
{
    Fixture *f = opaque;

    return &f->intx;
}

static void fixture_map_io(void *opaque, IoSpace space, hwaddr base,
                           hwaddr len, bool mapped)
{
    Fixture *f = opaque;
    MapEvent ev = { space, base, len, mapped };

    g_array_append_val(f->events, ev);
}

static char *write_rom_file(size_t len)
{
    g_autoptr(GError) err = NULL;
    g_autofree uint8_t *data = g_malloc(len ? len : 1);
    char *path = NULL;
    int fd = g_file_open_tmp("test-pci-rom-XXXXXX", &path, &err);

    g_assert_no_error(err);
    close(fd);
    for (size_t i = 0; i < len; i++) {
        data[i] = (uint8_t)(i * 7 + 1);
    }
    g_assert_true(g_file_set_contents(path, (char *)data, len, &err));
    return path;
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    PciBusHooks hooks = {
        .map_io = fixture_map_io,
        .intx_line = fixture_intx_line,
        .opaque = f,
    };
    g_autoptr(GError) err = NULL;

    f->io = iobus_new();
    f->ram = g_malloc0(RAM_SIZE);
    f->mem = gmem_flat_new(f->ram, RAM_SIZE, f->io);
    f->events = g_array_new(false, true, sizeof(MapEvent));
    irq_init(&f->intx, fixture_irq_set, f);
    f->bus = pci_bus_new(f->io, f->mem, &hooks);
    g_assert_true(pci_host_init(f->bus, f->io, &err));
    g_assert_no_error(err);
    f->rom_path = write_rom_file(ROM_FILE_LEN);
    f->dev = test_dev_new(f->rom_path);
    g_assert_true(pci_bus_attach(f->bus, &f->dev->pci, DEVFN, &err));
    g_assert_no_error(err);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    pci_bus_free(f->bus);
    gmem_free(f->mem);
    iobus_free(f->io);
    g_free(f->ram);
    g_array_free(f->events, true);
    g_unlink(f->rom_path);
    g_free(f->rom_path);
}

/* Configuration mechanism #1, the way a PC guest does it. */
static void cfg_select(Fixture *f, unsigned devfn, unsigned reg)
{
    iobus_write(f->io, IO_SPACE_PIO, 0xcf8,
                0x80000000u | (devfn << 8) | (reg & 0xfc), 4);
}

static uint32_t cfg_read(Fixture *f, unsigned devfn, unsigned reg,
                         unsigned size)
{
    cfg_select(f, devfn, reg);
    return iobus_read(f->io, IO_SPACE_PIO, 0xcfc + (reg & 3), size);
}

static void cfg_write(Fixture *f, unsigned devfn, unsigned reg,
                      uint32_t value, unsigned size)
{
    cfg_select(f, devfn, reg);
    iobus_write(f->io, IO_SPACE_PIO, 0xcfc + (reg & 3), value, size);
}

static uint32_t dev_read(Fixture *f, unsigned reg, unsigned size)
{
    return cfg_read(f, DEVFN, reg, size);
}

static void dev_write(Fixture *f, unsigned reg, uint32_t value,
                      unsigned size)
{
    cfg_write(f, DEVFN, reg, value, size);
}

static void program_bars(Fixture *f)
{
    dev_write(f, PCI_BASE_ADDRESS_0, IO_ADDR, 4);
    dev_write(f, PCI_BASE_ADDRESS_0 + 4, MEM32_ADDR, 4);
    dev_write(f, PCI_BASE_ADDRESS_0 + 8, (uint32_t)MEM64_ADDR, 4);
    dev_write(f, PCI_BASE_ADDRESS_0 + 12, MEM64_ADDR >> 32, 4);
}

static uint32_t pio_read(Fixture *f, hwaddr addr)
{
    return iobus_read(f->io, IO_SPACE_PIO, addr, 4);
}

static uint32_t mmio_read(Fixture *f, hwaddr addr)
{
    return iobus_read(f->io, IO_SPACE_MMIO, addr, 4);
}

static void test_config_ids_read_only(Fixture *f, gconstpointer data)
{
    static const unsigned ro[] = {
        PCI_VENDOR_ID, PCI_REVISION_ID, PCI_HEADER_TYPE,
        PCI_SUBSYSTEM_VENDOR_ID, PCI_CAPABILITY_LIST,
    };

    g_assert_cmphex(dev_read(f, PCI_VENDOR_ID, 4), ==, 0x56781234);
    g_assert_cmphex(dev_read(f, PCI_REVISION_ID, 4), ==, 0x02000003);
    g_assert_cmphex(dev_read(f, PCI_SUBSYSTEM_VENDOR_ID, 4), ==,
                    0x11001af4);
    for (size_t i = 0; i < G_N_ELEMENTS(ro); i++) {
        uint32_t before = dev_read(f, ro[i], 4);

        dev_write(f, ro[i], 0xffffffff, 4);
        dev_write(f, ro[i], 0, 4);
        g_assert_cmphex(dev_read(f, ro[i], 4), ==, before);
    }
    /* INTERRUPT_LINE writable, INTERRUPT_PIN, MIN_GNT, MAX_LAT not. */
    dev_write(f, PCI_INTERRUPT_LINE, 0xffffffff, 4);
    g_assert_cmphex(dev_read(f, PCI_INTERRUPT_LINE, 4), ==, 0x000001ff);
    dev_write(f, PCI_INTERRUPT_LINE, 0x0b, 1);
    g_assert_cmphex(dev_read(f, PCI_INTERRUPT_LINE, 1), ==, 0x0b);
    /* Cache line size and latency timer writable; BIST, type not. */
    dev_write(f, PCI_CACHE_LINE_SIZE, 0xffffffff, 4);
    g_assert_cmphex(dev_read(f, PCI_CACHE_LINE_SIZE, 4), ==, 0x0000ffff);
    /* Only the implemented COMMAND bits stick. */
    dev_write(f, PCI_COMMAND, 0xffff, 2);
    g_assert_cmphex(dev_read(f, PCI_COMMAND, 2), ==, 0x0547);
}

static void test_config_status_w1c(Fixture *f, gconstpointer data)
{
    PciDevice *pci = &f->dev->pci;
    uint16_t status = ld16_le(pci->config + PCI_STATUS);

    g_assert_cmphex(status, ==, PCI_STATUS_CAP_LIST);
    /* The device reports errors; the guest cannot set them. */
    dev_write(f, PCI_STATUS, 0xffff, 2);
    g_assert_cmphex(dev_read(f, PCI_STATUS, 2), ==, PCI_STATUS_CAP_LIST);
    st16_le(pci->config + PCI_STATUS, status | PCI_STATUS_ERROR_BITS);

    /* Writing 0 changes nothing; writing 1 clears just that bit. */
    dev_write(f, PCI_STATUS, 0, 2);
    g_assert_cmphex(dev_read(f, PCI_STATUS, 2), ==,
                    PCI_STATUS_CAP_LIST | PCI_STATUS_ERROR_BITS);
    dev_write(f, PCI_STATUS, PCI_STATUS_REC_MASTER_ABORT, 2);
    g_assert_cmphex(dev_read(f, PCI_STATUS, 2), ==,
                    PCI_STATUS_CAP_LIST |
                        (PCI_STATUS_ERROR_BITS &
                         ~PCI_STATUS_REC_MASTER_ABORT));
    /* A dword write to COMMAND carries STATUS in its upper half. */
    dev_write(f, PCI_COMMAND, 0xffff0000, 4);
    g_assert_cmphex(dev_read(f, PCI_STATUS, 2), ==, PCI_STATUS_CAP_LIST);
    g_assert_cmphex(dev_read(f, PCI_COMMAND, 2), ==, 0);
}

static void test_config_access_sizes(Fixture *f, gconstpointer data)
{
    PciDevice *pci = &f->dev->pci;
    uint64_t errors = log_guest_error_count(LOG_PCI);

    /* Unaligned accesses reach the bytes they name. */
    g_assert_cmphex(pci_config_read(pci, 0x01, 2), ==, 0x7812);
    g_assert_cmphex(pci_config_read(pci, 0x03, 4), ==, 0x10000056);
    pci_config_write(pci, 0x3b, 0x0a0b0c0d, 4);
    g_assert_cmphex(pci_config_read(pci, 0x3c, 1), ==, 0x0c);
    g_assert_cmpuint(f->dev->last_cw_offset, ==, 0x3b);
    g_assert_cmpuint(f->dev->last_cw_size, ==, 4);
    g_assert_cmpuint(f->dev->config_writes, ==, 1);
    g_assert_cmphex(pci_config_read(pci, 0xfc, 4), ==, 0);

    /* Out of range or odd sizes: all-ones, writes dropped. */
    g_assert_cmphex(pci_config_read(pci, 0xfd, 4), ==, 0xffffffff);
    g_assert_cmphex(pci_config_read(pci, 0xff, 2), ==, 0xffff);
    g_assert_cmphex(pci_config_read(pci, 0x100, 1), ==, 0xff);
    g_assert_cmphex(pci_config_read(pci, 0x00, 3), ==, 0xffffffff);
    pci_config_write(pci, 0x3d, 0xffffffff, 3);
    pci_config_write(pci, 0xfe, 0xffffffff, 4);
    g_assert_cmphex(pci_config_read(pci, 0x3c, 1), ==, 0x0c);
    g_assert_cmpuint(f->dev->config_writes, ==, 1);
    g_assert_cmpuint(log_guest_error_count(LOG_PCI), ==, errors + 6);

    /* By devfn: an empty one reads all-ones at every size. */
    g_assert_cmphex(pci_bus_config_read(f->bus, DEVFN, 0, 4), ==,
                    0x56781234);
    g_assert_cmphex(pci_bus_config_read(f->bus, DEVFN + 1, 0, 4), ==,
                    0xffffffff);
    g_assert_cmphex(pci_bus_config_read(f->bus, DEVFN + 1, 0, 2), ==,
                    0xffff);
    g_assert_cmphex(pci_bus_config_read(f->bus, DEVFN + 1, 0, 1), ==, 0xff);
    g_assert_cmphex(pci_bus_config_read(f->bus, 256, 0, 4), ==, 0xffffffff);
    pci_bus_config_write(f->bus, DEVFN, PCI_INTERRUPT_LINE, 0x05, 1);
    g_assert_cmphex(pci_config_read(pci, PCI_INTERRUPT_LINE, 1), ==, 0x05);
    pci_bus_config_write(f->bus, 256, PCI_INTERRUPT_LINE, 0x06, 1);
}

static void test_bar_sizing(Fixture *f, gconstpointer data)
{
    static const struct {
        unsigned reg;
        uint32_t probe;
        uint32_t zero;
    } expect[] = {
        { PCI_BASE_ADDRESS_0, ~(uint32_t)(IO_SIZE - 1) | 0x1, 0x1 },
        { PCI_BASE_ADDRESS_0 + 4, ~(uint32_t)(MEM32_SIZE - 1), 0x0 },
        { PCI_BASE_ADDRESS_0 + 8, ~(uint32_t)(MEM64_SIZE - 1) | 0xc, 0xc },
        { PCI_BASE_ADDRESS_0 + 12, 0xffffffff, 0x0 },
        { PCI_BASE_ADDRESS_0 + 16, 0x0, 0x0 },
        { PCI_BASE_ADDRESS_5, 0x0, 0x0 },
        { PCI_ROM_ADDRESS, ~(uint32_t)(ROM_SIZE - 1) | 0x1, 0x0 },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(expect); i++) {
        g_assert_cmphex(dev_read(f, expect[i].reg, 4), ==, expect[i].zero);
        dev_write(f, expect[i].reg, 0xffffffff, 4);
        g_assert_cmphex(dev_read(f, expect[i].reg, 4), ==, expect[i].probe);
        dev_write(f, expect[i].reg, 0, 4);
        g_assert_cmphex(dev_read(f, expect[i].reg, 4), ==, expect[i].zero);
    }
    /* Sizing with decode off never touched the bus. */
    g_assert_cmpuint(f->events->len, ==, 0);
    /* Low type bits stay put under any write, byte-wise too. */
    dev_write(f, PCI_BASE_ADDRESS_0 + 8, 0, 1);
    g_assert_cmphex(dev_read(f, PCI_BASE_ADDRESS_0 + 8, 1), ==, 0x0c);
    dev_write(f, PCI_BASE_ADDRESS_0, 0xfe, 1);
    g_assert_cmphex(dev_read(f, PCI_BASE_ADDRESS_0, 4), ==, 0xe1);
}

static void test_bar_decode(Fixture *f, gconstpointer data)
{
    TestDev *dev = f->dev;

    program_bars(f);
    g_assert_cmphex(dev_read(f, PCI_BASE_ADDRESS_0, 4), ==, IO_ADDR | 1);
    g_assert_cmphex(dev_read(f, PCI_BASE_ADDRESS_0 + 12, 4), ==, 1);

    /* COMMAND off: nothing reaches the device, reads are unassigned. */
    g_assert_cmphex(pio_read(f, IO_ADDR), ==, 0xffffffff);
    g_assert_cmphex(mmio_read(f, MEM32_ADDR), ==, 0xffffffff);
    g_assert_cmphex(mmio_read(f, MEM64_ADDR), ==, 0xffffffff);
    iobus_write(f->io, IO_SPACE_PIO, IO_ADDR + 4, 0x55, 1);
    g_assert_cmpuint(dev->bars[0].reads + dev->bars[0].writes, ==, 0);

    /* I/O on: only the I/O BAR decodes. */
    dev_write(f, PCI_COMMAND, PCI_COMMAND_IO, 2);
    g_assert_cmphex(pio_read(f, IO_ADDR), ==, SIG_IO);
    g_assert_true(dev->pci.bars[0].mapped);
    g_assert_cmphex(dev->pci.bars[0].addr, ==, IO_ADDR);
    g_assert_cmphex(mmio_read(f, MEM32_ADDR), ==, 0xffffffff);
    iobus_write(f->io, IO_SPACE_PIO, IO_ADDR + 4, 0x55, 1);
    g_assert_cmphex(dev->bars[0].store[4], ==, 0x55);

    /* Memory on as well. */
    dev_write(f, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
    g_assert_cmphex(mmio_read(f, MEM32_ADDR), ==, SIG_MEM32);
    g_assert_cmphex(mmio_read(f, MEM64_ADDR), ==, SIG_MEM64);
    g_assert_cmphex(mmio_read(f, MEM64_ADDR + MEM64_SIZE), ==, 0xffffffff);
    g_assert_cmphex(dev->pci.bars[2].addr, ==, MEM64_ADDR);
    /* The ROM is not enabled. */
    g_assert_false(dev->pci.rom_mapped);

    /* I/O off again; memory stays. */
    dev_write(f, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    g_assert_cmphex(pio_read(f, IO_ADDR), ==, 0xffffffff);
    g_assert_false(dev->pci.bars[0].mapped);
    g_assert_cmphex(mmio_read(f, MEM32_ADDR), ==, SIG_MEM32);

    /* Everything off: the device sees no further access. */
    dev_write(f, PCI_COMMAND, 0, 2);
    unsigned reads = dev->bars[1].reads + dev->bars[2].reads;
    g_assert_cmphex(mmio_read(f, MEM32_ADDR), ==, 0xffffffff);
    g_assert_cmphex(mmio_read(f, MEM64_ADDR), ==, 0xffffffff);
    g_assert_cmpuint(dev->bars[1].reads + dev->bars[2].reads, ==, reads);
}

static void test_bar_relocate(Fixture *f, gconstpointer data)
{
    const hwaddr new32 = 0xfe000000;
    const hwaddr new64 = 0x200000000ULL;
    MapEvent *ev;

    program_bars(f);
    dev_write(f, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    g_assert_cmphex(mmio_read(f, MEM32_ADDR), ==, SIG_MEM32);
    g_array_set_size(f->events, 0);

    dev_write(f, PCI_BASE_ADDRESS_0 + 4, new32, 4);
    g_assert_cmphex(mmio_read(f, MEM32_ADDR), ==, 0xffffffff);
    g_assert_cmphex(mmio_read(f, new32), ==, SIG_MEM32);
    g_assert_cmphex(f->dev->pci.bars[1].addr, ==, new32);
    g_assert_cmpuint(f->events->len, ==, 2);
    ev = &g_array_index(f->events, MapEvent, 0);
    g_assert_false(ev->mapped);
    g_assert_cmphex(ev->base, ==, MEM32_ADDR);
    ev = &g_array_index(f->events, MapEvent, 1);
    g_assert_true(ev->mapped);
    g_assert_cmphex(ev->base, ==, new32);
    g_assert_cmphex(ev->len, ==, MEM32_SIZE);

    /* Writing only the upper half moves a 64-bit BAR. */
    dev_write(f, PCI_BASE_ADDRESS_0 + 12, new64 >> 32, 4);
    g_assert_cmphex(mmio_read(f, MEM64_ADDR), ==, 0xffffffff);
    g_assert_cmphex(mmio_read(f, new64), ==, SIG_MEM64);

    /* Address 0 unassigns; assigning again decodes again. */
    dev_write(f, PCI_BASE_ADDRESS_0 + 4, 0, 4);
    g_assert_false(f->dev->pci.bars[1].mapped);
    dev_write(f, PCI_BASE_ADDRESS_0 + 4, MEM32_ADDR, 4);
    g_assert_cmphex(mmio_read(f, MEM32_ADDR), ==, SIG_MEM32);
}

static uint64_t foreign_read(void *opaque, hwaddr offset, unsigned size)
{
    return 0x600df00d;
}

static void foreign_write(void *opaque, hwaddr offset, uint64_t value,
                          unsigned size)
{
}

static const IoOps foreign_ops = {
    .name = "foreign",
    .read = foreign_read,
    .write = foreign_write,
    .min_access = 4,
    .max_access = 4,
};

static void test_bar_overlap(Fixture *f, gconstpointer data)
{
    const hwaddr foreign = 0xfed00000;
    uint64_t errors = log_guest_error_count(LOG_PCI);

    g_assert_true(iobus_map(f->io, IO_SPACE_MMIO, foreign + 0x800, 0x100,
                            &foreign_ops, NULL, NULL));
    dev_write(f, PCI_BASE_ADDRESS_0 + 4, foreign, 4);
    dev_write(f, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    g_assert_false(f->dev->pci.bars[1].mapped);
    g_assert_cmpuint(log_guest_error_count(LOG_PCI), ==, errors + 1);
    g_assert_cmphex(mmio_read(f, foreign), ==, 0xffffffff);
    g_assert_cmphex(mmio_read(f, foreign + 0x800), ==, 0x600df00d);
    g_assert_cmpuint(f->events->len, ==, 0);

    /* An I/O BAR on top of CONFIG_ADDRESS is refused the same way. */
    dev_write(f, PCI_BASE_ADDRESS_0, 0xce0, 4);
    dev_write(f, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
    g_assert_false(f->dev->pci.bars[0].mapped);
    g_assert_cmpuint(f->dev->bars[0].reads, ==, 0);
    g_assert_cmphex(cfg_read(f, DEVFN, PCI_VENDOR_ID, 4), ==, 0x56781234);

    dev_write(f, PCI_BASE_ADDRESS_0, IO_ADDR, 4);
    g_assert_true(f->dev->pci.bars[0].mapped);

    /* Two BARs of the device: the 64-bit one collides with BAR1. */
    dev_write(f, PCI_BASE_ADDRESS_0 + 4, MEM32_ADDR, 4);
    g_assert_true(f->dev->pci.bars[1].mapped);
    errors = log_guest_error_count(LOG_PCI);
    dev_write(f, PCI_BASE_ADDRESS_0 + 8, MEM32_ADDR, 4);
    g_assert_false(f->dev->pci.bars[2].mapped);
    g_assert_cmpuint(log_guest_error_count(LOG_PCI), ==, errors + 1);
    g_assert_cmphex(mmio_read(f, MEM32_ADDR), ==, SIG_MEM32);

    /* Moving BAR1 away lets BAR2 decode on that same write. */
    dev_write(f, PCI_BASE_ADDRESS_0 + 4, 0xfe000000, 4);
    g_assert_true(f->dev->pci.bars[2].mapped);
    g_assert_cmphex(mmio_read(f, MEM32_ADDR), ==, SIG_MEM64);
    g_assert_cmphex(mmio_read(f, 0xfe000000), ==, SIG_MEM32);

    /* Once the foreign range is gone, re-evaluation on COMMAND maps. */
    g_assert_true(iobus_unmap(f->io, IO_SPACE_MMIO, foreign + 0x800,
                              &foreign_ops, NULL));
    dev_write(f, PCI_BASE_ADDRESS_0 + 4, foreign, 4);
    g_assert_true(f->dev->pci.bars[1].mapped);
    g_assert_cmphex(mmio_read(f, foreign), ==, SIG_MEM32);
}

static void test_bar_limits(Fixture *f, gconstpointer data)
{
    PciDevice *pci = &f->dev->pci;
    uint64_t errors = log_guest_error_count(LOG_PCI);

    dev_write(f, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
    /* Address 0 is "unassigned", whatever COMMAND says. */
    g_assert_false(pci->bars[0].mapped);
    g_assert_false(pci->bars[1].mapped);
    g_assert_false(pci->bars[2].mapped);

    /* A 32-bit BAR whose last byte is 0xffffffff is a sizing leftover. */
    dev_write(f, PCI_BASE_ADDRESS_0 + 4, 0xfffff000, 4);
    g_assert_false(pci->bars[1].mapped);
    dev_write(f, PCI_BASE_ADDRESS_0 + 4, 0xffffffff, 4);
    g_assert_false(pci->bars[1].mapped);
    dev_write(f, PCI_BASE_ADDRESS_0 + 4, 0xffffe000, 4);
    g_assert_true(pci->bars[1].mapped);
    g_assert_cmphex(mmio_read(f, 0xffffe000), ==, SIG_MEM32);

    /* I/O must end below 0x10000. */
    dev_write(f, PCI_BASE_ADDRESS_0, 0xffe0, 4);
    g_assert_false(pci->bars[0].mapped);
    dev_write(f, PCI_BASE_ADDRESS_0, 0x10000, 4);
    g_assert_false(pci->bars[0].mapped);
    dev_write(f, PCI_BASE_ADDRESS_0, 0xffffffff, 4);
    g_assert_false(pci->bars[0].mapped);
    dev_write(f, PCI_BASE_ADDRESS_0, 0xffc0, 4);
    g_assert_true(pci->bars[0].mapped);
    g_assert_cmphex(pio_read(f, 0xffc0), ==, SIG_IO);

    /* 64-bit: the all-ones probe wraps; a high address is fine. */
    dev_write(f, PCI_BASE_ADDRESS_0 + 12, 0xffffffff, 4);
    dev_write(f, PCI_BASE_ADDRESS_0 + 8, 0xffffffff, 4);
    g_assert_false(pci->bars[2].mapped);
    dev_write(f, PCI_BASE_ADDRESS_0 + 8, 0xffff0000, 4);
    g_assert_true(pci->bars[2].mapped);
    g_assert_cmphex(pci->bars[2].addr, ==, 0xffffffffffff0000ULL);
    g_assert_cmphex(mmio_read(f, 0xffffffffffff0000ULL), ==, SIG_MEM64);
    dev_write(f, PCI_BASE_ADDRESS_0 + 12, 0x00008000, 4);
    g_assert_cmphex(mmio_read(f, 0x00008000ffff0000ULL), ==, SIG_MEM64);

    /* Unusable addresses are not guest errors worth a log line. */
    g_assert_cmpuint(log_guest_error_count(LOG_PCI), ==, errors);
}

static void test_rom_decode(Fixture *f, gconstpointer data)
{
    PciDevice *pci = &f->dev->pci;
    uint64_t errors;

    g_assert_cmpuint(pci->rom_size, ==, ROM_SIZE);
    dev_write(f, PCI_ROM_ADDRESS, ROM_ADDR, 4);
    g_assert_cmphex(dev_read(f, PCI_ROM_ADDRESS, 4), ==, ROM_ADDR);
    dev_write(f, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    /* MEM on but the ROM enable bit clear. */
    g_assert_false(pci->rom_mapped);
    g_assert_cmphex(mmio_read(f, ROM_ADDR), ==, 0xffffffff);

    dev_write(f, PCI_ROM_ADDRESS, ROM_ADDR | PCI_ROM_ADDRESS_ENABLE, 4);
    g_assert_true(pci->rom_mapped);
    g_assert_cmphex(pci->rom_addr, ==, ROM_ADDR);
    g_assert_cmphex(iobus_read(f->io, IO_SPACE_MMIO, ROM_ADDR, 1), ==, 1);
    g_assert_cmphex(iobus_read(f->io, IO_SPACE_MMIO, ROM_ADDR + 1, 1), ==,
                    8);
    g_assert_cmphex(iobus_read(f->io, IO_SPACE_MMIO, ROM_ADDR, 8), ==,
                    0x322b241d160f0801ULL);
    /* Beyond the file, up to the power-of-two size: zero padding. */
    g_assert_cmphex(mmio_read(f, ROM_ADDR + ROM_FILE_LEN), ==, 0);
    g_assert_cmphex(mmio_read(f, ROM_ADDR + ROM_SIZE - 4), ==, 0);
    g_assert_cmphex(mmio_read(f, ROM_ADDR + ROM_SIZE), ==, 0xffffffff);

    /* Writes are ignored (and logged). */
    errors = log_guest_error_count(LOG_PCI);
    iobus_write(f->io, IO_SPACE_MMIO, ROM_ADDR, 0xdeadbeef, 4);
    g_assert_cmphex(mmio_read(f, ROM_ADDR), ==, 0x160f0801);
    g_assert_cmpuint(log_guest_error_count(LOG_PCI), >, errors);

    /* MEM off hides it even with the enable bit set. */
    dev_write(f, PCI_COMMAND, PCI_COMMAND_IO, 2);
    g_assert_false(pci->rom_mapped);
    g_assert_cmphex(mmio_read(f, ROM_ADDR), ==, 0xffffffff);
    dev_write(f, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    g_assert_true(pci->rom_mapped);
    dev_write(f, PCI_ROM_ADDRESS, ROM_ADDR, 4);
    g_assert_false(pci->rom_mapped);
    g_assert_cmphex(mmio_read(f, ROM_ADDR), ==, 0xffffffff);
}

static void test_rom_load(Fixture *f, gconstpointer data)
{
    TestDev *dev = test_dev_new(NULL);
    g_autoptr(GError) err = NULL;
    g_autofree char *one = write_rom_file(1);
    g_autofree char *odd = write_rom_file(2049);
    g_autofree char *empty = write_rom_file(0);

    /* No ROM: reads 0, not writable. */
    g_assert_null(dev->pci.rom);
    pci_config_write(&dev->pci, PCI_ROM_ADDRESS, 0xffffffff, 4);
    g_assert_cmphex(pci_config_read(&dev->pci, PCI_ROM_ADDRESS, 4), ==, 0);

    g_assert_true(pci_load_rom(&dev->pci, one, &err));
    g_assert_cmpuint(dev->pci.rom_size, ==, 2048);
    g_assert_cmpuint(dev->pci.rom[0], ==, 1);
    g_assert_cmpuint(dev->pci.rom[1], ==, 0);
    g_assert_true(pci_load_rom(&dev->pci, odd, &err));
    g_assert_cmpuint(dev->pci.rom_size, ==, 4096);
    g_assert_cmpuint(dev->pci.rom[2048], ==, (uint8_t)(2048 * 7 + 1));
    pci_config_write(&dev->pci, PCI_ROM_ADDRESS, 0xffffffff, 4);
    g_assert_cmphex(pci_config_read(&dev->pci, PCI_ROM_ADDRESS, 4), ==,
                    0xfffff001);

    /* Failures name the file and keep the loaded image. */
    g_assert_false(pci_load_rom(&dev->pci, empty, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, empty));
    g_clear_error(&err);
    g_assert_false(pci_load_rom(&dev->pci, "/nonexistent/rom.bin", &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, "/nonexistent/rom.bin"));
    g_clear_error(&err);
    g_assert_cmpuint(dev->pci.rom_size, ==, 4096);

    /* An empty path drops the ROM. */
    g_assert_true(pci_load_rom(&dev->pci, "", &err));
    g_assert_null(dev->pci.rom);
    g_assert_cmphex(pci_config_read(&dev->pci, PCI_ROM_ADDRESS, 4), ==, 0);

    g_unlink(one);
    g_unlink(odd);
    g_unlink(empty);
    dev->pci.ops->destroy(&dev->pci);
}

static void test_intx_level(Fixture *f, gconstpointer data)
{
    PciDevice *pci = &f->dev->pci;

    g_assert_true(pci->intx == &f->intx);
    g_assert_false(f->intx.level);
    pci_set_irq(pci, true);
    g_assert_true(f->intx.level);
    g_assert_cmphex(dev_read(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, ==,
                    PCI_STATUS_INTERRUPT);
    pci_set_irq(pci, true);
    g_assert_cmpuint(f->irq_edges, ==, 1);
    /* The guest cannot clear Interrupt Status itself. */
    dev_write(f, PCI_STATUS, 0xffff, 2);
    g_assert_true(dev_read(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    pci_set_irq(pci, false);
    g_assert_false(f->intx.level);
    g_assert_false(dev_read(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    g_assert_cmpuint(f->irq_edges, ==, 2);
}

static void test_intx_disable(Fixture *f, gconstpointer data)
{
    PciDevice *pci = &f->dev->pci;

    pci_set_irq(pci, true);
    g_assert_true(f->intx.level);
    dev_write(f, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 2);
    g_assert_false(f->intx.level);
    /* Interrupt Status still tells the truth. */
    g_assert_true(dev_read(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    dev_write(f, PCI_COMMAND, 0, 2);
    g_assert_true(f->intx.level);

    /* A request raised and dropped while disabled never shows. */
    pci_set_irq(pci, false);
    dev_write(f, PCI_COMMAND + 1, PCI_COMMAND_INTX_DISABLE >> 8, 1);
    pci_set_irq(pci, true);
    g_assert_false(f->intx.level);
    pci_set_irq(pci, false);
    dev_write(f, PCI_COMMAND, 0, 4);
    g_assert_false(f->intx.level);
    g_assert_cmpuint(f->irq_edges, ==, 4);
}

static void test_dma_bus_master(Fixture *f, gconstpointer data)
{
    PciDevice *pci = &f->dev->pci;
    uint8_t buf[16];
    uint8_t pattern[16];

    for (int i = 0; i < 16; i++) {
        f->ram[0x100 + i] = 0xa0 + i;
        pattern[i] = 0x50 + i;
    }
    memset(buf, 0xee, sizeof(buf));
    g_assert_false(pci_bus_master_enabled(pci));
    g_assert_false(pci_dma_read(pci, 0x100, buf, sizeof(buf)));
    for (int i = 0; i < 16; i++) {
        g_assert_cmpuint(buf[i], ==, 0);
    }
    g_assert_false(pci_dma_write(pci, 0x200, pattern, sizeof(pattern)));
    g_assert_cmpuint(f->ram[0x200], ==, 0);

    dev_write(f, PCI_COMMAND, PCI_COMMAND_MASTER, 2);
    g_assert_true(pci_bus_master_enabled(pci));
    g_assert_true(pci_dma_read(pci, 0x100, buf, sizeof(buf)));
    g_assert_cmpmem(buf, sizeof(buf), f->ram + 0x100, sizeof(buf));
    g_assert_true(pci_dma_write(pci, 0x200, pattern, sizeof(pattern)));
    g_assert_cmpmem(f->ram + 0x200, sizeof(pattern), pattern,
                    sizeof(pattern));
    /* The GuestMem checks still apply: no RAM there. */
    g_assert_false(pci_dma_read(pci, RAM_SIZE - 8, buf, sizeof(buf)));

    /* Detached: refused even with BME set. */
    pci_bus_detach(f->bus, pci);
    g_assert_false(pci_dma_read(pci, 0x100, buf, sizeof(buf)));
    g_assert_false(pci_dma_write(pci, 0x300, pattern, sizeof(pattern)));
    g_assert_cmpuint(f->ram[0x300], ==, 0);
    pci->ops->destroy(pci);
}

static void test_hooks_map_io(Fixture *f, gconstpointer data)
{
    static const MapEvent expect[] = {
        { IO_SPACE_PIO, IO_ADDR, IO_SIZE, true },
        { IO_SPACE_MMIO, MEM32_ADDR, MEM32_SIZE, true },
        { IO_SPACE_MMIO, MEM64_ADDR, MEM64_SIZE, true },
        { IO_SPACE_MMIO, ROM_ADDR, ROM_SIZE, true },
        { IO_SPACE_PIO, IO_ADDR, IO_SIZE, false },
        { IO_SPACE_MMIO, MEM32_ADDR, MEM32_SIZE, false },
        { IO_SPACE_MMIO, MEM64_ADDR, MEM64_SIZE, false },
        { IO_SPACE_MMIO, ROM_ADDR, ROM_SIZE, false },
    };

    program_bars(f);
    dev_write(f, PCI_ROM_ADDRESS, ROM_ADDR | PCI_ROM_ADDRESS_ENABLE, 4);
    g_assert_cmpuint(f->events->len, ==, 0);
    dev_write(f, PCI_COMMAND, PCI_COMMAND_IO, 2);
    dev_write(f, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
    /* Rewriting the same state is not a change. */
    dev_write(f, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
    dev_write(f, PCI_BASE_ADDRESS_0 + 4, MEM32_ADDR, 4);
    dev_write(f, PCI_COMMAND, 0, 2);
    g_assert_cmpuint(f->events->len, ==, G_N_ELEMENTS(expect));
    for (size_t i = 0; i < G_N_ELEMENTS(expect); i++) {
        MapEvent *ev = &g_array_index(f->events, MapEvent, i);

        g_assert_cmpint(ev->space, ==, expect[i].space);
        g_assert_cmphex(ev->base, ==, expect[i].base);
        g_assert_cmphex(ev->len, ==, expect[i].len);
        g_assert_cmpint(ev->mapped, ==, expect[i].mapped);
    }
}

static void test_reset(Fixture *f, gconstpointer data)
{
    PciDevice *pci = &f->dev->pci;
    uint8_t power_on[PCI_CONFIG_SIZE];

    memcpy(power_on, pci->config, sizeof(power_on));
    program_bars(f);
    dev_write(f, PCI_ROM_ADDRESS, ROM_ADDR | PCI_ROM_ADDRESS_ENABLE, 4);
    dev_write(f, PCI_COMMAND,
              PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
    dev_write(f, PCI_INTERRUPT_LINE, 11, 1);
    pci_set_irq(pci, true);
    g_assert_true(f->intx.level);
    g_assert_cmpuint(f->events->len, ==, 4);

    pci_device_reset(pci);
    g_assert_cmpuint(f->dev->resets, ==, 1);
    g_assert_cmpmem(pci->config, PCI_CONFIG_SIZE, power_on,
                    sizeof(power_on));
    g_assert_false(f->intx.level);
    g_assert_false(pci->irq_request);
    g_assert_false(pci->bars[0].mapped || pci->bars[1].mapped ||
                   pci->bars[2].mapped || pci->rom_mapped);
    g_assert_cmpuint(f->events->len, ==, 8);
    g_assert_cmphex(pio_read(f, IO_ADDR), ==, 0xffffffff);
    g_assert_cmphex(mmio_read(f, MEM32_ADDR), ==, 0xffffffff);
    g_assert_cmphex(mmio_read(f, ROM_ADDR), ==, 0xffffffff);
    g_assert_cmphex(dev_read(f, PCI_BASE_ADDRESS_0, 4), ==, 1);
    g_assert_cmphex(dev_read(f, PCI_COMMAND, 2), ==, 0);

    /* The bus reset reaches the host bridge too: CONFIG_ADDRESS clears. */
    cfg_select(f, DEVFN, 0);
    pci_bus_reset(f->bus);
    g_assert_cmpuint(f->dev->resets, ==, 2);
    g_assert_cmphex(iobus_read(f->io, IO_SPACE_PIO, 0xcf8, 4), ==, 0);
    g_assert_cmphex(iobus_read(f->io, IO_SPACE_PIO, 0xcfc, 4), ==,
                    0xffffffff);
}

static void test_bus_attach(Fixture *f, gconstpointer data)
{
    TestDev *a = test_dev_new(NULL);
    TestDev *b = test_dev_new(NULL);
    g_autoptr(GError) err = NULL;

    g_assert_true(pci_bus_find(f->bus, DEVFN) == &f->dev->pci);
    g_assert_nonnull(pci_bus_find(f->bus, 0));
    g_assert_null(pci_bus_find(f->bus, 1));
    g_assert_null(pci_bus_find(f->bus, 1000));

    /* Slot 0 holds the host bridge: automatic placement takes slot 1. */
    g_assert_true(pci_bus_attach(f->bus, &a->pci, -1, &err));
    g_assert_cmpint(a->pci.devfn, ==, PCI_DEVFN(1, 0));
    g_assert_true(pci_bus_find(f->bus, PCI_DEVFN(1, 0)) == &a->pci);
    g_assert_cmphex(cfg_read(f, PCI_DEVFN(1, 0), 0, 4), ==, 0x56781234);

    g_assert_false(pci_bus_attach(f->bus, &b->pci, DEVFN, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_false(pci_bus_attach(f->bus, &b->pci, 256, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_null(b->pci.bus);
    g_assert_true(pci_bus_attach(f->bus, &b->pci, PCI_DEVFN(1, 1), &err));
    g_assert_cmphex(cfg_read(f, PCI_DEVFN(1, 1), 0, 2), ==, 0x1234);
    g_assert_true(pci_bus_attach(f->bus, &test_dev_new(NULL)->pci, -1,
                                 &err));
    g_assert_nonnull(pci_bus_find(f->bus, PCI_DEVFN(2, 0)));
    /* The fixture teardown frees all of them through pci_bus_free. */
}

static void test_bus_detach(Fixture *f, gconstpointer data)
{
    PciDevice *pci = &f->dev->pci;

    program_bars(f);
    dev_write(f, PCI_ROM_ADDRESS, ROM_ADDR | PCI_ROM_ADDRESS_ENABLE, 4);
    dev_write(f, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
    pci_set_irq(pci, true);
    g_assert_true(f->intx.level);
    g_array_set_size(f->events, 0);

    pci_bus_detach(f->bus, pci);
    g_assert_false(f->intx.level);
    g_assert_null(pci->bus);
    g_assert_null(pci->rom);
    g_assert_null(pci_bus_find(f->bus, DEVFN));
    g_assert_cmpuint(f->events->len, ==, 4);
    for (unsigned i = 0; i < f->events->len; i++) {
        g_assert_false(g_array_index(f->events, MapEvent, i).mapped);
    }
    g_assert_cmphex(cfg_read(f, DEVFN, 0, 4), ==, 0xffffffff);
    g_assert_cmphex(cfg_read(f, DEVFN, PCI_COMMAND, 2), ==, 0xffff);
    g_assert_cmphex(cfg_read(f, DEVFN, PCI_INTERRUPT_PIN, 1), ==, 0xff);
    cfg_write(f, DEVFN, PCI_COMMAND, 0, 2);
    g_assert_cmphex(pio_read(f, IO_ADDR), ==, 0xffffffff);
    g_assert_cmphex(mmio_read(f, MEM32_ADDR), ==, 0xffffffff);
    g_assert_cmphex(mmio_read(f, ROM_ADDR), ==, 0xffffffff);
    /* pci_set_irq on a detached device drives no wire. */
    pci_set_irq(pci, true);
    g_assert_false(f->intx.level);
    pci->ops->destroy(pci);
}

static void test_host_config_address(Fixture *f, gconstpointer data)
{
    IoBus *io = f->io;

    g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcf8, 4), ==, 0);
    /* Reserved bits 30:24 and 1:0 read as zero. */
    iobus_write(io, IO_SPACE_PIO, 0xcf8, 0xffffffff, 4);
    g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcf8, 4), ==, 0x80fffffc);
    iobus_write(io, IO_SPACE_PIO, 0xcf8, 0x80001810, 4);
    g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcf8, 4), ==, 0x80001810);

    /* Narrower accesses are no CONFIG_ADDRESS cycles. */
    for (unsigned k = 0; k < 4; k++) {
        g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcf8 + k, 1), ==,
                        0xff);
        iobus_write(io, IO_SPACE_PIO, 0xcf8 + k, 0, 1);
    }
    g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcf8, 2), ==, 0xffff);
    g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcfa, 2), ==, 0xffff);
    iobus_write(io, IO_SPACE_PIO, 0xcf8, 0, 2);
    iobus_write(io, IO_SPACE_PIO, 0xcfa, 0, 2);
    g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcf8, 4), ==, 0x80001810);
    /* So the selected register is still reachable. */
    g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcfc, 4), ==,
                    PCI_BASE_ADDRESS_SPACE_IO);
}

static void test_host_config_data(Fixture *f, gconstpointer data)
{
    IoBus *io = f->io;

    /* Host bridge identity at 00:00.0. */
    g_assert_cmphex(cfg_read(f, 0, PCI_VENDOR_ID, 4), ==, 0x12378086);
    g_assert_cmphex(cfg_read(f, 0, PCI_REVISION_ID, 4), ==, 0x06000002);
    g_assert_cmphex(cfg_read(f, 0, PCI_HEADER_TYPE, 1), ==, 0);
    g_assert_cmphex(cfg_read(f, 0, PCI_BASE_ADDRESS_0, 4), ==, 0);
    g_assert_cmphex(cfg_read(f, 0, PCI_INTERRUPT_PIN, 1), ==, 0);

    /* Byte and word reads at 0xcfc + k within the selected dword. */
    cfg_select(f, DEVFN, PCI_VENDOR_ID);
    g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcfc, 1), ==, 0x34);
    g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcfd, 1), ==, 0x12);
    g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcfe, 1), ==, 0x78);
    g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcff, 1), ==, 0x56);
    g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcfe, 2), ==, 0x5678);
    g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcfc, 4), ==, 0x56781234);

    /* Byte and word writes land on the addressed register bytes. */
    cfg_select(f, DEVFN, PCI_INTERRUPT_LINE);
    iobus_write(io, IO_SPACE_PIO, 0xcfc, 0x0a, 1);
    g_assert_cmphex(f->dev->pci.config[PCI_INTERRUPT_LINE], ==, 0x0a);
    g_assert_cmpuint(f->dev->last_cw_offset, ==, PCI_INTERRUPT_LINE);
    g_assert_cmpuint(f->dev->last_cw_size, ==, 1);
    g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcfd, 1), ==, 1);
    cfg_select(f, DEVFN, PCI_COMMAND);
    iobus_write(io, IO_SPACE_PIO, 0xcfc, PCI_COMMAND_MASTER, 2);
    g_assert_true(pci_bus_master_enabled(&f->dev->pci));
    iobus_write(io, IO_SPACE_PIO, 0xcfd, PCI_COMMAND_INTX_DISABLE >> 8, 1);
    g_assert_cmphex(ld16_le(f->dev->pci.config + PCI_COMMAND), ==,
                    PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
    g_assert_cmpuint(f->dev->last_cw_offset, ==, PCI_COMMAND + 1);

    /* Enable bit clear: no config cycle. */
    iobus_write(io, IO_SPACE_PIO, 0xcf8, (DEVFN << 8) | PCI_INTERRUPT_LINE,
                4);
    g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcfc, 4), ==, 0xffffffff);
    g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcfc, 1), ==, 0xff);
    iobus_write(io, IO_SPACE_PIO, 0xcfc, 0x0e, 1);
    g_assert_cmphex(f->dev->pci.config[PCI_INTERRUPT_LINE], ==, 0x0a);

    /* Bus 1 does not exist. */
    iobus_write(io, IO_SPACE_PIO, 0xcf8,
                0x80000000u | (1 << 16) | (DEVFN << 8), 4);
    g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcfc, 4), ==, 0xffffffff);

    /* Bits 1:0 of the register number are ignored; 0xcfc + k adds. */
    iobus_write(io, IO_SPACE_PIO, 0xcf8, 0x80000000u | (DEVFN << 8) | 0x3f,
                4);
    g_assert_cmphex(iobus_read(io, IO_SPACE_PIO, 0xcfd, 1), ==, 1);
    /* An empty slot reads all-ones. */
    g_assert_cmphex(cfg_read(f, PCI_DEVFN(9, 0), 0, 4), ==, 0xffffffff);
}

static void test_cap_chain(Fixture *f, gconstpointer data)
{
    TestDev *dev = f->dev;
    unsigned ptr;
    TestDev *full;

    g_assert_cmpuint(dev->cap_pm, ==, 0x40);
    g_assert_cmpuint(dev->cap_vndr, ==, 0x48);
    g_assert_true(dev_read(f, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    ptr = dev_read(f, PCI_CAPABILITY_LIST, 1);
    g_assert_cmphex(ptr, ==, 0x40);
    g_assert_cmphex(dev_read(f, ptr, 2), ==, 0x4800 | PCI_CAP_ID_PM);
    ptr = dev_read(f, ptr + PCI_CAP_LIST_NEXT, 1);
    g_assert_cmphex(dev_read(f, ptr, 2), ==, 0x0000 | PCI_CAP_ID_VNDR);
    /* The chain is read-only to the guest. */
    dev_write(f, 0x40, 0xffffffff, 4);
    g_assert_cmphex(dev_read(f, 0x40, 2), ==, 0x4801);

    /* A device without capabilities has neither the bit nor a pointer. */
    full = g_new0(TestDev, 1);
    pci_device_init(&full->pci, &test_dev_ops, &test_ident, "full");
    g_assert_false(ld16_le(full->pci.config + PCI_STATUS) &
                   PCI_STATUS_CAP_LIST);
    g_assert_cmpuint(full->pci.config[PCI_CAPABILITY_LIST], ==, 0);

    /* Dword aligned after odd sizes; 0 once config space is full. */
    g_assert_cmpuint(pci_add_capability(&full->pci, 0x11, 6), ==, 0x40);
    g_assert_cmpuint(pci_add_capability(&full->pci, 0x12, 0xb0), ==, 0x48);
    g_assert_cmpuint(pci_add_capability(&full->pci, 0x13, 8), ==, 0xf8);
    g_assert_cmpuint(pci_add_capability(&full->pci, 0x14, 2), ==, 0);
    g_assert_cmpuint(full->pci.config[0xf8 + PCI_CAP_LIST_NEXT], ==, 0);
    g_assert_cmpuint(full->pci.config[0x48 + PCI_CAP_LIST_NEXT], ==, 0xf8);
    full->pci.ops->destroy(&full->pci);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *path;
        void (*fn)(Fixture *, gconstpointer);
    } tests[] = {
        { "/pci/config/ids-read-only", test_config_ids_read_only },
        { "/pci/config/status-w1c", test_config_status_w1c },
        { "/pci/config/access-sizes", test_config_access_sizes },
        { "/pci/bar/sizing", test_bar_sizing },
        { "/pci/bar/decode", test_bar_decode },
        { "/pci/bar/relocate", test_bar_relocate },
        { "/pci/bar/overlap", test_bar_overlap },
        { "/pci/bar/limits", test_bar_limits },
        { "/pci/rom/decode", test_rom_decode },
        { "/pci/rom/load", test_rom_load },
        { "/pci/intx/level", test_intx_level },
        { "/pci/intx/disable", test_intx_disable },
        { "/pci/dma/bus-master", test_dma_bus_master },
        { "/pci/hooks/map-io", test_hooks_map_io },
        { "/pci/reset", test_reset },
        { "/pci/bus/attach", test_bus_attach },
        { "/pci/bus/detach", test_bus_detach },
        { "/pci/host/config-address", test_host_config_address },
        { "/pci/host/config-data", test_host_config_data },
        { "/pci/cap/chain", test_cap_chain },
    };

    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(tests); i++) {
        g_test_add(tests[i].path, Fixture, NULL, fixture_setup, tests[i].fn,
                   fixture_teardown);
    }
    return g_test_run();
}
