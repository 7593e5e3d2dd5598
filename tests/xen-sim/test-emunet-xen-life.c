/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * emunet on xen-sim, its life cycle: signals with requests in flight,
 * every clear-error case at startup (nothing left registered), the
 * legacy GFN mapping, xenstore loss and the PV frontend watch.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <xendevicemodel.h>

#include "xnic.h"

/* ---- exit paths ---- */

/*
 * emunet (an e1000, `vcpus` vCPUs) stopped with a STATUS read in flight
 * from every vCPU (io[vcpus]).
 */
static XNic *start_stopped_in_flight(unsigned vcpus, XenSimIo *io)
{
    XNic *n = xnic_start(vcpus);
    unsigned v;

    xnic_map(n, BAR0_ADDR, BAR1_ADDR);
    emuxen_kill(n->emu, SIGSTOP);
    for (v = 0; v < vcpus; v++) {
        xensim_io_init(&io[v], IOREQ_TYPE_COPY, IOREQ_READ,
                       n->mmio + E1000_STATUS, 4, 0);
        g_assert_cmpint(xensim_io_start(n->sim, XDOM, v, &io[v]), ==,
                        XENSIM_IO_OK);
    }
    return n;
}

/* A signal with vCPU requests in flight: answered, server destroyed. */
static void signal_in_flight(int sig)
{
    XenSimIo io[2];
    XNic *n = start_stopped_in_flight(2, io);
    unsigned v;
    int rc;

    emuxen_kill(n->emu, sig);
    emuxen_kill(n->emu, SIGCONT);
    for (v = 0; v < 2; v++) {
        XenSimIoStatus st = xensim_io_wait(n->sim, XDOM, v, &io[v], WAIT_MS);

        if (st != XENSIM_IO_OK) {
            xnic_fail(n, xensim_io_status_str(st));
        }
    }
    g_assert_true(xensim_wait_no_servers(n->sim, XDOM, WAIT_MS));
    rc = emuxen_wait_exit(n->emu, WAIT_MS);
    g_assert_cmpint(rc, >=, 0);
    g_assert_null(xensim_crash_reason(n->sim, XDOM));
    xnic_free(n);
}

static void test_exit_sighup(void)
{
    signal_in_flight(SIGHUP);
}

static void test_exit_sigterm(void)
{
    signal_in_flight(SIGTERM);
}

static void test_exit_sigint(void)
{
    signal_in_flight(SIGINT);
}

/* SIGKILL: nothing can clean up; the request stays unanswered as on Xen */
static void test_exit_sigkill(void)
{
    XenSimIo io;
    XNic *n = start_stopped_in_flight(1, &io);

    emuxen_kill(n->emu, SIGKILL);
    g_assert_cmpint(emuxen_wait_exit(n->emu, WAIT_MS), ==, -1);
    g_assert_cmpint(xensim_io_wait(n->sim, XDOM, 0, &io, 300), ==,
                    XENSIM_IO_TIMEOUT);
    g_assert_cmpuint(xensim_server_count(n->sim, XDOM), ==, 1);
    xnic_free(n);
}

/*
 * A fatal signal (here SIGABRT, sent while a request is in flight): the
 * crash path answers the request, destroys the server, then the signal
 * takes its default course.
 */
static void test_exit_sigabrt(void)
{
    XenSimIo io;
    XNic *n = start_stopped_in_flight(1, &io);

    emuxen_kill(n->emu, SIGABRT);
    emuxen_kill(n->emu, SIGCONT);
    g_assert_cmpint(xensim_io_wait(n->sim, XDOM, 0, &io, WAIT_MS), ==,
                    XENSIM_IO_OK);
    g_assert_true(xensim_wait_no_servers(n->sim, XDOM, WAIT_MS));
    /* Killed by the signal, not an exit status. */
    g_assert_cmpint(emuxen_wait_exit(n->emu, WAIT_MS), ==, -1);
    g_assert_false(emuxen_alive(n->emu));
    g_assert_null(xensim_crash_reason(n->sim, XDOM));
    xnic_free(n);
}

