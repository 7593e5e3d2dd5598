/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP internals shared by core/qmp.c (the monitor: framing, dispatch,
 * run state, events, descriptors) and core/qmp-libxl.c (the commands of
 * libxl's device-model contract, the fd sets of add-fd, and the relay of
 * commands to the companion device model). Nothing else includes this
 * header. Everything runs in the main loop thread.
 */
#ifndef EMUNET_QMP_INT_H
#define EMUNET_QMP_INT_H

#include <json-glib/json-glib.h>

#include "core/qmp.h"

/*
 * Descriptors (SCM_RIGHTS) one monitor holds for commands it has not run
 * yet; more are closed as they arrive.
 */
#define QMP_MAX_FDS 16

struct QmpMonitor {
    Chardev *chr;
    const QmpOps *ops;
    void *opaque;
    bool negotiated;
    bool quitting;
    /* End messages with "\r\n" (libxl) instead of "\n". */
    bool crlf;
    /* Counts connections: a forwarded reply goes to the one that asked. */
    guint64 session;
    /* A forwarded command is pending: its name, arguments (for the local
     * effect of cont/stop/...) and id; later input waits in `queued`. */
    bool busy;
    char *fwd_name;
    JsonNode *fwd_args;
    JsonNode *fwd_id;
    /* Its descriptors (int), for the local effect (add-fd), or NULL. */
    GArray *fwd_fds;
    /*
     * Set by a QMP_OWN_FIRST or QMP_OWN_LAST command before it is
     * forwarded: the filename the companion gets instead (g_free), the
     * private fd set to remove once it answered (-1: none), and the
     * descriptor a QMP_OWN_LAST command keeps for its part after the
     * companion's (closed with the rest; -1: none).
     */
    char *fwd_filename;
    gint64 fwd_private_fdset;
    int fwd_own_fd;
    /* During the local effect of a QMP_OWN_BOTH command: the
     * companion's "return" (NULL otherwise). */
    JsonNode *fwd_reply;
    GQueue queued; /* QmpQueued * */
    /* Descriptors: of the command being run (`cmd_fds`), of the object
     * being read (`obj_fds`), and waiting for the next object to start
     * (`next_fds`). Arrays of int, possibly NULL. */
    GArray *cmd_fds;
    GArray *obj_fds;
    GArray *next_fds;
    /* Streaming state. */
    GString *buf;
    int depth;
    bool in_string;
    bool escape;
    /* Over-long text: follow its structure without storing it. */
    bool skipping;
};

/* Who answers a command when there is a companion (QmpOps.forward). */
typedef enum QmpOwner {
    QMP_OWN_LOCAL = 0, /* emunet always */
    QMP_OWN_FALLBACK,  /* the companion; emunet only without one */
    QMP_OWN_BOTH,      /* the companion, then emunet's local effect */
    QMP_OWN_FIRST,     /* emunet's part first, then the companion's */
    QMP_OWN_LAST,      /* the companion's part first, then emunet's */
} QmpOwner;

typedef struct QmpCmd {
    const char *name;
    /* Returns the "return" JSON text (owned), or NULL with *errclass and
     * *errdesc (owned) set. */
    char *(*fn)(QmpMonitor *mon, JsonObject *args, const char **errclass,
                char **errdesc);
} QmpCmd;

/* ---- qmp.c ---- */

/* Commands without parameters refuse any argument, as QEMU does. */
bool qmp_no_args(JsonObject *args, const char **errclass, char **errdesc);

/* `s` as a JSON string. */
void qmp_append_string(GString *out, const char *s);

/* Every monitor, in creation order. */
GList *qmp_monitor_list(void);

/* -smp's vCPU count. */
unsigned qmp_get_cpus(void);

/*
 * The next descriptor that came with the command being run (the caller
 * owns it), or -1.
 */
int qmp_take_fd(QmpMonitor *mon);

/* Is there a companion device model to forward to? */
bool qmp_has_companion(QmpMonitor *mon);

/* Descriptors in an array of int (NULL: none); close and free it. */
unsigned qmp_fds_len(const GArray *fds);
void qmp_fds_close(GArray **fds);

/* Send a message (adds the framing; frees `out`) or an error reply. */
void qmp_send(QmpMonitor *mon, GString *out);
void qmp_send_error(QmpMonitor *mon, const char *cls, const char *desc,
                    JsonNode *id);

/* A command by name (NULL: unknown). */
const QmpCmd *qmp_find_cmd(const char *name);

/* What command `name` does after its reply is queued (system_reset,
 * quit). */
void qmp_after_reply(QmpMonitor *mon, const char *name);

/* The forwarded command is done: run the input that waited behind it. */
void qmp_drain(QmpMonitor *mon);

/* ---- qmp-libxl.c ---- */

extern const QmpCmd qmp_libxl_cmds[];
extern const size_t qmp_libxl_n_cmds;

/* The owner of `name` (QMP_OWN_LOCAL for the ones not listed). */
QmpOwner qmp_libxl_owner(const char *name);

/*
 * The guest runs and no client is connected: close the fd sets, as
 * QEMU does then (monitor_fdsets_cleanup).
 */
void qmp_fdsets_cleanup(void);

/*
 * Hand the command to the companion: `text`, with the descriptors that
 * came with it (cmd_fds, kept as fwd_fds). False when there is no
 * companion, or it is gone.
 */
bool qmp_relay_forward(QmpMonitor *mon, const char *name, JsonNode *argnode,
                       JsonNode *id, const char *text, size_t len);

/*
 * QMP_OWN_FIRST or QMP_OWN_LAST with a companion: cmd->fn runs first,
 * then the command is forwarded (with the filename fwd_filename, when
 * cmd->fn set one) and the companion's reply is relayed. cmd->fn is
 * called in one of three phases, which it tells apart by:
 *   alone   (no companion: qmp_has_companion false): the whole command;
 *   before  (qmp_has_companion true, fwd_reply NULL): QMP_OWN_FIRST does
 *           emunet's part; QMP_OWN_LAST checks its arguments and
 *           prepares (fwd_own_fd, fwd_filename, fwd_private_fdset). An
 *           error here is the reply, and nothing is forwarded;
 *   after   (QMP_OWN_LAST only, fwd_reply set: the companion answered
 *           with success): emunet's part. An error here replaces the
 *           companion's reply; otherwise the companion's is relayed.
 * An error reply from the companion is relayed and emunet's part after
 * it does not run.
 */
void qmp_relay_first(QmpMonitor *mon, const QmpCmd *cmd, JsonObject *obj,
                     JsonObject *args, JsonNode *argnode, JsonNode *id,
                     const char *text, size_t len);

/* No forwarded command is pending any more (the queue is the caller's). */
void qmp_relay_clear(QmpMonitor *mon);

#endif
