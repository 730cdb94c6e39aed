/* test-guest-read.c - the guest-file checks and reads that the
 * inspectors and the rewrite steps share (inspectors/guest-read.h), on a
 * handle that was never launched: every libguestfs call fails there, and
 * the contract is that a check then says "no" and a read fails with one
 * message naming what and the path.  (Answers on real guests are
 * covered by inspectors/test-inspect-phony and
 * drivers-inject/test-linux-boot-steps.) */
#include <check.h>
#include <string.h>

#include "error.h"
#include "guest-read.h"

static guestfs_h *g;

static void
setup(void)
{
    g = guestfs_create();
    ck_assert_ptr_nonnull(g);
    guestfs_set_error_handler(g, NULL, NULL);
}

static void
teardown(void)
{
    guestfs_close(g);
}

START_TEST(test_checks_say_no_on_error)
{
    static const char *const paths[] = { "/etc/fstab", "/boot", NULL };

    ck_assert(!v2k_gf_exists(g, "/etc/fstab"));
    ck_assert(!v2k_gf_is_file(g, "/etc/fstab"));
    ck_assert(!v2k_gf_is_dir(g, "/etc"));
    ck_assert(!v2k_gf_is_symlink(g, "/lib"));
    ck_assert_ptr_null(v2k_gf_first_file(g, paths));
}
END_TEST

START_TEST(test_read_fails_with_context)
{
    size_t len = 7;

    v2k_error_clear();
    ck_assert_ptr_null(v2k_gf_read_max(g, "devices", "/etc/fstab", 100,
                                       &len));
    ck_assert_str_eq(v2k_error_message(), "devices: /etc/fstab: no such file");
    ck_assert_uint_eq(len, 7);
    ck_assert_ptr_null(v2k_gf_read(g, "inspect", "/etc/os-release", NULL));
    ck_assert_str_eq(v2k_error_message(),
                     "inspect: /etc/os-release: no such file");
}
END_TEST

START_TEST(test_error_line)
{
    char buf[64];

    /* A failed call leaves libguestfs's message; we keep its last line. */
    ck_assert_int_eq(guestfs_filesize(g, "/x"), -1);
    v2k_gf_last_error_line(g, buf, sizeof buf);
    ck_assert(strlen(buf) > 0);
    ck_assert_ptr_null(strchr(buf, '\n'));
    v2k_gf_error(g, "kernel", "/boot/grub/grub.cfg", "stat");
    ck_assert(strncmp(v2k_error_message(), "kernel: /boot/grub/grub.cfg: "
                      "stat: ", 35) == 0);
}
END_TEST

Suite *make_suite(void);

Suite *
make_suite(void)
{
    Suite *s = suite_create("guest-read");
    TCase *tc = tcase_create("unlaunched");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_checks_say_no_on_error);
    tcase_add_test(tc, test_read_fails_with_context);
    tcase_add_test(tc, test_error_line);
    suite_add_tcase(s, tc);
    return s;
}
