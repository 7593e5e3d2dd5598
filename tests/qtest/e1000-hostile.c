/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The harness of the e1000 hostile-guest qtests (e1000-hostile.h): a
 * guest driver written from the SDM, a canary-filled guest memory arena
 * with its shadow, and the wire side of the socketpair backend.
 */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "e1000-hostile.h"

const uint8_t h_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* ---- registers ---- */

uint32_t h_r(Hostile *h, uint32_t reg)
{
    return qtest_readl(h->qts, h->bar0 + reg);
}

void h_w(Hostile *h, uint32_t reg, uint32_t val)
{
    qtest_writel(h->qts, h->bar0 + reg, val);
}

static bool h_guest_error(Hostile *h)
{
    char *err = qtest_stderr(h->qts);
    bool found = strstr(err, "e1000: guest error") != NULL;

    g_free(err);
    return found;
}

void h_expect_guest_error(Hostile *h)
{
    for (int i = 0; i < 300 && !h_guest_error(h); i++) {
        g_usleep(10 * 1000);
    }
    if (!h_guest_error(h)) {
        char *err = qtest_stderr(h->qts);

        g_test_message("emunet stderr:\n%s", err);
        g_free(err);
    }
    g_assert_true(h_guest_error(h));
}

uint16_t h_eerd(Hostile *h, unsigned addr)
{
    uint32_t v = 0;

    h_w(h, E1000_EERD, E1000_EERD_START | (addr & 0xff) << 8);
    for (int i = 0; i < 100; i++) {
        v = h_r(h, E1000_EERD);
        if (v & E1000_EERD_DONE) {
            break;
        }
        qtest_clock_step(h->qts, 10 * 1000);
    }
    g_assert_cmphex(v & E1000_EERD_DONE, ==, E1000_EERD_DONE);
    return (uint16_t)(v >> 16);
}

uint32_t h_mdic(Hostile *h, uint32_t op, unsigned phy, unsigned reg,
                uint16_t data)
{
    uint32_t v = 0;

    h_w(h, E1000_MDIC, op | (phy & 31) << 21 | (reg & 31) << 16 | data);
    for (int i = 0; i < 100; i++) {
        v = h_r(h, E1000_MDIC);
        if (v & E1000_MDIC_READY) {
            break;
        }
        qtest_clock_step(h->qts, 10 * 1000);
    }
    g_assert_cmphex(v & E1000_MDIC_READY, ==, E1000_MDIC_READY);
    return v;
}

/*
 * PHY back to defaults through BMCR.RESET (IEEE 802.3 22.2.4.1.1), as a
 * driver does after it may have programmed the PHY (loopback, power-down).
 * Whether CTRL.RST resets the PHY as well is not for these tests to
 * decide.
 */
static void h_phy_reset(Hostile *h)
{
    h_mdic(h, E1000_MDIC_OP_WRITE, E1000_PHY_ADDR, MII_BMCR,
           0x8000 | BMCR_ANENABLE | BMCR_FULLDPLX | BMCR_SPEED1000);
}

void h_reset(Hostile *h)
{
    int i;

    h_w(h, E1000_IMC, 0xffffffff);
    h_w(h, E1000_RCTL, 0);
    h_w(h, E1000_TCTL, 0);
    h_w(h, E1000_CTRL, E1000_CTRL_RST);
    for (i = 0; i < 100 && (h_r(h, E1000_CTRL) & E1000_CTRL_RST); i++) {
        qtest_clock_step(h->qts, 1000 * 1000);
    }
    g_assert_cmphex(h_r(h, E1000_CTRL) & E1000_CTRL_RST, ==, 0);
    if (h->phy_reset) {
        h_phy_reset(h);
    }
    h_w(h, E1000_CTRL, E1000_CTRL_SLU | E1000_CTRL_ASDE);
    for (i = 0; i < 500 && !(h_r(h, E1000_STATUS) & E1000_STATUS_LU); i++) {
        qtest_clock_step(h->qts, 10 * 1000 * 1000);
    }
    g_assert_cmphex(h_r(h, E1000_STATUS) & E1000_STATUS_LU, ==,
                    E1000_STATUS_LU);
    h_w(h, E1000_IMC, 0xffffffff);
    h_r(h, E1000_ICR);
    for (uint32_t off = E1000_STATS_FIRST; off <= E1000_STATS_LAST;
         off += 4) {
        h_r(h, off);
    }
}

