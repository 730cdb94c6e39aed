/* windows.c - the Windows step table (windows.h), the state the steps
 * share, and the "drivers" step: virtio-win chosen and staged, and what
 * the converted guest can drive.
 */
#include "windows.h"
#include "cleanup.h"
#include "error.h"
#include "firstboot-scripts.h"
#include "guestfile.h"
#include "log.h"
#include "sha.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct v2k_step v2k_windows_steps[] = {
    { "drivers", "Staging the virtio drivers",
      v2k_windows_drivers_applies, v2k_windows_drivers_run },
    { "registry", "Making the block driver boot-critical in the registry",
      v2k_windows_registry_applies, v2k_windows_registry_run },
    { "firstboot", "Queueing the first-boot scripts",
      v2k_windows_firstboot_applies, v2k_windows_firstboot_run },
    { "uefi", "Making the Windows Boot Manager the fallback UEFI loader",
      v2k_windows_uefi_applies, v2k_windows_uefi_run },
    { "ntfs-geometry", "Fixing the NTFS boot sector's geometry (NT 5.x)",
      v2k_windows_ntfs_applies, v2k_windows_ntfs_run },
    { NULL, NULL, NULL, NULL },
};

struct v2k_win_state *
v2k_windows_state(struct v2k_convert_ctx *ctx)
{
    if (ctx->win == NULL && (ctx->win = calloc(1, sizeof *ctx->win)) == NULL)
        v2k_error("out of memory");
    return ctx->win;
}

void
v2k_windows_state_free(struct v2k_convert_ctx *ctx)
{
    struct v2k_win_state *s = ctx->win;

    if (s == NULL)
        return;
    v2k_vwin_selection_free(&s->sel);
    v2k_vwin_close(s->vw);
    free(s->virtio_dir);
    free(s->block_label);
    free(s->qga_name);
    free(s);
    ctx->win = NULL;
}

char *
v2k_win_path(const struct v2k_convert_ctx *ctx, const char *sub)
{
    const struct v2k_win *w = ctx->guest->win;
    CLEANUP_FREE char *p = v2k_asprintf("%s/%s",
                                        w && w->systemroot ? w->systemroot
                                                           : "/Windows", sub);

    return p ? v2k_gf_case_path(ctx->g, p) : NULL;
}

unsigned
v2k_win_major(const struct v2k_guest *gu)
{
    return gu->major > 0 ? (unsigned)gu->major : 0;
}

/* ---- drivers ------------------------------------------------------------ */

bool
v2k_windows_drivers_applies(const struct v2k_convert_ctx *ctx)
{
    (void)ctx;
    return true;
}

static bool
is_server(const struct v2k_guest *gu)
{
    return gu->win && gu->win->variant &&
           strcasecmp(gu->win->variant, "Server") == 0;
}

/* Without a virtio driver for block or net: the devices Windows has
 * in-box drivers for (v2k_guestcaps_windows_fallback), for the part that
 * is missing only. */
static void
fallback(struct v2k_convert_ctx *ctx, bool block, bool net)
{
    struct v2k_guestcaps fb = *ctx->gc;

    v2k_guestcaps_windows_fallback(&fb);
    if (block)
        ctx->gc->block_bus = fb.block_bus;
    if (net)
        ctx->gc->net_model = fb.net_model;
    if (block && net)
        ctx->gc->virtio_rng = ctx->gc->virtio_balloon = ctx->gc->pvpanic =
            false;
}

/* Copy one selected file to dir/name; logged as added. */
static int
stage(struct v2k_convert_ctx *ctx, struct v2k_win_state *s,
      const struct v2k_vwin_file *f, const char *dir, const char *name)
{
    CLEANUP_FREE void *buf = NULL;
    CLEANUP_FREE char *dst = v2k_asprintf("%s/%s", dir, name);
    size_t len = 0;

    if (dst == NULL ||
        v2k_vwin_read(s->vw, f->source, V2K_VWIN_MAX_FILE, &buf, &len) == -1)
        return -1;
    if (v2k_gf_write(ctx->g, "drivers", dst, buf, len) == -1)
        return -1;
    v2k_log_edit(ctx->g, "drivers", dst, NULL, "added");
    return 0;
}

static int
mkdir_p(struct v2k_convert_ctx *ctx, const char *dir)
{
    if (guestfs_mkdir_p(ctx->g, dir) == -1) {
        v2k_gf_error(ctx->g, "drivers", dir, "mkdir");
        return -1;
    }
    return 0;
}

