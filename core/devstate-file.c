/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device state files (a blob with its file trailer, after any other data)
 * through file descriptors and paths, and the -incoming argument; see
 * devstate.h for the layout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emunet/devstate.h"
#include "emunet/types.h"

/* Largest blob a trailer may give: header, largest payload, CRC. */
#define DEVSTATE_MAX_BLOB (DEVSTATE_HEADER_SIZE + DEVSTATE_MAX_PAYLOAD + 4)

/* ---- File trailer (devstate.h: "A device state file") ---- */

static void devstate_trailer_make(uint8_t *t, size_t blob_len)
{
    st64_le(t + 4, blob_len);
    st32_le(t + 12, DEVSTATE_TRAILER_VERSION);
    memcpy(t + 16, DEVSTATE_TRAILER_MAGIC, 8);
    st32_le(t, devstate_crc32(0, t + 4, DEVSTATE_TRAILER_SIZE - 4));
}

static bool devstate_file_error(GError **errp, const char *what,
                                const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static bool devstate_file_error(GError **errp, const char *what,
                                const char *fmt, ...)
{
    va_list ap;
    GError *err;

    va_start(ap, fmt);
    err = g_error_new_valist(DEVSTATE_ERROR, DEVSTATE_ERROR_FORMAT, fmt, ap);
    va_end(ap);
    g_propagate_prefixed_error(errp, err,
                               "%s: not a valid emunet device state: ", what);
    return false;
}

/* fd's file, which must be regular: emunet's part is at its end. */
static bool devstate_fd_stat(int fd, const char *what, struct stat *st,
                             GError **errp)
{
    if (fstat(fd, st) < 0) {
        g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_IO,
                    "%s: cannot stat: %s", what, g_strerror(errno));
        return false;
    }
    if (!S_ISREG(st->st_mode)) {
        g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_IO,
                    "%s: not a regular file (a pipe or socket?): emunet "
                    "keeps its device state at the end of the file, "
                    "which needs a seekable file",
                    what);
        return false;
    }
    return true;
}

/* ---- Save ---- */

static bool devstate_pwrite_all(int fd, const uint8_t *p, size_t len,
                                off_t at, const char *what, GError **errp)
{
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, at);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_IO,
                        "%s: write failed: %s", what,
                        n < 0 ? g_strerror(errno) : "no progress");
            return false;
        }
        p += n;
        len -= (size_t)n;
        at += n;
    }
    return true;
}

static bool devstate_save_fd_what(DevState *ds, int fd, const char *what,
                                  GError **errp)
{
    g_autoptr(GBytes) blob = NULL;
    g_autoptr(GByteArray) out = NULL;
    uint8_t trailer[DEVSTATE_TRAILER_SIZE];
    struct stat st;
    const uint8_t *p;
    gsize len;

    if (!devstate_fd_stat(fd, what, &st, errp)) {
        return false;
    }
    blob = devstate_save(ds);
    p = g_bytes_get_data(blob, &len);
    devstate_trailer_make(trailer, len);
    out = g_byte_array_sized_new((guint)(len + sizeof(trailer)));
    g_byte_array_append(out, p, (guint)len);
    g_byte_array_append(out, trailer, sizeof(trailer));
    if (!devstate_pwrite_all(fd, out->data, out->len, st.st_size, what,
                             errp)) {
        /*
         * Leave the other data as it was. Should this fail too, the
         * save has failed already, and a torn tail has no valid trailer:
         * a load refuses it.
         */
        if (ftruncate(fd, st.st_size) < 0) {
            g_prefix_error(errp, "(the file keeps a torn tail) ");
        }
        return false;
    }
    return true;
}

bool devstate_save_fd(DevState *ds, int fd, GError **errp)
{
    g_autofree char *what = g_strdup_printf("device state fd %d", fd);

    return devstate_save_fd_what(ds, fd, what, errp);
}

bool devstate_save_file(DevState *ds, const char *path, GError **errp)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    g_autofree char *what = g_strdup_printf("device state file %s", path);
    bool ok;

    if (fd < 0) {
        g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_IO,
                    "%s: cannot create: %s", what, g_strerror(errno));
        return false;
    }
    ok = devstate_save_fd_what(ds, fd, what, errp);
    if (close(fd) < 0 && ok) {
        g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_IO,
                    "%s: close failed: %s", what, g_strerror(errno));
        ok = false;
    }
    return ok;
}

/* ---- Load ---- */

/* Exactly len bytes at `at`; false with an error on EOF or failure. */
static bool devstate_pread_all(int fd, uint8_t *p, size_t len, off_t at,
                               const char *what, GError **errp)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = pread(fd, p + done, len - done, at + (off_t)done);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_IO,
                        "%s: read failed: %s", what, g_strerror(errno));
            return false;
        }
        if (n == 0) {
            /* The file shrank under us. */
            return devstate_file_error(errp, what,
                                       "truncated while being read (%zu "
                                       "of %zu bytes)",
                                       done, len);
        }
        done += (size_t)n;
    }
    return true;
}

/*
 * The trailer at the end of a file of `size` bytes, checked; *blob_at
 * and *blob_len locate the blob.
 */
