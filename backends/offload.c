/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The optional offload path of the NIC/backend seam (net_peer_send_offload)
 * and the software that finishes an offloaded frame wherever it cannot be
 * handed on whole: a backend without offloads, the pcap tee, and frames a
 * tap's kernel side hands up unfinished. Segmentation does what a TSO NIC
 * does (8254x SDM section 3.5.2, "TCP Segmentation") and what Linux's
 * tcp_gso_segment does for a virtio-net header: copy the headers, advance
 * the IPv4 ID and the TCP sequence number, keep FIN/PSH for the last
 * segment and CWR for the first, fix lengths and checksums.
 */
#include "backends/netbe-priv.h"
#include "emunet/log.h"
#include "hw/net/net_util.h"

#define IPV4_HLEN_MIN 20
#define IPV6_HLEN 40
#define TCP_HLEN_MIN 20
#define TCP_CSUM_OFF 16
/* IPv4 flags/fragment offset: MF and the offset (RFC 791 section 3.1). */
#define IPV4_FRAG_MASK 0x3fff
#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_CWR 0x80

size_t net_iov_size(const struct iovec *iov, int iovcnt)
{
    size_t len = 0;
    int i;

    for (i = 0; i < iovcnt; i++) {
        len += iov[i].iov_len;
    }
    return len;
}

size_t net_iov_to_buf(const struct iovec *iov, int iovcnt, uint8_t *buf,
                      size_t cap)
{
    size_t done = 0;
    int i;

    for (i = 0; i < iovcnt && done < cap; i++) {
        size_t n = MIN(iov[i].iov_len, cap - done);

        memcpy(buf + done, iov[i].iov_base, n);
        done += n;
    }
    return done;
}

bool net_offload_is_none(const NetOffload *off)
{
    return !off || (!off->csum && off->gso_type == NET_GSO_NONE);
}

/* The IP and TCP headers of a segmentation request, from `head`. */
static bool offload_check_gso(const NetOffload *off, const uint8_t *head,
                              size_t len, NetOffloadInfo *info,
                              const char **why)
{
    size_t hdr = off->hdr_len;
    size_t l3 = ETH_HLEN, l4, thl, seg, ip_len;
    uint16_t type;

    if (off->gso_size == 0) {
        *why = "segment size 0";
        return false;
    }
    if (hdr > len || hdr > NET_OFFLOAD_HDR_MAX || hdr < ETH_HLEN) {
        *why = "header length outside the frame";
        return false;
    }
    type = ld16_be(head + 12);
    if (type == ETH_P_VLAN) {
        if (hdr < ETH_HLEN + 4) {
            *why = "header length outside the frame";
            return false;
        }
        type = ld16_be(head + 16);
        l3 += 4;
    }
    if (off->gso_type == NET_GSO_TCPV4) {
        if (type != ETH_P_IP || hdr < l3 + IPV4_HLEN_MIN ||
            (head[l3] >> 4) != 4) {
            *why = "TCPv4 segmentation of a frame that is not IPv4";
            return false;
        }
        l4 = l3 + (size_t)(head[l3] & 0x0f) * 4;
        if (l4 < l3 + IPV4_HLEN_MIN || head[l3 + 9] != IP_PROTO_TCP ||
            (ld16_be(head + l3 + 6) & IPV4_FRAG_MASK)) {
            *why = "TCPv4 segmentation of a frame that is not TCP";
            return false;
        }
    } else if (off->gso_type == NET_GSO_TCPV6) {
        if (type != ETH_P_IPV6 || hdr < l3 + IPV6_HLEN ||
            (head[l3] >> 4) != 6 || head[l3 + 6] != IP_PROTO_TCP) {
            *why = "TCPv6 segmentation of a frame that is not TCP/IPv6";
            return false;
        }
        l4 = l3 + IPV6_HLEN;
    } else {
        *why = "unknown segmentation type";
        return false;
    }
    if (hdr < l4 + TCP_HLEN_MIN) {
        *why = "header length shorter than the TCP header";
        return false;
    }
    /* RFC 793 section 3.1: data offset in 32-bit words, at least 5. */
    thl = (size_t)(head[l4 + 12] >> 4) * 4;
    if (thl < TCP_HLEN_MIN || l4 + thl != hdr) {
        *why = "header length does not end at the TCP payload";
        return false;
    }
    if (!off->csum || off->csum_start != l4 ||
        off->csum_offset != TCP_CSUM_OFF) {
        *why = "segmentation without the TCP checksum";
        return false;
    }
    /* Every segment must be a packet its IP length field can describe. */
    seg = MIN((size_t)off->gso_size, len - hdr);
    ip_len = hdr - l3 + seg;
    if (off->gso_type == NET_GSO_TCPV6) {
        ip_len -= IPV6_HLEN;
    }
    if (ip_len > 0xffff) {
        *why = "segment longer than an IP packet";
        return false;
    }
    info->l3_off = l3;
    info->l4_off = l4;
    info->ipv6 = off->gso_type == NET_GSO_TCPV6;
    return true;
}

