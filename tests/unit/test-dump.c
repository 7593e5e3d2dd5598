/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pcap tee (backends/dump.c, net_dump_attach) on a -netdev socket
 * backend over a socketpair: file format, snapshot length, both
 * directions, attach and detach while frames flow, offloaded frames
 * recorded finished, and a full disk (a tiny tmpfs in a mount namespace
 * of the test's own, and /dev/full) that costs records, never frames.
 */
#include <glib/gstdio.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "netbe-test.h"

typedef struct Rig {
    GMainContext *ctx;
    TestPeer p;
    NetBackend *be;
    /* The test's end of the stream. */
    int far;
    char *dir;
    char *path;
} Rig;

static void rig_up(Rig *r)
{
    g_autofree char *str = NULL;
    int sv[2];

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==,
                    0);
    r->far = sv[1];
    r->ctx = g_main_context_new();
    test_peer_init(&r->p);
    str = g_strdup_printf("socket,id=net0,fd=%d", sv[0]);
    r->be = test_backend_up(r->ctx, &r->p, str);
    r->dir = g_dir_make_tmp("emunet-dump-XXXXXX", NULL);
    g_assert_nonnull(r->dir);
    r->path = g_build_filename(r->dir, "cap.pcap", NULL);
}

static void rig_down(Rig *r)
{
    net_backend_free(r->be);
    close(r->far);
    test_peer_destroy(&r->p);
    g_main_context_unref(r->ctx);
    g_unlink(r->path);
    g_rmdir(r->dir);
    g_free(r->path);
    g_free(r->dir);
}

/* The far end sends frame `seq` of `len` bytes (stream framing). */
static void far_send(Rig *r, size_t len, uint32_t seq)
{
    g_autofree uint8_t *buf = g_malloc(len + 4);

    st32_be(buf, (uint32_t)len);
    test_fill_frame(buf + 4, len, seq);
    g_assert_cmpint(send(r->far, buf, len + 4, 0), ==, (ssize_t)(len + 4));
}

/* The far end receives one frame; returns its length. */
static size_t far_recv(Rig *r, uint8_t *buf, size_t cap)
{
    uint8_t hdr[4];
    size_t len;

    test_pump(r->ctx);
    g_assert_cmpint(recv(r->far, hdr, 4, MSG_WAITALL), ==, 4);
    len = ld32_be(hdr);
    g_assert_cmpuint(len, <=, cap);
    g_assert_cmpint(recv(r->far, buf, len, MSG_WAITALL), ==, (ssize_t)len);
    return len;
}

static GPtrArray *records_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
}

