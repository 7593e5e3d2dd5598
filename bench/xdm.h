/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xdm: the production emunet binary as the Xen device model of a domain
 * on xen-sim (tests/xen-sim), presented to the benchmark's e1000 driver
 * as a Dm. The simulator runs inside this process; the child finds it
 * through $XENSIM_SOCKET / $XENSTORED_PATH and xen-sim's replacement
 * libraries through LD_LIBRARY_PATH, exactly as test-emunet-xen runs it.
 * The Dm's bus turns each register or config access into an ioreq that
 * one simulated vCPU issues and waits for; guest RAM is the domain's
 * memfd, mapped by the simulator. A started XenDm is registered so that
 * an exit or a fatal signal kills the child and removes the sockets.
 */
#ifndef BENCH_XDM_H
#define BENCH_XDM_H

#include <stdint.h>

#include "dm.h"
#include "xensim.h"

/* The simulated guest: one vCPU, the same RAM size as over qtest. */
#define XDM_DOMID 7
#define XDM_VCPUS 1

typedef struct XenDm {
    /* name, pid, ram, net_fd, wire, bus (&bus), startup times. */
    Dm dm;
    DmBus bus;
    XenSim *sim;
    /* Copies for the signal handler (no allocation there). */
    char sock_path[DM_PATH_MAX];
    char xs_path[DM_PATH_MAX];
    char sim_dir[DM_PATH_MAX];
    /* Accesses that failed (status other than OK, or unclaimed). */
    uint64_t io_errors;
} XenDm;

/*
 * Start a simulator with domain XDM_DOMID and `prog` (emunet built with
 * the Xen transport) serving it with one e1000 at 04.0 (MAC DM_NIC_MAC)
 * on a socketpair netdev; `libdir` holds xen-sim's libraries. Returns 0
 * once the server is ready and the NIC's ID reads back through CF8/CFC,
 * or -1 with everything cleaned up.
 */
int xdm_start(XenDm *x, const char *name, const char *prog, const char *libdir);

/* Library requests of kind `op` the simulator has served so far. */
uint64_t xdm_op_count(XenDm *x, XenSimOp op);

/*
 * Stop emunet as libxl does (SIGHUP), SIGKILL after a grace period;
 * reap it, stop the wire and free the simulator. Returns 0 if emunet
 * exited with status 0 and left no ioreq server behind.
 */
int xdm_stop(XenDm *x);

#endif
