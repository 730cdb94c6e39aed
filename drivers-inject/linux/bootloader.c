/* bootloader.c - the "bootloader" step: the kernel command line of every
 * boot entry, and the consoles, for the new hardware.
 *
 * On every command line (linux-internal.h v2k_linux_rewrite_cmdline):
 * root= and resume= device names through the device map (UUID=, LABEL=,
 * LVM and /dev/mapper names are left alone), console=hvc0|xvc0 ->
 * console=ttyS0 (tty0 kept), and the clock overrides dropped so that
 * kvm-clock is used (clocksource=xen|tsc, clock=pit, notsc, divider=N,
 * xencons=; elevator= is kept).
 *
 * Where the command lines are:
 *   GRUB 2: GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT in
 *     /etc/default/grub (and /etc/sysconfig/grub), so the guest's own
 *     later grub-mkconfig runs agree; and the `linux` lines of grub.cfg,
 *     edited in place.  grub.cfg is NOT regenerated here: grub-mkconfig
 *     in the appliance probes the appliance's disks (/dev/sdb1 for the
 *     guest's root, or linux16 for a UEFI guest in a BIOS appliance;
 *     REFERENCE-virt-v2v.md 1.5, virt-v2v PR #160), while an in-place
 *     edit changes only the words that must change and keeps the
 *     entries the guest's distribution generated.  BLS entries
 *     (`options` in /boot/loader/entries/NAME.conf) and grubenv's kernelopts
 *     are edited the same way.
 *   GRUB legacy: the `kernel` lines of menu.lst/grub.conf (there is no
 *     generator).
 *   extlinux/syslinux: the APPEND lines.
 * Consoles: hvc0/xvc0 -> ttyS0 in /etc/inittab's getty lines and in
 * /etc/securetty (Xen PV guests log in on hvc0/xvc0).
 */
#include "linux.h"
#include "linux-internal.h"
#include "cleanup.h"
#include "error.h"
#include "guestfile.h"
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define STEP "bootloader"

struct bl_ctx {
    const struct v2k_linux_devmap *m;
    struct v2k_cmdline_opts opts;
    unsigned guesses;
    int err;
    /* which lines: keywords whose arguments are a command line */
    const char *const *kws;
    bool nocase;
    bool skip_path;             /* the first argument is the kernel path */
};

/* "KW [PATH] ARGS": ARGS rewritten, the rest kept as it is. */
static char *
args_line(const char *line, bool *drop, void *opaque)
{
    struct bl_ctx *b = opaque;
    const char *rest = NULL, *args;
    CLEANUP_FREE char *nargs = NULL;
    size_t i;
    int r;

    (void)drop;
    for (i = 0; b->kws[i]; i++)
        if (v2k_line_keyword(line, b->kws[i],
                             b->nocase ? V2K_KW_NOCASE : 0, &rest))
            break;
    if (b->kws[i] == NULL)
        return NULL;
    args = rest;
    while (isspace((unsigned char)*args))
        args++;
    if (b->skip_path) {
        args += strcspn(args, " \t");
        while (isspace((unsigned char)*args))
            args++;
    }
    r = v2k_linux_rewrite_cmdline(b->m, &b->opts, args, &nargs,
                                  &b->guesses);
    if (r == -1)
        b->err = -1;
    if (r != 1)
        return NULL;
    return v2k_asprintf("%.*s%s", (int)(args - line), line, nargs);
}

/* KEY="ARGS" assignments (/etc/default/grub). */
static char *
assign_line(const char *line, bool *drop, void *opaque)
{
    static const char *const keys[] = {
        "GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT",
        "GRUB_CMDLINE_XEN", "GRUB_CMDLINE_XEN_DEFAULT",
    };
    struct bl_ctx *b = opaque;
    size_t i;

    (void)drop;
    for (i = 0; i < V2K_ARRAY_SIZE(keys); i++) {
        char q;
        CLEANUP_FREE char *v = v2k_linux_assignment_value(line, keys[i], &q);
        CLEANUP_FREE char *nv = NULL;
        int r;

        if (v == NULL)
            continue;
        r = v2k_linux_rewrite_cmdline(b->m, &b->opts, v, &nv, &b->guesses);
        if (r == -1)
            b->err = -1;
        if (r != 1)
            return NULL;
        if (q == '\0')
            q = '"';
        return v2k_asprintf("%s=%c%s%c", keys[i], q, nv, q);
    }
    return NULL;
}

