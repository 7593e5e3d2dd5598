/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The part of Xen's private xentoolcore ABI that other Xen libraries use
 * (Debian's real libxenstore among them): every library handle embeds a
 * Xentoolcore__Active_Handle and registers it, so that
 * xentoolcore_restrict_all() can restrict every open handle. Layout as in
 * Xen 4.17 tools/include/xentoolcore_internal.h: the callback pointer,
 * then a BSD LIST_ENTRY (next pointer, pointer to previous next field).
 */
#ifndef XENSIM_XENTOOLCORE_INTERNAL_H
#define XENSIM_XENTOOLCORE_INTERNAL_H

#include <xentoolcore.h>

typedef struct Xentoolcore__Active_Handle Xentoolcore__Active_Handle;

typedef int Xentoolcore__Restrict_Callback(Xentoolcore__Active_Handle *ah,
                                           domid_t domid);

struct Xentoolcore__Active_Handle {
    /* Called by xentoolcore_restrict_all(); 0 or -1 with errno. */
    Xentoolcore__Restrict_Callback *restrict_callback;
    /* List linkage, owned by libxentoolcore. */
    struct {
        Xentoolcore__Active_Handle *le_next;
        Xentoolcore__Active_Handle **le_prev;
    } entry;
};

void xentoolcore__register_active_handle(Xentoolcore__Active_Handle *ah);
void xentoolcore__deregister_active_handle(Xentoolcore__Active_Handle *ah);
int xentoolcore__restrict_by_dup2_null(int fd);

#endif
