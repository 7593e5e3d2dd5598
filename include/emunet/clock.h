/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Clock and Timer. Device time (interrupt mitigation, autonegotiation,
 * rtl8139 Timer, slirp timers) comes from a Clock:
 *  - the real clock is CLOCK_MONOTONIC; its timers fire from one GSource
 *    attached to a GMainContext;
 *  - the virtual clock starts at 0 and moves only when clock_step() or
 *    clock_set_ns() is called (qtest), firing due timers in deadline order
 *    with the clock reading each timer's own deadline while it runs.
 * Timers belong to one clock. All calls happen in the main loop thread.
 */
#ifndef EMUNET_CLOCK_H
#define EMUNET_CLOCK_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct Clock Clock;
typedef struct Timer Timer;

/* Timer callback: runs once per expiry; may re-arm or delete its timer. */
typedef void TimerCb(void *opaque);

/* A real clock whose timers are dispatched by `ctx` (NULL: default). */
Clock *clock_new_real(GMainContext *ctx);

/* A virtual clock at 0 ns. */
Clock *clock_new_virtual(void);

/* Free a clock. All its timers must have been freed. */
void clock_free(Clock *clock);

/* True for a virtual clock. */
bool clock_is_virtual(const Clock *clock);

/* Current time in ns (monotonic; the virtual clock's own time). */
int64_t clock_get_ns(Clock *clock);

/*
 * Virtual clock only: advance by `ns` (>= 0), running every timer whose
 * deadline falls within the step, in deadline order (ties: arming order).
 * Returns the new time. A timer re-armed inside the step for a deadline
 * still within it runs again in the same step.
 */
int64_t clock_step(Clock *clock, int64_t ns);

/*
 * Virtual clock only: advance to `ns`, as clock_step. A time in the past
 * leaves the clock unchanged. Returns the new time.
 */
int64_t clock_set_ns(Clock *clock, int64_t ns);

/*
 * Stop (false) or restart the clock's timers, as QEMU's virtual clock
 * stops with the VM (QMP stop / cont). While stopped no timer fires:
 * timers keep their deadlines and may be armed, re-armed and deleted;
 * the real clock's time goes on, a virtual clock's clock_step moves time
 * but runs nothing. Restarted, the timers already due fire at the next
 * main-loop dispatch (real) or clock_step (virtual). A new clock runs.
 */
void clock_set_running(Clock *clock, bool running);

/* Deadline of the earliest armed timer, or -1 if none is armed. */
int64_t clock_deadline_ns(Clock *clock);

/* A new, unarmed timer. Never fails. */
Timer *timer_new(Clock *clock, TimerCb *cb, void *opaque);

/* Arm (or re-arm) for absolute time `expire_ns` on its clock. */
void timer_mod_ns(Timer *timer, int64_t expire_ns);

/* Disarm; no-op if not armed. */
void timer_del(Timer *timer);

/* True while armed. */
bool timer_pending(const Timer *timer);

/* Absolute deadline while armed, -1 otherwise. */
int64_t timer_expire_ns(const Timer *timer);

/* Disarm and free; NULL is a no-op. Safe from inside its own callback. */
void timer_free(Timer *timer);

#endif
