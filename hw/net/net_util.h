/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Frame helpers shared by the NIC models: Internet checksums (RFC 1071,
 * 768, 793, 2460), Ethernet CRC-32 and multicast hashing, short-frame
 * padding, and a bounds-checked L2/L3/L4 header parser. Every function
 * takes the frame length and never reads past it.
 */
#ifndef EMUNET_NET_UTIL_H
#define EMUNET_NET_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_VLAN 0x8100
#define ETH_P_IPV6 0x86dd
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17

/*
 * Add `len` bytes at `buf` to a one's-complement sum, as big-endian 16-bit
 * words, treating buf as starting on an even byte of the covered data
 * (an odd trailing byte is the high half of a final word). Returns the
 * running sum, not complemented, with carries folded in (at most 0xffff,
 * so a few such sums may be added directly); chain calls only on
 * even-length pieces.
 */
uint32_t net_csum_add(uint32_t sum, const void *buf, size_t len);

/* Fold the accumulator to 16 bits and complement it (the value to store).
 * A result of 0 is returned as 0 (callers needing UDP's 0xffff convert). */
uint16_t net_csum_finish(uint32_t sum);

/* Pseudo-header sums (unfolded) for TCP/UDP over IPv4 and IPv6. */
uint32_t net_pseudo_sum_v4(const uint8_t *saddr, const uint8_t *daddr,
                           uint8_t proto, uint32_t l4_len);
uint32_t net_pseudo_sum_v6(const uint8_t *saddr, const uint8_t *daddr,
                           uint8_t next_header, uint32_t l4_len);

/* IEEE 802.3 CRC-32 of buf (the FCS value, as transmitted LSB first). */
uint32_t net_crc32(const uint8_t *buf, size_t len);

/*
 * The same by the portable table method alone, which net_crc32 uses on
 * CPUs without carry-less multiply: for tests of each implementation.
 */
uint32_t net_crc32_portable(const uint8_t *buf, size_t len);

/*
 * Big-endian (MSB-first) CRC-32 of a 6-byte address, as used by RTL8139
 * and many NICs for the 64-bin multicast hash: bin = crc >> 26.
 */
uint32_t net_crc32_be(const uint8_t *buf, size_t len);

/*
 * Address classes (first octet bit 0: group; all ones: broadcast). Inline:
 * receive filters ask for every frame.
 */
static inline bool net_is_multicast(const uint8_t *mac)
{
    /* IEEE 802-2014 section 8.2: I/G bit, first bit on the wire. */
    return mac[0] & 0x01;
}

static inline bool net_is_broadcast(const uint8_t *mac)
{
    return (mac[0] & mac[1] & mac[2] & mac[3] & mac[4] & mac[5]) == 0xff;
}

/*
 * Zero-pad a frame of `len` bytes in a buffer of `cap` bytes up to
 * ETH_ZLEN (60). Returns the new length (len if already long enough or if
 * cap < 60, in which case nothing is written).
 */
size_t net_pad_short(uint8_t *buf, size_t len, size_t cap);

/* What net_parse_frame found; offsets are from the frame start. */
typedef struct NetFrameInfo {
    uint16_t ethertype;   /* after any 802.1Q tag */
    bool vlan;            /* one 802.1Q tag present */
    uint16_t vlan_tci;
    size_t l3_off;        /* start of the IP header */
    int ip_version;       /* 4, 6 or 0 (not IP / truncated) */
    size_t ip_hdr_len;    /* IPv4 IHL*4 (>= 20) or 40 for IPv6 */
    size_t ip_total_len;  /* from the header, clamped to the frame */
    bool ip_fragment;     /* IPv4 MF or offset != 0 */
    uint8_t l4_proto;     /* TCP/UDP/other; 0 if none */
    size_t l4_off;        /* start of the TCP/UDP header; 0 if none */
    size_t l4_hdr_len;    /* TCP doff*4 (>= 20) or 8 for UDP; 0 if none */
} NetFrameInfo;

/*
 * Parse Ethernet (+ one 802.1Q tag), IPv4 (options allowed) or IPv6
 * (no extension headers: l4 only when next header is TCP/UDP) and the
 * TCP/UDP header. A field that does not fit the frame or is inconsistent
 * (IHL < 5, IP total length < header, doff < 5, header past the end)
 * stops the parse at the last layer that was valid: ip_version 0 or
 * l4_proto 0. Never reads beyond `len`.
 */
void net_parse_frame(const uint8_t *frame, size_t len, NetFrameInfo *info);

/*
 * Verify the IPv4 header checksum and the TCP/UDP checksum of a parsed
 * frame (RX checksum offload). ip_ok/l4_ok are set only when the
 * corresponding check applied; *_checked tell whether it did.
 */
void net_verify_csum(const uint8_t *frame, size_t len,
                     const NetFrameInfo *info, bool *ip_checked, bool *ip_ok,
                     bool *l4_checked, bool *l4_ok);

/* What net_verify_csum_pkt found: *_ok is set only where *_checked. */
typedef struct NetCsumCheck {
    bool ip_checked, ip_ok; /* IPv4 header checksum */
    bool l4_checked, l4_ok; /* TCP/UDP checksum */
} NetCsumCheck;

/*
 * net_verify_csum, and the one's-complement sum (not complemented, at
 * most 0xffff, 0 only if all bytes are) of frame[from, len) as 16-bit
 * words from frame[from] -- the "packet checksum" of RX checksum offload
 * (8254x RXCSUM.PCSS) -- with the payload summed once for both when
 * `from` is not inside the TCP/UDP part. Returns 0 when from >= len.
 */
uint16_t net_verify_csum_pkt(const uint8_t *frame, size_t len,
                             const NetFrameInfo *info, size_t from,
                             NetCsumCheck *chk);

#endif
