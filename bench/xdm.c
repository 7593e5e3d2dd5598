/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xdm: emunet as a Xen device model on xen-sim, as a Dm (see xdm.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xdm.h"

#define XDM_MAX 2
/* How long emunet may take to become a ready ioreq server. */
#define XDM_READY_MS 30000
/* After SIGHUP, how long a clean exit may take before SIGKILL. */
#define XDM_EXIT_MS 5000
#define XDM_NIC_ID 0x100e8086u
#define XDM_CF8 0xcf8
#define XDM_CFC 0xcfc
#define XDM_CF8_ENABLE 0x80000000u

static XenDm *volatile xdm_registry[XDM_MAX];
static struct sigaction xdm_old_action[NSIG];
static const int xdm_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

/* Kill the children and remove the sockets; async-signal-safe only. */
static void xdm_on_signal(int sig)
{
    for (int i = 0; i < XDM_MAX; i++) {
        XenDm *x = xdm_registry[i];

        if (!x) {
            continue;
        }
        if (x->dm.pid > 0) {
            kill(x->dm.pid, SIGKILL);
        }
        unlink(x->sock_path);
        unlink(x->xs_path);
        rmdir(x->sim_dir);
    }
    /* Then whatever was installed before (dm.c's cleanup), re-raised. */
    sigaction(sig, &xdm_old_action[sig], NULL);
    raise(sig);
}

static void xdm_on_exit(void)
{
    for (int i = 0; i < XDM_MAX; i++) {
        if (xdm_registry[i]) {
            xdm_stop(xdm_registry[i]);
        }
    }
}

static void xdm_register(XenDm *x)
{
    static bool installed;

    if (!installed) {
        struct sigaction sa = {.sa_handler = xdm_on_signal};

        installed = true;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < sizeof(xdm_signals) / sizeof(xdm_signals[0]);
             i++) {
            sigaction(xdm_signals[i], &sa, &xdm_old_action[xdm_signals[i]]);
        }
        atexit(xdm_on_exit);
    }
    for (int i = 0; i < XDM_MAX; i++) {
        if (!xdm_registry[i]) {
            xdm_registry[i] = x;
            return;
        }
    }
}

static void xdm_unregister(XenDm *x)
{
    for (int i = 0; i < XDM_MAX; i++) {
        if (xdm_registry[i] == x) {
            xdm_registry[i] = NULL;
        }
    }
}

/* ---- the bus: one vCPU's ioreqs ---- */

/*
 * One access as vCPU 0, waiting for its completion. `claimed`: it must
 * be answered by an ioreq server, not by Xen's null handler (a register
 * of an unmapped BAR, a config access to a function nobody registered).
 */
static int xdm_io(XenDm *x, uint8_t type, uint8_t dir, uint64_t addr,
                  uint64_t *data, bool claimed)
{
    XenSimIo io;
    XenSimIoStatus st;

    xensim_io_init(&io, type, dir, addr, 4, dir == IOREQ_WRITE ? *data : 0);
    st = xensim_io(x->sim, XDM_DOMID, 0, &io);
    if (st != XENSIM_IO_OK || (claimed && io.server < 0)) {
        x->io_errors++;
        fprintf(stderr, "%s: %s %s at 0x%" PRIx64 ": %s\n", x->dm.name,
                type == IOREQ_TYPE_PIO ? "port" : "MMIO",
                dir == IOREQ_READ ? "read" : "write", addr,
                st != XENSIM_IO_OK ? xensim_io_status_str(st)
                                   : "answered by the null handler");
        return -1;
    }
    if (dir == IOREQ_READ) {
        *data = io.data & 0xffffffffu;
    }
    return 0;
}

static int xdm_readl(void *opaque, uint64_t addr, uint32_t *val)
{
    uint64_t v = 0;

    if (xdm_io(opaque, IOREQ_TYPE_COPY, IOREQ_READ, addr, &v, true) < 0) {
        return -1;
    }
    *val = (uint32_t)v;
    return 0;
}

static int xdm_writel(void *opaque, uint64_t addr, uint32_t val)
{
    uint64_t v = val;

    return xdm_io(opaque, IOREQ_TYPE_COPY, IOREQ_WRITE, addr, &v, true);
}

