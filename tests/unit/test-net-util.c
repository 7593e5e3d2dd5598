/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests for hw/net/net_util.c: checksums against RFC 1071 and a naive
 * reference sum, CRC-32 against the standard check values, and the frame
 * parser and checksum verifier against frames built byte by byte here.
 * Every frame handed to the code under test sits in a heap buffer of
 * exactly its length, so ASan catches any read past `len`.
 */
#include <glib.h>
#include <string.h>

#include "emunet/net.h"
#include "hw/net/net_util.h"

#define TEST_FRAME_MAX 2048

typedef struct TestFrame {
    uint8_t b[TEST_FRAME_MAX];
    size_t len;
    size_t l3;
    size_t l4;
} TestFrame;

/* Documentation addresses: RFC 5737 (IPv4) and RFC 3849 (IPv6). */
static const uint8_t test_src4[4] = { 192, 0, 2, 1 };
static const uint8_t test_dst4[4] = { 198, 51, 100, 7 };
static const uint8_t test_src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t test_dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/*
 * Reference Internet checksum, as RFC 1071 section 1 describes it: add
 * 16-bit big-endian words (odd byte padded with zero), fold, complement.
 * Deliberately the slowest obvious way, sharing nothing with net_util.c.
 */
static uint16_t test_ref_csum(const uint8_t *buf, size_t len)
{
    uint64_t sum = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        sum += (i % 2 == 0) ? (uint64_t)buf[i] << 8 : buf[i];
    }
    while (sum > 0xffff) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)(~sum & 0xffff);
}

static void test_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Checksum of an L4 segment with its pseudo-header laid out in memory. */
static uint16_t test_ref_l4_csum(int ipver, uint8_t proto, const uint8_t *seg,
                                 size_t seglen, size_t csum_off)
{
    uint8_t buf[TEST_FRAME_MAX + 40];
    size_t n = 0;
    uint16_t c;

    if (ipver == 4) {
        /* RFC 793 section 3.1 / RFC 768 pseudo-header. */
        memcpy(buf, test_src4, 4);
        memcpy(buf + 4, test_dst4, 4);
        buf[8] = 0;
        buf[9] = proto;
        test_put16(buf + 10, (uint16_t)seglen);
        n = 12;
    } else {
        /* RFC 2460 section 8.1 pseudo-header. */
        memcpy(buf, test_src6, 16);
        memcpy(buf + 16, test_dst6, 16);
        buf[32] = 0;
        buf[33] = 0;
        test_put16(buf + 34, (uint16_t)seglen);
        buf[36] = 0;
        buf[37] = 0;
        buf[38] = 0;
        buf[39] = proto;
        n = 40;
    }
    memcpy(buf + n, seg, seglen);
    buf[n + csum_off] = 0;
    buf[n + csum_off + 1] = 0;
    c = test_ref_csum(buf, n + seglen);
    /* RFC 768: a computed zero is sent as all ones. */
    if (proto == IP_PROTO_UDP && c == 0) {
        c = 0xffff;
    }
    return c;
}

static void test_fix_ipv4_csum(TestFrame *f)
{
    uint8_t *ip = f->b + f->l3;
    size_t hlen = (size_t)(ip[0] & 0x0f) * 4;

    ip[10] = 0;
    ip[11] = 0;
    test_put16(ip + 10, test_ref_csum(ip, hlen));
}

static void test_fix_l4_csum(TestFrame *f, int ipver, uint8_t proto,
                             size_t seglen)
{
    size_t off = proto == IP_PROTO_TCP ? 16 : 6;
    uint8_t *seg = f->b + f->l4;

    test_put16(seg + off,
               test_ref_l4_csum(ipver, proto, seg, seglen, off));
}

static size_t test_put_eth(TestFrame *f, uint16_t type, bool vlan)
{
    static const uint8_t dst[6] = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 };
    static const uint8_t src[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
    size_t n = 12;

    memset(f->b, 0, sizeof(f->b));
    memcpy(f->b, dst, 6);
    memcpy(f->b + 6, src, 6);
    if (vlan) {
        test_put16(f->b + 12, ETH_P_VLAN);
        /* PCP 5, DEI 0, VID 0x123. */
        test_put16(f->b + 14, 0xa123);
        n = 16;
    }
    test_put16(f->b + n, type);
    return n + 2;
}

/* The L4 header (TCP: hlen incl. NOP options; UDP: 8) and payload. */
static void test_put_l4(TestFrame *f, uint8_t proto, size_t hlen,
                        size_t payload)
{
    uint8_t *l4 = f->b + f->l4;
    size_t i;

    if (proto == IP_PROTO_TCP) {
        test_put16(l4, 49152);
        test_put16(l4 + 2, 80);
        l4[4] = 0x12;
        l4[5] = 0x34;
        l4[6] = 0x56;
        l4[7] = 0x78;
        l4[11] = 0x01;
        l4[12] = (uint8_t)((hlen / 4) << 4);
        l4[13] = 0x18; /* PSH|ACK */
        test_put16(l4 + 14, 64240);
        memset(l4 + 20, 0x01, hlen - 20);
    } else if (proto == IP_PROTO_UDP) {
        test_put16(l4, 5353);
        test_put16(l4 + 2, 5353);
        test_put16(l4 + 4, (uint16_t)(8 + payload));
    }
    for (i = 0; i < payload; i++) {
        l4[hlen + i] = (uint8_t)(i * 7 + 3);
    }
}

/*
 * An IPv4 frame with ip_opt bytes of options and a TCP/UDP (or other)
 * L4 header of l4_hlen bytes plus `payload` bytes; all checksums valid.
 */
static void test_build_v4(TestFrame *f, bool vlan, size_t ip_opt,
                          uint8_t proto, size_t l4_hlen, size_t payload)
{
    size_t hlen = 20 + ip_opt;
    size_t total = hlen + l4_hlen + payload;
    uint8_t *ip;

    f->l3 = test_put_eth(f, ETH_P_IP, vlan);
    ip = f->b + f->l3;
    ip[0] = (uint8_t)(0x40 | (hlen / 4));
    test_put16(ip + 2, (uint16_t)total);
    test_put16(ip + 4, 0x1c46);
    test_put16(ip + 6, 0x4000); /* DF */
    ip[8] = 64;
    ip[9] = proto;
    memcpy(ip + 12, test_src4, 4);
    memcpy(ip + 16, test_dst4, 4);
    memset(ip + 20, 0x01, ip_opt);
    f->l4 = f->l3 + hlen;
    test_put_l4(f, proto, l4_hlen, payload);
    test_fix_ipv4_csum(f);
    if (proto == IP_PROTO_TCP || proto == IP_PROTO_UDP) {
        test_fix_l4_csum(f, 4, proto, l4_hlen + payload);
    }
    f->len = f->l3 + total;
}

