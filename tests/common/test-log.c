/* test-log.c - messages cannot drive the terminal (issue #13 item 10):
 * control characters, C1 controls (raw or as UTF-8), invalid UTF-8 and
 * bidi overrides read from input files are printed as \x1b / \u202e
 * escapes in every kind of line, and the machine-readable lines stay
 * valid JSON. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char *
esc(const char *in)
{
    static char out[256];
    return v2k_log_escape(in, out, sizeof out);
}

START_TEST(test_escape_c0_del_and_keeps_plain_text)
{
    ck_assert_str_eq(esc("plain /path/a b.vmdk"), "plain /path/a b.vmdk");
    ck_assert_str_eq(esc("a\x1b[2Jb\x07" "c\x7f"), "a\\x1b[2Jb\\x07c\\x7f");
    ck_assert_str_eq(esc("line\nnext\rx\t"), "line\\x0anext\\x0dx\\x09");
}
END_TEST

START_TEST(test_escape_c1_raw_and_utf8)
{
    /* U+009B (CSI) as UTF-8, and a lone 0x9b byte (CSI on 8-bit
     * terminals), and a truncated UTF-8 sequence at the end. */
    ck_assert_str_eq(esc("x\xc2\x9b" "1m"), "x\\u009b1m");
    ck_assert_str_eq(esc("x\x9b" "1m"), "x\\x9b1m");
    ck_assert_str_eq(esc("end\xe2\x80"), "end\\xe2\\x80");
    /* Overlong encoding of ESC. */
    ck_assert_str_eq(esc("\xc0\x9b"), "\\xc0\\x9b");
}
END_TEST

START_TEST(test_escape_bidi_keeps_other_unicode)
{
    ck_assert_str_eq(esc("evil\xe2\x80\xae" "kdmv.exe"),
                     "evil\\u202ekdmv.exe");
    ck_assert_str_eq(esc("\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9"),
                     "\\u202a\\u2066\\u2069");
    /* Accents, CJK and emoji are kept as they are. */
    ck_assert_str_eq(esc("Caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80"),
                     "Caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
}
END_TEST

START_TEST(test_escape_cut_between_whole_escapes)
{
    char out[8];
    v2k_log_escape("ab\x1b\x1b", out, sizeof out);
    ck_assert_str_eq(out, "ab\\x1b");      /* not "ab\x1b\x" */
}
END_TEST

/* Run fn with stdout and stderr going to files; return what each got. */
static void
capture(void (*fn)(void), char *out, char *err, size_t len)
{
    char po[] = "/tmp/test-log-out.XXXXXX", pe[] = "/tmp/test-log-err.XXXXXX";
    int fo = mkstemp(po), fe = mkstemp(pe);
    int so = dup(1), se = dup(2);
    FILE *f;
    size_t n;

    ck_assert(fo >= 0 && fe >= 0 && so >= 0 && se >= 0);
    fflush(stdout);
    fflush(stderr);
    dup2(fo, 1);
    dup2(fe, 2);
    fn();
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    close(fo);
    close(fe);
    f = fopen(po, "r");
    n = fread(out, 1, len - 1, f);
    out[n] = '\0';
    fclose(f);
    f = fopen(pe, "r");
    n = fread(err, 1, len - 1, f);
    err[n] = '\0';
    fclose(f);
    unlink(po);
    unlink(pe);
}

#define EVIL "disk\x1b]0;pwned\x07\xc2\x9b\xe2\x80\xae.vmdk"
#define SAFE "disk\\x1b]0;pwned\\x07\\u009b\\u202e.vmdk"

static void
say_all(void)
{
    v2k_msg("copying %s", EVIL);
    v2k_warning("odd name %s", EVIL);
    v2k_debug("debug %s", EVIL);
    v2k_log_error("bad file " EVIL);
}

static bool
has_raw_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f || *p == 0x9b ||
            (p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0xae))
            return true;
    return false;
}

START_TEST(test_every_text_line_is_escaped)
{
    char out[4096], err[4096];

    v2k_log_init("test", 1, false, false, false);
    capture(say_all, out, err, sizeof out);
    ck_assert_msg(!has_raw_control(out), "stdout: %s", out);
    ck_assert_msg(!has_raw_control(err), "stderr: %s", err);
    ck_assert_ptr_nonnull(strstr(out, "copying " SAFE "\n"));
    ck_assert_ptr_nonnull(strstr(err, "test: warning: odd name " SAFE "\n"));
    ck_assert_ptr_nonnull(strstr(err, "test: debug: debug " SAFE "\n"));
    ck_assert_ptr_nonnull(strstr(err, "test: error: bad file " SAFE "\n"));
}
END_TEST

START_TEST(test_machine_readable_lines_are_json_and_escaped)
{
    char out[4096], err[4096];
    char *line, *save = NULL;
    int n = 0;

    v2k_log_init("test", 1, false, true, false);
    capture(say_all, out, err, sizeof out);
    ck_assert_msg(!has_raw_control(out), "stdout: %s", out);
    /* The escape's backslash is itself escaped for JSON: the string
     * value reads back as disk\x1b]0;... */
    for (line = strtok_r(out, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save), n++) {
        ck_assert_msg(line[0] == '{' && line[strlen(line) - 1] == '}',
                      "not one JSON object: %s", line);
        ck_assert_msg(strstr(line, "disk\\\\x1b]0;pwned\\\\x07\\\\u009b"
                               "\\\\u202e.vmdk\"") != NULL, "%s", line);
    }
    ck_assert_int_eq(n, 4);
    v2k_log_init("test", 0, false, false, false);
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("escape");
    tcase_add_test(tc, test_escape_c0_del_and_keeps_plain_text);
    tcase_add_test(tc, test_escape_c1_raw_and_utf8);
    tcase_add_test(tc, test_escape_bidi_keeps_other_unicode);
    tcase_add_test(tc, test_escape_cut_between_whole_escapes);
    tcase_add_test(tc, test_every_text_line_is_escaped);
    tcase_add_test(tc, test_machine_readable_lines_are_json_and_escaped);
    suite_add_tcase(s, tc);
    return s;
}
