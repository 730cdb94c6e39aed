/* test-discover.c - the P2V client's discovery on captured /sys + /proc
 * trees (tests/data/p2v/<case>, written by mktrees.sh in real sysfs
 * shapes), its disk policy against virt-p2v's gaps (md, LVM, multipath,
 * NVMe controller paths, eMMC areas, the boot medium), the selection
 * check, a malformed tree, and the domain XML writer. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "discover.h"
#include "error.h"
#include "ondisk.h"
#include "physxml.h"

static struct v2k_p2v_machine *
load(const char *name)
{
    const char *src = getenv("V2K_SOURCE_DIR");
    char path[4096];
    struct v2k_p2v_machine *m = NULL;

    ck_assert_msg(src != NULL, "run me through ctest (V2K_SOURCE_DIR)");
    snprintf(path, sizeof path, "%s/tests/data/p2v/%s", src, name);
    ck_assert_msg(v2k_p2v_discover(path, &m) == 0, "%s: %s", name,
                  v2k_error_message());
    ck_assert_ptr_nonnull(m);
    return m;
}

static const struct v2k_p2v_disk *
disk(const struct v2k_p2v_machine *m, const char *name)
{
    const struct v2k_p2v_disk *d = v2k_p2v_find_disk(m, name);
    ck_assert_msg(d != NULL, "no disk %s", name);
    return d;
}

/* "a,b" of the offered names, in order. */
static const char *
offered(const struct v2k_p2v_machine *m)
{
    static char buf[512];
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < m->ndisks; i++)
        if (m->disks[i].state == V2K_P2V_OFFERED)
            off += (size_t)snprintf(buf + off, sizeof buf - off, "%s%s",
                                    off ? "," : "", m->disks[i].name);
    return buf;
}

static int
select_(const struct v2k_p2v_machine *m, const char *a, const char *b)
{
    const char *names[] = { a, b };
    return v2k_p2v_check_selection(m, names, b ? 2 : 1);
}

START_TEST(test_two_sata_disks_dvd_and_loop)
{
    struct v2k_p2v_machine *m = load("two-sata");
    const struct v2k_p2v_disk *d;

    ck_assert_str_eq(offered(m), "sda,sdb");
    d = disk(m, "sda");
    ck_assert_int_eq(d->kind, V2K_P2V_KIND_SATA);
    ck_assert_str_eq(d->dev_path, "/dev/sda");
    ck_assert_str_eq(d->model, "Samsung SSD 860");
    /* from VPD page 0x80, its left padding gone */
    ck_assert_str_eq(d->serial, "S3Z9NB0K123456A");
    ck_assert(d->size_bytes == 976773168ULL * 512);
    ck_assert(!d->removable && !d->read_only);
    ck_assert_str_eq(d->relation, "");
    ck_assert_str_eq(d->reason, "");
    ck_assert(d->major == 8 && d->minor == 0);
    ck_assert_str_eq(d->partitions[0], "sda1");
    ck_assert_ptr_null(d->partitions[1]);
    /* CD content is never copied: listed as removable */
    d = disk(m, "sr0");
    ck_assert_int_eq(d->kind, V2K_P2V_KIND_CDROM);
    ck_assert_int_eq(d->state, V2K_P2V_REMOVABLE);
    ck_assert(d->removable);
    d = disk(m, "loop0");
    ck_assert_int_eq(d->state, V2K_P2V_HIDDEN);
    ck_assert_str_eq(d->reason, "loop device");
    ck_assert_int_eq(select_(m, "sr0", NULL), -1);
    ck_assert_str_eq(v2k_error_message(), "disk 'sr0': not offered: optical drive: its content is never copied");
    ck_assert_int_eq(select_(m, "sda", "sdb"), 0);
    v2k_p2v_machine_free(m);
}
END_TEST

START_TEST(test_cpu_memory_firmware)
{
    struct v2k_p2v_machine *m = load("two-sata");

    ck_assert_uint_eq(m->cpus, 16);
    ck_assert_uint_eq(m->sockets, 2);
    ck_assert_uint_eq(m->cores, 4);
    ck_assert_uint_eq(m->threads, 2);
    ck_assert_str_eq(m->cpu_vendor, "GenuineIntel");
    ck_assert_str_eq(m->cpu_model, "Intel(R) Xeon(R) Silver 4110 CPU @ 2.10GHz");
    ck_assert_str_eq(m->arch, "x86_64");
    ck_assert_str_eq(m->hostname, "two-sata");
    ck_assert(m->memory_bytes == 16318520ULL * 1024);
    /* rounded UP to the next 256 MiB, not to a power of two */
    ck_assert(m->memory_rounded_bytes == 63ULL * (256 << 20));
    ck_assert(!m->uefi);
    v2k_p2v_machine_free(m);

    m = load("md-raid1");
    ck_assert(m->uefi);
    ck_assert_uint_eq(m->cpus, 2);
    ck_assert_str_eq(m->cpu_vendor, "");
    v2k_p2v_machine_free(m);

    /* no sys/devices/system/cpu: the topology from cpuinfo */
    m = load("nvme");
    ck_assert_uint_eq(m->cpus, 8);
    ck_assert_uint_eq(m->sockets, 1);
    ck_assert_uint_eq(m->cores, 4);
    ck_assert_uint_eq(m->threads, 2);
    v2k_p2v_machine_free(m);
}
END_TEST

START_TEST(test_nics_only_physical_ones)
{
    struct v2k_p2v_machine *m = load("two-sata");

    /* lo, br0, bond0, eth0.100 and tap0 are not NICs to recreate */
    ck_assert_uint_eq(m->nnics, 2);
    ck_assert_str_eq(m->nics[0].name, "enp2s0");
    ck_assert_str_eq(m->nics[1].name, "eth0");
    ck_assert_str_eq(m->nics[1].mac, "00:1b:21:aa:bb:01");
    ck_assert_str_eq(m->nics[1].driver, "e1000e");
    ck_assert_str_eq(m->nics[1].operstate, "up");
    ck_assert_int_eq(m->nics[1].carrier, 1);
    ck_assert(m->nics[1].speed_mbps == 1000);
    /* a bond's slave shows the bond's MAC: the permanent one is kept */
    ck_assert_str_eq(m->nics[0].mac, "00:1b:21:aa:bb:03");
    ck_assert_str_eq(m->nics[0].driver, "igb");
    ck_assert_str_eq(m->nics[0].operstate, "down");
    ck_assert_int_eq(m->nics[0].carrier, -1);
    ck_assert(m->nics[0].speed_mbps == 0);
    v2k_p2v_machine_free(m);
}
END_TEST