static void test_build_v6(TestFrame *f, bool vlan, uint8_t nh,
                          size_t l4_hlen, size_t payload)
{
    uint8_t *ip;

    f->l3 = test_put_eth(f, ETH_P_IPV6, vlan);
    ip = f->b + f->l3;
    ip[0] = 0x60;
    ip[1] = 0x0a; /* traffic class / flow label bits */
    ip[2] = 0xbc;
    ip[3] = 0xde;
    test_put16(ip + 4, (uint16_t)(l4_hlen + payload));
    ip[6] = nh;
    ip[7] = 64;
    memcpy(ip + 8, test_src6, 16);
    memcpy(ip + 24, test_dst6, 16);
    f->l4 = f->l3 + 40;
    test_put_l4(f, nh, l4_hlen, payload);
    if (nh == IP_PROTO_TCP || nh == IP_PROTO_UDP) {
        test_fix_l4_csum(f, 6, nh, l4_hlen + payload);
    }
    f->len = f->l3 + 40 + l4_hlen + payload;
}

/* Parse a copy of exactly `len` bytes so any overread trips ASan. */
static void test_parse(const TestFrame *f, size_t len, NetFrameInfo *info)
{
    uint8_t *copy = g_memdup2(f->b, len);

    net_parse_frame(copy, len, info);
    g_free(copy);
}

typedef struct TestCsum {
    bool ip_checked, ip_ok, l4_checked, l4_ok;
} TestCsum;

static TestCsum test_verify(const TestFrame *f, size_t len)
{
    uint8_t *copy = g_memdup2(f->b, len);
    NetFrameInfo info;
    TestCsum r;

    net_parse_frame(copy, len, &info);
    net_verify_csum(copy, len, &info, &r.ip_checked, &r.ip_ok,
                    &r.l4_checked, &r.l4_ok);
    g_free(copy);
    return r;
}

/* ---- checksum ---- */

static void test_csum_rfc1071(void)
{
    /* RFC 1071 section 3 numerical example. */
    static const uint8_t data[8] = {
        0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7
    };
    uint32_t sum = net_csum_add(0, data, sizeof(data));

    /* 0x0001 + 0xf203 + 0xf4f5 + 0xf6f7 = 0x2ddf0, folded 0xddf2. */
    g_assert_cmphex(sum, ==, 0xddf2);
    g_assert_cmphex(net_csum_finish(sum), ==, 0x220d);
}

static void test_csum_ipv4_header(void)
{
    /* A commonly quoted IPv4 header whose checksum field holds 0xb861. */
    static const uint8_t hdr[20] = {
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
        0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7
    };
    uint8_t zeroed[20];

    memcpy(zeroed, hdr, sizeof(hdr));
    zeroed[10] = 0;
    zeroed[11] = 0;
    g_assert_cmphex(net_csum_finish(net_csum_add(0, zeroed, 20)), ==, 0xb861);
    g_assert_cmphex(net_csum_finish(net_csum_add(0, hdr, 20)), ==, 0);
}

static void test_csum_odd_length(void)
{
    static const uint8_t data[5] = { 0x12, 0x34, 0x56, 0x78, 0x9a };
    static const uint8_t padded[6] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0x00 };
    size_t len;

    /* 0x1234 + 0x5678 + 0x9a00 = 0x102ac -> 0x02ad -> ~ = 0xfd52 */
    g_assert_cmphex(net_csum_finish(net_csum_add(0, data, 5)), ==, 0xfd52);
    g_assert_cmphex(net_csum_finish(net_csum_add(0, data, 5)), ==,
                    net_csum_finish(net_csum_add(0, padded, 6)));
    for (len = 0; len <= 5; len++) {
        g_assert_cmphex(net_csum_finish(net_csum_add(0, data, len)), ==,
                        test_ref_csum(data, len));
    }
    g_assert_cmphex(net_csum_finish(net_csum_add(0, data, 1)), ==,
                    (uint16_t)~0x1200);
}

static void test_csum_random(void)
{
    uint8_t *buf = g_malloc(1601);
    int iter;
    size_t i;

    for (iter = 0; iter < 200; iter++) {
        size_t len = g_test_rand_int_range(0, 1600);
        size_t off = g_test_rand_int_range(0, 2);

        for (i = 0; i < len + off; i++) {
            buf[i] = (uint8_t)g_test_rand_int();
        }
        /* off = 1 runs over a misaligned pointer. */
        g_assert_cmphex(net_csum_finish(net_csum_add(0, buf + off, len)), ==,
                        test_ref_csum(buf + off, len));
    }
    g_free(buf);
}

static void test_csum_chained(void)
{
    uint8_t buf[301];
    size_t split, i;

    for (i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(i * 37 + 11);
    }
    /* Any even split point gives the same result as one call. */
    for (split = 0; split <= sizeof(buf); split += 2) {
        uint32_t sum = net_csum_add(0, buf, split);

        sum = net_csum_add(sum, buf + split, sizeof(buf) - split);
        g_assert_cmphex(net_csum_finish(sum), ==,
                        test_ref_csum(buf, sizeof(buf)));
    }
}

static void test_csum_carry(void)
{
    size_t len = NET_MAX_FRAME;
    uint8_t *buf = g_malloc(len);
    uint32_t sum;

    /*
     * All-ones data and a saturated starting accumulator: the end-around
     * carries must not be lost. Each 0xffff word is -0, so the checksum
     * of the data alone is 0, and adding -0 leaves the start value.
     */
    memset(buf, 0xff, len);
    sum = net_csum_add(1, buf, len);
    g_assert_cmphex(net_csum_finish(sum), ==, 0xfffe);
    g_assert_cmphex(sum, <=, 0xffff);
    sum = net_csum_add(0xffffffffu, buf, len);
    g_assert_cmphex(sum, <=, 0xffff);
    g_assert_cmphex(net_csum_finish(sum), ==, 0);
    sum = net_csum_add(0, buf, len);
    g_assert_cmphex(net_csum_finish(sum), ==, 0);
    sum = 0;
    for (int i = 0; i < 64; i++) {
        sum = net_csum_add(sum, buf, len & ~(size_t)1);
    }
    g_assert_cmphex(net_csum_finish(sum), ==, 0);
    g_free(buf);
}

static void test_csum_finish(void)
{
    g_assert_cmphex(net_csum_finish(0), ==, 0xffff);
    g_assert_cmphex(net_csum_finish(0xffff), ==, 0);
    g_assert_cmphex(net_csum_finish(0x1fffe), ==, 0);
    g_assert_cmphex(net_csum_finish(0x10000), ==, 0xfffe);
    g_assert_cmphex(net_csum_finish(0xffffffffu), ==, 0);
    g_assert_cmphex(net_csum_finish(0x12345678u), ==,
                    (uint16_t)~(0x1234 + 0x5678));
}

