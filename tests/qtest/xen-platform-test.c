/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Xen platform device and NIC hand-off qtests, from Xen's
 * docs/misc/hvm-emulated-unplug.pandoc and xen-dm-contract.md 5: the
 * device's identity and BARs, the magic / version / product / build
 * handshake on ports 0x10-0x13, blacklisting, the unplug mask, the
 * legacy BAR0 aliases and the guest log; then what a NIC unplug must
 * leave behind: config space all-ones, the IRQ low, BARs gone, no frame
 * and no DMA afterwards, DEVICE_DELETED on QMP, the backend closed (the
 * test's end of the socket netdev sees EOF), one log line. Races: unplug
 * with a busy TX ring, armed delay and mitigation timers and a held RX
 * frame; repeated unplug through every path; TDT writes afterwards.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libqos/e1000.h"
#include "libqos/rtl8139.h"

#define PLAT_DEVFN (3 << 3)
#define PORT_MAGIC 0x10
#define PORT_VERSION 0x12
#define PRODUCT_LINUX 3
#define WIRE_TIMEOUT_MS 5000
#define QUIET_MS 300

/* ---- A second QMP connection, to see events ---- */

typedef struct QmpClient {
    int fd;
    GString *rx;
} QmpClient;

/* The next line within timeout_ms, or NULL (owned by the caller). */
static char *qmpc_line(QmpClient *c, int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        char *nl = memchr(c->rx->str, '\n', c->rx->len);
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        char buf[4096];
        gint64 left;
        ssize_t n;

        if (nl) {
            char *line = g_strndup(c->rx->str, nl - c->rx->str);

            g_string_erase(c->rx, 0, nl - c->rx->str + 1);
            return line;
        }
        left = (end - g_get_monotonic_time()) / 1000;
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
            return NULL;
        }
        n = recv(c->fd, buf, sizeof(buf), 0);
        if (n <= 0) {
            return NULL;
        }
        g_string_append_len(c->rx, buf, n);
    }
}

static void qmpc_connect(QmpClient *c, const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char *line;
    int tries;

    c->rx = g_string_new(NULL);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(c->fd, >=, 0);
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    for (tries = 0; tries < 500; tries++) {
        if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            break;
        }
        g_usleep(10 * 1000);
    }
    g_assert_cmpint(tries, <, 500);
    line = qmpc_line(c, WIRE_TIMEOUT_MS);
    g_assert_nonnull(line);
    g_assert_true(g_str_has_prefix(line, "{\"QMP\""));
    g_free(line);
    g_assert_cmpint(
        send(c->fd, "{\"execute\": \"qmp_capabilities\"}\n", 32, MSG_NOSIGNAL),
        ==, 32);
    line = qmpc_line(c, WIRE_TIMEOUT_MS);
    g_assert_nonnull(line);
    g_assert_true(g_str_has_prefix(line, "{\"return\""));
    g_free(line);
}

static void qmpc_close(QmpClient *c)
{
    close(c->fd);
    g_string_free(c->rx, TRUE);
}

/* Events named `name` arriving within timeout_ms; the first in *first. */
static unsigned qmpc_count_events(QmpClient *c, const char *name,
                                  int timeout_ms, char **first)
{
    g_autofree char *pat = g_strdup_printf("\"event\": \"%s\"", name);
    unsigned n = 0;
    char *line;

    while ((line = qmpc_line(c, timeout_ms)) != NULL) {
        if (strstr(line, pat)) {
            if (n++ == 0 && first) {
                *first = g_strdup(line);
            }
        }
        g_free(line);
    }
    return n;
}

/* ---- Fixtures ---- */

typedef struct Fixture {
    char *tmpdir;
    char *qmp_path;
    QmpClient qmp;
    QE1000 *e1000;
    QRtl *rtl;
    QTestState *qts;
    QPCIDevice *plat;
} Fixture;

