/* test-windows-scripts.c - the first-boot scripts of a Windows guest
 * (drivers-inject/windows/firstboot-scripts.h) against golden files in
 * tests/data/windows/firstboot/CASE/ (V2K_UPDATE_GOLDEN=1 rewrites them:
 * review the diff), plus the facts the golden files could hide: names
 * and order, CRLF everywhere, the uninstall command lines, hostile
 * registry values kept out of the scripts.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "firstboot-scripts.h"
#include "guest.h"

static char *
slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    char *buf;
    long n;

    if (fp == NULL)
        return NULL;
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

/* Every script of a case is its golden file; the list of names is
 * CASE/names.txt. */
static void
check_golden(const char *c, const struct v2k_fb_script *s, size_t n)
{
    const char *srcdir = getenv("V2K_SOURCE_DIR");
    char dir[4096], path[4200], names[8192] = "";
    bool update = getenv("V2K_UPDATE_GOLDEN") != NULL;

    ck_assert_ptr_nonnull(srcdir);
    snprintf(dir, sizeof dir, "%s/tests/data/windows/firstboot/%s", srcdir, c);
    if (update)
        mkdir(dir, 0755);
    for (size_t i = 0; i < n; i++) {
        char *want;
        size_t len = strlen(s[i].content);

        /* CRLF and nothing else: every LF follows a CR. */
        for (size_t k = 0; k < len; k++)
            if (s[i].content[k] == '\n')
                ck_assert_msg(k > 0 && s[i].content[k - 1] == '\r',
                              "%s: a bare LF at byte %zu", s[i].name, k);
        ck_assert_msg(len >= 2 && strcmp(s[i].content + len - 2, "\r\n") == 0,
                      "%s does not end with CRLF", s[i].name);
        snprintf(path, sizeof path, "%s/%s", dir, s[i].name);
        if (update) {
            FILE *fp = fopen(path, "wb");
            ck_assert_ptr_nonnull(fp);
            fputs(s[i].content, fp);
            fclose(fp);
        }
        want = slurp(path);
        ck_assert_msg(want != NULL, "%s missing (V2K_UPDATE_GOLDEN=1)", path);
        ck_assert_msg(strcmp(want, s[i].content) == 0,
                      "%s differs from its golden file:\n%s", path,
                      s[i].content);
        free(want);
        size_t nl = strlen(names);
        snprintf(names + nl, sizeof names - nl, "%s\n", s[i].name);
    }
    snprintf(path, sizeof path, "%s/names.txt", dir);
    if (update) {
        FILE *fp = fopen(path, "w");
        ck_assert_ptr_nonnull(fp);
        fputs(names, fp);
        fclose(fp);
    }
    char *want = slurp(path);
    ck_assert_msg(want != NULL, "%s missing", path);
    ck_assert_str_eq(want, names);
    free(want);
}

static char *addrs[] = { "10.20.30.40/24", "10.20.31.40/23", NULL };
static char *gws[] = { "10.20.30.1", NULL };
static char *dns[] = { "10.20.30.2", "10.20.30.3", NULL };
static char *addrs6[] = { "2001:db8:20:30::40/64", NULL };
static char *addrs6b[] = { "fd00::3/48", NULL };
static char *dns6[] = { "2001:db8:20:30::2", NULL };

static struct v2k_win_app apps[] = {
    { "{5D1F5E3C}", "Phony Backup Agent 3.2", "1.0", "Phony",
      "MsiExec.exe /X{5D1F5E3C-1A2B-4C3D-9E8F-000000000001}", false },
    { "{C6C1A3F1-8D2B-4E1A-9F6E-3A5B7C9D0E1F}", "VMware Tools", "12.3.0",
      "VMware, Inc.",
      "MsiExec.exe /I{C6C1A3F1-8D2B-4E1A-9F6E-3A5B7C9D0E1F}", false },
    { "Oracle VM VirtualBox Guest Additions",
      "Oracle VM VirtualBox Guest Additions 7.0.10", "7.0.10",
      "Oracle Corporation",
      "C:\\Program Files\\Oracle\\VirtualBox Guest Additions\\uninst.exe",
      false },
    { "Red Hat Paravirtualized Xen Drivers for Windows(R)",
      "Red Hat Paravirtualized Xen Drivers for Windows(R)", "1.3", "Red Hat",
      "C:\\Program Files\\Red Hat\\Xen PV Drivers\\uninst.exe", false },
    { "{A1B2C3D4-0000-4000-8000-00000000FA11}", "Parallels Tools", "18",
      "Parallels", "MsiExec.exe /X{A1B2C3D4-0000-4000-8000-00000000FA11}",
      false },
};

