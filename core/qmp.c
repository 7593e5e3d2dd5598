/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP monitor; see qmp.h. Input framing follows JSON structure (braces
 * and brackets outside strings), so objects may span lines or share one,
 * like QEMU's json-streamer; each complete object is parsed with
 * json-glib. Replies are written by hand in QEMU's spacing
 * ({"return": {}}) so transcripts look like QEMU's.
 * Error classes and messages are QEMU 7.2's (qapi/qmp-dispatch.c,
 * monitor/qmp.c). The commands of libxl's device-model contract are in
 * qmp-libxl.c.
 *
 * Descriptors (SCM_RIGHTS) belong to the command whose first byte they
 * were sent with (libxl sends them with the "{"): the last object that
 * starts in the bytes they came with, else the one being read, else the
 * next one. A command that does not use them closes them after it ran,
 * or, forwarded, hands them to the companion.
 */
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/depriv.h"
#include "core/qmp-int.h"
#include "emunet/log.h"

/* Largest JSON text and deepest nesting accepted (QEMU: 64 MiB, 1024). */
#define QMP_MAX_TEXT (1024u * 1024)
#define QMP_MAX_NESTING 1024

#define QMP_VERSION_JSON                                                       \
    "{\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "                  \
    "\"package\": \"emunet " EMUNET_VERSION "\"}"

/* A command waiting behind a forwarded one, with its descriptors. */
typedef struct QmpQueued {
    GString *text;
    GArray *fds; /* int, or NULL */
} QmpQueued;

/* Process-wide state shared by the monitors. */
static QmpRunState qmp_runstate;
static QmpRunFn *qmp_run_fn;
static void *qmp_run_opaque;
static char *qmp_version_override;
static unsigned qmp_nr_cpus = 1;
static GList *qmp_monitors; /* QmpMonitor * */

static const char *qmp_version(void)
{
    return qmp_version_override ? qmp_version_override : QMP_VERSION_JSON;
}

void qmp_set_runstate(QmpRunState state)
{
    bool was = qmp_runstate == QMP_RUN_RUNNING;

    qmp_runstate = state;
    if (was != (state == QMP_RUN_RUNNING) && qmp_run_fn) {
        qmp_run_fn(qmp_run_opaque, state == QMP_RUN_RUNNING);
    }
}

void qmp_set_run_handler(QmpRunFn *fn, void *opaque)
{
    qmp_run_fn = fn;
    qmp_run_opaque = opaque;
}

QmpRunState qmp_get_runstate(void)
{
    return qmp_runstate;
}

void qmp_set_version(const char *version_json)
{
    g_free(qmp_version_override);
    qmp_version_override = g_strdup(version_json);
}

void qmp_set_cpus(unsigned n)
{
    qmp_nr_cpus = n ? n : 1;
}

unsigned qmp_get_cpus(void)
{
    return qmp_nr_cpus;
}

GList *qmp_monitor_list(void)
{
    return qmp_monitors;
}

bool qmp_has_companion(QmpMonitor *mon)
{
    return mon->ops->has_companion && mon->ops->has_companion(mon->opaque);
}

/* ---- descriptors ---- */

unsigned qmp_fds_len(const GArray *fds)
{
    return fds ? fds->len : 0;
}

void qmp_fds_close(GArray **fds)
{
    if (!*fds) {
        return;
    }
    for (guint i = 0; i < (*fds)->len; i++) {
        close(g_array_index(*fds, int, i));
    }
    g_array_free(*fds, TRUE);
    *fds = NULL;
}

/* Append the descriptors of `src` (freed) to `*dst`. */
static void qmp_fds_move(GArray **dst, GArray **src)
{
    if (!*src) {
        return;
    }
    if (!*dst) {
        *dst = g_steal_pointer(src);
        return;
    }
    g_array_append_vals(*dst, (*src)->data, (*src)->len);
    g_array_free(*src, TRUE);
    *src = NULL;
}

/* Descriptors the monitor holds for commands not run yet. */
static unsigned qmp_fds_held(QmpMonitor *mon)
{
    unsigned n = qmp_fds_len(mon->obj_fds) + qmp_fds_len(mon->next_fds);

    for (GList *l = mon->queued.head; l; l = l->next) {
        n += qmp_fds_len(((QmpQueued *)l->data)->fds);
    }
    return n;
}

