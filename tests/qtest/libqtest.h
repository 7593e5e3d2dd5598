/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libqtest: spawn emunet with QEMU's qtest argv and drive it over the
 * qtest line protocol, as QEMU's tests/qtest/libqtest does. The test is
 * the guest (port/MMIO/config/RAM accesses, IRQ observation, clock) and,
 * through a socketpair netdev, the wire.
 * The emunet binary comes from $EMUNET_BINARY. Any protocol failure or a
 * dead emunet fails the running test (g_assert), never hangs it: every
 * read has a 30 s timeout.
 */
#ifndef LIBQTEST_H
#define LIBQTEST_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct QTestState QTestState;

/*
 * Start emunet with "-qtest unix:SOCK -qtest-log /dev/null -chardev
 * socket,path=QMP,id=char0 -mon chardev=char0,mode=control -display none
 * -accel qtest -machine pc" plus `extra_args` (split on spaces, as
 * QEMU's qtest_init), connect both sockets, do the QMP handshake.
 * emunet's stderr goes to a log file readable with qtest_stderr().
 */
QTestState *qtest_init(const char *extra_args);
/* printf-style variant. */
QTestState *qtest_initf(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Send QMP quit (or SIGTERM), wait for exit, clean up. Asserts exit 0. */
void qtest_quit(QTestState *s);

/* Everything emunet wrote to stderr so far (owned by caller). */
char *qtest_stderr(QTestState *s);

/* True while the emunet process runs. */
bool qtest_alive(QTestState *s);

/* Pid of the emunet process (for CPU/RSS measurements). */
int qtest_pid(QTestState *s);

/* Raw protocol: send a line (no newline), return the reply line
 * (without "OK"/"FAIL" stripping; owned by caller). */
char *qtest_command(QTestState *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* A QMP command (JSON text); returns the reply line, owned by caller. */
char *qtest_qmp(QTestState *s, const char *json);

void qtest_outb(QTestState *s, uint16_t addr, uint8_t value);
void qtest_outw(QTestState *s, uint16_t addr, uint16_t value);
void qtest_outl(QTestState *s, uint16_t addr, uint32_t value);
uint8_t qtest_inb(QTestState *s, uint16_t addr);
uint16_t qtest_inw(QTestState *s, uint16_t addr);
uint32_t qtest_inl(QTestState *s, uint16_t addr);

void qtest_writeb(QTestState *s, uint64_t addr, uint8_t value);
void qtest_writew(QTestState *s, uint64_t addr, uint16_t value);
void qtest_writel(QTestState *s, uint64_t addr, uint32_t value);
void qtest_writeq(QTestState *s, uint64_t addr, uint64_t value);
uint8_t qtest_readb(QTestState *s, uint64_t addr);
uint16_t qtest_readw(QTestState *s, uint64_t addr);
uint32_t qtest_readl(QTestState *s, uint64_t addr);
uint64_t qtest_readq(QTestState *s, uint64_t addr);

/* Guest RAM (b64read/b64write for large buffers). */
void qtest_memread(QTestState *s, uint64_t addr, void *data, size_t size);
void qtest_memwrite(QTestState *s, uint64_t addr, const void *data,
                    size_t size);
void qtest_memset(QTestState *s, uint64_t addr, uint8_t pattern, size_t size);

/* Advance the virtual clock; returns the new time in ns. */
int64_t qtest_clock_step(QTestState *s, int64_t ns);
/* Advance to the next timer deadline ("clock_step" without argument). */
int64_t qtest_clock_step_next(QTestState *s);
int64_t qtest_clock_set(QTestState *s, int64_t ns);

/* Start receiving IRQ events ("irq_intercept_in ioapic"). */
void qtest_irq_intercept_in(QTestState *s, const char *qom_path);
/* Level of IRQ `num` as last reported by IRQ raise/lower events. */
bool qtest_get_irq(QTestState *s, int num);

/*
 * Bump allocator over guest RAM for descriptors and buffers, from 1 MiB
 * up to the RAM size given with -m (default 128 MiB). align: power of 2.
 */
uint64_t qtest_guest_alloc(QTestState *s, size_t size, size_t align);

/*
 * A connected SOCK_STREAM socketpair for "-netdev socket,id=ID,fd=N":
 * sv[1] is passed to emunet (kept open across exec), sv[0] stays with the
 * test. Call before qtest_init; the test closes sv[0]. After qtest_init
 * the test's sv[1] no longer refers to the socket (closing it is allowed,
 * not needed).
 */
void qtest_socketpair(int sv[2]);

/*
 * Wire side of a socket netdev (QEMU framing: 4-byte big-endian length,
 * then the frame). Send returns after the whole frame is written; recv
 * waits up to timeout_ms and returns the frame length, or -1 on timeout.
 */
void qtest_wire_send(int fd, const void *frame, size_t len);
ssize_t qtest_wire_recv(int fd, void *buf, size_t cap, int timeout_ms);

#endif