bool net_offload_check(const NetOffload *off, const uint8_t *head, size_t len,
                       NetOffloadInfo *info, const char **why)
{
    memset(info, 0, sizeof(*info));
    if (len < ETH_HLEN) {
        *why = "frame shorter than an Ethernet header";
        return false;
    }
    if (off->gso_type != NET_GSO_NONE) {
        return offload_check_gso(off, head, len, info, why);
    }
    if (off->csum && (size_t)off->csum_start + off->csum_offset + 2 > len) {
        *why = "checksum field outside the frame";
        return false;
    }
    return true;
}

size_t net_offload_nsegs(const NetOffload *off, size_t len)
{
    size_t payload;

    if (off->gso_type == NET_GSO_NONE || len <= off->hdr_len) {
        return 1;
    }
    payload = len - off->hdr_len;
    return (payload + off->gso_size - 1) / off->gso_size;
}

size_t net_offload_seg_max(const NetOffload *off, size_t len)
{
    if (off->gso_type == NET_GSO_NONE) {
        return len;
    }
    return off->hdr_len + MIN((size_t)off->gso_size, len - off->hdr_len);
}

void net_offload_csum(const NetOffload *off, uint8_t *frame, size_t len)
{
    size_t start = off->csum_start;
    uint16_t sum;

    if (!off->csum) {
        return;
    }
    /* The seeded field is part of the sum (virtio 1.1 section 5.1.6.2). */
    sum = net_csum_finish(net_csum_add(0, frame + start, len - start));
    /*
     * A computed 0 goes out as 0xffff, its one's-complement twin: for UDP
     * a 0 would mean "no checksum" (RFC 768).
     */
    st16_be(frame + start + off->csum_offset, sum ? sum : 0xffff);
}

size_t net_offload_segment(const NetOffload *off, const NetOffloadInfo *info,
                           const uint8_t *frame, size_t len, size_t i,
                           uint8_t *out)
{
    size_t hdr = off->hdr_len;
    size_t nsegs = net_offload_nsegs(off, len);
    size_t start = i * off->gso_size;
    size_t plen = MIN((size_t)off->gso_size, len - hdr - start);
    size_t l4_len = hdr - info->l4_off + plen;
    uint8_t *ip = out + info->l3_off;
    uint8_t *th = out + info->l4_off;
    uint8_t flags;
    uint32_t sum;

    memcpy(out, frame, hdr);
    memcpy(out + hdr, frame + hdr + start, plen);
    if (!info->ipv6) {
        size_t ihl = info->l4_off - info->l3_off;

        st16_be(ip + 2, (uint16_t)(ihl + l4_len));
        st16_be(ip + 4, (uint16_t)(ld16_be(ip + 4) + i));
        st16_be(ip + 10, 0);
        st16_be(ip + 10, net_csum_finish(net_csum_add(0, ip, ihl)));
        sum =
            net_pseudo_sum_v4(ip + 12, ip + 16, IP_PROTO_TCP, (uint32_t)l4_len);
    } else {
        st16_be(ip + 4, (uint16_t)l4_len);
        sum =
            net_pseudo_sum_v6(ip + 8, ip + 24, IP_PROTO_TCP, (uint32_t)l4_len);
    }
    st32_be(th + 4, ld32_be(th + 4) + (uint32_t)start);
    flags = th[13];
    if (i + 1 < nsegs) {
        flags &= ~(TCP_FLAG_FIN | TCP_FLAG_PSH);
    }
    if (i > 0) {
        flags &= ~TCP_FLAG_CWR;
    }
    th[13] = flags;
    st16_be(th + TCP_CSUM_OFF, 0);
    sum = net_csum_add(sum, th, l4_len);
    st16_be(th + TCP_CSUM_OFF, net_csum_finish(sum));
    return hdr + plen;
}