static void test_csum_pseudo_v4(void)
{
    uint8_t seg[37];
    uint8_t mem[12 + sizeof(seg)];
    uint32_t sum;
    size_t i;

    for (i = 0; i < sizeof(seg); i++) {
        seg[i] = (uint8_t)(0xa5 ^ (i * 13));
    }
    memcpy(mem, test_src4, 4);
    memcpy(mem + 4, test_dst4, 4);
    mem[8] = 0;
    mem[9] = IP_PROTO_UDP;
    test_put16(mem + 10, sizeof(seg));
    memcpy(mem + 12, seg, sizeof(seg));

    sum = net_pseudo_sum_v4(test_src4, test_dst4, IP_PROTO_UDP, sizeof(seg));
    sum = net_csum_add(sum, seg, sizeof(seg));
    g_assert_cmphex(net_csum_finish(sum), ==, test_ref_csum(mem, sizeof(mem)));
}

static void test_csum_pseudo_v6(void)
{
    uint8_t seg[70001];
    uint8_t *mem = g_malloc(40 + sizeof(seg));
    uint32_t sum;
    size_t i;

    /* Longer than 64 KiB: the 32-bit length's high half must count. */
    for (i = 0; i < sizeof(seg); i++) {
        seg[i] = (uint8_t)(i * 101 + 7);
    }
    memcpy(mem, test_src6, 16);
    memcpy(mem + 16, test_dst6, 16);
    mem[32] = 0;
    mem[33] = (uint8_t)(sizeof(seg) >> 16);
    test_put16(mem + 34, (uint16_t)sizeof(seg));
    mem[36] = 0;
    mem[37] = 0;
    mem[38] = 0;
    mem[39] = IP_PROTO_TCP;
    memcpy(mem + 40, seg, sizeof(seg));

    sum = net_pseudo_sum_v6(test_src6, test_dst6, IP_PROTO_TCP, sizeof(seg));
    sum = net_csum_add(sum, seg, sizeof(seg));
    g_assert_cmphex(net_csum_finish(sum), ==,
                    test_ref_csum(mem, 40 + sizeof(seg)));
    /* Partial sums may be added directly (the header promises room). */
    sum = net_pseudo_sum_v6(test_src6, test_dst6, IP_PROTO_TCP, sizeof(seg)) +
          net_csum_add(0, seg, sizeof(seg));
    g_assert_cmphex(net_csum_finish(sum), ==,
                    test_ref_csum(mem, 40 + sizeof(seg)));
    g_free(mem);
}

/* ---- CRC ---- */

/* Bit-at-a-time reflected CRC-32 (IEEE 802.3), the textbook way. */
static uint32_t test_ref_crc32(const uint8_t *buf, size_t len)
{
    uint32_t crc = 0xffffffffu;
    size_t i;
    int j;

    for (i = 0; i < len; i++) {
        crc ^= buf[i];
        for (j = 0; j < 8; j++) {
            crc = (crc & 1) ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
        }
    }
    return ~crc;
}

/*
 * The multicast hash as NIC datasheets draw it: an MSB-first register
 * (polynomial 0x04c11db7) fed each byte's bits LSB first, preset to all
 * ones, not complemented.
 */
static uint32_t test_ref_crc32_be(const uint8_t *buf, size_t len)
{
    uint32_t crc = 0xffffffffu;
    size_t i;
    int j;

    for (i = 0; i < len; i++) {
        uint8_t b = buf[i];

        for (j = 0; j < 8; j++) {
            uint32_t bit = (crc >> 31) ^ (b & 1u);

            crc <<= 1;
            b >>= 1;
            if (bit) {
                crc ^= 0x04c11db7u;
            }
        }
    }
    return crc;
}

static void test_crc32_check(void)
{
    static const char fox[] = "The quick brown fox jumps over the lazy dog";

    /* The CRC-32 (ISO-HDLC) check value. */
    g_assert_cmphex(net_crc32((const uint8_t *)"123456789", 9), ==,
                    0xcbf43926u);
    g_assert_cmphex(net_crc32((const uint8_t *)fox, strlen(fox)), ==,
                    0x414fa339u);
    g_assert_cmphex(net_crc32(NULL, 0), ==, 0);
}

static void test_crc32_residue(void)
{
    uint8_t frame[64 + 4];
    uint32_t fcs;
    size_t i;

    /*
     * IEEE 802.3 clause 3.2.9: the FCS goes out least significant byte
     * first; the CRC of frame + FCS is then the constant 0x2144df1c
     * (the complement of the magic residue 0xdebb20e3).
     */
    for (i = 0; i < 64; i++) {
        frame[i] = (uint8_t)(i * 29 + 1);
    }
    fcs = net_crc32(frame, 64);
    frame[64] = (uint8_t)fcs;
    frame[65] = (uint8_t)(fcs >> 8);
    frame[66] = (uint8_t)(fcs >> 16);
    frame[67] = (uint8_t)(fcs >> 24);
    g_assert_cmphex(net_crc32(frame, sizeof(frame)), ==, 0x2144df1cu);
}

static void test_crc32_random(void)
{
    uint8_t *buf = g_malloc(1519);
    int iter;
    size_t i;

    for (iter = 0; iter < 100; iter++) {
        size_t len = g_test_rand_int_range(0, 1518);
        size_t off = g_test_rand_int_range(0, 2);

        for (i = 0; i < len + off; i++) {
            buf[i] = (uint8_t)g_test_rand_int();
        }
        g_assert_cmphex(net_crc32(buf + off, len), ==,
                        test_ref_crc32(buf + off, len));
        g_assert_cmphex(net_crc32_be(buf + off, len), ==,
                        test_ref_crc32_be(buf + off, len));
    }
    g_free(buf);
}

static void test_crc32_be_hash(void)
{
    /* Values computed independently (bitwise, outside this code). */
    static const struct {
        uint8_t mac[6];
        uint32_t crc;
        unsigned bin;
    } v[] = {
        { { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 }, 0x7fa32d9bu, 31 },
        { { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 }, 0xf99baabau, 62 },
        { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 0xff48647du, 63 },
        { { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, 0x3a7abc72u, 14 },
    };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(v); i++) {
        uint32_t crc = net_crc32_be(v[i].mac, 6);

        g_assert_cmphex(crc, ==, v[i].crc);
        g_assert_cmpuint(crc >> 26, ==, v[i].bin);
    }
    g_assert_cmphex(net_crc32_be((const uint8_t *)"123456789", 9), ==,
                    0x9b63d02cu);
}

/* ---- addresses and padding ---- */

static void test_addr_classes(void)
{
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa };
    static const uint8_t mcast6[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x01 };
    static const uint8_t ucast[6] = { 0x00, 0x16, 0x3e, 0x01, 0x02, 0x03 };
    static const uint8_t local[6] = { 0x02, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t near[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe };

    g_assert_true(net_is_broadcast(bcast));
    g_assert_true(net_is_multicast(bcast));
    g_assert_true(net_is_multicast(mcast));
    g_assert_false(net_is_broadcast(mcast));
    g_assert_true(net_is_multicast(mcast6));
    g_assert_false(net_is_multicast(ucast));
    g_assert_false(net_is_broadcast(ucast));
    g_assert_false(net_is_multicast(local));
    g_assert_false(net_is_broadcast(local));
    g_assert_true(net_is_multicast(near));
    g_assert_false(net_is_broadcast(near));
}

