/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PCI config space core for conventional type 0 functions on bus 0, per the
 * PCI Local Bus Specification 3.0 ch. 6: per-byte write / write-1-to-clear
 * masks, BAR sizing and decode, the expansion ROM, the capability list,
 * INTx and bus-master gating of DMA. Configuration mechanism #1 and the
 * host bridge live in pci-host.c.
 */
#include <inttypes.h>

#include "emunet/log.h"
#include "emunet/pci.h"
#include "hw/pci/pci_regs.h"

#define PCI_DEVFN_COUNT 256
/* Regions the core decodes: BAR slots 0..5, then the expansion ROM. */
#define PCI_ROM_REGION PCI_NUM_BARS
#define PCI_NUM_REGIONS (PCI_NUM_BARS + 1)
#define PCI_ROM_MIN_SIZE 2048u
#define PCI_ROM_MAX_SIZE (16u * 1024 * 1024)
/* Exclusive upper bounds of I/O and 32-bit memory decode. */
#define PCI_IO_LIMIT 0x10000ULL
#define PCI_MEM32_LIMIT 0x100000000ULL
#define PCI_BAR_END (PCI_BASE_ADDRESS_5 + 4)
/* A capability chain cannot be longer than config space has dwords. */
#define PCI_CAP_MAX_CHAIN (PCI_CONFIG_SIZE / 4)

#define PCI_ERROR g_quark_from_static_string("emunet-pci-error")

struct PciBus {
    IoBus *io;
    GuestMem *mem;
    PciBusHooks hooks;
    PciDevice *devices[PCI_DEVFN_COUNT];
};

/* A BAR or the ROM, seen the same way by the decode logic. */
typedef struct PciRegion {
    const char *name;
    IoSpace space;
    uint64_t size;
    const IoOps *ops;
    void *opaque;
    bool *mapped;
    hwaddr *addr;
} PciRegion;

static const char *const pci_region_names[PCI_NUM_REGIONS] = {
    "BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM",
};

static uint64_t pci_rom_read(void *opaque, hwaddr offset, unsigned size)
{
    PciDevice *dev = opaque;
    uint64_t val = 0;

    if (offset >= dev->rom_size || size > dev->rom_size - offset) {
        return 0;
    }
    for (unsigned i = 0; i < size; i++) {
        val |= (uint64_t)dev->rom[offset + i] << (8 * i);
    }
    return val;
}

static void pci_rom_write(void *opaque, hwaddr offset, uint64_t value,
                          unsigned size)
{
    PciDevice *dev = opaque;

    log_guest_error(LOG_PCI, "%s: write to expansion ROM at +%#" PRIx64
                    " ignored", dev->name, offset);
}

static const IoOps pci_rom_ops = {
    .name = "pci-rom",
    .read = pci_rom_read,
    .write = pci_rom_write,
    .min_access = 1,
    .max_access = 8,
};

static uint32_t pci_all_ones(unsigned size)
{
    return size == 1 ? 0xffu : size == 2 ? 0xffffu : 0xffffffffu;
}

static bool pci_config_access_ok(unsigned offset, unsigned size)
{
    return (size == 1 || size == 2 || size == 4) &&
           offset < PCI_CONFIG_SIZE && size <= PCI_CONFIG_SIZE - offset;
}

static bool pci_ranges_overlap(unsigned a, unsigned alen, unsigned b,
                               unsigned blen)
{
    return a < b + blen && b < a + alen;
}

static uint16_t pci_get_command(const PciDevice *dev)
{
    return ld16_le(dev->config + PCI_COMMAND);
}

/* Fill `reg` for region r; false if the device does not implement it. */
static bool pci_region_get(PciDevice *dev, int r, PciRegion *reg)
{
    PciBar *bar;

    if (r == PCI_ROM_REGION) {
        if (!dev->rom) {
            return false;
        }
        *reg = (PciRegion){
            .name = pci_region_names[r],
            .space = IO_SPACE_MMIO,
            .size = dev->rom_size,
            .ops = &pci_rom_ops,
            .opaque = dev,
            .mapped = &dev->rom_mapped,
            .addr = &dev->rom_addr,
        };
        return true;
    }
    bar = &dev->bars[r];
    if (bar->type == PCI_BAR_UNUSED) {
        return false;
    }
    *reg = (PciRegion){
        .name = pci_region_names[r],
        .space = bar->type == PCI_BAR_IO ? IO_SPACE_PIO : IO_SPACE_MMIO,
        .size = bar->size,
        .ops = bar->ops,
        .opaque = bar->opaque,
        .mapped = &bar->mapped,
        .addr = &bar->addr,
    };
    return true;
}

