/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to backends/: the constructors that backends/netbe.c lists in
 * its type table. Each takes the -netdev options (type and id already
 * checked by net_backend_new) and returns a backend set up with
 * net_backend_init, or NULL with an error naming the option at fault.
 */
#ifndef EMUNET_BACKENDS_NETBE_PRIV_H
#define EMUNET_BACKENDS_NETBE_PRIV_H

#include "emunet/net.h"
#include "emunet/opts.h"

/*
 * Error domain of backend setup errors: FAILED for a bad option, HOST
 * when the host refused (net_backend_error_is_host); the message says
 * the rest.
 */
#define NET_BACKEND_ERROR (net_backend_error_quark())
#define NET_BACKEND_ERROR_FAILED 0
#define NET_BACKEND_ERROR_HOST 1
GQuark net_backend_error_quark(void);

typedef NetBackend *NetBackendNewFn(const EmuOpts *opts, GMainContext *ctx,
                                    GError **errp);

/*
 * -netdev socket: fd=, connect= or listen= (backends/socket.c); with udp=
 * or mcast= it hands over to net_dgram_new.
 */
NetBackend *net_socket_new(const EmuOpts *opts, GMainContext *ctx,
                           GError **errp);

/* -netdev socket,udp= or mcast= (backends/dgram.c). */
NetBackend *net_dgram_new(const EmuOpts *opts, GMainContext *ctx,
                          GError **errp);

/* -netdev tap: ifname= or fd= (backends/tap.c). */
NetBackend *net_tap_new(const EmuOpts *opts, GMainContext *ctx,
                        GError **errp);

/* -netdev user: libslirp (backends/slirp.c). */
NetBackend *net_slirp_new(const EmuOpts *opts, GMainContext *ctx,
                          GError **errp);

/*
 * The pcap tee (backends/dump.c): record one finished frame of `len`
 * bytes. The generic layer calls it for every frame crossing a backend
 * that has a capture attached, both ways.
 */
void net_dump_frame(NetDump *dump, const struct iovec *iov, int iovcnt,
                    size_t len);

/* ---- Transmit rate limit (backends/rate.c) ---- */

/*
 * May a frame of `len` bytes go now? False arms the timer that calls
 * net_backend_tx_ready when credit is back (the caller returns BUSY).
 */
bool net_rate_admit(NetRate *r, size_t len);

/* `len` bytes went out. */
void net_rate_charge(NetRate *r, size_t len);

void net_rate_free(NetRate *r);

/* ---- Offloads finished in software (backends/offload.c) ---- */

/* Longest header part of an offloaded frame that is checked or copied. */
#define NET_OFFLOAD_HDR_MAX 256

/* Where the headers of a checked segmentation request are. */
typedef struct NetOffloadInfo {
    size_t l3_off;
    size_t l4_off;
    bool ipv6;
} NetOffloadInfo;

/* Bytes in an iovec, and a copy of at most `cap` of them into `buf`. */
size_t net_iov_size(const struct iovec *iov, int iovcnt);
size_t net_iov_to_buf(const struct iovec *iov, int iovcnt, uint8_t *buf,
                      size_t cap);

/*
 * Check `off` against a frame of `len` bytes whose first
 * MIN(len, NET_OFFLOAD_HDR_MAX) bytes are `head`: offsets inside the
 * frame, headers of the type asked for, every segment a valid IP packet.
 * False with a static reason in *why. Fills *info for segmentation.
 */
bool net_offload_check(const NetOffload *off, const uint8_t *head,
                       size_t len, NetOffloadInfo *info, const char **why);

/* True when `off` asks for nothing (NULL, or no checksum and no GSO). */
bool net_offload_is_none(const NetOffload *off);

/* How many frames a checked frame of `len` bytes becomes (>= 1). */
size_t net_offload_nsegs(const NetOffload *off, size_t len);

/* Largest frame net_offload_segment builds for this frame. */
size_t net_offload_seg_max(const NetOffload *off, size_t len);

/* Finish the checksum of a checked frame without segmentation, in place. */
void net_offload_csum(const NetOffload *off, uint8_t *frame, size_t len);

/*
 * Build segment `i` (< nsegs) of a checked segmentation request into
 * `out` (net_offload_seg_max bytes). Returns its length.
 */
size_t net_offload_segment(const NetOffload *off, const NetOffloadInfo *info,
                           const uint8_t *frame, size_t len, size_t i,
                           uint8_t *out);

/* Takes one finished frame; false stops the caller's walk. */
typedef bool NetFrameFn(void *opaque, const uint8_t *frame, size_t len);

/*
 * Finish a checked frame in software and hand the resulting frames to
 * `fn` in order until it returns false. Returns how many it took.
 */
size_t net_offload_finish(const NetOffload *off, const NetOffloadInfo *info,
                          const struct iovec *iov, int iovcnt, size_t len,
                          NetFrameFn *fn, void *opaque);

#endif
