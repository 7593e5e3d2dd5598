/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest MAC addresses: parsing the mac= option, generating a default, and
 * printing. The rules follow xl-network-configuration(5): a guest address
 * is six groups of two hex digits, unicast and not all zero.
 */
#include <stdio.h>

#include "emunet/net.h"

/* "xx:xx:xx:xx:xx:xx": six pairs and five separators. */
#define MAC_TEXT_LEN (ETH_ALEN * 3 - 1)

/* Xen's IEEE OUI, used by xl/libxl for generated addresses. */
static const uint8_t mac_xen_oui[3] = { 0x00, 0x16, 0x3e };

/*
 * Strict syntax: exactly two hex digits per octet and one separator kind
 * throughout, so "0:16:3e:1:2:3" or "00:16-3e:..." are refused rather
 * than guessed at.
 */
static bool mac_parse_text(const char *str, MacAddr *mac)
{
    char sep;
    int i;

    if (strlen(str) != MAC_TEXT_LEN) {
        return false;
    }
    sep = str[2];
    if (sep != ':' && sep != '-') {
        return false;
    }
    for (i = 0; i < ETH_ALEN; i++) {
        const char *p = str + i * 3;
        int hi = g_ascii_xdigit_value(p[0]);
        int lo = g_ascii_xdigit_value(p[1]);

        if (hi < 0 || lo < 0) {
            return false;
        }
        if (i < ETH_ALEN - 1 && p[2] != sep) {
            return false;
        }
        mac->a[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

bool net_mac_parse(const char *str, MacAddr *mac, GError **errp)
{
    static const uint8_t zero[ETH_ALEN];
    MacAddr tmp;

    if (!mac_parse_text(str, &tmp)) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "invalid MAC address '%s'", str);
        return false;
    }
    /* IEEE 802-2014 section 8.2: bit 0 of the first octet is I/G. */
    if (tmp.a[0] & 0x01) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "MAC address '%s' is multicast", str);
        return false;
    }
    if (memcmp(tmp.a, zero, ETH_ALEN) == 0) {
        g_set_error(errp, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "MAC address '%s' is all zero", str);
        return false;
    }
    *mac = tmp;
    return true;
}

void net_mac_generate(MacAddr *mac, bool xen_oui)
{
    uint32_t hi = g_random_int();
    uint32_t lo = g_random_int();

    if (xen_oui) {
        /*
         * As libxl__device_nic_setdefault() does: Xen's OUI, then three
         * random octets with the top bit of the first one cleared, so 23
         * random bits.
         */
        memcpy(mac->a, mac_xen_oui, sizeof(mac_xen_oui));
        mac->a[3] = (uint8_t)(lo >> 16) & 0x7f;
        mac->a[4] = (uint8_t)(lo >> 8);
        mac->a[5] = (uint8_t)lo;
        return;
    }
    /*
     * Locally administered unicast: first octet xxxxxx10 (U/L bit set,
     * I/G bit clear, IEEE 802-2014 section 8.2), the other 46 bits random.
     */
    mac->a[0] = (uint8_t)(((hi >> 8) & 0xfc) | 0x02);
    mac->a[1] = (uint8_t)hi;
    mac->a[2] = (uint8_t)(lo >> 24);
    mac->a[3] = (uint8_t)(lo >> 16);
    mac->a[4] = (uint8_t)(lo >> 8);
    mac->a[5] = (uint8_t)lo;
}

char *net_mac_format(const MacAddr *mac, char *buf)
{
    snprintf(buf, MAC_TEXT_LEN + 1, "%02x:%02x:%02x:%02x:%02x:%02x",
             mac->a[0], mac->a[1], mac->a[2], mac->a[3], mac->a[4],
             mac->a[5]);
    return buf;
}
