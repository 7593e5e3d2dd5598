/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim xenstore tree: nodes, paths, permissions and transaction
 * bookkeeping (see xensim-xs.c for the semantics), and the test API that
 * reads and changes the tree directly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xensim-xs.h"

/* ---- tree ---- */

GPtrArray *xs_perms_new(void)
{
    return g_ptr_array_new_with_free_func(g_free);
}

GPtrArray *xs_perms_copy(GPtrArray *src)
{
    GPtrArray *p = xs_perms_new();
    guint i;

    for (i = 0; i < src->len; i++) {
        g_ptr_array_add(p, g_strdup(g_ptr_array_index(src, i)));
    }
    return p;
}

void xs_node_free(XsNode *n)
{
    if (!n) {
        return;
    }
    g_ptr_array_free(n->children, TRUE);
    g_ptr_array_free(n->perms, TRUE);
    g_free(n->name);
    g_free(n->value);
    g_free(n);
}

XsNode *xs_node_new(const char *name, XsNode *parent, uint64_t gen)
{
    XsNode *n = g_new0(XsNode, 1);

    n->name = g_strdup(name);
    n->value = g_strdup("");
    n->children = g_ptr_array_new_with_free_func((GDestroyNotify)xs_node_free);
    n->perms = parent ? xs_perms_copy(parent->perms) : xs_perms_new();
    n->parent = parent;
    n->gen = gen;
    if (parent) {
        g_ptr_array_add(parent->children, n);
        parent->gen = gen;
    }
    return n;
}

XsNode *xs_node_copy(const XsNode *src, XsNode *parent)
{
    XsNode *n = g_new0(XsNode, 1);
    guint i;

    n->name = g_strdup(src->name);
    n->value = g_memdup2(src->value, src->vlen + 1);
    n->vlen = src->vlen;
    n->perms = xs_perms_copy(src->perms);
    n->children = g_ptr_array_new_with_free_func((GDestroyNotify)xs_node_free);
    n->parent = parent;
    n->gen = src->gen;
    for (i = 0; i < src->children->len; i++) {
        g_ptr_array_add(n->children,
                        xs_node_copy(g_ptr_array_index(src->children, i), n));
    }
    return n;
}

static XsNode *xs_node_child(XsNode *n, const char *name, size_t len)
{
    guint i;

    for (i = 0; i < n->children->len; i++) {
        XsNode *c = g_ptr_array_index(n->children, i);

        if (strlen(c->name) == len && memcmp(c->name, name, len) == 0) {
            return c;
        }
    }
    return NULL;
}

/* Find (or with `create`, make) the node at canonical path `abs`. */
XsNode *xs_node_walk(XsNode *root, const char *abs, bool create, uint64_t gen)
{
    XsNode *n = root;
    const char *p = abs + 1;

    while (n && *p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        XsNode *c = xs_node_child(n, p, len);

        if (!c && create) {
            char *name = g_strndup(p, len);

            c = xs_node_new(name, n, gen);
            g_free(name);
        }
        n = c;
        p += len + (slash ? 1 : 0);
    }
    return n;
}

void xs_node_unlink(XsNode *n, uint64_t gen)
{
    n->parent->gen = gen;
    g_ptr_array_remove(n->parent->children, n);
}

bool xs_path_is_child(const char *child, const char *parent)
{
    size_t len = strlen(parent);

    if (strcmp(parent, "/") == 0) {
        return child[0] == '/';
    }
    return strncmp(child, parent, len) == 0 &&
           (child[len] == '\0' || child[len] == '/');
}

