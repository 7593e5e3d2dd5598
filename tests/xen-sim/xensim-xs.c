/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim xenstore server: the xs_wire.h socket protocol as xenstored
 * speaks it to a dom0 client (Debian's real libxenstore, which finds this
 * socket through $XENSTORED_PATH).
 *
 * Semantics follow docs/misc/xenstore.txt and C xenstored: WRITE creates
 * missing parents (inheriting the parent's permissions); MKDIR of an
 * existing node is a no-op; RM of a missing node whose parent exists
 * succeeds; READ of a missing node is ENOENT; relative paths are under
 * /local/domain/0 (the socket client's domain) and relative watches get
 * relative event paths; WATCH fires once immediately; a change fires the
 * watches on the node and its ancestors, a removal also those below it.
 * Transactions work on a snapshot; each access records the node's
 * generation, and the commit fails with EAGAIN if any accessed node
 * changed meanwhile, otherwise the transaction's operations are replayed
 * on the live tree (firing watches then). Socket clients are dom0, so
 * permissions are stored and reported but never deny access. The tree
 * itself and most of the test API are in xensim-xstree.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "xensim-xs.h"

#define XS_HDR sizeof(struct xsd_sockmsg)
#define XS_MAX_TRANSACTIONS 10 /* xenstored's default quota */

/* ---- watches ---- */

static void xs_send(XsConn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
                    const void *data, size_t len);

static void xs_fire_one(XsConn *c, XsWatch *w, const char *abs)
{
    const char *path = abs;
    GString *msg;

    if (w->relative && xs_path_is_child(abs, XS_DOM0_PATH) &&
        strlen(abs) > strlen(XS_DOM0_PATH)) {
        path = abs + strlen(XS_DOM0_PATH) + 1;
    }
    msg = g_string_new(path);
    g_string_append_c(msg, '\0');
    g_string_append(msg, w->token);
    g_string_append_c(msg, '\0');
    xs_send(c, XS_WATCH_EVENT, 0, 0, msg->str, msg->len);
    g_string_free(msg, TRUE);
}

/* Fire for a change at `abs`; `removed`: its subtree went away too. */
static void xs_fire(XsServer *xs, const char *abs, bool removed)
{
    guint i, j;

    for (i = 0; i < xs->conns->len; i++) {
        XsConn *c = g_ptr_array_index(xs->conns, i);

        for (j = 0; !c->dead && j < c->watches->len; j++) {
            XsWatch *w = g_ptr_array_index(c->watches, j);

            if (abs[0] == '@' || w->abs[0] == '@') {
                if (strcmp(abs, w->abs) == 0) {
                    xs_fire_one(c, w, abs);
                }
            } else if (xs_path_is_child(abs, w->abs)) {
                xs_fire_one(c, w, abs);
            } else if (removed && xs_path_is_child(w->abs, abs)) {
                xs_fire_one(c, w, w->abs);
            }
        }
    }
    sim_changed(xs->sim);
}

/* Apply an operation to the live tree and fire its watches. */
int xs_apply(XsServer *xs, XsOp *op)
{
    bool changed = false;
    int err;

    switch (op->kind) {
    case XS_OP_WRITE:
    case XS_OP_MKDIR:
        err = xs_tree_write(xs, xs->root, op->path, op->value, op->vlen,
                            op->kind == XS_OP_MKDIR, &changed);
        break;
    case XS_OP_RM:
        err = xs_tree_rm(xs, xs->root, op->path, &changed);
        break;
    default:
        err = xs_tree_set_perms(xs, xs->root, op->path, op->perms);
        changed = !err;
        break;
    }
    if (changed) {
        xs_fire(xs, op->path, op->kind == XS_OP_RM);
    }
    return err;
}

/* ---- wire protocol ---- */

static void xs_flush(XsConn *c)
{
    while (c->out->len && !c->dead) {
        ssize_t n =
            send(c->fd, c->out->data, c->out->len, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                c->dead = true;
            } else {
                /* Queued: the service thread must poll for POLLOUT. */
                sim_wake(c->sim);
            }
            return;
        }
        g_byte_array_remove_range(c->out, 0, (guint)n);
    }
}

static void xs_send(XsConn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
                    const void *data, size_t len)
{
    struct xsd_sockmsg h = {
        .type = type,
        .req_id = req_id,
        .tx_id = tx_id,
        .len = (uint32_t)len,
    };

    if (c->dead) {
        return;
    }
    g_byte_array_append(c->out, (const guint8 *)&h, sizeof(h));
    g_byte_array_append(c->out, data, (guint)len);
    xs_flush(c);
}

static void xs_reply(XsConn *c, const struct xsd_sockmsg *h, const void *data,
                     size_t len)
{
    xs_send(c, h->type, h->req_id, h->tx_id, data, len);
}

static void xs_ok(XsConn *c, const struct xsd_sockmsg *h)
{
    xs_reply(c, h, "OK", 3);
}

static void xs_error(XsConn *c, const struct xsd_sockmsg *h, int err)
{
    const char *name = "EINVAL";
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(xsd_errors); i++) {
        if (xsd_errors[i].errnum == err) {
            name = xsd_errors[i].errstring;
        }
    }
    xs_send(c, XS_ERROR, h->req_id, h->tx_id, name, strlen(name) + 1);
}

