/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * emunet on xen-sim, issue 6: libxl mode with a companion device model
 * (tests/qtest/companion-stub.c, which models QEMU 7.2's platform ports
 * behind HMP "i"/"o" and logs every command), whose Xen platform unplug
 * ports emunet claims and passes through (hw/xen/xen-relay.h): the Linux
 * handshake (hvm-emulated-unplug.pandoc; contract 5.2, 5.4) reaches the
 * companion unchanged and in order while emunet hands its NIC off on the
 * NIC bit; blacklisting; the guest's vCPU held until the companion
 * answered, with a slow, a too slow and a vanished companion, and a
 * SIGHUP while held. Without a companion emunet's own platform device
 * answers. Then QMP stop / cont (libxl's pause): no DMA, interrupt or
 * timer while stopped (RX arriving, a timer due, a held-back TX ready
 * again), delivery of what waited after cont. Started paused (-S, as
 * libxl with dm_restrict): device-model/5/state stays unwritten until
 * cont, and under -xen-domid-restrict for good, while QMP query-status
 * answers (libxl confirms the start by QMP alone, contract 1.6).
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "xnic.h"

#define NIC_STATE_KEY "/local/domain/0/device-model/5/emunet/nic0/state"
#define DM_STATE_KEY "/local/domain/0/device-model/5/state"
#define PORT_MAGIC 0x10
#define PORT_VERSION 0x12
#define PRODUCT_LINUX 3
#define PLATFORM_DEVFN (2 << 3)
/* emunet's wait for the companion (XEN_RELAY_TIMEOUT_MS). */
#define RELAY_TIMEOUT_MS 1000
#define QUIET_MS 300

/* 82540EM bits the stop/cont tests use (SDM 13). */
#define E1000_MDIC 0x00020
#define E1000_MDIC_READY (1u << 28)
#define MDIC_PHY_CTRL_WRITE(v) ((v) | 1u << 21 | 1u << 26)
#define MII_CR_RESTART_AN_DEFAULT 0x1340 /* autoneg, FD, 1000, restart */
#define E1000_ICR_LSC (1u << 2)

/* One emunet under test, its QMP socket and the companion's log. */
typedef struct Env {
    XNic *n;
    char *dir;
    char *qmp;
    char *stub_log;
} Env;

/* ---- QMP ---- */

typedef struct Qmp {
    int fd;
    GString *rx;
} Qmp;

/* One message ("\n" or libxl's "\r\n" framing). */
static char *qmp_line(Qmp *q)
{
    for (;;) {
        char *nl = memchr(q->rx->str, '\n', q->rx->len);
        struct pollfd pfd = {.fd = q->fd, .events = POLLIN};
        char buf[4096];
        ssize_t n;

        if (nl) {
            char *line = g_strndup(q->rx->str, (gsize)(nl - q->rx->str));

            g_string_erase(q->rx, 0, nl - q->rx->str + 1);
            return g_strchomp(line);
        }
        g_assert_cmpint(poll(&pfd, 1, 3 * WAIT_MS), ==, 1);
        n = recv(q->fd, buf, sizeof(buf), 0);
        g_assert_cmpint(n, >, 0);
        g_string_append_len(q->rx, buf, n);
    }
}

/* `json`'s reply, events skipped. */
static char *qmp_cmd(Qmp *q, const char *json)
{
    g_autofree char *t = g_strdup_printf("%s\r\n", json);

    g_assert_cmpint(send(q->fd, t, strlen(t), MSG_NOSIGNAL), ==,
                    (ssize_t)strlen(t));
    for (;;) {
        char *line = qmp_line(q);

        if (!strstr(line, "\"event\"")) {
            return line;
        }
        g_free(line);
    }
}

static void qmp_ok(Qmp *q, const char *json)
{
    g_autofree char *r = qmp_cmd(q, json);

    g_assert_cmpstr(r, ==, "{\"return\": {}}");
}

static Qmp *qmp_connect(Env *e)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    Qmp *q = g_new0(Qmp, 1);

    q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpuint(strlen(e->qmp), <, sizeof(sa.sun_path));
    strcpy(sa.sun_path, e->qmp);
    g_assert_cmpint(connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    q->rx = g_string_new(NULL);
    g_free(qmp_line(q));
    qmp_ok(q, "{\"execute\": \"qmp_capabilities\"}");
    return q;
}

static void qmp_close(Qmp *q)
{
    close(q->fd);
    g_string_free(q->rx, TRUE);
    g_free(q);
}

/* ---- emunet in libxl mode on xen-sim ---- */

/* The stand-in companion: $EMUNET_STUB. */
static const char *stub_path(void)
{
    const char *p = g_getenv("EMUNET_STUB");

    g_assert_nonnull(p);
    g_assert_true(g_file_test(p, G_FILE_TEST_IS_EXECUTABLE));
    return p;
}

/* Does `mode` start the VM paused (-S)? */
static bool mode_paused(const char *mode)
{
    g_auto(GStrv) opts = g_strsplit(mode, " ", -1);

    return g_strv_contains((const char *const *)opts, "-S");
}

/*
 * emunet for domain XDOM, started with the options `mode`, with nic0
 * (e1000, 00:04.0) on the wire and a QMP socket; `blacklist` is the
 * stand-in companion's $EMUNET_STUB_BLACKLIST (NULL: none). Ready: a
 * ready ioreq server, and unless paused (-S) device-model/5/state
 * "running".
 */
static Env *env_start(const char *mode, const char *blacklist)
{
    Env *e = g_new0(Env, 1);
    XNic *n = g_new0(XNic, 1);
    g_autofree char *args = NULL;

    e->dir = g_dir_make_tmp("emunet-xrelay-XXXXXX", NULL);
    g_assert_nonnull(e->dir);
    e->qmp = g_build_filename(e->dir, "qmp.sock", NULL);
    e->stub_log = g_build_filename(e->dir, "stub.log", NULL);
    g_setenv("EMUNET_STUB_LOG", e->stub_log, TRUE);
    if (blacklist) {
        g_setenv("EMUNET_STUB_BLACKLIST", blacklist, TRUE);
    } else {
        g_unsetenv("EMUNET_STUB_BLACKLIST");
    }
    args = g_strdup_printf("%s -netdev type=socket,id=net0,fd=@WIRE@ "
                           "-device e1000,id=nic0,netdev=net0,addr=04.0,"
                           "mac=" NIC_MAC " -qmp unix:%s,server=on,wait=off",
                           mode, e->qmp);
    n->sim = xnic_sim_new(1);
    n->vcpus = 1;
    n->next = ALLOC_START;
    n->emu = emuxen_spawn(n->sim, args);
    e->n = n;
    if (xensim_wait_server_ready(n->sim, XDOM, -1, WAIT_MS) < 0) {
        xnic_fail(n, "emunet did not become a ready ioreq server");
    }
    if (!mode_paused(mode) &&
        !xensim_xs_wait(n->sim, DM_STATE_KEY, "running", WAIT_MS)) {
        xnic_fail(n, "emunet did not write device-model/5/state");
    }
    return e;
}

/* libxl mode with the stand-in companion. */
static Env *env_companion(const char *blacklist)
{
    g_autofree char *mode = g_strdup_printf(
        "-xen-domid %u -machine xenfv -S --companion %s", XDOM, stub_path());
    Env *e = env_start(mode, blacklist);
    Qmp *q = qmp_connect(e);

    /* libxl's unpause (the companion then runs too). */
    qmp_ok(q, "{\"execute\": \"cont\"}");
    qmp_close(q);
    if (!xensim_xs_wait(e->n->sim, DM_STATE_KEY, "running", WAIT_MS)) {
        xnic_fail(e->n, "emunet did not write device-model/5/state");
    }
    return e;
}

static void env_free(Env *e)
{
    xnic_free(e->n);
    g_unlink(e->stub_log);
    g_unlink(e->qmp);
    g_rmdir(e->dir);
    g_free(e->stub_log);
    g_free(e->qmp);
    g_free(e->dir);
    g_free(e);
}

/* The companion's "hmp ..." log lines, in order, as one string. */
static char *stub_hmp_lines(Env *e)
{
    g_autofree char *log = NULL;
    g_auto(GStrv) lines = NULL;
    GString *out = g_string_new(NULL);

    g_file_get_contents(e->stub_log, &log, NULL, NULL);
    lines = g_strsplit(log ? log : "", "\n", -1);
    for (char **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, "hmp ")) {
            g_string_append_printf(out, "%s|", *l + 4);
        }
    }
    return g_string_free(out, FALSE);
}

