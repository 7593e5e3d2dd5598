/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qtc: minimal qtest client (see qtc.h). One command line out, one "OK"
 * line back. Values are parsed with strtoull, so both emunet's and QEMU's
 * reply formats work (QEMU answers inl with "OK 0x%04x" and readl with
 * sixteen hex digits).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "qtc.h"

#define QTC_CFG_ADDR 0xcf8
#define QTC_CFG_DATA 0xcfc

int qtc_listen(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "qtc: socket path too long: %s\n", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("qtc: socket");
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
        fprintf(stderr, "qtc: bind/listen %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int qtc_accept(Qtc *q, int lfd, int timeout_ms)
{
    struct pollfd pfd = {.fd = lfd, .events = POLLIN};
    int r;

    q->fd = -1;
    q->len = 0;
    if (q->timeout_ms <= 0) {
        q->timeout_ms = 10000;
    }
    r = poll(&pfd, 1, timeout_ms);
    if (r == 0 || (r < 0 && errno == EINTR)) {
        return 1;
    }
    if (r < 0) {
        perror("qtc: poll");
        return -1;
    }
    q->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (q->fd < 0) {
        perror("qtc: accept");
        return -1;
    }
    return 0;
}

void qtc_close(Qtc *q)
{
    if (q->fd >= 0) {
        close(q->fd);
    }
    q->fd = -1;
    q->len = 0;
}

static int qtc_send_line(Qtc *q, const char *line, size_t n)
{
    while (n > 0) {
        ssize_t w = send(q->fd, line, n, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            fprintf(stderr, "qtc: send: %s\n", strerror(errno));
            return -1;
        }
        line += w;
        n -= (size_t)w;
    }
    return 0;
}

/*
 * Read one line (without its '\n') into `out`. Lines longer than the
 * buffer are a protocol error for us.
 */
static int qtc_read_line(Qtc *q, char *out, size_t outsz)
{
    for (;;) {
        char *nl = memchr(q->buf, '\n', q->len);
        struct pollfd pfd = {.fd = q->fd, .events = POLLIN};
        ssize_t r;
        int pr;

        if (nl) {
            size_t n = (size_t)(nl - q->buf);

            if (n >= outsz) {
                n = outsz - 1;
            }
            memcpy(out, q->buf, n);
            out[n] = '\0';
            q->len -= (size_t)(nl + 1 - q->buf);
            memmove(q->buf, nl + 1, q->len);
            return 0;
        }
        if (q->len == sizeof(q->buf)) {
            fprintf(stderr, "qtc: reply line too long\n");
            return -1;
        }
        pr = poll(&pfd, 1, q->timeout_ms);
        if (pr < 0 && errno == EINTR) {
            continue;
        }
        if (pr <= 0) {
            fprintf(stderr, "qtc: no reply within %d ms\n", q->timeout_ms);
            return -1;
        }
        r = recv(q->fd, q->buf + q->len, sizeof(q->buf) - q->len, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            fprintf(stderr, "qtc: connection %s\n",
                    r == 0 ? "closed by the device model" : strerror(errno));
            return -1;
        }
        q->len += (size_t)r;
    }
}

/*
 * Send a formatted command and wait for its reply, skipping IRQ events.
 * With `val`, the reply must carry a number after "OK".
 */
static int qtc_cmd(Qtc *q, uint64_t *val, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int qtc_cmd(Qtc *q, uint64_t *val, const char *fmt, ...)
{
    char line[128];
    char reply[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n <= 0 || (size_t)n >= sizeof(line)) {
        return -1;
    }
    if (qtc_send_line(q, line, (size_t)n) < 0) {
        return -1;
    }
    do {
        if (qtc_read_line(q, reply, sizeof(reply)) < 0) {
            return -1;
        }
    } while (strncmp(reply, "IRQ", 3) == 0);
    if (strncmp(reply, "OK", 2) != 0 || (reply[2] != ' ' && reply[2])) {
        fprintf(stderr, "qtc: '%.*s' -> '%s'\n", n - 1, line, reply);
        return -1;
    }
    if (val) {
        char *end;

        errno = 0;
        *val = strtoull(reply + 2, &end, 0);
        if (errno || end == reply + 2) {
            fprintf(stderr, "qtc: '%.*s' -> '%s': no value\n", n - 1, line,
                    reply);
            return -1;
        }
    }
    return 0;
}

int qtc_outl(Qtc *q, uint16_t port, uint32_t val)
{
    return qtc_cmd(q, NULL, "outl 0x%x 0x%x\n", port, val);
}

int qtc_inl(Qtc *q, uint16_t port, uint32_t *val)
{
    uint64_t v;

    if (qtc_cmd(q, &v, "inl 0x%x\n", port) < 0) {
        return -1;
    }
    *val = (uint32_t)v;
    return 0;
}

int qtc_writel(Qtc *q, uint64_t addr, uint32_t val)
{
    return qtc_cmd(q, NULL, "writel 0x%" PRIx64 " 0x%x\n", addr, val);
}

int qtc_readl(Qtc *q, uint64_t addr, uint32_t *val)
{
    uint64_t v;

    if (qtc_cmd(q, &v, "readl 0x%" PRIx64 "\n", addr) < 0) {
        return -1;
    }
    *val = (uint32_t)v;
    return 0;
}

int qtc_writeb(Qtc *q, uint64_t addr, uint8_t val)
{
    return qtc_cmd(q, NULL, "writeb 0x%" PRIx64 " 0x%x\n", addr, val);
}

int qtc_writew(Qtc *q, uint64_t addr, uint16_t val)
{
    return qtc_cmd(q, NULL, "writew 0x%" PRIx64 " 0x%x\n", addr, val);
}

int qtc_readb(Qtc *q, uint64_t addr, uint8_t *val)
{
    uint64_t v;

    if (qtc_cmd(q, &v, "readb 0x%" PRIx64 "\n", addr) < 0) {
        return -1;
    }
    *val = (uint8_t)v;
    return 0;
}

int qtc_readw(Qtc *q, uint64_t addr, uint16_t *val)
{
    uint64_t v;

    if (qtc_cmd(q, &v, "readw 0x%" PRIx64 "\n", addr) < 0) {
        return -1;
    }
    *val = (uint16_t)v;
    return 0;
}

static uint32_t qtc_cfg_addr(unsigned devfn, unsigned off)
{
    return 0x80000000u | (devfn & 0xffu) << 8 | (off & 0xfcu);
}

int qtc_cfg_readl(Qtc *q, unsigned devfn, unsigned off, uint32_t *val)
{
    if (qtc_outl(q, QTC_CFG_ADDR, qtc_cfg_addr(devfn, off)) < 0) {
        return -1;
    }
    return qtc_inl(q, QTC_CFG_DATA, val);
}

int qtc_cfg_writel(Qtc *q, unsigned devfn, unsigned off, uint32_t val)
{
    if (qtc_outl(q, QTC_CFG_ADDR, qtc_cfg_addr(devfn, off)) < 0) {
        return -1;
    }
    return qtc_outl(q, QTC_CFG_DATA, val);
}
