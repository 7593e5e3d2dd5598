/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hand-off of emulated NICs to the guest's PV drivers (contract 5.3,
 * issue 6 "Clean hand-off"): when the guest asks (Xen platform unplug
 * protocol) or the paired PV frontend connects, every emulated NIC goes
 * away so that exactly one path carries the guest's MAC.
 *
 * One NIC's hand-off, in this order:
 *  1. PciDeviceOps.quiesce: TX/RX stop, timers cancelled, queued and
 *     held frames dropped, the backend disconnected, the interrupt
 *     request dropped; nothing of the device runs again;
 *  2. hooks.detach: the function leaves the bus (INTx low, BARs
 *     unmapped, config reads all-ones) and the transport is told
 *     (remove_pci_device);
 *  3. hooks.close_backend: the backend is freed (a tap's fd closes, the
 *     -emu interface disappears and leaves its bridge);
 *  4. hooks.unplugged: QMP DEVICE_DELETED and whatever else records it;
 *  5. one log line.
 * The device is destroyed only by handoff_free, at shutdown: nothing can
 * reach it any more, and nothing on the call stack (a port write in
 * progress) can still hold it. Repeated, late and concurrent requests
 * are no-ops for NICs already handed off, including requests made from
 * inside a hand-off (a hook). Everything runs in the main loop thread.
 */
#ifndef EMUNET_CORE_HANDOFF_H
#define EMUNET_CORE_HANDOFF_H

#include <glib.h>

#include "emunet/devstate.h"
#include "emunet/pci.h"

typedef struct Handoff Handoff;

typedef struct HandoffHooks {
    /* Take `dev` off the bus and tell the transport. Required. */
    void (*detach)(void *opaque, PciDevice *dev);
    /*
     * Free the backend of NIC `id`. Returns a description for the log
     * ("tap vif5.0-emu", owned by the caller), or NULL when the NIC had
     * none. Required.
     */
    char *(*close_backend)(void *opaque, const char *id);
    /* NIC `id` is gone (events, xenstore). Optional. */
    void (*unplugged)(void *opaque, const char *id);
    void *opaque;
} HandoffHooks;

Handoff *handoff_new(const HandoffHooks *hooks);

/* Destroy the devices handed off and free everything. NULL: no-op. */
void handoff_free(Handoff *h);

/*
 * A NIC that may be handed off: `dev` attached, `model` its -device
 * driver name. The Handoff does not own it until it is handed off.
 */
void handoff_add_nic(Handoff *h, const char *id, const char *model,
                     PciDevice *dev);

/*
 * Hand off every NIC still present; `reason` ends up in the log line
 * ("Xen platform unplug"). Returns how many went now.
 */
unsigned handoff_unplug_all(Handoff *h, const char *reason);

/*
 * Hand off one NIC. Unknown id: false with an error. Already handed
 * off: true, nothing done.
 */
bool handoff_unplug(Handoff *h, const char *id, const char *reason,
                    GError **errp);

/* True once NIC `id` was handed off (false for an unknown id). */
bool handoff_is_unplugged(Handoff *h, const char *id);

/* The NICs known, in order of handoff_add_nic: count and ids. */
guint handoff_count(Handoff *h);
const char *handoff_nic_id(Handoff *h, guint index);

/*
 * devstate section "handoff": the NICs already handed off. Loading it
 * hands the same NICs off in the new process (after their devices'
 * sections, so register it last). The owner is the Handoff.
 */
extern const DevStateOps handoff_devstate_ops;
/* Its section id (reserved: no device may have it). */
#define HANDOFF_STATE_ID "handoff"

#endif
