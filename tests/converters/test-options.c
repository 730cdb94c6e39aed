/* test-options.c - the command line in virt-v2v's shape: single-dash long
 * options next to short ones, options after the sources, mappings, and
 * usage errors with the option named. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "options.h"
#include "transport.h"

/* Parse a NULL-terminated list (copied: the parser edits --mac args). */
static int
parse(struct v2k_options *o, const char *const *args)
{
    static char store[32][128];
    static char *argv[33];
    int argc = 0;
    for (; args[argc]; argc++) {
        snprintf(store[argc], sizeof store[argc], "%s", args[argc]);
        argv[argc] = store[argc];
    }
    argv[argc] = NULL;
    return v2k_options_parse(argc, argv, o);
}

START_TEST(test_virt_v2v_spelling)
{
    struct v2k_options o;
    const char *args[] = { "v2kvm", "-i", "disk", "a.img", "-o", "local",
                           "-os", "/tmp/o", "-of", "raw", "-oa",
                           "preallocated", "-on", "vm1", "-if", "raw",
                           "b.img", "-v", "-x", "-q", NULL };
    ck_assert_int_eq(parse(&o, args), 0);
    ck_assert_str_eq(o.input_mode, "disk");
    ck_assert_str_eq(o.output_mode, "local");
    ck_assert_str_eq(o.output_storage, "/tmp/o");
    ck_assert_str_eq(o.output_format, "raw");
    ck_assert(o.preallocated);
    ck_assert_str_eq(o.output_name, "vm1");
    ck_assert_str_eq(o.input_format, "raw");
    ck_assert_uint_eq(o.nsources, 2);
    ck_assert_str_eq(o.sources[0], "a.img");
    ck_assert_str_eq(o.sources[1], "b.img");
    ck_assert_int_eq(o.verbose, 1);
    ck_assert(o.trace && o.quiet);
    v2k_options_free(&o);
}
END_TEST

START_TEST(test_defaults)
{
    struct v2k_options o;
    const char *args[] = { "v2kvm", "-i", "disk", "a", "-o", "local", NULL };
    ck_assert_int_eq(parse(&o, args), 0);
    ck_assert_str_eq(o.output_format, "qcow2");
    ck_assert(!o.preallocated && !o.overwrite);
    ck_assert(o.memory_bytes == 0 && o.vcpus == 0);
    v2k_options_free(&o);
}
END_TEST

START_TEST(test_network_maps)
{
    struct v2k_options o;
    const char *args[] = { "v2kvm", "-i", "disk", "a", "-o", "local",
                           "-n", "in1:out1", "-b", "br9", "--mac",
                           "52:54:00:AA:bb:01:bridge:br2", "--network",
                           "catch", NULL };
    ck_assert_int_eq(parse(&o, args), 0);
    ck_assert_uint_eq(o.nnetmaps, 4);
    ck_assert_int_eq(o.netmaps[0].kind, V2K_MAP_NETWORK);
    ck_assert_str_eq(o.netmaps[0].in, "in1");
    ck_assert_str_eq(o.netmaps[0].out, "out1");
    ck_assert(!o.netmaps[0].to_bridge);
    ck_assert_int_eq(o.netmaps[1].kind, V2K_MAP_BRIDGE);
    ck_assert(o.netmaps[1].in == NULL);
    ck_assert(o.netmaps[1].to_bridge);
    ck_assert_int_eq(o.netmaps[2].kind, V2K_MAP_MAC);
    ck_assert_str_eq(o.netmaps[2].in, "52:54:00:AA:bb:01");
    ck_assert_str_eq(o.netmaps[2].out, "br2");
    ck_assert(o.netmaps[2].to_bridge);
    ck_assert(o.netmaps[3].in == NULL);
    ck_assert_str_eq(o.netmaps[3].out, "catch");
    v2k_options_free(&o);
}
END_TEST

