/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -emu tap plumbing for standalone runs; see core/plumb.h. The rtnetlink
 * requests are the ones iproute2 sends for the scripts' commands
 * (rtnetlink(7), netlink(7)): RTM_NEWLINK for up/down, address, MTU and
 * master, RTM_GETADDR/RTM_DELADDR for the flush, RTM_NEWADDR and
 * RTM_NEWROUTE/RTM_DELROUTE for vif-route.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/plumb.h"
#include "emunet/log.h"

#define PLUMB_NL_BUF 8192
/* vif-openvswitch's ovs-vsctl timeout; removal waits less at exit. */
#define PLUMB_OVS_TIMEOUT "--timeout=30"
#define PLUMB_OVS_DEL_TIMEOUT "--timeout=5"
/* vif-route: metric 1 for a tap (2 for a PV vif). */
#define PLUMB_ROUTE_METRIC 1

struct Plumb {
    VifPlumbKind kind;
    int ifindex;
    /* The tap's name at attach (OVS port name). */
    char ifname[IF_NAMESIZE];
    char *bridge;
    bool enslaved;
    bool ovs_port;
    /* vif-route: dom0's address on the tap, and the routes added. */
    bool have_addr;
    uint32_t main_ip;
    VifIp4 routes[VIF_IPS_MAX];
    unsigned n_routes;
};

G_DEFINE_QUARK(emunet - plumb - error - quark, plumb_error)

static bool G_GNUC_PRINTF(2, 3) plumb_fail(GError **errp, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(errp, PLUMB_ERROR, PLUMB_ERROR_FAILED, msg);
    g_free(msg);
    return false;
}

/* ---- rtnetlink ---- */

typedef struct NlMsg {
    union {
        struct nlmsghdr h;
        uint8_t buf[PLUMB_NL_BUF];
    };
} NlMsg;

static void *plumb_nl_init(NlMsg *m, uint16_t type, uint16_t flags,
                           size_t body)
{
    memset(m, 0, sizeof(*m));
    m->h.nlmsg_len = NLMSG_LENGTH(body);
    m->h.nlmsg_type = type;
    m->h.nlmsg_flags = NLM_F_REQUEST | flags;
    return NLMSG_DATA(&m->h);
}

static struct rtattr *plumb_nl_put(NlMsg *m, uint16_t type, const void *data,
                                   size_t len)
{
    struct rtattr *rta =
        (struct rtattr *)(m->buf + NLMSG_ALIGN(m->h.nlmsg_len));

    g_assert(NLMSG_ALIGN(m->h.nlmsg_len) + RTA_SPACE(len) <= sizeof(m->buf));
    rta->rta_type = type;
    rta->rta_len = (unsigned short)RTA_LENGTH(len);
    if (len) {
        memcpy(RTA_DATA(rta), data, len);
    }
    m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len) + RTA_ALIGN(rta->rta_len);
    return rta;
}

static void plumb_nl_put_u32(NlMsg *m, uint16_t type, uint32_t v)
{
    plumb_nl_put(m, type, &v, sizeof(v));
}

static int plumb_nl_open(void)
{
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

    if (fd < 0) {
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * Send one request and read the answers: each non-error message goes to
 * `cb` (if any) until the ACK or, for a dump, NLMSG_DONE. 0 or -errno.
 */
typedef void PlumbNlCb(const struct nlmsghdr *h, void *opaque);

static int plumb_nl_talk(NlMsg *m, PlumbNlCb *cb, void *opaque)
{
    static uint32_t seq;
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
    g_autofree uint8_t *buf = g_malloc(PLUMB_NL_BUF * 4);
    int fd = plumb_nl_open(), ret = -EIO;
    /* NLM_F_DUMP is two bits; NLM_F_EXCL shares one of them. */
    bool dump = (m->h.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;

    if (fd < 0) {
        return -errno;
    }
    m->h.nlmsg_seq = ++seq;
    if (!dump) {
        m->h.nlmsg_flags |= NLM_F_ACK;
    }
    if (sendto(fd, m, m->h.nlmsg_len, 0, (struct sockaddr *)&sa,
               sizeof(sa)) < 0) {
        ret = -errno;
        goto out;
    }
    for (;;) {
        ssize_t n = recv(fd, buf, PLUMB_NL_BUF * 4, 0);
        struct nlmsghdr *h = (struct nlmsghdr *)buf;
        size_t left;

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            ret = -errno;
            goto out;
        }
        left = (size_t)n;
        for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_seq != m->h.nlmsg_seq) {
                continue;
            }
            if (h->nlmsg_type == NLMSG_DONE) {
                ret = 0;
                goto out;
            }
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);

                ret = e->error;
                goto out;
            }
            if (cb) {
                cb(h, opaque);
            }
        }
    }
