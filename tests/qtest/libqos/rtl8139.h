/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libqos rtl8139: a small RTL8139C / RTL8139C+ driver for qtests, written
 * from the RTL8139C(L) and RTL8139C+ datasheets and from what Linux's
 * 8139too (C mode: RX ring buffer, four TSD/TSAD slots) and 8139cp (C+
 * mode: descriptor rings) do. The test is the guest: it resets the
 * function, programs the rings in guest RAM and reads what the NIC wrote.
 * It is also the wire, through a socketpair netdev.
 */
#ifndef LIBQOS_RTL8139_H
#define LIBQOS_RTL8139_H

#include <sys/types.h>

#include "libqos/frame.h"
#include "libqos/pci.h"

/* Slot 4 function 0, as the tests place the device with addr=04.0. */
#define QRTL_DEVFN (4 << 3)
#define QRTL_IRQ 11
#define QRTL_MAC "52:54:00:12:34:56"
/* -device option for the pre-C+ RTL8139C (8139too binds, C mode only). */
#define QRTL_REV_C ",x-revision=0x10"

/* BARs: 0 = 256-byte I/O, 1 = 256-byte MMIO (datasheet 5, PCI config). */
#define QRTL_BAR_IO 0
#define QRTL_BAR_MMIO 1
#define QRTL_REG_SIZE 256
/* Virtual time per poll iteration of the wait helpers. */
#define QRTL_STEP_NS 100000

/* Operational registers (RTL8139C datasheet 6; RTL8139C+ datasheet 6). */
#define RTL_IDR0 0x00
#define RTL_MAR0 0x08
#define RTL_TSD0 0x10      /* C mode: 4 x 32-bit Transmit Status */
#define RTL_DTCCR 0x10     /* C+ mode: 64-bit Dump Tally Counter Command */
#define RTL_TSAD0 0x20     /* C mode: 4 x 32-bit Transmit Start Address */
#define RTL_TNPDS 0x20     /* C+ mode: 64-bit normal-priority TX ring */
#define RTL_THPDS 0x28     /* C+ mode: 64-bit high-priority TX ring */
#define RTL_RBSTART 0x30
#define RTL_ERBCR 0x34
#define RTL_ERSR 0x36
#define RTL_CR 0x37
#define RTL_CAPR 0x38
#define RTL_CBR 0x3a
#define RTL_IMR 0x3c
#define RTL_ISR 0x3e
#define RTL_TCR 0x40
#define RTL_RCR 0x44
#define RTL_TCTR 0x48
#define RTL_MPC 0x4c
#define RTL_9346CR 0x50
#define RTL_CONFIG0 0x51
#define RTL_CONFIG1 0x52
#define RTL_TIMERINT 0x54
#define RTL_MSR 0x58
#define RTL_CONFIG3 0x59
#define RTL_CONFIG4 0x5a
#define RTL_MULINT 0x5c
#define RTL_TSAD 0x60      /* Transmit Status of All Descriptors */
#define RTL_BMCR 0x62
#define RTL_BMSR 0x64
#define RTL_ANAR 0x66
#define RTL_ANLPAR 0x68
#define RTL_ANER 0x6a
#define RTL_NWAYTR 0x70
#define RTL_CSCR 0x74
#define RTL_CONFIG5 0xd8
#define RTL_TPPOLL 0xd9    /* C+ TxPoll */
#define RTL_RMS 0xda       /* C+ RxMaxSize */
#define RTL_CPCR 0xe0      /* C+ Command Register */
#define RTL_INTRMIT 0xe2   /* C+ IntrMitigate */
#define RTL_RDSAR 0xe4     /* C+ 64-bit RX descriptor ring */
#define RTL_ETTHR 0xec     /* C+ early TX threshold */

/* CR (datasheet 6.x "Command Register"). */
#define RTL_CR_BUFE 0x01
#define RTL_CR_TE 0x04
#define RTL_CR_RE 0x08
#define RTL_CR_RST 0x10

