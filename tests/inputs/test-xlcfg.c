/* test-xlcfg.c - the xl.cfg tokenizer: strings in both quotes with
 * escapes, numbers, lists over several lines with comments and a
 * trailing comma, ';' separators, backslash continuations, "+=",
 * later settings replacing earlier ones, and syntax errors naming the
 * line; all from memory buffers (not NUL-terminated). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "inputs/xlcfg.h"

static struct v2k_xlcfg *
parse(const char *text)
{
    /* Copy without the NUL so reading past the end shows under ASan. */
    size_t len = strlen(text);
    char *buf = malloc(len ? len : 1);
    struct v2k_xlcfg *c;

    memcpy(buf, text, len);
    c = v2k_xlcfg_parse(buf, len, "t.cfg");
    free(buf);
    return c;
}

START_TEST(test_values)
{
    struct v2k_xlcfg *c = parse(
        "# comment\n"
        "name = \"a \\\"b\\\" \\\\ c\"   # trailing comment\n"
        "kernel='/boot/vmlinuz'; memory = 512\n"
        "vcpus=2;maxvcpus = 0x10\n"
        "disk = [ 'phy:/dev/vg/lv,xvda,w', # first\n"
        "\n"
        "         \"file:/x.img,xvdb,w\", ]\n"
        "vif = []\n"
        "extra = \"console=hvc0\" \\\n"
        "\n"
        "memory = 1024\n"
        "extra += \" quiet\"\n"
        "disk += [ 'c.img,,xvdc' ]\n"
        "neg = -1\r\n");
    const struct v2k_xlcfg_setting *s;
    const char *v;
    uint64_t n;

    ck_assert_msg(c != NULL, "%s", v2k_error_message());
    ck_assert_int_eq(v2k_xlcfg_get_string(c, "name", &v), 1);
    ck_assert_str_eq(v, "a \"b\" \\ c");
    ck_assert_int_eq(v2k_xlcfg_get_string(c, "kernel", &v), 1);
    ck_assert_str_eq(v, "/boot/vmlinuz");
    ck_assert_int_eq(v2k_xlcfg_get_u64(c, "memory", &n), 1);
    ck_assert_uint_eq(n, 1024);             /* the later one wins */
    ck_assert_uint_eq(v2k_xlcfg_get(c, "memory")->line, 11);
    ck_assert_int_eq(v2k_xlcfg_get_u64(c, "vcpus", &n), 1);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(v2k_xlcfg_get_u64(c, "maxvcpus", &n), -1);
    ck_assert(strstr(v2k_error_message(), "t.cfg:4: maxvcpus: '0x10'"));
    s = v2k_xlcfg_get(c, "disk");
    ck_assert_int_eq(s->type, V2K_XLCFG_LIST);
    ck_assert_uint_eq(s->nitems, 3);
    ck_assert_str_eq(s->items[0].text, "phy:/dev/vg/lv,xvda,w");
    ck_assert_uint_eq(s->items[0].line, 5);
    ck_assert_str_eq(s->items[1].text, "file:/x.img,xvdb,w");
    ck_assert_uint_eq(s->items[1].line, 7);
    ck_assert_str_eq(s->items[2].text, "c.img,,xvdc");
    ck_assert_uint_eq(v2k_xlcfg_get(c, "vif")->nitems, 0);
    ck_assert_int_eq(v2k_xlcfg_get_string(c, "extra", &v), 1);
    ck_assert_str_eq(v, "console=hvc0 quiet");
    ck_assert_int_eq(v2k_xlcfg_get_string(c, "disk", &v), -1);
    ck_assert(strstr(v2k_error_message(), "disk: expected a string"));
    ck_assert_int_eq(v2k_xlcfg_get_string(c, "nosuch", &v), 0);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(v2k_xlcfg_get_string(c, "neg", &v), 1);
    ck_assert_str_eq(v, "-1");
    ck_assert_int_eq(v2k_xlcfg_get_u64(c, "neg", &n), -1);
    v2k_xlcfg_free(c);
    v2k_xlcfg_free(NULL);
}
END_TEST

START_TEST(test_empty)
{
    struct v2k_xlcfg *c = parse("");
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(c->nsettings, 0);
    v2k_xlcfg_free(c);
    c = parse("\n# only a comment");
    ck_assert_ptr_nonnull(c);
    v2k_xlcfg_free(c);
}
END_TEST

START_TEST(test_errors)
{
    static const struct { const char *in, *msg; } cases[] = {
        { "a = \"x",
          "t.cfg:1: unterminated string, found the end of the file" },
        { "a = 'x\n'", "t.cfg:1: unterminated string" },
        { "a\n= 1",
          "t.cfg:1: expected '=' after 'a', found the end of the line" },
        { "\n\na = ", "t.cfg:3: expected a value" },
        { "a = b", "t.cfg:1: expected a value (a quoted string, a number "
                   "or a list), found 'b'" },
        { "a = [ 1 2 ]", "t.cfg:1: expected ',' or ']' in a list, found '2'" },
        { "a = [ [ 1 ] ]", "t.cfg:1: expected a value" },
        { "a = [ 'x',\n\n", "t.cfg:3: expected a value" },
        { "a = 1 2", "t.cfg:1: expected the end of the setting, found '2'" },
        { "a = 'x\\q'", "unknown escape '\\q'" },
        { "a = 'x'\n1 = 2",
          "t.cfg:2: expected a setting (KEY = VALUE), found '1'" },
        { "a = \"\x01\"\n\x7f",
          "t.cfg:2: expected a setting (KEY = VALUE), found byte 0x7f" },
        { "a = [1]\na += 'x'",
          "t.cfg:2: a += : cannot append a single value to a list" },
        { "a = 1\na += [2]",
          "t.cfg:2: a += : cannot append a list to a single value" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct v2k_xlcfg *c = parse(cases[i].in);
        ck_assert_msg(c == NULL, "case %zu parsed", i);
        ck_assert_msg(strstr(v2k_error_message(), cases[i].msg),
                      "case %zu: '%s'", i, v2k_error_message());
    }
}
END_TEST

START_TEST(test_limits)
{
    size_t n = 5000 * 4 + 16, len = 0;
    char *buf = malloc(n);
    struct v2k_xlcfg *c;

    len += (size_t)snprintf(buf, n, "a = [");
    for (int i = 0; i < 5000; i++)
        len += (size_t)snprintf(buf + len, n - len, "1,");
    len += (size_t)snprintf(buf + len, n - len, "]");
    c = v2k_xlcfg_parse(buf, len, "t.cfg");
    ck_assert_ptr_null(c);
    ck_assert(strstr(v2k_error_message(), "more than 4096 items in a list"));
    free(buf);
    c = v2k_xlcfg_parse("a = 1", (2U << 20), "t.cfg");  /* not read */
    ck_assert_ptr_null(c);
    ck_assert(strstr(v2k_error_message(), "more than the 1048576 allowed"));
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("xlcfg");
    TCase *tc = tcase_create("xlcfg");
    tcase_add_test(tc, test_values);
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_limits);
    suite_add_tcase(s, tc);
    return s;
}