static char *fx_extra(Fixture *f, const char *plat_opts)
{
    GError *err = NULL;

    f->tmpdir = g_dir_make_tmp("emunet-xenplat-XXXXXX", &err);
    g_assert_no_error(err);
    f->qmp_path = g_build_filename(f->tmpdir, "events.sock", NULL);
    return g_strdup_printf(",id=nic0 -device xen-platform,addr=03.0%s "
                           "-qmp unix:%s,server=on,wait=off",
                           plat_opts ? plat_opts : "", f->qmp_path);
}

static void fx_finish(Fixture *f)
{
    qmpc_connect(&f->qmp, f->qmp_path);
    f->plat = qpci_device_find(f->qts, PLAT_DEVFN);
    g_assert_nonnull(f->plat);
}

/*
 * qe1000_start with emunet's end of the wire given a small send buffer
 * when `sndbuf` (so that a test that does not read fills it soon).
 */
static Fixture *fx_e1000_buf(const char *plat_opts, int sndbuf)
{
    static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    Fixture *f = g_new0(Fixture, 1);
    g_autofree char *extra = fx_extra(f, plat_opts);
    QE1000 *d = g_new0(QE1000, 1);
    int sv[2];

    qtest_socketpair(sv);
    if (sndbuf) {
        g_assert_cmpint(
            setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)),
            ==, 0);
    }
    d->qts = qtest_initf("-netdev socket,id=n0,fd=%d -device e1000,netdev=n0,"
                         "mac=" QE1000_MAC ",addr=04.0%s",
                         sv[1], extra);
    d->wire = sv[0];
    memcpy(d->mac, mac, sizeof(mac));
    d->pci = qpci_device_find(d->qts, QE1000_DEVFN);
    g_assert_nonnull(d->pci);
    qpci_iomap(d->pci, 0, NULL);
    qpci_iomap(d->pci, 1, NULL);
    qpci_device_enable(d->pci, QE1000_IRQ);
    qtest_irq_intercept_in(d->qts, "ioapic");
    f->e1000 = d;
    f->qts = d->qts;
    fx_finish(f);
    return f;
}

static Fixture *fx_e1000(const char *plat_opts)
{
    return fx_e1000_buf(plat_opts, 0);
}

static Fixture *fx_rtl(const char *plat_opts)
{
    Fixture *f = g_new0(Fixture, 1);
    g_autofree char *extra = fx_extra(f, plat_opts);

    f->rtl = qrtl_start(extra);
    f->qts = f->rtl->qts;
    fx_finish(f);
    return f;
}

static void fx_stop(Fixture *f)
{
    qmpc_close(&f->qmp);
    qpci_device_free(f->plat);
    if (f->e1000) {
        qe1000_stop(f->e1000);
    } else {
        qrtl_stop(f->rtl);
    }
    unlink(f->qmp_path);
    rmdir(f->tmpdir);
    g_free(f->qmp_path);
    g_free(f->tmpdir);
    g_free(f);
}

/* How often `needle` occurs in emunet's stderr so far. */
static unsigned stderr_count(QTestState *qts, const char *needle)
{
    g_autofree char *log = qtest_stderr(qts);
    unsigned n = 0;

    for (const char *p = log; (p = strstr(p, needle)) != NULL; p++) {
        n++;
    }
    return n;
}

/*
 * Linux's check_platform_magic: magic, version, product, build, magic.
 * The first magic may read either value (a blacklisted driver's earlier
 * handshake); the second is returned.
 */
static uint16_t handshake(QTestState *qts, uint16_t product, uint32_t build)
{
    uint16_t magic = qtest_inw(qts, PORT_MAGIC);

    g_assert_true(magic == 0x49d2 || magic == 0xd249);
    g_assert_cmpuint(qtest_inb(qts, PORT_VERSION), ==, 1);
    qtest_outw(qts, PORT_VERSION, product);
    qtest_outl(qts, PORT_MAGIC, build);
    return qtest_inw(qts, PORT_MAGIC);
}

