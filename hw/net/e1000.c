/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82540EM Gigabit Ethernet Controller (PRO/1000 MT Desktop), after
 * the 8254x Family SDM (317453-006). This file: the data-driven register
 * table, BAR0 (MMIO) and BAR1 (IOADDR/IODATA) dispatch, interrupt causes
 * with ITR moderation, resets, link state, and the PCI and NetPeer glue.
 * Not modelled: flash, wake-up/ASF/manageability logic (registers only),
 * flow control frames, PCI-X, MSI.
 */
#include <stddef.h>

#include "hw/net/e1000-int.h"
#include "hw/net/nic.h"

/* One register or register array in BAR0. */
typedef struct E1000RegInfo {
    uint32_t offset;  /* byte offset of the first dword */
    uint16_t count;   /* consecutive dwords */
    uint32_t reset;   /* power-on value */
    uint32_t wmask;   /* bits a write stores, before `write` runs */
    /* Side effects; NULL: read mac[], nothing more on write. */
    uint32_t (*read)(E1000State *s, unsigned offset);
    void (*write)(E1000State *s, unsigned offset, uint32_t val);
} E1000RegInfo;

static E1000State *e1000_from_pci(PciDevice *dev)
{
    return (E1000State *)((char *)dev - offsetof(E1000State, pci));
}

static E1000State *e1000_from_peer(NetPeer *peer)
{
    return (E1000State *)((char *)peer - offsetof(E1000State, peer));
}

int64_t e1000_now(const E1000State *s)
{
    return clock_get_ns(s->clock);
}

/* ---- Interrupts (SDM 13.4.17-21) ---- */

void e1000_update_irq(E1000State *s)
{
    uint32_t pending = e1000_get(s, E1000_ICR) & e1000_get(s, E1000_IMS);
    uint32_t itr = e1000_get(s, E1000_ITR) & 0xffff;
    int64_t now;

    if (s->unplugged) {
        return;
    }
    if (!pending) {
        pci_set_irq(&s->pci, false);
        return;
    }
    if (s->pci.irq_request) {
        return;
    }
    /*
     * SDM 13.4.18: ITR is the minimum interval between interrupt
     * assertions; causes that arrive sooner wait for the interval to end.
     */
    now = e1000_now(s);
    if (itr && now < s->itr_next_ns) {
        if (!timer_pending(s->itr_timer)) {
            timer_mod_ns(s->itr_timer, s->itr_next_ns);
        }
        return;
    }
    pci_set_irq(&s->pci, true);
    if (itr) {
        s->itr_next_ns = now + (int64_t)itr * E1000_ITR_UNIT_NS;
    }
}

static void e1000_itr_expired(void *opaque)
{
    e1000_update_irq(opaque);
}

void e1000_set_ics(E1000State *s, uint32_t cause)
{
    e1000_set(s, E1000_ICR, e1000_get(s, E1000_ICR) |
                                (cause & E1000_ICR_VALID));
    e1000_update_irq(s);
}

/* ---- Link ---- */

/*
 * STATUS.LU: the PHY has link (carrier, negotiation done) and software
 * set CTRL.SLU, which the MAC needs to recognise the PHY's link
 * (SDM 8.6.2.1). LSC on every change.
 */
void e1000_link_update(E1000State *s)
{
    bool up = s->carrier && s->phy_link &&
              (e1000_get(s, E1000_CTRL) & E1000_CTRL_SLU);
    uint32_t status = e1000_get(s, E1000_STATUS);
    unsigned speed;
    bool fd;

    e1000_phy_resolved(s, &speed, &fd);
    status &= ~(E1000_STATUS_FD | E1000_STATUS_LU |
                (3u << E1000_STATUS_SPEED_SHIFT) |
                (3u << E1000_STATUS_ASDV_SHIFT));
    status |= speed << E1000_STATUS_SPEED_SHIFT;
    status |= speed << E1000_STATUS_ASDV_SHIFT;
    if (fd) {
        status |= E1000_STATUS_FD;
    }
    if (up) {
        status |= E1000_STATUS_LU;
    }
    e1000_set(s, E1000_STATUS, status);
    if (up != s->link_up) {
        s->link_up = up;
        log_trace(LOG_E1000, "%s: link %s", s->id, up ? "up" : "down");
        if (s->peer.backend) {
            net_peer_set_link(&s->peer, up);
        }
        e1000_set_ics(s, E1000_ICR_LSC);
    }
}

