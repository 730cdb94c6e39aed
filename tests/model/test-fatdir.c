/* test-fatdir.c - a loader in an EFI system partition (model/fatdir.h),
 * on real FAT12, FAT16 and FAT32 file systems made here by mkfs.fat and
 * filled by mtools (dosfstools, mtools: scripts/setup.sh), then damaged
 * byte by byte: a directory chain that loops, a volume cut short, a boot
 * sector that is not FAT, a read that fails. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fatdir.h"

struct mem {
    uint8_t *b;
    size_t len;
    int fail_at;                /* fail the read number fail_at (1-based) */
    int reads;
};

static int
mem_read(void *opaque, void *buf, size_t len, uint64_t off)
{
    struct mem *m = opaque;

    if (++m->reads == m->fail_at) {
        v2k_error("disk.img: read failed");
        return -1;
    }
    ck_assert_uint_le(off + len, m->len);   /* never past the size given */
    memcpy(buf, m->b + off, len);
    return 0;
}

/* Make a FAT image with mkfs.fat ARGS of kib KiB, run the mtools
 * commands in script (with $I the image, $D a scratch directory) and
 * load it into *m. */
static void
mkfat(struct mem *m, const char *args, unsigned kib, const char *script)
{
    const char *tmp = getenv("V2K_TEST_TMPDIR");
    char img[512], cmd[4096];
    FILE *fp;
    long len;

    ck_assert_ptr_nonnull(tmp);
    snprintf(img, sizeof img, "%s/test-fatdir.img", tmp);
    snprintf(cmd, sizeof cmd,
             "set -e; export PATH=$PATH:/usr/sbin:/sbin MTOOLS_SKIP_CHECK=1; "
             "I='%s'; D='%s/test-fatdir.d'; rm -rf \"$I\" \"$D\"; "
             "mkdir \"$D\"; mkfs.fat -C %s \"$I\" %u >/dev/null; %s",
             img, tmp, args, kib, script);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
    fp = fopen(img, "rb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
    len = ftell(fp);
    ck_assert_int_gt(len, 0);
    rewind(fp);
    m->len = (size_t)len;
    m->b = malloc(m->len);
    ck_assert_ptr_nonnull(m->b);
    ck_assert_uint_eq(fread(m->b, 1, m->len, fp), m->len);
    fclose(fp);
    m->reads = 0;
    m->fail_at = 0;
}

static int
look(struct mem *m, char *loader)
{
    m->reads = 0;
    return v2k_fat_find_loader(mem_read, m, m->len, loader, 48);
}

START_TEST(test_fat12_debian_grub)
{
    struct mem m;
    char loader[48];

    /* Debian's grub-install --no-uefi-secure-boot: the distro directory
     * only, lower-case long names (mtools writes 8.3 aliases beside) */
    mkfat(&m, "-F 12", 4096,
          "mmd -i \"$I\" ::/EFI ::/EFI/debian; echo x >\"$D/grubx64.efi\"; "
          "echo c >\"$D/grub.cfg\"; "
          "mcopy -i \"$I\" \"$D/grub.cfg\" \"$D/grubx64.efi\" ::/EFI/debian/");
    ck_assert_int_eq(look(&m, loader), V2K_ESP_LOADER);
    ck_assert_str_eq(loader, "\\EFI\\DEBIAN\\GRUBX64.EFI");

    /* the read that fails: an error, not an answer */
    for (int i = 1; i <= 3; i++) {
        m.fail_at = i;
        m.reads = 0;
        ck_assert_int_eq(v2k_fat_find_loader(mem_read, &m, m.len, loader,
                                             sizeof loader), -1);
        ck_assert_str_eq(v2k_error_message(), "disk.img: read failed");
    }
    m.fail_at = 0;

    /* cut short: no read past what is given, whatever it finds */
    for (size_t cut = 0; cut < m.len; cut += 511) {
        int r;

        m.reads = 0;
        r = v2k_fat_find_loader(mem_read, &m, cut, loader, sizeof loader);
        ck_assert(r == V2K_ESP_NOT_FAT || r == V2K_ESP_NO_LOADER ||
                  r == V2K_ESP_LOADER);
    }
    ck_assert_int_eq(v2k_fat_find_loader(mem_read, &m, 300, loader,
                                         sizeof loader), V2K_ESP_NOT_FAT);
    ck_assert_str_eq(loader, "");

    /* not a boot sector: no jump, or no signature */
    m.b[0] = 0;
    ck_assert_int_eq(look(&m, loader), V2K_ESP_NOT_FAT);
    m.b[0] = 0xEB;
    m.b[511] = 0;
    ck_assert_int_eq(look(&m, loader), V2K_ESP_NOT_FAT);
    free(m.b);
}
END_TEST

START_TEST(test_fat16_fallback_only)
{
    struct mem m;
    char loader[48];

    mkfat(&m, "-F 16", 20480,
          "mmd -i \"$I\" ::/EFI ::/EFI/BOOT; echo x >\"$D/BOOTX64.EFI\"; "
          "mcopy -i \"$I\" \"$D/BOOTX64.EFI\" ::/EFI/BOOT/");
    ck_assert_int_eq(look(&m, loader), V2K_ESP_LOADER);
    ck_assert_str_eq(loader, "\\EFI\\BOOT\\BOOTX64.EFI");
    free(m.b);

    /* Windows: \EFI\Microsoft\Boot\bootmgfw.efi, a level deeper, and
     * no fallback loader */
    mkfat(&m, "-F 16", 20480,
          "mmd -i \"$I\" ::/EFI ::/EFI/Microsoft ::/EFI/Microsoft/Boot; "
          "echo x >\"$D/bootmgfw.efi\"; echo b >\"$D/BCD\"; "
          "mcopy -i \"$I\" \"$D/BCD\" \"$D/bootmgfw.efi\" "
          "::/EFI/Microsoft/Boot/");
    ck_assert_int_eq(look(&m, loader), V2K_ESP_LOADER);
    ck_assert_str_eq(loader, "\\EFI\\MICROS~1\\BOOT\\BOOTMGFW.EFI");
    free(m.b);

    /* *.efi in the root or in \EFI itself does not start anything */
    mkfat(&m, "-F 16", 20480,
          "mmd -i \"$I\" ::/EFI ::/EFI/debian; echo x >\"$D/grubx64.efi\"; "
          "mcopy -i \"$I\" \"$D/grubx64.efi\" ::/; "
          "mcopy -i \"$I\" \"$D/grubx64.efi\" ::/EFI/");
    ck_assert_int_eq(look(&m, loader), V2K_ESP_NO_LOADER);
    ck_assert_str_eq(loader, "");
    free(m.b);
}
END_TEST

/* The first cluster of the directory entry named name83 (11 bytes). */
static uint32_t
dir_cluster(const struct mem *m, const char *name83)
{
    for (size_t i = 0; i + 32 <= m->len; i += 32)
        if (memcmp(m->b + i, name83, 11) == 0 && (m->b[i + 11] & 0x10))
            return (uint32_t)(m->b[i + 26] | m->b[i + 27] << 8 |
                              m->b[i + 20] << 16 | m->b[i + 21] << 24);
    ck_abort_msg("no directory entry %s", name83);
    return 0;
}

START_TEST(test_fat32_long_directory)
{
    struct mem m;
    char loader[48];
    uint32_t c;
    unsigned rsvd;

    /* 512-byte clusters: \EFI\ubuntu's 40 files with long names spread
     * over several clusters, shimx64.efi last */
    mkfat(&m, "-F 32 -s 1", 40960,
          "mmd -i \"$I\" ::/EFI ::/EFI/ubuntu; "
          "for i in $(seq 10 49); do echo $i >\"$D/config-file-$i.cfg\"; "
          "done; echo x >\"$D/shimx64.efi\"; "
          "mcopy -i \"$I\" \"$D\"/config-file-*.cfg ::/EFI/ubuntu/; "
          "mcopy -i \"$I\" \"$D/shimx64.efi\" ::/EFI/ubuntu/");
    ck_assert_int_eq(look(&m, loader), V2K_ESP_LOADER);
    ck_assert_str_eq(loader, "\\EFI\\UBUNTU\\SHIMX64.EFI");

    /* the directory's chain made to loop on its first cluster: the walk
     * ends, bounded, without the loader */
    c = dir_cluster(&m, "UBUNTU     ");
    rsvd = (unsigned)(m.b[14] | m.b[15] << 8);
    ck_assert_uint_ge(c, 2);
    for (int k = 0; k < 4; k++)
        m.b[rsvd * 512 + c * 4 + k] = (uint8_t)(c >> (8 * k));
    ck_assert_int_eq(look(&m, loader), V2K_ESP_NO_LOADER);
    /* two walks of it (its files, then its subdirectories), each a
     * cluster read and a FAT read per step up to the directory bound */
    ck_assert_uint_le((unsigned)m.reads,
                      4 * (V2K_FAT_MAX_DIR_BYTES / 512) + 16);
    free(m.b);

    /* an empty ESP, and one with GRUB's config but no binary */
    mkfat(&m, "-F 32", 40960, ":");
    ck_assert_int_eq(look(&m, loader), V2K_ESP_NO_LOADER);
    free(m.b);
    mkfat(&m, "-F 32", 40960,
          "mmd -i \"$I\" ::/EFI ::/EFI/debian; echo c >\"$D/grub.cfg\"; "
          "mcopy -i \"$I\" \"$D/grub.cfg\" ::/EFI/debian/");
    ck_assert_int_eq(look(&m, loader), V2K_ESP_NO_LOADER);
    free(m.b);
}
END_TEST

START_TEST(test_not_fat)
{
    uint8_t b[4096] = { 0 };
    struct mem m = { .b = b, .len = sizeof b };
    char loader[48];

    ck_assert_int_eq(look(&m, loader), V2K_ESP_NOT_FAT);
    m.len = 0;
    ck_assert_int_eq(look(&m, loader), V2K_ESP_NOT_FAT);
    ck_assert_int_eq(m.reads, 0);
}
END_TEST

Suite *make_suite(void);

Suite *
make_suite(void)
{
    Suite *s = suite_create("fatdir");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_fat12_debian_grub);
    tcase_add_test(tc, test_fat16_fallback_only);
    tcase_add_test(tc, test_fat32_long_directory);
    tcase_add_test(tc, test_not_fat);
    suite_add_tcase(s, tc);
    return s;
}