out:
    close(fd);
    return ret;
}

/* RTM_NEWLINK on an existing link with one change. */
static int plumb_link_set(int ifindex, unsigned flags, unsigned change,
                          uint16_t attr, const void *data, size_t len)
{
    NlMsg m;
    struct ifinfomsg *ifi =
        plumb_nl_init(&m, RTM_NEWLINK, 0, sizeof(struct ifinfomsg));

    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    ifi->ifi_flags = flags;
    ifi->ifi_change = change;
    if (attr) {
        plumb_nl_put(&m, attr, data, len);
    }
    return plumb_nl_talk(&m, NULL, NULL);
}

static int plumb_link_up(int ifindex, bool up)
{
    return plumb_link_set(ifindex, up ? IFF_UP : 0, IFF_UP, 0, NULL, 0);
}

static int plumb_link_u32(int ifindex, uint16_t attr, uint32_t v)
{
    return plumb_link_set(ifindex, 0, 0, attr, &v, sizeof(v));
}

/* What RTM_GETLINK says about one interface. */
typedef struct PlumbLinkInfo {
    bool found;
    uint32_t mtu;
    char kind[32];
} PlumbLinkInfo;

static void plumb_link_info_cb(const struct nlmsghdr *h, void *opaque)
{
    PlumbLinkInfo *li = opaque;
    const struct ifinfomsg *ifi = NLMSG_DATA(h);
    const struct rtattr *a = IFLA_RTA(ifi);
    int len = (int)IFLA_PAYLOAD(h);

    if (h->nlmsg_type != RTM_NEWLINK) {
        return;
    }
    li->found = true;
    for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type == IFLA_MTU && RTA_PAYLOAD(a) >= 4) {
            memcpy(&li->mtu, RTA_DATA(a), 4);
        } else if (a->rta_type == IFLA_LINKINFO) {
            const struct rtattr *n = RTA_DATA(a);
            int nlen = (int)RTA_PAYLOAD(a);

            for (; RTA_OK(n, nlen); n = RTA_NEXT(n, nlen)) {
                if (n->rta_type == IFLA_INFO_KIND) {
                    size_t k = MIN(RTA_PAYLOAD(n), sizeof(li->kind) - 1);

                    memcpy(li->kind, RTA_DATA(n), k);
                    li->kind[k] = '\0';
                }
            }
        }
    }
}

static int plumb_link_info(const char *name, PlumbLinkInfo *li)
{
    NlMsg m;
    struct ifinfomsg *ifi =
        plumb_nl_init(&m, RTM_GETLINK, 0, sizeof(struct ifinfomsg));

    memset(li, 0, sizeof(*li));
    ifi->ifi_family = AF_UNSPEC;
    plumb_nl_put(&m, IFLA_IFNAME, name, strlen(name) + 1);
    return plumb_nl_talk(&m, plumb_link_info_cb, li);
}

/* Addresses of one interface, from an RTM_GETADDR dump. */
typedef struct PlumbAddr {
    uint8_t family;
    uint8_t prefix;
    uint8_t addr[16];
    uint8_t local[16];
    bool has_local;
} PlumbAddr;

typedef struct PlumbAddrDump {
    int ifindex;
    GArray *addrs;
} PlumbAddrDump;

