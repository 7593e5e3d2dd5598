/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RTL8139C+ transmit (C+ data sheet 9.1; descriptor layout shared with
 * the RTL8169): the normal (TNPDS) and high priority (THPDS) descriptor
 * rings polled through TPPoll, IP/TCP/UDP checksum offload, TCP large
 * send (LGSEN with MSS), 802.1Q tag insertion (TAGC), and the DTCCR tally
 * counter dump.
 *
 * Guest descriptors are copied before use and every length is checked:
 *  - a TPPoll walks at most 64 descriptors per ring (CVE-2016-8910);
 *    if it runs out of budget with work left (a guest refilling the ring
 *    from another vCPU), it continues from a timer, not a loop;
 *  - a packet is gathered into a 64 KiB buffer, a longer one is dropped;
 *  - large send validates 20 <= IHL*4 <= IP total length <= frame and
 *    20 <= TCP doff*4 <= total - IHL*4 before touching the payload, so
 *    no byte beyond the guest's frame reaches the wire (CVE-2015-5165);
 *  - the header template is kept pristine: PSH/FIN stay on the last
 *    segment (QEMU 7.2 clears them from every segment), CWR only on the
 *    first;
 *  - NET_SEND_BUSY keeps the packet and the segment reached; tx_ready
 *    continues from there, and only then are the descriptors returned.
 */
#include <inttypes.h>

#include "hw/net/net_util.h"
#include "hw/net/rtl8139-int.h"

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_CWR 0x80
#define IP_MF_OFFSET_MASK 0x3fff
#define CP_RING_NORMAL 0
#define CP_RING_HIGH 1

typedef enum RtlGather {
    CP_GATHER_OK,     /* a packet (possibly marked error) is in cp_tx */
    CP_GATHER_EMPTY,  /* the next descriptor belongs to the host */
    CP_GATHER_WAIT,   /* packet not complete yet: wait for a TPPoll */
    CP_GATHER_BUDGET, /* this TPPoll's descriptor budget is used up */
    CP_GATHER_FAILED, /* descriptor DMA failed */
} RtlGather;

typedef enum RtlSend {
    CP_SEND_OK,
    CP_SEND_BUSY,
    CP_SEND_INVALID,
} RtlSend;

static hwaddr rtl8139_cp_ring_base(const Rtl8139State *s, unsigned ring)
{
    const uint32_t *r = &s->tsad[ring == CP_RING_HIGH ? 2 : 0];

    /* TNPDS/THPDS are 256-byte aligned (C+ data sheet 6.3). */
    return (hwaddr)r[1] << 32 | (r[0] & ~0xffu);
}

static hwaddr rtl8139_cp_desc_addr(const Rtl8139State *s, unsigned ring,
                                   unsigned idx)
{
    return rtl8139_cp_ring_base(s, ring) + (hwaddr)idx * RTL_DESC_SIZE;
}

/*
 * Collect the descriptors of the next packet of `ring`, FS to LS, and its
 * bytes. At most `budget` descriptors; a ring with no LS anywhere (all
 * owned, or a wrap back to the first) makes an error packet of what was
 * read, so that the walk always makes progress.
 */
