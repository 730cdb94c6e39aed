/* test-accel.c - the KVM probe.  The probe kernel must run to its end
 * under TCG (this proves the kernel choice, the serial log and the panic
 * check), and so must the boot sector when no kernel is found; the choice
 * must be TCG whenever /dev/kvm is missing, agree with a direct KVM try
 * otherwise, and V2K_ACCEL must override it.  Passes on machines without
 * /dev/kvm, with a broken one, and with a working one. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel.h"
#include "util.h"

START_TEST(test_probe_kernel_runs_under_tcg)
{
    char why[300], kernel[256];
    ck_assert_msg(v2k_accel_kernel(kernel, sizeof kernel),
                  "no readable /boot/vmlinuz-* (scripts/setup.sh installs "
                  "linux-image-amd64 for libguestfs)");
    ck_assert_msg(v2k_accel_try("tcg", 90.0, why, sizeof why), "%s", why);
    ck_assert_msg(strstr(why, "ran to its end") != NULL, "%s", why);
    ck_assert_msg(strstr(why, kernel) != NULL, "%s", why);
}
END_TEST

START_TEST(test_supermin_kernel_is_honoured)
{
    char kernel[256], got[256];
    ck_assert(v2k_accel_kernel(kernel, sizeof kernel));
    setenv("SUPERMIN_KERNEL", "/nonexistent/vmlinuz", 1);
    ck_assert(!v2k_accel_kernel(got, sizeof got));
    setenv("SUPERMIN_KERNEL", kernel, 1);
    ck_assert(v2k_accel_kernel(got, sizeof got));
    ck_assert_str_eq(got, kernel);
    unsetenv("SUPERMIN_KERNEL");
}
END_TEST

/* Without a readable kernel the boot sector is the probe. */
START_TEST(test_sector_fallback_runs_under_tcg)
{
    char why[300];
    setenv("SUPERMIN_KERNEL", "/nonexistent/vmlinuz", 1);
    ck_assert_msg(v2k_accel_try("tcg", 30.0, why, sizeof why), "%s", why);
    ck_assert_msg(strstr(why, "boot sector") != NULL, "%s", why);
    unsetenv("SUPERMIN_KERNEL");
}
END_TEST

/* A kernel that cannot boot (not a kernel at all) is a failed probe,
 * not a success: qemu refuses it. */
START_TEST(test_bad_kernel_fails)
{
    char why[300];
    setenv("SUPERMIN_KERNEL", "/etc/hostname", 1);
    ck_assert(!v2k_accel_try("tcg", 30.0, why, sizeof why));
    unsetenv("SUPERMIN_KERNEL");
}
END_TEST

START_TEST(test_unknown_accelerator_fails_cleanly)
{
    char why[200];
    ck_assert(!v2k_accel_try("nosuchaccel", 30.0, why, sizeof why));
    ck_assert(strstr(why, "qemu exited with status") != NULL);
}
END_TEST

START_TEST(test_choice_matches_the_machine)
{
    enum v2k_accel a;
    unsetenv("V2K_ACCEL");
    a = v2k_accel_get();
    if (access("/dev/kvm", R_OK | W_OK) == -1) {
        ck_assert_int_eq(a, V2K_ACCEL_TCG);
        ck_assert(strstr(v2k_accel_reason(), "/dev/kvm") != NULL);
    } else {
        char why[200];
        bool works = v2k_accel_try("kvm", V2K_ACCEL_PROBE_TIMEOUT_S, why, sizeof why);
        ck_assert_int_eq(a, works ? V2K_ACCEL_KVM : V2K_ACCEL_TCG);
    }
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("accel");
    TCase *tc = tcase_create("accel");
    tcase_set_timeout(tc, 200);
    tcase_add_test(tc, test_probe_kernel_runs_under_tcg);
    tcase_add_test(tc, test_supermin_kernel_is_honoured);
    tcase_add_test(tc, test_bad_kernel_fails);
    tcase_add_test(tc, test_sector_fallback_runs_under_tcg);
    tcase_add_test(tc, test_unknown_accelerator_fails_cleanly);
    tcase_add_test(tc, test_choice_matches_the_machine);
    suite_add_tcase(s, tc);
    return s;
}
