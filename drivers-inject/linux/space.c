/* space.c - step "space": refuse, before anything is written, a guest
 * whose filesystems are too full for the conversion to finish.  A step
 * that fails half-way on ENOSPC would leave a guest with (say) a new
 * fstab but no initramfs; one message up front names every filesystem
 * that is short and by how much.
 *
 * What the steps write, and so what is needed (free blocks as root, who
 * runs everything in the appliance, so the reserved blocks count):
 *   the filesystem holding /boot   the chosen kernel's initramfs is
 *                                  rebuilt beside the old one, then
 *                                  renamed over it: 5/4 of the largest
 *                                  existing image + 4 MiB (10 MiB when
 *                                  there is none)
 *   /                              20 MiB: edited configuration files
 *                                  (each written beside the old one),
 *                                  package-manager databases when tools
 *                                  are removed, module lists
 *   /usr, /var (when separate)     10 MiB: package removal
 *   /boot/efi                      1 MiB: grub.cfg edits on the ESP
 * and 100 free inodes on each of these (not on vfat, which has none).
 * Other filesystems (/home, /srv, /opt ...) are never written and never
 * checked: a full /home does not stop a conversion.
 * virt-v2v asks 100 MB of / and 50 MB more for /boot, and 10 MB of every
 * other filesystem, used or not.
 */
#include "linux.h"
#include "linux-internal.h"
#include "error.h"
#include "guestfile.h"
#include "log.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STEP "space"
#define MIB (UINT64_C(1) << 20)
#define NEED_INODES 100

bool
v2k_linux_space_applies(const struct v2k_convert_ctx *ctx)
{
    return ctx->guest->nmounts > 0;
}

/* Bytes the initramfs rebuild may need on /boot's filesystem. */
static uint64_t
boot_need(const struct v2k_convert_ctx *ctx)
{
    uint64_t largest = 0;
    size_t i;

    for (i = 0; i < ctx->guest->nkernels; i++) {
        const char *ir = ctx->guest->kernels[i].initrd;
        int64_t sz;
        if (ir == NULL || !v2k_gf_is_file(ctx->g, ir))
            continue;
        sz = guestfs_filesize(ctx->g, ir);
        if (sz > 0 && (uint64_t)sz > largest)
            largest = (uint64_t)sz;
    }
    if (largest == 0)
        return 10 * MIB;
    return largest / 4 * 5 + 4 * MIB;
}

/* The mountpoint holding path: the longest mountpoint prefixing it. */
static const char *
holder(const struct v2k_guest *gu, const char *path)
{
    const char *best = "/";
    size_t i, bl = 1;

    for (i = 0; i < gu->nmounts; i++) {
        const char *m = gu->mounts[i].mountpoint;
        size_t l = strlen(m);
        if (l > bl && strncmp(path, m, l) == 0 &&
            (path[l] == '\0' || path[l] == '/')) {
            best = m;
            bl = l;
        }
    }
    return best;
}

int
v2k_linux_space_run(struct v2k_convert_ctx *ctx)
{
    const struct v2k_guest *gu = ctx->guest;
    const char *bootfs = holder(gu, "/boot");
    uint64_t bneed = boot_need(ctx);
    char *report = NULL;
    size_t rlen = 0, i;
    FILE *fp;
    int shortfalls = 0;

    fp = open_memstream(&report, &rlen);
    if (fp == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    for (i = 0; i < gu->nmounts; i++) {
        const struct v2k_mount *m = &gu->mounts[i];
        struct guestfs_statvfs *sv;
        uint64_t need = 0, have;
        int64_t inodes_free;
        char hb[32], nb[32];
        bool vfat = m->fstype && strcmp(m->fstype, "vfat") == 0;

        if (strcmp(m->mountpoint, "/") == 0)
            need = 20 * MIB;
        else if (strcmp(m->mountpoint, "/usr") == 0 ||
                 strcmp(m->mountpoint, "/var") == 0)
            need = 10 * MIB;
        else if (strcmp(m->mountpoint, "/boot/efi") == 0)
            need = MIB;
        if (strcmp(m->mountpoint, bootfs) == 0)
            need += bneed;
        if (need == 0)
            continue;
        sv = guestfs_statvfs(ctx->g, m->mountpoint);
        if (sv == NULL) {
            v2k_warning(STEP ": cannot tell the free space of %s (%s): %s",
                        m->mountpoint, m->device,
                        guestfs_last_error(ctx->g));
            continue;
        }
        have = (uint64_t)sv->bfree * (uint64_t)sv->frsize;
        inodes_free = sv->files > 0 ? sv->ffree : -1;
        guestfs_free_statvfs(sv);
        v2k_human_size(have, hb, sizeof hb);
        v2k_human_size(need, nb, sizeof nb);
        v2k_debug(STEP ": %s (%s): %s free, %s needed, %" PRId64
                  " inodes free", m->mountpoint, m->device, hb, nb,
                  inodes_free);
        if (have < need) {
            fprintf(fp, "%s%s (%s) has %s free, needs %s",
                    shortfalls++ ? "; " : "", m->mountpoint, m->device, hb,
                    nb);
        } else if (!vfat && inodes_free >= 0 && inodes_free < NEED_INODES) {
            fprintf(fp, "%s%s (%s) has %" PRId64 " free inodes, needs %d",
                    shortfalls++ ? "; " : "", m->mountpoint, m->device,
                    inodes_free, NEED_INODES);
        }
    }
    if (fclose(fp) != 0) {
        free(report);
        v2k_error("out of memory");
        return -1;
    }
    if (shortfalls) {
        v2k_error(STEP ": the guest's filesystems are too full to convert: %s (free space in the guest, or grow the filesystem, then retry; nothing was changed)", report);
        free(report);
        return -1;
    }
    free(report);
    return 0;
}