/* ---- Deferred work: loopback delivery, TX resume ---- */

static void e1000_bh(void *opaque)
{
    E1000State *s = opaque;

    if (s->unplugged) {
        return;
    }
    e1000_lb_drain(s);
    if (s->tx_block == E1000_TX_BLOCKED_LOOPBACK &&
        g_queue_get_length(&s->lb_queue) < E1000_LB_MAX_FRAMES &&
        s->lb_bytes < E1000_LB_MAX_BYTES) {
        e1000_tx_unblock(s, E1000_TX_BLOCKED_LOOPBACK);
    }
}

void e1000_schedule_bh(E1000State *s)
{
    if (!timer_pending(s->bh_timer)) {
        timer_mod_ns(s->bh_timer, e1000_now(s));
    }
}

/* ---- Register handlers ---- */

static uint32_t e1000_read_zero(E1000State *s, unsigned offset)
{
    return 0;
}

static void e1000_load_mac_from_eeprom(E1000State *s)
{
    uint32_t ral = s->eeprom[0] | ((uint32_t)s->eeprom[1] << 16);
    uint32_t rah = s->eeprom[2] | E1000_RAH_AV;

    e1000_set(s, E1000_RA, ral);
    e1000_set(s, E1000_RA + 4, rah);
}

static void e1000_mac_reset(E1000State *s);

static void e1000_ctrl_write(E1000State *s, unsigned offset, uint32_t val)
{
    uint32_t old = e1000_get(s, E1000_CTRL);

    if (val & E1000_CTRL_RST) {
        /*
         * SDM 13.4.1: RST resets the MAC to its power-on state and reloads
         * the EEPROM; PCI configuration and the PHY are untouched. The bit
         * reads back as 0 once the reset is done, i.e. at once.
         */
        e1000_mac_reset(s);
        old = e1000_get(s, E1000_CTRL);
        val = old | (val & E1000_CTRL_PHY_RST);
    }
    e1000_set(s, E1000_CTRL, val & ~E1000_CTRL_RST);
    /* PHY_RST holds the PHY in reset until software clears it. */
    if ((val & E1000_CTRL_PHY_RST) && !(old & E1000_CTRL_PHY_RST)) {
        e1000_phy_reset(s, true);
    } else if (!(val & E1000_CTRL_PHY_RST) && (old & E1000_CTRL_PHY_RST)) {
        e1000_phy_restart_an(s);
    }
    e1000_link_update(s);
}

static void e1000_ctrl_ext_write(E1000State *s, unsigned offset,
                                 uint32_t val)
{
    /* SDM 13.4.6: EE_RST (self-clearing) reloads the EEPROM-initialised
     * registers. */
    if (val & E1000_CTRL_EXT_EE_RST) {
        e1000_load_mac_from_eeprom(s);
    }
}

static uint32_t e1000_eecd_rd(E1000State *s, unsigned offset)
{
    return e1000_eecd_read(s);
}

static void e1000_eecd_wr(E1000State *s, unsigned offset, uint32_t val)
{
    e1000_eecd_write(s, val);
}

static uint32_t e1000_eerd_rd(E1000State *s, unsigned offset)
{
    return e1000_eerd_read(s);
}

static void e1000_eerd_wr(E1000State *s, unsigned offset, uint32_t val)
{
    e1000_eerd_write(s, val);
}

