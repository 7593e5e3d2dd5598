/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Xenstore client for the Xen transport; see xenstore.h.
 */
#include <errno.h>
#include <glib-unix.h>
#include <limits.h>
#include <stdlib.h>
#include <xenstore.h>

#include "emunet/log.h"
#include "emunet/net.h"
#include "emunet/opts.h"
#include "xen/xen-host.h"
#include "xen/xenstore.h"

/* Linux IFNAMSIZ - 1: the longest bridge name we pass on. */
#define XEN_STORE_IFNAME_MAX 15
/* devids are small integers; libxl numbers them from 0. */
#define XEN_STORE_DEVID_MAX 65535

struct XenStore {
    struct xs_handle *h;
    domid_t domid;
    GMainContext *ctx;
    /* Watch events, once the first watch exists. */
    GSource *source;
    GHashTable *watches; /* token -> XenStoreWatch */
    unsigned next_token;
};

struct XenStoreWatch {
    char *path;
    char *token;
    XenStoreWatchFn *fn;
    void *opaque;
    /* Frees opaque when the watch goes (vif watches own theirs). */
    GDestroyNotify free_opaque;
};

typedef struct XenVifWatch {
    XenStore *xs;
    unsigned devid;
    char *state_path;
    XenVifStateFn *fn;
    void *opaque;
    /* Last state reported; INT_MIN before the first report. */
    int last;
} XenVifWatch;

static void xen_store_watch_free(gpointer data)
{
    XenStoreWatch *w = data;

    if (w->free_opaque) {
        w->free_opaque(w->opaque);
    }
    g_free(w->path);
    g_free(w->token);
    g_free(w);
}

XenStore *xen_store_open(domid_t domid, GMainContext *ctx, GError **errp)
{
    struct xs_handle *h = xs_open(0);
    XenStore *xs;

    if (!h) {
        g_set_error(errp, XEN_ERROR, XEN_ERROR_FAILED,
                    "xen: cannot connect to xenstore: %s", g_strerror(errno));
        return NULL;
    }
    xs = g_new0(XenStore, 1);
    xs->h = h;
    xs->domid = domid;
    xs->ctx = ctx;
    xs->watches = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                        xen_store_watch_free);
    return xs;
}

void xen_store_close(XenStore *xs)
{
    GHashTableIter it;
    gpointer key, value;

    if (!xs) {
        return;
    }
    if (xs->source) {
        g_source_destroy(xs->source);
        g_source_unref(xs->source);
    }
    g_hash_table_iter_init(&it, xs->watches);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        XenStoreWatch *w = value;

        xs_unwatch(xs->h, w->path, w->token);
    }
    g_hash_table_destroy(xs->watches);
    xs_close(xs->h);
    g_free(xs);
}

char *xen_store_read(XenStore *xs, const char *path)
{
    unsigned int len = 0;
    char *v = xs_read(xs->h, XBT_NULL, path, &len);
    char *copy;

    if (!v) {
        return NULL;
    }
    copy = g_strndup(v, len);
    free(v);
    return copy;
}

bool xen_store_write(XenStore *xs, const char *path, const char *value,
                     GError **errp)
{
    if (!xs_write(xs->h, XBT_NULL, path, value, strlen(value))) {
        g_set_error(errp, XEN_ERROR, XEN_ERROR_FAILED,
                    "xen: cannot write xenstore %s: %s", path,
                    g_strerror(errno));
        return false;
    }
    return true;
}

bool xen_store_set_dm_state(XenStore *xs, const char *state, GError **errp)
{
    g_autofree char *path =
        g_strdup_printf("device-model/%u/state", xs->domid);

    log_trace(LOG_XEN, "%s = %s", path, state);
    return xen_store_write(xs, path, state, errp);
}

/* ---- the paired vif's configuration ---- */

/* N from "<prefix>N" (decimal), or -1. */
static int xen_store_devid_of(const char *id, const char *prefix)
{
    guint64 v;

    if (!id || !g_str_has_prefix(id, prefix) ||
        !g_ascii_string_to_unsigned(id + strlen(prefix), 10, 0,
                                    XEN_STORE_DEVID_MAX, &v, NULL)) {
        return -1;
    }
    return (int)v;
}

static char *xen_store_vif_key(XenStore *xs, int devid, const char *key)
{
    g_autofree char *path =
        g_strdup_printf("backend/vif/%u/%d/%s", xs->domid, devid, key);

    return xen_store_read(xs, path);
}

