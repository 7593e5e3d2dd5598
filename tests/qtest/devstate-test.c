/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device state save / restore qtests (xen-save-devices-state,
 * xen-load-devices-state and -incoming; xen-dm-contract.md 1.8 and
 * include/emunet/devstate.h for the format). A guest drives traffic
 * through one emunet, which saves; a fresh emunet starts from the file
 * with the same guest RAM copied over, and the guest carries on: config
 * space, registers, ring positions, statistics, EEPROM, PHY, pending
 * interrupts and the remaining time of timers must all be where they
 * were. A saved file is exactly the blob and its file trailer (no
 * companion here); -incoming fd:N also finds the blob after other data
 * (a companion's part) without moving the descriptor's offset. Then the
 * ways a file can be wrong: corrupt, truncated, empty, not ours, another
 * format, trailer or section version, a trailer that does not fit, an
 * unseekable descriptor, another device model, MAC or device id, and
 * hostile values behind a valid CRC: each is refused with a message
 * naming the cause, and the running device is left as it was. The test
 * parses and patches the format itself, with its own CRC-32.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libqos/e1000.h"
#include "libqos/rtl8139.h"

#define WIRE_TIMEOUT_MS 5000
#define RAM_START (1024 * 1024)
#define OTHER_MAC "52:54:00:ab:cd:ef"

/* ---- Files ---- */

static char *test_dir;

static char *state_path(const char *name)
{
    return g_build_filename(test_dir, name, NULL);
}

typedef struct Blob {
    uint8_t *data;
    size_t len;
} Blob;

/* A file's bytes, unchecked. */
static Blob file_read(const char *path)
{
    Blob b;
    GError *err = NULL;
    gsize len;

    g_assert_true(g_file_get_contents(path, (gchar **)&b.data, &len, &err));
    g_assert_no_error(err);
    b.len = len;
    return b;
}

static void file_write(const Blob *b, const char *path)
{
    GError *err = NULL;

    g_assert_true(
        g_file_set_contents(path, (const gchar *)b->data, b->len, &err));
    g_assert_no_error(err);
}

static Blob blob_dup(const Blob *b)
{
    Blob c = {.data = g_memdup2(b->data, b->len ? b->len : 1), .len = b->len};

    return c;
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* CRC-32 (IEEE 802.3, reflected; zlib's), written out independently. */
static uint32_t crc32_ieee(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xffffffffu;

    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
        }
    }
    return ~crc;
}

/* Header: magic 8, version 4, flags 4, payload length 8, sections 4. */
static size_t blob_payload_len(const Blob *b)
{
    return (size_t)get_le32(b->data + 16) | (size_t)get_le32(b->data + 20)
                                                << 32;
}

static void blob_fix_crc(Blob *b)
{
    size_t end = 32 + blob_payload_len(b);

    g_assert_cmpuint(end + 4, <=, b->len);
    put_le32(b->data + end, crc32_ieee(b->data, end));
}

/*
 * The file trailer after a blob of blob_len bytes: CRC-32 of the other
 * 20 bytes, u64 blob length, u32 version 1, "EMUNETTR".
 */
#define TRAILER_SIZE 24

static void trailer_make(uint8_t *t, size_t blob_len)
{
    put_le64(t + 4, blob_len);
    put_le32(t + 12, 1);
    memcpy(t + 16, "EMUNETTR", 8);
    put_le32(t, crc32_ieee(t + 4, TRAILER_SIZE - 4));
}

/* The blob of a saved file, which must be exactly blob and trailer. */
static Blob blob_read(const char *path)
{
    Blob b = file_read(path);
    uint8_t t[TRAILER_SIZE];

    g_assert_cmpuint(b.len, >, 32 + 4 + TRAILER_SIZE);
    b.len -= TRAILER_SIZE;
    trailer_make(t, b.len);
    g_assert_cmpmem(b.data + b.len, TRAILER_SIZE, t, TRAILER_SIZE);
    g_assert_cmpmem(b.data, 8, "EMUNETDS", 8);
    g_assert_cmpuint(32 + blob_payload_len(&b) + 4, ==, b.len);
    g_assert_cmphex(get_le32(b.data + b.len - 4), ==,
                    crc32_ieee(b.data, b.len - 4));
    return b;
}

/* `prefix` (other data, plen bytes), the blob, and a trailer for it. */
static Blob file_make(const void *prefix, size_t plen, const Blob *b)
{
    Blob f = {.data = g_malloc(plen + b->len + TRAILER_SIZE),
              .len = plen + b->len + TRAILER_SIZE};

    memcpy(f.data, prefix, plen);
    memcpy(f.data + plen, b->data, b->len);
    trailer_make(f.data + plen + b->len, b->len);
    return f;
}

/* Write the blob with a trailer for it. */
static void blob_write(const Blob *b, const char *path)
{
    Blob f = file_make("", 0, b);

    file_write(&f, path);
    g_free(f.data);
}

typedef struct BlobSection {
    size_t version_at; /* offset of the section version */
    size_t body_at;
    size_t body_len;
} BlobSection;

static bool blob_section(const Blob *b, const char *id, BlobSection *out)
{
    size_t off = 32, end = 32 + blob_payload_len(b);

    while (off < end) {
        size_t tlen = b->data[off] | b->data[off + 1] << 8;
        size_t ilen, at = off + 2 + tlen;
        bool match;

        ilen = b->data[at] | b->data[at + 1] << 8;
        match = ilen == strlen(id) && memcmp(b->data + at + 2, id, ilen) == 0;
        at += 2 + ilen;
        out->version_at = at;
        out->body_len = get_le32(b->data + at + 4);
        out->body_at = at + 8;
        if (match) {
            return true;
        }
        off = out->body_at + out->body_len;
    }
    return false;
}

/* Offset of field `name`'s value in section `id`; its length in *len. */
static size_t blob_field(const Blob *b, const char *id, const char *name,
                         uint32_t *len)
{
    BlobSection sec;
    size_t off;

    g_assert_true(blob_section(b, id, &sec));
    off = sec.body_at;
    while (off < sec.body_at + sec.body_len) {
        size_t nlen = b->data[off] | b->data[off + 1] << 8;
        uint32_t vlen = get_le32(b->data + off + 2 + nlen);

        if (nlen == strlen(name) &&
            memcmp(b->data + off + 2, name, nlen) == 0) {
            *len = vlen;
            return off + 2 + nlen + 4;
        }
        off += 2 + nlen + 4 + vlen;
    }
    g_error("field %s not in section %s", name, id);
}

/* ---- QMP ---- */

static void save_state(QTestState *qts, const char *path)
{
    g_autofree char *cmd = g_strdup_printf(
        "{\"execute\": \"xen-save-devices-state\", \"arguments\": "
        "{\"filename\": \"%s\", \"live\": false}}",
        path);
    g_autofree char *reply = qtest_qmp(qts, cmd);

    g_assert_cmpstr(reply, ==, "{\"return\": {}}");
}

/* The reply to xen-load-devices-state (owned). */
static char *load_state(QTestState *qts, const char *path)
{
    g_autofree char *cmd = g_strdup_printf(
        "{\"execute\": \"xen-load-devices-state\", \"arguments\": "
        "{\"filename\": \"%s\"}}",
        path);

    return qtest_qmp(qts, cmd);
}

/* The guest RAM the allocator handed out in `from`, into `to`. */
static void copy_ram(QTestState *from, QTestState *to)
{
    uint64_t top = qtest_guest_alloc(from, 1, 1);
    uint64_t start = qtest_guest_alloc(to, 1, 1);
    size_t len = top - RAM_START;
    g_autofree uint8_t *buf = g_malloc(len);

    g_assert_cmphex(start, ==, RAM_START);
    qtest_memread(from, RAM_START, buf, len);
    qtest_memwrite(to, RAM_START, buf, len);
    qtest_guest_alloc(to, top - start - 1, 1);
}

static size_t test_frame(uint8_t *buf, size_t len, const uint8_t *dst,
                         uint8_t seed)
{
    static const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x01};

    memcpy(buf, dst, 6);
    memcpy(buf + 6, src, 6);
    buf[12] = 0x88;
    buf[13] = 0xb5;
    for (size_t i = 14; i < len; i++) {
        buf[i] = (uint8_t)(seed * 7 + i);
    }
    return len;
}

