/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xl vif specs (core/vifspec.c): every key, the defaults xl and libxl
 * apply, the OVS bridge form, rate= as libxlu computes it, devid
 * assignment, tap naming and the refusals.
 */
#include <arpa/inet.h>
#include <string.h>

#include "emunet/vifspec.h"

static VifSpec *parse_ok(const char *text)
{
    g_autoptr(GError) err = NULL;
    VifSpec *s = vifspec_parse(text, &err);

    g_assert_no_error(err);
    g_assert_nonnull(s);
    return s;
}

/* The parse fails and the message contains `needle`. */
static void parse_fails(const char *text, const char *needle)
{
    g_autoptr(GError) err = NULL;
    VifSpec *s = vifspec_parse(text, &err);

    if (s) {
        g_error("'%s' was accepted", text);
    }
    g_assert_error(err, VIFSPEC_ERROR, VIFSPEC_ERROR_INVALID);
    if (!strstr(err->message, needle)) {
        g_error("'%s': message '%s' lacks '%s'", text, err->message, needle);
    }
}

static void test_defaults(void)
{
    g_autoptr(VifSpec) s = parse_ok("");

    g_assert_true(s->emulated);
    g_assert_cmpstr(s->model, ==, "rtl8139");
    g_assert_cmpstr(s->bridge, ==, "xenbr0");
    g_assert_cmpint(s->plumb, ==, VIF_PLUMB_BRIDGE);
    g_assert_null(s->script);
    g_assert_cmpint(s->devid, ==, -1);
    g_assert_false(s->devid_given);
    g_assert_cmpint(s->vlan, ==, -1);
    g_assert_cmpuint(s->n_trunks, ==, 0);
    g_assert_cmpuint(s->n_ips, ==, 0);
    g_assert_cmpuint(s->mtu, ==, 0);
    g_assert_cmpuint(s->rate_bytes, ==, 0);
    g_assert_true(s->trusted);
    g_assert_null(s->ifname);
    /* Generated as libxl does: 00:16:3e, top bit of octet 3 clear. */
    g_assert_false(s->mac_given);
    g_assert_cmphex(s->mac.a[0], ==, 0x00);
    g_assert_cmphex(s->mac.a[1], ==, 0x16);
    g_assert_cmphex(s->mac.a[2], ==, 0x3e);
    g_assert_cmphex(s->mac.a[3] & 0x80, ==, 0);
}

static void test_generated_macs_differ(void)
{
    g_autoptr(VifSpec) a = parse_ok("bridge=br0");
    g_autoptr(VifSpec) b = parse_ok("bridge=br0");
    g_autoptr(VifSpec) c = parse_ok("bridge=br0");

    /* 23 random bits: three equal draws would be a broken generator. */
    g_assert_false(memcmp(a->mac.a, b->mac.a, 6) == 0 &&
                   memcmp(b->mac.a, c->mac.a, 6) == 0);
}

