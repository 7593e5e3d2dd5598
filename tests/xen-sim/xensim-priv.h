/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim internals shared by xensim*.c. Everything here is protected by
 * XenSim.lock; the service thread and the test API both take it.
 */
#ifndef XENSIM_PRIV_H
#define XENSIM_PRIV_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <xen/hvm/dm_op.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/ioreq.h>
#include <xen/memory.h>
#include <xen/xen.h>

#include "xensim.h"

#define SIM_PAGE_SHIFT 12
#define SIM_PAGE_SIZE (1UL << SIM_PAGE_SHIFT)
#define SIM_MAX_SERVERS 8        /* MAX_NR_IOREQ_SERVERS */
#define SIM_MAX_VCPUS 128        /* ioreq_t slots in one page */
#define SIM_MAX_RAM (3ULL << 30) /* below the legacy ioreq GFNs */
#define SIM_NR_GSIS 48           /* VIOAPIC_NUM_PINS */
#define SIM_MAX_IO_RANGES 256    /* MAX_NR_IO_RANGES per rangeset */
/* Legacy ioreq page GFNs: server i's buffered page at BASE + 2i, its
 * synchronous page at BASE + 2i + 1 (above any simulated RAM). */
#define SIM_IOREQ_GFN_BASE 0xfefe0ULL
/* Frames per server in the memfd special area (buffered, synchronous). */
#define SIM_SERVER_FRAMES 2
/* First port numbers handed out: distinct ranges catch local/remote
 * confusion in a device model. */
#define SIM_GUEST_PORT_BASE 5
#define SIM_DOM0_PORT_BASE 40
/* Byte of ioreq_t holding state:4, data_is_ptr, dir, df (x86 GCC ABI). */
#define SIM_IOREQ_FLAGS_OFF 30

enum {
    SIM_RANGE_PORT = XEN_DMOP_IO_RANGE_PORT,
    SIM_RANGE_MEMORY = XEN_DMOP_IO_RANGE_MEMORY,
    SIM_RANGE_PCI = XEN_DMOP_IO_RANGE_PCI,
    SIM_NR_RANGE_TYPES
};

enum { SIM_PAGES_NONE, SIM_PAGES_RESOURCE, SIM_PAGES_GFN };

enum { SIM_PORT_UNBOUND = 1, SIM_PORT_INTERDOMAIN, SIM_PORT_VIRQ };

typedef struct SimRange {
    uint64_t s;
    uint64_t e; /* inclusive */
} SimRange;

typedef struct SimServer {
    int id;
    unsigned serial; /* unique over the sim's life */
    bool enabled;
    int bufioreq;
    GArray *ranges[SIM_NR_RANGE_TYPES]; /* SimRange, sorted, merged */
    uint32_t *vcpu_port;                /* guest-side port per vCPU */
    uint32_t buf_port;                  /* 0 without buffering */
    int pages;                          /* SIM_PAGES_* */
    pid_t creator;
    bool mem_type_claimed;
    uint64_t frame_off;         /* memfd offset of frame 0 (buffered) */
    buffered_iopage_t *bufpage; /* sim's view of frame 0 */
    shared_iopage_t *iopage;    /* sim's view of frame 1 */
} SimServer;

/* One vCPU request outstanding on one server. */
typedef struct SimSlot {
    bool pending;
    unsigned serial; /* of the server it was sent to */
    unsigned prev_state;
    unsigned seen_notify;
    XenSimIoStatus status;
    uint64_t data;
} SimSlot;

typedef struct SimVcpu {
    bool busy; /* a request or broadcast in flight */
    bool broadcast;
    int server; /* for single requests */
    XenSimIo io;
    SimSlot slot[SIM_MAX_SERVERS];
} SimVcpu;

typedef struct SimEvtUser SimEvtUser;

typedef struct SimPort {
    uint16_t dom; /* 0 for the device model side */
    uint32_t port;
    int state; /* SIM_PORT_* */
    uint16_t remote_dom;
    uint32_t remote_port;
    int virq;
    SimEvtUser *owner; /* dom0 ports */
    bool masked;
    bool pending;
    unsigned notify_count; /* guest ports: notifications received */
} SimPort;