/* Split a payload of NUL-terminated strings; NULL if malformed. */
static GPtrArray *xs_strings(const uint8_t *p, size_t len)
{
    GPtrArray *a = g_ptr_array_new();
    size_t off = 0;

    if (len == 0 || p[len - 1] != '\0') {
        g_ptr_array_free(a, TRUE);
        return NULL;
    }
    while (off < len) {
        g_ptr_array_add(a, (char *)p + off);
        off += strlen((const char *)p + off) + 1;
    }
    return a;
}

/*
 * DIRECTORY: every child name, NUL-terminated. DIRECTORY_PART (as C
 * xenstored): the node generation, then the whole names that fit starting
 * at byte `offset` of that list, plus an empty string once the list ends.
 */
static void xs_dir_reply(XsConn *c, const struct xsd_sockmsg *h, XsNode *n,
                         bool part, unsigned long offset)
{
    GString *all = g_string_new(NULL);
    GString *s;
    size_t len = 0, maxlen;
    guint i;

    for (i = 0; i < n->children->len; i++) {
        XsNode *ch = g_ptr_array_index(n->children, i);

        g_string_append(all, ch->name);
        g_string_append_c(all, '\0');
    }
    if (!part) {
        if (all->len > XENSTORE_PAYLOAD_MAX) {
            xs_error(c, h, E2BIG);
        } else {
            xs_reply(c, h, all->str, all->len);
        }
        g_string_free(all, TRUE);
        return;
    }
    if (offset > all->len) {
        g_string_free(all, TRUE);
        xs_error(c, h, EINVAL);
        return;
    }
    s = g_string_new(NULL);
    g_string_printf(s, "%" G_GINT64_MODIFIER "x", n->gen);
    g_string_append_c(s, '\0');
    maxlen = XENSTORE_PAYLOAD_MAX - s->len - 1;
    while (offset + len < all->len &&
           len + strlen(all->str + offset + len) < maxlen) {
        len += strlen(all->str + offset + len) + 1;
    }
    g_string_append_len(s, all->str + offset, (gssize)len);
    if (offset + len == all->len) {
        g_string_append_c(s, '\0'); /* end of the list */
    }
    xs_reply(c, h, s->str, s->len);
    g_string_free(s, TRUE);
    g_string_free(all, TRUE);
}