static void test_pad_short(void)
{
    uint8_t buf[ETH_ZLEN + 4];
    size_t i;

    memset(buf, 0xaa, sizeof(buf));
    g_assert_cmpuint(net_pad_short(buf, 42, sizeof(buf)), ==, ETH_ZLEN);
    for (i = 0; i < 42; i++) {
        g_assert_cmphex(buf[i], ==, 0xaa);
    }
    for (i = 42; i < ETH_ZLEN; i++) {
        g_assert_cmphex(buf[i], ==, 0);
    }
    /* Nothing past ETH_ZLEN is touched. */
    for (i = ETH_ZLEN; i < sizeof(buf); i++) {
        g_assert_cmphex(buf[i], ==, 0xaa);
    }
}

static void test_pad_long(void)
{
    uint8_t buf[100];

    memset(buf, 0xaa, sizeof(buf));
    g_assert_cmpuint(net_pad_short(buf, ETH_ZLEN, sizeof(buf)), ==, ETH_ZLEN);
    g_assert_cmpuint(net_pad_short(buf, 99, sizeof(buf)), ==, 99);
    g_assert_cmphex(buf[59], ==, 0xaa);
    g_assert_cmphex(buf[98], ==, 0xaa);
}

static void test_pad_small_cap(void)
{
    /* Exact-size heap buffer: a write past cap would trip ASan. */
    uint8_t *buf = g_malloc(ETH_ZLEN - 1);

    memset(buf, 0xaa, ETH_ZLEN - 1);
    g_assert_cmpuint(net_pad_short(buf, 20, ETH_ZLEN - 1), ==, 20);
    g_assert_cmphex(buf[20], ==, 0xaa);
    g_free(buf);
}

/* ---- parser ---- */

/* Properties every parse result must have, whatever the input. */
static void test_check_invariants(const NetFrameInfo *i, size_t len)
{
    if (len < ETH_HLEN) {
        g_assert_cmpuint(i->ethertype, ==, 0);
        g_assert_cmpuint(i->l3_off, ==, 0);
    }
    g_assert_cmpuint(i->l3_off, <=, len);
    if (i->ip_version == 0) {
        g_assert_cmpuint(i->ip_hdr_len, ==, 0);
        g_assert_cmpuint(i->ip_total_len, ==, 0);
        g_assert_false(i->ip_fragment);
        g_assert_cmpuint(i->l4_proto, ==, 0);
        g_assert_cmpuint(i->l4_off, ==, 0);
        g_assert_cmpuint(i->l4_hdr_len, ==, 0);
        return;
    }
    g_assert_true(i->ip_version == 4 || i->ip_version == 6);
    g_assert_cmpuint(i->l3_off, >=, ETH_HLEN);
    g_assert_cmpuint(i->l3_off + i->ip_total_len, <=, len);
    g_assert_cmpuint(i->ip_hdr_len, <=, i->ip_total_len);
    if (i->ip_version == 4) {
        g_assert_cmpuint(i->ip_hdr_len, >=, 20);
        g_assert_cmpuint(i->ip_hdr_len, <=, 60);
    } else {
        g_assert_cmpuint(i->ip_hdr_len, ==, 40);
    }
    if (i->l4_off == 0) {
        g_assert_cmpuint(i->l4_hdr_len, ==, 0);
        g_assert_true(i->l4_proto != IP_PROTO_TCP &&
                      i->l4_proto != IP_PROTO_UDP);
        return;
    }
    g_assert_cmpuint(i->l4_off, ==, i->l3_off + i->ip_hdr_len);
    g_assert_cmpuint(i->l4_off + i->l4_hdr_len, <=,
                     i->l3_off + i->ip_total_len);
    if (i->l4_proto == IP_PROTO_TCP) {
        g_assert_cmpuint(i->l4_hdr_len, >=, 20);
        g_assert_cmpuint(i->l4_hdr_len, <=, 60);
    } else {
        g_assert_cmpuint(i->l4_proto, ==, IP_PROTO_UDP);
        g_assert_cmpuint(i->l4_hdr_len, ==, 8);
    }
}

static void test_parse_ipv4_tcp(void)
{
    TestFrame f;
    NetFrameInfo i;

    test_build_v4(&f, false, 0, IP_PROTO_TCP, 32, 100);
    test_parse(&f, f.len, &i);
    g_assert_cmphex(i.ethertype, ==, ETH_P_IP);
    g_assert_false(i.vlan);
    g_assert_cmpuint(i.l3_off, ==, 14);
    g_assert_cmpint(i.ip_version, ==, 4);
    g_assert_cmpuint(i.ip_hdr_len, ==, 20);
    g_assert_cmpuint(i.ip_total_len, ==, 20 + 32 + 100);
    g_assert_false(i.ip_fragment);
    g_assert_cmpuint(i.l4_proto, ==, IP_PROTO_TCP);
    g_assert_cmpuint(i.l4_off, ==, 34);
    g_assert_cmpuint(i.l4_hdr_len, ==, 32);
    test_check_invariants(&i, f.len);
}

static void test_parse_ipv4_udp_padded(void)
{
    TestFrame f;
    NetFrameInfo i;

    /* 14 + 20 + 8 + 4 = 46 bytes, padded to 60 as on the wire. */
    test_build_v4(&f, false, 0, IP_PROTO_UDP, 8, 4);
    g_assert_cmpuint(net_pad_short(f.b, f.len, sizeof(f.b)), ==, ETH_ZLEN);
    test_parse(&f, ETH_ZLEN, &i);
    g_assert_cmpint(i.ip_version, ==, 4);
    /* The Ethernet padding is not part of the datagram. */
    g_assert_cmpuint(i.ip_total_len, ==, 32);
    g_assert_cmpuint(i.l4_proto, ==, IP_PROTO_UDP);
    g_assert_cmpuint(i.l4_off, ==, 34);
    g_assert_cmpuint(i.l4_hdr_len, ==, 8);
    test_check_invariants(&i, ETH_ZLEN);
}

static void test_parse_vlan(void)
{
    TestFrame f;
    NetFrameInfo i;

    test_build_v4(&f, true, 0, IP_PROTO_UDP, 8, 10);
    test_parse(&f, f.len, &i);
    g_assert_true(i.vlan);
    g_assert_cmphex(i.vlan_tci, ==, 0xa123);
    g_assert_cmphex(i.ethertype, ==, ETH_P_IP);
    g_assert_cmpuint(i.l3_off, ==, 18);
    g_assert_cmpint(i.ip_version, ==, 4);
    g_assert_cmpuint(i.l4_off, ==, 38);
    g_assert_cmpuint(i.l4_proto, ==, IP_PROTO_UDP);
    test_check_invariants(&i, f.len);
}

static void test_parse_vlan_truncated(void)
{
    TestFrame f;
    NetFrameInfo i;

    test_build_v4(&f, true, 0, IP_PROTO_UDP, 8, 10);
    test_parse(&f, 17, &i);
    g_assert_false(i.vlan);
    g_assert_cmphex(i.ethertype, ==, ETH_P_VLAN);
    g_assert_cmpint(i.ip_version, ==, 0);
    test_check_invariants(&i, 17);
}

