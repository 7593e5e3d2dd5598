/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxl mode command line; see libxl-argv.h. The option list is QEMU
 * 7.2's (qemu-options.hx): which options take an argument decides how
 * the argv is walked, so an option emunet ignores never swallows or
 * leaves behind a word.
 */
#include <string.h>

#include "core/libxl-argv.h"
#include "emunet/opts.h"

/* Who an option belongs to. */
typedef enum LibxlOwner {
    OWN_COMPANION, /* passed on unchanged, ignored by emunet */
    OWN_BOTH,      /* read by emunet and passed on */
    OWN_EMUNET,    /* emunet's alone (NICs, QMP, emunet-only options) */
} LibxlOwner;

/*
 * QEMU 7.2's options (x86 system emulator, qemu-options.hx) that take an
 * argument, plus emunet's --companion...
 */
/* clang-format off */
static const char *const libxl_arg_opts[] = {
    "machine", "M", "cpu", "accel", "smp", "numa", "add-fd", "set",
    "global", "boot", "m", "mem-path", "k", "audiodev", "audio", "soundhw",
    "device", "name", "uuid", "fda", "fdb", "hda", "hdb", "hdc", "hdd",
    "cdrom", "blockdev", "drive", "mtdblock", "sd", "pflash", "fsdev",
    "virtfs", "virtfs_synth", "iscsi", "usbdevice", "display", "spice",
    "rotate", "vga", "g", "vnc", "acpitable", "smbios", "nic", "netdev",
    "net", "chardev", "tpmdev", "bt", "kernel", "append", "initrd", "dtb",
    "compat", "fw_cfg", "serial", "parallel", "monitor", "qmp",
    "qmp-pretty", "mon", "debugcon", "pidfile", "overcommit", "gdb", "d",
    "D", "seed", "L", "bios", "xen-domid", "action", "loadvm", "option-rom",
    "rtc", "icount", "watchdog", "watchdog-action", "echr", "incoming",
    "chroot", "runas", "prom-env", "semihosting-config", "sandbox",
    "readconfig", "trace", "plugin", "msg", "dump-vmstate", "object",
    "tb-size", "qtest", "qtest-log", "companion", NULL
};
/* clang-format on */

/* ...and those that do not. */
/* clang-format off */
static const char *const libxl_flag_opts[] = {
    "h", "help", "version", "mem-prealloc", "audio-help", "snapshot", "usb",
    "nographic", "curses", "alt-grab", "ctrl-grab", "sdl", "portrait",
    "full-screen", "win2k-hack", "no-fd-bootchk", "no-acpi", "no-hpet",
    "preconfig", "singlestep", "S", "s", "enable-kvm", "xen-attach",
    "xen-domid-restrict", "no-reboot", "no-shutdown", "daemonize",
    "only-migratable", "nodefaults", "semihosting", "old-param",
    "no-user-config", "enable-fips", "enable-sync-profile", "no-quit",
    "async-teardown", NULL
};
/* clang-format on */

/* NIC models emunet has; the error for others names them. */
static const char *const libxl_nic_models[] = {"e1000", "e1000-82540em",
                                               "rtl8139", NULL};
#define LIBXL_SUPPORTED_NICS "e1000, rtl8139"

/* QEMU NIC models: such a -device without netdev= would still be a NIC. */
/* clang-format off */
static const char *const libxl_qemu_nics[] = {
    "e1000", "e1000-82540em", "e1000-82544gc", "e1000-82545em", "e1000e",
    "rtl8139", "ne2k_pci", "pcnet", "i82550", "i82551", "i82557a",
    "i82557b", "i82557c", "i82558a", "i82558b", "i82559a", "i82559b",
    "i82559c", "i82559er", "i82562", "i82801", "virtio-net-pci",
    "virtio-net", "vmxnet3", "usb-net", "tulip", "igb", NULL
};
/* clang-format on */

/* One option occurrence as found in argv. */
typedef struct LibxlItem {
    const char *opt;  /* as written ("-device", "--qmp") */
    const char *name; /* without dashes */
    const char *arg;  /* or NULL */
    LibxlOwner owner;
    /* For NIC options: replacement text for emunet (owned), or NULL. */
    char *emunet_arg;
    const char *emunet_opt;
} LibxlItem;

