/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rtl: a small RTL8139 / RTL8139C+ driver for the benchmark (see rtl.h),
 * written from the RTL8139C(L) and RTL8139C(L)+ data sheets and what
 * Linux's 8139too and 8139cp do:
 *  - C mode TX: the four TSD/TSAD slots round robin, one TSD write per
 *    frame (as the hardware requires), completion read from TSAD (the
 *    summary of all four slots) once per round of four;
 *  - C mode RX: a 32 KiB ring with RCR.WRAP (packets run on past the end,
 *    as 8139too sets it), headers polled in RAM, CAPR written in batches;
 *  - C+ TX: the 64-descriptor normal priority ring, up to 32 descriptors
 *    per TPPoll write, completion seen as OWN cleared in RAM;
 *  - C+ RX: the 64-descriptor ring, each descriptor handed back (OWN)
 *    once the next one is seen complete (8139cp: at once; see
 *    rtl_cp_rx_give); no register access at all.
 *
 * Descriptors and headers are little-endian; like the device models under
 * test, the benchmark runs on an x86 host and stores them natively.
 */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "rtl.h"

/* Registers (RTL8139C(L)+ data sheet, section 6). */
#define REG_IDR0 0x00
#define REG_TSD0 0x10
#define REG_TSAD0 0x20 /* C+: TNPDS */
#define REG_THPDS 0x28
#define REG_RBSTART 0x30
#define REG_CR 0x37
#define REG_CAPR 0x38
#define REG_CBR 0x3a
#define REG_IMR 0x3c
#define REG_ISR 0x3e
#define REG_TCR 0x40
#define REG_RCR 0x44
#define REG_TSAD 0x60 /* transmit status of all descriptors */
#define REG_BMSR 0x64
#define REG_TPPOLL 0xd9
#define REG_CPCMD 0xe0
#define REG_RDSAR 0xe4

#define CR_RST 0x10
#define CR_RE 0x08
#define CR_TE 0x04
#define BMSR_LINK 0x0004
/* RCR: 32 KiB ring, WRAP, RXFTH none, MXDMA unlimited, APM and AB. */
#define RCR_RBLEN_32K (2u << 11)
#define RCR_WRAP (1u << 7)
#define RCR_RXFTH_NONE (7u << 13)
#define RCR_MXDMA_UNLIM (7u << 8)
#define RCR_AB (1u << 3)
#define RCR_APM (1u << 1)
/* TCR: IFG 96 bit times, MXDMA 1024 bytes (8139too, 8139cp). */
#define TCR_IFG96 (3u << 24)
#define TCR_MXDMA_1024 (6u << 8)
/* TSD: early TX threshold 256 bytes (8139too's tx_flag), size. */
#define TSD_ERTXTH_256 (8u << 16)
/* TSAD: per slot i, TOK is bit 12 + i, TABT 4 + i, OWN i. */
#define TSAD_TOK(i) (1u << (12 + (i)))
#define TSAD_TABT(i) (1u << (4 + (i)))
#define TSAD_OWN(i) (1u << (i))
#define CPCMD_RXCHKSUM 0x0020
#define CPCMD_MULRW 0x0008
#define CPCMD_CPRX 0x0002
#define CPCMD_CPTX 0x0001
#define TPPOLL_NPQ 0x40
/* C mode RX header: ROK and PAM in the status half. */
#define RXH_ROK 0x0001
#define RXH_PAM 0x4000

/* C+ descriptors (dw0), shared layout with the RTL8169. */
#define DESC_OWN 0x80000000u
#define DESC_EOR 0x40000000u
#define DESC_FS 0x20000000u
#define DESC_LS 0x10000000u
#define TXD_LGSEN 0x08000000u
#define TXD_MSS_SHIFT 16
#define RXD_RES 0x00100000u
#define RXD_LEN_MASK 0x00001fffu
/* 8139cp's receive buffer size (PKT_BUF_SZ). */
#define CP_RX_BUF_SIZE 1536

/* PCI config. */
#define PCI_COMMAND 0x04
#define PCI_BAR1 0x14
#define PCI_CMD_MEM 0x0002
#define PCI_CMD_MASTER 0x0004

/*
 * Guest-physical layout, well inside 128 MiB RAM and clear of what
 * SeaBIOS uses. BAR1 (256 bytes) sits in the PC's PCI hole.
 */
#define RTL_MMIO 0xfeb81000ull
#define GPA_CP_RX_RING 0x02000000ull
#define GPA_CP_TX_RING 0x02001000ull
#define GPA_C_TX_BUF 0x02010000ull
#define GPA_C_RX_RING 0x02100000ull
#define GPA_CP_TX_BUF 0x02200000ull
#define GPA_CP_RX_BUF 0x02300000ull
#define GPA_LSO_BUF 0x02400000ull
#define BUF_SIZE 2048
#define LSO_AREAS 4
/* The C mode ring, and the slack WRAP lets a last packet run into. */
#define C_RX_RING 32768u
#define C_RX_SLACK (16u + BUF_SIZE)
#define C_RX_MIN_FRAME 60

