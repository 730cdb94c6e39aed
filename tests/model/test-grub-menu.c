/* test-grub-menu.c - the grub.cfg menu reader (model/grub-menu.h) that
 * the inspector (which kernel boots by default) and the kernel step
 * (what to make the default) share.  GRUB numbers menuentry AND submenu
 * blocks at each level; the inspector's old reader skipped submenus when
 * counting and so read "set default=2" on the menu below as the 5.10
 * entry, where GRUB boots the 6.1.0-9 fallback. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "grub-menu.h"

/* Debian 12's grub-mkconfig layout (10_linux: a simple entry, then the
 * "Advanced options" submenu), plus two hand-added top-level entries. */
static const char debian_cfg[] =
    "set default=\"2\"\n"
    "function load_video {\n"
    "  if [ x$feature_all_video_module = xy ]; then\n"
    "    insmod all_video\n"
    "  fi\n"
    "}\n"
    "### BEGIN /etc/grub.d/10_linux ###\n"
    "menuentry 'Debian GNU/Linux' --class debian --class gnu-linux "
    "--class os $menuentry_id_option 'gnulinux-simple-U' {\n"
    "\tload_video\n"
    "\tif [ x$feature_platform_search_hint = xy ]; then\n"
    "\t  search --no-floppy --fs-uuid --set=root U\n"
    "\tfi\n"
    "\techo\t'Loading Linux 6.1.0-10-amd64 ...'\n"
    "\tlinux\t/boot/vmlinuz-6.1.0-10-amd64 root=UUID=U ro  quiet\n"
    "\tinitrd\t/boot/initrd.img-6.1.0-10-amd64\n"
    "}\n"
    "submenu 'Advanced options for Debian GNU/Linux' "
    "$menuentry_id_option 'gnulinux-advanced-U' {\n"
    "\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-10-amd64' "
    "--class debian $menuentry_id_option "
    "'gnulinux-6.1.0-10-amd64-advanced-U' {\n"
    "\t\tlinux\t/boot/vmlinuz-6.1.0-10-amd64 root=UUID=U ro  quiet\n"
    "\t}\n"
    "\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-10-amd64 (recovery "
    "mode)' --class debian $menuentry_id_option "
    "'gnulinux-6.1.0-10-amd64-recovery-U' {\n"
    "\t\tlinux\t/boot/vmlinuz-6.1.0-10-amd64 root=UUID=U ro single\n"
    "\t}\n"
    "\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-9-amd64' "
    "--class debian $menuentry_id_option "
    "'gnulinux-6.1.0-9-amd64-advanced-U' {\n"
    "\t\tlinux\t/boot/vmlinuz-6.1.0-9-amd64 root=UUID=U ro  quiet\n"
    "\t}\n"
    "}\n"
    "### END /etc/grub.d/10_linux ###\n"
    "menuentry \"Debian fallback ${kver}\" {\n"
    "  linux (hd0,msdos1)/boot/vmlinuz-6.1.0-9-amd64 root=/dev/sda1\n"
    "}\n"
    "menuentry 'Debian 5.10 > old' {\n"
    "  linux /boot/vmlinuz-5.10.0-20-amd64 root=/dev/sda1\n"
    "}\n";

static struct v2k_grub_menu menu;

static void
setup(void)
{
    ck_assert_int_eq(v2k_grub_menu_parse(debian_cfg, &menu), 0);
}

static void
teardown(void)
{
    v2k_grub_menu_free(&menu);
}

/* The kernel of the entry a default value picks, or "none". */
static const char *
picked(const char *dflt)
{
    int i = v2k_grub_menu_find(&menu, dflt);
    if (i < 0)
        return "none";
    ck_assert(!menu.items[i].submenu);
    return menu.items[i].kernel ? menu.items[i].kernel : "no kernel";
}

START_TEST(test_items_numbered_as_grub)
{
    ck_assert_uint_eq(menu.n, 7);
    ck_assert_str_eq(menu.items[0].title, "Debian GNU/Linux");
    ck_assert_str_eq(menu.items[0].id, "gnulinux-simple-U");
    ck_assert(menu.items[1].submenu);
    ck_assert_int_eq(menu.items[1].parent, -1);
    ck_assert_uint_eq(menu.items[1].pos, 1);
    ck_assert_int_eq(menu.items[4].parent, 1);
    ck_assert_uint_eq(menu.items[4].pos, 2);
    ck_assert_str_eq(menu.items[5].title, "Debian fallback ${kver}");
    ck_assert_ptr_null(menu.items[5].id);
    ck_assert_int_eq(menu.items[5].parent, -1);
    ck_assert_uint_eq(menu.items[5].pos, 2);    /* the submenu counts */
    ck_assert_str_eq(menu.items[3].kernel_args, "root=UUID=U ro single");
}
END_TEST