static void e1000_mdic_wr(E1000State *s, unsigned offset, uint32_t val)
{
    e1000_mdic_write(s, val);
}

/* SDM 13.4.17: reading ICR returns and clears every cause. */
static uint32_t e1000_icr_read(E1000State *s, unsigned offset)
{
    uint32_t v = e1000_get(s, E1000_ICR);

    e1000_set(s, E1000_ICR, 0);
    e1000_update_irq(s);
    return v;
}

static void e1000_icr_write(E1000State *s, unsigned offset, uint32_t val)
{
    e1000_set(s, E1000_ICR, e1000_get(s, E1000_ICR) & ~val);
    e1000_update_irq(s);
}

static void e1000_itr_write(E1000State *s, unsigned offset, uint32_t val)
{
    if (!(val & 0xffff)) {
        s->itr_next_ns = 0;
    }
    e1000_update_irq(s);
}

static void e1000_ics_write(E1000State *s, unsigned offset, uint32_t val)
{
    e1000_set_ics(s, val);
}

static void e1000_ims_write(E1000State *s, unsigned offset, uint32_t val)
{
    e1000_set(s, E1000_IMS, e1000_get(s, E1000_IMS) |
                                (val & E1000_ICR_VALID));
    e1000_update_irq(s);
}

static void e1000_imc_write(E1000State *s, unsigned offset, uint32_t val)
{
    e1000_set(s, E1000_IMS, e1000_get(s, E1000_IMS) & ~val);
    e1000_update_irq(s);
}

/* The guest may have made room or changed what RX accepts. */
static void e1000_rx_kick(E1000State *s)
{
    net_peer_rx_ready(&s->peer);
    if (!g_queue_is_empty(&s->lb_queue) ||
        s->tx_block == E1000_TX_BLOCKED_LOOPBACK) {
        e1000_schedule_bh(s);
    }
}

/* RCTL, RDBAL/RDBAH/RDLEN/RDH/RDT: already stored by the table. */
static void e1000_rx_write(E1000State *s, unsigned offset, uint32_t val)
{
    e1000_rx_ring_changed(s, offset);
    e1000_rx_kick(s);
}

static void e1000_tctl_write(E1000State *s, unsigned offset, uint32_t val)
{
    if (val & E1000_TCTL_EN) {
        e1000_tx_run(s);
    }
}

static void e1000_rdtr_write(E1000State *s, unsigned offset, uint32_t val)
{
    /* FPD is write-only: it flushes the pending RXT0 at once. */
    if (val & E1000_RDTR_FPD) {
        e1000_rx_flush_delay(s);
    }
}

/* TDBAL/TDBAH/TDLEN/TDH: a packet a BUSY interrupted is no longer it. */
static void e1000_tx_ring_write(E1000State *s, unsigned offset,
                                uint32_t val)
{
    e1000_tx_ring_changed(s);
}

static void e1000_tdt_write(E1000State *s, unsigned offset, uint32_t val)
{
    e1000_tx_run(s);
}

static void e1000_ra_write(E1000State *s, unsigned offset, uint32_t val)
{
    if ((offset - E1000_RA) & 4) {
        val &= E1000_RAH_AV | E1000_RAH_AS_MASK | 0xffff;
    }
    e1000_set(s, offset, val);
}

/* SDM 13.7: counters clear when read; a 64-bit pair when its high half is
 * read (the low half is read first). */
static uint32_t e1000_stat_read(E1000State *s, unsigned offset)
{
    uint32_t v = e1000_get(s, offset);

    switch (offset) {
    case E1000_GORCL:
    case E1000_GOTCL:
    case E1000_TORL:
    case E1000_TOTL:
        return v;
    case E1000_GORCH:
    case E1000_GOTCH:
    case E1000_TORH:
    case E1000_TOTH:
        e1000_set(s, offset - 4, 0);
        break;
    default:
        break;
    }
    e1000_set(s, offset, 0);
    return v;
}

