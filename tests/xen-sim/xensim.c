/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim core: lifecycle, the service thread (one poll loop over the
 * library socket, its connections, event channel sockets and the xenstore
 * server) and request dispatch with fault injection.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "xensim-priv.h"

/* Xenstore pollfds per loop turn (listener + clients). */
#define SIM_MAX_XS_POLL 256

enum { TAG_WAKE, TAG_LISTEN, TAG_CONN, TAG_EVT, TAG_XS };

typedef struct SimPollTag {
    int kind;
    void *ptr;
} SimPollTag;

_Static_assert(sizeof(ioreq_t) == 32, "ioreq_t layout");

static uint8_t *ioreq_flags(const ioreq_t *p)
{
    return (uint8_t *)p + SIM_IOREQ_FLAGS_OFF;
}

unsigned sim_ioreq_state(const ioreq_t *p)
{
    return __atomic_load_n(ioreq_flags(p), __ATOMIC_ACQUIRE) & 0xf;
}

void sim_ioreq_set_state(ioreq_t *p, unsigned state)
{
    uint8_t *f = ioreq_flags(p);
    uint8_t v = __atomic_load_n(f, __ATOMIC_RELAXED);

    __atomic_store_n(f, (uint8_t)((v & 0xf0) | (state & 0xf)),
                     __ATOMIC_RELEASE);
}

/* The bitfield order is the compiler's; check it once, host-side. */
static void sim_check_ioreq_abi(void)
{
    ioreq_t r;

    memset(&r, 0, sizeof(r));
    r.state = STATE_IORESP_READY;
    r.dir = IOREQ_READ;
    r.type = IOREQ_TYPE_COPY;
    g_assert_cmpuint(*ioreq_flags(&r), ==, STATE_IORESP_READY | 0x20);
    g_assert_cmpuint(((uint8_t *)&r)[31], ==, IOREQ_TYPE_COPY);
}

void sim_changed(XenSim *sim)
{
    g_cond_broadcast(&sim->cond);
}

SimDomain *sim_domain(XenSim *sim, uint16_t domid)
{
    SimDomain *d = g_hash_table_lookup(sim->domains, GUINT_TO_POINTER(domid));

    return d && !d->dead ? d : NULL;
}

void sim_crash(SimDomain *d, const char *fmt, ...)
{
    va_list ap;

    if (d->crash_reason) {
        return;
    }
    va_start(ap, fmt);
    d->crash_reason = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_message("xen-sim: domain %u crashed: %s", d->domid, d->crash_reason);
}

/* ---- library connections ---- */

static void sim_conn_free(XenSim *sim, SimConn *c)
{
    if (c->evt) {
        sim_evt_user_unref(sim, c->evt);
    }
    if (c->fd >= 0) {
        close(c->fd);
    }
    g_free(c);
}

static void sim_accept(XenSim *sim)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    SimConn *c;
    int fd;

    fd = accept4(sim->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        return;
    }
    c = g_new0(SimConn, 1);
    c->fd = fd;
    c->restrict_domid = DOMID_INVALID;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
        c->pid = cred.pid;
    }
    g_ptr_array_add(sim->conns, c);
}

static int sim_evtchn_open(XenSim *sim, SimConn *c, int *out_fd)
{
    SimEvtUser *u;
    struct stat st;
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        return errno;
    }
    if (fstat(sv[1], &st) < 0) {
        close(sv[0]);
        close(sv[1]);
        return EIO;
    }
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    u = g_new0(SimEvtUser, 1);
    u->sock = sv[0];
    u->peer_ino = st.st_ino;
    u->restrict_domid = DOMID_INVALID;
    u->refs = 2;
    g_ptr_array_add(sim->evt_users, u);
    c->evt = u;
    *out_fd = sv[1];
    return 0;
}

