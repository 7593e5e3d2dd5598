/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * minidm: see minidm.h. The request loop follows QEMU 7.2's
 * cpu_handle_ioreq: pending + unmask, READY check, rmb, INPROCESS, handle,
 * wmb, IORESP_READY, notify.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xen/memory.h>

#include "minidm.h"

#define MINIDM_PAGE 4096UL
/* Byte of ioreq_t holding state:4 (x86 GCC bitfield order). */
#define MINIDM_FLAGS_OFF 30

static uint8_t *slot_flags(ioreq_t *p)
{
    return (uint8_t *)p + MINIDM_FLAGS_OFF;
}

unsigned minidm_state(MiniDm *dm, unsigned vcpu)
{
    return __atomic_load_n(slot_flags(minidm_slot(dm, vcpu)),
                           __ATOMIC_ACQUIRE) &
           0xf;
}

void minidm_set_state(MiniDm *dm, unsigned vcpu, unsigned state)
{
    uint8_t *f = slot_flags(minidm_slot(dm, vcpu));
    uint8_t v = __atomic_load_n(f, __ATOMIC_RELAXED);

    __atomic_store_n(f, (uint8_t)((v & 0xf0) | (state & 0xf)),
                     __ATOMIC_RELEASE);
}

ioreq_t *minidm_slot(MiniDm *dm, unsigned vcpu)
{
    g_assert_cmpuint(vcpu, <, dm->nr_vcpus);
    return &dm->iopage->vcpu_ioreq[vcpu];
}

/* QEMU's xen_map_ioreq_server: the resource, else (EOPNOTSUPP) GFNs. */
static void minidm_map_pages(MiniDm *dm)
{
    bool buffered = dm->cfg.bufioreq != HVM_IOREQSRV_BUFIOREQ_OFF;
    void *addr = NULL;

    /* Frame 0 is the buffered page: only with buffering on. */
    dm->nr_pages = buffered ? 2 : 1;
    if (!dm->cfg.gfn_path) {
        dm->fres = xenforeignmemory_map_resource(
            dm->fmem, dm->cfg.domid, XENMEM_resource_ioreq_server, dm->id,
            buffered ? XENMEM_resource_ioreq_server_frame_bufioreq
                     : XENMEM_resource_ioreq_server_frame_ioreq(0),
            dm->nr_pages, &addr, PROT_READ | PROT_WRITE, 0);
        if (!dm->fres) {
            g_assert_cmpint(errno, ==, EOPNOTSUPP);
            dm->cfg.gfn_path = true;
        }
        dm->pages = addr;
    }
    if (dm->cfg.gfn_path) {
        xen_pfn_t gfn[2];
        evtchn_port_t port;
        int err[2];

        g_assert_cmpint(
            xendevicemodel_get_ioreq_server_info(
                dm->dmod, dm->cfg.domid, dm->id, &gfn[1], &gfn[0], &port),
            ==, 0);
        dm->pages = xenforeignmemory_map(dm->fmem, dm->cfg.domid,
                                         PROT_READ | PROT_WRITE, dm->nr_pages,
                                         buffered ? gfn : &gfn[1], err);
        g_assert_nonnull(dm->pages);
        g_assert_cmpint(err[0], ==, 0);
        if (buffered) {
            g_assert_cmpint(err[1], ==, 0);
        }
    }
    if (buffered) {
        dm->bufpage = dm->pages;
        dm->iopage = (shared_iopage_t *)((char *)dm->pages + MINIDM_PAGE);
    } else {
        dm->iopage = dm->pages;
    }
}