int qmp_take_fd(QmpMonitor *mon)
{
    int fd;

    if (!mon->cmd_fds || mon->cmd_fds->len == 0) {
        return -1;
    }
    fd = g_array_index(mon->cmd_fds, int, 0);
    g_array_remove_index(mon->cmd_fds, 0);
    return fd;
}

void qmp_append_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\') {
            g_string_append_c(out, '\\');
            g_string_append_c(out, (char)c);
        } else if (c < 0x20) {
            g_string_append_printf(out, "\\u%04x", c);
        } else {
            g_string_append_c(out, (char)c);
        }
    }
    g_string_append_c(out, '"');
}

static void qmp_append_id(GString *out, JsonNode *id)
{
    char *text;

    if (!id) {
        return;
    }
    text = json_to_string(id, FALSE);
    g_string_append_printf(out, ", \"id\": %s", text);
    g_free(text);
}

void qmp_send(QmpMonitor *mon, GString *out)
{
    if (mon->crlf) {
        g_string_append_c(out, '\r');
    }
    g_string_append_c(out, '\n');
    chardev_write(mon->chr, out->str, out->len);
    g_string_free(out, TRUE);
}

static void qmp_send_return(QmpMonitor *mon, const char *ret, JsonNode *id)
{
    GString *out = g_string_new("{\"return\": ");

    g_string_append(out, ret);
    qmp_append_id(out, id);
    g_string_append_c(out, '}');
    qmp_send(mon, out);
}

void qmp_send_error(QmpMonitor *mon, const char *cls, const char *desc,
                    JsonNode *id)
{
    GString *out = g_string_new("{\"error\": {\"class\": ");

    qmp_append_string(out, cls);
    g_string_append(out, ", \"desc\": ");
    qmp_append_string(out, desc);
    g_string_append_c(out, '}');
    qmp_append_id(out, id);
    g_string_append_c(out, '}');
    qmp_send(mon, out);
}

void qmp_monitor_event(QmpMonitor *mon, const char *name, const char *data_json)
{
    gint64 now = g_get_real_time();
    GString *out;

    if (!mon || !mon->negotiated || !chardev_connected(mon->chr)) {
        return;
    }
    out = g_string_new(NULL);
    g_string_append_printf(out,
                           "{\"timestamp\": {\"seconds\": %" G_GINT64_FORMAT
                           ", \"microseconds\": %" G_GINT64_FORMAT "}, "
                           "\"event\": ",
                           now / G_USEC_PER_SEC, now % G_USEC_PER_SEC);
    qmp_append_string(out, name);
    if (data_json) {
        g_string_append_printf(out, ", \"data\": %s", data_json);
    }
    g_string_append_c(out, '}');
    qmp_send(mon, out);
}

/* ---- commands ---- */

bool qmp_no_args(JsonObject *args, const char **errclass, char **errdesc)
{
    GList *members;

    if (!args || json_object_get_size(args) == 0) {
        return true;
    }
    members = json_object_get_members(args);
    *errclass = "GenericError";
    *errdesc = g_strdup_printf("Parameter '%s' is unexpected",
                               (const char *)members->data);
    g_list_free(members);
    return false;
}

static char *qmp_cmd_capabilities(QmpMonitor *mon, JsonObject *args,
                                  const char **errclass, char **errdesc)
{
    GList *members = args ? json_object_get_members(args) : NULL;
    char *ret = NULL;

    *errclass = "GenericError";
    for (GList *l = members; l; l = l->next) {
        if (strcmp(l->data, "enable") != 0) {
            *errdesc = g_strdup_printf("Parameter '%s' is unexpected",
                                       (const char *)l->data);
            goto out;
        }
    }
    if (args && json_object_has_member(args, "enable")) {
        JsonNode *en = json_object_get_member(args, "enable");

        if (!JSON_NODE_HOLDS_ARRAY(en)) {
            *errdesc = g_strdup("Invalid parameter type for 'enable', "
                                "expected: array");
            goto out;
        }
        if (json_array_get_length(json_node_get_array(en)) > 0) {
            /* emunet offers no capability (no out-of-band execution). */
            *errdesc = g_strdup("This monitor does not support "
                                "Out-Of-Band (OOB)");
            goto out;
        }
    }
    mon->negotiated = true;
    ret = g_strdup("{}");
out:
    g_list_free(members);
    return ret;
}

