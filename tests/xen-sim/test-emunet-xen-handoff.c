/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * emunet on xen-sim, issue 6: log-dirty mode (pages written by DMA are
 * reported with modified_memory while xen-set-global-dirty-log is on,
 * contract §4.4), the NIC state recorded in xenstore
 * (device-model/<domid>/emunet/<nic>/state), and hand-off in secondary
 * mode when the paired PV frontend connects (contract §5.5), which a
 * device model with its own platform device leaves to the unplug
 * protocol.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "xnic.h"

#define NIC_STATE_KEY "/local/domain/0/device-model/5/emunet/nic0/state"
#define FRONTEND_STATE "/local/domain/5/device/vif/0/state"
#define PAGE(gpa) ((gpa) >> 12)

/* ---- a minimal QMP client ---- */

typedef struct QmpConn {
    int fd;
    GString *rx;
} QmpConn;

static char *qmpc_line(QmpConn *q)
{
    for (;;) {
        char *nl = memchr(q->rx->str, '\n', q->rx->len);
        struct pollfd pfd = {.fd = q->fd, .events = POLLIN};
        char buf[4096];
        ssize_t n;

        if (nl) {
            char *line = g_strndup(q->rx->str, (gsize)(nl - q->rx->str));

            g_string_erase(q->rx, 0, nl - q->rx->str + 1);
            return line;
        }
        g_assert_cmpint(poll(&pfd, 1, WAIT_MS), ==, 1);
        n = recv(q->fd, buf, sizeof(buf), 0);
        g_assert_cmpint(n, >, 0);
        g_string_append_len(q->rx, buf, n);
    }
}

/* The next reply (events skipped) to `json`. */
static char *qmpc_cmd(QmpConn *q, const char *json)
{
    g_assert_cmpint(send(q->fd, json, strlen(json), MSG_NOSIGNAL), ==,
                    (ssize_t)strlen(json));
    for (;;) {
        char *line = qmpc_line(q);

        if (!strstr(line, "\"event\"")) {
            return line;
        }
        g_free(line);
    }
}

static QmpConn *qmpc_open(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    QmpConn *q = g_new0(QmpConn, 1);
    g_autofree char *r = NULL;

    q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    strcpy(sa.sun_path, path);
    g_assert_cmpint(connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    q->rx = g_string_new(NULL);
    g_free(qmpc_line(q));
    r = qmpc_cmd(q, "{\"execute\": \"qmp_capabilities\"}\n");
    g_assert_cmpstr(r, ==, "{\"return\": {}}");
    return q;
}

static void qmpc_close(QmpConn *q)
{
    close(q->fd);
    g_string_free(q->rx, TRUE);
    g_free(q);
}

static void qmpc_dirty_log(QmpConn *q, bool on)
{
    g_autofree char *r =
        qmpc_cmd(q, on ? "{\"execute\": \"xen-set-global-dirty-log\", "
                         "\"arguments\": {\"enable\": true}}\n"
                       : "{\"execute\": \"xen-set-global-dirty-log\", "
                         "\"arguments\": {\"enable\": false}}\n");

    g_assert_cmpstr(r, ==, "{\"return\": {}}");
}

/* Wait (bounded) for `gfn` to be reported modified. */
static bool wait_modified(XNic *n, uint64_t gfn)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000LL;

    while (g_get_monotonic_time() < deadline) {
        if (xensim_page_modified(n->sim, XDOM, gfn)) {
            return true;
        }
        g_usleep(1000);
    }
    return false;
}

/* Wait (bounded) until emunet's log has `text`. */
static bool wait_log_text(XNic *n, const char *text)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000LL;

    while (g_get_monotonic_time() < deadline) {
        g_autofree char *log = emuxen_log(n->emu);

        if (strstr(log, text)) {
            return true;
        }
        g_usleep(10000);
    }
    return false;
}

/* ---- log-dirty mode ---- */

