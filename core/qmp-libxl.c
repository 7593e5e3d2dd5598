/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxl mode's side of QMP (xen-dm-contract.md §1.7, §1.8; see qmp.h):
 * the commands of libxl's device-model contract, which of them a
 * companion device model answers, the fd sets of add-fd, and the relay
 * of commands (and their descriptors) to the companion. Error texts are
 * QEMU 7.2's (monitor/misc.c, monitor/fds.c, qapi).
 *
 * Device state with a companion (xen-save-devices-state,
 * xen-load-devices-state, -incoming): libxl hands over one file, so
 * emunet and the companion share it. Layout (include/emunet/devstate.h):
 *   offset 0    the companion's own state, unchanged (QEMU's device
 *               state stream, up to its QEMU_VM_EOF);
 *   after it    emunet's blob ("EMUNETDS" header with its payload
 *               length, sections, CRC);
 *   last 24     emunet's file trailer (CRC-32, blob length, version,
 *               "EMUNETTR"), which locates the blob from the end.
 * The companion's part must come first. QEMU opens "/dev/fdset/N" with
 * O_WRONLY|O_CREAT|O_TRUNC for xen-save-devices-state and applies
 * O_TRUNC to its dup of the shared descriptor with ftruncate(fd, 0)
 * (qemu_dup_flags), so anything written before would be erased; it
 * then writes from the shared offset. On load it reads its stream from
 * the shared offset (0: libxl opened the file) and ignores what follows
 * its QEMU_VM_EOF (libxl sets suppress-vmdesc=on). So a save goes to
 * the companion first (QMP_OWN_LAST); only when it answered success
 * does emunet append its blob and trailer at the end of the file (pwrite
 * at its size), and the client hears back after both parts, or gets one
 * error. A load is emunet's part first (QMP_OWN_FIRST: a bad file is
 * refused before the companion reads it), read with pread from the
 * trailer only, so the shared offset stays where the companion's stream
 * starts; -incoming fd:N likewise (core/main.c). Without a companion the
 * file is the blob and trailer alone, and one reader serves both. A
 * plain filename is opened by emunet, and the companion gets that
 * descriptor as a private fd set (add-fd, the command with filename
 * "/dev/fdset/K", remove-fd).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/qmp-int.h"
#include "emunet/log.h"

/* Descriptors all fd sets hold together. */
#define QMP_MAX_FDSET_FDS 64
/* Private fd sets handed to the companion count up from here. */
#define QMP_PRIVATE_FDSET_BASE 1000000000

/* Commands that are not emunet's alone when there is a companion. */
static const struct {
    const char *name;
    QmpOwner owner;
} qmp_owners[] = {
    {"query-version", QMP_OWN_FALLBACK},
    {"query-commands", QMP_OWN_FALLBACK},
    {"system_reset", QMP_OWN_BOTH},
    {"cont", QMP_OWN_BOTH},
    {"stop", QMP_OWN_BOTH},
    {"query-chardev", QMP_OWN_FALLBACK},
    {"query-vnc", QMP_OWN_FALLBACK},
    {"change-vnc-password", QMP_OWN_FALLBACK},
    {"query-cpus-fast", QMP_OWN_FALLBACK},
    {"xen-set-global-dirty-log", QMP_OWN_BOTH},
    {"query-block", QMP_OWN_FALLBACK},
    {"query-blockstats", QMP_OWN_FALLBACK},
    /* Both parts of the shared file (see the file comment). */
    {"xen-save-devices-state", QMP_OWN_LAST},
    {"xen-load-devices-state", QMP_OWN_FIRST},
    /* The companion's fd set ids are the ones clients see. */
    {"add-fd", QMP_OWN_BOTH},
    {"remove-fd", QMP_OWN_BOTH},
    {"query-fdsets", QMP_OWN_FALLBACK},
};

QmpOwner qmp_libxl_owner(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(qmp_owners); i++) {
        if (strcmp(qmp_owners[i].name, name) == 0) {
            return qmp_owners[i].owner;
        }
    }
    return QMP_OWN_LOCAL;
}

/* ---- fd sets ---- */

typedef struct QmpFdsetFd {
    gint64 fdset_id;
    /* emunet's descriptor. */
    int fd;
    /* The "fd" clients see: emunet's, or the companion's number. */
    gint64 number;
    char *opaque;
} QmpFdsetFd;

