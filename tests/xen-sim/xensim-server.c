/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xensim-server: xen-sim as a standalone process, for running a device
 * model (or xenstore-ls and friends) against a simulated host by hand.
 *
 *   xensim-server -d 5:2:64      # domain 5, 2 vCPUs, 64 MiB
 *
 * prints the environment to use (XENSIM_SOCKET, XENSTORED_PATH) and
 * serves until SIGINT or SIGTERM. There is no guest: the interesting
 * checks (vCPU accesses) need the C API in xensim.h.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib-unix.h>

#include "xensim.h"

static gboolean server_quit(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
    gchar **domains = NULL;
    GOptionEntry entries[] = {
        {"domain", 'd', 0, G_OPTION_ARG_STRING_ARRAY, &domains,
         "Create a domain (repeatable)", "DOMID[:VCPUS[:RAM_MB]]"},
        {NULL},
    };
    GOptionContext *ctx = g_option_context_new("- simulated Xen host");
    GError *err = NULL;
    GMainLoop *loop;
    XenSim *sim;
    gchar **d;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "xensim-server: %s\n", err->message);
        return 1;
    }
    g_option_context_free(ctx);
    sim = xensim_new(&err);
    if (!sim) {
        fprintf(stderr, "xensim-server: %s\n", err->message);
        return 1;
    }
    for (d = domains; d && *d; d++) {
        unsigned long domid = 0, vcpus = 1, ram_mb = 64;

        if (sscanf(*d, "%lu:%lu:%lu", &domid, &vcpus, &ram_mb) < 1 ||
            domid > UINT16_MAX ||
            !xensim_domain_create(sim, (uint16_t)domid, (unsigned)vcpus,
                                  (uint64_t)ram_mb << 20, &err)) {
            fprintf(stderr, "xensim-server: domain '%s': %s\n", *d,
                    err ? err->message : "bad syntax");
            xensim_free(sim);
            return 1;
        }
    }
    g_strfreev(domains);
    printf("XENSIM_SOCKET=%s\nXENSTORED_PATH=%s\n", xensim_socket_path(sim),
           xensim_xenstore_path(sim));
    fflush(stdout);
    loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGINT, server_quit, loop);
    g_unix_signal_add(SIGTERM, server_quit, loop);
    g_main_loop_run(loop);
    g_main_loop_unref(loop);
    xensim_free(sim);
    return 0;
}
