/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rtl8139 hostile-guest qtests (shared/reference/security-invariants.md):
 * large send and checksum offload with lying IP/TCP length fields (the
 * CVE-2015-5165 class: no byte beyond the guest's frame may reach the
 * wire), a C+ TX ring with every descriptor owned by the NIC (bounded
 * walk, CVE-2016-8910), RX ring sizes and CAPR values that would overrun
 * the ring, DMA aimed at the NIC's own BAR (must fail closed), every
 * access width at every register offset of both BARs, and rep-style
 * repeated PIO. After each attack the device must still work.
 */
#include <string.h>
#include <unistd.h>

#include "libqos/rtl8139.h"

#define BUF_CAP 70000
#define CANARY 0xee
#define GUARD 4096

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };

static void byte_array_free(gpointer p)
{
    g_byte_array_unref(p);
}

/* Read the wire until it is quiet; frames are freed by the caller. */
static GPtrArray *wire_drain(QRtl *d, int quiet_ms, unsigned max)
{
    GPtrArray *frames = g_ptr_array_new_with_free_func(byte_array_free);
    g_autofree uint8_t *buf = g_malloc(BUF_CAP);

    while (frames->len < max) {
        ssize_t n = qrtl_wire_recv(d, buf, BUF_CAP, quiet_ms);
        GByteArray *f;

        if (n < 0) {
            break;
        }
        f = g_byte_array_sized_new((guint)n);
        g_byte_array_append(f, buf, (guint)n);
        g_ptr_array_add(frames, f);
    }
    return frames;
}

/*
 * Transmit a known frame in C+ mode and receive one at the NIC: the
 * device still works. Frames left over from an attack are skipped.
 */
static void check_alive_cplus(QRtl *d)
{
    uint8_t frame[300];
    g_autofree uint8_t *buf = g_malloc(BUF_CAP);
    bool seen = false;
    unsigned i;

    g_assert_true(qtest_alive(d->qts));
    qrtl_cp_init(d, 16, 16, 1536, 0, 0);
    qrtl_simple_frame(frame, 300, other, 0xa11e);
    qrtl_cp_tx_frame(d, frame, 300, 0, 0);
    for (i = 0; i < 100 && !seen; i++) {
        ssize_t n = qrtl_wire_recv(d, buf, BUF_CAP, 3000);

        g_assert_cmpint(n, >, 0);
        seen = n == 300 && memcmp(buf, frame, 300) == 0;
    }
    g_assert_true(seen);

    qrtl_simple_frame(frame, 300, d->mac, 0xa11f);
    qrtl_wire_send(d, frame, 300);
    seen = false;
    for (i = 0; i < 100 && !seen; i++) {
        int n = qrtl_cp_rx(d, NULL, NULL, buf, BUF_CAP, 3000);

        g_assert_cmpint(n, >, 0);
        seen = n == 304 && memcmp(buf, frame, 300) == 0;
    }
    g_assert_true(seen);
}

/* The same in C mode. */
static void check_alive_c(QRtl *d)
{
    uint8_t frame[300];
    g_autofree uint8_t *buf = g_malloc(BUF_CAP);
    uint16_t status;
    bool seen = false;
    unsigned i;

    g_assert_true(qtest_alive(d->qts));
    qrtl_c_init(d, 0, true, RTL_RCR_APM);
    qrtl_simple_frame(frame, 300, other, 0xa12e);
    qrtl_c_tx(d, frame, 300);
    for (i = 0; i < 100 && !seen; i++) {
        ssize_t n = qrtl_wire_recv(d, buf, BUF_CAP, 3000);

        g_assert_cmpint(n, >, 0);
        seen = n == 300 && memcmp(buf, frame, 300) == 0;
    }
    g_assert_true(seen);

    qrtl_simple_frame(frame, 300, d->mac, 0xa12f);
    qrtl_wire_send(d, frame, 300);
    seen = false;
    for (i = 0; i < 100 && !seen; i++) {
        int n = qrtl_c_rx(d, &status, buf, 2048, 3000);

        g_assert_cmpint(n, >, 0);
        seen = n == 304 && memcmp(buf, frame, 300) == 0;
    }
    g_assert_true(seen);
    g_assert_true(qrtl_c_guard_ok(d));
}

