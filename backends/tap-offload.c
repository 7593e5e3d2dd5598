/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The offload half of -netdev tap: frames the NIC left unfinished go to
 * the kernel whole behind a virtio-net header (virtio 1.1 section
 * 5.1.6.2), and the virtio-net header of a frame from the kernel is read
 * back as a NetOffload for backends/offload.c to finish.
 */
#include "backends/netbe-priv.h"
#include "backends/tap-int.h"
#include "hw/net/net_util.h"

#define TCP_FLAG_CWR 0x80

/* Software fallback for a super-frame the kernel cannot take. */
typedef struct TapFallback {
    NetTap *s;
    size_t done;
    bool busy;
} TapFallback;

static bool tap_send_finished(void *opaque, const uint8_t *frame, size_t len)
{
    TapFallback *fb = opaque;
    struct iovec v = {.iov_base = (void *)frame, .iov_len = len};
    TapVnetHdr vh;
    NetSendResult r;

    memset(&vh, 0, sizeof(vh));
    r = tap_write(fb->s, &vh, NULL, 0, &v, 1);
    if (r == NET_SEND_BUSY) {
        fb->busy = true;
        return false;
    }
    fb->done++;
    return r == NET_SEND_OK || !fb->s->tx_err;
}

/*
 * Rewrite the copied headers of a super-frame the way the kernel expects
 * a GSO packet from a virtio-net header: lengths of the whole packet, a
 * valid IPv4 header checksum, and the TCP checksum field seeded with the
 * pseudo-header sum over the whole TCP length (Linux's tcp_gso_segment
 * adjusts it per segment). False if the IP length cannot describe it.
 */
static bool tap_patch_gso(const NetOffloadInfo *info, uint8_t *head, size_t len)
{
    uint8_t *ip = head + info->l3_off;
    uint8_t *th = head + info->l4_off;
    size_t l3_len = len - info->l3_off;
    size_t l4_len = len - info->l4_off;
    size_t ihl = info->l4_off - info->l3_off;
    uint32_t sum;

    if (!info->ipv6) {
        if (l3_len > 0xffff) {
            return false;
        }
        st16_be(ip + 2, (uint16_t)l3_len);
        st16_be(ip + 10, 0);
        st16_be(ip + 10, net_csum_finish(net_csum_add(0, ip, ihl)));
        sum =
            net_pseudo_sum_v4(ip + 12, ip + 16, IP_PROTO_TCP, (uint32_t)l4_len);
    } else {
        if (l4_len > 0xffff) {
            return false;
        }
        st16_be(ip + 4, (uint16_t)l4_len);
        sum =
            net_pseudo_sum_v6(ip + 8, ip + 24, IP_PROTO_TCP, (uint32_t)l4_len);
    }
    /* The folded sum, not complemented: the kernel adds the rest. */
    st16_be(th + 16, (uint16_t)~net_csum_finish(sum));
    return true;
}

NetSendResult tap_send_offload(NetBackend *be, const NetOffload *off,
                               const struct iovec *iov, int iovcnt)
{
    NetTap *s = be->opaque;
    uint8_t head[NET_OFFLOAD_HDR_MAX];
    TapVnetHdr vh;
    NetOffloadInfo info;
    TapFallback fb = {.s = s};
    const char *why;
    size_t len = net_iov_size(iov, iovcnt);
    size_t seg;

    if (s->gone || s->tx_err) {
        return NET_SEND_DROP;
    }
    net_iov_to_buf(iov, iovcnt, head, sizeof(head));
    if (!net_offload_check(off, head, len, &info, &why)) {
        /* The generic layer checked it already. */
        return NET_SEND_DROP;
    }
    memset(&vh, 0, sizeof(vh));
    if (off->csum) {
        vh.flags = TAP_VNET_F_NEEDS_CSUM;
        vh.csum_start = off->csum_start;
        vh.csum_offset = off->csum_offset;
    }
    if (off->gso_type == NET_GSO_NONE) {
        if (!tap_fits_mtu(s, tap_l3_len(head, len))) {
            return NET_SEND_DROP;
        }
        return tap_write(s, &vh, NULL, 0, iov, iovcnt);
    }

    /* Each segment is what must fit the MTU. */
    seg = net_offload_seg_max(off, len);
    if (!tap_fits_mtu(s, seg - info.l3_off)) {
        return NET_SEND_DROP;
    }
    if (!tap_patch_gso(&info, head, len)) {
        /* Longer than one IP packet may be: segment it here instead. */
        net_offload_finish(off, &info, iov, iovcnt, len, tap_send_finished,
                           &fb);
        if (fb.busy && fb.done == 0) {
            return NET_SEND_BUSY;
        }
        be->stats.tx_drops += net_offload_nsegs(off, len) - fb.done;
        return NET_SEND_OK;
    }
    vh.gso_type = off->gso_type == NET_GSO_TCPV4 ? TAP_VNET_GSO_TCPV4
                                                 : TAP_VNET_GSO_TCPV6;
    if (head[info.l4_off + 13] & TCP_FLAG_CWR) {
        /* CWR set: the segmenter must keep it on the first segment only. */
        vh.gso_type |= TAP_VNET_GSO_ECN;
    }
    vh.gso_size = off->gso_size;
    vh.hdr_len = off->hdr_len;
    return tap_write(s, &vh, head, off->hdr_len, iov, iovcnt);
}

/*
 * Describe an unfinished frame from the kernel as a NetOffload. The
 * kernel's hdr_len is only a hint (Linux puts the linear length there),
 * so the header length comes from the TCP header itself.
 */
bool tap_vnet_to_offload(const TapVnetHdr *vh, const uint8_t *frame, size_t len,
                         NetOffload *off)
{
    uint8_t type = vh->gso_type & ~TAP_VNET_GSO_ECN;

    memset(off, 0, sizeof(*off));
    if (vh->flags & TAP_VNET_F_NEEDS_CSUM) {
        off->csum = true;
        off->csum_start = vh->csum_start;
        off->csum_offset = vh->csum_offset;
    }
    if (type == TAP_VNET_GSO_NONE) {
        return true;
    }
    if (type == TAP_VNET_GSO_TCPV4) {
        off->gso_type = NET_GSO_TCPV4;
    } else if (type == TAP_VNET_GSO_TCPV6) {
        off->gso_type = NET_GSO_TCPV6;
    } else {
        return false;
    }
    if ((size_t)vh->csum_start + 13 >= len) {
        return false;
    }
    off->gso_size = vh->gso_size;
    off->hdr_len = vh->csum_start + (frame[vh->csum_start + 12] >> 4) * 4;
    return true;
}
