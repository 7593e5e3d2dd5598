/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest RAM of the machine (machine.h): -object memory-backend-file and
 * memory-backend-memfd, -machine memory-backend=, and the anonymous
 * memfd of -m otherwise. Under Xen the guest's memory is the domain's.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/machine-int.h"

void machine_ram_free(gpointer data)
{
    RamBackend *rb = data;

    if (rb->base) {
        munmap(rb->base, rb->size);
    }
    if (rb->fd >= 0) {
        close(rb->fd);
    }
    g_free(rb->id);
    g_free(rb);
}

static bool machine_setup_error(GError **errp, const char *what,
                                const char *action)
{
    g_set_error(errp, MACHINE_ERROR, MACHINE_ERROR_SETUP, "%s: %s: %s", what,
                action, g_strerror(errno));
    return false;
}

/* Size and map an fd as guest RAM. */
static bool machine_ram_map(RamBackend *rb, bool share, bool resize,
                            const char *what, GError **errp)
{
    if (resize && ftruncate(rb->fd, (off_t)rb->size) < 0) {
        return machine_setup_error(errp, what, "cannot size guest memory");
    }
    rb->base =
        mmap(NULL, rb->size, PROT_READ | PROT_WRITE,
             (share ? MAP_SHARED : MAP_PRIVATE) | MAP_NORESERVE, rb->fd, 0);
    if (rb->base == MAP_FAILED) {
        rb->base = NULL;
        return machine_setup_error(errp, what, "cannot map guest memory");
    }
    return true;
}

static RamBackend *machine_ram_memfd(const char *id, uint64_t size, bool share,
                                     const char *what, GError **errp)
{
    RamBackend *rb = g_new0(RamBackend, 1);

    rb->id = g_strdup(id);
    rb->size = size;
    rb->fd = memfd_create("emunet-ram", MFD_CLOEXEC);
    if (rb->fd < 0) {
        machine_setup_error(errp, what, "memfd_create");
        machine_ram_free(rb);
        return NULL;
    }
    if (!machine_ram_map(rb, share, true, what, errp)) {
        machine_ram_free(rb);
        return NULL;
    }
    return rb;
}

static RamBackend *machine_ram_file(const char *id, uint64_t size,
                                    const char *path, bool share,
                                    const char *what, GError **errp)
{
    RamBackend *rb = g_new0(RamBackend, 1);
    struct stat st;
    bool resize;

    rb->id = g_strdup(id);
    rb->size = size;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        /* QEMU: a directory gets a private, already unlinked file. */
        char *tmpl = g_build_filename(path, "emunet-ram-XXXXXX", NULL);

        rb->fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, 0600);
        if (rb->fd >= 0) {
            unlink(tmpl);
        }
        g_free(tmpl);
    } else {
        rb->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    }
    if (rb->fd < 0 || fstat(rb->fd, &st) < 0) {
        g_set_error(errp, MACHINE_ERROR, MACHINE_ERROR_SETUP,
                    "%s: cannot open mem-path %s: %s", what, path,
                    g_strerror(errno));
        machine_ram_free(rb);
        return NULL;
    }
    /* As QEMU: an empty file is sized; a shorter one is an error. */
    resize = st.st_size == 0;
    if (!resize && (uint64_t)st.st_size < size) {
        g_set_error(errp, MACHINE_ERROR, MACHINE_ERROR_USAGE,
                    "%s: mem-path %s is smaller (%lld bytes) than size", what,
                    path, (long long)st.st_size);
        machine_ram_free(rb);
        return NULL;
    }
    if (!machine_ram_map(rb, share, resize, what, errp)) {
        machine_ram_free(rb);
        return NULL;
    }
    return rb;
}

RamBackend *machine_find_ram(Machine *m, const char *id)
{
    for (guint i = 0; i < m->backends->len; i++) {
        RamBackend *rb = g_ptr_array_index(m->backends, i);

        if (strcmp(rb->id, id) == 0) {
            return rb;
        }
    }
    return NULL;
}

