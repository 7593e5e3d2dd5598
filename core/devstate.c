/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device state blobs; see devstate.h for the format and the load rules.
 * Parsing is two-pass: the whole blob is walked once to check its
 * structure (every length against what is left) and its CRC, and only
 * then are sections handed to their owners. Files and -incoming are in
 * devstate-file.c.
 */
#include <stdarg.h>
#include <string.h>

#include "emunet/devstate.h"
#include "emunet/types.h"

/* Fields per section: bounds the per-section index. */
#define DEVSTATE_MAX_FIELDS 4096

G_DEFINE_QUARK(emunet - devstate - error - quark, devstate_error)

struct DevStateWriter {
    GByteArray *out;
};

/* One field of a section being loaded. */
typedef struct DevStateItem {
    const uint8_t *value;
    uint32_t len;
    bool used;
} DevStateItem;

struct DevStateReader {
    char *where;
    /* Field name -> 1 + its index in items. */
    GHashTable *index;
    DevStateItem *items;
    unsigned nitems;
};

typedef struct DevStateEntry {
    char *id;
    const DevStateOps *ops;
    void *owner;
} DevStateEntry;

struct DevState {
    GPtrArray *entries; /* DevStateEntry * */
};

/* ---- CRC-32 (IEEE 802.3, reflected, as zlib) ---- */

uint32_t devstate_crc32(uint32_t crc, const void *buf, size_t len)
{
    static uint32_t table[256];
    static bool ready;
    const uint8_t *p = buf;

    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;

            for (int k = 0; k < 8; k++) {
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            }
            table[i] = c;
        }
        ready = true;
    }
    crc = ~crc;
    while (len--) {
        crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}

/* ---- Writer ---- */

static void devstate_out_u16(GByteArray *out, uint16_t v)
{
    uint8_t b[2];

    st16_le(b, v);
    g_byte_array_append(out, b, sizeof(b));
}

static void devstate_out_u32(GByteArray *out, uint32_t v)
{
    uint8_t b[4];

    st32_le(b, v);
    g_byte_array_append(out, b, sizeof(b));
}

static void devstate_out_name(GByteArray *out, const char *name)
{
    size_t len = strlen(name);

    g_assert(len > 0 && len <= DEVSTATE_MAX_NAME);
    devstate_out_u16(out, (uint16_t)len);
    g_byte_array_append(out, (const uint8_t *)name, (guint)len);
}

void devstate_put_bytes(DevStateWriter *w, const char *name, const void *buf,
                        size_t len)
{
    g_assert(len <= DEVSTATE_MAX_PAYLOAD);
    devstate_out_name(w->out, name);
    devstate_out_u32(w->out, (uint32_t)len);
    g_byte_array_append(w->out, buf, (guint)len);
}

void devstate_put_u8(DevStateWriter *w, const char *name, uint8_t v)
{
    devstate_put_bytes(w, name, &v, 1);
}

void devstate_put_u16(DevStateWriter *w, const char *name, uint16_t v)
{
    uint8_t b[2];

    st16_le(b, v);
    devstate_put_bytes(w, name, b, sizeof(b));
}

void devstate_put_u32(DevStateWriter *w, const char *name, uint32_t v)
{
    uint8_t b[4];

    st32_le(b, v);
    devstate_put_bytes(w, name, b, sizeof(b));
}

void devstate_put_u64(DevStateWriter *w, const char *name, uint64_t v)
{
    uint8_t b[8];

    st64_le(b, v);
    devstate_put_bytes(w, name, b, sizeof(b));
}

void devstate_put_i64(DevStateWriter *w, const char *name, int64_t v)
{
    devstate_put_u64(w, name, (uint64_t)v);
}

void devstate_put_bool(DevStateWriter *w, const char *name, bool v)
{
    devstate_put_u8(w, name, v ? 1 : 0);
}

/* ---- Reader ---- */

const char *devstate_reader_where(const DevStateReader *r)
{
    return r->where;
}

bool devstate_reader_fail(DevStateReader *r, GError **errp, DevStateError code,
                          const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, DEVSTATE_ERROR, code, "%s: %s", r->where, msg);
    g_free(msg);
    return false;
}

