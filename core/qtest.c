/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qtest transport; see qtest.h. Command names, argument parsing (numbers
 * as strtoull/strtoll with base 0) and reply formats follow QEMU 7.2's
 * softmmu/qtest.c, so a client written for QEMU works unchanged. Where
 * QEMU asserts on bad input (missing arguments, unparsable numbers, a
 * zero-length "read") emunet answers "FAIL <reason>" and keeps serving:
 * the socket is test input, but must never crash the process.
 * Bulk memory commands (read, write, b64read, b64write, memset) check the
 * whole range first and fail without touching anything when a byte is
 * neither RAM nor a decoded MMIO range; single accesses (readX/writeX)
 * behave like a CPU: unassigned reads are all-ones, writes are dropped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chardev.h"
#include "core/qtest.h"
#include "emunet/log.h"

/* Longest command line: a b64write of 256 MiB fits. */
#define QTEST_MAX_LINE (360u * 1024 * 1024)
/*
 * Most bytes one bulk command may cover (the reply of a hex "read" is
 * twice that), and of those, most bytes of device (MMIO) memory.
 */
#define QTEST_BULK_MAX (256u * 1024 * 1024)
#define QTEST_MMIO_BULK_MAX (1024u * 1024)
#define QTEST_MAX_WORDS 8
#define QTEST_NUM_IRQS 256
/* Echo at most this much of an unknown command back. */
#define QTEST_ECHO_MAX 64
#define PCI_INTERRUPT_LINE_REG 0x3c
#define QTEST_HIGHMEM_BASE 0x100000000ULL

typedef struct Qtest Qtest;

typedef struct QtestIrq {
    IrqLine line;
    Qtest *q;
    PciDevice *dev;
    /* The IRQ number reported by the last raise (lower uses it). */
    unsigned num;
} QtestIrq;

struct Qtest {
    Transport t; /* first: qtest_of() */
    Chardev *chr;
    FILE *log;
    bool log_owned;
    GTimer *timer;
    uint8_t *ram;
    uint64_t ram_size;
    uint64_t lowmem;
    GPtrArray *irqs;
    /* Raised lines per IRQ number: shared numbers are wired-OR. */
    unsigned irq_count[QTEST_NUM_IRQS];
    char *intercept;
};

static void qtest_log_line(Qtest *q, char dir, const char *text, size_t len)
{
    if (!q->log) {
        return;
    }
    fprintf(q->log, "[%c +%.06f] ", dir, g_timer_elapsed(q->timer, NULL));
    fwrite(text, 1, len, q->log);
    if (len == 0 || text[len - 1] != '\n') {
        fputc('\n', q->log);
    }
    fflush(q->log);
}

static void qtest_send(Qtest *q, const char *text, size_t len)
{
    qtest_log_line(q, 'S', text, len);
    chardev_write(q->chr, text, len);
}

static void G_GNUC_PRINTF(2, 3) qtest_sendf(Qtest *q, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    qtest_send(q, s, strlen(s));
    g_free(s);
}

static void qtest_ok(Qtest *q)
{
    qtest_send(q, "OK\n", 3);
}

static const char qtest_hex_digits[] = "0123456789abcdef";

/*
 * "OK 0x" and `value` in hex, at least `digits` digits: printf's "%0Nx"
 * for the replies of register reads, the hottest ones, without printf
 * or an allocation.
 */
static void qtest_reply_hex(Qtest *q, uint64_t value, unsigned digits)
{
    char buf[sizeof("OK 0x") - 1 + 16 + 1];
    unsigned n = digits;

    while (n < 16 && (value >> (4 * n)) != 0) {
        n++;
    }
    memcpy(buf, "OK 0x", 5);
    for (unsigned i = 0; i < n; i++) {
        buf[5 + i] = qtest_hex_digits[(value >> (4 * (n - 1 - i))) & 0xf];
    }
    buf[5 + n] = '\n';
    qtest_send(q, buf, 6 + n);
}

/* ---- numbers, as QEMU's qemu_strtou64/qemu_strtoi64 with base 0 ---- */