/* The block driver's package, as Windows keeps one in its driver store
 * (System32\DriverStore\FileRepository\NAME.inf_ARCH_HASH\): .inf, .sys,
 * .cat.  Windows names the folder with a hash of the package; any
 * 16-hex-digit suffix is accepted, so ours is the first 8 bytes of the
 * INF's SHA-256.  The DriverDatabase entries (registry.c) point at it,
 * so the registered package exists, as it does for an installed driver:
 * in-place upgrades migrate what the DriverDatabase lists, and failed on
 * virt-v2v's "guestor" entries that point at nothing (its
 * contrib/remove-guestor.reg, MTV-2256). */
static int
stage_package(struct v2k_convert_ctx *ctx, struct v2k_win_state *s,
              const char *drv)
{
    const char *arch = ctx->guest->arch &&
        strcmp(ctx->guest->arch, "i386") == 0 ? "x86" : "amd64";
    CLEANUP_FREE char *inf = v2k_asprintf("%s.inf", drv);
    CLEANUP_FREE char *store = NULL, *dir = NULL;
    CLEANUP_FREE void *buf = NULL;
    const struct v2k_vwin_file *finf = NULL;
    size_t len = 0;
    uint8_t d[V2K_SHA256_LEN];
    char hex[2 * V2K_SHA256_LEN + 1];
    struct v2k_sha256 sc;

    if (inf == NULL)
        return -1;
    for (size_t i = 0; i < s->sel.nfiles; i++)
        if (strcmp(s->sel.files[i].name, inf) == 0)
            finf = &s->sel.files[i];
    if (finf == NULL) {
        v2k_warning("drivers: virtio-win has %s.sys but no %s: the block driver is not added to the driver store",
                    drv, inf);
        return 0;
    }
    if (v2k_vwin_read(s->vw, finf->source, V2K_VWIN_MAX_FILE, &buf, &len) == -1)
        return -1;
    v2k_sha256_init(&sc);
    v2k_sha256_update(&sc, buf, len);
    if (v2k_sha256_final(&sc, d) == -1)
        return -1;
    v2k_sha_hex(d, 8, hex);
    if ((s->block_label = v2k_asprintf("%s_%s_%s", inf, arch, hex)) == NULL ||
        (store = v2k_win_path(ctx, "System32/DriverStore/FileRepository")) == NULL ||
        (dir = v2k_asprintf("%s/%s", store, s->block_label)) == NULL ||
        mkdir_p(ctx, dir) == -1)
        return -1;
    for (size_t i = 0; i < s->sel.nfiles; i++) {
        const char *n = s->sel.files[i].name;
        if (strncmp(n, drv, strlen(drv)) == 0 && n[strlen(drv)] == '.' &&
            (strcmp(n + strlen(drv), ".inf") == 0 ||
             strcmp(n + strlen(drv), ".sys") == 0 ||
             strcmp(n + strlen(drv), ".cat") == 0) &&
            stage(ctx, s, &s->sel.files[i], dir, n) == -1)
            return -1;
    }
    return 0;
}