START_TEST(test_md_raid1_members_offered_whole)
{
    struct v2k_p2v_machine *m = load("md-raid1");
    const struct v2k_p2v_disk *d;

    ck_assert_str_eq(offered(m), "sda,sdb");
    ck_assert_str_eq(disk(m, "sda")->relation, "member of md0 (raid1)");
    ck_assert_str_eq(disk(m, "sdb")->relation, "member of md0 (raid1)");
    d = disk(m, "md0");
    ck_assert_int_eq(d->kind, V2K_P2V_KIND_MD);
    ck_assert_int_eq(d->state, V2K_P2V_HIDDEN);
    ck_assert_str_eq(d->md_level, "raid1");
    ck_assert_uint_eq(m->ngroups, 1);
    ck_assert_uint_eq(m->groups[0].nmembers, 2);
    /* half a mirror is refused, naming the array */
    ck_assert_int_eq(select_(m, "sda", NULL), -1);
    ck_assert_str_eq(v2k_error_message(), "md0 (raid1) spans sda, sdb: select all of them or none (sdb is not selected)");
    ck_assert_int_eq(select_(m, "sdb", "sda"), 0);
    ck_assert_int_eq(select_(m, "md0", NULL), -1);
    ck_assert_ptr_nonnull(strstr(v2k_error_message(), "md array md0 (raid1)"));
    ck_assert_int_eq(select_(m, "sdz", NULL), -1);
    ck_assert_str_eq(v2k_error_message(), "disk 'sdz': no such disk on this machine (offered: sda, sdb)");
    ck_assert_int_eq(select_(m, "sda", "sda"), -1);
    ck_assert_str_eq(v2k_error_message(), "disk 'sda' is selected twice");
    ck_assert_int_eq(v2k_p2v_check_selection(m, NULL, 0), -1);
    v2k_p2v_machine_free(m);
}
END_TEST

START_TEST(test_lvm_volume_groups)
{
    struct v2k_p2v_machine *m = load("lvm");

    ck_assert_str_eq(offered(m), "sda,sdb,sdc,sdd");
    for (int i = 0; i < 4; i++) {
        char n[8];
        snprintf(n, sizeof n, "dm-%d", i);
        ck_assert_int_eq(disk(m, n)->state, V2K_P2V_HIDDEN);
    }
    /* two LVs of vg0 on sda2: one relation */
    ck_assert_str_eq(disk(m, "sda")->relation, "physical volume of VG vg0");
    /* "my--data" is VG my-data (LVM doubles the '-' in names) */
    ck_assert_str_eq(disk(m, "sdb")->relation, "physical volume of VG my-data");
    ck_assert_str_eq(disk(m, "sdc")->relation, "physical volume of VG my-data");
    ck_assert_str_eq(disk(m, "sdd")->relation, "holder dm-3 (luks-secret)");
    ck_assert_int_eq(select_(m, "sdc", NULL), -1);
    ck_assert_str_eq(v2k_error_message(), "VG my-data spans sdb, sdc: select all of them or none (sdb is not selected)");
    ck_assert_int_eq(select_(m, "sda", NULL), 0);
    ck_assert_int_eq(select_(m, "sdb", "sdc"), 0);
    ck_assert_int_eq(select_(m, "sdd", NULL), 0);
    v2k_p2v_machine_free(m);
}
END_TEST

START_TEST(test_nvme_namespace_not_controller_path)
{
    struct v2k_p2v_machine *m = load("nvme");
    const struct v2k_p2v_disk *d;

    ck_assert_str_eq(offered(m), "nvme0n1");
    d = disk(m, "nvme0n1");
    ck_assert_int_eq(d->kind, V2K_P2V_KIND_NVME);
    ck_assert_str_eq(d->serial, "S4EVNX0N123456P");
    ck_assert_str_eq(d->model, "Samsung SSD 970 EVO Plus 500GB");
    ck_assert_str_eq(disk(m, "nvme0c0n1")->reason, "NVMe controller path of nvme0n1");
    v2k_p2v_machine_free(m);
}
END_TEST

START_TEST(test_mmc_without_boot_areas)
{
    struct v2k_p2v_machine *m = load("mmc");

    ck_assert_str_eq(offered(m), "mmcblk0");
    ck_assert_int_eq(disk(m, "mmcblk0")->kind, V2K_P2V_KIND_MMC);
    ck_assert_str_eq(disk(m, "mmcblk0")->model, "DG4016");
    ck_assert_str_eq(disk(m, "mmcblk0")->serial, "0x1a2b3c4d");
    ck_assert_str_eq(disk(m, "mmcblk0boot0")->reason, "eMMC boot area of mmcblk0, not a disk");
    ck_assert_int_eq(disk(m, "mmcblk0boot1")->state, V2K_P2V_HIDDEN);
    ck_assert_str_eq(disk(m, "mmcblk0rpmb")->reason, "eMMC RPMB area of mmcblk0, not a disk");
    v2k_p2v_machine_free(m);
}
END_TEST

START_TEST(test_multipath_offered_once)
{
    struct v2k_p2v_machine *m = load("multipath");
    const struct v2k_p2v_disk *d;

    ck_assert_str_eq(offered(m), "mpatha,sda");
    d = disk(m, "mpatha");
    ck_assert_str_eq(d->kname, "dm-0");
    ck_assert_ptr_eq(disk(m, "dm-0"), d);
    ck_assert_str_eq(d->dev_path, "/dev/mapper/mpatha");
    ck_assert_int_eq(d->kind, V2K_P2V_KIND_MULTIPATH);
    ck_assert_str_eq(d->model, "MSA 2040 SAN");
    ck_assert_str_eq(d->serial, "3600c0ff0001234560000000000000000");
    ck_assert(d->size_bytes == 2147483648ULL * 512);
    for (int i = 0; i < 2; i++) {
        d = disk(m, i ? "sdc" : "sdb");
        ck_assert_int_eq(d->kind, V2K_P2V_KIND_SAS);
        ck_assert_int_eq(d->state, V2K_P2V_HIDDEN);
        ck_assert_str_eq(d->reason, "path of multipath mpatha");
        ck_assert_str_eq(d->serial, "naa.600c0ff0001234560000000000000000");
    }
    ck_assert_int_eq(select_(m, "sdb", NULL), -1);
    ck_assert_int_eq(select_(m, "mpatha", "sda"), 0);
    v2k_p2v_machine_free(m);
}
END_TEST

