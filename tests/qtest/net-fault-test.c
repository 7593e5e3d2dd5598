/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host side under stress and at its limits, end to end with a
 * qtest-driven e1000 (and rtl8139) in a real emunet on Linux bridges: a
 * 64 KiB TSO send through a tap with offloads (one write per super-frame,
 * segmented correctly by the kernel), rate= shaping the NIC's transmit
 * side on the virtual clock, and the faults: a tap deleted underneath, a
 * guest that stops taking frames, a capture on a full disk, a forwarded
 * port already taken, and the interface name limits. Helpers in
 * net-topology.c.
 *
 * Runs as root, in namespaces of its own (topo_enter). Each test still
 * deletes what it created.
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
    bridge_port_wait("tsopeer");
    bridge_port_wait("vif0.0-emu");

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
    qe1000_tx_context(g->e, fi.l3_off, fi.l3_off + 10, fi.l4_off - 1, fi.l4_off,
                      fi.l4_off + 16, 0, paylen,
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
                (off + chunk == len ? E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS : 0),
            0, 0);
        off += chunk;
    }
    qe1000_tx_kick(g->e);
    g_assert_true(qe1000_tx_wait_dd(g->e, last, TOPO_TIMEOUT_MS));

    /* At the peer: MSS-sized TCP segments, headers and checksums right. */
    while (total < paylen) {
        size_t n =
            tap_read_from(fd, mac_e1000, seg, sizeof(seg), TOPO_TIMEOUT_MS);
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
                        total + plen == paylen ? (TCP_ACK | TCP_PSH) : TCP_ACK);
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
    BridgePeer bp;
    g_autofree char *errs = NULL;
    QTestState *qts;
    Gnic *e, *r;

    bridge_peer_up(&bp, "brt2", 0, "dpeer", "vd0", "vd1");
    qts = qtest_init("--nic bridge=brt2,model=e1000,mac=52:54:00:00:00:01 "
                     "--nic bridge=brt2,mac=52:54:00:00:00:02");
    e = gnic_start(qts, true, mac_e1000, 0);
    r = gnic_start(qts, false, mac_rtl, 0);
    bridge_port_wait("vd0");
    bridge_port_wait("vif0.0-emu");
    bridge_port_wait("vif0.1-emu");
    exchange(e, bp.sock, bp.mac, 1);
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

        fill_frame(f, sizeof(f), bp.mac, mac_e1000, 9);
        qe1000_tx_frame(e->e, f, sizeof(f));
        qe1000_tx_kick(e->e);
    }
    exchange(r, bp.sock, bp.mac, 10);
    exchange(r, bp.sock, bp.mac, 20);
    errs = qtest_stderr(qts);
    g_assert_cmpint(count_str(errs, "vif0.0-emu was deleted"), ==, 1);
    gnic_free(e);
    gnic_free(r);
    qtest_quit(qts);
    bridge_peer_down(&bp);
}

/*
 * The guest stops reading (no RX buffers left): emunet stops reading the
 * tap, so frames wait in the tap's queue (none lost) and emunet sleeps
 * (its CPU from /proc stays near zero); once the guest takes frames again
 * every frame arrives, in order.
 */
static void test_backpressure(void)
{
    BridgePeer bp;
    const unsigned total = 400;
    uint8_t f[1000], in[2048];
    uint64_t t0, t1;
    QTestState *qts;
    Gnic *g;

    bridge_peer_up(&bp, "brt3", 0, "bpeer", "vp0", "vp1");
    qts = qtest_init("--nic bridge=brt3,model=e1000,mac=52:54:00:00:00:01");
    g = gnic_start(qts, true, mac_e1000, 0);
    /* Frames sent before the bridge forwards to the tap would be lost. */
    bridge_port_wait("vp0");
    bridge_port_wait("vif0.0-emu");
    /* The guest takes nothing while the peer sends them all. */
    for (unsigned i = 0; i < total; i++) {
        fill_frame(f, sizeof(f), mac_e1000, bp.mac, i);
        pkt_send(bp.sock, f, sizeof(f));
    }
    /* The ring fills (GNIC_RX_N - 1 buffers), then no progress, no CPU. */
    gnic_wait_rx_full(g);
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
    g_assert_cmpuint(sysfs_u64("vif0.0-emu", "statistics/tx_dropped"), ==, 0);
    gnic_free(g);
    qtest_quit(qts);
    bridge_peer_down(&bp);
}

/*
 * rate= on an --nic shapes the e1000's TX as xen-netback would: 80KB/s@10ms
 * is 800 bytes of credit per 10 ms of the machine's clock (virtual under
 * qtest, so the test moves time itself). Frames beyond the credit wait,
 * descriptors held (no DD), until the clock reaches the next interval;
 * none is dropped.
 */
