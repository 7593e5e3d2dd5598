/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RTL8139 receive path: the address filter (RCR AAP/APM/AM/AB and the
 * MAR hash), the C mode ring buffer at RBSTART (data sheet 6.1: packet
 * header, CAPR/CBR, RCR.WRAP), the C+ descriptor ring at RDSAR (with
 * VLAN tag stripping, RX checksum status and frames scattered over several
 * descriptors), and the TCR loopback queue.
 *
 * No room is never a drop: the frame is refused (receive() returns false,
 * the backend holds it and pauses), RXOVW/RDU tells the driver, and
 * rtl8139_rx_kick() offers it again once the guest writes CAPR, returns
 * C+ descriptors (seen on ISR/IMR/CpCmd/RDSAR writes or by a periodic
 * re-read of the ring) or changes the RX configuration. Frames the guest
 * configured away (RX off, filter) or that can never fit are consumed and
 * counted (MPC and the tally counters for the latter).
 */
#include <inttypes.h>

#include "hw/net/net_util.h"
#include "hw/net/rtl8139-int.h"

#define VLAN_HLEN 4
/* Frame length field of a descriptor (C+) or header (C) includes FCS. */
#define FCS_LEN 4

typedef enum RtlRxResult {
    RTL_RX_OK,      /* written to the guest */
    RTL_RX_DROPPED, /* consumed and counted: can never be stored */
    RTL_RX_NO_ROOM, /* refused: retry after rtl8139_rx_kick */
} RtlRxResult;

typedef enum RtlRxKind {
    RTL_RX_OTHER, /* accepted only by AAP */
    RTL_RX_PHYS,
    RTL_RX_BCAST,
    RTL_RX_MCAST,
} RtlRxKind;

/* Address class, as C mode header bits and C+ descriptor bits. */
typedef struct RtlRxClass {
    RtlRxKind kind;
    uint16_t c_status;
    uint32_t cp_status;
} RtlRxClass;

static uint32_t rtl8139_rx_ring_size(const Rtl8139State *s)
{
    return 8192u << ((s->rcr & RTL_RCR_RBLEN_MASK) >> RTL_RCR_RBLEN_SHIFT);
}

/* Data sheet 6.1 / RCR: false if the frame is not for us. */
static bool rtl8139_rx_filter(Rtl8139State *s, const uint8_t *dst,
                              RtlRxClass *cls)
{
    bool promisc = s->rcr & RTL_RCR_AAP;
    unsigned bin;

    memset(cls, 0, sizeof(*cls));
    if (net_is_broadcast(dst)) {
        cls->kind = RTL_RX_BCAST;
        cls->c_status = RTL_RXH_BAR;
        cls->cp_status = RTL_RXD_BAR;
        return promisc || (s->rcr & RTL_RCR_AB);
    }
    if (net_is_multicast(dst)) {
        /*
         * 64-bin hash: the top 6 bits of the big-endian CRC (MAR0 bit 0
         * is bin 0), as 8139too/8139cp compute ether_crc() >> 26.
         */
        bin = net_crc32_be(dst, ETH_ALEN) >> 26;
        cls->kind = RTL_RX_MCAST;
        cls->c_status = RTL_RXH_MAR;
        cls->cp_status = RTL_RXD_MAR;
        return promisc || ((s->rcr & RTL_RCR_AM) &&
                           (s->mar[bin >> 3] & (1u << (bin & 7))));
    }
    if (memcmp(dst, s->idr, ETH_ALEN) == 0) {
        cls->kind = RTL_RX_PHYS;
        cls->c_status = RTL_RXH_PAM;
        cls->cp_status = RTL_RXD_PAM;
        return promisc || (s->rcr & RTL_RCR_APM);
    }
    return promisc;
}

/* A frame that will never fit: consumed, counted as missed. */
static RtlRxResult rtl8139_rx_too_long(Rtl8139State *s, size_t len)
{
    s->drops.rx_too_long++;
    s->mpc = (s->mpc + 1) & 0xffffff;
    s->tally.rx_err++;
    s->tally.miss_pkt++;
    log_trace(LOG_RTL8139, "%s: %zu byte frame does not fit, dropped", s->name,
              len);
    return RTL_RX_DROPPED;
}

/*
 * Copy `n` bytes to offset `off` (below twice the ring size) of the C mode
 * ring: on past its end when `contiguous` (RCR.WRAP), else wrapping to
 * RBSTART.
 */
static bool rtl8139_rx_c_put(Rtl8139State *s, uint32_t size, bool contiguous,
                             uint32_t off, const uint8_t *data, size_t n)
{
    if (!contiguous && off >= size) {
        off -= size;
    }
    if (!contiguous && off + n > size) {
        uint32_t first = size - off;

        return pci_dma_write(&s->pci, (hwaddr)s->rbstart + off, data,
                             first) &&
               pci_dma_write(&s->pci, s->rbstart, data + first, n - first);
    }
    return pci_dma_write(&s->pci, (hwaddr)s->rbstart + off, data, n);
}