/* docs/misc/xenstore.txt path syntax; NULL if invalid. */
char *xs_path_canon(const char *path)
{
    const char *valid = "0123456789abcdefghijklmnopqrstuvwxyz"
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZ-/_@";
    char *abs;
    size_t len;

    if (!*path || strspn(path, valid) != strlen(path)) {
        return NULL;
    }
    if (path[0] == '/') {
        if (strlen(path) > XENSTORE_ABS_PATH_MAX) {
            return NULL;
        }
        abs = g_strdup(path);
    } else {
        if (strlen(path) > XENSTORE_REL_PATH_MAX) {
            return NULL;
        }
        abs = g_strconcat(XS_DOM0_PATH "/", path, NULL);
    }
    len = strlen(abs);
    if (strstr(abs, "//") || (len > 1 && abs[len - 1] == '/')) {
        g_free(abs);
        return NULL;
    }
    return abs;
}

bool xs_perm_valid(const char *p)
{
    char *end;

    if (!strchr("nrwb", p[0]) || !p[1]) {
        return false;
    }
    return strtoul(p + 1, &end, 10) < DOMID_FIRST_RESERVED && *end == '\0';
}

/* ---- operations on a tree (live, or a transaction's snapshot) ---- */

int xs_tree_write(XsServer *xs, XsNode *root, const char *abs,
                  const char *value, size_t vlen, bool mkdir, bool *changed)
{
    uint64_t gen = ++xs->gen;
    XsNode *n = xs_node_walk(root, abs, false, gen);

    *changed = false;
    if (n && mkdir) {
        return 0;
    }
    if (!n) {
        n = xs_node_walk(root, abs, true, gen);
    }
    if (!mkdir) {
        g_free(n->value);
        n->value = g_malloc(vlen + 1);
        memcpy(n->value, value, vlen);
        n->value[vlen] = '\0';
        n->vlen = vlen;
    }
    n->gen = gen;
    *changed = true;
    return 0;
}

int xs_tree_rm(XsServer *xs, XsNode *root, const char *abs, bool *changed)
{
    XsNode *n = xs_node_walk(root, abs, false, 0);
    char *parent;

    *changed = false;
    if (strcmp(abs, "/") == 0) {
        return EINVAL;
    }
    if (!n) {
        parent = g_path_get_dirname(abs);
        n = xs_node_walk(root, parent, false, 0);
        g_free(parent);
        return n ? 0 : ENOENT;
    }
    xs_node_unlink(n, ++xs->gen);
    *changed = true;
    return 0;
}

int xs_tree_set_perms(XsServer *xs, XsNode *root, const char *abs,
                      GPtrArray *perms)
{
    XsNode *n = xs_node_walk(root, abs, false, 0);

    if (!n) {
        return ENOENT;
    }
    g_ptr_array_free(n->perms, TRUE);
    n->perms = xs_perms_copy(perms);
    n->gen = ++xs->gen;
    return 0;
}

void xs_op_free(XsOp *op)
{
    g_free(op->path);
    g_free(op->value);
    if (op->perms) {
        g_ptr_array_free(op->perms, TRUE);
    }
    g_free(op);
}

void xs_tx_free(XsTx *tx)
{
    xs_node_free(tx->root);
    g_hash_table_destroy(tx->seen);
    g_ptr_array_free(tx->ops, TRUE);
    g_free(tx);
}

/* Record the generation a transaction first saw at `abs` (0: absent). */
void xs_tx_seen(XsTx *tx, const char *abs)
{
    XsNode *n;

    if (g_hash_table_contains(tx->seen, abs)) {
        return;
    }
    n = xs_node_walk(tx->root, abs, false, 0);
    g_hash_table_insert(
        tx->seen, g_strdup(abs),
        g_memdup2(&(uint64_t){n ? n->gen : 0}, sizeof(uint64_t)));
}

bool xs_tx_conflicts(XsServer *xs, XsTx *tx)
{
    GHashTableIter it;
    gpointer k, v;

    g_hash_table_iter_init(&it, tx->seen);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        XsNode *n = xs_node_walk(xs->root, k, false, 0);

        if ((n ? n->gen : 0) != *(uint64_t *)v) {
            return true;
        }
    }
    return false;
}

