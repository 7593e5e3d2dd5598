/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Deprivileging; see depriv.h.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef EMUNET_HAVE_SECCOMP
#include <seccomp.h>
#endif

#include "core/depriv.h"
#include "emunet/log.h"
#include "emunet/opts.h"

/* Upper bound on supplementary groups taken from -runas USER. */
#define DEPRIV_MAX_GROUPS 256

static DeprivXenRestrictFn *depriv_restrict_fn;
static void *depriv_restrict_opaque;
static bool depriv_filter_on;

void depriv_set_xen_restrict_hook(DeprivXenRestrictFn *fn, void *opaque)
{
    depriv_restrict_fn = fn;
    depriv_restrict_opaque = opaque;
}

static bool depriv_usage(GError **errp, const char *opt, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static bool depriv_usage(GError **errp, const char *opt, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: %s", opt,
                msg);
    g_free(msg);
    return false;
}

/* "UID:GID" as libxl passes for per-domain users. */
static bool depriv_parse_ids(const char *arg, uid_t *uid, gid_t *gid)
{
    g_auto(GStrv) parts = g_strsplit(arg, ":", -1);
    guint64 u, g;

    if (g_strv_length(parts) != 2 ||
        !g_ascii_string_to_unsigned(parts[0], 10, 0, G_MAXUINT32 - 1, &u,
                                    NULL) ||
        !g_ascii_string_to_unsigned(parts[1], 10, 0, G_MAXUINT32 - 1, &g,
                                    NULL)) {
        return false;
    }
    *uid = (uid_t)u;
    *gid = (gid_t)g;
    return true;
}

bool depriv_parse_runas(DeprivConfig *cfg, const char *arg, GError **errp)
{
    g_free(cfg->groups);
    cfg->groups = NULL;
    cfg->ngroups = 0;
    if (strchr(arg, ':')) {
        if (!depriv_parse_ids(arg, &cfg->uid, &cfg->gid)) {
            return depriv_usage(errp, "-runas",
                                "'%s': expected USER or UID:GID", arg);
        }
        cfg->groups = g_new(gid_t, 1);
        cfg->groups[0] = cfg->gid;
        cfg->ngroups = 1;
    } else {
        /* Looked up now: after -chroot there is no /etc/passwd. */
        struct passwd *pw = getpwnam(arg);
        int n = DEPRIV_MAX_GROUPS;

        if (!pw) {
            return depriv_usage(errp, "-runas", "user '%s' does not exist",
                                arg);
        }
        cfg->uid = pw->pw_uid;
        cfg->gid = pw->pw_gid;
        cfg->groups = g_new(gid_t, DEPRIV_MAX_GROUPS);
        if (getgrouplist(pw->pw_name, pw->pw_gid, cfg->groups, &n) < 0) {
            /* More groups than the bound: keep the primary only. */
            n = 1;
            cfg->groups[0] = pw->pw_gid;
        }
        cfg->ngroups = n;
    }
    if (cfg->uid == 0) {
        return depriv_usage(errp, "-runas",
                            "'%s': refusing to run as root (uid 0)", arg);
    }
    cfg->runas = true;
    return true;
}

bool depriv_parse_sandbox(DeprivConfig *cfg, const char *arg, GError **errp)
{
    static const char *const known[] = {
        "enable", "obsolete",        "elevateprivileges",
        "spawn",  "resourcecontrol", NULL};
    g_autoptr(EmuOpts) opts = NULL;
    GError *err = NULL;
    bool on;

    opts = opts_parse(arg, "enable", NULL, &err);
    if (!opts || !opts_check_known(opts, "-sandbox", known, &err) ||
        !opts_get_bool(opts, "enable", false, &on, &err)) {
        depriv_usage(errp, "-sandbox", "%s", err->message);
        g_error_free(err);
        return false;
    }
    cfg->sandbox = on;
    return true;
}