static void test_all_keys(void)
{
    g_autoptr(VifSpec) s = parse_ok(
        " mac=00:16:3E:11:22:33 , bridge=br-lan, ip=192.0.2.7 198.51.100.0/24,"
        "script=/etc/xen/scripts/vif-route,type=ioemu,model=e1000,"
        "vifname=guest1,rate=10Mb/s@20ms,mtu=9000,gatewaydev=veth0,"
        "backend=Domain-0,devid=3,untrusted,accel=on");
    char buf[18];
    char a[INET_ADDRSTRLEN];

    g_assert_true(s->mac_given);
    g_assert_cmpstr(net_mac_format(&s->mac, buf), ==, "00:16:3e:11:22:33");
    g_assert_cmpstr(s->bridge, ==, "br-lan");
    g_assert_cmpuint(s->n_ips, ==, 2);
    inet_ntop(AF_INET, &s->ips[0].addr, a, sizeof(a));
    g_assert_cmpstr(a, ==, "192.0.2.7");
    g_assert_cmpuint(s->ips[0].prefix, ==, 32);
    inet_ntop(AF_INET, &s->ips[1].addr, a, sizeof(a));
    g_assert_cmpstr(a, ==, "198.51.100.0");
    g_assert_cmpuint(s->ips[1].prefix, ==, 24);
    g_assert_cmpstr(s->script, ==, "/etc/xen/scripts/vif-route");
    g_assert_cmpint(s->plumb, ==, VIF_PLUMB_ROUTE);
    g_assert_true(s->emulated);
    g_assert_cmpstr(s->model, ==, "e1000");
    g_assert_cmpstr(s->vifname, ==, "guest1");
    /* 10 Mbit/s = 1.25 MB/s; 20 ms of it. */
    g_assert_cmpuint(s->rate_bytes, ==, 25000);
    g_assert_cmpuint(s->rate_usecs, ==, 20000);
    g_assert_cmpuint(s->mtu, ==, 9000);
    g_assert_cmpstr(s->gatewaydev, ==, "veth0");
    g_assert_cmpstr(s->backend, ==, "Domain-0");
    g_assert_cmpint(s->devid, ==, 3);
    g_assert_true(s->devid_given);
    g_assert_false(s->trusted);
}

static void test_mac_forms(void)
{
    g_autoptr(VifSpec) a = parse_ok("mac=0:16:3e:1:2:a");
    g_autoptr(VifSpec) zero = parse_ok("mac=00:00:00:00:00:00");
    g_autoptr(VifSpec) local = parse_ok("mac=02:00:00:00:00:01");
    char buf[18];

    /* xl takes one-digit groups (strtoul per group). */
    g_assert_cmpstr(net_mac_format(&a->mac, buf), ==, "00:16:3e:01:02:0a");
    /* All zero means "generate", as libxl__mac_is_default. */
    g_assert_false(zero->mac_given);
    g_assert_cmphex(zero->mac.a[1], ==, 0x16);
    g_assert_true(local->mac_given);

    parse_fails("mac=01:16:3e:11:22:33", "multicast");
    parse_fails("mac=ff:ff:ff:ff:ff:ff", "multicast");
    parse_fails("mac=00:16:3e:11:22", "six hex bytes");
    parse_fails("mac=00:16:3e:11:22:33:44", "six hex bytes");
    parse_fails("mac=00-16-3e-11-22-33", "six hex bytes");
    parse_fails("mac=00:16:3e:11:22:3g", "six hex bytes");
    parse_fails("mac=000:16:3e:11:22:33", "six hex bytes");
    parse_fails("mac=", "six hex bytes");
}

static void test_ovs_bridge(void)
{
    g_autoptr(VifSpec) tag =
        parse_ok("script=vif-openvswitch,bridge=ovsbr.102");
    g_autoptr(VifSpec) trunk =
        parse_ok("bridge=ovsbr:101:202,script=vif-openvswitch");
    g_autoptr(VifSpec) both =
        parse_ok("bridge=ovsbr.7:8:9:10,script=vif-openvswitch");
    g_autoptr(VifSpec) plain = parse_ok("bridge=ovsbr,script=vif-openvswitch");

    g_assert_cmpint(tag->plumb, ==, VIF_PLUMB_OVS);
    g_assert_cmpstr(tag->bridge, ==, "ovsbr");
    g_assert_cmpint(tag->vlan, ==, 102);
    g_assert_cmpuint(tag->n_trunks, ==, 0);

    g_assert_cmpstr(trunk->bridge, ==, "ovsbr");
    g_assert_cmpint(trunk->vlan, ==, -1);
    g_assert_cmpuint(trunk->n_trunks, ==, 2);
    g_assert_cmpuint(trunk->trunks[0], ==, 101);
    g_assert_cmpuint(trunk->trunks[1], ==, 202);

    g_assert_cmpint(both->vlan, ==, 7);
    g_assert_cmpuint(both->n_trunks, ==, 3);
    g_assert_cmpuint(both->trunks[2], ==, 10);

    g_assert_cmpstr(plain->bridge, ==, "ovsbr");
    g_assert_cmpint(plain->vlan, ==, -1);

    parse_fails("bridge=ovsbr.4096,script=vif-openvswitch", "VLAN");
    parse_fails("bridge=ovsbr.,script=vif-openvswitch", "BRIDGE[.VLAN]");
    parse_fails("bridge=ovsbr:1::2,script=vif-openvswitch", "BRIDGE[.VLAN]");
    parse_fails("bridge=ovsbr:1:x,script=vif-openvswitch", "BRIDGE[.VLAN]");
    parse_fails("bridge=ovsbr.1.2,script=vif-openvswitch", "BRIDGE[.VLAN]");
    parse_fails("bridge=.5,script=vif-openvswitch", "not a valid bridge");
    /* With vif-bridge, a dot is part of the name (as in eth0.102)... */
    {
        g_autoptr(VifSpec) dotted = parse_ok("bridge=br0.102");

        g_assert_cmpstr(dotted->bridge, ==, "br0.102");
        g_assert_cmpint(dotted->vlan, ==, -1);
    }
    /* ...but a colon cannot be in an interface name. */
    parse_fails("bridge=br0:101", "needs script=vif-openvswitch");
}