/* ---- guest memory arena ---- */

uint64_t h_alloc(Hostile *h, size_t size, size_t align)
{
    size_t off = (h->arena_used + align - 1) & ~(align - 1);

    g_assert_cmpuint(off + size, <=, H_ARENA_SIZE);
    h->arena_used = off + size;
    return h->arena + off;
}

void h_put(Hostile *h, uint64_t addr, const void *data, size_t len)
{
    g_assert_cmpuint(addr, >=, h->arena);
    g_assert_cmpuint(addr + len, <=, h->arena + H_ARENA_SIZE);
    qtest_memwrite(h->qts, addr, data, len);
    memcpy(h->shadow + (addr - h->arena), data, len);
}

void h_allow(Hostile *h, uint64_t addr, size_t len)
{
    memset(h->may_change + (addr - h->arena), 1, len);
}

uint64_t h_put_buf(Hostile *h, const void *data, size_t len)
{
    uint64_t addr = h_alloc(h, len ? len : 1, 16);

    h_put(h, addr, data, len);
    return addr;
}

void h_check_arena(Hostile *h)
{
    uint8_t *now = g_malloc(H_ARENA_SIZE);

    qtest_memread(h->qts, h->arena, now, H_ARENA_SIZE);
    for (size_t i = 0; i < H_ARENA_SIZE; i++) {
        if (!h->may_change[i] && now[i] != h->shadow[i]) {
            g_test_message("guest byte at 0x%" PRIx64 " changed",
                           h->arena + i);
            g_assert_cmphex(now[i], ==, h->shadow[i]);
        }
    }
    /* A buffer of the current RX ring without DD was not written. */
    for (unsigned i = 0; i < h->rx_n; i++) {
        size_t d = h->rx_ring - h->arena + 16 * i;
        size_t b = h->rx_buf - h->arena + i * h->rx_stride;

        if (!(now[d + 12] & RXD_DD)) {
            g_assert_cmpmem(now + b, h->rx_buf_size, h->shadow + b,
                            h->rx_buf_size);
        }
    }
    g_free(now);
}

/* ---- frames ---- */

void h_pattern(uint8_t *p, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++) {
        p[i] = (uint8_t)(1 + (seed * 37 + i) % 251);
    }
}

void h_frame(uint8_t *p, size_t len, unsigned seed)
{
    static const uint8_t dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

    g_assert_cmpuint(len, >=, 14);
    h_pattern(p, len, seed);
    memcpy(p, dst, 6);
    memcpy(p + 6, h_mac, 6);
    p[12] = 0x88;
    p[13] = 0xb5;
}

bool h_frame_eq(const uint8_t *f, size_t flen, const uint8_t *g,
                size_t glen)
{
    if (flen == glen) {
        return memcmp(f, g, glen) == 0;
    }
    if (glen >= ETH_ZLEN || flen != ETH_ZLEN || memcmp(f, g, glen)) {
        return false;
    }
    for (size_t i = glen; i < flen; i++) {
        if (f[i]) {
            return false;
        }
    }
    return true;
}

static void h_bytes_free(gpointer p)
{
    g_byte_array_unref(p);
}

GPtrArray *h_frames_new(void)
{
    return g_ptr_array_new_with_free_func(h_bytes_free);
}

void h_check_frames_among(GPtrArray *frames, uint8_t **guest,
                          unsigned n, size_t len)
{
    for (guint i = 0; i < frames->len; i++) {
        GByteArray *f = g_ptr_array_index(frames, i);
        bool found = false;

        for (unsigned j = 0; j < n && !found; j++) {
            found = h_frame_eq(f->data, f->len, guest[j], len);
        }
        if (!found) {
            g_test_message("frame %u (%u bytes) is not guest data", i,
                           f->len);
        }
        g_assert_true(found);
    }
}

/* ---- TX ---- */