/* Wait (bounded) until `file`'s text has `text`. */
static bool wait_text(const char *file, const char *text)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000LL;

    while (g_get_monotonic_time() < deadline) {
        g_autofree char *t = NULL;

        if (g_file_get_contents(file, &t, NULL, NULL) && strstr(t, text)) {
            return true;
        }
        g_usleep(10000);
    }
    return false;
}

static bool wait_emunet_log(Env *e, const char *text)
{
    return wait_text(e->n->emu->log_path, text);
}

static uint64_t pio_r(Env *e, uint16_t port, unsigned size)
{
    return xensim_pio_read(e->n->sim, XDOM, 0, port, size);
}

static void pio_w(Env *e, uint16_t port, unsigned size, uint64_t v)
{
    xensim_pio_write(e->n->sim, XDOM, 0, port, size, v);
}

/* Steps 1-5 of the handshake (Linux: product 3); the magic it reads. */
static uint64_t handshake(Env *e, uint32_t build)
{
    g_assert_cmphex(pio_r(e, PORT_MAGIC, 2), ==, 0x49d2);
    g_assert_cmphex(pio_r(e, PORT_VERSION, 1), ==, 1);
    pio_w(e, PORT_VERSION, 2, PRODUCT_LINUX);
    pio_w(e, PORT_MAGIC, 4, build);
    return pio_r(e, PORT_MAGIC, 2);
}

