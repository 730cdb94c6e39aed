/* grub-menu.h - the boot menu of a GRUB 2 grub.cfg, as GRUB numbers it.
 * One reader for the inspector (which kernel does the guest boot by
 * default) and the kernel step (what to set the default to).
 *
 * GRUB 2 semantics (grub-core/normal/menu.c, get_entry_number and
 * get_and_remove_first_entry_number; GRUB manual, "default"): a menu's
 * items are its menuentry AND submenu blocks, numbered from 0 in order;
 * a submenu opens a menu of its own, numbered from 0 again.  `set
 * default=` / GRUB_DEFAULT / grubenv's saved_entry is a '>'-separated
 * path, one component per menu level ("1>2": the third entry of the
 * second top-level item, a submenu); each component is a number, an id
 * (--id / $menuentry_id_option) or a title, compared exactly (">>"
 * stands for a literal '>').  A path that ends on a submenu boots that
 * submenu's first entry (its own default is then empty, so 0).
 *
 * The reader is line based, as grub-mkconfig writes the file: a line
 * whose first word is menuentry/submenu opens an item; braces count
 * nesting; the first linux/linux16/linuxefi line inside a menuentry gives
 * its kernel.  Untrusted input: at most V2K_GRUB_MAX_ITEMS items, names
 * capped at 255 bytes.  Pure: no I/O.
 */
#ifndef V2K_GRUB_MENU_H
#define V2K_GRUB_MENU_H

#include <stdbool.h>
#include <stddef.h>

#define V2K_GRUB_MAX_ITEMS 1000

struct v2k_grub_item {
    char *title;                /* "Debian GNU/Linux, with Linux 6.1.0-9" */
    char *id;                   /* "gnulinux-6.1.0-9-amd64-advanced-UUID",
                                   NULL when the entry has none */
    bool submenu;
    int parent;                 /* index of the enclosing submenu, -1 at
                                   the top level */
    unsigned pos;               /* GRUB's number in the parent's menu */
    char *kernel;               /* first word of the first linux line
                                   ("/vmlinuz-6.1.0-9-amd64",
                                   "(hd0,1)/vmlinuz"), NULL if none */
    char *kernel_args;          /* the rest of that line, "" if none */
};

/* Items in file order; all strings owned (v2k_grub_menu_free). */
struct v2k_grub_menu {
    struct v2k_grub_item *items;
    size_t n;
};

/* Read cfg (NUL-terminated).  -1 with a message only on out-of-memory;
 * anything it does not understand is skipped. */
int v2k_grub_menu_parse(const char *cfg, struct v2k_grub_menu *m);
void v2k_grub_menu_free(struct v2k_grub_menu *m);

/* The menuentry GRUB boots for a default/saved_entry value, as an index
 * into m->items, or -1 when the path names no item (GRUB itself would
 * then fall back to entry 0: the caller decides). */
int v2k_grub_menu_find(const struct v2k_grub_menu *m, const char *path);

/* The path that names item i, ids where the items have one, else titles
 * ('>' in them doubled), e.g. "gnulinux-advanced-U>gnulinux-6.1-U".
 * Malloc'd; NULL with a message on out-of-memory. */
char *v2k_grub_menu_path(const struct v2k_grub_menu *m, size_t i);

#endif
