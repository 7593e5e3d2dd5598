/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The RTL8139C(+) register file as data: one table entry per register
 * (offset, width, instances, reset value, writable bits or handlers), a
 * byte map built from it, and the dispatch that splits any guest access
 * of 1, 2 or 4 bytes at any offset into per-register pieces. Register
 * names and bits are the data sheet's (rtl8139_regs.h).
 */
#include <inttypes.h>

#include "hw/net/rtl8139-int.h"

/* ---- Register description ---- */

/* A register handler; `idx` selects the instance of an array register. */
typedef uint32_t RtlRegRead(Rtl8139State *s, unsigned idx);
/*
 * `val` and `mask` are in register bit positions; `mask` covers the bytes
 * the guest access wrote (a byte write to a word register has 0x00ff or
 * 0xff00), so write-1-to-clear and command registers see exactly those.
 */
typedef void RtlRegWrite(Rtl8139State *s, unsigned idx, uint32_t val,
                         uint32_t mask);

enum {
    RTL_REG_STORE = 1, /* plain storage at `field`, `wmask` writable */
    RTL_REG_CPLUS = 2, /* exists only on C+ revisions */
};

typedef struct RtlReg {
    const char *name;
    uint8_t offset;
    uint8_t width; /* 1, 2 or 4 bytes */
    uint8_t count; /* instances at consecutive addresses */
    uint8_t flags;
    size_t field;   /* RTL_REG_STORE: offsetof() in Rtl8139State */
    uint32_t wmask; /* RTL_REG_STORE: writable bits */
    uint32_t reset; /* RTL_REG_STORE: power-on value */
    RtlRegRead *read;
    RtlRegWrite *write;
} RtlReg;

/* Byte offset -> 1 + index into rtl8139_regs (0: reserved byte). */
static uint8_t rtl8139_reg_map[RTL_REGS_SIZE];

/* ---- Register handlers ---- */

static uint32_t rtl8139_merge(uint32_t old, uint32_t val, uint32_t mask,
                              uint32_t writable)
{
    uint32_t m = mask & writable;

    return (old & ~m) | (val & m);
}

static bool rtl8139_config_writable(const Rtl8139State *s)
{
    return (s->cr9346 & RTL_9346_EEM_MASK) == RTL_9346_EEM_CONFIG;
}

static uint32_t rtl8139_read_zero(Rtl8139State *s, unsigned idx)
{
    return 0;
}

static uint32_t rtl8139_tsd_read(Rtl8139State *s, unsigned idx)
{
    if (s->cplus_mode) {
        return idx < 2 ? s->dtccr[idx] : 0;
    }
    return s->tsd[idx];
}

/*
 * Writes to 0x10-0x17 are DTCCR rather than TSD0-1 once the driver ran C+
 * TX/RX, and on the C+ part also while C mode transmit is off: 8139cp
 * dumps the tally counters (ethtool -S) before it ever enabled C+ mode
 * and after cp_stop_hw cleared CpCmd and CR, then polls DTCCR.Cmd up to
 * 1000 times; reads there still show TSD0, whose bit 3 (Cmd) the dump
 * leaves clear. A TSD write cannot start a transmission with CR.TE off,
 * so C mode drivers lose nothing.
 */
static bool rtl8139_dtccr_decoded(const Rtl8139State *s, unsigned idx)
{
    return s->cplus_mode ||
           (idx < 2 && s->cplus_chip && !(s->cr & RTL_CR_TE));
}

static void rtl8139_tsd_reg_write(Rtl8139State *s, unsigned idx, uint32_t val,
                                  uint32_t mask)
{
    if (rtl8139_dtccr_decoded(s, idx)) {
        if (idx >= 2) {
            return;
        }
        s->dtccr[idx] = rtl8139_merge(
            s->dtccr[idx], val, mask,
            idx == 0 ? RTL_DTCCR_ADDR_MASK | RTL_DTCCR_CMD : 0xffffffffu);
        if (idx == 0 && (mask & val & RTL_DTCCR_CMD)) {
            rtl8139_cp_dump_tally(s);
        }
        return;
    }
    if (mask != 0xffffffffu) {
        /* Data sheet 6.2: TSD is written by double-word access only. */
        log_guest_error(LOG_RTL8139, "%s: TSD%u partial write ignored", s->name,
                        idx);
        return;
    }
    rtl8139_tsd_write(s, idx, val);
}