/* No progress for this long: the device model is declared stuck. */
#define RTL_STALL_S 5.0
/* As nic.c: completed TX frames not yet seen on the wire, at most. */
#define RTL_WIRE_INFLIGHT 2048
/*
 * C mode TX: far fewer, so that the netdev socket never fills. emunet's
 * backend then answers BUSY, the slot stays armed, and every TSAD read
 * until it drains would be a qtest round trip charged to emunet (QEMU
 * queues up to 10000 frames instead and is never asked twice).
 */
#define RTL_C_TX_INFLIGHT 64
/* C mode TX: a slot not sent yet is asked about again this much later. */
#define RTL_C_TX_REPOLL_S 100e-6
#define RTL_WIRE_WAIT_S 2.0
/*
 * C+ RX: raise the feeder's credit once this many descriptors went back
 * (half the ring, as the e1000 rows refill half of theirs per RDT write).
 */
#define RTL_CP_RX_CREDIT_STEP (RTL_CP_RING / 2)

typedef struct RtlDesc {
    uint32_t dw0;
    uint32_t dw1;
    uint64_t addr;
} RtlDesc;

_Static_assert(sizeof(RtlDesc) == 16, "C+ descriptor size");
_Static_assert(RTL_LSO_DESCS * 2 <= RTL_CP_BATCH, "two sends fit a batch");

static const uint8_t rtl_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t rtl_peer_mac[6] = {0x52, 0x54, 0x00, 0xbe, 0x4c, 0x01};

static uint8_t *rtl_gpa(Rtl *rtl, uint64_t gpa)
{
    return rtl->dm->ram + gpa;
}

static RtlDesc *rtl_cp_txd(Rtl *rtl, unsigned i)
{
    return (RtlDesc *)rtl_gpa(rtl, GPA_CP_TX_RING) + i;
}

static RtlDesc *rtl_cp_rxd(Rtl *rtl, unsigned i)
{
    return (RtlDesc *)rtl_gpa(rtl, GPA_CP_RX_RING) + i;
}

static int rtl_wr8(Rtl *rtl, unsigned reg, uint8_t val)
{
    return qtc_writeb(&rtl->dm->qt, rtl->mmio + reg, val);
}

static int rtl_wr16(Rtl *rtl, unsigned reg, uint16_t val)
{
    return qtc_writew(&rtl->dm->qt, rtl->mmio + reg, val);
}

static int rtl_wr32(Rtl *rtl, unsigned reg, uint32_t val)
{
    return qtc_writel(&rtl->dm->qt, rtl->mmio + reg, val);
}

static int rtl_rd8(Rtl *rtl, unsigned reg, uint8_t *val)
{
    return qtc_readb(&rtl->dm->qt, rtl->mmio + reg, val);
}

static int rtl_rd16(Rtl *rtl, unsigned reg, uint16_t *val)
{
    return qtc_readw(&rtl->dm->qt, rtl->mmio + reg, val);
}

/* Back off politely while polling shared RAM (two CPUs are common). */
static void rtl_relax(unsigned *spins)
{
    if (++*spins < 128) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    } else {
        sched_yield();
    }
}

/* True once nothing has moved for RTL_STALL_S since *since was set. */
static bool rtl_stalled_now(double *since)
{
    if (*since == 0) {
        *since = dm_now();
        return false;
    }
    return dm_now() - *since > RTL_STALL_S;
}

/* The same, looked at once per 1024 spins of a polling loop. */
static bool rtl_stalled(unsigned spins, double *since)
{
    return (spins & 1023) == 0 && rtl_stalled_now(since);
}

static uint16_t rtl_csum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;

    for (size_t i = 0; i + 1 < n; i += 2) {
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    }
    if (n & 1) {
        sum += (uint32_t)p[n - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)sum;
}

static void rtl_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/*
 * An Ethernet/IPv4 frame of `len` bytes, UDP (no UDP checksum, as the
 * e1000 rows send) or TCP (PSH|ACK; the NIC computes every segment's
 * checksums in a large send). The same frames as nic.c's.
 */
static void rtl_build_frame(uint8_t *f, unsigned len, bool tcp,
                            const uint8_t *dst, const uint8_t *src)
{
    uint8_t *ip = f + 14;
    uint8_t *l4 = ip + 20;
    unsigned iplen = len - 14;

    for (unsigned i = 0; i < len; i++) {
        f[i] = (uint8_t)(i * 7 + 1);
    }
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    rtl_put16(f + 12, 0x0800);
    memset(ip, 0, 20);
    ip[0] = 0x45;
    rtl_put16(ip + 2, (uint16_t)iplen);
    ip[8] = 64;
    ip[9] = tcp ? 6 : 17;
    memcpy(ip + 12, (const uint8_t[]){10, 0, 2, 15}, 4);
    memcpy(ip + 16, (const uint8_t[]){10, 0, 2, 2}, 4);
    rtl_put16(ip + 10, (uint16_t)~rtl_csum(ip, 20));
    if (!tcp) {
        rtl_put16(l4, 5555);
        rtl_put16(l4 + 2, 9);
        rtl_put16(l4 + 4, (uint16_t)(iplen - 20));
        rtl_put16(l4 + 6, 0);
        return;
    }
    memset(l4, 0, 20);
    rtl_put16(l4, 5555);
    rtl_put16(l4 + 2, 5001);
    l4[12] = 5 << 4;
    l4[13] = 0x18; /* PSH, ACK */
    rtl_put16(l4 + 14, 0xffff);
}

