/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The networking seam between a NIC model (the NetPeer end) and a host
 * backend (the NetBackend end: socket, tap, slirp, pvlink).
 *
 * Flow control both ways, never silent drops:
 *  - Host to guest: the backend hands each frame to net_backend_receive().
 *    If the NIC cannot take it (no guest RX buffers), the generic layer keeps
 *    that one frame and tells the backend to stop reading; when the guest
 *    posts buffers the NIC calls net_peer_rx_ready(), the kept frame is
 *    offered again and reading resumes.
 *  - Guest to host: net_peer_send() returns NET_SEND_BUSY when the backend
 *    cannot take the frame now; the NIC keeps the frame (leaves its TX
 *    descriptors unconsumed) and retries when the backend calls
 *    net_backend_tx_ready(), which reaches NetPeerOps.tx_ready.
 *    A backend may queue frames it took to write several at once; the
 *    NIC calls net_peer_flush() after each run of sends (one TX doorbell)
 *    so the batch goes out then; without it a queued frame still goes
 *    out before the main loop next waits (NetBackendOps.flush).
 * Frames are complete Ethernet frames without FCS. Everything runs in the
 * main loop thread; a NIC must never be re-entered from its own send().
 *
 * Offloads (optional, guest to host only): a NIC whose guest asked for TCP
 * segmentation or checksum insertion may pass the unfinished frame with a
 * NetOffload through net_peer_send_offload(), but only while
 * net_peer_offload_ok() says the backend hands such frames on whole (tap
 * with a virtio-net header). Otherwise the NIC finishes frames itself.
 * Frames towards the NIC are always finished: a backend completes any
 * checksum or segmentation its host side left undone before
 * net_backend_receive().
 */
#ifndef EMUNET_NET_H
#define EMUNET_NET_H

#include <glib.h>
#include <sys/uio.h>

#include "emunet/clock.h"
#include "emunet/types.h"

#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_ZLEN 60
/* Largest frame any backend hands to a NIC or takes from one. */
#define NET_MAX_FRAME (64 * 1024 + ETH_HLEN + 4 + 4)

typedef struct NetBackend NetBackend;
typedef struct NetPeer NetPeer;
/* A pcap capture file (backends/dump.c). */
typedef struct NetDump NetDump;
/* A transmit rate limit (backends/rate.c, net_backend_set_rate). */
typedef struct NetRate NetRate;

typedef enum NetSendResult {
    NET_SEND_OK,   /* sent, or queued by the backend: the NIC is done */
    NET_SEND_BUSY, /* not taken; retry after NetPeerOps.tx_ready */
    NET_SEND_DROP, /* not taken and never will be (counted as an error) */
} NetSendResult;

/*
 * Counted per backend by the generic layer (frames, bytes, drops for want
 * of a NIC or carrier, size errors) and by the backend (frames its host
 * side refused or mangled). A frame sent with net_peer_send_offload counts
 * once, with its own length, when the backend takes it whole; finished in
 * software instead, each resulting frame counts.
 */
typedef struct NetStats {
    uint64_t tx_frames, tx_bytes, tx_drops, tx_errors;
    uint64_t rx_frames, rx_bytes, rx_drops, rx_errors;
} NetStats;

/* Segmentation asked for by a NetOffload (virtio-net GSO types). */
typedef enum NetGsoType {
    NET_GSO_NONE,
    NET_GSO_TCPV4, /* TCP over IPv4 (options allowed; not a fragment) */
    NET_GSO_TCPV6, /* TCP over IPv6 without extension headers */
} NetGsoType;

/*
 * What is left to do on one frame, with the meaning of the virtio-net
 * header (virtio 1.1 section 5.1.6.2). Offsets count from the frame start
 * (an 802.1Q tag, if any, is in the frame). The generic layer checks every
 * field against the frame and drops an inconsistent frame as a tx_error,
 * so a NIC may copy guest descriptor values here unchecked.
 */