static char *qmp_cmd_query_status(QmpMonitor *mon, JsonObject *args,
                                  const char **errclass, char **errdesc)
{
    if (!qmp_no_args(args, errclass, errdesc)) {
        return NULL;
    }
    switch (qmp_runstate) {
    case QMP_RUN_PRELAUNCH:
        return g_strdup("{\"status\": \"prelaunch\", \"singlestep\": "
                        "false, \"running\": false}");
    case QMP_RUN_PAUSED:
        return g_strdup("{\"status\": \"paused\", \"singlestep\": false, "
                        "\"running\": false}");
    case QMP_RUN_RUNNING:
        break;
    }
    return g_strdup("{\"status\": \"running\", \"singlestep\": false, "
                    "\"running\": true}");
}

/*
 * cont/stop: idempotent, as QEMU's. Without a companion emunet emits
 * RESUME/STOP itself; with one, the companion's events are relayed.
 */
static void qmp_change_runstate(QmpMonitor *mon, bool running)
{
    bool was = qmp_runstate == QMP_RUN_RUNNING;

    qmp_set_runstate(running ? QMP_RUN_RUNNING : QMP_RUN_PAUSED);
    if (was == running) {
        return;
    }
    /* busy: the companion did it (forward_done), its event is relayed. */
    if (!mon->busy) {
        qmp_broadcast_event(running ? "RESUME" : "STOP", NULL);
    }
}

static char *qmp_cmd_cont(QmpMonitor *mon, JsonObject *args,
                          const char **errclass, char **errdesc)
{
    if (!qmp_no_args(args, errclass, errdesc)) {
        return NULL;
    }
    qmp_change_runstate(mon, true);
    return g_strdup("{}");
}

static char *qmp_cmd_stop(QmpMonitor *mon, JsonObject *args,
                          const char **errclass, char **errdesc)
{
    if (!qmp_no_args(args, errclass, errdesc)) {
        return NULL;
    }
    qmp_change_runstate(mon, false);
    return g_strdup("{}");
}

/* Tests only (EMUNET_TEST_HOOKS=1): prove the sandbox kills; depriv.h. */
static char *qmp_cmd_test_forbidden(QmpMonitor *mon, JsonObject *args,
                                    const char **errclass, char **errdesc)
{
    JsonNode *sc = args ? json_object_get_member(args, "syscall") : NULL;
    int r, err_no = 0;

    *errclass = "GenericError";
    if (!sc || !JSON_NODE_HOLDS_VALUE(sc) ||
        json_node_get_value_type(sc) != G_TYPE_STRING) {
        *errdesc = g_strdup("Parameter 'syscall' is missing");
        return NULL;
    }
    r = depriv_test_forbidden_syscall(json_node_get_string(sc), &err_no);
    if (r == -2) {
        *errdesc = g_strdup("unknown syscall (execve, unshare, setuid)");
        return NULL;
    }
    return g_strdup_printf("{\"result\": %d, \"errno\": %d}", r, err_no);
}

static bool qmp_test_hooks(void)
{
    const char *v = getenv("EMUNET_TEST_HOOKS");

    return v && strcmp(v, "1") == 0;
}

static char *qmp_cmd_query_version(QmpMonitor *mon, JsonObject *args,
                                   const char **errclass, char **errdesc)
{
    if (!qmp_no_args(args, errclass, errdesc)) {
        return NULL;
    }
    return g_strdup(qmp_version());
}

static char *qmp_cmd_query_commands(QmpMonitor *mon, JsonObject *args,
                                    const char **errclass, char **errdesc);

static char *qmp_cmd_system_reset(QmpMonitor *mon, JsonObject *args,
                                  const char **errclass, char **errdesc)
{
    if (!qmp_no_args(args, errclass, errdesc)) {
        return NULL;
    }
    return g_strdup("{}");
}

