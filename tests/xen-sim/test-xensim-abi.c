/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-sim's replacement libraries against the real ones they stand in
 * for (Debian's libxen 4.17, found through pkg-config): the same SONAME,
 * the same version definitions with the same parents, and the same
 * defined symbols at the same versions, so that a binary linked against
 * the real libraries runs unchanged on them. Read with binutils' readelf.
 */
#include <stdbool.h>
#include <string.h>

#include <glib.h>

static const char *const libs[] = {
    "libxendevicemodel.so.1",
    "libxenforeignmemory.so.1",
    "libxenevtchn.so.1",
    "libxentoolcore.so.1",
};

/* readelf `opts` on `path`: its output, one string per line. */
static gchar **readelf(const char *opts, const char *path)
{
    g_autofree char *cmd = g_strdup_printf("readelf -W %s %s", opts, path);
    g_autofree char *out = NULL;
    GError *err = NULL;
    gint status;

    g_assert_true(g_spawn_command_line_sync(cmd, &out, NULL, &status, &err));
    g_assert_no_error(err);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    return g_strsplit(out, "\n", -1);
}

static char *soname(const char *path)
{
    g_auto(GStrv) lines = readelf("-d", path);

    for (unsigned i = 0; lines[i]; i++) {
        const char *s = strstr(lines[i], "Library soname: [");

        if (s) {
            s += strlen("Library soname: [");
            return g_strndup(s, strcspn(s, "]"));
        }
    }
    return NULL;
}

/*
 * The version definitions in order, "Name" and "<Parent" tokens (readelf
 * -V prints "Name: X" per definition and "Parent N: Y" below it).
 */
static char *version_defs(const char *path)
{
    g_auto(GStrv) lines = readelf("-V", path);
    GString *defs = g_string_new(NULL);
    bool in = false;

    for (unsigned i = 0; lines[i]; i++) {
        const char *name = strstr(lines[i], "Name: ");
        const char *parent = strstr(lines[i], "Parent ");

        if (g_str_has_prefix(lines[i], "Version definition section")) {
            in = true;
        } else if (in && !*lines[i]) {
            break;
        } else if (in && name) {
            g_string_append_printf(defs, " %s", name + strlen("Name: "));
        } else if (in && parent && strchr(parent, ':')) {
            g_string_append_printf(defs, "<%s", strchr(parent, ':') + 2);
        }
    }
    return g_string_free(defs, FALSE);
}

static gint cmp_str_ptr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Defined dynamic symbols with their versions ("sym@@VERS_1.0"), sorted */
static char *defined_symbols(const char *path)
{
    g_auto(GStrv) lines = readelf("--dyn-syms", path);
    GPtrArray *syms = g_ptr_array_new_with_free_func(g_free);
    GString *all = g_string_new(NULL);

    for (unsigned i = 0; lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit_set(g_strstrip(lines[i]), " ", -1);
        GPtrArray *cols = g_ptr_array_new();

        for (unsigned j = 0; f[j]; j++) {
            if (*f[j]) {
                g_ptr_array_add(cols, f[j]);
            }
        }
        /* Num: Value Size Type Bind Vis Ndx Name */
        if (cols->len == 8 && strcmp(cols->pdata[6], "UND") != 0 &&
            strchr(cols->pdata[7], '@')) {
            g_ptr_array_add(syms, g_strdup(cols->pdata[7]));
        }
        g_ptr_array_free(cols, TRUE);
    }
    g_ptr_array_sort(syms, cmp_str_ptr);
    for (unsigned i = 0; i < syms->len; i++) {
        g_string_append_printf(all, "%s\n", (char *)syms->pdata[i]);
    }
    g_ptr_array_free(syms, TRUE);
    return g_string_free(all, FALSE);
}

static void test_lib(gconstpointer data)
{
    const char *lib = data;
    g_autofree char *real =
        g_build_filename(g_getenv("XEN_REAL_LIBDIR"), lib, NULL);
    g_autofree char *sim =
        g_build_filename(g_getenv("XENSIM_LIBDIR"), lib, NULL);
    g_autofree char *real_so = soname(real);
    g_autofree char *sim_so = soname(sim);
    g_autofree char *real_v = version_defs(real);
    g_autofree char *sim_v = version_defs(sim);
    g_autofree char *real_s = defined_symbols(real);
    g_autofree char *sim_s = defined_symbols(sim);

    g_assert_true(g_file_test(real, G_FILE_TEST_EXISTS));
    g_assert_cmpstr(real_so, ==, lib);
    g_assert_cmpstr(sim_so, ==, real_so);
    g_assert_true(strstr(real_v, "VERS_1.0") != NULL);
    g_assert_cmpstr(sim_v, ==, real_v);
    g_assert_cmpuint(strlen(real_s), >, 0);
    g_assert_cmpstr(sim_s, ==, real_s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_assert_nonnull(g_getenv("XEN_REAL_LIBDIR"));
    g_assert_nonnull(g_getenv("XENSIM_LIBDIR"));
    for (unsigned i = 0; i < G_N_ELEMENTS(libs); i++) {
        g_autofree char *path = g_strdup_printf("/xensim-abi/%s", libs[i]);

        g_test_add_data_func(path, libs[i], test_lib);
    }
    return g_test_run();
}