#define ALL 0xffffffffu
#define REG(off, cnt, rst, wm, rd, wr) { off, cnt, rst, wm, rd, wr }

/*
 * Sorted by offset. wmask 0 without a write handler: read-only. Registers
 * not listed read 0 and ignore writes.
 */
static const E1000RegInfo e1000_regs[] = {
    REG(E1000_CTRL, 1, E1000_CTRL_FD | E1000_CTRL_SLU | E1000_CTRL_SPD_1000,
        0, NULL, e1000_ctrl_write),
    REG(E1000_STATUS, 1, 0, 0, NULL, NULL),
    REG(E1000_EECD, 1, E1000_EECD_FWE_DIS, 0, e1000_eecd_rd, e1000_eecd_wr),
    REG(E1000_EERD, 1, 0, 0, e1000_eerd_rd, e1000_eerd_wr),
    REG(E1000_CTRL_EXT, 1, 0, ~E1000_CTRL_EXT_EE_RST, NULL,
        e1000_ctrl_ext_write),
    REG(E1000_MDIC, 1, 0, 0, NULL, e1000_mdic_wr),
    REG(E1000_FCAL, 1, 0, ALL, NULL, NULL),
    REG(E1000_FCAH, 1, 0, 0xffff, NULL, NULL),
    REG(E1000_FCT, 1, 0, 0xffff, NULL, NULL),
    REG(E1000_VET, 1, 0x8100, 0xffff, NULL, NULL),
    REG(E1000_ICR, 1, 0, 0, e1000_icr_read, e1000_icr_write),
    REG(E1000_ITR, 1, 0, 0xffff, NULL, e1000_itr_write),
    REG(E1000_ICS, 1, 0, 0, e1000_read_zero, e1000_ics_write),
    REG(E1000_IMS, 1, 0, 0, NULL, e1000_ims_write),
    REG(E1000_IMC, 1, 0, 0, e1000_read_zero, e1000_imc_write),
    REG(E1000_RCTL, 1, 0, ALL, NULL, e1000_rx_write),
    REG(E1000_FCTTV, 1, 0, 0xffff, NULL, NULL),
    REG(E1000_TXCW, 1, 0, ALL, NULL, NULL),
    REG(E1000_RXCW, 1, 0, 0, NULL, NULL),
    REG(E1000_TCTL, 1, 0, ALL, NULL, e1000_tctl_write),
    REG(E1000_TIPG, 1, 0, ALL, NULL, NULL),
    REG(E1000_AIT, 1, 0, 0xffff, NULL, NULL),
    REG(E1000_LEDCTL, 1, 0x07068302, ALL, NULL, NULL),
    REG(E1000_PBA, 1, 0x00100030, 0xffff, NULL, NULL),
    REG(E1000_FCRTL, 1, 0, 0x8000fff8u, NULL, NULL),
    REG(E1000_FCRTH, 1, 0, 0x0000fff8u, NULL, NULL),
    REG(E1000_RDFH, 1, 0, 0x1fff, NULL, NULL),
    REG(E1000_RDFT, 1, 0, 0x1fff, NULL, NULL),
    REG(E1000_RDFHS, 1, 0, 0x1fff, NULL, NULL),
    REG(E1000_RDFTS, 1, 0, 0x1fff, NULL, NULL),
    REG(E1000_RDFPC, 1, 0, 0x1fff, NULL, NULL),
    REG(E1000_RDBAL, 1, 0, 0xfffffff0u, NULL, e1000_rx_write),
    REG(E1000_RDBAH, 1, 0, ALL, NULL, e1000_rx_write),
    REG(E1000_RDLEN, 1, 0, 0x000fff80u, NULL, e1000_rx_write),
    REG(E1000_RDH, 1, 0, 0xffff, NULL, e1000_rx_write),
    REG(E1000_RDT, 1, 0, 0xffff, NULL, e1000_rx_write),
    REG(E1000_RDTR, 1, 0, 0xffff, NULL, e1000_rdtr_write),
    REG(E1000_RXDCTL, 1, 0x00010000, ALL, NULL, NULL),
    REG(E1000_RADV, 1, 0, 0xffff, NULL, NULL),
    REG(E1000_RSRPD, 1, 0, 0xfff, NULL, NULL),
    REG(E1000_TXDMAC, 1, 0, 1, NULL, NULL),
    REG(E1000_TDFH, 1, 0, 0x1fff, NULL, NULL),
    REG(E1000_TDFT, 1, 0, 0x1fff, NULL, NULL),
    REG(E1000_TDFHS, 1, 0, 0x1fff, NULL, NULL),
    REG(E1000_TDFTS, 1, 0, 0x1fff, NULL, NULL),
    REG(E1000_TDFPC, 1, 0, 0x1fff, NULL, NULL),
    REG(E1000_TDBAL, 1, 0, 0xfffffff0u, NULL, e1000_tx_ring_write),
    REG(E1000_TDBAH, 1, 0, ALL, NULL, e1000_tx_ring_write),
    REG(E1000_TDLEN, 1, 0, 0x000fff80u, NULL, e1000_tx_ring_write),
    REG(E1000_TDH, 1, 0, 0xffff, NULL, e1000_tx_ring_write),
    REG(E1000_TDT, 1, 0, 0xffff, NULL, e1000_tdt_write),
    REG(E1000_TIDV, 1, 0, 0xffff, NULL, NULL),
    REG(E1000_TXDCTL, 1, 0, ALL, NULL, NULL),
    REG(E1000_TADV, 1, 0, 0xffff, NULL, NULL),
    REG(E1000_TSPMT, 1, 0x01000400, ALL, NULL, NULL),
    REG(E1000_CRCERRS, 64, 0, 0, e1000_stat_read, NULL),
    REG(E1000_RXCSUM, 1, E1000_RXCSUM_IPOFLD | E1000_RXCSUM_TUOFLD, 0x3ff,
        NULL, NULL),
    REG(E1000_MTA, E1000_MTA_COUNT, 0, ALL, NULL, NULL),
    REG(E1000_RA, 2 * E1000_RA_COUNT, 0, 0, NULL, e1000_ra_write),
    REG(E1000_VFTA, E1000_VFTA_COUNT, 0, ALL, NULL, NULL),
    REG(E1000_WUC, 1, 0, 0xf, NULL, NULL),
    REG(E1000_WUFC, 1, 0, 0xff, NULL, NULL),
    REG(E1000_WUS, 1, 0, 0, NULL, NULL),
    REG(E1000_MANC, 1, 0, ALL, NULL, NULL),
    REG(E1000_IPAV, 1, 0, 0x1000f, NULL, NULL),
    REG(E1000_IP4AT, 8, 0, ALL, NULL, NULL),
    REG(E1000_IP6AT, 4, 0, ALL, NULL, NULL),
    REG(E1000_WUPL, 1, 0, 0, NULL, NULL),
    REG(E1000_WUPM, 32, 0, 0, NULL, NULL),
    REG(E1000_FFLT, 8, 0, 0x7ff, NULL, NULL),
    REG(E1000_FFMT, 256, 0, 0xf, NULL, NULL),
    REG(E1000_FFVT, 256, 0, 0xff, NULL, NULL),
};

