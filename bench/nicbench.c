/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nicbench: emunet's e1000 against QEMU's own e1000, driven by the same
 * client in one run. Both device models get the same shared guest RAM
 * file, the same socketpair netdev and the same qtest commands; the
 * benchmark is the guest driver and the wire. It reports packets/s and
 * the device model's own CPU time per packet (median of N runs), its
 * resident memory and its startup time, as a markdown table on stdout.
 * Progress and diagnostics go to stderr. It never judges the numbers.
 *
 * See bench/README.md for the method.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "dm.h"
#include "nic.h"
#include "rtl.h"

#ifndef NICBENCH_EMUNET
#define NICBENCH_EMUNET "emunet"
#endif

#define MAX_RUNS 15
#define N_DMS 2
/* QEMU's firmware has settled when a window uses less CPU than this. */
#define SETTLE_WINDOW_S 0.25
#define SETTLE_MAX_FRAC 0.10
#define SETTLE_MIN_S 1.0
#define SETTLE_MAX_S 60.0
/* Time to let pass after RX is enabled, before any run. */
#define RCTL_QUIET_S 2
/* Calibration runs last at least this long. */
#define CALIB_MIN_S 0.4
#define CALIB_MARGIN 1.25

typedef struct Row {
    const char *label;
    const char *key;
    NicDir dir;
    bool tso;
    unsigned len;
    /* First calibration count. */
    uint64_t calib;
    /* rtl8139 rows (--nic rtl8139): the mode; tso is a C+ large send. */
    RtlMode rtl;
} Row;

static const Row rows[] = {
    {"TX 64 B", "tx64", NIC_TX, false, 64, 16384, RTL_MODE_NONE},
    {"TX 1514 B", "tx1514", NIC_TX, false, 1514, 16384, RTL_MODE_NONE},
    {"TX 64 KiB TSO", "tso", NIC_TX, true, NIC_TSO_LEN, 256, RTL_MODE_NONE},
    {"RX 64 B", "rx64", NIC_RX, false, 64, 16384, RTL_MODE_NONE},
    {"RX 1514 B", "rx1514", NIC_RX, false, 1514, 16384, RTL_MODE_NONE},
    {"C TX 64 B", "ctx64", NIC_TX, false, 64, 16384, RTL_MODE_C},
    {"C TX 1514 B", "ctx1514", NIC_TX, false, 1514, 16384, RTL_MODE_C},
    {"C RX 64 B", "crx64", NIC_RX, false, 64, 16384, RTL_MODE_C},
    {"C RX 1514 B", "crx1514", NIC_RX, false, 1514, 16384, RTL_MODE_C},
    {"C+ TX 64 B", "cptx64", NIC_TX, false, 64, 16384, RTL_MODE_CPLUS},
    {"C+ TX 1514 B", "cptx1514", NIC_TX, false, 1514, 16384, RTL_MODE_CPLUS},
    {"C+ TX 64 KiB large send", "cplso", NIC_TX, true, RTL_LSO_LEN, 256,
     RTL_MODE_CPLUS},
    {"C+ RX 64 B", "cprx64", NIC_RX, false, 64, 16384, RTL_MODE_CPLUS},
    {"C+ RX 1514 B", "cprx1514", NIC_RX, false, 1514, 16384, RTL_MODE_CPLUS},
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

typedef struct Opts {
    int runs;
    double min_wall;
    double min_cpu;
    double max_wall;
    double idle_s;
    bool deferred_clear;
    /* The rtl8139 rows instead of the e1000 ones (--nic rtl8139). */
    bool rtl;
    bool want[N_DMS];
    bool row_on[N_ROWS];
} Opts;

/* One device model and everything measured about it. */
typedef struct Side {
    const char *name;
    bool want;
    bool up;
    Dm dm;
    Nic nic;
    Rtl rtl;
    /* CPU seconds per wall second while idle (before the runs). */
    double idle_frac;
    bool idle_ok;
    /* Subtract idle_frac from this side's CPU (QEMU's firmware vCPU). */
    bool subtract_idle;
    double settle_s;
    uint64_t count[N_ROWS];
    NicRun runs[N_ROWS][MAX_RUNS];
    int nruns[N_ROWS];
    DmMem mem;
    bool have_mem;
} Side;

static long clk_tck;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nicbench [options]\n"
            "  --only emunet|qemu  run one device model only\n"
            "  --nic e1000|rtl8139 the NIC model and its rows (default "
            "e1000)\n"
            "  --rows LIST         comma-separated subset of "
            "tx64,tx1514,tso,rx64,rx1514\n"
            "                      (rtl8139: ctx64,ctx1514,crx64,crx1514,"
            "cptx64,\n"
            "                      cptx1514,cplso,cprx64,cprx1514)\n"
            "  --runs N            measured runs per row (default 5)\n"
            "  --min-wall S        a run lasts at least S s (default 1)\n"
            "  --min-cpu S         ... and uses S s of DM CPU if it can "
            "(default 1)\n"
            "  --max-wall S        ... but no more than S s (default 10)\n"
            "  --idle S            idle-CPU sampling time (default 3)\n"
            "  --rx-deferred-clear clear an RX descriptor's status only "
            "once the next\n"
            "                      DD is seen, not at once as Linux does "
            "(README.md)\n"
            "emunet: $EMUNET_BINARY, else %s\n"
            "QEMU: $QEMU_BINARY, else qemu-system-x86_64 from PATH\n",
            NICBENCH_EMUNET);
}