static uint32_t rtl8139_cr_read(Rtl8139State *s, unsigned idx)
{
    uint32_t rp = (uint32_t)(s->capr + 16) & 0xffff;
    uint32_t size =
        8192u << ((s->rcr & RTL_RCR_RBLEN_MASK) >> RTL_RCR_RBLEN_SHIFT);
    bool empty = (rp & (size - 1)) == s->rx_wp;

    return s->cr | (empty ? RTL_CR_BUFE : 0);
}

static void rtl8139_cr_write(Rtl8139State *s, unsigned idx, uint32_t val,
                             uint32_t mask)
{
    uint8_t old = s->cr;

    if (val & RTL_CR_RST) {
        rtl8139_soft_reset(s);
        old = 0;
    }
    s->cr = val & (RTL_CR_RE | RTL_CR_TE);
    if ((s->cr & ~old) & RTL_CR_RE) {
        /* Enabling RX restarts the ring (8139too's RX reset relies on it). */
        s->rx_wp = 0;
        s->capr = RTL_CAPR_RESET;
        s->cp_rx_idx = 0;
    }
    if ((s->cr & ~old) & RTL_CR_TE) {
        s->cp_tx_idx[0] = 0;
        s->cp_tx_idx[1] = 0;
        rtl8139_cp_tx_abort(s);
    }
    if (s->cr & RTL_CR_TE) {
        rtl8139_tx_c_run(s);
    }
    rtl8139_rx_kick(s);
}

static uint32_t rtl8139_capr_read(Rtl8139State *s, unsigned idx)
{
    return s->capr;
}

static void rtl8139_capr_write(Rtl8139State *s, unsigned idx, uint32_t val,
                               uint32_t mask)
{
    s->capr = (uint16_t)rtl8139_merge(s->capr, val, mask, 0xffff);
    rtl8139_rx_kick(s);
}

static uint32_t rtl8139_cbr_read(Rtl8139State *s, unsigned idx)
{
    return s->rx_wp & 0xffff;
}

static uint32_t rtl8139_imr_read(Rtl8139State *s, unsigned idx)
{
    return s->imr;
}

static void rtl8139_imr_write(Rtl8139State *s, unsigned idx, uint32_t val,
                              uint32_t mask)
{
    s->imr = (uint16_t)rtl8139_merge(s->imr, val, mask, ~RTL_INT_RESERVED);
    rtl8139_update_irq(s);
    rtl8139_rx_kick(s);
}

static uint32_t rtl8139_isr_read(Rtl8139State *s, unsigned idx)
{
    return s->isr;
}

/* Write 1 to clear (data sheet 6.10); only the written bytes count. */
static void rtl8139_isr_write(Rtl8139State *s, unsigned idx, uint32_t val,
                              uint32_t mask)
{
    uint16_t clear = val & mask & 0xffff;

    s->isr &= ~clear;
    /*
     * C mode: real silicon sets RXOVW again for every frame that finds the
     * ring full (data sheet 6.10, ISR bit 4), so acknowledging it ends
     * the "no room" episode: the held frame's next refusal raises it anew.
     * 8139too needs this: its NAPI poll only reads the ring while ISR
     * has a receive bit, and it acknowledges them after every packet, so
     * with the ring full and no new RXOVW it would stop with frames left.
     */
    if ((clear & RTL_INT_RXOVW) && !rtl8139_cplus_rx(s)) {
        s->rx_full = false;
    }
    if (clear & RTL_INT_LINKCHG) {
        s->cscr &= ~RTL_CSCR_LINK_CHANGE;
    }
    rtl8139_mit_ack(s, clear);
    rtl8139_update_irq(s);
    rtl8139_rx_kick(s);
}

static uint32_t rtl8139_tcr_read(Rtl8139State *s, unsigned idx)
{
    return (s->tcr & ~RTL_TCR_HWVERID_MASK) |
           (s->cplus_chip ? RTL_TCR_HWVER_8139CP : RTL_TCR_HWVER_8139C);
}

static void rtl8139_tcr_write(Rtl8139State *s, unsigned idx, uint32_t val,
                              uint32_t mask)
{
    /* CLRABT retransmits an aborted frame: this model never aborts one. */
    s->tcr = rtl8139_merge(s->tcr, val, mask, RTL_TCR_WRITABLE);
}

static uint32_t rtl8139_rcr_read(Rtl8139State *s, unsigned idx)
{
    return s->rcr;
}

static void rtl8139_rcr_write(Rtl8139State *s, unsigned idx, uint32_t val,
                              uint32_t mask)
{
    uint32_t old = s->rcr;

    s->rcr = rtl8139_merge(s->rcr, val, mask, RTL_RCR_WRITABLE);
    /*
     * A new ring size makes the old offsets meaningless. Filter changes
     * at run time (8139too set_rx_mode) must not move the pointers.
     */
    if ((old ^ s->rcr) & RTL_RCR_RBLEN_MASK) {
        s->rx_wp = 0;
        s->capr = RTL_CAPR_RESET;
    }
    rtl8139_rx_kick(s);
}

