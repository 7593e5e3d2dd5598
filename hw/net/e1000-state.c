/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82540EM save / restore (devstate section "e1000", version 1):
 * PCI config space, the MAC registers (pending interrupt causes, ring
 * registers, statistics), the EEPROM and its microwire state, the PHY,
 * the last TX context descriptor, the resume point of a TSO packet the
 * backend interrupted, and the remaining time of every timer.
 *
 * What is not carried: a frame the backend holds for the NIC (it stays
 * with the old process, as in QEMU), queued loopback frames (diagnostic
 * mode only), and the backend's carrier (the new backend's own counts).
 * A packet interrupted by a busy backend is rebuilt from the ring, which
 * still holds it (TDH was not advanced past it).
 *
 * Every value is checked as a guest could have left it: registers only
 * with bits their write masks let a guest set where the model relies on
 * that (ring lengths, indices, delays, interrupt causes), EEPROM state
 * within its bit counts, timers within a minute.
 */
#include <stddef.h>

#include "emunet/devstate.h"
#include "hw/net/e1000-int.h"
#include "hw/net/nic.h"
#include "hw/pci/pci-state.h"

#define E1000_STATE_VERSION 1
/* Longest timer the model arms is autonegotiation (0.5 s). */
#define E1000_STATE_MAX_TIMER_NS (60LL * 1000 * 1000 * 1000)
/* A TSO packet has at most 64 KiB of payload, so this many segments. */
#define E1000_STATE_MAX_SEGS 0x10000

/* Register bits a guest can leave set where the model depends on it. */
static const struct {
    uint32_t offset;
    uint32_t mask;
} e1000_state_masks[] = {
    {E1000_VET, 0xffff},        {E1000_ICR, E1000_ICR_VALID},
    {E1000_ITR, 0xffff},        {E1000_IMS, E1000_ICR_VALID},
    {E1000_RDBAL, 0xfffffff0u}, {E1000_RDLEN, 0x000fff80u},
    {E1000_RDH, 0xffff},        {E1000_RDT, 0xffff},
    {E1000_RDTR, 0xffff},       {E1000_RADV, 0xffff},
    {E1000_RSRPD, 0xfff},       {E1000_TDBAL, 0xfffffff0u},
    {E1000_TDLEN, 0x000fff80u}, {E1000_TDH, 0xffff},
    {E1000_TDT, 0xffff},        {E1000_TIDV, 0xffff},
    {E1000_TADV, 0xffff},       {E1000_RXCSUM, 0x3ff},
};