/* Put `len` bytes in guest RAM between two canary areas. */
static uint64_t guest_frame_guarded(QRtl *d, const uint8_t *frame,
                                    size_t len)
{
    uint64_t base = qtest_guest_alloc(d->qts, GUARD + len + GUARD, 64);

    qtest_memset(d->qts, base, CANARY, GUARD + len + GUARD);
    qtest_memwrite(d->qts, base + GUARD, frame, len);
    return base + GUARD;
}

/*
 * Every frame that reached the wire must be made of the guest's bytes:
 * at most as long as the guest frame, the L2 addresses copied, the header
 * bytes from 54 up to the real header length `hlen` copied, and the rest
 * one contiguous piece of the guest frame's data, the pieces adding up to
 * no more than the guest supplied. Returns the number of frames.
 */
static unsigned check_wire_from_guest(QRtl *d, const uint8_t *g, size_t glen,
                                      size_t hlen)
{
    static const uint8_t canary4[4] = { CANARY, CANARY, CANARY, CANARY };
    GPtrArray *frames = wire_drain(d, 300, 80);
    size_t data_total = 0;
    unsigned i, count = frames->len;

    g_assert_cmpuint(count, <=, 64);
    for (i = 0; i < count; i++) {
        GByteArray *f = g_ptr_array_index(frames, i);
        size_t n = f->len, top = MIN(hlen, n);

        if (n > glen) {
            g_error("wire frame %u: %zu bytes from a %zu-byte guest frame",
                    i, n, glen);
        }
        g_assert_cmpuint(n, >=, 14);
        g_assert_cmpmem(f->data, 12, g, 12);
        g_assert_null(memmem(f->data, n, canary4, 4));
        if (top > 54) {
            g_assert_cmpmem(f->data + 54, top - 54, g + 54, top - 54);
        }
        if (n > hlen) {
            if (!memmem(g + hlen, glen - hlen, f->data + hlen, n - hlen)) {
                g_error("wire frame %u: %zu data bytes not from the guest",
                        i, n - hlen);
            }
            data_total += n - hlen;
        }
    }
    g_assert_cmpuint(data_total, <=, glen > hlen ? glen - hlen : 0);
    g_ptr_array_unref(frames);
    return count;
}

typedef enum Lie {
    LIE_IP_LEN_SHORT,   /* IP total length < IHL * 4 */
    LIE_IP_LEN_ZERO,
    LIE_IP_LEN_MAX,     /* 0xffff, far beyond the frame */
    LIE_IP_LEN_LONG,    /* frame + 1000 */
    LIE_IP_LEN_NO_TCP,  /* covers the IP header and half the TCP header */
    LIE_IHL_SMALL,      /* IHL = 4 */
    LIE_IHL_BIG,        /* IHL = 15 on a short frame */
    LIE_DOFF_ZERO,
    LIE_DOFF_BEYOND,    /* doff = 15 on a short frame */
    LIE_DOFF_OPTIONS,   /* doff = 15, fits: 40 bytes of "options" */
    LIE_COUNT,
} Lie;

/* Build a TCP frame and apply one lie; *hlen gets the real header end. */
static size_t build_lie(uint8_t *frame, size_t cap, Lie lie, size_t *hlen)
{
    QRtlFrameSpec spec;
    QRtlFrameInfo fi;
    size_t len;

    qrtl_frame_spec_init(&spec);
    memcpy(spec.dst, other, 6);
    spec.l4 = QRTL_L4_TCP;
    spec.csum = QRTL_CSUM_PARTIAL;
    spec.tcp_flags = QRTL_TCP_ACK | QRTL_TCP_PSH;
    spec.payload_len = (lie == LIE_IHL_BIG || lie == LIE_DOFF_BEYOND) ?
                       10 : 1200;
    len = qrtl_build_frame(frame, cap, &spec, &fi);
    g_assert_cmpuint(fi.l3_off, ==, 14);
    g_assert_cmpuint(fi.payload_off, ==, 54);
    *hlen = 54;

    switch (lie) {
    case LIE_IP_LEN_SHORT:
        frame[16] = 0;
        frame[17] = 10;
        break;
    case LIE_IP_LEN_ZERO:
        frame[16] = 0;
        frame[17] = 0;
        break;
    case LIE_IP_LEN_MAX:
        frame[16] = 0xff;
        frame[17] = 0xff;
        break;
    case LIE_IP_LEN_LONG:
        frame[16] = (uint8_t)((len - 14 + 1000) >> 8);
        frame[17] = (uint8_t)(len - 14 + 1000);
        break;
    case LIE_IP_LEN_NO_TCP:
        frame[16] = 0;
        frame[17] = 30;
        break;
    case LIE_IHL_SMALL:
        frame[14] = 0x44;
        break;
    case LIE_IHL_BIG:
        frame[14] = 0x4f;
        break;
    case LIE_DOFF_ZERO:
        frame[46] = 0x00;
        break;
    case LIE_DOFF_BEYOND:
    case LIE_DOFF_OPTIONS:
        frame[46] = 0xf0;
        if (lie == LIE_DOFF_OPTIONS) {
            *hlen = 14 + 20 + 60;
        }
        break;
    default:
        g_assert_not_reached();
    }
    return len;
}

