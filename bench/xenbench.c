/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xenbench: emunet's e1000 through the Xen ioreq path (the production
 * binary on xen-sim, the benchmark playing the guest's vCPU) next to the
 * same emunet over qtest, with the same driver (nic.c) and workloads:
 * the round trip of one MMIO register access, and TX packets/s. QEMU can
 * be added over qtest only (it cannot run on xen-sim). Reports medians
 * of N runs as markdown on stdout; progress goes to stderr. It measures,
 * it never judges. See bench/README.md ("The ioreq path").
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "dm.h"
#include "nic.h"
#include "xdm.h"

#ifndef XENBENCH_EMUNET
#define XENBENCH_EMUNET "emunet"
#endif
#ifndef XENBENCH_LIBDIR
#define XENBENCH_LIBDIR "."
#endif

#define MAX_RUNS 15
/* Calibration runs last at least this long; counts aim a little long. */
#define CALIB_MIN_S 0.3
#define CALIB_MARGIN 1.25
#define CALIB_TRIES 6
/* QEMU's firmware has settled when two windows use less CPU than this. */
#define SETTLE_WINDOW_S 0.25
#define SETTLE_MAX_FRAC 0.10
#define SETTLE_MAX_S 60.0
/* QEMU's e1000 takes no frames for about 1 s after an RCTL write. */
#define RCTL_QUIET_US 2000000
/* e1000 registers the MMIO rows access (8254x SDM table 13-2). */
#define REG_STATUS 0x00008
#define REG_IMC 0x000d8

typedef enum RowKind {
    ROW_MMIO_READ,
    ROW_MMIO_WRITE,
    ROW_PACKETS,
} RowKind;

typedef struct Row {
    const char *label;
    const char *key;
    RowKind kind;
    NicDir dir;
    bool tso;
    unsigned len;
    uint64_t calib;
    bool dflt;
} Row;

static const Row rows[] = {
    {"MMIO read (STATUS)", "mmio-read", ROW_MMIO_READ, NIC_TX, false, 0, 4096,
     true},
    {"MMIO write (IMC)", "mmio-write", ROW_MMIO_WRITE, NIC_TX, false, 0, 4096,
     true},
    {"TX 64 B", "tx64", ROW_PACKETS, NIC_TX, false, 64, 16384, true},
    {"TX 1514 B", "tx1514", ROW_PACKETS, NIC_TX, false, 1514, 16384, true},
    {"TX 64 KiB TSO", "tso", ROW_PACKETS, NIC_TX, true, NIC_TSO_LEN, 256, true},
    {"RX 64 B", "rx64", ROW_PACKETS, NIC_RX, false, 64, 16384, false},
    {"RX 1514 B", "rx1514", ROW_PACKETS, NIC_RX, false, 1514, 16384, false},
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

typedef enum SideKind {
    SIDE_XEN,
    SIDE_QTEST,
    SIDE_QEMU,
    N_SIDES,
} SideKind;

/* Simulator requests counted per run (xen-sim side only). */
typedef enum XbOp {
    XB_OP_NOTIFY,
    XB_OP_MAP,
    XB_OP_ALL,
    N_XB_OPS,
} XbOp;

typedef struct XbRun {
    /* Accesses or packets. */
    uint64_t ops;
    double wall_s;
    /* Device-model CPU over the run (all threads), ns. */
    uint64_t dm_ns;
    /* This process's CPU: the vCPU, the client, and xen-sim itself. */
    uint64_t self_ns;
    uint64_t lost;
    uint64_t bad;
    uint64_t calls[N_XB_OPS];
} XbRun;

typedef struct Opts {
    int runs;
    double min_wall;
    double idle_s;
    bool side_on[N_SIDES];
    bool row_on[N_ROWS];
} Opts;

typedef struct Side {
    const char *name;
    SideKind kind;
    bool up;
    XenDm xdm;
    Dm qdm;
    /* &xdm.dm or &qdm. */
    Dm *dm;
    Nic nic;
    double idle_frac;
    bool idle_ok;
    /* QEMU: its TCG vCPU idling in SeaBIOS is not NIC work. */
    bool subtract_idle;
    uint64_t count[N_ROWS];
    XbRun runs[N_ROWS][MAX_RUNS];
    int nruns[N_ROWS];
} Side;

static const char *const side_keys[N_SIDES] = {"xen", "qtest", "qemu"};
static bool use_schedstat;
static long clk_tck;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: xenbench [options]\n"
            "  --sides LIST   comma-separated subset of xen,qtest,qemu "
            "(default xen,qtest)\n"
            "                 xen: emunet on xen-sim (ioreq path); qtest: "
            "emunet over qtest;\n"
            "                 qemu: QEMU over qtest (it cannot run on "
            "xen-sim)\n"
            "  --rows LIST    subset of mmio-read,mmio-write,tx64,tx1514,"
            "tso,rx64,rx1514\n"
            "                 (default: all but the RX rows)\n"
            "  --runs N       measured runs per row and side (default 5)\n"
            "  --min-wall S   a run lasts at least S s (default 1)\n"
            "  --idle S       idle-CPU sampling time (default 2)\n"
            "emunet: $EMUNET_BINARY, else %s\n"
            "xen-sim libraries: $XENSIM_LIBDIR, else %s\n"
            "QEMU: $QEMU_BINARY, else qemu-system-x86_64 from PATH\n",
            XENBENCH_EMUNET, XENBENCH_LIBDIR);
}

