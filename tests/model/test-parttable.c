/* test-parttable.c - the partition table's evidence for BIOS or UEFI
 * (model/parttable.h), on tables built here byte by byte; the real ones
 * (sfdisk/guestfish-made GPT and MBR disks) are read by
 * tests/cli/test-firmware.sh. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parttable.h"

static const uint8_t esp_guid[16] = {
    0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
    0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b,
};
static const uint8_t bios_guid[16] = {
    0x48, 0x61, 0x68, 0x21, 0x49, 0x64, 0x6f, 0x6e,
    0x74, 0x4e, 0x65, 0x65, 0x64, 0x45, 0x46, 0x49,
};
static const uint8_t linux_guid[16] = {  /* 0FC63DAF-8483-4772-... */
    0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
    0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4,
};

static void
put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A disk start with a protective MBR and a GPT header at LBA 1 of
 * sector bytes, 128 entries of 128 bytes at LBA 2. */
static uint8_t *
gpt(unsigned sector, size_t *len)
{
    uint8_t *b = calloc(1, V2K_PT_READ_BYTES);

    ck_assert_ptr_nonnull(b);
    b[446 + 4] = 0xEE;
    b[510] = 0x55;
    b[511] = 0xAA;
    memcpy(b + sector, "EFI PART", 8);
    put32(b + sector + 72, 2);      /* entries' LBA */
    put32(b + sector + 80, 128);
    put32(b + sector + 84, 128);
    *len = V2K_PT_READ_BYTES;
    return b;
}

static void
entry(uint8_t *b, unsigned sector, int i, const uint8_t *type, int attrs)
{
    uint8_t *e = b + 2 * sector + 128 * i;

    memcpy(e, type, 16);
    e[48] = (uint8_t)attrs;
}

START_TEST(test_pt_gpt_uefi_only)
{
    size_t len;
    uint8_t *b = gpt(512, &len);
    struct v2k_pt_evidence ev;
    char words[200];

    entry(b, 512, 0, esp_guid, 0);
    put32(b + 2 * 512 + 32, 2048);          /* first LBA */
    put32(b + 2 * 512 + 40, 1050623);       /* last LBA: 512 MiB */
    entry(b, 512, 1, linux_guid, 0);
    v2k_pt_evidence(b, len, &ev);
    ck_assert_int_eq(ev.kind, V2K_PT_GPT);
    ck_assert_uint_eq(ev.esp_first_lba, 2048);
    ck_assert_uint_eq(ev.esp_sectors, 1048576);
    ck_assert_int_eq(ev.esp_content, V2K_ESP_UNREAD);
    ck_assert_uint_eq(ev.sector, 512);
    ck_assert_int_eq(ev.esp, 1);
    ck_assert_int_eq(ev.bios_boot, 0);
    ck_assert(!ev.mbr_boot_code);
    ck_assert(v2k_pt_uefi_capable(&ev));
    ck_assert(!v2k_pt_bios_capable(&ev));
    v2k_pt_describe(&ev, words, sizeof words);
    ck_assert_str_eq(words, "GPT, EFI system partition 1, no BIOS boot "
                            "code, no BIOS boot partition");

    /* What the caller found in the ESP (fatdir.h) decides whether it
     * counts. */
    ev.esp_content = V2K_ESP_LOADER;
    snprintf(ev.esp_loader, sizeof ev.esp_loader, "%s",
             "\\EFI\\DEBIAN\\GRUBX64.EFI");
    ck_assert(v2k_pt_uefi_capable(&ev));
    v2k_pt_describe(&ev, words, sizeof words);
    ck_assert_str_eq(words, "GPT, EFI system partition 1 with "
                            "\\EFI\\DEBIAN\\GRUBX64.EFI, no BIOS boot "
                            "code, no BIOS boot partition");
    ev.esp_content = V2K_ESP_NO_LOADER;
    ck_assert(!v2k_pt_uefi_capable(&ev));
    v2k_pt_describe(&ev, words, sizeof words);
    ck_assert_str_eq(words, "GPT, EFI system partition 1 holding no "
                            "loader, no BIOS boot code, no BIOS boot "
                            "partition");
    ev.esp_content = V2K_ESP_NOT_FAT;
    ck_assert(!v2k_pt_uefi_capable(&ev));
    v2k_pt_describe(&ev, words, sizeof words);
    ck_assert(strstr(words, "EFI system partition 1 that is not FAT,"));

    /* GRUB for BIOS on the same disk: boot code and a BIOS boot
     * partition: both ways. */
    b[0] = 0xEB;
    entry(b, 512, 2, bios_guid, 0);
    v2k_pt_evidence(b, len, &ev);
    ck_assert_int_eq(ev.bios_boot, 3);
    ck_assert(v2k_pt_bios_capable(&ev) && v2k_pt_uefi_capable(&ev));

    /* Boot code but no BIOS boot partition (Windows' protective MBR
     * code): GRUB could not start from it, still UEFI only. */
    memset(b + 2 * 512 + 256, 0, 128);
    v2k_pt_evidence(b, len, &ev);
    ck_assert(ev.mbr_boot_code);
    ck_assert(!v2k_pt_bios_capable(&ev));
    free(b);
}
END_TEST