static void plumb_addr_cb(const struct nlmsghdr *h, void *opaque)
{
    PlumbAddrDump *d = opaque;
    const struct ifaddrmsg *ifa = NLMSG_DATA(h);
    const struct rtattr *a = IFA_RTA(ifa);
    int len = (int)IFA_PAYLOAD(h);
    size_t alen = ifa->ifa_family == AF_INET ? 4 : 16;
    PlumbAddr pa = {.family = ifa->ifa_family, .prefix = ifa->ifa_prefixlen};
    bool have = false;

    if (h->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != d->ifindex ||
        (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)) {
        return;
    }
    for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (RTA_PAYLOAD(a) < alen) {
            continue;
        }
        if (a->rta_type == IFA_ADDRESS) {
            memcpy(pa.addr, RTA_DATA(a), alen);
            have = true;
        } else if (a->rta_type == IFA_LOCAL) {
            memcpy(pa.local, RTA_DATA(a), alen);
            pa.has_local = true;
        }
    }
    if (have) {
        g_array_append_val(d->addrs, pa);
    }
}

static int plumb_addr_list(int ifindex, uint8_t family, GArray *out)
{
    NlMsg m;
    struct ifaddrmsg *ifa =
        plumb_nl_init(&m, RTM_GETADDR, NLM_F_DUMP, sizeof(struct ifaddrmsg));
    PlumbAddrDump d = {ifindex, out};

    ifa->ifa_family = family;
    return plumb_nl_talk(&m, plumb_addr_cb, &d);
}

static int plumb_addr_change(int ifindex, bool add, const PlumbAddr *pa)
{
    NlMsg m;
    struct ifaddrmsg *ifa = plumb_nl_init(
        &m, add ? RTM_NEWADDR : RTM_DELADDR,
        add ? NLM_F_CREATE | NLM_F_EXCL : 0, sizeof(struct ifaddrmsg));
    size_t alen = pa->family == AF_INET ? 4 : 16;

    ifa->ifa_family = pa->family;
    ifa->ifa_prefixlen = pa->prefix;
    ifa->ifa_index = (unsigned)ifindex;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    plumb_nl_put(&m, IFA_LOCAL, pa->has_local ? pa->local : pa->addr, alen);
    plumb_nl_put(&m, IFA_ADDRESS, pa->addr, alen);
    return plumb_nl_talk(&m, NULL, NULL);
}

/* `ip addr flush dev`: every IPv4 and IPv6 address goes. */
static int plumb_addr_flush(int ifindex)
{
    g_autoptr(GArray) addrs = g_array_new(FALSE, FALSE, sizeof(PlumbAddr));
    int r = plumb_addr_list(ifindex, AF_UNSPEC, addrs);

    for (guint i = 0; r == 0 && i < addrs->len; i++) {
        r = plumb_addr_change(ifindex, false,
                              &g_array_index(addrs, PlumbAddr, i));
        if (r == -EADDRNOTAVAIL) {
            /* Gone with an earlier one (secondary addresses). */
            r = 0;
        }
    }
    return r;
}

static int plumb_route_change(int ifindex, bool add, const VifIp4 *ip,
                              uint32_t src)
{
    NlMsg m;
    struct rtmsg *rt =
        plumb_nl_init(&m, add ? RTM_NEWROUTE : RTM_DELROUTE,
                      add ? NLM_F_CREATE | NLM_F_EXCL : 0, sizeof(*rt));
    uint32_t dst = ip->addr;

    if (ip->prefix < 32) {
        /* As `ip route` does: the network, not the host bits. */
        dst &= htonl(ip->prefix ? ~0u << (32 - ip->prefix) : 0);
    }
    rt->rtm_family = AF_INET;
    rt->rtm_dst_len = ip->prefix;
    rt->rtm_table = RT_TABLE_MAIN;
    rt->rtm_protocol = RTPROT_BOOT;
    rt->rtm_scope = add ? RT_SCOPE_LINK : RT_SCOPE_NOWHERE;
    rt->rtm_type = RTN_UNICAST;
    plumb_nl_put(&m, RTA_DST, &dst, 4);
    plumb_nl_put_u32(&m, RTA_OIF, (uint32_t)ifindex);
    plumb_nl_put(&m, RTA_PREFSRC, &src, 4);
    plumb_nl_put_u32(&m, RTA_PRIORITY, PLUMB_ROUTE_METRIC);
    return plumb_nl_talk(&m, NULL, NULL);
}

