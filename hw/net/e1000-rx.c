/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82540EM receive path (8254x SDM 3.2): size checks, VLAN and
 * address filtering, VLAN tag stripping, RX checksum offload, the legacy
 * RX descriptor ring with multi-buffer frames, RX interrupt delays, and
 * the loopback queue that feeds transmitted frames back to RX.
 *
 * Back-pressure: a frame that does not fit the free descriptors is
 * refused (E1000_RX_NO_ROOM) and kept by its sender (the generic net layer
 * or the loopback queue) until the guest advances RDT. Frames the guest
 * asked to lose (RX off, filtered, oversized) are consumed and counted.
 */
#include <inttypes.h>

#include "hw/net/e1000-int.h"
#include "hw/net/net_util.h"

typedef struct E1000LbFrame {
    size_t len;
    uint8_t data[];
} E1000LbFrame;

static uint32_t e1000_rx_ring_size(const E1000State *s)
{
    return e1000_get(s, E1000_RDLEN) / sizeof(struct e1000_rx_desc);
}

/* Descriptors the guest has handed over: RDH up to (not incl.) RDT. */
static uint32_t e1000_rx_free_descs(const E1000State *s)
{
    uint32_t n = e1000_rx_ring_size(s);
    uint32_t head = e1000_get(s, E1000_RDH);
    uint32_t tail = e1000_get(s, E1000_RDT);

    if (n == 0 || head >= n || tail >= n) {
        return 0;
    }
    return tail >= head ? tail - head : tail + n - head;
}

/* SDM 13.4.22: RCTL.BSIZE, scaled by 16 when BSEX is set. */
static size_t e1000_rx_buf_size(E1000State *s, uint32_t rctl)
{
    static const size_t sizes[2][4] = {
        { 2048, 1024, 512, 256 },
        { 0, 16384, 8192, 4096 },
    };
    size_t size = sizes[!!(rctl & E1000_RCTL_BSEX)]
                       [(rctl >> E1000_RCTL_BSIZE_SHIFT) &
                        E1000_RCTL_BSIZE_MASK];

    if (!size) {
        log_guest_error(LOG_E1000, "%s: reserved RCTL buffer size; using "
                        "2048 bytes", s->id);
        size = 2048;
    }
    return size;
}

/*
 * A frame waits for buffers: count it in RNBC (SDM 13.7) and raise RXO so
 * the driver refills (SDM 13.4.17). Once per shortage: the frame is kept,
 * not lost, and is offered again when the guest advances RDT.
 */
static void e1000_rx_no_buffers(E1000State *s)
{
    uint32_t n = e1000_rx_ring_size(s);
    uint32_t head = e1000_get(s, E1000_RDH);
    uint32_t tail = e1000_get(s, E1000_RDT);

    if (s->rx_nobuf) {
        return;
    }
    s->rx_nobuf = true;
    e1000_stat_add(s, E1000_RNBC, 1);
    e1000_set_ics(s, E1000_ICR_RXO);
    if (n == 0 || head >= n || tail >= n) {
        log_guest_error(LOG_E1000, "%s: RDH %u / RDT %u outside a %u-entry "
                        "ring; receive stalls", s->id, head, tail, n);
    }
}

bool e1000_rx_can_receive(E1000State *s)
{
    /* Frames RX would discard anyway are taken at once. */
    if (!(e1000_get(s, E1000_RCTL) & E1000_RCTL_EN) ||
        e1000_in_loopback(s) || !s->link_up) {
        return true;
    }
    /* Without bus mastering frames wait (config_written retries). */
    if (!pci_bus_master_enabled(&s->pci)) {
        return false;
    }
    if (e1000_rx_free_descs(s) == 0) {
        e1000_rx_no_buffers(s);
        return false;
    }
    return true;
}

/* ---- Descriptor prefetch (SDM 3.2.4) ---- */

