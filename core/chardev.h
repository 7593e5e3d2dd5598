/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Chardev: one UNIX stream socket endpoint, as QEMU's "socket" chardev
 * restricted to path=. A client connects once; a server listens and serves
 * one connection at a time (later clients wait in the backlog). Input is
 * delivered raw or split into bounded lines; output is queued and written
 * without ever blocking the main loop. While the output queue is over a
 * high-water mark, input is not read, so a peer that never reads its
 * replies cannot make emunet buffer without bound.
 * File descriptors passed with SCM_RIGHTS (libxl's add-fd, contract
 * §1.7) are received with the bytes they came with, at most
 * CHARDEV_MAX_FDS per message (the kernel closes any beyond); the read
 * handler may take them (chardev_take_fds) while it handles those bytes,
 * and the chardev closes the ones it did not take when it returns.
 * Output queued from a read handler goes out once the input at hand is
 * handled (the replies to requests that came together leave in one
 * write), or as soon as 64 KiB wait; output queued anywhere else is
 * written at once. A handler must therefore not wait for the peer to
 * react to what it just queued.
 * Everything runs in the main loop thread. Handlers must not free the
 * chardev they are called from.
 */
#ifndef EMUNET_CHARDEV_H
#define EMUNET_CHARDEV_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct Chardev Chardev;

typedef enum ChardevEvent {
    CHARDEV_OPENED, /* a connection is up (client connected / accepted) */
    CHARDEV_CLOSED, /* the peer hung up or the connection failed */
} ChardevEvent;

/* Raw input: `len` bytes just read. */
typedef void ChardevReadFn(void *opaque, const char *buf, size_t len);
/*
 * Line input: one line without its '\n', NUL-terminated and writable
 * (len excludes the NUL). A line longer than the limit is discarded up to
 * its '\n' and reported once as line = NULL, len = 0.
 */
typedef void ChardevLineFn(void *opaque, char *line, size_t len);
typedef void ChardevEventFn(void *opaque, ChardevEvent event);

/*
 * "-chardev socket,id=X,path=P[,server=on|off][,wait=on|off]". Only the
 * socket backend exists. Errors name the offending key. Instead of path=,
 * fd=N (with server=on) serves an inherited, already listening socket
 * (libxl's dm_restrict QMP socket); it is made close-on-exec and left
 * to its creator to unlink.
 */
Chardev *chardev_new_opts(const char *optstr, GError **errp);

/*
 * "unix:PATH[,server=on|off][,wait=on|off]" as taken by -qtest and -qmp;
 * `id` names it in messages.
 */
Chardev *chardev_new_unix(const char *spec, const char *id, GError **errp);

const char *chardev_id(const Chardev *chr);

/* QEMU's query-chardev "filename": "unix:PATH,server=on" or "fd=N,...". */
const char *chardev_describe(Chardev *chr);

/* Raw input mode. Set before chardev_open. */
void chardev_set_handlers(Chardev *chr, ChardevReadFn *read,
                          ChardevEventFn *event, void *opaque);

/* Line input mode with lines of at most `max_line` bytes. */
void chardev_set_line_handlers(Chardev *chr, ChardevLineFn *line,
                               size_t max_line, ChardevEventFn *event,
                               void *opaque);

/*
 * Connect (client) or listen (server) and attach to `ctx` (NULL: default).
 * A server with wait=on (QEMU's default for server=on) blocks here until
 * the first client connects. OPENED is delivered before this returns
 * when a connection is already up, later from the loop otherwise.
 */
bool chardev_open(Chardev *chr, GMainContext *ctx, GError **errp);

/* True while a connection is up. */
bool chardev_connected(const Chardev *chr);

/* Descriptors accepted with one message (QEMU's socket chardev: 16). */
#define CHARDEV_MAX_FDS 16

/*
 * Inside a read handler (raw or line mode): move up to `max` of the
 * descriptors that came with the bytes being handled into fds (the
 * caller owns them, close-on-exec set) and return how many. 0 outside
 * a read handler or when none came.
 */
unsigned chardev_take_fds(Chardev *chr, int *fds, unsigned max);

/* Queue bytes for the peer; dropped when no connection is up. */
void chardev_write(Chardev *chr, const void *buf, size_t len);
void chardev_printf(Chardev *chr, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/*
 * Try to write out the queue, waiting at most `timeout_ms` for the peer
 * (used before exit, so a "quit" reply is not lost).
 */
void chardev_flush(Chardev *chr, int timeout_ms);

/* Close everything (a server's socket file is removed). NULL: no-op. */
void chardev_free(Chardev *chr);

#endif
