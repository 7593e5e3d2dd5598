/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82540EM: the internal PHY (an M88E1011-class 10/100/1000BASE-T
 * PHY at MDIO address 1, SDM ch. 8) reached through MDIC, its
 * autonegotiation against an always-capable link partner, and the 64-word
 * EEPROM (SDM ch. 5) through EECD bit-banging (microwire) and EERD.
 * The EEPROM is read-only: write and erase commands are ignored.
 */
#include "hw/net/e1000-int.h"

/* PHY identifier of the 82540EM's PHY (PHY_ID1/PHY_ID2, SDM 13.4.7). */
#define E1000_PHY_ID1_VAL 0x0141
#define E1000_PHY_ID2_VAL 0x0c20

/* PSTATUS ability bits: 10/100 half/full, extended status, preamble
 * suppression, autonegotiation ability, extended capabilities. */
#define E1000_PHY_STATUS_BASE 0x7949
/* The link partner advertises 10/100 half/full, pause, and ACKs. */
#define E1000_PHY_LP_ABILITY_VAL 0x45e1
/* 1000BASE-T status after negotiation: local and remote receivers OK,
 * partner 1000 full and half duplex capable. */
#define E1000_PHY_1000T_STATUS_VAL 0x3c00
/* M88 PSSR fields. */
#define E1000_PSSR_SPEED_SHIFT 14
#define E1000_PSSR_DUPLEX (1u << 13)
#define E1000_PSSR_RESOLVED (1u << 11)
#define E1000_PSSR_LINK (1u << 10)

static const uint16_t e1000_phy_reset_regs[E1000_PHY_REGS] = {
    [PHY_CTRL] = MII_CR_AUTONEG_EN | MII_CR_FULL_DUPLEX | MII_CR_SPEED_MSB,
    [PHY_ID1] = E1000_PHY_ID1_VAL,
    [PHY_ID2] = E1000_PHY_ID2_VAL,
    [PHY_AUTONEG_ADV] = 0x0de1,
    [PHY_NEXT_PAGE_TX] = 0x2001,
    [PHY_1000T_CTRL] = CR_1000T_FD | CR_1000T_HD,
    [PHY_EXT_STATUS] = 0x3000,
    [PHY_SPEC_CTRL] = 0x0060,
    [PHY_EXT_SPEC_CTRL] = 0x0c60,
};

/* Registers whose writes are ignored (status, IDs, partner pages). */
static bool e1000_phy_reg_readonly(unsigned reg)
{
    switch (reg) {
    case PHY_STATUS:
    case PHY_ID1:
    case PHY_ID2:
    case PHY_LP_ABILITY:
    case PHY_AUTONEG_EXP:
    case PHY_LP_NEXT_PAGE:
    case PHY_1000T_STATUS:
    case PHY_EXT_STATUS:
    case PHY_SPEC_STATUS:
    case PHY_INT_STATUS:
    case PHY_RX_ERR_CNTR:
        return true;
    default:
        return false;
    }
}

/* ---- Link resolution ---- */

/*
 * Forced mode: speed and duplex from PCTRL. Autonegotiation: the highest
 * common mode with a partner that offers everything (IEEE 802.3 Annex
 * 28B priority). False when nothing is common: no link.
 */
bool e1000_phy_resolved(const E1000State *s, unsigned *speed, bool *fd)
{
    uint16_t ctrl = s->phy[PHY_CTRL];
    uint16_t adv = s->phy[PHY_AUTONEG_ADV];
    uint16_t gcr = s->phy[PHY_1000T_CTRL];

    if (!(ctrl & MII_CR_AUTONEG_EN)) {
        *speed = (ctrl & MII_CR_SPEED_MSB) ? E1000_SPEED_1000 :
                 (ctrl & MII_CR_SPEED_LSB) ? E1000_SPEED_100 :
                 E1000_SPEED_10;
        *fd = ctrl & MII_CR_FULL_DUPLEX;
        return true;
    }
    *fd = true;
    if (gcr & CR_1000T_FD) {
        *speed = E1000_SPEED_1000;
    } else if (gcr & CR_1000T_HD) {
        *speed = E1000_SPEED_1000;
        *fd = false;
    } else if (adv & NWAY_AR_100TX_FD) {
        *speed = E1000_SPEED_100;
    } else if (adv & NWAY_AR_100TX_HD) {
        *speed = E1000_SPEED_100;
        *fd = false;
    } else if (adv & NWAY_AR_10T_FD) {
        *speed = E1000_SPEED_10;
    } else if (adv & NWAY_AR_10T_HD) {
        *speed = E1000_SPEED_10;
        *fd = false;
    } else {
        *speed = E1000_SPEED_1000;
        return false;
    }
    return true;
}

