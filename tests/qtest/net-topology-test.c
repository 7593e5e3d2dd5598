/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Xen vif topologies end to end: a qtest-driven e1000 and rtl8139 in a
 * real emunet exchange frames with peer network namespaces through the
 * host plumbing --nic applies (Linux bridge, Open vSwitch with an access
 * VLAN and a trunk, vif-route), through libslirp (DHCP, a host-forwarded
 * TCP port), and through a tap with offloads (one write per 64 KiB TSO
 * super-frame, segmented correctly by the kernel); plus the faults: a tap
 * deleted underneath, a peer that stops reading, a capture on a full
 * disk, a forwarded port already taken, and the interface name limits.
 *
 * Runs as root. The whole binary runs in network and mount namespaces of
 * its own (the "test namespace", which emunet inherits), with a private
 * tmpfs on /run: peer namespaces (ip netns), Open vSwitch's database and
 * sockets all live there, so nothing survives the process even if it
 * dies. Each test still deletes what it created. Open vSwitch (its
 * daemons started here, userspace datapath when the kernel module is not
 * loaded) is started once, on first use, and stopped at exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
/* <linux/if_ether.h> spells it 0x86DD; hw/net/net_util.h 0x86dd. */
#undef ETH_P_IPV6
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emunet/types.h"
#include "hw/net/net_util.h"
#include "libqos/e1000.h"
#include "libqos/rtl8139.h"
#include "libqtest.h"

/* Experimental ethertype (IEEE 802 local experimental 1). */
#define TOPO_ETHERTYPE 0x88b5
#define TOPO_TIMEOUT_MS 3000
#define TOPO_RUN "/run/emunet-topo"
#define TOPO_E1000_ID 0x100e8086u
#define TOPO_RTL_ID 0x813910ecu

static const uint8_t mac_e1000[6] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x01};
static const uint8_t mac_rtl[6] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x02};
static const uint8_t mac_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static int home_ns = -1;

/* ---- commands and namespaces ---- */

static bool G_GNUC_PRINTF(1, 2) sh_try(const char *fmt, ...)
{
    g_autofree char *cmd = NULL;
    g_autofree char *errs = NULL;
    g_auto(GStrv) argv = NULL;
    g_autoptr(GError) err = NULL;
    va_list ap;
    int status;

    va_start(ap, fmt);
    cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, &err));
    if (!g_spawn_sync(NULL, argv, NULL,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                      NULL, NULL, &errs, &status, &err)) {
        g_test_message("%s: %s", cmd, err->message);
        return false;
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_test_message("%s: %s", cmd, errs);
        return false;
    }
    return true;
}

#define sh(...)                                                                \
    do {                                                                       \
        if (!sh_try(__VA_ARGS__)) {                                            \
            g_error("command failed: " __VA_ARGS__);                           \
        }                                                                      \
    } while (0)

/* Command output (stdout), or NULL. */
static char *G_GNUC_PRINTF(1, 2) sh_out(const char *fmt, ...)
{
    g_autofree char *cmd = NULL;
    g_auto(GStrv) argv = NULL;
    char *out = NULL;
    int status;
    va_list ap;

    va_start(ap, fmt);
    cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    if (!g_spawn_sync(NULL, argv, NULL,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                      NULL, &out, NULL, &status, NULL) ||
        !g_spawn_check_wait_status(status, NULL)) {
        g_free(out);
        return NULL;
    }
    return out;
}

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, text, strlen(text)), ==, (ssize_t)strlen(text));
    close(fd);
}

static void ns_enter(const char *ns)
{
    g_autofree char *path = g_strdup_printf("/run/netns/%s", ns);
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(setns(fd, CLONE_NEWNET), ==, 0);
    close(fd);
}

static void ns_home(void)
{
    g_assert_cmpint(setns(home_ns, CLONE_NEWNET), ==, 0);
}

/* A peer namespace: loopback up, IPv6 off (no stray RS/MLD frames). */
static void ns_add(const char *ns)
{
    sh("ip netns add %s", ns);
    ns_enter(ns);
    write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
    write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
    ns_home();
    sh("ip -n %s link set lo up", ns);
}

static void ns_del(const char *ns)
{
    sh("ip netns del %s", ns);
}

/* The test namespace: new network and mount namespaces, tmpfs /run. */
static void topo_enter(void)
{
    if (geteuid() != 0) {
        g_error("net-topology-test creates namespaces: run it as root");
    }
    g_assert_cmpint(unshare(CLONE_NEWNET | CLONE_NEWNS), ==, 0);
    g_assert_cmpint(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), ==, 0);
    g_assert_cmpint(mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"), ==, 0);
    g_assert_cmpint(mkdir("/run/netns", 0755), ==, 0);
    g_assert_cmpint(mkdir(TOPO_RUN, 0700), ==, 0);
    g_assert_cmpint(mount("sysfs", "/sys", "sysfs", 0, NULL), ==, 0);
    write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
    write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
    sh("ip link set lo up");
    home_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(home_ns, >=, 0);
}

/* ---- frames ---- */

static void fill_frame(uint8_t *buf, size_t len, const uint8_t *dst,
                       const uint8_t *src, uint32_t seq)
{
    memcpy(buf, dst, 6);
    memcpy(buf + 6, src, 6);
    st16_be(buf + 12, TOPO_ETHERTYPE);
    st32_be(buf + 14, seq);
    for (size_t i = 18; i < len; i++) {
        buf[i] = (uint8_t)(seq * 7 + i * 13);
    }
}

/* With a tag: 802.1Q header inserted after the MAC addresses. */
static size_t fill_tagged(uint8_t *buf, size_t len, const uint8_t *dst,
                          const uint8_t *src, uint16_t vid, uint32_t seq)
{
    fill_frame(buf, len, dst, src, seq);
    memmove(buf + 16, buf + 12, len - 12);
    st16_be(buf + 12, ETH_P_VLAN);
    st16_be(buf + 14, vid);
    return len + 4;
}

/* ---- packet sockets in a namespace ---- */

static int pkt_open(const char *ns, const char *ifname)
{
    struct sockaddr_ll sll = {.sll_family = AF_PACKET};
    int one = 1;
    int s;

    if (ns) {
        ns_enter(ns);
    }
    s = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
               htons(ETH_P_ALL));
    g_assert_cmpint(s, >=, 0);
    g_assert_cmpint(
        setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)),
        ==, 0);
    g_assert_cmpint(
        setsockopt(s, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)), ==, 0);
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = (int)if_nametoindex(ifname);
    g_assert_cmpint(sll.sll_ifindex, >, 0);
    g_assert_cmpint(bind(s, (struct sockaddr *)&sll, sizeof(sll)), ==, 0);
    if (ns) {
        ns_home();
    }
    return s;
}

/*
 * Next frame of our ethertype on s within timeout_ms (0 bytes: none),
 * with the 802.1Q tag the kernel took off put back in (PACKET_AUXDATA).
 */
static size_t pkt_recv(int s, uint8_t *buf, size_t cap, int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        struct pollfd pfd = {.fd = s, .events = POLLIN};
        gint64 left = (end - g_get_monotonic_time()) / 1000;
        union {
            struct cmsghdr c;
            uint8_t b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
        } ctl;
        struct iovec iov = {.iov_base = buf + 4, .iov_len = cap - 4};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = &ctl,
                             .msg_controllen = sizeof(ctl)};
        struct cmsghdr *c;
        ssize_t n;
        size_t len;

        if (left < 0 || poll(&pfd, 1, (int)left) <= 0) {
            return 0;
        }
        n = recvmsg(s, &msg, MSG_DONTWAIT);
        if (n < ETH_HLEN) {
            continue;
        }
        len = (size_t)n;
        memmove(buf, buf + 4, len);
        for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            struct tpacket_auxdata aux;

            if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) {
                continue;
            }
            memcpy(&aux, CMSG_DATA(c), sizeof(aux));
            if (aux.tp_status & TP_STATUS_VLAN_VALID) {
                memmove(buf + 16, buf + 12, len - 12);
                st16_be(buf + 12, ETH_P_VLAN);
                st16_be(buf + 14, aux.tp_vlan_tci);
                len += 4;
            }
        }
        if (ld16_be(buf + 12) == TOPO_ETHERTYPE ||
            (ld16_be(buf + 12) == ETH_P_VLAN &&
             ld16_be(buf + 16) == TOPO_ETHERTYPE)) {
            return len;
        }
    }
}