/* ---- e1000 ---- */

/*
 * qe1000_start with a chosen MAC and extra arguments; `incoming` (a
 * -incoming argument, or NULL) means the config space comes from the
 * state, so BARs are taken from `like` instead of being assigned.
 */
static QE1000 *e1000_start(const char *mac, const char *extra,
                           const char *incoming, const QE1000 *like)
{
    QE1000 *d = g_new0(QE1000, 1);
    int sv[2];

    qtest_socketpair(sv);
    d->qts =
        qtest_initf("-netdev socket,id=n0,fd=%d -device e1000,netdev=n0,"
                    "mac=%s,addr=04.0%s%s%s",
                    sv[1], mac, extra ? extra : "",
                    incoming ? " -incoming " : "", incoming ? incoming : "");
    d->wire = sv[0];
    g_assert_cmpint(sscanf(mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &d->mac[0],
                           &d->mac[1], &d->mac[2], &d->mac[3], &d->mac[4],
                           &d->mac[5]),
                    ==, 6);
    d->pci = qpci_device_find(d->qts, QE1000_DEVFN);
    g_assert_nonnull(d->pci);
    if (!like) {
        qpci_iomap(d->pci, 0, NULL);
        qpci_iomap(d->pci, 1, NULL);
        qpci_device_enable(d->pci, QE1000_IRQ);
    } else {
        /* Config space as the guest left it in the old process. */
        g_assert_cmphex(qpci_config_readl(d->pci, 0x10) & ~0xfu, ==,
                        like->pci->bar_addr[0]);
        g_assert_cmphex(qpci_config_readl(d->pci, 0x14) & ~0x3u, ==,
                        like->pci->bar_addr[1]);
        g_assert_cmphex(qpci_config_readw(d->pci, 0x04) & 7, ==, 7);
        g_assert_cmpuint(qpci_config_readb(d->pci, 0x3c), ==, QE1000_IRQ);
        for (int i = 0; i < 6; i++) {
            d->pci->bar_addr[i] = like->pci->bar_addr[i];
            d->pci->bar_size[i] = like->pci->bar_size[i];
            d->pci->bar_is_io[i] = like->pci->bar_is_io[i];
        }
        d->tx_ring = like->tx_ring;
        d->tx_n = like->tx_n;
        d->tx_tail = like->tx_tail;
        d->rx_ring = like->rx_ring;
        d->rx_n = like->rx_n;
        d->rx_buf_size = like->rx_buf_size;
        d->rx_buf = g_memdup2(like->rx_buf, like->rx_n * sizeof(uint64_t));
    }
    qtest_irq_intercept_in(d->qts, "ioapic");
    return d;
}

static void e1000_tx_check(QE1000 *d, uint8_t seed, uint8_t extra_cmd)
{
    static const uint8_t peer[6] = {0x02, 0, 0, 0, 0, 0x02};
    uint8_t frame[300], got[400];
    uint64_t gpa;
    unsigned idx;

    test_frame(frame, sizeof(frame), peer, seed);
    gpa = qe1000_copy_to_guest(d, frame, sizeof(frame));
    idx = qe1000_tx_legacy(d, gpa, sizeof(frame),
                           E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS |
                               E1000_TXD_CMD_RS | extra_cmd,
                           0, 0, 0);
    qe1000_tx_kick(d);
    g_assert_cmpint(qe1000_wire_recv(d, got, sizeof(got), WIRE_TIMEOUT_MS), ==,
                    sizeof(frame));
    g_assert_cmpmem(got, sizeof(frame), frame, sizeof(frame));
    g_assert_true(qe1000_tx_wait_dd(d, idx, WIRE_TIMEOUT_MS));
}

