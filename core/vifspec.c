/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xl vif specifications; see include/emunet/vifspec.h. Facts from
 * /work/shared/reference/xen-dm-contract.md sections 8 and 9.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "emunet/vifspec.h"

/* Linux IFNAMSIZ - 1. */
#define VIF_IFNAME_MAX 15
/* libxlu's default replenishment interval. */
#define VIF_RATE_INTERVAL_DEFAULT 50000u
/* OVS VLAN ids are 12 bits (ovs-vswitchd.conf.db(5), Port tag). */
#define VIF_VLAN_MAX 4095
/* Devids and domids are printed into names; keep them plausible. */
#define VIF_DEVID_MAX 65535
#define VIF_MTU_MIN 68
#define VIF_MTU_MAX 65535

G_DEFINE_QUARK(emunet - vifspec - error - quark, vifspec_error)

static const char *const vif_models[] = {"rtl8139", "e1000", "e1000-82540em"};

static bool G_GNUC_PRINTF(2, 3) vif_fail(GError **errp, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(errp, VIFSPEC_ERROR, VIFSPEC_ERROR_INVALID, msg);
    g_free(msg);
    return false;
}

/* A decimal number with nothing after it, at most `max`. */
static bool vif_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    return g_ascii_string_to_unsigned(s, 10, 0, max, out, NULL) &&
           g_ascii_isdigit(*s);
}

/* Leading decimal digits of *p (advancing it); false without any. */
static bool vif_take_digits(const char **p, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    const char *s = *p;

    if (!g_ascii_isdigit(*s)) {
        return false;
    }
    for (; g_ascii_isdigit(*s); s++) {
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > max) {
            return false;
        }
    }
    *p = s;
    *out = v;
    return true;
}

/* Linux dev_valid_name(): we never shorten or change a name. */
static bool vif_name_ok(const char *name)
{
    if (!*name || strlen(name) > VIF_IFNAME_MAX || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0) {
        return false;
    }
    for (const char *p = name; *p; p++) {
        if (*p == '/' || *p == ':' || g_ascii_isspace(*p)) {
            return false;
        }
    }
    return true;
}

/*
 * xl parses each of the six groups with strtoul base 16 (xl_parse.c
 * parse_nic_config); libxl then formats two digits. One or two hex
 * digits per group, ':' between them.
 */
static bool vif_parse_mac(const char *s, MacAddr *mac)
{
    for (int i = 0; i < ETH_ALEN; i++) {
        int hi = g_ascii_xdigit_value(s[0]);
        int lo;

        if (hi < 0) {
            return false;
        }
        lo = g_ascii_xdigit_value(s[1]);
        if (lo >= 0) {
            mac->a[i] = (uint8_t)(hi << 4 | lo);
            s += 2;
        } else {
            mac->a[i] = (uint8_t)hi;
            s += 1;
        }
        if (i < ETH_ALEN - 1) {
            if (*s != ':') {
                return false;
            }
            s++;
        }
    }
    return *s == '\0';
}

static bool vif_set_mac(VifSpec *spec, const char *val, GError **errp)
{
    static const uint8_t zero[ETH_ALEN];
    MacAddr mac;

    if (!vif_parse_mac(val, &mac)) {
        return vif_fail(errp, "mac=%s: expected six hex bytes separated by "
                              "':'", val);
    }
    /* libxl__mac_is_default(): all zero asks for a generated address. */
    if (memcmp(mac.a, zero, ETH_ALEN) == 0) {
        return true;
    }
    /* Contract 9: byte 0 bit 0 is the I/G (multicast) bit. */
    if (mac.a[0] & 0x01) {
        return vif_fail(errp, "mac=%s: a multicast address (bit 0 of the "
                              "first byte set) cannot be a NIC's",
                        val);
    }
    spec->mac = mac;
    spec->mac_given = true;
    return true;
}

