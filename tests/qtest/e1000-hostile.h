/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Harness of the hostile-guest (security regression) qtests for emunet's
 * e1000 (Intel 82540EM), e1000-hostile-*-test.c: one binary per group of
 * bug classes of shared/reference/security-invariants.md, one test per
 * class that applies to e1000. Each test performs the trigger, then
 * checks that emunet
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
#ifndef E1000_HOSTILE_H
#define E1000_HOSTILE_H

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

/* The MAC emunet's e1000 is given (h_start). */
extern const uint8_t h_mac[6];

/* One emunet with its e1000: the guest's view of it and of the wire. */
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

/* 32-bit BAR0 register access. */
uint32_t h_r(Hostile *h, uint32_t reg);
void h_w(Hostile *h, uint32_t reg, uint32_t val);

/* Wait (bounded, real time) for the guest error the trigger must log. */
void h_expect_guest_error(Hostile *h);

/* EEPROM word through EERD (SDM 13.4.4, 82540EM layout). */
uint16_t h_eerd(Hostile *h, unsigned addr);

/* One MDIC operation (SDM 13.4.7); returns the final MDIC value. */
uint32_t h_mdic(Hostile *h, uint32_t op, unsigned phy, unsigned reg,
                uint16_t data);

/* CTRL.RST, link up, interrupts masked, statistics cleared. */
void h_reset(Hostile *h);

/* ---- guest memory arena ---- */

/* size bytes of the arena at an align boundary (a power of two). */
uint64_t h_alloc(Hostile *h, size_t size, size_t align);

/* Guest writes data at addr (inside the arena): the arena must hold it. */
void h_put(Hostile *h, uint64_t addr, const void *data, size_t len);

/* The device may write these arena bytes (checked elsewhere). */
void h_allow(Hostile *h, uint64_t addr, size_t len);

/* A fresh arena buffer holding data (at least one byte); its address. */
uint64_t h_put_buf(Hostile *h, const void *data, size_t len);

/*
 * Invariant E/9: nothing outside posted buffers and descriptor status
 * fields changed in guest memory.
 */
void h_check_arena(Hostile *h);

/* ---- frames ---- */

/* Guest payload bytes: never zero, so zero padding is unambiguous. */
void h_pattern(uint8_t *p, size_t len, unsigned seed);

/* An Ethernet frame (ethertype 0x88b5) with a seeded payload. */
void h_frame(uint8_t *p, size_t len, unsigned seed);

/*
 * A wire/RX frame equals the guest's frame: byte for byte, or a short
 * one zero-padded to the 60-byte minimum (TCTL.PSP, SDM 13.4.33).
 */
bool h_frame_eq(const uint8_t *f, size_t flen, const uint8_t *g,
                size_t glen);

/* An empty array of frames (GByteArray), which it owns. */
GPtrArray *h_frames_new(void);

/* Every frame equals one of the n guest frames (each len bytes). */
void h_check_frames_among(GPtrArray *frames, uint8_t **guest,
                          unsigned n, size_t len);

/* ---- TX ---- */

/* Legacy TX descriptor (SDM 3.3.3): CSO in byte 10, CSS in byte 13. */
void h_txd_legacy(uint8_t *d, uint64_t addr, uint16_t len,
                  uint8_t cmd, uint8_t cso, uint8_t css,
                  uint16_t special);

/* TCP/IP context descriptor (SDM 3.3.6). tucmd without DEXT. */
void h_txd_ctx(uint8_t *d, uint8_t ipcss, uint8_t ipcso,
               uint16_t ipcse, uint8_t tucss, uint8_t tucso,
               uint16_t tucse, uint32_t paylen, uint8_t tucmd,
               uint8_t hdrlen, uint16_t mss);

/* TCP/IP data descriptor (SDM 3.3.7). dcmd without DEXT. */
void h_txd_data(uint8_t *d, uint64_t addr, uint32_t len,
                uint8_t dcmd, uint8_t popts, uint16_t special);

/* A TX ring of n descriptors in the arena, TDH = TDT = 0, TX enabled. */
void h_tx_init(Hostile *h, unsigned n);

/* Descriptor d into TX ring slot idx (modulo the ring size). */
void h_tx_put(Hostile *h, unsigned idx, const uint8_t *d);

/* Descriptor d at the software tail, which advances; its index. */
unsigned h_tx_push(Hostile *h, const uint8_t *d);

/* Doorbell: TDT = the software tail. */
void h_tx_kick(Hostile *h);

/* The status byte of TX descriptor idx in guest memory. */
uint8_t h_tx_sta(Hostile *h, unsigned idx);

/* Descriptors of the TX ring with DD written back. */
unsigned h_tx_done(Hostile *h);

/* Queue a legacy frame (EOP|IFCS|RS) and ring the doorbell. */
unsigned h_tx_frame(Hostile *h, const uint8_t *frame, size_t len);

/* A sentinel frame, unique per call, that nothing else resembles. */
void h_sentinel(Hostile *h, uint8_t *p);

/*
 * Responsive after the trigger: EERD returns the MAC (SDM 5.6.1 words
 * 0-2), CTRL.RST works and a normal frame then reaches the wire with DD
 * written back. Returns the frames the wire carried before it.
 */
GPtrArray *h_sane(Hostile *h);

/* h_sane when the trigger must not have put anything on the wire. */
void h_sane_nothing_sent(Hostile *h);

/* ---- RX ---- */

/*
 * An RX ring of n descriptors with buf_size-byte buffers 256 canary
 * bytes apart, RDH = 0, RDT = n - 1, promiscuous, CRC stripped.
 */
void h_rx_init(Hostile *h, unsigned n, size_t buf_size,
               uint32_t rctl);

/*
 * Every descriptor with DD, wherever the device put it, as a one-buffer
 * frame; bytes after the written length must be untouched.
 */
void h_rx_scan(Hostile *h, GPtrArray *frames);

/* Frames received before `sentinel`, sent from the wire after them. */
GPtrArray *h_rx_until(Hostile *h, const uint8_t *sentinel,
                      size_t len);

/*
 * Responsive RX after the trigger: CTRL.RST, a fresh ring, and a frame
 * from the wire lands byte for byte. Returns frames received before it.
 */
GPtrArray *h_sane_rx(Hostile *h);

/*
 * The frames a loopback trigger left in the RX ring once it is quiet.
 * Loopback delivery may be deferred to a timer (invariant 9), so virtual
 * time moves too; quiet means three rounds without a new frame.
 */
GPtrArray *h_rx_settle(Hostile *h);

/* ---- lifecycle ---- */

/*
 * emunet with an e1000 at 04.0 whose wire is a socketpair: BARs mapped,
 * bus mastering on, the arena filled with the canary, h_reset done.
 */
Hostile *h_start(void);

/*
 * emunet must still be alive with no sanitizer report on its stderr;
 * then it is quit and h freed.
 */
void h_stop(Hostile *h);

/* ---- used by several classes ---- */

/* Free a NULL-terminated array of guest frames (h_tx_fill). */
void h_bufs_free(uint8_t **bufs);

/* n valid legacy frames of len bytes in descriptors 0..n-1. */
uint8_t **h_tx_fill(Hostile *h, unsigned n, size_t len);

/* ---- headers ---- */

/* An Ethernet + IPv4 + TCP header is this long (h_tcp_header). */
#define H_HDRLEN 54

/* Ethernet + IPv4 + TCP header (SDM 3.5 TCP segmentation example). */
void h_tcp_header(uint8_t *p);

#endif