void e1000_rx_ring_changed(E1000State *s, unsigned offset)
{
    if (offset == E1000_RDT) {
        /* RDT moved back: slots beyond it are the guest's again. */
        s->rx_pf_count = MIN(s->rx_pf_count, e1000_rx_free_descs(s));
    } else {
        s->rx_pf_count = 0;
    }
    if (s->rx_pf_count == 0) {
        s->rx_pf_first = 0;
    }
}

/*
 * Fetch up to `want` handed-over descriptors after the cached ones, in
 * one read that stops at the end of the ring. On a failed read of
 * several, fetch just one, so that only an unreadable descriptor the
 * frame needs drops it. False (and nothing cached) if that fails.
 */
static bool e1000_rx_prefetch(E1000State *s, uint32_t n, uint32_t want)
{
    uint64_t base = e1000_get(s, E1000_RDBAL) |
                    ((uint64_t)e1000_get(s, E1000_RDBAH) << 32);
    uint32_t slot = e1000_get(s, E1000_RDH) + s->rx_pf_count;
    uint8_t d[E1000_RX_MAX_DESCS * sizeof(struct e1000_rx_desc)];
    uint64_t *to;
    uint32_t i, k;

    if (slot >= n) {
        slot -= n;
    }
    if (s->rx_pf_first + s->rx_pf_count + want > E1000_RX_MAX_DESCS) {
        memmove(s->rx_pf_addr, s->rx_pf_addr + s->rx_pf_first,
                s->rx_pf_count * sizeof(s->rx_pf_addr[0]));
        s->rx_pf_first = 0;
    }
    k = MIN(want, n - slot);
    while (!pci_dma_read(&s->pci, base + (uint64_t)slot * 16, d, k * 16)) {
        if (k == 1) {
            log_guest_error(LOG_E1000, "%s: RX descriptor %u not readable;"
                            " frame dropped", s->id, slot);
            return false;
        }
        k = 1;
    }
    to = s->rx_pf_addr + s->rx_pf_first + s->rx_pf_count;
    for (i = 0; i < k; i++) {
        to[i] = ld64_le(d + i * 16);
    }
    s->rx_pf_count += k;
    return true;
}

/*
 * Make the first ndesc of the avail handed-over descriptors from RDH
 * (ndesc <= avail) cached, fetching as many more as fit. Consumed only
 * by e1000_rx_publish. False if one the frame needs cannot be read.
 */
static bool e1000_rx_fetch(E1000State *s, uint32_t n, uint32_t ndesc,
                           uint32_t avail)
{
    while (s->rx_pf_count < ndesc) {
        if (!e1000_rx_prefetch(s, n, MIN(avail, (uint32_t)E1000_RX_MAX_DESCS)
                                         - s->rx_pf_count)) {
            return false;
        }
    }
    return true;
}

/* ---- Filters (SDM 3.2.1, 13.5) ---- */

/* 12 bits of the destination address picked by RCTL.MO (SDM 13.5.1). */
static unsigned e1000_mta_hash(const uint8_t *dst, unsigned mo)
{
    static const unsigned shift[4] = { 4, 3, 2, 0 };

    return ((dst[4] >> shift[mo]) | (dst[5] << (8 - shift[mo]))) & 0xfff;
}

static bool e1000_rx_addr_ok(const E1000State *s, const uint8_t *dst,
                             uint32_t rctl)
{
    bool mcast = net_is_multicast(dst);
    unsigned i, hash;

    if (net_is_broadcast(dst) && (rctl & E1000_RCTL_BAM)) {
        return true;
    }
    if (mcast ? (rctl & E1000_RCTL_MPE) : (rctl & E1000_RCTL_UPE)) {
        return true;
    }
    for (i = 0; i < E1000_RA_COUNT; i++) {
        uint32_t ral = e1000_get(s, E1000_RA + 8 * i);
        uint32_t rah = e1000_get(s, E1000_RA + 8 * i + 4);

        /* Only valid destination-address entries (AS = 00b). */
        if ((rah & E1000_RAH_AV) && !(rah & E1000_RAH_AS_MASK) &&
            ld32_le(dst) == ral && ld16_le(dst + 4) == (rah & 0xffff)) {
            return true;
        }
    }
    if (!mcast) {
        return false;
    }
    hash = e1000_mta_hash(dst, (rctl >> E1000_RCTL_MO_SHIFT) &
                                   E1000_RCTL_MO_MASK);
    return (e1000_get(s, E1000_MTA + 4 * (hash >> 5)) >> (hash & 31)) & 1;
}