static bool e1000_phy_powered(const E1000State *s)
{
    return !(e1000_get(s, E1000_CTRL) & E1000_CTRL_PHY_RST) &&
           !(s->phy[PHY_CTRL] & MII_CR_POWER_DOWN);
}

static bool e1000_phy_an_complete(const E1000State *s)
{
    return s->phy_link && (s->phy[PHY_CTRL] & MII_CR_AUTONEG_EN);
}

void e1000_phy_autoneg_done(void *opaque)
{
    E1000State *s = opaque;
    unsigned speed;
    bool fd;

    if (s->carrier && e1000_phy_powered(s) &&
        e1000_phy_resolved(s, &speed, &fd)) {
        s->phy_link = true;
    }
    e1000_link_update(s);
}

/*
 * Link down now; up again after autonegotiation (E1000_AUTONEG_NS), or at
 * once in forced mode, if there is carrier and the PHY is powered.
 */
void e1000_phy_restart_an(E1000State *s)
{
    timer_del(s->autoneg_timer);
    s->phy_link = false;
    if (s->carrier && e1000_phy_powered(s)) {
        if (s->phy[PHY_CTRL] & MII_CR_AUTONEG_EN) {
            timer_mod_ns(s->autoneg_timer, e1000_now(s) + E1000_AUTONEG_NS);
        } else {
            s->phy_link = true;
        }
    }
    e1000_link_update(s);
}

/*
 * Hard (CTRL.PHY_RST, power-on): every register to its default. Soft
 * (PCTRL.RESET): configuration is kept, only the link state restarts.
 * The caller restarts negotiation and updates the link.
 */
void e1000_phy_reset(E1000State *s, bool hard)
{
    timer_del(s->autoneg_timer);
    s->phy_link = false;
    if (hard) {
        memcpy(s->phy, e1000_phy_reset_regs, sizeof(s->phy));
    }
}

void e1000_phy_carrier(E1000State *s, bool up)
{
    if (up == s->carrier) {
        return;
    }
    s->carrier = up;
    if (up) {
        e1000_phy_restart_an(s);
    } else {
        timer_del(s->autoneg_timer);
        s->phy_link = false;
        e1000_link_update(s);
    }
}

static void e1000_phy_ctrl_write(E1000State *s, uint16_t val)
{
    uint16_t old = s->phy[PHY_CTRL];
    uint16_t self_clearing = MII_CR_RESET | MII_CR_RESTART_AN;
    bool restart = val & (MII_CR_RESET | MII_CR_RESTART_AN);

    if (val & MII_CR_RESET) {
        e1000_phy_reset(s, false);
    }
    /* RESET and RESTART_AN are self-clearing (IEEE 802.3 22.2.4.1). */
    s->phy[PHY_CTRL] = val & ~self_clearing;
    if ((old ^ val) & (MII_CR_POWER_DOWN | MII_CR_AUTONEG_EN)) {
        restart = true;
    }
    if (!(val & MII_CR_AUTONEG_EN) &&
        ((old ^ val) & (MII_CR_SPEED_MSB | MII_CR_SPEED_LSB |
                        MII_CR_FULL_DUPLEX))) {
        restart = true;
    }
    if (restart) {
        e1000_phy_restart_an(s);
    }
    if ((old ^ val) & MII_CR_LOOPBACK) {
        e1000_schedule_bh(s);
    }
}