/* An -net nic or -net tap found during the walk. */
typedef struct LibxlNetPart {
    guint item;
    char *vlan;
    EmuOpts *opts;
} LibxlNetPart;

typedef struct LibxlParse {
    GArray *items; /* LibxlItem */
    LibxlArgs *out;
    bool libxl_mode;
} LibxlParse;

static bool libxl_error(GError **errp, const LibxlItem *it, const char *fmt,
                        ...) G_GNUC_PRINTF(3, 4);

static bool libxl_error(GError **errp, const LibxlItem *it, const char *fmt,
                        ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (it->arg) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s %s: %s",
                    it->opt, it->arg, msg);
    } else {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: %s",
                    it->opt, msg);
    }
    g_free(msg);
    return false;
}

static bool libxl_in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; s && list[i]; i++) {
        if (strcmp(list[i], s) == 0) {
            return true;
        }
    }
    return false;
}

/* 1: takes an argument, 0: a flag, -1: not a QEMU option. */
static int libxl_opt_has_arg(const char *name)
{
    if (libxl_in_list(libxl_arg_opts, name)) {
        return 1;
    }
    return libxl_in_list(libxl_flag_opts, name) ? 0 : -1;
}

/* "-opt"/"--opt" -> "opt"; NULL when not an option word. */
static const char *libxl_opt_name(const char *word)
{
    if (word[0] != '-' || word[1] == '\0') {
        return NULL;
    }
    return word + (word[1] == '-' ? 2 : 1);
}

bool libxl_argv_detect(int argc, char *const *argv)
{
    for (int i = 1; i < argc; i++) {
        const char *name = libxl_opt_name(argv[i]);

        if (name && strcmp(name, "xen-domid") == 0) {
            return true;
        }
    }
    return false;
}

/* Split argv into items; no meaning attached yet. */
static bool libxl_walk(LibxlParse *p, int argc, char *const *argv,
                       GError **errp)
{
    for (int i = 1; i < argc; i++) {
        LibxlItem it = {.opt = argv[i], .owner = OWN_COMPANION};
        int has_arg;

        it.name = libxl_opt_name(argv[i]);
        if (!it.name) {
            /* QEMU's lone word is a disk image (-hda); libxl never
             * passes one. Leave it to the companion. */
            it.name = "";
            g_array_append_val(p->items, it);
            continue;
        }
        has_arg = libxl_opt_has_arg(it.name);
        if (has_arg >= 0 ? has_arg : i + 1 < argc && argv[i + 1][0] != '-') {
            if (i + 1 >= argc) {
                return libxl_error(errp, &it, "missing argument");
            }
            it.arg = argv[++i];
        }
        g_array_append_val(p->items, it);
    }
    return true;
}

static LibxlItem *libxl_item(LibxlParse *p, guint i)
{
    return &g_array_index(p->items, LibxlItem, i);
}

/* Parse an item's argument; errors name the item. */
static EmuOpts *libxl_opts_of(const LibxlItem *it, const char *implied,
                              GError **errp)
{
    GError *err = NULL;
    EmuOpts *o = opts_parse(it->arg, implied, NULL, &err);

    if (!o) {
        libxl_error(errp, it, "%s", err->message);
        g_error_free(err);
    }
    return o;
}