static void test_scripts(void)
{
    g_autoptr(VifSpec) br = parse_ok("script=vif-bridge");
    g_autoptr(VifSpec) nat = parse_ok("script=vif-nat");
    g_autoptr(VifSpec) route = parse_ok("script=vif-route,ip=10.1.2.3");

    g_assert_cmpint(br->plumb, ==, VIF_PLUMB_BRIDGE);
    g_assert_cmpint(nat->plumb, ==, VIF_PLUMB_NAT);
    g_assert_cmpint(route->plumb, ==, VIF_PLUMB_ROUTE);
    parse_fails("script=my-script", "runs no hotplug scripts");
    parse_fails("script=/etc/xen/scripts/vif-bridge2", "no hotplug scripts");
}

static void test_type_model(void)
{
    g_autoptr(VifSpec) pv = parse_ok("type=vif");
    g_autoptr(VifSpec) e = parse_ok("model=e1000-82540em");

    g_assert_false(pv->emulated);
    g_assert_cmpstr(e->model, ==, "e1000-82540em");
    parse_fails("type=netfront", "ioemu or vif");
    parse_fails("model=virtio-net", "rtl8139 and e1000");
    parse_fails("model=", "rtl8139 and e1000");
}

static void test_rate(void)
{
    static const struct {
        const char *text;
        uint64_t bytes;
        uint32_t usecs;
    } ok[] = {
        {"100B/s", 5, 50000},
        {"1KB/s", 50, 50000},
        {"8Kb/s", 50, 50000},
        {"10Mb/s", 62500, 50000},
        {"1GB/s", 50000000, 50000},
        {"1Gb/s@1s", 125000000, 1000000},
        {"1MB/s@100ms", 100000, 100000},
        {"1MB/s@100m", 100000, 100000},
        {"1MB/s@250us", 250, 250},
        {"1MB/s@250u", 250, 250},
        {"1MB/s@2", 2000000, 2000000},
        {"4294967295B/s@1s", 4294967295ULL, 1000000},
    };
    static const char *const bad[] = {
        "",       "10", "10M/s",   "10Mb",      "10mb/s",    "10MB/s@",
        "0B/s",   "-1B/s",  "1.5MB/s",   "10MB/s@0ms", "10MB/s@5h",
        "4294967296B/s", "10MB/s@1ss", "0x10B/s", "10 MB/s", "1b/s",
        "10MB/s@4295s",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
        g_autoptr(GError) err = NULL;
        uint64_t bytes = 0;
        uint32_t usecs = 0;

        if (!vifspec_parse_rate(ok[i].text, &bytes, &usecs, &err)) {
            g_error("rate=%s refused: %s", ok[i].text, err->message);
        }
        g_assert_cmpuint(bytes, ==, ok[i].bytes);
        g_assert_cmpuint(usecs, ==, ok[i].usecs);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        uint64_t bytes = 0;
        uint32_t usecs = 0;

        if (vifspec_parse_rate(bad[i], &bytes, &usecs, &err)) {
            g_error("rate=%s accepted", bad[i]);
        }
        g_assert_error(err, VIFSPEC_ERROR, VIFSPEC_ERROR_INVALID);
        g_assert_true(strstr(err->message, "rate=") != NULL);
    }
}