static const DevStateField e1000_state_fields[] = {
    DEVSTATE_INT(E1000State, ioaddr, "ioaddr"),
    DEVSTATE_ARRAY(E1000State, eeprom, "eeprom"),
    DEVSTATE_BOOL(E1000State, ee.cs, "ee.cs"),
    DEVSTATE_BOOL(E1000State, ee.sk, "ee.sk"),
    DEVSTATE_BOOL(E1000State, ee.reading, "ee.reading"),
    DEVSTATE_BOOL(E1000State, ee.ignore, "ee.ignore"),
    DEVSTATE_BOOL(E1000State, ee.started, "ee.started"),
    DEVSTATE_INT(E1000State, ee.nbits, "ee.nbits"),
    DEVSTATE_INT(E1000State, ee.cmd, "ee.cmd"),
    DEVSTATE_INT(E1000State, ee.addr, "ee.addr"),
    DEVSTATE_INT(E1000State, ee.bitpos, "ee.bitpos"),
    DEVSTATE_INT(E1000State, eerd, "eerd"),
    DEVSTATE_ARRAY(E1000State, phy, "phy"),
    DEVSTATE_BOOL(E1000State, phy_link, "phy_link"),
    DEVSTATE_BOOL(E1000State, link_up, "link_up"),
    DEVSTATE_BOOL(E1000State, tx_ctx.valid, "tx_ctx.valid"),
    DEVSTATE_INT(E1000State, tx_ctx.ipcss, "tx_ctx.ipcss"),
    DEVSTATE_INT(E1000State, tx_ctx.ipcso, "tx_ctx.ipcso"),
    DEVSTATE_INT(E1000State, tx_ctx.ipcse, "tx_ctx.ipcse"),
    DEVSTATE_INT(E1000State, tx_ctx.tucss, "tx_ctx.tucss"),
    DEVSTATE_INT(E1000State, tx_ctx.tucso, "tx_ctx.tucso"),
    DEVSTATE_INT(E1000State, tx_ctx.tucse, "tx_ctx.tucse"),
    DEVSTATE_INT(E1000State, tx_ctx.paylen, "tx_ctx.paylen"),
    DEVSTATE_INT(E1000State, tx_ctx.tucmd, "tx_ctx.tucmd"),
    DEVSTATE_INT(E1000State, tx_ctx.hdrlen, "tx_ctx.hdrlen"),
    DEVSTATE_INT(E1000State, tx_ctx.mss, "tx_ctx.mss"),
    DEVSTATE_BOOL(E1000State, tx_resume_valid, "tx_resume_valid"),
    DEVSTATE_INT(E1000State, tx_resume_first, "tx_resume_first"),
    DEVSTATE_INT(E1000State, tx_sent_segs, "tx_sent_segs"),
    DEVSTATE_BOOL(E1000State, rx_nobuf, "rx_nobuf"),
    DEVSTATE_INT(E1000State, rx_dropped, "rx_dropped"),
};

typedef enum E1000StateTimer {
    E1000_ST_AUTONEG,
    E1000_ST_ITR,
    E1000_ST_RDTR,
    E1000_ST_RADV,
    E1000_ST_TIDV,
    E1000_ST_TADV,
    E1000_ST_BH,
    E1000_ST_COUNT,
} E1000StateTimer;

static const char *const e1000_state_timer_names[E1000_ST_COUNT] = {
    "timer.autoneg", "timer.itr",  "timer.rdtr", "timer.radv",
    "timer.tidv",    "timer.tadv", "timer.bh",
};

/* A section decoded and checked, waiting to be applied. */
typedef struct E1000Pending {
    uint8_t config[PCI_CONFIG_SIZE];
    /* Scratch copy: mac[] and the table's fields only. */
    E1000State snap;
    /* Remaining ns per timer, -1 when not armed. */
    int64_t timers[E1000_ST_COUNT];
    int64_t itr_rel;
} E1000Pending;

static E1000State *e1000_state_of(void *owner)
{
    return (E1000State *)((char *)owner - offsetof(E1000State, pci));
}

static Timer *e1000_state_timer(E1000State *s, E1000StateTimer t)
{
    switch (t) {
    case E1000_ST_AUTONEG:
        return s->autoneg_timer;
    case E1000_ST_ITR:
        return s->itr_timer;
    case E1000_ST_RDTR:
        return s->rdtr_timer;
    case E1000_ST_RADV:
        return s->radv_timer;
    case E1000_ST_TIDV:
        return s->tidv_timer;
    case E1000_ST_TADV:
        return s->tadv_timer;
    default:
        return s->bh_timer;
    }
}

static void e1000_state_save(void *owner, DevStateWriter *w)
{
    E1000State *s = e1000_state_of(owner);
    int64_t now = e1000_now(s);
    GByteArray *regs = g_byte_array_new();

    pci_state_save(&s->pci, w);
    devstate_put_bytes(w, "mac", s->mac_addr.a, ETH_ALEN);
    /* Most of the 32K dwords are 0: (index, value) pairs of the rest. */
    for (uint32_t i = 0; i < E1000_NREGS; i++) {
        uint8_t pair[8];

        if (s->mac[i]) {
            st32_le(pair, i);
            st32_le(pair + 4, s->mac[i]);
            g_byte_array_append(regs, pair, sizeof(pair));
        }
    }
    devstate_put_bytes(w, "regs", regs->data, regs->len);
    g_byte_array_free(regs, TRUE);
    devstate_put_fields(w, e1000_state_fields, G_N_ELEMENTS(e1000_state_fields),
                        s);
    for (unsigned t = 0; t < E1000_ST_COUNT; t++) {
        Timer *timer = e1000_state_timer(s, t);

        devstate_put_i64(
            w, e1000_state_timer_names[t],
            timer_pending(timer) ? MAX(timer_expire_ns(timer) - now, 0) : -1);
    }
    devstate_put_i64(w, "itr_next", s->itr_next_ns - now);
}