/* nic0 is handed off (recorded in xenstore) within WAIT_MS. */
static void expect_handed_off(Env *e)
{
    if (!xensim_xs_wait(e->n->sim, NIC_STATE_KEY, "handed-off", WAIT_MS)) {
        xnic_fail(e->n, "nic0 was not handed off");
    }
}

/* A whole Linux handshake and its NIC unplug: nic0 goes. */
static void unplug_nics(Env *e)
{
    g_assert_cmphex(handshake(e, 1), ==, 0x49d2);
    pio_w(e, PORT_MAGIC, 2, 0x0002);
    expect_handed_off(e);
}

/* Every later HMP answer of the companion comes `ms` later. */
static void stub_delay(Qmp *q, unsigned ms)
{
    g_autofree char *cmd = g_strdup_printf(
        "{\"execute\": \"x-stub-hmp-delay\", \"arguments\": {\"ms\": %u}}", ms);

    qmp_ok(q, cmd);
}

static bool nic_present(Env *e)
{
    return xnic_cfg_r(e->n, PCI_VENDOR_ID, 4) == 0x100e8086;
}

/* ---- pass-through ---- */

/*
 * The Linux sequence: every access reaches the companion as it was made,
 * in order; the disk bit alone leaves the NIC, the NIC bit hands it off.
 */
