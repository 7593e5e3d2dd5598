/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -netdev user: user-mode networking with libslirp (DHCP, DNS forwarding,
 * host port forwarding), no privileges needed.
 *
 *   -netdev user,id=ID[,net=ADDR[/MASK]][,host=ADDR][,dhcpstart=ADDR]
 *               [,dns=ADDR][,hostfwd=[tcp|udp]:[HADDR]:HPORT-[GADDR]:GPORT]...
 *               [,restrict=on|off][,ipv4=on|off][,ipv6=on|off]
 *               [,hostname=NAME]
 *
 * Defaults as QEMU: 10.0.2.0/24, gateway .2, DNS .3, leases from .15,
 * IPv6 fec0::/64. restrict=on keeps the guest from reaching anything but
 * the forwarded ports.
 *
 * Every call whose shape depends on the libslirp version is in this file
 * (SlirpConfig version, timer callbacks). libslirp owns no loop: one
 * GSource asks it for its sockets before each poll (slirp_pollfds_fill)
 * and hands it the results after (slirp_pollfds_poll); its timers run on
 * a real Clock on the same context.
 *
 * Frames from libslirp reach the NIC from the GSource, never from inside
 * the NIC's send (slirp_input answers ARP and DHCP at once): those made
 * while the GSource polls libslirp go straight to the NIC, the others
 * (and any behind a frame the NIC refused) are queued and delivered from
 * the next dispatch. While the NIC is full they wait in the queue and
 * libslirp's sockets are not polled for input, so host-side TCP data
 * stays in the kernel.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <slirp/libslirp.h>

#include "backends/netbe-priv.h"
#include "emunet/clock.h"
#include "emunet/log.h"

#if !SLIRP_CHECK_VERSION(4, 7, 0)
#error "libslirp 4.7 or later is needed (SlirpConfig version 4)"
#endif
#if !SLIRP_CHECK_VERSION(4, 8, 0)
/* 4.8 names the return type of SlirpWriteCb; 4.7 uses ssize_t. */
typedef ssize_t slirp_ssize_t;
#endif

/*
 * Extra poll rounds per dispatch while datagrams stream in from the host
 * (slirp_source_dispatch), and what counts as streaming: frames for the
 * guest from two dispatches closer together than this.
 */
#define SLIRP_RX_ROUNDS 16
#define SLIRP_RX_STREAM_US 100
/* Queued frames towards the NIC beyond which libslirp is not polled. */
#define SLIRP_RXQ_SOFT (256 * 1024)
/* ...and beyond which frames are dropped (counted). */
#define SLIRP_RXQ_MAX (1024 * 1024)

typedef struct NetSlirp NetSlirp;

typedef struct SlirpTimerWrap {
    NetSlirp *s;
    Timer *timer;
    SlirpTimerId id;
    void *cb_opaque;
} SlirpTimerWrap;

struct NetSlirp {
    NetBackend be;
    Slirp *slirp;
    Clock *clock;
    GMainContext *ctx;
    GSource *src;
    /* GPollFD per libslirp socket, registered with src until next fill. */
    GArray *pollfds;
    /*
     * What the current fill asks for; registered (copied to pollfds) only
     * when it differs, since every g_source_add_poll/remove_poll wakes
     * the context and would make the next poll return at once.
     */
    GArray *next_pollfds;
    /* The array whose revents slirp_pollfds_poll reads (one of the two). */
    GArray *polled;
    /* Inside our own slirp_pollfds_poll: frames may go straight out. */
    bool in_poll;
    /*
     * Frames libslirp produced for the guest, and when a dispatch last
     * produced some (monotonic us).
     */
    uint64_t rx_produced;
    gint64 rx_last_us;
    /* Monotonic time (us) when libslirp wants to run again; -1: never. */
    gint64 deadline;
    /* Frames (GBytes) from libslirp for the NIC, and their total size. */
    GQueue rxq;
    size_t rxq_bytes;
    bool rx_enabled;
    /* Live timers, freed at the end if libslirp has not done it. */
    GPtrArray *timers;
    /* Linear copy of a frame the NIC sent in pieces. */
    uint8_t *tx_buf;
};

