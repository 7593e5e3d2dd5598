/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the xen-sim self-tests (test-xensim.c, test-xensim-io.c): a
 * fresh simulator with domain DOM per test, its variables set in this
 * process so that the linked (xen-sim) libraries reach it.
 */
#ifndef TEST_XENSIM_H
#define TEST_XENSIM_H

#include "minidm.h"
#include "xensim.h"

#define DOM 7
#define PIO_BASE 0xc000
#define MMIO_BASE 0xf0000000ULL

typedef struct Fixture {
    XenSim *sim;
} Fixture;

/* data: the vCPU count of DOM (GUINT_TO_POINTER), 16 MiB of RAM. */
void fixture_setup(Fixture *f, gconstpointer data);
void fixture_teardown(Fixture *f, gconstpointer data);

/* A minidm serving DOM's ports at PIO_BASE and MMIO at MMIO_BASE. */
MiniDm *dm_new(uint16_t domid, int bufioreq);

#define XENSIM_TEST_ADD(path, fn, vcpus)                                       \
    g_test_add("/xen-sim/" path, Fixture, GUINT_TO_POINTER(vcpus),             \
               fixture_setup, fn, fixture_teardown)

/* test-xensim-io.c */
void test_xensim_io_register(void);

#endif
