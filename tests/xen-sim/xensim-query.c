/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim test API: inspecting ioreq servers and the recorded effects of
 * DMOPs (interrupt levels, MSIs, dirty pages, memory types, shutdown).
 */
#include <string.h>

#include "xensim-priv.h"

static SimServer *query_server(XenSim *sim, uint16_t domid, int id)
{
    SimDomain *d = sim_domain(sim, domid);

    if (!d || id < 0 || id >= SIM_MAX_SERVERS) {
        return NULL;
    }
    return d->server[id];
}

bool xensim_server_info(XenSim *sim, uint16_t domid, int id,
                        XenSimServerInfo *info)
{
    SimDomain *d;
    SimServer *s;
    unsigned v;

    memset(info, 0, sizeof(*info));
    g_mutex_lock(&sim->lock);
    s = query_server(sim, domid, id);
    if (s) {
        d = sim_domain(sim, domid);
        info->enabled = s->enabled;
        info->bufioreq = s->bufioreq;
        info->nr_port_ranges = s->ranges[SIM_RANGE_PORT]->len;
        info->nr_mmio_ranges = s->ranges[SIM_RANGE_MEMORY]->len;
        info->nr_pcidevs = s->ranges[SIM_RANGE_PCI]->len;
        info->mapped_resource = s->pages == SIM_PAGES_RESOURCE;
        info->mapped_gfn = s->pages == SIM_PAGES_GFN;
        info->mem_type_claimed = s->mem_type_claimed;
        info->creator = s->creator;
        for (v = 0; v < d->nr_vcpus; v++) {
            SimPort *p = sim_port_find(sim, d, s->vcpu_port[v]);

            info->ports_bound += p && p->state == SIM_PORT_INTERDOMAIN;
        }
    }
    g_mutex_unlock(&sim->lock);
    return s != NULL;
}

unsigned xensim_server_count(XenSim *sim, uint16_t domid)
{
    SimDomain *d;
    unsigned n = 0;
    int id;

    g_mutex_lock(&sim->lock);
    d = sim_domain(sim, domid);
    for (id = 0; d && id < SIM_MAX_SERVERS; id++) {
        n += d->server[id] != NULL;
    }
    g_mutex_unlock(&sim->lock);
    return n;
}

bool xensim_server_claims(XenSim *sim, uint16_t domid, int id, bool is_mmio,
                          uint64_t start, uint64_t end)
{
    SimServer *s;
    bool r = false;

    g_mutex_lock(&sim->lock);
    s = query_server(sim, domid, id);
    if (s && start <= end) {
        r = sim_range_contains(
            s->ranges[is_mmio ? SIM_RANGE_MEMORY : SIM_RANGE_PORT], start, end);
    }
    g_mutex_unlock(&sim->lock);
    return r;
}

bool xensim_server_has_pcidev(XenSim *sim, uint16_t domid, int id, uint16_t seg,
                              uint8_t bus, uint8_t dev, uint8_t fn)
{
    uint64_t sbdf = XEN_DMOP_PCI_SBDF(seg, bus, dev & 0x1f, fn & 7);
    SimServer *s;
    bool r = false;

    g_mutex_lock(&sim->lock);
    s = query_server(sim, domid, id);
    if (s) {
        r = sim_range_contains(s->ranges[SIM_RANGE_PCI], sbdf, sbdf);
    }
    g_mutex_unlock(&sim->lock);
    return r;
}

static int query_ready_server(XenSim *sim, SimDomain *d, int min_id)
{
    int id;
    unsigned v;

    for (id = SIM_MAX_SERVERS - 1; id >= 0 && id >= min_id; id--) {
        SimServer *s = d->server[id];
        bool ready = s && s->enabled;

        for (v = 0; ready && v < d->nr_vcpus; v++) {
            SimPort *p = sim_port_find(sim, d, s->vcpu_port[v]);

            ready = p && p->state == SIM_PORT_INTERDOMAIN;
        }
        if (ready) {
            return id;
        }
    }
    return -1;
}

int xensim_wait_server_ready(XenSim *sim, uint16_t domid, int min_id,
                             unsigned timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    int id = -1;

    g_mutex_lock(&sim->lock);
    for (;;) {
        SimDomain *d = sim_domain(sim, domid);

        if (d) {
            id = query_ready_server(sim, d, min_id < 0 ? 0 : min_id);
        }
        if (id >= 0 || !g_cond_wait_until(&sim->cond, &sim->lock, deadline)) {
            break;
        }
    }
    g_mutex_unlock(&sim->lock);
    return id;
}

bool xensim_wait_no_servers(XenSim *sim, uint16_t domid, unsigned timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    bool none = false;

    g_mutex_lock(&sim->lock);
    for (;;) {
        SimDomain *d = sim_domain(sim, domid);
        int id;

        none = true;
        for (id = 0; d && id < SIM_MAX_SERVERS; id++) {
            if (d->server[id]) {
                none = false;
            }
        }
        if (none || !g_cond_wait_until(&sim->cond, &sim->lock, deadline)) {
            break;
        }
    }
    g_mutex_unlock(&sim->lock);
    return none;
}

bool xensim_server_destroy(XenSim *sim, uint16_t domid, int id)
{
    SimServer *s;

    g_mutex_lock(&sim->lock);
    s = query_server(sim, domid, id);
    if (s) {
        sim_server_free(sim, sim_domain(sim, domid), s);
    }
    g_mutex_unlock(&sim->lock);
    return s != NULL;
}

/* ---- recorded DMOP effects ---- */

/* Lock and find a live domain; on NULL the lock is already released. */
static SimDomain *query_lock(XenSim *sim, uint16_t domid)
{
    SimDomain *d;

    g_mutex_lock(&sim->lock);
    d = sim_domain(sim, domid);
    if (!d) {
        g_mutex_unlock(&sim->lock);
    }
    return d;
}

