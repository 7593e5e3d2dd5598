/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The companion device model: a general device model (Debian's
 * /usr/libexec/xen-qemu-system-i386) that emunet starts for everything
 * that is not a NIC, with the argv from libxl_argv_companion, and the
 * QMP client emunet keeps on it.
 *
 * Start: a private listening socket is created (in a 0700 temporary
 * directory, connected to by emunet and unlinked at once) and inherited
 * by the companion as "-chardev socket,id=emunet-qmp,fd=N,server=on,
 * wait=off"; an -incoming fd:N descriptor is inherited too. The
 * companion stays in emunet's process group and session (libxl needs the
 * device model in the foreground); it gets SIGTERM if emunet dies
 * (PR_SET_PDEATHSIG), and is stopped at exit() as well. companion_start
 * waits (at most 60 s, libxl's own spawn timeout) for its QMP greeting,
 * whose "version" emunet then advertises itself, and negotiates
 * capabilities.
 *
 * Running: commands are written to the companion in order and their
 * replies matched in order (QMP answers one command at a time per
 * connection); a forwarded command's reply goes back to the monitor that
 * asked (qmp_monitor_forward_done), events are relayed to every monitor,
 * and STOP/RESUME keep emunet's run state in step. The companion's exit
 * is reported (one log line) through the exit handler with emunet's exit
 * status to use: its exit code, or 128 + signal number.
 */
#ifndef EMUNET_COMPANION_H
#define EMUNET_COMPANION_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <sys/types.h>

#include "core/libxl-argv.h"
#include "core/qmp.h"

/* Debian's qemu-xen, used in libxl mode when nothing else is named. */
#define COMPANION_DEFAULT_PATH "/usr/libexec/xen-qemu-system-i386"

typedef struct Companion Companion;

/*
 * The companion to start: `opt` (--companion; "none": no companion),
 * else $EMUNET_COMPANION, else (libxl mode only) COMPANION_DEFAULT_PATH
 * when it is executable. NULL: none. Owned by the caller.
 */
char *companion_path(const char *opt, bool libxl_mode);

/*
 * Errors of companion_start in this domain carry emunet's exit status as
 * their code: the companion's own when it ended before its QMP came up.
 */
#define COMPANION_ERROR (companion_error_quark())
GQuark companion_error_quark(void);

/*
 * Spawn `path` with `args`'s companion argv and complete the QMP
 * handshake. Errors name the cause (exit status 1, or as above).
 */
Companion *companion_start(const char *path, const LibxlArgs *args,
                           GError **errp);

/* The companion's QMP "version" object (JSON text). */
const char *companion_version(const Companion *c);

pid_t companion_pid(const Companion *c);

/* Called once when the companion exits; `status` is emunet's to use. */
typedef void CompanionExitFn(void *opaque, int status);
void companion_set_exit_handler(Companion *c, CompanionExitFn *fn,
                                void *opaque);

/*
 * QmpOps.forward: send a client's command (text as received) and relay
 * the reply to `mon`. Copies of the `nfds` descriptors `fds` go with
 * the command's first byte (SCM_RIGHTS, as libxl sends add-fd's). False
 * when the companion's QMP is gone.
 */
bool companion_forward(Companion *c, QmpMonitor *mon, guint64 session,
                       const char *text, size_t len, const int *fds,
                       unsigned nfds);

/*
 * emunet's own command: `execute` with `args_json` (object text or NULL).
 * `fn` gets the reply object (NULL if the companion went away). Used for
 * the start-up "cont" and for pass-through (human-monitor-command).
 */
typedef void CompanionReplyFn(void *opaque, JsonObject *reply);
bool companion_command(Companion *c, const char *execute, const char *args_json,
                       CompanionReplyFn *fn, void *opaque);
/* The same with a copy of descriptor `fd` (-1: none), as forward. */
bool companion_command_fd(Companion *c, const char *execute,
                          const char *args_json, int fd, CompanionReplyFn *fn,
                          void *opaque);

/*
 * HMP `cmdline` through QMP human-monitor-command: `fn` gets its output
 * (the reply's "return" string), or NULL when the command failed or the
 * companion went away; always later, from the main loop. False when the
 * companion's QMP is gone (`fn` is then never called).
 */
typedef void CompanionHmpFn(void *opaque, const char *output);
bool companion_hmp(Companion *c, const char *cmdline, CompanionHmpFn *fn,
                   void *opaque);

/*
 * Stop it: SIGTERM, then SIGKILL after `timeout_ms`, and reap it. A
 * no-op once it has exited. The exit handler is not called.
 */
void companion_stop(Companion *c, int timeout_ms);

/* Stops it if still running. NULL is a no-op. */
void companion_free(Companion *c);

#endif