START_TEST(test_win2k22_everything)
{
    struct v2k_win_ipcfg ip[] = {
        { .guid = "{8E6A1B2C-3D4E-4F50-9A1B-2C3D4E5F6071}",
          .adapter = "vmxnet3 Ethernet Adapter", .dhcp = false,
          .addrs = addrs, .gateways = gws, .dns = dns, .addrs6 = addrs6,
          .dns6 = dns6 },
        { .guid = "{00000000-0000-0000-0000-000000000002}",
          .adapter = "second", .dhcp = true },
        { .guid = "{00000000-0000-0000-0000-000000000003}",
          .adapter = "third", .dhcp = true, .addrs6 = addrs6b },
    };
    const char *macs[] = { "00:50:56:aa:bb:01", "00:50:56:aa:bb:02",
                           "00:50:56:aa:bb:03" };
    struct v2k_fb_inputs in = {
        .major = 10, .drivers = true, .qga_msi = "qemu-ga-x86_64.msi",
        .blnsvr = true, .online_disks = true, .apps = apps,
        .napps = sizeof apps / sizeof apps[0], .ipcfgs = ip, .nipcfgs = 3,
        .macs = macs, .nmacs = 3,
    };
    struct v2k_fb_script *s = NULL;
    size_t n = 0;

    ck_assert_int_eq(v2k_fb_scripts(&in, &s, &n), 0);
    check_golden("win2k22", s, n);
    /* The facts behind the golden files. */
    ck_assert_uint_eq(n, 9);
    ck_assert_str_eq(s[0].name, "2000-pnputil-drivers.bat");
    ck_assert_ptr_nonnull(strstr(s[0].content, "exit /b 249"));
    ck_assert_str_eq(s[1].name, "2500-network.ps1");
    ck_assert_ptr_nonnull(strstr(s[1].content,
        "Set-V2kStatic '00:50:56:AA:BB:01' @('10.20.30.40','10.20.31.40') "
        "@('255.255.255.0','255.255.254.0') @('10.20.30.1') "
        "@('10.20.30.2','10.20.30.3')"));
    ck_assert_ptr_null(strstr(s[1].content, "second"));   /* DHCP: left */
    ck_assert_ptr_nonnull(strstr(s[1].content,
        "Set-V2kStatic6 '00:50:56:AA:BB:01' @('2001:db8:20:30::40/64') "
        "@('2001:db8:20:30::2')"));
    /* DHCP for IPv4 but a manual IPv6 address: the next MAC. */
    ck_assert_ptr_nonnull(strstr(s[1].content,
        "Set-V2kStatic6 '00:50:56:AA:BB:02' @('fd00::3/48') @()"));
    ck_assert_str_eq(s[2].name, "3000-install-qemu-ga.bat");
    ck_assert_str_eq(s[3].name, "3100-install-blnsvr.bat");
    ck_assert_str_eq(s[4].name, "4001-uninstall-vmware-tools.bat");
    ck_assert_ptr_nonnull(strstr(s[4].content,
        "msiexec.exe /x {C6C1A3F1-8D2B-4E1A-9F6E-3A5B7C9D0E1F} /qn"));
    ck_assert_str_eq(s[5].name, "4002-uninstall-vbox-additions.bat");
    ck_assert_ptr_nonnull(strstr(s[5].content,
        "\"C:\\Program Files\\Oracle\\VirtualBox Guest Additions\\uninst.exe\" /S"));
    ck_assert_str_eq(s[6].name, "4003-uninstall-xen-pv.bat");
    ck_assert_ptr_nonnull(strstr(s[6].content, "\\_uninst.exe"));
    ck_assert_str_eq(s[7].name, "4004-uninstall-parallels-tools.bat");
    ck_assert_ptr_nonnull(strstr(s[7].content, "RefCount"));
    ck_assert_str_eq(s[8].name, "5000-online-disks.ps1");
    v2k_fb_scripts_free(s, n);
}
END_TEST

