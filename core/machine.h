/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Machine: assembles the process from the command line. Guest RAM (an
 * anonymous memfd, or a -object memory backend), the IoBus, the
 * transport (qtest for now), the PCI bus with the PC host bridge, the
 * -netdev backends and the -device NICs; resets them on request and
 * tears them down in dependency order (devices, backends, transport,
 * bus, RAM).
 *
 * -device keys common to every NIC: driver (implied), id, netdev, mac,
 * addr (SLOT[.FN] in hex, as QEMU), romfile, bootindex (ignored), and
 * x-xen-oui=on|off: with no mac=, generate 00:16:3e:xx:xx:xx (Xen's OUI,
 * as xl does) instead of a locally administered address.
 */
#ifndef EMUNET_MACHINE_H
#define EMUNET_MACHINE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

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

/* Tear down in dependency order. NULL is a no-op. */
void machine_free(Machine *m);

#endif
