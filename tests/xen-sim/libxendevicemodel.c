/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim libxendevicemodel.so.1: the public API of Xen 4.17's
 * libxendevicemodel (xendevicemodel.h), each DMOP forwarded to the
 * simulator, which applies the hypervisor's checks and errno values.
 * The handle is a privcmd file in the real library; here it is a
 * connection, restricted per handle like IOCTL_PRIVCMD_RESTRICT.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <xendevicemodel.h>
#include <xentoollog.h>

#include "xensim-client.h"
#include "xentoolcore-internal.h"

struct xendevicemodel_handle {
    XsimConn conn;
    Xentoolcore__Active_Handle tc_ah;
};

static int dm_restrict_cb(Xentoolcore__Active_Handle *ah, domid_t domid)
{
    xendevicemodel_handle *dmod =
        (xendevicemodel_handle *)((char *)ah -
                                  offsetof(xendevicemodel_handle, tc_ah));

    return xendevicemodel_restrict(dmod, domid);
}

xendevicemodel_handle *xendevicemodel_open(struct xentoollog_logger *logger,
                                           unsigned int open_flags)
{
    xendevicemodel_handle *dmod = calloc(1, sizeof(*dmod));
    int saved;

    if (!dmod) {
        return NULL;
    }
    dmod->tc_ah.restrict_callback = dm_restrict_cb;
    xentoolcore__register_active_handle(&dmod->tc_ah);
    if (xsim_conn_open(&dmod->conn, XENSIM_OP_DM_OPEN, -1, NULL, true) < 0) {
        /* The real library fails inside xencall_open() first. */
        xsim_log_open_error(logger, "xencall");
        saved = errno;
        xentoolcore__deregister_active_handle(&dmod->tc_ah);
        xsim_conn_close(&dmod->conn);
        free(dmod);
        errno = saved;
        return NULL;
    }
    return dmod;
}

int xendevicemodel_close(xendevicemodel_handle *dmod)
{
    if (!dmod) {
        return 0;
    }
    xentoolcore__deregister_active_handle(&dmod->tc_ah);
    xsim_conn_close(&dmod->conn);
    free(dmod);
    return 0;
}

static int dm_call(xendevicemodel_handle *dmod, XenSimOp op,
                   const uint64_t *args, unsigned nargs, XenSimRsp *rsp)
{
    XenSimRsp local;

    return xsim_call_simple(&dmod->conn, op, args, nargs, rsp ? rsp : &local);
}

int xendevicemodel_create_ioreq_server(xendevicemodel_handle *dmod,
                                       domid_t domid, int handle_bufioreq,
                                       ioservid_t *id)
{
    uint64_t a[] = {domid, (uint64_t)(int64_t)handle_bufioreq};
    XenSimRsp rsp;

    if (dm_call(dmod, XENSIM_OP_DM_CREATE_IOREQ_SERVER, a, 2, &rsp) < 0) {
        return -1;
    }
    *id = (ioservid_t)rsp.ret[0];
    return 0;
}

int xendevicemodel_get_ioreq_server_info(xendevicemodel_handle *dmod,
                                         domid_t domid, ioservid_t id,
                                         xen_pfn_t *ioreq_gfn,
                                         xen_pfn_t *bufioreq_gfn,
                                         evtchn_port_t *bufioreq_port)
{
    uint64_t a[] = {domid, id, (ioreq_gfn || bufioreq_gfn) ? 1 : 0};
    XenSimRsp rsp;

    if (dm_call(dmod, XENSIM_OP_DM_GET_IOREQ_SERVER_INFO, a, 3, &rsp) < 0) {
        return -1;
    }
    if (ioreq_gfn) {
        *ioreq_gfn = rsp.ret[0];
    }
    if (bufioreq_gfn) {
        *bufioreq_gfn = rsp.ret[1];
    }
    if (bufioreq_port) {
        *bufioreq_port = (evtchn_port_t)rsp.ret[2];
    }
    return 0;
}

int xendevicemodel_map_io_range_to_ioreq_server(xendevicemodel_handle *dmod,
                                                domid_t domid, ioservid_t id,
                                                int is_mmio, uint64_t start,
                                                uint64_t end)
{
    uint64_t a[] = {domid, id, is_mmio ? 1 : 0, start, end};

    return dm_call(dmod, XENSIM_OP_DM_MAP_IO_RANGE, a, 5, NULL);
}