/* QmpFdsetFd *, ordered by fd set id, then by addition. */
static GPtrArray *qmp_fdset_fds;
static gint64 qmp_next_private_fdset = QMP_PRIVATE_FDSET_BASE;

static void qmp_fdset_fd_free(gpointer data)
{
    QmpFdsetFd *f = data;

    close(f->fd);
    g_free(f->opaque);
    g_free(f);
}

static GPtrArray *qmp_fdsets(void)
{
    if (!qmp_fdset_fds) {
        qmp_fdset_fds = g_ptr_array_new_with_free_func(qmp_fdset_fd_free);
    }
    return qmp_fdset_fds;
}

static bool qmp_fdset_exists(gint64 id)
{
    GPtrArray *a = qmp_fdsets();

    for (guint i = 0; i < a->len; i++) {
        if (((QmpFdsetFd *)g_ptr_array_index(a, i))->fdset_id == id) {
            return true;
        }
    }
    return false;
}

/* QEMU's choice without fdset-id: the lowest id not in use. */
static gint64 qmp_fdset_free_id(void)
{
    gint64 id = 0;

    while (qmp_fdset_exists(id)) {
        id++;
    }
    return id;
}

static void qmp_fdset_add(gint64 id, int fd, gint64 number, const char *opaque)
{
    GPtrArray *a = qmp_fdsets();
    QmpFdsetFd *f = g_new0(QmpFdsetFd, 1);
    guint pos = 0;

    f->fdset_id = id;
    f->fd = fd;
    f->number = number;
    f->opaque = g_strdup(opaque);
    while (pos < a->len &&
           ((QmpFdsetFd *)g_ptr_array_index(a, pos))->fdset_id <= id) {
        pos++;
    }
    g_ptr_array_insert(a, (gint)pos, f);
}

void qmp_fdsets_cleanup(void)
{
    if (qmp_fdset_fds && qmp_fdset_fds->len > 0) {
        log_trace(LOG_QMP, "closing %u fd set descriptors", qmp_fdset_fds->len);
        g_ptr_array_set_size(qmp_fdset_fds, 0);
    }
}

/* "/dev/fdset/N": an fd set descriptor open for reading or writing. */
static int qmp_fdset_lookup(const char *filename, bool write, char **errdesc)
{
    const char *num = filename + strlen("/dev/fdset/");
    int want = write ? O_WRONLY : O_RDONLY;
    GPtrArray *a = qmp_fdsets();
    bool found = false;
    gint64 id;

    if (!g_ascii_string_to_signed(num, 10, 0, G_MAXINT64, &id, NULL)) {
        *errdesc = g_strdup_printf("%s: not a valid fd set name", filename);
        return -1;
    }
    for (guint i = 0; i < a->len; i++) {
        QmpFdsetFd *f = g_ptr_array_index(a, i);
        int fl;

        if (f->fdset_id != id) {
            continue;
        }
        found = true;
        fl = fcntl(f->fd, F_GETFL);
        if (fl >= 0 &&
            ((fl & O_ACCMODE) == want || (fl & O_ACCMODE) == O_RDWR)) {
            return f->fd;
        }
    }
    *errdesc =
        found ? g_strdup_printf("%s: no descriptor in fd set %" G_GINT64_FORMAT
                                " is open for %s",
                                filename, id, write ? "writing" : "reading")
              : g_strdup_printf("%s: fd set %" G_GINT64_FORMAT
                                " does not exist (add-fd first)",
                                filename, id);
    return -1;
}

/* An optional integer argument; false with *errdesc on a wrong type. */
static bool qmp_opt_int(JsonObject *args, const char *name, bool *has,
                        gint64 *v, char **errdesc)
{
    JsonNode *n = args ? json_object_get_member(args, name) : NULL;

    *has = n != NULL;
    if (!n) {
        return true;
    }
    if (!JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_INT64) {
        *errdesc = g_strdup_printf("Invalid parameter type for '%s', "
                                   "expected: integer",
                                   name);
        return false;
    }
    *v = json_node_get_int(n);
    return true;
}

