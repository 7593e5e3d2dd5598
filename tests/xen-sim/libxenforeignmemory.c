/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim libxenforeignmemory.so.1: foreign mappings of simulated guest
 * memory. The simulator answers each frame with an offset into the
 * domain's memfd (guest RAM, then the ioreq pages) or a negative errno,
 * and passes the memfd; the frames are then mmap()ed MAP_SHARED|MAP_FIXED
 * into one reserved range, so the caller sees the same linear mapping,
 * per-frame err[] (negative errno values, as the real library returns
 * them) and whole-call failure rules as with privcmd. A frame that failed
 * stays an inaccessible (PROT_NONE) page.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xenforeignmemory.h>
#include <xentoollog.h>

#include "xensim-client.h"
#include "xentoolcore-internal.h"

#define FMEM_PAGE_SHIFT 12
#define FMEM_PAGE_SIZE (1UL << FMEM_PAGE_SHIFT)
/* Bounded stand-in for the real library's unbounded paged-gfn retry. */
#define FMEM_PAGED_RETRIES 10000

struct xenforeignmemory_handle {
    XsimConn conn;
    Xentoolcore__Active_Handle tc_ah;
};

struct xenforeignmemory_resource_handle {
    domid_t domid;
    unsigned int type;
    unsigned int id;
    unsigned long frame;
    unsigned long nr_frames;
    void *addr;
    int prot;
    int flags;
};

static int fmem_restrict_cb(Xentoolcore__Active_Handle *ah, domid_t domid)
{
    xenforeignmemory_handle *fmem =
        (xenforeignmemory_handle *)((char *)ah -
                                    offsetof(xenforeignmemory_handle, tc_ah));

    return xenforeignmemory_restrict(fmem, domid);
}

xenforeignmemory_handle *xenforeignmemory_open(struct xentoollog_logger *logger,
                                               unsigned open_flags)
{
    xenforeignmemory_handle *fmem = calloc(1, sizeof(*fmem));
    int saved;

    if (!fmem) {
        return NULL;
    }
    fmem->tc_ah.restrict_callback = fmem_restrict_cb;
    xentoolcore__register_active_handle(&fmem->tc_ah);
    if (xsim_conn_open(&fmem->conn, XENSIM_OP_FMEM_OPEN, -1, NULL, true) < 0) {
        xsim_log_open_error(logger, "xenforeignmemory");
        saved = errno;
        xentoolcore__deregister_active_handle(&fmem->tc_ah);
        xsim_conn_close(&fmem->conn);
        free(fmem);
        errno = saved;
        return NULL;
    }
    return fmem;
}

int xenforeignmemory_close(xenforeignmemory_handle *fmem)
{
    if (!fmem) {
        return 0;
    }
    xentoolcore__deregister_active_handle(&fmem->tc_ah);
    xsim_conn_close(&fmem->conn);
    free(fmem);
    return 0;
}

/* Map frames [first, first + n) of the request into `base`. */
static int fmem_map_chunk(xenforeignmemory_handle *fmem, uint32_t dom,
                          char *base, int prot, size_t first, size_t n,
                          const xen_pfn_t *arr, int *err)
{
    XenSimReq req = {
        .op = XENSIM_OP_FMEM_MAP,
        .len = (uint32_t)(n * sizeof(uint64_t)),
        .arg = {dom, n, (uint64_t)prot},
    };
    uint64_t *gfns = malloc(n * sizeof(uint64_t));
    int64_t *offs = malloc(n * sizeof(int64_t));
    XenSimRsp rsp;
    size_t i, run;
    int fd = -1, rc = -1, saved;

    if (!gfns || !offs) {
        errno = ENOMEM;
        goto out;
    }
    for (i = 0; i < n; i++) {
        gfns[i] = arr[first + i];
    }
    if (xsim_call(&fmem->conn, &req, gfns, &rsp, offs, n * sizeof(*offs), &fd) <
        0) {
        goto out;
    }
    if (rsp.len != n * sizeof(*offs)) {
        errno = EIO;
        goto out;
    }
    for (i = 0; i < n; i += run) {
        run = 1;
        if (offs[i] < 0) {
            err[first + i] = (int)offs[i];
            continue;
        }
        while (i + run < n && offs[i + run] >= 0 &&
               offs[i + run] == offs[i] + (int64_t)(run * FMEM_PAGE_SIZE)) {
            run++;
        }
        if (fd < 0 || mmap(base + (first + i) * FMEM_PAGE_SIZE,
                           run * FMEM_PAGE_SIZE, prot, MAP_SHARED | MAP_FIXED,
                           fd, (off_t)offs[i]) == MAP_FAILED) {
            size_t j;

            for (j = 0; j < run; j++) {
                err[first + i + j] = -EFAULT;
            }
            continue;
        }
        memset(&err[first + i], 0, run * sizeof(int));
    }
    rc = 0;
out:
    saved = errno;
    if (fd >= 0) {
        close(fd);
    }
    free(gfns);
    free(offs);
    errno = saved;
    return rc;
}