static void test_refusals(void)
{
    parse_fails("bogus=1", "unknown key 'bogus'");
    parse_fails("bridge=a,bridge=b", "bridge= given twice");
    parse_fails("gatewaydev=a,netdev=b", "given twice");
    parse_fails("trusted,untrusted", "given twice");
    parse_fails("mac", "KEY=VALUE");
    parse_fails("mtu=67", "mtu=67");
    parse_fails("mtu=65536", "mtu=65536");
    parse_fails("mtu=1500x", "mtu=1500x");
    parse_fails("devid=-1", "devid=-1");
    parse_fails("devid=65536", "devid=65536");
    parse_fails("devid=0x10", "devid=0x10");
    parse_fails("ip=10.0.0.300", "not an IPv4 address");
    parse_fails("ip=10.0.0.1/33", "prefix");
    parse_fails("ip=fe80::1", "not an IPv4 address");
    parse_fails("ip=", "no address");
    parse_fails("vifname=a/b", "vifname=a/b");
    parse_fails("vifname=sixteen-chars-xx", "vifname=");
    parse_fails("gatewaydev=eth 0", "gatewaydev=");
    parse_fails("colo_forwarddev=x", "COLO");
    parse_fails("bridge=br 0", "not a valid bridge name");
    /* netdev= is gatewaydev's deprecated name. */
    {
        g_autoptr(VifSpec) s = parse_ok("netdev=eth1,,");

        g_assert_cmpstr(s->gatewaydev, ==, "eth1");
    }
}

static VifSpec **parse_list(const char *const *texts, guint n)
{
    VifSpec **v = g_new0(VifSpec *, n);

    for (guint i = 0; i < n; i++) {
        v[i] = parse_ok(texts[i]);
    }
    return v;
}

static void free_list(VifSpec **v, guint n)
{
    for (guint i = 0; i < n; i++) {
        vifspec_free(v[i]);
    }
    g_free(v);
}

static void test_devids_and_names(void)
{
    static const char *const texts[] = {
        "bridge=br0", "devid=0,bridge=br1", "vifname=web", "bridge=br2",
        "type=vif",
    };
    VifSpec **v = parse_list(texts, G_N_ELEMENTS(texts));
    g_autoptr(GError) err = NULL;

    g_assert_true(vifspec_finish_list(v, G_N_ELEMENTS(texts), 7, &err));
    g_assert_no_error(err);
    /* Lowest free: devid 0 is taken by the explicit one. */
    g_assert_cmpint(v[0]->devid, ==, 1);
    g_assert_cmpint(v[1]->devid, ==, 0);
    g_assert_cmpint(v[2]->devid, ==, 2);
    g_assert_cmpint(v[3]->devid, ==, 3);
    /* A PV-only vif still takes its devid. */
    g_assert_cmpint(v[4]->devid, ==, 4);
    g_assert_cmpstr(v[0]->ifname, ==, "vif7.1-emu");
    g_assert_cmpstr(v[1]->ifname, ==, "vif7.0-emu");
    g_assert_cmpstr(v[2]->ifname, ==, "web-emu");
    g_assert_cmpstr(v[3]->ifname, ==, "vif7.3-emu");
    free_list(v, G_N_ELEMENTS(texts));
}

