/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim event channels. Two port spaces: each guest domain's (the
 * ioreq servers' per-vCPU and buffered ports, allocated unbound for dom0
 * as Xen's alloc_unbound_xen_event_channel does) and dom0's, where the
 * device model's evtchn handles bind. Delivery to dom0 follows the Linux
 * evtchn driver: an event masks the port and is queued on the handle's fd
 * once; more events while masked only mark it pending; a write of the
 * port unmasks it and re-delivers a pending event. Errno values are the
 * driver's (EACCES for restriction, ENOTCONN for a port the handle does
 * not own) and Xen's (ESRCH, EINVAL, EEXIST).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xensim-priv.h"

SimPort *sim_port_alloc(XenSim *sim, SimDomain *d)
{
    SimPort *p = g_new0(SimPort, 1);

    if (d) {
        p->dom = d->domid;
        p->port = d->next_port++;
        g_hash_table_replace(d->ports, GUINT_TO_POINTER(p->port), p);
    } else {
        p->port = sim->next_dom0_port++;
        g_hash_table_replace(sim->dom0_ports, GUINT_TO_POINTER(p->port), p);
    }
    return p;
}

SimPort *sim_port_find(XenSim *sim, SimDomain *d, uint32_t port)
{
    return g_hash_table_lookup(d ? d->ports : sim->dom0_ports,
                               GUINT_TO_POINTER(port));
}

void sim_port_free(XenSim *sim, SimDomain *d, SimPort *p)
{
    g_hash_table_remove(d ? d->ports : sim->dom0_ports,
                        GUINT_TO_POINTER(p->port));
    g_free(p);
}

/* Raise a dom0 port: queue it on its handle's fd unless masked. */
static void evtchn_deliver(XenSim *sim, SimPort *l)
{
    SimEvtUser *u = l->owner;
    uint32_t port = l->port;

    if (!u || u->dead) {
        return;
    }
    if (l->masked) {
        l->pending = true;
        return;
    }
    if (send(u->sock, &port, sizeof(port), MSG_DONTWAIT | MSG_NOSIGNAL) ==
        (ssize_t)sizeof(port)) {
        l->masked = true;
        l->pending = false;
    } else {
        l->pending = true;
    }
}

void sim_guest_notify(XenSim *sim, SimDomain *d, uint32_t port)
{
    SimPort *g = sim_port_find(sim, d, port);
    SimPort *l;

    if (!g || g->state != SIM_PORT_INTERDOMAIN) {
        /* Unbound: Xen drops the notification. */
        return;
    }
    l = sim_port_find(sim, NULL, g->remote_port);
    if (l) {
        evtchn_deliver(sim, l);
    }
}

void sim_raise_virq(XenSim *sim, int virq)
{
    SimPort *l;

    if (virq < 0 || virq >= NR_VIRQS || !sim->virq_port[virq]) {
        return;
    }
    l = sim_port_find(sim, NULL, sim->virq_port[virq]);
    if (l) {
        evtchn_deliver(sim, l);
    }
}

/* Close a dom0 port; an interdomain peer goes back to unbound for dom0. */
static void evtchn_close(XenSim *sim, SimPort *l)
{
    if (l->state == SIM_PORT_INTERDOMAIN) {
        SimDomain *d = sim_domain(sim, l->remote_dom);
        SimPort *g = d ? sim_port_find(sim, d, l->remote_port) : NULL;

        if (g && g->state == SIM_PORT_INTERDOMAIN &&
            g->remote_port == l->port) {
            g->state = SIM_PORT_UNBOUND;
            g->remote_dom = 0;
            g->remote_port = 0;
        }
    } else if (l->state == SIM_PORT_VIRQ) {
        sim->virq_port[l->virq] = 0;
    }
    sim_port_free(sim, NULL, l);
    sim_changed(sim);
}

void sim_evt_user_unref(XenSim *sim, SimEvtUser *u)
{
    if (--u->refs == 0) {
        g_ptr_array_remove(sim->evt_users, u);
        g_free(u);
    }
}

void sim_evt_user_kill(XenSim *sim, SimEvtUser *u)
{
    GPtrArray *owned = g_ptr_array_new();
    GHashTableIter it;
    gpointer v;
    guint i;

    if (u->dead) {
        g_ptr_array_free(owned, TRUE);
        return;
    }
    /* The file is closed: every port bound through it closes. */
    u->dead = true;
    close(u->sock);
    u->sock = -1;
    g_hash_table_iter_init(&it, sim->dom0_ports);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        if (((SimPort *)v)->owner == u) {
            g_ptr_array_add(owned, v);
        }
    }
    for (i = 0; i < owned->len; i++) {
        evtchn_close(sim, g_ptr_array_index(owned, i));
    }
    g_ptr_array_free(owned, TRUE);
    sim_evt_user_unref(sim, u);
}

