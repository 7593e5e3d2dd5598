/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxl mode command line (core/libxl-argv.c): the argv libxl 4.17 builds
 * (xen-dm-contract.md §1.2 worked example, the §11 argv observed on a
 * real host, the dm_restrict variant), the older -net form, refused
 * models and odd orders. Checks emunet's share, the NICs found and the
 * companion's argv word by word.
 */
#include <string.h>

#include "core/libxl-argv.h"

#define QMP_LIBXL                                                              \
    "-chardev",                                                                \
        "socket,id=libxl-cmd,path=/var/run/xen/qmp-libxl-5,server=on,"         \
        "wait=off",                                                            \
        "-mon", "chardev=libxl-cmd,mode=control"
#define QMP_XENSTAT                                                            \
    "-chardev",                                                                \
        "socket,id=libxenstat-cmd,path=/var/run/xen/qmp-libxenstat-5,"         \
        "server=on,wait=off",                                                  \
        "-mon", "chardev=libxenstat-cmd,mode=control"
#define NIC_DEVICE "-device", "e1000,id=nic0,netdev=net0,mac=00:16:3e:11:22:33"
#define NIC_NETDEV                                                             \
    "-netdev", "type=tap,id=net0,ifname=vif5.0-emu,br=xenbr0,script=no,"       \
               "downscript=no"
#define COMPANION_QMP                                                          \
    "-chardev", "socket,id=emunet-qmp,fd=9,server=on,wait=off", "-mon",        \
        "chardev=emunet-qmp,mode=control"

/* §1.2's worked example (domid 5, two vCPUs, one e1000). */
static const char *const worked[] = {"/usr/bin/emunet",
                                     "-xen-domid",
                                     "5",
                                     "-no-shutdown",
                                     QMP_LIBXL,
                                     QMP_XENSTAT,
                                     "-nodefaults",
                                     "-no-user-config",
                                     "-name",
                                     "g1",
                                     "-vnc",
                                     "127.0.0.1:0,to=99",
                                     "-display",
                                     "none",
                                     "-device",
                                     "cirrus-vga,vgamem_mb=8",
                                     "-boot",
                                     "order=cda",
                                     "-smp",
                                     "2,maxcpus=2",
                                     NIC_DEVICE,
                                     NIC_NETDEV,
                                     "-machine",
                                     "xenfv,suppress-vmdesc=on",
                                     "-m",
                                     "1016",
                                     NULL};

static LibxlArgs *parse_ok(const char *const *argv)
{
    GError *err = NULL;
    LibxlArgs *a = libxl_argv_parse((int)g_strv_length((char **)argv),
                                    (char *const *)argv, &err);

    g_assert_no_error(err);
    g_assert_nonnull(a);
    return a;
}

static char *parse_err(const char *const *argv)
{
    GError *err = NULL;
    LibxlArgs *a = libxl_argv_parse((int)g_strv_length((char **)argv),
                                    (char *const *)argv, &err);
    char *msg;

    g_assert_null(a);
    g_assert_nonnull(err);
    msg = g_strdup(err->message);
    g_error_free(err);
    return msg;
}

static void assert_strv(char **got, const char *const *want)
{
    guint n = g_strv_length(got);

    for (guint i = 0; i < n && want[i]; i++) {
        if (strcmp(got[i], want[i]) != 0) {
            g_test_message("word %u: got '%s', want '%s'", i, got[i], want[i]);
        }
        g_assert_cmpstr(got[i], ==, want[i]);
    }
    g_assert_cmpuint(n, ==, g_strv_length((char **)want));
}

static void assert_emunet(const LibxlArgs *a, const char *const *want)
{
    assert_strv((char **)a->emunet_argv->pdata, want);
}

static void assert_companion(const LibxlArgs *a, const char *const *want)
{
    g_auto(GStrv) c = libxl_argv_companion(a, "/usr/libexec/qemu", 9);

    assert_strv(c, want);
}

static void test_detect(void)
{
    static const char *const qtest[] = {"emunet", "-qtest", "unix:/x", NULL};
    static const char *const two[] = {"emunet", "--xen-domid", "3", NULL};
    static const char *const domid[] = {"emunet", "--domid", "3", NULL};

    g_assert_true(libxl_argv_detect(g_strv_length((char **)worked),
                                    (char *const *)worked));
    g_assert_false(libxl_argv_detect(3, (char *const *)qtest));
    g_assert_true(libxl_argv_detect(3, (char *const *)two));
    /* --domid is the standalone secondary server, not libxl's argv. */
    g_assert_false(libxl_argv_detect(3, (char *const *)domid));
}

