/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The generic half of the NIC/backend seam (include/emunet/net.h): wiring
 * a NetPeer to a NetBackend, the one-frame hold that turns "NIC full" into
 * back-pressure instead of a drop (the fix for bhyve's netbe_rx_discard),
 * statistics, and the -netdev type table.
 */
#include "backends/netbe-priv.h"
#include "emunet/log.h"

GQuark net_backend_error_quark(void)
{
    return g_quark_from_static_string("emunet-netbe-error-quark");
}

bool net_backend_error_is_host(const GError *err)
{
    return g_error_matches(err, NET_BACKEND_ERROR, NET_BACKEND_ERROR_HOST);
}

typedef struct NetBackendType {
    const char *name;
    NetBackendNewFn *create;
} NetBackendType;

static const NetBackendType netbe_types[] = {
    {"socket", net_socket_new},
    {"tap", net_tap_new},
    {"user", net_slirp_new},
};

void net_backend_init(NetBackend *be, const NetBackendOps *ops, const char *id,
                      void *opaque)
{
    be->ops = ops;
    be->id = g_strdup(id);
    be->peer = NULL;
    be->link_up = true;
    memset(&be->stats, 0, sizeof(be->stats));
    be->held = NULL;
    be->held_len = 0;
    be->dump = NULL;
    be->rate = NULL;
    be->paused = false;
    be->tx_ready_owed = false;
    be->opaque = opaque;
}

bool net_connect(NetPeer *peer, NetBackend *be, GError **errp)
{
    if (peer->backend) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev %s: NIC is already connected to netdev '%s'",
                    be->id, peer->backend->id);
        return false;
    }
    if (be->peer) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev %s: already in use by another NIC", be->id);
        return false;
    }
    peer->backend = be;
    be->peer = peer;
    be->ops->set_rx_enabled(be, true);
    if (peer->ops->link_changed) {
        peer->ops->link_changed(peer, be->link_up);
    }
    return true;
}

static void netbe_drop_held(NetBackend *be)
{
    if (be->held) {
        be->stats.rx_drops++;
        g_free(be->held);
        be->held = NULL;
        be->held_len = 0;
    }
}

void net_disconnect(NetPeer *peer)
{
    NetBackend *be = peer->backend;

    if (!be) {
        return;
    }
    be->ops->set_rx_enabled(be, false);
    netbe_drop_held(be);
    be->peer = NULL;
    peer->backend = NULL;
}

/* Offer a frame to the NIC; true when it was consumed. */
static bool netbe_deliver(NetBackend *be, const uint8_t *buf, size_t len)
{
    NetPeer *peer = be->peer;

    if (!peer->ops->can_receive(peer) || !peer->ops->receive(peer, buf, len)) {
        return false;
    }
    be->stats.rx_frames++;
    be->stats.rx_bytes += len;
    return true;
}

bool net_backend_receive(NetBackend *be, const uint8_t *buf, size_t len)
{
    if (len < ETH_HLEN || len > NET_MAX_FRAME) {
        be->stats.rx_errors++;
        log_trace(LOG_NET, "netdev %s: dropped %zu byte frame", be->id, len);
        return true;
    }
    if (G_UNLIKELY(be->dump)) {
        struct iovec v = {.iov_base = (void *)buf, .iov_len = len};

        net_dump_frame(be->dump, &v, 1, len);
    }
    if (!be->peer) {
        be->stats.rx_drops++;
        return true;
    }
    if (be->held) {
        /*
         * The backend kept reading after being told to stop. Keep the
         * older frame (order matters more) and make the bug visible.
         */
        be->stats.rx_drops++;
        be->ops->set_rx_enabled(be, false);
        return false;
    }
    if (!be->paused && netbe_deliver(be, buf, len)) {
        return true;
    }
    be->held = g_memdup2(buf, len);
    be->held_len = len;
    be->ops->set_rx_enabled(be, false);
    log_trace(LOG_NET, "netdev %s: %s, holding %zu byte frame", be->id,
              be->paused ? "VM stopped" : "NIC full", len);
    return false;
}

void net_peer_rx_ready(NetPeer *peer)
{
    NetBackend *be = peer->backend;

    /* Paused: net_backend_set_paused does this on resume. */
    if (!be || be->paused) {
        return;
    }
    if (be->held) {
        if (!netbe_deliver(be, be->held, be->held_len)) {
            return;
        }
        g_free(be->held);
        be->held = NULL;
        be->held_len = 0;
    }
    be->ops->set_rx_enabled(be, true);
}