static void test_dirty_log(void)
{
    g_autofree char *dir = g_dir_make_tmp("emunet-xdirty-XXXXXX", NULL);
    g_autofree char *qmp = g_build_filename(dir, "qmp.sock", NULL);
    g_autofree char *dev =
        g_strdup_printf("e1000,id=nic0,netdev=net0,addr=04.0,mac=" NIC_MAC
                        " -qmp unix:%s,server=on,wait=off",
                        qmp);
    XNic *n = xnic_start_with(xnic_sim_new(1), 1, dev);
    uint8_t frame[200], got[256];
    unsigned calls;
    uint64_t buf;
    QmpConn *q;

    xnic_map(n, BAR0_ADDR, BAR1_ADDR);
    xnic_init(n);
    q = qmpc_open(qmp);
    /* Off: DMA writes are not reported. */
    xensim_clear_modified(n->sim, XDOM);
    xnic_frame(frame, 100, 1);
    emuxen_wire_send(n->emu, frame, 100);
    g_assert_true(xnic_desc_done(n, n->rx_ring, 0));
    g_usleep(100 * 1000);
    g_assert_false(xensim_page_modified(n->sim, XDOM, PAGE(n->rx_buf[0])));
    g_assert_false(xensim_page_modified(n->sim, XDOM, PAGE(n->rx_ring)));
    g_assert_cmpuint(xensim_op_count(n->sim, XENSIM_OP_DM_MODIFIED_MEMORY), ==,
                     0);
    /* On: the RX buffer and the descriptor written back, in one report. */
    qmpc_dirty_log(q, true);
    xnic_frame(frame, 150, 2);
    emuxen_wire_send(n->emu, frame, 150);
    g_assert_true(xnic_desc_done(n, n->rx_ring, 1));
    g_assert_true(wait_modified(n, PAGE(n->rx_buf[1])));
    g_assert_true(wait_modified(n, PAGE(n->rx_buf[1] + 149)));
    g_assert_true(wait_modified(n, PAGE(n->rx_ring)));
    calls = xensim_op_count(n->sim, XENSIM_OP_DM_MODIFIED_MEMORY);
    g_assert_cmpuint(calls, ==, 1);
    /* Pages DMA only read are not dirty; TX's write-back is. */
    buf = xnic_alloc(n, 4096, 4096);
    g_assert_true(xensim_memwrite(n->sim, XDOM, buf, frame, 150));
    xnic_tx(n, buf, 150);
    g_assert_cmpint(emuxen_wire_recv(n->emu, got, sizeof(got), WAIT_MS), ==,
                    150);
    g_assert_true(xnic_desc_done(n, n->tx_ring, 0));
    g_assert_true(wait_modified(n, PAGE(n->tx_ring)));
    g_assert_false(xensim_page_modified(n->sim, XDOM, PAGE(buf)));
    /* Off again: reports stop. */
    qmpc_dirty_log(q, false);
    xensim_clear_modified(n->sim, XDOM);
    calls = xensim_op_count(n->sim, XENSIM_OP_DM_MODIFIED_MEMORY);
    xnic_frame(frame, 120, 3);
    emuxen_wire_send(n->emu, frame, 120);
    g_assert_true(xnic_desc_done(n, n->rx_ring, 2));
    g_usleep(100 * 1000);
    g_assert_false(xensim_page_modified(n->sim, XDOM, PAGE(n->rx_buf[2])));
    g_assert_cmpuint(xensim_op_count(n->sim, XENSIM_OP_DM_MODIFIED_MEMORY), ==,
                     calls);
    qmpc_close(q);
    xnic_free(n);
    g_rmdir(dir);
}

/* ---- hand-off and its xenstore record ---- */

