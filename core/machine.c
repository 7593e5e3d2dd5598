/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Machine assembly; see machine.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/handoff.h"
#include "core/machine-int.h"
#include "core/plumb.h"
#include "core/qtest.h"
#include "emunet/devstate.h"
#include "emunet/log.h"
#include "emunet/net.h"
#include "emunet/opts.h"
#include "emunet/pci.h"
#include "emunet/transport.h"
#include "emunet/vifspec.h"
#include "hw/net/nic.h"
#include "xen/transport-xen.h"

typedef struct NicModel {
    const char *driver;
    PciDevice *(*create)(const NicConf *conf, GError **errp);
    /* Its save / restore section. */
    const DevStateOps *state;
} NicModel;

static const NicModel machine_nics[] = {
    {"e1000", e1000_new, &e1000_devstate_ops},
    {"e1000-82540em", e1000_new, &e1000_devstate_ops},
    {"rtl8139", rtl8139_new, &rtl8139_devstate_ops},
};

G_DEFINE_QUARK(emunet - machine - error - quark, machine_error)

int machine_error_status(const GError *err)
{
    return g_error_matches(err, MACHINE_ERROR, MACHINE_ERROR_SETUP) ? 1 : 2;
}

/* ---- PCI hooks: forwarded to the transport ---- */

void machine_hook_map_io(void *opaque, IoSpace space, hwaddr base, hwaddr len,
                         bool mapped)
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

/*
 * A netdev from -netdev text (or text the machine made up, for --nic and
 * default networks); `what` starts error messages. A backend the host
 * refused (port taken, tap busy) is a setup error: exit status 1.
 */
static NetdevEntry *machine_new_netdev(Machine *m, const char *what,
                                       const char *str, GError **errp)
{
    static const char *const multi[] = {"hostfwd", "guestfwd", NULL};
    g_autoptr(EmuOpts) opts = opts_parse(str, "type", multi, errp);
    const char *id;
    NetdevEntry *e;
    NetBackend *be;

    if (!opts) {
        g_prefix_error(errp, "%s: ", what);
        return NULL;
    }
    id = opts_get(opts, "id");
    if (!id || !*id) {
        g_set_error(errp, MACHINE_ERROR, MACHINE_ERROR_USAGE,
                    "%s: missing id=", what);
        return NULL;
    }
    if (machine_find_netdev(m, id)) {
        g_set_error(errp, MACHINE_ERROR, MACHINE_ERROR_USAGE,
                    "%s: duplicate id '%s'", what, id);
        return NULL;
    }
    be = net_backend_new(opts, NULL, errp);
    if (!be) {
        if (errp && net_backend_error_is_host(*errp)) {
            (*errp)->domain = MACHINE_ERROR;
            (*errp)->code = MACHINE_ERROR_SETUP;
        }
        g_prefix_error(errp, "%s: ", what);
        return NULL;
    }
    e = g_new0(NetdevEntry, 1);
    e->be = be;
    g_ptr_array_add(m->netdevs, e);
    return e;
}

static bool machine_add_netdev(Machine *m, const char *str, GError **errp)
{
    g_autofree char *what = g_strdup_printf("-netdev %s", str);

    return machine_new_netdev(m, what, str, errp) != NULL;
}

/* -net none, or -net user[,OPTS] without id=: checked before use. */
static bool machine_check_default_net(Machine *m, GError **errp)
{
    static const char *const multi[] = {"hostfwd", "guestfwd", NULL};
    g_autoptr(EmuOpts) opts = NULL;
    const char *type;

    if (!m->default_net || strcmp(m->default_net, "none") == 0) {
        return true;
    }
    opts = opts_parse(m->default_net, "type", multi, errp);
    if (!opts) {
        g_prefix_error(errp, "-net %s: ", m->default_net);
        return false;
    }
    type = opts_get(opts, "type");
    if (!type || strcmp(type, "user") != 0 || opts_get(opts, "id")) {
        g_set_error(errp, MACHINE_ERROR, MACHINE_ERROR_USAGE,
                    "-net %s: expected 'none' or 'user[,OPTIONS]' (the "
                    "-netdev user options, without id=)",
                    m->default_net);
        return false;
    }
    return true;
}