static void unplug_nics(QTestState *qts)
{
    qtest_outw(qts, PORT_MAGIC, 1u << 1);
}

/*
 * Drain the wire; true when emunet's end then closes (EOF). Complete
 * frames are counted; a frame cut short by the close is not (the socket
 * backend may be freed with a frame half written).
 */
static bool wire_eof(int fd, unsigned *frames)
{
    g_autoptr(GByteArray) rx = g_byte_array_new();
    gint64 end = g_get_monotonic_time() + WIRE_TIMEOUT_MS * 1000LL;

    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        uint8_t buf[65536];
        ssize_t n;

        if (poll(&pfd, 1, QUIET_MS) <= 0) {
            if (g_get_monotonic_time() > end) {
                return false;
            }
            continue;
        }
        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        g_byte_array_append(rx, buf, (guint)n);
        while (rx->len >= 4) {
            size_t len = (size_t)rx->data[0] << 24 | rx->data[1] << 16 |
                         rx->data[2] << 8 | rx->data[3];

            if (rx->len < 4 + len) {
                break;
            }
            if (frames) {
                (*frames)++;
            }
            g_byte_array_remove_range(rx, 0, (guint)(4 + len));
        }
    }
    return true;
}

static size_t test_frame(uint8_t *buf, size_t len, uint8_t seed)
{
    static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x99};

    memcpy(buf, dst, 6);
    memcpy(buf + 6, (uint8_t[6]){0x52, 0x54, 0x00, 0x12, 0x34, 0x56}, 6);
    buf[12] = 0x88;
    buf[13] = 0xb5;
    for (size_t i = 14; i < len; i++) {
        buf[i] = (uint8_t)(seed + i);
    }
    return len;
}

/* ---- Identity and protocol ---- */

/* Contract 5.1: IDs, class, revision, pin, COMMAND preset, both BARs. */
static void test_identity(void)
{
    Fixture *f = fx_e1000(NULL);
    QPCIDevice *p = f->plat;
    uint64_t size;
    uint32_t bar1;

    g_assert_cmphex(qpci_config_readw(p, 0x00), ==, 0x5853);
    g_assert_cmphex(qpci_config_readw(p, 0x02), ==, 0x0001);
    g_assert_cmphex(qpci_config_readw(p, 0x2c), ==, 0x5853);
    g_assert_cmphex(qpci_config_readw(p, 0x2e), ==, 0x0001);
    g_assert_cmphex(qpci_config_readb(p, 0x08), ==, 1);
    g_assert_cmphex(qpci_config_readb(p, 0x09), ==, 0);
    g_assert_cmphex(qpci_config_readw(p, 0x0a), ==, 0xff80);
    g_assert_cmphex(qpci_config_readb(p, 0x3d), ==, 1);
    g_assert_cmphex(qpci_config_readw(p, 0x04) & 3, ==, 3);
    qpci_iomap(p, 0, &size);
    g_assert_true(p->bar_is_io[0]);
    g_assert_cmphex(size, ==, 0x100);
    qpci_iomap(p, 1, &size);
    g_assert_false(p->bar_is_io[1]);
    g_assert_cmphex(size, ==, 16 * 1024 * 1024);
    bar1 = qpci_config_readl(p, 0x14);
    g_assert_cmphex(bar1 & 0x8, ==, 0x8); /* prefetchable */
    /* BAR1 is Xen's grant area: reads 0, writes vanish. */
    qtest_writel(f->qts, p->bar_addr[1] + 0x100, 0x12345678);
    g_assert_cmphex(qtest_readl(f->qts, p->bar_addr[1] + 0x100), ==, 0);
    fx_stop(f);
}

