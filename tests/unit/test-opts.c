/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Option-string unit tests: QEMU's -device/-netdev grammar, value
 * accessors and their error messages, and -m style sizes.
 */
#include "emunet/opts.h"

static const char *const multi[] = {"hostfwd", NULL};

/* Parse, expecting success. */
static EmuOpts *parse_ok(const char *str, const char *implied)
{
    GError *err = NULL;
    EmuOpts *opts = opts_parse(str, implied, multi, &err);

    g_assert_no_error(err);
    g_assert_nonnull(opts);
    return opts;
}

/* Parse, expecting failure with exactly `msg`. */
static void parse_fails(const char *str, const char *implied, const char *msg)
{
    GError *err = NULL;

    g_assert_null(opts_parse(str, implied, multi, &err));
    g_assert_nonnull(err);
    g_assert_cmpstr(err->message, ==, msg);
    g_error_free(err);
}

static void test_parse_basic(void)
{
    g_autoptr(EmuOpts) dev =
        parse_ok("e1000,netdev=n0,mac=52:54:00:12:34:56", "driver");
    g_autoptr(EmuOpts) net =
        parse_ok("type=tap,id=n0,ifname=vif3.0-emu", "type");
    g_autoptr(EmuOpts) empty = parse_ok("", "driver");

    g_assert_cmpstr(opts_get(dev, "driver"), ==, "e1000");
    g_assert_cmpstr(opts_get(dev, "netdev"), ==, "n0");
    g_assert_cmpstr(opts_get(dev, "mac"), ==, "52:54:00:12:34:56");
    g_assert_null(opts_get(dev, "id"));
    /* An explicit first key is as good as the implied one. */
    g_assert_cmpstr(opts_get(net, "type"), ==, "tap");
    g_assert_cmpstr(opts_get(net, "ifname"), ==, "vif3.0-emu");
    g_assert_null(opts_get(empty, "driver"));
}

static void test_parse_escapes(void)
{
    g_autoptr(EmuOpts) a = parse_ok("socket,path=/tmp/a,,b,id=x", "type");
    g_autoptr(EmuOpts) b = parse_ok("we,,ird,k=v", "driver");
    g_autoptr(EmuOpts) c = parse_ok("k=a=b,e=,t=x,,,y=1", NULL);
    g_autoptr(EmuOpts) d = parse_ok("k=1,,b=2", NULL);

    g_assert_cmpstr(opts_get(a, "path"), ==, "/tmp/a,b");
    g_assert_cmpstr(opts_get(a, "id"), ==, "x");
    g_assert_cmpstr(opts_get(b, "driver"), ==, "we,ird");
    g_assert_cmpstr(opts_get(b, "k"), ==, "v");
    g_assert_cmpstr(opts_get(c, "k"), ==, "a=b");
    g_assert_cmpstr(opts_get(c, "e"), ==, "");
    g_assert_cmpstr(opts_get(c, "t"), ==, "x,");
    g_assert_cmpstr(opts_get(c, "y"), ==, "1");
    /* ",," never separates: the second "option" is part of the value. */
    g_assert_cmpstr(opts_get(d, "k"), ==, "1,b=2");
    g_assert_null(opts_get(d, "b"));
}

static void test_parse_flags(void)
{
    g_autoptr(EmuOpts) a = parse_ok("tap,vhost,id=n", "type");
    g_autoptr(EmuOpts) b = parse_ok("quiet,level=3", NULL);
    bool on = false;

    g_assert_cmpstr(opts_get(a, "vhost"), ==, "on");
    g_assert_true(opts_get_bool(a, "vhost", false, &on, NULL));
    g_assert_true(on);
    g_assert_cmpstr(opts_get(b, "quiet"), ==, "on");
    g_assert_cmpstr(opts_get(b, "level"), ==, "3");
}

static void test_parse_multi(void)
{
    g_autoptr(EmuOpts) o = parse_ok(
        "user,hostfwd=tcp::2222-:22,id=n,hostfwd=udp::5353-:53,,x", "type");
    const char *const *all = opts_get_all(o, "hostfwd");
    const char *const *one = opts_get_all(o, "id");
    const char *const *none = opts_get_all(o, "nope");

    g_assert_cmpuint(g_strv_length((char **)all), ==, 2);
    g_assert_cmpstr(all[0], ==, "tcp::2222-:22");
    g_assert_cmpstr(all[1], ==, "udp::5353-:53,x");
    g_assert_cmpstr(opts_get(o, "hostfwd"), ==, "tcp::2222-:22");
    g_assert_cmpstr(one[0], ==, "n");
    g_assert_null(one[1]);
    g_assert_nonnull(none);
    g_assert_null(none[0]);
}