static void pkt_send(int s, const void *frame, size_t len)
{
    g_assert_cmpint(send(s, frame, len, 0), ==, (ssize_t)len);
}

/* ---- guest NICs (one driver interface for both models) ---- */

#define GNIC_TX_N 64
#define GNIC_RX_N 64

typedef struct Gnic {
    QTestState *qts;
    bool e1000;
    QE1000 *e;
    QRtl *r;
    uint8_t mac[6];
    unsigned rx_next;
    /* IPv4 address answered in ARP (network order), or 0. */
    uint32_t ip;
} Gnic;

/* The `nth` PCI function with this vendor/device ID (slot order). */
static QPCIDevice *find_pci(QTestState *qts, uint32_t id, int nth)
{
    for (int slot = 0; slot < 32; slot++) {
        QPCIDevice *dev = qpci_device_find(qts, slot << 3);

        if (dev && qpci_config_readl(dev, 0) == id && nth-- == 0) {
            return dev;
        }
        qpci_device_free(dev);
    }
    return NULL;
}

/* Bring up the NIC of `model` (nth of its kind) as Linux drivers do. */
static Gnic *gnic_start(QTestState *qts, bool e1000, const uint8_t *mac,
                        int nth)
{
    Gnic *g = g_new0(Gnic, 1);
    QPCIDevice *dev = find_pci(qts, e1000 ? TOPO_E1000_ID : TOPO_RTL_ID, nth);

    g_assert_nonnull(dev);
    g->qts = qts;
    g->e1000 = e1000;
    memcpy(g->mac, mac, 6);
    if (e1000) {
        g->e = g_new0(QE1000, 1);
        g->e->qts = qts;
        g->e->pci = dev;
        g->e->wire = -1;
        memcpy(g->e->mac, mac, 6);
        qpci_iomap(dev, 0, NULL);
        qpci_iomap(dev, 1, NULL);
        qpci_device_enable(dev, QE1000_IRQ);
        qe1000_init(g->e, GNIC_TX_N, GNIC_RX_N, 2048);
        /* The MAC filter: RAL0/RAH0 as the driver writes them. */
        qe1000_w(g->e, E1000_RAL(0),
                 (uint32_t)mac[0] | mac[1] << 8 | mac[2] << 16 |
                     (uint32_t)mac[3] << 24);
        qe1000_w(g->e, E1000_RAH(0),
                 (uint32_t)mac[4] | mac[5] << 8 | E1000_RAH_AV);
    } else {
        g->r = g_new0(QRtl, 1);
        g->r->qts = qts;
        g->r->pci = dev;
        g->r->wire = -1;
        g->r->bar = QRTL_BAR_MMIO;
        g->r->rx_ack = true;
        g->r->step_ns = QRTL_STEP_NS;
        g->r->tx_ertxth = 8;
        memcpy(g->r->mac, mac, 6);
        qpci_iomap(dev, QRTL_BAR_IO, NULL);
        qpci_iomap(dev, QRTL_BAR_MMIO, NULL);
        qpci_device_enable(dev, QRTL_IRQ);
        qrtl_c_init(g->r, 2, true, RTL_RCR_APM | RTL_RCR_AB);
    }
    return g;
}

static void gnic_free(Gnic *g)
{
    if (g->e) {
        qpci_device_free(g->e->pci);
        g_free(g->e->rx_buf);
        g_free(g->e);
    } else {
        qpci_device_free(g->r->pci);
        g_free(g->r);
    }
    g_free(g);
}

/* Send one frame and wait until the NIC reports it sent. */
static void gnic_send(Gnic *g, const void *frame, size_t len)
{
    if (g->e1000) {
        unsigned idx = qe1000_tx_frame(g->e, frame, len);

        qe1000_tx_kick(g->e);
        g_assert_true(qe1000_tx_wait_dd(g->e, idx, TOPO_TIMEOUT_MS));
    } else {
        unsigned slot = qrtl_c_tx(g->r, frame, len);
        uint32_t tsd = qrtl_c_tx_wait(g->r, slot, TOPO_TIMEOUT_MS);

        g_assert_cmphex(tsd & RTL_TSD_TOK, ==, RTL_TSD_TOK);
    }
}

static void arp_reply(Gnic *g, const uint8_t *req);

/*
 * Next frame for the guest within timeout_ms, without FCS; 0 when none.
 * ARP requests for g->ip are answered on the way and not returned.
 */
static size_t gnic_recv(Gnic *g, uint8_t *buf, size_t cap, int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        gint64 left = (end - g_get_monotonic_time()) / 1000;
        size_t len;

        if (left <= 0) {
            return 0;
        }
        if (g->e1000) {
            QE1000RxDesc d;
            unsigned idx = g->rx_next;

            if (!qe1000_rx_wait(g->e, idx, (int)left, &d)) {
                return 0;
            }
            g_assert_true(d.status & E1000_RXD_STA_EOP);
            len = MIN((size_t)d.length, cap);
            qe1000_rx_buf(g->e, idx, buf, len);
            qe1000_rx_refill(g->e, idx);
            qe1000_w(g->e, E1000_RDT, idx);
            g->rx_next = (idx + 1) % GNIC_RX_N;
        } else {
            uint16_t status;
            int n = qrtl_c_rx(g->r, &status, buf, cap, (int)left);

            if (n < 0) {
                return 0;
            }
            g_assert_cmphex(status & RTL_RXS_ROK, ==, RTL_RXS_ROK);
            g_assert_cmpint(n, >=, 4 + ETH_HLEN);
            len = MIN((size_t)n - 4, cap);
        }
        if (g->ip && len >= 42 && ld16_be(buf + 12) == ETH_P_ARP &&
            ld16_be(buf + 20) == 1 && memcmp(buf + 38, &g->ip, 4) == 0) {
            arp_reply(g, buf);
            continue;
        }
        return len;
    }
}

/* Next frame of our ethertype (others are skipped). */
static size_t gnic_recv_test(Gnic *g, uint8_t *buf, size_t cap,
                             int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        gint64 left = (end - g_get_monotonic_time()) / 1000;
        size_t n = left > 0 ? gnic_recv(g, buf, cap, (int)left) : 0;

        if (n == 0) {
            return 0;
        }
        if (ld16_be(buf + 12) == TOPO_ETHERTYPE ||
            (n >= 18 && ld16_be(buf + 12) == ETH_P_VLAN &&
             ld16_be(buf + 16) == TOPO_ETHERTYPE)) {
            return n;
        }
    }
}

/* No frame of our ethertype comes within ms. */
static void gnic_expect_none(Gnic *g, int ms)
{
    uint8_t buf[2048];

    g_assert_cmpuint(gnic_recv_test(g, buf, sizeof(buf), ms), ==, 0);
}

/* ---- IPv4 helpers for the routed and slirp tests ---- */

static uint32_t ip4(const char *s)
{
    uint32_t a;

    g_assert_cmpint(inet_pton(AF_INET, s, &a), ==, 1);
    return a;
}

static void arp_reply(Gnic *g, const uint8_t *req)
{
    uint8_t f[60] = {0};

    memcpy(f, req + 6, 6);
    memcpy(f + 6, g->mac, 6);
    st16_be(f + 12, ETH_P_ARP);
    st16_be(f + 14, 1);
    st16_be(f + 16, ETH_P_IP);
    f[18] = 6;
    f[19] = 4;
    st16_be(f + 20, 2);
    memcpy(f + 22, g->mac, 6);
    memcpy(f + 28, &g->ip, 4);
    memcpy(f + 32, req + 22, 10);
    gnic_send(g, f, sizeof(f));
}

static size_t put_ip4(uint8_t *f, const uint8_t *dst, const uint8_t *src,
                      uint32_t sip, uint32_t dip, uint8_t proto, size_t l4)
{
    uint8_t *ip = f + ETH_HLEN;

    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    st16_be(f + 12, ETH_P_IP);
    memset(ip, 0, 20);
    ip[0] = 0x45;
    st16_be(ip + 2, (uint16_t)(20 + l4));
    st16_be(ip + 4, 1);
    ip[8] = 64;
    ip[9] = proto;
    memcpy(ip + 12, &sip, 4);
    memcpy(ip + 16, &dip, 4);
    st16_be(ip + 10, net_csum_finish(net_csum_add(0, ip, 20)));
    return ETH_HLEN + 20;
}

