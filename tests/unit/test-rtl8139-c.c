/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rtl8139 in process (see rtl8139-test.h): C mode (RTL8139C and the C+
 * chip before CPCMD) RX ring buffer and TX slots, as Linux 8139too drives
 * them.
 */
#include "rtl8139-test.h"

/* ---- C mode RX ---- */

static void test_c_rx_basic(Fixture *f, gconstpointer data)
{
    static const size_t sizes[] = {60, 64, 1514, 42, 100, 1000};
    g_autoptr(GByteArray) got = g_byte_array_new();
    uint8_t frame[1600];
    uint16_t status;

    c_hw_start(f, 2, true);
    for (unsigned i = 0; i < G_N_ELEMENTS(sizes); i++) {
        size_t len = build_frame(frame, guest_mac, sizes[i], i);

        g_assert_true(rx_frame(f, frame, len));
        g_assert_false(R8(RTL_CR) & RTL_CR_BUFE);
        g_assert_true(R16(RTL_ISR) & RTL_INT_ROK);
        g_assert_true(f->level);
        g_assert_true(c_rx(f, 32768, got, &status));
        g_assert_cmphex(status, ==, RTL_RXH_ROK | RTL_RXH_PAM);
        c_check(got, frame, len);
        g_assert_cmphex(R16(RTL_CBR), ==, f->c_rx % 32768);
        g_assert_true(R8(RTL_CR) & RTL_CR_BUFE);
        g_assert_false(f->level);
    }
    /* Several queued, read in order; broadcast status. */
    for (unsigned i = 0; i < 5; i++) {
        g_assert_true(rx_frame(f, frame, build_frame(frame, bcast, 300, i)));
    }
    for (unsigned i = 0; i < 5; i++) {
        g_assert_true(c_rx(f, 32768, got, &status));
        g_assert_cmphex(status, ==, RTL_RXH_ROK | RTL_RXH_BAR);
        g_assert_cmphex(be32(got->data + 14), ==, i);
    }
    g_assert_false(c_rx(f, 32768, got, &status));
}

/* WRAP clear: a packet crossing the end continues at the ring start. */
static void test_c_rx_wrap(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) got = g_byte_array_new();
    uint8_t frame[1600];
    uint16_t status;
    bool crossed = false;

    c_hw_start(f, 0, false);
    for (unsigned i = 0; i < 20; i++) {
        size_t len = build_frame(frame, guest_mac, 1000 + i, i);
        uint32_t before = f->c_rx % 8192;

        g_assert_true(rx_frame(f, frame, len));
        g_assert_true(c_rx(f, 8192, got, &status));
        c_check(got, frame, len);
        crossed |= before + 4 + len + 4 > 8192;
    }
    g_assert_true(crossed);
    /* Nothing was written past the ring (the 16-byte pad aside). */
    for (unsigned i = 8192 + 16; i < 8192 + 2048; i++) {
        g_assert_cmphex(f->ram[C_RX_RING + i], ==, 0);
    }
}

/* WRAP set: the packet runs on past the end; the next one wraps. */
static void test_c_rx_nowrap(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) got = g_byte_array_new();
    uint8_t frame[1600];
    uint16_t status;
    bool crossed = false;

    c_hw_start(f, 0, true);
    for (unsigned i = 0; i < 20; i++) {
        size_t len = build_frame(frame, guest_mac, 1000 + i, i);
        uint32_t before = f->c_rx % 8192;

        g_assert_true(rx_frame(f, frame, len));
        if (before + 4 + len + 4 > 8192) {
            crossed = true;
            /* The tail sits right after the ring, contiguous. */
            g_assert_cmpmem(f->ram + C_RX_RING + before + 4, len, frame, len);
        }
        g_assert_true(c_rx(f, 8192, got, &status));
        c_check(got, frame, len);
    }
    g_assert_true(crossed);

    /* With 64 KiB, WRAP is ignored: data wraps around. */
    c_hw_start(f, 3, true);
    memset(f->ram + C_RX_RING + 65536, 0, 4096);
    for (unsigned i = 0; i < 70; i++) {
        size_t len = build_frame(frame, guest_mac, 1000, i);

        g_assert_true(rx_frame(f, frame, len));
        g_assert_true(c_rx(f, 65536, got, &status));
        c_check(got, frame, len);
    }
    for (unsigned i = 16; i < 4096; i++) {
        g_assert_cmphex(f->ram[C_RX_RING + 65536 + i], ==, 0);
    }
}