static int rtl_pci_setup(Rtl *rtl)
{
    Qtc *q = &rtl->dm->qt;
    uint32_t bar = 0, cmd = 0;

    /* What firmware (QEMU's SeaBIOS; emunet has none) left, for the log. */
    if (qtc_cfg_readl(q, DM_NIC_DEVFN, PCI_BAR1, &bar) < 0 ||
        qtc_cfg_readl(q, DM_NIC_DEVFN, PCI_COMMAND, &cmd) < 0) {
        return -1;
    }
    fprintf(stderr, "%s: rtl8139 found with BAR1 0x%08x, COMMAND 0x%04x\n",
            rtl->dm->name, bar, cmd & 0xffff);
    if (qtc_cfg_writel(q, DM_NIC_DEVFN, PCI_COMMAND, 0) < 0 ||
        qtc_cfg_writel(q, DM_NIC_DEVFN, PCI_BAR1, (uint32_t)RTL_MMIO) < 0 ||
        qtc_cfg_readl(q, DM_NIC_DEVFN, PCI_BAR1, &bar) < 0 ||
        qtc_cfg_writel(q, DM_NIC_DEVFN, PCI_COMMAND,
                       PCI_CMD_MEM | PCI_CMD_MASTER) < 0) {
        return -1;
    }
    if ((bar & ~0xfu) != RTL_MMIO) {
        fprintf(stderr, "%s: BAR1 reads 0x%08x after writing 0x%08llx\n",
                rtl->dm->name, bar, RTL_MMIO);
        return -1;
    }
    rtl->mmio = RTL_MMIO;
    return 0;
}

/* CR.RST, wait for it to clear, mask and acknowledge every interrupt. */
static int rtl_reset(Rtl *rtl)
{
    uint8_t cr = CR_RST;

    if (rtl_wr8(rtl, REG_CR, CR_RST) < 0) {
        return -1;
    }
    for (int i = 0; i < 1000 && (cr & CR_RST); i++) {
        if (rtl_rd8(rtl, REG_CR, &cr) < 0) {
            return -1;
        }
    }
    if (cr & CR_RST) {
        fprintf(stderr, "%s: CR.RST does not clear\n", rtl->dm->name);
        return -1;
    }
    if (rtl_wr16(rtl, REG_IMR, 0) < 0 || rtl_wr16(rtl, REG_ISR, 0xffff) < 0) {
        return -1;
    }
    return 0;
}

/*
 * C mode, as 8139too's rtl8139_hw_start: RX ring address, RX and TX on,
 * then RCR and TCR (QEMU ignores TCR while TX is off), TX slot buffers.
 */
static int rtl_setup_c(Rtl *rtl)
{
    static uint8_t frame[1514];

    rtl_build_frame(frame, sizeof(frame), false, rtl_peer_mac, rtl_mac);
    for (unsigned i = 0; i < 4; i++) {
        memcpy(rtl_gpa(rtl, GPA_C_TX_BUF + i * BUF_SIZE), frame, sizeof(frame));
    }
    memset(rtl_gpa(rtl, GPA_C_RX_RING), 0, C_RX_RING + C_RX_SLACK);
    rtl->tx_slot = 0;
    rtl->rx_off = rtl->rx_rel = 0;
    rtl->rx_have_last = false;
    if (rtl_reset(rtl) < 0 ||
        rtl_wr32(rtl, REG_RBSTART, (uint32_t)GPA_C_RX_RING) < 0 ||
        rtl_wr8(rtl, REG_CR, CR_RE | CR_TE) < 0 ||
        rtl_wr32(rtl, REG_RCR,
                 RCR_RBLEN_32K | RCR_WRAP | RCR_RXFTH_NONE | RCR_MXDMA_UNLIM |
                     RCR_AB | RCR_APM) < 0 ||
        rtl_wr32(rtl, REG_TCR, TCR_IFG96 | TCR_MXDMA_1024) < 0) {
        return -1;
    }
    for (unsigned i = 0; i < 4; i++) {
        if (rtl_wr32(rtl, REG_TSAD0 + 4 * i,
                     (uint32_t)(GPA_C_TX_BUF + i * BUF_SIZE)) < 0) {
            return -1;
        }
    }
    return 0;
}

/*
 * C+ mode, as 8139cp's cp_init_hw/cp_start_hw: CpCmd first, then the
 * ring addresses, RX and TX on, RCR and TCR. Every RX descriptor is
 * handed to the NIC; the TX ring starts empty.
 */
