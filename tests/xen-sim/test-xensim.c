/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim self-tests, device model side: the replacement libraries
 * (linked here in place of Debian's, exactly as a device model would use
 * them) against the simulator, driven by minidm (an in-test ioreq server)
 * and by the test playing the guest's vCPUs.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xen/memory.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xentoolcore.h>

#include "test-xensim.h"

void fixture_setup(Fixture *f, gconstpointer data)
{
    unsigned vcpus = data ? GPOINTER_TO_UINT(data) : 2;
    GError *err = NULL;

    f->sim = xensim_new(&err);
    g_assert_no_error(err);
    xensim_setenv(f->sim);
    xensim_set_timeout(f->sim, 5000);
    g_assert_true(xensim_domain_create(f->sim, DOM, vcpus, 16 << 20, &err));
    g_assert_no_error(err);
}

void fixture_teardown(Fixture *f, gconstpointer data)
{
    xensim_free(f->sim);
}

MiniDm *dm_new(uint16_t domid, int bufioreq)
{
    MiniDmConfig cfg = {
        .domid = domid,
        .bufioreq = bufioreq,
        .pio_base = PIO_BASE,
        .mmio_base = MMIO_BASE,
    };

    return minidm_new(&cfg);
}

/* ---- libraries without a simulator ---- */

static void test_lib_no_env(void)
{
    gchar *saved = g_strdup(g_getenv(XENSIM_SOCKET_ENV));

    g_unsetenv(XENSIM_SOCKET_ENV);
    errno = 0;
    g_assert_null(xendevicemodel_open(NULL, 0));
    g_assert_cmpint(errno, ==, ENOENT);
    errno = 0;
    g_assert_null(xenforeignmemory_open(NULL, 0));
    g_assert_cmpint(errno, ==, ENOENT);
    errno = 0;
    g_assert_null(xenevtchn_open(NULL, 0));
    g_assert_cmpint(errno, ==, ENOENT);
    g_assert_cmpint(xentoolcore_restrict_all(DOM), ==, 0);
    if (saved) {
        g_setenv(XENSIM_SOCKET_ENV, saved, TRUE);
    }
    g_free(saved);
}

static void test_lib_open_fault(Fixture *f, gconstpointer data)
{
    xendevicemodel_handle *dmod;

    xensim_inject_error(f->sim, XENSIM_OP_DM_OPEN, EACCES, 0, 1);
    errno = 0;
    g_assert_null(xendevicemodel_open(NULL, 0));
    g_assert_cmpint(errno, ==, EACCES);
    dmod = xendevicemodel_open(NULL, 0);
    g_assert_nonnull(dmod);
    xendevicemodel_close(dmod);
    g_assert_cmpuint(xensim_op_count(f->sim, XENSIM_OP_DM_OPEN), ==, 2);
}

/* ---- DMOP semantics ---- */