#undef REG
#undef ALL

/* Binary search of the sorted table; NULL for an unlisted offset. */
static const E1000RegInfo *e1000_reg_find(unsigned offset)
{
    size_t lo = 0, hi = G_N_ELEMENTS(e1000_regs);

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const E1000RegInfo *ri = &e1000_regs[mid];

        if (offset < ri->offset) {
            hi = mid;
        } else if (offset >= ri->offset + 4u * ri->count) {
            lo = mid + 1;
        } else {
            return ri;
        }
    }
    return NULL;
}

static uint32_t e1000_reg_read(E1000State *s, unsigned offset)
{
    const E1000RegInfo *ri;

    if (s->unplugged) {
        /* A function that is gone reads all-ones (master abort). */
        return UINT32_MAX;
    }
    offset &= ~3u;
    ri = offset < E1000_NREGS * 4 ? e1000_reg_find(offset) : NULL;
    if (!ri) {
        log_trace(LOG_E1000, "%s: read of unimplemented register 0x%05x",
                  s->id, offset);
        return 0;
    }
    return ri->read ? ri->read(s, offset) : s->mac[E1000_REG(offset)];
}

static void e1000_reg_write(E1000State *s, unsigned offset, uint32_t val)
{
    const E1000RegInfo *ri;
    uint32_t *reg;

    if (s->unplugged) {
        return;
    }
    offset &= ~3u;
    ri = offset < E1000_NREGS * 4 ? e1000_reg_find(offset) : NULL;
    if (!ri) {
        log_trace(LOG_E1000, "%s: write 0x%08x to unimplemented register "
                  "0x%05x", s->id, val, offset);
        return;
    }
    reg = &s->mac[E1000_REG(offset)];
    *reg = (*reg & ~ri->wmask) | (val & ri->wmask);
    if (ri->write) {
        ri->write(s, offset, val);
    }
}

