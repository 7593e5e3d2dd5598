/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Xen platform device's unplug ports, passed through to a companion
 * device model that owns the platform device (issue 6 "Clean hand-off";
 * contract 5.5, 13, 14).
 *
 * With a companion (qemu-xen) the platform PCI function 5853:0001 and its
 * ports are the companion's, so the guest's unplug request would never
 * reach emunet. emunet therefore claims the protocol ports 0x10-0x13 in
 * its own ioreq server (created after the companion's, so Xen sends it
 * those accesses: contract 14) and passes every access on to the
 * companion with the same width, through QMP human-monitor-command port
 * I/O (contract 13): a write of VALUE to PORT as "o /b|/h|/w PORT VALUE",
 * a read as "i /b|/h|/w PORT", whose output "port{b,w,l}[0xPORT] =
 * 0xVALUE" is the value the guest gets (/b 8, /h 16, /w 32 bits). The
 * companion thus still does its disk unplug, logging and blacklisting
 * exactly as before; emunet acts on the NIC bit itself.
 *
 * Every access also goes to a local model of the protocol (xen-unplug.h)
 * first, so emunet knows the handshake: a mask write with bit 1 hands the
 * NICs off (hook) unless the driver is blacklisted; the companion's
 * answer 0xd249 to the 16-bit read of 0x10 marks it blacklisted
 * (xen_unplug_set_blacklisted), and a driver the local model blacklists
 * reads 0xd249 whatever the companion says.
 *
 * The guest's vCPU waits for the companion: each access is deferred
 * (iobus_defer) until the companion answered, so the guest sees exactly
 * the companion's platform device, writes included (the guest goes on
 * only once the companion did its unplug). The wait is bounded: after
 * `timeout_ms` (XEN_RELAY_TIMEOUT_MS) the access is answered from the
 * local model (magic 0x49d2, version 1, and so on) and logged, and later
 * accesses no longer wait until the companion answers something again;
 * its late answers change nothing for the guest. With the companion's
 * QMP gone, accesses are answered from the local model at once. Where the
 * transport cannot defer (qtest; Xen rep and pointer requests) the local
 * model answers at once and the access is still relayed, in order.
 *
 * Not relayed: the legacy aliases in the companion's BAR0 (old SUSE and
 * VMDP drivers): its address is programmed in config space emunet does
 * not see.
 */
#ifndef EMUNET_HW_XEN_XEN_RELAY_H
#define EMUNET_HW_XEN_XEN_RELAY_H

#include <glib.h>

#include "emunet/iobus.h"
#include "hw/xen/xen-unplug.h"

/* The ports claimed: magic/mask/build (0x10) and version/product (0x12). */
#define XEN_RELAY_PORT XEN_PLATFORM_IOPORT
#define XEN_RELAY_PORT_LEN 4
/* How long a guest access waits for the companion. */
#define XEN_RELAY_TIMEOUT_MS 1000

typedef struct XenRelay XenRelay;

/* The companion's HMP output for one command, or NULL: no answer. */
typedef void XenRelayReplyFn(void *opaque, const char *output);

typedef struct XenRelayOps {
    /*
     * Run HMP `cmdline` on the companion (QMP human-monitor-command) and
     * call `fn` exactly once, from the main loop and never from inside
     * this call, with its output, or NULL when it failed or the companion
     * went away. Commands are answered in the order they were sent.
     * Return false, without calling `fn`, when it cannot be sent (no QMP
     * connection). Required.
     */
    bool (*hmp)(void *opaque, const char *cmdline, XenRelayReplyFn *fn,
                void *fn_opaque);
    void *opaque;
} XenRelayOps;

typedef struct XenRelayConf {
    /* Where the ports are mapped (kept; must outlive the relay). */
    IoBus *io;
    /* The local model's hooks; unplug_nics is required. */
    XenPlatformHooks hooks;
    XenRelayOps ops;
    /* Longest wait for the companion; 0: XEN_RELAY_TIMEOUT_MS. */
    unsigned timeout_ms;
} XenRelayConf;

/* Map the ports on conf->io. Fails when they are taken. */
XenRelay *xen_relay_new(const XenRelayConf *conf, GError **errp);

/* System reset: the local model back to power-on state. */
void xen_relay_reset(XenRelay *r);

/*
 * Answer every access still waiting from the local model, unmap the
 * ports and free. Answers still due from the companion are ignored.
 * NULL is a no-op.
 */
void xen_relay_free(XenRelay *r);

#endif
