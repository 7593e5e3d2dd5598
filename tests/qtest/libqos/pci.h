/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libqos PCI: config space through 0xcf8/0xcfc on bus 0, BAR assignment
 * (the test is the firmware: MMIO from 0xe0000000, I/O from 0xc000) and
 * BAR accessors that pick port or memory accesses by BAR type.
 */
#ifndef LIBQOS_PCI_H
#define LIBQOS_PCI_H

#include "libqtest.h"

typedef struct QPCIDevice {
    QTestState *qts;
    int devfn;
    uint64_t bar_addr[6]; /* 0 until qpci_iomap */
    uint64_t bar_size[6];
    bool bar_is_io[6];
} QPCIDevice;

/* The function at devfn, or NULL if its vendor ID reads 0xffff. */
QPCIDevice *qpci_device_find(QTestState *qts, int devfn);
void qpci_device_free(QPCIDevice *dev);

uint8_t qpci_config_readb(QPCIDevice *dev, uint8_t offset);
uint16_t qpci_config_readw(QPCIDevice *dev, uint8_t offset);
uint32_t qpci_config_readl(QPCIDevice *dev, uint8_t offset);
void qpci_config_writeb(QPCIDevice *dev, uint8_t offset, uint8_t value);
void qpci_config_writew(QPCIDevice *dev, uint8_t offset, uint16_t value);
void qpci_config_writel(QPCIDevice *dev, uint8_t offset, uint32_t value);

/*
 * Size BAR `bar` (write all-ones, read back), allocate an aligned address
 * and program it. Returns the address; *size gets the BAR size if non-NULL.
 * Does not enable decode.
 */
uint64_t qpci_iomap(QPCIDevice *dev, int bar, uint64_t *size);

/*
 * COMMAND |= I/O space, memory space, bus master; INTERRUPT_LINE = `irq`
 * (the number qtest then reports in "IRQ raise/lower N").
 */
void qpci_device_enable(QPCIDevice *dev, uint8_t irq);

/* Access a mapped BAR at `off` (port I/O or MMIO by BAR type). */
uint8_t qpci_io_readb(QPCIDevice *dev, int bar, uint64_t off);
uint16_t qpci_io_readw(QPCIDevice *dev, int bar, uint64_t off);
uint32_t qpci_io_readl(QPCIDevice *dev, int bar, uint64_t off);
void qpci_io_writeb(QPCIDevice *dev, int bar, uint64_t off, uint8_t v);
void qpci_io_writew(QPCIDevice *dev, int bar, uint64_t off, uint16_t v);
void qpci_io_writel(QPCIDevice *dev, int bar, uint64_t off, uint32_t v);

#endif
