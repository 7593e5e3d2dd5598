/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -netdev tap: the NIC's frames through a Linux tap, in Xen the
 * vifDOMID.DEVID-emu interface next to the guest's PV vif.
 *
 *   -netdev tap,id=ID,ifname=NAME[,script=no,downscript=no][,br=BRIDGE]
 *              [,vnet_hdr=on|off][,sndbuf=SIZE]
 *   -netdev tap,id=ID,fd=N[,sndbuf=SIZE]
 *
 * ifname= creates the tap (non-persistent: it goes away with emunet) or
 * attaches to an existing persistent one; fd= takes a tap a privileged
 * parent opened. emunet runs no scripts; br= adds the tap to a Linux
 * bridge (removed again on exit if the tap stays).
 *
 * With a virtio-net header (IFF_VNET_HDR, used when the kernel has it)
 * the backend takes offloaded frames (net_peer_send_offload): a TCP
 * super-frame or a frame with its checksum left to do is written once
 * and the kernel finishes it. Frames the kernel hands up unfinished are
 * checksummed and segmented here before the NIC sees them.
 *
 * The tap's carrier follows the NIC's link (TUNSETCARRIER; on kernels
 * before 5.0, IFF_UP instead): down until the guest brings the link up.
 * Frames longer than the tap's MTU are dropped and counted (tx_drops).
 * Back-pressure both ways: a write that would block makes the NIC wait
 * (NET_SEND_BUSY) until the fd is writable; while the NIC has no room the
 * fd is not read, so frames wait in the kernel's queue. A tap deleted
 * underneath takes the carrier down, is logged once and is never polled
 * again.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <sys/uio.h>
#include <unistd.h>

#include "backends/netbe-priv.h"
#include "backends/tap-int.h"
#include "emunet/log.h"
#include "hw/net/net_util.h"

/* Room for one frame from the kernel: a TCP super-frame is < 64 KiB + 64. */
#define TAP_RX_CAP (TAP_VNET_HDR_MAX + 2 * 65536)
/* Frames read per dispatch, so one busy tap cannot starve the loop. */
#define TAP_RX_BUDGET 64
/* iovecs for one writev(): header, patched headers and the NIC's pieces. */
#define TAP_IOV_MAX 64
/* How often the MTU is looked up again (an increase is seen at once). */
#define TAP_MTU_REFRESH_US (1000 * 1000)
/* Frames arriving closer together than this are a stream (tap_rx_read). */
#define TAP_RX_STREAM_US 100

G_STATIC_ASSERT(sizeof(TapVnetHdr) <= TAP_VNET_HDR_MAX);

typedef struct TapSource {
    GSource base;
    NetTap *s;
} TapSource;

static bool tap_rx_pending(NetTap *s)
{
    return s->rx_seg < s->rx_nsegs;
}

/* Make the poll set match what the tap needs now. */
static void tap_update_watch(NetTap *s)
{
    GIOCondition want = 0;

    if (s->fd < 0) {
        return;
    }
    if (s->rx_enabled && !tap_rx_pending(s)) {
        want |= G_IO_IN;
    }
    if (s->tx_busy) {
        want |= G_IO_OUT;
    }
    /* Compare first: modifying wakes the context. */
    if (want != s->fd_events) {
        g_source_modify_unix_fd(s->src, s->fd_tag, want);
        s->fd_events = want;
    }
}

/* The tap is gone (deleted underneath, or failed for good). */
static void tap_fail(NetTap *s, int err)
{
    if (s->gone) {
        return;
    }
    s->gone = true;
    if (err == EBADFD || err == ENODEV) {
        log_error("netdev %s: tap %s was deleted; carrier down", s->be.id,
                  s->ifname);
    } else {
        log_error("netdev %s: tap %s: %s; carrier down", s->be.id, s->ifname,
                  g_strerror(err));
    }
    g_source_remove_unix_fd(s->src, s->fd_tag);
    s->fd_tag = NULL;
    s->fd_events = 0;
    close(s->fd);
    s->fd = -1;
    s->tx_err = 0;
    if (tap_rx_pending(s)) {
        s->be.stats.rx_drops += s->rx_nsegs - s->rx_seg;
        s->rx_seg = s->rx_nsegs = 0;
    }
    net_backend_set_carrier(&s->be, false);
    if (s->tx_busy) {
        /* Let the NIC retry now: it gets DROP instead of waiting. */
        s->tx_busy = false;
        net_backend_tx_ready(&s->be);
    }
}

