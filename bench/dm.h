/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dm: one device-model process under benchmark (emunet or QEMU). It owns
 * a temporary directory on tmpfs with the shared guest-RAM file and the
 * qtest socket, the benchmark's end of the netdev socketpair (and its
 * wire reader), the qtest connection and the child itself. Every child
 * and temp file is registered so that an exit or a fatal signal cleans
 * them up.
 */
#ifndef BENCH_DM_H
#define BENCH_DM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "qtc.h"
#include "wire.h"

/* PCI slot of the NIC (addr=04.0) and its MAC, the same for both DMs. */
#define DM_NIC_DEVFN (4 << 3)
#define DM_NIC_MAC "52:54:00:12:34:56"
#define DM_RAM_MB 128
/* Paths: a temp dir, and files in it (a UNIX socket path is short). */
#define DM_DIR_MAX 160
#define DM_PATH_MAX (DM_DIR_MAX + 32)

typedef struct DmMem {
    long rss_kb;
    long hwm_kb;
    long anon_kb;
    long file_kb;
    long shmem_kb;
} DmMem;

/*
 * Another way than qtest to reach the guest's buses (xenbench plays the
 * vCPUs of a xen-sim domain with it). Each function returns 0, or -1
 * with a message on stderr, as the qtc_* call it stands in for.
 */
typedef struct DmBus {
    /* 32-bit MMIO read and write at guest-physical `addr`. */
    int (*readl)(void *opaque, uint64_t addr, uint32_t *val);
    int (*writel)(void *opaque, uint64_t addr, uint32_t val);
    /* PCI config dword of bus 0 `devfn` at `off` via 0xcf8/0xcfc. */
    int (*cfg_readl)(void *opaque, unsigned devfn, unsigned off, uint32_t *val);
    int (*cfg_writel)(void *opaque, unsigned devfn, unsigned off, uint32_t val);
    /* Passed to each function. */
    void *opaque;
} DmBus;

typedef struct Dm {
    /* "emunet" or "QEMU", for messages and the table. */
    const char *name;
    pid_t pid;
    char dir[DM_DIR_MAX];
    char ram_path[DM_PATH_MAX];
    char sock_path[DM_PATH_MAX];
    /* Guest RAM as the benchmark sees it: guest-physical = offset. */
    uint8_t *ram;
    size_t ram_size;
    /* Our end of the netdev socketpair, and its reader. */
    int net_fd;
    Wire wire;
    Qtc qt;
    /* Register and config accesses go here instead of qt, unless NULL. */
    const DmBus *bus;
    /* Seconds from fork+exec to the qtest connection, and to the answer
     * of the first PCI config read. */
    double accept_s;
    double ready_s;
    /* Something went wrong: no more measurements with this DM. */
    bool failed;
    /* dm_start ran and dm_stop has not yet. */
    bool live;
} Dm;

/* Install the exit/signal cleanup of every Dm started later. */
void dm_cleanup_install(void);

/*
 * Start `prog` (a path, or a name looked up in PATH) with the options
 * both device models share (shared RAM, -netdev socket,fd=3, the e1000,
 * -qtest unix:...) after `extra` (NULL-terminated), and wait until it has
 * connected and answered the first config read of the NIC's ID.
 * Returns 0, or -1 with the child cleaned up.
 */
int dm_start(Dm *dm, const char *name, const char *prog,
             const char *const *extra);

/*
 * dm_start with another NIC at 04.0: `model` is its -device name (e.g.
 * "rtl8139", same options otherwise) and `pci_id` the device << 16 |
 * vendor ID the first config read must find.
 */
int dm_start_nic(Dm *dm, const char *name, const char *prog,
                 const char *const *extra, const char *model, uint32_t pci_id);

/* MMIO and config accesses through dm->bus, else over qtest. */
int dm_readl(Dm *dm, uint64_t addr, uint32_t *val);
int dm_writel(Dm *dm, uint64_t addr, uint32_t val);
int dm_cfg_readl(Dm *dm, unsigned devfn, unsigned off, uint32_t *val);
int dm_cfg_writel(Dm *dm, unsigned devfn, unsigned off, uint32_t val);

/* utime+stime of the whole process (all threads), in clock ticks. */
int dm_cpu_ticks(const Dm *dm, uint64_t *ticks);

/* Resident memory from /proc/PID/status. */
int dm_mem(const Dm *dm, DmMem *mem);

/* True while the child runs (it is not reaped here). */
bool dm_alive(const Dm *dm);

/* Kill the child now (used when it hangs), keeping the rest. */
void dm_kill(Dm *dm);

/* Stop the child (SIGTERM, then SIGKILL), reap it, free everything. */
void dm_stop(Dm *dm);

/* Seconds on CLOCK_MONOTONIC. */
double dm_now(void);

#endif
