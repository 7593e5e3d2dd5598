/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP monitor: the subset of QEMU 7.2's QEMU Machine Protocol that test
 * clients and libxl use, on one Chardev. Greeting on connect, capabilities
 * negotiation first (other commands before it fail with CommandNotFound,
 * as in QEMU), then qmp_capabilities, query-status, query-version,
 * query-commands, system_reset and quit. Input is a stream of JSON
 * objects (newlines optional, as QEMU's streaming parser allows);
 * malformed input gets a GenericError and the connection stays up.
 *
 * For libxl (xen-dm-contract.md §1.7, §1.8; core/qmp-libxl.c) it also
 * answers query-chardev, query-vnc, change-vnc-password, cont, stop,
 * query-cpus-fast, xen-set-global-dirty-log, query-block(stats),
 * query-emunet, xen-save-devices-state, xen-load-devices-state and the
 * fd sets of add-fd, remove-fd and query-fdsets (descriptors passed with
 * SCM_RIGHTS; "/dev/fdset/N" names one as a filename), keeps the
 * process-wide run state (prelaunch/running/paused) and, with a
 * companion device model (QmpOps.forward), hands every command it does
 * not own to the companion, with the descriptors that came with it, and
 * relays the reply unchanged: query-status, query-emunet,
 * qmp_capabilities and quit stay emunet's; cont, stop, system_reset,
 * xen-set-global-dirty-log, add-fd and remove-fd go to the companion
 * and, when it succeeds, take effect in emunet too (emunet keeps its own
 * copy of an fd set's descriptor); xen-save-devices-state goes to the
 * companion first and emunet appends its part after the companion's,
 * xen-load-devices-state reads emunet's part first (the file layout is
 * in core/qmp-libxl.c). A monitor handles one command at a time, as
 * QEMU's: input arriving while a forwarded command is pending waits (at
 * most QMP_MAX_QUEUED commands).
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
    /*
     * forward: send `text` (one command as the client wrote it) to the
     * companion, with copies of the `nfds` descriptors `fds` (SCM_RIGHTS;
     * the caller keeps its own); its reply must come back through
     * qmp_monitor_forward_done/_failed with `session`. Return false when
     * there is no companion (emunet then answers alone). Optional.
     */
    bool (*forward)(void *opaque, QmpMonitor *mon, guint64 session,
                    const char *text, size_t len, const int *fds,
                    unsigned nfds);
    /* has_companion: would forward send? Optional (no companion). */
    bool (*has_companion)(void *opaque);
    /*
     * companion_command: emunet's own command to the companion
     * (`args_json` an object text or NULL), with a copy of `fd` when >= 0;
     * an error reply is logged. False when there is no companion.
     * Optional.
     */
    bool (*companion_command)(void *opaque, const char *execute,
                              const char *args_json, int fd);
    /*
     * set_dirty_log: xen-set-global-dirty-log; false with errp set when
     * it cannot be done. Optional (then only recorded).
     */
    bool (*set_dirty_log)(void *opaque, bool enable, GError **errp);
    /*
     * query_emunet: the "return" JSON text of query-emunet (owned by the
     * caller), an array with one object per NIC. Optional ([]).
     */
    char *(*query_emunet)(void *opaque);
    /*
     * xen-save-devices-state / xen-load-devices-state: with fd >= 0,
     * append the device state (include/emunet/devstate.h: blob and
     * file trailer) at the end of fd's file, or find it from the
     * trailer there, with pwrite/pread (fd's offset is neither used nor
     * moved); else create `filename` with it, or read it. False with
     * errp set on failure (a failed load changes nothing). Optional
     * (then the commands fail).
     */
    bool (*save_devices)(void *opaque, int fd, const char *filename,
                         GError **errp);
    bool (*load_devices)(void *opaque, int fd, const char *filename,
                         GError **errp);
} QmpOps;

/* Commands a monitor keeps waiting behind a forwarded one. */
#define QMP_MAX_QUEUED 64

/* The process-wide run state (QEMU's RunState names). */
typedef enum QmpRunState {
    QMP_RUN_RUNNING,   /* "running" (the default) */
    QMP_RUN_PRELAUNCH, /* "prelaunch": -S, no cont yet */
    QMP_RUN_PAUSED,    /* "paused": stop, or -S with -incoming */
} QmpRunState;

void qmp_set_runstate(QmpRunState state);
QmpRunState qmp_get_runstate(void);

/*
 * Told whenever the run state changes between running and not running,
 * whoever changed it (cont, stop, the companion's STOP and RESUME): main
 * keeps the machine in step (machine_set_running). One per process;
 * NULL: none.
 */
typedef void QmpRunFn(void *opaque, bool running);
void qmp_set_run_handler(QmpRunFn *fn, void *opaque);

/*
 * The "version" object of the greeting and query-version (JSON text,
 * copied), e.g. the companion's; NULL restores emunet's own (7.2.0).
 */
void qmp_set_version(const char *version_json);

/* vCPUs reported by query-cpus-fast (-smp; default 1). */
void qmp_set_cpus(unsigned n);

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

/*
 * libxl framing: every message ends in "\r\n", as QEMU's monitor writes
 * (libxl splits on it). Default "\n". Set before the chardev opens.
 */
void qmp_monitor_set_crlf(QmpMonitor *mon, bool crlf);

/*
 * The reply to a forwarded command arrived (`ok`: it has "return"): sent
 * to the client unchanged (plus the framing) if the connection that
 * asked, `session`, is still up; then waiting input is processed.
 */
void qmp_monitor_forward_done(QmpMonitor *mon, guint64 session, bool ok,
                              const char *text, size_t len);

/* The forwarded command got no answer (companion gone): GenericError. */
void qmp_monitor_forward_failed(QmpMonitor *mon, guint64 session,
                                const char *desc);

/*
 * An event for every monitor past negotiation: built from name/data as
 * qmp_monitor_event, or relayed as it is (`text`, one JSON object).
 */
void qmp_broadcast_event(const char *name, const char *data_json);
void qmp_broadcast_raw(const char *text, size_t len);

/* NULL is a no-op. Does not free the chardev. */
void qmp_monitor_free(QmpMonitor *mon);

#endif
