/* test-linux-map.c - the Linux steps' pure parts: the disk name map
 * (source names -> the output's vdX/sdX), kernel command-line rewriting,
 * GRUB environment blocks, kernel version order, and listing the modules
 * of an initramfs (cpio, compressed, concatenated).  No appliance. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "error.h"
#include "linux-internal.h"
#include "source.h"

/* A source with n disks: bus, slot, target_dev (NULL = none). */
struct dspec {
    enum v2k_bus bus;
    int slot;
    const char *target_dev;
    enum v2k_device device;
};

static struct v2k_source *
mksrc(const struct dspec *d, size_t n)
{
    struct v2k_source *s = v2k_source_new();
    size_t i;

    ck_assert_ptr_nonnull(s);
    for (i = 0; i < n; i++) {
        struct v2k_disk *k = v2k_source_add_disk(s);
        ck_assert_ptr_nonnull(k);
        k->bus = d[i].bus;
        k->slot = d[i].slot;
        k->device = d[i].device;
        if (d[i].target_dev)
            k->target_dev = strdup(d[i].target_dev);
    }
    return s;
}

static struct v2k_linux_devmap m;

static void
build(const struct dspec *d, size_t n, enum v2k_block_bus bus)
{
    struct v2k_source *s = mksrc(d, n);
    ck_assert_int_eq(v2k_linux_devmap_build(&m, s, bus, V2K_MACHINE_Q35), 0);
    v2k_source_free(s);
}

/* Map dev; expect want (NULL = unchanged) and the guess flag. */
static void
expect_map(const char *dev, const char *want, bool want_guess)
{
    char *out = NULL;
    bool g = true;
    int r = v2k_linux_map_devname(&m, dev, &out, &g);

    if (want == NULL) {
        ck_assert_msg(r == 0, "%s: expected unchanged, got %s", dev,
                      out ? out : "(null)");
        ck_assert_ptr_null(out);
        return;
    }
    ck_assert_msg(r == 1, "%s: expected %s, got r=%d", dev, want, r);
    ck_assert_str_eq(out, want);
    ck_assert_msg(g == want_guess, "%s: guessed=%d", dev, g);
    free(out);
}

START_TEST(test_xen_xvd_to_vd_with_partitions)
{
    const struct dspec d[] = {
        { V2K_BUS_XEN, 0, "xvda", V2K_DEV_DISK },
        { V2K_BUS_XEN, 1, "xvdb", V2K_DEV_DISK },
    };
    build(d, 2, V2K_BLOCK_VIRTIO_BLK);
    expect_map("/dev/xvda", "/dev/vda", false);
    expect_map("/dev/xvda1", "/dev/vda1", false);
    expect_map("/dev/xvdb12", "/dev/vdb12", false);
    expect_map("xvdb", "vdb", false);           /* bare names too */
    /* the guest may name the same disks sdX (Xen HVM, libata) */
    expect_map("/dev/sda2", "/dev/vda2", true);
    v2k_linux_devmap_free(&m);
}
END_TEST

START_TEST(test_ide_hda_hdc_two_disks)
{
    /* hda and hdc: the second disk is vdb, not vdc */
    const struct dspec d[] = {
        { V2K_BUS_IDE, 0, NULL, V2K_DEV_DISK },
        { V2K_BUS_IDE, 1, NULL, V2K_DEV_CDROM },   /* not a disk */
        { V2K_BUS_IDE, 2, NULL, V2K_DEV_DISK },
    };
    build(d, 3, V2K_BLOCK_VIRTIO_BLK);
    expect_map("/dev/hda1", "/dev/vda1", false);
    expect_map("/dev/hdc3", "/dev/vdb3", false);
    /* libata names of the same disks */
    expect_map("/dev/sda1", "/dev/vda1", false);
    expect_map("/dev/sdb", "/dev/vdb", false);
    /* Xen HVM alias */
    expect_map("/dev/xvdb1", "/dev/vdb1", false);
    v2k_linux_devmap_free(&m);
}
END_TEST

