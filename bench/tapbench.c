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
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qtc.h"

#ifndef TAPBENCH_EMUNET
#define TAPBENCH_EMUNET "emunet"
#endif

#define RAM_MB 128
#define DEVFN (4 << 3)
#define NIC_ID 0x100e8086u
#define MMIO 0xfeb80000ull
#define RING 256
#define BATCH 64
#define BUF 2048
#define TSO_LEN 65536
#define TSO_MSS 1460
#define TSO_HDR 54
#define TSO_SEGS ((TSO_LEN - TSO_HDR + TSO_MSS - 1) / TSO_MSS)
#define TSO_DESC 4096
#define TSO_AREAS 8
/* Completed frames that may be on their way to the far side. */
#define TX_INFLIGHT 2048
/*
 * Both device models of a row run side by side, each with its own tap,
 * far side and bridge (side 0 emunet, side 1 QEMU): bt0, bp0, bbr0...
 */
#define TAP_FMT "bt%u"
#define PEER_FMT "bp%u"
#define BRIDGE_FMT "bbr%u"
#define SIDES 2
/* Plus the side: its host port forwarded to the guest, its UDP sink. */
#define SLIRP_FWD_PORT 18090
#define SLIRP_SINK_PORT 9
#define MAX_RUNS 9
/* Datagrams in flight towards libslirp's forwarded UDP socket. */
#define SLIRP_RX_WINDOW 48
/* QEMU's firmware has settled when a window uses less CPU than this. */
#define SETTLE_WINDOW_US 250000
#define SETTLE_MAX_FRAC 0.10

/* Guest-physical layout in the RAM file, above what SeaBIOS touches. */
#define GPA_TX_RING 0x01000000ull
#define GPA_RX_RING 0x01001000ull
#define GPA_TX_BUF 0x01100000ull
#define GPA_RX_BUF 0x01200000ull
#define GPA_TSO 0x01400000ull
/* The ARP request of slirp_hello: not a TX slot's buffer (see there). */
#define GPA_ARP 0x01180000ull

enum {
    R_CTRL = 0x0, R_STATUS = 0x8, R_IMC = 0xd8, R_RCTL = 0x100,
    R_TCTL = 0x400, R_TIPG = 0x410, R_RDBAL = 0x2800, R_RDBAH = 0x2804,
    R_RDLEN = 0x2808, R_RDH = 0x2810, R_RDT = 0x2818, R_RDTR = 0x2820,
    R_TDBAL = 0x3800, R_TDBAH = 0x3804, R_TDLEN = 0x3808, R_TDH = 0x3810,
    R_TDT = 0x3818, R_TIDV = 0x3820, R_RAL0 = 0x5400, R_RAH0 = 0x5404,
};

static const uint8_t nic_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t peer_mac[6] = {0x52, 0x54, 0x00, 0xbe, 0x4c, 0x01};
/* libslirp's gateway MAC (52:55 + 10.0.2.2). */
static const uint8_t slirp_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

typedef enum Backend { BE_TAP_OFF, BE_TAP_ON, BE_SLIRP } Backend;

typedef struct Row {
    const char *label;
    const char *key;
    Backend be;
    bool tx;
    bool tso;
    unsigned len;
} Row;

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

typedef struct Dm {
    const char *name;
    bool qemu;
    /* Which side of the row: names its tap, far side and ports. */
    unsigned side;
    pid_t pid;
    char dir[128];
    char ram_path[160];
    char sock_path[160];
    uint8_t *ram;
    Qtc qt;
} Dm;

/* The far side: counts frames (or datagrams) and their bytes. */
typedef struct Far {
    int fd;
    bool udp;
    pthread_t thread;
    volatile bool stop;
    uint64_t frames;
    uint64_t bytes;
} Far;

typedef struct Result {
    double wall_s;
    uint64_t pkts;
    uint64_t wire_bytes;
    uint64_t ticks;
    uint64_t lost;
    bool ok;
} Result;

