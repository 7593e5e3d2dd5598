/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * emunet entry point: QEMU-style command line (one or two dashes), machine
 * assembly, QMP monitors, the main loop, signals and orderly shutdown.
 * Command-line errors print one line "emunet: <option>: <reason>" and
 * exit 2; the host refusing something (socket, file) exits 1.
 */
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/chardev.h"
#include "core/companion.h"
#include "core/depriv.h"
#include "core/libxl-argv.h"
#include "core/machine.h"
#include "core/qmp.h"
#include "emunet/devstate.h"
#include "emunet/log.h"
#include "emunet/opts.h"
#include "xen/transport-xen.h"

/* -m above this is refused: RAM is mapped whole at startup. */
#define MAIN_MAX_RAM (1ULL << 40)
/* QEMU rounds -m up to this. */
#define MAIN_RAM_ALIGN 8192

typedef enum MainOpt {
    OPT_QTEST,
    OPT_QTEST_LOG,
    OPT_XEN_DOMID,
    OPT_CHARDEV,
    OPT_MON,
    OPT_QMP,
    OPT_DISPLAY,
    OPT_AUDIO,
    OPT_ACCEL,
    OPT_MACHINE,
    OPT_NODEFAULTS,
    OPT_MEM,
    OPT_OBJECT,
    OPT_DEVICE,
    OPT_NETDEV,
    OPT_NIC,
    OPT_NET,
    OPT_TRACE,
    OPT_HELP,
    OPT_VERSION,
    /* libxl mode and deprivileging (core/libxl-argv.h, core/depriv.h). */
    OPT_COMPANION,
    OPT_S,
    OPT_INCOMING,
    OPT_XEN_RESTRICT,
    OPT_CHROOT,
    OPT_RUNAS,
    OPT_SANDBOX,
} MainOpt;

typedef struct MainOptDef {
    const char *name;
    MainOpt opt;
    bool has_arg;
} MainOptDef;

static const MainOptDef main_opts[] = {
    {"qtest", OPT_QTEST, true},
    {"qtest-log", OPT_QTEST_LOG, true},
    {"xen-domid", OPT_XEN_DOMID, true},
    {"domid", OPT_XEN_DOMID, true},
    {"chardev", OPT_CHARDEV, true},
    {"mon", OPT_MON, true},
    {"qmp", OPT_QMP, true},
    {"display", OPT_DISPLAY, true},
    {"audio", OPT_AUDIO, true},
    {"accel", OPT_ACCEL, true},
    {"machine", OPT_MACHINE, true},
    {"M", OPT_MACHINE, true},
    {"nodefaults", OPT_NODEFAULTS, false},
    {"m", OPT_MEM, true},
    {"object", OPT_OBJECT, true},
    {"device", OPT_DEVICE, true},
    {"netdev", OPT_NETDEV, true},
    {"nic", OPT_NIC, true},
    {"net", OPT_NET, true},
    {"trace", OPT_TRACE, true},
    {"help", OPT_HELP, false},
    {"h", OPT_HELP, false},
    {"version", OPT_VERSION, false},
    {"companion", OPT_COMPANION, true},
    {"S", OPT_S, false},
    {"incoming", OPT_INCOMING, true},
    {"xen-domid-restrict", OPT_XEN_RESTRICT, false},
    {"chroot", OPT_CHROOT, true},
    {"runas", OPT_RUNAS, true},
    {"sandbox", OPT_SANDBOX, true},
};

typedef struct MainState {
    MachineConfig cfg;
    GPtrArray *chardevs; /* Chardev * */
    GPtrArray *mon_ids;  /* char *: chardev ids with a QMP monitor */
    GPtrArray *monitors; /* QmpMonitor * */
    GMainLoop *loop;
    Machine *machine;
    bool have_qtest;
    bool have_domid;
    /* libxl mode: the split command line; the companion, if any. */
    LibxlArgs *largs;
    Companion *companion;
    DeprivConfig depriv;
    /* -incoming's argument, or NULL. */
    const char *incoming;
    /* With a companion: emunet's part of the -incoming fd:N file, read
     * before the companion starts, and that descriptor. */
    GBytes *incoming_blob;
    int incoming_fd;
    /* Exit status: 0, or the companion's when it ended the process. */
    int exit_status;
    /* The main loop has ended: companion replies still due are moot. */
    bool stopping;
} MainState;

