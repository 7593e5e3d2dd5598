/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IEEE 802.3 CRC-32 (net_util.h: net_crc32, net_crc32_be). Every frame a
 * NIC model receives gets its FCS computed, so this is on the RX path of
 * every byte: a byte-at-a-time table cost more than all the rest of the
 * rtl8139's receive work together (4-7 us of a 1514-byte frame here).
 *  - Slicing-by-8 (8 KiB of tables, eight bytes per step) everywhere:
 *    ~0.6 us for 1514 bytes, 16 ns for 64.
 *  - On x86-64 CPUs with PCLMULQDQ (every one since 2010; checked at
 *    startup), carry-less multiplication folds 64 bytes per step and the
 *    last 16-byte remainder goes through the tables: ~0.06 us for 1514
 *    bytes. Frames below 64 bytes take the tables.
 * Both give exactly the bitwise result (tests/unit/test-net-util.c).
 * zlib's crc32() (what QEMU uses) was the other candidate: ~0.4-0.7 us
 * for 1514 bytes but byte-at-a-time for short frames (~0.2 us for 64,
 * zlib 1.2.13), and a dependency for 100 lines.
 */
#include "hw/net/net_util.h"

#include "emunet/types.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define NET_CRC_CLMUL 1
#endif

/* IEEE 802.3 generator polynomial with x^32, and its reflection. */
#define NET_CRC_POLY 0x104c11db7ull
#define NET_CRC_POLY_REFLECTED 0xedb88320u

/*
 * Slicing-by-8 tables for the reflected (LSB-first) register: tab[0][b]
 * is the register after shifting in the byte b from zero, tab[k][b] the
 * same followed by k zero bytes. Eight lookups then advance the register
 * by eight bytes at once (Kounavis and Berry, "Novel Table Lookup-Based
 * Algorithms for High-Performance CRC Generation", IEEE Trans. Computers
 * 57(11), 2008). Filled once before main() runs, read-only after.
 */
static uint32_t net_crc_tab[8][256];

#ifdef NET_CRC_CLMUL
/*
 * Folding constants (Gopal et al., "Fast CRC Computation for Generic
 * Polynomials Using PCLMULQDQ Instruction", Intel, 2009): a 128-bit block
 * moved D bits further down the message is congruent, modulo P, to its
 * first 64 bits times x^(D+32) mod P plus its last 64 bits times
 * x^(D-32) mod P (the 32 absorbs the product's offset), each remainder
 * bit-reflected over 33 bits to match the reflected data. D = 512 folds
 * four blocks ahead, D = 128 one. They come out as Linux's crc32-pclmul
 * constants (0x154442bd4, 0x1c6e41596, 0x1751997d0, 0xccaa009e).
 */
static uint64_t net_crc_fold4[2];
static uint64_t net_crc_fold1[2];
static bool net_crc_have_clmul;

/* x^n mod P, not reflected (degree <= 31). */
static uint64_t net_crc_xpow(unsigned n)
{
    uint64_t r = 1;

    while (n--) {
        r <<= 1;
        if (r & (1ull << 32)) {
            r ^= NET_CRC_POLY;
        }
    }
    return r;
}

/* Bit j of the result is the coefficient of x^(32 - j). */
static uint64_t net_crc_reflect33(uint64_t v)
{
    uint64_t r = 0;

    for (unsigned j = 0; j <= 32; j++) {
        r |= ((v >> (32 - j)) & 1) << j;
    }
    return r;
}
#endif

__attribute__((constructor)) static void net_crc_init(void)
{
    for (unsigned b = 0; b < 256; b++) {
        uint32_t crc = b;

        for (int bit = 0; bit < 8; bit++) {
            crc = (crc >> 1) ^ ((crc & 1) ? NET_CRC_POLY_REFLECTED : 0);
        }
        net_crc_tab[0][b] = crc;
    }
    for (unsigned b = 0; b < 256; b++) {
        for (unsigned k = 1; k < 8; k++) {
            uint32_t prev = net_crc_tab[k - 1][b];

            net_crc_tab[k][b] = (prev >> 8) ^ net_crc_tab[0][prev & 0xff];
        }
    }
#ifdef NET_CRC_CLMUL
    net_crc_fold4[0] = net_crc_reflect33(net_crc_xpow(512 + 32));
    net_crc_fold4[1] = net_crc_reflect33(net_crc_xpow(512 - 32));
    net_crc_fold1[0] = net_crc_reflect33(net_crc_xpow(128 + 32));
    net_crc_fold1[1] = net_crc_reflect33(net_crc_xpow(128 - 32));
    /* A constructor runs before the CPU model is known to the builtins. */
    __builtin_cpu_init();
    net_crc_have_clmul = __builtin_cpu_supports("pclmul");
#endif
}

