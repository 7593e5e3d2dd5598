/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the machine hands a NIC model at creation, and the constructors of
 * the NIC models. Common -device keys (driver, id, netdev, mac, addr,
 * romfile) are parsed by the machine; the model gets the result here.
 *
 * e1000 engineer: the full requirements that your task text calls $ISSUE
 * are in /work/e1000-requirements.md (issue 2, sections 5 and 6); read it
 * before writing code. Lead will remove this paragraph.
 */
#ifndef EMUNET_NIC_H
#define EMUNET_NIC_H

#include "emunet/clock.h"
#include "emunet/devstate.h"
#include "emunet/net.h"
#include "emunet/opts.h"
#include "emunet/pci.h"

typedef struct NicConf {
    /* Device id (-device id=, or "nicN"); copied by the model. */
    const char *id;
    /* Validated unicast MAC. */
    MacAddr mac;
    /* Backend to connect, or NULL (frames sent are dropped). */
    NetBackend *backend;
    /* Option ROM path; NULL or "" = no ROM BAR. */
    const char *romfile;
    /* Device clock (virtual under qtest). */
    Clock *clock;
    /*
     * The whole -device option set, for model-specific keys (rtl8139's
     * x-revision=). The model checks that every key is one of
     * NIC_COMMON_KEYS or its own (opts_check_known). May be NULL.
     */
    const EmuOpts *opts;
} NicConf;

/* Keys the machine handles for every NIC model. */
#define NIC_COMMON_KEYS                                                       \
    "driver", "id", "netdev", "mac", "addr", "romfile", "bootindex",          \
        "x-xen-oui"

/*
 * Realtek RTL8139C+ (revision 0x20, default) or RTL8139C (x-revision=0x10:
 * pre-C+, as 8139too binds). Same contract as e1000_new.
 */
PciDevice *rtl8139_new(const NicConf *conf, GError **errp);

/*
 * Intel 82540EM. Returns the PCI function, not yet attached; connects the
 * backend. Fails (with a message naming the cause) on a ROM load error or
 * a backend already in use.
 */
PciDevice *e1000_new(const NicConf *conf, GError **errp);

/*
 * Save / restore of each model (e1000-state.c, rtl8139-state.c); the
 * owner registered with devstate_register is the PciDevice the
 * constructor returned.
 */
extern const DevStateOps e1000_devstate_ops;
extern const DevStateOps rtl8139_devstate_ops;

#endif