static volatile pid_t child_pid[SIDES];

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void on_signal(int sig)
{
    for (int i = 0; i < SIDES; i++) {
        if (child_pid[i] > 0) {
            kill(child_pid[i], SIGKILL);
        }
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static int run_cmd(const char *cmd)
{
    int r = system(cmd);

    if (r != 0) {
        fprintf(stderr, "tapbench: '%s' failed\n", cmd);
    }
    return r == 0 ? 0 : -1;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1 < n; i += 2) {
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    }
    if (n & 1) {
        sum += (uint32_t)p[n - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)sum;
}

/*
 * Ethernet/IPv4 frame of `len` bytes, 10.0.2.15 -> dst: UDP to port 9,
 * or TCP with the pseudo-header sum a TSO driver leaves for the NIC.
 */
static void build_frame(uint8_t *f, unsigned len, bool tcp, const uint8_t *dst,
                        const uint8_t *src, const uint8_t *dip, uint16_t dport)
{
    uint8_t *ip = f + 14, *l4 = ip + 20;
    unsigned iplen = len - 14;

    for (unsigned i = 0; i < len; i++) {
        f[i] = (uint8_t)(i * 7 + 1);
    }
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    put16(f + 12, 0x0800);
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(iplen > 0xffff ? 0 : iplen));
    ip[8] = 64;
    ip[9] = tcp ? 6 : 17;
    memcpy(ip + 12, (const uint8_t[]){10, 0, 2, 15}, 4);
    memcpy(ip + 16, dip, 4);
    put16(ip + 10, (uint16_t)~csum(ip, 20, 0));
    if (!tcp) {
        put16(l4, 5555);
        put16(l4 + 2, dport);
        put16(l4 + 4, (uint16_t)(iplen - 20));
        put16(l4 + 6, 0);
        return;
    }
    memset(l4, 0, 20);
    put16(l4, 5555);
    put16(l4 + 2, 5001);
    l4[12] = 5 << 4;
    l4[13] = 0x18;
    put16(l4 + 14, 0xffff);
    put16(l4 + 16, csum(ip + 12, 8, 6));
}

/* ---- device models ---- */

static int dm_start(Dm *dm, const char *name, const char *prog, bool qemu,
                    Backend be, unsigned side)
{
    char ram_opt[256], dev_opt[128], sock_opt[200], net_opt[200];
    const char *argv[40];
    int n = 0, fd, lfd;
    double t0;

    memset(dm, 0, sizeof(*dm));
    dm->name = name;
    dm->qemu = qemu;
    dm->side = side;
    dm->qt.fd = -1;
    dm->qt.timeout_ms = 10000;
    snprintf(dm->dir, sizeof(dm->dir), "/dev/shm/tapbench.XXXXXX");
    if (!mkdtemp(dm->dir)) {
        perror("mkdtemp");
        return -1;
    }
    snprintf(dm->ram_path, sizeof(dm->ram_path), "%s/ram", dm->dir);
    snprintf(dm->sock_path, sizeof(dm->sock_path), "%s/qtest.sock", dm->dir);
    fd = open(dm->ram_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)RAM_MB << 20) < 0) {
        perror("ram file");
        return -1;
    }
    dm->ram = mmap(NULL, (size_t)RAM_MB << 20, PROT_READ | PROT_WRITE,
                   MAP_SHARED, fd, 0);
    close(fd);
    if (dm->ram == MAP_FAILED) {
        dm->ram = NULL;
        return -1;
    }
    lfd = qtc_listen(dm->sock_path);
    if (lfd < 0) {
        return -1;
    }
    snprintf(ram_opt, sizeof(ram_opt),
             "memory-backend-file,id=ram,size=%dM,mem-path=%s,share=on",
             RAM_MB, dm->ram_path);
    snprintf(dev_opt, sizeof(dev_opt),
             "e1000,netdev=n0,addr=04.0,romfile=,mac=52:54:00:12:34:56");
    snprintf(sock_opt, sizeof(sock_opt), "unix:%s", dm->sock_path);
    if (be == BE_SLIRP) {
        snprintf(net_opt, sizeof(net_opt),
                 "user,id=n0,hostfwd=udp:127.0.0.1:%u-:%d",
                 SLIRP_FWD_PORT + side, SLIRP_SINK_PORT);
    } else {
        snprintf(net_opt, sizeof(net_opt),
                 "tap,id=n0,ifname=" TAP_FMT
                 ",script=no,downscript=no,vnet_hdr=%s",
                 side, be == BE_TAP_ON ? "on" : "off");
    }
    argv[n++] = prog;
    if (qemu) {
        argv[n++] = "-accel";
        argv[n++] = "tcg";
        argv[n++] = "-nodefaults";
        argv[n++] = "-no-user-config";
        argv[n++] = "-display";
        argv[n++] = "none";
    } else {
        argv[n++] = "-accel";
        argv[n++] = "qtest";
    }
    argv[n++] = "-qtest-log";
    argv[n++] = "none";
    argv[n++] = "-machine";
    argv[n++] = "pc,memory-backend=ram";
    argv[n++] = "-m";
    argv[n++] = "128M";
    argv[n++] = "-object";
    argv[n++] = ram_opt;
    argv[n++] = "-netdev";
    argv[n++] = net_opt;
    argv[n++] = "-device";
    argv[n++] = dev_opt;
    argv[n++] = "-qtest";
    argv[n++] = sock_opt;
    argv[n] = NULL;

    t0 = now_s();
    fflush(NULL);
    dm->pid = fork();
    if (dm->pid == 0) {
        int null_fd = open("/dev/null", O_RDONLY);

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(null_fd, 0);
        dup2(2, 1);
        execvp(prog, (char *const *)argv);
        _exit(127);
    }
    child_pid[side] = dm->pid;
    for (;;) {
        int r = qtc_accept(&dm->qt, lfd, 100);

        if (r == 0) {
            break;
        }
        if (r < 0 || now_s() - t0 > 30 || waitpid(dm->pid, NULL, WNOHANG)) {
            fprintf(stderr, "%s: no qtest connection\n", name);
            close(lfd);
            return -1;
        }
    }
    close(lfd);
    /*
     * QEMU creates memory backends after its chardevs: only once it
     * answers (the NIC's ID) has it opened the RAM file we unlink.
     */
    for (int i = 0;; i++) {
        uint32_t id = 0;

        if (qtc_cfg_readl(&dm->qt, DEVFN, 0, &id) < 0) {
            return -1;
        }
        if (id == NIC_ID) {
            break;
        }
        /* SeaBIOS may be between its own 0xcf8 and 0xcfc accesses. */
        if (i == 100) {
            fprintf(stderr, "%s: 04.0 has ID 0x%08x\n", name, id);
            return -1;
        }
        usleep(20000);
    }
    unlink(dm->sock_path);
    unlink(dm->ram_path);
    return 0;
}

