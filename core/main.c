/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * emunet entry point: QEMU-style command line (one or two dashes), machine
 * assembly, QMP monitors, the main loop, signals and orderly shutdown.
 * Command-line errors print one line "emunet: <option>: <reason>" and
 * exit 2; the host refusing something (socket, file) exits 1.
 */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chardev.h"
#include "core/machine.h"
#include "core/qmp.h"
#include "emunet/log.h"
#include "emunet/opts.h"

/* -m above this is refused: RAM is mapped whole at startup. */
#define MAIN_MAX_RAM (1ULL << 40)
/* QEMU rounds -m up to this. */
#define MAIN_RAM_ALIGN 8192

typedef enum MainOpt {
    OPT_QTEST,
    OPT_QTEST_LOG,
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
    OPT_TRACE,
    OPT_HELP,
    OPT_VERSION,
} MainOpt;

typedef struct MainOptDef {
    const char *name;
    MainOpt opt;
    bool has_arg;
} MainOptDef;

static const MainOptDef main_opts[] = {
    {"qtest", OPT_QTEST, true},
    {"qtest-log", OPT_QTEST_LOG, true},
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
    {"trace", OPT_TRACE, true},
    {"help", OPT_HELP, false},
    {"h", OPT_HELP, false},
    {"version", OPT_VERSION, false},
};

typedef struct MainState {
    MachineConfig cfg;
    GPtrArray *chardevs; /* Chardev * */
    GPtrArray *mon_ids;  /* char *: chardev ids with a QMP monitor */
    GPtrArray *monitors; /* QmpMonitor * */
    GMainLoop *loop;
    Machine *machine;
    bool have_qtest;
} MainState;

static const char main_usage[] =
    "Usage: emunet [options]\n"
    "Emulated NICs for Xen HVM guests; QEMU-compatible qtest transport.\n"
    "\n"
    "  -qtest unix:PATH[,server=on|off][,wait=on|off]\n"
    "                        serve the qtest protocol (connects to PATH\n"
    "                        unless server=on)\n"
    "  -qtest-log FILE|none  log qtest traffic (default: stderr)\n"
    "  -chardev socket,id=ID,path=PATH[,server=on|off][,wait=on|off]\n"
    "  -mon chardev=ID,mode=control   QMP monitor on a chardev\n"
    "  -qmp unix:PATH[,server=on|off][,wait=on|off]\n"
    "  -machine|-M pc|q35[,accel=qtest][,memory-backend=ID]\n"
    "  -accel qtest          (the only accelerator without Xen)\n"
    "  -m SIZE               guest RAM (MiB without suffix; default 128M)\n"
    "  -object memory-backend-file,id=ID,size=SIZE,mem-path=PATH"
    "[,share=on|off]\n"
    "  -object memory-backend-memfd,id=ID,size=SIZE[,share=on|off]\n"
    "  -netdev TYPE,id=ID,...   host backend (socket, ...)\n"
    "  -device e1000|rtl8139,[id=ID][,netdev=ID][,mac=MAC][,addr=SLOT[.FN]]\n"
    "          [,romfile=FILE][,x-xen-oui=on|off]\n"
    "                        x-xen-oui=on: without mac=, generate a MAC in\n"
    "                        Xen's 00:16:3e OUI instead of a locally\n"
    "                        administered one\n"
    "  -display none, -nodefaults, -audio none   accepted for QEMU "
    "compatibility\n"
    "  -trace LIST           trace modules (e1000,pci,qtest,... or all)\n"
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

static const QmpOps main_qmp_ops = {
    .system_reset = main_system_reset,
    .quit = main_quit,
};

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

    st.cfg.objects = g_ptr_array_new();
    st.cfg.devices = g_ptr_array_new();
    st.cfg.netdevs = g_ptr_array_new();
    st.chardevs = g_ptr_array_new_with_free_func((GDestroyNotify)chardev_free);
    st.mon_ids = g_ptr_array_new_with_free_func(g_free);
    st.monitors =
        g_ptr_array_new_with_free_func((GDestroyNotify)qmp_monitor_free);

    main_parse_args(&st, argc, argv);
    if (!st.have_qtest) {
        fprintf(stderr, "emunet: no transport: use -qtest (Xen support "
                        "comes with -xen-domid)\n");
        return 2;
    }
    main_setup_monitors(&st);

    st.loop = g_main_loop_new(NULL, FALSE);
    st.machine = machine_new(&st.cfg, st.loop, &err);
    if (!st.machine) {
        main_gerror_exit(err, machine_error_status(err));
    }
    for (guint i = 0; i < st.chardevs->len; i++) {
        if (!chardev_open(g_ptr_array_index(st.chardevs, i), NULL, &err)) {
            main_gerror_exit(err, 1);
        }
    }
    if (!machine_start(st.machine, &err)) {
        main_gerror_exit(err, machine_error_status(err));
    }

    sigs[0] = g_unix_signal_add(SIGTERM, main_on_signal, &st);
    sigs[1] = g_unix_signal_add(SIGINT, main_on_signal, &st);
    sigs[2] = g_unix_signal_add(SIGHUP, main_on_signal, &st);

    g_main_loop_run(st.loop);

    for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++) {
        g_source_remove(sigs[i]);
    }
    /* Replies already queued (a QMP "quit") still reach their client. */
    for (guint i = 0; i < st.chardevs->len; i++) {
        chardev_flush(g_ptr_array_index(st.chardevs, i), 1000);
    }
    machine_free(st.machine);
    g_ptr_array_free(st.monitors, TRUE);
    g_ptr_array_free(st.chardevs, TRUE);
    g_ptr_array_free(st.mon_ids, TRUE);
    g_ptr_array_free(st.cfg.objects, TRUE);
    g_ptr_array_free(st.cfg.devices, TRUE);
    g_ptr_array_free(st.cfg.netdevs, TRUE);
    g_free((char *)st.cfg.memory_backend);
    g_main_loop_unref(st.loop);
    return 0;
}
