/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim vCPUs: the guest side of the ioreq protocol, as Xen 4.17 runs it
 * (xen/common/ioreq.c hvm_send_ioreq, hvm_wait_for_io, hvm_broadcast_ioreq,
 * hvm_select_ioreq_server; xen/arch/x86/hvm/ioreq.c for CF8/CFC).
 *
 * Sending requires the slot in NONE with the right vp_eport (else the
 * domain is crashed, "device model set bad IO state"); the request is
 * written with state NONE, then READY is published and the vCPU's port
 * notified. The vCPU then looks at its slot only when the device model
 * notifies that port: READY/INPROCESS keep it waiting, IORESP_READY
 * completes it (Xen reads data and resets the slot to NONE), a state going
 * backwards or out of range crashes the domain, and NONE set by the device
 * model completes it with ~0 (the "emulator dying" race Xen tolerates).
 */
#include <errno.h>
#include <string.h>

#include "xensim-priv.h"

const char *xensim_io_status_str(XenSimIoStatus st)
{
    switch (st) {
    case XENSIM_IO_OK:
        return "ok";
    case XENSIM_IO_TIMEOUT:
        return "timeout (vCPU still blocked)";
    case XENSIM_IO_ORPHANED:
        return "orphaned (server gone before answering)";
    case XENSIM_IO_CRASHED:
        return "domain crashed";
    case XENSIM_IO_BUSY:
        return "vCPU busy";
    case XENSIM_IO_INVALID:
        return "invalid request";
    }
    return "?";
}

void xensim_io_init(XenSimIo *io, uint8_t type, uint8_t dir, uint64_t addr,
                    uint32_t size, uint64_t data)
{
    memset(io, 0, sizeof(*io));
    io->type = type;
    io->dir = dir;
    io->addr = addr;
    io->size = size;
    io->count = 1;
    io->data = data;
    io->target = -1;
    io->server = -1;
}

static bool io_valid(const XenSimIo *io)
{
    if (io->target >= 0) {
        return io->target < SIM_MAX_SERVERS;
    }
    if (io->dir > 1 || io->count == 0) {
        return false;
    }
    switch (io->type) {
    case IOREQ_TYPE_PIO:
        return io->size == 1 || io->size == 2 || io->size == 4;
    case IOREQ_TYPE_COPY:
        return io->size == 1 || io->size == 2 || io->size == 4 || io->size == 8;
    default:
        return false;
    }
}

/*
 * Build the ioreq and pick its server: -1 for the null handler, -2 for a
 * raw target that does not exist.
 */
static int io_select(SimDomain *d, const XenSimIo *io, ioreq_t *req)
{
    int type = io->type == IOREQ_TYPE_PIO ? SIM_RANGE_PORT : SIM_RANGE_MEMORY;
    uint64_t key = io->addr;
    int id;

    memset(req, 0, sizeof(*req));
    req->addr = io->addr;
    req->data = io->data;
    req->count = io->count;
    req->size = io->size;
    req->dir = io->dir & 1;
    req->df = io->df & 1;
    req->data_is_ptr = io->data_is_ptr & 1;
    req->type = io->type;
    if (io->target >= 0) {
        return d->server[io->target] ? io->target : -2;
    }
    /* Xen latches CF8 on 4-byte writes and still forwards them. */
    if (io->type == IOREQ_TYPE_PIO && io->addr == 0xcf8 && io->size == 4 &&
        io->dir == IOREQ_WRITE && !io->data_is_ptr) {
        d->cf8 = (uint32_t)io->data;
    }
    if (io->type == IOREQ_TYPE_PIO && (io->addr & ~3ULL) == 0xcfc &&
        (d->cf8 & 0x80000000u)) {
        uint64_t sbdf = (d->cf8 >> 8) & 0xffff; /* segment 0 */
        uint64_t reg = (d->cf8 & 0xfc) | (io->addr & 3);

        type = SIM_RANGE_PCI;
        key = (sbdf << 32) | reg;
    }
    for (id = SIM_MAX_SERVERS - 1; id >= 0; id--) {
        SimServer *s = d->server[id];
        uint64_t first, last;

        if (!s || !s->enabled) {
            continue;
        }
        switch (type) {
        case SIM_RANGE_PORT:
            first = key;
            last = key + io->size - 1;
            break;
        case SIM_RANGE_MEMORY:
            /* hvm_mmio_first_byte / hvm_mmio_last_byte */
            first = io->df ? key - (uint64_t)(io->count - 1) * io->size : key;
            last = io->df ? key + io->size - 1
                          : key + (uint64_t)io->count * io->size - 1;
            break;
        default:
            first = last = key >> 32;
            break;
        }
        if (sim_range_contains(s->ranges[type], first, last)) {
            if (type == SIM_RANGE_PCI) {
                req->type = IOREQ_TYPE_PCI_CONFIG;
                req->addr = key;
            }
            return id;
        }
    }
    return -1;
}