/* Every argument must be one of `known` (NULL-terminated). */
static bool qmp_known_args(JsonObject *args, const char *const *known,
                           char **errdesc)
{
    g_autoptr(GList) members = args ? json_object_get_members(args) : NULL;

    for (GList *l = members; l; l = l->next) {
        bool ok = false;

        for (size_t i = 0; known[i]; i++) {
            ok = ok || strcmp(l->data, known[i]) == 0;
        }
        if (!ok) {
            *errdesc = g_strdup_printf("Parameter '%s' is unexpected",
                                       (const char *)l->data);
            return false;
        }
    }
    return true;
}

/*
 * add-fd {fdset-id?, opaque?} with a descriptor (SCM_RIGHTS). With a
 * companion this runs after it answered: emunet keeps its copy under
 * the companion's ids.
 */
static char *qmp_cmd_add_fd(QmpMonitor *mon, JsonObject *args,
                            const char **errclass, char **errdesc)
{
    static const char *const known[] = {"fdset-id", "opaque", NULL};
    JsonNode *op = args ? json_object_get_member(args, "opaque") : NULL;
    const char *opaque = NULL;
    gint64 id = 0, number;
    bool has_id;
    int fd;

    *errclass = "GenericError";
    if (!qmp_known_args(args, known, errdesc) ||
        !qmp_opt_int(args, "fdset-id", &has_id, &id, errdesc)) {
        return NULL;
    }
    if (op) {
        if (!JSON_NODE_HOLDS_VALUE(op) ||
            json_node_get_value_type(op) != G_TYPE_STRING) {
            *errdesc = g_strdup("Invalid parameter type for 'opaque', "
                                "expected: string");
            return NULL;
        }
        opaque = json_node_get_string(op);
    }
    fd = qmp_take_fd(mon);
    if (fd < 0) {
        *errdesc = g_strdup("No file descriptor supplied via SCM_RIGHTS");
        return NULL;
    }
    if (mon->fwd_reply) {
        /* The companion's ids, which the client now knows. */
        JsonObject *r = JSON_NODE_HOLDS_OBJECT(mon->fwd_reply)
                            ? json_node_get_object(mon->fwd_reply)
                            : NULL;

        if (!r || !json_object_has_member(r, "fdset-id") ||
            !json_object_has_member(r, "fd")) {
            close(fd);
            *errdesc = g_strdup("the companion's add-fd reply has no "
                                "fdset-id and fd");
            return NULL;
        }
        id = json_object_get_int_member(r, "fdset-id");
        number = json_object_get_int_member(r, "fd");
    } else {
        if (has_id && id < 0) {
            close(fd);
            *errdesc = g_strdup("Parameter 'fdset-id' expects a "
                                "non-negative value");
            return NULL;
        }
        if (!has_id) {
            id = qmp_fdset_free_id();
        }
        number = fd;
    }
    if (qmp_fdsets()->len >= QMP_MAX_FDSET_FDS) {
        close(fd);
        *errdesc = g_strdup_printf("too many descriptors in fd sets (%u)",
                                   QMP_MAX_FDSET_FDS);
        return NULL;
    }
    qmp_fdset_add(id, fd, number, opaque);
    log_trace(LOG_QMP, "fd set %" G_GINT64_FORMAT ": descriptor %d added", id,
              fd);
    return g_strdup_printf("{\"fdset-id\": %" G_GINT64_FORMAT
                           ", \"fd\": %" G_GINT64_FORMAT "}",
                           id, number);
}

/* remove-fd {fdset-id, fd?}: the descriptor(s) are closed. */
static char *qmp_cmd_remove_fd(QmpMonitor *mon, JsonObject *args,
                               const char **errclass, char **errdesc)
{
    static const char *const known[] = {"fdset-id", "fd", NULL};
    GPtrArray *a = qmp_fdsets();
    gint64 id = 0, number = 0;
    bool has_id, has_fd;
    unsigned removed = 0;

    *errclass = "GenericError";
    if (!qmp_known_args(args, known, errdesc) ||
        !qmp_opt_int(args, "fdset-id", &has_id, &id, errdesc) ||
        !qmp_opt_int(args, "fd", &has_fd, &number, errdesc)) {
        return NULL;
    }
    if (!has_id) {
        *errdesc = g_strdup("Parameter 'fdset-id' is missing");
        return NULL;
    }
    for (guint i = a->len; i-- > 0;) {
        QmpFdsetFd *f = g_ptr_array_index(a, i);

        if (f->fdset_id == id && (!has_fd || f->number == number)) {
            g_ptr_array_remove_index(a, i);
            removed++;
        }
    }
    /* With a companion its answer counts; emunet's copy may be gone. */
    if (!removed && !mon->fwd_reply) {
        *errdesc =
            has_fd
                ? g_strdup_printf("File descriptor named "
                                  "'fdset-id:%" G_GINT64_FORMAT
                                  ", fd:%" G_GINT64_FORMAT "' not found",
                                  id, number)
                : g_strdup_printf("File descriptor named "
                                  "'fdset-id:%" G_GINT64_FORMAT "' not found",
                                  id);
        return NULL;
    }
    return g_strdup("{}");
}

