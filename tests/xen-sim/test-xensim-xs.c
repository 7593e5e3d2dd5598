/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim self-tests, xenstore side: Debian's real libxenstore (found
 * through $XENSTORED_PATH) against the simulator's xenstore server, plus
 * the raw wire protocol for what libxenstore never sends.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>
#include <xenstore.h>
#include <xentoolcore.h>

#include "xensim.h"

#define DOM 7

typedef struct Fixture {
    XenSim *sim;
    struct xs_handle *xs;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data)
{
    GError *err = NULL;

    f->sim = xensim_new(&err);
    g_assert_no_error(err);
    xensim_setenv(f->sim);
    g_assert_true(xensim_domain_create(f->sim, DOM, 1, 1 << 20, &err));
    g_assert_no_error(err);
    f->xs = xs_open(0);
    g_assert_nonnull(f->xs);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    xs_close(f->xs);
    xensim_free(f->sim);
}

static char *xs_get(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
    unsigned int len = 0;
    char *v = xs_read(xs, t, path, &len);

    if (v) {
        g_assert_cmpuint(strlen(v), ==, len);
    }
    return v;
}

static void assert_read(struct xs_handle *xs, const char *path,
                        const char *want)
{
    char *v = xs_get(xs, XBT_NULL, path);

    g_assert_cmpstr(v, ==, want);
    free(v);
}

/* The next watch event within `ms`, or NULL; *token gets its token. */
static char *next_event(struct xs_handle *xs, unsigned ms, char **token)
{
    struct pollfd p = {.fd = xs_fileno(xs), .events = POLLIN};
    char **ev = xs_check_watch(xs);
    char *path;

    if (!ev && poll(&p, 1, (int)ms) == 1) {
        ev = xs_check_watch(xs);
    }
    if (!ev) {
        return NULL;
    }
    path = g_strdup(ev[XS_WATCH_PATH]);
    if (token) {
        *token = g_strdup(ev[XS_WATCH_TOKEN]);
    }
    free(ev);
    return path;
}

static void expect_event(struct xs_handle *xs, const char *path,
                         const char *token)
{
    char *tok = NULL;
    char *p = next_event(xs, 2000, &tok);

    g_assert_cmpstr(p, ==, path);
    g_assert_cmpstr(tok, ==, token);
    g_free(p);
    g_free(tok);
}

static void expect_no_event(struct xs_handle *xs)
{
    char *p = next_event(xs, 100, NULL);

    g_assert_null(p);
}

