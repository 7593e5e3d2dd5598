/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PCI as a PC guest sees it through configuration mechanism #1
 * (0xcf8/0xcfc): the i440FX host bridge, empty slots, placement of e1000
 * functions, BAR sizing and decode, unassigned accesses, INTx delivered
 * as qtest "IRQ raise/lower N" with N from INTERRUPT_LINE, and reset.
 * The e1000 interrupt is driven with its own registers: IMS (0xd0)
 * unmasks, ICS (0xc8) sets a cause, reading ICR (0xc0) clears it
 * (82540EM SDM 13.4.17-13.4.21).
 */
#include <string.h>

#include "libqos/pci.h"
#include "libqtest.h"

#define DEVFN(slot, fn) (((slot) << 3) | (fn))
#define CFG_ADDR 0xcf8
#define CFG_DATA 0xcfc

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_CLASS_DEVICE 0x0a
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_BAR1 0x14
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

#define E1000_STATUS 0x08
#define E1000_ICR 0xc0
#define E1000_ICS 0xc8
#define E1000_IMS 0xd0
#define E1000_IMC 0xd8
/* Any cause bit will do; this is LSC (link status change). */
#define E1000_CAUSE 0x4

static uint32_t raw_config_readl(QTestState *s, int devfn, uint8_t off)
{
    qtest_outl(s, CFG_ADDR, 0x80000000u | (uint32_t)devfn << 8 | off);
    return qtest_inl(s, CFG_DATA);
}

static void test_host_bridge(void)
{
    QTestState *s = qtest_init(NULL);
    QPCIDevice *host = qpci_device_find(s, 0);

    g_assert_nonnull(host);
    g_assert_cmphex(qpci_config_readw(host, PCI_VENDOR_ID), ==, 0x8086);
    g_assert_cmphex(qpci_config_readw(host, PCI_DEVICE_ID), ==, 0x1237);
    g_assert_cmphex(qpci_config_readw(host, PCI_CLASS_DEVICE), ==, 0x0600);
    g_assert_cmphex(qpci_config_readb(host, PCI_HEADER_TYPE) & 0x7f, ==, 0);
    g_assert_cmphex(qpci_config_readl(host, PCI_VENDOR_ID), ==, 0x12378086);
    /* Byte and word accesses at every lane of CONFIG_DATA. */
    g_assert_cmphex(qpci_config_readb(host, 1), ==, 0x80);
    g_assert_cmphex(qpci_config_readb(host, 3), ==, 0x12);
    g_assert_cmphex(qpci_config_readw(host, 2), ==, 0x1237);
    /* CONFIG_ADDRESS reads back what was written. */
    qtest_outl(s, CFG_ADDR, 0x80001234);
    g_assert_cmphex(qtest_inl(s, CFG_ADDR), ==, 0x80001234);
    qpci_device_free(host);
    qtest_quit(s);
}

static void test_empty_slots(void)
{
    QTestState *s = qtest_init(NULL);

    g_assert_null(qpci_device_find(s, DEVFN(1, 0)));
    g_assert_null(qpci_device_find(s, DEVFN(0x1f, 7)));
    g_assert_null(qpci_device_find(s, DEVFN(0, 1)));
    g_assert_cmphex(raw_config_readl(s, DEVFN(5, 0), 0), ==, 0xffffffff);
    g_assert_cmphex(raw_config_readl(s, DEVFN(5, 0), 0x3c), ==, 0xffffffff);
    g_assert_cmphex(qtest_inb(s, CFG_DATA + 3), ==, 0xff);
    g_assert_cmphex(qtest_inw(s, CFG_DATA + 2), ==, 0xffff);
    /* Writes to nothing are dropped. */
    qtest_outl(s, CFG_ADDR, 0x80000000u | DEVFN(5, 0) << 8 | PCI_COMMAND);
    qtest_outl(s, CFG_DATA, 0xffffffff);
    g_assert_cmphex(raw_config_readl(s, DEVFN(5, 0), PCI_COMMAND), ==,
                    0xffffffff);
    g_assert_true(qtest_alive(s));
    qtest_quit(s);
}