static int
edit(struct v2k_convert_ctx *ctx, const char *path, v2k_gf_line_fn fn,
     struct bl_ctx *b)
{
    b->guesses = 0;
    b->err = 0;
    if (v2k_gf_edit_lines(ctx->g, STEP, path, true, fn, b, NULL) == -1 ||
        b->err == -1)
        return -1;
    if (b->guesses)
        v2k_warning(STEP ": %s: %u device name(s) not among the source's disks were mapped by their letter; check them", path,
                    b->guesses);
    return 0;
}

/* Edit each distinct real file among paths (symlinks resolved). */
static int
edit_files(struct v2k_convert_ctx *ctx, const char *const *paths, size_t n,
           v2k_gf_line_fn fn, struct bl_ctx *b)
{
    char *seen[8] = { NULL };
    size_t i, j, nseen = 0;
    int ret = 0;

    for (i = 0; i < n && ret == 0; i++) {
        char *real;
        bool dup = false;

        if (paths[i] == NULL || !v2k_gf_is_file(ctx->g, paths[i]))
            continue;
        real = guestfs_realpath(ctx->g, paths[i]);
        if (real == NULL) {
            v2k_error(STEP ": %s: cannot resolve its path", paths[i]);
            ret = -1;
            break;
        }
        for (j = 0; j < nseen; j++)
            dup |= strcmp(seen[j], real) == 0;
        if (dup || nseen == V2K_ARRAY_SIZE(seen)) {
            free(real);
            continue;
        }
        seen[nseen++] = real;
        ret = edit(ctx, real, fn, b);
    }
    for (j = 0; j < nseen; j++)
        free(seen[j]);
    return ret;
}

static int
grub2(struct v2k_convert_ctx *ctx, struct bl_ctx *b)
{
    static const char *const linux_kws[] = {
        "linux", "linux16", "linuxefi", NULL,
    };
    static const char *const options_kw[] = { "options", NULL };
    const char *defaults[] = { "/etc/default/grub", "/etc/sysconfig/grub" };
    const char *cfgs[] = {
        ctx->guest->bootloader_config, "/boot/grub/grub.cfg",
        "/boot/grub2/grub.cfg",
    };
    CLEANUP_FREE char *kopts = NULL;
    char **entries;
    size_t i;
    int ret = 0;

    if (edit_files(ctx, defaults, V2K_ARRAY_SIZE(defaults), assign_line, b)
        == -1)
        return -1;
    b->kws = linux_kws;
    b->nocase = false;
    b->skip_path = true;
    if (edit_files(ctx, cfgs, V2K_ARRAY_SIZE(cfgs), args_line, b) == -1)
        return -1;
    /* BLS */
    if (v2k_gf_is_dir(ctx->g, "/boot/loader/entries")) {
        entries = v2k_gf_glob(ctx->g, STEP, "/boot/loader/entries/*.conf");
        if (entries == NULL)
            return -1;
        b->kws = options_kw;
        b->skip_path = false;
        for (i = 0; entries[i] && ret == 0; i++)
            ret = edit(ctx, entries[i], args_line, b);
        v2k_gf_strv_free(entries);
        if (ret == -1)
            return -1;
    }
    kopts = v2k_linux_grubenv_get(ctx->g, "kernelopts");
    if (kopts) {
        CLEANUP_FREE char *nk = NULL;
        int r = v2k_linux_rewrite_cmdline(b->m, &b->opts, kopts, &nk, NULL);
        if (r == -1 || (r == 1 && v2k_linux_grubenv_set(ctx->g, STEP,
                                                        "kernelopts", nk)
                                      == -1))
            return -1;
    }
    return 0;
}

