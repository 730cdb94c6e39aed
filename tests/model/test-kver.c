/* test-kver.c - kernel version order (model/kver.h), the one the
 * inspector sorts with and the kernel step chooses with. */
#include <check.h>

#include "kver.h"

START_TEST(test_kver_order)
{
    ck_assert_int_gt(v2k_kver_cmp("6.1.0-28-amd64", "6.1.0-9-amd64"), 0);
    ck_assert_int_lt(v2k_kver_cmp("2.6.18-8.el5", "2.6.18-398.el5"), 0);
    ck_assert_int_gt(v2k_kver_cmp("5.14.0-70.el9.x86_64",
                                  "4.18.0-553.el8.x86_64"), 0);
    ck_assert_int_eq(v2k_kver_cmp("3.10.0", "3.10.0"), 0);
    ck_assert_int_eq(v2k_kver_cmp("3.10.010", "3.10.10"), 0);
    /* More parts: newer (the Xen flavour sorts above the plain one). */
    ck_assert_int_gt(v2k_kver_cmp("2.6.18-8.el5xen", "2.6.18-8.el5"), 0);
    ck_assert_int_gt(v2k_kver_cmp("99999999999999999999", "1"), 0);
}
END_TEST

/* The two old copies disagreed here: a byte compare put "80.el8" above
 * "80.1.el8" ('e' > '1'); RHEL's z-stream kernels are newer. */
START_TEST(test_kver_zstream)
{
    ck_assert_int_gt(v2k_kver_cmp("4.18.0-80.1.2.el8_0.x86_64",
                                  "4.18.0-80.el8.x86_64"), 0);
    ck_assert_int_lt(v2k_kver_cmp("4.18.0-80.el8.x86_64",
                                  "4.18.0-80.1.2.el8_0.x86_64"), 0);
    ck_assert_int_lt(v2k_kver_cmp("6.1.0-28-amd64", "6.1.0-28-rt-amd64"),
                     0);
}
END_TEST

START_TEST(test_kver_parse)
{
    unsigned a, b, c;

    v2k_kver_parse("2.6.32-754.el6.x86_64", &a, &b, &c);
    ck_assert_uint_eq(a, 2);
    ck_assert_uint_eq(b, 6);
    ck_assert_uint_eq(c, 32);
    v2k_kver_parse("6.1.0-28-amd64", &a, &b, &c);
    ck_assert_uint_eq(a, 6);
    ck_assert_uint_eq(b, 1);
    ck_assert_uint_eq(c, 0);
    v2k_kver_parse("4.19-rc1", &a, &b, NULL);
    ck_assert_uint_eq(a, 4);
    ck_assert_uint_eq(b, 19);
}
END_TEST

Suite *make_suite(void);

Suite *
make_suite(void)
{
    Suite *s = suite_create("kver");
    TCase *tc = tcase_create("kver");

    tcase_add_test(tc, test_kver_order);
    tcase_add_test(tc, test_kver_zstream);
    tcase_add_test(tc, test_kver_parse);
    suite_add_tcase(s, tc);
    return s;
}
