/* test-edit-set.c - the set of guest files the steps edited belongs to
 * the step context (convert.h struct v2k_edit_set), so two conversions
 * in one process (the batch runner) do not see each other's edits: a
 * step of conversion A runs all of conversion B's steps on another
 * handle, then A's set must hold A's files only, B's set B's only.  With
 * one static list (before), B's run emptied A's and A saw B's files.
 * The handles are never launched: v2k_log_edit only needs the handle to
 * find the running context. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "log.h"

static struct v2k_convert_ctx *ctx_b;
static const struct v2k_step *steps_b;
static const char *seen_in_a;

static int
edit_b(struct v2k_convert_ctx *ctx)
{
    v2k_log_edit(ctx->g, "b", "/etc/fstab", "sda1", "vda1");
    return 0;
}

static int
edit_a(struct v2k_convert_ctx *ctx)
{
    v2k_log_edit(ctx->g, "a", "/etc/default/grub", "x", "y");
    /* Conversion B, whole, in the middle of A. */
    ck_assert_int_eq(v2k_run_steps(ctx_b, steps_b), 0);
    v2k_log_edit(ctx->g, "a", "/etc/modprobe.d/x.conf", NULL, "removed");
    seen_in_a = v2k_edited(ctx, "/etc/fstab");
    return 0;
}

static const struct v2k_step table_a[] = {
    { "a", "Step A", NULL, edit_a },
    { NULL, NULL, NULL, NULL },
};
static const struct v2k_step table_b[] = {
    { "b", "Step B", NULL, edit_b },
    { NULL, NULL, NULL, NULL },
};

START_TEST(test_two_contexts_apart)
{
    guestfs_h *ga = guestfs_create(), *gb = guestfs_create();
    struct v2k_convert_ctx a = { .g = ga }, b = { .g = gb };

    ck_assert_ptr_nonnull(ga);
    ck_assert_ptr_nonnull(gb);
    ctx_b = &b;
    steps_b = table_b;
    ck_assert_int_eq(v2k_run_steps(&a, table_a), 0);
    ck_assert_ptr_null(seen_in_a);
    ck_assert_str_eq(v2k_edited(&a, "/etc/default/*"), "/etc/default/grub");
    ck_assert_str_eq(v2k_edited(&a, "/etc/modprobe.d/*.conf"),
                     "/etc/modprobe.d/x.conf");
    ck_assert_ptr_null(v2k_edited(&a, "/etc/fstab"));
    ck_assert_str_eq(v2k_edited(&b, "/etc/fstab"), "/etc/fstab");
    ck_assert_ptr_null(v2k_edited(&b, "/etc/default/*"));
    ck_assert_uint_eq(a.edited.n, 2);
    ck_assert_uint_eq(b.edited.n, 1);

    /* Outside a run the handle carries no set: nothing is recorded. */
    v2k_log_edit(ga, "later", "/etc/hosts", NULL, "changed");
    ck_assert_ptr_null(v2k_edited(&a, "/etc/hosts"));

    /* A new run starts empty. */
    ck_assert_int_eq(v2k_run_steps(&b, (const struct v2k_step[]){
                                            { NULL, NULL, NULL, NULL } }),
                     0);
    ck_assert_ptr_null(v2k_edited(&b, "/etc/fstab"));

    v2k_edit_set_clear(&a.edited);
    v2k_edit_set_clear(&b.edited);
    ck_assert_uint_eq(a.edited.n, 0);
    guestfs_close(ga);
    guestfs_close(gb);
}
END_TEST

/* Past V2K_MAX_EDITED files the set answers "assume edited". */
static int
edit_many(struct v2k_convert_ctx *ctx)
{
    char f[32];
    for (int i = 0; i < V2K_MAX_EDITED + 1; i++) {
        snprintf(f, sizeof f, "/etc/f%d", i);
        v2k_log_edit(ctx->g, "many", f, NULL, "changed");
    }
    return 0;
}

START_TEST(test_overflow_assumes_the_worst)
{
    static const struct v2k_step t[] = {
        { "many", "Many edits", NULL, edit_many },
        { NULL, NULL, NULL, NULL },
    };
    guestfs_h *g = guestfs_create();
    struct v2k_convert_ctx c = { .g = g };

    ck_assert_int_eq(v2k_run_steps(&c, t), 0);
    ck_assert_ptr_nonnull(v2k_edited(&c, "/etc/not-edited"));
    v2k_edit_set_clear(&c.edited);
    ck_assert_ptr_null(v2k_edited(&c, "/etc/not-edited"));
    guestfs_close(g);
}
END_TEST

Suite *make_suite(void);

Suite *
make_suite(void)
{
    Suite *s = suite_create("edit-set");
    TCase *tc = tcase_create("contexts");

    tcase_add_test(tc, test_two_contexts_apart);
    tcase_add_test(tc, test_overflow_assumes_the_worst);
    suite_add_tcase(s, tc);
    return s;
}