static char *qmp_cmd_quit(QmpMonitor *mon, JsonObject *args,
                          const char **errclass, char **errdesc)
{
    if (!qmp_no_args(args, errclass, errdesc)) {
        return NULL;
    }
    return g_strdup("{}");
}

static const QmpCmd qmp_cmds[] = {
    {"qmp_capabilities", qmp_cmd_capabilities},
    {"query-status", qmp_cmd_query_status},
    {"query-version", qmp_cmd_query_version},
    {"query-commands", qmp_cmd_query_commands},
    {"system_reset", qmp_cmd_system_reset},
    {"quit", qmp_cmd_quit},
    {"cont", qmp_cmd_cont},
    {"stop", qmp_cmd_stop},
};

/* Only with EMUNET_TEST_HOOKS=1; listed last. */
static const QmpCmd qmp_test_cmd = {"x-test-forbidden-syscall",
                                    qmp_cmd_test_forbidden};

/* Command `i` of every table, in query-commands order; NULL past the end. */
static const QmpCmd *qmp_cmd_at(size_t i)
{
    if (i < G_N_ELEMENTS(qmp_cmds)) {
        return &qmp_cmds[i];
    }
    i -= G_N_ELEMENTS(qmp_cmds);
    if (i < qmp_libxl_n_cmds) {
        return &qmp_libxl_cmds[i];
    }
    return i == qmp_libxl_n_cmds && qmp_test_hooks() ? &qmp_test_cmd : NULL;
}

static char *qmp_cmd_query_commands(QmpMonitor *mon, JsonObject *args,
                                    const char **errclass, char **errdesc)
{
    const QmpCmd *c;
    GString *out;

    if (!qmp_no_args(args, errclass, errdesc)) {
        return NULL;
    }
    out = g_string_new("[");
    for (size_t i = 0; (c = qmp_cmd_at(i)); i++) {
        g_string_append_printf(out, "%s{\"name\": \"%s\"}", i ? ", " : "",
                               c->name);
    }
    g_string_append_c(out, ']');
    return g_string_free(out, FALSE);
}

/* ---- dispatch ---- */

const QmpCmd *qmp_find_cmd(const char *name)
{
    const QmpCmd *c;

    for (size_t i = 0; (c = qmp_cmd_at(i)); i++) {
        if (strcmp(c->name, name) == 0) {
            return c;
        }
    }
    return NULL;
}

void qmp_after_reply(QmpMonitor *mon, const char *name)
{
    if (strcmp(name, "system_reset") == 0 && mon->ops->system_reset) {
        mon->ops->system_reset(mon->opaque);
    } else if (strcmp(name, "quit") == 0) {
        mon->quitting = true;
        if (mon->ops->quit) {
            mon->ops->quit(mon->opaque);
        }
    }
}