/* The -chardev ids used by QMP monitors (-mon ...,mode=control). */
static bool libxl_mark_monitors(LibxlParse *p, GPtrArray *qmp_ids,
                                GError **errp)
{
    for (guint i = 0; i < p->items->len; i++) {
        LibxlItem *it = libxl_item(p, i);
        g_autoptr(EmuOpts) o = NULL;
        const char *mode;

        if (strcmp(it->name, "qmp") == 0) {
            it->owner = OWN_EMUNET;
            continue;
        }
        if (strcmp(it->name, "mon") != 0) {
            continue;
        }
        o = libxl_opts_of(it, "chardev", errp);
        if (!o) {
            return false;
        }
        mode = opts_get(o, "mode");
        /* QEMU's default mode is readline (HMP): the companion's. */
        if (mode && strcmp(mode, "control") == 0 && opts_get(o, "chardev")) {
            it->owner = OWN_EMUNET;
            g_ptr_array_add(qmp_ids, g_strdup(opts_get(o, "chardev")));
        }
    }
    for (guint i = 0; i < p->items->len; i++) {
        LibxlItem *it = libxl_item(p, i);
        g_autoptr(EmuOpts) o = NULL;

        if (strcmp(it->name, "chardev") != 0) {
            continue;
        }
        o = libxl_opts_of(it, "backend", errp);
        if (!o) {
            return false;
        }
        if (libxl_in_list((const char *const *)qmp_ids->pdata,
                          opts_get(o, "id"))) {
            it->owner = OWN_EMUNET;
        }
    }
    return true;
}

static LibxlNic *libxl_nic_new(const char *model, const char *id,
                               const char *netdev_id, const char *mac)
{
    LibxlNic *nic = g_new0(LibxlNic, 1);

    nic->model = g_strdup(model);
    nic->id = g_strdup(id);
    nic->netdev_id = g_strdup(netdev_id);
    nic->mac = g_strdup(mac);
    return nic;
}

static void libxl_nic_free(gpointer data)
{
    LibxlNic *nic = data;

    g_free(nic->model);
    g_free(nic->id);
    g_free(nic->netdev_id);
    g_free(nic->mac);
    g_free(nic->ifname);
    g_free(nic->type);
    g_free(nic);
}

static bool libxl_check_model(const LibxlItem *it, const char *model,
                              GError **errp)
{
    if (!libxl_in_list(libxl_nic_models, model)) {
        return libxl_error(errp, it,
                           "NIC model '%s' is not supported by emunet "
                           "(supported: " LIBXL_SUPPORTED_NICS ")",
                           model ? model : "");
    }
    return true;
}

/*
 * -netdev (or -net tap) text for emunet: "type=TYPE,id=ID" and the given
 * keys less those in `drop`. An implied first element (no '=') is the
 * type, already written.
 */
static char *libxl_netdev_text(const char *type, const char *id,
                               const char *src, const char *const *drop)
{
    GString *out = g_string_new(NULL);
    g_auto(GStrv) parts = g_strsplit(src, ",", -1);

    g_string_append_printf(out, "type=%s,id=%s", type, id);
    for (guint i = 0; parts[i]; i++) {
        GString *piece = g_string_new(parts[i]);
        const char *eq;
        g_autofree char *key = NULL;

        /* ",," escapes a comma inside a value: rejoin those pieces. */
        while (parts[i + 1] && parts[i + 1][0] == '\0' && parts[i + 2]) {
            g_string_append_printf(piece, ",,%s", parts[i + 2]);
            i += 2;
        }
        eq = strchr(piece->str, '=');
        key = eq ? g_strndup(piece->str, (gsize)(eq - piece->str))
                 : g_strdup(piece->str);
        if (*piece->str && (eq || i > 0) && !libxl_in_list(drop, key)) {
            g_string_append_printf(out, ",%s", piece->str);
        }
        g_string_free(piece, TRUE);
    }
    return g_string_free(out, FALSE);
}