static void test_index_is_devid(void)
{
    static const char *const texts[] = {"bridge=a", "bridge=b", "bridge=c"};
    VifSpec **v = parse_list(texts, 3);
    g_autoptr(GError) err = NULL;

    /* No --domid: domid 0 in the name. */
    g_assert_true(vifspec_finish_list(v, 3, -1, &err));
    for (int i = 0; i < 3; i++) {
        g_autofree char *want = g_strdup_printf("vif0.%d-emu", i);

        g_assert_cmpint(v[i]->devid, ==, i);
        g_assert_cmpstr(v[i]->ifname, ==, want);
    }
    free_list(v, 3);
}

static void test_name_lengths(void)
{
    static const char *const longest[] = {"devid=99"};
    static const char *const too_long[] = {"devid=100"};
    static const char *const vifname16[] = {"vifname=abcdefghijkl"};
    static const char *const vifname15[] = {"vifname=abcdefghijk"};
    VifSpec **v;
    GError *err = NULL;

    v = parse_list(longest, 1);
    g_assert_true(vifspec_finish_list(v, 1, 32767, &err));
    g_assert_cmpstr(v[0]->ifname, ==, "vif32767.99-emu");
    g_assert_cmpuint(strlen(v[0]->ifname), ==, 15);
    free_list(v, 1);

    v = parse_list(too_long, 1);
    g_assert_false(vifspec_finish_list(v, 1, 32767, &err));
    g_assert_nonnull(strstr(err->message, "vif32767.100-emu"));
    g_assert_nonnull(strstr(err->message, "at most 15"));
    g_clear_error(&err);
    free_list(v, 1);

    v = parse_list(vifname16, 1);
    g_assert_false(vifspec_finish_list(v, 1, 1, &err));
    g_assert_nonnull(strstr(err->message, "abcdefghijkl-emu"));
    g_clear_error(&err);
    free_list(v, 1);

    v = parse_list(vifname15, 1);
    g_assert_true(vifspec_finish_list(v, 1, 1, &err));
    g_assert_cmpstr(v[0]->ifname, ==, "abcdefghijk-emu");
    free_list(v, 1);
}

static void test_list_conflicts(void)
{
    static const char *const dup_devid[] = {"devid=2", "devid=2"};
    static const char *const dup_name[] = {"vifname=x", "vifname=x"};
    static const char *const name_clash[] = {"devid=1", "vifname=vif5.1"};
    VifSpec **v;
    GError *err = NULL;

    v = parse_list(dup_devid, 2);
    g_assert_false(vifspec_finish_list(v, 2, 5, &err));
    g_assert_nonnull(strstr(err->message, "devid=2"));
    g_clear_error(&err);
    free_list(v, 2);

    v = parse_list(dup_name, 2);
    g_assert_false(vifspec_finish_list(v, 2, 5, &err));
    g_assert_nonnull(strstr(err->message, "x-emu"));
    g_clear_error(&err);
    free_list(v, 2);

    v = parse_list(name_clash, 2);
    g_assert_false(vifspec_finish_list(v, 2, 5, &err));
    g_assert_nonnull(strstr(err->message, "vif5.1-emu"));
    g_clear_error(&err);
    free_list(v, 2);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vifspec/defaults", test_defaults);
    g_test_add_func("/vifspec/mac/generated", test_generated_macs_differ);
    g_test_add_func("/vifspec/mac/forms", test_mac_forms);
    g_test_add_func("/vifspec/keys/all", test_all_keys);
    g_test_add_func("/vifspec/keys/ovs-bridge", test_ovs_bridge);
    g_test_add_func("/vifspec/keys/script", test_scripts);
    g_test_add_func("/vifspec/keys/type-model", test_type_model);
    g_test_add_func("/vifspec/keys/rate", test_rate);
    g_test_add_func("/vifspec/keys/refusals", test_refusals);
    g_test_add_func("/vifspec/list/devids-names", test_devids_and_names);
    g_test_add_func("/vifspec/list/index-is-devid", test_index_is_devid);
    g_test_add_func("/vifspec/list/name-lengths", test_name_lengths);
    g_test_add_func("/vifspec/list/conflicts", test_list_conflicts);
    return g_test_run();
}
