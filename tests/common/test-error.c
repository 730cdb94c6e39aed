/* test-error.c - a message too long for the buffer keeps its head and
 * its end (the cause) and elides the middle (issue #13 item 12: a parent
 * loop nested 64 deep lost "loop" when the message was cut at 1 KiB). */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "error.h"

START_TEST(test_short_messages_are_whole)
{
    v2k_error("a %s b", "x");
    v2k_error_prepend("ctx: ");
    ck_assert_str_eq(v2k_error_message(), "ctx: a x b");
    v2k_error_errno(ENOENT, "%s", "f");
    ck_assert_str_eq(v2k_error_message(), "f: No such file or directory");
}
END_TEST

START_TEST(test_prepend_keeps_the_cause)
{
    char name[201];
    const char *m;

    memset(name, 'n', 200);
    name[200] = '\0';
    v2k_error("%s: backing chain deeper than 64 images (a loop?)", name);
    for (int i = 0; i < 64; i++)
        v2k_error_prepend("%s: cannot open the parent '%s': ", name, name);
    m = v2k_error_message();
    ck_assert_uint_eq(strlen(m), V2K_ERROR_MAX - 1);
    ck_assert(strncmp(m, name, 200) == 0);
    ck_assert_ptr_nonnull(strstr(m, " [...] "));
    ck_assert_str_eq(m + strlen(m) - strlen("(a loop?)"), "(a loop?)");
}
END_TEST

START_TEST(test_long_formats_keep_their_end)
{
    char big[3000];
    const char *m;

    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    v2k_error("%s: the cause", big);
    m = v2k_error_message();
    ck_assert_str_eq(m + strlen(m) - strlen(": the cause"), ": the cause");
    v2k_error_errno(EACCES, "%s", big);
    m = v2k_error_message();
    ck_assert_str_eq(m + strlen(m) - strlen("Permission denied"),
                     "Permission denied");
}
END_TEST

START_TEST(test_cut_between_utf8_characters)
{
    char big[2100];
    const char *m;
    size_t n = 0;

    /* "é" (2 bytes) over and over: no cut may leave half of one. */
    while (n + 2 < sizeof big) {
        big[n++] = '\xc3';
        big[n++] = '\xa9';
    }
    big[n] = '\0';
    v2k_error("%s", big);
    m = v2k_error_message();
    for (const char *p = m; *p; p++)
        if (*p == '\xc3')
            ck_assert_int_eq(p[1], '\xa9');
        else if (*p == '\xa9')
            ck_assert(p > m && p[-1] == '\xc3');
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("error");
    TCase *tc = tcase_create("error");
    tcase_add_test(tc, test_short_messages_are_whole);
    tcase_add_test(tc, test_prepend_keeps_the_cause);
    tcase_add_test(tc, test_long_formats_keep_their_end);
    tcase_add_test(tc, test_cut_between_utf8_characters);
    suite_add_tcase(s, tc);
    return s;
}