static size_t build_udp(uint8_t *f, const uint8_t *dst, const uint8_t *src,
                        uint32_t sip, uint32_t dip, uint16_t sport,
                        uint16_t dport, const void *data, size_t dlen)
{
    size_t off = put_ip4(f, dst, src, sip, dip, IP_PROTO_UDP, 8 + dlen);
    uint8_t *u = f + off;
    uint32_t sum;
    uint16_t c;

    st16_be(u, sport);
    st16_be(u + 2, dport);
    st16_be(u + 4, (uint16_t)(8 + dlen));
    st16_be(u + 6, 0);
    memcpy(u + 8, data, dlen);
    sum = net_pseudo_sum_v4((uint8_t *)&sip, (uint8_t *)&dip, IP_PROTO_UDP,
                            (uint32_t)(8 + dlen));
    c = net_csum_finish(net_csum_add(sum, u, 8 + dlen));
    st16_be(u + 6, c ? c : 0xffff);
    return MAX(off + 8 + dlen, (size_t)60);
}

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10

static size_t build_tcp(uint8_t *f, const uint8_t *dst, const uint8_t *src,
                        uint32_t sip, uint32_t dip, uint16_t sport,
                        uint16_t dport, uint32_t seq, uint32_t ack,
                        uint8_t flags, const void *data, size_t dlen)
{
    size_t off = put_ip4(f, dst, src, sip, dip, IP_PROTO_TCP, 20 + dlen);
    uint8_t *t = f + off;
    uint32_t sum;

    memset(t, 0, 20);
    st16_be(t, sport);
    st16_be(t + 2, dport);
    st32_be(t + 4, seq);
    st32_be(t + 8, ack);
    t[12] = 5 << 4;
    t[13] = flags;
    st16_be(t + 14, 65535);
    if (dlen) {
        memcpy(t + 20, data, dlen);
    }
    sum = net_pseudo_sum_v4((uint8_t *)&sip, (uint8_t *)&dip, IP_PROTO_TCP,
                            (uint32_t)(20 + dlen));
    st16_be(t + 16, net_csum_finish(net_csum_add(sum, t, 20 + dlen)));
    return MAX(off + 20 + dlen, (size_t)60);
}

/* A received IPv4 frame of protocol `proto` (no VLAN); its L4 offset. */
static size_t ip4_l4(const uint8_t *f, size_t len, uint8_t proto)
{
    if (len < 34 || ld16_be(f + 12) != ETH_P_IP || f[23] != proto) {
        return 0;
    }
    return ETH_HLEN + (size_t)(f[14] & 0xf) * 4;
}

/* ---- emunet ---- */

static uint64_t sysfs_u64(const char *ifname, const char *attr)
{
    g_autofree char *path =
        g_strdup_printf("/sys/class/net/%s/%s", ifname, attr);
    g_autofree char *text = NULL;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return g_ascii_strtoull(text, NULL, 0);
}

static char *sysfs_str(const char *ifname, const char *attr)
{
    g_autofree char *path =
        g_strdup_printf("/sys/class/net/%s/%s", ifname, attr);
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return NULL;
    }
    return g_strstrip(text);
}

static char *master_of(const char *ifname)
{
    g_autofree char *path =
        g_strdup_printf("/sys/class/net/%s/master", ifname);
    g_autofree char *target = g_file_read_link(path, NULL);

    return target ? g_path_get_basename(target) : NULL;
}

/* utime + stime of a process, in clock ticks. */
static uint64_t proc_ticks(int pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
    g_autofree char *text = NULL;
    g_auto(GStrv) f = NULL;
    const char *p;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    /* Fields after the command name (which may hold spaces). */
    p = strrchr(text, ')');
    g_assert_nonnull(p);
    f = g_strsplit(p + 2, " ", -1);
    /* Field 3 is f[0]: utime is field 14, stime 15. */
    return g_ascii_strtoull(f[11], NULL, 10) +
           g_ascii_strtoull(f[12], NULL, 10);
}

/* Count non-overlapping occurrences of needle in hay. */
static int count_str(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) {
        n++;
    }
    return n;
}

/* emunet run to completion with `args` (no qtest peer): status, stderr. */
static int emunet_run_fail(const char *args, char **errs)
{
    g_autofree char *cmd =
        g_strdup_printf("%s -qtest unix:" TOPO_RUN "/none.sock %s",
                        g_getenv("EMUNET_BINARY"), args);
    g_auto(GStrv) argv = NULL;
    g_autoptr(GError) err = NULL;
    int status;

    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, &err));
    g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
                               NULL, NULL, NULL, errs, &status, &err));
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* ---- (a) Linux bridge ---- */

/* Frames both ways between each NIC and a packet socket in `peer_ns`. */
static void exchange(Gnic *g, int peer, const uint8_t *peer_mac, uint32_t seq)
{
    uint8_t out[600], in[2048];
    size_t n;

    /* Guest to peer, unicast to the peer's MAC. */
    fill_frame(out, sizeof(out), peer_mac, g->mac, seq);
    gnic_send(g, out, sizeof(out));
    n = pkt_recv(peer, in, sizeof(in), TOPO_TIMEOUT_MS);
    g_assert_cmpmem(in, n, out, sizeof(out));
    /* Peer to guest. */
    fill_frame(out, 300, g->mac, peer_mac, seq + 1);
    pkt_send(peer, out, 300);
    n = gnic_recv_test(g, in, sizeof(in), TOPO_TIMEOUT_MS);
    g_assert_cmpmem(in, n, out, 300);
}

