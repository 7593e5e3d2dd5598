/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim: a simulated Xen 4.17 hypervisor (and xenstored) for tests.
 *
 * A XenSim owns domains (vCPU count, guest RAM in a memfd), their ioreq
 * servers, event channels and recorded DMOP side effects, and serves two
 * UNIX sockets from its own thread: the replacement libraries'
 * ($XENSIM_SOCKET) and a xenstore server speaking the xs_wire.h protocol
 * ($XENSTORED_PATH, for the real libxenstore). The test plays the guest's
 * vCPUs and the rest of the hypervisor through the functions below; every
 * function is thread-safe, and vCPU accesses may be issued concurrently
 * from several threads (one thread per vCPU).
 *
 * Xen semantics modelled (Xen 4.17, xen/common/ioreq.c and friends):
 * servers are selected highest id first among enabled ones, by full
 * containment of the access; PCI config goes through CF8/CFC and reaches
 * only the server that registered the SBDF; unclaimed accesses hit the
 * null handler (reads all-ones, writes dropped); the per-vCPU slot follows
 * NONE -> READY -> (INPROCESS) -> IORESP_READY -> NONE, and the vCPU only
 * re-examines its slot when the device model notifies its event channel;
 * a state going backwards or out of range crashes the domain.
 */
#ifndef XENSIM_H
#define XENSIM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>
#include <xen/hvm/ioreq.h> /* IOREQ_TYPE_*, IOREQ_READ/WRITE */

#include "xensim-proto.h"

typedef struct XenSim XenSim;

/* ---- lifecycle ---- */

/*
 * Start a simulator: sockets in a fresh private directory, service
 * thread running. No domains exist yet.
 */
XenSim *xensim_new(GError **errp);

/* Stop the thread, close every connection, remove the sockets. */
void xensim_free(XenSim *sim);

/* The value of $XENSIM_SOCKET for processes that should use this sim. */
const char *xensim_socket_path(XenSim *sim);

/* The value of $XENSTORED_PATH (the xenstore server's socket). */
const char *xensim_xenstore_path(XenSim *sim);

/* Set both variables in this process (for in-process library users). */
void xensim_setenv(XenSim *sim);

/* A copy of `envp` (NULL: this process's) with both variables set. */
gchar **xensim_environ(XenSim *sim, gchar **envp);

/* Default bound on vCPU waits, in milliseconds (initially 10000). */
void xensim_set_timeout(XenSim *sim, unsigned ms);

/* ---- domains ---- */

/*
 * Create HVM domain `domid` with `vcpus` vCPUs (1..128: one ioreq page)
 * and `ram_bytes` of RAM at guest-physical 0 (rounded up to pages, at most
 * 3 GiB). All RAM pages are populated. Also creates the xenstore node
 * /local/domain/<domid> and fires @introduceDomain watches.
 */
bool xensim_domain_create(XenSim *sim, uint16_t domid, unsigned vcpus,
                          uint64_t ram_bytes, GError **errp);

/*
 * Destroy a domain: its servers go away (pending vCPU requests become
 * XENSIM_IO_ORPHANED), DMOPs on it fail with ESRCH, @releaseDomain and
 * VIRQ_DOM_EXC fire. Returns false if it did not exist.
 */
bool xensim_domain_destroy(XenSim *sim, uint16_t domid);

/* The simulator's own mapping of guest RAM (NULL: no such domain). */
void *xensim_guest_ram(XenSim *sim, uint16_t domid, uint64_t *size);

/* Copy to/from guest RAM; false if the range is not inside RAM. */
bool xensim_memread(XenSim *sim, uint16_t domid, uint64_t gpa, void *buf,
                    size_t len);
bool xensim_memwrite(XenSim *sim, uint16_t domid, uint64_t gpa, const void *buf,
                     size_t len);

/*
 * XSM-style denial: while `deny` is set, DMOPs on the domain fail with
 * EPERM and foreign maps of its frames fail per frame with -EPERM.
 */
void xensim_domain_deny(XenSim *sim, uint16_t domid, bool deny);