static void dm_stop(Dm *dm)
{
    int st = 0;

    if (dm->pid > 0 && waitpid(dm->pid, &st, WNOHANG) == dm->pid) {
        fprintf(stderr, "%s: had exited (%s %d)\n", dm->name,
                WIFSIGNALED(st) ? "signal" : "status",
                WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        dm->pid = 0;
    }
    if (dm->pid > 0) {
        kill(dm->pid, SIGTERM);
        for (int i = 0; i < 300; i++) {
            if (waitpid(dm->pid, NULL, WNOHANG) == dm->pid) {
                dm->pid = 0;
                break;
            }
            usleep(10000);
        }
        if (dm->pid > 0) {
            kill(dm->pid, SIGKILL);
            waitpid(dm->pid, NULL, 0);
        }
    }
    child_pid[dm->side] = 0;
    qtc_close(&dm->qt);
    if (dm->ram) {
        munmap(dm->ram, (size_t)RAM_MB << 20);
    }
    unlink(dm->sock_path);
    unlink(dm->ram_path);
    rmdir(dm->dir);
}

static uint64_t dm_ticks(const Dm *dm)
{
    char path[64], buf[1024];
    unsigned long long ut = 0, st = 0;
    const char *p;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)dm->pid);
    f = fopen(path, "r");
    if (!f) {
        return 0;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    if (p) {
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
               &ut, &st);
    }
    return ut + st;
}

/* Wait until two windows in a row use little CPU (at most 30 s). */
static void dm_settle(Dm *dm)
{
    long hz = sysconf(_SC_CLK_TCK);
    int quiet = 0;

    for (int i = 0; i < 120 && quiet < 2; i++) {
        uint64_t t0 = dm_ticks(dm);

        usleep(SETTLE_WINDOW_US);
        quiet = (double)(dm_ticks(dm) - t0) / (double)hz <
                        SETTLE_MAX_FRAC * SETTLE_WINDOW_US / 1e6
                    ? quiet + 1
                    : 0;
    }
}

/* ---- the guest's e1000 ---- */

typedef struct Nic {
    Dm *dm;
    unsigned tx_tail;
    unsigned tx_clean;
    unsigned tx_used;
    uint16_t tx_last[RING];
    unsigned tso_next;
    unsigned rx_clean;
} Nic;

static uint8_t *gpa(Nic *nic, uint64_t a)
{
    return nic->dm->ram + a;
}

static int wr(Nic *nic, uint32_t reg, uint32_t v)
{
    return qtc_writel(&nic->dm->qt, MMIO + reg, v);
}