/* Xen's null handler: reads are all-ones, writes vanish. */
static void io_null(SimDomain *d, XenSimIo *io)
{
    uint32_t i;

    io->server = -1;
    if (io->dir != IOREQ_READ) {
        return;
    }
    if (!io->data_is_ptr) {
        io->data = ~0ULL;
        return;
    }
    for (i = 0; i < io->count; i++) {
        uint64_t gpa = io->df ? io->data - (uint64_t)i * io->size
                              : io->data + (uint64_t)i * io->size;

        if (gpa < d->ram_size && io->size <= d->ram_size - gpa) {
            memset(d->mem + gpa, 0xff, io->size);
        }
    }
}

static XenSimIoStatus slot_send(XenSim *sim, SimDomain *d, unsigned vcpu,
                                SimServer *s, const ioreq_t *req,
                                bool broadcast)
{
    ioreq_t *p = &s->iopage->vcpu_ioreq[vcpu];
    uint32_t port = s->vcpu_port[vcpu];
    SimSlot *slot = &d->vcpu[vcpu].slot[s->id];
    SimPort *gp = sim_port_find(sim, d, port);
    unsigned state = sim_ioreq_state(p);
    ioreq_t q = *req;

    if (state != STATE_IOREQ_NONE || p->vp_eport != port) {
        if (broadcast) {
            /* hvm_broadcast_ioreq only counts the failure. */
            d->warnings++;
            g_message("xen-sim: dom%u vCPU %u: server %d slot busy "
                      "(state %u), broadcast not delivered",
                      d->domid, vcpu, s->id, state);
            return XENSIM_IO_INVALID;
        }
        if (state != STATE_IOREQ_NONE) {
            sim_crash(d, "device model set bad IO state %u", state);
        } else {
            sim_crash(d, "device model set bad event channel %u", p->vp_eport);
        }
        return XENSIM_IO_CRASHED;
    }
    q.state = STATE_IOREQ_NONE;
    q.vp_eport = port;
    memcpy(p, &q, sizeof(q));
    sim_ioreq_set_state(p, STATE_IOREQ_READY);
    slot->pending = true;
    slot->serial = s->serial;
    slot->prev_state = STATE_IOREQ_READY;
    slot->seen_notify = gp ? gp->notify_count : 0;
    slot->status = XENSIM_IO_OK;
    slot->data = 0;
    sim_guest_notify(sim, d, port);
    return XENSIM_IO_OK;
}