/*
 * C mode (data sheet 6.1): header (status, length with FCS), frame, FCS
 * at CBR, then CBR moves to the next dword. The read pointer is CAPR + 16
 * (drivers write "next packet - 16"). A packet may not fill the ring to
 * the last byte: CBR == CAPR + 16 means empty (CR.BUFE). The frame goes
 * from the backend's buffer straight to the ring, and the header, which
 * says a packet is there, is stored after the frame and FCS.
 */
static RtlRxResult rtl8139_rx_c(Rtl8139State *s, const uint8_t *frame,
                                size_t len, const RtlRxClass *cls)
{
    uint32_t size = rtl8139_rx_ring_size(s);
    uint32_t rp = ((uint32_t)s->capr + 16) & (size - 1);
    uint32_t wp = s->rx_wp & (size - 1);
    uint32_t avail = (rp - wp) & (size - 1);
    uint32_t need = (uint32_t)(4 + len + FCS_LEN + 3) & ~3u;
    /* WRAP=1 lets a packet run past the end (not with 64 KiB). */
    bool contiguous = (s->rcr & RTL_RCR_WRAP) && size < 65536;
    uint8_t hdr[4], fcs[FCS_LEN];

    if (len > RTL_C_RX_MAX_FRAME) {
        return rtl8139_rx_too_long(s, len);
    }
    if (avail == 0) {
        avail = size;
    }
    if (need >= avail) {
        return RTL_RX_NO_ROOM;
    }
    st32_le(hdr, RTL_RXH_ROK | cls->c_status | (uint32_t)(len + FCS_LEN) << 16);
    st32_le(fcs, net_crc32(frame, len));
    if (!rtl8139_rx_c_put(s, size, contiguous, wp + 4, frame, len) ||
        !rtl8139_rx_c_put(s, size, contiguous, wp + 4 + (uint32_t)len, fcs,
                          FCS_LEN) ||
        !rtl8139_rx_c_put(s, size, contiguous, wp, hdr, sizeof(hdr))) {
        s->drops.rx_dma_error++;
        s->tally.rx_err++;
        rtl8139_dma_error(s, "RX ring", (hwaddr)s->rbstart + wp);
        return RTL_RX_DROPPED;
    }
    s->rx_wp = (wp + need) & (size - 1);
    return RTL_RX_OK;
}

/* C+ RX checksum status (CpCmd.RxChkSum): protocol id and failures. */
static uint32_t rtl8139_rx_csum_status(const uint8_t *frame, size_t len)
{
    NetFrameInfo info;
    bool ip_checked, ip_ok, l4_checked, l4_ok;
    uint32_t pid = RTL_RXD_PID_IP;
    uint32_t status = 0;

    net_parse_frame(frame, len, &info);
    if (info.ip_version != 4) {
        return 0; /* non-IP as far as this part knows (no IPv6) */
    }
    net_verify_csum(frame, len, &info, &ip_checked, &ip_ok, &l4_checked,
                    &l4_ok);
    if (ip_checked && !ip_ok) {
        status |= RTL_RXD_IPF;
    }
    /*
     * Claim TCP/UDP only for a checksum that was verified: 8139cp trusts
     * "TCP and no TCPF", so a fragment must not look verified.
     */
    if (l4_checked && info.l4_proto == IP_PROTO_TCP) {
        pid = RTL_RXD_PID_TCP;
        status |= l4_ok ? 0 : RTL_RXD_TCPF;
    } else if (l4_checked && info.l4_proto == IP_PROTO_UDP) {
        pid = RTL_RXD_PID_UDP;
        status |= l4_ok ? 0 : RTL_RXD_UDPF;
    }
    return status | pid << RTL_RXD_PID_SHIFT;
}

typedef struct RtlRxDesc {
    unsigned idx;
    uint32_t dw0;
    hwaddr buf;
    uint32_t chunk;
} RtlRxDesc;

static hwaddr rtl8139_rx_desc_addr(const Rtl8139State *s, unsigned idx)
{
    return ((hwaddr)s->rdsar[1] << 32 | s->rdsar[0]) +
           (hwaddr)idx * RTL_DESC_SIZE;
}

/*
 * C+ mode (C+ data sheet 9.2): the frame (VLAN tag stripped if
 * CpCmd.RxVLAN) and its FCS go into as many NIC-owned descriptors as it
 * needs, FS on the first, LS and the status on the last. Descriptors are
 * written back last to first, each with its OWN byte stored last, so the
 * driver never sees a half-done frame.
 */
