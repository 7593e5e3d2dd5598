/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests for core/mac.c: strict parsing of mac=, the error texts, printing,
 * and the bit patterns of generated addresses (locally administered
 * unicast, or Xen's OUI as libxl makes them).
 */
#include <glib.h>
#include <string.h>

#include "emunet/net.h"

#define TEST_SAMPLES 2000

static void test_parse_ok(const char *str, const uint8_t *want)
{
    GError *err = NULL;
    MacAddr mac;

    memset(&mac, 0xee, sizeof(mac));
    g_assert_true(net_mac_parse(str, &mac, &err));
    g_assert_no_error(err);
    g_assert_cmpmem(mac.a, ETH_ALEN, want, ETH_ALEN);
}

/* A refused address leaves *mac alone and names the reason. */
static void test_parse_fails(const char *str, const char *reason_fmt)
{
    GError *err = NULL;
    MacAddr mac;
    MacAddr orig;
    char *want;

    memset(&orig, 0x5a, sizeof(orig));
    mac = orig;
    g_assert_false(net_mac_parse(str, &mac, &err));
    g_assert_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
    want = g_strdup_printf(reason_fmt, str);
    g_assert_cmpstr(err->message, ==, want);
    g_assert_cmpmem(mac.a, ETH_ALEN, orig.a, ETH_ALEN);
    g_free(want);
    g_error_free(err);

    /* errp may be NULL. */
    g_assert_false(net_mac_parse(str, &mac, NULL));
}

static void test_mac_parse_colon(void)
{
    static const uint8_t want[6] = { 0x00, 0x16, 0x3e, 0x74, 0x3d, 0x76 };
    static const uint8_t upper[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

    /* The example from xl-network-configuration(5). */
    test_parse_ok("00:16:3E:74:3d:76", want);
    test_parse_ok("00:16:3e:74:3d:76", want);
    test_parse_ok("52:54:00:AB:cd:Ef", upper);
}

static void test_mac_parse_dash(void)
{
    static const uint8_t want[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
    static const uint8_t high[6] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff };

    test_parse_ok("02-00-00-00-00-01", want);
    /* Unicast with every other bit set is fine. */
    test_parse_ok("fe-ff-ff-ff-ff-ff", high);
}

static void test_mac_parse_invalid(void)
{
    static const char *const bad[] = {
        "",
        "00:16:3e:12:34",
        "00:16:3e:12:34:",
        "00:16:3e:12:34:56:",
        "00:16:3e:12:34:56:78",
        "0:16:3e:12:34:56",
        "00:16:3e:12:34:5",
        "00:16:3e:1:34:567",
        "000:16:3e:12:34:5",
        "00:16-3e:12:34:56",
        "00-16-3e-12-34:56",
        "00.16.3e.12.34.56",
        "00 16 3e 12 34 56",
        "00163e123456",
        "0g:16:3e:12:34:56",
        "00:16:3e:12:34:5z",
        " 00:16:3e:12:34:56",
        "00:16:3e:12:34:56 ",
        "00:16:3e:12:34:5\n",
        "+0:16:3e:12:34:56",
        "0x:16:3e:12:34:56",
        "00::16:3e:12:34:5",
        "00:16:3e:12:34:\xc3\xa9",
        "00:16:3e:12:34:\xc3",
    };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        test_parse_fails(bad[i], "invalid MAC address '%s'");
    }
}

static void test_mac_parse_multicast(void)
{
    test_parse_fails("01:00:5e:00:00:01", "MAC address '%s' is multicast");
    test_parse_fails("33-33-00-00-00-01", "MAC address '%s' is multicast");
    test_parse_fails("ff:ff:ff:ff:ff:ff", "MAC address '%s' is multicast");
    test_parse_fails("03:00:00:00:00:00", "MAC address '%s' is multicast");
}

static void test_mac_parse_zero(void)
{
    test_parse_fails("00:00:00:00:00:00", "MAC address '%s' is all zero");
    test_parse_fails("00-00-00-00-00-00", "MAC address '%s' is all zero");
}

static void test_mac_format(void)
{
    static const MacAddr mac = { { 0x00, 0x16, 0x3e, 0xab, 0x0c, 0xf0 } };
    char buf[18];
    char big[32];

    g_assert_true(net_mac_format(&mac, buf) == buf);
    g_assert_cmpstr(buf, ==, "00:16:3e:ab:0c:f0");

    /* Exactly 17 characters and a NUL, nothing written beyond. */
    memset(big, 'x', sizeof(big));
    net_mac_format(&mac, big);
    g_assert_cmpint(big[17], ==, '\0');
    g_assert_cmpint(big[18], ==, 'x');
}

static void test_mac_roundtrip(void)
{
    MacAddr mac, back;
    char buf[18];
    int i, j;

    for (i = 0; i < 256; i++) {
        for (j = 0; j < ETH_ALEN; j++) {
            mac.a[j] = (uint8_t)(i * (j + 1) + j);
        }
        /* Only unicast, non-zero addresses parse back. */
        mac.a[0] = (uint8_t)((mac.a[0] & 0xfe) | 0x02);
        net_mac_format(&mac, buf);
        g_assert_true(net_mac_parse(buf, &back, NULL));
        g_assert_cmpmem(back.a, ETH_ALEN, mac.a, ETH_ALEN);
    }
}

/*
 * Generate TEST_SAMPLES addresses and record, bit by bit, which values
 * were seen: a bit meant to be random must take both values. Each
 * address also has to survive format + parse.
 */
static void test_generate_bits(bool xen_oui, uint8_t seen0[ETH_ALEN],
                               uint8_t seen1[ETH_ALEN])
{
    int n, k;

    memset(seen0, 0, ETH_ALEN);
    memset(seen1, 0, ETH_ALEN);
    for (n = 0; n < TEST_SAMPLES; n++) {
        MacAddr mac, back;
        char buf[18];

        net_mac_generate(&mac, xen_oui);
        for (k = 0; k < ETH_ALEN; k++) {
            seen0[k] |= (uint8_t)~mac.a[k];
            seen1[k] |= mac.a[k];
        }
        g_assert_true(net_mac_parse(net_mac_format(&mac, buf), &back, NULL));
        g_assert_cmpmem(back.a, ETH_ALEN, mac.a, ETH_ALEN);
    }
}

static void test_mac_generate_local(void)
{
    uint8_t seen0[ETH_ALEN], seen1[ETH_ALEN];
    int k;

    test_generate_bits(false, seen0, seen1);
    /* First octet xxxxxx10: I/G always 0, U/L always 1. */
    g_assert_cmphex(seen1[0] & 0x03, ==, 0x02);
    g_assert_cmphex(seen0[0] & 0x03, ==, 0x01);
    /* The 46 other bits all vary. */
    g_assert_cmphex(seen0[0] & seen1[0] & 0xfc, ==, 0xfc);
    for (k = 1; k < ETH_ALEN; k++) {
        g_assert_cmphex(seen0[k] & seen1[k], ==, 0xff);
    }
}

static void test_mac_generate_xen(void)
{
    uint8_t seen0[ETH_ALEN], seen1[ETH_ALEN];

    test_generate_bits(true, seen0, seen1);
    /* 00:16:3e always. */
    g_assert_cmphex(seen1[0], ==, 0x00);
    g_assert_cmphex(seen1[1], ==, 0x16);
    g_assert_cmphex(seen1[2], ==, 0x3e);
    g_assert_cmphex(seen0[0], ==, 0xff);
    g_assert_cmphex(seen0[1], ==, (uint8_t)~0x16);
    g_assert_cmphex(seen0[2], ==, (uint8_t)~0x3e);
    /* libxl: r[0] & 0x7f, so bit 7 of the fourth octet is always clear. */
    g_assert_cmphex(seen1[3] & 0x80, ==, 0);
    g_assert_cmphex(seen0[3] & seen1[3], ==, 0x7f);
    g_assert_cmphex(seen0[4] & seen1[4], ==, 0xff);
    g_assert_cmphex(seen0[5] & seen1[5], ==, 0xff);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/mac/parse/colon", test_mac_parse_colon);
    g_test_add_func("/mac/parse/dash", test_mac_parse_dash);
    g_test_add_func("/mac/parse/invalid", test_mac_parse_invalid);
    g_test_add_func("/mac/parse/multicast", test_mac_parse_multicast);
    g_test_add_func("/mac/parse/zero", test_mac_parse_zero);
    g_test_add_func("/mac/format", test_mac_format);
    g_test_add_func("/mac/roundtrip", test_mac_roundtrip);
    g_test_add_func("/mac/generate/local", test_mac_generate_local);
    g_test_add_func("/mac/generate/xen-oui", test_mac_generate_xen);

    return g_test_run();
}