/* Re-examine a pending slot after a notification (hvm_wait_for_io). */
static void slot_check(XenSim *sim, SimDomain *d, unsigned vcpu, int id)
{
    SimSlot *slot = &d->vcpu[vcpu].slot[id];
    SimServer *s = d->server[id];
    SimPort *gp;
    ioreq_t *p;
    unsigned state;

    if (!slot->pending) {
        return;
    }
    if (!s || s->serial != slot->serial) {
        slot->pending = false;
        slot->status = XENSIM_IO_ORPHANED;
        return;
    }
    gp = sim_port_find(sim, d, s->vcpu_port[vcpu]);
    if (!gp || gp->notify_count == slot->seen_notify) {
        return; /* not woken */
    }
    slot->seen_notify = gp->notify_count;
    p = &s->iopage->vcpu_ioreq[vcpu];
    state = sim_ioreq_state(p);
    if (state == STATE_IOREQ_NONE) {
        d->warnings++;
        slot->data = ~0ULL;
        slot->pending = false;
        return;
    }
    if (state < slot->prev_state) {
        sim_crash(d, "Weird HVM ioreq state transition %u -> %u",
                  slot->prev_state, state);
        slot->pending = false;
        slot->status = XENSIM_IO_CRASHED;
        return;
    }
    switch (state) {
    case STATE_IORESP_READY:
        slot->data = __atomic_load_n(&p->data, __ATOMIC_RELAXED);
        sim_ioreq_set_state(p, STATE_IOREQ_NONE);
        slot->pending = false;
        return;
    case STATE_IOREQ_READY:
    case STATE_IOREQ_INPROCESS:
        slot->prev_state = state;
        return;
    default:
        sim_crash(d, "Weird HVM iorequest state %u", state);
        slot->pending = false;
        slot->status = XENSIM_IO_CRASHED;
        return;
    }
}

static unsigned vcpu_pending(XenSim *sim, SimDomain *d, unsigned vcpu)
{
    unsigned n = 0;
    int id;

    for (id = 0; id < SIM_MAX_SERVERS; id++) {
        slot_check(sim, d, vcpu, id);
        n += d->vcpu[vcpu].slot[id].pending;
    }
    return n;
}

/* Called with the lock held; v->busy set. */
static XenSimIoStatus vcpu_wait(XenSim *sim, SimDomain *d, unsigned vcpu,
                                XenSimIo *io, unsigned timeout_ms)
{
    SimVcpu *v = &d->vcpu[vcpu];
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    XenSimIoStatus st = XENSIM_IO_OK;
    int id;

    for (;;) {
        if (d->crash_reason) {
            st = XENSIM_IO_CRASHED;
            break;
        }
        if (!vcpu_pending(sim, d, vcpu)) {
            break;
        }
        if (!g_cond_wait_until(&sim->cond, &sim->lock, deadline) &&
            vcpu_pending(sim, d, vcpu) && !d->crash_reason) {
            for (id = 0; id < SIM_MAX_SERVERS; id++) {
                SimServer *s = d->server[id];

                if (v->slot[id].pending && s &&
                    sim_ioreq_state(&s->iopage->vcpu_ioreq[vcpu]) ==
                        STATE_IORESP_READY) {
                    d->warnings++;
                    g_message("xen-sim: dom%u vCPU %u: server %d set "
                              "IORESP_READY without notifying",
                              d->domid, vcpu, id);
                }
            }
            return XENSIM_IO_TIMEOUT;
        }
    }
    for (id = 0; id < SIM_MAX_SERVERS; id++) {
        SimSlot *slot = &v->slot[id];

        if (slot->status != XENSIM_IO_OK && st == XENSIM_IO_OK) {
            st = slot->status;
        }
        slot->pending = false;
    }
    if (!v->broadcast && v->server >= 0 && st == XENSIM_IO_OK &&
        v->io.dir == IOREQ_READ && !v->io.data_is_ptr) {
        v->io.data = v->slot[v->server].data;
    }
    for (id = 0; id < SIM_MAX_SERVERS; id++) {
        v->slot[id].status = XENSIM_IO_OK;
    }
    v->busy = false;
    if (io) {
        *io = v->io;
    }
    return st;
}

static SimDomain *vcpu_domain(XenSim *sim, uint16_t domid, unsigned vcpu,
                              XenSimIoStatus *st)
{
    SimDomain *d = sim_domain(sim, domid);

    if (!d || vcpu >= d->nr_vcpus) {
        *st = d ? XENSIM_IO_INVALID : XENSIM_IO_ORPHANED;
        return NULL;
    }
    if (d->crash_reason) {
        *st = XENSIM_IO_CRASHED;
        return NULL;
    }
    return d;
}