static int rtl_setup_cplus(Rtl *rtl)
{
    static uint8_t frame[1514];
    static uint8_t lso[RTL_LSO_LEN];

    rtl_build_frame(frame, sizeof(frame), false, rtl_peer_mac, rtl_mac);
    for (unsigned i = 0; i < RTL_CP_RING; i++) {
        memcpy(rtl_gpa(rtl, GPA_CP_TX_BUF + i * BUF_SIZE), frame,
               sizeof(frame));
    }
    rtl_build_frame(lso, sizeof(lso), true, rtl_peer_mac, rtl_mac);
    for (unsigned i = 0; i < LSO_AREAS; i++) {
        memcpy(rtl_gpa(rtl, GPA_LSO_BUF + i * 65536ull), lso, sizeof(lso));
    }
    memset(rtl_cp_txd(rtl, 0), 0, RTL_CP_RING * sizeof(RtlDesc));
    for (unsigned i = 0; i < RTL_CP_RING; i++) {
        RtlDesc *d = rtl_cp_rxd(rtl, i);

        d->dw1 = 0;
        d->addr = GPA_CP_RX_BUF + i * BUF_SIZE;
        d->dw0 =
            DESC_OWN | (i == RTL_CP_RING - 1 ? DESC_EOR : 0) | CP_RX_BUF_SIZE;
    }
    rtl->cp_tx_tail = rtl->cp_tx_clean = rtl->cp_tx_used = 0;
    rtl->cp_rx_next = 0;
    rtl->cp_rx_dirty = -1;
    rtl->rx_given = RTL_CP_RING;
    rtl->rx_fed = 0;
    if (rtl_reset(rtl) < 0 ||
        rtl_wr16(rtl, REG_CPCMD,
                 CPCMD_MULRW | CPCMD_RXCHKSUM | CPCMD_CPRX | CPCMD_CPTX) < 0 ||
        rtl_wr32(rtl, REG_THPDS, 0) < 0 ||
        rtl_wr32(rtl, REG_THPDS + 4, 0) < 0 ||
        rtl_wr32(rtl, REG_RDSAR, (uint32_t)GPA_CP_RX_RING) < 0 ||
        rtl_wr32(rtl, REG_RDSAR + 4, 0) < 0 ||
        rtl_wr32(rtl, REG_TSAD0, (uint32_t)GPA_CP_TX_RING) < 0 ||
        rtl_wr32(rtl, REG_TSAD0 + 4, 0) < 0 ||
        rtl_wr8(rtl, REG_CR, CR_RE | CR_TE) < 0 ||
        rtl_wr32(rtl, REG_RCR,
                 RCR_RXFTH_NONE | RCR_MXDMA_UNLIM | RCR_AB | RCR_APM) < 0 ||
        rtl_wr32(rtl, REG_TCR, TCR_IFG96 | TCR_MXDMA_1024) < 0) {
        return -1;
    }
    return 0;
}

static int rtl_enter(Rtl *rtl, RtlMode mode)
{
    int r;

    if (rtl->mode == mode) {
        return 0;
    }
    r = mode == RTL_MODE_C ? rtl_setup_c(rtl) : rtl_setup_cplus(rtl);
    if (r < 0) {
        fprintf(stderr, "%s: rtl8139 %s setup failed\n", rtl->dm->name,
                mode == RTL_MODE_C ? "C mode" : "C+ mode");
        rtl->mode = RTL_MODE_NONE;
        return -1;
    }
    rtl->mode = mode;
    return 0;
}

int rtl_setup(Rtl *rtl, Dm *dm)
{
    uint16_t bmsr = 0;
    uint8_t mac[6];

    memset(rtl, 0, sizeof(*rtl));
    rtl->dm = dm;
    if (rtl_pci_setup(rtl) < 0 || rtl_enter(rtl, RTL_MODE_C) < 0 ||
        rtl_rd16(rtl, REG_BMSR, &bmsr) < 0) {
        fprintf(stderr, "%s: rtl8139 setup failed\n", dm->name);
        return -1;
    }
    for (unsigned i = 0; i < 6; i++) {
        if (rtl_rd8(rtl, REG_IDR0 + i, &mac[i]) < 0) {
            return -1;
        }
    }
    if (memcmp(mac, rtl_mac, 6) != 0) {
        fprintf(stderr, "%s: IDR0-5 is not %s\n", dm->name, DM_NIC_MAC);
        return -1;
    }
    if (!(bmsr & BMSR_LINK)) {
        fprintf(stderr, "%s: warning: link down (BMSR 0x%04x)\n", dm->name,
                bmsr);
    }
    return 0;
}

/* Wait until the wire has every frame, or nothing came for a while. */
static void rtl_wire_wait(Rtl *rtl, uint64_t f0, uint64_t want)
{
    Wire *w = &rtl->dm->wire;
    double last = dm_now();
    unsigned spins = 0;

    while (wire_frames(w) - f0 < want && dm_now() - last < RTL_WIRE_WAIT_S) {
        uint64_t f = wire_frames(w);

        rtl_relax(&spins);
        if (wire_frames(w) != f) {
            last = dm_now();
        }
    }
}

/* Fill in what a TX run saw on the wire. */
static void rtl_tx_account(Rtl *rtl, NicRun *run, uint64_t f0, uint64_t b0,
                           uint64_t want_frames, uint64_t want_bytes)
{
    Wire *w = &rtl->dm->wire;

    run->frames = wire_frames(w) - f0;
    run->bytes = wire_bytes(w) - b0;
    run->lost = run->frames < want_frames ? want_frames - run->frames : 0;
    run->bad = run->bytes != want_bytes && !run->lost;
}

