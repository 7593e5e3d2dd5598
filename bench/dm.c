/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dm: start, watch, measure and stop a device-model process (see dm.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dm.h"

#define DM_MAX 4
#define DM_ARGV_MAX 48
/* How long a device model may take to connect to the qtest socket. */
#define DM_CONNECT_MS 30000
/* After SIGTERM, how long to wait before SIGKILL. */
#define DM_TERM_MS 3000
#define DM_NIC_ID 0x100e8086u
/* Reads of the NIC's ID, 10 ms apart, before it is declared wrong. */
#define DM_ID_TRIES 100

/* Every started Dm, for the exit and signal handlers. */
static Dm *volatile dm_registry[DM_MAX];

double dm_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void dm_register(Dm *dm)
{
    for (int i = 0; i < DM_MAX; i++) {
        if (!dm_registry[i]) {
            dm_registry[i] = dm;
            return;
        }
    }
}

static void dm_unregister(Dm *dm)
{
    for (int i = 0; i < DM_MAX; i++) {
        if (dm_registry[i] == dm) {
            dm_registry[i] = NULL;
        }
    }
}

/* Remove what is left of the temp dir; only async-signal-safe calls. */
static void dm_remove_files(Dm *dm)
{
    if (dm->sock_path[0]) {
        unlink(dm->sock_path);
    }
    if (dm->ram_path[0]) {
        unlink(dm->ram_path);
    }
    if (dm->dir[0]) {
        rmdir(dm->dir);
    }
}

static void dm_on_signal(int sig)
{
    for (int i = 0; i < DM_MAX; i++) {
        Dm *dm = dm_registry[i];

        if (dm) {
            if (dm->pid > 0) {
                kill(dm->pid, SIGKILL);
            }
            dm_remove_files(dm);
        }
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void dm_on_exit(void)
{
    for (int i = 0; i < DM_MAX; i++) {
        if (dm_registry[i]) {
            dm_stop(dm_registry[i]);
        }
    }
}

void dm_cleanup_install(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    struct sigaction sa = {.sa_handler = dm_on_signal};

    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        sigaction(sigs[i], &sa, NULL);
    }
    signal(SIGPIPE, SIG_IGN);
    atexit(dm_on_exit);
}

/* A temp dir on tmpfs (/dev/shm) if possible, else $TMPDIR or /tmp. */
static int dm_make_dir(Dm *dm)
{
    const char *bases[] = {"/dev/shm", getenv("TMPDIR"), "/tmp"};

    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        if (!bases[i] || access(bases[i], W_OK) != 0) {
            continue;
        }
        int n =
            snprintf(dm->dir, sizeof(dm->dir), "%s/nicbench.XXXXXX", bases[i]);

        if (n > 0 && (size_t)n < sizeof(dm->dir) && mkdtemp(dm->dir)) {
            return 0;
        }
    }
    dm->dir[0] = '\0';
    fprintf(stderr, "dm: cannot create a temp dir\n");
    return -1;
}

static int dm_make_ram(Dm *dm)
{
    int fd;

    snprintf(dm->ram_path, sizeof(dm->ram_path), "%s/ram", dm->dir);
    fd = open(dm->ram_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror("dm: ram file");
        return -1;
    }
    dm->ram_size = (size_t)DM_RAM_MB << 20;
    if (ftruncate(fd, (off_t)dm->ram_size) < 0) {
        perror("dm: ram file size");
        close(fd);
        return -1;
    }
    dm->ram =
        mmap(NULL, dm->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (dm->ram == MAP_FAILED) {
        dm->ram = NULL;
        perror("dm: mmap ram");
        return -1;
    }
    return 0;
}

/* `prog` itself if it has a '/', else the first executable in PATH. */
static int dm_find_prog(const char *prog, char *out, size_t outsz)
{
    const char *path = getenv("PATH");

    if (strchr(prog, '/')) {
        snprintf(out, outsz, "%s", prog);
        return access(out, X_OK);
    }
    while (path && *path) {
        const char *end = strchrnul(path, ':');

        snprintf(out, outsz, "%.*s/%s", (int)(end - path), path, prog);
        if (end > path && access(out, X_OK) == 0) {
            return 0;
        }
        path = *end ? end + 1 : end;
    }
    return -1;
}

/* In the child: fd 3 is the netdev socket, stdout joins stderr. */
static void dm_exec_child(const char *path, char *const *argv, int net_fd,
                          pid_t parent)
{
    int null_fd;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
        _exit(127);
    }
    signal(SIGPIPE, SIG_DFL);
    if (net_fd == 3) {
        fcntl(3, F_SETFD, 0);
    } else if (dup2(net_fd, 3) < 0) {
        _exit(127);
    }
    null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
        dup2(null_fd, 0);
    }
    dup2(2, 1);
    execv(path, argv);
    _exit(127);
}

/* Report how a child that should be running ended. */
static void dm_report_exit(Dm *dm, int st)
{
    if (WIFEXITED(st)) {
        fprintf(stderr, "%s: exited with status %d\n", dm->name,
                WEXITSTATUS(st));
    } else if (WIFSIGNALED(st)) {
        fprintf(stderr, "%s: killed by signal %d\n", dm->name, WTERMSIG(st));
    }
}

