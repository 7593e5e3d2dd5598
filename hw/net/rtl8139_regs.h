/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RTL8139C / RTL8139C+ register offsets and bits, named after the Realtek
 * data sheets ("RTL8139C(L) Rev. 1.4", "RTL8139C(L)+ Rev. 1.6"; C+
 * descriptor layouts as in the RTL8169 data sheet, which shares them).
 * Offsets are into the 256-byte register window that both BAR0 (I/O) and
 * BAR1 (memory) decode.
 */
#ifndef EMUNET_HW_NET_RTL8139_REGS_H
#define EMUNET_HW_NET_RTL8139_REGS_H

#define RTL_REGS_SIZE 256

/* ---- Register offsets ---- */
#define RTL_IDR0 0x00    /* IDR0-5: station address */
#define RTL_MAR0 0x08    /* MAR0-7: multicast hash filter */
#define RTL_TSD0 0x10    /* TSD0-3: C mode transmit status (32-bit) */
#define RTL_DTCCR 0x10   /* C+: dump tally counter command (64-bit) */
#define RTL_TSAD0 0x20   /* TSAD0-3: C mode transmit buffer addresses */
#define RTL_TNPDS 0x20   /* C+: normal priority TX ring (64-bit) */
#define RTL_THPDS 0x28   /* C+: high priority TX ring (64-bit) */
#define RTL_RBSTART 0x30 /* receive ring buffer start */
#define RTL_ERBCR 0x34   /* early RX byte count */
#define RTL_ERSR 0x36    /* early RX status */
#define RTL_CR 0x37      /* command */
#define RTL_CAPR 0x38    /* current address of packet read */
#define RTL_CBR 0x3a     /* current buffer address (write pointer) */
#define RTL_IMR 0x3c     /* interrupt mask */
#define RTL_ISR 0x3e     /* interrupt status */
#define RTL_TCR 0x40     /* transmit configuration */
#define RTL_RCR 0x44     /* receive configuration */
#define RTL_TCTR 0x48    /* timer count */
#define RTL_MPC 0x4c     /* missed packet counter (24 bits) */
#define RTL_9346CR 0x50  /* 93C46 command */
#define RTL_CONFIG0 0x51
#define RTL_CONFIG1 0x52
#define RTL_TIMERINT 0x54 /* timer interrupt compare value */
#define RTL_MSR 0x58      /* media status */
#define RTL_CONFIG3 0x59
#define RTL_CONFIG4 0x5a
#define RTL_HLTCLK 0x5b /* halt clock ('R' run, 'H' halt) */
#define RTL_MULINT 0x5c /* multiple interrupt select */
#define RTL_RERID 0x5e  /* PCI revision ID */
#define RTL_TSAD 0x60   /* transmit status of all descriptors */
#define RTL_BMCR 0x62   /* basic mode control (PHY register 0) */
#define RTL_BMSR 0x64   /* basic mode status (PHY register 1) */
#define RTL_ANAR 0x66   /* auto-negotiation advertisement */
#define RTL_ANLPAR 0x68 /* auto-negotiation link partner ability */
#define RTL_ANER 0x6a   /* auto-negotiation expansion */
#define RTL_DIS 0x6c    /* disconnect counter */
#define RTL_FCSC 0x6e   /* false carrier sense counter */
#define RTL_NWAYTR 0x70 /* N-way test */
#define RTL_REC 0x72    /* RX_ER counter */
#define RTL_CSCR 0x74   /* CS configuration */
#define RTL_PHY1_PARM 0x78
#define RTL_TW_PARM 0x7c
#define RTL_PHY2_PARM 0x80
#define RTL_CRC0 0x84 /* CRC0-7, Wakeup0-7, LSBCRC0-7: 80 bytes */
#define RTL_PM_REGS_LEN 80
#define RTL_FLASH 0xd4
#define RTL_CONFIG5 0xd8
#define RTL_TPPOLL 0xd9       /* C+: transmit priority polling */
#define RTL_RXMAXSIZE 0xda    /* C+: maximum receive frame size */
/* RxMaxSize: the RTL8169's RMS field, bits 13:0 (rtl8139-regs.c). */
#define RTL_RXMAXSIZE_MASK 0x3fffu
#define RTL_CPCMD 0xe0        /* C+: C+ command */
#define RTL_INTRMITIGATE 0xe2 /* C+: interrupt mitigation */
#define RTL_RDSAR 0xe4        /* C+: RX descriptor ring (64-bit) */
#define RTL_ETTHR 0xec        /* C+: early TX threshold */
#define RTL_FER 0xf0          /* CardBus function event (not present) */

