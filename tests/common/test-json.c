/* test-json.c - the JSON writer escapes and nests correctly. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static char *
render(void (*fn)(struct v2k_json *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct v2k_json *j = v2k_json_new(fp, false);
    fn(j);
    v2k_json_free(j);
    fclose(fp);
    return buf;
}

static void
nested(struct v2k_json *j)
{
    v2k_json_begin_object(j);
    v2k_json_kv_string(j, "a", "x\"y\\z\n\x01");
    v2k_json_key(j, "list");
    v2k_json_begin_array(j);
    v2k_json_uint(j, 18446744073709551615ULL);
    v2k_json_int(j, -3);
    v2k_json_bool(j, true);
    v2k_json_null(j);
    v2k_json_string(j, NULL);
    v2k_json_end_array(j);
    v2k_json_key(j, "empty");
    v2k_json_begin_object(j);
    v2k_json_end_object(j);
    v2k_json_end_object(j);
}

START_TEST(test_json_escapes_and_nests)
{
    char *s = render(nested);
    ck_assert_str_eq(s, "{\"a\":\"x\\\"y\\\\z\\n\\u0001\",\"list\":"
                        "[18446744073709551615,-3,true,null,null],"
                        "\"empty\":{}}\n");
    free(s);
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("json");
    tcase_add_test(tc, test_json_escapes_and_nests);
    suite_add_tcase(s, tc);
    return s;
}