/* Set on[i] for each comma-separated key of `list` found in keys[]. */
static int parse_list(const char *list, const char *const *keys, size_t n,
                      bool *on)
{
    char *copy = strdup(list);
    char *save = NULL;
    int ret = 0;

    memset(on, 0, n * sizeof(*on));
    for (char *t = strtok_r(copy, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        size_t i;

        for (i = 0; i < n && strcmp(keys[i], t) != 0; i++) {
        }
        if (i == n) {
            fprintf(stderr, "xenbench: unknown '%s'\n", t);
            ret = -1;
            break;
        }
        on[i] = true;
    }
    free(copy);
    return ret;
}

static int parse_opts(Opts *o, int argc, char **argv)
{
    static const struct option longs[] = {
        {"sides", required_argument, NULL, 's'},
        {"rows", required_argument, NULL, 'r'},
        {"runs", required_argument, NULL, 'n'},
        {"min-wall", required_argument, NULL, 'w'},
        {"idle", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *row_keys[N_ROWS];
    int c;

    *o = (Opts){.runs = 5,
                .min_wall = 1.0,
                .idle_s = 2.0,
                .side_on = {true, true, false}};
    for (size_t i = 0; i < N_ROWS; i++) {
        row_keys[i] = rows[i].key;
        o->row_on[i] = rows[i].dflt;
    }
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 's':
            if (parse_list(optarg, side_keys, N_SIDES, o->side_on) < 0) {
                return -1;
            }
            break;
        case 'r':
            if (parse_list(optarg, row_keys, N_ROWS, o->row_on) < 0) {
                return -1;
            }
            break;
        case 'n':
            o->runs = atoi(optarg);
            break;
        case 'w':
            o->min_wall = atof(optarg);
            break;
        case 'i':
            o->idle_s = atof(optarg);
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (o->runs < 1 || o->runs > MAX_RUNS || o->min_wall <= 0 ||
        o->idle_s <= 0 || optind != argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

/* ---- CPU accounting ---- */

/* sum_exec_runtime (ns) of one /proc schedstat file, or -1. */
static int schedstat_ns(const char *path, uint64_t *ns)
{
    unsigned long long v;
    FILE *f = fopen(path, "re");
    int n;

    if (!f) {
        return -1;
    }
    n = fscanf(f, "%llu", &v);
    fclose(f);
    if (n != 1) {
        return -1;
    }
    *ns = v;
    return 0;
}

/*
 * CPU of every thread of `pid` in ns: /proc/PID/task/TID/schedstat has
 * nanosecond resolution (a thread that exits takes its share along;
 * emunet's threads live as long as it does). Without schedstat, the
 * process's utime+stime in clock ticks.
 */
static int cpu_ns(const Dm *dm, uint64_t *ns)
{
    char path[64];
    struct dirent *e;
    uint64_t sum = 0, ticks;
    DIR *d;

    if (!use_schedstat) {
        if (dm_cpu_ticks(dm, &ticks) < 0) {
            return -1;
        }
        *ns = ticks * (1000000000ull / (uint64_t)clk_tck);
        return 0;
    }
    snprintf(path, sizeof(path), "/proc/%d/task", (int)dm->pid);
    d = opendir(path);
    if (!d) {
        return -1;
    }
    while ((e = readdir(d))) {
        char file[sizeof(path) + sizeof(e->d_name) + 16];
        uint64_t v;

        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(file, sizeof(file), "%s/%s/schedstat", path, e->d_name);
        if (schedstat_ns(file, &v) == 0) {
            sum += v;
        }
    }
    closedir(d);
    *ns = sum;
    return 0;
}

static uint64_t self_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void xen_calls(Side *s, uint64_t *calls)
{
    uint64_t all = 0;

    memset(calls, 0, N_XB_OPS * sizeof(*calls));
    if (s->kind != SIDE_XEN) {
        return;
    }
    for (int op = XENSIM_OP_NONE + 1; op < XENSIM_OP__COUNT; op++) {
        if (op != XENSIM_OP_EVTCHN_PENDING) {
            all += xdm_op_count(&s->xdm, (XenSimOp)op);
        }
    }
    calls[XB_OP_NOTIFY] = xdm_op_count(&s->xdm, XENSIM_OP_EVTCHN_NOTIFY);
    calls[XB_OP_MAP] = xdm_op_count(&s->xdm, XENSIM_OP_FMEM_MAP);
    calls[XB_OP_ALL] = all;
}

/* CPU fraction of one CPU each side uses over `secs` of sleep. */
static void sample_idle(Side *sides, double secs)
{
    uint64_t c0[N_SIDES] = {0};
    double w0 = dm_now(), wall;

    fprintf(stderr, "sampling idle CPU for %.1f s\n", secs);
    for (int i = 0; i < N_SIDES; i++) {
        sides[i].idle_ok = sides[i].up && cpu_ns(sides[i].dm, &c0[i]) == 0;
    }
    usleep((useconds_t)(secs * 1e6));
    wall = dm_now() - w0;
    for (int i = 0; i < N_SIDES; i++) {
        uint64_t c1;

        if (sides[i].idle_ok && cpu_ns(sides[i].dm, &c1) == 0) {
            sides[i].idle_frac = (double)(c1 - c0[i]) * 1e-9 / wall;
        } else {
            sides[i].idle_ok = false;
        }
    }
}

/* QEMU runs SeaBIOS first; it has settled when two windows are quiet. */
static int settle_firmware(Side *s)
{
    double t0 = dm_now();
    int quiet = 0;

    while (quiet < 2) {
        uint64_t a, b;
        double w0 = dm_now();

        if (dm_now() - t0 > SETTLE_MAX_S || cpu_ns(s->dm, &a) < 0) {
            return -1;
        }
        usleep((useconds_t)(SETTLE_WINDOW_S * 1e6));
        if (cpu_ns(s->dm, &b) < 0) {
            return -1;
        }
        quiet = (double)(b - a) * 1e-9 / (dm_now() - w0) < SETTLE_MAX_FRAC
                    ? quiet + 1
                    : 0;
    }
    fprintf(stderr, "%s: firmware settled after %.1f s\n", s->name,
            dm_now() - t0);
    return 0;
}

/* ---- sides ---- */

static void side_stop(Side *s)
{
    if (s->kind == SIDE_XEN) {
        if (xdm_stop(&s->xdm) < 0) {
            fprintf(stderr, "%s: did not stop cleanly\n", s->name);
        }
    } else {
        dm_stop(&s->qdm);
    }
    s->up = false;
}

static void side_fail(Side *s, const char *what)
{
    fprintf(stderr, "%s: %s failed; no further measurements of it\n", s->name,
            what);
    side_stop(s);
}

static int side_start(Side *s, const char *emunet, const char *qemu,
                      const char *libdir)
{
    static const char *const emunet_extra[] = {"-accel", "qtest", "-qtest-log",
                                               "none", NULL};
    static const char *const qemu_extra[] = {
        "-accel",          "tcg",      "-nodefaults",
        "-no-user-config", "-display", "none",
        "-qtest-log",      "none",     NULL};
    int rc;

    fprintf(stderr, "starting %s\n", s->name);
    switch (s->kind) {
    case SIDE_XEN:
        s->dm = &s->xdm.dm;
        rc = xdm_start(&s->xdm, s->name, emunet, libdir);
        break;
    case SIDE_QTEST:
        s->dm = &s->qdm;
        rc = dm_start(&s->qdm, s->name, emunet, emunet_extra);
        break;
    default:
        s->dm = &s->qdm;
        rc = dm_start(&s->qdm, s->name, qemu, qemu_extra);
        break;
    }
    if (rc < 0) {
        fprintf(stderr, "%s: could not start\n", s->name);
        return -1;
    }
    s->up = true;
    fprintf(stderr, "%s: pid %d, ready after %.1f ms\n", s->name,
            (int)s->dm->pid, s->dm->ready_s * 1e3);
    if (s->kind == SIDE_QEMU && settle_firmware(s) < 0) {
        side_fail(s, "firmware settling");
        return -1;
    }
    return 0;
}

/* `count` accesses to one register, each a full round trip. */
static int side_mmio(Side *s, const Row *r, uint64_t count)
{
    uint64_t base = s->nic.mmio;

    for (uint64_t i = 0; i < count; i++) {
        uint32_t v;
        int rc = r->kind == ROW_MMIO_READ
                     ? dm_readl(s->dm, base + REG_STATUS, &v)
                     : dm_writel(s->dm, base + REG_IMC, 0xffffffffu);

        if (rc < 0) {
            return -1;
        }
    }
    return 0;
}

/* One measured run; on failure the side is stopped. */
static int side_run(Side *s, const Row *r, uint64_t count, XbRun *run)
{
    uint64_t c0, c1, s0, k0[N_XB_OPS], k1[N_XB_OPS];
    double t0;
    NicRun nr;
    int rc;

    memset(run, 0, sizeof(*run));
    xen_calls(s, k0);
    if (cpu_ns(s->dm, &c0) < 0) {
        side_fail(s, "CPU sampling");
        return -1;
    }
    s0 = self_ns();
    t0 = dm_now();
    if (r->kind == ROW_PACKETS) {
        rc = nic_run(&s->nic, r->dir, r->tso, r->len, count, &nr);
        run->wall_s = nr.wall_s;
        run->lost = nr.lost;
        run->bad = nr.bad;
    } else {
        rc = side_mmio(s, r, count);
        run->wall_s = dm_now() - t0;
    }
    run->self_ns = self_ns() - s0;
    if (rc < 0 || cpu_ns(s->dm, &c1) < 0) {
        side_fail(s, r->label);
        return -1;
    }
    xen_calls(s, k1);
    for (int i = 0; i < N_XB_OPS; i++) {
        run->calls[i] = k1[i] - k0[i];
    }
    run->ops = count;
    run->dm_ns = c1 - c0;
    if (run->lost || run->bad) {
        fprintf(stderr, "%s: %s: %llu lost, %llu bad\n", s->name, r->label,
                (unsigned long long)run->lost, (unsigned long long)run->bad);
    }
    return 0;
}

/* Device-model CPU of a run, without QEMU's idle vCPU. */
static double run_dm_s(const Side *s, const XbRun *run)
{
    double cpu = (double)run->dm_ns * 1e-9;

    if (s->subtract_idle && s->idle_ok) {
        cpu -= s->idle_frac * run->wall_s;
    }
    return cpu > 0 ? cpu : 0;
}

/* Warm up, then choose a count that lasts about min_wall. */
static int calibrate(Side *s, const Opts *o, size_t ri)
{
    const Row *r = &rows[ri];
    uint64_t count = r->calib;
    XbRun run;

    for (int i = 0;; i++) {
        if (side_run(s, r, count, &run) < 0) {
            return -1;
        }
        fprintf(stderr, "%s: %s: calibration run of %llu: %.3f s\n", s->name,
                r->label, (unsigned long long)count, run.wall_s);
        if ((run.wall_s >= CALIB_MIN_S && i > 0) || i == CALIB_TRIES) {
            break;
        }
        if (run.wall_s < CALIB_MIN_S) {
            double scale = run.wall_s > 0.01
                               ? CALIB_MARGIN * CALIB_MIN_S / run.wall_s
                               : 16;

            count = (uint64_t)((double)count * scale) + 1;
        }
    }
    count =
        (uint64_t)((double)run.ops / run.wall_s * o->min_wall * CALIB_MARGIN);
    if (r->kind == ROW_PACKETS) {
        count = (count + NIC_BATCH - 1) / NIC_BATCH * NIC_BATCH;
    }
    s->count[ri] = count ? count : NIC_BATCH;
    return 0;
}

static void measure(Side *sides, const Opts *o)
{
    for (size_t ri = 0; ri < N_ROWS; ri++) {
        const Row *r = &rows[ri];

        if (!o->row_on[ri]) {
            continue;
        }
        for (int i = 0; i < N_SIDES; i++) {
            if (sides[i].up) {
                calibrate(&sides[i], o, ri);
            }
        }
        /* Alternate the sides run by run, so that drift hits all. */
        for (int k = 0; k < o->runs; k++) {
            for (int i = 0; i < N_SIDES; i++) {
                Side *s = &sides[i];
                XbRun *run = &s->runs[ri][s->nruns[ri]];

                if (!s->up || side_run(s, r, s->count[ri], run) < 0) {
                    continue;
                }
                s->nruns[ri]++;
                fprintf(stderr,
                        "%s: %s run %d/%d: %.0f /s, %.0f ns DM CPU per "
                        "op\n",
                        s->name, r->label, k + 1, o->runs,
                        (double)run->ops / run->wall_s,
                        run_dm_s(s, run) / (double)run->ops * 1e9);
            }
        }
    }
}

/* ---- report ---- */

typedef struct Stat {
    bool ok;
    /* Per second, and per op: wall ns, device-model and own CPU ns. */
    double rate;
    double wall_ns;
    double dm_ns;
    double self_ns;
    double calls[N_XB_OPS];
    /* The spread over the runs (the machine may be shared). */
    double rate_min;
    double rate_max;
    double dm_min;
    double dm_max;
    uint64_t lost;
    uint64_t bad;
} Stat;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static Stat row_stat(const Side *s, size_t ri)
{
    Stat st = {.ok = s->nruns[ri] > 0};
    double rate[MAX_RUNS], dm[MAX_RUNS], self[MAX_RUNS];
    double calls[N_XB_OPS][MAX_RUNS];
    int n = s->nruns[ri];

    for (int i = 0; i < n; i++) {
        const XbRun *run = &s->runs[ri][i];
        double ops = (double)run->ops;

        rate[i] = ops / run->wall_s;
        dm[i] = run_dm_s(s, run) / ops * 1e9;
        self[i] = (double)run->self_ns / ops;
        for (int k = 0; k < N_XB_OPS; k++) {
            calls[k][i] = (double)run->calls[k] / ops;
        }
        st.lost += run->lost;
        st.bad += run->bad;
    }
    if (!st.ok) {
        return st;
    }
    st.rate = median(rate, n);
    st.rate_min = rate[0];
    st.rate_max = rate[n - 1];
    st.wall_ns = 1e9 / st.rate;
    st.dm_ns = median(dm, n);
    st.dm_min = dm[0];
    st.dm_max = dm[n - 1];
    st.self_ns = median(self, n);
    for (int k = 0; k < N_XB_OPS; k++) {
        st.calls[k] = median(calls[k], n);
    }
    return st;
}

static void fmt_num(char *buf, size_t n, double v)
{
    char digits[32];
    int len, out = 0;

    snprintf(digits, sizeof(digits), "%.0f", v);
    len = (int)strlen(digits);
    for (int i = 0; i < len && out + 2 < (int)n; i++) {
        if (i > 0 && (len - i) % 3 == 0) {
            buf[out++] = ',';
        }
        buf[out++] = digits[i];
    }
    buf[out] = '\0';
}

static void host_line(void)
{
    struct utsname u;
    char line[256], model[160] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "re");

    while (f && fgets(line, sizeof(line), f)) {
        if (sscanf(line, "model name : %159[^\n]", model) == 1) {
            break;
        }
    }
    if (f) {
        fclose(f);
    }
    uname(&u);
    printf("Host: %s, %ld CPUs, Linux %s, load average at the end: ", model,
           sysconf(_SC_NPROCESSORS_ONLN), u.release);
    f = fopen("/proc/loadavg", "re");
    if (f && fgets(line, sizeof(line), f)) {
        line[strcspn(line, " ")] = '\0';
        printf("%s.\n", line);
    } else {
        printf("n/a.\n");
    }
    if (f) {
        fclose(f);
    }
}

/* One table: the MMIO rows (mmio) or the packet rows. */
static void print_table(Side *sides, const Opts *o, bool mmio)
{
    bool any = false;

    for (size_t ri = 0; ri < N_ROWS; ri++) {
        any |= o->row_on[ri] && (rows[ri].kind != ROW_PACKETS) == mmio;
    }
    if (!any) {
        return;
    }
    printf("| %s |", mmio ? "access" : "row");
    for (int i = 0; i < N_SIDES; i++) {
        if (o->side_on[i]) {
            printf(mmio ? " %s ns/round trip | %s DM CPU ns |"
                        : " %s pkt/s | %s DM CPU µs/pkt |",
                   sides[i].name, sides[i].name);
        }
    }
    printf("%s\n|---|", o->side_on[SIDE_XEN] && o->side_on[SIDE_QTEST]
                            ? " CPU ratio ioreq/qtest |"
                            : "");
    for (int i = 0; i < N_SIDES; i++) {
        if (o->side_on[i]) {
            printf("---:|---:|");
        }
    }
    printf("%s\n",
           o->side_on[SIDE_XEN] && o->side_on[SIDE_QTEST] ? "---:|" : "");
    for (size_t ri = 0; ri < N_ROWS; ri++) {
        Stat st[N_SIDES];

        if (!o->row_on[ri] || (rows[ri].kind != ROW_PACKETS) != mmio) {
            continue;
        }
        printf("| %s |", rows[ri].label);
        for (int i = 0; i < N_SIDES; i++) {
            char a[32] = "n/a", b[32] = "n/a";

            st[i] = row_stat(&sides[i], ri);
            if (!o->side_on[i]) {
                continue;
            }
            if (st[i].ok && mmio) {
                fmt_num(a, sizeof(a), st[i].wall_ns);
                fmt_num(b, sizeof(b), st[i].dm_ns);
            } else if (st[i].ok) {
                fmt_num(a, sizeof(a), st[i].rate);
                snprintf(b, sizeof(b), "%.3f", st[i].dm_ns * 1e-3);
            }
            printf(" %s | %s |", a, b);
        }
        if (o->side_on[SIDE_XEN] && o->side_on[SIDE_QTEST]) {
            if (st[SIDE_XEN].ok && st[SIDE_QTEST].ok &&
                st[SIDE_QTEST].dm_ns > 0) {
                printf(" %.2f |", st[SIDE_XEN].dm_ns / st[SIDE_QTEST].dm_ns);
            } else {
                printf(" n/a |");
            }
        }
        printf("\n");
    }
    printf("\n");
}

static void print_details(Side *sides, const Opts *o)
{
    Side *x = &sides[SIDE_XEN];

    if (x->up || o->side_on[SIDE_XEN]) {
        printf("xen-sim side, per access or packet: requests emunet's Xen "
               "libraries made to the simulator (evtchn notify; foreign "
               "maps; all), and the CPU of this process (vCPU + simulated "
               "hypervisor):\n\n");
        printf("| row | notify | foreign map | all library requests | "
               "vCPU + xen-sim CPU ns |\n|---|---:|---:|---:|---:|\n");
        for (size_t ri = 0; ri < N_ROWS; ri++) {
            Stat st = row_stat(x, ri);

            if (o->row_on[ri] && st.ok) {
                char c[32];

                fmt_num(c, sizeof(c), st.self_ns);
                printf("| %s | %.3f | %.4f | %.3f | %s |\n", rows[ri].label,
                       st.calls[XB_OP_NOTIFY], st.calls[XB_OP_MAP],
                       st.calls[XB_OP_ALL], c);
            }
        }
        printf("\n");
    }
    printf("Spread over the runs (ops per run; round trip ns or pkt/s and "
           "DM CPU per op, min-max; for the MMIO rows, this process's CPU "
           "ns per access: the qtest client's, or the vCPU's and "
           "xen-sim's):\n\n");
    printf("| row | side | ops/run | ns/round trip or pkt/s | DM CPU ns/op "
           "| client CPU ns |\n|---|---|---:|---:|---:|---:|\n");
    for (size_t ri = 0; ri < N_ROWS; ri++) {
        for (int i = 0; i < N_SIDES; i++) {
            Stat st = row_stat(&sides[i], ri);
            bool mmio = rows[ri].kind != ROW_PACKETS;
            char c[32] = "-";

            if (!o->row_on[ri] || !st.ok) {
                continue;
            }
            if (mmio) {
                fmt_num(c, sizeof(c), st.self_ns);
            }
            printf("| %s | %s | %llu | %.0f-%.0f | %.0f-%.0f | %s |",
                   rows[ri].label, sides[i].name,
                   (unsigned long long)sides[i].count[ri],
                   mmio ? 1e9 / st.rate_max : st.rate_min,
                   mmio ? 1e9 / st.rate_min : st.rate_max, st.dm_min, st.dm_max,
                   c);
            if (st.lost || st.bad) {
                printf(" %llu frames lost, %llu bad",
                       (unsigned long long)st.lost, (unsigned long long)st.bad);
            }
            printf("\n");
        }
    }
    printf("\nIdle CPU before the runs:");
    for (int i = 0; i < N_SIDES; i++) {
        if (sides[i].idle_ok) {
            printf(" %s %.2f%%%s;", sides[i].name, sides[i].idle_frac * 100,
                   sides[i].subtract_idle ? " (subtracted)" : "");
        }
    }
    printf("\n");
}

static void print_report(Side *sides, const Opts *o)
{
    printf("# e1000: the ioreq path (emunet on xen-sim) and qtest\n\n");
    host_line();
    printf("Median of %d runs per row and side. CPU: the device model's, "
           "all threads (%s), per access or packet (TSO: per 64 KiB send "
           "of %d segments).\n\n",
           o->runs,
           use_schedstat ? "/proc/PID/task/*/schedstat, ns"
                         : "utime+stime, 10 ms ticks",
           NIC_TSO_SEGS);
    print_table(sides, o, true);
    print_table(sides, o, false);
    print_details(sides, o);
}

int main(int argc, char **argv)
{
    static Side sides[N_SIDES] = {
        {.name = "ioreq (xen-sim)", .kind = SIDE_XEN},
        {.name = "qtest", .kind = SIDE_QTEST},
        {.name = "QEMU qtest", .kind = SIDE_QEMU, .subtract_idle = true},
    };
    const char *emunet = getenv("EMUNET_BINARY");
    const char *qemu = getenv("QEMU_BINARY");
    const char *libdir = getenv("XENSIM_LIBDIR");
    bool rx = false;
    uint64_t probe;
    Opts o;

    if (parse_opts(&o, argc, argv) < 0) {
        return 2;
    }
    clk_tck = sysconf(_SC_CLK_TCK);
    use_schedstat = schedstat_ns("/proc/self/schedstat", &probe) == 0;
    emunet = emunet && *emunet ? emunet : XENBENCH_EMUNET;
    qemu = qemu && *qemu ? qemu : "qemu-system-x86_64";
    libdir = libdir && *libdir ? libdir : XENBENCH_LIBDIR;
    dm_cleanup_install();
    for (int i = 0; i < N_SIDES; i++) {
        if (o.side_on[i] && side_start(&sides[i], emunet, qemu, libdir) == 0 &&
            nic_setup(&sides[i].nic, sides[i].dm) < 0) {
            side_fail(&sides[i], "NIC setup");
        }
    }
    sample_idle(sides, o.idle_s);
    for (size_t ri = 0; ri < N_ROWS; ri++) {
        rx |= o.row_on[ri] && rows[ri].dir == NIC_RX &&
              rows[ri].kind == ROW_PACKETS;
    }
    if (rx && sides[SIDE_QEMU].up) {
        usleep(RCTL_QUIET_US);
    }
    measure(sides, &o);
    print_report(sides, &o);
    for (int i = 0; i < N_SIDES; i++) {
        if (sides[i].up) {
            side_stop(&sides[i]);
        }
    }
    return 0;
}
