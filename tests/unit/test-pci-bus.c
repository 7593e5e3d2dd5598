/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PCI core and host bridge (see pci-test.h): INTx, bus mastering DMA, the
 * bus hooks, reset, attach and detach, CONFIG_ADDRESS/CONFIG_DATA and the
 * capability list.
 */
#include "pci-test.h"

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
