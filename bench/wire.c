/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wire: reader and feeder threads on the netdev socketpair (see wire.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wire.h"

#define WIRE_HDR 4
/* Big reads keep the reader cheap; a TSO send is ~68 KiB on the wire. */
#define WIRE_RBUF (512 * 1024)
/* Bytes per feeder write: many small frames, or a few large ones. */
#define WIRE_WCHUNK (64 * 1024)

static uint32_t wire_get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static void wire_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/*
 * Count whole frames in buf[0..len). Returns the bytes consumed (a
 * partial frame stays for the next read), or -1 for a length no NIC
 * could send, after which the stream cannot be followed.
 */
static ssize_t wire_parse(Wire *w, const uint8_t *buf, size_t len)
{
    size_t off = 0;

    while (len - off >= WIRE_HDR) {
        uint32_t flen = wire_get_be32(buf + off);

        if (flen > WIRE_RBUF - WIRE_HDR) {
            __atomic_add_fetch(&w->oversize, 1, __ATOMIC_RELAXED);
            return -1;
        }
        if (len - off < WIRE_HDR + (size_t)flen) {
            break;
        }
        off += WIRE_HDR + flen;
        __atomic_add_fetch(&w->bytes, flen, __ATOMIC_RELAXED);
        __atomic_add_fetch(&w->frames, 1, __ATOMIC_RELEASE);
    }
    return (ssize_t)off;
}

static void *wire_reader(void *opaque)
{
    Wire *w = opaque;
    uint8_t *buf = malloc(WIRE_RBUF);
    size_t have = 0;

    while (buf) {
        ssize_t r = recv(w->fd, buf + have, WIRE_RBUF - have, 0);
        ssize_t used;

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        have += (size_t)r;
        used = wire_parse(w, buf, have);
        if (used < 0) {
            fprintf(stderr, "wire: bad frame length, stream lost\n");
            break;
        }
        have -= (size_t)used;
        memmove(buf, buf + used, have);
    }
    __atomic_store_n(&w->eof, true, __ATOMIC_RELEASE);
    free(buf);
    return NULL;
}

int wire_start(Wire *w, int fd)
{
    memset(w, 0, sizeof(*w));
    w->fd = fd;
    if (pthread_create(&w->reader, NULL, wire_reader, w) != 0) {
        fprintf(stderr, "wire: cannot start the reader thread\n");
        return -1;
    }
    w->reader_on = true;
    return 0;
}

void wire_stop(Wire *w)
{
    if (!w->reader_on) {
        return;
    }
    shutdown(w->fd, SHUT_RDWR);
    pthread_join(w->reader, NULL);
    w->reader_on = false;
}

uint64_t wire_frames(const Wire *w)
{
    return __atomic_load_n(&w->frames, __ATOMIC_ACQUIRE);
}

uint64_t wire_bytes(const Wire *w)
{
    return __atomic_load_n(&w->bytes, __ATOMIC_ACQUIRE);
}

bool wire_eof(const Wire *w)
{
    return __atomic_load_n(&w->eof, __ATOMIC_ACQUIRE);
}

static int wire_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = send(fd, p, n, MSG_NOSIGNAL);

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return errno ? errno : EIO;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Frames the feeder may write now (waits for credit), 0 to stop. */
static uint64_t wire_feed_wait(WireFeed *f)
{
    uint64_t n;

    pthread_mutex_lock(&f->lock);
    while (f->written >= f->credit && !f->stop) {
        pthread_cond_wait(&f->cond, &f->lock);
    }
    n = f->stop ? 0 : f->credit - f->written;
    pthread_mutex_unlock(&f->lock);
    return n;
}

static void *wire_feeder(void *opaque)
{
    WireFeed *f = opaque;
    size_t rec = WIRE_HDR + f->len;
    size_t per = WIRE_WCHUNK / rec ? WIRE_WCHUNK / rec : 1;
    uint8_t *chunk = malloc(per * rec);

    if (!chunk) {
        f->err = ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < per; i++) {
        wire_put_be32(chunk + i * rec, (uint32_t)f->len);
        memcpy(chunk + i * rec + WIRE_HDR, f->frame, f->len);
    }
    while (f->written < f->count) {
        uint64_t n = wire_feed_wait(f);
        int err;

        if (n == 0) {
            f->err = ECANCELED;
            break;
        }
        n = n < f->count - f->written ? n : f->count - f->written;
        n = n < per ? n : per;
        err = wire_write_all(f->fd, chunk, (size_t)n * rec);
        if (err) {
            f->err = err;
            break;
        }
        pthread_mutex_lock(&f->lock);
        f->written += n;
        pthread_mutex_unlock(&f->lock);
    }
    free(chunk);
    return NULL;
}

int wire_feed_start(WireFeed *f, int fd, const uint8_t *frame, size_t len,
                    uint64_t count, uint64_t credit)
{
    memset(f, 0, sizeof(*f));
    f->fd = fd;
    f->frame = frame;
    f->len = len;
    f->count = count;
    f->credit = credit;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cond, NULL);
    if (pthread_create(&f->thread, NULL, wire_feeder, f) != 0) {
        fprintf(stderr, "wire: cannot start the feeder thread\n");
        pthread_mutex_destroy(&f->lock);
        pthread_cond_destroy(&f->cond);
        return -1;
    }
    return 0;
}

void wire_feed_credit(WireFeed *f, uint64_t credit)
{
    pthread_mutex_lock(&f->lock);
    if (credit > f->credit) {
        f->credit = credit;
        pthread_cond_signal(&f->cond);
    }
    pthread_mutex_unlock(&f->lock);
}

int wire_feed_join(WireFeed *f, bool abort)
{
    if (abort) {
        pthread_mutex_lock(&f->lock);
        f->stop = true;
        pthread_cond_signal(&f->cond);
        pthread_mutex_unlock(&f->lock);
    }
    pthread_join(f->thread, NULL);
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->cond);
    if (f->err && !abort) {
        fprintf(stderr,
                "wire: feeder stopped after %llu of %llu frames: "
                "%s\n",
                (unsigned long long)f->written, (unsigned long long)f->count,
                strerror(f->err));
    }
    return f->err ? -1 : 0;
}
