/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the host-topology tests (net-topology-test.c: bridge, Open
 * vSwitch, vif-route, libslirp; net-fault-test.c: TSO, rate=, faults,
 * names): shell commands, network namespaces, packet sockets in them, one
 * guest-driver interface over the e1000 and rtl8139 qtest drivers, frame
 * builders, and what they look at on the host (sysfs, /proc).
 *
 * Each binary runs as root in network and mount namespaces of its own
 * (topo_enter), with a private tmpfs on /run: peer namespaces (ip netns)
 * and everything else the tests create live there, so nothing survives
 * the process even if it dies.
 */
#ifndef TESTS_QTEST_NET_TOPOLOGY_H
#define TESTS_QTEST_NET_TOPOLOGY_H

#include <glib.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libqos/e1000.h"
#include "libqos/rtl8139.h"
#include "libqtest.h"

/* Experimental ethertype (IEEE 802 local experimental 1). */
#define TOPO_ETHERTYPE 0x88b5
#define TOPO_TIMEOUT_MS 3000
/* For the host to act on a link change (bridge_port_wait). */
#define TOPO_SETTLE_MS 10000
#define TOPO_RUN "/run/emunet-topo"
#define TOPO_E1000_ID 0x100e8086u
#define TOPO_RTL_ID 0x813910ecu

extern const uint8_t mac_e1000[6];
extern const uint8_t mac_rtl[6];
extern const uint8_t mac_bcast[6];

/* ---- commands and namespaces ---- */

/* Run a command (no shell; words split as a shell would): succeeded? */
bool G_GNUC_PRINTF(1, 2) sh_try(const char *fmt, ...);

/* Run a command; a failure fails the test. */
#define sh(...)                                                                \
    do {                                                                       \
        if (!sh_try(__VA_ARGS__)) {                                            \
            g_error("command failed: " __VA_ARGS__);                           \
        }                                                                      \
    } while (0)

/* A command's stdout (to g_free), or NULL if it failed. */
char *G_GNUC_PRINTF(1, 2) sh_out(const char *fmt, ...);

/* Write `text` to an existing file (sysctl knobs). */
void write_file(const char *path, const char *text);

/* Switch this thread to the peer namespace `ns`, and back home. */
void ns_enter(const char *ns);
void ns_home(void);

/* A peer namespace: loopback up, IPv6 off (no stray RS/MLD frames). */
void ns_add(const char *ns);
void ns_del(const char *ns);

/*
 * Enter the test namespace (new network and mount namespaces, tmpfs /run):
 * once, first thing in main().
 */
void topo_enter(void);

/* ---- frames ---- */

/* A frame of TOPO_ETHERTYPE carrying `seq` (big-endian) and a pattern. */
void fill_frame(uint8_t *buf, size_t len, const uint8_t *dst,
                const uint8_t *src, uint32_t seq);

/* The same with an 802.1Q tag `vid` inserted; returns the tagged length. */
size_t fill_tagged(uint8_t *buf, size_t len, const uint8_t *dst,
                   const uint8_t *src, uint16_t vid, uint32_t seq);

/* ---- packet sockets in a namespace ---- */

/* A raw packet socket on `ifname` in namespace `ns` (NULL: ours). */
int pkt_open(const char *ns, const char *ifname);

/*
 * Next frame of our ethertype on s within timeout_ms (0 bytes: none),
 * with the 802.1Q tag the kernel took off put back in.
 */
size_t pkt_recv(int s, uint8_t *buf, size_t cap, int timeout_ms);

void pkt_send(int s, const void *frame, size_t len);

/* ---- guest NICs (one driver interface for both models) ---- */

#define GNIC_TX_N 64
#define GNIC_RX_N 64

