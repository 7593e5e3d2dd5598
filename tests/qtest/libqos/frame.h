/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libqos frame: the test-side frame builder (Ethernet, 802.1Q, IPv4,
 * IPv6, TCP, UDP, ICMP) and reference arithmetic (RFC 1071 checksums,
 * IEEE 802.3 CRC-32) that the NIC drivers in libqos share. Written
 * independently of emunet's net_util, so that tests can check it.
 */
#ifndef LIBQOS_FRAME_H
#define LIBQOS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline uint16_t qframe_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t qframe_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

static inline void qframe_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v & 0xff;
}

static inline void qframe_put_be32(uint8_t *p, uint32_t v)
{
    qframe_put_be16(p, v >> 16);
    qframe_put_be16(p + 2, v & 0xffff);
}

typedef enum QFrameL3 {
    QFRAME_L3_NONE, /* spec->ethertype, then the L4 header or payload */
    QFRAME_L3_IPV4, /* 10.0.0.1 -> 10.0.0.2, DF, TTL 64 */
    QFRAME_L3_IPV6, /* fe80::1 -> fe80::2, hop limit 64 */
} QFrameL3;

typedef enum QFrameL4 {
    QFRAME_L4_NONE, /* IP protocol 253 / next header 59 (RFC 3692) */
    QFRAME_L4_TCP,
    QFRAME_L4_UDP,
    QFRAME_L4_ICMP, /* echo request, 8-byte header */
} QFrameL4;

typedef enum QFrameCsum {
    QFRAME_CSUM_VALID,   /* complete and correct */
    QFRAME_CSUM_PSEUDO,  /* L4: the folded pseudo-header sum (Linux
                          * CHECKSUM_PARTIAL); ICMP has none: complete */
    QFRAME_CSUM_ZERO,    /* left 0 */
    QFRAME_CSUM_GARBAGE, /* 0xdead, which an offload must not add to */
} QFrameCsum;

/* What qframe_build writes. Every field is used as given (no defaults). */
typedef struct QFrameSpec {
    uint8_t dst[6];
    uint8_t src[6];
    bool vlan;                 /* insert an 802.1Q tag */
    uint16_t vlan_tpid;        /* its TPID; 0 means 0x8100 */
    uint16_t tci;              /* its TCI */
    uint16_t ethertype;        /* with QFRAME_L3_NONE only */
    QFrameL3 l3;
    QFrameL4 l4;
    size_t ip_opt_len;         /* IPv4 NOP options: multiple of 4, <= 40 */
    uint16_t ip_id;            /* IPv4 identification */
    uint16_t sport;            /* TCP and UDP ports */
    uint16_t dport;
    uint32_t tcp_seq;
    uint32_t tcp_ack;
    uint8_t tcp_flags;
    size_t tcp_opt_len;        /* TCP options: multiple of 4, <= 40 */
    const uint8_t *tcp_opt;    /* their bytes; NULL means all NOP */
    size_t payload_len;
    uint8_t payload_seed;      /* payload byte i = payload_byte(seed, i) */
    uint8_t (*payload_byte)(uint8_t seed, size_t i);
    QFrameCsum ip_csum;        /* IPv4 header checksum: not PSEUDO */
    QFrameCsum l4_csum;        /* TCP/UDP/ICMP checksum (with an L3) */
    bool zero_lengths;         /* IPv4 total length or IPv6 payload length
                                * 0, and 0 as the pseudo-header length, as
                                * Linux prepares TSO headers */
} QFrameSpec;

/* Where qframe_build put things. */
typedef struct QFrameInfo {
    size_t len;         /* the whole frame */
    size_t l3_off;      /* the byte after the ethertype */
    size_t l4_off;      /* after the IP header (l3_off without one) */
    size_t l4_hdr_len;  /* 0 without an L4 header */
    size_t payload_off; /* l4_off + l4_hdr_len */
} QFrameInfo;

/*
 * Build spec into buf (cap bytes; asserts that the frame fits); returns
 * its length. info may be NULL.
 */
size_t qframe_build(uint8_t *buf, size_t cap, const QFrameSpec *spec,
                    QFrameInfo *info);

/*
 * Reference arithmetic. qframe_sum adds big-endian 16-bit words (an odd
 * last byte padded with zero) to sum, unfolded; qframe_fold folds the
 * carries back in (RFC 1071 4.1) without complementing.
 */
uint32_t qframe_sum(uint32_t sum, const uint8_t *p, size_t len);
uint16_t qframe_fold(uint32_t sum);
/* Pseudo-header sum of the IPv4 or IPv6 header at ip (RFC 793, 8200). */
uint32_t qframe_pseudo_sum(const uint8_t *ip, uint8_t proto,
                           uint32_t l4_len);
/* The IPv4 header at frame + l3_off sums to 0xffff. */
bool qframe_ipv4_csum_ok(const uint8_t *frame, size_t l3_off);
/*
 * The TCP/UDP checksum at frame + l4_off is right, over the length the
 * IPv4 or IPv6 header (version from its first byte) at l3_off gives;
 * false as well if that length does not fit in len or ends before l4_off.
 */
bool qframe_l4_csum_ok(const uint8_t *frame, size_t len, size_t l3_off,
                       size_t l4_off);
/* IEEE 802.3 CRC-32: the FCS value, stored little-endian after data. */
uint32_t qframe_crc32(const uint8_t *p, size_t len);

#endif
