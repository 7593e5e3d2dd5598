/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hostile-guest (security regression) qtests for emunet's e1000
 * (Intel 82540EM). One test per bug class of
 * shared/reference/security-invariants.md that applies to e1000: the test
 * performs the trigger, then checks that emunet
 *  - stays alive and responsive: EERD still returns the MAC and, after
 *    CTRL.RST, a normal frame still reaches the wire;
 *  - bounds its work: a doorbell handles at most one ring's worth of
 *    descriptors (counted as write-backs and frames on the wire, never
 *    timed);
 *  - never emits a byte the guest did not supply: wire frames and RX
 *    buffers are compared byte for byte with the guest's data, and guest
 *    memory is pre-filled with a canary that must survive everywhere
 *    outside posted buffers and descriptor status fields;
 *  - logs a rate-limited guest error ("e1000: guest error").
 * Register offsets and descriptor layouts are written here from the 8254x
 * Family Software Developer's Manual (SDM), on purpose independent of
 * libqos/e1000.
 */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "libqtest.h"
#include "libqos/pci.h"

/* Registers (SDM 13.3, Table 13-2). */
#define E1000_CTRL 0x00000
#define E1000_STATUS 0x00008
#define E1000_EERD 0x00014
#define E1000_MDIC 0x00020
#define E1000_VET 0x00038
#define E1000_ICR 0x000c0
#define E1000_ITR 0x000c4
#define E1000_IMS 0x000d0
#define E1000_IMC 0x000d8
#define E1000_RCTL 0x00100
#define E1000_TCTL 0x00400
#define E1000_TIPG 0x00410
#define E1000_RDBAL 0x02800
#define E1000_RDBAH 0x02804
#define E1000_RDLEN 0x02808
#define E1000_RDH 0x02810
#define E1000_RDT 0x02818
#define E1000_RDTR 0x02820
#define E1000_RADV 0x0282c
#define E1000_TDBAL 0x03800
#define E1000_TDBAH 0x03804
#define E1000_TDLEN 0x03808
#define E1000_TDH 0x03810
#define E1000_TDT 0x03818
#define E1000_TIDV 0x03820
#define E1000_TADV 0x0382c
#define E1000_MPC 0x04010
#define E1000_RNBC 0x040a0
#define E1000_ROC 0x040ac
#define E1000_MTA 0x05200
#define E1000_RAL0 0x05400
#define E1000_STATS_FIRST 0x04000
#define E1000_STATS_LAST 0x040fc

/* I/O BAR window (SDM 13.2.2). */
#define E1000_IOADDR 0x0
#define E1000_IODATA 0x4

#define E1000_CTRL_ASDE (1u << 5)
#define E1000_CTRL_SLU (1u << 6)
#define E1000_CTRL_RST (1u << 26)
#define E1000_CTRL_VME (1u << 30)
#define E1000_STATUS_LU (1u << 1)

#define E1000_EERD_START (1u << 0)
#define E1000_EERD_DONE (1u << 4)

#define E1000_MDIC_OP_WRITE (1u << 26)
#define E1000_MDIC_OP_READ (2u << 26)
#define E1000_MDIC_READY (1u << 28)
#define E1000_PHY_ADDR 1
#define MII_BMCR 0
#define BMCR_LOOPBACK (1u << 14)
#define BMCR_ANENABLE (1u << 12)
#define BMCR_FULLDPLX (1u << 8)
#define BMCR_SPEED1000 (1u << 6)

#define E1000_RCTL_EN (1u << 1)
#define E1000_RCTL_SBP (1u << 2)
#define E1000_RCTL_UPE (1u << 3)
#define E1000_RCTL_MPE (1u << 4)
#define E1000_RCTL_LPE (1u << 5)
/* LBM field, bits 7:6: 01b MAC loopback, 11b transceiver loopback. */
#define E1000_RCTL_LBM_MAC (1u << 6)
#define E1000_RCTL_LBM_TCVR (3u << 6)
#define E1000_RCTL_BAM (1u << 15)
#define E1000_RCTL_BSIZE_256 (3u << 16)
#define E1000_RCTL_BSIZE_16K ((1u << 16) | (1u << 25))
#define E1000_RCTL_SECRC (1u << 26)

#define E1000_TCTL_EN (1u << 1)
#define E1000_TCTL_PSP (1u << 3)
#define E1000_TCTL_CT (0x10u << 4)
#define E1000_TCTL_COLD (0x40u << 12)

/* TX descriptor commands (SDM 3.3.3, 3.3.6, 3.3.7). */
#define TXD_EOP 0x01
#define TXD_IFCS 0x02
#define TXD_IC 0x04
#define TXD_TSE 0x04
#define TXD_RS 0x08
#define TXD_DEXT 0x20
#define TXD_VLE 0x40
#define TXD_IDE 0x80
/* Context TUCMD (SDM 3.3.6). */
#define TUCMD_TCP 0x01
#define TUCMD_IP 0x02
/* DTYP in bits 23:20 of the second dword. */
#define DTYP_CTX 0x0
#define DTYP_DATA 0x1
/* Data descriptor POPTS (SDM 3.3.7.1). */
#define POPTS_IXSM 0x01
#define POPTS_TXSM 0x02
#define TXD_STA_DD 0x01

/* RX descriptor status (SDM 3.2.3.1). */
#define RXD_DD 0x01
#define RXD_EOP 0x02

#define H_DEVFN (4 << 3)
#define H_IRQ 11
#define H_BAR0_SIZE (128u * 1024)
/* Guest memory the tests use, pre-filled with the canary. */
#define H_ARENA_SIZE (4u << 20)
#define H_CANARY 0xa5
/* Real-time bounds for asynchronous events (backend in emunet's loop). */
#define H_WIRE_WAIT_MS 5000
#define H_SETTLE_MS 200
/* A wire frame is at most 64 KiB plus headers (net.h NET_MAX_FRAME). */
#define H_WIRE_CAP (70 * 1024)
/* More frames than this before a sentinel means unbounded work. */
#define H_MAX_FRAMES 4096
#define H_SENTINEL_LEN 64
#define ETH_ZLEN 60

static const uint8_t h_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

typedef struct Hostile {
    QTestState *qts;
    QPCIDevice *dev;
    int wire;
    uint64_t bar0;
    uint64_t iobase;
    /* Guest arena, what it must hold, and the bytes the device may set. */
    uint64_t arena;
    size_t arena_used;
    uint8_t *shadow;
    uint8_t *may_change;
    /* TX ring. */
    uint64_t tx_ring;
    unsigned tx_n;
    unsigned tx_tail;
    /* RX ring: buffers rx_stride apart with canary between them. */
    uint64_t rx_ring;
    unsigned rx_n;
    unsigned rx_next;
    uint64_t rx_buf;
    size_t rx_buf_size;
    size_t rx_stride;
    unsigned sentinel_seq;
    /* The trigger programs the PHY: reset it in h_reset as well. */
    bool phy_reset;
} Hostile;

/* ---- registers ---- */

static uint32_t h_r(Hostile *h, uint32_t reg)
{
    return qtest_readl(h->qts, h->bar0 + reg);
}

static void h_w(Hostile *h, uint32_t reg, uint32_t val)
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

/* Wait (bounded, real time) for the guest error the trigger must log. */
static void h_expect_guest_error(Hostile *h)
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

/* EEPROM word through EERD (SDM 13.4.4, 82540EM layout). */
static uint16_t h_eerd(Hostile *h, unsigned addr)
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

/* One MDIC operation (SDM 13.4.7); returns the final MDIC value. */
static uint32_t h_mdic(Hostile *h, uint32_t op, unsigned phy, unsigned reg,
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

/* CTRL.RST, link up, interrupts masked, statistics cleared. */
static void h_reset(Hostile *h)
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

static uint64_t h_alloc(Hostile *h, size_t size, size_t align)
{
    size_t off = (h->arena_used + align - 1) & ~(align - 1);

    g_assert_cmpuint(off + size, <=, H_ARENA_SIZE);
    h->arena_used = off + size;
    return h->arena + off;
}

/* Guest writes data at addr (inside the arena): the arena must hold it. */
static void h_put(Hostile *h, uint64_t addr, const void *data, size_t len)
{
    g_assert_cmpuint(addr, >=, h->arena);
    g_assert_cmpuint(addr + len, <=, h->arena + H_ARENA_SIZE);
    qtest_memwrite(h->qts, addr, data, len);
    memcpy(h->shadow + (addr - h->arena), data, len);
}

/* The device may write these arena bytes (checked elsewhere). */
static void h_allow(Hostile *h, uint64_t addr, size_t len)
{
    memset(h->may_change + (addr - h->arena), 1, len);
}

static uint64_t h_put_buf(Hostile *h, const void *data, size_t len)
{
    uint64_t addr = h_alloc(h, len ? len : 1, 16);

    h_put(h, addr, data, len);
    return addr;
}

/*
 * Invariant E/9: nothing outside posted buffers and descriptor status
 * fields changed in guest memory.
 */
static void h_check_arena(Hostile *h)
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

/* Guest payload bytes: never zero, so zero padding is unambiguous. */
static void h_pattern(uint8_t *p, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++) {
        p[i] = (uint8_t)(1 + (seed * 37 + i) % 251);
    }
}

/* An Ethernet frame (ethertype 0x88b5) with a seeded payload. */
static void h_frame(uint8_t *p, size_t len, unsigned seed)
{
    static const uint8_t dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

    g_assert_cmpuint(len, >=, 14);
    h_pattern(p, len, seed);
    memcpy(p, dst, 6);
    memcpy(p + 6, h_mac, 6);
    p[12] = 0x88;
    p[13] = 0xb5;
}

/*
 * A wire/RX frame equals the guest's frame: byte for byte, or a short
 * one zero-padded to the 60-byte minimum (TCTL.PSP, SDM 13.4.33).
 */
