/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Machine assembly; see machine.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/machine.h"
#include "core/qtest.h"
#include "emunet/log.h"
#include "emunet/net.h"
#include "emunet/opts.h"
#include "emunet/pci.h"
#include "emunet/transport.h"
#include "hw/net/nic.h"

/* A -object memory-backend-file / memory-backend-memfd. */
typedef struct RamBackend {
    char *id;
    void *base;
    uint64_t size;
    int fd;
    bool used;
} RamBackend;

typedef struct NetdevEntry {
    NetBackend *be;
    /* Device id using it, or NULL. */
    char *user;
} NetdevEntry;

typedef struct NicModel {
    const char *driver;
    PciDevice *(*create)(const NicConf *conf, GError **errp);
} NicModel;

struct Machine {
    GMainLoop *loop;
    GPtrArray *backends; /* RamBackend * */
    RamBackend *default_ram;
    IoBus *iobus;
    Transport *t;
    PciBusHooks hooks;
    PciBus *pci;
    GPtrArray *netdevs; /* NetdevEntry * */
    GPtrArray *dev_ids; /* char *, ids of created devices */
};

static const NicModel machine_nics[] = {
    {"e1000", e1000_new},
    {"e1000-82540em", e1000_new},
    {"rtl8139", rtl8139_new},
};

G_DEFINE_QUARK(emunet - machine - error - quark, machine_error)

int machine_error_status(const GError *err)
{
    return g_error_matches(err, MACHINE_ERROR, MACHINE_ERROR_SETUP) ? 1 : 2;
}

/* ---- RAM ---- */

static void machine_ram_free(gpointer data)
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

static RamBackend *machine_find_ram(Machine *m, const char *id)
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
                    "%s: unsupported object type '%s' (memory-backend-file "
                    "and memory-backend-memfd are)",
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

