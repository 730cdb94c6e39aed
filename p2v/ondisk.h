/* ondisk.h - RAID and LVM metadata read from the disks themselves.
 *
 * The boot image neither assembles md arrays nor activates LVM, so sysfs
 * (discover.c) shows no md or dm device above a RAID member or a
 * physical volume.  v2k_p2v_ondisk_probe() reads one device (a whole
 * disk or a partition, opened read-only by the caller) and says what it
 * carries, so that discover.c can relate and group the disks as it does
 * for active arrays.
 *
 * Read-only and bounded: only pread() of fixed-size buffers at offsets
 * derived from the device size (never from a size read on disk beyond
 * the caps below), nothing allocated from on-disk numbers; the device is
 * never written.  Any inconsistent field (bad magic, version, checksum,
 * a location that does not match where it was read, a count over its
 * cap) means "nothing found": a device is never an error.
 *
 * Recognised:
 *   md superblocks 0.90 (at the end), 1.0 (at the end), 1.1 (at 0) and
 *     1.2 (at 4 KiB), layout of Linux's include/uapi/linux/raid/md_p.h;
 *   LVM2 physical volume labels (one of the first 4 sectors) and the
 *     volume group name from the first metadata area's newest text
 *     (lvm2's lib/label/label.h and lib/format_text/layout.h), read at
 *     most V2K_P2V_ONDISK_MDA_MAX bytes.
 * An md superblock wins over an LVM label: a 0.90 or 1.0 member of a
 * mirror shows at offset 0 what the array holds (maybe a PV), which is
 * the array's, not the member's.
 */
#ifndef V2K_P2V_ONDISK_H
#define V2K_P2V_ONDISK_H

#include <stdint.h>

#define V2K_P2V_ONDISK_MDA_MAX (1u << 20)       /* LVM metadata text */

enum v2k_p2v_ondisk_kind {
    V2K_P2V_ONDISK_NONE,
    V2K_P2V_ONDISK_MD,
    V2K_P2V_ONDISK_LVM,
};

/* md role of this device: an active slot (>= 0) or one of these. */
#define V2K_P2V_MD_ROLE_SPARE (-1)
#define V2K_P2V_MD_ROLE_FAULTY (-2)
#define V2K_P2V_MD_ROLE_JOURNAL (-3)

struct v2k_p2v_ondisk {
    enum v2k_p2v_ondisk_kind kind;
    /* md */
    char md_version[8];         /* "0.90", "1.0", "1.1", "1.2" */
    char md_uuid[33];           /* set_uuid, 32 lowercase hex digits */
    char md_name[40];           /* v1 set_name ("host:0"), 0.90 "mdN";
                                   printable ASCII only */
    char md_level[16];          /* "raid1", "linear", "level 7"... */
    uint32_t md_raid_disks;     /* 1 .. V2K_P2V_MD_MAX_DISKS */
    int md_role;                /* slot, or V2K_P2V_MD_ROLE_* */
    /* LVM */
    char pv_uuid[33];           /* the label's 32 characters */
    char vg_name[129];          /* "" when no metadata area gave one */
    char vg_id[40];             /* the VG's id = "...", or "" */
};

#define V2K_P2V_MD_MAX_DISKS 1920       /* (4096 - 256) / 2 dev_roles */

/* What the device open on fd (size bytes long) carries: out->kind is
 * V2K_P2V_ONDISK_NONE when nothing (or nothing consistent) was found. */
void v2k_p2v_ondisk_probe(int fd, uint64_t size, struct v2k_p2v_ondisk *out);

#endif