static int
grub1(struct v2k_convert_ctx *ctx, struct bl_ctx *b)
{
    static const char *const kws[] = { "kernel", NULL };
    const char *cfgs[] = {
        ctx->guest->bootloader_config, "/boot/grub/menu.lst",
        "/boot/grub/grub.conf",
    };

    b->kws = kws;
    b->nocase = false;
    b->skip_path = true;
    return edit_files(ctx, cfgs, V2K_ARRAY_SIZE(cfgs), args_line, b);
}

static int
extlinux(struct v2k_convert_ctx *ctx, struct bl_ctx *b)
{
    static const char *const kws[] = { "append", NULL };
    const char *cfgs[] = {
        ctx->guest->bootloader_config, "/boot/extlinux/extlinux.conf",
        "/boot/extlinux.conf", "/extlinux.conf",
        "/boot/syslinux/syslinux.cfg",
    };

    b->kws = kws;
    b->nocase = true;
    b->skip_path = false;
    return edit_files(ctx, cfgs, V2K_ARRAY_SIZE(cfgs), args_line, b);
}

/* Replace the words hvc0/xvc0 by ttyS0 in a line (not in comments). */
static char *
console_line(const char *line, bool *drop, void *opaque)
{
    const char *p = line, *hit = NULL;
    (void)drop;
    (void)opaque;

    while (isspace((unsigned char)*p))
        p++;
    if (*p == '#')
        return NULL;
    for (; *p; p++)
        if ((strncmp(p, "hvc0", 4) == 0 || strncmp(p, "xvc0", 4) == 0) &&
            (p == line || !isalnum((unsigned char)p[-1])) &&
            !isalnum((unsigned char)p[4])) {
            hit = p;
            break;
        }
    if (hit == NULL)
        return NULL;
    /* One occurrence per line is what inittab and securetty have. */
    return v2k_asprintf("%.*sttyS0%s", (int)(hit - line), line, hit + 4);
}

bool
v2k_linux_bootloader_applies(const struct v2k_convert_ctx *ctx)
{
    return ctx->guest->family == V2K_OS_LINUX;
}

int
v2k_linux_bootloader_run(struct v2k_convert_ctx *ctx)
{
    struct v2k_linux_devmap m;
    struct bl_ctx b = {
        .m = &m,
        .opts = { .fix_console = true, .fix_clock = true, .map_root = true },
    };
    int ret = -1;

    if (v2k_linux_ctx_devmap(ctx, &m) == -1)
        return -1;
    switch (ctx->guest->bootloader) {
    case V2K_BOOT_GRUB2:
        ret = grub2(ctx, &b);
        break;
    case V2K_BOOT_GRUB_LEGACY:
        ret = grub1(ctx, &b);
        break;
    case V2K_BOOT_EXTLINUX:
        ret = extlinux(ctx, &b);
        break;
    default:
        v2k_warning(STEP ": the guest's bootloader (%s) is not one we edit; check its kernel command line (root=, console=) by hand", v2k_bootloader_to_string(ctx->guest->bootloader));
        ret = 0;
        break;
    }
    if (ret == 0)
        ret = edit(ctx, "/etc/inittab", console_line, &b);
    if (ret == 0)
        ret = edit(ctx, "/etc/securetty", console_line, &b);
    if (ret == 0 && ctx->src->xen_pv) {
        const struct v2k_kernel *k = v2k_linux_chosen_kernel(ctx);
        /* The kernel step chose a non-Xen default; without it the
         * guest may still boot its Xen-only kernel. */
        if (k && k->xen_only)
            v2k_warning(STEP ": the default kernel %s is Xen-only and will not boot on KVM (the kernel step chooses another)",
                        k->version);
    }
    v2k_linux_devmap_free(&m);
    return ret;
}
