/* test-accel.c - the KVM probe.  The probe guest must answer under TCG
 * (this proves the boot sector and the isa-debug-exit wiring); the
 * choice must be TCG whenever /dev/kvm is missing, agree with a direct
 * KVM try otherwise, and V2K_ACCEL must override it.  Passes on machines
 * without /dev/kvm, with a broken one, and with a working one. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel.h"
#include "util.h"

START_TEST(test_probe_guest_answers_under_tcg)
{
    char why[200];
    double t0 = v2k_now();
    ck_assert_msg(v2k_accel_try("tcg", 30.0, why, sizeof why), "%s", why);
    ck_assert(strstr(why, "answered") != NULL);
    ck_assert(v2k_now() - t0 < 30.0);
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
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_probe_guest_answers_under_tcg);
    tcase_add_test(tc, test_unknown_accelerator_fails_cleanly);
    tcase_add_test(tc, test_choice_matches_the_machine);
    suite_add_tcase(s, tc);
    return s;
}
