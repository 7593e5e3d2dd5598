/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82540EM transmit path (8254x SDM 3.3-3.5): the TX descriptor ring,
 * legacy descriptors with checksum insertion, context + data descriptors
 * with IP/TCP/UDP checksum offload and TCP segmentation (IPv4 and IPv6),
 * VLAN tag insertion, short-packet padding, TX interrupt delays.
 *
 * A packet's descriptors are written back only once the packet is done,
 * so when the backend is busy TDH stays at the packet's first descriptor
 * and the packet is rebuilt from the ring when the backend is ready again
 * (segments of a TSO packet already sent are skipped). Each walk handles
 * at most one ring's worth of descriptors.
 */
#include <inttypes.h>

#include "hw/net/e1000-int.h"
#include "hw/net/net_util.h"

typedef enum E1000TxStep { E1000_TX_NEXT, E1000_TX_STOP } E1000TxStep;

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_CWR 0x80
/* Largest header a segmenting backend takes (net.h offload path). */
#define E1000_OFFLOAD_HDR_MAX 256

void e1000_tx_init(E1000State *s)
{
    s->tx_buf = g_malloc0(E1000_TX_BUF_SIZE);
    s->tx_seg = g_malloc0(E1000_MAX_TX_FRAME);
    s->tx_wb = g_array_new(FALSE, FALSE, sizeof(E1000TxWb));
}

void e1000_tx_free(E1000State *s)
{
    g_free(s->tx_buf);
    g_free(s->tx_seg);
    g_array_free(s->tx_wb, TRUE);
}

static void e1000_tx_pkt_reset(E1000State *s)
{
    memset(&s->tx_pkt, 0, sizeof(s->tx_pkt));
    g_array_set_size(s->tx_wb, 0);
}

void e1000_tx_reset(E1000State *s)
{
    memset(&s->tx_ctx, 0, sizeof(s->tx_ctx));
    e1000_tx_pkt_reset(s);
    s->tx_block = E1000_TX_RUNNING;
    s->tx_resume_valid = false;
    s->tx_sent_segs = 0;
}

void e1000_tx_ring_changed(E1000State *s)
{
    s->tx_resume_valid = false;
    s->tx_sent_segs = 0;
}

void e1000_tx_unblock(E1000State *s, E1000TxBlock reason)
{
    if (s->tx_block == reason) {
        s->tx_block = E1000_TX_RUNNING;
        e1000_tx_run(s);
    }
}

/* ---- Interrupts (SDM 3.4: TIDV, TADV) ---- */

void e1000_tx_delay_expired(void *opaque)
{
    E1000State *s = opaque;

    timer_del(s->tidv_timer);
    timer_del(s->tadv_timer);
    e1000_set_ics(s, E1000_ICR_TXDW);
}

static void e1000_tx_irq(E1000State *s, bool delayed)
{
    uint32_t tidv = e1000_get(s, E1000_TIDV) & 0xffff;
    uint32_t tadv = e1000_get(s, E1000_TADV) & 0xffff;
    int64_t now;

    if (!delayed || !tidv) {
        e1000_tx_delay_expired(s);
        return;
    }
    now = e1000_now(s);
    timer_mod_ns(s->tidv_timer, now + (int64_t)tidv * E1000_DELAY_UNIT_NS);
    if (tadv && !timer_pending(s->tadv_timer)) {
        timer_mod_ns(s->tadv_timer,
                     now + (int64_t)tadv * E1000_DELAY_UNIT_NS);
    }
}

static uint64_t e1000_tx_base(const E1000State *s)
{
    return e1000_get(s, E1000_TDBAL) |
           ((uint64_t)e1000_get(s, E1000_TDBAH) << 32);
}