bool dm_alive(const Dm *dm)
{
    siginfo_t info = {0};

    if (dm->pid <= 0) {
        return false;
    }
    /* WNOWAIT: leave the zombie for dm_stop to reap. */
    if (waitid(P_PID, (id_t)dm->pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
        return false;
    }
    return info.si_pid == 0;
}

void dm_kill(Dm *dm)
{
    if (dm->pid > 0) {
        kill(dm->pid, SIGKILL);
    }
    dm->failed = true;
}

/* Wait for the connection, watching the child meanwhile. */
static int dm_wait_connect(Dm *dm, int lfd, double t0)
{
    while (dm_now() - t0 < DM_CONNECT_MS / 1000.0) {
        int r = qtc_accept(&dm->qt, lfd, 50);

        if (r <= 0) {
            return r;
        }
        if (!dm_alive(dm)) {
            int st = 0;

            waitpid(dm->pid, &st, 0);
            dm->pid = 0;
            dm_report_exit(dm, st);
            return -1;
        }
    }
    fprintf(stderr, "%s: no qtest connection within %d ms\n", dm->name,
            DM_CONNECT_MS);
    return -1;
}

static int dm_build_argv(Dm *dm, const char *path, const char *const *extra,
                         const char *model, char **argv, char *bufs[4])
{
    int n = 0;

    bufs[0] = NULL;
    if (asprintf(&bufs[0],
                 "memory-backend-file,id=ram,size=%dM,"
                 "mem-path=%s,share=on",
                 DM_RAM_MB, dm->ram_path) < 0 ||
        asprintf(&bufs[1], "%dM", DM_RAM_MB) < 0 ||
        asprintf(&bufs[2], "unix:%s", dm->sock_path) < 0 ||
        asprintf(&bufs[3], "%s,netdev=n0,addr=04.0,romfile=,mac=%s", model,
                 DM_NIC_MAC) < 0) {
        return -1;
    }
    argv[n++] = (char *)path;
    for (; extra && *extra && n < DM_ARGV_MAX - 16; extra++) {
        argv[n++] = (char *)*extra;
    }
    argv[n++] = "-machine";
    argv[n++] = "pc,memory-backend=ram";
    argv[n++] = "-m";
    argv[n++] = bufs[1];
    argv[n++] = "-object";
    argv[n++] = bufs[0];
    argv[n++] = "-netdev";
    argv[n++] = "socket,id=n0,fd=3";
    argv[n++] = "-device";
    argv[n++] = bufs[3];
    argv[n++] = "-qtest";
    argv[n++] = bufs[2];
    argv[n] = NULL;
    return 0;
}

/* Fork and exec; the child's netdev end is sv[1]. */
static int dm_spawn(Dm *dm, const char *path, char **argv, int sv[2])
{
    pid_t parent = getpid();

    fflush(NULL);
    dm->pid = fork();
    if (dm->pid < 0) {
        dm->pid = 0;
        perror("dm: fork");
        return -1;
    }
    if (dm->pid == 0) {
        dm_exec_child(path, argv, sv[1], parent);
    }
    close(sv[1]);
    sv[1] = -1;
    dm->net_fd = sv[0];
    return 0;
}

/*
 * The first config access: the NIC's vendor/device ID at 04.0. QEMU's
 * SeaBIOS may be enumerating PCI through the same 0xcf8 latch meanwhile
 * (its vCPU runs), so a read can return another register: retry a while.
 */
static int dm_first_read(Dm *dm, uint32_t want)
{
    uint32_t id = 0;

    for (int i = 0; i < DM_ID_TRIES; i++) {
        if (qtc_cfg_readl(&dm->qt, DM_NIC_DEVFN, 0, &id) < 0) {
            return -1;
        }
        if (id == want) {
            return 0;
        }
        usleep(10000);
    }
    fprintf(stderr, "%s: 04.0 has ID 0x%08x, want 0x%08x\n", dm->name, id,
            want);
    return -1;
}

int dm_start(Dm *dm, const char *name, const char *prog,
             const char *const *extra)
{
    return dm_start_nic(dm, name, prog, extra, "e1000", DM_NIC_ID);
}

int dm_start_nic(Dm *dm, const char *name, const char *prog,
                 const char *const *extra, const char *model, uint32_t pci_id)
{
    char path[PATH_MAX];
    char *argv[DM_ARGV_MAX];
    char *bufs[4] = {NULL, NULL, NULL, NULL};
    int sv[2] = {-1, -1};
    int lfd = -1;
    int ret = -1;
    double t0;

    memset(dm, 0, sizeof(*dm));
    dm->live = true;
    dm->name = name;
    dm->net_fd = -1;
    dm->qt.fd = -1;
    dm->qt.timeout_ms = 10000;
    dm_register(dm);
    if (dm_find_prog(prog, path, sizeof(path)) < 0) {
        fprintf(stderr, "%s: no executable '%s'\n", name, prog);
        goto out;
    }
    if (dm_make_dir(dm) < 0 || dm_make_ram(dm) < 0) {
        goto out;
    }
    snprintf(dm->sock_path, sizeof(dm->sock_path), "%s/qtest.sock", dm->dir);
    lfd = qtc_listen(dm->sock_path);
    if (lfd < 0) {
        goto out;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        perror("dm: socketpair");
        goto out;
    }
    if (dm_build_argv(dm, path, extra, model, argv, bufs) < 0) {
        goto out;
    }
    t0 = dm_now();
    if (dm_spawn(dm, path, argv, sv) < 0) {
        goto out;
    }
    if (dm_wait_connect(dm, lfd, t0) < 0) {
        goto out;
    }
    dm->accept_s = dm_now() - t0;
    if (dm_first_read(dm, pci_id) < 0) {
        goto out;
    }
    dm->ready_s = dm_now() - t0;
    /* Both files stay in use through the open socket and the mappings. */
    unlink(dm->sock_path);
    unlink(dm->ram_path);
    if (wire_start(&dm->wire, dm->net_fd) < 0) {
        goto out;
    }
    ret = 0;
out:
    if (lfd >= 0) {
        close(lfd);
    }
    if (sv[1] >= 0) {
        close(sv[1]);
    }
    if (sv[0] >= 0 && dm->net_fd < 0) {
        close(sv[0]);
    }
    for (int i = 0; i < 4; i++) {
        free(bufs[i]);
    }
    if (ret < 0) {
        dm_stop(dm);
        dm->failed = true;
    }
    return ret;
}

int dm_cpu_ticks(const Dm *dm, uint64_t *ticks)
{
    char path[64];
    char buf[1024];
    unsigned long long ut, st;
    const char *p;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)dm->pid);
    f = fopen(path, "re");
    if (!f) {
        return -1;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold anything; fields resume after ") ". */
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 2,
                     "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                     "%llu %llu",
                     &ut, &st) != 2) {
        return -1;
    }
    *ticks = ut + st;
    return 0;
}

