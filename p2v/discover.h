/* discover.h - what the P2V client finds on the physical machine.
 *
 * v2k_p2v_discover(root, &m) reads ROOT/sys and ROOT/proc (ROOT is "/"
 * on the machine itself, a captured directory tree in the tests) and
 * returns a struct v2k_p2v_machine the caller owns and frees with
 * v2k_p2v_machine_free() (NULL is fine).  It fails (-1, one message) only
 * when ROOT/sys/block cannot be listed or memory runs out: every other
 * file is optional.  Every file is read bounded (V2K_P2V_ATTR_MAX for a
 * sysfs attribute, V2K_P2V_TABLE_MAX for cpuinfo and the mount tables),
 * only when it is a regular file (a FIFO never blocks us), and a file
 * that is missing, too large or not what the kernel writes leaves its
 * field empty or 0.  Every string in the structs is owned by the machine
 * and never NULL ("" when unknown).
 *
 * Disk policy (our answer to virt-p2v's disks.c, which lists only
 * sd/hd/vd/nvme/cciss/ubd names, never md, dm or mmcblk, skips xvd, and
 * shows a multipath LUN once per path):
 *   offered     whole disks that carry the guest, selected by default:
 *               sd*, hd*, vd*, xvd*, NVMe namespaces (nvme0n1), mmcblk0,
 *               cciss!c0d0, and each dm-multipath LUN ONCE, named by its
 *               dm name (mpatha, /dev/mapper/mpatha);
 *   hidden      with a reason: md arrays and LVM / other device-mapper
 *               devices (their member disks are offered whole, so the
 *               guest reassembles them exactly as it did; each member
 *               carries the relation, "member of md0 (raid1)",
 *               "physical volume of VG vg0", "holder dm-0 (name)"), the
 *               paths of a multipath LUN ("path of multipath mpatha"),
 *               NVMe controller paths (nvme0c0n1), eMMC boot and RPMB
 *               areas (mmcblk0boot0, mmcblk0rpmb), loop, ram, zram and
 *               nbd devices, removable disks without a medium (size 0),
 *               and the boot medium: the whole disk under the live
 *               system's medium (mounted at /run/live/medium,
 *               /lib/live/mount/medium, /run/initramfs/live, /cdrom or
 *               /run/archiso/bootmnt) or under / when / is a real
 *               filesystem (not overlay, tmpfs, squashfs, ramfs, rootfs),
 *               found in proc/self/mountinfo (major:minor through
 *               sys/dev/block) or proc/mounts (the /dev name);
 *   removable   optical drives (sr*): listed, never copied.
 * A multi-disk md array or volume group must be taken whole or not at
 * all: v2k_p2v_check_selection() refuses a selection that splits one.
 * sysfs shows only active arrays and activated logical volumes, and the
 * boot image assembles and activates none, so every offered disk and
 * each of its partitions is also read (ROOT/dev/NAME, read-only,
 * bounded; ondisk.h) for md superblocks (0.90, 1.0, 1.1, 1.2) and LVM2
 * PV labels with their VG name: members get "member of md array
 * 'host:0' (raid1), not assembled" or "physical volume of VG vg0", and
 * the sets spanning two disks or more become groups ("md array 'host:0'
 * (raid1, not assembled)", keyed by the array's UUID; "VG vg0", the
 * label of an active VG too, so one VG seen both ways is one group; two
 * VGs of one name but different ids are "VG vg0 (id ...)" each).  A
 * disk or partition that sysfs already shows under an md or dm device
 * is not read.  An array with fewer active members found than its
 * raid_disks gets a note in the relation ("md array 'host:0' is
 * degraded: 1 of its 2 members found"), not a refusal.  A device that
 * cannot be opened (not root) or whose metadata is inconsistent adds
 * nothing.
 *
 * CPU: sockets, cores per socket and threads per core from the online
 * CPUs' topology/physical_package_id and core_id, else from cpuinfo
 * ("physical id", "cpu cores", "siblings").  When the counts do not
 * multiply to the online CPUs (hybrid CPUs whose small cores have no
 * SMT, CPUs offline), the topology falls back to S sockets x N/S cores
 * x 1 thread, or 1 x N x 1: libvirt refuses a topology that does not
 * match the vCPU count.
 *
 * Memory: MemTotal as the kernel reports it (memory_bytes) and that
 * figure rounded UP to a multiple of 256 MiB (memory_rounded_bytes).
 * MemTotal is the installed RAM less what firmware and the kernel keep,
 * so it is odd-sized; virt-p2v rounds it to a power of two, which gives
 * a 48 GiB server 64 GiB and a 96 GiB one 128 GiB.  256 MiB steps keep
 * the guest within 256 MiB of what the machine's OS had, in a figure
 * every hypervisor and balloon accepts.
 */
#ifndef V2K_P2V_DISCOVER_H
#define V2K_P2V_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define V2K_P2V_ATTR_MAX 4096            /* one sysfs attribute (a page) */
#define V2K_P2V_TABLE_MAX (8u << 20)     /* cpuinfo, mounts, mountinfo */
#define V2K_P2V_MAX_ENTRIES 4096         /* per directory listed */
#define V2K_P2V_MEM_ROUND (256ULL << 20)