static char *qmp_cmd_query_fdsets(QmpMonitor *mon, JsonObject *args,
                                  const char **errclass, char **errdesc)
{
    GPtrArray *a = qmp_fdsets();
    GString *out;

    if (!qmp_no_args(args, errclass, errdesc)) {
        return NULL;
    }
    out = g_string_new("[");
    for (guint i = 0; i < a->len; i++) {
        QmpFdsetFd *f = g_ptr_array_index(a, i);
        bool first =
            i == 0 || ((QmpFdsetFd *)g_ptr_array_index(a, i - 1))->fdset_id !=
                          f->fdset_id;
        bool last = i + 1 == a->len ||
                    ((QmpFdsetFd *)g_ptr_array_index(a, i + 1))->fdset_id !=
                        f->fdset_id;

        if (first) {
            g_string_append_printf(
                out, "%s{\"fdset-id\": %" G_GINT64_FORMAT ", \"fds\": [",
                i ? ", " : "", f->fdset_id);
        }
        g_string_append_printf(out, "%s{\"fd\": %" G_GINT64_FORMAT,
                               first ? "" : ", ", f->number);
        if (f->opaque) {
            g_string_append(out, ", \"opaque\": ");
            qmp_append_string(out, f->opaque);
        }
        g_string_append(out, last ? "}]}" : "}");
    }
    g_string_append_c(out, ']');
    return g_string_free(out, FALSE);
}

/* ---- libxl's start-up, pause and migration commands ---- */

/* Without a companion: emunet's own chardevs (libxl reads serial ptys). */
static char *qmp_cmd_query_chardev(QmpMonitor *mon, JsonObject *args,
                                   const char **errclass, char **errdesc)
{
    GString *out;

    if (!qmp_no_args(args, errclass, errdesc)) {
        return NULL;
    }
    out = g_string_new("[");
    for (GList *l = qmp_monitor_list(); l; l = l->next) {
        QmpMonitor *m = l->data;

        g_string_append_printf(out,
                               "%s{\"frontend-open\": %s, "
                               "\"filename\": ",
                               out->len > 1 ? ", " : "",
                               chardev_connected(m->chr) ? "true" : "false");
        qmp_append_string(out, chardev_describe(m->chr));
        g_string_append(out, ", \"label\": ");
        qmp_append_string(out, chardev_id(m->chr));
        g_string_append_c(out, '}');
    }
    g_string_append_c(out, ']');
    return g_string_free(out, FALSE);
}

/* emunet has no display: VNC is off (libxl then writes no vnc keys). */
static char *qmp_cmd_query_vnc(QmpMonitor *mon, JsonObject *args,
                               const char **errclass, char **errdesc)
{
    if (!qmp_no_args(args, errclass, errdesc)) {
        return NULL;
    }
    return g_strdup("{\"enabled\": false}");
}

static char *qmp_cmd_change_vnc_password(QmpMonitor *mon, JsonObject *args,
                                         const char **errclass, char **errdesc)
{
    JsonNode *pw = args ? json_object_get_member(args, "password") : NULL;

    if (!pw || !JSON_NODE_HOLDS_VALUE(pw) ||
        json_node_get_value_type(pw) != G_TYPE_STRING) {
        *errclass = "GenericError";
        *errdesc = g_strdup("Parameter 'password' is missing");
        return NULL;
    }
    return g_strdup("{}");
}