/* Refresh the name (the tap may have been renamed); false when gone. */
static bool tap_refresh_name(NetTap *s)
{
    int r = tap_os_get_name(s->fd, s->ifname);

    return r != -EBADFD && r != -ENODEV && r != -EBADF;
}

/* ---- Carrier ---- */

/* Make the tap's carrier (or IFF_UP) follow the NIC's link. */
static void tap_apply_link(NetTap *s)
{
    int r;

    if (s->gone) {
        return;
    }
    if (s->carrier_ioctl) {
        r = tap_os_set_carrier(s->fd, s->nic_link);
        if (r == 0) {
            return;
        }
        if (r != -EINVAL && r != -ENOTTY) {
            goto fail;
        }
        s->carrier_ioctl = false;
    }
    tap_refresh_name(s);
    r = tap_os_set_up(s->ctl, s->ifname, s->nic_link);
    if (r == 0) {
        return;
    }
fail:
    if (!s->carrier_err_logged) {
        log_error("netdev %s: tap %s: cannot follow the NIC link: %s", s->be.id,
                  s->ifname, g_strerror(-r));
        s->carrier_err_logged = true;
    }
}

static void tap_set_link(NetBackend *be, bool up)
{
    NetTap *s = be->opaque;

    s->nic_link = up;
    tap_apply_link(s);
}

/* ---- Guest to host ---- */

static void tap_read_mtu(NetTap *s)
{
    int mtu;

    s->mtu_time = g_get_monotonic_time();
    if (tap_refresh_name(s) && tap_os_get_mtu(s->ctl, s->ifname, &mtu) == 0 &&
        mtu > 0) {
        s->mtu = mtu;
    }
}

/*
 * Does an IP packet of `l3_len` bytes fit the tap's MTU? A drop is logged
 * once per MTU value; the generic layer counts it.
 */
bool tap_fits_mtu(NetTap *s, size_t l3_len)
{
    if (g_get_monotonic_time() - s->mtu_time >= TAP_MTU_REFRESH_US) {
        tap_read_mtu(s);
    }
    if (!s->mtu || l3_len <= (size_t)s->mtu) {
        return true;
    }
    /* Raised since we looked? */
    tap_read_mtu(s);
    if (l3_len <= (size_t)s->mtu) {
        return true;
    }
    if (s->mtu_logged != s->mtu) {
        log_info("netdev %s: dropping frames longer than the MTU %d of tap "
                 "%s (counted as tx_drops)",
                 s->be.id, s->mtu, s->ifname);
        s->mtu_logged = s->mtu;
    }
    return false;
}

/* Bytes after the Ethernet header (and one 802.1Q tag) of a frame. */
size_t tap_l3_len(const uint8_t *head, size_t len)
{
    size_t l2 = ETH_HLEN;

    if (len >= ETH_HLEN + 4 && ld16_be(head + 12) == ETH_P_VLAN) {
        l2 += 4;
    }
    /* A runt (the kernel refuses it) never counts as over the MTU. */
    return len > l2 ? len - l2 : 0;
}

/*
 * writev() the virtio-net header `vh`, then `patch` (a replacement for
 * the frame's first `skip` bytes, may be NULL with skip 0), then the rest
 * of the frame.
 */