static void test_parse_short_eth(void)
{
    TestFrame f;
    NetFrameInfo i;
    size_t len;

    test_build_v4(&f, false, 0, IP_PROTO_TCP, 20, 0);
    for (len = 0; len < ETH_HLEN; len++) {
        test_parse(&f, len, &i);
        g_assert_cmphex(i.ethertype, ==, 0);
        g_assert_cmpint(i.ip_version, ==, 0);
        test_check_invariants(&i, len);
    }
    /* Just the Ethernet header: the type is known, no IP header. */
    test_parse(&f, ETH_HLEN, &i);
    g_assert_cmphex(i.ethertype, ==, ETH_P_IP);
    g_assert_cmpint(i.ip_version, ==, 0);
}

static void test_parse_arp(void)
{
    TestFrame f;
    NetFrameInfo i;

    f.l3 = test_put_eth(&f, ETH_P_ARP, false);
    /* Bytes that would pass for IPv4 must not be taken as such. */
    f.b[14] = 0x45;
    f.len = ETH_ZLEN;
    test_parse(&f, f.len, &i);
    g_assert_cmphex(i.ethertype, ==, ETH_P_ARP);
    g_assert_cmpint(i.ip_version, ==, 0);
    test_check_invariants(&i, f.len);
}

static void test_parse_ipv4_options(void)
{
    TestFrame f;
    NetFrameInfo i;

    /* IHL 15: the largest header, 40 bytes of options. */
    test_build_v4(&f, false, 40, IP_PROTO_TCP, 60, 3);
    test_parse(&f, f.len, &i);
    g_assert_cmpint(i.ip_version, ==, 4);
    g_assert_cmpuint(i.ip_hdr_len, ==, 60);
    g_assert_cmpuint(i.l4_off, ==, 14 + 60);
    g_assert_cmpuint(i.l4_hdr_len, ==, 60);
    g_assert_cmpuint(i.ip_total_len, ==, 60 + 60 + 3);
    test_check_invariants(&i, f.len);
}

static void test_parse_ipv4_other_proto(void)
{
    TestFrame f;
    NetFrameInfo i;

    /* ICMP echo: protocol named, no TCP/UDP header. */
    test_build_v4(&f, false, 0, 1, 8, 56);
    test_parse(&f, f.len, &i);
    g_assert_cmpint(i.ip_version, ==, 4);
    g_assert_cmpuint(i.l4_proto, ==, 1);
    g_assert_cmpuint(i.l4_off, ==, 0);
    g_assert_cmpuint(i.l4_hdr_len, ==, 0);
    test_check_invariants(&i, f.len);
}

static void test_parse_ipv4_bad_version(void)
{
    TestFrame f;
    NetFrameInfo i;

    test_build_v4(&f, false, 0, IP_PROTO_TCP, 20, 0);
    f.b[14] = 0x65;
    test_parse(&f, f.len, &i);
    g_assert_cmphex(i.ethertype, ==, ETH_P_IP);
    g_assert_cmpint(i.ip_version, ==, 0);
    test_check_invariants(&i, f.len);
}

static void test_parse_ipv4_ihl_small(void)
{
    TestFrame f;
    NetFrameInfo i;
    uint8_t ihl;

    test_build_v4(&f, false, 0, IP_PROTO_TCP, 20, 0);
    for (ihl = 0; ihl < 5; ihl++) {
        f.b[14] = (uint8_t)(0x40 | ihl);
        test_parse(&f, f.len, &i);
        g_assert_cmpint(i.ip_version, ==, 0);
        g_assert_cmpuint(i.l4_proto, ==, 0);
        test_check_invariants(&i, f.len);
    }
}

static void test_parse_ipv4_ihl_beyond(void)
{
    TestFrame f;
    NetFrameInfo i;

    /* IHL 15 (60 bytes) in a frame holding 14 + 24 bytes. */
    test_build_v4(&f, false, 0, IP_PROTO_UDP, 8, 0);
    f.b[14] = 0x4f;
    test_put16(f.b + 16, 60);
    test_parse(&f, 14 + 24, &i);
    g_assert_cmpint(i.ip_version, ==, 0);
    test_check_invariants(&i, 14 + 24);
}

static void test_parse_ipv4_total_short(void)
{
    TestFrame f;
    NetFrameInfo i;

    test_build_v4(&f, false, 8, IP_PROTO_TCP, 20, 0);
    /* Total length 24 < IHL*4 = 28. */
    test_put16(f.b + 16, 24);
    test_parse(&f, f.len, &i);
    g_assert_cmpint(i.ip_version, ==, 0);
    test_check_invariants(&i, f.len);

    /* Equal to the header: valid, no room for TCP. */
    test_put16(f.b + 16, 28);
    test_parse(&f, f.len, &i);
    g_assert_cmpint(i.ip_version, ==, 4);
    g_assert_cmpuint(i.ip_total_len, ==, 28);
    g_assert_cmpuint(i.l4_proto, ==, 0);
    test_check_invariants(&i, f.len);
}

static void test_parse_ipv4_total_clamped(void)
{
    TestFrame f;
    NetFrameInfo i;

    test_build_v4(&f, false, 0, IP_PROTO_TCP, 20, 100);
    test_put16(f.b + 16, 1500);
    test_parse(&f, f.len, &i);
    g_assert_cmpint(i.ip_version, ==, 4);
    g_assert_cmpuint(i.ip_total_len, ==, f.len - 14);
    g_assert_cmpuint(i.l4_proto, ==, IP_PROTO_TCP);
    g_assert_cmpuint(i.l4_hdr_len, ==, 20);
    test_check_invariants(&i, f.len);
}

static void test_parse_ipv4_frag_first(void)
{
    TestFrame f;
    NetFrameInfo i;

    test_build_v4(&f, false, 0, IP_PROTO_UDP, 8, 64);
    test_put16(f.b + 20, 0x2000); /* MF, offset 0 */
    test_parse(&f, f.len, &i);
    g_assert_true(i.ip_fragment);
    g_assert_cmpuint(i.l4_proto, ==, IP_PROTO_UDP);
    g_assert_cmpuint(i.l4_off, ==, 34);
    g_assert_cmpuint(i.l4_hdr_len, ==, 8);
    test_check_invariants(&i, f.len);
}

static void test_parse_ipv4_frag_later(void)
{
    static const uint16_t frags[] = { 0x0001, 0x2001, 0x1fff, 0x40b9 };
    TestFrame f;
    NetFrameInfo i;
    size_t k;

    test_build_v4(&f, false, 0, IP_PROTO_TCP, 20, 64);
    for (k = 0; k < G_N_ELEMENTS(frags); k++) {
        test_put16(f.b + 20, frags[k]);
        test_parse(&f, f.len, &i);
        g_assert_cmpint(i.ip_version, ==, 4);
        g_assert_true(i.ip_fragment);
        g_assert_cmpuint(i.l4_proto, ==, 0);
        g_assert_cmpuint(i.l4_off, ==, 0);
        test_check_invariants(&i, f.len);
    }
    /* DF alone is not a fragment. */
    test_put16(f.b + 20, 0x4000);
    test_parse(&f, f.len, &i);
    g_assert_false(i.ip_fragment);
    g_assert_cmpuint(i.l4_proto, ==, IP_PROTO_TCP);
}