/* The -device / -netdev pairs. */
static bool libxl_mark_devices(LibxlParse *p, GError **errp)
{
    static const char *const drop_netdev[] = {"type", "id", "br", NULL};
    g_autoptr(GHashTable) netdevs =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    /* Every -netdev is a NIC backend: record where each id is. */
    for (guint i = 0; i < p->items->len; i++) {
        LibxlItem *it = libxl_item(p, i);
        g_autoptr(EmuOpts) o = NULL;
        const char *id;

        if (strcmp(it->name, "netdev") != 0) {
            continue;
        }
        o = libxl_opts_of(it, "type", errp);
        if (!o) {
            return false;
        }
        id = opts_get(o, "id");
        if (!id || !*id) {
            return libxl_error(errp, it, "missing id=");
        }
        if (g_hash_table_contains(netdevs, id)) {
            return libxl_error(errp, it, "duplicate id '%s'", id);
        }
        g_hash_table_insert(netdevs, g_strdup(id), GUINT_TO_POINTER(i + 1));
        it->owner = OWN_EMUNET;
    }
    for (guint i = 0; i < p->items->len; i++) {
        LibxlItem *it = libxl_item(p, i);
        g_autoptr(EmuOpts) o = NULL;
        g_autoptr(EmuOpts) no = NULL;
        const char *model, *nd;
        LibxlItem *nit;
        LibxlNic *nic;
        gpointer slot;

        if (strcmp(it->name, "device") != 0) {
            continue;
        }
        o = libxl_opts_of(it, "driver", errp);
        if (!o) {
            return false;
        }
        model = opts_get(o, "driver");
        nd = opts_get(o, "netdev");
        if (!nd) {
            if (libxl_in_list(libxl_qemu_nics, model)) {
                return libxl_error(
                    errp, it,
                    "a NIC needs netdev= naming its "
                    "-netdev (supported models: " LIBXL_SUPPORTED_NICS ")");
            }
            continue;
        }
        if (!libxl_check_model(it, model, errp)) {
            return false;
        }
        slot = g_hash_table_lookup(netdevs, nd);
        if (!slot) {
            return libxl_error(errp, it,
                               "netdev '%s' not found (no -netdev "
                               "with that id)",
                               nd);
        }
        if (GPOINTER_TO_UINT(slot) == G_MAXUINT) {
            return libxl_error(errp, it,
                               "netdev '%s' is used by another "
                               "NIC",
                               nd);
        }
        nit = libxl_item(p, GPOINTER_TO_UINT(slot) - 1);
        no = libxl_opts_of(nit, "type", errp);
        if (!no) {
            return false;
        }
        nic = libxl_nic_new(model, opts_get(o, "id"), nd, opts_get(o, "mac"));
        nic->type = g_strdup(opts_get(no, "type"));
        nic->ifname = g_strdup(opts_get(no, "ifname"));
        g_ptr_array_add(p->out->nics, nic);
        nit->emunet_arg = libxl_netdev_text(nic->type ? nic->type : "", nd,
                                            nit->arg, drop_netdev);
        g_hash_table_insert(netdevs, g_strdup(nd), GUINT_TO_POINTER(G_MAXUINT));
        it->owner = OWN_EMUNET;
    }
    /* A backend without its NIC would be an unconnected tap. */
    for (guint i = 0; i < p->items->len; i++) {
        LibxlItem *it = libxl_item(p, i);

        if (strcmp(it->name, "netdev") == 0 && !it->emunet_arg) {
            return libxl_error(errp, it,
                               "no NIC (-device ...,netdev=) "
                               "uses this -netdev");
        }
    }
    return true;
}

static void libxl_net_part_free(gpointer data)
{
    LibxlNetPart *np = data;

    g_free(np->vlan);
    opts_free(np->opts);
    g_free(np);
}