static void test_relay_handshake(void)
{
    Env *e = env_companion(NULL);
    int id = xensim_wait_server_ready(e->n->sim, XDOM, -1, 0);
    g_autofree char *hmp = NULL;
    g_autofree char *state = NULL;

    /* emunet claims exactly the protocol ports; the NIC is there. */
    g_assert_true(xensim_server_claims(e->n->sim, XDOM, id, false, 0x10, 0x13));
    g_assert_false(
        xensim_server_claims(e->n->sim, XDOM, id, false, 0x14, 0x14));
    g_assert_false(xensim_server_has_pcidev(e->n->sim, XDOM, id, 0, 0, 2, 0));
    g_assert_true(nic_present(e));
    g_assert_cmphex(handshake(e, 1), ==, 0x49d2);
    /* IDE disks only: the companion's business; the NIC stays. */
    pio_w(e, PORT_MAGIC, 2, 0x0001);
    g_assert_true(wait_text(e->stub_log, "\nunplug 0x1\n"));
    g_usleep(QUIET_MS * 1000);
    g_assert_true(nic_present(e));
    state = xensim_xs_read(e->n->sim, NIC_STATE_KEY);
    g_assert_cmpstr(state, ==, "emulated");
    /* The NIC bit (with the disks, as Linux writes it). */
    pio_w(e, PORT_MAGIC, 2, 0x0003);
    expect_handed_off(e);
    g_assert_cmphex(xnic_cfg_r(e->n, PCI_VENDOR_ID, 4), ==, 0xffffffff);
    g_assert_true(wait_text(e->stub_log, "\nunplug 0x3\n"));
    /* Exactly the guest's accesses, widths kept, in order. */
    hmp = stub_hmp_lines(e);
    g_assert_cmpstr(hmp, ==,
                    "i /h 0x10|i /b 0x12|o /h 0x12 0x3|o /w 0x10 0x1|"
                    "i /h 0x10|o /h 0x10 0x1|o /h 0x10 0x3|");
    g_assert_true(wait_emunet_log(e, "Xen platform unplug request"));
    env_free(e);
}

/*
 * A driver the companion blacklists reads 0xd249 and gets no unplug; a
 * later handshake of a build it accepts does.
 */
static void test_relay_blacklist(void)
{
    Env *e = env_companion("3/7");
    g_autofree char *state = NULL;

    g_assert_cmphex(handshake(e, 7), ==, 0xd249);
    pio_w(e, PORT_MAGIC, 2, 0x0002);
    g_assert_true(wait_text(e->stub_log, "\nunplug 0x2 ignored\n"));
    g_usleep(QUIET_MS * 1000);
    g_assert_true(nic_present(e));
    state = xensim_xs_read(e->n->sim, NIC_STATE_KEY);
    g_assert_cmpstr(state, ==, "emulated");
    g_assert_true(wait_emunet_log(e, "is blacklisted by the companion"));
    /* Build 8 is fine: a new handshake (steps 3-5) unplugs. */
    pio_w(e, PORT_VERSION, 2, PRODUCT_LINUX);
    pio_w(e, PORT_MAGIC, 4, 8);
    g_assert_cmphex(pio_r(e, PORT_MAGIC, 2), ==, 0x49d2);
    pio_w(e, PORT_MAGIC, 2, 0x0002);
    expect_handed_off(e);
    env_free(e);
}

/* Issue a port read as vCPU 0 without waiting for it. */
static void pio_start(Env *e, XenSimIo *io, uint16_t port, unsigned size)
{
    xensim_io_init(io, IOREQ_TYPE_PIO, IOREQ_READ, port, size, 0);
    g_assert_cmpint(xensim_io_start(e->n->sim, XDOM, 0, io), ==, XENSIM_IO_OK);
    g_assert_cmpint(io->server, >=, 0);
}

/*
 * The vCPU waits for the companion's answer; a companion slower than the
 * bound gets emunet's answer instead, and then nothing waits for it until
 * it answers again.
 */