MiniDm *minidm_new(const MiniDmConfig *cfg)
{
    MiniDm *dm = g_new0(MiniDm, 1);
    evtchn_port_t bufport = 0;
    unsigned v;
    int rc;

    dm->cfg = *cfg;
    dm->stop_fd = -1;
    g_mutex_init(&dm->lock);
    memset(dm->pio, 0, sizeof(dm->pio));
    dm->dmod = xendevicemodel_open(NULL, 0);
    dm->fmem = xenforeignmemory_open(NULL, 0);
    dm->xce = xenevtchn_open(NULL, 0);
    g_assert_nonnull(dm->dmod);
    g_assert_nonnull(dm->fmem);
    g_assert_nonnull(dm->xce);
    rc = xendevicemodel_create_ioreq_server(dm->dmod, cfg->domid, cfg->bufioreq,
                                            &dm->id);
    g_assert_cmpint(rc, ==, 0);
    minidm_map_pages(dm);
    g_assert_cmpint(xendevicemodel_get_ioreq_server_info(
                        dm->dmod, cfg->domid, dm->id, NULL, NULL, &bufport),
                    ==, 0);
    g_assert_cmpint(
        xendevicemodel_nr_vcpus(dm->dmod, cfg->domid, &dm->nr_vcpus), ==, 0);
    g_assert_cmpint(
        xendevicemodel_set_ioreq_server_state(dm->dmod, cfg->domid, dm->id, 1),
        ==, 0);
    dm->local = g_new0(evtchn_port_t, dm->nr_vcpus);
    for (v = 0; v < dm->nr_vcpus; v++) {
        rc = xenevtchn_bind_interdomain(dm->xce, cfg->domid,
                                        dm->iopage->vcpu_ioreq[v].vp_eport);
        g_assert_cmpint(rc, >, 0);
        dm->local[v] = (evtchn_port_t)rc;
    }
    if (bufport) {
        rc = xenevtchn_bind_interdomain(dm->xce, cfg->domid, bufport);
        g_assert_cmpint(rc, >, 0);
        dm->buf_local = (evtchn_port_t)rc;
    }
    if (cfg->pio_base) {
        g_assert_cmpint(xendevicemodel_map_io_range_to_ioreq_server(
                            dm->dmod, cfg->domid, dm->id, 0, cfg->pio_base,
                            cfg->pio_base + MINIDM_PIO_SIZE - 1),
                        ==, 0);
    }
    if (cfg->mmio_base) {
        g_assert_cmpint(xendevicemodel_map_io_range_to_ioreq_server(
                            dm->dmod, cfg->domid, dm->id, 1, cfg->mmio_base,
                            cfg->mmio_base + MINIDM_MMIO_SIZE - 1),
                        ==, 0);
    }
    /* Binding marks each port pending once: drain those events. */
    while (minidm_wait_event(dm, 0) >= 0) {
        /* nothing to answer yet */
    }
    return dm;
}

void minidm_claim_pci(MiniDm *dm, uint8_t bus, uint8_t dev, uint8_t fn)
{
    g_assert_cmpint(xendevicemodel_map_pcidev_to_ioreq_server(
                        dm->dmod, dm->cfg.domid, dm->id, 0, bus, dev, fn),
                    ==, 0);
}

void minidm_destroy(MiniDm *dm)
{
    if (!dm->destroyed) {
        xendevicemodel_destroy_ioreq_server(dm->dmod, dm->cfg.domid, dm->id);
        dm->destroyed = true;
    }
}

void minidm_free(MiniDm *dm)
{
    minidm_stop(dm);
    minidm_destroy(dm);
    if (dm->fres) {
        xenforeignmemory_unmap_resource(dm->fmem, dm->fres);
    } else if (dm->pages) {
        xenforeignmemory_unmap(dm->fmem, dm->pages, dm->nr_pages);
    }
    xenevtchn_close(dm->xce);
    xenforeignmemory_close(dm->fmem);
    xendevicemodel_close(dm->dmod);
    g_mutex_clear(&dm->lock);
    g_free(dm->local);
    g_free(dm);
}

/* ---- guest memory through foreign mappings ---- */

bool minidm_guest_rw(MiniDm *dm, uint64_t gpa, void *buf, size_t len,
                     bool write)
{
    uint64_t first = gpa / MINIDM_PAGE;
    size_t n = (size_t)((gpa + len + MINIDM_PAGE - 1) / MINIDM_PAGE - first);
    xen_pfn_t *gfns = g_new(xen_pfn_t, n);
    int *err = g_new0(int, n);
    bool ok = true;
    uint8_t *p;
    size_t i;

    for (i = 0; i < n; i++) {
        gfns[i] = first + i;
    }
    p = xenforeignmemory_map(dm->fmem, dm->cfg.domid, PROT_READ | PROT_WRITE, n,
                             gfns, err);
    for (i = 0; p && i < n; i++) {
        ok = ok && err[i] == 0;
    }
    if (p && ok) {
        if (write) {
            memcpy(p + gpa % MINIDM_PAGE, buf, len);
        } else {
            memcpy(buf, p + gpa % MINIDM_PAGE, len);
        }
    }
    if (p) {
        xenforeignmemory_unmap(dm->fmem, p, n);
    }
    g_free(gfns);
    g_free(err);
    return p && ok;
}