/* Set DD in every queued RS descriptor, then raise TXDW (maybe delayed). */
static void e1000_tx_writeback(E1000State *s)
{
    static const uint8_t dd = E1000_TXD_STAT_DD;
    uint64_t base = e1000_tx_base(s);
    bool now = false, delayed = false;
    guint i;

    /*
     * The guest reuses a descriptor and its buffer once it sees DD: our
     * reads of both come first, and DD is the only byte written back, as
     * one store (gmem.h).
     */
    gmem_release();
    for (i = 0; i < s->tx_wb->len; i++) {
        E1000TxWb *wb = &g_array_index(s->tx_wb, E1000TxWb, i);

        if (!pci_dma_write(&s->pci, base + (uint64_t)wb->idx *
                           E1000_TXD_SIZE + 12, &dd, 1)) {
            log_guest_error(LOG_E1000, "%s: TX write-back of descriptor "
                            "%u failed", s->id, wb->idx);
        }
        if (wb->ide) {
            delayed = true;
        } else {
            now = true;
        }
    }
    g_array_set_size(s->tx_wb, 0);
    if (now || delayed) {
        e1000_tx_irq(s, !now);
    }
}

/* ---- Checksums ---- */

/*
 * Store the ones-complement checksum of buf[start, end] (end inclusive;
 * 0 or past the frame means its last byte), plus `extra`, big-endian at
 * `off`. Offsets outside the frame skip the insertion (SDM 3.3.3: "IC is
 * ignored if CSO or CSS are out of range").
 */
static bool e1000_tx_put_csum(uint8_t *buf, size_t len, size_t start,
                              size_t off, size_t end, uint32_t extra,
                              bool udp)
{
    size_t stop;
    uint16_t c;

    if (len < 2 || start >= len || off > len - 2) {
        return false;
    }
    stop = (end == 0 || end >= len) ? len : end + 1;
    if (stop <= start) {
        return false;
    }
    c = net_csum_finish(net_csum_add(extra, buf + start, stop - start));
    /* RFC 768: a computed UDP checksum of 0 is sent as all ones. */
    if (udp && c == 0) {
        c = 0xffff;
    }
    st16_be(buf + off, c);
    return true;
}

/* IPv4 header checksum: the field is zeroed first when inside the span. */
static void e1000_tx_ip_csum(E1000State *s, uint8_t *buf, size_t len,
                             const E1000TxCtx *c)
{
    size_t stop = (c->ipcse == 0 || c->ipcse >= len) ? len : c->ipcse + 1u;

    if (c->ipcso >= c->ipcss && (size_t)c->ipcso + 2 <= stop) {
        st16_be(buf + c->ipcso, 0);
    }
    if (!e1000_tx_put_csum(buf, len, c->ipcss, c->ipcso, c->ipcse, 0,
                           false)) {
        log_guest_error(LOG_E1000, "%s: IP checksum offsets %u/%u/%u "
                        "outside a %zu-byte frame", s->id, c->ipcss,
                        c->ipcso, c->ipcse, len);
    }
}

static void e1000_tx_l4_csum(E1000State *s, uint8_t *buf, size_t len,
                             const E1000TxCtx *c, uint32_t extra)
{
    bool udp = !(c->tucmd & E1000_TXD_TUCMD_TCP);

    if (!e1000_tx_put_csum(buf, len, c->tucss, c->tucso, c->tucse, extra,
                           udp)) {
        log_guest_error(LOG_E1000, "%s: TCP/UDP checksum offsets %u/%u/%u "
                        "outside a %zu-byte frame", s->id, c->tucss,
                        c->tucso, c->tucse, len);
    }
}

/* ---- Frames out ---- */

static void e1000_tx_count(E1000State *s, const uint8_t *dst, size_t len)
{
    /* The counters see the frame as on the wire, CRC included. */
    size_t wire = len + 4;
    static const struct {
        size_t max;
        unsigned reg;
    } bins[] = {
        { 64, E1000_PTC64 },     { 127, E1000_PTC127 },
        { 255, E1000_PTC255 },   { 511, E1000_PTC511 },
        { 1023, E1000_PTC1023 }, { 1522, E1000_PTC1522 },
    };
    unsigned i;

    e1000_stat_add(s, E1000_TPT, 1);
    e1000_stat_add(s, E1000_GPTC, 1);
    e1000_stat_add64(s, E1000_GOTCL, wire);
    e1000_stat_add64(s, E1000_TOTL, wire);
    for (i = 0; i < G_N_ELEMENTS(bins); i++) {
        if (wire <= bins[i].max) {
            e1000_stat_add(s, bins[i].reg, 1);
            break;
        }
    }
    if (net_is_broadcast(dst)) {
        e1000_stat_add(s, E1000_BPTC, 1);
    } else if (net_is_multicast(dst)) {
        e1000_stat_add(s, E1000_MPTC, 1);
    }
}

