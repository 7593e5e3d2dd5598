/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP monitor: the subset of QEMU 7.2's QEMU Machine Protocol that test
 * clients and libxl use, on one Chardev. Greeting on connect, capabilities
 * negotiation first (other commands before it fail with CommandNotFound,
 * as in QEMU), then qmp_capabilities, query-status, query-version,
 * query-commands, system_reset and quit. Input is a stream of JSON
 * objects (newlines optional, as QEMU's streaming parser allows);
 * malformed input gets a GenericError and the connection stays up.
 */
#ifndef EMUNET_QMP_H
#define EMUNET_QMP_H

#include <glib.h>

#include "core/chardev.h"

typedef struct QmpMonitor QmpMonitor;

typedef struct QmpOps {
    /* system_reset: reset every device (the reply is already queued). */
    void (*system_reset)(void *opaque);
    /* quit: stop the process cleanly (the reply is already queued). */
    void (*quit)(void *opaque);
} QmpOps;

/*
 * A monitor on `chr` (not owned; it must outlive the monitor). Installs
 * the chardev handlers; open the chardev afterwards.
 */
QmpMonitor *qmp_monitor_new(Chardev *chr, const QmpOps *ops, void *opaque);

/*
 * Send an event to the client, if connected and past negotiation.
 * `data_json` is a JSON object text, or NULL for no "data" member.
 */
void qmp_monitor_event(QmpMonitor *mon, const char *name,
                       const char *data_json);

/* NULL is a no-op. Does not free the chardev. */
void qmp_monitor_free(QmpMonitor *mon);

#endif
