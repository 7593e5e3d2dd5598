/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU-style option strings: "[implied=]value,key=value,key=value".
 * A comma inside a value is written ",,". The first element may omit its
 * key, which then is `implied_key` ("driver" for -device, "type" for
 * -netdev). Keys are unique; a repeated key is an error, except keys
 * listed as multi (hostfwd=) which collect values in order.
 */
#ifndef EMUNET_OPTS_H
#define EMUNET_OPTS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct EmuOpts EmuOpts;

/*
 * Parse `str`. `multi_keys` is a NULL-terminated list of keys that may
 * repeat, or NULL. Errors (empty key, "=value", repeated key, trailing
 * lone comma) name the offending text.
 */
EmuOpts *opts_parse(const char *str, const char *implied_key,
                    const char *const *multi_keys, GError **errp);

void opts_free(EmuOpts *opts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EmuOpts, opts_free)

/* The value of `key`, or NULL. For multi keys: the first value. */
const char *opts_get(const EmuOpts *opts, const char *key);

/* All values of a multi key in order (NULL-terminated, owned by opts). */
const char *const *opts_get_all(const EmuOpts *opts, const char *key);

/*
 * Boolean: on/off/yes/no/true/false. Absent: *out = def, true. Bad text:
 * false with an error naming the key.
 */
bool opts_get_bool(const EmuOpts *opts, const char *key, bool def, bool *out,
                   GError **errp);

/*
 * Unsigned number (decimal, 0x hex), optionally with a size suffix
 * k/K, M, G, T (binary multiples) when `size_suffix`. Absent: *out = def.
 */
bool opts_get_u64(const EmuOpts *opts, const char *key, uint64_t def,
                  bool size_suffix, uint64_t *out, GError **errp);

/*
 * Fail with "<what>: unknown option 'key'" for the first key not in the
 * NULL-terminated `known` list.
 */
bool opts_check_known(const EmuOpts *opts, const char *what,
                      const char *const *known, GError **errp);

/* Size string helper shared with -m: "128M", "1G", "4096" (bytes, or MiB
 * when `default_mib` and no suffix, as QEMU's -m). */
bool opts_parse_size(const char *str, bool default_mib, uint64_t *out,
                     GError **errp);

#endif
