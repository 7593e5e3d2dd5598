/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A 93C46/93C56/93C66-style Microwire serial EEPROM in x16 organisation,
 * driven pin by pin (CS, SK, DI in; DO out), as the NICs that bit-bang it
 * through a control register see it (RTL8139 9346CR, e1000 EECD).
 *
 * Protocol (Microchip/Atmel 93C46 data sheets, "x16 organisation"):
 *  - CS rising selects the part; leading 0 bits on DI are ignored until
 *    the start bit (a 1) is clocked in on a rising SK edge;
 *  - then 2 opcode bits and `addr_bits` address bits, MSB first:
 *    10 READ, 01 WRITE, 11 ERASE, 00 with the two top address bits
 *    11 EWEN, 00 EWDS, 10 ERAL, 01 WRAL;
 *  - READ: after the last address bit DO drives a dummy 0; each further
 *    rising SK edge puts the next data bit on DO, D15 first. After D0 the
 *    address auto-increments and the next word follows (sequential read);
 *  - WRITE/WRAL take 16 data bits; programming (WRITE, ERASE, ERAL, WRAL)
 *    happens when CS falls after a complete command, and only while
 *    writes are enabled (EWEN; power-on state is disabled). Programming
 *    is instantaneous: on the next selection DO reads 1 ("ready");
 *  - DO is high-impedance when the part is not driving it. The model
 *    reads it as 1 while selected (a pull-up; this is what lets drivers
 *    detect the dummy 0 that ends the address) and 0 while deselected.
 * Every input is accepted; nothing a guest clocks in can fail.
 */
#ifndef EMUNET_HW_NET_EEPROM93XX_H
#define EMUNET_HW_NET_EEPROM93XX_H

#include <stdbool.h>
#include <stdint.h>

/* Largest part modelled: 93C66 in x16 organisation (256 words). */
#define EEPROM93XX_MAX_WORDS 256

typedef enum Eeprom93xxState {
    EEPROM93XX_STANDBY,    /* CS low */
    EEPROM93XX_WAIT_START, /* selected, waiting for the start bit */
    EEPROM93XX_COMMAND,    /* shifting in opcode and address */
    EEPROM93XX_READ,       /* shifting data out */
    EEPROM93XX_DATA_IN,    /* WRITE/WRAL: shifting data in */
    EEPROM93XX_ARMED,      /* complete command; acts when CS falls */
    EEPROM93XX_IGNORE,     /* command done or invalid: ignore clocks */
} Eeprom93xxState;

typedef struct Eeprom93xx {
    /* Contents, little-endian-agnostic 16-bit words. */
    uint16_t data[EEPROM93XX_MAX_WORDS];
    /* Address width: 6 (93C46), 7 or 8 (93C56/93C66). */
    unsigned addr_bits;
    /* 1 << addr_bits. */
    unsigned words;
    /* Writes enabled by EWEN (cleared by EWDS and at power-on). */
    bool write_enabled;
    /* Pin levels last driven. */
    bool cs, sk, di;
    /* Level on DO. */
    bool dout;
    Eeprom93xxState state;
    /* Bits shifted in so far (command, then data). */
    uint32_t shift;
    unsigned nbits;
    /* Decoded command: 2-bit opcode and address. */
    unsigned opcode;
    unsigned addr;
    /* READ: word being shifted out and bits of it still to send. */
    uint16_t out;
    unsigned out_left;
} Eeprom93xx;

/*
 * Power-on state: deselected, writes disabled, contents from `contents`
 * (`nwords` words; the rest 0xffff, as an erased part). addr_bits must be
 * 6, 7 or 8 (host-side invariant, asserted).
 */
void eeprom93xx_init(Eeprom93xx *ee, unsigned addr_bits,
                     const uint16_t *contents, unsigned nwords);

/* Drive the three input pins; acts on CS edges and rising SK edges. */
void eeprom93xx_set_pins(Eeprom93xx *ee, bool cs, bool sk, bool di);

/* Level of the DO pin. */
bool eeprom93xx_get_do(const Eeprom93xx *ee);

/* Word at `addr` (masked to the part's size), for the device's autoload. */
uint16_t eeprom93xx_read_word(const Eeprom93xx *ee, unsigned addr);

#endif
