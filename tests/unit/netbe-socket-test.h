/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by test-netbe.c and test-netbe-stream.c: frames in -netdev
 * socket's stream framing (a 4-byte big-endian length before each frame),
 * read and written on the test's end of the socket while the backend's
 * GMainContext is pumped. The recording NIC is netbe-test.h's.
 * Everything here is static inline: each test uses a part.
 */
#ifndef EMUNET_TESTS_NETBE_SOCKET_TEST_H
#define EMUNET_TESTS_NETBE_SOCKET_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "emunet/net.h"
#include "emunet/opts.h"
#include "netbe-test.h"

/* Frame number `seq` of `len` bytes: content derived from both. */
static inline void test_fill_stream_frame(uint8_t *buf, size_t len,
                                          uint32_t seq)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)(seq * 131 + i * 7 + (i >> 8));
    }
    if (len >= 8) {
        st32_be(buf, seq);
        st32_be(buf + 4, (uint32_t)len);
    }
}

/* Append frame `seq` with its 4-byte big-endian length to `stream`. */
static inline void test_append_framed(GByteArray *stream, size_t len,
                                      uint32_t seq)
{
    uint8_t *frame = g_malloc(len);
    uint8_t hdr[4];

    test_fill_stream_frame(frame, len, seq);
    st32_be(hdr, (uint32_t)len);
    g_byte_array_append(stream, hdr, sizeof(hdr));
    g_byte_array_append(stream, frame, len);
    g_free(frame);
}

/* got is frame `seq` of `len` bytes. */
static inline void test_assert_frame(GBytes *got, size_t len, uint32_t seq)
{
    uint8_t *want = g_malloc(len);
    size_t got_len;
    const uint8_t *data = g_bytes_get_data(got, &got_len);

    test_fill_stream_frame(want, len, seq);
    g_assert_cmpmem(data, got_len, want, len);
    g_free(want);
}

/* Write all of buf to fd, pumping while the socket is full. */
static inline void test_write_all(GMainContext *ctx, int fd, const void *buf,
                                  size_t len)
{
    const uint8_t *p = buf;
    int spins = 0;

    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0) {
            g_assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
            g_assert_cmpint(++spins, <, TEST_SPIN_MAX);
            test_pump(ctx);
            continue;
        }
        p += n;
        len -= n;
    }
}

/* Read exactly len bytes from fd, pumping while none are there. */
static inline void test_read_all(GMainContext *ctx, int fd, void *buf,
                                 size_t len)
{
    uint8_t *p = buf;
    int spins = 0;

    while (len > 0) {
        ssize_t n = recv(fd, p, len, MSG_DONTWAIT);

        if (n < 0) {
            g_assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
            g_assert_cmpint(++spins, <, TEST_SPIN_MAX);
            test_pump(ctx);
            continue;
        }
        g_assert_cmpint(n, >, 0);
        p += n;
        len -= n;
    }
}

/* Read one framed frame from fd and check it is frame `seq` of `len`. */
static inline void test_read_frame(GMainContext *ctx, int fd, size_t len,
                                   uint32_t seq)
{
    uint8_t hdr[4];
    uint8_t *got = g_malloc(len);
    uint8_t *want = g_malloc(len);

    test_read_all(ctx, fd, hdr, sizeof(hdr));
    g_assert_cmpuint(ld32_be(hdr), ==, len);
    test_read_all(ctx, fd, got, len);
    test_fill_stream_frame(want, len, seq);
    g_assert_cmpmem(got, len, want, len);
    g_free(got);
    g_free(want);
}

/* Bytes waiting to be read on fd. */
static inline int test_inq(int fd)
{
    int n = -1;

    g_assert_cmpint(ioctl(fd, FIONREAD, &n), ==, 0);
    return n;
}

/* The NIC sends frame `seq` of `len` bytes. */
static inline NetSendResult test_send_frame(TestPeer *p, size_t len,
                                            uint32_t seq)
{
    uint8_t *buf = g_malloc(len);
    struct iovec iov[3];
    NetSendResult r;

    test_fill_stream_frame(buf, len, seq);
    /* Three pieces, as a NIC gathers descriptors. */
    iov[0].iov_base = buf;
    iov[0].iov_len = ETH_HLEN;
    iov[1].iov_base = buf + ETH_HLEN;
    iov[1].iov_len = (len - ETH_HLEN) / 2;
    iov[2].iov_base = buf + ETH_HLEN + iov[1].iov_len;
    iov[2].iov_len = len - ETH_HLEN - iov[1].iov_len;
    r = net_peer_send(&p->nc, iov, 3);
    g_free(buf);
    return r;
}

#endif