/* ---- CR ---- */
#define RTL_CR_RST 0x10
#define RTL_CR_RE 0x08
#define RTL_CR_TE 0x04
#define RTL_CR_BUFE 0x01

/* ---- ISR / IMR ---- */
#define RTL_INT_SERR 0x8000    /* system (PCI) error */
#define RTL_INT_TIMEOUT 0x4000 /* TCTR reached TimerInt */
#define RTL_INT_LENCHG 0x2000  /* cable length change */
#define RTL_INT_SWINT 0x0100   /* C+: software interrupt (TPPoll FSWInt) */
#define RTL_INT_TDU 0x0080     /* C+: TX descriptor unavailable */
#define RTL_INT_FOVW 0x0040    /* RX FIFO overflow */
#define RTL_INT_LINKCHG 0x0020 /* packet underrun / link change */
#define RTL_INT_RXOVW 0x0010   /* C: RX buffer overflow; C+: RX desc unavail */
#define RTL_INT_TER 0x0008
#define RTL_INT_TOK 0x0004
#define RTL_INT_RER 0x0002
#define RTL_INT_ROK 0x0001
/* Reserved status bits: never set, read as 0, not writable. */
#define RTL_INT_RESERVED 0x1e00

/* ---- TSD (C mode) ---- */
#define RTL_TSD_CRS 0x80000000u  /* carrier sense lost */
#define RTL_TSD_TABT 0x40000000u /* transmit abort */
#define RTL_TSD_OWC 0x20000000u  /* out of window collision */
#define RTL_TSD_CDH 0x10000000u  /* CD heart beat */
#define RTL_TSD_NCC_MASK 0x0f000000u
#define RTL_TSD_ERTXTH_MASK 0x003f0000u /* early TX threshold */
#define RTL_TSD_TOK 0x00008000u
#define RTL_TSD_TUN 0x00004000u
#define RTL_TSD_OWN 0x00002000u
#define RTL_TSD_SIZE_MASK 0x00001fffu
/* Bits a TSD write sets; the status bits are cleared by the write. */
#define RTL_TSD_WRITABLE (RTL_TSD_ERTXTH_MASK | RTL_TSD_OWN | RTL_TSD_SIZE_MASK)

/* ---- TCR ---- */
#define RTL_TCR_HWVERID_MASK 0x7cc00000u /* bits 30-26 and 23-22 */
#define RTL_TCR_IFG_MASK 0x03000000u
#define RTL_TCR_LBK_MASK 0x00060000u
#define RTL_TCR_LBK_LOOPBACK 0x00060000u
#define RTL_TCR_CRC 0x00010000u
#define RTL_TCR_MXDMA_MASK 0x00000700u
#define RTL_TCR_TXRR_MASK 0x000000f0u
#define RTL_TCR_CLRABT 0x00000001u
#define RTL_TCR_WRITABLE                                                       \
    (RTL_TCR_IFG_MASK | RTL_TCR_LBK_MASK | RTL_TCR_CRC | RTL_TCR_MXDMA_MASK |  \
     RTL_TCR_TXRR_MASK)
/* HWVERID: RTL8139C and RTL8139C+ (Linux 8139too rtl_chip_info). */
#define RTL_TCR_HWVER_8139C 0x74000000u
#define RTL_TCR_HWVER_8139CP 0x74800000u

