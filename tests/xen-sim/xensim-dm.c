/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim DMOPs and foreign memory: the hypervisor side of
 * libxendevicemodel and libxenforeignmemory. Checks and errno values
 * follow Xen 4.17 (xen/common/ioreq.c, xen/arch/x86/hvm/dm.c,
 * xen/common/memory.c) and Linux privcmd (restriction: EPERM on another
 * domain, EINVAL when re-restricting to a different one).
 */
#include <errno.h>
#include <string.h>

#include "xensim-priv.h"

/* ---- rangesets (Xen's rangeset: sorted, adjacent ranges merged) ---- */

bool sim_range_contains(GArray *r, uint64_t s, uint64_t e)
{
    guint i;

    for (i = 0; i < r->len; i++) {
        SimRange *x = &g_array_index(r, SimRange, i);

        if (x->s <= s && e <= x->e) {
            return true;
        }
    }
    return false;
}

static bool range_overlaps(GArray *r, uint64_t s, uint64_t e)
{
    guint i;

    for (i = 0; i < r->len; i++) {
        SimRange *x = &g_array_index(r, SimRange, i);

        if (x->s <= e && s <= x->e) {
            return true;
        }
    }
    return false;
}

/* Add a range that overlaps nothing; ENOMEM past the rangeset limit. */
static int range_add(GArray *r, uint64_t s, uint64_t e)
{
    SimRange n = {s, e};
    guint i;

    for (i = 0; i < r->len && g_array_index(r, SimRange, i).s < s; i++) {
        /* find the insertion point */
    }
    if (i > 0 && g_array_index(r, SimRange, i - 1).e + 1 == s) {
        n.s = g_array_index(r, SimRange, i - 1).s;
        g_array_remove_index(r, --i);
    }
    if (i < r->len && e != UINT64_MAX &&
        g_array_index(r, SimRange, i).s == e + 1) {
        n.e = g_array_index(r, SimRange, i).e;
        g_array_remove_index(r, i);
    }
    if (r->len >= SIM_MAX_IO_RANGES) {
        return ENOMEM;
    }
    g_array_insert_val(r, i, n);
    return 0;
}

/* Remove a range that one existing range contains (checked by caller). */
static void range_remove(GArray *r, uint64_t s, uint64_t e)
{
    guint i;

    for (i = 0; i < r->len; i++) {
        SimRange x = g_array_index(r, SimRange, i);

        if (x.s <= s && e <= x.e) {
            g_array_remove_index(r, i);
            if (e < x.e) {
                SimRange hi = {e + 1, x.e};

                g_array_insert_val(r, i, hi);
            }
            if (x.s < s) {
                SimRange lo = {x.s, s - 1};

                g_array_insert_val(r, i, lo);
            }
            return;
        }
    }
}

/* ---- servers ---- */

static SimServer *server_new(XenSim *sim, SimDomain *d, int id, int bufioreq,
                             pid_t creator)
{
    SimServer *s = g_new0(SimServer, 1);
    unsigned v, t;

    s->id = id;
    s->serial = ++sim->server_serial;
    s->bufioreq = bufioreq;
    s->creator = creator;
    for (t = 0; t < SIM_NR_RANGE_TYPES; t++) {
        s->ranges[t] = g_array_new(FALSE, FALSE, sizeof(SimRange));
    }
    /* Unbound ports for the emulator (dom0), as Xen allocates them. */
    s->vcpu_port = g_new0(uint32_t, d->nr_vcpus);
    for (v = 0; v < d->nr_vcpus; v++) {
        SimPort *p = sim_port_alloc(sim, d);

        p->state = SIM_PORT_UNBOUND;
        s->vcpu_port[v] = p->port;
    }
    if (bufioreq != HVM_IOREQSRV_BUFIOREQ_OFF) {
        SimPort *p = sim_port_alloc(sim, d);

        p->state = SIM_PORT_UNBOUND;
        s->buf_port = p->port;
    }
    s->frame_off =
        d->ram_size + (uint64_t)id * SIM_SERVER_FRAMES * SIM_PAGE_SIZE;
    s->bufpage = (buffered_iopage_t *)(d->mem + s->frame_off);
    s->iopage = (shared_iopage_t *)(d->mem + s->frame_off + SIM_PAGE_SIZE);
    /* Fresh pages, as Xen clears newly allocated ioreq pages. */
    memset(d->mem + s->frame_off, 0, SIM_SERVER_FRAMES * SIM_PAGE_SIZE);
    d->server[id] = s;
    return s;
}