static void test_rate(void)
{
    BridgePeer bp;
    /*
     * 600-byte frames leaving at the kick and after each 10 ms step: 800
     * bytes at the start plus one interval's 800 at the first frame after
     * an interval (1600: two frames, 400 left), then 800 per interval
     * (1200: two, then 800: the last).
     */
    static const unsigned due[] = {2, 2, 1};
    const int64_t interval_ns = 10 * 1000 * 1000;
    uint8_t f[600], in[2048];
    unsigned idx[5], seen = 0;
    QE1000TxDesc d;
    QTestState *qts;
    Gnic *g;

    bridge_peer_up(&bp, "brt6", 0, "qpeer", "vq0", "vq1");
    qts = qtest_init("--nic bridge=brt6,model=e1000,mac=52:54:00:00:00:01,"
                     "rate=80KB/s@10ms");
    g = gnic_start(qts, true, mac_e1000, 0);
    bridge_port_wait("vq0");
    bridge_port_wait("vif0.0-emu");
    /* A fresh interval: the limit's first credit is whole. */
    qtest_clock_step(qts, interval_ns);
    for (unsigned i = 0; i < G_N_ELEMENTS(idx); i++) {
        fill_frame(f, sizeof(f), bp.mac, mac_e1000, 600 + i);
        idx[i] = qe1000_tx_frame(g->e, f, sizeof(f));
    }
    qe1000_tx_kick(g->e);
    for (unsigned step = 0; step < G_N_ELEMENTS(due); step++) {
        for (unsigned k = 0; k < due[step]; k++, seen++) {
            size_t n = pkt_recv(bp.sock, in, sizeof(in), TOPO_TIMEOUT_MS);

            g_assert_cmpuint(n, ==, sizeof(f));
            g_assert_cmpuint(ld32_be(in + 14), ==, 600 + seen);
        }
        /* The rest waits for credit: not on the wire, descriptor kept. */
        if (seen < G_N_ELEMENTS(idx)) {
            g_assert_cmpuint(pkt_recv(bp.sock, in, sizeof(in), 200), ==, 0);
            qe1000_tx_desc(g->e, idx[seen], &d);
            g_assert_cmphex(d.status & E1000_TXD_STA_DD, ==, 0);
            qtest_clock_step(qts, interval_ns);
        }
    }
    g_assert_cmpuint(seen, ==, G_N_ELEMENTS(idx));
    g_assert_true(qe1000_tx_wait_dd(g->e, idx[4], TOPO_TIMEOUT_MS));
    g_assert_cmpuint(pkt_recv(bp.sock, in, sizeof(in), 200), ==, 0);
    gnic_free(g);
    qtest_quit(qts);
    bridge_peer_down(&bp);
}

/* A capture on a full disk costs records, never frames. */
static void test_dump_full_disk(void)
{
    BridgePeer bp;
    g_autofree char *errs = NULL;
    g_autofree char *data = NULL;
    QTestState *qts;
    Gnic *g;
    size_t len, off = 24, records = 0;

    g_assert_cmpint(mkdir(TOPO_RUN "/small", 0700), ==, 0);
    g_assert_cmpint(mount("tmpfs", TOPO_RUN "/small", "tmpfs", 0, "size=64k"),
                    ==, 0);
    bridge_peer_up(&bp, "brt4", 0, "fpeer", "vf0", "vf1");
    qts = qtest_init("--nic bridge=brt4,model=e1000,mac=52:54:00:00:00:01 "
                     "-object filter-dump,id=f0,netdev=vif0,"
                     "file=" TOPO_RUN "/small/cap.pcap");
    g = gnic_start(qts, true, mac_e1000, 0);
    bridge_port_wait("vf0");
    bridge_port_wait("vif0.0-emu");
    /* 200 exchanges of 600 + 300 bytes: far more than 64 KiB. */
    for (uint32_t i = 0; i < 200; i++) {
        exchange(g, bp.sock, bp.mac, 1000 + 2 * i);
    }
    errs = qtest_stderr(qts);
    g_assert_cmpint(count_str(errs, "cap.pcap"), ==, 1);
    gnic_free(g);
    qtest_quit(qts);
    /* The file holds whole records only, and as many as fit. */
    g_assert_true(
        g_file_get_contents(TOPO_RUN "/small/cap.pcap", &data, &len, NULL));
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
    bridge_peer_down(&bp);
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
    g_test_init(&argc, &argv, NULL);
    topo_enter();
    g_test_add_func("/net-fault/tso", test_tso);
    g_test_add_func("/net-fault/rate", test_rate);
    g_test_add_func("/net-fault/tap-deleted", test_tap_deleted);
    g_test_add_func("/net-fault/backpressure", test_backpressure);
    g_test_add_func("/net-fault/dump-full-disk", test_dump_full_disk);
    g_test_add_func("/net-fault/hostfwd-taken", test_hostfwd_taken);
    g_test_add_func("/net-fault/names", test_names);
    return g_test_run();
}