static RtlGather rtl8139_cp_gather(Rtl8139State *s, unsigned ring,
                                   unsigned budget)
{
    RtlCpTx *t = &s->cp_tx;
    unsigned idx = s->cp_tx_idx[ring];
    uint8_t raw[RTL_DESC_SIZE];

    t->active = false;
    t->ring = ring;
    t->first = idx;
    t->ndesc = 0;
    t->len = 0;
    t->error = false;
    t->seg_off = 0;
    t->seg_idx = 0;
    for (;;) {
        hwaddr at = rtl8139_cp_desc_addr(s, ring, idx);
        uint32_t dw0, len;
        hwaddr buf;

        if (t->ndesc > 0 && idx == t->first) {
            log_guest_error(LOG_RTL8139, "%s: TX ring without LS", s->name);
            t->error = true;
            break;
        }
        if (!pci_dma_read(&s->pci, at, raw, sizeof(raw))) {
            rtl8139_dma_error(s, "TX descriptor", at);
            return CP_GATHER_FAILED;
        }
        dw0 = ld32_le(raw);
        if (!(dw0 & RTL_DESC_OWN)) {
            /* 8139cp hands over the FS descriptor last: rare mid-packet. */
            return t->ndesc ? CP_GATHER_WAIT : CP_GATHER_EMPTY;
        }
        if (t->ndesc == budget) {
            /* Owned work beyond this TPPoll's share (read, not used). */
            if (budget < RTL_CP_RING_MAX) {
                return CP_GATHER_BUDGET;
            }
            log_guest_error(LOG_RTL8139,
                            "%s: TX packet of more than %u "
                            "descriptors",
                            s->name, RTL_CP_RING_MAX);
            t->error = true;
            break;
        }
        if (t->ndesc == 0) {
            t->cmd = dw0;
            t->dw1 = ld32_le(raw + 4);
            if (!(dw0 & RTL_DESC_FS)) {
                log_guest_error(LOG_RTL8139, "%s: TX descriptor %u: no FS",
                                s->name, idx);
                t->error = true;
            }
        } else if (dw0 & RTL_DESC_FS) {
            /* A new packet starts: the one gathered so far had no LS. */
            log_guest_error(LOG_RTL8139, "%s: TX packet without LS", s->name);
            t->error = true;
            break;
        }
        t->idx[t->ndesc] = (uint8_t)idx;
        t->dw0[t->ndesc++] = dw0;
        len = dw0 & RTL_TXD_LEN_MASK;
        buf = ld64_le(raw + 8);
        if (!t->error) {
            if (len > RTL_CP_TX_BUF_SIZE - t->len) {
                log_guest_error(LOG_RTL8139,
                                "%s: TX packet longer than "
                                "%u bytes",
                                s->name, RTL_CP_TX_BUF_SIZE);
                t->error = true;
            } else if (!pci_dma_read(&s->pci, buf, s->cp_txbuf + t->len, len)) {
                rtl8139_dma_error(s, "TX buffer", buf);
                t->error = true;
            } else {
                t->len += len;
            }
        }
        idx = (dw0 & RTL_DESC_EOR) ? 0 : (idx + 1) % RTL_CP_RING_MAX;
        if (dw0 & RTL_DESC_LS) {
            break;
        }
    }
    t->next = idx;
    t->active = true;
    return CP_GATHER_OK;
}

/* The 802.1Q tag to insert (TAGC), in wire order, or NULL. */
static const uint8_t *rtl8139_cp_tag(const RtlCpTx *t, uint8_t *tag)
{
    if (!(t->dw1 & RTL_TXD_TAGC)) {
        return NULL;
    }
    st16_be(tag, ETH_P_VLAN);
    /* dw1 holds the TCI byte-swapped (8139cp swab16s it). */
    tag[2] = t->dw1 & 0xff;
    tag[3] = (t->dw1 >> 8) & 0xff;
    return tag;
}

static void rtl8139_cp_ip_csum(uint8_t *ip, size_t ihl)
{
    st16_be(ip + 10, 0);
    st16_be(ip + 10, net_csum_finish(net_csum_add(0, ip, ihl)));
}

/* TCP or UDP checksum of an IPv4 datagram whose L4 part is l4_len bytes. */
static void rtl8139_cp_l4_csum(uint8_t *ip, size_t ihl, uint8_t proto,
                               size_t l4_len)
{
    uint8_t *l4 = ip + ihl;
    size_t field = proto == IP_PROTO_TCP ? 16 : 6;
    uint32_t sum;
    uint16_t csum;

    st16_be(l4 + field, 0);
    sum = net_pseudo_sum_v4(ip + 12, ip + 16, proto, (uint32_t)l4_len);
    csum = net_csum_finish(net_csum_add(sum, l4, l4_len));
    if (proto == IP_PROTO_UDP && csum == 0) {
        csum = 0xffff; /* RFC 768: 0 means "no checksum" */
    }
    st16_be(l4 + field, csum);
}

/*
 * IPCS/TCPCS/UDPCS without large send. Only IPv4 (8139cp offloads IPv4
 * only). A checksum that cannot be computed inside the frame (no IPv4
 * header, a datagram longer than the frame, a fragment, the wrong
 * protocol or a short L4 header) is left alone and the frame sent as is.
 */
