/* test-guestcaps.c - the Windows fallback devices and the OS hint table
 * (--no-convert): VMX guestOS, OVF osType, VirtualBox OSType and
 * libosinfo ids; Linux and unknown hints leave the guestcaps alone. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "guestcaps.h"

static const struct {
    const char *hint, *osinfo;  /* osinfo NULL = unknown */
    unsigned major, minor;
    enum v2k_machine machine;
    enum v2k_block_bus bus;
    enum v2k_net_model net;
} windows[] = {
    /* VMX guestOS */
    { "windows9-64", "win10", 10, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "windows2019srv-64", "win2k19", 10, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "windows2019srvNext-64", "win2k22", 10, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "windows2022srvNext-64", "win2k25", 10, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "winNetEnterprise", "win2k3", 5, 2, V2K_MACHINE_PC, V2K_BLOCK_IDE, V2K_NETM_RTL8139 },
    { "winnetstandard-64", "win2k3", 5, 2, V2K_MACHINE_PC, V2K_BLOCK_IDE, V2K_NETM_RTL8139 },
    { "winXPPro", "winxp", 5, 1, V2K_MACHINE_PC, V2K_BLOCK_IDE, V2K_NETM_RTL8139 },
    { "winxppro-64", "winxp", 5, 1, V2K_MACHINE_PC, V2K_BLOCK_IDE, V2K_NETM_RTL8139 },
    { "windows7-64", "win7", 6, 1, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "windows7srv-64", "win2k8r2", 6, 1, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "windows8srv-64", "win2k12", 6, 2, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "windows11-64", "win11", 10, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "winvista", "winvista", 6, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "longhorn", "win2k8", 6, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "win2000Serv", "win2k", 5, 0, V2K_MACHINE_PC, V2K_BLOCK_IDE, V2K_NETM_RTL8139 },
    { "winNT", "winnt4.0", 4, 0, V2K_MACHINE_PC, V2K_BLOCK_IDE, V2K_NETM_RTL8139 },
    { "win98", "win98", 4, 10, V2K_MACHINE_PC, V2K_BLOCK_IDE, V2K_NETM_RTL8139 },
    /* OVF osType (vSphere GuestOsDescriptor ids) */
    { "windows9_64Guest", "win10", 10, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "windows2019srv_64Guest", "win2k19", 10, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "windows2019srvNext_64Guest", "win2k22", 10, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "windows9Server64Guest", "win2k16", 10, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "windows7Server64Guest", "win2k8r2", 6, 1, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "winNetStandardGuest", "win2k3", 5, 2, V2K_MACHINE_PC, V2K_BLOCK_IDE, V2K_NETM_RTL8139 },
    { "winNetEnterprise64Guest", "win2k3", 5, 2, V2K_MACHINE_PC, V2K_BLOCK_IDE, V2K_NETM_RTL8139 },
    { "winXPProGuest", "winxp", 5, 1, V2K_MACHINE_PC, V2K_BLOCK_IDE, V2K_NETM_RTL8139 },
    { "winLonghorn64Guest", "win2k8", 6, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "windows11_64Guest", "win11", 10, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    /* VirtualBox OSType */
    { "Windows2019_64", "win2k19", 10, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "Windows10_64", "win10", 10, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "Windows11_64", "win11", 10, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "WindowsXP", "winxp", 5, 1, V2K_MACHINE_PC, V2K_BLOCK_IDE, V2K_NETM_RTL8139 },
    { "Windows2003", "win2k3", 5, 2, V2K_MACHINE_PC, V2K_BLOCK_IDE, V2K_NETM_RTL8139 },
    { "Windows7", "win7", 6, 1, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "Windows81_64", "win8.1", 6, 3, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "Windows2022_64", "win2k22", 10, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    /* libosinfo ids (libvirt XML metadata) */
    { "http://microsoft.com/win/2k22", "win2k22", 10, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "http://microsoft.com/win/10", "win10", 10, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "http://microsoft.com/win/xp", "winxp", 5, 1, V2K_MACHINE_PC, V2K_BLOCK_IDE, V2K_NETM_RTL8139 },
    { "http://microsoft.com/win/8.1", "win8.1", 6, 3, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    /* Windows of an unknown version: taken as modern */
    { "http://microsoft.com/win/3000", NULL, 0, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "windows12-64", NULL, 10, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "windowsHyperVGuest", NULL, 0, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
    { "Microsoft Windows Server 2019 (64-bit)", NULL, 0, 0, V2K_MACHINE_Q35, V2K_BLOCK_SATA, V2K_NETM_E1000 },
};

START_TEST(test_windows_hints)
{
    struct v2k_guestcaps gc;
    const char *hint = windows[_i].hint;

    v2k_guestcaps_defaults(&gc, NULL);
    ck_assert_msg(v2k_guestcaps_from_hint(&gc, hint), "%s", hint);
    ck_assert_int_eq(gc.family, V2K_OS_WINDOWS);
    if (windows[_i].osinfo)
        ck_assert_msg(gc.osinfo && strcmp(gc.osinfo, windows[_i].osinfo) == 0,
                      "%s: osinfo %s", hint, gc.osinfo ? gc.osinfo : "NULL");
    else
        ck_assert_msg(gc.osinfo == NULL, "%s: osinfo %s", hint, gc.osinfo);
    ck_assert_msg(gc.win_major == windows[_i].major &&
                  gc.win_minor == windows[_i].minor, "%s: NT %u.%u", hint,
                  gc.win_major, gc.win_minor);
    ck_assert_msg(gc.machine == windows[_i].machine, "%s: machine", hint);
    ck_assert_msg(gc.block_bus == windows[_i].bus, "%s: bus", hint);
    ck_assert_msg(gc.net_model == windows[_i].net, "%s: nic", hint);
    ck_assert(!gc.rtc_utc && gc.virtio_1_0);
    ck_assert(!gc.virtio_rng && !gc.virtio_balloon && !gc.pvpanic);
    ck_assert(!v2k_guestcaps_is_linux_like(&gc));
    v2k_guestcaps_clear(&gc);
}
END_TEST

/* Linux, other and missing hints: the defaults stand, byte for byte. */
START_TEST(test_other_hints)
{
    static const char *const hints[] = {
        "debian10-64", "rhel7_64Guest", "Debian_64", "Ubuntu22_LTS_64",
        "http://debian.org/debian/12", "other-64", "darwin19-64",
        "freebsd12-64", "", "64", "Guest", "solaris11_64Guest", NULL,
    };
    struct v2k_guestcaps gc, want;

    for (size_t i = 0; i < sizeof hints / sizeof *hints; i++) {
        v2k_guestcaps_defaults(&gc, NULL);
        v2k_guestcaps_defaults(&want, NULL);
        ck_assert_msg(!v2k_guestcaps_from_hint(&gc, hints[i]), "%s",
                      hints[i] ? hints[i] : "NULL");
        ck_assert(memcmp(&gc, &want, sizeof gc) == 0);
    }
}
END_TEST

/* The fallback follows the machine and the NT version it is given. */
START_TEST(test_fallback)
{
    struct v2k_guestcaps gc;

    v2k_guestcaps_defaults(&gc, NULL);
    gc.family = V2K_OS_WINDOWS;
    gc.win_major = 6;
    gc.machine = V2K_MACHINE_PC;
    v2k_guestcaps_windows_fallback(&gc);
    ck_assert_int_eq(gc.block_bus, V2K_BLOCK_IDE);
    ck_assert_int_eq(gc.net_model, V2K_NETM_E1000);
    gc.win_major = 5;
    gc.machine = V2K_MACHINE_Q35;
    v2k_guestcaps_windows_fallback(&gc);
    ck_assert_int_eq(gc.block_bus, V2K_BLOCK_SATA);
    ck_assert_int_eq(gc.net_model, V2K_NETM_RTL8139);
    ck_assert(gc.rtc_utc);      /* left alone */
    v2k_guestcaps_clear(&gc);
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("guestcaps");
    TCase *tc = tcase_create("core");

    tcase_add_loop_test(tc, test_windows_hints, 0,
                        sizeof windows / sizeof *windows);
    tcase_add_test(tc, test_other_hints);
    tcase_add_test(tc, test_fallback);
    suite_add_tcase(s, tc);
    return s;
}
