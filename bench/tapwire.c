/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tapbench's guest and wire: the e1000 driver (qtest for registers, the
 * shared guest-RAM file for rings and buffers), the far side that counts
 * what the NIC sends, the feeder that writes what it receives, and one TX
 * or RX run over them. See tapbench.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tapbench.h"

/* Datagrams in flight towards libslirp's forwarded UDP socket. */
#define SLIRP_RX_WINDOW 48
/* Guest-physical layout in the RAM file, above what SeaBIOS touches. */
#define GPA_TX_RING 0x01000000ull
#define GPA_RX_RING 0x01001000ull
#define GPA_TX_BUF 0x01100000ull
#define GPA_RX_BUF 0x01200000ull
#define GPA_TSO 0x01400000ull
/* The ARP request of slirp_hello: not a TX slot's buffer (see there). */
#define GPA_ARP 0x01180000ull

enum {
    R_CTRL = 0x0,
    R_STATUS = 0x8,
    R_IMC = 0xd8,
    R_RCTL = 0x100,
    R_TCTL = 0x400,
    R_TIPG = 0x410,
    R_RDBAL = 0x2800,
    R_RDBAH = 0x2804,
    R_RDLEN = 0x2808,
    R_RDH = 0x2810,
    R_RDT = 0x2818,
    R_RDTR = 0x2820,
    R_TDBAL = 0x3800,
    R_TDBAH = 0x3804,
    R_TDLEN = 0x3808,
    R_TDH = 0x3810,
    R_TDT = 0x3818,
    R_TIDV = 0x3820,
    R_RAL0 = 0x5400,
    R_RAH0 = 0x5404,
};

static const uint8_t nic_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t peer_mac[6] = {0x52, 0x54, 0x00, 0xbe, 0x4c, 0x01};
/* libslirp's gateway MAC (52:55 + 10.0.2.2). */
static const uint8_t slirp_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1 < n; i += 2) {
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    }
    if (n & 1) {
        sum += (uint32_t)p[n - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)sum;
}

/*
 * Ethernet/IPv4 frame of `len` bytes, 10.0.2.15 -> dst: UDP to port 9,
 * or TCP with the pseudo-header sum a TSO driver leaves for the NIC.
 */
static void build_frame(uint8_t *f, unsigned len, bool tcp, const uint8_t *dst,
                        const uint8_t *src, const uint8_t *dip, uint16_t dport)
{
    uint8_t *ip = f + 14, *l4 = ip + 20;
    unsigned iplen = len - 14;

    for (unsigned i = 0; i < len; i++) {
        f[i] = (uint8_t)(i * 7 + 1);
    }
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    put16(f + 12, 0x0800);
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(iplen > 0xffff ? 0 : iplen));
    ip[8] = 64;
    ip[9] = tcp ? 6 : 17;
    memcpy(ip + 12, (const uint8_t[]){10, 0, 2, 15}, 4);
    memcpy(ip + 16, dip, 4);
    put16(ip + 10, (uint16_t)~csum(ip, 20, 0));
    if (!tcp) {
        put16(l4, 5555);
        put16(l4 + 2, dport);
        put16(l4 + 4, (uint16_t)(iplen - 20));
        put16(l4 + 6, 0);
        return;
    }
    memset(l4, 0, 20);
    put16(l4, 5555);
    put16(l4 + 2, 5001);
    l4[12] = 5 << 4;
    l4[13] = 0x18;
    put16(l4 + 14, 0xffff);
    put16(l4 + 16, csum(ip + 12, 8, 6));
}

static uint8_t *gpa(Nic *nic, uint64_t a)
{
    return nic->dm->ram + a;
}

static int wr(Nic *nic, uint32_t reg, uint32_t v)
{
    return qtc_writel(&nic->dm->qt, MMIO + reg, v);
}

static int rd(Nic *nic, uint32_t reg, uint32_t *v)
{
    return qtc_readl(&nic->dm->qt, MMIO + reg, v);
}

