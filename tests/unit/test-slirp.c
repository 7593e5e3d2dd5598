/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -netdev user (backends/slirp.c, libslirp): the test plays the guest
 * with frames it builds itself — DHCP, ARP, TCP to a forwarded port —
 * inside a network namespace of its own (netbe-test.h), so forwarded
 * ports are on that namespace's loopback and nothing leaves it.
 */
#include <poll.h>
#include <sys/socket.h>

#include "netbe-test.h"

#define BOOTP_OPS 0
#define BOOTP_XID 4
#define BOOTP_FLAGS 10
#define BOOTP_YIADDR 16
#define BOOTP_CHADDR 28
#define BOOTP_MAGIC 236
#define BOOTP_OPTIONS 240
#define DHCP_DISCOVER 1
#define DHCP_OFFER 2
#define DHCP_REQUEST 3
#define DHCP_ACK 5

typedef struct Guest {
    GMainContext *ctx;
    TestPeer p;
    NetBackend *be;
    /* Frames of p already looked at. */
    guint seen;
} Guest;

static void guest_up(Guest *g, const char *opts)
{
    g->ctx = g_main_context_new();
    test_peer_init(&g->p);
    g->be = test_backend_up(g->ctx, &g->p, opts);
    g->seen = 0;
}

static void guest_down(Guest *g)
{
    g_assert_cmpint(g->p.reentered, ==, 0);
    net_backend_free(g->be);
    test_peer_destroy(&g->p);
    g_main_context_unref(g->ctx);
}

static void guest_send(Guest *g, const uint8_t *frame, size_t len)
{
    g_assert_cmpint(test_peer_send(&g->p, frame, len), ==, NET_SEND_OK);
}

/* A frame filter: true for the frame wanted. */
typedef bool FrameMatch(const uint8_t *f, size_t len, const void *arg);

/*
 * The next frame (after those seen) that `match` wants, within 2 s;
 * ARP requests for the guest's address are answered on the way.
 */
static const uint8_t *guest_expect(Guest *g, FrameMatch *match, const void *arg,
                                   size_t *len)
{
    gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;

    while (g_get_monotonic_time() < end) {
        while (g->seen < g->p.frames->len) {
            const uint8_t *f =
                g_bytes_get_data(g->p.frames->pdata[g->seen++], len);

            if (match(f, *len, arg)) {
                return f;
            }
        }
        test_run_for(g->ctx, 5);
    }
    g_assert_not_reached();
}

/* ---- DHCP ---- */

static size_t build_dhcp(uint8_t *buf, uint8_t type, const char *req,
                         const char *server)
{
    uint8_t bootp[300];
    uint8_t *o = bootp + BOOTP_OPTIONS;

    memset(bootp, 0, sizeof(bootp));
    bootp[BOOTP_OPS] = 1; /* BOOTREQUEST */
    bootp[1] = 1;         /* Ethernet */
    bootp[2] = ETH_ALEN;
    st32_be(bootp + BOOTP_XID, 0x11223344);
    st16_be(bootp + BOOTP_FLAGS, 0x8000); /* broadcast reply */
    memcpy(bootp + BOOTP_CHADDR, test_mac_guest, ETH_ALEN);
    st32_be(bootp + BOOTP_MAGIC, 0x63825363);
    *o++ = 53;
    *o++ = 1;
    *o++ = type;
    /* Parameter request list: netmask, router, DNS. */
    *o++ = 55;
    *o++ = 3;
    *o++ = 1;
    *o++ = 3;
    *o++ = 6;
    if (req) {
        *o++ = 50;
        *o++ = 4;
        test_ip4(req, o);
        o += 4;
        *o++ = 54;
        *o++ = 4;
        test_ip4(server, o);
        o += 4;
    }
    *o = 255;
    return test_build_udp4(buf, test_mac_bcast, test_mac_guest, "0.0.0.0",
                           "255.255.255.255", 68, 67, bootp, sizeof(bootp));
}

static bool is_dhcp_reply(const uint8_t *f, size_t len, const void *arg)
{
    NetFrameInfo info;

    net_parse_frame(f, len, &info);
    return info.l4_proto == IP_PROTO_UDP && ld16_be(f + info.l4_off) == 67 &&
           ld16_be(f + info.l4_off + 2) == 68;
}

/* A DHCP option's value in a reply, or NULL. */
static const uint8_t *dhcp_option(const uint8_t *bootp, size_t blen,
                                  uint8_t code, uint8_t *olen)
{
    size_t i = BOOTP_OPTIONS;

    while (i + 1 < blen && bootp[i] != 255) {
        if (bootp[i] == 0) {
            i++;
            continue;
        }
        if (i + 2 + bootp[i + 1] > blen) {
            break;
        }
        if (bootp[i] == code) {
            *olen = bootp[i + 1];
            return bootp + i + 2;
        }
        i += 2 + bootp[i + 1];
    }
    return NULL;
}