/*
 * The frame as iovecs, with the VLAN tag inserted if the packet asks for
 * it (SDM 3.3.3.1: VET and the descriptor's special field after the
 * addresses). Returns the iovec count; *tagged says whether a tag went in.
 */
static int e1000_tx_iov(E1000State *s, uint8_t *buf, size_t len,
                        struct iovec *iov, uint8_t *tag, bool *tagged)
{
    const E1000TxPkt *pkt = &s->tx_pkt;

    iov[0].iov_base = buf;
    iov[0].iov_len = len;
    *tagged = pkt->vle && (e1000_get(s, E1000_CTRL) & E1000_CTRL_VME) &&
              len >= 2 * ETH_ALEN;
    if (!*tagged) {
        return 1;
    }
    st16_be(tag, (uint16_t)e1000_get(s, E1000_VET));
    st16_be(tag + 2, pkt->special);
    iov[0].iov_len = 2 * ETH_ALEN;
    iov[1].iov_base = tag;
    iov[1].iov_len = 4;
    iov[2].iov_base = buf + 2 * ETH_ALEN;
    iov[2].iov_len = len - 2 * ETH_ALEN;
    return 3;
}

/*
 * Put one frame on the wire (or the loopback queue): pad if TCTL.PSP,
 * insert the VLAN tag if asked. `buf` has room for `cap` bytes.
 */
static NetSendResult e1000_tx_emit(E1000State *s, uint8_t *buf, size_t len,
                                   size_t cap)
{
    struct iovec iov[3];
    uint8_t tag[4];
    bool tagged;
    int cnt;
    size_t total;
    NetSendResult r;

    if (e1000_get(s, E1000_TCTL) & E1000_TCTL_PSP) {
        len = net_pad_short(buf, len, cap);
    }
    cnt = e1000_tx_iov(s, buf, len, iov, tag, &tagged);
    total = len + (tagged ? sizeof(tag) : 0);
    if (total < ETH_HLEN) {
        log_guest_error(LOG_E1000, "%s: %zu-byte frame dropped", s->id,
                        total);
        return NET_SEND_DROP;
    }
    if (e1000_in_loopback(s)) {
        if (!e1000_lb_enqueue(s, iov, cnt, total)) {
            s->tx_block = E1000_TX_BLOCKED_LOOPBACK;
            return NET_SEND_BUSY;
        }
        e1000_tx_count(s, buf, total);
        return NET_SEND_OK;
    }
    if (!s->link_up) {
        /* No link: the frame goes nowhere, as on a cable-less port. */
        return NET_SEND_DROP;
    }
    r = net_peer_send(&s->peer, iov, cnt);
    if (r == NET_SEND_OK) {
        e1000_tx_count(s, buf, total);
    } else if (r == NET_SEND_BUSY) {
        s->tx_block = E1000_TX_BLOCKED_BACKEND;
    }
    return r;
}

/* ---- TCP segmentation (SDM 3.5) ---- */

static bool e1000_tso_check(E1000State *s, const E1000TxCtx *c, size_t len,
                            uint8_t popts)
{
    const char *why = NULL;
    size_t hdr = c->hdrlen;
    size_t l4min = (c->tucmd & E1000_TXD_TUCMD_TCP) ? 20 : 8;
    size_t l3min = (c->tucmd & E1000_TXD_TUCMD_IP) ? 20 : 40;
    size_t payload;

    if (!c->valid) {
        why = "no context descriptor";
    } else if (c->mss == 0) {
        why = "MSS 0";
    } else if (hdr == 0 || hdr > len) {
        why = "header length outside the packet";
    } else if ((size_t)c->ipcss + l3min > hdr ||
               (size_t)c->tucss + l4min > hdr) {
        why = "IP/TCP/UDP header outside HDRLEN";
    } else if (((popts & E1000_TXD_POPTS_IXSM) &&
                (size_t)c->ipcso + 2 > hdr) ||
               ((popts & E1000_TXD_POPTS_TXSM) &&
                (size_t)c->tucso + 2 > hdr)) {
        why = "checksum offset outside HDRLEN";
    } else {
        payload = len - hdr;
        if (hdr + MIN((size_t)c->mss, payload) > E1000_MAX_TX_FRAME) {
            why = "segment larger than the largest frame";
        }
    }
    if (why) {
        log_guest_error(LOG_E1000, "%s: TSO packet dropped: %s (HDRLEN %u "
                        "MSS %u, %zu bytes)", s->id, why, c->hdrlen, c->mss,
                        len);
        return false;
    }
    return true;
}