typedef struct NetOffload {
    /*
     * Checksum insertion: the one's-complement sum of the bytes from
     * csum_start to the end of the frame, including the 16-bit field at
     * csum_start + csum_offset (which the guest seeded, e.g. with the
     * pseudo-header sum), is complemented and stored in that field.
     * Covers one TCP/UDP checksum; an IPv4 header checksum must already
     * be right unless gso_type asks for segmentation.
     */
    bool csum;
    uint16_t csum_start;
    uint16_t csum_offset;
    /*
     * Segmentation: NET_GSO_NONE, or TCP segments of gso_size payload
     * bytes each behind a copy of the first hdr_len bytes (Ethernet, IP
     * and TCP headers, exactly). Requires csum with csum_start at the TCP
     * header and csum_offset 16. The IPv4 total length, ID and header
     * checksum, the IPv6 payload length, the TCP sequence number, flags
     * and checksum are (re)computed per segment as TCP segmentation
     * offload does: ID and sequence advance per segment, FIN and PSH stay
     * on the last segment only, CWR on the first only; the values those
     * length and checksum fields hold in the frame are ignored.
     */
    NetGsoType gso_type;
    uint16_t gso_size;
    uint16_t hdr_len;
} NetOffload;

typedef struct NetPeerOps {
    /*
     * Can the NIC take a frame now? False makes the backend hold the frame
     * and stop reading until net_peer_rx_ready(). Required.
     */
    bool (*can_receive)(NetPeer *peer);
    /*
     * Take one frame of `len` bytes (ETH_HLEN <= len <= NET_MAX_FRAME).
     * Return true when the frame is consumed: written to the guest, or
     * dropped by a rule the guest configured (address filter, RX disabled)
     * and counted by the NIC. Return false when it could not be stored for
     * lack of guest buffers: the generic layer keeps it and offers it again
     * after net_peer_rx_ready(). Required.
     */
    bool (*receive)(NetPeer *peer, const uint8_t *buf, size_t len);
    /*
     * The backend's carrier changed (tap deleted, socket peer gone). The
     * NIC reflects it in its link status. Optional.
     */
    void (*link_changed)(NetPeer *peer, bool up);
    /* The backend can take frames again after NET_SEND_BUSY. Optional. */
    void (*tx_ready)(NetPeer *peer);
} NetPeerOps;

struct NetPeer {
    const NetPeerOps *ops;
    /* The connected backend, or NULL (frames are then dropped). */
    NetBackend *backend;
};

typedef struct NetBackendOps {
    /* Type name as given to -netdev ("socket", "tap", "user"). */
    const char *type;
    /*
     * Send one frame (iov, ETH_HLEN..NET_MAX_FRAME bytes) to the host side.
     * Must not call back into the NIC. Returns as NetSendResult says; after
     * NET_SEND_BUSY it must call net_backend_tx_ready() once it can take
     * frames again. Required.
     */
    NetSendResult (*send)(NetBackend *be, const struct iovec *iov, int iovcnt);
    /*
     * Send one frame that still needs the work `off` describes (already
     * checked against the frame by the generic layer), handing it on
     * whole. Same results and rules as send. Optional: set only by
     * backends whose host side finishes such frames; its presence is what
     * net_peer_offload_ok() reports, so it must not change while a NIC is
     * connected.
     */
    NetSendResult (*send_offload)(NetBackend *be, const NetOffload *off,
                                  const struct iovec *iov, int iovcnt);
    /*
     * Write out the frames send/send_offload took (NET_SEND_OK) but kept
     * back to write several with one system call. Optional; only a
     * backend with flush may keep frames back, and then: in a bounded
     * queue (NET_SEND_BUSY as before once the host side is full), in
     * order, none lost unless the host side goes away (counted as
     * tx_drops), and written before the main loop next waits even if
     * flush never comes (a NIC need not call it). Must not call back
     * into the NIC: errors surface from the backend's own dispatch.
     */
    void (*flush)(NetBackend *be);
    /*
     * Start (true) or stop (false) reading frames from the host side.
     * Called by the generic layer only; idempotent. Required.
     */
    void (*set_rx_enabled)(NetBackend *be, bool enabled);
    /*
     * The NIC's link as the guest sees it (e.g. to set tap carrier).
     * Optional.
     */
    void (*set_link)(NetBackend *be, bool up);
    /* Release the backend's resources (fds, sources). Required. */
    void (*free)(NetBackend *be);
} NetBackendOps;

