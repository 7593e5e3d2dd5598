/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tapbench: emunet's e1000 against QEMU's through the host backends --
 * a tap (with and without a virtio-net header, i.e. offloads) and
 * libslirp -- with the same backend options on both, in one run. It is
 * the guest driver (qtest for registers, the shared guest-RAM file for
 * rings and buffers) and the far side: a raw tap without offloads on a
 * bridge with the device model's tap (so the kernel segments what comes
 * in as a TCP super-frame), or UDP sockets on loopback for libslirp.
 * Everything runs in a network namespace of its own (root needed).
 * Reports throughput per row and device model, and the emunet/QEMU
 * ratio, as a markdown table on stdout; progress goes to stderr.
 *
 * See bench/README.md ("Host backends").
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "tapbench.h"

#ifndef TAPBENCH_EMUNET
#define TAPBENCH_EMUNET "emunet"
#endif

#define MAX_RUNS 31
/* A calibration run shorter than this is repeated, longer. */
#define CAL_MIN_S 0.25

static const Row rows[] = {
    {"tap TX 1514 B", "tap-tx1514", BE_TAP_OFF, true, false, 1514},
    {"tap TX 64 KiB TSO", "tap-tso", BE_TAP_OFF, true, true, TSO_LEN},
    {"tap RX 1514 B", "tap-rx1514", BE_TAP_OFF, false, false, 1514},
    {"tap+vnet TX 1514 B", "vnet-tx1514", BE_TAP_ON, true, false, 1514},
    {"tap+vnet TX 64 KiB TSO", "vnet-tso", BE_TAP_ON, true, true, TSO_LEN},
    {"tap+vnet RX 1514 B", "vnet-rx1514", BE_TAP_ON, false, false, 1514},
    {"slirp TX 1514 B (UDP)", "slirp-tx1514", BE_SLIRP, true, false, 1514},
    {"slirp RX 1514 B (UDP)", "slirp-rx1514", BE_SLIRP, false, false, 1514},
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

typedef struct Opts {
    int runs;
    double secs;
    const char *only;
    const char *rows;
    const char *emunet;
    const char *qemu;
} Opts;

/* One device model in a row: its process, guest NIC and far side. */
typedef struct Side {
    const char *name;
    bool qemu;
    unsigned idx;
    Dm dm;
    Nic nic;
    Far far;
    int feed_fd;
    bool far_thread;
    /* Packets per run (calibrated), results so far, and whether it failed. */
    uint64_t count;
    Result r[MAX_RUNS];
    int ok;
    bool failed;
} Side;

static int side_run(Side *sd, const Row *row, uint64_t count, Result *res)
{
    if (row->tx) {
        return tx_run(&sd->nic, &sd->far, row, count, res);
    }
    return rx_run(&sd->nic, sd->feed_fd, row->be == BE_SLIRP, row, count, res);
}

/* Start the device model, wire it up and calibrate its run length. */
static int side_up(const Opts *o, const Row *row, Side *sd)
{
    Result cal;

    sd->count = row->tso ? 200 : 20000;
    sd->feed_fd = -1;
    sd->far.fd = -1;
    if (dm_start(&sd->dm, sd->name, sd->qemu ? o->qemu : o->emunet, sd->qemu,
                 row->be, sd->idx) < 0) {
        fprintf(stderr, "%s: %s: start failed\n", sd->name, row->label);
        return -1;
    }
    if (sd->qemu) {
        /* SeaBIOS programs the BARs: set up once it is idle. */
        dm_settle(&sd->dm);
    }
    if (row_env_up(row, sd->idx, &sd->far, &sd->feed_fd) < 0 ||
        nic_setup(&sd->nic, &sd->dm, row->be)) {
        fprintf(stderr, "%s: %s: setup failed\n", sd->name, row->label);
        return -1;
    }
    if (row->tx && sd->far.fd >= 0) {
        pthread_create(&sd->far.thread, NULL, far_thread, &sd->far);
        sd->far_thread = true;
    }
    /* QEMU's e1000 ignores frames for about a second after RCTL. */
    usleep(sd->qemu ? 2000000 : 200000);
    if (row->be == BE_SLIRP && slirp_hello(&sd->nic) < 0) {
        return -1;
    }
    /*
     * Calibrate: runs of growing length until one lasts CAL_MIN_S (a
     * short one is mostly noise on a shared machine), scaled to the
     * wanted length, and once more from a run of that length.
     */
    for (int i = 0; i < 2; i++) {
        for (;;) {
            if (side_run(sd, row, sd->count, &cal) < 0) {
                return -1;
            }
            if (cal.wall_s >= CAL_MIN_S) {
                break;
            }
            sd->count *= 4;
        }
        sd->count = (uint64_t)((double)sd->count * o->secs / cal.wall_s);
        sd->count = MAX(sd->count, (uint64_t)(row->tso ? 50 : 1000));
    }
    return 0;
}

static void side_down(Side *sd)
{
    sd->far.stop = true;
    if (sd->far_thread) {
        pthread_join(sd->far.thread, NULL);
    }
    dm_stop(&sd->dm);
    if (sd->far.fd >= 0) {
        close(sd->far.fd);
    }
    if (sd->feed_fd >= 0 && sd->feed_fd != sd->far.fd) {
        close(sd->feed_fd);
    }
}

/* Each run on stderr, so that the spread behind a median shows. */
static void run_report(const Side *sd, int i)
{
    const Result *r = &sd->r[sd->ok];

    double us_tick = 1e6 / (double)sysconf(_SC_CLK_TCK);

    fprintf(stderr,
            "  %-6s run %d: %.2f Gbit/s, %.2f µs CPU/pkt (kernel %.2f; "
            "client %.2f), %llu pkts\n",
            sd->name, i + 1, (double)r->wire_bytes * 8 / r->wall_s / 1e9,
            (double)r->ticks * us_tick / (double)r->pkts,
            (double)r->sys_ticks * us_tick / (double)r->pkts,
            r->client_us / (double)r->pkts, (unsigned long long)r->pkts);
}

static double rate(const Result *r)
{
    return (double)r->wire_bytes / r->wall_s;
}

/* The median run by throughput, or !ok. */
static Result side_median(const Side *sd)
{
    Result none = {0}, r[MAX_RUNS];

    if (sd->failed || sd->ok == 0) {
        return none;
    }
    memcpy(r, sd->r, sizeof(r));
    for (int i = 0; i < sd->ok; i++) {
        for (int j = i + 1; j < sd->ok; j++) {
            if (rate(&r[j]) < rate(&r[i])) {
                Result t = r[i];

                r[i] = r[j];
                r[j] = t;
            }
        }
    }
    return r[sd->ok / 2];
}

/*
 * emunet/QEMU throughput of the runs made next to each other in time
 * (run i of each): the median and range of these ratios, so that load
 * that comes and goes during a row cancels out. False without pairs.
 */
static bool paired_ratios(const Side *e, const Side *q, double *med, double *lo,
                          double *hi)
{
    double v[MAX_RUNS];
    int n = MIN(e->ok, q->ok);

    if (e->failed || q->failed || n == 0) {
        return false;
    }
    for (int i = 0; i < n; i++) {
        v[i] = rate(&e->r[i]) / rate(&q->r[i]);
    }
    for (int i = 0; i < n; i++) {
        for (int j = i + 1; j < n; j++) {
            if (v[j] < v[i]) {
                double t = v[i];

                v[i] = v[j];
                v[j] = t;
            }
        }
    }
    *med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    *lo = v[0];
    *hi = v[n - 1];
    return true;
}

/* What a row reports. */
typedef struct RowResult {
    Result e, q;
    /* Paired ratios (paired_ratios), when both sides ran. */
    bool paired;
    double med, lo, hi;
} RowResult;

/*
 * Both device models are up at once, each on its own tap, bridge and
 * far side, and their runs alternate (who goes first alternates too),
 * so that load from elsewhere on the machine hits both alike. The idle
 * one costs nothing meanwhile (QEMU's halted vCPU: no measurable CPU).
 * Both run the same number of packets: the larger of their calibrations.
 */
static void bench_row(const Opts *o, const Row *row, RowResult *rr)
{
    Side sides[SIDES];
    uint64_t count = 0;
    int n = 0;

    memset(sides, 0, sizeof(sides));
    memset(rr, 0, sizeof(*rr));
    if (!o->only || strcmp(o->only, "emunet") == 0) {
        sides[n].name = "emunet";
        sides[n].idx = 0;
        n++;
    }
    if (!o->only || strcmp(o->only, "qemu") == 0) {
        sides[n].name = "QEMU";
        sides[n].qemu = true;
        sides[n].idx = 1;
        n++;
    }
    for (int k = 0; k < n; k++) {
        sides[k].failed = side_up(o, row, &sides[k]) < 0;
        if (!sides[k].failed) {
            count = MAX(count, sides[k].count);
        }
    }
    for (int i = 0; i < o->runs; i++) {
        for (int k = 0; k < n; k++) {
            Side *sd = &sides[(i + k) % n];

            if (sd->failed) {
                continue;
            }
            if (side_run(sd, row, count, &sd->r[sd->ok]) < 0) {
                sd->failed = true;
                continue;
            }
            run_report(sd, i);
            sd->ok++;
        }
    }
    for (int k = 0; k < n; k++) {
        Result m = side_median(&sides[k]);

        *(sides[k].qemu ? &rr->q : &rr->e) = m;
    }
    if (n == SIDES) {
        rr->paired =
            paired_ratios(&sides[0], &sides[1], &rr->med, &rr->lo, &rr->hi);
    }
    for (int k = 0; k < n; k++) {
        side_down(&sides[k]);
    }
}

static bool want(const char *list, const char *key)
{
    size_t n = strlen(key);

    if (!list) {
        return true;
    }
    for (const char *p = list; (p = strstr(p, key)); p += n) {
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) {
            return true;
        }
    }
    return false;
}

