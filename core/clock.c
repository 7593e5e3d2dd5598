/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Clocks and timers. Armed timers of a clock sit in one GSequence ordered
 * by (deadline, arming sequence number), so the earliest is always first
 * and equal deadlines run in arming order.
 *
 * A due timer is disarmed before its callback runs and is not touched
 * afterwards, which is what makes re-arming and timer_free() from inside
 * the callback safe.
 */
#include <time.h>

#include "emunet/clock.h"

/* The real clock's GSource: ready when the earliest deadline has passed. */
typedef struct ClockSource {
    GSource base;
    Clock *clock;
} ClockSource;

struct Clock {
    bool is_virtual;
    /* Virtual time in ns; unused by the real clock. */
    int64_t virt_ns;
    /* Armed timers, earliest first. */
    GSequence *armed;
    /* Next arming sequence number; orders timers with equal deadlines. */
    uint64_t next_seq;
    /* Timers created and not yet freed, to catch leaks in clock_free. */
    unsigned live_timers;
    /* Real clock only: the source attached to the caller's context. */
    ClockSource *source;
    /* Real clock only: inside dispatch, ready time is updated at the end. */
    bool dispatching;
    /* clock_set_running(false): no timer fires. */
    bool stopped;
};

struct Timer {
    Clock *clock;
    TimerCb *cb;
    void *opaque;
    /* Absolute deadline while armed, -1 otherwise. */
    int64_t expire_ns;
    /* Arming sequence number of the current arming. */
    uint64_t seq;
    /* Position in clock->armed while armed, NULL otherwise. */
    GSequenceIter *iter;
};

static int clock_compare_timers(gconstpointer a, gconstpointer b,
                                gpointer unused)
{
    const Timer *ta = a;
    const Timer *tb = b;

    if (ta->expire_ns != tb->expire_ns) {
        return ta->expire_ns < tb->expire_ns ? -1 : 1;
    }
    if (ta->seq != tb->seq) {
        return ta->seq < tb->seq ? -1 : 1;
    }
    return 0;
}

static Timer *clock_first_timer(Clock *clock)
{
    GSequenceIter *it = g_sequence_get_begin_iter(clock->armed);

    return g_sequence_iter_is_end(it) ? NULL : g_sequence_get(it);
}

static int64_t clock_monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * G_GINT64_CONSTANT(1000000000) + ts.tv_nsec;
}

/*
 * Point the real clock's source at the earliest deadline. GLib ready times
 * are g_get_monotonic_time() microseconds, which read the same
 * CLOCK_MONOTONIC; rounding up means the source never becomes ready before
 * the deadline in nanoseconds has passed.
 */
static void clock_update_source(Clock *clock)
{
    Timer *first;
    int64_t ready_us = -1;

    if (clock->is_virtual || clock->dispatching) {
        return;
    }
    first = clock->stopped ? NULL : clock_first_timer(clock);
    if (first) {
        ready_us = first->expire_ns / 1000 + (first->expire_ns % 1000 != 0);
    }
    g_source_set_ready_time(&clock->source->base, ready_us);
}

/* Disarm `timer` (armed) and run its callback; `timer` may be gone after. */
static void clock_run_timer(Timer *timer)
{
    g_sequence_remove(timer->iter);
    timer->iter = NULL;
    timer->expire_ns = -1;
    timer->cb(timer->opaque);
}

/*
 * Run the timers due at the time the dispatch started. A timer armed
 * during this dispatch waits for the next main-loop iteration even if it
 * is already due, so a callback that re-arms itself for "now" cannot
 * starve the rest of the loop.
 */