static void test_xs_basic(Fixture *f, gconstpointer data)
{
    const char *state = "/local/domain/7/device/vif/0/state";
    struct xs_permissions perms[2] =
        {
            {.id = DOM, .perms = XS_PERM_NONE},
            {.id = 0, .perms = XS_PERM_READ | XS_PERM_WRITE},
        },
                          *got;
    unsigned int n, i;
    char **dir, *v, *big;
    gchar **cperms;

    g_assert_true(xs_write(f->xs, XBT_NULL, state, "1", 1));
    assert_read(f->xs, state, "1");
    /* Relative paths are under the client's domain, dom0. */
    g_assert_true(
        xs_write(f->xs, XBT_NULL, "device-model/7/state", "running", 7));
    v = xensim_xs_read(f->sim, "/local/domain/0/device-model/7/state");
    g_assert_cmpstr(v, ==, "running");
    g_free(v);
    errno = 0;
    g_assert_null(xs_get(f->xs, XBT_NULL, "/local/domain/7/nothing"));
    g_assert_cmpint(errno, ==, ENOENT);
    /* Parents were created, with empty values. */
    assert_read(f->xs, "/local/domain/7/device/vif", "");
    dir = xs_directory(f->xs, XBT_NULL, "/local/domain/7/device/vif", &n);
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmpstr(dir[0], ==, "0");
    free(dir);
    g_assert_null(xs_directory(f->xs, XBT_NULL, "/nothing", &n));
    g_assert_cmpint(errno, ==, ENOENT);
    g_assert_true(xs_mkdir(f->xs, XBT_NULL, "/local/domain/7/device"));
    assert_read(f->xs, state, "1");
    g_assert_true(xs_mkdir(f->xs, XBT_NULL, "/local/domain/7/data"));
    assert_read(f->xs, "/local/domain/7/data", "");
    /* Empty and long values. */
    g_assert_true(xs_write(f->xs, XBT_NULL, "/local/domain/7/data/e", "", 0));
    assert_read(f->xs, "/local/domain/7/data/e", "");
    big = g_strnfill(3000, 'x');
    g_assert_true(
        xs_write(f->xs, XBT_NULL, "/local/domain/7/data/big", big, 3000));
    assert_read(f->xs, "/local/domain/7/data/big", big);
    g_free(big);
    /* Malformed paths. */
    g_assert_false(xs_write(f->xs, XBT_NULL, "/local//x", "1", 1));
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_false(xs_write(f->xs, XBT_NULL, "/local/x y", "1", 1));
    g_assert_cmpint(errno, ==, EINVAL);
    /* rm: recursive; a missing node is fine if its parent exists. */
    g_assert_true(xs_rm(f->xs, XBT_NULL, "/local/domain/7/device"));
    g_assert_null(xs_get(f->xs, XBT_NULL, state));
    g_assert_true(xs_rm(f->xs, XBT_NULL, "/local/domain/7/device"));
    g_assert_false(xs_rm(f->xs, XBT_NULL, "/nothing/here"));
    g_assert_cmpint(errno, ==, ENOENT);
    g_assert_false(xs_rm(f->xs, XBT_NULL, "/"));

    v = xs_get_domain_path(f->xs, DOM);
    g_assert_cmpstr(v, ==, "/local/domain/7");
    free(v);
    g_assert_true(xs_is_domain_introduced(f->xs, DOM));
    g_assert_false(xs_is_domain_introduced(f->xs, 99));

    /* Permissions: owner first ("n7"), then the ACL. */
    g_assert_true(
        xs_set_permissions(f->xs, XBT_NULL, "/local/domain/7/data", perms, 2));
    got = xs_get_permissions(f->xs, XBT_NULL, "/local/domain/7/data", &n);
    g_assert_nonnull(got);
    g_assert_cmpuint(n, ==, 2);
    g_assert_cmpuint(got[0].id, ==, DOM);
    g_assert_cmpuint(got[1].perms, ==, XS_PERM_READ | XS_PERM_WRITE);
    free(got);
    cperms = xensim_xs_get_perms(f->sim, "/local/domain/7/data");
    g_assert_cmpstr(cperms[0], ==, "n7");
    g_assert_cmpstr(cperms[1], ==, "b0");
    g_strfreev(cperms);
    /* New children inherit their parent's permissions. */
    g_assert_true(xs_write(f->xs, XBT_NULL, "/local/domain/7/data/k", "v", 1));
    cperms = xensim_xs_get_perms(f->sim, "/local/domain/7/data/k");
    g_assert_cmpstr(cperms[0], ==, "n7");
    g_strfreev(cperms);

    /* More children than fit a reply: libxenstore's DIRECTORY_PART path */
    for (i = 0; i < 300; i++) {
        char *p = g_strdup_printf("/many/child-with-a-long-name-%03u", i);

        g_assert_true(xensim_xs_write(f->sim, p, "1"));
        g_free(p);
    }
    dir = xs_directory(f->xs, XBT_NULL, "/many", &n);
    g_assert_nonnull(dir);
    g_assert_cmpuint(n, ==, 300);
    g_assert_cmpstr(dir[299], ==, "child-with-a-long-name-299");
    free(dir);
}

