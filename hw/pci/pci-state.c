/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PCI configuration space save / restore; see pci-state.h.
 */
#include "hw/pci/pci-state.h"
#include "hw/pci/pci_regs.h"

#define PCI_STATE_FIELD "pci.config"

void pci_state_save(PciDevice *dev, DevStateWriter *w)
{
    devstate_put_bytes(w, PCI_STATE_FIELD, dev->config, PCI_CONFIG_SIZE);
}

/* Identity bytes: a saved image must match the target function's. */
static const struct {
    unsigned offset;
    unsigned size;
    const char *what;
} pci_state_ident[] = {
    {PCI_VENDOR_ID, 4, "vendor/device ID"},
    {PCI_REVISION_ID, 4, "revision/class code"},
    {PCI_HEADER_TYPE, 1, "header type"},
    {PCI_SUBSYSTEM_VENDOR_ID, 4, "subsystem IDs"},
};

bool pci_state_check(PciDevice *dev, DevStateReader *r, uint8_t *config,
                     GError **errp)
{
    if (!devstate_get_bytes(r, PCI_STATE_FIELD, config, PCI_CONFIG_SIZE,
                            errp)) {
        return false;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(pci_state_ident); i++) {
        unsigned off = pci_state_ident[i].offset;

        if (memcmp(config + off, dev->config_init + off,
                   pci_state_ident[i].size) != 0) {
            return devstate_reader_fail(r, errp, DEVSTATE_ERROR_FOREIGN,
                                        "PCI %s differs from %s's (state "
                                        "of another device model)",
                                        pci_state_ident[i].what, dev->name);
        }
    }
    return true;
}

void pci_state_apply(PciDevice *dev, const uint8_t *config)
{
    pci_device_reset(dev);
    /*
     * Everything after COMMAND/STATUS first (BAR addresses, ROM BAR,
     * interrupt line, capabilities), so that decode starts at the saved
     * addresses when COMMAND comes. STATUS is left alone: its error bits
     * are write-1-to-clear and a fresh function has none set.
     */
    for (unsigned off = PCI_REVISION_ID; off < PCI_CONFIG_SIZE; off += 4) {
        pci_config_write(dev, off, ld32_le(config + off), 4);
    }
    pci_config_write(dev, PCI_COMMAND, ld16_le(config + PCI_COMMAND), 2);
}
