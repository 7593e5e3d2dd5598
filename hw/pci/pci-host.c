/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PC host side of bus 0: an Intel 440FX-style host bridge function at
 * 00:00.0 (identity only: no PAM/SMRAM registers) and PCI configuration
 * mechanism #1 (PCI Local Bus Spec 3.0 3.2.2.3.2) on ports 0xcf8-0xcff.
 */
#include <stddef.h>

#include "emunet/log.h"
#include "emunet/pci.h"
#include "hw/pci/pci_regs.h"

#define PCI_HOST_CONFIG_ADDRESS 0xcf8
#define PCI_HOST_CONFIG_DATA 0xcfc
#define PCI_HOST_ENABLE 0x80000000u
/* Bits 30:24 and 1:0 of CONFIG_ADDRESS are read-only zero (3.2.2.3.2). */
#define PCI_HOST_ADDRESS_MASK 0x80fffffcu

typedef struct PciHost {
    PciDevice bridge;
    PciBus *bus;
    IoBus *io;
    uint32_t config_address;
} PciHost;

static PciHost *pci_host_from_dev(PciDevice *dev)
{
    return (PciHost *)((char *)dev - offsetof(PciHost, bridge));
}

static uint32_t pci_host_all_ones(unsigned size)
{
    return size == 1 ? 0xffu : size == 2 ? 0xffffu : 0xffffffffu;
}

/*
 * 3.2.2.3.2: only a full dword access is a CONFIG_ADDRESS access; anything
 * narrower at 0xcf8-0xcfb "is executed as a normal I/O transaction on the
 * PCI bus". On a PC nothing we model claims those ports (the PIIX reset
 * control register at 0xcf9 belongs to the general device model), so such
 * a cycle master-aborts: reads return all-ones, writes are dropped, and
 * CONFIG_ADDRESS is untouched.
 */
static uint64_t pci_host_address_read(void *opaque, hwaddr offset,
                                      unsigned size)
{
    PciHost *host = opaque;

    if (size != 4) {
        return pci_host_all_ones(size);
    }
    return host->config_address;
}

static void pci_host_address_write(void *opaque, hwaddr offset,
                                   uint64_t value, unsigned size)
{
    PciHost *host = opaque;

    if (size != 4) {
        log_trace(LOG_PCI, "%u-byte write to %#x ignored", size,
                  (unsigned)(PCI_HOST_CONFIG_ADDRESS + offset));
        return;
    }
    host->config_address = (uint32_t)value & PCI_HOST_ADDRESS_MASK;
}

static const IoOps pci_host_address_ops = {
    .name = "pci-config-address",
    .read = pci_host_address_read,
    .write = pci_host_address_write,
    .min_access = 1,
    .max_access = 4,
};

/*
 * The function and register a CONFIG_DATA access at 0xcfc + offset
 * reaches, or false when it is no config cycle: enable bit clear (a plain
 * I/O cycle nobody claims), or a bus other than 0 (no bridge below us
 * forwards the type 1 cycle, so it master-aborts).
 */
static bool pci_host_target(const PciHost *host, hwaddr offset,
                            unsigned *devfn, unsigned *reg)
{
    uint32_t addr = host->config_address;

    if (!(addr & PCI_HOST_ENABLE) || ((addr >> 16) & 0xff) != 0) {
        return false;
    }
    *devfn = (addr >> 8) & 0xff;
    *reg = (addr & 0xfc) + (unsigned)offset;
    return true;
}

static uint64_t pci_host_data_read(void *opaque, hwaddr offset,
                                   unsigned size)
{
    PciHost *host = opaque;
    unsigned devfn, reg;

    if (!pci_host_target(host, offset, &devfn, &reg)) {
        return pci_host_all_ones(size);
    }
    return pci_bus_config_read(host->bus, devfn, reg, size);
}

static void pci_host_data_write(void *opaque, hwaddr offset, uint64_t value,
                                unsigned size)
{
    PciHost *host = opaque;
    unsigned devfn, reg;

    if (pci_host_target(host, offset, &devfn, &reg)) {
        pci_bus_config_write(host->bus, devfn, reg, (uint32_t)value, size);
    }
}

/*
 * The IoBus hands us naturally aligned pieces of 1, 2 or 4 bytes, so an
 * access at 0xcfc + k stays within the dword CONFIG_ADDRESS selects.
 */
static const IoOps pci_host_data_ops = {
    .name = "pci-config-data",
    .read = pci_host_data_read,
    .write = pci_host_data_write,
    .min_access = 1,
    .max_access = 4,
};

static void pci_host_reset(PciDevice *dev)
{
    pci_host_from_dev(dev)->config_address = 0;
}

static void pci_host_unmap(PciHost *host)
{
    iobus_unmap(host->io, IO_SPACE_PIO, PCI_HOST_CONFIG_ADDRESS,
                &pci_host_address_ops, host);
    iobus_unmap(host->io, IO_SPACE_PIO, PCI_HOST_CONFIG_DATA,
                &pci_host_data_ops, host);
}

/* Called from pci_bus_free, which needs the IoBus alive anyway. */
static void pci_host_destroy(PciDevice *dev)
{
    PciHost *host = pci_host_from_dev(dev);

    pci_host_unmap(host);
    g_free(host);
}

static const PciDeviceOps pci_host_bridge_ops = {
    .reset = pci_host_reset,
    .destroy = pci_host_destroy,
};

bool pci_host_init(PciBus *bus, IoBus *io, GError **errp)
{
    static const PciIdent ident = {
        .vendor_id = PCI_VENDOR_ID_INTEL,
        .device_id = 0x1237, /* 82441FX PMC */
        .revision = 0x02,
        .class_code = PCI_CLASS_BRIDGE_HOST << 8,
    };
    PciHost *host = g_new0(PciHost, 1);

    host->bus = bus;
    host->io = io;
    pci_device_init(&host->bridge, &pci_host_bridge_ops, &ident, "i440fx");
    if (!iobus_map(io, IO_SPACE_PIO, PCI_HOST_CONFIG_ADDRESS, 4,
                   &pci_host_address_ops, host, errp)) {
        g_free(host);
        return false;
    }
    if (!iobus_map(io, IO_SPACE_PIO, PCI_HOST_CONFIG_DATA, 4,
                   &pci_host_data_ops, host, errp)) {
        iobus_unmap(io, IO_SPACE_PIO, PCI_HOST_CONFIG_ADDRESS,
                    &pci_host_address_ops, host);
        g_free(host);
        return false;
    }
    if (!pci_bus_attach(bus, &host->bridge, PCI_DEVFN(0, 0), errp)) {
        pci_host_unmap(host);
        g_free(host);
        return false;
    }
    return true;
}
