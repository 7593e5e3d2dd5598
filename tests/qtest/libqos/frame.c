/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libqos frame: test frames and reference checksums (frame.h), from the
 * RFCs (791, 793, 768, 792, 8200, 1071) and IEEE 802.3 / 802.1Q.
 */
#include <string.h>

#include <glib.h>

#include "libqos/frame.h"

static uint8_t qframe_ip_proto(QFrameL3 l3, QFrameL4 l4)
{
    switch (l4) {
    case QFRAME_L4_TCP:
        return 6;
    case QFRAME_L4_UDP:
        return 17;
    case QFRAME_L4_ICMP:
        return 1;
    default:
        /* RFC 3692 experimental; IPv6 "no next header" (RFC 8200 4.7). */
        return l3 == QFRAME_L3_IPV6 ? 59 : 253;
    }
}

static size_t qframe_l4_hdr_len(const QFrameSpec *spec)
{
    switch (spec->l4) {
    case QFRAME_L4_TCP:
        return 20 + spec->tcp_opt_len;
    case QFRAME_L4_UDP:
    case QFRAME_L4_ICMP:
        return 8;
    default:
        return 0;
    }
}

static void qframe_put_ip(uint8_t *ip, size_t ihl, size_t len,
                          const QFrameSpec *spec)
{
    uint8_t proto = qframe_ip_proto(spec->l3, spec->l4);

    if (spec->l3 == QFRAME_L3_IPV4) {
        ip[0] = 0x40 | (uint8_t)(ihl / 4);
        qframe_put_be16(ip + 2, spec->zero_lengths ? 0 : (uint16_t)len);
        qframe_put_be16(ip + 4, spec->ip_id);
        qframe_put_be16(ip + 6, 0x4000); /* DF */
        ip[8] = 64;
        ip[9] = proto;
        qframe_put_be32(ip + 12, 0x0a000001);
        qframe_put_be32(ip + 16, 0x0a000002);
        memset(ip + 20, 0x01, ihl - 20); /* NOP options */
    } else {
        ip[0] = 0x60;
        qframe_put_be16(ip + 4,
                        spec->zero_lengths ? 0 : (uint16_t)(len - 40));
        ip[6] = proto;
        ip[7] = 64;
        ip[8] = 0xfe;
        ip[9] = 0x80;
        ip[23] = 1;
        ip[24] = 0xfe;
        ip[25] = 0x80;
        ip[39] = 2;
    }
}

static void qframe_put_l4(uint8_t *l4, size_t l4h, size_t len,
                          const QFrameSpec *spec)
{
    if (spec->l4 == QFRAME_L4_TCP) {
        qframe_put_be16(l4, spec->sport);
        qframe_put_be16(l4 + 2, spec->dport);
        qframe_put_be32(l4 + 4, spec->tcp_seq);
        qframe_put_be32(l4 + 8, spec->tcp_ack);
        l4[12] = (uint8_t)((l4h / 4) << 4);
        l4[13] = spec->tcp_flags;
        qframe_put_be16(l4 + 14, 0xffff); /* window */
        if (spec->tcp_opt) {
            memcpy(l4 + 20, spec->tcp_opt, spec->tcp_opt_len);
        } else {
            memset(l4 + 20, 0x01, spec->tcp_opt_len); /* NOP */
        }
    } else if (spec->l4 == QFRAME_L4_UDP) {
        qframe_put_be16(l4, spec->sport);
        qframe_put_be16(l4 + 2, spec->dport);
        qframe_put_be16(l4 + 4, (uint16_t)len);
    } else if (spec->l4 == QFRAME_L4_ICMP) {
        l4[0] = 8; /* echo request */
    }
}

/* The L4 checksum field of an L4 header after an IP header. */
static uint16_t qframe_l4_csum(const uint8_t *ip, const uint8_t *l4,
                               size_t len, const QFrameSpec *spec)
{
    uint8_t proto = qframe_ip_proto(spec->l3, spec->l4);
    uint32_t ps = 0;
    uint16_t v;

    switch (spec->l4_csum) {
    case QFRAME_CSUM_ZERO:
        return 0;
    case QFRAME_CSUM_GARBAGE:
        return 0xdead;
    default:
        break;
    }
    if (spec->l4 != QFRAME_L4_ICMP) {
        ps = qframe_pseudo_sum(ip, proto,
                               spec->zero_lengths ? 0 : (uint32_t)len);
        if (spec->l4_csum == QFRAME_CSUM_PSEUDO) {
            return qframe_fold(ps);
        }
    }
    v = (uint16_t)~qframe_fold(qframe_sum(ps, l4, len));
    /* RFC 768: a computed 0 is sent as all ones. */
    return spec->l4 == QFRAME_L4_UDP && v == 0 ? 0xffff : v;
}