int nic_setup(Nic *nic, Dm *dm, Backend be)
{
    uint8_t frame[TSO_LEN];
    const uint8_t host[4] = {10, 0, 2, 2};
    uint32_t v = 1;
    Qtc *q = &dm->qt;

    memset(nic, 0, sizeof(*nic));
    nic->dm = dm;
    if (qtc_cfg_writel(q, DEVFN, 4, 0) < 0 ||
        qtc_cfg_writel(q, DEVFN, 0x10, (uint32_t)MMIO) < 0 ||
        qtc_cfg_writel(q, DEVFN, 4, 0x6) < 0 || wr(nic, R_CTRL, 1u << 26) < 0) {
        return -1;
    }
    for (int i = 0; i < 1000 && (v & (1u << 26)); i++) {
        if (rd(nic, R_CTRL, &v) < 0) {
            return -1;
        }
    }
    if (wr(nic, R_IMC, 0xffffffffu) < 0 ||
        wr(nic, R_CTRL, v | (1u << 6) | (1u << 5)) < 0 ||
        wr(nic, R_RAL0,
           (uint32_t)nic_mac[0] | nic_mac[1] << 8 | nic_mac[2] << 16 |
               (uint32_t)nic_mac[3] << 24) < 0 ||
        wr(nic, R_RAH0, (uint32_t)nic_mac[4] | nic_mac[5] << 8 | 1u << 31) <
            0) {
        return -1;
    }
    memset(gpa(nic, GPA_TX_RING), 0, RING * 16);
    build_frame(frame, 1514, false, be == BE_SLIRP ? slirp_mac : peer_mac,
                nic_mac, host, (uint16_t)(SLIRP_SINK_PORT + dm->side));
    for (unsigned i = 0; i < RING; i++) {
        memcpy(gpa(nic, GPA_TX_BUF + (uint64_t)i * BUF), frame, 1514);
    }
    build_frame(frame, TSO_LEN, true, peer_mac, nic_mac, host, 0);
    for (unsigned i = 0; i < TSO_AREAS; i++) {
        memcpy(gpa(nic, GPA_TSO + (uint64_t)i * TSO_LEN), frame, TSO_LEN);
    }
    if (wr(nic, R_TDBAL, (uint32_t)GPA_TX_RING) < 0 || wr(nic, R_TDBAH, 0) ||
        wr(nic, R_TDLEN, RING * 16) || wr(nic, R_TDH, 0) || wr(nic, R_TDT, 0) ||
        wr(nic, R_TIDV, 0) || wr(nic, R_TIPG, 10 | 8 << 10 | 6 << 20) ||
        wr(nic, R_TCTL, 1u << 1 | 1u << 3 | 0x0f << 4 | 0x40 << 12)) {
        return -1;
    }
    for (unsigned i = 0; i < RING; i++) {
        uint8_t *d = gpa(nic, GPA_RX_RING + 16 * i);
        uint64_t a = GPA_RX_BUF + (uint64_t)i * BUF;

        memset(d, 0, 16);
        memcpy(d, &a, 8);
    }
    if (wr(nic, R_RDBAL, (uint32_t)GPA_RX_RING) || wr(nic, R_RDBAH, 0) ||
        wr(nic, R_RDLEN, RING * 16) || wr(nic, R_RDH, 0) || wr(nic, R_RDT, 0) ||
        wr(nic, R_RDTR, 0) || wr(nic, R_RCTL, 1u << 1 | 1u << 15 | 1u << 26) ||
        wr(nic, R_RDT, RING - 1)) {
        return -1;
    }
    return 0;
}

static void tx_legacy(Nic *nic, uint64_t addr, unsigned len, bool rs)
{
    uint8_t *d = gpa(nic, GPA_TX_RING + 16 * nic->tx_tail);

    memcpy(d, &addr, 8);
    d[8] = (uint8_t)len;
    d[9] = (uint8_t)(len >> 8);
    d[10] = 0;
    d[11] = 0x01 | 0x02 | (rs ? 0x08 : 0);
    d[12] = 0;
    d[13] = 0;
    d[14] = d[15] = 0;
    nic->tx_tail = (nic->tx_tail + 1) % RING;
}

static void tx_raw(Nic *nic, const uint8_t *desc)
{
    memcpy(gpa(nic, GPA_TX_RING + 16 * nic->tx_tail), desc, 16);
    nic->tx_tail = (nic->tx_tail + 1) % RING;
}