/*
 * A driver (or a guest polling the ring) takes a packet as there once its
 * header is: the header is stored once, after every byte of the frame
 * and FCS, also when the packet wraps around the ring's end (WRAP clear,
 * or 64 KiB) and when WRAP lets it run on past the end.
 */
static void test_c_rx_header_last(Fixture *f, gconstpointer data)
{
    static const unsigned rblen[] = {0, 0, 3};
    g_autoptr(GByteArray) got = g_byte_array_new();
    uint8_t frame[1600];
    uint16_t status;

    for (unsigned r = 0; r < G_N_ELEMENTS(rblen); r++) {
        uint32_t ring = 8192u << rblen[r];
        bool wrap = r == 1;
        unsigned split = 0;

        c_hw_start(f, rblen[r], wrap);
        for (unsigned i = 0; i < ring / 1000 + 3; i++) {
            size_t len = build_frame(frame, guest_mac, 1000 + 7 * i, i);
            uint32_t off = f->c_rx % ring;
            hwaddr hdr = C_RX_RING + off;
            bool cross = off + 4 + len + 4 > ring;
            int idx;

            g_array_set_size(f->rec.ops, 0);
            f->rec.on = true;
            g_assert_true(rx_frame(f, frame, len));
            f->rec.on = false;
            idx = dma_last(&f->rec, true, hdr, 4);
            g_assert_cmpint(idx, ==, (int)f->rec.ops->len - 1);
            g_assert_cmpuint(g_array_index(f->rec.ops, DmaOp, idx).gpa, ==,
                             hdr);
            g_assert_cmpuint(g_array_index(f->rec.ops, DmaOp, idx).len, ==,
                             4);
            for (int k = 0; k < idx; k++) {
                g_assert_false(dma_overlaps(
                    &g_array_index(f->rec.ops, DmaOp, k), hdr, 4));
            }
            split += cross && !wrap;
            g_assert_true(c_rx(f, ring, got, &status));
            c_check(got, frame, len);
        }
        /* The wrapping layouts did cut a packet at the ring's end. */
        g_assert_true(wrap || split > 0);
    }
}

