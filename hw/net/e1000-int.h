/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82540EM model: device state and the calls between its files.
 *   e1000.c      register table, BAR dispatch, interrupts, reset, link,
 *                PCI and NetPeer glue, deferred work
 *   e1000-tx.c   transmit ring, checksum insertion, TSO, VLAN insertion
 *   e1000-rx.c   receive filters, receive ring, RX checksum, loopback
 *   e1000-phy.c  PHY registers over MDIC, autonegotiation, EEPROM
 * Everything runs in the main loop thread; nothing here blocks.
 */
#ifndef EMUNET_HW_NET_E1000_INT_H
#define EMUNET_HW_NET_E1000_INT_H

#include <glib.h>

#include "emunet/clock.h"
#include "emunet/log.h"
#include "emunet/net.h"
#include "emunet/pci.h"
#include "hw/net/e1000_regs.h"

/* Dword registers backed by mac[]: the populated part of BAR0. */
#define E1000_NREGS (0x10000 / 4)
#define E1000_REG(offset) ((offset) >> 2)

/* Transmit assembly buffer: a TSO packet (255-byte header + 64 KiB). */
#define E1000_TX_BUF_SIZE (0x10000 + 0x100)
/* Receive staging buffer: the largest admitted frame, padded, plus CRC. */
#define E1000_RX_BUF_SIZE E1000_MAX_RX_FRAME_LPE
/*
 * RX descriptors one frame may need: the largest staged frame in 256-byte
 * buffers. Also the size of the RX descriptor prefetch cache.
 */
#define E1000_RX_MAX_DESCS ((E1000_RX_BUF_SIZE + 255) / 256)
/* Loopback frames waiting for the receive ring. */
#define E1000_LB_MAX_FRAMES 256
#define E1000_LB_MAX_BYTES (1024 * 1024)
/* Autonegotiation time after PHY reset or restart (virtual ns). */
#define E1000_AUTONEG_NS (500 * 1000 * 1000LL)

/* The last context descriptor (SDM 3.3.6), decoded. */
typedef struct E1000TxCtx {
    bool valid;
    uint8_t ipcss, ipcso;
    uint16_t ipcse;
    uint8_t tucss, tucso;
    uint16_t tucse;
    uint32_t paylen;
    uint8_t tucmd;
    uint8_t hdrlen;
    uint16_t mss;
} E1000TxCtx;

/* A descriptor with RS, to write back (DD) once its packet is done. */
typedef struct E1000TxWb {
    uint32_t idx;
    bool ide; /* its TXDW may be delayed (TIDV/TADV) */
} E1000TxWb;

/* The packet being assembled by one ring walk. */
typedef struct E1000TxPkt {
    bool started;
    bool bad;        /* dropped at EOP */
    uint32_t first;  /* ring index of its first descriptor */
    size_t len;      /* bytes in tx_buf */
    bool legacy;
    bool tse;
    uint8_t popts;
    bool ic;
    uint8_t css, cso;
    bool vle;
    uint16_t special;
    E1000TxCtx ctx;  /* latched at the first data descriptor */
} E1000TxPkt;

typedef enum E1000TxBlock {
    E1000_TX_RUNNING,
    E1000_TX_BLOCKED_BACKEND,  /* NET_SEND_BUSY: wait for tx_ready */
    E1000_TX_BLOCKED_LOOPBACK, /* loopback queue full: wait for RX */
} E1000TxBlock;

typedef struct E1000State {
    PciDevice pci;
    char *id;
    NetPeer peer;
    Clock *clock;
    MacAddr mac_addr;

    uint32_t mac[E1000_NREGS];
    uint32_t ioaddr;

    /* EEPROM image and the microwire state of EECD bit-banging. */
    uint16_t eeprom[E1000_EEPROM_WORDS];
    struct {
        bool cs, sk;
        bool reading;
        bool ignore;    /* unsupported opcode: wait for CS low */
        bool started;   /* start bit seen */
        unsigned nbits; /* opcode + address bits after the start bit */
        uint32_t cmd;
        unsigned addr;
        int bitpos;     /* -1: dummy zero before the first data bit */
    } ee;
    uint32_t eerd;

    /* PHY registers and link. */
    uint16_t phy[E1000_PHY_REGS];
    bool carrier;   /* the backend's */
    bool phy_link;  /* negotiation done (or forced mode), PHY powered */
    bool link_up;   /* carrier && phy_link && CTRL.SLU: STATUS.LU */
    Timer *autoneg_timer;

    /* Interrupt mitigation (ITR) and delay timers. */
    int64_t itr_next_ns;
    Timer *itr_timer;
    Timer *rdtr_timer, *radv_timer;
    Timer *tidv_timer, *tadv_timer;

    /* Transmit. */
    E1000TxCtx tx_ctx;
    E1000TxPkt tx_pkt;
    GArray *tx_wb;
    uint8_t *tx_buf;
    uint8_t *tx_seg;
    bool tx_active;          /* re-entrancy guard */
    E1000TxBlock tx_block;
    uint32_t tx_resume_first; /* packet a BUSY interrupted */
    unsigned tx_sent_segs;    /* its segments already sent */
    bool tx_resume_valid;

    /* Receive. */
    uint8_t *rx_buf;
    /*
     * RX descriptor prefetch (SDM 3.2.4: the hardware fetches descriptors
     * ahead, in bursts): the buffer addresses of the rx_pf_count ring
     * slots from RDH on, at rx_pf_addr[rx_pf_first...]. Only slots the
     * guest has handed over (RDH up to RDT) are ever fetched, and
     * e1000_rx_ring_changed keeps it so (it is not migrated: a new
     * process fetches again).
     */
    uint64_t rx_pf_addr[E1000_RX_MAX_DESCS];
    uint32_t rx_pf_first;
    uint32_t rx_pf_count;
    bool rx_active;
    bool rx_nobuf;       /* RNBC/RXO already reported for this shortage */
    /* Frames consumed unseen (RX off, link down): no guest counter. */
    uint64_t rx_dropped;

    /* Loopback queue, drained by the deferred-work timer. */
    GQueue lb_queue;
    size_t lb_bytes;
    Timer *bh_timer;

    /* Handed off (PciDeviceOps.quiesce): every entry is a no-op. */
    bool unplugged;
} E1000State;

