/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Xen transport: emunet as an ioreq server for one HVM domain (issue
 * 5, contract §3-6). Guest accesses arrive as ioreqs on per-vCPU event
 * channels, DMA goes through a foreign-memory map cache, INTx through
 * set_pci_intx_level, device time is the real clock of the main context.
 *
 * Lifecycle: xen_transport_new opens the libraries (failing with one line
 * if not on Xen, the domain does not exist, permission is denied or the
 * domain has no ioreq server left), reads the paired vifs' MAC and bridge
 * from xenstore where the command line has none, creates the server and
 * maps its page. Each NIC's function is registered as it is attached, BAR
 * windows are claimed as the guest decodes them. TransportOps.start
 * enables the server, binds the event channels and only then writes
 * device-model/<domid>/state = "running", unless the VM starts paused
 * (-S, xen_transport_set_running): then that is written on its first
 * transition to running, as QEMU does. Freeing the transport (and, as a
 * last resort, exit() or a crash) destroys the server, so no vCPU stays
 * blocked on it. SIGHUP/SIGTERM/SIGINT quit the loop from creation on.
 *
 * This header needs no Xen headers: without libxen-dev, xen-stubs.c
 * provides the same functions, failing with "built without Xen support".
 */
#ifndef EMUNET_XEN_TRANSPORT_XEN_H
#define EMUNET_XEN_TRANSPORT_XEN_H

#include <glib.h>
#include <stdint.h>

#include "emunet/iobus.h"
#include "emunet/transport.h"

/* Errors of the Xen transport, in XEN_ERROR. */
#define XEN_ERROR (xen_error_quark())
GQuark xen_error_quark(void);
typedef enum XenError {
    XEN_ERROR_NOT_XEN,   /* no /dev/xen: not running on Xen */
    XEN_ERROR_PERM,      /* permission denied */
    XEN_ERROR_NO_DOMAIN, /* the domain does not exist */
    XEN_ERROR_TOO_MANY,  /* the domain has all its ioreq servers */
    XEN_ERROR_NO_SUPPORT, /* emunet was built without Xen */
    XEN_ERROR_FAILED,    /* anything else */
} XenError;

typedef struct XenTransportConfig {
    /* The HVM guest to serve: 1 .. DOMID_FIRST_RESERVED - 1. */
    uint32_t domid;
    /*
     * The -netdev / -device option strings (may be NULL). Entries lacking
     * mac= / br= may be replaced by strings with the paired vif's values
     * (xenstore.h); the new strings live until the transport is freed.
     */
    GPtrArray *netdevs;
    GPtrArray *devices;
    /*
     * The PV frontend of vif `devid`, paired with the NIC whose id is
     * nic<devid>, reached XenbusState Connected (4): the guest's PV
     * driver took over (contract §5.5). Called from the main loop, once
     * per transition to Connected. Optional.
     */
    void (*vif_connected)(void *opaque, unsigned devid);
    void *opaque;
} XenTransportConfig;

/* Create the transport; see the file comment. */
Transport *xen_transport_new(const XenTransportConfig *cfg, IoBus *iobus,
                             GError **errp);

/*
 * The process's exit status as far as the Xen transport is concerned: 1
 * once a fatal run-time error (the event channel device failing) made it
 * destroy its ioreq server, log the cause and quit the main loop; 0
 * otherwise. Valid after the transport is freed.
 */
int xen_transport_exit_status(void);

/*
 * Device state was loaded (-incoming, xen-load-devices-state): the INTx
 * levels Xen kept from the previous device model give way to the loaded
 * devices' (xl restore would otherwise leave a stale level asserted).
 * Nothing for other transports.
 */
void xen_transport_state_loaded(Transport *t);

/*
 * The xenstore connection of a Xen transport, for PV hand-off watches
 * (xenstore.h: xen_store_watch_vif_frontend); NULL for any other
 * transport.
 */
typedef struct XenStore XenStore;
XenStore *xen_transport_store(Transport *t);

/*
 * Record NIC `id`'s state for the toolstack and administrators:
 * device-model/<domid>/emunet/<id>/state (relative to emunet's own
 * domain, like the "state" key libxl watches; libxl removes the whole
 * device-model/<domid> directory when the domain goes) = "emulated" or
 * "handed-off". False when `t` is not a Xen transport or xenstore is
 * gone (-xen-domid-restrict closes it); a failed write is logged.
 */
bool xen_transport_set_nic_state(Transport *t, const char *id,
                                 const char *state);

/*
 * The VM stopped or runs (machine_set_running: -S, QMP stop / cont); a
 * no-op for other transports. A new transport assumes running. Stopped
 * before TransportOps.start means started paused (-S): start then leaves
 * device-model/<domid>/state unwritten, and the first transition to
 * running writes "running" (QEMU 7.2 records it from its run-state
 * handler). Under -S libxl (dm_restrict) confirms the start by QMP
 * query-status and must not see "running" in xenstore before its own
 * cont (contract §1.6). Once -xen-domid-restrict closed xenstore the
 * write is skipped; a failing one is only traced (QEMU tolerates it).
 */
void xen_transport_set_running(Transport *t, bool running);

/*
 * xen-set-global-dirty-log: while on, guest pages written by DMA are
 * reported with xendevicemodel_modified_memory (gmem-xen.h). False with
 * an error when `t` is not a Xen transport.
 */
bool xen_transport_set_dirty_log(Transport *t, bool enable, GError **errp);

#endif