START_TEST(test_scsi_sata_in_source_order)
{
    const struct dspec d[] = {
        { V2K_BUS_SCSI, 0, NULL, V2K_DEV_DISK },
        { V2K_BUS_SATA, 0, NULL, V2K_DEV_DISK },
        { V2K_BUS_SCSI, 1, NULL, V2K_DEV_DISK },
    };
    build(d, 3, V2K_BLOCK_VIRTIO_BLK);
    expect_map("/dev/sda1", "/dev/vda1", false);
    expect_map("/dev/sdb", "/dev/vdb", false);
    expect_map("/dev/sdc5", "/dev/vdc5", false);
    v2k_linux_devmap_free(&m);
}
END_TEST

START_TEST(test_virtio_scsi_keeps_sd)
{
    const struct dspec d[] = {
        { V2K_BUS_SCSI, 0, NULL, V2K_DEV_DISK },
        { V2K_BUS_XEN, 1, "xvdb", V2K_DEV_DISK },
    };
    build(d, 2, V2K_BLOCK_VIRTIO_SCSI);
    expect_map("/dev/sda1", NULL, false);       /* already right */
    expect_map("/dev/xvdb2", "/dev/sdb2", false);
    expect_map("/dev/xvda", "/dev/sda", false);  /* Xen alias of disk 0 */
    v2k_linux_devmap_free(&m);
}
END_TEST

START_TEST(test_target_dev_wins_over_bus)
{
    const struct dspec d[] = {
        { V2K_BUS_XEN, -1, "/dev/hda", V2K_DEV_DISK },
        { V2K_BUS_UNKNOWN, -1, NULL, V2K_DEV_DISK },
    };
    build(d, 2, V2K_BLOCK_VIRTIO_BLK);
    expect_map("/dev/hda1", "/dev/vda1", false);
    /* the unknown-bus disk is sdX by its rank and hdX by its index */
    expect_map("/dev/sda", "/dev/vdb", false);
    expect_map("/dev/hdb", "/dev/vdb", false);
    v2k_linux_devmap_free(&m);
}
END_TEST

START_TEST(test_unknown_names_by_letter)
{
    const struct dspec d[] = {
        { V2K_BUS_SCSI, 0, NULL, V2K_DEV_DISK },
        { V2K_BUS_SCSI, 1, NULL, V2K_DEV_DISK },
    };
    build(d, 2, V2K_BLOCK_VIRTIO_BLK);
    expect_map("/dev/sdc1", "/dev/vdc1", true);
    expect_map("/dev/hdd", "/dev/vdd", true);
    expect_map("/dev/sdaa3", "/dev/vdaa3", true);
    v2k_linux_devmap_free(&m);
}
END_TEST

START_TEST(test_other_names_untouched)
{
    static const char *const keep[] = {
        "UUID=0a3b-11", "LABEL=root", "PARTUUID=abcd-01",
        "/dev/mapper/vg-root", "/dev/disk/by-uuid/0a3b",
        "/dev/disk/by-id/ata-X", "/dev/nvme0n1p1", "/dev/nvme1n1",
        "/dev/md0", "/dev/sr0", "/dev/scd0", "/dev/fd0", "/dev/cdrom",
        "/dev/VolGroup00/LogVol00", "/dev/cciss/c0d0p1", "/dev/vda1",
        "/dev/sd", "/dev/sdabc1", "/dev/sda1x", "tmpfs", "",
    };
    const struct dspec d[] = { { V2K_BUS_SCSI, 0, NULL, V2K_DEV_DISK } };
    size_t i;

    build(d, 1, V2K_BLOCK_VIRTIO_BLK);
    for (i = 0; i < sizeof keep / sizeof keep[0]; i++)
        expect_map(keep[i], NULL, false);
    v2k_linux_devmap_free(&m);
}
END_TEST

static void
expect_cmdline(const char *in, const char *want)
{
    struct v2k_cmdline_opts o = { true, true, true };
    char *out = NULL;
    int r = v2k_linux_rewrite_cmdline(&m, &o, in, &out, NULL);

    if (want == NULL) {
        ck_assert_msg(r == 0, "'%s' changed to '%s'", in, out);
        return;
    }
    ck_assert_msg(r == 1, "'%s' unchanged, expected '%s'", in, want);
    ck_assert_str_eq(out, want);
    free(out);
}