static int qtest_xdigit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool qtest_parse_u64(const char *s, uint64_t *out)
{
    char *end;

    /*
     * What clients send nearly always, "0x" and at most 16 hex digits,
     * parsed here (the same value strtoull gives: it cannot overflow);
     * everything else by strtoull itself.
     */
    if (s && s[0] == '0' && (s[1] | 0x20) == 'x' && s[2]) {
        uint64_t v = 0;
        size_t i;
        int d;

        for (i = 2; i < 18 && (d = qtest_xdigit(s[i])) >= 0; i++) {
            v = v << 4 | (uint64_t)d;
        }
        if (s[i] == '\0') {
            *out = v;
            return true;
        }
    }
    if (!s || !*s || g_ascii_isspace(*s)) {
        return false;
    }
    errno = 0;
    *out = strtoull(s, &end, 0);
    return errno == 0 && *end == '\0';
}

static bool qtest_parse_i64(const char *s, int64_t *out)
{
    char *end;

    if (!s || !*s || g_ascii_isspace(*s)) {
        return false;
    }
    errno = 0;
    *out = strtoll(s, &end, 0);
    return errno == 0 && *end == '\0';
}

static void qtest_fail_arg(Qtest *q, const char *cmd, const char *arg)
{
    char *shown = g_strndup(arg, QTEST_ECHO_MAX);

    qtest_sendf(q, "FAIL %s: invalid number '%s'\n", cmd, shown);
    g_free(shown);
}

/* ---- guest memory as the CPU sees it ---- */

/* RAM at guest-physical `addr`, and how many bytes follow it; or NULL. */
static uint8_t *qtest_ram_at(Qtest *q, hwaddr addr, uint64_t *avail)
{
    uint64_t high = q->ram_size - q->lowmem;

    if (addr < q->lowmem) {
        *avail = q->lowmem - addr;
        return q->ram + addr;
    }
    if (addr >= QTEST_HIGHMEM_BASE && addr - QTEST_HIGHMEM_BASE < high) {
        *avail = high - (addr - QTEST_HIGHMEM_BASE);
        return q->ram + q->lowmem + (addr - QTEST_HIGHMEM_BASE);
    }
    return NULL;
}