/*
 * vif-openvswitch's bridge syntax (contract 8.4):
 * ^([^.:]+)(\.([0-9]+))?(:([0-9]+(:[0-9]+)*))?$
 */
static bool vif_parse_ovs_bridge(VifSpec *spec, const char *val,
                                 GError **errp)
{
    const char *p = val;
    uint64_t v;

    while (*p && *p != '.' && *p != ':') {
        p++;
    }
    g_free(spec->bridge);
    spec->bridge = g_strndup(val, (gsize)(p - val));
    if (*p == '.') {
        p++;
        if (!vif_take_digits(&p, VIF_VLAN_MAX, &v)) {
            goto bad;
        }
        spec->vlan = (int)v;
    }
    if (*p == ':') {
        do {
            p++;
            if (spec->n_trunks == VIF_TRUNKS_MAX) {
                return vif_fail(errp, "bridge=%s: more than %d trunk VLANs",
                                val, VIF_TRUNKS_MAX);
            }
            if (!vif_take_digits(&p, VIF_VLAN_MAX, &v)) {
                goto bad;
            }
            spec->trunks[spec->n_trunks++] = (uint16_t)v;
        } while (*p == ':');
    }
    if (*p) {
        goto bad;
    }
    if (!vif_name_ok(spec->bridge)) {
        return vif_fail(errp, "bridge=%s: '%s' is not a valid bridge name",
                        val, spec->bridge);
    }
    return true;

bad:
    return vif_fail(errp, "bridge=%s: expected BRIDGE[.VLAN][:TRUNK[:TRUNK"
                          "...]] with VLAN ids 0-%d",
                    val, VIF_VLAN_MAX);
}

/* ip=: IPv4 addresses, optionally /PREFIX, separated by spaces. */
static bool vif_parse_ips(VifSpec *spec, const char *val, GError **errp)
{
    g_auto(GStrv) words = g_strsplit_set(val, " \t", -1);

    for (int i = 0; words[i]; i++) {
        g_autofree char *addr = NULL;
        const char *slash;
        VifIp4 ip = {.prefix = 32};
        uint64_t v;

        if (!*words[i]) {
            continue;
        }
        if (spec->n_ips == VIF_IPS_MAX) {
            return vif_fail(errp, "ip=%s: more than %d addresses", val,
                            VIF_IPS_MAX);
        }
        slash = strchr(words[i], '/');
        addr = slash ? g_strndup(words[i], (gsize)(slash - words[i]))
                     : g_strdup(words[i]);
        if (inet_pton(AF_INET, addr, &ip.addr) != 1) {
            return vif_fail(errp, "ip=%s: '%s' is not an IPv4 address", val,
                            words[i]);
        }
        if (slash) {
            if (!vif_parse_uint(slash + 1, 32, &v)) {
                return vif_fail(errp, "ip=%s: bad prefix length in '%s'", val,
                                words[i]);
            }
            ip.prefix = (uint8_t)v;
        }
        spec->ips[spec->n_ips++] = ip;
    }
    if (spec->n_ips == 0) {
        return vif_fail(errp, "ip=: no address given");
    }
    return true;
}

/* script=: what the named hotplug script does to a tap. */
static bool vif_parse_script(VifSpec *spec, const char *val, GError **errp)
{
    static const struct {
        const char *name;
        VifPlumbKind kind;
    } scripts[] = {
        {"vif-bridge", VIF_PLUMB_BRIDGE},
        {"vif-openvswitch", VIF_PLUMB_OVS},
        {"vif-route", VIF_PLUMB_ROUTE},
        {"vif-nat", VIF_PLUMB_NAT},
    };
    /* A relative name is resolved against the script dir; a path too. */
    const char *base = strrchr(val, '/');

    base = base ? base + 1 : val;
    for (size_t i = 0; i < G_N_ELEMENTS(scripts); i++) {
        if (strcmp(base, scripts[i].name) == 0) {
            spec->plumb = scripts[i].kind;
            g_free(spec->script);
            spec->script = g_strdup(val);
            return true;
        }
    }
    return vif_fail(errp, "script=%s: emunet runs no hotplug scripts; it "
                          "does itself what vif-bridge, vif-openvswitch, "
                          "vif-route and vif-nat do to a tap",
                    val);
}