static void test_worked_example(void)
{
    static const char *const emunet[] = {"/usr/bin/emunet",
                                         "-xen-domid",
                                         "5",
                                         QMP_LIBXL,
                                         QMP_XENSTAT,
                                         "-device",
                                         "e1000,id=nic0,netdev=net0,"
                                         "mac=00:16:3e:11:22:33,addr=0x4",
                                         "-netdev",
                                         "type=tap,id=net0,ifname=vif5.0-emu,"
                                         "script=no,downscript=no",
                                         NULL};
    static const char *const companion[] = {"/usr/libexec/qemu",
                                            "-xen-domid",
                                            "5",
                                            "-no-shutdown",
                                            COMPANION_QMP,
                                            "-nodefaults",
                                            "-no-user-config",
                                            "-name",
                                            "g1",
                                            "-vnc",
                                            "127.0.0.1:0,to=99",
                                            "-display",
                                            "none",
                                            "-device",
                                            "cirrus-vga,vgamem_mb=8",
                                            "-boot",
                                            "order=cda",
                                            "-smp",
                                            "2,maxcpus=2",
                                            "-net",
                                            "none",
                                            "-machine",
                                            "xenfv,suppress-vmdesc=on",
                                            "-m",
                                            "1016",
                                            "-S",
                                            NULL};
    g_autoptr(LibxlArgs) a = parse_ok(worked);
    LibxlNic *nic;

    g_assert_true(a->libxl_mode);
    g_assert_cmpint(a->domid, ==, 5);
    g_assert_false(a->start_paused);
    g_assert_null(a->incoming);
    g_assert_cmpuint(a->smp_cpus, ==, 2);
    g_assert_cmpuint(a->nics->len, ==, 1);
    nic = g_ptr_array_index(a->nics, 0);
    g_assert_cmpstr(nic->model, ==, "e1000");
    g_assert_cmpstr(nic->id, ==, "nic0");
    g_assert_cmpstr(nic->netdev_id, ==, "net0");
    g_assert_cmpstr(nic->mac, ==, "00:16:3e:11:22:33");
    g_assert_cmpstr(nic->ifname, ==, "vif5.0-emu");
    g_assert_cmpstr(nic->type, ==, "tap");
    g_assert_false(nic->net_form);
    assert_emunet(a, emunet);
    assert_companion(a, companion);
}

/* §11: the argv libxl built on a real host (direct kernel boot, no -smp). */
static void test_observed(void)
{
    static const char *const argv[] = {
        "/opt/emunet",
        "-xen-domid",
        "1",
        "-no-shutdown",
        "-chardev",
        "socket,id=libxl-cmd,path=/var/run/xen/qmp-libxl-1,server=on,"
        "wait=off",
        "-mon",
        "chardev=libxl-cmd,mode=control",
        "-chardev",
        "socket,id=libxenstat-cmd,path=/var/run/xen/qmp-libxenstat-1,"
        "server=on,wait=off",
        "-mon",
        "chardev=libxenstat-cmd,mode=control",
        "-nodefaults",
        "-no-user-config",
        "-name",
        "hvmwrap",
        "-vnc",
        "none",
        "-display",
        "none",
        "-kernel",
        "/guest/vmlinuz",
        "-initrd",
        "/guest/guest-initrd.cpio.gz",
        "-append",
        "console=ttyS0,115200 xen_emul_unplug=never loglevel=4 "
        "mitigations=off panic=-1",
        "-serial",
        "file:/var/log/xen/hvmwrap-serial.log",
        "-boot",
        "order=cda",
        "-device",
        "e1000,id=nic0,netdev=net0,mac=00:16:3e:00:00:02",
        "-netdev",
        "type=tap,id=net0,ifname=vif1.0-emu,br=xenbr0,script=no,"
        "downscript=no",
        "-machine",
        "xenfv,suppress-vmdesc=on",
        "-m",
        "256",
        NULL};
    static const char *const companion[] = {
        "/usr/libexec/qemu",
        "-xen-domid",
        "1",
        "-no-shutdown",
        COMPANION_QMP,
        "-nodefaults",
        "-no-user-config",
        "-name",
        "hvmwrap",
        "-vnc",
        "none",
        "-display",
        "none",
        "-kernel",
        "/guest/vmlinuz",
        "-initrd",
        "/guest/guest-initrd.cpio.gz",
        "-append",
        "console=ttyS0,115200 xen_emul_unplug=never loglevel=4 "
        "mitigations=off panic=-1",
        "-serial",
        "file:/var/log/xen/hvmwrap-serial.log",
        "-boot",
        "order=cda",
        "-net",
        "none",
        "-machine",
        "xenfv,suppress-vmdesc=on",
        "-m",
        "256",
        "-S",
        NULL};
    g_autoptr(LibxlArgs) a = parse_ok(argv);

    g_assert_cmpint(a->domid, ==, 1);
    g_assert_cmpuint(a->smp_cpus, ==, 1);
    g_assert_cmpuint(a->nics->len, ==, 1);
    assert_companion(a, companion);
}