/* ---- the steps the scripts share ---- */

/* The tap's current name (it may have been renamed), else the old one. */
static const char *plumb_name(Plumb *p, char *buf)
{
    return if_indextoname((unsigned)p->ifindex, buf) ? buf : p->ifname;
}

/* vif-bridge's do_ifup prelude: down, fe:ff:ff:ff:ff:ff, flush, MTU. */
static bool plumb_prepare(Plumb *p, unsigned mtu, GError **errp)
{
    static const uint8_t mac[ETH_ALEN] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff};
    int r;

    if ((r = plumb_link_up(p->ifindex, false)) < 0) {
        return plumb_fail(errp, "%s: cannot set it down: %s", p->ifname,
                          g_strerror(-r));
    }
    r = plumb_link_set(p->ifindex, 0, 0, IFLA_ADDRESS, mac, sizeof(mac));
    if (r < 0) {
        return plumb_fail(errp, "%s: cannot set its MAC: %s", p->ifname,
                          g_strerror(-r));
    }
    if ((r = plumb_addr_flush(p->ifindex)) < 0) {
        return plumb_fail(errp, "%s: cannot flush its addresses: %s",
                          p->ifname, g_strerror(-r));
    }
    if (mtu && (r = plumb_link_u32(p->ifindex, IFLA_MTU, mtu)) < 0) {
        return plumb_fail(errp, "%s: cannot set MTU %u: %s", p->ifname, mtu,
                          g_strerror(-r));
    }
    return true;
}

static bool plumb_up(Plumb *p, GError **errp)
{
    int r = plumb_link_up(p->ifindex, true);

    if (r < 0) {
        return plumb_fail(errp, "%s: cannot set it up: %s", p->ifname,
                          g_strerror(-r));
    }
    return true;
}

/* ---- vif-bridge ---- */

static bool plumb_bridge(Plumb *p, const VifSpec *spec, GError **errp)
{
    PlumbLinkInfo li;
    unsigned br_index;
    int r = plumb_link_info(spec->bridge, &li);

    if (r == -ENODEV || (r == 0 && !li.found)) {
        return plumb_fail(errp, "bridge=%s: no such bridge", spec->bridge);
    }
    if (r < 0) {
        return plumb_fail(errp, "bridge=%s: %s", spec->bridge,
                          g_strerror(-r));
    }
    if (strcmp(li.kind, "bridge") != 0) {
        return plumb_fail(errp, "bridge=%s: not a Linux bridge%s",
                          spec->bridge,
                          strcmp(li.kind, "openvswitch") == 0
                              ? " but an Open vSwitch one (use "
                                "script=vif-openvswitch)"
                              : "");
    }
    br_index = if_nametoindex(spec->bridge);
    if (!plumb_prepare(p, spec->mtu ? spec->mtu : li.mtu, errp)) {
        return false;
    }
    r = plumb_link_u32(p->ifindex, IFLA_MASTER, br_index);
    if (r < 0) {
        return plumb_fail(errp, "%s: cannot join bridge %s: %s", p->ifname,
                          spec->bridge, g_strerror(-r));
    }
    p->enslaved = true;
    p->bridge = g_strdup(spec->bridge);
    return plumb_up(p, errp);
}

/* ---- vif-openvswitch ---- */

/* Run ovs-vsctl with `args` (NULL-terminated after argv[0]). */
static bool plumb_ovs_vsctl(GPtrArray *args, GError **errp)
{
    g_autofree char *errs = NULL;
    g_autoptr(GError) err = NULL;
    int status;

    g_ptr_array_insert(args, 0, g_strdup("ovs-vsctl"));
    g_ptr_array_add(args, NULL);
    if (!g_spawn_sync(NULL, (char **)args->pdata, NULL,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                      NULL, NULL, &errs, &status, &err)) {
        return plumb_fail(errp, "ovs-vsctl: %s (vif-openvswitch needs "
                                "Open vSwitch's ovs-vsctl)",
                          err->message);
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_strstrip(errs);
        return plumb_fail(errp, "ovs-vsctl failed: %s",
                          *errs ? errs : "(no message)");
    }
    return true;
}