/* One 64 KiB TSO send: a context descriptor and 16 data descriptors. */
static void tx_tso(Nic *nic)
{
    uint64_t base = GPA_TSO + (uint64_t)(nic->tso_next++ % TSO_AREAS) * TSO_LEN;
    uint8_t c[16] = {0};
    uint32_t w;

    c[0] = 14;
    c[1] = 14 + 10;
    c[2] = 14 + 19;
    c[4] = 34;
    c[5] = 34 + 16;
    w = (TSO_LEN - TSO_HDR) | (uint32_t)(0x01 | 0x02 | 0x04 | 0x20) << 24;
    memcpy(c + 8, &w, 4);
    c[13] = TSO_HDR;
    c[14] = (uint8_t)TSO_MSS;
    c[15] = (uint8_t)(TSO_MSS >> 8);
    tx_raw(nic, c);
    for (unsigned i = 0; i < TSO_LEN / TSO_DESC; i++) {
        uint8_t d[16] = {0};
        uint64_t a = base + (uint64_t)i * TSO_DESC;
        bool last = i == TSO_LEN / TSO_DESC - 1;

        memcpy(d, &a, 8);
        w = TSO_DESC | 1u << 20 |
            (uint32_t)(0x02 | 0x04 | 0x20 | (last ? 0x01 | 0x08 : 0)) << 24;
        memcpy(d + 8, &w, 4);
        /* IXSM | TXSM on each (QEMU re-reads them mid-send). */
        d[13] = 0x03;
        tx_raw(nic, d);
    }
}

static bool dd(Nic *nic, uint64_t ring, unsigned i)
{
    volatile uint8_t *s = gpa(nic, ring + 16 * i + 12);

    return *s & 1;
}

/* ---- the far side ---- */

/* Datagrams taken per recvmmsg() on a UDP far side. */
#define FAR_UDP_BATCH 64

/* Count what a UDP far side holds: many datagrams per system call. */
static void far_drain_udp(Far *f)
{
    static __thread uint8_t bufs[FAR_UDP_BATCH][2048];
    struct mmsghdr msgs[FAR_UDP_BATCH];
    struct iovec iov[FAR_UDP_BATCH];
    int n;

    for (int i = 0; i < FAR_UDP_BATCH; i++) {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = sizeof(bufs[i]);
        memset(&msgs[i], 0, sizeof(msgs[i]));
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    while ((n = recvmmsg(f->fd, msgs, FAR_UDP_BATCH, MSG_DONTWAIT, NULL)) > 0) {
        uint64_t bytes = 0;

        for (int i = 0; i < n; i++) {
            bytes += msgs[i].msg_len;
        }
        __atomic_add_fetch(&f->bytes, bytes, __ATOMIC_RELAXED);
        __atomic_add_fetch(&f->frames, (uint64_t)n, __ATOMIC_SEQ_CST);
    }
}

/* Count the frames from the NIC a tap far side holds (one per read). */
static void far_drain_tap(Far *f)
{
    static __thread uint8_t buf[70000];
    ssize_t n;

    while ((n = read(f->fd, buf, sizeof(buf))) > 0) {
        if (n < 14 || memcmp(buf + 6, nic_mac, 6) != 0) {
            continue;
        }
        __atomic_add_fetch(&f->bytes, (uint64_t)n, __ATOMIC_RELAXED);
        __atomic_add_fetch(&f->frames, 1, __ATOMIC_SEQ_CST);
    }
}

void *far_thread(void *opaque)
{
    Far *f = opaque;

    while (!f->stop) {
        struct pollfd pfd = {.fd = f->fd, .events = POLLIN};

        if (poll(&pfd, 1, 50) <= 0) {
            continue;
        }
        if (f->udp) {
            far_drain_udp(f);
        } else {
            far_drain_tap(f);
        }
        /* Pairs with far_wait: either it sees the count or we its flag. */
        if (__atomic_load_n(&f->waiting, __ATOMIC_SEQ_CST)) {
            pthread_mutex_lock(&f->lock);
            pthread_cond_broadcast(&f->moved);
            pthread_mutex_unlock(&f->lock);
        }
    }
    return NULL;
}

/*
 * Sleep until the far side has counted more than `seen` frames (or a
 * millisecond passed): the guest driver waits without taking a CPU from
 * the device model or the far side.
 */
static void far_wait(Far *f, uint64_t seen)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&f->lock);
    __atomic_store_n(&f->waiting, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&f->frames, __ATOMIC_SEQ_CST) == seen) {
        if (pthread_cond_timedwait(&f->moved, &f->lock, &ts) != 0) {
            break;
        }
    }
    __atomic_store_n(&f->waiting, 0, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&f->lock);
}

static uint64_t far_frames(Far *f)
{
    return __atomic_load_n(&f->frames, __ATOMIC_RELAXED);
}