/* dm_restrict: pre-opened QMP fd and -S, restrict, chroot, runas. */
static void test_dm_restrict(void)
{
    static const char *const argv[] = {
        "emunet",
        "-xen-domid",
        "7",
        "-no-shutdown",
        "-chardev",
        "socket,id=libxl-cmd,fd=4,server=on,wait=off",
        "-S",
        "-mon",
        "chardev=libxl-cmd,mode=control",
        "-chardev",
        "socket,id=libxenstat-cmd,path=/var/run/xen/qmp-libxenstat-7,"
        "server=on,wait=off",
        "-mon",
        "chardev=libxenstat-cmd,mode=control",
        "-nodefaults",
        "-no-user-config",
        "-name",
        "r",
        "-vnc",
        "127.0.0.1:0,to=99",
        "-display",
        "none",
        "-device",
        "cirrus-vga,vgamem_mb=8",
        "-boot",
        "order=cda",
        "-device",
        "rtl8139,id=nic2,netdev=net2,mac=00:16:3e:0a:0b:0c",
        "-netdev",
        "type=tap,id=net2,ifname=vif7.2-emu,br=xenbr0,script=no,"
        "downscript=no",
        "-xen-domid-restrict",
        "-chroot",
        "/var/run/xen/qemu-root-7",
        "-incoming",
        "fd:12",
        "-machine",
        "xenfv,suppress-vmdesc=on",
        "-m",
        "512",
        "-runas",
        "131079:131079",
        NULL};
    static const char *const emunet[] = {
        "emunet",
        "-xen-domid",
        "7",
        "-chardev",
        "socket,id=libxl-cmd,fd=4,server=on,wait=off",
        "-S",
        "-mon",
        "chardev=libxl-cmd,mode=control",
        "-chardev",
        "socket,id=libxenstat-cmd,path=/var/run/xen/qmp-libxenstat-7,"
        "server=on,wait=off",
        "-mon",
        "chardev=libxenstat-cmd,mode=control",
        "-device",
        "rtl8139,id=nic2,netdev=net2,mac=00:16:3e:0a:0b:0c,addr=0x4",
        "-netdev",
        "type=tap,id=net2,ifname=vif7.2-emu,script=no,downscript=no",
        "-xen-domid-restrict",
        "-chroot",
        "/var/run/xen/qemu-root-7",
        "-incoming",
        "fd:12",
        "-runas",
        "131079:131079",
        NULL};
    static const char *const companion[] = {"/usr/libexec/qemu",
                                            "-xen-domid",
                                            "7",
                                            "-no-shutdown",
                                            COMPANION_QMP,
                                            "-S",
                                            "-nodefaults",
                                            "-no-user-config",
                                            "-name",
                                            "r",
                                            "-vnc",
                                            "127.0.0.1:0,to=99",
                                            "-display",
                                            "none",
                                            "-device",
                                            "cirrus-vga,vgamem_mb=8",
                                            "-boot",
                                            "order=cda",
                                            "-net",
                                            "none",
                                            "-xen-domid-restrict",
                                            "-chroot",
                                            "/var/run/xen/qemu-root-7",
                                            "-incoming",
                                            "fd:12",
                                            "-machine",
                                            "xenfv,suppress-vmdesc=on",
                                            "-m",
                                            "512",
                                            "-runas",
                                            "131079:131079",
                                            NULL};
    g_autoptr(LibxlArgs) a = parse_ok(argv);
    LibxlNic *nic;

    g_assert_true(a->start_paused);
    g_assert_cmpstr(a->incoming, ==, "fd:12");
    g_assert_cmpuint(a->nics->len, ==, 1);
    nic = g_ptr_array_index(a->nics, 0);
    g_assert_cmpstr(nic->model, ==, "rtl8139");
    g_assert_cmpstr(nic->id, ==, "nic2");
    g_assert_cmpstr(nic->ifname, ==, "vif7.2-emu");
    assert_emunet(a, emunet);
    /* -S was given: not added a second time. */
    assert_companion(a, companion);
}

