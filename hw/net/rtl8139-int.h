/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the rtl8139 model (hw/net/rtl8139*.c): the device state and
 * the calls between its files.
 *  - rtl8139.c: PCI function, reset, EEPROM image, link state,
 *    interrupts (incl. IntrMitigate), TCTR/TimerInt;
 *  - rtl8139-regs.c: the register table and the access dispatch;
 *  - rtl8139-rx.c: address filter, C mode ring buffer, C+ RX descriptors,
 *    back-pressure and the TCR loopback queue;
 *  - rtl8139-tx.c: C mode TX slots and the common frame output path;
 *  - rtl8139-cplus.c: C+ TX descriptor rings, checksum offload, large
 *    send, VLAN insertion and the tally counter dump.
 */
#ifndef EMUNET_HW_NET_RTL8139_INT_H
#define EMUNET_HW_NET_RTL8139_INT_H

#include "emunet/clock.h"
#include "emunet/log.h"
#include "emunet/net.h"
#include "emunet/pci.h"
#include "hw/net/eeprom93xx.h"
#include "hw/net/rtl8139_regs.h"

/*
 * Largest frame (without FCS) the C mode ring takes. 8139too treats a
 * longer one as "lost in ring" (MAX_ETH_FRAME_SIZE + 4 = 1540 with FCS),
 * and with RCR.WRAP set a frame runs past the ring end into the slack the
 * driver reserved (the data sheet asks for 1.5 KiB): a longer frame could
 * overrun guest memory the driver never gave the NIC.
 */
#define RTL_C_RX_MAX_FRAME 1536
/* C+ descriptors hold 13-bit lengths: the largest frame with FCS. */
#define RTL_CP_RX_MAX_TOTAL 8191
/* RX staging: the largest C+ frame with FCS, or a C header+frame+FCS. */
#define RTL_RX_SCRATCH_SIZE (RTL_CP_RX_MAX_TOTAL + 64)
/* C+ TX packet assembly buffer: a 64 KiB large-send packet plus headers. */
#define RTL_CP_TX_BUF_SIZE (64 * 1024 + 128)
/* One large-send segment: headers (<= 18 + 60 + 60) plus an 11-bit MSS. */
#define RTL_CP_SEG_BUF_SIZE 4096
/* Frames held for TCR loopback before TX waits for RX to drain them. */
#define RTL_LOOPBACK_MAX 64
/* TCTR runs at the 33 MHz PCI clock: ticks = ns * 33 / 1000. */
#define RTL_TCTR_MUL 33
#define RTL_TCTR_DIV 1000
/* C+ RX with no free descriptor re-reads the ring this often. */
#define RTL_CP_RX_POLL_NS 200000
/*
 * IntrMitigate (C+, no public data sheet text): the field layout the
 * later Realtek parts document for the same register, as Linux r8169
 * programs it. TX timer 15:12, TX frames 11:8, RX timer 7:4, RX frames
 * 3:0; timer unit 2.56 us (100 Mb/s), frame count unit 4 frames. A zero
 * timer means no mitigation for that direction.
 */
#define RTL_MIT_TX_TIMER_SHIFT 12
#define RTL_MIT_TX_FRAMES_SHIFT 8
#define RTL_MIT_RX_TIMER_SHIFT 4
#define RTL_MIT_RX_FRAMES_SHIFT 0
#define RTL_MIT_UNIT_NS 2560
#define RTL_MIT_FRAME_UNIT 4

typedef enum RtlDir { RTL_DIR_RX, RTL_DIR_TX, RTL_DIR_COUNT } RtlDir;

/* Tally counters in DTCCR dump order (RTL8169/8139C+), written LE. */
typedef struct RtlTally {
    uint64_t tx_ok;
    uint64_t rx_ok;
    uint64_t tx_err;
    uint32_t rx_err;
    uint16_t miss_pkt;
    uint16_t fae;
    uint32_t tx_1col;
    uint32_t tx_mcol;
    uint64_t rx_ok_phy;
    uint64_t rx_ok_brd;
    uint32_t rx_ok_mul;
    uint16_t tx_abt;
    uint16_t tx_undrn;
} RtlTally;

/* A C+ packet taken from a TX ring and not yet completely sent. */
typedef struct RtlCpTx {
    bool active;
    /* Ring (0 normal, 1 high priority) and index of its FS descriptor. */
    unsigned ring;
    unsigned first;
    /* Descriptors it spans: ring index and dw0 as read (write-back). */
    unsigned ndesc;
    uint8_t idx[RTL_CP_RING_MAX];
    uint32_t dw0[RTL_CP_RING_MAX];
    /* Ring index after the packet. */
    unsigned next;
    /* Offload commands from the FS descriptor: dw0 and dw1. */
    uint32_t cmd;
    uint32_t dw1;
    /* Assembled bytes in s->cp_txbuf. */
    size_t len;
    /* The packet is dropped and written back with TES. */
    bool error;
    /* Large send progress: payload bytes sent, segments sent. */
    size_t seg_off;
    unsigned seg_idx;
} RtlCpTx;