static void qmp_dispatch(QmpMonitor *mon, JsonObject *obj, const char *text,
                         size_t len)
{
    JsonNode *id = json_object_get_member(obj, "id");
    JsonNode *exec = json_object_get_member(obj, "execute");
    JsonNode *argnode = json_object_get_member(obj, "arguments");
    JsonObject *args = NULL;
    GList *members = json_object_get_members(obj);
    const char *name;
    const char *errclass = "GenericError";
    const QmpCmd *cmd;
    QmpOwner owner;
    char *errdesc = NULL;
    char *ret;

    for (GList *l = members; l; l = l->next) {
        const char *m = l->data;

        if (strcmp(m, "execute") && strcmp(m, "arguments") && strcmp(m, "id")) {
            errdesc = g_strdup_printf("QMP input member '%s' is unexpected", m);
            break;
        }
    }
    g_list_free(members);
    if (errdesc) {
        goto fail;
    }
    if (!exec) {
        errdesc = g_strdup("QMP input lacks member 'execute'");
        goto fail;
    }
    if (!JSON_NODE_HOLDS_VALUE(exec) ||
        json_node_get_value_type(exec) != G_TYPE_STRING) {
        errdesc = g_strdup("QMP input member 'execute' must be a string");
        goto fail;
    }
    if (argnode) {
        if (!JSON_NODE_HOLDS_OBJECT(argnode)) {
            errdesc = g_strdup("QMP input member 'arguments' must be an "
                               "object");
            goto fail;
        }
        args = json_node_get_object(argnode);
    }
    name = json_node_get_string(exec);
    if (!mon->negotiated && strcmp(name, "qmp_capabilities") != 0) {
        errclass = "CommandNotFound";
        errdesc = g_strdup("Expecting capabilities negotiation with "
                           "'qmp_capabilities'");
        goto fail;
    }
    if (mon->negotiated && strcmp(name, "qmp_capabilities") == 0) {
        errclass = "CommandNotFound";
        errdesc = g_strdup("Capabilities negotiation is already complete, "
                           "command ignored");
        goto fail;
    }
    cmd = qmp_find_cmd(name);
    /* Commands emunet does not know are the companion's. */
    owner = cmd ? qmp_libxl_owner(cmd->name) : QMP_OWN_FALLBACK;
    if ((owner == QMP_OWN_FIRST || owner == QMP_OWN_LAST) &&
        qmp_has_companion(mon)) {
        qmp_relay_first(mon, cmd, obj, args, argnode, id, text, len);
        return;
    }
    if (owner != QMP_OWN_LOCAL &&
        qmp_relay_forward(mon, name, argnode, id, text, len)) {
        return;
    }
    if (cmd) {
        ret = cmd->fn(mon, args, &errclass, &errdesc);
        /* Unused descriptors are gone before the client hears back. */
        qmp_fds_close(&mon->cmd_fds);
        if (!ret) {
            goto fail;
        }
        log_trace(LOG_QMP, "command %s", name);
        qmp_send_return(mon, ret, id);
        g_free(ret);
        qmp_after_reply(mon, name);
        return;
    }
    errclass = "CommandNotFound";
    errdesc = g_strdup_printf("The command %s has not been found", name);
fail:
    qmp_fds_close(&mon->cmd_fds);
    qmp_send_error(mon, errclass, errdesc, id);
    g_free(errdesc);
}

/* One complete object; `fds` (taken) are the descriptors it came with. */
static void qmp_handle_text(QmpMonitor *mon, const char *text, size_t len,
                            GArray *fds)
{
    JsonParser *parser;
    GError *err = NULL;
    JsonNode *root;

    if (mon->busy) {
        /* One command at a time: this one waits for the companion. */
        if (g_queue_get_length(&mon->queued) >= QMP_MAX_QUEUED) {
            qmp_fds_close(&fds);
            qmp_send_error(mon, "GenericError",
                           "too many commands waiting for the companion "
                           "device model",
                           NULL);
        } else {
            QmpQueued *q = g_new0(QmpQueued, 1);

            q->text = g_string_new_len(text, (gssize)len);
            q->fds = fds;
            g_queue_push_tail(&mon->queued, q);
        }
        return;
    }
    mon->cmd_fds = fds;
    parser = json_parser_new_immutable();

    if (!json_parser_load_from_data(parser, text, (gssize)len, &err)) {
        char *desc = g_strdup_printf("JSON parse error, %s", err->message);

        qmp_fds_close(&mon->cmd_fds);
        qmp_send_error(mon, "GenericError", desc, NULL);
        g_free(desc);
        g_error_free(err);
    } else {
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
            qmp_fds_close(&mon->cmd_fds);
            qmp_send_error(mon, "GenericError",
                           "QMP input must be a JSON object", NULL);
        } else {
            qmp_dispatch(mon, json_node_get_object(root), text, len);
        }
    }
    g_object_unref(parser);
    /* Descriptors the command did not use are not kept. */
    qmp_fds_close(&mon->cmd_fds);
}

static void qmp_queued_free(QmpQueued *q)
{
    qmp_fds_close(&q->fds);
    g_string_free(q->text, TRUE);
    g_free(q);
}

static void qmp_reset_stream(QmpMonitor *mon)
{
    g_string_truncate(mon->buf, 0);
    mon->depth = 0;
    mon->in_string = false;
    mon->escape = false;
    mon->skipping = false;
    qmp_fds_close(&mon->obj_fds);
}