NetSendResult tap_write(NetTap *s, const TapVnetHdr *vh, const uint8_t *patch,
                        size_t skip, const struct iovec *iov, int iovcnt)
{
    static const uint8_t zeros[TAP_VNET_HDR_MAX];
    struct iovec v[TAP_IOV_MAX + 3];
    uint8_t *flat = NULL;
    ssize_t n;
    int cnt = 0, i, err;

    if (s->vnet_len) {
        /* Header fields first; an fd= tap's longer header is zero-padded. */
        v[cnt].iov_base = (void *)vh;
        v[cnt].iov_len = sizeof(*vh);
        cnt++;
        if (s->vnet_len > sizeof(*vh)) {
            v[cnt].iov_base = (void *)zeros;
            v[cnt].iov_len = s->vnet_len - sizeof(*vh);
            cnt++;
        }
    }
    if (skip) {
        v[cnt].iov_base = (void *)patch;
        v[cnt].iov_len = skip;
        cnt++;
    }
    if (iovcnt > TAP_IOV_MAX) {
        size_t len = net_iov_size(iov, iovcnt);

        flat = g_malloc(len);
        net_iov_to_buf(iov, iovcnt, flat, len);
        v[cnt].iov_base = flat + skip;
        v[cnt].iov_len = len - skip;
        cnt++;
    } else {
        for (i = 0; i < iovcnt; i++) {
            if (skip >= iov[i].iov_len) {
                skip -= iov[i].iov_len;
                continue;
            }
            v[cnt].iov_base = (uint8_t *)iov[i].iov_base + skip;
            v[cnt].iov_len = iov[i].iov_len - skip;
            skip = 0;
            cnt++;
        }
    }
    do {
        n = writev(s->fd, v, cnt);
    } while (n < 0 && errno == EINTR);
    err = errno;
    g_free(flat);
    if (n >= 0) {
        return NET_SEND_OK;
    }
    switch (err) {
    case EAGAIN:
        /* The kernel holds sndbuf bytes of ours: wait for POLLOUT. */
        s->tx_busy = true;
        tap_update_watch(s);
        return NET_SEND_BUSY;
    case EBADFD:
    case ENODEV:
    case EBADF:
        s->tx_err = err;
        return NET_SEND_DROP;
    case EIO:
        /* Administratively down, or deleted? */
        if (!tap_refresh_name(s)) {
            s->tx_err = EBADFD;
        }
        return NET_SEND_DROP;
    default:
        /* The kernel refused this frame (EINVAL, ENOBUFS...). */
        log_trace(LOG_NET, "netdev %s: tap write: %s", s->be.id,
                  g_strerror(err));
        return NET_SEND_DROP;
    }
}

static NetSendResult tap_send(NetBackend *be, const struct iovec *iov,
                              int iovcnt)
{
    NetTap *s = be->opaque;
    TapVnetHdr vh;
    uint8_t buf[ETH_HLEN + 4];
    const uint8_t *head = iov[0].iov_base;
    size_t len = net_iov_size(iov, iovcnt);

    if (s->gone || s->tx_err) {
        return NET_SEND_DROP;
    }
    if (iovcnt < 1 || iov[0].iov_len < sizeof(buf)) {
        net_iov_to_buf(iov, iovcnt, buf, sizeof(buf));
        head = buf;
    }
    if (!tap_fits_mtu(s, tap_l3_len(head, len))) {
        return NET_SEND_DROP;
    }
    memset(&vh, 0, sizeof(vh));
    return tap_write(s, &vh, NULL, 0, iov, iovcnt);
}

/* ---- Host to guest ---- */

/* Hand the remaining segments of a super-frame to the NIC. */
static void tap_rx_drain(NetTap *s)
{
    const uint8_t *frame = s->rx_buf + s->vnet_len;

    while (tap_rx_pending(s) && s->rx_enabled) {
        size_t n = net_offload_segment(&s->rx_off, &s->rx_info, frame,
                                       s->rx_len, s->rx_seg, s->seg_buf);

        /* Consume first: a refused segment is held by the generic layer. */
        s->rx_seg++;
        if (!net_backend_receive(&s->be, s->seg_buf, n)) {
            break;
        }
    }
    if (!tap_rx_pending(s)) {
        s->rx_seg = s->rx_nsegs = 0;
    }
    tap_update_watch(s);
}

/*
 * One frame of `n` bytes read into rx_buf. Returns false when the NIC is
 * full (stop reading).
 */
static bool tap_rx_frame(NetTap *s, size_t n)
{
    uint8_t *frame = s->rx_buf + s->vnet_len;
    TapVnetHdr vh;
    const char *why = NULL;
    size_t len;

    if (n < s->vnet_len + ETH_HLEN) {
        s->be.stats.rx_errors++;
        return true;
    }
    len = n - s->vnet_len;
    if (!s->vnet_len) {
        return net_backend_receive(&s->be, frame, len);
    }
    memcpy(&vh, s->rx_buf, sizeof(vh));
    if (!(vh.flags & TAP_VNET_F_NEEDS_CSUM) &&
        vh.gso_type == TAP_VNET_GSO_NONE) {
        return net_backend_receive(&s->be, frame, len);
    }
    if (!tap_vnet_to_offload(&vh, frame, len, &s->rx_off) ||
        !net_offload_check(&s->rx_off, frame, len, &s->rx_info, &why)) {
        log_trace(LOG_NET,
                  "netdev %s: unfinished frame from the kernel "
                  "dropped: %s",
                  s->be.id, why ? why : "unknown GSO type");
        s->be.stats.rx_errors++;
        return true;
    }
    if (s->rx_off.gso_type == NET_GSO_NONE) {
        net_offload_csum(&s->rx_off, frame, len);
        return net_backend_receive(&s->be, frame, len);
    }
    if (!s->seg_buf) {
        s->seg_buf = g_malloc(NET_OFFLOAD_HDR_MAX + 65536);
    }
    s->rx_len = len;
    s->rx_seg = 0;
    s->rx_nsegs = net_offload_nsegs(&s->rx_off, len);
    tap_rx_drain(s);
    return s->rx_enabled;
}