/*
 * CVE-2015-5165 class: with LGSEN (and with IPCS/TCPCS alone) the header
 * length fields lie. Whatever the NIC decides (drop, send as is,
 * truncate, segment what really is there), nothing but the guest's bytes
 * may reach the wire, the TX descriptor is completed, and the NIC works.
 */
static void check_lies(uint32_t flags)
{
    QRtl *d = qrtl_start(NULL);
    uint8_t frame[2048];
    int lie;

    qrtl_cp_init(d, 64, 16, 1536, 0, 0);
    for (lie = 0; lie < LIE_COUNT; lie++) {
        size_t hlen, len = build_lie(frame, sizeof(frame), (Lie)lie, &hlen);
        uint64_t gpa = guest_frame_guarded(d, frame, len);
        unsigned idx = qrtl_cp_tx_push(d, gpa, (uint32_t)len,
                                       RTL_DESC_FS | RTL_DESC_LS | flags, 0);

        qrtl_cp_tx_poll(d);
        g_assert_true(qrtl_cp_tx_wait(d, idx, 3000, NULL));
        g_test_message("lie %d: %u frame(s)", lie,
                       check_wire_from_guest(d, frame, len, hlen));
    }
    check_alive_cplus(d);
    /*
     * A large send that cannot be parsed is an invalid command (logged);
     * plain checksum offload over odd headers may just go out as is.
     */
    if (flags & RTL_TXD_LGSEN) {
        g_assert_true(qrtl_logged_guest_error(d));
    }
    qrtl_stop(d);
}

static void test_largesend_lies(void)
{
    check_lies(RTL_TXD_LGSEN | 256u << RTL_TXD_MSS_SHIFT);
}

static void test_csum_lies(void)
{
    check_lies(RTL_TXD_IPCS | RTL_TXD_TCPCS);
}

static void test_udp_csum_lies(void)
{
    check_lies(RTL_TXD_IPCS | RTL_TXD_UDPCS);
}

/* LGSEN with MSS 0 (Invariant B: every loop must make progress). */
static void test_largesend_mss_zero(void)
{
    QRtl *d = qrtl_start(NULL);
    uint8_t frame[2048];
    QRtlFrameSpec spec;
    size_t len;
    uint64_t gpa;
    unsigned idx;

    qrtl_cp_init(d, 16, 16, 1536, 0, 0);
    qrtl_frame_spec_init(&spec);
    memcpy(spec.dst, other, 6);
    spec.l4 = QRTL_L4_TCP;
    spec.csum = QRTL_CSUM_PARTIAL;
    spec.payload_len = 1000;
    len = qrtl_build_frame(frame, sizeof(frame), &spec, NULL);
    gpa = guest_frame_guarded(d, frame, len);
    idx = qrtl_cp_tx_push(d, gpa, (uint32_t)len, RTL_DESC_FS | RTL_DESC_LS |
                          RTL_TXD_LGSEN, 0);
    qrtl_cp_tx_poll(d);
    g_assert_true(qrtl_cp_tx_wait(d, idx, 3000, NULL));
    check_wire_from_guest(d, frame, len, 54);
    check_alive_cplus(d);
    qrtl_stop(d);
}

/*
 * CVE-2016-8910: 64 descriptors, all owned by the NIC, no EOR. One TxPoll
 * must walk at most the 64-entry ring (the C+ ring holds 64 descriptors)
 * and never descriptors past it.
 */