/* ---- the device ---- */

static uint64_t regs_read(const uint8_t *regs, size_t nregs, uint64_t off,
                          unsigned size)
{
    uint64_t v = 0;

    if (off >= nregs || size > nregs - off) {
        return ~0ULL;
    }
    memcpy(&v, regs + off, size);
    return v;
}

static void regs_write(uint8_t *regs, size_t nregs, uint64_t off, unsigned size,
                       uint64_t v)
{
    if (off < nregs && size <= nregs - off) {
        memcpy(regs + off, &v, size);
    }
}

/* One element of a PIO or MMIO access, at register address `addr`. */
static uint64_t dev_access(MiniDm *dm, const ioreq_t *q, uint64_t addr,
                           uint64_t v)
{
    bool pio = q->type == IOREQ_TYPE_PIO;
    uint8_t *regs = pio ? dm->pio : dm->mmio;
    size_t nregs = pio ? sizeof(dm->pio) : sizeof(dm->mmio);
    uint64_t base = pio ? dm->cfg.pio_base : dm->cfg.mmio_base;
    uint64_t off = addr - base;

    if (q->dir == IOREQ_READ) {
        return regs_read(regs, nregs, off, q->size);
    }
    regs_write(regs, nregs, off, q->size, v);
    return v;
}

static void dev_handle(MiniDm *dm, ioreq_t *q)
{
    uint32_t i;

    switch (q->type) {
    case IOREQ_TYPE_PIO:
    case IOREQ_TYPE_COPY:
        if (q->size == 0 || q->size > 8) {
            dm->unexpected++;
            return;
        }
        if (!q->data_is_ptr) {
            /* PIO: one access; MMIO: rep stos over count elements. */
            uint32_t n = q->type == IOREQ_TYPE_PIO ? 1 : q->count;

            for (i = 0; i < n; i++) {
                uint64_t a = q->df ? q->addr - (uint64_t)i * q->size
                                   : q->addr + (uint64_t)i * q->size;
                uint64_t v = dev_access(dm, q, a, q->data);

                if (q->dir == IOREQ_READ) {
                    q->data = v;
                }
            }
            return;
        }
        for (i = 0; i < q->count; i++) {
            uint64_t step = (uint64_t)i * q->size;
            uint64_t gpa = q->df ? q->data - step : q->data + step;
            /* The port stays put; MMIO moves with the element. */
            uint64_t a = q->type == IOREQ_TYPE_PIO
                             ? q->addr
                             : (q->df ? q->addr - step : q->addr + step);
            uint64_t v = 0;

            if (q->dir == IOREQ_READ) {
                v = dev_access(dm, q, a, 0);
                minidm_guest_rw(dm, gpa, &v, q->size, true);
            } else if (minidm_guest_rw(dm, gpa, &v, q->size, false)) {
                dev_access(dm, q, a, v);
            }
        }
        return;
    case IOREQ_TYPE_PCI_CONFIG: {
        uint32_t reg = (uint32_t)q->addr;

        if (q->dir == IOREQ_READ) {
            q->data = regs_read(dm->config, sizeof(dm->config), reg, q->size);
        } else {
            regs_write(dm->config, sizeof(dm->config), reg, q->size, q->data);
        }
        return;
    }
    case IOREQ_TYPE_INVALIDATE:
        dm->invalidates++;
        return;
    default:
        dm->unexpected++;
        return;
    }
}

void minidm_answer(MiniDm *dm, unsigned vcpu)
{
    ioreq_t *p = minidm_slot(dm, vcpu);
    ioreq_t q;

    if (minidm_state(dm, vcpu) != STATE_IOREQ_READY) {
        return; /* e.g. the event every bind raises */
    }
    minidm_set_state(dm, vcpu, STATE_IOREQ_INPROCESS);
    memcpy(&q, p, sizeof(q));
    g_mutex_lock(&dm->lock);
    dev_handle(dm, &q);
    dm->handled++;
    dm->last = q;
    g_mutex_unlock(&dm->lock);
    p->data = q.data;
    /* wmb before publishing the response */
    minidm_set_state(dm, vcpu, STATE_IORESP_READY);
    minidm_notify(dm, vcpu);
}

