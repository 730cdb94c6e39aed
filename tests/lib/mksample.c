/* mksample.c - build the sample VM disk that README command (1) converts.
 *
 *   v2kvm-mksample [-v] [--size SIZE] OUTPUT.img
 *
 * A real disk image made with libguestfs (real appliance, TCG when KVM
 * cannot run a guest): an MBR partition table, one ext4 root filesystem
 * laid out like a small Linux guest -- /etc/fstab and a GRUB config that
 * name /dev/sda1 (as a VMware or physical machine's would), os-release,
 * a hostname, and a few MiB of random data so the copy has work to do.
 * Written to OUTPUT.img.part and renamed when complete.
 */
#include "error.h"
#include "guestfs-handle.h"
#include "log.h"
#include "outfile.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATA_BYTES (8U << 20)

static const struct {
    const char *path;
    const char *content;
} files[] = {
    { "/etc/os-release",
      "NAME=\"v2kvm sample\"\nID=v2kvm-sample\nVERSION_ID=1\n"
      "PRETTY_NAME=\"v2kvm sample guest\"\n" },
    { "/etc/hostname", "v2kvm-sample\n" },
    { "/etc/fstab",
      "# <file system> <mount point> <type> <options> <dump> <pass>\n"
      "/dev/sda1 / ext4 errors=remount-ro 0 1\n" },
    { "/boot/grub/grub.cfg",
      "set default=0\nset timeout=1\n"
      "menuentry 'v2kvm sample' {\n"
      "    linux /boot/vmlinuz root=/dev/sda1 ro console=tty0\n"
      "    initrd /boot/initrd.img\n}\n" },
    { "/etc/motd", "This disk was made by v2kvm-mksample.\n" },
};

static const char *const dirs[] = {
    "/bin", "/boot/grub", "/dev", "/etc", "/home/user", "/proc", "/root",
    "/sbin", "/sys", "/tmp", "/usr/bin", "/var/lib/sample", "/var/log",
};

static int
build(const char *path, uint64_t size)
{
    guestfs_h *g = v2k_guestfs_create();
    char datafile[] = "/tmp/v2k-sample-data-XXXXXX";
    unsigned char *data = NULL;
    int fd = -1, r = -1;

    if (g == NULL)
        return -1;
#define G(call, what)                                                     \
    do {                                                                  \
        if ((call) == -1) {                                               \
            v2k_guestfs_error(g, what);                                   \
            goto out;                                                     \
        }                                                                 \
    } while (0)
    G(guestfs_disk_create(g, path, "raw", (int64_t)size, -1),
      "creating the disk");
    G(guestfs_add_drive_opts(g, path, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw",
                             -1), "adding the disk");
    v2k_msg("Launching the libguestfs appliance");
    G(guestfs_launch(g), "launching the libguestfs appliance");
    G(guestfs_part_disk(g, "/dev/sda", "mbr"), "partitioning");
    G(guestfs_part_set_bootable(g, "/dev/sda", 1, 1), "bootable flag");
    G(guestfs_mkfs(g, "ext4", "/dev/sda1"), "mkfs.ext4");
    G(guestfs_set_label(g, "/dev/sda1", "sample-root"), "label");
    G(guestfs_mount(g, "/dev/sda1", "/"), "mounting the root");
    for (size_t i = 0; i < V2K_ARRAY_SIZE(dirs); i++)
        G(guestfs_mkdir_p(g, dirs[i]), dirs[i]);
    for (size_t i = 0; i < V2K_ARRAY_SIZE(files); i++)
        G(guestfs_write(g, files[i].path, files[i].content,
                        strlen(files[i].content)), files[i].path);
    /* Incompressible data, as real guests mostly hold. */
    data = v2k_malloc(DATA_BYTES);
    if (data == NULL || v2k_random_bytes(data, DATA_BYTES) == -1)
        goto out;
    fd = mkstemp(datafile);
    if (fd == -1 || write(fd, data, DATA_BYTES) != (ssize_t)DATA_BYTES) {
        v2k_error("%s: cannot write the sample data", datafile);
        goto out;
    }
    G(guestfs_upload(g, datafile, "/var/lib/sample/data.bin"), "upload");
    G(guestfs_umount_all(g), "unmounting");
    G(guestfs_shutdown(g), "closing the appliance");
    r = 0;
#undef G
out:
    if (fd >= 0) {
        close(fd);
        unlink(datafile);
    }
    free(data);
    guestfs_close(g);
    return r;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "size", required_argument, NULL, 's' },
        { "verbose", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 },
    };
    uint64_t size = 256ULL << 20;
    int verbose = 0, c;
    char *tmp;

    while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (v2k_parse_size(optarg, "--size", &size) == -1 ||
                size < (64ULL << 20)) {
                fprintf(stderr, "v2kvm-mksample: --size: at least 64M\n");
                return 2;
            }
            break;
        case 'v': verbose = 1; break;
        default:
            fprintf(stderr, "usage: v2kvm-mksample [-v] [--size SIZE] "
                            "OUTPUT.img\n");
            return 2;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "usage: v2kvm-mksample [-v] [--size SIZE] "
                        "OUTPUT.img\n");
        return 2;
    }
    v2k_log_init("v2kvm-mksample", verbose, false, false, false);
    v2k_signals_install();
    tmp = v2k_asprintf("%s.part", argv[optind]);
    if (tmp == NULL || v2k_outfile_register(tmp) == -1)
        goto fail;
    unlink(tmp);
    if (build(tmp, size) == -1 ||
        v2k_outfile_commit(tmp, argv[optind], 1) == -1)
        goto fail;
    free(tmp);
    v2k_msg("Sample disk written to %s", argv[optind]);
    return 0;
fail:
    v2k_log_error(v2k_error_message());
    v2k_outfile_remove_all();
    free(tmp);
    return 1;
}
