/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim domains (RAM in a memfd, vCPUs, destruction) and the test API's
 * fault injection and request accounting.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xensim-priv.h"

void sim_domain_free(SimDomain *d)
{
    if (d->mem && d->mem != MAP_FAILED) {
        munmap(d->mem, d->mem_size);
    }
    if (d->memfd >= 0) {
        close(d->memfd);
    }
    if (d->ports) {
        GHashTableIter it;
        gpointer v;

        g_hash_table_iter_init(&it, d->ports);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
            g_free(v);
        }
        g_hash_table_destroy(d->ports);
    }
    g_free(d->page_err);
    g_free(d->modified);
    g_free(d->mem_type);
    g_free(d->crash_reason);
    g_free(d->vcpu);
    g_free(d);
}

/* ---- domains ---- */

bool xensim_domain_create(XenSim *sim, uint16_t domid, unsigned vcpus,
                          uint64_t ram_bytes, GError **errp)
{
    SimDomain *d;
    uint64_t pages = (ram_bytes + SIM_PAGE_SIZE - 1) >> SIM_PAGE_SHIFT;
    char *name;

    if (domid == 0 || domid >= DOMID_FIRST_RESERVED || vcpus == 0 ||
        vcpus > SIM_MAX_VCPUS || pages == 0 || ram_bytes > SIM_MAX_RAM) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "bad domain parameters (domid %u, %u vCPUs, %" PRIu64
                    " bytes)",
                    domid, vcpus, ram_bytes);
        return false;
    }
    d = g_new0(SimDomain, 1);
    d->domid = domid;
    d->nr_vcpus = vcpus;
    d->ram_pages = pages;
    d->ram_size = pages << SIM_PAGE_SHIFT;
    d->mem_size =
        d->ram_size + SIM_MAX_SERVERS * SIM_SERVER_FRAMES * SIM_PAGE_SIZE;
    d->shutdown_reason = -1;
    name = g_strdup_printf("xensim-dom%u", domid);
    d->memfd = memfd_create(name, MFD_CLOEXEC);
    g_free(name);
    if (d->memfd < 0 || ftruncate(d->memfd, (off_t)d->mem_size) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "guest memory: %s", g_strerror(errno));
        sim_domain_free(d);
        return false;
    }
    d->mem = mmap(NULL, d->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                  d->memfd, 0);
    if (d->mem == MAP_FAILED) {
        d->mem = NULL;
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "guest memory: %s", g_strerror(errno));
        sim_domain_free(d);
        return false;
    }
    d->page_err = g_new0(int16_t, pages);
    d->modified = g_new0(uint8_t, pages);
    d->mem_type = g_new0(uint8_t, pages);
    d->ports = g_hash_table_new(NULL, NULL);
    d->next_port = SIM_GUEST_PORT_BASE;
    d->vcpu = g_new0(SimVcpu, vcpus);

    g_mutex_lock(&sim->lock);
    if (sim_domain(sim, domid)) {
        g_mutex_unlock(&sim->lock);
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_EXIST, "domain %u exists",
                    domid);
        sim_domain_free(d);
        return false;
    }
    g_hash_table_replace(sim->domains, GUINT_TO_POINTER(domid), d);
    xs_domain_event(sim->xs, domid, true);
    sim_changed(sim);
    g_mutex_unlock(&sim->lock);
    return true;
}

bool xensim_domain_destroy(XenSim *sim, uint16_t domid)
{
    SimDomain *d;
    GHashTableIter it;
    gpointer v;
    int id;

    g_mutex_lock(&sim->lock);
    d = sim_domain(sim, domid);
    if (!d) {
        g_mutex_unlock(&sim->lock);
        return false;
    }
    for (id = 0; id < SIM_MAX_SERVERS; id++) {
        if (d->server[id]) {
            sim_server_free(sim, d, d->server[id]);
        }
    }
    sim_vcpu_domain_gone(sim, d);
    /* Remaining guest ports close; their dom0 peers become unbound. */
    g_hash_table_iter_init(&it, d->ports);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        SimPort *p = v;

        if (p->state == SIM_PORT_INTERDOMAIN) {
            SimPort *peer = sim_port_find(sim, NULL, p->remote_port);

            if (peer) {
                peer->state = SIM_PORT_UNBOUND;
                peer->remote_dom = domid;
            }
        }
        g_free(p);
    }
    g_hash_table_remove_all(d->ports);
    d->dead = true;
    g_hash_table_remove(sim->domains, GUINT_TO_POINTER(domid));
    g_ptr_array_add(sim->graveyard, d);
    xs_domain_event(sim->xs, domid, false);
    sim_raise_virq(sim, VIRQ_DOM_EXC);
    sim_changed(sim);
    g_mutex_unlock(&sim->lock);
    return true;
}