static DevStateItem *devstate_find(DevStateReader *r, const char *name,
                                   GError **errp)
{
    guint pos = GPOINTER_TO_UINT(g_hash_table_lookup(r->index, name));
    DevStateItem *it;

    if (pos == 0) {
        devstate_reader_fail(r, errp, DEVSTATE_ERROR_VERSION,
                             "field '%s' is missing", name);
        return NULL;
    }
    it = &r->items[pos - 1];
    it->used = true;
    return it;
}

bool devstate_get_bytes(DevStateReader *r, const char *name, void *buf,
                        size_t len, GError **errp)
{
    DevStateItem *it = devstate_find(r, name, errp);

    if (!it) {
        return false;
    }
    if (it->len != len) {
        return devstate_reader_fail(r, errp, DEVSTATE_ERROR_FORMAT,
                                    "field '%s' has %u bytes, expected %zu",
                                    name, it->len, len);
    }
    memcpy(buf, it->value, len);
    return true;
}

bool devstate_get_blob(DevStateReader *r, const char *name, size_t max,
                       const uint8_t **data, size_t *len, GError **errp)
{
    DevStateItem *it = devstate_find(r, name, errp);

    if (!it) {
        return false;
    }
    if (it->len > max) {
        return devstate_reader_fail(r, errp, DEVSTATE_ERROR_INVALID,
                                    "field '%s' has %u bytes, at most %zu "
                                    "allowed",
                                    name, it->len, max);
    }
    *data = it->value;
    *len = it->len;
    return true;
}

bool devstate_get_u8(DevStateReader *r, const char *name, uint8_t *v,
                     GError **errp)
{
    return devstate_get_bytes(r, name, v, 1, errp);
}

bool devstate_get_u16(DevStateReader *r, const char *name, uint16_t *v,
                      GError **errp)
{
    uint8_t b[2];

    if (!devstate_get_bytes(r, name, b, sizeof(b), errp)) {
        return false;
    }
    *v = ld16_le(b);
    return true;
}

bool devstate_get_u32(DevStateReader *r, const char *name, uint32_t *v,
                      GError **errp)
{
    uint8_t b[4];

    if (!devstate_get_bytes(r, name, b, sizeof(b), errp)) {
        return false;
    }
    *v = ld32_le(b);
    return true;
}

bool devstate_get_u64(DevStateReader *r, const char *name, uint64_t *v,
                      GError **errp)
{
    uint8_t b[8];

    if (!devstate_get_bytes(r, name, b, sizeof(b), errp)) {
        return false;
    }
    *v = ld64_le(b);
    return true;
}

bool devstate_get_i64(DevStateReader *r, const char *name, int64_t *v,
                      GError **errp)
{
    uint64_t u;

    if (!devstate_get_u64(r, name, &u, errp)) {
        return false;
    }
    *v = (int64_t)u;
    return true;
}

bool devstate_get_bool(DevStateReader *r, const char *name, bool *v,
                       GError **errp)
{
    uint8_t b;

    if (!devstate_get_u8(r, name, &b, errp)) {
        return false;
    }
    if (b > 1) {
        return devstate_reader_fail(r, errp, DEVSTATE_ERROR_INVALID,
                                    "field '%s' is %u, not a boolean", name, b);
    }
    *v = b;
    return true;
}

/* ---- Table-driven fields ---- */

static uint64_t devstate_load_elem(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1:
        return *p;
    case 2:
        return *(const uint16_t *)p;
    case 4:
        return *(const uint32_t *)p;
    default:
        return *(const uint64_t *)p;
    }
}

static void devstate_store_elem(uint8_t *p, unsigned size, uint64_t v)
{
    switch (size) {
    case 1:
        *p = (uint8_t)v;
        break;
    case 2:
        *(uint16_t *)p = (uint16_t)v;
        break;
    case 4:
        *(uint32_t *)p = (uint32_t)v;
        break;
    default:
        *(uint64_t *)p = v;
        break;
    }
}

