/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Machine: assembles the process from the command line. Guest RAM (an
 * anonymous memfd, or a -object memory backend), the IoBus, the
 * transport (qtest, or Xen when `xen` is set), the PCI bus with the PC
 * host bridge, the -netdev backends and the -device NICs; resets them on
 * request and tears them down in dependency order (devices, backends,
 * transport, bus, RAM).
 *
 * -device keys common to every NIC: driver (implied), id, netdev, mac,
 * addr (SLOT[.FN] in hex, as QEMU), romfile, bootindex (ignored), and
 * x-xen-oui=on|off: with no mac=, generate 00:16:3e:xx:xx:xx (Xen's OUI,
 * as xl does) instead of a locally administered address.
 *
 * A NIC without netdev= gets a user-mode network of its own (libslirp,
 * "-netdev user,restrict=on": the guest reaches nothing but forwarded
 * ports). "-net user,OPTS" gives those networks -netdev user's OPTS
 * instead (restrict=off to let the guest out, hostfwd=...); "-net none"
 * leaves such NICs unconnected (frames sent are dropped), as QEMU's NICs
 * without a netdev are.
 *
 * --nic VIFSPEC (xl vif syntax, include/emunet/vifspec.h) is a NIC with a
 * tap of its own, vif<domid>.<devid>-emu or <vifname>-emu, plumbed as the
 * vif's hotplug script would (core/plumb.h) and undone at exit; rate= is
 * applied to its transmit side. Its netdev and device ids are both
 * "vif<devid>" (for -object filter-dump,netdev=). type=vif entries only
 * take their devid.
 *
 * -object filter-dump,id=ID,netdev=NETDEV,file=PATH[,maxlen=N] captures
 * a netdev's frames to a pcap file (QEMU's syntax), any netdev above.
 *
 * -device xen-platform (hw/xen/xen-platform.h) is the Xen platform
 * device; its unplug protocol hands every NIC off to the PV drivers
 * (core/handoff.h: quiesce, detach, backend closed, DEVICE_DELETED).
 * With a companion device model that has the platform device, its
 * unplug ports are passed through to it (hw/xen/xen-relay.h) and the
 * NIC bit hands off the same way (core/machine-platform.c).
 * Device ids are 1-64 of [A-Za-z0-9._-]: they name the sections of the
 * saved device state (include/emunet/devstate.h), which holds every NIC,
 * the platform device and the list of NICs handed off.
 *
 * Under Xen each NIC's state is also recorded in xenstore,
 * device-model/<domid>/emunet/<id>/state = "emulated", then
 * "handed-off" (xen/transport-xen.h).
 */
#ifndef EMUNET_MACHINE_H
#define EMUNET_MACHINE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/xen/xen-relay.h"

#define MACHINE_DEFAULT_RAM (128ULL * 1024 * 1024)

typedef struct MachineConfig {
    /* -m in bytes; 0 when not given (128 MiB, or the backend's size). */
    uint64_t ram_size;
    /* -machine memory-backend=ID, or NULL. */
    const char *memory_backend;
    /* Raw option strings, in command-line order. */
    GPtrArray *objects;
    GPtrArray *netdevs;
    GPtrArray *devices;
    /* -qtest and -qtest-log (NULL: not given). */
    const char *qtest;
    const char *qtest_log;
    /* --nic VIFSPEC strings, in command-line order (NULL: none). */
    GPtrArray *nics;
    /* --domid N for the --nic tap names; 0 when not given. */
    int domid;
    /* Serve Xen domain `domid` (Xen transport) instead of -qtest. */
    bool xen;
    /* -net: "none", or "user[,OPTS]"; NULL: user,restrict=on. */
    const char *default_net;
    /*
     * Create the Xen platform device (hw/xen/xen-platform.h) at 00:02.0,
     * as xenfv does: for libxl mode without a companion device model.
     */
    bool xen_platform;
    /*
     * Secondary mode (Xen, beside a device model emunet did not start):
     * NIC nicN is handed off when the PV frontend of vif N connects
     * (xenstore device/vif/N/state = 4). Ignored when there is a
     * platform device, whose unplug protocol is then the trigger.
     */
    bool handoff_on_pv_connect;
    /*
     * A companion device model owns the Xen platform device: its unplug
     * ports 0x10-0x13 are claimed and passed through to it with this
     * HMP hook (hw/xen/xen-relay.h), and the guest's NIC unplug hands
     * emunet's NICs off. hmp NULL: no companion.
     */
    XenRelayOps platform_relay;
} MachineConfig;