void *xensim_guest_ram(XenSim *sim, uint16_t domid, uint64_t *size)
{
    SimDomain *d;
    void *p = NULL;

    g_mutex_lock(&sim->lock);
    d = sim_domain(sim, domid);
    if (d) {
        p = d->mem;
        if (size) {
            *size = d->ram_size;
        }
    }
    g_mutex_unlock(&sim->lock);
    return p;
}

static bool sim_mem_range(XenSim *sim, uint16_t domid, uint64_t gpa, size_t len,
                          uint8_t **p)
{
    SimDomain *d = sim_domain(sim, domid);

    if (!d || gpa > d->ram_size || len > d->ram_size - gpa) {
        return false;
    }
    *p = d->mem + gpa;
    return true;
}

bool xensim_memread(XenSim *sim, uint16_t domid, uint64_t gpa, void *buf,
                    size_t len)
{
    uint8_t *p;
    bool ok;

    g_mutex_lock(&sim->lock);
    ok = sim_mem_range(sim, domid, gpa, len, &p);
    if (ok) {
        memcpy(buf, p, len);
    }
    g_mutex_unlock(&sim->lock);
    return ok;
}

bool xensim_memwrite(XenSim *sim, uint16_t domid, uint64_t gpa, const void *buf,
                     size_t len)
{
    uint8_t *p;
    bool ok;

    g_mutex_lock(&sim->lock);
    ok = sim_mem_range(sim, domid, gpa, len, &p);
    if (ok) {
        memcpy(p, buf, len);
    }
    g_mutex_unlock(&sim->lock);
    return ok;
}

void xensim_domain_deny(XenSim *sim, uint16_t domid, bool deny)
{
    SimDomain *d;

    g_mutex_lock(&sim->lock);
    d = sim_domain(sim, domid);
    if (d) {
        d->deny = deny;
    }
    g_mutex_unlock(&sim->lock);
}

void xensim_set_page_error(XenSim *sim, uint16_t domid, uint64_t gfn,
                           uint64_t nr, int err)
{
    SimDomain *d;
    uint64_t i;

    g_mutex_lock(&sim->lock);
    d = sim_domain(sim, domid);
    for (i = 0; d && i < nr && gfn + i < d->ram_pages; i++) {
        d->page_err[gfn + i] = (int16_t)err;
    }
    g_mutex_unlock(&sim->lock);
}

char *xensim_crash_reason(XenSim *sim, uint16_t domid)
{
    SimDomain *d;
    char *r = NULL;

    g_mutex_lock(&sim->lock);
    d = sim_domain(sim, domid);
    if (d) {
        r = g_strdup(d->crash_reason);
    }
    g_mutex_unlock(&sim->lock);
    return r;
}

unsigned xensim_warnings(XenSim *sim, uint16_t domid)
{
    SimDomain *d;
    unsigned n = 0;

    g_mutex_lock(&sim->lock);
    d = sim_domain(sim, domid);
    if (d) {
        n = d->warnings;
    }
    g_mutex_unlock(&sim->lock);
    return n;
}

/* ---- fault injection and accounting ---- */

void xensim_inject_error(XenSim *sim, XenSimOp op, int err, unsigned skip,
                         unsigned count)
{
    guint i;

    g_return_if_fail(op > XENSIM_OP_NONE && op < XENSIM_OP__COUNT);
    g_mutex_lock(&sim->lock);
    if (op == XENSIM_OP_EVTCHN_PENDING) {
        uint32_t rec[2] = {XENSIM_EVTCHN_ERROR_MARK, (uint32_t)err};

        for (i = 0; i < sim->evt_users->len; i++) {
            SimEvtUser *u = g_ptr_array_index(sim->evt_users, i);

            if (!u->dead && send(u->sock, rec, sizeof(rec),
                                 MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
                g_message("xen-sim: cannot queue evtchn error: %s",
                          g_strerror(errno));
            }
        }
    } else {
        sim->fault[op].err = err;
        sim->fault[op].skip = skip;
        sim->fault[op].count = count;
    }
    g_mutex_unlock(&sim->lock);
}

void xensim_clear_errors(XenSim *sim)
{
    g_mutex_lock(&sim->lock);
    memset(sim->fault, 0, sizeof(sim->fault));
    g_mutex_unlock(&sim->lock);
}

unsigned xensim_op_count(XenSim *sim, XenSimOp op)
{
    unsigned n;

    g_return_val_if_fail(op > XENSIM_OP_NONE && op < XENSIM_OP__COUNT, 0);
    g_mutex_lock(&sim->lock);
    n = sim->op_count[op];
    g_mutex_unlock(&sim->lock);
    return n;
}