void h_txd_legacy(uint8_t *d, uint64_t addr, uint16_t len,
                  uint8_t cmd, uint8_t cso, uint8_t css,
                  uint16_t special)
{
    memset(d, 0, 16);
    for (int i = 0; i < 8; i++) {
        d[i] = (uint8_t)(addr >> (8 * i));
    }
    d[8] = (uint8_t)len;
    d[9] = (uint8_t)(len >> 8);
    d[10] = cso;
    d[11] = cmd;
    d[13] = css;
    d[14] = (uint8_t)special;
    d[15] = (uint8_t)(special >> 8);
}

void h_txd_ctx(uint8_t *d, uint8_t ipcss, uint8_t ipcso,
               uint16_t ipcse, uint8_t tucss, uint8_t tucso,
               uint16_t tucse, uint32_t paylen, uint8_t tucmd,
               uint8_t hdrlen, uint16_t mss)
{
    uint32_t dw2 = (paylen & 0xfffff) | DTYP_CTX << 20 |
                   (uint32_t)(tucmd | TXD_DEXT) << 24;

    memset(d, 0, 16);
    d[0] = ipcss;
    d[1] = ipcso;
    d[2] = (uint8_t)ipcse;
    d[3] = (uint8_t)(ipcse >> 8);
    d[4] = tucss;
    d[5] = tucso;
    d[6] = (uint8_t)tucse;
    d[7] = (uint8_t)(tucse >> 8);
    for (int i = 0; i < 4; i++) {
        d[8 + i] = (uint8_t)(dw2 >> (8 * i));
    }
    d[13] = hdrlen;
    d[14] = (uint8_t)mss;
    d[15] = (uint8_t)(mss >> 8);
}

void h_txd_data(uint8_t *d, uint64_t addr, uint32_t len,
                uint8_t dcmd, uint8_t popts, uint16_t special)
{
    uint32_t dw2 = (len & 0xfffff) | DTYP_DATA << 20 |
                   (uint32_t)(dcmd | TXD_DEXT) << 24;

    memset(d, 0, 16);
    for (int i = 0; i < 8; i++) {
        d[i] = (uint8_t)(addr >> (8 * i));
    }
    for (int i = 0; i < 4; i++) {
        d[8 + i] = (uint8_t)(dw2 >> (8 * i));
    }
    d[13] = popts;
    d[14] = (uint8_t)special;
    d[15] = (uint8_t)(special >> 8);
}

void h_tx_init(Hostile *h, unsigned n)
{
    uint8_t *zero = g_malloc0(n * 16);

    h->tx_n = n;
    h->tx_tail = 0;
    h->tx_ring = h_alloc(h, n * 16, 128);
    h_put(h, h->tx_ring, zero, n * 16);
    g_free(zero);
    /* The device writes back only the status byte (SDM 3.3.3.2). */
    for (unsigned i = 0; i < n; i++) {
        h_allow(h, h->tx_ring + 16 * i + 12, 1);
    }
    h_w(h, E1000_TCTL, 0);
    h_w(h, E1000_TDBAL, (uint32_t)h->tx_ring);
    h_w(h, E1000_TDBAH, (uint32_t)(h->tx_ring >> 32));
    h_w(h, E1000_TDLEN, n * 16);
    h_w(h, E1000_TDH, 0);
    h_w(h, E1000_TDT, 0);
    h_w(h, E1000_TIPG, 10 | 8 << 10 | 6 << 20);
    h_w(h, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP | E1000_TCTL_CT |
        E1000_TCTL_COLD);
}

void h_tx_put(Hostile *h, unsigned idx, const uint8_t *d)
{
    h_put(h, h->tx_ring + 16 * (idx % h->tx_n), d, 16);
}

unsigned h_tx_push(Hostile *h, const uint8_t *d)
{
    unsigned idx = h->tx_tail;

    h_tx_put(h, idx, d);
    h->tx_tail = (idx + 1) % h->tx_n;
    return idx;
}

void h_tx_kick(Hostile *h)
{
    h_w(h, E1000_TDT, h->tx_tail);
}

uint8_t h_tx_sta(Hostile *h, unsigned idx)
{
    uint8_t sta;

    qtest_memread(h->qts, h->tx_ring + 16 * idx + 12, &sta, 1);
    return sta;
}

unsigned h_tx_done(Hostile *h)
{
    unsigned n = 0;

    for (unsigned i = 0; i < h->tx_n; i++) {
        n += (h_tx_sta(h, i) & TXD_STA_DD) != 0;
    }
    return n;
}

