/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests for hw/net/net_util.c (see net-util-test.h): checksums against
 * RFC 1071 and a naive reference sum, CRC-32 against the standard check
 * values, address classes and padding. The frame parser and checksum
 * verifier are in test-net-util-parse.c.
 */
#include "net-util-test.h"

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

/*
 * The running sum itself, not only the finished checksum: exactly the
 * fold of the start value plus every big-endian 16-bit word, for every
 * alignment and tail length the wide loads handle, and for data and
 * start values that put the end-around carries to work.
 */
static void test_csum_exact(void)
{
    static const uint32_t starts[] = { 0, 1, 0xffff, 0x1fffe, 0x3fffc,
                                       0xffffffffu };
    uint8_t *buf = g_malloc(1600 + 8);
    int pattern;

    for (pattern = 0; pattern < 3; pattern++) {
        for (size_t i = 0; i < 1600 + 8; i++) {
            uint8_t r = (uint8_t)g_test_rand_int();

            buf[i] = pattern == 0 ? 0 : pattern == 1 ? 0xff : r;
        }
        for (size_t len = 0; len < 1600; len += len < 80 ? 1 : 97) {
            for (size_t off = 0; off < 8; off++) {
                for (size_t k = 0; k < G_N_ELEMENTS(starts); k++) {
                    uint64_t want = starts[k];
                    const uint8_t *p = buf + off;

                    for (size_t i = 0; i < len; i++) {
                        want += (i % 2 == 0) ? (uint64_t)p[i] << 8 : p[i];
                    }
                    while (want > 0xffff) {
                        want = (want & 0xffff) + (want >> 16);
                    }
                    g_assert_cmphex(net_csum_add(starts[k], p, len), ==,
                                    want);
                }
            }
        }
    }
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

/* Both implementations of net_crc32 against the bitwise reference. */
static void test_crc32_both(const uint8_t *buf, size_t len)
{
    uint32_t ref = test_ref_crc32(buf, len);

    g_assert_cmphex(net_crc32(buf, len), ==, ref);
    g_assert_cmphex(net_crc32_portable(buf, len), ==, ref);
}

/*
 * net_crc32 advances 64 bytes per step (carry-less multiply, from 64
 * bytes on) or eight (tables), and finishes 16 and then one at a time:
 * every start alignment with every length up to 300 (all head and tail
 * splits of both), then random lengths and alignments up to a 64 KiB
 * large-send frame, against the bit-at-a-time reference.
 */
static void test_crc32_slices(void)
{
    size_t cap = 65535 + 16;
    uint8_t *buf = g_malloc(cap);
    size_t off, len, i;
    int iter;

    for (i = 0; i < cap; i++) {
        buf[i] = (uint8_t)g_test_rand_int();
    }
    for (off = 0; off < 16; off++) {
        for (len = 0; len <= 300; len++) {
            test_crc32_both(buf + off, len);
            g_assert_cmphex(net_crc32_be(buf + off, len), ==,
                            test_ref_crc32_be(buf + off, len));
        }
    }
    for (iter = 0; iter < 200; iter++) {
        off = (size_t)g_test_rand_int_range(0, 16);
        len = (size_t)g_test_rand_int_range(0, iter < 100 ? 9019 : 65536);
        test_crc32_both(buf + off, len);
    }
    /* All-ones and all-zero data exercise the extreme table entries. */
    memset(buf, 0xff, 1514);
    test_crc32_both(buf + 3, 1511);
    memset(buf, 0, 1514);
    test_crc32_both(buf + 5, 1509);
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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/net-util/csum/rfc1071", test_csum_rfc1071);
    g_test_add_func("/net-util/csum/ipv4-header", test_csum_ipv4_header);
    g_test_add_func("/net-util/csum/odd-length", test_csum_odd_length);
    g_test_add_func("/net-util/csum/random", test_csum_random);
    g_test_add_func("/net-util/csum/chained", test_csum_chained);
    g_test_add_func("/net-util/csum/carry", test_csum_carry);
    g_test_add_func("/net-util/csum/exact", test_csum_exact);
    g_test_add_func("/net-util/csum/finish", test_csum_finish);
    g_test_add_func("/net-util/csum/pseudo-v4", test_csum_pseudo_v4);
    g_test_add_func("/net-util/csum/pseudo-v6", test_csum_pseudo_v6);
    g_test_add_func("/net-util/crc32/check", test_crc32_check);
    g_test_add_func("/net-util/crc32/residue", test_crc32_residue);
    g_test_add_func("/net-util/crc32/random", test_crc32_random);
    g_test_add_func("/net-util/crc32/slices", test_crc32_slices);
    g_test_add_func("/net-util/crc32/be-hash", test_crc32_be_hash);
    g_test_add_func("/net-util/addr/classes", test_addr_classes);
    g_test_add_func("/net-util/pad/short", test_pad_short);
    g_test_add_func("/net-util/pad/long", test_pad_long);
    g_test_add_func("/net-util/pad/small-cap", test_pad_small_cap);

    return g_test_run();
}