/* ---- BARs ---- */

static uint64_t e1000_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    return e1000_reg_read(opaque, (unsigned)addr);
}

static void e1000_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    e1000_reg_write(opaque, (unsigned)addr, (uint32_t)val);
}

static const IoOps e1000_mmio_ops = {
    .name = "e1000-mmio",
    .read = e1000_mmio_read,
    .write = e1000_mmio_write,
    .min_access = 4,
    .max_access = 4,
};

/*
 * SDM 13.2 (I/O-mapped access): IOADDR selects a register (any BAR0
 * offset, masked to the register space), IODATA accesses it. The rest of
 * the window reads 0.
 */
static uint64_t e1000_io_read(void *opaque, hwaddr addr, unsigned size)
{
    E1000State *s = opaque;

    switch (addr) {
    case E1000_IOADDR:
        return s->ioaddr;
    case E1000_IODATA:
        return e1000_reg_read(s, s->ioaddr);
    default:
        return 0;
    }
}

static void e1000_io_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    E1000State *s = opaque;

    switch (addr) {
    case E1000_IOADDR:
        s->ioaddr = (uint32_t)val & (E1000_MMIO_SIZE - 4);
        break;
    case E1000_IODATA:
        e1000_reg_write(s, s->ioaddr, (uint32_t)val);
        break;
    default:
        break;
    }
}

static const IoOps e1000_io_ops = {
    .name = "e1000-io",
    .read = e1000_io_read,
    .write = e1000_io_write,
    .min_access = 4,
    .max_access = 4,
};

/* ---- Reset ---- */

/* MAC registers and queues to power-on state; the PHY is left alone. */
static void e1000_mac_reset(E1000State *s)
{
    size_t i;
    unsigned j;

    timer_del(s->itr_timer);
    timer_del(s->rdtr_timer);
    timer_del(s->radv_timer);
    timer_del(s->tidv_timer);
    timer_del(s->tadv_timer);
    timer_del(s->bh_timer);
    memset(s->mac, 0, sizeof(s->mac));
    for (i = 0; i < G_N_ELEMENTS(e1000_regs); i++) {
        for (j = 0; j < e1000_regs[i].count; j++) {
            e1000_set(s, e1000_regs[i].offset + 4 * j, e1000_regs[i].reset);
        }
    }
    e1000_load_mac_from_eeprom(s);
    s->ioaddr = 0;
    s->eerd = 0;
    memset(&s->ee, 0, sizeof(s->ee));
    s->itr_next_ns = 0;
    s->rx_nobuf = false;
    e1000_rx_ring_changed(s, 0);
    e1000_tx_reset(s);
    e1000_lb_clear(s);
    /* STATUS mirrors the link, which a MAC reset does not change. */
    e1000_link_update(s);
    e1000_update_irq(s);
}

