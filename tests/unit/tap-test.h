/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the tap tests (test-tap.c, test-tap-offload.c): interface
 * state from ioctls and this namespace's sysfs, packet sockets and raw
 * taps as the far side. Static inline: each test uses a part.
 */
#ifndef EMUNET_TESTS_TAP_TEST_H
#define EMUNET_TESTS_TAP_TEST_H

#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* <linux/if_ether.h> spells it 0x86DD; hw/net/net_util.h 0x86dd. */
#undef ETH_P_IPV6

#include "netbe-test.h"

static inline bool tap_exists(const char *name)
{
    return if_nametoindex(name) != 0;
}

/* A number from /sys/class/net/NAME/ATTR (decimal or 0x hex). */
static inline uint64_t tap_sysfs_u64(const char *name, const char *attr)
{
    g_autofree char *path = g_strdup_printf("/sys/class/net/%s/%s", name, attr);
    g_autofree char *text = NULL;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return g_ascii_strtoull(text, NULL, 0);
}

/* /sys/class/net/NAME/carrier: 1, 0, or -1 when unreadable (down). */
static inline int tap_carrier(const char *name)
{
    g_autofree char *path = g_strdup_printf("/sys/class/net/%s/carrier", name);
    g_autofree char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return -1;
    }
    return (int)g_ascii_strtoll(text, NULL, 10);
}

/* The bridge NAME is a port of, or NULL. */
static inline char *tap_master(const char *name)
{
    g_autofree char *path = g_strdup_printf("/sys/class/net/%s/master", name);
    g_autofree char *target = g_file_read_link(path, NULL);

    return target ? g_path_get_basename(target) : NULL;
}

static inline bool tap_is_up(const char *name)
{
    struct ifreq ifr;
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    memset(&ifr, 0, sizeof(ifr));
    g_strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
    g_assert_cmpint(ioctl(s, SIOCGIFFLAGS, &ifr), ==, 0);
    close(s);
    return (ifr.ifr_flags & IFF_UP) != 0;
}

/* A tap opened the way a privileged parent would (fd= tests, far ends). */
static inline int tap_raw_open(const char *name, short flags)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

    g_assert_cmpint(fd, >=, 0);
    memset(&ifr, 0, sizeof(ifr));
    g_strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
    ifr.ifr_flags = flags;
    g_assert_cmpint(ioctl(fd, TUNSETIFF, &ifr), ==, 0);
    return fd;
}

/* ---- Packet sockets on an interface ---- */

static inline int tap_packet_open(const char *name)
{
    struct sockaddr_ll sll;
    int one = 1;
    int s = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   htons(ETH_P_ALL));

    g_assert_cmpint(s, >=, 0);
    /* Our own sends are not captures. */
    g_assert_cmpint(
        setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)),
        ==, 0);
    memset(&sll, 0, sizeof(sll));
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = (int)if_nametoindex(name);
    g_assert_cmpint(sll.sll_ifindex, >, 0);
    g_assert_cmpint(bind(s, (struct sockaddr *)&sll, sizeof(sll)), ==, 0);
    return s;
}

static inline void tap_packet_send(int s, const void *frame, size_t len)
{
    g_assert_cmpint(send(s, frame, len, 0), ==, (ssize_t)len);
}

/* Send where the kernel may refuse (no carrier): the result is not ours. */
static inline void tap_packet_send_dropped(int s, const void *frame, size_t len)
{
    if (send(s, frame, len, 0) < 0) {
        g_test_message("packet send: %s", g_strerror(errno));
    }
}

/* The frame, without an 802.1Q tag (the kernel moves tags aside). */
static inline size_t tap_untagged(const uint8_t *frame, size_t len,
                                  uint8_t *out)
{
    if (len >= 18 && ld16_be(frame + 12) == ETH_P_VLAN) {
        memcpy(out, frame, 12);
        memcpy(out + 12, frame + 16, len - 16);
        return len - 4;
    }
    memcpy(out, frame, len);
    return len;
}

/* Next frame of our ethertype on s within 2 s, or 0 bytes. */
static inline ssize_t tap_packet_next(int s, uint8_t *buf, size_t cap,
                                      int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        struct pollfd pfd = {.fd = s, .events = POLLIN};
        gint64 left = (end - g_get_monotonic_time()) / 1000;
        ssize_t n;

        if (left < 0 || poll(&pfd, 1, (int)left) <= 0) {
            return 0;
        }
        n = recv(s, buf, cap, MSG_DONTWAIT);
        if (n >= ETH_HLEN && ld16_be(buf + 12) == TEST_ETHERTYPE) {
            return n;
        }
    }
}

/* The next test frame on s is `frame` (compared without a VLAN tag). */
static inline void tap_packet_expect(int s, const uint8_t *frame, size_t len)
{
    g_autofree uint8_t *want = g_malloc(len);
    g_autofree uint8_t *got = g_malloc(len + 64);
    size_t wlen = tap_untagged(frame, len, want);
    ssize_t n = tap_packet_next(s, got, len + 64, 2000);

    g_assert_cmpmem(got, n, want, wlen);
}