/*
 * The network of a NIC without netdev=: a user-mode network of its own
 * (restrict=on unless -net user says otherwise), or none with -net none.
 */
static bool machine_default_netdev(Machine *m, const char *dev_id,
                                   NetdevEntry **out, GError **errp)
{
    const char *net = m->default_net ? m->default_net : "user";
    g_autofree char *str = NULL;
    g_autofree char *what = NULL;

    *out = NULL;
    if (strcmp(net, "none") == 0) {
        return true;
    }
    str = g_strdup_printf("%s,id=%s.user%s", net, dev_id,
                          strstr(net, "restrict=") ? "" : ",restrict=on");
    what = g_strdup_printf("-device %s: default network (%s)", dev_id, net);
    *out = machine_new_netdev(m, what, str, errp);
    return *out != NULL;
}

/* ---- -device ---- */

bool machine_usage_error(GError **errp, const char *what, const char *fmt, ...)
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
int machine_parse_devfn(const char *s)
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

bool machine_attach_device(Machine *m, PciDevice *dev, int devfn,
                           const char *what, GError **errp)
{
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
    return true;
}

bool machine_has_dev_id(Machine *m, const char *id)
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
    if (driver && strcmp(driver, "xen-platform") == 0) {
        return machine_add_platform(m, opts, what, errp);
    }
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
    if (!devstate_name_valid(id) || strcmp(id, HANDOFF_STATE_ID) == 0) {
        return machine_usage_error(errp, what,
                                   "id '%s': up to 64 letters, digits, "
                                   "'.', '_' and '-', not '" HANDOFF_STATE_ID
                                   "'",
                                   id);
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
    } else if (!machine_default_netdev(m, id, &nd, errp)) {
        return false;
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
    if (!machine_attach_device(m, dev, devfn, what, errp)) {
        return false;
    }
    if (nd) {
        nd->user = g_strdup(id);
    }
    handoff_add_nic(m->handoff, id, driver, dev);
    devstate_register(m->devstate, id, model->state, dev);
    /* Xen: device-model/<domid>/emunet/<id>/state (transport-xen.h). */
    xen_transport_set_nic_state(m->t, id, "emulated");
    g_ptr_array_add(m->dev_ids, g_steal_pointer(&id));
    return true;
}

bool machine_set_dirty_log(Machine *m, bool enable, GError **errp)
{
    /* Only Xen DMA has to be reported; the qtest guest does not migrate. */
    if (!xen_transport_store(m->t)) {
        return true;
    }
    return xen_transport_set_dirty_log(m->t, enable, errp);
}

bool machine_load_state_bytes(Machine *m, GBytes *blob, const char *what,
                              GError **errp)
{
    gsize len;
    const void *p = g_bytes_get_data(blob, &len);

    if (!devstate_load(m->devstate, p, len, NULL, errp)) {
        g_prefix_error(errp, "%s: ", what);
        return false;
    }
    xen_transport_state_loaded(m->t);
    log_info("%s: device state restored", what);
    return true;
}

bool machine_save_state(Machine *m, int fd, const char *path, GError **errp)
{
    return fd >= 0 ? devstate_save_fd(m->devstate, fd, errp)
                   : devstate_save_file(m->devstate, path, errp);
}

bool machine_load_state(Machine *m, int fd, const char *path, GError **errp)
{
    bool ok = fd >= 0 ? devstate_load_fd(m->devstate, fd, errp)
                      : devstate_load_file(m->devstate, path, errp);

    if (ok) {
        xen_transport_state_loaded(m->t);
    }
    return ok;
}

bool machine_load_incoming(Machine *m, const char *spec, GError **errp)
{
    if (!devstate_load_incoming(m->devstate, spec, errp)) {
        return false;
    }
    log_info("-incoming %s: device state restored", spec);
    return true;
}

/* ---- --nic ---- */

