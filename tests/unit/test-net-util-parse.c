/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests for hw/net/net_util.c (see net-util-test.h): the frame parser and
 * checksum verifier against frames built byte by byte, and a fuzz run.
 * Every frame handed to the code under test sits in a heap buffer of
 * exactly its length, so ASan catches any read past `len`.
 */
#include "net-util-test.h"

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