/* hvm-emulated-unplug.pandoc steps 1-2 and the platform flags byte. */
static void test_ports(void)
{
    Fixture *f = fx_e1000(NULL);
    QTestState *qts = f->qts;

    g_assert_cmphex(qtest_inw(qts, PORT_MAGIC), ==, 0x49d2);
    g_assert_cmphex(qtest_inb(qts, PORT_VERSION), ==, 1);
    /* Contract 13/14: byte reads are the flags and 0xff; dword ~0. */
    g_assert_cmphex(qtest_inb(qts, PORT_MAGIC), ==, 0);
    g_assert_cmphex(qtest_inb(qts, PORT_MAGIC + 1), ==, 0xff);
    g_assert_cmphex(qtest_inl(qts, PORT_MAGIC), ==, 0xffffffff);
    g_assert_cmphex(qtest_inb(qts, 0x13), ==, 0xff);
    qtest_outb(qts, PORT_MAGIC, 0x01);
    g_assert_cmphex(qtest_inb(qts, PORT_MAGIC), ==, 1);
    qtest_outb(qts, PORT_MAGIC, 0xfe);
    g_assert_cmphex(qtest_inb(qts, PORT_MAGIC), ==, 0);
    /* BAR0 offset 0 is the same flags byte. */
    qpci_iomap(f->plat, 0, NULL);
    qpci_device_enable(f->plat, 5);
    qpci_io_writeb(f->plat, 0, 0, 1);
    g_assert_cmphex(qtest_inb(qts, PORT_MAGIC), ==, 1);
    g_assert_cmphex(qpci_io_readb(f->plat, 0, 0), ==, 1);
    g_assert_cmphex(qpci_io_readb(f->plat, 0, 1), ==, 0xff);
    /* A full handshake of a driver nobody blacklisted. */
    g_assert_cmphex(handshake(qts, PRODUCT_LINUX, 1), ==, 0x49d2);
    g_assert_cmpuint(stderr_count(qts, "PV driver linux build 1"), ==, 1);
    fx_stop(f);
}

/* The guest log: bytes on port 0x12 (and BAR0 offset 8), line by line. */
static void test_log(void)
{
    Fixture *f = fx_e1000(NULL);
    const char *msg = "hello from\x01 the guest\n";

    for (const char *p = msg; *p; p++) {
        qtest_outb(f->qts, PORT_VERSION, (uint8_t)*p);
    }
    qpci_iomap(f->plat, 0, NULL);
    qpci_device_enable(f->plat, 5);
    for (const char *p = "vmdp\n"; *p; p++) {
        qpci_io_writeb(f->plat, 0, 8, (uint8_t)*p);
    }
    qtest_inb(f->qts, PORT_VERSION);
    g_assert_cmpuint(stderr_count(f->qts, "guest: hello from? the guest"), ==,
                     1);
    g_assert_cmpuint(stderr_count(f->qts, "guest: vmdp"), ==, 1);
    fx_stop(f);
}

/* Bits 0, 2, 3 are disks: recorded and logged, the NIC stays. */
static void test_disk_bits(void)
{
    Fixture *f = fx_e1000(NULL);

    qtest_outw(f->qts, PORT_MAGIC, 0x000d);
    g_assert_cmphex(qpci_config_readw(f->e1000->pci, 0), ==, 0x8086);
    g_assert_cmpuint(
        stderr_count(f->qts, "disk unplug 0xd (port 0x10) recorded"), ==, 1);
    g_assert_cmpuint(
        qmpc_count_events(&f->qmp, "DEVICE_DELETED", QUIET_MS, NULL), ==, 0);
    fx_stop(f);
}

/* TX one frame and see it on the wire: the NIC works. */
static void e1000_tx_ok(QE1000 *d, uint8_t seed)
{
    uint8_t frame[200], got[256];
    unsigned idx;

    test_frame(frame, sizeof(frame), seed);
    idx = qe1000_tx_frame(d, frame, sizeof(frame));
    qe1000_tx_kick(d);
    g_assert_cmpint(qe1000_wire_recv(d, got, sizeof(got), WIRE_TIMEOUT_MS), ==,
                    sizeof(frame));
    g_assert_cmpmem(got, sizeof(frame), frame, sizeof(frame));
    g_assert_true(qe1000_tx_wait_dd(d, idx, WIRE_TIMEOUT_MS));
}