int dm_mem(const Dm *dm, DmMem *mem)
{
    char path[64];
    char line[256];
    FILE *f;

    memset(mem, 0, sizeof(*mem));
    snprintf(path, sizeof(path), "/proc/%d/status", (int)dm->pid);
    f = fopen(path, "re");
    if (!f) {
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        sscanf(line, "VmRSS: %ld", &mem->rss_kb);
        sscanf(line, "VmHWM: %ld", &mem->hwm_kb);
        sscanf(line, "RssAnon: %ld", &mem->anon_kb);
        sscanf(line, "RssFile: %ld", &mem->file_kb);
        sscanf(line, "RssShmem: %ld", &mem->shmem_kb);
    }
    fclose(f);
    return 0;
}

/* SIGTERM, a grace period, then SIGKILL; always reaps. */
static void dm_reap(Dm *dm)
{
    double t0 = dm_now();
    int st = 0;

    if (dm->pid <= 0) {
        return;
    }
    kill(dm->pid, SIGTERM);
    while (waitpid(dm->pid, &st, WNOHANG) == 0) {
        if (dm_now() - t0 > DM_TERM_MS / 1000.0) {
            kill(dm->pid, SIGKILL);
            waitpid(dm->pid, &st, 0);
            break;
        }
        usleep(10000);
    }
    dm->pid = 0;
}

void dm_stop(Dm *dm)
{
    if (!dm->live) {
        return;
    }
    qtc_close(&dm->qt);
    dm_reap(dm);
    wire_stop(&dm->wire);
    if (dm->net_fd >= 0) {
        close(dm->net_fd);
        dm->net_fd = -1;
    }
    if (dm->ram) {
        munmap(dm->ram, dm->ram_size);
        dm->ram = NULL;
    }
    dm_remove_files(dm);
    dm->dir[0] = dm->ram_path[0] = dm->sock_path[0] = '\0';
    dm_unregister(dm);
    dm->live = false;
}

int dm_readl(Dm *dm, uint64_t addr, uint32_t *val)
{
    if (dm->bus) {
        return dm->bus->readl(dm->bus->opaque, addr, val);
    }
    return qtc_readl(&dm->qt, addr, val);
}

int dm_writel(Dm *dm, uint64_t addr, uint32_t val)
{
    if (dm->bus) {
        return dm->bus->writel(dm->bus->opaque, addr, val);
    }
    return qtc_writel(&dm->qt, addr, val);
}

int dm_cfg_readl(Dm *dm, unsigned devfn, unsigned off, uint32_t *val)
{
    if (dm->bus) {
        return dm->bus->cfg_readl(dm->bus->opaque, devfn, off, val);
    }
    return qtc_cfg_readl(&dm->qt, devfn, off, val);
}

int dm_cfg_writel(Dm *dm, unsigned devfn, unsigned off, uint32_t val)
{
    if (dm->bus) {
        return dm->bus->cfg_writel(dm->bus->opaque, devfn, off, val);
    }
    return qtc_cfg_writel(&dm->qt, devfn, off, val);
}