static void test_ring_all_owned(void)
{
    QRtl *d = qrtl_start(NULL);
    uint8_t frame[64];
    GPtrArray *frames;
    uint64_t ring;
    unsigned i;

    qrtl_cp_init(d, 64, 16, 1536, 0, 0);
    /* 128 owned descriptors in memory: the ring and what follows it. */
    ring = qtest_guest_alloc(d->qts, 16 * 128, 256);
    for (i = 0; i < 128; i++) {
        uint64_t gpa;

        qrtl_simple_frame(frame, 64, other, (uint16_t)i);
        gpa = qrtl_copy_to_guest(d, frame, 64);
        qrtl_cp_desc_write(d, ring + 16 * i, RTL_DESC_OWN | RTL_DESC_FS |
                           RTL_DESC_LS | 64, 0, gpa);
    }
    qrtl_w32(d, RTL_TNPDS, (uint32_t)ring);
    qrtl_w32(d, RTL_TNPDS + 4, 0);
    qrtl_cp_tx_poll(d);
    frames = wire_drain(d, 500, 200);
    g_assert_cmpuint(frames->len, <=, 64);
    for (i = 0; i < frames->len; i++) {
        GByteArray *f = g_ptr_array_index(frames, i);

        g_assert_cmpuint(f->len, ==, 64);
        g_assert_cmpuint(qrtl_be16(f->data + 14), ==, i);
    }
    g_assert_cmpuint(frames->len, ==, 64);
    g_ptr_array_unref(frames);
    for (i = 64; i < 128; i++) {
        uint32_t o1;

        qrtl_cp_desc_read(d, ring + 16 * i, &o1, NULL, NULL);
        g_assert_cmphex(o1 & RTL_DESC_OWN, ==, RTL_DESC_OWN);
    }
    check_alive_cplus(d);
    qrtl_stop(d);
}

/*
 * Rings that can never complete a packet: 64 owned FS-only descriptors
 * (no LS ever), then 64 owned zero-length descriptors at address 0,
 * polled over and over. Every TxPoll returns, only guest bytes go out.
 */
static void test_ring_endless_packet(void)
{
    QRtl *d = qrtl_start(NULL);
    uint8_t frame[64];
    uint64_t ring;
    GPtrArray *frames;
    unsigned i, pass;

    qrtl_cp_init(d, 64, 16, 1536, 0, 0);
    ring = d->cp_tx_ring;
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < 64; i++) {
            uint64_t gpa = 0;
            uint32_t len = 0;

            if (pass == 0) {
                qrtl_simple_frame(frame, 64, other, (uint16_t)i);
                gpa = qrtl_copy_to_guest(d, frame, 64);
                len = 64;
            }
            qrtl_cp_desc_write(d, ring + 16 * i, RTL_DESC_OWN | RTL_DESC_FS |
                               (pass ? RTL_DESC_LS : 0) | len, 0, gpa);
        }
        for (i = 0; i < 256; i++) {
            qrtl_cp_tx_poll(d);
        }
        frames = wire_drain(d, 300, 100);
        for (i = 0; i < frames->len; i++) {
            GByteArray *f = g_ptr_array_index(frames, i);

            g_assert_cmpuint(f->len, <=, 64 * 64);
        }
        g_ptr_array_unref(frames);
        g_assert_cmphex(qrtl_r32(d, RTL_TNPDS), ==, (uint32_t)ring);
    }
    check_alive_cplus(d);
    qrtl_stop(d);
}

/*
 * C-mode RX ring with CAPR values no driver writes (odd, beyond the ring,
 * everything) and frames that cannot fit: the NIC must keep every write
 * inside the ring (plus the WRAP slack) and stay usable.
 */
static void check_capr_overrun(bool wrap)
{
    static const uint16_t caprs[] = { 0x1235, 0xffff, 0x7ff0, 0x2000, 0x0003 };
    QRtl *d = qrtl_start(QRTL_REV_C);
    g_autofree uint8_t *big = g_malloc(65000);
    uint8_t frame[1514];
    unsigned i, k;

    qrtl_c_init(d, 0, wrap, RTL_RCR_APM | RTL_RCR_AB);
    for (k = 0; k < G_N_ELEMENTS(caprs); k++) {
        qrtl_w16(d, RTL_CAPR, caprs[k]);
        for (i = 0; i < 3; i++) {
            qrtl_simple_frame(frame, sizeof(frame), d->mac,
                              (uint16_t)(k * 16 + i));
            qrtl_wire_send(d, frame, sizeof(frame));
        }
        qrtl_settle(d, 50);
        g_assert_true(qrtl_c_guard_ok(d));
    }
    /* Frames larger than the whole 8K ring. */
    qrtl_w16(d, RTL_CAPR, 0xfff0);
    qrtl_simple_frame(big, 9000, bcast, 0x900);
    qrtl_wire_send(d, big, 9000);
    qrtl_simple_frame(big, 65000, bcast, 0x901);
    qrtl_wire_send(d, big, 65000);
    qrtl_settle(d, 200);
    g_assert_true(qrtl_c_guard_ok(d));
    qrtl_reset(d);
    check_alive_c(d);
    qrtl_stop(d);
}

