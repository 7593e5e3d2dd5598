/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Microwire 93Cx6 EEPROM model, driven pin by pin the way Linux
 * 8139too/8139cp, FreeBSD rl and iPXE bit-bang it.
 */
#include <glib.h>

#include "hw/net/eeprom93xx.h"

#define OP_READ 6  /* start bit + 10 */
#define OP_WRITE 5 /* start bit + 01 */
#define OP_ERASE 7 /* start bit + 11 */
#define OP_EXT 4   /* start bit + 00 */

static void ee_deselect(Eeprom93xx *ee)
{
    eeprom93xx_set_pins(ee, false, false, false);
}

static void ee_select(Eeprom93xx *ee)
{
    ee_deselect(ee);
    eeprom93xx_set_pins(ee, true, false, false);
}

/* One bit: DI set with SK low, then SK rising. Returns DO after the edge. */
static bool ee_bit(Eeprom93xx *ee, bool di)
{
    eeprom93xx_set_pins(ee, true, false, di);
    eeprom93xx_set_pins(ee, true, true, di);
    return eeprom93xx_get_do(ee);
}

static void ee_send(Eeprom93xx *ee, unsigned val, unsigned nbits)
{
    for (unsigned i = nbits; i-- > 0;) {
        ee_bit(ee, (val >> i) & 1);
    }
}

static uint32_t ee_recv(Eeprom93xx *ee, unsigned nbits)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < nbits; i++) {
        v = (v << 1) | ee_bit(ee, false);
    }
    eeprom93xx_set_pins(ee, true, false, false);
    return v;
}

static uint16_t ee_read(Eeprom93xx *ee, unsigned addr, unsigned addr_bits)
{
    uint16_t v;

    ee_select(ee);
    ee_send(ee, OP_READ << addr_bits | addr, 3 + addr_bits);
    v = (uint16_t)ee_recv(ee, 16);
    ee_deselect(ee);
    return v;
}

static void ee_ext(Eeprom93xx *ee, unsigned ext, unsigned addr_bits)
{
    ee_select(ee);
    ee_send(ee, OP_EXT << addr_bits | ext << (addr_bits - 2), 3 + addr_bits);
    ee_deselect(ee);
}

static void ee_write(Eeprom93xx *ee, unsigned addr, uint16_t val,
                     unsigned addr_bits)
{
    ee_select(ee);
    ee_send(ee, OP_WRITE << addr_bits | addr, 3 + addr_bits);
    ee_send(ee, val, 16);
    ee_deselect(ee);
}

static void ee_fill(Eeprom93xx *ee, unsigned addr_bits)
{
    uint16_t words[256];

    for (unsigned i = 0; i < G_N_ELEMENTS(words); i++) {
        words[i] = (uint16_t)(0x8129 + i * 0x0101);
    }
    eeprom93xx_init(ee, addr_bits, words, 1u << addr_bits);
}

static void test_read_words(void)
{
    Eeprom93xx ee;

    ee_fill(&ee, 6);
    for (unsigned a = 0; a < 64; a++) {
        g_assert_cmphex(ee_read(&ee, a, 6), ==, 0x8129 + a * 0x0101);
    }
}

/* DO floats high during the command, then the dummy 0 (iPXE relies). */
static void test_read_dummy_bit(void)
{
    Eeprom93xx ee;

    ee_fill(&ee, 6);
    ee_select(&ee);
    g_assert_true(eeprom93xx_get_do(&ee));
    for (unsigned i = 0; i < 8; i++) {
        g_assert_true(ee_bit(&ee, (((OP_READ << 6) | 5) >> (8 - i)) & 1));
    }
    /* Last address bit: the part now drives the dummy 0. */
    g_assert_false(ee_bit(&ee, 1));
    g_assert_cmphex(ee_recv(&ee, 16), ==, 0x8129 + 5 * 0x0101);
}