/*
 * Another privileged caller destroys emunet's server under it (with a
 * request in flight, which Xen never completes): emunet cannot tell, and
 * must neither crash nor fail its later teardown.
 */
static void test_exit_server_destroyed(void)
{
    XenSimIo io;
    XNic *n = start_stopped_in_flight(1, &io);
    int id = xensim_wait_server_ready(n->sim, XDOM, -1, 0);

    g_assert_true(xensim_server_destroy(n->sim, XDOM, id));
    emuxen_kill(n->emu, SIGCONT);
    g_assert_cmpint(xensim_io_wait(n->sim, XDOM, 0, &io, WAIT_MS), ==,
                    XENSIM_IO_ORPHANED);
    /* Accesses now reach nobody: Xen's null handler. */
    g_assert_cmphex(xnic_r(n, E1000_STATUS), ==, 0xffffffff);
    g_assert_true(emuxen_alive(n->emu));
    /* SIGHUP: a clean exit although the server is already gone. */
    xnic_free(n);
}

/*
 * A startup failure: exit status 1, exactly one "emunet:" line naming
 * the cause (matching `cause`, case-insensitively), no server left, no
 * "running" state.
 */
static void expect_clean_failure(XenSim *sim, EmuXen *emu, const char *cause,
                                 unsigned servers_before)
{
    int rc = emuxen_wait_exit(emu, WAIT_MS);
    char *log = emuxen_log(emu);
    gchar **lines = g_strsplit(log, "\n", -1);
    gchar *lower;
    unsigned i, ours = 0;

    g_test_message("emunet stderr:\n%s", log);
    g_assert_cmpint(rc, ==, 1);
    for (i = 0; lines[i]; i++) {
        if (g_str_has_prefix(lines[i], "emunet:")) {
            ours++;
            lower = g_ascii_strdown(lines[i], -1);
            g_assert_nonnull(strstr(lower, cause));
            g_free(lower);
        }
    }
    g_assert_cmpuint(ours, ==, 1);
    if (sim) {
        char *state =
            xensim_xs_read(sim, "/local/domain/0/device-model/5/state");

        g_assert_cmpuint(xensim_server_count(sim, XDOM), ==, servers_before);
        g_assert_cmpstr(state, !=, "running");
        g_free(state);
    }
    g_strfreev(lines);
    g_free(log);
}

#define NIC_ARGS                                                               \
    "-netdev socket,id=net0,fd=@WIRE@ "                                        \
    "-device e1000,id=nic0,netdev=net0,addr=04.0,mac=" NIC_MAC

static void test_error_not_xen(void)
{
    EmuXen *emu = emuxen_spawn(NULL, "--domid 5 " NIC_ARGS);

    expect_clean_failure(NULL, emu, "xen", 0);
    emuxen_free(emu);
}

static void test_error_no_domain(void)
{
    XenSim *sim = xnic_sim_new(1);
    EmuXen *emu = emuxen_spawn(sim, "--domid 9 " NIC_ARGS);

    expect_clean_failure(NULL, emu, "9", 0);
    emuxen_free(emu);
    xensim_free(sim);
}

static void test_error_denied(void)
{
    XenSim *sim = xnic_sim_new(1);
    EmuXen *emu;

    xensim_domain_deny(sim, XDOM, true);
    emu = emuxen_spawn(sim, "--domid 5 " NIC_ARGS);
    expect_clean_failure(sim, emu, "permission", 0);
    emuxen_free(emu);
    xensim_free(sim);
}