/*
 * Where region r should be decoded now; false if it should not be. The
 * space must be on in COMMAND (PCI 3.0 6.2.2), and for the ROM also the
 * ROM enable bit (6.2.5.2). The size bits of the register are read-only
 * zero, so masking with ~(size - 1) only drops the low type/enable bits.
 */
static bool pci_region_target(const PciDevice *dev, int r,
                              const PciRegion *reg, hwaddr *addr)
{
    uint16_t cmd = pci_get_command(dev);
    unsigned off = PCI_BASE_ADDRESS_0 + 4 * r;
    uint64_t raw, limit, end;

    if (r == PCI_ROM_REGION) {
        raw = ld32_le(dev->config + PCI_ROM_ADDRESS);
        if (!(cmd & PCI_COMMAND_MEMORY) || !(raw & PCI_ROM_ADDRESS_ENABLE)) {
            return false;
        }
        limit = PCI_MEM32_LIMIT;
    } else if (dev->bars[r].type == PCI_BAR_IO) {
        if (!(cmd & PCI_COMMAND_IO)) {
            return false;
        }
        raw = ld32_le(dev->config + off);
        limit = PCI_IO_LIMIT;
    } else if (dev->bars[r].type == PCI_BAR_MEM32) {
        if (!(cmd & PCI_COMMAND_MEMORY)) {
            return false;
        }
        raw = ld32_le(dev->config + off);
        limit = PCI_MEM32_LIMIT;
    } else {
        if (!(cmd & PCI_COMMAND_MEMORY)) {
            return false;
        }
        raw = ld64_le(dev->config + off);
        limit = 0;
    }
    *addr = raw & ~(reg->size - 1);
    /*
     * Zero means unassigned. The end must not wrap and must lie strictly
     * below the space's limit: the all-ones sizing probe leaves exactly a
     * range that ends on the last byte of its space, and that is a probe,
     * not an assignment (QEMU's pci_bar_address draws the same line).
     */
    end = *addr + reg->size;
    if (*addr == 0 || end <= *addr || (limit && end >= limit)) {
        return false;
    }
    return true;
}

static void pci_region_unmap(PciDevice *dev, const PciRegion *reg)
{
    PciBus *bus = dev->bus;
    hwaddr base = *reg->addr;

    if (!iobus_unmap(bus->io, reg->space, base, reg->ops, reg->opaque)) {
        log_error("pci: %s: %s at %#" PRIx64 " was not on the bus",
                  dev->name, reg->name, base);
    }
    *reg->mapped = false;
    *reg->addr = 0;
    if (bus->hooks.map_io) {
        bus->hooks.map_io(bus->hooks.opaque, reg->space, base, reg->size,
                          false);
    }
}

static void pci_region_map(PciDevice *dev, const PciRegion *reg,
                           hwaddr base)
{
    PciBus *bus = dev->bus;
    g_autoptr(GError) err = NULL;

    if (!iobus_map(bus->io, reg->space, base, reg->size, reg->ops,
                   reg->opaque, &err)) {
        log_guest_error(LOG_PCI, "%s: %s at %#" PRIx64 " (%#" PRIx64
                        " bytes) left undecoded: %s", dev->name, reg->name,
                        base, reg->size, err->message);
        return;
    }
    *reg->mapped = true;
    *reg->addr = base;
    log_trace(LOG_PCI, "%s: %s decoded at %#" PRIx64, dev->name, reg->name,
              base);
    if (bus->hooks.map_io) {
        bus->hooks.map_io(bus->hooks.opaque, reg->space, base, reg->size,
                          true);
    }
}

/*
 * Bring every region's decode in line with COMMAND and its base register.
 * All removals happen before any insertion, so a region may move onto
 * space another region of this device has just left.
 */