static void e1000_rx_check(QE1000 *d, unsigned idx, uint8_t seed)
{
    uint8_t frame[200], got[200];
    QE1000RxDesc rd;

    test_frame(frame, sizeof(frame), d->mac, seed);
    qe1000_wire_send(d, frame, sizeof(frame));
    g_assert_true(qe1000_rx_wait(d, idx, WIRE_TIMEOUT_MS, &rd));
    g_assert_cmpuint(rd.length, ==, sizeof(frame));
    qe1000_rx_buf(d, idx, got, sizeof(got));
    g_assert_cmpmem(got, sizeof(got), frame, sizeof(frame));
}

/* One IPv4/TCP frame with IXSM|TXSM and no context descriptor. */
static void e1000_tx_csum_check(QE1000 *d)
{
    uint8_t frame[400], got[512];
    QE1000FrameSpec spec;
    QE1000FrameInfo fi;
    size_t len;

    qe1000_frame_spec_init(&spec);
    spec.l3 = QE1000_L3_IPV4;
    spec.l4 = QE1000_L4_TCP;
    spec.payload_len = 200;
    spec.ip_csum_zero = true;
    spec.l4_pseudo_only = true;
    len = qe1000_build_frame(frame, sizeof(frame), &spec, &fi);
    g_assert_cmpuint(fi.l4_off, ==, 34);
    g_assert_false(qe1000_ipv4_csum_ok(frame, fi.l3_off));
    qe1000_tx_data(d, qe1000_copy_to_guest(d, frame, len), len,
                   E1000_TXD_CMD_IFCS | E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS,
                   E1000_POPTS_IXSM | E1000_POPTS_TXSM, 0);
    qe1000_tx_kick(d);
    g_assert_cmpint(qe1000_wire_recv(d, got, sizeof(got), WIRE_TIMEOUT_MS), ==,
                    (ssize_t)len);
    g_assert_true(qe1000_ipv4_csum_ok(got, fi.l3_off));
    g_assert_true(qe1000_l4_csum_ok(got, len, fi.l3_off, fi.l4_off));
}

/* Registers without read side effects that the state must carry. */
static const uint32_t e1000_regs[] = {
    E1000_CTRL,   E1000_STATUS,   E1000_RCTL,      E1000_TCTL,   E1000_TIPG,
    E1000_TDBAL,  E1000_TDLEN,    E1000_TDH,       E1000_TDT,    E1000_TIDV,
    E1000_RDBAL,  E1000_RDLEN,    E1000_RDH,       E1000_RDT,    E1000_IMS,
    E1000_ITR,    E1000_MTA + 20, E1000_VFTA + 12, E1000_RAL(0), E1000_RAH(0),
    E1000_RAL(1), E1000_RAH(1),   E1000_VET,       E1000_RXCSUM,
};

static void e1000_read_regs(QE1000 *d, uint32_t *vals)
{
    for (size_t i = 0; i < G_N_ELEMENTS(e1000_regs); i++) {
        vals[i] = qe1000_r(d, e1000_regs[i]);
    }
}

/* A guest with traffic behind it, state to carry, a timer running. */
static QE1000 *e1000_busy_guest(const char *mac, const char *extra)
{
    QE1000 *d = e1000_start(mac, extra, NULL, NULL);

    qe1000_init(d, 16, 16, 2048);
    qe1000_w(d, E1000_MTA + 20, 0x00f0f00f);
    qe1000_w(d, E1000_VFTA + 12, 0x80000001);
    qe1000_w(d, E1000_RAL(1), 0x44332211);
    qe1000_w(d, E1000_RAH(1), E1000_RAH_AV | 0x6655);
    qe1000_w(d, E1000_TIDV, 100);
    qe1000_phy_write(d, 0x10, 0x0068);
    for (uint8_t i = 0; i < 3; i++) {
        e1000_tx_check(d, i, 0);
    }
    /*
     * A checksum context (SDM 3.3.6) for IPv4/TCP frames: the new process
     * must still apply it to data descriptors that come without one.
     */
    qe1000_tx_context(d, 14, 24, 33, 34, 50, 0, 0,
                      E1000_TUCMD_TCP | E1000_TUCMD_IP, 0, 0);
    qe1000_tx_kick(d);
    g_assert_cmpuint(qe1000_r(d, E1000_TDH), ==, 4);
    e1000_rx_check(d, 0, 10);
    e1000_rx_check(d, 1, 11);
    qe1000_r(d, E1000_ICR);
    qe1000_w(d, E1000_IMS, E1000_ICR_TXDW | E1000_ICR_RXT0);
    /* TXDW held back by TIDV (100 x 1.024 us), still pending at save. */
    e1000_tx_check(d, 3, E1000_TXD_CMD_IDE);
    /* An interrupt asserted at save time. */
    qe1000_w(d, E1000_ICS, E1000_ICR_RXT0 | E1000_ICR_LSC);
    g_assert_true(qe1000_irq(d));
    return d;
}