bool vifspec_parse_rate(const char *text, uint64_t *bytes, uint32_t *usecs,
                        GError **errp)
{
    g_autofree char *copy = g_strdup(text);
    char *at = strchr(copy, '@');
    const char *p = copy;
    uint64_t bps, iv = VIF_RATE_INTERVAL_DEFAULT, n;

    if (at) {
        *at++ = '\0';
    }
    /* libxlu: ^[0-9]+[GMK]?[Bb]/s$, the number 1..UINT32_MAX. */
    if (!vif_take_digits(&p, UINT32_MAX, &bps) || bps == 0) {
        goto bad_rate;
    }
    switch (*p) {
    case 'G':
        bps *= 1000 * 1000 * 1000;
        p++;
        break;
    case 'M':
        bps *= 1000 * 1000;
        p++;
        break;
    case 'K':
        bps *= 1000;
        p++;
        break;
    }
    if (*p == 'b') {
        bps /= 8;
    } else if (*p != 'B') {
        goto bad_rate;
    }
    if (strcmp(p + 1, "/s") != 0) {
        goto bad_rate;
    }
    if (at) {
        /* libxlu: ^[0-9]+[mu]?s?$; plain or "s" is seconds. */
        p = at;
        if (!vif_take_digits(&p, UINT32_MAX, &n) || n == 0) {
            goto bad_interval;
        }
        if (*p == 'm') {
            n *= 1000;
            p++;
        } else if (*p == 'u') {
            p++;
        } else {
            n *= 1000 * 1000;
        }
        if (*p == 's') {
            p++;
        }
        if (*p || n > UINT32_MAX) {
            goto bad_interval;
        }
        iv = n;
    }
    if (bps > UINT64_MAX / iv) {
        return vif_fail(errp, "rate=%s: rate overflow", text);
    }
    *bytes = bps * iv / 1000000;
    if (*bytes == 0) {
        /* netback would never grant a byte of credit. */
        return vif_fail(errp, "rate=%s: less than one byte per interval",
                        text);
    }
    *usecs = (uint32_t)iv;
    return true;

bad_rate:
    return vif_fail(errp, "rate=%s: expected RATE/s[@INTERVAL], RATE a "
                          "decimal number with an optional G, M or K and B "
                          "(bytes) or b (bits), e.g. 10Mb/s",
                    text);
bad_interval:
    return vif_fail(errp, "rate=%s: expected an interval like 50ms, 100us "
                          "or 1s after '@'",
                    text);
}

static bool vif_set_model(VifSpec *spec, const char *val, GError **errp)
{
    for (size_t i = 0; i < G_N_ELEMENTS(vif_models); i++) {
        if (strcmp(val, vif_models[i]) == 0) {
            g_free(spec->model);
            spec->model = g_strdup(val);
            return true;
        }
    }
    return vif_fail(errp, "model=%s: emunet emulates rtl8139 and e1000 "
                          "(e1000-82540em)",
                    val);
}

