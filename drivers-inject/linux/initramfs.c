/* initramfs.c - the "initramfs" step: give the chosen kernel's
 * initramfs the virtio drivers, then check the image really holds the
 * block driver.  Three ways, in order: keep an image that has them (see
 * below); add them to the image as it is without regenerating it
 * (initramfs-append.c: the image keeps its modules with a modules.dep
 * and carries udev), logged "added without regenerating it"; else run
 * the guest's own tool as follows, logged with the reason the image
 * could not simply be added to.
 *
 * Modules asked for: virtio, virtio_ring, virtio_pci, virtio_blk,
 * virtio_scsi, virtio_net (virt-v2v's list without its legacy extras),
 * keeping only those the kernel has as modules: /lib/modules/VER's
 * modules.dep says which exist (modules.builtin: built in, nothing to
 * add).  Without modules.dep we trust inspection's virtio bits.
 *
 * The guest's own tool runs inside the guest (v2k_gf_sh: chroot in the
 * appliance), chosen by inspection's initramfs_tool:
 *   initramfs-tools  append the modules to /etc/initramfs-tools/modules
 *                    (always included, whatever MODULES= says), then
 *                    update-initramfs -u -k VER (-c when no image yet)
 *   dracut           /etc/dracut.conf.d/90-v2kvm-virtio.conf
 *                    (add_drivers+=, for later rebuilds), then
 *                    dracut -f --add-drivers "MODS" INITRD VER
 *   mkinitrd         SUSE: mkinitrd -m "MODS" -i INITRD -k VMLINUZ;
 *                    old RHEL: mkinitrd -f --with=MOD... INITRD VER
 *   mkinitcpio       MODULES=(...) in /etc/mkinitcpio.conf gets the
 *                    modules, then mkinitcpio -k VER -g INITRD
 * The old image is overwritten (the tools' -f), not kept beside it:
 * /boot is often small.
 *
 * Unless --rebuild-initramfs (which also skips adding to the image as it
 * is), the tool is not run when the existing
 * image already holds the block driver and virtio_pci (or the kernel
 * has them built in) and no earlier step edited a file an initramfs may
 * carry (crypttab, resume config, udev rules, mdadm.conf, the tools'
 * own configs): Debian's MODULES=most images and dracut images made
 * without host-only mode carry every virtio driver, and rebuilding them
 * in the appliance costs minutes (over 20 under TCG).  The config edits
 * above are still made, so the guest's own later rebuilds keep the
 * drivers.  virt-v2v always rebuilds.
 *
 * When initramfs-tools rebuilds, every /etc/crypttab entry gets the
 * "initramfs" option first: in the appliance cryptsetup-initramfs
 * cannot tell which devices the root needs.
 *
 * Verification reads the image on the host (v2k_gf_copy_out): cpio
 * "newc" archives, uncompressed or compressed (gzip, xz, zstd, lz4,
 * bzip2, lzma; through the host's zcat, xzcat, zstdcat, lz4cat, bzcat),
 * several of them concatenated (dracut/initramfs-tools put an
 * uncompressed early-microcode archive first).  The block driver of the
 * output's bus (virtio_blk, or virtio_scsi) must be in it, or built into
 * the kernel; else the step fails: that guest would not find its root.
 */
#include "linux.h"
#include "linux-internal.h"
#include "cleanup.h"
#include "error.h"
#include "guestfile.h"
#include "initrd-image.h"
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STEP "initramfs"

static const char *const wanted[] = {
    "virtio", "virtio_ring", "virtio_pci", "virtio_blk", "virtio_scsi",
    "virtio_net",
};