void depriv_set_chroot(DeprivConfig *cfg, const char *dir)
{
    g_free(cfg->chroot_dir);
    cfg->chroot_dir = g_strdup(dir);
}

void depriv_config_clear(DeprivConfig *cfg)
{
    g_free(cfg->chroot_dir);
    g_free(cfg->groups);
    cfg->chroot_dir = NULL;
    cfg->groups = NULL;
    cfg->ngroups = 0;
}

static bool depriv_fail(GError **errp, const char *what)
{
    g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s",
                what, g_strerror(errno));
    return false;
}

static bool depriv_chroot(const char *dir, GError **errp)
{
    g_autofree char *what = g_strdup_printf("-chroot %s", dir);

    if (chroot(dir) < 0 || chdir("/") < 0) {
        return depriv_fail(errp, what);
    }
    return true;
}

static bool depriv_runas(const DeprivConfig *cfg, GError **errp)
{
    if (setgroups((size_t)cfg->ngroups, cfg->groups) < 0) {
        return depriv_fail(errp, "-runas: setgroups");
    }
    if (setresgid(cfg->gid, cfg->gid, cfg->gid) < 0) {
        return depriv_fail(errp, "-runas: setresgid");
    }
    if (setresuid(cfg->uid, cfg->uid, cfg->uid) < 0) {
        return depriv_fail(errp, "-runas: setresuid");
    }
    /* Belt and braces: root must be out of reach now. */
    if (setuid(0) == 0 || seteuid(0) == 0) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_PERM,
                    "-runas: root privileges could be regained");
        return false;
    }
#ifdef __SANITIZE_ADDRESS__
    /* Sanitizer builds only: LeakSanitizer's exit-time scan ptraces the
     * process, which the uid change made non-dumpable. */
    prctl(PR_SET_DUMPABLE, 1);
#endif
    return true;
}

#ifdef EMUNET_HAVE_SECCOMP
/*
 * What the running phase calls: descriptor I/O, the GLib main loop,
 * memory, time, signals, accepting QMP clients, tap and Xen ioctls on
 * open descriptors, slirp's sockets, opening state files
 * (xen-save/load-devices-state), unlinking sockets at exit.
 */
/* clang-format off */
static const char *const depriv_allowed[] = {
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv",
    "pwritev", "preadv2", "pwritev2", "close", "lseek", "fstat",
    "newfstatat", "statx", "stat", "lstat", "fsync", "fdatasync",
    "ftruncate", "openat", "open", "unlink", "unlinkat", "readlink",
    "readlinkat", "access", "faccessat", "faccessat2", "fcntl", "ioctl",
    "dup", "dup2", "dup3", "pipe2", "eventfd2", "poll", "ppoll", "select",
    "pselect6", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
    "futex", "set_robust_list", "mmap", "munmap", "mremap", "mprotect",
    "madvise", "brk", "mlock", "munlock", "rt_sigaction", "rt_sigprocmask",
    "rt_sigreturn", "sigaltstack", "rt_sigtimedwait", "tgkill", "tkill",
    "getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid",
    "getresuid", "getresgid", "clock_gettime", "clock_getres",
    "gettimeofday", "time", "nanosleep", "clock_nanosleep", "sched_yield",
    "getrandom", "uname", "exit", "exit_group", "restart_syscall", "wait4",
    "waitid", "accept", "accept4", "recvfrom", "recvmsg", "recvmmsg",
    "sendto", "sendmsg", "sendmmsg", "shutdown", "getsockopt", "setsockopt",
    "getsockname", "getpeername", "socket", "connect", "bind", "listen",
    "timerfd_create", "timerfd_settime", "timerfd_gettime", "prlimit64",
    "getrlimit", "sysinfo", "memfd_create", "rseq",
#ifdef __SANITIZE_ADDRESS__
    /* LeakSanitizer's exit-time scan stops the world with a ptrace-ing
     * helper (sanitizer builds only). */
    "clone", "ptrace", "prctl", "getdents", "getdents64",
    "sched_getaffinity", "arch_prctl", "mincore",
#endif
};
/* clang-format on */