static void xs_handle_watch(XsServer *xs, XsConn *c,
                            const struct xsd_sockmsg *h, GPtrArray *args)
{
    const char *path, *token;
    XsWatch *w;
    char *abs;
    guint i;

    if (!args || args->len != 2) {
        xs_error(c, h, EINVAL);
        return;
    }
    path = g_ptr_array_index(args, 0);
    token = g_ptr_array_index(args, 1);
    if (path[0] == '@') {
        abs = g_strdup(path);
    } else {
        abs = xs_path_canon(path);
    }
    if (!abs) {
        xs_error(c, h, EINVAL);
        return;
    }
    for (i = 0; i < c->watches->len; i++) {
        w = g_ptr_array_index(c->watches, i);
        if (h->type == XS_WATCH && strcmp(w->abs, abs) == 0 &&
            strcmp(w->token, token) == 0) {
            g_free(abs);
            xs_error(c, h, EEXIST);
            return;
        }
        if (h->type == XS_UNWATCH && strcmp(w->abs, abs) == 0 &&
            strcmp(w->token, token) == 0) {
            g_ptr_array_remove_index(c->watches, i);
            g_free(abs);
            xs_ok(c, h);
            return;
        }
    }
    if (h->type == XS_UNWATCH) {
        g_free(abs);
        xs_error(c, h, ENOENT);
        return;
    }
    w = g_new0(XsWatch, 1);
    w->path = g_strdup(path);
    w->abs = abs;
    w->token = g_strdup(token);
    w->relative = path[0] != '/' && path[0] != '@';
    g_ptr_array_add(c->watches, w);
    xs_ok(c, h);
    /* A new watch fires once right away. */
    xs_fire_one(c, w, abs);
    sim_changed(xs->sim);
}

static void xs_handle_tx(XsServer *xs, XsConn *c, const struct xsd_sockmsg *h,
                         GPtrArray *args)
{
    XsTx *tx;
    char buf[16];
    guint i;

    if (h->type == XS_TRANSACTION_START) {
        if (h->tx_id) {
            xs_error(c, h, EBUSY);
            return;
        }
        if (g_hash_table_size(c->txs) >= XS_MAX_TRANSACTIONS) {
            xs_error(c, h, ENOSPC);
            return;
        }
        tx = g_new0(XsTx, 1);
        do {
            tx->id = ++xs->next_tx;
        } while (tx->id == 0);
        tx->root = xs_node_copy(xs->root, NULL);
        tx->seen =
            g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        tx->ops = g_ptr_array_new_with_free_func((GDestroyNotify)xs_op_free);
        g_hash_table_insert(c->txs, GUINT_TO_POINTER(tx->id), tx);
        snprintf(buf, sizeof(buf), "%u", tx->id);
        xs_reply(c, h, buf, strlen(buf) + 1);
        return;
    }
    tx = g_hash_table_lookup(c->txs, GUINT_TO_POINTER(h->tx_id));
    if (!tx) {
        xs_error(c, h, ENOENT);
        return;
    }
    if (!args || args->len != 1 ||
        (strcmp(g_ptr_array_index(args, 0), "T") &&
         strcmp(g_ptr_array_index(args, 0), "F"))) {
        xs_error(c, h, EINVAL);
        return;
    }
    g_hash_table_steal(c->txs, GUINT_TO_POINTER(h->tx_id));
    if (strcmp(g_ptr_array_index(args, 0), "T") == 0) {
        if (xs_tx_conflicts(xs, tx)) {
            xs_tx_free(tx);
            xs_error(c, h, EAGAIN);
            return;
        }
        for (i = 0; i < tx->ops->len; i++) {
            xs_apply(xs, g_ptr_array_index(tx->ops, i));
        }
    }
    xs_tx_free(tx);
    xs_ok(c, h);
}