struct NetBackend {
    const NetBackendOps *ops;
    /* -netdev id; owned. */
    char *id;
    /* Connected NIC, or NULL. */
    NetPeer *peer;
    /* Backend carrier (false: host side gone). */
    bool link_up;
    /* Counted by the generic layer and the backend. */
    NetStats stats;
    /* A frame the NIC refused, kept for net_peer_rx_ready(); owned. */
    uint8_t *held;
    size_t held_len;
    /* The pcap tee (net_dump_attach), or NULL; owned. */
    NetDump *dump;
    /* The NIC's transmit limit (net_backend_set_rate), or NULL; owned. */
    NetRate *rate;
    /* net_backend_set_paused: the VM is stopped. */
    bool paused;
    /* A tx_ready that came while paused, owed to the NIC. */
    bool tx_ready_owed;
    /* Backend implementation data. */
    void *opaque;
};

/* Set up the generic fields of a backend (link up, rx enabled later). */
void net_backend_init(NetBackend *be, const NetBackendOps *ops,
                      const char *id, void *opaque);

/*
 * Connect NIC and backend (one to one). Enables reading on the backend
 * and tells the NIC the backend's carrier. Fails if either is connected.
 */
bool net_connect(NetPeer *peer, NetBackend *be, GError **errp);

/* Disconnect: reading stops, a held frame is dropped (and counted). */
void net_disconnect(NetPeer *peer);

/*
 * Backend side: offer one received frame to the NIC. Returns true if the
 * backend may keep reading, false if it must stop (the frame was kept and
 * set_rx_enabled(false) was called). Frames shorter than ETH_HLEN or
 * longer than NET_MAX_FRAME are dropped and counted as rx_errors.
 */
bool net_backend_receive(NetBackend *be, const uint8_t *buf, size_t len);

/* Backend side: the host side can take frames again. */
void net_backend_tx_ready(NetBackend *be);

/* Backend side: carrier changed; the NIC hears about it. */
void net_backend_set_carrier(NetBackend *be, bool up);

/* NIC side: send a frame; NET_SEND_DROP when there is no backend. */
NetSendResult net_peer_send(NetPeer *peer, const struct iovec *iov,
                            int iovcnt);

/*
 * NIC side: the end of a run of sends (everything one guest doorbell made
 * ready, including a run stopped by NET_SEND_BUSY): frames the backend
 * queued go out now, batched (NetBackendOps.flush). No-op without a
 * backend or flush.
 */
void net_peer_flush(NetPeer *peer);

/*
 * NIC side: true when the connected backend takes net_peer_send_offload
 * frames as they are (false without a backend). Stable while connected.
 */
bool net_peer_offload_ok(NetPeer *peer);

/*
 * NIC side: send a frame with the work `off` describes still to do
 * (`off` NULL or all-zero: same as net_peer_send). A frame whose NetOffload
 * does not match its headers is dropped (tx_errors, NET_SEND_DROP). Should
 * the backend not take offloads after all, the frame is finished in
 * software and sent as ordinary frames: then NET_SEND_BUSY comes only
 * when nothing was sent, and segments refused after the first are
 * dropped and counted (tx_drops).
 */
NetSendResult net_peer_send_offload(NetPeer *peer, const NetOffload *off,
                                    const struct iovec *iov, int iovcnt);

/*
 * The VM stopped (paused true) or runs again (QMP stop / cont): while
 * paused the NIC is offered no frame and gets no tx_ready, so nothing
 * from the host side makes it touch guest memory. Reading from the host
 * side stops (frames stay queued there; one already read is held as for
 * a full NIC, none is dropped) and a tx_ready is kept for later. On
 * resume the NIC gets the tx_ready it is owed, then the held frame, and
 * reading restarts (as net_peer_rx_ready). Idempotent. Sending is not
 * affected: a stopped VM's NIC does not send.
 */