static gboolean clock_source_dispatch(GSource *source, GSourceFunc unused_cb,
                                      gpointer unused_data)
{
    Clock *clock = ((ClockSource *)source)->clock;
    int64_t now = clock_monotonic_ns();
    uint64_t seq_limit = clock->next_seq;
    Timer *timer;

    clock->dispatching = true;
    while (!clock->stopped && (timer = clock_first_timer(clock)) != NULL &&
           timer->expire_ns <= now && timer->seq < seq_limit) {
        clock_run_timer(timer);
    }
    clock->dispatching = false;
    clock_update_source(clock);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs clock_source_funcs = {
    .dispatch = clock_source_dispatch,
};

static Clock *clock_new_common(bool is_virtual)
{
    Clock *clock = g_new0(Clock, 1);

    clock->is_virtual = is_virtual;
    clock->armed = g_sequence_new(NULL);
    return clock;
}

Clock *clock_new_real(GMainContext *ctx)
{
    Clock *clock = clock_new_common(false);
    GSource *source = g_source_new(&clock_source_funcs, sizeof(ClockSource));

    ((ClockSource *)source)->clock = clock;
    g_source_set_name(source, "emunet-clock");
    g_source_set_ready_time(source, -1);
    g_source_attach(source, ctx);
    clock->source = (ClockSource *)source;
    return clock;
}

Clock *clock_new_virtual(void)
{
    return clock_new_common(true);
}

void clock_free(Clock *clock)
{
    if (!clock) {
        return;
    }
    g_assert(clock->live_timers == 0);
    if (clock->source) {
        g_source_destroy(&clock->source->base);
        g_source_unref(&clock->source->base);
    }
    g_sequence_free(clock->armed);
    g_free(clock);
}

bool clock_is_virtual(const Clock *clock)
{
    return clock->is_virtual;
}

int64_t clock_get_ns(Clock *clock)
{
    return clock->is_virtual ? clock->virt_ns : clock_monotonic_ns();
}

/*
 * Run every timer due by `target`, then settle at `target`. While a timer
 * runs the clock reads its deadline; a deadline already in the past (a
 * timer armed for earlier than "now") runs at the current time, so virtual
 * time never goes backwards.
 */
static void clock_advance_virtual(Clock *clock, int64_t target)
{
    Timer *timer;

    while (!clock->stopped && (timer = clock_first_timer(clock)) != NULL &&
           timer->expire_ns <= target) {
        clock->virt_ns = MAX(clock->virt_ns, timer->expire_ns);
        clock_run_timer(timer);
    }
    clock->virt_ns = MAX(clock->virt_ns, target);
}

int64_t clock_step(Clock *clock, int64_t ns)
{
    g_assert(clock->is_virtual);
    if (ns > 0) {
        /* Saturate: a huge step parks the clock at the end of time. */
        clock_advance_virtual(clock, ns > INT64_MAX - clock->virt_ns
                                         ? INT64_MAX
                                         : clock->virt_ns + ns);
    } else {
        clock_advance_virtual(clock, clock->virt_ns);
    }
    return clock->virt_ns;
}

int64_t clock_set_ns(Clock *clock, int64_t ns)
{
    g_assert(clock->is_virtual);
    if (ns >= clock->virt_ns) {
        clock_advance_virtual(clock, ns);
    }
    return clock->virt_ns;
}

void clock_set_running(Clock *clock, bool running)
{
    clock->stopped = !running;
    clock_update_source(clock);
}

int64_t clock_deadline_ns(Clock *clock)
{
    Timer *first = clock_first_timer(clock);

    return first ? first->expire_ns : -1;
}

Timer *timer_new(Clock *clock, TimerCb *cb, void *opaque)
{
    Timer *timer = g_new0(Timer, 1);

    g_assert(cb);
    timer->clock = clock;
    timer->cb = cb;
    timer->opaque = opaque;
    timer->expire_ns = -1;
    clock->live_timers++;
    return timer;
}

void timer_mod_ns(Timer *timer, int64_t expire_ns)
{
    Clock *clock = timer->clock;

    if (timer->iter) {
        g_sequence_remove(timer->iter);
    }
    /* -1 means "unarmed"; an earlier-than-epoch deadline is simply due. */
    timer->expire_ns = MAX(expire_ns, 0);
    timer->seq = clock->next_seq++;
    timer->iter = g_sequence_insert_sorted(clock->armed, timer,
                                           clock_compare_timers, NULL);
    clock_update_source(clock);
}

void timer_del(Timer *timer)
{
    if (!timer->iter) {
        return;
    }
    g_sequence_remove(timer->iter);
    timer->iter = NULL;
    timer->expire_ns = -1;
    clock_update_source(timer->clock);
}

bool timer_pending(const Timer *timer)
{
    return timer->iter != NULL;
}

int64_t timer_expire_ns(const Timer *timer)
{
    return timer->expire_ns;
}

void timer_free(Timer *timer)
{
    if (!timer) {
        return;
    }
    timer_del(timer);
    timer->clock->live_timers--;
    g_free(timer);
}