/*
 * Fast path: hand the whole TSO packet to a backend that segments (tap
 * with a virtio-net header) when the result is the same as ours: a plain
 * Ethernet + IPv4/IPv6 + TCP header of exactly HDRLEN bytes, the TCP
 * checksum at TUCSS + 16 and, for IPv4, the header checksum asked for
 * over exactly the IP header. False: segment here instead.
 */
static bool e1000_tso_offload(E1000State *s, NetSendResult *res)
{
    const E1000TxPkt *pkt = &s->tx_pkt;
    const E1000TxCtx *c = &pkt->ctx;
    const uint8_t *b = s->tx_buf;
    size_t len = pkt->len, hdr = c->hdrlen, tcp = c->tucss, mss = c->mss;
    bool ipv4 = c->tucmd & E1000_TXD_TUCMD_IP;
    NetOffload off = { 0 };
    struct iovec iov[3];
    uint8_t tag[4];
    bool tagged;
    size_t pos, tag_len;
    int cnt;

    if (!net_peer_offload_ok(&s->peer) || e1000_in_loopback(s) ||
        !s->link_up || (s->tx_resume_valid && s->tx_sent_segs) ||
        !(c->tucmd & E1000_TXD_TUCMD_TCP) ||
        !(pkt->popts & E1000_TXD_POPTS_TXSM) || c->tucso != tcp + 16 ||
        c->ipcss != ETH_HLEN || len <= hdr ||
        hdr + 4 > E1000_OFFLOAD_HDR_MAX ||
        (b[tcp + 12] >> 4) * 4u != hdr - tcp) {
        return false;
    }
    if (ipv4) {
        if (ld16_be(b + 12) != ETH_P_IP || (b[14] >> 4) != 4 ||
            (b[14] & 0xf) * 4u != tcp - ETH_HLEN || b[23] != IP_PROTO_TCP ||
            (ld16_be(b + 20) & 0x3fff) ||
            !(pkt->popts & E1000_TXD_POPTS_IXSM) ||
            c->ipcso != ETH_HLEN + 10 || c->ipcse != tcp - 1) {
            return false;
        }
    } else if (ld16_be(b + 12) != ETH_P_IPV6 || (b[14] >> 4) != 6 ||
               b[20] != IP_PROTO_TCP || tcp != ETH_HLEN + 40) {
        return false;
    }
    cnt = e1000_tx_iov(s, s->tx_buf, len, iov, tag, &tagged);
    tag_len = tagged ? sizeof(tag) : 0;
    off.csum = true;
    off.csum_start = (uint16_t)(tcp + tag_len);
    off.csum_offset = 16;
    off.gso_type = ipv4 ? NET_GSO_TCPV4 : NET_GSO_TCPV6;
    off.gso_size = (uint16_t)mss;
    off.hdr_len = (uint16_t)(hdr + tag_len);
    *res = net_peer_send_offload(&s->peer, &off, iov, cnt);
    if (*res == NET_SEND_BUSY) {
        s->tx_block = E1000_TX_BLOCKED_BACKEND;
    } else if (*res == NET_SEND_OK) {
        for (pos = hdr; pos < len; pos += mss) {
            e1000_tx_count(s, b, hdr + MIN(mss, len - pos) + tag_len);
        }
        e1000_stat_add(s, E1000_TSCTC, 1);
    }
    return true;
}