static void server_close_port(XenSim *sim, SimDomain *d, uint32_t port)
{
    SimPort *g = sim_port_find(sim, d, port);

    if (!g) {
        return;
    }
    if (g->state == SIM_PORT_INTERDOMAIN) {
        SimPort *l = sim_port_find(sim, NULL, g->remote_port);

        /* The device model's port stays allocated, now unbound. */
        if (l) {
            l->state = SIM_PORT_UNBOUND;
            l->remote_dom = d->domid;
            l->remote_port = 0;
        }
    }
    sim_port_free(sim, d, g);
}

void sim_server_free(XenSim *sim, SimDomain *d, SimServer *s)
{
    unsigned v, t;

    s->enabled = false;
    sim_vcpu_server_gone(sim, d, s);
    for (v = 0; v < d->nr_vcpus; v++) {
        server_close_port(sim, d, s->vcpu_port[v]);
    }
    if (s->buf_port) {
        server_close_port(sim, d, s->buf_port);
    }
    for (t = 0; t < SIM_NR_RANGE_TYPES; t++) {
        g_array_free(s->ranges[t], TRUE);
    }
    d->server[s->id] = NULL;
    g_free(s->vcpu_port);
    g_free(s);
    sim_changed(sim);
}

static void server_set_enabled(SimDomain *d, SimServer *s, bool enabled)
{
    unsigned v;

    if (enabled && !s->enabled) {
        /* vp_eport is only written when the server is enabled
         * (hvm_ioreq_server_enable -> hvm_update_ioreq_evtchn). */
        for (v = 0; v < d->nr_vcpus; v++) {
            s->iopage->vcpu_ioreq[v].vp_eport = s->vcpu_port[v];
        }
    }
    s->enabled = enabled;
}

/* ---- request handling ---- */

/* Privcmd restriction, then rcu_lock_remote_domain_by_id, then XSM. */
static int dm_domain(XenSim *sim, SimConn *c, uint64_t domid, SimDomain **dp)
{
    SimDomain *d;

    if (c->restrict_domid != DOMID_INVALID && c->restrict_domid != domid) {
        return EPERM;
    }
    if (domid == 0) {
        return EPERM; /* not a remote domain */
    }
    d = domid <= UINT16_MAX ? sim_domain(sim, (uint16_t)domid) : NULL;
    if (!d) {
        return ESRCH;
    }
    if (d->deny) {
        return EPERM;
    }
    *dp = d;
    return 0;
}

static SimServer *dm_server(SimDomain *d, uint64_t id)
{
    return id < SIM_MAX_SERVERS ? d->server[id] : NULL;
}

/* PCI INTx (xen/arch/x86/hvm/irq.c): one bit per device/pin; a GSI
 * counts the asserted pins routed to it. */
static void dm_intx_set(SimDomain *d, unsigned dev, unsigned intx, bool level)
{
    unsigned gsi = ((dev * 4 + dev / 8 + intx) & 31) + 16;

    d->intx_calls[dev][intx]++;
    if (d->intx_level[dev][intx] == level) {
        return;
    }
    d->intx_level[dev][intx] = level;
    d->intx_changes[dev][intx]++;
    if (level) {
        d->gsi_count[gsi]++;
    } else {
        d->gsi_count[gsi]--;
    }
}

static bool dm_pfn_range_ok(SimDomain *d, uint64_t first, uint64_t nr)
{
    uint64_t last = d->ram_pages - 1;

    return first <= last && nr <= last - first + 1;
}

