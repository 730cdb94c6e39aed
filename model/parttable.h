/* parttable.h - what a disk's partition table says about how it boots:
 * the evidence for BIOS or UEFI firmware when the source's metadata is
 * silent (converters/firmware.h decides).  Pure: it reads a buffer
 * holding the start of the disk, so it is unit-tested and fuzzed without
 * I/O.
 *
 * Facts used (UEFI 2.10 §5.2 "LBA 0 Format", §5.3 "GUID Partition Table
 * (GPT) Disk Layout"):
 *   - LBA 0 is an MBR: boot code in bytes 0..439, four 16-byte partition
 *     records at 446, signature 0x55 0xAA at 510.  A protective MBR (GPT
 *     follows) has one record of type 0xEE.
 *   - The GPT header is at LBA 1 ("EFI PART"), for 512- and 4096-byte
 *     sectors; it gives the entries' LBA, count and size (128 and more,
 *     a multiple of 8).
 *   - Types: EFI system partition C12A7328-F81F-11D2-BA4B-00A0C93EC93B
 *     (MBR 0xEF); BIOS boot partition 21686148-6449-6E6F-744E-656564454649
 *     (where GRUB puts its core on GPT under BIOS); attribute bit 2 "legacy
 *     BIOS bootable" (syslinux's gptmbr boots it).
 */
#ifndef V2K_PARTTABLE_H
#define V2K_PARTTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fatdir.h"

/* How many bytes from the start of the disk v2k_pt_evidence wants: LBA
 * 0, 1 and 128 entries of 128 bytes, with 4096-byte sectors. */
#define V2K_PT_READ_BYTES (64 * 1024)

enum v2k_pt_kind { V2K_PT_NONE, V2K_PT_MBR, V2K_PT_GPT };

struct v2k_pt_evidence {
    enum v2k_pt_kind kind;
    unsigned sector;            /* GPT: 512 or 4096; MBR: 512 */
    int esp;                    /* partition number (1-based) of the first
                                   EFI system partition, 0 = none */
    uint64_t esp_first_lba;     /* where it starts and how many sectors */
    uint64_t esp_sectors;
    /* What the ESP holds: set by the caller after looking into it
     * (fatdir.h); V2K_ESP_UNREAD from v2k_pt_evidence. */
    enum v2k_esp_content esp_content;
    char esp_loader[48];        /* V2K_ESP_LOADER: its 8.3 path */
    int bios_boot;              /* GPT: BIOS boot partition or one marked
                                   legacy-BIOS-bootable, 0 = none */
    bool mbr_boot_code;         /* bytes 0..439 of LBA 0 are not all zero */
    bool entries_beyond;        /* GPT entries past what was read: the
                                   table was only partly looked at */
};

/* Fill *ev from the first len bytes of a disk (short buffers are fine:
 * what is not there is not evidence).  Never fails. */
void v2k_pt_evidence(const uint8_t *buf, size_t len,
                     struct v2k_pt_evidence *ev);

/* Can the disk start under BIOS / under UEFI, as far as its partition
 * table tells: BIOS needs boot code in the MBR and, on GPT, a BIOS boot
 * or legacy-bootable partition; UEFI needs an EFI system partition
 * that, when the caller looked into it (esp_content), holds a loader. */
bool v2k_pt_bios_capable(const struct v2k_pt_evidence *ev);
bool v2k_pt_uefi_capable(const struct v2k_pt_evidence *ev);

/* "GPT, EFI system partition 1 with \EFI\DEBIAN\GRUBX64.EFI, no BIOS
 * boot code": the evidence in words, for the log; buf of at least 200
 * bytes. */
void v2k_pt_describe(const struct v2k_pt_evidence *ev, char *buf,
                     size_t size);

#endif
