/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82540EM register offsets, bit fields and descriptor layouts, named
 * as in the PCI/PCI-X Family of Gigabit Ethernet Controllers Software
 * Developer's Manual (8254x SDM, 317453-006): ch. 3 (descriptors),
 * ch. 5 (EEPROM), ch. 8 (PHY), ch. 13 (registers).
 */
#ifndef EMUNET_HW_NET_E1000_REGS_H
#define EMUNET_HW_NET_E1000_REGS_H

#include <stdint.h>

/* BAR sizes (SDM 4.1: 128 KiB memory window, 8-byte I/O window in 64). */
#define E1000_MMIO_SIZE 0x20000
#define E1000_IO_SIZE 0x40
/* I/O BAR registers (SDM 13.2, I/O-mapped access). */
#define E1000_IOADDR 0x00
#define E1000_IODATA 0x04

/* General registers (SDM 13.4). */
#define E1000_CTRL 0x00000
#define E1000_STATUS 0x00008
#define E1000_EECD 0x00010
#define E1000_EERD 0x00014
#define E1000_CTRL_EXT 0x00018
#define E1000_MDIC 0x00020
#define E1000_FCAL 0x00028
#define E1000_FCAH 0x0002C
#define E1000_FCT 0x00030
#define E1000_VET 0x00038
#define E1000_ICR 0x000C0
#define E1000_ITR 0x000C4
#define E1000_ICS 0x000C8
#define E1000_IMS 0x000D0
#define E1000_IMC 0x000D8
#define E1000_RCTL 0x00100
#define E1000_FCTTV 0x00170
#define E1000_TXCW 0x00178
#define E1000_RXCW 0x00180
#define E1000_TCTL 0x00400
#define E1000_TIPG 0x00410
#define E1000_AIT 0x00458
#define E1000_LEDCTL 0x00E00
#define E1000_PBA 0x01000
#define E1000_FCRTL 0x02160
#define E1000_FCRTH 0x02168
#define E1000_RDFH 0x02410
#define E1000_RDFT 0x02418
#define E1000_RDFHS 0x02420
#define E1000_RDFTS 0x02428
#define E1000_RDFPC 0x02430
#define E1000_RDBAL 0x02800
#define E1000_RDBAH 0x02804
#define E1000_RDLEN 0x02808
#define E1000_RDH 0x02810
#define E1000_RDT 0x02818
#define E1000_RDTR 0x02820
#define E1000_RXDCTL 0x02828
#define E1000_RADV 0x0282C
#define E1000_RSRPD 0x02C00
#define E1000_TXDMAC 0x03000
#define E1000_TDFH 0x03410
#define E1000_TDFT 0x03418
#define E1000_TDFHS 0x03420
#define E1000_TDFTS 0x03428
#define E1000_TDFPC 0x03430
#define E1000_TDBAL 0x03800
#define E1000_TDBAH 0x03804
#define E1000_TDLEN 0x03808
#define E1000_TDH 0x03810
#define E1000_TDT 0x03818
#define E1000_TIDV 0x03820
#define E1000_TXDCTL 0x03828
#define E1000_TADV 0x0382C
#define E1000_TSPMT 0x03830
#define E1000_RXCSUM 0x05000
#define E1000_MTA 0x05200 /* 128 dwords */
#define E1000_RA 0x05400  /* 16 x (RAL, RAH) */
#define E1000_VFTA 0x05600 /* 128 dwords */
#define E1000_WUC 0x05800
#define E1000_WUFC 0x05808
#define E1000_WUS 0x05810
#define E1000_MANC 0x05820
#define E1000_IPAV 0x05838
#define E1000_IP4AT 0x05840 /* 8 dwords */
#define E1000_IP6AT 0x05880 /* 4 dwords */
#define E1000_WUPL 0x05900
#define E1000_WUPM 0x05A00 /* 32 dwords */
#define E1000_FFLT 0x05F00 /* 8 dwords */
#define E1000_FFMT 0x09000 /* 256 dwords */
#define E1000_FFVT 0x09800 /* 256 dwords */

#define E1000_MTA_COUNT 128
#define E1000_RA_COUNT 16
#define E1000_VFTA_COUNT 128