static bool machine_add_object(Machine *m, const char *str, GError **errp)
{
    static const char *const file_keys[] = {"qom-type", "id",    "size",
                                            "mem-path", "share", NULL};
    static const char *const memfd_keys[] = {"qom-type", "id", "size", "share",
                                             NULL};
    g_autofree char *what = g_strdup_printf("-object %s", str);
    g_autoptr(EmuOpts) opts = opts_parse(str, "qom-type", NULL, errp);
    const char *type, *id, *path = NULL;
    uint64_t size;
    bool is_file, share;
    RamBackend *rb;

    if (!opts) {
        g_prefix_error(errp, "%s: ", what);
        return false;
    }
    type = opts_get(opts, "qom-type");
    if (!type || (strcmp(type, "memory-backend-file") != 0 &&
                  strcmp(type, "memory-backend-memfd") != 0)) {
        g_set_error(errp, MACHINE_ERROR, MACHINE_ERROR_USAGE,
                    "%s: unsupported object type '%s' (memory-backend-file, "
                    "memory-backend-memfd and filter-dump are)",
                    what, type ? type : "");
        return false;
    }
    is_file = strcmp(type, "memory-backend-file") == 0;
    if (!opts_check_known(opts, what, is_file ? file_keys : memfd_keys, errp)) {
        return false;
    }
    id = opts_get(opts, "id");
    if (!id || !*id) {
        g_set_error(errp, MACHINE_ERROR, MACHINE_ERROR_USAGE,
                    "%s: missing id=", what);
        return false;
    }
    if (machine_find_ram(m, id)) {
        g_set_error(errp, MACHINE_ERROR, MACHINE_ERROR_USAGE,
                    "%s: duplicate id '%s'", what, id);
        return false;
    }
    if (!opts_get_u64(opts, "size", 0, true, &size, errp) ||
        !opts_get_bool(opts, "share", !is_file, &share, errp)) {
        g_prefix_error(errp, "%s: ", what);
        return false;
    }
    if (size == 0 || size % 4096 != 0) {
        g_set_error(errp, MACHINE_ERROR, MACHINE_ERROR_USAGE,
                    "%s: size must be a non-zero multiple of 4096", what);
        return false;
    }
    if (is_file) {
        path = opts_get(opts, "mem-path");
        if (!path || !*path) {
            g_set_error(errp, MACHINE_ERROR, MACHINE_ERROR_USAGE,
                        "%s: missing mem-path=", what);
            return false;
        }
        rb = machine_ram_file(id, size, path, share, what, errp);
    } else {
        rb = machine_ram_memfd(id, size, share, what, errp);
    }
    if (!rb) {
        return false;
    }
    g_ptr_array_add(m->backends, rb);
    return true;
}

/* -object filter-dump waits until the netdevs exist. */
bool machine_object_is_dump(const char *str)
{
    g_autoptr(EmuOpts) opts = opts_parse(str, "qom-type", NULL, NULL);
    const char *type = opts ? opts_get(opts, "qom-type") : NULL;

    return type && strcmp(type, "filter-dump") == 0;
}

bool machine_setup_ram(Machine *m, const MachineConfig *cfg, RamBackend **ram,
                       GError **errp)
{
    for (guint i = 0; cfg->objects && i < cfg->objects->len; i++) {
        const char *str = g_ptr_array_index(cfg->objects, i);

        if (machine_object_is_dump(str)) {
            continue;
        }
        if (!machine_add_object(m, str, errp)) {
            return false;
        }
    }
    if (cfg->memory_backend) {
        RamBackend *rb = machine_find_ram(m, cfg->memory_backend);

        if (!rb) {
            g_set_error(errp, MACHINE_ERROR, MACHINE_ERROR_USAGE,
                        "-machine memory-backend=%s: no -object with that id",
                        cfg->memory_backend);
            return false;
        }
        if (cfg->ram_size && cfg->ram_size != rb->size) {
            g_set_error(errp, MACHINE_ERROR, MACHINE_ERROR_USAGE,
                        "-m: memory size %" G_GUINT64_FORMAT " differs from "
                        "memory-backend '%s' size %" G_GUINT64_FORMAT
                        " (they must be equal)",
                        cfg->ram_size, rb->id, rb->size);
            return false;
        }
        rb->used = true;
        *ram = rb;
        return true;
    }
    if (cfg->xen) {
        /*
         * The guest's memory is the domain's (foreign mappings); -m is
         * informational. A memfd of that size would also exceed the
         * 256 KiB RLIMIT_FSIZE libxl sets under dm_restrict (SIGXFSZ).
         */
        *ram = NULL;
        return true;
    }
    m->default_ram = machine_ram_memfd(
        "ram", cfg->ram_size ? cfg->ram_size : MACHINE_DEFAULT_RAM, true, "-m",
        errp);
    *ram = m->default_ram;
    return m->default_ram != NULL;
}