/* QEMU 7.2's shape for qemu-system-i386 (libxl reads cpu-index). */
static char *qmp_cmd_query_cpus_fast(QmpMonitor *mon, JsonObject *args,
                                     const char **errclass, char **errdesc)
{
    GString *out;

    if (!qmp_no_args(args, errclass, errdesc)) {
        return NULL;
    }
    out = g_string_new("[");
    for (unsigned i = 0; i < qmp_get_cpus(); i++) {
        g_string_append_printf(out,
                               "%s{\"thread-id\": %d, \"props\": "
                               "{\"core-id\": 0, \"thread-id\": 0, "
                               "\"socket-id\": %u}, \"qom-path\": "
                               "\"/machine/unattached/device[%u]\", "
                               "\"cpu-index\": %u, \"target\": \"i386\"}",
                               i ? ", " : "", (int)getpid(), i, i, i);
    }
    g_string_append_c(out, ']');
    return g_string_free(out, FALSE);
}

static char *qmp_cmd_dirty_log(QmpMonitor *mon, JsonObject *args,
                               const char **errclass, char **errdesc)
{
    JsonNode *en = args ? json_object_get_member(args, "enable") : NULL;
    GError *err = NULL;
    bool enable;

    *errclass = "GenericError";
    if (!en || !JSON_NODE_HOLDS_VALUE(en) ||
        json_node_get_value_type(en) != G_TYPE_BOOLEAN) {
        *errdesc = g_strdup(en ? "Invalid parameter type for 'enable', "
                                 "expected: boolean"
                               : "Parameter 'enable' is missing");
        return NULL;
    }
    enable = json_node_get_boolean(en);
    if (mon->ops->set_dirty_log &&
        !mon->ops->set_dirty_log(mon->opaque, enable, &err)) {
        *errdesc = g_strdup(err->message);
        g_error_free(err);
        return NULL;
    }
    return g_strdup("{}");
}

/* libxenstat's queries: emunet has no block devices. */
static char *qmp_cmd_empty_list(QmpMonitor *mon, JsonObject *args,
                                const char **errclass, char **errdesc)
{
    if (!qmp_no_args(args, errclass, errdesc)) {
        return NULL;
    }
    return g_strdup("[]");
}

static char *qmp_cmd_query_emunet(QmpMonitor *mon, JsonObject *args,
                                  const char **errclass, char **errdesc)
{
    if (!qmp_no_args(args, errclass, errdesc)) {
        return NULL;
    }
    return mon->ops->query_emunet ? mon->ops->query_emunet(mon->opaque)
                                  : g_strdup("[]");
}

/* ---- device state ---- */

/*
 * The companion gets `fd` (a file emunet opened) as a private fd set,
 * named in the command it is forwarded instead of the client's filename.
 */
static bool qmp_devices_state_private(QmpMonitor *mon, int fd, char **errdesc)
{
    g_autofree char *args = NULL;
    gint64 id = qmp_next_private_fdset++;

    args = g_strdup_printf("{\"fdset-id\": %" G_GINT64_FORMAT "}", id);
    if (!mon->ops->companion_command ||
        !mon->ops->companion_command(mon->opaque, "add-fd", args, fd)) {
        *errdesc = g_strdup("the companion device model is not answering");
        return false;
    }
    mon->fwd_filename = g_strdup_printf("/dev/fdset/%" G_GINT64_FORMAT, id);
    mon->fwd_private_fdset = id;
    return true;
}

/* The save's after phase: emunet's part after the companion's stream. */
static bool qmp_devices_state_append(QmpMonitor *mon, const char *filename,
                                     char **errdesc)
{
    GError *err = NULL;

    if (mon->fwd_own_fd < 0) {
        *errdesc = g_strdup_printf("%s: emunet's part: no descriptor kept",
                                   filename);
        return false;
    }
    if (!mon->ops->save_devices(mon->opaque, mon->fwd_own_fd, NULL, &err)) {
        *errdesc = g_strdup_printf("%s: emunet's part, after the "
                                   "companion's: %s",
                                   filename, err->message);
        g_error_free(err);
        return false;
    }
    return true;
}

/*
 * The save's before phase: keep a descriptor for emunet's part (fd, an
 * fd set's, is duplicated; a file emunet opened is taken) and let the
 * companion write first.
 */
