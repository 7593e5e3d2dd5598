/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Realtek RTL8139C / RTL8139C+ Fast Ethernet controller (data sheets
 * "RTL8139C(L) Rev. 1.4" and "RTL8139C(L)+ Rev. 1.6"): the PCI function
 * with the register window in BAR0 (I/O) and BAR1 (memory), power-on and
 * software reset, the 93C46 EEPROM image, link state, interrupts with C+
 * IntrMitigate, and the TCTR/TimerInt timer. The register table is in
 * rtl8139-regs.c, RX in rtl8139-rx.c, TX in rtl8139-tx.c and
 * rtl8139-cplus.c.
 *
 * Revision (x-revision=): 0x20 (default) is the C+ part that Linux
 * 8139cp drives; any value below 0x20 is the plain RTL8139C that 8139too
 * drives (8139too refuses revision >= 0x20, 8139cp refuses < 0x20), with
 * the C+ registers (0xd9-0xff) absent.
 *
 * C+ register semantics (DTCCR at 0x10) start when the driver first
 * enables C+ transmit or receive in CpCmd and last until a reset: C mode
 * TX through the TSD slots keeps working while a driver only touches C+
 * registers (QEMU 7.2 switches at any CpCmd write).
 *
 * Time (TCTR, IntrMitigate, the re-read of a full C+ RX ring every
 * 200 us, and the delivery of TCR loopback frames, due at once) runs on
 * the device clock: under qtest these happen on clock_step.
 *
 * Not modelled: wake-on-LAN and PME (the wakeup registers are plain
 * storage), the flash interface, early RX/TX interrupts (thresholds are
 * stored), CardBus registers, PHY speed/duplex other than 100 Mb/s full.
 */
#include <inttypes.h>

#include "emunet/opts.h"
#include "hw/net/nic.h"
#include "hw/net/rtl8139-int.h"
#include "hw/pci/pci_regs.h"

#define PCI_DEVICE_ID_REALTEK_8139 0x8139
#define RTL_EEPROM_ADDR_BITS 6
#define RTL_EEPROM_ID 0x8129
#define RTL_EEPROM_MAC_WORD 7

#define RTL_ERROR g_quark_from_static_string("emunet-rtl8139-error")

/* ---- Modes ---- */

bool rtl8139_cplus_tx(const Rtl8139State *s)
{
    return s->cplus_mode && (s->cpcmd & RTL_CPCMD_CPTX);
}

bool rtl8139_cplus_rx(const Rtl8139State *s)
{
    return s->cplus_mode && (s->cpcmd & RTL_CPCMD_CPRX);
}

bool rtl8139_loopback(const Rtl8139State *s)
{
    return (s->tcr & RTL_TCR_LBK_MASK) == RTL_TCR_LBK_LOOPBACK ||
           (s->bmcr & RTL_BMCR_LOOPBACK);
}

/* ---- Interrupts and IntrMitigate ---- */

static const uint16_t rtl8139_mit_bit[RTL_DIR_COUNT] = {
    [RTL_DIR_RX] = RTL_INT_ROK,
    [RTL_DIR_TX] = RTL_INT_TOK,
};

void rtl8139_update_irq(Rtl8139State *s)
{
    if (s->unplugged) {
        return;
    }
    pci_set_irq(&s->pci, (s->isr & s->imr & ~s->mit_held) != 0);
}

static unsigned rtl8139_mit_field(const Rtl8139State *s, RtlDir d, bool timer)
{
    unsigned shift;

    if (d == RTL_DIR_RX) {
        shift = timer ? RTL_MIT_RX_TIMER_SHIFT : RTL_MIT_RX_FRAMES_SHIFT;
    } else {
        shift = timer ? RTL_MIT_TX_TIMER_SHIFT : RTL_MIT_TX_FRAMES_SHIFT;
    }
    return s->cplus_chip ? (s->intr_mitigate >> shift) & 0xf : 0;
}

static void rtl8139_mit_release(Rtl8139State *s, RtlDir d)
{
    s->mit_held &= ~rtl8139_mit_bit[d];
    s->mit_count[d] = 0;
    timer_del(s->mit_timer[d]);
}