/* IMR/ISR bits. */
#define RTL_INT_ROK (1u << 0)
#define RTL_INT_RER (1u << 1)
#define RTL_INT_TOK (1u << 2)
#define RTL_INT_TER (1u << 3)
#define RTL_INT_RXOVW (1u << 4)    /* C: RX buffer overflow; C+: RDU */
#define RTL_INT_LINKCHG (1u << 5)  /* PUN/LinkChg */
#define RTL_INT_FOVW (1u << 6)
#define RTL_INT_TDU (1u << 7)      /* C+: TX descriptor unavailable */
#define RTL_INT_SWINT (1u << 8)    /* C+: software interrupt (TxPoll) */
#define RTL_INT_LENCHG (1u << 13)
#define RTL_INT_TIMEOUT (1u << 14)
#define RTL_INT_SERR (1u << 15)

/* TSD (C mode). */
#define RTL_TSD_SIZE_MASK 0x1fffu
#define RTL_TSD_OWN (1u << 13)
#define RTL_TSD_TUN (1u << 14)
#define RTL_TSD_TOK (1u << 15)
#define RTL_TSD_ERTXTH_SHIFT 16
#define RTL_TSD_ERTXTH_MASK (0x3fu << 16)
#define RTL_TSD_TABT (1u << 30)

/* TCR. */
#define RTL_TCR_HWVERID_MASK 0x7cc00000u
#define RTL_TCR_HWVER_8139C 0x74000000u
#define RTL_TCR_HWVER_8139CP 0x74800000u
#define RTL_TCR_LBK (3u << 17)
#define RTL_TCR_IFG96 (3u << 24)

/* RCR. */
#define RTL_RCR_AAP (1u << 0)
#define RTL_RCR_APM (1u << 1)
#define RTL_RCR_AM (1u << 2)
#define RTL_RCR_AB (1u << 3)
#define RTL_RCR_AR (1u << 4)
#define RTL_RCR_AER (1u << 5)
#define RTL_RCR_WRAP (1u << 7)
#define RTL_RCR_RBLEN_SHIFT 11

/* RX header status (C mode, datasheet "Receive Status Register in RX
 * packet header"). */
#define RTL_RXS_ROK (1u << 0)
#define RTL_RXS_FAE (1u << 1)
#define RTL_RXS_CRC (1u << 2)
#define RTL_RXS_LONG (1u << 3)
#define RTL_RXS_RUNT (1u << 4)
#define RTL_RXS_ISE (1u << 5)
#define RTL_RXS_BAR (1u << 13)
#define RTL_RXS_PAM (1u << 14)
#define RTL_RXS_MAR (1u << 15)

/* 9346CR. */
#define RTL_9346_EEDO 0x01
#define RTL_9346_EEDI 0x02
#define RTL_9346_EESK 0x04
#define RTL_9346_EECS 0x08
#define RTL_9346_EEM_AUTOLOAD 0x40
#define RTL_9346_EEM_PROGRAM 0x80
#define RTL_9346_EEM_CFGWE 0xc0

/* MSR / BMSR. */
#define RTL_MSR_LINKB (1u << 2)
#define RTL_BMCR_ANE (1u << 12)
#define RTL_BMSR_LINK (1u << 2)
#define RTL_BMSR_ANC (1u << 5)

/* C+ Command Register (8139C+ datasheet "C+CR"). */
#define RTL_CPCR_TXEN (1u << 0)
#define RTL_CPCR_RXEN (1u << 1)
#define RTL_CPCR_MULRW (1u << 3)
#define RTL_CPCR_DAC (1u << 4)
#define RTL_CPCR_RXCSUM (1u << 5)
#define RTL_CPCR_RXVLAN (1u << 6)

/* TxPoll. */
#define RTL_TPPOLL_FSWINT (1u << 0)
#define RTL_TPPOLL_NPQ (1u << 6)
#define RTL_TPPOLL_HPQ (1u << 7)

/* DTCCR. */
#define RTL_DTCCR_CMD (1u << 3)
#define RTL_TALLY_SIZE 64

