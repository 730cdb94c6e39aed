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
    tcase_add_test(tc, test_xml_escape);
    tcase_add_test(tc, test_xml_of_raid_machine);
    tcase_add_test(tc, test_xml_nics_and_many_targets);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