void devstate_put_fields(DevStateWriter *w, const DevStateField *f, size_t n,
                         const void *obj)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = (size_t)f[i].size * f[i].count;
        uint8_t *buf = g_malloc(len);
        const uint8_t *src = (const uint8_t *)obj + f[i].offset;

        g_assert(f[i].size == 1 || f[i].size == 2 || f[i].size == 4 ||
                 f[i].size == 8);
        for (unsigned k = 0; k < f[i].count; k++) {
            uint64_t v = f[i].is_bool ? (uint64_t)((const bool *)src)[k]
                                      : devstate_load_elem(src + k * f[i].size,
                                                           f[i].size);

            for (unsigned b = 0; b < f[i].size; b++) {
                buf[k * f[i].size + b] = (uint8_t)(v >> (8 * b));
            }
        }
        devstate_put_bytes(w, f[i].name, buf, len);
        g_free(buf);
    }
}

bool devstate_get_fields(DevStateReader *r, const DevStateField *f, size_t n,
                         void *obj, GError **errp)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = (size_t)f[i].size * f[i].count;
        g_autofree uint8_t *buf = g_malloc(len);
        uint8_t *dst = (uint8_t *)obj + f[i].offset;

        if (!devstate_get_bytes(r, f[i].name, buf, len, errp)) {
            return false;
        }
        for (unsigned k = 0; k < f[i].count; k++) {
            uint64_t v = 0;

            for (unsigned b = 0; b < f[i].size; b++) {
                v |= (uint64_t)buf[k * f[i].size + b] << (8 * b);
            }
            if (f[i].is_bool) {
                if (v > 1) {
                    return devstate_reader_fail(
                        r, errp, DEVSTATE_ERROR_INVALID,
                        "field '%s' is %" G_GUINT64_FORMAT ", not a boolean",
                        f[i].name, v);
                }
                ((bool *)dst)[k] = v != 0;
            } else {
                devstate_store_elem(dst + k * f[i].size, f[i].size, v);
            }
        }
    }
    return true;
}

void devstate_copy_fields(const DevStateField *f, size_t n, void *dst,
                          const void *src)
{
    for (size_t i = 0; i < n; i++) {
        memcpy((uint8_t *)dst + f[i].offset, (const uint8_t *)src + f[i].offset,
               (size_t)f[i].size * f[i].count);
    }
}

/* ---- Registry ---- */

static void devstate_entry_free(gpointer data)
{
    DevStateEntry *e = data;

    g_free(e->id);
    g_free(e);
}

DevState *devstate_new(void)
{
    DevState *ds = g_new0(DevState, 1);

    ds->entries = g_ptr_array_new_with_free_func(devstate_entry_free);
    return ds;
}

void devstate_free(DevState *ds)
{
    if (!ds) {
        return;
    }
    g_ptr_array_free(ds->entries, TRUE);
    g_free(ds);
}

static DevStateEntry *devstate_lookup(DevState *ds, const char *id,
                                      guint *index)
{
    for (guint i = 0; i < ds->entries->len; i++) {
        DevStateEntry *e = g_ptr_array_index(ds->entries, i);

        if (strcmp(e->id, id) == 0) {
            if (index) {
                *index = i;
            }
            return e;
        }
    }
    return NULL;
}

void devstate_register(DevState *ds, const char *id, const DevStateOps *ops,
                       void *owner)
{
    DevStateEntry *e = g_new0(DevStateEntry, 1);

    g_assert(!devstate_lookup(ds, id, NULL));
    g_assert(devstate_name_valid(id) && devstate_name_valid(ops->type));
    e->id = g_strdup(id);
    e->ops = ops;
    e->owner = owner;
    g_ptr_array_add(ds->entries, e);
}

void devstate_unregister(DevState *ds, const char *id)
{
    guint index;

    if (devstate_lookup(ds, id, &index)) {
        g_ptr_array_remove_index(ds->entries, index);
    }
}

/* ---- Save ---- */