/* pci_device_reset: power-on state, link settled if there is carrier. */
static void e1000_pci_reset(PciDevice *dev)
{
    E1000State *s = e1000_from_pci(dev);

    e1000_phy_reset(s, true);
    s->phy_link = true;
    /* The CTRL reset value has SLU: the link is up from power-on. */
    s->link_up = s->carrier;
    e1000_mac_reset(s);
    if (s->peer.backend) {
        net_peer_set_link(&s->peer, s->link_up);
    }
}

static void e1000_pci_config_written(PciDevice *dev, unsigned offset,
                                     unsigned size)
{
    E1000State *s = e1000_from_pci(dev);

    /* Bus mastering may just have come on: retry what waits for DMA. */
    if (!s->unplugged && pci_bus_master_enabled(dev)) {
        e1000_rx_kick(s);
        e1000_tx_run(s);
    }
}

/*
 * Hand-off (PciDeviceOps.quiesce): nothing may run after this. TX and RX
 * stop with the backend, timers are cancelled so none fires again, and
 * the unplugged flag turns every other entry into a no-op.
 */
static void e1000_pci_quiesce(PciDevice *dev)
{
    E1000State *s = e1000_from_pci(dev);

    if (s->unplugged) {
        return;
    }
    s->unplugged = true;
    timer_del(s->autoneg_timer);
    timer_del(s->itr_timer);
    timer_del(s->rdtr_timer);
    timer_del(s->radv_timer);
    timer_del(s->tidv_timer);
    timer_del(s->tadv_timer);
    timer_del(s->bh_timer);
    if (s->peer.backend) {
        net_disconnect(&s->peer);
    }
    e1000_lb_clear(s);
    e1000_tx_reset(s);
    pci_set_irq(&s->pci, false);
}

static void e1000_pci_destroy(PciDevice *dev)
{
    E1000State *s = e1000_from_pci(dev);

    if (s->peer.backend) {
        net_disconnect(&s->peer);
    }
    timer_free(s->autoneg_timer);
    timer_free(s->itr_timer);
    timer_free(s->rdtr_timer);
    timer_free(s->radv_timer);
    timer_free(s->tidv_timer);
    timer_free(s->tadv_timer);
    timer_free(s->bh_timer);
    e1000_lb_clear(s);
    e1000_tx_free(s);
    /* Detach frees the ROM; a device that never got attached still has it. */
    g_clear_pointer(&s->pci.rom, g_free);
    g_free(s->rx_buf);
    g_free(s->id);
    g_free(s);
}

static const PciDeviceOps e1000_pci_ops = {
    .reset = e1000_pci_reset,
    .config_written = e1000_pci_config_written,
    .quiesce = e1000_pci_quiesce,
    .destroy = e1000_pci_destroy,
};

/* ---- NetPeer ---- */

static bool e1000_peer_can_receive(NetPeer *peer)
{
    E1000State *s = e1000_from_peer(peer);

    return !s->unplugged && e1000_rx_can_receive(s);
}

static bool e1000_peer_receive(NetPeer *peer, const uint8_t *buf, size_t len)
{
    E1000State *s = e1000_from_peer(peer);

    /* Handed off: the frame is consumed unseen, never held. */
    if (s->unplugged) {
        s->rx_dropped++;
        return true;
    }
    return e1000_rx_frame(s, buf, len, false) == E1000_RX_CONSUMED;
}

static void e1000_peer_link_changed(NetPeer *peer, bool up)
{
    E1000State *s = e1000_from_peer(peer);

    if (!s->unplugged) {
        e1000_phy_carrier(s, up);
    }
}