START_TEST(test_usb_boot_medium_hidden)
{
    static const char *const cases[][2] = {
        { "usb-boot", "boot medium (mounted at /run/live/medium)" },
        { "usb-boot-mounts", "boot medium (mounted at /lib/live/mount/medium)" },
    };
    for (size_t i = 0; i < 2; i++) {
        struct v2k_p2v_machine *m = load(cases[i][0]);
        const struct v2k_p2v_disk *d = disk(m, "sdc");
        ck_assert_str_eq(offered(m), "sda");
        ck_assert_int_eq(d->kind, V2K_P2V_KIND_USB);
        ck_assert(d->removable);
        ck_assert_int_eq(d->state, V2K_P2V_HIDDEN);
        ck_assert_str_eq(d->reason, cases[i][1]);
        ck_assert_str_eq(disk(m, "sdd")->reason, "removable drive without a medium");
        ck_assert_int_eq(select_(m, "sdc", NULL), -1);
        ck_assert_str_eq(v2k_error_message(), i == 0 ? "disk 'sdc': not offered: boot medium (mounted at /run/live/medium)" : "disk 'sdc': not offered: boot medium (mounted at /lib/live/mount/medium)");
        v2k_p2v_machine_free(m);
    }
}
END_TEST

/* ---- a malformed tree, written here ------------------------------------ */

static char tmproot[4096];

static void
wr(const char *rel, const char *content)
{
    char p[4096], dir[4096];
    FILE *fp;

    snprintf(p, sizeof p, "%s/%s", tmproot, rel);
    snprintf(dir, sizeof dir, "mkdir -p \"$(dirname '%s')\"", p);
    ck_assert_int_eq(system(dir), 0);
    fp = fopen(p, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(content, fp);
    fclose(fp);
}

static void
sh(const char *cmd)
{
    char buf[8192];
    snprintf(buf, sizeof buf, "cd '%s' && %s", tmproot, cmd);
    ck_assert_msg(system(buf) == 0, "%s", cmd);
}

START_TEST(test_malformed_tree_sane_defaults)
{
    const char *tmp = getenv("V2K_TEST_TMPDIR");
    struct v2k_p2v_machine *m = NULL;

    snprintf(tmproot, sizeof tmproot, "%s/p2v-malformed.XXXXXX",
             tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmproot));
    /* sda: no size file; sdb: garbage; sdc: overflows x 512; sdd: a
     * 64 MiB size and model (sparse); sde: its model is a FIFO (a read
     * would block), its dev "8:"; sdf: removable without a medium;
     * sdg: a device link loop, serial with control bytes */
    wr("sys/block/sda/removable", "0\n");
    wr("sys/block/sdb/size", "12ab\n");
    wr("sys/block/sdb/dev", "garbage");
    wr("sys/block/sdc/size", "36028797018963968\n");
    wr("sys/block/sdd/ro", "1");
    sh("truncate -s 64M sys/block/sdd/size sys/block/sdd/model");
    wr("sys/block/sde/size", "\n");
    wr("sys/block/sde/dev", "8:");
    sh("mkdir -p sys/block/sde/device && mkfifo sys/block/sde/device/model");
    wr("sys/block/sdf/removable", "1");
    wr("sys/block/sdf/size", "0");
    sh("mkdir -p sys/block/sdg && ln -s device sys/block/sdg/device");
    wr("sys/block/sdg/serial", "AB\x01\x1b[31mCD");
    wr("sys/block/md9/md/level", "");
    sh("mkdir -p sys/block/md9/slaves && ln -s ../../sdz sys/block/md9/slaves/sdz && ln -s ../../md9 sys/block/md9/slaves/md9");
    /* md8 and md9 hold each other: a loop sysfs never has */
    sh("mkdir -p sys/block/md8/slaves && ln -s ../../md9 sys/block/md8/slaves/md9 && ln -s ../../md8 sys/block/md9/slaves/md8");
    /* the CPUs: a bad online list, topology of garbage */
    wr("sys/devices/system/cpu/online", "0-3,x");
    wr("sys/devices/system/cpu/cpu0/topology/core_id", "-1");
    wr("proc/meminfo", "MemTotal:       lots kB\n");
    sh("truncate -s 20M proc/cpuinfo");
    wr("proc/self/mountinfo", "garbage\n1 2 3\n25 22 99:99 / /run/live/medium ro - iso9660\n");
    wr("proc/mounts", "/dev/../sdb / ext4 rw 0 0\n/dev/sdf\n/dev/md9 / ext4 rw 0 0\n");
    sh("mkdir -p sys/class/net/eth0 sys/dev/block && ln -s ../../nowhere sys/dev/block/99:99 && ln -s eth0 sys/class/net/eth0/device");
    wr("sys/class/net/eth0/address", "not-a-mac");
    wr("sys/class/net/eth0/speed", "99999999999999999999");
    wr("sys/class/net/eth0/carrier", "yes");

    ck_assert_msg(v2k_p2v_discover(tmproot, &m) == 0, "%s",
                  v2k_error_message());
    ck_assert_uint_eq(m->ndisks, 9);
    ck_assert(disk(m, "sda")->size_bytes == 0);
    ck_assert(disk(m, "sdb")->size_bytes == 0);
    ck_assert(disk(m, "sdb")->major == 0);
    ck_assert(disk(m, "sdc")->size_bytes == 0);
    ck_assert(disk(m, "sdd")->size_bytes == 0);
    ck_assert_str_eq(disk(m, "sdd")->model, "");
    ck_assert(disk(m, "sdd")->read_only);
    ck_assert_str_eq(disk(m, "sde")->model, "");
    ck_assert_str_eq(disk(m, "sdf")->reason, "removable drive without a medium");
    ck_assert_str_eq(disk(m, "sdg")->serial, "AB\x01\x1b[31mCD");
    ck_assert_int_eq(disk(m, "md9")->state, V2K_P2V_HIDDEN);
    ck_assert_str_eq(disk(m, "md9")->md_level, "");
    ck_assert_uint_eq(m->ngroups, 0);
    ck_assert_uint_ge(m->cpus, 1);
    ck_assert_uint_eq(m->sockets * m->cores * m->threads, m->cpus);
    ck_assert(m->memory_bytes == 0 && m->memory_rounded_bytes == 0);
    ck_assert_str_eq(m->cpu_vendor, "");
    ck_assert_uint_eq(m->nnics, 1);
    ck_assert_str_eq(m->nics[0].mac, "");
    ck_assert_str_eq(m->nics[0].driver, "");
    ck_assert(m->nics[0].speed_mbps == 0);
    ck_assert_int_eq(m->nics[0].carrier, -1);

    /* The XML of such a machine still validates in shape: memory
     * falls back, the serial loses its control bytes. */
    {
        char *buf = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&buf, &len);
        struct v2k_p2v_xml_disk x = { .disk = "sdg", .host = "h",
                                      .port = 1 };
        struct v2k_p2v_xml_options o = { .name = "m" };
        ck_assert_int_eq(v2k_p2v_write_xml(fp, m, &x, 1, &o), 0);
        fclose(fp);
        ck_assert_ptr_nonnull(strstr(buf, "<memory unit='KiB'>1048576</memory>"));
        ck_assert_ptr_nonnull(strstr(buf, "<serial>AB___31mCD</serial>"));
        free(buf);
    }
    v2k_p2v_machine_free(m);

    /* No sys/block at all: the one error there is. */
    sh("rm -rf sys/block");
    ck_assert_int_eq(v2k_p2v_discover(tmproot, &m), -1);
    ck_assert_ptr_null(m);
    ck_assert_ptr_nonnull(strstr(v2k_error_message(), "/sys/block: No such file or directory"));
    sh("cd .. && rm -rf p2v-malformed.*");
}
END_TEST

