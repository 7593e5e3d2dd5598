/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nic: a small 82540EM driver for the benchmark (see nic.h), written from
 * the 8254x Software Developer's Manual and what Linux's e1000 does: reset,
 * mask interrupts, set the MAC filter, program rings, then push batches
 * of descriptors with one tail-register write each.
 *
 * Descriptors are little-endian; like the device models under test, the
 * benchmark runs on an x86 host and stores them natively.
 */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "nic.h"

/* Registers (SDM table 13-2). */
#define REG_CTRL 0x00000
#define REG_STATUS 0x00008
#define REG_IMC 0x000d8
#define REG_RCTL 0x00100
#define REG_TCTL 0x00400
#define REG_TIPG 0x00410
#define REG_RDBAL 0x02800
#define REG_RDBAH 0x02804
#define REG_RDLEN 0x02808
#define REG_RDH 0x02810
#define REG_RDT 0x02818
#define REG_RDTR 0x02820
#define REG_TDBAL 0x03800
#define REG_TDBAH 0x03804
#define REG_TDLEN 0x03808
#define REG_TDH 0x03810
#define REG_TDT 0x03818
#define REG_RAL0 0x05400
#define REG_RAH0 0x05404

#define CTRL_ASDE (1u << 5)
#define CTRL_SLU (1u << 6)
#define CTRL_RST (1u << 26)
#define STATUS_LU (1u << 1)
#define RCTL_EN (1u << 1)
#define RCTL_BAM (1u << 15)
#define RCTL_SECRC (1u << 26)
#define TCTL_EN (1u << 1)
#define TCTL_PSP (1u << 3)
#define TCTL_CT (0x0fu << 4)
#define TCTL_COLD (0x40u << 12)
/* IPGT 10, IPGR1 8, IPGR2 6: Linux's value for copper. */
#define TIPG_DEFAULT (10u | 8u << 10 | 6u << 20)
#define RAH_AV (1u << 31)

/* TX descriptor command byte, in the descriptor's second dword. */
#define TXD_CMD(bits) ((uint32_t)(bits) << 24)
#define TXD_EOP 0x01
#define TXD_IFCS 0x02
#define TXD_TSE 0x04
#define TXD_RS 0x08
#define TXD_DEXT 0x20
/* Context TUCMD: IPv4 and TCP. */
#define TXD_TCP 0x01
#define TXD_IP 0x02
#define TXD_DTYP_D (1u << 20)
#define TXD_STA_DD 0x01
/* Data descriptor POPTS (third dword, bits 15:8): insert IP and L4 sums. */
#define TXD_POPTS_IXSM 0x01
#define TXD_POPTS_TXSM 0x02
#define RXD_STA_DD 0x01
#define RXD_STA_EOP 0x02

/* PCI config. */
#define PCI_COMMAND 0x04
#define PCI_BAR0 0x10
#define PCI_CMD_MEM 0x0002
#define PCI_CMD_MASTER 0x0004

/*
 * Guest-physical layout, well inside 128 MiB RAM and clear of what
 * SeaBIOS uses (the first MiB and the top of RAM). BAR0 (128 KiB) sits
 * in the PC's PCI hole below the IOAPIC.
 */
#define NIC_MMIO 0xfeb80000ull
#define GPA_TX_RING 0x01000000ull
#define GPA_RX_RING 0x01001000ull
#define GPA_TX_BUF 0x01100000ull
#define GPA_RX_BUF 0x01200000ull
#define GPA_TSO_BUF 0x01400000ull
#define NIC_BUF_SIZE 2048
#define NIC_TSO_AREAS 16
/* A TSO send is one context and this many 4 KiB data descriptors. */
#define NIC_TSO_CHUNK 4096
#define NIC_TSO_DATA (NIC_TSO_LEN / NIC_TSO_CHUNK)
#define NIC_TSO_DESCS (1 + NIC_TSO_DATA)

/* No progress for this long: the device model is declared stuck. */
#define NIC_STALL_S 5.0
/*
 * TX frames completed by the NIC but not yet seen on the wire, at most.
 * QEMU queues up to 10000 frames when the socket is full and drops the
 * rest; a new batch waits until the wire reader has caught up this far.
 */
#define NIC_WIRE_INFLIGHT 2048
/* After the last completion, how long to wait for straggling frames. */
#define NIC_WIRE_WAIT_S 2.0

typedef struct NicTxDesc {
    uint64_t addr;
    uint32_t lower;
    uint32_t upper;
} NicTxDesc;

