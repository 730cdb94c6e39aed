/* v2k_jsonline_raw and v2k_jsonline_each (common/jsonline.h): the
 * nested members of v2kvm's --print-guest and --print-source JSON as
 * v2kvm-batch inspect reads them (mountpoints[], kernels[], disks[]),
 * and the malformed arrays it must not half-read. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonline.h"

struct seen {
    char el[8][128];
    size_t n;
};

static void
collect(void *ctx, const char *el)
{
    struct seen *s = ctx;

    if (s->n < 8)
        snprintf(s->el[s->n], sizeof s->el[0], "%s", el);
    s->n++;
}

static const char guest[] =
    "{\"family\":\"linux\",\"type\":\"linux\",\"mountpoints\":"
    "[{\"mountpoint\":\"/\",\"device\":\"/dev/sda2\",\"fstype\":\"ext4\","
    "\"size_bytes\":100663296,\"free_bytes\":1048576},"
    " {\"mountpoint\":\"/b]oot\",\"device\":\"/dev/sda1\"}],"
    "\"kernels\":[],\"windows\":null}";

START_TEST(test_raw_returns_a_nested_member_whole)
{
    char *m = v2k_jsonline_raw(guest, "mountpoints");
    char *k = v2k_jsonline_raw(guest, "kernels");
    char *w = v2k_jsonline_raw(guest, "windows");
    char *f = v2k_jsonline_raw(guest, "family");

    ck_assert_ptr_nonnull(m);
    ck_assert(m[0] == '[' && m[strlen(m) - 1] == ']');
    ck_assert_ptr_nonnull(strstr(m, "/b]oot"));
    ck_assert_str_eq(k, "[]");
    ck_assert_str_eq(w, "null");
    ck_assert_str_eq(f, "\"linux\"");
    /* Only the top level: "device" is inside mountpoints. */
    ck_assert_ptr_null(v2k_jsonline_raw(guest, "device"));
    ck_assert_ptr_null(v2k_jsonline_raw(guest, "nosuch"));
    ck_assert_ptr_null(v2k_jsonline_raw("[1,2]", "a"));
    free(m);
    free(k);
    free(w);
    free(f);
}
END_TEST

START_TEST(test_each_gives_every_element_readable)
{
    char *m = v2k_jsonline_raw(guest, "mountpoints");
    struct seen s = { .n = 0 };
    char buf[64];
    double v = 0;

    ck_assert_int_eq(v2k_jsonline_each(m, collect, &s), 0);
    ck_assert_uint_eq(s.n, 2);
    ck_assert(v2k_jsonline_str(s.el[0], "mountpoint", buf, sizeof buf));
    ck_assert_str_eq(buf, "/");
    ck_assert(v2k_jsonline_num(s.el[0], "free_bytes", &v));
    ck_assert(v == 1048576);
    ck_assert(v2k_jsonline_str(s.el[1], "mountpoint", buf, sizeof buf));
    ck_assert_str_eq(buf, "/b]oot");
    free(m);

    s.n = 0;
    ck_assert_int_eq(v2k_jsonline_each(" [ ] ", collect, &s), 0);
    ck_assert_uint_eq(s.n, 0);
    ck_assert_int_eq(v2k_jsonline_each("[1, \"a,b\", [2,3], null]", collect,
                                       &s), 0);
    ck_assert_uint_eq(s.n, 4);
    ck_assert_str_eq(s.el[1], "\"a,b\"");
    ck_assert_str_eq(s.el[2], "[2,3]");
}
END_TEST

/* A truncated or broken array calls fn for nothing: inspect must not
 * add up half the disks of a line cut short. */
START_TEST(test_each_refuses_malformed_arrays_whole)
{
    static const char *const bad[] = {
        "[{\"size_bytes\":1},{\"size_bytes\":2}", "[1,2,]", "[1 2]",
        "{\"a\":1}", "[\"unterminated]", "[1]]", "", "[tru]",
    };
    struct seen s = { .n = 0 };

    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(v2k_jsonline_each(bad[i], collect, &s) == -1, "%s",
                      bad[i]);
        ck_assert_uint_eq(s.n, 0);
    }
}
END_TEST

/* Nesting deeper than the reader's bound is malformed, not a stack
 * overflow. */
START_TEST(test_each_bounds_nesting)
{
    char deep[2 * 200 + 1];
    struct seen s = { .n = 0 };

    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    deep[400] = '\0';
    ck_assert_int_eq(v2k_jsonline_each(deep, collect, &s), -1);
    ck_assert_uint_eq(s.n, 0);
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("jsonline");
    TCase *tc = tcase_create("jsonline");
    tcase_add_test(tc, test_raw_returns_a_nested_member_whole);
    tcase_add_test(tc, test_each_gives_every_element_readable);
    tcase_add_test(tc, test_each_refuses_malformed_arrays_whole);
    tcase_add_test(tc, test_each_bounds_nesting);
    suite_add_tcase(s, tc);
    return s;
}
