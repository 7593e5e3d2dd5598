/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tapbench (bench/README.md, "Host backends"): what its three files share.
 * tapbench.c runs the rows and reports; tapdm.c starts, pins, watches and
 * stops the device models; tapwire.c is the guest's e1000 driver and the
 * wire (the far side, the feeder, the taps and UDP sockets they use).
 */
#ifndef BENCH_TAPBENCH_H
#define BENCH_TAPBENCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "qtc.h"

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
    /* The guest driver sleeps in far_wait until frames move. */
    int waiting;
    pthread_mutex_t lock;
    pthread_cond_t moved;
} Far;

typedef struct Result {
    double wall_s;
    uint64_t pkts;
    uint64_t wire_bytes;
    uint64_t ticks;
    /* ...of which in the kernel (stime). */
    uint64_t sys_ticks;
    /* This process's CPU (guest driver, far side, feeder), microseconds. */
    double client_us;
    uint64_t lost;
    bool ok;
} Result;

/* The guest's e1000: its device model and ring state. */
typedef struct Nic {
    Dm *dm;
    /* TX: next free slot, next to reclaim, slots in use. */
    unsigned tx_tail;
    unsigned tx_clean;
    unsigned tx_used;
    /* The last descriptor of the packet that starts at each slot. */
    uint16_t tx_last[RING];
    /* Which TSO payload area the next send uses. */
    unsigned tso_next;
    /* RX: next descriptor to look at. */
    unsigned rx_clean;
} Nic;

/* ---- tapdm.c ---- */

/*
 * --cpus DM,CLIENT: the CPU every device model runs on (all its threads)
 * and the one this client's threads run on; -1: the scheduler places them.
 */
extern int dm_cpu;
extern int client_cpu;

/* CLOCK_MONOTONIC in seconds. */
double now_s(void);

/* SIGINT/SIGTERM/SIGHUP: kill the device models, then die of it. */
void on_signal(int sig);

/* system(cmd); 0, or -1 (logged) if it failed. */
int run_cmd(const char *cmd);

/* Run the calling thread (and what it creates or execs) on `cpu` only. */
int pin_cpu(int cpu);

/* --cpus: "DM,CLIENT" or "none" into dm_cpu, client_cpu; -1 if bad. */
int parse_cpus(const char *arg);

/*
 * Start device model `name` (`prog`; QEMU's options if `qemu`) with the
 * row's backend on side `side`, wait for its qtest connection and its
 * first answer, and map its RAM. 0 or -1 (logged).
 */
int dm_start(Dm *dm, const char *name, const char *prog, bool qemu, Backend be,
             unsigned side);

/* Stop it (SIGTERM, then SIGKILL) and remove its files. */
void dm_stop(Dm *dm);

/* utime + stime of the device model, all threads; *sys: stime alone. */
uint64_t dm_ticks_sys(const Dm *dm, uint64_t *sys);
uint64_t dm_ticks(const Dm *dm);

/* Wait until two windows in a row use little CPU (at most 30 s). */
void dm_settle(Dm *dm);

/* utime + stime of this process (all its threads), microseconds. */
double self_cpu_us(void);

/* ---- tapwire.c ---- */

/* Reset and set up the e1000 of `dm` as a Linux driver would. */
int nic_setup(Nic *nic, Dm *dm, Backend be);

/*
 * The row's wire for side `side`: the far side (TX) or the feeder's fd
 * (RX), and for a tap the bridge around the device model's tap.
 */
int row_env_up(const Row *row, unsigned side, Far *far, int *feed_fd);

/* Thread: count what reaches the far side until far->stop. */
void *far_thread(void *opaque);

/* Teach libslirp the guest's MAC (one ARP request), before any run. */
int slirp_hello(Nic *nic);

/* One run of `count` packets each way; 0, or -1 when it stalled. */
int tx_run(Nic *nic, Far *far, const Row *row, uint64_t count, Result *res);
int rx_run(Nic *nic, int feed_fd, bool udp, const Row *row, uint64_t count,
           Result *res);

#endif
