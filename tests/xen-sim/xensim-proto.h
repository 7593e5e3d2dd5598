/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Wire protocol between the xen-sim replacement libraries (the "hypercall"
 * side of libxendevicemodel, libxenforeignmemory and libxenevtchn) and the
 * simulator. Not a Xen interface: private to tests/xen-sim.
 *
 * Every library handle owns one AF_UNIX SOCK_SEQPACKET connection to the
 * socket named by $XENSIM_SOCKET. A message is one packet: a fixed header
 * followed by `len` payload bytes. Requests are answered in order with one
 * reply each; file descriptors travel as SCM_RIGHTS on the reply. The first
 * request on a connection is an *_OPEN operation naming the handle kind.
 *
 * An event channel handle additionally gets, in the reply to
 * XENSIM_OP_EVTCHN_OPEN, one end of a SOCK_SEQPACKET socketpair: the fd
 * xenevtchn_fd() returns. The simulator writes a 4-byte port number to it
 * when a port becomes pending (and masks the port, as the Linux evtchn
 * driver does); the library writes a port number to unmask, which is the
 * Linux driver's write() interface. An 8-byte record {~0u, errno} is an
 * injected failure of the next xenevtchn_pending().
 */
#ifndef XENSIM_PROTO_H
#define XENSIM_PROTO_H

#include <stdint.h>

#define XENSIM_PROTO_VERSION 1
#define XENSIM_SOCKET_ENV "XENSIM_SOCKET"
#define XENSIM_NARGS 8
/* Largest packet (header + payload) either side sends. */
#define XENSIM_MSG_MAX (64 * 1024)
/* Frames per XENSIM_OP_FMEM_MAP request (8 bytes in, 8 bytes out each). */
#define XENSIM_MAP_CHUNK 4096
/* Marker of an injected-error record on an event channel socket. */
#define XENSIM_EVTCHN_ERROR_MARK 0xffffffffu

/*
 * Every operation a library can ask for. Also the keys of the test API's
 * fault injection (xensim_inject_error()), so the names follow the library
 * functions they implement.
 */
typedef enum XenSimOp {
    XENSIM_OP_NONE = 0,
    /* open: arg0 = XENSIM_PROTO_VERSION */
    XENSIM_OP_DM_OPEN,
    XENSIM_OP_FMEM_OPEN,
    XENSIM_OP_EVTCHN_OPEN,
    /* xenevtchn_fdopen(): the event socket travels with the request */
    XENSIM_OP_EVTCHN_FDOPEN,

    /* devicemodel; arg0 = domid unless noted */
    XENSIM_OP_DM_CREATE_IOREQ_SERVER,   /* a1 handle_bufioreq -> r0 id */
    XENSIM_OP_DM_GET_IOREQ_SERVER_INFO, /* a1 id, a2 want gfns ->
                                         * r0 ioreq_gfn r1 bufioreq_gfn
                                         * r2 bufioreq_port */
    XENSIM_OP_DM_MAP_IO_RANGE,          /* a1 id a2 is_mmio a3 s a4 e */
    XENSIM_OP_DM_UNMAP_IO_RANGE,
    XENSIM_OP_DM_MAP_MEM_TYPE, /* a1 id a2 type a3 flags */
    XENSIM_OP_DM_MAP_PCIDEV,   /* a1 id a2 seg a3 bus a4 dev
                                * a5 func */
    XENSIM_OP_DM_UNMAP_PCIDEV,
    XENSIM_OP_DM_DESTROY_IOREQ_SERVER,   /* a1 id */
    XENSIM_OP_DM_SET_IOREQ_SERVER_STATE, /* a1 id a2 enabled */
    XENSIM_OP_DM_SET_PCI_INTX_LEVEL,     /* a1 seg a2 bus a3 dev a4 intx
                                          * a5 level */
    XENSIM_OP_DM_SET_ISA_IRQ_LEVEL,      /* a1 irq a2 level */
    XENSIM_OP_DM_SET_IRQ_LEVEL,          /* a1 irq a2 level */
    XENSIM_OP_DM_SET_PCI_LINK_ROUTE,     /* a1 link a2 irq */
    XENSIM_OP_DM_INJECT_MSI,             /* a1 addr a2 data */
    XENSIM_OP_DM_TRACK_DIRTY_VRAM,       /* a1 first_pfn a2 nr ->
                                          * payload bitmap */
    XENSIM_OP_DM_MODIFIED_MEMORY,        /* payload: extents */
    XENSIM_OP_DM_SET_MEM_TYPE,           /* a1 type a2 first_pfn a3 nr */
    XENSIM_OP_DM_INJECT_EVENT,           /* a1 vcpu a2 vector a3 type
                                          * a4 error_code a5 insn_len
                                          * a6 extra */
    XENSIM_OP_DM_SHUTDOWN,               /* a1 reason */
    XENSIM_OP_DM_RELOCATE_MEMORY,        /* a1 size a2 src a3 dst */
    XENSIM_OP_DM_PIN_MEMORY_CACHEATTR,   /* a1 start a2 end a3 type */
    XENSIM_OP_DM_NR_VCPUS,               /* -> r0 */
    XENSIM_OP_DM_RESTRICT,

    /* foreignmemory */
    XENSIM_OP_FMEM_MAP,          /* a0 domid a1 nr, payload gfns
                                  * -> payload int64 per frame:
                                  * memfd offset, or -errno;
                                  * fd = domain memory */
    XENSIM_OP_FMEM_MAP_RESOURCE, /* a0 domid a1 type a2 id
                                  * a3 frame a4 nr (0: size
                                  * query) -> r0 offset or
                                  * frames; fd */
    XENSIM_OP_FMEM_RESTRICT,

    /* evtchn */
    XENSIM_OP_EVTCHN_BIND_INTERDOMAIN,  /* a0 domid a1 remote -> r0 */
    XENSIM_OP_EVTCHN_BIND_UNBOUND_PORT, /* a0 domid -> r0 */
    XENSIM_OP_EVTCHN_BIND_VIRQ,         /* a0 virq -> r0 */
    XENSIM_OP_EVTCHN_UNBIND,            /* a0 port */
    XENSIM_OP_EVTCHN_NOTIFY,            /* a0 port */
    XENSIM_OP_EVTCHN_RESTRICT,          /* a0 domid */
    /* not a request: fault injection key for xenevtchn_pending() */
    XENSIM_OP_EVTCHN_PENDING,

    XENSIM_OP__COUNT
} XenSimOp;

typedef struct XenSimReq {
    uint32_t op;  /* XenSimOp */
    uint32_t len; /* payload bytes following the header */
    uint64_t arg[XENSIM_NARGS];
} XenSimReq;

typedef struct XenSimRsp {
    int32_t err;  /* 0, or the errno the library call must fail with */
    uint32_t len; /* payload bytes following the header */
    uint64_t ret[XENSIM_NARGS];
} XenSimRsp;

/* Payload element of XENSIM_OP_DM_MODIFIED_MEMORY. */
typedef struct XenSimExtent {
    uint64_t first_pfn;
    uint64_t nr;
} XenSimExtent;

#endif