START_TEST(test_cmdline_rewrites)
{
    const struct dspec d[] = {
        { V2K_BUS_XEN, 0, "xvda", V2K_DEV_DISK },
        { V2K_BUS_XEN, 1, "xvdb", V2K_DEV_DISK },
    };
    build(d, 2, V2K_BLOCK_VIRTIO_BLK);
    expect_cmdline("ro root=/dev/xvda1 console=hvc0 clocksource=xen",
                   "ro root=/dev/vda1 console=ttyS0");
    expect_cmdline("console=tty0 console=xvc0,9600 notsc divider=10 "
                   "clock=pit elevator=noop quiet",
                   "console=tty0 console=ttyS0,9600 elevator=noop quiet");
    /* a ttyS0 already there: the Xen console just goes */
    expect_cmdline("console=ttyS0,115200 console=hvc0",
                   "console=ttyS0,115200");
    expect_cmdline("root=UUID=1234 resume=/dev/xvdb2 ro",
                   "root=UUID=1234 resume=/dev/vdb2 ro");
    expect_cmdline("xencons=tty clocksource=tsc root=LABEL=/",
                   "root=LABEL=/");
    /* untouched: nothing to change; hvc1 and ttyS0 are not Xen consoles,
     * clocksource=kvm-clock is not an override we remove */
    expect_cmdline("ro root=/dev/mapper/vg-root quiet", NULL);
    expect_cmdline("console=hvc1 console=ttyS0 clocksource=kvm-clock", NULL);
    expect_cmdline("", NULL);
    v2k_linux_devmap_free(&m);
}
END_TEST

START_TEST(test_cmdline_root_only_when_asked)
{
    const struct dspec d[] = { { V2K_BUS_SCSI, 0, NULL, V2K_DEV_DISK } };
    struct v2k_cmdline_opts o = { false, false, false };
    char *out = NULL;
    unsigned guesses = 0;

    build(d, 1, V2K_BLOCK_VIRTIO_BLK);
    ck_assert_int_eq(v2k_linux_rewrite_cmdline(&m, &o,
                     "root=/dev/sda1 console=hvc0", &out, NULL), 0);
    ck_assert_int_eq(v2k_linux_rewrite_cmdline(&m, &o,
                     "root=/dev/sda1 resume=/dev/sdc2", &out, &guesses), 1);
    ck_assert_str_eq(out, "root=/dev/sda1 resume=/dev/vdc2");
    ck_assert_uint_eq(guesses, 1);
    free(out);
    v2k_linux_devmap_free(&m);
}
END_TEST

START_TEST(test_rewrite_words_keeps_spacing)
{
    const struct dspec d[] = {
        { V2K_BUS_SCSI, 0, NULL, V2K_DEV_DISK },
        { V2K_BUS_SCSI, 1, NULL, V2K_DEV_DISK },
    };
    char *out = NULL;

    build(d, 2, V2K_BLOCK_VIRTIO_BLK);
    ck_assert_int_eq(v2k_linux_rewrite_words(&m,
        "/dev/sda1\t/\text4\terrors=remount-ro 0 1", 1, &out, NULL), 1);
    ck_assert_str_eq(out, "/dev/vda1\t/\text4\terrors=remount-ro 0 1");
    free(out);
    /* crypttab: the second field */
    ck_assert_int_eq(v2k_linux_rewrite_words(&m,
        "  cr  /dev/sdb2   none luks", 2, &out, NULL), 1);
    ck_assert_str_eq(out, "  cr  /dev/vdb2   none luks");
    free(out);
    /* the first field only: a /dev word elsewhere stays */
    ck_assert_int_eq(v2k_linux_rewrite_words(&m,
        "UUID=12 /mnt/sdb ext4 x-systemd.requires=/dev/sdb 0 2", 1, &out,
        NULL), 0);
    ck_assert_int_eq(v2k_linux_rewrite_words(&m,
        "(hd0)\t/dev/sda", 2, &out, NULL), 1);
    ck_assert_str_eq(out, "(hd0)\t/dev/vda");
    free(out);
    v2k_linux_devmap_free(&m);
}
END_TEST