/* SDM 3.2.1 (VFE, CFIEN/CFI) for a frame tagged with VET. */
static bool e1000_rx_vlan_ok(const E1000State *s, uint16_t tci,
                             uint32_t rctl)
{
    unsigned vid = tci & 0xfff;

    if ((rctl & E1000_RCTL_CFIEN) &&
        !!(tci & 0x1000) != !!(rctl & E1000_RCTL_CFI)) {
        return false;
    }
    if (!(rctl & E1000_RCTL_VFE)) {
        return true;
    }
    return (e1000_get(s, E1000_VFTA + 4 * (vid >> 5)) >> (vid & 31)) & 1;
}

/* ---- Interrupts (SDM 3.2: RDTR, RADV) ---- */

/*
 * Raise `cause` unless ICR has it already: then the interrupt state was
 * worked out when it was set and cannot change now (ICR and IMS are the
 * same, an ITR wait has its timer). Saves that work on every frame.
 */
static void e1000_rx_cause(E1000State *s, uint32_t cause)
{
    if ((e1000_get(s, E1000_ICR) & cause) != cause) {
        e1000_set_ics(s, cause);
    }
}

void e1000_rx_delay_expired(void *opaque)
{
    E1000State *s = opaque;

    timer_del(s->rdtr_timer);
    timer_del(s->radv_timer);
    e1000_rx_cause(s, E1000_ICR_RXT0);
}

void e1000_rx_flush_delay(E1000State *s)
{
    if (timer_pending(s->rdtr_timer) || timer_pending(s->radv_timer)) {
        e1000_rx_delay_expired(s);
    }
}

/*
 * After a packet of `total` bytes was stored, `left` descriptors remain in
 * an n-entry ring: RXT0 (now or after RDTR/RADV), SRPD for a packet no
 * longer than RSRPD.SIZE, RXDMT0 when the free descriptors reach
 * RDLEN / 2^(RDMTS + 1) (SDM 13.4.22).
 */
static void e1000_rx_irq(E1000State *s, uint32_t rctl, size_t total,
                         uint32_t n, uint32_t left)
{
    uint32_t rdtr = e1000_get(s, E1000_RDTR) & 0xffff;
    uint32_t radv = e1000_get(s, E1000_RADV) & 0xffff;
    uint32_t srpd = e1000_get(s, E1000_RSRPD) & 0xfff;
    uint32_t rdmts = (rctl >> E1000_RCTL_RDMTS_SHIFT) & E1000_RCTL_RDMTS_MASK;
    int64_t now;

    if (srpd && total <= srpd) {
        e1000_rx_cause(s, E1000_ICR_SRPD);
    }
    if (left <= n >> (rdmts == 3 ? 3 : rdmts + 1)) {
        e1000_rx_cause(s, E1000_ICR_RXDMT0);
    }
    if (!rdtr) {
        e1000_rx_delay_expired(s);
        return;
    }
    now = e1000_now(s);
    timer_mod_ns(s->rdtr_timer, now + (int64_t)rdtr * E1000_DELAY_UNIT_NS);
    if (radv && !timer_pending(s->radv_timer)) {
        timer_mod_ns(s->radv_timer,
                     now + (int64_t)radv * E1000_DELAY_UNIT_NS);
    }
}

/* ---- Receive ---- */

