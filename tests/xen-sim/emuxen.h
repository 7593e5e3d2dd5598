/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * emuxen: run the production emunet binary as a Xen device model on
 * xen-sim. The child gets $XENSIM_SOCKET and $XENSTORED_PATH for the
 * test's simulator and LD_LIBRARY_PATH=$XENSIM_LIBDIR, so its (Debian
 * linked) Xen libraries are xen-sim's; stderr goes to a log file the test
 * can read. Every wait is bounded; a failed assertion kills the children
 * still running.
 */
#ifndef EMUXEN_H
#define EMUXEN_H

#include <stdbool.h>
#include <sys/types.h>

#include "xensim.h"

typedef struct EmuXen {
    XenSim *sim;
    pid_t pid;
    bool reaped;
    int wstatus;
    char *tmpdir;
    char *log_path;
    int wire; /* test end of the netdev socketpair, or -1 */
} EmuXen;

/*
 * Start emunet with `args` (split on spaces). "@WIRE@" in them is replaced
 * by the fd number of the emunet end of a fresh stream socketpair (for
 * -netdev socket,fd=); the test end is emu->wire. With `sim` NULL the
 * child gets no simulator at all (not running on Xen).
 */
EmuXen *emuxen_spawn(XenSim *sim, const char *args);

/* Wait for exit (bounded); returns the exit status, or -1 on timeout or
 * death by signal. */
int emuxen_wait_exit(EmuXen *emu, unsigned timeout_ms);

bool emuxen_alive(EmuXen *emu);
void emuxen_kill(EmuXen *emu, int sig);

/* emunet's stderr so far (g_free). */
char *emuxen_log(EmuXen *emu);

/* Kill (SIGKILL) if still running, reap, remove the files. */
void emuxen_free(EmuXen *emu);

/* The wire: the socket netdev's 4-byte big-endian length framing. */
void emuxen_wire_send(EmuXen *emu, const void *frame, size_t len);
/* A frame, or -1 after timeout_ms (or EOF). */
ssize_t emuxen_wire_recv(EmuXen *emu, void *buf, size_t cap,
                         unsigned timeout_ms);

#endif