void *xenforeignmemory_map2(xenforeignmemory_handle *fmem, uint32_t dom,
                            void *addr, int prot, int flags, size_t pages,
                            const xen_pfn_t arr[/*pages*/], int err[/*pages*/])
{
    int *err_to_free = NULL;
    char *base;
    size_t i, n;
    int retry, saved;

    if (pages == 0 || pages > (SIZE_MAX >> FMEM_PAGE_SHIFT)) {
        errno = EINVAL;
        return NULL;
    }
    if (!err) {
        err = err_to_free = calloc(pages, sizeof(int));
        if (!err) {
            errno = ENOMEM;
            return NULL;
        }
    }
    /* One reservation, like the privcmd VMA; frames are placed in it. */
    base = mmap(addr, pages << FMEM_PAGE_SHIFT, PROT_NONE,
                MAP_PRIVATE | MAP_ANONYMOUS | (flags & MAP_FIXED), -1, 0);
    if (base == MAP_FAILED) {
        free(err_to_free);
        return NULL;
    }
    for (i = 0; i < pages; i += n) {
        n = pages - i < XENSIM_MAP_CHUNK ? pages - i : XENSIM_MAP_CHUNK;
        if (fmem_map_chunk(fmem, dom, base, prot, i, n, arr, err) < 0) {
            goto fail;
        }
    }
    /* Paged-out frames (-ENOENT) are retried, as the real library does. */
    for (retry = 0; retry < FMEM_PAGED_RETRIES; retry++) {
        bool paged = false;

        for (i = 0; i < pages; i++) {
            if (err[i] != -ENOENT) {
                continue;
            }
            paged = true;
            if (fmem_map_chunk(fmem, dom, base, prot, i, 1, arr, err) < 0) {
                goto fail;
            }
        }
        if (!paged) {
            break;
        }
        usleep(100);
    }
    if (err_to_free) {
        for (i = 0; i < pages; i++) {
            if (err[i]) {
                saved = -err[i];
                munmap(base, pages << FMEM_PAGE_SHIFT);
                free(err_to_free);
                errno = saved;
                return NULL;
            }
        }
        free(err_to_free);
    }
    return base;

fail:
    saved = errno;
    munmap(base, pages << FMEM_PAGE_SHIFT);
    free(err_to_free);
    errno = saved;
    return NULL;
}

void *xenforeignmemory_map(xenforeignmemory_handle *fmem, uint32_t dom,
                           int prot, size_t pages,
                           const xen_pfn_t arr[/*pages*/], int err[/*pages*/])
{
    return xenforeignmemory_map2(fmem, dom, NULL, prot, 0, pages, arr, err);
}

int xenforeignmemory_unmap(xenforeignmemory_handle *fmem, void *addr,
                           size_t pages)
{
    return munmap(addr, pages << FMEM_PAGE_SHIFT);
}

int xenforeignmemory_restrict(xenforeignmemory_handle *fmem, domid_t domid)
{
    uint64_t a[] = {domid};
    XenSimRsp rsp;

    return xsim_call_simple(&fmem->conn, XENSIM_OP_FMEM_RESTRICT, a, 1, &rsp);
}

/* Acquire (or, with addr == NULL and nr_frames == 0, size) a resource. */
static int fmem_resource(xenforeignmemory_handle *fmem,
                         xenforeignmemory_resource_handle *fres)
{
    XenSimReq req = {
        .op = XENSIM_OP_FMEM_MAP_RESOURCE,
        .arg = {fres->domid, fres->type, fres->id, fres->frame,
                fres->nr_frames},
    };
    XenSimRsp rsp;
    void *p;
    int fd = -1, saved;

    if (fres->addr && !fres->nr_frames) {
        /* mmap() of zero bytes, before privcmd is even asked. */
        errno = EINVAL;
        return -1;
    }
    if (xsim_call(&fmem->conn, &req, NULL, &rsp, NULL, 0, &fd) < 0) {
        return -1;
    }
    if (fres->nr_frames == 0) {
        if (fd >= 0) {
            close(fd);
        }
        fres->nr_frames = rsp.ret[0];
        return 0;
    }
    if (fd < 0) {
        errno = EIO;
        return -1;
    }
    p = mmap(fres->addr, fres->nr_frames << FMEM_PAGE_SHIFT, fres->prot,
             (fres->flags & ~MAP_PRIVATE) | MAP_SHARED, fd, (off_t)rsp.ret[0]);
    saved = errno;
    close(fd);
    if (p == MAP_FAILED) {
        errno = saved;
        return -1;
    }
    fres->addr = p;
    return 0;
}

xenforeignmemory_resource_handle *
xenforeignmemory_map_resource(xenforeignmemory_handle *fmem, domid_t domid,
                              unsigned int type, unsigned int id,
                              unsigned long frame, unsigned long nr_frames,
                              void **paddr, int prot, int flags)
{
    xenforeignmemory_resource_handle *fres;

    if (flags & ~(MAP_SHARED | MAP_PRIVATE)) {
        errno = EINVAL;
        return NULL;
    }
    fres = calloc(1, sizeof(*fres));
    if (!fres) {
        errno = ENOMEM;
        return NULL;
    }
    fres->domid = domid;
    fres->type = type;
    fres->id = id;
    fres->frame = frame;
    fres->nr_frames = nr_frames;
    fres->addr = *paddr;
    fres->prot = prot;
    fres->flags = flags;
    if (fmem_resource(fmem, fres) < 0) {
        int saved = errno;

        free(fres);
        errno = saved;
        return NULL;
    }
    *paddr = fres->addr;
    return fres;
}

int xenforeignmemory_unmap_resource(xenforeignmemory_handle *fmem,
                                    xenforeignmemory_resource_handle *fres)
{
    int rc = 0;

    if (!fres) {
        return 0;
    }
    if (fres->addr && fres->nr_frames) {
        rc = munmap(fres->addr, fres->nr_frames << FMEM_PAGE_SHIFT);
    }
    free(fres);
    return rc;
}

int xenforeignmemory_resource_size(xenforeignmemory_handle *fmem, domid_t domid,
                                   unsigned int type, unsigned int id,
                                   size_t *size)
{
    xenforeignmemory_resource_handle fres = {
        .domid = domid,
        .type = type,
        .id = id,
    };

    if (fmem_resource(fmem, &fres) < 0) {
        return -1;
    }
    *size = fres.nr_frames << FMEM_PAGE_SHIFT;
    return 0;
}