static void rtl8139_cp_csum_offload(Rtl8139State *s, uint8_t *buf, size_t len,
                                    uint32_t cmd)
{
    NetFrameInfo info;
    uint8_t *ip;
    size_t ihl, total;
    uint8_t proto;
    const char *why = NULL;

    net_parse_frame(buf, len, &info);
    if (info.ip_version != 4) {
        why = "no valid IPv4 header";
        goto out;
    }
    ip = buf + info.l3_off;
    ihl = info.ip_hdr_len;
    if (cmd & RTL_TXD_IPCS) {
        rtl8139_cp_ip_csum(ip, ihl);
    }
    if (!(cmd & (RTL_TXD_TCPCS | RTL_TXD_UDPCS))) {
        return;
    }
    total = ld16_be(ip + 2);
    proto = ip[9];
    if (total > len - info.l3_off || total < ihl ||
        (ld16_be(ip + 6) & IP_MF_OFFSET_MASK)) {
        why = "IP total length does not fit the frame, or a fragment";
    } else if ((cmd & RTL_TXD_TCPCS) && proto == IP_PROTO_TCP &&
               total - ihl >= 20) {
        rtl8139_cp_l4_csum(ip, ihl, proto, total - ihl);
    } else if ((cmd & RTL_TXD_UDPCS) && proto == IP_PROTO_UDP &&
               total - ihl >= 8) {
        rtl8139_cp_l4_csum(ip, ihl, proto, total - ihl);
    } else {
        why = "protocol or L4 header does not match the request";
    }
out:
    if (why) {
        log_guest_error(LOG_RTL8139, "%s: checksum offload skipped: %s",
                        s->name, why);
    }
}

static RtlSend rtl8139_cp_send_plain(Rtl8139State *s)
{
    RtlCpTx *t = &s->cp_tx;
    uint8_t tagbuf[4];

    /* Idempotent: a retry after NET_SEND_BUSY recomputes the same sums. */
    if (t->cmd & (RTL_TXD_IPCS | RTL_TXD_UDPCS | RTL_TXD_TCPCS)) {
        rtl8139_cp_csum_offload(s, s->cp_txbuf, t->len, t->cmd);
    }
    if (rtl8139_tx_output(s, s->cp_txbuf, t->len, rtl8139_cp_tag(t, tagbuf),
                          NULL) == NET_SEND_BUSY) {
        return CP_SEND_BUSY;
    }
    s->tally.tx_ok++;
    return CP_SEND_OK;
}

/*
 * Large send through a backend that segments (tap with a virtio-net
 * header): the validated packet, cut at the IP total length, goes out
 * whole with the TCPv4 GSO request; the backend produces the same
 * segments this model would.
 */
static RtlSend rtl8139_cp_gso(Rtl8139State *s, size_t frame_len, size_t hdr_len,
                              size_t l4_off, size_t mss, size_t nseg)
{
    RtlCpTx *t = &s->cp_tx;
    uint8_t tagbuf[4];
    const uint8_t *tag = rtl8139_cp_tag(t, tagbuf);
    size_t shift = tag ? 4 : 0;
    NetOffload off = {
        .csum = true,
        .csum_start = (uint16_t)(l4_off + shift),
        .csum_offset = 16,
        .gso_type = NET_GSO_TCPV4,
        .gso_size = (uint16_t)mss,
        .hdr_len = (uint16_t)(hdr_len + shift),
    };

    if (rtl8139_tx_output(s, s->cp_txbuf, frame_len, tag, &off) ==
        NET_SEND_BUSY) {
        return CP_SEND_BUSY;
    }
    s->tally.tx_ok += nseg;
    t->seg_off = frame_len - hdr_len;
    t->seg_idx = (unsigned)nseg;
    return CP_SEND_OK;
}