XenSimIoStatus xensim_io_start(XenSim *sim, uint16_t domid, unsigned vcpu,
                               XenSimIo *io)
{
    XenSimIoStatus st = XENSIM_IO_OK;
    SimDomain *d;
    SimVcpu *v;
    ioreq_t req;
    int id;

    g_mutex_lock(&sim->lock);
    d = vcpu_domain(sim, domid, vcpu, &st);
    if (!d) {
        goto out;
    }
    v = &d->vcpu[vcpu];
    if (v->busy) {
        st = XENSIM_IO_BUSY;
        goto out;
    }
    if (!io_valid(io)) {
        st = XENSIM_IO_INVALID;
        goto out;
    }
    id = io_select(d, io, &req);
    if (id == -2) {
        st = XENSIM_IO_INVALID;
        goto out;
    }
    io->server = id;
    v->broadcast = false;
    v->server = id;
    if (id < 0) {
        io_null(d, io);
    } else {
        st = slot_send(sim, d, vcpu, d->server[id], &req, false);
        if (st != XENSIM_IO_OK) {
            goto out;
        }
    }
    v->io = *io;
    v->busy = true;
out:
    g_mutex_unlock(&sim->lock);
    return st;
}

XenSimIoStatus xensim_io_wait(XenSim *sim, uint16_t domid, unsigned vcpu,
                              XenSimIo *io, unsigned timeout_ms)
{
    XenSimIoStatus st = XENSIM_IO_OK;
    SimDomain *d;

    g_mutex_lock(&sim->lock);
    d = sim_domain(sim, domid);
    if (!d) {
        st = XENSIM_IO_ORPHANED;
    } else if (vcpu >= d->nr_vcpus || !d->vcpu[vcpu].busy) {
        st = XENSIM_IO_INVALID;
    } else {
        st = vcpu_wait(sim, d, vcpu, io, timeout_ms);
    }
    g_mutex_unlock(&sim->lock);
    return st;
}

XenSimIoStatus xensim_io(XenSim *sim, uint16_t domid, unsigned vcpu,
                         XenSimIo *io)
{
    XenSimIoStatus st = xensim_io_start(sim, domid, vcpu, io);
    unsigned timeout;

    if (st != XENSIM_IO_OK) {
        return st;
    }
    g_mutex_lock(&sim->lock);
    timeout = sim->timeout_ms;
    g_mutex_unlock(&sim->lock);
    return xensim_io_wait(sim, domid, vcpu, io, timeout);
}

XenSimIoStatus xensim_invalidate(XenSim *sim, uint16_t domid, unsigned vcpu)
{
    XenSimIoStatus st = XENSIM_IO_OK;
    SimDomain *d;
    ioreq_t req;
    int id;

    g_mutex_lock(&sim->lock);
    d = vcpu_domain(sim, domid, vcpu, &st);
    if (!d) {
        goto out;
    }
    if (d->vcpu[vcpu].busy) {
        st = XENSIM_IO_BUSY;
        goto out;
    }
    /* send_invalidate_req: count, addr and df stay 0 */
    memset(&req, 0, sizeof(req));
    req.type = IOREQ_TYPE_INVALIDATE;
    req.size = 4;
    req.dir = IOREQ_WRITE;
    req.data = ~0ULL;
    for (id = SIM_MAX_SERVERS - 1; id >= 0; id--) {
        SimServer *s = d->server[id];

        if (s && s->enabled) {
            slot_send(sim, d, vcpu, s, &req, true);
        }
    }
    memset(&d->vcpu[vcpu].io, 0, sizeof(XenSimIo));
    d->vcpu[vcpu].io.server = -1;
    d->vcpu[vcpu].broadcast = true;
    d->vcpu[vcpu].server = -1;
    d->vcpu[vcpu].busy = true;
    st = vcpu_wait(sim, d, vcpu, NULL, sim->timeout_ms);
out:
    g_mutex_unlock(&sim->lock);
    return st;
}

void sim_vcpu_server_gone(XenSim *sim, SimDomain *d, SimServer *s)
{
    unsigned v;

    for (v = 0; v < d->nr_vcpus; v++) {
        SimSlot *slot = &d->vcpu[v].slot[s->id];

        if (!slot->pending || slot->serial != s->serial) {
            continue;
        }
        /* An answer notified before the destroy still counts. */
        slot_check(sim, d, v, s->id);
        if (slot->pending) {
            slot->pending = false;
            slot->status = XENSIM_IO_ORPHANED;
        }
    }
    sim_changed(sim);
}