typedef struct SlirpSource {
    GSource base;
    NetSlirp *s;
} SlirpSource;

/* ---- libslirp callbacks ---- */

static slirp_ssize_t slirp_cb_send_packet(const void *buf, size_t len,
                                          void *opaque)
{
    NetSlirp *s = opaque;

    s->rx_produced++;
    if (s->in_poll && s->rx_enabled && g_queue_is_empty(&s->rxq)) {
        /*
         * From our dispatch (not from inside the NIC's send), nothing
         * queued before it: straight to the NIC, without a copy. A frame
         * it cannot take is held by the generic layer, which also stops
         * RX; later ones queue below.
         */
        net_backend_receive(&s->be, buf, len);
        return (slirp_ssize_t)len;
    }
    if (s->rxq_bytes + len > SLIRP_RXQ_MAX) {
        /* libslirp's contract: a dropped frame is retransmitted by TCP. */
        s->be.stats.rx_drops++;
        return (slirp_ssize_t)len;
    }
    g_queue_push_tail(&s->rxq, g_bytes_new(buf, len));
    s->rxq_bytes += len;
    return (slirp_ssize_t)len;
}

static void slirp_cb_guest_error(const char *msg, void *opaque)
{
    NetSlirp *s = opaque;

    log_guest_error(LOG_NET, "netdev %s: %s", s->be.id, msg);
}

static int64_t slirp_cb_clock_get_ns(void *opaque)
{
    return clock_get_ns(((NetSlirp *)opaque)->clock);
}

static void slirp_timer_fire(void *opaque)
{
    SlirpTimerWrap *w = opaque;

    slirp_handle_timer(w->s->slirp, w->id, w->cb_opaque);
}

static void *slirp_cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque,
                                       void *opaque)
{
    NetSlirp *s = opaque;
    SlirpTimerWrap *w = g_new0(SlirpTimerWrap, 1);

    w->s = s;
    w->id = id;
    w->cb_opaque = cb_opaque;
    w->timer = timer_new(s->clock, slirp_timer_fire, w);
    g_ptr_array_add(s->timers, w);
    return w;
}

static void slirp_cb_timer_free(void *timer, void *opaque)
{
    NetSlirp *s = opaque;
    SlirpTimerWrap *w = timer;

    g_ptr_array_remove_fast(s->timers, w);
    timer_free(w->timer);
    g_free(w);
}

static void slirp_cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    SlirpTimerWrap *w = timer;

    timer_mod_ns(w->timer, expire_ms * (int64_t)1000000);
}

static void slirp_cb_register_poll_fd(int fd, void *opaque)
{
    /* Sockets are collected afresh before every poll. */
}

static void slirp_cb_unregister_poll_fd(int fd, void *opaque)
{
}

static void slirp_cb_notify(void *opaque)
{
    /* A socket can take data again: poll with a fresh fd set. */
    g_main_context_wakeup(((NetSlirp *)opaque)->ctx);
}

static const SlirpCb slirp_callbacks = {
    .send_packet = slirp_cb_send_packet,
    .guest_error = slirp_cb_guest_error,
    .clock_get_ns = slirp_cb_clock_get_ns,
    .timer_free = slirp_cb_timer_free,
    .timer_mod = slirp_cb_timer_mod,
    .register_poll_fd = slirp_cb_register_poll_fd,
    .unregister_poll_fd = slirp_cb_unregister_poll_fd,
    .notify = slirp_cb_notify,
    .timer_new_opaque = slirp_cb_timer_new_opaque,
};

/* ---- Main loop integration ---- */

static bool slirp_rx_blocked(NetSlirp *s)
{
    return !s->rx_enabled || s->rxq_bytes >= SLIRP_RXQ_SOFT;
}