static int rd(Nic *nic, uint32_t reg, uint32_t *v)
{
    return qtc_readl(&nic->dm->qt, MMIO + reg, v);
}

static int nic_setup(Nic *nic, Dm *dm, Backend be)
{
    uint8_t frame[TSO_LEN];
    const uint8_t host[4] = {10, 0, 2, 2};
    uint32_t v = 1;
    Qtc *q = &dm->qt;

    memset(nic, 0, sizeof(*nic));
    nic->dm = dm;
    if (qtc_cfg_writel(q, DEVFN, 4, 0) < 0 ||
        qtc_cfg_writel(q, DEVFN, 0x10, (uint32_t)MMIO) < 0 ||
        qtc_cfg_writel(q, DEVFN, 4, 0x6) < 0 || wr(nic, R_CTRL, 1u << 26) < 0) {
        return -1;
    }
    for (int i = 0; i < 1000 && (v & (1u << 26)); i++) {
        if (rd(nic, R_CTRL, &v) < 0) {
            return -1;
        }
    }
    if (wr(nic, R_IMC, 0xffffffffu) < 0 ||
        wr(nic, R_CTRL, v | (1u << 6) | (1u << 5)) < 0 ||
        wr(nic, R_RAL0,
           (uint32_t)nic_mac[0] | nic_mac[1] << 8 | nic_mac[2] << 16 |
               (uint32_t)nic_mac[3] << 24) < 0 ||
        wr(nic, R_RAH0, (uint32_t)nic_mac[4] | nic_mac[5] << 8 | 1u << 31) <
            0) {
        return -1;
    }
    memset(gpa(nic, GPA_TX_RING), 0, RING * 16);
    build_frame(frame, 1514, false, be == BE_SLIRP ? slirp_mac : peer_mac,
                nic_mac, host, (uint16_t)(SLIRP_SINK_PORT + dm->side));
    for (unsigned i = 0; i < RING; i++) {
        memcpy(gpa(nic, GPA_TX_BUF + (uint64_t)i * BUF), frame, 1514);
    }
    build_frame(frame, TSO_LEN, true, peer_mac, nic_mac, host, 0);
    for (unsigned i = 0; i < TSO_AREAS; i++) {
        memcpy(gpa(nic, GPA_TSO + (uint64_t)i * TSO_LEN), frame, TSO_LEN);
    }
    if (wr(nic, R_TDBAL, (uint32_t)GPA_TX_RING) < 0 || wr(nic, R_TDBAH, 0) ||
        wr(nic, R_TDLEN, RING * 16) || wr(nic, R_TDH, 0) || wr(nic, R_TDT, 0) ||
        wr(nic, R_TIDV, 0) || wr(nic, R_TIPG, 10 | 8 << 10 | 6 << 20) ||
        wr(nic, R_TCTL, 1u << 1 | 1u << 3 | 0x0f << 4 | 0x40 << 12)) {
        return -1;
    }
    for (unsigned i = 0; i < RING; i++) {
        uint8_t *d = gpa(nic, GPA_RX_RING + 16 * i);
        uint64_t a = GPA_RX_BUF + (uint64_t)i * BUF;

        memset(d, 0, 16);
        memcpy(d, &a, 8);
    }
    if (wr(nic, R_RDBAL, (uint32_t)GPA_RX_RING) || wr(nic, R_RDBAH, 0) ||
        wr(nic, R_RDLEN, RING * 16) || wr(nic, R_RDH, 0) || wr(nic, R_RDT, 0) ||
        wr(nic, R_RDTR, 0) ||
        wr(nic, R_RCTL, 1u << 1 | 1u << 15 | 1u << 26) ||
        wr(nic, R_RDT, RING - 1)) {
        return -1;
    }
    return 0;
}

static void tx_legacy(Nic *nic, uint64_t addr, unsigned len, bool rs)
{
    uint8_t *d = gpa(nic, GPA_TX_RING + 16 * nic->tx_tail);

    memcpy(d, &addr, 8);
    d[8] = (uint8_t)len;
    d[9] = (uint8_t)(len >> 8);
    d[10] = 0;
    d[11] = 0x01 | 0x02 | (rs ? 0x08 : 0);
    d[12] = 0;
    d[13] = 0;
    d[14] = d[15] = 0;
    nic->tx_tail = (nic->tx_tail + 1) % RING;
}

static void tx_raw(Nic *nic, const uint8_t *desc)
{
    memcpy(gpa(nic, GPA_TX_RING + 16 * nic->tx_tail), desc, 16);
    nic->tx_tail = (nic->tx_tail + 1) % RING;
}