static void test_capr_overrun(void)
{
    check_capr_overrun(false);
}

static void test_capr_overrun_wrap(void)
{
    check_capr_overrun(true);
}

/* Big frames into every ring size: never past the ring and its slack. */
static void test_rx_jumbo(void)
{
    QRtl *d = qrtl_start(QRTL_REV_C);
    g_autofree uint8_t *big = g_malloc(65000);
    unsigned idx;

    for (idx = 0; idx < 4; idx++) {
        qrtl_c_init(d, idx, true, RTL_RCR_APM | RTL_RCR_AB |
                    RTL_RCR_AR | RTL_RCR_AER);
        qrtl_simple_frame(big, 4000, d->mac, 1);
        qrtl_wire_send(d, big, 4000);
        qrtl_simple_frame(big, 9018, d->mac, 2);
        qrtl_wire_send(d, big, 9018);
        qrtl_simple_frame(big, 65000, bcast, 3);
        qrtl_wire_send(d, big, 65000);
        qrtl_settle(d, 200);
        g_assert_true(qrtl_c_guard_ok(d));
    }
    check_alive_c(d);
    qrtl_stop(d);
}

/* RBSTART near the top of guest RAM: the ring runs off the end of RAM. */
static void test_rx_ring_past_ram(void)
{
    QRtl *d = qrtl_start(QRTL_REV_C);
    uint8_t frame[1514];
    unsigned i;

    qrtl_c_init(d, 3, false, RTL_RCR_APM);
    qrtl_w32(d, RTL_RBSTART, 128u * 1024 * 1024 - 4096);
    for (i = 0; i < 8; i++) {
        qrtl_simple_frame(frame, sizeof(frame), d->mac, (uint16_t)i);
        qrtl_wire_send(d, frame, sizeof(frame));
    }
    qrtl_settle(d, 200);
    qrtl_reset(d);
    check_alive_c(d);
    qrtl_stop(d);
}

/* Registers that a DMA landing on the BAR would change. */
typedef struct RegSnap {
    uint32_t v[12];
} RegSnap;

static const unsigned snap_offs[12] = {
    RTL_IDR0, RTL_IDR0 + 4, RTL_MAR0, RTL_MAR0 + 4, RTL_TSAD0 + 4,
    RTL_RBSTART, RTL_IMR, RTL_RCR, RTL_TIMERINT, RTL_CPCR, RTL_RDSAR,
    RTL_TCR,
};

static void reg_snap(QRtl *d, RegSnap *s)
{
    unsigned i;

    for (i = 0; i < G_N_ELEMENTS(snap_offs); i++) {
        s->v[i] = qpci_io_readl(d->pci, QRTL_BAR_MMIO, snap_offs[i]);
    }
}

static void reg_check(QRtl *d, const RegSnap *before)
{
    RegSnap after;
    unsigned i;

    reg_snap(d, &after);
    for (i = 0; i < G_N_ELEMENTS(snap_offs); i++) {
        if (i == 6) {
            /* IMR shares the dword with ISR, which may change. */
            after.v[i] &= 0xffff;
            g_assert_cmphex(after.v[i], ==, before->v[i] & 0xffff);
            continue;
        }
        if (after.v[i] != before->v[i]) {
            g_error("register 0x%02x changed: 0x%08x -> 0x%08x",
                    snap_offs[i], before->v[i], after.v[i]);
        }
    }
}

static uint64_t bar1(QRtl *d)
{
    return d->pci->bar_addr[QRTL_BAR_MMIO];
}

/*
 * Make the register file look like a live descriptor: IDR0-3 as opts1
 * (OWN | FS | LS | 64), MAR0-7 as a buffer address inside the BAR. A DMA
 * that reached MMIO would find work to do and write registers.
 */