static void assert_option_ip(const uint8_t *bootp, size_t blen, uint8_t code,
                             const char *want)
{
    uint8_t olen = 0, ip[4];
    const uint8_t *v = dhcp_option(bootp, blen, code, &olen);

    g_assert_nonnull(v);
    g_assert_cmpuint(olen, ==, 4);
    test_ip4(want, ip);
    g_assert_cmpmem(v, 4, ip, 4);
}

/*
 * One DHCP reply: its type, the address offered, server, router, DNS
 * (dns NULL: restrict=on, which offers neither router nor DNS).
 */
static void expect_dhcp(Guest *g, uint8_t type, const char *yiaddr,
                        const char *gw, const char *dns)
{
    NetFrameInfo info;
    size_t len, blen;
    const uint8_t *f = guest_expect(g, is_dhcp_reply, NULL, &len);
    const uint8_t *bootp;
    uint8_t olen = 0, ip[4];

    test_assert_csum_ok(f, len);
    net_parse_frame(f, len, &info);
    bootp = f + info.l4_off + 8;
    blen = len - info.l4_off - 8;
    g_assert_cmpuint(blen, >=, BOOTP_OPTIONS);
    g_assert_cmpuint(bootp[BOOTP_OPS], ==, 2); /* BOOTREPLY */
    g_assert_cmphex(ld32_be(bootp + BOOTP_XID), ==, 0x11223344);
    g_assert_cmpmem(bootp + BOOTP_CHADDR, ETH_ALEN, test_mac_guest, ETH_ALEN);
    test_ip4(yiaddr, ip);
    g_assert_cmpmem(bootp + BOOTP_YIADDR, 4, ip, 4);
    g_assert_cmpuint(*dhcp_option(bootp, blen, 53, &olen), ==, type);
    assert_option_ip(bootp, blen, 54, gw);
    assert_option_ip(bootp, blen, 1, "255.255.255.0");
    if (dns) {
        assert_option_ip(bootp, blen, 3, gw);
        assert_option_ip(bootp, blen, 6, dns);
    } else {
        g_assert_null(dhcp_option(bootp, blen, 3, &olen));
        g_assert_null(dhcp_option(bootp, blen, 6, &olen));
    }
}

static void dhcp_lease(Guest *g, const char *yiaddr, const char *gw,
                       const char *dns)
{
    uint8_t frame[400];
    size_t len;

    len = build_dhcp(frame, DHCP_DISCOVER, NULL, NULL);
    guest_send(g, frame, len);
    expect_dhcp(g, DHCP_OFFER, yiaddr, gw, dns);
    len = build_dhcp(frame, DHCP_REQUEST, yiaddr, gw);
    guest_send(g, frame, len);
    expect_dhcp(g, DHCP_ACK, yiaddr, gw, dns);
}

static void test_dhcp(void)
{
    Guest g;

    guest_up(&g, "user,id=u0");
    g_assert_true(g.p.link_up);
    g_assert_false(net_peer_offload_ok(&g.p.nc));
    dhcp_lease(&g, "10.0.2.15", "10.0.2.2", "10.0.2.3");
    g_assert_cmpuint(g.be->stats.rx_frames, >=, 2);
    g_assert_cmpuint(g.be->stats.tx_frames, ==, 2);
    guest_down(&g);

    guest_up(&g, "user,id=u1,net=192.168.76.0/24,host=192.168.76.1,"
                 "dns=192.168.76.53,dhcpstart=192.168.76.100,restrict=on");
    dhcp_lease(&g, "192.168.76.100", "192.168.76.1", NULL);
    guest_down(&g);

    guest_up(&g, "user,id=u2,net=192.168.76.0/24,host=192.168.76.1,"
                 "dns=192.168.76.53,dhcpstart=192.168.76.100");
    dhcp_lease(&g, "192.168.76.100", "192.168.76.1", "192.168.76.53");
    guest_down(&g);
}