/* One emulated vif: its tap, its NIC, then the tap's plumbing. */
static bool machine_add_vif(Machine *m, const VifSpec *spec, GError **errp)
{
    g_autofree char *id = g_strdup_printf("vif%d", spec->devid);
    g_autofree char *what = g_strdup_printf("--nic devid %d", spec->devid);
    g_autofree char *netdev = NULL;
    g_autofree char *device = NULL;
    NetdevEntry *e;
    Plumb *p;
    char mac[18];

    /* emunet runs no scripts: plumbing is done below. */
    netdev = g_strdup_printf("tap,id=%s,ifname=%s,script=no,downscript=no", id,
                             spec->ifname);
    e = machine_new_netdev(m, what, netdev, errp);
    if (!e) {
        return false;
    }
    if (spec->rate_bytes) {
        net_backend_set_rate(e->be, spec->rate_bytes, spec->rate_usecs,
                             m->t->clock);
    }
    device = g_strdup_printf("%s,id=%s,netdev=%s,mac=%s", spec->model, id, id,
                             net_mac_format(&spec->mac, mac));
    if (!machine_add_device(m, device, errp)) {
        g_prefix_error(errp, "%s: ", what);
        return false;
    }
    p = plumb_attach(spec, spec->ifname, errp);
    if (!p) {
        g_prefix_error(errp, "%s: ", what);
        if (errp && *errp) {
            (*errp)->domain = MACHINE_ERROR;
            (*errp)->code = MACHINE_ERROR_SETUP;
        }
        return false;
    }
    g_ptr_array_add(m->plumbs, p);
    log_info("--nic devid %d: %s %s on tap %s", spec->devid, spec->model, mac,
             spec->ifname);
    return true;
}

static bool machine_add_nics(Machine *m, const MachineConfig *cfg,
                             GError **errp)
{
    g_autoptr(GPtrArray) specs =
        g_ptr_array_new_with_free_func((GDestroyNotify)vifspec_free);

    if (!cfg->nics || cfg->nics->len == 0) {
        return true;
    }
    for (guint i = 0; i < cfg->nics->len; i++) {
        const char *text = g_ptr_array_index(cfg->nics, i);
        VifSpec *spec = vifspec_parse(text, errp);

        if (!spec) {
            g_prefix_error(errp, "--nic %s: ", text);
            return false;
        }
        g_ptr_array_add(specs, spec);
    }
    if (!vifspec_finish_list((VifSpec *const *)specs->pdata, specs->len,
                             cfg->domid, errp)) {
        g_prefix_error(errp, "--nic: ");
        return false;
    }
    for (guint i = 0; i < specs->len; i++) {
        const VifSpec *spec = g_ptr_array_index(specs, i);

        /* type=vif: a PV vif only; it just holds its devid. */
        if (spec->emulated && !machine_add_vif(m, spec, errp)) {
            return false;
        }
    }
    return true;
}

/* ---- -object filter-dump ---- */