static bool machine_setup_ram(Machine *m, const MachineConfig *cfg,
                              RamBackend **ram, GError **errp)
{
    for (guint i = 0; cfg->objects && i < cfg->objects->len; i++) {
        if (!machine_add_object(m, g_ptr_array_index(cfg->objects, i), errp)) {
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
    m->default_ram = machine_ram_memfd(
        "ram", cfg->ram_size ? cfg->ram_size : MACHINE_DEFAULT_RAM, true, "-m",
        errp);
    *ram = m->default_ram;
    return m->default_ram != NULL;
}

/* ---- PCI hooks: forwarded to the transport ---- */

static void machine_hook_map_io(void *opaque, IoSpace space, hwaddr base,
                                hwaddr len, bool mapped)
{
    Machine *m = opaque;

    if (m->t->ops->map_io) {
        m->t->ops->map_io(m->t, space, base, len, mapped);
    }
}

static IrqLine *machine_hook_intx_line(void *opaque, PciDevice *dev)
{
    Machine *m = opaque;

    return m->t->ops->intx_line(m->t, dev);
}

/* ---- -netdev ---- */

static void machine_netdev_free(gpointer data)
{
    NetdevEntry *e = data;

    net_backend_free(e->be);
    g_free(e->user);
    g_free(e);
}

static NetdevEntry *machine_find_netdev(Machine *m, const char *id)
{
    for (guint i = 0; i < m->netdevs->len; i++) {
        NetdevEntry *e = g_ptr_array_index(m->netdevs, i);

        if (strcmp(e->be->id, id) == 0) {
            return e;
        }
    }
    return NULL;
}

static bool machine_add_netdev(Machine *m, const char *str, GError **errp)
{
    static const char *const multi[] = {"hostfwd", "guestfwd", NULL};
    g_autoptr(EmuOpts) opts = opts_parse(str, "type", multi, errp);
    const char *id;
    NetdevEntry *e;
    NetBackend *be;

    if (!opts) {
        g_prefix_error(errp, "-netdev %s: ", str);
        return false;
    }
    id = opts_get(opts, "id");
    if (!id || !*id) {
        g_set_error(errp, MACHINE_ERROR, MACHINE_ERROR_USAGE,
                    "-netdev %s: missing id=", str);
        return false;
    }
    if (machine_find_netdev(m, id)) {
        g_set_error(errp, MACHINE_ERROR, MACHINE_ERROR_USAGE,
                    "-netdev %s: duplicate id '%s'", str, id);
        return false;
    }
    be = net_backend_new(opts, NULL, errp);
    if (!be) {
        g_prefix_error(errp, "-netdev %s: ", str);
        return false;
    }
    e = g_new0(NetdevEntry, 1);
    e->be = be;
    g_ptr_array_add(m->netdevs, e);
    return true;
}

/* ---- -device ---- */

static bool machine_usage_error(GError **errp, const char *what,
                                const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static bool machine_usage_error(GError **errp, const char *what,
                                const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, MACHINE_ERROR, MACHINE_ERROR_USAGE, "%s: %s", what, msg);
    g_free(msg);
    return false;
}

/* QEMU's PCI addr=: "SLOT[.FN]", hex. Returns devfn, or -1. */
static int machine_parse_devfn(const char *s)
{
    unsigned long slot, fn = 0;
    char *end;

    if (!g_ascii_isxdigit(*s)) {
        return -1;
    }
    errno = 0;
    slot = strtoul(s, &end, 16);
    if (errno || slot > 0x1f) {
        return -1;
    }
    if (*end == '.') {
        s = end + 1;
        if (!g_ascii_isxdigit(*s)) {
            return -1;
        }
        fn = strtoul(s, &end, 16);
        if (errno || fn > 7) {
            return -1;
        }
    }
    if (*end) {
        return -1;
    }
    return (int)PCI_DEVFN(slot, fn);
}

static bool machine_has_dev_id(Machine *m, const char *id)
{
    for (guint i = 0; i < m->dev_ids->len; i++) {
        if (strcmp(g_ptr_array_index(m->dev_ids, i), id) == 0) {
            return true;
        }
    }
    return false;
}

static bool machine_add_device(Machine *m, const char *str, GError **errp)
{
    g_autofree char *what = g_strdup_printf("-device %s", str);
    g_autoptr(EmuOpts) opts = opts_parse(str, "driver", NULL, errp);
    g_autofree char *id = NULL;
    const NicModel *model = NULL;
    const char *driver, *val;
    NetdevEntry *nd = NULL;
    NicConf conf = {0};
    PciDevice *dev;
    bool xen_oui;
    int devfn = -1;

    if (!opts) {
        g_prefix_error(errp, "%s: ", what);
        return false;
    }
    driver = opts_get(opts, "driver");
    for (size_t i = 0; driver && i < G_N_ELEMENTS(machine_nics); i++) {
        if (strcmp(machine_nics[i].driver, driver) == 0) {
            model = &machine_nics[i];
        }
    }
    if (!model) {
        GString *names = g_string_new(NULL);

        for (size_t i = 0; i < G_N_ELEMENTS(machine_nics); i++) {
            g_string_append_printf(names, "%s%s", i ? ", " : "",
                                   machine_nics[i].driver);
        }
        machine_usage_error(errp, what,
                            "unknown device driver '%s' (known: %s)",
                            driver ? driver : "", names->str);
        g_string_free(names, TRUE);
        return false;
    }
    /* The model checks the keys: it knows its own besides the common. */
    val = opts_get(opts, "id");
    id = val ? g_strdup(val) : g_strdup_printf("nic%u", m->dev_ids->len);
    if (!*id) {
        return machine_usage_error(errp, what, "empty id=");
    }
    if (machine_has_dev_id(m, id)) {
        return machine_usage_error(errp, what, "duplicate id '%s'", id);
    }
    val = opts_get(opts, "netdev");
    if (val) {
        nd = machine_find_netdev(m, val);
        if (!nd) {
            return machine_usage_error(errp, what,
                                       "netdev '%s' not found "
                                       "(no -netdev with that id)",
                                       val);
        }
        if (nd->user) {
            return machine_usage_error(errp, what,
                                       "netdev '%s' is already "
                                       "used by device '%s'",
                                       val, nd->user);
        }
    }
    if (!opts_get_bool(opts, "x-xen-oui", false, &xen_oui, errp)) {
        g_prefix_error(errp, "%s: ", what);
        return false;
    }
    val = opts_get(opts, "mac");
    if (val) {
        if (!net_mac_parse(val, &conf.mac, errp)) {
            g_prefix_error(errp, "%s: mac: ", what);
            return false;
        }
    } else {
        net_mac_generate(&conf.mac, xen_oui);
    }
    val = opts_get(opts, "addr");
    if (val) {
        devfn = machine_parse_devfn(val);
        if (devfn < 0) {
            return machine_usage_error(errp, what,
                                       "addr: invalid PCI "
                                       "address '%s' (SLOT[.FN] in hex, slot "
                                       "<= 1f, function <= 7)",
                                       val);
        }
    }
    conf.id = id;
    conf.backend = nd ? nd->be : NULL;
    conf.romfile = opts_get(opts, "romfile");
    conf.clock = m->t->clock;
    conf.opts = opts;
    dev = model->create(&conf, errp);
    if (!dev) {
        g_prefix_error(errp, "%s: ", what);
        return false;
    }
    if (!pci_bus_attach(m->pci, dev, devfn, errp)) {
        g_prefix_error(errp, "%s: ", what);
        dev->ops->destroy(dev);
        return false;
    }
    if (m->t->ops->add_pci_device &&
        !m->t->ops->add_pci_device(m->t, dev, errp)) {
        g_prefix_error(errp, "%s: ", what);
        return false;
    }
    if (nd) {
        nd->user = g_strdup(id);
    }
    g_ptr_array_add(m->dev_ids, g_steal_pointer(&id));
    return true;
}

/* ---- lifecycle ---- */

Machine *machine_new(const MachineConfig *cfg, GMainLoop *loop, GError **errp)
{
    Machine *m = g_new0(Machine, 1);
    QtestConfig qcfg = {0};
    RamBackend *ram = NULL;
    GError *err = NULL;

    m->loop = loop;
    m->backends = g_ptr_array_new_with_free_func(machine_ram_free);
    m->netdevs = g_ptr_array_new_with_free_func(machine_netdev_free);
    m->dev_ids = g_ptr_array_new_with_free_func(g_free);
    if (!machine_setup_ram(m, cfg, &ram, errp)) {
        goto fail;
    }
    m->iobus = iobus_new();
    qcfg.spec = cfg->qtest;
    qcfg.log = cfg->qtest_log;
    qcfg.ram = ram->base;
    qcfg.ram_size = ram->size;
    m->t = qtest_transport_new(&qcfg, m->iobus, &err);
    if (!m->t) {
        /* A bad -qtest value is usage; an unopenable log is the host's. */
        if (!g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_INVAL)) {
            err->domain = MACHINE_ERROR;
            err->code = MACHINE_ERROR_SETUP;
        }
        g_propagate_error(errp, err);
        goto fail;
    }
    m->t->loop = loop;
    m->hooks.map_io = machine_hook_map_io;
    m->hooks.intx_line = machine_hook_intx_line;
    m->hooks.opaque = m;
    m->pci = pci_bus_new(m->iobus, m->t->mem, &m->hooks);
    m->t->iobus = m->iobus;
    m->t->pci = m->pci;
    if (!pci_host_init(m->pci, m->iobus, errp)) {
        goto fail;
    }
    for (guint i = 0; cfg->netdevs && i < cfg->netdevs->len; i++) {
        if (!machine_add_netdev(m, g_ptr_array_index(cfg->netdevs, i), errp)) {
            goto fail;
        }
    }
    for (guint i = 0; cfg->devices && i < cfg->devices->len; i++) {
        if (!machine_add_device(m, g_ptr_array_index(cfg->devices, i), errp)) {
            goto fail;
        }
    }
    return m;

fail:
    machine_free(m);
    return NULL;
}

bool machine_start(Machine *m, GError **errp)
{
    /* The transport's messages already name its option. */
    if (!m->t->ops->start(m->t, errp)) {
        if (errp && *errp) {
            (*errp)->domain = MACHINE_ERROR;
            (*errp)->code = MACHINE_ERROR_SETUP;
        }
        return false;
    }
    return true;
}

void machine_reset(Machine *m)
{
    log_trace(LOG_CORE, "system reset");
    pci_bus_reset(m->pci);
}

void machine_free(Machine *m)
{
    if (!m) {
        return;
    }
    /* Devices first: they hold backends, IRQ lines and timers. */
    if (m->pci) {
        pci_bus_free(m->pci);
    }
    g_ptr_array_free(m->netdevs, TRUE);
    if (m->t) {
        m->t->ops->free(m->t);
    }
    if (m->iobus) {
        iobus_free(m->iobus);
    }
    g_ptr_array_free(m->backends, TRUE);
    if (m->default_ram) {
        machine_ram_free(m->default_ram);
    }
    g_ptr_array_free(m->dev_ids, TRUE);
    g_free(m);
}