/* ---- RCR ---- */
#define RTL_RCR_ERTH_MASK 0x0f000000u
#define RTL_RCR_MULERINT 0x00020000u
#define RTL_RCR_RER8 0x00010000u
#define RTL_RCR_RXFTH_MASK 0x0000e000u
#define RTL_RCR_RBLEN_SHIFT 11
#define RTL_RCR_RBLEN_MASK 0x00001800u
#define RTL_RCR_MXDMA_MASK 0x00000700u
#define RTL_RCR_WRAP 0x00000080u
#define RTL_RCR_9356SEL 0x00000040u /* read-only: 0 = 93C46 */
#define RTL_RCR_AER 0x00000020u
#define RTL_RCR_AR 0x00000010u
#define RTL_RCR_AB 0x00000008u
#define RTL_RCR_AM 0x00000004u
#define RTL_RCR_APM 0x00000002u
#define RTL_RCR_AAP 0x00000001u
#define RTL_RCR_WRITABLE 0x0f03ffbfu

/* ---- 9346CR ---- */
#define RTL_9346_EEM_MASK 0xc0
#define RTL_9346_EEM_NORMAL 0x00
#define RTL_9346_EEM_AUTOLOAD 0x40
#define RTL_9346_EEM_PROGRAM 0x80
#define RTL_9346_EEM_CONFIG 0xc0 /* config register write enable */
#define RTL_9346_EECS 0x08
#define RTL_9346_EESK 0x04
#define RTL_9346_EEDI 0x02
#define RTL_9346_EEDO 0x01

/* ---- CONFIGx writable bits (the rest are read-only) ---- */
#define RTL_CONFIG0_WRITABLE 0x07 /* BS2-0 */
#define RTL_CONFIG1_WRITABLE 0xf3 /* LEDS, DVRLOAD, LWACT, VPD, PMEn */
#define RTL_CONFIG1_IOMAP 0x04
#define RTL_CONFIG1_MEMMAP 0x08
#define RTL_CONFIG3_WRITABLE 0x70 /* PARM_En, Magic, LinkUp */
#define RTL_CONFIG3_FBTBEN 0x01
#define RTL_CONFIG4_WRITABLE 0xf5
#define RTL_CONFIG5_WRITABLE 0x7f

/* ---- MSR ---- */
#define RTL_MSR_TXFCE 0x80
#define RTL_MSR_RXFCE 0x40
#define RTL_MSR_AUX 0x10
#define RTL_MSR_SPEED_10 0x08
#define RTL_MSR_LINKB 0x04 /* 1 = link down */

/* ---- PHY registers (MII layout) ---- */
#define RTL_BMCR_RESET 0x8000
#define RTL_BMCR_LOOPBACK 0x4000
#define RTL_BMCR_SPEED100 0x2000
#define RTL_BMCR_ANE 0x1000
#define RTL_BMCR_RESTART_AN 0x0200
#define RTL_BMCR_DUPLEX 0x0100
/* Bits that need the 9346CR config write enable (13, 12, 8). */
#define RTL_BMCR_PROTECTED 0x3100
#define RTL_BMSR_BASE 0x7809 /* 100FD/HD, 10FD/HD, AN able, ext cap */
#define RTL_BMSR_AN_COMPLETE 0x0020
#define RTL_BMSR_LINK 0x0004
#define RTL_ANAR_DEFAULT 0x05e1
#define RTL_ANLPAR_UP 0x45e1
#define RTL_ANER_LP_NW_ABLE 0x0001

/* ---- CSCR ---- */
#define RTL_CSCR_LINK_CHANGE 0x0800 /* as Linux 8139too reads it */
#define RTL_CSCR_LINK_OK 0x0400
#define RTL_CSCR_LD 0x0200
#define RTL_CSCR_HEART_BEAT 0x0100
#define RTL_CSCR_F_LINK_100 0x0040
#define RTL_CSCR_CON_STATUS 0x0008
#define RTL_CSCR_WRITABLE 0x83e5

/* ---- C+ command (CpCmd) ---- */
#define RTL_CPCMD_RXVLAN 0x0040 /* strip VLAN tags on receive */
#define RTL_CPCMD_RXCHKSUM 0x0020
#define RTL_CPCMD_DAC 0x0010
#define RTL_CPCMD_MULRW 0x0008
#define RTL_CPCMD_CPRX 0x0002
#define RTL_CPCMD_CPTX 0x0001
#define RTL_CPCMD_WRITABLE 0x007b

