/* parttable.c - partition table evidence for the firmware (parttable.h). */
#include <stdio.h>
#include <string.h>

#include "parttable.h"

static uint32_t
le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t
le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* GPT GUIDs as stored on disk (the first three fields little-endian). */
static const uint8_t guid_esp[16] = {
    0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
    0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b,
};
static const uint8_t guid_bios_boot[16] = {
    0x48, 0x61, 0x68, 0x21, 0x49, 0x64, 0x6f, 0x6e,
    0x74, 0x4e, 0x65, 0x65, 0x64, 0x45, 0x46, 0x49,
};

static void
scan_gpt(const uint8_t *buf, size_t len, unsigned sector,
         struct v2k_pt_evidence *ev)
{
    const uint8_t *h = buf + sector;
    uint64_t lba, off;
    uint32_t n, esize;

    /* UEFI 2.10 table 5.5: entries' LBA at 72, count at 80, size at 84 */
    lba = le64(h + 72);
    n = le32(h + 80);
    esize = le32(h + 84);
    ev->kind = V2K_PT_GPT;
    ev->sector = sector;
    if (esize < 128 || esize % 8 != 0 || esize > 4096 || lba < 2 ||
        lba > UINT64_MAX / sector)
        return;                 /* not a table to read: no partitions */
    off = lba * sector;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e;

        if (off > len || len - off < esize) {
            ev->entries_beyond = true;
            return;
        }
        e = buf + off;
        off += esize;
        if (memcmp(e, guid_esp, 16) == 0 && ev->esp == 0) {
            /* table 5.6: first LBA at 32, last LBA (inclusive) at 40 */
            uint64_t first = le64(e + 32), last = le64(e + 40);

            ev->esp = (int)i + 1;
            ev->esp_first_lba = first;
            ev->esp_sectors = last >= first ? last - first + 1 : 0;
        }
        else if (ev->bios_boot == 0 &&
                 (memcmp(e, guid_bios_boot, 16) == 0 ||
                  /* attributes at 48; bit 2 legacy BIOS bootable, for a
                   * used entry (type not all zero) */
                  ((le64(e + 48) & 4) != 0 &&
                   memcmp(e, (const uint8_t[16]){ 0 }, 16) != 0)))
            ev->bios_boot = (int)i + 1;
    }
}

void
v2k_pt_evidence(const uint8_t *buf, size_t len, struct v2k_pt_evidence *ev)
{
    memset(ev, 0, sizeof *ev);
    if (len < 512 || buf[510] != 0x55 || buf[511] != 0xAA)
        return;
    for (size_t i = 0; i < 440; i++)
        if (buf[i]) {
            ev->mbr_boot_code = true;
            break;
        }
    /* GPT: the header at LBA 1, with 512- or 4096-byte sectors. */
    for (unsigned sector = 512; sector <= 4096; sector *= 8)
        if (len >= (size_t)sector + 92 &&
            memcmp(buf + sector, "EFI PART", 8) == 0) {
            scan_gpt(buf, len, sector, ev);
            return;
        }
    ev->kind = V2K_PT_MBR;
    ev->sector = 512;
    for (int i = 0; i < 4; i++) {
        uint8_t type = buf[446 + 16 * i + 4];

        if (type == 0xEE) {     /* protective, but no GPT header found */
            ev->kind = V2K_PT_NONE;
            return;
        }
        if (type == 0xEF && ev->esp == 0) {
            /* table 5.2: starting LBA at 8, size in LBA at 12 */
            ev->esp = i + 1;
            ev->esp_first_lba = le32(buf + 446 + 16 * i + 8);
            ev->esp_sectors = le32(buf + 446 + 16 * i + 12);
        }
    }
}

bool
v2k_pt_bios_capable(const struct v2k_pt_evidence *ev)
{
    if (!ev->mbr_boot_code)
        return false;
    return ev->kind != V2K_PT_GPT || ev->bios_boot != 0;
}

bool
v2k_pt_uefi_capable(const struct v2k_pt_evidence *ev)
{
    return ev->esp != 0 && ev->esp_content != V2K_ESP_NOT_FAT &&
           ev->esp_content != V2K_ESP_NO_LOADER;
}

void
v2k_pt_describe(const struct v2k_pt_evidence *ev, char *buf, size_t size)
{
    char esp[100] = "no EFI system partition";

    if (ev->esp)
        snprintf(esp, sizeof esp, "EFI system partition %d%s%s", ev->esp,
                 ev->esp_content == V2K_ESP_LOADER ? " with "
                 : ev->esp_content == V2K_ESP_NO_LOADER
                     ? " holding no loader"
                 : ev->esp_content == V2K_ESP_NOT_FAT
                     ? " that is not FAT" : "",
                 ev->esp_content == V2K_ESP_LOADER ? ev->esp_loader : "");
    if (ev->kind == V2K_PT_NONE) {
        snprintf(buf, size, "no partition table");
        return;
    }
    snprintf(buf, size, "%s, %s, %s%s%s",
             ev->kind == V2K_PT_GPT ? "GPT" : "MBR", esp,
             ev->mbr_boot_code ? "BIOS boot code in the MBR"
                               : "no BIOS boot code",
             ev->kind != V2K_PT_GPT ? ""
             : ev->bios_boot ? ", a BIOS boot partition"
                             : ", no BIOS boot partition",
             ev->entries_beyond ? " (partition entries past the first "
                                  "64 KiB not read)" : "");
}
