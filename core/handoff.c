/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NIC hand-off to PV drivers; see handoff.h.
 */
#include <string.h>

#include "core/handoff.h"
#include "emunet/log.h"

#define HANDOFF_STATE_VERSION 1
/* The "unplugged" field: NUL-terminated ids, one after another. */
#define HANDOFF_STATE_MAX (64u * 1024)

typedef struct HandoffNic {
    char *id;
    char *model;
    PciDevice *dev;
    bool unplugged;
} HandoffNic;

struct Handoff {
    HandoffHooks hooks;
    GPtrArray *nics; /* HandoffNic * */
};

static void handoff_nic_free(gpointer data)
{
    HandoffNic *n = data;

    /* Only a device handed off is ours; the bus destroys the others. */
    if (n->unplugged) {
        n->dev->ops->destroy(n->dev);
    }
    g_free(n->id);
    g_free(n->model);
    g_free(n);
}

Handoff *handoff_new(const HandoffHooks *hooks)
{
    Handoff *h = g_new0(Handoff, 1);

    g_assert(hooks->detach && hooks->close_backend);
    h->hooks = *hooks;
    h->nics = g_ptr_array_new_with_free_func(handoff_nic_free);
    return h;
}

void handoff_free(Handoff *h)
{
    if (!h) {
        return;
    }
    g_ptr_array_free(h->nics, TRUE);
    g_free(h);
}

void handoff_add_nic(Handoff *h, const char *id, const char *model,
                     PciDevice *dev)
{
    HandoffNic *n = g_new0(HandoffNic, 1);

    n->id = g_strdup(id);
    n->model = g_strdup(model);
    n->dev = dev;
    g_ptr_array_add(h->nics, n);
}

static HandoffNic *handoff_find(Handoff *h, const char *id)
{
    for (guint i = 0; i < h->nics->len; i++) {
        HandoffNic *n = g_ptr_array_index(h->nics, i);

        if (strcmp(n->id, id) == 0) {
            return n;
        }
    }
    return NULL;
}

static void handoff_one(Handoff *h, HandoffNic *n, const char *reason)
{
    g_autofree char *be = NULL;

    /* Marked first: a request made from a hook finds it gone. */
    n->unplugged = true;
    if (n->dev->ops->quiesce) {
        n->dev->ops->quiesce(n->dev);
    }
    h->hooks.detach(h->hooks.opaque, n->dev);
    be = h->hooks.close_backend(h->hooks.opaque, n->id);
    if (h->hooks.unplugged) {
        h->hooks.unplugged(h->hooks.opaque, n->id);
    }
    log_info("hand-off: %s (%s) unplugged (%s): DMA and interrupts stopped, "
             "PCI function removed, %s%s",
             n->id, n->model, reason, be ? be : "no backend",
             be ? " closed" : "");
}

unsigned handoff_unplug_all(Handoff *h, const char *reason)
{
    unsigned count = 0;

    /* No NIC is added or removed while one is handed off. */
    for (guint i = 0; i < h->nics->len; i++) {
        HandoffNic *n = g_ptr_array_index(h->nics, i);

        if (!n->unplugged) {
            handoff_one(h, n, reason);
            count++;
        }
    }
    if (count == 0) {
        log_trace(LOG_CORE, "hand-off (%s): no emulated NIC left", reason);
    }
    return count;
}

bool handoff_unplug(Handoff *h, const char *id, const char *reason,
                    GError **errp)
{
    HandoffNic *n = handoff_find(h, id);

    if (!n) {
        g_set_error(errp, g_quark_from_static_string("emunet-handoff"), 0,
                    "no emulated NIC '%s'", id);
        return false;
    }
    if (!n->unplugged) {
        handoff_one(h, n, reason);
    }
    return true;
}

bool handoff_is_unplugged(Handoff *h, const char *id)
{
    HandoffNic *n = handoff_find(h, id);

    return n && n->unplugged;
}

guint handoff_count(Handoff *h)
{
    return h->nics->len;
}

const char *handoff_nic_id(Handoff *h, guint index)
{
    g_assert(index < h->nics->len);
    return ((HandoffNic *)g_ptr_array_index(h->nics, index))->id;
}

/* ---- Save / restore ---- */

static void handoff_state_save(void *owner, DevStateWriter *w)
{
    Handoff *h = owner;
    GByteArray *ids = g_byte_array_new();

    for (guint i = 0; i < h->nics->len; i++) {
        HandoffNic *n = g_ptr_array_index(h->nics, i);

        if (n->unplugged) {
            g_byte_array_append(ids, (const uint8_t *)n->id,
                                (guint)strlen(n->id) + 1);
        }
    }
    devstate_put_bytes(w, "unplugged", ids->data, ids->len);
    g_byte_array_free(ids, TRUE);
}

static void *handoff_state_check(void *owner, DevStateReader *r,
                                 uint32_t version, GError **errp)
{
    Handoff *h = owner;
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    const uint8_t *data;
    size_t len, off = 0;

    if (!devstate_get_blob(r, "unplugged", HANDOFF_STATE_MAX, &data, &len,
                           errp)) {
        goto fail;
    }
    while (off < len) {
        const uint8_t *nul = memchr(data + off, '\0', len - off);
        g_autofree char *id = NULL;

        if (!nul) {
            devstate_reader_fail(r, errp, DEVSTATE_ERROR_FORMAT,
                                 "unterminated NIC id");
            goto fail;
        }
        id = g_strndup((const char *)data + off, nul - (data + off));
        off = nul - data + 1;
        if (!handoff_find(h, id)) {
            devstate_reader_fail(r, errp, DEVSTATE_ERROR_FOREIGN,
                                 "NIC '%s' was handed off, but this emunet "
                                 "has no such NIC",
                                 id);
            goto fail;
        }
        g_ptr_array_add(ids, g_steal_pointer(&id));
    }
    return ids;

fail:
    g_ptr_array_free(ids, TRUE);
    return NULL;
}

static void handoff_state_apply(void *owner, void *pending)
{
    Handoff *h = owner;
    GPtrArray *ids = pending;

    for (guint i = 0; i < ids->len; i++) {
        HandoffNic *n = handoff_find(h, g_ptr_array_index(ids, i));

        if (n && !n->unplugged) {
            handoff_one(h, n, "handed off before the save");
        }
    }
    g_ptr_array_free(ids, TRUE);
}

static void handoff_state_discard(void *pending)
{
    g_ptr_array_free(pending, TRUE);
}

const DevStateOps handoff_devstate_ops = {
    .type = "handoff",
    .version = HANDOFF_STATE_VERSION,
    .save = handoff_state_save,
    .check = handoff_state_check,
    .apply = handoff_state_apply,
    .discard = handoff_state_discard,
};