size_t qframe_build(uint8_t *buf, size_t cap, const QFrameSpec *spec,
                    QFrameInfo *info)
{
    size_t l3 = spec->vlan ? 18 : 14, ihl = 0, l4, l4h, pay, len, i;
    uint16_t ethertype = spec->ethertype;

    g_assert_cmpuint(spec->ip_opt_len % 4, ==, 0);
    g_assert_cmpuint(spec->ip_opt_len, <=, 40);
    g_assert_cmpuint(spec->tcp_opt_len % 4, ==, 0);
    g_assert_cmpuint(spec->tcp_opt_len, <=, 40);
    if (spec->l3 == QFRAME_L3_IPV4) {
        ihl = 20 + spec->ip_opt_len;
        ethertype = 0x0800;
    } else if (spec->l3 == QFRAME_L3_IPV6) {
        ihl = 40;
        ethertype = 0x86dd;
    }
    l4 = l3 + ihl;
    l4h = qframe_l4_hdr_len(spec);
    pay = l4 + l4h;
    len = pay + spec->payload_len;
    g_assert_cmpuint(len, <=, cap);
    memset(buf, 0, len);

    memcpy(buf, spec->dst, 6);
    memcpy(buf + 6, spec->src, 6);
    if (spec->vlan) {
        qframe_put_be16(buf + 12, spec->vlan_tpid ? spec->vlan_tpid
                                                  : 0x8100);
        qframe_put_be16(buf + 14, spec->tci);
    }
    qframe_put_be16(buf + l3 - 2, ethertype);
    if (spec->l3 != QFRAME_L3_NONE) {
        qframe_put_ip(buf + l3, ihl, len - l3, spec);
    }
    qframe_put_l4(buf + l4, l4h, len - l4, spec);
    for (i = 0; i < spec->payload_len; i++) {
        buf[pay + i] = spec->payload_byte(spec->payload_seed, i);
    }

    if (spec->l3 == QFRAME_L3_IPV4 && spec->ip_csum == QFRAME_CSUM_VALID) {
        qframe_put_be16(buf + l3 + 10,
                        (uint16_t)~qframe_fold(qframe_sum(0, buf + l3,
                                                          ihl)));
    } else if (spec->l3 == QFRAME_L3_IPV4 &&
               spec->ip_csum == QFRAME_CSUM_GARBAGE) {
        qframe_put_be16(buf + l3 + 10, 0xdead);
    }
    if (spec->l3 != QFRAME_L3_NONE && spec->l4 != QFRAME_L4_NONE) {
        size_t cso = spec->l4 == QFRAME_L4_TCP ? 16
                     : spec->l4 == QFRAME_L4_UDP ? 6 : 2;

        qframe_put_be16(buf + l4 + cso,
                        qframe_l4_csum(buf + l3, buf + l4, len - l4, spec));
    }

    if (info) {
        info->len = len;
        info->l3_off = l3;
        info->l4_off = l4;
        info->l4_hdr_len = l4h;
        info->payload_off = pay;
    }
    return len;
}

uint32_t qframe_sum(uint32_t sum, const uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i + 1 < len; i += 2) {
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    }
    if (len & 1) {
        sum += (uint32_t)p[len - 1] << 8;
    }
    return sum;
}

uint16_t qframe_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)sum;
}

uint32_t qframe_pseudo_sum(const uint8_t *ip, uint8_t proto,
                           uint32_t l4_len)
{
    uint32_t sum;

    if ((ip[0] >> 4) == 4) {
        sum = qframe_sum(0, ip + 12, 8);
    } else {
        sum = qframe_sum(0, ip + 8, 32);
    }
    return sum + proto + (l4_len >> 16) + (l4_len & 0xffff);
}

bool qframe_ipv4_csum_ok(const uint8_t *frame, size_t l3_off)
{
    size_t ihl = (frame[l3_off] & 0x0f) * 4u;

    return qframe_fold(qframe_sum(0, frame + l3_off, ihl)) == 0xffff;
}

bool qframe_l4_csum_ok(const uint8_t *frame, size_t len, size_t l3_off,
                       size_t l4_off)
{
    const uint8_t *ip = frame + l3_off;
    uint8_t proto;
    size_t end;

    if ((ip[0] >> 4) == 4) {
        proto = ip[9];
        end = l3_off + qframe_be16(ip + 2);
    } else {
        proto = ip[6];
        end = l3_off + 40 + qframe_be16(ip + 4);
    }
    if (end > len || end < l4_off) {
        return false;
    }
    return qframe_fold(qframe_sum(qframe_pseudo_sum(ip, proto,
                                                    end - l4_off),
                                  frame + l4_off, end - l4_off)) == 0xffff;
}

uint32_t qframe_crc32(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xffffffff;
    size_t i;
    int b;

    for (i = 0; i < len; i++) {
        crc ^= p[i];
        for (b = 0; b < 8; b++) {
            crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
        }
    }
    return ~crc;
}