int
v2k_windows_drivers_run(struct v2k_convert_ctx *ctx)
{
    const struct v2k_guest *gu = ctx->guest;
    struct v2k_guestcaps *gc = ctx->gc;
    struct v2k_win_state *s = v2k_windows_state(ctx);
    struct v2k_vwin_target t = {
        .major = v2k_win_major(gu),
        .minor = gu->minor > 0 ? (unsigned)gu->minor : 0,
        .build = gu->win ? gu->win->build : 0,
        .server = is_server(gu),
        .arch = gu->arch ? gu->arch : "x86_64",
        .prefer = gc->block_bus == V2K_BLOCK_VIRTIO_SCSI ? V2K_VWIN_VIOSCSI
                                                         : V2K_VWIN_VIOSTOR,
    };
    bool scsi_asked = gc->block_bus == V2K_BLOCK_VIRTIO_SCSI;
    CLEANUP_FREE char *sysdrivers = NULL;
    int r;

    if (s == NULL)
        return -1;
    gc->win_major = t.major;
    gc->win_minor = t.minor;
    gc->virtio_1_0 = true;
    gc->rtc_utc = gu->win && gu->win->rtc_utc;
    /* NT 5.x (XP, 2003) has no driver for q35's AHCI and PCIe. */
    if (t.major > 0 && t.major < 6 && !ctx->opts.machine_fixed)
        gc->machine = V2K_MACHINE_PC;
    gc->virtio_rng = gc->virtio_balloon = gc->pvpanic = false;

    r = v2k_vwin_open(ctx->opts.virtio_win, &s->vw);
    if (r == -1)
        return -1;
    if (r == 0) {
        v2k_warning("drivers: no virtio-win drivers were given (--virtio-win PATH, $VIRTIO_WIN, or install them in /usr/share/virtio-win): the guest gets %s disks and an %s NIC, slower than virtio",
                    gc->machine == V2K_MACHINE_PC ? "IDE" : "SATA",
                    t.major > 0 && t.major < 6 ? "rtl8139" : "e1000");
        fallback(ctx, true, true);
        return 0;
    }
    if (v2k_vwin_select(s->vw, &t, &s->sel) == -1)
        return -1;
    v2k_msg("virtio-win %s: %s", v2k_vwin_path(s->vw), s->sel.summary);
    if (s->sel.nfiles == 0) {
        v2k_warning("drivers: %s has no drivers for %s (%s %s): the guest gets %s disks and an %s NIC",
                    v2k_vwin_path(s->vw), gu->product_name ? gu->product_name
                                                          : "this Windows",
                    v2k_vwin_os_element(&t) ? v2k_vwin_os_element(&t)
                                            : "no virtio-win name",
                    t.arch, gc->machine == V2K_MACHINE_PC ? "IDE" : "SATA",
                    t.major > 0 && t.major < 6 ? "rtl8139" : "e1000");
        fallback(ctx, true, true);
        return 0;
    }

    if ((s->virtio_dir = v2k_win_path(ctx, "Drivers/VirtIO")) == NULL ||
        mkdir_p(ctx, s->virtio_dir) == -1)
        return -1;
    for (size_t i = 0; i < s->sel.nfiles; i++)
        if (stage(ctx, s, &s->sel.files[i], s->virtio_dir,
                  s->sel.files[i].name) == -1)
            return -1;

    if (s->sel.block_driver) {
        CLEANUP_FREE char *sys = v2k_asprintf("%s.sys", s->sel.block_driver);
        const struct v2k_vwin_file *f = NULL;
        for (size_t i = 0; sys && i < s->sel.nfiles; i++)
            if (strcmp(s->sel.files[i].name, sys) == 0)
                f = &s->sel.files[i];
        if (f == NULL ||
            (sysdrivers = v2k_win_path(ctx, "System32/drivers")) == NULL ||
            mkdir_p(ctx, sysdrivers) == -1 ||
            stage(ctx, s, f, sysdrivers, sys) == -1)
            return -1;
        if (ctx->guest->win && ctx->guest->win->driver_database &&
            stage_package(ctx, s, s->sel.block_driver) == -1)
            return -1;
        gc->block_bus = strcmp(s->sel.block_driver, "vioscsi") == 0
            ? V2K_BLOCK_VIRTIO_SCSI : V2K_BLOCK_VIRTIO_BLK;
        if (scsi_asked && gc->block_bus != V2K_BLOCK_VIRTIO_SCSI)
            v2k_warning("drivers: --block-driver virtio-scsi: virtio-win has no vioscsi for this Windows; using viostor (virtio-blk)");
    } else {
        v2k_warning("drivers: virtio-win has drivers for this Windows but no block driver (viostor or vioscsi): the guest gets %s disks",
                    gc->machine == V2K_MACHINE_PC ? "IDE" : "SATA");
        fallback(ctx, true, false);
    }
    if (s->sel.has_netkvm)
        gc->net_model = V2K_NETM_VIRTIO;
    else {
        v2k_warning("drivers: virtio-win has no netkvm for this Windows: the guest gets an %s NIC",
                    t.major > 0 && t.major < 6 ? "rtl8139" : "e1000");
        fallback(ctx, false, true);
    }
    gc->virtio_rng = s->sel.has_viorng;
    gc->virtio_balloon = s->sel.has_balloon;
    gc->pvpanic = s->sel.has_pvpanic;

    if (s->sel.qga.source) {
        CLEANUP_FREE char *fb = v2k_gf_case_path(ctx->g, V2K_FB_DIR "/Temp");
        if (fb == NULL || mkdir_p(ctx, fb) == -1 ||
            stage(ctx, s, &s->sel.qga, fb, s->sel.qga.name) == -1 ||
            (s->qga_name = v2k_strdup(s->sel.qga.name)) == NULL)
            return -1;
    } else {
        v2k_warning("drivers: virtio-win has no QEMU guest agent installer (qemu-ga-*.msi) for %s: the guest agent is not installed",
                    t.arch);
    }
    return 0;
}