/* One 64 KiB TSO send: a context descriptor and 16 data descriptors. */
static void tx_tso(Nic *nic)
{
    uint64_t base = GPA_TSO + (uint64_t)(nic->tso_next++ % TSO_AREAS) *
                                  TSO_LEN;
    uint8_t c[16] = {0};
    uint32_t w;

    c[0] = 14;
    c[1] = 14 + 10;
    c[2] = 14 + 19;
    c[4] = 34;
    c[5] = 34 + 16;
    w = (TSO_LEN - TSO_HDR) | (uint32_t)(0x01 | 0x02 | 0x04 | 0x20) << 24;
    memcpy(c + 8, &w, 4);
    c[13] = TSO_HDR;
    c[14] = (uint8_t)TSO_MSS;
    c[15] = (uint8_t)(TSO_MSS >> 8);
    tx_raw(nic, c);
    for (unsigned i = 0; i < TSO_LEN / TSO_DESC; i++) {
        uint8_t d[16] = {0};
        uint64_t a = base + (uint64_t)i * TSO_DESC;
        bool last = i == TSO_LEN / TSO_DESC - 1;

        memcpy(d, &a, 8);
        w = TSO_DESC | 1u << 20 |
            (uint32_t)(0x02 | 0x04 | 0x20 | (last ? 0x01 | 0x08 : 0)) << 24;
        memcpy(d + 8, &w, 4);
        /* IXSM | TXSM on each (QEMU re-reads them mid-send). */
        d[13] = 0x03;
        tx_raw(nic, d);
    }
}

static bool dd(Nic *nic, uint64_t ring, unsigned i)
{
    volatile uint8_t *s = gpa(nic, ring + 16 * i + 12);

    return *s & 1;
}

/* ---- the far side ---- */

static void *far_thread(void *opaque)
{
    Far *f = opaque;
    static __thread uint8_t buf[70000];

    while (!f->stop) {
        struct pollfd pfd = {.fd = f->fd, .events = POLLIN};
        ssize_t n;

        if (poll(&pfd, 1, 50) <= 0) {
            continue;
        }
        while ((n = read(f->fd, buf, sizeof(buf))) > 0) {
            if (!f->udp && (n < 14 || memcmp(buf + 6, nic_mac, 6) != 0)) {
                continue;
            }
            __atomic_add_fetch(&f->frames, 1, __ATOMIC_RELAXED);
            __atomic_add_fetch(&f->bytes, (uint64_t)n, __ATOMIC_RELAXED);
        }
    }
    return NULL;
}

static uint64_t far_frames(Far *f)
{
    return __atomic_load_n(&f->frames, __ATOMIC_RELAXED);
}

/* A raw tap on the bridge, without offloads: the kernel segments. */
static int peer_tap_open(unsigned side)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

    if (fd < 0) {
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), PEER_FMT, side);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int udp_socket(uint16_t port, bool bind_it)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int buf = 16 << 20;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
    setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
    if (bind_it && bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
        perror("bind");
        close(s);
        return -1;
    }
    return s;
}

/* ---- runs ---- */