/* Configuration mechanism #1 (PCI 3.0 3.2.2.3.2): Xen latches CF8. */
static int xdm_cf8(XenDm *x, unsigned devfn, unsigned off)
{
    uint64_t v = XDM_CF8_ENABLE | (devfn & 0xff) << 8 | (off & 0xfc);

    /* Nobody claims port 0xcf8 itself: the null handler drops it. */
    return xdm_io(x, IOREQ_TYPE_PIO, IOREQ_WRITE, XDM_CF8, &v, false);
}

static int xdm_cfg_readl(void *opaque, unsigned devfn, unsigned off,
                         uint32_t *val)
{
    XenDm *x = opaque;
    uint64_t v = 0;

    if (xdm_cf8(x, devfn, off) < 0 ||
        xdm_io(x, IOREQ_TYPE_PIO, IOREQ_READ, XDM_CFC, &v, true) < 0) {
        return -1;
    }
    *val = (uint32_t)v;
    return 0;
}

static int xdm_cfg_writel(void *opaque, unsigned devfn, unsigned off,
                          uint32_t val)
{
    XenDm *x = opaque;
    uint64_t v = val;

    if (xdm_cf8(x, devfn, off) < 0) {
        return -1;
    }
    return xdm_io(x, IOREQ_TYPE_PIO, IOREQ_WRITE, XDM_CFC, &v, true);
}

/* ---- the child ---- */

/* In the child: fd 3 is the netdev socket, stdout joins stderr. */
static void xdm_exec_child(const char *prog, char *const *argv,
                           char *const *envp, int net_fd, pid_t parent)
{
    int null_fd;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
        _exit(127);
    }
    signal(SIGPIPE, SIG_DFL);
    if (dup2(net_fd, 3) < 0) {
        _exit(127);
    }
    null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
        dup2(null_fd, 0);
    }
    dup2(2, 1);
    /* Nothing of the simulator's leaks into the device model. */
    close_range(4, ~0u, 0);
    execve(prog, argv, envp);
    _exit(127);
}

static int xdm_spawn(XenDm *x, const char *prog, const char *libdir, int net_fd)
{
    char domid[16];
    char *const argv[] = {
        (char *)prog,
        "--domid",
        domid,
        "-netdev",
        "socket,id=n0,fd=3",
        "-device",
        "e1000,netdev=n0,addr=04.0,romfile=,mac=" DM_NIC_MAC,
        NULL,
    };
    gchar **envp = xensim_environ(x->sim, NULL);
    pid_t parent = getpid();

    snprintf(domid, sizeof(domid), "%d", XDM_DOMID);
    envp = g_environ_setenv(envp, "LD_LIBRARY_PATH", libdir, TRUE);
    fflush(NULL);
    x->dm.pid = fork();
    if (x->dm.pid == 0) {
        xdm_exec_child(prog, argv, envp, net_fd, parent);
    }
    g_strfreev(envp);
    if (x->dm.pid < 0) {
        x->dm.pid = 0;
        perror("xdm: fork");
        return -1;
    }
    return 0;
}

/* Wait for a ready ioreq server, watching the child meanwhile. */
static int xdm_wait_ready(XenDm *x, double t0)
{
    while (dm_now() - t0 < XDM_READY_MS / 1000.0) {
        int st = 0;

        if (xensim_wait_server_ready(x->sim, XDM_DOMID, -1, 50) >= 0) {
            return 0;
        }
        if (waitpid(x->dm.pid, &st, WNOHANG) == x->dm.pid) {
            x->dm.pid = 0;
            fprintf(stderr, "%s: exited (status 0x%x) before serving\n",
                    x->dm.name, (unsigned)st);
            return -1;
        }
    }
    fprintf(stderr, "%s: no ready ioreq server within %d ms\n", x->dm.name,
            XDM_READY_MS);
    return -1;
}

static int xdm_setup_sim(XenDm *x)
{
    GError *err = NULL;
    gchar *dir;

    x->sim = xensim_new(&err);
    if (!x->sim || !xensim_domain_create(x->sim, XDM_DOMID, XDM_VCPUS,
                                         (uint64_t)DM_RAM_MB << 20, &err)) {
        fprintf(stderr, "%s: xen-sim: %s\n", x->dm.name,
                err ? err->message : "failed");
        g_clear_error(&err);
        return -1;
    }
    snprintf(x->sock_path, sizeof(x->sock_path), "%s",
             xensim_socket_path(x->sim));
    snprintf(x->xs_path, sizeof(x->xs_path), "%s",
             xensim_xenstore_path(x->sim));
    dir = g_path_get_dirname(x->sock_path);
    snprintf(x->sim_dir, sizeof(x->sim_dir), "%s", dir);
    g_free(dir);
    x->dm.ram = xensim_guest_ram(x->sim, XDM_DOMID, NULL);
    x->dm.ram_size = (size_t)DM_RAM_MB << 20;
    return x->dm.ram ? 0 : -1;
}