typedef struct BlacklistCase {
    const char *opts;
    /* Build 8 of the same product is not blacklisted. */
    bool other_build_ok;
} BlacklistCase;

/*
 * Blacklisting (pandoc step 5): the blacklisted driver reads 0xd249 and
 * its unplug is refused; a new handshake of a build that is not
 * blacklisted is honoured.
 */
static void test_blacklist(gconstpointer data)
{
    const BlacklistCase *c = data;
    Fixture *f = fx_e1000(c->opts);
    QE1000 *d = f->e1000;

    qe1000_init(d, 8, 8, 2048);
    g_assert_cmphex(handshake(f->qts, PRODUCT_LINUX, 7), ==, 0xd249);
    unplug_nics(f->qts);
    g_assert_cmphex(qpci_config_readw(d->pci, 0), ==, 0x8086);
    e1000_tx_ok(d, 1);
    g_assert_cmpuint(stderr_count(f->qts, "is blacklisted"), ==, 1);
    g_assert_cmpuint(stderr_count(f->qts, "hand-off:"), ==, 0);
    /* Another product is never blacklisted by these entries. */
    g_assert_cmphex(handshake(f->qts, 2, 7), ==, 0x49d2);
    g_assert_cmphex(handshake(f->qts, PRODUCT_LINUX, 8), ==,
                    c->other_build_ok ? 0x49d2 : 0xd249);
    unplug_nics(f->qts);
    g_assert_cmphex(qpci_config_readw(d->pci, 0), ==,
                    c->other_build_ok ? 0xffff : 0x8086);
    g_assert_cmpuint(
        qmpc_count_events(&f->qmp, "DEVICE_DELETED", QUIET_MS, NULL), ==,
        c->other_build_ok ? 1 : 0);
    fx_stop(f);
}

/* ---- NIC unplug ---- */

/*
 * What an unplug leaves (contract 5.3, issue 6): config space all-ones,
 * INTx low, the BARs gone (reads all-ones, writes do nothing), no DMA,
 * DEVICE_DELETED, the backend closed, one log line.
 */
