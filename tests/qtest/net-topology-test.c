/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Xen vif topologies end to end: a qtest-driven e1000 and rtl8139 in a
 * real emunet exchange frames with peer network namespaces through the
 * host plumbing --nic applies (Linux bridge, Open vSwitch with an access
 * VLAN and a trunk, vif-route) and through libslirp (DHCP, a
 * host-forwarded TCP port). net-fault-test.c has TSO through a tap,
 * rate=, the faults and the name limits; net-topology.c the helpers.
 *
 * Runs as root, in namespaces of its own (topo_enter). Each test still
 * deletes what it created. Open vSwitch (its daemons started here,
 * userspace datapath when the kernel module is not loaded) is started
 * once, on first use, and stopped at exit; its database and sockets live
 * in the private /run.
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

/* ---- (a) Linux bridge ---- */

static void test_bridge(void)
{
    BridgePeer bp;
    QTestState *qts;
    Gnic *e, *r;

    bridge_peer_up(&bp, "brt0", 1480, "tpeer", "vb0", "vb1");

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
    bridge_port_wait("vb0");
    bridge_port_wait("vif5.0-emu");
    bridge_port_wait("vif5.1-emu");
    exchange(e, bp.sock, bp.mac, 100);
    exchange(r, bp.sock, bp.mac, 200);
    /* Broadcast from the peer reaches both guests. */
    {
        uint8_t f[100], in[2048];

        fill_frame(f, sizeof(f), mac_bcast, bp.mac, 300);
        pkt_send(bp.sock, f, sizeof(f));
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
    bridge_peer_down(&bp);
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
        g_assert_cmpstr(g_strstrip(ext), ==,
                        access_e1000 ? "\"52:54:00:00:00:01\""
                                     : "\"52:54:00:00:00:02\"");
    }
    ovs_wait_port("vif7.0-emu");
    ovs_wait_port("vif7.1-emu");
    acc = gnic_start(qts, access_e1000, access_e1000 ? mac_e1000 : mac_rtl, 0);
    trk = gnic_start(qts, !access_e1000, access_e1000 ? mac_rtl : mac_e1000, 0);

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
    g_assert_cmpmem(in, gnic_recv_test(trk, in, sizeof(in), TOPO_TIMEOUT_MS), f,
                    n);

    /* Trunk NIC: 101 and 202 arrive tagged, as sent. */
    for (uint16_t vid = 101; vid <= 202; vid += 101) {
        n = fill_tagged(f, 200, trk->mac, pmac, vid, 10 + vid);
        pkt_send(peer, f, n);
        g_assert_cmpmem(
            in, gnic_recv_test(trk, in, sizeof(in), TOPO_TIMEOUT_MS), f, n);
        /* And leave tagged, as the guest tagged them. */
        n = fill_tagged(f, 200, pmac, trk->mac, vid, 20 + vid);
        gnic_send(trk, f, n);
        g_assert_cmpmem(in, pkt_recv(peer, in, sizeof(in), TOPO_TIMEOUT_MS), f,
                        n);
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
        g_assert_cmpint(
            sendto(us, msg, strlen(msg), 0, (struct sockaddr *)&to, sizeof(to)),
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

/*
 * The next DHCP reply of `type` to xid; returns yiaddr, the server in *srv
 * and whether it offers a router or DNS server (options 3, 6) in *net.
 */
static uint32_t dhcp_wait(Gnic *g, uint32_t xid, uint8_t type, uint32_t *srv,
                          bool *net)
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
        *net = false;
        for (size_t o = 240; o + 2 < n - l4 - 8 && d[o] != 255;
             o += 2 + d[o + 1]) {
            if (d[o] == 3 || d[o] == 6) {
                *net = true;
            }
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
    bool net;
    int s;
    char buf[16];

    /*
     * No -netdev: the NIC gets the default user network, its options
     * from -net (restrict=on stays: forwarded ports still work, and
     * libslirp's DHCP offers neither a router nor a DNS server).
     */
    qts = qtest_initf("-net user,hostfwd=tcp:127.0.0.1:18080-:80 "
                      "-device %s,mac=%s",
                      e1000 ? "e1000" : "rtl8139",
                      e1000 ? "52:54:00:00:00:01" : "52:54:00:00:00:02");
    g = gnic_start(qts, e1000, e1000 ? mac_e1000 : mac_rtl, 0);

    n = build_dhcp(f, g, 1, 0x1234, 0, 0);
    gnic_send(g, f, n);
    yi = dhcp_wait(g, 0x1234, 2, &srv, &net);
    g_assert_cmpuint(yi, ==, ip4("10.0.2.15"));
    g_assert_cmpuint(srv, ==, ip4("10.0.2.2"));
    g_assert_false(net);
    n = build_dhcp(f, g, 3, 0x1235, yi, srv);
    gnic_send(g, f, n);
    g_assert_cmpuint(dhcp_wait(g, 0x1235, 5, &srv, &net), ==, yi);
    g_assert_false(net);
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

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    topo_enter();
    g_test_add_func("/net-topology/bridge", test_bridge);
    g_test_add_data_func("/net-topology/ovs/access-e1000", GINT_TO_POINTER(1),
                         test_ovs);
    g_test_add_data_func("/net-topology/ovs/access-rtl8139", GINT_TO_POINTER(0),
                         test_ovs);
    g_test_add_func("/net-topology/route", test_route);
    g_test_add_data_func("/net-topology/slirp/e1000", GINT_TO_POINTER(1),
                         test_slirp);
    g_test_add_data_func("/net-topology/slirp/rtl8139", GINT_TO_POINTER(0),
                         test_slirp);
    ret = g_test_run();
    ovs_stop();
    return ret;
}