/* ---- md and LVM metadata on the disks (ondisk.h) ------------------------
 * Fixtures written here from the specs (md_p.h, lvm2's label.h and
 * layout.h), not by the code under test: the boot image assembles no
 * array and activates no VG, so sysfs shows the disks bare. */

static void
le16_put(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void
le32_put(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void
le64_put(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* md.c calc_sb_1_csum / calc_sb_csum: le32 words summed in 64 bits,
 * folded once; the checksum field must be 0 when called. */
static uint32_t
t_md_csum(const unsigned char *sb, size_t len)
{
    uint64_t sum = 0;
    size_t i;
    for (i = 0; i + 4 <= len; i += 4)
        sum += (uint32_t)sb[i] | (uint32_t)sb[i + 1] << 8 |
               (uint32_t)sb[i + 2] << 16 | (uint32_t)sb[i + 3] << 24;
    if (len - i == 2)
        sum += (uint32_t)sb[i] | (uint32_t)sb[i + 1] << 8;
    return (uint32_t)((sum & 0xffffffff) + (sum >> 32));
}

/* lvm2 lib/misc/crc.c calc_crc, with INITIAL_CRC 0xf597a6cf */
static uint32_t
t_lvm_crc(const unsigned char *p, size_t n)
{
    uint32_t crc = 0xf597a6cf;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (crc & 1 ? 0xedb88320 : 0);
    }
    return crc;
}

/* size bytes of zeros (sparse) at ROOT/rel, then len bytes at off. */
static void
put_file(const char *rel, uint64_t size, uint64_t off, const void *buf,
         size_t len)
{
    char p[4096];
    int fd;

    snprintf(p, sizeof p, "%s/%s", tmproot, rel);
    fd = open(p, O_WRONLY | O_CREAT, 0644);
    ck_assert_int_ne(fd, -1);
    ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
    if (len)
        ck_assert_int_eq(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
    close(fd);
}

/* A disk NAME of size bytes in sys/block (and ROOT/dev/NAME), with
 * partitions NAME1..NAMEn of psize bytes each. */
static void
mk_disk(const char *name, uint64_t size, int nparts, uint64_t psize)
{
    char rel[256], val[64];

    snprintf(rel, sizeof rel, "sys/block/%s/size", name);
    snprintf(val, sizeof val, "%llu\n", (unsigned long long)(size / 512));
    wr(rel, val);
    sh("mkdir -p dev");
    snprintf(rel, sizeof rel, "dev/%s", name);
    put_file(rel, size, 0, NULL, 0);
    for (int i = 1; i <= nparts; i++) {
        const char *sep = name[strlen(name) - 1] >= '0' &&
                          name[strlen(name) - 1] <= '9' ? "p" : "";
        snprintf(rel, sizeof rel, "sys/block/%s/%s%s%d/partition", name,
                 name, sep, i);
        wr(rel, "1\n");
        snprintf(rel, sizeof rel, "dev/%s%s%d", name, sep, i);
        put_file(rel, psize, 0, NULL, 0);
    }
}

struct md1 {
    uint64_t off;               /* where: 0 (1.1), 4096 (1.2), end (1.0) */
    unsigned char uuid[16];
    const char *name;
    int32_t level;
    uint32_t raid_disks, dev_number, max_dev;
    uint16_t role;
};

/* An mdp_superblock_1 (md_p.h) in dev/rel of size bytes. */
static void
mk_md1(const char *rel, uint64_t size, const struct md1 *f)
{
    unsigned char sb[4096];

    memset(sb, 0, sizeof sb);
    le32_put(sb, 0xa92b4efc);                   /* magic */
    le32_put(sb + 4, 1);                        /* major_version */
    memcpy(sb + 16, f->uuid, 16);               /* set_uuid */
    snprintf((char *)sb + 32, 32, "%s", f->name);   /* set_name */
    le32_put(sb + 72, (uint32_t)f->level);
    le32_put(sb + 92, f->raid_disks);
    le64_put(sb + 128, 2048);                   /* data_offset */
    le64_put(sb + 136, size / 512 - 4096);      /* data_size */
    le64_put(sb + 144, f->off / 512);           /* super_offset */
    le32_put(sb + 160, f->dev_number);
    le32_put(sb + 220, f->max_dev);
    for (uint32_t i = 0; i < f->max_dev && i < 1920; i++)
        le16_put(sb + 256 + 2 * i, i == f->dev_number ? f->role : 0xffff);
    le32_put(sb + 216, t_md_csum(sb, 256 + 2 * (f->max_dev < 1920 ? f->max_dev : 1920)));
    put_file(rel, size, f->off, sb, sizeof sb);
}

/* An mdp_super_t (0.90, md_p.h) at the end of dev/rel. */
static void
mk_md090(const char *rel, uint64_t size, uint32_t uuid0, uint32_t minor,
         uint32_t raid_disks, uint32_t slot)
{
    uint32_t w[1024];
    uint64_t off = (size & ~(uint64_t)65535) - 65536;

    memset(w, 0, sizeof w);
    w[0] = 0xa92b4efc;
    w[1] = 0;
    w[2] = 90;
    w[5] = uuid0;
    w[7] = 1;                   /* raid1 */
    w[9] = raid_disks;          /* nr_disks */
    w[10] = raid_disks;
    w[11] = minor;
    w[13] = 0x11111111;
    w[14] = 0x22222222;
    w[15] = 0x33333333;
    w[992 + 3] = slot;          /* this_disk.raid_disk */
    w[992 + 4] = 6;             /* active, sync */
    w[38] = t_md_csum((unsigned char *)w, sizeof w);  /* x86: le */
    put_file(rel, size, off, w, sizeof w);
}

/* An LVM2 PV: the label in sector 1, one data area at 1 MiB, one
 * metadata area at 4 KiB (header, then vgtext at 512 in it). */
static void
mk_pv(const char *rel, uint64_t size, const char *pvid, const char *vgtext)
{
    unsigned char lab[512], mda[512];
    size_t tl = strlen(vgtext) + 1;
    uint64_t mstart = 4096, msize = (1 << 20) - 4096;

    memset(lab, 0, sizeof lab);
    memcpy(lab, "LABELONE", 8);
    le64_put(lab + 8, 1);                       /* sector_xl */
    le32_put(lab + 20, 32);                     /* offset_xl */
    memcpy(lab + 24, "LVM2 001", 8);
    memcpy(lab + 32, pvid, 32);                 /* pv_uuid */
    le64_put(lab + 64, size);                   /* device_size_xl */
    le64_put(lab + 72, 1 << 20);                /* data area: offset */
    /* size 0: to the end; then the { 0, 0 } ending the list */
    le64_put(lab + 104, mstart);                /* metadata area */
    le64_put(lab + 112, msize);
    le32_put(lab + 16, t_lvm_crc(lab + 20, 512 - 20));
    put_file(rel, size, 512, lab, sizeof lab);

    memset(mda, 0, sizeof mda);
    memcpy(mda + 4, " LVM2 x[5A%r0N*>", 16);
    le32_put(mda + 20, 1);                      /* version */
    le64_put(mda + 24, mstart);
    le64_put(mda + 32, msize);
    le64_put(mda + 40, 512);                    /* raw_locn offset */
    le64_put(mda + 48, tl);                     /* size */
    le32_put(mda + 56, t_lvm_crc((const unsigned char *)vgtext, tl));
    le32_put(mda, t_lvm_crc(mda + 4, 512 - 4));
    put_file(rel, size, mstart, mda, sizeof mda);
    put_file(rel, size, mstart + 512, vgtext, tl);
}

static const char vg0_text[] =
    "vg0 {\n"
    "id = \"Xk3f2a-AAAA-BBBB-CCCC-DDDD-EEEE-FFFFff\"\n"
    "seqno = 3\n"
    "status = [\"RESIZEABLE\", \"READ\", \"WRITE\"]\n"
    "# a comment with { and \"\n"
    "physical_volumes {\n"
    "pv0 {\n"
    "id = \"pv0pv0-0000-0000-0000-0000-0000-000000\"\n"
    "device = \"/dev/nvme0n1\"\n"
    "}\n"
    "}\n"
    "}\n"
    "# Generated by LVM2 version 2.03.16(2) (2022-05-18)\n"
    "contents = \"Text Format Volume\"\n"
    "version = 1\n";

static void
new_tree(const char *tag)
{
    const char *tmp = getenv("V2K_TEST_TMPDIR");

    snprintf(tmproot, sizeof tmproot, "%s/p2v-%s.XXXXXX", tmp ? tmp : "/tmp",
             tag);
    ck_assert_ptr_nonnull(mkdtemp(tmproot));
}

static void
drop_tree(void)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmproot);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_ondisk_raid_and_vg_not_active)
{
    struct v2k_p2v_machine *m = NULL;
    struct md1 f = { .off = 4096, .name = "host:0", .level = 1,
                     .raid_disks = 2, .max_dev = 128 };
    const uint64_t MiB = 1 << 20;

    memcpy(f.uuid, "\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef", 16);
    new_tree("ondisk");
    /* sda1 + sdb1: a v1.2 raid1 "host:0", slots 0 and 1 */
    mk_disk("sda", 16 * MiB, 1, 15 * MiB);
    mk_disk("sdb", 16 * MiB, 1, 15 * MiB);
    f.dev_number = 0;
    f.role = 0;
    mk_md1("dev/sda1", 15 * MiB, &f);
    f.dev_number = 1;
    f.role = 1;
    mk_md1("dev/sdb1", 15 * MiB, &f);
    /* sdc: a v0.90 raid1 of 2 on the whole disk, its mirror gone */
    mk_disk("sdc", 8 * MiB + 12345, 0, 0);
    mk_md090("dev/sdc", 8 * MiB + 12345, 0xdeadbeef, 3, 2, 1);
    /* nvme0n1 and sdd2: PVs of VG vg0; sde: a PV without metadata */
    mk_disk("nvme0n1", 8 * MiB, 0, 0);
    mk_pv("dev/nvme0n1", 8 * MiB, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", vg0_text);
    mk_disk("sdd", 16 * MiB, 2, 4 * MiB);
    mk_pv("dev/sdd2", 4 * MiB, "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", vg0_text);
    mk_disk("sde", 4 * MiB, 0, 0);
    {
        unsigned char lab[512];
        memset(lab, 0, sizeof lab);
        memcpy(lab, "LABELONE", 8);
        le32_put(lab + 20, 32);
        memcpy(lab + 24, "LVM2 001", 8);
        memcpy(lab + 32, "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC", 32);
        le32_put(lab + 16, t_lvm_crc(lab + 20, 512 - 20));
        put_file("dev/sde", 4 * MiB, 0, lab, sizeof lab);
    }

    ck_assert_msg(v2k_p2v_discover(tmproot, &m) == 0, "%s",
                  v2k_error_message());
    ck_assert_str_eq(offered(m), "nvme0n1,sda,sdb,sdc,sdd,sde");
    ck_assert_str_eq(disk(m, "sda")->relation, "member of md array 'host:0' (raid1), not assembled");
    ck_assert_str_eq(disk(m, "sdb")->relation, "member of md array 'host:0' (raid1), not assembled");
    /* degraded: a note, and no group of one */
    ck_assert_str_eq(disk(m, "sdc")->relation, "member of md array 'md3' (raid1), not assembled; md array 'md3' is degraded: 1 of its 2 members found");
    ck_assert_str_eq(disk(m, "nvme0n1")->relation, "physical volume of VG vg0");
    ck_assert_str_eq(disk(m, "sdd")->relation, "physical volume of VG vg0");
    ck_assert_str_eq(disk(m, "sde")->relation, "LVM physical volume (no metadata area on it names its VG)");
    ck_assert_uint_eq(m->ngroups, 2);
    ck_assert_str_eq(m->groups[0].label, "md array 'host:0' (raid1, not assembled)");
    ck_assert_str_eq(m->groups[1].label, "VG vg0");
    ck_assert_int_eq(select_(m, "sda", NULL), -1);
    ck_assert_str_eq(v2k_error_message(), "md array 'host:0' (raid1, not assembled) spans sda, sdb: select all of them or none (sdb is not selected)");
    ck_assert_int_eq(select_(m, "sdd", "sda"), -1);
    ck_assert_int_eq(select_(m, "sdb", "sda"), 0);
    ck_assert_int_eq(select_(m, "sdc", NULL), 0);
    ck_assert_int_eq(select_(m, "nvme0n1", "sdd"), 0);
    ck_assert_int_eq(select_(m, "nvme0n1", NULL), -1);
    ck_assert_str_eq(v2k_error_message(), "VG vg0 spans nvme0n1, sdd: select all of them or none (sdd is not selected)");
    v2k_p2v_machine_free(m);

    /* sdf: another machine's disk with a VG named vg0 too (another id):
     * a VG of its own, told apart by its id, not a third PV of ours */
    {
        char other[sizeof vg0_text];
        snprintf(other, sizeof other, "%s", vg0_text);
        memcpy(strstr(other, "Xk3f2a"), "Yk3f2a", 6);
        mk_disk("sdf", 4 * MiB, 0, 0);
        mk_pv("dev/sdf", 4 * MiB, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", other);
    }
    ck_assert_msg(v2k_p2v_discover(tmproot, &m) == 0, "%s",
                  v2k_error_message());
    ck_assert_str_eq(disk(m, "nvme0n1")->relation, "physical volume of VG vg0 (id Xk3f2a-AAAA-BBBB-CCCC-DDDD-EEEE-FFFFff)");
    ck_assert_str_eq(disk(m, "sdf")->relation, "physical volume of VG vg0 (id Yk3f2a-AAAA-BBBB-CCCC-DDDD-EEEE-FFFFff)");
    ck_assert_uint_eq(m->ngroups, 2);
    ck_assert_str_eq(m->groups[1].label, "VG vg0 (id Xk3f2a-AAAA-BBBB-CCCC-DDDD-EEEE-FFFFff)");
    ck_assert_int_eq(select_(m, "nvme0n1", "sdd"), 0);
    v2k_p2v_machine_free(m);
    drop_tree();
}
END_TEST

/* An array sysfs already shows (md0 assembled over sda1 and sdb1) is
 * not grouped again from its superblocks. */
START_TEST(test_ondisk_active_array_not_doubled)
{
    struct v2k_p2v_machine *m = NULL;
    struct md1 f = { .off = 4096, .name = "host:0", .level = 1,
                     .raid_disks = 2, .max_dev = 2 };
    const uint64_t MiB = 1 << 20;

    new_tree("ondisk-active");
    mk_disk("sda", 16 * MiB, 1, 15 * MiB);
    mk_disk("sdb", 16 * MiB, 1, 15 * MiB);
    mk_md1("dev/sda1", 15 * MiB, &f);
    f.dev_number = 1;
    f.role = 1;
    mk_md1("dev/sdb1", 15 * MiB, &f);
    wr("sys/block/md0/md/level", "raid1\n");
    sh("mkdir -p sys/block/md0/slaves && ln -s ../../sda/sda1 sys/block/md0/slaves/sda1 && ln -s ../../sdb/sdb1 sys/block/md0/slaves/sdb1");
    ck_assert_msg(v2k_p2v_discover(tmproot, &m) == 0, "%s",
                  v2k_error_message());
    ck_assert_str_eq(disk(m, "sda")->relation, "member of md0 (raid1)");
    ck_assert_uint_eq(m->ngroups, 1);
    ck_assert_str_eq(m->groups[0].label, "md0 (raid1)");
    v2k_p2v_machine_free(m);
    drop_tree();
}
END_TEST

/* v1.0 (end, 4 KiB aligned) and v1.1 (offset 0) through the probe. */
START_TEST(test_ondisk_md_v10_v11)
{
    struct v2k_p2v_ondisk od;
    struct md1 f = { .name = "", .level = 5, .raid_disks = 3,
                     .max_dev = 3, .dev_number = 2, .role = 2 };
    const uint64_t size = (5 << 20) + 3000;
    char p[4096];
    int fd;

    new_tree("ondisk-v1");
    f.off = ((size - 8192) & ~(uint64_t)4095);
    memset(f.uuid, 0xab, 16);
    mk_md1("v10", size, &f);
    snprintf(p, sizeof p, "%s/v10", tmproot);
    fd = open(p, O_RDONLY);
    v2k_p2v_ondisk_probe(fd, size, &od);
    close(fd);
    ck_assert_int_eq(od.kind, V2K_P2V_ONDISK_MD);
    ck_assert_str_eq(od.md_version, "1.0");
    ck_assert_str_eq(od.md_level, "raid5");
    /* no set_name: the UUID's first 8 digits */
    ck_assert_str_eq(od.md_name, "abababab");
    ck_assert_str_eq(od.md_uuid, "abababababababababababababababab");
    ck_assert_uint_eq(od.md_raid_disks, 3);
    ck_assert_int_eq(od.md_role, 2);

    f.off = 0;
    f.name = "a\x01name";
    f.role = 0xffff;
    mk_md1("v11", size, &f);
    snprintf(p, sizeof p, "%s/v11", tmproot);
    fd = open(p, O_RDONLY);
    v2k_p2v_ondisk_probe(fd, size, &od);
    ck_assert_int_eq(od.kind, V2K_P2V_ONDISK_MD);
    ck_assert_str_eq(od.md_version, "1.1");
    ck_assert_str_eq(od.md_name, "a?name");
    ck_assert_int_eq(od.md_role, V2K_P2V_MD_ROLE_SPARE);
    /* the size given is the device's: a 1.1 superblock read where the
     * device would end is not there */
    v2k_p2v_ondisk_probe(fd, 2048, &od);
    ck_assert_int_eq(od.kind, V2K_P2V_ONDISK_NONE);
    close(fd);
    drop_tree();
}
END_TEST

/* Bad magic, sums, locations and sizes; truncated devices; a FIFO for
 * a device node: all ignored, none of them an error or a relation. */
START_TEST(test_ondisk_malformed_ignored)
{
    struct v2k_p2v_machine *m = NULL;
    struct md1 f = { .off = 4096, .name = "x", .level = 1,
                     .raid_disks = 2, .max_dev = 2 };
    const uint64_t MiB = 1 << 20;
    unsigned char b[4096];

    new_tree("ondisk-bad");
    /* sda: v1.2 with a wrong checksum */
    mk_disk("sda", 4 * MiB, 0, 0);
    mk_md1("dev/sda", 4 * MiB, &f);
    put_file("dev/sda", 4 * MiB, 4096 + 216, "\x01", 1);
    /* sdb: max_dev 70000 (the sum would run 140 KB past the block) */
    mk_disk("sdb", 4 * MiB, 0, 0);
    f.max_dev = 70000;
    mk_md1("dev/sdb", 4 * MiB, &f);
    f.max_dev = 2;
    /* sdc: super_offset says 1.1 but it sits at 4096 */
    mk_disk("sdc", 4 * MiB, 0, 0);
    f.off = 0;
    mk_md1("dev/sdc", 4 * MiB, &f);
    sh("dd if=dev/sdc of=dev/sdc bs=4096 count=1 seek=1 conv=notrunc status=none && dd if=/dev/zero of=dev/sdc bs=4096 count=1 conv=notrunc status=none");
    f.off = 4096;
    /* sdd: bad magic; raid_disks 0 on sdd1 */
    mk_disk("sdd", 4 * MiB, 1, 2 * MiB);
    mk_md1("dev/sdd", 4 * MiB, &f);
    put_file("dev/sdd", 4 * MiB, 4096, "\xfd", 1);
    f.raid_disks = 0;
    mk_md1("dev/sdd1", 2 * MiB, &f);
    f.raid_disks = 2;
    /* sdf: truncated: the sysfs size says 4 MiB, the device has 5000
     * bytes, a v1.2 magic at 4096 and nothing after */
    mk_disk("sdf", 4 * MiB, 0, 0);
    memset(b, 0, sizeof b);
    le32_put(b, 0xa92b4efc);
    le32_put(b + 4, 1);
    put_file("dev/sdf", 5000, 4096, b, 904);
    /* sdg: an LVM label with a bad CRC; sdh: a good label whose mda
     * claims 2^60 bytes of text; sdi: an unterminated VG text */
    mk_disk("sdg", 4 * MiB, 0, 0);
    mk_pv("dev/sdg", 4 * MiB, "GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG", vg0_text);
    put_file("dev/sdg", 4 * MiB, 512 + 40, "Z", 1);
    mk_disk("sdh", 4 * MiB, 0, 0);
    mk_pv("dev/sdh", 4 * MiB, "HHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHH", vg0_text);
    memset(b, 0, 512);
    {
        int fd;
        char p[4096];
        snprintf(p, sizeof p, "%s/dev/sdh", tmproot);
        fd = open(p, O_RDWR);
        ck_assert_int_eq(pread(fd, b, 512, 4096), 512);
        le64_put(b + 48, 1ULL << 60);
        le32_put(b, t_lvm_crc(b + 4, 512 - 4));
        ck_assert_int_eq(pwrite(fd, b, 512, 4096), 512);
        close(fd);
    }
    mk_disk("sdi", 4 * MiB, 0, 0);
    mk_pv("dev/sdi", 4 * MiB, "IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII", "vgx {\nid = \"abc\"\nphysical_volumes {\n");
    /* sdj: a FIFO where the device should be (an open would block
     * without O_NONBLOCK, a read forever) */
    mk_disk("sdj", 4 * MiB, 0, 0);
    sh("rm dev/sdj && mkfifo dev/sdj");
    /* sdk: an empty file; sdl: a directory */
    mk_disk("sdk", 4 * MiB, 0, 0);
    put_file("dev/sdk", 0, 0, NULL, 0);
    mk_disk("sdl", 4 * MiB, 0, 0);
    sh("rm dev/sdl && mkdir dev/sdl");

    ck_assert_msg(v2k_p2v_discover(tmproot, &m) == 0, "%s",
                  v2k_error_message());
    for (size_t i = 0; i < m->ndisks; i++)
        ck_assert_msg(strcmp(m->disks[i].relation, "") == 0 ||
                      strcmp(m->disks[i].kname, "sdh") == 0 ||
                      strcmp(m->disks[i].kname, "sdi") == 0,
                      "%s: %s", m->disks[i].kname, m->disks[i].relation);
    /* sdh and sdi have good labels: PVs, their VG not trusted */
    ck_assert_str_eq(disk(m, "sdh")->relation, "LVM physical volume (no metadata area on it names its VG)");
    ck_assert_str_eq(disk(m, "sdi")->relation, "LVM physical volume (no metadata area on it names its VG)");
    ck_assert_uint_eq(m->ngroups, 0);
    v2k_p2v_machine_free(m);
    drop_tree();
}
END_TEST

/* ---- the domain XML ---------------------------------------------------- */

static char *
xml_of(const struct v2k_p2v_machine *m, const struct v2k_p2v_xml_disk *x,
       size_t n, const struct v2k_p2v_xml_options *o, int *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);

    *r = v2k_p2v_write_xml(fp, m, x, n, o);
    fclose(fp);
    return buf;
}

START_TEST(test_xml_escape)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);

    /* the five, C0 controls and DEL dropped, invalid UTF-8 dropped
     * (a lone 0xff, an overlong '/'), valid UTF-8 kept */
    v2k_p2v_xml_escape(fp, "a&b<c>d'e\"f\x01g\x7fh\xffi\xc0\xafj\xc3\xa9\tk");
    fclose(fp);
    ck_assert_str_eq(buf, "a&amp;b&lt;c&gt;d&apos;e&quot;fghij\xc3\xa9&#9;k");
    free(buf);
}
END_TEST