GBytes *devstate_save(DevState *ds)
{
    GByteArray *out = g_byte_array_new();
    DevStateWriter w = {.out = g_byte_array_new()};
    uint8_t hdr[DEVSTATE_HEADER_SIZE] = {0};
    uint32_t crc;

    for (guint i = 0; i < ds->entries->len; i++) {
        DevStateEntry *e = g_ptr_array_index(ds->entries, i);
        size_t body_at;

        devstate_out_name(w.out, e->ops->type);
        devstate_out_name(w.out, e->id);
        devstate_out_u32(w.out, e->ops->version);
        body_at = w.out->len;
        devstate_out_u32(w.out, 0);
        e->ops->save(e->owner, &w);
        st32_le(w.out->data + body_at, (uint32_t)(w.out->len - body_at - 4));
    }
    g_assert(w.out->len <= DEVSTATE_MAX_PAYLOAD);
    memcpy(hdr, DEVSTATE_MAGIC, 8);
    st32_le(hdr + 8, DEVSTATE_FORMAT_VERSION);
    st32_le(hdr + 12, 0);
    st64_le(hdr + 16, w.out->len);
    st32_le(hdr + 24, ds->entries->len);
    st32_le(hdr + 28, 0);
    g_byte_array_append(out, hdr, sizeof(hdr));
    g_byte_array_append(out, w.out->data, w.out->len);
    crc = devstate_crc32(0, out->data, out->len);
    devstate_out_u32(out, crc);
    g_byte_array_free(w.out, TRUE);
    return g_byte_array_free_to_bytes(out);
}

/* ---- Load: structure ---- */

/* A bounds-checked cursor over the payload. */
typedef struct DevStateCursor {
    const uint8_t *p;
    size_t left;
} DevStateCursor;

static bool devstate_take(DevStateCursor *c, size_t n, const uint8_t **out)
{
    if (n > c->left) {
        return false;
    }
    *out = c->p;
    c->p += n;
    c->left -= n;
    return true;
}

static bool devstate_take_u16(DevStateCursor *c, uint16_t *v)
{
    const uint8_t *p;

    if (!devstate_take(c, 2, &p)) {
        return false;
    }
    *v = ld16_le(p);
    return true;
}

static bool devstate_take_u32(DevStateCursor *c, uint32_t *v)
{
    const uint8_t *p;

    if (!devstate_take(c, 4, &p)) {
        return false;
    }
    *v = ld32_le(p);
    return true;
}

static bool devstate_name_ok(const uint8_t *p, size_t len)
{
    if (len == 0 || len > DEVSTATE_MAX_NAME) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!g_ascii_isalnum(p[i]) && p[i] != '.' && p[i] != '_' &&
            p[i] != '-') {
            return false;
        }
    }
    return true;
}

bool devstate_name_valid(const char *name)
{
    return devstate_name_ok((const uint8_t *)name, strlen(name));
}

/* A name: u16 length, bytes. NUL-terminated copy in out (65 bytes). */
static bool devstate_take_name(DevStateCursor *c, char *out)
{
    uint16_t len;
    const uint8_t *p;

    if (!devstate_take_u16(c, &len) || !devstate_take(c, len, &p) ||
        !devstate_name_ok(p, len)) {
        return false;
    }
    memcpy(out, p, len);
    out[len] = '\0';
    return true;
}

typedef struct DevStateSection {
    char type[DEVSTATE_MAX_NAME + 1];
    char id[DEVSTATE_MAX_NAME + 1];
    uint32_t version;
    DevStateCursor body;
    DevStateEntry *entry;
    DevStateReader *reader;
    void *pending;
} DevStateSection;

static void devstate_reader_free(DevStateReader *r)
{
    if (!r) {
        return;
    }
    g_hash_table_destroy(r->index);
    g_free(r->items);
    g_free(r->where);
    g_free(r);
}