static NetSendResult e1000_tx_tso(E1000State *s)
{
    const E1000TxPkt *pkt = &s->tx_pkt;
    const E1000TxCtx *c = &pkt->ctx;
    const uint8_t *src = s->tx_buf;
    size_t len = pkt->len, hdr = c->hdrlen, off = hdr;
    bool ipv4 = c->tucmd & E1000_TXD_TUCMD_IP;
    bool tcp = c->tucmd & E1000_TXD_TUCMD_TCP;
    bool resume = s->tx_resume_valid && s->tx_resume_first == pkt->first;
    uint16_t ip_id;
    uint32_t seq;
    unsigned k;

    NetSendResult r;

    if (!e1000_tso_check(s, c, len, pkt->popts)) {
        e1000_stat_add(s, E1000_TSCTFC, 1);
        return NET_SEND_DROP;
    }
    if (c->paylen != len - hdr) {
        log_trace(LOG_E1000, "%s: TSO PAYLEN %u, %zu payload bytes given",
                  s->id, c->paylen, len - hdr);
    }
    if (e1000_tso_offload(s, &r)) {
        return r;
    }
    ip_id = ld16_be(src + c->ipcss + 4);
    seq = ld32_be(src + c->tucss + 4);
    for (k = 0;; k++) {
        size_t chunk = MIN((size_t)c->mss, len - off);
        size_t seglen = hdr + chunk;
        uint8_t *seg = s->tx_seg;

        if (!resume || k >= s->tx_sent_segs) {
            memcpy(seg, src, hdr);
            memcpy(seg + hdr, src + off, chunk);
            /* SDM 3.5.9: per-segment header fields. */
            if (ipv4) {
                st16_be(seg + c->ipcss + 2, (uint16_t)(seglen - c->ipcss));
                st16_be(seg + c->ipcss + 4, (uint16_t)(ip_id + k));
            } else {
                /* IPv6 Payload Length excludes the 40-byte header. */
                st16_be(seg + c->ipcss + 4,
                        (uint16_t)(seglen - c->ipcss - 40));
            }
            if (tcp) {
                st32_be(seg + c->tucss + 4, seq + (uint32_t)(off - hdr));
                if (off + chunk < len) {
                    seg[c->tucss + 13] &= ~(TCP_FLAG_FIN | TCP_FLAG_PSH);
                }
                /* CWR (RFC 3168) belongs to the first segment only, as
                 * software GSO and TSO_ECN hardware do. */
                if (k > 0) {
                    seg[c->tucss + 13] &= ~TCP_FLAG_CWR;
                }
            } else {
                st16_be(seg + c->tucss + 4, (uint16_t)(seglen - c->tucss));
            }
            if (ipv4 && (pkt->popts & E1000_TXD_POPTS_IXSM)) {
                e1000_tx_ip_csum(s, seg, seglen, c);
            }
            if (pkt->popts & E1000_TXD_POPTS_TXSM) {
                E1000TxCtx l4 = *c;

                /* The pseudo-header sum lacks the length (SDM 3.5);
                 * the checksum runs to the end of each segment. */
                l4.tucse = 0;
                e1000_tx_l4_csum(s, seg, seglen, &l4,
                                 (uint32_t)(seglen - c->tucss));
            }
            r = e1000_tx_emit(s, seg, seglen, E1000_MAX_TX_FRAME);
            if (r == NET_SEND_BUSY) {
                s->tx_resume_valid = true;
                s->tx_resume_first = pkt->first;
                s->tx_sent_segs = k;
                return r;
            }
        }
        off += chunk;
        if (off >= len) {
            break;
        }
    }
    s->tx_resume_valid = false;
    s->tx_sent_segs = 0;
    e1000_stat_add(s, E1000_TSCTC, 1);
    return NET_SEND_OK;
}

/* ---- Packets ---- */

static NetSendResult e1000_tx_packet(E1000State *s)
{
    E1000TxPkt *pkt = &s->tx_pkt;
    uint8_t *buf = s->tx_buf;

    if (pkt->bad) {
        if (pkt->tse) {
            e1000_stat_add(s, E1000_TSCTFC, 1);
        }
        return NET_SEND_DROP;
    }
    if (pkt->tse) {
        return e1000_tx_tso(s);
    }
    if (pkt->len == 0) {
        /* Only null descriptors (SDM 3.3.3): consumed, nothing sent. */
        return NET_SEND_DROP;
    }
    if (pkt->legacy) {
        if (pkt->ic && !e1000_tx_put_csum(buf, pkt->len, pkt->css,
                                          pkt->cso, 0, 0, false)) {
            log_guest_error(LOG_E1000, "%s: checksum CSS %u / CSO %u "
                            "outside a %zu-byte packet", s->id, pkt->css,
                            pkt->cso, pkt->len);
        }
    } else if (pkt->popts & (E1000_TXD_POPTS_IXSM | E1000_TXD_POPTS_TXSM)) {
        if (!pkt->ctx.valid) {
            log_guest_error(LOG_E1000, "%s: checksum offload without a "
                            "context descriptor", s->id);
        } else {
            if (pkt->popts & E1000_TXD_POPTS_IXSM) {
                e1000_tx_ip_csum(s, buf, pkt->len, &pkt->ctx);
            }
            if (pkt->popts & E1000_TXD_POPTS_TXSM) {
                e1000_tx_l4_csum(s, buf, pkt->len, &pkt->ctx, 0);
            }
        }
    }
    return e1000_tx_emit(s, buf, pkt->len, E1000_TX_BUF_SIZE);
}

