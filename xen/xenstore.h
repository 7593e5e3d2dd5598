/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Xenstore for the Xen transport, through libxenstore (xs_open): the
 * paired PV vif's configuration, the device model's state key that libxl
 * waits for, and watches (the PV frontend's state, for hand-off) delivered
 * from the main loop. Relative paths are relative to our own domain's
 * home, /local/domain/<self>, as libxl and QEMU use them (contract §1.6).
 */
#ifndef EMUNET_XEN_XENSTORE_H
#define EMUNET_XEN_XENSTORE_H

#include <glib.h>
#include <xen/xen.h>

typedef struct XenStore XenStore;

/*
 * Connect (XENSTORED_PATH, the xenstored socket, or /dev/xen/xenbus).
 * Watches fire from `ctx`. `domid` is the guest the paths are about.
 */
XenStore *xen_store_open(domid_t domid, GMainContext *ctx, GError **errp);

/* Remove every watch and disconnect; NULL is a no-op. */
void xen_store_close(XenStore *xs);

/* The value at `path` (g_free it), or NULL if absent or unreadable. */
char *xen_store_read(XenStore *xs, const char *path);

/* Write `value` at `path`; fails with a message naming the path. */
bool xen_store_write(XenStore *xs, const char *path, const char *value,
                     GError **errp);

/* Write device-model/<domid>/state (libxl waits for "running"). */
bool xen_store_set_dm_state(XenStore *xs, const char *state, GError **errp);

/*
 * For every -device without mac= and every -netdev type=tap without br=
 * or fd=, read mac / bridge from the paired vif's backend,
 * backend/vif/<domid>/<devid>, and append them to the option string. The
 * devid is N of id=nicN / id=netN as libxl names them (a -device without
 * id= gets nicN from its position, as the machine does). Entries are
 * replaced by strings appended to `owned`, which must outlive their use.
 * Values are validated (a MAC must parse, a bridge must be an interface
 * name); absent or invalid ones are left to the defaults, with a message.
 */
void xen_store_vif_defaults(XenStore *xs, GPtrArray *netdevs,
                            GPtrArray *devices, GPtrArray *owned);

/* A watch: the callback gets the path that fired. */
typedef struct XenStoreWatch XenStoreWatch;
typedef void XenStoreWatchFn(void *opaque, const char *path);

/*
 * Watch `path` (and its children). Xenstore fires once at registration.
 * Fails with a message naming the path.
 */
XenStoreWatch *xen_store_watch(XenStore *xs, const char *path,
                               XenStoreWatchFn *fn, void *opaque,
                               GError **errp);

/* Remove a watch; NULL is a no-op. */
void xen_store_unwatch(XenStore *xs, XenStoreWatch *w);

/*
 * The PV frontend of vif `devid` changed state: `state` is its XenbusState
 * (4 = Connected: the guest's PV driver took over, contract §5.5), or -1
 * when the key is absent or unparsable. Called on change only.
 */
typedef void XenVifStateFn(void *opaque, unsigned devid, int state);

/*
 * Follow the frontend state of vif `devid` (its path from the backend's
 * "frontend" key, else /local/domain/<domid>/device/vif/<devid>). The
 * current state is reported once from the main loop.
 */
XenStoreWatch *xen_store_watch_vif_frontend(XenStore *xs, unsigned devid,
                                            XenVifStateFn *fn, void *opaque,
                                            GError **errp);

#endif