static bool plumb_ovs(Plumb *p, const VifSpec *spec, GError **errp)
{
    g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
    char mac[18];

    if (!plumb_prepare(p, spec->mtu, errp)) {
        return false;
    }
    g_ptr_array_add(args, g_strdup(PLUMB_OVS_TIMEOUT));
    g_ptr_array_add(args, g_strdup("--"));
    g_ptr_array_add(args, g_strdup("--if-exists"));
    g_ptr_array_add(args, g_strdup("del-port"));
    g_ptr_array_add(args, g_strdup(p->ifname));
    g_ptr_array_add(args, g_strdup("--"));
    g_ptr_array_add(args, g_strdup("add-port"));
    g_ptr_array_add(args, g_strdup(spec->bridge));
    g_ptr_array_add(args, g_strdup(p->ifname));
    if (spec->vlan >= 0) {
        g_ptr_array_add(args, g_strdup_printf("tag=%d", spec->vlan));
    }
    if (spec->n_trunks) {
        GString *t = g_string_new("trunks=");

        for (unsigned i = 0; i < spec->n_trunks; i++) {
            g_string_append_printf(t, "%s%u", i ? "," : "", spec->trunks[i]);
        }
        g_ptr_array_add(args, g_string_free(t, FALSE));
    }
    g_ptr_array_add(args, g_strdup("--"));
    g_ptr_array_add(args, g_strdup("set"));
    g_ptr_array_add(args, g_strdup("interface"));
    g_ptr_array_add(args, g_strdup(p->ifname));
    g_ptr_array_add(args,
                    g_strdup_printf("external-ids:attached-mac=\"%s\"",
                                    net_mac_format(&spec->mac, mac)));
    if (!plumb_ovs_vsctl(args, errp)) {
        g_prefix_error(errp, "bridge=%s: ", spec->bridge);
        return false;
    }
    p->ovs_port = true;
    p->bridge = g_strdup(spec->bridge);
    return plumb_up(p, errp);
}

/* ---- vif-route ---- */

static bool plumb_write_sysctl(const char *path, const char *val)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    bool ok;

    if (fd < 0) {
        return false;
    }
    ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
    close(fd);
    return ok;
}

static bool plumb_route(Plumb *p, const VifSpec *spec, GError **errp)
{
    const char *gw = spec->gatewaydev ? spec->gatewaydev
                                      : VIF_DEFAULT_GATEWAYDEV;
    g_autoptr(GArray) addrs = g_array_new(FALSE, FALSE, sizeof(PlumbAddr));
    g_autofree char *sysctl = NULL;
    unsigned gw_index = if_nametoindex(gw);
    PlumbAddr pa = {.family = AF_INET, .prefix = 32};
    int r;

    if (!gw_index) {
        return plumb_fail(errp, "gatewaydev=%s: no such interface (vif-route "
                                "gives the tap its IPv4 address)",
                          gw);
    }
    r = plumb_addr_list((int)gw_index, AF_INET, addrs);
    if (r < 0 || addrs->len == 0) {
        return plumb_fail(errp, "gatewaydev=%s: %s", gw,
                          r < 0 ? g_strerror(-r)
                                : "it has no IPv4 address to give the tap");
    }
    {
        const PlumbAddr *first = &g_array_index(addrs, PlumbAddr, 0);

        memcpy(&p->main_ip, first->has_local ? first->local : first->addr, 4);
    }
    if (spec->mtu && (r = plumb_link_u32(p->ifindex, IFLA_MTU, spec->mtu))) {
        return plumb_fail(errp, "%s: cannot set MTU %u: %s", p->ifname,
                          spec->mtu, g_strerror(-r));
    }
    memcpy(pa.addr, &p->main_ip, 4);
    r = plumb_addr_change(p->ifindex, true, &pa);
    if (r < 0 && r != -EEXIST) {
        return plumb_fail(errp, "%s: cannot add address: %s", p->ifname,
                          g_strerror(-r));
    }
    p->have_addr = r == 0;
    if (!plumb_up(p, errp)) {
        return false;
    }
    sysctl = g_strdup_printf("/proc/sys/net/ipv4/conf/%s/proxy_arp",
                             p->ifname);
    if (!plumb_write_sysctl(sysctl, "1")) {
        return plumb_fail(errp, "%s: %s", sysctl, g_strerror(errno));
    }
    for (unsigned i = 0; i < spec->n_ips; i++) {
        char a[INET_ADDRSTRLEN];

        r = plumb_route_change(p->ifindex, true, &spec->ips[i], p->main_ip);
        if (r < 0) {
            inet_ntop(AF_INET, &spec->ips[i].addr, a, sizeof(a));
            return plumb_fail(errp, "ip=%s/%u: cannot add the route via %s: %s",
                              a, spec->ips[i].prefix, p->ifname,
                              g_strerror(-r));
        }
        p->routes[p->n_routes++] = spec->ips[i];
    }
    return true;
}