typedef struct NicCtxDesc {
    uint8_t ipcss;
    uint8_t ipcso;
    uint16_t ipcse;
    uint8_t tucss;
    uint8_t tucso;
    uint16_t tucse;
    uint32_t cmd_len;
    uint8_t status;
    uint8_t hdr_len;
    uint16_t mss;
} NicCtxDesc;

typedef struct NicRxDesc {
    uint64_t addr;
    uint16_t len;
    uint16_t csum;
    uint8_t status;
    uint8_t errors;
    uint16_t special;
} NicRxDesc;

_Static_assert(sizeof(NicTxDesc) == 16, "TX descriptor size");
_Static_assert(sizeof(NicCtxDesc) == 16, "context descriptor size");
_Static_assert(sizeof(NicRxDesc) == 16, "RX descriptor size");
_Static_assert(NIC_TSO_DESCS <= NIC_BATCH, "a TSO send fits a batch");

static const uint8_t nic_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t nic_peer_mac[6] = {0x52, 0x54, 0x00, 0xbe, 0x4c, 0x01};

static void *nic_gpa(Nic *nic, uint64_t gpa)
{
    return nic->dm->ram + gpa;
}

static NicTxDesc *nic_txd(Nic *nic, unsigned i)
{
    return (NicTxDesc *)nic_gpa(nic, GPA_TX_RING) + i;
}

static NicRxDesc *nic_rxd(Nic *nic, unsigned i)
{
    return (NicRxDesc *)nic_gpa(nic, GPA_RX_RING) + i;
}

static int nic_wr(Nic *nic, uint32_t reg, uint32_t val)
{
    return dm_writel(nic->dm, nic->mmio + reg, val);
}

static int nic_rd(Nic *nic, uint32_t reg, uint32_t *val)
{
    return dm_readl(nic->dm, nic->mmio + reg, val);
}

/* Back off politely while polling shared RAM (two CPUs are common). */
static void nic_relax(unsigned *spins)
{
    if (++*spins < 128) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    } else {
        sched_yield();
    }
}

