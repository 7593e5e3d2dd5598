/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Linux half of -netdev tap: /dev/net/tun (Documentation/networking/
 * tuntap.rst) and the interface ioctls (netdevice(7)).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backends/netbe-priv.h"
#include "backends/tap-int.h"

G_STATIC_ASSERT(TAP_IFNAME_MAX == IFNAMSIZ - 1);
G_STATIC_ASSERT(sizeof(TapVnetHdr) == sizeof(struct virtio_net_hdr));
G_STATIC_ASSERT(offsetof(TapVnetHdr, csum_offset) ==
                offsetof(struct virtio_net_hdr, csum_offset));
G_STATIC_ASSERT(offsetof(TapVnetHdr, gso_size) ==
                offsetof(struct virtio_net_hdr, gso_size));
G_STATIC_ASSERT(TAP_VNET_F_NEEDS_CSUM == VIRTIO_NET_HDR_F_NEEDS_CSUM);
G_STATIC_ASSERT(TAP_VNET_GSO_NONE == VIRTIO_NET_HDR_GSO_NONE);
G_STATIC_ASSERT(TAP_VNET_GSO_TCPV4 == VIRTIO_NET_HDR_GSO_TCPV4);
G_STATIC_ASSERT(TAP_VNET_GSO_TCPV6 == VIRTIO_NET_HDR_GSO_TCPV6);
G_STATIC_ASSERT(TAP_VNET_GSO_ECN == VIRTIO_NET_HDR_GSO_ECN);

/* The default virtio-net header: struct virtio_net_hdr. */
#define TAP_VNET_HDR_DEFAULT ((int)sizeof(struct virtio_net_hdr))

static void tap_os_name_copy(char *dst, const char *src)
{
    size_t n = strnlen(src, TAP_IFNAME_MAX);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Does the tun driver offer IFF_VNET_HDR? */
static bool tap_os_has_vnet_hdr(int fd)
{
    unsigned int features = 0;

    return ioctl(fd, TUNGETFEATURES, &features) == 0 &&
           (features & IFF_VNET_HDR);
}

static void tap_os_open_error(const char *ifname, bool existed, int err,
                              GError **errp)
{
    const char *name = ifname && *ifname ? ifname : "(any)";

    if (err == EBUSY) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_HOST,
                    "netdev tap: ifname=%s: the tap is in use by another "
                    "process",
                    name);
    } else if (err == EINVAL && existed) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_HOST,
                    "netdev tap: ifname=%s: an interface of that name "
                    "exists and is not a tap",
                    name);
    } else if (err == EPERM || err == EACCES) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_HOST,
                    "netdev tap: ifname=%s: %s (creating a tap needs "
                    "CAP_NET_ADMIN; a deprivileged emunet takes fd=)",
                    name, g_strerror(err));
    } else {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_HOST,
                    "netdev tap: ifname=%s: %s", name, g_strerror(err));
    }
}

bool tap_os_open(const char *ifname, TapVnetMode vnet, TapOpen *out,
                 GError **errp)
{
    struct ifreq ifr;
    bool existed = ifname && *ifname && if_nametoindex(ifname) != 0;
    int fd, err;

    memset(out, 0, sizeof(*out));
    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_HOST,
                    "netdev tap: /dev/net/tun: %s", g_strerror(errno));
        return false;
    }
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (vnet != TAP_VNET_OFF) {
        if (tap_os_has_vnet_hdr(fd)) {
            ifr.ifr_flags |= IFF_VNET_HDR;
        } else if (vnet == TAP_VNET_ON) {
            close(fd);
            g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                        "netdev tap: vnet_hdr=on: the kernel's tun driver "
                        "has no IFF_VNET_HDR");
            return false;
        }
    }
    if (ifname && *ifname) {
        /* The caller refused names longer than TAP_IFNAME_MAX. */
        tap_os_name_copy(ifr.ifr_name, ifname);
    }
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        err = errno;
        close(fd);
        tap_os_open_error(ifname, existed, err, errp);
        return false;
    }
    out->fd = fd;
    tap_os_name_copy(out->ifname, ifr.ifr_name);
    out->vnet_hdr_len =
        (ifr.ifr_flags & IFF_VNET_HDR) ? TAP_VNET_HDR_DEFAULT : 0;
    /* TUNGETIFF reports IFF_PERSIST; TUNSETIFF's reply does not. */
    memset(&ifr, 0, sizeof(ifr));
    out->persistent =
        ioctl(fd, TUNGETIFF, &ifr) == 0 && (ifr.ifr_flags & IFF_PERSIST);
    return true;
}

