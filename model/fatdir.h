/* fatdir.h - does an EFI system partition hold a loader?  A bounded,
 * read-only walk of a FAT12/16/32 file system's directories \EFI and
 * \EFI\*, \EFI\*\* looking for a file named *.EFI, for the firmware decision
 * (converters/firmware.h): an ESP that is empty, or not FAT at all, does
 * not make a disk bootable under UEFI.  Pure: every byte comes through
 * the caller's read function, so it is unit-tested on mkfs.fat images
 * and fuzzed on buffers.
 *
 * Facts used (Microsoft "FAT: General Overview of On-Disk Format" 1.03,
 * fatgen103; UEFI 2.10 §13.3 "File System Format": UEFI reads FAT12, 16
 * and 32, case-insensitively):
 *   - the boot sector's BPB: bytes per sector at 11 (512..4096), sectors
 *     per cluster at 13 (a power of two), reserved sectors at 14, FAT
 *     count at 16, root entries at 17, total sectors at 19 (16-bit) or 32
 *     (32-bit), sectors per FAT at 22 (16-bit) or 36 (FAT32), the FAT32
 *     root directory's first cluster at 44, signature 0x55 0xAA at 510;
 *   - the type follows from the count of data clusters alone: fewer than
 *     4085 FAT12, fewer than 65525 FAT16, else FAT32;
 *   - FAT12/16 keep the root directory in a fixed region after the FATs;
 *     FAT32's is a cluster chain like any directory;
 *   - a directory entry is 32 bytes: the 8.3 name in 0..10 (0x00 first:
 *     no more entries; 0xE5: deleted; 0x05 stands for 0xE5), attributes
 *     at 11 (0x10 directory, 0x08 volume label, 0x0F a long-name piece),
 *     the first cluster's high half at 20 (FAT32) and low half at 26.
 *     Every long name has an 8.3 alias with the same extension, so
 *     matching "EFI" and "*.EFI" on the 8.3 names is enough.
 *
 * Where: \EFI\DIR\*.EFI (GRUB, shim, systemd-boot, the fallback
 * \EFI\BOOT\BOOTX64.EFI), then \EFI\DIR\SUB\*.EFI (Windows:
 * \EFI\Microsoft\Boot\bootmgfw.efi).  Not the root or \EFI itself:
 * firmware starts nothing from there.
 *
 * Bounds: at most V2K_FAT_MAX_DIR_BYTES of each directory, at most
 * V2K_FAT_MAX_SUBDIRS directories walked under \EFI, clusters of at most
 * 64 KiB; a cluster chain that loops or leaves the volume ends the
 * directory.  Nothing is allocated beyond one cluster per directory
 * level (four).
 */
#ifndef V2K_FATDIR_H
#define V2K_FATDIR_H

#include <stddef.h>
#include <stdint.h>

#define V2K_FAT_MAX_DIR_BYTES (1024 * 1024)
#define V2K_FAT_MAX_SUBDIRS 32

/* Reads len bytes at byte offset off of the file system into buf:
 * 0, or -1 with the error already set (v2k_error): an I/O error, not
 * bad content.  Never called for bytes past the size given. */
typedef int (*v2k_fat_read_fn)(void *opaque, void *buf, size_t len,
                               uint64_t off);

enum v2k_esp_content {
    V2K_ESP_UNREAD,             /* not looked at */
    V2K_ESP_NOT_FAT,            /* no FAT boot sector UEFI would accept */
    V2K_ESP_NO_LOADER,          /* FAT, but no \EFI\*\*.EFI */
    V2K_ESP_LOADER,             /* FAT with \EFI\*\*.EFI */
};

/* Look into the FAT file system of size bytes read through rd(opaque).
 * Returns what it holds; on V2K_ESP_LOADER, loader (of loader_size
 * bytes, 48 or more) gets the first loader's 8.3 path, like
 * "\EFI\DEBIAN\GRUBX64.EFI"; otherwise loader gets "".  Returns -1 when
 * rd failed (its error stands) or memory ran out (the error set). */
int v2k_fat_find_loader(v2k_fat_read_fn rd, void *opaque, uint64_t size,
                        char *loader, size_t loader_size);

#endif
