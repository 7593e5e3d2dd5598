/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libqos PCI: see pci.h. Configuration mechanism #1 (PCI 3.0 3.2.2.3.2):
 * CONFIG_ADDRESS at 0xcf8 takes enable | bus | devfn | dword offset, and
 * CONFIG_DATA at 0xcfc + (offset & 3) moves the data. The test acts as
 * firmware: BARs get naturally aligned addresses from per-emunet cursors.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "libqos/pci.h"

#define PCI_CONFIG_ADDR 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_BAR_IO 0x1
#define PCI_BAR_MEM_TYPE_MASK 0x6
#define PCI_BAR_MEM_TYPE_64 0x4

/* Defined in libqtest.c: the next free BAR address (0 MMIO, 1 I/O). */
uint64_t *qtest_bar_cursor(QTestState *s, int io);

static void qpci_select(QPCIDevice *dev, uint8_t offset)
{
    qtest_outl(dev->qts, PCI_CONFIG_ADDR,
               0x80000000u | ((uint32_t)dev->devfn << 8) | (offset & 0xfc));
}

QPCIDevice *qpci_device_find(QTestState *qts, int devfn)
{
    QPCIDevice probe = {.qts = qts, .devfn = devfn};
    QPCIDevice *dev;

    g_assert_cmpint(devfn, >=, 0);
    g_assert_cmpint(devfn, <, 256);
    if (qpci_config_readw(&probe, PCI_VENDOR_ID) == 0xffff) {
        return NULL;
    }
    dev = g_new0(QPCIDevice, 1);
    *dev = probe;
    return dev;
}

void qpci_device_free(QPCIDevice *dev)
{
    g_free(dev);
}

uint8_t qpci_config_readb(QPCIDevice *dev, uint8_t offset)
{
    qpci_select(dev, offset);
    return qtest_inb(dev->qts, PCI_CONFIG_DATA + (offset & 3));
}

uint16_t qpci_config_readw(QPCIDevice *dev, uint8_t offset)
{
    qpci_select(dev, offset);
    return qtest_inw(dev->qts, PCI_CONFIG_DATA + (offset & 2));
}

uint32_t qpci_config_readl(QPCIDevice *dev, uint8_t offset)
{
    qpci_select(dev, offset);
    return qtest_inl(dev->qts, PCI_CONFIG_DATA);
}

void qpci_config_writeb(QPCIDevice *dev, uint8_t offset, uint8_t value)
{
    qpci_select(dev, offset);
    qtest_outb(dev->qts, PCI_CONFIG_DATA + (offset & 3), value);
}

void qpci_config_writew(QPCIDevice *dev, uint8_t offset, uint16_t value)
{
    qpci_select(dev, offset);
    qtest_outw(dev->qts, PCI_CONFIG_DATA + (offset & 2), value);
}

void qpci_config_writel(QPCIDevice *dev, uint8_t offset, uint32_t value)
{
    qpci_select(dev, offset);
    qtest_outl(dev->qts, PCI_CONFIG_DATA, value);
}