static bool xen_store_ifname_ok(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > XEN_STORE_IFNAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!g_ascii_isalnum(name[i]) && !strchr("_.-", name[i])) {
            return false;
        }
    }
    return true;
}

/* Append ",key=value" to entry i of `arr`, the new string owned by owned. */
static void xen_store_append(GPtrArray *arr, guint i, GPtrArray *owned,
                             const char *key, const char *value)
{
    char *s = g_strdup_printf("%s,%s=%s",
                              (const char *)g_ptr_array_index(arr, i), key,
                              value);

    g_ptr_array_add(owned, s);
    arr->pdata[i] = s;
}

static void xen_store_device_mac(XenStore *xs, GPtrArray *devices, guint i,
                                 int devid, GPtrArray *owned)
{
    g_autofree char *mac_str = xen_store_vif_key(xs, devid, "mac");
    g_autoptr(GError) err = NULL;
    char text[18];
    MacAddr mac;

    if (!mac_str) {
        log_trace(LOG_XEN, "vif %d: no backend mac; generating one", devid);
        return;
    }
    if (!net_mac_parse(mac_str, &mac, &err)) {
        log_error("xen: backend/vif/%u/%d/mac '%s': %s; generating a MAC",
                  xs->domid, devid, mac_str, err->message);
        return;
    }
    net_mac_format(&mac, text);
    log_info("xen: vif %d: MAC %s from xenstore", devid, text);
    xen_store_append(devices, i, owned, "mac", text);
}

static void xen_store_netdev_bridge(XenStore *xs, GPtrArray *netdevs,
                                    guint i, int devid, GPtrArray *owned)
{
    g_autofree char *br = xen_store_vif_key(xs, devid, "bridge");

    if (!br) {
        log_trace(LOG_XEN, "vif %d: no backend bridge", devid);
        return;
    }
    if (!xen_store_ifname_ok(br)) {
        log_error("xen: backend/vif/%u/%d/bridge '%s' is not an interface "
                  "name; not joining a bridge",
                  xs->domid, devid, br);
        return;
    }
    log_info("xen: vif %d: bridge %s from xenstore", devid, br);
    xen_store_append(netdevs, i, owned, "br", br);
}

void xen_store_vif_defaults(XenStore *xs, GPtrArray *netdevs,
                            GPtrArray *devices, GPtrArray *owned)
{
    static const char *const multi[] = {"hostfwd", "guestfwd", NULL};
    /* netdev id -> devid of the -device using it */
    g_autoptr(GHashTable) netdev_devid =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; devices && i < devices->len; i++) {
        g_autoptr(EmuOpts) opts = opts_parse(g_ptr_array_index(devices, i),
                                             "driver", NULL, NULL);
        const char *id, *netdev;
        int devid;

        /* Unparsable: the machine reports it with the right option. */
        if (!opts) {
            continue;
        }
        id = opts_get(opts, "id");
        devid = id ? xen_store_devid_of(id, "nic") : (int)i;
        netdev = opts_get(opts, "netdev");
        if (devid < 0) {
            log_trace(LOG_XEN, "-device id=%s: not nicN, no paired vif", id);
            continue;
        }
        if (netdev) {
            g_hash_table_insert(netdev_devid, g_strdup(netdev),
                                GINT_TO_POINTER(devid + 1));
        }
        if (!opts_get(opts, "mac")) {
            xen_store_device_mac(xs, devices, i, devid, owned);
        }
    }
    for (guint i = 0; netdevs && i < netdevs->len; i++) {
        g_autoptr(EmuOpts) opts = opts_parse(g_ptr_array_index(netdevs, i),
                                             "type", multi, NULL);
        const char *type, *id;
        gpointer v;
        int devid;

        if (!opts) {
            continue;
        }
        type = opts_get(opts, "type");
        id = opts_get(opts, "id");
        /*
         * Only a tap emunet creates joins a bridge: one handed over with
         * fd= was plumbed by whoever opened it (and br= is invalid then).
         */
        if (!type || strcmp(type, "tap") != 0 || !id || opts_get(opts, "br") ||
            opts_get(opts, "fd")) {
            continue;
        }
        v = g_hash_table_lookup(netdev_devid, id);
        devid = v ? GPOINTER_TO_INT(v) - 1 : xen_store_devid_of(id, "net");
        if (devid >= 0) {
            xen_store_netdev_bridge(xs, netdevs, i, devid, owned);
        }
    }
}

/* ---- watches ---- */