void sim_evt_user_readable(XenSim *sim, SimEvtUser *u)
{
    for (;;) {
        uint32_t rec[2];
        ssize_t n = recv(u->sock, rec, sizeof(rec), MSG_DONTWAIT);
        SimPort *l;

        if (n == 0) {
            sim_evt_user_kill(sim, u);
            return;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                sim_evt_user_kill(sim, u);
            }
            return;
        }
        if (n != (ssize_t)sizeof(uint32_t)) {
            /* The driver rejects odd-sized writes; so do we. */
            continue;
        }
        l = sim_port_find(sim, NULL, rec[0]);
        if (!l || l->owner != u) {
            continue;
        }
        l->masked = false;
        if (l->pending) {
            l->pending = false;
            evtchn_deliver(sim, l);
        }
    }
}

static SimPort *evtchn_owned(XenSim *sim, SimEvtUser *u, uint64_t port)
{
    SimPort *l;

    if (port > UINT32_MAX) {
        return NULL;
    }
    l = sim_port_find(sim, NULL, (uint32_t)port);
    return l && l->owner == u ? l : NULL;
}

int sim_evtchn_request(XenSim *sim, SimConn *c, const XenSimReq *req,
                       XenSimRsp *rsp)
{
    SimEvtUser *u = c->evt;
    bool restricted = u->restrict_domid != DOMID_INVALID;
    SimDomain *d;
    SimPort *l, *g;

    switch (req->op) {
    case XENSIM_OP_EVTCHN_BIND_INTERDOMAIN:
        if (restricted && u->restrict_domid != req->arg[0]) {
            return EACCES;
        }
        d = req->arg[0] <= UINT16_MAX ? sim_domain(sim, req->arg[0]) : NULL;
        if (!d) {
            return ESRCH;
        }
        g = req->arg[1] <= UINT32_MAX
                ? sim_port_find(sim, d, (uint32_t)req->arg[1])
                : NULL;
        if (!g || g->state != SIM_PORT_UNBOUND || g->remote_dom != 0) {
            return EINVAL;
        }
        l = sim_port_alloc(sim, NULL);
        l->state = SIM_PORT_INTERDOMAIN;
        l->remote_dom = d->domid;
        l->remote_port = g->port;
        l->owner = u;
        g->state = SIM_PORT_INTERDOMAIN;
        g->remote_dom = 0;
        g->remote_port = l->port;
        /* Xen marks the new local port pending, in case notifications
         * were lost while it was unbound (evtchn_bind_interdomain). */
        evtchn_deliver(sim, l);
        rsp->ret[0] = l->port;
        sim_changed(sim);
        return 0;

    case XENSIM_OP_EVTCHN_BIND_UNBOUND_PORT:
        if (restricted) {
            return EACCES;
        }
        l = sim_port_alloc(sim, NULL);
        l->state = SIM_PORT_UNBOUND;
        l->remote_dom = (uint16_t)req->arg[0];
        l->owner = u;
        rsp->ret[0] = l->port;
        return 0;

    case XENSIM_OP_EVTCHN_BIND_VIRQ:
        if (restricted) {
            return EACCES;
        }
        if (req->arg[0] >= NR_VIRQS) {
            return EINVAL;
        }
        if (sim->virq_port[req->arg[0]]) {
            return EEXIST;
        }
        l = sim_port_alloc(sim, NULL);
        l->state = SIM_PORT_VIRQ;
        l->virq = (int)req->arg[0];
        l->owner = u;
        sim->virq_port[l->virq] = (int)l->port;
        rsp->ret[0] = l->port;
        return 0;

    case XENSIM_OP_EVTCHN_UNBIND:
        l = evtchn_owned(sim, u, req->arg[0]);
        if (!l) {
            return ENOTCONN;
        }
        evtchn_close(sim, l);
        return 0;

    case XENSIM_OP_EVTCHN_NOTIFY:
        l = evtchn_owned(sim, u, req->arg[0]);
        if (!l) {
            return ENOTCONN;
        }
        if (l->state == SIM_PORT_INTERDOMAIN) {
            d = sim_domain(sim, l->remote_dom);
            g = d ? sim_port_find(sim, d, l->remote_port) : NULL;
            if (g) {
                g->notify_count++;
                sim_changed(sim);
            }
        }
        return 0;

    case XENSIM_OP_EVTCHN_RESTRICT:
        if (restricted) {
            return EACCES;
        }
        if (req->arg[0] == 0 || req->arg[0] >= DOMID_FIRST_RESERVED) {
            return EINVAL;
        }
        u->restrict_domid = (uint16_t)req->arg[0];
        return 0;

    default:
        return EINVAL;
    }
}