static const char main_usage[] =
    "Usage: emunet [options]\n"
    "Emulated NICs for Xen HVM guests; QEMU-compatible qtest transport.\n"
    "\n"
    "  -qtest unix:PATH[,server=on|off][,wait=on|off]\n"
    "                        serve the qtest protocol (connects to PATH\n"
    "                        unless server=on)\n"
    "  -qtest-log FILE|none  log qtest traffic (default: stderr)\n"
    "  -xen-domid|--domid N  serve Xen HVM domain N as an ioreq server\n"
    "                        (without -qtest)\n"
    "  -chardev socket,id=ID,path=PATH[,server=on|off][,wait=on|off]\n"
    "  -mon chardev=ID,mode=control   QMP monitor on a chardev\n"
    "  -qmp unix:PATH[,server=on|off][,wait=on|off]\n"
    "  -machine|-M pc|q35[,accel=qtest][,memory-backend=ID]\n"
    "  -accel qtest          (the only accelerator without Xen)\n"
    "  -m SIZE               guest RAM (MiB without suffix; default 128M)\n"
    "  -object memory-backend-file,id=ID,size=SIZE,mem-path=PATH"
    "[,share=on|off]\n"
    "  -object memory-backend-memfd,id=ID,size=SIZE[,share=on|off]\n"
    "  -netdev TYPE,id=ID,...   host backend (socket, tap, user)\n"
    "  -net none|user[,OPTS]    network of a NIC without netdev=: a\n"
    "                        user-mode one of its own, by default with\n"
    "                        restrict=on (-net user,restrict=off lets\n"
    "                        the guest out); none: frames are dropped\n"
    "  --nic VIFSPEC         (repeatable) a NIC as an xl vif spec (mac=,\n"
    "                        bridge=BR[.VLAN][:TRUNK...], ip=, script=,\n"
    "                        model=, vifname=, rate=, mtu=, gatewaydev=,\n"
    "                        type=, devid=): its tap vif<domid>.<devid>-emu\n"
    "                        (or <vifname>-emu) is plumbed as the vif's\n"
    "                        hotplug script would, and undone at exit;\n"
    "                        the <domid> is --domid's, else 0\n"
    "  -device e1000|rtl8139,[id=ID][,netdev=ID][,mac=MAC][,addr=SLOT[.FN]]\n"
    "          [,romfile=FILE][,x-xen-oui=on|off]\n"
    "                        x-xen-oui=on: without mac=, generate a MAC in\n"
    "                        Xen's 00:16:3e OUI instead of a locally\n"
    "                        administered one\n"
    "  -device xen-platform[,addr=SLOT[.FN]][,x-blacklist=PROD/BUILD[:...]]\n"
    "                        the Xen platform device and unplug protocol\n"
    "                        (ports 0x10-0x1f): PV drivers hand NICs off\n"
    "  -incoming fd:N|file:PATH|PATH   restore device state at start\n"
    "  -display none, -nodefaults, -audio none   accepted for QEMU "
    "compatibility\n"
    "  -trace LIST           trace modules (e1000,pci,qtest,... or all);\n"
    "                        also $EMUNET_TRACE (libxl mode: -trace is\n"
    "                        the companion's)\n"
    "  --companion PATH|none device model for everything but the NICs\n"
    "                        (libxl mode: default $EMUNET_COMPANION, else\n"
    "                        " COMPANION_DEFAULT_PATH ")\n"
    "  -S                    start paused (prelaunch) until QMP cont\n"
    "  -chroot DIR, -runas USER|UID:GID, -sandbox on   drop privileges\n"
    "                        once everything is open\n"
    "  -xen-domid-restrict   restrict the Xen handles to the guest\n"
    "  In libxl mode (-xen-domid) every QEMU option is accepted; emunet\n"
    "  serves the -device/-netdev NICs and QMP, everything else goes to\n"
    "  the companion (core/libxl-argv.h).\n"
    "  -help, -version\n";