void sim_vcpu_domain_gone(XenSim *sim, SimDomain *d)
{
    unsigned v;
    int id;

    for (v = 0; v < d->nr_vcpus; v++) {
        for (id = 0; id < SIM_MAX_SERVERS; id++) {
            if (d->vcpu[v].slot[id].pending) {
                d->vcpu[v].slot[id].pending = false;
                d->vcpu[v].slot[id].status = XENSIM_IO_ORPHANED;
            }
        }
    }
    sim_changed(sim);
}

/* ---- convenience accessors ---- */

static uint64_t io_mask(uint64_t v, unsigned size)
{
    return size >= 8 ? v : v & ((1ULL << (size * 8)) - 1);
}

static uint64_t io_simple(XenSim *sim, uint16_t domid, unsigned vcpu,
                          uint8_t type, uint8_t dir, uint64_t addr,
                          unsigned size, uint64_t value)
{
    XenSimIo io;
    XenSimIoStatus st;

    xensim_io_init(&io, type, dir, addr, size, value);
    st = xensim_io(sim, domid, vcpu, &io);
    if (st != XENSIM_IO_OK) {
        g_test_message("xen-sim: %s of %u bytes at 0x%" G_GINT64_MODIFIER
                       "x: %s",
                       type == IOREQ_TYPE_PIO ? "port access" : "MMIO access",
                       size, addr, xensim_io_status_str(st));
        g_assert_cmpstr(xensim_io_status_str(st), ==, "ok");
    }
    return io_mask(io.data, size);
}

uint64_t xensim_pio_read(XenSim *sim, uint16_t domid, unsigned vcpu,
                         uint16_t port, unsigned size)
{
    return io_simple(sim, domid, vcpu, IOREQ_TYPE_PIO, IOREQ_READ, port, size,
                     0);
}

void xensim_pio_write(XenSim *sim, uint16_t domid, unsigned vcpu, uint16_t port,
                      unsigned size, uint64_t value)
{
    io_simple(sim, domid, vcpu, IOREQ_TYPE_PIO, IOREQ_WRITE, port, size,
              io_mask(value, size));
}

uint64_t xensim_mmio_read(XenSim *sim, uint16_t domid, unsigned vcpu,
                          uint64_t addr, unsigned size)
{
    return io_simple(sim, domid, vcpu, IOREQ_TYPE_COPY, IOREQ_READ, addr, size,
                     0);
}

void xensim_mmio_write(XenSim *sim, uint16_t domid, unsigned vcpu,
                       uint64_t addr, unsigned size, uint64_t value)
{
    io_simple(sim, domid, vcpu, IOREQ_TYPE_COPY, IOREQ_WRITE, addr, size,
              io_mask(value, size));
}

static uint32_t pci_cf8(uint8_t bus, uint8_t devfn, uint8_t reg)
{
    return 0x80000000u | ((uint32_t)bus << 16) | ((uint32_t)devfn << 8) |
           (reg & 0xfcu);
}

uint32_t xensim_pci_cfg_read(XenSim *sim, uint16_t domid, unsigned vcpu,
                             uint8_t bus, uint8_t devfn, uint8_t reg,
                             unsigned size)
{
    xensim_pio_write(sim, domid, vcpu, 0xcf8, 4, pci_cf8(bus, devfn, reg));
    return (uint32_t)xensim_pio_read(sim, domid, vcpu, 0xcfc + (reg & 3), size);
}

void xensim_pci_cfg_write(XenSim *sim, uint16_t domid, unsigned vcpu,
                          uint8_t bus, uint8_t devfn, uint8_t reg,
                          unsigned size, uint32_t value)
{
    xensim_pio_write(sim, domid, vcpu, 0xcf8, 4, pci_cf8(bus, devfn, reg));
    xensim_pio_write(sim, domid, vcpu, 0xcfc + (reg & 3), size, value);
}

/* ---- buffered ioreqs (hvm_send_buffered_ioreq) ---- */