/* READ, WRITE, MKDIR, RM, DIRECTORY(_PART), GET/SET_PERMS */
static void xs_handle_node(XsServer *xs, XsConn *c, const struct xsd_sockmsg *h,
                           const uint8_t *payload)
{
    const char *path = (const char *)payload;
    size_t plen = strnlen(path, h->len);
    GPtrArray *args = NULL;
    XsTx *tx = NULL;
    XsNode *root = xs->root, *n;
    XsOp *op = NULL;
    char *abs;
    int err = 0;
    guint i;

    if (plen == h->len) {
        xs_error(c, h, EINVAL);
        return;
    }
    if (h->tx_id) {
        tx = g_hash_table_lookup(c->txs, GUINT_TO_POINTER(h->tx_id));
        if (!tx) {
            xs_error(c, h, ENOENT);
            return;
        }
        root = tx->root;
    }
    abs = xs_path_canon(path);
    if (!abs) {
        xs_error(c, h, EINVAL);
        return;
    }
    if (tx) {
        xs_tx_seen(tx, abs);
    }
    switch (h->type) {
    case XS_READ:
        n = xs_node_walk(root, abs, false, 0);
        if (!n) {
            err = ENOENT;
        } else {
            xs_reply(c, h, n->value, n->vlen);
        }
        break;
    case XS_DIRECTORY:
    case XS_DIRECTORY_PART:
        n = xs_node_walk(root, abs, false, 0);
        if (!n) {
            err = ENOENT;
        } else if (h->type == XS_DIRECTORY) {
            xs_dir_reply(c, h, n, false, 0);
        } else {
            args = xs_strings(payload, h->len);
            if (!args || args->len != 2) {
                err = EINVAL;
            } else {
                xs_dir_reply(c, h, n, true,
                             strtoul(g_ptr_array_index(args, 1), NULL, 10));
            }
        }
        break;
    case XS_GET_PERMS:
        n = xs_node_walk(root, abs, false, 0);
        if (!n) {
            err = ENOENT;
        } else {
            GString *s = g_string_new(NULL);

            for (i = 0; i < n->perms->len; i++) {
                g_string_append(s, g_ptr_array_index(n->perms, i));
                g_string_append_c(s, '\0');
            }
            xs_reply(c, h, s->str, s->len);
            g_string_free(s, TRUE);
        }
        break;
    case XS_WRITE:
    case XS_MKDIR:
    case XS_RM:
    case XS_SET_PERMS:
        op = g_new0(XsOp, 1);
        op->path = g_strdup(abs);
        if (h->type == XS_WRITE) {
            op->kind = XS_OP_WRITE;
            op->vlen = h->len - plen - 1;
            op->value = g_memdup2(payload + plen + 1, op->vlen + 1);
        } else if (h->type == XS_MKDIR) {
            op->kind = XS_OP_MKDIR;
        } else if (h->type == XS_RM) {
            op->kind = XS_OP_RM;
        } else {
            op->kind = XS_OP_PERMS;
            args = xs_strings(payload, h->len);
            if (!args || args->len < 2) {
                err = EINVAL;
                break;
            }
            op->perms = xs_perms_new();
            for (i = 1; i < args->len; i++) {
                if (!xs_perm_valid(g_ptr_array_index(args, i))) {
                    err = EINVAL;
                }
                g_ptr_array_add(op->perms,
                                g_strdup(g_ptr_array_index(args, i)));
            }
        }
        if (err) {
            break;
        }
        if (!tx) {
            err = xs_apply(xs, op);
        } else {
            bool changed;

            switch (op->kind) {
            case XS_OP_WRITE:
            case XS_OP_MKDIR:
                err = xs_tree_write(xs, root, abs, op->value, op->vlen,
                                    op->kind == XS_OP_MKDIR, &changed);
                break;
            case XS_OP_RM:
                err = xs_tree_rm(xs, root, abs, &changed);
                break;
            default:
                err = xs_tree_set_perms(xs, root, abs, op->perms);
                break;
            }
            if (!err) {
                g_ptr_array_add(tx->ops, op);
                op = NULL;
            }
        }
        if (!err) {
            xs_ok(c, h);
        }
        break;
    default:
        err = EINVAL;
        break;
    }
    if (err) {
        xs_error(c, h, err);
    }
    if (op) {
        xs_op_free(op);
    }
    if (args) {
        g_ptr_array_free(args, TRUE);
    }
    g_free(abs);
}