static void test_error_too_many_servers(void)
{
    XenSim *sim = xnic_sim_new(1);
    xendevicemodel_handle *dmod;
    ioservid_t id;
    EmuXen *emu;
    unsigned i;

    xensim_setenv(sim);
    dmod = xendevicemodel_open(NULL, 0);
    g_assert_nonnull(dmod);
    for (i = 0; i < 8; i++) {
        g_assert_cmpint(xendevicemodel_create_ioreq_server(dmod, XDOM, 0, &id),
                        ==, 0);
    }
    emu = emuxen_spawn(sim, "--domid 5 " NIC_ARGS);
    expect_clean_failure(sim, emu, "server", 8);
    emuxen_free(emu);
    xendevicemodel_close(dmod);
    xensim_free(sim);
}

/* Setup failing half-way (event channel binding) leaves nothing behind. */
static void test_error_bind_fails(void)
{
    XenSim *sim = xnic_sim_new(2);
    EmuXen *emu;

    xensim_inject_error(sim, XENSIM_OP_EVTCHN_BIND_INTERDOMAIN, ENOMEM, 1, 1);
    emu = emuxen_spawn(sim, "--domid 5 " NIC_ARGS);
    g_assert_cmpint(emuxen_wait_exit(emu, WAIT_MS), ==, 1);
    g_assert_cmpuint(xensim_server_count(sim, XDOM), ==, 0);
    emuxen_free(emu);
    xensim_free(sim);
}

/*
 * The event channel device failing after start (Linux's evtchn read
 * fails, e.g. EFBIG when its ring overflowed): emunet cannot serve any
 * more. It must answer what is in flight, destroy the server, say why in
 * one line and exit 1, so that the toolstack sees a failed device model.
 */
static void test_error_evtchn_runtime(void)
{
    XNic *n = xnic_start(2);
    XenSimIo io;
    char *log;
    gchar **lines;
    unsigned i, cause = 0;

    xnic_map(n, BAR0_ADDR, BAR1_ADDR);
    xnic_w(n, E1000_RAL(1), 0x01020304);
    /* The error is read first, then vCPU 1's request is in its slot. */
    emuxen_kill(n->emu, SIGSTOP);
    xensim_inject_error(n->sim, XENSIM_OP_EVTCHN_PENDING, EFBIG, 0, 0);
    xensim_io_init(&io, IOREQ_TYPE_COPY, IOREQ_READ, n->mmio + E1000_RAL(1),
                   4, 0);
    g_assert_cmpint(xensim_io_start(n->sim, XDOM, 1, &io), ==, XENSIM_IO_OK);
    emuxen_kill(n->emu, SIGCONT);
    /* Answered as by Xen's null handler, not left blocked. */
    g_assert_cmpint(xensim_io_wait(n->sim, XDOM, 1, &io, WAIT_MS), ==,
                    XENSIM_IO_OK);
    g_assert_cmphex(io.data & 0xffffffff, ==, 0xffffffff);
    g_assert_cmpint(emuxen_wait_exit(n->emu, WAIT_MS), ==, 1);
    g_assert_cmpuint(xensim_server_count(n->sim, XDOM), ==, 0);
    g_assert_null(xensim_crash_reason(n->sim, XDOM));
    /* Unclaimed now: the guest's accesses hit the null handler. */
    g_assert_cmphex(xensim_mmio_read(n->sim, XDOM, 0, n->mmio + E1000_STATUS,
                                     4), ==, 0xffffffff);
    log = emuxen_log(n->emu);
    g_test_message("emunet stderr:\n%s", log);
    lines = g_strsplit(log, "\n", -1);
    for (i = 0; lines[i]; i++) {
        if (strstr(lines[i], "event channel")) {
            cause++;
            g_assert_nonnull(strstr(lines[i], g_strerror(EFBIG)));
            g_assert_nonnull(strstr(lines[i], "destroyed"));
        }
    }
    g_assert_cmpuint(cause, ==, 1);
    g_strfreev(lines);
    g_free(log);
    xnic_free(n);
}