/* A raw tap on the bridge, without offloads: the kernel segments. */
static int peer_tap_open(unsigned side)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

    if (fd < 0) {
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), PEER_FMT, side);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int udp_socket(uint16_t port, bool bind_it)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int buf = 16 << 20;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
    setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
    if (bind_it && bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
        perror("bind");
        close(s);
        return -1;
    }
    return s;
}

/* ---- runs ---- */

int tx_run(Nic *nic, Far *far, const Row *row, uint64_t count, Result *res)
{
    unsigned per = row->tso ? 1 + TSO_LEN / TSO_DESC : 1;
    uint64_t frames_per = row->tso ? TSO_SEGS : 1;
    uint64_t sent = 0, done = 0, f0 = far_frames(far);
    uint64_t b0 = __atomic_load_n(&far->bytes, __ATOMIC_RELAXED);
    uint64_t s0, t0 = dm_ticks_sys(nic->dm, &s0);
    double c0 = self_cpu_us();
    double start = now_s(), last_progress = start;

    while (done < count) {
        unsigned added = 0;

        /* Reclaim completed packets. */
        while (nic->tx_used &&
               dd(nic, GPA_TX_RING, nic->tx_last[nic->tx_clean])) {
            unsigned last = nic->tx_last[nic->tx_clean];

            nic->tx_used -= (last + RING - nic->tx_clean) % RING + 1;
            nic->tx_clean = (last + 1) % RING;
            done++;
            last_progress = now_s();
        }
        while (sent < count && RING - 1 - nic->tx_used >= per &&
               added < BATCH &&
               (sent * frames_per) - (far_frames(far) - f0) < TX_INFLIGHT) {
            unsigned first = nic->tx_tail;

            if (row->tso) {
                tx_tso(nic);
            } else {
                tx_legacy(nic, GPA_TX_BUF + (uint64_t)first * BUF, row->len,
                          true);
            }
            nic->tx_last[first] = (uint16_t)((first + per - 1) % RING);
            nic->tx_used += per;
            sent++;
            added += per;
        }
        if (added) {
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            if (wr(nic, R_TDT, nic->tx_tail) < 0) {
                return -1;
            }
        } else if (sent < count && RING - 1 - nic->tx_used >= per &&
                   added < BATCH) {
            /* Held back by the pacing: sleep until the far side moves. */
            far_wait(far, far_frames(far));
        } else {
            /* Waiting for completions in RAM (DD). */
            sched_yield();
        }
        if (now_s() - last_progress > 5) {
            uint32_t h = 0, t = 0, st = 0, tctl = 0;

            rd(nic, R_TDH, &h);
            rd(nic, R_TDT, &t);
            fprintf(stderr,
                    "%s: TX stalled at %llu of %llu (TDH %u TDT %u STATUS "
                    "0x%x TCTL 0x%x; %llu frames, %llu bytes arrived)\n",
                    nic->dm->name, (unsigned long long)done,
                    (unsigned long long)count, h, t, st, tctl,
                    (unsigned long long)(far_frames(far) - f0),
                    (unsigned long long)(__atomic_load_n(&far->bytes,
                                                         __ATOMIC_RELAXED) -
                                         b0));
            return -1;
        }
    }
    /* Until everything reached the far side (or stopped arriving). */
    last_progress = now_s();
    while (far_frames(far) - f0 < count * frames_per &&
           now_s() - last_progress < 1) {
        uint64_t f = far_frames(far);

        usleep(200);
        if (far_frames(far) != f) {
            last_progress = now_s();
        }
    }
    res->wall_s = now_s() - start;
    res->ticks = dm_ticks_sys(nic->dm, &res->sys_ticks) - t0;
    res->sys_ticks -= s0;
    res->client_us = self_cpu_us() - c0;
    res->pkts = count;
    res->wire_bytes = __atomic_load_n(&far->bytes, __ATOMIC_RELAXED) - b0;
    res->lost =
        count * frames_per - MIN(count * frames_per, far_frames(far) - f0);
    res->ok = true;
    return 0;
}