static void xs_handle(XsServer *xs, XsConn *c, const struct xsd_sockmsg *h,
                      const uint8_t *payload)
{
    GPtrArray *args = xs_strings(payload, h->len);
    char buf[64];

    switch (h->type) {
    case XS_READ:
    case XS_WRITE:
    case XS_MKDIR:
    case XS_RM:
    case XS_DIRECTORY:
    case XS_DIRECTORY_PART:
    case XS_GET_PERMS:
    case XS_SET_PERMS:
        xs_handle_node(xs, c, h, payload);
        break;
    case XS_WATCH:
    case XS_UNWATCH:
        xs_handle_watch(xs, c, h, args);
        break;
    case XS_TRANSACTION_START:
    case XS_TRANSACTION_END:
        xs_handle_tx(xs, c, h, args);
        break;
    case XS_GET_DOMAIN_PATH:
        if (!args || args->len != 1) {
            xs_error(c, h, EINVAL);
            break;
        }
        snprintf(buf, sizeof(buf), "/local/domain/%lu",
                 strtoul(g_ptr_array_index(args, 0), NULL, 10));
        xs_reply(c, h, buf, strlen(buf) + 1);
        break;
    case XS_IS_DOMAIN_INTRODUCED:
        if (!args || args->len != 1) {
            xs_error(c, h, EINVAL);
            break;
        }
        xs_reply(c, h,
                 sim_domain(xs->sim, (uint16_t)strtoul(
                                         g_ptr_array_index(args, 0), NULL, 10))
                     ? "T"
                     : "F",
                 2);
        break;
    case XS_RESET_WATCHES:
        g_ptr_array_set_size(c->watches, 0);
        g_hash_table_remove_all(c->txs);
        xs_ok(c, h);
        break;
    case XS_CONTROL:
    case XS_INTRODUCE:
    case XS_RELEASE:
    case XS_RESUME:
    case XS_SET_TARGET:
        /* Domain bookkeeping belongs to the simulator's domains. */
        xs_ok(c, h);
        break;
    default:
        xs_error(c, h, EINVAL);
        break;
    }
    if (args) {
        g_ptr_array_free(args, TRUE);
    }
}

/* ---- connections ---- */

static void xs_watch_free(XsWatch *w)
{
    g_free(w->path);
    g_free(w->abs);
    g_free(w->token);
    g_free(w);
}

static void xs_conn_free(XsConn *c)
{
    if (c->fd >= 0) {
        close(c->fd);
    }
    g_byte_array_free(c->in, TRUE);
    g_byte_array_free(c->out, TRUE);
    g_ptr_array_free(c->watches, TRUE);
    g_hash_table_destroy(c->txs);
    g_free(c);
}

static void xs_accept(XsServer *xs)
{
    XsConn *c;
    int fd = accept4(xs->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (fd < 0) {
        return;
    }
    c = g_new0(XsConn, 1);
    c->sim = xs->sim;
    c->fd = fd;
    c->in = g_byte_array_new();
    c->out = g_byte_array_new();
    c->watches = g_ptr_array_new_with_free_func((GDestroyNotify)xs_watch_free);
    c->txs =
        g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)xs_tx_free);
    g_ptr_array_add(xs->conns, c);
    sim_changed(xs->sim);
}

static void xs_readable(XsServer *xs, XsConn *c)
{
    uint8_t buf[8192];
    ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        c->dead = true;
        return;
    }
    if (n < 0) {
        return;
    }
    g_byte_array_append(c->in, buf, (guint)n);
    while (!c->dead && c->in->len >= XS_HDR) {
        struct xsd_sockmsg h;
        uint8_t *payload;

        memcpy(&h, c->in->data, sizeof(h));
        if (h.len > (uint32_t)XENSTORE_PAYLOAD_MAX) {
            c->dead = true; /* xenstored drops such a client */
            return;
        }
        if (c->in->len < XS_HDR + h.len) {
            return;
        }
        payload = g_malloc(h.len + 1);
        memcpy(payload, c->in->data + XS_HDR, h.len);
        payload[h.len] = '\0';
        g_byte_array_remove_range(c->in, 0, (guint)(XS_HDR + h.len));
        xs_handle(xs, c, &h, payload);
        g_free(payload);
    }
}

XsServer *xs_server_new(XenSim *sim, int listen_fd)
{
    XsServer *xs = g_new0(XsServer, 1);

    xs->sim = sim;
    xs->listen_fd = listen_fd;
    xs->conns = g_ptr_array_new();
    xs->root = xs_node_new("", NULL, ++xs->gen);
    g_ptr_array_add(xs->root->perms, g_strdup("n0"));
    xs_node_walk(xs->root, XS_DOM0_PATH, true, ++xs->gen);
    return xs;
}

void xs_server_free(XsServer *xs)
{
    guint i;

    for (i = 0; i < xs->conns->len; i++) {
        xs_conn_free(g_ptr_array_index(xs->conns, i));
    }
    g_ptr_array_free(xs->conns, TRUE);
    xs_node_free(xs->root);
    if (xs->listen_fd >= 0) {
        close(xs->listen_fd);
    }
    g_free(xs);
}