/* A PHY register as read through MDIC; status is derived from the link. */
static uint16_t e1000_phy_read(E1000State *s, unsigned reg)
{
    bool an = e1000_phy_an_complete(s);
    /* The PHY's own link, whatever CTRL.SLU says. */
    bool link = s->carrier && s->phy_link;
    unsigned speed;
    bool fd;
    uint16_t v;

    switch (reg) {
    case PHY_STATUS:
        v = E1000_PHY_STATUS_BASE;
        if (link) {
            v |= MII_SR_LINK_STATUS;
        }
        if (an) {
            v |= MII_SR_AUTONEG_COMPLETE;
        }
        return v;
    case PHY_LP_ABILITY:
        return an ? E1000_PHY_LP_ABILITY_VAL : 0;
    case PHY_AUTONEG_EXP:
        return an ? 0x0005 : 0x0004;
    case PHY_1000T_STATUS:
        return an ? E1000_PHY_1000T_STATUS_VAL : 0;
    case PHY_SPEC_STATUS:
        if (!link) {
            return 0;
        }
        e1000_phy_resolved(s, &speed, &fd);
        v = (uint16_t)(speed << E1000_PSSR_SPEED_SHIFT);
        v |= E1000_PSSR_RESOLVED | E1000_PSSR_LINK;
        if (fd) {
            v |= E1000_PSSR_DUPLEX;
        }
        return v;
    default:
        return s->phy[reg];
    }
}

static void e1000_phy_write(E1000State *s, unsigned reg, uint16_t val)
{
    if (reg == PHY_CTRL) {
        e1000_phy_ctrl_write(s, val);
    } else if (!e1000_phy_reg_readonly(reg)) {
        /* Advertisement changes take effect at the next negotiation. */
        s->phy[reg] = val;
    }
}

/*
 * SDM 13.4.7: an MDIC write starts a read or write of a PHY register; it
 * completes at once (READY). A wrong PHY address or opcode sets ERROR.
 */
void e1000_mdic_write(E1000State *s, uint32_t val)
{
    unsigned reg = (val >> E1000_MDIC_REG_SHIFT) & E1000_MDIC_REG_MASK;
    unsigned phy = (val >> E1000_MDIC_PHY_SHIFT) & E1000_MDIC_PHY_MASK;
    unsigned op = (val >> E1000_MDIC_OP_SHIFT) & E1000_MDIC_OP_MASK;
    uint32_t res = val & ~(E1000_MDIC_READY | E1000_MDIC_ERROR);

    if (op != E1000_MDIC_OP_READ && op != E1000_MDIC_OP_WRITE) {
        log_guest_error(LOG_E1000, "%s: MDIC opcode %u reserved", s->id, op);
        res |= E1000_MDIC_ERROR;
    } else if (phy != E1000_PHY_ADDR) {
        /* Drivers may probe for PHYs: no answer, not a guest error. */
        log_trace(LOG_E1000, "%s: MDIC access to absent PHY %u", s->id, phy);
        res |= E1000_MDIC_ERROR;
    } else if (op == E1000_MDIC_OP_READ) {
        res = (res & ~E1000_MDIC_DATA_MASK) | e1000_phy_read(s, reg);
    } else {
        e1000_phy_write(s, reg, val & E1000_MDIC_DATA_MASK);
    }
    e1000_set(s, E1000_MDIC, res | E1000_MDIC_READY);
    if (val & E1000_MDIC_INT_EN) {
        e1000_set_ics(s, E1000_ICR_MDAC);
    }
}

/* ---- EEPROM (SDM 5.6) ---- */

void e1000_eeprom_init(E1000State *s)
{
    uint16_t sum = 0;
    unsigned i;

    memset(s->eeprom, 0, sizeof(s->eeprom));
    for (i = 0; i < 3; i++) {
        s->eeprom[i] = (uint16_t)(s->mac_addr.a[2 * i] |
                                  (s->mac_addr.a[2 * i + 1] << 8));
    }
    /* LED configuration and OEM words unused (driver defaults). */
    s->eeprom[0x04] = 0xffff;
    s->eeprom[0x06] = 0xffff;
    s->eeprom[0x07] = 0xffff;
    /* Initialization Control 1: valid signature (01b), load the IDs. */
    s->eeprom[E1000_EEPROM_ICW1] = 0x4003;
    s->eeprom[E1000_EEPROM_SUBSYS_ID] = 0x001e;
    s->eeprom[E1000_EEPROM_SUBSYS_VID] = 0x8086;
    s->eeprom[E1000_EEPROM_DEV_ID] = 0x100e;
    s->eeprom[E1000_EEPROM_VEN_ID] = 0x8086;
    /* Initialization Control 2: symmetric and asymmetric pause. */
    s->eeprom[E1000_EEPROM_ICW2] = 0x3000;
    for (i = 0; i < E1000_EEPROM_CHECKSUM; i++) {
        sum += s->eeprom[i];
    }
    s->eeprom[E1000_EEPROM_CHECKSUM] = (uint16_t)(E1000_EEPROM_SUM - sum);
}