int xendevicemodel_unmap_io_range_from_ioreq_server(xendevicemodel_handle *dmod,
                                                    domid_t domid,
                                                    ioservid_t id, int is_mmio,
                                                    uint64_t start,
                                                    uint64_t end)
{
    uint64_t a[] = {domid, id, is_mmio ? 1 : 0, start, end};

    return dm_call(dmod, XENSIM_OP_DM_UNMAP_IO_RANGE, a, 5, NULL);
}

int xendevicemodel_map_mem_type_to_ioreq_server(xendevicemodel_handle *dmod,
                                                domid_t domid, ioservid_t id,
                                                uint16_t type, uint32_t flags)
{
    uint64_t a[] = {domid, id, type, flags};

    return dm_call(dmod, XENSIM_OP_DM_MAP_MEM_TYPE, a, 4, NULL);
}

int xendevicemodel_map_pcidev_to_ioreq_server(xendevicemodel_handle *dmod,
                                              domid_t domid, ioservid_t id,
                                              uint16_t segment, uint8_t bus,
                                              uint8_t device, uint8_t function)
{
    uint64_t a[] = {domid, id, segment, bus, device, function};

    return dm_call(dmod, XENSIM_OP_DM_MAP_PCIDEV, a, 6, NULL);
}

int xendevicemodel_unmap_pcidev_from_ioreq_server(xendevicemodel_handle *dmod,
                                                  domid_t domid, ioservid_t id,
                                                  uint16_t segment, uint8_t bus,
                                                  uint8_t device,
                                                  uint8_t function)
{
    uint64_t a[] = {domid, id, segment, bus, device, function};

    return dm_call(dmod, XENSIM_OP_DM_UNMAP_PCIDEV, a, 6, NULL);
}

int xendevicemodel_destroy_ioreq_server(xendevicemodel_handle *dmod,
                                        domid_t domid, ioservid_t id)
{
    uint64_t a[] = {domid, id};

    return dm_call(dmod, XENSIM_OP_DM_DESTROY_IOREQ_SERVER, a, 2, NULL);
}

int xendevicemodel_set_ioreq_server_state(xendevicemodel_handle *dmod,
                                          domid_t domid, ioservid_t id,
                                          int enabled)
{
    uint64_t a[] = {domid, id, enabled ? 1 : 0};

    return dm_call(dmod, XENSIM_OP_DM_SET_IOREQ_SERVER_STATE, a, 3, NULL);
}

int xendevicemodel_set_pci_intx_level(xendevicemodel_handle *dmod,
                                      domid_t domid, uint16_t segment,
                                      uint8_t bus, uint8_t device, uint8_t intx,
                                      unsigned int level)
{
    uint64_t a[] = {domid, segment, bus, device, intx, level};

    return dm_call(dmod, XENSIM_OP_DM_SET_PCI_INTX_LEVEL, a, 6, NULL);
}

int xendevicemodel_set_isa_irq_level(xendevicemodel_handle *dmod, domid_t domid,
                                     uint8_t irq, unsigned int level)
{
    uint64_t a[] = {domid, irq, level};

    return dm_call(dmod, XENSIM_OP_DM_SET_ISA_IRQ_LEVEL, a, 3, NULL);
}

int xendevicemodel_set_irq_level(xendevicemodel_handle *dmod, domid_t domid,
                                 unsigned int irq, unsigned int level)
{
    uint64_t a[] = {domid, irq, level};

    return dm_call(dmod, XENSIM_OP_DM_SET_IRQ_LEVEL, a, 3, NULL);
}

int xendevicemodel_set_pci_link_route(xendevicemodel_handle *dmod,
                                      domid_t domid, uint8_t link, uint8_t irq)
{
    uint64_t a[] = {domid, link, irq};

    return dm_call(dmod, XENSIM_OP_DM_SET_PCI_LINK_ROUTE, a, 3, NULL);
}

int xendevicemodel_inject_msi(xendevicemodel_handle *dmod, domid_t domid,
                              uint64_t msi_addr, uint32_t msi_data)
{
    uint64_t a[] = {domid, msi_addr, msi_data};

    return dm_call(dmod, XENSIM_OP_DM_INJECT_MSI, a, 3, NULL);
}

int xendevicemodel_track_dirty_vram(xendevicemodel_handle *dmod, domid_t domid,
                                    uint64_t first_pfn, uint32_t nr,
                                    unsigned long *dirty_bitmap)
{
    XenSimReq req = {
        .op = XENSIM_OP_DM_TRACK_DIRTY_VRAM,
        .arg = {domid, first_pfn, nr},
    };
    size_t bytes = ((size_t)nr + 7) / 8;
    XenSimRsp rsp;

    if (bytes > XENSIM_MSG_MAX - sizeof(XenSimRsp)) {
        errno = E2BIG;
        return -1;
    }
    if (xsim_call(&dmod->conn, &req, NULL, &rsp, dirty_bitmap, bytes, NULL) <
        0) {
        return -1;
    }
    return 0;
}