static inline uint32_t e1000_get(const E1000State *s, unsigned offset)
{
    return s->mac[E1000_REG(offset)];
}

static inline void e1000_set(E1000State *s, unsigned offset, uint32_t v)
{
    s->mac[E1000_REG(offset)] = v;
}

/*
 * Statistics saturate instead of wrapping (SDM 13.7). Inline: receive
 * counts several per frame.
 */
static inline void e1000_stat_add(E1000State *s, unsigned offset, uint32_t n)
{
    uint32_t v = e1000_get(s, offset);

    e1000_set(s, offset, v > UINT32_MAX - n ? UINT32_MAX : v + n);
}

/* The same for a 64-bit counter in a low/high register pair. */
static inline void e1000_stat_add64(E1000State *s, unsigned offset_low,
                                    uint64_t n)
{
    uint64_t v = e1000_get(s, offset_low) |
                 ((uint64_t)e1000_get(s, offset_low + 4) << 32);

    v = v > UINT64_MAX - n ? UINT64_MAX : v + n;
    e1000_set(s, offset_low, (uint32_t)v);
    e1000_set(s, offset_low + 4, (uint32_t)(v >> 32));
}

/* MAC (RCTL.LBM) or PHY loopback: frames go from TX to RX, none out. */
static inline bool e1000_in_loopback(const E1000State *s)
{
    uint32_t lbm = (e1000_get(s, E1000_RCTL) >> E1000_RCTL_LBM_SHIFT) &
                   E1000_RCTL_LBM_MASK;

    return lbm != 0 || (s->phy[PHY_CTRL] & MII_CR_LOOPBACK);
}

/* The ring index after idx (< n): no division on the per-frame path. */
static inline uint32_t e1000_ring_next(uint32_t idx, uint32_t n)
{
    return idx + 1 < n ? idx + 1 : 0;
}

/* e1000.c */
void e1000_set_ics(E1000State *s, uint32_t cause);
void e1000_update_irq(E1000State *s);
void e1000_schedule_bh(E1000State *s);
void e1000_link_update(E1000State *s);
int64_t e1000_now(const E1000State *s);

/* e1000-phy.c */
void e1000_eeprom_init(E1000State *s);
uint32_t e1000_eecd_read(E1000State *s);
void e1000_eecd_write(E1000State *s, uint32_t val);
uint32_t e1000_eerd_read(E1000State *s);
void e1000_eerd_write(E1000State *s, uint32_t val);
void e1000_phy_reset(E1000State *s, bool hard);
void e1000_phy_restart_an(E1000State *s);
void e1000_phy_carrier(E1000State *s, bool up);
void e1000_phy_autoneg_done(void *opaque);
void e1000_mdic_write(E1000State *s, uint32_t val);
/*
 * The link mode: forced from PCTRL, or the best one common with the
 * partner. Speed is E1000_SPEED_*. False when negotiation finds nothing.
 */
bool e1000_phy_resolved(const E1000State *s, unsigned *speed, bool *fd);

/* e1000-tx.c */
void e1000_tx_init(E1000State *s);
void e1000_tx_reset(E1000State *s);
void e1000_tx_free(E1000State *s);
void e1000_tx_run(E1000State *s);
void e1000_tx_ring_changed(E1000State *s);
void e1000_tx_unblock(E1000State *s, E1000TxBlock reason);
void e1000_tx_delay_expired(void *opaque);

/* e1000-rx.c */
typedef enum E1000RxResult {
    E1000_RX_CONSUMED, /* stored, or dropped by a guest-chosen rule */
    E1000_RX_NO_ROOM,  /* not enough free descriptors: offer it again */
} E1000RxResult;
bool e1000_rx_can_receive(E1000State *s);
/*
 * A receive register was written (or restored): RDT (`offset`) drops
 * prefetched descriptors the guest took back; RCTL, RDBAL, RDBAH, RDLEN,
 * RDH or anything else (0: reset, state restore) drops them all.
 */
void e1000_rx_ring_changed(E1000State *s, unsigned offset);
E1000RxResult e1000_rx_frame(E1000State *s, const uint8_t *buf, size_t len,
                             bool loopback);
void e1000_rx_delay_expired(void *opaque);
void e1000_rx_flush_delay(E1000State *s);
/* Queue a loopback frame; false when the queue is full. */
bool e1000_lb_enqueue(E1000State *s, const struct iovec *iov, int iovcnt,
                      size_t len);
/* Deliver queued loopback frames while the ring has room. */
void e1000_lb_drain(E1000State *s);
void e1000_lb_clear(E1000State *s);

#endif