static bool qmp_devices_state_prepare(QmpMonitor *mon, int fd, bool opened,
                                      char **errdesc)
{
    if (opened && !qmp_devices_state_private(mon, fd, errdesc)) {
        close(fd);
        return false;
    }
    mon->fwd_own_fd = opened ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (mon->fwd_own_fd < 0) {
        *errdesc = g_strdup_printf("cannot duplicate a descriptor: %s",
                                   g_strerror(errno));
        return false;
    }
    return true;
}

/*
 * xen-save-devices-state {"filename", "live"?} and
 * xen-load-devices-state {"filename"} (contract 1.8), in the phases of
 * qmp_relay_first (layout in the file comment). Save: alone, emunet's
 * part into the emptied file; before, only preparation; after, emunet's
 * part appended. Load (QMP_OWN_FIRST): emunet's part, alone or before.
 */
static char *qmp_cmd_devices_state(QmpMonitor *mon, JsonObject *args, bool save,
                                   char **errdesc)
{
    JsonNode *fn = args ? json_object_get_member(args, "filename") : NULL;
    g_autoptr(GList) members = args ? json_object_get_members(args) : NULL;
    const char *filename;
    GError *err = NULL;
    bool companion, opened = false, ok;
    int fd = -1;

    for (GList *l = members; l; l = l->next) {
        if (strcmp(l->data, "filename") != 0 &&
            (!save || strcmp(l->data, "live") != 0)) {
            *errdesc = g_strdup_printf("Parameter '%s' is unexpected",
                                       (const char *)l->data);
            return NULL;
        }
    }
    if (!fn || !JSON_NODE_HOLDS_VALUE(fn) ||
        json_node_get_value_type(fn) != G_TYPE_STRING) {
        *errdesc = g_strdup(fn ? "Invalid parameter type for 'filename', "
                                 "expected: string"
                               : "Parameter 'filename' is missing");
        return NULL;
    }
    filename = json_node_get_string(fn);
    if (!(save ? mon->ops->save_devices : mon->ops->load_devices)) {
        *errdesc = g_strdup("device state is not supported here");
        return NULL;
    }
    if (save && mon->fwd_reply) {
        return qmp_devices_state_append(mon, filename, errdesc)
                   ? g_strdup("{}")
                   : NULL;
    }
    companion = qmp_has_companion(mon);
    if (g_str_has_prefix(filename, "/dev/fdset/")) {
        fd = qmp_fdset_lookup(filename, save, errdesc);
        if (fd < 0) {
            return NULL;
        }
    } else if (companion) {
        fd = open(filename,
                  (save ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY) | O_CLOEXEC,
                  0600);
        if (fd < 0) {
            *errdesc = g_strdup_printf("device state file %s: cannot %s: %s",
                                       filename, save ? "create" : "open",
                                       g_strerror(errno));
            return NULL;
        }
        opened = true;
    }
    if (save && companion) {
        return qmp_devices_state_prepare(mon, fd, opened, errdesc)
                   ? g_strdup("{}")
                   : NULL;
    }
    /* Alone, emunet is the whole device model: as QEMU's O_TRUNC. */
    if (save && fd >= 0 && ftruncate(fd, 0) < 0) {
        *errdesc = g_strdup_printf("%s: cannot truncate (emunet's state "
                                   "needs a regular file): %s",
                                   filename, g_strerror(errno));
        return NULL;
    }
    ok = save ? mon->ops->save_devices(mon->opaque, fd, filename, &err)
              : mon->ops->load_devices(mon->opaque, fd, filename, &err);
    if (!ok && opened) {
        g_prefix_error(&err, "device state file %s: ", filename);
    }
    if (ok && opened) {
        ok = qmp_devices_state_private(mon, fd, errdesc);
    } else if (!ok) {
        *errdesc = g_strdup(err->message);
        g_error_free(err);
    }
    if (opened) {
        close(fd);
    }
    return ok ? g_strdup("{}") : NULL;
}

static char *qmp_cmd_xen_save(QmpMonitor *mon, JsonObject *args,
                              const char **errclass, char **errdesc)
{
    *errclass = "GenericError";
    return qmp_cmd_devices_state(mon, args, true, errdesc);
}

