/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Microwire 93Cx6 serial EEPROM, x16 organisation. The protocol is
 * described in eeprom93xx.h; this file is the state machine.
 */
#include <glib.h>

#include "hw/net/eeprom93xx.h"

/* Opcodes (the two bits after the start bit). */
#define EE_OP_EXT 0
#define EE_OP_WRITE 1
#define EE_OP_READ 2
#define EE_OP_ERASE 3
/* Extended commands: the two top address bits after opcode 00. */
#define EE_EXT_EWDS 0
#define EE_EXT_WRAL 1
#define EE_EXT_ERAL 2
#define EE_EXT_EWEN 3

void eeprom93xx_init(Eeprom93xx *ee, unsigned addr_bits,
                     const uint16_t *contents, unsigned nwords)
{
    g_assert(addr_bits >= 6 && addr_bits <= 8);

    memset(ee, 0, sizeof(*ee));
    ee->addr_bits = addr_bits;
    ee->words = 1u << addr_bits;
    for (unsigned i = 0; i < ee->words; i++) {
        ee->data[i] = i < nwords ? contents[i] : 0xffff;
    }
    ee->state = EEPROM93XX_STANDBY;
}

uint16_t eeprom93xx_read_word(const Eeprom93xx *ee, unsigned addr)
{
    return ee->data[addr & (ee->words - 1)];
}

/* Load the word at ee->addr for shifting out, MSB first. */
static void eeprom93xx_load_out(Eeprom93xx *ee)
{
    ee->out = ee->data[ee->addr];
    ee->out_left = 16;
}

/* The opcode and address are complete: start the command. */
static void eeprom93xx_decode(Eeprom93xx *ee)
{
    unsigned ext;

    ee->opcode = (ee->shift >> ee->addr_bits) & 3;
    ee->addr = ee->shift & (ee->words - 1);
    ee->shift = 0;
    ee->nbits = 0;

    switch (ee->opcode) {
    case EE_OP_READ:
        /* The part drives a dummy 0 before D15 (93C46 READ timing). */
        ee->dout = false;
        eeprom93xx_load_out(ee);
        ee->state = EEPROM93XX_READ;
        break;
    case EE_OP_WRITE:
        ee->state = EEPROM93XX_DATA_IN;
        break;
    case EE_OP_ERASE:
        ee->state = EEPROM93XX_ARMED;
        break;
    default:
        ext = ee->addr >> (ee->addr_bits - 2);
        if (ext == EE_EXT_EWEN) {
            ee->write_enabled = true;
            ee->state = EEPROM93XX_IGNORE;
        } else if (ext == EE_EXT_EWDS) {
            ee->write_enabled = false;
            ee->state = EEPROM93XX_IGNORE;
        } else if (ext == EE_EXT_WRAL) {
            ee->state = EEPROM93XX_DATA_IN;
        } else {
            ee->state = EEPROM93XX_ARMED;
        }
        break;
    }
}

/* One rising SK edge while selected. */
static void eeprom93xx_clock(Eeprom93xx *ee)
{
    switch (ee->state) {
    case EEPROM93XX_WAIT_START:
        if (ee->di) {
            ee->state = EEPROM93XX_COMMAND;
            ee->shift = 0;
            ee->nbits = 0;
        }
        break;
    case EEPROM93XX_COMMAND:
        ee->shift = (ee->shift << 1) | ee->di;
        if (++ee->nbits == 2 + ee->addr_bits) {
            eeprom93xx_decode(ee);
        }
        break;
    case EEPROM93XX_READ:
        if (ee->out_left == 0) {
            /* Sequential read: the next word follows without a dummy. */
            ee->addr = (ee->addr + 1) & (ee->words - 1);
            eeprom93xx_load_out(ee);
        }
        ee->dout = (ee->out >> 15) & 1;
        ee->out <<= 1;
        ee->out_left--;
        break;
    case EEPROM93XX_DATA_IN:
        ee->shift = (ee->shift << 1) | ee->di;
        if (++ee->nbits == 16) {
            ee->state = EEPROM93XX_ARMED;
        }
        break;
    default:
        break;
    }
}

/* CS fell: run a complete programming command, if writes are enabled. */
static void eeprom93xx_program(Eeprom93xx *ee)
{
    uint16_t value = (uint16_t)ee->shift;

    if (ee->state != EEPROM93XX_ARMED || !ee->write_enabled) {
        return;
    }
    switch (ee->opcode) {
    case EE_OP_WRITE:
        ee->data[ee->addr] = value;
        break;
    case EE_OP_ERASE:
        ee->data[ee->addr] = 0xffff;
        break;
    default:
        /* Opcode 00 reaches ARMED only for WRAL (with data) and ERAL. */
        if ((ee->addr >> (ee->addr_bits - 2)) == EE_EXT_WRAL) {
            for (unsigned i = 0; i < ee->words; i++) {
                ee->data[i] = value;
            }
        } else {
            for (unsigned i = 0; i < ee->words; i++) {
                ee->data[i] = 0xffff;
            }
        }
        break;
    }
}

void eeprom93xx_set_pins(Eeprom93xx *ee, bool cs, bool sk, bool di)
{
    bool rising = cs && sk && !ee->sk;

    if (!cs) {
        if (ee->cs) {
            eeprom93xx_program(ee);
        }
        ee->state = EEPROM93XX_STANDBY;
        ee->dout = false;
    } else if (!ee->cs) {
        /* Selected: wait for a start bit; DO floats (reads 1). */
        ee->state = EEPROM93XX_WAIT_START;
        ee->dout = true;
        ee->shift = 0;
        ee->nbits = 0;
    }
    ee->cs = cs;
    ee->sk = sk;
    ee->di = di;
    if (rising) {
        eeprom93xx_clock(ee);
    }
}

bool eeprom93xx_get_do(const Eeprom93xx *ee)
{
    return ee->cs && ee->dout;
}
