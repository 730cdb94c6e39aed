/* test-util.c - number/size parsing refuses junk and overflow; zero
 * detection; names; UUIDs. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"

START_TEST(test_parse_u64_rejects_junk_and_overflow)
{
    uint64_t v;
    ck_assert_int_eq(v2k_parse_u64("18446744073709551615", "n", &v), 0);
    ck_assert(v == UINT64_MAX);
    ck_assert_int_eq(v2k_parse_u64("18446744073709551616", "n", &v), -1);
    ck_assert_str_eq(v2k_error_message(),
                     "n: '18446744073709551616' is too large");
    ck_assert_int_eq(v2k_parse_u64("12a", "count", &v), -1);
    ck_assert_str_eq(v2k_error_message(), "count: '12a' is not a whole number");
    ck_assert_int_eq(v2k_parse_u64("-1", "n", &v), -1);
    ck_assert_int_eq(v2k_parse_u64("", "n", &v), -1);
}
END_TEST

START_TEST(test_parse_size_units)
{
    uint64_t v;
    ck_assert_int_eq(v2k_parse_size("2G", "s", &v), 0);
    ck_assert(v == 2ULL << 30);
    ck_assert_int_eq(v2k_parse_size("512MiB", "s", &v), 0);
    ck_assert(v == 512ULL << 20);
    ck_assert_int_eq(v2k_parse_size("7", "s", &v), 0);
    ck_assert(v == 7);
    ck_assert_int_eq(v2k_parse_size("3X", "s", &v), -1);
    ck_assert_int_eq(v2k_parse_size("1Gb", "s", &v), -1);
    ck_assert_int_eq(v2k_parse_size("99999999999T", "s", &v), -1);
    ck_assert_int_eq(v2k_parse_size("G", "s", &v), -1);
}
END_TEST

START_TEST(test_is_zero)
{
    unsigned char buf[4096] = { 0 };
    ck_assert(v2k_is_zero(buf, sizeof buf));
    ck_assert(v2k_is_zero(buf, 0));
    ck_assert(v2k_is_zero(buf, 3));
    for (size_t i = 0; i < sizeof buf; i += 509) {
        buf[i] = 1;
        ck_assert(!v2k_is_zero(buf, sizeof buf));
        buf[i] = 0;
    }
    buf[4095] = 1;
    ck_assert(!v2k_is_zero(buf, sizeof buf));
    ck_assert(v2k_is_zero(buf, 4095));
}
END_TEST

START_TEST(test_basename_and_dirname)
{
    static const char *const exts[] = { ".img", ".raw", NULL };
    char *s = v2k_basename_noext("/a/b/web01.IMG", exts);
    ck_assert_str_eq(s, "web01");
    free(s);
    s = v2k_basename_noext("disk.vmdk", exts);
    ck_assert_str_eq(s, "disk.vmdk");
    free(s);
    s = v2k_dirname("/a/b/c");
    ck_assert_str_eq(s, "/a/b");
    free(s);
    s = v2k_dirname("c");
    ck_assert_str_eq(s, ".");
    free(s);
    s = v2k_dirname("/c");
    ck_assert_str_eq(s, "/");
    free(s);
}
END_TEST

START_TEST(test_line_keyword)
{
    const char *rest = NULL;
    ck_assert(v2k_line_keyword("  linux /vmlinuz ro", "linux", 0, &rest));
    ck_assert_str_eq(rest, " /vmlinuz ro");
    ck_assert(v2k_line_keyword("linux", "linux", 0, &rest));
    ck_assert_str_eq(rest, "");
    ck_assert(!v2k_line_keyword("linux16 /vmlinuz", "linux", 0, &rest));
    ck_assert(!v2k_line_keyword("#linux /vmlinuz", "linux", 0, &rest));
    ck_assert(!v2k_line_keyword("default=0", "default", 0, &rest));
    ck_assert(v2k_line_keyword("default=0", "default", V2K_KW_EQUALS, &rest));
    ck_assert_str_eq(rest, "=0");
    ck_assert(!v2k_line_keyword("DEFAULT x", "default", 0, NULL));
    ck_assert(v2k_line_keyword("\tDEFAULT x", "default", V2K_KW_NOCASE, NULL));
    ck_assert(!v2k_line_keyword("", "linux", 0, NULL));
}
END_TEST

START_TEST(test_uuid_is_version_4)
{
    char a[37], b[37];
    ck_assert_int_eq(v2k_uuid_generate(a), 0);
    ck_assert_int_eq(v2k_uuid_generate(b), 0);
    ck_assert_uint_eq(strlen(a), 36);
    ck_assert(a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
    ck_assert(a[14] == '4');
    ck_assert(strchr("89ab", a[19]) != NULL);
    ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(test_error_prepend_and_errno)
{
    v2k_error_errno(2, "%s", "/x");
    ck_assert_str_eq(v2k_error_message(), "/x: No such file or directory");
    v2k_error_prepend("disk %d: ", 1);
    ck_assert_str_eq(v2k_error_message(),
                     "disk 1: /x: No such file or directory");
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("util");
    tcase_add_test(tc, test_parse_u64_rejects_junk_and_overflow);
    tcase_add_test(tc, test_parse_size_units);
    tcase_add_test(tc, test_is_zero);
    tcase_add_test(tc, test_basename_and_dirname);
    tcase_add_test(tc, test_uuid_is_version_4);
    tcase_add_test(tc, test_line_keyword);
    tcase_add_test(tc, test_error_prepend_and_errno);
    suite_add_tcase(s, tc);
    return s;
}