void rtl8139_mit_ack(Rtl8139State *s, uint16_t bits)
{
    for (unsigned d = 0; d < RTL_DIR_COUNT; d++) {
        if (bits & rtl8139_mit_bit[d] & s->mit_held) {
            rtl8139_mit_release(s, d);
        }
    }
}

/*
 * A ROK/TOK event: hold the status bit back from the IRQ line until the
 * direction's timer expires or enough events accumulated. A bit that is
 * already set and visible stays visible (holding it would drop the line).
 */
static void rtl8139_mit_event(Rtl8139State *s, RtlDir d, uint16_t old_isr)
{
    unsigned timer = rtl8139_mit_field(s, d, true);
    unsigned frames = rtl8139_mit_field(s, d, false);
    uint16_t bit = rtl8139_mit_bit[d];

    if (!(s->mit_held & bit)) {
        if (timer == 0 || (old_isr & bit)) {
            return;
        }
        s->mit_held |= bit;
        s->mit_count[d] = 0;
        timer_mod_ns(s->mit_timer[d],
                     clock_get_ns(s->clock) + (int64_t)timer * RTL_MIT_UNIT_NS);
    }
    s->mit_count[d]++;
    if (frames && s->mit_count[d] >= frames * RTL_MIT_FRAME_UNIT) {
        rtl8139_mit_release(s, d);
    }
}

static void rtl8139_mit_timer_cb(Rtl8139State *s, RtlDir d)
{
    rtl8139_mit_release(s, d);
    rtl8139_update_irq(s);
}

static void rtl8139_mit_rx_cb(void *opaque)
{
    rtl8139_mit_timer_cb(opaque, RTL_DIR_RX);
}

static void rtl8139_mit_tx_cb(void *opaque)
{
    rtl8139_mit_timer_cb(opaque, RTL_DIR_TX);
}

void rtl8139_raise(Rtl8139State *s, uint16_t bits)
{
    uint16_t old = s->isr;

    s->isr |= bits & ~RTL_INT_RESERVED;
    if (bits & RTL_INT_ROK) {
        rtl8139_mit_event(s, RTL_DIR_RX, old);
    }
    if (bits & RTL_INT_TOK) {
        rtl8139_mit_event(s, RTL_DIR_TX, old);
    }
    rtl8139_update_irq(s);
}

void rtl8139_dma_error(Rtl8139State *s, const char *what, uint64_t addr)
{
    uint16_t status = ld16_le(s->pci.config + PCI_STATUS);

    /* A failed bus master cycle is a master abort (PCI 3.0 6.2.3). */
    st16_le(s->pci.config + PCI_STATUS, status | PCI_STATUS_REC_MASTER_ABORT);
    log_guest_error(LOG_RTL8139,
                    "%s: %s DMA at %#" PRIx64 " failed "
                    "(not RAM, a device BAR, or bus mastering off)",
                    s->name, what, addr);
    rtl8139_raise(s, RTL_INT_SERR);
}

/* ---- TCTR and TimerInt ---- */

uint64_t rtl8139_tctr_ticks(Rtl8139State *s)
{
    int64_t delta = clock_get_ns(s->clock) - s->tctr_base_ns;

    return delta <= 0 ? 0 : (uint64_t)delta * RTL_TCTR_MUL / RTL_TCTR_DIV;
}

/*
 * Arm the timer for the next time the 32-bit TCTR reaches TimerInt (data
 * sheet: TimeOut is set when TCTR reaches TimerInt; 0 disables). The
 * counter wraps, so a compare value fires once per 2^32 ticks.
 */
void rtl8139_tctr_rearm(Rtl8139State *s)
{
    uint64_t ticks, target;

    if (!s->timer_int) {
        timer_del(s->tctr_timer);
        return;
    }
    ticks = rtl8139_tctr_ticks(s);
    target = (ticks & ~0xffffffffULL) + s->timer_int;
    if ((uint32_t)ticks >= s->timer_int) {
        target += 1ULL << 32;
    }
    /* First ns at which the tick count is >= target. */
    timer_mod_ns(s->tctr_timer,
                 s->tctr_base_ns +
                     (int64_t)((target * RTL_TCTR_DIV + RTL_TCTR_MUL - 1) /
                               RTL_TCTR_MUL));
}