static void test_c_rx_filter(Fixture *f, gconstpointer data)
{
    static const uint8_t mc[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
    static const uint8_t other[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    g_autoptr(GByteArray) got = g_byte_array_new();
    uint8_t frame[128];
    unsigned bin = t_mc_bin(mc);
    uint16_t status;

    c_hw_start(f, 2, true);
    g_assert_true(rx_frame(f, frame, build_frame(frame, other, 64, 0)));
    g_assert_true(rx_frame(f, frame, build_frame(frame, mc, 64, 0)));
    g_assert_true(R8(RTL_CR) & RTL_CR_BUFE);
    g_assert_cmphex(R16(RTL_ISR), ==, 0);

    /* AM with the hash bin clear, then set (8139too __set_rx_mode). */
    W32(RTL_RCR, R32(RTL_RCR) | RTL_RCR_AM);
    W32(RTL_MAR0, ~(bin < 32 ? 1u << bin : 0));
    W32(RTL_MAR0 + 4, ~(bin >= 32 ? 1u << (bin - 32) : 0));
    g_assert_true(rx_frame(f, frame, build_frame(frame, mc, 64, 1)));
    g_assert_true(R8(RTL_CR) & RTL_CR_BUFE);
    W8(RTL_MAR0 + bin / 8, 1u << (bin % 8));
    g_assert_true(rx_frame(f, frame, build_frame(frame, mc, 64, 2)));
    g_assert_true(c_rx(f, 32768, got, &status));
    g_assert_cmphex(status, ==, RTL_RXH_ROK | RTL_RXH_MAR);
    g_assert_cmphex(be32(got->data + 14), ==, 2);

    /* AB off drops broadcast; AAP takes anything. */
    W32(RTL_RCR, R32(RTL_RCR) & ~RTL_RCR_AB);
    g_assert_true(rx_frame(f, frame, build_frame(frame, bcast, 64, 3)));
    g_assert_true(R8(RTL_CR) & RTL_CR_BUFE);
    W32(RTL_RCR, R32(RTL_RCR) | RTL_RCR_AAP);
    g_assert_true(rx_frame(f, frame, build_frame(frame, other, 64, 4)));
    g_assert_true(c_rx(f, 32768, got, &status));
    g_assert_cmphex(status, ==, RTL_RXH_ROK);
    g_assert_cmphex(be32(got->data + 14), ==, 4);
    /* A filter change at run time keeps the ring position. */
    g_assert_cmphex(R16(RTL_CBR), ==, f->c_rx);
}

/* A full ring is back-pressure: refused, RXOVW, retried after CAPR. */
static void test_c_rx_overflow(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) got = g_byte_array_new();
    uint8_t frame[1600];
    uint16_t status;
    unsigned n = 0, next = 0;

    c_hw_start(f, 0, true);
    while (rx_frame(f, frame, build_frame(frame, guest_mac, 1514, n))) {
        n++;
        g_assert_cmpuint(n, <, 100);
    }
    /* 5 x 1524 bytes fit in 8 KiB; the 6th is held by the backend. */
    g_assert_cmpuint(n, ==, 5);
    g_assert_false(f->net.rx_enabled);
    g_assert_true(R16(RTL_ISR) & RTL_INT_RXOVW);
    g_assert_cmpuint(R32(RTL_MPC), ==, 0);

    /* Reading one packet (CAPR) lets the held frame in. */
    g_assert_true(c_rx(f, 8192, got, &status));
    g_assert_cmphex(be32(got->data + 14), ==, next++);
    g_assert_true(f->net.rx_enabled);
    n++;
    while (c_rx(f, 8192, got, &status)) {
        g_assert_cmphex(status, ==, RTL_RXH_ROK | RTL_RXH_PAM);
        g_assert_cmphex(be32(got->data + 14), ==, next++);
    }
    g_assert_cmpuint(next, ==, n);
    g_assert_cmpuint(f->net.be.stats.rx_drops, ==, 0);
    g_assert_cmpuint(R32(RTL_MPC), ==, 0);
}

/*
 * 8139too's NAPI poll reads the ring only while ISR has ROK/RXOVW/FOVW
 * and acknowledges them after each packet. With the ring full, every
 * packet read lets exactly one held frame in; once the driver's budget
 * ends its loop after an acknowledgement, a pending receive bit must
 * still say frames are waiting (real silicon raises RXOVW per refused
 * frame), or it never polls again: the transfer stalls (seen on Xen).
 */
static void test_c_rx_overflow_napi(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) got = g_byte_array_new();
    uint8_t frame[1600];
    uint16_t status;
    unsigned off = 0, next = 0;

    c_hw_start(f, 0, true);
    /* Frames 0-4 fill 8 KiB; frame 5 is held by the backend. */
    while (rx_frame(f, frame, build_frame(frame, guest_mac, 1514, off++))) {
        g_assert_cmpuint(off, <, 100);
    }
    for (unsigned round = 0; round < 12; round++) {
        /* Read one packet (CAPR): the held frame goes in. */
        g_assert_true(c_rx(f, 8192, got, &status));
        g_assert_cmphex(be32(got->data + 14), ==, next++);
        g_assert_true(f->net.rx_enabled);
        /* The next frame finds the ring full again and is held. */
        g_assert_false(
            rx_frame(f, frame, build_frame(frame, guest_mac, 1514, off++)));
        /* rtl8139_isr_ack; then the budget ends the driver's loop. */
        W16(RTL_ISR, RTL_INT_ROK | RTL_INT_RXOVW | RTL_INT_FOVW);
        g_assert_true(R16(RTL_ISR) & RTL_INT_RXOVW);
        g_assert_false(R8(RTL_CR) & RTL_CR_BUFE);
    }
    /* The driver drains the ring; nothing was lost or reordered. */
    W16(RTL_ISR, 0xffff);
    while (c_rx(f, 8192, got, &status)) {
        g_assert_cmphex(be32(got->data + 14), ==, next++);
    }
    g_assert_cmpuint(next, ==, off);
    g_assert_cmpuint(f->net.be.stats.rx_drops, ==, 0);
    g_assert_cmpuint(R32(RTL_MPC), ==, 0);
}

/* One dword always stays free: a ring filled to the byte would read as
 * empty (CBR == CAPR + 16). */