static void test_xs_watch(Fixture *f, gconstpointer data)
{
    const char *state = "/local/domain/7/device/vif/0/state";
    GError *err = NULL;

    g_assert_true(xs_watch(f->xs, state, "vif"));
    /* Every new watch fires once. */
    expect_event(f->xs, state, "vif");
    g_assert_true(xensim_xs_has_watch(f->sim, state));
    g_assert_false(xs_watch(f->xs, state, "vif"));
    g_assert_cmpint(errno, ==, EEXIST);
    g_assert_true(xensim_xs_write(f->sim, state, "4"));
    expect_event(f->xs, state, "vif");
    /* Writes elsewhere, even to the parent, do not fire it. */
    g_assert_true(
        xensim_xs_write(f->sim, "/local/domain/7/device/vif/0/x", "1"));
    g_assert_true(xensim_xs_write(f->sim, "/local/domain/7/device/vif/0", "1"));
    expect_no_event(f->xs);
    /* Removing an ancestor fires watches below it, with their path. */
    g_assert_true(xs_rm(f->xs, XBT_NULL, "/local/domain/7/device"));
    expect_event(f->xs, state, "vif");
    /* A watch on a directory sees its subtree. */
    g_assert_true(xs_watch(f->xs, "/backend", "be"));
    expect_event(f->xs, "/backend", "be");
    g_assert_true(xensim_xs_write(f->sim, "/backend/vif/7/0/mac", "aa"));
    expect_event(f->xs, "/backend/vif/7/0/mac", "be");
    /* Relative watches get relative paths. */
    g_assert_true(xs_watch(f->xs, "device-model/7", "dm"));
    expect_event(f->xs, "device-model/7", "dm");
    g_assert_true(xensim_xs_write(
        f->sim, "/local/domain/0/device-model/7/state", "running"));
    expect_event(f->xs, "device-model/7/state", "dm");
    g_assert_true(xs_unwatch(f->xs, "device-model/7", "dm"));
    g_assert_false(xs_unwatch(f->xs, "device-model/7", "dm"));
    g_assert_cmpint(errno, ==, ENOENT);
    g_assert_true(
        xensim_xs_write(f->sim, "/local/domain/0/device-model/7/state", "x"));
    expect_no_event(f->xs);
    g_assert_true(xs_unwatch(f->xs, "/backend", "be"));
    g_assert_true(xs_unwatch(f->xs, state, "vif"));
    /* Domain introduction and release. */
    g_assert_true(xs_watch(f->xs, "@introduceDomain", "in"));
    expect_event(f->xs, "@introduceDomain", "in");
    g_assert_true(xs_watch(f->xs, "@releaseDomain", "out"));
    expect_event(f->xs, "@releaseDomain", "out");
    g_assert_true(xensim_domain_create(f->sim, 8, 1, 1 << 20, &err));
    expect_event(f->xs, "@introduceDomain", "in");
    g_assert_true(xensim_domain_destroy(f->sim, 8));
    expect_event(f->xs, "@releaseDomain", "out");
    expect_no_event(f->xs);
}

static void test_xs_transaction(Fixture *f, gconstpointer data)
{
    xs_transaction_t t;
    char *v;

    g_assert_true(xs_watch(f->xs, "/tx", "tx"));
    expect_event(f->xs, "/tx", "tx");
    t = xs_transaction_start(f->xs);
    g_assert_cmpuint(t, !=, XBT_NULL);
    g_assert_true(xs_write(f->xs, t, "/tx/a", "1", 1));
    v = xs_get(f->xs, t, "/tx/a");
    g_assert_cmpstr(v, ==, "1");
    free(v);
    g_assert_null(xs_get(f->xs, XBT_NULL, "/tx/a"));
    expect_no_event(f->xs);
    g_assert_true(xs_transaction_end(f->xs, t, false));
    expect_event(f->xs, "/tx/a", "tx");
    assert_read(f->xs, "/tx/a", "1");

    /* Someone changed what the transaction read: EAGAIN, nothing done. */
    t = xs_transaction_start(f->xs);
    v = xs_get(f->xs, t, "/tx/a");
    free(v);
    g_assert_true(xensim_xs_write(f->sim, "/tx/a", "2"));
    expect_event(f->xs, "/tx/a", "tx");
    g_assert_true(xs_write(f->xs, t, "/tx/b", "x", 1));
    g_assert_false(xs_transaction_end(f->xs, t, false));
    g_assert_cmpint(errno, ==, EAGAIN);
    g_assert_null(xs_get(f->xs, XBT_NULL, "/tx/b"));
    expect_no_event(f->xs);

    /* Unrelated changes do not conflict. */
    t = xs_transaction_start(f->xs);
    v = xs_get(f->xs, t, "/tx/a");
    g_assert_cmpstr(v, ==, "2");
    free(v);
    g_assert_true(xensim_xs_write(f->sim, "/elsewhere", "z"));
    g_assert_true(xs_write(f->xs, t, "/tx/c", "3", 1));
    g_assert_true(xs_rm(f->xs, t, "/tx/a"));
    g_assert_true(xs_transaction_end(f->xs, t, false));
    assert_read(f->xs, "/tx/c", "3");
    g_assert_null(xs_get(f->xs, XBT_NULL, "/tx/a"));
    expect_event(f->xs, "/tx/c", "tx");
    expect_event(f->xs, "/tx/a", "tx");

    /* Abort discards. */
    t = xs_transaction_start(f->xs);
    g_assert_true(xs_write(f->xs, t, "/tx/d", "4", 1));
    g_assert_true(xs_transaction_end(f->xs, t, true));
    g_assert_null(xs_get(f->xs, XBT_NULL, "/tx/d"));
    /* A finished transaction is gone. */
    g_assert_false(xs_write(f->xs, t, "/tx/e", "5", 1));
    g_assert_cmpint(errno, ==, ENOENT);
    expect_no_event(f->xs);
}

