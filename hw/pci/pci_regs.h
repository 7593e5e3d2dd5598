/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PCI configuration-space offsets and bits emunet uses, named after the
 * PCI Local Bus Specification 3.0 ch. 6 (type 0 header). Our own copy: the
 * stub domain has no <linux/pci_regs.h>.
 */
#ifndef EMUNET_HW_PCI_PCI_REGS_H
#define EMUNET_HW_PCI_PCI_REGS_H

/* Type 0 header (PCI 3.0 6.1, figure 6-1). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0a /* subclass, then base class at 0x0b */
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_HEADER_TYPE 0x0e
#define PCI_BIST 0x0f
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_BASE_ADDRESS_5 0x24
#define PCI_CARDBUS_CIS 0x28
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_ROM_ADDRESS 0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_MIN_GNT 0x3e
#define PCI_MAX_LAT 0x3f
/* First byte after the predefined header: capabilities start here. */
#define PCI_CONFIG_HEADER_SIZE 0x40

/* Command register (PCI 3.0 6.2.2). */
#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_SPECIAL 0x0008
#define PCI_COMMAND_INVALIDATE 0x0010
#define PCI_COMMAND_VGA_PALETTE 0x0020
#define PCI_COMMAND_PARITY 0x0040
#define PCI_COMMAND_SERR 0x0100
#define PCI_COMMAND_FAST_BACK 0x0200
#define PCI_COMMAND_INTX_DISABLE 0x0400

/* Status register (PCI 3.0 6.2.3). */
#define PCI_STATUS_INTERRUPT 0x0008
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_STATUS_66MHZ 0x0020
#define PCI_STATUS_FAST_BACK 0x0080
#define PCI_STATUS_PARITY 0x0100 /* master data parity error */
#define PCI_STATUS_DEVSEL_MASK 0x0600
#define PCI_STATUS_SIG_TARGET_ABORT 0x0800
#define PCI_STATUS_REC_TARGET_ABORT 0x1000
#define PCI_STATUS_REC_MASTER_ABORT 0x2000
#define PCI_STATUS_SIG_SYSTEM_ERROR 0x4000
#define PCI_STATUS_DETECTED_PARITY 0x8000
/* The error bits software clears by writing 1 (PCI 3.0 6.2.3). */
#define PCI_STATUS_ERROR_BITS                                                 \
    (PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |                        \
     PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT |              \
     PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY)

/* Header type (PCI 3.0 6.2.1). */
#define PCI_HEADER_TYPE_NORMAL 0x00
#define PCI_HEADER_TYPE_MULTI_FUNCTION 0x80

/* Base address registers (PCI 3.0 6.2.5.1). */
#define PCI_BASE_ADDRESS_SPACE_IO 0x01
#define PCI_BASE_ADDRESS_MEM_TYPE_64 0x04
#define PCI_BASE_ADDRESS_MEM_PREFETCH 0x08
#define PCI_BASE_ADDRESS_IO_FLAGS 0x03
#define PCI_BASE_ADDRESS_MEM_FLAGS 0x0f

/* Expansion ROM base address (PCI 3.0 6.2.5.2). */
#define PCI_ROM_ADDRESS_ENABLE 0x01
#define PCI_ROM_ADDRESS_MASK 0xfffff800u

/* Capability list (PCI 3.0 6.7). */
#define PCI_CAP_LIST_ID 0
#define PCI_CAP_LIST_NEXT 1
#define PCI_CAP_ID_PM 0x01
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_PCIX 0x07
#define PCI_CAP_ID_VNDR 0x09

/* Class codes (base class << 8 | subclass) as used in PciIdent. */
#define PCI_CLASS_NETWORK_ETHERNET 0x0200
#define PCI_CLASS_BRIDGE_HOST 0x0600
#define PCI_CLASS_OTHERS 0xff00

/* Vendors. */
#define PCI_VENDOR_ID_INTEL 0x8086
#define PCI_VENDOR_ID_REALTEK 0x10ec
#define PCI_VENDOR_ID_XEN 0x5853

#endif