/*
 * Microwire DO (SDM 5.3, 93C46 protocol): a dummy 0 right after the
 * address, then data MSB first, continuing into the next word; 1 (ready)
 * otherwise while selected.
 */
static bool e1000_ee_do(const E1000State *s)
{
    unsigned word;

    if (!s->ee.cs) {
        return false;
    }
    if (!s->ee.reading) {
        return true;
    }
    if (s->ee.bitpos < 0) {
        return false;
    }
    word = (s->ee.addr + (unsigned)s->ee.bitpos / 16) &
           (E1000_EEPROM_WORDS - 1);
    return (s->eeprom[word] >> (15 - (s->ee.bitpos & 15))) & 1;
}

/* One rising edge of SK with CS high, DI sampled. */
static void e1000_ee_clock(E1000State *s, bool di)
{
    unsigned opcode;

    if (s->ee.ignore) {
        return;
    }
    if (s->ee.reading) {
        s->ee.bitpos = (s->ee.bitpos + 1) % (16 * E1000_EEPROM_WORDS);
        return;
    }
    if (!s->ee.started) {
        /* Leading zeros before the start bit are ignored. */
        s->ee.started = di;
        return;
    }
    s->ee.cmd = (s->ee.cmd << 1) | di;
    if (++s->ee.nbits < 2 + E1000_EEPROM_ADDR_BITS) {
        return;
    }
    opcode = s->ee.cmd >> E1000_EEPROM_ADDR_BITS;
    if (opcode == (E1000_EEPROM_READ_OPCODE & 3)) {
        s->ee.reading = true;
        s->ee.addr = s->ee.cmd & (E1000_EEPROM_WORDS - 1);
        s->ee.bitpos = -1;
    } else {
        log_trace(LOG_E1000, "%s: EEPROM opcode %u ignored", s->id, opcode);
        s->ee.ignore = true;
    }
}

uint32_t e1000_eecd_read(E1000State *s)
{
    uint32_t v = e1000_get(s, E1000_EECD);

    v |= E1000_EECD_PRES;
    /* The EEPROM is never busy with hardware: the grant follows REQ. */
    if (v & E1000_EECD_REQ) {
        v |= E1000_EECD_GNT;
    }
    if (e1000_ee_do(s)) {
        v |= E1000_EECD_DO;
    }
    return v;
}

void e1000_eecd_write(E1000State *s, uint32_t val)
{
    bool cs = val & E1000_EECD_CS;
    bool sk = val & E1000_EECD_SK;
    bool rising = sk && !s->ee.sk;

    e1000_set(s, E1000_EECD, val & (E1000_EECD_SK | E1000_EECD_CS |
                                    E1000_EECD_DI | E1000_EECD_FWE_MASK |
                                    E1000_EECD_REQ));
    if (!cs) {
        /* Deselect ends any command. */
        memset(&s->ee, 0, sizeof(s->ee));
        s->ee.sk = sk;
        return;
    }
    if (!s->ee.cs) {
        memset(&s->ee, 0, sizeof(s->ee));
        s->ee.cs = true;
    }
    s->ee.sk = sk;
    if (rising) {
        e1000_ee_clock(s, val & E1000_EECD_DI);
    }
}

/*
 * SDM 13.4.4: writing START with an address reads that word at once;
 * DONE and the data then read back. Words past the EEPROM read as 0.
 */
void e1000_eerd_write(E1000State *s, uint32_t val)
{
    unsigned addr = (val >> E1000_EERD_ADDR_SHIFT) & E1000_EERD_ADDR_MASK;
    uint32_t data;

    if (!(val & E1000_EERD_START)) {
        s->eerd = addr << E1000_EERD_ADDR_SHIFT;
        return;
    }
    data = 0;
    if (addr < E1000_EEPROM_WORDS) {
        data = s->eeprom[addr];
    } else {
        log_guest_error(LOG_E1000, "%s: EERD word 0x%02x past the %u-word "
                        "EEPROM reads 0", s->id, addr, E1000_EEPROM_WORDS);
    }
    s->eerd = (data << E1000_EERD_DATA_SHIFT) |
              (addr << E1000_EERD_ADDR_SHIFT) | E1000_EERD_DONE;
}

uint32_t e1000_eerd_read(E1000State *s)
{
    return s->eerd;
}
