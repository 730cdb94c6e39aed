/* test-remote.c - the pool and retry policy the remote transports share
 * (formats/remote.h): the pool reuses what is given back and drops what
 * is broken; the retries stop after V2K_REMOTE_RETRIES failures in a row
 * or once the stall budget (2 x the stall time without progress) is
 * spent -- the bound that keeps a stalled server from holding a read for
 * minutes -- and progress starts both counts again. */
#include <check.h>
#include <stdlib.h>
#include <time.h>

#include "remote.h"

static int made, dropped;

static void *
make(void *arg)
{
    (void)arg;
    made++;
    return malloc(1);
}

static void
drop(void *c)
{
    dropped++;
    free(c);
}

START_TEST(test_remote_pool_reuses_and_drops)
{
    struct v2k_remote_pool p;
    void *a, *b, *c;

    made = dropped = 0;
    v2k_remote_pool_init(&p, 2);
    a = v2k_remote_pool_get(&p, make, NULL);
    b = v2k_remote_pool_get(&p, make, NULL);
    ck_assert_int_eq(made, 2);
    v2k_remote_pool_put(&p, a, true, drop);
    c = v2k_remote_pool_get(&p, make, NULL);     /* the idle one */
    ck_assert_ptr_eq(c, a);
    ck_assert_int_eq(made, 2);
    v2k_remote_pool_put(&p, b, false, drop);      /* broken */
    ck_assert_int_eq(dropped, 1);
    b = v2k_remote_pool_get(&p, make, NULL);     /* room for a new one */
    ck_assert_int_eq(made, 3);
    v2k_remote_pool_put(&p, b, true, drop);
    v2k_remote_pool_put(&p, c, true, drop);
    v2k_remote_pool_destroy(&p, drop);
    ck_assert_int_eq(dropped, 3);
}
END_TEST

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Stall time 1 s: budget 2 s.  Back-offs 0.25, 0.5, 1 fit; the next
 * (2 s) would end past the budget, so the 4th failure gives up, well
 * before the 6 attempts of the failure count. */
START_TEST(test_retry_stops_at_the_stall_budget)
{
    struct v2k_retry r;
    double t0 = now();
    unsigned n = 0;

    v2k_retry_start(&r, 1);
    while (v2k_retry_again(&r, false))
        n++;
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(r.attempts, 4);
    ck_assert(now() - t0 < 2.5);
    ck_assert_uint_eq(v2k_retry_stalled_s(&r), 2);
}
END_TEST

/* Progress resets both counts: failures with progress never give up;
 * then V2K_REMOTE_RETRIES failures in a row without it do. */
START_TEST(test_retry_progress_resets)
{
    struct v2k_retry r;
    unsigned n = 0;

    v2k_retry_start(&r, 3600);
    for (int i = 0; i < 8; i++)
        ck_assert(v2k_retry_again(&r, true));
    ck_assert_uint_eq(r.fails, 1);
    v2k_retry_progress(&r);
    ck_assert_uint_eq(v2k_retry_stalled_s(&r), 0);
    while (v2k_retry_again(&r, false))
        n++;
    ck_assert_uint_eq(n, V2K_REMOTE_RETRIES - 1);
    ck_assert_uint_eq(r.fails, V2K_REMOTE_RETRIES + 1);
}
END_TEST

START_TEST(test_remote_stall_time_from_env)
{
    setenv("V2K_STALL_TIME", "7", 1);
    ck_assert_uint_eq(v2k_remote_stall_time(30), 7);
    setenv("V2K_STALL_TIME", "0", 1);
    ck_assert_uint_eq(v2k_remote_stall_time(30), 30);
    setenv("V2K_STALL_TIME", "5x", 1);
    ck_assert_uint_eq(v2k_remote_stall_time(30), 30);
    unsetenv("V2K_STALL_TIME");
    ck_assert_uint_eq(v2k_remote_stall_time(30), 30);
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("remote");
    TCase *tc = tcase_create("remote");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_remote_pool_reuses_and_drops);
    tcase_add_test(tc, test_retry_stops_at_the_stall_budget);
    tcase_add_test(tc, test_retry_progress_resets);
    tcase_add_test(tc, test_remote_stall_time_from_env);
    suite_add_tcase(s, tc);
    return s;
}
