/* test-guest-read-appliance.c - the guest-file checks and reads
 * (inspectors/guest-read.h) on a real appliance: a scratch disk with an
 * ext4 filesystem holding a file larger than two pread round trips, a
 * symlink to it, a dangling symlink, an empty file and a directory.
 * Reads must return the bytes libguestfs wrote, whole; copy_out must
 * produce the same file on the host; the checks must follow symlinks as
 * stat(2) does. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "guest-read.h"
#include "guestfs-handle.h"

#define PATTERN "0123456789abcdefghijklmnopqrstuvwxyz!"
#define BIG ((5u << 19) + 3)    /* 2.5 MiB + 3: three pread pieces */

static char *
expected(size_t n)
{
    char *e = malloc(n);
    ck_assert_ptr_nonnull(e);
    for (size_t i = 0; i < n; i++)
        e[i] = PATTERN[i % strlen(PATTERN)];
    return e;
}

START_TEST(test_reads_on_appliance)
{
    guestfs_h *g = v2k_guestfs_create();
    char *e = expected(BIG), *data, host[] = "/tmp/v2k-test-gr-XXXXXX";
    size_t len = 0;
    int fd;

    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(guestfs_add_drive_scratch(g, 64 << 20, -1), 0);
    ck_assert_msg(guestfs_launch(g) == 0, "launch: %s",
                  guestfs_last_error(g));
    ck_assert_int_eq(guestfs_mkfs(g, "ext4", "/dev/sda"), 0);
    ck_assert_int_eq(guestfs_mount(g, "/dev/sda", "/"), 0);
    ck_assert_int_eq(guestfs_fill_pattern(g, PATTERN, BIG, "/big"), 0);
    ck_assert_int_eq(guestfs_ln_s(g, "big", "/link"), 0);
    ck_assert_int_eq(guestfs_ln_s(g, "nothing", "/dangling"), 0);
    ck_assert_int_eq(guestfs_touch(g, "/empty"), 0);
    ck_assert_int_eq(guestfs_mkdir(g, "/dir"), 0);

    ck_assert(v2k_gf_is_file(g, "/big"));
    ck_assert(v2k_gf_is_file(g, "/link"));
    ck_assert(!v2k_gf_is_file(g, "/dangling"));
    ck_assert(!v2k_gf_is_file(g, "/dir"));
    ck_assert(!v2k_gf_is_file(g, "/missing"));
    ck_assert(v2k_gf_is_dir(g, "/dir"));
    ck_assert(!v2k_gf_is_dir(g, "/big"));
    ck_assert(v2k_gf_is_symlink(g, "/dangling"));
    ck_assert(v2k_gf_exists(g, "/dangling"));    /* it is there */
    ck_assert(!v2k_gf_exists(g, "/missing"));

    /* Whole, through the symlink, in several pread pieces. */
    data = v2k_gf_read_max(g, "t", "/link", BIG, &len);
    ck_assert_msg(data != NULL, "%s", v2k_error_message());
    ck_assert_uint_eq(len, BIG);
    ck_assert(memcmp(data, e, BIG) == 0);
    ck_assert_int_eq(data[BIG], '\0');
    free(data);

    /* Over the limit, not a file, empty. */
    ck_assert_ptr_null(v2k_gf_read_max(g, "t", "/big", BIG - 1, NULL));
    ck_assert_ptr_nonnull(strstr(v2k_error_message(), "t: /big: "));
    ck_assert_ptr_nonnull(strstr(v2k_error_message(), "more than"));
    ck_assert_ptr_null(v2k_gf_read(g, "t", "/dir", NULL));
    ck_assert_str_eq(v2k_error_message(), "t: /dir: no such file");
    data = v2k_gf_read(g, "t", "/empty", &len);
    ck_assert_ptr_nonnull(data);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(data, "");
    free(data);

    /* Copied out to the host: the same bytes. */
    fd = mkstemp(host);
    ck_assert_int_ge(fd, 0);
    ck_assert_msg(v2k_gf_copy_out(g, "t", "/link", fd, host) == 0, "%s",
                  v2k_error_message());
    ck_assert_int_eq(lseek(fd, 0, SEEK_END), BIG);
    data = malloc(BIG);
    ck_assert_ptr_nonnull(data);
    ck_assert_int_eq(pread(fd, data, BIG, 0), BIG);
    ck_assert(memcmp(data, e, BIG) == 0);
    free(data);
    ck_assert_int_eq(v2k_gf_copy_out(g, "t", "/dangling", fd, host), -1);
    ck_assert_str_eq(v2k_error_message(), "t: /dangling: no such file");
    close(fd);
    unlink(host);

    free(e);
    guestfs_close(g);
}
END_TEST

Suite *make_suite(void);

Suite *
make_suite(void)
{
    Suite *s = suite_create("guest-read-appliance");
    TCase *tc = tcase_create("appliance");

    tcase_set_timeout(tc, 900);         /* a launch under TCG */
    tcase_add_test(tc, test_reads_on_appliance);
    suite_add_tcase(s, tc);
    return s;
}