static void e1000_rx_count(E1000State *s, const uint8_t *dst, size_t wire)
{
    static const struct {
        size_t max;
        unsigned reg;
    } bins[] = {
        { 64, E1000_PRC64 },     { 127, E1000_PRC127 },
        { 255, E1000_PRC255 },   { 511, E1000_PRC511 },
        { 1023, E1000_PRC1023 }, { 1522, E1000_PRC1522 },
    };
    unsigned i;

    e1000_stat_add(s, E1000_GPRC, 1);
    e1000_stat_add64(s, E1000_GORCL, wire);
    for (i = 0; i < G_N_ELEMENTS(bins); i++) {
        if (wire <= bins[i].max) {
            e1000_stat_add(s, bins[i].reg, 1);
            break;
        }
    }
    if (net_is_broadcast(dst)) {
        e1000_stat_add(s, E1000_BPRC, 1);
    } else if (net_is_multicast(dst)) {
        e1000_stat_add(s, E1000_MPRC, 1);
    }
}

/*
 * Status/error bits of RX checksum offload (SDM 3.2.3, RXCSUM) and the
 * packet checksum, with one pass over the payload for both.
 */
static void e1000_rx_csum(E1000State *s, const uint8_t *frame, size_t len,
                          uint8_t *status, uint8_t *errors, uint16_t *csum)
{
    uint32_t rxcsum = e1000_get(s, E1000_RXCSUM);
    NetFrameInfo info;
    NetCsumCheck chk;

    net_parse_frame(frame, len, &info);
    /* The packet checksum: ones-complement sum from PCSS, not inverted. */
    *csum = net_verify_csum_pkt(frame, len, &info,
                                rxcsum & E1000_RXCSUM_PCSS_MASK, &chk);
    if (!(rxcsum & E1000_RXCSUM_IPOFLD) || info.ip_version != 4) {
        chk.ip_checked = false;
    }
    if (!(rxcsum & E1000_RXCSUM_TUOFLD) || info.ip_fragment) {
        chk.l4_checked = false;
    }
    if (chk.ip_checked) {
        *status |= E1000_RXD_STAT_IPCS;
        if (!chk.ip_ok) {
            *errors |= E1000_RXD_ERR_IPE;
        }
    }
    if (chk.l4_checked) {
        *status |= E1000_RXD_STAT_TCPCS;
        if (!chk.l4_ok) {
            *errors |= E1000_RXD_ERR_TCPE;
        }
    }
    if (!chk.ip_checked && !chk.l4_checked) {
        *status |= E1000_RXD_STAT_IXSM;
    }
}

/*
 * An accepted frame as the guest gets it: the tag stripped if CTRL.VME
 * (its TCI in *special, VP set), padded to 60 bytes, the CRC appended
 * unless RCTL.SECRC. *data is `buf` itself when nothing changes (the
 * common case: no copy), else rx_buf where it was staged; *frame_len is
 * its length without the CRC (what RX checksum offload covers). Returns
 * the length to store.
 */
static size_t e1000_rx_stage(E1000State *s, const uint8_t *buf, size_t len,
                             bool tagged, uint32_t rctl, uint8_t *status,
                             uint16_t *special, const uint8_t **data,
                             size_t *frame_len)
{
    bool strip = tagged && (e1000_get(s, E1000_CTRL) & E1000_CTRL_VME);
    size_t staged;

    if (!strip && len >= ETH_ZLEN && (rctl & E1000_RCTL_SECRC)) {
        *data = buf;
        *frame_len = len;
        return len;
    }
    *data = s->rx_buf;
    if (strip) {
        *special = ld16_be(buf + 14);
        *status |= E1000_RXD_STAT_VP;
        memcpy(s->rx_buf, buf, 2 * ETH_ALEN);
        memcpy(s->rx_buf + 2 * ETH_ALEN, buf + 16, len - 16);
        staged = len - 4;
    } else {
        memcpy(s->rx_buf, buf, len);
        staged = len;
    }
    staged = net_pad_short(s->rx_buf, staged, E1000_RX_BUF_SIZE);
    *frame_len = staged;
    if (!(rctl & E1000_RCTL_SECRC)) {
        st32_le(s->rx_buf + staged, net_crc32(s->rx_buf, staged));
        staged += 4;
    }
    return staged;
}

/*
 * Copy `total` bytes of `data` into the buffers of the ndesc cached
 * descriptors from RDH; bad[i] tells whether buffer i could not be
 * written.
 */
