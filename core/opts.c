/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU-style option strings (-device, -netdev, -m). The grammar follows
 * QEMU's opts_do_parse: a key runs to the first '=' or ','; a value runs to
 * the first lone ',' with ",," standing for a literal comma; an element
 * without '=' is the implied key's value when it comes first, otherwise a
 * flag meaning "key=on".
 *
 * Value accessors report errors without naming the option group; callers
 * add it (g_prefix_error(errp, "netdev: ")) so a user sees
 * "netdev: option 'fd' expects a number, got 'x'".
 */
#include <inttypes.h>
#include <string.h>

#include "emunet/opts.h"

/* One key and its values, in the order given. */
typedef struct OptsEntry {
    char *key;
    /* char *, NULL-terminated so opts_get_all can hand out pdata. */
    GPtrArray *values;
} OptsEntry;

struct EmuOpts {
    /* OptsEntry *, in order of first appearance. */
    GPtrArray *entries;
};

static GQuark opts_error_quark(void)
{
    return g_quark_from_static_string("emunet-opts");
}

static void opts_entry_free(gpointer p)
{
    OptsEntry *e = p;

    g_free(e->key);
    g_ptr_array_unref(e->values);
    g_free(e);
}

static OptsEntry *opts_find(const EmuOpts *opts, const char *key)
{
    for (guint i = 0; i < opts->entries->len; i++) {
        OptsEntry *e = g_ptr_array_index(opts->entries, i);

        if (strcmp(e->key, key) == 0) {
            return e;
        }
    }
    return NULL;
}