int xensim_intx_level(XenSim *sim, uint16_t domid, uint8_t dev, uint8_t intx)
{
    SimDomain *d;
    int r;

    if (dev > 31 || intx > 3) {
        return -1;
    }
    d = query_lock(sim, domid);
    if (!d) {
        return -1;
    }
    r = (int)d->intx_level[dev][intx];
    g_mutex_unlock(&sim->lock);
    return r;
}

unsigned xensim_intx_calls(XenSim *sim, uint16_t domid, uint8_t dev,
                           uint8_t intx)
{
    SimDomain *d;
    unsigned r;

    if (dev > 31 || intx > 3) {
        return 0;
    }
    d = query_lock(sim, domid);
    if (!d) {
        return 0u;
    }
    r = d->intx_calls[dev][intx];
    g_mutex_unlock(&sim->lock);
    return r;
}

unsigned xensim_intx_changes(XenSim *sim, uint16_t domid, uint8_t dev,
                             uint8_t intx)
{
    SimDomain *d;
    unsigned r;

    if (dev > 31 || intx > 3) {
        return 0;
    }
    d = query_lock(sim, domid);
    if (!d) {
        return 0u;
    }
    r = d->intx_changes[dev][intx];
    g_mutex_unlock(&sim->lock);
    return r;
}

bool xensim_intx_wait(XenSim *sim, uint16_t domid, uint8_t dev, uint8_t intx,
                      int level, unsigned timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    bool ok = false;

    if (dev > 31 || intx > 3) {
        return false;
    }
    g_mutex_lock(&sim->lock);
    for (;;) {
        SimDomain *d = sim_domain(sim, domid);

        ok = d && d->intx_level[dev][intx] == level;
        if (ok || !g_cond_wait_until(&sim->cond, &sim->lock, deadline)) {
            break;
        }
    }
    g_mutex_unlock(&sim->lock);
    return ok;
}

int xensim_gsi_level(XenSim *sim, uint16_t domid, unsigned gsi)
{
    SimDomain *d;
    int r;

    if (gsi >= SIM_NR_GSIS) {
        return -1;
    }
    d = query_lock(sim, domid);
    if (!d) {
        return -1;
    }
    r = (int)(d->gsi_count[gsi] > 0 || d->gsi_direct[gsi]);
    g_mutex_unlock(&sim->lock);
    return r;
}

/* The ISA IRQ level: set_isa_irq_level, or an asserted INTx whose link
 * ((dev + intx) & 3) is routed to it (__hvm_pci_intx_assert). */
static int query_isa_level(SimDomain *d, unsigned irq)
{
    unsigned dev, intx;

    if (d->isa_level[irq]) {
        return 1;
    }
    for (dev = 0; dev < 32; dev++) {
        for (intx = 0; intx < 4; intx++) {
            if (d->intx_level[dev][intx] && irq != 0 &&
                d->link_route[(dev + intx) & 3] == irq) {
                return 1;
            }
        }
    }
    return 0;
}

int xensim_isa_irq_level(XenSim *sim, uint16_t domid, unsigned irq)
{
    SimDomain *d;
    int r;

    if (irq > 15) {
        return -1;
    }
    d = query_lock(sim, domid);
    if (!d) {
        return -1;
    }
    r = query_isa_level(d, irq);
    g_mutex_unlock(&sim->lock);
    return r;
}

int xensim_pci_link_route(XenSim *sim, uint16_t domid, unsigned link)
{
    SimDomain *d;
    int r;

    if (link > 3) {
        return -1;
    }
    d = query_lock(sim, domid);
    if (!d) {
        return -1;
    }
    r = (int)d->link_route[link];
    g_mutex_unlock(&sim->lock);
    return r;
}

unsigned xensim_msi_count(XenSim *sim, uint16_t domid, uint64_t *addr,
                          uint32_t *data)
{
    SimDomain *d;
    unsigned n = 0;

    g_mutex_lock(&sim->lock);
    d = sim_domain(sim, domid);
    if (d) {
        n = d->msi_count;
        if (addr) {
            *addr = d->msi_addr;
        }
        if (data) {
            *data = d->msi_data;
        }
    }
    g_mutex_unlock(&sim->lock);
    return n;
}

bool xensim_page_modified(XenSim *sim, uint16_t domid, uint64_t gfn)
{
    SimDomain *d;
    bool r = false;

    g_mutex_lock(&sim->lock);
    d = sim_domain(sim, domid);
    if (d && gfn < d->ram_pages) {
        r = d->modified[gfn];
    }
    g_mutex_unlock(&sim->lock);
    return r;
}

void xensim_clear_modified(XenSim *sim, uint16_t domid)
{
    SimDomain *d;

    g_mutex_lock(&sim->lock);
    d = sim_domain(sim, domid);
    if (d) {
        memset(d->modified, 0, d->ram_pages);
    }
    g_mutex_unlock(&sim->lock);
}

int xensim_mem_type(XenSim *sim, uint16_t domid, uint64_t gfn)
{
    SimDomain *d;
    int r = -1;

    g_mutex_lock(&sim->lock);
    d = sim_domain(sim, domid);
    if (d && gfn < d->ram_pages) {
        r = d->mem_type[gfn];
    }
    g_mutex_unlock(&sim->lock);
    return r;
}

int xensim_shutdown_reason(XenSim *sim, uint16_t domid)
{
    SimDomain *d;
    int r;

    d = query_lock(sim, domid);
    if (!d) {
        return -1;
    }
    r = d->shutdown_reason;
    g_mutex_unlock(&sim->lock);
    return r;
}