/*
 * The tap ran dry after `got` frames: should we let others run and look
 * again before going back to poll? Yes while frames stream in (this and
 * the previous read came within TAP_RX_STREAM_US): the sender is then
 * typically a task on this CPU that our wakeup preempted (tun wakes its
 * reader synchronously, so the scheduler places us next to the writer),
 * and sleeping now would wake us, and preempt it, again for the next
 * frame or two. One sched_yield() lets it queue a batch instead; with
 * nothing else runnable here it returns at once. It is one system call
 * per dispatch at most, never a spin. Measured with bench/tapbench, tap
 * RX 1514 B, against a build without it (3 passes of 3 runs each way,
 * alternating; per-pass median us of our CPU per frame): with the sender
 * pinned to our CPU 0.52-0.68 against 1.50-1.64, at 1.6-2.1x the
 * throughput; placed by the scheduler 0.52-2.17 against 1.42-2.13; with
 * the sender pinned to the other CPU (no preemption to undo) 1.86-2.19
 * against 1.86-2.87, no difference beyond the noise.
 */
static bool tap_rx_should_yield(NetTap *s, int got)
{
    gint64 now, last;

    if (got == 0) {
        return false;
    }
    now = g_get_monotonic_time();
    last = s->rx_last_us;
    s->rx_last_us = now;
    return now - last < TAP_RX_STREAM_US;
}

static void tap_rx_read(NetTap *s)
{
    bool yielded = false;
    int i, got = 0;

    for (i = 0; i < TAP_RX_BUDGET; i++) {
        ssize_t n;

        if (s->gone || !s->rx_enabled || tap_rx_pending(s)) {
            return;
        }
        n = read(s->fd, s->rx_buf, TAP_RX_CAP);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN) {
                /* Deleted (EBADFD) or broken: never poll it again. */
                tap_fail(s, errno);
                return;
            }
            if (!yielded && tap_rx_should_yield(s, got)) {
                yielded = true;
                sched_yield();
                continue;
            }
            return;
        }
        got++;
        if (!tap_rx_frame(s, (size_t)n)) {
            return;
        }
    }
}

static void tap_dispatch(NetTap *s)
{
    GIOCondition rev;

    if (s->gone) {
        return;
    }
    if (s->tx_err) {
        tap_fail(s, s->tx_err);
        return;
    }
    rev = g_source_query_unix_fd(s->src, s->fd_tag);
    if (rev & (G_IO_ERR | G_IO_HUP | G_IO_NVAL)) {
        /* tun reports POLLERR once its interface is deleted. */
        int r = tap_os_get_name(s->fd, s->ifname);

        tap_fail(s, r < 0 ? -r : EIO);
        return;
    }
    if ((rev & G_IO_OUT) && s->tx_busy) {
        s->tx_busy = false;
        tap_update_watch(s);
        net_backend_tx_ready(&s->be);
        if (s->gone) {
            return;
        }
    }
    if (tap_rx_pending(s)) {
        tap_rx_drain(s);
    }
    if (rev & G_IO_IN) {
        tap_rx_read(s);
    }
}

static bool tap_source_ready(NetTap *s)
{
    return !s->gone && (s->tx_err || (tap_rx_pending(s) && s->rx_enabled));
}

static gboolean tap_source_prepare(GSource *src, gint *timeout)
{
    *timeout = -1;
    return tap_source_ready(((TapSource *)src)->s);
}

static gboolean tap_source_check(GSource *src)
{
    NetTap *s = ((TapSource *)src)->s;

    if (tap_source_ready(s)) {
        return TRUE;
    }
    return s->fd_tag && g_source_query_unix_fd(src, s->fd_tag);
}

static gboolean tap_source_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    tap_dispatch(((TapSource *)src)->s);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs tap_source_funcs = {
    .prepare = tap_source_prepare,
    .check = tap_source_check,
    .dispatch = tap_source_dispatch,
};

static void tap_set_rx_enabled(NetBackend *be, bool enabled)
{
    NetTap *s = be->opaque;

    if (s->rx_enabled == enabled) {
        return;
    }
    s->rx_enabled = enabled;
    /* Pending segments go from dispatch (the caller may be the NIC). */
    tap_update_watch(s);
}