static void test_e1000_roundtrip(void)
{
    g_autofree char *path = state_path("e1000.state");
    QE1000 *a = e1000_busy_guest(QE1000_MAC, NULL);
    g_autofree char *incoming = g_strdup_printf("file:%s", path);
    uint32_t before[G_N_ELEMENTS(e1000_regs)], after[G_N_ELEMENTS(e1000_regs)];
    uint32_t gprc, gptc, icr;
    QE1000 *b;

    e1000_read_regs(a, before);
    save_state(a->qts, path);
    gprc = qe1000_r(a, E1000_GPRC);
    gptc = qe1000_r(a, E1000_GPTC);
    g_assert_cmpuint(gprc, ==, 2);
    g_assert_cmpuint(gptc, ==, 4);

    b = e1000_start(QE1000_MAC, NULL, incoming, a);
    copy_ram(a->qts, b->qts);
    /* The interrupt pending at save time is pending again. */
    g_assert_cmphex(qpci_config_readw(b->pci, 0x06) & 0x08, ==, 0x08);
    e1000_read_regs(b, after);
    for (size_t i = 0; i < G_N_ELEMENTS(e1000_regs); i++) {
        if (before[i] != after[i]) {
            g_error("register %#07x: %#x before the save, %#x after the "
                    "restore",
                    e1000_regs[i], before[i], after[i]);
        }
    }
    g_assert_cmpuint(qe1000_r(b, E1000_GPRC), ==, gprc);
    g_assert_cmpuint(qe1000_r(b, E1000_GPTC), ==, gptc);
    g_assert_cmphex(qe1000_phy_read(b, 0x10), ==, 0x0068);
    for (unsigned w = 0; w < 3; w++) {
        g_assert_cmphex(qe1000_eerd_read(b, w), ==,
                        b->mac[2 * w] | b->mac[2 * w + 1] << 8);
    }
    /* The TIDV timer had ~102 us left: not yet after 50 us. */
    qtest_clock_step(b->qts, 50 * 1000);
    icr = qe1000_r(b, E1000_ICR);
    g_assert_cmphex(icr & (E1000_ICR_RXT0 | E1000_ICR_LSC), ==,
                    E1000_ICR_RXT0 | E1000_ICR_LSC);
    g_assert_cmphex(icr & E1000_ICR_TXDW, ==, 0);
    g_assert_false(qe1000_irq(b));
    qtest_clock_step(b->qts, 100 * 1000);
    g_assert_true(qe1000_irq(b));
    g_assert_cmphex(qe1000_r(b, E1000_ICR) & E1000_ICR_TXDW, ==,
                    E1000_ICR_TXDW);

    /* The TX context of the old process: checksums inserted. */
    e1000_tx_csum_check(b);
    g_assert_cmpuint(qe1000_r(b, E1000_TDH), ==, 6);
    /* Traffic carries on from the ring positions of the old process. */
    e1000_tx_check(b, 20, 0);
    g_assert_cmpuint(qe1000_r(b, E1000_TDH), ==, 7);
    e1000_rx_check(b, 2, 21);
    g_assert_cmpuint(qe1000_r(b, E1000_RDH), ==, 3);
    qe1000_stop(a);
    qe1000_stop(b);
    unlink(path);
}

/*
 * libxl's form: -incoming fd:N. The blob is found from its trailer after
 * other data (a companion's part), and the descriptor's offset, which
 * this process shares, stays where the companion's stream starts.
 */