static void pci_update_mappings(PciDevice *dev)
{
    PciRegion regs[PCI_NUM_REGIONS];
    hwaddr target[PCI_NUM_REGIONS];
    bool used[PCI_NUM_REGIONS];
    bool want[PCI_NUM_REGIONS];

    if (!dev->bus) {
        return;
    }
    for (int r = 0; r < PCI_NUM_REGIONS; r++) {
        used[r] = pci_region_get(dev, r, &regs[r]);
        want[r] = used[r] && pci_region_target(dev, r, &regs[r], &target[r]);
    }
    for (int r = 0; r < PCI_NUM_REGIONS; r++) {
        if (used[r] && *regs[r].mapped &&
            (!want[r] || *regs[r].addr != target[r])) {
            pci_region_unmap(dev, &regs[r]);
        }
    }
    for (int r = 0; r < PCI_NUM_REGIONS; r++) {
        if (want[r] && !*regs[r].mapped) {
            pci_region_map(dev, &regs[r], target[r]);
        }
    }
}

static void pci_unmap_all(PciDevice *dev)
{
    PciRegion reg;

    if (!dev->bus) {
        return;
    }
    for (int r = 0; r < PCI_NUM_REGIONS; r++) {
        if (pci_region_get(dev, r, &reg) && *reg.mapped) {
            pci_region_unmap(dev, &reg);
        }
    }
}

/* The wire follows the request unless COMMAND.INTX_DISABLE (6.2.2). */
static void pci_update_irq(PciDevice *dev)
{
    bool disabled = pci_get_command(dev) & PCI_COMMAND_INTX_DISABLE;

    irq_set_level(dev->intx, dev->irq_request && !disabled);
}