/* XP: no pnputil, no PowerShell: only the batch scripts. */
START_TEST(test_winxp)
{
    struct v2k_win_ipcfg ip[] = {
        { .guid = "{1}", .adapter = "AMD PCNET", .addrs = addrs,
          .gateways = gws, .dns = dns },
    };
    struct v2k_fb_inputs in = {
        .major = 5, .drivers = true, .qga_msi = NULL, .blnsvr = false,
        .online_disks = true, .apps = apps + 1, .napps = 1, .ipcfgs = ip,
        .nipcfgs = 1,
    };
    struct v2k_fb_script *s = NULL;
    size_t n = 0;

    ck_assert_int_eq(v2k_fb_scripts(&in, &s, &n), 0);
    check_golden("winxp", s, n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(s[0].name, "4000-uninstall-vmware-tools.bat");
    v2k_fb_scripts_free(s, n);
}
END_TEST

/* Values from the guest's registry are untrusted: nothing that cmd.exe
 * or PowerShell would interpret gets into a script. */
START_TEST(test_hostile_registry)
{
    static char *bad_addrs[] = { "10.0.0.1/24'; Remove-Item C:\\ -Recurse; '", NULL };
    struct v2k_win_ipcfg ip[] = {
        { .guid = "{1}", .adapter = "x", .addrs = bad_addrs,
          .gateways = gws, .dns = dns },
    };
    struct v2k_win_app bad[] = {
        { "k", "VMware Tools", NULL, NULL,
          "MsiExec.exe /I{C6C1A3F1-8D2B-4E1A-9F6E-3A5B7C9D0E1F} & del /q C:\\", false },
        { "k2", "Oracle VM VirtualBox Guest Additions", NULL, NULL,
          "C:\\x.exe %PATH%", false },
    };
    const char *macs[] = { "00:50:56:aa:bb:01'; x" };
    struct v2k_fb_inputs in = {
        .major = 10, .apps = bad, .napps = 2, .ipcfgs = ip, .nipcfgs = 1,
        .macs = macs, .nmacs = 1,
    };
    struct v2k_fb_script *s = NULL;
    size_t n = 0;

    ck_assert_int_eq(v2k_fb_scripts(&in, &s, &n), 0);
    for (size_t i = 0; i < n; i++) {
        ck_assert_ptr_null(strstr(s[i].content, "Remove-Item"));
        ck_assert_ptr_null(strstr(s[i].content, "del /q"));
        ck_assert_ptr_null(strstr(s[i].content, "%PATH%"));
        ck_assert_ptr_null(strstr(s[i].content, "'; x"));
    }
    v2k_fb_scripts_free(s, n);
}
END_TEST

START_TEST(test_uninstall_commands)
{
    const char *tool = NULL;
    char *c;
    struct v2k_win_app other = { "k", "Notepad++", NULL, NULL,
                                 "C:\\npp\\uninstall.exe", false };

    c = v2k_fb_uninstall_command(&apps[1], &tool);
    ck_assert_str_eq(c, "msiexec.exe /x {C6C1A3F1-8D2B-4E1A-9F6E-3A5B7C9D0E1F} /qn /norestart REBOOT=ReallySuppress");
    ck_assert_str_eq(tool, "vmware-tools");
    free(c);
    c = v2k_fb_uninstall_command(&apps[3], &tool);
    /* Quoted: the path has spaces (cmd.exe would run "C:\Program"). */
    ck_assert_str_eq(c, "\"C:\\Program Files\\Red Hat\\Xen PV Drivers\\_uninst.exe\"");
    ck_assert_str_eq(tool, "xen-pv");
    free(c);
    struct v2k_win_app xq = { "k", "Red Hat Paravirtualized Xen Drivers", NULL,
                              NULL, "\"C:\\Xen PV\\uninst.exe\" /q", false };
    c = v2k_fb_uninstall_command(&xq, &tool);
    ck_assert_str_eq(c, "\"C:\\Xen PV\\_uninst.exe\" /q");
    free(c);
    xq.uninstall = "C:\\Xen PV\\_Uninst.exe /q";
    c = v2k_fb_uninstall_command(&xq, &tool);
    ck_assert_str_eq(c, "\"C:\\Xen PV\\_Uninst.exe\" /q");
    free(c);
    ck_assert_ptr_null(v2k_fb_uninstall_command(&other, &tool));
    ck_assert_ptr_null(v2k_fb_uninstall_command(&apps[0], &tool));
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("windows-scripts");
    TCase *tc = tcase_create("scripts");

    tcase_add_test(tc, test_win2k22_everything);
    tcase_add_test(tc, test_winxp);
    tcase_add_test(tc, test_hostile_registry);
    tcase_add_test(tc, test_uninstall_commands);
    suite_add_tcase(s, tc);
    return s;
}