static bool e1000_state_check_regs(DevStateReader *r, E1000Pending *p,
                                   GError **errp)
{
    const uint8_t *data;
    size_t len;
    int64_t prev = -1;

    if (!devstate_get_blob(r, "regs", (size_t)E1000_NREGS * 8, &data, &len,
                           errp)) {
        return false;
    }
    if (len % 8) {
        return devstate_reader_fail(r, errp, DEVSTATE_ERROR_FORMAT,
                                    "field 'regs' is not a list of "
                                    "(index, value) pairs");
    }
    for (size_t off = 0; off < len; off += 8) {
        uint32_t idx = ld32_le(data + off);

        if (idx >= E1000_NREGS || (int64_t)idx <= prev) {
            return devstate_reader_fail(r, errp, DEVSTATE_ERROR_INVALID,
                                        "register index %#x out of order or "
                                        "outside BAR0",
                                        idx);
        }
        prev = idx;
        p->snap.mac[idx] = ld32_le(data + off + 4);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(e1000_state_masks); i++) {
        uint32_t off = e1000_state_masks[i].offset;
        uint32_t v = p->snap.mac[E1000_REG(off)];

        if (v & ~e1000_state_masks[i].mask) {
            return devstate_reader_fail(r, errp, DEVSTATE_ERROR_INVALID,
                                        "register %#07x = %#x has bits no "
                                        "guest can set",
                                        off, v);
        }
    }
    for (unsigned i = 0; i < E1000_RA_COUNT; i++) {
        uint32_t off = E1000_RA + 8 * i + 4;
        uint32_t v = p->snap.mac[E1000_REG(off)];

        if (v & ~(E1000_RAH_AV | E1000_RAH_AS_MASK | 0xffffu)) {
            return devstate_reader_fail(r, errp, DEVSTATE_ERROR_INVALID,
                                        "RAH%u = %#x has bits no guest can "
                                        "set",
                                        i, v);
        }
    }
    return true;
}

static bool e1000_state_check_misc(DevStateReader *r, const E1000State *n,
                                   GError **errp)
{
    if (n->ioaddr & ~(uint32_t)(E1000_MMIO_SIZE - 4)) {
        return devstate_reader_fail(r, errp, DEVSTATE_ERROR_INVALID,
                                    "IOADDR %#x outside BAR0", n->ioaddr);
    }
    if (n->ee.nbits > 2 + E1000_EEPROM_ADDR_BITS ||
        n->ee.cmd >= 1u << (2 + E1000_EEPROM_ADDR_BITS) ||
        n->ee.addr >= E1000_EEPROM_WORDS || n->ee.bitpos < -1 ||
        n->ee.bitpos >= 16 * E1000_EEPROM_WORDS) {
        return devstate_reader_fail(r, errp, DEVSTATE_ERROR_INVALID,
                                    "EEPROM interface state out of range "
                                    "(bits %u, command %#x, word %u, bit "
                                    "%d)",
                                    n->ee.nbits, n->ee.cmd, n->ee.addr,
                                    n->ee.bitpos);
    }
    if (n->tx_resume_first > 0xffff || n->tx_sent_segs > E1000_STATE_MAX_SEGS) {
        return devstate_reader_fail(r, errp, DEVSTATE_ERROR_INVALID,
                                    "TX resume point (descriptor %u, "
                                    "segment %u) out of range",
                                    n->tx_resume_first, n->tx_sent_segs);
    }
    return true;
}