static void test_read_sequential(void)
{
    Eeprom93xx ee;

    ee_fill(&ee, 6);
    ee_select(&ee);
    ee_send(&ee, OP_READ << 6 | 62, 9);
    g_assert_cmphex(ee_recv(&ee, 16), ==, 0x8129 + 62 * 0x0101);
    g_assert_cmphex(ee_recv(&ee, 16), ==, 0x8129 + 63 * 0x0101);
    /* The address wraps at the end of the part. */
    g_assert_cmphex(ee_recv(&ee, 16), ==, 0x8129);
}

/*
 * 8139too/8139cp probe with 8 address bits: a 93C46 takes 6, the two
 * extra clocks shift data out, and the word read is not 0x8129, so the
 * drivers fall back to 6-bit addressing.
 */
static void test_read_8bit_probe(void)
{
    Eeprom93xx ee;
    uint16_t v;

    ee_fill(&ee, 6);
    ee_select(&ee);
    ee_send(&ee, OP_READ << 8 | 0, 11);
    v = (uint16_t)ee_recv(&ee, 16);
    ee_deselect(&ee);
    g_assert_cmphex(v, !=, 0x8129);
    g_assert_cmphex(v, ==, (uint16_t)(0x8129 << 2 | (0x822a >> 14)));
}

/* FreeBSD rl sends the command in an 11-bit field: leading zeros. */
static void test_read_leading_zeros(void)
{
    Eeprom93xx ee;

    ee_fill(&ee, 6);
    ee_select(&ee);
    ee_send(&ee, OP_READ << 6 | 9, 11);
    g_assert_cmphex(ee_recv(&ee, 16), ==, 0x8129 + 9 * 0x0101);
}

static void test_deselect(void)
{
    Eeprom93xx ee;

    ee_fill(&ee, 6);
    ee_select(&ee);
    ee_send(&ee, OP_READ << 6 | 3, 9);
    ee_recv(&ee, 5);
    /* CS low aborts the read; DO reads 0 while deselected. */
    ee_deselect(&ee);
    g_assert_false(eeprom93xx_get_do(&ee));
    g_assert_cmphex(ee_read(&ee, 4, 6), ==, 0x8129 + 4 * 0x0101);
}

static void test_write_disabled(void)
{
    Eeprom93xx ee;

    ee_fill(&ee, 6);
    ee_write(&ee, 10, 0x1234, 6);
    g_assert_cmphex(ee_read(&ee, 10, 6), ==, 0x8129 + 10 * 0x0101);
    g_assert_cmphex(eeprom93xx_read_word(&ee, 10), ==, 0x8129 + 10 * 0x0101);
}

static void test_write_enabled(void)
{
    Eeprom93xx ee;

    ee_fill(&ee, 6);
    ee_ext(&ee, 3, 6); /* EWEN */
    ee_write(&ee, 10, 0x1234, 6);
    /* Ready at once: DO high when selected again (8139cp polls it). */
    ee_select(&ee);
    g_assert_true(eeprom93xx_get_do(&ee));
    ee_deselect(&ee);
    g_assert_cmphex(ee_read(&ee, 10, 6), ==, 0x1234);
    g_assert_cmphex(ee_read(&ee, 11, 6), ==, 0x8129 + 11 * 0x0101);

    ee_ext(&ee, 0, 6); /* EWDS */
    ee_write(&ee, 10, 0x5678, 6);
    g_assert_cmphex(ee_read(&ee, 10, 6), ==, 0x1234);
}

static void test_write_incomplete(void)
{
    Eeprom93xx ee;

    ee_fill(&ee, 6);
    ee_ext(&ee, 3, 6);
    ee_select(&ee);
    ee_send(&ee, OP_WRITE << 6 | 20, 9);
    ee_send(&ee, 0x3ff, 10);
    ee_deselect(&ee);
    g_assert_cmphex(ee_read(&ee, 20, 6), ==, 0x8129 + 20 * 0x0101);
}