static int sim_evtchn_fdopen(XenSim *sim, SimConn *c, int in_fd)
{
    struct stat st;
    guint i;

    if (in_fd < 0 || fstat(in_fd, &st) < 0) {
        return EBADF;
    }
    for (i = 0; i < sim->evt_users->len; i++) {
        SimEvtUser *u = g_ptr_array_index(sim->evt_users, i);

        if (!u->dead && u->peer_ino == st.st_ino) {
            u->refs++;
            c->evt = u;
            return 0;
        }
    }
    return EBADF;
}

static bool sim_op_is(XenSimOp op, XenSimOp first, XenSimOp last)
{
    return op >= first && op <= last;
}

/* Returns 0 or a positive errno for the reply. */
static int sim_dispatch(XenSim *sim, SimConn *c, const XenSimReq *req,
                        const uint8_t *payload, int in_fd, XenSimRsp *rsp,
                        uint8_t *out, int *out_fd, bool *close_out)
{
    XenSimOp op = req->op;

    if (op <= XENSIM_OP_NONE || op >= XENSIM_OP__COUNT ||
        op == XENSIM_OP_EVTCHN_PENDING) {
        return EINVAL;
    }
    sim->op_count[op]++;
    if (sim->fault[op].count) {
        if (sim->fault[op].skip) {
            sim->fault[op].skip--;
        } else {
            sim->fault[op].count--;
            return sim->fault[op].err;
        }
    }
    if (c->kind == XENSIM_OP_NONE) {
        if (op > XENSIM_OP_EVTCHN_FDOPEN ||
            req->arg[0] != XENSIM_PROTO_VERSION) {
            return EPROTO;
        }
        if (op == XENSIM_OP_EVTCHN_OPEN) {
            int err = sim_evtchn_open(sim, c, out_fd);

            *close_out = true;
            if (err) {
                return err;
            }
        } else if (op == XENSIM_OP_EVTCHN_FDOPEN) {
            int err = sim_evtchn_fdopen(sim, c, in_fd);

            if (err) {
                return err;
            }
            op = XENSIM_OP_EVTCHN_OPEN;
        }
        c->kind = op;
        return 0;
    }
    if (sim_op_is(op, XENSIM_OP_DM_CREATE_IOREQ_SERVER,
                  XENSIM_OP_DM_RESTRICT)) {
        if (c->kind != XENSIM_OP_DM_OPEN) {
            return EBADF;
        }
        return sim_dm_request(sim, c, req, payload, rsp, out, out_fd);
    }
    if (sim_op_is(op, XENSIM_OP_FMEM_MAP, XENSIM_OP_FMEM_RESTRICT)) {
        if (c->kind != XENSIM_OP_FMEM_OPEN) {
            return EBADF;
        }
        return sim_dm_request(sim, c, req, payload, rsp, out, out_fd);
    }
    if (sim_op_is(op, XENSIM_OP_EVTCHN_BIND_INTERDOMAIN,
                  XENSIM_OP_EVTCHN_RESTRICT)) {
        if (c->kind != XENSIM_OP_EVTCHN_OPEN || !c->evt) {
            return EBADF;
        }
        if (c->evt->dead) {
            return EBADF;
        }
        return sim_evtchn_request(sim, c, req, rsp);
    }
    return EINVAL;
}