static RtlRxResult rtl8139_rx_cplus(Rtl8139State *s, const uint8_t *frame,
                                    size_t len, const RtlRxClass *cls)
{
    RtlRxDesc desc[RTL_CP_RING_MAX];
    uint8_t *buf = s->rx_scratch;
    uint32_t dw1 = 0, status = cls->cp_status;
    size_t total, data_len = len, off = 0;
    unsigned idx = s->cp_rx_idx, n = 0;
    uint8_t raw[RTL_DESC_SIZE];

    if (s->rdsar[0] == 0 && s->rdsar[1] == 0) {
        /* 8139cp enables C+ RX before it programs the ring. */
        return RTL_RX_NO_ROOM;
    }
    if (len > RTL_CP_RX_MAX_TOTAL ||
        (s->rx_max_size && MAX(len, ETH_ZLEN) + FCS_LEN > s->rx_max_size)) {
        /* RxMaxSize counts the frame as on the wire (rtl8139-regs.c). */
        return rtl8139_rx_too_long(s, len);
    }
    if ((s->cpcmd & RTL_CPCMD_RXVLAN) && len >= ETH_HLEN + VLAN_HLEN &&
        ld16_be(frame + 12) == ETH_P_VLAN) {
        /* The TCI goes to dw1 in network byte order (8139cp swab16s). */
        dw1 = RTL_RXD_TAVA | frame[14] | (uint32_t)frame[15] << 8;
        memcpy(buf, frame, 12);
        memcpy(buf + 12, frame + 16, len - 16);
        data_len = len - VLAN_HLEN;
    } else {
        memcpy(buf, frame, len);
    }
    if (s->cpcmd & RTL_CPCMD_RXCHKSUM) {
        status |= rtl8139_rx_csum_status(buf, data_len);
    }
    if (data_len < ETH_ZLEN) {
        memset(buf + data_len, 0, ETH_ZLEN - data_len);
        data_len = ETH_ZLEN;
    }
    st32_le(buf + data_len, net_crc32(buf, data_len));
    total = data_len + FCS_LEN;
    if (total > RTL_CP_RX_MAX_TOTAL) {
        return rtl8139_rx_too_long(s, len);
    }

    /* Claim descriptors; nothing is written unless all are there. */
    while (off < total) {
        if (n == RTL_CP_RING_MAX || (n > 0 && idx == s->cp_rx_idx)) {
            /* More than the whole ring of buffers: never fits. */
            return rtl8139_rx_too_long(s, len);
        }
        if (!pci_dma_read(&s->pci, rtl8139_rx_desc_addr(s, idx), raw,
                          sizeof(raw))) {
            s->drops.rx_dma_error++;
            s->tally.rx_err++;
            rtl8139_dma_error(s, "RX descriptor", rtl8139_rx_desc_addr(s, idx));
            return RTL_RX_DROPPED;
        }
        desc[n].idx = idx;
        desc[n].dw0 = ld32_le(raw);
        desc[n].buf = ld64_le(raw + 8);
        if (!(desc[n].dw0 & RTL_DESC_OWN)) {
            return RTL_RX_NO_ROOM;
        }
        desc[n].chunk =
            (uint32_t)MIN(desc[n].dw0 & RTL_RXD_BUFSIZE_MASK, total - off);
        off += desc[n].chunk;
        idx = (desc[n].dw0 & RTL_DESC_EOR) ? 0 : (idx + 1) % RTL_CP_RING_MAX;
        n++;
    }

    off = 0;
    for (unsigned k = 0; k < n; k++) {
        if (!pci_dma_write(&s->pci, desc[k].buf, buf + off, desc[k].chunk)) {
            s->drops.rx_dma_error++;
            s->tally.rx_err++;
            rtl8139_dma_error(s, "RX buffer", desc[k].buf);
            return RTL_RX_DROPPED;
        }
        off += desc[k].chunk;
    }
    for (unsigned k = n; k-- > 0;) {
        uint32_t dw0 = desc[k].dw0 & RTL_DESC_EOR;
        hwaddr at = rtl8139_rx_desc_addr(s, desc[k].idx);
        uint8_t wb[8];

        dw0 |= k == 0 ? RTL_DESC_FS : 0;
        if (k == n - 1) {
            dw0 |= RTL_DESC_LS | status | (uint32_t)total;
        } else {
            dw0 |= desc[k].chunk;
        }
        st32_le(wb, dw0);
        st32_le(wb + 4, dw1);
        /*
         * 8139cp hands a descriptor back (OWN) as soon as it sees OWN
         * clear, while this write may still be going on: OWN's byte is
         * stored last and exactly once, or a repeated store (memcpy
         * stores some sizes twice) could clear OWN again after the
         * driver set it, and both sides would wait on each other.
         */
        if (!pci_dma_write_publish(&s->pci, at, wb, sizeof(wb), 3)) {
            rtl8139_dma_error(s, "RX descriptor", at);
        }
    }
    s->cp_rx_idx = idx;
    return RTL_RX_OK;
}