static void G_GNUC_NORETURN G_GNUC_PRINTF(2, 3)
    main_usage_error(const char *opt, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "emunet: %s: ", opt);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static void G_GNUC_NORETURN main_gerror_exit(GError *err, int status)
{
    fprintf(stderr, "emunet: %s\n", err->message);
    g_error_free(err);
    exit(status);
}

static void main_parse_mem(MainState *st, const char *arg)
{
    static const char *const known[] = {"size", "slots", "maxmem", NULL};
    g_autoptr(EmuOpts) opts = NULL;
    const char *size;
    uint64_t bytes;
    GError *err = NULL;

    opts = opts_parse(arg, "size", NULL, &err);
    if (!opts || !opts_check_known(opts, "-m", known, &err)) {
        main_usage_error("-m", "%s", err->message);
    }
    size = opts_get(opts, "size");
    if (!size) {
        main_usage_error("-m", "missing size");
    }
    if (!opts_parse_size(size, true, &bytes, &err)) {
        main_usage_error("-m", "%s", err->message);
    }
    if (bytes > MAIN_MAX_RAM) {
        main_usage_error("-m", "size '%s' is larger than 1T", size);
    }
    /* As QEMU: 0 means the default; sizes round up to 8 KiB. */
    st->cfg.ram_size =
        (bytes + MAIN_RAM_ALIGN - 1) & ~(uint64_t)(MAIN_RAM_ALIGN - 1);
}

static bool main_accel_ok(const char *accel)
{
    return strcmp(accel, "qtest") == 0;
}

static void main_parse_accel(const char *arg)
{
    static const char *const known[] = {"accel", NULL};
    g_autoptr(EmuOpts) opts = NULL;
    GError *err = NULL;
    const char *accel;

    opts = opts_parse(arg, "accel", NULL, &err);
    if (!opts || !opts_check_known(opts, "-accel", known, &err)) {
        main_usage_error("-accel", "%s", err->message);
    }
    accel = opts_get(opts, "accel");
    if (!accel || !main_accel_ok(accel)) {
        main_usage_error("-accel",
                         "'%s': only -accel qtest is supported "
                         "without Xen",
                         accel ? accel : "");
    }
}

/* pc, q35 and their versioned names (pc-i440fx-7.2, pc-q35-7.2). */
static bool main_machine_ok(const char *type)
{
    return strcmp(type, "pc") == 0 || strcmp(type, "q35") == 0 ||
           g_str_has_prefix(type, "pc-i440fx-") ||
           g_str_has_prefix(type, "pc-q35-");
}

static void main_parse_machine(MainState *st, const char *arg)
{
    static const char *const known[] = {"type", "accel", "memory-backend",
                                        NULL};
    g_autoptr(EmuOpts) opts = NULL;
    GError *err = NULL;
    const char *val;

    opts = opts_parse(arg, "type", NULL, &err);
    if (!opts || !opts_check_known(opts, "-machine", known, &err)) {
        main_usage_error("-machine", "%s", err->message);
    }
    val = opts_get(opts, "type");
    if (val && !main_machine_ok(val)) {
        main_usage_error("-machine",
                         "unsupported machine type '%s' "
                         "(pc and q35 are)",
                         val);
    }
    val = opts_get(opts, "accel");
    if (val && !main_accel_ok(val)) {
        main_usage_error("-machine",
                         "accel=%s: only -accel qtest is "
                         "supported without Xen",
                         val);
    }
    val = opts_get(opts, "memory-backend");
    if (val) {
        /* The string outlives the opts: the config keeps it to the end. */
        g_free((char *)st->cfg.memory_backend);
        st->cfg.memory_backend = g_strdup(val);
    }
}