static void bar_as_descriptor(QRtl *d)
{
    uint8_t mac[6] = { 0x40, 0x00, 0x00, 0xb0, 0x00, 0x00 };

    qrtl_set_mac(d, mac);
    memcpy(d->mac, mac, 6);
    qrtl_w32(d, RTL_MAR0, (uint32_t)bar1(d) + 0x40);
    qrtl_w32(d, RTL_MAR0 + 4, 0);
    qrtl_w16(d, RTL_IMR, 0x0005);
    qrtl_w32(d, RTL_TIMERINT, 0);
}

/* DTCCR dump address = the NIC's own MMIO BAR. */
static void test_dma_bar_tally(void)
{
    QRtl *d = qrtl_start(NULL);
    RegSnap s;

    qrtl_cp_init(d, 16, 16, 1536, 0, RTL_RCR_AAP);
    bar_as_descriptor(d);
    reg_snap(d, &s);
    qrtl_dump_tally(d, bar1(d));
    reg_check(d, &s);
    g_assert_true(qrtl_logged_guest_error(d));
    check_alive_cplus(d);
    qrtl_stop(d);
}

/* TNPDS = the BAR: nothing read from registers may be transmitted. */
static void test_dma_bar_tx_ring(void)
{
    QRtl *d = qrtl_start(NULL);
    RegSnap s;

    qrtl_cp_init(d, 16, 16, 1536, 0, RTL_RCR_AAP);
    bar_as_descriptor(d);
    qrtl_w32(d, RTL_TNPDS, (uint32_t)bar1(d));
    qrtl_w32(d, RTL_TNPDS + 4, 0);
    reg_snap(d, &s);
    qrtl_cp_tx_poll(d);
    g_assert_true(qrtl_wire_quiet(d, 300));
    reg_check(d, &s);
    g_assert_true(qrtl_logged_guest_error(d));
    check_alive_cplus(d);
    qrtl_stop(d);
}

/* RDSAR = the BAR, then a frame arrives. */
static void test_dma_bar_rx_ring(void)
{
    QRtl *d = qrtl_start(NULL);
    uint8_t frame[200];
    RegSnap s;

    qrtl_cp_init(d, 16, 16, 1536, 0, RTL_RCR_AAP);
    bar_as_descriptor(d);
    qrtl_w32(d, RTL_RDSAR, (uint32_t)bar1(d));
    qrtl_w32(d, RTL_RDSAR + 4, 0);
    reg_snap(d, &s);
    qrtl_simple_frame(frame, 200, bcast, 1);
    qrtl_wire_send(d, frame, 200);
    qrtl_settle(d, 300);
    reg_check(d, &s);
    g_assert_true(qrtl_logged_guest_error(d));
    check_alive_cplus(d);
    qrtl_stop(d);
}

/* C mode: RBSTART = the BAR, and TSAD0 = the BAR. */
static void test_dma_bar_c_mode(void)
{
    QRtl *d = qrtl_start(QRTL_REV_C);
    uint8_t frame[200];
    RegSnap s;

    qrtl_c_init(d, 0, false, RTL_RCR_AAP | RTL_RCR_AB);
    bar_as_descriptor(d);
    qrtl_w32(d, RTL_RBSTART, (uint32_t)bar1(d));
    reg_snap(d, &s);
    s.v[5] = (uint32_t)bar1(d);
    qrtl_simple_frame(frame, 200, bcast, 1);
    qrtl_wire_send(d, frame, 200);
    qrtl_settle(d, 300);
    reg_check(d, &s);

    /* Transmit from the BAR: no register contents on the wire. */
    qrtl_w32(d, RTL_TSAD0, (uint32_t)bar1(d));
    qrtl_w32(d, RTL_TSD0, 8u << RTL_TSD_ERTXTH_SHIFT | 64);
    g_assert_true(qrtl_wire_quiet(d, 300));
    reg_check(d, &s);

    /* Loopback transmit into a ring that is the BAR. */
    qrtl_w32(d, RTL_TSAD0 + 4, (uint32_t)qrtl_copy_to_guest(d, frame, 200));
    s.v[4] = qrtl_r32(d, RTL_TSAD0 + 4);
    qrtl_w32(d, RTL_TCR, qrtl_r32(d, RTL_TCR) | RTL_TCR_LBK);
    s.v[11] = qrtl_r32(d, RTL_TCR);
    qrtl_w32(d, RTL_TSD0 + 4, 8u << RTL_TSD_ERTXTH_SHIFT | 200);
    qrtl_settle(d, 300);
    reg_check(d, &s);
    g_assert_true(qrtl_logged_guest_error(d));
    qrtl_reset(d);
    check_alive_c(d);
    qrtl_stop(d);
}

