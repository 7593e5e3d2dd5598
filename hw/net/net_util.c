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

uint32_t net_csum_add(uint32_t sum, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint64_t acc = sum;
    size_t i = 0;

    /*
     * Summing big-endian 32-bit words is the same as summing their two
     * 16-bit halves, because 2^16 == 1 (mod 0xffff) in one's-complement
     * arithmetic (RFC 1071 section 2(B)); it halves the loop count. The
     * 64-bit accumulator cannot overflow below 16 GiB of input.
     */
    for (; i + 4 <= len; i += 4) {
        acc += ld32_be(p + i);
    }
    if (i + 2 <= len) {
        acc += ld16_be(p + i);
        i += 2;
    }
    if (i < len) {
        /* RFC 1071: an odd last byte is padded with a zero low byte. */
        acc += (uint32_t)p[i] << 8;
    }
    /*
     * Fold the end-around carries in now, so the caller gets at most 16
     * bits and can add pseudo-header and other partial sums directly
     * without overflowing 32 bits.
     */
    while (acc >> 16) {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    return (uint32_t)acc;
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

/*
 * Reflected CRC-32 table for the IEEE 802.3 polynomial 0x04c11db7
 * (reversed: 0xedb88320), entry i = CRC of the byte i.
 */
static const uint32_t net_crc_table[256] = {
    0x00000000, 0x77073096, 0xee0e612c, 0x990951ba,
    0x076dc419, 0x706af48f, 0xe963a535, 0x9e6495a3,
    0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988,
    0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91,
    0x1db71064, 0x6ab020f2, 0xf3b97148, 0x84be41de,
    0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
    0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec,
    0x14015c4f, 0x63066cd9, 0xfa0f3d63, 0x8d080df5,
    0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172,
    0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b,
    0x35b5a8fa, 0x42b2986c, 0xdbbbc9d6, 0xacbcf940,
    0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
    0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116,
    0x21b4f4b5, 0x56b3c423, 0xcfba9599, 0xb8bda50f,
    0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924,
    0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d,
    0x76dc4190, 0x01db7106, 0x98d220bc, 0xefd5102a,
    0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
    0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818,
    0x7f6a0dbb, 0x086d3d2d, 0x91646c97, 0xe6635c01,
    0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e,
    0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457,
    0x65b0d9c6, 0x12b7e950, 0x8bbeb8ea, 0xfcb9887c,
    0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
    0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2,
    0x4adfa541, 0x3dd895d7, 0xa4d1c46d, 0xd3d6f4fb,
    0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0,
    0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9,
    0x5005713c, 0x270241aa, 0xbe0b1010, 0xc90c2086,
    0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
    0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4,
    0x59b33d17, 0x2eb40d81, 0xb7bd5c3b, 0xc0ba6cad,
    0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a,
    0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683,
    0xe3630b12, 0x94643b84, 0x0d6d6a3e, 0x7a6a5aa8,
    0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
    0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe,
    0xf762575d, 0x806567cb, 0x196c3671, 0x6e6b06e7,
    0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc,
    0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5,
    0xd6d6a3e8, 0xa1d1937e, 0x38d8c2c4, 0x4fdff252,
    0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
    0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60,
    0xdf60efc3, 0xa867df55, 0x316e8eef, 0x4669be79,
    0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236,
    0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f,
    0xc5ba3bbe, 0xb2bd0b28, 0x2bb45a92, 0x5cb36a04,
    0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
    0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a,
    0x9c0906a9, 0xeb0e363f, 0x72076785, 0x05005713,
    0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38,
    0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21,
    0x86d3d2d4, 0xf1d4e242, 0x68ddb3f8, 0x1fda836e,
    0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
    0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c,
    0x8f659eff, 0xf862ae69, 0x616bffd3, 0x166ccf45,
    0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2,
    0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db,
    0xaed16a4a, 0xd9d65adc, 0x40df0b66, 0x37d83bf0,
    0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
    0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6,
    0xbad03605, 0xcdd70693, 0x54de5729, 0x23d967bf,
    0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94,
    0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d,
};

/* Run the reflected (LSB-first) CRC register over buf, no pre/post xor. */
static uint32_t net_crc_update(uint32_t crc, const uint8_t *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        crc = net_crc_table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
    }
    return crc;
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

uint32_t net_crc32_be(const uint8_t *buf, size_t len)
{
    /*
     * The hash NICs use shifts the bits in LSB first, as they arrive on
     * the wire, through an MSB-first register preset to all ones and not
     * complemented at the end (Linux ether_crc(), QEMU net_crc32()). That
     * register is the bit-reversal of the reflected one, so the table can
     * be shared.
     */
    return net_bitrev32(net_crc_update(0xffffffffu, buf, len));
}

bool net_is_multicast(const uint8_t *mac)
{
    /* IEEE 802-2014 section 8.2: I/G bit, first bit on the wire. */
    return mac[0] & 0x01;
}

bool net_is_broadcast(const uint8_t *mac)
{
    return (mac[0] & mac[1] & mac[2] & mac[3] & mac[4] & mac[5]) == 0xff;
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

void net_verify_csum(const uint8_t *frame, size_t len,
                     const NetFrameInfo *info, bool *ip_checked, bool *ip_ok,
                     bool *l4_checked, bool *l4_ok)
{
    size_t l3 = info->l3_off;
    size_t l4_len;
    const uint8_t *ip, *l4;
    uint32_t sum;
    uint16_t field;

    *ip_checked = false;
    *ip_ok = false;
    *l4_checked = false;
    *l4_ok = false;

    /* Recheck what the parse promised, in case info is not from `frame`. */
    if (l3 > len || info->ip_total_len > len - l3 ||
        info->ip_hdr_len > info->ip_total_len) {
        return;
    }
    ip = frame + l3;
    if (info->ip_version == 4 && info->ip_hdr_len >= IPV4_MIN_HLEN) {
        *ip_checked = true;
        *ip_ok = net_csum_finish(net_csum_add(0, ip, info->ip_hdr_len)) == 0;
        /*
         * The L4 checksum covers the whole reassembled datagram, and a
         * datagram longer than the frame cannot be summed: leave both to
         * the guest's stack.
         */
        if (info->ip_fragment || ld16_be(ip + 2) != info->ip_total_len) {
            return;
        }
    } else if (info->ip_version == 6 && info->ip_hdr_len == IPV6_HLEN) {
        if (IPV6_HLEN + (size_t)ld16_be(ip + 4) != info->ip_total_len) {
            return;
        }
    } else {
        return;
    }

    if ((info->l4_proto != IP_PROTO_TCP && info->l4_proto != IP_PROTO_UDP) ||
        info->l4_off != l3 + info->ip_hdr_len) {
        return;
    }
    l4_len = info->ip_total_len - info->ip_hdr_len;
    if (info->l4_hdr_len > l4_len ||
        l4_len < (info->l4_proto == IP_PROTO_TCP ? TCP_MIN_HLEN : UDP_HLEN)) {
        return;
    }
    l4 = frame + info->l4_off;

    if (info->l4_proto == IP_PROTO_UDP) {
        field = ld16_be(l4 + 6);
        if (field == 0 && info->ip_version == 4) {
            /* RFC 768: zero means the sender computed no checksum. */
            return;
        }
        *l4_checked = true;
        /*
         * RFC 2460 section 8.1: over IPv6 the checksum is mandatory and a
         * zero one is an error. The UDP length bounds the sum; it must fit
         * the IP payload and hold the header.
         */
        if (field == 0 || ld16_be(l4 + 4) < UDP_HLEN ||
            ld16_be(l4 + 4) > l4_len) {
            return;
        }
        l4_len = ld16_be(l4 + 4);
    } else {
        *l4_checked = true;
    }

    if (info->ip_version == 4) {
        sum = net_pseudo_sum_v4(ip + 12, ip + 16, info->l4_proto,
                                (uint32_t)l4_len);
    } else {
        sum = net_pseudo_sum_v6(ip + 8, ip + 24, info->l4_proto,
                                (uint32_t)l4_len);
    }
    sum = net_csum_add(sum, l4, l4_len);
    *l4_ok = net_csum_finish(sum) == 0;
}