static void rtl8139_tctr_cb(void *opaque)
{
    Rtl8139State *s = opaque;

    rtl8139_raise(s, RTL_INT_TIMEOUT);
    rtl8139_tctr_rearm(s);
}

/* ---- Link and PHY ---- */

void rtl8139_phy_reset(Rtl8139State *s)
{
    s->bmcr = RTL_BMCR_SPEED100 | RTL_BMCR_ANE | RTL_BMCR_DUPLEX;
    s->anar = RTL_ANAR_DEFAULT;
}

static void rtl8139_link_changed(NetPeer *nc, bool up)
{
    Rtl8139State *s = rtl8139_from_peer(nc);

    if (s->unplugged || s->link_up == up) {
        return;
    }
    s->link_up = up;
    log_trace(LOG_RTL8139, "%s: link %s", s->name, up ? "up" : "down");
    /*
     * ISR bit 5 is "packet underrun / link change"; 8139too tells the
     * two apart by CSCR bit 11, which stays set until ISR bit 5 is acked.
     */
    s->cscr |= RTL_CSCR_LINK_CHANGE;
    rtl8139_raise(s, RTL_INT_LINKCHG);
}

/* ---- Reset ---- */

/* CR.RST (data sheet 6.7): IDR, MAR and PCI config space are kept. */
void rtl8139_soft_reset(Rtl8139State *s)
{
    for (unsigned i = 0; i < 4; i++) {
        s->tsd[i] = RTL_TSD_OWN;
    }
    s->tx_cur = 0;
    s->cr = 0;
    s->rx_wp = 0;
    s->capr = RTL_CAPR_RESET;
    s->imr = 0;
    s->isr = 0;
    s->cpcmd = 0;
    s->cplus_mode = false;
    s->rx_max_size = 0;
    s->cp_rx_idx = 0;
    s->cp_tx_idx[0] = 0;
    s->cp_tx_idx[1] = 0;
    s->dtccr[0] = 0;
    s->dtccr[1] = 0;
    rtl8139_cp_tx_abort(s);
    rtl8139_loopback_flush(s);
    s->tx_blocked = false;
    rtl8139_mit_ack(s, 0xffff);
    s->rx_full = false;
    timer_del(s->rx_poll_timer);
    rtl8139_update_irq(s);
}

void rtl8139_power_on_reset(Rtl8139State *s)
{
    rtl8139_regs_reset(s);
    /* The station address autoloads from EEPROM words 7-9. */
    for (unsigned i = 0; i < 3; i++) {
        uint16_t w = eeprom93xx_read_word(&s->eeprom, RTL_EEPROM_MAC_WORD + i);

        s->idr[2 * i] = w & 0xff;
        s->idr[2 * i + 1] = w >> 8;
    }
    eeprom93xx_set_pins(&s->eeprom, false, false, false);
    s->rbstart = 0;
    s->tcr = 0;
    s->rcr = 0;
    s->tctr_base_ns = clock_get_ns(s->clock);
    s->timer_int = 0;
    timer_del(s->tctr_timer);
    s->mpc = 0;
    s->cr9346 = 0;
    s->config0 = 0;
    s->config1 = RTL_CONFIG1_IOMAP | RTL_CONFIG1_MEMMAP;
    s->config3 = RTL_CONFIG3_FBTBEN;
    s->config4 = 0;
    s->config5 = 0;
    s->msr = RTL_MSR_TXFCE | RTL_MSR_RXFCE | RTL_MSR_AUX;
    s->cscr = RTL_CSCR_LD | RTL_CSCR_HEART_BEAT | RTL_CSCR_F_LINK_100;
    s->intr_mitigate = 0;
    s->rdsar[0] = 0;
    s->rdsar[1] = 0;
    rtl8139_phy_reset(s);
    memset(&s->tally, 0, sizeof(s->tally));
    rtl8139_soft_reset(s);
    /* A frame held while RX was on is now dropped (RX is off). */
    rtl8139_rx_kick(s);
}