static void test_relay_slow(void)
{
    Env *e = env_companion(NULL);
    Qmp *q = qmp_connect(e);
    XenSimIo io;
    gint64 t0;

    /* Slow but within the bound: held, then the companion's answer. */
    stub_delay(q, 400);
    pio_start(e, &io, PORT_MAGIC, 2);
    g_assert_cmpint(xensim_io_wait(e->n->sim, XDOM, 0, &io, 150), ==,
                    XENSIM_IO_TIMEOUT);
    g_assert_cmpint(xensim_io_wait(e->n->sim, XDOM, 0, &io, WAIT_MS), ==,
                    XENSIM_IO_OK);
    g_assert_cmphex(io.data & 0xffff, ==, 0x49d2);
    /* Too slow: emunet's model answers after the bound. */
    stub_delay(q, 1800);
    t0 = g_get_monotonic_time();
    g_assert_cmphex(pio_r(e, PORT_VERSION, 1), ==, 1);
    g_assert_cmpint(g_get_monotonic_time() - t0, >=,
                    (RELAY_TIMEOUT_MS - 50) * 1000LL);
    g_assert_true(wait_emunet_log(e, "did not answer \"i /b 0x12\""));
    /* Now unresponsive: the next access does not wait for it. */
    t0 = g_get_monotonic_time();
    g_assert_cmphex(pio_r(e, PORT_MAGIC, 2), ==, 0x49d2);
    g_assert_cmpint(g_get_monotonic_time() - t0, <,
                    (RELAY_TIMEOUT_MS / 2) * 1000LL);
    /* It catches up: later accesses wait for it again. */
    stub_delay(q, 0);
    g_assert_true(wait_emunet_log(e, "the companion answers again"));
    unplug_nics(e);
    g_assert_true(wait_text(e->stub_log, "\nunplug 0x2\n"));
    qmp_close(q);
    env_free(e);
}

/* The companion's QMP gone: emunet answers alone, and still hands off. */
static void test_relay_gone(void)
{
    Env *e = env_companion(NULL);
    Qmp *q = qmp_connect(e);
    gint64 t0;

    qmp_ok(q, "{\"execute\": \"x-stub-close-qmp\"}");
    g_assert_true(wait_text(e->stub_log, "\nqmp closed\n"));
    g_assert_true(wait_emunet_log(e, "companion: QMP connection lost"));
    t0 = g_get_monotonic_time();
    unplug_nics(e);
    g_assert_cmpint(g_get_monotonic_time() - t0, <,
                    (RELAY_TIMEOUT_MS / 2) * 1000LL);
    g_assert_true(emuxen_alive(e->n->emu));
    qmp_close(q);
    env_free(e);
}

/* SIGHUP while a vCPU waits for the companion: it is answered first. */
static void test_relay_sighup_held(void)
{
    Env *e = env_companion(NULL);
    Qmp *q = qmp_connect(e);
    XenSimIo io;

    stub_delay(q, 5000);
    pio_start(e, &io, PORT_MAGIC, 2);
    g_assert_cmpint(xensim_io_wait(e->n->sim, XDOM, 0, &io, 100), ==,
                    XENSIM_IO_TIMEOUT);
    emuxen_kill(e->n->emu, SIGHUP);
    g_assert_cmpint(xensim_io_wait(e->n->sim, XDOM, 0, &io, WAIT_MS), ==,
                    XENSIM_IO_OK);
    g_assert_cmphex(io.data & 0xffff, ==, 0x49d2);
    g_assert_cmpint(emuxen_wait_exit(e->n->emu, WAIT_MS), ==, 0);
    g_assert_true(xensim_wait_no_servers(e->n->sim, XDOM, WAIT_MS));
    qmp_close(q);
    env_free(e);
}

/* libxl mode without a companion: emunet's own platform device. */
static void test_relay_no_companion(void)
{
    g_autofree char *mode =
        g_strdup_printf("-xen-domid %u -machine xenfv --companion none", XDOM);
    Env *e = env_start(mode, NULL);
    int id = xensim_wait_server_ready(e->n->sim, XDOM, -1, 0);

    g_assert_true(xensim_server_has_pcidev(e->n->sim, XDOM, id, 0, 0, 2, 0));
    g_assert_cmphex(xensim_pci_cfg_read(e->n->sim, XDOM, 0, 0, PLATFORM_DEVFN,
                                        PCI_VENDOR_ID, 4),
                    ==, 0x00015853);
    g_assert_true(xensim_server_claims(e->n->sim, XDOM, id, false, 0x10, 0x1f));
    unplug_nics(e);
    env_free(e);
}