static char *qmp_cmd_xen_load(QmpMonitor *mon, JsonObject *args,
                              const char **errclass, char **errdesc)
{
    *errclass = "GenericError";
    return qmp_cmd_devices_state(mon, args, false, errdesc);
}

/* ---- relay to the companion ---- */

bool qmp_relay_forward(QmpMonitor *mon, const char *name, JsonNode *argnode,
                       JsonNode *id, const char *text, size_t len)
{
    const int *fds = mon->cmd_fds ? (const int *)mon->cmd_fds->data : NULL;

    if (!mon->ops->forward ||
        !mon->ops->forward(mon->opaque, mon, mon->session, text, len, fds,
                           qmp_fds_len(mon->cmd_fds))) {
        return false;
    }
    log_trace(LOG_QMP, "command %s forwarded", name);
    mon->busy = true;
    mon->fwd_name = g_strdup(name);
    mon->fwd_args = argnode ? json_node_copy(argnode) : NULL;
    mon->fwd_id = id ? json_node_copy(id) : NULL;
    /* The companion has copies; ours are for the local effect (add-fd). */
    mon->fwd_fds = g_steal_pointer(&mon->cmd_fds);
    return true;
}

/* The command `obj` with arguments.filename replaced (fwd_filename). */
static char *qmp_rewrite_filename(JsonObject *obj, const char *filename)
{
    JsonObject *args = json_object_get_object_member(obj, "arguments");
    JsonObject *nargs = json_object_new();
    JsonObject *nobj = json_object_new();
    JsonNode *root = json_node_new(JSON_NODE_OBJECT);
    GList *members = json_object_get_members(args);
    char *text;

    for (GList *l = members; l; l = l->next) {
        if (strcmp(l->data, "filename") != 0) {
            json_object_set_member(
                nargs, l->data,
                json_node_copy(json_object_get_member(args, l->data)));
        }
    }
    g_list_free(members);
    json_object_set_string_member(nargs, "filename", filename);
    json_object_set_string_member(
        nobj, "execute", json_object_get_string_member(obj, "execute"));
    json_object_set_object_member(nobj, "arguments", nargs);
    if (json_object_has_member(obj, "id")) {
        json_object_set_member(
            nobj, "id", json_node_copy(json_object_get_member(obj, "id")));
    }
    json_node_take_object(root, nobj);
    text = json_to_string(root, FALSE);
    json_node_unref(root);
    return text;
}

void qmp_relay_first(QmpMonitor *mon, const QmpCmd *cmd, JsonObject *obj,
                     JsonObject *args, JsonNode *argnode, JsonNode *id,
                     const char *text, size_t len)
{
    const char *errclass = "GenericError";
    g_autofree char *rewritten = NULL;
    char *errdesc = NULL;
    char *ret = cmd->fn(mon, args, &errclass, &errdesc);

    if (!ret) {
        qmp_fds_close(&mon->cmd_fds);
        qmp_send_error(mon, errclass, errdesc, id);
        g_free(errdesc);
        return;
    }
    g_free(ret);
    if (mon->fwd_filename) {
        rewritten = qmp_rewrite_filename(obj, mon->fwd_filename);
        text = rewritten;
        len = strlen(rewritten);
    }
    if (!qmp_relay_forward(mon, cmd->name, argnode, id, text, len)) {
        g_clear_pointer(&mon->fwd_filename, g_free);
        mon->fwd_private_fdset = -1;
        if (mon->fwd_own_fd >= 0) {
            close(mon->fwd_own_fd);
            mon->fwd_own_fd = -1;
        }
        qmp_send_error(mon, "GenericError",
                       "the companion device model is not answering", id);
    }
}

/* Emunet's own fd set for the companion (fwd_private_fdset) is done. */
static void qmp_remove_private_fdset(QmpMonitor *mon)
{
    g_autofree char *args = NULL;

    if (mon->fwd_private_fdset < 0) {
        return;
    }
    args = g_strdup_printf("{\"fdset-id\": %" G_GINT64_FORMAT "}",
                           mon->fwd_private_fdset);
    mon->fwd_private_fdset = -1;
    if (mon->ops->companion_command) {
        mon->ops->companion_command(mon->opaque, "remove-fd", args, -1);
    }
}