static uint32_t rtl8139_tctr_read(Rtl8139State *s, unsigned idx)
{
    return (uint32_t)rtl8139_tctr_ticks(s);
}

/* Any write restarts the counter from 0 (data sheet 6.13). */
static void rtl8139_tctr_write(Rtl8139State *s, unsigned idx, uint32_t val,
                               uint32_t mask)
{
    s->tctr_base_ns = clock_get_ns(s->clock);
    rtl8139_tctr_rearm(s);
}

static uint32_t rtl8139_mpc_read(Rtl8139State *s, unsigned idx)
{
    return s->mpc & 0xffffff;
}

static void rtl8139_mpc_write(Rtl8139State *s, unsigned idx, uint32_t val,
                              uint32_t mask)
{
    s->mpc = 0;
}

static uint32_t rtl8139_9346cr_read(Rtl8139State *s, unsigned idx)
{
    uint8_t v = s->cr9346;

    if ((v & RTL_9346_EEM_MASK) == RTL_9346_EEM_PROGRAM &&
        eeprom93xx_get_do(&s->eeprom)) {
        v |= RTL_9346_EEDO;
    }
    return v;
}

static void rtl8139_9346cr_write(Rtl8139State *s, unsigned idx, uint32_t val,
                                 uint32_t mask)
{
    uint8_t v = val & 0xff;
    uint8_t eem = v & RTL_9346_EEM_MASK;

    if (eem == RTL_9346_EEM_AUTOLOAD) {
        /*
         * Auto-load (data sheet 6.14): reload from the EEPROM as at power
         * on, reset the other registers, return to normal mode.
         */
        rtl8139_power_on_reset(s);
        return;
    }
    s->cr9346 =
        v & (RTL_9346_EEM_MASK | RTL_9346_EECS | RTL_9346_EESK | RTL_9346_EEDI);
    if (eem == RTL_9346_EEM_PROGRAM) {
        eeprom93xx_set_pins(&s->eeprom, v & RTL_9346_EECS, v & RTL_9346_EESK,
                            v & RTL_9346_EEDI);
    } else {
        /* Outside programming mode the EEPROM pins are not driven. */
        eeprom93xx_set_pins(&s->eeprom, false, false, false);
    }
}

/* CONFIG0/1/3/4 need 9346CR in config write enable mode (6.14). */
static uint8_t *rtl8139_config_field(Rtl8139State *s, unsigned idx,
                                     uint8_t *writable)
{
    switch (idx) {
    case 0:
        *writable = RTL_CONFIG0_WRITABLE;
        return &s->config0;
    case 1:
        *writable = RTL_CONFIG1_WRITABLE;
        return &s->config1;
    case 3:
        *writable = RTL_CONFIG3_WRITABLE;
        return &s->config3;
    default:
        *writable = RTL_CONFIG4_WRITABLE;
        return &s->config4;
    }
}

static uint32_t rtl8139_config_read(Rtl8139State *s, unsigned idx)
{
    uint8_t writable;

    return *rtl8139_config_field(s, idx, &writable);
}

static void rtl8139_config_write(Rtl8139State *s, unsigned idx, uint32_t val,
                                 uint32_t mask)
{
    uint8_t writable;
    uint8_t *p = rtl8139_config_field(s, idx, &writable);

    if (!rtl8139_config_writable(s)) {
        log_trace(LOG_RTL8139, "%s: CONFIG%u write while locked", s->name, idx);
        return;
    }
    *p = (uint8_t)rtl8139_merge(*p, val, mask, writable);
}

/* CONFIG0 and CONFIG1 are separate table entries sharing one handler. */
static uint32_t rtl8139_config0_read(Rtl8139State *s, unsigned idx)
{
    return rtl8139_config_read(s, 0);
}

static void rtl8139_config0_write(Rtl8139State *s, unsigned idx, uint32_t val,
                                  uint32_t mask)
{
    rtl8139_config_write(s, 0, val, mask);
}

static uint32_t rtl8139_config1_read(Rtl8139State *s, unsigned idx)
{
    return rtl8139_config_read(s, 1);
}

static void rtl8139_config1_write(Rtl8139State *s, unsigned idx, uint32_t val,
                                  uint32_t mask)
{
    rtl8139_config_write(s, 1, val, mask);
}

