/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim self-tests, the guest's side of the ioreq protocol: Xen's
 * selection rule, CF8/CFC, rep and pointer accesses, INVALIDATE, the slot
 * state machine (with the test as the device model), several vCPUs, a
 * server destroyed with a request in flight, buffered requests.
 */
#include <errno.h>
#include <string.h>

#include "test-xensim.h"

static void test_io_basic(Fixture *f, gconstpointer data)
{
    MiniDm *dm = dm_new(DOM, HVM_IOREQSRV_BUFIOREQ_OFF);
    XenSimIo io;
    ioreq_t last;

    minidm_start(dm);
    xensim_pio_write(f->sim, DOM, 0, PIO_BASE, 4, 0x12345678);
    g_assert_cmphex(xensim_pio_read(f->sim, DOM, 1, PIO_BASE, 4), ==,
                    0x12345678);
    g_assert_cmphex(xensim_pio_read(f->sim, DOM, 0, PIO_BASE + 1, 2), ==,
                    0x3456);
    last = minidm_last(dm);
    g_assert_cmpuint(last.type, ==, IOREQ_TYPE_PIO);
    g_assert_cmpuint(last.dir, ==, IOREQ_READ);
    g_assert_cmpuint(last.size, ==, 2);
    g_assert_cmphex(last.addr, ==, PIO_BASE + 1);
    g_assert_cmpuint(last.count, ==, 1);

    xensim_mmio_write(f->sim, DOM, 0, MMIO_BASE + 0x100, 8,
                      0x1122334455667788ULL);
    g_assert_cmphex(xensim_mmio_read(f->sim, DOM, 0, MMIO_BASE + 0x100, 8), ==,
                    0x1122334455667788ULL);
    g_assert_cmphex(xensim_mmio_read(f->sim, DOM, 1, MMIO_BASE + 0x104, 4), ==,
                    0x11223344);

    /* Unclaimed: the null handler, the server never sees it. */
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_READ, 0x80, 1, 0);
    g_assert_cmpint(xensim_io(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_cmpint(io.server, ==, -1);
    g_assert_cmphex(io.data & 0xff, ==, 0xff);
    g_assert_cmphex(xensim_mmio_read(f->sim, DOM, 0, 0xe0000000, 4), ==,
                    0xffffffff);
    xensim_mmio_write(f->sim, DOM, 0, 0xe0000000, 4, 0);
    /* Straddling the end of the claim: not fully contained. */
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_READ,
                   PIO_BASE + MINIDM_PIO_SIZE - 2, 4, 0);
    g_assert_cmpint(xensim_io(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_cmpint(io.server, ==, -1);
    g_assert_cmpuint(minidm_handled(dm), ==, 6);
    /* Bad requests from the test are refused, not sent. */
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_READ, PIO_BASE, 8, 0);
    g_assert_cmpint(xensim_io(f->sim, DOM, 0, &io), ==, XENSIM_IO_INVALID);
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_READ, PIO_BASE, 4, 0);
    g_assert_cmpint(xensim_io(f->sim, DOM, 2, &io), ==, XENSIM_IO_INVALID);
    g_assert_null(xensim_crash_reason(f->sim, DOM));
    g_assert_cmpuint(xensim_warnings(f->sim, DOM), ==, 0);
    minidm_free(dm);
}