/* ---- attach / detach ---- */

Plumb *plumb_attach(const VifSpec *spec, const char *ifname, GError **errp)
{
    Plumb *p = g_new0(Plumb, 1);
    bool ok = true;

    p->kind = spec->plumb;
    p->ifindex = (int)if_nametoindex(ifname);
    g_strlcpy(p->ifname, ifname, sizeof(p->ifname));
    if (!p->ifindex) {
        plumb_fail(errp, "%s: %s", ifname, g_strerror(errno));
        g_free(p);
        return NULL;
    }
    switch (spec->plumb) {
    case VIF_PLUMB_BRIDGE:
        ok = plumb_bridge(p, spec, errp);
        break;
    case VIF_PLUMB_OVS:
        ok = plumb_ovs(p, spec, errp);
        break;
    case VIF_PLUMB_ROUTE:
        ok = plumb_route(p, spec, errp);
        break;
    case VIF_PLUMB_NAT:
        if (spec->mtu) {
            int r = plumb_link_u32(p->ifindex, IFLA_MTU, spec->mtu);

            if (r < 0) {
                ok = plumb_fail(errp, "%s: cannot set MTU %u: %s", ifname,
                                spec->mtu, g_strerror(-r));
            }
        }
        break;
    }
    if (!ok) {
        plumb_detach(p);
        return NULL;
    }
    log_trace(LOG_NET, "plumbed %s (%s)", ifname,
              spec->script ? spec->script : "vif-bridge");
    return p;
}

void plumb_detach(Plumb *p)
{
    char buf[IF_NAMESIZE];
    const char *name;
    bool exists;
    int r;

    if (!p) {
        return;
    }
    exists = if_indextoname((unsigned)p->ifindex, buf) != NULL;
    name = plumb_name(p, buf);
    if (p->ovs_port) {
        /* The port record outlives the tap: always remove it. */
        g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) err = NULL;

        g_ptr_array_add(args, g_strdup(PLUMB_OVS_DEL_TIMEOUT));
        g_ptr_array_add(args, g_strdup("--"));
        g_ptr_array_add(args, g_strdup("--if-exists"));
        g_ptr_array_add(args, g_strdup("del-port"));
        g_ptr_array_add(args, g_strdup(p->ifname));
        if (!plumb_ovs_vsctl(args, &err)) {
            log_error("%s: leaving OVS bridge %s: %s", p->ifname, p->bridge,
                      err->message);
        }
    }
    if (exists) {
        for (unsigned i = 0; i < p->n_routes; i++) {
            r = plumb_route_change(p->ifindex, false, &p->routes[i],
                                   p->main_ip);
            if (r < 0 && r != -ESRCH) {
                log_error("%s: removing a route: %s", name, g_strerror(-r));
            }
        }
        if (p->have_addr) {
            PlumbAddr pa = {.family = AF_INET, .prefix = 32};

            memcpy(pa.addr, &p->main_ip, 4);
            plumb_addr_change(p->ifindex, false, &pa);
        }
        plumb_link_up(p->ifindex, false);
        if (p->enslaved) {
            r = plumb_link_u32(p->ifindex, IFLA_MASTER, 0);
            if (r < 0) {
                log_error("%s: leaving bridge %s: %s", name, p->bridge,
                          g_strerror(-r));
            }
        }
    }
    g_free(p->bridge);
    g_free(p);
}
