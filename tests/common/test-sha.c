/* test-sha.c - SHA-1 and SHA-256 agree with the FIPS 180-4 examples and
 * with coreutils' sha1sum/sha256sum on data fed in odd-sized pieces
 * (every buffering path of update and both padding cases of final). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sha.h"

static void
sha1_hex(const void *p, size_t n, size_t step, char out[41])
{
    struct v2k_sha1 c;
    uint8_t d[V2K_SHA1_LEN];
    const uint8_t *b = p;

    v2k_sha1_init(&c);
    for (size_t i = 0; i < n; i += step)
        v2k_sha1_update(&c, b + i, n - i < step ? n - i : step);
    v2k_sha1_final(&c, d);
    v2k_sha_hex(d, sizeof d, out);
}

static void
sha256_hex(const void *p, size_t n, size_t step, char out[65])
{
    struct v2k_sha256 c;
    uint8_t d[V2K_SHA256_LEN];
    const uint8_t *b = p;

    v2k_sha256_init(&c);
    for (size_t i = 0; i < n; i += step)
        v2k_sha256_update(&c, b + i, n - i < step ? n - i : step);
    v2k_sha256_final(&c, d);
    v2k_sha_hex(d, sizeof d, out);
}

/* An error path gives up a used context: what it owned is freed (the
 * ASan build's leak check fails the test otherwise), and the context can
 * be discarded again or started afresh. */
START_TEST(test_sha_discard)
{
    struct v2k_sha256 c;
    uint8_t d[V2K_SHA256_LEN];
    char h[65];

    v2k_sha256_init(&c);
    v2k_sha256_update(&c, "abc", 3);
    ck_assert_ptr_nonnull(c.c.md);
    v2k_sha_discard(&c.c);
    ck_assert_ptr_null(c.c.md);
    v2k_sha_discard(&c.c);
    v2k_sha256_update(&c, "abc", 3);
    ck_assert_int_eq(v2k_sha256_final(&c, d), 0);
    v2k_sha_hex(d, sizeof d, h);
    ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(test_sha_fips_examples)
{
    char h1[41], h2[65];

    sha1_hex("abc", 3, 3, h1);
    ck_assert_str_eq(h1, "a9993e364706816aba3e25717850c26c9cd0d89d");
    sha256_hex("abc", 3, 3, h2);
    ck_assert_str_eq(h2, "ba7816bf8f01cfea414140de5dae2223"
                         "b00361a396177a9cb410ff61f20015ad");
    sha1_hex("", 0, 1, h1);
    ck_assert_str_eq(h1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    sha256_hex("", 0, 1, h2);
    ck_assert_str_eq(h2, "e3b0c44298fc1c149afbf4c8996fb924"
                         "27ae41e4649b934ca495991b7852b855");
}
END_TEST

/* Lengths around the 55/56/64-byte padding edges and a large buffer,
 * each hashed in pieces of 1, 7, 64 and 1000 bytes, against the
 * coreutils tools. */
START_TEST(test_sha_matches_coreutils)
{
    static const size_t lens[] = { 1, 55, 56, 63, 64, 65, 119, 120, 1000,
                                   300007 };
    static const size_t steps[] = { 1, 7, 64, 1000 };
    uint8_t *buf = malloc(300007);
    char path[] = "/tmp/v2k-test-sha.XXXXXX";

    ck_assert_ptr_nonnull(buf);
    for (size_t i = 0; i < 300007; i++)
        buf[i] = (uint8_t)(i * 2654435761u >> 13);
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t n = lens[li];
        char cmd[128], want1[41] = "", want2[65] = "", h1[41], h2[65];
        int fd = mkstemp(path);
        FILE *p;

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
        close(fd);
        snprintf(cmd, sizeof cmd, "sha1sum %s", path);
        p = popen(cmd, "r");
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(fread(want1, 1, 40, p), 40);
        pclose(p);
        snprintf(cmd, sizeof cmd, "sha256sum %s", path);
        p = popen(cmd, "r");
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(fread(want2, 1, 64, p), 64);
        pclose(p);
        unlink(path);
        snprintf(path, sizeof path, "/tmp/v2k-test-sha.XXXXXX");
        for (size_t si = 0; si < sizeof steps / sizeof steps[0]; si++) {
            sha1_hex(buf, n, steps[si], h1);
            ck_assert_str_eq(h1, want1);
            sha256_hex(buf, n, steps[si], h2);
            ck_assert_str_eq(h2, want2);
        }
    }
    free(buf);
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("sha");
    TCase *tc = tcase_create("sha");

    tcase_add_test(tc, test_sha_fips_examples);
    tcase_add_test(tc, test_sha_matches_coreutils);
    tcase_add_test(tc, test_sha_discard);
    suite_add_tcase(s, tc);
    return s;
}
