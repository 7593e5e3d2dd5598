/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the backend tests (test-tap, test-slirp, test-dgram,
 * test-dump): a recording NIC, main-loop pumping, frame builders, and
 * running a test case in network (and mount) namespaces of its own, so
 * that tests create interfaces and bind ports without touching the
 * host's. Everything here is static inline: each test uses a part.
 */
#ifndef EMUNET_TESTS_NETBE_TEST_H
#define EMUNET_TESTS_NETBE_TEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include "emunet/net.h"
#include "emunet/opts.h"
#include "hw/net/net_util.h"

/* Bounds every loop that waits on a backend, so a bug fails, not hangs. */
#define TEST_SPIN_MAX 100000
/* Experimental ethertype (IEEE 802 local experimental 1) for test frames. */
#define TEST_ETHERTYPE 0x88b5

/* ---- A recording NIC ---- */

typedef struct TestPeer {
    NetPeer nc;
    /* Frames taken, as GBytes, in order. */
    GPtrArray *frames;
    /* can_receive() answer. */
    bool can;
    /* Frames receive() takes before it refuses; -1: no limit. */
    int budget;
    bool link_up;
    int link_events;
    int tx_ready_calls;
    /* Set around our own sends: a frame arriving then is re-entry. */
    bool in_send;
    int reentered;
} TestPeer;

static inline bool test_peer_can_receive(NetPeer *nc)
{
    return ((TestPeer *)nc)->can;
}

static inline bool test_peer_receive(NetPeer *nc, const uint8_t *buf,
                                     size_t len)
{
    TestPeer *p = (TestPeer *)nc;

    g_assert_cmpuint(len, >=, ETH_HLEN);
    g_assert_cmpuint(len, <=, NET_MAX_FRAME);
    if (p->in_send) {
        p->reentered++;
    }
    if (p->budget == 0) {
        return false;
    }
    if (p->budget > 0) {
        p->budget--;
    }
    g_ptr_array_add(p->frames, g_bytes_new(buf, len));
    return true;
}

static inline void test_peer_link_changed(NetPeer *nc, bool up)
{
    TestPeer *p = (TestPeer *)nc;

    p->link_up = up;
    p->link_events++;
}

static inline void test_peer_tx_ready(NetPeer *nc)
{
    ((TestPeer *)nc)->tx_ready_calls++;
}

static const NetPeerOps test_peer_ops = {
    .can_receive = test_peer_can_receive,
    .receive = test_peer_receive,
    .link_changed = test_peer_link_changed,
    .tx_ready = test_peer_tx_ready,
};

static inline void test_peer_init(TestPeer *p)
{
    memset(p, 0, sizeof(*p));
    p->nc.ops = &test_peer_ops;
    p->frames = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    p->can = true;
    p->budget = -1;
}

static inline void test_peer_destroy(TestPeer *p)
{
    g_ptr_array_unref(p->frames);
}

/* Send one frame as a NIC would, watching for re-entry. */
static inline NetSendResult test_peer_send(TestPeer *p, const void *buf,
                                           size_t len)
{
    struct iovec iov[3];
    NetSendResult r;
    size_t a = MIN(len, (size_t)ETH_HLEN);
    size_t b = (len - a) / 2;

    /* Three pieces, as a NIC gathers descriptors. */
    iov[0].iov_base = (void *)buf;
    iov[0].iov_len = a;
    iov[1].iov_base = (uint8_t *)buf + a;
    iov[1].iov_len = b;
    iov[2].iov_base = (uint8_t *)buf + a + b;
    iov[2].iov_len = len - a - b;
    p->in_send = true;
    r = net_peer_send(&p->nc, iov, 3);
    p->in_send = false;
    return r;
}

static inline NetSendResult test_peer_send_offload(TestPeer *p,
                                                   const NetOffload *off,
                                                   const void *buf, size_t len)
{
    struct iovec iov[2];
    NetSendResult r;
    size_t a = MIN(len, (size_t)40);

    iov[0].iov_base = (void *)buf;
    iov[0].iov_len = a;
    iov[1].iov_base = (uint8_t *)buf + a;
    iov[1].iov_len = len - a;
    p->in_send = true;
    r = net_peer_send_offload(&p->nc, off, iov, 2);
    p->in_send = false;
    return r;
}

/* ---- Backends and the loop ---- */

