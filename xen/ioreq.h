/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One Xen ioreq server (contract §3.1): created with buffering off, its
 * synchronous page mapped (map_resource, or the legacy GFN when the kernel
 * says EOPNOTSUPP), enabled, one event channel bound per vCPU, requests
 * served from the main loop through the §3.4 state machine. Destroyed by
 * ioreq_server_free and, as a last resort, at exit() or on a crash, so
 * that no vCPU stays blocked on a server nobody serves.
 */
#ifndef EMUNET_XEN_IOREQ_H
#define EMUNET_XEN_IOREQ_H

#include <glib.h>
#include <signal.h>
#include <xen/hvm/ioreq.h>

#include "emunet/types.h"
#include "xen/xen-host.h"

typedef struct IoreqServer IoreqServer;

typedef struct IoreqServerOps {
    /*
     * Emulate one request of vCPU `vcpu` (a private copy of its slot) and
     * leave a read's answer in req->data; return true. Or return false to
     * answer later: the request stays in process (the vCPU stays blocked)
     * until ioreq_server_complete(). Runs in the main loop.
     */
    bool (*handle)(void *opaque, unsigned vcpu, ioreq_t *req);
    /*
     * The event channel failed for good: no request can be served any
     * more. The cause is logged (one line) and the server already
     * destroyed in Xen. Called once, from the main loop; the owner should
     * shut down and exit with a failure status.
     */
    void (*fatal)(void *opaque, const char *why);
} IoreqServerOps;

/*
 * Create the server for host->domid (disabled: Xen sends it nothing yet)
 * and map its page. Fails with one line naming the cause: the domain
 * does not exist, permission denied, too many ioreq servers. Nothing is
 * left registered on failure.
 */
IoreqServer *ioreq_server_new(XenHost *host, GError **errp);

/* The id Xen gave the server. */
ioservid_t ioreq_server_id(const IoreqServer *s);

/* Register (map) or deregister 0000:00:devfn for config accesses. */
bool ioreq_server_map_pcidev(IoreqServer *s, unsigned devfn, bool map,
                             GError **errp);

/* Claim (map) or release [base, base + len) of port or MMIO space. */
bool ioreq_server_map_range(IoreqServer *s, bool is_mmio, hwaddr base,
                            hwaddr len, bool map, GError **errp);

/*
 * Enable the server, bind each vCPU's event channel (vp_eport is valid
 * only once enabled, contract §3.1 step 6) and serve requests from `ctx`
 * with ops/opaque. On failure the server stays created but disabled.
 */
bool ioreq_server_start(IoreqServer *s, GMainContext *ctx,
                        const IoreqServerOps *ops, void *opaque,
                        GError **errp);

/*
 * Answer the request vCPU `vcpu` was left waiting on (handle returned
 * false) with `data` (a read's value; ignored for writes) and notify it.
 * A no-op when nothing is pending there (the server was shut down and
 * answered it already).
 */
void ioreq_server_complete(IoreqServer *s, unsigned vcpu, uint64_t data);

/* Requests completed so far (all vCPUs). */
uint64_t ioreq_server_completed(const IoreqServer *s);

/* Destroy the server in Xen (it drops every claim), unbind, unmap, free. */
void ioreq_server_free(IoreqServer *s);

/*
 * Calls into the devicemodel and evtchn libraries are wrapped in XEN_CALL
 * so that the crash path knows when a fatal signal interrupted one (and
 * may find its lock held): it then finishes the teardown when the call
 * returns (ioreq_lib_leave), instead of deadlocking in the handler.
 */
extern volatile sig_atomic_t ioreq_lib_depth;
extern volatile sig_atomic_t ioreq_deferred_signal;

/* Tear down after a deferred fatal signal and re-raise it. */
void ioreq_crash_resume(void);

static inline void ioreq_lib_enter(void)
{
    ioreq_lib_depth++;
}

static inline void ioreq_lib_leave(void)
{
    if (--ioreq_lib_depth == 0 && ioreq_deferred_signal) {
        ioreq_crash_resume();
    }
}

/* Evaluate a Xen library call between ioreq_lib_enter/leave. */
#define XEN_CALL(call)                                                        \
    ({                                                                        \
        __typeof__(call) xen_call_rc_;                                        \
        ioreq_lib_enter();                                                    \
        xen_call_rc_ = (call);                                                \
        ioreq_lib_leave();                                                    \
        xen_call_rc_;                                                         \
    })

#endif
