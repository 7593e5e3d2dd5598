/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by test-pci.c (configuration space, BARs, expansion ROM) and
 * test-pci-bus.c (INTx, DMA, bus hooks, reset, attach/detach, the host
 * bridge, capabilities): the PCI core and host bridge, driven through a
 * real IoBus, flat guest RAM, configuration mechanism #1 and a test
 * function with an I/O BAR, a 32-bit and a 64-bit memory BAR, an
 * expansion ROM and two capabilities. Everything here is static inline:
 * each test uses a part.
 */
#ifndef EMUNET_TESTS_PCI_TEST_H
#define EMUNET_TESTS_PCI_TEST_H

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

static inline uint64_t test_bar_read(void *opaque, hwaddr offset,
                                     unsigned size)
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

static inline void test_bar_write(void *opaque, hwaddr offset, uint64_t value,
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

static inline void test_dev_reset(PciDevice *pci)
{
    TestDev *dev = (TestDev *)pci;

    dev->resets++;
}

static inline void test_dev_config_written(PciDevice *pci, unsigned offset,
                                           unsigned size)
{
    TestDev *dev = (TestDev *)pci;

    dev->config_writes++;
    dev->last_cw_offset = offset;
    dev->last_cw_size = size;
}

static inline void test_dev_destroy(PciDevice *pci)
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

static inline void test_bar_setup(TestBar *bar, uint64_t size, uint32_t sig)
{
    bar->size = size;
    bar->store = g_malloc0(size);
    st32_le(bar->store, sig);
}

/* A test function; rom_path NULL for none. Not attached. */
static inline TestDev *test_dev_new(const char *rom_path)
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

static inline void fixture_irq_set(IrqLine *line, bool level)
{
    Fixture *f = line->opaque;

    f->irq_edges++;
}

static inline IrqLine *fixture_intx_line(void *opaque, PciDevice *dev)
{
    Fixture *f = opaque;

    return &f->intx;
}

static inline void fixture_map_io(void *opaque, IoSpace space, hwaddr base,
                                  hwaddr len, bool mapped)
{
    Fixture *f = opaque;
    MapEvent ev = { space, base, len, mapped };

    g_array_append_val(f->events, ev);
}

static inline char *write_rom_file(size_t len)
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

static inline void fixture_setup(Fixture *f, gconstpointer data)
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

static inline void fixture_teardown(Fixture *f, gconstpointer data)
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
static inline void cfg_select(Fixture *f, unsigned devfn, unsigned reg)
{
    iobus_write(f->io, IO_SPACE_PIO, 0xcf8,
                0x80000000u | (devfn << 8) | (reg & 0xfc), 4);
}

static inline uint32_t cfg_read(Fixture *f, unsigned devfn, unsigned reg,
                                unsigned size)
{
    cfg_select(f, devfn, reg);
    return iobus_read(f->io, IO_SPACE_PIO, 0xcfc + (reg & 3), size);
}

static inline void cfg_write(Fixture *f, unsigned devfn, unsigned reg,
                             uint32_t value, unsigned size)
{
    cfg_select(f, devfn, reg);
    iobus_write(f->io, IO_SPACE_PIO, 0xcfc + (reg & 3), value, size);
}

static inline uint32_t dev_read(Fixture *f, unsigned reg, unsigned size)
{
    return cfg_read(f, DEVFN, reg, size);
}

static inline void dev_write(Fixture *f, unsigned reg, uint32_t value,
                             unsigned size)
{
    cfg_write(f, DEVFN, reg, value, size);
}

static inline void program_bars(Fixture *f)
{
    dev_write(f, PCI_BASE_ADDRESS_0, IO_ADDR, 4);
    dev_write(f, PCI_BASE_ADDRESS_0 + 4, MEM32_ADDR, 4);
    dev_write(f, PCI_BASE_ADDRESS_0 + 8, (uint32_t)MEM64_ADDR, 4);
    dev_write(f, PCI_BASE_ADDRESS_0 + 12, MEM64_ADDR >> 32, 4);
}

static inline uint32_t pio_read(Fixture *f, hwaddr addr)
{
    return iobus_read(f->io, IO_SPACE_PIO, addr, 4);
}

static inline uint32_t mmio_read(Fixture *f, hwaddr addr)
{
    return iobus_read(f->io, IO_SPACE_MMIO, addr, 4);
}

#endif