static void tap_free(NetBackend *be)
{
    NetTap *s = be->opaque;

    g_source_destroy(s->src);
    g_source_unref(s->src);
    if (s->fd >= 0) {
        if (s->stays) {
            /* Hand-off: whoever uses the tap next sees no stale carrier. */
            s->nic_link = false;
            tap_apply_link(s);
            if (s->bridge && tap_refresh_name(s) &&
                tap_os_bridge(s->ctl, s->bridge, s->ifname, false) < 0) {
                log_error("netdev %s: tap %s: cannot leave bridge %s: %s",
                          be->id, s->ifname, s->bridge, g_strerror(errno));
            }
        }
        close(s->fd);
    }
    if (s->ctl >= 0) {
        close(s->ctl);
    }
    g_free(s->bridge);
    g_free(s->rx_buf);
    g_free(s->seg_buf);
    g_free(s);
}

static const NetBackendOps tap_ops = {
    .type = "tap",
    .send = tap_send,
    .set_rx_enabled = tap_set_rx_enabled,
    .set_link = tap_set_link,
    .free = tap_free,
};

/* With a virtio-net header: offloaded frames are handed on whole. */
static const NetBackendOps tap_vnet_ops = {
    .type = "tap",
    .send = tap_send,
    .send_offload = tap_send_offload,
    .set_rx_enabled = tap_set_rx_enabled,
    .set_link = tap_set_link,
    .free = tap_free,
};

/* ---- Options ---- */

/* Linux's dev_valid_name(): never shorten or change a name we are given. */
static bool tap_check_ifname(const char *name, GError **errp)
{
    size_t len = strlen(name);
    const char *p;

    if (len > TAP_IFNAME_MAX) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev tap: ifname=%s: %zu characters, but interface "
                    "names have at most %d",
                    name, len, TAP_IFNAME_MAX);
        return false;
    }
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        goto bad;
    }
    for (p = name; *p; p++) {
        if (*p == '/' || *p == ':' || g_ascii_isspace(*p)) {
            goto bad;
        }
    }
    return true;

bad:
    g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                "netdev tap: ifname=%s: not a valid interface name", name);
    return false;
}

/* script=/downscript=: only "no" (emunet runs no helper scripts). */
static bool tap_check_script(const EmuOpts *opts, const char *key,
                             GError **errp)
{
    const char *v = opts_get(opts, key);

    if (!v || !*v || strcmp(v, "no") == 0) {
        return true;
    }
    g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                "netdev tap: %s=%s: emunet runs no scripts; use %s=no (and "
                "br=BRIDGE to join a bridge)",
                key, v, key);
    return false;
}

static bool tap_parse_opts(const EmuOpts *opts, TapVnetMode *vnet, int *sndbuf,
                           GError **errp)
{
    static const char *const known[] = {
        "type",       "id", "ifname",   "fd",     "script",
        "downscript", "br", "vnet_hdr", "sndbuf", NULL};
    bool has_fd = opts_get(opts, "fd") != NULL;
    const char *ifname = opts_get(opts, "ifname");
    bool on;
    uint64_t v;

    if (!opts_check_known(opts, "netdev tap", known, errp) ||
        !tap_check_script(opts, "script", errp) ||
        !tap_check_script(opts, "downscript", errp)) {
        return false;
    }
    if (has_fd &&
        (ifname || opts_get(opts, "script") || opts_get(opts, "downscript") ||
         opts_get(opts, "br") || opts_get(opts, "vnet_hdr"))) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev tap: ifname=, script=, downscript=, br= and "
                    "vnet_hdr= are invalid with fd=");
        return false;
    }
    if (ifname && !tap_check_ifname(ifname, errp)) {
        return false;
    }
    *vnet = TAP_VNET_AUTO;
    if (opts_get(opts, "vnet_hdr")) {
        if (!opts_get_bool(opts, "vnet_hdr", true, &on, errp)) {
            g_prefix_error(errp, "netdev tap: ");
            return false;
        }
        *vnet = on ? TAP_VNET_ON : TAP_VNET_OFF;
    }
    /* QEMU: sndbuf=0, the default, means no limit. */
    if (!opts_get_u64(opts, "sndbuf", 0, true, &v, errp)) {
        g_prefix_error(errp, "netdev tap: ");
        return false;
    }
    *sndbuf = v == 0 || v > INT_MAX ? INT_MAX : (int)v;
    return true;
}