static uint16_t nic_csum(const uint8_t *p, size_t n, uint32_t sum)
{
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

static void nic_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/*
 * An Ethernet/IPv4 frame of `len` bytes: UDP, or TCP with the partial
 * pseudo-header sum a TSO driver leaves for the NIC.
 */
static void nic_build_frame(uint8_t *f, unsigned len, bool tcp,
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
    nic_put16(f + 12, 0x0800);
    memset(ip, 0, 20);
    ip[0] = 0x45;
    nic_put16(ip + 2, (uint16_t)(iplen > 0xffff ? 0 : iplen));
    ip[8] = 64;
    ip[9] = tcp ? 6 : 17;
    memcpy(ip + 12, (const uint8_t[]){10, 0, 2, 15}, 4);
    memcpy(ip + 16, (const uint8_t[]){10, 0, 2, 2}, 4);
    if (!tcp) {
        nic_put16(ip + 10, (uint16_t)~nic_csum(ip, 20, 0));
        nic_put16(l4, 5555);
        nic_put16(l4 + 2, 9);
        nic_put16(l4 + 4, (uint16_t)(iplen - 20));
        nic_put16(l4 + 6, 0);
        return;
    }
    memset(l4, 0, 20);
    nic_put16(l4, 5555);
    nic_put16(l4 + 2, 5001);
    l4[12] = 5 << 4;
    l4[13] = 0x18; /* PSH, ACK */
    nic_put16(l4 + 14, 0xffff);
    /* Addresses and protocol only: the NIC adds each segment's length. */
    nic_put16(l4 + 16, nic_csum(ip + 12, 8, 6));
}

static int nic_pci_setup(Nic *nic)
{
    Dm *dm = nic->dm;
    uint32_t bar = 0, cmd = 0;

    /* What firmware (QEMU's SeaBIOS; emunet has none) left, for the log. */
    if (dm_cfg_readl(dm, DM_NIC_DEVFN, PCI_BAR0, &bar) < 0 ||
        dm_cfg_readl(dm, DM_NIC_DEVFN, PCI_COMMAND, &cmd) < 0) {
        return -1;
    }
    fprintf(stderr, "%s: NIC found with BAR0 0x%08x, COMMAND 0x%04x\n",
            nic->dm->name, bar, cmd & 0xffff);
    if (dm_cfg_writel(dm, DM_NIC_DEVFN, PCI_COMMAND, 0) < 0 ||
        dm_cfg_writel(dm, DM_NIC_DEVFN, PCI_BAR0, (uint32_t)NIC_MMIO) < 0 ||
        dm_cfg_readl(dm, DM_NIC_DEVFN, PCI_BAR0, &bar) < 0 ||
        dm_cfg_writel(dm, DM_NIC_DEVFN, PCI_COMMAND,
                      PCI_CMD_MEM | PCI_CMD_MASTER) < 0) {
        return -1;
    }
    if ((bar & ~0xfu) != NIC_MMIO) {
        fprintf(stderr, "%s: BAR0 reads 0x%08x after writing 0x%08llx\n",
                nic->dm->name, bar, NIC_MMIO);
        return -1;
    }
    nic->mmio = NIC_MMIO;
    return 0;
}

static int nic_reset(Nic *nic)
{
    uint32_t v = CTRL_RST;

    if (nic_wr(nic, REG_CTRL, CTRL_RST) < 0) {
        return -1;
    }
    for (int i = 0; i < 1000 && (v & CTRL_RST); i++) {
        if (nic_rd(nic, REG_CTRL, &v) < 0) {
            return -1;
        }
    }
    if (v & CTRL_RST) {
        fprintf(stderr, "%s: CTRL.RST does not clear\n", nic->dm->name);
        return -1;
    }
    if (nic_wr(nic, REG_IMC, 0xffffffffu) < 0 ||
        nic_wr(nic, REG_CTRL, v | CTRL_SLU | CTRL_ASDE) < 0) {
        return -1;
    }
    /* Receive address 0 = our MAC, so RX frames pass the filter. */
    v = (uint32_t)nic_mac[0] | (uint32_t)nic_mac[1] << 8 |
        (uint32_t)nic_mac[2] << 16 | (uint32_t)nic_mac[3] << 24;
    if (nic_wr(nic, REG_RAL0, v) < 0 ||
        nic_wr(nic, REG_RAH0,
               (uint32_t)nic_mac[4] | (uint32_t)nic_mac[5] << 8 | RAH_AV) < 0) {
        return -1;
    }
    return 0;
}

static int nic_tx_setup(Nic *nic)
{
    static uint8_t frame[NIC_TSO_LEN];

    memset(nic_txd(nic, 0), 0, NIC_RING * sizeof(NicTxDesc));
    /* Every buffer holds a full-size frame; shorter sends use its head. */
    nic_build_frame(frame, 1514, false, nic_peer_mac, nic_mac);
    for (unsigned i = 0; i < NIC_RING; i++) {
        memcpy(nic_gpa(nic, GPA_TX_BUF + i * NIC_BUF_SIZE), frame, 1514);
    }
    nic_build_frame(frame, NIC_TSO_LEN, true, nic_peer_mac, nic_mac);
    for (unsigned i = 0; i < NIC_TSO_AREAS; i++) {
        memcpy(nic_gpa(nic, GPA_TSO_BUF + i * (uint64_t)NIC_TSO_LEN), frame,
               NIC_TSO_LEN);
    }
    nic->tx_tail = nic->tx_clean = nic->tx_used = 0;
    if (nic_wr(nic, REG_TDBAL, (uint32_t)GPA_TX_RING) < 0 ||
        nic_wr(nic, REG_TDBAH, 0) < 0 ||
        nic_wr(nic, REG_TDLEN, NIC_RING * sizeof(NicTxDesc)) < 0 ||
        nic_wr(nic, REG_TDH, 0) < 0 || nic_wr(nic, REG_TDT, 0) < 0 ||
        nic_wr(nic, REG_TIPG, TIPG_DEFAULT) < 0 ||
        nic_wr(nic, REG_TCTL, TCTL_EN | TCTL_PSP | TCTL_CT | TCTL_COLD) < 0) {
        return -1;
    }
    return 0;
}

static int nic_rx_setup(Nic *nic)
{
    for (unsigned i = 0; i < NIC_RING; i++) {
        NicRxDesc *d = nic_rxd(nic, i);

        memset(d, 0, sizeof(*d));
        d->addr = GPA_RX_BUF + i * NIC_BUF_SIZE;
    }
    nic->rx_clean = 0;
    nic->rx_given = NIC_RING - 1;
    nic->rx_fed = 0;
    nic->rx_dirty = -1;
    /* BSIZE 0 is 2048-byte buffers; SECRC: lengths without the FCS. */
    if (nic_wr(nic, REG_RDBAL, (uint32_t)GPA_RX_RING) < 0 ||
        nic_wr(nic, REG_RDBAH, 0) < 0 ||
        nic_wr(nic, REG_RDLEN, NIC_RING * sizeof(NicRxDesc)) < 0 ||
        nic_wr(nic, REG_RDH, 0) < 0 || nic_wr(nic, REG_RDT, 0) < 0 ||
        nic_wr(nic, REG_RDTR, 0) < 0 ||
        nic_wr(nic, REG_RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC) < 0 ||
        nic_wr(nic, REG_RDT, NIC_RING - 1) < 0) {
        return -1;
    }
    return 0;
}

int nic_setup(Nic *nic, Dm *dm)
{
    uint32_t status = 0;

    memset(nic, 0, sizeof(*nic));
    nic->dm = dm;
    if (nic_pci_setup(nic) < 0 || nic_reset(nic) < 0 || nic_tx_setup(nic) < 0 ||
        nic_rx_setup(nic) < 0 || nic_rd(nic, REG_STATUS, &status) < 0) {
        fprintf(stderr, "%s: NIC setup failed\n", dm->name);
        return -1;
    }
    if (!(status & STATUS_LU)) {
        fprintf(stderr, "%s: warning: link down (STATUS 0x%08x)\n", dm->name,
                status);
    }
    return 0;
}

/* Where the device stands, for a stall message. */
static void nic_report_stall(Nic *nic, const char *what, uint64_t done,
                             uint64_t count)
{
    uint32_t h = 0, t = 0;
    bool tx = strcmp(what, "TX") == 0;

    nic_rd(nic, tx ? REG_TDH : REG_RDH, &h);
    nic_rd(nic, tx ? REG_TDT : REG_RDT, &t);
    fprintf(stderr,
            "%s: %s stalled after %llu of %llu packets "
            "(head %u, tail %u, alive %s)\n",
            nic->dm->name, what, (unsigned long long)done,
            (unsigned long long)count, h, t, dm_alive(nic->dm) ? "yes" : "no");
    if (!tx) {
        for (int k = -3; k <= 3; k++) {
            unsigned i = (nic->rx_clean + NIC_RING + (unsigned)k) % NIC_RING;
            NicRxDesc *d = nic_rxd(nic, i);

            fprintf(stderr, "  rxd[%u] len %u status 0x%02x%s\n", i, d->len,
                    d->status, k == 0 ? " <- next" : "");
        }
        fprintf(stderr, "  given %llu fed %llu\n",
                (unsigned long long)nic->rx_given,
                (unsigned long long)nic->rx_fed);
    }
}

/* Queue one plain frame at the tail. */
static void nic_tx_put_frame(Nic *nic, unsigned len)
{
    unsigned s = nic->tx_tail;
    NicTxDesc *d = nic_txd(nic, s);

    d->addr = GPA_TX_BUF + s * NIC_BUF_SIZE;
    d->lower = len | TXD_CMD(TXD_EOP | TXD_IFCS | TXD_RS);
    d->upper = 0;
    nic->tx_last[s] = (uint16_t)s;
    nic->tx_tail = (s + 1) % NIC_RING;
    nic->tx_used++;
}

/* Queue one 64 KiB TSO send: a context descriptor and 4 KiB chunks. */
static void nic_tx_put_tso(Nic *nic)
{
    unsigned first = nic->tx_tail;
    NicCtxDesc *c = (NicCtxDesc *)nic_txd(nic, first);
    uint64_t area = GPA_TSO_BUF + nic->tso_next * (uint64_t)NIC_TSO_LEN;
    unsigned s = first;

    nic->tso_next = (nic->tso_next + 1) % NIC_TSO_AREAS;
    memset(c, 0, sizeof(*c));
    c->ipcss = 14;
    c->ipcso = 14 + 10;
    c->ipcse = 14 + 20 - 1;
    c->tucss = 34;
    c->tucso = 34 + 16;
    c->tucse = 0;
    c->cmd_len = (NIC_TSO_LEN - NIC_TSO_HDR) |
                 TXD_CMD(TXD_DEXT | TXD_TSE | TXD_IP | TXD_TCP);
    c->hdr_len = NIC_TSO_HDR;
    c->mss = NIC_TSO_MSS;
    for (unsigned i = 0; i < NIC_TSO_DATA; i++) {
        NicTxDesc *d;
        uint32_t cmd = TXD_DEXT | TXD_TSE | TXD_IFCS;

        s = (s + 1) % NIC_RING;
        d = nic_txd(nic, s);
        if (i == NIC_TSO_DATA - 1) {
            cmd |= TXD_EOP | TXD_RS;
        }
        d->addr = area + i * NIC_TSO_CHUNK;
        d->lower = NIC_TSO_CHUNK | TXD_DTYP_D | TXD_CMD(cmd);
        d->upper = (uint32_t)(TXD_POPTS_IXSM | TXD_POPTS_TXSM) << 8;
    }
    nic->tx_last[first] = (uint16_t)s;
    nic->tx_tail = (s + 1) % NIC_RING;
    nic->tx_used += NIC_TSO_DESCS;
}

/* Retire finished packets (DD on their last descriptor). */
static uint64_t nic_tx_reap(Nic *nic)
{
    uint64_t n = 0;

    while (nic->tx_used > 0) {
        unsigned last = nic->tx_last[nic->tx_clean];
        NicTxDesc *d = nic_txd(nic, last);

        if (!(__atomic_load_n(&d->upper, __ATOMIC_ACQUIRE) & TXD_STA_DD)) {
            break;
        }
        nic->tx_used -= (last + NIC_RING - nic->tx_clean) % NIC_RING + 1;
        nic->tx_clean = (last + 1) % NIC_RING;
        n++;
    }
    return n;
}

static int nic_tx_run(Nic *nic, bool tso, unsigned len, uint64_t count,
                      NicRun *run)
{
    unsigned per = tso ? NIC_TSO_DESCS : 1;
    unsigned batch = NIC_BATCH / per;
    uint64_t want_frames = tso ? count * NIC_TSO_SEGS : count;
    uint64_t want_bytes = tso ? count * NIC_TSO_WIRE_BYTES : count * len;
    uint64_t f0 = wire_frames(&nic->dm->wire);
    uint64_t b0 = wire_bytes(&nic->dm->wire);
    uint64_t sent = 0, done = 0, last_seen = 0, c0, c1;
    double t0, last = 0;
    unsigned spins = 0;

    if (dm_cpu_ticks(nic->dm, &c0) < 0) {
        return -1;
    }
    t0 = dm_now();
    while (done < count) {
        uint64_t n = nic_tx_reap(nic);
        unsigned free_slots = NIC_RING - 1 - nic->tx_used;
        uint64_t k = count - sent < batch ? count - sent : batch;
        uint64_t seen = wire_frames(&nic->dm->wire) - f0;
        uint64_t queued = sent * (tso ? NIC_TSO_SEGS : 1);

        done += n;
        if (k > 0 && free_slots >= k * per &&
            queued <= seen + NIC_WIRE_INFLIGHT) {
            for (uint64_t i = 0; i < k; i++) {
                if (tso) {
                    nic_tx_put_tso(nic);
                } else {
                    nic_tx_put_frame(nic, len);
                }
            }
            __atomic_thread_fence(__ATOMIC_RELEASE);
            if (nic_wr(nic, REG_TDT, nic->tx_tail) < 0) {
                return -1;
            }
            sent += k;
            n++;
        }
        if (n || seen != last_seen) {
            last_seen = seen;
            spins = 0;
            last = 0;
            continue;
        }
        nic_relax(&spins);
        if ((spins & 1023) == 0) {
            if (last == 0) {
                last = dm_now();
            } else if (dm_now() - last > NIC_STALL_S) {
                nic_report_stall(nic, "TX", done, count);
                return -1;
            }
        }
    }
    /* Completed descriptors may still be on their way to the wire. */
    last = dm_now();
    while (wire_frames(&nic->dm->wire) - f0 < want_frames &&
           dm_now() - last < NIC_WIRE_WAIT_S) {
        uint64_t f = wire_frames(&nic->dm->wire);

        nic_relax(&spins);
        if (wire_frames(&nic->dm->wire) != f) {
            last = dm_now();
        }
    }
    run->wall_s = dm_now() - t0;
    if (dm_cpu_ticks(nic->dm, &c1) < 0) {
        return -1;
    }
    run->pkts = count;
    run->ticks = c1 - c0;
    run->frames = wire_frames(&nic->dm->wire) - f0;
    run->bytes = wire_bytes(&nic->dm->wire) - b0;
    run->lost = run->frames < want_frames ? want_frames - run->frames : 0;
    run->bad = run->bytes != want_bytes && !run->lost;
    return 0;
}

/*
 * Descriptor `i` has been seen complete. As Linux does, its status is
 * cleared at once: a device model that stores the status byte last and
 * once cannot undo the clear.
 *
 * With rx_deferred_clear, it is cleared only once the next descriptor has
 * been seen complete too: the device model wrote that one after it had
 * finished with `i`, so nothing of `i`'s write-back can still land after
 * our clear (x86 stores become visible in order), even if it stores the
 * status twice. Only descriptors up to `i` - 1 are ever handed back
 * (RDT = next - 1), so every handed-back descriptor is clear.
 */
static void nic_rx_clear(Nic *nic, unsigned i)
{
    if (!nic->rx_deferred_clear) {
        nic_rxd(nic, i)->status = 0;
        return;
    }
    if (nic->rx_dirty >= 0) {
        nic_rxd(nic, (unsigned)nic->rx_dirty)->status = 0;
    }
    nic->rx_dirty = (int)i;
}

/* Give the cleaned buffers back: RDT = one before the next to clean. */
static int nic_rx_refill(Nic *nic, unsigned *pending, WireFeed *feed)
{
    unsigned rdt = (nic->rx_clean + NIC_RING - 1) % NIC_RING;

    if (nic_wr(nic, REG_RDT, rdt) < 0) {
        return -1;
    }
    nic->rx_given += *pending;
    *pending = 0;
    wire_feed_credit(feed, nic->rx_given - nic->rx_fed);
    return 0;
}

/* Stop feeding after a failure; the DM is killed so no send blocks. */
static int nic_rx_abort(Nic *nic, WireFeed *feed)
{
    dm_kill(nic->dm);
    wire_feed_join(feed, true);
    return -1;
}

static int nic_rx_run(Nic *nic, unsigned len, uint64_t count, NicRun *run)
{
    static uint8_t frame[2048];
    uint64_t got = 0, c0, c1;
    unsigned pending = 0, spins = 0;
    double t0, last = 0;
    WireFeed feed;

    nic_build_frame(frame, len, false, nic_mac, nic_peer_mac);
    if (dm_cpu_ticks(nic->dm, &c0) < 0) {
        return -1;
    }
    t0 = dm_now();
    /* Never more frames in flight than buffers posted (see wire.h). */
    if (wire_feed_start(&feed, nic->dm->net_fd, frame, len, count,
                        nic->rx_given - nic->rx_fed) < 0) {
        return -1;
    }
    while (got < count) {
        NicRxDesc *d = nic_rxd(nic, nic->rx_clean);
        uint8_t st = __atomic_load_n(&d->status, __ATOMIC_ACQUIRE);

        if (!(st & RXD_STA_DD)) {
            nic_relax(&spins);
            if ((spins & 1023) != 0) {
                continue;
            }
            if (last == 0) {
                last = dm_now();
            } else if (dm_now() - last > NIC_STALL_S) {
                nic_report_stall(nic, "RX", got, count);
                fprintf(stderr, "  feeder written %llu credit %llu\n",
                        (unsigned long long)feed.written,
                        (unsigned long long)feed.credit);
                return nic_rx_abort(nic, &feed);
            }
            continue;
        }
        if (d->len != len || !(st & RXD_STA_EOP) || d->errors) {
            run->bad++;
        }
        nic_rx_clear(nic, nic->rx_clean);
        nic->rx_clean = (nic->rx_clean + 1) % NIC_RING;
        got++;
        spins = 0;
        last = 0;
        if (++pending >= NIC_BATCH || got == count) {
            if (nic_rx_refill(nic, &pending, &feed) < 0) {
                return nic_rx_abort(nic, &feed);
            }
        }
    }
    run->wall_s = dm_now() - t0;
    if (dm_cpu_ticks(nic->dm, &c1) < 0) {
        return nic_rx_abort(nic, &feed);
    }
    run->pkts = count;
    run->frames = got;
    run->bytes = got * len;
    run->ticks = c1 - c0;
    if (wire_feed_join(&feed, false) < 0) {
        return -1;
    }
    nic->rx_fed += count;
    return 0;
}

int nic_run(Nic *nic, NicDir dir, bool tso, unsigned len, uint64_t count,
            NicRun *run)
{
    memset(run, 0, sizeof(*run));
    if (dir == NIC_TX) {
        return nic_tx_run(nic, tso, len, count, run);
    }
    return nic_rx_run(nic, len, count, run);
}