static void test_parse_errors(void)
{
    parse_fails("=x", NULL, "option without a key: '=x'");
    parse_fails("e1000,=x,,y", "driver", "option without a key: '=x,y'");
    parse_fails("a=1,b=2,a=3", NULL, "option 'a' given more than once");
    parse_fails("e1000,driver=rtl8139", "driver",
                "option 'driver' given more than once");
    parse_fails("a=1,", NULL, "trailing comma in 'a=1,'");
    parse_fails(",a=1", "driver", "empty option in ',a=1'");
    parse_fails("a=1,,,,,", NULL, "trailing comma in 'a=1,,,,,'");
    parse_fails("flag,,x", NULL, "empty option in 'flag,,x'");
    parse_fails("flag,,,x", NULL, "invalid option name in 'flag,,,x'");
}

static void test_get_bool(void)
{
    g_autoptr(EmuOpts) o =
        parse_ok("a=on,b=off,c=yes,d=no,e=true,f=false,g=maybe,h=ON", NULL);
    static const struct {
        const char *key;
        bool want;
    } good[] = {
        {"a", true},  {"b", false}, {"c", true},
        {"d", false}, {"e", true},  {"f", false},
    };
    GError *err = NULL;
    bool v;

    for (unsigned i = 0; i < G_N_ELEMENTS(good); i++) {
        v = !good[i].want;
        g_assert_true(opts_get_bool(o, good[i].key, !good[i].want, &v, &err));
        g_assert_no_error(err);
        g_assert_true(v == good[i].want);
    }
    g_assert_true(opts_get_bool(o, "absent", true, &v, NULL));
    g_assert_true(v);
    g_assert_true(opts_get_bool(o, "absent", false, &v, NULL));
    g_assert_false(v);

    g_assert_false(opts_get_bool(o, "g", false, &v, &err));
    g_assert_cmpstr(err->message, ==,
                    "option 'g' expects on or off, got 'maybe'");
    g_clear_error(&err);
    g_assert_false(opts_get_bool(o, "h", false, &v, &err));
    g_clear_error(&err);
}

/* Read `key` as a number, expecting failure with exactly `msg`. */
static void u64_fails(EmuOpts *o, const char *key, bool size, const char *msg)
{
    GError *err = NULL;
    uint64_t v = 42;

    g_assert_false(opts_get_u64(o, key, 0, size, &v, &err));
    g_assert_nonnull(err);
    g_assert_cmpstr(err->message, ==, msg);
    g_error_free(err);
}

static void test_get_u64(void)
{
    g_autoptr(EmuOpts) o = parse_ok(
        "fd=3,hex=0x1F,max=18446744073709551615,big=18446744073709551616,"
        "x=x,neg=-1,sp= 1,suf=4k,mb=0x10M,tb=16777216T,empty=,hx=0x,"
        "zero=0,trail=12z",
        NULL);
    GError *err = NULL;
    uint64_t v;

    g_assert_true(opts_get_u64(o, "fd", 0, false, &v, NULL));
    g_assert_cmpuint(v, ==, 3);
    g_assert_true(opts_get_u64(o, "hex", 0, false, &v, NULL));
    g_assert_cmpuint(v, ==, 31);
    g_assert_true(opts_get_u64(o, "max", 0, false, &v, NULL));
    g_assert_cmpuint(v, ==, UINT64_MAX);
    g_assert_true(opts_get_u64(o, "zero", 7, false, &v, NULL));
    g_assert_cmpuint(v, ==, 0);
    g_assert_true(opts_get_u64(o, "absent", 77, false, &v, NULL));
    g_assert_cmpuint(v, ==, 77);
    g_assert_true(opts_get_u64(o, "suf", 0, true, &v, NULL));
    g_assert_cmpuint(v, ==, 4096);
    g_assert_true(opts_get_u64(o, "mb", 0, true, &v, NULL));
    g_assert_cmpuint(v, ==, 16u << 20);
    g_assert_true(opts_get_u64(o, "fd", 0, true, &v, NULL));
    g_assert_cmpuint(v, ==, 3);

    u64_fails(o, "x", false, "option 'x' expects a number, got 'x'");
    u64_fails(o, "neg", false, "option 'neg' expects a number, got '-1'");
    u64_fails(o, "sp", false, "option 'sp' expects a number, got ' 1'");
    u64_fails(o, "empty", false, "option 'empty' expects a number, got ''");
    u64_fails(o, "hx", false, "option 'hx' expects a number, got '0x'");
    u64_fails(o, "trail", false, "option 'trail' expects a number, got '12z'");
    u64_fails(o, "suf", false, "option 'suf' expects a number, got '4k'");
    u64_fails(o, "big", false,
              "option 'big' is too large: '18446744073709551616'");
    u64_fails(o, "tb", true, "option 'tb' is too large: '16777216T'");
    u64_fails(o, "x", true, "option 'x' expects a size, got 'x'");

    /* Callers name the group, as the rest of the CLI reports it. */
    g_assert_false(opts_get_u64(o, "x", 0, false, &v, &err));
    g_prefix_error(&err, "netdev: ");
    g_assert_cmpstr(err->message, ==,
                    "netdev: option 'x' expects a number, got 'x'");
    g_clear_error(&err);
}