static void test_c_rx_exact_fill(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) got = g_byte_array_new();
    uint8_t frame[1600];
    uint16_t status;
    unsigned n = 0;

    c_hw_start(f, 0, true);
    /* 4 + 1016 + 4 = 1024 bytes each: eight would fill 8 KiB exactly. */
    while (rx_frame(f, frame, build_frame(frame, guest_mac, 1016, n))) {
        n++;
        g_assert_cmpuint(n, <, 10);
    }
    g_assert_cmpuint(n, ==, 7);
    g_assert_false(R8(RTL_CR) & RTL_CR_BUFE);
    for (unsigned i = 0; i < 8; i++) {
        g_assert_true(c_rx(f, 8192, got, &status));
        g_assert_cmphex(be32(got->data + 14), ==, i);
    }
    g_assert_false(c_rx(f, 8192, got, &status));
}

/* 8139too rtl8139_rx_err: RE off and on restarts the ring at 0. */
static void test_c_rx_restart(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) got = g_byte_array_new();
    uint8_t frame[1600];
    uint16_t status;
    uint8_t cr;

    c_hw_start(f, 2, true);
    for (unsigned i = 0; i < 3; i++) {
        g_assert_true(
            rx_frame(f, frame, build_frame(frame, guest_mac, 500, i)));
    }
    g_assert_true(c_rx(f, 32768, got, &status));
    cr = R8(RTL_CR);
    W8(RTL_CR, cr & ~RTL_CR_RE);
    W8(RTL_CR, cr);
    W32(RTL_RCR, R32(RTL_RCR));
    f->c_rx = 0;
    g_assert_cmphex(R16(RTL_CBR), ==, 0);
    g_assert_cmphex(R16(RTL_CAPR), ==, 0xfff0);
    g_assert_true(R8(RTL_CR) & RTL_CR_BUFE);
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 500, 9)));
    g_assert_true(c_rx(f, 32768, got, &status));
    g_assert_cmphex(be32(got->data + 14), ==, 9);
    c_check(got, frame, 500);
}

static void test_c_rx_sizes(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) got = g_byte_array_new();
    uint8_t frame[2048];
    uint16_t status;

    c_hw_start(f, 2, true);
    /* A short frame is padded with zeros to 60 bytes. */
    memset(f->ram + C_RX_RING, 0xee, 128);
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 42, 1)));
    g_assert_true(c_rx(f, 32768, got, &status));
    c_check(got, frame, 42);
    /* The largest frame the C mode ring takes, then one byte more. */
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 1536, 2)));
    g_assert_true(c_rx(f, 32768, got, &status));
    c_check(got, frame, 1536);
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 1537, 3)));
    g_assert_true(R8(RTL_CR) & RTL_CR_BUFE);
    g_assert_cmpuint(R32(RTL_MPC), ==, 1);
    W32(RTL_MPC, 0x1234);
    g_assert_cmpuint(R32(RTL_MPC), ==, 0);
}

static void test_c_rx_disabled(Fixture *f, gconstpointer data)
{
    uint8_t frame[128];

    c_hw_start(f, 2, true);
    W8(RTL_CR, RTL_CR_TE);
    memset(f->ram + C_RX_RING, 0x5a, 256);
    g_assert_true(rx_frame(f, frame, build_frame(frame, guest_mac, 64, 1)));
    g_assert_true(f->net.rx_enabled);
    for (unsigned i = 0; i < 256; i++) {
        g_assert_cmphex(f->ram[C_RX_RING + i], ==, 0x5a);
    }
    g_assert_cmphex(R16(RTL_ISR), ==, 0);
}

/*
 * Hostile CAPR values and ring sizes: whatever the guest writes, the NIC
 * writes only inside the ring plus the WRAP slack the data sheet asks the
 * driver to reserve.
 */