typedef struct Gnic {
    QTestState *qts;
    /* Which driver: e (e1000) or r (rtl8139, C mode). */
    bool e1000;
    QE1000 *e;
    QRtl *r;
    uint8_t mac[6];
    /* The e1000's next RX descriptor. */
    unsigned rx_next;
    /* IPv4 address answered in ARP (network order), or 0. */
    uint32_t ip;
} Gnic;

/* Bring up the `nth` NIC of its model as Linux drivers do. */
Gnic *gnic_start(QTestState *qts, bool e1000, const uint8_t *mac, int nth);
void gnic_free(Gnic *g);

/* Send one frame and wait until the NIC reports it sent. */
void gnic_send(Gnic *g, const void *frame, size_t len);

/*
 * Next frame for the guest within timeout_ms, without FCS; 0 when none.
 * ARP requests for g->ip are answered on the way and not returned.
 */
size_t gnic_recv(Gnic *g, uint8_t *buf, size_t cap, int timeout_ms);

/* Next frame of our ethertype (others are skipped). */
size_t gnic_recv_test(Gnic *g, uint8_t *buf, size_t cap, int timeout_ms);

/* Wait until the e1000 has filled every RX buffer the guest gave it. */
void gnic_wait_rx_full(Gnic *g);

/* No frame of our ethertype comes within ms. */
void gnic_expect_none(Gnic *g, int ms);

/* ---- IPv4 ---- */

/* A dotted quad in network order. */
uint32_t ip4(const char *s);

/* Ethernet + IPv4 + UDP/TCP frames (checksums done); their length. */
size_t build_udp(uint8_t *f, const uint8_t *dst, const uint8_t *src,
                 uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport,
                 const void *data, size_t dlen);
size_t build_tcp(uint8_t *f, const uint8_t *dst, const uint8_t *src,
                 uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport,
                 uint32_t seq, uint32_t ack, uint8_t flags, const void *data,
                 size_t dlen);

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10

/* A received IPv4 frame of protocol `proto` (no VLAN); its L4 offset. */
size_t ip4_l4(const uint8_t *f, size_t len, uint8_t proto);

/* ---- the host ---- */

/* /sys/class/net/IFNAME/ATTR as a number (must exist) or text (NULL). */
uint64_t sysfs_u64(const char *ifname, const char *attr);
char *sysfs_str(const char *ifname, const char *attr);

/* Wait until the Linux bridge forwards through its port `ifname`. */
void bridge_port_wait(const char *ifname);

/* The bridge `ifname` is a port of, or NULL. */
char *master_of(const char *ifname);

/* utime + stime of a process, in clock ticks. */
uint64_t proc_ticks(int pid);

/* Count non-overlapping occurrences of needle in hay. */
int count_str(const char *hay, const char *needle);

/* emunet run to completion with `args` (no qtest peer): status, stderr. */
int emunet_run_fail(const char *args, char **errs);

/* ---- peers ---- */

/*
 * A Linux bridge with a peer namespace on it: the bridge `br` (up, its
 * MTU set to `mtu` unless 0), a veth pair whose end `port` is a port of
 * the bridge and whose end `peer_if` is in the new namespace `ns`, both
 * up, and a packet socket on peer_if.
 */
typedef struct BridgePeer {
    char br[IF_NAMESIZE];
    char ns[32];
    char port[IF_NAMESIZE];
    /* The MAC of peer_if. */
    uint8_t mac[6];
    /* The packet socket on peer_if (pkt_recv, pkt_send). */
    int sock;
} BridgePeer;

void bridge_peer_up(BridgePeer *bp, const char *br, unsigned mtu,
                    const char *ns, const char *port, const char *peer_if);

/* Delete all of it again. */
void bridge_peer_down(BridgePeer *bp);

/* Frames both ways between a guest NIC and a packet socket of a peer. */
void exchange(Gnic *g, int peer, const uint8_t *peer_mac, uint32_t seq);

/* The MAC of `ifname` in namespace `ns`. */
void peer_mac(const char *ns, const char *ifname, uint8_t *mac);

#endif