static void e1000_rx_copy(E1000State *s, const uint8_t *data, size_t total,
                          size_t bufsize, uint32_t ndesc, bool *bad)
{
    const uint64_t *addrs = s->rx_pf_addr + s->rx_pf_first;
    size_t done = 0;
    uint32_t i;

    for (i = 0; i < ndesc; i++) {
        size_t chunk = MIN(bufsize, total - done);

        bad[i] = !pci_dma_write(&s->pci, addrs[i], data + done, chunk);
        if (bad[i]) {
            log_guest_error(LOG_E1000, "%s: RX buffer 0x%" PRIx64
                            " not writable", s->id, addrs[i]);
        }
        done += chunk;
    }
}

/*
 * Write back ndesc descriptors from RDH for a copied frame; advance RDH
 * past them and drop them from the prefetch cache.
 */
static void e1000_rx_publish(E1000State *s, size_t total, size_t bufsize,
                             uint32_t ndesc, const bool *bad, uint8_t status,
                             uint8_t errors, uint16_t csum, uint16_t special)
{
    uint64_t base = e1000_get(s, E1000_RDBAL) |
                    ((uint64_t)e1000_get(s, E1000_RDBAH) << 32);
    uint32_t n = e1000_rx_ring_size(s);
    uint32_t head = e1000_get(s, E1000_RDH);
    size_t done = 0;
    uint32_t i;

    for (i = 0; i < ndesc; i++) {
        size_t chunk = MIN(bufsize, total - done);
        uint8_t wb[8];

        done += chunk;
        st16_le(wb, (uint16_t)chunk);
        st16_le(wb + 2, csum);
        wb[4] = status | E1000_RXD_STAT_DD |
                (i == ndesc - 1 ? E1000_RXD_STAT_EOP : 0);
        wb[5] = errors | (bad[i] ? E1000_RXD_ERR_RXE : 0);
        st16_le(wb + 6, special);
        /*
         * The guest polls DD and clears the status byte while we run
         * (Linux e1000_clean_rx_irq). Length, checksum, errors and
         * special go first; the status byte last, once, as one store
         * (gmem.h): a clear can then never be undone by a late store,
         * which would hand the driver a stale DD.
         */
        if (!pci_dma_write_publish(&s->pci, base + (uint64_t)head * 16 + 8,
                                   wb, sizeof(wb), 4)) {
            log_guest_error(LOG_E1000, "%s: RX descriptor %u not writable",
                            s->id, head);
        }
        head = e1000_ring_next(head, n);
    }
    e1000_set(s, E1000_RDH, head);
    s->rx_pf_first += ndesc;
    s->rx_pf_count -= ndesc;
    if (s->rx_pf_count == 0) {
        s->rx_pf_first = 0;
    }
}