/* Index a section body's fields; NULL if its structure is broken. */
static DevStateReader *devstate_reader_new(DevStateSection *sec, GError **errp)
{
    DevStateReader *r = g_new0(DevStateReader, 1);
    DevStateCursor c = sec->body;
    GArray *items = g_array_new(FALSE, TRUE, sizeof(DevStateItem));

    r->where = g_strdup_printf("section %s (%s)", sec->id, sec->type);
    /* name -> 1 + index into items. */
    r->index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    while (c.left > 0) {
        char name[DEVSTATE_MAX_NAME + 1];
        DevStateItem it = {0};

        if (items->len >= DEVSTATE_MAX_FIELDS ||
            !devstate_take_name(&c, name) || !devstate_take_u32(&c, &it.len) ||
            !devstate_take(&c, it.len, &it.value)) {
            devstate_reader_fail(r, errp, DEVSTATE_ERROR_FORMAT,
                                 "damaged field list (after %u fields)",
                                 items->len);
            goto fail;
        }
        if (g_hash_table_contains(r->index, name)) {
            devstate_reader_fail(r, errp, DEVSTATE_ERROR_FORMAT,
                                 "field '%s' appears twice", name);
            goto fail;
        }
        g_array_append_val(items, it);
        g_hash_table_insert(r->index, g_strdup(name),
                            GUINT_TO_POINTER(items->len));
    }
    r->nitems = items->len;
    r->items = (DevStateItem *)(void *)g_array_free(items, FALSE);
    return r;

fail:
    g_array_free(items, TRUE);
    devstate_reader_free(r);
    return NULL;
}

/* The first field the owner's check did not read, or NULL. */
static const char *devstate_reader_unused(DevStateReader *r)
{
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init(&iter, r->index);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        if (!r->items[GPOINTER_TO_UINT(value) - 1].used) {
            return key;
        }
    }
    return NULL;
}

static bool devstate_format_error(GError **errp, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

static bool devstate_format_error(GError **errp, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_FORMAT,
                "not a valid emunet device state: %s", msg);
    g_free(msg);
    return false;
}

/*
 * Header, length and CRC. On success payload and plen describe the
 * sections and total is the blob length.
 */
static bool devstate_check_blob(const uint8_t *buf, size_t len,
                                const uint8_t **payload, size_t *plen,
                                uint32_t *nsec, size_t *total, GError **errp)
{
    uint32_t version, flags, crc;
    uint64_t payload_len;

    if (len < DEVSTATE_HEADER_SIZE) {
        return devstate_format_error(errp,
                                     "truncated header (%zu of %d "
                                     "bytes)",
                                     len, DEVSTATE_HEADER_SIZE);
    }
    if (memcmp(buf, DEVSTATE_MAGIC, 8) != 0) {
        return devstate_format_error(errp, "bad magic (not written by "
                                           "emunet's xen-save-devices-state)");
    }
    version = ld32_le(buf + 8);
    flags = ld32_le(buf + 12);
    payload_len = ld64_le(buf + 16);
    *nsec = ld32_le(buf + 24);
    if (version != DEVSTATE_FORMAT_VERSION) {
        g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_VERSION,
                    "device state format version %u is not supported "
                    "(this emunet reads version %u)",
                    version, DEVSTATE_FORMAT_VERSION);
        return false;
    }
    if (flags != 0 || ld32_le(buf + 28) != 0) {
        g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_VERSION,
                    "device state uses unknown flags %#x", flags);
        return false;
    }
    if (payload_len > DEVSTATE_MAX_PAYLOAD) {
        return devstate_format_error(
            errp, "payload length %" G_GUINT64_FORMAT " is too large",
            payload_len);
    }
    if (*nsec > DEVSTATE_MAX_SECTIONS) {
        return devstate_format_error(errp, "%u sections is too many", *nsec);
    }
    *total = DEVSTATE_HEADER_SIZE + (size_t)payload_len + 4;
    if (len < *total) {
        return devstate_format_error(errp, "truncated (%zu of %zu bytes)", len,
                                     *total);
    }
    crc = devstate_crc32(0, buf, DEVSTATE_HEADER_SIZE + (size_t)payload_len);
    if (crc != ld32_le(buf + DEVSTATE_HEADER_SIZE + payload_len)) {
        return devstate_format_error(errp, "CRC mismatch (the file is "
                                           "corrupt)");
    }
    *payload = buf + DEVSTATE_HEADER_SIZE;
    *plen = (size_t)payload_len;
    return true;
}