/* Statistics (SDM 13.7): clear on read, saturating. */
#define E1000_CRCERRS 0x04000
#define E1000_ALGNERRC 0x04004
#define E1000_SYMERRS 0x04008
#define E1000_RXERRC 0x0400C
#define E1000_MPC 0x04010
#define E1000_SCC 0x04014
#define E1000_ECOL 0x04018
#define E1000_MCC 0x0401C
#define E1000_LATECOL 0x04020
#define E1000_COLC 0x04028
#define E1000_DC 0x04030
#define E1000_TNCRS 0x04034
#define E1000_SEC 0x04038
#define E1000_CEXTERR 0x0403C
#define E1000_RLEC 0x04040
#define E1000_XONRXC 0x04048
#define E1000_XONTXC 0x0404C
#define E1000_XOFFRXC 0x04050
#define E1000_XOFFTXC 0x04054
#define E1000_FCRUC 0x04058
#define E1000_PRC64 0x0405C
#define E1000_PRC127 0x04060
#define E1000_PRC255 0x04064
#define E1000_PRC511 0x04068
#define E1000_PRC1023 0x0406C
#define E1000_PRC1522 0x04070
#define E1000_GPRC 0x04074
#define E1000_BPRC 0x04078
#define E1000_MPRC 0x0407C
#define E1000_GPTC 0x04080
#define E1000_GORCL 0x04088
#define E1000_GORCH 0x0408C
#define E1000_GOTCL 0x04090
#define E1000_GOTCH 0x04094
#define E1000_RNBC 0x040A0
#define E1000_RUC 0x040A4
#define E1000_RFC 0x040A8
#define E1000_ROC 0x040AC
#define E1000_RJC 0x040B0
#define E1000_MGTPRC 0x040B4
#define E1000_MGTPDC 0x040B8
#define E1000_MGTPTC 0x040BC
#define E1000_TORL 0x040C0
#define E1000_TORH 0x040C4
#define E1000_TOTL 0x040C8
#define E1000_TOTH 0x040CC
#define E1000_TPR 0x040D0
#define E1000_TPT 0x040D4
#define E1000_PTC64 0x040D8
#define E1000_PTC127 0x040DC
#define E1000_PTC255 0x040E0
#define E1000_PTC511 0x040E4
#define E1000_PTC1023 0x040E8
#define E1000_PTC1522 0x040EC
#define E1000_MPTC 0x040F0
#define E1000_BPTC 0x040F4
#define E1000_TSCTC 0x040F8
#define E1000_TSCTFC 0x040FC

/* CTRL (SDM 13.4.1). */
#define E1000_CTRL_FD (1u << 0)
#define E1000_CTRL_ASDE (1u << 5)
#define E1000_CTRL_SLU (1u << 6)
#define E1000_CTRL_SPD_1000 (2u << 8)
#define E1000_CTRL_RST (1u << 26)
#define E1000_CTRL_VME (1u << 30)
#define E1000_CTRL_PHY_RST (1u << 31)

/* STATUS (SDM 13.4.2). */
#define E1000_STATUS_FD (1u << 0)
#define E1000_STATUS_LU (1u << 1)
#define E1000_STATUS_SPEED_SHIFT 6
#define E1000_STATUS_ASDV_SHIFT 8
#define E1000_SPEED_10 0u
#define E1000_SPEED_100 1u
#define E1000_SPEED_1000 2u

/* EECD (SDM 13.4.3). */
#define E1000_EECD_SK (1u << 0)
#define E1000_EECD_CS (1u << 1)
#define E1000_EECD_DI (1u << 2)
#define E1000_EECD_DO (1u << 3)
#define E1000_EECD_FWE_MASK (3u << 4)
#define E1000_EECD_FWE_DIS (1u << 4)
#define E1000_EECD_REQ (1u << 6)
#define E1000_EECD_GNT (1u << 7)
#define E1000_EECD_PRES (1u << 8)
#define E1000_EECD_SIZE (1u << 9)

/* EERD (SDM 13.4.4; the 8254x "small" layout). */
#define E1000_EERD_START (1u << 0)
#define E1000_EERD_DONE (1u << 4)
#define E1000_EERD_ADDR_SHIFT 8
#define E1000_EERD_ADDR_MASK 0xffu
#define E1000_EERD_DATA_SHIFT 16

/* CTRL_EXT (SDM 13.4.6). */
#define E1000_CTRL_EXT_EE_RST (1u << 13)

/* MDIC (SDM 13.4.7). */
#define E1000_MDIC_DATA_MASK 0xffffu
#define E1000_MDIC_REG_SHIFT 16
#define E1000_MDIC_REG_MASK 0x1fu
#define E1000_MDIC_PHY_SHIFT 21
#define E1000_MDIC_PHY_MASK 0x1fu
#define E1000_MDIC_OP_SHIFT 26
#define E1000_MDIC_OP_MASK 3u
#define E1000_MDIC_OP_WRITE 1u
#define E1000_MDIC_OP_READ 2u
#define E1000_MDIC_READY (1u << 28)
#define E1000_MDIC_INT_EN (1u << 29)
#define E1000_MDIC_ERROR (1u << 30)