static gboolean xen_store_on_event(gint fd, GIOCondition cond,
                                   gpointer opaque)
{
    XenStore *xs = opaque;
    char **vec;

    while ((vec = xs_check_watch(xs->h)) != NULL) {
        XenStoreWatch *w =
            g_hash_table_lookup(xs->watches, vec[XS_WATCH_TOKEN]);

        if (w) {
            w->fn(w->opaque, vec[XS_WATCH_PATH]);
        }
        free(vec);
    }
    if (errno != EAGAIN || (cond & (G_IO_ERR | G_IO_HUP | G_IO_NVAL))) {
        /* The NICs keep working; only hand-off detection stops. */
        log_error("xen: xenstore connection lost (%s); watches stopped",
                  g_strerror(errno));
        g_source_unref(xs->source);
        xs->source = NULL;
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static bool xen_store_attach(XenStore *xs, GError **errp)
{
    int fd;

    if (xs->source) {
        return true;
    }
    fd = xs_fileno(xs->h);
    if (fd < 0) {
        g_set_error(errp, XEN_ERROR, XEN_ERROR_FAILED,
                    "xen: xenstore: no watch descriptor: %s",
                    g_strerror(errno));
        return false;
    }
    xs->source = g_unix_fd_source_new(fd, G_IO_IN);
    g_source_set_callback(xs->source, G_SOURCE_FUNC(xen_store_on_event), xs,
                          NULL);
    g_source_attach(xs->source, xs->ctx);
    return true;
}

static XenStoreWatch *xen_store_watch_full(XenStore *xs, const char *path,
                                           XenStoreWatchFn *fn, void *opaque,
                                           GDestroyNotify free_opaque,
                                           GError **errp)
{
    XenStoreWatch *w;

    if (!xen_store_attach(xs, errp)) {
        return NULL;
    }
    w = g_new0(XenStoreWatch, 1);
    w->path = g_strdup(path);
    w->token = g_strdup_printf("emunet-%u", xs->next_token++);
    w->fn = fn;
    w->opaque = opaque;
    if (!xs_watch(xs->h, path, w->token)) {
        g_set_error(errp, XEN_ERROR, XEN_ERROR_FAILED,
                    "xen: cannot watch xenstore %s: %s", path,
                    g_strerror(errno));
        xen_store_watch_free(w);
        return NULL;
    }
    /* Only now: a failed watch must not free the caller's opaque. */
    w->free_opaque = free_opaque;
    g_hash_table_insert(xs->watches, w->token, w);
    return w;
}

XenStoreWatch *xen_store_watch(XenStore *xs, const char *path,
                               XenStoreWatchFn *fn, void *opaque,
                               GError **errp)
{
    return xen_store_watch_full(xs, path, fn, opaque, NULL, errp);
}

void xen_store_unwatch(XenStore *xs, XenStoreWatch *w)
{
    if (!w) {
        return;
    }
    xs_unwatch(xs->h, w->path, w->token);
    g_hash_table_remove(xs->watches, w->token);
}

static void xen_store_vif_fired(void *opaque, const char *path)
{
    XenVifWatch *vw = opaque;
    g_autofree char *v = xen_store_read(vw->xs, vw->state_path);
    gint64 state;

    if (!v || !g_ascii_string_to_signed(v, 10, 0, 255, &state, NULL)) {
        state = -1;
    }
    if (state == vw->last) {
        return;
    }
    vw->last = (int)state;
    log_trace(LOG_XEN, "vif %u: frontend state %d", vw->devid, vw->last);
    vw->fn(vw->opaque, vw->devid, vw->last);
}

static void xen_store_vif_watch_free(gpointer data)
{
    XenVifWatch *vw = data;

    g_free(vw->state_path);
    g_free(vw);
}

XenStoreWatch *xen_store_watch_vif_frontend(XenStore *xs, unsigned devid,
                                            XenVifStateFn *fn, void *opaque,
                                            GError **errp)
{
    g_autofree char *fe = xen_store_vif_key(xs, (int)devid, "frontend");
    XenVifWatch *vw = g_new0(XenVifWatch, 1);
    XenStoreWatch *w;

    if (!fe || fe[0] != '/') {
        g_free(fe);
        fe = g_strdup_printf("/local/domain/%u/device/vif/%u", xs->domid,
                             devid);
    }
    vw->xs = xs;
    vw->devid = devid;
    vw->state_path = g_strdup_printf("%s/state", fe);
    vw->fn = fn;
    vw->opaque = opaque;
    vw->last = INT_MIN;
    w = xen_store_watch_full(xs, vw->state_path, xen_store_vif_fired, vw,
                             xen_store_vif_watch_free, errp);
    if (!w) {
        xen_store_vif_watch_free(vw);
    }
    return w;
}
