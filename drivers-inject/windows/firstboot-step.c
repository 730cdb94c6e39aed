/* firstboot-step.c - the "firstboot" step (windows.h): install
 * v2kvm-firstboot.exe (its service is registered by the registry step)
 * and queue the scripts of firstboot-scripts.h.
 *
 * The service program is found, for the guest's architecture
 * (v2kvm-firstboot-x64.exe / -x86.exe), in $V2KVM_DATADIR/windows, then
 * in the installed DATADIR/v2kvm/windows, then in the build tree's
 * windows/ (an uninstalled v2kvm).  Without it the conversion goes on
 * with a warning: the boot driver is in place, but nothing will run at
 * the first boot.
 */
#include "windows.h"
#include "cleanup.h"
#include "error.h"
#include "firstboot-scripts.h"
#include "guestfile.h"
#include "log.h"
#include "util.h"
#include "version.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The host path of the service program for arch, or NULL; owned. */
static char *
find_exe(const char *arch)
{
    const char *name = arch && strcmp(arch, "i386") == 0
        ? "v2kvm-firstboot-x86.exe" : "v2kvm-firstboot-x64.exe";
    const char *env = getenv("V2KVM_DATADIR");
    const char *dirs[] = { env && env[0] ? env : NULL, V2K_DATADIR,
                           V2K_BUILD_DATADIR };

    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        struct stat st;
        char *p;
        if (dirs[i] == NULL)
            continue;
        if ((p = v2k_asprintf("%s/windows/%s", dirs[i], name)) == NULL)
            return NULL;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            return p;
        free(p);
    }
    return NULL;
}

bool
v2k_windows_firstboot_available(const struct v2k_guest *gu)
{
    CLEANUP_FREE char *exe = find_exe(gu->arch);
    return exe != NULL;
}

bool
v2k_windows_firstboot_applies(const struct v2k_convert_ctx *ctx)
{
    return ctx->guest->win != NULL;
}

static int
put(struct v2k_convert_ctx *ctx, const char *dir, const char *name,
    const char *content, size_t len)
{
    CLEANUP_FREE char *p = v2k_asprintf("%s/%s", dir, name);

    if (p == NULL || v2k_gf_write(ctx->g, "firstboot", p, content, len) == -1)
        return -1;
    v2k_log_edit(ctx->g, "firstboot", p, NULL, "added");
    return 0;
}

int
v2k_windows_firstboot_run(struct v2k_convert_ctx *ctx)
{
    const struct v2k_guest *gu = ctx->guest;
    struct v2k_win_state *s = v2k_windows_state(ctx);
    CLEANUP_FREE char *exe = find_exe(gu->arch);
    CLEANUP_FREE char *scripts = NULL, *dst = NULL, *dir = NULL;
    CLEANUP_FREE const char **macs = NULL;
    struct v2k_fb_script *sc = NULL;
    size_t nsc = 0;
    int r = -1;

    if (s == NULL)
        return -1;
    if (exe == NULL) {
        v2k_warning("firstboot: v2kvm-firstboot.exe for %s is not installed (v2kvm was built without mingw-w64): nothing will run at the guest's first boot (drivers other than the boot disk's, the guest agent, removal of the old hypervisor's tools, static IP settings)",
                    gu->arch ? gu->arch : "this guest");
        return 0;
    }
    if ((dir = v2k_gf_case_path(ctx->g, V2K_FB_DIR)) == NULL)
        return -1;
    if ((scripts = v2k_asprintf("%s/scripts", dir)) == NULL ||
        (dst = v2k_asprintf("%s/v2kvm-firstboot.exe", dir)) == NULL)
        return -1;
    if (guestfs_mkdir_p(ctx->g, scripts) == -1) {
        v2k_gf_error(ctx->g, "firstboot", scripts, "mkdir");
        return -1;
    }
    if (v2k_gf_write_file(ctx->g, "firstboot", dst, exe) == -1)
        return -1;
    v2k_log_edit(ctx->g, "firstboot", dst, NULL, "added");
    static const char config[] =
        "; v2kvm-firstboot.exe: each script is tried at most max_attempts\r\n"
        "; times; the machine reboots at most max_reboots times in all\r\n"
        "max_attempts=3\r\nmax_reboots=10\r\n";
    if (put(ctx, dir, "config.ini", config, sizeof config - 1) == -1)
        return -1;

    if (ctx->src->nnics > 0 &&
        (macs = calloc(ctx->src->nnics, sizeof *macs)) == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    for (size_t i = 0; i < ctx->src->nnics; i++)
        macs[i] = ctx->keep_macs ? ctx->src->nics[i].mac : NULL;
    struct v2k_fb_inputs in = {
        .major = v2k_win_major(gu),
        .drivers = s->virtio_dir != NULL,
        .qga_msi = s->qga_name,
        .blnsvr = s->sel.has_blnsvr,
        .online_disks = ctx->src->ndisks > 1 &&
            (ctx->gc->block_bus == V2K_BLOCK_VIRTIO_BLK ||
             ctx->gc->block_bus == V2K_BLOCK_VIRTIO_SCSI),
        .apps = gu->win ? gu->win->apps : NULL,
        .napps = gu->win ? gu->win->napps : 0,
        .ipcfgs = gu->win ? gu->win->ipcfgs : NULL,
        .nipcfgs = gu->win ? gu->win->nipcfgs : 0,
        .macs = macs,
        .nmacs = ctx->src->nnics,
    };
    if (v2k_fb_scripts(&in, &sc, &nsc) == -1)
        return -1;
    for (size_t i = 0; i < nsc; i++)
        if (put(ctx, scripts, sc[i].name, sc[i].content,
                strlen(sc[i].content)) == -1)
            goto out;
    if (in.major > 0 && in.major < 6)
        for (size_t i = 0; i < in.nipcfgs; i++)
            if (!in.ipcfgs[i].dhcp || in.ipcfgs[i].addrs6)
                v2k_warning("firstboot: %s has static IP settings, but Windows before Vista has no PowerShell to re-apply them: set them again by hand after the first boot",
                            in.ipcfgs[i].adapter ? in.ipcfgs[i].adapter
                                                 : in.ipcfgs[i].guid);
    v2k_msg("First boot: %zu script%s queued in C:\\Program Files\\v2kvm\\Firstboot\\scripts",
            nsc, nsc == 1 ? "" : "s");
    r = 0;
out:
    v2k_fb_scripts_free(sc, nsc);
    return r;
}