static void test_io_selection(Fixture *f, gconstpointer data)
{
    MiniDm *low = dm_new(DOM, HVM_IOREQSRV_BUFIOREQ_OFF);
    MiniDmConfig cfg = {.domid = DOM, .pio_base = PIO_BASE + 0x40};
    MiniDm *high = minidm_new(&cfg);
    XenSimIo io;

    g_assert_cmpuint(low->id, ==, 0);
    g_assert_cmpuint(high->id, ==, 1);
    /* high also claims a sub-range of low's ports */
    g_assert_cmpint(xendevicemodel_map_io_range_to_ioreq_server(
                        high->dmod, DOM, high->id, 0, PIO_BASE, PIO_BASE + 3),
                    ==, 0);
    minidm_start(low);
    minidm_start(high);
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_WRITE, PIO_BASE, 2, 0xaaaa);
    g_assert_cmpint(xensim_io(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_cmpint(io.server, ==, 1); /* highest id wins */
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_WRITE, PIO_BASE + 2, 4, 1);
    g_assert_cmpint(xensim_io(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_cmpint(io.server, ==, 0); /* not contained in high's */
    /* A disabled server is skipped. */
    g_assert_cmpint(
        xendevicemodel_set_ioreq_server_state(high->dmod, DOM, high->id, 0), ==,
        0);
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_READ, PIO_BASE, 2, 0);
    g_assert_cmpint(xensim_io(f->sim, DOM, 1, &io), ==, XENSIM_IO_OK);
    g_assert_cmpint(io.server, ==, 0);
    g_assert_cmpint(
        xendevicemodel_set_ioreq_server_state(high->dmod, DOM, high->id, 1), ==,
        0);
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_READ, PIO_BASE, 2, 0);
    g_assert_cmpint(xensim_io(f->sim, DOM, 1, &io), ==, XENSIM_IO_OK);
    g_assert_cmpint(io.server, ==, 1);
    g_assert_cmphex(io.data & 0xffff, ==, 0xffff); /* high's regs: none */
    /* MMIO rep with df: the span is [addr - (count-1)*size, addr+size-1] */
    g_assert_cmpint(
        xendevicemodel_map_io_range_to_ioreq_server(
            high->dmod, DOM, high->id, 1, MMIO_BASE + 0x10, MMIO_BASE + 0x1f),
        ==, 0);
    xensim_io_init(&io, IOREQ_TYPE_COPY, IOREQ_WRITE, MMIO_BASE + 0x1c, 4, 7);
    io.count = 4;
    io.df = 1;
    g_assert_cmpint(xensim_io(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_cmpint(io.server, ==, 1);
    io.count = 5;
    g_assert_cmpint(xensim_io(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_cmpint(io.server, ==, 0);
    /* Destroying the higher server hands its ranges back. */
    minidm_stop(high);
    minidm_destroy(high);
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_READ, PIO_BASE, 2, 0);
    g_assert_cmpint(xensim_io(f->sim, DOM, 1, &io), ==, XENSIM_IO_OK);
    g_assert_cmpint(io.server, ==, 0);
    g_assert_cmphex(io.data & 0xffff, ==, 0);
    minidm_free(high);
    minidm_free(low);
}

static void test_io_pci_config(Fixture *f, gconstpointer data)
{
    MiniDm *dm = dm_new(DOM, HVM_IOREQSRV_BUFIOREQ_OFF);
    XenSimIo io;
    ioreq_t last;

    minidm_claim_pci(dm, 0, 5, 0);
    minidm_start(dm);
    xensim_pci_cfg_write(f->sim, DOM, 0, 0, 5 << 3, 0x10, 4, 0xfebf0000);
    g_assert_cmphex(xensim_pci_cfg_read(f->sim, DOM, 0, 0, 5 << 3, 0x10, 4), ==,
                    0xfebf0000);
    g_assert_cmphex(xensim_pci_cfg_read(f->sim, DOM, 1, 0, 5 << 3, 0x12, 2), ==,
                    0xfebf);
    last = minidm_last(dm);
    g_assert_cmpuint(last.type, ==, IOREQ_TYPE_PCI_CONFIG);
    /* SBDF in bits 63..32, register (with the byte offset) below */
    g_assert_cmphex(last.addr, ==, ((uint64_t)(5 << 3) << 32) | 0x12);
    g_assert_cmpuint(last.size, ==, 2);
    /* Other functions and slots: absent, all-ones, never forwarded. */
    g_assert_cmphex(xensim_pci_cfg_read(f->sim, DOM, 0, 0, (5 << 3) | 1, 0, 4),
                    ==, 0xffffffff);
    g_assert_cmphex(xensim_pci_cfg_read(f->sim, DOM, 0, 0, 6 << 3, 0, 2), ==,
                    0xffff);
    g_assert_cmpuint(minidm_handled(dm), ==, 3);
    /* With CF8 disabled, CFC is a plain (unclaimed) port. */
    xensim_pio_write(f->sim, DOM, 0, 0xcf8, 4, 0x00002810);
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_READ, 0xcfc, 4, 0);
    g_assert_cmpint(xensim_io(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_cmpint(io.server, ==, -1);
    g_assert_cmpuint(minidm_handled(dm), ==, 3);
    minidm_free(dm);
}

static void test_io_rep_ptr(Fixture *f, gconstpointer data)
{
    MiniDm *dm = dm_new(DOM, HVM_IOREQSRV_BUFIOREQ_OFF);
    const uint16_t src[4] = {0x1111, 0x2222, 0x3333, 0x4444};
    uint32_t words[4] = {0xa0a0a0a0, 0xb1b1b1b1, 0xc2c2c2c2, 0xd3d3d3d3};
    uint32_t back[4];
    uint16_t in[4];
    XenSimIo io;
    ioreq_t last;

    minidm_start(dm);
    /* rep outsw: four elements from guest RAM through one port */
    xensim_memwrite(f->sim, DOM, 0x3000, src, sizeof(src));
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_WRITE, PIO_BASE + 8, 2, 0x3000);
    io.count = 4;
    io.data_is_ptr = 1;
    g_assert_cmpint(xensim_io(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    last = minidm_last(dm);
    g_assert_cmpuint(last.count, ==, 4);
    g_assert_true(last.data_is_ptr);
    g_assert_cmphex(xensim_pio_read(f->sim, DOM, 0, PIO_BASE + 8, 2), ==,
                    0x4444);
    /* rep insw with df: elements land downwards from the buffer */
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_READ, PIO_BASE + 8, 2, 0x4006);
    io.count = 4;
    io.df = 1;
    io.data_is_ptr = 1;
    g_assert_cmpint(xensim_io(f->sim, DOM, 1, &io), ==, XENSIM_IO_OK);
    g_assert_true(xensim_memread(f->sim, DOM, 0x4000, in, sizeof(in)));
    g_assert_cmphex(in[0], ==, 0x4444);
    g_assert_cmphex(in[3], ==, 0x4444);
    /* MMIO movs: guest RAM to registers and back, crossing a page */
    xensim_memwrite(f->sim, DOM, 0x5ff8, words, sizeof(words));
    xensim_io_init(&io, IOREQ_TYPE_COPY, IOREQ_WRITE, MMIO_BASE + 0x200, 4,
                   0x5ff8);
    io.count = 4;
    io.data_is_ptr = 1;
    g_assert_cmpint(xensim_io(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_cmphex(xensim_mmio_read(f->sim, DOM, 0, MMIO_BASE + 0x20c, 4), ==,
                    0xd3d3d3d3);
    xensim_io_init(&io, IOREQ_TYPE_COPY, IOREQ_READ, MMIO_BASE + 0x200, 4,
                   0x7000);
    io.count = 4;
    io.data_is_ptr = 1;
    g_assert_cmpint(xensim_io(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_true(xensim_memread(f->sim, DOM, 0x7000, back, sizeof(back)));
    g_assert_cmpmem(back, sizeof(back), words, sizeof(words));
    /* rep stos: one value, count registers */
    xensim_io_init(&io, IOREQ_TYPE_COPY, IOREQ_WRITE, MMIO_BASE + 0x300, 8,
                   0x5a5a5a5a5a5a5a5aULL);
    io.count = 3;
    g_assert_cmpint(xensim_io(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_cmphex(xensim_mmio_read(f->sim, DOM, 0, MMIO_BASE + 0x310, 8), ==,
                    0x5a5a5a5a5a5a5a5aULL);
    g_assert_cmphex(xensim_mmio_read(f->sim, DOM, 0, MMIO_BASE + 0x318, 8), ==,
                    0);
    /* The null handler fills pointer reads with all-ones. */
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_READ, 0x70, 1, 0x8000);
    io.count = 2;
    io.data_is_ptr = 1;
    g_assert_cmpint(xensim_io(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_true(xensim_memread(f->sim, DOM, 0x8000, in, 4));
    g_assert_cmphex(in[0], ==, 0xffff);
    minidm_free(dm);
}

static void test_io_invalidate(Fixture *f, gconstpointer data)
{
    MiniDm *a = dm_new(DOM, HVM_IOREQSRV_BUFIOREQ_OFF);
    MiniDmConfig cfg = {.domid = DOM};
    MiniDm *b = minidm_new(&cfg);
    ioreq_t last;

    minidm_start(a);
    minidm_start(b);
    g_assert_cmpint(xensim_invalidate(f->sim, DOM, 1), ==, XENSIM_IO_OK);
    g_assert_cmpuint(minidm_invalidates(a), ==, 1);
    g_assert_cmpuint(minidm_invalidates(b), ==, 1);
    last = minidm_last(b);
    g_assert_cmpuint(last.type, ==, IOREQ_TYPE_INVALIDATE);
    g_assert_cmpuint(last.size, ==, 4);
    g_assert_cmpuint(last.count, ==, 0);
    g_assert_cmpuint(last.dir, ==, IOREQ_WRITE);
    g_assert_cmphex(last.data, ==, ~0ULL);
    /* Only enabled servers take part. */
    g_assert_cmpint(
        xendevicemodel_set_ioreq_server_state(b->dmod, DOM, b->id, 0), ==, 0);
    g_assert_cmpint(xensim_invalidate(f->sim, DOM, 0), ==, XENSIM_IO_OK);
    g_assert_cmpuint(minidm_invalidates(a), ==, 2);
    g_assert_cmpuint(minidm_invalidates(b), ==, 1);
    minidm_free(b);
    minidm_free(a);
}

/* The test is the device model: every step of the slot protocol. */
static void test_io_state_machine(Fixture *f, gconstpointer data)
{
    MiniDm *dm = dm_new(DOM, HVM_IOREQSRV_BUFIOREQ_OFF);
    XenSimIo io;
    ioreq_t *p;
    char *why;

    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_READ, PIO_BASE, 4, 0);
    g_assert_cmpint(xensim_io_start(f->sim, DOM, 1, &io), ==, XENSIM_IO_OK);
    g_assert_cmpint(io.server, ==, 0);
    g_assert_cmpint(xensim_io_start(f->sim, DOM, 1, &io), ==, XENSIM_IO_BUSY);
    g_assert_cmpint(minidm_wait_event(dm, 2000), ==, 1);
    g_assert_cmpuint(minidm_state(dm, 1), ==, STATE_IOREQ_READY);
    p = minidm_slot(dm, 1);
    g_assert_cmphex(p->addr, ==, PIO_BASE);
    g_assert_cmpuint(p->size, ==, 4);
    /* INPROCESS without a response keeps the vCPU blocked. */
    minidm_set_state(dm, 1, STATE_IOREQ_INPROCESS);
    minidm_notify(dm, 1);
    g_assert_cmpint(xensim_io_wait(f->sim, DOM, 1, &io, 100), ==,
                    XENSIM_IO_TIMEOUT);
    /* IORESP_READY without a notification is not seen either. */
    p->data = 0xcafe;
    minidm_set_state(dm, 1, STATE_IORESP_READY);
    g_assert_cmpint(xensim_io_wait(f->sim, DOM, 1, &io, 100), ==,
                    XENSIM_IO_TIMEOUT);
    g_assert_cmpuint(xensim_warnings(f->sim, DOM), ==, 1);
    minidm_notify(dm, 1);
    g_assert_cmpint(xensim_io_wait(f->sim, DOM, 1, &io, 2000), ==,
                    XENSIM_IO_OK);
    g_assert_cmphex(io.data, ==, 0xcafe);
    /* Xen consumed the response and reset the slot. */
    g_assert_cmpuint(minidm_state(dm, 1), ==, STATE_IOREQ_NONE);

    /* The emulator resetting the slot to NONE completes it with ~0. */
    g_assert_cmpint(xensim_io_start(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_cmpint(minidm_wait_event(dm, 2000), ==, 0);
    minidm_set_state(dm, 0, STATE_IOREQ_NONE);
    minidm_notify(dm, 0);
    g_assert_cmpint(xensim_io_wait(f->sim, DOM, 0, &io, 2000), ==,
                    XENSIM_IO_OK);
    g_assert_cmphex(io.data, ==, ~0ULL);
    g_assert_cmpuint(xensim_warnings(f->sim, DOM), ==, 2);

    /* Going backwards crashes the domain. */
    g_assert_cmpint(xensim_io_start(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_cmpint(minidm_wait_event(dm, 2000), ==, 0);
    minidm_set_state(dm, 0, STATE_IOREQ_INPROCESS);
    minidm_notify(dm, 0);
    g_assert_cmpint(xensim_io_wait(f->sim, DOM, 0, &io, 100), ==,
                    XENSIM_IO_TIMEOUT);
    minidm_set_state(dm, 0, STATE_IOREQ_READY);
    minidm_notify(dm, 0);
    g_assert_cmpint(xensim_io_wait(f->sim, DOM, 0, &io, 2000), ==,
                    XENSIM_IO_CRASHED);
    why = xensim_crash_reason(f->sim, DOM);
    g_assert_nonnull(strstr(why, "transition 2 -> 1"));
    g_free(why);
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_READ, PIO_BASE, 4, 0);
    g_assert_cmpint(xensim_io(f->sim, DOM, 1, &io), ==, XENSIM_IO_CRASHED);
    minidm_free(dm);
}

static void test_io_bad_state(Fixture *f, gconstpointer data)
{
    GError *err = NULL;
    MiniDm *dm;
    XenSimIo io;
    char *why;

    /* An out-of-range state crashes the domain. */
    dm = dm_new(DOM, HVM_IOREQSRV_BUFIOREQ_OFF);
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_WRITE, PIO_BASE, 1, 1);
    g_assert_cmpint(xensim_io_start(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_cmpint(minidm_wait_event(dm, 2000), ==, 0);
    minidm_set_state(dm, 0, 9);
    minidm_notify(dm, 0);
    g_assert_cmpint(xensim_io_wait(f->sim, DOM, 0, &io, 2000), ==,
                    XENSIM_IO_CRASHED);
    why = xensim_crash_reason(f->sim, DOM);
    g_assert_cmpstr(why, ==, "Weird HVM iorequest state 9");
    g_free(why);
    minidm_free(dm);

    /* A slot the device model left busy: "bad IO state" on the next send */
    g_assert_true(xensim_domain_create(f->sim, DOM + 1, 1, 1 << 20, &err));
    g_assert_no_error(err);
    dm = dm_new(DOM + 1, HVM_IOREQSRV_BUFIOREQ_OFF);
    minidm_set_state(dm, 0, STATE_IORESP_READY);
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_WRITE, PIO_BASE, 1, 1);
    g_assert_cmpint(xensim_io(f->sim, DOM + 1, 0, &io), ==, XENSIM_IO_CRASHED);
    why = xensim_crash_reason(f->sim, DOM + 1);
    g_assert_cmpstr(why, ==, "device model set bad IO state 3");
    g_free(why);
    minidm_free(dm);

    /* A broadcast only skips a busy slot. */
    g_assert_true(xensim_domain_create(f->sim, DOM + 2, 1, 1 << 20, &err));
    dm = dm_new(DOM + 2, HVM_IOREQSRV_BUFIOREQ_OFF);
    minidm_set_state(dm, 0, STATE_IOREQ_INPROCESS);
    g_assert_cmpint(xensim_invalidate(f->sim, DOM + 2, 0), ==, XENSIM_IO_OK);
    g_assert_cmpuint(xensim_warnings(f->sim, DOM + 2), ==, 1);
    g_assert_null(xensim_crash_reason(f->sim, DOM + 2));
    minidm_free(dm);
}

typedef struct VcpuJob {
    XenSim *sim;
    unsigned vcpu;
    unsigned ok;
} VcpuJob;

static gpointer vcpu_job(gpointer opaque)
{
    VcpuJob *j = opaque;
    unsigned i;

    for (i = 0; i < 200; i++) {
        uint32_t v = (j->vcpu << 24) | i;
        uint64_t reg = PIO_BASE + 4 * j->vcpu;
        XenSimIo io;

        xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_WRITE, reg, 4, v);
        if (xensim_io(j->sim, DOM, j->vcpu, &io) != XENSIM_IO_OK) {
            break;
        }
        xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_READ, reg, 4, 0);
        if (xensim_io(j->sim, DOM, j->vcpu, &io) != XENSIM_IO_OK ||
            (uint32_t)io.data != v) {
            break;
        }
        j->ok++;
    }
    return NULL;
}

static void test_io_multi_vcpu(Fixture *f, gconstpointer data)
{
    MiniDm *dm = dm_new(DOM, HVM_IOREQSRV_BUFIOREQ_OFF);
    VcpuJob jobs[4];
    GThread *th[4];
    unsigned v;

    g_assert_cmpuint(dm->nr_vcpus, ==, 4);
    minidm_start(dm);
    for (v = 0; v < 4; v++) {
        jobs[v] = (VcpuJob){.sim = f->sim, .vcpu = v};
        th[v] = g_thread_new("vcpu", vcpu_job, &jobs[v]);
    }
    for (v = 0; v < 4; v++) {
        g_thread_join(th[v]);
        g_assert_cmpuint(jobs[v].ok, ==, 200);
    }
    g_assert_cmpuint(minidm_handled(dm), ==, 4 * 400);
    minidm_free(dm);
}

static void test_io_destroy_in_flight(Fixture *f, gconstpointer data)
{
    MiniDm *dm = dm_new(DOM, HVM_IOREQSRV_BUFIOREQ_OFF);
    XenSimIo io;

    /* Destroyed by its device model without an answer: never resumes. */
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_READ, PIO_BASE, 4, 0);
    g_assert_cmpint(xensim_io_start(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_cmpint(minidm_wait_event(dm, 2000), ==, 0);
    minidm_destroy(dm);
    g_assert_cmpint(xensim_io_wait(f->sim, DOM, 0, &io, 2000), ==,
                    XENSIM_IO_ORPHANED);
    minidm_free(dm);

    /* Answered, then destroyed: the vCPU got its answer. */
    dm = dm_new(DOM, HVM_IOREQSRV_BUFIOREQ_OFF);
    g_assert_cmpint(xensim_io_start(f->sim, DOM, 1, &io), ==, XENSIM_IO_OK);
    g_assert_cmpint(minidm_wait_event(dm, 2000), ==, 1);
    minidm_answer(dm, 1);
    minidm_destroy(dm);
    g_assert_cmpint(xensim_io_wait(f->sim, DOM, 1, &io, 2000), ==,
                    XENSIM_IO_OK);
    minidm_free(dm);

    /* Destroyed behind the device model's back (fault injection). */
    dm = dm_new(DOM, HVM_IOREQSRV_BUFIOREQ_OFF);
    g_assert_cmpint(xensim_io_start(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_true(xensim_server_destroy(f->sim, DOM, dm->id));
    g_assert_cmpint(xensim_io_wait(f->sim, DOM, 0, &io, 2000), ==,
                    XENSIM_IO_ORPHANED);
    g_assert_cmpint(
        xendevicemodel_set_ioreq_server_state(dm->dmod, DOM, dm->id, 1), ==,
        -1);
    g_assert_cmpint(errno, ==, ENOENT);
    dm->destroyed = true;
    minidm_free(dm);

    /* The domain going away orphans requests too. */
    dm = dm_new(DOM, HVM_IOREQSRV_BUFIOREQ_OFF);
    g_assert_cmpint(xensim_io_start(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_true(xensim_domain_destroy(f->sim, DOM));
    g_assert_cmpint(xensim_io_wait(f->sim, DOM, 0, &io, 2000), ==,
                    XENSIM_IO_ORPHANED);
    g_assert_cmpint(xendevicemodel_destroy_ioreq_server(dm->dmod, DOM, dm->id),
                    ==, -1);
    g_assert_cmpint(errno, ==, ESRCH);
    dm->destroyed = true;
    minidm_free(dm);
}

static void test_io_buffered(Fixture *f, gconstpointer data)
{
    MiniDmConfig cfg = {
        .domid = DOM,
        .bufioreq = HVM_IOREQSRV_BUFIOREQ_ATOMIC,
        .mmio_base = 0xa0000,
    };
    MiniDm *dm = minidm_new(&cfg);
    XenSimIo io;
    unsigned i;

    g_assert_cmpuint(dm->buf_local, !=, 0);
    xensim_io_init(&io, IOREQ_TYPE_COPY, IOREQ_WRITE, 0xa0010, 2, 0xbeef);
    g_assert_true(xensim_send_buffered(f->sim, DOM, &io));
    g_assert_cmpint(minidm_wait_event(dm, 2000), ==, (int)dm->nr_vcpus);
    g_assert_cmpuint(dm->nr_buffered, ==, 1);
    g_assert_cmpuint(dm->buffered[0].size, ==, 1);
    g_assert_cmphex(dm->buffered[0].addr, ==, 0xa0010);
    g_assert_cmphex(dm->buffered[0].data, ==, 0xbeef);
    /* TIMEOFFSET: 64-bit data in two slots */
    g_assert_cmpuint(xensim_broadcast_timeoffset(f->sim, DOM, 0x123456789aLL),
                     ==, 1);
    g_assert_cmpint(minidm_wait_event(dm, 2000), ==, (int)dm->nr_vcpus);
    g_assert_cmpuint(dm->nr_buffered, ==, 3);
    g_assert_cmpuint(dm->buffered[1].type, ==, IOREQ_TYPE_TIMEOFFSET);
    g_assert_cmphex(dm->buffered[1].data, ==, 0x3456789a);
    g_assert_cmphex(dm->buffered[2].data, ==, 0x12);
    /* Not bufferable: pointer, rep, or beyond 1 MiB. */
    io.count = 2;
    g_assert_false(xensim_send_buffered(f->sim, DOM, &io));
    /* ATOMIC: pointers are canonicalised below the ring size. */
    io.count = 1;
    for (i = 0; i < 700; i++) {
        g_assert_true(xensim_send_buffered(f->sim, DOM, &io));
        g_assert_cmpint(minidm_wait_event(dm, 2000), >=, 0);
    }
    g_assert_cmpuint(dm->bufpage->write_pointer, <, 2 * IOREQ_BUFFER_SLOT_NUM);
    g_assert_cmpuint(dm->nr_buffered, ==, 703);
    minidm_free(dm);
}

void test_xensim_io_register(void)
{
#define ADD XENSIM_TEST_ADD
    ADD("io/basic", test_io_basic, 2);
    ADD("io/selection", test_io_selection, 2);
    ADD("io/pci-config", test_io_pci_config, 2);
    ADD("io/rep-ptr", test_io_rep_ptr, 2);
    ADD("io/invalidate", test_io_invalidate, 2);
    ADD("io/state-machine", test_io_state_machine, 2);
    ADD("io/bad-state", test_io_bad_state, 1);
    ADD("io/multi-vcpu", test_io_multi_vcpu, 4);
    ADD("io/destroy-in-flight", test_io_destroy_in_flight, 2);
    ADD("io/buffered", test_io_buffered, 1);
#undef ADD
}