/* ---- C mode TX ---- */

/* Wait (at most max_s) for the wire to see another frame. */
static void rtl_wire_settle(Rtl *rtl, double max_s)
{
    Wire *w = &rtl->dm->wire;
    uint64_t f = wire_frames(w);
    double t0 = dm_now();
    unsigned spins = 0;

    while (wire_frames(w) == f && dm_now() - t0 < max_s) {
        rtl_relax(&spins);
    }
}

/* Wait for TSAD to show `n` slots from `first` sent (OWN and TOK). */
static int rtl_c_tx_wait(Rtl *rtl, unsigned first, unsigned n)
{
    uint32_t want = 0, abort = 0;
    double since = 0;

    for (unsigned i = 0; i < n; i++) {
        unsigned s = (first + i) % 4;

        want |= TSAD_OWN(s) | TSAD_TOK(s);
        abort |= TSAD_TABT(s);
    }
    for (;;) {
        uint16_t tsad;

        if (rtl_rd16(rtl, REG_TSAD, &tsad) < 0) {
            return -1;
        }
        if (tsad & abort) {
            fprintf(stderr, "%s: C mode TX aborted (TSAD 0x%04x)\n",
                    rtl->dm->name, tsad);
            return -1;
        }
        if ((tsad & want) == want) {
            return 0;
        }
        rtl_wire_settle(rtl, RTL_C_TX_REPOLL_S);
        if (rtl_stalled_now(&since)) {
            fprintf(stderr, "%s: C mode TX stalled (TSAD 0x%04x)\n",
                    rtl->dm->name, tsad);
            return -1;
        }
    }
}

static int rtl_c_tx_run(Rtl *rtl, unsigned len, uint64_t count, NicRun *run)
{
    Wire *w = &rtl->dm->wire;
    uint64_t f0 = wire_frames(w), b0 = wire_bytes(w);
    uint64_t sent = 0, c0, c1;
    unsigned spins = 0;
    double t0, since = 0;

    if (dm_cpu_ticks(rtl->dm, &c0) < 0) {
        return -1;
    }
    t0 = dm_now();
    while (sent < count) {
        unsigned first = rtl->tx_slot;
        unsigned k = count - sent < 4 ? (unsigned)(count - sent) : 4;

        if (sent > wire_frames(w) - f0 + RTL_C_TX_INFLIGHT) {
            rtl_relax(&spins);
            if (rtl_stalled(spins, &since)) {
                fprintf(stderr, "%s: C mode TX: wire stalled\n", rtl->dm->name);
                return -1;
            }
            continue;
        }
        spins = 0;
        since = 0;
        /* Writing TSD with OWN clear hands the slot over (6.2). */
        for (unsigned i = 0; i < k; i++) {
            if (rtl_wr32(rtl, REG_TSD0 + 4 * rtl->tx_slot,
                         TSD_ERTXTH_256 | len) < 0) {
                return -1;
            }
            rtl->tx_slot = (rtl->tx_slot + 1) % 4;
        }
        if (rtl_c_tx_wait(rtl, first, k) < 0) {
            return -1;
        }
        sent += k;
    }
    rtl_wire_wait(rtl, f0, count);
    run->wall_s = dm_now() - t0;
    if (dm_cpu_ticks(rtl->dm, &c1) < 0) {
        return -1;
    }
    run->pkts = count;
    run->ticks = c1 - c0;
    rtl_tx_account(rtl, run, f0, b0, count, count * len);
    return 0;
}

/* ---- C mode RX ---- */

/* Bytes a packet of `len` (without FCS) takes in the ring: header+FCS. */
static unsigned rtl_c_rx_need(unsigned len)
{
    unsigned l = len < C_RX_MIN_FRAME ? C_RX_MIN_FRAME : len;

    return (4 + l + 4 + 3) & ~3u;
}

/*
 * Packets the ring holds, empty, before a device model refuses or drops
 * one: both take the k+1st with k unread when (k+1) * need < ring (QEMU
 * 7.2 drops once len + 8 >= free space, emunet holds back once
 * need >= free space). The feeder never has more in flight.
 */
static uint64_t rtl_c_rx_capacity(unsigned len)
{
    return (C_RX_RING - 1) / rtl_c_rx_need(len);
}

/*
 * Give the ring up to the last packet seen back to the NIC (CAPR is the
 * read pointer - 16, as 8139too writes it). That packet itself is kept
 * until a later one shows it complete.
 */
static int rtl_c_rx_release(Rtl *rtl)
{
    unsigned rel = rtl->rx_have_last ? rtl->rx_last : rtl->rx_off;

    if (rel == rtl->rx_rel) {
        return 0;
    }
    rtl->rx_rel = rel;
    return rtl_wr16(rtl, REG_CAPR, (uint16_t)(rel - 16));
}

/*
 * Packet `start` (`need` bytes) is complete: a later one has been seen,
 * and the NIC stores packets in order. Zero its bytes (past the ring end
 * too, where WRAP let it run), so that a header polled there later is
 * the NIC's and not stale data, before its space goes back to the NIC.
 */