/* Text outside any object or array: report it as QEMU's lexer would. */
static void qmp_flush_junk(QmpMonitor *mon)
{
    if (mon->buf->len > 0) {
        qmp_handle_text(mon, mon->buf->str, mon->buf->len, NULL);
        g_string_truncate(mon->buf, 0);
    }
}

static void qmp_feed(QmpMonitor *mon, char c)
{
    if (mon->depth == 0) {
        if (c == '{' || c == '[') {
            qmp_flush_junk(mon);
            /* A new object: the descriptors waiting for it are its. */
            qmp_fds_move(&mon->obj_fds, &mon->next_fds);
        } else if (g_ascii_isspace(c)) {
            qmp_flush_junk(mon);
            return;
        } else {
            if (mon->buf->len < QMP_MAX_TEXT) {
                g_string_append_c(mon->buf, c);
            }
            return;
        }
    }
    if (!mon->skipping) {
        g_string_append_c(mon->buf, c);
    }
    if (mon->in_string) {
        if (mon->escape) {
            mon->escape = false;
        } else if (c == '\\') {
            mon->escape = true;
        } else if (c == '"') {
            mon->in_string = false;
        }
        return;
    }
    if (c == '"') {
        mon->in_string = true;
    } else if (c == '{' || c == '[') {
        mon->depth++;
    } else if (c == '}' || c == ']') {
        mon->depth--;
    }
    if (mon->depth == 0) {
        if (mon->skipping) {
            qmp_send_error(mon, "GenericError",
                           "JSON parse error, input too large", NULL);
        } else {
            qmp_handle_text(mon, mon->buf->str, mon->buf->len,
                            g_steal_pointer(&mon->obj_fds));
        }
        qmp_reset_stream(mon);
    } else if (!mon->skipping &&
               (mon->buf->len > QMP_MAX_TEXT || mon->depth > QMP_MAX_NESTING)) {
        mon->skipping = true;
        g_string_truncate(mon->buf, 0);
    }
}

/*
 * Where the last top-level object or array of buf starts (qmp_feed's
 * structure, from the current state), or len if none does.
 */
