/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to backends/: the constructors that backends/netbe.c lists in
 * its type table. Each takes the -netdev options (type and id already
 * checked by net_backend_new) and returns a backend set up with
 * net_backend_init, or NULL with an error naming the option at fault.
 */
#ifndef EMUNET_BACKENDS_NETBE_PRIV_H
#define EMUNET_BACKENDS_NETBE_PRIV_H

#include "emunet/net.h"
#include "emunet/opts.h"

/* Error domain of backend setup errors (one code: the message says it). */
#define NET_BACKEND_ERROR (net_backend_error_quark())
#define NET_BACKEND_ERROR_FAILED 0
GQuark net_backend_error_quark(void);

typedef NetBackend *NetBackendNewFn(const EmuOpts *opts, GMainContext *ctx,
                                    GError **errp);

/* -netdev socket: fd=, connect= or listen= (backends/socket.c). */
NetBackend *net_socket_new(const EmuOpts *opts, GMainContext *ctx,
                           GError **errp);

#endif