START_TEST(test_default_numbers_count_submenus)
{
    ck_assert_str_eq(picked("0"), "/boot/vmlinuz-6.1.0-10-amd64");
    /* Item 2 is the fallback entry, not "5.10" (the third menuentry). */
    ck_assert_str_eq(picked("2"), "(hd0,msdos1)/boot/vmlinuz-6.1.0-9-amd64");
    ck_assert_str_eq(picked("3"), "/boot/vmlinuz-5.10.0-20-amd64");
    ck_assert_str_eq(picked("4"), "none");
    /* Into the submenu; a path ending on it boots its first entry. */
    ck_assert_str_eq(picked("1>2"), "/boot/vmlinuz-6.1.0-9-amd64");
    ck_assert_int_eq(v2k_grub_menu_find(&menu, "1>2"), 4);
    ck_assert_int_eq(v2k_grub_menu_find(&menu, "1"), 2);
    ck_assert_int_eq(v2k_grub_menu_find(&menu, "1>3"), -1);
}
END_TEST

START_TEST(test_default_ids_and_titles)
{
    ck_assert_int_eq(v2k_grub_menu_find(&menu, "gnulinux-advanced-U>"
                                        "gnulinux-6.1.0-9-amd64-advanced-U"),
                     4);
    ck_assert_int_eq(v2k_grub_menu_find(&menu,
                                        "Advanced options for Debian "
                                        "GNU/Linux>Debian GNU/Linux, with "
                                        "Linux 6.1.0-9-amd64"), 4);
    ck_assert_int_eq(v2k_grub_menu_find(&menu, "gnulinux-advanced-U>1"), 3);
    ck_assert_int_eq(v2k_grub_menu_find(&menu, "Debian GNU/Linux"), 0);
    ck_assert_int_eq(v2k_grub_menu_find(&menu, "Debian 5.10 >> old"), 6);
    /* Exact match only, as GRUB: a part of a title names nothing. */
    ck_assert_int_eq(v2k_grub_menu_find(&menu, "Debian"), -1);
    /* A submenu entry is not found from the top level. */
    ck_assert_int_eq(v2k_grub_menu_find(&menu,
                                        "gnulinux-6.1.0-9-amd64-advanced-U"),
                     -1);
}
END_TEST

/* What the kernel step writes, the inspector reads back. */
START_TEST(test_path_round_trip)
{
    for (size_t i = 0; i < menu.n; i++) {
        char *p = v2k_grub_menu_path(&menu, i);
        ck_assert_ptr_nonnull(p);
        if (!menu.items[i].submenu)
            ck_assert_int_eq(v2k_grub_menu_find(&menu, p), (int)i);
        free(p);
    }
    char *p = v2k_grub_menu_path(&menu, 4);
    ck_assert_str_eq(p, "gnulinux-advanced-U>gnulinux-6.1.0-9-amd64-"
                        "advanced-U");
    free(p);
    p = v2k_grub_menu_path(&menu, 6);
    ck_assert_str_eq(p, "Debian 5.10 >> old");
    free(p);
}
END_TEST

START_TEST(test_odd_input)
{
    struct v2k_grub_menu m;
    static const char cfg[] =
        "# menuentry 'commented' {\n"
        "}}}\n"
        "menuentry\n"
        "menuentry 'unclosed' {\r\n"
        "  linux /vmlinuz-1 a\r\n"
        "  menuentry 'nested in an entry' {\n";

    ck_assert_int_eq(v2k_grub_menu_parse(cfg, &m), 0);
    ck_assert_uint_eq(m.n, 3);
    ck_assert_str_eq(m.items[0].title, "");
    ck_assert_str_eq(m.items[1].kernel, "/vmlinuz-1");
    ck_assert_str_eq(m.items[1].kernel_args, "a");
    ck_assert_int_eq(m.items[2].parent, -1);
    ck_assert_int_eq(v2k_grub_menu_find(&m, "2"), 2);
    v2k_grub_menu_free(&m);
    ck_assert_int_eq(v2k_grub_menu_parse("", &m), 0);
    ck_assert_uint_eq(m.n, 0);
    ck_assert_int_eq(v2k_grub_menu_find(&m, "0"), -1);
    v2k_grub_menu_free(&m);
}
END_TEST

Suite *make_suite(void);

Suite *
make_suite(void)
{
    Suite *s = suite_create("grub-menu");
    TCase *tc = tcase_create("menu");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_items_numbered_as_grub);
    tcase_add_test(tc, test_default_numbers_count_submenus);
    tcase_add_test(tc, test_default_ids_and_titles);
    tcase_add_test(tc, test_path_round_trip);
    tcase_add_test(tc, test_odd_input);
    suite_add_tcase(s, tc);
    return s;
}
