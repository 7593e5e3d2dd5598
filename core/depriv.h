/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Deprivileging (xen-dm-contract.md §7), applied once everything has been
 * opened and read (Xen handles, taps, QMP sockets, the companion spawned),
 * in QEMU's order:
 *  1. -xen-domid-restrict: restrict every Xen handle to the guest
 *     (xentoolcore_restrict_all). That call belongs to the Xen transport,
 *     which registers it with depriv_set_xen_restrict_hook();
 *  2. -chroot DIR: chroot(DIR), chdir("/");
 *  3. -runas USER|UID:GID: supplementary groups (USER's, looked up when
 *     the option is parsed, before any chroot; or just GID), gid, uid;
 *     regaining root must then fail;
 *  4. -sandbox on: a seccomp filter allowing only what the running phase
 *     uses (I/O on open descriptors, the main loop, memory, signals, the
 *     companion's stop and reaping, unlinking sockets at exit, opening
 *     state files); anything else, such as execve, fork, ptrace, mount,
 *     setuid or unshare, kills the process (SECCOMP_RET_KILL_PROCESS).
 *     QEMU's sub-options (obsolete=, elevateprivileges=, spawn=,
 *     resourcecontrol=) are accepted; emunet denies all of those
 *     regardless.
 * SIGXFSZ is ignored, so a log over libxl's RLIMIT_FSIZE (256 KiB) costs
 * log lines (EFBIG), not the process.
 */
#ifndef EMUNET_DEPRIV_H
#define EMUNET_DEPRIV_H

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct DeprivConfig {
    /* -xen-domid-restrict given. */
    bool xen_restrict;
    /* The Xen transport is in use (restrict then needs the hook). */
    bool xen;
    /* -chroot DIR (owned), or NULL. */
    char *chroot_dir;
    /* -runas: resolved when parsed. */
    bool runas;
    uid_t uid;
    gid_t gid;
    /* Supplementary groups to set (owned; USER's, or just gid). */
    gid_t *groups;
    int ngroups;
    /* -sandbox on. */
    bool sandbox;
    /* The companion's pid (the filter allows kill() on it), or 0. */
    pid_t companion_pid;
} DeprivConfig;

/*
 * Restricts all Xen handles to the guest; false with errp set on failure.
 * Registered by the Xen transport (xen/) once its handles are open.
 */
typedef bool DeprivXenRestrictFn(void *opaque, GError **errp);
void depriv_set_xen_restrict_hook(DeprivXenRestrictFn *fn, void *opaque);

/* -runas USER|UID:GID. Errors (unknown user, root) are usage errors. */
bool depriv_parse_runas(DeprivConfig *cfg, const char *arg, GError **errp);

/* -sandbox on|off[,obsolete=..,elevateprivileges=..,spawn=..,...]. */
bool depriv_parse_sandbox(DeprivConfig *cfg, const char *arg, GError **errp);

/* -chroot DIR. */
void depriv_set_chroot(DeprivConfig *cfg, const char *dir);

/*
 * Apply everything configured, in the order above. Errors name the step
 * (a setup error: exit status 1). Call once.
 */
bool depriv_apply(const DeprivConfig *cfg, GError **errp);

/* Is a seccomp filter installed (by depriv_apply)? */
bool depriv_sandboxed(void);

/*
 * Debug aid for tests (the x-test-forbidden-syscall QMP command, present
 * only when EMUNET_TEST_HOOKS=1 is in the environment): make one system
 * call the sandbox forbids, harmless when it is allowed: "execve" (a
 * path that does not exist), "unshare" (no namespaces) or "setuid" (to
 * the current uid). Under -sandbox on the process is killed; otherwise
 * returns the call's result and sets *err_no. Unknown names: -2.
 */
int depriv_test_forbidden_syscall(const char *which, int *err_no);

/* Free the owned members. */
void depriv_config_clear(DeprivConfig *cfg);

#endif