typedef struct Machine Machine;

/*
 * Error codes in MACHINE_ERROR. Errors of other domains come from option
 * parsing and count as usage errors too.
 */
#define MACHINE_ERROR (machine_error_quark())
GQuark machine_error_quark(void);
typedef enum MachineError {
    MACHINE_ERROR_USAGE, /* a bad option value: exit status 2 */
    MACHINE_ERROR_SETUP, /* the host refused (file, socket): status 1 */
} MachineError;

/* Process exit status for a machine_new/machine_start error. */
int machine_error_status(const GError *err);

/*
 * Build everything; nothing runs yet. `loop` is quit when the transport
 * or QMP asks the process to stop. Error messages name the option.
 */
Machine *machine_new(const MachineConfig *cfg, GMainLoop *loop, GError **errp);

/* Start the transport (connect the qtest socket). */
bool machine_start(Machine *m, GError **errp);

/* System reset: every PCI function back to its power-on state. */
void machine_reset(Machine *m);

/*
 * The VM stopped (QMP stop, the companion's STOP, -S) or runs again, as
 * QEMU's vm_stop/vm_start: while stopped no NIC does DMA, raises an
 * interrupt or changes guest-visible state on its own. Device timers do
 * not fire (clock_set_running), the backends offer the NICs no frame
 * and no tx_ready (net_backend_set_paused: frames stay queued, none is
 * lost); running again, whatever became due meanwhile happens then.
 * Guest register accesses are still served (the vCPUs are paused by
 * whoever stopped the VM). Idempotent. A new machine runs.
 */
void machine_set_running(Machine *m, bool running);

/* Tear down in dependency order. NULL is a no-op. */
void machine_free(Machine *m);

/*
 * Hand every emulated NIC off to the PV drivers (core/handoff.h), e.g.
 * when the paired PV frontend connected; `reason` goes to the log.
 * Returns how many NICs went now (0 when they already had).
 */
unsigned machine_unplug_nics(Machine *m, const char *reason);

/*
 * Hand one NIC off (secondary mode: its paired PV frontend connected).
 * False with an error for an unknown id; true if it already was.
 */
bool machine_unplug_nic(Machine *m, const char *id, const char *reason,
                        GError **errp);

/* True once NIC `id` (its -device id) was handed off. */
bool machine_nic_unplugged(Machine *m, const char *id);

/*
 * Save (xen-save-devices-state) or load (xen-load-devices-state) the
 * device state (include/emunet/devstate.h) to or from fd when fd >= 0
 * (at its current offset, exactly one blob), else the file `path`. A
 * failed load leaves every device as it was.
 */
bool machine_save_state(Machine *m, int fd, const char *path, GError **errp);
bool machine_load_state(Machine *m, int fd, const char *path, GError **errp);

/*
 * -incoming fd:N | file:PATH | PATH: load the device state before the
 * transport starts.
 */
bool machine_load_incoming(Machine *m, const char *spec, GError **errp);

/*
 * Load a blob read beforehand (devstate_read_fd: emunet's part of a file
 * shared with a companion); errors are prefixed with `what`.
 */
bool machine_load_state_bytes(Machine *m, GBytes *blob, const char *what,
                              GError **errp);

/*
 * xen-set-global-dirty-log: under Xen, report the guest pages DMA writes
 * (transport-xen.h); with any other transport there is nothing to do.
 */
bool machine_set_dirty_log(Machine *m, bool enable, GError **errp);

/*
 * query-emunet's "return" (owned JSON text): per NIC its -device id,
 * netdev id and backend type, the backend's carrier ("link-up"),
 * whether it was handed off, and the backend's NetStats counters.
 */
char *machine_query_nics(Machine *m);

#endif