static void rtl_c_rx_retire(Rtl *rtl, unsigned start, unsigned need)
{
    memset(rtl_gpa(rtl, GPA_C_RX_RING + start), 0, need);
}

/* The header at rx_off, if the NIC has written one there. */
static bool rtl_c_rx_peek(Rtl *rtl, uint32_t *hdr)
{
    uint32_t *p = (uint32_t *)rtl_gpa(rtl, GPA_C_RX_RING + rtl->rx_off);

    *hdr = __atomic_load_n(p, __ATOMIC_ACQUIRE);
    return *hdr != 0;
}

/*
 * After a run: wait until the NIC's write pointer (CBR) shows the last
 * packet complete, then give the whole ring back, so the next run starts
 * with it empty. Not timed.
 */
static int rtl_c_rx_drain(Rtl *rtl)
{
    unsigned spins = 0;
    double since = 0;
    uint16_t cbr = 0;

    while (rtl->rx_have_last) {
        if (rtl_rd16(rtl, REG_CBR, &cbr) < 0) {
            return -1;
        }
        if (cbr == rtl->rx_off) {
            rtl_c_rx_retire(rtl, rtl->rx_last, rtl->rx_last_need);
            rtl->rx_have_last = false;
            break;
        }
        rtl_relax(&spins);
        if (rtl_stalled(spins, &since)) {
            fprintf(stderr, "%s: C mode RX: CBR 0x%04x, expected 0x%04x\n",
                    rtl->dm->name, cbr, rtl->rx_off);
            return -1;
        }
    }
    return rtl_c_rx_release(rtl);
}

/* Stop feeding after a failure; the DM is killed so no send blocks. */
static int rtl_rx_abort(Rtl *rtl, WireFeed *feed)
{
    dm_kill(rtl->dm);
    wire_feed_join(feed, true);
    return -1;
}

/* One header: check it, step over its packet, retire the one before. */
static void rtl_c_rx_take(Rtl *rtl, uint32_t hdr, unsigned len, NicRun *run)
{
    unsigned need = rtl_c_rx_need(len);
    unsigned want_len = (len < C_RX_MIN_FRAME ? C_RX_MIN_FRAME : len) + 4;

    if (!(hdr & RXH_ROK) || !(hdr & RXH_PAM) || (hdr >> 16) != want_len) {
        run->bad++;
    }
    if (rtl->rx_have_last) {
        rtl_c_rx_retire(rtl, rtl->rx_last, rtl->rx_last_need);
    }
    rtl->rx_last = rtl->rx_off;
    rtl->rx_last_need = need;
    rtl->rx_have_last = true;
    rtl->rx_off = (rtl->rx_off + need) % C_RX_RING;
}

static int rtl_c_rx_run(Rtl *rtl, unsigned len, uint64_t count, NicRun *run)
{
    static uint8_t frame[BUF_SIZE];
    uint64_t cap = rtl_c_rx_capacity(len);
    uint64_t batch = cap / 2 < NIC_BATCH ? cap / 2 : NIC_BATCH;
    uint64_t got = 0, released = 0, c0, c1;
    unsigned spins = 0;
    double t0, since = 0;
    WireFeed feed;

    rtl_build_frame(frame, len, false, rtl_mac, rtl_peer_mac);
    batch = batch ? batch : 1;
    if (dm_cpu_ticks(rtl->dm, &c0) < 0) {
        return -1;
    }
    t0 = dm_now();
    if (wire_feed_start(&feed, rtl->dm->net_fd, frame, len, count, cap) < 0) {
        return -1;
    }
    while (got < count) {
        uint32_t hdr;

        if (!rtl_c_rx_peek(rtl, &hdr)) {
            rtl_relax(&spins);
            if (rtl_stalled(spins, &since)) {
                fprintf(stderr,
                        "%s: C mode RX stalled after %llu of %llu "
                        "(offset 0x%x, released 0x%x, fed %llu)\n",
                        rtl->dm->name, (unsigned long long)got,
                        (unsigned long long)count, rtl->rx_off, rtl->rx_rel,
                        (unsigned long long)feed.written);
                return rtl_rx_abort(rtl, &feed);
            }
            continue;
        }
        spins = 0;
        since = 0;
        rtl_c_rx_take(rtl, hdr, len, run);
        got++;
        /* All but the last packet seen are complete and retired. */
        if (got - 1 - released >= batch || got == count) {
            if (rtl_c_rx_release(rtl) < 0) {
                return rtl_rx_abort(rtl, &feed);
            }
            released = got - 1;
            wire_feed_credit(&feed, released + cap);
        }
    }
    run->wall_s = dm_now() - t0;
    if (dm_cpu_ticks(rtl->dm, &c1) < 0) {
        return rtl_rx_abort(rtl, &feed);
    }
    run->pkts = count;
    run->frames = got;
    run->bytes = got * len;
    run->ticks = c1 - c0;
    if (wire_feed_join(&feed, false) < 0 || rtl_c_rx_drain(rtl) < 0) {
        return -1;
    }
    return 0;
}

/* ---- C+ TX ---- */