static bool h_frame_eq(const uint8_t *f, size_t flen, const uint8_t *g,
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

static GPtrArray *h_frames_new(void)
{
    return g_ptr_array_new_with_free_func(h_bytes_free);
}

/* Every frame equals one of the n guest frames (each len bytes). */
static void h_check_frames_among(GPtrArray *frames, uint8_t **guest,
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

static void h_txd_legacy(uint8_t *d, uint64_t addr, uint16_t len,
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

/* TCP/IP context descriptor (SDM 3.3.6). tucmd without DEXT. */
static void h_txd_ctx(uint8_t *d, uint8_t ipcss, uint8_t ipcso,
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

/* TCP/IP data descriptor (SDM 3.3.7). dcmd without DEXT. */
static void h_txd_data(uint8_t *d, uint64_t addr, uint32_t len,
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

/* A TX ring of n descriptors in the arena, TDH = TDT = 0, TX enabled. */
static void h_tx_init(Hostile *h, unsigned n)
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

static void h_tx_put(Hostile *h, unsigned idx, const uint8_t *d)
{
    h_put(h, h->tx_ring + 16 * (idx % h->tx_n), d, 16);
}

static unsigned h_tx_push(Hostile *h, const uint8_t *d)
{
    unsigned idx = h->tx_tail;

    h_tx_put(h, idx, d);
    h->tx_tail = (idx + 1) % h->tx_n;
    return idx;
}

static void h_tx_kick(Hostile *h)
{
    h_w(h, E1000_TDT, h->tx_tail);
}

static uint8_t h_tx_sta(Hostile *h, unsigned idx)
{
    uint8_t sta;

    qtest_memread(h->qts, h->tx_ring + 16 * idx + 12, &sta, 1);
    return sta;
}

/* Descriptors of the TX ring with DD written back. */
static unsigned h_tx_done(Hostile *h)
{
    unsigned n = 0;

    for (unsigned i = 0; i < h->tx_n; i++) {
        n += (h_tx_sta(h, i) & TXD_STA_DD) != 0;
    }
    return n;
}

/* Queue a legacy frame (EOP|IFCS|RS) and ring the doorbell. */
static unsigned h_tx_frame(Hostile *h, const uint8_t *frame, size_t len)
{
    uint8_t d[16];
    unsigned idx;

    h_txd_legacy(d, h_put_buf(h, frame, len), (uint16_t)len,
                 TXD_EOP | TXD_IFCS | TXD_RS, 0, 0, 0);
    idx = h_tx_push(h, d);
    h_tx_kick(h);
    return idx;
}

/* A sentinel frame, unique per call, that nothing else resembles. */
static void h_sentinel(Hostile *h, uint8_t *p)
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

/*
 * Responsive after the trigger: EERD returns the MAC (SDM 5.6.1 words
 * 0-2), CTRL.RST works and a normal frame then reaches the wire with DD
 * written back. Returns the frames the wire carried before it.
 */
static GPtrArray *h_sane(Hostile *h)
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

/* h_sane when the trigger must not have put anything on the wire. */
static void h_sane_nothing_sent(Hostile *h)
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

/*
 * An RX ring of n descriptors with buf_size-byte buffers 256 canary
 * bytes apart, RDH = 0, RDT = n - 1, promiscuous, CRC stripped.
 */
static void h_rx_init(Hostile *h, unsigned n, size_t buf_size,
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

static void h_rx_desc(Hostile *h, unsigned idx, uint8_t *d)
{
    qtest_memread(h->qts, h->rx_ring + 16 * idx, d, 16);
}

/*
 * Take the frames the device completed from rx_next on (DD set), joining
 * descriptors up to EOP. Each buffer holds at most its size, and its
 * bytes after the written length are untouched.
 */
static void h_rx_take(Hostile *h, GPtrArray *frames)
{
    uint8_t *buf = g_malloc(h->rx_buf_size);
    GByteArray *cur = NULL;

    for (unsigned k = 0; k < h->rx_n; k++) {
        unsigned idx = h->rx_next;
        uint64_t a = h->rx_buf + idx * h->rx_stride;
        uint8_t d[16];
        size_t len;

        h_rx_desc(h, idx, d);
        if (!(d[12] & RXD_DD)) {
            break;
        }
        len = d[8] | (size_t)d[9] << 8;
        g_assert_cmpuint(len, <=, h->rx_buf_size);
        qtest_memread(h->qts, a, buf, h->rx_buf_size);
        g_assert_cmpmem(buf + len, h->rx_buf_size - len,
                        h->shadow + (a - h->arena) + len,
                        h->rx_buf_size - len);
        if (!cur) {
            cur = g_byte_array_new();
        }
        g_byte_array_append(cur, buf, (guint)len);
        h->rx_next = (idx + 1) % h->rx_n;
        if (d[12] & RXD_EOP) {
            g_ptr_array_add(frames, cur);
            cur = NULL;
        }
    }
    /* The device completes a frame in one go: no DD without its EOP. */
    g_assert_null(cur);
    g_free(buf);
}

/*
 * Every descriptor with DD, wherever the device put it, as a one-buffer
 * frame; bytes after the written length must be untouched.
 */
static void h_rx_scan(Hostile *h, GPtrArray *frames)
{
    uint8_t *buf = g_malloc(h->rx_buf_size);

    for (unsigned idx = 0; idx < h->rx_n; idx++) {
        uint64_t a = h->rx_buf + idx * h->rx_stride;
        uint8_t d[16];
        size_t len;

        h_rx_desc(h, idx, d);
        if (!(d[12] & RXD_DD)) {
            continue;
        }
        len = d[8] | (size_t)d[9] << 8;
        g_assert_cmpuint(len, <=, h->rx_buf_size);
        qtest_memread(h->qts, a, buf, h->rx_buf_size);
        g_assert_cmpmem(buf + len, h->rx_buf_size - len,
                        h->shadow + (a - h->arena) + len,
                        h->rx_buf_size - len);
        g_ptr_array_add(frames, g_byte_array_append(g_byte_array_new(), buf,
                                                    (guint)len));
    }
    g_free(buf);
}

/* Frames received before `sentinel`, sent from the wire after them. */
static GPtrArray *h_rx_until(Hostile *h, const uint8_t *sentinel,
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

/*
 * Responsive RX after the trigger: CTRL.RST, a fresh ring, and a frame
 * from the wire lands byte for byte. Returns frames received before it.
 */
static GPtrArray *h_sane_rx(Hostile *h)
{
    uint8_t s[H_SENTINEL_LEN];

    g_assert_true(qtest_alive(h->qts));
    h_reset(h);
    h_rx_init(h, 16, 2048, 0);
    h_sentinel(h, s);
    return h_rx_until(h, s, sizeof(s));
}

/*
 * The frames a loopback trigger left in the RX ring once it is quiet.
 * Loopback delivery may be deferred to a timer (invariant 9), so virtual
 * time moves too; quiet means three rounds without a new frame.
 */
static GPtrArray *h_rx_settle(Hostile *h)
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

static Hostile *h_start(void)
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

static void h_stop(Hostile *h)
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

/* ---- class A: ring walks ---- */

/* Free a NULL-terminated array of guest frames (h_tx_fill). */
static void h_bufs_free(uint8_t **bufs)
{
    for (uint8_t **p = bufs; *p; p++) {
        g_free(*p);
    }
    g_free(bufs);
}

/* n valid legacy frames of len bytes in descriptors 0..n-1. */
static uint8_t **h_tx_fill(Hostile *h, unsigned n, size_t len)
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

/*
 * Invariants 1/G: TDLEN = 0, or shorter than one descriptor, means no
 * work whatever TDT says (no walk, no division by a zero ring size).
 */
static void test_ring_tdlen_zero(void)
{
    static const uint32_t tdts[] = { 1, 7, 8, 0xffff, 0xffffffff };
    static const uint32_t tdlens[] = { 0, 8, 15 };
    Hostile *h = h_start();

    for (unsigned l = 0; l < G_N_ELEMENTS(tdlens); l++) {
        uint8_t **frames;

        h_tx_init(h, 8);
        frames = h_tx_fill(h, 8, 128);
        h_w(h, E1000_TDLEN, tdlens[l]);
        for (unsigned i = 0; i < G_N_ELEMENTS(tdts); i++) {
            h_w(h, E1000_TDT, tdts[i]);
            g_assert_cmpuint(h_r(h, E1000_TDH), ==, 0);
        }
        g_assert_cmpuint(h_tx_done(h), ==, 0);
        h_sane_nothing_sent(h);
        h_bufs_free(frames);
    }
    h_check_arena(h);
    h_expect_guest_error(h);
    h_stop(h);
}

/*
 * Invariant 1 (CVE-2016-1981): TDH or TDT outside the ring. At most one
 * ring's worth of descriptors per doorbell, only guest frames sent.
 */
static void test_ring_tdh_outside(void)
{
    static const struct {
        uint32_t tdh, tdt;
    } cases[] = {
        { 0xffff, 3 }, { 8, 3 }, { 0, 0xffff }, { 0, 8 }, { 9, 9 },
    };
    Hostile *h = h_start();

    for (unsigned c = 0; c < G_N_ELEMENTS(cases); c++) {
        uint8_t **frames;
        GPtrArray *wire;

        h_tx_init(h, 8);
        frames = h_tx_fill(h, 8, 100);
        h_w(h, E1000_TCTL, 0);
        h_w(h, E1000_TDH, cases[c].tdh);
        h_w(h, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
        h_w(h, E1000_TDT, cases[c].tdt);
        g_assert_cmpuint(h_tx_done(h), <=, 8);
        wire = h_sane(h);
        g_assert_cmpuint(wire->len, <=, 8);
        h_check_frames_among(wire, frames, 8, 100);
        g_ptr_array_unref(wire);
        h_bufs_free(frames);
    }
    h_expect_guest_error(h);
    h_check_arena(h);
    h_stop(h);
}

/*
 * Invariant 1: TDT = TDH - 1 with every descriptor valid is a full ring:
 * exactly N - 1 frames, in ring order, then nothing more.
 */
static void test_ring_tdt_full(void)
{
    Hostile *h = h_start();
    uint8_t **frames;
    GPtrArray *wire;

    h_tx_init(h, 16);
    frames = h_tx_fill(h, 16, 90);
    h_w(h, E1000_TCTL, 0);
    h_w(h, E1000_TDH, 5);
    h_w(h, E1000_TDT, 5);
    h_w(h, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
    h_w(h, E1000_TDT, 4);
    /* A second doorbell with nothing new must do nothing. */
    h_w(h, E1000_TDT, 4);
    g_assert_cmpuint(h_r(h, E1000_TDH), ==, 4);
    for (unsigned i = 0; i < 16; i++) {
        g_assert_cmphex(h_tx_sta(h, i) & TXD_STA_DD, ==,
                        i == 4 ? 0 : TXD_STA_DD);
    }
    wire = h_sane(h);
    g_assert_cmpuint(wire->len, ==, 15);
    for (unsigned i = 0; i < 15; i++) {
        GByteArray *f = g_ptr_array_index(wire, i);

        g_assert_true(h_frame_eq(f->data, f->len, frames[(5 + i) % 16], 90));
    }
    g_ptr_array_unref(wire);
    h_bufs_free(frames);
    h_check_arena(h);
    h_stop(h);
}

/*
 * Invariant 1 on RX (CVE-2016-1981): RDH/RDT outside the ring and a zero
 * RDLEN while frames arrive. Only ring descriptors and posted buffers are
 * written, with guest frames only.
 */
static void test_ring_rdh_outside(void)
{
    static const struct {
        uint32_t rdlen, rdh, rdt;
    } cases[] = {
        { 128, 0xffff, 3 }, { 128, 8, 3 }, { 128, 0, 0xffff },
        { 128, 0, 8 }, { 0, 0, 3 }, { 8, 0, 3 },
    };
    Hostile *h = h_start();
    uint8_t *sent[4];
    GPtrArray *rx;

    for (unsigned i = 0; i < 4; i++) {
        sent[i] = g_malloc(200);
        h_frame(sent[i], 200, 7 + i);
        memcpy(sent[i], h_mac, 6);
    }
    for (unsigned c = 0; c < G_N_ELEMENTS(cases); c++) {
        h_reset(h);
        h_rx_init(h, 8, 2048, 0);
        h_w(h, E1000_RCTL, 0);
        h_w(h, E1000_RDLEN, cases[c].rdlen);
        h_w(h, E1000_RDH, cases[c].rdh);
        h_w(h, E1000_RDT, cases[c].rdt);
        h_w(h, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_UPE | E1000_RCTL_BAM |
            E1000_RCTL_SECRC);
        for (unsigned i = 0; i < 3; i++) {
            qtest_wire_send(h->wire, sent[i], 200);
        }
        g_usleep(H_SETTLE_MS * 1000);
        /* Frames refused earlier may be delivered now: bound by ring. */
        rx = h_frames_new();
        h_rx_scan(h, rx);
        g_assert_cmpuint(rx->len, <=, 8);
        h_check_frames_among(rx, sent, 3, 200);
        g_ptr_array_unref(rx);
        h_check_arena(h);
    }
    rx = h_sane_rx(h);
    h_check_frames_among(rx, sent, 3, 200);
    g_ptr_array_unref(rx);
    h_check_arena(h);
    h_expect_guest_error(h);
    for (unsigned i = 0; i < 4; i++) {
        g_free(sent[i]);
    }
    h_stop(h);
}

/* ---- class F: DMA into the device's own registers ---- */

/* Snapshot of BAR0 dwords [off, off + len): MTA, RA, VFTA, ... */
static uint32_t *h_regs_read(Hostile *h, uint32_t off, uint32_t len)
{
    uint32_t *v = g_new(uint32_t, len / 4);

    for (uint32_t i = 0; i < len / 4; i++) {
        v[i] = h_r(h, off + 4 * i);
    }
    return v;
}

static void h_regs_check(Hostile *h, uint32_t off, uint32_t len,
                         const uint32_t *before)
{
    uint32_t *now = h_regs_read(h, off, len);

    for (uint32_t i = 0; i < len / 4; i++) {
        if (now[i] != before[i]) {
            g_test_message("register 0x%05x changed", off + 4 * i);
        }
        g_assert_cmphex(now[i], ==, before[i]);
    }
    g_free(now);
}

/* Write a 16-byte descriptor into BAR0 registers at off. */
static void h_regs_put_desc(Hostile *h, uint32_t off, const uint8_t *d)
{
    for (int i = 0; i < 4; i++) {
        h_w(h, off + 4 * i, d[4 * i] | d[4 * i + 1] << 8 |
            d[4 * i + 2] << 16 | (uint32_t)d[4 * i + 3] << 24);
    }
}

/*
 * Invariant 9 (CVE-2021-3416 class): a TX ring inside BAR0 (over the MTA,
 * filled with valid-looking descriptors). The descriptor fetch must fail
 * closed: nothing sent, no write-back into the registers.
 */
static void test_dma_tx_ring_in_bar(void)
{
    Hostile *h = h_start();
    uint8_t frame[100], d[16];
    uint64_t buf;
    uint32_t *before;

    h_frame(frame, sizeof(frame), 1);
    buf = h_put_buf(h, frame, sizeof(frame));
    h_txd_legacy(d, buf, sizeof(frame), TXD_EOP | TXD_IFCS | TXD_RS, 0, 0,
                 0);
    for (int i = 0; i < 8; i++) {
        h_regs_put_desc(h, E1000_MTA + 16 * i, d);
    }
    before = h_regs_read(h, E1000_MTA, 0x200);
    h_w(h, E1000_TDBAL, (uint32_t)(h->bar0 + E1000_MTA));
    h_w(h, E1000_TDBAH, (uint32_t)((h->bar0 + E1000_MTA) >> 32));
    h_w(h, E1000_TDLEN, 128);
    h_w(h, E1000_TDH, 0);
    h_w(h, E1000_TDT, 0);
    h_w(h, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
    h_w(h, E1000_TDT, 3);
    h_w(h, E1000_TDT, 7);
    h_regs_check(h, E1000_MTA, 0x200, before);
    /* The ring base over TDBAL itself: write-back would hit TDT. */
    h_w(h, E1000_TDBAL, (uint32_t)(h->bar0 + E1000_TDBAL));
    h_w(h, E1000_TDT, 1);
    g_assert_cmphex(h_r(h, E1000_TDBAL), ==,
                    (uint32_t)(h->bar0 + E1000_TDBAL));
    g_assert_cmphex(h_r(h, E1000_TDLEN), ==, 128);
    h_sane_nothing_sent(h);
    h_check_arena(h);
    h_expect_guest_error(h);
    g_free(before);
    h_stop(h);
}

/*
 * Invariant 9: TX buffers inside BAR0, straddling the end of RAM, and in
 * unbacked space. The read fails closed: no frame carries register (or
 * made-up) bytes; the descriptor is consumed, not retried (invariant 1).
 */
static void test_dma_tx_buf_in_bar(void)
{
    Hostile *h = h_start();
    const uint64_t bufs[] = {
        h->bar0 + E1000_RAL0, h->bar0 + E1000_TDT, h->bar0 + 0x1ffc0,
        h->bar0 - 32, 128ull * 1024 * 1024 - 32, 0xfffffffffffffff0ull,
    };
    uint32_t *before = h_regs_read(h, E1000_MTA, 0x800);
    uint8_t d[16];

    h_tx_init(h, 8);
    for (unsigned i = 0; i < G_N_ELEMENTS(bufs); i++) {
        h_txd_legacy(d, bufs[i], 64, TXD_EOP | TXD_IFCS | TXD_RS, 0, 0, 0);
        h_tx_push(h, d);
    }
    h_tx_kick(h);
    g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
    h_regs_check(h, E1000_MTA, 0x800, before);
    h_sane_nothing_sent(h);
    h_check_arena(h);
    h_expect_guest_error(h);
    g_free(before);
    h_stop(h);
}

/*
 * Invariant 9: an RX ring inside BAR0 (MTA holding descriptors that point
 * at guest buffers), then RX buffers inside BAR0. A received frame must
 * change neither the registers nor guest memory.
 */
static void test_dma_rx_in_bar(void)
{
    Hostile *h = h_start();
    uint8_t frame[200], d[16];
    uint64_t buf = h_alloc(h, 8 * 2048, 256);
    uint32_t *before;
    GPtrArray *rx;

    h_frame(frame, sizeof(frame), 2);
    memcpy(frame, h_mac, 6);
    memset(d, 0, sizeof(d));
    for (int i = 0; i < 8; i++) {
        uint64_t a = buf + 2048 * i;

        for (int b = 0; b < 8; b++) {
            d[b] = (uint8_t)(a >> (8 * b));
        }
        h_regs_put_desc(h, E1000_MTA + 16 * i, d);
    }
    before = h_regs_read(h, E1000_MTA, 0x800);
    h_w(h, E1000_RDBAL, (uint32_t)(h->bar0 + E1000_MTA));
    h_w(h, E1000_RDBAH, (uint32_t)((h->bar0 + E1000_MTA) >> 32));
    h_w(h, E1000_RDLEN, 128);
    h_w(h, E1000_RDH, 0);
    h_w(h, E1000_RDT, 7);
    h_w(h, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_UPE | E1000_RCTL_SECRC);
    qtest_wire_send(h->wire, frame, sizeof(frame));
    h_expect_guest_error(h);
    g_usleep(H_SETTLE_MS * 1000);
    h_regs_check(h, E1000_MTA, 0x800, before);
    h_check_arena(h);

    /* Ring in RAM, every buffer over MTA/RA/VFTA. */
    h_reset(h);
    h_rx_init(h, 8, 2048, 0);
    for (unsigned i = 0; i < 8; i++) {
        uint64_t a = h->bar0 + E1000_MTA;

        for (int b = 0; b < 8; b++) {
            d[b] = (uint8_t)(a >> (8 * b));
        }
        memset(d + 8, 0, 8);
        h_put(h, h->rx_ring + 16 * i, d, 16);
    }
    g_free(before);
    before = h_regs_read(h, E1000_MTA, 0x800);
    qtest_wire_send(h->wire, frame, sizeof(frame));
    qtest_wire_send(h->wire, frame, sizeof(frame));
    g_usleep(H_SETTLE_MS * 1000);
    h_regs_check(h, E1000_MTA, 0x800, before);
    h_check_arena(h);

    /* Frames refused (not dropped) may only arrive as they were sent. */
    rx = h_sane_rx(h);
    h_check_frames_among(rx, (uint8_t *[]){ frame }, 1, sizeof(frame));
    g_ptr_array_unref(rx);
    h_check_arena(h);
    g_free(before);
    h_stop(h);
}

/* ---- classes B, C, D: TSO ---- */

#define H_HDRLEN 54

/* Ethernet + IPv4 + TCP header (SDM 3.5 TCP segmentation example). */
static void h_tcp_header(uint8_t *p)
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

/* What a TSO packet must turn into on the wire (SDM 3.5). */
typedef struct TsoSpec {
    const uint8_t *hdr;
    size_t hdrlen;
    const uint8_t *pay;
    size_t paylen;
    size_t mss;
    /* Context offsets: the fields the device rewrites per segment. */
    unsigned ipcss, ipcso, tucss, tucso;
    bool vlan;
    uint16_t vlan_tci;
} TsoSpec;

/*
 * Check frames[*pos..] as the segments of t, in order, stopping when the
 * payload is used up or a frame does not fit. A segment is the header,
 * equal to the guest's except the fields the device rewrites (IP total
 * length and ID, IP checksum, TCP sequence number and flags, L4
 * checksum) where those lie inside the header, then exactly the next
 * min(MSS, left) payload bytes, zero padded to 60 bytes at most.
 * Returns the payload bytes covered; *pos moves past the frames used.
 */
static size_t h_check_tso(GPtrArray *frames, guint *pos, const TsoSpec *t)
{
    bool mut[256] = { false };
    const unsigned m[] = {
        t->ipcss + 2, t->ipcss + 3, t->ipcss + 4, t->ipcss + 5, t->ipcso,
        t->ipcso + 1, t->tucss + 4, t->tucss + 5, t->tucss + 6,
        t->tucss + 7, t->tucss + 13, t->tucso, t->tucso + 1,
    };
    size_t done = 0;

    for (unsigned i = 0; i < G_N_ELEMENTS(m); i++) {
        if (m[i] < t->hdrlen) {
            mut[m[i]] = true;
        }
    }
    while (*pos < frames->len && done < t->paylen && t->mss) {
        GByteArray *g = g_ptr_array_index(frames, *pos);
        const uint8_t *f = g->data;
        size_t flen = g->len;
        size_t n = MIN(t->mss, t->paylen - done);
        size_t want = t->hdrlen + n;
        uint8_t *copy = NULL;

        if (t->vlan) {
            if (flen < 16 || f[12] != 0x81 || f[13] != 0x00 ||
                f[14] != (t->vlan_tci >> 8) ||
                f[15] != (t->vlan_tci & 0xff)) {
                break;
            }
            copy = g_malloc(flen - 4);
            memcpy(copy, f, 12);
            memcpy(copy + 12, f + 16, flen - 16);
            f = copy;
            flen -= 4;
        }
        /* Padding may come before or after the tag is inserted. */
        if (flen != want && !(want < flen && (flen == ETH_ZLEN ||
                                              (t->vlan &&
                                               flen == ETH_ZLEN - 4)))) {
            g_free(copy);
            break;
        }
        for (size_t i = 0; i < flen; i++) {
            uint8_t exp;

            if (i < t->hdrlen) {
                if (mut[i]) {
                    continue;
                }
                exp = t->hdr[i];
            } else if (i < want) {
                exp = t->pay[done + i - t->hdrlen];
            } else {
                exp = 0;
            }
            if (f[i] != exp) {
                g_test_message("segment %u byte %zu: 0x%02x, want 0x%02x",
                               *pos, i, f[i], exp);
                g_assert_cmphex(f[i], ==, exp);
            }
        }
        g_free(copy);
        done += n;
        (*pos)++;
    }
    return done;
}

/* Every frame was accounted for by the h_check_tso calls before. */
static void h_check_all_used(GPtrArray *frames, guint pos)
{
    if (pos < frames->len) {
        GByteArray *f = g_ptr_array_index(frames, pos);

        g_test_message("frame %u (%u bytes) is not a valid segment", pos,
                       f->len);
    }
    g_assert_cmpuint(pos, ==, frames->len);
}

/* A TSO packet: context, then the header+payload in data descriptors. */
static void h_tso_push(Hostile *h, const TsoSpec *t, uint8_t tucmd,
                       size_t chunk, uint8_t dcmd_extra, uint16_t special)
{
    size_t total = t->hdrlen + t->paylen;
    uint8_t *pkt = g_malloc(total ? total : 1);
    uint64_t buf;
    uint8_t d[16];

    memcpy(pkt, t->hdr, t->hdrlen);
    memcpy(pkt + t->hdrlen, t->pay, t->paylen);
    buf = h_put_buf(h, pkt, total);
    h_txd_ctx(d, t->ipcss, t->ipcso, 0, t->tucss, t->tucso, 0,
              (uint32_t)t->paylen, tucmd | TXD_TSE, (uint8_t)t->hdrlen,
              (uint16_t)t->mss);
    h_tx_push(h, d);
    for (size_t off = 0; off < total; off += chunk) {
        size_t n = MIN(chunk, total - off);
        uint8_t cmd = TXD_TSE | TXD_IFCS | dcmd_extra |
                      (off + n == total ? TXD_EOP | TXD_RS : 0);

        h_txd_data(d, buf + off, (uint32_t)n, cmd, POPTS_IXSM | POPTS_TXSM,
                   special);
        h_tx_push(h, d);
    }
    g_free(pkt);
}

static void h_tso_spec(TsoSpec *t, const uint8_t *hdr, size_t hdrlen,
                       const uint8_t *pay, size_t paylen, size_t mss)
{
    memset(t, 0, sizeof(*t));
    t->hdr = hdr;
    t->hdrlen = hdrlen;
    t->pay = pay;
    t->paylen = paylen;
    t->mss = mss;
    t->ipcss = 14;
    t->ipcso = 24;
    t->tucss = 34;
    t->tucso = 50;
}

/* Control: a well-formed TSO packet segments exactly (SDM 3.5). */
static void test_tso_control(void)
{
    Hostile *h = h_start();
    uint8_t hdr[H_HDRLEN], pay[3000];
    GPtrArray *wire;
    TsoSpec t;
    guint pos = 0;

    h_tcp_header(hdr);
    h_pattern(pay, sizeof(pay), 5);
    h_tso_spec(&t, hdr, H_HDRLEN, pay, sizeof(pay), 1000);
    h_tx_init(h, 16);
    h_tso_push(h, &t, TUCMD_IP | TUCMD_TCP, 1024, 0, 0);
    h_tx_kick(h);
    wire = h_sane(h);
    g_assert_cmpuint(h_check_tso(wire, &pos, &t), ==, sizeof(pay));
    g_assert_cmpuint(pos, ==, 3);
    g_assert_cmpuint(wire->len, ==, 3);
    g_ptr_array_unref(wire);
    h_check_arena(h);
    h_stop(h);
}

/*
 * Invariant 2 (CVE-2021-20257, CVE-2015-6815): MSS = 0 must not spin;
 * the packet is dropped and its descriptors consumed.
 */
static void test_tso_mss_zero(void)
{
    Hostile *h = h_start();
    uint8_t hdr[H_HDRLEN], pay[1000];
    TsoSpec t;

    h_tcp_header(hdr);
    h_pattern(pay, sizeof(pay), 6);
    h_tso_spec(&t, hdr, H_HDRLEN, pay, sizeof(pay), 0);
    h_tx_init(h, 8);
    h_tso_push(h, &t, TUCMD_IP | TUCMD_TCP, 400, 0, 0);
    h_tx_kick(h);
    g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
    h_sane_nothing_sent(h);
    h_check_arena(h);
    h_expect_guest_error(h);
    h_stop(h);
}

/*
 * Invariants 2/3 (CVE-2017-10235 class): HDRLEN + MSS beyond a 64 KiB
 * assembly buffer. The packet is either dropped (with a guest error) or
 * segmented exactly; no frame exceeds 64 KiB, so a segment of HDRLEN +
 * MSS > 64 KiB can only be a drop.
 */
static void test_tso_hdrlen_mss_overflow(void)
{
    static const struct {
        size_t hdrlen, mss, paylen;
    } cases[] = {
        { H_HDRLEN, 0xffff, 3000 }, { 255, 0xffff, 3000 },
        { H_HDRLEN, 0xffff, 70000 }, { 255, 0xff01, 66000 },
    };
    Hostile *h = h_start();
    bool dropped = false;

    for (unsigned c = 0; c < G_N_ELEMENTS(cases); c++) {
        uint8_t *hdr = g_malloc(cases[c].hdrlen);
        uint8_t *pay = g_malloc(cases[c].paylen);
        GPtrArray *wire;
        size_t covered;
        guint pos = 0;
        TsoSpec t;

        h_pattern(hdr, cases[c].hdrlen, 9);
        h_tcp_header(hdr);
        h_pattern(pay, cases[c].paylen, 10 + c);
        h_tso_spec(&t, hdr, cases[c].hdrlen, pay, cases[c].paylen,
                   cases[c].mss);
        h_tx_init(h, 32);
        h_tso_push(h, &t, TUCMD_IP | TUCMD_TCP, 4096, 0, 0);
        h_tx_kick(h);
        g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
        wire = h_sane(h);
        covered = h_check_tso(wire, &pos, &t);
        g_test_message("HDRLEN %zu MSS 0x%zx: %u frames, %zu of %zu bytes",
                       t.hdrlen, t.mss, wire->len, covered, t.paylen);
        h_check_all_used(wire, pos);
        for (guint i = 0; i < wire->len; i++) {
            GByteArray *f = g_ptr_array_index(wire, i);

            g_assert_cmpuint(f->len, <=, 64 * 1024);
        }
        g_assert_true(covered == 0 || covered == t.paylen);
        dropped |= covered == 0;
        g_ptr_array_unref(wire);
        g_free(hdr);
        g_free(pay);
    }
    h_check_arena(h);
    if (dropped) {
        h_expect_guest_error(h);
    }
    h_stop(h);
}

/*
 * Invariant 4 (VirtualBox E1000 0-day, 2018): [ctx MSS=0x3010][data 0x10
 * !EOP][data 0 EOP][ctx MSS=0xF][data 0x4188 EOP], HDRLEN 0, all TSE.
 * The zero-length EOP ends the first packet; the second context applies
 * to a new packet only. Every frame is a segment of one of the two
 * packets, none longer than its own HDRLEN + MSS. With `rctl` set the
 * frames are looped back into an RX ring and checked there too.
 */
static void h_zelenyuk(uint32_t rctl, bool phy_loopback, uint8_t hdrlen)
{
    Hostile *h = h_start();
    uint8_t a[0x10], c[0x4188], d[16];
    uint8_t tucmd = hdrlen ? TUCMD_IP | TUCMD_TCP : 0;
    uint8_t popts = hdrlen ? POPTS_IXSM | POPTS_TXSM : 0;
    GPtrArray *wire, *rx = NULL;
    TsoSpec t1, t2;
    size_t n1, n2;
    guint pos;

    g_test_message("RCTL 0x%08x, PHY loopback %d, HDRLEN %u", rctl,
                   phy_loopback, hdrlen);
    if (rctl || phy_loopback) {
        h_rx_init(h, 64, 2048, rctl);
    }
    if (phy_loopback) {
        h_mdic(h, E1000_MDIC_OP_WRITE, E1000_PHY_ADDR, MII_BMCR,
               BMCR_LOOPBACK | BMCR_FULLDPLX | BMCR_SPEED1000);
    }
    h_pattern(a, sizeof(a), 11);
    h_pattern(c, sizeof(c), 12);
    if (hdrlen) {
        h_tcp_header(c);
    }
    /*
     * Packet 1 is 0x10 bytes: with a real header it cannot be sent at
     * all (payload 0 in the spec), with HDRLEN 0 it is one segment.
     */
    h_tso_spec(&t1, a, hdrlen, a, hdrlen ? 0 : sizeof(a), 0x3010);
    h_tso_spec(&t2, c, hdrlen, c + hdrlen, sizeof(c) - hdrlen, 0xf);
    if (!hdrlen) {
        t1.ipcss = t1.ipcso = t1.tucss = t1.tucso = 0;
        t2.ipcss = t2.ipcso = t2.tucss = t2.tucso = 0;
    }
    h_tx_init(h, 8);
    h_txd_ctx(d, t1.ipcss, t1.ipcso, 0, t1.tucss, t1.tucso, 0, sizeof(a),
              TXD_TSE | tucmd, hdrlen, 0x3010);
    h_tx_push(h, d);
    h_txd_data(d, h_put_buf(h, a, sizeof(a)), sizeof(a),
               TXD_TSE | TXD_IFCS | TXD_RS, popts, 0);
    h_tx_push(h, d);
    h_txd_data(d, h_put_buf(h, a, 1), 0,
               TXD_TSE | TXD_IFCS | TXD_EOP | TXD_RS, popts, 0);
    h_tx_push(h, d);
    h_txd_ctx(d, t2.ipcss, t2.ipcso, 0, t2.tucss, t2.tucso, 0,
              (uint32_t)t2.paylen, TXD_TSE | tucmd, hdrlen, 0xf);
    h_tx_push(h, d);
    h_txd_data(d, h_put_buf(h, c, sizeof(c)), sizeof(c),
               TXD_TSE | TXD_IFCS | TXD_EOP | TXD_RS, popts, 0);
    h_tx_push(h, d);
    h_tx_kick(h);
    /* Loopback may hold TX until the (never refilled) RX ring drains. */
    g_assert_cmpuint(h_tx_done(h), <=, 5);
    if (!rctl && !phy_loopback) {
        g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
    }
    if (rctl || phy_loopback) {
        rx = h_rx_settle(h);
        pos = 0;
        n1 = h_check_tso(rx, &pos, &t1);
        n2 = h_check_tso(rx, &pos, &t2);
        g_test_message("RX: %u frames, payload %zu + %zu bytes", rx->len,
                       n1, n2);
        h_check_all_used(rx, pos);
    }
    h->phy_reset = phy_loopback;
    wire = h_sane(h);
    pos = 0;
    n1 = h_check_tso(wire, &pos, &t1);
    n2 = h_check_tso(wire, &pos, &t2);
    g_test_message("wire: %u frames, payload %zu + %zu bytes", wire->len,
                   n1, n2);
    h_check_all_used(wire, pos);
    g_ptr_array_unref(wire);
    if (rx) {
        g_ptr_array_unref(rx);
    }
    h_check_arena(h);
    h_expect_guest_error(h);
    h_stop(h);
}

static void test_tso_zelenyuk(void)
{
    h_zelenyuk(0, false, 0);
    h_zelenyuk(0, false, H_HDRLEN);
}

static void test_tso_zelenyuk_lbm(void)
{
    h_zelenyuk(E1000_RCTL_LBM_MAC, false, 0);
    h_zelenyuk(E1000_RCTL_LBM_TCVR, false, 0);
    h_zelenyuk(0, true, 0);
    h_zelenyuk(E1000_RCTL_LBM_MAC, false, H_HDRLEN);
    h_zelenyuk(0, true, H_HDRLEN);
}

/*
 * Invariant 4 / class D: a context descriptor in the middle of a packet
 * (after 554 bytes, with HDRLEN + MSS = 62 below that) aborts the packet:
 * none of its payload reaches the wire. What follows the new context is
 * dropped or segmented with that context.
 */
static void test_tso_ctx_mid_packet(void)
{
    Hostile *h = h_start();
    uint8_t hdr[H_HDRLEN], p1[H_HDRLEN + 500], p2[H_HDRLEN + 446];
    uint8_t d[16];
    GPtrArray *wire;
    TsoSpec t2;
    guint pos = 0;
    size_t covered;

    h_tcp_header(hdr);
    memcpy(p1, hdr, H_HDRLEN);
    h_pattern(p1 + H_HDRLEN, 500, 13);
    memcpy(p2, hdr, H_HDRLEN);
    p2[41] = 0x99;
    h_pattern(p2 + H_HDRLEN, 446, 14);
    h_tso_spec(&t2, p2, H_HDRLEN, p2 + H_HDRLEN, 446, 8);
    h_tx_init(h, 8);
    h_txd_ctx(d, 14, 24, 0, 34, 50, 0, 1000, TXD_TSE | TUCMD_IP | TUCMD_TCP,
              H_HDRLEN, 1000);
    h_tx_push(h, d);
    h_txd_data(d, h_put_buf(h, p1, sizeof(p1)), sizeof(p1),
               TXD_TSE | TXD_IFCS | TXD_RS, POPTS_IXSM | POPTS_TXSM, 0);
    h_tx_push(h, d);
    h_txd_ctx(d, 14, 24, 0, 34, 50, 0, 446, TXD_TSE | TUCMD_IP | TUCMD_TCP,
              H_HDRLEN, 8);
    h_tx_push(h, d);
    h_txd_data(d, h_put_buf(h, p2, sizeof(p2)), sizeof(p2),
               TXD_TSE | TXD_IFCS | TXD_EOP | TXD_RS,
               POPTS_IXSM | POPTS_TXSM, 0);
    h_tx_push(h, d);
    h_tx_kick(h);
    g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
    wire = h_sane(h);
    covered = h_check_tso(wire, &pos, &t2);
    g_assert_true(covered == 0 || covered == t2.paylen);
    h_check_all_used(wire, pos);
    g_ptr_array_unref(wire);
    h_check_arena(h);
    h_expect_guest_error(h);
    h_stop(h);
}

/*
 * Invariants 1/2: descriptors that carry nothing (length 0 with EOP,
 * address 0) are consumed and written back, and send nothing.
 */
static void test_tx_empty_eop(void)
{
    Hostile *h = h_start();
    uint8_t hdr[H_HDRLEN], d[16];
    uint64_t buf;

    h_tcp_header(hdr);
    buf = h_put_buf(h, hdr, sizeof(hdr));
    h_tx_init(h, 8);
    h_txd_legacy(d, buf, 0, TXD_EOP | TXD_IFCS | TXD_RS, 0, 0, 0);
    h_tx_push(h, d);
    h_txd_legacy(d, 0, 0, TXD_EOP | TXD_IFCS | TXD_RS, 0, 0, 0);
    h_tx_push(h, d);
    h_txd_ctx(d, 14, 24, 0, 34, 50, 0, 100, TXD_TSE | TUCMD_IP | TUCMD_TCP,
              H_HDRLEN, 100);
    h_tx_push(h, d);
    h_txd_data(d, buf, 0, TXD_TSE | TXD_IFCS | TXD_EOP | TXD_RS, 0, 0);
    h_tx_push(h, d);
    h_txd_data(d, 0, 0, TXD_IFCS | TXD_EOP | TXD_RS, 0, 0);
    h_tx_push(h, d);
    h_tx_kick(h);
    g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
    for (unsigned i = 0; i < 5; i++) {
        if (i != 2) {
            g_assert_cmphex(h_tx_sta(h, i) & TXD_STA_DD, ==, TXD_STA_DD);
        }
    }
    h_sane_nothing_sent(h);
    h_check_arena(h);
    h_expect_guest_error(h);
    h_stop(h);
}

/* ---- class C: TX assembly bounds, on the wire and in loopback ---- */

/* Every frame is a prefix of data (a truncated frame), at most max long. */
static void h_check_prefixes(GPtrArray *frames, const uint8_t *data,
                             size_t len, size_t max)
{
    for (guint i = 0; i < frames->len; i++) {
        GByteArray *f = g_ptr_array_index(frames, i);

        g_assert_cmpuint(f->len, <=, MIN(len, max));
        g_assert_cmpmem(f->data, f->len, data, f->len);
    }
}

/*
 * Invariant 3 (CVE-2012-0029 class): 100 chained 4 KiB legacy descriptors
 * without EOP, then one with EOP: 404 KiB for one frame. Every descriptor
 * is consumed; at most one frame results, a prefix of the chain no longer
 * than 64 KiB. With `rctl` loopback the RX side is checked the same way.
 */
static void h_chain(uint32_t rctl, bool phy_loopback)
{
    const size_t chunk = 4096, n = 100, total = chunk * (n + 1);
    Hostile *h = h_start();
    uint8_t *data = g_malloc(total);
    GPtrArray *wire, *rx = NULL;
    uint64_t buf;
    uint8_t d[16];

    g_test_message("RCTL 0x%08x, PHY loopback %d", rctl, phy_loopback);
    h_frame(data, total, 20);
    memcpy(data, h_mac, 6);
    buf = h_put_buf(h, data, total);
    if (rctl || phy_loopback) {
        h_rx_init(h, 32, 16384, rctl | E1000_RCTL_LPE |
                  E1000_RCTL_BSIZE_16K);
    }
    if (phy_loopback) {
        h->phy_reset = true;
        h_mdic(h, E1000_MDIC_OP_WRITE, E1000_PHY_ADDR, MII_BMCR,
               BMCR_LOOPBACK | BMCR_FULLDPLX | BMCR_SPEED1000);
    }
    h_tx_init(h, 128);
    for (size_t i = 0; i < n; i++) {
        h_txd_legacy(d, buf + i * chunk, (uint16_t)chunk,
                     TXD_IFCS | TXD_RS, 0, 0, 0);
        h_tx_push(h, d);
    }
    h_tx_kick(h);
    /* The device may hold an unfinished packet's descriptors. */
    g_assert_cmpuint(h_r(h, E1000_TDH), <=, n);
    g_assert_cmpuint(h_tx_done(h), <=, n);
    h_txd_legacy(d, buf + n * chunk, (uint16_t)chunk,
                 TXD_EOP | TXD_IFCS | TXD_RS, 0, 0, 0);
    h_tx_push(h, d);
    h_tx_kick(h);
    g_assert_cmpuint(h_r(h, E1000_TDH), ==, n + 1);
    g_assert_cmpuint(h_tx_done(h), ==, n + 1);
    if (rctl || phy_loopback) {
        rx = h_rx_settle(h);
        g_assert_cmpuint(rx->len, <=, 1);
        h_check_prefixes(rx, data, total, 16384);
        g_ptr_array_unref(rx);
    }
    wire = h_sane(h);
    g_assert_cmpuint(wire->len, <=, 1);
    h_check_prefixes(wire, data, total, 64 * 1024);
    g_ptr_array_unref(wire);
    h_check_arena(h);
    h_expect_guest_error(h);
    g_free(data);
    h_stop(h);
}

static void test_tx_chain_no_eop(void)
{
    h_chain(0, false);
}

static void test_tx_chain_no_eop_loopback(void)
{
    h_chain(E1000_RCTL_LBM_MAC, false);
    h_chain(E1000_RCTL_LBM_TCVR, false);
    h_chain(0, true);
}

/*
 * Invariant 3 (CVE-2017-10235): TSE with MSS = 0xFFFF while looped back
 * (RCTL.LBM), 16 KiB RX buffers with LPE. Every frame on either side is
 * an exact segment; the packet is segmented whole or dropped.
 */
static void test_tso_mss_max_loopback(void)
{
    static const uint32_t modes[] = { E1000_RCTL_LBM_MAC,
                                      E1000_RCTL_LBM_TCVR };
    static const size_t paylens[] = { 16000, 40000 };

    for (unsigned m = 0; m < G_N_ELEMENTS(modes); m++) {
        for (unsigned p = 0; p < G_N_ELEMENTS(paylens); p++) {
            Hostile *h = h_start();
            uint8_t hdr[H_HDRLEN], *pay = g_malloc(paylens[p]);
            GPtrArray *rx, *wire;
            size_t covered;
            guint pos = 0;
            TsoSpec t;

            h_tcp_header(hdr);
            memcpy(hdr, h_mac, 6);
            h_pattern(pay, paylens[p], 40 + p);
            h_tso_spec(&t, hdr, H_HDRLEN, pay, paylens[p], 0xffff);
            h_rx_init(h, 16, 16384, modes[m] | E1000_RCTL_LPE |
                      E1000_RCTL_BSIZE_16K);
            h_tx_init(h, 32);
            h_tso_push(h, &t, TUCMD_IP | TUCMD_TCP, 4096, 0, 0);
            h_tx_kick(h);
            g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
            rx = h_rx_settle(h);
            covered = h_check_tso(rx, &pos, &t);
            g_test_message("RCTL 0x%08x, payload %zu: %u RX frames, %zu "
                           "bytes", modes[m], paylens[p], rx->len, covered);
            h_check_all_used(rx, pos);
            g_assert_true(covered == 0 || covered == t.paylen);
            /* A 40 KiB frame is over the 16 KiB LPE limit (SDM 13.4.22). */
            if (paylens[p] > 16384) {
                g_assert_cmpuint(covered, ==, 0);
            }
            wire = h_sane(h);
            pos = 0;
            covered = h_check_tso(wire, &pos, &t);
            h_check_all_used(wire, pos);
            g_assert_true(covered == 0 || covered == t.paylen);
            g_ptr_array_unref(rx);
            g_ptr_array_unref(wire);
            h_check_arena(h);
            g_free(pay);
            h_stop(h);
        }
    }
}

/* IEEE 802.3 CRC-32 (reflected, polynomial 0xedb88320). */
static uint32_t h_crc32(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xffffffff;

    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++) {
            crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
        }
    }
    return ~crc;
}

/*
 * Invariant 3 (CVE-2015-7504 pattern): a 4096-byte frame looped back with
 * the CRC kept (RCTL.SECRC clear) into 4 KiB buffers. The 4 CRC bytes go
 * to the next descriptor, never past a buffer; they are the frame's CRC
 * or left untouched.
 */
static void test_loopback_crc(void)
{
    static const uint32_t modes[] = { E1000_RCTL_LBM_MAC,
                                      E1000_RCTL_LBM_TCVR };

    for (unsigned m = 0; m < G_N_ELEMENTS(modes); m++) {
        Hostile *h = h_start();
        uint8_t frame[4096];
        GPtrArray *rx;

        h_frame(frame, sizeof(frame), 50);
        memcpy(frame, h_mac, 6);
        h_rx_init(h, 8, 4096, 0);
        /* 4096-byte buffers: BSEX with BSIZE 11b (SDM 13.4.22). */
        h_w(h, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_UPE | E1000_RCTL_LPE |
            (3u << 16) | (1u << 25) | modes[m]);
        h_tx_init(h, 8);
        h_tx_frame(h, frame, sizeof(frame));
        rx = h_rx_settle(h);
        g_test_message("RCTL 0x%08x: %u frames", modes[m], rx->len);
        g_assert_cmpuint(rx->len, <=, 1);
        if (rx->len) {
            GByteArray *f = g_ptr_array_index(rx, 0);
            uint32_t crc = h_crc32(frame, sizeof(frame));
            uint8_t crc_le[4] = { (uint8_t)crc, (uint8_t)(crc >> 8),
                                  (uint8_t)(crc >> 16),
                                  (uint8_t)(crc >> 24) };
            uint8_t canary[4] = { H_CANARY, H_CANARY, H_CANARY, H_CANARY };

            g_assert_true(f->len == sizeof(frame) ||
                          f->len == sizeof(frame) + 4);
            g_assert_cmpmem(f->data, sizeof(frame), frame, sizeof(frame));
            if (f->len > sizeof(frame)) {
                g_assert_true(!memcmp(f->data + sizeof(frame), crc_le, 4) ||
                              !memcmp(f->data + sizeof(frame), canary, 4));
            }
        }
        g_ptr_array_unref(rx);
        rx = h_sane(h);
        h_check_frames_among(rx, (uint8_t *[]){ frame }, 1, sizeof(frame));
        g_ptr_array_unref(rx);
        h_check_arena(h);
        h_stop(h);
    }
}

/* ---- class C/D: guest checksum offsets and header lengths ---- */

/* A 60-byte Ethernet/IPv4/UDP frame. */
static void h_udp_frame(uint8_t *p)
{
    h_frame(p, ETH_ZLEN, 60);
    h_tcp_header(p);
    p[23] = 17;
    p[38] = 0;
    p[39] = 26;
}

/*
 * Invariant 5 (CVE-2022-23087, CVE-2019-5609, QEMU putsum): checksum
 * offsets beyond a 60-byte frame or with the end before the start. The
 * frame is dropped, or sent at its own length with at most the two bytes
 * at an in-frame checksum offset changed.
 */
static void test_csum_offsets(void)
{
    static const struct {
        bool ctx;
        uint8_t ipcss, ipcso, tucss, tucso;
        uint16_t ipcse, tucse;
    } cases[] = {
        /* Legacy IC: CSO in ipcso, CSS in ipcss. */
        { false, 14, 0xff, 0, 0, 0, 0 },
        { false, 0xff, 58, 0, 0, 0, 0 },
        { false, 0, 59, 0, 0, 0, 0 },
        { false, 60, 0, 0, 0, 0, 0 },
        /* Context + data with IXSM|TXSM. */
        { true, 14, 0xfe, 34, 0xff, 0, 0 },
        { true, 14, 24, 200, 40, 0, 0 },
        { true, 30, 24, 34, 50, 20, 0 },
        { true, 14, 24, 40, 50, 0, 20 },
        { true, 14, 24, 34, 50, 0xffff, 0xffff },
        { true, 0xff, 0xff, 0xff, 0xff, 0, 0 },
        { true, 59, 58, 59, 59, 59, 59 },
    };
    Hostile *h = h_start();
    uint8_t frame[ETH_ZLEN];

    h_udp_frame(frame);
    for (unsigned c = 0; c < G_N_ELEMENTS(cases); c++) {
        uint64_t buf = h_put_buf(h, frame, sizeof(frame));
        const unsigned allow[] = {
            cases[c].ipcso, cases[c].ipcso + 1u, cases[c].tucso,
            cases[c].tucso + 1u,
        };
        GPtrArray *wire;
        uint8_t d[16];

        h_tx_init(h, 8);
        if (cases[c].ctx) {
            h_txd_ctx(d, cases[c].ipcss, cases[c].ipcso, cases[c].ipcse,
                      cases[c].tucss, cases[c].tucso, cases[c].tucse, 0,
                      TUCMD_IP, 0, 0);
            h_tx_push(h, d);
            h_txd_data(d, buf, sizeof(frame), TXD_EOP | TXD_IFCS | TXD_RS,
                       POPTS_IXSM | POPTS_TXSM, 0);
        } else {
            h_txd_legacy(d, buf, sizeof(frame),
                         TXD_EOP | TXD_IFCS | TXD_IC | TXD_RS,
                         cases[c].ipcso, cases[c].ipcss, 0);
        }
        h_tx_push(h, d);
        h_tx_kick(h);
        g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
        wire = h_sane(h);
        g_assert_cmpuint(wire->len, <=, 1);
        for (guint i = 0; i < wire->len; i++) {
            GByteArray *f = g_ptr_array_index(wire, i);

            g_assert_cmpuint(f->len, ==, sizeof(frame));
            for (unsigned b = 0; b < sizeof(frame); b++) {
                bool may = false;

                for (unsigned a = 0; a < G_N_ELEMENTS(allow); a++) {
                    may |= allow[a] == b && (cases[c].ctx || a < 2);
                }
                if (!may && f->data[b] != frame[b]) {
                    g_test_message("case %u: byte %u changed", c, b);
                    g_assert_cmphex(f->data[b], ==, frame[b]);
                }
            }
        }
        g_ptr_array_unref(wire);
    }
    h_check_arena(h);
    h_expect_guest_error(h);
    h_stop(h);
}

/*
 * Invariant 5 (CVE-2019-5609): TSO with HDRLEN 255 and HDRLEN 1, with
 * VLAN insertion (CTRL.VME, VLE). Dropped, or exact segments carrying the
 * tag; nothing is written outside the header the guest described.
 */
static void test_tso_hdrlen_vlan(void)
{
    static const struct {
        size_t hdrlen, mss, paylen;
    } cases[] = {
        { 255, 100, 300 }, { 1, 100, 300 }, { 1, 1, 40 }, { 13, 64, 200 },
    };
    Hostile *h = h_start();

    for (unsigned c = 0; c < G_N_ELEMENTS(cases); c++) {
        uint8_t hdr[255], pay[300];
        GPtrArray *wire;
        size_t covered;
        guint pos = 0;
        TsoSpec t;

        h_pattern(hdr, sizeof(hdr), 70);
        h_tcp_header(hdr);
        h_pattern(pay, sizeof(pay), 71 + c);
        h_tso_spec(&t, hdr, cases[c].hdrlen, pay, cases[c].paylen,
                   cases[c].mss);
        t.vlan = true;
        t.vlan_tci = 0x0123;
        h_w(h, E1000_VET, 0x8100);
        h_w(h, E1000_CTRL, h_r(h, E1000_CTRL) | E1000_CTRL_VME);
        h_tx_init(h, 16);
        h_tso_push(h, &t, TUCMD_IP | TUCMD_TCP, 4096, TXD_VLE, t.vlan_tci);
        h_tx_kick(h);
        g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
        wire = h_sane(h);
        covered = h_check_tso(wire, &pos, &t);
        g_test_message("HDRLEN %zu: %u frames, %zu of %zu bytes", t.hdrlen,
                       wire->len, covered, t.paylen);
        h_check_all_used(wire, pos);
        g_assert_true(covered == 0 || covered == t.paylen);
        g_ptr_array_unref(wire);
    }
    h_check_arena(h);
    h_expect_guest_error(h);
    h_stop(h);
}

/* ---- class F: loopback recursion ---- */

/*
 * Invariant 9 (CVE-2021-3416): loopback (RCTL.LBM 01b/11b, PHY
 * BMCR.LOOPBACK) with a full TX ring and a smaller RX ring. The doorbell
 * returns after one ring's worth; the RX ring takes at most what it has
 * room for; only guest frames appear anywhere.
 */
static void test_loopback_ring_full(void)
{
    static const struct {
        uint32_t rctl;
        bool phy;
    } modes[] = {
        { E1000_RCTL_LBM_MAC, false }, { E1000_RCTL_LBM_TCVR, false },
        { 0, true },
    };

    for (unsigned m = 0; m < G_N_ELEMENTS(modes); m++) {
        Hostile *h = h_start();
        uint8_t **frames;
        GPtrArray *rx, *wire;

        h_rx_init(h, 8, 2048, modes[m].rctl);
        if (modes[m].phy) {
            h->phy_reset = true;
            h_mdic(h, E1000_MDIC_OP_WRITE, E1000_PHY_ADDR, MII_BMCR,
                   BMCR_LOOPBACK | BMCR_FULLDPLX | BMCR_SPEED1000);
        }
        h_tx_init(h, 16);
        frames = h_tx_fill(h, 16, 200);
        for (unsigned i = 0; i < 16; i++) {
            memcpy(frames[i], h_mac, 6);
        }
        for (unsigned i = 0; i < 16; i++) {
            uint8_t d[16];

            h_txd_legacy(d, h_put_buf(h, frames[i], 200), 200,
                         TXD_EOP | TXD_IFCS | TXD_RS, 0, 0, 0);
            h_tx_put(h, i, d);
        }
        h_w(h, E1000_TCTL, 0);
        h_w(h, E1000_TDH, 5);
        h_w(h, E1000_TDT, 5);
        h_w(h, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
        h_w(h, E1000_TDT, 4);
        g_assert_cmpuint(h_tx_done(h), <=, 15);
        rx = h_rx_settle(h);
        g_test_message("mode %u: %u frames looped back", m, rx->len);
        g_assert_cmpuint(rx->len, <=, 7);
        h_check_frames_among(rx, frames, 16, 200);
        if (modes[m].phy) {
            /*
             * Control: PHY loopback does deliver (IEEE 802.3 22.2.4.1.2),
             * so this test exercises the loopback path at all.
             */
            g_assert_cmpuint(rx->len, >=, 1);
        }
        wire = h_sane(h);
        g_test_message("mode %u: %u frames on the wire", m, wire->len);
        g_assert_cmpuint(wire->len, <=, 15);
        h_check_frames_among(wire, frames, 16, 200);
        g_ptr_array_unref(rx);
        g_ptr_array_unref(wire);
        h_check_arena(h);
        h_bufs_free(frames);
        h_stop(h);
    }
}

/*
 * Invariant 9: loopback whose RX buffers are the TX ring itself, and
 * whose frames are copies of valid TX descriptors. Each looped frame
 * re-arms the TX ring; the doorbell must still end after one ring.
 */
static void test_loopback_rx_into_tx_ring(void)
{
    Hostile *h = h_start();
    uint8_t ring[128], d[16];
    uint64_t fbuf;
    GPtrArray *wire;

    h->phy_reset = true;
    h_rx_init(h, 8, 2048, E1000_RCTL_LBM_MAC);
    h_tx_init(h, 8);
    /* The TX ring is a legitimate DMA target in this test. */
    h_allow(h, h->tx_ring, 128);
    fbuf = h_alloc(h, 128, 16);
    for (unsigned i = 0; i < 8; i++) {
        h_txd_legacy(ring + 16 * i, fbuf, 128, TXD_EOP | TXD_IFCS | TXD_RS,
                     0, 0, 0);
    }
    memcpy(ring, h_mac, 6);
    h_put(h, fbuf, ring, 128);
    h_put(h, h->tx_ring, ring, 128);
    for (unsigned i = 0; i < 8; i++) {
        memset(d, 0, sizeof(d));
        for (int b = 0; b < 8; b++) {
            d[b] = (uint8_t)(h->tx_ring >> (8 * b));
        }
        h_put(h, h->rx_ring + 16 * i, d, 16);
    }
    h_w(h, E1000_TDT, 7);
    for (int i = 0; i < 20; i++) {
        qtest_clock_step(h->qts, 1000 * 1000);
    }
    g_assert_cmpuint(h_r(h, E1000_TDH), <, 8);
    h_w(h, E1000_TDT, 6);
    for (int i = 0; i < 20; i++) {
        qtest_clock_step(h->qts, 1000 * 1000);
    }
    g_test_message("TDH %u, RDH %u", h_r(h, E1000_TDH), h_r(h, E1000_RDH));
    g_assert_cmpuint(h_r(h, E1000_RDH), <, 8);
    wire = h_sane(h);
    g_assert_cmpuint(wire->len, <=, 14);
    g_ptr_array_unref(wire);
    h_stop(h);
}

/* ---- class C: RX frames larger than the posted buffers ---- */

enum { H_MUST_DROP, H_MUST_SPLIT, H_DROP_OR_SPLIT };

/*
 * Invariant 8 (CVE-2015-7512, CVE-2018-17958 class): a flen-byte frame
 * from the wire into bufsz-byte buffers. Dropped (and counted in ROC,
 * SDM 13.7.x) or received whole and exact across descriptors; no buffer
 * is overrun and nothing else in guest memory changes.
 */
static void h_rx_big(uint32_t rctl, size_t bufsz, size_t flen, int expect)
{
    Hostile *h = h_start();
    uint8_t *frame = g_malloc(flen), s[H_SENTINEL_LEN];
    GPtrArray *rx;
    uint32_t roc;

    h_frame(frame, flen, 80);
    memcpy(frame, h_mac, 6);
    h_rx_init(h, 64, bufsz, rctl);
    qtest_wire_send(h->wire, frame, flen);
    h_sentinel(h, s);
    rx = h_rx_until(h, s, sizeof(s));
    /* Statistics clear on read (SDM 13.7): read ROC once. */
    roc = h_r(h, E1000_ROC);
    g_test_message("RCTL 0x%08x, %zu-byte buffers, %zu-byte frame: %u "
                   "received, ROC %u", rctl, bufsz, flen, rx->len, roc);
    g_assert_cmpuint(rx->len, <=, 1);
    for (guint i = 0; i < rx->len; i++) {
        GByteArray *f = g_ptr_array_index(rx, i);

        g_assert_cmpmem(f->data, f->len, frame, flen);
    }
    if (expect == H_MUST_DROP) {
        g_assert_cmpuint(rx->len, ==, 0);
        g_assert_cmpuint(roc, >=, 1);
    } else if (expect == H_MUST_SPLIT) {
        g_assert_cmpuint(rx->len, ==, 1);
    }
    g_ptr_array_unref(rx);
    h_check_arena(h);
    rx = h_sane_rx(h);
    g_assert_cmpuint(rx->len, ==, 0);
    g_ptr_array_unref(rx);
    h_check_arena(h);
    g_free(frame);
    h_stop(h);
}

static void test_rx_oversize_lpe_off(void)
{
    h_rx_big(E1000_RCTL_BSIZE_256, 256, 9000, H_MUST_DROP);
    h_rx_big(0, 2048, 1600, H_MUST_DROP);
}

static void test_rx_oversize_lpe_on(void)
{
    h_rx_big(E1000_RCTL_BSIZE_256 | E1000_RCTL_LPE, 256, 9000,
             H_MUST_SPLIT);
    /* Beyond the 16 KiB long-packet limit (SDM 13.4.22 LPE). */
    h_rx_big(E1000_RCTL_BSIZE_16K | E1000_RCTL_LPE, 16384, 20000,
             H_MUST_DROP);
}

static void test_rx_oversize_sbp(void)
{
    h_rx_big(E1000_RCTL_BSIZE_256 | E1000_RCTL_SBP, 256, 9000,
             H_DROP_OR_SPLIT);
    h_rx_big(E1000_RCTL_BSIZE_256 | E1000_RCTL_SBP | E1000_RCTL_LPE, 256,
             9000, H_DROP_OR_SPLIT);
}

/* A 64 KiB + header frame from the wire, LPE and SBP on: always dropped. */
static void test_rx_oversize_64k(void)
{
    h_rx_big(E1000_RCTL_BSIZE_16K | E1000_RCTL_LPE | E1000_RCTL_SBP, 16384,
             64 * 1024 + 14, H_MUST_DROP);
    h_rx_big(E1000_RCTL_BSIZE_256 | E1000_RCTL_LPE | E1000_RCTL_SBP, 256,
             64 * 1024 + 14, H_MUST_DROP);
}

/*
 * Invariant 8: a 9000-byte frame (LPE) with only 7 free 256-byte
 * descriptors. Whatever is written is the start of the frame, in order,
 * inside the posted buffers.
 */
static void test_rx_oversize_ring_short(void)
{
    Hostile *h = h_start();
    uint8_t frame[9000];
    GPtrArray *rx = h_frames_new();
    size_t off = 0;

    h_frame(frame, sizeof(frame), 81);
    memcpy(frame, h_mac, 6);
    h_rx_init(h, 8, 256, E1000_RCTL_BSIZE_256 | E1000_RCTL_LPE);
    qtest_wire_send(h->wire, frame, sizeof(frame));
    for (int i = 0; i < 10; i++) {
        qtest_clock_step(h->qts, 1000 * 1000);
        g_usleep(20 * 1000);
    }
    h_rx_scan(h, rx);
    g_assert_cmpuint(rx->len, <=, 7);
    for (guint i = 0; i < rx->len; i++) {
        GByteArray *f = g_ptr_array_index(rx, i);

        g_assert_cmpuint(off + f->len, <=, sizeof(frame));
        g_assert_cmpmem(f->data, f->len, frame + off, f->len);
        off += f->len;
    }
    g_test_message("%u descriptors written, %zu bytes; MPC %u RNBC %u",
                   rx->len, off, h_r(h, E1000_MPC), h_r(h, E1000_RNBC));
    g_ptr_array_unref(rx);
    h_check_arena(h);
    rx = h_sane_rx(h);
    g_assert_cmpuint(rx->len, ==, 0);
    g_ptr_array_unref(rx);
    h_check_arena(h);
    h_stop(h);
}

/* ---- class I: guest-reachable asserts ---- */

/*
 * Invariant 11 (bhyve's RDLEN/RDBAH asserts): ring registers rewritten
 * while RX and TX are enabled and frames arrive. No abort; writes land
 * only in posted buffers and descriptor status fields.
 */
static void test_regs_ring_while_enabled(void)
{
    static const struct {
        uint32_t reg, val;
    } writes[] = {
        { E1000_RDLEN, 0 }, { E1000_RDLEN, 0xffffffff }, { E1000_RDLEN, 8 },
        { E1000_RDLEN, 128 }, { E1000_RDBAH, 0xffffffff },
        { E1000_RDBAL, 0xfffffff0 }, { E1000_RDBAH, 0 },
        { E1000_TDLEN, 0xffffffff }, { E1000_TDBAH, 0xffffffff },
        { E1000_TDT, 3 }, { E1000_TDLEN, 0 }, { E1000_TDT, 5 },
    };
    Hostile *h = h_start();
    uint8_t *sent[1];
    uint8_t frame[300];
    uint8_t **tx;
    GPtrArray *rx;

    h_frame(frame, sizeof(frame), 90);
    memcpy(frame, h_mac, 6);
    sent[0] = frame;
    h_rx_init(h, 8, 2048, 0);
    h_tx_init(h, 8);
    tx = h_tx_fill(h, 8, 100);
    for (unsigned i = 0; i < G_N_ELEMENTS(writes); i++) {
        h_w(h, writes[i].reg, writes[i].val);
        qtest_wire_send(h->wire, frame, sizeof(frame));
        qtest_clock_step(h->qts, 1000 * 1000);
    }
    g_usleep(H_SETTLE_MS * 1000);
    g_assert_true(qtest_alive(h->qts));
    rx = h_frames_new();
    h_rx_scan(h, rx);
    h_check_frames_among(rx, sent, 1, sizeof(frame));
    g_ptr_array_unref(rx);
    h_check_arena(h);
    rx = h_sane_rx(h);
    h_check_frames_among(rx, sent, 1, sizeof(frame));
    g_ptr_array_unref(rx);
    rx = h_sane(h);
    h_check_frames_among(rx, tx, 8, 100);
    g_ptr_array_unref(rx);
    h_check_arena(h);
    h_expect_guest_error(h);
    h_bufs_free(tx);
    h_stop(h);
}

/*
 * Invariant 11 (bhyve's dtype == ntype assert): legacy and extended data
 * descriptors mixed inside one packet. No abort; the packet is dropped
 * or sent as exactly the guest's bytes.
 */
static void test_tx_mixed_desc(void)
{
    Hostile *h = h_start();
    uint8_t frame[200], d[16];
    uint8_t *frames[1] = { frame };
    uint64_t buf;
    GPtrArray *wire;
    bool dropped;

    h_frame(frame, sizeof(frame), 91);
    buf = h_put_buf(h, frame, sizeof(frame));
    h_tx_init(h, 8);
    h_txd_legacy(d, buf, 100, TXD_IFCS, 0, 0, 0);
    h_tx_push(h, d);
    h_txd_data(d, buf + 100, 100, TXD_EOP | TXD_IFCS | TXD_RS, 0, 0);
    h_tx_push(h, d);
    h_txd_data(d, buf, 100, TXD_IFCS, 0, 0);
    h_tx_push(h, d);
    h_txd_legacy(d, buf + 100, 100, TXD_EOP | TXD_IFCS | TXD_RS, 0, 0, 0);
    h_tx_push(h, d);
    h_tx_kick(h);
    g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
    wire = h_sane(h);
    g_assert_cmpuint(wire->len, <=, 2);
    h_check_frames_among(wire, frames, 1, sizeof(frame));
    dropped = wire->len < 2;
    g_ptr_array_unref(wire);
    h_check_arena(h);
    if (dropped) {
        h_expect_guest_error(h);
    }
    h_stop(h);
}

/* ---- class J: register-indexed state ---- */

/*
 * Invariant 10: MDIC with every PHY address and register index, reserved
 * opcodes and all-ones. Every operation completes (READY); reads of
 * absent PHYs are stable; writes to absent PHYs leave PHY 1 alone.
 */
static void test_index_mdic(void)
{
    static const unsigned stable[] = { 2, 3, 4, 9 };
    Hostile *h = h_start();
    uint16_t before[G_N_ELEMENTS(stable)];
    uint16_t first[32];

    h->phy_reset = true;
    for (unsigned i = 0; i < G_N_ELEMENTS(stable); i++) {
        before[i] = (uint16_t)h_mdic(h, E1000_MDIC_OP_READ, E1000_PHY_ADDR,
                                     stable[i], 0);
    }
    for (unsigned phy = 0; phy < 32; phy++) {
        if (phy == E1000_PHY_ADDR) {
            continue;
        }
        for (unsigned reg = 0; reg < 32; reg++) {
            first[reg] = (uint16_t)h_mdic(h, E1000_MDIC_OP_READ, phy, reg, 0);
            h_mdic(h, E1000_MDIC_OP_WRITE, phy, reg, 0xffff);
        }
        for (unsigned reg = 0; reg < 32; reg++) {
            g_assert_cmphex((uint16_t)h_mdic(h, E1000_MDIC_OP_READ, phy,
                                             reg, 0), ==, first[reg]);
        }
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(stable); i++) {
        g_assert_cmphex((uint16_t)h_mdic(h, E1000_MDIC_OP_READ,
                                         E1000_PHY_ADDR, stable[i], 0), ==,
                        before[i]);
    }
    /* PHY 1, every register, read then all-ones (BMCR last). */
    for (unsigned reg = 31; reg < 32; reg--) {
        h_mdic(h, E1000_MDIC_OP_READ, E1000_PHY_ADDR, reg, 0);
        h_mdic(h, E1000_MDIC_OP_WRITE, E1000_PHY_ADDR, reg, 0xffff);
    }
    /* Reserved opcodes 00b/11b and every bit set: no hang, no crash. */
    h_w(h, E1000_MDIC, 0xffffffff);
    h_r(h, E1000_MDIC);
    h_w(h, E1000_MDIC, 0x03ffffff);
    h_r(h, E1000_MDIC);
    h_w(h, E1000_MDIC, 0x0c000000 | 0x03ff0000);
    qtest_clock_step(h->qts, 1000 * 1000);
    h_r(h, E1000_MDIC);
    h_sane_nothing_sent(h);
    h_check_arena(h);
    h_expect_guest_error(h);
    h_stop(h);
}

/*
 * Invariant 10/7: EERD with every address the 8-bit field holds (the
 * 82540EM EEPROM has 64 words) and with all-ones. Reads complete and are
 * stable (nothing uninitialised); words 0-63 sum to 0xBABA (SDM 5.6.1).
 */
static void test_index_eerd(void)
{
    Hostile *h = h_start();
    uint16_t words[256];
    uint16_t sum = 0;

    for (unsigned a = 0; a < 256; a++) {
        words[a] = h_eerd(h, a);
    }
    for (unsigned a = 0; a < 64; a++) {
        sum += words[a];
    }
    g_assert_cmphex(sum, ==, 0xbaba);
    h_w(h, E1000_EERD, 0xffffffff);
    qtest_clock_step(h->qts, 1000 * 1000);
    h_r(h, E1000_EERD);
    h_w(h, E1000_EERD, 0xffffff01);
    qtest_clock_step(h->qts, 1000 * 1000);
    h_r(h, E1000_EERD);
    h_reset(h);
    for (unsigned a = 0; a < 256; a++) {
        g_assert_cmphex(h_eerd(h, a), ==, words[a]);
    }
    h_sane_nothing_sent(h);
    h_check_arena(h);
    h_expect_guest_error(h);
    h_stop(h);
}

/* ---- class J: every offset and width ---- */

/* Read and discard whatever the wire holds now. */
static unsigned h_wire_drain(Hostile *h)
{
    uint8_t *buf = g_malloc(H_WIRE_CAP);
    unsigned n = 0;

    while (qtest_wire_recv(h->wire, buf, H_WIRE_CAP, 0) >= 0) {
        n++;
    }
    g_free(buf);
    return n;
}

/*
 * Guest errors are rate-limited: at most LOG_GUEST_BURST (10, log.h)
 * lines per module per second, plus one "suppressed" summary each.
 */
static void h_check_rate_limited(Hostile *h, gint64 start_us)
{
    char *err = qtest_stderr(h->qts);
    gint64 secs = (g_get_monotonic_time() - start_us) / G_USEC_PER_SEC;
    unsigned lines = 0;

    for (char *p = err; (p = strstr(p, "e1000: guest error")); p++) {
        lines++;
    }
    g_test_message("%u guest error lines in %" G_GINT64_FORMAT " s", lines,
                   secs + 1);
    g_assert_cmpuint(lines, <=, 10 * (secs + 2));
    g_free(err);
}

/*
 * The register blocks the 82540EM defines (SDM Table 13-2): general,
 * interrupt and RX/TX control, PBA, the ring registers, statistics,
 * RXCSUM and the MTA/RA/VFTA arrays. Every dword of them gets every
 * width; the rest of BAR0 a 128-byte stride.
 */
static bool h_sweep_dense(uint32_t off)
{
    static const uint32_t blocks[][2] = {
        { 0x0000, 0x0200 }, { 0x0400, 0x0500 }, { 0x1000, 0x1010 },
        { 0x2800, 0x2840 }, { 0x3800, 0x3840 }, { 0x4000, 0x4100 },
        { 0x5000, 0x5010 }, { 0x5200, 0x5a00 },
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(blocks); i++) {
        if (off >= blocks[i][0] && off < blocks[i][1]) {
            return true;
        }
    }
    return false;
}

/*
 * Invariant 10: BAR0 swept with hostile values (all-ones, zero, random
 * with a fixed seed). Every aligned dword is written all-ones and random
 * and read back; 1-, 2-, 8-byte and unaligned accesses run at every byte
 * of the defined register blocks and on a 128-byte stride elsewhere; the
 * last bytes take accesses that run past the BAR; the whole BAR also
 * takes bulk (one command) 8-byte writes of all-ones, random and zero,
 * and reads. Then CTRL.RST must bring back a working device.
 */
static void test_sweep_bar0(void)
{
    Hostile *h = h_start();
    QTestState *s = h->qts;
    GRand *rnd = g_rand_new_with_seed(0x82540e);
    gint64 start = g_get_monotonic_time();
    uint8_t *bulk = g_malloc(H_BAR0_SIZE);
    uint64_t b = h->bar0;
    unsigned drained = 0;
    GPtrArray *frames;

    h->phy_reset = true;
    /* Zero at every dword comes from the bulk pass below. */
    for (uint32_t off = 0; off < H_BAR0_SIZE; off += 4) {
        qtest_writel(s, b + off, 0xffffffff);
        qtest_writel(s, b + off, g_rand_int(rnd));
        qtest_readl(s, b + off);
        if ((off & 0xfff) == 0) {
            drained += h_wire_drain(h);
        }
    }
    g_test_message("4-byte sweep: %.1f s",
                   (g_get_monotonic_time() - start) / 1e6);
    for (uint32_t off = 0; off < H_BAR0_SIZE;
         off += h_sweep_dense(off) ? 4 : 128) {
        for (unsigned k = 0; k < 4; k++) {
            uint64_t a = b + off + k;
            uint64_t r = (uint64_t)g_rand_int(rnd) << 32 | g_rand_int(rnd);

            qtest_writeb(s, a, (uint8_t)r);
            qtest_readb(s, a);
            qtest_writew(s, a, 0xffff);
            qtest_readw(s, a);
            if (k) {
                qtest_writel(s, a, (uint32_t)r);
                qtest_readl(s, a);
            }
            qtest_writeq(s, a, k & 1 ? r : ~0ull);
            qtest_readq(s, a);
        }
        if ((off & 0xfff) == 0) {
            drained += h_wire_drain(h);
        }
    }
    for (unsigned k = 1; k <= 8; k++) {
        uint64_t a = b + H_BAR0_SIZE - k;

        qtest_writeb(s, a, 0xff);
        qtest_writew(s, a, 0xffff);
        qtest_writel(s, a, 0xffffffff);
        qtest_writeq(s, a, ~0ull);
        qtest_readb(s, a);
        qtest_readw(s, a);
        qtest_readl(s, a);
        qtest_readq(s, a);
    }
    memset(bulk, 0xff, H_BAR0_SIZE);
    qtest_memwrite(s, b, bulk, H_BAR0_SIZE);
    qtest_memread(s, b, bulk, H_BAR0_SIZE);
    for (uint32_t i = 0; i < H_BAR0_SIZE; i++) {
        bulk[i] = (uint8_t)g_rand_int(rnd);
    }
    qtest_memwrite(s, b, bulk, H_BAR0_SIZE);
    qtest_memread(s, b, bulk, H_BAR0_SIZE);
    memset(bulk, 0, H_BAR0_SIZE);
    qtest_memwrite(s, b, bulk, H_BAR0_SIZE);
    drained += h_wire_drain(h);
    g_test_message("sweep: %.1f s, %u frames drained",
                   (g_get_monotonic_time() - start) / 1e6, drained);
    g_assert_true(qtest_alive(s));
    h_check_rate_limited(h, start);
    /* Sweep output was not guest frames; only the sentinel matters. */
    frames = h_sane(h);
    g_ptr_array_unref(frames);
    frames = h_sane_rx(h);
    g_assert_cmpuint(frames->len, ==, 0);
    g_ptr_array_unref(frames);
    g_free(bulk);
    g_rand_free(rnd);
    h_stop(h);
}

/*
 * Invariant 10: the I/O BAR swept at every offset and width, and the
 * IOADDR/IODATA window (SDM 13.2.2) with IOADDR beyond the 128 KiB
 * register space, unaligned, and all-ones. Afterwards the window still
 * reaches the right registers and the device works after CTRL.RST.
 */
static void test_sweep_io(void)
{
    static const uint32_t ioaddrs[] = {
        0x20000, 0x1fffc, 0x1fffd, 0x1ffff, 0x1fffe, 0x3, 0x80000,
        0x7ffffffc, 0x80000000, 0xfffffffc, 0xffffffff,
    };
    Hostile *h = h_start();
    QTestState *s = h->qts;
    GRand *rnd = g_rand_new_with_seed(0x8254);
    gint64 start = g_get_monotonic_time();
    uint64_t io = h->iobase;
    uint64_t iosize = h->dev->bar_size[1];
    GPtrArray *frames;

    h->phy_reset = true;
    g_assert_cmpuint(iosize, >=, 8);
    for (uint64_t off = 0; off < iosize; off++) {
        for (int v = 0; v < 3; v++) {
            uint32_t val = v == 0 ? 0xffffffff : v == 1 ? 0 : g_rand_int(rnd);

            qtest_outb(s, io + off, (uint8_t)val);
            qtest_inb(s, io + off);
            qtest_outw(s, io + off, (uint16_t)val);
            qtest_inw(s, io + off);
            qtest_outl(s, io + off, val);
            qtest_inl(s, io + off);
        }
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(ioaddrs) + 64; i++) {
        uint32_t a = i < G_N_ELEMENTS(ioaddrs) ? ioaddrs[i]
                                                : g_rand_int(rnd);

        qtest_outl(s, io + E1000_IOADDR, a);
        qtest_inl(s, io + E1000_IODATA);
        for (unsigned k = 0; k < 4; k++) {
            qtest_inb(s, io + E1000_IODATA + k);
            qtest_inw(s, io + E1000_IODATA + (k & 2));
        }
        qtest_outl(s, io + E1000_IODATA, 0xffffffff);
        qtest_outw(s, io + E1000_IODATA + 2, 0xffff);
        qtest_outb(s, io + E1000_IODATA + 3, 0xff);
        qtest_inl(s, io + E1000_IOADDR);
    }
    h_wire_drain(h);
    g_assert_true(qtest_alive(s));
    h_check_rate_limited(h, start);
    h_reset(h);
    qtest_outl(s, io + E1000_IOADDR, E1000_STATUS);
    g_assert_cmphex(qtest_inl(s, io + E1000_IODATA), ==,
                    h_r(h, E1000_STATUS));
    qtest_outl(s, io + E1000_IOADDR, E1000_MTA + 20);
    qtest_outl(s, io + E1000_IODATA, 0x5a5a1234);
    g_assert_cmphex(h_r(h, E1000_MTA + 20), ==, 0x5a5a1234);
    frames = h_sane(h);
    g_ptr_array_unref(frames);
    g_rand_free(rnd);
    h_stop(h);
}

/* ---- class E: padding and state left over across reset ---- */

/*
 * Invariant 7 (Etherleak, VU#412115): short frames, TX with and without
 * TCTL.PSP and RX from the wire. A frame is the guest's bytes, padded (if
 * at all) with zeros to 60; a short RX frame may instead be dropped as
 * undersized (SDM 13.7 RUC).
 */
static void test_pad_short_frames(void)
{
    static const size_t lens[] = { 14, 20, 42, 59 };
    Hostile *h = h_start();
    uint8_t *frames[G_N_ELEMENTS(lens)];
    GPtrArray *got;

    for (unsigned i = 0; i < G_N_ELEMENTS(lens); i++) {
        frames[i] = g_malloc(lens[i]);
        h_frame(frames[i], lens[i], 110 + i);
        memcpy(frames[i], h_mac, 6);
    }
    for (int psp = 0; psp < 2; psp++) {
        h_tx_init(h, 8);
        if (!psp) {
            h_w(h, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_CT |
                E1000_TCTL_COLD);
        }
        for (unsigned i = 0; i < G_N_ELEMENTS(lens); i++) {
            h_tx_frame(h, frames[i], lens[i]);
        }
        got = h_sane(h);
        g_assert_cmpuint(got->len, ==, G_N_ELEMENTS(lens));
        for (unsigned i = 0; i < G_N_ELEMENTS(lens); i++) {
            GByteArray *f = g_ptr_array_index(got, i);

            g_assert_true(h_frame_eq(f->data, f->len, frames[i], lens[i]));
        }
        g_ptr_array_unref(got);
    }
    h_rx_init(h, 16, 2048, 0);
    for (unsigned i = 0; i < G_N_ELEMENTS(lens); i++) {
        qtest_wire_send(h->wire, frames[i], lens[i]);
    }
    got = h_sane_rx(h);
    g_assert_cmpuint(got->len, <=, G_N_ELEMENTS(lens));
    for (guint i = 0; i < got->len; i++) {
        GByteArray *f = g_ptr_array_index(got, i);
        bool found = false;

        for (unsigned j = 0; j < G_N_ELEMENTS(lens) && !found; j++) {
            found = h_frame_eq(f->data, f->len, frames[j], lens[j]);
        }
        g_assert_true(found);
    }
    g_ptr_array_unref(got);
    h_check_arena(h);
    for (unsigned i = 0; i < G_N_ELEMENTS(lens); i++) {
        g_free(frames[i]);
    }
    h_stop(h);
}

/*
 * Invariant E ("device state is fully zeroed at reset"): a TSO context
 * (MSS 8) given before CTRL.RST must not segment a TSE packet sent after
 * it. The packet is dropped or sent as the guest's bytes, unsegmented.
 */
static void test_tso_stale_context(void)
{
    Hostile *h = h_start();
    uint8_t pkt[H_HDRLEN + 100], d[16];
    uint8_t *frames[1] = { pkt };
    GPtrArray *wire;
    bool dropped;

    h_tcp_header(pkt);
    h_pattern(pkt + H_HDRLEN, 100, 120);
    h_tx_init(h, 8);
    h_txd_ctx(d, 14, 24, 0, 34, 50, 0, 100, TXD_TSE | TUCMD_IP | TUCMD_TCP,
              H_HDRLEN, 8);
    h_tx_push(h, d);
    h_tx_kick(h);
    h_reset(h);
    h_tx_init(h, 8);
    h_txd_data(d, h_put_buf(h, pkt, sizeof(pkt)), sizeof(pkt),
               TXD_TSE | TXD_IFCS | TXD_EOP | TXD_RS, 0, 0);
    h_tx_push(h, d);
    h_tx_kick(h);
    g_assert_cmpuint(h_r(h, E1000_TDH), ==, h->tx_tail);
    wire = h_sane(h);
    g_assert_cmpuint(wire->len, <=, 1);
    h_check_frames_among(wire, frames, 1, sizeof(pkt));
    dropped = wire->len == 0;
    g_ptr_array_unref(wire);
    h_check_arena(h);
    if (dropped) {
        h_expect_guest_error(h);
    }
    h_stop(h);
}

/* ---- class G: guest-chosen timer periods ---- */

/*
 * Invariant G: interrupt throttling and delay timers (ITR, TIDV, TADV,
 * RDTR, RADV) at 0, 1 and their maxima, with every cause unmasked and
 * traffic both ways. No division by zero, no timer storm that stops
 * the clock from moving; all frames still delivered exactly.
 */
static void test_timers_extreme(void)
{
    static const uint32_t vals[] = { 0, 1, 0xffff, 0xffffffff };
    static const uint32_t regs[] = { E1000_ITR, E1000_TIDV, E1000_TADV,
                                     E1000_RDTR, E1000_RADV };
    Hostile *h = h_start();

    for (unsigned v = 0; v < G_N_ELEMENTS(vals); v++) {
        uint8_t *frames[4], s[H_SENTINEL_LEN];
        GPtrArray *got;
        uint8_t d[16];

        h_rx_init(h, 16, 2048, 0);
        h_tx_init(h, 8);
        for (unsigned r = 0; r < G_N_ELEMENTS(regs); r++) {
            h_w(h, regs[r], vals[v]);
        }
        h_w(h, E1000_IMS, 0xffffffff);
        for (unsigned i = 0; i < 4; i++) {
            frames[i] = g_malloc(128);
            h_frame(frames[i], 128, 130 + 4 * v + i);
            memcpy(frames[i], h_mac, 6);
            /* IDE: the write-back waits for TIDV/TADV (SDM 3.4.1). */
            h_txd_legacy(d, h_put_buf(h, frames[i], 128), 128,
                         TXD_EOP | TXD_IFCS | TXD_RS | TXD_IDE, 0, 0, 0);
            h_tx_push(h, d);
            qtest_wire_send(h->wire, frames[i], 128);
        }
        h_tx_kick(h);
        for (int i = 0; i < 20; i++) {
            qtest_clock_step(h->qts, 500 * 1000);
            qtest_get_irq(h->qts, H_IRQ);
            h_r(h, E1000_ICR);
        }
        /* RDTR/RADV delay the interrupt, not the write-back. */
        h_sentinel(h, s);
        got = h_rx_until(h, s, sizeof(s));
        g_assert_cmpuint(got->len, ==, 4);
        h_check_frames_among(got, frames, 4, 128);
        g_ptr_array_unref(got);
        got = h_sane(h);
        g_assert_cmpuint(got->len, ==, 4);
        h_check_frames_among(got, frames, 4, 128);
        g_ptr_array_unref(got);
        for (unsigned i = 0; i < 4; i++) {
            g_free(frames[i]);
        }
    }
    h_check_arena(h);
    h_stop(h);
}

/* ---- class H: teardown while busy ---- */

/*
 * Invariant 12 (the parts a qtest can reach): quit while the loopback
 * queue is full, TX is blocked on it, delay timers are armed and frames
 * wait on the wire. emunet must exit cleanly (status 0; under ASan that
 * also means no use-after-free or leak at teardown).
 */
static void test_teardown_busy(void)
{
    Hostile *h = h_start();
    uint8_t **frames;

    h_rx_init(h, 8, 2048, 0);
    h->phy_reset = true;
    h_mdic(h, E1000_MDIC_OP_WRITE, E1000_PHY_ADDR, MII_BMCR,
           BMCR_LOOPBACK | BMCR_FULLDPLX | BMCR_SPEED1000);
    h_w(h, E1000_ITR, 1000);
    h_w(h, E1000_TIDV, 100);
    h_w(h, E1000_TADV, 1000);
    h_w(h, E1000_RDTR, 100);
    h_w(h, E1000_IMS, 0xffffffff);
    h_tx_init(h, 16);
    frames = h_tx_fill(h, 16, 300);
    h_w(h, E1000_TDT, 15);
    for (unsigned i = 0; i < 4; i++) {
        qtest_wire_send(h->wire, frames[i], 300);
    }
    qtest_clock_step(h->qts, 50 * 1000);
    h_bufs_free(frames);
    h_stop(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/e1000/hostile/ring/tdlen-zero", test_ring_tdlen_zero);
    g_test_add_func("/e1000/hostile/ring/tdh-outside",
                    test_ring_tdh_outside);
    g_test_add_func("/e1000/hostile/ring/tdt-full", test_ring_tdt_full);
    g_test_add_func("/e1000/hostile/ring/rdh-outside",
                    test_ring_rdh_outside);
    g_test_add_func("/e1000/hostile/dma/tx-ring-in-bar",
                    test_dma_tx_ring_in_bar);
    g_test_add_func("/e1000/hostile/dma/tx-buf-in-bar",
                    test_dma_tx_buf_in_bar);
    g_test_add_func("/e1000/hostile/dma/rx-in-bar", test_dma_rx_in_bar);
    g_test_add_func("/e1000/hostile/tso/control", test_tso_control);
    g_test_add_func("/e1000/hostile/tso/mss-zero", test_tso_mss_zero);
    g_test_add_func("/e1000/hostile/tso/hdrlen-mss-overflow",
                    test_tso_hdrlen_mss_overflow);
    g_test_add_func("/e1000/hostile/tso/zelenyuk", test_tso_zelenyuk);
    g_test_add_func("/e1000/hostile/tso/zelenyuk-loopback",
                    test_tso_zelenyuk_lbm);
    g_test_add_func("/e1000/hostile/tso/ctx-mid-packet",
                    test_tso_ctx_mid_packet);
    g_test_add_func("/e1000/hostile/tx/empty-eop", test_tx_empty_eop);
    g_test_add_func("/e1000/hostile/tx/chain-no-eop", test_tx_chain_no_eop);
    g_test_add_func("/e1000/hostile/tx/chain-no-eop-loopback",
                    test_tx_chain_no_eop_loopback);
    g_test_add_func("/e1000/hostile/tso/mss-max-loopback",
                    test_tso_mss_max_loopback);
    g_test_add_func("/e1000/hostile/loopback/crc", test_loopback_crc);
    g_test_add_func("/e1000/hostile/csum/offsets", test_csum_offsets);
    g_test_add_func("/e1000/hostile/tso/hdrlen-vlan", test_tso_hdrlen_vlan);
    g_test_add_func("/e1000/hostile/loopback/ring-full",
                    test_loopback_ring_full);
    g_test_add_func("/e1000/hostile/loopback/rx-into-tx-ring",
                    test_loopback_rx_into_tx_ring);
    g_test_add_func("/e1000/hostile/rx/oversize-lpe-off",
                    test_rx_oversize_lpe_off);
    g_test_add_func("/e1000/hostile/rx/oversize-lpe-on",
                    test_rx_oversize_lpe_on);
    g_test_add_func("/e1000/hostile/rx/oversize-sbp", test_rx_oversize_sbp);
    g_test_add_func("/e1000/hostile/rx/oversize-64k", test_rx_oversize_64k);
    g_test_add_func("/e1000/hostile/rx/oversize-ring-short",
                    test_rx_oversize_ring_short);
    g_test_add_func("/e1000/hostile/regs/ring-while-enabled",
                    test_regs_ring_while_enabled);
    g_test_add_func("/e1000/hostile/tx/mixed-desc", test_tx_mixed_desc);
    g_test_add_func("/e1000/hostile/index/mdic", test_index_mdic);
    g_test_add_func("/e1000/hostile/index/eerd", test_index_eerd);
    g_test_add_func("/e1000/hostile/sweep/bar0", test_sweep_bar0);
    g_test_add_func("/e1000/hostile/sweep/io", test_sweep_io);
    g_test_add_func("/e1000/hostile/pad/short-frames",
                    test_pad_short_frames);
    g_test_add_func("/e1000/hostile/tso/stale-context",
                    test_tso_stale_context);
    g_test_add_func("/e1000/hostile/timers/extreme", test_timers_extreme);
    g_test_add_func("/e1000/hostile/teardown/busy", test_teardown_busy);
    return g_test_run();
}