static void e1000_tx_queue_wb(E1000State *s, uint32_t idx, uint8_t cmd)
{
    E1000TxWb wb = { .idx = idx, .ide = cmd & E1000_TXD_CMD_IDE };

    if (cmd & E1000_TXD_CMD_RS) {
        g_array_append_val(s->tx_wb, wb);
    }
}

static void e1000_tx_load_ctx(E1000State *s, const uint8_t *d)
{
    E1000TxCtx *c = &s->tx_ctx;

    c->valid = true;
    c->ipcss = d[0];
    c->ipcso = d[1];
    c->ipcse = ld16_le(d + 2);
    c->tucss = d[4];
    c->tucso = d[5];
    c->tucse = ld16_le(d + 6);
    c->paylen = ld32_le(d + 8) & E1000_TXD_LEN_MASK;
    c->tucmd = d[11];
    c->hdrlen = d[13];
    c->mss = ld16_le(d + 14);
}

static void e1000_tx_append(E1000State *s, uint64_t addr, size_t len)
{
    E1000TxPkt *pkt = &s->tx_pkt;
    size_t cap = pkt->tse ? E1000_TX_BUF_SIZE : E1000_MAX_TX_FRAME;

    if (pkt->bad || len == 0) {
        return;
    }
    if (len > cap - pkt->len) {
        log_guest_error(LOG_E1000, "%s: TX packet longer than %zu bytes "
                        "dropped", s->id, cap);
        pkt->bad = true;
    } else if (!pci_dma_read(&s->pci, addr, s->tx_buf + pkt->len, len)) {
        log_guest_error(LOG_E1000, "%s: TX buffer 0x%" PRIx64 "+%zu not "
                        "readable", s->id, addr, len);
        pkt->bad = true;
    } else {
        pkt->len += len;
    }
}

/* One descriptor at ring index idx, copied into d. */
static E1000TxStep e1000_tx_desc(E1000State *s, const uint8_t *d,
                                 uint32_t idx, uint32_t n)
{
    E1000TxPkt *pkt = &s->tx_pkt;
    uint32_t dw2 = ld32_le(d + 8);
    uint8_t cmd = (uint8_t)(dw2 >> 24);
    unsigned dtyp = (dw2 >> E1000_TXD_DTYP_SHIFT) & E1000_TXD_DTYP_MASK;
    bool dext = cmd & E1000_TXD_CMD_DEXT;
    size_t len;

    if (dext && dtyp == E1000_TXD_DTYP_CTX) {
        if (pkt->started) {
            /* Invariant D: the context is latched per packet; a new one
             * in mid-packet ends that packet as an error. */
            log_guest_error(LOG_E1000, "%s: context descriptor inside a "
                            "packet; packet dropped", s->id);
            if (pkt->tse) {
                e1000_stat_add(s, E1000_TSCTFC, 1);
            }
            /* Its descriptors are consumed with it (written back). */
            memset(pkt, 0, sizeof(*pkt));
        }
        e1000_tx_load_ctx(s, d);
        e1000_tx_queue_wb(s, idx, cmd);
        e1000_tx_writeback(s);
        e1000_set(s, E1000_TDH, e1000_ring_next(idx, n));
        return E1000_TX_NEXT;
    }

    if (!pkt->started) {
        pkt->started = true;
        pkt->first = idx;
        pkt->legacy = !dext;
        if (pkt->legacy) {
            pkt->ic = cmd & E1000_TXD_CMD_IC;
            pkt->cso = d[10];
            pkt->css = d[13];
        } else {
            pkt->tse = cmd & E1000_TXD_CMD_TSE;
            pkt->popts = d[13];
            pkt->ctx = s->tx_ctx;
        }
    }
    if (dext && dtyp != E1000_TXD_DTYP_DATA) {
        log_guest_error(LOG_E1000, "%s: TX descriptor type %u invalid",
                        s->id, dtyp);
        pkt->bad = true;
    }
    len = dext ? (dw2 & E1000_TXD_LEN_MASK) : (dw2 & 0xffff);
    e1000_tx_append(s, ld64_le(d), len);
    e1000_tx_queue_wb(s, idx, cmd);
    if (!(cmd & E1000_TXD_CMD_EOP)) {
        return E1000_TX_NEXT;
    }

    /* SDM 3.3.3.1: VLE and the VLAN tag count on the last descriptor. */
    pkt->vle = cmd & E1000_TXD_CMD_VLE;
    pkt->special = ld16_le(d + 14);
    if (e1000_tx_packet(s) == NET_SEND_BUSY) {
        /* TDH stays at pkt->first; tx_ready (or RX room) resumes. */
        return E1000_TX_STOP;
    }
    e1000_tx_writeback(s);
    e1000_set(s, E1000_TDH, e1000_ring_next(idx, n));
    e1000_tx_pkt_reset(s);
    return E1000_TX_NEXT;
}