/* CONFIG3 and CONFIG4 sit together: instance 0 is CONFIG3. */
static uint32_t rtl8139_config34_read(Rtl8139State *s, unsigned idx)
{
    return rtl8139_config_read(s, 3 + idx);
}

static void rtl8139_config34_write(Rtl8139State *s, unsigned idx, uint32_t val,
                                   uint32_t mask)
{
    rtl8139_config_write(s, 3 + idx, val, mask);
}

static uint32_t rtl8139_timerint_read(Rtl8139State *s, unsigned idx)
{
    return s->timer_int;
}

static void rtl8139_timerint_write(Rtl8139State *s, unsigned idx, uint32_t val,
                                   uint32_t mask)
{
    s->timer_int = rtl8139_merge(s->timer_int, val, mask, 0xffffffffu);
    rtl8139_tctr_rearm(s);
}

static uint32_t rtl8139_msr_read(Rtl8139State *s, unsigned idx)
{
    return s->msr | (s->link_up ? 0 : RTL_MSR_LINKB);
}

static void rtl8139_msr_write(Rtl8139State *s, unsigned idx, uint32_t val,
                              uint32_t mask)
{
    s->msr = (uint8_t)rtl8139_merge(s->msr, val, mask, RTL_MSR_TXFCE);
}

static uint32_t rtl8139_rerid_read(Rtl8139State *s, unsigned idx)
{
    return s->revision;
}

/* TSAD (0x60): TOK, TUN, TABT and OWN of the four TSD slots. */
static uint32_t rtl8139_tsad_summary_read(Rtl8139State *s, unsigned idx)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < 4; i++) {
        uint32_t tsd = s->tsd[i];

        v |= (tsd & RTL_TSD_TOK ? 1u : 0) << (12 + i);
        v |= (tsd & RTL_TSD_TUN ? 1u : 0) << (8 + i);
        v |= (tsd & RTL_TSD_TABT ? 1u : 0) << (4 + i);
        v |= (tsd & RTL_TSD_OWN ? 1u : 0) << i;
    }
    return v;
}

static uint32_t rtl8139_bmcr_read(Rtl8139State *s, unsigned idx)
{
    return s->bmcr;
}

static void rtl8139_bmcr_write(Rtl8139State *s, unsigned idx, uint32_t val,
                               uint32_t mask)
{
    uint32_t writable = RTL_BMCR_LOOPBACK | 0x0c00; /* power down, isolate */

    if (mask & val & RTL_BMCR_RESET) {
        rtl8139_phy_reset(s);
        return;
    }
    if (rtl8139_config_writable(s)) {
        writable |= RTL_BMCR_PROTECTED;
    }
    /* Restart autonegotiation completes at once: the bit self-clears. */
    s->bmcr = (uint16_t)rtl8139_merge(s->bmcr, val, mask, writable);
}

static uint32_t rtl8139_bmsr_read(Rtl8139State *s, unsigned idx)
{
    return RTL_BMSR_BASE |
           (s->link_up ? RTL_BMSR_LINK | RTL_BMSR_AN_COMPLETE : 0);
}

static uint32_t rtl8139_anlpar_read(Rtl8139State *s, unsigned idx)
{
    return s->link_up ? RTL_ANLPAR_UP : 0;
}

static uint32_t rtl8139_aner_read(Rtl8139State *s, unsigned idx)
{
    return s->link_up ? RTL_ANER_LP_NW_ABLE : 0;
}

static uint32_t rtl8139_cscr_read(Rtl8139State *s, unsigned idx)
{
    return s->cscr | (s->link_up ? RTL_CSCR_LINK_OK | RTL_CSCR_CON_STATUS : 0);
}

static void rtl8139_cscr_write(Rtl8139State *s, unsigned idx, uint32_t val,
                               uint32_t mask)
{
    s->cscr = (uint16_t)rtl8139_merge(s->cscr, val, mask, RTL_CSCR_WRITABLE);
}

static uint32_t rtl8139_config5_read(Rtl8139State *s, unsigned idx)
{
    return s->config5;
}

/* CONFIG5 is not write protected by 9346CR. */
static void rtl8139_config5_write(Rtl8139State *s, unsigned idx, uint32_t val,
                                  uint32_t mask)
{
    s->config5 =
        (uint8_t)rtl8139_merge(s->config5, val, mask, RTL_CONFIG5_WRITABLE);
}

