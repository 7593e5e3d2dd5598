/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tapbench's device models: started with the row's backend, pinned,
 * watched (CPU from /proc) and stopped. See tapbench.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tapbench.h"

/* QEMU's firmware has settled when a window uses less CPU than this. */
#define SETTLE_WINDOW_US 250000
#define SETTLE_MAX_FRAC 0.10

/* The running device models, for on_signal. */
static volatile pid_t child_pid[SIDES];

int dm_cpu = 0;
int client_cpu = 0;

double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void on_signal(int sig)
{
    for (int i = 0; i < SIDES; i++) {
        if (child_pid[i] > 0) {
            kill(child_pid[i], SIGKILL);
        }
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

int run_cmd(const char *cmd)
{
    int r = system(cmd);

    if (r != 0) {
        fprintf(stderr, "tapbench: '%s' failed\n", cmd);
    }
    return r == 0 ? 0 : -1;
}

/* Run the calling thread (and what it creates or execs) on `cpu` only. */
int pin_cpu(int cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) < 0) {
        fprintf(stderr, "tapbench: CPU %d: %s\n", cpu, strerror(errno));
        return -1;
    }
    return 0;
}

/* --cpus: "DM,CLIENT" or "none". */
int parse_cpus(const char *arg)
{
    char *end;

    if (strcmp(arg, "none") == 0) {
        dm_cpu = client_cpu = -1;
        return 0;
    }
    dm_cpu = (int)strtol(arg, &end, 10);
    if (end == arg || *end != ',') {
        return -1;
    }
    arg = end + 1;
    client_cpu = (int)strtol(arg, &end, 10);
    if (end == arg || *end || dm_cpu < 0 || client_cpu < 0 ||
        dm_cpu >= CPU_SETSIZE || client_cpu >= CPU_SETSIZE) {
        return -1;
    }
    return 0;
}

/* ---- device models ---- */

int dm_start(Dm *dm, const char *name, const char *prog, bool qemu, Backend be,
             unsigned side)
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
             "memory-backend-file,id=ram,size=%dM,mem-path=%s,share=on", RAM_MB,
             dm->ram_path);
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
        if (dm_cpu >= 0 && pin_cpu(dm_cpu) < 0) {
            _exit(127);
        }
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

void dm_stop(Dm *dm)
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

/* utime + stime of the device model, all threads; *sys: stime alone. */
uint64_t dm_ticks_sys(const Dm *dm, uint64_t *sys)
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
    if (sys) {
        *sys = st;
    }
    return ut + st;
}

uint64_t dm_ticks(const Dm *dm)
{
    return dm_ticks_sys(dm, NULL);
}

/* Wait until two windows in a row use little CPU (at most 30 s). */
void dm_settle(Dm *dm)
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

/* utime + stime of this process (all its threads), microseconds. */
double self_cpu_us(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}