static int slirp_add_poll(int fd, int events, void *opaque)
{
    NetSlirp *s = opaque;
    GPollFD pfd = {.fd = fd};

    if (slirp_rx_blocked(s)) {
        /* Leave host data in the kernel until the NIC has room. */
        events &= ~(SLIRP_POLL_IN | SLIRP_POLL_PRI);
    }
    pfd.events = (events & SLIRP_POLL_IN ? G_IO_IN : 0) |
                 (events & SLIRP_POLL_OUT ? G_IO_OUT : 0) |
                 (events & SLIRP_POLL_PRI ? G_IO_PRI : 0) |
                 (events & SLIRP_POLL_ERR ? G_IO_ERR : 0) |
                 (events & SLIRP_POLL_HUP ? G_IO_HUP : 0);
    g_array_append_val(s->next_pollfds, pfd);
    return (int)s->next_pollfds->len - 1;
}

static int slirp_get_revents(int idx, void *opaque)
{
    NetSlirp *s = opaque;
    gushort rev;

    if (idx < 0 || (guint)idx >= s->polled->len) {
        return 0;
    }
    rev = g_array_index(s->polled, GPollFD, idx).revents;
    return (rev & G_IO_IN ? SLIRP_POLL_IN : 0) |
           (rev & G_IO_OUT ? SLIRP_POLL_OUT : 0) |
           (rev & G_IO_PRI ? SLIRP_POLL_PRI : 0) |
           (rev & G_IO_ERR ? SLIRP_POLL_ERR : 0) |
           (rev & G_IO_HUP ? SLIRP_POLL_HUP : 0);
}

static void slirp_remove_polls(NetSlirp *s)
{
    guint i;

    for (i = 0; i < s->pollfds->len; i++) {
        g_source_remove_poll(s->src, &g_array_index(s->pollfds, GPollFD, i));
    }
    g_array_set_size(s->pollfds, 0);
}

static bool slirp_rx_ready(NetSlirp *s)
{
    return s->rx_enabled && !g_queue_is_empty(&s->rxq);
}

/* Does the fill just done ask for the polls already registered? */
static bool slirp_polls_same(NetSlirp *s)
{
    guint i;

    if (s->next_pollfds->len != s->pollfds->len) {
        return false;
    }
    for (i = 0; i < s->pollfds->len; i++) {
        const GPollFD *a = &g_array_index(s->pollfds, GPollFD, i);
        const GPollFD *b = &g_array_index(s->next_pollfds, GPollFD, i);

        if (a->fd != b->fd || a->events != b->events) {
            return false;
        }
    }
    return true;
}

static gboolean slirp_source_prepare(GSource *src, gint *timeout)
{
    NetSlirp *s = ((SlirpSource *)src)->s;
    uint32_t ms = UINT32_MAX;
    guint i;

    g_array_set_size(s->next_pollfds, 0);
    slirp_pollfds_fill(s->slirp, &ms, slirp_add_poll, s);
    if (slirp_polls_same(s)) {
        /* Same indices: revents of the last poll are not read again. */
        for (i = 0; i < s->pollfds->len; i++) {
            g_array_index(s->pollfds, GPollFD, i).revents = 0;
        }
    } else {
        slirp_remove_polls(s);
        g_array_append_vals(s->pollfds, s->next_pollfds->data,
                            s->next_pollfds->len);
        /* Register only now: the array no longer moves. */
        for (i = 0; i < s->pollfds->len; i++) {
            g_source_add_poll(src, &g_array_index(s->pollfds, GPollFD, i));
        }
    }
    if (ms == UINT32_MAX) {
        s->deadline = -1;
        *timeout = -1;
    } else {
        s->deadline = g_get_monotonic_time() + (gint64)ms * 1000;
        *timeout = (gint)MIN(ms, (uint32_t)INT_MAX);
    }
    return slirp_rx_ready(s);
}

static gboolean slirp_source_check(GSource *src)
{
    NetSlirp *s = ((SlirpSource *)src)->s;
    guint i;

    if (slirp_rx_ready(s)) {
        return TRUE;
    }
    if (s->deadline >= 0 && g_get_monotonic_time() >= s->deadline) {
        return TRUE;
    }
    for (i = 0; i < s->pollfds->len; i++) {
        if (g_array_index(s->pollfds, GPollFD, i).revents) {
            return TRUE;
        }
    }
    return FALSE;
}

