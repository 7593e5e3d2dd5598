/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qtc: the benchmark's own minimal qtest client. It speaks the handful of
 * QEMU qtest line-protocol commands the benchmark needs (outl/inl for PCI
 * configuration mechanism #1, writel/readl for MMIO) to any device model
 * that connects to its UNIX socket: emunet or QEMU. Asynchronous
 * "IRQ raise/lower N" lines are skipped; the benchmark never relies on
 * interrupts.
 */
#ifndef BENCH_QTC_H
#define BENCH_QTC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A reply is one line; 4 KiB holds any of ours with room to spare. */
#define QTC_BUF 4096

typedef struct Qtc {
    int fd;
    /* Bytes received but not consumed yet, from buf[0]. */
    char buf[QTC_BUF];
    size_t len;
    /* How long one reply may take before the device model is declared
     * hung. */
    int timeout_ms;
} Qtc;

/* Listen on `path` (UNIX stream). Returns the socket or -1. */
int qtc_listen(const char *path);

/*
 * Accept the device model's connection on `lfd` within `timeout_ms`.
 * Returns 0, 1 on timeout (the caller checks its child and retries), or -1.
 */
int qtc_accept(Qtc *q, int lfd, int timeout_ms);

void qtc_close(Qtc *q);

/* Port I/O and MMIO, 32 bits. Return 0, or -1 with a message on stderr. */
int qtc_outl(Qtc *q, uint16_t port, uint32_t val);
int qtc_inl(Qtc *q, uint16_t port, uint32_t *val);
int qtc_writel(Qtc *q, uint64_t addr, uint32_t val);
int qtc_readl(Qtc *q, uint64_t addr, uint32_t *val);
/* MMIO of 8 and 16 bits (byte and word registers, e.g. the rtl8139's). */
int qtc_writeb(Qtc *q, uint64_t addr, uint8_t val);
int qtc_writew(Qtc *q, uint64_t addr, uint16_t val);
int qtc_readb(Qtc *q, uint64_t addr, uint8_t *val);
int qtc_readw(Qtc *q, uint64_t addr, uint16_t *val);

/* PCI config dword of bus 0 `devfn` at `off` via 0xcf8/0xcfc. */
int qtc_cfg_readl(Qtc *q, unsigned devfn, unsigned off, uint32_t *val);
int qtc_cfg_writel(Qtc *q, unsigned devfn, unsigned off, uint32_t val);

#endif