/* ---- PCI function and NetPeer glue ---- */

static bool rtl8139_can_receive(NetPeer *nc)
{
    /* receive() decides: it refuses only for lack of guest buffers. */
    return true;
}

static bool rtl8139_receive(NetPeer *nc, const uint8_t *buf, size_t len)
{
    Rtl8139State *s = rtl8139_from_peer(nc);

    /* Handed off: the frame is consumed unseen, never held. */
    if (s->unplugged) {
        s->drops.rx_disabled++;
        return true;
    }
    return rtl8139_rx_frame(s, buf, len);
}

static void rtl8139_tx_ready(NetPeer *nc)
{
    Rtl8139State *s = rtl8139_from_peer(nc);

    if (!s->unplugged) {
        rtl8139_tx_resume(s);
    }
}

static const NetPeerOps rtl8139_peer_ops = {
    .can_receive = rtl8139_can_receive,
    .receive = rtl8139_receive,
    .link_changed = rtl8139_link_changed,
    .tx_ready = rtl8139_tx_ready,
};

static void rtl8139_pci_reset(PciDevice *dev)
{
    rtl8139_power_on_reset(rtl8139_from_pci(dev));
}

/* Teardown: no timer may fire and no backend call arrive after this. */
static void rtl8139_free(Rtl8139State *s)
{
    if (s->nc.backend) {
        net_disconnect(&s->nc);
    }
    rtl8139_loopback_flush(s);
    for (unsigned d = 0; d < RTL_DIR_COUNT; d++) {
        timer_free(s->mit_timer[d]);
    }
    timer_free(s->tctr_timer);
    timer_free(s->loop_timer);
    timer_free(s->rx_poll_timer);
    timer_free(s->cp_tx_timer);
    g_free(s->cp_txbuf);
    g_free(s->cp_segbuf);
    g_free(s->rx_scratch);
    g_free(s->pci.rom);
    g_free(s->name);
    g_free(s);
}

static void rtl8139_destroy(PciDevice *dev)
{
    rtl8139_free(rtl8139_from_pci(dev));
}

/*
 * Hand-off (PciDeviceOps.quiesce): TX and RX stop with the backend,
 * queued loopback frames and a half-sent C+ packet are dropped, timers
 * are cancelled so none fires again, and the unplugged flag turns every
 * other entry into a no-op.
 */
static void rtl8139_quiesce(PciDevice *dev)
{
    Rtl8139State *s = rtl8139_from_pci(dev);

    if (s->unplugged) {
        return;
    }
    s->unplugged = true;
    if (s->nc.backend) {
        net_disconnect(&s->nc);
    }
    rtl8139_loopback_flush(s);
    rtl8139_cp_tx_abort(s);
    for (unsigned d = 0; d < RTL_DIR_COUNT; d++) {
        timer_del(s->mit_timer[d]);
    }
    timer_del(s->tctr_timer);
    timer_del(s->rx_poll_timer);
    s->tx_blocked = false;
    s->rx_blocked = false;
    pci_set_irq(&s->pci, false);
}

static const PciDeviceOps rtl8139_pci_ops = {
    .reset = rtl8139_pci_reset,
    .quiesce = rtl8139_quiesce,
    .destroy = rtl8139_destroy,
};

/* EEPROM image (data sheet 8, "EEPROM contents"), 16-bit words. */
static void rtl8139_eeprom_setup(Rtl8139State *s)
{
    uint16_t words[10] = {
        [0] = RTL_EEPROM_ID,
        [1] = PCI_VENDOR_ID_REALTEK,
        [2] = PCI_DEVICE_ID_REALTEK_8139,
        [3] = PCI_VENDOR_ID_REALTEK,      /* subsystem vendor */
        [4] = PCI_DEVICE_ID_REALTEK_8139, /* subsystem */
        [5] = 0x4020,                     /* MIN_GNT 0x20, MAX_LAT 0x40 */
    };

    for (unsigned i = 0; i < 3; i++) {
        words[RTL_EEPROM_MAC_WORD + i] =
            s->conf_mac.a[2 * i] | s->conf_mac.a[2 * i + 1] << 8;
    }
    eeprom93xx_init(&s->eeprom, RTL_EEPROM_ADDR_BITS, words,
                    G_N_ELEMENTS(words));
}