static inline NetBackend *test_new_backend(GMainContext *ctx, const char *str,
                                           GError **errp)
{
    static const char *const multi[] = {"hostfwd", NULL};
    g_autoptr(EmuOpts) opts = opts_parse(str, "type", multi, errp);

    if (!opts) {
        return NULL;
    }
    return net_backend_new(opts, ctx, errp);
}

/* A backend that must come up, connected to p. */
static inline NetBackend *test_backend_up(GMainContext *ctx, TestPeer *p,
                                          const char *str)
{
    g_autoptr(GError) err = NULL;
    NetBackend *be = test_new_backend(ctx, str, &err);

    g_assert_no_error(err);
    g_assert_nonnull(be);
    g_assert_true(net_connect(&p->nc, be, &err));
    g_assert_no_error(err);
    return be;
}

/* The error message of a backend that must fail to come up. */
static inline char *test_backend_error(const char *str)
{
    g_autoptr(GError) err = NULL;
    GMainContext *ctx = g_main_context_new();
    NetBackend *be = test_new_backend(ctx, str, &err);
    char *msg;

    if (be) {
        net_backend_free(be);
    }
    g_assert_null(be);
    g_assert_nonnull(err);
    msg = g_strdup(err->message);
    g_main_context_unref(ctx);
    return msg;
}

/* Dispatch until nothing is ready; fail if the backend never settles. */
static inline void test_pump(GMainContext *ctx)
{
    int n = 0;

    while (g_main_context_iteration(ctx, FALSE)) {
        g_assert_cmpint(++n, <, TEST_SPIN_MAX);
    }
}

static inline gboolean test_wake(gpointer data)
{
    return G_SOURCE_CONTINUE;
}

typedef bool TestCond(void *opaque);

/*
 * Run the loop (blocking, woken every 5 ms) until cond holds or
 * `timeout_ms` passes. Returns whether cond held.
 */
static inline bool test_wait(GMainContext *ctx, TestCond *cond, void *opaque,
                             int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    GSource *tick = g_timeout_source_new(5);
    bool ok;

    g_source_set_callback(tick, test_wake, NULL, NULL);
    g_source_attach(tick, ctx);
    while (!(ok = cond(opaque)) && g_get_monotonic_time() < end) {
        g_main_context_iteration(ctx, TRUE);
    }
    g_source_destroy(tick);
    g_source_unref(tick);
    return ok;
}

/* Run the loop for `ms` milliseconds. */
static inline bool test_never(void *opaque)
{
    return false;
}

static inline void test_run_for(GMainContext *ctx, int ms)
{
    test_wait(ctx, test_never, NULL, ms);
}

/* ---- Commands and namespaces ---- */

/* Run a command line (no shell); true when it exited 0. */
static inline bool test_sh_try(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static inline bool test_sh_try(const char *fmt, ...)
{
    g_autofree char *cmd = NULL;
    g_autofree char *out = NULL;
    g_autofree char *errs = NULL;
    g_auto(GStrv) argv = NULL;
    g_autoptr(GError) err = NULL;
    va_list ap;
    int status = -1;

    va_start(ap, fmt);
    cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, &err));
    if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                      &errs, &status, &err)) {
        g_test_message("%s: %s", cmd, err->message);
        return false;
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_test_message("%s: %s", cmd, errs);
        return false;
    }
    return true;
}

#define test_sh(...) g_assert_true(test_sh_try(__VA_ARGS__))

/* Write a string to a file (sysctl); true on success. */
static inline bool test_write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0) {
        return false;
    }
    n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text);
}

/*
 * In a test subprocess: enter new network and mount namespaces (gone when
 * the subprocess exits), with this namespace's sysfs, loopback up and
 * IPv6 off (no router solicitations in the captures).
 */
static inline void test_enter_namespaces(void)
{
    g_assert_cmpint(unshare(CLONE_NEWNET | CLONE_NEWNS), ==, 0);
    g_assert_cmpint(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), ==, 0);
    g_assert_cmpint(mount("sysfs", "/sys", "sysfs", 0, NULL), ==, 0);
    test_write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
    test_write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
    test_sh("ip link set lo up");
}

/* A test case body, and text its log must hold exactly once (or NULL). */
typedef struct NsTest {
    void (*fn)(void);
    const char *log_once;
} NsTest;