static int tx_run(Nic *nic, Far *far, const Row *row, uint64_t count,
                  Result *res)
{
    unsigned per = row->tso ? 1 + TSO_LEN / TSO_DESC : 1;
    uint64_t frames_per = row->tso ? TSO_SEGS : 1;
    uint64_t sent = 0, done = 0, f0 = far_frames(far);
    uint64_t b0 = __atomic_load_n(&far->bytes, __ATOMIC_RELAXED);
    uint64_t t0 = dm_ticks(nic->dm);
    double start = now_s(), last_progress = start;

    while (done < count) {
        unsigned added = 0;

        /* Reclaim completed packets. */
        while (nic->tx_used &&
               dd(nic, GPA_TX_RING, nic->tx_last[nic->tx_clean])) {
            unsigned last = nic->tx_last[nic->tx_clean];

            nic->tx_used -= (last + RING - nic->tx_clean) % RING + 1;
            nic->tx_clean = (last + 1) % RING;
            done++;
            last_progress = now_s();
        }
        while (sent < count && RING - 1 - nic->tx_used >= per &&
               added < BATCH &&
               (sent * frames_per) - (far_frames(far) - f0) < TX_INFLIGHT) {
            unsigned first = nic->tx_tail;

            if (row->tso) {
                tx_tso(nic);
            } else {
                tx_legacy(nic, GPA_TX_BUF + (uint64_t)first * BUF, row->len,
                          true);
            }
            nic->tx_last[first] = (uint16_t)((first + per - 1) % RING);
            nic->tx_used += per;
            sent++;
            added += per;
        }
        if (added) {
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            if (wr(nic, R_TDT, nic->tx_tail) < 0) {
                return -1;
            }
        } else {
            sched_yield();
        }
        if (now_s() - last_progress > 5) {
            uint32_t h = 0, t = 0, st = 0, tctl = 0;

            rd(nic, R_TDH, &h);
            rd(nic, R_TDT, &t);
            fprintf(stderr,
                    "%s: TX stalled at %llu of %llu (TDH %u TDT %u STATUS "
                    "0x%x TCTL 0x%x; %llu frames, %llu bytes arrived)\n",
                    nic->dm->name, (unsigned long long)done,
                    (unsigned long long)count, h, t, st, tctl,
                    (unsigned long long)(far_frames(far) - f0),
                    (unsigned long long)(__atomic_load_n(&far->bytes,
                                                         __ATOMIC_RELAXED) -
                                         b0));
            return -1;
        }
    }
    /* Until everything reached the far side (or stopped arriving). */
    last_progress = now_s();
    while (far_frames(far) - f0 < count * frames_per &&
           now_s() - last_progress < 1) {
        uint64_t f = far_frames(far);

        usleep(200);
        if (far_frames(far) != f) {
            last_progress = now_s();
        }
    }
    res->wall_s = now_s() - start;
    res->ticks = dm_ticks(nic->dm) - t0;
    res->pkts = count;
    res->wire_bytes = __atomic_load_n(&far->bytes, __ATOMIC_RELAXED) - b0;
    res->lost = count * frames_per - MIN(count * frames_per,
                                         far_frames(far) - f0);
    res->ok = true;
    return 0;
}

typedef struct Feed {
    int fd;
    bool udp;
    /* UDP: the host port libslirp forwards to the guest. */
    uint16_t port;
    const uint8_t *frame;
    size_t len;
    uint64_t count;
    uint64_t credit;
    uint64_t written;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} Feed;

/* Raise the feeder's credit (it sleeps while it has none). */
static void feed_credit(Feed *f, uint64_t credit)
{
    pthread_mutex_lock(&f->lock);
    if (credit > f->credit) {
        f->credit = credit;
        pthread_cond_signal(&f->cond);
    }
    pthread_mutex_unlock(&f->lock);
}

static void *feed_thread(void *opaque)
{
    Feed *f = opaque;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(f->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

    while (f->written < f->count) {
        ssize_t n;

        pthread_mutex_lock(&f->lock);
        while (f->written >= f->credit && f->written < f->count) {
            pthread_cond_wait(&f->cond, &f->lock);
        }
        pthread_mutex_unlock(&f->lock);
        if (f->written >= f->count) {
            break;
        }
        if (f->udp) {
            n = sendto(f->fd, f->frame + 42, f->len - 42, 0,
                       (struct sockaddr *)&a, sizeof(a));
        } else {
            n = write(f->fd, f->frame, f->len);
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == ENOBUFS) {
                sched_yield();
                continue;
            }
            perror("feed");
            return NULL;
        }
        f->written++;
    }
    return NULL;
}