static void test_c_rx_hostile_capr(Fixture *f, gconstpointer data)
{
    GRand *rand = g_rand_new_with_seed(5165);
    const unsigned guard = 4096;
    uint8_t frame[1700];

    for (unsigned rblen = 0; rblen < 4; rblen++) {
        uint32_t size = 8192u << rblen;
        uint32_t end = size + (size < 65536 ? 16 + 2048 : 16);

        memset(f->ram + C_RX_RING - guard, 0xa5, size + 2 * guard + 2048);
        memset(f->ram + C_RX_RING, 0, end);
        for (int wrap = 0; wrap < 2; wrap++) {
            c_hw_start(f, rblen, wrap);
            for (unsigned i = 0; i < 2000; i++) {
                size_t len = 14 + g_rand_int_range(rand, 0, 1600);

                if (g_rand_boolean(rand)) {
                    W16(RTL_CAPR, g_rand_int_range(rand, 0, 65536));
                }
                rx_frame(f, frame, build_frame(frame, guest_mac, len, i));
                g_assert_cmpuint(R16(RTL_CBR), <, size);
                g_assert_cmpuint(R16(RTL_CBR) % 4, ==, 0);
            }
        }
        for (unsigned i = 0; i < guard; i++) {
            g_assert_cmphex(f->ram[C_RX_RING - guard + i], ==, 0xa5);
        }
        for (unsigned i = end; i < size + guard; i++) {
            g_assert_cmphex(f->ram[C_RX_RING + i], ==, 0xa5);
        }
        W8(RTL_CR, 0);
    }
    g_rand_free(rand);
}

/* ---- C mode TX ---- */

static void test_c_tx_slots(Fixture *f, gconstpointer data)
{
    uint8_t frame[1600];

    c_hw_start(f, 2, true);
    for (unsigned i = 0; i < 10; i++) {
        size_t len = build_frame(frame, peer_mac, 60 + i * 150, i);
        unsigned slot = i % 4;
        uint32_t tsd;

        c_tx(f, frame, len);
        g_assert_cmpuint(f->net.sent->len, ==, i + 1);
        g_assert_cmpmem(sent(f, i)->data, sent(f, i)->len, frame, len);
        tsd = R32(RTL_TSD0 + 4 * slot);
        g_assert_cmphex(tsd, ==, RTL_TSD_OWN | RTL_TSD_TOK | 0x80000 | len);
        g_assert_cmphex(R16(RTL_TSAD) & (0x1001u << slot), ==, 0x1001u << slot);
        g_assert_true(R16(RTL_ISR) & RTL_INT_TOK);
        W16(RTL_ISR, RTL_INT_TOK);
    }
    g_assert_false(f->level);
}

/* NET_SEND_BUSY leaves the slot with the NIC; tx_ready sends in order. */
static void test_c_tx_busy(Fixture *f, gconstpointer data)
{
    uint8_t frame[128];

    c_hw_start(f, 2, true);
    f->net.ok_budget = 1;
    for (unsigned i = 0; i < 3; i++) {
        c_tx(f, frame, build_frame(frame, peer_mac, 100, i));
    }
    g_assert_cmpuint(f->net.sent->len, ==, 1);
    g_assert_cmphex(R32(RTL_TSD0 + 4), ==, 0x80000 | 100);
    g_assert_cmphex(R32(RTL_TSD0 + 8), ==, 0x80000 | 100);
    f->net.ok_budget = -1;
    net_backend_tx_ready(&f->net.be);
    g_assert_cmpuint(f->net.sent->len, ==, 3);
    for (unsigned i = 0; i < 3; i++) {
        g_assert_cmphex(be32(sent(f, i)->data + 14), ==, i);
        g_assert_cmphex(R32(RTL_TSD0 + 4 * i) & RTL_TSD_TOK, ==, RTL_TSD_TOK);
    }
}

/* TSD takes double-word writes only (data sheet 6.2). */
static void test_c_tx_partial_write(Fixture *f, gconstpointer data)
{
    uint64_t errs = log_guest_error_count(LOG_RTL8139);

    c_hw_start(f, 2, true);
    W16(RTL_TSD0, 100);
    W8(RTL_TSD0 + 3, 0);
    g_assert_cmphex(R32(RTL_TSD0), ==, RTL_TSD_OWN);
    g_assert_cmpuint(f->net.sent->len, ==, 0);
    g_assert_cmpuint(log_guest_error_count(LOG_RTL8139), >, errs);
}

/*
 * A C+ chip in C mode: touching C+ registers does not switch TSD0 to
 * DTCCR; enabling C+ transmit or receive does (QEMU 7.2 switches at any
 * CpCmd write and then TX through the TSD slots stops).
 */