/* Secondary mode: the paired PV frontend connecting hands nic0 off. */
static void test_secondary_handoff(void)
{
    XNic *n = xnic_start(1);
    int id = xensim_wait_server_ready(n->sim, XDOM, -1, 0);
    g_autofree char *state = xensim_xs_read(n->sim, NIC_STATE_KEY);
    uint8_t got[128];

    g_assert_cmpstr(state, ==, "emulated");
    xnic_map(n, BAR0_ADDR, BAR1_ADDR);
    xnic_init(n);
    /* Initialising, InitWait, Initialised: nothing happens yet. */
    g_assert_true(xensim_xs_write(n->sim, FRONTEND_STATE, "1"));
    g_assert_true(xensim_xs_write(n->sim, FRONTEND_STATE, "3"));
    g_usleep(100 * 1000);
    g_assert_cmphex(xnic_cfg_r(n, PCI_VENDOR_ID, 4), ==, 0x100e8086);
    /* Connected: the NIC goes. */
    g_assert_true(xensim_xs_write(n->sim, FRONTEND_STATE, "4"));
    if (!xensim_xs_wait(n->sim, NIC_STATE_KEY, "handed-off", WAIT_MS)) {
        xnic_fail(n, "nic0 was not recorded as handed off");
    }
    g_assert_cmphex(xnic_cfg_r(n, PCI_VENDOR_ID, 4), ==, 0xffffffff);
    g_assert_false(
        xensim_server_has_pcidev(n->sim, XDOM, id, 0, 0, NIC_SLOT, 0));
    g_assert_false(
        xensim_server_claims(n->sim, XDOM, id, true, BAR0_ADDR, BAR0_ADDR + 3));
    /* Its backend is closed: emunet's end of the wire is gone (EOF). */
    {
        struct pollfd pfd = {.fd = n->emu->wire, .events = POLLIN};

        g_assert_cmpint(poll(&pfd, 1, WAIT_MS), ==, 1);
        g_assert_cmpint(recv(n->emu->wire, got, sizeof(got), 0), ==, 0);
    }
    g_assert_true(wait_log_text(n, "PV frontend of vif 0 connected"));
    /* Late and repeated transitions are no-ops. */
    g_assert_true(xensim_xs_write(n->sim, FRONTEND_STATE, "5"));
    g_assert_true(xensim_xs_write(n->sim, FRONTEND_STATE, "4"));
    g_usleep(100 * 1000);
    g_assert_true(emuxen_alive(n->emu));
    g_assert_null(xensim_crash_reason(n->sim, XDOM));
    xnic_free(n);
}

/*
 * With its own platform device, emunet waits for the guest's unplug
 * request (which honours blacklisting), then records the hand-off.
 */
static void test_platform_handoff(void)
{
    XNic *n = xnic_start_with(xnic_sim_new(1), 1,
                              "e1000,id=nic0,netdev=net0,addr=04.0,mac=" NIC_MAC
                              " -device xen-platform");
    g_autofree char *state = NULL;

    g_assert_true(xensim_xs_write(n->sim, FRONTEND_STATE, "4"));
    g_assert_true(wait_log_text(n, "vif 0: PV frontend connected"));
    g_usleep(100 * 1000);
    state = xensim_xs_read(n->sim, NIC_STATE_KEY);
    g_assert_cmpstr(state, ==, "emulated");
    g_assert_cmphex(xnic_cfg_r(n, PCI_VENDOR_ID, 4), ==, 0x100e8086);
    /* The unplug protocol (hvm-emulated-unplug): magic, then bit 1. */
    g_assert_cmphex(xensim_pio_read(n->sim, XDOM, 0, 0x10, 2), ==, 0x49d2);
    xensim_pio_write(n->sim, XDOM, 0, 0x10, 2, 0x0002);
    if (!xensim_xs_wait(n->sim, NIC_STATE_KEY, "handed-off", WAIT_MS)) {
        xnic_fail(n, "nic0 was not recorded as handed off");
    }
    g_assert_cmphex(xnic_cfg_r(n, PCI_VENDOR_ID, 4), ==, 0xffffffff);
    xnic_free(n);
}

void test_emunet_xen_handoff_register(void)
{
    g_test_add_func("/emunet-xen/dirty-log", test_dirty_log);
    g_test_add_func("/emunet-xen/handoff/secondary", test_secondary_handoff);
    g_test_add_func("/emunet-xen/handoff/platform", test_platform_handoff);
}