/* C+ descriptors: opts1, opts2, 64-bit buffer address (16 bytes). */
#define RTL_DESC_OWN (1u << 31)
#define RTL_DESC_EOR (1u << 30)
#define RTL_DESC_FS (1u << 29)
#define RTL_DESC_LS (1u << 28)
#define RTL_TXD_LGSEN (1u << 27)
#define RTL_TXD_MSS_SHIFT 16
#define RTL_TXD_MSS_MASK 0x7ffu
#define RTL_TXD_IPCS (1u << 18)
#define RTL_TXD_UDPCS (1u << 17)
#define RTL_TXD_TCPCS (1u << 16)
#define RTL_TXD_LEN_MASK 0xffffu
#define RTL_TXD_TAGC (1u << 17)     /* opts2 */
#define RTL_TXS_UNF (1u << 25)      /* status after TX */
#define RTL_TXS_ES (1u << 23)
#define RTL_RXD_LEN_MASK 0x1fffu
#define RTL_RXS_MARF (1u << 26)
#define RTL_RXS_PAMF (1u << 25)
#define RTL_RXS_BARF (1u << 24)
#define RTL_RXS_FOVF (1u << 22)
#define RTL_RXS_LONGF (1u << 21)
#define RTL_RXS_RES (1u << 20)
#define RTL_RXS_RUNTF (1u << 19)
#define RTL_RXS_CRCF (1u << 18)
#define RTL_RXS_PID_SHIFT 16
#define RTL_RXS_PID_MASK 3u
#define RTL_RXS_IPF (1u << 15)
#define RTL_RXS_UDPF (1u << 14)
#define RTL_RXS_TCPF (1u << 13)
#define RTL_RXD_TAVA (1u << 16)     /* opts2: VLAN tag available */
#define RTL_PID_NONIP 0
#define RTL_PID_TCP 1
#define RTL_PID_UDP 2
#define RTL_PID_IP 3
#define QRTL_CP_RING_MAX 64

typedef struct QRtl {
    QTestState *qts;
    QPCIDevice *pci;
    /* Test end of the socketpair netdev (the wire); -1 once closed. */
    int wire;
    /* BAR used by qrtl_r / qrtl_w: QRTL_BAR_IO or QRTL_BAR_MMIO. */
    int bar;
    /*
     * Virtual time each poll iteration advances (QRTL_STEP_NS; 0 = real
     * time only), so work the NIC defers to its clock gets done.
     */
    int64_t step_ns;
    uint8_t mac[6];

    /* C mode RX ring buffer (8139too layout). */
    uint64_t rx_ring;
    size_t rx_size;         /* 8, 16, 32 or 64 KiB */
    bool rx_wrap;           /* RCR.WRAP set (ignored by the NIC at 64K) */
    uint32_t cur_rx;        /* driver's read offset, never reduced */
    bool rx_ack;            /* ack RxOK/RxOverflow/RxFIFOOver per frame */
    uint64_t rx_guard_lo;   /* canary areas around the ring */
    uint64_t rx_guard_hi;
    size_t rx_guard_len;

    /* C mode TX slots. */
    uint64_t tx_buf[4];
    unsigned cur_tx;
    uint32_t tx_ertxth;     /* ERTXTH field (6 bits) for each TSD write */

    /* C+ mode rings (8139cp layout). */
    uint64_t cp_tx_ring;
    unsigned cp_tx_n;
    unsigned cp_tx_head;
    uint64_t cp_rx_ring;
    unsigned cp_rx_n;
    unsigned cp_rx_tail;
    size_t cp_rx_buf_size;
    uint64_t cp_rx_buf[QRTL_CP_RING_MAX];
} QRtl;

/*
 * Start emunet with one rtl8139 (mac QRTL_MAC, addr=04.0) on a socketpair
 * netdev, plus `device_extra` appended to the -device option (e.g.
 * QRTL_REV_C or NULL). Maps BAR0 (I/O) and BAR1 (MMIO), enables the
 * function with INTx on QRTL_IRQ and intercepts IOAPIC lines. Register
 * accesses go through the MMIO BAR until d->bar is changed.
 */
QRtl *qrtl_start(const char *device_extra);
/* Quit emunet and free everything. */
void qrtl_stop(QRtl *d);
/* Let ms of real time pass, stepping the virtual clock as polls do. */
void qrtl_settle(QRtl *d, int ms);