/* ---- test API ---- */

static bool xs_api_op(XenSim *sim, XsOpKind kind, const char *path,
                      const char *value, GPtrArray *perms)
{
    XsOp op = {.kind = kind, .perms = perms};
    int err = EINVAL;

    op.path = xs_path_canon(path);
    if (op.path) {
        op.value = (char *)value;
        op.vlen = value ? strlen(value) : 0;
        g_mutex_lock(&sim->lock);
        err = xs_apply(sim->xs, &op);
        g_mutex_unlock(&sim->lock);
        g_free(op.path);
    }
    return err == 0;
}

bool xensim_xs_write(XenSim *sim, const char *path, const char *value)
{
    return xs_api_op(sim, XS_OP_WRITE, path, value, NULL);
}

bool xensim_xs_mkdir(XenSim *sim, const char *path)
{
    return xs_api_op(sim, XS_OP_MKDIR, path, NULL, NULL);
}

bool xensim_xs_rm(XenSim *sim, const char *path)
{
    return xs_api_op(sim, XS_OP_RM, path, NULL, NULL);
}

bool xensim_xs_set_perms(XenSim *sim, const char *path,
                         const char *const *perms)
{
    GPtrArray *p = xs_perms_new();
    bool ok = perms && perms[0];

    for (; ok && *perms; perms++) {
        ok = xs_perm_valid(*perms);
        g_ptr_array_add(p, g_strdup(*perms));
    }
    ok = ok && xs_api_op(sim, XS_OP_PERMS, path, NULL, p);
    g_ptr_array_free(p, TRUE);
    return ok;
}

/* Look up a node with the lock held; NULL if absent or invalid. */
static XsNode *xs_api_node(XenSim *sim, const char *path)
{
    char *abs = xs_path_canon(path);
    XsNode *n = abs ? xs_node_walk(sim->xs->root, abs, false, 0) : NULL;

    g_free(abs);
    return n;
}

char *xensim_xs_read(XenSim *sim, const char *path)
{
    XsNode *n;
    char *v = NULL;

    g_mutex_lock(&sim->lock);
    n = xs_api_node(sim, path);
    if (n) {
        v = g_strndup(n->value, n->vlen);
    }
    g_mutex_unlock(&sim->lock);
    return v;
}

gchar **xensim_xs_directory(XenSim *sim, const char *path)
{
    gchar **v = NULL;
    XsNode *n;
    guint i;

    g_mutex_lock(&sim->lock);
    n = xs_api_node(sim, path);
    if (n) {
        v = g_new0(gchar *, n->children->len + 1);
        for (i = 0; i < n->children->len; i++) {
            v[i] =
                g_strdup(((XsNode *)g_ptr_array_index(n->children, i))->name);
        }
    }
    g_mutex_unlock(&sim->lock);
    return v;
}

gchar **xensim_xs_get_perms(XenSim *sim, const char *path)
{
    gchar **v = NULL;
    XsNode *n;
    guint i;

    g_mutex_lock(&sim->lock);
    n = xs_api_node(sim, path);
    if (n) {
        v = g_new0(gchar *, n->perms->len + 1);
        for (i = 0; i < n->perms->len; i++) {
            v[i] = g_strdup(g_ptr_array_index(n->perms, i));
        }
    }
    g_mutex_unlock(&sim->lock);
    return v;
}

bool xensim_xs_wait(XenSim *sim, const char *path, const char *value,
                    unsigned timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    bool ok;

    g_mutex_lock(&sim->lock);
    for (;;) {
        XsNode *n = xs_api_node(sim, path);

        ok = value ? n && n->vlen == strlen(value) &&
                         memcmp(n->value, value, n->vlen) == 0
                   : !n;
        if (ok || !g_cond_wait_until(&sim->cond, &sim->lock, deadline)) {
            break;
        }
    }
    g_mutex_unlock(&sim->lock);
    return ok;
}