static void *e1000_state_check(void *owner, DevStateReader *r, uint32_t version,
                               GError **errp)
{
    E1000State *s = e1000_state_of(owner);
    g_autofree E1000Pending *p = g_new0(E1000Pending, 1);
    MacAddr mac;
    char want[18], got[18];

    if (!pci_state_check(&s->pci, r, p->config, errp) ||
        !devstate_get_bytes(r, "mac", mac.a, ETH_ALEN, errp)) {
        return NULL;
    }
    if (memcmp(mac.a, s->mac_addr.a, ETH_ALEN) != 0) {
        devstate_reader_fail(r, errp, DEVSTATE_ERROR_FOREIGN,
                             "saved for MAC %s, but %s has MAC %s",
                             net_mac_format(&mac, got), s->id,
                             net_mac_format(&s->mac_addr, want));
        return NULL;
    }
    if (!e1000_state_check_regs(r, p, errp) ||
        !devstate_get_fields(r, e1000_state_fields,
                             G_N_ELEMENTS(e1000_state_fields), &p->snap,
                             errp) ||
        !e1000_state_check_misc(r, &p->snap, errp)) {
        return NULL;
    }
    for (unsigned t = 0; t < E1000_ST_COUNT; t++) {
        const char *name = e1000_state_timer_names[t];

        if (!devstate_get_i64(r, name, &p->timers[t], errp)) {
            return NULL;
        }
        if (p->timers[t] < -1 || p->timers[t] > E1000_STATE_MAX_TIMER_NS) {
            devstate_reader_fail(r, errp, DEVSTATE_ERROR_INVALID,
                                 "%s = %" G_GINT64_FORMAT " ns out of range",
                                 name, p->timers[t]);
            return NULL;
        }
    }
    if (!devstate_get_i64(r, "itr_next", &p->itr_rel, errp)) {
        return NULL;
    }
    /* In the past is "now"; the future at most one ITR interval. */
    p->itr_rel = CLAMP(p->itr_rel, 0, E1000_STATE_MAX_TIMER_NS);
    return g_steal_pointer(&p);
}

static void e1000_state_apply(void *owner, void *pending)
{
    E1000State *s = e1000_state_of(owner);
    E1000Pending *p = pending;
    int64_t now;

    /* Power-on state, then config space as the guest programmed it. */
    pci_state_apply(&s->pci, p->config);
    memcpy(s->mac, p->snap.mac, sizeof(s->mac));
    e1000_rx_ring_changed(s, 0);
    devstate_copy_fields(e1000_state_fields, G_N_ELEMENTS(e1000_state_fields),
                         s, &p->snap);
    now = e1000_now(s);
    s->itr_next_ns = now + p->itr_rel;
    for (unsigned t = 0; t < E1000_ST_COUNT; t++) {
        Timer *timer = e1000_state_timer(s, t);

        if (p->timers[t] < 0) {
            timer_del(timer);
        } else {
            timer_mod_ns(timer, now + p->timers[t]);
        }
    }
    /* STATUS follows this backend's carrier; LSC if it differs. */
    e1000_link_update(s);
    if (s->peer.backend) {
        net_peer_set_link(&s->peer, s->link_up);
    }
    e1000_update_irq(s);
    /* Work the old process had pending: buffers posted, TX queued. */
    if (s->peer.backend) {
        net_peer_rx_ready(&s->peer);
    }
    e1000_tx_run(s);
    g_free(p);
}

static void e1000_state_discard(void *pending)
{
    g_free(pending);
}

const DevStateOps e1000_devstate_ops = {
    .type = "e1000",
    .version = E1000_STATE_VERSION,
    .save = e1000_state_save,
    .check = e1000_state_check,
    .apply = e1000_state_apply,
    .discard = e1000_state_discard,
};