/* ---- TPPoll ---- */
#define RTL_TPPOLL_HPQ 0x80
#define RTL_TPPOLL_NPQ 0x40
#define RTL_TPPOLL_FSWINT 0x01

/* ---- DTCCR ---- */
#define RTL_DTCCR_CMD 0x00000008u
#define RTL_DTCCR_ADDR_MASK 0xffffffc0u
#define RTL_TALLY_SIZE 64

/* ---- C+ descriptors (16 bytes: dw0, dw1, buffer low, buffer high) ---- */
#define RTL_DESC_SIZE 16
#define RTL_CP_RING_MAX 64 /* descriptors per ring at most */
#define RTL_DESC_OWN 0x80000000u
#define RTL_DESC_EOR 0x40000000u
#define RTL_DESC_FS 0x20000000u
#define RTL_DESC_LS 0x10000000u
/* TX command (dw0) */
#define RTL_TXD_LGSEN 0x08000000u
#define RTL_TXD_MSS_SHIFT 16
#define RTL_TXD_MSS_MASK 0x7ffu  /* 11 bits, valid with LGSEN */
#define RTL_TXD_IPCS 0x00040000u /* valid without LGSEN */
#define RTL_TXD_UDPCS 0x00020000u
#define RTL_TXD_TCPCS 0x00010000u
#define RTL_TXD_LEN_MASK 0x0000ffffu
/* TX status (dw0 after transmission) */
#define RTL_TXD_UNF 0x02000000u
#define RTL_TXD_TES 0x00800000u
#define RTL_TXD_OWC 0x00400000u
#define RTL_TXD_LNKF 0x00200000u
#define RTL_TXD_EXC 0x00100000u
#define RTL_TXD_CC_MASK 0x000f0000u
#define RTL_TXD_STATUS_MASK                                                    \
    (RTL_TXD_UNF | RTL_TXD_TES | RTL_TXD_OWC | RTL_TXD_LNKF | RTL_TXD_EXC |    \
     RTL_TXD_CC_MASK)
/* TX dw1 */
#define RTL_TXD_TAGC 0x00020000u
#define RTL_TXD_VLAN_MASK 0x0000ffffu /* TCI, bytes in network order */
/* RX command (dw0) */
#define RTL_RXD_BUFSIZE_MASK 0x00001fffu
/* RX status (dw0 after reception) */
#define RTL_RXD_MAR 0x04000000u
#define RTL_RXD_PAM 0x02000000u
#define RTL_RXD_BAR 0x01000000u
#define RTL_RXD_BOVF 0x00800000u
#define RTL_RXD_FOVF 0x00400000u
#define RTL_RXD_RWT 0x00200000u
#define RTL_RXD_RES 0x00100000u
#define RTL_RXD_RUNT 0x00080000u
#define RTL_RXD_CRC 0x00040000u
#define RTL_RXD_PID_SHIFT 16 /* 2 bits: 0 non-IP, 1 TCP, 2 UDP, 3 IP */
#define RTL_RXD_PID_TCP 1u
#define RTL_RXD_PID_UDP 2u
#define RTL_RXD_PID_IP 3u
#define RTL_RXD_IPF 0x00008000u
#define RTL_RXD_UDPF 0x00004000u
#define RTL_RXD_TCPF 0x00002000u
#define RTL_RXD_LEN_MASK 0x00001fffu
/* RX dw1 */
#define RTL_RXD_TAVA 0x00010000u

/* ---- C mode RX packet header (status in the low 16 bits) ---- */
#define RTL_RXH_MAR 0x8000
#define RTL_RXH_PAM 0x4000
#define RTL_RXH_BAR 0x2000
#define RTL_RXH_ROK 0x0001

/* ---- Power-on values ---- */
#define RTL_CAPR_RESET 0xfff0
#define RTL_PCI_REVISION_C 0x10
#define RTL_PCI_REVISION_CPLUS 0x20

#endif