uint8_t qrtl_r8(QRtl *d, unsigned off);
uint16_t qrtl_r16(QRtl *d, unsigned off);
uint32_t qrtl_r32(QRtl *d, unsigned off);
void qrtl_w8(QRtl *d, unsigned off, uint8_t v);
void qrtl_w16(QRtl *d, unsigned off, uint16_t v);
void qrtl_w32(QRtl *d, unsigned off, uint32_t v);

/* CR.RST and wait (bounded) for the bit to self-clear; asserts it did. */
void qrtl_reset(QRtl *d);

/*
 * 93C46 through 9346CR, bit-banged exactly as 8139too/8139cp do it.
 * addr_len is 6 for a 93C46 (8 probes for a 93C56).
 */
uint16_t qrtl_eeprom_read(QRtl *d, unsigned word, unsigned addr_len);
/* EWEN, WRITE, wait for ready (bounded), EWDS. Returns ready seen. */
bool qrtl_eeprom_write(QRtl *d, unsigned word, uint16_t val);
/* One WRITE without EWEN first (must be ignored by a 93C46). */
void qrtl_eeprom_write_raw(QRtl *d, unsigned word, uint16_t val);

/* Program IDR0-5 as the drivers do (unlock, two 32-bit writes, lock). */
void qrtl_set_mac(QRtl *d, const uint8_t *mac);

/*
 * 8139too rtl8139_hw_start: reset, unlock, MAC, RBSTART, CR.RE|TE, RCR
 * (ring 8K << rblen_idx, WRAP as asked, `accept` filter bits), TCR,
 * lock, TSAD0-3, MPC = 0, MULINT; IMR stays 0. The ring is allocated
 * with RX_BUF_PAD (16) + 2048 bytes of slack as 8139too does, between
 * two 4 KiB canary areas (see qrtl_c_guard_ok).
 */
void qrtl_c_init(QRtl *d, unsigned rblen_idx, bool wrap, uint32_t accept);
/* RCR value qrtl_c_init programmed (for tests changing filter bits). */
uint32_t qrtl_c_rcr(QRtl *d, uint32_t accept);
/* CR.BUFE clear: the NIC says there is an unread packet. */
bool qrtl_c_rx_pending(QRtl *d);
/* Poll (real time) for CR.BUFE to clear. */
bool qrtl_c_rx_wait(QRtl *d, int timeout_ms);
/*
 * Read the next packet like 8139too rtl8139_rx: header at cur_rx % size,
 * data (wrapping at the ring end unless RCR.WRAP applies), then
 * cur_rx = (cur_rx + len + 4 + 3) & ~3 and CAPR = (u16)(cur_rx - 16), then
 * ack ISR RxAckBits if d->rx_ack. Returns the header length field
 * (frame + CRC) or -1 if no packet came within timeout_ms. Up to `cap`
 * bytes of frame and CRC go to buf.
 */
int qrtl_c_rx(QRtl *d, uint16_t *status, uint8_t *buf, size_t cap,
              int timeout_ms);
/* True while both canary areas around the RX ring are intact. */
bool qrtl_c_guard_ok(QRtl *d);
/* Offset of the next packet in the ring (cur_rx modulo the ring size). */
uint32_t qrtl_c_rx_offset(QRtl *d);

/*
 * 8139too rtl8139_start_xmit: copy into the slot's buffer, write
 * TSD = ERTXTH | len (OWN = 0). Returns the slot used.
 */
unsigned qrtl_c_tx(QRtl *d, const void *frame, size_t len);
/* Poll TSD of `slot` for TOK|TUN|TABT; returns TSD (0 on timeout). */
uint32_t qrtl_c_tx_wait(QRtl *d, unsigned slot, int timeout_ms);

/*
 * 8139cp cp_init_hw: reset, unlock, MAC, CpCmd = MulRW|CPRx|CPTx|extra,
 * THPDS = 0, RDSAR, TNPDS, CR.RE|TE, ETTHR, RCR (APM|AB|`accept`), TCR,
 * CONFIG1/3/5, MULINT, lock. TX ring of tx_n descriptors, RX ring of rx_n
 * descriptors owned by the NIC, each with a rx_buf_size buffer; EOR on
 * the last of each. IMR stays 0.
 */