/*
 * Make RAM frames [gfn, gfn + nr) fail to map with `err` (a positive errno:
 * EINVAL is what Xen gives for a frame that is not populated, ENOENT a
 * paged-out one, which the library retries); 0 makes them mappable again.
 */
void xensim_set_page_error(XenSim *sim, uint16_t domid, uint64_t gfn,
                           uint64_t nr, int err);

/* Why the domain was crashed (g_free), or NULL if it was not. */
char *xensim_crash_reason(XenSim *sim, uint16_t domid);

/*
 * Count of tolerated protocol oddities the device model committed: a
 * slot set back to NONE by the device model, IORESP_READY left without a
 * notification when a wait timed out, a broadcast refused by a busy slot.
 */
unsigned xensim_warnings(XenSim *sim, uint16_t domid);

/* ---- ioreq servers ---- */

typedef struct XenSimServerInfo {
    bool enabled;
    int bufioreq;            /* HVM_IOREQSRV_BUFIOREQ_* */
    unsigned nr_port_ranges; /* after merging adjacent ranges */
    unsigned nr_mmio_ranges;
    unsigned nr_pcidevs;   /* SBDF ranges */
    unsigned ports_bound;  /* vCPU event channels bound by a DM */
    bool mapped_resource;  /* pages acquired via map_resource */
    bool mapped_gfn;       /* pages reached via the legacy GFNs */
    bool mem_type_claimed; /* map_mem_type_to_ioreq_server done */
    pid_t creator;         /* pid of the process that created it */
} XenSimServerInfo;

/* Fill *info for server `id`; false if it does not exist. */
bool xensim_server_info(XenSim *sim, uint16_t domid, int id,
                        XenSimServerInfo *info);

/* Number of ioreq servers the domain has. */
unsigned xensim_server_count(XenSim *sim, uint16_t domid);

/* Does server `id` claim all of [start, end] (is_mmio: MMIO vs port)? */
bool xensim_server_claims(XenSim *sim, uint16_t domid, int id, bool is_mmio,
                          uint64_t start, uint64_t end);

/* Has server `id` registered PCI function seg:bus:dev.fn? */
bool xensim_server_has_pcidev(XenSim *sim, uint16_t domid, int id, uint16_t seg,
                              uint8_t bus, uint8_t dev, uint8_t fn);

/*
 * Wait until the domain has an enabled server with every vCPU event
 * channel bound (a device model ready for the guest), and return its id;
 * -1 on timeout. With `min_id` >= 0 only servers with id >= min_id count.
 */
int xensim_wait_server_ready(XenSim *sim, uint16_t domid, int min_id,
                             unsigned timeout_ms);

/* Wait until the domain has no ioreq server left; false on timeout. */
bool xensim_wait_no_servers(XenSim *sim, uint16_t domid, unsigned timeout_ms);

/*
 * Destroy a server from the hypervisor side (fault injection: as if
 * another privileged caller did it). Pending requests on it become
 * XENSIM_IO_ORPHANED unless already answered.
 */
bool xensim_server_destroy(XenSim *sim, uint16_t domid, int id);

/* ---- vCPU accesses ---- */

typedef enum XenSimIoStatus {
    XENSIM_IO_OK,       /* completed, by a server or the null handler */
    XENSIM_IO_TIMEOUT,  /* no answer yet: the vCPU stays blocked (see
                         * xensim_io_wait) as it would on Xen */
    XENSIM_IO_ORPHANED, /* its server or domain was destroyed before an
                         * answer: on Xen the vCPU would never resume */
    XENSIM_IO_CRASHED,  /* the domain was crashed (see crash_reason) */
    XENSIM_IO_BUSY,     /* this vCPU already has a request in flight */
    XENSIM_IO_INVALID,  /* no such domain/vCPU/server, or bad fields */
} XenSimIoStatus;

const char *xensim_io_status_str(XenSimIoStatus st);