START_TEST(test_pt_gpt_4k_and_legacy_bootable)
{
    size_t len;
    uint8_t *b = gpt(4096, &len);
    struct v2k_pt_evidence ev;

    b[0] = 0xFA;
    entry(b, 4096, 0, linux_guid, 4);   /* legacy BIOS bootable */
    v2k_pt_evidence(b, len, &ev);
    ck_assert_int_eq(ev.kind, V2K_PT_GPT);
    ck_assert_uint_eq(ev.sector, 4096);
    ck_assert_int_eq(ev.bios_boot, 1);
    ck_assert_int_eq(ev.esp, 0);
    ck_assert(v2k_pt_bios_capable(&ev) && !v2k_pt_uefi_capable(&ev));

    /* An unused entry with the attribute bit is not a partition. */
    memset(b + 2 * 4096, 0, 16);
    v2k_pt_evidence(b, len, &ev);
    ck_assert_int_eq(ev.bios_boot, 0);
    free(b);
}
END_TEST

START_TEST(test_pt_gpt_hostile_header)
{
    size_t len;
    uint8_t *b = gpt(512, &len);
    struct v2k_pt_evidence ev;

    /* Entries far beyond the buffer, a huge count, odd entry sizes,
     * an LBA that overflows: no read past the buffer, no evidence. */
    put32(b + 512 + 80, 0xFFFFFFFFu);
    v2k_pt_evidence(b, len, &ev);
    ck_assert(ev.entries_beyond);
    put32(b + 512 + 84, 129);
    v2k_pt_evidence(b, len, &ev);
    ck_assert_int_eq(ev.esp, 0);
    ck_assert(!ev.entries_beyond);
    put32(b + 512 + 84, 128);
    memset(b + 512 + 72, 0xFF, 8);
    v2k_pt_evidence(b, len, &ev);
    ck_assert_int_eq(ev.kind, V2K_PT_GPT);
    ck_assert_int_eq(ev.esp, 0);
    /* Short buffers: a header cut off is not a GPT. */
    v2k_pt_evidence(b, 600, &ev);
    ck_assert_int_eq(ev.kind, V2K_PT_NONE);
    v2k_pt_evidence(b, 100, &ev);
    ck_assert_int_eq(ev.kind, V2K_PT_NONE);
    free(b);
}
END_TEST

START_TEST(test_pt_mbr)
{
    uint8_t b[512] = { 0 };
    struct v2k_pt_evidence ev;

    v2k_pt_evidence(b, sizeof b, &ev);          /* no signature */
    ck_assert_int_eq(ev.kind, V2K_PT_NONE);
    ck_assert(!v2k_pt_bios_capable(&ev) && !v2k_pt_uefi_capable(&ev));
    b[510] = 0x55;
    b[511] = 0xAA;
    b[446 + 4] = 0x83;
    v2k_pt_evidence(b, sizeof b, &ev);
    ck_assert_int_eq(ev.kind, V2K_PT_MBR);
    ck_assert(!v2k_pt_bios_capable(&ev));       /* no boot code */
    b[0] = 0xEB;
    v2k_pt_evidence(b, sizeof b, &ev);
    ck_assert(v2k_pt_bios_capable(&ev) && !v2k_pt_uefi_capable(&ev));
    b[446 + 16 + 4] = 0xEF;                     /* an ESP in slot 2 */
    b[446 + 16 + 8] = 0x00;                     /* at LBA 2048 */
    b[446 + 16 + 9] = 0x08;
    b[446 + 16 + 12] = 0x00;                    /* of 65536 sectors */
    b[446 + 16 + 14] = 0x01;
    v2k_pt_evidence(b, sizeof b, &ev);
    ck_assert_int_eq(ev.esp, 2);
    ck_assert_uint_eq(ev.esp_first_lba, 2048);
    ck_assert_uint_eq(ev.esp_sectors, 65536);
    ck_assert(v2k_pt_uefi_capable(&ev));
    /* protective MBR without a GPT header */
    b[446 + 4] = 0xEE;
    v2k_pt_evidence(b, sizeof b, &ev);
    ck_assert_int_eq(ev.kind, V2K_PT_NONE);
}
END_TEST

Suite *make_suite(void);

Suite *
make_suite(void)
{
    Suite *s = suite_create("parttable");
    TCase *tc = tcase_create("parttable");

    tcase_add_test(tc, test_pt_gpt_uefi_only);
    tcase_add_test(tc, test_pt_gpt_4k_and_legacy_bootable);
    tcase_add_test(tc, test_pt_gpt_hostile_header);
    tcase_add_test(tc, test_pt_mbr);
    suite_add_tcase(s, tc);
    return s;
}