/* ---- QMP stop / cont ---- */

/* Guest RAM of the RX ring and its buffers. */
static GBytes *rx_snapshot(XNic *n)
{
    GByteArray *a = g_byte_array_sized_new(RING_N * (16 + RX_BUF));
    uint8_t buf[RX_BUF];

    g_byte_array_set_size(a, RING_N * 16);
    g_assert_true(
        xensim_memread(n->sim, XDOM, n->rx_ring, a->data, 16 * RING_N));
    for (unsigned i = 0; i < RING_N; i++) {
        g_assert_true(xensim_memread(n->sim, XDOM, n->rx_buf[i], buf, RX_BUF));
        g_byte_array_append(a, buf, RX_BUF);
    }
    return g_byte_array_free_to_bytes(a);
}

/*
 * Frames that arrive while the VM is stopped wait (no DMA, no interrupt)
 * and are all delivered, in order, after cont. `data`: with a companion
 * (libxl: its STOP and RESUME) or without.
 */
static void test_stop_rx(gconstpointer data)
{
    bool companion = GPOINTER_TO_INT(data);
    Env *e = companion ? env_companion(NULL) : env_start("--domid 5", NULL);
    XNic *n = e->n;
    Qmp *q = qmp_connect(e);
    g_autoptr(GBytes) before = NULL;
    g_autoptr(GBytes) after = NULL;
    uint8_t frame[3][300], got[300];
    unsigned changes;

    xnic_map(n, BAR0_ADDR, BAR1_ADDR);
    xnic_init(n);
    xnic_w(n, E1000_IMS, E1000_ICR_RXT0);
    g_assert_cmpint(xensim_intx_level(n->sim, XDOM, NIC_SLOT, 0), ==, 0);
    qmp_ok(q, "{\"execute\": \"stop\"}");
    before = rx_snapshot(n);
    changes = xensim_intx_changes(n->sim, XDOM, NIC_SLOT, 0);
    for (unsigned i = 0; i < 3; i++) {
        xnic_frame(frame[i], 100 + 50 * i, (uint8_t)(i + 1));
        emuxen_wire_send(n->emu, frame[i], 100 + 50 * i);
    }
    g_usleep(QUIET_MS * 1000);
    after = rx_snapshot(n);
    g_assert_true(g_bytes_equal(before, after));
    g_assert_cmpuint(xensim_intx_changes(n->sim, XDOM, NIC_SLOT, 0), ==,
                     changes);
    qmp_ok(q, "{\"execute\": \"cont\"}");
    for (unsigned i = 0; i < 3; i++) {
        uint16_t len;

        g_assert_true(xnic_desc_done(n, n->rx_ring, i));
        g_assert_true(
            xensim_memread(n->sim, XDOM, n->rx_ring + 16 * i + 8, &len, 2));
        g_assert_cmpuint(GUINT16_FROM_LE(len), ==, 100 + 50 * i);
        g_assert_true(
            xensim_memread(n->sim, XDOM, n->rx_buf[i], got, 100 + 50 * i));
        g_assert_cmpmem(got, 100 + 50 * i, frame[i], 100 + 50 * i);
    }
    g_assert_true(xensim_intx_wait(n->sim, XDOM, NIC_SLOT, 0, 1, WAIT_MS));
    qmp_close(q);
    env_free(e);
}

/*
 * A device timer armed while stopped (autonegotiation, 0.5 s) does not
 * fire until cont: the link stays down and no LSC is raised meanwhile.
 */