bool rtl8139_rx_frame(Rtl8139State *s, const uint8_t *buf, size_t len)
{
    uint8_t small[ETH_ZLEN];
    RtlRxClass cls;
    RtlRxResult res;

    if (!(s->cr & RTL_CR_RE)) {
        s->drops.rx_disabled++;
        return true;
    }
    if (len < ETH_HLEN) {
        /* Only a looped-back runt can be this short. */
        s->drops.rx_filtered++;
        return true;
    }
    if (!rtl8139_rx_filter(s, buf, &cls)) {
        s->drops.rx_filtered++;
        return true;
    }
    if (rtl8139_cplus_rx(s)) {
        res = rtl8139_rx_cplus(s, buf, len, &cls);
    } else {
        if (len < ETH_ZLEN) {
            /* Short frames reach the guest padded with zeros. */
            memcpy(small, buf, len);
            memset(small + len, 0, ETH_ZLEN - len);
            buf = small;
            len = ETH_ZLEN;
        }
        res = rtl8139_rx_c(s, buf, len, &cls);
    }

    if (res == RTL_RX_NO_ROOM) {
        s->rx_blocked = true;
        if (!s->rx_full) {
            /*
             * C: RXOVW "Rx buffer overflow"; C+: RDU "no descriptor".
             * Once per episode: retries must not storm the guest.
             */
            s->rx_full = true;
            rtl8139_raise(s, RTL_INT_RXOVW);
        }
        if (rtl8139_cplus_rx(s)) {
            /* Returned descriptors are plain memory writes: re-read. */
            timer_mod_ns(s->rx_poll_timer,
                         clock_get_ns(s->clock) + RTL_CP_RX_POLL_NS);
        }
        log_trace(LOG_RTL8139, "%s: no room for %zu byte frame, holding",
                  s->name, len);
        return false;
    }
    if (res == RTL_RX_OK) {
        s->rx_full = false;
        s->tally.rx_ok++;
        if (cls.kind == RTL_RX_PHYS) {
            s->tally.rx_ok_phy++;
        } else if (cls.kind == RTL_RX_BCAST) {
            s->tally.rx_ok_brd++;
        } else if (cls.kind == RTL_RX_MCAST) {
            s->tally.rx_ok_mul++;
        }
        rtl8139_raise(s, RTL_INT_ROK);
    }
    return true;
}

void rtl8139_rx_kick(Rtl8139State *s)
{
    if (!g_queue_is_empty(&s->loopback) && !timer_pending(s->loop_timer)) {
        timer_mod_ns(s->loop_timer, clock_get_ns(s->clock));
    }
    if (!s->rx_blocked) {
        return;
    }
    s->rx_blocked = false;
    timer_del(s->rx_poll_timer);
    net_peer_rx_ready(&s->nc);
}

void rtl8139_rx_poll_cb(void *opaque)
{
    rtl8139_rx_kick(opaque);
}

/* ---- TCR loopback ---- */

bool rtl8139_loopback_push(Rtl8139State *s, const struct iovec *iov, int iovcnt)
{
    GByteArray *frame;

    if (g_queue_get_length(&s->loopback) >= RTL_LOOPBACK_MAX) {
        return false;
    }
    frame = g_byte_array_new();
    for (int i = 0; i < iovcnt; i++) {
        g_byte_array_append(frame, iov[i].iov_base, iov[i].iov_len);
    }
    g_queue_push_tail(&s->loopback, g_byte_array_free_to_bytes(frame));
    if (!timer_pending(s->loop_timer)) {
        /* Deferred: RX never runs inside TX (CVE-2021-3416 class). */
        timer_mod_ns(s->loop_timer, clock_get_ns(s->clock));
    }
    return true;
}

void rtl8139_loopback_flush(Rtl8139State *s)
{
    GBytes *b;

    while ((b = g_queue_pop_head(&s->loopback)) != NULL) {
        g_bytes_unref(b);
    }
    if (s->loop_timer) {
        timer_del(s->loop_timer);
    }
}

void rtl8139_loop_timer_cb(void *opaque)
{
    Rtl8139State *s = opaque;
    GBytes *b;

    while ((b = g_queue_peek_head(&s->loopback)) != NULL) {
        size_t len;
        const uint8_t *data = g_bytes_get_data(b, &len);

        if (!rtl8139_rx_frame(s, data, len)) {
            /* Kept at the head; rtl8139_rx_kick re-arms this timer. */
            break;
        }
        g_bytes_unref(g_queue_pop_head(&s->loopback));
    }
    if (s->tx_blocked && g_queue_get_length(&s->loopback) < RTL_LOOPBACK_MAX) {
        rtl8139_tx_resume(s);
    }
}