E1000RxResult e1000_rx_frame(E1000State *s, const uint8_t *buf, size_t len,
                             bool loopback)
{
    uint32_t rctl = e1000_get(s, E1000_RCTL);
    size_t limit = (rctl & E1000_RCTL_LPE) ? E1000_MAX_RX_FRAME_LPE :
                   E1000_MAX_RX_FRAME;
    size_t wire = MAX(len, (size_t)ETH_ZLEN) + 4;
    bool bad[E1000_RX_MAX_DESCS];
    const uint8_t *data;
    uint8_t status = 0, errors = 0;
    uint16_t special = 0, csum;
    size_t total, frame_len, bufsize;
    uint32_t ndesc, avail, n;
    bool tagged;

    if (s->rx_active) {
        return E1000_RX_NO_ROOM;
    }
    if (!(rctl & E1000_RCTL_EN) || len < ETH_HLEN ||
        (!loopback && (e1000_in_loopback(s) || !s->link_up))) {
        s->rx_dropped++;
        return E1000_RX_CONSUMED;
    }
    e1000_stat_add(s, E1000_TPR, 1);
    e1000_stat_add64(s, E1000_TORL, wire);
    if (wire > limit) {
        e1000_stat_add(s, E1000_ROC, 1);
        return E1000_RX_CONSUMED;
    }
    tagged = len >= ETH_HLEN + 4 &&
             ld16_be(buf + 12) == (e1000_get(s, E1000_VET) & 0xffff);
    if ((tagged && !e1000_rx_vlan_ok(s, ld16_be(buf + 14), rctl)) ||
        !e1000_rx_addr_ok(s, buf, rctl)) {
        return E1000_RX_CONSUMED;
    }

    total = e1000_rx_stage(s, buf, len, tagged, rctl, &status, &special,
                           &data, &frame_len);
    bufsize = e1000_rx_buf_size(s, rctl);
    /* bufsize is a power of two: no 64-bit division per frame. */
    ndesc = (uint32_t)((total + bufsize - 1) >> __builtin_ctzl(bufsize));
    n = e1000_rx_ring_size(s);
    if (n == 0 || ndesc > n - 1) {
        log_guest_error(LOG_E1000, "%s: %zu-byte frame cannot fit a %u-entry"
                        " ring of %zu-byte buffers; dropped", s->id, total,
                        n, bufsize);
        e1000_stat_add(s, E1000_MPC, 1);
        return E1000_RX_CONSUMED;
    }
    if (!pci_bus_master_enabled(&s->pci)) {
        return E1000_RX_NO_ROOM;
    }
    avail = e1000_rx_free_descs(s);
    if (avail < ndesc) {
        e1000_rx_no_buffers(s);
        return E1000_RX_NO_ROOM;
    }
    s->rx_nobuf = false;

    /* Fetch the descriptors first: none is written if one is unreadable. */
    s->rx_active = true;
    if (!e1000_rx_fetch(s, n, ndesc, avail)) {
        e1000_stat_add(s, E1000_MPC, 1);
        s->rx_active = false;
        return E1000_RX_CONSUMED;
    }
    e1000_rx_copy(s, data, total, bufsize, ndesc, bad);
    /*
     * Checksums after the copy, which has just pulled the frame into the
     * cache: summing it first took the cache misses at a lower rate.
     */
    e1000_rx_csum(s, data, frame_len, &status, &errors, &csum);
    e1000_rx_publish(s, total, bufsize, ndesc, bad, status, errors, csum,
                     special);
    e1000_rx_count(s, buf, wire);

    e1000_rx_irq(s, rctl, total, n, avail - ndesc);
    s->rx_active = false;
    return E1000_RX_CONSUMED;
}

/* ---- Loopback (RCTL.LBM, PHY loopback) ---- */

bool e1000_lb_enqueue(E1000State *s, const struct iovec *iov, int iovcnt,
                      size_t len)
{
    E1000LbFrame *f;
    size_t off = 0;
    int i;

    if (g_queue_get_length(&s->lb_queue) >= E1000_LB_MAX_FRAMES ||
        len > E1000_LB_MAX_BYTES - s->lb_bytes) {
        return false;
    }
    f = g_malloc(sizeof(*f) + len);
    f->len = len;
    for (i = 0; i < iovcnt && off < len; i++) {
        size_t n = MIN(iov[i].iov_len, len - off);

        memcpy(f->data + off, iov[i].iov_base, n);
        off += n;
    }
    g_queue_push_tail(&s->lb_queue, f);
    s->lb_bytes += len;
    /* Delivered later from the main loop, never from inside TX. */
    e1000_schedule_bh(s);
    return true;
}

void e1000_lb_drain(E1000State *s)
{
    E1000LbFrame *f;

    while ((f = g_queue_peek_head(&s->lb_queue))) {
        if (e1000_rx_frame(s, f->data, f->len, true) == E1000_RX_NO_ROOM) {
            break;
        }
        g_queue_pop_head(&s->lb_queue);
        s->lb_bytes -= f->len;
        g_free(f);
    }
}

void e1000_lb_clear(E1000State *s)
{
    E1000LbFrame *f;

    while ((f = g_queue_pop_head(&s->lb_queue))) {
        g_free(f);
    }
    s->lb_bytes = 0;
}