PciDevice *rtl8139_new(const NicConf *conf, GError **errp)
{
    static const char *const known[] = {NIC_COMMON_KEYS, "x-revision", NULL};
    uint64_t rev = RTL_PCI_REVISION_CPLUS;
    PciIdent ident = {
        .vendor_id = PCI_VENDOR_ID_REALTEK,
        .device_id = PCI_DEVICE_ID_REALTEK_8139,
        .subsystem_vendor_id = PCI_VENDOR_ID_REALTEK,
        .subsystem_id = PCI_DEVICE_ID_REALTEK_8139,
        .class_code = (uint32_t)PCI_CLASS_NETWORK_ETHERNET << 8,
        .interrupt_pin = 1,
    };
    Rtl8139State *s;

    g_assert(conf->clock);
    if (conf->opts) {
        if (!opts_check_known(conf->opts, "rtl8139", known, errp) ||
            !opts_get_u64(conf->opts, "x-revision", rev, false, &rev, errp)) {
            return NULL;
        }
        if (rev > 0xff) {
            g_set_error(errp, RTL_ERROR, 0,
                        "rtl8139: x-revision=%#" PRIx64
                        " is not a PCI revision (0x10: RTL8139C for "
                        "8139too, 0x20: RTL8139C+ for 8139cp)",
                        rev);
            return NULL;
        }
    }
    rtl8139_regs_init();

    s = g_new0(Rtl8139State, 1);
    s->name = g_strdup(conf->id ? conf->id : "rtl8139");
    s->clock = conf->clock;
    s->conf_mac = conf->mac;
    s->revision = (uint8_t)rev;
    s->cplus_chip = rev >= RTL_PCI_REVISION_CPLUS;
    ident.revision = s->revision;
    pci_device_init(&s->pci, &rtl8139_pci_ops, &ident, s->name);
    s->pci.config[PCI_MIN_GNT] = 0x20;
    s->pci.config[PCI_MAX_LAT] = 0x40;
    pci_register_bar(&s->pci, 0, PCI_BAR_IO, false, RTL_REGS_SIZE,
                     &rtl8139_io_ops, s);
    pci_register_bar(&s->pci, 1, PCI_BAR_MEM32, false, RTL_REGS_SIZE,
                     &rtl8139_io_ops, s);
    s->nc.ops = &rtl8139_peer_ops;
    s->link_up = true;
    g_queue_init(&s->loopback);
    s->cp_txbuf = g_malloc0(RTL_CP_TX_BUF_SIZE);
    s->cp_segbuf = g_malloc0(RTL_CP_SEG_BUF_SIZE);
    s->rx_scratch = g_malloc0(RTL_RX_SCRATCH_SIZE);
    s->mit_timer[RTL_DIR_RX] = timer_new(s->clock, rtl8139_mit_rx_cb, s);
    s->mit_timer[RTL_DIR_TX] = timer_new(s->clock, rtl8139_mit_tx_cb, s);
    s->tctr_timer = timer_new(s->clock, rtl8139_tctr_cb, s);
    s->loop_timer = timer_new(s->clock, rtl8139_loop_timer_cb, s);
    s->rx_poll_timer = timer_new(s->clock, rtl8139_rx_poll_cb, s);
    s->cp_tx_timer = timer_new(s->clock, rtl8139_cp_tx_timer_cb, s);
    rtl8139_eeprom_setup(s);
    rtl8139_power_on_reset(s);

    if (!pci_load_rom(&s->pci, conf->romfile, errp) ||
        (conf->backend && !net_connect(&s->nc, conf->backend, errp))) {
        rtl8139_free(s);
        return NULL;
    }
    /* The PHY has no software link control: up for the backend (tap). */
    if (s->nc.backend) {
        net_peer_set_link(&s->nc, true);
    }
    log_trace(LOG_RTL8139, "%s: revision %#x (%s)", s->name, s->revision,
              s->cplus_chip ? "RTL8139C+" : "RTL8139C");
    return &s->pci;
}