bool tap_os_adopt(int fd, TapOpen *out, GError **errp)
{
    struct ifreq ifr;
    int flags, hdr_len = TAP_VNET_HDR_DEFAULT;

    memset(out, 0, sizeof(*out));
    flags = fcntl(fd, F_GETFL);
    if (flags < 0) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev tap: fd=%d: %s", fd, g_strerror(errno));
        return false;
    }
    memset(&ifr, 0, sizeof(ifr));
    if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev tap: fd=%d: %s", fd,
                    errno == EBADFD ? "no tap attached to it (none set up, "
                                      "or it was deleted)"
                                    : "not a tap device");
        return false;
    }
    if (!(ifr.ifr_flags & IFF_TAP)) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev tap: fd=%d: %s is a tun (IP) device, not a tap", fd,
                    ifr.ifr_name);
        return false;
    }
    /*
     * Some kernels report IFF_NO_PI whatever the opener asked for, so
     * this catches only the honest ones; the parent must not set PI.
     */
    if (!(ifr.ifr_flags & IFF_NO_PI)) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev tap: fd=%d: %s was opened without IFF_NO_PI", fd,
                    ifr.ifr_name);
        return false;
    }
    if (ifr.ifr_flags & IFF_VNET_HDR) {
        if (ioctl(fd, TUNGETVNETHDRSZ, &hdr_len) < 0) {
            hdr_len = TAP_VNET_HDR_DEFAULT;
        }
        if (hdr_len < TAP_VNET_HDR_DEFAULT || hdr_len > TAP_VNET_HDR_MAX) {
            g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                        "netdev tap: fd=%d: virtio-net header of %d bytes "
                        "is not supported",
                        fd, hdr_len);
            return false;
        }
        out->vnet_hdr_len = (size_t)hdr_len;
    }
    if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev tap: fd=%d: %s", fd, g_strerror(errno));
        return false;
    }
    out->fd = fd;
    tap_os_name_copy(out->ifname, ifr.ifr_name);
    out->persistent = (ifr.ifr_flags & IFF_PERSIST) != 0;
    return true;
}

unsigned tap_os_set_offload(int fd)
{
    static const unsigned tries[] = {
        TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
        TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
        TUN_F_CSUM,
    };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(tries); i++) {
        if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tries[i]) == 0) {
            return tries[i];
        }
    }
    return 0;
}

int tap_os_set_sndbuf(int fd, int bytes)
{
    return ioctl(fd, TUNSETSNDBUF, &bytes) < 0 ? -errno : 0;
}

int tap_os_set_carrier(int fd, bool up)
{
    int on = up;

    return ioctl(fd, TUNSETCARRIER, &on) < 0 ? -errno : 0;
}

int tap_os_get_name(int fd, char *name)
{
    struct ifreq ifr;

    memset(&ifr, 0, sizeof(ifr));
    if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
        return -errno;
    }
    tap_os_name_copy(name, ifr.ifr_name);
    return 0;
}

int tap_os_ctl_socket(void)
{
    /* Any socket reaches the interface ioctls; AF_UNIX needs no stack. */
    return socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

int tap_os_get_mtu(int ctl, const char *name, int *mtu)
{
    struct ifreq ifr;

    memset(&ifr, 0, sizeof(ifr));
    tap_os_name_copy(ifr.ifr_name, name);
    if (ioctl(ctl, SIOCGIFMTU, &ifr) < 0) {
        return -errno;
    }
    *mtu = ifr.ifr_mtu;
    return 0;
}

int tap_os_set_up(int ctl, const char *name, bool up)
{
    struct ifreq ifr;

    memset(&ifr, 0, sizeof(ifr));
    tap_os_name_copy(ifr.ifr_name, name);
    if (ioctl(ctl, SIOCGIFFLAGS, &ifr) < 0) {
        return -errno;
    }
    if (!!(ifr.ifr_flags & IFF_UP) == up) {
        return 0;
    }
    if (up) {
        ifr.ifr_flags |= IFF_UP;
    } else {
        ifr.ifr_flags &= ~IFF_UP;
    }
    return ioctl(ctl, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

int tap_os_bridge(int ctl, const char *bridge, const char *name, bool add)
{
    struct ifreq ifr;
    unsigned int index = if_nametoindex(name);

    if (!index) {
        return -errno;
    }
    memset(&ifr, 0, sizeof(ifr));
    tap_os_name_copy(ifr.ifr_name, bridge);
    ifr.ifr_ifindex = (int)index;
    if (ioctl(ctl, add ? SIOCBRADDIF : SIOCBRDELIF, &ifr) < 0) {
        return -errno;
    }
    return 0;
}
