/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging. Three channels, kept apart on purpose:
 *  - host errors (setup failures, backend faults): always printed;
 *  - guest errors (a guest programmed something invalid): rate-limited per
 *    module, because a hostile guest must not be able to flood the host log;
 *  - traces: per module, off unless switched on by name (--trace e1000).
 * All output goes to stderr, one line per message, prefixed "emunet: ".
 * Runs in the main loop thread only (no locking).
 */
#ifndef EMUNET_LOG_H
#define EMUNET_LOG_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Modules that may log. log.c keeps the table of their names. */
typedef enum LogModule {
    LOG_CORE,
    LOG_IOBUS,
    LOG_PCI,
    LOG_QTEST,
    LOG_QMP,
    LOG_NET,
    LOG_E1000,
    LOG_RTL8139,
    LOG_XEN,
    LOG_MODULE_COUNT
} LogModule;

/* Bit (1 << module) set when that module's trace is on. Read by log_trace. */
extern uint32_t log_trace_mask;

/*
 * Switch traces on from a comma-separated list of module names ("e1000",
 * "e1000,pci", or "all"). Returns false and sets errp naming the first
 * unknown module; the mask is then unchanged.
 */
bool log_enable_trace(const char *spec, GError **errp);

/* Name of a module as used by --trace and in log lines. */
const char *log_module_name(LogModule mod);

/* A host-side error: always printed. */
void log_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Informational host message (startup, shutdown): always printed. */
void log_info(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/*
 * A guest programmed the device in a way the datasheet calls invalid or
 * that would be unsafe. Printed as "emunet: <module>: guest error: ...",
 * at most a burst of LOG_GUEST_BURST lines per module per second; the
 * number suppressed is reported with the next line that gets through.
 * Never aborts; callers continue in a defined state.
 */
void log_guest_error(LogModule mod, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
#define LOG_GUEST_BURST 10

/* Total guest errors reported by a module, suppressed ones included. */
uint64_t log_guest_error_count(LogModule mod);

/* Emit a trace line unconditionally; use the log_trace() macro instead. */
void log_trace_emit(LogModule mod, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Trace a module event; costs one test of log_trace_mask when off. */
#define log_trace(mod, ...)                                                   \
    do {                                                                      \
        if (G_UNLIKELY(log_trace_mask & (1u << (mod)))) {                     \
            log_trace_emit((mod), __VA_ARGS__);                               \
        }                                                                     \
    } while (0)

#endif