static int dm_fmem_map(XenSim *sim, SimConn *c, const XenSimReq *req,
                       const uint8_t *payload, XenSimRsp *rsp, uint8_t *out,
                       int *out_fd)
{
    uint64_t domid = req->arg[0], n = req->arg[1], i;
    int64_t *offs = (int64_t *)out;
    SimDomain *d = NULL;
    int perr = 0;

    if (n == 0 || n > XENSIM_MAP_CHUNK || req->len != n * sizeof(uint64_t)) {
        return EINVAL;
    }
    if (c->restrict_domid != DOMID_INVALID && c->restrict_domid != domid) {
        return EPERM;
    }
    d = domid && domid <= UINT16_MAX ? sim_domain(sim, (uint16_t)domid) : NULL;
    if (!d) {
        perr = ESRCH;
    } else if (d->deny) {
        perr = EPERM;
    }
    for (i = 0; i < n; i++) {
        uint64_t gfn;

        memcpy(&gfn, payload + i * sizeof(uint64_t), sizeof(gfn));
        if (perr) {
            offs[i] = -perr;
        } else if (gfn < d->ram_pages) {
            offs[i] = d->page_err[gfn] ? -(int64_t)d->page_err[gfn]
                                       : (int64_t)(gfn << SIM_PAGE_SHIFT);
        } else if (gfn >= SIM_IOREQ_GFN_BASE &&
                   gfn < SIM_IOREQ_GFN_BASE +
                             SIM_MAX_SERVERS * SIM_SERVER_FRAMES) {
            uint64_t k = gfn - SIM_IOREQ_GFN_BASE;
            SimServer *s = d->server[k / SIM_SERVER_FRAMES];

            /* In the p2m only while the server is disabled (Xen removes
             * the GFNs on enable), and only if get_info placed them. */
            if (s && s->pages == SIM_PAGES_GFN && !s->enabled &&
                (k % SIM_SERVER_FRAMES || s->bufioreq)) {
                offs[i] = (int64_t)(s->frame_off +
                                    (k % SIM_SERVER_FRAMES) * SIM_PAGE_SIZE);
            } else {
                offs[i] = -EINVAL;
            }
        } else {
            offs[i] = -EINVAL;
        }
    }
    rsp->len = (uint32_t)(n * sizeof(int64_t));
    if (d) {
        *out_fd = d->memfd;
    }
    return 0;
}

static int dm_fmem_resource(XenSim *sim, SimConn *c, const XenSimReq *req,
                            XenSimRsp *rsp, int *out_fd)
{
    const uint64_t *a = req->arg;
    SimDomain *d;
    SimServer *s;
    uint64_t idx;
    int err = dm_domain(sim, c, a[0], &d);

    if (err) {
        return err;
    }
    if (a[1] != XENMEM_resource_ioreq_server) {
        return EOPNOTSUPP;
    }
    if (a[4] == 0) {
        rsp->ret[0] = SIM_SERVER_FRAMES; /* size query */
        return 0;
    }
    s = dm_server(d, a[2]);
    if (!s) {
        return ENOENT;
    }
    if (s->pages == SIM_PAGES_GFN) {
        return EPERM; /* hvm_alloc_ioreq_mfn after a GFN mapping */
    }
    for (idx = a[3]; idx - a[3] < a[4]; idx++) {
        if (idx == XENMEM_resource_ioreq_server_frame_bufioreq &&
            s->bufioreq == HVM_IOREQSRV_BUFIOREQ_OFF) {
            return ENOENT;
        }
        if (idx > XENMEM_resource_ioreq_server_frame_ioreq(0)) {
            return EINVAL;
        }
    }
    s->pages = SIM_PAGES_RESOURCE;
    rsp->ret[0] = s->frame_off + a[3] * SIM_PAGE_SIZE;
    *out_fd = d->memfd;
    return 0;
}

static int dm_restrict(SimConn *c, uint64_t domid)
{
    if (c->restrict_domid == DOMID_INVALID) {
        c->restrict_domid = (uint16_t)domid;
        return 0;
    }
    return c->restrict_domid == domid ? 0 : EINVAL;
}