/* Run t->fn in a subprocess inside namespaces of its own. */
static inline void test_ns_run(gconstpointer data)
{
    const NsTest *t = data;

    if (g_test_subprocess()) {
        test_enter_namespaces();
        t->fn();
        return;
    }
    g_test_trap_subprocess(NULL, 120 * G_USEC_PER_SEC,
                           G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    if (t->log_once) {
        g_autofree char *once = g_strdup_printf("*%s*", t->log_once);
        g_autofree char *twice =
            g_strdup_printf("*%s*%s*", t->log_once, t->log_once);

        g_test_trap_assert_stderr(once);
        g_test_trap_assert_stderr_unmatched(twice);
    }
}

#define TEST_NS(path, func, once)                                              \
    do {                                                                       \
        static const NsTest t_ = {func, once};                                 \
        g_test_add_data_func(path, &t_, test_ns_run);                          \
    } while (0)

/* ---- Frames ---- */

static const uint8_t test_mac_guest[ETH_ALEN] = {0x52, 0x54, 0x00,
                                                 0x12, 0x34, 0x56};
static const uint8_t test_mac_bcast[ETH_ALEN] = {0xff, 0xff, 0xff,
                                                 0xff, 0xff, 0xff};

/* A frame of our test ethertype, content from seq and len. */
static inline void test_fill_frame(uint8_t *buf, size_t len, uint32_t seq)
{
    size_t i;

    g_assert_cmpuint(len, >=, 22);
    memcpy(buf, test_mac_bcast, ETH_ALEN);
    memcpy(buf + 6, test_mac_guest, ETH_ALEN);
    st16_be(buf + 12, TEST_ETHERTYPE);
    st32_be(buf + 14, seq);
    st32_be(buf + 18, (uint32_t)len);
    for (i = 22; i < len; i++) {
        buf[i] = (uint8_t)(seq * 131 + i * 7 + (i >> 8));
    }
}

static inline bool test_frame_is(GBytes *b, size_t len, uint32_t seq)
{
    size_t got;
    const uint8_t *data = g_bytes_get_data(b, &got);
    g_autofree uint8_t *want = g_malloc(len);

    test_fill_frame(want, len, seq);
    return got == len && memcmp(data, want, len) == 0;
}

static inline void test_ip4(const char *s, uint8_t *out)
{
    g_assert_cmpint(inet_pton(AF_INET, s, out), ==, 1);
}

/* Ethernet + IPv4 header (no options) for `l4_len` bytes of `proto`. */
static inline size_t test_put_eth_ip4(uint8_t *buf, const uint8_t *dmac,
                                      const uint8_t *smac, const char *sip,
                                      const char *dip, uint8_t proto,
                                      size_t l4_len, uint16_t id)
{
    uint8_t *ip = buf + ETH_HLEN;

    memcpy(buf, dmac, ETH_ALEN);
    memcpy(buf + 6, smac, ETH_ALEN);
    st16_be(buf + 12, ETH_P_IP);
    memset(ip, 0, 20);
    ip[0] = 0x45;
    st16_be(ip + 2, (uint16_t)(20 + l4_len));
    st16_be(ip + 4, id);
    st16_be(ip + 6, 0x4000); /* DF */
    ip[8] = 64;
    ip[9] = proto;
    test_ip4(sip, ip + 12);
    test_ip4(dip, ip + 16);
    st16_be(ip + 10, net_csum_finish(net_csum_add(0, ip, 20)));
    return ETH_HLEN + 20;
}

/* A UDP/IPv4 frame with a correct checksum. Returns its length. */
static inline size_t test_build_udp4(uint8_t *buf, const uint8_t *dmac,
                                     const uint8_t *smac, const char *sip,
                                     const char *dip, uint16_t sport,
                                     uint16_t dport, const void *payload,
                                     size_t plen)
{
    size_t off =
        test_put_eth_ip4(buf, dmac, smac, sip, dip, IP_PROTO_UDP, 8 + plen, 1);
    uint8_t *ip = buf + ETH_HLEN;
    uint8_t *uh = buf + off;
    uint32_t sum;
    uint16_t c;

    st16_be(uh, sport);
    st16_be(uh + 2, dport);
    st16_be(uh + 4, (uint16_t)(8 + plen));
    st16_be(uh + 6, 0);
    memcpy(uh + 8, payload, plen);
    sum =
        net_pseudo_sum_v4(ip + 12, ip + 16, IP_PROTO_UDP, (uint32_t)(8 + plen));
    c = net_csum_finish(net_csum_add(sum, uh, 8 + plen));
    st16_be(uh + 6, c ? c : 0xffff);
    return off + 8 + plen;
}

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80

/* A TCP/IPv4 frame (options: MSS 1460 on SYN) with a correct checksum. */
static inline size_t test_build_tcp4(uint8_t *buf, const uint8_t *dmac,
                                     const uint8_t *smac, const char *sip,
                                     const char *dip, uint16_t sport,
                                     uint16_t dport, uint32_t seq, uint32_t ack,
                                     uint8_t flags, uint16_t window,
                                     const void *payload, size_t plen)
{
    size_t thl = (flags & TCP_SYN) ? 24 : 20;
    size_t off = test_put_eth_ip4(buf, dmac, smac, sip, dip, IP_PROTO_TCP,
                                  thl + plen, 1);
    uint8_t *ip = buf + ETH_HLEN;
    uint8_t *th = buf + off;
    uint32_t sum;

    memset(th, 0, thl);
    st16_be(th, sport);
    st16_be(th + 2, dport);
    st32_be(th + 4, seq);
    st32_be(th + 8, ack);
    th[12] = (uint8_t)((thl / 4) << 4);
    th[13] = flags;
    st16_be(th + 14, window);
    if (flags & TCP_SYN) {
        th[20] = 2; /* MSS */
        th[21] = 4;
        st16_be(th + 22, 1460);
    }
    if (plen) {
        memcpy(th + thl, payload, plen);
    }
    sum = net_pseudo_sum_v4(ip + 12, ip + 16, IP_PROTO_TCP,
                            (uint32_t)(thl + plen));
    st16_be(th + 16, net_csum_finish(net_csum_add(sum, th, thl + plen)));
    return off + thl + plen;
}

/* Parse a frame and check its IP and TCP/UDP checksums are right. */
static inline void test_assert_csum_ok(const uint8_t *frame, size_t len)
{
    NetFrameInfo info;
    bool ipc, ipok, l4c, l4ok;

    net_parse_frame(frame, len, &info);
    g_assert_cmpint(info.ip_version, !=, 0);
    net_verify_csum(frame, len, &info, &ipc, &ipok, &l4c, &l4ok);
    if (info.ip_version == 4) {
        g_assert_true(ipc);
        g_assert_true(ipok);
    }
    g_assert_true(l4c);
    g_assert_true(l4ok);
}

/* ---- pcap files ---- */

/*
 * Read a capture file and check its format: the classic header (magic
 * 0xa1b2c3d4 in host order, version 2.4, Ethernet), every record whole,
 * incl_len <= snaplen and <= orig_len, nothing after the last record.
 * Appends each record's data to `records` and its orig_len to `origs`.
 */
static inline uint32_t test_pcap_read(const char *path, GPtrArray *records,
                                      GArray *origs)
{
    g_autofree char *data = NULL;
    size_t len, off = 24;
    uint32_t snaplen, hdr[6];

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpuint(len, >=, 24);
    memcpy(hdr, data, 24);
    g_assert_cmphex(hdr[0], ==, 0xa1b2c3d4);
    g_assert_cmpuint(hdr[1] & 0xffff, ==, 2);
    g_assert_cmpuint(hdr[1] >> 16, ==, 4);
    g_assert_cmpuint(hdr[2], ==, 0); /* thiszone */
    g_assert_cmpuint(hdr[3], ==, 0); /* sigfigs */
    snaplen = hdr[4];
    g_assert_cmpuint(hdr[5], ==, 1); /* LINKTYPE_ETHERNET */
    while (off < len) {
        uint32_t rec[4];

        g_assert_cmpuint(len - off, >=, 16);
        memcpy(rec, data + off, 16);
        g_assert_cmpuint(rec[1], <, 1000000); /* microseconds */
        g_assert_cmpuint(rec[2], <=, snaplen);
        g_assert_cmpuint(rec[2], <=, rec[3]);
        g_assert_cmpuint(len - off - 16, >=, rec[2]);
        g_ptr_array_add(records, g_bytes_new(data + off + 16, rec[2]));
        if (origs) {
            g_array_append_val(origs, rec[3]);
        }
        off += 16 + rec[2];
    }
    return snaplen;
}

#endif
