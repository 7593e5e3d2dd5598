/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Frame helpers shared by the NIC models. Every byte of a frame comes from
 * a guest or a remote host, so all multi-byte fields are read with byte
 * loads (no alignment assumed) and every offset is checked against the
 * length before it is used.
 */
#include "hw/net/net_util.h"

#include "emunet/net.h"
#include "emunet/types.h"

#define IPV4_MIN_HLEN 20
#define IPV6_HLEN 40
#define TCP_MIN_HLEN 20
#define UDP_HLEN 8
#define VLAN_HLEN 4

/* IPv4 flags/fragment offset word (RFC 791 section 3.1). */
#define IPV4_MF 0x2000
#define IPV4_OFFSET_MASK 0x1fff

/*
 * Fold a one's-complement sum to 16 bits (end-around carries), without a
 * loop: < 2^33, < 2^18, <= 0x10002, <= 0xffff. Each step keeps the value
 * modulo 0xffff and keeps it non-zero unless it was zero.
 */
static uint64_t net_csum_fold(uint64_t acc)
{
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffff) + (acc >> 16);
    acc = (acc & 0xffff) + (acc >> 16);
    return (acc & 0xffff) + (acc >> 16);
}

/* One's-complement addition of 64-bit words: the carry out comes back in. */
static inline uint64_t net_csum_add64(uint64_t acc, uint64_t w)
{
    uint64_t s;
    bool carry = __builtin_add_overflow(acc, w, &s);

    /* After a carry s is at most 2^64 - 2: adding it back cannot wrap. */
    return s + carry;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
/* AVX2 where the CPU has it (chosen once, at load), else SSE2. */
#define NET_CSUM_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define NET_CSUM_CLONES
#endif

typedef uint64_t NetCsumVec __attribute__((vector_size(32)));

/* Long buffers: wide sums pay off beyond this many bytes. */
#define NET_CSUM_WIDE_MIN 256

/*
 * The sum of the host-order 32-bit words of p[0, len), len a multiple of
 * 2 * sizeof(NetCsumVec), as an integer: each 64-bit lane adds the low
 * and high halves of its words separately, so nothing carries out below
 * 2^32 bytes. Two vectors per step keep the adders busy.
 */
NET_CSUM_CLONES
static uint64_t net_csum_wide(const uint8_t *p, size_t len)
{
    const NetCsumVec mask = { 0xffffffffu, 0xffffffffu, 0xffffffffu,
                              0xffffffffu };
    NetCsumVec lo = { 0 }, hi = { 0 }, lo2 = { 0 }, hi2 = { 0 };
    size_t i;

    for (i = 0; i < len; i += 2 * sizeof(NetCsumVec)) {
        NetCsumVec v, w;

        memcpy(&v, p + i, sizeof(v));
        memcpy(&w, p + i + sizeof(v), sizeof(w));
        lo += v & mask;
        hi += v >> 32;
        lo2 += w & mask;
        hi2 += w >> 32;
    }
    lo += hi + lo2 + hi2;
    return lo[0] + lo[1] + lo[2] + lo[3];
}

uint32_t net_csum_add(uint32_t sum, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint64_t a = 0, b = 0;
    size_t i = 0;

    /*
     * Sum the data as host-order words, 32 or 64 bits wide. A wide word
     * adds the same as its 16-bit parts, because 2^16 == 1 (mod 0xffff),
     * and the sum of byte-swapped words is the byte-swapped sum (RFC 1071
     * section 2(A), 2(B)), so host order costs one swap at the end. memcpy
     * loads are unaligned-safe plain loads. Long buffers go to the vector
     * loop (a plain integer sum, below 2^62); the rest is summed as 64-bit
     * words with end-around carry, two add-with-carry chains in parallel.
     */
    if (len >= NET_CSUM_WIDE_MIN && (uint64_t)len <= UINT32_MAX) {
        i = len & ~(2 * sizeof(NetCsumVec) - 1);
        a = net_csum_wide(p, i);
    }
    for (; i + 16 <= len; i += 16) {
        uint64_t w[2];

        memcpy(w, p + i, sizeof(w));
        a = net_csum_add64(a, w[0]);
        b = net_csum_add64(b, w[1]);
    }
    a = net_csum_add64(a, b);
    if (i + 8 <= len) {
        uint64_t w;

        memcpy(&w, p + i, sizeof(w));
        a = net_csum_add64(a, w);
        i += 8;
    }
    if (i + 4 <= len) {
        uint32_t w;

        memcpy(&w, p + i, sizeof(w));
        a = net_csum_add64(a, w);
        i += 4;
    }
    if (i + 2 <= len) {
        uint16_t w;

        memcpy(&w, p + i, sizeof(w));
        a = net_csum_add64(a, w);
        i += 2;
    }
    if (i < len) {
        /* RFC 1071: an odd last byte is padded with a zero low byte. */
        uint8_t last[2] = { p[i], 0 };
        uint16_t w;

        memcpy(&w, last, sizeof(w));
        a = net_csum_add64(a, w);
    }
    /*
     * Fold the caller's (big-endian) sum in too, so the caller gets at
     * most 16 bits and can add pseudo-header and other partial sums
     * directly without overflowing 32 bits. In little-endian host order
     * it is sum * 256, as 256 * 256 == 1 (mod 0xffff): one fold and one
     * swap for everything. With end-around carries the result is 0 only
     * if all was 0, exactly what one fold over all the big-endian 16-bit
     * words gives.
     */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    a = net_csum_fold(net_csum_add64(a, (uint64_t)sum << 8));
    return (uint32_t)(((a & 0xff) << 8) | (a >> 8));
#else
    return (uint32_t)net_csum_fold(net_csum_add64(a, sum));
#endif
}

uint16_t net_csum_finish(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

uint32_t net_pseudo_sum_v4(const uint8_t *saddr, const uint8_t *daddr,
                           uint8_t proto, uint32_t l4_len)
{
    uint32_t sum;

    /* RFC 793 section 3.1: src, dst, zero, protocol, TCP length. */
    sum = net_csum_add(0, saddr, 4);
    sum = net_csum_add(sum, daddr, 4);
    return sum + proto + (l4_len >> 16) + (l4_len & 0xffff);
}

uint32_t net_pseudo_sum_v6(const uint8_t *saddr, const uint8_t *daddr,
                           uint8_t next_header, uint32_t l4_len)
{
    uint32_t sum;

    /*
     * RFC 2460 section 8.1: src, dst, 32-bit upper-layer length, three
     * zero bytes, next header.
     */
    sum = net_csum_add(0, saddr, 16);
    sum = net_csum_add(sum, daddr, 16);
    return sum + next_header + (l4_len >> 16) + (l4_len & 0xffff);
}

size_t net_pad_short(uint8_t *buf, size_t len, size_t cap)
{
    if (len >= ETH_ZLEN || cap < ETH_ZLEN) {
        return len;
    }
    memset(buf + len, 0, ETH_ZLEN - len);
    return ETH_ZLEN;
}

/*
 * The TCP or UDP header at `off`, inside an IP payload of `avail` bytes
 * (already bounded by the frame). Other protocols are only named: there is
 * no header of theirs to check.
 */
static void net_parse_l4(const uint8_t *frame, NetFrameInfo *info,
                         uint8_t proto, size_t off, size_t avail)
{
    size_t hlen;

    if (proto == IP_PROTO_TCP) {
        if (avail < TCP_MIN_HLEN) {
            return;
        }
        /* RFC 793 section 3.1: data offset in 32-bit words, >= 5. */
        hlen = (size_t)(frame[off + 12] >> 4) * 4;
        if (hlen < TCP_MIN_HLEN || hlen > avail) {
            return;
        }
    } else if (proto == IP_PROTO_UDP) {
        if (avail < UDP_HLEN) {
            return;
        }
        hlen = UDP_HLEN;
    } else {
        info->l4_proto = proto;
        return;
    }
    info->l4_proto = proto;
    info->l4_off = off;
    info->l4_hdr_len = hlen;
}

static void net_parse_ipv4(const uint8_t *frame, size_t len,
                           NetFrameInfo *info)
{
    size_t l3 = info->l3_off;
    const uint8_t *ip = frame + l3;
    size_t avail = len - l3;
    size_t hlen, total;
    uint16_t frag;

    if (avail < IPV4_MIN_HLEN || (ip[0] >> 4) != 4) {
        return;
    }
    hlen = (size_t)(ip[0] & 0x0f) * 4;
    total = ld16_be(ip + 2);
    if (hlen < IPV4_MIN_HLEN || hlen > avail || total < hlen) {
        return;
    }
    info->ip_version = 4;
    info->ip_hdr_len = hlen;
    /* A datagram cut short by the frame: report only what is there. */
    info->ip_total_len = total < avail ? total : avail;

    frag = ld16_be(ip + 6);
    info->ip_fragment = (frag & (IPV4_MF | IPV4_OFFSET_MASK)) != 0;
    if (frag & IPV4_OFFSET_MASK) {
        /* Only the first fragment carries the L4 header (RFC 791). */
        return;
    }
    net_parse_l4(frame, info, ip[9], l3 + hlen, info->ip_total_len - hlen);
}

static void net_parse_ipv6(const uint8_t *frame, size_t len,
                           NetFrameInfo *info)
{
    size_t l3 = info->l3_off;
    const uint8_t *ip = frame + l3;
    size_t avail = len - l3;
    size_t total;

    if (avail < IPV6_HLEN || (ip[0] >> 4) != 6) {
        return;
    }
    /*
     * RFC 2460 section 3: the payload length excludes the fixed header.
     * Jumbograms (RFC 2675, payload length 0) need a hop-by-hop header,
     * which is not parsed, so they end at the fixed header here.
     */
    total = IPV6_HLEN + (size_t)ld16_be(ip + 4);
    info->ip_version = 6;
    info->ip_hdr_len = IPV6_HLEN;
    info->ip_total_len = total < avail ? total : avail;
    net_parse_l4(frame, info, ip[6], l3 + IPV6_HLEN,
                 info->ip_total_len - IPV6_HLEN);
}

void net_parse_frame(const uint8_t *frame, size_t len, NetFrameInfo *info)
{
    size_t l3 = ETH_HLEN;

    memset(info, 0, sizeof(*info));
    if (len < ETH_HLEN) {
        return;
    }
    info->ethertype = ld16_be(frame + 12);
    if (info->ethertype == ETH_P_VLAN) {
        /* IEEE 802.1Q section 9: TCI, then the encapsulated type. */
        if (len < ETH_HLEN + VLAN_HLEN) {
            return;
        }
        info->vlan = true;
        info->vlan_tci = ld16_be(frame + 14);
        info->ethertype = ld16_be(frame + 16);
        l3 += VLAN_HLEN;
    }
    info->l3_off = l3;
    if (info->ethertype == ETH_P_IP) {
        net_parse_ipv4(frame, len, info);
    } else if (info->ethertype == ETH_P_IPV6) {
        net_parse_ipv6(frame, len, info);
    }
}

/*
 * Fold a sum of a few 16-bit sums; 0 only if all were 0, as each part
 * is (net_csum_add), so the result is the one a single pass gives.
 */
static uint16_t net_csum_fold16(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)sum;
}

/*
 * Is the IPv4 header at ip (hlen bytes, a multiple of 4, at most 60)
 * intact? Its one's-complement sum must be all ones (RFC 1071); the
 * 32-bit host-order words add up to the same modulo 0xffff, byte order
 * aside, which does not change all ones. Per received frame, so no
 * net_csum_add call.
 */
static bool net_ipv4_hdr_ok(const uint8_t *ip, size_t hlen)
{
    uint64_t sum = 0;
    size_t i;

    for (i = 0; i < hlen; i += 4) {
        uint32_t w;

        memcpy(&w, ip + i, sizeof(w));
        sum += w;
    }
    return net_csum_fold(sum) == 0xffff;
}

/*
 * A piece's sum as seen from a sum whose words start `off` bytes earlier:
 * byte-swapped when off is odd (RFC 1071 section 2(B)).
 */
static uint32_t net_csum_shift(uint32_t part, size_t off)
{
    return off & 1 ? ((part & 0xff) << 8) | (part >> 8) : part;
}

/*
 * net_csum_add(0, frame + from, len - from), folded, from the known sum
 * `l4` of the part [l4_off, l4_end) (from <= l4_off <= l4_end <= len) and
 * a pass over the bytes around it, which are only headers and padding.
 */
static uint16_t net_csum_around(const uint8_t *frame, size_t len, size_t from,
                                size_t l4_off, size_t l4_end, uint32_t l4)
{
    uint32_t sum = net_csum_add(0, frame + from, l4_off - from);

    sum += net_csum_shift(l4, l4_off - from);
    sum += net_csum_shift(net_csum_add(0, frame + l4_end, len - l4_end),
                          l4_end - from);
    return net_csum_fold16(sum);
}

uint16_t net_verify_csum_pkt(const uint8_t *frame, size_t len,
                             const NetFrameInfo *info, size_t from,
                             NetCsumCheck *chk)
{
    size_t l3 = info->l3_off;
    size_t l4_len;
    const uint8_t *ip, *l4;
    uint32_t sum, data;
    uint16_t field;

    memset(chk, 0, sizeof(*chk));
    /* Recheck what the parse promised, in case info is not from `frame`. */
    if (l3 > len || info->ip_total_len > len - l3 ||
        info->ip_hdr_len > info->ip_total_len) {
        goto done;
    }
    ip = frame + l3;
    if (info->ip_version == 4 && info->ip_hdr_len >= IPV4_MIN_HLEN) {
        chk->ip_checked = true;
        chk->ip_ok = net_ipv4_hdr_ok(ip, info->ip_hdr_len);
        /*
         * The L4 checksum covers the whole reassembled datagram, and a
         * datagram longer than the frame cannot be summed: leave both to
         * the guest's stack.
         */
        if (info->ip_fragment || ld16_be(ip + 2) != info->ip_total_len) {
            goto done;
        }
    } else if (info->ip_version == 6 && info->ip_hdr_len == IPV6_HLEN) {
        if (IPV6_HLEN + (size_t)ld16_be(ip + 4) != info->ip_total_len) {
            goto done;
        }
    } else {
        goto done;
    }

    if ((info->l4_proto != IP_PROTO_TCP && info->l4_proto != IP_PROTO_UDP) ||
        info->l4_off != l3 + info->ip_hdr_len) {
        goto done;
    }
    l4_len = info->ip_total_len - info->ip_hdr_len;
    if (info->l4_hdr_len > l4_len ||
        l4_len < (info->l4_proto == IP_PROTO_TCP ? TCP_MIN_HLEN : UDP_HLEN)) {
        goto done;
    }
    l4 = frame + info->l4_off;

    if (info->l4_proto == IP_PROTO_UDP) {
        field = ld16_be(l4 + 6);
        if (field == 0 && info->ip_version == 4) {
            /* RFC 768: zero means the sender computed no checksum. */
            goto done;
        }
        chk->l4_checked = true;
        /*
         * RFC 2460 section 8.1: over IPv6 the checksum is mandatory and a
         * zero one is an error. The UDP length bounds the sum; it must fit
         * the IP payload and hold the header.
         */
        if (field == 0 || ld16_be(l4 + 4) < UDP_HLEN ||
            ld16_be(l4 + 4) > l4_len) {
            goto done;
        }
        l4_len = ld16_be(l4 + 4);
    } else {
        chk->l4_checked = true;
    }

    if (info->ip_version == 4) {
        sum = net_pseudo_sum_v4(ip + 12, ip + 16, info->l4_proto,
                                (uint32_t)l4_len);
    } else {
        sum = net_pseudo_sum_v6(ip + 8, ip + 24, info->l4_proto,
                                (uint32_t)l4_len);
    }
    /* The one pass over the payload, shared with the packet sum. */
    data = net_csum_add(0, l4, l4_len);
    chk->l4_ok = net_csum_finish(sum + data) == 0;
    if (from <= info->l4_off) {
        return net_csum_around(frame, len, from, info->l4_off,
                               info->l4_off + l4_len, data);
    }

done:
    /* Short headers are cheaper to sum again than to take apart. */
    return from < len ? net_csum_fold16(net_csum_add(0, frame + from,
                                                     len - from)) : 0;
}

void net_verify_csum(const uint8_t *frame, size_t len,
                     const NetFrameInfo *info, bool *ip_checked, bool *ip_ok,
                     bool *l4_checked, bool *l4_ok)
{
    NetCsumCheck chk;

    /* from == len: no packet sum, so the payload is summed once only. */
    net_verify_csum_pkt(frame, len, info, len, &chk);
    *ip_checked = chk.ip_checked;
    *ip_ok = chk.ip_ok;
    *l4_checked = chk.l4_checked;
    *l4_ok = chk.l4_ok;
}