/* Without map_resource (older Xen), the legacy GFN mapping is used. */
static void test_gfn_fallback(void)
{
    XenSim *sim = xnic_sim_new(1);
    XenSimServerInfo info;
    XNic *n;
    int id;

    xensim_inject_error(sim, XENSIM_OP_FMEM_MAP_RESOURCE, EOPNOTSUPP, 0, 100);
    n = xnic_start_with(sim, 1,
                        "e1000,id=nic0,netdev=net0,addr=04.0,mac=" NIC_MAC);
    id = xensim_wait_server_ready(sim, XDOM, -1, 0);
    g_assert_true(xensim_server_info(sim, XDOM, id, &info));
    g_assert_true(info.mapped_gfn);
    xnic_map(n, BAR0_ADDR, BAR1_ADDR);
    xnic_w(n, E1000_RAL(3), 0xdeadbeef);
    g_assert_cmphex(xnic_r(n, E1000_RAL(3)), ==, 0xdeadbeef);
    xnic_free(n);
}

/* Losing xenstore does not stop the device model serving the guest. */
static void test_xenstore_lost(void)
{
    XNic *n = xnic_start(1);

    xnic_map(n, BAR0_ADDR, BAR1_ADDR);
    xensim_xs_disconnect_all(n->sim, true);
    xnic_w(n, E1000_RAL(1), 0x01020304);
    g_assert_cmphex(xnic_r(n, E1000_RAL(1)), ==, 0x01020304);
    g_assert_true(emuxen_alive(n->emu));
    xensim_xs_disconnect_all(n->sim, false);
    xnic_free(n);
}

/* The paired vif's PV frontend state is watched (hand-off, §5.5). */
static void test_xenstore_frontend(void)
{
    const char *state = "/local/domain/5/device/vif/0/state";
    gint64 deadline;
    XNic *n = xnic_start(1);
    char *log = NULL;

    g_assert_true(xensim_xs_has_watch(n->sim, state));
    g_assert_true(xensim_xs_write(n->sim, state, "4"));
    deadline = g_get_monotonic_time() + WAIT_MS * 1000LL;
    while (g_get_monotonic_time() < deadline) {
        g_free(log);
        log = emuxen_log(n->emu);
        if (strstr(log, "frontend connected")) {
            break;
        }
        g_usleep(10000);
    }
    g_assert_nonnull(strstr(log, "frontend connected"));
    g_free(log);
    xnic_free(n);
}

/* ---- the bridge from xenstore ---- */

#define XS_BRIDGE "xsbr0"
#define XS_TAP "xstap0"
#define XS_VIF_BRIDGE "/local/domain/0/backend/vif/5/0/bridge"

/* Run `cmd` (no shell), require success; its stdout (g_free). */
static char *run_ok(const char *cmd)
{
    GError *err = NULL;
    char *out = NULL;
    gint status;

    g_assert_true(g_spawn_command_line_sync(cmd, &out, NULL, &status, &err));
    g_assert_no_error(err);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    return out;
}

/*
 * In a network namespace of this (sub)process alone: a bridge, and
 * emunet's tap without br= joins it because the vif's backend names it.
 */
static void xenstore_bridge_in_netns(void)
{
    XenSim *sim;
    EmuXen *emu;
    char *out, *log;

    if (geteuid() != 0) {
        g_error("the bridge test creates a network namespace: run as root");
    }
    g_assert_cmpint(unshare(CLONE_NEWNET), ==, 0);
    g_free(run_ok("ip link add " XS_BRIDGE " type bridge"));
    sim = xnic_sim_new(1);
    g_assert_true(xensim_xs_write(sim, XS_VIF_BRIDGE, XS_BRIDGE));
    emu = emuxen_spawn(sim, "--domid 5 -netdev tap,id=net0,ifname=" XS_TAP
                            ",script=no,downscript=no -device e1000,"
                            "id=nic0,netdev=net0,addr=04.0,mac=" NIC_MAC);
    log = emuxen_log(emu);
    g_test_message("emunet stderr:\n%s", log);
    g_free(log);
    g_assert_cmpint(xensim_wait_server_ready(sim, XDOM, -1, WAIT_MS), >=, 0);
    out = run_ok("ip -o link show " XS_TAP);
    g_assert_nonnull(strstr(out, "master " XS_BRIDGE));
    g_free(out);
    log = emuxen_log(emu);
    g_assert_nonnull(strstr(log, "bridge " XS_BRIDGE " from xenstore"));
    g_free(log);
    emuxen_kill(emu, SIGHUP);
    g_assert_cmpint(emuxen_wait_exit(emu, WAIT_MS), ==, 0);
    g_assert_cmpuint(xensim_server_count(sim, XDOM), ==, 0);
    emuxen_free(emu);
    xensim_free(sim);
}