static bool machine_add_dump(Machine *m, const char *str, GError **errp)
{
    static const char *const keys[] = {"qom-type", "id",     "netdev",
                                       "file",     "maxlen", NULL};
    g_autofree char *what = g_strdup_printf("-object %s", str);
    g_autoptr(EmuOpts) opts = opts_parse(str, "qom-type", NULL, errp);
    const char *id, *netdev, *file;
    NetdevEntry *nd;
    uint64_t maxlen;

    if (!opts) {
        g_prefix_error(errp, "%s: ", what);
        return false;
    }
    if (!opts_check_known(opts, what, keys, errp)) {
        return false;
    }
    id = opts_get(opts, "id");
    netdev = opts_get(opts, "netdev");
    file = opts_get(opts, "file");
    if (!id || !*id || !netdev || !file || !*file) {
        return machine_usage_error(errp, what,
                                   "id=, netdev= and file= are "
                                   "required");
    }
    for (guint i = 0; i < m->dump_ids->len; i++) {
        if (strcmp(g_ptr_array_index(m->dump_ids, i), id) == 0) {
            return machine_usage_error(errp, what, "duplicate id '%s'", id);
        }
    }
    if (machine_find_ram(m, id)) {
        return machine_usage_error(errp, what, "duplicate id '%s'", id);
    }
    nd = machine_find_netdev(m, netdev);
    if (!nd) {
        return machine_usage_error(errp, what,
                                   "netdev '%s' not found (no -netdev or "
                                   "--nic with that id)",
                                   netdev);
    }
    if (nd->be->dump) {
        return machine_usage_error(
            errp, what, "netdev '%s' already has a filter-dump", netdev);
    }
    if (!opts_get_u64(opts, "maxlen", 0, true, &maxlen, errp)) {
        g_prefix_error(errp, "%s: ", what);
        return false;
    }
    if (maxlen > UINT32_MAX) {
        return machine_usage_error(errp, what, "maxlen too large");
    }
    if (!net_dump_attach(nd->be, file, (uint32_t)maxlen, errp)) {
        (*errp)->domain = MACHINE_ERROR;
        (*errp)->code = MACHINE_ERROR_SETUP;
        g_prefix_error(errp, "%s: ", what);
        return false;
    }
    g_ptr_array_add(m->dump_ids, g_strdup(id));
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
    m->running = true;
    m->backends = g_ptr_array_new_with_free_func(machine_ram_free);
    m->netdevs = g_ptr_array_new_with_free_func(machine_netdev_free);
    m->dev_ids = g_ptr_array_new_with_free_func(g_free);
    m->plumbs = g_ptr_array_new_with_free_func((GDestroyNotify)plumb_detach);
    m->dump_ids = g_ptr_array_new_with_free_func(g_free);
    m->default_net = g_strdup(cfg->default_net);
    m->devstate = devstate_new();
    m->handoff = machine_handoff_new(m);
    if (!machine_setup_ram(m, cfg, &ram, errp)) {
        goto fail;
    }
    m->iobus = iobus_new();
    if (cfg->xen) {
        /* May fill mac=/br= into the option strings from xenstore. */
        XenTransportConfig xcfg = {
            .domid = (uint32_t)cfg->domid,
            .netdevs = cfg->netdevs,
            .devices = cfg->devices,
            .vif_connected =
                cfg->handoff_on_pv_connect ? machine_vif_connected : NULL,
            .opaque = m,
        };

        m->t = xen_transport_new(&xcfg, m->iobus, &err);
    } else {
        qcfg.spec = cfg->qtest;
        qcfg.log = cfg->qtest_log;
        qcfg.ram = ram->base;
        qcfg.ram_size = ram->size;
        m->t = qtest_transport_new(&qcfg, m->iobus, &err);
    }
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
    if (!machine_check_default_net(m, errp)) {
        goto fail;
    }
    /* xenfv's platform device first: it takes slot 2 (contract 6). */
    if (cfg->xen_platform &&
        !machine_add_platform(m, NULL, "xen-platform", errp)) {
        goto fail;
    }
    for (guint i = 0; cfg->devices && i < cfg->devices->len; i++) {
        if (!machine_add_device(m, g_ptr_array_index(cfg->devices, i), errp)) {
            goto fail;
        }
    }
    if (cfg->platform_relay.hmp &&
        !machine_add_relay(m, &cfg->platform_relay, errp)) {
        goto fail;
    }
    /* After -device: an explicit addr= must not find its slot taken. */
    if (!machine_add_nics(m, cfg, errp)) {
        goto fail;
    }
    for (guint i = 0; cfg->objects && i < cfg->objects->len; i++) {
        const char *str = g_ptr_array_index(cfg->objects, i);

        if (machine_object_is_dump(str) && !machine_add_dump(m, str, errp)) {
            goto fail;
        }
    }
    /* Last: its section hands NICs off after theirs are restored. */
    devstate_register(m->devstate, HANDOFF_STATE_ID, &handoff_devstate_ops,
                      m->handoff);
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
    if (m->relay) {
        xen_relay_reset(m->relay);
    }
}