static inline void tap_packet_expect_none(int s)
{
    uint8_t buf[2048];

    g_assert_cmpint(tap_packet_next(s, buf, sizeof(buf), 50), ==, 0);
}

/* A frame with an 802.1Q tag (VID 5) around our ethertype. */
static inline void tap_fill_vlan_frame(uint8_t *buf, size_t len, uint32_t seq)
{
    test_fill_frame(buf, len, seq);
    memmove(buf + 16, buf + 12, len - 16);
    st16_be(buf + 12, ETH_P_VLAN);
    st16_be(buf + 14, 5);
    st16_be(buf + 16, TEST_ETHERTYPE);
}

/* ---- The recording NIC's frames of our ethertype ---- */

static inline guint tap_count_test_frames(TestPeer *p)
{
    guint i, n = 0;

    for (i = 0; i < p->frames->len; i++) {
        size_t len;
        const uint8_t *d = g_bytes_get_data(p->frames->pdata[i], &len);

        n += ld16_be(d + 12) == TEST_ETHERTYPE;
    }
    return n;
}

typedef struct TapFrameWait {
    TestPeer *p;
    guint n;
} TapFrameWait;

static inline bool tap_enough_frames(void *opaque)
{
    TapFrameWait *w = opaque;

    return tap_count_test_frames(w->p) >= w->n;
}

static inline bool tap_wait_test_frames(GMainContext *ctx, TestPeer *p, guint n)
{
    TapFrameWait w = {p, n};

    return test_wait(ctx, tap_enough_frames, &w, 2000);
}

/* The test frames the NIC got are seq0.. with lengths lens[], in order. */
static inline void tap_assert_test_frames(TestPeer *p, uint32_t seq0,
                                          const size_t *lens, guint n)
{
    guint i, k = 0;

    for (i = 0; i < p->frames->len; i++) {
        size_t len;
        const uint8_t *d = g_bytes_get_data(p->frames->pdata[i], &len);

        if (ld16_be(d + 12) != TEST_ETHERTYPE) {
            continue;
        }
        g_assert_cmpuint(k, <, n);
        g_assert_true(test_frame_is(p->frames->pdata[i], lens[k], seq0 + k));
        k++;
    }
    g_assert_cmpuint(k, ==, n);
}

/* ---- A raw tap on a bridge as the far end ---- */

/*
 * Bridge br9 with `ours` and a new tap `peer` opened here without
 * offloads (so the kernel must finish every frame before handing it to
 * us). Returns the peer's fd.
 */
static inline int tap_bridge_peer(const char *ours, const char *peer)
{
    int fd = tap_raw_open(peer, IFF_TAP | IFF_NO_PI);

    if (!tap_exists("br9")) {
        test_sh("ip link add br9 type bridge");
    }
    test_sh("ip link set br9 up");
    test_sh("ip link set %s master br9", ours);
    test_sh("ip link set %s master br9 up", peer);
    return fd;
}

/*
 * Append every frame from the test's guest MAC waiting on a tap fd: of
 * any type if `all`, else of our ethertype. (The host's own frames, such
 * as a bridge's IGMP reports, are not the test's.)
 */
static inline void tap_read_frames(int fd, GPtrArray *got, bool all)
{
    uint8_t buf[65536 + 64];
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        if (n < ETH_HLEN || memcmp(buf + 6, test_mac_guest, ETH_ALEN) != 0) {
            continue;
        }
        if (all || ld16_be(buf + 12) == TEST_ETHERTYPE) {
            g_ptr_array_add(got, g_bytes_new(buf, n));
        }
    }
}

static inline void tap_read_test_frames(int fd, GPtrArray *got)
{
    tap_read_frames(fd, got, false);
}

/* Read from a tap fd, running the loop, until `n` frames are there. */
static inline void tap_read_until(GMainContext *ctx, int fd, GPtrArray *got,
                                  guint n, bool all, int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    while (got->len < n && g_get_monotonic_time() < end) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};

        test_pump(ctx);
        poll(&pfd, 1, 5);
        tap_read_frames(fd, got, all);
    }
}

static inline void tap_read_test_frames_until(GMainContext *ctx, int fd,
                                              GPtrArray *got, guint n,
                                              int timeout_ms)
{
    tap_read_until(ctx, fd, got, n, false, timeout_ms);
}

/* test_wait, returning how many loop iterations it took. */
static inline guint tap_wait_counting(GMainContext *ctx, TestCond *cond,
                                      void *opaque, int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    GSource *tick = g_timeout_source_new(5);
    guint iters = 0;

    g_source_set_callback(tick, test_wake, NULL, NULL);
    g_source_attach(tick, ctx);
    while (!cond(opaque) && g_get_monotonic_time() < end) {
        g_main_context_iteration(ctx, TRUE);
        iters++;
    }
    g_source_destroy(tick);
    g_source_unref(tick);
    return iters;
}

#endif