/* TCP segmentation (LGSEN): one frame per MSS of payload. */
static RtlSend rtl8139_cp_large_send(Rtl8139State *s)
{
    RtlCpTx *t = &s->cp_tx;
    const uint8_t *buf = s->cp_txbuf;
    uint8_t *seg = s->cp_segbuf;
    size_t mss = (t->cmd >> RTL_TXD_MSS_SHIFT) & RTL_TXD_MSS_MASK;
    size_t l3, ihl, total, thl, hdr_len, payload;
    const uint8_t *ip, *tcp;
    uint16_t ip_id;
    uint32_t seq;
    uint8_t flags, tagbuf[4];
    const uint8_t *tag = rtl8139_cp_tag(t, tagbuf);
    NetFrameInfo info;

    net_parse_frame(buf, t->len, &info);
    if (info.ip_version != 4 || mss == 0) {
        log_guest_error(LOG_RTL8139,
                        "%s: large send of a non-IPv4 frame "
                        "or with MSS 0",
                        s->name);
        return CP_SEND_INVALID;
    }
    l3 = info.l3_off;
    ip = buf + l3;
    ihl = info.ip_hdr_len; /* 20..60 and inside the frame (parsed) */
    total = ld16_be(ip + 2);
    if (ip[9] != IP_PROTO_TCP || total > t->len - l3 || total < ihl + 20 ||
        (ld16_be(ip + 6) & IP_MF_OFFSET_MASK)) {
        log_guest_error(LOG_RTL8139,
                        "%s: large send: IP total length %zu "
                        "invalid for a %zu byte frame (IHL %zu) or not TCP",
                        s->name, total, t->len, ihl);
        return CP_SEND_INVALID;
    }
    tcp = ip + ihl;
    thl = (size_t)(tcp[12] >> 4) * 4;
    if (thl < 20 || thl > total - ihl) {
        log_guest_error(LOG_RTL8139,
                        "%s: large send: TCP data offset %zu "
                        "invalid",
                        s->name, thl);
        return CP_SEND_INVALID;
    }
    hdr_len = l3 + ihl + thl;
    payload = total - ihl - thl;
    if (t->seg_idx == 0 && payload > mss && !rtl8139_loopback(s) &&
        net_peer_offload_ok(&s->nc)) {
        return rtl8139_cp_gso(s, l3 + total, hdr_len, l3 + ihl, mss,
                              (payload + mss - 1) / mss);
    }
    ip_id = ld16_be(ip + 4);
    seq = ld32_be(tcp + 4);
    flags = tcp[13];

    /* A header-only packet is sent once; otherwise MSS-sized chunks. */
    while (t->seg_off < payload || (payload == 0 && t->seg_idx == 0)) {
        size_t chunk = MIN(mss, payload - t->seg_off);
        uint8_t *sip = seg + l3;
        uint8_t *stcp = sip + ihl;
        uint8_t f = flags;

        memcpy(seg, buf, hdr_len);
        memcpy(seg + hdr_len, buf + hdr_len + t->seg_off, chunk);
        st16_be(sip + 2, (uint16_t)(ihl + thl + chunk));
        st16_be(sip + 4, (uint16_t)(ip_id + t->seg_idx));
        rtl8139_cp_ip_csum(sip, ihl);
        st32_be(stcp + 4, seq + (uint32_t)t->seg_off);
        if (t->seg_off + chunk < payload) {
            f &= ~(TCP_FLAG_FIN | TCP_FLAG_PSH);
        }
        if (t->seg_idx > 0) {
            f &= ~TCP_FLAG_CWR;
        }
        stcp[13] = f;
        rtl8139_cp_l4_csum(sip, ihl, IP_PROTO_TCP, thl + chunk);
        if (rtl8139_tx_output(s, seg, hdr_len + chunk, tag, NULL) ==
            NET_SEND_BUSY) {
            return CP_SEND_BUSY;
        }
        s->tally.tx_ok++;
        t->seg_off += chunk;
        t->seg_idx++;
    }
    return CP_SEND_OK;
}

/* Hand the descriptors of cp_tx back to the host (OWN = 0, status). */
static void rtl8139_cp_tx_complete(Rtl8139State *s)
{
    RtlCpTx *t = &s->cp_tx;
    uint8_t word[4];

    for (unsigned k = 0; k < t->ndesc; k++) {
        hwaddr at = rtl8139_cp_desc_addr(s, t->ring, t->idx[k]);
        uint32_t dw0 = t->dw0[k] & ~(RTL_DESC_OWN | RTL_TXD_STATUS_MASK);

        if (t->error && k == t->ndesc - 1) {
            dw0 |= RTL_TXD_TES;
        }
        st32_le(word, dw0);
        /* OWN's byte last and once: the driver may reuse the slot at once. */
        if (!pci_dma_write_publish(&s->pci, at, word, sizeof(word), 3)) {
            rtl8139_dma_error(s, "TX descriptor", at);
        }
    }
    s->cp_tx_idx[t->ring] = t->next;
    t->active = false;
    if (t->error) {
        s->tally.tx_err++;
        s->tally.tx_abt++;
        rtl8139_raise(s, RTL_INT_TER);
    } else {
        rtl8139_raise(s, RTL_INT_TOK);
    }
}