static bool devstate_trailer_read(int fd, off_t size, const char *what,
                                  off_t *blob_at, size_t *blob_len,
                                  GError **errp)
{
    uint8_t t[DEVSTATE_TRAILER_SIZE];
    uint64_t len, before;
    uint32_t version;

    if (size < DEVSTATE_TRAILER_SIZE) {
        return devstate_file_error(errp, what,
                                   "%jd bytes, too short for emunet's "
                                   "trailer (truncated, or not saved by "
                                   "emunet)",
                                   (intmax_t)size);
    }
    before = (uint64_t)size - DEVSTATE_TRAILER_SIZE;
    if (!devstate_pread_all(fd, t, sizeof(t), (off_t)before, what, errp)) {
        return false;
    }
    if (memcmp(t + 16, DEVSTATE_TRAILER_MAGIC, 8) != 0) {
        return devstate_file_error(errp, what,
                                   "no emunet trailer at the end of the "
                                   "file (truncated, or not saved by "
                                   "emunet's xen-save-devices-state)");
    }
    /* Before the CRC: a later version may have another layout. */
    version = ld32_le(t + 12);
    if (version != DEVSTATE_TRAILER_VERSION) {
        g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_VERSION,
                    "%s: device state file trailer version %u is not "
                    "supported (this emunet reads version %u)",
                    what, version, DEVSTATE_TRAILER_VERSION);
        return false;
    }
    if (ld32_le(t) != devstate_crc32(0, t + 4, sizeof(t) - 4)) {
        return devstate_file_error(errp, what,
                                   "trailer CRC mismatch (the file is "
                                   "corrupt)");
    }
    len = ld64_le(t + 4);
    if (len > DEVSTATE_MAX_BLOB) {
        return devstate_file_error(errp, what,
                                   "the trailer gives a %" G_GUINT64_FORMAT
                                   "-byte blob, more than the %u allowed "
                                   "(the file is corrupt)",
                                   len, DEVSTATE_MAX_BLOB);
    }
    if (len > before) {
        return devstate_file_error(errp, what,
                                   "truncated (the trailer gives a "
                                   "%" G_GUINT64_FORMAT "-byte blob, but "
                                   "only %" G_GUINT64_FORMAT " bytes "
                                   "precede it)",
                                   len, before);
    }
    *blob_at = (off_t)(before - len);
    *blob_len = (size_t)len;
    return true;
}

GBytes *devstate_read_fd(int fd, const char *what, GError **errp)
{
    g_autofree uint8_t *buf = NULL;
    struct stat st;
    size_t len = 0, used = 0;
    off_t at = 0;

    if (!devstate_fd_stat(fd, what, &st, errp) ||
        !devstate_trailer_read(fd, st.st_size, what, &at, &len, errp)) {
        return NULL;
    }
    buf = g_malloc(len ? len : 1);
    if (!devstate_pread_all(fd, buf, len, at, what, errp)) {
        return NULL;
    }
    if (!devstate_check(buf, len, &used, errp)) {
        g_prefix_error(errp, "%s: ", what);
        return NULL;
    }
    if (used != len) {
        devstate_file_error(errp, what,
                            "the trailer gives a %zu-byte blob, but the "
                            "blob is %zu bytes (the file is corrupt)",
                            len, used);
        return NULL;
    }
    return g_bytes_new_take(g_steal_pointer(&buf), len);
}

static bool devstate_load_fd_what(DevState *ds, int fd, const char *what,
                                  GError **errp)
{
    g_autoptr(GBytes) blob = devstate_read_fd(fd, what, errp);
    const void *p;
    gsize len;

    if (!blob) {
        return false;
    }
    p = g_bytes_get_data(blob, &len);
    if (!devstate_load(ds, p, len, NULL, errp)) {
        g_prefix_error(errp, "%s: ", what);
        return false;
    }
    return true;
}

bool devstate_load_fd(DevState *ds, int fd, GError **errp)
{
    g_autofree char *what = g_strdup_printf("device state fd %d", fd);

    return devstate_load_fd_what(ds, fd, what, errp);
}

bool devstate_load_file(DevState *ds, const char *path, GError **errp)
{
    g_autofree char *what = g_strdup_printf("device state file %s", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    bool ok;

    if (fd < 0) {
        g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_IO,
                    "%s: cannot open: %s", what, g_strerror(errno));
        return false;
    }
    ok = devstate_load_fd_what(ds, fd, what, errp);
    close(fd);
    return ok;
}

bool devstate_load_incoming(DevState *ds, const char *spec, GError **errp)
{
    /* QEMU's other migration transports: no file to read here. */
    static const char *const other[] = {
        "tcp:", "unix:", "exec:", "rdma:", "vsock:", "defer"};

    if (g_str_has_prefix(spec, "fd:")) {
        g_autofree char *what = g_strdup_printf("-incoming %s", spec);
        const char *num = spec + 3;
        char *end;
        long fd;
        bool ok;

        errno = 0;
        fd = strtol(num, &end, 10);
        if (!g_ascii_isdigit(*num) || *end || errno || fd < 0 ||
            fd > INT32_MAX || fcntl((int)fd, F_GETFD) < 0) {
            g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_IO,
                        "%s: not an open file descriptor", what);
            return false;
        }
        ok = devstate_load_fd_what(ds, (int)fd, what, errp);
        close((int)fd);
        return ok;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(other); i++) {
        if (g_str_has_prefix(spec, other[i])) {
            g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_IO,
                        "-incoming %s: not supported (fd:N, file:PATH or "
                        "PATH are)",
                        spec);
            return false;
        }
    }
    if (g_str_has_prefix(spec, "file:")) {
        spec += 5;
    }
    if (!*spec) {
        g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_IO,
                    "-incoming: empty file name");
        return false;
    }
    if (!devstate_load_file(ds, spec, errp)) {
        g_prefix_error(errp, "-incoming: ");
        return false;
    }
    return true;
}
