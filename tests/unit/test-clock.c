/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Clock and timer unit tests: virtual-clock ordering and re-entrancy, and
 * the real clock firing through a GMainContext no earlier than asked.
 */
#include "emunet/clock.h"

#define MAX_EVENTS 64

/* What the callbacks saw, in order. */
typedef struct Events {
    Clock *clock;
    unsigned n;
    /* Which timer ran (its Probe id). */
    int id[MAX_EVENTS];
    /* The clock reading while it ran. */
    int64_t at[MAX_EVENTS];
} Events;

/* A timer with the behaviour a test wants from its callback. */
typedef struct Probe {
    Events *ev;
    Timer *timer;
    int id;
    /* Re-arm this far after the deadline, while rearms > 0. */
    int64_t period;
    unsigned rearms;
    /* Free the own timer from the callback. */
    bool free_self;
    /* Free (or arm, with arm_at >= 0) another probe's timer. */
    struct Probe *other;
    bool free_other;
    int64_t arm_at;
} Probe;

static void probe_cb(void *opaque)
{
    Probe *p = opaque;
    Events *ev = p->ev;

    g_assert_false(timer_pending(p->timer));
    g_assert_cmpint(timer_expire_ns(p->timer), ==, -1);
    g_assert_cmpuint(ev->n, <, MAX_EVENTS);
    ev->id[ev->n] = p->id;
    ev->at[ev->n] = clock_get_ns(ev->clock);
    ev->n++;
    if (p->other && p->free_other) {
        timer_free(p->other->timer);
        p->other->timer = NULL;
    } else if (p->other && p->arm_at >= 0) {
        timer_mod_ns(p->other->timer, p->arm_at);
    }
    if (p->rearms > 0) {
        p->rearms--;
        timer_mod_ns(p->timer, ev->at[ev->n - 1] + p->period);
    }
    if (p->free_self) {
        timer_free(p->timer);
        p->timer = NULL;
    }
}

static void probe_init(Probe *p, Events *ev, int id)
{
    *p = (Probe){.ev = ev, .id = id, .arm_at = -1};
    p->timer = timer_new(ev->clock, probe_cb, p);
}

static void probes_free(Probe *p, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        timer_free(p[i].timer);
    }
}

static void test_virtual_order(void)
{
    Events ev = {.clock = clock_new_virtual()};
    Probe p[3];

    g_assert_true(clock_is_virtual(ev.clock));
    g_assert_cmpint(clock_get_ns(ev.clock), ==, 0);
    for (int i = 0; i < 3; i++) {
        probe_init(&p[i], &ev, i);
    }
    timer_mod_ns(p[0].timer, 300);
    timer_mod_ns(p[1].timer, 100);
    timer_mod_ns(p[2].timer, 200);
    g_assert_cmpint(clock_deadline_ns(ev.clock), ==, 100);

    g_assert_cmpint(clock_step(ev.clock, 250), ==, 250);
    g_assert_cmpuint(ev.n, ==, 2);
    g_assert_cmpint(ev.id[0], ==, 1);
    g_assert_cmpint(ev.at[0], ==, 100);
    g_assert_cmpint(ev.id[1], ==, 2);
    g_assert_cmpint(ev.at[1], ==, 200);
    g_assert_cmpint(clock_get_ns(ev.clock), ==, 250);
    g_assert_true(timer_pending(p[0].timer));
    g_assert_cmpint(timer_expire_ns(p[0].timer), ==, 300);
    g_assert_cmpint(clock_deadline_ns(ev.clock), ==, 300);

    /* A deadline exactly at the end of a step is within it. */
    g_assert_cmpint(clock_step(ev.clock, 50), ==, 300);
    g_assert_cmpuint(ev.n, ==, 3);
    g_assert_cmpint(ev.at[2], ==, 300);
    g_assert_cmpint(clock_deadline_ns(ev.clock), ==, -1);
    probes_free(p, 3);
    clock_free(ev.clock);
}

/* Equal deadlines run in arming order; re-arming moves a timer last. */
static void test_virtual_ties(void)
{
    Events ev = {.clock = clock_new_virtual()};
    Probe p[4];

    for (int i = 0; i < 4; i++) {
        probe_init(&p[i], &ev, i);
    }
    timer_mod_ns(p[2].timer, 10);
    timer_mod_ns(p[0].timer, 10);
    timer_mod_ns(p[3].timer, 10);
    timer_mod_ns(p[1].timer, 10);
    timer_mod_ns(p[0].timer, 10);
    clock_step(ev.clock, 10);
    g_assert_cmpuint(ev.n, ==, 4);
    g_assert_cmpint(ev.id[0], ==, 2);
    g_assert_cmpint(ev.id[1], ==, 3);
    g_assert_cmpint(ev.id[2], ==, 1);
    g_assert_cmpint(ev.id[3], ==, 0);
    probes_free(p, 4);
    clock_free(ev.clock);
}