static void test_unplug_e1000(void)
{
    Fixture *f = fx_e1000(NULL);
    QE1000 *d = f->e1000;
    uint64_t bar0 = d->pci->bar_addr[0];
    g_autofree char *event = NULL;
    uint8_t frame[200], sta;
    char *reply;
    unsigned idx;

    qe1000_init(d, 8, 8, 2048);
    e1000_tx_ok(d, 1);
    /* An interrupt asserted at the time of the unplug. */
    qe1000_w(d, E1000_IMS, E1000_ICR_TXDW);
    qe1000_w(d, E1000_ICS, E1000_ICR_TXDW);
    g_assert_true(qe1000_irq(d));

    reply = qtest_qmp(f->qts, "{\"execute\": \"query-emunet\"}");
    g_assert_nonnull(strstr(reply, "\"handed-off\": false"));
    g_free(reply);
    g_assert_cmphex(handshake(f->qts, PRODUCT_LINUX, 1), ==, 0x49d2);
    unplug_nics(f->qts);

    /* Recorded for QMP clients (query-emunet). */
    reply = qtest_qmp(f->qts, "{\"execute\": \"query-emunet\"}");
    g_assert_nonnull(strstr(reply, "{\"id\": \"nic0\", \"link-up\": false, "
                                   "\"handed-off\": true}"));
    g_free(reply);
    g_assert_cmphex(qpci_config_readl(d->pci, 0x00), ==, 0xffffffff);
    g_assert_cmphex(qpci_config_readl(d->pci, 0x10), ==, 0xffffffff);
    g_assert_cmphex(qpci_config_readl(d->pci, 0x3c), ==, 0xffffffff);
    g_assert_false(qtest_get_irq(f->qts, QE1000_IRQ));
    g_assert_cmphex(qtest_readl(f->qts, bar0 + E1000_STATUS), ==, 0xffffffff);
    g_assert_cmpuint(
        qmpc_count_events(&f->qmp, "DEVICE_DELETED", QUIET_MS, &event), ==, 1);
    g_assert_nonnull(strstr(event, "\"device\": \"nic0\""));
    g_assert_nonnull(strstr(event, "\"path\": \"/machine/peripheral/nic0\""));
    g_assert_true(wire_eof(d->wire, NULL));

    /* A driver that missed it: a new descriptor and a TDT write. */
    test_frame(frame, sizeof(frame), 2);
    idx = qe1000_tx_frame(d, frame, sizeof(frame));
    qtest_writel(f->qts, bar0 + E1000_TDT, d->tx_tail);
    qtest_clock_step(f->qts, 10 * 1000 * 1000);
    qtest_memread(f->qts, d->tx_ring + 16 * idx + 12, &sta, 1);
    g_assert_cmphex(sta, ==, 0);
    g_assert_false(qtest_get_irq(f->qts, QE1000_IRQ));

    /* The platform device and the rest of the machine carry on. */
    g_assert_cmphex(qpci_config_readw(f->plat, 0), ==, 0x5853);
    g_assert_cmpuint(stderr_count(f->qts, "hand-off: nic0 (e1000)"), ==, 1);
    fx_stop(f);
}

/*
 * Repeated and late requests, through every path (port 0x10, BAR0
 * offsets 4 and 8), do nothing more: one event, one log line.
 */
static void test_unplug_repeated(void)
{
    Fixture *f = fx_e1000(NULL);
    QE1000 *d = f->e1000;

    qe1000_init(d, 8, 8, 2048);
    qpci_iomap(f->plat, 0, NULL);
    qpci_device_enable(f->plat, 5);
    qpci_io_writeb(f->plat, 0, 8, 2);
    unplug_nics(f->qts);
    unplug_nics(f->qts);
    qpci_io_writel(f->plat, 0, 4, 1);
    qtest_outw(f->qts, PORT_MAGIC, 0xffff);
    g_assert_cmphex(qpci_config_readw(d->pci, 0), ==, 0xffff);
    g_assert_cmpuint(
        qmpc_count_events(&f->qmp, "DEVICE_DELETED", QUIET_MS, NULL), ==, 1);
    g_assert_cmpuint(stderr_count(f->qts, "hand-off:"), ==, 1);
    g_assert_true(wire_eof(d->wire, NULL));
    fx_stop(f);
}

/* Status byte of TX descriptor idx. */
static uint8_t tx_sta(QE1000 *d, unsigned idx)
{
    uint8_t sta;

    qtest_memread(d->qts, d->tx_ring + 16 * idx + 12, &sta, 1);
    return sta;
}

/*
 * The race the hand-off must survive: the TX ring full and blocked on a
 * busy backend (the test does not read the wire), the TX delay timers
 * and the ITR timer armed, an RX frame held by the backend for want of
 * buffers and more queued behind it. After the unplug nothing moves:
 * no descriptor is written back, no RX buffer is written, no interrupt
 * comes however far the clock runs, and the wire carries at most the
 * frames whose descriptors were already written back, then EOF.
 */
