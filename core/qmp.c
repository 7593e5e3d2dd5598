/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP monitor; see qmp.h. Input framing follows JSON structure (braces
 * and brackets outside strings), so objects may span lines or share one,
 * like QEMU's json-streamer; each complete object is parsed with
 * json-glib. Replies are written by hand in QEMU's spacing
 * ({"return": {}}) so transcripts look like QEMU's.
 * Error classes and messages are QEMU 7.2's (qapi/qmp-dispatch.c,
 * monitor/qmp.c).
 */
#include <json-glib/json-glib.h>
#include <string.h>

#include "core/qmp.h"
#include "emunet/log.h"

/* Largest JSON text and deepest nesting accepted (QEMU: 64 MiB, 1024). */
#define QMP_MAX_TEXT (1024u * 1024)
#define QMP_MAX_NESTING 1024

#define QMP_VERSION_JSON                                                       \
    "{\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "                  \
    "\"package\": \"emunet " EMUNET_VERSION "\"}"

struct QmpMonitor {
    Chardev *chr;
    const QmpOps *ops;
    void *opaque;
    bool negotiated;
    bool quitting;
    /* Streaming state. */
    GString *buf;
    int depth;
    bool in_string;
    bool escape;
    /* Over-long text: follow its structure without storing it. */
    bool skipping;
};

typedef struct QmpCmd {
    const char *name;
    /* Returns the "return" JSON text (owned), or NULL with *errclass and
     * *errdesc (owned) set. */
    char *(*fn)(QmpMonitor *mon, JsonObject *args, const char **errclass,
                char **errdesc);
} QmpCmd;

static void qmp_append_string(GString *out, const char *s)
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

static void qmp_send(QmpMonitor *mon, GString *out)
{
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

static void qmp_send_error(QmpMonitor *mon, const char *cls, const char *desc,
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

/* Commands without parameters refuse any argument, as QEMU does. */
static bool qmp_no_args(JsonObject *args, const char **errclass, char **errdesc)
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
    return g_strdup("{\"status\": \"running\", \"singlestep\": false, "
                    "\"running\": true}");
}

static char *qmp_cmd_query_version(QmpMonitor *mon, JsonObject *args,
                                   const char **errclass, char **errdesc)
{
    if (!qmp_no_args(args, errclass, errdesc)) {
        return NULL;
    }
    return g_strdup(QMP_VERSION_JSON);
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
};

static char *qmp_cmd_query_commands(QmpMonitor *mon, JsonObject *args,
                                    const char **errclass, char **errdesc)
{
    GString *out;

    if (!qmp_no_args(args, errclass, errdesc)) {
        return NULL;
    }
    out = g_string_new("[");
    for (size_t i = 0; i < G_N_ELEMENTS(qmp_cmds); i++) {
        g_string_append_printf(out, "%s{\"name\": \"%s\"}", i ? ", " : "",
                               qmp_cmds[i].name);
    }
    g_string_append_c(out, ']');
    return g_string_free(out, FALSE);
}

/* ---- dispatch ---- */

static void qmp_dispatch(QmpMonitor *mon, JsonObject *obj)
{
    JsonNode *id = json_object_get_member(obj, "id");
    JsonNode *exec = json_object_get_member(obj, "execute");
    JsonNode *argnode = json_object_get_member(obj, "arguments");
    JsonObject *args = NULL;
    GList *members = json_object_get_members(obj);
    const char *name;
    const char *errclass = "GenericError";
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
    for (size_t i = 0; i < G_N_ELEMENTS(qmp_cmds); i++) {
        if (strcmp(qmp_cmds[i].name, name) != 0) {
            continue;
        }
        ret = qmp_cmds[i].fn(mon, args, &errclass, &errdesc);
        if (!ret) {
            goto fail;
        }
        log_trace(LOG_QMP, "command %s", name);
        qmp_send_return(mon, ret, id);
        g_free(ret);
        if (strcmp(name, "system_reset") == 0 && mon->ops->system_reset) {
            mon->ops->system_reset(mon->opaque);
        } else if (strcmp(name, "quit") == 0) {
            mon->quitting = true;
            if (mon->ops->quit) {
                mon->ops->quit(mon->opaque);
            }
        }
        return;
    }
    errclass = "CommandNotFound";
    errdesc = g_strdup_printf("The command %s has not been found", name);
fail:
    qmp_send_error(mon, errclass, errdesc, id);
    g_free(errdesc);
}

static void qmp_handle_text(QmpMonitor *mon, const char *text, size_t len)
{
    JsonParser *parser = json_parser_new_immutable();
    GError *err = NULL;
    JsonNode *root;

    if (!json_parser_load_from_data(parser, text, (gssize)len, &err)) {
        char *desc = g_strdup_printf("JSON parse error, %s", err->message);

        qmp_send_error(mon, "GenericError", desc, NULL);
        g_free(desc);
        g_error_free(err);
    } else {
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
            qmp_send_error(mon, "GenericError",
                           "QMP input must be a JSON object", NULL);
        } else {
            qmp_dispatch(mon, json_node_get_object(root));
        }
    }
    g_object_unref(parser);
}

static void qmp_reset_stream(QmpMonitor *mon)
{
    g_string_truncate(mon->buf, 0);
    mon->depth = 0;
    mon->in_string = false;
    mon->escape = false;
    mon->skipping = false;
}

/* Text outside any object or array: report it as QEMU's lexer would. */
static void qmp_flush_junk(QmpMonitor *mon)
{
    if (mon->buf->len > 0) {
        qmp_handle_text(mon, mon->buf->str, mon->buf->len);
        g_string_truncate(mon->buf, 0);
    }
}

static void qmp_feed(QmpMonitor *mon, char c)
{
    if (mon->depth == 0) {
        if (c == '{' || c == '[') {
            qmp_flush_junk(mon);
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
            qmp_handle_text(mon, mon->buf->str, mon->buf->len);
        }
        qmp_reset_stream(mon);
    } else if (!mon->skipping &&
               (mon->buf->len > QMP_MAX_TEXT || mon->depth > QMP_MAX_NESTING)) {
        mon->skipping = true;
        g_string_truncate(mon->buf, 0);
    }
}

static void qmp_chr_read(void *opaque, const char *buf, size_t len)
{
    QmpMonitor *mon = opaque;

    for (size_t i = 0; i < len && !mon->quitting; i++) {
        qmp_feed(mon, buf[i]);
    }
}

static void qmp_chr_event(void *opaque, ChardevEvent event)
{
    QmpMonitor *mon = opaque;

    qmp_reset_stream(mon);
    mon->negotiated = false;
    if (event == CHARDEV_OPENED) {
        chardev_printf(mon->chr, "{\"QMP\": {\"version\": " QMP_VERSION_JSON
                                 ", \"capabilities\": []}}\n");
    }
}

QmpMonitor *qmp_monitor_new(Chardev *chr, const QmpOps *ops, void *opaque)
{
    QmpMonitor *mon = g_new0(QmpMonitor, 1);

    mon->chr = chr;
    mon->ops = ops;
    mon->opaque = opaque;
    mon->buf = g_string_new(NULL);
    chardev_set_handlers(chr, qmp_chr_read, qmp_chr_event, mon);
    return mon;
}

void qmp_monitor_free(QmpMonitor *mon)
{
    if (!mon) {
        return;
    }
    chardev_set_handlers(mon->chr, NULL, NULL, NULL);
    g_string_free(mon->buf, TRUE);
    g_free(mon);
}