static void usage(void)
{
    fprintf(stderr,
            "Usage: tapbench [--runs N] [--secs S] [--only emunet|qemu]\n"
            "                [--rows KEY,...] [--emunet PATH] [--qemu PATH]\n"
            "                [--cpus DM,CLIENT|none]\n"
            "Rows:");
    for (size_t i = 0; i < N_ROWS; i++) {
        fprintf(stderr, " %s", rows[i].key);
    }
    fprintf(stderr,
            "\nDefaults: --runs 15 --secs 0.4 --cpus 0,0 (device models "
            "and client\non CPU 0). Runs as root, in a network namespace of "
            "its own.\n");
}

static int setup_netns(void)
{
    int fd;

    if (unshare(CLONE_NEWNET) < 0) {
        perror("tapbench: unshare(CLONE_NEWNET) (run as root)");
        return -1;
    }
    fd = open("/proc/sys/net/ipv6/conf/default/disable_ipv6", O_WRONLY);
    if (fd >= 0) {
        if (write(fd, "1", 1) < 0) {
            perror("disable_ipv6");
        }
        close(fd);
    }
    /*
     * A plain layer-2 bridge: with br_netfilter loaded (Docker hosts),
     * bridged IPv4 would go through iptables and header validation.
     */
    for (int i = 0; i < 3; i++) {
        static const char *const knobs[] = {
            "/proc/sys/net/bridge/bridge-nf-call-iptables",
            "/proc/sys/net/bridge/bridge-nf-call-ip6tables",
            "/proc/sys/net/bridge/bridge-nf-call-arptables",
        };

        fd = open(knobs[i], O_WRONLY);
        if (fd >= 0) {
            if (write(fd, "0", 1) < 0) {
                perror(knobs[i]);
            }
            close(fd);
        }
    }
    if (run_cmd("ip link set lo up") < 0) {
        return -1;
    }
    for (unsigned i = 0; i < SIDES; i++) {
        char cmd[128];

        snprintf(cmd, sizeof(cmd),
                 "ip link add " BRIDGE_FMT " type bridge && "
                 "ip link set " BRIDGE_FMT " up",
                 i, i);
        if (run_cmd(cmd) < 0) {
            return -1;
        }
    }
    return 0;
}

