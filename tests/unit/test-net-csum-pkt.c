/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net_verify_csum_pkt (hw/net/net_util.c): the packet sum it returns is
 * the one's-complement sum of frame[from, len) that the reference
 * computes byte by byte, whatever `from` is (odd, inside the headers,
 * inside the payload, past the end) and whatever the frame holds
 * (trailing padding, VLAN tag, bad checksums, no IP at all), and its
 * verdicts are exactly net_verify_csum's. Frames sit in heap buffers of
 * exactly their length, so ASan catches any read past `len`.
 */
#include "net-util-test.h"

/*
 * Reference packet sum: RFC 1071 words from buf[0], folded, not
 * complemented; 0 only when every byte is 0 (a non-zero sum that is 0
 * modulo 0xffff folds to 0xffff, as end-around-carry addition does).
 */
static uint16_t test_ref_sum(const uint8_t *buf, size_t len)
{
    return (uint16_t)~test_ref_csum(buf, len);
}

/* Check every `from` of a frame of `len` bytes (a copy of f->b). */
static void test_check_all_from(const TestFrame *f, size_t len)
{
    uint8_t *copy = g_memdup2(f->b, len);
    NetFrameInfo info;
    TestCsum ref;
    size_t from;

    net_parse_frame(copy, len, &info);
    net_verify_csum(copy, len, &info, &ref.ip_checked, &ref.ip_ok,
                    &ref.l4_checked, &ref.l4_ok);
    for (from = 0; from <= len + 2; from++) {
        NetCsumCheck chk;
        uint16_t got = net_verify_csum_pkt(copy, len, &info, from, &chk);

        g_assert_cmphex(got, ==,
                        from < len ? test_ref_sum(copy + from, len - from)
                                   : 0);
        g_assert_cmpint(chk.ip_checked, ==, ref.ip_checked);
        g_assert_cmpint(chk.ip_ok, ==, ref.ip_ok);
        g_assert_cmpint(chk.l4_checked, ==, ref.l4_checked);
        g_assert_cmpint(chk.l4_ok, ==, ref.l4_ok);
    }
    g_free(copy);
}

/* Valid TCP and UDP over IPv4 and IPv6, with and without a VLAN tag. */
static void test_pkt_valid(void)
{
    TestFrame f;
    int vlan;

    for (vlan = 0; vlan < 2; vlan++) {
        test_build_v4(&f, vlan, 0, IP_PROTO_TCP, 20, 1000);
        test_check_all_from(&f, f.len);
        test_build_v4(&f, vlan, 8, IP_PROTO_UDP, 8, 333);
        test_check_all_from(&f, f.len);
        test_build_v6(&f, vlan, IP_PROTO_TCP, 32, 517);
        test_check_all_from(&f, f.len);
        test_build_v6(&f, vlan, IP_PROTO_UDP, 8, 64);
        test_check_all_from(&f, f.len);
    }
}

/*
 * The payload sum is shared with the packet sum: bytes after the IP
 * datagram (Ethernet padding, odd or even) must still count in the
 * packet sum and never in the TCP/UDP one.
 */
static void test_pkt_padding(void)
{
    TestFrame f;
    size_t pad;

    for (pad = 0; pad < 8; pad++) {
        test_build_v4(&f, false, 0, IP_PROTO_UDP, 8, 3);
        memset(f.b + f.len, (int)(0x40 + pad), pad);
        test_check_all_from(&f, f.len + pad);
        test_build_v6(&f, false, IP_PROTO_TCP, 20, 7);
        memset(f.b + f.len, 0xff, pad);
        test_check_all_from(&f, f.len + pad);
    }
}

/* Bad checksums, UDP without one, fragments, no IP, an all-zero frame. */
static void test_pkt_odd_cases(void)
{
    TestFrame f;

    test_build_v4(&f, false, 0, IP_PROTO_TCP, 20, 301);
    f.b[f.len - 1] ^= 0x5a;
    test_check_all_from(&f, f.len);
    test_build_v4(&f, false, 0, IP_PROTO_UDP, 8, 200);
    f.b[f.l3 + 10] ^= 1;
    test_check_all_from(&f, f.len);
    test_build_v4(&f, false, 0, IP_PROTO_UDP, 8, 200);
    f.b[f.l4 + 6] = 0;
    f.b[f.l4 + 7] = 0;
    test_check_all_from(&f, f.len);
    test_build_v4(&f, false, 0, IP_PROTO_UDP, 8, 200);
    test_put16(f.b + f.l3 + 6, 0x2000); /* MF */
    test_fix_ipv4_csum(&f);
    test_check_all_from(&f, f.len);
    test_build_v6(&f, false, IP_PROTO_UDP, 8, 90);
    test_put16(f.b + f.l4 + 4, 200); /* UDP length beyond the payload */
    test_check_all_from(&f, f.len);

    f.l3 = test_put_eth(&f, ETH_P_ARP, false);
    test_check_all_from(&f, ETH_ZLEN);
    memset(f.b, 0, sizeof(f.b));
    test_check_all_from(&f, ETH_ZLEN);
    /* All ones: sums that are 0 modulo 0xffff come out as 0xffff. */
    memset(f.b, 0xff, sizeof(f.b));
    test_check_all_from(&f, ETH_ZLEN + 1);
}

/* Mutated frames: same properties, any length. */
static void test_pkt_fuzz(void)
{
    TestFrame f;
    int iter;

    for (iter = 0; iter < 300; iter++) {
        int kind = g_test_rand_int_range(0, 4);
        int nmut = g_test_rand_int_range(0, 3);
        size_t payload = g_test_rand_int_range(0, 300);
        bool vlan = g_test_rand_bit();
        size_t len;
        int m;

        if (kind == 0) {
            test_build_v4(&f, vlan, 0, IP_PROTO_TCP, 20, payload);
        } else if (kind == 1) {
            test_build_v4(&f, vlan, 4, IP_PROTO_UDP, 8, payload);
        } else if (kind == 2) {
            test_build_v6(&f, vlan, IP_PROTO_TCP, 20, payload);
        } else {
            test_build_v6(&f, vlan, IP_PROTO_UDP, 8, payload);
        }
        for (m = 0; m < nmut; m++) {
            f.b[g_test_rand_int_range(0, (gint32)f.len)] ^=
                (uint8_t)g_test_rand_int_range(1, 256);
        }
        len = g_test_rand_int_range(ETH_HLEN, (gint32)f.len + 8);
        test_check_all_from(&f, len);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/net-util/csum-pkt/valid", test_pkt_valid);
    g_test_add_func("/net-util/csum-pkt/padding", test_pkt_padding);
    g_test_add_func("/net-util/csum-pkt/odd-cases", test_pkt_odd_cases);
    g_test_add_func("/net-util/csum-pkt/fuzz", test_pkt_fuzz);
    return g_test_run();
}