static void rtl8139_tppoll_write(Rtl8139State *s, unsigned idx, uint32_t val,
                                 uint32_t mask)
{
    if (val & RTL_TPPOLL_FSWINT) {
        rtl8139_raise(s, RTL_INT_SWINT);
    }
    if (val & (RTL_TPPOLL_HPQ | RTL_TPPOLL_NPQ)) {
        rtl8139_cp_tx_poll(s, val & 0xff);
    }
}

/*
 * RxMaxSize (0xDA-0xDB). A receive size limit at this offset is the
 * RTL8169's RMS register ("Rx Packet Maximum Size", bits 13:0, RTL8169
 * data sheet, register descriptions); drivers that know both chips treat
 * it as 8169-only: Linux 8139cp names it "Max size of an Rx packet (8169
 * only)" and writes it only for its RTL8169 board type, FreeBSD re(4)
 * lists it with the 8169 registers, and iPXE's realtek_detect() writes
 * its receive buffer length there (1514 + VLAN tag + FCS = 1522, plus 4
 * in later versions) and takes a chip that reads the value back for an
 * RTL8169. So on this RTL8139C+ it never reads back: it reads 0, as QEMU
 * 7.2's does, and iPXE goes on to find CpCmd read back and drives an
 * 8139C+ (TPPoll at 0xD9, C+ descriptor rings).
 * A size that is written is honoured for C+ reception the way RMS
 * defines it for the RTL8169: a frame longer on the wire (VLAN tag and
 * FCS included, as in iPXE's value) than a non-zero size is not
 * received: dropped before any descriptor is used, counted as an
 * RX error and a missed packet (tally RxERR and MissPkt, MPC). 0, the
 * power-on and CR.RST value, is no limit but the descriptor's 13-bit
 * Frame_Length (RTL8139C+ data sheet, receive descriptor format): what
 * 8139cp and 8139too program, the buffer size of each RX descriptor and
 * never RxMaxSize, decides alone, and a boot ROM's 1522 does not outlive
 * the CR.RST a later driver does (8139cp cp_init_hw: jumbo frames).
 */
static void rtl8139_rxmaxsize_write(Rtl8139State *s, unsigned idx, uint32_t val,
                                    uint32_t mask)
{
    s->rx_max_size =
        (uint16_t)rtl8139_merge(s->rx_max_size, val, mask, RTL_RXMAXSIZE_MASK);
}

static uint32_t rtl8139_cpcmd_read(Rtl8139State *s, unsigned idx)
{
    return s->cpcmd;
}

static void rtl8139_cpcmd_write(Rtl8139State *s, unsigned idx, uint32_t val,
                                uint32_t mask)
{
    uint16_t old = s->cpcmd;

    s->cpcmd = (uint16_t)rtl8139_merge(s->cpcmd, val, mask, RTL_CPCMD_WRITABLE);
    if (s->cpcmd & (RTL_CPCMD_CPTX | RTL_CPCMD_CPRX)) {
        s->cplus_mode = true;
    }
    if ((old ^ s->cpcmd) & RTL_CPCMD_CPTX) {
        rtl8139_cp_tx_abort(s);
    }
    rtl8139_rx_kick(s);
}

static uint32_t rtl8139_mitigate_read(Rtl8139State *s, unsigned idx)
{
    return s->intr_mitigate;
}

static void rtl8139_mitigate_write(Rtl8139State *s, unsigned idx, uint32_t val,
                                   uint32_t mask)
{
    s->intr_mitigate =
        (uint16_t)rtl8139_merge(s->intr_mitigate, val, mask, 0xffff);
    /* New settings apply to the next event; release what is held now. */
    rtl8139_mit_ack(s, 0xffff);
    rtl8139_update_irq(s);
}

static uint32_t rtl8139_rdsar_read(Rtl8139State *s, unsigned idx)
{
    return s->rdsar[idx];
}

static void rtl8139_rdsar_write(Rtl8139State *s, unsigned idx, uint32_t val,
                                uint32_t mask)
{
    /* Descriptors are 256-byte aligned: the low byte reads as 0. */
    s->rdsar[idx] = rtl8139_merge(s->rdsar[idx], val, mask,
                                  idx == 0 ? 0xffffff00u : 0xffffffffu);
    rtl8139_rx_kick(s);
}

#define RTL_STORE(nm, off, w, n, fld, wm, rst)                                 \
    {                                                                          \
        .name = nm, .offset = off, .width = w, .count = n,                     \
        .flags = RTL_REG_STORE, .field = offsetof(Rtl8139State, fld),          \
        .wmask = wm, .reset = rst                                              \
    }
#define RTL_STORE_CP(nm, off, w, fld, wm)                                      \
    {                                                                          \
        .name = nm, .offset = off, .width = w, .count = 1,                     \
        .flags = RTL_REG_STORE | RTL_REG_CPLUS,                                \
        .field = offsetof(Rtl8139State, fld), .wmask = wm                      \
    }