/* Hand queued frames to the NIC until it is full. */
static void slirp_rx_deliver(NetSlirp *s)
{
    while (slirp_rx_ready(s)) {
        GBytes *b = g_queue_pop_head(&s->rxq);
        size_t len;
        const uint8_t *data = g_bytes_get_data(b, &len);

        s->rxq_bytes -= len;
        /* A refused frame is kept by the generic layer. */
        net_backend_receive(&s->be, data, len);
        g_bytes_unref(b);
    }
}

/* Let libslirp handle what the poll of `polled` found. */
static void slirp_poll_once(NetSlirp *s, GArray *polled)
{
    s->polled = polled;
    s->in_poll = true;
    slirp_pollfds_poll(s->slirp, 0, slirp_get_revents, s);
    s->in_poll = false;
    slirp_rx_deliver(s);
}

/*
 * libslirp reads at most one datagram per socket per poll. While they
 * stream in (frames for the guest now and in a dispatch less than
 * SLIRP_RX_STREAM_US ago), look again before going back to the main
 * loop: a fresh fill (sockets may have come and gone) and a poll that
 * does not wait, up to SLIRP_RX_ROUNDS times, until a round finds nothing
 * for the guest. When the sockets run dry, sched_yield() once and look
 * again: the sender is then typically a task on this CPU that our wakeup
 * preempted (see tap_rx_should_yield).
 */
static bool slirp_rx_streaming(NetSlirp *s, uint64_t produced)
{
    gint64 now, last;

    if (s->rx_produced == produced || !s->rx_enabled) {
        return false;
    }
    now = g_get_monotonic_time();
    last = s->rx_last_us;
    s->rx_last_us = now;
    return now - last < SLIRP_RX_STREAM_US;
}