unsigned xs_server_poll_fill(XsServer *xs, struct pollfd *pfd, void **tags,
                             unsigned max)
{
    unsigned n = 0;
    guint i;

    for (i = xs->conns->len; i-- > 0;) {
        XsConn *c = g_ptr_array_index(xs->conns, i);

        if (c->dead) {
            g_ptr_array_remove_index(xs->conns, i);
            xs_conn_free(c);
            sim_changed(xs->sim);
        }
    }
    if (xs->listen_fd >= 0 && n < max) {
        pfd[n] = (struct pollfd){.fd = xs->listen_fd, .events = POLLIN};
        tags[n++] = NULL;
    }
    for (i = 0; i < xs->conns->len && n < max; i++) {
        XsConn *c = g_ptr_array_index(xs->conns, i);

        pfd[n] = (struct pollfd){
            .fd = c->fd,
            .events = POLLIN | (c->out->len ? POLLOUT : 0),
        };
        tags[n++] = c;
    }
    return n;
}

void xs_server_poll_handle(XsServer *xs, void *tag, short revents)
{
    XsConn *c = tag;

    if (!c) {
        if (xs->listen_fd >= 0) {
            xs_accept(xs);
        }
        return;
    }
    if (c->dead) {
        return;
    }
    if (revents & POLLOUT) {
        xs_flush(c);
    }
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        xs_readable(xs, c);
    }
}

void xs_domain_event(XsServer *xs, uint16_t domid, bool introduced)
{
    if (introduced) {
        char *path = g_strdup_printf("/local/domain/%u", domid);
        XsOp op = {.kind = XS_OP_MKDIR, .path = path};
        XsNode *n;

        xs_apply(xs, &op);
        n = xs_node_walk(xs->root, path, false, 0);
        if (n) {
            g_ptr_array_set_size(n->perms, 0);
            g_ptr_array_add(n->perms, g_strdup("n0"));
            g_ptr_array_add(n->perms, g_strdup_printf("r%u", domid));
        }
        g_free(path);
    }
    xs_fire(xs, introduced ? "@introduceDomain" : "@releaseDomain", false);
}

bool xensim_xs_has_watch(XenSim *sim, const char *path)
{
    bool found = false;
    guint i, j;

    g_mutex_lock(&sim->lock);
    for (i = 0; i < sim->xs->conns->len && !found; i++) {
        XsConn *c = g_ptr_array_index(sim->xs->conns, i);

        for (j = 0; !c->dead && j < c->watches->len; j++) {
            XsWatch *w = g_ptr_array_index(c->watches, j);

            found = found || strcmp(w->abs, path) == 0;
        }
    }
    g_mutex_unlock(&sim->lock);
    return found;
}

unsigned xensim_xs_connections(XenSim *sim)
{
    unsigned n = 0;
    guint i;

    g_mutex_lock(&sim->lock);
    for (i = 0; i < sim->xs->conns->len; i++) {
        n += !((XsConn *)g_ptr_array_index(sim->xs->conns, i))->dead;
    }
    g_mutex_unlock(&sim->lock);
    return n;
}

void xensim_xs_disconnect_all(XenSim *sim, bool refuse)
{
    XsServer *xs = sim->xs;
    guint i;

    g_mutex_lock(&sim->lock);
    for (i = 0; i < xs->conns->len; i++) {
        XsConn *c = g_ptr_array_index(xs->conns, i);

        if (!c->dead) {
            shutdown(c->fd, SHUT_RDWR);
            c->dead = true;
        }
    }
    if (refuse && !xs->refusing) {
        /* As if xenstored were not running: no socket to connect to. */
        close(xs->listen_fd);
        xs->listen_fd = -1;
        unlink(sim->xs_path);
        xs->refusing = true;
    } else if (!refuse && xs->refusing) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        g_strlcpy(sa.sun_path, sim->xs_path, sizeof(sa.sun_path));
        if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
            listen(fd, 64) == 0) {
            xs->listen_fd = fd;
            xs->refusing = false;
        } else if (fd >= 0) {
            close(fd);
        }
    }
    sim_changed(sim);
    g_mutex_unlock(&sim->lock);
    /* Let the service thread drop the connections and rebuild its set. */
    sim_wake(sim);
}