static bool vif_set_key(VifSpec *spec, const char *key, const char *val,
                        GError **errp)
{
    uint64_t v;

    if (strcmp(key, "mac") == 0) {
        return vif_set_mac(spec, val, errp);
    } else if (strcmp(key, "bridge") == 0) {
        /* Split later: the OVS form depends on script=. */
        g_free(spec->bridge);
        spec->bridge = g_strdup(val);
    } else if (strcmp(key, "ip") == 0) {
        return vif_parse_ips(spec, val, errp);
    } else if (strcmp(key, "script") == 0) {
        return vif_parse_script(spec, val, errp);
    } else if (strcmp(key, "type") == 0) {
        /* xl_parse.c: ioemu or vif, nothing else. */
        if (strcmp(val, "ioemu") == 0) {
            spec->emulated = true;
        } else if (strcmp(val, "vif") == 0) {
            spec->emulated = false;
        } else {
            return vif_fail(errp, "type=%s: expected ioemu or vif", val);
        }
    } else if (strcmp(key, "model") == 0) {
        return vif_set_model(spec, val, errp);
    } else if (strcmp(key, "vifname") == 0) {
        if (!vif_name_ok(val)) {
            return vif_fail(errp, "vifname=%s: not a valid interface name",
                            val);
        }
        spec->vifname = g_strdup(val);
    } else if (strcmp(key, "rate") == 0) {
        return vifspec_parse_rate(val, &spec->rate_bytes, &spec->rate_usecs,
                                  errp);
    } else if (strcmp(key, "mtu") == 0) {
        if (!vif_parse_uint(val, VIF_MTU_MAX, &v) || v < VIF_MTU_MIN) {
            return vif_fail(errp, "mtu=%s: expected %d to %d", val,
                            VIF_MTU_MIN, VIF_MTU_MAX);
        }
        spec->mtu = (unsigned)v;
    } else if (strcmp(key, "gatewaydev") == 0 || strcmp(key, "netdev") == 0) {
        if (!vif_name_ok(val)) {
            return vif_fail(errp, "%s=%s: not a valid interface name", key,
                            val);
        }
        g_free(spec->gatewaydev);
        spec->gatewaydev = g_strdup(val);
    } else if (strcmp(key, "backend") == 0) {
        spec->backend = g_strdup(val);
    } else if (strcmp(key, "devid") == 0) {
        if (!vif_parse_uint(val, VIF_DEVID_MAX, &v)) {
            return vif_fail(errp, "devid=%s: expected 0 to %d", val,
                            VIF_DEVID_MAX);
        }
        spec->devid = (int)v;
        spec->devid_given = true;
    } else if (strcmp(key, "accel") == 0) {
        /* xl accepts it with a warning and ignores it. */
    } else if (strcmp(key, "forwarddev") == 0 ||
               g_str_has_prefix(key, "colo_")) {
        return vif_fail(errp, "%s=: COLO is not supported", key);
    } else {
        return vif_fail(errp, "unknown key '%s'", key);
    }
    return true;
}

/* After all keys: the bridge's form, per script. */
static bool vif_check(VifSpec *spec, GError **errp)
{
    if (!spec->bridge) {
        spec->bridge = g_strdup(VIF_DEFAULT_BRIDGE);
    }
    if (spec->plumb == VIF_PLUMB_OVS) {
        g_autofree char *val = g_strdup(spec->bridge);

        return vif_parse_ovs_bridge(spec, val, errp);
    }
    if (!vif_name_ok(spec->bridge)) {
        return vif_fail(errp, "bridge=%s: not a valid bridge name%s",
                        spec->bridge,
                        strchr(spec->bridge, ':')
                            ? " (the BRIDGE.VLAN:TRUNK form needs "
                              "script=vif-openvswitch)"
                            : "");
    }
    return true;
}