static void test_unplug_race_busy(void)
{
    enum { TX_N = 512, FRAME = 1514 };
    Fixture *f = fx_e1000_buf(NULL, 4096);
    QE1000 *d = f->e1000;
    g_autofree uint8_t *frame = g_malloc(FRAME);
    g_autofree uint8_t *ring_before = g_malloc(TX_N * 16);
    g_autofree uint8_t *ring_after = g_malloc(TX_N * 16);
    g_autofree uint8_t *rxbuf_before = g_malloc(2048);
    g_autofree uint8_t *rxbuf_after = g_malloc(2048);
    uint64_t payload;
    unsigned done = 0, frames = 0;

    qe1000_init(d, TX_N, 8, 2048);
    /* TX delays (SDM 3.4) and ITR (13.4.18) with an interrupt waiting. */
    qe1000_w(d, E1000_TIDV, 500);
    qe1000_w(d, E1000_TADV, 1000);
    qe1000_w(d, E1000_ITR, 0xffff);
    qe1000_w(d, E1000_IMS, E1000_ICR_TXDW | E1000_ICR_LSC);
    qe1000_w(d, E1000_ICS, E1000_ICR_LSC);
    g_assert_true(qe1000_irq(d));
    qe1000_r(d, E1000_ICR);
    qe1000_w(d, E1000_ICS, E1000_ICR_LSC);
    g_assert_false(qe1000_irq(d));

    /* No free RX descriptor: the first frame from the wire is held. */
    qe1000_w(d, E1000_RDT, qe1000_r(d, E1000_RDH));
    qtest_memread(f->qts, d->rx_buf[0], rxbuf_before, 2048);
    for (int i = 0; i < 3; i++) {
        test_frame(frame, 100, (uint8_t)(0x40 + i));
        memcpy(frame, d->mac, 6);
        qe1000_wire_send(d, frame, 100);
    }

    /* A ring's worth of full-size frames nobody reads. */
    test_frame(frame, FRAME, 9);
    payload = qe1000_copy_to_guest(d, frame, FRAME);
    for (unsigned i = 0; i < TX_N - 1; i++) {
        qe1000_tx_legacy(d, payload, FRAME,
                         E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS |
                             E1000_TXD_CMD_RS | E1000_TXD_CMD_IDE,
                         0, 0, 0);
    }
    qe1000_tx_kick(d);
    /* Let emunet fill the socket and read the held frame. */
    g_usleep(200 * 1000);
    qe1000_r(d, E1000_STATUS);
    g_assert_cmphex(tx_sta(d, TX_N - 2), ==, 0);
    g_assert_cmpuint(qe1000_r(d, E1000_TDH), !=, TX_N - 1);

    unplug_nics(f->qts);
    qtest_memread(f->qts, d->tx_ring, ring_before, TX_N * 16);
    for (unsigned i = 0; i < TX_N; i++) {
        done += ring_before[16 * i + 12] & E1000_TXD_STA_DD;
    }
    /* Every timer would have fired by now. */
    for (int i = 0; i < 20; i++) {
        qtest_clock_step(f->qts, 50 * 1000 * 1000);
    }
    g_assert_false(qtest_get_irq(f->qts, QE1000_IRQ));
    g_assert_true(wire_eof(d->wire, &frames));
    qtest_memread(f->qts, d->tx_ring, ring_after, TX_N * 16);
    g_assert_cmpmem(ring_before, TX_N * 16, ring_after, TX_N * 16);
    qtest_memread(f->qts, d->rx_buf[0], rxbuf_after, 2048);
    g_assert_cmpmem(rxbuf_before, 2048, rxbuf_after, 2048);
    g_assert_cmpuint(frames, <=, done);
    g_assert_cmpuint(done, <, TX_N - 1);
    g_assert_cmpuint(
        qmpc_count_events(&f->qmp, "DEVICE_DELETED", QUIET_MS, NULL), ==, 1);
    g_assert_true(qtest_alive(f->qts));
    fx_stop(f);
}

/*
 * rtl8139 in C+ mode with interrupt mitigation holding an event back
 * and a TCTR timer armed: the same hand-off.
 */