/* The older "-net nic" + "-net tap" form, paired on vlan=. */
static bool libxl_mark_net(LibxlParse *p, GError **errp)
{
    static const char *const drop_tap[] = {"type", "vlan", "bridge", "name",
                                           NULL};
    g_autoptr(GPtrArray) nics =
        g_ptr_array_new_with_free_func(libxl_net_part_free);
    g_autoptr(GPtrArray) taps =
        g_ptr_array_new_with_free_func(libxl_net_part_free);

    for (guint i = 0; i < p->items->len; i++) {
        LibxlItem *it = libxl_item(p, i);
        LibxlNetPart *np;
        const char *type;
        EmuOpts *o;

        if (strcmp(it->name, "net") != 0) {
            continue;
        }
        o = libxl_opts_of(it, "type", errp);
        if (!o) {
            return false;
        }
        type = opts_get(o, "type");
        if (type && strcmp(type, "none") == 0) {
            opts_free(o);
            continue;
        }
        np = g_new0(LibxlNetPart, 1);
        np->item = i;
        np->opts = o;
        np->vlan = g_strdup(opts_get(o, "vlan") ? opts_get(o, "vlan") : "0");
        if (type && strcmp(type, "nic") == 0) {
            g_ptr_array_add(nics, np);
        } else if (type && strcmp(type, "tap") == 0) {
            g_ptr_array_add(taps, np);
        } else {
            libxl_net_part_free(np);
            return libxl_error(errp, it,
                               "only -net nic, -net tap and -net "
                               "none are supported");
        }
        it->owner = OWN_EMUNET;
    }
    for (guint i = 0; i < nics->len; i++) {
        LibxlNetPart *n = g_ptr_array_index(nics, i);
        LibxlItem *it = libxl_item(p, n->item);
        const char *model = opts_get(n->opts, "model");
        const char *mac = opts_get(n->opts, "macaddr");
        g_autofree char *id = g_strdup_printf("nic%s", n->vlan);
        g_autofree char *nd = g_strdup_printf("net%s", n->vlan);
        LibxlNetPart *tap = NULL;
        LibxlNic *nic;

        /* QEMU's default model on a PC is e1000. */
        if (!model) {
            model = "e1000";
        }
        if (!libxl_check_model(it, model, errp)) {
            return false;
        }
        for (guint j = 0; j < taps->len; j++) {
            LibxlNetPart *t = g_ptr_array_index(taps, j);

            if (strcmp(t->vlan, n->vlan) == 0) {
                if (tap) {
                    return libxl_error(errp, libxl_item(p, t->item),
                                       "a second -net tap on vlan %s", t->vlan);
                }
                tap = t;
            }
        }
        for (guint j = 0; j < i; j++) {
            LibxlNetPart *o = g_ptr_array_index(nics, j);

            if (strcmp(o->vlan, n->vlan) == 0) {
                return libxl_error(errp, it, "a second -net nic on vlan %s",
                                   n->vlan);
            }
        }
        if (!tap) {
            return libxl_error(errp, it, "no -net tap on vlan %s", n->vlan);
        }
        nic = libxl_nic_new(model, id, nd, mac);
        nic->type = g_strdup("tap");
        nic->ifname = g_strdup(opts_get(tap->opts, "ifname"));
        nic->net_form = true;
        g_ptr_array_add(p->out->nics, nic);
        it->emunet_opt = "-device";
        it->emunet_arg =
            mac ? g_strdup_printf("%s,id=%s,netdev=%s,mac=%s", model, id, nd,
                                  mac)
                : g_strdup_printf("%s,id=%s,netdev=%s", model, id, nd);
        it = libxl_item(p, tap->item);
        it->emunet_opt = "-netdev";
        it->emunet_arg = libxl_netdev_text("tap", nd, it->arg, drop_tap);
    }
    for (guint j = 0; j < taps->len; j++) {
        LibxlNetPart *t = g_ptr_array_index(taps, j);

        if (!libxl_item(p, t->item)->emunet_arg) {
            return libxl_error(errp, libxl_item(p, t->item),
                               "no -net nic on vlan %s", t->vlan);
        }
    }
    return true;
}

/* Network filters on an emunet NIC would dangle in the companion. */
static bool libxl_check_objects(LibxlParse *p, GError **errp)
{
    for (guint i = 0; i < p->items->len; i++) {
        LibxlItem *it = libxl_item(p, i);
        g_autoptr(EmuOpts) o = NULL;
        const char *nd;

        if (strcmp(it->name, "object") != 0) {
            continue;
        }
        o = libxl_opts_of(it, "qom-type", errp);
        if (!o) {
            return false;
        }
        nd = opts_get(o, "netdev");
        for (guint j = 0; nd && j < p->out->nics->len; j++) {
            LibxlNic *nic = g_ptr_array_index(p->out->nics, j);

            if (strcmp(nic->netdev_id, nd) == 0) {
                return libxl_error(errp, it,
                                   "network filters (COLO) are not "
                                   "supported on emunet's NICs");
            }
        }
    }
    return true;
}