/* No emulated NIC: libxl passes -net none itself; nothing is added. */
static void test_no_nic(void)
{
    static const char *const argv[] = {"emunet",   "-xen-domid", "2",
                                       QMP_LIBXL,  "-net",       "none",
                                       "-machine", "xenfv",      NULL};
    static const char *const companion[] = {
        "/usr/libexec/qemu", "-xen-domid", "2",  COMPANION_QMP, "-net", "none",
        "-machine",          "xenfv",      "-S", NULL};
    g_autoptr(LibxlArgs) a = parse_ok(argv);

    g_assert_cmpuint(a->nics->len, ==, 0);
    assert_companion(a, companion);
}

/* Two NICs in odd orders: netdev before device, QMP last. */
static void test_odd_order(void)
{
    static const char *const argv[] = {
        "emunet",
        "-m",
        "64",
        "-netdev",
        "tap,id=net3,ifname=vif9.3-emu,script=no,downscript=no",
        "-device",
        "rtl8139,netdev=net1,id=nic1",
        "--device",
        "e1000,mac=00:16:3e:00:00:03,netdev=net3,id=nic3",
        "-netdev",
        "id=net1,type=tap,ifname=vif9.1-emu",
        "--xen-domid",
        "9",
        "-mon",
        "mode=control,chardev=q",
        "-chardev",
        "socket,path=/tmp/q,id=q,server=on",
        NULL};
    static const char *const emunet[] = {
        "emunet",
        "-netdev",
        "type=tap,id=net3,ifname=vif9.3-emu,script=no,downscript=no",
        "-device",
        "rtl8139,netdev=net1,id=nic1,addr=0x3",
        "--device",
        "e1000,mac=00:16:3e:00:00:03,netdev=net3,id=nic3,addr=0x4",
        "-netdev",
        "type=tap,id=net1,ifname=vif9.1-emu",
        "--xen-domid",
        "9",
        "-mon",
        "mode=control,chardev=q",
        "-chardev",
        "socket,path=/tmp/q,id=q,server=on",
        NULL};
    static const char *const companion[] = {
        "/usr/libexec/qemu", "-m", "64",          "-net", "none",
        "--xen-domid",       "9",  COMPANION_QMP, "-S",   NULL};
    g_autoptr(LibxlArgs) a = parse_ok(argv);

    g_assert_cmpuint(a->nics->len, ==, 2);
    g_assert_cmpstr(((LibxlNic *)g_ptr_array_index(a->nics, 0))->model, ==,
                    "rtl8139");
    g_assert_cmpstr(((LibxlNic *)g_ptr_array_index(a->nics, 1))->netdev_id, ==,
                    "net3");
    assert_emunet(a, emunet);
    assert_companion(a, companion);
}

/* The qemu-traditional style pair, matched on vlan=. */
static void test_net_form(void)
{
    static const char *const argv[] = {
        "emunet",
        "-xen-domid",
        "4",
        "-net",
        "tap,vlan=1,ifname=vif4.1-emu,bridge=xenbr1,script=no,downscript=no",
        "-net",
        "nic,vlan=0,macaddr=00:16:3e:00:00:10,model=rtl8139",
        "-net",
        "nic,vlan=1,macaddr=00:16:3e:00:00:11,model=e1000",
        "-net",
        "tap,vlan=0,ifname=vif4.0-emu,bridge=xenbr0,script=no,downscript=no",
        "-M",
        "xenfv",
        NULL};
    static const char *const emunet[] = {
        "emunet",
        "-xen-domid",
        "4",
        "-netdev",
        "type=tap,id=net1,ifname=vif4.1-emu,script=no,downscript=no",
        "-device",
        "rtl8139,id=nic0,netdev=net0,mac=00:16:3e:00:00:10,addr=0x3",
        "-device",
        "e1000,id=nic1,netdev=net1,mac=00:16:3e:00:00:11,addr=0x4",
        "-netdev",
        "type=tap,id=net0,ifname=vif4.0-emu,script=no,downscript=no",
        NULL};
    static const char *const companion[] = {
        "/usr/libexec/qemu", "-xen-domid", "4", "-net", "none", "-M", "xenfv",
        COMPANION_QMP,       "-S",         NULL};
    g_autoptr(LibxlArgs) a = parse_ok(argv);
    LibxlNic *nic;

    g_assert_cmpuint(a->nics->len, ==, 2);
    nic = g_ptr_array_index(a->nics, 0);
    g_assert_true(nic->net_form);
    g_assert_cmpstr(nic->model, ==, "rtl8139");
    g_assert_cmpstr(nic->mac, ==, "00:16:3e:00:00:10");
    g_assert_cmpstr(nic->ifname, ==, "vif4.0-emu");
    assert_emunet(a, emunet);
    assert_companion(a, companion);
}