/* Single-quote s for /bin/sh. */
static char *
shq(const char *s)
{
    size_t n = 2, i;
    char *out, *o;

    for (i = 0; s[i]; i++)
        n += s[i] == '\'' ? 4 : 1;
    out = o = v2k_malloc(n + 1);
    if (out == NULL)
        return NULL;
    *o++ = '\'';
    for (i = 0; s[i]; i++) {
        if (s[i] == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else
            *o++ = s[i];
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}

/* Does a modules.dep/modules.builtin text list NAME.ko (any
 * compression, '-' and '_' equivalent)? */
static bool
lists_module(const char *text, const char *name)
{
    size_t nl = strlen(name);
    const char *p;

    if (text == NULL)
        return false;
    for (p = text; (p = strstr(p, ".ko")) != NULL; p += 3) {
        const char *s = p;
        size_t i;
        while (s > text && s[-1] != '/' && s[-1] != '\n' && s[-1] != ' ')
            s--;
        if ((size_t)(p - s) != nl)
            continue;
        for (i = 0; i < nl; i++) {
            char a = s[i] == '-' ? '_' : s[i];
            char b = name[i] == '-' ? '_' : name[i];
            if (a != b)
                break;
        }
        if (i == nl)
            return true;
    }
    return false;
}

static char *
read_opt(guestfs_h *g, const char *path)
{
    char *s;
    if (!v2k_gf_is_file(g, path))
        return NULL;
    s = v2k_gf_read(g, STEP, path, NULL);
    if (s == NULL)
        v2k_error_clear();
    return s;
}

struct modinfo {
    char *dep, *builtin;
    unsigned virtio;            /* inspection's bits, when no modules.dep */
};

static bool
is_builtin(const struct modinfo *mi, const char *name)
{
    return lists_module(mi->builtin, name);
}

static bool
is_module(const struct modinfo *mi, const char *name)
{
    static const struct { const char *n; unsigned bit; } bits[] = {
        { "virtio_pci", V2K_VIRTIO_PCI }, { "virtio_blk", V2K_VIRTIO_BLK },
        { "virtio_scsi", V2K_VIRTIO_SCSI }, { "virtio_net", V2K_VIRTIO_NET },
    };
    size_t i;

    if (mi->dep)
        return lists_module(mi->dep, name);
    /* No modules.dep: virtio and virtio_ring come with virtio_pci. */
    for (i = 0; i < V2K_ARRAY_SIZE(bits); i++)
        if (strcmp(bits[i].n, name) == 0)
            return (mi->virtio & bits[i].bit) != 0;
    return (mi->virtio & V2K_VIRTIO_PCI) != 0;
}

/* --- initramfs-tools, mkinitcpio config edits --------------------------- */

static int
initramfs_tools_modules(struct v2k_convert_ctx *ctx, const char *const *mods,
                        size_t n)
{
    const char *path = "/etc/initramfs-tools/modules";
    CLEANUP_FREE char *data = NULL, *out = NULL;
    size_t i, len = 0, olen = 0;
    FILE *fp;
    bool added = false;

    if (v2k_gf_exists(ctx->g, path) &&
        (data = v2k_gf_read(ctx->g, STEP, path, &len)) == NULL)
        return -1;
    fp = open_memstream(&out, &olen);
    if (fp == NULL) {
        v2k_error("out of memory");
        return -1;
    }
    if (data) {
        fputs(data, fp);
        if (len && data[len - 1] != '\n')
            fputc('\n', fp);
    }
    for (i = 0; i < n; i++) {
        bool have = false;
        const char *p;
        size_t ml = strlen(mods[i]);

        /* a line that is exactly the module (optionally with arguments) */
        for (p = data; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
            while (*p == ' ' || *p == '\t')
                p++;
            if (strncmp(p, mods[i], ml) == 0 &&
                (p[ml] == '\0' || isspace((unsigned char)p[ml])))
                have = true;
        }
        if (have)
            continue;
        if (!added)
            fputs("# Added by v2kvm: virtio drivers to boot on KVM\n", fp);
        fprintf(fp, "%s\n", mods[i]);
        v2k_log_edit(ctx->g, STEP, path, "", mods[i]);
        added = true;
    }
    fclose(fp);
    if (!added)
        return 0;
    return v2k_gf_write(ctx->g, STEP, path, out, olen);
}

struct mkcpio {
    const char *const *mods;
    size_t n;
};

/* MODULES=(a b) or MODULES="a b" -> with the missing modules added. */
static char *
mkinitcpio_line(const char *line, bool *drop, void *opaque)
{
    struct mkcpio *m = opaque;
    const char *p = line, *open, *close;
    char *out = NULL, *o;
    size_t i, len;
    bool nonempty;

    (void)drop;
    while (isspace((unsigned char)*p))
        p++;
    if (strncmp(p, "MODULES=", 8) != 0)
        return NULL;
    open = p + 8;
    if (*open != '(' && *open != '"')
        return NULL;
    close = strchr(open + 1, *open == '(' ? ')' : '"');
    if (close == NULL)
        return NULL;
    len = strlen(line) + 1;
    for (i = 0; i < m->n; i++)
        len += strlen(m->mods[i]) + 1;
    out = v2k_malloc(len);
    if (out == NULL)
        return NULL;
    o = out + snprintf(out, len, "%.*s", (int)(close - line), line);
    nonempty = false;
    for (const char *c = open + 1; c < close; c++)
        nonempty |= !isspace((unsigned char)*c);
    for (i = 0; i < m->n; i++) {
        /* present as a word between open and close? */
        const char *s = open + 1;
        size_t ml = strlen(m->mods[i]);
        bool have = false;
        while (s < close) {
            while (s < close && isspace((unsigned char)*s))
                s++;
            const char *e = s;
            while (e < close && !isspace((unsigned char)*e))
                e++;
            if ((size_t)(e - s) == ml && memcmp(s, m->mods[i], ml) == 0)
                have = true;
            s = e;
        }
        if (!have) {
            o += snprintf(o, len - (size_t)(o - out), "%s%s",
                          nonempty ? " " : "", m->mods[i]);
            nonempty = true;
        }
    }
    snprintf(o, len - (size_t)(o - out), "%s", close);
    return out;
}

/* Copy the guest's image out to the host file tmpl (a mkstemp
 * template, filled in) and list it into *l: 0, or -1 with a message (the
 * file removed then). */
static int
copy_out(struct v2k_convert_ctx *ctx, const char *initrd, char *tmpl,
         struct v2k_initrd_listing *l)
{
    CLEANUP_CLOSE int fd = mkstemp(tmpl);

    if (fd == -1) {
        v2k_error_errno(errno, STEP ": temporary file for %s", initrd);
        return -1;
    }
    if (v2k_gf_copy_out(ctx->g, STEP, initrd, fd, tmpl) == -1) {
        v2k_error_prepend("copying the image out to check it: ");
        unlink(tmpl);
        return -1;
    }
    if (v2k_initrd_read(tmpl, initrd, l) == -1) {
        v2k_error_prepend(STEP ": ");
        unlink(tmpl);
        return -1;
    }
    v2k_debug(STEP ": %s holds %zu files", initrd, l->n);
    return 0;
}

/* Copy the guest's image out and list it into *l (the copy removed). */
static int
list_image(struct v2k_convert_ctx *ctx, const char *initrd,
           struct v2k_initrd_listing *l)
{
    char tmpl[] = "/tmp/v2kvm-initrd-XXXXXX";

    if (copy_out(ctx, initrd, tmpl, l) == -1)
        return -1;
    unlink(tmpl);
    return 0;
}

/* The image as it was before the step, copied out once for the keep
 * check and the fast path (initramfs-append.c). */
struct before {
    bool tried, have;
    char file[32];              /* the host copy, while have */
    struct v2k_initrd_listing l;
    char why[512];              /* !have: why it could not be read */
};

static bool
before_read(struct v2k_convert_ctx *ctx, const char *initrd,
            struct before *b)
{
    if (!b->tried) {
        b->tried = true;
        snprintf(b->file, sizeof b->file, "/tmp/v2kvm-initrd-XXXXXX");
        b->have = copy_out(ctx, initrd, b->file, &b->l) == 0;
        if (!b->have) {
            snprintf(b->why, sizeof b->why, "it cannot be read: %s",
                     v2k_error_message());
            v2k_debug("%s", v2k_error_message());
            v2k_error_clear();
        }
    }
    return b->have;
}

static void
before_free(struct before *b)
{
    if (b->have)
        unlink(b->file);
    v2k_initrd_listing_free(&b->l);
}

static const char *
block_driver(const struct v2k_convert_ctx *ctx)
{
    return ctx->gc->block_bus == V2K_BLOCK_VIRTIO_SCSI ? "virtio_scsi"
                                                        : "virtio_blk";
}

/* Does the image (or the kernel) already have the block driver and
 * virtio_pci?  1 yes, 0 no (or the image cannot be read: it is rebuilt
 * then, and the rebuilt one must be readable). */
static int
already_has_virtio(struct v2k_convert_ctx *ctx, const char *initrd,
                   const struct modinfo *mi, struct before *b)
{
    const char *blk = block_driver(ctx);

    if (is_builtin(mi, blk) && is_builtin(mi, "virtio_pci"))
        return 1;
    if (!before_read(ctx, initrd, b))
        return 0;
    return (is_builtin(mi, blk) || v2k_initrd_has_module(&b->l, blk)) &&
           (is_builtin(mi, "virtio_pci") ||
            v2k_initrd_has_module(&b->l, "virtio_pci"));
}

static int
verify(struct v2k_convert_ctx *ctx, const struct v2k_kernel *k,
       const char *initrd, const struct modinfo *mi)
{
    const char *blk = block_driver(ctx);
    struct v2k_initrd_listing l = { 0 };
    int ret = -1;

    if (is_builtin(mi, blk)) {
        v2k_debug(STEP ": %s is built into %s", blk, k->version);
        return 0;
    }
    if (list_image(ctx, initrd, &l) == -1)
        goto out;
    if (!v2k_initrd_has_module(&l, blk)) {
        v2k_error(STEP ": %s was rebuilt but does not contain %s, which kernel %s does not have built in: the guest would not find its disks on KVM", initrd, blk, k->version);
        goto out;
    }
    if (!v2k_initrd_has_module(&l, "virtio_pci") && !is_builtin(mi, "virtio_pci"))
        v2k_warning(STEP ": %s has %s but not virtio_pci", initrd, blk);
    v2k_msg("%s contains %s", initrd, blk);
    ret = 0;
out:
    v2k_initrd_listing_free(&l);
    return ret;
}

/* Files an initramfs may carry a copy of: when a step edited one, the
 * image is rebuilt even if it has virtio (a stale crypttab or resume
 * device in it would not match the renamed disks). */
static const char *const carried[] = {
    "/etc/crypttab", "/etc/fstab.sys", "/etc/initramfs-tools/conf.d/*",
    "/etc/initramfs-tools/initramfs.conf", "/etc/udev/rules.d/*",
    "/etc/mdadm/mdadm.conf", "/etc/mdadm.conf", "/etc/sysconfig/kernel",
    "/etc/dracut.conf", "/etc/dracut.conf.d/*", "/etc/mkinitcpio.conf",
    "/etc/uswsusp.conf",
};

static const char *
carried_edit(const struct v2k_convert_ctx *ctx)
{
    size_t i;
    const char *f;
    for (i = 0; i < V2K_ARRAY_SIZE(carried); i++)
        if ((f = v2k_edited(ctx, carried[i])) != NULL)
            return f;
    return NULL;
}

/* /etc/crypttab: the "initramfs" option on every entry, so that
 * cryptsetup-initramfs (Debian, Ubuntu) puts it in an image built in
 * the appliance, where it cannot see which devices the guest's root
 * needs (virt-v2v does the same). */
static char *
crypttab_line(const char *line, bool *drop, void *opaque)
{
    const char *tok[5], *end[5], *p = line;
    int n = 0;

    (void)drop;
    (void)opaque;
    /* the first four whitespace-separated fields, where they are */
    while (n < 5) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        tok[n] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        end[n++] = p;
    }
    if (n < 2 || tok[0][0] == '#')
        return NULL;
    if (n >= 4) {
        const char *o = tok[3];
        size_t l = strlen("initramfs");
        while (o < end[3]) {
            const char *c = memchr(o, ',', (size_t)(end[3] - o));
            if (c == NULL)
                c = end[3];
            if ((size_t)(c - o) == l && strncmp(o, "initramfs", l) == 0)
                return NULL;
            o = c + 1;
        }
        return v2k_asprintf("%.*s,initramfs%s", (int)(end[3] - line), line,
                            end[3]);
    }
    return v2k_asprintf("%.*s%s initramfs%s", (int)(end[n - 1] - line), line,
                        n == 2 ? " none" : "", end[n - 1]);
}

/* dracut: a conf.d file naming the drivers, so that the guest's own
 * later rebuilds (a kernel update) keep them. */
static int
dracut_conf(struct v2k_convert_ctx *ctx, const char *const *mods, size_t n)
{
    const char *path = "/etc/dracut.conf.d/90-v2kvm-virtio.conf";
    char list[256] = "";
    size_t l = 0;
    CLEANUP_FREE char *text = NULL;

    if (n == 0 || v2k_gf_exists(ctx->g, path))
        return 0;
    for (size_t i = 0; i < n; i++)
        l += (size_t)snprintf(list + l, sizeof list - l, " %s", mods[i]);
    text = v2k_asprintf("# Added by v2kvm: virtio drivers to boot on KVM\n"
                        "add_drivers+=\"%s \"\n", list);
    if (text == NULL)
        return -1;
    if (!v2k_gf_is_dir(ctx->g, "/etc/dracut.conf.d") &&
        guestfs_mkdir_p(ctx->g, "/etc/dracut.conf.d") == -1) {
        v2k_error(STEP ": /etc/dracut.conf.d: %s", guestfs_last_error(ctx->g));
        return -1;
    }
    if (v2k_gf_write(ctx->g, STEP, path, text, strlen(text)) == -1)
        return -1;
    v2k_log_edit(ctx->g, STEP, path, NULL, "created");
    return 0;
}

/* --- the step -------------------------------------------------------------- */

bool
v2k_linux_initramfs_applies(const struct v2k_convert_ctx *ctx)
{
    return ctx->guest->family == V2K_OS_LINUX;
}

static bool
suse_family(const char *d)
{
    return d && (strcmp(d, "sles") == 0 || strcmp(d, "opensuse") == 0 ||
                 strcmp(d, "suse-based") == 0);
}

static char *
default_initrd(const struct v2k_convert_ctx *ctx, const struct v2k_kernel *k)
{
    switch (ctx->guest->initramfs_tool) {
    case V2K_INITRD_INITRAMFS_TOOLS:
        return v2k_asprintf("/boot/initrd.img-%s", k->version);
    case V2K_INITRD_DRACUT:
        return v2k_asprintf("/boot/initramfs-%s.img", k->version);
    case V2K_INITRD_MKINITRD:
        return suse_family(ctx->guest->distro)
                   ? v2k_asprintf("/boot/initrd-%s", k->version)
                   : v2k_asprintf("/boot/initrd-%s.img", k->version);
    case V2K_INITRD_MKINITCPIO:
        return v2k_strdup("/boot/initramfs-linux.img");
    default:
        return v2k_asprintf("/boot/initrd.img-%s", k->version);
    }
}

int
v2k_linux_initramfs_run(struct v2k_convert_ctx *ctx)
{
    const struct v2k_kernel *k = v2k_linux_chosen_kernel(ctx);
    struct modinfo mi = { 0 };
    CLEANUP_FREE char *initrd = NULL, *qinitrd = NULL, *qver = NULL;
    CLEANUP_FREE char *cmd = NULL, *out = NULL, *path = NULL;
    const char *mods[V2K_ARRAY_SIZE(wanted)];
    char modlist[256] = "", withs[512] = "";
    size_t i, n = 0, ml = 0, wl = 0;
    const char *why;
    char whynot[512];
    struct before before = { 0 };
    bool keep = false, fast = false;
    int ret = -1;

    if (k == NULL) {
        v2k_error(STEP ": no default kernel is known (the kernel step chooses it)");
        return -1;
    }
    initrd = k->initrd ? v2k_strdup(k->initrd) : default_initrd(ctx, k);
    if (initrd == NULL)
        return -1;
    path = v2k_asprintf("/lib/modules/%s/modules.dep", k->version);
    if (path == NULL)
        return -1;
    mi.dep = read_opt(ctx->g, path);
    if (mi.dep && mi.dep[strspn(mi.dep, " \n")] == '\0') {
        free(mi.dep);           /* empty: depmod never ran */
        mi.dep = NULL;
    }
    free(path);
    path = v2k_asprintf("/lib/modules/%s/modules.builtin", k->version);
    if (path == NULL)
        goto out;
    mi.builtin = read_opt(ctx->g, path);
    mi.virtio = k->virtio;
    for (i = 0; i < V2K_ARRAY_SIZE(wanted); i++) {
        if (is_builtin(&mi, wanted[i]) || !is_module(&mi, wanted[i]))
            continue;
        mods[n++] = wanted[i];
        ml += (size_t)snprintf(modlist + ml, sizeof modlist - ml, "%s%s",
                               ml ? " " : "", wanted[i]);
        wl += (size_t)snprintf(withs + wl, sizeof withs - wl, " --with=%s",
                               wanted[i]);
    }
    v2k_debug(STEP ": kernel %s, image %s, modules to add: %s", k->version,
              initrd, n ? modlist : "(none: built in)");
    if ((qinitrd = shq(initrd)) == NULL || (qver = shq(k->version)) == NULL)
        goto out;
    if (ctx->opts.rebuild_initramfs)
        v2k_debug(STEP ": --rebuild-initramfs: %s is rebuilt", initrd);
    else if ((why = carried_edit(ctx)) != NULL)
        v2k_debug(STEP ": %s was edited and %s may carry a copy: it is rebuilt", why, initrd);
    else {
        fast = v2k_gf_is_file(ctx->g, initrd);
        if (fast && ctx->guest->initramfs_tool != V2K_INITRD_UNKNOWN)
            keep = already_has_virtio(ctx, initrd, &mi, &before) == 1;
    }
    switch (ctx->guest->initramfs_tool) {
    case V2K_INITRD_INITRAMFS_TOOLS:
        if (initramfs_tools_modules(ctx, mods, n) == -1)
            goto out;
        cmd = v2k_asprintf("update-initramfs %s -k %s",
                           v2k_gf_exists(ctx->g, initrd) ? "-u" : "-c", qver);
        break;
    case V2K_INITRD_DRACUT:
        if (dracut_conf(ctx, mods, n) == -1)
            goto out;
        cmd = v2k_asprintf("dracut -f --add-drivers '%s' %s %s", modlist,
                           qinitrd, qver);
        break;
    case V2K_INITRD_MKINITRD:
        if (suse_family(ctx->guest->distro)) {
            CLEANUP_FREE char *qk = shq(k->vmlinuz);
            cmd = qk ? v2k_asprintf("mkinitrd -m '%s' -i %s -k %s", modlist,
                                    qinitrd, qk) : NULL;
        } else
            cmd = v2k_asprintf("mkinitrd -f%s %s %s", withs, qinitrd, qver);
        break;
    case V2K_INITRD_MKINITCPIO: {
        struct mkcpio m = { mods, n };
        if (v2k_gf_edit_lines(ctx->g, STEP, "/etc/mkinitcpio.conf", true,
                              mkinitcpio_line, &m, NULL) == -1)
            goto out;
        cmd = v2k_asprintf("mkinitcpio -k %s -g %s", qver, qinitrd);
        break;
    }
    default:
        break;
    }
    if (ctx->guest->initramfs_tool != V2K_INITRD_UNKNOWN && cmd == NULL)
        goto out;
    if (cmd && keep) {
        v2k_msg("%s already contains %s and virtio_pci: kept as it is (--rebuild-initramfs rebuilds it)", initrd,
                block_driver(ctx));
        ret = 0;
        goto out;
    }
    /* The fast path: the drivers appended to the image as it is. */
    if (fast && n > 0) {
        const char *fmods[V2K_ARRAY_SIZE(wanted) + 1];
        size_t fn = n;
        int r;

        memcpy(fmods, mods, n * sizeof *mods);
        /* virtio-scsi disks are SCSI disks: sd_mod too */
        if (ctx->gc->block_bus == V2K_BLOCK_VIRTIO_SCSI)
            fmods[fn++] = "sd_mod";
        if (!before_read(ctx, initrd, &before)) {
            snprintf(whynot, sizeof whynot, "%s", before.why);
            r = 0;
        } else
            r = v2k_linux_initramfs_append(ctx, k, initrd, before.file,
                                           &before.l, mi.dep, fmods, fn,
                                           whynot, sizeof whynot);
        if (r == -1)
            goto out;
        if (r == 1) {
            ret = verify(ctx, k, initrd, &mi);
            goto out;
        }
        if (cmd)
            v2k_msg("%s: not appended to (%s): regenerated by the guest's own tool", initrd, whynot);
        else
            v2k_debug(STEP ": %s: not appended to (%s)", initrd, whynot);
    }
    if (cmd == NULL)
        v2k_warning(STEP ": no initramfs tool was found in the guest (dracut, update-initramfs, mkinitrd, mkinitcpio); %s is checked as it is", initrd);
    if (cmd && ctx->guest->initramfs_tool == V2K_INITRD_INITRAMFS_TOOLS &&
        v2k_gf_edit_lines(ctx->g, STEP, "/etc/crypttab", true, crypttab_line,
                          NULL, NULL) == -1)
        goto out;
    if (cmd) {
        /* The guest's tools expect a sane PATH, whatever libguestfs has. */
        CLEANUP_FREE char *full = v2k_asprintf(
            "PATH=/usr/sbin:/usr/bin:/sbin:/bin; export PATH; %s", cmd);
        if (full == NULL)
            goto out;
        out = v2k_gf_sh(ctx->g, STEP, full);
        if (out == NULL)
            goto out;
        v2k_debug(STEP ": %s: %s", cmd, out);
        v2k_log_edit(ctx->g, STEP, initrd, NULL, "regenerated");
    }
    if (!v2k_gf_is_file(ctx->g, initrd)) {
        v2k_error(STEP ": %s does not exist after %s", initrd,
                  cmd ? cmd : "inspection");
        goto out;
    }
    ret = verify(ctx, k, initrd, &mi);
out:
    before_free(&before);
    free(mi.dep);
    free(mi.builtin);
    return ret;
}