static bool libxl_parse_smp(LibxlParse *p, const LibxlItem *it, GError **errp)
{
    g_autoptr(EmuOpts) o = libxl_opts_of(it, "cpus", errp);
    uint64_t n;
    GError *err = NULL;

    if (!o) {
        return false;
    }
    if (!opts_get_u64(o, "cpus", 1, false, &n, &err)) {
        libxl_error(errp, it, "%s", err->message);
        g_error_free(err);
        return false;
    }
    p->out->smp_cpus = n >= 1 && n <= 4096 ? (unsigned)n : 1;
    return true;
}

/*
 * -device drivers that never take a PCI slot of their own (they sit on an
 * IDE, SCSI, USB or HDA bus). Any other companion -device is counted as
 * taking one: counting too many only leaves a slot empty.
 */
static bool libxl_device_maybe_pci(const char *driver)
{
    static const char *const buses[] = {"ide-", "scsi-", "usb-", "hda-",
                                        "isa-", NULL};

    if (!driver || strcmp(driver, "usb-ehci") == 0) {
        return true;
    }
    for (guint i = 0; buses[i]; i++) {
        if (g_str_has_prefix(driver, buses[i])) {
            return false;
        }
    }
    return strcmp(driver, "virtserialport") != 0 &&
           strcmp(driver, "virtconsole") != 0;
}

/*
 * PCI slots of emunet's NICs (addr=, unless given). The companion's xenfv
 * machine has the host bridge at 00:00.0, PIIX3 at 00:01.x (hvmloader
 * insists on finding PIIX3 there) and the Xen platform device at 00:02.0;
 * its own -device functions take the next slots in argv order
 * (xen-dm-contract.md §6). emunet's NICs go after all of them, so the
 * two device models never register the same SBDF with Xen (the newer
 * ioreq server would silently take it over). With only NICs after slot 2
 * (vga="none") or a VGA before them (the default), that is the slot QEMU
 * gives the NIC too.
 */
static bool libxl_assign_slots(LibxlParse *p, GError **errp)
{
    unsigned slot = 3;

    for (guint i = 0; i < p->items->len; i++) {
        LibxlItem *it = libxl_item(p, i);
        g_autoptr(EmuOpts) o = NULL;

        if (it->owner == OWN_COMPANION && strcmp(it->name, "device") == 0) {
            o = libxl_opts_of(it, "driver", errp);
            if (!o) {
                return false;
            }
            slot += libxl_device_maybe_pci(opts_get(o, "driver")) ? 1 : 0;
        }
    }
    for (guint i = 0; i < p->items->len; i++) {
        LibxlItem *it = libxl_item(p, i);
        const char *text = it->emunet_arg ? it->emunet_arg : it->arg;
        g_autoptr(EmuOpts) o = NULL;
        char *with_addr;

        if (it->owner != OWN_EMUNET ||
            strcmp(it->emunet_opt ? it->emunet_opt + 1 : it->name,
                   "device") != 0) {
            continue;
        }
        o = opts_parse(text, "driver", NULL, NULL);
        if (o && opts_get(o, "addr")) {
            continue;
        }
        if (slot > 0x1f) {
            return libxl_error(errp, it, "no free PCI slot left for the NIC");
        }
        with_addr = g_strdup_printf("%s,addr=0x%x", text, slot++);
        g_free(it->emunet_arg);
        it->emunet_arg = with_addr;
    }
    return true;
}