void minidm_notify(MiniDm *dm, unsigned vcpu)
{
    g_assert_cmpint(xenevtchn_notify(dm->xce, dm->local[vcpu]), ==, 0);
}

/* Drain the buffered ring, advancing read_pointer atomically. */
static void minidm_buffered(MiniDm *dm)
{
    buffered_iopage_t *pg = dm->bufpage;

    for (;;) {
        uint32_t rp = __atomic_load_n(&pg->read_pointer, __ATOMIC_ACQUIRE);
        uint32_t wp = __atomic_load_n(&pg->write_pointer, __ATOMIC_ACQUIRE);
        buf_ioreq_t b;

        if (rp == wp) {
            return;
        }
        b = pg->buf_ioreq[rp % IOREQ_BUFFER_SLOT_NUM];
        g_mutex_lock(&dm->lock);
        if (dm->nr_buffered < MINIDM_MAX_BUFFERED) {
            dm->buffered[dm->nr_buffered++] = b;
        }
        g_mutex_unlock(&dm->lock);
        __atomic_fetch_add(&pg->read_pointer, 1, __ATOMIC_ACQ_REL);
    }
}

int minidm_wait_event(MiniDm *dm, unsigned timeout_ms)
{
    struct pollfd p = {.fd = xenevtchn_fd(dm->xce), .events = POLLIN};
    xenevtchn_port_or_error_t port;
    unsigned v;

    if (poll(&p, 1, (int)timeout_ms) <= 0) {
        return -1;
    }
    port = xenevtchn_pending(dm->xce);
    if (port < 0) {
        return -1;
    }
    g_assert_cmpint(xenevtchn_unmask(dm->xce, (evtchn_port_t)port), ==, 0);
    if (dm->buf_local && (evtchn_port_t)port == dm->buf_local) {
        minidm_buffered(dm);
        return (int)dm->nr_vcpus; /* "the buffered port" */
    }
    for (v = 0; v < dm->nr_vcpus; v++) {
        if (dm->local[v] == (evtchn_port_t)port) {
            return (int)v;
        }
    }
    g_assert_not_reached();
}

static gpointer minidm_thread(gpointer opaque)
{
    MiniDm *dm = opaque;

    for (;;) {
        struct pollfd p[2] = {
            {.fd = xenevtchn_fd(dm->xce), .events = POLLIN},
            {.fd = dm->stop_fd, .events = POLLIN},
        };
        xenevtchn_port_or_error_t port;
        unsigned v;

        if (poll(p, 2, -1) < 0) {
            continue;
        }
        if (p[1].revents) {
            return NULL;
        }
        port = xenevtchn_pending(dm->xce);
        if (port < 0) {
            continue;
        }
        xenevtchn_unmask(dm->xce, (evtchn_port_t)port);
        if (dm->buf_local && (evtchn_port_t)port == dm->buf_local) {
            minidm_buffered(dm);
            continue;
        }
        for (v = 0; v < dm->nr_vcpus; v++) {
            if (dm->local[v] == (evtchn_port_t)port) {
                minidm_answer(dm, v);
            }
        }
    }
}

void minidm_start(MiniDm *dm)
{
    g_assert_null(dm->thread);
    dm->stop_fd = eventfd(0, EFD_CLOEXEC);
    g_assert_cmpint(dm->stop_fd, >=, 0);
    dm->thread = g_thread_new("minidm", minidm_thread, dm);
}

void minidm_stop(MiniDm *dm)
{
    uint64_t one = 1;

    if (!dm->thread) {
        return;
    }
    g_assert_cmpint(write(dm->stop_fd, &one, sizeof(one)), ==, sizeof(one));
    g_thread_join(dm->thread);
    dm->thread = NULL;
    close(dm->stop_fd);
    dm->stop_fd = -1;
}

unsigned minidm_handled(MiniDm *dm)
{
    unsigned n;

    g_mutex_lock(&dm->lock);
    n = dm->handled;
    g_mutex_unlock(&dm->lock);
    return n;
}

unsigned minidm_invalidates(MiniDm *dm)
{
    unsigned n;

    g_mutex_lock(&dm->lock);
    n = dm->invalidates;
    g_mutex_unlock(&dm->lock);
    return n;
}

ioreq_t minidm_last(MiniDm *dm)
{
    ioreq_t q;

    g_mutex_lock(&dm->lock);
    q = dm->last;
    g_mutex_unlock(&dm->lock);
    return q;
}
