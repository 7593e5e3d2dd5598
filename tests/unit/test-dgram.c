/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -netdev socket in datagram mode (backends/dgram.c): a udp= pair on
 * 127.0.0.1 and a multicast LAN on loopback, each case in a network
 * namespace of its own (netbe-test.h), so ports are free and no traffic
 * leaves it.
 */
#include <sys/socket.h>

#include "netbe-test.h"

typedef struct Node {
    TestPeer p;
    NetBackend *be;
} Node;

static void node_up(GMainContext *ctx, Node *n, const char *opts)
{
    test_peer_init(&n->p);
    n->be = test_backend_up(ctx, &n->p, opts);
}

static void node_down(Node *n)
{
    net_backend_free(n->be);
    test_peer_destroy(&n->p);
}

typedef struct FrameWait {
    Node *n;
    guint want;
} FrameWait;

static bool node_has(void *opaque)
{
    FrameWait *w = opaque;

    return w->n->p.frames->len >= w->want;
}

static void node_wait(GMainContext *ctx, Node *n, guint want)
{
    FrameWait w = {n, want};

    g_assert_true(test_wait(ctx, node_has, &w, 2000));
}

static void node_send(Node *n, size_t len, uint32_t seq, NetSendResult want)
{
    g_autofree uint8_t *frame = g_malloc(len);

    test_fill_frame(frame, len, seq);
    g_assert_cmpint(test_peer_send(&n->p, frame, len), ==, want);
}

