/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by test-net-util.c (checksums, CRC-32, addresses, padding) and
 * test-net-util-parse.c (the frame parser and checksum verifier): a
 * reference checksum that shares nothing with net_util.c, and frames
 * built byte by byte. Everything here is static inline: each test uses a
 * part.
 */
#ifndef EMUNET_TESTS_NET_UTIL_TEST_H
#define EMUNET_TESTS_NET_UTIL_TEST_H

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
static inline uint16_t test_ref_csum(const uint8_t *buf, size_t len)
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

static inline void test_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Checksum of an L4 segment with its pseudo-header laid out in memory. */
static inline uint16_t test_ref_l4_csum(int ipver, uint8_t proto,
                                        const uint8_t *seg, size_t seglen,
                                        size_t csum_off)
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

static inline void test_fix_ipv4_csum(TestFrame *f)
{
    uint8_t *ip = f->b + f->l3;
    size_t hlen = (size_t)(ip[0] & 0x0f) * 4;

    ip[10] = 0;
    ip[11] = 0;
    test_put16(ip + 10, test_ref_csum(ip, hlen));
}

static inline void test_fix_l4_csum(TestFrame *f, int ipver, uint8_t proto,
                                    size_t seglen)
{
    size_t off = proto == IP_PROTO_TCP ? 16 : 6;
    uint8_t *seg = f->b + f->l4;

    test_put16(seg + off,
               test_ref_l4_csum(ipver, proto, seg, seglen, off));
}

static inline size_t test_put_eth(TestFrame *f, uint16_t type, bool vlan)
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
static inline void test_put_l4(TestFrame *f, uint8_t proto, size_t hlen,
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
        if (hlen > 20) {
            memset(l4 + 20, 0x01, hlen - 20);
        }
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
static inline void test_build_v4(TestFrame *f, bool vlan, size_t ip_opt,
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

static inline void test_build_v6(TestFrame *f, bool vlan, uint8_t nh,
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
static inline void test_parse(const TestFrame *f, size_t len,
                              NetFrameInfo *info)
{
    uint8_t *copy = g_memdup2(f->b, len);

    net_parse_frame(copy, len, info);
    g_free(copy);
}

typedef struct TestCsum {
    bool ip_checked, ip_ok, l4_checked, l4_ok;
} TestCsum;

static inline TestCsum test_verify(const TestFrame *f, size_t len)
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

#endif