/* The NIC has no room: the reply waits and comes with the doorbell. */
static void test_backpressure(void)
{
    uint8_t frame[400];
    size_t len;
    Guest g;

    guest_up(&g, "user,id=u0");
    g.p.budget = 0;
    len = build_dhcp(frame, DHCP_DISCOVER, NULL, NULL);
    guest_send(&g, frame, len);
    test_run_for(g.ctx, 50);
    g_assert_cmpuint(g.p.frames->len, ==, 0);
    g_assert_nonnull(g.be->held);
    g.p.budget = -1;
    net_peer_rx_ready(&g.p.nc);
    expect_dhcp(&g, DHCP_OFFER, "10.0.2.15", "10.0.2.2", "10.0.2.3");
    g_assert_cmpuint(g.be->stats.rx_drops, ==, 0);
    guest_down(&g);
}

/* ---- ARP ---- */

static bool is_arp_reply(const uint8_t *f, size_t len, const void *arg)
{
    return len >= ETH_HLEN + 28 && ld16_be(f + 12) == ETH_P_ARP &&
           ld16_be(f + ETH_HLEN + 6) == 2;
}

static void test_arp(void)
{
    static const uint8_t gw_mac[ETH_ALEN] = {0x52, 0x55, 0x0a,
                                             0x00, 0x02, 0x02};
    uint8_t frame[60] = {0}, ip[4];
    uint8_t *a = frame + ETH_HLEN;
    const uint8_t *r;
    size_t len;
    Guest g;

    guest_up(&g, "user,id=u0");
    memcpy(frame, test_mac_bcast, ETH_ALEN);
    memcpy(frame + 6, test_mac_guest, ETH_ALEN);
    st16_be(frame + 12, ETH_P_ARP);
    st16_be(a, 1);
    st16_be(a + 2, ETH_P_IP);
    a[4] = ETH_ALEN;
    a[5] = 4;
    st16_be(a + 6, 1); /* request */
    memcpy(a + 8, test_mac_guest, ETH_ALEN);
    test_ip4("10.0.2.15", a + 14);
    test_ip4("10.0.2.2", a + 24);
    guest_send(&g, frame, sizeof(frame));

    r = guest_expect(&g, is_arp_reply, NULL, &len);
    g_assert_cmpmem(r, ETH_ALEN, test_mac_guest, ETH_ALEN);
    /* libslirp's gateway: 52:55 then its IPv4 address. */
    g_assert_cmpmem(r + ETH_HLEN + 8, ETH_ALEN, gw_mac, ETH_ALEN);
    test_ip4("10.0.2.2", ip);
    g_assert_cmpmem(r + ETH_HLEN + 14, 4, ip, 4);
    g_assert_cmpmem(r + ETH_HLEN + 18, ETH_ALEN, test_mac_guest, ETH_ALEN);
    test_ip4("10.0.2.15", ip);
    g_assert_cmpmem(r + ETH_HLEN + 24, 4, ip, 4);
    guest_down(&g);
}

/* ---- TCP ---- */

typedef struct TcpMatch {
    uint16_t dport;
    uint8_t flags;
    size_t min_payload;
} TcpMatch;

static bool is_tcp(const uint8_t *f, size_t len, const void *arg)
{
    const TcpMatch *m = arg;
    NetFrameInfo info;

    net_parse_frame(f, len, &info);
    return info.ip_version == 4 && info.l4_proto == IP_PROTO_TCP &&
           ld16_be(f + info.l4_off + 2) == m->dport &&
           (f[info.l4_off + 13] & m->flags) == m->flags &&
           info.ip_total_len - info.ip_hdr_len - info.l4_hdr_len >=
               m->min_payload;
}