unsigned h_tx_frame(Hostile *h, const uint8_t *frame, size_t len)
{
    uint8_t d[16];
    unsigned idx;

    h_txd_legacy(d, h_put_buf(h, frame, len), (uint16_t)len,
                 TXD_EOP | TXD_IFCS | TXD_RS, 0, 0, 0);
    idx = h_tx_push(h, d);
    h_tx_kick(h);
    return idx;
}

void h_sentinel(Hostile *h, uint8_t *p)
{
    memset(p, 0, H_SENTINEL_LEN);
    memcpy(p, h_mac, 6);
    p[6] = 0x02;
    p[11] = 0x53;
    p[12] = 0x88;
    p[13] = 0xb6;
    g_snprintf((char *)p + 14, H_SENTINEL_LEN - 14, "emunet sentinel %u",
               h->sentinel_seq++);
}

/*
 * Frames on the wire before `sentinel`, which must arrive. The stream
 * keeps order, so anything the trigger sent is in front of it.
 */
static GPtrArray *h_wire_until(Hostile *h, const uint8_t *sentinel,
                               size_t len)
{
    GPtrArray *frames = h_frames_new();
    uint8_t *buf = g_malloc(H_WIRE_CAP);

    for (;;) {
        ssize_t n = qtest_wire_recv(h->wire, buf, H_WIRE_CAP,
                                    H_WIRE_WAIT_MS);

        if (n < 0) {
            g_test_message("sentinel frame did not reach the wire");
        }
        g_assert_cmpint(n, >=, 0);
        g_assert_cmpint(n, <=, H_WIRE_CAP);
        if ((size_t)n == len && memcmp(buf, sentinel, len) == 0) {
            break;
        }
        g_assert_cmpuint(frames->len, <, H_MAX_FRAMES);
        g_ptr_array_add(frames, g_byte_array_append(g_byte_array_new(), buf,
                                                    (guint)n));
    }
    g_free(buf);
    return frames;
}

GPtrArray *h_sane(Hostile *h)
{
    uint8_t s[H_SENTINEL_LEN];
    GPtrArray *frames;
    unsigned idx;

    g_assert_true(qtest_alive(h->qts));
    h_reset(h);
    g_assert_cmphex(h_eerd(h, 0), ==, 0x5452);
    g_assert_cmphex(h_eerd(h, 1), ==, 0x1200);
    g_assert_cmphex(h_eerd(h, 2), ==, 0x5634);
    h_tx_init(h, 8);
    h_sentinel(h, s);
    idx = h_tx_frame(h, s, sizeof(s));
    frames = h_wire_until(h, s, sizeof(s));
    g_assert_cmphex(h_tx_sta(h, idx) & TXD_STA_DD, ==, TXD_STA_DD);
    g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
    return frames;
}

void h_sane_nothing_sent(Hostile *h)
{
    GPtrArray *frames = h_sane(h);

    for (guint i = 0; i < frames->len; i++) {
        GByteArray *f = g_ptr_array_index(frames, i);
        GString *hex = g_string_new(NULL);

        for (guint j = 0; j < MIN(f->len, 32u); j++) {
            g_string_append_printf(hex, "%02x", f->data[j]);
        }
        g_test_message("unexpected frame %u: %u bytes: %s...", i, f->len,
                       hex->str);
        g_string_free(hex, TRUE);
    }
    g_assert_cmpuint(frames->len, ==, 0);
    g_ptr_array_unref(frames);
}

/* ---- RX ---- */

