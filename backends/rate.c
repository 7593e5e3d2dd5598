/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rate= of an xl vif on the NIC's transmit side (net_backend_set_rate),
 * with the credit scheme of Linux's xen-netback (xenvif tx_credit_exceeded
 * and tx_add_credit), so that a guest sees the same shaping on its
 * emulated NIC as on its PV vif:
 *  - `bytes` of credit per `usecs` interval; at the first frame after an
 *    interval has passed, one interval's worth is added (never more, however
 *    long the NIC was idle), the total capped at max(128 KiB, bytes) so a
 *    64 KiB TCP super-frame always fits eventually;
 *  - a frame larger than the credit left is not sent: the NIC gets
 *    NET_SEND_BUSY, keeps its descriptors, and a timer at the end of the
 *    interval adds the credit and calls tx_ready. Frames wait; none drop.
 * Time is the Clock given to net_backend_set_rate: the machine's, real in
 * production (a limit on real bandwidth), virtual under qtest.
 */
#include "backends/netbe-priv.h"
#include "emunet/clock.h"
#include "emunet/log.h"

/* xen-netback: a burst big enough for a 128 KiB packet. */
#define NET_RATE_MIN_BURST (128 * 1024)

struct NetRate {
    NetBackend *be;
    Clock *clock;
    uint64_t credit_bytes;
    /* The interval, in ns of `clock`. */
    int64_t credit_ns;
    uint64_t remaining;
    /* Start of the current interval (ns of `clock`). */
    int64_t window_start;
    /* Armed while the NIC waits for credit; owned. */
    Timer *timer;
};

static void net_rate_add_credit(NetRate *r)
{
    uint64_t max_burst = MAX((uint64_t)NET_RATE_MIN_BURST, r->credit_bytes);
    uint64_t max_credit = r->remaining + r->credit_bytes;

    if (max_credit < r->remaining) {
        max_credit = UINT64_MAX;
    }
    r->remaining = MIN(max_credit, max_burst);
}

static void net_rate_timer_cb(void *opaque)
{
    NetRate *r = opaque;

    net_rate_add_credit(r);
    /*
     * The NIC retries now; the backend may still say BUSY on its own.
     * Last: tx_ready may lift or change the limit, freeing `r`.
     */
    net_backend_tx_ready(r->be);
}

bool net_rate_admit(NetRate *r, size_t len)
{
    int64_t now, next;

    if (timer_pending(r->timer)) {
        return false;
    }
    now = clock_get_ns(r->clock);
    if (now >= r->window_start + r->credit_ns) {
        r->window_start = now;
        net_rate_add_credit(r);
    }
    if (len <= r->remaining) {
        return true;
    }
    /* Wait for the next interval's credit, as netback's credit_timeout. */
    next = r->window_start + r->credit_ns;
    r->window_start = next;
    timer_mod_ns(r->timer, next);
    log_trace(LOG_NET, "netdev %s: rate: %zu byte frame waits for credit",
              r->be->id, len);
    return false;
}

void net_rate_charge(NetRate *r, size_t len)
{
    r->remaining -= MIN((uint64_t)len, r->remaining);
}

void net_rate_free(NetRate *r)
{
    if (!r) {
        return;
    }
    timer_free(r->timer);
    g_free(r);
}

void net_backend_set_rate(NetBackend *be, uint64_t bytes, uint32_t usecs,
                          Clock *clock)
{
    NetRate *r;
    bool waiting = be->rate && timer_pending(be->rate->timer);

    net_rate_free(be->rate);
    be->rate = NULL;
    if (bytes && usecs) {
        g_assert(clock);
        r = g_new0(NetRate, 1);
        r->be = be;
        r->clock = clock;
        r->credit_bytes = bytes;
        r->credit_ns = (int64_t)usecs * 1000;
        r->remaining = bytes;
        r->window_start = clock_get_ns(clock);
        r->timer = timer_new(clock, net_rate_timer_cb, r);
        be->rate = r;
    }
    if (waiting) {
        /* The NIC was owed a tx_ready by the old limit. */
        net_backend_tx_ready(be);
    }
}
