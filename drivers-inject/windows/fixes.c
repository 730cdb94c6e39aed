/* fixes.c - the "uefi" and "ntfs-geometry" steps (windows.h).
 *
 * uefi (REFERENCE-virt-v2v.md §2.4): the firmware's boot entries stay
 * behind in the old hypervisor's NVRAM, so the new machine starts the
 * fallback loader \EFI\Boot\bootx64.efi (bootia32.efi on 32-bit):
 * it must be the Windows Boot Manager, \EFI\Microsoft\Boot\bootmgfw.efi.
 * In the BCD store (a registry hive), the boot manager
 * {9dea862c-5cdd-4e70-acc1-f32b344d4795}'s element 23000003 names the
 * default loader entry; its element 16000046 (graphicsmodedisabled) is
 * dropped, as virt-v2v does, so the boot shows on a plain display.
 *
 * ntfs-geometry: NT 5.x's boot code reads with the CHS geometry in the
 * NTFS boot sector (the "heads" word at offset 0x1A); on a new disk
 * controller it must match what the BIOS reports for the disk's size:
 * 0x40 below 2114445312 bytes, 0x80 below 4228374780, else 0xFF (the
 * values virt-v2v writes; without it XP says "A disk read error
 * occurred").
 */
#include "windows.h"
#include "cleanup.h"
#include "error.h"
#include "guestfile.h"
#include "log.h"
#include "util.h"
#include "winreg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOOTMGR "{9dea862c-5cdd-4e70-acc1-f32b344d4795}"

bool
v2k_windows_uefi_applies(const struct v2k_convert_ctx *ctx)
{
    return ctx->guest->firmware == V2K_GFW_UEFI && ctx->guest->esp;
}

/* The path below the ESP's mount point mnt in the case it has there, or
 * as given. */
static char *
esp_path(guestfs_h *g, const char *mnt, const char *sub)
{
    CLEANUP_FREE char *p = v2k_asprintf("%s/%s", mnt, sub);

    return p ? v2k_gf_case_path(g, p) : NULL;
}

static int
fix_bcd(struct v2k_convert_ctx *ctx, const char *mnt)
{
    guestfs_h *g = ctx->g;
    CLEANUP_FREE char *bcd = esp_path(g, mnt, "EFI/Microsoft/Boot/BCD");
    CLEANUP_FREE char *def = NULL, *key = NULL;
    int64_t n;

    if (bcd == NULL)
        return -1;
    if (!v2k_gf_is_file(g, bcd)) {
        v2k_warning("uefi: the ESP %s has no \\EFI\\Microsoft\\Boot\\BCD: the boot configuration is left as it is",
                    ctx->guest->esp);
        return 0;
    }
    if (v2k_reg_open(g, bcd, true) == -1)
        return -1;
    n = v2k_reg_node(g, "Objects\\" BOOTMGR "\\Elements\\23000003");
    def = n ? v2k_reg_get_string(g, n, "Element") : NULL;
    if (def == NULL) {
        v2k_reg_close(g);
        v2k_debug("uefi: BCD: the boot manager names no default entry");
        return 0;
    }
    if ((key = v2k_asprintf("Objects\\%s\\Elements\\16000046", def)) == NULL) {
        v2k_reg_close(g);
        return -1;
    }
    if ((n = v2k_reg_node(g, key)) == 0) {
        v2k_reg_close(g);
        return 0;
    }
    if (v2k_reg_delete(g, n) == -1 || v2k_reg_commit(g) == -1) {
        v2k_reg_close(g);
        return -1;
    }
    CLEANUP_FREE char *what = v2k_asprintf("%s\\%s", bcd, key);
    v2k_log_edit(g, "uefi", what ? what : bcd, "graphicsmodedisabled",
                 "removed");
    return 0;
}

