/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RTL8139C / C+ save / restore (devstate section "rtl8139", version 1):
 * PCI config space, every register, the 93C46 EEPROM with its microwire
 * state, C mode TX slot and RX ring positions, C+ ring indices and
 * pending TPPoll requests, interrupt mitigation, the tally counters, and
 * the timers (TCTR as time since its last write, the rest as time left).
 *
 * Not carried: a frame the backend holds (it stays with the old process,
 * as in QEMU), TCR loopback frames in flight, and a C+ packet half sent
 * when the backend was busy: its descriptors are still owned by the NIC
 * and its ring's poll request is kept, so the new process sends it again
 * from the ring (a large send may then repeat segments the old one sent;
 * TCP drops the duplicates).
 *
 * Every value is checked as a guest could have left it: ring indices
 * within the ring, the TX slot within four, EEPROM state within its bit
 * counts, C+ state only on a C+ revision, timers within a minute.
 */
#include <stddef.h>

#include "emunet/devstate.h"
#include "hw/net/nic.h"
#include "hw/net/rtl8139-int.h"
#include "hw/pci/pci-state.h"

#define RTL_STATE_VERSION 1
#define RTL_STATE_MAX_TIMER_NS (60LL * 1000 * 1000 * 1000)
/* Events counted before mitigation releases: 15 x 4 at most. */
#define RTL_STATE_MAX_MIT_COUNT (15 * RTL_MIT_FRAME_UNIT)

#define RTL_REG(m) DEVSTATE_INT(Rtl8139State, m, #m)
#define RTL_ARR(m) DEVSTATE_ARRAY(Rtl8139State, m, #m)
#define RTL_BOOL(m) DEVSTATE_BOOL(Rtl8139State, m, #m)

static const DevStateField rtl8139_state_fields[] = {
    RTL_ARR(idr),
    RTL_ARR(mar),
    RTL_ARR(tsd),
    RTL_ARR(tsad),
    RTL_ARR(dtccr),
    RTL_REG(rbstart),
    RTL_REG(cr),
    RTL_REG(capr),
    RTL_REG(rx_wp),
    RTL_REG(imr),
    RTL_REG(isr),
    RTL_REG(tcr),
    RTL_REG(rcr),
    RTL_REG(mpc),
    RTL_REG(cr9346),
    RTL_REG(config0),
    RTL_REG(config1),
    RTL_REG(config3),
    RTL_REG(config4),
    RTL_REG(config5),
    RTL_REG(timer_int),
    RTL_REG(msr),
    RTL_REG(hltclk),
    RTL_REG(mulint),
    RTL_REG(bmcr),
    RTL_REG(anar),
    RTL_REG(nwaytr),
    RTL_REG(cscr),
    RTL_REG(phy1_parm),
    RTL_REG(tw_parm),
    RTL_REG(phy2_parm),
    RTL_ARR(pm_regs),
    RTL_REG(flash),
    RTL_REG(cpcmd),
    RTL_REG(intr_mitigate),
    RTL_REG(rx_max_size),
    RTL_ARR(rdsar),
    RTL_REG(etthr),
    RTL_BOOL(cplus_mode),
    RTL_ARR(eeprom.data),
    RTL_REG(eeprom.addr_bits),
    RTL_REG(eeprom.words),
    RTL_BOOL(eeprom.write_enabled),
    RTL_BOOL(eeprom.cs),
    RTL_BOOL(eeprom.sk),
    RTL_BOOL(eeprom.di),
    RTL_BOOL(eeprom.dout),
    RTL_REG(eeprom.state),
    RTL_REG(eeprom.shift),
    RTL_REG(eeprom.nbits),
    RTL_REG(eeprom.opcode),
    RTL_REG(eeprom.addr),
    RTL_REG(eeprom.out),
    RTL_REG(eeprom.out_left),
    RTL_REG(tally.tx_ok),
    RTL_REG(tally.rx_ok),
    RTL_REG(tally.tx_err),
    RTL_REG(tally.rx_err),
    RTL_REG(tally.miss_pkt),
    RTL_REG(tally.fae),
    RTL_REG(tally.tx_1col),
    RTL_REG(tally.tx_mcol),
    RTL_REG(tally.rx_ok_phy),
    RTL_REG(tally.rx_ok_brd),
    RTL_REG(tally.rx_ok_mul),
    RTL_REG(tally.tx_abt),
    RTL_REG(tally.tx_undrn),
    RTL_REG(drops.rx_disabled),
    RTL_REG(drops.rx_filtered),
    RTL_REG(drops.rx_too_long),
    RTL_REG(drops.rx_dma_error),
    RTL_REG(drops.tx_dropped),
    RTL_REG(tx_cur),
    RTL_REG(cp_rx_idx),
    RTL_ARR(cp_tx_idx),
    RTL_REG(cp_poll),
    RTL_BOOL(rx_full),
    RTL_REG(mit_held),
    RTL_ARR(mit_count),
};

