/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Offloads through -netdev tap, against the real kernel in namespaces of
 * the test's own (netbe-test.h):
 *  - guest to host: a TCP super-frame handed over with a NetOffload is
 *    written once (virtio-net header) and the kernel cuts it into correct
 *    segments on its way to a far tap without offloads; checksum-only
 *    frames are finished by the kernel; inconsistent requests never reach
 *    it; without a virtio-net header the generic layer segments;
 *  - host to guest: the kernel's partial checksums and TCP super-frames
 *    reach the NIC finished, also while the NIC takes a few at a time;
 *  - the pcap tee records finished frames either way.
 */
#include <glib/gstdio.h>

#include "tap-test.h"

#define MSS 1448
/* IPv6's header is 20 bytes longer: 1500 - 40 - 20. */
#define MSS6 1440
#define GUEST_IP "10.99.0.2"
#define HOST_IP "10.99.0.1"

static const uint8_t mac_far[ETH_ALEN] = {0x02, 0, 0, 0, 0, 0x01};

/* Payload byte `i` of the test stream. */
static uint8_t payload_byte(size_t i)
{
    return (uint8_t)(i * 7 + (i >> 9));
}

/*
 * A TCP/IPv4 super-frame as a guest's TSO driver leaves it: IP total
 * length and checksum zero, TCP checksum garbage (the NIC's context
 * descriptor says what to do).
 */