/* Counters for frames the NIC consumed without giving them to the guest. */
typedef struct RtlDrops {
    uint64_t rx_disabled;
    uint64_t rx_filtered;
    uint64_t rx_too_long;
    uint64_t rx_dma_error;
    uint64_t tx_dropped;
} RtlDrops;

typedef struct Rtl8139State {
    PciDevice pci;
    NetPeer nc;
    char *name;
    Clock *clock;
    MacAddr conf_mac;
    uint8_t revision;
    /* Revision >= 0x20: the C+ registers and modes exist. */
    bool cplus_chip;
    /*
     * The driver enabled C+ TX or RX (CpCmd) since the last reset: 0x10
     * is DTCCR, not TSD0-1, until the next CR.RST or power-on reset.
     */
    bool cplus_mode;

    /* ---- Registers (data sheet names) ---- */
    uint8_t idr[6];
    uint8_t mar[8];
    uint32_t tsd[4];
    uint32_t tsad[4]; /* also TNPDS (0, 1) and THPDS (2, 3) */
    uint32_t dtccr[2];
    uint32_t rbstart;
    uint8_t cr;     /* RE and TE as written */
    uint16_t capr;  /* as written; read pointer is CAPR + 16 */
    uint32_t rx_wp; /* CBR: ring offset of the next packet */
    uint16_t imr;
    uint16_t isr;
    uint32_t tcr;
    uint32_t rcr;
    int64_t tctr_base_ns; /* TCTR counts from here */
    uint32_t mpc;
    uint8_t cr9346;
    uint8_t config0, config1, config3, config4, config5;
    uint32_t timer_int;
    uint8_t msr;
    uint8_t hltclk;
    uint16_t mulint;
    uint16_t bmcr;
    uint16_t anar;
    uint16_t nwaytr;
    uint16_t cscr;
    uint32_t phy1_parm;
    uint32_t tw_parm;
    uint8_t phy2_parm;
    uint8_t pm_regs[RTL_PM_REGS_LEN];
    uint32_t flash;
    uint16_t cpcmd;
    uint16_t intr_mitigate;
    uint16_t rx_max_size;
    uint32_t rdsar[2];
    uint8_t etthr;

    /* ---- Internal state ---- */
    bool link_up;
    Eeprom93xx eeprom;
    RtlTally tally;
    RtlDrops drops;
    /* C mode: next TSD slot to transmit. */
    unsigned tx_cur;
    /* C+: next RX descriptor, next TX descriptor per ring. */
    unsigned cp_rx_idx;
    unsigned cp_tx_idx[2];
    RtlCpTx cp_tx;
    /* TPPoll requests not yet served: bit 0 normal, bit 1 high. */
    uint8_t cp_poll;
    uint8_t *cp_txbuf;
    uint8_t *cp_segbuf;
    uint8_t *rx_scratch;
    /* A frame was refused for lack of room; call net_peer_rx_ready. */
    bool rx_blocked;
    /* RXOVW/RDU was raised for this episode of "no room" (once only). */
    bool rx_full;
    /* Output waits for tx_ready (backend) or the loopback queue. */
    bool tx_blocked;
    /* Inside a TX walk (re-entry guard). */
    bool in_tx;
    /* TCR loopback frames (GBytes), delivered from loop_timer. */
    GQueue loopback;
    /* Interrupt mitigation: ISR bits held back from the IRQ line. */
    uint16_t mit_held;
    unsigned mit_count[RTL_DIR_COUNT];
    Timer *mit_timer[RTL_DIR_COUNT];
    Timer *tctr_timer;
    Timer *loop_timer;
    Timer *rx_poll_timer;
    /* Continues a TPPoll that used up its descriptor budget. */
    Timer *cp_tx_timer;
    /* Handed off (PciDeviceOps.quiesce): every entry is a no-op. */
    bool unplugged;
} Rtl8139State;

static inline Rtl8139State *rtl8139_from_pci(PciDevice *dev)
{
    return (Rtl8139State *)((char *)dev - offsetof(Rtl8139State, pci));
}

static inline Rtl8139State *rtl8139_from_peer(NetPeer *nc)
{
    return (Rtl8139State *)((char *)nc - offsetof(Rtl8139State, nc));
}