static void test_parse_tcp_doff_small(void)
{
    TestFrame f;
    NetFrameInfo i;
    uint8_t doff;

    test_build_v4(&f, false, 0, IP_PROTO_TCP, 20, 40);
    for (doff = 0; doff < 5; doff++) {
        f.b[34 + 12] = (uint8_t)(doff << 4);
        test_parse(&f, f.len, &i);
        g_assert_cmpint(i.ip_version, ==, 4);
        g_assert_cmpuint(i.l4_proto, ==, 0);
        g_assert_cmpuint(i.l4_off, ==, 0);
        test_check_invariants(&i, f.len);
    }
}

static void test_parse_tcp_doff_beyond(void)
{
    TestFrame f;
    NetFrameInfo i;

    /* doff 15 (60 bytes) but only 20 + 16 bytes of segment. */
    test_build_v4(&f, false, 0, IP_PROTO_TCP, 20, 16);
    f.b[34 + 12] = 0xf0;
    test_parse(&f, f.len, &i);
    g_assert_cmpint(i.ip_version, ==, 4);
    g_assert_cmpuint(i.l4_proto, ==, 0);
    test_check_invariants(&i, f.len);

    /*
     * Same doff with 40 more bytes in the frame but not in the datagram
     * (IP total length unchanged): the header still does not fit.
     */
    test_parse(&f, f.len + 40, &i);
    g_assert_cmpuint(i.ip_total_len, ==, 56);
    g_assert_cmpuint(i.l4_proto, ==, 0);
    test_check_invariants(&i, f.len + 40);
}

static void test_parse_udp_truncated(void)
{
    TestFrame f;
    NetFrameInfo i;

    test_build_v4(&f, false, 0, IP_PROTO_UDP, 8, 0);
    test_parse(&f, 14 + 20 + 7, &i);
    g_assert_cmpint(i.ip_version, ==, 4);
    g_assert_cmpuint(i.ip_total_len, ==, 27);
    g_assert_cmpuint(i.l4_proto, ==, 0);
    test_check_invariants(&i, 14 + 20 + 7);
}

static void test_parse_ipv6_tcp(void)
{
    TestFrame f;
    NetFrameInfo i;

    test_build_v6(&f, false, IP_PROTO_TCP, 24, 50);
    test_parse(&f, f.len, &i);
    g_assert_cmphex(i.ethertype, ==, ETH_P_IPV6);
    g_assert_cmpint(i.ip_version, ==, 6);
    g_assert_cmpuint(i.ip_hdr_len, ==, 40);
    g_assert_cmpuint(i.ip_total_len, ==, 40 + 24 + 50);
    g_assert_cmpuint(i.l4_proto, ==, IP_PROTO_TCP);
    g_assert_cmpuint(i.l4_off, ==, 54);
    g_assert_cmpuint(i.l4_hdr_len, ==, 24);
    test_check_invariants(&i, f.len);
}

static void test_parse_ipv6_udp_vlan(void)
{
    TestFrame f;
    NetFrameInfo i;

    test_build_v6(&f, true, IP_PROTO_UDP, 8, 9);
    test_parse(&f, f.len, &i);
    g_assert_true(i.vlan);
    g_assert_cmpint(i.ip_version, ==, 6);
    g_assert_cmpuint(i.l3_off, ==, 18);
    g_assert_cmpuint(i.l4_proto, ==, IP_PROTO_UDP);
    g_assert_cmpuint(i.l4_off, ==, 58);
    test_check_invariants(&i, f.len);
}

static void test_parse_ipv6_ext(void)
{
    TestFrame f;
    NetFrameInfo i;

    /* Next header 44 (fragment header): not followed. */
    test_build_v6(&f, false, 44, 8, 40);
    test_parse(&f, f.len, &i);
    g_assert_cmpint(i.ip_version, ==, 6);
    g_assert_cmpuint(i.l4_off, ==, 0);
    g_assert_cmpuint(i.l4_hdr_len, ==, 0);
    test_check_invariants(&i, f.len);
}

static void test_parse_ipv6_payload_len(void)
{
    TestFrame f;
    NetFrameInfo i;

    /* Payload length larger than the frame: clamped. */
    test_build_v6(&f, false, IP_PROTO_UDP, 8, 20);
    test_put16(f.b + 18, 1000);
    test_parse(&f, f.len, &i);
    g_assert_cmpint(i.ip_version, ==, 6);
    g_assert_cmpuint(i.ip_total_len, ==, 68);
    g_assert_cmpuint(i.l4_proto, ==, IP_PROTO_UDP);
    test_check_invariants(&i, f.len);

    /* Payload length too small for the UDP header. */
    test_put16(f.b + 18, 7);
    test_parse(&f, f.len, &i);
    g_assert_cmpint(i.ip_version, ==, 6);
    g_assert_cmpuint(i.ip_total_len, ==, 47);
    g_assert_cmpuint(i.l4_proto, ==, 0);
    test_check_invariants(&i, f.len);

    /* Zero (jumbogram without hop-by-hop): no room for L4. */
    test_put16(f.b + 18, 0);
    test_parse(&f, f.len, &i);
    g_assert_cmpuint(i.ip_total_len, ==, 40);
    g_assert_cmpuint(i.l4_proto, ==, 0);
    test_check_invariants(&i, f.len);
}

static void test_parse_ipv6_truncated(void)
{
    TestFrame f;
    NetFrameInfo i;

    test_build_v6(&f, false, IP_PROTO_TCP, 20, 0);
    test_parse(&f, 14 + 39, &i);
    g_assert_cmphex(i.ethertype, ==, ETH_P_IPV6);
    g_assert_cmpint(i.ip_version, ==, 0);
    test_check_invariants(&i, 14 + 39);

    f.b[14] = 0x40;
    test_parse(&f, f.len, &i);
    g_assert_cmpint(i.ip_version, ==, 0);
}

/* Every prefix of a valid frame parses within bounds. */
static void test_parse_prefixes(void)
{
    TestFrame f;
    NetFrameInfo i;
    size_t len;
    int kind;

    for (kind = 0; kind < 4; kind++) {
        switch (kind) {
        case 0:
            test_build_v4(&f, true, 12, IP_PROTO_TCP, 40, 30);
            break;
        case 1:
            test_build_v4(&f, false, 0, IP_PROTO_UDP, 8, 30);
            break;
        case 2:
            test_build_v6(&f, true, IP_PROTO_TCP, 32, 30);
            break;
        default:
            test_build_v6(&f, false, IP_PROTO_UDP, 8, 30);
            break;
        }
        for (len = 0; len <= f.len; len++) {
            test_parse(&f, len, &i);
            test_check_invariants(&i, len);
            if (len == f.len) {
                g_assert_cmpuint(i.l4_off, ==, f.l4);
            }
            if (len < f.l4) {
                g_assert_cmpuint(i.l4_proto, ==, 0);
            }
        }
    }
}