static void main_parse_mon(MainState *st, const char *arg)
{
    static const char *const known[] = {"chardev", "mode", "pretty", NULL};
    g_autoptr(EmuOpts) opts = NULL;
    GError *err = NULL;
    const char *val;

    opts = opts_parse(arg, "chardev", NULL, &err);
    if (!opts || !opts_check_known(opts, "-mon", known, &err)) {
        main_usage_error("-mon", "%s", err->message);
    }
    val = opts_get(opts, "mode");
    if (!val || strcmp(val, "control") != 0) {
        main_usage_error("-mon", "only mode=control (QMP) is supported");
    }
    val = opts_get(opts, "chardev");
    if (!val || !*val) {
        main_usage_error("-mon", "missing chardev=");
    }
    g_ptr_array_add(st->mon_ids, g_strdup(val));
}

static Chardev *main_find_chardev(MainState *st, const char *id)
{
    for (guint i = 0; i < st->chardevs->len; i++) {
        Chardev *chr = g_ptr_array_index(st->chardevs, i);

        if (strcmp(chardev_id(chr), id) == 0) {
            return chr;
        }
    }
    return NULL;
}

static void main_add_chardev(MainState *st, const char *opt, Chardev *chr,
                             GError *err)
{
    if (!chr) {
        g_assert(err);
        fprintf(stderr, "emunet: %s\n", err->message);
        exit(2);
    }
    if (main_find_chardev(st, chardev_id(chr))) {
        main_usage_error(opt, "duplicate chardev id '%s'", chardev_id(chr));
    }
    g_ptr_array_add(st->chardevs, chr);
}

static void main_handle_opt(MainState *st, const MainOptDef *def,
                            const char *arg)
{
    GError *err = NULL;
    const char *p;

    switch (def->opt) {
    case OPT_QTEST:
        st->cfg.qtest = arg;
        st->have_qtest = true;
        break;
    case OPT_QTEST_LOG:
        st->cfg.qtest_log = arg;
        break;
    case OPT_XEN_DOMID: {
        guint64 v;

        /* DOMID_FIRST_RESERVED (0x7ff0) and up are not domains. */
        if (!g_ascii_string_to_unsigned(arg, 10, 1, 0x7fef, &v, NULL)) {
            main_usage_error("-xen-domid",
                             "'%s': expected a domain id from 1 to 32751", arg);
        }
        st->cfg.domid = (int)v;
        st->have_domid = true;
        break;
    }
    case OPT_CHARDEV: {
        Chardev *chr = chardev_new_opts(arg, &err);

        main_add_chardev(st, "-chardev", chr, err);
        break;
    }
    case OPT_MON:
        main_parse_mon(st, arg);
        break;
    case OPT_QMP: {
        g_autofree char *id = g_strdup_printf("qmp%u", st->chardevs->len);
        Chardev *chr = chardev_new_unix(arg, id, &err);

        main_add_chardev(st, "-qmp", chr, err);
        g_ptr_array_add(st->mon_ids, g_strdup(id));
        break;
    }
    case OPT_DISPLAY:
        if (strcmp(arg, "none") != 0) {
            main_usage_error("-display", "'%s': only 'none' is supported", arg);
        }
        break;
    case OPT_AUDIO:
        if (strcmp(arg, "none") != 0) {
            main_usage_error("-audio", "'%s': only 'none' is supported", arg);
        }
        break;
    case OPT_ACCEL:
        main_parse_accel(arg);
        break;
    case OPT_MACHINE:
        main_parse_machine(st, arg);
        break;
    case OPT_NODEFAULTS:
        break;
    case OPT_MEM:
        main_parse_mem(st, arg);
        break;
    case OPT_OBJECT:
        g_ptr_array_add(st->cfg.objects, (char *)arg);
        break;
    case OPT_DEVICE:
        g_ptr_array_add(st->cfg.devices, (char *)arg);
        break;
    case OPT_NETDEV:
        g_ptr_array_add(st->cfg.netdevs, (char *)arg);
        break;
    case OPT_NIC:
        g_ptr_array_add(st->cfg.nics, (char *)arg);
        break;
    case OPT_NET:
        st->cfg.default_net = arg;
        break;
    case OPT_TRACE:
        /* QEMU spells it -trace enable=PATTERN or -trace PATTERN. */
        p = g_str_has_prefix(arg, "enable=") ? arg + strlen("enable=") : arg;
        if (!log_enable_trace(p, &err)) {
            main_usage_error("-trace", "%s", err->message);
        }
        break;
    case OPT_HELP:
        fputs(main_usage, stdout);
        exit(0);
    case OPT_VERSION:
        printf("emunet %s\n", EMUNET_VERSION);
        exit(0);
    case OPT_COMPANION:
        /* Taken from the libxl-argv split (largs->companion). */
        break;
    case OPT_S:
        qmp_set_runstate(QMP_RUN_PRELAUNCH);
        break;
    case OPT_INCOMING:
        st->incoming = arg;
        break;
    case OPT_XEN_RESTRICT:
        st->depriv.xen_restrict = true;
        break;
    case OPT_CHROOT:
        depriv_set_chroot(&st->depriv, arg);
        break;
    case OPT_RUNAS:
        if (!depriv_parse_runas(&st->depriv, arg, &err)) {
            main_gerror_exit(err, 2);
        }
        break;
    case OPT_SANDBOX:
        if (!depriv_parse_sandbox(&st->depriv, arg, &err)) {
            main_gerror_exit(err, 2);
        }
        break;
    }
}