/* A timer re-armed inside the step still within it runs again. */
static void test_virtual_rearm(void)
{
    Events ev = {.clock = clock_new_virtual()};
    Probe p[3];

    for (int i = 0; i < 3; i++) {
        probe_init(&p[i], &ev, i);
    }
    p[0].period = 10;
    p[0].rearms = 100;
    /* p1 at 15 arms p2 for 17, between p0's 10 and 20. */
    p[1].other = &p[2];
    p[1].arm_at = 17;
    timer_mod_ns(p[0].timer, 10);
    timer_mod_ns(p[1].timer, 15);

    clock_step(ev.clock, 35);
    g_assert_cmpuint(ev.n, ==, 5);
    static const int want_id[] = {0, 1, 2, 0, 0};
    static const int64_t want_at[] = {10, 15, 17, 20, 30};
    for (unsigned i = 0; i < 5; i++) {
        g_assert_cmpint(ev.id[i], ==, want_id[i]);
        g_assert_cmpint(ev.at[i], ==, want_at[i]);
    }
    g_assert_cmpint(timer_expire_ns(p[0].timer), ==, 40);
    g_assert_cmpint(clock_get_ns(ev.clock), ==, 35);
    probes_free(p, 3);
    clock_free(ev.clock);
}

static void test_virtual_free_in_callback(void)
{
    Events ev = {.clock = clock_new_virtual()};
    Probe p[4];

    for (int i = 0; i < 4; i++) {
        probe_init(&p[i], &ev, i);
    }
    /* p0 frees itself; p1 frees p2 (due later in the same step); p3 runs. */
    p[0].free_self = true;
    p[1].other = &p[2];
    p[1].free_other = true;
    timer_mod_ns(p[0].timer, 5);
    timer_mod_ns(p[1].timer, 6);
    timer_mod_ns(p[2].timer, 7);
    timer_mod_ns(p[3].timer, 8);
    clock_step(ev.clock, 100);
    g_assert_cmpuint(ev.n, ==, 3);
    g_assert_cmpint(ev.id[0], ==, 0);
    g_assert_cmpint(ev.id[1], ==, 1);
    g_assert_cmpint(ev.id[2], ==, 3);
    g_assert_null(p[0].timer);
    g_assert_null(p[2].timer);

    /* Re-arm and free in the same callback. */
    p[3].rearms = 1;
    p[3].period = 1;
    p[3].free_self = true;
    timer_mod_ns(p[3].timer, 150);
    clock_step(ev.clock, 100);
    g_assert_cmpuint(ev.n, ==, 4);
    g_assert_cmpint(clock_deadline_ns(ev.clock), ==, -1);
    probes_free(p, 4);
    clock_free(ev.clock);
}

static void test_virtual_set(void)
{
    Events ev = {.clock = clock_new_virtual()};
    Probe p[2];

    for (int i = 0; i < 2; i++) {
        probe_init(&p[i], &ev, i);
    }
    timer_mod_ns(p[0].timer, 400);
    g_assert_cmpint(clock_set_ns(ev.clock, 500), ==, 500);
    g_assert_cmpuint(ev.n, ==, 1);
    g_assert_cmpint(ev.at[0], ==, 400);

    /* Backwards: unchanged, and due timers do not run. */
    timer_mod_ns(p[1].timer, 450);
    g_assert_cmpint(clock_set_ns(ev.clock, 100), ==, 500);
    g_assert_cmpint(clock_get_ns(ev.clock), ==, 500);
    g_assert_cmpuint(ev.n, ==, 1);

    /* A timer armed in the past runs at the next step, time still 500. */
    g_assert_cmpint(clock_step(ev.clock, 0), ==, 500);
    g_assert_cmpuint(ev.n, ==, 2);
    g_assert_cmpint(ev.at[1], ==, 500);

    /* A huge step saturates rather than overflowing. */
    timer_mod_ns(p[0].timer, INT64_MAX);
    g_assert_cmpint(clock_step(ev.clock, INT64_MAX), ==, INT64_MAX);
    g_assert_cmpint(clock_step(ev.clock, INT64_MAX), ==, INT64_MAX);
    g_assert_cmpuint(ev.n, ==, 3);
    probes_free(p, 2);
    clock_free(ev.clock);
}

static void test_deadline(void)
{
    Events ev = {.clock = clock_new_virtual()};
    Probe p[2];

    for (int i = 0; i < 2; i++) {
        probe_init(&p[i], &ev, i);
    }
    g_assert_cmpint(clock_deadline_ns(ev.clock), ==, -1);
    g_assert_false(timer_pending(p[0].timer));
    g_assert_cmpint(timer_expire_ns(p[0].timer), ==, -1);

    timer_mod_ns(p[0].timer, 70);
    timer_mod_ns(p[1].timer, 90);
    g_assert_cmpint(clock_deadline_ns(ev.clock), ==, 70);
    timer_mod_ns(p[0].timer, 100);
    g_assert_cmpint(clock_deadline_ns(ev.clock), ==, 90);
    timer_del(p[1].timer);
    timer_del(p[1].timer);
    g_assert_false(timer_pending(p[1].timer));
    g_assert_cmpint(timer_expire_ns(p[1].timer), ==, -1);
    g_assert_cmpint(clock_deadline_ns(ev.clock), ==, 100);

    /* Freeing an armed timer disarms it; NULL is a no-op. */
    timer_free(p[0].timer);
    p[0].timer = NULL;
    timer_free(NULL);
    g_assert_cmpint(clock_deadline_ns(ev.clock), ==, -1);
    clock_step(ev.clock, 1000);
    g_assert_cmpuint(ev.n, ==, 0);
    probes_free(p, 2);
    clock_free(ev.clock);
}