static bool buf_send(XenSim *sim, SimDomain *d, SimServer *s, const ioreq_t *p)
{
    buffered_iopage_t *pg = s->bufpage;
    uint64_t *ptrs = (uint64_t *)pg;
    buf_ioreq_t bp;
    uint32_t rp, wp;
    int qw = 0, n;

    if (s->bufioreq == HVM_IOREQSRV_BUFIOREQ_OFF || p->addr > 0xfffff ||
        p->data_is_ptr || p->count != 1) {
        return false;
    }
    memset(&bp, 0, sizeof(bp));
    switch (p->size) {
    case 1:
        bp.size = 0;
        break;
    case 2:
        bp.size = 1;
        break;
    case 4:
        bp.size = 2;
        break;
    case 8:
        bp.size = 3;
        qw = 1;
        break;
    default:
        return false;
    }
    bp.type = p->type;
    bp.dir = p->dir;
    bp.addr = (uint32_t)p->addr;
    bp.data = (uint32_t)p->data;
    rp = __atomic_load_n(&pg->read_pointer, __ATOMIC_ACQUIRE);
    wp = pg->write_pointer;
    if (wp - rp >= (uint32_t)(IOREQ_BUFFER_SLOT_NUM - qw)) {
        return false; /* full: Xen falls back to the sync path */
    }
    pg->buf_ioreq[wp % IOREQ_BUFFER_SLOT_NUM] = bp;
    if (qw) {
        bp.data = (uint32_t)(p->data >> 32);
        pg->buf_ioreq[(wp + 1) % IOREQ_BUFFER_SLOT_NUM] = bp;
    }
    __atomic_store_n(&pg->write_pointer, wp + (qw ? 2 : 1), __ATOMIC_RELEASE);
    /* ATOMIC mode: canonicalise both pointers with one cmpxchg. */
    for (n = qw; s->bufioreq == HVM_IOREQSRV_BUFIOREQ_ATOMIC &&
                 n < IOREQ_BUFFER_SLOT_NUM;
         n++) {
        uint64_t old = __atomic_load_n(ptrs, __ATOMIC_ACQUIRE), nv;
        uint32_t orp = (uint32_t)old, owp = (uint32_t)(old >> 32);
        uint32_t k = orp / IOREQ_BUFFER_SLOT_NUM;

        if (orp < IOREQ_BUFFER_SLOT_NUM) {
            break;
        }
        nv = (uint64_t)(orp - k * IOREQ_BUFFER_SLOT_NUM) |
             ((uint64_t)(owp - k * IOREQ_BUFFER_SLOT_NUM) << 32);
        __atomic_compare_exchange_n(ptrs, &old, nv, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE);
    }
    sim_guest_notify(sim, d, s->buf_port);
    return true;
}

bool xensim_send_buffered(XenSim *sim, uint16_t domid, const XenSimIo *io)
{
    SimDomain *d;
    ioreq_t req;
    bool ok = false;
    int id;

    g_mutex_lock(&sim->lock);
    d = sim_domain(sim, domid);
    if (d && io_valid(io) && io->dir == IOREQ_WRITE) {
        id = io_select(d, io, &req);
        if (id >= 0) {
            ok = buf_send(sim, d, d->server[id], &req);
        }
    }
    g_mutex_unlock(&sim->lock);
    return ok;
}

unsigned xensim_broadcast_timeoffset(XenSim *sim, uint16_t domid,
                                     int64_t offset)
{
    SimDomain *d;
    ioreq_t req;
    unsigned n = 0;
    int id;

    memset(&req, 0, sizeof(req));
    req.type = IOREQ_TYPE_TIMEOFFSET;
    req.size = 8;
    req.count = 1;
    req.dir = IOREQ_WRITE;
    req.data = (uint64_t)offset;
    g_mutex_lock(&sim->lock);
    d = sim_domain(sim, domid);
    for (id = SIM_MAX_SERVERS - 1; d && id >= 0; id--) {
        SimServer *s = d->server[id];

        if (s && s->enabled && buf_send(sim, d, s, &req)) {
            n++;
        }
    }
    g_mutex_unlock(&sim->lock);
    return n;
}