void h_rx_init(Hostile *h, unsigned n, size_t buf_size,
               uint32_t rctl)
{
    uint8_t *ring = g_malloc0(n * 16);

    h->rx_n = n;
    h->rx_next = 0;
    h->rx_buf_size = buf_size;
    h->rx_stride = buf_size + 256;
    h->rx_ring = h_alloc(h, n * 16, 128);
    h->rx_buf = h_alloc(h, n * h->rx_stride, 256);
    for (unsigned i = 0; i < n; i++) {
        uint64_t a = h->rx_buf + i * h->rx_stride;

        for (int b = 0; b < 8; b++) {
            ring[16 * i + b] = (uint8_t)(a >> (8 * b));
        }
        h_allow(h, a, buf_size);
        /* Length, checksum, status, errors, special (SDM 3.2.3). */
        h_allow(h, h->rx_ring + 16 * i + 8, 8);
    }
    h_put(h, h->rx_ring, ring, n * 16);
    g_free(ring);
    h_w(h, E1000_RCTL, 0);
    h_w(h, E1000_RDBAL, (uint32_t)h->rx_ring);
    h_w(h, E1000_RDBAH, (uint32_t)(h->rx_ring >> 32));
    h_w(h, E1000_RDLEN, n * 16);
    h_w(h, E1000_RDH, 0);
    h_w(h, E1000_RDT, n - 1);
    h_w(h, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_UPE | E1000_RCTL_MPE |
        E1000_RCTL_BAM | E1000_RCTL_SECRC | rctl);
}

/*
 * RX descriptor idx, if the device wrote it back (DD), with its buffer
 * read into buf: the written length (*len) is at most the buffer size,
 * and the buffer's bytes after it are untouched. Returns the status
 * byte, 0 if DD is clear.
 */
static uint8_t h_rx_read(Hostile *h, unsigned idx, uint8_t *buf,
                         size_t *len)
{
    uint64_t a = h->rx_buf + idx * h->rx_stride;
    uint8_t d[16];

    qtest_memread(h->qts, h->rx_ring + 16 * idx, d, 16);
    if (!(d[12] & RXD_DD)) {
        return 0;
    }
    *len = d[8] | (size_t)d[9] << 8;
    g_assert_cmpuint(*len, <=, h->rx_buf_size);
    qtest_memread(h->qts, a, buf, h->rx_buf_size);
    g_assert_cmpmem(buf + *len, h->rx_buf_size - *len,
                    h->shadow + (a - h->arena) + *len,
                    h->rx_buf_size - *len);
    return d[12];
}

/*
 * Take the frames the device completed from rx_next on (DD set), joining
 * descriptors up to EOP.
 */
static void h_rx_take(Hostile *h, GPtrArray *frames)
{
    uint8_t *buf = g_malloc(h->rx_buf_size);
    GByteArray *cur = NULL;

    for (unsigned k = 0; k < h->rx_n; k++) {
        size_t len;
        uint8_t sta = h_rx_read(h, h->rx_next, buf, &len);

        if (!sta) {
            break;
        }
        if (!cur) {
            cur = g_byte_array_new();
        }
        g_byte_array_append(cur, buf, (guint)len);
        h->rx_next = (h->rx_next + 1) % h->rx_n;
        if (sta & RXD_EOP) {
            g_ptr_array_add(frames, cur);
            cur = NULL;
        }
    }
    /* The device completes a frame in one go: no DD without its EOP. */
    g_assert_null(cur);
    g_free(buf);
}

void h_rx_scan(Hostile *h, GPtrArray *frames)
{
    uint8_t *buf = g_malloc(h->rx_buf_size);

    for (unsigned idx = 0; idx < h->rx_n; idx++) {
        size_t len;

        if (h_rx_read(h, idx, buf, &len)) {
            g_ptr_array_add(frames, g_byte_array_append(g_byte_array_new(),
                                                        buf, (guint)len));
        }
    }
    g_free(buf);
}

GPtrArray *h_rx_until(Hostile *h, const uint8_t *sentinel,
                      size_t len)
{
    GPtrArray *frames = h_frames_new();
    gint64 deadline = g_get_monotonic_time() + H_WIRE_WAIT_MS * 1000LL;

    qtest_wire_send(h->wire, sentinel, len);
    for (;;) {
        GByteArray *last;

        h_rx_take(h, frames);
        last = frames->len ? g_ptr_array_index(frames, frames->len - 1)
                           : NULL;
        if (last && h_frame_eq(last->data, last->len, sentinel, len)) {
            g_ptr_array_remove_index(frames, frames->len - 1);
            return frames;
        }
        if (g_get_monotonic_time() > deadline) {
            g_test_message("sentinel frame was not received");
            g_assert_not_reached();
        }
        g_usleep(1000);
    }
}

