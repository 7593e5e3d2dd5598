/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Built instead of the Xen transport when libxen-dev is missing (meson
 * option xen): -xen-domid fails with a clear message; see transport-xen.h.
 */
#include "xen/transport-xen.h"

G_DEFINE_QUARK(emunet - xen - error - quark, xen_error)

Transport *xen_transport_new(const XenTransportConfig *cfg, IoBus *iobus,
                             GError **errp)
{
    g_set_error(errp, XEN_ERROR, XEN_ERROR_NO_SUPPORT,
                "xen: emunet was built without Xen support (install "
                "libxen-dev and reconfigure with -Dxen=enabled)");
    return NULL;
}

int xen_transport_exit_status(void)
{
    return 0;
}

XenStore *xen_transport_store(Transport *t)
{
    return NULL;
}

bool xen_transport_set_nic_state(Transport *t, const char *id,
                                 const char *state)
{
    return false;
}

void xen_transport_set_running(Transport *t, bool running)
{
}

bool xen_transport_set_dirty_log(Transport *t, bool enable, GError **errp)
{
    g_set_error(errp, XEN_ERROR, XEN_ERROR_NO_SUPPORT,
                "xen: emunet was built without Xen support");
    return false;
}

void xen_transport_state_loaded(Transport *t)
{
}