static gboolean slirp_source_dispatch(GSource *src, GSourceFunc cb,
                                      gpointer data)
{
    NetSlirp *s = ((SlirpSource *)src)->s;
    uint64_t produced = s->rx_produced;
    uint32_t ms = UINT32_MAX;
    bool yielded = false;
    int round;

    slirp_poll_once(s, s->pollfds);
    if (!slirp_rx_streaming(s, produced)) {
        return G_SOURCE_CONTINUE;
    }
    for (round = 0; round < SLIRP_RX_ROUNDS && s->rx_enabled; round++) {
        g_array_set_size(s->next_pollfds, 0);
        slirp_pollfds_fill(s->slirp, &ms, slirp_add_poll, s);
        if (g_poll((GPollFD *)s->next_pollfds->data, s->next_pollfds->len,
                   0) <= 0) {
            if (yielded) {
                break;
            }
            /* Dry: once per dispatch, let a sender on this CPU go on. */
            yielded = true;
            sched_yield();
            continue;
        }
        produced = s->rx_produced;
        slirp_poll_once(s, s->next_pollfds);
        if (s->rx_produced == produced) {
            break;
        }
    }
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs slirp_source_funcs = {
    .prepare = slirp_source_prepare,
    .check = slirp_source_check,
    .dispatch = slirp_source_dispatch,
};

/* ---- NetBackendOps ---- */

static NetSendResult slirp_send(NetBackend *be, const struct iovec *iov,
                                int iovcnt)
{
    NetSlirp *s = be->opaque;
    const uint8_t *frame;
    size_t len;

    if (iovcnt == 1) {
        frame = iov[0].iov_base;
        len = iov[0].iov_len;
    } else {
        len = net_iov_to_buf(iov, iovcnt, s->tx_buf, NET_MAX_FRAME);
        frame = s->tx_buf;
    }
    /* Replies go to the queue; the NIC hears of them from the loop. */
    slirp_input(s->slirp, frame, (int)len);
    return NET_SEND_OK;
}

static void slirp_set_rx_enabled(NetBackend *be, bool enabled)
{
    NetSlirp *s = be->opaque;

    if (s->rx_enabled != enabled) {
        s->rx_enabled = enabled;
        if (enabled) {
            /* Queued frames go from dispatch, not from inside the NIC. */
            g_main_context_wakeup(s->ctx);
        }
    }
}

static void slirp_free(NetBackend *be)
{
    NetSlirp *s = be->opaque;

    slirp_remove_polls(s);
    g_source_destroy(s->src);
    g_source_unref(s->src);
    slirp_cleanup(s->slirp);
    /* Timers libslirp did not free itself. */
    while (s->timers->len) {
        slirp_cb_timer_free(g_ptr_array_index(s->timers, 0), s);
    }
    g_ptr_array_unref(s->timers);
    clock_free(s->clock);
    g_queue_clear_full(&s->rxq, (GDestroyNotify)g_bytes_unref);
    g_array_unref(s->pollfds);
    g_array_unref(s->next_pollfds);
    g_free(s->tx_buf);
    g_free(s);
}

static const NetBackendOps slirp_ops = {
    .type = "user",
    .send = slirp_send,
    .set_rx_enabled = slirp_set_rx_enabled,
    .free = slirp_free,
};

/* ---- Options ---- */

typedef struct SlirpNet {
    struct in_addr net, mask, host, dhcp, dns;
} SlirpNet;

static bool slirp_fail(GError **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool slirp_fail(GError **errp, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                "netdev user: %s", msg);
    return false;
}

static bool slirp_parse_ip(const char *key, const char *str,
                           struct in_addr *out, GError **errp)
{
    if (inet_pton(AF_INET, str, out) != 1) {
        return slirp_fail(errp, "%s=%s: not an IPv4 address", key, str);
    }
    return true;
}

/* net=ADDR[/BITS|/MASK]; without a mask, the address class's (QEMU). */
static bool slirp_parse_net(const char *str, SlirpNet *n, GError **errp)
{
    g_auto(GStrv) parts = g_strsplit(str, "/", 2);
    uint32_t a, m;
    guint64 bits;

    if (!slirp_parse_ip("net", parts[0], &n->net, errp)) {
        return false;
    }
    a = ntohl(n->net.s_addr);
    if (!parts[1]) {
        if (!(a & 0x80000000u)) {
            m = 0xff000000u;
        } else if ((a & 0xfff00000u) == 0xac100000u) {
            m = 0xfff00000u;
        } else if ((a & 0xc0000000u) == 0x80000000u) {
            m = 0xffff0000u;
        } else if ((a & 0xffff0000u) == 0xc0a80000u) {
            m = 0xffff0000u;
        } else {
            m = 0xffffff00u;
        }
    } else if (g_ascii_string_to_unsigned(parts[1], 10, 0, 32, &bits, NULL)) {
        m = bits ? 0xffffffffu << (32 - bits) : 0;
    } else {
        if (inet_pton(AF_INET, parts[1], &n->mask) != 1) {
            return slirp_fail(errp, "net=%s: bad netmask '%s'", str, parts[1]);
        }
        m = ntohl(n->mask.s_addr);
        /* Contiguous: the host part plus one is a power of two. */
        if ((~m & (~m + 1)) != 0) {
            return slirp_fail(errp, "net=%s: netmask '%s' is not contiguous",
                              str, parts[1]);
        }
    }
    /* Room for the network, gateway, DNS, a lease and broadcast. */
    if ((~m) < 7) {
        return slirp_fail(errp, "net=%s: the network is too small", str);
    }
    n->mask.s_addr = htonl(m);
    n->net.s_addr = htonl(a & m);
    return true;
}

/* An address option inside the network; `def` is its host part default. */
static bool slirp_parse_member(const EmuOpts *opts, const char *key,
                               const char *what, uint32_t def,
                               const SlirpNet *n, struct in_addr *out,
                               GError **errp)
{
    const char *v = opts_get(opts, key);
    uint32_t net = ntohl(n->net.s_addr), mask = ntohl(n->mask.s_addr), a;

    if (!v) {
        out->s_addr = htonl(net | def);
        return true;
    }
    if (!slirp_parse_ip(key, v, out, errp)) {
        return false;
    }
    a = ntohl(out->s_addr);
    if ((a & mask) != net) {
        return slirp_fail(errp, "%s=%s: the %s is not inside the network", key,
                          v, what);
    }
    if (a == net || a == (net | ~mask)) {
        return slirp_fail(errp,
                          "%s=%s: the %s cannot be the network or "
                          "broadcast address",
                          key, v, what);
    }
    return true;
}

static bool slirp_parse_addrs(const EmuOpts *opts, SlirpNet *n, GError **errp)
{
    const char *net = opts_get(opts, "net");

    if (!slirp_parse_net(net ? net : "10.0.2.0/24", n, errp) ||
        !slirp_parse_member(opts, "host", "gateway", 2, n, &n->host, errp) ||
        !slirp_parse_member(opts, "dns", "DNS server", 3, n, &n->dns, errp) ||
        !slirp_parse_member(opts, "dhcpstart", "first lease", 15, n, &n->dhcp,
                            errp)) {
        return false;
    }
    if (n->dns.s_addr == n->host.s_addr) {
        return slirp_fail(errp,
                          "dns=%s: the DNS server must differ from the "
                          "gateway",
                          opts_get(opts, "dns"));
    }
    if (n->dhcp.s_addr == n->host.s_addr || n->dhcp.s_addr == n->dns.s_addr) {
        return slirp_fail(errp, "dhcpstart: the first lease must differ from "
                                "the gateway and the DNS server");
    }
    return true;
}

/* "[HADDR]:HPORT-[GADDR]:GPORT" after the protocol. */
static bool slirp_add_fwd(NetSlirp *s, const char *rule, const SlirpNet *n,
                          GError **errp)
{
    g_auto(GStrv) sides = NULL;
    g_auto(GStrv) proto = g_strsplit(rule, ":", 2);
    struct in_addr haddr, gaddr = n->dhcp;
    guint64 hport, gport;
    const char *colon;
    g_autofree char *hhost = NULL;
    bool udp;
    int err;

    if (!proto[1]) {
        goto syntax;
    }
    if (!*proto[0] || strcmp(proto[0], "tcp") == 0) {
        udp = false;
    } else if (strcmp(proto[0], "udp") == 0) {
        udp = true;
    } else {
        goto syntax;
    }
    sides = g_strsplit(proto[1], "-", 2);
    if (!sides[1] || !(colon = strchr(sides[0], ':'))) {
        goto syntax;
    }
    hhost = g_strndup(sides[0], colon - sides[0]);
    haddr.s_addr = htonl(INADDR_ANY);
    if ((*hhost && inet_pton(AF_INET, hhost, &haddr) != 1) ||
        !g_ascii_string_to_unsigned(colon + 1, 10, 0, 65535, &hport, NULL)) {
        goto syntax;
    }
    colon = strchr(sides[1], ':');
    if (!colon) {
        goto syntax;
    }
    if (colon != sides[1]) {
        g_autofree char *ghost = g_strndup(sides[1], colon - sides[1]);

        if (inet_pton(AF_INET, ghost, &gaddr) != 1) {
            goto syntax;
        }
    }
    if (!g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &gport, NULL)) {
        goto syntax;
    }
    errno = 0;
    if (slirp_add_hostfwd(s->slirp, udp, haddr, (int)hport, gaddr, (int)gport) <
        0) {
        /* The host refused (port in use, no permission): exit status 1. */
        err = errno;
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_HOST,
                    "netdev user: hostfwd=%s: cannot forward host port "
                    "%s:%u%s%s",
                    rule, *hhost ? hhost : "*", (unsigned)hport,
                    err ? ": " : "", err ? g_strerror(err) : "");
        return false;
    }
    return true;

