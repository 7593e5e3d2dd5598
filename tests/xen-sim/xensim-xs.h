/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim xenstore internals shared by xensim-xs.c (the socket server:
 * wire protocol, connections, watches) and xensim-xstree.c (the tree,
 * transactions and the test API). Everything runs under XenSim.lock.
 */
#ifndef XENSIM_XS_H
#define XENSIM_XS_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <xen/io/xs_wire.h>

#include "xensim-priv.h"

#define XS_DOM0_PATH "/local/domain/0"

typedef struct XsNode XsNode;

struct XsNode {
    char *name;
    char *value;
    size_t vlen;
    GPtrArray *perms;    /* "n0", "r5", ... */
    GPtrArray *children; /* XsNode, in creation order */
    XsNode *parent;
    uint64_t gen; /* last change (or child list change) */
};

typedef enum { XS_OP_WRITE, XS_OP_MKDIR, XS_OP_RM, XS_OP_PERMS } XsOpKind;

typedef struct XsOp {
    XsOpKind kind;
    char *path;
    char *value;
    size_t vlen;
    GPtrArray *perms;
} XsOp;

typedef struct XsTx {
    uint32_t id;
    XsNode *root;     /* snapshot, changed by the transaction */
    GHashTable *seen; /* path -> generation at first access */
    GPtrArray *ops;   /* XsOp, replayed on commit */
} XsTx;

typedef struct XsWatch {
    char *path; /* as given by the client */
    char *abs;  /* canonical, or the special @name */
    char *token;
    bool relative;
} XsWatch;

typedef struct XsConn {
    XenSim *sim;
    int fd;
    bool dead;
    GByteArray *in;
    GByteArray *out;
    GPtrArray *watches;
    GHashTable *txs; /* id -> XsTx */
} XsConn;

struct XsServer {
    XenSim *sim;
    int listen_fd;
    bool refusing;
    XsNode *root;
    uint64_t gen;
    uint32_t next_tx;
    GPtrArray *conns;
};

/* ---- xensim-xstree.c: the tree ---- */

GPtrArray *xs_perms_new(void);
GPtrArray *xs_perms_copy(GPtrArray *src);
/* A node (empty value, the parent's permissions) added under `parent`. */
XsNode *xs_node_new(const char *name, XsNode *parent, uint64_t gen);
void xs_node_free(XsNode *n);
XsNode *xs_node_copy(const XsNode *src, XsNode *parent);
/* The node at canonical `abs`, made (with parents) when `create`. */
XsNode *xs_node_walk(XsNode *root, const char *abs, bool create, uint64_t gen);
void xs_node_unlink(XsNode *n, uint64_t gen);
bool xs_path_is_child(const char *child, const char *parent);
/* Canonical absolute path (relative: under dom0's home), NULL if bad. */
char *xs_path_canon(const char *path);
bool xs_perm_valid(const char *p);
/* Tree operations; 0 or an errno, *changed when watches should fire. */
int xs_tree_write(XsServer *xs, XsNode *root, const char *abs,
                  const char *value, size_t vlen, bool mkdir, bool *changed);
int xs_tree_rm(XsServer *xs, XsNode *root, const char *abs, bool *changed);
int xs_tree_set_perms(XsServer *xs, XsNode *root, const char *abs,
                      GPtrArray *perms);
void xs_op_free(XsOp *op);
void xs_tx_free(XsTx *tx);
/* Record what a transaction saw at `abs` on first access. */
void xs_tx_seen(XsTx *tx, const char *abs);
/* Did anything the transaction saw change in the live tree? */
bool xs_tx_conflicts(XsServer *xs, XsTx *tx);

/* ---- xensim-xs.c ---- */

/* Apply an operation to the live tree and fire its watches. */
int xs_apply(XsServer *xs, XsOp *op);

#endif