static void main_parse_args(MainState *st, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i];
        const MainOptDef *def = NULL;

        if (name[0] != '-' || name[1] == '\0') {
            main_usage_error(argv[i], "unexpected argument (options start "
                                      "with '-')");
        }
        name += name[1] == '-' ? 2 : 1;
        for (size_t j = 0; j < G_N_ELEMENTS(main_opts); j++) {
            if (strcmp(main_opts[j].name, name) == 0) {
                def = &main_opts[j];
                break;
            }
        }
        if (!def) {
            main_usage_error(argv[i], "unknown option (see --help)");
        }
        if (def->has_arg && i + 1 >= argc) {
            main_usage_error(argv[i], "missing argument");
        }
        main_handle_opt(st, def, def->has_arg ? argv[++i] : NULL);
    }
}

static void main_quit(void *opaque)
{
    MainState *st = opaque;

    for (guint i = 0; i < st->monitors->len; i++) {
        qmp_monitor_event(g_ptr_array_index(st->monitors, i), "SHUTDOWN",
                          "{\"guest\": false, \"reason\": "
                          "\"host-qmp-quit\"}");
    }
    g_main_loop_quit(st->loop);
}

static void main_system_reset(void *opaque)
{
    MainState *st = opaque;

    machine_reset(st->machine);
    for (guint i = 0; i < st->monitors->len; i++) {
        qmp_monitor_event(g_ptr_array_index(st->monitors, i), "RESET",
                          "{\"guest\": false, \"reason\": "
                          "\"host-qmp-system-reset\"}");
    }
}

static bool main_qmp_forward(void *opaque, QmpMonitor *mon, guint64 session,
                             const char *text, size_t len, const int *fds,
                             unsigned nfds)
{
    MainState *st = opaque;

    return st->companion &&
           companion_forward(st->companion, mon, session, text, len, fds, nfds);
}

static bool main_has_companion(void *opaque)
{
    MainState *st = opaque;

    return st->companion != NULL;
}

static void main_companion_reply(void *opaque, JsonObject *reply)
{
    const char *what = opaque;

    if (reply && json_object_has_member(reply, "error")) {
        JsonObject *e = json_object_get_object_member(reply, "error");

        log_error("companion: %s failed: %s", what,
                  e ? json_object_get_string_member_with_default(e, "desc", "?")
                    : "?");
    }
}

static bool main_companion_command(void *opaque, const char *execute,
                                   const char *args_json, int fd)
{
    MainState *st = opaque;

    /* `execute` is one of qmp-libxl.c's literals: it outlives the reply. */
    return st->companion &&
           companion_command_fd(st->companion, execute, args_json, fd,
                                main_companion_reply, (void *)execute);
}