#define RTL_HANDLER(nm, off, w, n, fl, rd, wr)                                 \
    {                                                                          \
        .name = nm, .offset = off, .width = w, .count = n, .flags = fl,        \
        .read = rd, .write = wr                                                \
    }

/*
 * The register file (data sheet 6 / C+ 6). Bytes not listed are reserved:
 * they read as 0 and ignore writes. Read handlers have no side effects,
 * so a wide access may read every register it covers.
 */
static const RtlReg rtl8139_regs[] = {
    RTL_STORE("IDR", RTL_IDR0, 1, 6, idr, 0xff, 0),
    RTL_STORE("MAR", RTL_MAR0, 1, 8, mar, 0xff, 0),
    RTL_HANDLER("TSD", RTL_TSD0, 4, 4, 0, rtl8139_tsd_read,
                rtl8139_tsd_reg_write),
    RTL_STORE("TSAD", RTL_TSAD0, 4, 4, tsad, 0xffffffffu, 0),
    RTL_STORE("RBSTART", RTL_RBSTART, 4, 1, rbstart, 0xffffffffu, 0),
    RTL_HANDLER("ERBCR", RTL_ERBCR, 2, 1, 0, rtl8139_read_zero, NULL),
    RTL_HANDLER("ERSR", RTL_ERSR, 1, 1, 0, rtl8139_read_zero, NULL),
    RTL_HANDLER("CR", RTL_CR, 1, 1, 0, rtl8139_cr_read, rtl8139_cr_write),
    RTL_HANDLER("CAPR", RTL_CAPR, 2, 1, 0, rtl8139_capr_read,
                rtl8139_capr_write),
    RTL_HANDLER("CBR", RTL_CBR, 2, 1, 0, rtl8139_cbr_read, NULL),
    RTL_HANDLER("IMR", RTL_IMR, 2, 1, 0, rtl8139_imr_read, rtl8139_imr_write),
    RTL_HANDLER("ISR", RTL_ISR, 2, 1, 0, rtl8139_isr_read, rtl8139_isr_write),
    RTL_HANDLER("TCR", RTL_TCR, 4, 1, 0, rtl8139_tcr_read, rtl8139_tcr_write),
    RTL_HANDLER("RCR", RTL_RCR, 4, 1, 0, rtl8139_rcr_read, rtl8139_rcr_write),
    RTL_HANDLER("TCTR", RTL_TCTR, 4, 1, 0, rtl8139_tctr_read,
                rtl8139_tctr_write),
    RTL_HANDLER("MPC", RTL_MPC, 4, 1, 0, rtl8139_mpc_read, rtl8139_mpc_write),
    RTL_HANDLER("9346CR", RTL_9346CR, 1, 1, 0, rtl8139_9346cr_read,
                rtl8139_9346cr_write),
    RTL_HANDLER("CONFIG0", RTL_CONFIG0, 1, 1, 0, rtl8139_config0_read,
                rtl8139_config0_write),
    RTL_HANDLER("CONFIG1", RTL_CONFIG1, 1, 1, 0, rtl8139_config1_read,
                rtl8139_config1_write),
    RTL_HANDLER("TimerInt", RTL_TIMERINT, 4, 1, 0, rtl8139_timerint_read,
                rtl8139_timerint_write),
    RTL_HANDLER("MSR", RTL_MSR, 1, 1, 0, rtl8139_msr_read, rtl8139_msr_write),
    RTL_HANDLER("CONFIG3", RTL_CONFIG3, 1, 2, 0, rtl8139_config34_read,
                rtl8139_config34_write),
    RTL_STORE("HLTCLK", RTL_HLTCLK, 1, 1, hltclk, 0xff, 0),
    RTL_STORE("MULINT", RTL_MULINT, 2, 1, mulint, 0x0fff, 0),
    RTL_HANDLER("RERID", RTL_RERID, 1, 1, 0, rtl8139_rerid_read, NULL),
    RTL_HANDLER("TSAD", RTL_TSAD, 2, 1, 0, rtl8139_tsad_summary_read, NULL),
    RTL_HANDLER("BMCR", RTL_BMCR, 2, 1, 0, rtl8139_bmcr_read,
                rtl8139_bmcr_write),
    RTL_HANDLER("BMSR", RTL_BMSR, 2, 1, 0, rtl8139_bmsr_read, NULL),
    RTL_STORE("ANAR", RTL_ANAR, 2, 1, anar, 0xffe0, RTL_ANAR_DEFAULT),
    RTL_HANDLER("ANLPAR", RTL_ANLPAR, 2, 1, 0, rtl8139_anlpar_read, NULL),
    RTL_HANDLER("ANER", RTL_ANER, 2, 1, 0, rtl8139_aner_read, NULL),
    RTL_HANDLER("DIS", RTL_DIS, 2, 1, 0, rtl8139_read_zero, NULL),
    RTL_HANDLER("FCSC", RTL_FCSC, 2, 1, 0, rtl8139_read_zero, NULL),
    RTL_STORE("NWAYTR", RTL_NWAYTR, 2, 1, nwaytr, 0xffff, 0),
    RTL_HANDLER("REC", RTL_REC, 2, 1, 0, rtl8139_read_zero, NULL),
    RTL_HANDLER("CSCR", RTL_CSCR, 2, 1, 0, rtl8139_cscr_read,
                rtl8139_cscr_write),
    RTL_STORE("PHY1_PARM", RTL_PHY1_PARM, 4, 1, phy1_parm, 0xffffffffu, 0),
    RTL_STORE("TW_PARM", RTL_TW_PARM, 4, 1, tw_parm, 0xffffffffu, 0),
    RTL_STORE("PHY2_PARM", RTL_PHY2_PARM, 1, 1, phy2_parm, 0xff, 0),
    RTL_STORE("WAKEUP", RTL_CRC0, 1, RTL_PM_REGS_LEN, pm_regs, 0xff, 0),
    RTL_STORE("FLASH", RTL_FLASH, 4, 1, flash, 0xffffffffu, 0),
    RTL_HANDLER("CONFIG5", RTL_CONFIG5, 1, 1, 0, rtl8139_config5_read,
                rtl8139_config5_write),
    RTL_HANDLER("TPPoll", RTL_TPPOLL, 1, 1, RTL_REG_CPLUS, rtl8139_read_zero,
                rtl8139_tppoll_write),
    RTL_HANDLER("RxMaxSize", RTL_RXMAXSIZE, 2, 1, RTL_REG_CPLUS,
                rtl8139_read_zero, rtl8139_rxmaxsize_write),
    RTL_HANDLER("CpCmd", RTL_CPCMD, 2, 1, RTL_REG_CPLUS, rtl8139_cpcmd_read,
                rtl8139_cpcmd_write),
    RTL_HANDLER("IntrMitigate", RTL_INTRMITIGATE, 2, 1, RTL_REG_CPLUS,
                rtl8139_mitigate_read, rtl8139_mitigate_write),
    RTL_HANDLER("RDSAR", RTL_RDSAR, 4, 2, RTL_REG_CPLUS, rtl8139_rdsar_read,
                rtl8139_rdsar_write),
    RTL_STORE_CP("ETThR", RTL_ETTHR, 1, etthr, 0x3f),
    RTL_HANDLER("FER", RTL_FER, 4, 4, RTL_REG_CPLUS, rtl8139_read_zero, NULL),
};

