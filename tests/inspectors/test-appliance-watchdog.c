/* test-appliance-watchdog.c - the appliance watchdog without an appliance:
 * V2K_APPLIANCE_TIMEOUT is checked (one message naming it), 0 attaches
 * nothing, a handle closed without a launch has no thread to leak, and a
 * launch that hangs in its "qemu" (a script named qemu-system-x86_64 that
 * never answers, set with guestfs_set_hv) is stopped after the bound: the
 * call fails, the watchdog says so and names 'launch', within seconds. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance-watchdog.h"
#include "error.h"
#include "util.h"

static guestfs_h *
handle(void)
{
    guestfs_h *g = guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT);
    ck_assert_ptr_nonnull(g);
    guestfs_set_error_handler(g, NULL, NULL);
    return g;
}

START_TEST(test_bad_bound_is_one_message)
{
    static const char *const bad[] = { "abc", "-1", "10s", "86401", " 5" };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        guestfs_h *g = handle();
        char want[128];
        setenv("V2K_APPLIANCE_TIMEOUT", bad[i], 1);
        v2k_error_clear();
        ck_assert_int_eq(v2k_watchdog_attach(g), -1);
        snprintf(want, sizeof want, "V2K_APPLIANCE_TIMEOUT '%s': expected "
                 "whole seconds from 0 (no bound) to 86400", bad[i]);
        ck_assert_str_eq(v2k_error_message(), want);
        guestfs_close(g);
    }
    unsetenv("V2K_APPLIANCE_TIMEOUT");
}
END_TEST

START_TEST(test_zero_and_unlaunched)
{
    guestfs_h *g = handle();

    setenv("V2K_APPLIANCE_TIMEOUT", "0", 1);
    ck_assert_int_eq(v2k_watchdog_attach(g), 0);
    ck_assert(!v2k_watchdog_fired(g));
    guestfs_close(g);

    g = handle();
    setenv("V2K_APPLIANCE_TIMEOUT", "1", 1);
    ck_assert_int_eq(v2k_watchdog_attach(g), 0);
    ck_assert_int_eq(guestfs_set_memsize(g, 512), 0);
    sleep(2);           /* no launch: no bound running */
    ck_assert(!v2k_watchdog_fired(g));
    guestfs_close(g);   /* frees the watchdog (ASan: no leak) */
    unsetenv("V2K_APPLIANCE_TIMEOUT");
}
END_TEST

/* A "qemu" in a new directory dir (a mkdtemp template) that never
 * answers (not even qemu -help); it sleeps 1 s at a time so nothing
 * outlives the kill for long holding libguestfs's pipe.  Its path in hv. */
static void
hung_qemu(char *dir, char *hv, size_t size)
{
    FILE *f;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(hv, size, "%s/qemu-system-x86_64", dir);
    f = fopen(hv, "w");
    ck_assert_ptr_nonnull(f);
    fputs("#!/bin/sh\nwhile :; do sleep 1; done\n", f);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(chmod(hv, 0755), 0);
}

START_TEST(test_hung_launch_is_stopped)
{
    char dir[] = "/tmp/v2k-watchdog-XXXXXX", hv[64];
    guestfs_h *g;
    double t0;
    int r;

    hung_qemu(dir, hv, sizeof hv);

    g = handle();
    setenv("V2K_APPLIANCE_TIMEOUT", "3", 1);
    ck_assert_int_eq(v2k_watchdog_attach(g), 0);
    ck_assert_int_eq(guestfs_set_backend(g, "direct"), 0);
    ck_assert_int_eq(guestfs_set_hv(g, hv), 0);
    ck_assert_int_eq(guestfs_add_drive_scratch(g, 1 << 20, -1), 0);
    t0 = v2k_now();
    r = guestfs_launch(g);
    ck_assert_int_eq(r, -1);
    ck_assert(v2k_watchdog_fired(g));
    v2k_watchdog_error(g);
    ck_assert_msg(strstr(v2k_error_message(), "appliance: the libguestfs "
                         "call 'launch' made no progress for 3 s and the "
                         "appliance was stopped (its qemu killed; "
                         "V2K_APPLIANCE_TIMEOUT=3 sets this bound") != NULL,
                  "%s", v2k_error_message());
    /* The supermin check before qemu may take a while on a busy host;
     * the hung "qemu" itself lasts at most the bound and a second. */
    ck_assert_msg(v2k_now() - t0 < 120.0, "%.1f s", v2k_now() - t0);
    guestfs_close(g);
    unsetenv("V2K_APPLIANCE_TIMEOUT");
    unlink(hv);
    rmdir(dir);
}
END_TEST

/* The probe stops a hung launch long before the bound: on its third
 * call (about 2 s after the launch began). */
static bool
probe_third(void *arg)
{
    unsigned *calls = arg;

    return ++*calls >= 3;
}

START_TEST(test_probe_stops_at_once)
{
    char dir[] = "/tmp/v2k-watchdog-XXXXXX", hv[64];
    guestfs_h *g;
    unsigned calls = 0;
    double t0;

    hung_qemu(dir, hv, sizeof hv);

    g = handle();
    setenv("V2K_APPLIANCE_TIMEOUT", "3600", 1);
    ck_assert_int_eq(v2k_watchdog_attach(g), 0);
    v2k_watchdog_set_probe(g, probe_third, &calls);
    ck_assert_int_eq(guestfs_set_backend(g, "direct"), 0);
    ck_assert_int_eq(guestfs_set_hv(g, hv), 0);
    ck_assert_int_eq(guestfs_add_drive_scratch(g, 1 << 20, -1), 0);
    t0 = v2k_now();
    ck_assert_int_eq(guestfs_launch(g), -1);
    ck_assert(v2k_watchdog_fired(g));
    ck_assert(v2k_watchdog_probe_fired(g));
    ck_assert_uint_ge(calls, 3);
    ck_assert_msg(v2k_now() - t0 < 120.0, "%.1f s", v2k_now() - t0);
    guestfs_close(g);
    unsetenv("V2K_APPLIANCE_TIMEOUT");
    unlink(hv);
    rmdir(dir);
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("appliance-watchdog");
    TCase *tc = tcase_create("watchdog");

    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_bad_bound_is_one_message);
    tcase_add_test(tc, test_zero_and_unlaunched);
    tcase_add_test(tc, test_hung_launch_is_stopped);
    tcase_add_test(tc, test_probe_stops_at_once);
    suite_add_tcase(s, tc);
    return s;
}
