/* efiboot.c - step "efiboot": a UEFI guest starts with KVM's empty NVRAM.
 *
 * The old hypervisor's NVRAM held the boot entry (\EFI\debian\shimx64.efi
 * or \EFI\debian\grubx64.efi, written by grub-install); a new KVM domain
 * starts with OVMF's variable template, which has none, so the firmware
 * tries the removable-media fallback path \EFI\BOOT\BOOT<ARCH>.EFI (UEFI
 * 2.10 §3.5.1.1, table 3.5: BOOTX64.EFI, BOOTAA64.EFI, BOOTIA32.EFI).
 * Debian installs no fallback loader unless asked (grub-install
 * --removable / --force-extra-removable); RHEL and SUSE ship one (shim
 * with fbx64.efi), virt-v2v counts on that and misses Debian.
 *
 * When the ESP has no fallback loader, the step copies the guest's own:
 *   - shim<arch>.efi (secure boot's first stage) to BOOT<ARCH>.EFI, with
 *     the grub<arch>.efi and mm<arch>.efi beside it (shim loads them from
 *     its own directory);
 *   - else grub<arch>.efi, else systemd-boot<arch>.efi;
 *   - the vendor directory's grub.cfg to \EFI\BOOT\grub.cfg when there is
 *     none (a GRUB image that looks beside itself for its config finds
 *     it; one with the vendor prefix still reads the original).
 * The vendor directory is the distribution's (os-release ID, "redhat" for
 * RHEL, "opensuse"/"sles"...) when it has a loader, else the first that
 * has one.  Nothing is regenerated inside the appliance and nothing
 * existing is replaced; the vendor directory stays as it was, so a later
 * grub-install in the guest still finds its own files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "error.h"
#include "guest.h"
#include "guestfile.h"
#include "linux.h"
#include "log.h"
#include "util.h"

#define STEP "efiboot"

/* The UEFI arch suffix of the guest's architecture, or NULL. */
static const char *
efi_arch(const char *arch)
{
    if (!arch)
        return NULL;
    if (strcmp(arch, "x86_64") == 0)
        return "x64";
    if (strcmp(arch, "aarch64") == 0)
        return "aa64";
    if (strcmp(arch, "i386") == 0 || strcmp(arch, "i686") == 0)
        return "ia32";
    return NULL;
}

/* dir/name in the case it has on the ESP (FAT matches names in any
 * case), or NULL when a directory on the way is missing; the last part
 * may not exist.  No error message either way. */
static char *
esp_path(guestfs_h *g, const char *dir, const char *name)
{
    CLEANUP_FREE char *try = v2k_asprintf("%s/%s", dir, name);
    char *real;

    if (!try)
        return NULL;
    guestfs_push_error_handler(g, NULL, NULL);
    real = guestfs_case_sensitive_path(g, try);
    guestfs_pop_error_handler(g);
    return real;
}

/* The mount point of the ESP in the guest: the directory holding an EFI
 * directory. */
static char *
find_esp(guestfs_h *g)
{
    static const char *const where[] = { "/boot/efi", "/efi", "/boot" };

    for (size_t i = 0; i < V2K_ARRAY_SIZE(where); i++) {
        char *real = esp_path(g, where[i], "EFI");

        if (real && v2k_gf_is_dir(g, real))
            return real;
        free(real);
    }
    return NULL;
}

/* dir/name in the case it has on the ESP, when it is a file; else NULL. */
static char *
esp_file(guestfs_h *g, const char *dir, const char *name)
{
    char *real = esp_path(g, dir, name);

    if (real && !v2k_gf_is_file(g, real)) {
        free(real);
        real = NULL;
    }
    return real;
}

/* The vendor directories' names that go first for a distribution. */
static bool
is_distro_dir(const char *distro, const char *name)
{
    if (!distro)
        return false;
    if (strcasecmp(name, distro) == 0)
        return true;
    if (strcmp(distro, "rhel") == 0 || strcmp(distro, "centos") == 0)
        return strcasecmp(name, "redhat") == 0 ||
               strcasecmp(name, "centos") == 0;
    if (strcmp(distro, "sles") == 0 || strncmp(distro, "opensuse", 8) == 0)
        return strcasecmp(name, "opensuse") == 0 ||
               strcasecmp(name, "sles") == 0;
    return false;
}

/* Which loader of dir starts the guest: "shim", "grub", "systemd-boot"
 * (the names without arch) in that order, or NULL. */
static const char *
loader_in(guestfs_h *g, const char *dir, const char *arch, char **path)
{
    static const char *const kinds[] = { "shim", "grub", "systemd-boot" };

    for (size_t i = 0; i < V2K_ARRAY_SIZE(kinds); i++) {
        CLEANUP_FREE char *name = v2k_asprintf("%s%s.efi", kinds[i], arch);

        if (name && (*path = esp_file(g, dir, name)) != NULL)
            return kinds[i];
    }
    *path = NULL;
    return NULL;
}