static void test_unknown_model(void)
{
    static const char *const dev[] = {
        "emunet",
        "-xen-domid",
        "5",
        "-device",
        "virtio-net-pci,id=nic0,netdev=net0,mac=00:16:3e:11:22:33",
        "-netdev",
        "type=tap,id=net0,ifname=vif5.0-emu",
        NULL};
    static const char *const net[] = {
        "emunet", "-xen-domid", "5", "-net", "nic,model=ne2k_pci",
        "-net",   "tap",        NULL};
    static const char *const nonetdev[] = {"emunet",  "-xen-domid", "5",
                                           "-device", "e1000e",     NULL};
    g_autofree char *m1 = parse_err(dev);
    g_autofree char *m2 = parse_err(net);
    g_autofree char *m3 = parse_err(nonetdev);

    g_assert_true(g_str_has_prefix(m1, "-device virtio-net-pci,"));
    g_assert_nonnull(strstr(m1, "NIC model 'virtio-net-pci' is not "
                                "supported by emunet (supported: e1000, "
                                "rtl8139)"));
    g_assert_nonnull(strstr(m2, "'ne2k_pci'"));
    g_assert_nonnull(strstr(m2, "supported: e1000, rtl8139"));
    g_assert_true(g_str_has_prefix(m3, "-device e1000e: "));
}

static void test_refused(void)
{
    static const char *const lone_netdev[] = {
        "emunet",
        "-xen-domid",
        "5",
        "-netdev",
        "type=tap,id=net0,ifname=vif5.0-emu",
        NULL};
    static const char *const no_backend[] = {
        "emunet", "-xen-domid", "5", "-device", "e1000,id=nic0,netdev=net9",
        NULL};
    static const char *const shared[] = {"emunet",
                                         "-xen-domid",
                                         "5",
                                         "-device",
                                         "e1000,id=a,netdev=n",
                                         "-device",
                                         "e1000,id=b,netdev=n",
                                         "-netdev",
                                         "tap,id=n",
                                         NULL};
    static const char *const filter[] = {
        "emunet",
        "-xen-domid",
        "5",
        "-device",
        "e1000,id=a,netdev=n",
        "-netdev",
        "tap,id=n",
        "-object",
        "filter-mirror,id=m0,netdev=n,queue=tx,outdev=c",
        NULL};
    static const char *const daemonize[] = {"emunet", "-xen-domid", "5",
                                            "-daemonize", NULL};
    static const char *const nic[] = {"emunet", "-xen-domid",      "5",
                                      "-nic",   "tap,model=e1000", NULL};
    static const char *const lone_tap[] = {"emunet", "-xen-domid", "5",
                                           "-net",   "tap,vlan=3", NULL};
    static const char *const missing[] = {"emunet", "-xen-domid", "5",
                                          "-device", NULL};
    static const char *const bad_domid[] = {"emunet", "-xen-domid", "x", NULL};
    struct {
        const char *const *argv;
        const char *prefix;
        const char *text;
    } cases[] = {
        {lone_netdev, "-netdev type=tap,id=net0", "no NIC"},
        {no_backend, "-device e1000,id=nic0,netdev=net9", "'net9' not found"},
        {shared, "-device e1000,id=b,netdev=n", "used by another NIC"},
        {filter, "-object filter-mirror", "not supported on emunet's NICs"},
        {daemonize, "-daemonize: ", "foreground"},
        {nic, "-nic tap,model=e1000: ", "-nic"},
        {lone_tap, "-net tap,vlan=3: ", "no -net nic on vlan 3"},
        {missing, "-device: ", "missing argument"},
        {bad_domid, "-xen-domid x: ", "domain id"},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *msg = parse_err(cases[i].argv);

        g_test_message("%s", msg);
        g_assert_true(g_str_has_prefix(msg, cases[i].prefix));
        g_assert_nonnull(strstr(msg, cases[i].text));
    }
}