static size_t qmp_last_start(const QmpMonitor *mon, const char *buf, size_t len)
{
    int depth = mon->depth;
    bool in_string = mon->in_string, escape = mon->escape;
    size_t last = len;

    for (size_t i = 0; i < len; i++) {
        char c = buf[i];

        if (depth == 0) {
            if (c == '{' || c == '[') {
                last = i;
                depth = 1;
            }
        } else if (in_string) {
            if (escape) {
                escape = false;
            } else if (c == '\\') {
                escape = true;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return last;
}

/* Descriptors that arrived: kept up to QMP_MAX_FDS held, others closed. */
static GArray *qmp_fds_accept(QmpMonitor *mon, const int *fds, unsigned n)
{
    unsigned held = qmp_fds_held(mon);
    unsigned room = held < QMP_MAX_FDS ? QMP_MAX_FDS - held : 0;
    GArray *a = g_array_new(FALSE, FALSE, sizeof(int));

    for (unsigned i = 0; i < n; i++) {
        if (i < room) {
            g_array_append_val(a, fds[i]);
        } else {
            close(fds[i]);
        }
    }
    if (n > room) {
        log_error("%s: more than %u file descriptors waiting; %u closed",
                  chardev_id(mon->chr), QMP_MAX_FDS, n - room);
    }
    if (a->len == 0) {
        g_array_free(a, TRUE);
        return NULL;
    }
    return a;
}

static void qmp_chr_read(void *opaque, const char *buf, size_t len)
{
    QmpMonitor *mon = opaque;
    int fds[CHARDEV_MAX_FDS];
    unsigned n = chardev_take_fds(mon->chr, fds, G_N_ELEMENTS(fds));
    GArray *got = n ? qmp_fds_accept(mon, fds, n) : NULL;
    /* The byte the descriptors were sent with (see the file comment). */
    size_t owner = got ? qmp_last_start(mon, buf, len) : len;

    if (got && owner == len) {
        qmp_fds_move(mon->depth > 0 ? &mon->obj_fds : &mon->next_fds, &got);
    }
    for (size_t i = 0; i < len && !mon->quitting; i++) {
        if (i == owner) {
            qmp_fds_move(&mon->next_fds, &got);
        }
        qmp_feed(mon, buf[i]);
    }
    qmp_fds_close(&got);
}

/* No forwarded command pending any more; waiting input is dropped. */
static void qmp_clear_forward(QmpMonitor *mon, bool drop_queued)
{
    QmpQueued *q;

    qmp_relay_clear(mon);
    while (drop_queued && (q = g_queue_pop_head(&mon->queued))) {
        qmp_queued_free(q);
    }
}

void qmp_drain(QmpMonitor *mon)
{
    QmpQueued *q;

    while (!mon->busy && !mon->quitting &&
           (q = g_queue_pop_head(&mon->queued))) {
        qmp_handle_text(mon, q->text->str, q->text->len,
                        g_steal_pointer(&q->fds));
        qmp_queued_free(q);
    }
}

void qmp_broadcast_event(const char *name, const char *data_json)
{
    for (GList *l = qmp_monitors; l; l = l->next) {
        qmp_monitor_event(l->data, name, data_json);
    }
}

void qmp_broadcast_raw(const char *text, size_t len)
{
    for (GList *l = qmp_monitors; l; l = l->next) {
        QmpMonitor *mon = l->data;

        if (mon->negotiated && chardev_connected(mon->chr)) {
            qmp_send(mon, g_string_new_len(text, (gssize)len));
        }
    }
}

void qmp_monitor_set_crlf(QmpMonitor *mon, bool crlf)
{
    mon->crlf = crlf;
}

/*
 * As QEMU: fd sets go once the guest runs and no client is connected
 * (a suspend that was cancelled, a checkpoint taken).
 */
static void qmp_maybe_cleanup_fdsets(void)
{
    if (qmp_runstate != QMP_RUN_RUNNING) {
        return;
    }
    for (GList *l = qmp_monitors; l; l = l->next) {
        if (chardev_connected(((QmpMonitor *)l->data)->chr)) {
            return;
        }
    }
    qmp_fdsets_cleanup();
}

static void qmp_chr_event(void *opaque, ChardevEvent event)
{
    QmpMonitor *mon = opaque;
    GString *out;

    qmp_reset_stream(mon);
    qmp_fds_close(&mon->next_fds);
    mon->negotiated = false;
    /* A reply still due from the companion belongs to the old client. */
    mon->session++;
    qmp_clear_forward(mon, true);
    if (event == CHARDEV_OPENED) {
        out = g_string_new(NULL);
        g_string_append_printf(out,
                               "{\"QMP\": {\"version\": %s, "
                               "\"capabilities\": []}}",
                               qmp_version());
        qmp_send(mon, out);
    } else {
        qmp_maybe_cleanup_fdsets();
    }
}

QmpMonitor *qmp_monitor_new(Chardev *chr, const QmpOps *ops, void *opaque)
{
    QmpMonitor *mon = g_new0(QmpMonitor, 1);

    mon->chr = chr;
    mon->ops = ops;
    mon->opaque = opaque;
    mon->buf = g_string_new(NULL);
    mon->fwd_private_fdset = -1;
    mon->fwd_own_fd = -1;
    g_queue_init(&mon->queued);
    chardev_set_handlers(chr, qmp_chr_read, qmp_chr_event, mon);
    qmp_monitors = g_list_append(qmp_monitors, mon);
    return mon;
}

void qmp_monitor_free(QmpMonitor *mon)
{
    if (!mon) {
        return;
    }
    qmp_monitors = g_list_remove(qmp_monitors, mon);
    chardev_set_handlers(mon->chr, NULL, NULL, NULL);
    qmp_clear_forward(mon, true);
    qmp_reset_stream(mon);
    qmp_fds_close(&mon->next_fds);
    g_string_free(mon->buf, TRUE);
    g_free(mon);
    if (!qmp_monitors) {
        /* The last one: nobody can use the fd sets any more. */
        qmp_fdsets_cleanup();
    }
}