typedef enum RtlStateTimer {
    RTL_ST_MIT_RX,
    RTL_ST_MIT_TX,
    RTL_ST_RX_POLL,
    RTL_ST_CP_TX,
    RTL_ST_COUNT,
} RtlStateTimer;

static const char *const rtl8139_state_timer_names[RTL_ST_COUNT] = {
    "timer.mit_rx",
    "timer.mit_tx",
    "timer.rx_poll",
    "timer.cp_tx",
};

typedef struct RtlPending {
    uint8_t config[PCI_CONFIG_SIZE];
    /* Scratch copy: the table's fields only. */
    Rtl8139State snap;
    bool link_up;
    int64_t tctr_elapsed;
    int64_t timers[RTL_ST_COUNT];
} RtlPending;

static Rtl8139State *rtl8139_state_of(void *owner)
{
    return rtl8139_from_pci(owner);
}

static Timer *rtl8139_state_timer(Rtl8139State *s, RtlStateTimer t)
{
    switch (t) {
    case RTL_ST_MIT_RX:
        return s->mit_timer[RTL_DIR_RX];
    case RTL_ST_MIT_TX:
        return s->mit_timer[RTL_DIR_TX];
    case RTL_ST_RX_POLL:
        return s->rx_poll_timer;
    default:
        return s->cp_tx_timer;
    }
}

static void rtl8139_state_save(void *owner, DevStateWriter *w)
{
    Rtl8139State *s = rtl8139_state_of(owner);
    int64_t now = clock_get_ns(s->clock);
    uint8_t poll = s->cp_poll;

    pci_state_save(&s->pci, w);
    devstate_put_bytes(w, "mac", s->conf_mac.a, ETH_ALEN);
    devstate_put_u8(w, "revision", s->revision);
    devstate_put_bool(w, "link_up", s->link_up);
    devstate_put_i64(w, "tctr_elapsed", now - s->tctr_base_ns);
    /* A half-sent C+ packet is sent again from its ring (file comment). */
    if (s->cp_tx.active) {
        s->cp_poll |= 1u << s->cp_tx.ring;
    }
    devstate_put_fields(w, rtl8139_state_fields,
                        G_N_ELEMENTS(rtl8139_state_fields), s);
    s->cp_poll = poll;
    for (unsigned t = 0; t < RTL_ST_COUNT; t++) {
        Timer *timer = rtl8139_state_timer(s, t);

        devstate_put_i64(
            w, rtl8139_state_timer_names[t],
            timer_pending(timer) ? MAX(timer_expire_ns(timer) - now, 0) : -1);
    }
}

static bool rtl8139_state_check_eeprom(DevStateReader *r, const Rtl8139State *s,
                                       const Eeprom93xx *ee, GError **errp)
{
    if (ee->addr_bits != s->eeprom.addr_bits || ee->words != s->eeprom.words) {
        return devstate_reader_fail(r, errp, DEVSTATE_ERROR_FOREIGN,
                                    "EEPROM of %u words, %s has %u", ee->words,
                                    s->name, s->eeprom.words);
    }
    if ((unsigned)ee->state > EEPROM93XX_IGNORE || ee->addr >= ee->words ||
        ee->nbits > 16 || ee->opcode > 3 || ee->out_left > 16) {
        return devstate_reader_fail(r, errp, DEVSTATE_ERROR_INVALID,
                                    "EEPROM interface state out of range "
                                    "(state %u, word %u, bits %u, opcode %u, "
                                    "%u bits left)",
                                    (unsigned)ee->state, ee->addr, ee->nbits,
                                    ee->opcode, ee->out_left);
    }
    return true;
}

static bool rtl8139_state_check_fields(DevStateReader *r, const Rtl8139State *s,
                                       const Rtl8139State *n, GError **errp)
{
    if (n->tx_cur >= 4 || n->cp_rx_idx >= RTL_CP_RING_MAX ||
        n->cp_tx_idx[0] >= RTL_CP_RING_MAX ||
        n->cp_tx_idx[1] >= RTL_CP_RING_MAX || n->cp_poll > 3) {
        return devstate_reader_fail(r, errp, DEVSTATE_ERROR_INVALID,
                                    "ring position out of range (TX slot %u, "
                                    "C+ RX %u, C+ TX %u/%u, poll %#x)",
                                    n->tx_cur, n->cp_rx_idx, n->cp_tx_idx[0],
                                    n->cp_tx_idx[1], n->cp_poll);
    }
    if (n->cplus_mode && !s->cplus_chip) {
        return devstate_reader_fail(r, errp, DEVSTATE_ERROR_INVALID,
                                    "C+ mode on a revision without C+");
    }
    if ((n->mit_held & ~(RTL_INT_ROK | RTL_INT_TOK)) ||
        n->mit_count[0] > RTL_STATE_MAX_MIT_COUNT ||
        n->mit_count[1] > RTL_STATE_MAX_MIT_COUNT) {
        return devstate_reader_fail(r, errp, DEVSTATE_ERROR_INVALID,
                                    "interrupt mitigation state out of "
                                    "range");
    }
    return rtl8139_state_check_eeprom(r, s, &n->eeprom, errp);
}