static int tcp_listen_on(uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    g_assert_cmpint(bind(s, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(s, 4), ==, 0);
    return s;
}

/*
 * A host client connects to the forwarded port; libslirp opens the
 * connection to the guest (the test), and data flows both ways.
 */
static void test_hostfwd(void)
{
    static const char from_host[] = "hello from the host";
    static const char from_guest[] = "hello from the guest";
    TcpMatch syn = {22, TCP_SYN, 0};
    TcpMatch data = {22, TCP_ACK, sizeof(from_host) - 1};
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons(5555),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    uint8_t frame[200], gw_mac[ETH_ALEN];
    char buf[64];
    NetFrameInfo info;
    const uint8_t *f;
    size_t len;
    uint32_t isn;
    uint16_t sport;
    gint64 end;
    ssize_t n = -1;
    Guest g;
    int c;

    guest_up(&g, "user,id=u0,restrict=on,hostfwd=tcp:127.0.0.1:5555-:22,"
                 "hostfwd=udp::5556-:53");
    dhcp_lease(&g, "10.0.2.15", "10.0.2.2", NULL);

    c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    g_assert_true(connect(c, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
                  errno == EINPROGRESS);
    f = guest_expect(&g, is_tcp, &syn, &len);
    test_assert_csum_ok(f, len);
    net_parse_frame(f, len, &info);
    memcpy(gw_mac, f + 6, ETH_ALEN);
    isn = ld32_be(f + info.l4_off + 4);
    sport = ld16_be(f + info.l4_off);
    len = test_build_tcp4(frame, gw_mac, test_mac_guest, "10.0.2.15",
                          "10.0.2.2", 22, sport, 9000, isn + 1,
                          TCP_SYN | TCP_ACK, 65535, NULL, 0);
    guest_send(&g, frame, len);

    g_assert_cmpint(send(c, from_host, sizeof(from_host) - 1, MSG_NOSIGNAL), ==,
                    sizeof(from_host) - 1);
    f = guest_expect(&g, is_tcp, &data, &len);
    test_assert_csum_ok(f, len);
    net_parse_frame(f, len, &info);
    g_assert_cmpmem(f + info.l4_off + info.l4_hdr_len, sizeof(from_host) - 1,
                    from_host, sizeof(from_host) - 1);

    len = test_build_tcp4(frame, gw_mac, test_mac_guest, "10.0.2.15",
                          "10.0.2.2", 22, sport, 9001,
                          isn + 1 + sizeof(from_host) - 1, TCP_ACK | TCP_PSH,
                          65535, from_guest, sizeof(from_guest) - 1);
    guest_send(&g, frame, len);
    end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (n < 0 && g_get_monotonic_time() < end) {
        test_run_for(g.ctx, 5);
        n = recv(c, buf, sizeof(buf), MSG_DONTWAIT);
    }
    g_assert_cmpmem(buf, n, from_guest, sizeof(from_guest) - 1);
    close(c);
    guest_down(&g);
}

/* ---- UDP from the host ---- */

#define BURST 40
#define BURST_LEN 1000
#define BURST_TAKEN 5

/* Frames for the guest's UDP port 9 after those seen, as sequence numbers. */
static void collect_udp_seqs(Guest *g, GArray *seqs)
{
    while (g->seen < g->p.frames->len) {
        size_t len;
        const uint8_t *f =
            g_bytes_get_data(g->p.frames->pdata[g->seen++], &len);
        NetFrameInfo info;

        net_parse_frame(f, len, &info);
        if (info.ip_version == 4 && info.l4_proto == IP_PROTO_UDP &&
            ld16_be(f + info.l4_off + 2) == 9 &&
            len >= info.l4_off + 8 + BURST_LEN) {
            uint32_t seq = ld32_be(f + info.l4_off + 8);

            g_array_append_val(seqs, seq);
        }
    }
}

/*
 * A burst of datagrams to a forwarded UDP port while the NIC takes only
 * a few: those go straight to it, the next is held and the rest wait in
 * the host socket; after the doorbell all arrive, in order, none lost.
 */
static void test_udp_burst(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons(5558),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    g_autoptr(GArray) seqs = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    uint8_t payload[BURST_LEN];
    gint64 end;
    Guest g;
    int c, i;

    guest_up(&g, "user,id=u0,hostfwd=udp:127.0.0.1:5558-:9");
    dhcp_lease(&g, "10.0.2.15", "10.0.2.2", "10.0.2.3");
    g.seen = g.p.frames->len;
    g.p.budget = BURST_TAKEN;
    c = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    memset(payload, 0x5a, sizeof(payload));
    for (i = 0; i < BURST; i++) {
        st32_be(payload, (uint32_t)i);
        g_assert_cmpint(sendto(c, payload, sizeof(payload), 0,
                               (struct sockaddr *)&sa, sizeof(sa)),
                        ==, sizeof(payload));
    }
    test_run_for(g.ctx, 100);
    collect_udp_seqs(&g, seqs);
    g_assert_cmpuint(seqs->len, ==, BURST_TAKEN);
    g_assert_nonnull(g.be->held);

    g.p.budget = -1;
    net_peer_rx_ready(&g.p.nc);
    end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (seqs->len < BURST && g_get_monotonic_time() < end) {
        test_run_for(g.ctx, 5);
        collect_udp_seqs(&g, seqs);
    }
    g_assert_cmpuint(seqs->len, ==, BURST);
    for (i = 0; i < BURST; i++) {
        g_assert_cmpuint(g_array_index(seqs, uint32_t, i), ==, i);
    }
    g_assert_cmpuint(g.be->stats.rx_drops, ==, 0);
    close(c);
    guest_down(&g);
}

/* A forwarded port someone else has: refused, naming it. */
static void test_hostfwd_taken(void)
{
    int s = tcp_listen_on(5557);
    g_autofree char *msg =
        test_backend_error("user,id=u0,hostfwd=tcp:127.0.0.1:5557-:22");

    g_assert_cmpstr(msg, ==,
                    "netdev user: hostfwd=tcp:127.0.0.1:5557-:22: cannot "
                    "forward host port 127.0.0.1:5557: Address already in "
                    "use");
    close(s);
}

/*
 * The guest connects to the gateway, which is the host's loopback:
 * allowed without restrict, refused with restrict=on.
 */
static void restrict_common(bool restricted)
{
    TcpMatch synack = {40000, TCP_SYN | TCP_ACK, 0};
    uint8_t frame[200], gw_mac[ETH_ALEN] = {0x52, 0x55, 0x0a, 0, 2, 2};
    struct pollfd pfd;
    size_t len;
    Guest g;
    int l = tcp_listen_on(7000);

    guest_up(&g, restricted ? "user,id=u0,restrict=on" : "user,id=u0");
    dhcp_lease(&g, "10.0.2.15", "10.0.2.2", restricted ? NULL : "10.0.2.3");
    len =
        test_build_tcp4(frame, gw_mac, test_mac_guest, "10.0.2.15", "10.0.2.2",
                        40000, 7000, 100, 0, TCP_SYN, 65535, NULL, 0);
    guest_send(&g, frame, len);
    test_run_for(g.ctx, 300);
    pfd.fd = l;
    pfd.events = POLLIN;
    g_assert_cmpint(poll(&pfd, 1, 0), ==, restricted ? 0 : 1);
    if (!restricted) {
        guest_expect(&g, is_tcp, &synack, &len);
    }
    close(l);
    guest_down(&g);
}

static void test_unrestricted(void)
{
    restrict_common(false);
}

static void test_restricted(void)
{
    restrict_common(true);
}

static void test_options(void)
{
    static const struct {
        const char *opts, *msg;
    } cases[] = {
        {"user,id=u,smb=/tmp", "netdev user: unknown option 'smb'"},
        {"user,id=u,net=10.0.2.0/33",
         "netdev user: net=10.0.2.0/33: bad netmask '33'"},
        {"user,id=u,net=10.0.2.0/255.0.255.0",
         "netdev user: net=10.0.2.0/255.0.255.0: netmask '255.0.255.0' is "
         "not contiguous"},
        {"user,id=u,net=10.0.2.0/30",
         "netdev user: net=10.0.2.0/30: the network is too small"},
        {"user,id=u,net=ten", "netdev user: net=ten: not an IPv4 address"},
        {"user,id=u,host=10.0.3.2",
         "netdev user: host=10.0.3.2: the gateway is not inside the "
         "network"},
        {"user,id=u,dns=10.0.2.255",
         "netdev user: dns=10.0.2.255: the DNS server cannot be the network "
         "or broadcast address"},
        {"user,id=u,dns=10.0.2.2",
         "netdev user: dns=10.0.2.2: the DNS server must differ from the "
         "gateway"},
        {"user,id=u,dhcpstart=10.0.2.3",
         "netdev user: dhcpstart: the first lease must differ from the "
         "gateway and the DNS server"},
        {"user,id=u,hostfwd=tcp:127.0.0.1:80",
         "netdev user: hostfwd=tcp:127.0.0.1:80: expected "
         "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT"},
        {"user,id=u,hostfwd=sctp::80-:80",
         "netdev user: hostfwd=sctp::80-:80: expected "
         "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT"},
        {"user,id=u,hostfwd=tcp::80-:0",
         "netdev user: hostfwd=tcp::80-:0: expected "
         "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT"},
        {"user,id=u,restrict=maybe",
         "netdev user: option 'restrict' expects on or off, got 'maybe'"},
        {"user,id=u,ipv4=off,ipv6=off",
         "netdev user: ipv4=off and ipv6=off leave no network"},
    };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *msg = test_backend_error(cases[i].opts);

        g_assert_cmpstr(msg, ==, cases[i].msg);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    TEST_NS("/slirp/dhcp", test_dhcp, NULL);
    TEST_NS("/slirp/backpressure", test_backpressure, NULL);
    TEST_NS("/slirp/arp", test_arp, NULL);
    TEST_NS("/slirp/hostfwd", test_hostfwd, NULL);
    TEST_NS("/slirp/hostfwd-taken", test_hostfwd_taken, NULL);
    TEST_NS("/slirp/udp-burst", test_udp_burst, NULL);
    TEST_NS("/slirp/unrestricted", test_unrestricted, NULL);
    TEST_NS("/slirp/restricted", test_restricted, NULL);
    TEST_NS("/slirp/options", test_options, NULL);
    return g_test_run();
}