static int rx_run(Nic *nic, int feed_fd, bool udp, const Row *row,
                  uint64_t count, Result *res)
{
    static uint8_t frame[1514];
    Feed feed = {.fd = feed_fd, .udp = udp,
                 .port = (uint16_t)(SLIRP_FWD_PORT + nic->dm->side),
                 .frame = frame, .len = row->len,
                 .count = count, .lock = PTHREAD_MUTEX_INITIALIZER,
                 .cond = PTHREAD_COND_INITIALIZER};
    uint64_t got = 0, bytes = 0, given = RING - 1;
    unsigned since_rdt = 0, spins = 0;
    uint64_t t0 = dm_ticks(nic->dm);
    double start, last_progress;
    pthread_t th;

    build_frame(frame, row->len, false, nic_mac, peer_mac,
                (const uint8_t[]){10, 0, 2, 15}, SLIRP_SINK_PORT);
    feed.credit = udp ? SLIRP_RX_WINDOW : given;
    start = last_progress = now_s();
    pthread_create(&th, NULL, feed_thread, &feed);
    while (got < count) {
        volatile uint8_t *d = gpa(nic, GPA_RX_RING + 16 * nic->rx_clean);

        if (!(d[12] & 1)) {
            /* Poll politely: the feeder and the DM share two CPUs. */
            if (++spins < 64) {
                __builtin_ia32_pause();
            } else if (spins < 256) {
                sched_yield();
            } else {
                usleep(20);
            }
            if (now_s() - last_progress > 5) {
                fprintf(stderr, "%s: RX stalled at %llu of %llu\n",
                        nic->dm->name, (unsigned long long)got,
                        (unsigned long long)count);
                pthread_mutex_lock(&feed.lock);
                feed.count = feed.written;
                pthread_cond_signal(&feed.cond);
                pthread_mutex_unlock(&feed.lock);
                pthread_join(th, NULL);
                return -1;
            }
            continue;
        }
        spins = 0;
        bytes += (uint64_t)(d[8] | d[9] << 8);
        d[12] = 0;
        got++;
        last_progress = now_s();
        since_rdt++;
        if (since_rdt == 32 || got == count) {
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            if (wr(nic, R_RDT, nic->rx_clean) < 0) {
                return -1;
            }
            given += since_rdt;
            since_rdt = 0;
        }
        if (since_rdt == 0 || udp) {
            /*
             * Never more in flight than buffers posted; through libslirp
             * also no more than its host socket's receive buffer holds.
             */
            feed_credit(&feed, udp ? MIN(given, got + SLIRP_RX_WINDOW) : given);
        }
        nic->rx_clean = (nic->rx_clean + 1) % RING;
    }
    res->wall_s = now_s() - start;
    res->ticks = dm_ticks(nic->dm) - t0;
    pthread_join(th, NULL);
    res->pkts = count;
    res->wire_bytes = bytes;
    res->lost = 0;
    res->ok = true;
    return 0;
}

/* ---- one row on one device model ---- */

static int row_env_up(const Row *row, unsigned side, Far *far, int *feed_fd)
{
    char cmd[128];

    *feed_fd = -1;
    memset(far, 0, sizeof(*far));
    if (row->be == BE_SLIRP) {
        if (row->tx) {
            far->fd = udp_socket((uint16_t)(SLIRP_SINK_PORT + side), true);
            far->udp = true;
        } else {
            *feed_fd = udp_socket(0, false);
            far->fd = -1;
        }
        return row->tx ? (far->fd < 0 ? -1 : 0) : (*feed_fd < 0 ? -1 : 0);
    }
    far->fd = peer_tap_open(side);
    if (far->fd < 0) {
        return -1;
    }
    snprintf(cmd, sizeof(cmd),
             "ip link set " PEER_FMT " master " BRIDGE_FMT
             " txqueuelen 20000 up", side, side);
    if (run_cmd(cmd) < 0) {
        return -1;
    }
    snprintf(cmd, sizeof(cmd),
             "ip link set " TAP_FMT " master " BRIDGE_FMT " up", side, side);
    if (run_cmd(cmd) < 0) {
        return -1;
    }
    *feed_fd = far->fd;
    return 0;
}

/* slirp learns the guest's MAC from an ARP request (libslirp arp_input). */
static int slirp_hello(Nic *nic)
{
    /*
     * Its own buffer: written into the TX slot's buffer, it replaced the
     * first 60 bytes of that slot's datagram for good, so every 256th
     * datagram of the slirp TX row went out as an oversized ARP request
     * and never reached the host socket (the "lost" datagrams).
     */
    uint8_t *f = gpa(nic, GPA_ARP);
    unsigned idx = nic->tx_tail;

    memset(f, 0, 60);
    memset(f, 0xff, 6);
    memcpy(f + 6, nic_mac, 6);
    put16(f + 12, 0x0806);
    put16(f + 14, 1);
    put16(f + 16, 0x0800);
    f[18] = 6;
    f[19] = 4;
    put16(f + 20, 1);
    memcpy(f + 22, nic_mac, 6);
    memcpy(f + 28, (const uint8_t[]){10, 0, 2, 15}, 4);
    memcpy(f + 38, (const uint8_t[]){10, 0, 2, 2}, 4);
    tx_legacy(nic, GPA_ARP, 60, true);
    if (wr(nic, R_TDT, nic->tx_tail) < 0) {
        return -1;
    }
    for (int i = 0; i < 1000 && !dd(nic, GPA_TX_RING, idx); i++) {
        usleep(1000);
    }
    nic->tx_clean = nic->tx_tail;
    /* The ARP reply: take it out of the ring. */
    for (int i = 0; i < 1000; i++) {
        volatile uint8_t *d = gpa(nic, GPA_RX_RING + 16 * nic->rx_clean);

        if (d[12] & 1) {
            d[12] = 0;
            nic->rx_clean = (nic->rx_clean + 1) % RING;
            break;
        }
        usleep(1000);
    }
    /* Reset the ring state: from here the driver owns RING - 1 again. */
    return wr(nic, R_RDT, (nic->rx_clean + RING - 1) % RING);
}

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
    /* Calibrate: a run of `count`, scaled to the wanted length. */
    if (side_run(sd, row, sd->count, &cal) < 0) {
        return -1;
    }
    sd->count = (uint64_t)((double)sd->count * o->secs / MAX(cal.wall_s, 0.01));
    sd->count = MAX(sd->count, (uint64_t)(row->tso ? 50 : 1000));
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

    fprintf(stderr, "  %-6s run %d: %.2f Gbit/s, %.2f µs CPU/pkt\n", sd->name,
            i + 1, (double)r->wire_bytes * 8 / r->wall_s / 1e9,
            (double)r->ticks * 1e6 / (double)sysconf(_SC_CLK_TCK) /
                (double)r->pkts);
}