/* Options emunet does not know take their argument along. */
static void test_unknown_options(void)
{
    static const char *const argv[] = {
        "emunet",  "-xen-domid",     "5",       "-x-future-opt",
        "val",     "-no-flag-opt",   "-device", "e1000,id=n,netdev=t",
        "-netdev", "tap,id=t",       "-global", "PIIX4_PM.disable_s3=0",
        "-trace",  "events=/tmp/ev", "-hda",    "disk.img",
        NULL};
    static const char *const companion[] = {"/usr/libexec/qemu",
                                            "-xen-domid",
                                            "5",
                                            "-x-future-opt",
                                            "val",
                                            "-no-flag-opt",
                                            "-net",
                                            "none",
                                            "-global",
                                            "PIIX4_PM.disable_s3=0",
                                            "-trace",
                                            "events=/tmp/ev",
                                            "-hda",
                                            "disk.img",
                                            COMPANION_QMP,
                                            "-S",
                                            NULL};
    g_autoptr(LibxlArgs) a = parse_ok(argv);

    g_assert_cmpuint(a->nics->len, ==, 1);
    assert_companion(a, companion);
}

/* emunet-only options, also in the middle of a libxl argv. */
static void test_emunet_options(void)
{
    static const char *const argv[] = {
        "emunet",      "-qtest",    "unix:/tmp/qt", "-xen-domid", "5",
        "--companion", "/bin/stub", "-qtest-log",   "/dev/null",  "-sandbox",
        "on",          "-M",        "xenfv",        NULL};
    static const char *const emunet[] = {
        "emunet",    "-qtest",      "unix:/tmp/qt", "-xen-domid",
        "5",         "--companion", "/bin/stub",    "-qtest-log",
        "/dev/null", "-sandbox",    "on",           NULL};
    static const char *const companion[] = {
        "/usr/libexec/qemu", "-xen-domid", "5", "-sandbox", "on", "-M", "xenfv",
        COMPANION_QMP,       "-S",         NULL};
    g_autoptr(LibxlArgs) a = parse_ok(argv);

    g_assert_cmpstr(a->companion, ==, "/bin/stub");
    assert_emunet(a, emunet);
    assert_companion(a, companion);
}

/* Without -xen-domid, main reads its own argv; the companion gets QMP. */
static void test_plain(void)
{
    static const char *const argv[] = {
        "emunet",      "-qtest",    "unix:/tmp/qt",
        "--companion", "/bin/stub", "-device",
        "e1000",       "--nic",     "mac=00:16:3e:00:00:01",
        "-S",          NULL};
    static const char *const companion[] = {"/usr/libexec/qemu", COMPANION_QMP,
                                            "-S", NULL};
    g_autoptr(LibxlArgs) a = parse_ok(argv);

    g_assert_false(a->libxl_mode);
    g_assert_true(a->start_paused);
    g_assert_cmpstr(a->companion, ==, "/bin/stub");
    assert_emunet(a, argv);
    assert_companion(a, companion);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/libxl-argv/detect", test_detect);
    g_test_add_func("/libxl-argv/libxl/worked-example", test_worked_example);
    g_test_add_func("/libxl-argv/libxl/observed", test_observed);
    g_test_add_func("/libxl-argv/libxl/dm-restrict", test_dm_restrict);
    g_test_add_func("/libxl-argv/libxl/no-nic", test_no_nic);
    g_test_add_func("/libxl-argv/order/odd", test_odd_order);
    g_test_add_func("/libxl-argv/net-form/pairs", test_net_form);
    g_test_add_func("/libxl-argv/refuse/unknown-model", test_unknown_model);
    g_test_add_func("/libxl-argv/refuse/cases", test_refused);
    g_test_add_func("/libxl-argv/options/unknown", test_unknown_options);
    g_test_add_func("/libxl-argv/options/emunet", test_emunet_options);
    g_test_add_func("/libxl-argv/plain", test_plain);
    return g_test_run();
}
