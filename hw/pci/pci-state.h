/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Save / restore of a PCI function's configuration space, for the device
 * models' devstate sections (include/emunet/devstate.h). The saved image
 * is applied the way a guest would program it, through
 * pci_config_write: wmask and w1cmask still decide every bit, BARs are
 * decoded (and the transport told) from the restored COMMAND, which is
 * written last. A saved image is accepted only for a function of the
 * same identity (vendor, device, revision, class, subsystem).
 */
#ifndef EMUNET_HW_PCI_PCI_STATE_H
#define EMUNET_HW_PCI_PCI_STATE_H

#include "emunet/devstate.h"
#include "emunet/pci.h"

/* Field "pci.config": the 256 config bytes as the guest sees them. */
void pci_state_save(PciDevice *dev, DevStateWriter *w);

/*
 * Read "pci.config" into config (256 bytes) and check the identity
 * against dev's power-on image. No side effect on dev.
 */
bool pci_state_check(PciDevice *dev, DevStateReader *r, uint8_t *config,
                     GError **errp);

/*
 * pci_device_reset (the device model's reset runs, INTx goes low, BARs
 * are unmapped), then replay `config` (checked) as guest writes.
 */
void pci_state_apply(PciDevice *dev, const uint8_t *config);

#endif
