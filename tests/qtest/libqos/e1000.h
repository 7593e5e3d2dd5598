/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libqos e1000: a small Intel 82540EM driver for qtests, written from the
 * 8254x Family Software Developer's Manual (SDM) and from what Linux's
 * e1000 driver does. The test is the guest: it resets the function,
 * programs rings in guest RAM, pushes descriptors and reads write-backs.
 * It is also the wire, through a socketpair netdev.
 */
#ifndef LIBQOS_E1000_H
#define LIBQOS_E1000_H

#include <sys/types.h>

#include "libqos/frame.h"
#include "libqos/pci.h"

/* Slot 4 function 0, as the tests place the device with addr=04.0. */
#define QE1000_DEVFN (4 << 3)
#define QE1000_IRQ 11
#define QE1000_MAC "52:54:00:12:34:56"

/* Register offsets (SDM 13.3, Table 13-2). */
#define E1000_CTRL 0x00000
#define E1000_STATUS 0x00008
#define E1000_EECD 0x00010
#define E1000_EERD 0x00014
#define E1000_CTRL_EXT 0x00018
#define E1000_MDIC 0x00020
#define E1000_VET 0x00038
#define E1000_ICR 0x000c0
#define E1000_ITR 0x000c4
#define E1000_ICS 0x000c8
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
#define E1000_RXDCTL 0x02828
#define E1000_RADV 0x0282c
#define E1000_TDBAL 0x03800
#define E1000_TDBAH 0x03804
#define E1000_TDLEN 0x03808
#define E1000_TDH 0x03810
#define E1000_TDT 0x03818
#define E1000_TIDV 0x03820
#define E1000_TXDCTL 0x03828
#define E1000_TADV 0x0382c
#define E1000_RXCSUM 0x05000
#define E1000_MTA 0x05200
#define E1000_RAL(n) (0x05400 + 8 * (n))
#define E1000_RAH(n) (0x05404 + 8 * (n))
#define E1000_VFTA 0x05600

/* Statistics (SDM 13.7). */
#define E1000_CRCERRS 0x04000
#define E1000_MPC 0x04010
#define E1000_PRC64 0x0405c
#define E1000_PRC127 0x04060
#define E1000_PRC255 0x04064
#define E1000_PRC511 0x04068
#define E1000_PRC1023 0x0406c
#define E1000_PRC1522 0x04070
#define E1000_GPRC 0x04074
#define E1000_BPRC 0x04078
#define E1000_MPRC 0x0407c
#define E1000_GPTC 0x04080
#define E1000_GORCL 0x04088
#define E1000_GORCH 0x0408c
#define E1000_GOTCL 0x04090
#define E1000_GOTCH 0x04094
#define E1000_RNBC 0x040a0
#define E1000_RUC 0x040a4
#define E1000_ROC 0x040ac
#define E1000_TORL 0x040c0
#define E1000_TORH 0x040c4
#define E1000_TOTL 0x040c8
#define E1000_TOTH 0x040cc
#define E1000_TPR 0x040d0
#define E1000_TPT 0x040d4
#define E1000_PTC64 0x040d8
#define E1000_PTC127 0x040dc
#define E1000_PTC255 0x040e0
#define E1000_PTC511 0x040e4
#define E1000_PTC1023 0x040e8
#define E1000_PTC1522 0x040ec
#define E1000_MPTC 0x040f0
#define E1000_BPTC 0x040f4
#define E1000_STATS_FIRST 0x04000
#define E1000_STATS_LAST 0x040fc

/* CTRL (SDM 13.4.1). */
#define E1000_CTRL_FD (1u << 0)
#define E1000_CTRL_ASDE (1u << 5)
#define E1000_CTRL_SLU (1u << 6)
#define E1000_CTRL_RST (1u << 26)
#define E1000_CTRL_VME (1u << 30)
#define E1000_CTRL_PHY_RST (1u << 31)

/* STATUS (SDM 13.4.2). */
#define E1000_STATUS_FD (1u << 0)
#define E1000_STATUS_LU (1u << 1)
#define E1000_STATUS_SPEED_MASK (3u << 6)
#define E1000_STATUS_SPEED_1000 (2u << 6)

/* EECD (SDM 13.4.3). */
#define E1000_EECD_SK (1u << 0)
#define E1000_EECD_CS (1u << 1)
#define E1000_EECD_DI (1u << 2)
#define E1000_EECD_DO (1u << 3)
#define E1000_EECD_REQ (1u << 6)
#define E1000_EECD_GNT (1u << 7)
#define E1000_EECD_PRES (1u << 8)
#define E1000_EECD_SIZE (1u << 9)