static bool main_set_dirty_log(void *opaque, bool enable, GError **errp)
{
    MainState *st = opaque;

    return machine_set_dirty_log(st->machine, enable, errp);
}

static char *main_query_emunet(void *opaque)
{
    MainState *st = opaque;

    return machine_query_nics(st->machine);
}

static bool main_save_devices(void *opaque, int fd, const char *filename,
                              GError **errp)
{
    MainState *st = opaque;

    return machine_save_state(st->machine, fd, filename, errp);
}

static bool main_load_devices(void *opaque, int fd, const char *filename,
                              GError **errp)
{
    MainState *st = opaque;

    return machine_load_state(st->machine, fd, filename, errp);
}

static const QmpOps main_qmp_ops = {
    .system_reset = main_system_reset,
    .quit = main_quit,
    .forward = main_qmp_forward,
    .has_companion = main_has_companion,
    .companion_command = main_companion_command,
    .set_dirty_log = main_set_dirty_log,
    .query_emunet = main_query_emunet,
    .save_devices = main_save_devices,
    .load_devices = main_load_devices,
};

/* XenRelayOps.hmp: the companion's platform ports, through its HMP. */
static bool main_relay_hmp(void *opaque, const char *cmdline,
                           XenRelayReplyFn *fn, void *fn_opaque)
{
    MainState *st = opaque;

    return st->companion &&
           companion_hmp(st->companion, cmdline, fn, fn_opaque);
}

/* cont, stop, the companion's STOP/RESUME: the NICs follow. */
static void main_set_running(void *opaque, bool running)
{
    MainState *st = opaque;

    machine_set_running(st->machine, running);
}

/* The companion ended: so does emunet, with its status (QEMU-style). */
static void main_companion_exited(void *opaque, int status)
{
    MainState *st = opaque;

    st->exit_status = status;
    g_main_loop_quit(st->loop);
}

static void main_companion_cont_done(void *opaque, JsonObject *reply)
{
    MainState *st = opaque;

    /* Shutting down stops the companion before it could answer. */
    if (st->stopping) {
        return;
    }
    if (!reply || !json_object_has_member(reply, "return")) {
        log_error("companion: cont failed; stopping");
        st->exit_status = 1;
        g_main_loop_quit(st->loop);
    }
}

/*
 * libxl mode (or --companion): start the companion before the machine,
 * so that emunet's ioreq server is created after the companion's and
 * takes precedence for the ranges it claims (Xen picks the newest).
 */
static void main_start_companion(MainState *st)
{
    g_autofree char *path =
        companion_path(st->largs->companion, st->largs->libxl_mode);
    GError *err = NULL;

    if (!path) {
        return;
    }
    /*
     * -incoming fd:N: the companion's state starts the file, emunet's
     * blob and trailer end it (core/qmp-libxl.c). Read the blob now,
     * with pread from the trailer: the companion inherits the same open
     * file and reads its stream from the offset, which stays put. A bad
     * file is refused before the companion starts.
     */
    if (st->incoming && g_str_has_prefix(st->incoming, "fd:")) {
        g_autofree char *what = g_strdup_printf("-incoming %s", st->incoming);
        guint64 fd;

        if (!g_ascii_string_to_unsigned(st->incoming + 3, 10, 0, G_MAXINT, &fd,
                                        NULL) ||
            fcntl((int)fd, F_GETFD) < 0) {
            fprintf(stderr, "emunet: %s: not an open file descriptor\n", what);
            exit(1);
        }
        st->incoming_fd = (int)fd;
        st->incoming_blob = devstate_read_fd((int)fd, what, &err);
        if (!st->incoming_blob) {
            g_prefix_error(&err, "emunet's part of the saved state: ");
            main_gerror_exit(err, 1);
        }
    }
    st->companion = companion_start(path, st->largs, &err);
    if (!st->companion) {
        main_gerror_exit(err, err->domain == COMPANION_ERROR ? err->code : 1);
    }
    companion_set_exit_handler(st->companion, main_companion_exited, st);
    qmp_set_version(companion_version(st->companion));
    st->depriv.companion_pid = companion_pid(st->companion);
}