START_TEST(test_xml_of_raid_machine)
{
    struct v2k_p2v_machine *m = load("md-raid1");
    struct v2k_p2v_xml_disk x[2] = {
        { .disk = "sda", .export_name = "sda", .socket = "/run/p2v/sda.sock" },
        { .disk = "sdb", .export_name = "sdb", .host = "10.0.0.1", .port = 10810 },
    };
    struct v2k_p2v_xml_options o = { .name = "web&<01>", .network = "prod" };
    int r;
    char *xml = xml_of(m, x, 2, &o, &r);

    ck_assert_int_eq(r, 0);
    ck_assert_ptr_nonnull(strstr(xml, "<domain type='kvm'>\n  <name>web&amp;&lt;01&gt;</name>\n"));
    ck_assert_ptr_nonnull(strstr(xml, "<memory unit='KiB'>8126464</memory>"));
    ck_assert_ptr_nonnull(strstr(xml, "<vcpu>2</vcpu>"));
    ck_assert_ptr_nonnull(strstr(xml, "<topology sockets='1' cores='2' threads='1'/>"));
    ck_assert_ptr_nonnull(strstr(xml, "<os firmware='efi'>\n    <type arch='x86_64'>hvm</type>"));
    ck_assert_ptr_nonnull(strstr(xml, "<source protocol='nbd' name='sda'>\n        <host transport='unix' socket='/run/p2v/sda.sock'/>"));
    ck_assert_ptr_nonnull(strstr(xml, "<source protocol='nbd' name='sdb'>\n        <host name='10.0.0.1' port='10810'/>"));
    ck_assert_ptr_nonnull(strstr(xml, "<target dev='sdb' bus='sata'/>\n      <serial>Z3T67890</serial>\n      <alias name='ua-p2v-sdb'/>"));
    ck_assert_ptr_null(strstr(xml, "<interface"));
    free(xml);

    /* half the mirror, a bad endpoint: refused, nothing promised */
    xml = xml_of(m, x, 1, &o, &r);
    ck_assert_int_eq(r, -1);
    ck_assert_ptr_nonnull(strstr(v2k_error_message(), "md0 (raid1) spans sda, sdb"));
    free(xml);
    x[1].socket = "/x";
    xml = xml_of(m, x, 2, &o, &r);
    ck_assert_int_eq(r, -1);
    ck_assert_str_eq(v2k_error_message(), "disk 'sdb': its NBD endpoint needs either a host and a port from 1 to 65535 or an absolute Unix socket path");
    free(xml);
    x[1].socket = NULL;
    x[1].port = 0;
    xml = xml_of(m, x, 2, &o, &r);
    ck_assert_int_eq(r, -1);
    free(xml);
    o.name = "";
    x[1].port = 1;
    xml = xml_of(m, x, 2, &o, &r);
    ck_assert_int_eq(r, -1);
    ck_assert_str_eq(v2k_error_message(), "the domain needs a name");
    free(xml);
    v2k_p2v_machine_free(m);
}
END_TEST