static void test_e1000_incoming_fd(void)
{
    static const char other[] = "QEVM\0\0\0\3 the companion's stream";
    g_autofree char *path = state_path("fd.state");
    g_autofree char *shared = state_path("fd-shared.state");
    g_autofree char *incoming = NULL;
    QE1000 *a = e1000_busy_guest(QE1000_MAC, NULL);
    QE1000 *b;
    Blob blob, file;
    int fd, sv[2];

    save_state(a->qts, path);
    blob = blob_read(path);
    file = file_make(other, sizeof(other), &blob);
    file_write(&file, shared);
    fd = open(shared, O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    /*
     * libqtest hands emunet the descriptors of qtest_socketpair: the
     * passed one becomes a copy of fd (the same open file, one offset).
     */
    qtest_socketpair(sv);
    g_assert_cmpint(dup3(fd, sv[1], O_CLOEXEC), ==, sv[1]);
    close(sv[0]);
    incoming = g_strdup_printf("fd:%d", sv[1]);
    b = e1000_start(QE1000_MAC, NULL, incoming, a);
    g_assert_cmpint(lseek(fd, 0, SEEK_CUR), ==, 0);
    close(fd);
    copy_ram(a->qts, b->qts);
    g_assert_cmpuint(qe1000_r(b, E1000_TDH), ==, 5);
    g_assert_cmpuint(qe1000_r(b, E1000_RDH), ==, 2);
    e1000_tx_check(b, 30, 0);
    qe1000_stop(a);
    qe1000_stop(b);
    g_free(blob.data);
    g_free(file.data);
    unlink(path);
    unlink(shared);
}

/* ---- Rejected files ---- */

typedef void BlobMutator(Blob *b);

typedef struct RejectCase {
    const char *name;
    /* The saved file to start from: "e1000", "rtl8139", "mac", "id". */
    const char *source;
    BlobMutator *mutate;
    const char *expect;
} RejectCase;

static void mut_none(Blob *b)
{
}

static void mut_flip(Blob *b)
{
    b->data[b->len / 2] ^= 0x40;
}

static void mut_truncate(Blob *b)
{
    b->len /= 2;
}

static void mut_empty(Blob *b)
{
    b->len = 0;
}

static void mut_garbage(Blob *b)
{
    memset(b->data, 0x5a, b->len);
}

static void mut_format_version(Blob *b)
{
    put_le32(b->data + 8, 2);
    blob_fix_crc(b);
}

static void mut_section_version(Blob *b)
{
    BlobSection sec;

    g_assert_true(blob_section(b, "nic0", &sec));
    put_le32(b->data + sec.version_at, 99);
    blob_fix_crc(b);
}

/* The (index, value) pair of register `reg` in the e1000 "regs" list. */
static uint8_t *regs_pair(Blob *b, uint32_t reg)
{
    uint32_t len;
    size_t at = blob_field(b, "nic0", "regs", &len);

    for (size_t off = 0; off < len; off += 8) {
        if (get_le32(b->data + at + off) == reg / 4) {
            return b->data + at + off;
        }
    }
    g_error("register %#x not in the saved list", reg);
}

static void mut_tdlen(Blob *b)
{
    put_le32(regs_pair(b, E1000_TDLEN) + 4, 0xffffffffu);
    blob_fix_crc(b);
}

static void mut_reg_index(Blob *b)
{
    put_le32(regs_pair(b, E1000_TDLEN), 0x40000);
    blob_fix_crc(b);
}

static void mut_set_field(Blob *b, const char *id, const char *name, uint64_t v)
{
    uint32_t len;
    size_t at = blob_field(b, id, name, &len);

    for (uint32_t i = 0; i < len; i++) {
        b->data[at + i] = i < 8 ? (uint8_t)(v >> (8 * i)) : 0;
    }
    blob_fix_crc(b);
}

static void mut_bitpos(Blob *b)
{
    mut_set_field(b, "nic0", "ee.bitpos", 5000);
}

static void mut_timer(Blob *b)
{
    uint32_t len;

    put_le64(b->data + blob_field(b, "nic0", "timer.itr", &len), (uint64_t)-7);
    blob_fix_crc(b);
}

static void mut_bool(Blob *b)
{
    mut_set_field(b, "nic0", "phy_link", 2);
}

static void mut_rename(Blob *b)
{
    uint32_t len;
    size_t at = blob_field(b, "nic0", "ioaddr", &len);

    /* The name ends just before its 4-byte length. */
    b->data[at - 5] = 'X';
    blob_fix_crc(b);
}

static void mut_pci_ident(Blob *b)
{
    uint32_t len;

    b->data[blob_field(b, "nic0", "pci.config", &len) + 2] ^= 0x01;
    blob_fix_crc(b);
}

static void mut_handoff(Blob *b)
{
    uint32_t len;
    size_t at = blob_field(b, "handoff", "unplugged", &len);
    size_t payload = blob_payload_len(b);
    Blob c = {.data = g_malloc(b->len + 3), .len = b->len + 3};
    BlobSection sec;

    /* Grow the (empty) list to "zz\0": lengths of field, section, blob. */
    g_assert_cmpuint(len, ==, 0);
    g_assert_true(blob_section(b, "handoff", &sec));
    memcpy(c.data, b->data, at);
    memcpy(c.data + at, "zz", 3);
    memcpy(c.data + at + 3, b->data + at, b->len - at);
    put_le32(c.data + at - 4, 3);
    put_le32(c.data + sec.version_at + 4, (uint32_t)sec.body_len + 3);
    put_le64(c.data + 16, payload + 3);
    g_free(b->data);
    *b = c;
    blob_fix_crc(b);
}

static const RejectCase reject_cases[] = {
    {"corrupt", "e1000", mut_flip, "CRC mismatch"},
    {"truncated", "e1000", mut_truncate, "truncated"},
    {"empty", "e1000", mut_empty, "truncated header (0 of 32 bytes)"},
    {"garbage", "e1000", mut_garbage, "bad magic"},
    {"format-version", "e1000", mut_format_version,
     "format version 2 is not supported"},
    {"section-version", "e1000", mut_section_version, "has version 99"},
    {"foreign-model", "rtl8139", mut_none, "is of type rtl8139"},
    {"foreign-mac", "mac", mut_none, "saved for MAC 52:54:00:ab:cd:ef"},
    {"foreign-id", "id", mut_none, "'eth7' (e1000), which this emunet does"},
    {"foreign-pci", "e1000", mut_pci_ident, "PCI vendor/device ID differs"},
    {"hostile-tdlen", "e1000", mut_tdlen, "has bits no guest can set"},
    {"hostile-reg-index", "e1000", mut_reg_index, "outside BAR0"},
    {"hostile-eeprom", "e1000", mut_bitpos, "EEPROM interface state out"},
    {"hostile-timer", "e1000", mut_timer, "timer.itr = -7 ns out of range"},
    {"hostile-bool", "e1000", mut_bool, "'phy_link' is 2, not a boolean"},
    {"renamed-field", "e1000", mut_rename, "field 'ioaddr' is missing"},
    {"hostile-handoff", "e1000", mut_handoff, "NIC 'zz' was handed off"},
};

/* Changes to a whole file (blob and trailer) rather than the blob. */
typedef void FileMutator(Blob *f);

static uint8_t *file_trailer(Blob *f)
{
    g_assert_cmpuint(f->len, >=, TRAILER_SIZE);
    return f->data + f->len - TRAILER_SIZE;
}

static void trailer_fix_crc(uint8_t *t)
{
    put_le32(t, crc32_ieee(t + 4, TRAILER_SIZE - 4));
}

static void fmut_trailer_flip(Blob *f)
{
    file_trailer(f)[6] ^= 0x01;
}

static void fmut_cut_end(Blob *f)
{
    f->len -= 3;
}

static void fmut_cut_start(Blob *f)
{
    memmove(f->data, f->data + 8, f->len - 8);
    f->len -= 8;
}

static void fmut_tiny(Blob *f)
{
    f->len = 10;
}

static void fmut_empty(Blob *f)
{
    f->len = 0;
}

static void fmut_foreign(Blob *f)
{
    static const char qemu[] = "QEVM\0\0\0\3 a QEMU device state stream";

    g_assert_cmpuint(f->len, >=, sizeof(qemu));
    memcpy(f->data, qemu, sizeof(qemu));
    f->len = sizeof(qemu);
}

static void fmut_trailer_version(Blob *f)
{
    uint8_t *t = file_trailer(f);

    put_le32(t + 12, 2);
    trailer_fix_crc(t);
}

static void fmut_trailer_huge(Blob *f)
{
    uint8_t *t = file_trailer(f);

    put_le64(t + 4, (uint64_t)1 << 40);
    trailer_fix_crc(t);
}

/* Four bytes between blob and trailer, counted in the trailer's length. */
static void fmut_trailer_long(Blob *f)
{
    size_t blen = f->len - TRAILER_SIZE;
    uint8_t *n = g_malloc(f->len + 4);

    memcpy(n, f->data, blen);
    memset(n + blen, 0xee, 4);
    trailer_make(n + blen + 4, blen + 4);
    g_free(f->data);
    f->data = n;
    f->len += 4;
}

static const struct {
    const char *name;
    FileMutator *mutate;
    const char *expect;
} file_reject_cases[] = {
    {"trailer-corrupt", fmut_trailer_flip,
     "not a valid emunet device state: trailer CRC mismatch (the file is "
     "corrupt)"},
    {"cut-end", fmut_cut_end,
     "not a valid emunet device state: no emunet trailer at the end of "
     "the file (truncated, or not saved by emunet's"},
    {"cut-start", fmut_cut_start,
     "not a valid emunet device state: truncated (the trailer gives a "},
    {"tiny", fmut_tiny, "10 bytes, too short for emunet's trailer"},
    {"empty-file", fmut_empty, "0 bytes, too short for emunet's trailer"},
    {"foreign-file", fmut_foreign, "no emunet trailer at the end of the file"},
    {"trailer-version", fmut_trailer_version,
     "device state file trailer version 2 is not supported (this emunet "
     "reads version 1)"},
    {"trailer-huge", fmut_trailer_huge,
     "the trailer gives a 1099511627776-byte blob, more than the"},
    {"trailer-long", fmut_trailer_long, "but the blob is"},
};

/* Save the named source state into path. */
static void make_source(const char *source, const char *path)
{
    if (strcmp(source, "rtl8139") == 0) {
        QRtl *r = qrtl_start(",id=nic0");

        save_state(r->qts, path);
        qrtl_stop(r);
        return;
    }
    if (strcmp(source, "mac") == 0) {
        QE1000 *e = e1000_start(OTHER_MAC, NULL, NULL, NULL);

        save_state(e->qts, path);
        qe1000_stop(e);
        return;
    }
    if (strcmp(source, "id") == 0) {
        QE1000 *e = e1000_start(QE1000_MAC, ",id=eth7", NULL, NULL);

        save_state(e->qts, path);
        qe1000_stop(e);
        return;
    }
    g_assert_cmpstr(source, ==, "e1000");
}

/*
 * Every bad file is refused with its cause, and the running NIC keeps
 * its state and keeps working.
 */
/* Loading `bad` fails with `expect`, and d's registers stay. */
static void expect_refused(QE1000 *d, const char *bad, const char *name,
                           const char *expect)
{
    uint32_t before[G_N_ELEMENTS(e1000_regs)], after[G_N_ELEMENTS(e1000_regs)];
    g_autofree char *reply = NULL;

    e1000_read_regs(d, before);
    reply = load_state(d->qts, bad);
    if (!g_str_has_prefix(reply, "{\"error\": {\"class\": "
                                 "\"GenericError\"") ||
        !strstr(reply, expect)) {
        g_error("%s: expected an error with \"%s\", got %s", name, expect,
                reply);
    }
    e1000_read_regs(d, after);
    g_assert_cmpmem(before, sizeof(before), after, sizeof(after));
}

static void test_reject(void)
{
    g_autofree char *good = state_path("good.state");
    g_autofree char *bad = state_path("bad.state");
    QE1000 *d = e1000_busy_guest(QE1000_MAC, NULL);
    Blob file;

    save_state(d->qts, good);
    for (size_t i = 0; i < G_N_ELEMENTS(reject_cases); i++) {
        const RejectCase *c = &reject_cases[i];
        Blob src, blob;

        make_source(c->source, bad);
        src = blob_read(strcmp(c->source, "e1000") == 0 ? good : bad);
        blob = blob_dup(&src);
        c->mutate(&blob);
        blob_write(&blob, bad);
        expect_refused(d, bad, c->name, c->expect);
        g_free(src.data);
        g_free(blob.data);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(file_reject_cases); i++) {
        file = file_read(good);
        file_reject_cases[i].mutate(&file);
        file_write(&file, bad);
        expect_refused(d, bad, file_reject_cases[i].name,
                       file_reject_cases[i].expect);
        g_free(file.data);
    }
    /* Still the same NIC: TX continues where it was. */
    e1000_tx_check(d, 40, 0);
    g_assert_cmpuint(qe1000_r(d, E1000_TDH), ==, 6);
    /* And a good file is accepted at run time (COLO's load). */
    {
        g_autofree char *reply = load_state(d->qts, good);

        g_assert_cmpstr(reply, ==, "{\"return\": {}}");
        g_assert_cmpuint(qe1000_r(d, E1000_TDH), ==, 5);
    }
    qe1000_stop(d);
    unlink(good);
    unlink(bad);
}

/*
 * emunet with -incoming `spec` refuses to start: exit status 1; its
 * stderr (g_free). Descriptors stay open for an fd: spec.
 */
static char *incoming_fails(const char *spec)
{
    const char *binary = g_getenv("EMUNET_BINARY");
    char *err_text = NULL;
    GError *err = NULL;
    int status;
    char *argv[] = {(char *)binary,
                    "-qtest",
                    "unix:/nonexistent",
                    "-device",
                    "e1000,mac=" QE1000_MAC ",addr=04.0",
                    "-incoming",
                    (char *)spec,
                    NULL};

    g_assert_true(g_spawn_sync(NULL, argv, NULL,
                               G_SPAWN_STDOUT_TO_DEV_NULL |
                                   G_SPAWN_LEAVE_DESCRIPTORS_OPEN,
                               NULL, NULL, NULL, &err_text, &status, &err));
    g_assert_no_error(err);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    g_assert_nonnull(strstr(err_text, "-incoming"));
    return err_text;
}

/*
 * -incoming with a damaged file, or an unseekable descriptor: emunet
 * refuses to start, status 1.
 */
static void test_incoming_corrupt(void)
{
    g_autofree char *path = state_path("corrupt.state");
    g_autofree char *spec = g_strdup_printf("file:%s", path);
    g_autofree char *err_text = NULL;
    QE1000 *a = e1000_start(QE1000_MAC, NULL, NULL, NULL);
    Blob blob, file;
    int sv[2];

    save_state(a->qts, path);
    qe1000_stop(a);
    blob = blob_read(path);
    mut_flip(&blob);
    blob_write(&blob, path);
    err_text = incoming_fails(spec);
    g_assert_nonnull(strstr(err_text, "CRC mismatch"));
    /* A socket with a good file's bytes: no end to find the blob from. */
    mut_flip(&blob);
    file = file_make("", 0, &blob);
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    g_assert_cmpint(write(sv[0], file.data, file.len), ==, (ssize_t)file.len);
    g_free(spec);
    spec = g_strdup_printf("fd:%d", sv[1]);
    g_free(err_text);
    err_text = incoming_fails(spec);
    g_assert_nonnull(strstr(err_text, "-incoming fd:"));
    g_assert_nonnull(strstr(err_text, ": not a regular file (a pipe or "
                                      "socket?)"));
    close(sv[0]);
    close(sv[1]);
    g_free(blob.data);
    g_free(file.data);
    unlink(path);
}

/*
 * A NIC handed off before the save stays handed off: the new process
 * unplugs it again (its tap closes), the platform device keeps its state.
 */
static void test_handoff_carried(void)
{
    g_autofree char *path = state_path("handoff.state");
    const char *plat = " -device xen-platform,addr=03.0";
    QE1000 *a = e1000_start(QE1000_MAC, plat, NULL, NULL);
    QTestState *b;
    uint8_t buf[64];
    int sv[2];

    qtest_outb(a->qts, 0x10, 1); /* platform flags: ROM lock */
    qtest_outw(a->qts, 0x10, 2);
    g_assert_cmphex(qpci_config_readw(a->pci, 0), ==, 0xffff);
    save_state(a->qts, path);

    qtest_socketpair(sv);
    b = qtest_initf("-netdev socket,id=n0,fd=%d -device e1000,netdev=n0,"
                    "mac=" QE1000_MAC ",addr=04.0%s -incoming file:%s",
                    sv[1], plat, path);
    g_assert_null(qpci_device_find(b, QE1000_DEVFN));
    g_assert_cmpuint(qtest_inb(b, 0x10), ==, 1);
    g_assert_cmpint(qtest_wire_recv(sv[0], buf, sizeof(buf), 300), ==, -1);
    g_assert_cmpint(recv(sv[0], buf, 1, MSG_DONTWAIT), ==, 0);
    {
        g_autofree char *log = qtest_stderr(b);

        g_assert_nonnull(strstr(log, "hand-off: nic0 (e1000) unplugged "
                                     "(handed off before the save)"));
    }
    qtest_quit(b);
    close(sv[0]);
    qe1000_stop(a);
    unlink(path);
}

/* ---- rtl8139 ---- */

static QRtl *rtl_restore(const QRtl *a, const char *extra, const char *spec)
{
    QRtl *d = g_new0(QRtl, 1);
    QPCIDevice *pci;
    int sv[2];

    qtest_socketpair(sv);
    d->qts = qtest_initf("-netdev socket,id=n0,fd=%d -device rtl8139,"
                         "netdev=n0,mac=" QRTL_MAC ",addr=04.0%s "
                         "-incoming %s",
                         sv[1], extra ? extra : "", spec);
    pci = qpci_device_find(d->qts, QRTL_DEVFN);
    g_assert_nonnull(pci);
    g_assert_cmphex(qpci_config_readl(pci, 0x10) & ~0x3u, ==,
                    a->pci->bar_addr[QRTL_BAR_IO]);
    g_assert_cmphex(qpci_config_readl(pci, 0x14) & ~0xfu, ==,
                    a->pci->bar_addr[QRTL_BAR_MMIO]);
    /* The driver's view carries over; only the process is new. */
    *d = *a;
    d->qts = pci->qts;
    *pci = *a->pci;
    pci->qts = d->qts;
    d->pci = pci;
    d->wire = sv[0];
    qtest_irq_intercept_in(d->qts, "ioapic");
    return d;
}

static void rtl_tx_check(QRtl *d, uint8_t seed, bool cplus)
{
    static const uint8_t peer[6] = {0x02, 0, 0, 0, 0, 0x02};
    uint8_t frame[150], got[256];
    uint32_t opts1;
    unsigned idx;

    test_frame(frame, sizeof(frame), peer, seed);
    if (cplus) {
        idx = qrtl_cp_tx_frame(d, frame, sizeof(frame), 0, 0);
    } else {
        idx = qrtl_c_tx(d, frame, sizeof(frame));
    }
    g_assert_cmpint(qrtl_wire_recv(d, got, sizeof(got), WIRE_TIMEOUT_MS), ==,
                    sizeof(frame));
    g_assert_cmpmem(got, sizeof(frame), frame, sizeof(frame));
    if (cplus) {
        g_assert_true(qrtl_cp_tx_wait(d, idx, WIRE_TIMEOUT_MS, &opts1));
    } else {
        g_assert_cmphex(qrtl_c_tx_wait(d, idx, WIRE_TIMEOUT_MS) & RTL_TSD_TOK,
                        ==, RTL_TSD_TOK);
    }
}

static void rtl_rx_check(QRtl *d, uint8_t seed, bool cplus)
{
    uint8_t frame[100], got[256];
    uint32_t opts1, opts2;
    uint16_t status;
    int n;

    test_frame(frame, sizeof(frame), d->mac, seed);
    qrtl_wire_send(d, frame, sizeof(frame));
    if (cplus) {
        n = qrtl_cp_rx(d, &opts1, &opts2, got, sizeof(got), WIRE_TIMEOUT_MS);
    } else {
        n = qrtl_c_rx(d, &status, got, sizeof(got), WIRE_TIMEOUT_MS);
    }
    g_assert_cmpint(n, ==, sizeof(frame) + 4);
    g_assert_cmpmem(got, sizeof(frame), frame, sizeof(frame));
}

static const unsigned rtl_regs32[] = {
    RTL_IDR0, RTL_IDR0 + 4, RTL_MAR0,     RTL_MAR0 + 4,
    RTL_TCR,  RTL_RCR,      RTL_TIMERINT,
};

static void rtl_roundtrip(bool cplus)
{
    g_autofree char *path = state_path("rtl.state");
    g_autofree char *spec = g_strdup_printf("file:%s", path);
    const char *extra = cplus ? NULL : QRTL_REV_C;
    QRtl *a = qrtl_start(extra);
    uint32_t before[G_N_ELEMENTS(rtl_regs32)];
    uint32_t tctr;
    QRtl *b;

    if (cplus) {
        qrtl_cp_init(a, 16, 16, 2048, 0, 0);
    } else {
        qrtl_c_init(a, 0, false, RTL_RCR_APM);
    }
    qrtl_w32(a, RTL_MAR0, 0x11223344);
    for (uint8_t i = 0; i < 3; i++) {
        rtl_tx_check(a, i, cplus);
        rtl_rx_check(a, (uint8_t)(10 + i), cplus);
    }
    /* TCTR counts from its last write; TimerInt fires 1 ms ahead. */
    qrtl_w32(a, RTL_TCTR, 0);
    qtest_clock_step(a->qts, 1000 * 1000);
    tctr = qrtl_r32(a, RTL_TCTR);
    g_assert_cmpuint(tctr, >=, 33000);
    qrtl_w32(a, RTL_TIMERINT, tctr + 33000);
    qrtl_w16(a, RTL_ISR, 0xffff);
    qrtl_w16(a, RTL_IMR, RTL_INT_TIMEOUT);
    for (size_t i = 0; i < G_N_ELEMENTS(rtl_regs32); i++) {
        before[i] = qrtl_r32(a, rtl_regs32[i]);
    }
    save_state(a->qts, path);

    b = rtl_restore(a, extra, spec);
    copy_ram(a->qts, b->qts);
    for (size_t i = 0; i < G_N_ELEMENTS(rtl_regs32); i++) {
        g_assert_cmphex(qrtl_r32(b, rtl_regs32[i]), ==, before[i]);
    }
    g_assert_cmphex(qrtl_r16(b, RTL_IMR), ==, RTL_INT_TIMEOUT);
    if (cplus) {
        g_assert_cmphex(qrtl_r16(b, RTL_CPCR), ==, qrtl_r16(a, RTL_CPCR));
        g_assert_cmphex(qrtl_r32(b, RTL_RDSAR), ==, qrtl_r32(a, RTL_RDSAR));
        g_assert_cmphex(qrtl_r32(b, RTL_TNPDS), ==, qrtl_r32(a, RTL_TNPDS));
    } else {
        g_assert_cmphex(qrtl_r16(b, RTL_CAPR), ==, qrtl_r16(a, RTL_CAPR));
        g_assert_cmphex(qrtl_r16(b, RTL_CBR), ==, qrtl_r16(a, RTL_CBR));
    }
    /* TCTR carries on from where it was; TimerInt fires on time. */
    g_assert_cmpuint(qrtl_r32(b, RTL_TCTR), >=, tctr);
    g_assert_false(qrtl_irq(b));
    qtest_clock_step(b->qts, 2 * 1000 * 1000);
    g_assert_true(qrtl_irq(b));
    g_assert_cmphex(qrtl_r16(b, RTL_ISR) & RTL_INT_TIMEOUT, ==,
                    RTL_INT_TIMEOUT);
    qrtl_w16(b, RTL_IMR, 0);
    /* The rings carry on from the old positions. */
    for (uint8_t i = 0; i < 5; i++) {
        rtl_tx_check(b, (uint8_t)(20 + i), cplus);
        rtl_rx_check(b, (uint8_t)(30 + i), cplus);
    }
    qrtl_stop(a);
    qrtl_stop(b);
    unlink(path);
}

static void test_rtl8139_cplus_roundtrip(void)
{
    rtl_roundtrip(true);
}

static void test_rtl8139_c_roundtrip(void)
{
    rtl_roundtrip(false);
}

/* rtl8139 values no guest can leave behind. */
static void test_rtl8139_hostile(void)
{
    static const struct {
        const char *field;
        uint64_t value;
        const char *expect;
    } cases[] = {
        {"tx_cur", 9, "ring position out of range"},
        {"cp_rx_idx", 200, "ring position out of range"},
        {"eeprom.addr", 300, "EEPROM interface state out of range"},
        {"eeprom.state", 77, "EEPROM interface state out of range"},
        {"cplus_mode", 1, "C+ mode on a revision without C+"},
        {"mit_held", 0x8000, "interrupt mitigation state"},
        {"revision", 0x20, "saved for revision 0x20"},
    };
    g_autofree char *good = state_path("rtl-good.state");
    g_autofree char *bad = state_path("rtl-bad.state");
    QRtl *d = qrtl_start(",id=nic0" QRTL_REV_C);
    Blob src;

    qrtl_c_init(d, 0, false, RTL_RCR_APM);
    rtl_tx_check(d, 1, false);
    save_state(d->qts, good);
    src = blob_read(good);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        Blob blob = blob_dup(&src);
        g_autofree char *reply = NULL;

        mut_set_field(&blob, "nic0", cases[i].field, cases[i].value);
        blob_write(&blob, bad);
        reply = load_state(d->qts, bad);
        if (!strstr(reply, cases[i].expect)) {
            g_error("%s: expected \"%s\", got %s", cases[i].field,
                    cases[i].expect, reply);
        }
        g_free(blob.data);
    }
    rtl_tx_check(d, 2, false);
    g_free(src.data);
    qrtl_stop(d);
    unlink(good);
    unlink(bad);
}

int main(int argc, char **argv)
{
    GError *err = NULL;
    int ret;

    g_test_init(&argc, &argv, NULL);
    test_dir = g_dir_make_tmp("emunet-devstate-XXXXXX", &err);
    g_assert_no_error(err);
    g_test_add_func("/devstate/e1000/roundtrip", test_e1000_roundtrip);
    g_test_add_func("/devstate/e1000/incoming-fd", test_e1000_incoming_fd);
    g_test_add_func("/devstate/e1000/reject", test_reject);
    g_test_add_func("/devstate/e1000/incoming-corrupt", test_incoming_corrupt);
    g_test_add_func("/devstate/handoff-carried", test_handoff_carried);
    g_test_add_func("/devstate/rtl8139/cplus-roundtrip",
                    test_rtl8139_cplus_roundtrip);
    g_test_add_func("/devstate/rtl8139/c-roundtrip", test_rtl8139_c_roundtrip);
    g_test_add_func("/devstate/rtl8139/hostile", test_rtl8139_hostile);
    ret = g_test_run();
    rmdir(test_dir);
    g_free(test_dir);
    return ret;
}