VifSpec *vifspec_parse(const char *text, GError **errp)
{
    g_autoptr(VifSpec) spec = g_new0(VifSpec, 1);
    g_auto(GStrv) items = g_strsplit(text, ",", -1);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    spec->devid = -1;
    spec->vlan = -1;
    spec->emulated = true;
    spec->trusted = true;
    spec->model = g_strdup("rtl8139");
    spec->plumb = VIF_PLUMB_BRIDGE;
    for (int i = 0; items[i]; i++) {
        char *item = g_strstrip(items[i]);
        char *eq = strchr(item, '=');
        const char *key = item, *val;

        if (!*item) {
            /* xl's list tolerates empty elements ("a=1,,b=2", trailing). */
            continue;
        }
        if (!eq) {
            /* Flags: the only keys without a value. */
            if (strcmp(item, "trusted") == 0 ||
                strcmp(item, "untrusted") == 0) {
                if (g_hash_table_contains(seen, "trusted")) {
                    vif_fail(errp, "'%s' given twice", item);
                    return NULL;
                }
                g_hash_table_add(seen, "trusted");
                spec->trusted = strcmp(item, "trusted") == 0;
                continue;
            }
            vif_fail(errp, "'%s': expected KEY=VALUE", item);
            return NULL;
        }
        *eq = '\0';
        key = g_strstrip(item);
        val = g_strstrip(eq + 1);
        /* "netdev" is gatewaydev's old name: one of the two. */
        if (g_hash_table_contains(seen, key) ||
            (strcmp(key, "netdev") == 0 &&
             g_hash_table_contains(seen, "gatewaydev")) ||
            (strcmp(key, "gatewaydev") == 0 &&
             g_hash_table_contains(seen, "netdev"))) {
            vif_fail(errp, "%s= given twice", key);
            return NULL;
        }
        g_hash_table_add(seen, (gpointer)key);
        if (!vif_set_key(spec, key, val, errp)) {
            return NULL;
        }
    }
    if (!vif_check(spec, errp)) {
        return NULL;
    }
    if (!spec->mac_given) {
        /* libxl__device_nic_setdefault: 00:16:3e, 23 random bits. */
        net_mac_generate(&spec->mac, true);
    }
    return g_steal_pointer(&spec);
}

void vifspec_free(VifSpec *spec)
{
    if (!spec) {
        return;
    }
    g_free(spec->model);
    g_free(spec->bridge);
    g_free(spec->script);
    g_free(spec->vifname);
    g_free(spec->gatewaydev);
    g_free(spec->backend);
    g_free(spec->ifname);
    g_free(spec);
}

static bool vif_devid_taken(VifSpec *const *specs, guint n, int devid)
{
    for (guint i = 0; i < n; i++) {
        if (specs[i]->devid == devid) {
            return true;
        }
    }
    return false;
}

bool vifspec_finish_list(VifSpec *const *specs, guint n, int domid,
                         GError **errp)
{
    for (guint i = 0; i < n; i++) {
        for (guint j = 0; j < i; j++) {
            if (specs[i]->devid_given && specs[j]->devid_given &&
                specs[i]->devid == specs[j]->devid) {
                return vif_fail(errp, "devid=%d given to two vifs",
                                specs[i]->devid);
            }
        }
    }
    for (guint i = 0; i < n; i++) {
        int devid = 0;

        if (specs[i]->devid_given) {
            continue;
        }
        while (vif_devid_taken(specs, n, devid)) {
            devid++;
        }
        specs[i]->devid = devid;
    }
    for (guint i = 0; i < n; i++) {
        VifSpec *s = specs[i];

        g_free(s->ifname);
        if (s->vifname) {
            s->ifname = g_strdup_printf("%s-emu", s->vifname);
        } else {
            s->ifname = g_strdup_printf("vif%d.%d-emu", domid < 0 ? 0 : domid,
                                        s->devid);
        }
        if (strlen(s->ifname) > VIF_IFNAME_MAX) {
            return vif_fail(errp, "vif devid %d: tap name %s has %zu "
                                  "characters, but Linux interface names "
                                  "have at most %d (use a shorter vifname=)",
                            s->devid, s->ifname, strlen(s->ifname),
                            VIF_IFNAME_MAX);
        }
        for (guint j = 0; j < i; j++) {
            if (specs[j]->ifname && strcmp(specs[j]->ifname, s->ifname) == 0) {
                return vif_fail(errp, "two vifs would both use tap %s",
                                s->ifname);
            }
        }
    }
    return true;
}