uint64_t qpci_iomap(QPCIDevice *dev, int bar, uint64_t *size)
{
    uint8_t reg = (uint8_t)(PCI_BASE_ADDRESS_0 + 4 * bar);
    uint32_t orig, probe;
    uint64_t mask, bar_size, addr, *cursor;
    bool is_io, is64 = false;

    g_assert_cmpint(bar, >=, 0);
    g_assert_cmpint(bar, <, 6);
    orig = qpci_config_readl(dev, reg);
    qpci_config_writel(dev, reg, 0xffffffff);
    probe = qpci_config_readl(dev, reg);
    g_assert_cmpuint(probe, !=, 0);
    is_io = orig & PCI_BAR_IO;
    if (is_io) {
        mask = probe & ~0x3u;
        /* A 16-bit decoder leaves the high half zero: treat it as set. */
        if (!(mask & 0xffff0000u)) {
            mask |= 0xffff0000u;
        }
        mask |= 0xffffffff00000000ULL;
    } else {
        mask = probe & ~0xfu;
        is64 = (orig & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64;
        if (is64) {
            g_assert_cmpint(bar, <, 5);
            qpci_config_writel(dev, reg + 4, 0xffffffff);
            mask |= (uint64_t)qpci_config_readl(dev, reg + 4) << 32;
        } else {
            mask |= 0xffffffff00000000ULL;
        }
    }
    bar_size = ~mask + 1;
    g_assert_cmpuint(bar_size, !=, 0);
    g_assert((bar_size & (bar_size - 1)) == 0);

    cursor = qtest_bar_cursor(dev->qts, is_io);
    addr = (*cursor + bar_size - 1) & ~(bar_size - 1);
    *cursor = addr + bar_size;
    if (is_io) {
        g_assert_cmpuint(*cursor, <=, 0x10000);
    }
    qpci_config_writel(dev, reg, (uint32_t)addr | (orig & (is_io ? 0x3 : 0xf)));
    if (is64) {
        qpci_config_writel(dev, reg + 4, (uint32_t)(addr >> 32));
    }
    dev->bar_addr[bar] = addr;
    dev->bar_size[bar] = bar_size;
    dev->bar_is_io[bar] = is_io;
    if (size) {
        *size = bar_size;
    }
    return addr;
}

void qpci_device_enable(QPCIDevice *dev, uint8_t irq)
{
    uint16_t cmd = qpci_config_readw(dev, PCI_COMMAND);

    cmd |= PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    qpci_config_writew(dev, PCI_COMMAND, cmd);
    qpci_config_writeb(dev, PCI_INTERRUPT_LINE, irq);
}

static uint64_t qpci_bar_addr(QPCIDevice *dev, int bar, uint64_t off)
{
    g_assert_cmpint(bar, >=, 0);
    g_assert_cmpint(bar, <, 6);
    g_assert(dev->bar_addr[bar] != 0);
    return dev->bar_addr[bar] + off;
}

uint8_t qpci_io_readb(QPCIDevice *dev, int bar, uint64_t off)
{
    uint64_t a = qpci_bar_addr(dev, bar, off);

    return dev->bar_is_io[bar] ? qtest_inb(dev->qts, (uint16_t)a)
                               : qtest_readb(dev->qts, a);
}

uint16_t qpci_io_readw(QPCIDevice *dev, int bar, uint64_t off)
{
    uint64_t a = qpci_bar_addr(dev, bar, off);

    return dev->bar_is_io[bar] ? qtest_inw(dev->qts, (uint16_t)a)
                               : qtest_readw(dev->qts, a);
}

uint32_t qpci_io_readl(QPCIDevice *dev, int bar, uint64_t off)
{
    uint64_t a = qpci_bar_addr(dev, bar, off);

    return dev->bar_is_io[bar] ? qtest_inl(dev->qts, (uint16_t)a)
                               : qtest_readl(dev->qts, a);
}

void qpci_io_writeb(QPCIDevice *dev, int bar, uint64_t off, uint8_t v)
{
    uint64_t a = qpci_bar_addr(dev, bar, off);

    if (dev->bar_is_io[bar]) {
        qtest_outb(dev->qts, (uint16_t)a, v);
    } else {
        qtest_writeb(dev->qts, a, v);
    }
}

void qpci_io_writew(QPCIDevice *dev, int bar, uint64_t off, uint16_t v)
{
    uint64_t a = qpci_bar_addr(dev, bar, off);

    if (dev->bar_is_io[bar]) {
        qtest_outw(dev->qts, (uint16_t)a, v);
    } else {
        qtest_writew(dev->qts, a, v);
    }
}

void qpci_io_writel(QPCIDevice *dev, int bar, uint64_t off, uint32_t v)
{
    uint64_t a = qpci_bar_addr(dev, bar, off);

    if (dev->bar_is_io[bar]) {
        qtest_outl(dev->qts, (uint16_t)a, v);
    } else {
        qtest_writel(dev->qts, a, v);
    }
}