void machine_set_running(Machine *m, bool running)
{
    if (m->running == running) {
        return;
    }
    m->running = running;
    log_trace(LOG_CORE, "VM %s", running ? "runs" : "stopped");
    clock_set_running(m->t->clock, running);
    /* Running again: what waited (a tx_ready, held frames) goes now. */
    for (guint i = 0; i < m->netdevs->len; i++) {
        NetdevEntry *e = g_ptr_array_index(m->netdevs, i);

        net_backend_set_paused(e->be, !running);
    }
    /* Xen: the first run after -S records device-model state. */
    xen_transport_set_running(m->t, running);
}

void machine_free(Machine *m)
{
    if (!m) {
        return;
    }
    /* The taps' plumbing while they still exist (OVS keeps stale ports). */
    g_ptr_array_free(m->plumbs, TRUE);
    /* A vCPU waiting on the companion is answered while Xen still can. */
    xen_relay_free(m->relay);
    /* Devices first: they hold backends, IRQ lines and timers. */
    if (m->pci) {
        pci_bus_free(m->pci);
    }
    /* NICs handed off: before the transport, whose clock has their timers. */
    handoff_free(m->handoff);
    devstate_free(m->devstate);
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
    g_ptr_array_free(m->dump_ids, TRUE);
    g_free(m->default_net);
    g_free(m);
}

/* ---- query-emunet (core/qmp.c) ---- */

/* A JSON string (ids come from the command line: escape them). */
static void machine_json_str(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            g_string_append_c(out, '\\');
        }
        if ((unsigned char)*s < 0x20) {
            g_string_append_printf(out, "\\u%04x", (unsigned char)*s);
        } else {
            g_string_append_c(out, *s);
        }
    }
    g_string_append_c(out, '"');
}

char *machine_query_nics(Machine *m)
{
    GString *out = g_string_new("[");

    for (guint i = 0; m && i < m->netdevs->len; i++) {
        NetdevEntry *e = g_ptr_array_index(m->netdevs, i);
        const NetStats *ns = &e->be->stats;

        if (!e->user) {
            continue;
        }
        g_string_append(out, out->len > 1 ? ", {\"id\": " : "{\"id\": ");
        machine_json_str(out, e->user);
        g_string_append(out, ", \"netdev\": ");
        machine_json_str(out, e->be->id);
        g_string_append_printf(
            out,
            ", \"backend\": \"%s\", \"link-up\": %s, \"handed-off\": %s, "
            "\"tx-frames\": %" G_GUINT64_FORMAT ", "
            "\"tx-bytes\": %" G_GUINT64_FORMAT ", "
            "\"tx-drops\": %" G_GUINT64_FORMAT ", "
            "\"tx-errors\": %" G_GUINT64_FORMAT ", "
            "\"rx-frames\": %" G_GUINT64_FORMAT ", "
            "\"rx-bytes\": %" G_GUINT64_FORMAT ", "
            "\"rx-drops\": %" G_GUINT64_FORMAT ", "
            "\"rx-errors\": %" G_GUINT64_FORMAT "}",
            e->be->ops->type, e->be->link_up ? "true" : "false",
            machine_nic_unplugged(m, e->user) ? "true" : "false", ns->tx_frames,
            ns->tx_bytes, ns->tx_drops, ns->tx_errors, ns->rx_frames,
            ns->rx_bytes, ns->rx_drops, ns->rx_errors);
    }
    /* NICs handed off: their backends are closed (core/handoff.h). */
    for (guint i = 0; m && i < handoff_count(m->handoff); i++) {
        const char *id = handoff_nic_id(m->handoff, i);

        if (machine_nic_unplugged(m, id)) {
            g_string_append(out, out->len > 1 ? ", {\"id\": " : "{\"id\": ");
            machine_json_str(out, id);
            g_string_append(out, ", \"link-up\": false, "
                                 "\"handed-off\": true}");
        }
    }
    g_string_append_c(out, ']');
    return g_string_free(out, FALSE);
}