/*
 * After a walk that started at `head`: TXQE when the ring drained, TXD_LOW
 * when fewer than TXDCTL.LWTHRESH x 8 descriptors are left (SDM 13.4.17).
 */
static void e1000_tx_ring_irq(E1000State *s, uint32_t head, uint32_t tail,
                              uint32_t n)
{
    uint32_t tdh = e1000_get(s, E1000_TDH);
    uint32_t low = (e1000_get(s, E1000_TXDCTL) >> 25) * 8;

    if (tdh == head) {
        return;
    }
    if (tdh == tail) {
        e1000_set_ics(s, E1000_ICR_TXQE);
    }
    if (low && (tail + n - tdh) % n < low) {
        e1000_set_ics(s, E1000_ICR_TXD_LOW);
    }
}

/*
 * Walk the ring from TDH towards TDT (SDM 3.4), at most one ring's worth
 * of descriptors (invariant A). A packet without its EOP descriptor before
 * TDT stays in the ring until the guest adds the rest.
 */
void e1000_tx_run(E1000State *s)
{
    uint64_t base = e1000_tx_base(s);
    uint32_t n = e1000_get(s, E1000_TDLEN) / E1000_TXD_SIZE;
    uint32_t head = e1000_get(s, E1000_TDH);
    uint32_t tail = e1000_get(s, E1000_TDT);
    uint32_t idx, budget;

    if (s->tx_active || s->tx_block != E1000_TX_RUNNING ||
        !(e1000_get(s, E1000_TCTL) & E1000_TCTL_EN) || head == tail ||
        !pci_bus_master_enabled(&s->pci)) {
        return;
    }
    if (n == 0 || head >= n || tail >= n) {
        log_guest_error(LOG_E1000, "%s: TDH %u / TDT %u outside a %u-entry "
                        "ring", s->id, head, tail, n);
        return;
    }
    s->tx_active = true;
    e1000_tx_pkt_reset(s);
    for (idx = head, budget = n; idx != tail && budget > 0; budget--) {
        uint8_t d[E1000_TXD_SIZE];

        if (!pci_dma_read(&s->pci, base + (uint64_t)idx * E1000_TXD_SIZE,
                          d, sizeof(d))) {
            log_guest_error(LOG_E1000, "%s: TX descriptor %u at 0x%" PRIx64
                            " not readable", s->id, idx, base);
            break;
        }
        if (e1000_tx_desc(s, d, idx, n) == E1000_TX_STOP) {
            break;
        }
        idx = e1000_ring_next(idx, n);
    }
    /* The frames of this doorbell leave together (net.h batching). */
    net_peer_flush(&s->peer);
    e1000_tx_pkt_reset(s);
    e1000_tx_ring_irq(s, head, tail, n);
    s->tx_active = false;
}