static void assert_e1000_at(QTestState *s, int devfn)
{
    QPCIDevice *dev = qpci_device_find(s, devfn);

    g_assert_nonnull(dev);
    g_assert_cmphex(qpci_config_readw(dev, PCI_VENDOR_ID), ==, 0x8086);
    g_assert_cmphex(qpci_config_readw(dev, PCI_DEVICE_ID), ==, 0x100e);
    g_assert_cmphex(qpci_config_readw(dev, PCI_CLASS_DEVICE), ==, 0x0200);
    g_assert_cmphex(qpci_config_readb(dev, PCI_INTERRUPT_PIN), ==, 1);
    qpci_device_free(dev);
}

static void test_e1000_placement(void)
{
    QTestState *s = qtest_init("-device e1000,addr=5");

    assert_e1000_at(s, DEVFN(5, 0));
    g_assert_null(qpci_device_find(s, DEVFN(1, 0)));
    qtest_quit(s);

    /* Without addr= the first free slot is used (00.0 is the host). */
    s = qtest_init("-device e1000-82540em,addr=1 -device e1000 "
                   "-device e1000,addr=0x1f.0");
    assert_e1000_at(s, DEVFN(1, 0));
    assert_e1000_at(s, DEVFN(2, 0));
    assert_e1000_at(s, DEVFN(0x1f, 0));
    g_assert_null(qpci_device_find(s, DEVFN(3, 0)));
    qtest_quit(s);

    s = qtest_init("-device e1000");
    assert_e1000_at(s, DEVFN(1, 0));
    qtest_quit(s);
}