typedef struct XenSimIo {
    uint8_t type;        /* IOREQ_TYPE_PIO or IOREQ_TYPE_COPY (MMIO); any
                          * type with target >= 0 */
    uint8_t dir;         /* IOREQ_READ or IOREQ_WRITE */
    uint8_t df;          /* direction flag: elements go downwards */
    uint8_t data_is_ptr; /* data is the guest-physical buffer address */
    uint32_t size;       /* bytes per element: 1, 2, 4 (PIO), or 8 (MMIO) */
    uint32_t count;      /* rep count, >= 1 */
    uint64_t addr;       /* port or guest-physical MMIO address */
    uint64_t data;       /* in: value or buffer; out: value read */
    int target;          /* in: -1 = Xen's selection; >= 0 = deliver
                          * this exact ioreq to that server (raw/hostile) */
    int server;          /* out: the server that answered, -1 = none */
} XenSimIo;

/* Initialise an access (target -1, count 1). */
void xensim_io_init(XenSimIo *io, uint8_t type, uint8_t dir, uint64_t addr,
                    uint32_t size, uint64_t data);

/*
 * Issue the access as vCPU `vcpu` and wait (default timeout) for its
 * completion. CF8 is latched on 4-byte port writes as Xen does, and port
 * accesses to 0xcfc-0xcff become PCI_CONFIG for the server owning the
 * latched SBDF.
 */
XenSimIoStatus xensim_io(XenSim *sim, uint16_t domid, unsigned vcpu,
                         XenSimIo *io);

/*
 * Issue without waiting. XENSIM_IO_OK means the request is in flight (or,
 * with io->server == -1, already completed by the null handler); collect
 * it with xensim_io_wait(), which may be called again after a timeout.
 */
XenSimIoStatus xensim_io_start(XenSim *sim, uint16_t domid, unsigned vcpu,
                               XenSimIo *io);
XenSimIoStatus xensim_io_wait(XenSim *sim, uint16_t domid, unsigned vcpu,
                              XenSimIo *io, unsigned timeout_ms);

/*
 * IOREQ_TYPE_INVALIDATE (size 4, write, data ~0, count 0) broadcast to
 * every enabled server from vCPU `vcpu`, waiting for all of them, as the
 * return path of a p2m-changing hypercall does.
 */
XenSimIoStatus xensim_invalidate(XenSim *sim, uint16_t domid, unsigned vcpu);

/*
 * Convenience accessors for tests: fail the test (g_assert) unless the
 * access completes. Read results are masked to `size`.
 */
uint64_t xensim_pio_read(XenSim *sim, uint16_t domid, unsigned vcpu,
                         uint16_t port, unsigned size);
void xensim_pio_write(XenSim *sim, uint16_t domid, unsigned vcpu, uint16_t port,
                      unsigned size, uint64_t value);
uint64_t xensim_mmio_read(XenSim *sim, uint16_t domid, unsigned vcpu,
                          uint64_t addr, unsigned size);
void xensim_mmio_write(XenSim *sim, uint16_t domid, unsigned vcpu,
                       uint64_t addr, unsigned size, uint64_t value);
/* Config space of bus:devfn through CF8 (4-byte write) and CFC. */
uint32_t xensim_pci_cfg_read(XenSim *sim, uint16_t domid, unsigned vcpu,
                             uint8_t bus, uint8_t devfn, uint8_t reg,
                             unsigned size);
void xensim_pci_cfg_write(XenSim *sim, uint16_t domid, unsigned vcpu,
                          uint8_t bus, uint8_t devfn, uint8_t reg,
                          unsigned size, uint32_t value);

/*
 * Buffered write (the stdvga path): to the selected server's buffered
 * ring if it has one and the access qualifies (addr <= 0xfffff, count 1,
 * no pointer, size 1/2/4/8); false otherwise or when the ring is full.
 */
bool xensim_send_buffered(XenSim *sim, uint16_t domid, const XenSimIo *io);

/* IOREQ_TYPE_TIMEOFFSET to every enabled buffered server; the count. */
unsigned xensim_broadcast_timeoffset(XenSim *sim, uint16_t domid,
                                     int64_t offset);