static const size_t rtl8139_nregs = G_N_ELEMENTS(rtl8139_regs);

void rtl8139_regs_reset(Rtl8139State *s)
{
    for (size_t i = 0; i < rtl8139_nregs; i++) {
        const RtlReg *r = &rtl8139_regs[i];
        uint8_t *p = (uint8_t *)s + r->field;

        if (!(r->flags & RTL_REG_STORE)) {
            continue;
        }
        for (unsigned j = 0; j < r->count; j++, p += r->width) {
            if (r->width == 1) {
                *p = (uint8_t)r->reset;
            } else if (r->width == 2) {
                *(uint16_t *)p = (uint16_t)r->reset;
            } else {
                *(uint32_t *)p = r->reset;
            }
        }
    }
}

/* Power-on (and PCI reset, and 9346CR auto-load) defaults. */
void rtl8139_regs_init(void)
{
    static bool built;

    if (built) {
        return;
    }
    for (size_t i = 0; i < rtl8139_nregs; i++) {
        const RtlReg *r = &rtl8139_regs[i];
        unsigned len = (unsigned)r->width * r->count;

        g_assert(r->count >= 1 && r->offset + len <= RTL_REGS_SIZE);
        g_assert(r->offset % r->width == 0);
        for (unsigned b = 0; b < len; b++) {
            g_assert(rtl8139_reg_map[r->offset + b] == 0);
            rtl8139_reg_map[r->offset + b] = (uint8_t)(i + 1);
        }
    }
    built = true;
}