static void test_xenstore_bridge(void)
{
    if (g_test_subprocess()) {
        xenstore_bridge_in_netns();
        return;
    }
    g_test_trap_subprocess(NULL, 60 * G_USEC_PER_SEC,
                           G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
}

/*
 * A tap handed over with fd= is not emunet's to plumb: the vif's bridge
 * is not added (br= with fd= would be refused). Here the fd is no tap at
 * all, so startup fails, on that and nothing else, leaving nothing behind.
 */
static void test_xenstore_bridge_fd(void)
{
    XenSim *sim = xnic_sim_new(1);
    EmuXen *emu;
    char *log;
    int rc;

    g_assert_true(xensim_xs_write(sim, XS_VIF_BRIDGE, XS_BRIDGE));
    emu = emuxen_spawn(sim, "--domid 5 -netdev tap,id=net0,fd=@WIRE@ "
                            "-device e1000,id=nic0,netdev=net0,addr=04.0,"
                            "mac=" NIC_MAC);
    rc = emuxen_wait_exit(emu, WAIT_MS);
    log = emuxen_log(emu);
    g_test_message("emunet stderr:\n%s", log);
    g_assert_cmpint(rc, >, 0);
    g_assert_nonnull(strstr(log, "not a tap"));
    g_assert_null(strstr(log, "br="));
    g_assert_null(strstr(log, "from xenstore"));
    g_free(log);
    g_assert_cmpuint(xensim_server_count(sim, XDOM), ==, 0);
    emuxen_free(emu);
    xensim_free(sim);
}

void test_emunet_xen_life_register(void)
{
    g_test_add_func("/emunet-xen/exit/sighup", test_exit_sighup);
    g_test_add_func("/emunet-xen/exit/sigterm", test_exit_sigterm);
    g_test_add_func("/emunet-xen/exit/sigint", test_exit_sigint);
    g_test_add_func("/emunet-xen/exit/sigkill", test_exit_sigkill);
    g_test_add_func("/emunet-xen/exit/sigabrt", test_exit_sigabrt);
    g_test_add_func("/emunet-xen/exit/server-destroyed",
                    test_exit_server_destroyed);
    g_test_add_func("/emunet-xen/error/not-xen", test_error_not_xen);
    g_test_add_func("/emunet-xen/error/no-domain", test_error_no_domain);
    g_test_add_func("/emunet-xen/error/denied", test_error_denied);
    g_test_add_func("/emunet-xen/error/too-many-servers",
                    test_error_too_many_servers);
    g_test_add_func("/emunet-xen/error/bind-fails", test_error_bind_fails);
    g_test_add_func("/emunet-xen/error/evtchn-runtime",
                    test_error_evtchn_runtime);
    g_test_add_func("/emunet-xen/setup/gfn-fallback", test_gfn_fallback);
    g_test_add_func("/emunet-xen/xenstore/lost", test_xenstore_lost);
    g_test_add_func("/emunet-xen/xenstore/frontend", test_xenstore_frontend);
    g_test_add_func("/emunet-xen/xenstore/bridge", test_xenstore_bridge);
    g_test_add_func("/emunet-xen/xenstore/bridge-fd", test_xenstore_bridge_fd);
}