static void test_stop_timer(void)
{
    Env *e = env_start("--domid 5", NULL);
    XNic *n = e->n;
    Qmp *q = qmp_connect(e);

    xnic_map(n, BAR0_ADDR, BAR1_ADDR);
    xnic_init(n);
    xnic_w(n, E1000_IMS, E1000_ICR_LSC);
    qmp_ok(q, "{\"execute\": \"stop\"}");
    xnic_w(n, E1000_MDIC, MDIC_PHY_CTRL_WRITE(MII_CR_RESTART_AN_DEFAULT));
    g_assert_true(xnic_poll(n, E1000_MDIC, E1000_MDIC_READY, E1000_MDIC_READY));
    /* Link down at once: that LSC is the guest's own doing; clear it. */
    g_assert_cmphex(xnic_r(n, E1000_STATUS) & E1000_STATUS_LU, ==, 0);
    g_assert_cmphex(xnic_r(n, E1000_ICR) & E1000_ICR_LSC, ==, E1000_ICR_LSC);
    g_assert_cmpint(xensim_intx_level(n->sim, XDOM, NIC_SLOT, 0), ==, 0);
    g_usleep(800 * 1000);
    g_assert_cmphex(xnic_r(n, E1000_STATUS) & E1000_STATUS_LU, ==, 0);
    g_assert_cmpint(xensim_intx_level(n->sim, XDOM, NIC_SLOT, 0), ==, 0);
    qmp_ok(q, "{\"execute\": \"cont\"}");
    g_assert_true(xensim_intx_wait(n->sim, XDOM, NIC_SLOT, 0, 1, WAIT_MS));
    g_assert_true(xnic_poll(n, E1000_STATUS, E1000_STATUS_LU, E1000_STATUS_LU));
    qmp_close(q);
    env_free(e);
}

/* DD of descriptor `idx` of the ring at `ring` within `ms`. */
static bool desc_done_within(XNic *n, uint64_t ring, unsigned idx, unsigned ms)
{
    gint64 deadline = g_get_monotonic_time() + ms * 1000LL;
    uint8_t status;

    do {
        g_assert_true(
            xensim_memread(n->sim, XDOM, ring + 16 * idx + 12, &status, 1));
        if (status & E1000_TXD_STA_DD) {
            return true;
        }
        g_usleep(1000);
    } while (g_get_monotonic_time() < deadline);
    return false;
}

/*
 * A NIC held back by its backend (the wire is full) is owed a tx_ready.
 * One that comes while the VM is stopped waits for cont: no descriptor
 * is fetched or written back meanwhile, and nothing is lost.
 */
static void test_stop_tx(void)
{
    Env *e = env_start("--domid 5", NULL);
    XNic *n = e->n;
    Qmp *q = qmp_connect(e);
    uint8_t frame[1514], got[1600];
    unsigned sent = 0, drained = 0, idx = 0;
    uint64_t buf;

    xnic_map(n, BAR0_ADDR, BAR1_ADDR);
    xnic_init(n);
    buf = xnic_alloc(n, sizeof(frame), 64);
    xnic_frame(frame, sizeof(frame), 7);
    g_assert_true(xensim_memwrite(n->sim, XDOM, buf, frame, sizeof(frame)));
    /* Nobody reads the wire: the backend fills up and holds the NIC. */
    for (; sent < 2000; sent++) {
        idx = xnic_tx(n, buf, sizeof(frame));
        if (!desc_done_within(n, n->tx_ring, idx, 200)) {
            break;
        }
    }
    g_assert_cmpuint(sent, <, 2000);
    qmp_ok(q, "{\"execute\": \"stop\"}");
    /* The wire drains: the NIC's tx_ready comes, and must wait. */
    while (emuxen_wire_recv(n->emu, got, sizeof(got), 300) >= 0) {
        drained++;
    }
    g_assert_cmpuint(drained, ==, sent);
    g_usleep(QUIET_MS * 1000);
    g_assert_false(desc_done_within(n, n->tx_ring, idx, 0));
    g_assert_cmpint(emuxen_wire_recv(n->emu, got, sizeof(got), 100), ==, -1);
    qmp_ok(q, "{\"execute\": \"cont\"}");
    g_assert_cmpint(emuxen_wire_recv(n->emu, got, sizeof(got), WAIT_MS), ==,
                    sizeof(frame));
    g_assert_cmpmem(got, sizeof(frame), frame, sizeof(frame));
    g_assert_true(xnic_desc_done(n, n->tx_ring, idx));
    qmp_close(q);
    env_free(e);
}

