/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wire: the benchmark's end of a device model's socket netdev (a
 * socketpair, QEMU stream framing: 4-byte big-endian length, then the
 * frame). A reader thread drains and counts whatever the NIC transmits;
 * a feeder thread pushes a given number of frames for the RX rows.
 */
#ifndef BENCH_WIRE_H
#define BENCH_WIRE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Wire {
    int fd;
    pthread_t reader;
    bool reader_on;
    /* Written by the reader thread only; read with wire_frames/bytes. */
    uint64_t frames;
    uint64_t bytes;
    /* A length beyond any NIC's frame was seen and reading stopped. */
    uint64_t oversize;
    /* The device model closed its end, or a read failed. */
    bool eof;
} Wire;

/* Start draining `fd` (our end of the pair; the Wire does not own it). */
int wire_start(Wire *w, int fd);

/* Stop the reader: shut the socket down and join. */
void wire_stop(Wire *w);

uint64_t wire_frames(const Wire *w);
uint64_t wire_bytes(const Wire *w);
bool wire_eof(const Wire *w);

/*
 * A feeder: `count` copies of one frame, written as fast as the socket
 * takes them but never beyond the credit: the number of frames (from the
 * start of this feed) the receiver has buffers for. A NIC that drops
 * frames when its ring is full (QEMU's e1000 does, once its netdev queue
 * is flushed into it) thus never sees more than it can take.
 */
typedef struct WireFeed {
    int fd;
    pthread_t thread;
    const uint8_t *frame;
    size_t len;
    uint64_t count;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint64_t credit;
    bool stop;
    /* Result: frames fully written; errno if it stopped early. */
    uint64_t written;
    int err;
} WireFeed;

int wire_feed_start(WireFeed *f, int fd, const uint8_t *frame, size_t len,
                    uint64_t count, uint64_t credit);

/* Raise the credit (it never goes down). */
void wire_feed_credit(WireFeed *f, uint64_t credit);

/* Wait for the feeder (after `abort`: tell it to give up first).
 * Returns 0 if every frame was written. */
int wire_feed_join(WireFeed *f, bool abort);

#endif