/* ---- rtl8139.c ---- */

/* Set ISR bits (and count mitigated events), then update the IRQ line. */
void rtl8139_raise(Rtl8139State *s, uint16_t bits);
/* Drive INTx from ISR & IMR, minus bits held by interrupt mitigation. */
void rtl8139_update_irq(Rtl8139State *s);
/* ISR bits acked (or settings changed): stop holding them back. */
void rtl8139_mit_ack(Rtl8139State *s, uint16_t bits);
/* TCTR now (64-bit tick count since the last TCTR write). */
uint64_t rtl8139_tctr_ticks(Rtl8139State *s);
/* Re-arm the TimerInt timer after TCTR or TimerInt changed. */
void rtl8139_tctr_rearm(Rtl8139State *s);
/* PHY registers (BMCR, ANAR) to their defaults (BMCR.reset). */
void rtl8139_phy_reset(Rtl8139State *s);
/* CR.RST: transmitter, receiver, pointers, interrupts, C+ state. */
void rtl8139_soft_reset(Rtl8139State *s);
/* Power-on, PCI reset and 9346CR auto-load. */
void rtl8139_power_on_reset(Rtl8139State *s);
/* A DMA failed: SERR in ISR, master abort in PCI status, guest error. */
void rtl8139_dma_error(Rtl8139State *s, const char *what, uint64_t addr);
/* C+ TX/RX descriptor modes (CpCmd.CPTx / CPRx on a C+ revision). */
bool rtl8139_cplus_tx(const Rtl8139State *s);
bool rtl8139_cplus_rx(const Rtl8139State *s);
/* TCR or BMCR loopback: frames go back to RX instead of the wire. */
bool rtl8139_loopback(const Rtl8139State *s);

/* ---- rtl8139-regs.c ---- */

/* The register window of both BARs (min 1, max 4 bytes per access). */
extern const IoOps rtl8139_io_ops;
/* Build the byte-to-register map (idempotent; checks the table). */
void rtl8139_regs_init(void);
/* Storage registers to the reset values of the table. */
void rtl8139_regs_reset(Rtl8139State *s);

/* ---- rtl8139-rx.c ---- */

/* NetPeerOps.receive for the backend and the loopback queue. */
bool rtl8139_rx_frame(Rtl8139State *s, const uint8_t *buf, size_t len);
/* The guest may have made room or changed RX: retry what was refused. */
void rtl8139_rx_kick(Rtl8139State *s);
/* Queue a transmitted frame (tag may be NULL) for loopback delivery. */
bool rtl8139_loopback_push(Rtl8139State *s, const struct iovec *iov,
                           int iovcnt);
/* Drop queued loopback frames (reset). */
void rtl8139_loopback_flush(Rtl8139State *s);
/* Timer callbacks. */
void rtl8139_loop_timer_cb(void *opaque);
void rtl8139_rx_poll_cb(void *opaque);

/* ---- rtl8139-tx.c ---- */

/*
 * Put one frame on the wire (or the loopback queue), with an optional
 * 802.1Q tag (4 bytes) inserted after the addresses, and optional offload
 * work for a backend that takes it (never with loopback: RX wants
 * finished frames). NET_SEND_BUSY sets tx_blocked; the caller keeps the
 * frame.
 */
NetSendResult rtl8139_tx_output(Rtl8139State *s, const uint8_t *buf, size_t len,
                                const uint8_t *tag, const NetOffload *off);
/* C mode: transmit armed TSD slots in order from tx_cur. */
void rtl8139_tx_c_run(Rtl8139State *s);
/* TSD write (whole dword): arm the slot and run TX. */
void rtl8139_tsd_write(Rtl8139State *s, unsigned slot, uint32_t val);
/* tx_ready / loopback drained: continue whatever TX was waiting. */
void rtl8139_tx_resume(Rtl8139State *s);

/* ---- rtl8139-cplus.c ---- */

/* TPPoll: walk the high and/or normal priority rings (<= 64 each). */
void rtl8139_cp_tx_poll(Rtl8139State *s, uint8_t tppoll);
/* Timer callback: continue the ring walk after its budget ran out. */
void rtl8139_cp_tx_timer_cb(void *opaque);
/* Continue a packet left half-sent by NET_SEND_BUSY, then the rings. */
void rtl8139_cp_tx_resume(Rtl8139State *s);
/* Forget any partially processed C+ TX packet (reset, mode change). */
void rtl8139_cp_tx_abort(Rtl8139State *s);
/* DTCCR low dword written with Cmd set: DMA the 64-byte tally dump. */
void rtl8139_cp_dump_tally(Rtl8139State *s);

#endif