static int
fix_fallback(struct v2k_convert_ctx *ctx, const char *mnt)
{
    guestfs_h *g = ctx->g;
    const char *fb = ctx->guest->arch && strcmp(ctx->guest->arch, "i386") == 0
        ? "bootia32.efi" : "bootx64.efi";
    CLEANUP_FREE char *src = esp_path(g, mnt, "EFI/Microsoft/Boot/bootmgfw.efi");
    CLEANUP_FREE char *bootdir = esp_path(g, mnt, "EFI/Boot");
    CLEANUP_FREE char *dst = NULL, *a = NULL, *b = NULL;

    if (src == NULL || bootdir == NULL ||
        (dst = esp_path(g, bootdir, fb)) == NULL)
        return -1;
    if (!v2k_gf_is_file(g, src)) {
        v2k_warning("uefi: the ESP %s has no \\EFI\\Microsoft\\Boot\\bootmgfw.efi: the fallback loader is left as it is",
                    ctx->guest->esp);
        return 0;
    }
    if (v2k_gf_is_file(g, dst)) {
        guestfs_push_error_handler(g, NULL, NULL);
        a = guestfs_checksum(g, "sha256", src);
        b = guestfs_checksum(g, "sha256", dst);
        guestfs_pop_error_handler(g);
        if (a && b && strcmp(a, b) == 0)
            return 0;
    }
    if (guestfs_mkdir_p(g, bootdir) == -1) {
        v2k_gf_error(g, "uefi", bootdir, "mkdir");
        return -1;
    }
    if (guestfs_cp(g, src, dst) == -1) {
        v2k_gf_error(g, "uefi", dst, "copy");
        return -1;
    }
    v2k_log_edit(g, "uefi", dst, b ? "another loader" : NULL,
                 "the Windows Boot Manager (bootmgfw.efi)");
    return 0;
}

int
v2k_windows_uefi_run(struct v2k_convert_ctx *ctx)
{
    guestfs_h *g = ctx->g;
    CLEANUP_FREE char *tmp = v2k_win_path(ctx, "Temp");
    CLEANUP_FREE char *mnt = NULL;
    int r;

    if (tmp == NULL || (mnt = v2k_asprintf("%s/v2kvm-esp", tmp)) == NULL)
        return -1;
    if (guestfs_mkdir_p(g, mnt) == -1) {
        v2k_gf_error(g, "uefi", mnt, "mkdir");
        return -1;
    }
    if (guestfs_mount(g, ctx->guest->esp, mnt) == -1) {
        v2k_gf_error(g, "uefi", ctx->guest->esp, "mount");
        guestfs_rmdir(g, mnt);
        return -1;
    }
    r = fix_bcd(ctx, mnt);
    if (r == 0)
        r = fix_fallback(ctx, mnt);
    if (guestfs_umount(g, mnt) == -1) {
        v2k_gf_error(g, "uefi", ctx->guest->esp, "umount");
        r = -1;
    }
    guestfs_push_error_handler(g, NULL, NULL);
    guestfs_rmdir(g, mnt);
    guestfs_pop_error_handler(g);
    return r;
}

bool
v2k_windows_ntfs_applies(const struct v2k_convert_ctx *ctx)
{
    unsigned major = v2k_win_major(ctx->guest);

    return major > 0 && major < 6 && ctx->guest->root &&
           ctx->guest->nmounts > 0 && ctx->guest->mounts[0].fstype &&
           strcmp(ctx->guest->mounts[0].fstype, "ntfs") == 0;
}

int
v2k_windows_ntfs_run(struct v2k_convert_ctx *ctx)
{
    guestfs_h *g = ctx->g;
    const char *root = ctx->guest->root;
    CLEANUP_FREE char *dev = NULL, *old = NULL;
    int64_t size;
    size_t olen = 0;
    unsigned heads, before;
    char b[16], a[16];

    guestfs_push_error_handler(g, NULL, NULL);
    dev = guestfs_part_to_dev(g, root);
    guestfs_pop_error_handler(g);
    if (dev == NULL) {
        v2k_debug("ntfs-geometry: %s is not a partition: nothing to do", root);
        return 0;
    }
    if ((size = guestfs_blockdev_getsize64(g, dev)) == -1) {
        v2k_gf_error(g, "ntfs-geometry", dev, "size");
        return -1;
    }
    heads = size < 2114445312 ? 0x40 : size < 4228374780LL ? 0x80 : 0xff;
    if ((old = guestfs_pread_device(g, root, 2, 0x1a, &olen)) == NULL ||
        olen != 2) {
        v2k_gf_error(g, "ntfs-geometry", root, "read the boot sector");
        return -1;
    }
    before = (unsigned char)old[0] | (unsigned)(unsigned char)old[1] << 8;
    if (before == heads)
        return 0;
    char buf[2] = { (char)heads, 0 };
    if (guestfs_pwrite_device(g, root, buf, 2, 0x1a) != 2) {
        v2k_gf_error(g, "ntfs-geometry", root, "write the boot sector");
        return -1;
    }
    snprintf(b, sizeof b, "heads %u", before);
    snprintf(a, sizeof a, "heads %u", heads);
    CLEANUP_FREE char *what = v2k_asprintf("%s (NTFS boot sector 0x1a)", root);
    v2k_log_edit(g, "ntfs-geometry", what ? what : root, b, a);
    return 0;
}