/* EERD (SDM 13.4.4, 82540EP/EM layout). */
#define E1000_EERD_START (1u << 0)
#define E1000_EERD_DONE (1u << 4)
#define E1000_EERD_ADDR_SHIFT 8
#define E1000_EERD_DATA_SHIFT 16

/* MDIC (SDM 13.4.7). */
#define E1000_MDIC_REG_SHIFT 16
#define E1000_MDIC_PHY_SHIFT 21
#define E1000_MDIC_OP_WRITE (1u << 26)
#define E1000_MDIC_OP_READ (2u << 26)
#define E1000_MDIC_READY (1u << 28)
#define E1000_MDIC_INT_EN (1u << 29)
#define E1000_MDIC_ERROR (1u << 30)

/* PHY registers (IEEE 802.3 clause 22; SDM 13.5). */
#define MII_BMCR 0x00
#define MII_BMSR 0x01
#define MII_PHYID1 0x02
#define MII_PHYID2 0x03
#define MII_ANAR 0x04
#define MII_ANLPAR 0x05
#define MII_ANER 0x06
#define MII_1000T_CTRL 0x09
#define MII_1000T_STATUS 0x0a
#define MII_EXT_STATUS 0x0f
#define BMCR_RESTART_AN (1u << 9)
#define BMCR_ANENABLE (1u << 12)
#define BMCR_LOOPBACK (1u << 14)
#define BMCR_RESET (1u << 15)
#define BMSR_LSTATUS (1u << 2)
#define BMSR_ANEGCAPABLE (1u << 3)
#define BMSR_ANEGCOMPLETE (1u << 5)

/* Interrupt causes (SDM 13.4.17). */
#define E1000_ICR_TXDW (1u << 0)
#define E1000_ICR_TXQE (1u << 1)
#define E1000_ICR_LSC (1u << 2)
#define E1000_ICR_RXSEQ (1u << 3)
#define E1000_ICR_RXDMT0 (1u << 4)
#define E1000_ICR_RXO (1u << 6)
#define E1000_ICR_RXT0 (1u << 7)
#define E1000_ICR_MDAC (1u << 9)

/* RCTL (SDM 13.4.22). */
#define E1000_RCTL_EN (1u << 1)
#define E1000_RCTL_SBP (1u << 2)
#define E1000_RCTL_UPE (1u << 3)
#define E1000_RCTL_MPE (1u << 4)
#define E1000_RCTL_LPE (1u << 5)
#define E1000_RCTL_LBM_MAC (1u << 6)
#define E1000_RCTL_RDMTS_SHIFT 8
#define E1000_RCTL_MO_SHIFT 12
#define E1000_RCTL_BAM (1u << 15)
#define E1000_RCTL_BSIZE_SHIFT 16
#define E1000_RCTL_VFE (1u << 18)
#define E1000_RCTL_BSEX (1u << 25)
#define E1000_RCTL_SECRC (1u << 26)

/* TCTL (SDM 13.4.33). */
#define E1000_TCTL_EN (1u << 1)
#define E1000_TCTL_PSP (1u << 3)
#define E1000_TCTL_CT_SHIFT 4
#define E1000_TCTL_COLD_SHIFT 12

/* RXCSUM (SDM 13.4.26). */
#define E1000_RXCSUM_IPOFLD (1u << 8)
#define E1000_RXCSUM_TUOFLD (1u << 9)

#define E1000_RAH_AV (1u << 31)

/* Transmit descriptor command bits (SDM 3.3.3.1, 3.3.7.1). */
#define E1000_TXD_CMD_EOP 0x01
#define E1000_TXD_CMD_IFCS 0x02
#define E1000_TXD_CMD_IC 0x04
#define E1000_TXD_CMD_TSE 0x04
#define E1000_TXD_CMD_RS 0x08
#define E1000_TXD_CMD_DEXT 0x20
#define E1000_TXD_CMD_VLE 0x40
#define E1000_TXD_CMD_IDE 0x80
/* Context TUCMD (SDM 3.3.6). */
#define E1000_TUCMD_TCP 0x01
#define E1000_TUCMD_IP 0x02
#define E1000_TUCMD_TSE 0x04
#define E1000_TUCMD_RS 0x08
#define E1000_TUCMD_DEXT 0x20
/* Data descriptor POPTS (SDM 3.3.7.3). */
#define E1000_POPTS_IXSM 0x01
#define E1000_POPTS_TXSM 0x02
#define E1000_TXD_STA_DD 0x01

/* Receive descriptor status and errors (SDM 3.2.3.1, 3.2.3.2). */
#define E1000_RXD_STA_DD 0x01
#define E1000_RXD_STA_EOP 0x02
#define E1000_RXD_STA_IXSM 0x04
#define E1000_RXD_STA_VP 0x08
#define E1000_RXD_STA_TCPCS 0x20
#define E1000_RXD_STA_IPCS 0x40
#define E1000_RXD_ERR_TCPE 0x20
#define E1000_RXD_ERR_IPE 0x40