static void sim_conn_readable(XenSim *sim, SimConn *c)
{
    union {
        struct cmsghdr hdr;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec iov = {.iov_base = sim->rxbuf, .iov_len = XENSIM_MSG_MAX};
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = ctl.buf,
        .msg_controllen = sizeof(ctl.buf),
    };
    XenSimReq req;
    XenSimRsp rsp;
    struct cmsghdr *cm;
    int in_fd = -1, out_fd = -1, err;
    bool close_out = false;
    ssize_t n;

    n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    for (cm = CMSG_FIRSTHDR(&msg); n > 0 && cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
            cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
            memcpy(&in_fd, CMSG_DATA(cm), sizeof(int));
        }
    }
    if (n < (ssize_t)sizeof(req) || (msg.msg_flags & MSG_TRUNC)) {
        c->dead = true;
        goto out;
    }
    memcpy(&req, sim->rxbuf, sizeof(req));
    if (req.len != (size_t)n - sizeof(req)) {
        c->dead = true;
        goto out;
    }
    memset(&rsp, 0, sizeof(rsp));
    err = sim_dispatch(sim, c, &req, sim->rxbuf + sizeof(req), in_fd, &rsp,
                       sim->txbuf + sizeof(rsp), &out_fd, &close_out);
    if (err) {
        memset(&rsp, 0, sizeof(rsp));
        rsp.err = err;
        if (out_fd >= 0 && close_out) {
            close(out_fd);
        }
        out_fd = -1;
    }
    memcpy(sim->txbuf, &rsp, sizeof(rsp));
    {
        struct iovec oiov = {
            .iov_base = sim->txbuf,
            .iov_len = sizeof(rsp) + rsp.len,
        };
        struct msghdr omsg = {.msg_iov = &oiov, .msg_iovlen = 1};

        if (out_fd >= 0) {
            memset(&ctl, 0, sizeof(ctl));
            omsg.msg_control = ctl.buf;
            omsg.msg_controllen = sizeof(ctl.buf);
            cm = CMSG_FIRSTHDR(&omsg);
            cm->cmsg_level = SOL_SOCKET;
            cm->cmsg_type = SCM_RIGHTS;
            cm->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(cm), &out_fd, sizeof(int));
        }
        if (sendmsg(c->fd, &omsg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
            c->dead = true;
        }
    }
    if (out_fd >= 0 && close_out) {
        close(out_fd);
    }
out:
    if (in_fd >= 0) {
        close(in_fd);
    }
}

/* ---- the service thread ---- */

static void sim_reap(XenSim *sim)
{
    guint i;

    for (i = sim->conns->len; i-- > 0;) {
        SimConn *c = g_ptr_array_index(sim->conns, i);

        if (c->dead) {
            g_ptr_array_remove_index(sim->conns, i);
            sim_conn_free(sim, c);
        }
    }
}

static gpointer sim_thread(gpointer opaque)
{
    XenSim *sim = opaque;
    GArray *pfds = g_array_new(FALSE, FALSE, sizeof(struct pollfd));
    GArray *tags = g_array_new(FALSE, FALSE, sizeof(SimPollTag));

    g_mutex_lock(&sim->lock);
    while (!sim->stop) {
        struct pollfd p = {.events = POLLIN};
        SimPollTag t;
        guint i;

        sim_reap(sim);
        g_array_set_size(pfds, 0);
        g_array_set_size(tags, 0);
        p.fd = sim->wake_fd;
        t = (SimPollTag){TAG_WAKE, NULL};
        g_array_append_val(pfds, p);
        g_array_append_val(tags, t);
        p.fd = sim->listen_fd;
        t = (SimPollTag){TAG_LISTEN, NULL};
        g_array_append_val(pfds, p);
        g_array_append_val(tags, t);
        for (i = 0; i < sim->conns->len; i++) {
            SimConn *c = g_ptr_array_index(sim->conns, i);

            p.fd = c->fd;
            t = (SimPollTag){TAG_CONN, c};
            g_array_append_val(pfds, p);
            g_array_append_val(tags, t);
        }
        for (i = 0; i < sim->evt_users->len; i++) {
            SimEvtUser *u = g_ptr_array_index(sim->evt_users, i);

            if (u->dead) {
                continue;
            }
            p.fd = u->sock;
            t = (SimPollTag){TAG_EVT, u};
            g_array_append_val(pfds, p);
            g_array_append_val(tags, t);
        }
        {
            struct pollfd xp[SIM_MAX_XS_POLL];
            void *xt[SIM_MAX_XS_POLL];
            unsigned j, n;

            n = xs_server_poll_fill(sim->xs, xp, xt, SIM_MAX_XS_POLL);
            for (j = 0; j < n; j++) {
                t = (SimPollTag){TAG_XS, xt[j]};
                g_array_append_val(pfds, xp[j]);
                g_array_append_val(tags, t);
            }
        }
        g_mutex_unlock(&sim->lock);
        if (poll((struct pollfd *)pfds->data, pfds->len, -1) < 0 &&
            errno != EINTR) {
            g_error("xen-sim: poll: %s", g_strerror(errno));
        }
        g_mutex_lock(&sim->lock);
        for (i = 0; i < pfds->len && !sim->stop; i++) {
            struct pollfd *pp = &g_array_index(pfds, struct pollfd, i);
            SimPollTag *tp = &g_array_index(tags, SimPollTag, i);

            if (!pp->revents) {
                continue;
            }
            switch (tp->kind) {
            case TAG_WAKE: {
                uint64_t v;

                if (read(sim->wake_fd, &v, sizeof(v)) < 0) {
                    /* Nothing to do: it only interrupts poll(). */
                }
                break;
            }
            case TAG_LISTEN:
                sim_accept(sim);
                break;
            case TAG_CONN: {
                SimConn *c = tp->ptr;

                if (c->dead) {
                    break;
                }
                if (pp->revents & POLLIN) {
                    sim_conn_readable(sim, c);
                } else {
                    c->dead = true;
                }
                break;
            }
            case TAG_EVT: {
                SimEvtUser *u = tp->ptr;

                if (u->dead) {
                    break;
                }
                if (pp->revents & POLLIN) {
                    sim_evt_user_readable(sim, u);
                } else {
                    sim_evt_user_kill(sim, u);
                }
                break;
            }
            default:
                xs_server_poll_handle(sim->xs, tp->ptr, pp->revents);
                break;
            }
        }
    }
    g_mutex_unlock(&sim->lock);
    g_array_free(pfds, TRUE);
    g_array_free(tags, TRUE);
    return NULL;
}