/* ---- -S: device-model state ---- */

/* QMP query-status reports `status`. */
static void expect_status(Qmp *q, const char *status)
{
    g_autofree char *r = qmp_cmd(q, "{\"execute\": \"query-status\"}");
    g_autofree char *want = g_strdup_printf("\"status\": \"%s\"", status);

    g_assert_nonnull(strstr(r, want));
}

static void expect_no_dm_state(Env *e)
{
    g_autofree char *state = xensim_xs_read(e->n->sim, DM_STATE_KEY);

    g_assert_null(state);
}

/*
 * Started paused (-S), as libxl with dm_restrict starts its device model:
 * "running" is recorded on cont, not at start, or libxl's xenstore watch
 * would confirm the start while its query-status is still in flight (and
 * xl abort on its busy QMP connection).
 */
static void test_dm_state_paused(void)
{
    g_autofree char *mode = g_strdup_printf(
        "-xen-domid %u -machine xenfv -S --companion none", XDOM);
    Env *e = env_start(mode, NULL);
    Qmp *q = qmp_connect(e);

    /* QMP answers: the transport started before the main loop ran. */
    expect_status(q, "prelaunch");
    expect_no_dm_state(e);
    qmp_ok(q, "{\"execute\": \"cont\"}");
    if (!xensim_xs_wait(e->n->sim, DM_STATE_KEY, "running", WAIT_MS)) {
        xnic_fail(e->n, "cont did not record device-model/5/state");
    }
    expect_status(q, "running");
    qmp_close(q);
    env_free(e);
}

/*
 * -S with -xen-domid-restrict: xenstore is gone before cont, so the
 * state is never written; QMP alone reports the run state, and the
 * guest is still served.
 */
static void test_dm_state_restricted(void)
{
    g_autofree char *mode =
        g_strdup_printf("-xen-domid %u -machine xenfv -S -xen-domid-restrict "
                        "--companion none",
                        XDOM);
    Env *e = env_start(mode, NULL);
    Qmp *q = qmp_connect(e);

    expect_status(q, "prelaunch");
    g_assert_true(wait_emunet_log(e, "Xen handles restricted"));
    expect_no_dm_state(e);
    qmp_ok(q, "{\"execute\": \"cont\"}");
    expect_status(q, "running");
    g_usleep(QUIET_MS * 1000);
    expect_no_dm_state(e);
    g_assert_true(nic_present(e));
    qmp_close(q);
    env_free(e);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal(SIGPIPE, SIG_IGN);
    g_test_add_func("/emunet-xen/relay/handshake", test_relay_handshake);
    g_test_add_func("/emunet-xen/relay/blacklist", test_relay_blacklist);
    g_test_add_func("/emunet-xen/relay/slow", test_relay_slow);
    g_test_add_func("/emunet-xen/relay/gone", test_relay_gone);
    g_test_add_func("/emunet-xen/relay/sighup-held", test_relay_sighup_held);
    g_test_add_func("/emunet-xen/relay/no-companion", test_relay_no_companion);
    g_test_add_data_func("/emunet-xen/stop-cont/rx", GINT_TO_POINTER(FALSE),
                         test_stop_rx);
    g_test_add_data_func("/emunet-xen/stop-cont/rx-companion",
                         GINT_TO_POINTER(TRUE), test_stop_rx);
    g_test_add_func("/emunet-xen/stop-cont/timer", test_stop_timer);
    g_test_add_func("/emunet-xen/stop-cont/tx", test_stop_tx);
    g_test_add_func("/emunet-xen/dm-state/paused", test_dm_state_paused);
    g_test_add_func("/emunet-xen/dm-state/restricted",
                    test_dm_state_restricted);
    return g_test_run();
}