/* Decoded descriptors (in guest memory: 16 little-endian bytes). */
typedef struct QE1000TxDesc {
    uint64_t addr;
    uint16_t length;
    uint8_t cso;
    uint8_t cmd;
    uint8_t status;
    uint8_t css;
    uint16_t special;
} QE1000TxDesc;

typedef struct QE1000RxDesc {
    uint64_t addr;
    uint16_t length;
    uint16_t csum;
    uint8_t status;
    uint8_t errors;
    uint16_t special;
} QE1000RxDesc;

typedef struct QE1000 {
    QTestState *qts;
    QPCIDevice *pci;
    /* Test end of the socketpair netdev (the wire); -1 once closed. */
    int wire;
    uint8_t mac[6];

    uint64_t tx_ring;
    unsigned tx_n;
    unsigned tx_tail;

    uint64_t rx_ring;
    unsigned rx_n;
    size_t rx_buf_size;
    uint64_t *rx_buf;
} QE1000;

/*
 * Start emunet with one e1000 (mac QE1000_MAC, addr=04.0) on a socketpair
 * netdev, plus `device_extra` appended to the -device option (e.g.
 * ",romfile=" or NULL). Maps BAR0 (MMIO) and BAR1 (I/O), enables the
 * function with INTx on QE1000_IRQ and intercepts IOAPIC lines.
 */
QE1000 *qe1000_start(const char *device_extra);
/* Quit emunet and free everything. */
void qe1000_stop(QE1000 *d);

uint32_t qe1000_r(QE1000 *d, uint32_t reg);
void qe1000_w(QE1000 *d, uint32_t reg, uint32_t val);

/* CTRL.RST and wait (bounded, in virtual time) for it to self-clear. */
void qe1000_reset(QE1000 *d);

/*
 * Linux-style bring-up: reset, clear statistics, IMC all, CTRL.SLU, wait
 * for STATUS.LU, TX ring of tx_n descriptors (TCTL EN|PSP, CT, COLD), RX
 * ring of rx_n descriptors each with a buffer of rx_buf_size (256, 512,
 * 1024, 2048, 4096, 8192 or 16384; RCTL EN|BAM|SECRC with the matching
 * BSIZE/BSEX), RDT = rx_n - 1. Interrupts stay masked.
 */
void qe1000_init(QE1000 *d, unsigned tx_n, unsigned rx_n, size_t rx_buf_size);

/* RCTL.BSIZE/BSEX bits for a buffer size (SDM 13.4.22). */
uint32_t qe1000_rctl_bsize(size_t size);

/* PHY access through MDIC (SDM 13.4.7); asserts the R bit and no E. */
uint16_t qe1000_phy_read(QE1000 *d, unsigned reg);
void qe1000_phy_write(QE1000 *d, unsigned reg, uint16_t val);

/* One EEPROM word through EERD (SDM 5.3.1, 13.4.4). */
uint16_t qe1000_eerd_read(QE1000 *d, unsigned word);

/* Copy `len` bytes into freshly allocated guest memory; returns the GPA. */
uint64_t qe1000_copy_to_guest(QE1000 *d, const void *data, size_t len);

/*
 * Write one raw descriptor at the TX tail and advance the software tail
 * (TDT is not written). Returns the descriptor index.
 */
unsigned qe1000_tx_push(QE1000 *d, const void *desc16);
unsigned qe1000_tx_legacy(QE1000 *d, uint64_t addr, uint16_t len,
                          uint8_t cmd, uint8_t cso, uint8_t css,
                          uint16_t special);
unsigned qe1000_tx_context(QE1000 *d, uint8_t ipcss, uint8_t ipcso,
                           uint16_t ipcse, uint8_t tucss, uint8_t tucso,
                           uint16_t tucse, uint32_t paylen, uint8_t tucmd,
                           uint8_t hdrlen, uint16_t mss);
unsigned qe1000_tx_data(QE1000 *d, uint64_t addr, uint32_t len,
                        uint8_t dcmd, uint8_t popts, uint16_t special);
/* TDT = software tail. */
void qe1000_tx_kick(QE1000 *d);
/* Read back TX descriptor `idx`. */
void qe1000_tx_desc(QE1000 *d, unsigned idx, QE1000TxDesc *desc);
/* Poll (real time, up to timeout_ms) for DD in TX descriptor idx. */
bool qe1000_tx_wait_dd(QE1000 *d, unsigned idx, int timeout_ms);
/* Send one frame in a single legacy descriptor with EOP|IFCS|RS. */
unsigned qe1000_tx_frame(QE1000 *d, const void *frame, size_t len);