/* Interrupt causes: ICR/ICS/IMS/IMC (SDM 13.4.17-21). */
#define E1000_ICR_TXDW (1u << 0)
#define E1000_ICR_TXQE (1u << 1)
#define E1000_ICR_LSC (1u << 2)
#define E1000_ICR_RXSEQ (1u << 3)
#define E1000_ICR_RXDMT0 (1u << 4)
#define E1000_ICR_RXO (1u << 6)
#define E1000_ICR_RXT0 (1u << 7)
#define E1000_ICR_MDAC (1u << 9)
#define E1000_ICR_RXCFG (1u << 10)
#define E1000_ICR_PHYINT (1u << 12)
#define E1000_ICR_TXD_LOW (1u << 15)
#define E1000_ICR_SRPD (1u << 16)
/* The causes an 82540 implements; other ICS bits are ignored. */
#define E1000_ICR_VALID 0x0001f6dfu

/* RCTL (SDM 13.4.22). */
#define E1000_RCTL_EN (1u << 1)
#define E1000_RCTL_SBP (1u << 2)
#define E1000_RCTL_UPE (1u << 3)
#define E1000_RCTL_MPE (1u << 4)
#define E1000_RCTL_LPE (1u << 5)
#define E1000_RCTL_LBM_SHIFT 6
#define E1000_RCTL_LBM_MASK 3u
#define E1000_RCTL_RDMTS_SHIFT 8
#define E1000_RCTL_RDMTS_MASK 3u
#define E1000_RCTL_MO_SHIFT 12
#define E1000_RCTL_MO_MASK 3u
#define E1000_RCTL_BAM (1u << 15)
#define E1000_RCTL_BSIZE_SHIFT 16
#define E1000_RCTL_BSIZE_MASK 3u
#define E1000_RCTL_VFE (1u << 18)
#define E1000_RCTL_CFIEN (1u << 19)
#define E1000_RCTL_CFI (1u << 20)
#define E1000_RCTL_BSEX (1u << 25)
#define E1000_RCTL_SECRC (1u << 26)

/* RDTR (SDM 13.4): flush partial descriptor block. */
#define E1000_RDTR_FPD (1u << 31)

/* RXCSUM (SDM 13.4). */
#define E1000_RXCSUM_PCSS_MASK 0xffu
#define E1000_RXCSUM_IPOFLD (1u << 8)
#define E1000_RXCSUM_TUOFLD (1u << 9)

/* TCTL (SDM 13.4.33). */
#define E1000_TCTL_EN (1u << 1)
#define E1000_TCTL_PSP (1u << 3)

/* RAH (SDM 13.5.2). */
#define E1000_RAH_AS_MASK (3u << 16)
#define E1000_RAH_AV (1u << 31)

/* Interval units (SDM 13.4: ITR, RDTR): ITR 256 ns, delays 1.024 us. */
#define E1000_ITR_UNIT_NS 256
#define E1000_DELAY_UNIT_NS 1024

/*
 * Legacy receive descriptor (SDM 3.2.3). Write-back touches bytes 8..15.
 */
struct e1000_rx_desc {
    uint64_t buffer_addr;
    uint16_t length;
    uint16_t csum;
    uint8_t status;
    uint8_t errors;
    uint16_t special;
};
_Static_assert(sizeof(struct e1000_rx_desc) == 16, "rx desc layout");

#define E1000_RXD_STAT_DD (1u << 0)
#define E1000_RXD_STAT_EOP (1u << 1)
#define E1000_RXD_STAT_IXSM (1u << 2)
#define E1000_RXD_STAT_VP (1u << 3)
#define E1000_RXD_STAT_TCPCS (1u << 5)
#define E1000_RXD_STAT_IPCS (1u << 6)
#define E1000_RXD_ERR_TCPE (1u << 5)
#define E1000_RXD_ERR_IPE (1u << 6)
#define E1000_RXD_ERR_RXE (1u << 7)

/*
 * Transmit descriptors (SDM 3.3): 16 bytes, decoded field by field from
 * a little-endian copy, so no struct is overlaid on guest data. Offsets:
 * legacy:  0 addr(8) | 8 length(2) 10 cso 11 cmd | 12 sta 13 css 14 special
 * context: 0 ipcss 1 ipcso 2 ipcse(2) | 4 tucss 5 tucso 6 tucse(2) |
 *          8 paylen:20 dtyp:4 tucmd:8 | 12 sta 13 hdrlen 14 mss(2)
 * data:    0 addr(8) | 8 dtalen:20 dtyp:4 dcmd:8 | 12 sta 13 popts
 *          14 special
 */
#define E1000_TXD_SIZE 16
#define E1000_TXD_DTYP_SHIFT 20
#define E1000_TXD_DTYP_MASK 0xfu
#define E1000_TXD_DTYP_CTX 0u
#define E1000_TXD_DTYP_DATA 1u
#define E1000_TXD_LEN_MASK 0xfffffu