/* Fill slot `s` (dw0 last: OWN hands it over), EOR on the ring's end. */
static void rtl_cp_tx_put(Rtl *rtl, unsigned s, uint64_t addr, uint32_t cmd)
{
    RtlDesc *d = rtl_cp_txd(rtl, s);

    d->dw1 = 0;
    d->addr = addr;
    if (s == RTL_CP_RING - 1) {
        cmd |= DESC_EOR;
    }
    __atomic_store_n(&d->dw0, cmd | DESC_OWN, __ATOMIC_RELEASE);
}

static void rtl_cp_tx_put_frame(Rtl *rtl, unsigned len)
{
    unsigned s = rtl->cp_tx_tail;

    rtl_cp_tx_put(rtl, s, GPA_CP_TX_BUF + s * BUF_SIZE,
                  DESC_FS | DESC_LS | len);
    rtl->cp_tx_last[s] = (uint8_t)s;
    rtl->cp_tx_tail = (s + 1) % RTL_CP_RING;
    rtl->cp_tx_used++;
}

/*
 * One large send over RTL_LSO_DESCS descriptors. As 8139cp does, every
 * descriptor carries LGSEN and the MSS (QEMU 7.2 reads them from the
 * last one, emunet from the first) and the first is handed over last.
 */
static void rtl_cp_tx_put_lso(Rtl *rtl)
{
    uint64_t area = GPA_LSO_BUF + rtl->lso_next * 65536ull;
    uint32_t lgsen = TXD_LGSEN | (uint32_t)RTL_LSO_MSS << TXD_MSS_SHIFT;
    unsigned first = rtl->cp_tx_tail;
    unsigned s = first;

    rtl->lso_next = (rtl->lso_next + 1) % LSO_AREAS;
    for (unsigned i = 1; i < RTL_LSO_DESCS; i++) {
        unsigned off = i * RTL_LSO_CHUNK;
        unsigned chunk = RTL_LSO_LEN - off < RTL_LSO_CHUNK ? RTL_LSO_LEN - off
                                                           : RTL_LSO_CHUNK;

        s = (s + 1) % RTL_CP_RING;
        rtl_cp_tx_put(rtl, s, area + off,
                      lgsen | chunk | (i == RTL_LSO_DESCS - 1 ? DESC_LS : 0));
    }
    rtl_cp_tx_put(rtl, first, area, lgsen | DESC_FS | RTL_LSO_CHUNK);
    rtl->cp_tx_last[first] = (uint8_t)s;
    rtl->cp_tx_tail = (s + 1) % RTL_CP_RING;
    rtl->cp_tx_used += RTL_LSO_DESCS;
}

/* Retire finished packets (OWN cleared on their last descriptor). */
static uint64_t rtl_cp_tx_reap(Rtl *rtl)
{
    uint64_t n = 0;

    while (rtl->cp_tx_used > 0) {
        unsigned last = rtl->cp_tx_last[rtl->cp_tx_clean];
        RtlDesc *d = rtl_cp_txd(rtl, last);

        if (__atomic_load_n(&d->dw0, __ATOMIC_ACQUIRE) & DESC_OWN) {
            break;
        }
        rtl->cp_tx_used -=
            (last + RTL_CP_RING - rtl->cp_tx_clean) % RTL_CP_RING + 1;
        rtl->cp_tx_clean = (last + 1) % RTL_CP_RING;
        n++;
    }
    return n;
}

static int rtl_cp_tx_run(Rtl *rtl, bool lso, unsigned len, uint64_t count,
                         NicRun *run)
{
    Wire *w = &rtl->dm->wire;
    unsigned per = lso ? RTL_LSO_DESCS : 1;
    unsigned segs = lso ? RTL_LSO_SEGS : 1;
    uint64_t batch = RTL_CP_BATCH / per;
    uint64_t f0 = wire_frames(w), b0 = wire_bytes(w);
    uint64_t sent = 0, done = 0, last_seen = 0, c0, c1;
    unsigned spins = 0;
    double t0, since = 0;

    if (dm_cpu_ticks(rtl->dm, &c0) < 0) {
        return -1;
    }
    t0 = dm_now();
    while (done < count) {
        uint64_t n = rtl_cp_tx_reap(rtl);
        unsigned free_slots = RTL_CP_RING - rtl->cp_tx_used;
        uint64_t k = count - sent < batch ? count - sent : batch;
        uint64_t seen = wire_frames(w) - f0;

        done += n;
        if (k > 0 && free_slots >= k * per &&
            sent * segs <= seen + RTL_WIRE_INFLIGHT) {
            for (uint64_t i = 0; i < k; i++) {
                if (lso) {
                    rtl_cp_tx_put_lso(rtl);
                } else {
                    rtl_cp_tx_put_frame(rtl, len);
                }
            }
            if (rtl_wr8(rtl, REG_TPPOLL, TPPOLL_NPQ) < 0) {
                return -1;
            }
            sent += k;
            n++;
        }
        if (n || seen != last_seen) {
            last_seen = seen;
            spins = 0;
            since = 0;
            continue;
        }
        rtl_relax(&spins);
        if (rtl_stalled(spins, &since)) {
            fprintf(stderr,
                    "%s: C+ TX stalled after %llu of %llu packets "
                    "(next %u, oldest %u, in flight %u)\n",
                    rtl->dm->name, (unsigned long long)done,
                    (unsigned long long)count, rtl->cp_tx_tail,
                    rtl->cp_tx_clean, rtl->cp_tx_used);
            return -1;
        }
    }
    rtl_wire_wait(rtl, f0, count * segs);
    run->wall_s = dm_now() - t0;
    if (dm_cpu_ticks(rtl->dm, &c1) < 0) {
        return -1;
    }
    run->pkts = count;
    run->ticks = c1 - c0;
    rtl_tx_account(rtl, run, f0, b0, count * segs,
                   lso ? count * RTL_LSO_WIRE_BYTES : count * len);
    return 0;
}