static void test_dm_errors(Fixture *f, gconstpointer data)
{
    xendevicemodel_handle *dmod = xendevicemodel_open(NULL, 0);
    ioservid_t id, ids[8];
    unsigned n, i;

    g_assert_nonnull(dmod);
    errno = 0;
    g_assert_cmpint(xendevicemodel_create_ioreq_server(dmod, 99, 0, &id), ==,
                    -1);
    g_assert_cmpint(errno, ==, ESRCH);
    g_assert_cmpint(xendevicemodel_create_ioreq_server(dmod, 0, 0, &id), ==,
                    -1);
    g_assert_cmpint(errno, ==, EPERM);
    g_assert_cmpint(xendevicemodel_create_ioreq_server(dmod, DOM, 3, &id), ==,
                    -1);
    g_assert_cmpint(errno, ==, EINVAL);
    xensim_domain_deny(f->sim, DOM, true);
    g_assert_cmpint(xendevicemodel_nr_vcpus(dmod, DOM, &n), ==, -1);
    g_assert_cmpint(errno, ==, EPERM);
    xensim_domain_deny(f->sim, DOM, false);
    g_assert_cmpint(xendevicemodel_nr_vcpus(dmod, DOM, &n), ==, 0);
    g_assert_cmpuint(n, ==, 2);

    for (i = 0; i < 8; i++) {
        g_assert_cmpint(
            xendevicemodel_create_ioreq_server(dmod, DOM, 0, &ids[i]), ==, 0);
        g_assert_cmpuint(ids[i], ==, i);
    }
    g_assert_cmpint(xendevicemodel_create_ioreq_server(dmod, DOM, 0, &id), ==,
                    -1);
    g_assert_cmpint(errno, ==, ENOSPC);
    g_assert_cmpint(xendevicemodel_destroy_ioreq_server(dmod, DOM, 3), ==, 0);
    g_assert_cmpint(xendevicemodel_create_ioreq_server(dmod, DOM, 0, &id), ==,
                    0);
    g_assert_cmpuint(id, ==, 3); /* lowest free id */

    g_assert_cmpint(
        xendevicemodel_get_ioreq_server_info(dmod, DOM, 8, NULL, NULL, NULL),
        ==, -1);
    g_assert_cmpint(errno, ==, ENOENT);
    g_assert_cmpint(xendevicemodel_map_io_range_to_ioreq_server(dmod, DOM, 0, 0,
                                                                0x20, 0x10),
                    ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(xendevicemodel_map_io_range_to_ioreq_server(dmod, DOM, 0, 0,
                                                                0x10, 0x1f),
                    ==, 0);
    g_assert_cmpint(xendevicemodel_map_io_range_to_ioreq_server(dmod, DOM, 0, 0,
                                                                0x18, 0x20),
                    ==, -1);
    g_assert_cmpint(errno, ==, EEXIST);
    /* Another server may overlap. */
    g_assert_cmpint(xendevicemodel_map_io_range_to_ioreq_server(dmod, DOM, 1, 0,
                                                                0x18, 0x20),
                    ==, 0);
    /* Adjacent ranges merge, so the union can be unmapped in parts. */
    g_assert_cmpint(xendevicemodel_map_io_range_to_ioreq_server(dmod, DOM, 0, 0,
                                                                0x20, 0x2f),
                    ==, 0);
    g_assert_true(xensim_server_claims(f->sim, DOM, 0, false, 0x10, 0x2f));
    g_assert_cmpint(xendevicemodel_unmap_io_range_from_ioreq_server(
                        dmod, DOM, 0, 0, 0x14, 0x17),
                    ==, 0);
    g_assert_false(xensim_server_claims(f->sim, DOM, 0, false, 0x10, 0x2f));
    g_assert_true(xensim_server_claims(f->sim, DOM, 0, false, 0x18, 0x2f));
    g_assert_cmpint(xendevicemodel_unmap_io_range_from_ioreq_server(
                        dmod, DOM, 0, 0, 0x12, 0x18),
                    ==, -1);
    g_assert_cmpint(errno, ==, ENOENT);
    g_assert_cmpint(xendevicemodel_unmap_io_range_from_ioreq_server(
                        dmod, DOM, 0, 1, 0x18, 0x1f),
                    ==, -1);
    g_assert_cmpint(errno, ==, ENOENT);

    g_assert_cmpint(
        xendevicemodel_map_pcidev_to_ioreq_server(dmod, DOM, 0, 0, 0, 32, 0),
        ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(
        xendevicemodel_map_pcidev_to_ioreq_server(dmod, DOM, 0, 0, 0, 4, 0), ==,
        0);
    g_assert_cmpint(
        xendevicemodel_map_pcidev_to_ioreq_server(dmod, DOM, 0, 0, 0, 4, 0), ==,
        -1);
    g_assert_cmpint(errno, ==, EEXIST);
    g_assert_true(xensim_server_has_pcidev(f->sim, DOM, 0, 0, 0, 4, 0));
    g_assert_cmpint(
        xendevicemodel_unmap_pcidev_from_ioreq_server(dmod, DOM, 0, 0, 0, 4, 0),
        ==, 0);
    g_assert_false(xensim_server_has_pcidev(f->sim, DOM, 0, 0, 0, 4, 0));

    g_assert_cmpint(xendevicemodel_map_mem_type_to_ioreq_server(
                        dmod, DOM, 0, HVMMEM_ram_rw, 0),
                    ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(xendevicemodel_map_mem_type_to_ioreq_server(
                        dmod, DOM, 0, HVMMEM_ioreq_server, 1),
                    ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(
        xendevicemodel_map_mem_type_to_ioreq_server(
            dmod, DOM, 0, HVMMEM_ioreq_server, XEN_DMOP_IOREQ_MEM_ACCESS_WRITE),
        ==, 0);
    g_assert_cmpint(xendevicemodel_destroy_ioreq_server(dmod, DOM, 9), ==, -1);
    g_assert_cmpint(errno, ==, ENOENT);
    g_assert_cmpuint(xensim_server_count(f->sim, DOM), ==, 8);
    xendevicemodel_close(dmod);
    /* Servers belong to the domain, not to the handle. */
    g_assert_cmpuint(xensim_server_count(f->sim, DOM), ==, 8);
}

static void test_dm_recorded(Fixture *f, gconstpointer data)
{
    xendevicemodel_handle *dmod = xendevicemodel_open(NULL, 0);
    struct xen_dm_op_modified_memory_extent ext[2] = {
        {.nr = 2, .first_pfn = 10},
        {.nr = 1, .first_pfn = 100},
    };
    unsigned long bitmap[2] = {~0UL, ~0UL};
    uint64_t addr;
    uint32_t mdata;
    uint8_t page[16];
    uint64_t ram;

    g_assert_nonnull(dmod);
    /* INTx: level per (device, pin), GSI ((dev*4 + dev/8 + intx) & 31)+16 */
    g_assert_cmpint(xendevicemodel_set_pci_intx_level(dmod, DOM, 0, 0, 3, 0, 1),
                    ==, 0);
    g_assert_cmpint(xendevicemodel_set_pci_intx_level(dmod, DOM, 0, 0, 3, 0, 1),
                    ==, 0);
    g_assert_cmpint(xensim_intx_level(f->sim, DOM, 3, 0), ==, 1);
    g_assert_cmpuint(xensim_intx_calls(f->sim, DOM, 3, 0), ==, 2);
    g_assert_cmpuint(xensim_intx_changes(f->sim, DOM, 3, 0), ==, 1);
    g_assert_cmpint(xensim_gsi_level(f->sim, DOM, 28), ==, 1);
    g_assert_cmpint(xendevicemodel_set_pci_link_route(dmod, DOM, 3, 11), ==, 0);
    g_assert_cmpint(xensim_pci_link_route(f->sim, DOM, 3), ==, 11);
    g_assert_cmpint(xensim_isa_irq_level(f->sim, DOM, 11), ==, 1);
    g_assert_cmpint(xendevicemodel_set_pci_intx_level(dmod, DOM, 0, 0, 3, 0, 0),
                    ==, 0);
    g_assert_cmpint(xensim_gsi_level(f->sim, DOM, 28), ==, 0);
    g_assert_cmpint(xensim_isa_irq_level(f->sim, DOM, 11), ==, 0);
    g_assert_cmpint(xendevicemodel_set_pci_intx_level(dmod, DOM, 0, 1, 3, 0, 1),
                    ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(xendevicemodel_set_pci_intx_level(dmod, DOM, 0, 0, 3, 4, 1),
                    ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(xendevicemodel_set_pci_intx_level(dmod, DOM, 0, 0, 3, 0, 2),
                    ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(xendevicemodel_set_isa_irq_level(dmod, DOM, 16, 1), ==, -1);
    g_assert_cmpint(xendevicemodel_set_isa_irq_level(dmod, DOM, 5, 1), ==, 0);
    g_assert_cmpint(xensim_isa_irq_level(f->sim, DOM, 5), ==, 1);
    g_assert_cmpint(xendevicemodel_set_irq_level(dmod, DOM, 40, 1), ==, 0);
    g_assert_cmpint(xensim_gsi_level(f->sim, DOM, 40), ==, 1);
    g_assert_cmpint(xendevicemodel_set_irq_level(dmod, DOM, 48, 1), ==, -1);
    g_assert_cmpint(xendevicemodel_set_pci_link_route(dmod, DOM, 4, 5), ==, -1);

    g_assert_cmpint(xendevicemodel_inject_msi(dmod, DOM, 0xfee00000, 0x4041),
                    ==, 0);
    g_assert_cmpuint(xensim_msi_count(f->sim, DOM, &addr, &mdata), ==, 1);
    g_assert_cmphex(addr, ==, 0xfee00000);
    g_assert_cmphex(mdata, ==, 0x4041);

    g_assert_cmpint(xendevicemodel_modified_memory_bulk(dmod, DOM, ext, 2), ==,
                    0);
    g_assert_true(xensim_page_modified(f->sim, DOM, 11));
    g_assert_true(xensim_page_modified(f->sim, DOM, 100));
    g_assert_false(xensim_page_modified(f->sim, DOM, 12));
    g_assert_cmpint(xendevicemodel_modified_memory(dmod, DOM, 4095, 2), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    xensim_clear_modified(f->sim, DOM);
    g_assert_false(xensim_page_modified(f->sim, DOM, 11));

    g_assert_cmpint(
        xendevicemodel_set_mem_type(dmod, DOM, HVMMEM_ram_ro, 0xc0, 0x40), ==,
        0);
    g_assert_cmpint(xensim_mem_type(f->sim, DOM, 0xc5), ==, HVMMEM_ram_ro);
    g_assert_cmpint(xensim_mem_type(f->sim, DOM, 0x100), ==, HVMMEM_ram_rw);
    g_assert_cmpint(xendevicemodel_set_mem_type(dmod, DOM, HVMMEM_unused, 0, 1),
                    ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);

    g_assert_cmpint(
        xendevicemodel_track_dirty_vram(dmod, DOM, 0xa0, 100, bitmap), ==, 0);
    g_assert_cmphex(bitmap[0], ==, 0);
    g_assert_cmpint(xendevicemodel_pin_memory_cacheattr(dmod, DOM, 0, 10, 2),
                    ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(xendevicemodel_pin_memory_cacheattr(
                        dmod, DOM, 0, 10, XEN_DMOP_MEM_CACHEATTR_WB),
                    ==, 0);
    g_assert_cmpint(xendevicemodel_inject_event(dmod, DOM, 2, 14, 3, 0, 0, 0),
                    ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(xendevicemodel_inject_event(dmod, DOM, 1, 14, 3, 0, 0, 0),
                    ==, 0);

    /* relocate_memory moves the page contents and populates dst only */
    xensim_memwrite(f->sim, DOM, 50 * 4096, "relocated-page!", 16);
    g_assert_cmpint(xendevicemodel_relocate_memory(dmod, DOM, 1, 50, 60), ==,
                    0);
    g_assert_true(xensim_memread(f->sim, DOM, 60 * 4096, page, 16));
    g_assert_cmpstr((char *)page, ==, "relocated-page!");
    g_assert_nonnull(xensim_guest_ram(f->sim, DOM, &ram));
    g_assert_cmpuint(ram, ==, 16 << 20);

    g_assert_cmpint(xensim_shutdown_reason(f->sim, DOM), ==, -1);
    g_assert_cmpint(xendevicemodel_shutdown(dmod, DOM, 2), ==, 0);
    g_assert_cmpint(xensim_shutdown_reason(f->sim, DOM), ==, 2);
    xendevicemodel_close(dmod);
}

static void test_dm_lifecycle(Fixture *f, gconstpointer data)
{
    xendevicemodel_handle *dmod = xendevicemodel_open(NULL, 0);
    xenforeignmemory_handle *fmem = xenforeignmemory_open(NULL, 0);
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    xenforeignmemory_resource_handle *fres;
    XenSimServerInfo info;
    shared_iopage_t *page;
    void *addr = NULL;
    xen_pfn_t gfn;
    evtchn_port_t port = 1234, local[2];
    ioservid_t id;
    size_t size;
    int rc, i;

    g_assert_nonnull(dmod);
    g_assert_nonnull(fmem);
    g_assert_nonnull(xce);
    g_assert_cmpint(xendevicemodel_create_ioreq_server(
                        dmod, DOM, HVM_IOREQSRV_BUFIOREQ_OFF, &id),
                    ==, 0);
    g_assert_cmpint(xenforeignmemory_resource_size(
                        fmem, DOM, XENMEM_resource_ioreq_server, id, &size),
                    ==, 0);
    g_assert_cmpuint(size, ==, 2 * 4096);
    /* No buffered page without buffering. */
    g_assert_null(xenforeignmemory_map_resource(
        fmem, DOM, XENMEM_resource_ioreq_server, id, 0, 2, &addr,
        PROT_READ | PROT_WRITE, 0));
    g_assert_cmpint(errno, ==, ENOENT);
    g_assert_null(xenforeignmemory_map_resource(
        fmem, DOM, XENMEM_resource_ioreq_server, id, 1, 2, &addr,
        PROT_READ | PROT_WRITE, 0));
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_null(
        xenforeignmemory_map_resource(fmem, DOM, XENMEM_resource_grant_table, 0,
                                      0, 1, &addr, PROT_READ | PROT_WRITE, 0));
    g_assert_cmpint(errno, ==, EOPNOTSUPP);
    g_assert_null(xenforeignmemory_map_resource(
        fmem, DOM, XENMEM_resource_ioreq_server, id, 1, 1, &addr,
        PROT_READ | PROT_WRITE, MAP_FIXED));
    g_assert_cmpint(errno, ==, EINVAL);
    fres = xenforeignmemory_map_resource(
        fmem, DOM, XENMEM_resource_ioreq_server, id,
        XENMEM_resource_ioreq_server_frame_ioreq(0), 1, &addr,
        PROT_READ | PROT_WRITE, 0);
    g_assert_nonnull(fres);
    page = addr;
    /* Mixing with the legacy GFN path is refused. */
    g_assert_cmpint(
        xendevicemodel_get_ioreq_server_info(dmod, DOM, id, &gfn, NULL, NULL),
        ==, -1);
    g_assert_cmpint(errno, ==, EPERM);
    g_assert_cmpint(
        xendevicemodel_get_ioreq_server_info(dmod, DOM, id, NULL, NULL, &port),
        ==, 0);
    g_assert_cmpuint(port, ==, 0);

    /* vp_eport is meaningful only once the server is enabled. */
    g_assert_cmpuint(page->vcpu_ioreq[0].vp_eport, ==, 0);
    g_assert_cmpint(xendevicemodel_set_ioreq_server_state(dmod, DOM, id, 1), ==,
                    0);
    for (i = 0; i < 2; i++) {
        g_assert_cmpuint(page->vcpu_ioreq[i].vp_eport, !=, 0);
        rc = xenevtchn_bind_interdomain(xce, DOM, page->vcpu_ioreq[i].vp_eport);
        g_assert_cmpint(rc, >, 0);
        local[i] = (evtchn_port_t)rc;
        g_assert_cmpuint(local[i], !=, page->vcpu_ioreq[i].vp_eport);
        /* Binding raises the new port once (lost notifications). */
        g_assert_cmpint(xenevtchn_pending(xce), ==, (int)local[i]);
        g_assert_cmpint(xenevtchn_unmask(xce, local[i]), ==, 0);
    }
    /* A port is bound once. */
    g_assert_cmpint(
        xenevtchn_bind_interdomain(xce, DOM, page->vcpu_ioreq[0].vp_eport), ==,
        -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_true(xensim_server_info(f->sim, DOM, id, &info));
    g_assert_true(info.enabled);
    g_assert_true(info.mapped_resource);
    g_assert_cmpuint(info.ports_bound, ==, 2);
    g_assert_cmpint(info.creator, ==, getpid());
    g_assert_cmpint(xensim_wait_server_ready(f->sim, DOM, -1, 1000), ==, id);

    g_assert_cmpint(xendevicemodel_destroy_ioreq_server(dmod, DOM, id), ==, 0);
    g_assert_cmpuint(xensim_server_count(f->sim, DOM), ==, 0);
    g_assert_true(xensim_wait_no_servers(f->sim, DOM, 0));
    /* The local ports survive, unbound, until the DM closes them. */
    g_assert_cmpint(xenevtchn_notify(xce, local[0]), ==, 0);
    g_assert_cmpint(xenevtchn_unbind(xce, local[0]), ==, 0);
    g_assert_cmpint(xenevtchn_unbind(xce, local[0]), ==, -1);
    g_assert_cmpint(errno, ==, ENOTCONN);
    g_assert_cmpint(xenforeignmemory_unmap_resource(fmem, fres), ==, 0);
    xenevtchn_close(xce);
    xenforeignmemory_close(fmem);
    xendevicemodel_close(dmod);
}

/* The GFN fallback: pages mapped through get_info's frames. */
static void test_dm_gfn_path(Fixture *f, gconstpointer data)
{
    MiniDmConfig cfg = {
        .domid = DOM,
        .bufioreq = HVM_IOREQSRV_BUFIOREQ_ATOMIC,
        .pio_base = PIO_BASE,
    };
    MiniDm *dm;
    XenSimServerInfo info;
    xen_pfn_t gfn;
    int err = 0;
    void *p;

    /* QEMU falls back to GFNs when map_resource says EOPNOTSUPP. */
    xensim_inject_error(f->sim, XENSIM_OP_FMEM_MAP_RESOURCE, EOPNOTSUPP, 0, 1);
    dm = minidm_new(&cfg);
    g_assert_true(xensim_server_info(f->sim, DOM, dm->id, &info));
    g_assert_true(info.mapped_gfn);
    g_assert_cmpint(info.bufioreq, ==, HVM_IOREQSRV_BUFIOREQ_ATOMIC);
    /* Once enabled, the GFNs are no longer in the guest's p2m. */
    g_assert_cmpint(xendevicemodel_get_ioreq_server_info(dm->dmod, DOM, dm->id,
                                                         &gfn, NULL, NULL),
                    ==, 0);
    p = xenforeignmemory_map(dm->fmem, DOM, PROT_READ, 1, &gfn, &err);
    g_assert_nonnull(p);
    g_assert_cmpint(err, ==, -EINVAL);
    xenforeignmemory_unmap(dm->fmem, p, 1);
    minidm_start(dm);
    xensim_pio_write(f->sim, DOM, 1, PIO_BASE + 4, 4, 0xfeedbeef);
    g_assert_cmphex(xensim_pio_read(f->sim, DOM, 0, PIO_BASE + 4, 4), ==,
                    0xfeedbeef);
    minidm_free(dm);
}

/* ---- event channels ---- */

static void test_evtchn(Fixture *f, gconstpointer data)
{
    MiniDm *dm = dm_new(DOM, HVM_IOREQSRV_BUFIOREQ_ATOMIC);
    xenevtchn_handle *x2 = xenevtchn_open(NULL, 0);
    struct pollfd pfd = {.events = POLLIN};
    XenSimServerInfo info;
    XenSimIo io;
    int port;

    g_assert_nonnull(x2);
    g_assert_cmpint(xenevtchn_bind_interdomain(x2, 99, 5), ==, -1);
    g_assert_cmpint(errno, ==, ESRCH);
    g_assert_cmpint(xenevtchn_bind_interdomain(x2, DOM, 999), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(xenevtchn_notify(x2, dm->local[0]), ==, -1);
    g_assert_cmpint(errno, ==, ENOTCONN);
    g_assert_cmpint(xenevtchn_unbind(x2, dm->local[0]), ==, -1);
    g_assert_cmpint(errno, ==, ENOTCONN);
    port = xenevtchn_bind_virq(x2, VIRQ_DOM_EXC);
    g_assert_cmpint(port, >, 0);
    g_assert_cmpint(xenevtchn_bind_virq(x2, VIRQ_DOM_EXC), ==, -1);
    g_assert_cmpint(errno, ==, EEXIST);
    g_assert_cmpint(xenevtchn_bind_virq(x2, NR_VIRQS), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(xenevtchn_bind_unbound_port(x2, DOM), >, 0);

    /* Delivery masks the port: a second event waits for the unmask. */
    xensim_io_init(&io, IOREQ_TYPE_COPY, IOREQ_WRITE, 0xa0000, 1, 1);
    g_assert_cmpint(xendevicemodel_map_io_range_to_ioreq_server(
                        dm->dmod, DOM, dm->id, 1, 0xa0000, 0xaffff),
                    ==, 0);
    g_assert_true(xensim_send_buffered(f->sim, DOM, &io));
    g_assert_true(xensim_send_buffered(f->sim, DOM, &io));
    pfd.fd = xenevtchn_fd(dm->xce);
    g_assert_cmpint(poll(&pfd, 1, 2000), ==, 1);
    g_assert_cmpint(xenevtchn_pending(dm->xce), ==, (int)dm->buf_local);
    g_assert_cmpint(poll(&pfd, 1, 100), ==, 0);
    g_assert_cmpint(xenevtchn_unmask(dm->xce, dm->buf_local), ==, 0);
    g_assert_cmpint(poll(&pfd, 1, 2000), ==, 1);
    g_assert_cmpint(xenevtchn_pending(dm->xce), ==, (int)dm->buf_local);
    g_assert_cmpint(xenevtchn_unmask(dm->xce, dm->buf_local), ==, 0);

    /* VIRQ_DOM_EXC fires when a domain dies. */
    {
        GError *err = NULL;

        g_assert_true(xensim_domain_create(f->sim, 30, 1, 1 << 20, &err));
        g_assert_true(xensim_domain_destroy(f->sim, 30));
        pfd.fd = xenevtchn_fd(x2);
        g_assert_cmpint(poll(&pfd, 1, 2000), ==, 1);
        g_assert_cmpint(xenevtchn_pending(x2), ==, port);
    }

    /* Injected failures. */
    xensim_inject_error(f->sim, XENSIM_OP_EVTCHN_NOTIFY, EIO, 0, 1);
    g_assert_cmpint(xenevtchn_notify(dm->xce, dm->local[0]), ==, -1);
    g_assert_cmpint(errno, ==, EIO);
    g_assert_cmpint(xenevtchn_notify(dm->xce, dm->local[0]), ==, 0);
    xensim_inject_error(f->sim, XENSIM_OP_EVTCHN_PENDING, EFAULT, 0, 1);
    pfd.fd = xenevtchn_fd(dm->xce);
    g_assert_cmpint(poll(&pfd, 1, 2000), ==, 1);
    g_assert_cmpint(xenevtchn_pending(dm->xce), ==, -1);
    g_assert_cmpint(errno, ==, EFAULT);

    /* Closing the handle unbinds its ports. */
    xenevtchn_close(x2);
    g_assert_true(xensim_server_info(f->sim, DOM, dm->id, &info));
    g_assert_cmpuint(info.ports_bound, ==, 2);
    xenevtchn_close(dm->xce);
    dm->xce = xenevtchn_open(NULL, 0);
    g_assert_true(xensim_server_info(f->sim, DOM, dm->id, &info));
    g_assert_cmpuint(info.ports_bound, ==, 0);
    minidm_free(dm);
}

static void test_evtchn_fdopen(Fixture *f, gconstpointer data)
{
    MiniDm *dm = dm_new(DOM, HVM_IOREQSRV_BUFIOREQ_OFF);
    xenevtchn_handle *x2;
    XenSimIo io;

    g_assert_null(
        xenevtchn_fdopen(NULL, xenevtchn_fd(dm->xce), XENEVTCHN_NO_CLOEXEC));
    g_assert_cmpint(errno, ==, EINVAL);
    /* A second handle on the same evtchn "file" shares its ports. */
    x2 = xenevtchn_fdopen(NULL, dup(xenevtchn_fd(dm->xce)), 0);
    g_assert_nonnull(x2);
    xensim_io_init(&io, IOREQ_TYPE_PIO, IOREQ_WRITE, PIO_BASE, 1, 0x42);
    g_assert_cmpint(xensim_io_start(f->sim, DOM, 0, &io), ==, XENSIM_IO_OK);
    g_assert_cmpint(xenevtchn_pending(x2), ==, (int)dm->local[0]);
    g_assert_cmpint(xenevtchn_unmask(x2, dm->local[0]), ==, 0);
    minidm_set_state(dm, 0, STATE_IORESP_READY);
    g_assert_cmpint(xenevtchn_notify(x2, dm->local[0]), ==, 0);
    g_assert_cmpint(xensim_io_wait(f->sim, DOM, 0, &io, 2000), ==,
                    XENSIM_IO_OK);
    xenevtchn_close(x2);
    minidm_free(dm);
}

/* ---- restriction ---- */

static void test_restrict(Fixture *f, gconstpointer data)
{
    xendevicemodel_handle *dmod = xendevicemodel_open(NULL, 0);
    xenforeignmemory_handle *fmem = xenforeignmemory_open(NULL, 0);
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    GError *err = NULL;
    xen_pfn_t gfn = 1;
    unsigned n;
    void *p;

    g_assert_true(xensim_domain_create(f->sim, DOM + 1, 1, 1 << 20, &err));
    g_assert_no_error(err);
    g_assert_cmpint(xendevicemodel_restrict(dmod, DOM), ==, 0);
    g_assert_cmpint(xendevicemodel_restrict(dmod, DOM), ==, 0);
    g_assert_cmpint(xendevicemodel_restrict(dmod, DOM + 1), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(xendevicemodel_nr_vcpus(dmod, DOM, &n), ==, 0);
    g_assert_cmpint(xendevicemodel_nr_vcpus(dmod, DOM + 1, &n), ==, -1);
    g_assert_cmpint(errno, ==, EPERM);

    g_assert_cmpint(xenevtchn_restrict(xce, 0), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(xenevtchn_restrict(xce, DOM), ==, 0);
    g_assert_cmpint(xenevtchn_restrict(xce, DOM), ==, -1);
    g_assert_cmpint(errno, ==, EACCES);
    g_assert_cmpint(xenevtchn_bind_interdomain(xce, DOM + 1, 5), ==, -1);
    g_assert_cmpint(errno, ==, EACCES);
    g_assert_cmpint(xenevtchn_bind_virq(xce, VIRQ_DOM_EXC), ==, -1);
    g_assert_cmpint(errno, ==, EACCES);
    g_assert_cmpint(xenevtchn_bind_unbound_port(xce, DOM), ==, -1);
    g_assert_cmpint(errno, ==, EACCES);

    g_assert_cmpint(xenforeignmemory_restrict(fmem, DOM + 1), ==, 0);
    g_assert_cmpint(xenforeignmemory_restrict(fmem, DOM), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    p = xenforeignmemory_map(fmem, DOM, PROT_READ, 1, &gfn, NULL);
    g_assert_null(p);
    g_assert_cmpint(errno, ==, EPERM);
    p = xenforeignmemory_map(fmem, DOM + 1, PROT_READ, 1, &gfn, NULL);
    g_assert_nonnull(p);
    xenforeignmemory_unmap(fmem, p, 1);
    xenevtchn_close(xce);
    xenforeignmemory_close(fmem);
    xendevicemodel_close(dmod);

    /* xentoolcore_restrict_all reaches every registered handle. */
    dmod = xendevicemodel_open(NULL, 0);
    fmem = xenforeignmemory_open(NULL, 0);
    xce = xenevtchn_open(NULL, 0);
    g_assert_cmpint(xentoolcore_restrict_all(DOM), ==, 0);
    g_assert_cmpint(xendevicemodel_nr_vcpus(dmod, DOM + 1, &n), ==, -1);
    g_assert_cmpint(errno, ==, EPERM);
    g_assert_cmpint(xendevicemodel_nr_vcpus(dmod, DOM, &n), ==, 0);
    g_assert_null(
        xenforeignmemory_map(fmem, DOM + 1, PROT_READ, 1, &gfn, NULL));
    g_assert_cmpint(errno, ==, EPERM);
    g_assert_cmpint(xenevtchn_bind_virq(xce, VIRQ_DOM_EXC), ==, -1);
    g_assert_cmpint(errno, ==, EACCES);
    /* Again: the evtchn driver refuses a second restriction. */
    g_assert_cmpint(xentoolcore_restrict_all(DOM), ==, -1);
    g_assert_cmpint(errno, ==, EACCES);
    xenevtchn_close(xce);
    xenforeignmemory_close(fmem);
    xendevicemodel_close(dmod);
}

/* ---- foreign memory ---- */

static void test_fmem(Fixture *f, gconstpointer data)
{
    xenforeignmemory_handle *fmem = xenforeignmemory_open(NULL, 0);
    xen_pfn_t gfns[3] = {2, 3, 4};
    uint8_t *ram = xensim_guest_ram(f->sim, DOM, NULL);
    int err[3];
    uint8_t *p, *q;

    g_assert_nonnull(fmem);
    memcpy(ram + 2 * 4096, "page two", 9);
    xensim_set_page_error(f->sim, DOM, 3, 1, EINVAL);
    p = xenforeignmemory_map(fmem, DOM, PROT_READ | PROT_WRITE, 3, gfns, err);
    g_assert_nonnull(p);
    g_assert_cmpint(err[0], ==, 0);
    g_assert_cmpint(err[1], ==, -EINVAL);
    g_assert_cmpint(err[2], ==, 0);
    g_assert_cmpstr((char *)p, ==, "page two");
    memcpy(p + 2 * 4096, "written", 8);
    g_assert_cmpstr((char *)ram + 4 * 4096, ==, "written");
    g_assert_cmpint(xenforeignmemory_unmap(fmem, p, 3), ==, 0);
    /* Without err[], one bad frame fails the whole mapping. */
    errno = 0;
    g_assert_null(xenforeignmemory_map(fmem, DOM, PROT_READ, 3, gfns, NULL));
    g_assert_cmpint(errno, ==, EINVAL);
    xensim_set_page_error(f->sim, DOM, 3, 1, 0);
    /* Beyond RAM, another domain, a denied domain. */
    gfns[0] = 4096;
    p = xenforeignmemory_map(fmem, DOM, PROT_READ, 1, gfns, err);
    g_assert_nonnull(p);
    g_assert_cmpint(err[0], ==, -EINVAL);
    xenforeignmemory_unmap(fmem, p, 1);
    p = xenforeignmemory_map(fmem, 55, PROT_READ, 1, gfns, err);
    g_assert_nonnull(p);
    g_assert_cmpint(err[0], ==, -ESRCH);
    xenforeignmemory_unmap(fmem, p, 1);
    gfns[0] = 2;
    xensim_domain_deny(f->sim, DOM, true);
    g_assert_null(xenforeignmemory_map(fmem, DOM, PROT_READ, 1, gfns, NULL));
    g_assert_cmpint(errno, ==, EPERM);
    xensim_domain_deny(f->sim, DOM, false);
    /* map2 with MAP_FIXED at a chosen address */
    q = mmap(NULL, 2 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert_true(q != MAP_FAILED);
    p = xenforeignmemory_map2(fmem, DOM, q + 4096, PROT_READ, MAP_FIXED, 1,
                              gfns, NULL);
    g_assert_true(p == q + 4096);
    g_assert_cmpstr((char *)p, ==, "page two");
    munmap(q, 2 * 4096);
    /* Injected whole-call failure. */
    xensim_inject_error(f->sim, XENSIM_OP_FMEM_MAP, ENOMEM, 0, 1);
    g_assert_null(xenforeignmemory_map(fmem, DOM, PROT_READ, 1, gfns, err));
    g_assert_cmpint(errno, ==, ENOMEM);
    xenforeignmemory_close(fmem);
}

/* xensim-server: the simulator as its own process. */
static void test_standalone(void)
{
    const char *server = g_getenv("XENSIM_SERVER");
    gchar *argv[] = {(gchar *)server, "-d", "9:3:16", NULL};
    gchar *saved = g_strdup(g_getenv(XENSIM_SOCKET_ENV));
    xendevicemodel_handle *dmod;
    GError *err = NULL;
    char line[512];
    unsigned n = 0;
    GPid pid;
    int out;
    FILE *f;

    g_assert_nonnull(server);
    g_assert_true(g_spawn_async_with_pipes(NULL, argv, NULL,
                                           G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                           NULL, &pid, NULL, &out, NULL, &err));
    g_assert_no_error(err);
    f = fdopen(out, "r");
    while (fgets(line, sizeof(line), f)) {
        g_strchomp(line);
        if (g_str_has_prefix(line, XENSIM_SOCKET_ENV "=")) {
            g_setenv(XENSIM_SOCKET_ENV, strchr(line, '=') + 1, TRUE);
        } else if (g_str_has_prefix(line, "XENSTORED_PATH=")) {
            break;
        }
    }
    dmod = xendevicemodel_open(NULL, 0);
    g_assert_nonnull(dmod);
    g_assert_cmpint(xendevicemodel_nr_vcpus(dmod, 9, &n), ==, 0);
    g_assert_cmpuint(n, ==, 3);
    xendevicemodel_close(dmod);
    kill(pid, SIGTERM);
    g_assert_cmpint(waitpid(pid, NULL, 0), ==, pid);
    g_spawn_close_pid(pid);
    fclose(f);
    if (saved) {
        g_setenv(XENSIM_SOCKET_ENV, saved, TRUE);
    }
    g_free(saved);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/xen-sim/lib/no-env", test_lib_no_env);
    g_test_add_func("/xen-sim/standalone", test_standalone);
#define ADD XENSIM_TEST_ADD
    ADD("lib/open-fault", test_lib_open_fault, 1);
    ADD("dm/errors", test_dm_errors, 2);
    ADD("dm/recorded", test_dm_recorded, 2);
    ADD("dm/lifecycle", test_dm_lifecycle, 2);
    ADD("dm/gfn-path", test_dm_gfn_path, 2);
    test_xensim_io_register();
    ADD("evtchn/semantics", test_evtchn, 2);
    ADD("evtchn/fdopen", test_evtchn_fdopen, 1);
    ADD("restrict", test_restrict, 1);
    ADD("fmem/map", test_fmem, 1);
#undef ADD
    return g_test_run();
}