enum v2k_p2v_disk_kind {
    V2K_P2V_KIND_UNKNOWN,
    V2K_P2V_KIND_SATA,          /* sd* under an ata port */
    V2K_P2V_KIND_SAS,           /* sd* under a SAS end device */
    V2K_P2V_KIND_SCSI,          /* sd* otherwise (SCSI, virtio-scsi...) */
    V2K_P2V_KIND_USB,           /* sd* under a USB device */
    V2K_P2V_KIND_IDE,           /* hd* */
    V2K_P2V_KIND_NVME,
    V2K_P2V_KIND_MMC,
    V2K_P2V_KIND_VIRTIO,        /* vd* */
    V2K_P2V_KIND_XEN,           /* xvd* */
    V2K_P2V_KIND_CCISS,         /* HP Smart Array, cciss!c0d0 */
    V2K_P2V_KIND_MD,
    V2K_P2V_KIND_DM,            /* LVM and other device-mapper devices */
    V2K_P2V_KIND_MULTIPATH,     /* dm-multipath (dm/uuid "mpath-...") */
    V2K_P2V_KIND_CDROM,         /* sr* */
    V2K_P2V_KIND_VIRTUAL,       /* loop, ram, zram, nbd */
};

enum v2k_p2v_disk_state {
    V2K_P2V_OFFERED,            /* offered and selected by default */
    V2K_P2V_HIDDEN,             /* not offered; reason says why */
    V2K_P2V_REMOVABLE,          /* a removable drive: listed, not copied */
};

struct v2k_p2v_disk {
    char *name;         /* offered name: "sda", "nvme0n1", "mpatha" */
    char *kname;        /* entry in sys/block: "sda", "dm-2", "cciss!c0d0" */
    char *dev_path;     /* "/dev/sda", "/dev/mapper/mpatha", "/dev/cciss/c0d0" */
    enum v2k_p2v_disk_kind kind;
    char *model;        /* device/model (mmc: device/name) */
    char *serial;       /* serial, device/serial, vpd_pg80 or wwid */
    uint64_t size_bytes;        /* sys/block/X/size x 512 */
    bool removable, read_only;
    unsigned major, minor;      /* from sys/block/X/dev; 0:0 unknown */
    char *relation;     /* "member of md0 (raid1); ..." or "" (above) */
    enum v2k_p2v_disk_state state;
    char *reason;       /* why hidden or removable ("" when offered) */
    char **partitions;  /* kernel names (sda1, sda2), NULL-terminated */
    char **slaves;      /* sys/block/X/slaves, NULL-terminated */
    char *dm_name, *dm_uuid, *md_level;     /* "" unless dm / md */
};

/* Disks that must be selected together: an md array's members, a volume
 * group's physical volumes (as the offered disks they are on). */
struct v2k_p2v_group {
    char *label;        /* "md0 (raid1)", "VG vg0", "dm-3 (name)" */
    size_t *members;    /* indexes into machine->disks, offered disks */
    size_t nmembers;
};

struct v2k_p2v_nic {
    char *name;         /* "eth0", "enp2s0" */
    char *mac;          /* lowercase xx:xx:..., "" when unreadable */
    char *driver;       /* basename of device/driver: "e1000e" */
    char *operstate;    /* "up", "down", "unknown", ... ("" when absent) */
    int carrier;        /* 1, 0, or -1 when unreadable (interface down) */
    uint64_t speed_mbps;        /* 0 when unknown */
    bool wireless;
};

struct v2k_p2v_machine {
    char *hostname;             /* proc/sys/kernel/hostname, or "" */
    char *arch;                 /* "x86_64" (see discover.c cpu_arch) */
    unsigned cpus;              /* online CPUs (at least 1) */
    unsigned sockets, cores, threads;   /* multiply to cpus */
    char *cpu_vendor;           /* "GenuineIntel", or "" */
    char *cpu_model;            /* cpuinfo "model name", or "" */
    uint64_t memory_bytes;      /* MemTotal; 0 when unreadable */
    uint64_t memory_rounded_bytes;  /* rounded up to 256 MiB (above) */
    bool uefi;                  /* sys/firmware/efi exists */
    struct v2k_p2v_disk *disks; /* every sys/block entry, in version order */
    size_t ndisks;
    struct v2k_p2v_group *groups;
    size_t ngroups;
    struct v2k_p2v_nic *nics;   /* physical interfaces, in version order */
    size_t nnics;
};

int v2k_p2v_discover(const char *root, struct v2k_p2v_machine **out);
void v2k_p2v_machine_free(struct v2k_p2v_machine *m);

/* The disk offered, hidden or listed under name (its offered name, or
 * its kernel name), or NULL.  Borrowed from m. */
const struct v2k_p2v_disk *v2k_p2v_find_disk(const struct v2k_p2v_machine *m,
                                             const char *name);

/* 0 when names[0..n-1] may be copied together; else -1 with one line:
 * an unknown name, a disk that is not offered (and why), a name given
 * twice, or a selection taking some but not all disks of a group ("md0
 * (raid1) spans sda, sdb: select all of them or none (sdb is not
 * selected)"). n == 0 is refused too. */
int v2k_p2v_check_selection(const struct v2k_p2v_machine *m,
                            const char *const *names, size_t n);

const char *v2k_p2v_disk_kind_to_string(enum v2k_p2v_disk_kind k);
const char *v2k_p2v_disk_state_to_string(enum v2k_p2v_disk_state s);

#endif