static void test_xs_c_api(Fixture *f, gconstpointer data)
{
    const char *perms[] = {"n0", "r7", NULL};
    const char *bad[] = {"x0", NULL};
    gchar **dir, **p;

    g_assert_true(xensim_xs_write(f->sim, "/backend/vif/7/0/bridge", "xenbr0"));
    g_assert_true(xensim_xs_mkdir(f->sim, "/backend/vif/7/1"));
    dir = xensim_xs_directory(f->sim, "/backend/vif/7");
    g_assert_cmpuint(g_strv_length(dir), ==, 2);
    g_strfreev(dir);
    g_assert_null(xensim_xs_directory(f->sim, "/nothing"));
    g_assert_true(xensim_xs_set_perms(f->sim, "/backend", perms));
    p = xensim_xs_get_perms(f->sim, "/backend");
    g_assert_cmpuint(g_strv_length(p), ==, 2);
    g_assert_cmpstr(p[1], ==, "r7");
    g_strfreev(p);
    g_assert_false(xensim_xs_set_perms(f->sim, "/backend", bad));
    g_assert_false(xensim_xs_write(f->sim, "bad//path", "1"));
    g_assert_true(
        xensim_xs_wait(f->sim, "/backend/vif/7/0/bridge", "xenbr0", 0));
    g_assert_false(
        xensim_xs_wait(f->sim, "/backend/vif/7/0/bridge", "other", 50));
    /* The default domain node exists with the toolstack's permissions. */
    p = xensim_xs_get_perms(f->sim, "/local/domain/7");
    g_assert_cmpstr(p[0], ==, "n0");
    g_assert_cmpstr(p[1], ==, "r7");
    g_strfreev(p);
    g_assert_true(xensim_xs_rm(f->sim, "/backend"));
    g_assert_true(xensim_xs_wait(f->sim, "/backend", NULL, 0));
}

static gpointer writer_thread(gpointer opaque)
{
    XenSim *sim = opaque;

    g_usleep(50000);
    xensim_xs_write(sim, "/local/domain/0/device-model/7/state", "running");
    return NULL;
}

static void test_xs_wait(Fixture *f, gconstpointer data)
{
    GThread *t = g_thread_new("writer", writer_thread, f->sim);

    g_assert_true(xensim_xs_wait(f->sim, "/local/domain/0/device-model/7/state",
                                 "running", 5000));
    g_thread_join(t);
}

static void test_xs_disconnect(Fixture *f, gconstpointer data)
{
    struct xs_handle *h2;

    assert_read(f->xs, "/local/domain/7", "");
    g_assert_cmpuint(xensim_xs_connections(f->sim), ==, 1);
    xensim_xs_disconnect_all(f->sim, true);
    g_assert_null(xs_get(f->xs, XBT_NULL, "/local/domain/7"));
    g_assert_null(xs_open(0));
    xensim_xs_disconnect_all(f->sim, false);
    h2 = xs_open(0);
    g_assert_nonnull(h2);
    assert_read(h2, "/local/domain/7", "");
    xs_close(h2);
}

/* Debian's libxenstore registers with (our) libxentoolcore. */
static void test_xs_restrict(Fixture *f, gconstpointer data)
{
    assert_read(f->xs, "/local/domain/7", "");
    g_assert_cmpint(xentoolcore_restrict_all(DOM), ==, 0);
    g_assert_null(xs_get(f->xs, XBT_NULL, "/local/domain/7"));
}

/* ---- raw wire protocol ---- */