static void test_unplug_rtl8139(void)
{
    Fixture *f = fx_rtl(NULL);
    QRtl *d = f->rtl;
    uint64_t bar1 = d->pci->bar_addr[QRTL_BAR_MMIO];
    g_autofree char *event = NULL;
    uint8_t frame[120], got[256];
    uint32_t opts1;
    unsigned idx;

    qrtl_cp_init(d, 16, 16, 2048, 0, 0);
    test_frame(frame, sizeof(frame), 3);
    idx = qrtl_cp_tx_frame(d, frame, sizeof(frame), 0, 0);
    g_assert_cmpint(qrtl_wire_recv(d, got, sizeof(got), WIRE_TIMEOUT_MS), ==,
                    sizeof(frame));
    g_assert_true(qrtl_cp_tx_wait(d, idx, WIRE_TIMEOUT_MS, &opts1));
    /* TimerInt armed far ahead, and an unmasked cause pending. */
    qrtl_w32(d, RTL_TCTR, 0);
    qrtl_w32(d, RTL_TIMERINT, 0x100000);
    qrtl_w16(d, RTL_IMR, 0xffff);
    g_assert_true(qrtl_irq(d));

    unplug_nics(f->qts);
    g_assert_cmphex(qpci_config_readl(d->pci, 0), ==, 0xffffffff);
    g_assert_false(qtest_get_irq(f->qts, QRTL_IRQ));
    g_assert_cmphex(qtest_readl(f->qts, bar1 + RTL_IDR0), ==, 0xffffffff);
    qtest_clock_step(f->qts, 1000LL * 1000 * 1000);
    g_assert_false(qtest_get_irq(f->qts, QRTL_IRQ));
    g_assert_cmpuint(
        qmpc_count_events(&f->qmp, "DEVICE_DELETED", QUIET_MS, &event), ==, 1);
    g_assert_nonnull(strstr(event, "\"device\": \"nic0\""));
    g_assert_true(wire_eof(d->wire, NULL));
    g_assert_cmpuint(stderr_count(f->qts, "hand-off: nic0 (rtl8139)"), ==, 1);
    fx_stop(f);
}

/* A bad x-blacklist= is a usage error naming the option. */
static void test_bad_blacklist(void)
{
    const char *binary = g_getenv("EMUNET_BINARY");
    g_autofree char *err_text = NULL;
    GError *err = NULL;
    int status;
    char *argv[] = {(char *)binary,
                    "-qtest",
                    "unix:/nonexistent",
                    "-device",
                    "xen-platform,x-blacklist=linux",
                    NULL};

    g_assert_nonnull(binary);
    g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
                               NULL, NULL, NULL, &err_text, &status, &err));
    g_assert_no_error(err);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 2);
    g_assert_nonnull(strstr(err_text, "x-blacklist: 'linux'"));
}

static const BlacklistCase blacklist_exact = {",x-blacklist=linux/7", true};
static const BlacklistCase blacklist_any = {",x-blacklist=3/*:2/5", false};

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/xen-platform/identity", test_identity);
    g_test_add_func("/xen-platform/ports", test_ports);
    g_test_add_func("/xen-platform/log", test_log);
    g_test_add_func("/xen-platform/disk-bits", test_disk_bits);
    g_test_add_data_func("/xen-platform/blacklist/exact", &blacklist_exact,
                         test_blacklist);
    g_test_add_data_func("/xen-platform/blacklist/any-build", &blacklist_any,
                         test_blacklist);
    g_test_add_func("/xen-platform/blacklist/bad-option", test_bad_blacklist);
    g_test_add_func("/xen-platform/unplug/e1000", test_unplug_e1000);
    g_test_add_func("/xen-platform/unplug/repeated", test_unplug_repeated);
    g_test_add_func("/xen-platform/unplug/race-busy", test_unplug_race_busy);
    g_test_add_func("/xen-platform/unplug/rtl8139", test_unplug_rtl8139);
    return g_test_run();
}