/* ---- lifecycle ---- */

static int sim_listen(const char *path, int type, GError **errp)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "socket path too long: %s", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 64) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot listen on %s: %s", path, g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

XenSim *xensim_new(GError **errp)
{
    XenSim *sim = g_new0(XenSim, 1);
    int xs_fd;

    sim_check_ioreq_abi();
    g_mutex_init(&sim->lock);
    g_cond_init(&sim->cond);
    sim->listen_fd = -1;
    sim->wake_fd = -1;
    sim->timeout_ms = 10000;
    sim->next_dom0_port = SIM_DOM0_PORT_BASE;
    sim->conns = g_ptr_array_new();
    sim->evt_users = g_ptr_array_new();
    sim->domains = g_hash_table_new(NULL, NULL);
    sim->graveyard = g_ptr_array_new();
    sim->dom0_ports = g_hash_table_new(NULL, NULL);
    sim->rxbuf = g_malloc(XENSIM_MSG_MAX);
    sim->txbuf = g_malloc(XENSIM_MSG_MAX);
    sim->dir = g_dir_make_tmp("xensim-XXXXXX", errp);
    if (!sim->dir) {
        xensim_free(sim);
        return NULL;
    }
    sim->sock_path = g_build_filename(sim->dir, "hypervisor", NULL);
    sim->xs_path = g_build_filename(sim->dir, "xenstored", NULL);
    sim->listen_fd = sim_listen(sim->sock_path, SOCK_SEQPACKET, errp);
    if (sim->listen_fd < 0) {
        xensim_free(sim);
        return NULL;
    }
    xs_fd = sim_listen(sim->xs_path, SOCK_STREAM, errp);
    if (xs_fd < 0) {
        xensim_free(sim);
        return NULL;
    }
    sim->xs = xs_server_new(sim, xs_fd);
    sim->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (sim->wake_fd < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "eventfd: %s", g_strerror(errno));
        xensim_free(sim);
        return NULL;
    }
    sim->thread = g_thread_new("xen-sim", sim_thread, sim);
    return sim;
}