/* Options with a fixed owner and the values emunet records. */
static bool libxl_mark_simple(LibxlParse *p, GError **errp)
{
    static const char *const both[] = {"xen-domid", "xen-domid-restrict",
                                       "S",         "incoming",
                                       "chroot",    "runas",
                                       "sandbox",   NULL};
    static const char *const ours[] = {"qtest", "qtest-log", "companion", NULL};
    /* In qtest mode (no -xen-domid) main's own options stay main's. */
    static const char *const ours_qtest[] = {"trace", "nic", NULL};

    for (guint i = 0; i < p->items->len; i++) {
        LibxlItem *it = libxl_item(p, i);

        if (libxl_in_list(both, it->name)) {
            it->owner = OWN_BOTH;
        } else if (libxl_in_list(ours, it->name) ||
                   (!p->libxl_mode && libxl_in_list(ours_qtest, it->name))) {
            it->owner = OWN_EMUNET;
        } else if (strcmp(it->name, "daemonize") == 0) {
            return libxl_error(errp, it,
                               "the device model must stay in the "
                               "foreground (libxl waits for it)");
        } else if (strcmp(it->name, "nic") == 0) {
            return libxl_error(errp, it,
                               "QEMU's -nic shorthand is not "
                               "supported; use -device with "
                               "-netdev");
        }
        if (strcmp(it->name, "xen-domid") == 0) {
            guint64 v;

            if (!g_ascii_string_to_unsigned(it->arg, 10, 0, 0x7fef, &v, NULL)) {
                return libxl_error(errp, it, "expected a domain id");
            }
            p->out->domid = (int)v;
        } else if (strcmp(it->name, "S") == 0) {
            p->out->start_paused = true;
        } else if (strcmp(it->name, "incoming") == 0) {
            g_free(p->out->incoming);
            p->out->incoming = g_strdup(it->arg);
        } else if (strcmp(it->name, "companion") == 0) {
            g_free(p->out->companion);
            p->out->companion = g_strdup(it->arg);
        } else if (strcmp(it->name, "smp") == 0 &&
                   !libxl_parse_smp(p, it, errp)) {
            return false;
        }
    }
    return true;
}

static void libxl_build_emunet(LibxlParse *p, const char *argv0)
{
    GPtrArray *v = p->out->emunet_argv;

    g_ptr_array_add(v, g_strdup(argv0));
    for (guint i = 0; i < p->items->len; i++) {
        LibxlItem *it = libxl_item(p, i);

        if (it->owner == OWN_COMPANION) {
            continue;
        }
        g_ptr_array_add(v, g_strdup(it->emunet_opt ? it->emunet_opt : it->opt));
        if (it->emunet_arg) {
            g_ptr_array_add(v, g_strdup(it->emunet_arg));
        } else if (it->arg) {
            g_ptr_array_add(v, g_strdup(it->arg));
        }
    }
    g_ptr_array_add(v, NULL);
}

/*
 * The companion's arguments. Its QMP monitor is two NULL-free marker
 * slots ("\x01") filled in by libxl_argv_companion.
 */
static void libxl_build_companion(LibxlParse *p)
{
    GPtrArray *v = p->out->companion_args;
    bool have_net_none = false, placed_net = false, placed_qmp = false;

    for (guint i = 0; i < p->items->len; i++) {
        LibxlItem *it = libxl_item(p, i);

        if (strcmp(it->name, "net") == 0 && it->owner != OWN_EMUNET) {
            have_net_none = true;
        }
    }
    for (guint i = 0; i < p->items->len; i++) {
        LibxlItem *it = libxl_item(p, i);
        bool is_nic = strcmp(it->name, "device") == 0 ||
                      strcmp(it->name, "netdev") == 0 ||
                      strcmp(it->name, "net") == 0;
        bool is_qmp = strcmp(it->name, "mon") == 0 ||
                      strcmp(it->name, "qmp") == 0 ||
                      strcmp(it->name, "chardev") == 0;

        if (it->owner == OWN_EMUNET) {
            if (is_nic && !placed_net && !have_net_none) {
                g_ptr_array_add(v, g_strdup("-net"));
                g_ptr_array_add(v, g_strdup("none"));
                placed_net = true;
            }
            if (is_qmp && !placed_qmp) {
                g_ptr_array_add(v, g_strdup("\x01"));
                g_ptr_array_add(v, g_strdup("\x01"));
                placed_qmp = true;
            }
            continue;
        }
        g_ptr_array_add(v, g_strdup(it->opt));
        if (it->arg) {
            g_ptr_array_add(v, g_strdup(it->arg));
        }
    }
    if (!placed_qmp) {
        g_ptr_array_add(v, g_strdup("\x01"));
        g_ptr_array_add(v, g_strdup("\x01"));
    }
    if (!p->out->start_paused) {
        g_ptr_array_add(v, g_strdup("-S"));
    }
    g_ptr_array_add(v, NULL);
}