/*
 * Every offset of both BARs with 1-, 2- and 4-byte (and 8-byte MMIO)
 * reads and writes, aligned or not, staying inside the 256 bytes. The
 * device survives and works after a reset.
 */
static void check_sweep(const char *extra)
{
    static const uint32_t patterns[] = { 0x00000000, 0xffffffff, 0x5aa5c33c };
    QRtl *d = qrtl_start(extra);
    unsigned bar, off, size, p;

    for (bar = 0; bar < 2; bar++) {
        for (off = 0; off < QRTL_REG_SIZE; off++) {
            qpci_io_readb(d->pci, (int)bar, off);
            if (off + 2 <= QRTL_REG_SIZE) {
                qpci_io_readw(d->pci, (int)bar, off);
            }
            if (off + 4 <= QRTL_REG_SIZE) {
                qpci_io_readl(d->pci, (int)bar, off);
            }
        }
    }
    for (off = 0; off + 8 <= QRTL_REG_SIZE; off++) {
        qtest_readq(d->qts, bar1(d) + off);
    }
    for (p = 0; p < G_N_ELEMENTS(patterns); p++) {
        uint32_t v = patterns[p];

        for (size = 1; size <= 4; size *= 2) {
            for (bar = 0; bar < 2; bar++) {
                for (off = 0; off + size <= QRTL_REG_SIZE; off++) {
                    if (size == 1) {
                        qpci_io_writeb(d->pci, (int)bar, off, (uint8_t)v);
                    } else if (size == 2) {
                        qpci_io_writew(d->pci, (int)bar, off, (uint16_t)v);
                    } else {
                        qpci_io_writel(d->pci, (int)bar, off, v);
                    }
                }
            }
        }
        for (off = 0; off + 8 <= QRTL_REG_SIZE; off++) {
            qtest_writeq(d->qts, bar1(d) + off, (uint64_t)v << 32 | v);
        }
        g_assert_true(qtest_alive(d->qts));
        /* Whatever the sweep made the NIC send. */
        g_ptr_array_unref(wire_drain(d, 100, 100000));
    }
    /* Config space is intact: the BARs still decode. */
    g_assert_cmphex(qpci_config_readw(d->pci, 0x00), ==, 0x10ec);
    qrtl_reset(d);
    g_ptr_array_unref(wire_drain(d, 100, 100000));
    if (extra) {
        check_alive_c(d);
    } else {
        check_alive_cplus(d);
    }
    qrtl_stop(d);
}

static void test_access_sweep(void)
{
    check_sweep(NULL);
}

static void test_access_sweep_c(void)
{
    check_sweep(QRTL_REV_C);
}

/*
 * rep outs/ins style: thousands of back-to-back accesses to one port
 * (CR, ISR, CAPR, 9346CR with random Microwire bits, TxPoll, TSD0).
 */
static void test_rep_pio(void)
{
    QRtl *d = qrtl_start(NULL);
    uint16_t io = (uint16_t)d->pci->bar_addr[QRTL_BAR_IO];
    uint8_t frame[64];
    GRand *rnd = g_rand_new_with_seed(8139);
    unsigned i;

    qrtl_c_init(d, 0, true, RTL_RCR_APM);
    for (i = 0; i < 4096; i++) {
        qtest_outb(d->qts, io + RTL_CR, RTL_CR_RE | RTL_CR_TE);
    }
    for (i = 0; i < 4096; i++) {
        qtest_inb(d->qts, io + RTL_ISR);
        qtest_inw(d->qts, io + RTL_ISR);
        qtest_inl(d->qts, io + RTL_TCTR);
    }
    for (i = 0; i < 4096; i++) {
        qtest_outw(d->qts, io + RTL_CAPR, (uint16_t)(i * 4 + 1));
    }
    for (i = 0; i < 4096; i++) {
        qtest_outb(d->qts, io + RTL_9346CR, RTL_9346_EEM_PROGRAM |
                   (uint8_t)(g_rand_int(rnd) & 0x0e));
        qtest_inb(d->qts, io + RTL_9346CR);
    }
    qtest_outb(d->qts, io + RTL_9346CR, 0);
    /* TSD0 over and over: each write may start a transmit of slot 0. */
    qrtl_simple_frame(frame, 64, other, 1);
    qtest_memwrite(d->qts, d->tx_buf[0], frame, 64);
    for (i = 0; i < 256; i++) {
        qtest_outl(d->qts, io + RTL_TSD0, 64);
        if (i % 32 == 31) {
            g_ptr_array_unref(wire_drain(d, 20, 1000));
        }
    }
    g_ptr_array_unref(wire_drain(d, 200, 1000));

    /* C+ TxPoll hammered with an empty ring. */
    qrtl_cp_init(d, 16, 16, 1536, 0, 0);
    for (i = 0; i < 4096; i++) {
        qtest_outb(d->qts, io + RTL_TPPOLL, RTL_TPPOLL_NPQ);
    }
    g_assert_true(qrtl_wire_quiet(d, 200));
    g_rand_free(rnd);

    /* The EEPROM still answers after the random bit-banging. */
    g_assert_cmphex(qrtl_eeprom_read(d, 0, 6), ==, 0x8129);
    check_alive_cplus(d);
    qrtl_stop(d);
}