START_TEST(test_memory_units)
{
    struct v2k_options o;
    const char *a1[] = { "v2kvm", "-i", "disk", "a", "-o", "local",
                         "--memory", "2048", "--vcpus", "8", NULL };
    const char *a2[] = { "v2kvm", "-i", "disk", "a", "-o", "local",
                         "--memory", "3G", NULL };
    ck_assert_int_eq(parse(&o, a1), 0);
    ck_assert(o.memory_bytes == 2048ULL << 20);
    ck_assert_uint_eq(o.vcpus, 8);
    v2k_options_free(&o);
    ck_assert_int_eq(parse(&o, a2), 0);
    ck_assert(o.memory_bytes == 3ULL << 30);
    v2k_options_free(&o);
}
END_TEST

static void
expect_error(const char *const *args, const char *msg)
{
    struct v2k_options o;
    ck_assert_int_eq(parse(&o, args), -1);
    ck_assert_msg(strstr(v2k_error_message(), msg) != NULL, "got: %s",
                  v2k_error_message());
    v2k_options_free(&o);
}

START_TEST(test_usage_errors_name_the_option)
{
    const char *a1[] = { "v2kvm", "-o", "local", "x", NULL };
    const char *a2[] = { "v2kvm", "-i", "disk", "x", "-o", "local", "-oa",
                         "thin", NULL };
    const char *a3[] = { "v2kvm", "-i", "disk", "x", "-o", "local", "--mac",
                         "52:54:00:00:00:01:vlan:x", NULL };
    const char *a4[] = { "v2kvm", "-i", "disk", "x", "-o", "local", "-n",
                         "a:", NULL };
    const char *a5[] = { "v2kvm", "-i", "disk", "x", "-o", "local",
                         "--memory", "99999999T", NULL };
    const char *a6[] = { "v2kvm", "-i", "disk", "x", "-o", "local", "-os",
                         NULL };
    expect_error(a1, "no input mode");
    expect_error(a2, "-oa 'thin': must be sparse or preallocated");
    expect_error(a3, "the target must be network:NAME, bridge:NAME or hostdev");
    expect_error(a4, "-n: empty network or bridge name");
    expect_error(a5, "--memory");
    expect_error(a6, "option '-os' needs an argument");
}
END_TEST

/* -io: repeatable; remote options feed struct v2k_remote_opts, the
 * command line winning over the environment. */
START_TEST(test_input_options)
{
    struct v2k_options o;
    struct v2k_remote_opts r;
    const char *args[] = { "v2kvm", "-i", "xen", "-ic",
                           "xen+ssh://root@dom0", "-io",
                           "xen-config=/etc/xen/g.cfg", "-io",
                           "ssh-identity=/k/id", "-io", "ssh-insecure",
                           "-io", "vbox-file=VirtualBox VMs/v/v.vbox",
                           "-ip", "/pw", "g", "-o", "null", NULL };
    ck_assert_int_eq(parse(&o, args), 0);
    ck_assert_str_eq(o.input_uri, "xen+ssh://root@dom0");
    ck_assert_str_eq(o.xen_config, "/etc/xen/g.cfg");
    ck_assert_str_eq(o.vbox_file, "VirtualBox VMs/v/v.vbox");
    ck_assert_str_eq(o.ssh_identity, "/k/id");
    ck_assert(o.ssh_insecure);
    setenv("V2K_SSH_IDENTITY", "/env/id", 1);
    setenv("V2K_SSH_KNOWN_HOSTS", "/env/kh", 1);
    v2k_options_remote_opts(&o, &r);
    ck_assert_str_eq(r.ssh_identity, "/k/id");
    ck_assert_str_eq(r.password_file, "/pw");
    ck_assert_str_eq(r.ssh_known_hosts, "/env/kh");
    ck_assert(r.ssh_insecure);
    v2k_options_free(&o);
    {
        const char *a2[] = { "v2kvm", "-i", "xen", "g", "-o", "null",
                             NULL };
        ck_assert_int_eq(parse(&o, a2), 0);
        ck_assert_ptr_null(o.xen_config);
        ck_assert(!o.ssh_insecure);
        v2k_options_remote_opts(&o, &r);
        ck_assert_str_eq(r.ssh_identity, "/env/id");
        v2k_options_free(&o);
    }
    unsetenv("V2K_SSH_IDENTITY");
    unsetenv("V2K_SSH_KNOWN_HOSTS");
}
END_TEST