void qrtl_cp_init(QRtl *d, unsigned tx_n, unsigned rx_n, size_t rx_buf_size,
                  uint16_t cpcmd_extra, uint32_t accept);
/* CpCmd as qrtl_cp_init wrote it. */
uint16_t qrtl_cp_cpcmd(uint16_t extra);

void qrtl_cp_desc_write(QRtl *d, uint64_t desc, uint32_t opts1,
                        uint32_t opts2, uint64_t addr);
void qrtl_cp_desc_read(QRtl *d, uint64_t desc, uint32_t *opts1,
                       uint32_t *opts2, uint64_t *addr);
/*
 * Write TX descriptor at the head: OWN | EOR (last) | len | flags, opts2.
 * Advances the head; returns the descriptor index. TxPoll not written.
 */
unsigned qrtl_cp_tx_push(QRtl *d, uint64_t addr, uint32_t len,
                         uint32_t flags, uint32_t opts2);
/* Copy a frame to guest RAM, push it with FS|LS|flags, write TxPoll. */
unsigned qrtl_cp_tx_frame(QRtl *d, const void *frame, size_t len,
                          uint32_t flags, uint32_t opts2);
void qrtl_cp_tx_poll(QRtl *d);
/* Poll TX descriptor idx for OWN clear; its opts1 goes to *opts1. */
bool qrtl_cp_tx_wait(QRtl *d, unsigned idx, int timeout_ms, uint32_t *opts1);
/*
 * Next RX descriptor (8139cp cp_rx_poll): wait for OWN clear, copy up to
 * cap bytes of its buffer, give it back to the NIC, advance. Returns the
 * length field (frame + CRC) or -1 on timeout.
 */
int qrtl_cp_rx(QRtl *d, uint32_t *opts1, uint32_t *opts2, uint8_t *buf,
               size_t cap, int timeout_ms);
/* RX descriptor idx back to the NIC (OWN | size | EOR on the last). */
void qrtl_cp_rx_refill(QRtl *d, unsigned idx);
/*
 * What 8139cp does after refilling: rewrite IMR (cp_rx_poll's final
 * cpw16_f(IntrMask, ...)). Gives the NIC its cue that buffers are back.
 */
void qrtl_cp_rx_kick(QRtl *d);
/*
 * 8139cp cp_get_ethtool_stats: DTCCR high, low | Cmd, poll for Cmd to
 * clear (bounded), then clear DTCCR. Returns whether Cmd cleared.
 */
bool qrtl_dump_tally(QRtl *d, uint64_t gpa);

/* Copy `len` bytes into freshly allocated guest memory; returns the GPA. */
uint64_t qrtl_copy_to_guest(QRtl *d, const void *data, size_t len);

/* Interrupt line level as last reported (after a dummy access). */
bool qrtl_irq(QRtl *d);
/* Poll the line (real time) until it is high. */
bool qrtl_wait_irq(QRtl *d, int timeout_ms);
/* Poll (real time) until (ISR & mask) != 0; returns ISR. */
uint16_t qrtl_wait_isr(QRtl *d, uint16_t mask, int timeout_ms);

/* Wire side. */
void qrtl_wire_send(QRtl *d, const void *frame, size_t len);
ssize_t qrtl_wire_recv(QRtl *d, void *buf, size_t cap, int timeout_ms);
/* True when no frame arrives within ms. */
bool qrtl_wire_quiet(QRtl *d, int ms);
/* Close the test end of the wire (carrier loss for the backend). */
void qrtl_wire_close(QRtl *d);

/* "emunet: rtl8139: guest error" was logged. */
bool qrtl_logged_guest_error(QRtl *d);

/* Frame builder (IPv4 only: the 8139C+ offloads are IPv4 only). */
typedef enum QRtlL4 {
    QRTL_L4_NONE,   /* ethertype + raw payload */
    QRTL_L4_IP,     /* IPv4 with an unknown protocol (253) */
    QRTL_L4_ICMP,
    QRTL_L4_TCP,
    QRTL_L4_UDP,
} QRtlL4;