/* The MAC of `ifname` in `ns` (our sysfs shows our namespace only). */
static void peer_mac(const char *ns, const char *ifname, uint8_t *mac)
{
    g_autofree char *out = sh_out("ip -n %s -br link show %s", ns, ifname);
    g_auto(GStrv) w = NULL;
    int v[6];

    g_assert_nonnull(out);
    w = g_strsplit_set(g_strstrip(out), " ", -1);
    for (int i = 0; w[i]; i++) {
        if (sscanf(w[i], "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5]) == 6 &&
            strlen(w[i]) == 17) {
            for (int j = 0; j < 6; j++) {
                mac[j] = (uint8_t)v[j];
            }
            return;
        }
    }
    g_error("no MAC for %s in %s: %s", ifname, ns, out);
}

static void test_bridge(void)
{
    uint8_t pmac[6];
    QTestState *qts;
    Gnic *e, *r;
    int peer;

    sh("ip link add brt0 type bridge");
    sh("ip link set brt0 up mtu 1480");
    ns_add("tpeer");
    sh("ip link add vb0 type veth peer name vb1 netns tpeer");
    sh("ip link set vb0 master brt0 up");
    sh("ip -n tpeer link set vb1 up");
    peer_mac("tpeer", "vb1", pmac);
    peer = pkt_open("tpeer", "vb1");

    qts = qtest_init("--domid 5 "
                     "--nic bridge=brt0,model=e1000,mac=52:54:00:00:00:01 "
                     "--nic bridge=brt0,mac=52:54:00:00:00:02,mtu=1400");
    /* vif-bridge's plumbing: port of brt0, MAC fe:ff:..., MTU. */
    for (int i = 0; i < 2; i++) {
        g_autofree char *tap = g_strdup_printf("vif5.%d-emu", i);
        g_autofree char *master = master_of(tap);
        g_autofree char *addr = sysfs_str(tap, "address");

        g_assert_cmpstr(master, ==, "brt0");
        g_assert_cmpstr(addr, ==, "fe:ff:ff:ff:ff:ff");
        g_assert_cmpuint(sysfs_u64(tap, "flags") & IFF_UP, ==, IFF_UP);
        g_assert_cmpuint(sysfs_u64(tap, "mtu"), ==, i == 0 ? 1480 : 1400);
    }
    e = gnic_start(qts, true, mac_e1000, 0);
    r = gnic_start(qts, false, mac_rtl, 0);
    /* The e1000's link is up now: so is its tap's carrier. */
    g_assert_cmpuint(sysfs_u64("vif5.0-emu", "carrier"), ==, 1);
    exchange(e, peer, pmac, 100);
    exchange(r, peer, pmac, 200);
    /* Broadcast from the peer reaches both guests. */
    {
        uint8_t f[100], in[2048];

        fill_frame(f, sizeof(f), mac_bcast, pmac, 300);
        pkt_send(peer, f, sizeof(f));
        g_assert_cmpmem(in, gnic_recv_test(e, in, sizeof(in), TOPO_TIMEOUT_MS),
                        f, sizeof(f));
        g_assert_cmpmem(in, gnic_recv_test(r, in, sizeof(in), TOPO_TIMEOUT_MS),
                        f, sizeof(f));
    }
    gnic_free(e);
    gnic_free(r);
    qtest_quit(qts);
    /* The taps went with emunet; the bridge has no port left but vb0. */
    g_assert_cmpuint(if_nametoindex("vif5.0-emu"), ==, 0);
    g_assert_cmpuint(if_nametoindex("vif5.1-emu"), ==, 0);
    close(peer);
    sh("ip link del vb0");
    sh("ip link del brt0");
    ns_del("tpeer");
}

/* ---- (b) Open vSwitch ---- */

static GPid ovs_pids[2];
static char *ovs_dir;

static void ovs_stop(void)
{
    for (int i = 1; i >= 0; i--) {
        if (ovs_pids[i] > 0) {
            kill(ovs_pids[i], SIGTERM);
            waitpid(ovs_pids[i], NULL, 0);
            ovs_pids[i] = 0;
        }
    }
    if (ovs_dir) {
        sh_try("rm -rf %s", ovs_dir);
        g_free(ovs_dir);
        ovs_dir = NULL;
    }
}

static void ovs_child_setup(gpointer data)
{
    /* Never outlive the test, whatever happens to it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static GPid ovs_spawn(char **argv)
{
    g_autoptr(GError) err = NULL;
    GPid pid;

    g_spawn_async(NULL, argv, NULL,
                  G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                      G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                  ovs_child_setup, NULL, &pid, &err);
    g_assert_no_error(err);
    return pid;
}

/* ovsdb-server and ovs-vswitchd on a fresh database, once per binary. */
static void ovs_start(void)
{
    g_autofree char *db = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *remote = NULL;
    g_autofree char *log1 = NULL;
    g_autofree char *log2 = NULL;
    g_autofree char *dbsock = NULL;

    if (ovs_dir) {
        return;
    }
    ovs_dir = g_strdup(TOPO_RUN "/ovs");
    g_assert_cmpint(mkdir(ovs_dir, 0700), ==, 0);
    /* ovs-vsctl, also the one emunet runs, finds everything here. */
    g_setenv("OVS_RUNDIR", ovs_dir, TRUE);
    g_setenv("OVS_DBDIR", ovs_dir, TRUE);
    g_setenv("OVS_LOGDIR", ovs_dir, TRUE);
    g_setenv("OVS_SYSCONFDIR", ovs_dir, TRUE);
    db = g_strdup_printf("%s/conf.db", ovs_dir);
    sh("ovsdb-tool create %s /usr/share/openvswitch/vswitch.ovsschema", db);
    dbsock = g_strdup_printf("%s/db.sock", ovs_dir);
    remote = g_strdup_printf("--remote=punix:%s", dbsock);
    log1 = g_strdup_printf("--log-file=%s/ovsdb-server.log", ovs_dir);
    {
        char *argv[] = {"ovsdb-server", db, remote, log1, NULL};

        ovs_pids[0] = ovs_spawn(argv);
    }
    for (int i = 0; i < 500 && !g_file_test(dbsock, G_FILE_TEST_EXISTS); i++) {
        g_usleep(10000);
    }
    sh("ovs-vsctl --no-wait init");
    sock = g_strdup_printf("unix:%s", dbsock);
    log2 = g_strdup_printf("--log-file=%s/ovs-vswitchd.log", ovs_dir);
    {
        char *argv[] = {"ovs-vswitchd", sock, log2, NULL};

        ovs_pids[1] = ovs_spawn(argv);
    }
}

/* An OVS bridge; the userspace datapath without the kernel module. */
static void ovs_add_bridge(const char *br)
{
    bool kmod = g_file_test("/sys/module/openvswitch", G_FILE_TEST_EXISTS);

    if (kmod) {
        sh("ovs-vsctl --timeout=30 add-br %s", br);
    } else {
        sh("ovs-vsctl --timeout=30 add-br %s -- set bridge %s "
           "datapath_type=netdev",
           br, br);
    }
    sh("ip link set %s up", br);
}

static char *ovs_port_col(const char *port, const char *col)
{
    char *out = sh_out("ovs-vsctl --timeout=30 get port %s %s", port, col);

    return out ? g_strstrip(out) : NULL;
}

/* Has the port `p` reached the datapath (ofport assigned)? */
static void ovs_wait_port(const char *p)
{
    for (int i = 0; i < 500; i++) {
        g_autofree char *out =
            sh_out("ovs-vsctl --timeout=30 get interface %s ofport", p);

        if (out && atoi(out) > 0) {
            return;
        }
        g_usleep(10000);
    }
    g_error("OVS port %s never came up", p);
}

static void test_ovs(gconstpointer data)
{
    bool access_e1000 = GPOINTER_TO_INT(data);
    uint8_t pmac[6], f[300], in[2048];
    g_autofree char *tag = NULL;
    g_autofree char *trunks = NULL;
    g_autofree char *args = NULL;
    QTestState *qts;
    Gnic *acc, *trk;
    size_t n;
    int peer;

    ovs_start();
    ovs_add_bridge("ovsbr");
    ns_add("opeer");
    sh("ip link add ot0 type veth peer name ot1 netns opeer");
    sh("ip link set ot0 up");
    sh("ip -n opeer link set ot1 up");
    /* The peer's port trunks everything: it sees the tags. */
    sh("ovs-vsctl --timeout=30 add-port ovsbr ot0");
    ovs_wait_port("ot0");
    peer_mac("opeer", "ot1", pmac);
    peer = pkt_open("opeer", "ot1");

    /* The access NIC on VLAN 102, the trunk NIC carrying 101 and 202. */
    args = g_strdup_printf(
        "--domid 7 "
        "--nic bridge=ovsbr.102,script=vif-openvswitch,model=%s,"
        "mac=52:54:00:00:00:0%d "
        "--nic bridge=ovsbr:101:202,script=/etc/xen/scripts/vif-openvswitch,"
        "model=%s,mac=52:54:00:00:00:0%d",
        access_e1000 ? "e1000" : "rtl8139", access_e1000 ? 1 : 2,
        access_e1000 ? "rtl8139" : "e1000", access_e1000 ? 2 : 1);
    qts = qtest_init(args);
    tag = ovs_port_col("vif7.0-emu", "tag");
    trunks = ovs_port_col("vif7.1-emu", "trunks");
    g_assert_cmpstr(tag, ==, "102");
    g_assert_cmpstr(trunks, ==, "[101, 202]");
    {
        g_autofree char *ext = sh_out("ovs-vsctl get interface vif7.0-emu "
                                      "external-ids:attached-mac");

        g_assert_nonnull(ext);
        g_assert_cmpstr(g_strstrip(ext), ==, access_e1000
                                                 ? "\"52:54:00:00:00:01\""
                                                 : "\"52:54:00:00:00:02\"");
    }
    ovs_wait_port("vif7.0-emu");
    ovs_wait_port("vif7.1-emu");
    acc = gnic_start(qts, access_e1000, access_e1000 ? mac_e1000 : mac_rtl, 0);
    trk = gnic_start(qts, !access_e1000, access_e1000 ? mac_rtl : mac_e1000,
                     0);

    /* Access NIC: untagged out, tagged 102 on the trunk wire. */
    fill_frame(f, 200, pmac, acc->mac, 1);
    gnic_send(acc, f, 200);
    n = pkt_recv(peer, in, sizeof(in), TOPO_TIMEOUT_MS);
    g_assert_cmpuint(n, ==, 204);
    g_assert_cmphex(ld16_be(in + 12), ==, ETH_P_VLAN);
    g_assert_cmphex(ld16_be(in + 14) & 0xfff, ==, 102);
    g_assert_cmpmem(in, 12, f, 12);
    g_assert_cmpmem(in + 16, n - 16, f + 12, 200 - 12);
    /* ...and back: tagged 102 from the wire, untagged at the NIC. */
    n = fill_tagged(f, 200, acc->mac, pmac, 102, 2);
    pkt_send(peer, f, n);
    n = gnic_recv_test(acc, in, sizeof(in), TOPO_TIMEOUT_MS);
    g_assert_cmpuint(n, ==, 200);
    g_assert_cmphex(ld16_be(in + 12), ==, TOPO_ETHERTYPE);
    g_assert_cmpuint(ld32_be(in + 14), ==, 2);
    /* A broadcast on 101 reaches the trunk NIC (tagged), not the other. */
    n = fill_tagged(f, 200, mac_bcast, pmac, 101, 3);
    pkt_send(peer, f, n);
    g_assert_cmpmem(in, gnic_recv_test(trk, in, sizeof(in), TOPO_TIMEOUT_MS),
                    f, n);

    /* Trunk NIC: 101 and 202 arrive tagged, as sent. */
    for (uint16_t vid = 101; vid <= 202; vid += 101) {
        n = fill_tagged(f, 200, trk->mac, pmac, vid, 10 + vid);
        pkt_send(peer, f, n);
        g_assert_cmpmem(in, gnic_recv_test(trk, in, sizeof(in),
                                           TOPO_TIMEOUT_MS),
                        f, n);
        /* And leave tagged, as the guest tagged them. */
        n = fill_tagged(f, 200, pmac, trk->mac, vid, 20 + vid);
        gnic_send(trk, f, n);
        g_assert_cmpmem(in, pkt_recv(peer, in, sizeof(in), TOPO_TIMEOUT_MS),
                        f, n);
    }
    /* A VLAN outside the trunk (303), and 102, do not reach it. */
    n = fill_tagged(f, 200, mac_bcast, pmac, 303, 4);
    pkt_send(peer, f, n);
    gnic_expect_none(trk, 300);
    gnic_expect_none(acc, 10);
    /* The access NIC's broadcast stays on 102: not on the trunk NIC. */
    fill_frame(f, 100, mac_bcast, acc->mac, 5);
    gnic_send(acc, f, 100);
    n = pkt_recv(peer, in, sizeof(in), TOPO_TIMEOUT_MS);
    g_assert_cmpuint(n, ==, 104);
    g_assert_cmphex(ld16_be(in + 14) & 0xfff, ==, 102);
    gnic_expect_none(trk, 300);

    gnic_free(acc);
    gnic_free(trk);
    qtest_quit(qts);
    /* del-port at exit: OVS has no stale port for the taps. */
    {
        g_autofree char *ports = sh_out("ovs-vsctl list-ports ovsbr");

        g_assert_nonnull(ports);
        g_assert_cmpstr(g_strstrip(ports), ==, "ot0");
    }
    close(peer);
    sh("ovs-vsctl --timeout=30 del-br ovsbr");
    sh("ip link del ot0");
    ns_del("opeer");
}

/* ---- (c) vif-route ---- */

static void test_route(void)
{
    const uint32_t gw_ip = ip4("10.77.0.1"), peer_ip = ip4("10.77.0.2");
    const char *guest_ips[2] = {"10.99.0.5", "10.99.0.6"};
    Gnic *g[2];
    QTestState *qts;
    int us;

    sh("ip link add gw0 type veth peer name gw1");
    ns_add("rpeer");
    sh("ip link set gw1 netns rpeer");
    sh("ip addr add 10.77.0.1/24 dev gw0");
    sh("ip link set gw0 up");
    sh("ip -n rpeer addr add 10.77.0.2/24 dev gw1");
    sh("ip -n rpeer link set gw1 up");
    sh("ip -n rpeer route add default via 10.77.0.1");
    write_file("/proc/sys/net/ipv4/ip_forward", "1");
    write_file("/proc/sys/net/ipv4/conf/all/rp_filter", "0");
    write_file("/proc/sys/net/ipv4/conf/default/rp_filter", "0");
    /* The peer's UDP socket. */
    ns_enter("rpeer");
    us = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    {
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons(7000),
                                .sin_addr.s_addr = peer_ip};

        g_assert_cmpint(bind(us, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    }
    ns_home();

    qts = qtest_init(
        "--nic script=vif-route,ip=10.99.0.5,gatewaydev=gw0,model=e1000,"
        "mac=52:54:00:00:00:01,vifname=rt-a "
        "--nic script=vif-route,ip=10.99.0.6,gatewaydev=gw0,"
        "mac=52:54:00:00:00:02,vifname=rt-b");
    /* vif-route's plumbing: dom0's IP as a /32, proxy ARP, the route. */
    for (int i = 0; i < 2; i++) {
        const char *tap = i ? "rt-b-emu" : "rt-a-emu";
        g_autofree char *addr = sh_out("ip -br -4 addr show dev %s", tap);
        g_autofree char *route = sh_out("ip route show %s", guest_ips[i]);
        g_autofree char *pa = NULL;
        g_autofree char *path =
            g_strdup_printf("/proc/sys/net/ipv4/conf/%s/proxy_arp", tap);

        g_assert_nonnull(addr);
        g_assert_nonnull(strstr(addr, "10.77.0.1/32"));
        g_assert_true(g_file_get_contents(path, &pa, NULL, NULL));
        g_assert_cmpstr(g_strstrip(pa), ==, "1");
        g_assert_nonnull(route);
        if (!strstr(route, tap) || !strstr(route, "src 10.77.0.1") ||
            !strstr(route, "metric 1")) {
            g_error("route for %s: %s", guest_ips[i], route);
        }
    }
    g[0] = gnic_start(qts, true, mac_e1000, 0);
    g[1] = gnic_start(qts, false, mac_rtl, 0);
    for (int i = 0; i < 2; i++) {
        uint8_t f[128] = {0}, in[2048], tapmac[6];
        uint32_t gip = ip4(guest_ips[i]);
        char msg[32], buf[64];
        struct sockaddr_in from, to;
        socklen_t fl = sizeof(from);
        size_t n, l4;
        ssize_t r;

        g[i]->ip = gip;
        /* ARP for the peer: the tap answers for it (proxy ARP). */
        memcpy(f, mac_bcast, 6);
        memcpy(f + 6, g[i]->mac, 6);
        st16_be(f + 12, ETH_P_ARP);
        st16_be(f + 14, 1);
        st16_be(f + 16, ETH_P_IP);
        f[18] = 6;
        f[19] = 4;
        st16_be(f + 20, 1);
        memcpy(f + 22, g[i]->mac, 6);
        memcpy(f + 28, &gip, 4);
        memcpy(f + 38, &peer_ip, 4);
        gnic_send(g[i], f, 60);
        do {
            n = gnic_recv(g[i], in, sizeof(in), TOPO_TIMEOUT_MS);
            g_assert_cmpuint(n, >, 0);
        } while (ld16_be(in + 12) != ETH_P_ARP || ld16_be(in + 20) != 2);
        g_assert_cmpmem(in + 28, 4, &peer_ip, 4);
        memcpy(tapmac, in + 22, 6);
        /* Guest to peer through the host's routing. */
        snprintf(msg, sizeof(msg), "from guest %d", i);
        n = build_udp(f, tapmac, g[i]->mac, gip, peer_ip, 5000, 7000, msg,
                      strlen(msg));
        gnic_send(g[i], f, n);
        r = recvfrom(us, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
        g_assert_cmpint(r, ==, (ssize_t)strlen(msg));
        g_assert_cmpmem(buf, r, msg, strlen(msg));
        g_assert_cmpuint(from.sin_addr.s_addr, ==, gip);
        /* Peer to guest: the host routes it to the tap (ARPs for it). */
        to = from;
        snprintf(msg, sizeof(msg), "to guest %d", i);
        g_assert_cmpint(sendto(us, msg, strlen(msg), 0, (struct sockaddr *)&to,
                               sizeof(to)),
                        ==, (ssize_t)strlen(msg));
        for (;;) {
            n = gnic_recv(g[i], in, sizeof(in), TOPO_TIMEOUT_MS);
            g_assert_cmpuint(n, >, 0);
            l4 = ip4_l4(in, n, IP_PROTO_UDP);
            if (l4) {
                break;
            }
        }
        g_assert_cmpmem(in + 26, 4, &peer_ip, 4);
        g_assert_cmpmem(in + 30, 4, &gip, 4);
        g_assert_cmpuint(ld16_be(in + l4 + 2), ==, 5000);
        g_assert_cmpmem(in + l4 + 8, strlen(msg), msg, strlen(msg));
    }
    (void)gw_ip;
    gnic_free(g[0]);
    gnic_free(g[1]);
    qtest_quit(qts);
    {
        g_autofree char *routes = sh_out("ip route show");

        g_assert_nonnull(routes);
        g_assert_null(strstr(routes, "10.99.0"));
    }
    close(us);
    sh("ip link del gw0");
    ns_del("rpeer");
}

/* ---- (d) libslirp: DHCP lease, TCP to a forwarded host port ---- */

static const uint8_t slirp_gw_ip[4] = {10, 0, 2, 2};

/* DHCP (RFC 2131) DISCOVER or REQUEST from the guest. */
static size_t build_dhcp(uint8_t *f, Gnic *g, uint8_t type, uint32_t xid,
                         uint32_t req_ip, uint32_t server)
{
    uint8_t d[300] = {0};
    size_t o = 240;

    d[0] = 1;
    d[1] = 1;
    d[2] = 6;
    st32_be(d + 4, xid);
    st16_be(d + 10, 0x8000);
    memcpy(d + 28, g->mac, 6);
    st32_be(d + 236, 0x63825363);
    d[o++] = 53;
    d[o++] = 1;
    d[o++] = type;
    if (req_ip) {
        d[o++] = 50;
        d[o++] = 4;
        memcpy(d + o, &req_ip, 4);
        o += 4;
        d[o++] = 54;
        d[o++] = 4;
        memcpy(d + o, &server, 4);
        o += 4;
    }
    d[o++] = 255;
    return build_udp(f, mac_bcast, g->mac, 0, 0xffffffff, 68, 67, d, o);
}

/* The next DHCP reply of `type` to xid; returns yiaddr, server in *srv. */
static uint32_t dhcp_wait(Gnic *g, uint32_t xid, uint8_t type, uint32_t *srv)
{
    uint8_t in[2048];

    for (;;) {
        size_t n = gnic_recv(g, in, sizeof(in), TOPO_TIMEOUT_MS);
        size_t l4 = n ? ip4_l4(in, n, IP_PROTO_UDP) : 0;
        const uint8_t *d = in + l4 + 8;
        uint32_t yi;

        g_assert_cmpuint(n, >, 0);
        if (!l4 || ld16_be(in + l4 + 2) != 68 || n < l4 + 8 + 244 ||
            ld32_be(d + 4) != xid) {
            continue;
        }
        memcpy(&yi, d + 16, 4);
        for (size_t o = 240; o + 2 < n - l4 - 8 && d[o] != 255;
             o += 2 + d[o + 1]) {
            if (d[o] == 54 && d[o + 1] == 4) {
                memcpy(srv, d + o + 2, 4);
            }
            if (d[o] == 53 && d[o + 2] != type) {
                g_error("DHCP message type %u, expected %u", d[o + 2], type);
            }
        }
        return yi;
    }
}

/* The next TCP segment to the guest (its L4 offset in *l4). */
static size_t tcp_wait(Gnic *g, uint8_t *in, size_t cap, size_t *l4)
{
    for (;;) {
        size_t n = gnic_recv(g, in, cap, TOPO_TIMEOUT_MS);

        g_assert_cmpuint(n, >, 0);
        *l4 = ip4_l4(in, n, IP_PROTO_TCP);
        if (*l4) {
            return n;
        }
    }
}

static int tcp_connect_local(uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    g_assert_cmpint(s, >=, 0);
    g_assert_true(connect(s, (struct sockaddr *)&a, sizeof(a)) == 0 ||
                  errno == EINPROGRESS);
    return s;
}

static void test_slirp(gconstpointer data)
{
    bool e1000 = GPOINTER_TO_INT(data);
    uint8_t f[2048], in[2048], gw_mac[6];
    uint32_t srv = 0, yi, gip, gw;
    uint32_t gseq = 0x1000, hseq;
    QTestState *qts;
    Gnic *g;
    size_t n, l4;
    int s;
    char buf[16];

    /*
     * No -netdev: the NIC gets the default user network, its options
     * from -net (restrict=on stays: forwarded ports still work).
     */
    qts = qtest_initf("-net user,hostfwd=tcp:127.0.0.1:18080-:80 "
                      "-device %s,mac=%s",
                      e1000 ? "e1000" : "rtl8139",
                      e1000 ? "52:54:00:00:00:01" : "52:54:00:00:00:02");
    g = gnic_start(qts, e1000, e1000 ? mac_e1000 : mac_rtl, 0);

    n = build_dhcp(f, g, 1, 0x1234, 0, 0);
    gnic_send(g, f, n);
    yi = dhcp_wait(g, 0x1234, 2, &srv);
    g_assert_cmpuint(yi, ==, ip4("10.0.2.15"));
    g_assert_cmpuint(srv, ==, ip4("10.0.2.2"));
    n = build_dhcp(f, g, 3, 0x1235, yi, srv);
    gnic_send(g, f, n);
    g_assert_cmpuint(dhcp_wait(g, 0x1235, 5, &srv), ==, yi);
    gip = yi;
    g->ip = gip;
    memcpy(&gw, slirp_gw_ip, 4);

    /* A host client on the forwarded port: slirp opens TCP to :80. */
    s = tcp_connect_local(18080);
    n = tcp_wait(g, in, sizeof(in), &l4);
    g_assert_cmphex(in[l4 + 13] & (TCP_SYN | TCP_ACK), ==, TCP_SYN);
    g_assert_cmpuint(ld16_be(in + l4 + 2), ==, 80);
    memcpy(gw_mac, in + 6, 6);
    g_assert_cmpmem(in + 30, 4, &gip, 4);
    hseq = ld32_be(in + l4 + 4) + 1;
    {
        uint16_t hport = ld16_be(in + l4);
        uint32_t src;

        memcpy(&src, in + 26, 4);
        n = build_tcp(f, gw_mac, g->mac, gip, src, 80, hport, gseq, hseq,
                      TCP_SYN | TCP_ACK, NULL, 0);
        gnic_send(g, f, n);
        gseq++;
        /* The ACK, then the client's data. */
        for (;;) {
            struct pollfd pfd = {.fd = s, .events = POLLOUT};

            g_assert_cmpint(poll(&pfd, 1, TOPO_TIMEOUT_MS), ==, 1);
            if (send(s, "hello", 5, 0) == 5) {
                break;
            }
            g_assert_cmpint(errno, ==, EAGAIN);
        }
        for (;;) {
            n = tcp_wait(g, in, sizeof(in), &l4);
            if (n > l4 + 20 && ld16_be(in + 16) > 40) {
                break;
            }
        }
        g_assert_cmpmem(in + l4 + (in[l4 + 12] >> 4) * 4, 5, "hello", 5);
        hseq += 5;
        /* Acknowledge and answer. */
        n = build_tcp(f, gw_mac, g->mac, gip, src, 80, hport, gseq, hseq,
                      TCP_ACK | TCP_PSH, "world", 5);
        gnic_send(g, f, n);
    }
    {
        struct pollfd pfd = {.fd = s, .events = POLLIN};

        g_assert_cmpint(poll(&pfd, 1, TOPO_TIMEOUT_MS), ==, 1);
        g_assert_cmpint(recv(s, buf, sizeof(buf), 0), ==, 5);
        g_assert_cmpmem(buf, 5, "world", 5);
    }
    (void)gw;
    close(s);
    gnic_free(g);
    qtest_quit(qts);
}

/* ---- TSO through a tap with offloads ---- */

/* A raw tap without offloads on the bridge: the kernel must segment. */
static int raw_tap(const char *name)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

    g_assert_cmpint(fd, >=, 0);
    memset(&ifr, 0, sizeof(ifr));
    g_strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    g_assert_cmpint(ioctl(fd, TUNSETIFF, &ifr), ==, 0);
    return fd;
}

/* Next frame on a tap fd from `src` within timeout_ms; 0 when none. */
static size_t tap_read_from(int fd, const uint8_t *src, uint8_t *buf,
                            size_t cap, int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        gint64 left = (end - g_get_monotonic_time()) / 1000;
        ssize_t n;

        if (left < 0 || poll(&pfd, 1, (int)left) <= 0) {
            return 0;
        }
        n = read(fd, buf, cap);
        if (n >= ETH_HLEN && memcmp(buf + 6, src, 6) == 0) {
            return (size_t)n;
        }
    }
}

static void test_tso(void)
{
    const size_t mss = 1448, paylen = 65536 - 66 - 1;
    g_autofree uint8_t *frame = g_malloc(70000);
    g_autofree uint8_t *got = g_malloc(paylen);
    uint8_t seg[4096];
    QE1000FrameSpec spec;
    QE1000FrameInfo fi;
    QTestState *qts;
    Gnic *g;
    uint64_t writes0, writes1;
    size_t len, hdr, off, nseg = 0, total = 0;
    unsigned last = 0;
    int fd;

    sh("ip link add brt1 type bridge");
    sh("ip link set brt1 up");
    fd = raw_tap("tsopeer");
    sh("ip link set tsopeer master brt1 up");
    qts = qtest_init("--nic bridge=brt1,model=e1000,mac=52:54:00:00:00:01");
    g = gnic_start(qts, true, mac_e1000, 0);
    /* Let the bridge settle (no frames of ours in flight). */
    g_usleep(100 * 1000);

    qe1000_frame_spec_init(&spec);
    memcpy(spec.src, mac_e1000, 6);
    memset(spec.dst, 0xff, 6);
    spec.l3 = QE1000_L3_IPV4;
    spec.l4 = QE1000_L4_TCP;
    spec.payload_len = paylen;
    spec.payload_seed = 0x5a;
    spec.tcp_flags = TCP_ACK | TCP_PSH;
    spec.tcp_seq = 0x10000000;
    spec.tso_headers = true;
    len = qe1000_build_frame(frame, 70000, &spec, &fi);
    hdr = fi.payload_off;

    writes0 = sysfs_u64("vif0.0-emu", "statistics/rx_packets");
    qe1000_tx_context(g->e, fi.l3_off, fi.l3_off + 10, fi.l4_off - 1,
                      fi.l4_off, fi.l4_off + 16, 0, paylen,
                      E1000_TUCMD_TCP | E1000_TUCMD_TSE | E1000_TUCMD_IP, hdr,
                      mss);
    qe1000_tx_data(g->e, qe1000_copy_to_guest(g->e, frame, hdr), hdr,
                   E1000_TXD_CMD_IFCS | E1000_TXD_CMD_TSE,
                   E1000_POPTS_TXSM | E1000_POPTS_IXSM, 0);
    for (off = hdr; off < len;) {
        size_t chunk = MIN((size_t)8192, len - off);

        last = qe1000_tx_data(
            g->e, qe1000_copy_to_guest(g->e, frame + off, chunk), chunk,
            E1000_TXD_CMD_IFCS | E1000_TXD_CMD_TSE |
                (off + chunk == len ? E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS
                                    : 0),
            0, 0);
        off += chunk;
    }
    qe1000_tx_kick(g->e);
    g_assert_true(qe1000_tx_wait_dd(g->e, last, TOPO_TIMEOUT_MS));

    /* At the peer: MSS-sized TCP segments, headers and checksums right. */
    while (total < paylen) {
        size_t n = tap_read_from(fd, mac_e1000, seg, sizeof(seg),
                                 TOPO_TIMEOUT_MS);
        size_t plen = n - hdr;

        if (n == 0) {
            g_error("TSO: %zu of %zu payload bytes arrived", total, paylen);
        }
        g_assert_cmpuint(plen, ==, MIN(mss, paylen - total));
        g_assert_cmpuint(qe1000_be16(seg + fi.l3_off + 2), ==,
                         hdr - fi.l3_off + plen);
        g_assert_true(qe1000_ipv4_csum_ok(seg, fi.l3_off));
        g_assert_cmphex(qe1000_be32(seg + fi.l4_off + 4), ==,
                        spec.tcp_seq + (uint32_t)total);
        g_assert_true(qe1000_l4_csum_ok(seg, n, fi.l3_off, fi.l4_off));
        g_assert_cmphex(seg[fi.l4_off + 13], ==,
                        total + plen == paylen ? (TCP_ACK | TCP_PSH)
                                               : TCP_ACK);
        memcpy(got + total, seg + hdr, plen);
        total += plen;
        nseg++;
    }
    g_assert_cmpmem(got, paylen, frame + hdr, paylen);
    g_assert_cmpuint(nseg, ==, (paylen + mss - 1) / mss);
    /* One write of the super-frame to the tap. */
    writes1 = sysfs_u64("vif0.0-emu", "statistics/rx_packets");
    g_assert_cmpuint(writes1 - writes0, ==, 1);
    g_assert_cmpuint(tap_read_from(fd, mac_e1000, seg, sizeof(seg), 100), ==,
                     0);

    gnic_free(g);
    qtest_quit(qts);
    close(fd);
    sh("ip link del brt1");
}

/* ---- faults ---- */

/*
 * The tap is deleted underneath: the e1000's link goes down (STATUS.LU
 * clear, ICR.LSC), one error line, the rtl8139 on the other tap goes on,
 * and emunet exits cleanly later.
 */
static void test_tap_deleted(void)
{
    uint8_t pmac[6];
    g_autofree char *errs = NULL;
    QTestState *qts;
    Gnic *e, *r;
    int peer;

    sh("ip link add brt2 type bridge");
    sh("ip link set brt2 up");
    ns_add("dpeer");
    sh("ip link add vd0 type veth peer name vd1 netns dpeer");
    sh("ip link set vd0 master brt2 up");
    sh("ip -n dpeer link set vd1 up");
    peer_mac("dpeer", "vd1", pmac);
    peer = pkt_open("dpeer", "vd1");
    qts = qtest_init("--nic bridge=brt2,model=e1000,mac=52:54:00:00:00:01 "
                     "--nic bridge=brt2,mac=52:54:00:00:00:02");
    e = gnic_start(qts, true, mac_e1000, 0);
    r = gnic_start(qts, false, mac_rtl, 0);
    exchange(e, peer, pmac, 1);
    qe1000_r(e->e, E1000_ICR);

    sh("ip link del vif0.0-emu");
    {
        bool down = false;

        for (int i = 0; i < 300 && !down; i++) {
            down = !(qe1000_r(e->e, E1000_STATUS) & E1000_STATUS_LU);
            if (!down) {
                g_usleep(10000);
            }
        }
        g_assert_true(down);
        g_assert_cmphex(qe1000_r(e->e, E1000_ICR) & E1000_ICR_LSC, ==,
                        E1000_ICR_LSC);
    }
    /* Sending on the dead link is harmless; the other NIC serves on. */
    {
        uint8_t f[100];

        fill_frame(f, sizeof(f), pmac, mac_e1000, 9);
        qe1000_tx_frame(e->e, f, sizeof(f));
        qe1000_tx_kick(e->e);
    }
    exchange(r, peer, pmac, 10);
    exchange(r, peer, pmac, 20);
    errs = qtest_stderr(qts);
    g_assert_cmpint(count_str(errs, "vif0.0-emu was deleted"), ==, 1);
    gnic_free(e);
    gnic_free(r);
    qtest_quit(qts);
    close(peer);
    sh("ip link del vd0");
    sh("ip link del brt2");
    ns_del("dpeer");
}

/*
 * The guest stops reading (no RX buffers left): emunet stops reading the
 * tap, so frames wait in the tap's queue (none lost) and emunet sleeps
 * (its CPU from /proc stays near zero); once the guest takes frames again
 * every frame arrives, in order.
 */
static void test_backpressure(void)
{
    const unsigned total = 400;
    uint8_t pmac[6], f[1000], in[2048];
    uint64_t t0, t1;
    QTestState *qts;
    Gnic *g;
    int peer;

    sh("ip link add brt3 type bridge");
    sh("ip link set brt3 up");
    ns_add("bpeer");
    sh("ip link add vp0 type veth peer name vp1 netns bpeer");
    sh("ip link set vp0 master brt3 up");
    sh("ip -n bpeer link set vp1 up");
    peer_mac("bpeer", "vp1", pmac);
    peer = pkt_open("bpeer", "vp1");
    qts = qtest_init("--nic bridge=brt3,model=e1000,mac=52:54:00:00:00:01");
    g = gnic_start(qts, true, mac_e1000, 0);
    /* The guest takes nothing while the peer sends them all. */
    for (unsigned i = 0; i < total; i++) {
        fill_frame(f, sizeof(f), mac_e1000, pmac, i);
        pkt_send(peer, f, sizeof(f));
    }
    g_usleep(200 * 1000);
    /* Full (GNIC_RX_N - 1 buffers): no progress, and no CPU. */
    t0 = proc_ticks(qtest_pid(qts));
    g_usleep(1000 * 1000);
    t1 = proc_ticks(qtest_pid(qts));
    g_test_message("emunet used %" G_GUINT64_FORMAT " ticks while the guest "
                   "had no buffers",
                   t1 - t0);
    g_assert_cmpuint(t1 - t0, <=, 5);
    g_assert_cmpuint(qe1000_r(g->e, E1000_RDH), ==, GNIC_RX_N - 1);
    /* The guest reads again: everything arrives, in order. */
    for (unsigned i = 0; i < total; i++) {
        size_t n = gnic_recv_test(g, in, sizeof(in), TOPO_TIMEOUT_MS);

        if (n == 0) {
            g_error("frame %u of %u never arrived", i, total);
        }
        g_assert_cmpuint(n, ==, sizeof(f));
        g_assert_cmpuint(ld32_be(in + 14), ==, i);
    }
    g_assert_cmpuint(sysfs_u64("vif0.0-emu", "statistics/tx_dropped"), ==,
                     0);
    gnic_free(g);
    qtest_quit(qts);
    close(peer);
    sh("ip link del vp0");
    sh("ip link del brt3");
    ns_del("bpeer");
}

/* A capture on a full disk costs records, never frames. */
static void test_dump_full_disk(void)
{
    g_autofree char *errs = NULL;
    g_autofree char *data = NULL;
    uint8_t pmac[6];
    QTestState *qts;
    Gnic *g;
    size_t len, off = 24, records = 0;
    int peer;

    g_assert_cmpint(mkdir(TOPO_RUN "/small", 0700), ==, 0);
    g_assert_cmpint(
        mount("tmpfs", TOPO_RUN "/small", "tmpfs", 0, "size=64k"), ==, 0);
    sh("ip link add brt4 type bridge");
    sh("ip link set brt4 up");
    ns_add("fpeer");
    sh("ip link add vf0 type veth peer name vf1 netns fpeer");
    sh("ip link set vf0 master brt4 up");
    sh("ip -n fpeer link set vf1 up");
    peer_mac("fpeer", "vf1", pmac);
    peer = pkt_open("fpeer", "vf1");
    qts = qtest_init("--nic bridge=brt4,model=e1000,mac=52:54:00:00:00:01 "
                     "-object filter-dump,id=f0,netdev=vif0,"
                     "file=" TOPO_RUN "/small/cap.pcap");
    g = gnic_start(qts, true, mac_e1000, 0);
    /* 200 exchanges of 600 + 300 bytes: far more than 64 KiB. */
    for (uint32_t i = 0; i < 200; i++) {
        exchange(g, peer, pmac, 1000 + 2 * i);
    }
    errs = qtest_stderr(qts);
    g_assert_cmpint(count_str(errs, "cap.pcap"), ==, 1);
    gnic_free(g);
    qtest_quit(qts);
    /* The file holds whole records only, and as many as fit. */
    g_assert_true(g_file_get_contents(TOPO_RUN "/small/cap.pcap", &data, &len,
                                      NULL));
    g_assert_cmpuint(len, >, 40000);
    while (off < len) {
        uint32_t rec[4];

        g_assert_cmpuint(len - off, >=, 16);
        memcpy(rec, data + off, 16);
        g_assert_cmpuint(rec[2], ==, rec[3]);
        g_assert_cmpuint(len - off - 16, >=, rec[2]);
        off += 16 + rec[2];
        records++;
    }
    g_assert_cmpuint(records, <, 400);
    close(peer);
    sh("ip link del vf0");
    sh("ip link del brt4");
    ns_del("fpeer");
    g_assert_cmpint(umount(TOPO_RUN "/small"), ==, 0);
    g_assert_cmpint(rmdir(TOPO_RUN "/small"), ==, 0);
}

/* A host port already taken: a clear error and exit status 1. */
static void test_hostfwd_taken(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(18081),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    g_autofree char *errs = NULL;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int status;

    g_assert_cmpint(bind(s, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    g_assert_cmpint(listen(s, 1), ==, 0);
    status = emunet_run_fail("-netdev user,id=u0,"
                             "hostfwd=tcp:127.0.0.1:18081-:22 "
                             "-device e1000,netdev=u0",
                             &errs);
    g_test_message("%s", errs);
    g_assert_cmpint(status, ==, 1);
    g_assert_nonnull(strstr(errs, "hostfwd=tcp:127.0.0.1:18081-:22"));
    g_assert_nonnull(strstr(errs, "cannot forward host port 127.0.0.1:18081"));
    close(s);
}

/* vif32767.99-emu (15 characters) is taken; 16 are refused, not cut. */
static void test_names(void)
{
    g_autofree char *errs = NULL;
    g_autofree char *errs2 = NULL;
    QTestState *qts;
    int status;

    sh("ip link add brt5 type bridge");
    qts = qtest_init("--nic bridge=brt5,vifname=vif32767.99");
    g_assert_cmpuint(if_nametoindex("vif32767.99-emu"), >, 0);
    {
        g_autofree char *m = master_of("vif32767.99-emu");

        g_assert_cmpstr(m, ==, "brt5");
    }
    qtest_quit(qts);
    g_assert_cmpuint(if_nametoindex("vif32767.99-emu"), ==, 0);

    status = emunet_run_fail("--nic bridge=brt5,vifname=vif32767.100", &errs);
    g_assert_cmpint(status, ==, 2);
    g_assert_nonnull(strstr(errs, "vif32767.100-emu"));
    g_assert_nonnull(strstr(errs, "at most 15"));
    status = emunet_run_fail("-netdev tap,id=t0,ifname=vif32767.100-emu "
                             "-device e1000,netdev=t0",
                             &errs2);
    g_assert_cmpint(status, ==, 2);
    g_assert_nonnull(strstr(errs2, "at most 15"));
    /* Nothing was created under a shortened name. */
    g_assert_cmpuint(if_nametoindex("vif32767.100-em"), ==, 0);
    sh("ip link del brt5");
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    topo_enter();
    g_test_add_func("/net-topology/bridge", test_bridge);
    g_test_add_data_func("/net-topology/ovs/access-e1000", GINT_TO_POINTER(1),
                         test_ovs);
    g_test_add_data_func("/net-topology/ovs/access-rtl8139",
                         GINT_TO_POINTER(0), test_ovs);
    g_test_add_func("/net-topology/route", test_route);
    g_test_add_data_func("/net-topology/slirp/e1000", GINT_TO_POINTER(1),
                         test_slirp);
    g_test_add_data_func("/net-topology/slirp/rtl8139", GINT_TO_POINTER(0),
                         test_slirp);
    g_test_add_func("/net-topology/tso", test_tso);
    g_test_add_func("/net-topology/fault/tap-deleted", test_tap_deleted);
    g_test_add_func("/net-topology/fault/backpressure", test_backpressure);
    g_test_add_func("/net-topology/fault/dump-full-disk",
                    test_dump_full_disk);
    g_test_add_func("/net-topology/fault/hostfwd-taken", test_hostfwd_taken);
    g_test_add_func("/net-topology/names", test_names);
    ret = g_test_run();
    ovs_stop();
    return ret;
}