static int
copy(guestfs_h *g, const char *from, const char *to)
{
    if (guestfs_cp(g, from, to) == -1) {
        v2k_gf_error(g, STEP, from, "cp");
        return -1;
    }
    v2k_log_edit(g, STEP, to, NULL, from);
    return 0;
}

bool
v2k_linux_efiboot_applies(const struct v2k_convert_ctx *ctx)
{
    return ctx->src && ctx->src->firmware == V2K_FW_UEFI;
}

int
v2k_linux_efiboot_run(struct v2k_convert_ctx *ctx)
{
    guestfs_h *g = ctx->g;
    const char *arch = efi_arch(ctx->guest->arch);
    CLEANUP_FREE char *efi = NULL, *boot = NULL, *fallback = NULL;
    CLEANUP_FREE char *upper = NULL, *lower = NULL;
    char **dirs = NULL, *best = NULL, *best_loader = NULL;
    const char *kind = NULL;
    int r = -1;

    if (!arch) {
        v2k_warning("%s: no UEFI fallback loader name for architecture %s: the guest may not boot on an empty NVRAM", STEP,
                    ctx->guest->arch ? ctx->guest->arch : "unknown");
        return 0;
    }
    if (!(efi = find_esp(g))) {
        v2k_warning("%s: no EFI directory under /boot/efi, /efi or /boot (the EFI system partition is not mounted?): the fallback loader is not checked; the guest may not boot on an empty NVRAM", STEP);
        return 0;
    }
    upper = v2k_asprintf("BOOT%s.EFI", arch);
    if (!upper)
        return -1;
    for (char *p = upper; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    if (!(boot = esp_path(g, efi, "BOOT")) &&
        !(boot = v2k_asprintf("%s/BOOT", efi)))
        return -1;
    if (v2k_gf_is_dir(g, boot) &&
        (fallback = esp_file(g, boot, upper)) != NULL) {
        v2k_debug("%s: %s is there: left as it is", STEP, fallback);
        return 0;
    }

    if (!(dirs = guestfs_ls(g, efi))) {
        v2k_gf_error(g, STEP, efi, "ls");
        return -1;
    }
    for (int pass = 0; pass < 2 && !kind; pass++)
        for (size_t i = 0; dirs[i] && !kind; i++) {
            CLEANUP_FREE char *dir = NULL;
            char *path;
            const char *k;

            if (strcasecmp(dirs[i], "BOOT") == 0 ||
                (pass == 0) != is_distro_dir(ctx->guest->distro, dirs[i]))
                continue;
            if (!(dir = v2k_asprintf("%s/%s", efi, dirs[i])))
                goto out;
            if (!v2k_gf_is_dir(g, dir) ||
                !(k = loader_in(g, dir, arch, &path)))
                continue;
            kind = k;
            best = dir;
            dir = NULL;
            best_loader = path;
        }
    if (!kind) {
        v2k_warning("%s: %s holds no shim, GRUB or systemd-boot loader for %s and no %s: the guest will not boot under UEFI on an empty NVRAM",
                    STEP, efi, arch, upper);
        r = 0;
        goto out;
    }

    if (!v2k_gf_is_dir(g, boot)) {
        if (guestfs_mkdir_p(g, boot) == -1) {
            v2k_gf_error(g, STEP, boot, "mkdir");
            goto out;
        }
    }
    {
        CLEANUP_FREE char *to = v2k_asprintf("%s/%s", boot, upper);

        if (!to || copy(g, best_loader, to) == -1)
            goto out;
    }
    if (strcmp(kind, "shim") == 0) {
        /* shim starts grub<arch>.efi and MokManager from its directory */
        static const char *const beside[] = { "grub", "mm" };

        for (size_t i = 0; i < V2K_ARRAY_SIZE(beside); i++) {
            CLEANUP_FREE char *name = v2k_asprintf("%s%s.efi", beside[i],
                                                   arch);
            CLEANUP_FREE char *from = name ? esp_file(g, best, name) : NULL;
            CLEANUP_FREE char *to = name ? v2k_asprintf("%s/%s", boot, name)
                                         : NULL;

            if (from && to && !v2k_gf_exists(g, to) &&
                copy(g, from, to) == -1)
                goto out;
        }
    }
    if (strcmp(kind, "systemd-boot") != 0) {
        CLEANUP_FREE char *from = esp_file(g, best, "grub.cfg");
        CLEANUP_FREE char *to = v2k_asprintf("%s/grub.cfg", boot);

        if (from && to && !v2k_gf_exists(g, to) && copy(g, from, to) == -1)
            goto out;
    }
    lower = v2k_asprintf("%s", best_loader + strlen(efi));
    if (lower)
        for (char *p = lower; *p; p++)
            if (*p == '/')
                *p = '\\';
    v2k_msg("%s: \\EFI\\BOOT\\%s now starts the guest's %s (a copy of \\EFI%s): a new KVM domain's empty NVRAM has no boot entry",
            STEP, upper, kind, lower ? lower : "");
    r = 0;
out:
    free(best);
    free(best_loader);
    v2k_gf_strv_free(dirs);
    return r;
}
