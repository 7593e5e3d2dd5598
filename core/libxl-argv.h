/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxl mode: the command line libxl 4.17 builds for a qemu-xen device
 * model (libxl__build_device_model_args_new; xen-dm-contract.md §1.2),
 * split into what emunet serves and what the companion device model gets.
 *
 * libxl mode is recognised by -xen-domid. Every QEMU 7.2 option is
 * accepted, in any order, one or two dashes; an option QEMU does not have
 * either takes the next word as its argument unless that starts with '-'.
 *
 * emunet's share, as an emunet argv that main's parser reads:
 *  - the NICs: each "-device MODEL,...,netdev=ID" with the "-netdev ...,
 *    id=ID" it names (libxl: -device MODEL,id=nicN,netdev=netN,mac=M and
 *    -netdev type=tap,id=netN,ifname=vifD.N-emu,br=BR,script=no,
 *    downscript=no), and the older pair "-net nic,vlan=N,macaddr=M,
 *    model=MODEL" + "-net tap,vlan=N,ifname=I,bridge=BR,script=no,
 *    downscript=no" (matched on vlan, 0 when absent), which becomes
 *    -device MODEL,id=nicN,netdev=netN,mac=M + -netdev tap,id=netN,
 *    ifname=I,script=no,downscript=no. br=/bridge= are dropped: with
 *    script=no QEMU does not use them either, libxl's vif-bridge hotplug
 *    script enslaves the tap. MODEL must be e1000 or rtl8139. A NIC
 *    without addr= gets one: the slots after the companion's xenfv
 *    devices (00:00-00:02) and its own -device functions, in order, so
 *    that the two device models never claim the same PCI function;
 *  - the QMP monitors: -mon chardev=ID,mode=control with its -chardev,
 *    and -qmp;
 *  - emunet's own options: -qtest, -qtest-log, --companion.
 * Both get -xen-domid, -xen-domid-restrict, -S, -incoming, -chroot,
 * -runas and -sandbox. Everything else goes to the companion only.
 *
 * The companion's argv is the original one with the NIC and QMP options
 * removed, "-net none" where the first NIC was when no "-net none" is
 * there yet, and its own QMP monitor on an inherited listening socket
 * ("-chardev socket,id=emunet-qmp,fd=N,server=on,wait=off" + "-mon
 * chardev=emunet-qmp,mode=control") where the first QMP monitor was.
 * "-S" is added when absent, so the companion (which writes
 * device-model/<domid>/state=running when it starts running) only runs
 * once emunet's ioreq server is up: emunet then sends it "cont".
 *
 * Refused, naming the option: a NIC model other than e1000/rtl8139, a NIC
 * without its backend or a backend without its NIC, a network filter
 * (-object filter-*) on an emunet NIC, QEMU's -nic shorthand and
 * -daemonize (libxl needs the device model in the foreground).
 *
 * Pure functions, no I/O: unit-tested in tests/unit/test-libxl-argv.c.
 */
#ifndef EMUNET_LIBXL_ARGV_H
#define EMUNET_LIBXL_ARGV_H

#include <glib.h>
#include <stdbool.h>

/* The id of the companion's private QMP chardev. */
#define LIBXL_COMPANION_QMP_ID "emunet-qmp"

typedef struct LibxlNic {
    /* Device model ("e1000", "rtl8139"). */
    char *model;
    /* -device id= and -netdev id= (generated for the -net form). */
    char *id;
    char *netdev_id;
    /* mac= / macaddr= as given, or NULL. */
    char *mac;
    /* The backend's ifname= (vifD.N-emu from libxl), or NULL. */
    char *ifname;
    /* The -netdev type ("tap"). */
    char *type;
    /* Given as -net nic/-net tap rather than -device/-netdev. */
    bool net_form;
} LibxlNic;

typedef struct LibxlArgs {
    /* -xen-domid was given: the process is libxl's device model. */
    bool libxl_mode;
    /* -xen-domid N, or -1. */
    int domid;
    /* -S: start in "prelaunch" until cont. */
    bool start_paused;
    /* -incoming's argument, or NULL. */
    char *incoming;
    /* -smp's CPU count (its first number or cpus=; 1 without -smp). */
    unsigned smp_cpus;
    /* --companion's argument ("none" included), or NULL. */
    char *companion;
    /* LibxlNic *, in command-line order of their -device / -net nic. */
    GPtrArray *nics;
    /* The emunet argv, argv[0] first, NULL-terminated. */
    GPtrArray *emunet_argv;
    /*
     * The companion's arguments (no argv[0]), NULL-terminated, with
     * placeholder slots for its QMP monitor; see libxl_argv_companion.
     */
    GPtrArray *companion_args;
} LibxlArgs;

/* Does argv (argv[0] first) ask for libxl mode (contain -xen-domid)? */
bool libxl_argv_detect(int argc, char *const *argv);

/*
 * Split argv (argv[0] first). On error returns NULL with a message that
 * starts with the option at fault (a usage error: exit status 2).
 */
LibxlArgs *libxl_argv_parse(int argc, char *const *argv, GError **errp);

/*
 * The companion's argv: `path` as argv[0], then its arguments with its
 * QMP monitor on listening socket `qmp_fd`. A NULL-terminated vector the
 * caller frees with g_strfreev.
 */
char **libxl_argv_companion(const LibxlArgs *args, const char *path,
                            int qmp_fd);

/* NULL is a no-op. */
void libxl_args_free(LibxlArgs *args);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LibxlArgs, libxl_args_free)

#endif