/* The register instance covering byte `off`, or NULL (reserved byte). */
static const RtlReg *rtl8139_reg_find(const Rtl8139State *s, unsigned off,
                                      unsigned *idx, unsigned *base)
{
    const RtlReg *r;

    if (!rtl8139_reg_map[off]) {
        return NULL;
    }
    r = &rtl8139_regs[rtl8139_reg_map[off] - 1];
    if ((r->flags & RTL_REG_CPLUS) && !s->cplus_chip) {
        return NULL;
    }
    *idx = (off - r->offset) / r->width;
    *base = r->offset + *idx * r->width;
    return r;
}

static uint32_t rtl8139_reg_read(Rtl8139State *s, const RtlReg *r, unsigned idx)
{
    const uint8_t *p = (const uint8_t *)s + r->field + idx * r->width;

    if (r->read) {
        return r->read(s, idx);
    }
    if (!(r->flags & RTL_REG_STORE)) {
        return 0;
    }
    return r->width == 1   ? *p
           : r->width == 2 ? *(const uint16_t *)p
                           : *(const uint32_t *)p;
}

static void rtl8139_reg_write(Rtl8139State *s, const RtlReg *r, unsigned idx,
                              uint32_t val, uint32_t mask)
{
    uint8_t *p = (uint8_t *)s + r->field + idx * r->width;

    if (r->write) {
        r->write(s, idx, val, mask);
        return;
    }
    if (!(r->flags & RTL_REG_STORE)) {
        log_trace(LOG_RTL8139, "%s: write to read-only %s ignored", s->name,
                  r->name);
        return;
    }
    if (r->width == 1) {
        *p = (uint8_t)rtl8139_merge(*p, val, mask, r->wmask);
    } else if (r->width == 2) {
        *(uint16_t *)p =
            (uint16_t)rtl8139_merge(*(uint16_t *)p, val, mask, r->wmask);
    } else {
        *(uint32_t *)p = rtl8139_merge(*(uint32_t *)p, val, mask, r->wmask);
    }
}

static uint32_t rtl8139_byte_mask(unsigned n)
{
    return n >= 4 ? 0xffffffffu : (1u << (8 * n)) - 1;
}

/*
 * IoOps for both BARs. An access that covers several registers (a dword
 * read of CONFIG bytes, the Windows driver's byte access to TCR) is split
 * per register, in address order, each with the bytes it covers.
 */
static uint64_t rtl8139_io_read(void *opaque, hwaddr addr, unsigned size)
{
    Rtl8139State *s = opaque;
    unsigned off = addr & (RTL_REGS_SIZE - 1);
    uint32_t val = 0;
    unsigned i = 0;

    if (s->unplugged) {
        /* A function that is gone reads all-ones (master abort). */
        return size >= 4 ? UINT32_MAX : (1u << (8 * size)) - 1;
    }
    while (i < size) {
        unsigned idx, base, shift, n;
        const RtlReg *r = rtl8139_reg_find(s, off + i, &idx, &base);
        uint32_t v;

        if (!r) {
            i++;
            continue;
        }
        shift = off + i - base;
        n = MIN(r->width - shift, size - i);
        v = rtl8139_reg_read(s, r, idx);
        val |= ((v >> (8 * shift)) & rtl8139_byte_mask(n)) << (8 * i);
        i += n;
    }
    log_trace(LOG_RTL8139, "%s: read%u [%#x] = %#x", s->name, size * 8, off,
              val);
    return val;
}

static void rtl8139_io_write(void *opaque, hwaddr addr, uint64_t value,
                             unsigned size)
{
    Rtl8139State *s = opaque;
    unsigned off = addr & (RTL_REGS_SIZE - 1);
    unsigned i = 0;

    log_trace(LOG_RTL8139, "%s: write%u [%#x] = %#" PRIx64, s->name, size * 8,
              off, value);
    if (s->unplugged) {
        return;
    }
    while (i < size) {
        unsigned idx, base, shift, n;
        const RtlReg *r = rtl8139_reg_find(s, off + i, &idx, &base);
        uint32_t bm, v;

        if (!r) {
            i++;
            continue;
        }
        shift = off + i - base;
        n = MIN(r->width - shift, size - i);
        bm = rtl8139_byte_mask(n);
        v = ((uint32_t)(value >> (8 * i)) & bm) << (8 * shift);
        rtl8139_reg_write(s, r, idx, v, bm << (8 * shift));
        i += n;
    }
}

const IoOps rtl8139_io_ops = {
    .name = "rtl8139",
    .read = rtl8139_io_read,
    .write = rtl8139_io_write,
    .min_access = 1,
    .max_access = 4,
};