/* ---- checksum verification ---- */

static void test_verify_ipv4_tcp(void)
{
    TestFrame f;
    TestCsum r;

    test_build_v4(&f, false, 4, IP_PROTO_TCP, 20, 101);
    r = test_verify(&f, f.len);
    g_assert_true(r.ip_checked && r.ip_ok);
    g_assert_true(r.l4_checked && r.l4_ok);

    /* Ethernet padding after the datagram is not summed. */
    f.b[f.len] = 0x5a;
    r = test_verify(&f, f.len + 1);
    g_assert_true(r.l4_checked && r.l4_ok);

    /* One flipped payload bit. */
    f.b[f.len - 1] ^= 0x10;
    r = test_verify(&f, f.len);
    g_assert_true(r.ip_checked && r.ip_ok);
    g_assert_true(r.l4_checked);
    g_assert_false(r.l4_ok);
}

static void test_verify_ipv4_hdr_bad(void)
{
    TestFrame f;
    TestCsum r;

    test_build_v4(&f, false, 0, IP_PROTO_TCP, 20, 10);
    f.b[22] = 63; /* TTL changed, checksum not updated */
    r = test_verify(&f, f.len);
    g_assert_true(r.ip_checked);
    g_assert_false(r.ip_ok);
    /* TTL is not in the pseudo-header: TCP is still fine. */
    g_assert_true(r.l4_checked && r.l4_ok);
}

static void test_verify_ipv4_udp(void)
{
    TestFrame f;
    TestCsum r;

    test_build_v4(&f, true, 0, IP_PROTO_UDP, 8, 33);
    r = test_verify(&f, f.len);
    g_assert_true(r.ip_checked && r.ip_ok);
    g_assert_true(r.l4_checked && r.l4_ok);

    /* Pseudo-header address covered: change dst, refresh the IP sum. */
    f.b[f.l3 + 19] ^= 1;
    test_fix_ipv4_csum(&f);
    r = test_verify(&f, f.len);
    g_assert_true(r.ip_checked && r.ip_ok);
    g_assert_true(r.l4_checked);
    g_assert_false(r.l4_ok);
}

static void test_verify_ipv4_udp_zero(void)
{
    TestFrame f;
    TestCsum r;

    /* RFC 768: checksum 0 over IPv4 means none was computed. */
    test_build_v4(&f, false, 0, IP_PROTO_UDP, 8, 20);
    test_put16(f.b + f.l4 + 6, 0);
    f.b[f.len - 1] ^= 0xff;
    r = test_verify(&f, f.len);
    g_assert_true(r.ip_checked && r.ip_ok);
    g_assert_false(r.l4_checked);
}

static void test_verify_udp_length(void)
{
    TestFrame f;
    TestCsum r;

    /* UDP length beyond the IP payload. */
    test_build_v4(&f, false, 0, IP_PROTO_UDP, 8, 20);
    test_put16(f.b + f.l4 + 4, 29);
    test_fix_l4_csum(&f, 4, IP_PROTO_UDP, 28);
    r = test_verify(&f, f.len);
    g_assert_true(r.l4_checked);
    g_assert_false(r.l4_ok);

    /* UDP length below the header size. */
    test_put16(f.b + f.l4 + 4, 7);
    r = test_verify(&f, f.len);
    g_assert_true(r.l4_checked);
    g_assert_false(r.l4_ok);
}

static void test_verify_ipv6(void)
{
    TestFrame f;
    TestCsum r;

    test_build_v6(&f, false, IP_PROTO_TCP, 20, 77);
    r = test_verify(&f, f.len);
    g_assert_false(r.ip_checked);
    g_assert_true(r.l4_checked && r.l4_ok);
    f.b[f.l3 + 8 + 3] ^= 0x80; /* source address */
    r = test_verify(&f, f.len);
    g_assert_true(r.l4_checked);
    g_assert_false(r.l4_ok);

    test_build_v6(&f, true, IP_PROTO_UDP, 8, 5);
    r = test_verify(&f, f.len);
    g_assert_false(r.ip_checked);
    g_assert_true(r.l4_checked && r.l4_ok);
}

static void test_verify_ipv6_udp_zero(void)
{
    TestFrame f;
    TestCsum r;

    /* RFC 2460 section 8.1: mandatory over IPv6; zero is an error. */
    test_build_v6(&f, false, IP_PROTO_UDP, 8, 12);
    test_put16(f.b + f.l4 + 6, 0);
    r = test_verify(&f, f.len);
    g_assert_true(r.l4_checked);
    g_assert_false(r.l4_ok);
}

static void test_verify_fragment(void)
{
    TestFrame f;
    TestCsum r;

    test_build_v4(&f, false, 0, IP_PROTO_UDP, 8, 64);
    test_put16(f.b + f.l3 + 6, 0x2000);
    test_fix_ipv4_csum(&f);
    r = test_verify(&f, f.len);
    g_assert_true(r.ip_checked && r.ip_ok);
    g_assert_false(r.l4_checked);

    test_put16(f.b + f.l3 + 6, 0x0010);
    test_fix_ipv4_csum(&f);
    r = test_verify(&f, f.len);
    g_assert_true(r.ip_checked && r.ip_ok);
    g_assert_false(r.l4_checked);
}

static void test_verify_truncated(void)
{
    TestFrame f;
    TestCsum r;

    /* IP total length beyond the frame: header checked, L4 left alone. */
    test_build_v4(&f, false, 0, IP_PROTO_TCP, 20, 100);
    r = test_verify(&f, f.len - 1);
    g_assert_true(r.ip_checked && r.ip_ok);
    g_assert_false(r.l4_checked);

    test_build_v6(&f, false, IP_PROTO_TCP, 20, 100);
    r = test_verify(&f, f.len - 1);
    g_assert_false(r.ip_checked);
    g_assert_false(r.l4_checked);
}

static void test_verify_not_ip(void)
{
    TestFrame f;
    TestCsum r;

    f.l3 = test_put_eth(&f, ETH_P_ARP, false);
    f.len = ETH_ZLEN;
    r = test_verify(&f, f.len);
    g_assert_false(r.ip_checked);
    g_assert_false(r.l4_checked);
}

static void test_verify_stale_info(void)
{
    TestFrame f;
    NetFrameInfo info;
    bool ipc, ipo, l4c, l4o;
    uint8_t *copy;

    /* Info from a long frame, applied to a short one: no reads past len. */
    test_build_v4(&f, false, 0, IP_PROTO_TCP, 20, 200);
    net_parse_frame(f.b, f.len, &info);
    copy = g_memdup2(f.b, 40);
    net_verify_csum(copy, 40, &info, &ipc, &ipo, &l4c, &l4o);
    g_assert_false(ipc);
    g_assert_false(l4c);
    g_free(copy);
}

