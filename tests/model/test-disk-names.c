/* test-disk-names.c - the converted VM's device names
 * (model/disk-names.h), shared by the domain XML and the fstab map. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "disk-names.h"
#include "source.h"

START_TEST(test_letters)
{
    char b[8];

    ck_assert_int_eq(v2k_disk_letters(0, b, sizeof b), 0);
    ck_assert_str_eq(b, "a");
    ck_assert_int_eq(v2k_disk_letters(25, b, sizeof b), 0);
    ck_assert_str_eq(b, "z");
    ck_assert_int_eq(v2k_disk_letters(26, b, sizeof b), 0);
    ck_assert_str_eq(b, "aa");
    ck_assert_int_eq(v2k_disk_letters(701, b, sizeof b), 0);
    ck_assert_str_eq(b, "zz");
    ck_assert_int_eq(v2k_disk_letters(702, b, sizeof b), 0);
    ck_assert_str_eq(b, "aaa");
    ck_assert_int_eq(v2k_disk_letters(702, b, 3), -1);
    ck_assert_int_eq(v2k_disk_letters_index("a", 1), 0);
    ck_assert_int_eq(v2k_disk_letters_index("ab", 2), 27);
    ck_assert_int_eq(v2k_disk_letters_index("zz", 2), 701);
    ck_assert_int_eq(v2k_disk_letters_index("A", 1), -1);
    ck_assert_int_eq(v2k_disk_letters_index("abc", 3), -1);
    ck_assert_str_eq(v2k_disk_name("vd", 0, b, sizeof b), "vda");
    ck_assert_str_eq(v2k_disk_name("sd", 701, b, sizeof b), "sdzz");
    ck_assert_str_eq(v2k_disk_name("sd", 702, b, sizeof b), "sdaaa");
    for (int i = 0; i < 702; i++) {
        v2k_disk_letters((size_t)i, b, sizeof b);
        ck_assert_int_eq(v2k_disk_letters_index(b, strlen(b)), i);
    }
}
END_TEST

/* cdrom, disk, floppy, disk, cdrom */
static struct v2k_source *
mixed(void)
{
    static const enum v2k_device devs[] = {
        V2K_DEV_CDROM, V2K_DEV_DISK, V2K_DEV_FLOPPY, V2K_DEV_DISK,
        V2K_DEV_CDROM,
    };
    struct v2k_source *s = v2k_source_new();

    for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++)
        v2k_source_add_disk(s)->device = devs[i];
    return s;
}

static void
expect(const struct v2k_disk_target *t, const char *dev, const char *bus)
{
    ck_assert_str_eq(t->dev, dev);
    if (bus)
        ck_assert_str_eq(t->bus, bus);
    else
        ck_assert_ptr_null(t->bus);
}

/* A CD-ROM before a disk does not shift the disks' letters, also when
 * they share the sd/hd prefix; CD-ROMs come after the disks then. */
START_TEST(test_cdroms_do_not_shift_disks)
{
    struct v2k_source *s = mixed();
    struct v2k_disk_target t[5];

    v2k_disk_targets(s, V2K_BLOCK_VIRTIO_BLK, V2K_MACHINE_Q35, t);
    expect(&t[0], "sda", "sata");
    expect(&t[1], "vda", "virtio");
    expect(&t[2], "", NULL);
    expect(&t[3], "vdb", "virtio");
    expect(&t[4], "sdb", "sata");
    v2k_disk_targets(s, V2K_BLOCK_VIRTIO_SCSI, V2K_MACHINE_Q35, t);
    expect(&t[0], "sdc", "sata");
    expect(&t[1], "sda", "scsi");
    expect(&t[3], "sdb", "scsi");
    expect(&t[4], "sdd", "sata");
    v2k_disk_targets(s, V2K_BLOCK_SATA, V2K_MACHINE_Q35, t);
    expect(&t[0], "sdc", "sata");
    expect(&t[1], "sda", "sata");
    expect(&t[3], "sdb", "sata");
    v2k_disk_targets(s, V2K_BLOCK_IDE, V2K_MACHINE_PC, t);
    expect(&t[0], "hdc", "ide");
    expect(&t[1], "hda", "ide");
    expect(&t[3], "hdb", "ide");
    expect(&t[4], "hdd", "ide");
    v2k_disk_targets(s, V2K_BLOCK_VIRTIO_SCSI, V2K_MACHINE_PC, t);
    expect(&t[0], "hda", "ide");
    expect(&t[1], "sda", "scsi");
    v2k_source_free(s);
}
END_TEST

Suite *make_suite(void);

Suite *
make_suite(void)
{
    Suite *s = suite_create("disk-names");
    TCase *tc = tcase_create("names");

    tcase_add_test(tc, test_letters);
    tcase_add_test(tc, test_cdroms_do_not_shift_disks);
    suite_add_tcase(s, tc);
    return s;
}