/* The UDP error counters of /proc/net/snmp (this namespace), for logs. */
static const char *udp_drops(void)
{
    static char out[96];
    char line[512], vals[512];
    unsigned long v[9];
    FILE *f = fopen("/proc/net/snmp", "r");

    snprintf(out, sizeof(out), "counters unknown");
    if (!f) {
        return out;
    }
    /* "Udp:" names, then "Udp:" values. */
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "Udp:", 4) == 0 && fgets(vals, sizeof(vals), f) &&
            sscanf(vals, "Udp: %lu %lu %lu %lu %lu %lu %lu %lu %lu", &v[0],
                   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
                   &v[8]) == 9) {
            snprintf(out, sizeof(out),
                     "InErrors %lu RcvbufErrors %lu MemErrors %lu", v[2], v[4],
                     v[8]);
            break;
        }
    }
    fclose(f);
    return out;
}

typedef struct Feed {
    int fd;
    bool udp;
    /* UDP: the host port libslirp forwards to the guest. */
    uint16_t port;
    const uint8_t *frame;
    size_t len;
    uint64_t count;
    uint64_t credit;
    uint64_t written;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} Feed;

/* Raise the feeder's credit (it sleeps while it has none). */
static void feed_credit(Feed *f, uint64_t credit)
{
    pthread_mutex_lock(&f->lock);
    if (credit > f->credit) {
        f->credit = credit;
        pthread_cond_signal(&f->cond);
    }
    pthread_mutex_unlock(&f->lock);
}

static void *feed_thread(void *opaque)
{
    Feed *f = opaque;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(f->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

    while (f->written < f->count) {
        ssize_t n;

        pthread_mutex_lock(&f->lock);
        while (f->written >= f->credit && f->written < f->count) {
            pthread_cond_wait(&f->cond, &f->lock);
        }
        pthread_mutex_unlock(&f->lock);
        if (f->written >= f->count) {
            break;
        }
        if (f->udp) {
            n = sendto(f->fd, f->frame + 42, f->len - 42, 0,
                       (struct sockaddr *)&a, sizeof(a));
        } else {
            n = write(f->fd, f->frame, f->len);
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == ENOBUFS) {
                sched_yield();
                continue;
            }
            perror("feed");
            return NULL;
        }
        f->written++;
    }
    return NULL;
}

int rx_run(Nic *nic, int feed_fd, bool udp, const Row *row, uint64_t count,
           Result *res)
{
    static uint8_t frame[1514];
    Feed feed = {.fd = feed_fd,
                 .udp = udp,
                 .port = (uint16_t)(SLIRP_FWD_PORT + nic->dm->side),
                 .frame = frame,
                 .len = row->len,
                 .count = count,
                 .lock = PTHREAD_MUTEX_INITIALIZER,
                 .cond = PTHREAD_COND_INITIALIZER};
    uint64_t got = 0, bytes = 0, given = RING - 1;
    unsigned since_rdt = 0, spins = 0;
    uint64_t s0, t0 = dm_ticks_sys(nic->dm, &s0);
    double c0 = self_cpu_us();
    double start, last_progress;
    pthread_t th;

    build_frame(frame, row->len, false, nic_mac, peer_mac,
                (const uint8_t[]){10, 0, 2, 15}, SLIRP_SINK_PORT);
    feed.credit = udp ? SLIRP_RX_WINDOW : given;
    start = last_progress = now_s();
    pthread_create(&th, NULL, feed_thread, &feed);
    while (got < count) {
        volatile uint8_t *d = gpa(nic, GPA_RX_RING + 16 * nic->rx_clean);

        if (!(d[12] & 1)) {
            /* Poll politely: the feeder and the DM share two CPUs. */
            if (++spins < 64) {
                __builtin_ia32_pause();
            } else if (spins < 256) {
                sched_yield();
            } else {
                usleep(20);
            }
            if (now_s() - last_progress > 5) {
                uint32_t rdh = 0, rdt = 0;

                rd(nic, R_RDH, &rdh);
                rd(nic, R_RDT, &rdt);
                pthread_mutex_lock(&feed.lock);
                fprintf(stderr,
                        "%s: RX stalled at %llu of %llu (RDH %u RDT %u; "
                        "%llu written, credit %llu; UDP %s)\n",
                        nic->dm->name, (unsigned long long)got,
                        (unsigned long long)count, rdh, rdt,
                        (unsigned long long)feed.written,
                        (unsigned long long)feed.credit, udp_drops());
                feed.count = feed.written;
                pthread_cond_signal(&feed.cond);
                pthread_mutex_unlock(&feed.lock);
                pthread_join(th, NULL);
                return -1;
            }
            continue;
        }
        spins = 0;
        bytes += (uint64_t)(d[8] | d[9] << 8);
        d[12] = 0;
        got++;
        last_progress = now_s();
        since_rdt++;
        if (since_rdt == 32 || got == count) {
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            if (wr(nic, R_RDT, nic->rx_clean) < 0) {
                return -1;
            }
            given += since_rdt;
            since_rdt = 0;
        }
        if (since_rdt == 0 || udp) {
            /*
             * Never more in flight than buffers posted; through libslirp
             * also no more than its host socket's receive buffer holds.
             */
            feed_credit(&feed, udp ? MIN(given, got + SLIRP_RX_WINDOW) : given);
        }
        nic->rx_clean = (nic->rx_clean + 1) % RING;
    }
    res->wall_s = now_s() - start;
    res->ticks = dm_ticks_sys(nic->dm, &res->sys_ticks) - t0;
    res->sys_ticks -= s0;
    pthread_join(th, NULL);
    res->client_us = self_cpu_us() - c0;
    res->pkts = count;
    res->wire_bytes = bytes;
    res->lost = 0;
    res->ok = true;
    return 0;
}

