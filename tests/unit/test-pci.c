/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PCI core (see pci-test.h): configuration space, BAR sizing, decoding,
 * relocation, overlap and limits, and the expansion ROM.
 */
#include "pci-test.h"

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
    };

    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(tests); i++) {
        g_test_add(tests[i].path, Fixture, NULL, fixture_setup, tests[i].fn,
                   fixture_teardown);
    }
    return g_test_run();
}
