/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PCI: config space core, BARs, expansion ROM, INTx and DMA gating for
 * conventional PCI functions on one bus (bus 0), per the PCI Local Bus
 * Specification 3.0 ch. 6.
 *
 * Config space semantics are data: config[] holds the bytes, wmask[] the
 * bits a guest write may change, w1cmask[] the bits a guest write of 1
 * clears (STATUS error bits). COMMAND and the BARs/ROM BAR are the only
 * special cases: the core decodes a BAR (maps it on the IoBus and tells the
 * bus hooks) exactly when COMMAND enables that space, the BAR holds a
 * usable address, and the range does not collide with a mapped one.
 * The device embeds PciDevice as a member and finds itself with
 * container_of.
 */
#ifndef EMUNET_PCI_H
#define EMUNET_PCI_H

#include <glib.h>

#include "emunet/gmem.h"
#include "emunet/iobus.h"
#include "emunet/irq.h"
#include "emunet/types.h"

#define PCI_CONFIG_SIZE 256
#define PCI_NUM_BARS 6
#define PCI_DEVFN(slot, fn) ((((slot) & 0x1f) << 3) | ((fn) & 0x07))
#define PCI_SLOT(devfn) (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn) ((devfn) & 0x07)

typedef struct PciBus PciBus;
typedef struct PciDevice PciDevice;

typedef enum PciBarType {
    PCI_BAR_UNUSED,
    PCI_BAR_IO,    /* I/O space, 32-bit decode */
    PCI_BAR_MEM32, /* memory space, 32-bit address */
    PCI_BAR_MEM64, /* memory space, 64-bit: uses this and the next slot */
} PciBarType;

typedef struct PciBar {
    PciBarType type;
    bool prefetchable;
    /* Power of two; at least 4 for I/O, 16 for memory. */
    uint64_t size;
    const IoOps *ops;
    void *opaque;
    /* Current decode, owned by the PCI core. */
    bool mapped;
    hwaddr addr;
} PciBar;

/* Identity written into config space at init and restored on reset. */
typedef struct PciIdent {
    uint16_t vendor_id;
    uint16_t device_id;
    uint16_t subsystem_vendor_id;
    uint16_t subsystem_id;
    uint8_t revision;
    uint32_t class_code;  /* 24 bits: base class, subclass, prog-if */
    uint8_t interrupt_pin; /* 1 = INTA# ... 4 = INTD#, 0 = none */
} PciIdent;

typedef struct PciDeviceOps {
    /*
     * Return the device to its power-on state (registers, timers, rings).
     * Called by pci_device_reset after the core restored config space and
     * unmapped the BARs; the INTx line is already low. Required.
     */
    void (*reset)(PciDevice *dev);
    /*
     * Optional: told after the core applied a guest config write of `size`
     * bytes at `offset` (e.g. to react to COMMAND.BME going off).
     */
    void (*config_written)(PciDevice *dev, unsigned offset, unsigned size);
    /*
     * Optional: stop the device for good before it is unplugged (Xen PV
     * hand-off). Called while the function is still attached; the
     * caller then detaches it (pci_bus_detach) and destroys it later.
     * On return the device has: stopped TX and RX processing, cancelled
     * its timers, dropped queued frames, disconnected from its backend
     * (net_disconnect; a held RX frame is dropped), lowered its interrupt
     * request, and made every later entry (register access, timer,
     * backend callback, config write) a no-op that touches neither guest
     * memory nor the IRQ line. Idempotent; it frees nothing (destroy
     * still follows).
     */
    void (*quiesce)(PciDevice *dev);
    /*
     * Free the device. The core has already detached it from the bus
     * (BARs unmapped, INTx low). Required.
     */
    void (*destroy)(PciDevice *dev);
} PciDeviceOps;

struct PciDevice {
    /* Device id for messages and QMP ("nic0"); owned by the device. */
    const char *name;
    const PciDeviceOps *ops;
    uint8_t config[PCI_CONFIG_SIZE];
    uint8_t wmask[PCI_CONFIG_SIZE];
    uint8_t w1cmask[PCI_CONFIG_SIZE];
    /* Power-on image of config[], captured by pci_bus_attach. */
    uint8_t config_init[PCI_CONFIG_SIZE];
    PciBar bars[PCI_NUM_BARS];
    /*
     * Expansion ROM (PCI 3.0 6.2.5.2): read-only memory BAR at 0x30.
     * Allocated by pci_load_rom, freed by the core in pci_bus_detach.
     */
    uint8_t *rom;
    uint64_t rom_size; /* power of two >= 2 KiB when rom != NULL */
    bool rom_mapped;
    hwaddr rom_addr;
    /* Set by pci_bus_attach. */
    PciBus *bus;
    int devfn;
    IrqLine *intx;
    /* Level the device asks for; gated by COMMAND.INTX_DISABLE. */
    bool irq_request;
    /* Config offset where pci_add_capability puts the next capability. */
    unsigned cap_next;
};

/*
 * Fill config space with `id`, clear BARs, and set the standard writable
 * bits (COMMAND io/mem/master/parity/serr/intx-disable, cache line size,
 * latency timer, interrupt line) and STATUS write-1-to-clear error bits.
 * Sets STATUS.CAP_LIST only when a capability is added.
 */
