/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers of the host-topology tests; see net-topology.h.
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
#include "net-topology.h"

const uint8_t mac_e1000[6] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x01};
const uint8_t mac_rtl[6] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x02};
const uint8_t mac_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* The test namespace (topo_enter), to come back to after ns_enter. */
static int home_ns = -1;

/* ---- commands and namespaces ---- */

bool G_GNUC_PRINTF(1, 2) sh_try(const char *fmt, ...)
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

/* Command output (stdout), or NULL. */
char *G_GNUC_PRINTF(1, 2) sh_out(const char *fmt, ...)
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

void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, text, strlen(text)), ==, (ssize_t)strlen(text));
    close(fd);
}

void ns_enter(const char *ns)
{
    g_autofree char *path = g_strdup_printf("/run/netns/%s", ns);
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(setns(fd, CLONE_NEWNET), ==, 0);
    close(fd);
}

void ns_home(void)
{
    g_assert_cmpint(setns(home_ns, CLONE_NEWNET), ==, 0);
}

/* A peer namespace: loopback up, IPv6 off (no stray RS/MLD frames). */
void ns_add(const char *ns)
{
    sh("ip netns add %s", ns);
    ns_enter(ns);
    write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
    write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
    ns_home();
    sh("ip -n %s link set lo up", ns);
}

void ns_del(const char *ns)
{
    sh("ip netns del %s", ns);
}

/* The test namespace: new network and mount namespaces, tmpfs /run. */
void topo_enter(void)
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

void fill_frame(uint8_t *buf, size_t len, const uint8_t *dst,
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
size_t fill_tagged(uint8_t *buf, size_t len, const uint8_t *dst,
                   const uint8_t *src, uint16_t vid, uint32_t seq)
{
    fill_frame(buf, len, dst, src, seq);
    memmove(buf + 16, buf + 12, len - 12);
    st16_be(buf + 12, ETH_P_VLAN);
    st16_be(buf + 14, vid);
    return len + 4;
}

/* ---- packet sockets in a namespace ---- */

int pkt_open(const char *ns, const char *ifname)
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
size_t pkt_recv(int s, uint8_t *buf, size_t cap, int timeout_ms)
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

void pkt_send(int s, const void *frame, size_t len)
{
    g_assert_cmpint(send(s, frame, len, 0), ==, (ssize_t)len);
}

/* ---- guest NICs (one driver interface for both models) ---- */

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
Gnic *gnic_start(QTestState *qts, bool e1000, const uint8_t *mac, int nth)
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

void gnic_free(Gnic *g)
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
void gnic_send(Gnic *g, const void *frame, size_t len)
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
size_t gnic_recv(Gnic *g, uint8_t *buf, size_t cap, int timeout_ms)
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
size_t gnic_recv_test(Gnic *g, uint8_t *buf, size_t cap, int timeout_ms)
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

/* Wait until the e1000 has filled every RX buffer the guest gave it. */
void gnic_wait_rx_full(Gnic *g)
{
    gint64 end = g_get_monotonic_time() + TOPO_TIMEOUT_MS * 1000;

    while (qe1000_r(g->e, E1000_RDH) != qe1000_r(g->e, E1000_RDT)) {
        if (g_get_monotonic_time() > end) {
            g_error("RX ring not full: RDH %u, RDT %u",
                    qe1000_r(g->e, E1000_RDH), qe1000_r(g->e, E1000_RDT));
        }
        g_usleep(1000);
    }
}

/* No frame of our ethertype comes within ms. */
void gnic_expect_none(Gnic *g, int ms)
{
    uint8_t buf[2048];

    g_assert_cmpuint(gnic_recv_test(g, buf, sizeof(buf), ms), ==, 0);
}

/* ---- IPv4 helpers for the routed and slirp tests ---- */

uint32_t ip4(const char *s)
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

size_t build_udp(uint8_t *f, const uint8_t *dst, const uint8_t *src,
                 uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport,
                 const void *data, size_t dlen)
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

size_t build_tcp(uint8_t *f, const uint8_t *dst, const uint8_t *src,
                 uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport,
                 uint32_t seq, uint32_t ack, uint8_t flags, const void *data,
                 size_t dlen)
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
size_t ip4_l4(const uint8_t *f, size_t len, uint8_t proto)
{
    if (len < 34 || ld16_be(f + 12) != ETH_P_IP || f[23] != proto) {
        return 0;
    }
    return ETH_HLEN + (size_t)(f[14] & 0xf) * 4;
}

/* ---- emunet ---- */

uint64_t sysfs_u64(const char *ifname, const char *attr)
{
    g_autofree char *path =
        g_strdup_printf("/sys/class/net/%s/%s", ifname, attr);
    g_autofree char *text = NULL;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return g_ascii_strtoull(text, NULL, 0);
}

char *sysfs_str(const char *ifname, const char *attr)
{
    g_autofree char *path =
        g_strdup_printf("/sys/class/net/%s/%s", ifname, attr);
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return NULL;
    }
    return g_strstrip(text);
}