size_t net_offload_finish(const NetOffload *off, const NetOffloadInfo *info,
                          const struct iovec *iov, int iovcnt, size_t len,
                          NetFrameFn *fn, void *opaque)
{
    uint8_t *frame = g_malloc(len);
    uint8_t *seg;
    size_t nsegs, i, done = 0;

    net_iov_to_buf(iov, iovcnt, frame, len);
    if (off->gso_type == NET_GSO_NONE) {
        net_offload_csum(off, frame, len);
        done = fn(opaque, frame, len) ? 1 : 0;
        g_free(frame);
        return done;
    }
    nsegs = net_offload_nsegs(off, len);
    seg = g_malloc(net_offload_seg_max(off, len));
    for (i = 0; i < nsegs; i++) {
        size_t n = net_offload_segment(off, info, frame, len, i, seg);

        if (!fn(opaque, seg, n)) {
            break;
        }
        done++;
    }
    g_free(seg);
    g_free(frame);
    return done;
}

bool net_peer_offload_ok(NetPeer *peer)
{
    return peer->backend && peer->backend->ops->send_offload;
}

/* Software fallback: the finished frames go out one by one. */
typedef struct OffloadFallback {
    NetPeer *peer;
    /* Frames the backend took or refused for good, and whether any went. */
    size_t done;
    bool any_ok;
    bool busy;
} OffloadFallback;

static bool offload_send_one(void *opaque, const uint8_t *frame, size_t len)
{
    OffloadFallback *fb = opaque;
    struct iovec v = {.iov_base = (void *)frame, .iov_len = len};
    NetSendResult r = net_peer_send(fb->peer, &v, 1);

    if (r == NET_SEND_BUSY) {
        fb->busy = true;
        return false;
    }
    fb->done++;
    fb->any_ok |= r == NET_SEND_OK;
    return true;
}

static bool offload_dump_one(void *opaque, const uint8_t *frame, size_t len)
{
    struct iovec v = {.iov_base = (void *)frame, .iov_len = len};

    net_dump_frame(opaque, &v, 1, len);
    return true;
}

/*
 * Bytes a checked frame becomes when finished in software, capped at the
 * rate limit's smallest burst: admitted whole, its segments (each sent
 * and charged on its own by net_peer_send) then find the credit there.
 */
static size_t offload_wire_bytes(const NetOffload *off, size_t len)
{
    size_t nsegs = net_offload_nsegs(off, len);

    return MIN(len + (nsegs - 1) * off->hdr_len, (size_t)128 * 1024);
}

NetSendResult net_peer_send_offload(NetPeer *peer, const NetOffload *off,
                                    const struct iovec *iov, int iovcnt)
{
    NetBackend *be = peer->backend;
    uint8_t head[NET_OFFLOAD_HDR_MAX];
    NetOffloadInfo info;
    OffloadFallback fb = {.peer = peer};
    const char *why;
    NetSendResult res;
    size_t len;

    if (!be || net_offload_is_none(off)) {
        return net_peer_send(peer, iov, iovcnt);
    }
    len = net_iov_size(iov, iovcnt);
    if (len < ETH_HLEN || len > NET_MAX_FRAME) {
        be->stats.tx_errors++;
        return NET_SEND_DROP;
    }
    net_iov_to_buf(iov, iovcnt, head, sizeof(head));
    if (!net_offload_check(off, head, len, &info, &why)) {
        log_guest_error(LOG_NET, "netdev %s: offloaded frame dropped: %s",
                        be->id, why);
        be->stats.tx_errors++;
        return NET_SEND_DROP;
    }
    if (!be->link_up) {
        be->stats.tx_drops++;
        return NET_SEND_DROP;
    }
    if (G_UNLIKELY(be->rate) &&
        !net_rate_admit(be->rate, be->ops->send_offload
                                      ? len
                                      : offload_wire_bytes(off, len))) {
        return NET_SEND_BUSY;
    }
    if (!be->ops->send_offload) {
        /* The NIC did not ask net_peer_offload_ok(); finish it here. */
        net_offload_finish(off, &info, iov, iovcnt, len, offload_send_one, &fb);
        if (fb.busy && fb.done == 0) {
            /* Nothing went out: the NIC retries the whole frame later. */
            return NET_SEND_BUSY;
        }
        /* Frames not taken after the first went out are lost, counted. */
        be->stats.tx_drops += net_offload_nsegs(off, len) - fb.done;
        return fb.any_ok ? NET_SEND_OK : NET_SEND_DROP;
    }
    res = be->ops->send_offload(be, off, iov, iovcnt);
    switch (res) {
    case NET_SEND_OK:
        be->stats.tx_frames++;
        be->stats.tx_bytes += len;
        if (G_UNLIKELY(be->rate)) {
            net_rate_charge(be->rate, len);
        }
        if (G_UNLIKELY(be->dump)) {
            net_offload_finish(off, &info, iov, iovcnt, len, offload_dump_one,
                               be->dump);
        }
        break;
    case NET_SEND_DROP:
        be->stats.tx_drops++;
        break;
    case NET_SEND_BUSY:
        break;
    }
    return res;
}
