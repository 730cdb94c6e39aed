/* disk-names.h - the device names the converted VM's disks get: one
 * answer for the domain XML (<target dev=>, converters/domain-xml.c) and
 * for the guest's own files (the fstab map, drivers-inject/linux), which
 * must agree.
 *
 * Names are what the guest's kernel calls the disks, in the order the
 * output attaches them:
 *   - disks (V2K_DEV_DISK) on the output's block bus, named by their rank
 *     among the disks: vda, vdb... (virtio-blk), sda... (virtio-scsi,
 *     SATA), hda... (IDE);
 *   - CD-ROMs on SATA (IDE on the pc machine, which has no AHCI), named
 *     after the disks when they share the prefix (sda, sdb = disks, sdc
 *     = CD-ROM): inside the guest a CD-ROM is sr0 and takes no sdX
 *     letter, and libvirt places a SATA/IDE/SCSI target by its letter
 *     (unit = index), so the disks keep the first units, in order;
 *   - floppies are not attached (no name).
 * Target names are unique within the domain, as libvirt requires.
 * Pure functions.
 */
#ifndef V2K_DISK_NAMES_H
#define V2K_DISK_NAMES_H

#include <stddef.h>

#include "guestcaps.h"
#include "source.h"

/* Letters for index n, bijective base 26 as Linux names sd/vd devices:
 * 0 -> "a", 25 -> "z", 26 -> "aa", 701 -> "zz", 702 -> "aaa".  -1 when
 * buf (len bytes) is too small. */
int v2k_disk_letters(size_t n, char *buf, size_t len);

/* The reverse for 1 or 2 lowercase letters ("ab" -> 27); else -1. */
int v2k_disk_letters_index(const char *s, size_t len);

/* "<prefix><letters of i>" into buf (cut to len); returns buf. */
char *v2k_disk_name(const char *prefix, size_t i, char *buf, size_t len);

/* A disk's name prefix on a block bus: "vd", "sd" or "hd". */
const char *v2k_block_bus_dev_prefix(enum v2k_block_bus bus);

/* libvirt's <target bus=> for it: "virtio", "scsi", "sata", "ide". */
const char *v2k_block_bus_libvirt(enum v2k_block_bus bus);

struct v2k_disk_target {
    const char *bus;            /* libvirt bus, NULL = not attached */
    char dev[16];               /* "vda", "sdc"; "" when not attached */
};

/* The target of each of s's devices: t[i] for s->disks[i] (t has
 * s->ndisks entries), disks on bus, CD-ROMs on the machine's CD-ROM bus
 * (see above). */
void v2k_disk_targets(const struct v2k_source *s, enum v2k_block_bus bus,
                      enum v2k_machine machine, struct v2k_disk_target *t);

/* The most devices the pc machine's IDE controller holds: two buses of
 * two units (hda-hdd). */
#define V2K_IDE_MAX 4

/* -1 with a message when more of s's devices would go on IDE (disks on
 * V2K_BLOCK_IDE, CD-ROMs on pc) than it holds: there is no other bus to
 * move them to, since a guest on IDE has no driver for the others. */
int v2k_disk_targets_check(const struct v2k_source *s,
                           enum v2k_block_bus bus, enum v2k_machine machine);

#endif