/* A clock freed with a live timer is a host bug and must not pass. */
static void test_free_with_timers(void)
{
    if (g_test_subprocess()) {
        Clock *clock = clock_new_virtual();

        timer_new(clock, probe_cb, NULL);
        clock_free(clock);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
}

static gboolean wake_cb(gpointer unused)
{
    return G_SOURCE_CONTINUE;
}

/* Iterate `ctx` until `*done` or about two seconds have passed. */
static void iterate_until(GMainContext *ctx, const unsigned *done,
                          unsigned want)
{
    int64_t limit = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;

    while (*done < want && g_get_monotonic_time() < limit) {
        g_main_context_iteration(ctx, TRUE);
    }
}

static void test_real_fires(void)
{
    GMainContext *ctx = g_main_context_new();
    /* Guarantees the blocking iterations below wake up to check limits. */
    GSource *wake = g_timeout_source_new(50);
    Events ev;
    Probe p[2];
    int64_t t0;

    g_source_set_callback(wake, wake_cb, NULL, NULL);
    g_source_attach(wake, ctx);
    ev = (Events){.clock = clock_new_real(ctx)};
    g_assert_false(clock_is_virtual(ev.clock));
    for (int i = 0; i < 2; i++) {
        probe_init(&p[i], &ev, i);
    }

    /* Odd nanosecond deadlines check rounding up to microseconds. */
    t0 = clock_get_ns(ev.clock);
    timer_mod_ns(p[1].timer, t0 + 120000001);
    timer_mod_ns(p[0].timer, t0 + 30000999);
    g_assert_cmpint(clock_deadline_ns(ev.clock), ==, t0 + 30000999);

    /* Not yet due: a few quick turns of the loop must not fire it. */
    for (int i = 0; i < 5; i++) {
        g_main_context_iteration(ctx, FALSE);
    }
    if (clock_get_ns(ev.clock) < t0 + 30000999) {
        g_assert_cmpuint(ev.n, ==, 0);
    }

    iterate_until(ctx, &ev.n, 2);
    g_assert_cmpuint(ev.n, ==, 2);
    g_assert_cmpint(ev.id[0], ==, 0);
    g_assert_cmpint(ev.at[0], >=, t0 + 30000999);
    g_assert_cmpint(ev.id[1], ==, 1);
    g_assert_cmpint(ev.at[1], >=, t0 + 120000001);
    g_assert_cmpint(clock_deadline_ns(ev.clock), ==, -1);

    /* Free from the callback on the real clock too. */
    p[0].free_self = true;
    timer_mod_ns(p[0].timer, clock_get_ns(ev.clock) + 1000000);
    iterate_until(ctx, &ev.n, 3);
    g_assert_cmpuint(ev.n, ==, 3);
    g_assert_null(p[0].timer);

    probes_free(p, 2);
    clock_free(ev.clock);
    g_source_destroy(wake);
    g_source_unref(wake);
    g_main_context_unref(ctx);
}

/* A timer that keeps re-arming for "now" yields to the loop each time. */
static void test_real_rearm_no_starvation(void)
{
    GMainContext *ctx = g_main_context_new();
    Events ev = {.clock = clock_new_real(ctx)};
    Probe p;

    probe_init(&p, &ev, 0);
    p.period = -1000000;
    p.rearms = 1000;
    timer_mod_ns(p.timer, clock_get_ns(ev.clock));
    g_main_context_iteration(ctx, FALSE);
    g_assert_cmpuint(ev.n, ==, 1);
    g_assert_true(timer_pending(p.timer));
    g_main_context_iteration(ctx, FALSE);
    g_assert_cmpuint(ev.n, ==, 2);

    timer_free(p.timer);
    clock_free(ev.clock);
    /* The clock's source is gone from the context. */
    g_assert_false(g_main_context_pending(ctx));
    g_main_context_unref(ctx);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/clock/virtual/order", test_virtual_order);
    g_test_add_func("/clock/virtual/ties", test_virtual_ties);
    g_test_add_func("/clock/virtual/rearm-in-step", test_virtual_rearm);
    g_test_add_func("/clock/virtual/free-in-callback",
                    test_virtual_free_in_callback);
    g_test_add_func("/clock/virtual/set", test_virtual_set);
    g_test_add_func("/clock/virtual/deadline", test_deadline);
    g_test_add_func("/clock/free-with-timers", test_free_with_timers);
    g_test_add_func("/clock/real/fires", test_real_fires);
    g_test_add_func("/clock/real/rearm-no-starvation",
                    test_real_rearm_no_starvation);
    return g_test_run();
}