static gboolean main_on_signal(gpointer data)
{
    MainState *st = data;

    log_info("signal received, shutting down");
    g_main_loop_quit(st->loop);
    return G_SOURCE_CONTINUE;
}

static void main_setup_monitors(MainState *st)
{
    for (guint i = 0; i < st->mon_ids->len; i++) {
        const char *id = g_ptr_array_index(st->mon_ids, i);
        Chardev *chr = main_find_chardev(st, id);

        if (!chr) {
            main_usage_error("-mon",
                             "chardev '%s' not found (no -chardev "
                             "with that id)",
                             id);
        }
        for (guint j = 0; j < i; j++) {
            if (strcmp(g_ptr_array_index(st->mon_ids, j), id) == 0) {
                main_usage_error("-mon",
                                 "chardev '%s' already has a "
                                 "monitor",
                                 id);
            }
        }
        g_ptr_array_add(st->monitors, qmp_monitor_new(chr, &main_qmp_ops, st));
    }
}

int main(int argc, char **argv)
{
    MainState st = {0};
    GError *err = NULL;
    guint sigs[3];

    /* A peer that hangs up must surface as EPIPE, not kill the process. */
    signal(SIGPIPE, SIG_IGN);
    /*
     * Under dm_restrict libxl caps RLIMIT_FSIZE at 256 KiB (contract 7):
     * a long log must fail its writes (EFBIG), not kill the device model.
     */
    signal(SIGXFSZ, SIG_IGN);

    st.cfg.objects = g_ptr_array_new();
    st.cfg.devices = g_ptr_array_new();
    st.cfg.netdevs = g_ptr_array_new();
    st.cfg.nics = g_ptr_array_new();
    st.chardevs = g_ptr_array_new_with_free_func((GDestroyNotify)chardev_free);
    st.mon_ids = g_ptr_array_new_with_free_func(g_free);
    st.monitors =
        g_ptr_array_new_with_free_func((GDestroyNotify)qmp_monitor_free);

    /* libxl's argv: emunet's share goes to main's parser below. */
    st.largs = libxl_argv_parse(argc, argv, &err);
    if (!st.largs) {
        main_gerror_exit(err, 2);
    }
    argc = (int)st.largs->emunet_argv->len - 1;
    argv = (char **)st.largs->emunet_argv->pdata;
    main_parse_args(&st, argc, argv);
    /*
     * In libxl mode -trace belongs to the companion (it is QEMU's), so
     * emunet's own trace modules can also come from the environment.
     */
    if (getenv("EMUNET_TRACE") &&
        !log_enable_trace(getenv("EMUNET_TRACE"), &err)) {
        main_usage_error("EMUNET_TRACE", "%s", err->message);
    }
    if (!st.have_qtest && !st.have_domid) {
        fprintf(stderr, "emunet: no transport: use -qtest or -xen-domid\n");
        libxl_args_free(st.largs);
        return 2;
    }
    /* With -qtest, --domid only names things (taps); alone it is Xen. */
    st.cfg.xen = st.have_domid && !st.have_qtest;
    st.depriv.xen = st.cfg.xen;
    main_setup_monitors(&st);
    for (guint i = 0; st.largs->libxl_mode && i < st.monitors->len; i++) {
        qmp_monitor_set_crlf(g_ptr_array_index(st.monitors, i), true);
    }
    qmp_set_cpus(st.largs->smp_cpus);
    if (st.largs->start_paused && st.incoming) {
        qmp_set_runstate(QMP_RUN_PAUSED);
    }

    st.loop = g_main_loop_new(NULL, FALSE);
    /*
     * Before anything another process can observe (the companion, the
     * qtest and QMP sockets): a SIGHUP from libxl or a test that has seen
     * us start must find the handler, never the default action.
     */
    sigs[0] = g_unix_signal_add(SIGTERM, main_on_signal, &st);
    sigs[1] = g_unix_signal_add(SIGINT, main_on_signal, &st);
    sigs[2] = g_unix_signal_add(SIGHUP, main_on_signal, &st);
    main_start_companion(&st);
    /*
     * Without a companion emunet is the whole xenfv platform; with one,
     * the platform device is the companion's and its unplug ports are
     * passed through to it.
     */
    st.cfg.xen_platform = st.largs->libxl_mode && !st.companion;
    if (st.companion) {
        st.cfg.platform_relay =
            (XenRelayOps){.hmp = main_relay_hmp, .opaque = &st};
    }
    /* Beside a device model emunet did not start: PV connect hands off. */
    st.cfg.handoff_on_pv_connect =
        st.cfg.xen && !st.largs->libxl_mode && !st.companion;
    st.machine = machine_new(&st.cfg, st.loop, &err);
    if (!st.machine) {
        main_gerror_exit(err, machine_error_status(err));
    }
    /* -S, or -S with -incoming: the NICs wait for cont. */
    machine_set_running(st.machine, qmp_get_runstate() == QMP_RUN_RUNNING);
    qmp_set_run_handler(main_set_running, &st);
    if (st.incoming_blob) {
        g_autofree char *what = g_strdup_printf("-incoming %s", st.incoming);

        if (!machine_load_state_bytes(st.machine, st.incoming_blob, what,
                                      &err)) {
            main_gerror_exit(err, 1);
        }
        g_clear_pointer(&st.incoming_blob, g_bytes_unref);
        /* The companion has its own copy of the descriptor. */
        close(st.incoming_fd);
    } else if (st.incoming && st.companion) {
        /* tcp:, unix:, exec:, defer: the companion's migration alone. */
        log_info("-incoming %s: the companion restores its devices; "
                 "emunet's NICs start from power-on state",
                 st.incoming);
    } else if (st.incoming &&
               !machine_load_incoming(st.machine, st.incoming, &err)) {
        main_gerror_exit(err, 1);
    }
    for (guint i = 0; i < st.chardevs->len; i++) {
        if (!chardev_open(g_ptr_array_index(st.chardevs, i), NULL, &err)) {
            main_gerror_exit(err, 1);
        }
    }
    if (!machine_start(st.machine, &err)) {
        main_gerror_exit(err, machine_error_status(err));
    }
    /* emunet's NICs are up: the companion may run (and report running). */
    if (st.companion && !st.largs->start_paused &&
        !companion_command(st.companion, "cont", NULL, main_companion_cont_done,
                           &st)) {
        fprintf(stderr, "emunet: companion: QMP connection lost\n");
        exit(1);
    }
    if (!depriv_apply(&st.depriv, &err)) {
        main_gerror_exit(err, 1);
    }

    g_main_loop_run(st.loop);
    st.stopping = true;

    for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++) {
        g_source_remove(sigs[i]);
    }
    /* Replies already queued (a QMP "quit") still reach their client. */
    for (guint i = 0; i < st.chardevs->len; i++) {
        chardev_flush(g_ptr_array_index(st.chardevs, i), 1000);
    }
    qmp_set_run_handler(NULL, NULL);
    companion_free(st.companion);
    st.companion = NULL;
    machine_free(st.machine);
    g_ptr_array_free(st.monitors, TRUE);
    g_ptr_array_free(st.chardevs, TRUE);
    g_ptr_array_free(st.mon_ids, TRUE);
    g_ptr_array_free(st.cfg.objects, TRUE);
    g_ptr_array_free(st.cfg.devices, TRUE);
    g_ptr_array_free(st.cfg.netdevs, TRUE);
    g_ptr_array_free(st.cfg.nics, TRUE);
    g_free((char *)st.cfg.memory_backend);
    g_main_loop_unref(st.loop);
    depriv_config_clear(&st.depriv);
    libxl_args_free(st.largs);
    /* A Xen transport that failed at run time makes it a failure. */
    return st.exit_status ? st.exit_status : xen_transport_exit_status();
}