/*
 * Wait until the Linux bridge forwards through its port `ifname`. With
 * STP off a port forwards as soon as the bridge sees it up with a
 * carrier, but the bridge hears of carrier changes (the tap's follows the
 * guest's link) from the kernel's linkwatch work, which runs up to a
 * second later, more under load: frames sent before then are dropped.
 */
void bridge_port_wait(const char *ifname)
{
    gint64 end = g_get_monotonic_time() + TOPO_SETTLE_MS * 1000;

    for (;;) {
        /* BR_STATE_FORWARDING (<linux/if_bridge.h>). */
        g_autofree char *state = sysfs_str(ifname, "brport/state");

        if (state && strcmp(state, "3") == 0) {
            return;
        }
        if (g_get_monotonic_time() > end) {
            g_error("bridge port %s does not forward (state %s)", ifname,
                    state ? state : "unknown");
        }
        g_usleep(5000);
    }
}

char *master_of(const char *ifname)
{
    g_autofree char *path = g_strdup_printf("/sys/class/net/%s/master", ifname);
    g_autofree char *target = g_file_read_link(path, NULL);

    return target ? g_path_get_basename(target) : NULL;
}

/* utime + stime of a process, in clock ticks. */
uint64_t proc_ticks(int pid)
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
int count_str(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) {
        n++;
    }
    return n;
}

/* emunet run to completion with `args` (no qtest peer): status, stderr. */
int emunet_run_fail(const char *args, char **errs)
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

/* ---- peers ---- */

/* Frames both ways between each NIC and a packet socket in `peer_ns`. */
void exchange(Gnic *g, int peer, const uint8_t *peer_mac, uint32_t seq)
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
void peer_mac(const char *ns, const char *ifname, uint8_t *mac)
{
    g_autofree char *out = sh_out("ip -n %s -br link show %s", ns, ifname);
    g_auto(GStrv) w = NULL;
    int v[6];

    g_assert_nonnull(out);
    w = g_strsplit_set(g_strstrip(out), " ", -1);
    for (int i = 0; w[i]; i++) {
        if (sscanf(w[i], "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4],
                   &v[5]) == 6 &&
            strlen(w[i]) == 17) {
            for (int j = 0; j < 6; j++) {
                mac[j] = (uint8_t)v[j];
            }
            return;
        }
    }
    g_error("no MAC for %s in %s: %s", ifname, ns, out);
}

void bridge_peer_up(BridgePeer *bp, const char *br, unsigned mtu,
                    const char *ns, const char *port, const char *peer_if)
{
    g_strlcpy(bp->br, br, sizeof(bp->br));
    g_strlcpy(bp->ns, ns, sizeof(bp->ns));
    g_strlcpy(bp->port, port, sizeof(bp->port));
    sh("ip link add %s type bridge", br);
    if (mtu) {
        sh("ip link set %s mtu %u", br, mtu);
    }
    sh("ip link set %s up", br);
    ns_add(ns);
    sh("ip link add %s type veth peer name %s netns %s", port, peer_if, ns);
    sh("ip link set %s master %s up", port, br);
    sh("ip -n %s link set %s up", ns, peer_if);
    peer_mac(ns, peer_if, bp->mac);
    bp->sock = pkt_open(ns, peer_if);
}

void bridge_peer_down(BridgePeer *bp)
{
    close(bp->sock);
    sh("ip link del %s", bp->port);
    sh("ip link del %s", bp->br);
    ns_del(bp->ns);
}