static void test_erase_and_all(void)
{
    Eeprom93xx ee;

    ee_fill(&ee, 6);
    ee_ext(&ee, 3, 6);
    ee_select(&ee);
    ee_send(&ee, OP_ERASE << 6 | 7, 9);
    ee_deselect(&ee);
    g_assert_cmphex(ee_read(&ee, 7, 6), ==, 0xffff);
    g_assert_cmphex(ee_read(&ee, 8, 6), ==, 0x8129 + 8 * 0x0101);

    /* WRAL */
    ee_select(&ee);
    ee_send(&ee, OP_EXT << 6 | 1 << 4, 9);
    ee_send(&ee, 0xa55a, 16);
    ee_deselect(&ee);
    for (unsigned a = 0; a < 64; a++) {
        g_assert_cmphex(eeprom93xx_read_word(&ee, a), ==, 0xa55a);
    }
    /* ERAL */
    ee_ext(&ee, 2, 6);
    for (unsigned a = 0; a < 64; a++) {
        g_assert_cmphex(eeprom93xx_read_word(&ee, a), ==, 0xffff);
    }
}

static void test_93c56(void)
{
    Eeprom93xx ee;

    ee_fill(&ee, 8);
    g_assert_cmphex(ee_read(&ee, 0, 8), ==, 0x8129);
    g_assert_cmphex(ee_read(&ee, 200, 8), ==,
                    (uint16_t)(0x8129 + 200 * 0x0101));
    ee_ext(&ee, 3, 8);
    ee_write(&ee, 255, 0xbeef, 8);
    g_assert_cmphex(ee_read(&ee, 255, 8), ==, 0xbeef);
}

static void test_init_short_image(void)
{
    static const uint16_t words[2] = {0x8129, 0x10ec};
    Eeprom93xx ee;

    eeprom93xx_init(&ee, 6, words, 2);
    g_assert_cmphex(ee_read(&ee, 1, 6), ==, 0x10ec);
    g_assert_cmphex(ee_read(&ee, 2, 6), ==, 0xffff);
    g_assert_cmphex(eeprom93xx_read_word(&ee, 64 + 1), ==, 0x10ec);
}

/* Arbitrary pin sequences: state stays in bounds, reads still work. */
static void test_random_pins(void)
{
    GRand *rand = g_rand_new_with_seed(8139);
    Eeprom93xx ee;

    ee_fill(&ee, 6);
    for (unsigned i = 0; i < 200000; i++) {
        guint32 r = g_rand_int(rand);

        eeprom93xx_set_pins(&ee, r & 1, r & 2, r & 4);
        g_assert_cmpuint(ee.addr, <, ee.words);
        g_assert_cmpuint(ee.out_left, <=, 16);
    }
    g_rand_free(rand);
    ee_ext(&ee, 3, 6);
    ee_write(&ee, 33, 0x0bad, 6);
    g_assert_cmphex(ee_read(&ee, 33, 6), ==, 0x0bad);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/eeprom93xx/read/words", test_read_words);
    g_test_add_func("/eeprom93xx/read/dummy-bit", test_read_dummy_bit);
    g_test_add_func("/eeprom93xx/read/sequential", test_read_sequential);
    g_test_add_func("/eeprom93xx/read/8bit-probe", test_read_8bit_probe);
    g_test_add_func("/eeprom93xx/read/leading-zeros", test_read_leading_zeros);
    g_test_add_func("/eeprom93xx/read/deselect", test_deselect);
    g_test_add_func("/eeprom93xx/write/disabled", test_write_disabled);
    g_test_add_func("/eeprom93xx/write/enabled", test_write_enabled);
    g_test_add_func("/eeprom93xx/write/incomplete", test_write_incomplete);
    g_test_add_func("/eeprom93xx/write/erase-all", test_erase_and_all);
    g_test_add_func("/eeprom93xx/93c56", test_93c56);
    g_test_add_func("/eeprom93xx/init/short-image", test_init_short_image);
    g_test_add_func("/eeprom93xx/random-pins", test_random_pins);
    return g_test_run();
}