void net_backend_set_paused(NetBackend *be, bool paused);

/* NIC side: guest posted RX buffers; held frame retried, reading resumes. */
void net_peer_rx_ready(NetPeer *peer);

/* NIC side: the guest-visible link changed (passes to set_link). */
void net_peer_set_link(NetPeer *peer, bool up);

/* Free a backend (disconnects first). NULL is a no-op. */
void net_backend_free(NetBackend *be);

/*
 * Limit what the NIC sends through `be` to `bytes` per `usecs` (xl's
 * rate=, with Xen netback's credit scheme: one interval's credit added
 * per interval, bursts up to max(128 KiB, bytes)); bytes or usecs 0 lifts
 * the limit (`clock` may then be NULL). Over budget, net_peer_send and
 * net_peer_send_offload return NET_SEND_BUSY without sending and tx_ready
 * follows when credit is back, from a timer on `clock`: frames wait,
 * never drop. Intervals are measured on `clock`: production passes the
 * machine's real clock; under qtest the machine clock is virtual, so
 * rate= follows virtual time like every other device timer. `clock`
 * must outlive the limit (net_backend_free or the next call lifts it).
 * A NIC waiting for credit when the limit is replaced or lifted gets
 * tx_ready at once.
 */
void net_backend_set_rate(NetBackend *be, uint64_t bytes, uint32_t usecs,
                          Clock *clock);

/*
 * Create a backend from -netdev options (type in "type", id in "id").
 * Known types come from a table in backends/netbe.c. Errors name the
 * option at fault.
 */
typedef struct EmuOpts EmuOpts;
NetBackend *net_backend_new(const EmuOpts *opts, GMainContext *ctx,
                            GError **errp);

/*
 * Did net_backend_new fail because the host refused something (a port
 * in use, a tap taken, no permission) rather than because of a bad
 * option? Callers exit 1 for the former, 2 for the latter.
 */
bool net_backend_error_is_host(const GError *err);

/*
 * Capture (QEMU's -object filter-dump): write every frame that crosses
 * this backend's seam, both ways, to a new pcap file at `path` (created
 * mode 0600, or truncated), each record cut to `maxlen` bytes (0: 65536,
 * as QEMU). Frames with offload work pending are recorded finished
 * (checksummed, segmented), as they reach the wire. May be attached and
 * detached while traffic flows. One capture per backend: a second attach
 * fails. A write error (disk full) costs records, never frames: the file
 * is cut back to its last whole record, later frames are tried again, and
 * the loss is logged at most once a minute.
 */
bool net_dump_attach(NetBackend *be, const char *path, uint32_t maxlen,
                     GError **errp);

/* Stop capturing and close the file; no-op without a capture. */
void net_dump_detach(NetBackend *be);

/*
 * MAC addresses (Xen docs, xl-network-configuration): a guest MAC must be
 * unicast and non-zero.
 */
typedef struct MacAddr {
    uint8_t a[ETH_ALEN];
} MacAddr;

/*
 * Parse "xx:xx:xx:xx:xx:xx" (also '-' separated). Refuses malformed text,
 * multicast (bit 0 of the first octet) and all-zero addresses, with an
 * error naming the reason.
 */
bool net_mac_parse(const char *str, MacAddr *mac, GError **errp);

/*
 * A random unicast address: locally administered (first octet pattern
 * xxxxxx10) unless xen_oui, then 00:16:3e:xx:xx:xx with the low 23 bits
 * random (Xen's own OUI, as xl does).
 */
void net_mac_generate(MacAddr *mac, bool xen_oui);

/* "xx:xx:xx:xx:xx:xx" into buf (at least 18 bytes). Returns buf. */
char *net_mac_format(const MacAddr *mac, char *buf);

#endif