/* Run the reflected (LSB-first) CRC register over buf, no pre/post xor. */
static uint32_t net_crc_slice8(uint32_t crc, const uint8_t *buf, size_t len)
{
    const uint32_t(*t)[256] = net_crc_tab;
    size_t i = 0;

    /*
     * The register is little-endian in the bytes it has yet to absorb:
     * xor the next four in, then each of the eight bytes picks the
     * contribution it makes after the bytes that follow it.
     */
    for (; i + 8 <= len; i += 8) {
        uint32_t lo = ld32_le(buf + i) ^ crc;
        uint32_t hi = ld32_le(buf + i + 4);

        crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^
              t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^ t[3][hi & 0xff] ^
              t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    }
    for (; i < len; i++) {
        crc = t[0][(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
    }
    return crc;
}

#ifdef NET_CRC_CLMUL
#define NET_CRC_CLMUL_MIN 64

/* x moved k's distance on, plus the block there. */
__attribute__((target("pclmul"))) static inline __m128i
net_crc_fold(__m128i x, __m128i k, __m128i next)
{
    __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
    __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);

    return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

static inline __m128i net_crc_load(const uint8_t *p)
{
    return _mm_loadu_si128((const __m128i *)p);
}

/*
 * As net_crc_slice8, for len >= NET_CRC_CLMUL_MIN. The register goes into
 * the first four bytes (the same as shifting it through them); four
 * independent 128-bit lanes fold 64 bytes per step, then into one lane,
 * then 16 bytes per step. What is left is a 128-bit value congruent to
 * everything read so far: its 16 bytes and the tail go through the
 * tables from a zero register. Reads stay inside buf[0, len).
 */
__attribute__((target("pclmul"))) static uint32_t
net_crc_clmul(uint32_t crc, const uint8_t *buf, size_t len)
{
    const __m128i k4 = _mm_set_epi64x((long long)net_crc_fold4[1],
                                      (long long)net_crc_fold4[0]);
    const __m128i k1 = _mm_set_epi64x((long long)net_crc_fold1[1],
                                      (long long)net_crc_fold1[0]);
    __m128i x0, x1, x2, x3;
    uint8_t rest[16];
    size_t i;

    x0 = _mm_xor_si128(net_crc_load(buf), _mm_cvtsi32_si128((int)crc));
    x1 = net_crc_load(buf + 16);
    x2 = net_crc_load(buf + 32);
    x3 = net_crc_load(buf + 48);
    for (i = 64; i + 64 <= len; i += 64) {
        x0 = net_crc_fold(x0, k4, net_crc_load(buf + i));
        x1 = net_crc_fold(x1, k4, net_crc_load(buf + i + 16));
        x2 = net_crc_fold(x2, k4, net_crc_load(buf + i + 32));
        x3 = net_crc_fold(x3, k4, net_crc_load(buf + i + 48));
    }
    x0 = net_crc_fold(x0, k1, x1);
    x0 = net_crc_fold(x0, k1, x2);
    x0 = net_crc_fold(x0, k1, x3);
    for (; i + 16 <= len; i += 16) {
        x0 = net_crc_fold(x0, k1, net_crc_load(buf + i));
    }
    _mm_storeu_si128((__m128i *)rest, x0);
    crc = net_crc_slice8(0, rest, sizeof(rest));
    return net_crc_slice8(crc, buf + i, len - i);
}
#endif

static uint32_t net_crc_update(uint32_t crc, const uint8_t *buf, size_t len)
{
#ifdef NET_CRC_CLMUL
    if (len >= NET_CRC_CLMUL_MIN && net_crc_have_clmul) {
        return net_crc_clmul(crc, buf, len);
    }
#endif
    return net_crc_slice8(crc, buf, len);
}

static uint32_t net_bitrev32(uint32_t v)
{
    v = ((v >> 1) & 0x55555555u) | ((v & 0x55555555u) << 1);
    v = ((v >> 2) & 0x33333333u) | ((v & 0x33333333u) << 2);
    v = ((v >> 4) & 0x0f0f0f0fu) | ((v & 0x0f0f0f0fu) << 4);
    v = ((v >> 8) & 0x00ff00ffu) | ((v & 0x00ff00ffu) << 8);
    return (v >> 16) | (v << 16);
}

uint32_t net_crc32(const uint8_t *buf, size_t len)
{
    /* IEEE 802.3 clause 3.2.9: register preset to all ones, complemented. */
    return ~net_crc_update(0xffffffffu, buf, len);
}

uint32_t net_crc32_portable(const uint8_t *buf, size_t len)
{
    return ~net_crc_slice8(0xffffffffu, buf, len);
}

uint32_t net_crc32_be(const uint8_t *buf, size_t len)
{
    /*
     * The hash NICs use shifts the bits in LSB first, as they arrive on
     * the wire, through an MSB-first register preset to all ones and not
     * complemented at the end (Linux ether_crc(), QEMU net_crc32()). That
     * register is the bit-reversal of the reflected one, so the tables
     * can be shared.
     */
    return net_bitrev32(net_crc_update(0xffffffffu, buf, len));
}
