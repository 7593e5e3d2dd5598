/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The capture tee (QEMU's -object filter-dump): every frame that crosses a
 * backend's seam goes to a pcap file as well, in the classic libpcap
 * format (magic 0xa1b2c3d4: microsecond timestamps, host byte order,
 * link type 1 = Ethernet), each record cut to the snapshot length.
 *
 * Records are written with one pwritev() each at the end of the last
 * whole record, so a reader never sees a record cut by a failed write:
 * a write that fails (disk full) is undone with ftruncate() and only the
 * record is lost; traffic goes on. Failures are logged at most once a
 * minute, whatever mix of records fits and fails meanwhile.
 * Writes are synchronous: capture is a debugging aid and costs a system
 * call per frame while attached.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/uio.h>
#include <unistd.h>

#include "backends/netbe-priv.h"
#include "emunet/log.h"

#define PCAP_MAGIC 0xa1b2c3d4u
#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4
#define PCAP_LINKTYPE_ETHERNET 1
/* QEMU's filter-dump default snapshot length. */
#define DUMP_MAXLEN_DEFAULT 65536
/* iovecs per record: its header and the frame's pieces. */
#define DUMP_IOV_MAX 64
/* Write failures are reported at most this often. */
#define DUMP_LOG_INTERVAL_US (60 * G_USEC_PER_SEC)

typedef struct PcapFileHeader {
    uint32_t magic;
    uint16_t version_major;
    uint16_t version_minor;
    int32_t thiszone;
    uint32_t sigfigs;
    uint32_t snaplen;
    uint32_t linktype;
} PcapFileHeader;

typedef struct PcapRecordHeader {
    uint32_t ts_sec;
    uint32_t ts_usec;
    uint32_t incl_len;
    uint32_t orig_len;
} PcapRecordHeader;

G_STATIC_ASSERT(sizeof(PcapFileHeader) == 24);
G_STATIC_ASSERT(sizeof(PcapRecordHeader) == 16);

struct NetDump {
    /* The backend's id, for log lines (the backend outlives us). */
    const char *id;
    char *path;
    int fd;
    uint32_t snaplen;
    /* File offset just past the last whole record. */
    off_t end;
    /* Records lost to write errors, and when that was last logged. */
    uint64_t lost;
    gint64 logged_us;
};

/*
 * Write all of iov at `off`, resuming after short writes. 0, or the errno
 * of the failure.
 */
static int dump_pwritev_all(int fd, struct iovec *iov, int iovcnt, off_t off)
{
    while (iovcnt > 0) {
        ssize_t n = pwritev(fd, iov, iovcnt, off);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        if (n == 0) {
            return ENOSPC;
        }
        off += n;
        while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
            n -= iov->iov_len;
            iov++;
            iovcnt--;
        }
        if (iovcnt > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + n;
            iov->iov_len -= n;
        }
    }
    return 0;
}

void net_dump_frame(NetDump *d, const struct iovec *iov, int iovcnt, size_t len)
{
    struct iovec v[DUMP_IOV_MAX + 1];
    PcapRecordHeader rec;
    gint64 now = g_get_real_time(), mono;
    size_t incl = MIN(len, (size_t)d->snaplen);
    size_t left = incl;
    uint8_t *flat = NULL;
    int n = 1, i, err;

    rec.ts_sec = (uint32_t)(now / G_USEC_PER_SEC);
    rec.ts_usec = (uint32_t)(now % G_USEC_PER_SEC);
    rec.incl_len = (uint32_t)incl;
    rec.orig_len = (uint32_t)len;
    v[0].iov_base = &rec;
    v[0].iov_len = sizeof(rec);
    if (iovcnt > DUMP_IOV_MAX) {
        flat = g_malloc(incl);
        net_iov_to_buf(iov, iovcnt, flat, incl);
        v[1].iov_base = flat;
        v[1].iov_len = incl;
        n = 2;
    } else {
        for (i = 0; i < iovcnt && left > 0; i++) {
            v[n].iov_base = iov[i].iov_base;
            v[n].iov_len = MIN(iov[i].iov_len, left);
            left -= v[n].iov_len;
            n++;
        }
    }

    err = dump_pwritev_all(d->fd, v, n, d->end);
    g_free(flat);
    if (err) {
        /* Cut a partial record off, so the file stays readable. */
        if (ftruncate(d->fd, d->end) < 0) {
            log_trace(LOG_NET, "netdev %s: capture %s: truncate: %s", d->id,
                      d->path, g_strerror(errno));
        }
        d->lost++;
        mono = g_get_monotonic_time();
        if (!d->logged_us || mono - d->logged_us >= DUMP_LOG_INTERVAL_US) {
            log_error("netdev %s: capture %s: %s; frames are missing from "
                      "it (%" PRIu64 " so far)",
                      d->id, d->path, g_strerror(err), d->lost);
            d->logged_us = mono;
        }
        return;
    }
    d->end += sizeof(rec) + incl;
}

bool net_dump_attach(NetBackend *be, const char *path, uint32_t maxlen,
                     GError **errp)
{
    PcapFileHeader hdr = {
        .magic = PCAP_MAGIC,
        .version_major = PCAP_VERSION_MAJOR,
        .version_minor = PCAP_VERSION_MINOR,
        .snaplen = maxlen ? maxlen : DUMP_MAXLEN_DEFAULT,
        .linktype = PCAP_LINKTYPE_ETHERNET,
    };
    struct iovec v = {.iov_base = &hdr, .iov_len = sizeof(hdr)};
    NetDump *d;
    int fd, err;

    if (be->dump) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev %s: already captured to %s", be->id,
                    be->dump->path);
        return false;
    }
    /* Captures hold guest traffic: readable by their owner only. */
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev %s: capture file %s: %s", be->id, path,
                    g_strerror(errno));
        return false;
    }
    err = dump_pwritev_all(fd, &v, 1, 0);
    if (err) {
        close(fd);
        g_set_error(errp, NET_BACKEND_ERROR, NET_BACKEND_ERROR_FAILED,
                    "netdev %s: capture file %s: %s", be->id, path,
                    g_strerror(err));
        return false;
    }
    d = g_new0(NetDump, 1);
    d->id = be->id;
    d->path = g_strdup(path);
    d->fd = fd;
    d->snaplen = hdr.snaplen;
    d->end = sizeof(hdr);
    be->dump = d;
    log_trace(LOG_NET, "netdev %s: capturing to %s", be->id, path);
    return true;
}

void net_dump_detach(NetBackend *be)
{
    NetDump *d = be->dump;

    if (!d) {
        return;
    }
    be->dump = NULL;
    close(d->fd);
    g_free(d->path);
    g_free(d);
}