/* Command byte (legacy CMD, extended DCMD/TUCMD; SDM 3.3.3, 3.3.7). */
#define E1000_TXD_CMD_EOP (1u << 0)
#define E1000_TXD_CMD_IFCS (1u << 1)
#define E1000_TXD_CMD_IC (1u << 2)   /* legacy: insert checksum */
#define E1000_TXD_CMD_TSE (1u << 2)  /* extended: TCP segmentation */
#define E1000_TXD_CMD_RS (1u << 3)
#define E1000_TXD_CMD_DEXT (1u << 5)
#define E1000_TXD_CMD_VLE (1u << 6)
#define E1000_TXD_CMD_IDE (1u << 7)
/* TUCMD of a context descriptor (SDM 3.3.6). */
#define E1000_TXD_TUCMD_TCP (1u << 0)
#define E1000_TXD_TUCMD_IP (1u << 1)
#define E1000_TXD_TUCMD_TSE (1u << 2)
/* Status byte. */
#define E1000_TXD_STAT_DD (1u << 0)
/* POPTS of a data descriptor (SDM 3.3.7). */
#define E1000_TXD_POPTS_IXSM (1u << 0)
#define E1000_TXD_POPTS_TXSM (1u << 1)

/* The largest packet the transmit FIFO takes (SDM 3.3.3: 16288 bytes). */
#define E1000_MAX_TX_FRAME 16288
/* The largest frame RCTL.LPE admits (SDM 13.4.22), CRC included. */
#define E1000_MAX_RX_FRAME_LPE 16384
/* The largest frame without LPE (SDM 13.4.22), CRC included. */
#define E1000_MAX_RX_FRAME 1522

/* EEPROM (SDM 5.6): 64 words of 16 bits on a 93C46-class microwire part. */
#define E1000_EEPROM_WORDS 64
#define E1000_EEPROM_ADDR_BITS 6
#define E1000_EEPROM_READ_OPCODE 0x6 /* start bit, then 10b */
#define E1000_EEPROM_ICW1 0x0A
#define E1000_EEPROM_SUBSYS_ID 0x0B
#define E1000_EEPROM_SUBSYS_VID 0x0C
#define E1000_EEPROM_DEV_ID 0x0D
#define E1000_EEPROM_VEN_ID 0x0E
#define E1000_EEPROM_ICW2 0x0F
#define E1000_EEPROM_CHECKSUM 0x3F
#define E1000_EEPROM_SUM 0xBABA

/* PHY (SDM ch. 8 and 13.4.7: the internal M88E1011-class PHY at 1). */
#define E1000_PHY_ADDR 1
#define E1000_PHY_REGS 32
#define PHY_CTRL 0x00       /* PCTRL (MII BMCR) */
#define PHY_STATUS 0x01     /* PSTATUS (BMSR) */
#define PHY_ID1 0x02
#define PHY_ID2 0x03
#define PHY_AUTONEG_ADV 0x04 /* ANA */
#define PHY_LP_ABILITY 0x05  /* ANLPA */
#define PHY_AUTONEG_EXP 0x06 /* ANE */
#define PHY_NEXT_PAGE_TX 0x07
#define PHY_LP_NEXT_PAGE 0x08
#define PHY_1000T_CTRL 0x09
#define PHY_1000T_STATUS 0x0A
#define PHY_EXT_STATUS 0x0F
#define PHY_SPEC_CTRL 0x10   /* PSCR */
#define PHY_SPEC_STATUS 0x11 /* PSSR */
#define PHY_INT_ENABLE 0x12
#define PHY_INT_STATUS 0x13
#define PHY_EXT_SPEC_CTRL 0x14
#define PHY_RX_ERR_CNTR 0x15

#define MII_CR_SPEED_MSB (1u << 6)
#define MII_CR_COLL_TEST (1u << 7)
#define MII_CR_FULL_DUPLEX (1u << 8)
#define MII_CR_RESTART_AN (1u << 9)
#define MII_CR_ISOLATE (1u << 10)
#define MII_CR_POWER_DOWN (1u << 11)
#define MII_CR_AUTONEG_EN (1u << 12)
#define MII_CR_SPEED_LSB (1u << 13)
#define MII_CR_LOOPBACK (1u << 14)
#define MII_CR_RESET (1u << 15)

#define MII_SR_LINK_STATUS (1u << 2)
#define MII_SR_AUTONEG_COMPLETE (1u << 5)

#define NWAY_AR_10T_HD (1u << 5)
#define NWAY_AR_10T_FD (1u << 6)
#define NWAY_AR_100TX_HD (1u << 7)
#define NWAY_AR_100TX_FD (1u << 8)
#define CR_1000T_HD (1u << 8)
#define CR_1000T_FD (1u << 9)

#endif