static uint64_t qtest_ld_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static void qtest_st_le(uint8_t *p, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/*
 * Copy between `buf` and guest memory: RAM directly, anything else as
 * naturally aligned MMIO accesses of up to 8 bytes (the IoBus splits them
 * further for each region). RAM starts only at 8-aligned addresses, so an
 * MMIO piece never covers RAM.
 */
static void qtest_mem_access(Qtest *q, hwaddr addr, uint8_t *buf, uint64_t len,
                             bool is_write)
{
    IoBus *bus = q->t.iobus;

    while (len > 0) {
        uint64_t avail, n;
        uint8_t *p = qtest_ram_at(q, addr, &avail);

        if (p) {
            n = MIN(avail, len);
            if (is_write) {
                memcpy(p, buf, n);
            } else {
                memcpy(buf, p, n);
            }
        } else {
            n = 8;
            while (n > len || (addr & (n - 1))) {
                n /= 2;
            }
            if (is_write) {
                iobus_write(bus, IO_SPACE_MMIO, addr,
                            qtest_ld_le(buf, (unsigned)n), (unsigned)n);
            } else {
                qtest_st_le(buf,
                            iobus_read(bus, IO_SPACE_MMIO, addr, (unsigned)n),
                            (unsigned)n);
            }
        }
        addr += n;
        buf += n;
        len -= n;
    }
}

/*
 * Bulk commands: every byte must be RAM or decoded MMIO, the range must
 * not wrap, and the size is bounded. Sends FAIL and returns false
 * otherwise.
 */
static bool qtest_mem_check(Qtest *q, const char *cmd, hwaddr addr,
                            uint64_t len)
{
    uint64_t mmio = 0;

    if (len == 0) {
        return true;
    }
    if (len - 1 > UINT64_MAX - addr) {
        qtest_sendf(q, "FAIL %s: range wraps the address space\n", cmd);
        return false;
    }
    if (len > QTEST_BULK_MAX) {
        qtest_sendf(q, "FAIL %s: size is larger than %u bytes\n", cmd,
                    QTEST_BULK_MAX);
        return false;
    }
    while (len > 0) {
        uint64_t avail, step;

        if (qtest_ram_at(q, addr, &avail)) {
            step = MIN(avail, len);
        } else if (!q->t.iobus ||
                   !iobus_overlaps(q->t.iobus, IO_SPACE_MMIO, addr, 1)) {
            qtest_sendf(q,
                        "FAIL %s: no RAM or device memory at 0x%" PRIx64 "\n",
                        cmd, addr);
            return false;
        } else if (++mmio > QTEST_MMIO_BULK_MAX) {
            qtest_sendf(q,
                        "FAIL %s: range covers more than %u bytes of "
                        "device memory\n",
                        cmd, QTEST_MMIO_BULK_MAX);
            return false;
        } else {
            step = 1;
        }
        addr += step;
        len -= step;
    }
    return true;
}

/*
 * A buffer for a bulk command. Sizes are bounded, but the host may still
 * be short of memory: that fails the command, not the process.
 */
static uint8_t *qtest_alloc(Qtest *q, const char *cmd, uint64_t len)
{
    uint8_t *buf = g_try_malloc0(len ? len : 1);

    if (!buf) {
        qtest_sendf(q, "FAIL %s: out of memory\n", cmd);
    }
    return buf;
}

/* A CPU load: RAM, else MMIO (unassigned bytes read 0xff). */
static uint64_t qtest_cpu_read(Qtest *q, hwaddr addr, unsigned size)
{
    uint8_t bytes[8];
    uint64_t avail;
    unsigned ram_bytes = 0;
    uint8_t *p = qtest_ram_at(q, addr, &avail);

    if (p && avail >= size) {
        return qtest_ld_le(p, size);
    }
    for (unsigned i = 0; i < size; i++) {
        ram_bytes += qtest_ram_at(q, addr + i, &avail) != NULL;
    }
    if (ram_bytes == 0 && addr <= UINT64_MAX - (size - 1)) {
        return iobus_read(q->t.iobus, IO_SPACE_MMIO, addr, size);
    }
    for (unsigned i = 0; i < size; i++) {
        p = qtest_ram_at(q, addr + i, &avail);
        bytes[i] =
            p ? *p
              : (uint8_t)iobus_read(q->t.iobus, IO_SPACE_MMIO, addr + i, 1);
    }
    return qtest_ld_le(bytes, size);
}

/* A CPU store: RAM, else MMIO (unassigned bytes are dropped). */
static void qtest_cpu_write(Qtest *q, hwaddr addr, uint64_t value,
                            unsigned size)
{
    uint64_t avail;
    unsigned ram_bytes = 0;
    uint8_t *p = qtest_ram_at(q, addr, &avail);

    if (p && avail >= size) {
        qtest_st_le(p, value, size);
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        ram_bytes += qtest_ram_at(q, addr + i, &avail) != NULL;
    }
    if (ram_bytes == 0 && addr <= UINT64_MAX - (size - 1)) {
        iobus_write(q->t.iobus, IO_SPACE_MMIO, addr, value, size);
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        uint8_t byte = (uint8_t)(value >> (8 * i));

        p = qtest_ram_at(q, addr + i, &avail);
        if (p) {
            *p = byte;
        } else {
            iobus_write(q->t.iobus, IO_SPACE_MMIO, addr + i, byte, 1);
        }
    }
}

/* ---- commands ---- */

typedef struct QtestCmd {
    const char *name;
    int min_args;
    int max_args;
    void (*fn)(Qtest *q, char **argv, int argc);
} QtestCmd;

static unsigned qtest_size_suffix(const char *cmd, size_t pos)
{
    switch (cmd[pos]) {
    case 'b':
        return 1;
    case 'w':
        return 2;
    case 'l':
        return 4;
    default:
        return 8;
    }
}

static void qtest_cmd_out(Qtest *q, char **argv, int argc)
{
    uint64_t addr, value;
    unsigned size = qtest_size_suffix(argv[0], 3);

    if (!qtest_parse_u64(argv[1], &addr)) {
        qtest_fail_arg(q, argv[0], argv[1]);
        return;
    }
    if (!qtest_parse_u64(argv[2], &value)) {
        qtest_fail_arg(q, argv[0], argv[2]);
        return;
    }
    if (addr > 0xffff) {
        qtest_sendf(q, "FAIL %s: port 0x%" PRIx64 " is beyond 0xffff\n",
                    argv[0], addr);
        return;
    }
    iobus_write(q->t.iobus, IO_SPACE_PIO, addr, value, size);
    qtest_ok(q);
}

static void qtest_cmd_in(Qtest *q, char **argv, int argc)
{
    uint64_t addr;
    unsigned size = qtest_size_suffix(argv[0], 2);

    if (!qtest_parse_u64(argv[1], &addr)) {
        qtest_fail_arg(q, argv[0], argv[1]);
        return;
    }
    if (addr > 0xffff) {
        qtest_sendf(q, "FAIL %s: port 0x%" PRIx64 " is beyond 0xffff\n",
                    argv[0], addr);
        return;
    }
    qtest_reply_hex(q,
                    (uint32_t)iobus_read(q->t.iobus, IO_SPACE_PIO, addr, size),
                    4);
}

static void qtest_cmd_writex(Qtest *q, char **argv, int argc)
{
    uint64_t addr, value;

    if (!qtest_parse_u64(argv[1], &addr)) {
        qtest_fail_arg(q, argv[0], argv[1]);
        return;
    }
    if (!qtest_parse_u64(argv[2], &value)) {
        qtest_fail_arg(q, argv[0], argv[2]);
        return;
    }
    qtest_cpu_write(q, addr, value, qtest_size_suffix(argv[0], 5));
    qtest_ok(q);
}

static void qtest_cmd_readx(Qtest *q, char **argv, int argc)
{
    uint64_t addr;

    if (!qtest_parse_u64(argv[1], &addr)) {
        qtest_fail_arg(q, argv[0], argv[1]);
        return;
    }
    qtest_reply_hex(q, qtest_cpu_read(q, addr, qtest_size_suffix(argv[0], 4)),
                    16);
}

/* Parse ADDR SIZE of a bulk command. */
static bool qtest_parse_range(Qtest *q, char **argv, uint64_t *addr,
                              uint64_t *len)
{
    if (!qtest_parse_u64(argv[1], addr)) {
        qtest_fail_arg(q, argv[0], argv[1]);
        return false;
    }
    if (!qtest_parse_u64(argv[2], len)) {
        qtest_fail_arg(q, argv[0], argv[2]);
        return false;
    }
    return true;
}

static void qtest_cmd_read(Qtest *q, char **argv, int argc)
{
    uint64_t addr, len;
    uint8_t *data, *reply;

    if (!qtest_parse_range(q, argv, &addr, &len)) {
        return;
    }
    if (len == 0) {
        /* QEMU asserts here: an empty "0x" would confuse clients. */
        qtest_sendf(q, "FAIL read: size must not be zero\n");
        return;
    }
    if (!qtest_mem_check(q, argv[0], addr, len)) {
        return;
    }
    data = qtest_alloc(q, argv[0], len);
    reply = data ? qtest_alloc(q, argv[0], len * 2 + 6) : NULL;
    if (reply) {
        qtest_mem_access(q, addr, data, len, false);
        memcpy(reply, "OK 0x", 5);
        for (uint64_t i = 0; i < len; i++) {
            reply[5 + 2 * i] = qtest_hex_digits[data[i] >> 4];
            reply[6 + 2 * i] = qtest_hex_digits[data[i] & 0xf];
        }
        reply[5 + 2 * len] = '\n';
        qtest_send(q, (char *)reply, len * 2 + 6);
    }
    g_free(reply);
    g_free(data);
}

static void qtest_cmd_b64read(Qtest *q, char **argv, int argc)
{
    uint64_t addr, len;
    uint8_t *data;
    char *b64;

    if (!qtest_parse_range(q, argv, &addr, &len) ||
        !qtest_mem_check(q, argv[0], addr, len)) {
        return;
    }
    data = qtest_alloc(q, argv[0], len);
    if (!data) {
        return;
    }
    qtest_mem_access(q, addr, data, len, false);
    b64 = g_base64_encode(data, len);
    qtest_send(q, "OK ", 3);
    chardev_write(q->chr, b64, strlen(b64));
    chardev_write(q->chr, "\n", 1);
    g_free(b64);
    g_free(data);
}

static void qtest_cmd_write(Qtest *q, char **argv, int argc)
{
    uint64_t addr, len;
    const char *hexdata = argv[3];
    size_t hexlen = strlen(hexdata);
    uint8_t *data;

    if (!qtest_parse_range(q, argv, &addr, &len)) {
        return;
    }
    if (hexlen < 3 || hexdata[0] != '0' || (hexdata[1] | 0x20) != 'x') {
        qtest_sendf(q, "FAIL write: data must be 0x followed by hex "
                       "digits\n");
        return;
    }
    for (size_t i = 2; i < hexlen; i++) {
        if (qtest_xdigit(hexdata[i]) < 0) {
            qtest_sendf(q, "FAIL write: invalid hex digit in data\n");
            return;
        }
    }
    if (!qtest_mem_check(q, argv[0], addr, len)) {
        return;
    }
    data = qtest_alloc(q, argv[0], len);
    if (!data) {
        return;
    }
    /* Data shorter than SIZE is zero-filled at the end, as in QEMU. */
    for (uint64_t i = 0; i < len; i++) {
        if (i * 2 + 4 <= hexlen) {
            data[i] = (uint8_t)(qtest_xdigit(hexdata[i * 2 + 2]) << 4 |
                                qtest_xdigit(hexdata[i * 2 + 3]));
        } else {
            data[i] = 0;
        }
    }
    qtest_mem_access(q, addr, data, len, true);
    g_free(data);
    qtest_ok(q);
}

static void qtest_cmd_b64write(Qtest *q, char **argv, int argc)
{
    uint64_t addr, len;
    gsize out_len;
    guchar *decoded;

    if (!qtest_parse_range(q, argv, &addr, &len)) {
        return;
    }
    if (strlen(argv[3]) < 3) {
        qtest_sendf(q, "FAIL b64write: invalid argument size\n");
        return;
    }
    if (!qtest_mem_check(q, argv[0], addr, len)) {
        return;
    }
    decoded = g_base64_decode_inplace(argv[3], &out_len);
    if (out_len >= len) {
        qtest_mem_access(q, addr, decoded, len, true);
    } else {
        /* Short data: the rest is zero (QEMU would read past its buffer). */
        uint8_t *data = qtest_alloc(q, argv[0], len);

        if (!data) {
            return;
        }
        memcpy(data, decoded, out_len);
        qtest_mem_access(q, addr, data, len, true);
        g_free(data);
    }
    qtest_ok(q);
}

static void qtest_cmd_memset(Qtest *q, char **argv, int argc)
{
    uint64_t addr, len, pattern;
    uint8_t *data;

    if (!qtest_parse_range(q, argv, &addr, &len)) {
        return;
    }
    if (!qtest_parse_u64(argv[3], &pattern)) {
        qtest_fail_arg(q, argv[0], argv[3]);
        return;
    }
    if (!qtest_mem_check(q, argv[0], addr, len)) {
        return;
    }
    if (len > 0) {
        data = qtest_alloc(q, argv[0], len);
        if (!data) {
            return;
        }
        memset(data, (uint8_t)pattern, len);
        qtest_mem_access(q, addr, data, len, true);
        g_free(data);
    }
    qtest_ok(q);
}

static void qtest_cmd_endianness(Qtest *q, char **argv, int argc)
{
    qtest_sendf(q, "OK little\n");
}

static void qtest_reply_clock(Qtest *q)
{
    qtest_sendf(q, "OK %" PRIi64 "\n", clock_get_ns(q->t.clock));
}

static void qtest_cmd_clock_step(Qtest *q, char **argv, int argc)
{
    Clock *clk = q->t.clock;
    int64_t now = clock_get_ns(clk);
    int64_t ns;

    if (argc > 1) {
        if (!qtest_parse_i64(argv[1], &ns)) {
            qtest_fail_arg(q, argv[0], argv[1]);
            return;
        }
        /* A negative step moves nothing (QEMU warps only forward). */
        if (ns >= 0) {
            clock_step(clk, MIN(ns, INT64_MAX - now));
        }
    } else {
        int64_t deadline = clock_deadline_ns(clk);

        /* No timer armed: the clock stays, as QEMU's warp to "now - 1". */
        if (deadline >= 0) {
            clock_step(clk, deadline > now ? deadline - now : 0);
        }
    }
    qtest_reply_clock(q);
}

static void qtest_cmd_clock_set(Qtest *q, char **argv, int argc)
{
    int64_t ns;

    if (!qtest_parse_i64(argv[1], &ns)) {
        qtest_fail_arg(q, argv[0], argv[1]);
        return;
    }
    clock_set_ns(q->t.clock, ns);
    qtest_reply_clock(q);
}

/*
 * Any interrupt controller name is accepted ("ioapic" on QEMU's pc):
 * emunet has one set of INTx wires, numbered by INTERRUPT_LINE.
 */
static void qtest_cmd_irq_intercept(Qtest *q, char **argv, int argc)
{
    if (q->intercept && strcmp(q->intercept, argv[1]) != 0) {
        qtest_sendf(q, "FAIL IRQ intercept already enabled\n");
        return;
    }
    if (!q->intercept) {
        q->intercept = g_strdup(argv[1]);
    }
    qtest_ok(q);
}

static const QtestCmd qtest_cmds[] = {
    {"outb", 2, 2, qtest_cmd_out},
    {"outw", 2, 2, qtest_cmd_out},
    {"outl", 2, 2, qtest_cmd_out},
    {"inb", 1, 1, qtest_cmd_in},
    {"inw", 1, 1, qtest_cmd_in},
    {"inl", 1, 1, qtest_cmd_in},
    {"writeb", 2, 2, qtest_cmd_writex},
    {"writew", 2, 2, qtest_cmd_writex},
    {"writel", 2, 2, qtest_cmd_writex},
    {"writeq", 2, 2, qtest_cmd_writex},
    {"readb", 1, 1, qtest_cmd_readx},
    {"readw", 1, 1, qtest_cmd_readx},
    {"readl", 1, 1, qtest_cmd_readx},
    {"readq", 1, 1, qtest_cmd_readx},
    {"read", 2, 2, qtest_cmd_read},
    {"write", 3, 3, qtest_cmd_write},
    {"b64read", 2, 2, qtest_cmd_b64read},
    {"b64write", 3, 3, qtest_cmd_b64write},
    {"memset", 3, 3, qtest_cmd_memset},
    {"endianness", 0, 0, qtest_cmd_endianness},
    {"clock_step", 0, 1, qtest_cmd_clock_step},
    {"clock_set", 1, 1, qtest_cmd_clock_set},
    {"irq_intercept_in", 1, 1, qtest_cmd_irq_intercept},
    {"irq_intercept_out", 1, 1, qtest_cmd_irq_intercept},
};

/* Split in place on spaces; empty words (double spaces) are skipped. */
static int qtest_split(char *line, char **argv)
{
    int argc = 0;
    char *p = line;

    while (*p) {
        while (*p == ' ') {
            *p++ = '\0';
        }
        if (!*p) {
            break;
        }
        if (argc == QTEST_MAX_WORDS) {
            return -1;
        }
        argv[argc++] = p;
        while (*p && *p != ' ') {
            p++;
        }
    }
    return argc;
}

static void qtest_handle_line(void *opaque, char *line, size_t len)
{
    Qtest *q = opaque;
    char *argv[QTEST_MAX_WORDS + 1] = {NULL};
    int argc;

    if (!line) {
        qtest_sendf(q, "FAIL line longer than %u bytes\n", QTEST_MAX_LINE);
        return;
    }
    qtest_log_line(q, 'R', line, len);
    if (len > 0 && line[len - 1] == '\r') {
        line[--len] = '\0';
    }
    argc = qtest_split(line, argv);
    if (argc < 0) {
        qtest_sendf(q, "FAIL too many arguments\n");
        return;
    }
    if (argc == 0) {
        qtest_sendf(q, "FAIL Unknown command ''\n");
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(qtest_cmds); i++) {
        const QtestCmd *cmd = &qtest_cmds[i];

        /* The first letter first: most names differ there already. */
        if (cmd->name[0] != argv[0][0] || strcmp(cmd->name, argv[0]) != 0) {
            continue;
        }
        if (argc - 1 < cmd->min_args) {
            qtest_sendf(q, "FAIL %s: missing argument\n", cmd->name);
        } else if (argc - 1 > cmd->max_args) {
            qtest_sendf(q, "FAIL %s: too many arguments\n", cmd->name);
        } else {
            cmd->fn(q, argv, argc);
        }
        return;
    }
    {
        char *shown = g_strndup(argv[0], QTEST_ECHO_MAX);

        qtest_sendf(q, "FAIL Unknown command '%s'\n", shown);
        g_free(shown);
    }
}

static void qtest_chr_event(void *opaque, ChardevEvent event)
{
    Qtest *q = opaque;

    if (event == CHARDEV_OPENED) {
        g_timer_start(q->timer);
        if (q->log) {
            fprintf(q->log, "[I %.06f] OPENED\n", 0.0);
            fflush(q->log);
        }
        return;
    }
    if (q->log) {
        fprintf(q->log, "[I +%.06f] CLOSED\n", g_timer_elapsed(q->timer, NULL));
        fflush(q->log);
    }
    /* The client is the guest: without it there is nothing to serve. */
    log_trace(LOG_QTEST, "qtest connection closed, shutting down");
    if (q->t.loop) {
        g_main_loop_quit(q->t.loop);
    }
}

/* The Transport is the first member of Qtest. */
static Qtest *qtest_of(Transport *t)
{
    return (Qtest *)t;
}

/* ---- interrupts ---- */

static void qtest_irq_set(IrqLine *line, bool level)
{
    QtestIrq *irq = line->opaque;
    Qtest *q = irq->q;
    unsigned num;

    if (level) {
        num = irq->dev->config[PCI_INTERRUPT_LINE_REG];
        irq->num = num;
        if (q->irq_count[num]++ != 0) {
            return;
        }
    } else {
        num = irq->num;
        if (q->irq_count[num] == 0 || --q->irq_count[num] != 0) {
            return;
        }
    }
    log_trace(LOG_QTEST, "%s: IRQ %u %s", irq->dev->name, num,
              level ? "raise" : "lower");
    if (q->intercept) {
        qtest_sendf(q, "IRQ %s %u\n", level ? "raise" : "lower", num);
    }
}

static IrqLine *qtest_intx_line(Transport *t, PciDevice *dev)
{
    Qtest *q = qtest_of(t);
    QtestIrq *irq = g_new0(QtestIrq, 1);

    irq->q = q;
    irq->dev = dev;
    irq_init(&irq->line, qtest_irq_set, irq);
    g_ptr_array_add(q->irqs, irq);
    return &irq->line;
}

/* ---- transport ---- */

static bool qtest_start(Transport *t, GError **errp)
{
    Qtest *q = qtest_of(t);

    chardev_set_line_handlers(q->chr, qtest_handle_line, QTEST_MAX_LINE,
                              qtest_chr_event, q);
    return chardev_open(q->chr, NULL, errp);
}

static void qtest_map_io(Transport *t, IoSpace space, hwaddr base, hwaddr len,
                         bool mapped)
{
    log_trace(LOG_QTEST, "%s %s [0x%" PRIx64 ", +0x%" PRIx64 ")",
              mapped ? "map" : "unmap", space == IO_SPACE_PIO ? "pio" : "mmio",
              base, len);
}

static void qtest_free(Transport *t)
{
    Qtest *q = qtest_of(t);

    chardev_flush(q->chr, 1000);
    chardev_free(q->chr);
    if (q->log_owned) {
        fclose(q->log);
    }
    g_timer_destroy(q->timer);
    g_ptr_array_free(q->irqs, TRUE);
    g_free(q->intercept);
    gmem_free(q->t.mem);
    clock_free(q->t.clock);
    g_free(q);
}

static const TransportOps qtest_ops = {
    .name = "qtest",
    .start = qtest_start,
    .intx_line = qtest_intx_line,
    .map_io = qtest_map_io,
    .free = qtest_free,
};

Transport *qtest_transport_new(const QtestConfig *cfg, IoBus *iobus,
                               GError **errp)
{
    Chardev *chr = chardev_new_unix(cfg->spec, "-qtest", errp);
    FILE *log = NULL;
    bool log_owned = false;
    Qtest *q;

    if (!chr) {
        return NULL;
    }
    if (!cfg->log) {
        log = stderr;
    } else if (strcmp(cfg->log, "none") != 0) {
        log = fopen(cfg->log, "we");
        if (!log) {
            g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                        "-qtest-log: cannot open %s: %s", cfg->log,
                        g_strerror(errno));
            chardev_free(chr);
            return NULL;
        }
        log_owned = true;
    }
    q = g_new0(Qtest, 1);
    q->t.ops = &qtest_ops;
    q->t.clock = clock_new_virtual();
    q->t.mem = gmem_flat_new(cfg->ram, cfg->ram_size, iobus);
    q->t.iobus = iobus;
    q->chr = chr;
    q->log = log;
    q->log_owned = log_owned;
    q->timer = g_timer_new();
    q->ram = cfg->ram;
    q->ram_size = cfg->ram_size;
    q->lowmem = MIN(cfg->ram_size, GMEM_FLAT_LOWMEM_LIMIT);
    q->irqs = g_ptr_array_new_with_free_func(g_free);
    return &q->t;
}
