/* test-transport-uri.c - the transport scheme table: which schemes are
 * remote, the refused and unknown schemes' messages, and the one rule
 * for absolute backing names (v2k_transport_may_follow), which comes
 * from the transport an image is read through and not from its caller:
 * the same qcow2 with an absolute backing name is followed from a local
 * file and refused from a transport that is not one (here a memory
 * buffer, as for a remote or an archive transport). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "format.h"
#include "transport.h"
#include "util.h"

START_TEST(test_uri_remote_schemes_from_table)
{
    ck_assert(v2k_uri_is_remote("sftp://h/p"));
    ck_assert(v2k_uri_is_remote("SSH://h/p"));
    ck_assert(v2k_uri_is_remote("https://h/p?q=1"));
    ck_assert(v2k_uri_is_remote("http://h/p"));
    ck_assert(!v2k_uri_is_remote("file:///tmp/x"));
    ck_assert(!v2k_uri_is_remote("/tmp/sftp://x"));
    ck_assert(!v2k_uri_is_remote("gopher://h/p"));
    ck_assert(v2k_uri_is_remote("nbd://h:10809/e"));
    ck_assert(v2k_uri_is_remote("nbd+unix:///e?socket=/s"));
    for (const struct v2k_transport_scheme *e = v2k_transport_schemes();
         e->scheme; e++) {
        ck_assert_msg(e->open != NULL || e->why_not != NULL, "%s",
                      e->scheme);
        /* Exactly one of local and remote. */
        ck_assert(!(e->flags & V2K_TRANSPORT_REMOTE) !=
                  !(e->flags & V2K_TRANSPORT_LOCAL));
        /* Only local schemes may follow absolute names. */
        if (e->flags & V2K_TRANSPORT_FOLLOWS_ABSOLUTE)
            ck_assert(e->flags & V2K_TRANSPORT_LOCAL);
    }
}
END_TEST

START_TEST(test_uri_unknown_and_refused_schemes)
{
    ck_assert_ptr_null(v2k_transport_open_uri("gopher://h/x", NULL));
    ck_assert_str_eq(v2k_error_message(),
                     "gopher://h/x: unsupported URI scheme 'gopher' "
                     "(supported: file, sftp, ssh, https, nbd, nbd+unix, "
                     "nbds, nbds+unix)");
    ck_assert_ptr_null(v2k_transport_open_uri("http://h/x", NULL));
    ck_assert_msg(strstr(v2k_error_message(),
                         "http://h/x: plain http is not supported") != NULL,
                  "%s", v2k_error_message());
}
END_TEST

START_TEST(test_absolute_backing_follows_the_transport)
{
    char dir[] = "/tmp/v2k-test-uri.XXXXXX";
    char cmd[512], top[300];
    struct v2k_transport *t;
    struct v2k_image *img;
    char *buf;
    size_t len;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(top, sizeof top, "%s/top.qcow2", dir);
    snprintf(cmd, sizeof cmd,
             "qemu-img create -q -f qcow2 %s/base.qcow2 1M && "
             "qemu-img create -q -f qcow2 -b %s/base.qcow2 -F qcow2 %s",
             dir, dir, top);
    ck_assert_int_eq(system(cmd), 0);

    /* A local file: the absolute name is followed. */
    t = v2k_transport_open_uri(top, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert(v2k_transport_may_follow(t, "/abs"));
    img = v2k_image_open_transport(t, NULL, NULL);
    ck_assert_msg(img != NULL, "%s", v2k_error_message());
    v2k_image_close(img);

    /* The same bytes through a transport that is not a local file:
     * refused by the rule, before any sibling is opened. */
    buf = v2k_read_file(top, 1 << 20, &len);
    ck_assert_ptr_nonnull(buf);
    t = v2k_transport_memory_open("mem.qcow2", buf, len);
    ck_assert_ptr_nonnull(t);
    ck_assert(!v2k_transport_may_follow(t, "/abs"));
    ck_assert(v2k_transport_may_follow(t, "rel/name"));
    img = v2k_image_open_transport(t, NULL, NULL);
    ck_assert_ptr_null(img);
    ck_assert_msg(strstr(v2k_error_message(),
                         "mem.qcow2: refusing to follow absolute backing "
                         "name '") != NULL, "%s", v2k_error_message());
    free(buf);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("transport-uri");
    TCase *tc = tcase_create("transport-uri");

    tcase_add_test(tc, test_uri_remote_schemes_from_table);
    tcase_add_test(tc, test_uri_unknown_and_refused_schemes);
    tcase_add_test(tc, test_absolute_backing_follows_the_transport);
    suite_add_tcase(s, tc);
    return s;
}