static void test_check_known(void)
{
    static const char *const known[] = {"type", "id", "fd", NULL};
    g_autoptr(EmuOpts) good = parse_ok("socket,id=n0,fd=4", "type");
    g_autoptr(EmuOpts) bad = parse_ok("socket,id=n0,bogus=1,worse=2", "type");
    GError *err = NULL;

    g_assert_true(opts_check_known(good, "netdev", known, &err));
    g_assert_no_error(err);
    g_assert_false(opts_check_known(bad, "netdev", known, &err));
    g_assert_cmpstr(err->message, ==, "netdev: unknown option 'bogus'");
    g_clear_error(&err);
}

/* opts_parse_size, expecting `want`. */
static void size_is(const char *str, bool mib, uint64_t want)
{
    GError *err = NULL;
    uint64_t v = 0;

    g_assert_true(opts_parse_size(str, mib, &v, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(v, ==, want);
}

/* opts_parse_size, expecting failure; overflow or syntax per `too_big`. */
static void size_fails(const char *str, bool mib, bool too_big)
{
    GError *err = NULL;
    uint64_t v = 0;
    g_autofree char *msg =
        too_big
            ? g_strdup_printf("size '%s' is too large", str)
            : g_strdup_printf("invalid size '%s' (expected a number with an "
                              "optional k, M, G or T suffix)",
                              str);

    g_assert_false(opts_parse_size(str, mib, &v, &err));
    g_assert_nonnull(err);
    g_assert_cmpstr(err->message, ==, msg);
    g_error_free(err);
}

static void test_size(void)
{
    size_is("128M", false, 128ULL << 20);
    size_is("128m", true, 128ULL << 20);
    size_is("1G", false, 1ULL << 30);
    size_is("2k", false, 2048);
    size_is("2K", false, 2048);
    size_is("3T", false, 3ULL << 40);
    size_is("4096", false, 4096);
    /* QEMU -m: a bare number is MiB. */
    size_is("4096", true, 4096ULL << 20);
    size_is("0x100", true, 0x100ULL << 20);
    size_is("0", true, 0);
    size_is("16777215T", false, 16777215ULL << 40);
    size_is("17592186044415", true, 17592186044415ULL << 20);

    size_fails("", true, false);
    size_fails("M", false, false);
    size_fails("12Q", false, false);
    size_fails("1MB", false, false);
    size_fails("-5", false, false);
    size_fails("1 G", false, false);
    size_fails("0x", false, false);
    size_fails("16777216T", false, true);
    size_fails("17179869184G", false, true);
    size_fails("17592186044416", true, true);
    size_fails("99999999999999999999", false, true);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/opts/parse/basic", test_parse_basic);
    g_test_add_func("/opts/parse/escapes", test_parse_escapes);
    g_test_add_func("/opts/parse/flags", test_parse_flags);
    g_test_add_func("/opts/parse/multi", test_parse_multi);
    g_test_add_func("/opts/parse/errors", test_parse_errors);
    g_test_add_func("/opts/get/bool", test_get_bool);
    g_test_add_func("/opts/get/u64", test_get_u64);
    g_test_add_func("/opts/check-known", test_check_known);
    g_test_add_func("/opts/size", test_size);
    return g_test_run();
}