void qmp_relay_clear(QmpMonitor *mon)
{
    mon->busy = false;
    g_clear_pointer(&mon->fwd_name, g_free);
    g_clear_pointer(&mon->fwd_args, json_node_unref);
    g_clear_pointer(&mon->fwd_id, json_node_unref);
    g_clear_pointer(&mon->fwd_filename, g_free);
    /* In order after the command: the companion is done with it then. */
    qmp_remove_private_fdset(mon);
    if (mon->fwd_own_fd >= 0) {
        close(mon->fwd_own_fd);
        mon->fwd_own_fd = -1;
    }
    qmp_fds_close(&mon->fwd_fds);
}

/* The "return" of a reply text (a new reference), or NULL. */
static JsonNode *qmp_reply_return(const char *text, size_t len)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    JsonNode *root;

    if (!json_parser_load_from_data(parser, text, (gssize)len, NULL)) {
        return NULL;
    }
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root) ||
        !json_object_has_member(json_node_get_object(root), "return")) {
        return NULL;
    }
    return json_node_ref(
        json_object_get_member(json_node_get_object(root), "return"));
}

void qmp_monitor_forward_done(QmpMonitor *mon, guint64 session, bool ok,
                              const char *text, size_t len)
{
    const QmpCmd *cmd;
    GString *out;

    if (!mon->busy || session != mon->session) {
        return;
    }
    cmd = qmp_find_cmd(mon->fwd_name);
    if (ok && cmd &&
        (qmp_libxl_owner(cmd->name) == QMP_OWN_BOTH ||
         qmp_libxl_owner(cmd->name) == QMP_OWN_LAST)) {
        /* The companion did it; now emunet's side of it. */
        JsonObject *args =
            mon->fwd_args && JSON_NODE_HOLDS_OBJECT(mon->fwd_args)
                ? json_node_get_object(mon->fwd_args)
                : NULL;
        const char *errclass = "GenericError";
        char *errdesc = NULL;
        char *ret;

        mon->fwd_reply = qmp_reply_return(text, len);
        if (!mon->fwd_reply) {
            mon->fwd_reply = json_node_new(JSON_NODE_NULL);
        }
        mon->cmd_fds = g_steal_pointer(&mon->fwd_fds);
        ret = cmd->fn(mon, args, &errclass, &errdesc);
        g_clear_pointer(&mon->fwd_reply, json_node_unref);
        qmp_fds_close(&mon->cmd_fds);
        if (!ret) {
            qmp_send_error(mon, errclass, errdesc, mon->fwd_id);
            g_free(errdesc);
            qmp_relay_clear(mon);
            qmp_drain(mon);
            return;
        }
        g_free(ret);
    }
    qmp_fds_close(&mon->fwd_fds);
    out = g_string_new_len(text, (gssize)len);
    qmp_send(mon, out);
    if (ok && cmd) {
        qmp_after_reply(mon, cmd->name);
    }
    qmp_relay_clear(mon);
    qmp_drain(mon);
}

void qmp_monitor_forward_failed(QmpMonitor *mon, guint64 session,
                                const char *desc)
{
    if (!mon->busy || session != mon->session) {
        return;
    }
    qmp_send_error(mon, "GenericError", desc, mon->fwd_id);
    qmp_relay_clear(mon);
    qmp_drain(mon);
}

const QmpCmd qmp_libxl_cmds[] = {
    {"query-chardev", qmp_cmd_query_chardev},
    {"query-vnc", qmp_cmd_query_vnc},
    {"change-vnc-password", qmp_cmd_change_vnc_password},
    {"query-cpus-fast", qmp_cmd_query_cpus_fast},
    {"xen-set-global-dirty-log", qmp_cmd_dirty_log},
    {"query-block", qmp_cmd_empty_list},
    {"query-blockstats", qmp_cmd_empty_list},
    {"query-emunet", qmp_cmd_query_emunet},
    {"xen-save-devices-state", qmp_cmd_xen_save},
    {"xen-load-devices-state", qmp_cmd_xen_load},
    {"add-fd", qmp_cmd_add_fd},
    {"remove-fd", qmp_cmd_remove_fd},
    {"query-fdsets", qmp_cmd_query_fdsets},
};

const size_t qmp_libxl_n_cmds = G_N_ELEMENTS(qmp_libxl_cmds);