static void print_cell(const Result *r)
{
    if (!r->ok) {
        printf(" failed |");
        return;
    }
    printf(" %.2f Gbit/s, %.0f pkt/s, %.2f µs CPU/pkt |",
           (double)r->wire_bytes * 8 / r->wall_s / 1e9,
           (double)r->pkts / r->wall_s,
           (double)r->ticks * 1e6 / (double)sysconf(_SC_CLK_TCK) /
               (double)r->pkts);
}

/* The 1, 5 and 15 minute load averages, for the log. */
static const char *loadavg(void)
{
    static char buf[128];
    FILE *f = fopen("/proc/loadavg", "r");
    char *p = buf;

    buf[0] = '\0';
    if (f) {
        if (!fgets(buf, sizeof(buf), f)) {
            buf[0] = '\0';
        }
        fclose(f);
    }
    /* The three averages: cut before the fourth field. */
    for (int i = 0; i < 3 && p; i++) {
        p = strchr(p + 1, ' ');
    }
    if (p) {
        *p = '\0';
    }
    return buf;
}

int main(int argc, char **argv)
{
    static const struct option lopts[] = {
        {"runs", required_argument, NULL, 'r'},
        {"secs", required_argument, NULL, 's'},
        {"only", required_argument, NULL, 'o'},
        {"rows", required_argument, NULL, 'w'},
        {"emunet", required_argument, NULL, 'e'},
        {"qemu", required_argument, NULL, 'q'},
        {"cpus", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    Opts o = {.runs = 15,
              .secs = 0.4,
              .emunet = TAPBENCH_EMUNET,
              .qemu = "qemu-system-x86_64"};
    int c;

    while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            o.runs = atoi(optarg);
            break;
        case 's':
            o.secs = atof(optarg);
            break;
        case 'o':
            o.only = optarg;
            break;
        case 'w':
            o.rows = optarg;
            break;
        case 'e':
            o.emunet = optarg;
            break;
        case 'q':
            o.qemu = optarg;
            break;
        case 'c':
            if (parse_cpus(optarg) < 0) {
                usage();
                return 2;
            }
            break;
        default:
            usage();
            return c == 'h' ? 0 : 2;
        }
    }
    if (getenv("EMUNET_BINARY")) {
        o.emunet = getenv("EMUNET_BINARY");
    }
    if (getenv("QEMU_BINARY")) {
        o.qemu = getenv("QEMU_BINARY");
    }
    if (o.runs < 1 || o.runs > MAX_RUNS || o.secs <= 0 || optind != argc) {
        usage();
        return 2;
    }
    /* Sleeps in the client (usleep, far_wait) end when asked to. */
    prctl(PR_SET_TIMERSLACK, 1000UL);
    /* Before any thread: the far side and the feeder inherit it. */
    if (client_cpu >= 0 && pin_cpu(client_cpu) < 0) {
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (setup_netns() < 0) {
        return 1;
    }
    printf("| row | emunet | QEMU 7.2 | emunet/QEMU | paired runs: median "
           "(range) |\n");
    printf("|---|---|---|---|---|\n");
    for (size_t i = 0; i < N_ROWS; i++) {
        RowResult rr;

        if (!want(o.rows, rows[i].key)) {
            continue;
        }
        fprintf(stderr, "row %s (load %s)\n", rows[i].label, loadavg());
        bench_row(&o, &rows[i], &rr);
        printf("| %s |", rows[i].label);
        print_cell(&rr.e);
        print_cell(&rr.q);
        if (rr.e.ok && rr.q.ok) {
            printf(" %.2f× |", rate(&rr.e) / rate(&rr.q));
        } else {
            printf(" - |");
        }
        if (rr.paired) {
            printf(" %.2f× (%.2f-%.2f) |\n", rr.med, rr.lo, rr.hi);
        } else {
            printf(" - |\n");
        }
        if (rr.e.lost || rr.q.lost) {
            fprintf(stderr, "  lost frames: emunet %llu, QEMU %llu\n",
                    (unsigned long long)rr.e.lost,
                    (unsigned long long)rr.q.lost);
        }
        fflush(stdout);
    }
    return 0;
}
