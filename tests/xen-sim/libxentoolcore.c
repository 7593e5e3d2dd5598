/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim libxentoolcore.so.1: the handle registry behind
 * xentoolcore_restrict_all(). Registered handles are restricted in turn;
 * the first failure stops the walk and is returned (-1, errno), as Xen's
 * handlereg.c does. Nothing here talks to the simulator: each library's
 * callback does its own restriction.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include "xentoolcore-internal.h"

static pthread_mutex_t toolcore_lock = PTHREAD_MUTEX_INITIALIZER;
static Xentoolcore__Active_Handle *toolcore_head;

void xentoolcore__register_active_handle(Xentoolcore__Active_Handle *ah)
{
    pthread_mutex_lock(&toolcore_lock);
    ah->entry.le_next = toolcore_head;
    if (toolcore_head) {
        toolcore_head->entry.le_prev = &ah->entry.le_next;
    }
    toolcore_head = ah;
    ah->entry.le_prev = &toolcore_head;
    pthread_mutex_unlock(&toolcore_lock);
}

void xentoolcore__deregister_active_handle(Xentoolcore__Active_Handle *ah)
{
    pthread_mutex_lock(&toolcore_lock);
    if (ah->entry.le_prev) {
        if (ah->entry.le_next) {
            ah->entry.le_next->entry.le_prev = ah->entry.le_prev;
        }
        *ah->entry.le_prev = ah->entry.le_next;
        ah->entry.le_prev = NULL;
        ah->entry.le_next = NULL;
    }
    pthread_mutex_unlock(&toolcore_lock);
}

int xentoolcore_restrict_all(domid_t domid)
{
    Xentoolcore__Active_Handle *ah;
    int rc = 0;

    pthread_mutex_lock(&toolcore_lock);
    for (ah = toolcore_head; ah; ah = ah->entry.le_next) {
        rc = ah->restrict_callback(ah, domid);
        if (rc) {
            break;
        }
    }
    pthread_mutex_unlock(&toolcore_lock);
    return rc ? -1 : 0;
}

int xentoolcore__restrict_by_dup2_null(int fd)
{
    int nullfd, rc, saved;

    if (fd < 0) {
        return 0;
    }
    nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (nullfd < 0) {
        return -1;
    }
    rc = dup2(nullfd, fd);
    saved = errno;
    close(nullfd);
    errno = saved;
    return rc < 0 ? -1 : 0;
}
