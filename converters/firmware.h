/* firmware.h - the firmware the converted guest boots with, decided
 * before the conversion so that every later stage (the "efi-fallback"
 * rewrite, the outputs) agrees.
 *
 * v2k_firmware_decide() reads the start of each copied disk (at most
 * V2K_PT_READ_BYTES through the formats layer, the source never
 * written) and takes the partition table's evidence (parttable.h),
 * looking into an EFI system partition for a loader (fatdir.h: an ESP
 * that is empty or not FAT does not count):
 *   - the source does not say (s->firmware unknown: -i disk, an OVF with
 *     no firmware): UEFI when a disk can start only under UEFI (an EFI
 *     system partition holding \EFI\*\*.EFI, and no BIOS boot code or,
 *     on GPT, no BIOS boot partition); otherwise BIOS;
 *   - the source says one and the disk can start only the other way:
 *     the disk wins, with a warning naming both;
 *   - else the source's word stands.
 * The first disk whose table shows either way decides.  One message
 * says the firmware and the evidence.  Returns 0, or -1 with a message
 * when a disk cannot be opened or read.
 */
#ifndef V2K_FIRMWARE_H
#define V2K_FIRMWARE_H

#include "options.h"
#include "source.h"

int v2k_firmware_decide(const struct v2k_options *o, struct v2k_source *s);

#endif