static size_t build_tso_v4(uint8_t *buf, size_t plen, uint32_t seq,
                           uint8_t flags, NetOffload *off)
{
    uint8_t *ip = buf + ETH_HLEN;
    uint8_t *th = ip + 20;
    size_t i;

    memcpy(buf, mac_far, ETH_ALEN);
    memcpy(buf + 6, test_mac_guest, ETH_ALEN);
    st16_be(buf + 12, ETH_P_IP);
    memset(ip, 0, 20);
    ip[0] = 0x45;
    st16_be(ip + 4, 0x1234);
    st16_be(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = IP_PROTO_TCP;
    test_ip4(GUEST_IP, ip + 12);
    test_ip4(HOST_IP, ip + 16);
    memset(th, 0, 20);
    st16_be(th, 40000);
    st16_be(th + 2, 5001);
    st32_be(th + 4, seq);
    st32_be(th + 8, 1);
    th[12] = 5 << 4;
    th[13] = flags;
    st16_be(th + 14, 65535);
    st16_be(th + 16, 0xdead);
    for (i = 0; i < plen; i++) {
        th[20 + i] = payload_byte(i);
    }
    memset(off, 0, sizeof(*off));
    off->csum = true;
    off->csum_start = ETH_HLEN + 20;
    off->csum_offset = 16;
    off->gso_type = NET_GSO_TCPV4;
    off->gso_size = MSS;
    off->hdr_len = ETH_HLEN + 40;
    return ETH_HLEN + 40 + plen;
}

static size_t build_tso_v6(uint8_t *buf, size_t plen, uint32_t seq,
                           NetOffload *off)
{
    uint8_t *ip = buf + ETH_HLEN;
    uint8_t *th = ip + 40;
    size_t i;

    memcpy(buf, mac_far, ETH_ALEN);
    memcpy(buf + 6, test_mac_guest, ETH_ALEN);
    st16_be(buf + 12, ETH_P_IPV6);
    memset(ip, 0, 40);
    ip[0] = 0x60;
    ip[6] = IP_PROTO_TCP;
    ip[7] = 64;
    g_assert_cmpint(inet_pton(AF_INET6, "fd00::2", ip + 8), ==, 1);
    g_assert_cmpint(inet_pton(AF_INET6, "fd00::1", ip + 24), ==, 1);
    memset(th, 0, 20);
    st16_be(th, 40000);
    st16_be(th + 2, 5001);
    st32_be(th + 4, seq);
    st32_be(th + 8, 1);
    th[12] = 5 << 4;
    th[13] = TCP_ACK | TCP_PSH;
    st16_be(th + 14, 65535);
    for (i = 0; i < plen; i++) {
        th[20 + i] = payload_byte(i);
    }
    memset(off, 0, sizeof(*off));
    off->csum = true;
    off->csum_start = ETH_HLEN + 40;
    off->csum_offset = 16;
    off->gso_type = NET_GSO_TCPV6;
    off->gso_size = MSS6;
    off->hdr_len = ETH_HLEN + 60;
    return ETH_HLEN + 60 + plen;
}

/*
 * The frames `got` are the segments of the super-frame above, in order:
 * right checksums and lengths, advancing ID and sequence, PSH on the last
 * only, the payload whole. Returns how many.
 */
static guint check_segments(GPtrArray *got, bool v6, size_t plen, uint32_t seq0)
{
    size_t mss = v6 ? MSS6 : MSS;
    size_t done = 0;
    guint i, n = 0;

    for (i = 0; i < got->len; i++) {
        size_t len;
        const uint8_t *f = g_bytes_get_data(got->pdata[i], &len);
        NetFrameInfo info;
        size_t l4, seg;

        net_parse_frame(f, len, &info);
        if (info.l4_proto != IP_PROTO_TCP || info.ip_version != (v6 ? 6 : 4)) {
            continue;
        }
        g_assert_cmpuint(len, <=, ETH_HLEN + 1500);
        test_assert_csum_ok(f, len);
        l4 = info.l4_off;
        seg = len - l4 - 20;
        g_assert_cmpuint(seg, ==, MIN(mss, plen - done));
        if (!v6) {
            g_assert_cmpuint(ld16_be(f + ETH_HLEN + 2), ==, len - ETH_HLEN);
            g_assert_cmpuint(ld16_be(f + ETH_HLEN + 4), ==, 0x1234 + n);
        } else {
            g_assert_cmpuint(ld16_be(f + ETH_HLEN + 4), ==,
                             len - ETH_HLEN - 40);
        }
        g_assert_cmpuint(ld32_be(f + l4 + 4), ==, seq0 + done);
        g_assert_cmpuint(f[l4 + 13] & TCP_PSH, ==,
                         done + seg == plen ? TCP_PSH : 0);
        for (size_t k = 0; k < seg; k++) {
            g_assert_cmpuint(f[l4 + 20 + k], ==, payload_byte(done + k));
        }
        done += seg;
        n++;
    }
    g_assert_cmpuint(done, ==, plen);
    return n;
}

/* Our tap emt0 with its carrier up, bridged to a plain far tap pt1. */
typedef struct Rig {
    GMainContext *ctx;
    TestPeer p;
    NetBackend *be;
    int far;
    GPtrArray *got;
} Rig;

static void rig_up(Rig *r, const char *opts)
{
    r->ctx = g_main_context_new();
    test_peer_init(&r->p);
    r->be = test_backend_up(r->ctx, &r->p, opts);
    net_peer_set_link(&r->p.nc, true);
    r->far = tap_bridge_peer("emt0", "pt1");
    r->got = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
}

static void rig_down(Rig *r)
{
    g_ptr_array_unref(r->got);
    close(r->far);
    net_backend_free(r->be);
    test_peer_destroy(&r->p);
    g_main_context_unref(r->ctx);
}

static uint64_t writes_to_tap(void)
{
    /* What we write, the kernel counts as received on the tap. */
    return tap_sysfs_u64("emt0", "statistics/rx_packets");
}

/* pcap records that are TCP segments with right checksums. */
static guint pcap_good_segments(const char *path)
{
    g_autoptr(GPtrArray) recs =
        g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    guint i, n = 0;

    test_pcap_read(path, recs, NULL);
    for (i = 0; i < recs->len; i++) {
        size_t len;
        const uint8_t *f = g_bytes_get_data(recs->pdata[i], &len);
        NetFrameInfo info;

        net_parse_frame(f, len, &info);
        if (info.l4_proto == IP_PROTO_TCP && len > info.l4_off + 20) {
            g_assert_cmpuint(len, <=, ETH_HLEN + 1500);
            test_assert_csum_ok(f, len);
            n++;
        }
    }
    return n;
}

/* ---- Guest to host ---- */

static void tso_common(bool v6)
{
    static uint8_t frame[NET_MAX_FRAME];
    g_autofree char *dir = g_dir_make_tmp("emunet-tso-XXXXXX", NULL);
    g_autofree char *cap = g_build_filename(dir, "tso.pcap", NULL);
    g_autoptr(GError) err = NULL;
    const size_t plen = 64000;
    NetOffload off;
    uint64_t before;
    size_t len;
    size_t mss = v6 ? MSS6 : MSS;
    guint nsegs = (plen + mss - 1) / mss;
    Rig r;

    rig_up(&r, "tap,id=n0,ifname=emt0");
    g_assert_true(net_peer_offload_ok(&r.p.nc));
    g_assert_true(net_dump_attach(r.be, cap, 0, &err));
    len = v6 ? build_tso_v6(frame, plen, 1000, &off)
             : build_tso_v4(frame, plen, 1000, TCP_ACK | TCP_PSH, &off);
    before = writes_to_tap();
    g_assert_cmpint(test_peer_send_offload(&r.p, &off, frame, len), ==,
                    NET_SEND_OK);
    /* One write for the whole super-frame. */
    g_assert_cmpuint(writes_to_tap() - before, ==, 1);
    g_assert_cmpuint(r.be->stats.tx_frames, ==, 1);
    g_assert_cmpuint(r.be->stats.tx_bytes, ==, len);

    tap_read_until(r.ctx, r.far, r.got, nsegs, true, 2000);
    g_assert_cmpuint(check_segments(r.got, v6, plen, 1000), ==, nsegs);

    /* The tee saw the segments, finished, not the super-frame. */
    net_dump_detach(r.be);
    g_assert_cmpuint(pcap_good_segments(cap), ==, nsegs);
    g_unlink(cap);
    g_rmdir(dir);
    rig_down(&r);
}

static void test_tso_v4(void)
{
    tso_common(false);
}

static void test_tso_v6(void)
{
    tso_common(true);
}

/* Checksum insertion only: the kernel completes the seeded sum. */
static void test_csum(void)
{
    uint8_t frame[600], payload[500];
    NetOffload off = {.csum = true};
    uint8_t *ip = frame + ETH_HLEN;
    uint32_t sum;
    size_t len, i;
    Rig r;

    rig_up(&r, "tap,id=n0,ifname=emt0");
    for (i = 0; i < sizeof(payload); i++) {
        payload[i] = payload_byte(i);
    }
    len = test_build_udp4(frame, mac_far, test_mac_guest, GUEST_IP, HOST_IP,
                          5000, 5001, payload, sizeof(payload));
    /* Seed: the pseudo-header sum, as a guest's driver does. */
    sum =
        net_pseudo_sum_v4(ip + 12, ip + 16, IP_PROTO_UDP, 8 + sizeof(payload));
    st16_be(frame + ETH_HLEN + 26, (uint16_t)~net_csum_finish(sum));
    off.csum_start = ETH_HLEN + 20;
    off.csum_offset = 6;
    g_assert_cmpint(test_peer_send_offload(&r.p, &off, frame, len), ==,
                    NET_SEND_OK);

    len = test_build_tcp4(frame, mac_far, test_mac_guest, GUEST_IP, HOST_IP,
                          40000, 5001, 1, 1, TCP_ACK, 1000, payload, 300);
    sum = net_pseudo_sum_v4(ip + 12, ip + 16, IP_PROTO_TCP, 20 + 300);
    st16_be(frame + ETH_HLEN + 36, (uint16_t)~net_csum_finish(sum));
    off.csum_offset = 16;
    g_assert_cmpint(test_peer_send_offload(&r.p, &off, frame, len), ==,
                    NET_SEND_OK);

    tap_read_until(r.ctx, r.far, r.got, 2, true, 2000);
    g_assert_cmpuint(r.got->len, ==, 2);
    for (i = 0; i < 2; i++) {
        size_t flen;
        const uint8_t *f = g_bytes_get_data(r.got->pdata[i], &flen);

        test_assert_csum_ok(f, flen);
    }
    rig_down(&r);
}

/* Requests that do not match their frame are dropped before the kernel. */
static void test_invalid(void)
{
    static uint8_t frame[8000];
    NetOffload good, off;
    size_t len;
    uint64_t before;
    int i;
    Rig r;

    rig_up(&r, "tap,id=n0,ifname=emt0");
    len = build_tso_v4(frame, 5000, 1, TCP_ACK, &good);
    before = writes_to_tap();
    for (i = 0; i < 7; i++) {
        off = good;
        switch (i) {
        case 0:
            off.gso_size = 0;
            break;
        case 1:
            off.gso_type = NET_GSO_TCPV6;
            break;
        case 2:
            off.hdr_len = ETH_HLEN + 44;
            break;
        case 3:
            off.csum = false;
            break;
        case 4:
            off.csum_start = ETH_HLEN;
            break;
        case 5:
            off.gso_type = NET_GSO_NONE;
            off.csum_start = (uint16_t)(len - 1);
            break;
        case 6:
            off.gso_type = (NetGsoType)9;
            break;
        }
        g_assert_cmpint(test_peer_send_offload(&r.p, &off, frame, len), ==,
                        NET_SEND_DROP);
    }
    g_assert_cmpuint(r.be->stats.tx_errors, ==, 7);
    g_assert_cmpuint(writes_to_tap(), ==, before);
    /* Not IP at all. */
    test_fill_frame(frame, 200, 1);
    g_assert_cmpint(test_peer_send_offload(&r.p, &good, frame, 200), ==,
                    NET_SEND_DROP);
    g_assert_cmpuint(r.be->stats.tx_errors, ==, 8);
    test_run_for(r.ctx, 50);
    tap_read_frames(r.far, r.got, true);
    g_assert_cmpuint(r.got->len, ==, 0);
    rig_down(&r);
}

/* Without a virtio-net header the generic layer segments: one write each. */
static void test_vnet_off(void)
{
    static uint8_t frame[NET_MAX_FRAME];
    const size_t plen = 20000;
    guint nsegs = (plen + MSS - 1) / MSS;
    NetOffload off;
    uint64_t before;
    size_t len;
    Rig r;

    rig_up(&r, "tap,id=n0,ifname=emt0,vnet_hdr=off");
    g_assert_false(net_peer_offload_ok(&r.p.nc));
    len = build_tso_v4(frame, plen, 77, TCP_ACK | TCP_PSH, &off);
    before = writes_to_tap();
    g_assert_cmpint(test_peer_send_offload(&r.p, &off, frame, len), ==,
                    NET_SEND_OK);
    g_assert_cmpuint(writes_to_tap() - before, ==, nsegs);
    g_assert_cmpuint(r.be->stats.tx_frames, ==, nsegs);
    tap_read_until(r.ctx, r.far, r.got, nsegs, true, 2000);
    g_assert_cmpuint(check_segments(r.got, false, plen, 77), ==, nsegs);
    rig_down(&r);
}

/*
 * An IPv4 super-frame longer than an IP packet may be (the NIC's limit is
 * NET_MAX_FRAME): the tap segments it itself.
 */
static void test_oversize_v4(void)
{
    static uint8_t frame[NET_MAX_FRAME];
    const size_t plen = NET_MAX_FRAME - ETH_HLEN - 40;
    guint nsegs = (plen + MSS - 1) / MSS;
    NetOffload off;
    uint64_t before;
    size_t len;
    Rig r;

    rig_up(&r, "tap,id=n0,ifname=emt0");
    len = build_tso_v4(frame, plen, 5, TCP_ACK | TCP_PSH, &off);
    g_assert_cmpuint(len - ETH_HLEN, >, 65535);
    before = writes_to_tap();
    g_assert_cmpint(test_peer_send_offload(&r.p, &off, frame, len), ==,
                    NET_SEND_OK);
    g_assert_cmpuint(writes_to_tap() - before, ==, nsegs);
    tap_read_until(r.ctx, r.far, r.got, nsegs, true, 2000);
    g_assert_cmpuint(check_segments(r.got, false, plen, 5), ==, nsegs);
    rig_down(&r);
}

/* A segment size the tap's MTU cannot carry: dropped and counted. */
static void test_gso_mtu(void)
{
    static uint8_t frame[20000];
    NetOffload off;
    size_t len;
    Rig r;

    rig_up(&r, "tap,id=n0,ifname=emt0");
    len = build_tso_v4(frame, 10000, 5, TCP_ACK, &off);
    off.gso_size = 1461;
    g_assert_cmpint(test_peer_send_offload(&r.p, &off, frame, len), ==,
                    NET_SEND_DROP);
    g_assert_cmpuint(r.be->stats.tx_drops, ==, 1);
    off.gso_size = 1460;
    g_assert_cmpint(test_peer_send_offload(&r.p, &off, frame, len), ==,
                    NET_SEND_OK);
    rig_down(&r);
}

/* ---- Host to guest ---- */

/* Our tap as a host interface with an address and the guest as a peer. */
static void host_side_up(void)
{
    test_sh("ip addr add " HOST_IP "/24 dev emt0");
    test_sh("ip neigh replace " GUEST_IP " lladdr 52:54:00:12:34:56 dev "
            "emt0 nud permanent");
    /* A first flight of 64 KB, so the kernel sends one super-frame. */
    test_sh("ip route replace 10.99.0.0/24 dev emt0 proto kernel scope link "
            "src " HOST_IP " initcwnd 64");
}

/* The next TCP/IPv4 frame to `dport` the NIC took from index *from. */
static const uint8_t *next_tcp(TestPeer *p, guint *from, uint16_t dport,
                               size_t *len, NetFrameInfo *info)
{
    while (*from < p->frames->len) {
        const uint8_t *f = g_bytes_get_data(p->frames->pdata[(*from)++], len);

        net_parse_frame(f, *len, info);
        if (info->ip_version == 4 && info->l4_proto == IP_PROTO_TCP &&
            ld16_be(f + info->l4_off + 2) == dport) {
            return f;
        }
    }
    return NULL;
}

/* The first UDP/IPv4 frame the NIC took, or NULL. */
static const uint8_t *first_udp(TestPeer *p, size_t *len)
{
    guint i;

    for (i = 0; i < p->frames->len; i++) {
        const uint8_t *f = g_bytes_get_data(p->frames->pdata[i], len);
        NetFrameInfo info;

        net_parse_frame(f, *len, &info);
        if (info.ip_version == 4 && info.l4_proto == IP_PROTO_UDP) {
            return f;
        }
    }
    return NULL;
}

static bool udp_seen(void *opaque)
{
    size_t len;

    return first_udp(opaque, &len) != NULL;
}

typedef struct SynWait {
    TestPeer *p;
    guint from;
    const uint8_t *syn;
    size_t len;
    NetFrameInfo info;
} SynWait;

static bool syn_seen(void *opaque)
{
    SynWait *w = opaque;

    while ((w->syn = next_tcp(w->p, &w->from, 5001, &w->len, &w->info))) {
        if (w->syn[w->info.l4_off + 13] & TCP_SYN) {
            return true;
        }
    }
    return false;
}

/*
 * The kernel sends us a UDP datagram with its checksum left partial, and
 * a 60000-byte TCP write as super-frames: the NIC gets finished frames of
 * at most the MTU, while it takes only a few per doorbell.
 */
static void test_rx_offload(void)
{
    g_autofree char *dir = g_dir_make_tmp("emunet-rx-XXXXXX", NULL);
    g_autofree char *cap = g_build_filename(dir, "rx.pcap", NULL);
    g_autoptr(GError) err = NULL;
    const size_t total = 60000;
    g_autofree uint8_t *data = g_malloc(total);
    g_autofree uint8_t *got = g_malloc0(total);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(5001)};
    uint8_t frame[200], host_mac[ETH_ALEN];
    uint64_t tx_before;
    SynWait w = {0};
    size_t done = 0, sent = 0, len;
    guint from, segs = 0;
    uint32_t isn;
    uint16_t cport;
    gint64 end;
    int us, cs, soerr = -1;
    socklen_t sl = sizeof(soerr);
    TestPeer p;
    GMainContext *ctx = g_main_context_new();
    NetBackend *be;

    test_peer_init(&p);
    be = test_backend_up(ctx, &p, "tap,id=n0,ifname=emt0");
    net_peer_set_link(&p.nc, true);
    g_assert_true(net_dump_attach(be, cap, 0, &err));
    host_side_up();
    test_ip4(GUEST_IP, (uint8_t *)&sa.sin_addr);

    /* UDP: checksum partial on a tap that said it can finish it. */
    us = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    memset(frame, 0xa5, sizeof(frame));
    g_assert_cmpint(
        sendto(us, frame, 150, 0, (struct sockaddr *)&sa, sizeof(sa)), ==, 150);
    close(us);
    g_assert_true(test_wait(ctx, udp_seen, &p, 2000));
    {
        const uint8_t *f = first_udp(&p, &len);

        test_assert_csum_ok(f, len);
        g_assert_cmpmem(f + len - 150, 150, frame, 150);
    }

    /* TCP: the kernel connects to the "guest". */
    tx_before = tap_sysfs_u64("emt0", "statistics/tx_packets");
    cs = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    g_assert_cmpint(connect(cs, (struct sockaddr *)&sa, sizeof(sa)), ==, -1);
    g_assert_cmpint(errno, ==, EINPROGRESS);
    w.p = &p;
    g_assert_true(test_wait(ctx, syn_seen, &w, 2000));
    memcpy(host_mac, w.syn + 6, ETH_ALEN);
    isn = ld32_be(w.syn + w.info.l4_off + 4);
    cport = ld16_be(w.syn + w.info.l4_off);
    len = test_build_tcp4(frame, host_mac, test_mac_guest, GUEST_IP, HOST_IP,
                          5001, cport, 7000, isn + 1, TCP_SYN | TCP_ACK, 65535,
                          NULL, 0);
    g_assert_cmpint(test_peer_send(&p, frame, len), ==, NET_SEND_OK);
    end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < end) {
        struct pollfd pfd = {.fd = cs, .events = POLLOUT};

        test_run_for(ctx, 5);
        if (poll(&pfd, 1, 0) == 1) {
            break;
        }
    }
    g_assert_cmpint(getsockopt(cs, SOL_SOCKET, SO_ERROR, &soerr, &sl), ==, 0);
    g_assert_cmpint(soerr, ==, 0);

    for (size_t i = 0; i < total; i++) {
        data[i] = payload_byte(i);
    }
    from = w.from;
    end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (done < total && g_get_monotonic_time() < end) {
        const uint8_t *f;
        NetFrameInfo info;
        size_t acked = done;

        if (sent < total) {
            ssize_t n = send(cs, data + sent, total - sent, MSG_NOSIGNAL);

            if (n > 0) {
                sent += n;
            }
        }
        /* A NIC with little room: a few frames per doorbell. */
        p.budget = 3;
        net_peer_rx_ready(&p.nc);
        test_run_for(ctx, 2);
        while ((f = next_tcp(&p, &from, 5001, &len, &info))) {
            size_t off = info.l4_off + info.l4_hdr_len;
            size_t plen = len - off;
            size_t at = ld32_be(f + info.l4_off + 4) - (isn + 1);

            if (!plen) {
                continue;
            }
            g_assert_cmpuint(len, <=, ETH_HLEN + 1500);
            test_assert_csum_ok(f, len);
            if (at + plen <= done) {
                continue; /* a retransmission */
            }
            g_assert_cmpuint(at, ==, done);
            g_assert_cmpuint(done + plen, <=, total);
            memcpy(got + done, f + off, plen);
            done += plen;
            segs++;
        }
        if (done != acked) {
            len = test_build_tcp4(
                frame, host_mac, test_mac_guest, GUEST_IP, HOST_IP, 5001, cport,
                7001, (uint32_t)(isn + 1 + done), TCP_ACK, 65535, NULL, 0);
            g_assert_cmpint(test_peer_send(&p, frame, len), ==, NET_SEND_OK);
        }
    }
    g_assert_cmpuint(done, ==, total);
    g_assert_cmpmem(got, total, data, total);
    /* The kernel handed over fewer, larger frames than the NIC got. */
    g_assert_cmpuint(
        segs, >, tap_sysfs_u64("emt0", "statistics/tx_packets") - tx_before);
    g_assert_cmpuint(be->stats.rx_drops, ==, 0);
    g_assert_cmpuint(be->stats.rx_errors, ==, 0);

    /* The tee recorded what the NIC got: finished segments. */
    net_dump_detach(be);
    g_assert_cmpuint(pcap_good_segments(cap), >=, segs);
    g_unlink(cap);
    g_rmdir(dir);
    close(cs);
    net_backend_free(be);
    test_peer_destroy(&p);
    g_main_context_unref(ctx);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    TEST_NS("/tap/offload/tso-v4", test_tso_v4, NULL);
    TEST_NS("/tap/offload/tso-v6", test_tso_v6, NULL);
    TEST_NS("/tap/offload/csum", test_csum, NULL);
    TEST_NS("/tap/offload/invalid", test_invalid, NULL);
    TEST_NS("/tap/offload/vnet-off", test_vnet_off, NULL);
    TEST_NS("/tap/offload/oversize-v4", test_oversize_v4, NULL);
    TEST_NS("/tap/offload/gso-mtu", test_gso_mtu, NULL);
    TEST_NS("/tap/offload/rx", test_rx_offload, NULL);
    return g_test_run();
}