static bool opts_is_multi(const char *const *multi_keys, const char *key)
{
    for (; multi_keys && *multi_keys; multi_keys++) {
        if (strcmp(*multi_keys, key) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * Read a value starting at *p up to a lone ',' or the end, turning ",,"
 * into ','. Leaves *p on the separating comma or the terminating NUL.
 */
static char *opts_take_value(const char **p)
{
    GString *val = g_string_new(NULL);
    const char *s = *p;

    while (*s) {
        if (*s == ',') {
            if (s[1] != ',') {
                break;
            }
            s++;
        }
        g_string_append_c(val, *s);
        s++;
    }
    *p = s;
    return g_string_free(val, FALSE);
}

static bool opts_add(EmuOpts *opts, char *key, char *value,
                     const char *const *multi_keys, GError **errp)
{
    OptsEntry *e = opts_find(opts, key);

    if (e && !opts_is_multi(multi_keys, key)) {
        g_set_error(errp, opts_error_quark(), 0,
                    "option '%s' given more than once", key);
        g_free(key);
        g_free(value);
        return false;
    }
    if (!e) {
        e = g_new0(OptsEntry, 1);
        e->key = key;
        e->values = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(e->values, NULL);
        g_ptr_array_add(opts->entries, e);
    } else {
        g_free(key);
    }
    /* Keep the NULL terminator last. */
    g_ptr_array_insert(e->values, (gint)e->values->len - 1, value);
    return true;
}

EmuOpts *opts_parse(const char *str, const char *implied_key,
                    const char *const *multi_keys, GError **errp)
{
    g_autoptr(EmuOpts) opts = g_new0(EmuOpts, 1);
    const char *p = str;
    bool first = true;

    opts->entries = g_ptr_array_new_with_free_func(opts_entry_free);
    if (*p == '\0') {
        return g_steal_pointer(&opts);
    }
    for (;;) {
        size_t klen = strcspn(p, "=,");
        bool empty = *p == ',' && p[1] != ',';
        char *key;
        char *value;

        if (p[klen] == '=') {
            if (klen == 0) {
                g_autofree char *bad = opts_take_value(&p);

                g_set_error(errp, opts_error_quark(), 0,
                            "option without a key: '%s'", bad);
                return NULL;
            }
            key = g_strndup(p, klen);
            p += klen + 1;
            value = opts_take_value(&p);
        } else if (empty) {
            g_set_error(errp, opts_error_quark(), 0, "empty option in '%s'",
                        str);
            return NULL;
        } else if (first && implied_key) {
            key = g_strdup(implied_key);
            value = opts_take_value(&p);
        } else if (klen == 0) {
            /* ",,x" where a key belongs: a key cannot contain a comma. */
            g_set_error(errp, opts_error_quark(), 0,
                        "invalid option name in '%s'", str);
            return NULL;
        } else {
            key = g_strndup(p, klen);
            value = g_strdup("on");
            p += klen;
        }
        if (!opts_add(opts, key, value, multi_keys, errp)) {
            return NULL;
        }
        first = false;
        if (*p == '\0') {
            break;
        }
        /* On a lone comma: it must introduce another element. */
        p++;
        if (*p == '\0') {
            g_set_error(errp, opts_error_quark(), 0, "trailing comma in '%s'",
                        str);
            return NULL;
        }
    }
    return g_steal_pointer(&opts);
}

void opts_free(EmuOpts *opts)
{
    if (!opts) {
        return;
    }
    g_ptr_array_unref(opts->entries);
    g_free(opts);
}

const char *opts_get(const EmuOpts *opts, const char *key)
{
    OptsEntry *e = opts_find(opts, key);

    return e ? g_ptr_array_index(e->values, 0) : NULL;
}

const char *const *opts_get_all(const EmuOpts *opts, const char *key)
{
    /* An absent key yields an empty list, so callers can always iterate. */
    static const char *const none[] = {NULL};
    OptsEntry *e = opts_find(opts, key);

    return e ? (const char *const *)e->values->pdata : none;
}

bool opts_get_bool(const EmuOpts *opts, const char *key, bool def, bool *out,
                   GError **errp)
{
    static const char *const yes[] = {"on", "yes", "true"};
    static const char *const no[] = {"off", "no", "false"};
    const char *val = opts_get(opts, key);

    if (!val) {
        *out = def;
        return true;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (strcmp(val, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcmp(val, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    g_set_error(errp, opts_error_quark(), 0,
                "option '%s' expects on or off, got '%s'", key, val);
    return false;
}

/* Outcome of opts_parse_number. */
typedef enum OptsNum {
    OPTS_NUM_OK,
    OPTS_NUM_NO_DIGITS,
    OPTS_NUM_OVERFLOW,
} OptsNum;

/*
 * Parse the number at the start of `str` strictly: decimal or 0x hex, no
 * sign, no spaces. *suffix is left on the first character after it.
 */
static OptsNum opts_parse_number(const char *str, uint64_t *out,
                                 const char **suffix)
{
    unsigned base = 10;
    const char *s = str;
    uint64_t val = 0;
    bool any = false;
    bool overflow = false;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    for (;; s++) {
        unsigned digit;

        if (g_ascii_isdigit(*s)) {
            digit = (unsigned)(*s - '0');
        } else if (base == 16 && g_ascii_isxdigit(*s)) {
            digit = (unsigned)g_ascii_xdigit_value(*s);
        } else {
            break;
        }
        if (val > (UINT64_MAX - digit) / base) {
            overflow = true;
        }
        val = val * base + digit;
        any = true;
    }
    *out = val;
    *suffix = s;
    if (!any) {
        return OPTS_NUM_NO_DIGITS;
    }
    return overflow ? OPTS_NUM_OVERFLOW : OPTS_NUM_OK;
}

/* Binary shift for a size suffix letter; -1 if not one. */
static int opts_suffix_shift(char c)
{
    switch (c) {
    case 'k':
    case 'K':
        return 10;
    case 'm':
    case 'M':
        return 20;
    case 'g':
    case 'G':
        return 30;
    case 't':
    case 'T':
        return 40;
    default:
        return -1;
    }
}

/*
 * The size grammar. Returns OPTS_NUM_NO_DIGITS for any syntax error so
 * that callers can word the message for their context.
 */
static OptsNum opts_parse_size_value(const char *str, bool default_mib,
                                     uint64_t *out)
{
    const char *suffix;
    uint64_t val;
    int shift;
    OptsNum res = opts_parse_number(str, &val, &suffix);

    if (res == OPTS_NUM_NO_DIGITS) {
        return res;
    }
    if (*suffix == '\0') {
        shift = default_mib ? 20 : 0;
    } else {
        shift = opts_suffix_shift(*suffix);
        if (shift < 0 || suffix[1] != '\0') {
            return OPTS_NUM_NO_DIGITS;
        }
    }
    if (res == OPTS_NUM_OVERFLOW ||
        (shift > 0 && val > (UINT64_MAX >> shift))) {
        return OPTS_NUM_OVERFLOW;
    }
    *out = val << shift;
    return OPTS_NUM_OK;
}

bool opts_parse_size(const char *str, bool default_mib, uint64_t *out,
                     GError **errp)
{
    switch (opts_parse_size_value(str, default_mib, out)) {
    case OPTS_NUM_OK:
        return true;
    case OPTS_NUM_OVERFLOW:
        g_set_error(errp, opts_error_quark(), 0, "size '%s' is too large", str);
        return false;
    default:
        g_set_error(errp, opts_error_quark(), 0,
                    "invalid size '%s' (expected a number with an optional "
                    "k, M, G or T suffix)",
                    str);
        return false;
    }
}

bool opts_get_u64(const EmuOpts *opts, const char *key, uint64_t def,
                  bool size_suffix, uint64_t *out, GError **errp)
{
    const char *val = opts_get(opts, key);
    const char *end = "";
    uint64_t num = 0;
    OptsNum res;

    if (!val) {
        *out = def;
        return true;
    }
    if (size_suffix) {
        res = opts_parse_size_value(val, false, &num);
    } else {
        res = opts_parse_number(val, &num, &end);
        if (res == OPTS_NUM_OK && *end != '\0') {
            res = OPTS_NUM_NO_DIGITS;
        }
    }
    switch (res) {
    case OPTS_NUM_OK:
        *out = num;
        return true;
    case OPTS_NUM_OVERFLOW:
        g_set_error(errp, opts_error_quark(), 0,
                    "option '%s' is too large: '%s'", key, val);
        return false;
    default:
        g_set_error(errp, opts_error_quark(), 0,
                    "option '%s' expects %s, got '%s'", key,
                    size_suffix ? "a size" : "a number", val);
        return false;
    }
}

bool opts_check_known(const EmuOpts *opts, const char *what,
                      const char *const *known, GError **errp)
{
    for (guint i = 0; i < opts->entries->len; i++) {
        OptsEntry *e = g_ptr_array_index(opts->entries, i);
        bool found = false;

        for (const char *const *k = known; k && *k; k++) {
            if (strcmp(*k, e->key) == 0) {
                found = true;
                break;
            }
        }
        if (!found) {
            g_set_error(errp, opts_error_quark(), 0, "%s: unknown option '%s'",
                        what, e->key);
            return false;
        }
    }
    return true;
}