static bool depriv_seccomp(const DeprivConfig *cfg, GError **errp)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    int rc = 0;

    if (!ctx) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "-sandbox on: seccomp_init failed");
        return false;
    }
    /* Another architecture's system call numbers are never allowed. */
    rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    for (size_t i = 0; rc == 0 && i < G_N_ELEMENTS(depriv_allowed); i++) {
        int nr = seccomp_syscall_resolve_name(depriv_allowed[i]);

        if (nr != __NR_SCMP_ERROR) {
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
        }
    }
#ifndef __SANITIZE_ADDRESS__
    /* Threads only (GLib's), never a new process. */
    if (rc == 0) {
        rc = seccomp_rule_add(
            ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
            SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
    }
#endif
    /* GLib names its worker thread ("gmain"); nothing else of prctl. */
    if (rc == 0) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                              SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
    }
    /* glibc falls back to clone when clone3 is "not implemented". */
    if (rc == 0) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    }
    /* Signals to other processes: the companion only. */
    if (rc == 0 && cfg->companion_pid > 0) {
        rc = seccomp_rule_add(
            ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
            SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)cfg->companion_pid));
    }
    if (rc == 0) {
        rc = seccomp_load(ctx);
    }
    seccomp_release(ctx);
    if (rc < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(-rc),
                    "-sandbox on: cannot install the seccomp filter: %s",
                    g_strerror(-rc));
        return false;
    }
    depriv_filter_on = true;
    return true;
}
#else
static bool depriv_seccomp(const DeprivConfig *cfg, GError **errp)
{
    g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOSYS,
                "-sandbox on: emunet was built without libseccomp "
                "(install libseccomp-dev and rebuild)");
    return false;
}
#endif

bool depriv_apply(const DeprivConfig *cfg, GError **errp)
{
    GString *done = g_string_new(NULL);
    bool ok = false;

    signal(SIGXFSZ, SIG_IGN);
    if (cfg->xen_restrict) {
        if (depriv_restrict_fn) {
            if (!depriv_restrict_fn(depriv_restrict_opaque, errp)) {
                g_prefix_error(errp, "-xen-domid-restrict: ");
                goto out;
            }
            g_string_append(done, ", Xen handles restricted");
        } else if (cfg->xen) {
            g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_NOSYS,
                        "-xen-domid-restrict: the Xen transport cannot "
                        "restrict its handles");
            goto out;
        }
    }
    if (cfg->chroot_dir) {
        if (!depriv_chroot(cfg->chroot_dir, errp)) {
            goto out;
        }
        g_string_append_printf(done, ", chroot %s", cfg->chroot_dir);
    }
    if (cfg->runas) {
        if (!depriv_runas(cfg, errp)) {
            goto out;
        }
        g_string_append_printf(done, ", uid %u gid %u", (unsigned)cfg->uid,
                               (unsigned)cfg->gid);
    }
    if (cfg->sandbox) {
        if (!depriv_seccomp(cfg, errp)) {
            goto out;
        }
        g_string_append(done, ", seccomp filter on");
    }
    if (done->len) {
        log_info("deprivileged%s", done->str);
    }
    ok = true;
out:
    g_string_free(done, TRUE);
    return ok;
}

bool depriv_sandboxed(void)
{
    return depriv_filter_on;
}

int depriv_test_forbidden_syscall(const char *which, int *err_no)
{
    long r;

    errno = 0;
    if (strcmp(which, "execve") == 0) {
        static char *const argv[] = {"/nonexistent/emunet-test", NULL};

        r = syscall(SYS_execve, argv[0], argv, argv + 1);
    } else if (strcmp(which, "unshare") == 0) {
        r = syscall(SYS_unshare, 0);
    } else if (strcmp(which, "setuid") == 0) {
        r = syscall(SYS_setuid, getuid());
    } else {
        return -2;
    }
    *err_no = errno;
    return (int)r;
}