syntax:
    return slirp_fail(errp,
                      "hostfwd=%s: expected "
                      "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT",
                      rule);
}

static bool slirp_parse_bools(const EmuOpts *opts, bool *restricted, bool *ipv4,
                              bool *ipv6, GError **errp)
{
    if (!opts_get_bool(opts, "restrict", false, restricted, errp) ||
        !opts_get_bool(opts, "ipv4", true, ipv4, errp) ||
        !opts_get_bool(opts, "ipv6", true, ipv6, errp)) {
        g_prefix_error(errp, "netdev user: ");
        return false;
    }
    if (!*ipv4 && !*ipv6) {
        return slirp_fail(errp, "ipv4=off and ipv6=off leave no network");
    }
    return true;
}

NetBackend *net_slirp_new(const EmuOpts *opts, GMainContext *ctx, GError **errp)
{
    static const char *const known[] = {
        "type",    "id",       "net",  "host", "dhcpstart", "dns",
        "hostfwd", "restrict", "ipv4", "ipv6", "hostname",  NULL};
    const char *const *fwds = opts_get_all(opts, "hostfwd");
    SlirpConfig cfg;
    SlirpNet n;
    NetSlirp *s;
    bool restricted, ipv4, ipv6;

    if (!opts_check_known(opts, "netdev user", known, errp) ||
        !slirp_parse_bools(opts, &restricted, &ipv4, &ipv6, errp) ||
        !slirp_parse_addrs(opts, &n, errp)) {
        return NULL;
    }

    memset(&cfg, 0, sizeof(cfg));
    /* libslirp 4.7 (Debian 12): config version 4, slirp_handle_timer. */
    cfg.version = 4;
    cfg.restricted = restricted;
    cfg.in_enabled = ipv4;
    cfg.vnetwork = n.net;
    cfg.vnetmask = n.mask;
    cfg.vhost = n.host;
    cfg.vdhcp_start = n.dhcp;
    cfg.vnameserver = n.dns;
    cfg.in6_enabled = ipv6;
    /* QEMU's IPv6 defaults: fec0::/64, gateway ::2, DNS ::3. */
    inet_pton(AF_INET6, "fec0::", &cfg.vprefix_addr6);
    cfg.vprefix_len = 64;
    inet_pton(AF_INET6, "fec0::2", &cfg.vhost6);
    inet_pton(AF_INET6, "fec0::3", &cfg.vnameserver6);
    cfg.vhostname = opts_get(opts, "hostname");

    s = g_new0(NetSlirp, 1);
    s->ctx = ctx;
    s->clock = clock_new_real(ctx);
    s->timers = g_ptr_array_new();
    s->pollfds = g_array_new(FALSE, FALSE, sizeof(GPollFD));
    s->next_pollfds = g_array_new(FALSE, FALSE, sizeof(GPollFD));
    s->polled = s->pollfds;
    g_queue_init(&s->rxq);
    net_backend_init(&s->be, &slirp_ops, opts_get(opts, "id"), s);
    s->src = g_source_new(&slirp_source_funcs, sizeof(SlirpSource));
    ((SlirpSource *)s->src)->s = s;
    g_source_set_name(s->src, "netdev user");
    /* Not re-entered: spares GLib's poll-set changes per dispatch. */
    g_source_set_can_recurse(s->src, TRUE);
    s->slirp = slirp_new(&cfg, &slirp_callbacks, s);
    if (!s->slirp) {
        slirp_fail(errp, "libslirp refused the configuration");
        goto fail;
    }
    for (; fwds && *fwds; fwds++) {
        if (!slirp_add_fwd(s, *fwds, &n, errp)) {
            goto fail;
        }
    }
    s->tx_buf = g_malloc(NET_MAX_FRAME);
    g_source_attach(s->src, ctx);
    return &s->be;

fail:
    g_free(s->be.id);
    s->be.id = NULL;
    if (s->slirp) {
        slirp_free(&s->be);
    } else {
        g_source_unref(s->src);
        g_ptr_array_unref(s->timers);
        clock_free(s->clock);
        g_array_unref(s->pollfds);
        g_array_unref(s->next_pollfds);
        g_free(s);
    }
    return NULL;
}