static int raw_connect(XenSim *sim)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_strlcpy(sa.sun_path, xensim_xenstore_path(sim), sizeof(sa.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    return fd;
}

/* Send one message; false if the server already hung up. */
static bool raw_send(int fd, uint32_t type, uint32_t tx, const void *data,
                     size_t len)
{
    struct xsd_sockmsg h = {
        .type = type, .req_id = 42, .tx_id = tx, .len = (uint32_t)len};

    if (send(fd, &h, sizeof(h), MSG_NOSIGNAL) != sizeof(h)) {
        return false;
    }
    return !len || send(fd, data, len, MSG_NOSIGNAL) == (ssize_t)len;
}

/* Read one reply; returns its payload (g_free), type in *type. */
static char *raw_recv(int fd, uint32_t *type, uint32_t *len)
{
    struct xsd_sockmsg h;
    char *p;
    size_t got = 0;

    g_assert_cmpint(recv(fd, &h, sizeof(h), MSG_WAITALL), ==, sizeof(h));
    g_assert_cmpuint(h.req_id, ==, 42);
    p = g_malloc0(h.len + 1);
    while (got < h.len) {
        ssize_t n = recv(fd, p + got, h.len - got, 0);

        g_assert_cmpint(n, >, 0);
        got += (size_t)n;
    }
    *type = h.type;
    *len = h.len;
    return p;
}

static void test_xs_raw(Fixture *f, gconstpointer data)
{
    int fd = raw_connect(f->sim);
    char big[5000];
    uint32_t type, len;
    char *p;

    /* A path without its NUL */
    g_assert_true(raw_send(fd, XS_READ, 0, "/local", 6));
    p = raw_recv(fd, &type, &len);
    g_assert_cmpuint(type, ==, XS_ERROR);
    g_assert_cmpstr(p, ==, "EINVAL");
    g_free(p);
    g_assert_true(raw_send(fd, 99, 0, "x", 2));
    p = raw_recv(fd, &type, &len);
    g_assert_cmpuint(type, ==, XS_ERROR);
    g_free(p);
    /* READ replies carry no NUL. */
    xensim_xs_write(f->sim, "/k", "value");
    g_assert_true(raw_send(fd, XS_READ, 0, "/k", 3));
    p = raw_recv(fd, &type, &len);
    g_assert_cmpuint(type, ==, XS_READ);
    g_assert_cmpuint(len, ==, 5);
    g_free(p);
    /* DIRECTORY_PART: generation, children, empty string at the end */
    g_assert_true(raw_send(fd, XS_DIRECTORY_PART, 0,
                           "/local/domain\0"
                           "0",
                           16));
    p = raw_recv(fd, &type, &len);
    g_assert_cmpuint(type, ==, XS_DIRECTORY_PART);
    g_assert_cmpuint(p[len - 1], ==, '\0');
    g_assert_cmpuint(p[len - 2], ==, '\0');
    g_free(p);
    /* Transactions: an unknown id, a nested start */
    g_assert_true(raw_send(fd, XS_READ, 1234, "/k", 3));
    p = raw_recv(fd, &type, &len);
    g_assert_cmpstr(p, ==, "ENOENT");
    g_free(p);
    g_assert_true(raw_send(fd, XS_TRANSACTION_START, 1234, "", 1));
    p = raw_recv(fd, &type, &len);
    g_assert_cmpstr(p, ==, "EBUSY");
    g_free(p);
    /* Oversized payloads get the client dropped. */
    memset(big, 'a', sizeof(big));
    raw_send(fd, XS_WRITE, 0, big, sizeof(big));
    g_assert_cmpint(recv(fd, &type, sizeof(type), 0), <=, 0);
    close(fd);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn)                                                          \
    g_test_add("/xen-sim/xs/" path, Fixture, NULL, fixture_setup, fn,          \
               fixture_teardown)
    ADD("basic", test_xs_basic);
    ADD("watch", test_xs_watch);
    ADD("transaction", test_xs_transaction);
    ADD("c-api", test_xs_c_api);
    ADD("wait", test_xs_wait);
    ADD("disconnect", test_xs_disconnect);
    ADD("restrict", test_xs_restrict);
    ADD("raw", test_xs_raw);
#undef ADD
    return g_test_run();
}