START_TEST(test_xml_nics_and_many_targets)
{
    struct v2k_p2v_machine *m = calloc(1, sizeof *m);
    struct v2k_p2v_xml_disk x[28];
    struct v2k_p2v_xml_options o = { .name = "big" };
    int r;
    char *xml;

    /* a hand-made machine: 28 offered disks, one NIC */
    m->arch = strdup("x86_64");
    m->cpus = m->sockets = m->cores = m->threads = 1;
    m->memory_rounded_bytes = 1ULL << 30;
    m->ndisks = 28;
    m->disks = calloc(28, sizeof *m->disks);
    for (int i = 0; i < 28; i++) {
        char n[16];
        snprintf(n, sizeof n, "cciss!c0d%d", i);
        m->disks[i].name = strdup(n);
        m->disks[i].kname = strdup(n);
        m->disks[i].serial = strdup(i == 0 ? "<&>" : "");
        m->disks[i].reason = strdup("");
        m->disks[i].relation = strdup("");
        x[i] = (struct v2k_p2v_xml_disk){ .disk = m->disks[i].name,
                                          .host = "localhost",
                                          .port = (unsigned)(10809 + i) };
    }
    m->nnics = 1;
    m->nics = calloc(1, sizeof *m->nics);
    m->nics[0].name = strdup("eth0");
    m->nics[0].mac = strdup("00:1b:21:aa:bb:01");
    xml = xml_of(m, x, 28, &o, &r);
    ck_assert_int_eq(r, 0);
    ck_assert_ptr_nonnull(strstr(xml, "<target dev='sdz' bus='sata'/>"));
    ck_assert_ptr_nonnull(strstr(xml, "<target dev='sdaa' bus='sata'/>"));
    ck_assert_ptr_nonnull(strstr(xml, "<target dev='sdab' bus='sata'/>"));
    /* a serial of nothing allowed is left out; names kept as aliases */
    ck_assert_ptr_null(strstr(xml, "<serial>"));
    ck_assert_ptr_nonnull(strstr(xml, "<alias name='ua-p2v-cciss_c0d27'/>"));
    ck_assert_ptr_nonnull(strstr(xml, "port='10836'"));
    ck_assert_ptr_nonnull(strstr(xml, "<interface type='network'>\n      <mac address='00:1b:21:aa:bb:01'/>\n      <source network='default'/>\n      <model type='e1000'/>\n    </interface>"));
    ck_assert_ptr_nonnull(strstr(xml, "<os>\n"));
    free(xml);
    v2k_p2v_machine_free(m);
}
END_TEST