/* A frame from an outsider on 127.0.0.1:port to `to`. */
static void stranger_send(uint16_t port, uint16_t to)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    uint8_t frame[100];
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    sa.sin_port = htons(port);
    g_assert_cmpint(bind(s, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    sa.sin_port = htons(to);
    test_fill_frame(frame, sizeof(frame), 666);
    g_assert_cmpint(
        sendto(s, frame, sizeof(frame), 0, (struct sockaddr *)&sa, sizeof(sa)),
        ==, sizeof(frame));
    close(s);
}

/* Two guests joined point to point. */
static void test_udp_pair(void)
{
    static const size_t lens[] = {ETH_ZLEN, 1514, 9000, 65507};
    GMainContext *ctx = g_main_context_new();
    Node a, b;
    size_t i;

    node_up(ctx, &a,
            "socket,id=a,udp=127.0.0.1:5002,"
            "localaddr=127.0.0.1:5001");
    node_up(ctx, &b,
            "socket,id=b,udp=127.0.0.1:5001,"
            "localaddr=127.0.0.1:5002");
    g_assert_true(a.p.link_up);
    g_assert_false(net_peer_offload_ok(&a.p.nc));
    for (i = 0; i < G_N_ELEMENTS(lens); i++) {
        node_send(&a, lens[i], (uint32_t)i, NET_SEND_OK);
        node_send(&b, lens[i], (uint32_t)(100 + i), NET_SEND_OK);
    }
    /* More than a UDP datagram holds: dropped, counted. */
    node_send(&a, 65508, 99, NET_SEND_DROP);
    g_assert_cmpuint(a.be->stats.tx_drops, ==, 1);

    node_wait(ctx, &b, G_N_ELEMENTS(lens));
    node_wait(ctx, &a, G_N_ELEMENTS(lens));
    for (i = 0; i < G_N_ELEMENTS(lens); i++) {
        g_assert_true(
            test_frame_is(b.p.frames->pdata[i], lens[i], (uint32_t)i));
        g_assert_true(
            test_frame_is(a.p.frames->pdata[i], lens[i], (uint32_t)(100 + i)));
    }
    g_assert_cmpuint(b.be->stats.rx_frames, ==, G_N_ELEMENTS(lens));

    /* Only the configured peer is heard. */
    stranger_send(6000, 5002);
    test_run_for(ctx, 50);
    g_assert_cmpuint(b.p.frames->len, ==, G_N_ELEMENTS(lens));
    g_assert_cmpint(a.p.reentered + b.p.reentered, ==, 0);
    node_down(&a);
    node_down(&b);
    g_main_context_unref(ctx);
}

/*
 * Nobody at udp= yet: sends go nowhere without harm (the ICMP error is
 * collected, no spinning), and once the peer appears frames flow.
 */
static void test_udp_peer_late(void)
{
    GMainContext *ctx = g_main_context_new();
    Node a, b;
    int i;

    node_up(ctx, &a,
            "socket,id=a,udp=127.0.0.1:5002,"
            "localaddr=127.0.0.1:5001");
    for (i = 0; i < 5; i++) {
        NetSendResult r;
        uint8_t frame[60];

        test_fill_frame(frame, sizeof(frame), (uint32_t)i);
        r = test_peer_send(&a.p, frame, sizeof(frame));
        g_assert_true(r == NET_SEND_OK || r == NET_SEND_DROP);
        test_pump(ctx);
    }
    test_run_for(ctx, 20);
    g_assert_false(g_main_context_iteration(ctx, FALSE));
    g_assert_true(a.p.link_up);

    node_up(ctx, &b,
            "socket,id=b,udp=127.0.0.1:5001,"
            "localaddr=127.0.0.1:5002");
    node_send(&a, 80, 7, NET_SEND_OK);
    node_send(&b, 90, 8, NET_SEND_OK);
    node_wait(ctx, &b, 1);
    node_wait(ctx, &a, 1);
    g_assert_true(test_frame_is(b.p.frames->pdata[0], 80, 7));
    g_assert_true(test_frame_is(a.p.frames->pdata[0], 90, 8));
    node_down(&a);
    node_down(&b);
    g_main_context_unref(ctx);
}

/* The NIC full: datagrams wait in the socket, then all arrive in order. */
static void test_udp_rx_backpressure(void)
{
    GMainContext *ctx = g_main_context_new();
    const guint n = 50;
    Node a, b;
    guint i;
    int spins = 0;

    node_up(ctx, &a,
            "socket,id=a,udp=127.0.0.1:5002,"
            "localaddr=127.0.0.1:5001");
    node_up(ctx, &b,
            "socket,id=b,udp=127.0.0.1:5001,"
            "localaddr=127.0.0.1:5002");
    b.p.budget = 0;
    for (i = 0; i < n; i++) {
        node_send(&a, 300, i, NET_SEND_OK);
    }
    test_run_for(ctx, 50);
    g_assert_cmpuint(b.p.frames->len, ==, 0);
    g_assert_nonnull(b.be->held);
    while (b.p.frames->len < n) {
        g_assert_cmpint(++spins, <, 1000);
        b.p.budget = 4;
        net_peer_rx_ready(&b.p.nc);
        test_pump(ctx);
    }
    for (i = 0; i < n; i++) {
        g_assert_true(test_frame_is(b.p.frames->pdata[i], 300, i));
    }
    g_assert_cmpuint(b.be->stats.rx_drops, ==, 0);
    node_down(&a);
    node_down(&b);
    g_main_context_unref(ctx);
}

/* A NIC that sends a TSO super-frame anyway: segments arrive finished. */
static void test_udp_offload_fallback(void)
{
    static uint8_t frame[20000];
    GMainContext *ctx = g_main_context_new();
    uint8_t payload[8000];
    NetOffload off = {
        .csum = true,
        .csum_start = ETH_HLEN + 20,
        .csum_offset = 16,
        .gso_type = NET_GSO_TCPV4,
        .gso_size = 1448,
        .hdr_len = ETH_HLEN + 40,
    };
    size_t len, i;
    Node a, b;

    node_up(ctx, &a,
            "socket,id=a,udp=127.0.0.1:5002,"
            "localaddr=127.0.0.1:5001");
    node_up(ctx, &b,
            "socket,id=b,udp=127.0.0.1:5001,"
            "localaddr=127.0.0.1:5002");
    for (i = 0; i < sizeof(payload); i++) {
        payload[i] = (uint8_t)(i ^ (i >> 8));
    }
    len = test_build_tcp4(frame, test_mac_bcast, test_mac_guest, "10.0.0.2",
                          "10.0.0.1", 1, 2, 100, 1, TCP_ACK, 100, payload,
                          sizeof(payload));
    st16_be(frame + ETH_HLEN + 36, 0);
    g_assert_cmpint(test_peer_send_offload(&a.p, &off, frame, len), ==,
                    NET_SEND_OK);
    node_wait(ctx, &b, 6);
    for (i = 0; i < 6; i++) {
        size_t flen;
        const uint8_t *f = g_bytes_get_data(b.p.frames->pdata[i], &flen);

        test_assert_csum_ok(f, flen);
        g_assert_cmpuint(ld32_be(f + ETH_HLEN + 24), ==, 100 + i * 1448);
    }
    node_down(&a);
    node_down(&b);
    g_main_context_unref(ctx);
}

/* Three guests on a multicast LAN over loopback: nobody hears itself. */
static void mcast_common(const char *local)
{
    GMainContext *ctx = g_main_context_new();
    g_autofree char *opts = NULL;
    Node n[3];
    int i;

    test_sh("ip link set lo multicast on");
    test_sh("ip route add 224.0.0.0/4 dev lo");
    for (i = 0; i < 3; i++) {
        g_free(opts);
        opts =
            g_strdup_printf("socket,id=m%d,mcast=239.192.0.1:5100%s", i, local);
        node_up(ctx, &n[i], opts);
    }
    node_send(&n[0], 100, 1, NET_SEND_OK);
    node_send(&n[1], 1514, 2, NET_SEND_OK);
    node_wait(ctx, &n[0], 1);
    node_wait(ctx, &n[1], 1);
    node_wait(ctx, &n[2], 2);
    test_run_for(ctx, 50);
    g_assert_cmpuint(n[0].p.frames->len, ==, 1);
    g_assert_cmpuint(n[1].p.frames->len, ==, 1);
    g_assert_cmpuint(n[2].p.frames->len, ==, 2);
    g_assert_true(test_frame_is(n[0].p.frames->pdata[0], 1514, 2));
    g_assert_true(test_frame_is(n[1].p.frames->pdata[0], 100, 1));
    g_assert_true(test_frame_is(n[2].p.frames->pdata[0], 100, 1));
    g_assert_true(test_frame_is(n[2].p.frames->pdata[1], 1514, 2));
    for (i = 0; i < 3; i++) {
        node_down(&n[i]);
    }
    g_main_context_unref(ctx);
}

static void test_mcast(void)
{
    mcast_common(",localaddr=127.0.0.1");
}

static void test_mcast_any(void)
{
    mcast_common("");
}

static void test_options(void)
{
    static const struct {
        const char *opts, *msg;
    } cases[] = {
        {"socket,id=x,udp=127.0.0.1:5000",
         "netdev socket: udp= needs localaddr=HOST:PORT"},
        {"socket,id=x,udp=127.0.0.1:5000,mcast=239.1.1.1:5000",
         "netdev socket: give one of 'udp' or 'mcast'"},
        {"socket,id=x,udp=127.0.0.1:5000,fd=3",
         "netdev socket: 'udp' and 'mcast' cannot be combined with 'fd', "
         "'connect' or 'listen'"},
        {"socket,id=x,udp=127.0.0.1:0,localaddr=127.0.0.1:1",
         "netdev socket: udp=127.0.0.1:0: expected HOST:PORT with a port "
         "1..65535"},
        {"socket,id=x,udp=localhost:5000,localaddr=:5001",
         "netdev socket: udp=localhost:5000: 'localhost' is not a numeric "
         "IPv4 address"},
        {"socket,id=x,udp=127.0.0.1:5000,localaddr=127.0.0.1",
         "netdev socket: localaddr=127.0.0.1: expected HOST:PORT with a "
         "port 0..65535"},
        {"socket,id=x,mcast=10.0.0.1:5000",
         "netdev socket: mcast=10.0.0.1:5000: not a multicast address"},
        {"socket,id=x,mcast=239.1.1.1:5000,ttl=3",
         "netdev socket: unknown option 'ttl'"},
    };
    g_autofree char *msg = NULL;
    size_t i;
    int s;
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons(5001),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = test_backend_error(cases[i].opts);

        g_assert_cmpstr(got, ==, cases[i].msg);
    }
    /* localaddr= taken. */
    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(bind(s, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    msg = test_backend_error("socket,id=x,udp=127.0.0.1:5002,"
                             "localaddr=127.0.0.1:5001");
    g_assert_cmpstr(msg, ==,
                    "netdev socket: localaddr=127.0.0.1:5001: bind: Address "
                    "already in use");
    close(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    TEST_NS("/dgram/udp-pair", test_udp_pair, NULL);
    TEST_NS("/dgram/udp-peer-late", test_udp_peer_late, NULL);
    TEST_NS("/dgram/udp-rx-backpressure", test_udp_rx_backpressure, NULL);
    TEST_NS("/dgram/udp-offload-fallback", test_udp_offload_fallback, NULL);
    TEST_NS("/dgram/mcast", test_mcast, NULL);
    TEST_NS("/dgram/mcast-any", test_mcast_any, NULL);
    TEST_NS("/dgram/options", test_options, NULL);
    return g_test_run();
}