void net_backend_tx_ready(NetBackend *be)
{
    NetPeer *peer = be->peer;

    if (be->paused) {
        be->tx_ready_owed = true;
        return;
    }
    if (peer && peer->ops->tx_ready) {
        peer->ops->tx_ready(peer);
    }
}

void net_backend_set_paused(NetBackend *be, bool paused)
{
    if (be->paused == paused) {
        return;
    }
    be->paused = paused;
    log_trace(LOG_NET, "netdev %s: %s", be->id, paused ? "paused" : "resumed");
    if (paused) {
        /* Whatever is read from now on waits as a held frame. */
        be->ops->set_rx_enabled(be, false);
        return;
    }
    if (be->tx_ready_owed) {
        be->tx_ready_owed = false;
        net_backend_tx_ready(be);
    }
    if (be->peer) {
        net_peer_rx_ready(be->peer);
    }
}

void net_backend_set_carrier(NetBackend *be, bool up)
{
    if (be->link_up == up) {
        return;
    }
    be->link_up = up;
    log_trace(LOG_NET, "netdev %s: carrier %s", be->id, up ? "up" : "down");
    if (be->peer && be->peer->ops->link_changed) {
        be->peer->ops->link_changed(be->peer, up);
    }
}

NetSendResult net_peer_send(NetPeer *peer, const struct iovec *iov, int iovcnt)
{
    NetBackend *be = peer->backend;
    NetSendResult res;
    size_t len = 0;
    int i;

    if (!be) {
        return NET_SEND_DROP;
    }
    for (i = 0; i < iovcnt; i++) {
        len += iov[i].iov_len;
    }
    if (len < ETH_HLEN || len > NET_MAX_FRAME) {
        be->stats.tx_errors++;
        return NET_SEND_DROP;
    }
    if (!be->link_up) {
        be->stats.tx_drops++;
        return NET_SEND_DROP;
    }
    if (G_UNLIKELY(be->rate) && !net_rate_admit(be->rate, len)) {
        return NET_SEND_BUSY;
    }
    res = be->ops->send(be, iov, iovcnt);
    switch (res) {
    case NET_SEND_OK:
        be->stats.tx_frames++;
        be->stats.tx_bytes += len;
        if (G_UNLIKELY(be->rate)) {
            net_rate_charge(be->rate, len);
        }
        if (G_UNLIKELY(be->dump)) {
            net_dump_frame(be->dump, iov, iovcnt, len);
        }
        break;
    case NET_SEND_DROP:
        be->stats.tx_drops++;
        break;
    case NET_SEND_BUSY:
        break;
    }
    return res;
}

void net_peer_flush(NetPeer *peer)
{
    NetBackend *be = peer->backend;

    if (be && be->ops->flush) {
        be->ops->flush(be);
    }
}

void net_peer_set_link(NetPeer *peer, bool up)
{
    NetBackend *be = peer->backend;

    if (be && be->ops->set_link) {
        be->ops->set_link(be, up);
    }
}

void net_backend_free(NetBackend *be)
{
    if (!be) {
        return;
    }
    if (be->peer) {
        net_disconnect(be->peer);
    }
    net_dump_detach(be);
    net_rate_free(be->rate);
    be->rate = NULL;
    g_free(be->id);
    be->id = NULL;
    /* Last: the backend's free may release the memory `be` lives in. */
    be->ops->free(be);
}

NetBackend *net_backend_new(const EmuOpts *opts, GMainContext *ctx,
                            GError **errp)
{
    const char *type = opts_get(opts, "type");
    const char *id = opts_get(opts, "id");
    const NetBackendType *bt = NULL;
    size_t i;

    if (!type || !*type) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev: option 'type' is required");
        return NULL;
    }
    for (i = 0; i < G_N_ELEMENTS(netbe_types); i++) {
        if (strcmp(type, netbe_types[i].name) == 0) {
            bt = &netbe_types[i];
            break;
        }
    }
    if (!bt) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev: unknown type '%s'", type);
        return NULL;
    }
    if (!id || !*id) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev: option 'id' is required");
        return NULL;
    }
    return bt->create(opts, ctx, errp);
}