Suite *make_suite(void);

Suite *
make_suite(void)
{
    Suite *s = suite_create("p2v-discover");
    TCase *tc = tcase_create("discover");

    tcase_add_test(tc, test_two_sata_disks_dvd_and_loop);
    tcase_add_test(tc, test_cpu_memory_firmware);
    tcase_add_test(tc, test_nics_only_physical_ones);
    tcase_add_test(tc, test_md_raid1_members_offered_whole);
    tcase_add_test(tc, test_lvm_volume_groups);
    tcase_add_test(tc, test_nvme_namespace_not_controller_path);
    tcase_add_test(tc, test_mmc_without_boot_areas);
    tcase_add_test(tc, test_multipath_offered_once);
    tcase_add_test(tc, test_usb_boot_medium_hidden);
    tcase_add_test(tc, test_malformed_tree_sane_defaults);
    tcase_add_test(tc, test_ondisk_raid_and_vg_not_active);
    tcase_add_test(tc, test_ondisk_active_array_not_doubled);
    tcase_add_test(tc, test_ondisk_md_v10_v11);
    tcase_add_test(tc, test_ondisk_malformed_ignored);
    tcase_add_test(tc, test_xml_escape);
    tcase_add_test(tc, test_xml_of_raid_machine);
    tcase_add_test(tc, test_xml_nics_and_many_targets);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