/* Without libxl: the companion gets only its QMP monitor and -S. */
static void libxl_build_companion_plain(LibxlParse *p)
{
    GPtrArray *v = p->out->companion_args;

    g_ptr_array_add(v, g_strdup("\x01"));
    g_ptr_array_add(v, g_strdup("\x01"));
    g_ptr_array_add(v, g_strdup("-S"));
    g_ptr_array_add(v, NULL);
}

LibxlArgs *libxl_argv_parse(int argc, char *const *argv, GError **errp)
{
    g_autoptr(LibxlArgs) out = g_new0(LibxlArgs, 1);
    g_autoptr(GPtrArray) qmp_ids =
        g_ptr_array_new_null_terminated(0, g_free, TRUE);
    LibxlParse p = {0};
    bool ok;

    out->domid = -1;
    out->smp_cpus = 1;
    out->nics = g_ptr_array_new_with_free_func(libxl_nic_free);
    out->emunet_argv = g_ptr_array_new_with_free_func(g_free);
    out->companion_args = g_ptr_array_new_with_free_func(g_free);
    out->libxl_mode = libxl_argv_detect(argc, argv);
    p.libxl_mode = out->libxl_mode;
    p.items = g_array_new(FALSE, TRUE, sizeof(LibxlItem));
    p.out = out;

    ok = libxl_walk(&p, argc, argv, errp) && libxl_mark_simple(&p, errp);
    if (ok && out->libxl_mode) {
        ok = libxl_mark_monitors(&p, qmp_ids, errp) &&
             libxl_mark_devices(&p, errp) && libxl_mark_net(&p, errp) &&
             libxl_check_objects(&p, errp) && libxl_assign_slots(&p, errp);
        if (ok) {
            libxl_build_emunet(&p, argc > 0 ? argv[0] : "emunet");
            libxl_build_companion(&p);
        }
    } else if (ok) {
        /* emunet's own command line: main reads it as it is. */
        for (int i = 0; i < argc; i++) {
            g_ptr_array_add(out->emunet_argv, g_strdup(argv[i]));
        }
        g_ptr_array_add(out->emunet_argv, NULL);
        libxl_build_companion_plain(&p);
    }
    for (guint i = 0; i < p.items->len; i++) {
        g_free(libxl_item(&p, i)->emunet_arg);
    }
    g_array_free(p.items, TRUE);
    return ok ? g_steal_pointer(&out) : NULL;
}

char **libxl_argv_companion(const LibxlArgs *args, const char *path, int qmp_fd)
{
    GPtrArray *v = g_ptr_array_new();
    bool first = true;

    g_ptr_array_add(v, g_strdup(path));
    for (guint i = 0; i + 1 < args->companion_args->len; i++) {
        const char *a = g_ptr_array_index(args->companion_args, i);

        if (strcmp(a, "\x01") != 0) {
            g_ptr_array_add(v, g_strdup(a));
        } else if (first) {
            g_ptr_array_add(v, g_strdup("-chardev"));
            g_ptr_array_add(v,
                            g_strdup_printf("socket,id=" LIBXL_COMPANION_QMP_ID
                                            ",fd=%d,server=on,wait=off",
                                            qmp_fd));
            g_ptr_array_add(v, g_strdup("-mon"));
            g_ptr_array_add(
                v, g_strdup("chardev=" LIBXL_COMPANION_QMP_ID ",mode=control"));
            first = false;
            i++;
        }
    }
    g_ptr_array_add(v, NULL);
    return (char **)g_ptr_array_free(v, FALSE);
}

void libxl_args_free(LibxlArgs *args)
{
    if (!args) {
        return;
    }
    g_free(args->incoming);
    g_free(args->companion);
    if (args->nics) {
        g_ptr_array_free(args->nics, TRUE);
    }
    if (args->emunet_argv) {
        g_ptr_array_free(args->emunet_argv, TRUE);
    }
    if (args->companion_args) {
        g_ptr_array_free(args->companion_args, TRUE);
    }
    g_free(args);
}