/*
 * Mutated valid frames: parse and verify must stay in bounds (ASan) and
 * keep the invariants.
 */
static void test_fuzz(void)
{
    TestFrame f;
    NetFrameInfo i;
    bool ipc, ipo, l4c, l4o;
    int iter;

    for (iter = 0; iter < 20000; iter++) {
        int kind = g_test_rand_int_range(0, 4);
        int nmut = g_test_rand_int_range(0, 4);
        size_t len;
        uint8_t *copy;
        int m;
        bool vlan = g_test_rand_bit();
        size_t ip_opt = 4 * (size_t)g_test_rand_int_range(0, 11);
        size_t tcp_hlen = 20 + 4 * (size_t)g_test_rand_int_range(0, 11);
        size_t payload = g_test_rand_int_range(0, 64);

        switch (kind) {
        case 0:
            test_build_v4(&f, vlan, ip_opt, IP_PROTO_TCP, tcp_hlen, payload);
            break;
        case 1:
            test_build_v4(&f, vlan, ip_opt, IP_PROTO_UDP, 8, payload);
            break;
        case 2:
            test_build_v6(&f, vlan, IP_PROTO_TCP, tcp_hlen, payload);
            break;
        default:
            test_build_v6(&f, vlan, IP_PROTO_UDP, 8, payload);
            break;
        }
        for (m = 0; m < nmut; m++) {
            size_t pos = g_test_rand_int_range(0, (gint32)f.len);

            f.b[pos] = (uint8_t)g_test_rand_int();
        }
        len = g_test_rand_int_range(0, (gint32)f.len + 16);
        copy = g_memdup2(f.b, len);
        net_parse_frame(copy, len, &i);
        test_check_invariants(&i, len);
        net_verify_csum(copy, len, &i, &ipc, &ipo, &l4c, &l4o);
        if (!ipc) {
            g_assert_false(ipo);
        }
        if (!l4c) {
            g_assert_false(l4o);
        }
        g_free(copy);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/net-util/csum/rfc1071", test_csum_rfc1071);
    g_test_add_func("/net-util/csum/ipv4-header", test_csum_ipv4_header);
    g_test_add_func("/net-util/csum/odd-length", test_csum_odd_length);
    g_test_add_func("/net-util/csum/random", test_csum_random);
    g_test_add_func("/net-util/csum/chained", test_csum_chained);
    g_test_add_func("/net-util/csum/carry", test_csum_carry);
    g_test_add_func("/net-util/csum/finish", test_csum_finish);
    g_test_add_func("/net-util/csum/pseudo-v4", test_csum_pseudo_v4);
    g_test_add_func("/net-util/csum/pseudo-v6", test_csum_pseudo_v6);
    g_test_add_func("/net-util/crc32/check", test_crc32_check);
    g_test_add_func("/net-util/crc32/residue", test_crc32_residue);
    g_test_add_func("/net-util/crc32/random", test_crc32_random);
    g_test_add_func("/net-util/crc32/be-hash", test_crc32_be_hash);
    g_test_add_func("/net-util/addr/classes", test_addr_classes);
    g_test_add_func("/net-util/pad/short", test_pad_short);
    g_test_add_func("/net-util/pad/long", test_pad_long);
    g_test_add_func("/net-util/pad/small-cap", test_pad_small_cap);
    g_test_add_func("/net-util/parse/ipv4-tcp", test_parse_ipv4_tcp);
    g_test_add_func("/net-util/parse/ipv4-udp-padded",
                    test_parse_ipv4_udp_padded);
    g_test_add_func("/net-util/parse/vlan", test_parse_vlan);
    g_test_add_func("/net-util/parse/vlan-truncated",
                    test_parse_vlan_truncated);
    g_test_add_func("/net-util/parse/short-eth", test_parse_short_eth);
    g_test_add_func("/net-util/parse/arp", test_parse_arp);
    g_test_add_func("/net-util/parse/ipv4-options", test_parse_ipv4_options);
    g_test_add_func("/net-util/parse/ipv4-other-proto",
                    test_parse_ipv4_other_proto);
    g_test_add_func("/net-util/parse/ipv4-bad-version",
                    test_parse_ipv4_bad_version);
    g_test_add_func("/net-util/parse/ipv4-ihl-small",
                    test_parse_ipv4_ihl_small);
    g_test_add_func("/net-util/parse/ipv4-ihl-beyond",
                    test_parse_ipv4_ihl_beyond);
    g_test_add_func("/net-util/parse/ipv4-total-short",
                    test_parse_ipv4_total_short);
    g_test_add_func("/net-util/parse/ipv4-total-clamped",
                    test_parse_ipv4_total_clamped);
    g_test_add_func("/net-util/parse/ipv4-frag-first",
                    test_parse_ipv4_frag_first);
    g_test_add_func("/net-util/parse/ipv4-frag-later",
                    test_parse_ipv4_frag_later);
    g_test_add_func("/net-util/parse/tcp-doff-small",
                    test_parse_tcp_doff_small);
    g_test_add_func("/net-util/parse/tcp-doff-beyond",
                    test_parse_tcp_doff_beyond);
    g_test_add_func("/net-util/parse/udp-truncated",
                    test_parse_udp_truncated);
    g_test_add_func("/net-util/parse/ipv6-tcp", test_parse_ipv6_tcp);
    g_test_add_func("/net-util/parse/ipv6-udp-vlan",
                    test_parse_ipv6_udp_vlan);
    g_test_add_func("/net-util/parse/ipv6-ext", test_parse_ipv6_ext);
    g_test_add_func("/net-util/parse/ipv6-payload-len",
                    test_parse_ipv6_payload_len);
    g_test_add_func("/net-util/parse/ipv6-truncated",
                    test_parse_ipv6_truncated);
    g_test_add_func("/net-util/parse/prefixes", test_parse_prefixes);
    g_test_add_func("/net-util/verify/ipv4-tcp", test_verify_ipv4_tcp);
    g_test_add_func("/net-util/verify/ipv4-hdr-bad",
                    test_verify_ipv4_hdr_bad);
    g_test_add_func("/net-util/verify/ipv4-udp", test_verify_ipv4_udp);
    g_test_add_func("/net-util/verify/ipv4-udp-zero",
                    test_verify_ipv4_udp_zero);
    g_test_add_func("/net-util/verify/udp-length", test_verify_udp_length);
    g_test_add_func("/net-util/verify/ipv6", test_verify_ipv6);
    g_test_add_func("/net-util/verify/ipv6-udp-zero",
                    test_verify_ipv6_udp_zero);
    g_test_add_func("/net-util/verify/fragment", test_verify_fragment);
    g_test_add_func("/net-util/verify/truncated", test_verify_truncated);
    g_test_add_func("/net-util/verify/not-ip", test_verify_not_ip);
    g_test_add_func("/net-util/verify/stale-info", test_verify_stale_info);
    g_test_add_func("/net-util/fuzz", test_fuzz);

    return g_test_run();
}