/* ---- C+ RX ---- */

/*
 * Descriptor `i` has been seen complete. 8139cp hands each descriptor
 * back (OWN) at once; here the one before it goes back instead, because
 * QEMU 7.2 writes dw0 with a 4-byte memcpy that stores it twice: OWN set
 * between the two stores would be cleared again, and the driver would
 * later take the stale descriptor for a new frame while QEMU, finding it
 * not owned, drops frames there for good. Once `i` is complete, nothing
 * of the one before can still be stored (the NIC writes in ring order,
 * and x86 stores become visible in order).
 */
static void rtl_cp_rx_give(Rtl *rtl, unsigned i)
{
    if (rtl->cp_rx_dirty >= 0) {
        unsigned j = (unsigned)rtl->cp_rx_dirty;

        __atomic_store_n(&rtl_cp_rxd(rtl, j)->dw0,
                         DESC_OWN | (j == RTL_CP_RING - 1 ? DESC_EOR : 0) |
                             CP_RX_BUF_SIZE,
                         __ATOMIC_RELEASE);
        rtl->rx_given++;
    }
    rtl->cp_rx_dirty = (int)i;
}

static int rtl_cp_rx_run(Rtl *rtl, unsigned len, uint64_t count, NicRun *run)
{
    static uint8_t frame[BUF_SIZE];
    uint64_t got = 0, c0, c1;
    unsigned pending = 0, spins = 0;
    double t0, since = 0;
    WireFeed feed;

    rtl_build_frame(frame, len, false, rtl_mac, rtl_peer_mac);
    if (dm_cpu_ticks(rtl->dm, &c0) < 0) {
        return -1;
    }
    t0 = dm_now();
    /* QEMU drops a frame that finds no descriptor: credit, as nic.c. */
    if (wire_feed_start(&feed, rtl->dm->net_fd, frame, len, count,
                        rtl->rx_given - rtl->rx_fed) < 0) {
        return -1;
    }
    while (got < count) {
        unsigned i = rtl->cp_rx_next;
        RtlDesc *d = rtl_cp_rxd(rtl, i);
        uint32_t dw0 = __atomic_load_n(&d->dw0, __ATOMIC_ACQUIRE);

        if (dw0 & DESC_OWN) {
            rtl_relax(&spins);
            if (rtl_stalled(spins, &since)) {
                fprintf(stderr,
                        "%s: C+ RX stalled after %llu of %llu "
                        "(descriptor %u dw0 0x%08x, fed %llu)\n",
                        rtl->dm->name, (unsigned long long)got,
                        (unsigned long long)count, i, dw0,
                        (unsigned long long)feed.written);
                return rtl_rx_abort(rtl, &feed);
            }
            continue;
        }
        if ((dw0 & RXD_LEN_MASK) != len + 4 || !(dw0 & DESC_FS) ||
            !(dw0 & DESC_LS) || (dw0 & RXD_RES)) {
            run->bad++;
        }
        rtl_cp_rx_give(rtl, i);
        rtl->cp_rx_next = (i + 1) % RTL_CP_RING;
        got++;
        spins = 0;
        since = 0;
        if (++pending >= RTL_CP_RX_CREDIT_STEP || got == count) {
            pending = 0;
            wire_feed_credit(&feed, rtl->rx_given - rtl->rx_fed);
        }
    }
    run->wall_s = dm_now() - t0;
    if (dm_cpu_ticks(rtl->dm, &c1) < 0) {
        return rtl_rx_abort(rtl, &feed);
    }
    run->pkts = count;
    run->frames = got;
    run->bytes = got * len;
    run->ticks = c1 - c0;
    if (wire_feed_join(&feed, false) < 0) {
        return -1;
    }
    rtl->rx_fed += count;
    return 0;
}

int rtl_run(Rtl *rtl, RtlMode mode, NicDir dir, bool lso, unsigned len,
            uint64_t count, NicRun *run)
{
    memset(run, 0, sizeof(*run));
    if (rtl_enter(rtl, mode) < 0) {
        return -1;
    }
    if (mode == RTL_MODE_C) {
        return dir == NIC_TX ? rtl_c_tx_run(rtl, len, count, run)
                             : rtl_c_rx_run(rtl, len, count, run);
    }
    return dir == NIC_TX ? rtl_cp_tx_run(rtl, lso, len, count, run)
                         : rtl_cp_rx_run(rtl, len, count, run);
}