/* ---- interrupts and other recorded DMOPs ---- */

/* INTx level of PCI device `dev` pin `intx` (0 = INTA), -1: no domain. */
int xensim_intx_level(XenSim *sim, uint16_t domid, uint8_t dev, uint8_t intx);
/* set_pci_intx_level calls for it, and how many changed the level. */
unsigned xensim_intx_calls(XenSim *sim, uint16_t domid, uint8_t dev,
                           uint8_t intx);
unsigned xensim_intx_changes(XenSim *sim, uint16_t domid, uint8_t dev,
                             uint8_t intx);
/* Wait for the level to become `level`; false on timeout. */
bool xensim_intx_wait(XenSim *sim, uint16_t domid, uint8_t dev, uint8_t intx,
                      int level, unsigned timeout_ms);
/* IO-APIC GSI level: any asserted INTx routed to it, or set_irq_level. */
int xensim_gsi_level(XenSim *sim, uint16_t domid, unsigned gsi);
int xensim_isa_irq_level(XenSim *sim, uint16_t domid, unsigned irq);
int xensim_pci_link_route(XenSim *sim, uint16_t domid, unsigned link);
/* inject_msi calls so far, and the last address/data (may be NULL). */
unsigned xensim_msi_count(XenSim *sim, uint16_t domid, uint64_t *addr,
                          uint32_t *data);
/* Was `gfn` reported by modified_memory[_bulk] since the last clear? */
bool xensim_page_modified(XenSim *sim, uint16_t domid, uint64_t gfn);
void xensim_clear_modified(XenSim *sim, uint16_t domid);
/* The hvmmem_type_t last set for `gfn` (HVMMEM_ram_rw by default). */
int xensim_mem_type(XenSim *sim, uint16_t domid, uint64_t gfn);
/* The reason given to xendevicemodel_shutdown, or -1. */
int xensim_shutdown_reason(XenSim *sim, uint16_t domid);

/* Number of library requests of kind `op` received so far. */
unsigned xensim_op_count(XenSim *sim, XenSimOp op);

/* ---- fault injection ---- */

/*
 * Make library operation `op` fail with `err` (positive errno) `count`
 * times after letting `skip` calls through. The *_OPEN ops fail the
 * corresponding xen*_open(). XENSIM_OP_EVTCHN_PENDING instead queues an
 * error record on every open event channel fd right away, so the next
 * xenevtchn_pending() on each fails with `err` (skip/count ignored).
 */
void xensim_inject_error(XenSim *sim, XenSimOp op, int err, unsigned skip,
                         unsigned count);
void xensim_clear_errors(XenSim *sim);

/* ---- xenstore ---- */

/* Write (creating parents) / read (g_free, NULL if absent) / remove. */
bool xensim_xs_write(XenSim *sim, const char *path, const char *value);
char *xensim_xs_read(XenSim *sim, const char *path);
bool xensim_xs_mkdir(XenSim *sim, const char *path);
bool xensim_xs_rm(XenSim *sim, const char *path);
/* Children names (g_strfreev), NULL if the node does not exist. */
gchar **xensim_xs_directory(XenSim *sim, const char *path);
/* Permissions as xenstore strings ("n0", "r5", ...; g_strfreev). */
gchar **xensim_xs_get_perms(XenSim *sim, const char *path);
bool xensim_xs_set_perms(XenSim *sim, const char *path,
                         const char *const *perms);
/* Wait until `path` holds `value` (NULL: until it is absent). */
bool xensim_xs_wait(XenSim *sim, const char *path, const char *value,
                    unsigned timeout_ms);
/* Does any client hold a watch on exactly this (absolute) path? */
bool xensim_xs_has_watch(XenSim *sim, const char *path);
/* Connected xenstore clients. */
unsigned xensim_xs_connections(XenSim *sim);
/*
 * Fault injection: drop every client connection; with `refuse`, keep
 * refusing new ones until called again with refuse = false.
 */
void xensim_xs_disconnect_all(XenSim *sim, bool refuse);

#endif