/* Both directions, in order, whole; file readable only by its owner. */
static void test_format(void)
{
    static const size_t lens[] = {ETH_ZLEN, 1514, 22, 9000};
    g_autoptr(GPtrArray) recs = records_new();
    g_autoptr(GArray) origs = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_autoptr(GError) err = NULL;
    uint8_t frame[9000];
    struct stat st;
    size_t i;
    Rig r;

    rig_up(&r);
    g_assert_true(net_dump_attach(r.be, r.path, 0, &err));
    g_assert_no_error(err);
    g_assert_cmpint(g_stat(r.path, &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 0777, ==, 0600);
    for (i = 0; i < G_N_ELEMENTS(lens); i++) {
        test_fill_frame(frame, lens[i], (uint32_t)i);
        g_assert_cmpint(test_peer_send(&r.p, frame, lens[i]), ==, NET_SEND_OK);
        far_send(&r, lens[i], (uint32_t)(100 + i));
        test_pump(r.ctx);
    }
    net_dump_detach(r.be);
    /* Detached: no longer recorded. */
    test_fill_frame(frame, 60, 99);
    g_assert_cmpint(test_peer_send(&r.p, frame, 60), ==, NET_SEND_OK);

    g_assert_cmpuint(test_pcap_read(r.path, recs, origs), ==, 65536);
    g_assert_cmpuint(recs->len, ==, 2 * G_N_ELEMENTS(lens));
    for (i = 0; i < G_N_ELEMENTS(lens); i++) {
        g_assert_true(test_frame_is(recs->pdata[2 * i], lens[i], (uint32_t)i));
        g_assert_true(test_frame_is(recs->pdata[2 * i + 1], lens[i],
                                    (uint32_t)(100 + i)));
        g_assert_cmpuint(g_array_index(origs, uint32_t, 2 * i), ==, lens[i]);
    }
    g_assert_cmpuint(r.p.frames->len, ==, G_N_ELEMENTS(lens));
    rig_down(&r);
}

/* maxlen= cuts records, not frames. */
static void test_snaplen(void)
{
    g_autoptr(GPtrArray) recs = records_new();
    g_autoptr(GArray) origs = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_autoptr(GError) err = NULL;
    uint8_t frame[1514], got[1514];
    Rig r;

    rig_up(&r);
    g_assert_true(net_dump_attach(r.be, r.path, 100, &err));
    test_fill_frame(frame, 60, 1);
    g_assert_cmpint(test_peer_send(&r.p, frame, 60), ==, NET_SEND_OK);
    test_fill_frame(frame, 1514, 2);
    g_assert_cmpint(test_peer_send(&r.p, frame, 1514), ==, NET_SEND_OK);
    g_assert_cmpuint(far_recv(&r, got, sizeof(got)), ==, 60);
    g_assert_cmpuint(far_recv(&r, got, sizeof(got)), ==, 1514);
    g_assert_cmpmem(got, 1514, frame, 1514);
    net_dump_detach(r.be);

    g_assert_cmpuint(test_pcap_read(r.path, recs, origs), ==, 100);
    g_assert_cmpuint(recs->len, ==, 2);
    g_assert_cmpuint(g_bytes_get_size(recs->pdata[0]), ==, 60);
    g_assert_cmpuint(g_bytes_get_size(recs->pdata[1]), ==, 100);
    g_assert_cmpuint(g_array_index(origs, uint32_t, 1), ==, 1514);
    g_assert_cmpmem(g_bytes_get_data(recs->pdata[1], NULL), 100, frame, 100);
    rig_down(&r);
}

static void test_attach_errors(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *want = NULL;
    g_autofree char *bad = NULL;
    Rig r;

    rig_up(&r);
    net_dump_detach(r.be);
    bad = g_build_filename(r.dir, "no", "such", "dir.pcap", NULL);
    g_assert_false(net_dump_attach(r.be, bad, 0, &err));
    want = g_strdup_printf("netdev net0: capture file %s: %s", bad,
                           g_strerror(ENOENT));
    g_assert_cmpstr(err->message, ==, want);
    g_clear_error(&err);

    g_assert_true(net_dump_attach(r.be, r.path, 0, &err));
    g_assert_false(net_dump_attach(r.be, bad, 0, &err));
    g_free(want);
    want = g_strdup_printf("netdev net0: already captured to %s", r.path);
    g_assert_cmpstr(err->message, ==, want);
    g_clear_error(&err);
    /* Freed with the backend. */
    rig_down(&r);
}

/* A full device at attach time: refused, with the reason. */
static void test_dev_full(void)
{
    g_autoptr(GError) err = NULL;
    Rig r;

    rig_up(&r);
    g_assert_false(net_dump_attach(r.be, "/dev/full", 0, &err));
    g_assert_cmpstr(err->message, ==,
                    "netdev net0: capture file /dev/full: No space left on "
                    "device");
    g_assert_null(r.be->dump);
    rig_down(&r);
}

/*
 * The disk fills while capturing: every frame still goes through, the
 * error is logged once, and the file holds whole records only.
 */
static void test_full_disk(void)
{
    g_autoptr(GPtrArray) recs = records_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *path = NULL;
    uint8_t frame[1000], got[1000];
    const guint n = 100;
    guint i;
    Rig r;

    rig_up(&r);
    g_assert_cmpint(mount("tmpfs", r.dir, "tmpfs", 0, "size=16k"), ==, 0);
    path = g_build_filename(r.dir, "full.pcap", NULL);
    g_assert_true(net_dump_attach(r.be, path, 0, &err));
    for (i = 0; i < n; i++) {
        test_fill_frame(frame, sizeof(frame), i);
        g_assert_cmpint(test_peer_send(&r.p, frame, sizeof(frame)), ==,
                        NET_SEND_OK);
        g_assert_cmpuint(far_recv(&r, got, sizeof(got)), ==, sizeof(frame));
        g_assert_cmpmem(got, sizeof(got), frame, sizeof(frame));
        far_send(&r, 200, i);
        test_pump(r.ctx);
    }
    g_assert_cmpuint(r.p.frames->len, ==, n);
    g_assert_cmpuint(r.be->stats.tx_frames, ==, n);
    g_assert_cmpuint(r.be->stats.rx_frames, ==, n);
    g_assert_cmpuint(r.be->stats.tx_errors + r.be->stats.tx_drops, ==, 0);
    net_dump_detach(r.be);

    /* Readable, and as much as fitted, whole. */
    test_pcap_read(path, recs, NULL);
    g_assert_cmpuint(recs->len, >, 0);
    g_assert_cmpuint(recs->len, <, 2 * n);
    g_assert_true(test_frame_is(recs->pdata[0], sizeof(frame), 0));
    g_assert_cmpint(umount(r.dir), ==, 0);
    rig_down(&r);
}

/*
 * A NIC that ignores net_peer_offload_ok(): the generic layer segments
 * for the stream backend, and the tee records the same finished frames.
 */
static void test_offload_finished(void)
{
    static uint8_t frame[20000];
    g_autoptr(GPtrArray) recs = records_new();
    g_autoptr(GError) err = NULL;
    const size_t plen = 10000, mss = 1000;
    NetOffload off = {
        .csum = true,
        .csum_start = ETH_HLEN + 20,
        .csum_offset = 16,
        .gso_type = NET_GSO_TCPV4,
        .gso_size = (uint16_t)mss,
        .hdr_len = ETH_HLEN + 40,
    };
    uint8_t payload[10000], got[2000];
    size_t len, i;
    Rig r;

    rig_up(&r);
    g_assert_false(net_peer_offload_ok(&r.p.nc));
    g_assert_true(net_dump_attach(r.be, r.path, 0, &err));
    for (i = 0; i < plen; i++) {
        payload[i] = (uint8_t)(i * 13);
    }
    len = test_build_tcp4(frame, test_mac_bcast, test_mac_guest, "10.0.0.2",
                          "10.0.0.1", 1000, 2000, 500, 1, TCP_ACK | TCP_PSH,
                          100, payload, plen);
    /* A TSO template: lengths and checksums left to the segmenter. */
    st16_be(frame + ETH_HLEN + 2, 0);
    st16_be(frame + ETH_HLEN + 10, 0);
    st16_be(frame + ETH_HLEN + 36, 0xbeef);
    g_assert_cmpint(test_peer_send_offload(&r.p, &off, frame, len), ==,
                    NET_SEND_OK);
    g_assert_cmpuint(r.be->stats.tx_frames, ==, plen / mss);
    for (i = 0; i < plen / mss; i++) {
        size_t n = far_recv(&r, got, sizeof(got));

        g_assert_cmpuint(n, ==, ETH_HLEN + 40 + mss);
        test_assert_csum_ok(got, n);
        g_assert_cmpuint(ld32_be(got + ETH_HLEN + 24), ==, 500 + i * mss);
        g_assert_cmpmem(got + ETH_HLEN + 40, mss, payload + i * mss, mss);
    }

    /* Checksum only: finished for both. */
    len = test_build_tcp4(frame, test_mac_bcast, test_mac_guest, "10.0.0.2",
                          "10.0.0.1", 1000, 2000, 1, 1, TCP_ACK, 100, payload,
                          333);
    off.gso_type = NET_GSO_NONE;
    st16_be(frame + ETH_HLEN + 36,
            (uint16_t)~net_csum_finish(
                net_pseudo_sum_v4(frame + ETH_HLEN + 12, frame + ETH_HLEN + 16,
                                  IP_PROTO_TCP, 20 + 333)));
    g_assert_cmpint(test_peer_send_offload(&r.p, &off, frame, len), ==,
                    NET_SEND_OK);
    test_assert_csum_ok(got, far_recv(&r, got, sizeof(got)));

    net_dump_detach(r.be);
    test_pcap_read(r.path, recs, NULL);
    g_assert_cmpuint(recs->len, ==, plen / mss + 1);
    for (i = 0; i < recs->len; i++) {
        size_t n;
        const uint8_t *f = g_bytes_get_data(recs->pdata[i], &n);

        test_assert_csum_ok(f, n);
    }
    rig_down(&r);
}

/* A mount namespace of its own for the tmpfs (no network needed). */
static void test_in_mount_ns(gconstpointer data)
{
    void (*fn)(void) = data;

    if (g_test_subprocess()) {
        g_assert_cmpint(unshare(CLONE_NEWNS), ==, 0);
        g_assert_cmpint(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), ==,
                        0);
        fn();
        return;
    }
    g_test_trap_subprocess(NULL, 60 * G_USEC_PER_SEC,
                           G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*full.pcap: No space left on device*");
    g_test_trap_assert_stderr_unmatched("*No space left*No space left*");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dump/format", test_format);
    g_test_add_func("/dump/snaplen", test_snaplen);
    g_test_add_func("/dump/attach-errors", test_attach_errors);
    g_test_add_func("/dump/dev-full", test_dev_full);
    g_test_add_func("/dump/offload-finished", test_offload_finished);
    g_test_add_data_func("/dump/full-disk", test_full_disk, test_in_mount_ns);
    return g_test_run();
}