static int dm_server_op(XenSim *sim, SimConn *c, SimDomain *d,
                        const XenSimReq *req, XenSimRsp *rsp)
{
    const uint64_t *a = req->arg;
    SimServer *s;
    int id;

    switch (req->op) {
    case XENSIM_OP_DM_CREATE_IOREQ_SERVER:
        if ((uint8_t)a[1] > HVM_IOREQSRV_BUFIOREQ_ATOMIC) {
            return EINVAL;
        }
        for (id = 0; id < SIM_MAX_SERVERS && d->server[id]; id++) {
            /* first free id */
        }
        if (id == SIM_MAX_SERVERS) {
            return ENOSPC;
        }
        server_new(sim, d, id, (uint8_t)a[1], c->pid);
        rsp->ret[0] = (uint64_t)id;
        sim_changed(sim);
        return 0;

    case XENSIM_OP_DM_GET_IOREQ_SERVER_INFO:
        s = dm_server(d, a[1]);
        if (!s) {
            return ENOENT;
        }
        if (a[2]) {
            if (s->pages == SIM_PAGES_RESOURCE) {
                return EPERM; /* hvm_map_ioreq_gfn after allocation */
            }
            s->pages = SIM_PAGES_GFN;
            rsp->ret[0] =
                SIM_IOREQ_GFN_BASE + (uint64_t)s->id * SIM_SERVER_FRAMES + 1;
            if (s->bufioreq) {
                rsp->ret[1] =
                    SIM_IOREQ_GFN_BASE + (uint64_t)s->id * SIM_SERVER_FRAMES;
            }
        }
        rsp->ret[2] = s->buf_port;
        return 0;

    case XENSIM_OP_DM_MAP_IO_RANGE:
    case XENSIM_OP_DM_UNMAP_IO_RANGE:
    case XENSIM_OP_DM_MAP_PCIDEV:
    case XENSIM_OP_DM_UNMAP_PCIDEV: {
        bool pci = req->op == XENSIM_OP_DM_MAP_PCIDEV ||
                   req->op == XENSIM_OP_DM_UNMAP_PCIDEV;
        bool map = req->op == XENSIM_OP_DM_MAP_IO_RANGE ||
                   req->op == XENSIM_OP_DM_MAP_PCIDEV;
        uint64_t st, en;
        GArray *r;

        if (pci) {
            /* libxendevicemodel rejects these before any DMOP */
            if (a[4] > 0x1f || a[5] > 0x7) {
                return EINVAL;
            }
            st = en = XEN_DMOP_PCI_SBDF(a[2] & 0xffff, a[3] & 0xff, a[4], a[5]);
        } else {
            st = a[3];
            en = a[4];
            if (st > en) {
                return EINVAL;
            }
        }
        s = dm_server(d, a[1]);
        if (!s) {
            return ENOENT;
        }
        r = s->ranges[pci    ? SIM_RANGE_PCI
                      : a[2] ? SIM_RANGE_MEMORY
                             : SIM_RANGE_PORT];
        if (map) {
            return range_overlaps(r, st, en) ? EEXIST : range_add(r, st, en);
        }
        if (!sim_range_contains(r, st, en)) {
            return ENOENT;
        }
        range_remove(r, st, en);
        return 0;
    }

    case XENSIM_OP_DM_MAP_MEM_TYPE:
        if (a[2] != HVMMEM_ioreq_server ||
            (a[3] & ~(uint64_t)XEN_DMOP_IOREQ_MEM_ACCESS_WRITE)) {
            return EINVAL;
        }
        s = dm_server(d, a[1]);
        if (!s) {
            return ENOENT;
        }
        s->mem_type_claimed = a[3] != 0;
        return 0;

    case XENSIM_OP_DM_DESTROY_IOREQ_SERVER:
        s = dm_server(d, a[1]);
        if (!s) {
            return ENOENT;
        }
        sim_server_free(sim, d, s);
        return 0;

    case XENSIM_OP_DM_SET_IOREQ_SERVER_STATE:
        s = dm_server(d, a[1]);
        if (!s) {
            return ENOENT;
        }
        server_set_enabled(d, s, a[2] != 0);
        sim_changed(sim);
        return 0;

    default:
        return EINVAL;
    }
}

