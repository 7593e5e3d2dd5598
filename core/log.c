/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging: host errors, rate-limited guest errors and per-module traces,
 * all to stderr. One formatted line is written with a single stdio call so
 * that lines from emunet and from a companion process do not interleave
 * mid-line.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "emunet/log.h"

#define LOG_WINDOW_US G_USEC_PER_SEC

/* Per-module guest-error accounting. */
typedef struct LogRate {
    /* g_get_monotonic_time() when the current window opened; 0: none yet. */
    int64_t window_start;
    /* Lines printed in the current window. */
    unsigned printed;
    /* Lines dropped since the last printed one. */
    uint64_t suppressed;
    /* Every guest error of this module, printed or not. */
    uint64_t total;
} LogRate;

uint32_t log_trace_mask;

static const char *const log_module_names[LOG_MODULE_COUNT] = {
    [LOG_CORE] = "core",   [LOG_IOBUS] = "iobus",     [LOG_PCI] = "pci",
    [LOG_QTEST] = "qtest", [LOG_QMP] = "qmp",         [LOG_NET] = "net",
    [LOG_E1000] = "e1000", [LOG_RTL8139] = "rtl8139", [LOG_XEN] = "xen",
};

static LogRate log_rates[LOG_MODULE_COUNT];

const char *log_module_name(LogModule mod)
{
    if ((unsigned)mod >= LOG_MODULE_COUNT) {
        return "?";
    }
    return log_module_names[mod];
}

/*
 * Write "emunet: <prefix><message><suffix>\n". A trailing newline in the
 * message is dropped so that every call yields exactly one line.
 */
static void log_emit_line(const char *prefix, const char *suffix,
                          const char *fmt, va_list ap)
{
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    size_t len = strlen(msg);

    if (len > 0 && msg[len - 1] == '\n') {
        msg[len - 1] = '\0';
    }
    fprintf(stderr, "emunet: %s%s%s\n", prefix, msg, suffix);
}

static bool log_lookup_module(const char *name, size_t len, LogModule *out)
{
    for (unsigned i = 0; i < LOG_MODULE_COUNT; i++) {
        if (strlen(log_module_names[i]) == len &&
            memcmp(log_module_names[i], name, len) == 0) {
            *out = (LogModule)i;
            return true;
        }
    }
    return false;
}

bool log_enable_trace(const char *spec, GError **errp)
{
    uint32_t mask = 0;
    const char *p = spec;

    for (;;) {
        size_t len = strcspn(p, ",");
        LogModule mod;

        if (len == 3 && memcmp(p, "all", 3) == 0) {
            mask |= (1u << LOG_MODULE_COUNT) - 1;
        } else if (log_lookup_module(p, len, &mod)) {
            mask |= 1u << mod;
        } else {
            g_set_error(errp, g_quark_from_static_string("emunet-log"), 0,
                        "unknown trace module '%.*s'", (int)len, p);
            return false;
        }
        if (p[len] == '\0') {
            break;
        }
        p += len + 1;
    }
    log_trace_mask |= mask;
    return true;
}

void log_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_emit_line("", "", fmt, ap);
    va_end(ap);
}

void log_info(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_emit_line("", "", fmt, ap);
    va_end(ap);
}

/*
 * Fixed one-second windows: the first error after a window has expired
 * opens a new one. A burst of LOG_GUEST_BURST lines is allowed per window;
 * a guest that keeps erring gets at most that many lines a second.
 */
void log_guest_error(LogModule mod, const char *fmt, ...)
{
    LogRate *rate;
    int64_t now = g_get_monotonic_time();
    g_autofree char *prefix = NULL;
    g_autofree char *suffix = NULL;
    va_list ap;

    g_assert((unsigned)mod < LOG_MODULE_COUNT);
    rate = &log_rates[mod];
    rate->total++;
    if (rate->window_start == 0 || now - rate->window_start >= LOG_WINDOW_US) {
        rate->window_start = now;
        rate->printed = 0;
    }
    if (rate->printed >= LOG_GUEST_BURST) {
        rate->suppressed++;
        return;
    }
    rate->printed++;
    prefix = g_strdup_printf("%s: guest error: ", log_module_names[mod]);
    if (rate->suppressed > 0) {
        suffix = g_strdup_printf(" (%" PRIu64 " earlier guest errors "
                                 "suppressed)",
                                 rate->suppressed);
        rate->suppressed = 0;
    }
    va_start(ap, fmt);
    log_emit_line(prefix, suffix ? suffix : "", fmt, ap);
    va_end(ap);
}

uint64_t log_guest_error_count(LogModule mod)
{
    if ((unsigned)mod >= LOG_MODULE_COUNT) {
        return 0;
    }
    return log_rates[mod].total;
}

void log_trace_emit(LogModule mod, const char *fmt, ...)
{
    g_autofree char *prefix = g_strdup_printf("%s: ", log_module_name(mod));
    va_list ap;

    va_start(ap, fmt);
    log_emit_line(prefix, "", fmt, ap);
    va_end(ap);
}
