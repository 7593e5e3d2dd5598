/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * emunet's INTx wires for Xen (xen/irq-xen.c), in-process on xen-sim's
 * libxendevicemodel: set_pci_intx_level on level changes only, wire-OR
 * of the lines sharing a slot and pin, and xen_intx_sync replacing a
 * level a previous device model left behind (a restored domain keeps
 * it: seen on real Xen as a guest whose NIC interrupt stayed asserted).
 */
#include <xendevicemodel.h>

#include "hw/pci/pci_regs.h"
#include "xen/irq-xen.h"
#include "xensim.h"

#define DOM 4
#define SLOT 3

typedef struct Fixture {
    XenSim *sim;
    XenHost host;
    XenIntx *intx;
    PciDevice dev[2];
} Fixture;

static void fixture_set_up(Fixture *f, gconstpointer data)
{
    GError *err = NULL;

    f->sim = xensim_new(&err);
    g_assert_no_error(err);
    g_assert_true(xensim_domain_create(f->sim, DOM, 1, 16u << 20, &err));
    g_assert_no_error(err);
    xensim_setenv(f->sim);
    f->host.domid = DOM;
    f->host.dmod = xendevicemodel_open(NULL, 0);
    g_assert_nonnull(f->host.dmod);
    f->host.nr_vcpus = 1;
    f->intx = xen_intx_new(&f->host);
    for (unsigned i = 0; i < 2; i++) {
        f->dev[i].devfn = SLOT << 3 | i;
        f->dev[i].config[PCI_INTERRUPT_PIN] = 1;
    }
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
    xen_intx_free(f->intx);
    xendevicemodel_close(f->host.dmod);
    xensim_free(f->sim);
}

static int level(Fixture *f)
{
    return xensim_intx_level(f->sim, DOM, SLOT, 0);
}

/* Changes only; two functions on INTA# of one slot are wire-ORed. */
static void test_changes(Fixture *f, gconstpointer data)
{
    IrqLine *a = xen_intx_line(f->intx, &f->dev[0]);
    IrqLine *b = xen_intx_line(f->intx, &f->dev[1]);

    irq_set_level(a, true);
    irq_set_level(a, true);
    irq_set_level(b, true);
    g_assert_cmpint(level(f), ==, 1);
    irq_set_level(a, false);
    g_assert_cmpint(level(f), ==, 1);
    irq_set_level(b, false);
    g_assert_cmpint(level(f), ==, 0);
    g_assert_cmpuint(xensim_intx_calls(f->sim, DOM, SLOT, 0), ==, 2);
}

/*
 * A previous device model left INTA# asserted (xl restore: Xen restores
 * the levels); our device is quiet, so sync must deassert it, and later
 * changes still reach Xen.
 */
static void test_sync_stale(Fixture *f, gconstpointer data)
{
    IrqLine *a = xen_intx_line(f->intx, &f->dev[0]);

    g_assert_cmpint(xendevicemodel_set_pci_intx_level(f->host.dmod, DOM, 0, 0,
                                                      SLOT, 0, 1),
                    ==, 0);
    g_assert_cmpint(level(f), ==, 1);
    xen_intx_sync(f->intx);
    g_assert_cmpint(level(f), ==, 0);
    irq_set_level(a, true);
    g_assert_cmpint(level(f), ==, 1);
    /* A stale low under a raised line: sync asserts it again. */
    g_assert_cmpint(xendevicemodel_set_pci_intx_level(f->host.dmod, DOM, 0, 0,
                                                      SLOT, 0, 0),
                    ==, 0);
    xen_intx_sync(f->intx);
    g_assert_cmpint(level(f), ==, 1);
    irq_set_level(a, false);
    g_assert_cmpint(level(f), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/xen-intx/changes", Fixture, NULL, fixture_set_up,
               test_changes, fixture_tear_down);
    g_test_add("/xen-intx/sync-stale", Fixture, NULL, fixture_set_up,
               test_sync_stale, fixture_tear_down);
    return g_test_run();
}
