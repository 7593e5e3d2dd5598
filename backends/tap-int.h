/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to backends/tap*.c. -netdev tap is the backend proper
 * (backends/tap.c), its offload half (backends/tap-offload.c) and the
 * operating-system half (backends/tap-linux.c, /dev/net/tun). Interface
 * names are looked up in the network namespace emunet runs in.
 */
#ifndef EMUNET_BACKENDS_TAP_INT_H
#define EMUNET_BACKENDS_TAP_INT_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/netbe-priv.h"

/* IFNAMSIZ - 1: the longest interface name Linux takes. */
#define TAP_IFNAME_MAX 15
/* Largest virtio-net header size accepted from an fd= tap. */
#define TAP_VNET_HDR_MAX 64

/*
 * The virtio-net header before each frame with IFF_VNET_HDR (virtio 1.1
 * section 5.1.6, struct virtio_net_hdr; host byte order, as the legacy
 * tap ABI). tap-linux.c checks it against <linux/virtio_net.h>.
 */
typedef struct TapVnetHdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
} TapVnetHdr;

#define TAP_VNET_F_NEEDS_CSUM 1
#define TAP_VNET_GSO_NONE 0
#define TAP_VNET_GSO_TCPV4 1
#define TAP_VNET_GSO_TCPV6 4
#define TAP_VNET_GSO_ECN 0x80

/* virtio-net header use asked for by vnet_hdr=. */
typedef enum TapVnetMode {
    TAP_VNET_AUTO, /* use it when the kernel has it */
    TAP_VNET_OFF,
    TAP_VNET_ON, /* fail without it */
} TapVnetMode;

/* An open tap queue. */
typedef struct TapOpen {
    int fd;
    /* Its name when opened (NUL-terminated). */
    char ifname[TAP_IFNAME_MAX + 1];
    /* Bytes of virtio-net header before each frame; 0 without. */
    size_t vnet_hdr_len;
    /* The interface outlives our fd (IFF_PERSIST). */
    bool persistent;
} TapOpen;

/*
 * Create the tap `ifname` (NULL or "": the kernel names it tapN), or
 * attach to the existing persistent one, as IFF_TAP | IFF_NO_PI and, per
 * `vnet`, IFF_VNET_HDR. Non-blocking, close-on-exec. Errors name the
 * cause (in use, not a tap, no permission).
 */
bool tap_os_open(const char *ifname, TapVnetMode vnet, TapOpen *out,
                 GError **errp);

/*
 * Take over an open tap fd (fd=N, opened by a privileged parent): it must
 * be a tap (not tun) without packet information; a virtio-net header is
 * used if the opener enabled it. Makes it non-blocking, close-on-exec.
 */
bool tap_os_adopt(int fd, TapOpen *out, GError **errp);

/*
 * Let the kernel hand us unfinished frames (partial checksums, TCP
 * super-frames), as much as it agrees to. Returns the TUN_F_* flags set.
 */
unsigned tap_os_set_offload(int fd);

/* TUNSETSNDBUF: bytes the kernel may hold for our writes. 0 or -errno. */
int tap_os_set_sndbuf(int fd, int bytes);

/* TUNSETCARRIER (Linux >= 5.0). 0 or -errno (-EINVAL: not supported). */
int tap_os_set_carrier(int fd, bool up);

/*
 * The tap's current name (TUNGETIFF) into `name` (TAP_IFNAME_MAX + 1
 * bytes). 0, or -errno: -EBADFD once the interface was deleted.
 */
int tap_os_get_name(int fd, char *name);

/* A socket for the interface ioctls below, or -1 (errno set). */
int tap_os_ctl_socket(void);

/* SIOCGIFMTU. 0 or -errno. */
int tap_os_get_mtu(int ctl, const char *name, int *mtu);

/* Set or clear IFF_UP. 0 or -errno. */
int tap_os_set_up(int ctl, const char *name, bool up);

/*
 * Add `name` to, or remove it from, the Linux bridge `bridge`
 * (SIOCBRADDIF / SIOCBRDELIF). 0 or -errno.
 */
int tap_os_bridge(int ctl, const char *bridge, const char *name, bool add);

/* One -netdev tap (backends/tap.c). */
typedef struct NetTap {
    NetBackend be;
    GSource *src;
    /* The tap queue, or -1 once the tap is gone. Always polled (ERR). */
    int fd;
    gpointer fd_tag;
    GIOCondition fd_events;
    /* Socket for the interface ioctls (MTU, IFF_UP, bridge). */
    int ctl;
    /* The tap's name as last looked up. */
    char ifname[TAP_IFNAME_MAX + 1];
    /* The interface outlives us (persistent, or fd= from a parent). */
    bool stays;
    /* br=: the bridge we added the tap to. */
    char *bridge;
    /* Virtio-net header bytes before each frame; 0 without. */
    size_t vnet_len;
    /* TUNSETCARRIER works; otherwise IFF_UP follows the NIC link. */
    bool carrier_ioctl;
    bool carrier_err_logged;
    /* The NIC's link as last set (set_link). */
    bool nic_link;
    /* The tap's MTU (0: unknown, nothing checked) and when it was read. */
    int mtu;
    gint64 mtu_time;
    /* The MTU value for which oversized drops were last logged. */
    int mtu_logged;
    /* The generic layer wants frames. */
    bool rx_enabled;
    /* The NIC got NET_SEND_BUSY and is owed a tx_ready. */
    bool tx_busy;
    /* A write found the tap gone; handled from dispatch (no NIC calls
     * from inside send). */
    int tx_err;
    /* The tap was deleted underneath us (or failed for good). */
    bool gone;
    /* [vnet header][frame] as read. */
    uint8_t *rx_buf;
    /* A super-frame in rx_buf being handed to the NIC segment by segment. */
    NetOffload rx_off;
    NetOffloadInfo rx_info;
    size_t rx_len;
    size_t rx_seg, rx_nsegs;
    uint8_t *seg_buf;
    /* When a dispatch last read frames (monotonic us; tap_rx_read). */
    gint64 rx_last_us;
} NetTap;

/*
 * writev() the virtio-net header `vh` (if the tap has one), then `patch`
 * (a replacement for the frame's first `skip` bytes; NULL when skip is
 * 0), then the rest of the frame. EAGAIN makes it NET_SEND_BUSY and
 * arranges the tx_ready; a tap found gone is left for dispatch.
 */
NetSendResult tap_write(NetTap *s, const TapVnetHdr *vh, const uint8_t *patch,
                        size_t skip, const struct iovec *iov, int iovcnt);

/*
 * Does an IP packet of `l3_len` bytes fit the tap's MTU? A refusal is
 * logged once per MTU value; the caller returns NET_SEND_DROP.
 */
bool tap_fits_mtu(NetTap *s, size_t l3_len);

/* Bytes after the Ethernet header (and one 802.1Q tag) of a frame. */
size_t tap_l3_len(const uint8_t *head, size_t len);

/* NetBackendOps.send_offload of a tap with a virtio-net header. */
NetSendResult tap_send_offload(NetBackend *be, const NetOffload *off,
                               const struct iovec *iov, int iovcnt);

/*
 * The virtio-net header of a frame of `len` bytes from the kernel as a
 * NetOffload (to be checked with net_offload_check). False for a GSO
 * type we did not ask the kernel for.
 */
bool tap_vnet_to_offload(const TapVnetHdr *vh, const uint8_t *frame, size_t len,
                         NetOffload *off);

#endif