typedef enum QRtlCsum {
    QRTL_CSUM_VALID,    /* IP header and L4 checksums complete */
    QRTL_CSUM_PARTIAL,  /* Linux CHECKSUM_PARTIAL: IP valid, L4 = pseudo */
    QRTL_CSUM_ZERO,     /* both zero */
    QRTL_CSUM_GARBAGE,  /* both 0xdead: the NIC must not add to them */
} QRtlCsum;

typedef struct QRtlFrameSpec {
    uint8_t dst[6];
    uint8_t src[6];
    uint16_t ethertype;     /* for QRTL_L4_NONE */
    bool vlan;
    uint16_t tci;
    QRtlL4 l4;
    size_t ip_opt_len;      /* IPv4 options, multiple of 4, <= 40 */
    size_t tcp_opt_len;     /* TCP options, multiple of 4, <= 40 */
    size_t payload_len;
    uint8_t payload_seed;
    uint16_t ip_id;
    uint32_t tcp_seq;
    uint8_t tcp_flags;
    QRtlCsum csum;
} QRtlFrameSpec;

/* As frame.h says, except l4_off 0 for QRTL_L4_NONE. */
typedef QFrameInfo QRtlFrameInfo;

#define QRTL_TCP_FIN 0x01
#define QRTL_TCP_SYN 0x02
#define QRTL_TCP_RST 0x04
#define QRTL_TCP_PSH 0x08
#define QRTL_TCP_ACK 0x10
#define QRTL_TCP_URG 0x20

/* Defaults: dst = QRTL_MAC, src 02:00:00:00:00:01, UDP, 64 bytes. */
void qrtl_frame_spec_init(QRtlFrameSpec *spec);
/*
 * Build into buf (cap bytes) with frame.h; asserts it fits. TCP goes
 * from port 40000 to 80 with NOP options, UDP from 5000 to 5001.
 */
size_t qrtl_build_frame(uint8_t *buf, size_t cap, const QRtlFrameSpec *spec,
                        QRtlFrameInfo *info);
/* Payload byte i of a frame built with `seed`. */
uint8_t qrtl_payload_byte(uint8_t seed, size_t i);
/* A frame of `len` bytes to dst with a 2-byte sequence number at 14. */
size_t qrtl_simple_frame(uint8_t *buf, size_t len, const uint8_t *dst,
                         uint16_t seq);

/*
 * Reference arithmetic, independent of the device code (frame.h).
 * qrtl_sum: the RFC 1071 sum of p added to sum, folded to 16 bits.
 */
static inline uint32_t qrtl_sum(uint32_t sum, const uint8_t *p, size_t len)
{
    return qframe_fold(qframe_sum(sum, p, len));
}

/* The checksum field value for a sum: folded and complemented. */
static inline uint16_t qrtl_fold(uint32_t sum)
{
    return (uint16_t)~qframe_fold(sum);
}

static inline bool qrtl_ipv4_csum_ok(const uint8_t *frame, size_t l3_off)
{
    return qframe_ipv4_csum_ok(frame, l3_off);
}

/* TCP/UDP checksum over IPv4 of a frame whose IP header is at l3_off. */
static inline bool qrtl_l4_csum_ok(const uint8_t *frame, size_t len,
                                   size_t l3_off)
{
    return qframe_l4_csum_ok(frame, len, l3_off,
                             l3_off + (frame[l3_off] & 0x0f) * 4u);
}

/* IEEE 802.3 CRC-32: the FCS value as stored little-endian after data. */
static inline uint32_t qrtl_crc32(const uint8_t *p, size_t len)
{
    return qframe_crc32(p, len);
}

/* Multicast hash bin as 8139too/8139cp compute it: ether_crc() >> 26. */
unsigned qrtl_mc_bin(const uint8_t *mac);

static inline uint16_t qrtl_be16(const uint8_t *p)
{
    return qframe_be16(p);
}

static inline uint32_t qrtl_be32(const uint8_t *p)
{
    return qframe_be32(p);
}

static inline uint16_t qrtl_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t qrtl_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t qrtl_le64(const uint8_t *p)
{
    return (uint64_t)qrtl_le32(p) | (uint64_t)qrtl_le32(p + 4) << 32;
}

#endif