/* The median run by wall time (runs have the same length), or !ok. */
static Result side_median(Side *sd)
{
    Result none = {0};

    if (sd->failed || sd->ok == 0) {
        return none;
    }
    for (int i = 0; i < sd->ok; i++) {
        for (int j = i + 1; j < sd->ok; j++) {
            if (sd->r[j].wall_s < sd->r[i].wall_s) {
                Result t = sd->r[i];

                sd->r[i] = sd->r[j];
                sd->r[j] = t;
            }
        }
    }
    return sd->r[sd->ok / 2];
}

/*
 * Both device models are up at once, each on its own tap, bridge and
 * far side, and their runs alternate (who goes first alternates too),
 * so that load from elsewhere on the machine hits both alike. The idle
 * one costs nothing meanwhile (QEMU's halted vCPU: no measurable CPU).
 */
static void bench_row(const Opts *o, const Row *row, Result *re, Result *rq)
{
    Side sides[SIDES];
    int n = 0;

    memset(sides, 0, sizeof(sides));
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
    }
    for (int i = 0; i < o->runs; i++) {
        for (int k = 0; k < n; k++) {
            Side *sd = &sides[(i + k) % n];

            if (sd->failed) {
                continue;
            }
            if (side_run(sd, row, sd->count, &sd->r[sd->ok]) < 0) {
                sd->failed = true;
                continue;
            }
            run_report(sd, i);
            sd->ok++;
        }
    }
    for (int k = 0; k < n; k++) {
        Result m = side_median(&sides[k]);

        *(sides[k].qemu ? rq : re) = m;
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
            "Rows:");
    for (size_t i = 0; i < N_ROWS; i++) {
        fprintf(stderr, " %s", rows[i].key);
    }
    fprintf(stderr, "\nRuns as root, in a network namespace of its own.\n");
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
                 "ip link set " BRIDGE_FMT " up", i, i);
        if (run_cmd(cmd) < 0) {
            return -1;
        }
    }
    return 0;
}

static void print_cell(const Result *r, const Row *row)
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
    (void)row;
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
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    Opts o = {.runs = 3, .secs = 1.0, .emunet = TAPBENCH_EMUNET,
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
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (setup_netns() < 0) {
        return 1;
    }
    printf("| row | emunet | QEMU 7.2 | emunet/QEMU |\n");
    printf("|---|---|---|---|\n");
    for (size_t i = 0; i < N_ROWS; i++) {
        Result re = {0}, rq = {0};

        if (!want(o.rows, rows[i].key)) {
            continue;
        }
        fprintf(stderr, "row %s\n", rows[i].label);
        bench_row(&o, &rows[i], &re, &rq);
        printf("| %s |", rows[i].label);
        print_cell(&re, &rows[i]);
        print_cell(&rq, &rows[i]);
        if (re.ok && rq.ok) {
            printf(" %.2f× |\n", ((double)re.wire_bytes / re.wall_s) /
                                     ((double)rq.wire_bytes / rq.wall_s));
        } else {
            printf(" - |\n");
        }
        if (re.lost || rq.lost) {
            fprintf(stderr, "  lost frames: emunet %llu, QEMU %llu\n",
                    (unsigned long long)re.lost, (unsigned long long)rq.lost);
        }
        fflush(stdout);
    }
    return 0;
}