static void e1000_peer_tx_ready(NetPeer *peer)
{
    E1000State *s = e1000_from_peer(peer);

    if (!s->unplugged) {
        e1000_tx_unblock(s, E1000_TX_BLOCKED_BACKEND);
    }
}

static const NetPeerOps e1000_peer_ops = {
    .can_receive = e1000_peer_can_receive,
    .receive = e1000_peer_receive,
    .link_changed = e1000_peer_link_changed,
    .tx_ready = e1000_peer_tx_ready,
};

/* ---- Construction ---- */

static void e1000_check_table(void)
{
    size_t i;

    for (i = 1; i < G_N_ELEMENTS(e1000_regs); i++) {
        g_assert(e1000_regs[i - 1].offset + 4u * e1000_regs[i - 1].count <=
                 e1000_regs[i].offset);
    }
    g_assert(e1000_regs[i - 1].offset + 4u * e1000_regs[i - 1].count <=
             E1000_NREGS * 4);
}

PciDevice *e1000_new(const NicConf *conf, GError **errp)
{
    static const PciIdent ident = {
        .vendor_id = 0x8086,
        .device_id = 0x100e,
        .subsystem_vendor_id = 0x8086,
        .subsystem_id = 0x001e,
        /* 82540EM silicon (lspci: "rev 02"); QEMU's model says 03h. */
        .revision = 0x02,
        .class_code = 0x020000,
        .interrupt_pin = 1,
    };
    static const char *const known_keys[] = { NIC_COMMON_KEYS, NULL };
    E1000State *s;

    e1000_check_table();
    if (conf->opts && !opts_check_known(conf->opts, "e1000", known_keys,
                                        errp)) {
        return NULL;
    }
    s = g_new0(E1000State, 1);
    s->id = g_strdup(conf->id ? conf->id : "e1000");
    s->clock = conf->clock;
    s->mac_addr = conf->mac;
    s->peer.ops = &e1000_peer_ops;
    s->carrier = true;
    pci_device_init(&s->pci, &e1000_pci_ops, &ident, s->id);
    pci_register_bar(&s->pci, 0, PCI_BAR_MEM32, false, E1000_MMIO_SIZE,
                     &e1000_mmio_ops, s);
    pci_register_bar(&s->pci, 1, PCI_BAR_IO, false, E1000_IO_SIZE,
                     &e1000_io_ops, s);
    s->autoneg_timer = timer_new(s->clock, e1000_phy_autoneg_done, s);
    s->itr_timer = timer_new(s->clock, e1000_itr_expired, s);
    s->rdtr_timer = timer_new(s->clock, e1000_rx_delay_expired, s);
    s->radv_timer = timer_new(s->clock, e1000_rx_delay_expired, s);
    s->tidv_timer = timer_new(s->clock, e1000_tx_delay_expired, s);
    s->tadv_timer = timer_new(s->clock, e1000_tx_delay_expired, s);
    s->bh_timer = timer_new(s->clock, e1000_bh, s);
    g_queue_init(&s->lb_queue);
    s->rx_buf = g_malloc0(E1000_RX_BUF_SIZE);
    e1000_tx_init(s);
    e1000_eeprom_init(s);
    e1000_pci_reset(&s->pci);

    if (!pci_load_rom(&s->pci, conf->romfile, errp)) {
        e1000_pci_destroy(&s->pci);
        return NULL;
    }
    if (conf->backend && !net_connect(&s->peer, conf->backend, errp)) {
        g_prefix_error(errp, "%s: ", s->id);
        e1000_pci_destroy(&s->pci);
        return NULL;
    }
    /* The reset above ran unconnected: tell the backend (tap carrier). */
    if (s->peer.backend) {
        net_peer_set_link(&s->peer, s->link_up);
    }
    return &s->pci;
}
