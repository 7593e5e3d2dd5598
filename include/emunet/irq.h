/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IrqLine: one level-triggered interrupt wire (PCI INTx). Devices compute
 * level = (cause & mask) != 0 and call irq_set_level() as often as they
 * like; the implementation hears only about changes. Implementations: Xen
 * set_pci_intx_level, qtest "IRQ raise/lower" events, a unit-test recorder.
 */
#ifndef EMUNET_IRQ_H
#define EMUNET_IRQ_H

#include <stdbool.h>

typedef struct IrqLine IrqLine;

struct IrqLine {
    /*
     * Called only when the level changes, in the main loop thread, from
     * inside device code. Must not call back into the device.
     */
    void (*set)(IrqLine *line, bool level);
    /* Implementation data. */
    void *opaque;
    /* Current level; owned by irq_set_level. */
    bool level;
};

/* Initialise a line at level low. */
static inline void irq_init(IrqLine *line, void (*set)(IrqLine *, bool),
                            void *opaque)
{
    line->set = set;
    line->opaque = opaque;
    line->level = false;
}

/* Drive the line; propagates only on change. NULL line: no-op. */
static inline void irq_set_level(IrqLine *line, bool level)
{
    if (line && line->level != level) {
        line->level = level;
        if (line->set) {
            line->set(line, level);
        }
    }
}

#endif