START_TEST(test_assignment_value)
{
    char q, *v;
    v = v2k_linux_assignment_value("GRUB_CMDLINE_LINUX=\"a b=c\"",
                                   "GRUB_CMDLINE_LINUX", &q);
    ck_assert_str_eq(v, "a b=c");
    ck_assert_int_eq(q, '"');
    free(v);
    v = v2k_linux_assignment_value("  export RESUME='/dev/sda2'", "RESUME",
                                   &q);
    ck_assert_str_eq(v, "/dev/sda2");
    ck_assert_int_eq(q, '\'');
    free(v);
    v = v2k_linux_assignment_value("GRUB_DEFAULT=0 # first", "GRUB_DEFAULT",
                                   &q);
    ck_assert_str_eq(v, "0");
    ck_assert_int_eq(q, 0);
    free(v);
    ck_assert_ptr_null(v2k_linux_assignment_value(
        "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"", "GRUB_CMDLINE_LINUX", &q));
    ck_assert_ptr_null(v2k_linux_assignment_value("#RESUME=/dev/sda",
                                                  "RESUME", &q));
}
END_TEST

START_TEST(test_grubenv_edit)
{
    char in[1024], *out = NULL;
    const char *hdr = "# GRUB Environment Block\nsaved_entry=0\n";

    memset(in, '#', sizeof in);
    memcpy(in, hdr, strlen(hdr));
    ck_assert_int_eq(v2k_linux_grubenv_edit(in, sizeof in, "saved_entry",
                                            "abc-6.1", &out), 0);
    ck_assert_int_eq(memcmp(out, "# GRUB Environment Block\n"
                                 "saved_entry=abc-6.1\n###", 48), 0);
    ck_assert_int_eq(out[1023], '#');
    free(out);
    ck_assert_int_eq(v2k_linux_grubenv_edit(in, sizeof in, "kernelopts",
                                            "root=/dev/vda1", &out), 0);
    ck_assert_int_eq(memcmp(out, "# GRUB Environment Block\nsaved_entry=0\n"
                                 "kernelopts=root=/dev/vda1\n#", 66), 0);
    free(out);
    /* too long for the block */
    {
        char big[1100];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        ck_assert_int_eq(v2k_linux_grubenv_edit(in, sizeof in, "k", big,
                                                &out), -1);
    }
    ck_assert_int_eq(v2k_linux_grubenv_edit("junk", 4, "k", "v", &out), -1);
}
END_TEST

/* --- initramfs listing --------------------------------------------------- */

static void
cpio_entry(FILE *fp, const char *name, const char *data, size_t *off)
{
    size_t nl = strlen(name) + 1, dl = data ? strlen(data) : 0;
    char hdr[111];

    snprintf(hdr, sizeof hdr, "070701%08X%08X%08X%08X%08X%08X%08X%08X"
             "%08X%08X%08X%08X%08X", 1u, data ? 0100644u : 040755u, 0u, 0u,
             1u, 0u, (unsigned)dl, 0u, 0u, 0u, 0u, (unsigned)nl, 0u);
    fwrite(hdr, 1, 110, fp);
    fwrite(name, 1, nl, fp);
    *off += 110 + nl;
    while (*off % 4) {
        fputc(0, fp);
        (*off)++;
    }
    if (dl) {
        fwrite(data, 1, dl, fp);
        *off += dl;
        while (*off % 4) {
            fputc(0, fp);
            (*off)++;
        }
    }
}

/* A cpio archive in memory with the given names (files). */
static char *
cpio(const char *const *names, size_t *len)
{
    char *buf = NULL;
    size_t off = 0;
    FILE *fp = open_memstream(&buf, len);
    for (; *names; names++)
        cpio_entry(fp, *names, "x", &off);
    cpio_entry(fp, "TRAILER!!!", NULL, &off);
    fclose(fp);
    return buf;
}

static void
list_expect(const char *file, const char *mod, bool want)
{
    char **names = NULL;
    size_t n = 0, i;
    bool found = false;

    ck_assert_msg(v2k_linux_list_initramfs(file, "test", &names, &n) == 0,
                  "%s", v2k_error_message());
    for (i = 0; i < n; i++) {
        found |= strcmp(names[i], mod) == 0;
        free(names[i]);
    }
    free(names);
    ck_assert_msg(found == want, "%s: %s %s", file, mod,
                  want ? "missing" : "unexpected");
}

START_TEST(test_initramfs_plain_gzip_zstd_early)
{
    static const char *const early[] = {
        "kernel", "kernel/x86", "kernel/x86/microcode",
        "kernel/x86/microcode/GenuineIntel.bin", NULL,
    };
    static const char *const main_[] = {
        "usr/lib/modules/6.1.0/kernel/drivers/block/virtio_blk.ko.xz",
        "usr/lib/modules/6.1.0/kernel/drivers/virtio/virtio_pci.ko",
        "init", NULL,
    };
    char path[] = "/tmp/v2kvm-test-initrd-XXXXXX";
    size_t elen, mlen, zlen;
    char *e = cpio(early, &elen), *mm = cpio(main_, &mlen), *z;
    FILE *fp;
    int fd = mkstemp(path);
    gzFile gz;

    ck_assert_int_ge(fd, 0);
    close(fd);
    /* plain */
    fp = fopen(path, "wb");
    fwrite(mm, 1, mlen, fp);
    fclose(fp);
    list_expect(path, "virtio_blk", true);
    list_expect(path, "virtio_scsi", false);
    /* early cpio + 512-byte padding + gzip */
    fp = fopen(path, "wb");
    fwrite(e, 1, elen, fp);
    for (size_t i = elen; i % 512; i++)
        fputc(0, fp);
    fclose(fp);
    gz = gzopen(path, "ab");
    gzwrite(gz, mm, (unsigned)mlen);
    gzclose(gz);
    list_expect(path, "virtio_blk", true);
    list_expect(path, "virtio_pci", true);
    /* early cpio + zstd */
    z = malloc(ZSTD_compressBound(mlen));
    zlen = ZSTD_compress(z, ZSTD_compressBound(mlen), mm, mlen, 3);
    ck_assert(!ZSTD_isError(zlen));
    fp = fopen(path, "wb");
    fwrite(e, 1, elen, fp);
    fwrite(z, 1, zlen, fp);
    fclose(fp);
    list_expect(path, "virtio_blk", true);
    /* the early archive alone has no virtio_blk */
    fp = fopen(path, "wb");
    fwrite(e, 1, elen, fp);
    fclose(fp);
    list_expect(path, "virtio_blk", false);
    /* junk: refused with a message */
    fp = fopen(path, "wb");
    fputs("not an initramfs at all", fp);
    fclose(fp);
    {
        char **names;
        size_t n;
        ck_assert_int_eq(v2k_linux_list_initramfs(path, "test", &names, &n),
                         -1);
    }
    unlink(path);
    free(e);
    free(mm);
    free(z);
}
END_TEST

Suite *
make_suite(void)
{
    Suite *s = suite_create("linux-map");
    TCase *tc = tcase_create("map");

    tcase_add_test(tc, test_xen_xvd_to_vd_with_partitions);
    tcase_add_test(tc, test_ide_hda_hdc_two_disks);
    tcase_add_test(tc, test_scsi_sata_in_source_order);
    tcase_add_test(tc, test_virtio_scsi_keeps_sd);
    tcase_add_test(tc, test_target_dev_wins_over_bus);
    tcase_add_test(tc, test_unknown_names_by_letter);
    tcase_add_test(tc, test_other_names_untouched);
    tcase_add_test(tc, test_cmdline_rewrites);
    tcase_add_test(tc, test_cmdline_root_only_when_asked);
    tcase_add_test(tc, test_rewrite_words_keeps_spacing);
    tcase_add_test(tc, test_assignment_value);
    tcase_add_test(tc, test_grubenv_edit);
    tcase_add_test(tc, test_initramfs_plain_gzip_zstd_early);
    suite_add_tcase(s, tc);
    return s;
}