int xendevicemodel_modified_memory_bulk(
    xendevicemodel_handle *dmod, domid_t domid,
    struct xen_dm_op_modified_memory_extent extents[], uint32_t nr)
{
    XenSimReq req = {.op = XENSIM_OP_DM_MODIFIED_MEMORY};
    XenSimExtent *ext;
    XenSimRsp rsp;
    uint32_t i;
    int rc, saved;

    if (nr > (XENSIM_MSG_MAX - sizeof(req)) / sizeof(*ext)) {
        errno = E2BIG;
        return -1;
    }
    ext = calloc(nr ? nr : 1, sizeof(*ext));
    if (!ext) {
        errno = ENOMEM;
        return -1;
    }
    for (i = 0; i < nr; i++) {
        ext[i].first_pfn = extents[i].first_pfn;
        ext[i].nr = extents[i].nr;
    }
    req.arg[0] = domid;
    req.len = nr * sizeof(*ext);
    rc = xsim_call(&dmod->conn, &req, ext, &rsp, NULL, 0, NULL);
    saved = errno;
    free(ext);
    errno = saved;
    return rc;
}

int xendevicemodel_modified_memory(xendevicemodel_handle *dmod, domid_t domid,
                                   uint64_t first_pfn, uint32_t nr)
{
    struct xen_dm_op_modified_memory_extent extent = {
        .first_pfn = first_pfn,
        .nr = nr,
    };

    return xendevicemodel_modified_memory_bulk(dmod, domid, &extent, 1);
}

int xendevicemodel_set_mem_type(xendevicemodel_handle *dmod, domid_t domid,
                                hvmmem_type_t mem_type, uint64_t first_pfn,
                                uint32_t nr)
{
    uint64_t a[] = {domid, (uint64_t)mem_type, first_pfn, nr};

    return dm_call(dmod, XENSIM_OP_DM_SET_MEM_TYPE, a, 4, NULL);
}

int xendevicemodel_inject_event(xendevicemodel_handle *dmod, domid_t domid,
                                int vcpu, uint8_t vector, uint8_t type,
                                uint32_t error_code, uint8_t insn_len,
                                uint64_t extra)
{
    uint64_t a[] = {
        domid, (uint64_t)(int64_t)vcpu, vector, type, error_code, insn_len,
        extra};

    return dm_call(dmod, XENSIM_OP_DM_INJECT_EVENT, a, 7, NULL);
}

int xendevicemodel_shutdown(xendevicemodel_handle *dmod, domid_t domid,
                            unsigned int reason)
{
    uint64_t a[] = {domid, reason};

    return dm_call(dmod, XENSIM_OP_DM_SHUTDOWN, a, 2, NULL);
}

int xendevicemodel_relocate_memory(xendevicemodel_handle *dmod, domid_t domid,
                                   uint32_t size, uint64_t src_gfn,
                                   uint64_t dst_gfn)
{
    uint64_t a[] = {domid, size, src_gfn, dst_gfn};

    return dm_call(dmod, XENSIM_OP_DM_RELOCATE_MEMORY, a, 4, NULL);
}

int xendevicemodel_pin_memory_cacheattr(xendevicemodel_handle *dmod,
                                        domid_t domid, uint64_t start,
                                        uint64_t end, uint32_t type)
{
    uint64_t a[] = {domid, start, end, type};

    return dm_call(dmod, XENSIM_OP_DM_PIN_MEMORY_CACHEATTR, a, 4, NULL);
}

int xendevicemodel_nr_vcpus(xendevicemodel_handle *dmod, domid_t domid,
                            unsigned int *vcpus)
{
    uint64_t a[] = {domid};
    XenSimRsp rsp;

    if (dm_call(dmod, XENSIM_OP_DM_NR_VCPUS, a, 1, &rsp) < 0) {
        return -1;
    }
    *vcpus = (unsigned int)rsp.ret[0];
    return 0;
}

int xendevicemodel_restrict(xendevicemodel_handle *dmod, domid_t domid)
{
    uint64_t a[] = {domid};

    return dm_call(dmod, XENSIM_OP_DM_RESTRICT, a, 1, NULL);
}