static void test_bars(void)
{
    QTestState *s = qtest_init("-device e1000,addr=3");
    QPCIDevice *dev = qpci_device_find(s, DEVFN(3, 0));
    uint64_t mmio, io, size;
    uint16_t cmd;

    g_assert_nonnull(dev);
    /* Power-on: no address, decode off. */
    g_assert_cmphex(qpci_config_readl(dev, PCI_BAR0) & ~0xfu, ==, 0);
    g_assert_cmphex(qpci_config_readw(dev, PCI_COMMAND) & 0x7, ==, 0);

    mmio = qpci_iomap(dev, 0, &size);
    g_assert_cmphex(mmio, ==, 0xe0000000);
    g_assert_cmphex(size, ==, 0x20000);
    g_assert_false(dev->bar_is_io[0]);
    io = qpci_iomap(dev, 1, &size);
    g_assert_cmphex(io, ==, 0xc000);
    g_assert_cmphex(size, ==, 0x40);
    g_assert_true(dev->bar_is_io[1]);
    g_assert_cmphex(qpci_config_readl(dev, PCI_BAR0), ==, 0xe0000000);
    g_assert_cmphex(qpci_config_readl(dev, PCI_BAR1), ==, 0xc001);

    /* Programmed but not enabled: nothing decodes. */
    g_assert_cmphex(qtest_readl(s, mmio + E1000_STATUS), ==, 0xffffffff);
    g_assert_cmphex(qtest_inl(s, io), ==, 0xffffffff);

    qpci_device_enable(dev, 11);
    cmd = qpci_config_readw(dev, PCI_COMMAND);
    g_assert_cmphex(cmd & 0x7, ==, 0x7);
    g_assert_cmphex(qpci_config_readb(dev, PCI_INTERRUPT_LINE), ==, 11);
    g_assert_cmphex(qpci_io_readl(dev, 0, E1000_STATUS), !=, 0xffffffff);
    g_assert_cmphex(qtest_inl(s, io), !=, 0xffffffff);
    /* Past the end of the BAR is unassigned. */
    g_assert_cmphex(qtest_readl(s, mmio + 0x20000), ==, 0xffffffff);
    g_assert_cmphex(qtest_inb(s, io + 0x40), ==, 0xff);

    /* Memory decode off again: all-ones; I/O still decodes. */
    qpci_config_writew(dev, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
    g_assert_cmphex(qtest_readl(s, mmio + E1000_STATUS), ==, 0xffffffff);
    g_assert_cmphex(qtest_inl(s, io), !=, 0xffffffff);

    /* Move BAR0 while decode is off, then enable: only the new place. */
    qpci_config_writel(dev, PCI_BAR0, 0xe0100000);
    qpci_config_writew(dev, PCI_COMMAND, cmd);
    g_assert_cmphex(qtest_readl(s, mmio + E1000_STATUS), ==, 0xffffffff);
    g_assert_cmphex(qtest_readl(s, 0xe0100000 + E1000_STATUS), !=, 0xffffffff);
    /* The BAR's low bits are read-only: sizing keeps working. */
    qpci_config_writel(dev, PCI_BAR0, 0xffffffff);
    g_assert_cmphex(qpci_config_readl(dev, PCI_BAR0), ==, 0xfffe0000);
    qpci_config_writel(dev, PCI_BAR0, 0xe0000000);
    g_assert_cmphex(qtest_readl(s, mmio + E1000_STATUS), !=, 0xffffffff);

    qpci_device_free(dev);
    qtest_quit(s);
}

static void test_unassigned(void)
{
    QTestState *s = qtest_init("-device e1000 -m 32M");

    g_assert_cmphex(qtest_inb(s, 0x80), ==, 0xff);
    g_assert_cmphex(qtest_inw(s, 0x1234), ==, 0xffff);
    g_assert_cmphex(qtest_inl(s, 0xc000), ==, 0xffffffff);
    g_assert_cmphex(qtest_readb(s, 0xe0000000), ==, 0xff);
    g_assert_cmphex(qtest_readw(s, 0xfec00000), ==, 0xffff);
    g_assert_cmphex(qtest_readl(s, 0xfebf0000), ==, 0xffffffff);
    g_assert_cmphex(qtest_readq(s, 0x100000000ULL), ==, UINT64_MAX);
    /* Stores to nothing vanish. */
    qtest_writel(s, 0xe0000000, 0);
    qtest_outl(s, 0xc000, 0);
    g_assert_cmphex(qtest_readl(s, 0xe0000000), ==, 0xffffffff);
    g_assert_true(qtest_alive(s));
    qtest_quit(s);
}

/* The line may be raised after a mitigation delay: let time pass. */
static bool wait_irq(QTestState *s, int num, bool level)
{
    for (int i = 0; i < 20; i++) {
        if (qtest_get_irq(s, num) == level) {
            return true;
        }
        qtest_clock_step(s, 1000000);
    }
    return false;
}

static void test_intx(void)
{
    QTestState *s = qtest_init("-device e1000,addr=4");
    QPCIDevice *dev = qpci_device_find(s, DEVFN(4, 0));
    uint16_t cmd;

    g_assert_nonnull(dev);
    qtest_irq_intercept_in(s, "ioapic");
    qpci_iomap(dev, 0, NULL);
    qpci_device_enable(dev, 11);
    cmd = qpci_config_readw(dev, PCI_COMMAND);

    /* A masked cause does not interrupt. */
    qpci_io_readl(dev, 0, E1000_ICR);
    qpci_io_writel(dev, 0, E1000_ICS, E1000_CAUSE);
    g_assert_false(qtest_get_irq(s, 11));
    /* Unmasking a pending cause raises the line. */
    qpci_io_writel(dev, 0, E1000_IMS, E1000_CAUSE);
    g_assert_true(wait_irq(s, 11, true));
    /* Reading ICR clears the cause and lowers it. */
    g_assert_cmphex(qpci_io_readl(dev, 0, E1000_ICR) & E1000_CAUSE, ==,
                    E1000_CAUSE);
    g_assert_true(wait_irq(s, 11, false));

    qpci_io_writel(dev, 0, E1000_ICS, E1000_CAUSE);
    g_assert_true(wait_irq(s, 11, true));
    /* COMMAND.INTX_DISABLE gates the wire, not the cause. */
    qpci_config_writew(dev, PCI_COMMAND, cmd | PCI_COMMAND_INTX_DISABLE);
    g_assert_false(qtest_get_irq(s, 11));
    qpci_config_writew(dev, PCI_COMMAND, cmd);
    g_assert_true(qtest_get_irq(s, 11));
    /* Masking lowers it. */
    qpci_io_writel(dev, 0, E1000_IMC, E1000_CAUSE);
    g_assert_true(wait_irq(s, 11, false));
    qpci_io_readl(dev, 0, E1000_ICR);

    /* The number reported follows INTERRUPT_LINE. */
    qpci_config_writeb(dev, PCI_INTERRUPT_LINE, 5);
    qpci_io_writel(dev, 0, E1000_IMS, E1000_CAUSE);
    qpci_io_writel(dev, 0, E1000_ICS, E1000_CAUSE);
    g_assert_true(wait_irq(s, 5, true));
    g_assert_false(qtest_get_irq(s, 11));

    /* system_reset: the device lets go of the line and forgets its BARs. */
    g_free(qtest_qmp(s, "{\"execute\": \"system_reset\"}"));
    g_assert_false(qtest_get_irq(s, 5));
    g_assert_cmphex(qpci_config_readw(dev, PCI_COMMAND) & 0x7, ==, 0);
    g_assert_cmphex(qpci_config_readl(dev, PCI_BAR0) & ~0xfu, ==, 0);
    g_assert_cmphex(qtest_readl(s, dev->bar_addr[0] + E1000_STATUS), ==,
                    0xffffffff);
    qpci_device_free(dev);
    qtest_quit(s);
}

/* Two functions on one IRQ number: the wire is the OR of both. */
static void test_intx_shared(void)
{
    QTestState *s = qtest_init("-device e1000,addr=4 -device e1000,addr=6");
    QPCIDevice *a = qpci_device_find(s, DEVFN(4, 0));
    QPCIDevice *b = qpci_device_find(s, DEVFN(6, 0));

    qtest_irq_intercept_in(s, "ioapic");
    qpci_iomap(a, 0, NULL);
    qpci_iomap(b, 0, NULL);
    qpci_device_enable(a, 10);
    qpci_device_enable(b, 10);
    qpci_io_writel(a, 0, E1000_IMS, E1000_CAUSE);
    qpci_io_writel(b, 0, E1000_IMS, E1000_CAUSE);
    qpci_io_writel(a, 0, E1000_ICS, E1000_CAUSE);
    g_assert_true(wait_irq(s, 10, true));
    qpci_io_writel(b, 0, E1000_ICS, E1000_CAUSE);
    g_assert_true(wait_irq(s, 10, true));
    qpci_io_readl(a, 0, E1000_ICR);
    g_assert_true(qtest_get_irq(s, 10));
    qpci_io_readl(b, 0, E1000_ICR);
    g_assert_true(wait_irq(s, 10, false));
    qpci_device_free(a);
    qpci_device_free(b);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pci/host-bridge", test_host_bridge);
    g_test_add_func("/pci/empty-slots", test_empty_slots);
    g_test_add_func("/pci/e1000/placement", test_e1000_placement);
    g_test_add_func("/pci/e1000/bars", test_bars);
    g_test_add_func("/pci/unassigned", test_unassigned);
    g_test_add_func("/pci/e1000/intx", test_intx);
    g_test_add_func("/pci/e1000/intx-shared", test_intx_shared);
    return g_test_run();
}