void sim_wake(XenSim *sim)
{
    uint64_t one = 1;

    if (sim->wake_fd >= 0 && write(sim->wake_fd, &one, sizeof(one)) < 0) {
        /* The counter cannot overflow in practice; poll wakes anyway. */
    }
}

void xensim_free(XenSim *sim)
{
    GHashTableIter it;
    gpointer v;
    guint i;

    if (!sim) {
        return;
    }
    if (sim->thread) {
        g_mutex_lock(&sim->lock);
        sim->stop = true;
        sim_wake(sim);
        g_mutex_unlock(&sim->lock);
        g_thread_join(sim->thread);
    }
    g_mutex_lock(&sim->lock);
    g_hash_table_iter_init(&it, sim->domains);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        g_ptr_array_add(sim->graveyard, v);
    }
    g_hash_table_remove_all(sim->domains);
    for (i = 0; i < sim->graveyard->len; i++) {
        SimDomain *d = g_ptr_array_index(sim->graveyard, i);
        int id;

        for (id = 0; id < SIM_MAX_SERVERS; id++) {
            if (d->server[id]) {
                sim_server_free(sim, d, d->server[id]);
            }
        }
    }
    for (i = 0; i < sim->conns->len; i++) {
        sim_conn_free(sim, g_ptr_array_index(sim->conns, i));
    }
    g_ptr_array_set_size(sim->conns, 0);
    /* With the connections gone each user holds only its socket's
     * reference, so killing it frees it (and removes it from the array). */
    while (sim->evt_users->len) {
        sim_evt_user_kill(sim, g_ptr_array_index(sim->evt_users, 0));
    }
    g_mutex_unlock(&sim->lock);
    g_ptr_array_free(sim->evt_users, TRUE);
    g_ptr_array_free(sim->conns, TRUE);
    g_hash_table_iter_init(&it, sim->dom0_ports);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        g_free(v);
    }
    g_hash_table_destroy(sim->dom0_ports);
    for (i = 0; i < sim->graveyard->len; i++) {
        sim_domain_free(g_ptr_array_index(sim->graveyard, i));
    }
    g_ptr_array_free(sim->graveyard, TRUE);
    g_hash_table_destroy(sim->domains);
    if (sim->xs) {
        xs_server_free(sim->xs);
    }
    if (sim->listen_fd >= 0) {
        close(sim->listen_fd);
    }
    if (sim->wake_fd >= 0) {
        close(sim->wake_fd);
    }
    if (sim->sock_path) {
        g_unlink(sim->sock_path);
    }
    if (sim->xs_path) {
        g_unlink(sim->xs_path);
    }
    if (sim->dir) {
        g_rmdir(sim->dir);
    }
    g_free(sim->sock_path);
    g_free(sim->xs_path);
    g_free(sim->dir);
    g_free(sim->rxbuf);
    g_free(sim->txbuf);
    g_cond_clear(&sim->cond);
    g_mutex_clear(&sim->lock);
    g_free(sim);
}

const char *xensim_socket_path(XenSim *sim)
{
    return sim->sock_path;
}

const char *xensim_xenstore_path(XenSim *sim)
{
    return sim->xs_path;
}

void xensim_setenv(XenSim *sim)
{
    /* Plain setenv(): no other thread of ours reads the environment. */
    setenv(XENSIM_SOCKET_ENV, sim->sock_path, 1);
    setenv("XENSTORED_PATH", sim->xs_path, 1);
}

gchar **xensim_environ(XenSim *sim, gchar **envp)
{
    gchar **env = envp ? g_strdupv(envp) : g_get_environ();

    env = g_environ_setenv(env, XENSIM_SOCKET_ENV, sim->sock_path, TRUE);
    env = g_environ_setenv(env, "XENSTORED_PATH", sim->xs_path, TRUE);
    return env;
}

void xensim_set_timeout(XenSim *sim, unsigned ms)
{
    g_mutex_lock(&sim->lock);
    sim->timeout_ms = ms;
    g_mutex_unlock(&sim->lock);
}