void pci_device_init(PciDevice *dev, const PciDeviceOps *ops,
                     const PciIdent *id, const char *name)
{
    g_assert(ops && ops->reset && ops->destroy);

    memset(dev, 0, sizeof(*dev));
    dev->name = name;
    dev->ops = ops;
    dev->devfn = -1;
    dev->cap_next = PCI_CONFIG_HEADER_SIZE;

    st16_le(dev->config + PCI_VENDOR_ID, id->vendor_id);
    st16_le(dev->config + PCI_DEVICE_ID, id->device_id);
    dev->config[PCI_REVISION_ID] = id->revision;
    dev->config[PCI_CLASS_PROG] = id->class_code & 0xff;
    st16_le(dev->config + PCI_CLASS_DEVICE, (id->class_code >> 8) & 0xffff);
    dev->config[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
    st16_le(dev->config + PCI_SUBSYSTEM_VENDOR_ID, id->subsystem_vendor_id);
    st16_le(dev->config + PCI_SUBSYSTEM_ID, id->subsystem_id);
    dev->config[PCI_INTERRUPT_PIN] = id->interrupt_pin;

    /*
     * The writable header bits (PCI 3.0 6.2). The rest is read-only: IDs,
     * class, header type, BIST (not implemented, so 0), interrupt pin,
     * capability pointer; BARs get their masks in pci_register_bar.
     */
    st16_le(dev->wmask + PCI_COMMAND,
            PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
                PCI_COMMAND_INTX_DISABLE);
    dev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    dev->wmask[PCI_LATENCY_TIMER] = 0xff;
    dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
    st16_le(dev->w1cmask + PCI_STATUS, PCI_STATUS_ERROR_BITS);
}

/* A slot is taken if a BAR claims it or it is the upper half of MEM64. */
static bool pci_bar_slot_free(const PciDevice *dev, int index)
{
    unsigned off = PCI_BASE_ADDRESS_0 + 4 * index;

    return dev->bars[index].type == PCI_BAR_UNUSED &&
           ld32_le(dev->wmask + off) == 0;
}

void pci_register_bar(PciDevice *dev, int index, PciBarType type,
                      bool prefetchable, uint64_t size, const IoOps *ops,
                      void *opaque)
{
    unsigned off = PCI_BASE_ADDRESS_0 + 4 * index;
    uint64_t mask = ~(size - 1);
    uint32_t flags = 0;
    PciBar *bar;

    g_assert(!dev->bus && ops);
    g_assert(index >= 0 && index < PCI_NUM_BARS);
    g_assert(pci_bar_slot_free(dev, index));
    g_assert(size && !(size & (size - 1)));
    switch (type) {
    case PCI_BAR_IO:
        g_assert(size >= 4 && size < PCI_IO_LIMIT && !prefetchable);
        flags = PCI_BASE_ADDRESS_SPACE_IO;
        break;
    case PCI_BAR_MEM32:
        g_assert(size >= 16 && size < PCI_MEM32_LIMIT);
        break;
    case PCI_BAR_MEM64:
        g_assert(size >= 16 && index + 1 < PCI_NUM_BARS);
        g_assert(pci_bar_slot_free(dev, index + 1));
        flags = PCI_BASE_ADDRESS_MEM_TYPE_64;
        break;
    default:
        g_assert_not_reached();
    }
    if (prefetchable) {
        flags |= PCI_BASE_ADDRESS_MEM_PREFETCH;
    }

    bar = &dev->bars[index];
    *bar = (PciBar){ .type = type, .prefetchable = prefetchable,
                     .size = size, .ops = ops, .opaque = opaque };
    /*
     * PCI 3.0 6.2.5.1: the type bits are hardwired, the bits below the
     * size read back as zero, the rest hold the address. Writing all-ones
     * then reading back thus yields ~(size - 1) | type: the sizing probe.
     */
    st32_le(dev->config + off, flags);
    st32_le(dev->wmask + off,
            (uint32_t)mask & ~(uint32_t)(type == PCI_BAR_IO
                                             ? PCI_BASE_ADDRESS_IO_FLAGS
                                             : PCI_BASE_ADDRESS_MEM_FLAGS));
    if (type == PCI_BAR_MEM64) {
        st32_le(dev->config + off + 4, 0);
        st32_le(dev->wmask + off + 4, (uint32_t)(mask >> 32));
    }
}

bool pci_load_rom(PciDevice *dev, const char *path, GError **errp)
{
    g_autofree gchar *data = NULL;
    GError *err = NULL;
    gsize len = 0;
    uint64_t size;

    g_assert(!dev->bus);
    if (path && *path) {
        if (!g_file_get_contents(path, &data, &len, &err)) {
            g_propagate_prefixed_error(errp, err, "option ROM: ");
            return false;
        }
        if (len == 0 || len > PCI_ROM_MAX_SIZE) {
            g_set_error(errp, PCI_ERROR, 0,
                        "option ROM %s: size %zu is not in 1..%u bytes",
                        path, (size_t)len, PCI_ROM_MAX_SIZE);
            return false;
        }
    }

    g_clear_pointer(&dev->rom, g_free);
    dev->rom_size = 0;
    st32_le(dev->config + PCI_ROM_ADDRESS, 0);
    st32_le(dev->wmask + PCI_ROM_ADDRESS, 0);
    if (!data) {
        return true;
    }

    /* PCI 3.0 6.2.5.2: at least 2 KiB, a power of two; pad with zeros. */
    size = MAX(PCI_ROM_MIN_SIZE, (uint64_t)1 << g_bit_storage(len - 1));
    dev->rom = g_malloc0(size);
    memcpy(dev->rom, data, len);
    dev->rom_size = size;
    st32_le(dev->wmask + PCI_ROM_ADDRESS,
            ((uint32_t)~(size - 1) & PCI_ROM_ADDRESS_MASK) |
                PCI_ROM_ADDRESS_ENABLE);
    return true;
}

uint8_t pci_add_capability(PciDevice *dev, uint8_t cap_id, uint8_t size)
{
    unsigned off = (dev->cap_next + 3) & ~3u;
    unsigned link = PCI_CAPABILITY_LIST;
    uint16_t status;

    g_assert(!dev->bus && size >= 2);
    if (off < PCI_CONFIG_HEADER_SIZE || off + size > PCI_CONFIG_SIZE) {
        return 0;
    }
    /* Append at the tail: the chain keeps the order of registration. */
    for (int i = 0; dev->config[link] && i < PCI_CAP_MAX_CHAIN; i++) {
        link = dev->config[link] + PCI_CAP_LIST_NEXT;
    }
    g_assert(dev->config[link] == 0);

    memset(dev->config + off, 0, size);
    dev->config[off + PCI_CAP_LIST_ID] = cap_id;
    dev->config[link] = off;
    status = ld16_le(dev->config + PCI_STATUS) | PCI_STATUS_CAP_LIST;
    st16_le(dev->config + PCI_STATUS, status);
    dev->cap_next = off + size;
    return off;
}

uint32_t pci_config_read(PciDevice *dev, unsigned offset, unsigned size)
{
    uint32_t val = 0;

    if (!pci_config_access_ok(offset, size)) {
        log_guest_error(LOG_PCI, "%s: config read of %u bytes at %#x",
                        dev->name, size, offset);
        return pci_all_ones(size);
    }
    for (unsigned i = 0; i < size; i++) {
        val |= (uint32_t)dev->config[offset + i] << (8 * i);
    }
    return val;
}

void pci_config_write(PciDevice *dev, unsigned offset, uint32_t value,
                      unsigned size)
{
    bool command;

    if (!pci_config_access_ok(offset, size)) {
        log_guest_error(LOG_PCI, "%s: config write of %u bytes at %#x "
                        "dropped", dev->name, size, offset);
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        unsigned idx = offset + i;
        uint8_t b = value >> (8 * i);

        dev->config[idx] = (dev->config[idx] & ~dev->wmask[idx]) |
                           (b & dev->wmask[idx]);
        dev->config[idx] &= ~(b & dev->w1cmask[idx]);
    }

    command = pci_ranges_overlap(offset, size, PCI_COMMAND, 2);
    if (command ||
        pci_ranges_overlap(offset, size, PCI_BASE_ADDRESS_0,
                           PCI_BAR_END - PCI_BASE_ADDRESS_0) ||
        pci_ranges_overlap(offset, size, PCI_ROM_ADDRESS, 4)) {
        pci_update_mappings(dev);
    }
    if (command) {
        pci_update_irq(dev);
    }
    if (dev->ops->config_written) {
        dev->ops->config_written(dev, offset, size);
    }
}

void pci_set_irq(PciDevice *dev, bool level)
{
    uint16_t status = ld16_le(dev->config + PCI_STATUS);

    /* PCI 3.0 6.2.3: Interrupt Status ignores INTX_DISABLE. */
    if (level) {
        status |= PCI_STATUS_INTERRUPT;
    } else {
        status &= ~PCI_STATUS_INTERRUPT;
    }
    st16_le(dev->config + PCI_STATUS, status);
    dev->irq_request = level;
    pci_update_irq(dev);
}

bool pci_bus_master_enabled(const PciDevice *dev)
{
    return pci_get_command(dev) & PCI_COMMAND_MASTER;
}

static bool pci_dma_allowed(PciDevice *dev, const char *what, hwaddr gpa)
{
    if (dev->bus && dev->bus->mem && pci_bus_master_enabled(dev)) {
        return true;
    }
    /* Not a guest error: drivers turn BME off with traffic in flight. */
    log_trace(LOG_PCI, "%s: DMA %s at %#" PRIx64 " refused: %s", dev->name,
              what, gpa, dev->bus ? "bus mastering off" : "detached");
    return false;
}

bool pci_dma_read(PciDevice *dev, hwaddr gpa, void *buf, size_t len)
{
    if (!pci_dma_allowed(dev, "read", gpa)) {
        memset(buf, 0, len);
        return false;
    }
    return gmem_read(dev->bus->mem, gpa, buf, len);
}

bool pci_dma_write(PciDevice *dev, hwaddr gpa, const void *buf, size_t len)
{
    if (!pci_dma_allowed(dev, "write", gpa)) {
        return false;
    }
    return gmem_write(dev->bus->mem, gpa, buf, len);
}

bool pci_dma_write_publish(PciDevice *dev, hwaddr gpa, const void *buf,
                           size_t len, size_t status)
{
    if (!pci_dma_allowed(dev, "write", gpa)) {
        return false;
    }
    return gmem_write_publish(dev->bus->mem, gpa, buf, len, status);
}

void pci_device_reset(PciDevice *dev)
{
    dev->irq_request = false;
    irq_set_level(dev->intx, false);
    pci_unmap_all(dev);
    /* config_init exists once attached; before that nothing has changed. */
    if (dev->bus) {
        memcpy(dev->config, dev->config_init, PCI_CONFIG_SIZE);
    }
    dev->ops->reset(dev);
}

PciBus *pci_bus_new(IoBus *io, GuestMem *mem, const PciBusHooks *hooks)
{
    PciBus *bus = g_new0(PciBus, 1);

    g_assert(io);
    bus->io = io;
    bus->mem = mem;
    if (hooks) {
        bus->hooks = *hooks;
    }
    return bus;
}

/* Function 0 of the first slot with no function present, or -1. */
static int pci_bus_free_slot(const PciBus *bus)
{
    for (int slot = 0; slot < 32; slot++) {
        bool busy = false;

        for (int fn = 0; fn < 8; fn++) {
            busy |= bus->devices[PCI_DEVFN(slot, fn)] != NULL;
        }
        if (!busy) {
            return PCI_DEVFN(slot, 0);
        }
    }
    return -1;
}

bool pci_bus_attach(PciBus *bus, PciDevice *dev, int devfn, GError **errp)
{
    g_assert(!dev->bus);
    if (devfn < 0) {
        devfn = pci_bus_free_slot(bus);
        if (devfn < 0) {
            g_set_error(errp, PCI_ERROR, 0, "%s: no free PCI slot",
                        dev->name);
            return false;
        }
    } else if (devfn >= PCI_DEVFN_COUNT) {
        g_set_error(errp, PCI_ERROR, 0, "%s: PCI devfn %d out of range",
                    dev->name, devfn);
        return false;
    } else if (bus->devices[devfn]) {
        g_set_error(errp, PCI_ERROR, 0,
                    "%s: PCI address 00:%02x.%x is taken by %s", dev->name,
                    PCI_SLOT(devfn), PCI_FUNC(devfn),
                    bus->devices[devfn]->name);
        return false;
    }

    bus->devices[devfn] = dev;
    dev->bus = bus;
    dev->devfn = devfn;
    dev->intx = NULL;
    if (dev->config[PCI_INTERRUPT_PIN] && bus->hooks.intx_line) {
        dev->intx = bus->hooks.intx_line(bus->hooks.opaque, dev);
    }
    memcpy(dev->config_init, dev->config, PCI_CONFIG_SIZE);
    pci_update_mappings(dev);
    pci_update_irq(dev);
    return true;
}

void pci_bus_detach(PciBus *bus, PciDevice *dev)
{
    g_assert(dev->bus == bus && bus->devices[dev->devfn] == dev);

    irq_set_level(dev->intx, false);
    pci_unmap_all(dev);
    bus->devices[dev->devfn] = NULL;
    dev->bus = NULL;
    dev->devfn = -1;
    dev->intx = NULL;
    /* A removed function has no ROM to offer; the core owns the image. */
    g_clear_pointer(&dev->rom, g_free);
    dev->rom_size = 0;
    st32_le(dev->config + PCI_ROM_ADDRESS, 0);
    st32_le(dev->wmask + PCI_ROM_ADDRESS, 0);
}

PciDevice *pci_bus_find(PciBus *bus, unsigned devfn)
{
    return devfn < PCI_DEVFN_COUNT ? bus->devices[devfn] : NULL;
}

uint32_t pci_bus_config_read(PciBus *bus, unsigned devfn, unsigned offset,
                             unsigned size)
{
    PciDevice *dev = pci_bus_find(bus, devfn);

    /* No function answers: the host bridge sees a master abort (3.2.2.3.2). */
    if (!dev) {
        return pci_all_ones(size);
    }
    return pci_config_read(dev, offset, size);
}

void pci_bus_config_write(PciBus *bus, unsigned devfn, unsigned offset,
                          uint32_t value, unsigned size)
{
    PciDevice *dev = pci_bus_find(bus, devfn);

    if (dev) {
        pci_config_write(dev, offset, value, size);
    }
}

void pci_bus_reset(PciBus *bus)
{
    for (unsigned devfn = 0; devfn < PCI_DEVFN_COUNT; devfn++) {
        if (bus->devices[devfn]) {
            pci_device_reset(bus->devices[devfn]);
        }
    }
}

void pci_bus_free(PciBus *bus)
{
    if (!bus) {
        return;
    }
    for (unsigned devfn = 0; devfn < PCI_DEVFN_COUNT; devfn++) {
        PciDevice *dev = bus->devices[devfn];

        if (dev) {
            pci_bus_detach(bus, dev);
            dev->ops->destroy(dev);
        }
    }
    g_free(bus);
}
