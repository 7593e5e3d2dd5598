/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * INTx wires for Xen; see irq-xen.h.
 */
#include <errno.h>

#include "emunet/log.h"
#include "hw/pci/pci_regs.h"
#include "xen/ioreq.h"
#include "xen/irq-xen.h"

#define XEN_INTX_SLOTS 32
#define XEN_INTX_PINS 4

typedef struct XenIntxLine {
    IrqLine line;
    XenIntx *intx;
    uint8_t slot;
    uint8_t pin; /* 0 = INTA# .. 3 = INTD#, as the DMOP counts */
} XenIntxLine;

struct XenIntx {
    XenHost *host;
    GPtrArray *lines; /* XenIntxLine */
    /* Raised lines per (slot, pin): Xen sees their OR. */
    unsigned raised[XEN_INTX_SLOTS][XEN_INTX_PINS];
};

static void xen_intx_tell(XenIntx *intx, unsigned slot, unsigned pin,
                          bool level)
{
    log_trace(LOG_XEN, "INTx 00:%02x pin %c %s", slot, 'A' + pin,
              level ? "assert" : "deassert");
    if (XEN_CALL(xendevicemodel_set_pci_intx_level(
            intx->host->dmod, intx->host->domid, 0, 0, (uint8_t)slot,
            (uint8_t)pin, level ? 1 : 0)) < 0) {
        log_error("xen: domain %u: cannot set INTx of 00:%02x pin %c: %s",
                  intx->host->domid, slot, 'A' + pin, g_strerror(errno));
    }
}

static void xen_intx_set(IrqLine *line, bool level)
{
    XenIntxLine *l = line->opaque;
    XenIntx *intx = l->intx;
    unsigned *raised = &intx->raised[l->slot][l->pin];

    if (level) {
        if ((*raised)++ != 0) {
            return;
        }
    } else {
        if (*raised == 0 || --*raised != 0) {
            return;
        }
    }
    xen_intx_tell(intx, l->slot, l->pin, level);
}

void xen_intx_sync(XenIntx *intx)
{
    bool done[XEN_INTX_SLOTS][XEN_INTX_PINS] = {{false}};

    for (guint i = 0; i < intx->lines->len; i++) {
        XenIntxLine *l = g_ptr_array_index(intx->lines, i);

        if (!done[l->slot][l->pin]) {
            done[l->slot][l->pin] = true;
            xen_intx_tell(intx, l->slot, l->pin,
                          intx->raised[l->slot][l->pin] != 0);
        }
    }
}

XenIntx *xen_intx_new(XenHost *host)
{
    XenIntx *intx = g_new0(XenIntx, 1);

    intx->host = host;
    intx->lines = g_ptr_array_new_with_free_func(g_free);
    return intx;
}

IrqLine *xen_intx_line(XenIntx *intx, PciDevice *dev)
{
    unsigned pin = dev->config[PCI_INTERRUPT_PIN];
    XenIntxLine *l;

    if (pin < 1 || pin > XEN_INTX_PINS || dev->devfn < 0) {
        return NULL;
    }
    l = g_new0(XenIntxLine, 1);
    l->intx = intx;
    l->slot = PCI_SLOT(dev->devfn);
    l->pin = (uint8_t)(pin - 1);
    irq_init(&l->line, xen_intx_set, l);
    g_ptr_array_add(intx->lines, l);
    return &l->line;
}

void xen_intx_free(XenIntx *intx)
{
    if (!intx) {
        return;
    }
    g_ptr_array_free(intx->lines, TRUE);
    g_free(intx);
}
