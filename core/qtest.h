/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The qtest transport: QEMU 7.2's qtest line protocol on a UNIX socket.
 * The client plays the guest CPU (port and memory accesses), the clock
 * (clock_step/clock_set move the virtual clock; nothing else does) and
 * the interrupt controller ("IRQ raise/lower N" events after
 * irq_intercept_in/out, N being the device's INTERRUPT_LINE register when
 * the level changed). Memory commands reach guest RAM where RAM is and the
 * IoBus MMIO space elsewhere; EOF on the socket ends the process cleanly.
 */
#ifndef EMUNET_QTEST_H
#define EMUNET_QTEST_H

#include <glib.h>

#include "emunet/iobus.h"
#include "emunet/transport.h"

typedef struct QtestConfig {
    /* -qtest value: "unix:PATH[,server=on|off][,wait=on|off]". */
    const char *spec;
    /*
     * -qtest-log: a file for the exchanged lines, "none" for no log, or
     * NULL for stderr (QEMU's default).
     */
    const char *log;
    /* Guest RAM, laid out as gmem_flat_new does; owned by the caller. */
    void *ram;
    uint64_t ram_size;
} QtestConfig;

/*
 * Create the transport (virtual clock, flat GuestMem over cfg->ram with
 * `iobus` as DMA guard). Only parses cfg->spec; the socket is connected
 * by TransportOps.start. Fails with a message naming -qtest/-qtest-log.
 */
Transport *qtest_transport_new(const QtestConfig *cfg, IoBus *iobus,
                               GError **errp);

#endif