static int dm_other_op(XenSim *sim, SimDomain *d, const XenSimReq *req,
                       const uint8_t *payload, XenSimRsp *rsp, uint8_t *out)
{
    const uint64_t *a = req->arg;
    uint64_t i, j;

    switch (req->op) {
    case XENSIM_OP_DM_SET_PCI_INTX_LEVEL:
        /* dm.c set_pci_intx_level; level travels as a uint8_t */
        if (a[1] != 0 || a[2] != 0 || a[3] > 0x1f || a[4] > 3 ||
            (uint8_t)a[5] > 1) {
            return EINVAL;
        }
        dm_intx_set(d, (unsigned)a[3], (unsigned)a[4], (uint8_t)a[5]);
        sim_changed(sim);
        return 0;

    case XENSIM_OP_DM_SET_ISA_IRQ_LEVEL:
        if (a[1] > 15 || (uint8_t)a[2] > 1) {
            return EINVAL;
        }
        d->isa_level[a[1]] = (uint8_t)a[2];
        sim_changed(sim);
        return 0;

    case XENSIM_OP_DM_SET_IRQ_LEVEL:
        if (a[1] >= SIM_NR_GSIS || a[2] > 1) {
            return EINVAL;
        }
        d->gsi_direct[a[1]] = (uint8_t)a[2];
        sim_changed(sim);
        return 0;

    case XENSIM_OP_DM_SET_PCI_LINK_ROUTE:
        if (a[1] > 3 || a[2] > 15) {
            return EINVAL;
        }
        d->link_route[a[1]] = (uint8_t)a[2];
        return 0;

    case XENSIM_OP_DM_INJECT_MSI:
        d->msi_count++;
        d->msi_addr = a[1];
        d->msi_data = (uint32_t)a[2];
        sim_changed(sim);
        return 0;

    case XENSIM_OP_DM_TRACK_DIRTY_VRAM:
        if (a[2] > (1ULL << (30 - SIM_PAGE_SHIFT)) || a[1] + a[2] < a[1]) {
            return EINVAL;
        }
        /* No guest CPU writes in the simulation: nothing is dirty. */
        rsp->len = (uint32_t)((a[2] + 7) / 8);
        memset(out, 0, rsp->len);
        return 0;

    case XENSIM_OP_DM_MODIFIED_MEMORY: {
        size_t n = req->len / sizeof(XenSimExtent);

        if (req->len % sizeof(XenSimExtent)) {
            return EINVAL;
        }
        for (i = 0; i < n; i++) {
            XenSimExtent e;

            memcpy(&e, payload + i * sizeof(e), sizeof(e));
            if (!dm_pfn_range_ok(d, e.first_pfn, e.nr)) {
                return EINVAL;
            }
            for (j = 0; j < e.nr; j++) {
                d->modified[e.first_pfn + j] = 1;
            }
        }
        return 0;
    }

    case XENSIM_OP_DM_SET_MEM_TYPE:
        if (a[1] > HVMMEM_ioreq_server || a[1] == HVMMEM_unused ||
            !dm_pfn_range_ok(d, a[2], a[3])) {
            return EINVAL;
        }
        for (i = 0; i < a[3]; i++) {
            d->mem_type[a[2] + i] = (uint8_t)a[1];
        }
        return 0;

    case XENSIM_OP_DM_INJECT_EVENT:
        if ((int64_t)a[1] < 0 || a[1] >= d->nr_vcpus) {
            return EINVAL;
        }
        return 0;

    case XENSIM_OP_DM_SHUTDOWN:
        d->shutdown_reason = (int)(uint32_t)a[1];
        sim_raise_virq(sim, VIRQ_DOM_EXC);
        sim_changed(sim);
        return 0;

    case XENSIM_OP_DM_RELOCATE_MEMORY:
        if (!dm_pfn_range_ok(d, a[2], a[1]) ||
            !dm_pfn_range_ok(d, a[3], a[1])) {
            return EINVAL;
        }
        /* XENMAPSPACE_gmfn_range: each page moves to its new frame. */
        for (i = 0; i < a[1]; i++) {
            uint64_t src = a[2] + i, dst = a[3] + i;

            if (src == dst) {
                continue;
            }
            memmove(d->mem + (dst << SIM_PAGE_SHIFT),
                    d->mem + (src << SIM_PAGE_SHIFT), SIM_PAGE_SIZE);
            d->page_err[dst] = d->page_err[src];
            d->page_err[src] = EINVAL;
        }
        return 0;

    case XENSIM_OP_DM_PIN_MEMORY_CACHEATTR:
        if (a[1] > a[2]) {
            return EINVAL;
        }
        switch (a[3]) {
        case XEN_DMOP_MEM_CACHEATTR_UC:
        case XEN_DMOP_MEM_CACHEATTR_WC:
        case XEN_DMOP_MEM_CACHEATTR_WT:
        case XEN_DMOP_MEM_CACHEATTR_WP:
        case XEN_DMOP_MEM_CACHEATTR_WB:
        case XEN_DMOP_MEM_CACHEATTR_UCM:
            return 0;
        default:
            return EINVAL;
        }

    case XENSIM_OP_DM_NR_VCPUS:
        rsp->ret[0] = d->nr_vcpus;
        return 0;

    default:
        return EINVAL;
    }
}

int sim_dm_request(XenSim *sim, SimConn *c, const XenSimReq *req,
                   const uint8_t *payload, XenSimRsp *rsp, uint8_t *out,
                   int *out_fd)
{
    SimDomain *d;
    int err;

    switch (req->op) {
    case XENSIM_OP_DM_RESTRICT:
    case XENSIM_OP_FMEM_RESTRICT:
        return dm_restrict(c, req->arg[0]);
    case XENSIM_OP_FMEM_MAP:
        return dm_fmem_map(sim, c, req, payload, rsp, out, out_fd);
    case XENSIM_OP_FMEM_MAP_RESOURCE:
        return dm_fmem_resource(sim, c, req, rsp, out_fd);
    default:
        break;
    }
    err = dm_domain(sim, c, req->arg[0], &d);
    if (err) {
        return err;
    }
    if (req->op <= XENSIM_OP_DM_SET_IOREQ_SERVER_STATE) {
        return dm_server_op(sim, c, d, req, rsp);
    }
    return dm_other_op(sim, d, req, payload, rsp, out);
}