static void test_c_tx_after_cpcmd(Fixture *f, gconstpointer data)
{
    uint8_t frame[128];

    c_hw_start(f, 2, true);
    W16(RTL_CPCMD, RTL_CPCMD_RXCHKSUM | RTL_CPCMD_RXVLAN);
    W16(RTL_CPCMD, 0);
    W16(RTL_INTRMITIGATE, 0);
    c_tx(f, frame, build_frame(frame, peer_mac, 100, 1));
    g_assert_cmpuint(f->net.sent->len, ==, 1);
    g_assert_cmphex(R32(RTL_TSD0), ==,
                    RTL_TSD_OWN | RTL_TSD_TOK | 0x80000 | 100);
    W16(RTL_CPCMD, RTL_CPCMD_CPTX);
    g_assert_cmphex(R32(RTL_DTCCR), ==, 0);
    W16(RTL_CPCMD, 0);
    g_assert_cmphex(R32(RTL_DTCCR), ==, 0);
    /* Until a reset brings C mode back. */
    W8(RTL_CR, RTL_CR_RST);
    g_assert_cmphex(R32(RTL_TSD0), ==, RTL_TSD_OWN);
}

/* TCR loopback: the frame comes back through RX, deferred (not nested). */
static void test_c_tx_loopback(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) got = g_byte_array_new();
    uint8_t frame[256];
    uint16_t status;
    size_t len = build_frame(frame, guest_mac, 200, 7);

    c_hw_start(f, 2, true);
    W32(RTL_TCR, R32(RTL_TCR) | RTL_TCR_LBK_LOOPBACK);
    c_tx(f, frame, len);
    g_assert_cmpuint(f->net.sent->len, ==, 0);
    g_assert_true(R16(RTL_ISR) & RTL_INT_TOK);
    g_assert_false(c_rx(f, 32768, got, &status));
    clock_step(f->clock, 0);
    g_assert_true(c_rx(f, 32768, got, &status));
    c_check(got, frame, len);
}

static void test_c_tx_dma_error(Fixture *f, gconstpointer data)
{
    uint8_t frame[128];

    c_hw_start(f, 2, true);
    W32(RTL_TSAD0, MMIO_BASE);
    c_tx(f, frame, build_frame(frame, peer_mac, 100, 1));
    g_assert_cmpuint(f->net.sent->len, ==, 0);
    g_assert_cmphex(R32(RTL_TSD0) & (RTL_TSD_OWN | RTL_TSD_TABT), ==,
                    RTL_TSD_OWN | RTL_TSD_TABT);
    g_assert_cmphex(R16(RTL_ISR) & (RTL_INT_SERR | RTL_INT_TER), ==,
                    RTL_INT_SERR | RTL_INT_TER);
    g_assert_cmphex(cfg_r(f, 0x06, 2) & 0x2000, ==, 0x2000);
    /* The next slot works. */
    c_tx(f, frame, build_frame(frame, peer_mac, 100, 2));
    g_assert_cmpuint(f->net.sent->len, ==, 1);
}

int main(int argc, char **argv)
{
    static const char c[] = "c";

    g_test_init(&argc, &argv, NULL);
    add("/rtl8139/c/rx/basic", c, test_c_rx_basic);
    add("/rtl8139/c/rx/wrap", c, test_c_rx_wrap);
    add("/rtl8139/c/rx/nowrap", c, test_c_rx_nowrap);
    add("/rtl8139/c/rx/header-last", c, test_c_rx_header_last);
    add("/rtl8139/c/rx/filter", c, test_c_rx_filter);
    add("/rtl8139/c/rx/overflow", c, test_c_rx_overflow);
    add("/rtl8139/c/rx/overflow-napi", c, test_c_rx_overflow_napi);
    add("/rtl8139/c/rx/exact-fill", c, test_c_rx_exact_fill);
    add("/rtl8139/c/rx/restart", c, test_c_rx_restart);
    add("/rtl8139/c/rx/sizes", c, test_c_rx_sizes);
    add("/rtl8139/c/rx/disabled", c, test_c_rx_disabled);
    add("/rtl8139/c/rx/hostile-capr", c, test_c_rx_hostile_capr);
    add("/rtl8139/c/tx/slots", c, test_c_tx_slots);
    add("/rtl8139/c/tx/busy", c, test_c_tx_busy);
    add("/rtl8139/c/tx/partial-write", c, test_c_tx_partial_write);
    add("/rtl8139/c/tx/after-cpcmd", NULL, test_c_tx_after_cpcmd);
    add("/rtl8139/c/tx/loopback", c, test_c_tx_loopback);
    add("/rtl8139/c/tx/dma-error", c, test_c_tx_dma_error);
    return g_test_run();
}
