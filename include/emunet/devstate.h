/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device state save / restore (xl save, xl restore, live migration: libxl
 * hands the device model a file with xen-save-devices-state and gives it
 * back with -incoming, contract 1.8). The blob is emunet's own format; it
 * does not interoperate with QEMU's migration stream (contract 1.8: a
 * custom device model may use its own format).
 *
 * Format, version 1, every integer little-endian:
 *   header   "EMUNETDS" (8 bytes), u32 format version, u32 flags (0),
 *            u64 payload length, u32 section count, u32 reserved (0);
 *   payload  `section count` sections, each: u16 type length, type,
 *            u16 id length, id, u32 section version, u32 body length,
 *            body; a body is a sequence of fields: u16 name length, name,
 *            u32 value length, value;
 *   crc      u32 CRC-32 (IEEE 802.3, as zlib's crc32) of header and
 *            payload.
 * The header carries the payload length, so a blob is self-delimiting.
 * Names (types, ids, fields) are 1..64 bytes of [A-Za-z0-9._-].
 *
 * A device state file (what xen-save-devices-state writes and
 * -incoming / xen-load-devices-state read) ends in emunet's part:
 *   other data   any length, possibly none: with a companion device
 *                model, its own state stream, which starts the file;
 *   blob         as above;
 *   file trailer the file's last DEVSTATE_TRAILER_SIZE (24) bytes:
 *                u32 CRC-32 of the trailer's other 20 bytes, u64 blob
 *                length, u32 trailer version (1), "EMUNETTR".
 * emunet writes its part after the other data (at the file's end, with
 * pwrite) and finds it from the trailer (with pread): the descriptor's
 * offset, which a companion sharing the open file reads or writes its
 * stream from, is never used or moved. Version and magic stay the last
 * 12 bytes in any later trailer version. So the file must be a regular
 * file (seekable); a pipe or socket is refused. Why the companion's
 * state comes first: see core/qmp-libxl.c.
 *
 * Loading treats the blob as hostile input. The whole blob is checked
 * (magic, version, lengths, CRC, structure) before any section is
 * looked at; then every registered owner decodes and validates its
 * section into a pending state without touching the device (check);
 * only when every section passed is anything applied (apply, which
 * cannot fail). So a corrupt, truncated, foreign or wrong-version blob
 * is rejected with a message naming the cause and leaves every device as
 * it was. A section whose id no owner has, or whose type differs from
 * the owner's, is an error; an owner without a section keeps its state
 * (a NIC handed off before the save has none). The file trailer is
 * checked (magic, version, CRC, length against the file) before the
 * blob is read.
 */
#ifndef EMUNET_DEVSTATE_H
#define EMUNET_DEVSTATE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEVSTATE_MAGIC "EMUNETDS"
#define DEVSTATE_FORMAT_VERSION 1
#define DEVSTATE_HEADER_SIZE 32
/* Largest payload accepted: far above any real device set. */
#define DEVSTATE_MAX_PAYLOAD (16u * 1024 * 1024)
#define DEVSTATE_MAX_NAME 64
#define DEVSTATE_MAX_SECTIONS 256

/* The file trailer after the blob (see the format). */
#define DEVSTATE_TRAILER_MAGIC "EMUNETTR"
#define DEVSTATE_TRAILER_VERSION 1
#define DEVSTATE_TRAILER_SIZE 24

/* Error domain of load failures. */
#define DEVSTATE_ERROR (devstate_error_quark())
GQuark devstate_error_quark(void);
typedef enum DevStateError {
    DEVSTATE_ERROR_IO,      /* the file could not be read or written */
    DEVSTATE_ERROR_FORMAT,  /* not an emunet state blob, or damaged */
    DEVSTATE_ERROR_VERSION, /* a format or section version we lack */
    DEVSTATE_ERROR_FOREIGN, /* blob of another configuration */
    DEVSTATE_ERROR_INVALID, /* a value no guest could have produced */
} DevStateError;

typedef struct DevStateWriter DevStateWriter;
typedef struct DevStateReader DevStateReader;

/* ---- Fields of one section ---- */

void devstate_put_u8(DevStateWriter *w, const char *name, uint8_t v);
void devstate_put_u16(DevStateWriter *w, const char *name, uint16_t v);
void devstate_put_u32(DevStateWriter *w, const char *name, uint32_t v);
void devstate_put_u64(DevStateWriter *w, const char *name, uint64_t v);
void devstate_put_i64(DevStateWriter *w, const char *name, int64_t v);
void devstate_put_bool(DevStateWriter *w, const char *name, bool v);
void devstate_put_bytes(DevStateWriter *w, const char *name, const void *buf,
                        size_t len);

/*
 * Getters: the field must exist with exactly the width asked for (a
 * bool must hold 0 or 1); otherwise false with an error naming the
 * section and the field. Every field of a section must be read by its
 * owner's check, or the load fails with "unknown field".
 */
bool devstate_get_u8(DevStateReader *r, const char *name, uint8_t *v,
                     GError **errp);
bool devstate_get_u16(DevStateReader *r, const char *name, uint16_t *v,
                      GError **errp);
bool devstate_get_u32(DevStateReader *r, const char *name, uint32_t *v,
                      GError **errp);
bool devstate_get_u64(DevStateReader *r, const char *name, uint64_t *v,
                      GError **errp);
bool devstate_get_i64(DevStateReader *r, const char *name, int64_t *v,
                      GError **errp);
bool devstate_get_bool(DevStateReader *r, const char *name, bool *v,
                       GError **errp);
/* Exactly `len` bytes into buf. */
bool devstate_get_bytes(DevStateReader *r, const char *name, void *buf,
                        size_t len, GError **errp);
/*
 * A field of any length up to `max`: *data points into the blob (valid
 * during check only), *len gets its length.
 */
bool devstate_get_blob(DevStateReader *r, const char *name, size_t max,
                       const uint8_t **data, size_t *len, GError **errp);

/* "section nic0 (e1000)", for an owner's own error messages. */
const char *devstate_reader_where(const DevStateReader *r);

/* An error in DEVSTATE_ERROR prefixed with the section (owners' checks). */
bool devstate_reader_fail(DevStateReader *r, GError **errp, DevStateError code,
                          const char *fmt, ...) G_GNUC_PRINTF(4, 5);

/*
 * Table-driven fields: plain integers, bools and arrays of them, at an
 * offset in a structure. Saved element by element, little-endian.
 */
typedef struct DevStateField {
    const char *name;
    size_t offset;
    uint8_t size;   /* bytes per element: 1, 2, 4 or 8 */
    uint16_t count; /* elements */
    bool is_bool;   /* elements are bool (must load as 0 or 1) */
} DevStateField;

#define DEVSTATE_MEMBER_SIZE(type, m) sizeof(((type *)0)->m)
#define DEVSTATE_INT(type, m, name)                                            \
    {                                                                          \
        (name), offsetof(type, m), DEVSTATE_MEMBER_SIZE(type, m), 1, false     \
    }
#define DEVSTATE_BOOL(type, m, name)                                           \
    {                                                                          \
        (name), offsetof(type, m), sizeof(bool), 1, true                       \
    }
#define DEVSTATE_ARRAY(type, m, name)                                          \
    {                                                                          \
        (name), offsetof(type, m), DEVSTATE_MEMBER_SIZE(type, m[0]),           \
            DEVSTATE_MEMBER_SIZE(type, m) / DEVSTATE_MEMBER_SIZE(type, m[0]),  \
            false                                                              \
    }

void devstate_put_fields(DevStateWriter *w, const DevStateField *f, size_t n,
                         const void *obj);
/* Decode every field into obj (a scratch copy: no checks beyond width). */
bool devstate_get_fields(DevStateReader *r, const DevStateField *f, size_t n,
                         void *obj, GError **errp);
/* Copy the table's fields from src to dst. */
void devstate_copy_fields(const DevStateField *f, size_t n, void *dst,
                          const void *src);

/* ---- Owners ---- */

typedef struct DevStateOps {
    /* Section type ("e1000", "rtl8139", "xen-platform", "handoff"). */
    const char *type;
    /* Section version written; check is given the version read. */
    uint32_t version;
    /* Write the owner's fields. Must not fail or change the owner. */
    void (*save)(void *owner, DevStateWriter *w);
    /*
     * Decode and validate the section as hostile input, without any side
     * effect on the owner. Returns the pending state (never NULL on
     * success), or NULL with errp set.
     */
    void *(*check)(void *owner, DevStateReader *r, uint32_t version,
                   GError **errp);
    /* Make the pending state current; takes ownership. Cannot fail. */
    void (*apply)(void *owner, void *pending);
    /* Free a pending state that will not be applied. */
    void (*discard)(void *pending);
} DevStateOps;

typedef struct DevState DevState;

/* Is `name` usable as a type, id or field name (see the format)? */
bool devstate_name_valid(const char *name);

DevState *devstate_new(void);
/* NULL is a no-op. */
void devstate_free(DevState *ds);

/*
 * Register `owner` under `id` (unique and devstate_name_valid: host-side
 * invariants the caller checks). Sections
 * are saved in registration order and applied in registration order.
 */
void devstate_register(DevState *ds, const char *id, const DevStateOps *ops,
                       void *owner);
/* Forget `id` (a device handed off or destroyed). No-op if unknown. */
void devstate_unregister(DevState *ds, const char *id);

/* The blob of every registered owner (no file trailer). */
GBytes *devstate_save(DevState *ds);
/*
 * Append the blob and its file trailer at the end of fd's file (pwrite
 * at its size; fd's offset is neither used nor moved). fd must be a
 * regular file. On failure the file is cut back to its old size.
 */
bool devstate_save_fd(DevState *ds, int fd, GError **errp);
/* Create/truncate `path` (mode 0600) and write the blob and trailer. */
bool devstate_save_file(DevState *ds, const char *path, GError **errp);

/*
 * Load a blob from buf (len bytes available; trailing data allowed).
 * *used (may be NULL) gets the blob's length on success.
 */
bool devstate_load(DevState *ds, const void *buf, size_t len, size_t *used,
                   GError **errp);
/* devstate_read_fd, then devstate_load. */
bool devstate_load_fd(DevState *ds, int fd, GError **errp);

/*
 * Check a blob's header, length and CRC (not its sections: that needs
 * the owners, devstate_load). *used (may be NULL) gets its length.
 */
bool devstate_check(const void *buf, size_t len, size_t *used, GError **errp);

/*
 * emunet's blob in fd's file, found from the file trailer at its end,
 * without loading it. Read with pread only: fd's offset is neither used
 * nor moved, so a companion device model sharing the open file reads
 * its own part from there. The blob is checked as devstate_check, and
 * must fill exactly the length the trailer gives; `what` names the
 * source in errors.
 */
GBytes *devstate_read_fd(int fd, const char *what, GError **errp);
bool devstate_load_file(DevState *ds, const char *path, GError **errp);

/*
 * An -incoming argument: "fd:N" (libxl: an fd opened on the saved file),
 * "file:PATH" or a plain PATH. A bad spec is a DEVSTATE_ERROR_IO error
 * naming it. The fd is closed afterwards.
 */
bool devstate_load_incoming(DevState *ds, const char *spec, GError **errp);

/* The CRC-32 of blobs and file trailers (for tests and tools). */
uint32_t devstate_crc32(uint32_t crc, const void *buf, size_t len);

#endif
