/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -netdev tap (backends/tap.c) against the real kernel: every case runs
 * as root in network and mount namespaces of its own (see netbe-test.h),
 * creates its taps, bridges and packet sockets there, and leaves nothing
 * behind. A recording NetPeer plays the NIC; AF_PACKET sockets and taps
 * the test opens itself play the far side. Offloads: test-tap-offload.c.
 */
#include "tap-test.h"

/* ---- Lifecycle ---- */

/* A tap we create is up with its carrier down, and goes away with us. */
static void test_create_remove(void)
{
    GMainContext *ctx = g_main_context_new();
    TestPeer p;
    NetBackend *be;

    test_peer_init(&p);
    g_assert_false(tap_exists("emt0"));
    be = test_backend_up(ctx, &p,
                         "tap,id=n0,ifname=emt0,script=no,downscript=no");
    g_assert_true(tap_exists("emt0"));
    g_assert_cmphex(tap_sysfs_u64("emt0", "tun_flags") &
                        (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_PERSIST),
                    ==, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
    g_assert_true(tap_is_up("emt0"));
    g_assert_cmpint(tap_carrier("emt0"), ==, 0);
    /* The backend's own carrier: the tap is there. */
    g_assert_true(p.link_up);
    g_assert_true(net_peer_offload_ok(&p.nc));
    net_backend_free(be);
    g_assert_false(tap_exists("emt0"));
    g_assert_null(p.nc.backend);

    /* vnet_hdr=off: no virtio-net header, no offloads. */
    be = test_backend_up(ctx, &p, "tap,id=n0,ifname=emt0,vnet_hdr=off");
    g_assert_cmphex(tap_sysfs_u64("emt0", "tun_flags") & IFF_VNET_HDR, ==, 0);
    g_assert_false(net_peer_offload_ok(&p.nc));
    net_backend_free(be);
    g_assert_false(tap_exists("emt0"));
    test_peer_destroy(&p);
    g_main_context_unref(ctx);
}

/* Names: Xen's longest -emu name fits; one more character is refused. */
static void test_names(void)
{
    GMainContext *ctx = g_main_context_new();
    g_autofree char *msg = NULL;
    TestPeer p;
    NetBackend *be;

    test_peer_init(&p);
    be = test_backend_up(ctx, &p, "tap,id=n0,ifname=vif32767.99-emu");
    g_assert_true(tap_exists("vif32767.99-emu"));
    net_backend_free(be);
    g_assert_false(tap_exists("vif32767.99-emu"));

    msg = test_backend_error("tap,id=n0,ifname=vif32767.99-emu0");
    g_assert_cmpstr(msg, ==,
                    "netdev tap: ifname=vif32767.99-emu0: 16 characters, "
                    "but interface names have at most 15");
    /* Refused, not shortened to the 15 characters that would fit. */
    g_assert_false(tap_exists("vif32767.99-emu"));
    g_free(msg);

    msg = test_backend_error("tap,id=n0,ifname=a/b");
    g_assert_cmpstr(msg, ==,
                    "netdev tap: ifname=a/b: not a valid interface name");
    g_free(msg);
    msg = test_backend_error("tap,id=n0,ifname=..");
    g_assert_cmpstr(msg, ==,
                    "netdev tap: ifname=..: not a valid interface name");
    test_peer_destroy(&p);
    g_main_context_unref(ctx);
}

/* An existing persistent tap: attached, shared with nobody, left behind. */
static void test_persistent(void)
{
    GMainContext *ctx = g_main_context_new();
    g_autofree char *msg = NULL;
    TestPeer p;
    NetBackend *be;
    uint8_t frame[100];
    int ps;

    test_peer_init(&p);
    test_sh("ip tuntap add dev pt0 mode tap");
    test_sh("ip link set pt0 up");
    be = test_backend_up(ctx, &p, "tap,id=n0,ifname=pt0");
    g_assert_cmphex(tap_sysfs_u64("pt0", "tun_flags") & IFF_PERSIST, ==,
                    IFF_PERSIST);
    g_assert_cmpint(tap_carrier("pt0"), ==, 0);
    net_peer_set_link(&p.nc, true);
    g_assert_cmpint(tap_carrier("pt0"), ==, 1);

    /* It works: a frame reaches the kernel. */
    ps = tap_packet_open("pt0");
    test_fill_frame(frame, sizeof(frame), 7);
    g_assert_cmpint(test_peer_send(&p, frame, sizeof(frame)), ==, NET_SEND_OK);
    tap_packet_expect(ps, frame, sizeof(frame));

    msg = test_backend_error("tap,id=n1,ifname=pt0");
    g_assert_cmpstr(msg, ==,
                    "netdev tap: ifname=pt0: the tap is in use by another "
                    "process");

    net_backend_free(be);
    /* Still there, and its carrier no longer claims a NIC behind it. */
    g_assert_true(tap_exists("pt0"));
    g_assert_cmpint(tap_carrier("pt0"), ==, 0);

    /* Free again: a second emunet may attach. */
    be = test_backend_up(ctx, &p, "tap,id=n2,ifname=pt0");
    net_backend_free(be);
    g_assert_true(tap_exists("pt0"));
    close(ps);
    test_peer_destroy(&p);
    g_main_context_unref(ctx);
}

/* A name taken by something that is not a tap. */
static void test_not_a_tap(void)
{
    g_autofree char *msg = NULL;

    test_sh("ip link add br9 type bridge");
    msg = test_backend_error("tap,id=n0,ifname=br9");
    g_assert_cmpstr(msg, ==,
                    "netdev tap: ifname=br9: an interface of that name "
                    "exists and is not a tap");
    g_assert_true(tap_exists("br9"));
}

/* br=: the tap joins the bridge; a persistent tap leaves it again. */
static void test_bridge(void)
{
    GMainContext *ctx = g_main_context_new();
    g_autofree char *master = NULL;
    g_autofree char *msg = NULL;
    TestPeer p;
    NetBackend *be;

    test_peer_init(&p);
    test_sh("ip link add br9 type bridge");
    be = test_backend_up(ctx, &p, "tap,id=n0,ifname=emt0,br=br9");
    master = tap_master("emt0");
    g_assert_cmpstr(master, ==, "br9");
    net_backend_free(be);
    g_assert_false(tap_exists("emt0"));

    test_sh("ip tuntap add dev pt0 mode tap");
    be = test_backend_up(ctx, &p, "tap,id=n0,ifname=pt0,br=br9");
    g_free(master);
    master = tap_master("pt0");
    g_assert_cmpstr(master, ==, "br9");
    net_backend_free(be);
    g_assert_true(tap_exists("pt0"));
    g_free(master);
    master = tap_master("pt0");
    g_assert_null(master);

    msg = test_backend_error("tap,id=n0,ifname=emt1,br=nobr0");
    g_assert_cmpstr(msg, ==, "netdev tap: br=nobr0: no such bridge");
    /* The tap made for it did not survive the failure. */
    g_assert_false(tap_exists("emt1"));
    test_peer_destroy(&p);
    g_main_context_unref(ctx);
}

/* fd=: a tap opened by someone else, taken over and closed by us. */
static void test_fd(void)
{
    GMainContext *ctx = g_main_context_new();
    g_autofree char *str = NULL;
    g_autofree char *msg = NULL;
    g_autofree char *want = NULL;
    TestPeer p;
    NetBackend *be;
    int fd, pfd[2];

    test_peer_init(&p);
    fd = tap_raw_open("fdt0", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
    test_sh("ip link set fdt0 up");
    str = g_strdup_printf("tap,id=n0,fd=%d", fd);
    be = test_backend_up(ctx, &p, str);
    g_assert_true(net_peer_offload_ok(&p.nc));
    /* The parent's tap: its carrier follows the NIC, IFF_UP is theirs. */
    g_assert_cmpint(tap_carrier("fdt0"), ==, 0);
    net_peer_set_link(&p.nc, true);
    g_assert_cmpint(tap_carrier("fdt0"), ==, 1);
    net_backend_free(be);
    /* Ours now: closed with the backend, and the tap went with it. */
    g_assert_cmpint(fcntl(fd, F_GETFD), ==, -1);
    g_assert_false(tap_exists("fdt0"));

    fd = tap_raw_open("fdt0", IFF_TAP | IFF_NO_PI);
    g_free(str);
    str = g_strdup_printf("tap,id=n0,fd=%d", fd);
    be = test_backend_up(ctx, &p, str);
    g_assert_false(net_peer_offload_ok(&p.nc));
    net_backend_free(be);

    g_assert_cmpint(pipe(pfd), ==, 0);
    g_free(str);
    str = g_strdup_printf("tap,id=n0,fd=%d", pfd[0]);
    msg = test_backend_error(str);
    want = g_strdup_printf("netdev tap: fd=%d: not a tap device", pfd[0]);
    g_assert_cmpstr(msg, ==, want);
    /* A refused fd stays the caller's. */
    g_assert_cmpint(close(pfd[0]), ==, 0);
    close(pfd[1]);

    fd = tap_raw_open("fdt1", IFF_TUN | IFF_NO_PI);
    g_free(str);
    str = g_strdup_printf("tap,id=n0,fd=%d", fd);
    g_free(msg);
    msg = test_backend_error(str);
    g_free(want);
    want = g_strdup_printf("netdev tap: fd=%d: fdt1 is a tun (IP) device, "
                           "not a tap",
                           fd);
    g_assert_cmpstr(msg, ==, want);
    g_assert_cmpint(close(fd), ==, 0);

    /* Opened, never attached to a tap. */
    fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    g_free(str);
    str = g_strdup_printf("tap,id=n0,fd=%d", fd);
    g_free(msg);
    msg = test_backend_error(str);
    g_free(want);
    want = g_strdup_printf("netdev tap: fd=%d: no tap attached to it (none "
                           "set up, or it was deleted)",
                           fd);
    g_assert_cmpstr(msg, ==, want);
    g_assert_cmpint(close(fd), ==, 0);
    test_peer_destroy(&p);
    g_main_context_unref(ctx);
}

static void test_options(void)
{
    static const struct {
        const char *opts, *msg;
    } cases[] = {
        {"tap,id=n0,ifname=emt0,script=/etc/qemu-ifup",
         "netdev tap: script=/etc/qemu-ifup: emunet runs no scripts; use "
         "script=no (and br=BRIDGE to join a bridge)"},
        {"tap,id=n0,ifname=emt0,downscript=/bin/true",
         "netdev tap: downscript=/bin/true: emunet runs no scripts; use "
         "downscript=no (and br=BRIDGE to join a bridge)"},
        {"tap,id=n0,fd=3,ifname=emt0",
         "netdev tap: ifname=, script=, downscript=, br= and vnet_hdr= are "
         "invalid with fd="},
        {"tap,id=n0,fd=3,vnet_hdr=on",
         "netdev tap: ifname=, script=, downscript=, br= and vnet_hdr= are "
         "invalid with fd="},
        {"tap,id=n0,ifname=emt0,queues=4",
         "netdev tap: unknown option 'queues'"},
        {"tap,id=n0,fd=99999999999",
         "netdev tap: fd=99999999999: not a file descriptor"},
    };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *msg = test_backend_error(cases[i].opts);

        g_assert_cmpstr(msg, ==, cases[i].msg);
    }
    /* Nothing was created on the way. */
    g_assert_false(tap_exists("emt0"));
}

/* ---- Frames ---- */

/* Frames both ways between the backend and a packet socket on the tap. */
static void test_frames(void)
{
    static const size_t lens[] = {ETH_ZLEN, 100, 1514, 22};
    GMainContext *ctx = g_main_context_new();
    uint8_t frame[1514];
    TestPeer p;
    NetBackend *be;
    uint64_t bytes = 0;
    size_t i;
    int ps;

    test_peer_init(&p);
    be = test_backend_up(ctx, &p, "tap,id=n0,ifname=emt0");
    net_peer_set_link(&p.nc, true);
    ps = tap_packet_open("emt0");

    for (i = 0; i < G_N_ELEMENTS(lens); i++) {
        test_fill_frame(frame, lens[i], (uint32_t)i);
        g_assert_cmpint(test_peer_send(&p, frame, lens[i]), ==, NET_SEND_OK);
        bytes += lens[i];
    }
    for (i = 0; i < G_N_ELEMENTS(lens); i++) {
        test_fill_frame(frame, lens[i], (uint32_t)i);
        tap_packet_expect(ps, frame, lens[i]);
    }
    g_assert_cmpuint(be->stats.tx_frames, ==, G_N_ELEMENTS(lens));
    g_assert_cmpuint(be->stats.tx_bytes, ==, bytes);

    for (i = 0; i < G_N_ELEMENTS(lens); i++) {
        test_fill_frame(frame, lens[i], (uint32_t)(100 + i));
        tap_packet_send(ps, frame, lens[i]);
    }
    g_assert_true(tap_wait_test_frames(ctx, &p, G_N_ELEMENTS(lens)));
    tap_assert_test_frames(&p, 100, lens, G_N_ELEMENTS(lens));
    g_assert_cmpuint(be->stats.rx_errors, ==, 0);
    g_assert_cmpint(p.reentered, ==, 0);
    close(ps);
    net_backend_free(be);
    test_peer_destroy(&p);
    g_main_context_unref(ctx);
}

/* The tap's carrier follows the NIC link; without it nothing passes. */
static void test_carrier(void)
{
    GMainContext *ctx = g_main_context_new();
    static const size_t len[] = {80};
    uint8_t frame[80];
    TestPeer p;
    NetBackend *be;
    int ps;

    test_peer_init(&p);
    be = test_backend_up(ctx, &p, "tap,id=n0,ifname=emt0");
    ps = tap_packet_open("emt0");
    g_assert_true(tap_is_up("emt0"));
    g_assert_cmpint(tap_carrier("emt0"), ==, 0);

    /* The host sends while the guest's link is down: it does not pass. */
    test_fill_frame(frame, sizeof(frame), 1);
    tap_packet_send_dropped(ps, frame, sizeof(frame));
    test_run_for(ctx, 50);
    g_assert_cmpuint(tap_count_test_frames(&p), ==, 0);

    net_peer_set_link(&p.nc, true);
    g_assert_cmpint(tap_carrier("emt0"), ==, 1);
    net_peer_set_link(&p.nc, true);
    g_assert_cmpint(tap_carrier("emt0"), ==, 1);
    test_fill_frame(frame, sizeof(frame), 2);
    tap_packet_send(ps, frame, sizeof(frame));
    g_assert_true(tap_wait_test_frames(ctx, &p, 1));
    tap_assert_test_frames(&p, 2, len, 1);

    /* Hand-off: the guest's link goes down, so does the carrier. */
    net_peer_set_link(&p.nc, false);
    g_assert_cmpint(tap_carrier("emt0"), ==, 0);
    g_assert_true(tap_is_up("emt0"));
    close(ps);
    net_backend_free(be);
    test_peer_destroy(&p);
    g_main_context_unref(ctx);
}

/* Frames longer than the MTU are dropped whole and counted. */
static void test_mtu(void)
{
    GMainContext *ctx = g_main_context_new();
    uint8_t frame[1600];
    TestPeer p;
    NetBackend *be;
    int ps;

    test_peer_init(&p);
    test_sh("ip tuntap add dev pt0 mode tap");
    test_sh("ip link set pt0 mtu 1000 up");
    be = test_backend_up(ctx, &p, "tap,id=n0,ifname=pt0");
    net_peer_set_link(&p.nc, true);
    ps = tap_packet_open("pt0");

    test_fill_frame(frame, 1014, 1);
    g_assert_cmpint(test_peer_send(&p, frame, 1014), ==, NET_SEND_OK);
    tap_packet_expect(ps, frame, 1014);
    test_fill_frame(frame, 1015, 2);
    g_assert_cmpint(test_peer_send(&p, frame, 1015), ==, NET_SEND_DROP);
    g_assert_cmpuint(be->stats.tx_drops, ==, 1);
    /* An 802.1Q tag is not part of the MTU. */
    tap_fill_vlan_frame(frame, 1018, 3);
    g_assert_cmpint(test_peer_send(&p, frame, 1018), ==, NET_SEND_OK);
    tap_packet_expect(ps, frame, 1018);
    tap_fill_vlan_frame(frame, 1019, 4);
    g_assert_cmpint(test_peer_send(&p, frame, 1019), ==, NET_SEND_DROP);
    g_assert_cmpuint(be->stats.tx_drops, ==, 2);

    /* A raised MTU is seen at once. */
    test_sh("ip link set pt0 mtu 1500");
    test_fill_frame(frame, 1514, 5);
    g_assert_cmpint(test_peer_send(&p, frame, 1514), ==, NET_SEND_OK);
    tap_packet_expect(ps, frame, 1514);

    /* A runt is an error, not a frame over the MTU. */
    test_fill_frame(frame, 22, 7);
    g_assert_cmpint(test_peer_send(&p, frame, 10), ==, NET_SEND_DROP);
    g_assert_cmpuint(be->stats.tx_errors, ==, 1);
    g_assert_cmpuint(be->stats.tx_drops, ==, 2);
    g_assert_cmpint(test_peer_send(&p, frame, 22), ==, NET_SEND_OK);
    tap_packet_expect(ps, frame, 22);

    /* A lowered one within a second. */
    test_sh("ip link set pt0 mtu 1000");
    g_usleep(1100 * 1000);
    test_fill_frame(frame, 1514, 6);
    g_assert_cmpint(test_peer_send(&p, frame, 1514), ==, NET_SEND_DROP);
    g_assert_cmpuint(be->stats.tx_drops, ==, 3);
    /* Nothing cut short reached the wire. */
    tap_packet_expect_none(ps);
    g_assert_cmpuint(be->stats.tx_frames, ==, 4);
    close(ps);
    net_backend_free(be);
    test_peer_destroy(&p);
    g_main_context_unref(ctx);
}

/* ---- Back-pressure ---- */

/*
 * The NIC has no room: the backend stops reading, frames wait in the
 * kernel; as the NIC takes a few per doorbell, every one arrives, in
 * order, and none was read past the held one.
 */
static void test_rx_backpressure(void)
{
    GMainContext *ctx = g_main_context_new();
    const guint n = 100;
    uint8_t frame[200];
    size_t lens[100];
    TestPeer p;
    NetBackend *be;
    guint i;
    int ps, spins = 0;

    test_peer_init(&p);
    be = test_backend_up(ctx, &p, "tap,id=n0,ifname=emt0");
    net_peer_set_link(&p.nc, true);
    ps = tap_packet_open("emt0");
    p.budget = 0;
    for (i = 0; i < n; i++) {
        test_fill_frame(frame, sizeof(frame), i);
        tap_packet_send(ps, frame, sizeof(frame));
        lens[i] = sizeof(frame);
    }
    test_run_for(ctx, 100);
    g_assert_cmpuint(p.frames->len, ==, 0);
    g_assert_nonnull(be->held);
    /* The kernel handed over one frame only: the rest wait in its queue. */
    g_assert_cmpuint(tap_sysfs_u64("emt0", "statistics/tx_packets"), ==, 1);

    while (tap_count_test_frames(&p) < n) {
        g_assert_cmpint(++spins, <, 10000);
        p.budget = 7;
        net_peer_rx_ready(&p.nc);
        test_pump(ctx);
    }
    tap_assert_test_frames(&p, 0, lens, n);
    g_assert_cmpuint(be->stats.rx_drops, ==, 0);
    g_assert_cmpuint(be->stats.rx_frames, >=, n);
    close(ps);
    net_backend_free(be);
    test_peer_destroy(&p);
    g_main_context_unref(ctx);
}

typedef struct TxWait {
    TestPeer *p;
    int want;
} TxWait;

static bool tx_ready_reached(void *opaque)
{
    TxWait *w = opaque;

    return w->p->tx_ready_calls >= w->want;
}

/*
 * The kernel holds at most sndbuf bytes of ours, and a slow egress (tbf)
 * keeps them: writes would block, the NIC is told BUSY, and resumes on
 * POLLOUT. Every frame arrives once, in order, and the loop sleeps while
 * it waits. (The frames are redirected with tc: a Linux bridge releases
 * a tap's buffers at once, so behind a bridge a tap write never blocks.)
 */
static void test_tx_backpressure(void)
{
    GMainContext *ctx = g_main_context_new();
    const guint n = 300;
    const size_t len = 1000;
    uint8_t frame[1000];
    GPtrArray *got =
        g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    TestPeer p;
    NetBackend *be;
    guint seq = 0, busy = 0;
    int far;
    gint64 t0;

    test_peer_init(&p);
    be = test_backend_up(ctx, &p, "tap,id=n0,ifname=emt0,sndbuf=16384");
    net_peer_set_link(&p.nc, true);
    far = tap_raw_open("pt1", IFF_TAP | IFF_NO_PI);
    test_sh("ip link set pt1 up");
    test_sh("tc qdisc add dev pt1 root tbf rate 8mbit burst 4kb limit 1mb");
    test_sh("tc qdisc add dev emt0 handle ffff: ingress");
    test_sh("tc filter add dev emt0 parent ffff: u32 match u32 0 0 action "
            "mirred egress redirect dev pt1");

    t0 = g_get_monotonic_time();
    while (seq < n) {
        NetSendResult r;

        test_fill_frame(frame, len, seq);
        r = test_peer_send(&p, frame, len);
        if (r == NET_SEND_OK) {
            seq++;
        } else {
            TxWait w = {&p, (int)++busy};
            guint iters;
            gint64 start = g_get_monotonic_time();

            g_assert_cmpint(r, ==, NET_SEND_BUSY);
            iters = tap_wait_counting(ctx, tx_ready_reached, &w, 5000);
            g_assert_cmpint(p.tx_ready_calls, ==, (int)busy);
            /* Asleep while waiting: well under one wakeup per ms. */
            g_assert_cmpuint(iters, <=,
                             (g_get_monotonic_time() - start) / 1000 + 20);
        }
        tap_read_test_frames(far, got);
    }
    tap_read_test_frames_until(ctx, far, got, n, 5000);
    g_assert_cmpuint(busy, >, 0);
    g_assert_cmpuint(got->len, ==, n);
    for (guint i = 0; i < n; i++) {
        g_assert_true(test_frame_is(got->pdata[i], len, i));
    }
    g_assert_cmpuint(be->stats.tx_frames, ==, n);
    g_assert_cmpuint(be->stats.tx_drops, ==, 0);
    g_test_message("%u BUSY in %" G_GINT64_FORMAT " ms", busy,
                   (g_get_monotonic_time() - t0) / 1000);
    g_ptr_array_unref(got);
    close(far);
    net_backend_free(be);
    test_peer_destroy(&p);
    g_main_context_unref(ctx);
}

/* ---- Faults ---- */

static bool link_down(void *opaque)
{
    return !((TestPeer *)opaque)->link_up;
}

static void tap_deleted_common(bool rx_stopped)
{
    GMainContext *ctx = g_main_context_new();
    uint8_t frame[100];
    TestPeer p;
    NetBackend *be;
    int ps;

    test_peer_init(&p);
    be = test_backend_up(ctx, &p, "tap,id=n0,ifname=emt0");
    net_peer_set_link(&p.nc, true);
    if (rx_stopped) {
        /* The NIC is full: the backend is not reading when it happens. */
        ps = tap_packet_open("emt0");
        p.budget = 0;
        test_fill_frame(frame, sizeof(frame), 1);
        tap_packet_send(ps, frame, sizeof(frame));
        test_run_for(ctx, 50);
        g_assert_nonnull(be->held);
        close(ps);
    }
    g_assert_cmpint(p.link_events, ==, 1);
    test_sh("ip link del emt0");
    g_assert_true(test_wait(ctx, link_down, &p, 2000));
    g_assert_cmpint(p.link_events, ==, 2);
    g_assert_false(be->link_up);

    /* Settled: nothing left to dispatch, no spinning on a dead fd. */
    test_pump(ctx);
    test_run_for(ctx, 50);
    g_assert_false(g_main_context_iteration(ctx, FALSE));

    test_fill_frame(frame, sizeof(frame), 2);
    g_assert_cmpint(test_peer_send(&p, frame, sizeof(frame)), ==,
                    NET_SEND_DROP);
    g_assert_cmpuint(be->stats.tx_drops, ==, 1);
    net_peer_set_link(&p.nc, false);
    net_peer_set_link(&p.nc, true);
    p.budget = -1;
    net_peer_rx_ready(&p.nc);
    test_pump(ctx);
    g_assert_false(g_main_context_iteration(ctx, FALSE));
    net_backend_free(be);
    test_peer_destroy(&p);
    g_main_context_unref(ctx);
}

static void test_deleted(void)
{
    tap_deleted_common(false);
}

static void test_deleted_rx_stopped(void)
{
    tap_deleted_common(true);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    TEST_NS("/tap/create-remove", test_create_remove, NULL);
    TEST_NS("/tap/names", test_names, NULL);
    TEST_NS("/tap/persistent", test_persistent, NULL);
    TEST_NS("/tap/not-a-tap", test_not_a_tap, NULL);
    TEST_NS("/tap/bridge", test_bridge, NULL);
    TEST_NS("/tap/fd", test_fd, NULL);
    TEST_NS("/tap/options", test_options, NULL);
    TEST_NS("/tap/frames", test_frames, NULL);
    TEST_NS("/tap/carrier", test_carrier, NULL);
    TEST_NS("/tap/mtu", test_mtu, "the MTU 1000 of tap pt0");
    TEST_NS("/tap/rx-backpressure", test_rx_backpressure, NULL);
    TEST_NS("/tap/tx-backpressure", test_tx_backpressure, NULL);
    TEST_NS("/tap/deleted", test_deleted, "tap emt0 was deleted");
    TEST_NS("/tap/deleted-rx-stopped", test_deleted_rx_stopped,
            "tap emt0 was deleted");
    return g_test_run();
}