static void *rtl8139_state_check(void *owner, DevStateReader *r,
                                 uint32_t version, GError **errp)
{
    Rtl8139State *s = rtl8139_state_of(owner);
    g_autofree RtlPending *p = g_new0(RtlPending, 1);
    char want[18], got[18];
    MacAddr mac;
    uint8_t rev;

    if (!pci_state_check(&s->pci, r, p->config, errp) ||
        !devstate_get_bytes(r, "mac", mac.a, ETH_ALEN, errp) ||
        !devstate_get_u8(r, "revision", &rev, errp)) {
        return NULL;
    }
    if (memcmp(mac.a, s->conf_mac.a, ETH_ALEN) != 0) {
        devstate_reader_fail(r, errp, DEVSTATE_ERROR_FOREIGN,
                             "saved for MAC %s, but %s has MAC %s",
                             net_mac_format(&mac, got), s->name,
                             net_mac_format(&s->conf_mac, want));
        return NULL;
    }
    if (rev != s->revision) {
        devstate_reader_fail(r, errp, DEVSTATE_ERROR_FOREIGN,
                             "saved for revision %#x, %s is revision %#x", rev,
                             s->name, s->revision);
        return NULL;
    }
    if (!devstate_get_bool(r, "link_up", &p->link_up, errp) ||
        !devstate_get_i64(r, "tctr_elapsed", &p->tctr_elapsed, errp) ||
        !devstate_get_fields(r, rtl8139_state_fields,
                             G_N_ELEMENTS(rtl8139_state_fields), &p->snap,
                             errp) ||
        !rtl8139_state_check_fields(r, s, &p->snap, errp)) {
        return NULL;
    }
    /* TCTR is a free-running 32-bit count: only its phase matters. */
    if (p->tctr_elapsed < 0) {
        p->tctr_elapsed = 0;
    }
    for (unsigned t = 0; t < RTL_ST_COUNT; t++) {
        const char *name = rtl8139_state_timer_names[t];

        if (!devstate_get_i64(r, name, &p->timers[t], errp)) {
            return NULL;
        }
        if (p->timers[t] < -1 || p->timers[t] > RTL_STATE_MAX_TIMER_NS) {
            devstate_reader_fail(r, errp, DEVSTATE_ERROR_INVALID,
                                 "%s = %" G_GINT64_FORMAT " ns out of range",
                                 name, p->timers[t]);
            return NULL;
        }
    }
    return g_steal_pointer(&p);
}

static void rtl8139_state_apply(void *owner, void *pending)
{
    Rtl8139State *s = rtl8139_state_of(owner);
    RtlPending *p = pending;
    int64_t now;

    /* Power-on state, then config space as the guest programmed it. */
    pci_state_apply(&s->pci, p->config);
    devstate_copy_fields(rtl8139_state_fields,
                         G_N_ELEMENTS(rtl8139_state_fields), s, &p->snap);
    now = clock_get_ns(s->clock);
    s->tctr_base_ns = now - p->tctr_elapsed;
    for (unsigned t = 0; t < RTL_ST_COUNT; t++) {
        Timer *timer = rtl8139_state_timer(s, t);

        if (p->timers[t] < 0) {
            timer_del(timer);
        } else {
            timer_mod_ns(timer, now + p->timers[t]);
        }
    }
    rtl8139_tctr_rearm(s);
    if (p->link_up != s->link_up) {
        /* This backend's carrier differs from the old one's. */
        s->cscr |= RTL_CSCR_LINK_CHANGE;
        s->isr |= RTL_INT_LINKCHG;
    }
    rtl8139_update_irq(s);
    /* Work the old process had pending: buffers posted, TX queued. */
    if (s->nc.backend) {
        net_peer_rx_ready(&s->nc);
    }
    if (s->cplus_mode) {
        rtl8139_cp_tx_resume(s);
    } else {
        rtl8139_tx_c_run(s);
    }
    g_free(p);
}

static void rtl8139_state_discard(void *pending)
{
    g_free(pending);
}

const DevStateOps rtl8139_devstate_ops = {
    .type = "rtl8139",
    .version = RTL_STATE_VERSION,
    .save = rtl8139_state_save,
    .check = rtl8139_state_check,
    .apply = rtl8139_state_apply,
    .discard = rtl8139_state_discard,
};