GPtrArray *h_sane_rx(Hostile *h)
{
    uint8_t s[H_SENTINEL_LEN];

    g_assert_true(qtest_alive(h->qts));
    h_reset(h);
    h_rx_init(h, 16, 2048, 0);
    h_sentinel(h, s);
    return h_rx_until(h, s, sizeof(s));
}

GPtrArray *h_rx_settle(Hostile *h)
{
    GPtrArray *rx = h_frames_new();
    int quiet = 0;

    for (int i = 0; i < 1000 && quiet < 3; i++) {
        guint seen = rx->len;

        qtest_clock_step(h->qts, 1000 * 1000);
        g_usleep(20 * 1000);
        h_rx_take(h, rx);
        quiet = rx->len == seen ? quiet + 1 : 0;
    }
    g_assert_cmpint(quiet, ==, 3);
    return rx;
}

/* ---- lifecycle ---- */

Hostile *h_start(void)
{
    Hostile *h = g_new0(Hostile, 1);
    uint64_t size;
    int sv[2];

    qtest_socketpair(sv);
    h->qts = qtest_initf("-netdev socket,id=n0,fd=%d -device e1000,"
                         "netdev=n0,mac=52:54:00:12:34:56,addr=04.0", sv[1]);
    h->wire = sv[0];
    h->dev = qpci_device_find(h->qts, H_DEVFN);
    g_assert_nonnull(h->dev);
    h->bar0 = qpci_iomap(h->dev, 0, &size);
    g_assert_cmpuint(size, ==, H_BAR0_SIZE);
    h->iobase = qpci_iomap(h->dev, 1, NULL);
    g_assert_true(h->dev->bar_is_io[1]);
    qpci_device_enable(h->dev, H_IRQ);
    qtest_irq_intercept_in(h->qts, "ioapic");

    h->arena = qtest_guest_alloc(h->qts, H_ARENA_SIZE, 4096);
    h->shadow = g_malloc(H_ARENA_SIZE);
    h->may_change = g_malloc0(H_ARENA_SIZE);
    memset(h->shadow, H_CANARY, H_ARENA_SIZE);
    qtest_memset(h->qts, h->arena, H_CANARY, H_ARENA_SIZE);
    h_reset(h);
    return h;
}

void h_stop(Hostile *h)
{
    char *err;

    g_assert_true(qtest_alive(h->qts));
    /*
     * UBSan reports and continues: a sanitizer line in emunet's stderr
     * is a failure. (ASan aborts, LSan fails the exit status.)
     */
    err = qtest_stderr(h->qts);
    if (strstr(err, "runtime error") || strstr(err, "Sanitizer")) {
        g_test_message("emunet stderr:\n%s", err);
    }
    g_assert_null(strstr(err, "runtime error"));
    g_assert_null(strstr(err, "Sanitizer"));
    g_free(err);
    qtest_quit(h->qts);
    close(h->wire);
    qpci_device_free(h->dev);
    g_free(h->shadow);
    g_free(h->may_change);
    g_free(h);
}

/* ---- used by several classes ---- */

void h_bufs_free(uint8_t **bufs)
{
    for (uint8_t **p = bufs; *p; p++) {
        g_free(*p);
    }
    g_free(bufs);
}

uint8_t **h_tx_fill(Hostile *h, unsigned n, size_t len)
{
    uint8_t **frames = g_new0(uint8_t *, n + 1);
    uint8_t d[16];

    for (unsigned i = 0; i < n; i++) {
        frames[i] = g_malloc(len);
        h_frame(frames[i], len, 100 + i);
        h_txd_legacy(d, h_put_buf(h, frames[i], len), (uint16_t)len,
                     TXD_EOP | TXD_IFCS | TXD_RS, 0, 0, 0);
        h_tx_put(h, i, d);
    }
    return frames;
}

/* ---- headers ---- */

void h_tcp_header(uint8_t *p)
{
    static const uint8_t hdr[H_HDRLEN] = {
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x52, 0x54, 0x00, 0x12, 0x34,
        0x56, 0x08, 0x00,
        0x45, 0x00, 0x00, 0x00, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00,
        0x00, 10, 0, 2, 15, 10, 0, 2, 2,
        0x30, 0x39, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00,
        0x00, 0x50, 0x18, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
    };

    memcpy(p, hdr, sizeof(hdr));
}