typedef struct SimDomain {
    uint16_t domid;
    bool dead;
    unsigned nr_vcpus;
    uint64_t ram_size;
    uint64_t ram_pages;
    size_t mem_size; /* RAM + special area */
    int memfd;
    uint8_t *mem;
    int16_t *page_err; /* per RAM page: 0 or positive errno */
    uint8_t *modified; /* per RAM page */
    uint8_t *mem_type; /* per RAM page: hvmmem_type_t */
    SimServer *server[SIM_MAX_SERVERS];
    GHashTable *ports; /* guest ports: port -> SimPort */
    uint32_t next_port;
    uint32_t cf8;
    bool deny;
    char *crash_reason;
    int shutdown_reason;
    unsigned warnings;
    uint8_t intx_level[32][4];
    unsigned intx_calls[32][4];
    unsigned intx_changes[32][4];
    unsigned gsi_count[SIM_NR_GSIS];
    uint8_t gsi_direct[SIM_NR_GSIS];
    uint8_t isa_level[16];
    uint8_t link_route[4];
    unsigned msi_count;
    uint64_t msi_addr;
    uint32_t msi_data;
    SimVcpu *vcpu;
} SimDomain;

/* The state of one event channel "file": the socket xenevtchn_fd gives. */
struct SimEvtUser {
    int sock;                /* simulator's end */
    ino_t peer_ino;          /* inode of the library's end */
    uint16_t restrict_domid; /* DOMID_INVALID: unrestricted */
    bool dead;
    int refs; /* the socket + attached connections */
};

typedef struct SimConn {
    int fd;
    XenSimOp kind; /* its *_OPEN op; NONE before open */
    pid_t pid;
    uint16_t restrict_domid; /* privcmd-style restriction */
    SimEvtUser *evt;
    bool dead;
} SimConn;

typedef struct XsServer XsServer;

struct XenSim {
    GMutex lock;
    GCond cond; /* broadcast on any state change */
    GThread *thread;
    int wake_fd;
    bool stop;
    char *dir;
    char *sock_path;
    char *xs_path;
    int listen_fd;
    GPtrArray *conns;       /* SimConn */
    GPtrArray *evt_users;   /* SimEvtUser */
    GHashTable *domains;    /* domid -> SimDomain */
    GPtrArray *graveyard;   /* destroyed SimDomains (waiters may
                             * still look at them) */
    GHashTable *dom0_ports; /* port -> SimPort */
    uint32_t next_dom0_port;
    int virq_port[NR_VIRQS]; /* bound dom0 port or 0 */
    struct {
        int err;
        unsigned skip;
        unsigned count;
    } fault[XENSIM_OP__COUNT];
    unsigned op_count[XENSIM_OP__COUNT];
    unsigned timeout_ms;
    unsigned server_serial;
    uint8_t *rxbuf;
    uint8_t *txbuf;
    XsServer *xs;
};

/* xensim.c */
void sim_changed(XenSim *sim);
/* Make the service thread rebuild its poll set (new output, new fds). */
void sim_wake(XenSim *sim);
SimDomain *sim_domain(XenSim *sim, uint16_t domid);
void sim_crash(SimDomain *d, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
unsigned sim_ioreq_state(const ioreq_t *p);
void sim_ioreq_set_state(ioreq_t *p, unsigned state);

/* xensim-domain.c: unmap and free a domain (destroyed or at exit). */
void sim_domain_free(SimDomain *d);

/* xensim-dm.c: devicemodel and foreignmemory requests */
int sim_dm_request(XenSim *sim, SimConn *c, const XenSimReq *req,
                   const uint8_t *payload, XenSimRsp *rsp, uint8_t *out,
                   int *out_fd);
void sim_server_free(XenSim *sim, SimDomain *d, SimServer *s);
bool sim_range_contains(GArray *r, uint64_t s, uint64_t e);

/* xensim-evtchn.c */
int sim_evtchn_request(XenSim *sim, SimConn *c, const XenSimReq *req,
                       XenSimRsp *rsp);
SimPort *sim_port_alloc(XenSim *sim, SimDomain *d);
SimPort *sim_port_find(XenSim *sim, SimDomain *d, uint32_t port);
void sim_port_free(XenSim *sim, SimDomain *d, SimPort *p);
void sim_guest_notify(XenSim *sim, SimDomain *d, uint32_t port);
void sim_evt_user_readable(XenSim *sim, SimEvtUser *u);
void sim_evt_user_kill(XenSim *sim, SimEvtUser *u);
void sim_evt_user_unref(XenSim *sim, SimEvtUser *u);
void sim_raise_virq(XenSim *sim, int virq);

/* xensim-vcpu.c */
void sim_vcpu_server_gone(XenSim *sim, SimDomain *d, SimServer *s);
void sim_vcpu_domain_gone(XenSim *sim, SimDomain *d);

/* xensim-xs.c */
XsServer *xs_server_new(XenSim *sim, int listen_fd);
void xs_server_free(XsServer *xs);
/* Append pollfds (tag each with an opaque pointer); returns count. */
unsigned xs_server_poll_fill(XsServer *xs, struct pollfd *pfd, void **tags,
                             unsigned max);
void xs_server_poll_handle(XsServer *xs, void *tag, short revents);
void xs_domain_event(XsServer *xs, uint16_t domid, bool introduced);

#endif