/* TSD SIZE and C+ lengths at their field maximum. */
static void test_tx_oversize(void)
{
    QRtl *d = qrtl_start(NULL);
    uint8_t frame[64];
    GPtrArray *frames;
    uint64_t gpa;

    qrtl_c_init(d, 0, true, RTL_RCR_APM);
    gpa = qtest_guest_alloc(d->qts, 0x10000, 64);
    qtest_memset(d->qts, gpa, 0x42, 0x10000);
    qrtl_w32(d, RTL_TSAD0, (uint32_t)gpa);
    qrtl_w32(d, RTL_TSD0, RTL_TSD_SIZE_MASK);
    frames = wire_drain(d, 300, 10);
    g_assert_cmpuint(frames->len, <=, 1);
    if (frames->len) {
        GByteArray *f = g_ptr_array_index(frames, 0);

        g_assert_cmpuint(f->len, <=, RTL_TSD_SIZE_MASK);
    }
    g_ptr_array_unref(frames);

    qrtl_cp_init(d, 16, 16, 1536, 0, 0);
    qrtl_simple_frame(frame, 64, other, 5);
    qtest_memwrite(d->qts, gpa, frame, 64);
    qrtl_cp_tx_push(d, gpa, RTL_TXD_LEN_MASK, RTL_DESC_FS | RTL_DESC_LS, 0);
    qrtl_cp_tx_poll(d);
    frames = wire_drain(d, 300, 10);
    g_assert_cmpuint(frames->len, <=, 1);
    g_ptr_array_unref(frames);
    check_alive_cplus(d);
    qrtl_stop(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/rtl8139/hostile/largesend/lying-headers",
                    test_largesend_lies);
    g_test_add_func("/rtl8139/hostile/largesend/mss-zero",
                    test_largesend_mss_zero);
    g_test_add_func("/rtl8139/hostile/tcpcs/lying-headers", test_csum_lies);
    g_test_add_func("/rtl8139/hostile/udpcs/lying-headers",
                    test_udp_csum_lies);
    g_test_add_func("/rtl8139/hostile/cplus/ring-all-owned",
                    test_ring_all_owned);
    g_test_add_func("/rtl8139/hostile/cplus/ring-endless-packet",
                    test_ring_endless_packet);
    g_test_add_func("/rtl8139/hostile/c/capr-overrun", test_capr_overrun);
    g_test_add_func("/rtl8139/hostile/c/capr-overrun-wrap",
                    test_capr_overrun_wrap);
    g_test_add_func("/rtl8139/hostile/c/rx-jumbo", test_rx_jumbo);
    g_test_add_func("/rtl8139/hostile/c/rx-ring-past-ram",
                    test_rx_ring_past_ram);
    g_test_add_func("/rtl8139/hostile/dma-bar/tally", test_dma_bar_tally);
    g_test_add_func("/rtl8139/hostile/dma-bar/tx-ring", test_dma_bar_tx_ring);
    g_test_add_func("/rtl8139/hostile/dma-bar/rx-ring", test_dma_bar_rx_ring);
    g_test_add_func("/rtl8139/hostile/dma-bar/c-mode", test_dma_bar_c_mode);
    g_test_add_func("/rtl8139/hostile/access-sweep", test_access_sweep);
    g_test_add_func("/rtl8139/hostile/access-sweep-c", test_access_sweep_c);
    g_test_add_func("/rtl8139/hostile/rep-pio", test_rep_pio);
    g_test_add_func("/rtl8139/hostile/tx-oversize", test_tx_oversize);

    return g_test_run();
}