/* ---- one row on one device model ---- */

int row_env_up(const Row *row, unsigned side, Far *far, int *feed_fd)
{
    char cmd[128];

    *feed_fd = -1;
    memset(far, 0, sizeof(*far));
    pthread_mutex_init(&far->lock, NULL);
    pthread_cond_init(&far->moved, NULL);
    if (row->be == BE_SLIRP) {
        if (row->tx) {
            far->fd = udp_socket((uint16_t)(SLIRP_SINK_PORT + side), true);
            far->udp = true;
        } else {
            *feed_fd = udp_socket(0, false);
            far->fd = -1;
        }
        return row->tx ? (far->fd < 0 ? -1 : 0) : (*feed_fd < 0 ? -1 : 0);
    }
    far->fd = peer_tap_open(side);
    if (far->fd < 0) {
        return -1;
    }
    snprintf(cmd, sizeof(cmd),
             "ip link set " PEER_FMT " master " BRIDGE_FMT
             " txqueuelen 20000 up",
             side, side);
    if (run_cmd(cmd) < 0) {
        return -1;
    }
    snprintf(cmd, sizeof(cmd),
             "ip link set " TAP_FMT " master " BRIDGE_FMT " up", side, side);
    if (run_cmd(cmd) < 0) {
        return -1;
    }
    *feed_fd = far->fd;
    return 0;
}

/* slirp learns the guest's MAC from an ARP request (libslirp arp_input). */
int slirp_hello(Nic *nic)
{
    /*
     * Its own buffer: written into the TX slot's buffer, it replaced the
     * first 60 bytes of that slot's datagram for good, so every 256th
     * datagram of the slirp TX row went out as an oversized ARP request
     * and never reached the host socket (the "lost" datagrams).
     */
    uint8_t *f = gpa(nic, GPA_ARP);
    unsigned idx = nic->tx_tail;

    memset(f, 0, 60);
    memset(f, 0xff, 6);
    memcpy(f + 6, nic_mac, 6);
    put16(f + 12, 0x0806);
    put16(f + 14, 1);
    put16(f + 16, 0x0800);
    f[18] = 6;
    f[19] = 4;
    put16(f + 20, 1);
    memcpy(f + 22, nic_mac, 6);
    memcpy(f + 28, (const uint8_t[]){10, 0, 2, 15}, 4);
    memcpy(f + 38, (const uint8_t[]){10, 0, 2, 2}, 4);
    tx_legacy(nic, GPA_ARP, 60, true);
    if (wr(nic, R_TDT, nic->tx_tail) < 0) {
        return -1;
    }
    for (int i = 0; i < 1000 && !dd(nic, GPA_TX_RING, idx); i++) {
        usleep(1000);
    }
    nic->tx_clean = nic->tx_tail;
    /* The ARP reply: take it out of the ring. */
    for (int i = 0; i < 1000; i++) {
        volatile uint8_t *d = gpa(nic, GPA_RX_RING + 16 * nic->rx_clean);

        if (d[12] & 1) {
            d[12] = 0;
            nic->rx_clean = (nic->rx_clean + 1) % RING;
            break;
        }
        usleep(1000);
    }
    /* Reset the ring state: from here the driver owns RING - 1 again. */
    return wr(nic, R_RDT, (nic->rx_clean + RING - 1) % RING);
}