START_TEST(test_input_option_errors)
{
    const char *a1[] = { "v2kvm", "-i", "xen", "-io", "frobnicate=1", "g",
                         "-o", "null", NULL };
    const char *a2[] = { "v2kvm", "-i", "xen", "-io", "xen-config", "g",
                         "-o", "null", NULL };
    const char *a3[] = { "v2kvm", "-i", "xen", "-io", "ssh-insecure=yes",
                         "g", "-o", "null", NULL };
    const char *a4[] = { "v2kvm", "-i", "xen", "g", "-o", "null", "-io",
                         NULL };
    expect_error(a1, "-io 'frobnicate=1': unknown input option");
    expect_error(a2, "-io xen-config: needs a value");
    expect_error(a3, "-io 'ssh-insecure=yes': unknown input option");
    expect_error(a4, "option '-io' needs an argument");
}
END_TEST

/* -it as virt-v2v spells it: ssh for -i vmx, vddk (with its -io vddk-*
 * options) for esx:// and vpx:// only. */
START_TEST(test_input_transport)
{
    struct v2k_options o;
    const char *ok1[] = { "v2kvm", "-i", "vmx", "-it", "ssh",
                          "ssh://root@esx/vmfs/volumes/ds/g/g.vmx", "-o",
                          "null", NULL };
    const char *ok2[] = { "v2kvm", "-ic", "vpx://u@vc/DC/h", "-it", "vddk",
                          "-io", "vddk-libdir=/opt/lib", "-io",
                          "vddk-thumbprint=AA:BB", "g", "-o", "null", NULL };
    const char *e1[] = { "v2kvm", "-i", "xen", "-it", "ssh", "g", "-o",
                         "null", NULL };
    const char *e2[] = { "v2kvm", "-i", "vmx", "-it", "vddk", "g.vmx", "-o",
                         "null", NULL };
    const char *e3[] = { "v2kvm", "-ic", "esx://h", "-io",
                         "vddk-libdir=/opt/lib", "g", "-o", "null", NULL };
    const char *e4[] = { "v2kvm", "-i", "vmx", "-it", "rsync", "g.vmx",
                         "-o", "null", NULL };

    ck_assert_int_eq(parse(&o, ok1), 0);
    ck_assert_str_eq(o.input_transport, "ssh");
    ck_assert_ptr_null(o.vddk_option);
    v2k_options_free(&o);
    ck_assert_int_eq(parse(&o, ok2), 0);
    ck_assert_str_eq(o.input_mode, "libvirt");
    ck_assert_str_eq(o.input_transport, "vddk");
    ck_assert_str_eq(o.vddk_option, "vddk-libdir");
    v2k_options_free(&o);
    expect_error(e1, "-it ssh: only with -i vmx");
    expect_error(e2, "-it vddk: only with -ic esx://HOST or vpx://");
    expect_error(e3, "-io vddk-libdir: VDDK options need -it vddk");
    expect_error(e4, "-it 'rsync': unknown input transport");
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("options");
    tcase_add_test(tc, test_virt_v2v_spelling);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_network_maps);
    tcase_add_test(tc, test_memory_units);
    tcase_add_test(tc, test_usage_errors_name_the_option);
    tcase_add_test(tc, test_input_options);
    tcase_add_test(tc, test_input_option_errors);
    tcase_add_test(tc, test_input_transport);
    suite_add_tcase(s, tc);
    return s;
}