static bool devstate_split(DevState *ds, const uint8_t *payload, size_t plen,
                           DevStateSection *secs, uint32_t nsec, GError **errp)
{
    DevStateCursor c = {.p = payload, .left = plen};

    for (uint32_t i = 0; i < nsec; i++) {
        DevStateSection *s = &secs[i];
        uint32_t body_len;
        const uint8_t *body;

        if (!devstate_take_name(&c, s->type) ||
            !devstate_take_name(&c, s->id) ||
            !devstate_take_u32(&c, &s->version) ||
            !devstate_take_u32(&c, &body_len) ||
            !devstate_take(&c, body_len, &body)) {
            return devstate_format_error(errp, "damaged section %u", i);
        }
        s->body = (DevStateCursor){.p = body, .left = body_len};
        for (uint32_t j = 0; j < i; j++) {
            if (strcmp(secs[j].id, s->id) == 0) {
                return devstate_format_error(errp, "section %s appears twice",
                                             s->id);
            }
        }
        s->entry = devstate_lookup(ds, s->id, NULL);
        if (!s->entry) {
            g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_FOREIGN,
                        "device state has a section for '%s' (%s), which "
                        "this emunet does not have (a different "
                        "configuration?)",
                        s->id, s->type);
            return false;
        }
        if (strcmp(s->entry->ops->type, s->type) != 0) {
            g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_FOREIGN,
                        "device state for '%s' is of type %s, but '%s' "
                        "here is %s",
                        s->id, s->type, s->id, s->entry->ops->type);
            return false;
        }
        if (s->version == 0 || s->version > s->entry->ops->version) {
            g_set_error(errp, DEVSTATE_ERROR, DEVSTATE_ERROR_VERSION,
                        "section %s (%s) has version %u; this emunet reads "
                        "versions 1 to %u",
                        s->id, s->type, s->version, s->entry->ops->version);
            return false;
        }
    }
    if (c.left != 0) {
        return devstate_format_error(errp, "%zu bytes after the last section",
                                     c.left);
    }
    return true;
}

bool devstate_check(const void *buf, size_t len, size_t *used, GError **errp)
{
    const uint8_t *payload = NULL;
    size_t plen = 0, total = 0;
    uint32_t nsec = 0;

    if (!devstate_check_blob(buf, len, &payload, &plen, &nsec, &total, errp)) {
        return false;
    }
    if (used) {
        *used = total;
    }
    return true;
}

bool devstate_load(DevState *ds, const void *buf, size_t len, size_t *used,
                   GError **errp)
{
    const uint8_t *payload = NULL;
    size_t plen = 0, total = 0;
    uint32_t nsec = 0;
    DevStateSection *secs;
    bool ok = false;

    if (!devstate_check_blob(buf, len, &payload, &plen, &nsec, &total, errp)) {
        return false;
    }
    secs = g_new0(DevStateSection, nsec ? nsec : 1);
    if (!devstate_split(ds, payload, plen, secs, nsec, errp)) {
        goto out;
    }
    /* Check every section before applying any. */
    for (uint32_t i = 0; i < nsec; i++) {
        DevStateSection *s = &secs[i];
        const char *unused;

        s->reader = devstate_reader_new(s, errp);
        if (!s->reader) {
            goto out;
        }
        s->pending =
            s->entry->ops->check(s->entry->owner, s->reader, s->version, errp);
        if (!s->pending) {
            goto out;
        }
        unused = devstate_reader_unused(s->reader);
        if (unused) {
            devstate_reader_fail(s->reader, errp, DEVSTATE_ERROR_VERSION,
                                 "unknown field '%s'", unused);
            goto out;
        }
    }
    /* In registration order, so owners that depend on others come last. */
    for (guint e = 0; e < ds->entries->len; e++) {
        for (uint32_t i = 0; i < nsec; i++) {
            if (secs[i].entry == g_ptr_array_index(ds->entries, e)) {
                secs[i].entry->ops->apply(secs[i].entry->owner,
                                          secs[i].pending);
                secs[i].pending = NULL;
            }
        }
    }
    if (used) {
        *used = total;
    }
    ok = true;
out:
    for (uint32_t i = 0; i < nsec; i++) {
        if (secs[i].pending) {
            secs[i].entry->ops->discard(secs[i].pending);
        }
        devstate_reader_free(secs[i].reader);
    }
    g_free(secs);
    return ok;
}