/* Send (the rest of) cp_tx and complete it; false if output is busy. */
static bool rtl8139_cp_tx_send(Rtl8139State *s)
{
    RtlCpTx *t = &s->cp_tx;
    RtlSend res = CP_SEND_OK;

    if (!t->error) {
        res = (t->cmd & RTL_TXD_LGSEN) ? rtl8139_cp_large_send(s)
                                       : rtl8139_cp_send_plain(s);
    }
    if (res == CP_SEND_BUSY) {
        return false;
    }
    if (res == CP_SEND_INVALID) {
        t->error = true;
    }
    rtl8139_cp_tx_complete(s);
    return true;
}

static void rtl8139_cp_tx_run(Rtl8139State *s)
{
    static const unsigned order[] = {CP_RING_HIGH, CP_RING_NORMAL};

    if (s->in_tx || s->tx_blocked || !rtl8139_cplus_tx(s) ||
        !(s->cr & RTL_CR_TE)) {
        return;
    }
    s->in_tx = true;
    if (s->cp_tx.active && !rtl8139_cp_tx_send(s)) {
        goto out;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(order); i++) {
        unsigned ring = order[i];
        unsigned budget = RTL_CP_RING_MAX;

        while (s->cp_poll & (1u << ring)) {
            RtlGather g = rtl8139_cp_gather(s, ring, budget);

            if (g == CP_GATHER_BUDGET) {
                /* Budget spent with work left: continue later. */
                timer_mod_ns(s->cp_tx_timer, clock_get_ns(s->clock));
                break;
            }
            if (g != CP_GATHER_OK) {
                s->cp_poll &= ~(1u << ring);
                if (g == CP_GATHER_EMPTY && ring == CP_RING_NORMAL) {
                    rtl8139_raise(s, RTL_INT_TDU);
                }
                break;
            }
            budget -= s->cp_tx.ndesc;
            if (!rtl8139_cp_tx_send(s)) {
                goto out;
            }
        }
    }
out:
    s->in_tx = false;
    /* All frames of this TPPoll in one batch, written now (net.h). */
    net_peer_flush(&s->nc);
}

void rtl8139_cp_tx_poll(Rtl8139State *s, uint8_t tppoll)
{
    if (!rtl8139_cplus_tx(s) || !(s->cr & RTL_CR_TE)) {
        log_trace(LOG_RTL8139, "%s: TPPoll with C+ TX off", s->name);
        return;
    }
    if (tppoll & RTL_TPPOLL_NPQ) {
        s->cp_poll |= 1u << CP_RING_NORMAL;
    }
    if (tppoll & RTL_TPPOLL_HPQ) {
        s->cp_poll |= 1u << CP_RING_HIGH;
    }
    rtl8139_cp_tx_run(s);
}

void rtl8139_cp_tx_timer_cb(void *opaque)
{
    rtl8139_cp_tx_run(opaque);
}

void rtl8139_cp_tx_resume(Rtl8139State *s)
{
    rtl8139_cp_tx_run(s);
}

void rtl8139_cp_tx_abort(Rtl8139State *s)
{
    /* Descriptors of a half-sent packet stay owned: the driver resets. */
    s->cp_tx.active = false;
    s->cp_poll = 0;
    if (s->cp_tx_timer) {
        timer_del(s->cp_tx_timer);
    }
}

void rtl8139_cp_dump_tally(Rtl8139State *s)
{
    const RtlTally *c = &s->tally;
    uint8_t d[RTL_TALLY_SIZE] = {0};
    hwaddr addr =
        (hwaddr)s->dtccr[1] << 32 | (s->dtccr[0] & RTL_DTCCR_ADDR_MASK);

    /* Every byte of the dump is defined (no host memory leaves). */
    st64_le(d + 0, c->tx_ok);
    st64_le(d + 8, c->rx_ok);
    st64_le(d + 16, c->tx_err);
    st32_le(d + 24, c->rx_err);
    st16_le(d + 28, c->miss_pkt);
    st16_le(d + 30, c->fae);
    st32_le(d + 32, c->tx_1col);
    st32_le(d + 36, c->tx_mcol);
    st64_le(d + 40, c->rx_ok_phy);
    st64_le(d + 48, c->rx_ok_brd);
    st32_le(d + 56, c->rx_ok_mul);
    st16_le(d + 60, c->tx_abt);
    st16_le(d + 62, c->tx_undrn);
    if (!pci_dma_write(&s->pci, addr, d, sizeof(d))) {
        rtl8139_dma_error(s, "tally dump", addr);
    }
    /* The dump is done at once: Cmd reads back as 0. */
    s->dtccr[0] &= ~RTL_DTCCR_CMD;
}