static bool tap_open_fd(const EmuOpts *opts, TapOpen *t, GError **errp)
{
    uint64_t v;

    if (!opts_get_u64(opts, "fd", 0, false, &v, errp)) {
        g_prefix_error(errp, "netdev tap: ");
        return false;
    }
    if (v > INT_MAX) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev tap: fd=%" PRIu64 ": not a file descriptor", v);
        return false;
    }
    return tap_os_adopt((int)v, t, errp);
}

/* Interface setup after open; on failure the caller closes t->fd. */
static bool tap_setup(NetTap *s, const TapOpen *t, const char *br, int sndbuf,
                      GError **errp)
{
    int r;

    s->ctl = tap_os_ctl_socket();
    if (s->ctl < 0) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev tap: socket: %s", g_strerror(errno));
        return false;
    }
    if (sndbuf != INT_MAX && (r = tap_os_set_sndbuf(t->fd, sndbuf)) < 0) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev tap: sndbuf=%d: %s", sndbuf, g_strerror(-r));
        return false;
    }
    if (t->vnet_hdr_len) {
        tap_os_set_offload(t->fd);
    }
    if (br && (r = tap_os_bridge(s->ctl, br, t->ifname, true)) < 0) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev tap: br=%s: %s", br,
                    r == -ENODEV ? "no such bridge" : g_strerror(-r));
        return false;
    }
    s->bridge = g_strdup(br);
    /* Carrier down until the guest brings the NIC's link up. */
    r = tap_os_set_carrier(t->fd, false);
    s->carrier_ioctl = r == 0;
    if (s->carrier_ioctl && !s->stays) {
        /* Ours: up, so that the carrier alone says whether it passes. */
        r = tap_os_set_up(s->ctl, t->ifname, true);
        if (r < 0) {
            g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                        "netdev tap: %s: cannot bring it up: %s", t->ifname,
                        g_strerror(-r));
            return false;
        }
    }
    return true;
}

NetBackend *net_tap_new(const EmuOpts *opts, GMainContext *ctx, GError **errp)
{
    const char *br = opts_get(opts, "br");
    TapVnetMode vnet;
    TapOpen t;
    NetTap *s;
    int sndbuf;
    bool ok;

    if (!tap_parse_opts(opts, &vnet, &sndbuf, errp)) {
        return NULL;
    }
    if (opts_get(opts, "fd")) {
        ok = tap_open_fd(opts, &t, errp);
    } else {
        ok = tap_os_open(opts_get(opts, "ifname"), vnet, &t, errp);
    }
    if (!ok) {
        return NULL;
    }

    s = g_new0(NetTap, 1);
    s->fd = t.fd;
    s->stays = t.persistent || opts_get(opts, "fd");
    memcpy(s->ifname, t.ifname, sizeof(s->ifname));
    s->vnet_len = t.vnet_hdr_len;
    if (!tap_setup(s, &t, br, sndbuf, errp)) {
        if (s->ctl >= 0) {
            close(s->ctl);
        }
        /* An fd= descriptor stays the caller's on failure. */
        if (!opts_get(opts, "fd")) {
            close(t.fd);
        }
        g_free(s->bridge);
        g_free(s);
        return NULL;
    }
    net_backend_init(&s->be, s->vnet_len ? &tap_vnet_ops : &tap_ops,
                     opts_get(opts, "id"), s);
    if (!s->carrier_ioctl) {
        /* Before Linux 5.0: IFF_UP stands in for the carrier. */
        tap_apply_link(s);
    }
    tap_read_mtu(s);
    s->rx_buf = g_malloc(TAP_RX_CAP);
    s->src = g_source_new(&tap_source_funcs, sizeof(TapSource));
    ((TapSource *)s->src)->s = s;
    g_source_set_name(s->src, "netdev tap");
    /*
     * Nothing here runs the main loop recursively. Without this, GLib
     * takes the fd out of the poll set for every dispatch and puts it
     * back afterwards, waking the context both times (an eventfd write
     * each, then an extra poll and read).
     */
    g_source_set_can_recurse(s->src, TRUE);
    /* Registered with no events: POLLERR still says when it is deleted. */
    s->fd_tag = g_source_add_unix_fd(s->src, s->fd, 0);
    g_source_attach(s->src, ctx);
    log_trace(LOG_NET, "netdev %s: tap %s%s%s", s->be.id, s->ifname,
              s->vnet_len ? ", virtio-net header" : "",
              s->carrier_ioctl ? "" : ", carrier via IFF_UP");
    return &s->be;
}
