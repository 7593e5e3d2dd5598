/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device state blobs to and from files and file descriptors, and the
 * -incoming argument; see devstate.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emunet/devstate.h"
#include "emunet/types.h"

/* ---- Save ---- */

static bool devstate_write_all(int fd, const uint8_t *p, size_t len,
                               const char *what, GError **errp)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);

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
    }
    return true;
}

bool devstate_save_fd(DevState *ds, int fd, GError **errp)
{
    g_autoptr(GBytes) blob = devstate_save(ds);
    gsize len;
    const uint8_t *p = g_bytes_get_data(blob, &len);
    g_autofree char *what = g_strdup_printf("device state fd %d", fd);

    return devstate_write_all(fd, p, len, what, errp);
}

bool devstate_save_file(DevState *ds, const char *path, GError **errp)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    g_autofree char *what = g_strdup_printf("device state file %s", path);
    g_autoptr(GBytes) blob = NULL;
    const uint8_t *p;
    gsize len;
    bool ok;

    if (fd < 0) {
        g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_IO,
                    "%s: cannot create: %s", what, g_strerror(errno));
        return false;
    }
    blob = devstate_save(ds);
    p = g_bytes_get_data(blob, &len);
    ok = devstate_write_all(fd, p, len, what, errp);
    if (close(fd) < 0 && ok) {
        g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_IO,
                    "%s: close failed: %s", what, g_strerror(errno));
        ok = false;
    }
    return ok;
}

/* ---- Load: files ---- */

/* Read exactly len bytes; false with an error on EOF or failure. */
static bool devstate_read_all(int fd, uint8_t *p, size_t len, const char *what,
                              GError **errp)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = read(fd, p + done, len - done);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_IO,
                        "%s: read failed: %s", what, g_strerror(errno));
            return false;
        }
        if (n == 0) {
            g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_FORMAT,
                        "%s: not a valid emunet device state: truncated "
                        "(%zu of %zu bytes)",
                        what, done, len);
            return false;
        }
        done += (size_t)n;
    }
    return true;
}

/* Exactly one blob's bytes (fewer when the header is wrong). */
static uint8_t *devstate_read_blob(int fd, const char *what, size_t *lenp,
                                   GError **errp)
{
    uint8_t hdr[DEVSTATE_HEADER_SIZE];
    g_autofree uint8_t *buf = NULL;
    uint64_t payload_len;
    size_t total;

    if (!devstate_read_all(fd, hdr, sizeof(hdr), what, errp)) {
        return NULL;
    }
    payload_len = ld64_le(hdr + 16);
    if (memcmp(hdr, DEVSTATE_MAGIC, 8) != 0 ||
        payload_len > DEVSTATE_MAX_PAYLOAD) {
        /* Let the common check name the fault. */
        total = sizeof(hdr);
    } else {
        total = sizeof(hdr) + (size_t)payload_len + 4;
    }
    buf = g_malloc(total);
    memcpy(buf, hdr, sizeof(hdr));
    if (!devstate_read_all(fd, buf + sizeof(hdr), total - sizeof(hdr), what,
                           errp)) {
        return NULL;
    }
    *lenp = total;
    return g_steal_pointer(&buf);
}

GBytes *devstate_read_fd(int fd, const char *what, GError **errp)
{
    size_t len = 0;
    uint8_t *buf = devstate_read_blob(fd, what, &len, errp);

    if (!buf) {
        return NULL;
    }
    if (!devstate_check(buf, len, NULL, errp)) {
        g_prefix_error(errp, "%s: ", what);
        g_free(buf);
        return NULL;
    }
    return g_bytes_new_take(buf, len);
}

static bool devstate_load_fd_what(DevState *ds, int fd, const char *what,
                                  GError **errp)
{
    size_t total = 0;
    g_autofree uint8_t *buf = devstate_read_blob(fd, what, &total, errp);

    if (!buf) {
        return false;
    }
    if (!devstate_load(ds, buf, total, NULL, errp)) {
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