static int parse_rows(Opts *o, const char *list)
{
    char *copy = strdup(list);
    char *save = NULL;
    int ret = 0;

    memset(o->row_on, 0, sizeof(o->row_on));
    for (char *t = strtok_r(copy, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        size_t i;

        for (i = 0; i < N_ROWS && strcmp(rows[i].key, t) != 0; i++) {
        }
        if (i == N_ROWS) {
            fprintf(stderr, "nicbench: unknown row '%s'\n", t);
            ret = -1;
            break;
        }
        o->row_on[i] = true;
    }
    free(copy);
    return ret;
}

static int parse_opts(Opts *o, int argc, char **argv)
{
    static const struct option longs[] = {
        {"only", required_argument, NULL, 'o'},
        {"rows", required_argument, NULL, 'r'},
        {"runs", required_argument, NULL, 'n'},
        {"min-wall", required_argument, NULL, 'w'},
        {"min-cpu", required_argument, NULL, 'c'},
        {"max-wall", required_argument, NULL, 'x'},
        {"idle", required_argument, NULL, 'i'},
        {"rx-deferred-clear", no_argument, NULL, 'e'},
        {"nic", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool rows_given = false;
    int c;

    *o = (Opts){.runs = 5,
                .min_wall = 1.0,
                .min_cpu = 1.0,
                .max_wall = 10.0,
                .idle_s = 3.0,
                .want = {true, true}};
    for (size_t i = 0; i < N_ROWS; i++) {
        o->row_on[i] = true;
    }
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'o':
            o->want[0] = strcmp(optarg, "emunet") == 0;
            o->want[1] = strcmp(optarg, "qemu") == 0;
            if (!o->want[0] && !o->want[1]) {
                usage(stderr);
                return -1;
            }
            break;
        case 'r':
            if (parse_rows(o, optarg) < 0) {
                return -1;
            }
            rows_given = true;
            break;
        case 'm':
            o->rtl = strcmp(optarg, "rtl8139") == 0;
            if (!o->rtl && strcmp(optarg, "e1000") != 0) {
                usage(stderr);
                return -1;
            }
            break;
        case 'n':
            o->runs = atoi(optarg);
            break;
        case 'w':
            o->min_wall = atof(optarg);
            break;
        case 'c':
            o->min_cpu = atof(optarg);
            break;
        case 'x':
            o->max_wall = atof(optarg);
            break;
        case 'i':
            o->idle_s = atof(optarg);
            break;
        case 'e':
            o->deferred_clear = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    /* One NIC model per run: the device models are started with it. */
    for (size_t i = 0; i < N_ROWS; i++) {
        bool mine = (rows[i].rtl != RTL_MODE_NONE) == o->rtl;

        if (rows_given && o->row_on[i] && !mine) {
            fprintf(stderr, "nicbench: row '%s' needs --nic %s\n", rows[i].key,
                    o->rtl ? "e1000" : "rtl8139");
            return -1;
        }
        o->row_on[i] = rows_given ? o->row_on[i] : mine;
    }
    if (o->runs < 1 || o->runs > MAX_RUNS || o->max_wall < o->min_wall ||
        o->idle_s <= 0 || optind != argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

static double ticks_s(uint64_t ticks)
{
    return (double)ticks / (double)clk_tck;
}

/* CPU fraction of one CPU used by `dm` over `secs` of sleep. */
static int sample_idle(Dm *dm, double secs, double *frac)
{
    uint64_t a, b;
    double t0, t1;

    t0 = dm_now();
    if (dm_cpu_ticks(dm, &a) < 0) {
        return -1;
    }
    usleep((useconds_t)(secs * 1e6));
    if (dm_cpu_ticks(dm, &b) < 0) {
        return -1;
    }
    t1 = dm_now();
    *frac = ticks_s(b - a) / (t1 - t0);
    return 0;
}

/* Idle CPU of every running side over the same `secs`. */
static void sample_idle_all(Side *sides, double secs)
{
    uint64_t t0[N_DMS] = {0};
    double w0 = dm_now(), wall;

    fprintf(stderr, "sampling idle CPU for %.1f s\n", secs);
    for (int i = 0; i < N_DMS; i++) {
        sides[i].idle_ok =
            sides[i].up && dm_cpu_ticks(&sides[i].dm, &t0[i]) == 0;
    }
    usleep((useconds_t)(secs * 1e6));
    wall = dm_now() - w0;
    for (int i = 0; i < N_DMS; i++) {
        uint64_t t1;

        if (sides[i].idle_ok && dm_cpu_ticks(&sides[i].dm, &t1) == 0) {
            sides[i].idle_frac = ticks_s(t1 - t0[i]) / wall;
        } else {
            sides[i].idle_ok = false;
        }
    }
}

/*
 * QEMU runs SeaBIOS first. It has settled (no boot device, halted) once
 * two windows in a row use little CPU.
 */
static int settle_firmware(Side *s)
{
    double t0 = dm_now();
    int quiet = 0;

    while (quiet < 2 || dm_now() - t0 < SETTLE_MIN_S) {
        double frac;

        if (dm_now() - t0 > SETTLE_MAX_S ||
            sample_idle(&s->dm, SETTLE_WINDOW_S, &frac) < 0) {
            fprintf(stderr, "%s: firmware does not settle\n", s->name);
            return -1;
        }
        quiet = frac < SETTLE_MAX_FRAC ? quiet + 1 : 0;
    }
    s->settle_s = dm_now() - t0;
    return 0;
}

static void side_fail(Side *s, const char *what)
{
    fprintf(stderr, "%s: %s failed; no further measurements of it\n", s->name,
            what);
    s->up = false;
    dm_stop(&s->dm);
}

static int side_start(Side *s, const char *prog, const char *const *extra,
                      bool rtl)
{
    fprintf(stderr, "starting %s (%s)\n", s->name, prog);
    if ((rtl ? dm_start_nic(&s->dm, s->name, prog, extra, RTL_MODEL, RTL_PCI_ID)
             : dm_start(&s->dm, s->name, prog, extra)) < 0) {
        fprintf(stderr, "%s: could not start\n", s->name);
        return -1;
    }
    s->up = true;
    fprintf(stderr,
            "%s: pid %d, qtest connected after %.1f ms, ready "
            "after %.1f ms\n",
            s->name, (int)s->dm.pid, s->dm.accept_s * 1e3, s->dm.ready_s * 1e3);
    return 0;
}

/* A measured run; on failure the side is stopped. */
static int side_run(Side *s, const Row *r, uint64_t count, NicRun *run)
{
    if ((r->rtl != RTL_MODE_NONE
             ? rtl_run(&s->rtl, r->rtl, r->dir, r->tso, r->len, count, run)
             : nic_run(&s->nic, r->dir, r->tso, r->len, count, run)) < 0) {
        side_fail(s, r->label);
        return -1;
    }
    if (run->lost || run->bad) {
        fprintf(stderr, "%s: %s: %llu lost, %llu bad\n", s->name, r->label,
                (unsigned long long)run->lost, (unsigned long long)run->bad);
    }
    return 0;
}

/* Choose the packet count of a run from a warm-up run or two. */
static int calibrate(Side *s, const Opts *o, size_t ri)
{
    const Row *r = &rows[ri];
    uint64_t count = r->calib;
    double rate, frac, want;
    NicRun run;

    for (int i = 0;; i++) {
        double scale;

        if (side_run(s, r, count, &run) < 0) {
            return -1;
        }
        fprintf(stderr,
                "%s: %s: calibration run of %llu: %.3f s, %llu "
                "ticks\n",
                s->name, r->label, (unsigned long long)count, run.wall_s,
                (unsigned long long)run.ticks);
        /* Two runs at least: the first one also warms up. */
        if ((run.wall_s >= CALIB_MIN_S && i > 0) || i == 6) {
            break;
        }
        if (run.wall_s < CALIB_MIN_S) {
            scale = run.wall_s > 0.01 ? 1.25 * CALIB_MIN_S / run.wall_s : 16;
            count = (uint64_t)((double)count * scale) + 1;
        }
    }
    rate = (double)run.pkts / run.wall_s;
    frac = ticks_s(run.ticks ? run.ticks : 1) / run.wall_s;
    want = o->min_cpu / frac;
    want = want < o->min_wall ? o->min_wall : want;
    want = want > o->max_wall ? o->max_wall : want;
    /* Rates vary run to run; aim a little long. */
    count = (uint64_t)(rate * want * CALIB_MARGIN);
    count = (count + NIC_BATCH - 1) / NIC_BATCH * NIC_BATCH;
    s->count[ri] = count ? count : NIC_BATCH;
    fprintf(stderr,
            "%s: %s: calibrated to %llu packets per run "
            "(~%.1f s)\n",
            s->name, r->label, (unsigned long long)s->count[ri], want);
    return 0;
}

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

/* CPU seconds of a run charged to the device model. */
static double run_cpu_s(const Side *s, const NicRun *run, bool raw)
{
    double cpu = ticks_s(run->ticks);

    if (!raw && s->subtract_idle && s->idle_ok) {
        cpu -= s->idle_frac * run->wall_s;
    }
    return cpu > 0 ? cpu : 0;
}

typedef struct RowStat {
    bool ok;
    double pps;
    double us;
    double us_raw;
    double min_cpu_s;
    uint64_t lost;
    uint64_t bad;
} RowStat;

static RowStat row_stat(const Side *s, size_t ri)
{
    RowStat st = {.ok = s->nruns[ri] > 0, .min_cpu_s = 1e9};
    double pps[MAX_RUNS], us[MAX_RUNS], raw[MAX_RUNS];
    int n = s->nruns[ri];

    for (int i = 0; i < n; i++) {
        const NicRun *run = &s->runs[ri][i];
        double cpu = ticks_s(run->ticks);

        pps[i] = (double)run->pkts / run->wall_s;
        us[i] = run_cpu_s(s, run, false) / (double)run->pkts * 1e6;
        raw[i] = run_cpu_s(s, run, true) / (double)run->pkts * 1e6;
        st.min_cpu_s = cpu < st.min_cpu_s ? cpu : st.min_cpu_s;
        st.lost += run->lost;
        st.bad += run->bad;
    }
    if (st.ok) {
        st.pps = median(pps, n);
        st.us = median(us, n);
        st.us_raw = median(raw, n);
    }
    return st;
}

static void fmt_count(char *buf, size_t n, double v)
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
    printf("Host: %s, %ld CPUs, Linux %s.\n", model,
           sysconf(_SC_NPROCESSORS_ONLN), u.release);
}

static void qemu_version(const char *prog, char *out, size_t n)
{
    char cmd[PATH_MAX + 32];
    FILE *p;

    snprintf(out, n, "QEMU");
    snprintf(cmd, sizeof(cmd), "'%s' --version 2>/dev/null", prog);
    p = popen(cmd, "r");
    if (!p) {
        return;
    }
    if (fgets(out, (int)n, p)) {
        out[strcspn(out, "\n")] = '\0';
    }
    pclose(p);
}

static void print_table(Side *sides, const Opts *o, const char *qver)
{
    Side *e = &sides[0], *q = &sides[1];
    int met = 0, compared = 0;

    printf("# %s: emunet vs %s\n\n", o->rtl ? RTL_MODEL : "e1000", qver);
    host_line();
    printf("Median of %d runs per row per device model; CPU is the device "
           "model's utime+stime (all threads), per packet (%s: per 64 KiB "
           "send of %d segments).\n\n",
           o->runs, o->rtl ? "large send" : "TSO",
           o->rtl ? RTL_LSO_SEGS : NIC_TSO_SEGS);
    printf("| row | emunet pkt/s | QEMU pkt/s | emunet CPU µs/pkt | "
           "QEMU CPU µs/pkt | CPU ratio (emunet/QEMU) |\n");
    printf("|---|---:|---:|---:|---:|---:|\n");
    for (size_t ri = 0; ri < N_ROWS; ri++) {
        RowStat a, b;
        char pa[32] = "n/a", pb[32] = "n/a";
        char ua[32] = "n/a", ub[32] = "n/a", ratio[32] = "n/a";

        if (!o->row_on[ri]) {
            continue;
        }
        a = row_stat(e, ri);
        b = row_stat(q, ri);
        if (a.ok) {
            fmt_count(pa, sizeof(pa), a.pps);
            snprintf(ua, sizeof(ua), "%.3f", a.us);
        }
        if (b.ok) {
            fmt_count(pb, sizeof(pb), b.pps);
            snprintf(ub, sizeof(ub), "%.3f", b.us);
        }
        if (a.ok && b.ok && b.us > 0) {
            snprintf(ratio, sizeof(ratio), "%.2f", a.us / b.us);
            compared++;
            met += a.us <= 0.5 * b.us;
        }
        printf("| %s | %s | %s | %s | %s | %s |\n", rows[ri].label, pa, pb, ua,
               ub, ratio);
    }
    printf("\nTarget (reported, not asserted): emunet at most half of "
           "QEMU's CPU per packet on every row: met on %d of %d rows "
           "compared.\n\n",
           met, compared);
}

static void print_mem(const Side *s)
{
    if (!s->have_mem) {
        printf("- %s: n/a\n", s->name);
        return;
    }
    printf("- %s: VmRSS %.1f MiB, VmHWM %.1f MiB (RssAnon %.1f, RssFile "
           "%.1f, RssShmem %.1f MiB; shmem is guest RAM it has touched)\n",
           s->name, s->mem.rss_kb / 1024.0, s->mem.hwm_kb / 1024.0,
           s->mem.anon_kb / 1024.0, s->mem.file_kb / 1024.0,
           s->mem.shmem_kb / 1024.0);
}

static void print_details(Side *sides, const Opts *o)
{
    Side *q = &sides[1];

    printf("Resident memory after the runs (/proc/PID/status):\n\n");
    print_mem(&sides[0]);
    print_mem(&sides[1]);
    printf("\nStartup, fork+exec to qtest connection accepted / to first "
           "config read answered:\n\n");
    for (int i = 0; i < N_DMS; i++) {
        const Side *s = &sides[i];

        if (s->dm.ready_s > 0) {
            printf("- %s: %.1f ms / %.1f ms%s\n", s->name, s->dm.accept_s * 1e3,
                   s->dm.ready_s * 1e3,
                   i == 1 ? " (SeaBIOS then runs before the NIC is used)" : "");
        } else {
            printf("- %s: n/a\n", s->name);
        }
    }
    printf("\nIdle CPU over %.1f s before the runs:\n\n", o->idle_s);
    for (int i = 0; i < N_DMS; i++) {
        const Side *s = &sides[i];

        if (!s->idle_ok) {
            printf("- %s: n/a\n", s->name);
            continue;
        }
        printf("- %s: %.2f%% of one CPU, %s\n", s->name, s->idle_frac * 100,
               s->subtract_idle
                   ? "subtracted (pro rata of each run's wall time) from "
                     "its CPU per packet: it is the TCG vCPU idling in "
                     "SeaBIOS, not NIC work"
                   : "not subtracted (it would be the device model's own "
                     "cost)");
    }
    if (q->settle_s > 0) {
        printf("\nQEMU's firmware settled %.1f s after it was ready.\n",
               q->settle_s);
    }
    printf("\nRuns (packets per run; least DM CPU of a run; 10 ms tick "
           "error bound = 0.01 s / that; QEMU µs/pkt without idle "
           "subtraction):\n\n");
    printf("| row | emunet pkts/run | emunet min CPU/run | QEMU pkts/run | "
           "QEMU min CPU/run | QEMU raw µs/pkt |\n");
    printf("|---|---:|---:|---:|---:|---:|\n");
    for (size_t ri = 0; ri < N_ROWS; ri++) {
        RowStat a = row_stat(&sides[0], ri), b = row_stat(q, ri);
        char ca[32] = "n/a", cb[32] = "n/a", ma[48] = "n/a", mb[48] = "n/a";
        char rb[32] = "n/a";

        if (!o->row_on[ri]) {
            continue;
        }
        if (a.ok) {
            fmt_count(ca, sizeof(ca), (double)sides[0].count[ri]);
            snprintf(ma, sizeof(ma), "%.2f s (%.1f%%)", a.min_cpu_s,
                     a.min_cpu_s > 0 ? 1.0 / a.min_cpu_s : 100.0);
        }
        if (b.ok) {
            fmt_count(cb, sizeof(cb), (double)q->count[ri]);
            snprintf(mb, sizeof(mb), "%.2f s (%.1f%%)", b.min_cpu_s,
                     b.min_cpu_s > 0 ? 1.0 / b.min_cpu_s : 100.0);
            snprintf(rb, sizeof(rb), "%.3f", b.us_raw);
        }
        printf("| %s | %s | %s | %s | %s | %s |\n", rows[ri].label, ca, ma, cb,
               mb, rb);
    }
    for (int i = 0; i < N_DMS; i++) {
        for (size_t ri = 0; ri < N_ROWS; ri++) {
            RowStat st = row_stat(&sides[i], ri);

            if (st.lost || st.bad) {
                printf("\nNote: %s %s: %llu frames lost, %llu runs/frames "
                       "with unexpected lengths.\n",
                       sides[i].name, rows[ri].label,
                       (unsigned long long)st.lost, (unsigned long long)st.bad);
            }
        }
    }
}

static void measure_rows(Side *sides, const Opts *o)
{
    for (size_t ri = 0; ri < N_ROWS; ri++) {
        const Row *r = &rows[ri];

        if (!o->row_on[ri]) {
            continue;
        }
        for (int i = 0; i < N_DMS; i++) {
            if (sides[i].up) {
                calibrate(&sides[i], o, ri);
            }
        }
        /* Alternate the device models run by run, so drift hits both. */
        for (int k = 0; k < o->runs; k++) {
            for (int i = 0; i < N_DMS; i++) {
                Side *s = &sides[i];
                NicRun *run = &s->runs[ri][s->nruns[ri]];

                if (!s->up || side_run(s, r, s->count[ri], run) < 0) {
                    continue;
                }
                s->nruns[ri]++;
                fprintf(stderr,
                        "%s: %s run %d/%d: %.0f pkt/s, %.3f µs "
                        "CPU/pkt (%llu ticks in %.2f s)\n",
                        s->name, r->label, k + 1, o->runs,
                        (double)run->pkts / run->wall_s,
                        run_cpu_s(s, run, false) / (double)run->pkts * 1e6,
                        (unsigned long long)run->ticks, run->wall_s);
            }
        }
    }
}

int main(int argc, char **argv)
{
    static const char *const emunet_extra[] = {"-accel", "qtest", "-qtest-log",
                                               "none", NULL};
    static const char *const qemu_extra[] = {
        "-accel",          "tcg",      "-nodefaults",
        "-no-user-config", "-display", "none",
        "-qtest-log",      "none",     NULL};
    static Side sides[N_DMS] = {
        {.name = "emunet"},
        {.name = "QEMU", .subtract_idle = true},
    };
    const char *emunet = getenv("EMUNET_BINARY");
    const char *qemu = getenv("QEMU_BINARY");
    char qver[128];
    Opts o;

    if (parse_opts(&o, argc, argv) < 0) {
        return 2;
    }
    clk_tck = sysconf(_SC_CLK_TCK);
    emunet = emunet && *emunet ? emunet : NICBENCH_EMUNET;
    qemu = qemu && *qemu ? qemu : "qemu-system-x86_64";
    dm_cleanup_install();
    qemu_version(qemu, qver, sizeof(qver));

    /* One at a time, so that neither start-up is slowed by the other. */
    if (o.want[0]) {
        side_start(&sides[0], emunet, emunet_extra, o.rtl);
    }
    if (o.want[1] && side_start(&sides[1], qemu, qemu_extra, o.rtl) == 0 &&
        settle_firmware(&sides[1]) < 0) {
        side_fail(&sides[1], "firmware settling");
    }
    if (!sides[0].up && !sides[1].up) {
        fprintf(stderr, "nicbench: no device model running\n");
        return 1;
    }
    sample_idle_all(sides, o.idle_s);
    for (int i = 0; i < N_DMS; i++) {
        if (sides[i].up &&
            (o.rtl ? rtl_setup(&sides[i].rtl, &sides[i].dm)
                   : nic_setup(&sides[i].nic, &sides[i].dm)) < 0) {
            side_fail(&sides[i], "NIC setup");
        }
        sides[i].nic.rx_deferred_clear = o.deferred_clear;
    }
    /*
     * QEMU's e1000 takes no frames for about a second after an RCTL write
     * (its flush_queue_timer); let that pass before anything is timed.
     */
    usleep(RCTL_QUIET_S * 1000000);
    measure_rows(sides, &o);
    for (int i = 0; i < N_DMS; i++) {
        if (sides[i].up) {
            sides[i].have_mem = dm_mem(&sides[i].dm, &sides[i].mem) == 0;
        }
    }
    print_table(sides, &o, qver);
    print_details(sides, &o);
    for (int i = 0; i < N_DMS; i++) {
        dm_stop(&sides[i].dm);
    }
    return 0;
}