int xdm_start(XenDm *x, const char *name, const char *prog, const char *libdir)
{
    int sv[2] = {-1, -1};
    uint32_t id = 0;
    double t0;

    memset(x, 0, sizeof(*x));
    x->dm.name = name;
    x->dm.net_fd = -1;
    x->dm.qt.fd = -1;
    x->dm.live = true;
    x->bus = (DmBus){
        .readl = xdm_readl,
        .writel = xdm_writel,
        .cfg_readl = xdm_cfg_readl,
        .cfg_writel = xdm_cfg_writel,
        .opaque = x,
    };
    x->dm.bus = &x->bus;
    xdm_register(x);
    if (xdm_setup_sim(x) < 0) {
        goto fail;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        perror("xdm: socketpair");
        goto fail;
    }
    t0 = dm_now();
    if (xdm_spawn(x, prog, libdir, sv[1]) < 0) {
        goto fail;
    }
    close(sv[1]);
    sv[1] = -1;
    x->dm.net_fd = sv[0];
    sv[0] = -1;
    if (xdm_wait_ready(x, t0) < 0) {
        goto fail;
    }
    x->dm.accept_s = dm_now() - t0;
    if (xdm_cfg_readl(x, DM_NIC_DEVFN, 0, &id) < 0) {
        goto fail;
    }
    if (id != XDM_NIC_ID) {
        fprintf(stderr, "%s: 04.0 has ID 0x%08x, want 0x%08x\n", name, id,
                XDM_NIC_ID);
        goto fail;
    }
    x->dm.ready_s = dm_now() - t0;
    if (wire_start(&x->dm.wire, x->dm.net_fd) < 0) {
        goto fail;
    }
    return 0;
fail:
    if (sv[0] >= 0) {
        close(sv[0]);
    }
    if (sv[1] >= 0) {
        close(sv[1]);
    }
    xdm_stop(x);
    x->dm.failed = true;
    return -1;
}

uint64_t xdm_op_count(XenDm *x, XenSimOp op)
{
    return xensim_op_count(x->sim, op);
}

/* SIGHUP, then SIGKILL after XDM_EXIT_MS; 0 on a clean exit. */
static int xdm_reap(XenDm *x)
{
    double t0 = dm_now();
    int st = 0;
    pid_t r;

    kill(x->dm.pid, SIGHUP);
    while ((r = waitpid(x->dm.pid, &st, WNOHANG)) == 0) {
        if (dm_now() - t0 > XDM_EXIT_MS / 1000.0) {
            fprintf(stderr, "%s: no exit %d ms after SIGHUP\n", x->dm.name,
                    XDM_EXIT_MS);
            kill(x->dm.pid, SIGKILL);
            waitpid(x->dm.pid, &st, 0);
            x->dm.pid = 0;
            return -1;
        }
        usleep(10000);
    }
    x->dm.pid = 0;
    if (r < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "%s: unclean exit (status 0x%x)\n", x->dm.name,
                (unsigned)st);
        return -1;
    }
    return 0;
}

int xdm_stop(XenDm *x)
{
    int ret = 0;

    if (!x->dm.live) {
        return 0;
    }
    if (x->dm.pid > 0) {
        ret = xdm_reap(x);
        if (x->sim && xensim_server_count(x->sim, XDM_DOMID) != 0) {
            fprintf(stderr, "%s: ioreq server left behind\n", x->dm.name);
            ret = -1;
        }
    }
    wire_stop(&x->dm.wire);
    if (x->dm.net_fd >= 0) {
        close(x->dm.net_fd);
        x->dm.net_fd = -1;
    }
    /* The simulator owns the guest RAM mapping. */
    x->dm.ram = NULL;
    if (x->sim) {
        xensim_free(x->sim);
        x->sim = NULL;
    }
    xdm_unregister(x);
    x->dm.live = false;
    return ret;
}