void pci_device_init(PciDevice *dev, const PciDeviceOps *ops,
                     const PciIdent *id, const char *name);

/*
 * Declare BAR `index` (0..5; a MEM64 BAR takes index and index+1) of
 * `size` bytes, backed by ops/opaque. Before pci_bus_attach only.
 */
void pci_register_bar(PciDevice *dev, int index, PciBarType type,
                      bool prefetchable, uint64_t size, const IoOps *ops,
                      void *opaque);

/*
 * Load an option ROM image from `path` into the expansion ROM BAR (size
 * rounded up to a power of two, at least 2 KiB, the padding zero).
 * A NULL or empty path means "no ROM": the ROM BAR reads 0 and is not
 * writable. Fails with a message naming the file on I/O error or if the
 * file is empty or larger than 16 MiB.
 */
bool pci_load_rom(PciDevice *dev, const char *path, GError **errp);

/*
 * Add a capability of `size` bytes with `cap_id` to the capability list
 * (placed after the previous one, from 0x40, dword aligned). Returns its
 * config offset, or 0 if config space is full. Before attach only.
 */
uint8_t pci_add_capability(PciDevice *dev, uint8_t cap_id, uint8_t size);

/*
 * Guest config access of 1, 2 or 4 bytes; offset + size <= 256 (others
 * read all-ones / are dropped). Reads return config[] bytes; writes apply
 * wmask/w1cmask per byte, then BAR/COMMAND decode, then config_written.
 */
uint32_t pci_config_read(PciDevice *dev, unsigned offset, unsigned size);
void pci_config_write(PciDevice *dev, unsigned offset, uint32_t value,
                      unsigned size);

/*
 * The device's interrupt request. Sets STATUS.INTERRUPT to `level` and
 * drives the INTx line with level && !COMMAND.INTX_DISABLE.
 */
void pci_set_irq(PciDevice *dev, bool level);

/* True when COMMAND.BUS_MASTER is set (DMA allowed). */
bool pci_bus_master_enabled(const PciDevice *dev);

/*
 * Device DMA. Fails (false, nothing copied; reads zero buf) when bus
 * mastering is off, the device is detached, or gmem_read/gmem_write fail.
 * A 1-byte write is one store (see gmem_write for publishing status).
 */
bool pci_dma_read(PciDevice *dev, hwaddr gpa, void *buf, size_t len);
bool pci_dma_write(PciDevice *dev, hwaddr gpa, const void *buf, size_t len);
/* A descriptor write-back with a polled status byte: gmem_write_publish. */
bool pci_dma_write_publish(PciDevice *dev, hwaddr gpa, const void *buf,
                           size_t len, size_t status);

/*
 * Reset: INTx low, BARs unmapped, config[] back to config_init (BAR
 * addresses 0, COMMAND 0), then ops->reset.
 */
void pci_device_reset(PciDevice *dev);

/* Where the bus reports decode changes and gets interrupt wires. */
typedef struct PciBusHooks {
    /*
     * A BAR or ROM range started (mapped = true) or stopped being decoded.
     * Called after the IoBus was updated. Optional.
     */
    void (*map_io)(void *opaque, IoSpace space, hwaddr base, hwaddr len,
                   bool mapped);
    /* The INTx wire for `dev` (from its interrupt pin); NULL = none. */
    IrqLine *(*intx_line)(void *opaque, PciDevice *dev);
    void *opaque;
} PciBusHooks;

/* A bus whose BARs decode on `io` and whose DMA goes to `mem`. */
PciBus *pci_bus_new(IoBus *io, GuestMem *mem, const PciBusHooks *hooks);

/*
 * Put `dev` at `devfn`, or at function 0 of the first free slot when
 * devfn < 0. Fails if the slot is taken or out of range.
 */
bool pci_bus_attach(PciBus *bus, PciDevice *dev, int devfn, GError **errp);

/*
 * Take `dev` off the bus: INTx low, BARs and ROM unmapped (hooks told),
 * config accesses to its devfn then read all-ones. Frees the option ROM
 * image (dev->rom becomes NULL) but not the device.
 */
void pci_bus_detach(PciBus *bus, PciDevice *dev);

/* The device at devfn, or NULL. */
PciDevice *pci_bus_find(PciBus *bus, unsigned devfn);

/* Config access by devfn; an empty devfn reads all-ones, drops writes. */
uint32_t pci_bus_config_read(PciBus *bus, unsigned devfn, unsigned offset,
                             unsigned size);
void pci_bus_config_write(PciBus *bus, unsigned devfn, unsigned offset,
                          uint32_t value, unsigned size);

/* pci_device_reset on every attached device. */
void pci_bus_reset(PciBus *bus);

/* Detach and destroy every device, then free the bus. */
void pci_bus_free(PciBus *bus);

/*
 * The PC host side: an i440FX-style host bridge (8086:1237) at 00:00.0
 * and configuration mechanism #1 (CONFIG_ADDRESS at 0xcf8, CONFIG_DATA at
 * 0xcfc-0xcff, PCI 3.0 3.2.2.3.2) on the PIO space of `io`.
 */
bool pci_host_init(PciBus *bus, IoBus *io, GError **errp);

#endif