/* Read RX descriptor idx. */
void qe1000_rx_desc(QE1000 *d, unsigned idx, QE1000RxDesc *desc);
/* Poll (real time, up to timeout_ms) for DD in RX descriptor idx. */
bool qe1000_rx_wait(QE1000 *d, unsigned idx, int timeout_ms,
                    QE1000RxDesc *desc);
/* Read `len` bytes of the buffer of RX descriptor idx. */
void qe1000_rx_buf(QE1000 *d, unsigned idx, void *buf, size_t len);
/* Give descriptor idx back: clear its write-back fields, keep the buffer. */
void qe1000_rx_refill(QE1000 *d, unsigned idx);

/* Wire side. */
void qe1000_wire_send(QE1000 *d, const void *frame, size_t len);
/* A frame from the NIC, or -1 after timeout_ms. */
ssize_t qe1000_wire_recv(QE1000 *d, void *buf, size_t cap, int timeout_ms);
/* Close the test end of the wire (carrier loss for the backend). */
void qe1000_wire_close(QE1000 *d);

/* Interrupt line level as last reported. */
bool qe1000_irq(QE1000 *d);
/*
 * Step the virtual clock in `step_ns` increments, up to `max_ns`, until
 * the INTx line is high. Returns whether it went high.
 */
bool qe1000_wait_irq(QE1000 *d, int64_t step_ns, int64_t max_ns);

/* Read (and so clear) every statistics register. */
void qe1000_clear_stats(QE1000 *d);

/* Frame builder. */
typedef enum QE1000L3 {
    QE1000_L3_NONE,
    QE1000_L3_IPV4,
    QE1000_L3_IPV6,
} QE1000L3;

typedef enum QE1000L4 {
    QE1000_L4_NONE,
    QE1000_L4_TCP,
    QE1000_L4_UDP,
} QE1000L4;

typedef struct QE1000FrameSpec {
    uint8_t dst[6];
    uint8_t src[6];
    bool vlan;
    uint16_t tci;
    uint16_t vlan_tpid; /* 0 = 0x8100 */
    uint16_t ethertype; /* used when l3 is NONE */
    QE1000L3 l3;
    QE1000L4 l4;
    size_t payload_len;
    uint8_t payload_seed;
    uint16_t ip_id;
    uint32_t tcp_seq;
    uint8_t tcp_flags;
    /* Checksums: complete and valid unless one of these says otherwise. */
    bool ip_csum_zero;   /* leave the IPv4 header checksum 0 */
    bool l4_pseudo_only; /* TCP/UDP field = folded pseudo-header sum */
    bool tso_headers;    /* Linux TSO prep: IPv4 tot_len/IPv6 plen and
                          * checksum 0, L4 field = pseudo sum, length 0 */
} QE1000FrameSpec;

typedef QFrameInfo QE1000FrameInfo;

/* Defaults: dst = QE1000_MAC, src 02:00:00:00:00:01, no VLAN. */
void qe1000_frame_spec_init(QE1000FrameSpec *spec);
/*
 * Build the frame into buf (cap bytes) with frame.h; asserts it fits.
 * TCP goes from port 0x1234 to 80 with a 32-byte header (NOP, NOP,
 * timestamps), UDP from 0x1234 to 4789.
 */
size_t qe1000_build_frame(uint8_t *buf, size_t cap,
                          const QE1000FrameSpec *spec,
                          QE1000FrameInfo *info);

/*
 * Reference checksums, computed independently of the device code
 * (frame.h): plain RFC 1071 one's-complement sums.
 */
static inline uint32_t qe1000_sum(uint32_t sum, const uint8_t *p, size_t len)
{
    return qframe_sum(sum, p, len);
}

static inline uint16_t qe1000_fold(uint32_t sum)
{
    return qframe_fold(sum);
}

/* IPv4 header check of a frame: true when the header sums to 0xffff. */
static inline bool qe1000_ipv4_csum_ok(const uint8_t *frame, size_t l3_off)
{
    return qframe_ipv4_csum_ok(frame, l3_off);
}

/* TCP/UDP check over IPv4 or IPv6 (version from the header). */
static inline bool qe1000_l4_csum_ok(const uint8_t *frame, size_t len,
                                     size_t l3_off, size_t l4_off)
{
    return qframe_l4_csum_ok(frame, len, l3_off, l4_off);
}

/* IEEE 802.3 CRC-32 (the FCS value). */
static inline uint32_t qe1000_crc32(const uint8_t *p, size_t len)
{
    return qframe_crc32(p, len);
}

static inline uint16_t qe1000_be16(const uint8_t *p)
{
    return qframe_be16(p);
}

static inline uint32_t qe1000_be32(const uint8_t *p)
{
    return qframe_be32(p);
}

#endif
